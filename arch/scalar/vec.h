/* arch/scalar/vec.h — the portable tier: a "vector" of one float.  The generic kernel bodies
 * instantiated with it are the scalar reference the SIMD tiers are tested against (besides
 * the fp64 references in tests/).  No partial vectors exist at width 1. */

typedef float vgs__scalar_v;
#define vgs_v vgs__scalar_v
#define VGS_VW 1
#define VGS_VREGS 16 /* vector registers (xmm0-15 on x86-64; a register budget only): sizes register blocks */
#define VGS_FN(name) name##__scalar

#define vgs_v_load(p) (*(p))
#define vgs_v_store(p, v) (*(p) = (v))
#define vgs_v_loadn(p, n) ((n) ? *(p) : 0.0f)
#define vgs_v_storen(p, v, n) ((n) ? (void)(*(p) = (v)) : (void)0)
#define vgs_v_set1(x) (x)
#define vgs_v_zero() 0.0f
#define vgs_v_fma(a, b, c) ((a) * (b) + (c))
#define vgs_v_add(a, b) ((a) + (b))
#define vgs_v_sub(a, b) ((a) - (b))
#define vgs_v_mul(a, b) ((a) * (b))
#define vgs_v_max(a, b) vgs__scalar_max((a), (b))
#define vgs_v_clamp(v, lo, hi) vgs__scalar_clamp((v), (lo), (hi))
#define vgs_v_hsum(v) (v)
#define vgs_v_hmax(v) (v)

/* The NaN rules of vggshuffle.h, as on every tier: the max is NaN if either operand is (a
 * pooling window with a NaN pools to NaN); the clamp gives a NaN v back unchanged (every
 * comparison with a NaN is false), so it never turns a NaN into a bound. */
static inline float vgs__scalar_max(float a, float b)
{
    const float m = a > b ? a : b; /* on x86 MAXSS: b if either is NaN */
    return a != a ? a : m;         /* no branch (a conditional move) */
}
static inline float vgs__scalar_clamp(float v, float lo, float hi)
{
    const float t = lo > v ? lo : v; /* on x86 MAXSS lo, v: v if either is NaN */
    return hi < t ? hi : t;          /* MINSS hi, t: t if either is NaN        */
}

static inline void vgs__scalar_load2(const float *p, float *even, float *odd)
{
    *even = p[0];
    *odd = p[1];
}

VGS__EXTERN_C float Sleef_expf_u10(float); /* SLEEF 3.x scalar 1.0-ULP expf */
#define vgs_v_exp(v) Sleef_expf_u10(v)
#define vgs_v_load2 vgs__scalar_load2
/* Transpose r[0..VW-1] as a VW x VW matrix: at width 1, nothing to do. */
#define vgs_v_transpose(r) ((void)(r))

/* bf16 -> float: the upper half of the float's bits (vgs__bf16_to_f32, vggshuffle.h). */
#define vgs_v_load_bf16(p) vgs__bf16_to_f32(*(p))
#define vgs_v_loadn_bf16(p, n) ((n) ? vgs__bf16_to_f32(*(p)) : 0.0f)

/* IEEE half -> float in integer arithmetic (vgs__f16_to_f32, vggshuffle.h): exact. */
#define vgs_v_load_f16(p) vgs__f16_to_f32(*(p))
#define vgs_v_loadn_f16(p, n) ((n) ? vgs__f16_to_f32(*(p)) : 0.0f)
