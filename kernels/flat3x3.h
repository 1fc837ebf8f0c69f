/* kernels/flat3x3.h — the 3x3 window (padding 1) read straight from the input with masked
 * loads, the lanes outside the plane taking the padding value: no staging, no transpose.
 *   - vgs__flat3x3: depthwise convolution at stride 1 on planes read flat: a vector holds VW
 *     consecutive pixels of a plane (across its rows), and each of the 9 taps is one masked
 *     load at pixel offset (ky-1)*w + (kx-1) (below);
 *   - vgs__direct3x3s2: depthwise convolution, max- and average-pooling at stride 2, a row of
 *     outputs at a time (VGS_FLAT_S2, at the end).
 * Generic bodies, instantiated only on tiers whose masked loads never fault on
 * their masked-off lanes (VGS_HAS_MASKLOAD: AVX-512, where that is architectural).  Not AVX2:
 * its VMASKMOVPS may fault on them (AMD, QEMU's TCG: arch/avx2/vec.h), and tried with a check
 * that every lane a call's taps span lies in pages its planes occupy, with masks as vectors
 * and the masked multiply-add a blend, it took 1.42-1.50x the time of the AVX2 paths on
 * 7x7..28x28 planes (in-process A/B on the Xeon VM).
 *
 * Per vector, the masks come from bitmaps of the plane's first and last rows and columns (one
 * bit a pixel, built once a call): the load mask of tap (ky, kx) keeps the lanes whose input
 * pixel lies inside the plane (row and column), the others read as 0; the multiply-add mask
 * of input row ky keeps the lanes whose row ky-1 exists.  So each output is computed exactly as the
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
 * Contract: vgs_kernels.dwconv3x3s1p1 for planes of at most VGS_FLAT_PX pixels; at stride 2
 * (vgs__direct3x3s2) dwconv3x3s2p1, maxpool3x3s2p1 and avgpool3x3s2p1 where VGS_FLAT_S2. */

/* Pixels of the largest plane read flat (its vectors' masks sit on the stack: 12 a vector) */
#define VGS_FLAT_PX 1024
/* Stride-2 planes read where they are (vgs__direct3x3s2): rows of at least 12 outputs (3/4 of
 * a vector at VW = 16).  In-process A/B against the lanes path (planes up to 28x28) and the
 * staged row walk, AVX-512, Emerald Rapids VM, the nets' shapes: 28x28 inputs 0.46-0.56x the
 * time (dwconv 16..240 channels, avgpool 16 and 240), 56x56 0.56-0.67x, the stem's max-pool
 * on 112x112 0.76-0.84x; 14x14 inputs (7 outputs a row) 1.05-1.23x: left to the lanes path.
 * (On AMD Zen 4 the AVX-512 table gives stride 1 on planes of at most 256 pixels to AVX2:
 * arch/avx512/halves.h.) */
#define VGS_FLAT_S2(h, w) ((h) > 0 && (w) + 1 >= 2 * 12)

#ifdef VGS_HAS_MASKLOAD
/* Set bits a .. b-1 of a bitmap of 64-bit words, a word at a time. */
static inline void VGS_FN(vgs__flat_set)(uint64_t *map, size_t a, size_t b)
{
    while (a < b) {
        const size_t n = 64 - a % 64 < b - a ? 64 - a % 64 : b - a; /* bits in a's word */
        map[a / 64] |= (n == 64 ? ~0ull : (1ull << n) - 1u) << (a % 64);
        a += n;
    }
}

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
    /* the rows and the plane a word at a time: a call's set-up, paid per block of channels
     * (the runtime's 16), took a quarter of a 6-channel 28x28 call's time bit by bit */
    VGS_FN(vgs__flat_set)(first_row, 0, w);
    VGS_FN(vgs__flat_set)(last_row, hw - w, hw);
    VGS_FN(vgs__flat_set)(inside, 0, hw);
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

/* Lanes l of a VW-lane load at column c0 + l that lie in 0 .. w-1 (c0 may be negative) */
static inline uint32_t VGS_FN(vgs__cols_in)(ptrdiff_t c0, size_t w)
{
    const ptrdiff_t lo = c0 < 0 ? -c0 : 0, hi = (ptrdiff_t)w - c0 < VGS_VW ? (ptrdiff_t)w - c0 : VGS_VW;
    if (hi <= lo) return 0;
    const uint32_t upto = hi >= 32 ? ~0u : (1u << hi) - 1u;
    return upto & ~((1u << lo) - 1u);
}

/* One h x w plane through a 3x3 window at stride 2, padding 1, into y ((h+1)/2 x (w+1)/2),
 * reading the input rows where they are: the VW outputs from column ox0 take input columns
 * 2*ox0 - 1 .. 2*ox0 + 2*VW - 1, two masked loads at 2*ox0 - 1 (taps kx = 0, 1: their even
 * and odd lanes) and two at 2*ox0 (kx = 2: the odd lanes), the columns outside the row read
 * as the padding value.  Otherwise the row walk of window3x3.h (blocks of VGS_WIN_ROWS output
 * rows, padding rows skipped, the same operations per output in the same order): the same
 * taps, so bit-identical results; no staging copy.  (An op other than dwconv has no weights:
 * k is NULL.) */
static inline __attribute__((always_inline)) void VGS_FN(vgs__direct3x3s2)(
    int op, size_t h, size_t w, const float *x, const float *k, float bias, float *y, float out_min, float out_max)
{
    const size_t oh = (h + 1) / 2, ow = (w + 1) / 2;
    const float pad = op == VGS__WIN_MAX ? -INFINITY : 0.0f;
    VGS__WIN_WEIGHTS(op, k);
    const vgs_v vbias = vgs_v_set1(op == VGS__WIN_DWCONV ? bias : pad), vpad = vgs_v_set1(pad);
    const vgs_v vmin = vgs_v_set1(out_min), vmax = vgs_v_set1(out_max), ninth = vgs_v_set1(1.0f / 9.0f);
    for (size_t oy = 0; oy < oh; oy += VGS_WIN_ROWS) {
        const size_t rows = oh - oy < VGS_WIN_ROWS ? oh - oy : VGS_WIN_ROWS;
        const ptrdiff_t top = (ptrdiff_t)(2 * oy) - 1;
        /* input row top + d as an address, or 0 where it is padding (or unread) */
        uintptr_t in[2 * VGS_WIN_ROWS + 1];
        for (int d = 0; d < 2 * (VGS_WIN_ROWS - 1) + 3; d++) {
            const ptrdiff_t iy = top + d;
            in[d] = iy < 0 || iy >= (ptrdiff_t)h || d > 2 * ((int)rows - 1) + 2 ? 0 : (uintptr_t)(x + (size_t)iy * w);
        }
        float *yrow = y + oy * ow;
        for (size_t ox = 0; ox < ow; ox += VGS_VW) {
            const ptrdiff_t c0 = (ptrdiff_t)(2 * ox) - 1;
            const vgs_m m0 = vgs_m_bits(VGS_FN(vgs__cols_in)(c0, w));
            const vgs_m m1 = vgs_m_bits(VGS_FN(vgs__cols_in)(c0 + VGS_VW, w));
            const vgs_m m2 = vgs_m_bits(VGS_FN(vgs__cols_in)(c0 + 1, w));
            const vgs_m m3 = vgs_m_bits(VGS_FN(vgs__cols_in)(c0 + 1 + VGS_VW, w));
            /* byte offsets of the four loads from a row's start (c0 may be -1: as integers) */
            const uintptr_t o0 = (uintptr_t)(c0 * (ptrdiff_t)sizeof(float)), o1 = o0 + VGS_VW * sizeof(float);
            const uintptr_t o2 = o0 + sizeof(float), o3 = o1 + sizeof(float);
            vgs_v acc[VGS_WIN_ROWS];
#pragma GCC unroll 4
            for (int q = 0; q < VGS_WIN_ROWS; q++) acc[q] = vbias;
#pragma GCC unroll 9
            for (int d = 0; d < 2 * (VGS_WIN_ROWS - 1) + 3; d++) {
                if (!in[d]) continue;
                const vgs_v a = vgs_v_mask_load(vpad, m0, (const float *)(in[d] + o0));
                const vgs_v b = vgs_v_mask_load(vpad, m1, (const float *)(in[d] + o1));
                const vgs_v e = vgs_v_mask_load(vpad, m2, (const float *)(in[d] + o2));
                const vgs_v f = vgs_v_mask_load(vpad, m3, (const float *)(in[d] + o3));
                const vgs_v t0 = vgs_v_even2(a, b), t1 = vgs_v_odd2(a, b), t2 = vgs_v_odd2(e, f);
                VGS_FN(vgs__win_row)(op, 2, d, acc, t0, t1, t2, VGS__WIN_KV);
            }
            VGS_FN(vgs__win_block_out)(op, acc, rows, yrow + ox, ow, ow - ox, ninth, vmin, vmax);
        }
    }
}
#endif
