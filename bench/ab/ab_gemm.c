/* bench/ab/ab_gemm.c — two builds of the GEMM (tools/ab.sh --gemm: A and B, bench/ab/variant.c)
 * on the ShuffleNets' 1x1 shapes, hot in cache, in one process, their calls interleaved: per
 * shape the medians of A and B and the median over rounds of B / A, and whether the outputs
 * are bit-identical.  Each shape twice: gemm_packed over panels packed once (the tile loop
 * alone) and gemm with its scratch (packing included where the kernel packs).  The shapes
 * are the nets' calls (m rows <- k input channels x n pixels; "idx": B read through an index,
 * as ShuffleNet V2's split); 208 columns is a 28x28 task's share (bench/README.md).
 *   ab_gemm ROUNDS */
#include "../bench_common.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vggshuffle.h"

const void *abA_kernels(void), *abB_kernels(void);
void abA_pack_a(size_t m, size_t k, const float *a, size_t a_stride, float *packed, size_t dst_stride);

static float *floats(size_t n) /* 64-byte aligned, as the runtime's arena */
{
    return aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64);
}

#define AB_ROUNDS_MAX 501

int main(int argc, char **argv)
{
    const int rounds = argc > 1 ? atoi(argv[1]) : 31;
    if (rounds < 1 || rounds > AB_ROUNDS_MAX) {
        fprintf(stderr, "ab_gemm: rounds 1..%d\n", AB_ROUNDS_MAX);
        return 2;
    }
    const vgs_kernels *ka = abA_kernels(), *kb = abB_kernels();
    const struct { size_t m, k, n; int idx; } shapes[] = {
        {176, 176, 196, 1}, {176, 176, 196, 0}, {352, 352, 49, 1}, {1024, 464, 49, 0}, {88, 88, 208, 1},
        {88, 88, 256, 1},   {116, 116, 196, 1}, {244, 244, 196, 1}, {120, 40, 196, 0}, {256, 256, 256, 0},
    };
    printf("A %s, B %s; %d rounds; us per call (medians), B / A median [quartiles]\n", ka->gemm_name, kb->gemm_name,
           rounds);
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        const size_t m = shapes[s].m, k = shapes[s].k, n = shapes[s].n;
        float *a = floats(m * k), *pa = floats(VGS_GEMM_PACKED_A_FLOATS(m, k)), *b = floats(k * n);
        float *bias = floats(m), *panels = floats(VGS_GEMM_PANEL_FLOATS(n, k)), *scratch = floats(VGS_GEMM_SCRATCH_FLOATS(k));
        float *c[2] = {floats(m * n), floats(m * n)};
        int32_t *bi = malloc(k * sizeof *bi);
        for (size_t p = 0; p < k; p++) bi[p] = (int32_t)(k - 1 - p);
        /* A centred on 0, so that about half the outputs are positive after the ReLU clamp
         * (A = i*7 % 13 / 13 - 0.5 averaged -0.04: with k >= 176 every output of most shapes
         * was clamped to 0, and "identical" compared zeros) */
        for (size_t i = 0; i < m * k; i++) a[i] = (float)((long)((i * 7) % 13) - 6) / 13.0f;
        for (size_t i = 0; i < k * n; i++) b[i] = (float)((i * 5) % 11) / 11.0f;
        for (size_t i = 0; i < m; i++) bias[i] = 0.125f;
        abA_pack_a(m, k, a, k, pa, VGS_GEMM_PACK_ROWS * k); /* the layout both GEMMs read */
        const int32_t *ix = shapes[s].idx ? bi : NULL;
        ka->gemm_pack_b(n, k, 0, SIZE_MAX, b, n, ix, panels);
        const int reps = (int)(2e7 / (2.0 * m * n * k)) + 1;
        for (int mode = 0; mode < 2; mode++) {
            static double t[2][AB_ROUNDS_MAX], ratio[AB_ROUNDS_MAX];
            for (int r = 0; r < rounds; r++) {
                for (int q = 0; q < 2; q++) {
                    const int v = (r & 1) ^ q; /* A B, then B A, ... */
                    const vgs_kernels *kk = v ? kb : ka;
                    const double t0 = bench_now_ms();
                    for (int i = 0; i < reps; i++) {
                        if (mode == 0)
                            kk->gemm_packed(m, n, k, pa, VGS_GEMM_PACK_ROWS * k, panels, bias, NULL, 0, c[v], n, NULL, 0.0f,
                                            INFINITY);
                        else
                            kk->gemm(m, n, k, pa, VGS_GEMM_PACK_ROWS * k, b, n, ix, bias, NULL, 0, c[v], n, NULL, 0.0f,
                                     INFINITY, scratch);
                    }
                    t[v][r] = (bench_now_ms() - t0) / reps * 1e3;
                }
                ratio[r] = t[1][r] / t[0][r];
            }
            const int same = memcmp(c[0], c[1], m * n * sizeof(float)) == 0;
            qsort(t[0], (size_t)rounds, sizeof(double), bench_cmp);
            qsort(t[1], (size_t)rounds, sizeof(double), bench_cmp);
            qsort(ratio, (size_t)rounds, sizeof(double), bench_cmp);
            printf("%-13s %4zu <- %4zu x %4zu%s: A %8.2f  B %8.2f  B/A %.3f [%.3f-%.3f]  %s\n",
                   mode ? "gemm" : "gemm_packed", m, k, n, shapes[s].idx ? " idx" : "    ", t[0][rounds / 2],
                   t[1][rounds / 2], ratio[rounds / 2], ratio[rounds / 4], ratio[3 * rounds / 4],
                   same ? "identical" : "OUTPUTS DIFFER");
        }
        free(a), free(pa), free(b), free(bias), free(panels), free(scratch), free(c[0]), free(c[1]), free(bi);
    }
    return 0;
}
