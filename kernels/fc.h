/* kernels/fc.h — fully connected layer over a batch, y_b = W x_b + b with W out x in
 * (PyTorch Linear), W stored as float32 (vgs_f32_fc), bfloat16 (vgs_f32_fc_bf16w) or IEEE
 * half (vgs_f32_fc_f16w): a 16-bit weight is widened to float exactly on load, so the layer
 * reads half the bytes.  One generic body, instantiated per ISA and per weight type.  Four
 * outputs at a time share every load of x; those four weight rows are then reused from cache
 * for every image of the batch, so the weights stream from memory once per call (at batch 1
 * this layer is bandwidth-bound); the last outputs one by one; masked tails along the input.
 * Each y_b[o] is the same sequence of operations whatever the batch size, so image b's result
 * is bit-identical to the image run alone; and the 16-bit kernels' are bit-identical to the
 * float32 kernel's on the widened weights.  Contract: vgs_kernels.fc, fc_bf16w, fc_f16w. */

/* Weights w (float, or uint16_t bf16 / half as wt = VGS_FC_F32, VGS_FC_BF16, VGS_FC_F16 says)
 * from element i: a vector, or its first n. */
static inline vgs_v VGS_FN(vgs__fc_w)(const void *w, size_t i, int wt)
{
    return wt == VGS_FC_BF16  ? vgs_v_load_bf16((const uint16_t *)w + i)
           : wt == VGS_FC_F16 ? vgs_v_load_f16((const uint16_t *)w + i)
                              : vgs_v_load((const float *)w + i);
}
static inline vgs_v VGS_FN(vgs__fc_wn)(const void *w, size_t i, size_t n, int wt)
{
    return wt == VGS_FC_BF16  ? vgs_v_loadn_bf16((const uint16_t *)w + i, n)
           : wt == VGS_FC_F16 ? vgs_v_loadn_f16((const uint16_t *)w + i, n)
                              : vgs_v_loadn((const float *)w + i, n);
}

/* Row o of w. */
static inline const void *VGS_FN(vgs__fc_row)(const void *w, size_t o, size_t k, int wt)
{
    return (const unsigned char *)w + o * k * (wt != VGS_FC_F32 ? sizeof(uint16_t) : sizeof(float));
}

static inline float VGS_FN(vgs__fc_dot)(const void *w, const float *x, size_t n, int wt)
{
    vgs_v a0 = vgs_v_zero(), a1 = vgs_v_zero();
    size_t i = 0;
    for (; i + 2 * VGS_VW <= n; i += 2 * VGS_VW) {
        a0 = vgs_v_fma(VGS_FN(vgs__fc_w)(w, i, wt), vgs_v_load(x + i), a0);
        a1 = vgs_v_fma(VGS_FN(vgs__fc_w)(w, i + VGS_VW, wt), vgs_v_load(x + i + VGS_VW), a1);
    }
    for (; i + VGS_VW <= n; i += VGS_VW) a0 = vgs_v_fma(VGS_FN(vgs__fc_w)(w, i, wt), vgs_v_load(x + i), a0);
    if (i < n) a1 = vgs_v_fma(VGS_FN(vgs__fc_wn)(w, i, n - i, wt), vgs_v_loadn(x + i, n - i), a1);
    return vgs_v_hsum(vgs_v_add(a0, a1));
}

/* The store's clamp, NaN kept (every comparison with NaN is false). */
static inline float VGS_FN(vgs__fc_clamp)(float v, float lo, float hi) { return v < lo ? lo : v > hi ? hi : v; }

/* The body of the three kernels; inlined into each with wt a constant, so the choice of load
 * costs nothing in the loops. */
static inline __attribute__((always_inline)) void VGS_FN(vgs__fc)(int wt, size_t n, size_t k, const void *w,
                                                                  const float *bias, size_t batch, const float *x,
                                                                  size_t x_stride, float *y, size_t y_stride,
                                                                  float out_min, float out_max)
{
    size_t o = 0;
    for (; o + 4 <= n; o += 4) {
        const void *w0 = VGS_FN(vgs__fc_row)(w, o, k, wt), *w1 = VGS_FN(vgs__fc_row)(w, o + 1, k, wt);
        const void *w2 = VGS_FN(vgs__fc_row)(w, o + 2, k, wt), *w3 = VGS_FN(vgs__fc_row)(w, o + 3, k, wt);
        for (size_t b = 0; b < batch; b++) {
            const float *xb = x + b * x_stride;
            float *yb = y + b * y_stride;
            vgs_v a0 = vgs_v_zero(), a1 = vgs_v_zero(), a2 = vgs_v_zero(), a3 = vgs_v_zero();
            size_t i = 0;
            for (; i + VGS_VW <= k; i += VGS_VW) {
                const vgs_v xv = vgs_v_load(xb + i);
                a0 = vgs_v_fma(VGS_FN(vgs__fc_w)(w0, i, wt), xv, a0);
                a1 = vgs_v_fma(VGS_FN(vgs__fc_w)(w1, i, wt), xv, a1);
                a2 = vgs_v_fma(VGS_FN(vgs__fc_w)(w2, i, wt), xv, a2);
                a3 = vgs_v_fma(VGS_FN(vgs__fc_w)(w3, i, wt), xv, a3);
            }
            if (i < k) {
                const vgs_v xv = vgs_v_loadn(xb + i, k - i);
                a0 = vgs_v_fma(VGS_FN(vgs__fc_wn)(w0, i, k - i, wt), xv, a0);
                a1 = vgs_v_fma(VGS_FN(vgs__fc_wn)(w1, i, k - i, wt), xv, a1);
                a2 = vgs_v_fma(VGS_FN(vgs__fc_wn)(w2, i, k - i, wt), xv, a2);
                a3 = vgs_v_fma(VGS_FN(vgs__fc_wn)(w3, i, k - i, wt), xv, a3);
            }
            yb[o + 0] = VGS_FN(vgs__fc_clamp)(vgs_v_hsum(a0) + (bias ? bias[o + 0] : 0.0f), out_min, out_max);
            yb[o + 1] = VGS_FN(vgs__fc_clamp)(vgs_v_hsum(a1) + (bias ? bias[o + 1] : 0.0f), out_min, out_max);
            yb[o + 2] = VGS_FN(vgs__fc_clamp)(vgs_v_hsum(a2) + (bias ? bias[o + 2] : 0.0f), out_min, out_max);
            yb[o + 3] = VGS_FN(vgs__fc_clamp)(vgs_v_hsum(a3) + (bias ? bias[o + 3] : 0.0f), out_min, out_max);
        }
    }
    for (; o < n; o++) {
        for (size_t b = 0; b < batch; b++) {
            const float d = VGS_FN(vgs__fc_dot)(VGS_FN(vgs__fc_row)(w, o, k, wt), x + b * x_stride, k, wt);
            y[b * y_stride + o] = VGS_FN(vgs__fc_clamp)(d + (bias ? bias[o] : 0.0f), out_min, out_max);
        }
    }
}

static void VGS_FN(vgs_f32_fc)(size_t n, size_t k, const float *w, const float *bias, size_t batch, const float *x,
                               size_t x_stride, float *y, size_t y_stride, float out_min, float out_max)
{
    VGS_FN(vgs__fc)(VGS_FC_F32, n, k, w, bias, batch, x, x_stride, y, y_stride, out_min, out_max);
}

static void VGS_FN(vgs_f32_fc_bf16w)(size_t n, size_t k, const uint16_t *w, const float *bias, size_t batch,
                                     const float *x, size_t x_stride, float *y, size_t y_stride, float out_min,
                                     float out_max)
{
    VGS_FN(vgs__fc)(VGS_FC_BF16, n, k, w, bias, batch, x, x_stride, y, y_stride, out_min, out_max);
}

static void VGS_FN(vgs_f32_fc_f16w)(size_t n, size_t k, const uint16_t *w, const float *bias, size_t batch,
                                    const float *x, size_t x_stride, float *y, size_t y_stride, float out_min,
                                    float out_max)
{
    VGS_FN(vgs__fc)(VGS_FC_F16, n, k, w, bias, batch, x, x_stride, y, y_stride, out_min, out_max);
}
