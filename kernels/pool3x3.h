/* kernels/pool3x3.h — 3x3 pooling, stride 2, padding 1, NCHW (max: padding ignored; average:
 * padding counted, always / 9).  Generic body, instantiated per ISA: rows read where they are
 * with masked loads where the tier has them and rows are long enough (flat3x3.h,
 * VGS_FLAT_S2), else channels across the lanes on small planes (lanes3x3.h), else the window
 * walk of window3x3.h.  Contract: vgs_kernels.maxpool3x3s2p1 / avgpool3x3s2p1. */

static inline __attribute__((always_inline)) void VGS_FN(vgs__pool3x3)(int op, size_t c, size_t h, size_t w,
                                                                        const float *x, size_t x_cstride, float *y,
                                                                        size_t y_cstride)
{
#ifdef VGS_HAS_MASKLOAD
    if (VGS_FLAT_S2(h, w)) {
        for (size_t i = 0; i < c; i++) {
            VGS_FN(vgs__direct3x3s2)(op, h, w, x + i * x_cstride, NULL, 0.0f, y + i * y_cstride, 0.0f, 0.0f);
        }
        return;
    }
#endif
#if VGS_VW > 1
    if (VGS_FN(vgs__lanes_pay)(2, c, h, w)) {
        VGS_FN(vgs__lanes3x3_run)(op, 2, c, h, w, x, x_cstride, NULL, NULL, y, y_cstride, NULL, 0.0f, 0.0f);
        return;
    }
#endif
    for (size_t i = 0; i < c; i++) {
        VGS_FN(vgs__window3x3)(op, 2, h, w, x + i * x_cstride, NULL, 0.0f, y + i * y_cstride, 0.0f, 0.0f);
    }
}

static void VGS_FN(vgs_f32_maxpool3x3s2p1)(size_t c, size_t h, size_t w, const float *x,
                                           size_t x_cstride, float *y, size_t y_cstride)
{
    VGS_FN(vgs__pool3x3)(VGS__WIN_MAX, c, h, w, x, x_cstride, y, y_cstride);
}

static void VGS_FN(vgs_f32_avgpool3x3s2p1)(size_t c, size_t h, size_t w, const float *x,
                                           size_t x_cstride, float *y, size_t y_cstride)
{
    VGS_FN(vgs__pool3x3)(VGS__WIN_AVG, c, h, w, x, x_cstride, y, y_cstride);
}
