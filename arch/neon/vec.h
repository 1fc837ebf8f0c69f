/* arch/neon/vec.h — the vector layer for aarch64 Advanced SIMD: 4 floats per float32x4_t.
 * NEON has no masked load/store: partial vectors go through a 4-float stack buffer. */

typedef float32x4_t vgs__neon_v;
#define vgs_v vgs__neon_v
#define VGS_VW 4
#define VGS_VREGS 32 /* vector registers (v0-v31): sizes register blocks */
#define VGS_FN(name) name##__neon

static inline float32x4_t vgs__neon_loadn(const float *p, size_t n)
{
    float t[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (size_t i = 0; i < n; i++) t[i] = p[i];
    return vld1q_f32(t);
}

static inline void vgs__neon_storen(float *p, float32x4_t v, size_t n)
{
    float t[4];
    vst1q_f32(t, v);
    for (size_t i = 0; i < n; i++) p[i] = t[i];
}

#define vgs_v_load(p) vld1q_f32(p)
#define vgs_v_store(p, v) vst1q_f32((p), (v))
#define vgs_v_loadn(p, n) vgs__neon_loadn((p), (n))
#define vgs_v_storen(p, v, n) vgs__neon_storen((p), (v), (n))
#define vgs_v_set1(x) vdupq_n_f32(x)
#define vgs_v_zero() vdupq_n_f32(0.0f)
#define vgs_v_fma(a, b, c) vfmaq_f32((c), (a), (b))
#define vgs_v_add(a, b) vaddq_f32((a), (b))
#define vgs_v_sub(a, b) vsubq_f32((a), (b))
#define vgs_v_mul(a, b) vmulq_f32((a), (b))
/* The NaN rules of vggshuffle.h hold as they are: FMAX / FMIN return NaN if either operand
 * is NaN, so the max and the clamp both propagate it. */
#define vgs_v_max(a, b) vmaxq_f32((a), (b))
#define vgs_v_clamp(v, lo, hi) vminq_f32(vmaxq_f32((v), (lo)), (hi))
#define vgs_v_hsum(v) vaddvq_f32(v)
#define vgs_v_hmax(v) vmaxvq_f32(v)

/* Deinterleave 8 floats at p: even = p[0,2,4,6], odd = p[1,3,5,7]. */
static inline void vgs__neon_load2(const float *p, float32x4_t *even, float32x4_t *odd)
{
    const float32x4x2_t t = vld2q_f32(p);
    *even = t.val[0];
    *odd = t.val[1];
}

VGS__EXTERN_C float32x4_t Sleef_expf4_u10advsimd(float32x4_t); /* SLEEF 3.x, 1.0-ULP expf */
#define vgs_v_exp(v) Sleef_expf4_u10advsimd(v)
#define vgs_v_load2 vgs__neon_load2

/* Transpose the 4 x 4 floats of r[0..3] in place (r[i][j] <-> r[j][i]). */
static inline void vgs__neon_transpose(float32x4_t *r)
{
    const float32x4x2_t p = vtrnq_f32(r[0], r[1]), q = vtrnq_f32(r[2], r[3]);
    r[0] = vcombine_f32(vget_low_f32(p.val[0]), vget_low_f32(q.val[0]));
    r[1] = vcombine_f32(vget_low_f32(p.val[1]), vget_low_f32(q.val[1]));
    r[2] = vcombine_f32(vget_high_f32(p.val[0]), vget_high_f32(q.val[0]));
    r[3] = vcombine_f32(vget_high_f32(p.val[1]), vget_high_f32(q.val[1]));
}
#define vgs_v_transpose(r) vgs__neon_transpose(r)

/* bf16 -> float (the upper half of the float's bits, USHLL #16): 4 values at p, or the first
 * n < 4 through a stack buffer. */
#define vgs_v_load_bf16(p) vreinterpretq_f32_u32(vshll_n_u16(vld1_u16(p), 16))
static inline float32x4_t vgs__neon_loadn_bf16(const uint16_t *p, size_t n)
{
    uint16_t t[4] = {0, 0, 0, 0};
    for (size_t i = 0; i < n; i++) t[i] = p[i];
    return vgs_v_load_bf16(t);
}
#define vgs_v_loadn_bf16(p, n) vgs__neon_loadn_bf16((p), (n))

/* IEEE half -> float (FCVTL: exact): 4 values at p, or the first n < 4 through a stack buffer. */
#define vgs_v_load_f16(p) vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(p)))
static inline float32x4_t vgs__neon_loadn_f16(const uint16_t *p, size_t n)
{
    uint16_t t[4] = {0, 0, 0, 0};
    for (size_t i = 0; i < n; i++) t[i] = p[i];
    return vgs_v_load_f16(t);
}
#define vgs_v_loadn_f16(p, n) vgs__neon_loadn_f16((p), (n))
