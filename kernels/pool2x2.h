/* kernels/pool2x2.h — 2x2 max pooling, stride 2, no padding, floor mode (PyTorch
 * MaxPool2d(2, 2): h/2 x w/2 outputs, an odd last row or column dropped), NCHW.  The pool that
 * ends a VGG block when its convolution is not a Winograd one (those fuse it).  Generic body,
 * instantiated per ISA: deinterleaving loads of two rows, the last columns one by one.
 * A window with a NaN pools to NaN.  Contract: vgs_kernels.maxpool2x2s2. */

static inline float VGS_FN(vgs__max1)(float a, float b) { return a > b || a != a ? a : b; }

static void VGS_FN(vgs_f32_maxpool2x2s2)(size_t c, size_t h, size_t w, const float *x, size_t x_cstride,
                                         float *y, size_t y_cstride)
{
    const size_t oh = h / 2, ow = w / 2;
#ifdef VGS_NARROW_FN
    /* Output rows shorter than a vector of this width (w < 2 * VW) go to the half-width tier,
     * which has a vector where this one has none (and costs less in the scalar columns).
     * Measured on an Emerald Rapids Xeon, AVX-512 / AVX2 time, the median per-round ratio of
     * 31 interleaved rounds in one process, 3 to 6 processes, 128 channels: 12x12 to 30x30
     * 1.10-1.84 (14x14 1.5-1.8, 28x28 1.2), 28x16 1.28-1.37, 24x12 1.53-1.68; VGG16's
     * 512 x 28 x 28 1.17-1.19, 512 x 14 x 14 1.47-1.81.  Rows of a vector or more: 32x32
     * 0.71, 56x56 0.79-0.81, 60x60 0.89-0.91, 64x64 0.74-0.82.  (AMD Zen 4: rows with 8 or
     * more outputs past their vectors, 56x56 and 60x60 among them, go to AVX2 too:
     * arch/avx512/halves.h.) */
    if (VGS__NARROW_ON && ow < VGS_VW) {
        VGS_NARROW_FN(vgs_f32_maxpool2x2s2)(c, h, w, x, x_cstride, y, y_cstride);
        return;
    }
#endif
    for (size_t i = 0; i < c; i++) {
        for (size_t oy = 0; oy < oh; oy++) {
            const float *r0 = x + i * x_cstride + 2 * oy * w, *r1 = r0 + w;
            float *yo = y + i * y_cstride + oy * ow;
            size_t ox = 0;
            for (; ox + VGS_VW <= ow; ox += VGS_VW) {
                vgs_v e0, o0, e1, o1;
                vgs_v_load2(r0 + 2 * ox, &e0, &o0);
                vgs_v_load2(r1 + 2 * ox, &e1, &o1);
                vgs_v_store(yo + ox, vgs_v_max(vgs_v_max(e0, o0), vgs_v_max(e1, o1)));
            }
            for (; ox < ow; ox++) {
                yo[ox] = VGS_FN(vgs__max1)(VGS_FN(vgs__max1)(r0[2 * ox], r0[2 * ox + 1]),
                                           VGS_FN(vgs__max1)(r1[2 * ox], r1[2 * ox + 1]));
            }
        }
    }
}

/* Adaptive average pooling (PyTorch AdaptiveAvgPool2d((oh, ow))): output (oy, ox) is the mean
 * of input rows floor(oy*h/oh) .. ceil((oy+1)*h/oh)-1 and columns likewise, summed row by row
 * in order.  Tiny outside VGG's classifier input (512 x 7 x 7): plain loops.
 * Contract: vgs_kernels.adaptive_avgpool. */
static void VGS_FN(vgs_f32_adaptive_avgpool)(size_t c, size_t h, size_t w, const float *x, size_t x_cstride,
                                             size_t oh, size_t ow, float *y, size_t y_cstride)
{
    for (size_t i = 0; i < c; i++) {
        for (size_t oy = 0; oy < oh; oy++) {
            const size_t y0 = oy * h / oh, y1 = ((oy + 1) * h + oh - 1) / oh;
            for (size_t ox = 0; ox < ow; ox++) {
                const size_t x0 = ox * w / ow, x1 = ((ox + 1) * w + ow - 1) / ow;
                float s = 0.0f;
                for (size_t yy = y0; yy < y1; yy++)
                    for (size_t xx = x0; xx < x1; xx++) s += x[i * x_cstride + yy * w + xx];
                y[i * y_cstride + oy * ow + ox] = s / (float)((y1 - y0) * (x1 - x0));
            }
        }
    }
}
