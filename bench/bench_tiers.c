/* bench/bench_tiers.c — the AVX-512 tier against the AVX2 tier, every kernel family but the
 * GEMM, on the shapes ShuffleNet V1 (g3, g8: 0.5x, 1.0x, 2.0x) and V2 (x0.5 .. x2.0) run them
 * at, VGG16's pools, FC and first convolution, and probes around them (plane sizes 7 .. 56,
 * non-square planes): is the wider tier ever slower (issue 11)?  1 thread.  The kernels are
 * called as the runtime calls them (vggshuffle.h, vgs__task_run): channel-wise layers in
 * blocks of ceil(4096 / output pixels) channels (VGS__TASK_PIXELS; rounded up to 16 at stride
 * 1 and past 32, VGS__TASK_LANES), FC in tasks of 64
 * outputs, direct conv3x3 in blocks of <= 32 channels x bands of >= 3136 pixels.
 *
 * Per shape: ROUNDS rounds, each running every variant once (one sample = enough repeats
 * for ~0.1-0.5 ms), the order rotating per round; the medians, their ratio, and the median
 * of the per-round ratios avx512 / avx2 ("paired": load on the machine hits both alike).
 * "=" marks outputs bit-identical between the two tiers, "~" not (FC, softmax and the
 * global pool sum in another order at another width).
 *
 *   build/bench/bench_tiers [ROUNDS] [SUBSTR]      SUBSTR: only shapes whose name or net has it
 *   build/bench/bench_tiers calls OP [ROUNDS]      OP: avgpool, dwconv, maxpool (stride 2) or
 *       dwconv1 (stride 1): the paired ratio by plane (12x12 .. 28x28) and channels a call
 *       (252 channels in calls of c = 8 .. 84: whole groups and tails of every size)
 *
 * The AVX-512 tier is the table vgs_kernels_for gives: on a processor that runs 512-bit
 * operations in two halves (AMD Zen 4) the one whose calls hand the shapes where AVX-512
 * measured slower to AVX2 whole (arch/avx512/halves.h, where this program's figures on Zen 4
 * are); `VGS_AVX512_HALVES=0 build/bench/bench_tiers` runs the other one there (the AVX-512
 * kernels' own rules), which is how those figures were taken.
 *
 * A/B build: the AVX-512 tier also with its narrow rules off (VGS__NARROW_ON, see
 * kernels/lanes3x3.h and pool2x2.h), in the same rounds: two more columns, its median and
 * paired ratio to avx2 (the tier as it was without them):
 *   cc -O3 -DVGS_BENCH_AB -I. bench/bench_tiers.c -lsleef -lm -lpthread -o bench_tiers_ab */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bench_common.h"
#ifdef VGS_BENCH_AB /* the implementation in this file, its benchmark switches ours */
#define VGS_IMPLEMENTATION
int vgs_bench_lanes_off, vgs_bench_narrow_off;
#endif
#include "vggshuffle.h"

#define ROUNDS 31
#define MAX_ROUNDS 1001
enum { DW1, DW2, AVG, MAX, GAVG, FC, SOFTMAX, STEM, CONV1, MAX2 };
static const char *const kind_name[] = {"dwconv3x3s1", "dwconv3x3s2", "avgpool3x3s2", "maxpool3x3s2", "gavgpool",
                                        "fc",          "softmax",     "conv3x3s2",    "conv3x3s1",    "maxpool2x2"};
typedef struct shape {
    int kind;
    size_t c, h, w; /* channels x h x w; fc: c outputs, h inputs; softmax: c */
    const char *net;
} shape;
static shape shapes[256];
static int n_shapes;

static void add(int kind, size_t c, size_t h, size_t w, const char *net)
{
    for (int i = 0; i < n_shapes; i++)
        if (shapes[i].kind == kind && shapes[i].c == c && shapes[i].h == h && shapes[i].w == w) return;
    if (n_shapes < (int)(sizeof shapes / sizeof shapes[0])) shapes[n_shapes++] = (shape){kind, c, h, w, net};
}

static void add_shapes(void)
{
    /* V2: stages 2..4 of out channels, branches of out / 2; the stride-2 unit's dwconvs on its
     * input and on branch 2's mid, at the stage's input plane (56, 28, 14); then stride 1 */
    static const size_t v2[4][3] = {{48, 96, 192}, {116, 232, 464}, {176, 352, 704}, {244, 488, 976}};
    static const char *const v2_name[4] = {"V2 x0.5", "V2 x1.0", "V2 x1.5", "V2 x2.0"};
    for (int i = 0; i < 4; i++) {
        size_t in = 24, hw = 56;
        for (int s = 0; s < 3; s++) {
            add(DW2, in, hw, hw, v2_name[i]);
            add(DW2, v2[i][s] / 2, hw, hw, v2_name[i]);
            hw = (hw + 1) / 2;
            add(DW1, v2[i][s] / 2, hw, hw, v2_name[i]);
            in = v2[i][s];
        }
    }
    /* V1: stages of out, 2 out, 4 out channels, bottleneck out / 4; the stride-2 unit
     * average-pools its input (the stem's channels, then the stage before's) */
    static const size_t v1[6][2] = {{120, 12}, {240, 24}, {480, 48}, {192, 16}, {384, 24}, {768, 48}};
    static const char *const v1_name[6] = {"V1 g3 0.5x", "V1 g3 1.0x", "V1 g3 2.0x",
                                           "V1 g8 0.5x", "V1 g8 1.0x", "V1 g8 2.0x"};
    for (int i = 0; i < 6; i++) {
        size_t in = v1[i][1], hw = 56;
        for (int s = 0; s < 3; s++) {
            const size_t out = v1[i][0] << s;
            add(DW2, out / 4, hw, hw, v1_name[i]);
            add(AVG, in, hw, hw, v1_name[i]);
            hw = (hw + 1) / 2;
            add(DW1, out / 4, hw, hw, v1_name[i]);
            in = out;
        }
    }
    /* stems: conv3x3s2 3 -> c at 224; the max-pool unfused (112 x 112) and fused (vggshuffle.h
     * vgs__conv_pool_task: bands of 28 or 29 convolution rows of 112 columns) */
    static const size_t stem[4] = {12, 16, 24, 48};
    for (int i = 0; i < 4; i++) {
        add(STEM, stem[i], 224, 224, "stem");
        add(MAX, stem[i], 112, 112, "stem unfused");
        add(MAX, stem[i], 28, 112, "stem fused band");
        add(MAX, stem[i], 29, 112, "stem fused band");
    }
    /* heads: global pool at 7x7, FC 1000 x channels (VGG16's three FCs too), softmax */
    static const size_t head[11] = {192, 464, 480, 704, 768, 960, 976, 1024, 1536, 1920, 2048};
    for (int i = 0; i < 11; i++) add(GAVG, head[i], 7, 7, "head");
    for (int i = 0; i < 11; i++) add(FC, 1000, head[i], 1, "head");
    add(FC, 1000, 4096, 1, "VGG");
    add(FC, 4096, 4096, 1, "VGG");
    add(FC, 4096, 25088, 1, "VGG");
    add(SOFTMAX, 1000, 1, 1, "head");
    /* VGG16: the first convolution (direct), the 2x2 pools' planes */
    add(CONV1, 64, 224, 224, "VGG");
    static const size_t vgg[5][2] = {{64, 224}, {128, 112}, {256, 56}, {512, 28}, {512, 14}};
    for (int i = 0; i < 5; i++) add(MAX2, vgg[i][0], vgg[i][1], vgg[i][1], "VGG");
    /* probes: square planes around the nets' (the small-plane path ends at 28x28), then
     * non-square ones (which side matters) */
    static const size_t sq[12] = {12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 56};
    for (int i = 0; i < 12; i++) {
        add(DW2, 120, sq[i], sq[i], "probe");
        add(AVG, 240, sq[i], sq[i], "probe");
        add(MAX, 240, sq[i], sq[i], "probe");
        add(DW1, 120, sq[i], sq[i], "probe");
        add(MAX2, 128, sq[i], sq[i], "probe");
        add(GAVG, 256, sq[i], sq[i], "probe");
    }
    add(MAX2, 64, 64, 64, "probe");
    add(MAX2, 64, 60, 60, "probe");
    add(MAX, 240, 7, 7, "probe");
    add(AVG, 240, 7, 7, "probe");
    add(DW2, 240, 7, 7, "probe");
    static const size_t rect[8][2] = {{28, 14}, {14, 28}, {28, 16}, {16, 28}, {12, 24}, {24, 12}, {28, 18}, {18, 28}};
    for (int i = 0; i < 8; i++) {
        add(DW2, 120, rect[i][0], rect[i][1], "rect");
        add(AVG, 240, rect[i][0], rect[i][1], "rect");
        add(MAX2, 128, rect[i][0], rect[i][1], "rect");
    }
}

static float *x, *wt, *y;
static int32_t y_index[4096]; /* the identity: the dwconvs store through an index, as in V1 */

/* Output floats of shape s (>= what run() writes). */
static size_t out_floats(const shape *s)
{
    return s->kind == FC || s->kind == SOFTMAX || s->kind == GAVG ? s->c : s->c * s->h * s->w;
}

static void run(const vgs_kernels *k, const shape *s)
{
    const size_t hw = s->h * s->w;
    const size_t oh = s->kind == DW1 || s->kind == CONV1 ? s->h : (s->h + 1) / 2;
    const size_t ow = s->kind == DW1 || s->kind == CONV1 ? s->w : (s->w + 1) / 2;
    switch (s->kind) {
    case DW1: case DW2: case AVG: case MAX: {
        const size_t ohw = oh * ow, b0 = (4096 + ohw - 1) / ohw;
        const size_t block = s->kind == DW1 || b0 > 32 ? (b0 + 15) / 16 * 16 : b0; /* VGS__TASK_LANES */
        for (size_t c0 = 0; c0 < s->c; c0 += block) {
            const size_t cn = s->c - c0 < block ? s->c - c0 : block;
            const float *xc = x + c0 * hw;
            if (s->kind == DW1) k->dwconv3x3s1p1(cn, s->h, s->w, xc, hw, wt + 9 * c0, wt, y, ohw, y_index + c0, 0.0f, INFINITY);
            if (s->kind == DW2) k->dwconv3x3s2p1(cn, s->h, s->w, xc, hw, wt + 9 * c0, wt, y, ohw, y_index + c0, 0.0f, INFINITY);
            if (s->kind == AVG) k->avgpool3x3s2p1(cn, s->h, s->w, xc, hw, y + c0 * ohw, ohw);
            if (s->kind == MAX) k->maxpool3x3s2p1(cn, s->h, s->w, xc, hw, y + c0 * ohw, ohw);
        }
        break;
    }
    case GAVG: case MAX2: { /* blocks of ceil(4096 / input pixels) channels */
        const size_t block = (4096 + hw - 1) / hw;
        for (size_t c0 = 0; c0 < s->c; c0 += block) {
            const size_t cn = s->c - c0 < block ? s->c - c0 : block;
            if (s->kind == GAVG) k->global_avgpool(cn, hw, x + c0 * hw, hw, y + c0);
            else k->maxpool2x2s2(cn, s->h, s->w, x + c0 * hw, hw, y + c0 * (hw / 4), hw / 4);
        }
        break;
    }
    case FC:
        for (size_t o0 = 0; o0 < s->c; o0 += 64) {
            const size_t on = s->c - o0 < 64 ? s->c - o0 : 64;
            k->fc(on, s->h, wt + o0 * s->h, wt, 1, x, s->h, y + o0, s->c, -INFINITY, INFINITY);
        }
        break;
    case SOFTMAX: k->softmax(s->c, x, y); break;
    case STEM: case CONV1: {
        const size_t blocks = (s->c + 31) / 32, block = ((s->c + blocks - 1) / blocks + 7) / 8 * 8;
        const size_t rows = (3136 + ow - 1) / ow;
        for (size_t c0 = 0; c0 < s->c; c0 += block) {
            const size_t cn = s->c - c0 < block ? s->c - c0 : block;
            for (size_t oy = 0; oy < oh; oy += rows)
                (s->kind == STEM ? k->conv3x3s2p1 : k->conv3x3s1p1)(3, cn, s->h, s->w, x, hw, wt + c0 * 27, wt + c0,
                                                                    y + c0 * oh * ow, oh * ow, 0.0f, INFINITY, oy, oy + rows);
        }
        break;
    }
    }
}

/* About the work of one run (sizes the repeats of a sample). */
static double work(const shape *s)
{
    const double hw = (double)s->h * s->w, o2 = (double)((s->h + 1) / 2) * ((s->w + 1) / 2);
    switch (s->kind) {
    case DW1: return 18 * s->c * hw;
    case DW2: return 18 * s->c * o2;
    case AVG: case MAX: return 9 * s->c * o2;
    case GAVG: case MAX2: return s->c * hw;
    case FC: return 2.0 * s->c * s->h;
    case SOFTMAX: return 20.0 * s->c;
    case STEM: return 54 * s->c * o2;
    default: return 54 * s->c * hw;
    }
}

/* `calls OP`: 252 channels of each plane in calls of c channels, per round every variant
 * once; prints the paired ratios (A/B build: "new|without the rules"). */
static int calls(const char *opname, int rounds, int nv, const vgs_kernels *k2, const vgs_kernels *k5)
{
    static const char *const ops[4] = {"avgpool", "dwconv", "maxpool", "dwconv1"};
    int op = -1;
    for (int i = 0; i < 4; i++)
        if (!strcmp(opname, ops[i])) op = i;
    if (op < 0) return printf("bench_tiers calls: OP is avgpool, dwconv, maxpool or dwconv1\n"), 2;
    static const size_t P2[8] = {12, 16, 18, 20, 22, 24, 26, 28}, P1[3] = {12, 14, 16}; /* stride 1: <= 256 outputs */
    static const size_t C[12] = {8, 16, 21, 25, 29, 32, 37, 42, 51, 64, 68, 84};
    const size_t *P = op == 3 ? P1 : P2, np = op == 3 ? 3 : 8, total = 252;
    printf("%s, stride %d: avx512 / avx2%s, paired medians of %d rounds; planes x channels a call\n     ", ops[op],
           op == 3 ? 1 : 2, nv == 3 ? " (with | without the narrow rules)" : "", rounds);
    for (int j = 0; j < 12; j++) printf(nv == 3 ? " %11zu" : " %5zu", C[j]);
    printf("\n");
    static double t[3][MAX_ROUNDS], r[2][MAX_ROUNDS];
    for (size_t i = 0; i < np; i++) {
        const size_t h = P[i], hw = h * h, ohw = op == 3 ? hw : ((h + 1) / 2) * ((h + 1) / 2);
        printf("%2zux%2zu", h, h);
        for (int j = 0; j < 12; j++) {
            for (int rd = -3; rd < rounds; rd++) {
                for (int o = 0; o < nv; o++) {
                    const int v = (rd + 3 + o) % nv;
                    const vgs_kernels *k = v ? k5 : k2;
#ifdef VGS_BENCH_AB
                    vgs_bench_narrow_off = v == 2;
#endif
                    const double t0 = bench_now_ms();
                    for (int rep = 0; rep < 3; rep++)
                        for (size_t c0 = 0; c0 < total; c0 += C[j]) {
                            const size_t cn = total - c0 < C[j] ? total - c0 : C[j];
                            const float *xc = x + c0 * hw;
                            float *yc = y + c0 * ohw;
                            if (op == 0) k->avgpool3x3s2p1(cn, h, h, xc, hw, yc, ohw);
                            if (op == 1) k->dwconv3x3s2p1(cn, h, h, xc, hw, wt + 9 * c0, wt, yc, ohw, NULL, 0.0f, INFINITY);
                            if (op == 2) k->maxpool3x3s2p1(cn, h, h, xc, hw, yc, ohw);
                            if (op == 3) k->dwconv3x3s1p1(cn, h, h, xc, hw, wt + 9 * c0, wt, yc, ohw, NULL, 0.0f, INFINITY);
                        }
                    if (rd >= 0) t[v][rd] = bench_now_ms() - t0;
                }
                if (rd >= 0)
                    for (int v = 1; v < nv; v++) r[v - 1][rd] = t[v][rd] / t[0][rd];
            }
            printf(" %5.2f", bench_median(r[0], (size_t)rounds));
            if (nv == 3) printf("|%5.2f", bench_median(r[1], (size_t)rounds));
            fflush(stdout);
        }
        printf("\n");
    }
    return 0;
}

int main(int argc, char **argv)
{
    const int sweep = argc > 2 && !strcmp(argv[1], "calls");
    int rounds = argc > 1 + 2 * sweep ? atoi(argv[1 + 2 * sweep]) : ROUNDS;
    if (rounds < 1 || rounds > MAX_ROUNDS) rounds = ROUNDS;
    const char *only = !sweep && argc > 2 ? argv[2] : NULL;
    const vgs_kernels *k2 = vgs_kernels_for(VGS_ISA_AVX2), *k5 = vgs_kernels_for(VGS_ISA_AVX512);
    if (!k2 || !k5 || !vgs_isa_supported(VGS_ISA_AVX2) || !vgs_isa_supported(VGS_ISA_AVX512)) {
        printf("bench_tiers: needs both the avx2 and the avx512 tier on this CPU and build\n");
        return 0;
    }
    add_shapes();
    const size_t nw = (size_t)4096 * 25088 + 64, nx = (size_t)64 * 224 * 224 + 64; /* VGG16's FC1 weights; its first layer's output */
    x = malloc(nx * sizeof *x), wt = malloc(nw * sizeof *wt), y = malloc(nx * sizeof *y);
    if (!x || !wt || !y) return 1;
    for (size_t i = 0; i < nx; i++) x[i] = (float)((i * 7919) % 1000) / 1000.0f - 0.3f;
    for (size_t i = 0; i < nw; i++) wt[i] = 0.001f * (float)(i % 17);
    for (int32_t i = 0; i < 4096; i++) y_index[i] = i;
#ifdef VGS_BENCH_AB
    const int nv = 3; /* avx2, avx512, avx512 with its narrow rules off */
#else
    const int nv = 2;
#endif
    if (sweep) {
        const int rc = calls(argv[2], rounds, nv, k2, k5);
        free(x), free(wt), free(y);
        return rc;
    }
    printf("avx512: the table for processors that %s 512-bit operations in two halves (vgs_x86_avx512_halves() = %d;"
           " VGS_AVX512_HALVES=0|1 picks the other)\n",
           vgs_x86_avx512_halves() ? "run" : "do not run", vgs_x86_avx512_halves());
    printf("%-13s %-16s %5s %5s %4s | %9s %9s | %6s %6s |%s\n", "kernel", "net", "c", "h", "w", "avx2 ms", "avx512 ms",
           "ratio", "paired", nv == 3 ? " avx512 without the narrow rules: ms, paired ratio to avx2" : "");
    static double t[3][MAX_ROUNDS], r[2][MAX_ROUNDS];
    for (int si = 0; si < n_shapes; si++) {
        const shape *s = &shapes[si];
        char name[64];
        snprintf(name, sizeof name, "%s %zux%zux%zu", kind_name[s->kind], s->c, s->h, s->w);
        if (only && !strstr(name, only) && !strstr(s->net, only)) continue;
        const size_t ny = out_floats(s);
        float *y2 = malloc(ny * sizeof *y2);
        memset(y, 0, ny * sizeof *y);
        run(k2, s);
        memcpy(y2, y, ny * sizeof *y);
        memset(y, 0, ny * sizeof *y);
        run(k5, s);
        const int same = memcmp(y2, y, ny * sizeof *y) == 0;
        free(y2);
        const int reps = 1 + (int)(1e6 / (work(s) + 1e3));
        for (int rd = -3; rd < rounds; rd++) { /* 3 warm-up rounds */
            for (int o = 0; o < nv; o++) {
                const int v = (rd + 3 + o) % nv;
#ifdef VGS_BENCH_AB
                vgs_bench_narrow_off = v == 2;
#endif
                const double t0 = bench_now_ms();
                for (int i = 0; i < reps; i++) run(v ? k5 : k2, s);
                if (rd >= 0) t[v][rd] = (bench_now_ms() - t0) / reps;
            }
            if (rd >= 0)
                for (int v = 1; v < nv; v++) r[v - 1][rd] = t[v][rd] / t[0][rd];
        }
        const double m2 = bench_median(t[0], (size_t)rounds), m5 = bench_median(t[1], (size_t)rounds);
        const double p5 = bench_median(r[0], (size_t)rounds);
        printf("%-13s %-16s %5zu %5zu %4zu | %9.4f %9.4f | %6.3f %6.3f |", kind_name[s->kind], s->net, s->c, s->h, s->w,
               m2, m5, m5 / m2, p5);
        if (nv == 3) printf(" %9.4f %6.3f |", bench_median(t[2], (size_t)rounds), bench_median(r[1], (size_t)rounds));
        printf(" %s%s\n", same ? "=" : "~", p5 > 1.05 ? " avx512 slower" : "");
        fflush(stdout);
    }
    free(x), free(wt), free(y);
    return 0;
}
