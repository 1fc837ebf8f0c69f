/* arch/avx2/vec.h — the vector layer for AVX2 + FMA: 8 floats per __m256.
 * Included by arch/avx2/avx2.h inside its target("avx2,fma,f16c") region; the generic kernel
 * bodies in kernels/ are written only against the vgs_v_* names defined here. */

typedef __m256 vgs__avx2_v;
#define vgs_v vgs__avx2_v
#define VGS_VW 8
#define VGS_VREGS 16 /* vector registers (ymm0-15): sizes register blocks */
#define VGS_FN(name) name##__avx2

static const int32_t vgs__avx2_mask_table[16] = {-1, -1, -1, -1, -1, -1, -1, -1,
                                                 0,  0,  0,  0,  0,  0,  0,  0};
/* Mask of the first n lanes, 0 <= n <= 8. */
static inline __m256i vgs__avx2_mask(size_t n)
{
    return _mm256_loadu_si256((const __m256i *)(vgs__avx2_mask_table + 8 - n));
}

#define vgs_v_load(p) _mm256_loadu_ps(p)
#define vgs_v_store(p, v) _mm256_storeu_ps((p), (v))
/* Partial vectors: the first n < 8 floats.  Loads: VMASKMOVPS suppresses faults on masked-off
 * lanes on Intel, but AMD's manual leaves it implementation dependent and QEMU's TCG does
 * fault; so the masked load is used only when all 32 bytes lie in the page of p[0] (then no
 * lane can fault), else the floats go through a stack buffer.  Stores: VMASKMOVPS to memory
 * is microcoded and slow on AMD Zen, so the lanes are stored 4 + 2 + 1 at a time instead.
 * Neither touches memory past p[n-1] in another page. */
static inline __m256 vgs__avx2_loadn(const float *p, size_t n)
{
    if (((uintptr_t)p & 4095u) <= 4096u - 32u) return _mm256_maskload_ps(p, vgs__avx2_mask(n));
    float t[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    memcpy(t, p, n * sizeof(float));
    return _mm256_loadu_ps(t);
}

static inline void vgs__avx2_storen(float *p, __m256 v, size_t n)
{
    __m128 h = _mm256_castps256_ps128(v);
    if (n >= 4) {
        _mm_storeu_ps(p, h);
        h = _mm256_extractf128_ps(v, 1);
        p += 4, n -= 4;
    }
    if (n >= 2) {
        _mm_storel_pi((__m64 *)(void *)p, h);
        h = _mm_movehl_ps(h, h);
        p += 2, n -= 2;
    }
    if (n) _mm_store_ss(p, h);
}

#define vgs_v_loadn(p, n) vgs__avx2_loadn((p), (n))
#define vgs_v_storen(p, v, n) vgs__avx2_storen((p), (v), (n))
#define vgs_v_set1(x) _mm256_set1_ps(x)
#define vgs_v_zero() _mm256_setzero_ps()
#define vgs_v_fma(a, b, c) _mm256_fmadd_ps((a), (b), (c))
#define vgs_v_add(a, b) _mm256_add_ps((a), (b))
#define vgs_v_sub(a, b) _mm256_sub_ps((a), (b))
#define vgs_v_mul(a, b) _mm256_mul_ps((a), (b))
/* The NaN rules of vggshuffle.h.  VMAXPS / VMINPS return their SECOND operand when either
 * is NaN.  The clamp puts v second in both, so a NaN v comes out as itself (free); the max
 * (pooling) also takes a where a is NaN: NaN if either is. */
#define vgs_v_clamp(v, lo, hi) _mm256_min_ps((hi), _mm256_max_ps((lo), (v)))
static inline __m256 vgs__avx2_max(__m256 a, __m256 b)
{
    return _mm256_blendv_ps(_mm256_max_ps(a, b), a, _mm256_cmp_ps(a, a, _CMP_UNORD_Q));
}
#define vgs_v_max(a, b) vgs__avx2_max((a), (b))

static inline float vgs__avx2_hsum(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static inline float vgs__avx2_hmax(__m256 v)
{
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* Deinterleave 16 floats at p: even = p[0,2,..,14], odd = p[1,3,..,15]. */
static inline void vgs__avx2_load2(const float *p, __m256 *even, __m256 *odd)
{
    const __m256 a = _mm256_loadu_ps(p), b = _mm256_loadu_ps(p + 8);
    const __m256 e = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)); /* a0 a2 b0 b2 | a4 a6 b4 b6 */
    const __m256 o = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1));
    *even = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), _MM_SHUFFLE(3, 1, 2, 0)));
    *odd = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(o), _MM_SHUFFLE(3, 1, 2, 0)));
}

VGS__EXTERN_C __m256 Sleef_expf8_u10avx2(__m256); /* SLEEF 3.x, 1.0-ULP expf; declared here because
                                       sleef.h hides it unless __AVX__ is predefined */
#define vgs_v_exp(v) Sleef_expf8_u10avx2(v)
#define vgs_v_hsum vgs__avx2_hsum
#define vgs_v_hmax vgs__avx2_hmax
#define vgs_v_load2 vgs__avx2_load2

/* Transpose the 8 x 8 floats of r[0..7] in place (r[i][j] <-> r[j][i]): 24 shuffles. */
static inline void vgs__avx2_transpose(__m256 *r)
{
    const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    const __m256 s0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0)), s1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
    const __m256 s2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0)), s3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
    const __m256 s4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0)), s5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
    const __m256 s6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0)), s7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
    r[0] = _mm256_permute2f128_ps(s0, s4, 0x20), r[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
    r[1] = _mm256_permute2f128_ps(s1, s5, 0x20), r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
    r[2] = _mm256_permute2f128_ps(s2, s6, 0x20), r[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
    r[3] = _mm256_permute2f128_ps(s3, s7, 0x20), r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}
#define vgs_v_transpose(r) vgs__avx2_transpose(r)

/* bf16 -> float (the upper half of the float's bits): 8 values at p, or the first n < 8
 * (through a stack buffer: a tail only, never past p[n-1]). */
static inline __m256 vgs__avx2_load_bf16(const uint16_t *p)
{
    const __m256i h = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(const void *)p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(h, 16));
}
/* The first n < 8 16-bit values at p, zero-filled to 8 (a stack copy: never past p[n-1]). */
static inline void vgs__avx2_copyn_u16(const uint16_t *p, size_t n, uint16_t t[8])
{
    memset(t, 0, 8 * sizeof *t);
    memcpy(t, p, n * sizeof *p);
}
static inline __m256 vgs__avx2_loadn_bf16(const uint16_t *p, size_t n)
{
    uint16_t t[8];
    vgs__avx2_copyn_u16(p, n, t);
    return vgs__avx2_load_bf16(t);
}
#define vgs_v_load_bf16(p) vgs__avx2_load_bf16(p)
#define vgs_v_loadn_bf16(p, n) vgs__avx2_loadn_bf16((p), (n))

/* IEEE half -> float (VCVTPH2PS, F16C: exact; MXCSR.DAZ does not apply to its half inputs, so
 * subnormal halves widen exactly inside vgs_net_forward too (measured on Zen4; QEMU's TCG
 * does flush them to zero there)): 8 values at p, or the first n < 8 through a stack buffer. */
static inline __m256 vgs__avx2_load_f16(const uint16_t *p)
{
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)p));
}
static inline __m256 vgs__avx2_loadn_f16(const uint16_t *p, size_t n)
{
    uint16_t t[8];
    vgs__avx2_copyn_u16(p, n, t);
    return vgs__avx2_load_f16(t);
}
#define vgs_v_load_f16(p) vgs__avx2_load_f16(p)
#define vgs_v_loadn_f16(p, n) vgs__avx2_loadn_f16((p), (n))
