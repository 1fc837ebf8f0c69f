/* kernels/peak.h — the tier's multiply-add throughput, for benchmarks: `iters` rounds of 12
 * independent vector multiply-adds held in registers (enough chains to hide the FMA latency
 * on every core we target: 4 cycles x 2 pipes on Zen 4 and Haswell needs 8), no memory
 * traffic.  FLOPs = iters x 12 x 2 x VGS_VW.  Generic body, instantiated per ISA.
 * Contract: vgs_kernels.fma_peak. */

static float VGS_FN(vgs_f32_fma_peak)(size_t iters)
{
    const vgs_v m = vgs_v_set1(0.999999f), c = vgs_v_set1(1e-7f);
    vgs_v a[12];
#pragma GCC unroll 12
    for (int j = 0; j < 12; j++) a[j] = vgs_v_set1((float)j);
    for (size_t i = 0; i < iters; i++) {
#pragma GCC unroll 12
        for (int j = 0; j < 12; j++) a[j] = vgs_v_fma(a[j], m, c);
    }
    vgs_v s = vgs_v_zero();
#pragma GCC unroll 12
    for (int j = 0; j < 12; j++) s = vgs_v_add(s, a[j]);
    float lanes[VGS_VW], sum = 0.0f; /* through memory: g++ 12 warns inside _mm512_reduce_add_ps here */
    vgs_v_store(lanes, s);
    for (int j = 0; j < VGS_VW; j++) sum += lanes[j];
    return sum;
}
