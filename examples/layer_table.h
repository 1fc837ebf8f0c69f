/* examples/layer_table.h — `vggshuffle bench --layers`: the per-layer profile of a net
 * (vgs_net_layer_info) as a table or JSON lines, against this machine's peaks measured
 * in-process: the tier's FMA throughput (vgs_kernels.fma_peak, one core, times the threads)
 * and the memory read bandwidth (a 256 MiB sum, one thread).  Times are the medians of the
 * per-layer times of the timed passes.  Included by vggshuffle_cli.c only. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "../bench/bench_common.h" /* bench_now_ms, bench_median */

typedef struct layer_peaks {
    double gflops; /* per core, the tier's FMA peak */
    double gbps;   /* read bandwidth, one thread */
} layer_peaks;

/* Best of 5 of each: the FMA loop and a streaming read. */
static layer_peaks measure_peaks(void)
{
    const vgs_kernels *k = vgs_kernels_current();
    layer_peaks p = {0.0, 0.0};
    const size_t iters = (size_t)1 << 22;
    volatile float sink = 0.0f;
    for (int r = 0; r < 5; r++) {
        const double t0 = bench_now_ms();
        sink += k->fma_peak(iters);
        const double g = iters * 12.0 * 2.0 * k->vector_width / ((bench_now_ms() - t0) * 1e6);
        if (g > p.gflops) p.gflops = g;
    }
    const size_t n = (size_t)64 << 20; /* floats: 256 MiB, far past every cache */
    float *buf = (float *)malloc(n * sizeof(float)), out;
    if (buf) {
        for (size_t i = 0; i < n; i++) buf[i] = 1.0f;
        for (int r = 0; r < 5; r++) {
            const double t0 = bench_now_ms();
            k->global_avgpool(1, n, buf, n, &out);
            sink += out;
            const double g = n * sizeof(float) / ((bench_now_ms() - t0) * 1e6);
            if (g > p.gbps) p.gbps = g;
        }
        free(buf);
    }
    (void)sink;
    return p;
}

/* ms[r * layers + i]: layer i's time in timed pass r. */
static void print_layers(vgs_net *net, const char *model, int threads, int batch, double *ms, int runs, int json,
                         layer_peaks pk)
{
    const size_t nl = vgs_net_num_layers(net);
    double *t = (double *)malloc((size_t)runs * sizeof *t), total_ms = 0.0, total_flops = 0.0;
    if (!t) return;
    if (!json) {
        printf("per layer (median of %d passes; peak %.1f GFLOP/s per core x %d thread%s, read bandwidth %.1f GB/s)\n",
               runs, pk.gflops, threads, threads == 1 ? "" : "s", pk.gbps);
        printf("  %3s %-30s %-14s %-28s %-16s %8s %8s %6s %7s %6s\n", "#", "layer", "kind", "kernel", "output", "ms",
               "GFLOP/s", "%peak", "GB/s", "%bw");
    }
    for (size_t i = 0; i < nl; i++) {
        vgs_layer_info li;
        if (vgs_net_layer_info(net, i, &li) != VGS_OK) break;
        for (int r = 0; r < runs; r++) t[r] = ms[(size_t)r * nl + i];
        const double m = bench_median(t, (size_t)runs), s = m > 0 ? m * 1e-3 : NAN;
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
