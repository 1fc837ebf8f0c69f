/* kernels/conv3x3.h — dense 3x3 convolution, padding 1, stride 1 and 2, NCHW, for few input
 * channels (the RGB stem; larger cin works, a slice of VGS_CONV_CIN channels at a time), over
 * a band of output rows (the runtime's tasks are bands x blocks of channels).
 * Generic body, instantiated per ISA, on the row staging of window3x3.h.
 *
 * Register block: VGS_CONV_OB output channels x VGS_CONV_PV = 2 vectors of pixels of one
 * output row, OB * PV accumulators.  Per input channel, kernel row and tap kx, the PV tap
 * vectors are loaded once and each of the OB weights is broadcast once and feeds PV FMAs;
 * a block holds OB*PV + PV + 1 vectors.  16 registers (AVX2; the scalar tier follows):
 * 4 x 2 = 8 accumulators, 11 registers, 6 loads per 8 FMAs.  Measured on Zen4 (AVX2, tasks
 * as the runtime's, GFLOP/s; stem 3->24 s2 224 / 3->64 s1 56): 4 x 2 45 / 64, 6 x 2 45 / 64,
 * 4 x 3 40 / 57 (12 + 3 + 1 = all 16 registers: GCC then reloads the taps from memory for
 * every FMA), 8 x 1 38 / 55 (the old kernel: 25 / 48).  32 registers (AVX-512, NEON): 8 x 2
 * = 16 accumulators, 19 registers (AVX-512 folds the broadcast into the FMA); not timed
 * here (the VM hides AVX-512): chosen so that the block keeps >= 8 independent chains
 * (2 FMA pipes x 4 cycles) with room to spare, as 4 x 2 does on AVX2.  A row's last
 * vector (partial or not) runs the same block with PV = 1, a last block of at most OB/2
 * channels the block of OB/2.
 *
 * Staging: the input rows of the strip are copied once per band into a ring of 3 rows per
 * input channel with the zero padding around them (window3x3.h), shared by all output
 * channels of the call, so every tap is a plain vector load.  Stride 2 stages each row
 * deinterleaved (its even and odd staged columns in two halves of the ring row), so its
 * taps are plain loads too: output column j reads staged columns 2j, 2j+1, 2j+2 = even[j],
 * odd[j], even[j+1] (the old kernel deinterleaved every tap vector, 3 times per output
 * row and block of channels).  Rows above and below the plane read a row of zeros.
 * Output channels past cout in the last block recompute the last valid channel and are
 * not stored.  Each output sums bias, then input channels, kernel rows and taps in order
 * (input channels past a slice of VGS_CONV_CIN go through y), whatever the band.
 * Contract: vgs_kernels.conv3x3s1p1 / conv3x3s2p1. */

#define VGS_CONV_OB (VGS_VREGS >= 32 ? 8 : 4) /* output channels a register block */
#define VGS_CONV_PV 2                         /* pixel vectors a register block */
#define VGS_CONV_CIN 4                  /* input channels staged at once: 4 x 3 rows of the strip on the stack */
#define VGS_CONV_HALF (VGS_STRIP + 1)   /* stride 2: where the odd columns start in a ring row */

/* Stage input row `row` of the strip (see vgs__stage_row), deinterleaved at stride 2 through
 * tmp: dst[j] = column first + 2j for j <= sw_vec, dst[HALF + j] = column first + 2j + 1. */
static inline __attribute__((always_inline)) void VGS_FN(vgs__conv_stage)(int stride, const float *row, size_t w,
                                                                          size_t avail, ptrdiff_t first,
                                                                          size_t sw_vec, float *tmp, float *dst)
{
    if (stride == 1) {
        VGS_FN(vgs__stage_row)(row, w, avail, first, sw_vec + 2, 0.0f, dst);
        return;
    }
    VGS_FN(vgs__stage_row)(row, w, avail, first, 2 * sw_vec + 2, 0.0f, tmp);
    for (size_t j = 0; j < sw_vec; j += VGS_VW) {
        vgs_v e, o;
        vgs_v_load2(tmp + 2 * j, &e, &o);
        vgs_v_store(dst + j, e);
        vgs_v_store(dst + VGS_CONV_HALF + j, o);
    }
    dst[sw_vec] = tmp[2 * sw_vec];
}

/* One register block: OB output channels (weights at ko[o] + c*9 + ky*3 + kx) x nv vectors
 * of pixels starting at staged column px of the rows rp[c][ky]; init from the bias or y,
 * clamped on the last slice, stored to the first ob channels (n pixels in all). */
static inline __attribute__((always_inline)) void VGS_FN(vgs__conv_block)(
    int stride, int nob, int nv, size_t nc, const float *const (*rp)[3], size_t px, const float *const *ko,
    const float *bo, size_t ob, int first_slice, int last_slice, float *y, size_t y_cstride, size_t n,
    vgs_v vmin, vgs_v vmax)
{
    /* tap kx of the PV vectors: at r + off[kx] (stride 2: even[j], odd[j], even[j+1]) */
    const size_t off[3] = {0, stride == 1 ? (size_t)1 : (size_t)VGS_CONV_HALF, stride == 1 ? (size_t)2 : (size_t)1};
    vgs_v acc[VGS_CONV_OB][VGS_CONV_PV];
#pragma GCC unroll 8
    for (size_t o = 0; o < (size_t)nob; o++) {
#pragma GCC unroll 3
        for (int v = 0; v < nv; v++) {
            const size_t left = n - (size_t)v * VGS_VW;
            float *yo = y + (o < ob ? o : ob - 1) * y_cstride + (size_t)v * VGS_VW;
            if (first_slice) acc[o][v] = vgs_v_set1(bo[o]);
            else acc[o][v] = left >= VGS_VW ? vgs_v_load(yo) : vgs_v_loadn(yo, left);
        }
    }
    for (size_t c = 0; c < nc; c++) {
#pragma GCC unroll 3
        for (int ky = 0; ky < 3; ky++) {
            const float *r = rp[c][ky] + px;
            __asm__("" : "+r"(r)); /* opaque: the taps are r + constants, not one index register each */
#pragma GCC unroll 3
            for (int kx = 0; kx < 3; kx++) {
                vgs_v t[VGS_CONV_PV];
#pragma GCC unroll 3
                for (int v = 0; v < nv; v++) t[v] = vgs_v_load(r + off[kx] + (size_t)v * VGS_VW);
#pragma GCC unroll 8
                for (size_t o = 0; o < (size_t)nob; o++) {
                    const vgs_v wk = vgs_v_set1(ko[o][c * 9 + (size_t)(ky * 3 + kx)]);
#pragma GCC unroll 3
                    for (int v = 0; v < nv; v++) acc[o][v] = vgs_v_fma(wk, t[v], acc[o][v]);
                }
            }
        }
    }
#pragma GCC unroll 8
    for (size_t o = 0; o < (size_t)nob; o++) {
        if (o >= ob) break;
#pragma GCC unroll 3
        for (int v = 0; v < nv; v++) {
            vgs_v a = acc[o][v];
            if (last_slice) a = vgs_v_clamp(a, vmin, vmax);
            VGS_FN(vgs__store_upto)(y + o * y_cstride + (size_t)v * VGS_VW, a, n - (size_t)v * VGS_VW);
        }
    }
}

/* One output row of the strip (sw pixels at y) for a block of nob output channels: blocks
 * of PV vectors, then one of the vectors left. */
static inline __attribute__((always_inline)) void VGS_FN(vgs__conv_row)(
    int stride, int nob, size_t nc, const float *const (*rp)[3], const float *const *ko, const float *bo, size_t ob,
    int first_slice, int last_slice, float *y, size_t y_cstride, size_t sw, vgs_v vmin, vgs_v vmax)
{
    const size_t nvec = (sw + VGS_VW - 1) / VGS_VW;
    size_t v0 = 0;
    for (; v0 + VGS_CONV_PV <= nvec; v0 += VGS_CONV_PV) {
        VGS_FN(vgs__conv_block)(stride, nob, VGS_CONV_PV, nc, rp, v0 * VGS_VW, ko, bo, ob, first_slice, last_slice,
                                y + v0 * VGS_VW, y_cstride, sw - v0 * VGS_VW, vmin, vmax);
    }
    const size_t rv = nvec - v0; /* 0 .. PV-1 */
#pragma GCC unroll 8
    for (int nv = 1; nv < VGS_CONV_PV; nv++) {
        if ((size_t)nv != rv) continue;
        VGS_FN(vgs__conv_block)(stride, nob, nv, nc, rp, v0 * VGS_VW, ko, bo, ob, first_slice, last_slice,
                                y + v0 * VGS_VW, y_cstride, sw - v0 * VGS_VW, vmin, vmax);
    }
}

static inline __attribute__((always_inline)) void VGS_FN(vgs__conv3x3)(
    int stride, size_t cin, size_t cout, size_t h, size_t w, const float *x, size_t x_cstride,
    const float *k, const float *bias, float *y, size_t y_cstride, float out_min, float out_max, size_t oy0,
    size_t oy1)
{
    const size_t oh = stride == 1 ? h : (h + 1) / 2, ow = stride == 1 ? w : (w + 1) / 2;
    if (oy1 > oh) oy1 = oh;
    const vgs_v vmin = vgs_v_set1(out_min), vmax = vgs_v_set1(out_max);
    float ring[VGS_CONV_CIN][3][VGS_STRIP_ROW];
    float zero[VGS_STRIP_ROW]; /* the rows above and below the plane, staged */
    float tmp[VGS_STRIP_ROW];  /* stride 2: a row before its deinterleave */
    memset(zero, 0, sizeof zero);
    for (size_t c0 = 0; c0 < cin; c0 += VGS_CONV_CIN) {
        const size_t nc = cin - c0 < VGS_CONV_CIN ? cin - c0 : VGS_CONV_CIN;
        const int first_slice = c0 == 0, last_slice = c0 + nc == cin;
        for (size_t sx = 0; sx < ow; sx += VGS_STRIP) {
            const size_t sw = ow - sx < VGS_STRIP ? ow - sx : VGS_STRIP;
            const size_t nvec = (sw + VGS_VW - 1) / VGS_VW, sw_vec = nvec * VGS_VW;
            const ptrdiff_t first = (ptrdiff_t)(stride * sx) - 1;
            /* the last input row staged (none yet: the row above the first one read, or -1);
             * row r of channel c in ring[c][r % 3] */
            ptrdiff_t staged = stride * oy0 >= 1 ? (ptrdiff_t)(stride * oy0) - 2 : -1;
            for (size_t oy = oy0; oy < oy1; oy++) {
                const ptrdiff_t top = (ptrdiff_t)(stride * oy) - 1;
                const ptrdiff_t last = top + 2 < (ptrdiff_t)h ? top + 2 : (ptrdiff_t)h - 1;
                for (ptrdiff_t r = staged + 1; r <= last; r++) {
                    for (size_t c = 0; c < nc; c++) {
                        VGS_FN(vgs__conv_stage)(stride, x + (c0 + c) * x_cstride + (size_t)r * w, w,
                                                (h - (size_t)r) * w, first, sw_vec, tmp, ring[c][r % 3]);
                    }
                }
                if (last > staged) staged = last;
                const float *rp[VGS_CONV_CIN][3];
                for (size_t c = 0; c < nc; c++) {
                    for (int ky = 0; ky < 3; ky++) {
                        const ptrdiff_t iy = top + ky;
                        rp[c][ky] = iy < 0 || iy >= (ptrdiff_t)h ? zero : ring[c][iy % 3];
                    }
                }
                for (size_t o0 = 0; o0 < cout; o0 += VGS_CONV_OB) {
                    const size_t ob = cout - o0 < VGS_CONV_OB ? cout - o0 : VGS_CONV_OB;
                    const float *ko[VGS_CONV_OB];
                    float bo[VGS_CONV_OB];
                    for (size_t o = 0; o < VGS_CONV_OB; o++) {
                        const size_t oc = o0 + (o < ob ? o : ob - 1);
                        ko[o] = k + (oc * cin + c0) * 9;
                        bo[o] = bias ? bias[oc] : 0.0f;
                    }
                    float *yb = y + o0 * y_cstride + oy * ow + sx;
                    if (ob > VGS_CONV_OB / 2) {
                        VGS_FN(vgs__conv_row)(stride, VGS_CONV_OB, nc, (const float *const (*)[3])rp, ko, bo, ob,
                                              first_slice, last_slice, yb, y_cstride, sw, vmin, vmax);
                    } else { /* the last block of a few channels: half as many accumulators */
                        VGS_FN(vgs__conv_row)(stride, VGS_CONV_OB / 2, nc, (const float *const (*)[3])rp, ko, bo, ob,
                                              first_slice, last_slice, yb, y_cstride, sw, vmin, vmax);
                    }
                }
            }
        }
    }
}

static void VGS_FN(vgs_f32_conv3x3s1p1)(size_t cin, size_t cout, size_t h, size_t w, const float *x,
                                        size_t x_cstride, const float *k, const float *bias, float *y,
                                        size_t y_cstride, float out_min, float out_max, size_t oy0, size_t oy1)
{
    VGS_FN(vgs__conv3x3)(1, cin, cout, h, w, x, x_cstride, k, bias, y, y_cstride, out_min, out_max, oy0, oy1);
}

static void VGS_FN(vgs_f32_conv3x3s2p1)(size_t cin, size_t cout, size_t h, size_t w, const float *x,
                                        size_t x_cstride, const float *k, const float *bias, float *y,
                                        size_t y_cstride, float out_min, float out_max, size_t oy0, size_t oy1)
{
    VGS_FN(vgs__conv3x3)(2, cin, cout, h, w, x, x_cstride, k, bias, y, y_cstride, out_min, out_max, oy0, oy1);
}

#undef VGS_CONV_OB
#undef VGS_CONV_PV
#undef VGS_CONV_CIN
#undef VGS_CONV_HALF
