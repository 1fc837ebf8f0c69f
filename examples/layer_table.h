/* examples/layer_table.h — `vggshuffle bench --layers` and `--plot`: the per-layer profile
 * of a net (vgs_net_layer_info) as a table, JSON lines or a roofline picture (SVG), against
 * this machine's peaks measured in-process: the tier's FMA throughput (vgs_kernels.fma_peak,
 * one core, times the threads) and the memory read bandwidth (a 256 MiB sum, one thread).
 * Times are the medians of the per-layer times of the timed passes.  Included by
 * examples/vggshuffle_cli.c and bench/bench_net.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../bench/bench_common.h" /* bench_cpu_ms, bench_median */

typedef struct layer_peaks {
    double gflops; /* per core, the tier's FMA peak */
    double gbps;   /* read bandwidth, one thread */
} layer_peaks;

/* Best of 5 of each: the FMA loop and a streaming read, timed in this thread's CPU time (on a
 * loaded machine their wall time also counted other processes' slices: a peak of 74 GFLOP/s
 * measured at load 3.5 on 2 cores put 1x1 layers at 120-134 % of it). */
static __attribute__((unused)) layer_peaks measure_peaks(void)
{
    const vgs_kernels *k = vgs_kernels_current();
    layer_peaks p = {0.0, 0.0};
    const size_t iters = (size_t)1 << 22;
    volatile float sink = 0.0f;
    for (int r = 0; r < 5; r++) {
        const double t0 = bench_cpu_ms();
        sink += k->fma_peak(iters);
        const double g = iters * 12.0 * 2.0 * k->vector_width / ((bench_cpu_ms() - t0) * 1e6);
        if (g > p.gflops) p.gflops = g;
    }
    const size_t n = (size_t)64 << 20; /* floats: 256 MiB, far past every cache */
    float *buf = (float *)malloc(n * sizeof(float)), out;
    if (buf) {
        for (size_t i = 0; i < n; i++) buf[i] = 1.0f;
        for (int r = 0; r < 5; r++) {
            const double t0 = bench_cpu_ms();
            k->global_avgpool(1, n, buf, n, &out);
            sink += out;
            const double g = n * sizeof(float) / ((bench_cpu_ms() - t0) * 1e6);
            if (g > p.gbps) p.gbps = g;
        }
        free(buf);
    }
    (void)sink;
    return p;
}

/* med[i] = the median over the runs of ms[r * layers + i] (layer i's time in timed pass r);
 * 0 on success. */
static int layer_medians(size_t nl, const double *ms, int runs, double *med)
{
    double *t = (double *)malloc((size_t)runs * sizeof *t);
    if (!t) return 1;
    for (size_t i = 0; i < nl; i++) {
        for (int r = 0; r < runs; r++) t[r] = ms[(size_t)r * nl + i];
        med[i] = bench_median(t, (size_t)runs);
    }
    free(t);
    return 0;
}

/* ms[r * layers + i]: layer i's time in timed pass r. */
static __attribute__((unused)) void print_layers(vgs_net *net, const char *model, int threads, int batch, double *ms,
                                                 int runs, int json, layer_peaks pk)
{
    const size_t nl = vgs_net_num_layers(net);
    double *t = (double *)malloc((nl ? nl : 1) * sizeof *t), total_ms = 0.0, total_flops = 0.0;
    if (!t || layer_medians(nl, ms, runs, t)) {
        free(t);
        return;
    }
    if (!json) {
        printf("per layer (median of %d passes; peak %.1f GFLOP/s per core x %d thread%s, read bandwidth %.1f GB/s)\n",
               runs, pk.gflops, threads, threads == 1 ? "" : "s", pk.gbps);
        printf("  %3s %-30s %-14s %-28s %-16s %8s %8s %6s %7s %6s\n", "#", "layer", "kind", "kernel", "output", "ms",
               "GFLOP/s", "%peak", "GB/s", "%bw");
    }
    for (size_t i = 0; i < nl; i++) {
        vgs_layer_info li;
        if (vgs_net_layer_info(net, i, &li) != VGS_OK) break;
        const double m = t[i], s = m > 0 ? m * 1e-3 : NAN;
        const double gf = li.flops / s * 1e-9, gb = (li.bytes_read + li.bytes_written) / s * 1e-9;
        const double pp = 100.0 * gf / (pk.gflops * threads), pb = 100.0 * gb / pk.gbps;
        total_ms += m, total_flops += li.flops;
        if (json) {
            printf("{\"model\":\"%s\",\"threads\":%d,\"batch\":%d,\"index\":%zu,\"name\":\"%s\",\"kind\":\"%s\","
                   "\"kernel\":\"%s\",\"shape\":[%d,%d,%d,%d],\"tasks\":%zu,\"ms\":%.6f,\"flops\":%.0f,"
                   "\"bytes_read\":%.0f,\"bytes_written\":%.0f,\"gflops\":%.3f,\"pct_peak\":%.2f,\"gbps\":%.3f,"
                   "\"pct_bandwidth\":%.2f}\n",
                   model, threads, batch, i, li.name, li.kind, li.kernel, li.n, li.c, li.h, li.w, li.tasks, m, li.flops,
                   li.bytes_read, li.bytes_written, gf, pp, gb, pb);
        } else {
            char shape[32];
            snprintf(shape, sizeof shape, "%dx%dx%dx%d", li.n, li.c, li.h, li.w);
            printf("  %3zu %-30.30s %-14s %-28.28s %-16s %8.4f %8.2f %6.1f %7.2f %6.1f\n", i, li.name, li.kind, li.kernel,
                   shape, m, gf, pp, gb, pb);
        }
    }
    if (!json) {
        printf("  sum of layers %.3f ms, %.3f GFLOP, %.2f GFLOP/s = %.1f%% of %d x %.1f GFLOP/s\n", total_ms,
               total_flops * 1e-9, total_flops / (total_ms * 1e6), 100.0 * total_flops / (total_ms * 1e6) / (pk.gflops * threads),
               threads, pk.gflops);
    }
    free(t);
}

/* ---- the roofline picture (`--plot FILE.svg`) ------------------------------------------- */

/* s with the XML specials escaped, into f. */
static void svg_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

/* A colour per layer kind (the kinds of vgs_layer_info), grey for any other. */
static const char *svg_kind_colour(const char *kind)
{
    static const char *const kinds[][2] = {
        {"conv3x3", "#d62728"},   {"conv1x1", "#1f77b4"},        {"dwconv3x3", "#2ca02c"},
        {"maxpool3x3", "#9467bd"}, {"avgpool3x3", "#8c564b"},    {"global_avgpool", "#e377c2"},
        {"linear", "#ff7f0e"},    {"maxpool2x2", "#17becf"},     {"adaptive_avgpool", "#bcbd22"},
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcmp(kind, kinds[i][0])) return kinds[i][1];
    return "#7f7f7f";
}

/* A tick label for 10^e: 0.001 .. 100000 written out, else 1e+N. */
static void svg_decade(char *buf, size_t len, int e)
{
    if (e >= -3 && e <= 5) snprintf(buf, len, "%.*f", e < 0 ? -e : 0, pow(10.0, e));
    else snprintf(buf, len, "1e%+d", e);
}

/* The roofline of the last timed passes into f (SVG 1.1, no script, no external reference):
 * x = arithmetic intensity (FLOP per byte read or written, vgs_layer_info), y = achieved
 * GFLOP/s, both logarithmic; the roofs are the measured FMA peak (x the threads) and the
 * measured read bandwidth; one labelled point per layer (its index), with the layer's name,
 * kind, kernel, shape, time and rates in a tooltip (<title>).  ms as for print_layers.
 * Returns 0, or 1 when out of memory (nothing written). */
static __attribute__((unused)) int write_roofline_svg(FILE *f, vgs_net *net, const char *model, int threads, int batch,
                                                      const double *ms, int runs, layer_peaks pk)
{
    const size_t nl = vgs_net_num_layers(net);
    double *med = (double *)malloc((nl ? nl : 1) * 3 * sizeof *med);
    if (!med || layer_medians(nl, ms, runs, med)) {
        free(med);
        return 1;
    }
    double *ai = med + nl, *gf = med + 2 * nl;
    const double peak = pk.gflops * threads, bw = pk.gbps;
    double xlo = peak / bw, xhi = peak / bw, ylo = peak, yhi = peak, total_ms = 0.0;
    for (size_t i = 0; i < nl; i++) {
        vgs_layer_info li;
        vgs_net_layer_info(net, i, &li);
        const double t = med[i] > 1e-6 ? med[i] : 1e-6; /* below the clock: at most 1 ns */
        const double bytes = li.bytes_read + li.bytes_written;
        ai[i] = li.flops > 0 && bytes > 0 ? li.flops / bytes : 1e-3;
        gf[i] = li.flops > 0 ? li.flops / (t * 1e6) : 1e-3;
        total_ms += med[i];
        if (ai[i] < xlo) xlo = ai[i];
        if (ai[i] > xhi) xhi = ai[i];
        if (gf[i] < ylo) ylo = gf[i];
        if (gf[i] > yhi) yhi = gf[i];
    }
    if (bw * xlo < ylo) ylo = bw * xlo; /* the bandwidth roof's lower end */
    const int ex0 = (int)floor(log10(xlo)), ex1 = (int)ceil(log10(xhi * 1.01));
    const int ey0 = (int)floor(log10(ylo)), ey1 = (int)ceil(log10(yhi * 1.3));
    const double W = 1000, H = 660, L = 80, R = 760, T = 60, B = 570; /* the plot area: [L, R] x [T, B] */
#define SVG_X(v) (L + (log10(v) - ex0) / (double)(ex1 > ex0 ? ex1 - ex0 : 1) * (R - L))
#define SVG_Y(v) (B - (log10(v) - ey0) / (double)(ey1 > ey0 ? ey1 - ey0 : 1) * (B - T))
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
               "font-family=\"sans-serif\" font-size=\"12\">\n"
               "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n", W, H, W, H);
    fprintf(f, "<text x=\"%.0f\" y=\"24\" font-size=\"16\" font-weight=\"bold\">", L);
    svg_text(f, model);
    fprintf(f, ": roofline per layer</text>\n<text x=\"%.0f\" y=\"44\">%s, %d thread%s, batch %d: medians of %d passes; "
               "sum of the layers %.3f ms</text>\n", L, vgs_isa_name(), threads, threads == 1 ? "" : "s", batch, runs, total_ms);
    fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"11\" fill=\"#555\">GFLOP/s count direct-convolution FLOPs (a Winograd "
               "layer can pass the FMA roof); the bandwidth roof is main memory's</text>\n<text x=\"%.0f\" y=\"%.0f\" "
               "font-size=\"11\" fill=\"#555\">(a layer working in cache can pass it).  Hover a point for its layer's name "
               "and figures.</text>\n", L, H - 28, L, H - 12);
    /* grid and ticks, one per decade */
    fprintf(f, "<g stroke=\"#ddd\" stroke-width=\"1\">\n");
    for (int e = ex0; e <= ex1; e++)
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\"/>\n", SVG_X(pow(10.0, e)), T, SVG_X(pow(10.0, e)), B);
    for (int e = ey0; e <= ey1; e++)
        fprintf(f, "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\"/>\n", L, SVG_Y(pow(10.0, e)), R, SVG_Y(pow(10.0, e)));
    fprintf(f, "</g>\n<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" stroke=\"black\"/>\n", L, T,
            R - L, B - T);
    char lab[32];
    for (int e = ex0; e <= ex1; e++) {
        svg_decade(lab, sizeof lab, e);
        fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%s</text>\n", SVG_X(pow(10.0, e)), B + 18, lab);
    }
    for (int e = ey0; e <= ey1; e++) {
        svg_decade(lab, sizeof lab, e);
        fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", L - 6, SVG_Y(pow(10.0, e)) + 4, lab);
    }
    fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">arithmetic intensity (FLOP per byte read + written)</text>\n",
            (L + R) / 2, B + 42);
    fprintf(f, "<text transform=\"translate(22 %.0f) rotate(-90)\" text-anchor=\"middle\">GFLOP/s</text>\n", (T + B) / 2);
    /* the roofs: bandwidth x intensity up to the ridge, then the FMA peak */
    const double xa = pow(10.0, ex0), xr = peak / bw, xb = pow(10.0, ex1);
    const double xs = bw * xa >= pow(10.0, ey0) ? xa : pow(10.0, ey0) / bw; /* where the slope enters the plot */
    fprintf(f, "<polyline fill=\"none\" stroke=\"black\" stroke-width=\"2\" points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f\"/>\n",
            SVG_X(xs), SVG_Y(bw * xs), SVG_X(xr), SVG_Y(peak), SVG_X(xb), SVG_Y(peak));
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">FMA peak %.1f GFLOP/s (%.1f per core x %d)</text>\n", R - 4,
            SVG_Y(peak) - 6, peak, pk.gflops, threads);
    /* the bandwidth label along the slope, ending short of the ridge, above the line */
    const double lx = SVG_X(xr) - 20, ly0 = SVG_Y(peak) + 20 * (SVG_Y(bw * xs) - SVG_Y(peak)) / (SVG_X(xr) - SVG_X(xs));
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" transform=\"rotate(%.1f %.1f %.1f)\">read bandwidth %.1f GB/s "
               "(1 thread)</text>\n", lx, ly0 - 6, -atan2(SVG_Y(bw * xs) - SVG_Y(peak), SVG_X(xr) - SVG_X(xs)) * 180.0 / 3.14159265358979,
            lx, ly0 - 6, bw);
    /* the layers */
    for (size_t i = 0; i < nl; i++) {
        vgs_layer_info li;
        vgs_net_layer_info(net, i, &li);
        const double x = SVG_X(ai[i]), y = SVG_Y(gf[i]);
        const double roof = ai[i] * bw < peak ? ai[i] * bw : peak;
        fprintf(f, "<g class=\"layer\"><title>#%zu ", i);
        svg_text(f, li.name);
        fprintf(f, " (%s)\n", li.kind);
        svg_text(f, li.kernel);
        fprintf(f, ", output %dx%dx%dx%d\n%.4f ms, %.2f GFLOP/s, %.2f GB/s, %.2f FLOP/byte, %.0f%% of the roof</title>\n", li.n,
                li.c, li.h, li.w, med[i], gf[i], gf[i] / ai[i], ai[i], 100.0 * gf[i] / roof);
        fprintf(f, "<circle class=\"layer\" cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"%s\" fill-opacity=\"0.8\" stroke=\"black\" "
                   "stroke-width=\"0.5\"/>", x, y, svg_kind_colour(li.kind));
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"9\">%zu</text></g>\n", x + 6, y - 4, i);
    }
    /* legend: the kinds present, and the index -> name list when it fits */
    double ly = T + 4;
    fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" font-weight=\"bold\">layer kinds</text>\n", R + 20, ly += 10);
    for (size_t i = 0; i < nl; i++) {
        vgs_layer_info li, lj;
        vgs_net_layer_info(net, i, &li);
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++) vgs_net_layer_info(net, j, &lj), seen = !strcmp(lj.kind, li.kind);
        if (seen) continue;
        ly += 18;
        fprintf(f, "<circle cx=\"%.0f\" cy=\"%.0f\" r=\"5\" fill=\"%s\" stroke=\"black\" stroke-width=\"0.5\"/>", R + 26, ly - 4,
                svg_kind_colour(li.kind));
        fprintf(f, "<text x=\"%.0f\" y=\"%.0f\">%s</text>\n", R + 36, ly, li.kind);
    }
    const double step = nl ? (H - 20 - (ly + 30)) / (double)nl : 0;
    if (step >= 9) {
        fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" font-weight=\"bold\">layers</text>\n", R + 20, ly += 30);
        for (size_t i = 0; i < nl; i++) {
            vgs_layer_info li;
            vgs_net_layer_info(net, i, &li);
            fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" font-size=\"%.0f\">%zu ", R + 20, ly + (double)(i + 1) * (step < 14 ? step : 14),
                    step < 12 ? step - 1 : 11.0, i);
            svg_text(f, li.name);
            fprintf(f, "</text>\n");
        }
    }
    fprintf(f, "</svg>\n");
#undef SVG_X
#undef SVG_Y
    free(med);
    return 0;
}
