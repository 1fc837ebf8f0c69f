/* kernels/flat3x3.h — depthwise 3x3 convolution, stride 1, padding 1, on planes read flat:
 * a vector holds VW consecutive pixels of a plane (across its rows), and each of the 9 taps
 * is one masked load straight from the input at pixel offset (ky-1)*w + (kx-1).  No staging,
 * no transpose.  Generic body, instantiated only on tiers whose masked loads never fault on
 * their masked-off lanes (VGS_HAS_MASKLOAD: AVX-512, where that is architectural).  Not AVX2:
 * its VMASKMOVPS may fault on them (AMD, QEMU's TCG: arch/avx2/vec.h), and tried with a check
 * that every lane a call's taps span lies in pages its planes occupy, with masks as vectors
 * and the masked multiply-add a blend, it took 1.42-1.50x the time of the AVX2 paths on
 * 7x7..28x28 planes (in-process A/B on the Xeon VM).
 *
 * Per vector, the masks come from bitmaps of the plane's first and last columns (one bit a
 * pixel, built in O(h)): the load mask of tap (ky, kx) keeps the lanes whose input pixel lies
 * inside the plane (row and column), the others read as 0; the multiply-add mask of input
 * row ky keeps the lanes whose row ky-1 exists.  So each output is computed exactly as the
 * row walk (window3x3.h) and the lanes path (lanes3x3.h) compute it: the bias, then per
 * existing input row (padding rows skipped) taps kx = 0, 1, 2 in order, a padding column a
 * multiply-add of 0, then the clamp: bit-identical, NaN and infinity included.
 *
 * Two channels at a time share each vector's masks.  Measured against those paths (AVX-512,
 * 2-core Emerald Rapids VM; both libraries linked in one process, interleaved, 7 rounds; the
 * nets' stride-1 planes, 24 to 352 channels a call): 0.51-0.55x the time at 28x28 (the row
 * walk), 0.47-0.54x at 14x14 and 0.56x at 7x7 (the lanes path, whose two 16x16 transposes
 * a group compete with the FMAs for the shuffle port), bit-identical.  Whole nets at 1
 * thread: V2 x1.0 0.96x, x1.5 0.97x, V1 g3 1.0x 0.95x, logits identical.
 * Contract: vgs_kernels.dwconv3x3s1p1 for planes of at most VGS_FLAT_PX pixels. */

/* Pixels of the largest plane read flat (its vectors' masks sit on the stack: 12 a vector) */
#define VGS_FLAT_PX 1024

#ifdef VGS_HAS_MASKLOAD
/* Bits first .. first+VW-1 of a bitmap of 64-bit words (VW divides 64: one word holds them) */
static inline uint32_t VGS_FN(vgs__flat_bits)(const uint64_t *map, size_t first)
{
    const uint64_t lanes = VGS_VW == 64 ? ~0ull : (1ull << VGS_VW) - 1u;
    return (uint32_t)((map[first / 64] >> (first % 64)) & lanes);
}

static void VGS_FN(vgs__flat3x3)(size_t c, size_t h, size_t w, const float *x, size_t x_cstride, const float *k,
                                 const float *bias, float *y, size_t y_cstride, const int32_t *y_index, float out_min,
                                 float out_max)
{
    const size_t hw = h * w, nv = (hw + VGS_VW - 1) / VGS_VW;
    /* bitmaps over the plane's pixels (and the padding up to the last vector's end): column
     * 0, column w-1, row 0, row h-1, inside the plane */
    uint64_t first_col[VGS_FLAT_PX / 64 + 1] = {0}, last_col[VGS_FLAT_PX / 64 + 1] = {0};
    uint64_t first_row[VGS_FLAT_PX / 64 + 1] = {0}, last_row[VGS_FLAT_PX / 64 + 1] = {0};
    uint64_t inside[VGS_FLAT_PX / 64 + 1] = {0};
    for (size_t r = 0; r < h; r++) {
        first_col[r * w / 64] |= 1ull << (r * w % 64);
        last_col[(r * w + w - 1) / 64] |= 1ull << ((r * w + w - 1) % 64);
    }
    for (size_t p = 0; p < w; p++) first_row[p / 64] |= 1ull << (p % 64);
    for (size_t p = hw - w; p < hw; p++) last_row[p / 64] |= 1ull << (p % 64);
    for (size_t p = 0; p < hw; p++) inside[p / 64] |= 1ull << (p % 64);
    vgs_m lm[VGS_FLAT_PX / VGS_VW][9], fm[VGS_FLAT_PX / VGS_VW][3];
    for (size_t v = 0; v < nv; v++) {
        const size_t p0 = v * VGS_VW;
        const uint32_t in = VGS_FN(vgs__flat_bits)(inside, p0);
        const uint32_t rows[3] = {in & ~VGS_FN(vgs__flat_bits)(first_row, p0), in,
                                  in & ~VGS_FN(vgs__flat_bits)(last_row, p0)};
        const uint32_t cols[3] = {~VGS_FN(vgs__flat_bits)(first_col, p0), ~0u, ~VGS_FN(vgs__flat_bits)(last_col, p0)};
        for (int ky = 0; ky < 3; ky++) {
            fm[v][ky] = vgs_m_bits(rows[ky]);
            for (int kx = 0; kx < 3; kx++) lm[v][ky * 3 + kx] = vgs_m_bits(rows[ky] & cols[kx]);
        }
    }
    const vgs_v vmin = vgs_v_set1(out_min), vmax = vgs_v_set1(out_max);
    const ptrdiff_t sw = (ptrdiff_t)w;
    /* two channels at a time (the last one alone when c is odd): each vector's masks serve
     * both, and their two chains of 9 dependent multiply-adds interleave */
    for (size_t i = 0; i < c; i += 2) {
        const size_t j = i + 1 < c ? i + 1 : i; /* the second channel (i again at an odd end) */
        const float *ka = k + 9 * i, *kb = k + 9 * j;
        /* 9 variables a channel, not arrays (see window3x3.h) */
        const vgs_v a0 = vgs_v_set1(ka[0]), a1 = vgs_v_set1(ka[1]), a2 = vgs_v_set1(ka[2]);
        const vgs_v a3 = vgs_v_set1(ka[3]), a4 = vgs_v_set1(ka[4]), a5 = vgs_v_set1(ka[5]);
        const vgs_v a6 = vgs_v_set1(ka[6]), a7 = vgs_v_set1(ka[7]), a8 = vgs_v_set1(ka[8]);
        const vgs_v b0 = vgs_v_set1(kb[0]), b1 = vgs_v_set1(kb[1]), b2 = vgs_v_set1(kb[2]);
        const vgs_v b3 = vgs_v_set1(kb[3]), b4 = vgs_v_set1(kb[4]), b5 = vgs_v_set1(kb[5]);
        const vgs_v b6 = vgs_v_set1(kb[6]), b7 = vgs_v_set1(kb[7]), b8 = vgs_v_set1(kb[8]);
        const vgs_v biasa = vgs_v_set1(bias ? bias[i] : 0.0f), biasb = vgs_v_set1(bias ? bias[j] : 0.0f);
        /* the planes' addresses as integers: the taps of the first and last vectors point
         * before and past a plane, where their masks let no lane read */
        const uintptr_t xa = (uintptr_t)(x + i * x_cstride), xb = (uintptr_t)(x + j * x_cstride);
        float *ya = y + (y_index ? (size_t)y_index[i] : i) * y_cstride;
        float *yb = y + (y_index ? (size_t)y_index[j] : j) * y_cstride;
        for (size_t v = 0; v < nv; v++) {
            const ptrdiff_t p0 = (ptrdiff_t)(v * VGS_VW);
            vgs_v acca = biasa, accb = biasb;
#define VGS__FLAT_TAP(ky, kx, kva, kvb)                                                                                 \
    do {                                                                                                                \
        const uintptr_t off = (uintptr_t)((p0 + ((ky) - 1) * sw + (kx) - 1) * (ptrdiff_t)sizeof(float));               \
        const vgs_m lmask = lm[v][(ky) * 3 + (kx)], fmask = fm[v][ky];                                                   \
        acca = vgs_v_mask3_fma(kva, vgs_v_maskz_load(lmask, (const float *)(xa + off)), acca, fmask);                    \
        accb = vgs_v_mask3_fma(kvb, vgs_v_maskz_load(lmask, (const float *)(xb + off)), accb, fmask);                    \
    } while (0)
            VGS__FLAT_TAP(0, 0, a0, b0); VGS__FLAT_TAP(0, 1, a1, b1); VGS__FLAT_TAP(0, 2, a2, b2);
            VGS__FLAT_TAP(1, 0, a3, b3); VGS__FLAT_TAP(1, 1, a4, b4); VGS__FLAT_TAP(1, 2, a5, b5);
            VGS__FLAT_TAP(2, 0, a6, b6); VGS__FLAT_TAP(2, 1, a7, b7); VGS__FLAT_TAP(2, 2, a8, b8);
#undef VGS__FLAT_TAP
            /* b first: at an odd end b is a itself, and a's store is the one that counts */
            VGS_FN(vgs__store_upto)(yb + p0, vgs_v_clamp(accb, vmin, vmax), hw - (size_t)p0);
            VGS_FN(vgs__store_upto)(ya + p0, vgs_v_clamp(acca, vmin, vmax), hw - (size_t)p0);
        }
    }
}
#endif
