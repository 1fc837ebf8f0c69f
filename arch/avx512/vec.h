/* arch/avx512/vec.h — the vector layer for AVX-512 (F, BW, DQ, VL): 16 floats per __m512.
 * Partial vectors use opmask loads and stores, so no tail ever touches memory past n. */

typedef __m512 vgs__avx512_v;
#define vgs_v vgs__avx512_v
#define VGS_VW 16
#define VGS_VREGS 32 /* vector registers (zmm0-31): sizes register blocks */
#define VGS_FN(name) name##__avx512

#define vgs__avx512_mask(n) ((__mmask16)((1u << (n)) - 1u)) /* first n lanes, n <= 16 */
#define vgs_v_load(p) _mm512_loadu_ps(p)
#define vgs_v_store(p, v) _mm512_storeu_ps((p), (v))
#define vgs_v_loadn(p, n) _mm512_maskz_loadu_ps(vgs__avx512_mask(n), (p))
#define vgs_v_storen(p, v, n) _mm512_mask_storeu_ps((p), vgs__avx512_mask(n), (v))
/* Lane masks from bits (kernels/flat3x3.h): a masked-off lane of a masked load never faults
 * (architectural for EVEX loads), so the flat depthwise path runs on this tier. */
#define VGS_HAS_MASKLOAD 1
typedef __mmask16 vgs__avx512_m;
#define vgs_m vgs__avx512_m
#define vgs_m_bits(b) ((__mmask16)(b))
#define vgs_v_maskz_load(m, p) _mm512_maskz_loadu_ps((m), (p))           /* lanes off: 0 */
#define vgs_v_mask3_fma(a, b, c, m) _mm512_mask3_fmadd_ps((a), (b), (c), (m)) /* lanes off: c */
#define vgs_v_mask_load(src, m, p) _mm512_mask_loadu_ps((src), (m), (p)) /* lanes off: src */
/* The even and the odd lanes of the 32 floats a, b (a first) */
#define vgs_v_even2(a, b) \
    _mm512_permutex2var_ps((a), _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30), (b))
#define vgs_v_odd2(a, b) \
    _mm512_permutex2var_ps((a), _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31), (b))
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

/* Transpose the 16 x 16 floats of r[0..15] in place (r[i][j] <-> r[j][i]): within each
 * 128-bit lane as AVX2 does (unpack, shuffle: s[4g+k] holds column 4L+k of rows 4g..4g+3
 * in lane L), then the 4 x 4 lanes with two rounds of SHUFF32X4. */
static inline void vgs__avx512_transpose(__m512 *r)
{
    __m512 s[16];
    for (int g = 0; g < 4; g++) {
        const __m512 t0 = _mm512_unpacklo_ps(r[4 * g], r[4 * g + 1]), t1 = _mm512_unpackhi_ps(r[4 * g], r[4 * g + 1]);
        const __m512 t2 = _mm512_unpacklo_ps(r[4 * g + 2], r[4 * g + 3]), t3 = _mm512_unpackhi_ps(r[4 * g + 2], r[4 * g + 3]);
        s[4 * g + 0] = _mm512_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
        s[4 * g + 1] = _mm512_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
        s[4 * g + 2] = _mm512_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
        s[4 * g + 3] = _mm512_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
    }
    for (int k = 0; k < 4; k++) { /* lanes a, b, c, d: s[k], s[4+k], s[8+k], s[12+k] */
        const __m512 u = _mm512_shuffle_f32x4(s[k], s[4 + k], 0x88), v = _mm512_shuffle_f32x4(s[k], s[4 + k], 0xDD);
        const __m512 u2 = _mm512_shuffle_f32x4(s[8 + k], s[12 + k], 0x88), v2 = _mm512_shuffle_f32x4(s[8 + k], s[12 + k], 0xDD);
        r[k] = _mm512_shuffle_f32x4(u, u2, 0x88);      /* a0 b0 c0 d0 */
        r[8 + k] = _mm512_shuffle_f32x4(u, u2, 0xDD);  /* a2 b2 c2 d2 */
        r[4 + k] = _mm512_shuffle_f32x4(v, v2, 0x88);  /* a1 b1 c1 d1 */
        r[12 + k] = _mm512_shuffle_f32x4(v, v2, 0xDD); /* a3 b3 c3 d3 */
    }
}
#define vgs_v_transpose(r) vgs__avx512_transpose(r)
/* The half-width tier: kernels/lanes3x3.h gives it channel tails of <= 8, and lanes3x3.h and
 * pool2x2.h the calls where it measured faster than this one (VGS_LANES_NARROW_*, rows < 16). */
#define VGS_NARROW_FN(name) name##__avx2

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
