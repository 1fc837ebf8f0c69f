/* kernels/conv3x3.h — dense 3x3 convolution, padding 1, stride 1 and 2, NCHW, for few input
 * channels (the RGB stem; larger cin works, a slice of VGS_CONV_CIN channels at a time).
 * Generic body, instantiated per ISA, on the row staging of window3x3.h.
 *
 * Blocking: VGS_CONV_OB = 8 output channels share every tap load: per input channel and
 * kernel row, 3 tap vectors are loaded once and feed 8 x 3 FMAs into 8 accumulators (12
 * vector registers in all).  Output channels past cout in the last block recompute the last
 * valid channel and are not stored.  Contract: vgs_kernels.conv3x3s1p1 / conv3x3s2p1. */

#define VGS_CONV_OB 8
#define VGS_CONV_CIN 4 /* input channels staged at once: 4 x 3 rows of the strip on the stack */

static inline __attribute__((always_inline)) void VGS_FN(vgs__conv3x3)(
    int stride, size_t cin, size_t cout, size_t h, size_t w, const float *x, size_t x_cstride,
    const float *k, const float *bias, float *y, size_t y_cstride, float out_min, float out_max)
{
    const size_t oh = stride == 1 ? h : (h + 1) / 2, ow = stride == 1 ? w : (w + 1) / 2;
    const vgs_v vmin = vgs_v_set1(out_min), vmax = vgs_v_set1(out_max);
    float ring[VGS_CONV_CIN][3][VGS_STRIP_ROW];
    for (size_t c0 = 0; c0 < cin; c0 += VGS_CONV_CIN) {
        const size_t nc = cin - c0 < VGS_CONV_CIN ? cin - c0 : VGS_CONV_CIN;
        const int first_slice = c0 == 0, last_slice = c0 + nc == cin;
        for (size_t sx = 0; sx < ow; sx += VGS_STRIP) {
            const size_t sw = ow - sx < VGS_STRIP ? ow - sx : VGS_STRIP;
            const size_t span = (size_t)stride * ((sw + VGS_VW - 1) / VGS_VW * VGS_VW) + 2;
            const ptrdiff_t first = (ptrdiff_t)(stride * sx) - 1;
            ptrdiff_t staged = -1; /* last input row staged; row r of channel c in ring[c][r % 3] */
            for (size_t oy = 0; oy < oh; oy++) {
                const ptrdiff_t top = (ptrdiff_t)(stride * oy) - 1;
                const ptrdiff_t last = top + 2 < (ptrdiff_t)h ? top + 2 : (ptrdiff_t)h - 1;
                for (ptrdiff_t r = staged + 1; r <= last; r++) {
                    for (size_t c = 0; c < nc; c++) {
                        VGS_FN(vgs__stage_row)(x + (c0 + c) * x_cstride + (size_t)r * w, w, (h - (size_t)r) * w, first, span,
                                               0.0f, ring[c][r % 3]);
                    }
                }
                if (last > staged) staged = last;
                for (size_t o0 = 0; o0 < cout; o0 += VGS_CONV_OB) {
                    const size_t ob = cout - o0 < VGS_CONV_OB ? cout - o0 : VGS_CONV_OB;
                    const float *ko[VGS_CONV_OB];
                    for (size_t o = 0; o < VGS_CONV_OB; o++) ko[o] = k + ((o0 + (o < ob ? o : ob - 1)) * cin + c0) * 9;
                    for (size_t ox = 0; ox < sw; ox += VGS_VW) {
                        const size_t yoff = oy * ow + sx + ox, n = sw - ox;
                        vgs_v acc[VGS_CONV_OB];
#pragma GCC unroll 8
                        for (size_t o = 0; o < VGS_CONV_OB; o++) {
                            const size_t oc = o0 + (o < ob ? o : ob - 1);
                            if (first_slice) acc[o] = vgs_v_set1(bias ? bias[oc] : 0.0f);
                            else acc[o] = n >= VGS_VW ? vgs_v_load(y + oc * y_cstride + yoff)
                                                      : vgs_v_loadn(y + oc * y_cstride + yoff, n);
                        }
                        for (size_t c = 0; c < nc; c++) {
                            for (int ky = 0; ky < 3; ky++) {
                                const ptrdiff_t iy = top + ky;
                                if (iy < 0 || iy >= (ptrdiff_t)h) continue; /* padding row */
                                vgs_v t0, t1, t2;
                                VGS_FN(vgs__taps3)(stride, ring[c][iy % 3] + stride * ox, &t0, &t1, &t2);
#pragma GCC unroll 8
                                for (size_t o = 0; o < VGS_CONV_OB; o++) {
                                    const float *kk = ko[o] + c * 9 + ky * 3;
                                    acc[o] = vgs_v_fma(vgs_v_set1(kk[0]), t0, acc[o]);
                                    acc[o] = vgs_v_fma(vgs_v_set1(kk[1]), t1, acc[o]);
                                    acc[o] = vgs_v_fma(vgs_v_set1(kk[2]), t2, acc[o]);
                                }
                            }
                        }
#pragma GCC unroll 8
                        for (size_t o = 0; o < VGS_CONV_OB; o++) {
                            if (o >= ob) break;
                            vgs_v v = acc[o];
                            if (last_slice) v = vgs_v_clamp(v, vmin, vmax);
                            VGS_FN(vgs__store_upto)(y + (o0 + o) * y_cstride + yoff, v, n);
                        }
                    }
                }
            }
        }
    }
}

static void VGS_FN(vgs_f32_conv3x3s1p1)(size_t cin, size_t cout, size_t h, size_t w, const float *x,
                                        size_t x_cstride, const float *k, const float *bias, float *y,
                                        size_t y_cstride, float out_min, float out_max)
{
    VGS_FN(vgs__conv3x3)(1, cin, cout, h, w, x, x_cstride, k, bias, y, y_cstride, out_min, out_max);
}

static void VGS_FN(vgs_f32_conv3x3s2p1)(size_t cin, size_t cout, size_t h, size_t w, const float *x,
                                        size_t x_cstride, const float *k, const float *bias, float *y,
                                        size_t y_cstride, float out_min, float out_max)
{
    VGS_FN(vgs__conv3x3)(2, cin, cout, h, w, x, x_cstride, k, bias, y, y_cstride, out_min, out_max);
}

#undef VGS_CONV_OB
#undef VGS_CONV_CIN
