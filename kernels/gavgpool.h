/* kernels/gavgpool.h — global average pool, NCHW planes -> one value per channel.
 * Generic body, instantiated per ISA.  Contract: vgs_kernels.global_avgpool. */

/* Sum of n floats: two vector accumulators, then the masked tail. */
static inline float VGS_FN(vgs__sum)(const float *x, size_t n)
{
    vgs_v a0 = vgs_v_zero(), a1 = vgs_v_zero();
    size_t i = 0;
    for (; i + 2 * VGS_VW <= n; i += 2 * VGS_VW) {
        a0 = vgs_v_add(a0, vgs_v_load(x + i));
        a1 = vgs_v_add(a1, vgs_v_load(x + i + VGS_VW));
    }
    for (; i + VGS_VW <= n; i += VGS_VW) a0 = vgs_v_add(a0, vgs_v_load(x + i));
    if (i < n) a1 = vgs_v_add(a1, vgs_v_loadn(x + i, n - i));
    return vgs_v_hsum(vgs_v_add(a0, a1));
}

static void VGS_FN(vgs_f32_gavgpool)(size_t c, size_t hw, const float *x, size_t x_cstride,
                                     float *y)
{
    const float inv = hw ? 1.0f / (float)hw : 0.0f; /* hw = 0: the empty sum, 0 (not 0 / 0) */
    for (size_t i = 0; i < c; i++) y[i] = VGS_FN(vgs__sum)(x + i * x_cstride, hw) * inv;
}
