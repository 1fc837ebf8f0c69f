/* bench/bench_kernels.c — every kernel family on the shapes ShuffleNet V1 (g3 0.5x and 1.0x)
 * and V2 run them at, plus a large 1x1 (256 <- 256, 56x56), on every supported tier (the
 * GEMM as the runtime calls it: tasks of 48 rows x 256 pixels, with packing scratch): median
 * time, GFLOP/s (multiply-add = 2 flops), % of that tier's FMA peak (fma_peak, sampled
 * between the kernel's runs, so load on the machine hits both alike) and speed-up over the
 * scalar tier measured in the same (interleaved) run.  1 thread.  The depthwise and pooling
 * kernels run as the runtime calls them too: in blocks of ceil(4096 / output pixels) channels.
 * Arguments: substrings of the shape names to run (default: all; e.g. conv3x3).
 * Peak on this Zen4 core: ~116 GFLOP/s with 256- or 512-bit FMAs alike. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bench_common.h"
#include "vggshuffle.h"

#define RUNS 31

typedef struct shape {
    const char *what;
    int kind; /* 0 gemm, 1 dw s1, 2 dw s2, 3 stem conv s2, 4 avgpool, 5 maxpool, 6 fc, 7 softmax,
                 8 gemm reading B rows through b_index, 9 gemm storing C rows through c_index,
                 10 conv s1 (cin 3) */
    size_t a, b, c; /* gemm: m, n, k.  conv/pool: channels, h, w.  fc: n, k. softmax: n */
} shape;

static const shape shapes[] = {
    {"gemm 1x1 256<-256 56x56", 0, 256, 56 * 56, 256},
    {"gemm g3 1.0x s2 in (20<-80)", 0, 20, 28 * 28, 80},
    {"gemm g3 1.0x s2 out (80<-20)", 0, 80, 28 * 28, 20},
    {"gemm g3 1.0x s3 in (40<-160)", 0, 40, 14 * 14, 160},
    {"gemm g3 1.0x s3 out (160<-40)", 0, 160, 14 * 14, 40},
    {"gemm g3 1.0x s4 in (80<-320)", 0, 80, 7 * 7, 320},
    {"gemm g3 1.0x s4 out (320<-80)", 0, 320, 7 * 7, 80},
    {"gemm g3 1.0x first (60<-24)", 0, 60, 56 * 56, 24},
    {"gemm 1x1 stage2 (30<-120/3)", 0, 10, 28 * 28, 40},
    {"gemm 1x1 stage3 (240<-60/3)", 0, 80, 14 * 14, 20},
    {"gemm 1x1 stage4 (480<-120/3)", 0, 160, 7 * 7, 40},
    {"gemm V2 s1 28x28 (58<-58)", 0, 58, 28 * 28, 58},
    {"  same, b_index (odd planes)", 8, 58, 28 * 28, 58},
    {"  same, c_index (odd planes)", 9, 58, 28 * 28, 58},
    {"dwconv3x3s1 30x28x28", 1, 30, 28, 28},
    {"dwconv3x3s1 120x7x7", 1, 120, 7, 7},
    {"dwconv3x3s1 60x28x28", 1, 60, 28, 28},
    {"dwconv3x3s1 120x14x14", 1, 120, 14, 14},
    {"dwconv3x3s1 240x7x7", 1, 240, 7, 7},
    {"dwconv3x3s2 120x28x28", 2, 120, 28, 28},
    {"dwconv3x3s2 240x14x14", 2, 240, 14, 14},
    {"dwconv3x3s2 30x56x56", 2, 30, 56, 56},
    {"dwconv3x3s1 116x14x14 (V2)", 1, 116, 14, 14},
    {"dwconv3x3s1 232x7x7 (V2)", 1, 232, 7, 7},
    {"dwconv3x3s1 58x28x28 (V2)", 1, 58, 28, 28},
    {"dwconv3x3s2 116x28x28 (V2)", 2, 116, 28, 28},
    {"dwconv3x3s2 232x14x14 (V2)", 2, 232, 14, 14},
    {"conv3x3s2 stem 3->12 224", 3, 12, 224, 224},
    {"conv3x3s2 stem 3->24 224", 3, 24, 224, 224},
    {"conv3x3s1 VGG 3->64 224", 10, 64, 224, 224},
    {"conv3x3s1 3->64 56", 10, 64, 56, 56},
    {"maxpool3x3s2 12x112x112", 5, 12, 112, 112},
    {"avgpool3x3s2 120x28x28", 4, 120, 28, 28},
    {"avgpool3x3s2 240x28x28", 4, 240, 28, 28},
    {"avgpool3x3s2 480x14x14", 4, 480, 14, 14},
    {"maxpool3x3s2 24x112x112 (V2)", 5, 24, 112, 112},
    {"fc 1000x480", 6, 1000, 480, 0},
    {"softmax 1000", 7, 1000, 0, 0},
};

static double flops(const shape *s)
{
    switch (s->kind) {
    case 0: case 8: case 9: return 2.0 * s->a * s->b * s->c;
    case 1: return 18.0 * s->a * s->b * s->c;
    case 2: return 18.0 * s->a * ((s->b + 1) / 2) * ((s->c + 1) / 2);
    case 3: return 54.0 * s->a * ((s->b + 1) / 2) * ((s->c + 1) / 2);
    case 10: return 54.0 * s->a * s->b * s->c;
    case 4: case 5: return 9.0 * s->a * ((s->b + 1) / 2) * ((s->c + 1) / 2);
    case 6: return 2.0 * s->a * s->b;
    default: return 0;
    }
}

/* Plane p -> 2p + 1: the odd planes, as a ShuffleNet V2 unit's x2 after one unit. */
static int32_t odd_planes[256];
/* The GEMM's packing scratch (one thread), for k up to 512. */
static float gemm_scratch[VGS_GEMM_SCRATCH_FLOATS(512)];

static void run(const vgs_kernels *k, const shape *s, const float *x, const float *wt, float *y)
{
    const size_t hw = s->b * s->c;
    switch (s->kind) {
    case 0: case 8: case 9: { /* as the runtime calls it: its tasks (vgs_gemm_row_tasks / _share rows x
                                 VGS_GEMM_TASK_COLS columns), its order (wt read as packed
                                 weights: their values do not matter here) */
        const size_t tr = vgs_gemm_task_rows(s->a, s->b, s->c, 1, s->b, s->kind == 8), tc = VGS_GEMM_TASK_COLS;
        const size_t tasks = vgs_gemm_row_tasks(s->a, tr);
        for (size_t t = 0; t < tasks; t++) { /* whole blocks of rows in near-equal shares */
            size_t i0, i1;
            vgs_gemm_row_share(s->a, tasks, t, &i0, &i1);
            for (size_t j0 = 0; j0 < s->b; j0 += tc) {
                const size_t rows = i1 - i0, cols = s->b - j0 < tc ? s->b - j0 : tc;
                const int32_t *bi = s->kind == 8 ? odd_planes : NULL, *ci = s->kind == 9 ? odd_planes + i0 : NULL;
                k->gemm(rows, cols, s->c, wt + i0 * s->c, VGS_GEMM_PACK_ROWS * s->c, x + j0, s->b, bi, wt + i0, NULL, 0,
                        y + (ci ? 0 : i0 * s->b) + j0, s->b, ci, 0.0f, INFINITY, gemm_scratch);
            }
        }
        break;
    }
    case 1: case 2: case 4: case 5: { /* as the runtime calls them: blocks of 4096 output pixels' channels */
        const size_t ohw = s->kind == 1 ? hw : ((s->b + 1) / 2) * ((s->c + 1) / 2);
        const size_t block = (4096 + ohw - 1) / ohw;
        for (size_t c0 = 0; c0 < s->a; c0 += block) {
            const size_t cn = s->a - c0 < block ? s->a - c0 : block;
            const float *xc = x + c0 * hw;
            float *yc = y + c0 * ohw;
            if (s->kind == 1) k->dwconv3x3s1p1(cn, s->b, s->c, xc, hw, wt + 9 * c0, wt, yc, ohw, NULL, -INFINITY, INFINITY);
            if (s->kind == 2) k->dwconv3x3s2p1(cn, s->b, s->c, xc, hw, wt + 9 * c0, wt, yc, ohw, NULL, -INFINITY, INFINITY);
            if (s->kind == 4) k->avgpool3x3s2p1(cn, s->b, s->c, xc, hw, yc, ohw);
            if (s->kind == 5) k->maxpool3x3s2p1(cn, s->b, s->c, xc, hw, yc, ohw);
        }
        break;
    }
    case 3: case 10: { /* as the runtime calls it: tasks of <= 32 output channels x bands of >= 3136 pixels */
        const size_t oh = s->kind == 3 ? (s->b + 1) / 2 : s->b, ow = s->kind == 3 ? (s->c + 1) / 2 : s->c;
        const size_t blocks = (s->a + 31) / 32, block = ((s->a + blocks - 1) / blocks + 7) / 8 * 8;
        const size_t rows = (3136 + ow - 1) / ow;
        for (size_t c0 = 0; c0 < s->a; c0 += block) {
            const size_t cn = s->a - c0 < block ? s->a - c0 : block;
            for (size_t oy = 0; oy < oh; oy += rows)
                (s->kind == 3 ? k->conv3x3s2p1 : k->conv3x3s1p1)(3, cn, s->b, s->c, x, hw, wt + c0 * 27, wt + c0,
                                                                 y + c0 * oh * ow, oh * ow, 0.0f, INFINITY, oy, oy + rows);
        }
        break;
    }
    case 6: k->fc(s->a, s->b, wt, NULL, 1, x, s->b, y, s->a, -INFINITY, INFINITY); break;
    case 7: k->softmax(s->a, x, y); break;
    }
}

#ifdef VGS_BENCH_AB
/* A/B build (cc -DVGS_BENCH_AB ... tools/vggshuffle.c, see the header of kernels/lanes3x3.h):
 * every SIMD tier also runs the depthwise / pooling shapes with the small-plane path off, in
 * the same rounds; the old path's median and new / old follow each row, and whether the
 * two outputs are bit-identical. */
int vgs_bench_lanes_off, vgs_bench_narrow_off; /* the latter stays 0 here */
#endif

/* Whether shape s is selected: no arguments, or its name contains one of them. */
static int selected(const shape *s, int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strstr(s->what, argv[i])) return 1;
    return argc < 2;
}

int main(int argc, char **argv)
{
    const size_t big = 64 * 224 * 224 + 1000 * 480; /* the largest: VGG's first output */
    float *x = malloc(big * sizeof *x), *wt = malloc(big * sizeof *wt), *y = malloc(big * sizeof *y);
    for (int32_t i = 0; i < 256; i++) odd_planes[i] = 2 * i + 1;
    double peak[VGS_ISA_COUNT]; /* GFLOP/s: the median of the samples taken between the shapes' runs */
    double peak_t[VGS_ISA_COUNT][RUNS * 64];
    size_t npeak = 0;
    const size_t peak_iters = 20000;
    for (size_t i = 0; i < big; i++) x[i] = (float)((i * 7919) % 1000) / 1000.0f, wt[i] = 0.001f * (float)(i % 17);
    printf("%-30s", "kernel (median of 31)");
    for (int isa = 0; isa < VGS_ISA_COUNT; isa++)
        if (vgs_isa_supported((vgs_isa)isa)) printf(" | %-31s", vgs_isa_to_string((vgs_isa)isa));
    printf("\n");
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        const shape *s = &shapes[si];
        if (!selected(s, argc, argv)) continue;
        double t[VGS_ISA_COUNT][RUNS];
#ifdef VGS_BENCH_AB
        double t_old[VGS_ISA_COUNT][RUNS];
        int same[VGS_ISA_COUNT];
        const int ab = s->kind == 1 || s->kind == 2 || s->kind == 4 || s->kind == 5;
        for (int isa = 0; ab && isa < VGS_ISA_COUNT; isa++) {
            if (!vgs_isa_supported((vgs_isa)isa)) continue;
            const size_t ny = s->a * s->b * s->c; /* >= every output */
            vgs_bench_lanes_off = 1;
            memset(y, 0, ny * sizeof *y);
            run(vgs_kernels_for((vgs_isa)isa), s, x, wt, y);
            float *y_old = malloc(ny * sizeof *y_old);
            memcpy(y_old, y, ny * sizeof *y);
            vgs_bench_lanes_off = 0;
            memset(y, 0, ny * sizeof *y);
            run(vgs_kernels_for((vgs_isa)isa), s, x, wt, y);
            same[isa] = memcmp(y_old, y, ny * sizeof *y) == 0;
            free(y_old);
        }
#endif
        for (int r = -3; r < RUNS; r++) {
            for (int isa = 0; isa < VGS_ISA_COUNT; isa++) {
                if (!vgs_isa_supported((vgs_isa)isa)) continue;
                const vgs_kernels *k = vgs_kernels_for((vgs_isa)isa);
                /* repeat small kernels so one sample is >= ~0.2 ms */
                const int reps = 1 + (int)(4e5 / (flops(s) + 1e3));
                const double t0 = bench_now_ms();
                for (int i = 0; i < reps; i++) run(k, s, x, wt, y);
                if (r >= 0) t[isa][r] = (bench_now_ms() - t0) / reps;
#ifdef VGS_BENCH_AB
                if (ab && isa != VGS_ISA_SCALAR) {
                    vgs_bench_lanes_off = 1;
                    const double t1 = bench_now_ms();
                    for (int i = 0; i < reps; i++) run(k, s, x, wt, y);
                    if (r >= 0) t_old[isa][r] = (bench_now_ms() - t1) / reps;
                    vgs_bench_lanes_off = 0;
                }
#endif
                if (r >= 0 && r % 16 == 0 && npeak < RUNS * 64) {
                    const double p0 = bench_now_ms();
                    volatile float sink = k->fma_peak(peak_iters);
                    (void)sink;
                    peak_t[isa][npeak] = (bench_now_ms() - p0);
                }
            }
            if (r >= 0 && r % 16 == 0 && npeak < RUNS * 64) npeak++;
        }
        const double scalar = bench_median(t[VGS_ISA_SCALAR], RUNS);
        for (int isa = 0; isa < VGS_ISA_COUNT; isa++) {
            if (!vgs_isa_supported((vgs_isa)isa)) continue;
            double tmp[RUNS * 64];
            memcpy(tmp, peak_t[isa], npeak * sizeof *tmp);
            peak[isa] = 24.0 * (double)vgs_kernels_for((vgs_isa)isa)->vector_width * peak_iters / bench_median(tmp, npeak) * 1e-6;
        }
        printf("%-30s", s->what);
        for (int isa = 0; isa < VGS_ISA_COUNT; isa++) {
            if (!vgs_isa_supported((vgs_isa)isa)) continue;
            const double m = isa == VGS_ISA_SCALAR ? scalar : bench_median(t[isa], RUNS);
            printf(" | %8.4f ms %5.1f GF %3.0f%% x%-5.1f", m, flops(s) / m * 1e-6, 100.0 * flops(s) / m * 1e-6 / peak[isa],
                   scalar / m);
#ifdef VGS_BENCH_AB
            if (ab && isa != VGS_ISA_SCALAR) {
                const double mo = bench_median(t_old[isa], RUNS);
                printf(" old %8.4f ms new/old %.2f %s", mo, m / mo, same[isa] ? "bit-identical" : "DIFFERENT");
            }
#endif
        }
        printf("\n");
    }
    printf("%-30s", "fma_peak (GFLOP/s, median)");
    for (int isa = 0; isa < VGS_ISA_COUNT; isa++)
        if (vgs_isa_supported((vgs_isa)isa)) printf(" | %-31.1f", peak[isa]);
    printf("\n");
    free(x), free(wt), free(y);
    return 0;
}
