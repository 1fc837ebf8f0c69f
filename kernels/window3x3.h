/* kernels/window3x3.h — the 3x3 window walk shared by the depthwise-convolution and pooling
 * families (and row staging shared with conv3x3.h).  Generic body, instantiated per ISA.
 *
 * For outputs ox0 .. ox0+VW-1 at stride S (1 or 2) with padding 1, tap kx (0,1,2) of output
 * ox reads input column S*ox + kx - 1; all reads of one vector span the S*VW + 2 columns
 * starting at S*ox0 - 1.  So that no vector load ever needs a bounds check, the input rows
 * are staged, strip by strip, into a small ring of stack rows holding the padding value
 * (0 for convolution and average pooling, -inf for max pooling) around the real columns:
 * each input row is copied once per strip, and every tap is then a plain vector load
 * (for S = 2, a deinterleaving one). */

/* Output columns per staged strip: a multiple of every vector width. */
#define VGS_STRIP 128
/* Floats of one staged row: at most S * VGS_STRIP + 2 columns (the last load reads column
 * S * (strip width rounded up to VW) + 1 at most). */
#define VGS_STRIP_ROW (2 * VGS_STRIP + 2)

/* Copy input columns first .. first+span-1 of `row` (w columns) into buf (VGS_STRIP_ROW
 * floats), `pad` outside, with vector loads and stores.  `avail` floats from row[0] on may be
 * read (the rest of the plane: the rows below are contiguous), so the last partial vector
 * of real columns is a full load wherever the plane goes on past it; what it brings in past
 * the row is overwritten by the padding, which is stored in full vectors up to the buffer's
 * end.  Partial loads and stores remain only at the plane's last row and the buffer's end. */
static inline __attribute__((always_inline)) void VGS_FN(vgs__stage_row)(
    const float *row, size_t w, size_t avail, ptrdiff_t first, size_t span, float pad, float *buf)
{
    const ptrdiff_t lo = first < 0 ? 0 : first;
    const ptrdiff_t hi = first + (ptrdiff_t)span < (ptrdiff_t)w ? first + (ptrdiff_t)span : (ptrdiff_t)w;
    size_t i = 0;
    for (; (ptrdiff_t)i < lo - first && i < span; i++) buf[i] = pad; /* at most 1 (first >= -1) */
    const size_t count = hi > lo ? (size_t)(hi - lo) : 0;
    const float *src = row + lo;
    size_t j = 0;
    for (; j + VGS_VW <= count; j += VGS_VW) {
        /* an opaque pointer: else GCC turns this loop into a call to memcpy, which costs more
         * than the copy on rows this short (and a vzeroupper) */
        __asm__("" : "+r"(src));
        vgs_v_store(buf + i + j, vgs_v_load(src + j));
    }
    if (j < count) {
        if ((size_t)lo + j + VGS_VW <= avail && i + j + VGS_VW <= VGS_STRIP_ROW) {
            vgs_v_store(buf + i + j, vgs_v_load(src + j));
        } else {
            vgs_v_storen(buf + i + j, vgs_v_loadn(src + j, count - j), count - j);
        }
    }
    i += count;
    const vgs_v vpad = vgs_v_set1(pad);
    for (; i < span; i += VGS_VW) {
        if (i + VGS_VW <= VGS_STRIP_ROW) vgs_v_store(buf + i, vpad);
        else vgs_v_storen(buf + i, vpad, span - i);
    }
}

/* The three taps of VW outputs whose window starts at p (p[0] = column S*ox0 - 1). */
static inline __attribute__((always_inline)) void VGS_FN(vgs__taps3)(int stride, const float *p, vgs_v *t0,
                                                                     vgs_v *t1, vgs_v *t2)
{
    if (stride == 1) {
        *t0 = vgs_v_load(p);
        *t1 = vgs_v_load(p + 1);
        *t2 = vgs_v_load(p + 2);
    } else {
        vgs_v unused;
        vgs_v_load2(p, t0, t1);
        vgs_v_load2(p + 2, t2, &unused);
        (void)unused;
    }
}

/* Store the first n (>= 1) lanes of v at p (all of them if n >= VW). */
static inline __attribute__((always_inline)) void VGS_FN(vgs__store_upto)(float *p, vgs_v v, size_t n)
{
    if (n >= VGS_VW) vgs_v_store(p, v);
    else vgs_v_storen(p, v, n);
}

#ifndef VGS__WIN_DWCONV /* the window operations (defined once for all ISAs) */
#define VGS__WIN_DWCONV 0
#define VGS__WIN_MAX 1
#define VGS__WIN_AVG 2
/* The 9 weights of a depthwise window as 9 vectors kv0 .. kv8 (0 for the pools), variables and
 * not an array: GCC keeps an array indexed in an unrolled loop in memory (scalar replacement
 * runs before the unrolling) and reloaded a weight for every multiply-add of the row walk */
#define VGS__WIN_W(op, k, i) vgs_v_set1((op) == VGS__WIN_DWCONV ? (k)[i] : 0.0f)
#define VGS__WIN_WEIGHTS(op, k)                                                                         \
    const vgs_v kv0 = VGS__WIN_W(op, k, 0), kv1 = VGS__WIN_W(op, k, 1), kv2 = VGS__WIN_W(op, k, 2), \
                kv3 = VGS__WIN_W(op, k, 3), kv4 = VGS__WIN_W(op, k, 4), kv5 = VGS__WIN_W(op, k, 5), \
                kv6 = VGS__WIN_W(op, k, 6), kv7 = VGS__WIN_W(op, k, 7), kv8 = VGS__WIN_W(op, k, 8)
#define VGS__WIN_KV kv0, kv1, kv2, kv3, kv4, kv5, kv6, kv7, kv8
/* Whether a tier with a half-width one (VGS_NARROW_FN) hands it the shapes where that one
 * measured faster (the rules sit in kernels/lanes3x3.h and pool2x2.h): always, except in an
 * A/B build of a benchmark that measures the wide path there too in the same process. */
#ifdef VGS_BENCH_AB
extern int vgs_bench_narrow_off;
#define VGS__NARROW_ON (!vgs_bench_narrow_off)
#else
#define VGS__NARROW_ON 1
#endif
#endif

/* acc with one input row's three taps added as kernel row ky (a constant at every call site):
 * DWCONV three multiply-adds with that row's weights, MAX the max, AVG the sum */
static inline __attribute__((always_inline)) vgs_v VGS_FN(vgs__win_taps)(int op, int ky, vgs_v acc, vgs_v t0, vgs_v t1,
                                                                          vgs_v t2, vgs_v kv0, vgs_v kv1, vgs_v kv2,
                                                                          vgs_v kv3, vgs_v kv4, vgs_v kv5, vgs_v kv6,
                                                                          vgs_v kv7, vgs_v kv8)
{
    if (op == VGS__WIN_DWCONV) {
        acc = vgs_v_fma(ky == 0 ? kv0 : ky == 1 ? kv3 : kv6, t0, acc);
        acc = vgs_v_fma(ky == 0 ? kv1 : ky == 1 ? kv4 : kv7, t1, acc);
        return vgs_v_fma(ky == 0 ? kv2 : ky == 1 ? kv5 : kv8, t2, acc);
    }
    if (op == VGS__WIN_MAX) return vgs_v_max(acc, vgs_v_max(t0, vgs_v_max(t1, t2)));
    return vgs_v_add(acc, vgs_v_add(vgs_v_add(t0, t1), t2)); /* VGS__WIN_AVG */
}

/* An output vector's last step (AVG: / 9; DWCONV: the clamp), stored to its first n lanes */
static inline __attribute__((always_inline)) void VGS_FN(vgs__win_out)(int op, vgs_v v, float *p, size_t n, vgs_v ninth,
                                                                       vgs_v vmin, vgs_v vmax)
{
    if (op == VGS__WIN_AVG) v = vgs_v_mul(v, ninth);
    if (op == VGS__WIN_DWCONV) v = vgs_v_clamp(v, vmin, vmax);
    VGS_FN(vgs__store_upto)(p, v, n);
}

/* Output rows computed together: each staged input row's taps are loaded once for every
 * output row of the block that reads it, and the block's accumulators are independent
 * chains (one output row's 9 multiply-adds are a serial chain of FMA latencies; a block of
 * them keeps the FMA pipes busy).  Each output still sums its taps in the order ky, kx. */
#define VGS_WIN_ROWS 4
/* Staged rows in the ring: a block reads S*(R-1)+3 input rows, at most 2R+1. */
#define VGS_WIN_RING (2 * VGS_WIN_ROWS + 1)

/* A block's input row d (its taps t0..t2) into the accumulators of the output rows that read
 * it: output row q takes it as kernel row d - S*q (a constant once unrolled). */
static inline __attribute__((always_inline)) void VGS_FN(vgs__win_row)(int op, int stride, int d, vgs_v *acc, vgs_v t0,
                                                                       vgs_v t1, vgs_v t2, vgs_v kv0, vgs_v kv1,
                                                                       vgs_v kv2, vgs_v kv3, vgs_v kv4, vgs_v kv5,
                                                                       vgs_v kv6, vgs_v kv7, vgs_v kv8)
{
#pragma GCC unroll 4
    for (int q = 0; q < VGS_WIN_ROWS; q++) {
        const int ky = d - stride * q;
        if (ky < 0 || ky > 2) continue;
        acc[q] = VGS_FN(vgs__win_taps)(op, ky, acc[q], t0, t1, t2, VGS__WIN_KV);
    }
}

/* The block's first `rows` output rows (ow apart), n lanes of each from y */
static inline __attribute__((always_inline)) void VGS_FN(vgs__win_block_out)(int op, const vgs_v *acc, size_t rows,
                                                                             float *y, size_t ow, size_t n, vgs_v ninth,
                                                                             vgs_v vmin, vgs_v vmax)
{
#pragma GCC unroll 4
    for (int q = 0; q < VGS_WIN_ROWS; q++) {
        if ((size_t)q >= rows) break;
        VGS_FN(vgs__win_out)(op, acc[q], y + q * ow, n, ninth, vmin, vmax);
    }
}

/* One h x w plane through a 3x3 window of stride S and padding 1 into y (oh x ow):
 * DWCONV: clamp(bias + sum k[ky*3+kx] * tap);  MAX: max of taps (padding -inf);
 * AVG: sum of taps (padding 0) / 9.  `op` and `stride` are constants at every call site.
 * Padding rows are skipped (as the taps of a row are added in one step, skipping a row of
 * zeros or -inf is exact); padding columns are read as staged padding values. */
static inline __attribute__((always_inline)) void VGS_FN(vgs__window3x3)(
    int op, int stride, size_t h, size_t w, const float *x, const float *k, float bias, float *y,
    float out_min, float out_max)
{
    const size_t oh = stride == 1 ? h : (h + 1) / 2, ow = stride == 1 ? w : (w + 1) / 2;
    const float pad = op == VGS__WIN_MAX ? -INFINITY : 0.0f;
    VGS__WIN_WEIGHTS(op, k);
    const vgs_v vbias = vgs_v_set1(op == VGS__WIN_DWCONV ? bias : pad);
    const vgs_v vmin = vgs_v_set1(out_min), vmax = vgs_v_set1(out_max), ninth = vgs_v_set1(1.0f / 9.0f);
    /* on a cache line: where the stack put it decided which staged taps split across lines
     * (the helpers' commit moved it by 8 bytes, and AVX2's 56x56 stride-2 calls took 1.08-1.13x
     * the time in an in-process A/B; aligned, 0.97-1.00x) */
    float ring[VGS_WIN_RING][VGS_STRIP_ROW] __attribute__((aligned(64)));
    for (size_t sx = 0; sx < ow; sx += VGS_STRIP) {
        const size_t sw = ow - sx < VGS_STRIP ? ow - sx : VGS_STRIP;
        const size_t sw_vec = (sw + VGS_VW - 1) / VGS_VW * VGS_VW;
        const size_t span = (size_t)stride * sw_vec + 2;
        const ptrdiff_t first = (ptrdiff_t)(stride * sx) - 1;
        ptrdiff_t staged = -1; /* the last input row staged; row r lives in ring[r % RING] */
        for (size_t oy = 0; oy < oh; oy += VGS_WIN_ROWS) {
            const size_t rows = oh - oy < VGS_WIN_ROWS ? oh - oy : VGS_WIN_ROWS; /* output rows of the block */
            const ptrdiff_t top = (ptrdiff_t)(stride * oy) - 1;          /* the block's first input row */
            const ptrdiff_t bottom = top + (ptrdiff_t)(stride * (rows - 1)) + 2;
            const ptrdiff_t last = bottom < (ptrdiff_t)h ? bottom : (ptrdiff_t)h - 1;
            for (ptrdiff_t r = staged + 1; r <= last; r++) {
                VGS_FN(vgs__stage_row)(x + (size_t)r * w, w, (h - (size_t)r) * w, first, span, pad,
                                       ring[r % VGS_WIN_RING]);
            }
            if (last > staged) staged = last;
            /* input row top + d, d < S*(R-1)+3: its ring row, or NULL where it is padding */
            const float *in[2 * VGS_WIN_ROWS + 1];
            for (int d = 0; d < stride * (VGS_WIN_ROWS - 1) + 3; d++) {
                const ptrdiff_t iy = top + d;
                in[d] = iy < 0 || iy > last ? NULL : ring[iy % VGS_WIN_RING];
            }
            float *yrow = y + oy * ow + sx;
            for (size_t ox = 0; ox < sw; ox += VGS_VW) {
                vgs_v acc[VGS_WIN_ROWS];
#pragma GCC unroll 4
                for (int q = 0; q < VGS_WIN_ROWS; q++) acc[q] = vbias;
#pragma GCC unroll 9
                for (int d = 0; d < stride * (VGS_WIN_ROWS - 1) + 3; d++) {
                    if (!in[d]) continue; /* padding row (or past the last row: no output reads it) */
                    vgs_v t0, t1, t2;
                    VGS_FN(vgs__taps3)(stride, in[d] + stride * ox, &t0, &t1, &t2);
                    VGS_FN(vgs__win_row)(op, stride, d, acc, t0, t1, t2, VGS__WIN_KV);
                }
                VGS_FN(vgs__win_block_out)(op, acc, rows, yrow + ox, ow, sw - ox, ninth, vmin, vmax);
            }
        }
    }
}
