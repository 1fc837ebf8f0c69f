/* kernels/gemm.h — f32 GEMM microkernel family for grouped 1x1 convolution (NCHW).
 * Generic body, instantiated once per ISA by arch/instantiate.h (no include guard on purpose).
 *
 * Tile: MR = 6 output channels x NR = NV vectors of pixels (VGS_GEMM_NV, set by the tier with
 * the kernel's name: 6x16 on AVX2, 6x64 on AVX-512, 6x16 on NEON, 6x2 scalar): 6 x NV
 * accumulators, NV B loads and 6 broadcasts per k step (12 + 2 + 1 of AVX2's 16 vector
 * registers; 24 + 4 + 1 of AVX-512's and NEON's 32).  A comes packed (vgs_gemm_pack_a: a block
 * of MR rows is k x MR floats, the MR broadcasts of a k step adjacent), so a tile reads its
 * weights as one sequential stream, not MR rows a row apart (with weights that have left the
 * cache, the 7x7 layers' case, six streams of 4 bytes a k step were latency bound); rows past m
 * are the packer's zeros (computed, never stored).  The last columns of a row (vgs__gemm_tail) take
 * a tile of as many vectors as they need, the last one masked; a single last column (7x7 =
 * 49 pixels: 3 vectors and one column on both x86 tiers) goes by vgs__gemm_col, with the
 * vectors along the rows.
 * Optional row indexes (ShuffleNet V2's zero-copy split / concat / shuffle): B row p read
 * from plane b_index[p], C row i stored to plane c_index[i].  The B index sits in the K loop,
 * so whether it is used is a compile-time parameter (`bix`: two copies of the tile loop) and
 * the plain GEMM's K loop is the same as without it; the C rows are stored through row
 * pointers set once per block of MR rows (like A's), indexed or not.
 * Packing (when scratch is given and the call has at least two blocks of MR rows to reuse it):
 * B is copied, VGS_GEMM_NC columns at a time, into panels of NR contiguous columns (k x NR
 * each, the last one zero-padded), gathering through b_index on the way; every block of rows
 * then reads each panel as one sequential stream with full-vector loads, instead of k rows
 * one plane apart (a 56x56 plane is 12.5 KB: every B row of a tile in another page, and the
 * rows of a panel falling in few cache sets) and masked loads in the tail tiles.  The tile
 * code and each output's arithmetic (bias, then p = 0..k-1 in order, residual, clamp) are the
 * same with and without packing, so the results are bit-identical either way.
 * Contract: vgs_kernels.gemm. */

#define VGS_GEMM_MR 6
#if VGS_GEMM_MR != VGS_GEMM_PACK_ROWS
#error "the tile height must be the packed weights' block height"
#endif
/* Vectors of columns a tile (arch/ISA/ISA.h: VGS_GEMM_NV, with the kernel's name): 2 where 16
 * vector registers hold the 6 x 2 accumulators, 2 loads of B and a broadcast; 4 on AVX-512,
 * whose 32 registers hold 6 x 4 (and whose two 512-bit FMA ports on Intel want more than 12
 * multiply-adds a k step behind 6 broadcasts).  6x64 against 6x32 on a 2-core Xeon VM
 * (Emerald Rapids; runtime-style tasks, weights rotated through 48 MB, the two builds
 * alternated, /tmp/gh/gh.c): 116 <- 116 14x14 indexed 0.85-0.89x the time, 232 <- 232 7x7
 * 0.77-0.98x, 1024 <- 464 7x7 0.90x, 88 <- 88 28x28 indexed 0.87x, 160 <- 40 14x14 0.87x,
 * 80 <- 320 7x7 0.82-0.93x, 256 <- 256 56x56 0.89-0.92x.  NEON (aarch64: 32 registers of 4
 * floats) takes 4 by the same count: 6 x 4 accumulators, 4 loads of B and a broadcast (29
 * registers); its k step then loads 10 times for 24 multiply-adds where 6x8's loaded 8 times
 * for 12, the broadcasts being loads (LD1R) on NEON.  Not timed (no arm64 hardware here:
 * qemu-aarch64 runs the checks, not the clock). */
#define VGS_GEMM_NR (VGS_GEMM_NV * VGS_VW)
/* Columns packed at a time (a multiple of every tier's NR; the runtime's task width). */
#define VGS_GEMM_NC 256
#if VGS_GEMM_NC % VGS_GEMM_NR || 64 % VGS_GEMM_NR
#error "the packing width and VGS_GEMM_PANEL_FLOATS's 64 columns must be multiples of the tile width"
#endif
/* Rows of at most this many columns (7x7 = 49 pixels: 3 tiles and a column on AVX2) prefetch
 * the next block of rows' weights during their first tile: with few tiles a block, the
 * first tile is where the block's weights arrive, and out of cache (a net's weights do not
 * stay there between passes) they arrived late.  With the next block's on the way (A/B in
 * one process, the weights rotated through 48 MB, with / without): 352 <- 352 0.91x,
 * 1024 <- 704 0.91x, 976 <- 976 0.88x, 80 <- 320 (x3 groups) 0.90x, 320 <- 80 0.93x.
 * Larger planes spread a block's weights over enough tiles for the hardware prefetcher. */
#define VGS_GEMM_PF_N 64
/* Rows of B a block of k when a row is one panel (vgs_f32_gemm_packed): 32 KB of panel */
#define VGS_GEMM_KC (8192 / VGS_GEMM_NR)

/* One MR x (nvec vectors) tile with nr valid columns at column j; `nvec` (1 .. NV), `full`
 * (nr is exactly nvec vectors), `bfull` (B rows hold nvec full vectors: packed), `bix`
 * (b_index used) and `pf` (prefetch apn) are compile-time constants at every call site, so
 * the full tiles' K loop has no masking, a narrower tile no unused accumulators, and the
 * unindexed tiles no index loads.  Only the last vector can be partial (nr - (nvec-1)*VW
 * lanes).  pf: k step p also prefetches the next block of rows' weights at apn + p*MR (see
 * VGS_GEMM_PF_N).  col (compile-time; tiers whose vector holds the MR rows, VGS_GEMM_FUSE):
 * the tile of nvec whole vectors also computes column nvec*VW, with the vectors along the
 * rows (a k step: the block's MR weights, one masked load, times that column's B value) in
 * the same k loop, in every output's order (bias, then p = 0..k-1, residual, clamp): 7x7 =
 * 49 pixels on AVX-512 is one 3-vector tile with its column, where a second pass of the
 * column path over the panel, out of L1 once k x 64 floats passed 48 KB, cost 1.35x the
 * time at k >= 256 (A/B in one process, /tmp/gh/gh.c: 107 GFLOP/s at k = 352 against 144
 * at k = 128).  part (0: all of k at once; vgs_f32_gemm_packed's blocks of k): bit 0, the sums
 * start from C's (stored by the previous block of k) instead of the bias; bit 1, they are
 * stored as they are (for the next block), without the residual and the clamp.  A float
 * stored and loaded again is the float the register held, so the results are the same bits
 * as in one pass over k. */
static inline __attribute__((always_inline)) void VGS_FN(vgs__gemm_tile)(
    int nvec, int col, int part, int full, int bfull, int bix, int pf, size_t mr, size_t nr, size_t k, const float *ap,
    const float *apn, const float *b, size_t b_stride, const int32_t *b_index, const float *bias, const float *r,
    size_t r_stride, float *const *crow, size_t j, vgs_v vmin, vgs_v vmax)
{
    vgs_v acc[VGS_GEMM_MR][VGS_GEMM_NV];
    const size_t nl = full ? VGS_VW : nr - (size_t)(nvec - 1) * VGS_VW; /* valid lanes of the last vector */
    const int in = part & 1, out = part & 2;
    float lane[VGS_VW]; /* col: lane i = row i */
    if (col && in) for (size_t i = 0; i < VGS_VW; i++) lane[i] = i < mr ? crow[i][j + (size_t)nvec * VGS_VW] : 0.0f;
    vgs_v accc = !col ? vgs_v_zero() : in ? vgs_v_load(lane) : bias ? vgs_v_loadn(bias, mr) : vgs_v_zero();
#pragma GCC unroll 6
    for (size_t i = 0; i < VGS_GEMM_MR; i++) {
        const vgs_v bi = vgs_v_set1(bias && !in ? bias[i < mr ? i : mr - 1] : 0.0f);
#pragma GCC unroll 4
        for (int v = 0; v < nvec; v++) {
            const int whole = full || v < nvec - 1 || nl == VGS_VW;
            acc[i][v] = !in ? bi : whole ? vgs_v_load(crow[i] + j + v * VGS_VW) : vgs_v_loadn(crow[i] + j + v * VGS_VW, nl);
        }
    }
    for (size_t p = 0; p < k; p++) {
        if (pf) __builtin_prefetch(apn + p * VGS_GEMM_MR, 0, 3);
        const float *bp = b + (bix ? (size_t)b_index[p] : p) * b_stride;
        vgs_v bv[VGS_GEMM_NV];
#pragma GCC unroll 4
        for (int v = 0; v < nvec; v++) {
            /* one column (the scalar tier's last): a broadcast, no masked load */
            bv[v] = full || bfull || v < nvec - 1 ? vgs_v_load(bp + v * VGS_VW)
                  : nvec == 1 && nl == 1         ? vgs_v_set1(bp[0])
                                                 : vgs_v_loadn(bp + v * VGS_VW, nl);
        }
#pragma GCC unroll 6
        for (size_t i = 0; i < VGS_GEMM_MR; i++) {
            const vgs_v ai = vgs_v_set1(ap[p * VGS_GEMM_MR + i]);
#pragma GCC unroll 4
            for (int v = 0; v < nvec; v++) acc[i][v] = vgs_v_fma(ai, bv[v], acc[i][v]);
        }
        if (col) accc = vgs_v_fma(vgs_v_loadn(ap + p * VGS_GEMM_MR, VGS_GEMM_MR), vgs_v_set1(bp[nvec * VGS_VW]), accc);
    }
#pragma GCC unroll 6
    for (size_t i = 0; i < VGS_GEMM_MR; i++) {
        if (i >= mr) break;
        float *ci = crow[i] + j;
        const float *ri = r ? r + i * r_stride : NULL;
#pragma GCC unroll 4
        for (int v = 0; v < nvec; v++) {
            const int whole = full || v < nvec - 1 || nl == VGS_VW;
            vgs_v o = acc[i][v];
            if (ri && !out) o = vgs_v_add(o, whole ? vgs_v_load(ri + v * VGS_VW) : vgs_v_loadn(ri + v * VGS_VW, nl));
            if (!out) o = vgs_v_clamp(o, vmin, vmax);
            if (whole) vgs_v_store(ci + v * VGS_VW, o);
            else vgs_v_storen(ci + v * VGS_VW, o, nl);
        }
    }
    if (col) {
        const size_t jc = j + (size_t)nvec * VGS_VW;
        if (r && !out) {
            for (size_t i = 0; i < VGS_VW; i++) lane[i] = i < mr ? r[i * r_stride + (size_t)nvec * VGS_VW] : 0.0f;
            accc = vgs_v_add(accc, vgs_v_load(lane));
        }
        vgs_v_store(lane, out ? accc : vgs_v_clamp(accc, vmin, vmax));
        for (size_t i = 0; i < mr; i++) crow[i][jc] = lane[i];
    }
}

/* Vectors that hold the MR rows of a packed block's k step (AVX2 / AVX-512 1, NEON 2). */
#define VGS_GEMM_CV ((VGS_GEMM_MR + VGS_VW - 1) / VGS_VW)
/* Whether the last column of a row goes by vgs__gemm_col (where the vectors along the rows are
 * fewer than the tile's multiply-adds: not the scalar tier, whose one-lane vectors make it the
 * same work) */
#define VGS_GEMM_COL (2 * VGS_GEMM_CV <= VGS_GEMM_MR)
/* Whether a tile of whole vectors can carry that column in its own k loop (vgs__gemm_tile's
 * col: the MR rows in one vector) */
#define VGS_GEMM_FUSE (VGS_GEMM_COL && VGS_GEMM_CV == 1)
/* Its independent sums: k step p adds into chain p % 4, so that a multiply-add's latency is not
 * on the critical path of every step */
#define VGS_GEMM_CS 4

/* One column j of a block of MR rows, with the vectors along the rows: a k step is the
 * block's MR adjacent weights (one load on AVX2) times B's one value (a broadcast), where the
 * 1-vector tile spends MR broadcasts and MR multiply-adds on one useful lane each (7x7 = 49
 * pixels: 3 full tiles and this).  Output i = clamp(((bias + S0) + S1) + (S2 + S3) + r) with
 * Sc = the sum of the k steps p = c mod 4 in order: a fixed order, not the tile's (bias, then
 * p = 0..k-1), so the last column of a row is rounded otherwise than its neighbours, the same
 * way whatever the threads, batch or B packing.  The lanes past MR hold the next k step's
 * weights (never stored); loads that would pass the block's end (the last k steps) are partial. */
static inline __attribute__((always_inline)) void VGS_FN(vgs__gemm_col)(
    int bix, size_t mr, size_t k, const float *ap, const float *b, size_t b_stride, const int32_t *b_index,
    const float *bias, const float *r, size_t r_stride, float *const *crow, size_t j, float out_min, float out_max)
{
    float lane[VGS_GEMM_CV * VGS_VW];
    for (size_t i = 0; i < VGS_GEMM_CV * VGS_VW; i++) lane[i] = bias && i < mr ? bias[i] : 0.0f;
    vgs_v acc[VGS_GEMM_CS][VGS_GEMM_CV];
#pragma GCC unroll 6
    for (size_t q = 0; q < VGS_GEMM_CV; q++) {
        acc[0][q] = vgs_v_load(lane + q * VGS_VW);
#pragma GCC unroll 4
        for (size_t c = 1; c < VGS_GEMM_CS; c++) acc[c][q] = vgs_v_zero();
    }
    /* k steps whose full vectors stay inside the block: p*MR + CV*VW <= k*MR */
    const size_t over = (VGS_GEMM_CV * VGS_VW - 1) / VGS_GEMM_MR;
    const size_t kf = k > over ? k - over : 0;
    size_t p = 0;
    for (; p + VGS_GEMM_CS <= kf; p += VGS_GEMM_CS) {
#pragma GCC unroll 4
        for (size_t c = 0; c < VGS_GEMM_CS; c++) {
            const vgs_v bv = vgs_v_set1(b[(bix ? (size_t)b_index[p + c] : p + c) * b_stride]);
#pragma GCC unroll 6
            for (size_t q = 0; q < VGS_GEMM_CV; q++) {
                acc[c][q] = vgs_v_fma(vgs_v_load(ap + (p + c) * VGS_GEMM_MR + q * VGS_VW), bv, acc[c][q]);
            }
        }
    }
    for (; p < k; p++) {
        const size_t c = p % VGS_GEMM_CS;
        const vgs_v bv = vgs_v_set1(b[(bix ? (size_t)b_index[p] : p) * b_stride]);
#pragma GCC unroll 6
        for (size_t q = 0; q < VGS_GEMM_CV; q++) {
            const size_t lanes = VGS_GEMM_MR - q * VGS_VW < VGS_VW ? VGS_GEMM_MR - q * VGS_VW : VGS_VW;
            const vgs_v av = p < kf ? vgs_v_load(ap + p * VGS_GEMM_MR + q * VGS_VW)
                                    : vgs_v_loadn(ap + p * VGS_GEMM_MR + q * VGS_VW, lanes);
            acc[c][q] = vgs_v_fma(av, bv, acc[c][q]);
        }
    }
    if (r) for (size_t i = 0; i < VGS_GEMM_CV * VGS_VW; i++) lane[i] = i < mr ? r[i * r_stride] : 0.0f;
    const vgs_v vmin = vgs_v_set1(out_min), vmax = vgs_v_set1(out_max);
#pragma GCC unroll 6
    for (size_t q = 0; q < VGS_GEMM_CV; q++) {
        vgs_v v = vgs_v_add(vgs_v_add(acc[0][q], acc[1][q]), vgs_v_add(acc[2][q], acc[3][q]));
        if (r) v = vgs_v_add(v, vgs_v_load(lane + q * VGS_VW));
        vgs_v_store(lane + q * VGS_VW, vgs_v_clamp(v, vmin, vmax));
    }
    for (size_t i = 0; i < mr; i++) crow[i][j] = lane[i];
}

/* The last rem (1 .. NR-1) columns of a block of rows, from column j (b at column j; packed,
 * `bfull`: the zero-padded last panel, rows NR apart), with the first tile's prefetch `pf`:
 * q >= 1 whole vectors and one column (AVX-512 on 7x7 = 49 pixels: 3 vectors and a column)
 * by a q-vector tile carrying the column (VGS_GEMM_FUSE), else by that tile and the column
 * path, not a tile whose last vector holds one column; one column by the column path; the
 * rest by a tile of as many vectors as they need, the last one masked.  part: see
 * vgs__gemm_tile (never with the column path). */
static inline __attribute__((always_inline)) void VGS_FN(vgs__gemm_tail)(
    int bix, int bfull, int pf, int part, size_t mr, size_t rem, size_t k, const float *ap, const float *apn, const float *b,
    size_t b_stride, const int32_t *b_index, const float *bias, const float *r, size_t r_stride, float *const *crow,
    size_t j, vgs_v vmin, vgs_v vmax, float out_min, float out_max)
{
    const size_t q = rem / VGS_VW;
    if (VGS_GEMM_COL && rem % VGS_VW == 1) {
        switch (q) { /* q < NV; after q >= 1 whole vectors, the column in the same tile where it fuses */
#define VGS__GEMM_Q(Q)                                                                                                  \
    case Q:                                                                                                             \
        VGS_FN(vgs__gemm_tile)(Q, VGS_GEMM_FUSE, part, 1, bfull, bix, pf, mr, Q * VGS_VW, k, ap, apn, b, b_stride,     \
                               b_index, bias, r, r_stride, crow, j, vmin, vmax);                                        \
        break;
        case 0: break;
        VGS__GEMM_Q(1)
#if VGS_GEMM_NV > 2
        VGS__GEMM_Q(2)
        VGS__GEMM_Q(3)
#endif
#undef VGS__GEMM_Q
        }
        if (q == 0 || !VGS_GEMM_FUSE) {
            VGS_FN(vgs__gemm_col)(bix, mr, k, ap, b + q * VGS_VW, b_stride, b_index, bias, r ? r + q * VGS_VW : NULL,
                                  r_stride, crow, j + q * VGS_VW, out_min, out_max);
        }
        return;
    }
    switch ((rem + VGS_VW - 1) / VGS_VW) { /* 1 .. NV vectors, the last partial or whole */
#define VGS__GEMM_V(V)                                                                                                  \
    case V:                                                                                                             \
        VGS_FN(vgs__gemm_tile)(V, 0, part, 0, bfull, bix, pf, mr, rem, k, ap, apn, b, b_stride, b_index, bias, r,       \
                               r_stride, crow, j, vmin, vmax);                                                          \
        break;
        VGS__GEMM_V(1)
        VGS__GEMM_V(2)
#if VGS_GEMM_NV > 2
        VGS__GEMM_V(3)
        VGS__GEMM_V(4)
#endif
#undef VGS__GEMM_V
    }
}

/* Rows p0 .. p1-1 of the n columns of B's k rows (row p at b + bi(p)*b_stride) into panels
 * of NR columns, panel t at buf + t*k*NR, row p of it at + p*NR; the last panel zero-padded. */
static inline __attribute__((always_inline)) void VGS_FN(vgs__gemm_pack)(
    int bix, size_t n, size_t k, size_t p0, size_t p1, const float *b, size_t b_stride, const int32_t *b_index, float *buf)
{
    const size_t full = n / VGS_GEMM_NR, rest = n % VGS_GEMM_NR;
    const vgs_v zero = vgs_v_zero();
    for (size_t p = p0; p < p1; p++) {
        const float *src = b + (bix ? (size_t)b_index[p] : p) * b_stride;
        float *dst = buf + p * VGS_GEMM_NR;
        for (size_t t = 0; t < full; t++, src += VGS_GEMM_NR, dst += k * VGS_GEMM_NR) {
#pragma GCC unroll 4
            for (int v = 0; v < VGS_GEMM_NV; v++) vgs_v_store(dst + v * VGS_VW, vgs_v_load(src + v * VGS_VW));
        }
        if (rest) {
#pragma GCC unroll 4
            for (int v = 0; v < VGS_GEMM_NV; v++) {
                const size_t at = (size_t)v * VGS_VW, lanes = rest <= at ? 0 : rest - at < VGS_VW ? rest - at : VGS_VW;
                vgs_v_store(dst + at, lanes == VGS_VW ? vgs_v_load(src + at) : lanes ? vgs_v_loadn(src + at, lanes) : zero);
            }
        }
    }
}

/* The output rows of the block i0 .. i0+mr-1 (through c_index where given); rows past mr
 * repeat the last one (never stored). */
static inline __attribute__((always_inline)) void VGS_FN(vgs__gemm_crow)(float **crow, float *c, size_t c_stride,
                                                                      const int32_t *c_index, size_t i0, size_t mr)
{
    for (size_t i = 0; i < VGS_GEMM_MR; i++) {
        const size_t row = i0 + (i < mr ? i : mr - 1);
        crow[i] = c + (c_index ? (size_t)c_index[row] : row) * c_stride;
    }
}

/* The tile loop over m rows and n columns: B's column j at b + j*bjs, its rows b_stride apart
 * (bjs = 1: B itself, through b_index where bix; bfull, bjs = k: panels of NR columns, k rows
 * each); part: see vgs__gemm_tile (0 for all of k). */
static inline __attribute__((always_inline)) void VGS_FN(vgs__gemm_run)(
    int bix, int bfull, int part, size_t m, size_t n, size_t k, const float *a, size_t a_stride, const float *b,
    size_t b_stride, size_t bjs, const int32_t *b_index, const float *bias, const float *r, size_t r_stride, float *c,
    size_t c_stride, const int32_t *c_index, float out_min, float out_max)
{
    const vgs_v vmin = vgs_v_set1(out_min), vmax = vgs_v_set1(out_max);
    for (size_t i0 = 0; i0 < m; i0 += VGS_GEMM_MR) {
        const size_t mr = m - i0 < VGS_GEMM_MR ? m - i0 : VGS_GEMM_MR;
        const float *ap = a + i0 / VGS_GEMM_MR * a_stride; /* the block of rows i0 .. i0+MR-1 */
        const float *bias_i = bias ? bias + i0 : NULL;
        const float *r_i = r ? r + i0 * r_stride : NULL;
        float *crow[VGS_GEMM_MR];
        VGS_FN(vgs__gemm_crow)(crow, c, c_stride, c_index, i0, mr);
        size_t j = 0;
        const int pf = n <= VGS_GEMM_PF_N && i0 + VGS_GEMM_MR < m; /* the first tile prefetches */
        if (pf && n >= VGS_GEMM_NR) {
            VGS_FN(vgs__gemm_tile)(VGS_GEMM_NV, 0, part, 1, bfull, bix, 1, mr, VGS_GEMM_NR, k, ap, ap + a_stride, b,
                                   b_stride, b_index, bias_i, r_i, r_stride, crow, 0, vmin, vmax);
            j += VGS_GEMM_NR;
        }
        for (; j + VGS_GEMM_NR <= n; j += VGS_GEMM_NR) {
            VGS_FN(vgs__gemm_tile)(VGS_GEMM_NV, 0, part, 1, bfull, bix, 0, mr, VGS_GEMM_NR, k, ap, NULL, b + j * bjs,
                                   b_stride, b_index, bias_i, r_i ? r_i + j : NULL, r_stride, crow, j, vmin, vmax);
        }
        if (j < n && pf && j == 0) {
            VGS_FN(vgs__gemm_tail)(bix, bfull, 1, part, mr, n, k, ap, ap + a_stride, b, b_stride, b_index, bias_i, r_i,
                                   r_stride, crow, 0, vmin, vmax, out_min, out_max);
        } else if (j < n) {
            VGS_FN(vgs__gemm_tail)(bix, bfull, 0, part, mr, n - j, k, ap, NULL, b + j * bjs, b_stride, b_index, bias_i,
                                   r_i ? r_i + j : NULL, r_stride, crow, j, vmin, vmax, out_min, out_max);
        }
    }
}

/* vgs_kernels.gemm_pack_b: rows p0 .. p1-1 of B's n columns into panels of NR columns (k x NR
 * each). */
static void VGS_FN(vgs_f32_gemm_pack_b)(size_t n, size_t k, size_t p0, size_t p1, const float *b, size_t b_stride,
                                        const int32_t *b_index, float *panels)
{
    if (p1 > k) p1 = k;
    if (b_index) VGS_FN(vgs__gemm_pack)(1, n, k, p0, p1, b, b_stride, b_index, panels);
    else VGS_FN(vgs__gemm_pack)(0, n, k, p0, p1, b, b_stride, NULL, panels);
}

/* vgs_kernels.gemm_packed: the tile loop over panels of n columns (vgs_f32_gemm_pack_b's).
 * A row of at most one panel (7x7 = 49 pixels on AVX-512) with k > VGS_GEMM_KC runs in
 * blocks of VGS_GEMM_KC rows of B, every block of output rows through each (the partial
 * sums through C: see vgs__gemm_tile's part), so that the block of the panel stays in L1 for
 * all of them: k x 64 floats of a 7x7 panel came from L2 for every 6 rows once k passed
 * about 128 (/tmp/gh/gh.c, AVX-512: 107 GFLOP/s at k = 352, 144 at k = 128).  Not with a
 * residual (r may be c itself) or where the last column takes the column path. */
static void VGS_FN(vgs_f32_gemm_packed)(size_t m, size_t n, size_t k, const float *a, size_t a_stride,
                                        const float *panels, const float *bias, const float *r, size_t r_stride,
                                        float *c, size_t c_stride, const int32_t *c_index, float out_min, float out_max)
{
    const int colpath = VGS_GEMM_COL && n % VGS_VW == 1 && (n < VGS_VW || !VGS_GEMM_FUSE);
    const size_t kc_max = n <= VGS_GEMM_NR && k > VGS_GEMM_KC && !r && !colpath ? VGS_GEMM_KC : k;
    for (size_t p0 = 0;;) {
        const size_t kc = k - p0 < kc_max ? k - p0 : kc_max;
        const int part = (p0 > 0) | (p0 + kc < k) << 1; /* 0: all of k in one pass */
        /* the weights and the panels' rows from p0 (one panel if kc < k) */
        VGS_FN(vgs__gemm_run)(0, 1, part, m, n, kc, a + p0 * VGS_GEMM_MR, a_stride, panels + p0 * VGS_GEMM_NR, VGS_GEMM_NR,
                              k, NULL, bias, r, r_stride, c, c_stride, c_index, out_min, out_max);
        p0 += kc;
        if (p0 >= k) break;
    }
}

static void VGS_GEMM_NAME(size_t m, size_t n, size_t k, const float *a, size_t a_stride,
                          const float *b, size_t b_stride, const int32_t *b_index,
                          const float *bias, const float *r, size_t r_stride, float *c,
                          size_t c_stride, const int32_t *c_index, float out_min, float out_max,
                          float *scratch)
{
    /* Packed (vgs_gemm_packs_b) where it paid (A/B in one process, AVX2, tasks of 48 rows):
     * B gathered through b_index (0.80-0.89x the time), B rows a page or more apart with
     * k >= 64 (256 <- 256 at 56x56: 0.56-0.69x), k >= 200 whatever the plane (a tile's k rows
     * of B then span more than L1: 976 <- 976 at 7x7 0.65-0.72x, 2048 <- 976 at 7x7 0.70x,
     * 488 <- 488 at 14x14 0.78-0.80x, 244 <- 244 at 28x28 0.90x, 80 <- 320 at 7x7 0.95x);
     * not where B's rows are near and k small (28x28 and 14x14 planes, k = 20..160:
     * 1.0-1.17x, the copy is not repaid; 7x7: level once its one-column tail is a
     * broadcast).  Two row blocks at least, else each panel would be read once.  (Packing
     * 48+ rows with k >= 48 as well: V2 x1.0's 116 <- 116 at 14x14 and 58 <- 58 at 28x28
     * 0.80-0.87x on 2 threads, where each thread then reads the B the other core wrote once,
     * not once a block of rows, but 1.03-1.19x on 1 thread: not taken.) */
    const int pack = scratch && m > VGS_GEMM_MR && vgs_gemm_packs_b(k, b_stride, b_index != NULL);
    if (pack) {
        for (size_t j0 = 0; j0 < n; j0 += VGS_GEMM_NC) {
            const size_t nc = n - j0 < VGS_GEMM_NC ? n - j0 : VGS_GEMM_NC;
            if (b_index) VGS_FN(vgs__gemm_pack)(1, nc, k, 0, k, b + j0, b_stride, b_index, scratch);
            else VGS_FN(vgs__gemm_pack)(0, nc, k, 0, k, b + j0, b_stride, NULL, scratch);
            VGS_FN(vgs_f32_gemm_packed)(m, nc, k, a, a_stride, scratch, bias, r ? r + j0 : NULL, r_stride, c + j0,
                                        c_stride, c_index, out_min, out_max);
        }
    } else if (b_index) {
        VGS_FN(vgs__gemm_run)(1, 0, 0, m, n, k, a, a_stride, b, b_stride, 1, b_index, bias, r, r_stride, c, c_stride, c_index,
                              out_min, out_max);
    } else {
        VGS_FN(vgs__gemm_run)(0, 0, 0, m, n, k, a, a_stride, b, b_stride, 1, NULL, bias, r, r_stride, c, c_stride, c_index,
                              out_min, out_max);
    }
}

#undef VGS_GEMM_MR
#undef VGS_GEMM_NV
#undef VGS_GEMM_NR
#undef VGS_GEMM_NC
#undef VGS_GEMM_PF_N
#undef VGS_GEMM_KC
#undef VGS_GEMM_CV
#undef VGS_GEMM_COL
#undef VGS_GEMM_FUSE
#undef VGS_GEMM_CS
