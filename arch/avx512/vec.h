/* arch/avx512/vec.h — the vector layer for AVX-512 (F, BW, DQ, VL): 16 floats per __m512.
 * Partial vectors use opmask loads and stores, so no tail ever touches memory past n. */

typedef __m512 vgs__avx512_v;
#define vgs_v vgs__avx512_v
#define VGS_VW 16
#define VGS_FN(name) name##__avx512

#define vgs__avx512_mask(n) ((__mmask16)((1u << (n)) - 1u)) /* first n lanes, n <= 16 */
#define vgs_v_load(p) _mm512_loadu_ps(p)
#define vgs_v_store(p, v) _mm512_storeu_ps((p), (v))
#define vgs_v_loadn(p, n) _mm512_maskz_loadu_ps(vgs__avx512_mask(n), (p))
#define vgs_v_storen(p, v, n) _mm512_mask_storeu_ps((p), vgs__avx512_mask(n), (v))
#define vgs_v_set1(x) _mm512_set1_ps(x)
#define vgs_v_zero() _mm512_setzero_ps()
#define vgs_v_fma(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#define vgs_v_add(a, b) _mm512_add_ps((a), (b))
#define vgs_v_sub(a, b) _mm512_sub_ps((a), (b))
#define vgs_v_mul(a, b) _mm512_mul_ps((a), (b))
/* The NaN rules of vggshuffle.h, as in arch/avx2/vec.h: VMAXPS / VMINPS return the second
 * operand when either is NaN, so the clamp puts v second; the max keeps a NaN a. */
#define vgs_v_clamp(v, lo, hi) _mm512_min_ps((hi), _mm512_max_ps((lo), (v)))
static inline __m512 vgs__avx512_max(__m512 a, __m512 b)
{
    return _mm512_mask_mov_ps(_mm512_max_ps(a, b), _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q), a);
}
#define vgs_v_max(a, b) vgs__avx512_max((a), (b))
#define vgs_v_hsum(v) _mm512_reduce_add_ps(v)
#define vgs_v_hmax(v) _mm512_reduce_max_ps(v)

/* Deinterleave 32 floats at p: even = p[0,2,..,30], odd = p[1,3,..,31]. */
static inline void vgs__avx512_load2(const float *p, __m512 *even, __m512 *odd)
{
    const __m512i ie = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i io = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    const __m512 a = _mm512_loadu_ps(p), b = _mm512_loadu_ps(p + 16);
    *even = _mm512_permutex2var_ps(a, ie, b);
    *odd = _mm512_permutex2var_ps(a, io, b);
}

VGS__EXTERN_C __m512 Sleef_expf16_u10avx512f(__m512); /* SLEEF 3.x; sleef.h hides it without __AVX512F__ */
#define vgs_v_exp(v) Sleef_expf16_u10avx512f(v)
#define vgs_v_load2 vgs__avx512_load2

/* bf16 -> float (the upper half of the float's bits): 16 values at p, or the first n < 16
 * (an opmask load of 16-bit lanes, AVX-512 BW + VL: nothing past p[n-1] is touched). */
#define vgs_v_load_bf16(p) \
    _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(const void *)(p))), 16))
#define vgs_v_loadn_bf16(p, n) \
    _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(vgs__avx512_mask(n), (p))), 16))

/* IEEE half -> float (VCVTPH2PS zmm, AVX-512 F: exact): 16 values at p, or the first n < 16
 * (an opmask load of 16-bit lanes, as for bf16). */
#define vgs_v_load_f16(p) _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)(p)))
#define vgs_v_loadn_f16(p, n) _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(vgs__avx512_mask(n), (p)))
