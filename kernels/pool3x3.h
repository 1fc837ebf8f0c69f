/* kernels/pool3x3.h — 3x3 pooling, stride 2, padding 1, NCHW (max: padding ignored; average:
 * padding counted, always / 9).  Generic body, instantiated per ISA; vectorised along output
 * columns.  Contract: vgs_kernels.maxpool3x3s2p1 / avgpool3x3s2p1.  Needs window3x3.h. */

static inline __attribute__((always_inline)) void VGS_FN(vgs__pool3x3s2p1)(
    int is_max, size_t c, size_t h, size_t w, const float *x, size_t x_cstride, float *y,
    size_t y_cstride)
{
    const size_t oh = (h + 1) / 2, ow = (w + 1) / 2;
    const float pad = is_max ? -INFINITY : 0.0f;
    const vgs_v ninth = vgs_v_set1(1.0f / 9.0f);
    for (size_t ch = 0; ch < c; ch++) {
        const float *xc = x + ch * x_cstride;
        float *yc = y + ch * y_cstride;
        for (size_t oy = 0; oy < oh; oy++) {
            for (size_t ox = 0; ox < ow; ox += VGS_VW) {
                vgs_v acc = vgs_v_set1(pad);
                for (int ky = 0; ky < 3; ky++) {
                    const ptrdiff_t iy = (ptrdiff_t)(2 * oy) + ky - 1;
                    if (iy < 0 || (size_t)iy >= h) continue; /* padding row */
                    vgs_v t0, t1, t2;
                    VGS_FN(vgs__taps3)(2, xc + (size_t)iy * w, w, ox, pad, &t0, &t1, &t2);
                    if (is_max) acc = vgs_v_max(acc, vgs_v_max(t0, vgs_v_max(t1, t2)));
                    else acc = vgs_v_add(acc, vgs_v_add(vgs_v_add(t0, t1), t2));
                }
                if (!is_max) acc = vgs_v_mul(acc, ninth);
                VGS_FN(vgs__store_upto)(yc + oy * ow + ox, acc, ow - ox);
            }
        }
    }
}

static void VGS_FN(vgs_f32_maxpool3x3s2p1)(size_t c, size_t h, size_t w, const float *x,
                                           size_t x_cstride, float *y, size_t y_cstride)
{
    VGS_FN(vgs__pool3x3s2p1)(1, c, h, w, x, x_cstride, y, y_cstride);
}

static void VGS_FN(vgs_f32_avgpool3x3s2p1)(size_t c, size_t h, size_t w, const float *x,
                                           size_t x_cstride, float *y, size_t y_cstride)
{
    VGS_FN(vgs__pool3x3s2p1)(0, c, h, w, x, x_cstride, y, y_cstride);
}
