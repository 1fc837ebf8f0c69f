/* kernels/softmax.h — softmax over a vector, y = exp(x - max) / sum, with SLEEF's vector
 * expf (u10: 1.0 ULP) of the tier.  Generic body, instantiated per ISA.
 * Contract: vgs_kernels.softmax (y may alias x). */

static void VGS_FN(vgs_f32_softmax)(size_t n, const float *x, float *y)
{
    if (n == 0) return;
    float mx = x[0];
    size_t i = 0;
    if (n >= VGS_VW) {
        vgs_v m = vgs_v_load(x);
        for (i = VGS_VW; i + VGS_VW <= n; i += VGS_VW) m = vgs_v_max(m, vgs_v_load(x + i));
        mx = vgs_v_hmax(m);
    }
    for (; i < n; i++) mx = x[i] > mx ? x[i] : mx;

    const vgs_v vmx = vgs_v_set1(mx);
    vgs_v acc = vgs_v_zero();
    float sum = 0.0f;
    for (i = 0; i + VGS_VW <= n; i += VGS_VW) {
        const vgs_v e = vgs_v_exp(vgs_v_sub(vgs_v_load(x + i), vmx));
        vgs_v_store(y + i, e);
        acc = vgs_v_add(acc, e);
    }
    if (i < n) { /* tail: exp of the masked lanes, summed from what was stored */
        vgs_v_storen(y + i, vgs_v_exp(vgs_v_sub(vgs_v_loadn(x + i, n - i), vmx)), n - i);
        for (size_t j = i; j < n; j++) sum += y[j];
    }
    sum += vgs_v_hsum(acc);
    const vgs_v inv = vgs_v_set1(1.0f / sum);
    for (i = 0; i + VGS_VW <= n; i += VGS_VW) vgs_v_store(y + i, vgs_v_mul(vgs_v_load(y + i), inv));
    if (i < n) vgs_v_storen(y + i, vgs_v_mul(vgs_v_loadn(y + i, n - i), inv), n - i);
}
