/* kernels/window3x3.h — shared by the 3x3 families (conv3x3, pool3x3): loading the three
 * taps of a row for VGS_VW consecutive outputs.  Generic body, instantiated per ISA.
 *
 * For outputs ox0 .. ox0+VW-1 at stride S (1 or 2) with padding 1, tap kx (0,1,2) of output
 * ox reads input column S*ox + kx - 1.  All the reads span the S*VW + 2 columns starting at
 * S*ox0 - 1.  Inside the row they are plain (for S = 2, deinterleaving) vector loads; at the
 * left/right border the span is first staged into a small stack buffer with `pad` in the
 * columns outside the row (0 for convolution and average pooling, -inf for max pooling). */

#define VGS_WIN_SPAN (2 * VGS_VW + 2) /* the widest span, S = 2 */

static inline __attribute__((always_inline)) void VGS_FN(vgs__taps3_at)(
    int stride, const float *p, vgs_v *t0, vgs_v *t1, vgs_v *t2)
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

/* Taps of row `row` (w columns) for the outputs starting at ox0. */
static inline __attribute__((always_inline)) void VGS_FN(vgs__taps3)(
    int stride, const float *row, size_t w, size_t ox0, float pad, vgs_v *t0, vgs_v *t1,
    vgs_v *t2)
{
    const ptrdiff_t first = (ptrdiff_t)(stride * ox0) - 1;
    const size_t span = (size_t)stride * VGS_VW + 2;
    if (first >= 0 && (size_t)first + span <= w) {
        VGS_FN(vgs__taps3_at)(stride, row + first, t0, t1, t2);
    } else {
        float buf[VGS_WIN_SPAN];
        for (size_t i = 0; i < span; i++) {
            const ptrdiff_t x = first + (ptrdiff_t)i;
            buf[i] = (x >= 0 && (size_t)x < w) ? row[x] : pad;
        }
        VGS_FN(vgs__taps3_at)(stride, buf, t0, t1, t2);
    }
}

/* Store the first n (1..VW) lanes of v at p. */
static inline __attribute__((always_inline)) void VGS_FN(vgs__store_upto)(float *p, vgs_v v, size_t n)
{
    if (n >= VGS_VW) vgs_v_store(p, v);
    else vgs_v_storen(p, v, n);
}
