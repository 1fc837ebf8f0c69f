/* bench/bench_layout.c — would a blocked channel layout (NC8HW8) pay inside ShuffleNet?
 * (issue 11, item 3: "the choice measured, not assumed").  AVX2 only (exits 0 with a note
 * elsewhere); 1 thread; medians of interleaved rounds (the order rotating) in one process.
 * Run: build/bench/bench_layout [rounds]  (default 101; `meson test -C build --benchmark`).
 *
 * For one stride-1 unit per stage (1x1 -> depthwise 3x3 -> 1x1) it times, on the same data:
 *   NCHW    the library as the runtime runs it: vgs_kernels_for(AVX2), GEMM tasks of 48 rows
 *           x 256 pixels with packing scratch; V1's shuffle in the depthwise store (y_index),
 *           the residual in the second GEMM; V2's x2 read through b_index and the branch
 *           stored through c_index (odd planes, as after a stride-2 unit).
 *   NC8HW8  a prototype written here: channel c of pixel p at x[(c/8)*HW*8 + p*8 + c%8].
 *     1x1   tiles of R pixels x 8*NV output channels (NV = 2, R = 6; NV = 3, R = 4; NV = 1,
 *           R = 12: 12 accumulators), per input channel NV weight vectors (packed once,
 *           outside the timing) and R broadcasts.  An input channel's address comes from a
 *           table (block*HW*8 + lane), so a group's inputs, V1's shuffle and V2's x2 are
 *           gathers without extra instructions; output channels are lanes, so each group's
 *           outputs are padded to whole blocks.  The last pixel tile overlaps the one before
 *           (7x7 = 49 pixels: 9 tiles of 6, no masking).
 *     dw    each output pixel one vector of 8 channels, 9 taps, weights in registers; rows
 *           outside the plane read a zero row, the first and last columns take 6 taps.
 *     V2    concat + shuffle fused into the second 1x1's store: branch channel j and x1's
 *           channel j go to lanes 2j + 1 and 2j (unpack + permute), the output in logical
 *           order; x1 is copied (NCHW leaves it in place).
 *   hybrid  NCHW between layers, the depthwise layer transposing its planes to NC8HW8 and
 *           back around the blocked kernel (an upper bound of doing that in registers).
 *   conv    NCHW <-> NC8HW8 (8x8 transposes) of the unit's input; the net's boundary: the
 *           stem's 24 x 56 x 56 (the global pool can read NC8HW8 as it is).
 * The outputs are compared (max |diff|; NC8HW8 converted back): 0 on every shape but 7x7
 * (~6e-8: the library's GEMM sums a row's last column, the 49th pixel, in 4 chains), the same
 * FMA chains in the same order elsewhere.  GFLOP/s count useful FLOPs only (padded lanes not
 * counted).
 *
 * Measured (Zen4 VM, 4-6 other processes on its 2 cores; 3 runs of 101 rounds; NC8HW8 / NCHW
 * unit time, hybrid / NCHW in brackets), against the GEMM as it was before its weights were
 * packed (commit 1afde17):
 *   V1 g3 1.0x  28x28 0.88-0.91 (1.12-1.27)  14x14 0.78-0.84 (0.94-1.08)  7x7 0.75-0.81 (0.92-1.06)
 *   V2 x1.0     28x28 0.90-0.92 (0.94-0.98)  14x14 0.76-0.84 (0.89-0.93)  7x7 0.71-0.73 (0.87-0.89)
 *   V1 g3 0.5x  28x28 0.93-0.96 (0.94-0.96)  14x14 0.68-0.71 (0.89-0.91)  7x7 0.64-0.76 (0.84-0.94)
 *   V1 g8 1.0x  28x28 1.04-1.07 (1.31-1.59)  14x14 0.77-0.83 (0.94-1.20)  7x7 0.75-0.83 (0.88-1.01)
 *   the 13 stride-1 units of a net: V1 g3 1.0x 0.81-0.83 (saving 0.71-0.97 ms), V2 0.78-0.83
 *   (0.60-0.63 ms), g3 0.5x 0.73-0.79, g8 1.0x 0.83-0.89; the boundary costs ~0.009 ms.
 * Where it comes from: the depthwise layer (NCHW 4-24 GFLOP/s, 4-10 on 7x7 planes of one
 * vector a row; NC8HW8 21-67, every vector full): 0.02-0.04 ms a unit, half the gain or
 * more.  The 1x1s are level or a little faster (7x7: no 1-column tail) except where lanes
 * are padded (bottleneck groups not whole blocks: g3 1.0x 20 a group -> 24, g3 0.5x 10 -> 16,
 * g8 1.0x 12 -> 16 at 28x28), where K is small and gathered (g8's second 1x1: 12 inputs a
 * group, each one lane of another block: ~20-25 vs 35-44 GFLOP/s) and V2's second 1x1 (the
 * copy of x1: 0.7-0.85x NCHW's speed).  Per-unit conversions (0.02-0.2 ms each way)
 * cost more than a unit gains: a blocked layout pays only kept across the net.
 * Against the GEMM with packed weights, B packed from k >= 200 and the 1-column tail (06f846c;
 * 2 runs under `chrt -f 50`): V1 g3 1.0x 28x28 0.84-0.86, 14x14 0.82-0.86, 7x7 0.91; V2 x1.0
 * 0.90-0.91, 0.79-0.83, 0.86-0.88; g3 0.5x 0.95-0.99, 0.76-0.77, 0.77-0.90; g8 1.0x 1.01-1.04,
 * 0.81-0.85, 0.87-0.90; the 13 units of a net 0.82-0.88 (V1 g3 1.0x 0.85-0.86, saving 0.60-0.67
 * ms; V2 0.84-0.86, 0.46-0.48 ms).  The 7x7 gap closed most: the NCHW GEMM's weights no longer
 * stream as six rows, and its one-column tail is cheap. */
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "bench_common.h"
#include "vggshuffle.h"

#define AVX2 __attribute__((target("avx2,fma")))
#define INLINE static inline __attribute__((always_inline, target("avx2,fma")))
#define TASK_ROWS 48
#define TASK_COLS 256
#define BLK_COLS 256 /* NC8HW8 1x1: pixels a chunk (96 and 48 were no faster) */

static size_t up8(size_t c) { return (c + 7) / 8 * 8; }

/* ---- NC8HW8 1x1: one tile of R pixels x NV vectors of output channels ------------------- */
/* x: input at the tile's first pixel; off[p]: input channel p's offset; w: k x NV*8 packed
 * weights; y, r: output / residual at the tile's first pixel and first block (blocks bs
 * floats apart).  v2x1 (V2): y is the unit's output, r its input x1 (same lanes as the
 * branch channels); branch j and x1 j are stored interleaved to lanes 2j + 1, 2j. */
INLINE void tile1x1(int NV, int R, size_t k, const float *x, const int32_t *off, const float *w,
                    const float *bias, const float *r, float *y, size_t bs, int v2x1, size_t yblocks)
{
    __m256 acc[12];
#pragma GCC unroll 12
    for (int i = 0; i < R; i++)
#pragma GCC unroll 3
        for (int v = 0; v < NV; v++) acc[i * NV + v] = _mm256_load_ps(bias + 8 * v);
    for (size_t p = 0; p < k; p++, w += 8 * NV) {
        const float *xp = x + off[p];
        __asm__("" : "+r"(xp)); /* one register: the R broadcasts below are xp + constant */
        __m256 wv[3];
#pragma GCC unroll 3
        for (int v = 0; v < NV; v++) wv[v] = _mm256_load_ps(w + 8 * v);
#pragma GCC unroll 12
        for (int i = 0; i < R; i++) {
            const __m256 b = _mm256_broadcast_ss(xp + 8 * i);
#pragma GCC unroll 3
            for (int v = 0; v < NV; v++) acc[i * NV + v] = _mm256_fmadd_ps(b, wv[v], acc[i * NV + v]);
        }
    }
    const __m256 zero = _mm256_setzero_ps();
#pragma GCC unroll 12
    for (int i = 0; i < R; i++) {
        if (NV == 2 && v2x1 && r) { /* NV == 2: x1 lanes j0..j0+15 and branch j0..j0+15 -> 4 output blocks */
#pragma GCC unroll 2
            for (int v = 0; v < 2; v++) {
                const __m256 a = _mm256_load_ps(r + v * bs + 8 * i), b = _mm256_max_ps(zero, acc[i * 2 + v]);
                const __m256 lo = _mm256_unpacklo_ps(a, b), hi = _mm256_unpackhi_ps(a, b);
                if (2 * v < (int)yblocks) _mm256_store_ps(y + 2 * v * bs + 8 * i, _mm256_permute2f128_ps(lo, hi, 0x20));
                if (2 * v + 1 < (int)yblocks) _mm256_store_ps(y + (2 * v + 1) * bs + 8 * i, _mm256_permute2f128_ps(lo, hi, 0x31));
            }
            continue;
        }
#pragma GCC unroll 3
        for (int v = 0; v < NV; v++) {
            __m256 s = acc[i * NV + v];
            if (r) s = _mm256_add_ps(s, _mm256_load_ps(r + v * bs + 8 * i));
            _mm256_store_ps(y + v * bs + 8 * i, _mm256_max_ps(zero, s)); /* ReLU; NaN stays NaN */
        }
    }
}

/* A packed 1x1 layer: per group, tiles of NV blocks of output channels. */
typedef struct tile_t { int nv; size_t yblock; const float *w, *bias; const int32_t *off; size_t k; } tile_t;
typedef struct blocked1x1 { size_t ntiles, hw; tile_t t[128]; float *mem; int v2; } blocked1x1;

/* Rows of NV tiles, pixels [j0, j1) of n (the last tile of the plane overlapping the one before). */
#define TILE_LOOP(NV, R)                                                                                    \
    for (size_t j = j0; j < j1; j += R) {                                                                   \
        const size_t js = j + R > n ? n - R : j;                                                            \
        tile1x1(NV, R, t->k, x + js * 8, t->off, t->w, t->bias, r ? r + rb + js * 8 : NULL,                 \
                y + yb + js * 8, bs, L->v2, yblocks);                                                       \
    }

AVX2 static void blocked1x1_run(const blocked1x1 *L, const float *x, const float *r, float *y, size_t yblocks_total)
{
    const size_t n = L->hw, bs = n * 8;
    for (size_t j0 = 0; j0 < n; j0 += BLK_COLS) {
        const size_t j1 = j0 + BLK_COLS < n ? j0 + BLK_COLS : n;
        for (size_t ti = 0; ti < L->ntiles; ti++) {
            const tile_t *t = &L->t[ti];
            /* V2: branch blocks b -> output blocks 2b, 2b+1 (x1 at r's same blocks) */
            const size_t yb = (L->v2 ? 2 * t->yblock : t->yblock) * bs, rb = t->yblock * bs;
            const size_t yblocks = L->v2 ? yblocks_total - 2 * t->yblock : 0;
            if (t->nv == 2) { TILE_LOOP(2, 6) }
            else if (t->nv == 3) { TILE_LOOP(3, 4) }
            else { TILE_LOOP(1, 12) }
        }
    }
}

/* Pack groups g of a 1x1 (OI weights wt: cout x cin/g, bias): output channel o of group gi to
 * padded channel gi*mp + o%m (mp = m rounded up to 8, or 16 with v2); input channel p of
 * group gi read at physical channel in_ch[gi*k + p] of a tensor with hw pixels. */
static void blocked1x1_pack(blocked1x1 *L, size_t g, size_t cout, size_t cin, size_t hw, const float *wt,
                            const float *bias, const int32_t *in_ch, int v2)
{
    const size_t m = cout / g, k = cin / g, mp = v2 ? (m + 15) / 16 * 16 : up8(m), bl = mp / 8;
    L->hw = hw, L->v2 = v2, L->ntiles = 0;
    L->mem = aligned_alloc(64, (g * mp * (k + 1) * sizeof(float) + g * k * sizeof(int32_t) + 63) / 64 * 64);
    float *w = L->mem;
    int32_t *off = (int32_t *)(L->mem + g * mp * (k + 1));
    for (size_t gi = 0; gi < g; gi++) {
        for (size_t p = 0; p < k; p++) {
            const size_t c = (size_t)in_ch[gi * k + p];
            off[gi * k + p] = (int32_t)((c / 8) * hw * 8 + c % 8);
        }
        for (size_t b = 0; b < bl;) { /* tiles of 2 blocks; 3 where 3 are left; 1 for a last odd one */
            const int nv = bl - b == 3 ? 3 : bl - b >= 2 ? 2 : 1;
            tile_t *t = &L->t[L->ntiles++];
            t->nv = nv, t->yblock = gi * bl + b, t->k = k, t->off = off + gi * k;
            float *tb = w, *tw = w + 8 * nv;
            for (int l = 0; l < 8 * nv; l++) {
                const size_t o = b * 8 + (size_t)l; /* channel of the group, >= m: padding */
                tb[l] = o < m ? bias[gi * m + o] : 0.0f;
                for (size_t p = 0; p < k; p++) tw[p * 8 * nv + (size_t)l] = o < m ? wt[(gi * m + o) * k + p] : 0.0f;
            }
            t->bias = tb, t->w = tw;
            w += 8 * nv * (k + 1), b += (size_t)nv;
        }
    }
}

/* ---- NC8HW8 depthwise 3x3, stride 1, padding 1, no activation ---------------------------- */
static float zero_row[8 * 64] __attribute__((aligned(64)));

AVX2 static void blocked_dw3x3(size_t blocks, size_t h, size_t w, const float *x, const float *k /* 9 x 8 a block */,
                               const float *bias, float *y)
{
    const size_t bs = h * w * 8;
    for (size_t b = 0; b < blocks; b++, x += bs, y += bs, k += 72, bias += 8) {
        __m256 kv[9];
        for (int t = 0; t < 9; t++) kv[t] = _mm256_load_ps(k + 8 * t);
        const __m256 b0 = _mm256_load_ps(bias);
        for (size_t oy = 0; oy < h; oy++) {
            const float *r0 = oy ? x + (oy - 1) * w * 8 : zero_row, *r1 = x + oy * w * 8;
            const float *r2 = oy + 1 < h ? x + (oy + 1) * w * 8 : zero_row;
            float *yo = y + oy * w * 8;
            /* first column: taps kx = 1, 2 */
            __m256 s = _mm256_fmadd_ps(kv[1], _mm256_load_ps(r0), b0);
            s = _mm256_fmadd_ps(kv[2], _mm256_load_ps(r0 + 8), s);
            s = _mm256_fmadd_ps(kv[4], _mm256_load_ps(r1), s);
            s = _mm256_fmadd_ps(kv[5], _mm256_load_ps(r1 + 8), s);
            s = _mm256_fmadd_ps(kv[7], _mm256_load_ps(r2), s);
            _mm256_store_ps(yo, _mm256_fmadd_ps(kv[8], _mm256_load_ps(r2 + 8), s));
            for (size_t ox = 1; ox + 1 < w; ox++) {
                const size_t c = (ox - 1) * 8;
                s = _mm256_fmadd_ps(kv[0], _mm256_load_ps(r0 + c), b0);
                s = _mm256_fmadd_ps(kv[1], _mm256_load_ps(r0 + c + 8), s);
                s = _mm256_fmadd_ps(kv[2], _mm256_load_ps(r0 + c + 16), s);
                s = _mm256_fmadd_ps(kv[3], _mm256_load_ps(r1 + c), s);
                s = _mm256_fmadd_ps(kv[4], _mm256_load_ps(r1 + c + 8), s);
                s = _mm256_fmadd_ps(kv[5], _mm256_load_ps(r1 + c + 16), s);
                s = _mm256_fmadd_ps(kv[6], _mm256_load_ps(r2 + c), s);
                s = _mm256_fmadd_ps(kv[7], _mm256_load_ps(r2 + c + 8), s);
                _mm256_store_ps(yo + c + 8, _mm256_fmadd_ps(kv[8], _mm256_load_ps(r2 + c + 16), s));
            }
            const size_t c = (w - 2) * 8; /* last column: taps kx = 0, 1 */
            s = _mm256_fmadd_ps(kv[0], _mm256_load_ps(r0 + c), b0);
            s = _mm256_fmadd_ps(kv[1], _mm256_load_ps(r0 + c + 8), s);
            s = _mm256_fmadd_ps(kv[3], _mm256_load_ps(r1 + c), s);
            s = _mm256_fmadd_ps(kv[4], _mm256_load_ps(r1 + c + 8), s);
            s = _mm256_fmadd_ps(kv[6], _mm256_load_ps(r2 + c), s);
            _mm256_store_ps(yo + c + 8, _mm256_fmadd_ps(kv[7], _mm256_load_ps(r2 + c + 8), s));
        }
    }
}

/* ---- NCHW <-> NC8HW8 ------------------------------------------------------------------------ */
INLINE void transpose8(__m256 r[8])
{
    __m256 t[8], u[8];
    for (int i = 0; i < 4; i++) {
        t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 2; i++) {
        for (int j = 0; j < 2; j++) {
            u[4 * i + 2 * j] = _mm256_shuffle_ps(t[4 * i + j], t[4 * i + j + 2], 0x44);
            u[4 * i + 2 * j + 1] = _mm256_shuffle_ps(t[4 * i + j], t[4 * i + j + 2], 0xEE);
        }
    }
    for (int i = 0; i < 4; i++) {
        r[i] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x20);
        r[i + 4] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x31);
    }
}

/* dir 0: NCHW (c planes of hw) -> NC8HW8 (pad lanes 0); dir 1: back.  Channel i's plane is
 * plane[i] (NULL: i), as the library's y_index. */
AVX2 __attribute__((noinline)) static void convert(int dir, size_t c, size_t hw, float *nchw, float *blk,
                                                   const int32_t *plane)
{
    for (size_t b = 0; b < up8(c) / 8; b++) {
        float *pb = blk + b * hw * 8, *pn[8];
        const size_t nc = c - 8 * b < 8 ? c - 8 * b : 8;
        for (size_t l = 0; l < nc; l++) pn[l] = nchw + (plane ? (size_t)plane[8 * b + l] : 8 * b + l) * hw;
        size_t j = 0;
        for (; nc == 8 && j + 8 <= hw; j += 8) {
            __m256 r[8];
            for (int i = 0; i < 8; i++) r[i] = dir ? _mm256_load_ps(pb + (j + i) * 8) : _mm256_loadu_ps(pn[i] + j);
            transpose8(r);
            for (int i = 0; i < 8; i++) {
                if (dir) _mm256_storeu_ps(pn[i] + j, r[i]);
                else _mm256_store_ps(pb + (j + i) * 8, r[i]);
            }
        }
        for (float *q = pb + j * 8; j < hw; j++, q += 8) { /* pixels past the last 8; padded lanes zeroed */
            for (size_t l = 0; l < nc; l++) {
                if (dir) pn[l][j] = q[l];
                else q[l] = pn[l][j];
            }
            for (size_t l = nc; !dir && l < 8; l++) q[l] = 0.0f;
        }
    }
}

/* ---- the units -------------------------------------------------------------------------------- */
/* units: the net's stride-1 units of this shape (stages of 4, 8, 4 units, the first stride 2) */
typedef struct shape { const char *name; int v2, fam; size_t c, mid, g, h, units; } shape;
static const char *const fams[] = {"V1 g3 1.0x", "V2 x1.0", "V1 g3 0.5x", "V1 g8 1.0x"};
#define NFAMS (sizeof fams / sizeof fams[0])
static const shape shapes[] = {
    {"V1 g3 1.0x 28x28 240/60", 0, 0, 240, 60, 3, 28, 3},    {"V1 g3 1.0x 14x14 480/120", 0, 0, 480, 120, 3, 14, 7},
    {"V1 g3 1.0x 7x7 960/240", 0, 0, 960, 240, 3, 7, 3},     {"V2 x1.0 28x28 116/58", 1, 1, 116, 58, 1, 28, 3},
    {"V2 x1.0 14x14 232/116", 1, 1, 232, 116, 1, 14, 7},     {"V2 x1.0 7x7 464/232", 1, 1, 464, 232, 1, 7, 3},
    /* groups whose bottleneck is not whole blocks: g3 0.5x 10 a group at 28x28, g8 1.0x 12 */
    {"V1 g3 0.5x 28x28 120/30", 0, 2, 120, 30, 3, 28, 3},    {"V1 g3 0.5x 14x14 240/60", 0, 2, 240, 60, 3, 14, 7},
    {"V1 g3 0.5x 7x7 480/120", 0, 2, 480, 120, 3, 7, 3},     {"V1 g8 1.0x 28x28 384/96", 0, 3, 384, 96, 8, 28, 3},
    {"V1 g8 1.0x 14x14 768/192", 0, 3, 768, 192, 8, 14, 7},  {"V1 g8 1.0x 7x7 1536/384", 0, 3, 1536, 384, 8, 7, 3},
};
#define NSHAPES (sizeof shapes / sizeof shapes[0])

typedef struct unit {
    const shape *s;
    size_t hw, cin1, cout2; /* conv1: cin1 -> mid (groups g); conv2: mid -> cout2 */
    float *w1, *b1, *wd, *bd, *w2, *b2;
    float *pw1, *pw2; /* w1, w2 packed per group for the library's GEMM (vgs_gemm_pack_a) */
    int32_t *x2_planes, *dw_store, *in1, *in2; /* NCHW b_index / c_index, dw y_index; blocked gathers */
    float *x, *t1, *t2, *y, *scratch;           /* NCHW */
    float *bx, *bt1, *bt2, *by, *bwd, *bbd;     /* NC8HW8 */
    float *hbw, *hbb;                           /* the hybrid's depthwise weights: channels in order */
    blocked1x1 c1, c2;
    size_t mblocks;
} unit;

static float *fbuf(size_t n) { return aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64); }
static float frand(uint32_t *s) { *s = *s * 1664525u + 1013904223u; return (float)(*s >> 8) / 16777216.0f - 0.5f; }

static void unit_init(unit *u, const shape *s)
{
    uint32_t seed = 12345;
    const size_t hw = s->h * s->h, g = s->g, mid = s->mid;
    u->s = s, u->hw = hw;
    u->cin1 = s->v2 ? s->c / 2 : s->c, u->cout2 = s->v2 ? s->c / 2 : s->c;
    const size_t k1 = u->cin1 / g, k2 = mid / g;
    u->w1 = fbuf(mid * k1), u->b1 = fbuf(mid), u->wd = fbuf(mid * 9), u->bd = fbuf(mid);
    u->w2 = fbuf(u->cout2 * k2), u->b2 = fbuf(u->cout2);
    for (size_t i = 0; i < mid * k1; i++) u->w1[i] = frand(&seed) * 2.0f / sqrtf((float)k1);
    for (size_t i = 0; i < mid * 9; i++) u->wd[i] = frand(&seed) * 0.6f;
    for (size_t i = 0; i < u->cout2 * k2; i++) u->w2[i] = frand(&seed) * 2.0f / sqrtf((float)k2);
    for (size_t i = 0; i < mid; i++) u->b1[i] = frand(&seed) * 0.1f, u->bd[i] = frand(&seed) * 0.1f;
    for (size_t i = 0; i < u->cout2; i++) u->b2[i] = frand(&seed) * 0.1f;
    u->pw1 = fbuf(g * VGS_GEMM_PACKED_A_FLOATS(mid / g, k1)), u->pw2 = fbuf(g * VGS_GEMM_PACKED_A_FLOATS(u->cout2 / g, k2));
    for (size_t q = 0; q < g; q++) {
        vgs_gemm_pack_a(mid / g, k1, u->w1 + q * (mid / g) * k1, k1, u->pw1 + q * VGS_GEMM_PACKED_A_FLOATS(mid / g, k1),
                        VGS_GEMM_PACK_ROWS * k1);
        vgs_gemm_pack_a(u->cout2 / g, k2, u->w2 + q * (u->cout2 / g) * k2, k2,
                        u->pw2 + q * VGS_GEMM_PACKED_A_FLOATS(u->cout2 / g, k2), VGS_GEMM_PACK_ROWS * k2);
    }
    /* NCHW tensors; V2: x1 = even planes, x2 = odd (as after a stride-2 unit), the branch
     * stored to the odd planes of y (y's even planes = x1, copied once: in place in the net) */
    u->x = fbuf(s->c * hw), u->y = fbuf(s->c * hw), u->t1 = fbuf(mid * hw), u->t2 = fbuf(mid * hw);
    u->scratch = fbuf(VGS_GEMM_SCRATCH_FLOATS(k1 > k2 ? k1 : k2));
    for (size_t i = 0; i < s->c * hw; i++) u->x[i] = frand(&seed), u->y[i] = u->x[i];
    u->x2_planes = malloc(s->c * sizeof(int32_t)), u->dw_store = malloc(mid * sizeof(int32_t));
    for (size_t i = 0; i < s->c / 2; i++) u->x2_planes[i] = (int32_t)(2 * i + 1);
    int32_t *src = malloc(mid * sizeof(int32_t));
    vgs_channel_shuffle_map(VGS_SHUFFLE_MEGVII, mid, g, src); /* as nets/shufflenet_v1.h */
    for (size_t o = 0; o < mid; o++) u->dw_store[src[o]] = (int32_t)o;
    /* NC8HW8: the same input in logical channel order (V2: x1 = 0..C/2-1, x2 = C/2..C-1) */
    const size_t mp = up8(mid / g) * g; /* the padded bottleneck: each group's channels in whole blocks */
    u->mblocks = mp / 8;
    u->bx = fbuf(up8(s->c) * hw), u->by = fbuf(up8(s->c) * hw), u->bt1 = fbuf(mp * hw), u->bt2 = fbuf(mp * hw);
    float *lx = fbuf(s->c * hw); /* x in logical order, NCHW */
    for (size_t l = 0; l < s->c; l++) {
        const size_t plane = !s->v2 ? l : l < s->c / 2 ? 2 * l : 2 * (l - s->c / 2) + 1;
        memcpy(lx + l * hw, u->x + plane * hw, hw * sizeof(float));
    }
    convert(0, s->c, hw, lx, u->bx, NULL);
    memset(u->by, 0, up8(s->c) * hw * sizeof(float));
    free(lx);
    /* gathers: conv1 reads x (V2: x2 = channels C/2..); conv2 reads the shuffled bottleneck:
     * shuffled channel o = dw channel src[o], at padded channel (c/m)*mpg + c%m */
    u->in1 = malloc(u->cin1 * sizeof(int32_t)), u->in2 = malloc(mid * sizeof(int32_t));
    for (size_t p = 0; p < u->cin1; p++) u->in1[p] = (int32_t)(s->v2 ? s->c / 2 + p : p);
    const size_t mg = mid / g, mpg = mp / g;
    for (size_t o = 0; o < mid; o++) {
        const size_t c = s->v2 ? o : (size_t)src[o];
        u->in2[o] = (int32_t)(c / mg * mpg + c % mg);
    }
    free(src);
    blocked1x1_pack(&u->c1, g, mid, u->cin1, hw, u->w1, u->b1, u->in1, 0);
    blocked1x1_pack(&u->c2, g, u->cout2, mid, hw, u->w2, u->b2, u->in2, s->v2);
    u->hbw = fbuf(up8(mid) * 9), u->hbb = fbuf(up8(mid));
    memset(u->hbw, 0, up8(mid) * 9 * sizeof(float)), memset(u->hbb, 0, up8(mid) * sizeof(float));
    for (size_t c = 0; c < mid; c++) {
        u->hbb[c] = u->bd[c];
        for (int t = 0; t < 9; t++) u->hbw[c / 8 * 72 + (size_t)t * 8 + c % 8] = u->wd[c * 9 + (size_t)t];
    }
    u->bwd = fbuf(mp * 9), u->bbd = fbuf(mp);
    memset(u->bwd, 0, mp * 9 * sizeof(float)), memset(u->bbd, 0, mp * sizeof(float));
    for (size_t c = 0; c < mid; c++) {
        const size_t pc = c / mg * mpg + c % mg;
        u->bbd[pc] = u->bd[c];
        for (int t = 0; t < 9; t++) u->bwd[pc / 8 * 72 + (size_t)t * 8 + pc % 8] = u->wd[c * 9 + (size_t)t];
    }
}

/* NCHW path, layer `which` (0 conv1, 1 dw, 2 conv2), as vgs__task_run calls the kernels (a: the
 * weights packed group after group, as the runtime stores them). */
static void nchw_gemm(const vgs_kernels *k, const unit *u, size_t g, size_t cout, size_t cin, const float *a,
                      const float *bias, const float *x, const int32_t *xi, const float *r, float *y,
                      const int32_t *yi)
{
    const size_t m = cout / g, kk = cin / g, n = u->hw;
    for (size_t grp = 0; grp < g; grp++)
        for (size_t i = 0; i < m; i += TASK_ROWS)
            for (size_t j0 = 0; j0 < n; j0 += TASK_COLS) {
                const size_t i0 = grp * m + i, rows = m - i < TASK_ROWS ? m - i : TASK_ROWS;
                const size_t cols = n - j0 < TASK_COLS ? n - j0 : TASK_COLS;
                k->gemm(rows, cols, kk, a + grp * VGS_GEMM_PACKED_A_FLOATS(m, kk) + i * kk, VGS_GEMM_PACK_ROWS * kk, x + (xi ? 0 : grp * kk * n) + j0, n, xi ? xi + grp * kk : NULL,
                        bias + i0, r ? r + i0 * n + j0 : NULL, n, y + (yi ? 0 : i0 * n) + j0, n, yi ? yi + i0 : NULL,
                        0.0f, INFINITY, u->scratch);
            }
}

static void nchw_layer(const vgs_kernels *k, unit *u, int which)
{
    const shape *s = u->s;
    if (which == 0) nchw_gemm(k, u, s->g, s->mid, u->cin1, u->pw1, u->b1, u->x, s->v2 ? u->x2_planes : NULL, NULL, u->t1, NULL);
    if (which == 1)
        k->dwconv3x3s1p1(s->mid, s->h, s->h, u->t1, u->hw, u->wd, u->bd, u->t2, u->hw, s->v2 ? NULL : u->dw_store,
                         -INFINITY, INFINITY);
    if (which == 2)
        nchw_gemm(k, u, s->g, u->cout2, s->mid, u->pw2, u->b2, u->t2, NULL, s->v2 ? NULL : u->x, u->y,
                  s->v2 ? u->x2_planes : NULL);
}

static void blocked_layer(unit *u, int which)
{
    if (which == 0) blocked1x1_run(&u->c1, u->bx, NULL, u->bt1, 0);
    if (which == 1) blocked_dw3x3(u->mblocks, u->s->h, u->s->h, u->bt1, u->bwd, u->bbd, u->bt2);
    if (which == 2) blocked1x1_run(&u->c2, u->bt2, u->bx, u->by, up8(u->s->c) / 8);
}

/* ---- timing ----------------------------------------------------------------------------------- */
enum { NCHW1, NCHW2, NCHW3, NCHWU, BLK1, BLK2, BLK3, BLKU, TO_BLK, TO_NCHW, DWT, HYBU, NT };

/* The hybrid: NCHW between layers, the depthwise layer transposing its planes into NC8HW8 and
 * back around the blocked kernel (an upper bound of doing it in registers), the shuffle in
 * the store as the library's y_index. */
static void hybrid_dw(unit *u, float *tmp)
{
    const size_t mid = u->s->mid, mb = up8(mid) / 8;
    convert(0, mid, u->hw, u->t1, tmp, NULL);
    blocked_dw3x3(mb, u->s->h, u->s->h, tmp, u->hbw, u->hbb, tmp + mb * 8 * u->hw);
    convert(1, mid, u->hw, u->t2, tmp + mb * 8 * u->hw, u->s->v2 ? NULL : u->dw_store);
}

static void run_item(const vgs_kernels *k, unit *u, int item, float *tmp)
{
    switch (item) {
    case NCHW1: case NCHW2: case NCHW3: nchw_layer(k, u, item - NCHW1); break;
    case NCHWU: for (int l = 0; l < 3; l++) nchw_layer(k, u, l); break;
    case BLK1: case BLK2: case BLK3: blocked_layer(u, item - BLK1); break;
    case BLKU: for (int l = 0; l < 3; l++) blocked_layer(u, l); break;
    case TO_BLK: convert(0, u->s->c, u->hw, u->x, tmp, NULL); break;
    case TO_NCHW: convert(1, u->s->c, u->hw, tmp + up8(u->s->c) * u->hw, tmp, NULL); break;
    case DWT: hybrid_dw(u, tmp); break;
    case HYBU: nchw_layer(k, u, 0), hybrid_dw(u, tmp), nchw_layer(k, u, 2); break;
    }
}

static double max_diff(const float *a, const float *b, size_t n)
{
    double d = 0;
    for (size_t i = 0; i < n; i++) d = fmax(d, fabs((double)a[i] - b[i]));
    return d;
}

int main(int argc, char **argv)
{
    if (!vgs_isa_supported(VGS_ISA_AVX2)) {
        printf("bench_layout: no AVX2 on this CPU (or OS); nothing measured\n");
        return 0;
    }
    const int rounds = argc > 1 ? atoi(argv[1]) : 101;
    const vgs_kernels *k = vgs_kernels_for(VGS_ISA_AVX2);
    printf("1 thread, AVX2 (%s), medians of %d interleaved rounds; ms per unit (3 layers), GFLOP/s per layer\n",
           k->gemm_name, rounds);
    printf("hybrid: NCHW with the depthwise layer transposing to NC8HW8 and back; conv in/out: the unit's input\n"
           "NCHW->NC8HW8 / back; diff: max |NC8HW8 - NCHW| over the unit's output, then the hybrid's over the dw's\n");
    printf("%-25s %7s %7s %5s %7s %5s | %-17s | %-17s | %5s | %-13s | %s\n", "unit (stride 1)", "NCHW", "NC8HW8", "ratio",
           "hybrid", "ratio", "NCHW 1x1/dw/1x1", "NC8HW8 1x1/dw/1x1", "hy dw", "conv in/out", "diff");
    double net[NFAMS][3] = {{0}}; /* [family][NCHW, NC8HW8, hybrid]: ms of the stride-1 units */
    for (size_t si = 0; si < NSHAPES; si++) {
        unit u;
        unit_init(&u, &shapes[si]);
        const shape *s = u.s;
        float *tmp = fbuf(2 * up8(s->c) * u.hw);
        /* correctness: both paths once from the same input, NC8HW8 output converted back */
        for (int l = 0; l < 3; l++) nchw_layer(k, &u, l), blocked_layer(&u, l);
        float *back = fbuf(up8(s->c) * u.hw);
        convert(1, s->c, u.hw, back, u.by, NULL);
        /* NCHW y: V1 in order; V2 logical 2j = x1 j (plane 2j), 2j+1 = branch j (plane 2j+1) */
        const double diff = max_diff(u.y, back, s->c * u.hw);
        memcpy(back, u.t2, s->mid * u.hw * sizeof(float));
        hybrid_dw(&u, tmp);
        const double hdiff = max_diff(back, u.t2, s->mid * u.hw);
        free(back);
        const double fl[3] = {2.0 * s->mid * (u.cin1 / s->g) * u.hw, 18.0 * s->mid * u.hw,
                              2.0 * u.cout2 * (s->mid / s->g) * u.hw};
        const int reps = 1 + (int)(1e7 / (fl[0] + fl[1] + fl[2])); /* a unit sample ~0.4 ms */
        double *t[NT];
        for (int i = 0; i < NT; i++) t[i] = malloc((size_t)rounds * sizeof(double));
        for (int r = -2; r < rounds; r++) {
            for (int i = 0; i < NT; i++) { /* the order rotates each round: no item always follows another */
                const int it = (i + r + 2) % NT;
                const double t0 = bench_now_ms();
                for (int i = 0; i < reps; i++) run_item(k, &u, it, tmp);
                if (r >= 0) t[it][r] = (bench_now_ms() - t0) / reps;
            }
        }
        double m[NT];
        for (int i = 0; i < NT; i++) m[i] = bench_median(t[i], (size_t)rounds), free(t[i]);
        printf("%-25s %7.4f %7.4f %5.2f %7.4f %5.2f | %5.1f %4.1f %5.1f | %5.1f %4.1f %5.1f | %5.1f | %.4f/%.4f | %.0e %.0e\n",
               s->name, m[NCHWU], m[BLKU], m[BLKU] / m[NCHWU], m[HYBU], m[HYBU] / m[NCHWU], fl[0] / m[NCHW1] * 1e-6,
               fl[1] / m[NCHW2] * 1e-6, fl[2] / m[NCHW3] * 1e-6, fl[0] / m[BLK1] * 1e-6, fl[1] / m[BLK2] * 1e-6,
               fl[2] / m[BLK3] * 1e-6, fl[1] / m[DWT] * 1e-6, m[TO_BLK], m[TO_NCHW], diff, hdiff);
        free(tmp);
        const double nu = (double)s->units;
        net[s->fam][0] += nu * m[NCHWU], net[s->fam][1] += nu * m[BLKU], net[s->fam][2] += nu * m[HYBU];
    }
    /* the boundary of a blocked net: the stem's output (24 x 56 x 56 after the maxpool) into
     * NC8HW8 once; at the end the global average pool can read NC8HW8 as it is */
    const size_t bc = 24, bhw = 56 * 56;
    float *bn = fbuf(bc * bhw), *bb = fbuf(up8(bc) * bhw);
    double tb[2][1024];
    const int brounds = rounds < 1024 ? rounds : 1024;
    for (size_t i = 0; i < bc * bhw; i++) bn[i] = (float)(i % 977);
    for (int r = -2; r < brounds; r++) {
        for (int d = 0; d < 2; d++) {
            const double t0 = bench_now_ms();
            for (int i = 0; i < 10; i++) convert(d, bc, bhw, bn, bb, NULL);
            if (r >= 0) tb[d][r] = (bench_now_ms() - t0) / 10;
        }
    }
    const double conv_in = bench_median(tb[0], (size_t)brounds), conv_out = bench_median(tb[1], (size_t)brounds);
    printf("net boundary: 24x56x56 NCHW->NC8HW8 %.4f ms (back: %.4f ms; checksum %g)\n", conv_in, conv_out,
           (double)bb[12345] + bn[4321]);
    for (size_t v = 0; v < NFAMS; v++) {
        printf("%-10s: its 13 stride-1 units NCHW %.3f ms, NC8HW8 %.3f ms (%.2fx, saving %.3f ms, %.3f with the "
               "boundary), hybrid %.3f ms (%.2fx)\n", fams[v], net[v][0], net[v][1], net[v][1] / net[v][0],
               net[v][0] - net[v][1], net[v][0] - net[v][1] - conv_in, net[v][2], net[v][2] / net[v][0]);
    }
    free(bn), free(bb);
    return 0;
}
