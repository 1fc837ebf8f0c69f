/* bench/bench_net.c — whole networks: forward time for every thread count x batch size (x FC
 * weight storage x tier) asked for, interleaved run by run so that machine noise hits them alike.
 *
 *   bench_net [--runs R] [--threads 1,2] [--batch 1,8] [--fc-weights f32,bf16,f16]
 *             [--isa best|all] [--layers] [--markdown] MODEL=WEIGHTS.safetensors ...
 *
 * Each combination is its own net (num_threads, max_batch = batch, fc_weights).  Reports per
 * combination the median time of one pass, per image, images/s, the images/s relative to the
 * first combination (1 thread, batch 1 by default) measured in the same run, and the memory
 * the net holds (vgs_net_memory_size: weights as stored, workspace, scratch).
 * --layers: then each combination's per-layer table (examples/layer_table.h: medians of the
 * same runs, against the FMA peak and read bandwidth measured first).
 * --markdown: the summary as Markdown table rows (model, isa, threads, batch, FC weights, ms per
 * pass, ms per image, images/s, MiB, and the command that measures that row alone), for
 * bench/README.md (tools/bench_table.sh makes the whole table). */
#include <stdio.h>
#include <string.h>

#include "bench_common.h"
#include "vggshuffle.h"

#include "../examples/layer_table.h"

#define MAX_RUNS 1000
#define MAX_CFG 32

typedef struct cfg {
    int threads, batch, fc;
    vgs_isa isa;
    vgs_net *net;
    double t[MAX_RUNS];
    double *lms; /* --layers: lms[r * layers + i], layer i's time in run r */
} cfg;

/* What main parsed. */
typedef struct opts {
    int runs, nt, nb, nf, all_isas, layers, markdown;
    int threads[8], batch[8], fc[3];
} opts;

static const char *fc_name(int fc) { return fc == VGS_FC_F16 ? "f16" : fc == VGS_FC_BF16 ? "bf16" : "f32"; }

static int parse_list(const char *s, int *v, int max)
{
    int n = 0;
    while (*s && n < max) {
        char *end;
        const long x = strtol(s, &end, 10);
        if (end == s || x < 1 || x > 4096) return 0;
        v[n++] = (int)x;
        s = *end == ',' ? end + 1 : end;
        if (*end && *end != ',') return 0;
    }
    return n;
}

static void free_cfgs(cfg *c, int n)
{
    for (int k = 0; k < n; k++) vgs_net_destroy(c[k].net), free(c[k].lms);
}

static int bench_model(const char *model, const char *weights, const opts *p, layer_peaks pk)
{
    static cfg c[MAX_CFG];
    const int runs = p->runs;
    int n = 0, rc = 0, maxb = 1;
    for (int isa = 0; isa < VGS_ISA_COUNT; isa++) {
        if (!vgs_isa_supported((vgs_isa)isa) || (!p->all_isas && isa != (int)vgs_isa_current())) continue;
        for (int i = 0; i < p->nt; i++) {
            for (int j = 0; j < p->nb; j++) {
                for (int f = 0; f < p->nf && n < MAX_CFG; f++, n++) {
                    vgs_net_options o;
                    memset(&o, 0, sizeof o);
                    o.num_threads = p->threads[i], o.max_batch = p->batch[j], o.fc_weights = p->fc[f];
                    memset(&c[n], 0, sizeof c[n]);
                    c[n].threads = p->threads[i], c[n].batch = p->batch[j], c[n].fc = p->fc[f], c[n].isa = (vgs_isa)isa;
                    if (p->batch[j] > maxb) maxb = p->batch[j];
                    if (vgs_net_create(model, weights, &o, &c[n].net) != VGS_OK) {
                        fprintf(stderr, "bench_net: %s\n", vgs_last_error());
                        free_cfgs(c, n);
                        return 1;
                    }
                    const size_t nl = vgs_net_num_layers(c[n].net);
                    if (p->layers && !(c[n].lms = (double *)malloc((size_t)runs * (nl ? nl : 1) * sizeof(double)))) {
                        fprintf(stderr, "bench_net: out of memory\n");
                        free_cfgs(c, n + 1);
                        return 1;
                    }
                }
            }
        }
    }
    int ch, h, w;
    vgs_net_input_shape(c[0].net, &ch, &h, &w);
    const size_t img = (size_t)ch * h * w, ncls = (size_t)vgs_net_num_classes(c[0].net);
    float *x = malloc(img * maxb * sizeof *x), *y = malloc(ncls * maxb * sizeof *y);
    if (!x || !y) {
        fprintf(stderr, "bench_net: out of memory\n");
        rc = 1;
    }
    for (size_t i = 0; !rc && i < img * maxb; i++) x[i] = (float)((i * 2654435761u) % 256);
    const vgs_isa before = vgs_isa_current();
    for (int r = -2; !rc && r < runs; r++) { /* two warm-up rounds */
        for (int k = 0; k < n; k++) {
            vgs_isa_force(c[k].isa);
            if (n > 1) { /* as if this net ran alone: the others' workers asleep, its own awake */
                bench_let_pools_sleep();
                vgs_net_forward(c[k].net, x, (size_t)c[k].batch, y, ncls * c[k].batch);
            }
            const double t0 = bench_now_ms();
            vgs_net_forward(c[k].net, x, (size_t)c[k].batch, y, ncls * c[k].batch);
            if (r >= 0) c[k].t[r] = bench_now_ms() - t0;
            const size_t nl = vgs_net_num_layers(c[k].net);
            for (size_t i = 0; r >= 0 && c[k].lms && i < nl; i++) {
                vgs_layer_info li;
                vgs_net_layer_info(c[k].net, i, &li);
                c[k].lms[(size_t)r * nl + i] = li.ms;
            }
        }
    }
    vgs_isa_force(before);
    for (int k = 0; !rc && p->layers && k < n; k++) {
        vgs_isa_force(c[k].isa); /* the kernel names of that tier */
        printf("%s, %s, %d thread%s, batch %d, FC weights %s: ", model, vgs_isa_to_string(c[k].isa), c[k].threads,
               c[k].threads == 1 ? "" : "s", c[k].batch, fc_name(c[k].fc));
        print_layers(c[k].net, model, c[k].threads, c[k].batch, c[k].lms, runs, 0, pk);
        vgs_isa_force(before);
    }
    if (!rc && p->markdown) {
        for (int k = 0; k < n; k++) {
            const double m = bench_median(c[k].t, (size_t)runs);
            printf("| %s | %s | %d | %d | %s | %.3f | %.3f | %.1f | %.1f | `bench_net --runs %d --threads %d --batch %d%s "
                   "%s=WEIGHTS` |\n", model, vgs_isa_to_string(c[k].isa), c[k].threads, c[k].batch, fc_name(c[k].fc), m,
                   m / c[k].batch, 1e3 * c[k].batch / m, vgs_net_memory_size(c[k].net) / 1048576.0, runs, c[k].threads,
                   c[k].batch, c[k].fc == VGS_FC_F16 ? " --fc-weights f16" : c[k].fc == VGS_FC_BF16 ? " --fc-weights bf16" : "",
                   model);
        }
    } else if (!rc) {
        printf("%s: median of %d interleaved runs\n", model, runs);
        printf("  %-7s %7s %5s %4s %10s %10s %9s %8s %10s %10s\n", "isa", "threads", "batch", "fc", "ms/pass", "ms/image",
               "images/s", "x first", "memory MiB", "workspace");
        double base = 0.0;
        for (int k = 0; k < n; k++) {
            const double m = bench_median(c[k].t, (size_t)runs), ips = 1e3 * c[k].batch / m;
            if (k == 0) base = ips;
            printf("  %-7s %7d %5d %4s %10.3f %10.3f %9.1f %8.2f %10.1f %10.1f\n", vgs_isa_to_string(c[k].isa), c[k].threads,
                   c[k].batch, fc_name(c[k].fc), m, m / c[k].batch, ips, ips / base, vgs_net_memory_size(c[k].net) / 1048576.0,
                   vgs_net_workspace_size(c[k].net) / 1048576.0);
        }
    }
    free_cfgs(c, n);
    free(x), free(y);
    return rc;
}

static int usage(void)
{
    fprintf(stderr, "usage: bench_net [--runs R] [--threads 1,2] [--batch 1,8] [--fc-weights f32,bf16,f16]\n"
                    "                 [--isa best|all] [--layers] [--markdown] MODEL=WEIGHTS.safetensors ...\n");
    return 2;
}

/* Up to three of "f32", "bf16", "f16", comma-separated: their count (0 on an error). */
static int parse_fc(const char *s, int *fc)
{
    int n = 0;
    while (*s && n < 3) {
        const size_t len = strcspn(s, ",");
        if (len == 3 && !strncmp(s, "f32", 3)) fc[n++] = VGS_FC_F32;
        else if (len == 4 && !strncmp(s, "bf16", 4)) fc[n++] = VGS_FC_BF16;
        else if (len == 3 && !strncmp(s, "f16", 3)) fc[n++] = VGS_FC_F16;
        else return 0;
        s += len + (s[len] == ',');
    }
    return *s ? 0 : n;
}

int main(int argc, char **argv)
{
    opts p = {30, 2, 2, 1, 0, 0, 0, {1, 2}, {1, 8}, {VGS_FC_F32, VGS_FC_F32, VGS_FC_F32}};
    int rc = 0, any = 0;
    layer_peaks pk = {0.0, 0.0};
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && !strcmp(argv[i], "--runs")) {
            p.runs = atoi(argv[++i]);
            if (p.runs < 1 || p.runs > MAX_RUNS) return usage();
            continue;
        }
        if (i + 1 < argc && !strcmp(argv[i], "--threads")) {
            if (!(p.nt = parse_list(argv[++i], p.threads, 8))) return usage();
            continue;
        }
        if (i + 1 < argc && !strcmp(argv[i], "--batch")) {
            if (!(p.nb = parse_list(argv[++i], p.batch, 8))) return usage();
            continue;
        }
        if (i + 1 < argc && !strcmp(argv[i], "--fc-weights")) {
            if (!(p.nf = parse_fc(argv[++i], p.fc))) return usage();
            continue;
        }
        if (i + 1 < argc && !strcmp(argv[i], "--isa")) {
            p.all_isas = !strcmp(argv[++i], "all");
            continue;
        }
        if (!strcmp(argv[i], "--layers") || !strcmp(argv[i], "--markdown")) {
            if (argv[i][2] == 'l' && !p.layers) pk = measure_peaks();
            *(argv[i][2] == 'l' ? &p.layers : &p.markdown) = 1;
            continue;
        }
        char model[128];
        const char *eq = strchr(argv[i], '=');
        if (!eq || (size_t)(eq - argv[i]) >= sizeof model) return usage();
        memcpy(model, argv[i], (size_t)(eq - argv[i]));
        model[eq - argv[i]] = 0;
        rc |= bench_model(model, eq + 1, &p, pk);
        any = 1;
    }
    return any ? rc : usage();
}
