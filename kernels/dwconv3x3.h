/* kernels/dwconv3x3.h — depthwise 3x3 convolution, padding 1, stride 1 and 2, NCHW: where the
 * tier has fault-free masked loads (flat3x3.h), stride 1 on planes up to VGS_FLAT_PX pixels
 * read flat and stride 2 on rows of VGS_FLAT_S2 outputs read where they are; else channels
 * across the lanes on small planes (lanes3x3.h), else the window walk of window3x3.h
 * (weights held in registers per channel).  Generic body,
 * instantiated per ISA.  Contract: vgs_kernels.dwconv3x3s1p1 / dwconv3x3s2p1; the output
 * plane of each channel comes from y_index, which is how a channel shuffle costs nothing. */

static inline __attribute__((always_inline)) void VGS_FN(vgs__dwconv3x3)(
    int stride, size_t c, size_t h, size_t w, const float *x, size_t x_cstride, const float *k,
    const float *bias, float *y, size_t y_cstride, const int32_t *y_index, float out_min,
    float out_max)
{
#ifdef VGS_HAS_MASKLOAD
    if (stride == 1 && h * w <= VGS_FLAT_PX && h * w > 0) {
        VGS_FN(vgs__flat3x3)(c, h, w, x, x_cstride, k, bias, y, y_cstride, y_index, out_min, out_max);
        return;
    }
    if (stride == 2 && VGS_FLAT_S2(h, w)) {
        for (size_t i = 0; i < c; i++) {
            float *yi = y + (y_index ? (size_t)y_index[i] : i) * y_cstride;
            VGS_FN(vgs__direct3x3s2)(VGS__WIN_DWCONV, h, w, x + i * x_cstride, k + 9 * i, bias ? bias[i] : 0.0f, yi,
                                     out_min, out_max);
        }
        return;
    }
#endif
#if VGS_VW > 1
    if (VGS_FN(vgs__lanes_pay)(stride, c, h, w)) {
        VGS_FN(vgs__lanes3x3_run)(VGS__WIN_DWCONV, stride, c, h, w, x, x_cstride, k, bias, y, y_cstride, y_index,
                                  out_min, out_max);
        return;
    }
#endif
    for (size_t i = 0; i < c; i++) {
        float *yi = y + (y_index ? (size_t)y_index[i] : i) * y_cstride;
        VGS_FN(vgs__window3x3)(VGS__WIN_DWCONV, stride, h, w, x + i * x_cstride, k + 9 * i, bias ? bias[i] : 0.0f,
                               yi, out_min, out_max);
    }
}

static void VGS_FN(vgs_f32_dwconv3x3s1p1)(size_t c, size_t h, size_t w, const float *x, size_t x_cstride,
                                          const float *k, const float *bias, float *y, size_t y_cstride,
                                          const int32_t *y_index, float out_min, float out_max)
{
    VGS_FN(vgs__dwconv3x3)(1, c, h, w, x, x_cstride, k, bias, y, y_cstride, y_index, out_min, out_max);
}

static void VGS_FN(vgs_f32_dwconv3x3s2p1)(size_t c, size_t h, size_t w, const float *x, size_t x_cstride,
                                          const float *k, const float *bias, float *y, size_t y_cstride,
                                          const int32_t *y_index, float out_min, float out_max)
{
    VGS_FN(vgs__dwconv3x3)(2, c, h, w, x, x_cstride, k, bias, y, y_cstride, y_index, out_min, out_max);
}
