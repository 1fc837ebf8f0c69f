/* kernels/fc.h — fully connected layer over a batch, y_b = W x_b + b with W out x in
 * (PyTorch Linear).  Generic body, instantiated per ISA.  Four outputs at a time share every
 * load of x; those four weight rows are then reused from cache for every image of the batch,
 * so the weights stream from memory once per call (at batch 1 this layer is bandwidth-bound);
 * the last outputs one by one; masked tails along the input.  Each y_b[o] is the same
 * sequence of operations whatever the batch size, so image b's result is bit-identical to
 * the image run alone.  Contract: vgs_kernels.fc. */

static inline float VGS_FN(vgs__dot)(const float *a, const float *b, size_t n)
{
    vgs_v a0 = vgs_v_zero(), a1 = vgs_v_zero();
    size_t i = 0;
    for (; i + 2 * VGS_VW <= n; i += 2 * VGS_VW) {
        a0 = vgs_v_fma(vgs_v_load(a + i), vgs_v_load(b + i), a0);
        a1 = vgs_v_fma(vgs_v_load(a + i + VGS_VW), vgs_v_load(b + i + VGS_VW), a1);
    }
    for (; i + VGS_VW <= n; i += VGS_VW) a0 = vgs_v_fma(vgs_v_load(a + i), vgs_v_load(b + i), a0);
    if (i < n) a1 = vgs_v_fma(vgs_v_loadn(a + i, n - i), vgs_v_loadn(b + i, n - i), a1);
    return vgs_v_hsum(vgs_v_add(a0, a1));
}

/* The store's clamp, NaN kept (every comparison with NaN is false). */
static inline float VGS_FN(vgs__fc_clamp)(float v, float lo, float hi) { return v < lo ? lo : v > hi ? hi : v; }

static void VGS_FN(vgs_f32_fc)(size_t n, size_t k, const float *w, const float *bias,
                               size_t batch, const float *x, size_t x_stride, float *y,
                               size_t y_stride, float out_min, float out_max)
{
    size_t o = 0;
    for (; o + 4 <= n; o += 4) {
        const float *w0 = w + o * k, *w1 = w0 + k, *w2 = w1 + k, *w3 = w2 + k;
        for (size_t b = 0; b < batch; b++) {
            const float *xb = x + b * x_stride;
            float *yb = y + b * y_stride;
            vgs_v a0 = vgs_v_zero(), a1 = vgs_v_zero(), a2 = vgs_v_zero(), a3 = vgs_v_zero();
            size_t i = 0;
            for (; i + VGS_VW <= k; i += VGS_VW) {
                const vgs_v xv = vgs_v_load(xb + i);
                a0 = vgs_v_fma(vgs_v_load(w0 + i), xv, a0);
                a1 = vgs_v_fma(vgs_v_load(w1 + i), xv, a1);
                a2 = vgs_v_fma(vgs_v_load(w2 + i), xv, a2);
                a3 = vgs_v_fma(vgs_v_load(w3 + i), xv, a3);
            }
            if (i < k) {
                const vgs_v xv = vgs_v_loadn(xb + i, k - i);
                a0 = vgs_v_fma(vgs_v_loadn(w0 + i, k - i), xv, a0);
                a1 = vgs_v_fma(vgs_v_loadn(w1 + i, k - i), xv, a1);
                a2 = vgs_v_fma(vgs_v_loadn(w2 + i, k - i), xv, a2);
                a3 = vgs_v_fma(vgs_v_loadn(w3 + i, k - i), xv, a3);
            }
            yb[o + 0] = VGS_FN(vgs__fc_clamp)(vgs_v_hsum(a0) + (bias ? bias[o + 0] : 0.0f), out_min, out_max);
            yb[o + 1] = VGS_FN(vgs__fc_clamp)(vgs_v_hsum(a1) + (bias ? bias[o + 1] : 0.0f), out_min, out_max);
            yb[o + 2] = VGS_FN(vgs__fc_clamp)(vgs_v_hsum(a2) + (bias ? bias[o + 2] : 0.0f), out_min, out_max);
            yb[o + 3] = VGS_FN(vgs__fc_clamp)(vgs_v_hsum(a3) + (bias ? bias[o + 3] : 0.0f), out_min, out_max);
        }
    }
    for (; o < n; o++) {
        for (size_t b = 0; b < batch; b++) {
            y[b * y_stride + o] =
                VGS_FN(vgs__fc_clamp)(VGS_FN(vgs__dot)(w + o * k, x + b * x_stride, k) + (bias ? bias[o] : 0.0f), out_min, out_max);
        }
    }
}
