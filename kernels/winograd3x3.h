/* kernels/winograd3x3.h — 3x3 convolution, stride 1, padding 1, by Winograd minimal filtering
 * F(m x m, 3 x 3), m = 2, 4, 6 (alpha = m + 2), NCHW float32.  Generic body, instantiated
 * per ISA by arch/instantiate.h; the matrices and 1D transforms come from winograd3x3_gen.h
 * (tools/gen_winograd.py).  Contract: vgs_kernels.winograd3x3_f23 / _f43 / _f63 and
 * vgs_winograd3x3_transform_weights in vggshuffle.h.
 *
 * Work: the tiles of the task's tile rows, row-major, in blocks of TB tiles (64, see
 * vgs__wino_block_tiles), each block a batch of panels of T = 2 vectors of tiles.  Per block:
 *   1. input transform, per input channel: each tile's alpha x alpha patch (rows
 *      m*ty - 1 .., columns m*tx - 1 ..; outside the image 0, so the border needs no padded
 *      copy) is gathered into lanes (d[i][j][tile]), then V = B^T d B with vector operations
 *      over VW tiles, into the scratch: V[xi][panel][ci][T], xi = i*alpha + j;
 *   2. per chunk of KC output channels, per position xi, per block of MR = 6 of them, per
 *      panel: the transformed-domain product M[co][xi][tile] = sum over ci (in order
 *      0 .. cin-1) of U[xi][co][ci] * V[xi][ci][tile], a 6 x 2-vector register tile (as the
 *      GEMM family's): a batched GEMM per xi, U[xi][cb] reused from L1 over the panels and
 *      V[xi] from L2 over the chunk's channel blocks;
 *   3. the chunk's output transform Y = A^T M A, + bias, clamp, optionally the 2x2/s2
 *      max-pool, scattered into the planes.
 *   The block's V and M stay in cache between the steps (no pass of the whole transformed
 *   tensor through memory); the weights are read once per block.
 * Every output element is computed by the same instruction sequence whatever the task's
 * ranges or its lane in the block (padding lanes are zero tiles, a partial channel block is
 * computed whole and stored in part): results are bit-identical for any split.
 *
 * NaN: the clamp and the pool go through vgs__wino_clamp / vgs__wino_max below, which keep a
 * NaN (x86 MAXPS/MINPS return their second operand when either is NaN, so a plain max would
 * lose a NaN in the first operand).
 *
 * AVX2 (VW = 8) gathers the patches and scatters the output tiles with 8 x 8 transposes;
 * AVX-512 gathers the patches with masked 8-float loads and two 8 x 8 transposes a vector
 * (against element by element: 0.86-0.95x the kernel's time on VGG16's shapes, 0.65-0.80x on
 * small planes; in-process A/B, outputs identical); its output scatter done the same way
 * measured level (1.00-1.03x), so it stays element by element, as on the other tiers:
 * through a small staging buffer. */

#include "winograd3x3_gen.h"

#ifndef VGS__WINOGRAD3X3_ONCE /* the ISA-independent part: defined once, with the scalar tier */
#define VGS__WINOGRAD3X3_ONCE
#define VGS__WINO_MR 6     /* output channels per block of the packed weights (VGS_WINO_MR)  */
#define VGS__WINO_TMAX 32  /* the largest VGS_WINO_T of any tier (AVX-512: 2 x 16 tiles)     */

/* The steps of an 8 x 8 transpose of r[0..7] that stay within 128-bit lanes, for the x86
 * tiers (vector type V, its unpacklo / unpackhi / shuffle): declares s0 .. s7, from which
 * each tier's last, cross-lane step takes the columns. */
#define VGS__WINO_TRANSPOSE8_IN_LANES(V, UNLO, UNHI, SHUF)                                        \
    const V t0 = UNLO(r[0], r[1]), t1 = UNHI(r[0], r[1]), t2 = UNLO(r[2], r[3]), t3 = UNHI(r[2], r[3]); \
    const V t4 = UNLO(r[4], r[5]), t5 = UNHI(r[4], r[5]), t6 = UNLO(r[6], r[7]), t7 = UNHI(r[6], r[7]); \
    const V s0 = SHUF(t0, t2, 0x44), s1 = SHUF(t0, t2, 0xEE), s2 = SHUF(t1, t3, 0x44);             \
    const V s3 = SHUF(t1, t3, 0xEE), s4 = SHUF(t4, t6, 0x44), s5 = SHUF(t4, t6, 0xEE);             \
    const V s6 = SHUF(t5, t7, 0x44), s7 = SHUF(t5, t7, 0xEE)

static int vgs__wino_ok(int m) { return m == 2 || m == 4 || m == 6; }

vgs_status vgs_winograd3x3_matrices(int m, const double **at, const double **g, const double **bt)
{
    if (!vgs__wino_ok(m)) return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "winograd3x3: m = %d, expected 2, 4 or 6", m);
    if (at) *at = m == 2 ? vgs__wino_at_f23 : m == 4 ? vgs__wino_at_f43 : vgs__wino_at_f63;
    if (g) *g = m == 2 ? vgs__wino_g_f23 : m == 4 ? vgs__wino_g_f43 : vgs__wino_g_f63;
    if (bt) *bt = m == 2 ? vgs__wino_bt_f23 : m == 4 ? vgs__wino_bt_f43 : vgs__wino_bt_f63;
    return VGS_OK;
}

size_t vgs_winograd3x3_weights_floats(int m, size_t cout, size_t cin)
{
    if (!vgs__wino_ok(m)) return 0;
    return (size_t)(m + 2) * (size_t)(m + 2) * ((cout + VGS__WINO_MR - 1) / VGS__WINO_MR * VGS__WINO_MR) * cin;
}

/* The cache blocking (see the top of the file), from this machine type's caches (32 KB L1d,
 * 512 KB L2 per core, 32 MB L3) and measurements (bench/bench_winograd.c, VGG's shapes):
 *   - a block of TB = 64 tiles (VGS__WINO_TBMAX): the transformed weights U (alpha^2 x cout x
 *     cin floats, 1 - 67 MB a VGG layer) stream from memory once per block, so 64 register
 *     panels' worth of tiles use every weight load; blocks of 16 tiles lost 10-25 % on
 *     cin >= 256, blocks of 128-256 tiles lost 10-25 % on cin = 64 (V then spills to L3);
 *   - V (alpha^2 x cin x TB) and the products of one chunk of KC = 60 output channels
 *     (KC x alpha^2 x TB) within VGS__WINO_BUDGET = 6 MB (TB smaller if needed: F(6,3) at
 *     cin = 512 takes 32), so the two threads' blocks stay in L3 beside the streamed weights;
 *   - per position xi, V[xi] (cin x TB: 16-128 KB) stays in L2 while each of the chunk's
 *     weight blocks U[xi][cb] (cin x 6: 1.5-12 KB) sits in L1 over all the block's panels;
 *   - a task whose weights fit in cache (<= VGS__WINO_UCACHED = 4 MB: VGG's 64- and
 *     128-channel layers) re-reads them from L2/L3 cheaply: there a block is one panel and
 *     a chunk one channel block, so V stays in L2 and M in L1 (measured ~15 % faster on
 *     64 -> 64 at 224 x 224 than 64-tile blocks).
 * TB is a multiple of the tier's panel T (whole register tiles). */
#ifdef VGS_WINO_PROF /* private profiling builds only: cycles per phase */
#include <x86intrin.h>
unsigned long long vgs__wino_prof[3];
#define VGS__WINO_PROF_T0() unsigned long long vgs__pt = __rdtsc()
#define VGS__WINO_PROF_T(i) do { unsigned long long n_ = __rdtsc(); vgs__wino_prof[i] += n_ - vgs__pt; vgs__pt = n_; } while (0)
#else
#define VGS__WINO_PROF_T0() (void)0
#define VGS__WINO_PROF_T(i) (void)0
#endif
#define VGS__WINO_UCACHED (4u << 20) /* a task's weights up to this size: small blocks     */
#define VGS__WINO_KC 60              /* output channels per chunk of products (10 blocks of 6) */
#define VGS__WINO_BUDGET (6u << 20)  /* bytes of V + M per block                               */
#define VGS__WINO_TBMAX 64           /* tiles per block at most                                */
#define VGS__WINO_UPF 384            /* floats of U prefetched ahead (~ memory latency x rate) */
#define VGS__WINO_PAD 16             /* floats after each position of V and channel of M: their
                                      * power-of-2 strides would put the 64 streams of a
                                      * transform in one L1 set (and 4K-alias the stores)      */

static size_t vgs__wino_block_tiles(int m, size_t cin, size_t t)
{
    const size_t a2 = (size_t)(m + 2) * (size_t)(m + 2);
    size_t tb = VGS__WINO_BUDGET / sizeof(float) / (a2 * (cin + VGS__WINO_KC)) / t * t;
    if (tb > VGS__WINO_TBMAX) tb = VGS__WINO_TBMAX;
    return tb < t ? t : tb;
}

size_t vgs_winograd3x3_scratch_floats(int m, size_t cin)
{
    if (!vgs__wino_ok(m)) return 0;
    /* V + M for the largest TB of any tier (T = 2 ... VGS__WINO_TMAX), + the gather buffer */
    const size_t a2 = (size_t)(m + 2) * (size_t)(m + 2);
    size_t tb = 0;
    for (size_t t = 2; t <= VGS__WINO_TMAX; t *= 2)
        if (vgs__wino_block_tiles(m, cin, t) > tb) tb = vgs__wino_block_tiles(m, cin, t);
    return a2 * (cin + VGS__WINO_KC) * tb + (a2 + VGS__WINO_KC) * VGS__WINO_PAD + a2 * VGS__WINO_TMAX;
}

size_t vgs_winograd3x3_tile_rows(int m, size_t h) { return vgs__wino_ok(m) ? (h + (size_t)m - 1) / (size_t)m : 0; }

vgs_status vgs_winograd3x3_transform_weights(int m, size_t cout, size_t cin, const float *k, float *u)
{
    const double *g = NULL;
    if (vgs_winograd3x3_matrices(m, NULL, &g, NULL) != VGS_OK) return VGS_ERR_INVALID_ARGUMENT;
    if (!k || !u || cout == 0 || cin == 0)
        return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "vgs_winograd3x3_transform_weights: %s",
                         !k || !u ? "NULL weights or output" : "cout or cin is 0");
    const size_t a = (size_t)m + 2, ncb = (cout + VGS__WINO_MR - 1) / VGS__WINO_MR;
    for (size_t co = 0; co < ncb * VGS__WINO_MR; co++) {
        for (size_t ci = 0; ci < cin; ci++) {
            float *up = u + (co / VGS__WINO_MR * cin + ci) * VGS__WINO_MR + co % VGS__WINO_MR;
            const float *kk = k + (co * cin + ci) * 9;
            for (size_t xi = 0; xi < a * a; xi++) {
                /* (G k G^T)[xi]: zero entries of G skipped (a NaN weight then stays where
                 * the matrices put it instead of reaching every position through 0 * NaN) */
                const double *g1 = g + xi / a * 3, *g2 = g + xi % a * 3;
                double s = 0.0;
                for (int p = 0; p < 3 && co < cout; p++) {
                    if (g1[p] == 0.0) continue;
                    double r = 0.0;
                    for (int q = 0; q < 3; q++)
                        if (g2[q] != 0.0) r += (double)kk[p * 3 + q] * g2[q];
                    s += g1[p] * r;
                }
                up[xi * ncb * cin * VGS__WINO_MR] = (float)s;
            }
        }
    }
    return VGS_OK;
}
#endif

#define VGS_WINO_MR VGS__WINO_MR /* output channels per register tile (weights packed so) */
#define VGS_WINO_T (2 * VGS_VW)  /* tiles per panel: 2 vectors (<= VGS__WINO_TMAX)         */

/* NaN-correct max and clamp, written per vector width here rather than taken from the
 * vector layer (vgs_v_max/min follow each ISA's own NaN rule):
 *   max(a, b): NaN if either is NaN, else the larger;
 *   clamp(v, lo, hi) = min(max(v, lo), hi), NaN for a NaN v (lo, hi are never NaN).
 * x86 MAXPS/MINPS return their second operand when either is NaN: the clamp puts v second;
 * MAXPS(a, b) gives b when b is NaN and is then replaced by a where a is NaN.  aarch64
 * FMAX/FMIN propagate NaN. */
#if VGS_VW == 1
static inline float VGS_FN(vgs__wino_max)(float a, float b) { return a != a || a > b ? a : b; }
static inline float VGS_FN(vgs__wino_clamp)(float v, float lo, float hi)
{
    if (v < lo) v = lo; /* false for NaN */
    if (v > hi) v = hi;
    return v;
}
#elif VGS_VW == 4
#define vgs__wino_max__neon(a, b) vmaxq_f32((a), (b))
#define vgs__wino_clamp__neon(v, lo, hi) vminq_f32(vmaxq_f32((v), (lo)), (hi))
#elif VGS_VW == 8
static inline __m256 VGS_FN(vgs__wino_max)(__m256 a, __m256 b)
{
    return _mm256_blendv_ps(_mm256_max_ps(a, b), a, _mm256_cmp_ps(a, a, _CMP_UNORD_Q));
}
#define vgs__wino_clamp__avx2(v, lo, hi) _mm256_min_ps((hi), _mm256_max_ps((lo), (v)))
#elif VGS_VW == 16
static inline __m512 VGS_FN(vgs__wino_max)(__m512 a, __m512 b)
{
    return _mm512_mask_mov_ps(_mm512_max_ps(a, b), _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q), a);
}
#define vgs__wino_clamp__avx512(v, lo, hi) _mm512_min_ps((hi), _mm512_max_ps((lo), (v)))
#else
#error "winograd3x3.h: no NaN-correct max for this vector width"
#endif

/* Gather the alpha x alpha input patches of VW tiles (lanes >= nt: zero) of one plane into
 * d[(i*alpha + j)*VW + lane].  r0[l], c0[l]: the patch's first input row and column
 * (m*ty - 1, m*tx - 1). */
static inline __attribute__((always_inline)) void VGS_FN(vgs__wino_gather)(
    const int m, size_t h, size_t w, const float *x, const ptrdiff_t *r0, const ptrdiff_t *c0,
    size_t nt, float *d)
{
    const int a = m + 2;
    for (size_t l = 0; l < VGS_VW; l++) {
        if (l >= nt) {
            for (int e = 0; e < a * a; e++) d[e * VGS_VW + l] = 0.0f;
            continue;
        }
        if (r0[l] >= 0 && c0[l] >= 0 && r0[l] + a <= (ptrdiff_t)h && c0[l] + a <= (ptrdiff_t)w) {
            const float *p = x + (size_t)r0[l] * w + (size_t)c0[l];
#pragma GCC unroll 8
            for (int i = 0; i < a; i++) {
#pragma GCC unroll 8
                for (int j = 0; j < a; j++) d[(i * a + j) * VGS_VW + l] = p[(size_t)i * w + j];
            }
            continue;
        }
        /* a border tile: the rows and columns inside the image, zeros around them */
        const int i0 = r0[l] < 0 ? (int)-r0[l] : 0, j0 = c0[l] < 0 ? (int)-c0[l] : 0;
        const int i1 = r0[l] + a <= (ptrdiff_t)h ? a : (int)((ptrdiff_t)h - r0[l]);
        const int j1 = c0[l] + a <= (ptrdiff_t)w ? a : (int)((ptrdiff_t)w - c0[l]);
        for (int e = 0; e < a * a; e++) d[e * VGS_VW + l] = 0.0f;
        for (int i = i0; i < i1; i++) {
            const float *p = x + (size_t)(r0[l] + i) * w + (size_t)c0[l];
            for (int j = j0; j < j1; j++) d[(i * a + j) * VGS_VW + l] = p[j];
        }
    }
}

#if VGS_VW == 8
/* AVX2: the 8 x 8 transpose of r[0..7] (r[l][j] -> r[j][l]). */
static inline __attribute__((always_inline)) void vgs__wino_transpose8__avx2(__m256 *r)
{
    VGS__WINO_TRANSPOSE8_IN_LANES(__m256, _mm256_unpacklo_ps, _mm256_unpackhi_ps, _mm256_shuffle_ps);
    r[0] = _mm256_permute2f128_ps(s0, s4, 0x20), r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
    r[2] = _mm256_permute2f128_ps(s2, s6, 0x20), r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
    r[4] = _mm256_permute2f128_ps(s0, s4, 0x31), r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
    r[6] = _mm256_permute2f128_ps(s2, s6, 0x31), r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

/* AVX2 gather: per patch row, each of the 8 tiles' alpha columns as one vector (a plain load
 * when the 8 columns from c0 lie inside the row, else staged with zeros around the columns
 * inside the image), then transposed into in[i*alpha + j].  Lanes >= nt are zero. */
static inline __attribute__((always_inline)) void vgs__wino_load__avx2(
    const int m, size_t h, size_t w, const float *x, const ptrdiff_t *r0, const ptrdiff_t *c0,
    size_t nt, __m256 *in)
{
    const int a = m + 2;
    for (int i = 0; i < a; i++) {
        __m256 r[8];
        for (int l = 0; l < 8; l++) {
            const ptrdiff_t row = r0[l] + i;
            if ((size_t)l >= nt || row < 0 || row >= (ptrdiff_t)h) {
                r[l] = _mm256_setzero_ps();
            } else if (c0[l] >= 0 && c0[l] + 8 <= (ptrdiff_t)w) {
                r[l] = _mm256_loadu_ps(x + (size_t)row * w + (size_t)c0[l]);
            } else {
                float t[8] = {0, 0, 0, 0, 0, 0, 0, 0};
                const int j0 = c0[l] < 0 ? (int)-c0[l] : 0;
                const int j1 = c0[l] + a <= (ptrdiff_t)w ? a : (int)((ptrdiff_t)w - c0[l]);
                for (int j = j0; j < j1; j++) t[j] = x[(size_t)row * w + (size_t)(c0[l] + j)];
                r[l] = _mm256_loadu_ps(t);
            }
        }
        vgs__wino_transpose8__avx2(r);
#pragma GCC unroll 8
        for (int j = 0; j < a; j++) in[i * a + j] = r[j];
    }
}

/* Store the first n (constant, <= 6) floats of v at p. */
static inline __attribute__((always_inline)) void vgs__wino_storeq__avx2(float *p, __m256 v, int n)
{
    __m128 lo = _mm256_castps256_ps128(v);
    if (n >= 4) {
        _mm_storeu_ps(p, lo);
        if (n == 4) return;
        lo = _mm256_extractf128_ps(v, 1);
        p += 4, n -= 4;
    }
    if (n >= 2) {
        _mm_storel_pi((__m64 *)(void *)p, lo);
        if (n == 2) return;
        lo = _mm_movehl_ps(lo, lo);
        p += 2;
    }
    _mm_store_ss(p, lo);
}
#endif

#if VGS_VW == 16
/* AVX-512: the 8 x 8 transposes of the low and the high halves of r[0..7] at once (each half of
 * r[l] holds an 8-float row l; afterwards each half of r[j] holds column j of its half's rows):
 * the AVX2 sequence, whose unpacks and shuffles work within 128-bit lanes, then a two-source
 * permute where AVX2 swaps 128-bit lanes across the register. */
static inline __attribute__((always_inline)) void vgs__wino_transpose8x2__avx512(__m512 *r)
{
    VGS__WINO_TRANSPOSE8_IN_LANES(__m512, _mm512_unpacklo_ps, _mm512_unpackhi_ps, _mm512_shuffle_ps);
    /* lo: 128-bit lanes 0 and 2 of a, b as a0 b0 a2 b2; hi: lanes 1 and 3 */
    const __m512i lo = _mm512_setr_epi32(0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27);
    const __m512i hi = _mm512_setr_epi32(4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31);
    r[0] = _mm512_permutex2var_ps(s0, lo, s4), r[1] = _mm512_permutex2var_ps(s1, lo, s5);
    r[2] = _mm512_permutex2var_ps(s2, lo, s6), r[3] = _mm512_permutex2var_ps(s3, lo, s7);
    r[4] = _mm512_permutex2var_ps(s0, hi, s4), r[5] = _mm512_permutex2var_ps(s1, hi, s5);
    r[6] = _mm512_permutex2var_ps(s2, hi, s6), r[7] = _mm512_permutex2var_ps(s3, hi, s7);
}

/* The 8 columns c .. c+7 of a row that lie in 0 .. w-1, as mask bits. */
static inline __mmask8 vgs__wino_cols__avx512(ptrdiff_t c, size_t w)
{
    unsigned bits = 0xFFu;
    if (c < 0) bits = c > -8 ? bits << -c : 0u;
    if (c + 8 > (ptrdiff_t)w) bits &= c < (ptrdiff_t)w ? 0xFFu >> (c + 8 - (ptrdiff_t)w) : 0u;
    return (__mmask8)bits;
}

/* AVX-512 gather: per patch row, tile l's 8 columns from c0 (those inside the image: a masked
 * load, zeros elsewhere; a row outside the image or a lane >= nt all zeros) into half l / 8 of
 * vector l % 8, then transposed into in[i*alpha + j] (tiles 0..15 of column j).  The masked-off
 * lanes are never read (AVX-512 suppresses their faults), so the address of a tile at the
 * border may lie outside the plane: it is computed as an integer. */
static inline __attribute__((always_inline)) void vgs__wino_load__avx512(
    const int m, size_t h, size_t w, const float *x, const ptrdiff_t *r0, const ptrdiff_t *c0,
    size_t nt, __m512 *in)
{
    const int a = m + 2;
    __mmask8 cm[16];
    uintptr_t at[16]; /* tile l's first column in its first patch row */
    for (int l = 0; l < 16; l++) {
        cm[l] = (size_t)l < nt ? vgs__wino_cols__avx512(c0[l], w) : 0;
        at[l] = (uintptr_t)x + (uintptr_t)((r0[l] * (ptrdiff_t)w + c0[l]) * (ptrdiff_t)sizeof(float));
    }
    for (int i = 0; i < a; i++) {
        __m512 r[8];
#pragma GCC unroll 8
        for (int l = 0; l < 8; l++) {
            const ptrdiff_t ra = r0[l] + i, rb = r0[l + 8] + i;
            const __mmask8 ma = ra >= 0 && ra < (ptrdiff_t)h ? cm[l] : 0;
            const __mmask8 mb = rb >= 0 && rb < (ptrdiff_t)h ? cm[l + 8] : 0;
            const uintptr_t rowb = (uintptr_t)(i * (ptrdiff_t)w * (ptrdiff_t)sizeof(float));
            const __m256 va = _mm256_maskz_loadu_ps(ma, (const float *)(at[l] + rowb));
            const __m256 vb = _mm256_maskz_loadu_ps(mb, (const float *)(at[l + 8] + rowb));
            r[l] = _mm512_insertf32x8(_mm512_castps256_ps512(va), vb, 1);
        }
        vgs__wino_transpose8x2__avx512(r);
#pragma GCC unroll 8
        for (int j = 0; j < a; j++) in[i * a + j] = r[j];
    }
}
#endif

/* 1D transforms of the variant (m is a constant at every call site). */
static inline __attribute__((always_inline)) void VGS_FN(vgs__wino_bt)(const int m, const vgs_v *d, size_t ds, vgs_v *o, size_t os)
{
    if (m == 2) VGS_FN(vgs__wino_bt_f23)(d, ds, o, os);
    else if (m == 4) VGS_FN(vgs__wino_bt_f43)(d, ds, o, os);
    else VGS_FN(vgs__wino_bt_f63)(d, ds, o, os);
}

static inline __attribute__((always_inline)) void VGS_FN(vgs__wino_at)(const int m, const vgs_v *d, size_t ds, vgs_v *o, size_t os)
{
    if (m == 2) VGS_FN(vgs__wino_at_f23)(d, ds, o, os);
    else if (m == 4) VGS_FN(vgs__wino_at_f43)(d, ds, o, os);
    else VGS_FN(vgs__wino_at_f63)(d, ds, o, os);
}

/* Prefetch the input rows a block's tiles read from plane x (the rows of each tile row the
 * block touches, from its first tile's patch to its last's): issued two channels ahead, so
 * that the gather finds them in cache (the weights streaming through L2 evict them). */
static inline __attribute__((always_inline)) void VGS_FN(vgs__wino_prefetch)(
    const int m, size_t h, size_t w, const float *x, const ptrdiff_t *r0, const ptrdiff_t *c0, size_t nt)
{
    const int a = m + 2;
    for (size_t l = 0; l < nt;) {
        size_t e = l;
        while (e + 1 < nt && r0[e + 1] == r0[l]) e++;
        const ptrdiff_t cb = c0[l] < 0 ? 0 : c0[l];
        const ptrdiff_t ce = c0[e] + a < (ptrdiff_t)w ? c0[e] + a : (ptrdiff_t)w;
        for (int i = 0; i < a; i++) {
            const ptrdiff_t row = r0[l] + i;
            if (row < 0 || row >= (ptrdiff_t)h) continue;
            const float *p = x + (size_t)row * w;
            for (ptrdiff_t c = cb; c < ce; c += 16) __builtin_prefetch(p + c);
            __builtin_prefetch(p + ce - 1);
        }
        l = e + 1;
    }
}

/* The input transform of VW tiles of one channel: V[xi*v_stride] = (B^T d B)[xi], d the tiles'
 * patches (lanes >= nt: zero). */
static inline __attribute__((always_inline)) void VGS_FN(vgs__wino_input)(
    const int m, size_t h, size_t w, const float *x, const ptrdiff_t *r0, const ptrdiff_t *c0,
    size_t nt, float *d, float *V, size_t v_stride)
{
    const int a = m + 2;
    vgs_v in[8 * 8], tmp[8 * 8], row[8];
#if VGS_VW == 8
    vgs__wino_load__avx2(m, h, w, x, r0, c0, nt, in);
    (void)d;
#elif VGS_VW == 16
    vgs__wino_load__avx512(m, h, w, x, r0, c0, nt, in);
    (void)d;
#else
    VGS_FN(vgs__wino_gather)(m, h, w, x, r0, c0, nt, d);
    for (int e = 0; e < a * a; e++) in[e] = vgs_v_load(d + e * VGS_VW);
#endif
    /* columns: tmp[i][j] = sum_n B^T[i][n] in[n][j] */
    for (int j = 0; j < a; j++) VGS_FN(vgs__wino_bt)(m, in + j, (size_t)a, tmp + j, (size_t)a);
    /* rows: V[i][j] = sum_n B^T[j][n] tmp[i][n] */
    for (int i = 0; i < a; i++) {
        VGS_FN(vgs__wino_bt)(m, tmp + i * a, 1, row, 1);
        for (int j = 0; j < a; j++) vgs_v_store(V + (size_t)(i * a + j) * v_stride, row[j]);
    }
}

/* One register tile of the transformed-domain product: MR output channels x nv vectors of
 * tiles (nv = 2: a whole panel of T tiles; 1: the first VW, for a block's last panel when
 * no more tiles remain), over all cin input channels in order: M[r*ms + lane] = sum over ci
 * of up[ci*MR + r] * vp[ci*T + lane], up = U[xi][cb], vp = the panel's V[xi].  Each lane's
 * sum is the same instruction sequence for nv = 1 and 2. */
static inline __attribute__((always_inline)) void VGS_FN(vgs__wino_tile)(
    const int nv, size_t cin, const float *up, const float *vp, float *M, size_t ms)
{
    vgs_v acc[VGS_WINO_MR][2];
#pragma GCC unroll 6
    for (int r = 0; r < VGS_WINO_MR; r++) acc[r][0] = acc[r][1] = vgs_v_zero();
    for (size_t ci = 0; ci < cin; ci++) {
        const vgs_v b0 = vgs_v_load(vp), b1 = nv > 1 ? vgs_v_load(vp + VGS_VW) : b0;
        /* U streams from memory on the first panel (once per block): prefetched 1.5 KB ahead,
         * into the next channel block's weights (contiguous) at the end */
        __builtin_prefetch(up + VGS__WINO_UPF);
#pragma GCC unroll 6
        for (int r = 0; r < VGS_WINO_MR; r++) {
            const vgs_v ar = vgs_v_set1(up[r]);
            acc[r][0] = vgs_v_fma(ar, b0, acc[r][0]);
            if (nv > 1) acc[r][1] = vgs_v_fma(ar, b1, acc[r][1]);
        }
        up += VGS_WINO_MR;
        vp += VGS_WINO_T;
    }
#pragma GCC unroll 6
    for (int r = 0; r < VGS_WINO_MR; r++) {
        vgs_v_store(M + r * ms, acc[r][0]);
        if (nv > 1) vgs_v_store(M + r * ms + VGS_VW, acc[r][1]);
    }
}

/* Output transform of one channel's M (the VW lanes at M + v, position xi at M + xi*ms):
 * Y = A^T M A + bias, clamped, optionally 2x2-max-pooled, stored for the block's valid tiles
 * into plane y. */
static inline __attribute__((always_inline)) void VGS_FN(vgs__wino_output)(
    const int m, const float *M, size_t ms, size_t v, float bias, vgs_v vmin, vgs_v vmax, int pool, size_t h,
    size_t w, const ptrdiff_t *r0, const ptrdiff_t *c0, size_t nt, float *y)
{
    const int a = m + 2, a2 = a * a;
    vgs_v in[8 * 8], tmp[8 * 6], out[6 * 6];
    for (int e = 0; e < a2; e++) in[e] = vgs_v_load(M + (size_t)e * ms + v);
    /* columns: tmp[i][j] = sum_n A^T[i][n] in[n][j]  (m x alpha) */
    for (int j = 0; j < a; j++) VGS_FN(vgs__wino_at)(m, in + j, (size_t)a, tmp + j, (size_t)a);
    /* rows: out[i][j] = sum_n A^T[j][n] tmp[i][n]  (m x m) */
    for (int i = 0; i < m; i++) VGS_FN(vgs__wino_at)(m, tmp + i * a, 1, out + i * m, 1);
    const vgs_v vb = vgs_v_set1(bias);
    for (int e = 0; e < m * m; e++) out[e] = VGS_FN(vgs__wino_clamp)(vgs_v_add(out[e], vb), vmin, vmax);
    const int q = pool ? m / 2 : m; /* side of the stored tile */
    if (pool) {
        for (int i = 0; i < q; i++)
            for (int j = 0; j < q; j++)
                out[i * q + j] = VGS_FN(vgs__wino_max)(
                    VGS_FN(vgs__wino_max)(out[2 * i * m + 2 * j], out[2 * i * m + 2 * j + 1]),
                    VGS_FN(vgs__wino_max)(out[(2 * i + 1) * m + 2 * j], out[(2 * i + 1) * m + 2 * j + 1]));
    }
    const size_t oh = pool ? h / 2 : h, ow = pool ? w / 2 : w;
#if VGS_VW == 8
    /* AVX2: transpose each output row of the 8 tiles; store q floats per whole tile, the
     * rows and columns inside the plane of a cropped one */
    for (int i = 0; i < q; i++) {
        __m256 r[8];
#pragma GCC unroll 8
        for (int j = 0; j < 8; j++) r[j] = j < q ? out[i * q + j] : _mm256_setzero_ps();
        vgs__wino_transpose8__avx2(r);
        for (size_t l = 0; l < 8 && v + l < nt; l++) {
            const size_t oy = (size_t)(r0[v + l] + 1) / (size_t)(m / q) + (size_t)i;
            const size_t ox = (size_t)(c0[v + l] + 1) / (size_t)(m / q);
            if (oy >= oh || ox >= ow) continue;
            if (ox + (size_t)q <= ow) vgs__wino_storeq__avx2(y + oy * ow + ox, r[l], q);
            else vgs_v_storen(y + oy * ow + ox, r[l], ow - ox);
        }
    }
    return;
#else
    float st[6 * 6][VGS_VW];
    for (int e = 0; e < q * q; e++) vgs_v_store(st[e], out[e]);
    for (size_t l = 0; l < VGS_VW && v + l < nt; l++) {
        /* the tile's first output row and column: m*ty = r0 + 1 (pooled: half of it) */
        const size_t oy = (size_t)(r0[v + l] + 1) / (size_t)(m / q), ox = (size_t)(c0[v + l] + 1) / (size_t)(m / q);
        if (oy >= oh || ox >= ow) continue;
        const size_t rows = oh - oy < (size_t)q ? oh - oy : (size_t)q;
        const size_t cols = ow - ox < (size_t)q ? ow - ox : (size_t)q;
        float *yp = y + oy * ow + ox;
        if (rows == (size_t)q && cols == (size_t)q) {
#pragma GCC unroll 6
            for (int i = 0; i < q; i++)
#pragma GCC unroll 6
                for (int j = 0; j < q; j++) yp[(size_t)i * ow + j] = st[i * q + j][l];
        } else {
            for (size_t i = 0; i < rows; i++)
                for (size_t j = 0; j < cols; j++) yp[i * ow + j] = st[i * q + j][l];
        }
    }
#endif
}

static inline __attribute__((always_inline)) void VGS_FN(vgs__winograd3x3)(
    const int m, size_t cin, size_t cout, size_t h, size_t w, const float *x, size_t x_cstride,
    const float *u, const float *bias, float *y, size_t y_cstride, float out_min, float out_max,
    int pool, size_t tr0, size_t tr1, size_t oc0, size_t oc1, float *scratch)
{
    const size_t a2 = (size_t)(m + 2) * (size_t)(m + 2);
    const size_t th = (h + m - 1) / m, tw = (w + m - 1) / m;
    const size_t ncb = (cout + VGS_WINO_MR - 1) / VGS_WINO_MR;
    if (tr1 > th) tr1 = th;
    if (oc1 > cout) oc1 = cout;
    if (tr0 >= tr1 || oc0 >= oc1 || w == 0) return;
    const size_t t_end = tr1 * tw, cb_end = (oc1 + VGS_WINO_MR - 1) / VGS_WINO_MR;
    /* tiles per block (at most the task's, rounded up to whole panels) and channel blocks per
     * chunk: one panel and one block when the task's weights stay in cache
     * (VGS__WINO_UCACHED: V in L2, M in L1), else vgs__wino_block_tiles and KC / MR */
    const size_t ubytes = a2 * (cb_end - oc0 / VGS_WINO_MR) * VGS_WINO_MR * cin * sizeof(float);
    const size_t all = (t_end - tr0 * tw + VGS_WINO_T - 1) / VGS_WINO_T * VGS_WINO_T;
    const size_t tb_max = ubytes <= VGS__WINO_UCACHED ? VGS_WINO_T : vgs__wino_block_tiles(m, cin, VGS_WINO_T);
    const size_t tb = all < tb_max ? all : tb_max;
    const size_t kcb = ubytes <= VGS__WINO_UCACHED ? 1 : VGS__WINO_KC / VGS_WINO_MR; /* channel blocks a chunk */
    const size_t vxs = (tb * cin + VGS__WINO_PAD), mcs = a2 * tb + VGS__WINO_PAD; /* strides: V's xi, M's co */
    float *V = scratch;                          /* [xi][panel][ci][T]          */
    float *M = V + a2 * vxs;                     /* [co - chunk start][xi][tb]  */
    float *d = M + VGS__WINO_KC * mcs;           /* a2 x VW (gather)            */
    const vgs_v vmin = vgs_v_set1(out_min), vmax = vgs_v_set1(out_max);
    ptrdiff_t r0[VGS__WINO_TBMAX], c0[VGS__WINO_TBMAX]; /* per tile: the patch's first row and column */
    for (size_t t0 = tr0 * tw; t0 < t_end; t0 += tb) {
        const size_t nt = t_end - t0 < tb ? t_end - t0 : tb;
        const size_t np = (nt + VGS_WINO_T - 1) / VGS_WINO_T; /* panels */
        for (size_t l = 0; l < np * VGS_WINO_T; l++) {
            const size_t t = t0 + (l < nt ? l : 0);
            r0[l] = (ptrdiff_t)(t / tw * (size_t)m) - 1;
            c0[l] = (ptrdiff_t)(t % tw * (size_t)m) - 1;
        }
        VGS__WINO_PROF_T0();
        /* 1. input transform of the block, every input channel */
        for (size_t ci = 0; ci < cin; ci++) {
            if (ci + 2 < cin) VGS_FN(vgs__wino_prefetch)(m, h, w, x + (ci + 2) * x_cstride, r0, c0, nt);
            for (size_t v = 0; v < np * VGS_WINO_T; v += VGS_VW)
                VGS_FN(vgs__wino_input)(m, h, w, x + ci * x_cstride, r0 + v, c0 + v, nt > v ? nt - v : 0, d,
                                        V + (v / VGS_WINO_T * cin + ci) * VGS_WINO_T + v % VGS_WINO_T, vxs);
        }
        VGS__WINO_PROF_T(0);
        /* 2. per chunk of output channel blocks: per position xi, each block's weights
         * U[xi][cb] (cin x MR, L1) against every panel of V[xi] (L2); 3. the chunk's output
         * transform */
        for (size_t cc = oc0 / VGS_WINO_MR; cc < cb_end; cc += kcb) {
            const size_t cc_end = cb_end - cc < kcb ? cb_end : cc + kcb;
            for (size_t xi = 0; xi < a2; xi++) {
                for (size_t cb = cc; cb < cc_end; cb++) {
                    const float *up = u + (xi * ncb + cb) * cin * VGS_WINO_MR;
                    float *mp = M + (cb - cc) * VGS_WINO_MR * mcs + xi * tb;
                    for (size_t p = 0; p < np; p++) {
                        const float *vp = V + xi * vxs + p * cin * VGS_WINO_T;
                        if (nt - p * VGS_WINO_T > VGS_VW) VGS_FN(vgs__wino_tile)(2, cin, up, vp, mp + p * VGS_WINO_T, mcs);
                        else VGS_FN(vgs__wino_tile)(1, cin, up, vp, mp + p * VGS_WINO_T, mcs);
                    }
                }
            }
            VGS__WINO_PROF_T(1);
            for (size_t co = cc * VGS_WINO_MR; co < cc_end * VGS_WINO_MR; co++) {
                if (co < oc0 || co >= oc1) continue;
                for (size_t v = 0; v < nt; v += VGS_VW)
                    VGS_FN(vgs__wino_output)(m, M + (co - cc * VGS_WINO_MR) * mcs, tb, v, bias ? bias[co] : 0.0f,
                                             vmin, vmax, pool, h, w, r0, c0, nt, y + co * y_cstride);
            }
            VGS__WINO_PROF_T(2);
        }
    }
}

#define VGS__WINO_DEFINE(NAME, M)                                                                  \
    static void VGS_FN(NAME)(size_t cin, size_t cout, size_t h, size_t w, const float *x,           \
                             size_t x_cstride, const float *u, const float *bias, float *y,         \
                             size_t y_cstride, float out_min, float out_max, int pool,              \
                             size_t tile_row_begin, size_t tile_row_end, size_t oc_begin,           \
                             size_t oc_end, float *scratch)                                         \
    {                                                                                               \
        VGS_FN(vgs__winograd3x3)(M, cin, cout, h, w, x, x_cstride, u, bias, y, y_cstride, out_min,  \
                                 out_max, pool, tile_row_begin, tile_row_end, oc_begin, oc_end,     \
                                 scratch);                                                          \
    }
VGS__WINO_DEFINE(vgs_f32_winograd3x3_f23, 2)
VGS__WINO_DEFINE(vgs_f32_winograd3x3_f43, 4)
VGS__WINO_DEFINE(vgs_f32_winograd3x3_f63, 6)
#undef VGS__WINO_DEFINE

#undef VGS_WINO_MR
#undef VGS_WINO_T
