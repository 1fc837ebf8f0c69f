/* kernels/conv3x3.h — direct 3x3 convolution, padding 1, stride 1 and 2, NCHW, one output
 * plane from `cin` input planes (the stem convolution: cin = 3; depthwise: cin = 1).
 * Generic body, instantiated per ISA; vectorised along output columns.  Contract:
 * vgs_kernels.conv3x3s1p1 / conv3x3s2p1.  Needs kernels/window3x3.h. */

/* Taps of row `row` (w columns) for outputs from ox0, zero outside the row. */
static inline __attribute__((always_inline)) void VGS_FN(vgs__taps3_row)(
    int stride, const float *row, size_t w, size_t ox0, vgs_v *t0, vgs_v *t1, vgs_v *t2)
{
    const ptrdiff_t first = (ptrdiff_t)(stride * ox0) - 1;
    const size_t span = (size_t)stride * VGS_VW + 2;
    float buf[2 * VGS_VW + 2];
    if (first >= 0 && (size_t)first + span <= w) {
        VGS_FN(vgs__taps3)(stride, row + first, t0, t1, t2);
    } else {
        VGS_FN(vgs__stage_row)(row, w, first, span, 0.0f, buf);
        VGS_FN(vgs__taps3)(stride, buf, t0, t1, t2);
    }
}

static inline __attribute__((always_inline)) void VGS_FN(vgs__conv3x3)(
    int stride, size_t cin, size_t h, size_t w, const float *x, size_t x_cstride,
    const float *k, float bias, float *y, float out_min, float out_max)
{
    const size_t oh = stride == 1 ? h : (h + 1) / 2;
    const size_t ow = stride == 1 ? w : (w + 1) / 2;
    const vgs_v vmin = vgs_v_set1(out_min), vmax = vgs_v_set1(out_max);
    for (size_t oy = 0; oy < oh; oy++) {
        float *yrow = y + oy * ow;
        for (size_t ox = 0; ox < ow; ox += VGS_VW) {
            vgs_v acc = vgs_v_set1(bias);
            for (size_t c = 0; c < cin; c++) {
                const float *xc = x + c * x_cstride;
                const float *kc = k + c * 9;
                for (int ky = 0; ky < 3; ky++) {
                    const ptrdiff_t iy = (ptrdiff_t)(stride * oy) + ky - 1;
                    if (iy < 0 || (size_t)iy >= h) continue; /* zero padding row */
                    vgs_v t0, t1, t2;
                    VGS_FN(vgs__taps3_row)(stride, xc + (size_t)iy * w, w, ox, &t0, &t1, &t2);
                    acc = vgs_v_fma(vgs_v_set1(kc[ky * 3 + 0]), t0, acc);
                    acc = vgs_v_fma(vgs_v_set1(kc[ky * 3 + 1]), t1, acc);
                    acc = vgs_v_fma(vgs_v_set1(kc[ky * 3 + 2]), t2, acc);
                }
            }
            acc = vgs_v_min(vgs_v_max(acc, vmin), vmax);
            VGS_FN(vgs__store_upto)(yrow + ox, acc, ow - ox);
        }
    }
}

static void VGS_FN(vgs_f32_conv3x3s1p1)(size_t cin, size_t h, size_t w, const float *x,
                                        size_t x_cstride, const float *k, float bias, float *y,
                                        float out_min, float out_max)
{
    VGS_FN(vgs__conv3x3)(1, cin, h, w, x, x_cstride, k, bias, y, out_min, out_max);
}

static void VGS_FN(vgs_f32_conv3x3s2p1)(size_t cin, size_t h, size_t w, const float *x,
                                        size_t x_cstride, const float *k, float bias, float *y,
                                        float out_min, float out_max)
{
    VGS_FN(vgs__conv3x3)(2, cin, h, w, x, x_cstride, k, bias, y, out_min, out_max);
}
