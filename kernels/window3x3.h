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

/* Copy input columns first .. first+span-1 of `row` (w columns) into buf, `pad` outside,
 * with vector loads and stores (partial ones at the ends). */
static inline __attribute__((always_inline)) void VGS_FN(vgs__stage_row)(
    const float *row, size_t w, ptrdiff_t first, size_t span, float pad, float *buf)
{
    const ptrdiff_t lo = first < 0 ? 0 : first;
    const ptrdiff_t hi = first + (ptrdiff_t)span < (ptrdiff_t)w ? first + (ptrdiff_t)span : (ptrdiff_t)w;
    size_t i = 0;
    for (; (ptrdiff_t)i < lo - first && i < span; i++) buf[i] = pad; /* at most 1 (first >= -1) */
    const size_t count = hi > lo ? (size_t)(hi - lo) : 0;
    const float *src = row + lo;
    size_t j = 0;
    for (; j + VGS_VW <= count; j += VGS_VW) vgs_v_store(buf + i + j, vgs_v_load(src + j));
    if (j < count) vgs_v_storen(buf + i + j, vgs_v_loadn(src + j, count - j), count - j);
    i += count;
    const vgs_v vpad = vgs_v_set1(pad);
    for (; i + VGS_VW <= span; i += VGS_VW) vgs_v_store(buf + i, vpad);
    if (i < span) vgs_v_storen(buf + i, vpad, span - i);
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
#endif

/* One h x w plane through a 3x3 window of stride S and padding 1 into y (oh x ow):
 * DWCONV: clamp(bias + sum k[ky*3+kx] * tap);  MAX: max of taps (padding -inf);
 * AVG: sum of taps (padding 0) / 9.  `op` and `stride` are constants at every call site. */
static inline __attribute__((always_inline)) void VGS_FN(vgs__window3x3)(
    int op, int stride, size_t h, size_t w, const float *x, const float *k, float bias, float *y,
    float out_min, float out_max)
{
    const size_t oh = stride == 1 ? h : (h + 1) / 2, ow = stride == 1 ? w : (w + 1) / 2;
    const float pad = op == VGS__WIN_MAX ? -INFINITY : 0.0f;
    vgs_v kv[9];
    for (int i = 0; i < 9; i++) kv[i] = vgs_v_set1(op == VGS__WIN_DWCONV ? k[i] : 0.0f);
    const vgs_v vbias = vgs_v_set1(op == VGS__WIN_DWCONV ? bias : pad);
    const vgs_v vmin = vgs_v_set1(out_min), vmax = vgs_v_set1(out_max), ninth = vgs_v_set1(1.0f / 9.0f);
    float ring[3][VGS_STRIP_ROW];
    for (size_t sx = 0; sx < ow; sx += VGS_STRIP) {
        const size_t sw = ow - sx < VGS_STRIP ? ow - sx : VGS_STRIP;
        const size_t sw_vec = (sw + VGS_VW - 1) / VGS_VW * VGS_VW;
        const size_t span = (size_t)stride * sw_vec + 2;
        const ptrdiff_t first = (ptrdiff_t)(stride * sx) - 1;
        ptrdiff_t staged = -1; /* the last input row staged; row r lives in ring[r % 3] */
        for (size_t oy = 0; oy < oh; oy++) {
            const ptrdiff_t top = (ptrdiff_t)(stride * oy) - 1;
            const ptrdiff_t last = top + 2 < (ptrdiff_t)h ? top + 2 : (ptrdiff_t)h - 1;
            for (ptrdiff_t r = staged + 1; r <= last; r++) {
                VGS_FN(vgs__stage_row)(x + (size_t)r * w, w, first, span, pad, ring[r % 3]);
            }
            if (last > staged) staged = last;
            float *yrow = y + oy * ow + sx;
            for (size_t ox = 0; ox < sw; ox += VGS_VW) {
                vgs_v acc = vbias;
                for (int ky = 0; ky < 3; ky++) {
                    const ptrdiff_t iy = top + ky;
                    if (iy < 0 || iy >= (ptrdiff_t)h) continue; /* padding row */
                    vgs_v t0, t1, t2;
                    VGS_FN(vgs__taps3)(stride, ring[iy % 3] + stride * ox, &t0, &t1, &t2);
                    if (op == VGS__WIN_DWCONV) {
                        acc = vgs_v_fma(kv[ky * 3 + 0], t0, acc);
                        acc = vgs_v_fma(kv[ky * 3 + 1], t1, acc);
                        acc = vgs_v_fma(kv[ky * 3 + 2], t2, acc);
                    } else if (op == VGS__WIN_MAX) {
                        acc = vgs_v_max(acc, vgs_v_max(t0, vgs_v_max(t1, t2)));
                    } else {
                        acc = vgs_v_add(acc, vgs_v_add(vgs_v_add(t0, t1), t2));
                    }
                }
                if (op == VGS__WIN_AVG) acc = vgs_v_mul(acc, ninth);
                if (op == VGS__WIN_DWCONV) acc = vgs_v_clamp(acc, vmin, vmax);
                VGS_FN(vgs__store_upto)(yrow + ox, acc, sw - ox);
            }
        }
    }
}
