/* kernels/fc.h — fully connected layer as GEMV, y = W x + b with W out x in (PyTorch Linear).
 * Generic body, instantiated per ISA: each output is a dot product along the input,
 * two vector accumulators, masked tail.  Contract: vgs_kernels.fc. */

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

static void VGS_FN(vgs_f32_fc)(size_t n, size_t k, const float *w, const float *bias,
                               const float *x, float *y)
{
    for (size_t o = 0; o < n; o++) {
        y[o] = VGS_FN(vgs__dot)(w + o * k, x, k) + (bias ? bias[o] : 0.0f);
    }
}
