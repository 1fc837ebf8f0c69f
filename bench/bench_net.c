/* bench/bench_net.c — forward time of whole networks on every supported ISA tier, 1 thread.
 *
 *   bench_net [--runs R] MODEL=WEIGHTS.safetensors ...
 *
 * The tiers are interleaved run by run (scalar, avx2, avx512, scalar, ...) so that machine
 * noise hits them alike; reports the median per tier and its speed-up over the scalar tier
 * measured in the same run. */
#include <stdio.h>
#include <string.h>

#include "bench_common.h"
#include "vggshuffle.h"

#define MAX_RUNS 1000

static int bench_model(const char *model, const char *weights, int runs)
{
    vgs_net *net;
    if (vgs_net_create(model, weights, NULL, &net) != VGS_OK) {
        fprintf(stderr, "bench_net: %s\n", vgs_last_error());
        return 1;
    }
    int c, h, w;
    vgs_net_input_shape(net, &c, &h, &w);
    const size_t img = (size_t)c * h * w, ncls = (size_t)vgs_net_num_classes(net);
    float *x = malloc(img * sizeof *x), *y = malloc(ncls * sizeof *y);
    for (size_t i = 0; i < img; i++) x[i] = (float)((i * 2654435761u) % 256);
    static double t[VGS_ISA_COUNT][MAX_RUNS];
    const vgs_isa before = vgs_isa_current();
    for (int r = -2; r < runs; r++) { /* two warm-up rounds */
        for (int isa = 0; isa < VGS_ISA_COUNT; isa++) {
            if (vgs_isa_force((vgs_isa)isa) != VGS_OK) continue;
            const double t0 = bench_now_ms();
            vgs_net_forward(net, x, 1, y, ncls);
            if (r >= 0) t[isa][r] = bench_now_ms() - t0;
        }
    }
    vgs_isa_force(before);
    const double scalar = bench_median(t[VGS_ISA_SCALAR], (size_t)runs);
    printf("%-24s batch 1, 1 thread, median of %d runs\n", model, runs);
    for (int isa = 0; isa < VGS_ISA_COUNT; isa++) {
        if (!vgs_isa_supported((vgs_isa)isa)) continue;
        const double m = isa == VGS_ISA_SCALAR ? scalar : bench_median(t[isa], (size_t)runs);
        printf("  %-7s %8.3f ms   x%.2f vs scalar\n", vgs_isa_to_string((vgs_isa)isa), m, scalar / m);
    }
    free(x), free(y);
    vgs_net_destroy(net);
    return 0;
}

int main(int argc, char **argv)
{
    int runs = 30, rc = 0, any = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--runs") && i + 1 < argc) {
            runs = atoi(argv[++i]);
            if (runs < 1 || runs > MAX_RUNS) runs = 30;
            continue;
        }
        char model[128];
        const char *eq = strchr(argv[i], '=');
        if (!eq || (size_t)(eq - argv[i]) >= sizeof model) {
            fprintf(stderr, "usage: bench_net [--runs R] MODEL=WEIGHTS.safetensors ...\n");
            return 2;
        }
        memcpy(model, argv[i], (size_t)(eq - argv[i]));
        model[eq - argv[i]] = 0;
        rc |= bench_model(model, eq + 1, runs);
        any = 1;
    }
    if (!any) fprintf(stderr, "usage: bench_net [--runs R] MODEL=WEIGHTS.safetensors ...\n");
    return any ? rc : 2;
}
