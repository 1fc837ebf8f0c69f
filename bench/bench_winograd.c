/* bench/bench_winograd.c — the Winograd 3x3 kernels (F(2,3), F(4,3), F(6,3)) against the
 * direct conv3x3s1p1 kernel on VGG16's 3x3 layer shapes, 1 thread, batch 1, on the current
 * tier (VGS_ISA=... to force one).  Reports the median time and the direct-equivalent
 * GFLOP/s, 2 * 9 * cin * cout * h * w / time, and its ratio to the FMA peak measured in this
 * process (a register-only FMA loop on the same tier), all measured in the same run,
 * interleaved.  Issue 8's target: >= 3.0x the FMA peak on VGG's 3x3 layers from conv2 on.
 *
 *   bench_winograd [--runs N] [--pool] [--no-direct]
 *
 * --pool times the kernels with the fused 2x2 max-pool (VGG's block-ending convolutions).
 * The weights are transformed once per shape (not timed); the scratch is allocated once.
 * Times are the thread's CPU time (CLOCK_THREAD_CPUTIME_ID), for the peak loop and the
 * kernels alike: on this shared 2-core machine the wall clock also counts the time slices of
 * other processes (caches stay shared, so the numbers are still noisy: compare within a run). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bench_common.h"
#include "vggshuffle.h"


#if defined(__x86_64__)
#include <immintrin.h>
/* 12 independent 8-wide FMA chains (more than latency x throughput = 4 x 2 on Zen 4);
 * noinline and returning the sums keeps them live without any asm barrier (an "+x" asm
 * operand on a __m256 costs the loop two thirds of its speed). */
__attribute__((target("avx2,fma"), noinline)) static float fma_loop_avx2(long iters)
{
    __m256 acc[12];
    for (int i = 0; i < 12; i++) acc[i] = _mm256_set1_ps((float)i * 1e-3f);
    const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
    for (long it = 0; it < iters; it++) {
#pragma GCC unroll 12
        for (int i = 0; i < 12; i++) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
    }
    float s = 0, t[8];
    for (int i = 0; i < 12; i++) {
        _mm256_storeu_ps(t, acc[i]);
        s += t[0];
    }
    return s;
}
#endif

/* One sample of the FMA peak of this core in GFLOP/s (2 flops per lane per FMA), ~5 ms;
 * taken once per round, between the kernels, so that it sees the same machine load. */
static double fma_peak_sample(void)
{
#if defined(__x86_64__)
    if (!vgs_isa_supported(VGS_ISA_AVX2)) return 0;
    const long iters = 1000 * 1000;
    const double t0 = bench_cpu_ms();
    const double sink = fma_loop_avx2(iters);
    const double ms = bench_cpu_ms() - t0;
    if (sink == 12345.0) printf(" ");
    return 2.0 * 8 * 12 * (double)iters / ms * 1e-6;
#else
    return 0;
#endif
}

typedef struct shape {
    const char *what;
    size_t c_in, c_out, hw;
} shape;

static const shape SHAPES[] = {
    {"conv1_2  64->64  224x224", 64, 64, 224},
    {"conv2_2 128->128 112x112", 128, 128, 112},
    {"conv3_x 256->256  56x56", 256, 256, 56},
    {"conv4_x 512->512  28x28", 512, 512, 28},
    {"conv5_x 512->512  14x14", 512, 512, 14},
};

int main(int argc, char **argv)
{
    int runs = 7, pool = 0, direct = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--runs") && i + 1 < argc) runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--pool")) pool = 1;
        else if (!strcmp(argv[i], "--no-direct")) direct = 0;
        else {
            fprintf(stderr, "usage: %s [--runs N] [--pool] [--no-direct]\n", argv[0]);
            return 2;
        }
    }
    if (runs < 1 || runs > 101) runs = 7;
    const vgs_kernels *K = vgs_kernels_current();
    printf("tier %s, 1 thread%s\n", vgs_isa_name(), pool ? "; Winograd with the fused 2x2 max-pool" : "");
    printf("direct-equivalent GFLOP/s = 2*9*cin*cout*h*w / time; xP = that / the FMA peak (median of the\n"
           "samples taken between the kernels of each shape); medians of %d\n", runs);
    printf("%-25s %6s | %-21s | %-21s | %-21s | %-21s\n", "layer", "peak", "direct conv3x3s1p1", "F(2,3)", "F(4,3)", "F(6,3)");
    const vgs_winograd3x3_fn fns[3] = {K->winograd3x3_f23, K->winograd3x3_f43, K->winograd3x3_f63};
    for (size_t si = 0; si < sizeof SHAPES / sizeof SHAPES[0]; si++) {
        const shape *s = &SHAPES[si];
        const size_t cin = s->c_in, cout = s->c_out, h = s->hw, w = s->hw, hw = h * w;
        float *x = malloc(cin * hw * sizeof *x), *y = malloc(cout * hw * sizeof *y);
        float *k = malloc(cout * cin * 9 * sizeof *k), *bias = malloc(cout * sizeof *bias);
        float *u[3], *scratch = malloc(vgs_winograd3x3_scratch_floats(6, cin) * sizeof(float) + 64);
        for (size_t i = 0; i < cin * hw; i++) x[i] = (float)((i * 7919) % 1000) / 1000.0f - 0.5f;
        for (size_t i = 0; i < cout * cin * 9; i++) k[i] = 0.01f * (float)((int)(i % 17) - 8);
        for (size_t i = 0; i < cout; i++) bias[i] = 0.01f * (float)(i % 5);
        for (int v = 0; v < 3; v++) {
            const int m = 2 * (v + 1);
            u[v] = malloc(vgs_winograd3x3_weights_floats(m, cout, cin) * sizeof(float));
            vgs_winograd3x3_transform_weights(m, cout, cin, k, u[v]);
        }
        double t[4][101], tp[101];
        for (int r = -1; r < runs; r++) {
            if (r >= 0) tp[r] = fma_peak_sample();
            for (int v = direct ? -1 : 0; v < 3; v++) {
                const double t0 = bench_cpu_ms();
                if (v < 0) {
                    K->conv3x3s1p1(cin, cout, h, w, x, hw, k, bias, y, hw, 0.0f, INFINITY, 0, SIZE_MAX);
                } else {
                    const int m = 2 * (v + 1);
                    fns[v](cin, cout, h, w, x, hw, u[v], bias, y, pool ? hw / 4 : hw, 0.0f, INFINITY, pool, 0,
                           vgs_winograd3x3_tile_rows(m, h), 0, cout, scratch);
                }
                if (r >= 0) t[v + 1][r] = bench_cpu_ms() - t0;
            }
        }
        const double flops = 2.0 * 9 * (double)cin * (double)cout * (double)hw;
        const double peak = bench_median(tp, (size_t)runs);
        printf("%-25s %6.1f", s->what, peak);
        for (int v = 0; v < 4; v++) {
            if (v == 0 && !direct) {
                printf(" | %-21s", "-");
                continue;
            }
            const double ms = bench_median(t[v], (size_t)runs), gf = flops / ms * 1e-6;
            printf(" | %7.2f ms %4.0f xP%.2f", ms, gf, peak > 0 ? gf / peak : 0.0);
        }
        printf("\n");
        fflush(stdout);
        for (int v = 0; v < 3; v++) free(u[v]);
        free(x), free(y), free(k), free(bias), free(scratch);
    }
    return 0;
}
