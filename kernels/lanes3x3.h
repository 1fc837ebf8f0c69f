/* kernels/lanes3x3.h — the 3x3 window (stride 1 or 2, padding 1) on small planes, channels
 * across the lanes.  Generic body, instantiated per ISA; used by the depthwise-convolution
 * and pooling families where it beats the row walk of window3x3.h (planes of a few vectors a
 * row, where that walk pays its staging, weight broadcasts and ring set-up per channel for
 * a few vectors of work, with a lane tail in every row).
 *
 * VW channels at a time: their planes are staged transposed into a padded stack tile of
 * (h+2) x (w+2) pixels of VW floats (lane l = channel c0+l; the border holds the padding
 * value, 0 or -inf), read flat, VW pixels of VW planes a VW x VW transpose.  Then every
 * output pixel is one vector over the VW channels: its taps are plain loads from the tile
 * (stride 2 just indexes it), with per-channel weight vectors.  VW pixels of an output row
 * are computed together (independent chains) into an output tile, which goes back to each
 * lane's own plane VW flat pixels at a time, transposed (y_index: each lane's plane
 * pointer).  Stack: the two tiles and an offset table, 37 KB at VW = 8, 78 KB at VW = 16. 
 *
 * Each output's arithmetic is exactly the row walk's (window3x3.h): the bias (or the
 * padding value), then per input row ky (padding rows skipped, padding columns read as
 * staged padding) the taps kx = 0, 1, 2 in the same operations, then the / 9 or clamp.  So
 * both paths give bit-identical results, and which one runs is a matter of speed only. */

/* Padded pixels ((h+2) x (w+2)) of the largest plane staged whole: 28 x 28 planes, a 29 KB
 * tile at VW = 8 (L1 on every x86 core since Haswell), 58 KB at VW = 16. */
#define VGS_LANES_TILE (30 * 30)
/* Output pixels (oh x ow) of the largest plane, held in a second tile: stride 1 pays up to
 * 16 x 16 planes (bench_kernels: 14 x 14 0.6x the time of the row walk, 28 x 28 1.15x),
 * stride 2 up to 28 x 28 (14 x 14 outputs). */
#define VGS_LANES_OUT (16 * 16)

static inline __attribute__((always_inline)) void VGS_FN(vgs__lanes3x3)(
    int op, int stride, size_t c, size_t h, size_t w, const float *x, size_t x_cstride, const float *k,
    const float *bias, float *y, size_t y_cstride, const int32_t *y_index, float out_min, float out_max)
{
    const size_t oh = stride == 1 ? h : (h + 1) / 2, ow = stride == 1 ? w : (w + 1) / 2;
    const size_t tw = w + 2, hw = h * w, ohw = oh * ow;
    const float pad = op == VGS__WIN_MAX ? -INFINITY : 0.0f;
    const vgs_v vpad = vgs_v_set1(pad), vzero = vgs_v_zero();
    const vgs_v vmin = vgs_v_set1(out_min), vmax = vgs_v_set1(out_max), ninth = vgs_v_set1(1.0f / 9.0f);
    float tile[VGS_LANES_TILE * VGS_VW] __attribute__((aligned(64)));
    float out[VGS_LANES_OUT * VGS_VW] __attribute__((aligned(64))); /* the group's output pixels */
    /* the border, once: staging writes only the interior */
    for (size_t i = 0; i < tw; i++) {
        vgs_v_store(tile + i * VGS_VW, vpad);
        vgs_v_store(tile + ((h + 1) * tw + i) * VGS_VW, vpad);
    }
    for (size_t r = 1; r <= h; r++) {
        vgs_v_store(tile + r * tw * VGS_VW, vpad);
        vgs_v_store(tile + (r * tw + w + 1) * VGS_VW, vpad);
    }
    uint32_t toff[VGS_LANES_TILE]; /* input pixel p -> its float offset in the tile */
    for (size_t r = 0, p = 0; r < h; r++)
        for (size_t q = 0; q < w; q++, p++) toff[p] = (uint32_t)(((r + 1) * tw + q + 1) * VGS_VW);
    for (size_t c0 = 0; c0 < c; c0 += VGS_VW) {
        const size_t n = c - c0 < VGS_VW ? c - c0 : VGS_VW; /* channels (lanes) of this group */
        const float *xp[VGS_VW];
        float *yp[VGS_VW];
        float kt[9][VGS_VW], bt[VGS_VW];
        for (size_t l = 0; l < VGS_VW; l++) {
            const size_t i = c0 + (l < n ? l : 0);
            xp[l] = x + i * x_cstride;
            yp[l] = y + (y_index ? (size_t)y_index[i] : i) * y_cstride;
            for (int t = 0; t < 9; t++) kt[t][l] = op == VGS__WIN_DWCONV && l < n ? k[9 * i + t] : 0.0f;
            bt[l] = op == VGS__WIN_DWCONV ? (bias && l < n ? bias[i] : 0.0f) : pad;
        }
        const vgs_v vbias = vgs_v_load(bt);
        /* stage: VW flat pixels p.. of the VW planes (lanes past n re-read plane c0, never
         * stored), transposed, to their tile pixels */
        size_t p = 0;
        for (; p + VGS_VW <= hw; p += VGS_VW) {
            vgs_v r[VGS_VW];
#pragma GCC unroll 16
            for (size_t l = 0; l < VGS_VW; l++) r[l] = vgs_v_load(xp[l] + p);
            vgs_v_transpose(r);
#pragma GCC unroll 16
            for (size_t j = 0; j < VGS_VW; j++) vgs_v_store(tile + toff[p + j], r[j]);
        }
        if (p < hw) {
            const size_t m = hw - p;
            vgs_v r[VGS_VW];
#pragma GCC unroll 16
            for (size_t l = 0; l < VGS_VW; l++) {
                /* a full load where it stays inside the input (the planes and gaps up to the
                 * next channel's end): the lanes past the plane are never staged */
                const size_t i = c0 + (l < n ? l : 0);
                r[l] = i + 1 < c && p + VGS_VW <= x_cstride + hw ? vgs_v_load(xp[l] + p) : vgs_v_loadn(xp[l] + p, m);
            }
            vgs_v_transpose(r);
            for (size_t j = 0; j < m; j++) vgs_v_store(tile + toff[p + j], r[j]);
        }
        /* compute, VW output pixels of a row at a time */
        for (size_t oy = 0; oy < oh; oy++) {
            /* input rows S*oy-1+ky: ky = 0 is padding on the first row, ky = 2 past the last */
            const int ky_lo = oy == 0 ? 1 : 0, ky_hi = (size_t)stride * oy + 1 >= h ? 1 : 2;
            for (size_t ox0 = 0; ox0 < ow; ox0 += VGS_VW) {
                const size_t m = ow - ox0 < VGS_VW ? ow - ox0 : VGS_VW;
                vgs_v acc[VGS_VW];
#pragma GCC unroll 16
                for (size_t j = 0; j < VGS_VW; j++) acc[j] = vbias;
                for (int ky = ky_lo; ky <= ky_hi; ky++) {
                    /* tile row S*oy+ky is input row S*oy+ky-1; tile column S*ox+kx, input S*ox+kx-1 */
                    const float *tr = tile + (((size_t)stride * oy + (size_t)ky) * tw + (size_t)stride * ox0) * VGS_VW;
                    if (op == VGS__WIN_DWCONV) {
#pragma GCC unroll 3
                        for (int kx = 0; kx < 3; kx++) {
                            const vgs_v kv = vgs_v_load(kt[ky * 3 + kx]);
#pragma GCC unroll 16
                            for (size_t j = 0; j < VGS_VW; j++) {
                                if (j >= m) break;
                                acc[j] = vgs_v_fma(kv, vgs_v_load(tr + ((size_t)stride * j + (size_t)kx) * VGS_VW), acc[j]);
                            }
                        }
                    } else {
#pragma GCC unroll 16
                        for (size_t j = 0; j < VGS_VW; j++) {
                            if (j >= m) break;
                            const float *t = tr + (size_t)stride * j * VGS_VW;
                            const vgs_v t0 = vgs_v_load(t), t1 = vgs_v_load(t + VGS_VW), t2 = vgs_v_load(t + 2 * VGS_VW);
                            if (op == VGS__WIN_MAX) acc[j] = vgs_v_max(acc[j], vgs_v_max(t0, vgs_v_max(t1, t2)));
                            else acc[j] = vgs_v_add(acc[j], vgs_v_add(vgs_v_add(t0, t1), t2));
                        }
                    }
                }
#pragma GCC unroll 16
                for (size_t j = 0; j < VGS_VW; j++) {
                    if (op == VGS__WIN_AVG) acc[j] = vgs_v_mul(acc[j], ninth);
                    if (op == VGS__WIN_DWCONV) acc[j] = vgs_v_clamp(acc[j], vmin, vmax);
                }
#pragma GCC unroll 16
                for (size_t j = 0; j < VGS_VW; j++) {
                    if (j >= m) break;
                    vgs_v_store(out + (oy * ow + ox0 + j) * VGS_VW, acc[j]);
                }
            }
        }
        /* store: VW flat output pixels p.. of the tile, transposed, to the n planes */
        for (size_t p = 0; p < ohw; p += VGS_VW) {
            const size_t m = ohw - p < VGS_VW ? ohw - p : VGS_VW;
            vgs_v r[VGS_VW];
#pragma GCC unroll 16
            for (size_t j = 0; j < VGS_VW; j++) r[j] = j < m ? vgs_v_load(out + (p + j) * VGS_VW) : vzero;
            vgs_v_transpose(r);
#pragma GCC unroll 16
            for (size_t l = 0; l < VGS_VW; l++) {
                if (l >= n) break;
                VGS_FN(vgs__store_upto)(yp[l] + p, r[l], m);
            }
        }
    }
}

/* Whether a call takes the lanes path: the plane fits the tile (and, for the A/B builds of
 * bench/, VGS_LANES_OFF is not defined). */
static inline int VGS_FN(vgs__lanes_pay)(int stride, size_t c, size_t h, size_t w)
{
#ifdef VGS_BENCH_AB /* bench/bench_kernels.c built for an A/B of the two paths in one process */
    extern int vgs_bench_lanes_off;
    if (vgs_bench_lanes_off) return 0;
#endif
#ifdef VGS_LANES_OFF
    (void)stride, (void)c, (void)h, (void)w;
    return 0;
#else
    (void)c;
    const size_t oh = stride == 1 ? h : (h + 1) / 2, ow = stride == 1 ? w : (w + 1) / 2;
    return (h + 2) * (w + 2) <= VGS_LANES_TILE && oh * ow <= VGS_LANES_OUT;
#endif
}

/* Where a tier has a half-width one (VGS_NARROW_FN), stride-2 depthwise convolution and
 * average pooling go to it whole (1) in calls of one group of this width and a tail of at
 * most VW/2 channels (VW < c <= 1.5 VW: 17 to 24 at VW = 16, the runtime's 21-channel
 * blocks of 14 x 14 outputs, ShuffleNet's stride-2 layers on 28 x 28), and average pooling
 * also (2) on padded planes (h+2) x (w+2) of more than VGS_LANES_NARROW_LO and fewer than
 * VGS_LANES_NARROW_HI pixels (18 x 18 to 24 x 24, and oblong ones like 28 x 14 .. 28 x 18).
 * Measured on an Emerald Rapids Xeon (2 FMA-512 ports, 48 KB L1D): AVX-512 / AVX2 time,
 * median per-round ratio of 31-41 interleaved rounds in one process, 252 channels in calls
 * of c (bench/bench_tiers.c's A/B build and /tmp harnesses, see the commits):
 *  (1) c = 21: dwconv 1.01-1.23 and avgpool 1.03-1.35 on every plane 12x12 .. 28x28 (three
 *      runs), while whole groups (c = 16, 32, 64) mostly win on 12x12, 16x16, 26x26 and
 *      28x28 (0.80-1.04); the nets' 28x28 layers (V1 and V2, 48 to 768 channels) 1.01-1.14,
 *      medians of 8 processes.  The tail's own pass (set-up, staging of its planes) costs
 *      more than the wide group saves; with 2 or 3 groups before the tail it is a toss-up
 *      (c = 37, 51: 0.87-1.23 from run to run), with 5 (7 x 7 outputs: 84) AVX-512 wins.
 *  (2) avgpool 18x18 .. 24x24, every c: 0.92-1.35, mostly 1.05-1.2 (8-process medians of
 *      the runtime's blocks: 1.13, 1.08, 1.19, 1.02; 28x16 1.15, 28x14 1.10), against
 *      0.82-0.99 on 26x26 and 28x28 (without a short tail).  Likely the 16-lane working set (tile, output tile,
 *      16 staged planes) just past L1 there; dwconv on the same planes goes either way
 *      from run to run (0.80-1.10): left wide.
 * Max pooling stays wide (its NaN-keeping max is 3 operations a tap): 0.61-0.96 but for
 * c = 21 (0.82-1.07).  Stride 1 stays wide: 0.71-0.96, c = 21 0.92-1.04 (at 14x14: the
 * nets' blocks) a tie.  (On AMD Zen 4, whose 512-bit operations run in two halves, every call
 * that would take this path at VW = 16 measured slower than AVX2's: there the AVX-512 table
 * hands them to AVX2 before they get here, arch/avx512/halves.h.) */
#define VGS_LANES_NARROW_LO 384
#define VGS_LANES_NARROW_HI 784

/* (On AVX-512 most of these calls no longer get here: flat3x3.h takes stride-1 depthwise
 * convolution on planes up to 1024 pixels and stride 2 on rows of 12 outputs or more.)
 *
 * The entry of the dwconv and pool families: one instance per operation (op and stride are
 * constants in each).  Where a tier has a half-width one (VGS_NARROW_FN: AVX-512's is AVX2),
 * the calls above (VGS_LANES_NARROW_*) go to it whole, and in others a channel tail of at
 * most VW/2, so that no group of this width wastes more lanes than that tier would.  Either
 * way the same lanes' work, in the same operations per output: bit-identical. */
#if VGS_VW > 1
static void VGS_FN(vgs__lanes3x3_run)(int op, int stride, size_t c, size_t h, size_t w, const float *x,
                                      size_t x_cstride, const float *k, const float *bias, float *y, size_t y_cstride,
                                      const int32_t *y_index, float out_min, float out_max)
{
#ifdef VGS_NARROW_FN
    const size_t padded = (h + 2) * (w + 2);
    if (VGS__NARROW_ON && stride == 2 && op != VGS__WIN_MAX &&
        ((c > VGS_VW && c <= VGS_VW + VGS_VW / 2) ||
         (op == VGS__WIN_AVG && padded > VGS_LANES_NARROW_LO && padded < VGS_LANES_NARROW_HI))) {
        VGS_NARROW_FN(vgs__lanes3x3_run)(op, stride, c, h, w, x, x_cstride, k, bias, y, y_cstride, y_index, out_min,
                                         out_max);
        return;
    }
    const size_t tail = c % VGS_VW;
    if (tail && tail <= VGS_VW / 2) {
        const size_t c1 = c - tail;
        VGS_NARROW_FN(vgs__lanes3x3_run)(op, stride, tail, h, w, x + c1 * x_cstride, x_cstride, k ? k + 9 * c1 : NULL,
                                         bias ? bias + c1 : NULL, y_index ? y : y + c1 * y_cstride, y_cstride,
                                         y_index ? y_index + c1 : NULL, out_min, out_max);
        c = c1;
        /* all of it was the tail: no empty pass of this width (its set-up alone, 0.12-0.25 us,
         * made 8-channel calls 1.18-1.33x AVX2's time at 14x14 .. 28x28, stride 2) */
        if (!c) return;
    }
#endif
    if (op == VGS__WIN_DWCONV && stride == 1)
        VGS_FN(vgs__lanes3x3)(VGS__WIN_DWCONV, 1, c, h, w, x, x_cstride, k, bias, y, y_cstride, y_index, out_min, out_max);
    else if (op == VGS__WIN_DWCONV)
        VGS_FN(vgs__lanes3x3)(VGS__WIN_DWCONV, 2, c, h, w, x, x_cstride, k, bias, y, y_cstride, y_index, out_min, out_max);
    else if (op == VGS__WIN_MAX)
        VGS_FN(vgs__lanes3x3)(VGS__WIN_MAX, 2, c, h, w, x, x_cstride, NULL, NULL, y, y_cstride, NULL, 0.0f, 0.0f);
    else
        VGS_FN(vgs__lanes3x3)(VGS__WIN_AVG, 2, c, h, w, x, x_cstride, NULL, NULL, y, y_cstride, NULL, 0.0f, 0.0f);
}
#endif
