/* bench/bench_net.c — whole networks: forward time for every thread count x batch size (x tier)
 * asked for, interleaved run by run so that machine noise hits them alike.
 *
 *   bench_net [--runs R] [--threads 1,2] [--batch 1,8] [--isa best|all] MODEL=WEIGHTS.safetensors ...
 *
 * Each (threads, batch) pair is its own net (num_threads, max_batch = batch).  Reports per
 * pair the median time of one pass, per image, images/s, and the images/s relative to the
 * first pair (1 thread, batch 1 by default) measured in the same run. */
#include <stdio.h>
#include <string.h>

#include "bench_common.h"
#include "vggshuffle.h"

#define MAX_RUNS 1000
#define MAX_CFG 32

typedef struct cfg {
    int threads, batch;
    vgs_isa isa;
    vgs_net *net;
    double t[MAX_RUNS];
} cfg;

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

static int bench_model(const char *model, const char *weights, int runs, const int *threads, int nt,
                       const int *batch, int nb, int all_isas)
{
    static cfg c[MAX_CFG];
    int n = 0, rc = 0, maxb = 1;
    for (int isa = 0; isa < VGS_ISA_COUNT; isa++) {
        if (!vgs_isa_supported((vgs_isa)isa) || (!all_isas && isa != (int)vgs_isa_current())) continue;
        for (int i = 0; i < nt; i++) {
            for (int j = 0; j < nb && n < MAX_CFG; j++, n++) {
                vgs_net_options o;
                memset(&o, 0, sizeof o);
                o.num_threads = threads[i], o.max_batch = batch[j];
                c[n].threads = threads[i], c[n].batch = batch[j], c[n].isa = (vgs_isa)isa;
                if (batch[j] > maxb) maxb = batch[j];
                if (vgs_net_create(model, weights, &o, &c[n].net) != VGS_OK) {
                    fprintf(stderr, "bench_net: %s\n", vgs_last_error());
                    for (int k = 0; k < n; k++) vgs_net_destroy(c[k].net);
                    return 1;
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
            const double t0 = bench_now_ms();
            vgs_net_forward(c[k].net, x, (size_t)c[k].batch, y, ncls * c[k].batch);
            if (r >= 0) c[k].t[r] = bench_now_ms() - t0;
        }
    }
    vgs_isa_force(before);
    if (!rc) {
        printf("%s: median of %d interleaved runs (workspace %.1f MiB at batch 1)\n", model, runs,
               vgs_net_workspace_size(c[0].net) / 1048576.0);
        printf("  %-7s %7s %5s %10s %10s %9s %8s\n", "isa", "threads", "batch", "ms/pass", "ms/image", "images/s", "x first");
        double base = 0.0;
        for (int k = 0; k < n; k++) {
            const double m = bench_median(c[k].t, (size_t)runs), ips = 1e3 * c[k].batch / m;
            if (k == 0) base = ips;
            printf("  %-7s %7d %5d %10.3f %10.3f %9.1f %8.2f\n", vgs_isa_to_string(c[k].isa), c[k].threads, c[k].batch, m,
                   m / c[k].batch, ips, ips / base);
        }
    }
    for (int k = 0; k < n; k++) vgs_net_destroy(c[k].net);
    free(x), free(y);
    return rc;
}

static int usage(void)
{
    fprintf(stderr, "usage: bench_net [--runs R] [--threads 1,2] [--batch 1,8] [--isa best|all] MODEL=WEIGHTS.safetensors ...\n");
    return 2;
}

int main(int argc, char **argv)
{
    int runs = 30, rc = 0, any = 0, all = 0, threads[8] = {1, 2}, batch[8] = {1, 8}, nt = 2, nb = 2;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && !strcmp(argv[i], "--runs")) {
            runs = atoi(argv[++i]);
            if (runs < 1 || runs > MAX_RUNS) return usage();
            continue;
        }
        if (i + 1 < argc && !strcmp(argv[i], "--threads")) {
            if (!(nt = parse_list(argv[++i], threads, 8))) return usage();
            continue;
        }
        if (i + 1 < argc && !strcmp(argv[i], "--batch")) {
            if (!(nb = parse_list(argv[++i], batch, 8))) return usage();
            continue;
        }
        if (i + 1 < argc && !strcmp(argv[i], "--isa")) {
            all = !strcmp(argv[++i], "all");
            continue;
        }
        char model[128];
        const char *eq = strchr(argv[i], '=');
        if (!eq || (size_t)(eq - argv[i]) >= sizeof model) return usage();
        memcpy(model, argv[i], (size_t)(eq - argv[i]));
        model[eq - argv[i]] = 0;
        rc |= bench_model(model, eq + 1, runs, threads, nt, batch, nb, all);
        any = 1;
    }
    return any ? rc : usage();
}
