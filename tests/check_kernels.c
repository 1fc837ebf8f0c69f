/* tests/check_kernels.c — checks of every vgs_kernels entry against the contracts written in
 * vggshuffle.h ("KERNELS (advanced)"), on one ISA at a time, against the fp64 references of
 * tests/ref.h.  No test framework here: tests/test_kernels.c (Criterion) and
 * tests/tap_runner.c (plain TAP, for qemu-user) both run the table at the bottom.
 *
 * What every check does on every call:
 *  - inputs are random in [-1, 1] from a fixed seed (other ranges where a check says so);
 *  - every input sits flush against a PROT_NONE guard page, after its last element (tail) or
 *    before its first (head), alternating, and is read-only during the call: a read past /
 *    before the documented range or a store into an input becomes a failure
 *    (vgs_guarded_call), not a crash;
 *  - the gaps inside an input (a_stride > k, channel stride > h*w, ...) hold a NaN, so a value
 *    read from a gap that reaches a result makes it NaN and fails;
 *  - the output sits between 64-float margins and its gaps (c_stride > n, y_cstride > plane)
 *    are filled with a sentinel NaN bit pattern; any store outside the documented window is
 *    reported with its position; an element never written is reported as such;
 *  - the window is compared element-wise with the fp64 reference within a tolerance derived
 *    from the accumulated magnitude (see "Tolerances" below), and the message names the shape,
 *    strides, options, the worst element, got / expected / error / tolerance.
 *
 * Tolerances (u = 2^-24, the unit roundoff of fp32 round-to-nearest):
 *  - A sum of N terms t_1..t_N evaluated in fp32 in ANY order (sequential, per-lane partial sums
 *    + horizontal reduction, tree), where each product is either rounded (mul + add) or not
 *    (FMA), has |fl(sum) - sum| <= gamma_N * sum |t_i| with gamma_N = N u / (1 - N u) (Higham,
 *    "Accuracy and Stability of Numerical Algorithms", 2nd ed., §3.1, eqs. (3.4)-(3.5) for the
 *    inner product; the bound holds for every evaluation order since each term goes through at
 *    most N roundings).  For gemm / conv / fc the terms are the K products plus the bias and the
 *    residual: N = K + 2 (the +2 also covers the bias / r additions when they are absent).
 *    We use (K + 2) * 2^-23 * (sum |a_i b_i| + |bias| + |r|) + 1e-30: the factor 2 over
 *    N u absorbs the 1/(1 - N u) factor (<= 1.0000025 for N <= 770) and is a margin for the
 *    bound's second-order terms, not room for bugs (one wrong, missing or doubled term is
 *    orders of magnitude above it); the 1e-30 only matters when every term is 0 (then the
 *    result must be exactly 0, up to a denormal).  The clamp is 1-Lipschitz, so the
 *    same bound holds after it.  The fp64 reference itself errs by < N 2^-53 sum|t|: negligible.
 *  - avgpool3x3s2p1: 9 taps (padding = 0), 8 additions, then * (1/9) (fl(1/9) is off by <= u
 *    relative, and the product rounds once more) or / 9 (one rounding): error <= (8 + 2) u
 *    sum|x| / 9 < 10 * 2^-23 * sum|x| / 9.  We use that.
 *  - maxpool3x3s2p1: a max of fp32 values is one of them: exact (tolerance 0).
 *  - global_avgpool: hw - 1 additions and one division / reciprocal-multiply:
 *    (hw + 2) * 2^-23 * sum|x| / hw.
 *  - softmax, element i, with d_i = x_i - max <= 0 and p_i the exact result:
 *      fl(x_i - max)                : relative error <= u |d_i| in the argument,
 *                                     so <= u |d_i| relative in exp(d_i) (e^(u|d|) - 1 ~ u|d|);
 *      SLEEF expf u10 (1.0 ULP)     : <= 2u relative (1 ULP <= 2^-23 relative);
 *      the sum S of n positive terms: every term carries the two errors above (<= u D + 2u
 *                                     relative on S, with D = sum_j p_j |d_j|), and n - 1
 *                                     additions in any order add <= (n - 1) u / (1 - (n-1)u);
 *      y_i = e_i / S or e_i * (1/S) : <= 2u.
 *    Total: |y_i - p_i| <= p_i * u * (|d_i| + D + n + 7) (+ second order).  We use
 *    p_i * 2^-23 * (|d_i| + D + n + 7) + FLT_MIN (factor 2 for the second-order terms, as
 *    above; FLT_MIN because exp of d_i < -87.3 is subnormal in fp32 and may even flush to 0:
 *    such a p_i <= e^(d_i) is below FLT_MIN anyway).  For n <= 40 and |d_i|, D <= 10 this is
 *    <= 8e-6 relative, i.e. the "1e-5 relative" rule of thumb; for n = 1000 the summation alone
 *    may legitimately cost up to 999 u = 6e-5 (worst case; typically ~sqrt(n) u), so a flat
 *    1e-5 would not be a valid bound there and we keep the derived one.
 *    The sum of the outputs is checked too: |sum_i y_i - 1| <= sum_i tol_i + n 2^-52.
 *
 * Quick mode (environment VGS_CHECK_QUICK=1; tests/meson.build sets it for the qemu-user
 * runs, where every instruction is emulated): the same checks and tolerances on a subsample
 * of the sweeps that keeps every tile edge.
 *  - gemm / gemm_strided: every shape (m 1..13, every n of GEMM_NS, every k) is still
 *    run, with ONE of the 12 option combinations (bias x residual x clamp) per shape instead
 *    of all 12, rotating so that each combination meets every n (over m) and both guard
 *    sides; gemm_large unchanged but for its two-step pass (every other shape).
 *  - window kernels (conv, dwconv, pools): of the 33 x 33 grid, every w in 1..33 (every
 *    vector remainder of every ISA, at stride 1 and 2) for h in 1..9 (every residue of the
 *    3-row ring and both parities at stride 2), 16, 17 and 33, and every h for w <= 3; the
 *    long rows at h = 1 and 3 (all widths: every strip edge); every tall plane; of the
 *    network planes only 56 x 56.  conv3x3 runs one cin per shape (rotating over 1, 2, 3,
 *    5, with 9 for 5 on every 7th shape) instead of all four.
 *  - fc, softmax, global_avgpool, empty, table: unchanged (already cheap).
 */
#include "checks.h"
#include "ref.h"

#include <float.h>

#define U23 (1.0 / 8388608.0) /* 2^-23 = 2u */

/* VGS_CHECK_QUICK set, non-empty and not "0": the subsampled sweeps of the header comment. */
/* ------------------------------------------------------------------------------------------
 *  Shared plumbing
 * ------------------------------------------------------------------------------------------ */

typedef struct clamp_opt {
    float lo, hi;
    const char *name;
} clamp_opt;

static const clamp_opt CLAMPS[3] = {
    {-INFINITY, INFINITY, "none"},
    {0.0f, INFINITY, "relu"},
    {-0.5f, 0.5f, "[-0.5,0.5]"}, /* both bounds finite: exercises out_max too */
};

static const char *layout_name(int where) { return where == VGS_AT_HEAD ? "head" : "tail"; }

static const vgs_kernels *get_kernels(vgs_isa isa, char *msg, size_t len)
{
    const vgs_kernels *K = vgs_check_kernels(isa);
    if (!K) vgs_check_fail(msg, len, "vgs_kernels_for(%s) returned NULL", vgs_isa_to_string(isa));
    return K;
}

/* Output buffer: [OUT_MARGIN sentinels][footprint][OUT_MARGIN sentinels]. */
#define OUT_MARGIN 64

typedef struct outbuf {
    float *base;
    size_t cap; /* floats */
} outbuf;

static int outbuf_init(outbuf *o, size_t max_footprint)
{
    o->cap = max_footprint + 2 * OUT_MARGIN;
    o->base = (float *)malloc(o->cap * sizeof(float));
    return o->base ? 0 : -1;
}

static void outbuf_free(outbuf *o)
{
    free(o->base);
    o->base = NULL;
}

static float *outbuf_prepare(outbuf *o, size_t footprint)
{
    if (footprint + 2 * OUT_MARGIN > o->cap) abort(); /* a bug in the check itself */
    vgs_fill_sentinel(o->base, footprint + 2 * OUT_MARGIN);
    return o->base + OUT_MARGIN;
}

static size_t footprint2d(size_t rows, size_t cols, size_t stride)
{
    return rows == 0 ? 0 : (rows - 1) * stride + cols;
}

/* rows x cols random values in [lo, hi], rows `stride` floats apart, gaps = sentinel NaN. */
static void fill_strided(vgs_rng *rng, float *p, size_t rows, size_t cols, size_t stride, float lo,
                         float hi)
{
    vgs_fill_sentinel(p, footprint2d(rows, cols, stride));
    for (size_t r = 0; r < rows; r++) vgs_rng_fill(rng, p + r * stride, cols, lo, hi);
}

/* How to name an output element in messages: (row, col), or (row, col / sub_w, col % sub_w). */
typedef struct out_names {
    const char *row, *col; /* "i", "j" */
    size_t sub_w;          /* 0, or the width to split col into (y, x) */
} out_names;

static void name_elem(char *buf, size_t len, const out_names *nm, size_t r, size_t c)
{
    if (nm->sub_w)
        snprintf(buf, len, "%s=%zu oy=%zu ox=%zu", nm->row, r, c / nm->sub_w, c % nm->sub_w);
    else if (nm->row)
        snprintf(buf, len, "%s=%zu %s=%zu", nm->row, r, nm->col, c);
    else
        snprintf(buf, len, "%s=%zu", nm->col, c);
}

/* Verify an output of `rows` rows of `cols` floats, `stride` apart, starting at y inside an
 * outbuf: nothing written outside the window (margins and gaps still sentinel), and the window
 * within tol of ref (dense rows x cols; tol NULL = exact).  scratch: rows*cols floats.
 * untouched (may be NULL): rows that must not be written at all (still all sentinel); their
 * ref and tol entries must be 0. */
static int check_output_ex(char *msg, size_t len, const char *where, const float *y, size_t rows,
                           size_t cols, size_t stride, const double *ref, const double *tol,
                           float *scratch, const out_names *nm, const unsigned char *untouched)
{
    size_t fp = footprint2d(rows, cols, stride);
    char vb[64], eb[96];
    /* before the output */
    size_t i = vgs_first_non_sentinel(y - OUT_MARGIN, OUT_MARGIN);
    if (i < OUT_MARGIN)
        return vgs_check_fail(msg, len, "%s: wrote before the output: y[-%zu] = %s", where,
                              (size_t)OUT_MARGIN - i,
                              vgs_fmt_float(y[(ptrdiff_t)i - OUT_MARGIN], vb, sizeof vb));
    /* gaps between rows */
    for (size_t r = 0; r + 1 < rows; r++) {
        size_t g = vgs_first_non_sentinel(y + r * stride + cols, stride - cols);
        if (g < stride - cols)
            return vgs_check_fail(msg, len,
                                  "%s: wrote into the gap after %s %zu (row stride %zu, row "
                                  "length %zu): column %zu = %s",
                                  where, nm->row ? nm->row : "row", r, stride, cols, cols + g,
                                  vgs_fmt_float(y[r * stride + cols + g], vb, sizeof vb));
    }
    /* after the output */
    i = vgs_first_non_sentinel(y + fp, OUT_MARGIN);
    if (i < OUT_MARGIN)
        return vgs_check_fail(msg, len,
                              "%s: wrote past the end of the output: y[%zu] (%zu floats after "
                              "the last element) = %s",
                              where, fp + i, i + 1, vgs_fmt_float(y[fp + i], vb, sizeof vb));
    /* rows no input maps to */
    for (size_t r = 0; untouched && r < rows; r++) {
        if (!untouched[r]) continue;
        size_t g = vgs_first_non_sentinel(y + r * stride, cols);
        if (g < cols) {
            name_elem(eb, sizeof eb, nm, r, g);
            return vgs_check_fail(msg, len, "%s: wrote into %s %zu, which no input maps to: "
                                  "at %s: %s",
                                  where, nm->row ? nm->row : "row", r, eb,
                                  vgs_fmt_float(y[r * stride + g], vb, sizeof vb));
        }
    }
    /* the window */
    for (size_t r = 0; r < rows; r++) {
        if (untouched && untouched[r])
            memset(scratch + r * cols, 0, cols * sizeof(float)); /* == its ref, 0 */
        else
            memcpy(scratch + r * cols, y + r * stride, cols * sizeof(float));
    }
    vgs_cmp c;
    if (vgs_compare(scratch, ref, tol, rows * cols, &c) == 0) return 0;
    name_elem(eb, sizeof eb, nm, c.worst / cols, c.worst % cols);
    return vgs_check_fail(msg, len,
                          "%s: %zu of %zu outputs wrong; worst at %s: got %s, expected %.9g, "
                          "|err| %.3g > tol %.3g",
                          where, c.nbad, rows * cols, eb, vgs_fmt_float(c.got, vb, sizeof vb),
                          c.ref, fabs((double)c.got - c.ref), c.tol);
}

static int check_output(char *msg, size_t len, const char *where, const float *y, size_t rows,
                        size_t cols, size_t stride, const double *ref, const double *tol,
                        float *scratch, const out_names *nm)
{
    return check_output_ex(msg, len, where, y, rows, cols, stride, ref, tol, scratch, nm, NULL);
}

/* Per-element dot-product tolerance: (K + 2) * 2^-23 * mag + 1e-30 (see the header comment). */
static void dot_tolerance(double *tol, const double *mag, size_t n, size_t K)
{
    for (size_t i = 0; i < n; i++) tol[i] = (double)(K + 2) * U23 * mag[i] + 1e-30;
}

/* Common scratch of a check: reference, magnitudes, tolerances, gathered outputs. */
typedef struct scratch {
    double *ref, *mag, *tol;
    float *got;
} scratch;

static int scratch_init(scratch *s, size_t n)
{
    s->ref = (double *)malloc(n * sizeof(double));
    s->mag = (double *)malloc(n * sizeof(double));
    s->tol = (double *)malloc(n * sizeof(double));
    s->got = (float *)malloc(n * sizeof(float));
    return (s->ref && s->mag && s->tol && s->got) ? 0 : -1;
}

static void scratch_free(scratch *s)
{
    free(s->ref);
    free(s->mag);
    free(s->tol);
    free(s->got);
}

#define SETUP_FAIL(msg, len) vgs_check_fail((msg), (len), "test setup: out of memory / mmap failed")

/* Thunks: one kernel call each, run under vgs_guarded_call. */
typedef struct gemm_args {
    const vgs_kernels *K;
    size_t m, n, k, as, bs, rs, cs;
    const float *a, *b, *bias, *r;
    float *c;
    float lo, hi;
    const int32_t *bi, *ci;
    float *scratch;
    float *panels; /* not NULL: the two-step GEMM, gemm_pack_b into these, then gemm_packed */
} gemm_args;

static void gemm_thunk(void *p)
{
    const gemm_args *g = (const gemm_args *)p;
    if (g->panels) {
        /* in two bands of rows, the second's end past k (clipped to it) */
        g->K->gemm_pack_b(g->n, g->k, 0, g->k / 2, g->b, g->bs, g->bi, g->panels);
        g->K->gemm_pack_b(g->n, g->k, g->k / 2, (size_t)-1, g->b, g->bs, g->bi, g->panels);
        g->K->gemm_packed(g->m, g->n, g->k, g->a, g->as, g->panels, g->bias, g->r, g->rs, g->c, g->cs, g->ci, g->lo,
                          g->hi);
        return;
    }
    g->K->gemm(g->m, g->n, g->k, g->a, g->as, g->b, g->bs, g->bi, g->bias, g->r, g->rs, g->c,
               g->cs, g->ci, g->lo, g->hi, g->scratch);
}

typedef struct conv_args {
    void (*fn)(size_t, size_t, size_t, size_t, const float *, size_t, const float *, const float *,
               float *, size_t, float, float, size_t, size_t);
    size_t cin, cout, h, w, xcs;
    const float *x, *k, *bias;
    float *y;
    size_t ycs;
    float lo, hi;
    size_t band, oh; /* band 0: one call for all rows (0, SIZE_MAX); else bands of that many
                        output rows of the oh, last band first (a band never needs another) */
} conv_args;

static void conv_thunk(void *p)
{
    const conv_args *c = (const conv_args *)p;
    if (!c->band) {
        c->fn(c->cin, c->cout, c->h, c->w, c->x, c->xcs, c->k, c->bias, c->y, c->ycs, c->lo, c->hi, 0, SIZE_MAX);
        return;
    }
    for (size_t b = (c->oh + c->band - 1) / c->band; b-- > 0;)
        c->fn(c->cin, c->cout, c->h, c->w, c->x, c->xcs, c->k, c->bias, c->y, c->ycs, c->lo, c->hi, b * c->band,
              (b + 1) * c->band);
}

typedef struct dwconv_args {
    void (*fn)(size_t, size_t, size_t, const float *, size_t, const float *, const float *,
               float *, size_t, const int32_t *, float, float);
    size_t c, h, w, xcs, ycs;
    const float *x, *k, *bias;
    float *y;
    const int32_t *y_index;
    float lo, hi;
} dwconv_args;

static void dwconv_thunk(void *p)
{
    const dwconv_args *a = (const dwconv_args *)p;
    a->fn(a->c, a->h, a->w, a->x, a->xcs, a->k, a->bias, a->y, a->ycs, a->y_index, a->lo, a->hi);
}

typedef struct pool_args {
    void (*fn)(size_t, size_t, size_t, const float *, size_t, float *, size_t);
    size_t c, h, w, xcs, ycs;
    const float *x;
    float *y;
} pool_args;

static void pool_thunk(void *p)
{
    const pool_args *a = (const pool_args *)p;
    a->fn(a->c, a->h, a->w, a->x, a->xcs, a->y, a->ycs);
}

typedef struct gap_args {
    const vgs_kernels *K;
    size_t c, hw, xcs;
    const float *x;
    float *y;
} gap_args;

static void gap_thunk(void *p)
{
    const gap_args *a = (const gap_args *)p;
    a->K->global_avgpool(a->c, a->hw, a->x, a->xcs, a->y);
}

typedef struct fc_args {
    const vgs_kernels *K;
    size_t n, k;
    const float *w, *bias;
    size_t batch;
    const float *x;
    size_t x_stride;
    float *y;
    size_t y_stride;
    float out_min, out_max;
    const uint16_t *wh; /* non-NULL: fc_bf16w, or fc_f16w if wh_f16, on these weights (w unused) */
    int wh_f16;
} fc_args;

static void fc_thunk(void *p)
{
    const fc_args *a = (const fc_args *)p;
    if (a->wh) (a->wh_f16 ? a->K->fc_f16w : a->K->fc_bf16w)(a->n, a->k, a->wh, a->bias, a->batch, a->x, a->x_stride, a->y, a->y_stride, a->out_min, a->out_max);
    else a->K->fc(a->n, a->k, a->w, a->bias, a->batch, a->x, a->x_stride, a->y, a->y_stride, a->out_min, a->out_max);
}

typedef struct softmax_args {
    const vgs_kernels *K;
    size_t n;
    const float *x;
    float *y;
} softmax_args;

static void softmax_thunk(void *p)
{
    const softmax_args *a = (const softmax_args *)p;
    a->K->softmax(a->n, a->x, a->y);
}

/* ------------------------------------------------------------------------------------------
 *  table: the vgs_kernels entry itself
 * ------------------------------------------------------------------------------------------ */

static int check_table(vgs_isa isa, char *msg, size_t len)
{
    const vgs_kernels *K = get_kernels(isa, msg, len);
    if (!K) return 1;
    static const size_t widths[VGS_ISA_COUNT] = {1, 8, 16, 4}; /* scalar, avx2, avx512, neon */
    const char *name = vgs_isa_to_string(isa);
    if (K->isa != isa)
        return vgs_check_fail(msg, len, "vgs_kernels_for(%s)->isa = %d (%s)", name, (int)K->isa,
                              vgs_isa_to_string(K->isa));
    if (K->vector_width != widths[isa])
        return vgs_check_fail(msg, len, "vgs_kernels_for(%s)->vector_width = %zu, expected %zu",
                              name, K->vector_width, widths[isa]);
    if (!K->gemm_name) return vgs_check_fail(msg, len, "gemm_name is NULL");
    char suffix[32];
    snprintf(suffix, sizeof suffix, "__%s", name);
    size_t ln = strlen(K->gemm_name), ls = strlen(suffix);
    if (strncmp(K->gemm_name, "vgs_f32_gemm_", 13) != 0 || ln < ls ||
        strcmp(K->gemm_name + ln - ls, suffix) != 0)
        return vgs_check_fail(msg, len, "gemm_name \"%s\" is not vgs_f32_gemm_<MR>x<NR>%s",
                              K->gemm_name, suffix);
    const struct { const char *n; int ok; } fns[] = {
        {"gemm", K->gemm != NULL},
        {"conv3x3s1p1", K->conv3x3s1p1 != NULL},
        {"conv3x3s2p1", K->conv3x3s2p1 != NULL},
        {"dwconv3x3s1p1", K->dwconv3x3s1p1 != NULL},
        {"dwconv3x3s2p1", K->dwconv3x3s2p1 != NULL},
        {"maxpool3x3s2p1", K->maxpool3x3s2p1 != NULL},
        {"avgpool3x3s2p1", K->avgpool3x3s2p1 != NULL},
        {"global_avgpool", K->global_avgpool != NULL},
        {"fc", K->fc != NULL},
        {"fc_bf16w", K->fc_bf16w != NULL},
        {"fc_f16w", K->fc_f16w != NULL},
        {"softmax", K->softmax != NULL},
        {"gemm_pack_b", K->gemm_pack_b != NULL},
        {"gemm_packed", K->gemm_packed != NULL},
    };
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
        if (!fns[i].ok) return vgs_check_fail(msg, len, "%s: %s is NULL", name, fns[i].n);
    return 0;
}

/* ------------------------------------------------------------------------------------------
 *  gemm
 *  m crosses the 6-row microkernel tile (1..13: 6, 12 and the remainders), n every vector
 *  remainder up to 2 vectors of the widest ISA (1..33), then every tail class of AVX-512's
 *  64-column tile (34..63: tiles of 3 and 4 vectors with the last masked, 49 = 7x7 and 33
 *  with the column path after 3 and 2 vectors; 64, 65, 81, 97, 113: a full tile and a tail
 *  of a column after 0..3 vectors; 96, 127..129) and network sizes (49, 196 = 14x14,
 *  784 = 28x28), k in {1,2,3,6,10,20,40}, bias yes/no, residual yes/no, clamp
 *  none / ReLU / [-0.5,0.5], guard at head / tail.  Dense strides in "gemm", strides larger
 *  than dense (all different, so mixing two up shows) in "gemm_strided"; "gemm_large" adds
 *  a few shapes from the real network (k = 160, 480; m > 2 tiles; n = 300 crosses the
 *  packing's chunk of 256 columns), each without and with the packing scratch (packed where
 *  b_index is given or, every other shape, B's rows are GEMM_FAR_B floats apart).  Scratch
 *  is given to part of every sweep; the packed path is tested wherever the kernel packs:
 *  indexed shapes with m > 6, and those.  Scratch is exactly VGS_GEMM_SCRATCH_FLOATS(k)
 *  floats with sentinel margins, checked after the call.
 *  "gemm_indexed": the same shapes through b_index and / or c_index (rotating over b only,
 *  c only, both; strides and options rotating, one combination a shape): the input has
 *  2k + 1 planes of which b_index picks k distinct ones in a random order (the others are
 *  NaN: reading one fails), the output 2m + 1 planes of which c_index names m in a random
 *  order (the others must stay untouched).  The index arrays sit against guard pages too.
 *  The two-step GEMM (gemm_pack_b into exactly VGS_GEMM_PANEL_FLOATS(n, k) floats between
 *  sentinels, in two bands of rows, then gemm_packed) runs a quarter of "gemm_indexed"'s shapes and every shape of
 *  "gemm_large" a third time, against the same reference and tolerances.
 * ------------------------------------------------------------------------------------------ */

static const size_t GEMM_NS[] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12,  13,  14,  15,  16, 17,
                                 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29,  30,  31,  32,  33, 34,
                                 40, 47, 48, 49, 50, 57, 63, 64, 65, 81, 96, 97,  113, 127, 128, 129, 196, 784};
static const size_t GEMM_KS[] = {1, 2, 3, 6, 10, 20, 40};
#define GEMM_MAX_M 13
#define GEMM_PAD_A 3
#define GEMM_PAD_B 5
#define GEMM_PAD_C 7
#define GEMM_PAD_R 2

typedef struct gemm_ctx {
    const vgs_kernels *K;
    vgs_guard ga, gpa, gb, gbias, gr, gbi, gci; /* gpa: A packed (vgs_gemm_pack_a), what the kernel reads */
    outbuf out, scr;       /* output; packing scratch (writes checked against its margins) */
    scratch s;
    vgs_rng rng;
    float *bg;             /* B gathered through b_index, dense k x n   */
    double *rx;            /* reference rows scattered through c_index  */
    unsigned char *skip;   /* planes no index names (input or output)  */
    int32_t *deck;         /* 0..2 max + 1, shuffled                    */
} gemm_ctx;

static int gemm_ctx_init(gemm_ctx *g, const vgs_kernels *K, size_t max_m, size_t max_n,
                         size_t max_k, uint64_t seed)
{
    memset(g, 0, sizeof *g);
    g->K = K;
    g->rng = vgs_rng_seed(seed);
    int bad = vgs_guard_init(&g->ga, max_m * (max_k + GEMM_PAD_A));
    bad |= vgs_guard_init(&g->gpa, (max_m + VGS_GEMM_PACK_ROWS) * (max_k + GEMM_PAD_A));
    bad |= vgs_guard_init(&g->gb, (2 * max_k + 1) * (max_n + GEMM_PAD_B));
    bad |= vgs_guard_init(&g->gbias, max_m);
    bad |= vgs_guard_init(&g->gr, max_m * (max_n + GEMM_PAD_R));
    bad |= vgs_guard_init(&g->gbi, max_k);
    bad |= vgs_guard_init(&g->gci, max_m);
    const size_t panels = VGS_GEMM_PANEL_FLOATS(max_n, max_k);
    bad |= outbuf_init(&g->scr, panels > VGS_GEMM_SCRATCH_FLOATS(max_k) ? panels : VGS_GEMM_SCRATCH_FLOATS(max_k));
    bad |= outbuf_init(&g->out, (2 * max_m + 1) * (max_n + GEMM_PAD_C));
    bad |= scratch_init(&g->s, (2 * max_m + 1) * max_n);
    const size_t big = 2 * (max_m > max_k ? max_m : max_k) + 1;
    g->bg = (float *)malloc(max_k * max_n * sizeof(float));
    g->rx = (double *)malloc(2 * (2 * max_m + 1) * max_n * sizeof(double));
    g->skip = (unsigned char *)malloc(big);
    g->deck = (int32_t *)malloc(big * sizeof(int32_t));
    return bad || !g->bg || !g->rx || !g->skip || !g->deck ? -1 : 0;
}

static void gemm_ctx_free(gemm_ctx *g)
{
    vgs_guard_free(&g->ga);
    vgs_guard_free(&g->gpa);
    vgs_guard_free(&g->gb);
    vgs_guard_free(&g->gbias);
    vgs_guard_free(&g->gr);
    vgs_guard_free(&g->gbi);
    vgs_guard_free(&g->gci);
    outbuf_free(&g->scr);
    outbuf_free(&g->out);
    scratch_free(&g->s);
    free(g->bg), free(g->rx), free(g->skip), free(g->deck);
}

/* idx[0..n) = n distinct planes of 0..planes-1 in a random order (planes >= n). */
static void gemm_pick(gemm_ctx *g, int32_t *idx, size_t n, size_t planes)
{
    for (size_t i = 0; i < planes; i++) g->deck[i] = (int32_t)i;
    for (size_t i = planes; i > 1; i--) {
        const size_t j = (size_t)(vgs_rng_u64(&g->rng) % i);
        const int32_t t = g->deck[i - 1];
        g->deck[i - 1] = g->deck[j], g->deck[j] = t;
    }
    memcpy(idx, g->deck, n * sizeof *idx);
}

/* ix: bit 0 b_index, bit 1 c_index, bit 2 scratch given (the kernel packs B where that pays:
 * b_index, B rows >= 1024 floats apart with k >= 64, or k >= 200; m > one tile), bit 3 B rows
 * GEMM_FAR_B floats apart (see the section comment), bit 4 the two-step GEMM instead
 * (gemm_pack_b into exactly VGS_GEMM_PANEL_FLOATS(n, k) floats with sentinels around, then
 * gemm_packed; bit 2 ignored). */
#define GEMM_FAR_B 1029
static int gemm_case(gemm_ctx *g, size_t m, size_t n, size_t k, int strided, int has_bias,
                     int has_r, const clamp_opt *cl, int where, int ix, char *msg, size_t len)
{
    const size_t pas = VGS_GEMM_PACK_ROWS * (k + (strided ? GEMM_PAD_A : 0)); /* A packed: block stride */
    size_t as = k + (strided ? GEMM_PAD_A : 0), bs = ix & 8 ? GEMM_FAR_B : n + (strided ? GEMM_PAD_B : 0);
    size_t cs = n + (strided ? GEMM_PAD_C : 0), rs = n + (strided ? GEMM_PAD_R : 0);
    const size_t kb = ix & 1 ? 2 * k + 1 : k, mc = ix & 2 ? 2 * m + 1 : m; /* planes */
    char wh[320];
    snprintf(wh, sizeof wh,
             "%s [%s]: m=%zu n=%zu k=%zu a_stride=%zu (packed %zu) b_stride=%zu c_stride=%zu r_stride=%zu "
             "bias=%s r=%s clamp=%s guard=%s b_index=%s c_index=%s scratch=%s%s",
             g->K->gemm_name, vgs_isa_to_string(g->K->isa), m, n, k, as, pas, bs, cs, rs,
             has_bias ? "yes" : "NULL", has_r ? "yes" : "NULL", cl->name, layout_name(where),
             ix & 1 ? "k of 2k+1 planes" : "NULL", ix & 2 ? "m of 2m+1 planes" : "NULL",
             ix & 4 ? "k x 256 floats" : "NULL", ix & 16 ? " (gemm_pack_b + gemm_packed)" : "");

    const float *a = vgs_guard_place(&g->ga, footprint2d(m, k, as), where);
    /* packed A: whole blocks of 6 rows, block stride 6k (+ 6 * GEMM_PAD_A strided: the gaps
     * hold NaN sentinels, which any output reading them would show) */
    const size_t pblocks = (m + VGS_GEMM_PACK_ROWS - 1) / VGS_GEMM_PACK_ROWS;
    const float *pa = vgs_guard_place(&g->gpa, (pblocks - 1) * pas + VGS_GEMM_PACK_ROWS * k, where);
    const float *b = vgs_guard_place(&g->gb, footprint2d(kb, n, bs), where);
    const int32_t *bi = NULL, *ci = NULL;
    if (ix & 1) {
        bi = (const int32_t *)(const void *)vgs_guard_place(&g->gbi, k, where);
        gemm_pick(g, (int32_t *)(void *)vgs_guard_wr(&g->gbi, (const float *)(const void *)bi), k, kb);
    }
    if (ix & 2) {
        ci = (const int32_t *)(const void *)vgs_guard_place(&g->gci, m, where);
        gemm_pick(g, (int32_t *)(void *)vgs_guard_wr(&g->gci, (const float *)(const void *)ci), m, mc);
    }
    const float *bias = has_bias ? vgs_guard_place(&g->gbias, m, where) : NULL;
    const float *r = has_r ? vgs_guard_place(&g->gr, footprint2d(m, n, rs), where) : NULL;
    fill_strided(&g->rng, vgs_guard_wr(&g->ga, a), m, k, as, -1.0f, 1.0f);
    vgs_fill_sentinel(vgs_guard_wr(&g->gpa, pa), (pblocks - 1) * pas + VGS_GEMM_PACK_ROWS * k);
    vgs_gemm_pack_a(m, k, a, as, vgs_guard_wr(&g->gpa, pa), pas);
    float *bw = vgs_guard_wr(&g->gb, b);
    fill_strided(&g->rng, bw, kb, n, bs, -1.0f, 1.0f);
    if (bi) { /* planes b_index does not name: NaN; the named ones gathered for the reference */
        memset(g->skip, 1, kb);
        for (size_t p = 0; p < k; p++) g->skip[bi[p]] = 0;
        for (size_t p = 0; p < kb; p++)
            if (g->skip[p]) vgs_fill_sentinel(bw + p * bs, n);
        for (size_t p = 0; p < k; p++) memcpy(g->bg + p * n, b + (size_t)bi[p] * bs, n * sizeof(float));
    }
    if (bias) vgs_rng_fill(&g->rng, vgs_guard_wr(&g->gbias, bias), m, -1.0f, 1.0f);
    if (r) fill_strided(&g->rng, vgs_guard_wr(&g->gr, r), m, n, rs, -1.0f, 1.0f);

    float *c = outbuf_prepare(&g->out, footprint2d(mc, n, cs));
    /* exactly that, sentinels around it: the scratch, or the panels of the two-step GEMM */
    const size_t sf = ix & 16 ? VGS_GEMM_PANEL_FLOATS(n, k) : VGS_GEMM_SCRATCH_FLOATS(k);
    float *scr = ix & 20 ? outbuf_prepare(&g->scr, sf) : NULL;
    gemm_args ga = {g->K, m, n, k, pas, bs, rs, cs, pa, b, bias, r, c, cl->lo, cl->hi, bi, ci,
                    ix & 16 ? NULL : scr, ix & 16 ? scr : NULL};
    if (vgs_guarded_call(gemm_thunk, &ga, msg, len, wh)) return 1;
    if (scr && (vgs_first_non_sentinel(scr - OUT_MARGIN, OUT_MARGIN) < OUT_MARGIN ||
                vgs_first_non_sentinel(scr + sf, OUT_MARGIN) < OUT_MARGIN)) {
        return vgs_check_fail(msg, len, "%s: wrote outside its %s of %zu floats", wh, ix & 16 ? "panels" : "scratch", sf);
    }

    ref_gemm(m, n, k, a, as, bi ? g->bg : b, bi ? n : bs, bias, r, rs, cl->lo, cl->hi, g->s.ref,
             g->s.mag);
    dot_tolerance(g->s.tol, g->s.mag, m * n, k);
    static const out_names nm = {"i", "j", 0};
    if (!ci) return check_output(msg, len, wh, c, m, n, cs, g->s.ref, g->s.tol, g->s.got, &nm);
    /* rows scattered: plane ci[i] holds row i; the other planes stay untouched */
    double *ref = g->rx, *tol = g->rx + mc * n;
    memset(g->skip, 1, mc);
    memset(ref, 0, 2 * mc * n * sizeof(double));
    for (size_t i = 0; i < m; i++) {
        g->skip[ci[i]] = 0;
        memcpy(ref + (size_t)ci[i] * n, g->s.ref + i * n, n * sizeof(double));
        memcpy(tol + (size_t)ci[i] * n, g->s.tol + i * n, n * sizeof(double));
    }
    static const out_names nmc = {"plane", "j", 0};
    return check_output_ex(msg, len, wh, c, mc, n, cs, ref, tol, g->s.got, &nmc, g->skip);
}

static int gemm_sweep(vgs_isa isa, int strided, char *msg, size_t len)
{
    const vgs_kernels *K = get_kernels(isa, msg, len);
    if (!K) return 1;
    gemm_ctx g;
    if (gemm_ctx_init(&g, K, GEMM_MAX_M, 784, 40, 0x6e6d + (uint64_t)strided) != 0) {
        gemm_ctx_free(&g);
        return SETUP_FAIL(msg, len);
    }
    int fail = 0;
    const int quick = vgs_check_quick();
    unsigned v = 0;
    for (size_t ik = 0; ik < sizeof GEMM_KS / sizeof GEMM_KS[0] && !fail; ik++)
        for (size_t m = 1; m <= GEMM_MAX_M && !fail; m++)
            for (size_t in = 0; in < sizeof GEMM_NS / sizeof GEMM_NS[0] && !fail; in++)
                /* quick: one option combination per shape, (in + m + 5 ik) mod 12 */
                for (int opt = quick ? (int)((in + m + 5 * ik) % 12) : 0,
                         opt_end = quick ? opt + 1 : 12;
                     opt < opt_end && !fail; opt++, v++)
                    fail = gemm_case(&g, m, GEMM_NS[in], GEMM_KS[ik], strided, opt & 1,
                                     (opt >> 1) & 1, &CLAMPS[opt >> 2],
                                     (int)((v + (v / 12)) & 1) /* both layouts per shape */,
                                     (int)((v / 5) & 1) << 2 /* scratch given, unused here */, msg, len);
    gemm_ctx_free(&g);
    return fail;
}

static int check_gemm_indexed(vgs_isa isa, char *msg, size_t len)
{
    const vgs_kernels *K = get_kernels(isa, msg, len);
    if (!K) return 1;
    gemm_ctx g;
    if (gemm_ctx_init(&g, K, GEMM_MAX_M, 784, 40, 0x1d3e) != 0) {
        gemm_ctx_free(&g);
        return SETUP_FAIL(msg, len);
    }
    int fail = 0;
    unsigned v = 0;
    for (size_t ik = 0; ik < sizeof GEMM_KS / sizeof GEMM_KS[0] && !fail; ik++)
        for (size_t m = 1; m <= GEMM_MAX_M && !fail; m++)
            for (size_t in = 0; in < sizeof GEMM_NS / sizeof GEMM_NS[0] && !fail; in++, v++) {
                const int opt = (int)((in + m + 5 * ik) % 12);
                fail = gemm_case(&g, m, GEMM_NS[in], GEMM_KS[ik], (int)((v / 3) & 1), opt & 1,
                                 (opt >> 1) & 1, &CLAMPS[opt >> 2], (int)((v / 6) & 1),
                                 (1 + (int)(v % 3)) | (int)((v / 7) & 1) << 2 | (v % 4 == 1 ? 16 : 0), msg, len);
            }
    gemm_ctx_free(&g);
    return fail;
}

static int check_gemm(vgs_isa isa, char *msg, size_t len) { return gemm_sweep(isa, 0, msg, len); }

static int check_gemm_strided(vgs_isa isa, char *msg, size_t len)
{
    return gemm_sweep(isa, 1, msg, len);
}

static int check_gemm_large(vgs_isa isa, char *msg, size_t len)
{
    const vgs_kernels *K = get_kernels(isa, msg, len);
    if (!K) return 1;
    /* n = 300: packed, a chunk of 256 columns and one of 44 */
    static const size_t ms[] = {17, 25, 60}, ns[] = {16, 49, 196, 300}, ks[] = {160, 480};
    gemm_ctx g;
    if (gemm_ctx_init(&g, K, 60, GEMM_FAR_B, 480, 0x1a29e) != 0) {
        gemm_ctx_free(&g);
        return SETUP_FAIL(msg, len);
    }
    int fail = 0;
    unsigned v = 0;
    for (size_t ik = 0; ik < 2 && !fail; ik++)
        for (size_t im = 0; im < 3 && !fail; im++)
            for (size_t in = 0; in < 4 && !fail; in++, v++)
                /* each shape three times: without scratch, then with it (packed: b_index, or B
                 * rows GEMM_FAR_B apart every other shape), then in two steps (gemm_pack_b,
                 * gemm_packed; quick mode: every other shape) */
                for (int pk = 0; pk < (vgs_check_quick() && (v & 1) ? 2 : 3) && !fail; pk++)
                    fail = gemm_case(&g, ms[im], ns[in], ks[ik], (int)(v & 1), 1, (int)((v >> 1) & 1),
                                     &CLAMPS[v % 3], (int)((v >> 2) & 1),
                                     (int)(v % 4) | (pk ? 4 | (int)((v / 4) & 1) << 3 : 0) | (pk == 2 ? 16 : 0), msg,
                                     len);
    gemm_ctx_free(&g);
    return fail;
}

/* The runtime's conv1x1 task rows (vgs_gemm_task_rows), over shapes around its thresholds:
 * whole blocks of 6 rows, at least 48; 48 where B is not packed (vgs_gemm_packs_b); where it
 * is, a group's rows whole when the column blocks and groups give 4 tasks, else split into
 * no more blocks than 4 tasks need (and as few rows as that allows).  Then its row tasks and
 * their shares (vgs_gemm_row_tasks, vgs_gemm_row_share). */
static int check_gemm_task_rows(vgs_isa isa, char *msg, size_t len)
{
    (void)isa;
    static const size_t ms[] = {1, 20, 48, 58, 90, 176, 352, 1024}, ns[] = {1, 49, 196, 256, 257, 784, 3136};
    static const size_t ks[] = {20, 63, 64, 199, 200}, strides[] = {49, 1023, 1024}, gs[] = {1, 3, 8};
    for (size_t a = 0; a < 8; a++)
        for (size_t b = 0; b < 7; b++)
            for (size_t c = 0; c < 5; c++)
                for (size_t d = 0; d < 3; d++)
                    for (size_t e = 0; e < 3; e++)
                        for (int ix = 0; ix < 2; ix++) {
                            const size_t m = ms[a], n = ns[b], k = ks[c], g = gs[e];
                            const size_t rows = vgs_gemm_task_rows(m, n, k, g, strides[d], ix);
                            const size_t blocks = g * ((n + VGS_GEMM_TASK_COLS - 1) / VGS_GEMM_TASK_COLS);
                            const size_t splits = (m + rows - 1) / rows, want = blocks >= 4 ? 1 : (4 + blocks - 1) / blocks;
                            const int packs = ix || (strides[d] >= 1024 && k >= 64) || k >= 200;
                            const char *why = rows % VGS_GEMM_PACK_ROWS || rows < 48 ? "not whole blocks of >= 48 rows"
                                              : packs != vgs_gemm_packs_b(k, strides[d], ix) ? "vgs_gemm_packs_b disagrees"
                                              : !packs && rows != 48                         ? "unpacked, not 48 rows"
                                              : packs && splits > want                       ? "split more than 4 tasks need"
                                              : packs && rows > 48 && rows - 6 >= (m + want - 1) / want
                                                  ? "more rows than the split needs"
                                                  : NULL;
                            if (why) {
                                return vgs_check_fail(msg, len, "task rows %zu for m %zu n %zu k %zu groups %zu stride %zu%s: %s",
                                                      rows, m, n, k, g, strides[d], ix ? " indexed" : "", why);
                            }
                        }
    /* the row tasks of those rows: ceil(m / rows), one more where that is odd and above 1 and
     * there are more 6-row blocks than tasks; shares of whole blocks, in order, covering the m
     * rows, none empty, none over `rows`, their block counts differing by at most one */
    static const size_t rows_of[] = {6, 12, 30, 48, 90, 1024};
    for (size_t a = 0; a < sizeof ms / sizeof ms[0]; a++)
        for (size_t b = 0; b < sizeof rows_of / sizeof rows_of[0]; b++) {
            const size_t m = ms[a], rows = rows_of[b], blocks = (m + 5) / 6, plain = (m + rows - 1) / rows;
            const size_t want = plain > 1 && plain % 2 && plain < blocks ? plain + 1 : plain;
            const size_t tasks = vgs_gemm_row_tasks(m, rows);
            if (tasks != want)
                return vgs_check_fail(msg, len, "row tasks for m %zu, rows %zu: %zu, expected %zu", m, rows, tasks, want);
            size_t next = 0, lo = SIZE_MAX, hi = 0;
            for (size_t i = 0; i < tasks; i++) {
                size_t r0 = 1, r1 = 0;
                vgs_gemm_row_share(m, tasks, i, &r0, &r1);
                const size_t nb = (r1 - r0 + 5) / 6;
                if (r0 != next || r1 <= r0 || r1 - r0 > rows || r0 % 6 || (r1 % 6 && r1 != m))
                    return vgs_check_fail(msg, len, "row share %zu of %zu for m %zu, rows %zu: [%zu, %zu) after %zu", i,
                                          tasks, m, rows, r0, r1, next);
                lo = nb < lo ? nb : lo, hi = nb > hi ? nb : hi, next = r1;
            }
            if (next != m || hi - lo > 1)
                return vgs_check_fail(msg, len, "row shares for m %zu, rows %zu: end at %zu, blocks %zu .. %zu", m,
                                      rows, next, lo, hi);
        }
    return 0;
}

/* ------------------------------------------------------------------------------------------
 *  Plane shapes of the 3x3 window kernels (conv, pools): every (h, w) in 1..33 x 1..33 (odd
 *  and even, every vector remainder of every ISA at stride 1 and 2, and the 1-row / 1-column
 *  images where both padding rows / columns meet), then long rows (w around 64, 128, 256
 *  and 512 output columns at stride 1 and 2: where a kernel walks a row in strips or stages
 *  it in a fixed buffer), tall planes, and the network's own plane sizes (224, 112, 56).
 * ------------------------------------------------------------------------------------------ */

static const size_t WIDE_W[] = {63,  64,  65,  112, 127, 128, 129, 130, 224, 255,
                                256, 257, 258, 259, 260, 263, 511, 512, 513, 515};
static const size_t WIDE_H[] = {1, 2, 3, 5};
static const size_t TALL_H[] = {64, 65, 112, 128, 129, 224, 257};
static const size_t TALL_W[] = {1, 2, 3, 9};
static const size_t NET_HW[] = {56, 112, 224};
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define WIN_MAX_PLANE (224 * 224)

/* Whether quick mode keeps the shape h x w (always 1 outside quick mode): see the header. */
static int window_shape_kept(size_t h, size_t w)
{
    if (!vgs_check_quick()) return 1;
    if (h <= 33 && w <= 33) return h <= 9 || h == 16 || h == 17 || h == 33 || w <= 3; /* grid */
    if (h <= 5) return h == 1 || h == 3;  /* long rows (WIDE_W x WIDE_H) */
    if (w <= 9) return 1;                 /* tall planes (TALL_H x TALL_W) */
    return h == 56 && w == 56;            /* network planes (NET_HW) */
}

/* The i-th shape; 0 past the last. */
static int window_shape(size_t i, size_t *h, size_t *w)
{
    if (i < 33 * 33) {
        *h = 1 + i / 33;
        *w = 1 + i % 33;
        return 1;
    }
    i -= 33 * 33;
    if (i < N_OF(WIDE_W) * N_OF(WIDE_H)) {
        *h = WIDE_H[i % N_OF(WIDE_H)];
        *w = WIDE_W[i / N_OF(WIDE_H)];
        return 1;
    }
    i -= N_OF(WIDE_W) * N_OF(WIDE_H);
    if (i < N_OF(TALL_H) * N_OF(TALL_W)) {
        *h = TALL_H[i / N_OF(TALL_W)];
        *w = TALL_W[i % N_OF(TALL_W)];
        return 1;
    }
    i -= N_OF(TALL_H) * N_OF(TALL_W);
    if (i < N_OF(NET_HW)) {
        *h = *w = NET_HW[i];
        return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------
 *  The 3x3 convolution sweeps' shared fixture: guarded input x, weights k and bias, the
 *  sentinel-bounded output and the fp64 scratch, and placing + filling the three inputs.
 * ------------------------------------------------------------------------------------------ */

typedef struct conv_fixture {
    vgs_guard gx, gk, gb;
    outbuf out;
    scratch s;
} conv_fixture;

static void conv_fixture_free(conv_fixture *f)
{
    vgs_guard_free(&f->gx);
    vgs_guard_free(&f->gk);
    vgs_guard_free(&f->gb);
    outbuf_free(&f->out);
    scratch_free(&f->s);
}

/* Capacities in floats; 0 on success, else everything freed and 1. */
static int conv_fixture_init(conv_fixture *f, size_t max_x, size_t max_k, size_t max_bias, size_t max_out,
                             size_t max_ref)
{
    memset(f, 0, sizeof *f);
    if (vgs_guard_init(&f->gx, max_x) | vgs_guard_init(&f->gk, max_k) | vgs_guard_init(&f->gb, max_bias) |
        outbuf_init(&f->out, max_out) | scratch_init(&f->s, max_ref)) {
        conv_fixture_free(f);
        return 1;
    }
    return 0;
}

/* c planes of h*w at channel stride xcs, nk weights and (has_bias) nb biases, each flush
 * against the guard on side `where`, filled with U(-1, 1). */
static void conv_fixture_place(conv_fixture *f, vgs_rng *rng, int where, size_t c, size_t hw, size_t xcs,
                               size_t nk, size_t nb, int has_bias, const float **x, const float **k,
                               const float **bias)
{
    *x = vgs_guard_place(&f->gx, footprint2d(c, hw, xcs), where);
    *k = vgs_guard_place(&f->gk, nk, where);
    *bias = has_bias ? vgs_guard_place(&f->gb, nb, where) : NULL;
    fill_strided(rng, vgs_guard_wr(&f->gx, *x), c, hw, xcs, -1.0f, 1.0f);
    vgs_rng_fill(rng, vgs_guard_wr(&f->gk, *k), nk, -1.0f, 1.0f);
    if (*bias) vgs_rng_fill(rng, vgs_guard_wr(&f->gb, *bias), nb, -1.0f, 1.0f);
}

/* ------------------------------------------------------------------------------------------
 *  conv3x3s1p1 / conv3x3s2p1 (dense, cin -> cout)
 *  Every window_shape, cin in {1, 2, 3, 5} (5 crosses the kernel's slices of 4 input
 *  channels; 9, three slices, on every 7th shape), cout rotating over {1, 3, 5, 6, 8, 9, 12}:
 *  every count of channels in the kernel's last block, full (4 or 8 channels a block by
 *  tier) or half (2 or 4), with channels to spare or none;
 *  per call the clamp, bias given / NULL, the input channel stride (dense or + NaN gap), the
 *  output plane stride (dense or + sentinel gap, which must stay untouched), the guard side
 *  and the rows a call (all in one, or bands of 1, 2, 3, 7 output rows, as the runtime's
 *  tasks: each band must read only inside the input and write only its rows) rotate.
 *  Each output plane is checked against the fp64 convolution.
 * ------------------------------------------------------------------------------------------ */

#define CONV_MAX_CIN 9
#define CONV_MAX_COUT 12

static int conv_sweep(vgs_isa isa, size_t S, char *msg, size_t len)
{
    const vgs_kernels *K = get_kernels(isa, msg, len);
    if (!K) return 1;
    void (*conv)(size_t, size_t, size_t, size_t, const float *, size_t, const float *, const float *,
                 float *, size_t, float, float, size_t, size_t) = S == 1 ? K->conv3x3s1p1 : K->conv3x3s2p1;
    const char *kname = S == 1 ? "conv3x3s1p1" : "conv3x3s2p1";
    static const size_t cins[] = {1, 2, 3, 5}, couts[] = {1, 3, 5, 6, 8, 9, 12};
    conv_fixture f;
    if (conv_fixture_init(&f, CONV_MAX_CIN * (WIN_MAX_PLANE + 5), 9 * CONV_MAX_CIN * CONV_MAX_COUT, CONV_MAX_COUT,
                          CONV_MAX_COUT * (WIN_MAX_PLANE + 7), CONV_MAX_COUT * WIN_MAX_PLANE)) {
        return SETUP_FAIL(msg, len);
    }
    scratch *sc = &f.s;
    int fail = 0;
    vgs_rng rng = vgs_rng_seed(0xc0 + S);
    unsigned v = 0;
    size_t h, w;
    unsigned char untouched[CONV_MAX_COUT];
    memset(untouched, 0, sizeof untouched);
    const int quick = vgs_check_quick();
    for (size_t shape = 0; !fail && window_shape(shape, &h, &w); shape++) {
        if (!window_shape_kept(h, w)) continue;
        /* quick: one cin per shape, rotating */
        for (size_t ic = quick ? shape % 4 : 0, ic_end = quick ? ic + 1 : 4; ic < ic_end && !fail;
             ic++, v++) {
            size_t cin = ic == 3 && shape % 7 == 0 ? 9 : cins[ic], cout = couts[(v + shape) % 7];
            const clamp_opt *cl = &CLAMPS[v % 3];
            int has_bias = (int)((v / 3) % 2);
            size_t oh = S == 1 ? h : (h + 1) / 2, ow = S == 1 ? w : (w + 1) / 2;
            size_t xcs = h * w + ((v / 2) % 2 ? 1 + (v % 5) : 0);
            size_t ycs = oh * ow + ((v / 5) % 2 ? 1 + (v % 7) : 0);
            int where = (int)((v + v / 4) & 1); /* both sides for every cin */
            static const size_t bands[] = {0, 1, 2, 3, 7};
            const size_t band = bands[(v + shape / 3) % 5]; /* rows a call (0: all in one call) */
            char wh[320];
            snprintf(wh, sizeof wh,
                     "%s [%s]: cin=%zu cout=%zu h=%zu w=%zu x_cstride=%zu y_cstride=%zu bias=%s "
                     "clamp=%s guard=%s rows a call=%zu (oh=%zu ow=%zu)",
                     kname, vgs_isa_to_string(isa), cin, cout, h, w, xcs, ycs, has_bias ? "yes" : "NULL",
                     cl->name, layout_name(where), band, oh, ow);
            const float *x, *k, *bias;
            conv_fixture_place(&f, &rng, where, cin, h * w, xcs, 9 * cin * cout, cout, has_bias, &x, &k, &bias);
            float *y = outbuf_prepare(&f.out, footprint2d(cout, oh * ow, ycs));
            conv_args ca = {conv, cin, cout, h, w, xcs, x, k, bias, y, ycs, cl->lo, cl->hi, band, oh};
            if ((fail = vgs_guarded_call(conv_thunk, &ca, msg, len, wh))) break;
            for (size_t o = 0; o < cout; o++) {
                ref_conv3x3(S, cin, h, w, x, xcs, k + 9 * cin * o, bias ? bias[o] : 0.0f, cl->lo, cl->hi,
                            sc->ref + o * oh * ow, sc->mag + o * oh * ow);
            }
            dot_tolerance(sc->tol, sc->mag, cout * oh * ow, 9 * cin);
            out_names nm = {"plane", "pixel", ow};
            fail = check_output_ex(msg, len, wh, y, cout, oh * ow, ycs, sc->ref, sc->tol, sc->got, &nm, untouched);
        }
    }
    conv_fixture_free(&f);
    return fail;
}

static int check_conv3x3s1p1(vgs_isa isa, char *msg, size_t len) { return conv_sweep(isa, 1, msg, len); }
static int check_conv3x3s2p1(vgs_isa isa, char *msg, size_t len) { return conv_sweep(isa, 2, msg, len); }

/* ------------------------------------------------------------------------------------------
 *  dwconv3x3s1p1 / dwconv3x3s2p1
 *  Every window_shape, c in {1, 3, 5}; per call, rotating: the clamp, bias given / NULL, the
 *  input channel stride (dense or + NaN gap), the output plane stride (dense or + sentinel
 *  gap), the guard side, and y_index:
 *    NULL         channel i -> plane i;
 *    reverse      channel i -> plane c-1-i;
 *    permutation  a random permutation (what a channel shuffle is);
 *    spread       channel i -> plane 2i+1 of 2c+1 planes: the planes no channel maps to
 *                 (the even ones) must stay untouched.
 *  Each channel's plane is checked against the cin = 1 fp64 convolution of that channel.
 * ------------------------------------------------------------------------------------------ */

#define DW_MAX_C 5
#define DW_MAX_PLANES (2 * DW_MAX_C + 1)

static const char *const index_names[4] = {"NULL", "reverse", "random permutation", "spread 2i+1"};

/* A depthwise call's y_index for c channels, placed against a guard page (NULL for imode 0):
 * 1 reversed, 2 a random permutation (Fisher-Yates), 3 the odd planes of 2c + 1. */
static const int32_t *dw_y_index(vgs_guard *gi, size_t c, int imode, int where, vgs_rng *rng)
{
    if (!imode) return NULL;
    const int32_t *yi = (const int32_t *)(const void *)vgs_guard_place(gi, c, where);
    int32_t *wi = (int32_t *)(void *)vgs_guard_wr(gi, (const float *)(const void *)yi);
    for (size_t i = 0; i < c; i++) wi[i] = (int32_t)(imode == 1 ? c - 1 - i : imode == 3 ? 2 * i + 1 : i);
    if (imode == 2)
        for (size_t i = c; i > 1; i--) {
            const size_t j = (size_t)(vgs_rng_u64(rng) % i);
            const int32_t t = wi[i - 1];
            wi[i - 1] = wi[j], wi[j] = t;
        }
    return yi;
}

static int dwconv_sweep(vgs_isa isa, size_t S, char *msg, size_t len)
{
    const vgs_kernels *K = get_kernels(isa, msg, len);
    if (!K) return 1;
    void (*dw)(size_t, size_t, size_t, const float *, size_t, const float *, const float *,
               float *, size_t, const int32_t *, float, float) =
        S == 1 ? K->dwconv3x3s1p1 : K->dwconv3x3s2p1;
    const char *kname = S == 1 ? "dwconv3x3s1p1" : "dwconv3x3s2p1";
    static const size_t cs[] = {1, 3, 5};
    conv_fixture f;
    vgs_guard gi; /* y_index */
    if (conv_fixture_init(&f, DW_MAX_C * (WIN_MAX_PLANE + 5), 9 * DW_MAX_C, DW_MAX_C,
                          DW_MAX_PLANES * (WIN_MAX_PLANE + 7), DW_MAX_PLANES * WIN_MAX_PLANE)) {
        return SETUP_FAIL(msg, len);
    }
    if (vgs_guard_init(&gi, DW_MAX_C)) {
        conv_fixture_free(&f);
        return SETUP_FAIL(msg, len);
    }
    scratch *sc = &f.s;
    int fail = 0;
    vgs_rng rng = vgs_rng_seed(0xd3 + S);
    unsigned v = 0;
    size_t h, w;
    unsigned char untouched[DW_MAX_PLANES];
    for (size_t shape = 0; !fail && window_shape(shape, &h, &w); shape++) {
        if (!window_shape_kept(h, w)) continue;
        for (size_t ic = 0; ic < 3 && !fail; ic++, v++) {
            size_t c = cs[ic];
            size_t oh = S == 1 ? h : (h + 1) / 2, ow = S == 1 ? w : (w + 1) / 2;
            const clamp_opt *cl = &CLAMPS[v % 3];
            int has_bias = (int)((v / 3) % 2);
            size_t xcs = h * w + ((v / 2) % 2 ? 1 + (v % 5) : 0);
            size_t ycs = oh * ow + ((v / 5) % 2 ? 1 + (v % 7) : 0);
            int where = (int)((v + v / 3) & 1);
            int imode = (int)((v + shape) % 4);
            size_t nplanes = imode == 3 ? 2 * c + 1 : c;
            char wh[320];
            snprintf(wh, sizeof wh,
                     "%s [%s]: c=%zu h=%zu w=%zu x_cstride=%zu y_cstride=%zu bias=%s "
                     "y_index=%s clamp=%s guard=%s (oh=%zu ow=%zu)",
                     kname, vgs_isa_to_string(isa), c, h, w, xcs, ycs,
                     has_bias ? "yes" : "NULL", index_names[imode], cl->name, layout_name(where),
                     oh, ow);
            const float *x, *k, *bias;
            conv_fixture_place(&f, &rng, where, c, h * w, xcs, 9 * c, c, has_bias, &x, &k, &bias);
            const int32_t *yi = dw_y_index(&gi, c, imode, where, &rng);
            float *y = outbuf_prepare(&f.out, footprint2d(nplanes, oh * ow, ycs));
            dwconv_args da = {dw, c, h, w, xcs, ycs, x, k, bias, y, yi, cl->lo, cl->hi};
            if ((fail = vgs_guarded_call(dwconv_thunk, &da, msg, len, wh))) break;
            memset(untouched, 1, sizeof untouched);
            for (size_t j = 0; j < nplanes * oh * ow; j++) sc->ref[j] = sc->tol[j] = 0.0;
            for (size_t i = 0; i < c; i++) {
                size_t j = yi ? (size_t)yi[i] : i;
                untouched[j] = 0;
                ref_conv3x3(S, 1, h, w, x + i * xcs, h * w, k + 9 * i, bias ? bias[i] : 0.0f,
                            cl->lo, cl->hi, sc->ref + j * oh * ow, sc->mag + j * oh * ow);
                dot_tolerance(sc->tol + j * oh * ow, sc->mag + j * oh * ow, oh * ow, 9);
            }
            out_names nm = {"plane", "pixel", ow};
            fail = check_output_ex(msg, len, wh, y, nplanes, oh * ow, ycs, sc->ref, sc->tol, sc->got,
                                   &nm, untouched);
        }
    }
    conv_fixture_free(&f);
    vgs_guard_free(&gi);
    return fail;
}

static int check_dwconv3x3s1p1(vgs_isa isa, char *msg, size_t len) { return dwconv_sweep(isa, 1, msg, len); }
static int check_dwconv3x3s2p1(vgs_isa isa, char *msg, size_t len) { return dwconv_sweep(isa, 2, msg, len); }

/* ------------------------------------------------------------------------------------------
 *  The small-plane path of the window kernels (kernels/lanes3x3.h: VW channels across the
 *  lanes of a padded tile): dwconv3x3 s1 / s2, maxpool and avgpool, for every channel count
 *  c in 1..2*VW+1 (one group, a partial group, two groups and a tail of one: every lane
 *  count) and, for each c, every h and every w in 1..2*VW+1 (each paired with a rotating
 *  other side: odd and even, both parities at stride 2); plus the network planes 7x7, 14x14
 *  and 28x28 at the runtime's block sizes (84, 21, 6 channels; and 21 at 28x28, a stride-2
 *  layer's, which on AVX-512 the half-width tier computes whole: VGS_LANES_NARROW_*).
 *  Rotating per call as in the sweeps above: the input channel stride (dense or + NaN gap:
 *  a tail load reading into the gap must never reach an output), the output stride (+
 *  sentinel gap), the guard side, the clamp, bias and (dwconv) y_index; max pooling
 *  alternates [-1,1] and all-negative data.
 *  Checked against the fp64 references with the tolerances above (max: exact).
 * ------------------------------------------------------------------------------------------ */

#define LN_MAX_C 84                    /* the largest c: the 7x7 network block */
#define LN_MAX_X (33 * (33 * 33 + 5)) /* input floats: >= c * (h*w + 5) of every shape */

/* The i-th (c, h, w) of the sweep for vector width vw; 0 past the last. */
static int lanes_shape(size_t i, size_t vw, size_t *c, size_t *h, size_t *w)
{
    static const size_t net[4][2] = {{84, 7}, {21, 14}, {6, 28}, {21, 28}};
    const size_t n = 2 * vw + 1; /* c, h and w in 1..n */
    if (i < n * 2 * n) {
        const size_t ci = i / (2 * n), t = i % (2 * n) % n, side = i % (2 * n) / n;
        *c = 1 + ci;
        *h = side ? 1 + (t * 5 + ci) % n : 1 + t;
        *w = side ? 1 + t : 1 + (t * 7 + ci + 3) % n;
        return 1;
    }
    i -= n * 2 * n;
    if (i < 4) {
        *c = net[i][0];
        *h = *w = net[i][1];
        return 1;
    }
    return 0;
}

/* op: 0 dwconv s1, 1 dwconv s2, 2 maxpool, 3 avgpool. */
static int lanes_sweep(vgs_isa isa, int op, char *msg, size_t len)
{
    const vgs_kernels *K = get_kernels(isa, msg, len);
    if (!K) return 1;
    static const char *const names[4] = {"dwconv3x3s1p1", "dwconv3x3s2p1", "maxpool3x3s2p1", "avgpool3x3s2p1"};
    const size_t S = op == 0 ? 1 : 2, vw = K->vector_width;
    const size_t max_planes = 2 * LN_MAX_C + 1, max_o = 33 * 33; /* output pixels a plane */
    conv_fixture f;
    vgs_guard gi; /* y_index */
    if (conv_fixture_init(&f, LN_MAX_X, 9 * LN_MAX_C, LN_MAX_C, max_planes * (max_o + 7), max_planes * max_o)) {
        return SETUP_FAIL(msg, len);
    }
    if (vgs_guard_init(&gi, LN_MAX_C)) {
        conv_fixture_free(&f);
        return SETUP_FAIL(msg, len);
    }
    scratch *sc = &f.s;
    int fail = 0;
    vgs_rng rng = vgs_rng_seed(0x1a7e5 + (uint64_t)op);
    unsigned v = 0;
    size_t c, h, w;
    unsigned char untouched[2 * LN_MAX_C + 1];
    for (size_t shape = 0; !fail && lanes_shape(shape, vw, &c, &h, &w); shape++, v++) {
        if (vgs_check_quick() && shape % 3 && c > 2) continue; /* qemu: a third of the shapes */
        const size_t oh = S == 1 ? h : (h + 1) / 2, ow = S == 1 ? w : (w + 1) / 2;
        const clamp_opt *cl = &CLAMPS[v % 3];
        const int has_bias = (int)((v / 3) % 2), dw = op < 2;
        const size_t xcs = h * w + ((v / 2) % 2 ? 1 + (v % 5) : 0);
        const size_t ycs = oh * ow + ((v / 5) % 2 ? 1 + (v % 7) : 0);
        const int where = (int)((v + v / 3) & 1);
        const int imode = dw ? (int)((v + shape) % 4) : 0;
        const size_t nplanes = imode == 3 ? 2 * c + 1 : c;
        const int negative = op == 2 && (v + v / 3) % 3 != 0;
        char wh[320];
        snprintf(wh, sizeof wh,
                 "%s [%s] (small-plane path): c=%zu h=%zu w=%zu x_cstride=%zu y_cstride=%zu bias=%s y_index=%s "
                 "clamp=%s data=%s guard=%s (oh=%zu ow=%zu)",
                 names[op], vgs_isa_to_string(isa), c, h, w, xcs, ycs, dw && has_bias ? "yes" : "NULL",
                 index_names[imode], dw ? cl->name : "-", negative ? "[-2,-1]" : "[-1,1]", layout_name(where), oh, ow);
        const float *x, *k, *bias;
        conv_fixture_place(&f, &rng, where, c, h * w, xcs, 9 * c, c, dw && has_bias, &x, &k, &bias);
        if (negative) fill_strided(&rng, vgs_guard_wr(&f.gx, x), c, h * w, xcs, -2.0f, -1.0f);
        const int32_t *yi = dw_y_index(&gi, c, imode, where, &rng);
        float *y = outbuf_prepare(&f.out, footprint2d(nplanes, oh * ow, ycs));
        if (dw) {
            dwconv_args da = {op == 0 ? K->dwconv3x3s1p1 : K->dwconv3x3s2p1, c, h, w, xcs, ycs, x, k, bias, y, yi,
                              cl->lo, cl->hi};
            fail = vgs_guarded_call(dwconv_thunk, &da, msg, len, wh);
        } else {
            pool_args pa = {op == 2 ? K->maxpool3x3s2p1 : K->avgpool3x3s2p1, c, h, w, xcs, ycs, x, y};
            fail = vgs_guarded_call(pool_thunk, &pa, msg, len, wh);
        }
        if (fail) break;
        memset(untouched, 1, sizeof untouched);
        for (size_t j = 0; j < nplanes * oh * ow; j++) sc->ref[j] = sc->tol[j] = 0.0;
        for (size_t i = 0; i < c; i++) {
            const size_t j = yi ? (size_t)yi[i] : i;
            double *ref = sc->ref + j * oh * ow, *mag = sc->mag + j * oh * ow, *tol = sc->tol + j * oh * ow;
            untouched[j] = 0;
            if (dw) {
                ref_conv3x3(S, 1, h, w, x + i * xcs, h * w, k + 9 * i, bias ? bias[i] : 0.0f, cl->lo, cl->hi, ref, mag);
                dot_tolerance(tol, mag, oh * ow, 9);
            } else {
                ref_pool3x3s2p1(op == 2, 1, h, w, x + i * xcs, h * w, ref, mag);
                for (size_t q = 0; q < oh * ow; q++) tol[q] = op == 2 ? 0.0 : 10.0 * U23 * mag[q] + 1e-30;
            }
        }
        out_names nm = {"plane", "pixel", ow};
        fail = check_output_ex(msg, len, wh, y, nplanes, oh * ow, ycs, sc->ref, sc->tol, sc->got, &nm, untouched);
    }
    conv_fixture_free(&f);
    vgs_guard_free(&gi);
    return fail;
}

static int check_lanes_dwconv_s1(vgs_isa isa, char *msg, size_t len) { return lanes_sweep(isa, 0, msg, len); }
static int check_lanes_dwconv_s2(vgs_isa isa, char *msg, size_t len) { return lanes_sweep(isa, 1, msg, len); }
static int check_lanes_maxpool(vgs_isa isa, char *msg, size_t len) { return lanes_sweep(isa, 2, msg, len); }
static int check_lanes_avgpool(vgs_isa isa, char *msg, size_t len) { return lanes_sweep(isa, 3, msg, len); }

/* ------------------------------------------------------------------------------------------
 *  maxpool3x3s2p1 / avgpool3x3s2p1
 *  c in {1, 3, 7}, every window_shape; per call the input channel stride (dense or
 *  + gap of NaN), the output channel stride (dense or + gap of sentinel) and the guard side
 *  rotate.  maxpool alternates data in [-1, 1] and all-negative data in [-2, -1]: a kernel
 *  that pads with 0 instead of -inf returns 0 on every border window of the latter.
 *  avgpool divides by 9 always (count_include_pad): a kernel dividing by the number of
 *  in-image taps is wrong on every border window.
 * ------------------------------------------------------------------------------------------ */

#define POOL_MAX_C 7

static int pool_sweep(vgs_isa isa, int is_max, char *msg, size_t len)
{
    const vgs_kernels *K = get_kernels(isa, msg, len);
    if (!K) return 1;
    void (*pool)(size_t, size_t, size_t, const float *, size_t, float *, size_t) =
        is_max ? K->maxpool3x3s2p1 : K->avgpool3x3s2p1;
    const char *kname = is_max ? "maxpool3x3s2p1" : "avgpool3x3s2p1";
    static const size_t cs[] = {1, 3, 7};
    const size_t max_o = WIN_MAX_PLANE / 4 + 600; /* >= ((h+1)/2) * ((w+1)/2) */
    vgs_guard gx;
    outbuf out;
    scratch s;
    memset(&gx, 0, sizeof gx);
    memset(&out, 0, sizeof out);
    memset(&s, 0, sizeof s);
    int fail = vgs_guard_init(&gx, POOL_MAX_C * (WIN_MAX_PLANE + 5)) |
               outbuf_init(&out, POOL_MAX_C * (max_o + 7)) | scratch_init(&s, POOL_MAX_C * max_o);
    if (fail) fail = SETUP_FAIL(msg, len);
    vgs_rng rng = vgs_rng_seed(is_max ? 0x9a7 : 0xa79);
    unsigned v = 0;
    size_t h, w;
    for (size_t shape = 0; !fail && window_shape(shape, &h, &w); shape++) {
        if (!window_shape_kept(h, w)) continue;
        {
            for (size_t ic = 0; ic < 3 && !fail; ic++, v++) {
                size_t c = cs[ic], oh = (h + 1) / 2, ow = (w + 1) / 2;
                size_t xcs = h * w + (v % 2 ? 1 + (v % 5) : 0);
                size_t ycs = oh * ow + ((v / 2) % 2 ? 1 + (v % 7) : 0);
                int where = (int)((v / 4) & 1);
                int negative = is_max && (v + v / 3) % 3 != 0; /* 2 of 3 calls, every c */
                float lo = negative ? -2.0f : -1.0f, hi = negative ? -1.0f : 1.0f;
                char wh[256];
                snprintf(wh, sizeof wh,
                         "%s [%s]: c=%zu h=%zu w=%zu x_cstride=%zu y_cstride=%zu data=[%g,%g] "
                         "guard=%s (oh=%zu ow=%zu)",
                         kname, vgs_isa_to_string(isa), c, h, w, xcs, ycs, (double)lo, (double)hi,
                         layout_name(where), oh, ow);
                const float *x = vgs_guard_place(&gx, footprint2d(c, h * w, xcs), where);
                fill_strided(&rng, vgs_guard_wr(&gx, x), c, h * w, xcs, lo, hi);
                float *y = outbuf_prepare(&out, footprint2d(c, oh * ow, ycs));
                pool_args pa = {pool, c, h, w, xcs, ycs, x, y};
                if ((fail = vgs_guarded_call(pool_thunk, &pa, msg, len, wh))) break;
                ref_pool3x3s2p1(is_max, c, h, w, x, xcs, s.ref, s.mag);
                if (!is_max)
                    for (size_t i = 0; i < c * oh * ow; i++)
                        s.tol[i] = 10.0 * U23 * s.mag[i] + 1e-30; /* mag = sum|x| / 9 */
                out_names nm = {"c", "pixel", ow};
                fail = check_output(msg, len, wh, y, c, oh * ow, ycs, s.ref, is_max ? NULL : s.tol,
                                    s.got, &nm);
            }
        }
    }
    vgs_guard_free(&gx);
    outbuf_free(&out);
    scratch_free(&s);
    return fail;
}

static int check_maxpool(vgs_isa isa, char *msg, size_t len) { return pool_sweep(isa, 1, msg, len); }
static int check_avgpool(vgs_isa isa, char *msg, size_t len) { return pool_sweep(isa, 0, msg, len); }

/* ------------------------------------------------------------------------------------------
 *  global_avgpool: c in 1..17 (crosses 16), hw in 1..33 and 49 (7x7), 196 (14x14); channel
 *  stride dense or + gap of NaN, guard side rotating.
 * ------------------------------------------------------------------------------------------ */

static int check_global_avgpool(vgs_isa isa, char *msg, size_t len)
{
    const vgs_kernels *K = get_kernels(isa, msg, len);
    if (!K) return 1;
    vgs_guard gx;
    outbuf out;
    scratch s;
    memset(&gx, 0, sizeof gx);
    memset(&out, 0, sizeof out);
    memset(&s, 0, sizeof s);
    int fail = vgs_guard_init(&gx, 17 * (196 + 9)) | outbuf_init(&out, 17) | scratch_init(&s, 17);
    if (fail) fail = SETUP_FAIL(msg, len);
    vgs_rng rng = vgs_rng_seed(0x9a9);
    unsigned v = 0;
    for (size_t hw = 1; hw <= 35 && !fail; hw++) {
        size_t HW = hw <= 33 ? hw : (hw == 34 ? 49 : 196);
        for (size_t c = 1; c <= 17 && !fail; c++) {
            for (int strided = 0; strided < 2 && !fail; strided++, v++) {
                size_t xcs = HW + (strided ? 1 + (v % 9) : 0);
                int where = (int)((v / 2) & 1);
                char wh[200];
                snprintf(wh, sizeof wh, "global_avgpool [%s]: c=%zu hw=%zu x_cstride=%zu guard=%s",
                         vgs_isa_to_string(isa), c, HW, xcs, layout_name(where));
                const float *x = vgs_guard_place(&gx, footprint2d(c, HW, xcs), where);
                fill_strided(&rng, vgs_guard_wr(&gx, x), c, HW, xcs, -1.0f, 1.0f);
                float *y = outbuf_prepare(&out, c);
                gap_args ga = {K, c, HW, xcs, x, y};
                if ((fail = vgs_guarded_call(gap_thunk, &ga, msg, len, wh))) break;
                ref_global_avgpool(c, HW, x, xcs, s.ref, s.mag);
                for (size_t i = 0; i < c; i++)
                    s.tol[i] = (double)(HW + 2) * U23 * s.mag[i] + 1e-30; /* mag = sum|x| / hw */
                static const out_names nm = {NULL, "c", 0};
                fail = check_output(msg, len, wh, y, 1, c, c, s.ref, s.tol, s.got, &nm);
            }
        }
    }
    vgs_guard_free(&gx);
    outbuf_free(&out);
    scratch_free(&s);
    return fail;
}

/* ------------------------------------------------------------------------------------------
 *  fc: n in 1..37, k in 1..40 plus 480 and 768 (ShuffleNet's classifier widths), bias given
 *  and NULL, guard side rotating; batch 1, and batch 3 with gaps between the images of x
 *  (stride k + 3) and of y (stride n + 2: the gaps must stay untouched), where every image
 *  must also be bit-identical to that image run as a batch of 1; every third case with the
 *  ReLU clamp [0, +inf), the others with none.
 *  fc_bf16w: the same sweep with the weights rounded to bf16 (vgs_f32_to_bf16), against the
 *  fp64 reference of the rounded weights (widened exactly) with the same tolerance (the kernel
 *  does the same float arithmetic), and bit-identical to fc on the widened weights; the bf16
 *  weights end flush against the guard (an odd count starts 2 bytes into a float).
 *  fc_f16w: the same with the weights rounded to IEEE half (vgs_f32_to_f16), every seventh
 *  weight scaled by 2^-14 first so that subnormal halves occur (a fifth of those).
 * ------------------------------------------------------------------------------------------ */

static int fc_sweep(vgs_isa isa, int wt, char *msg, size_t len)
{
    const int bf16 = wt != VGS_FC_F32; /* a 16-bit kernel (the name of the bf16-only version) */
    enum { B = 3, MAXW = 37 * 768 };
    const vgs_kernels *K = get_kernels(isa, msg, len);
    if (!K) return 1;
    vgs_guard gw, gb, gx;
    outbuf out;
    scratch s;
    float *wq = bf16 ? (float *)malloc(MAXW * sizeof *wq) : NULL, *yq = bf16 ? (float *)malloc(B * 39 * sizeof *yq) : NULL;
    memset(&gw, 0, sizeof gw);
    memset(&gb, 0, sizeof gb);
    memset(&gx, 0, sizeof gx);
    memset(&out, 0, sizeof out);
    memset(&s, 0, sizeof s);
    float one[B][37];
    int fail = vgs_guard_init(&gw, MAXW) | vgs_guard_init(&gb, 37) | vgs_guard_init(&gx, B * (768 + 3)) |
               outbuf_init(&out, B * (37 + 2)) | scratch_init(&s, B * 37) | (bf16 && (!wq || !yq));
    if (fail) fail = SETUP_FAIL(msg, len);
    vgs_rng rng = vgs_rng_seed(0xfc);
    unsigned v = 0;
    for (size_t ik = 1; ik <= 42 && !fail; ik++) {
        size_t k = ik <= 40 ? ik : (ik == 41 ? 480 : 768);
        for (size_t n = 1; n <= 37 && !fail; n++) {
            for (int has_bias = 0; has_bias < 2 && !fail; has_bias++, v++) {
                int where = (int)((v / 2 + v) & 1);
                const float *w = vgs_guard_place(&gw, n * k, where);
                const float *bias = has_bias ? vgs_guard_place(&gb, n, where) : NULL;
                const uint16_t *w16 = NULL;
                if (bf16) { /* n * k bf16 at the head, or ending at the tail */
                    const float *at = vgs_guard_place(&gw, (n * k + 1) / 2, where);
                    w16 = (const uint16_t *)(const void *)at + (where == VGS_AT_TAIL ? (n * k) % 2 : 0);
                    vgs_rng_fill(&rng, wq, n * k, -1.0f, 1.0f);
                    uint16_t *wr = (uint16_t *)(void *)((unsigned char *)vgs_guard_wr(&gw, at) +
                                                        ((const unsigned char *)w16 - (const unsigned char *)at));
                    if (wt == VGS_FC_F16) {
                        for (size_t i = 0; i < n * k; i += 7) wq[i] = ldexpf(wq[i], -14);
                        vgs_f32_to_f16(n * k, wq, wr);
                        vgs_f16_to_f32(n * k, wr, wq);
                    } else {
                        vgs_f32_to_bf16(n * k, wq, wr);
                        vgs_bf16_to_f32(n * k, wr, wq);
                    }
                    w = wq; /* the reference's weights: the rounded ones */
                } else {
                    vgs_rng_fill(&rng, vgs_guard_wr(&gw, w), n * k, -1.0f, 1.0f);
                }
                if (bias) vgs_rng_fill(&rng, vgs_guard_wr(&gb, bias), n, -1.0f, 1.0f);
                for (size_t batch = 1; batch <= B && !fail; batch += B - 1) {
                    const size_t xs = batch == 1 ? k : k + 3, ys = batch == 1 ? n : n + 2;
                    const int relu = v % 3 == 1;
                    const float lo = relu ? 0.0f : -INFINITY;
                    char wh[200];
                    snprintf(wh, sizeof wh, "%s [%s]: n=%zu k=%zu bias=%s batch=%zu%s guard=%s",
                             wt == VGS_FC_F16 ? "fc_f16w" : bf16 ? "fc_bf16w" : "fc",
                             vgs_isa_to_string(isa), n, k, has_bias ? "yes" : "NULL", batch, relu ? " relu" : "",
                             layout_name(where));
                    const float *x = vgs_guard_place(&gx, footprint2d(batch, k, xs), where);
                    fill_strided(&rng, vgs_guard_wr(&gx, x), batch, k, xs, -1.0f, 1.0f);
                    float *y = outbuf_prepare(&out, footprint2d(batch, n, ys));
                    fc_args fa = {K, n, k, w, bias, batch, x, xs, y, ys, lo, INFINITY, w16, wt == VGS_FC_F16};
                    if ((fail = vgs_guarded_call(fc_thunk, &fa, msg, len, wh))) break;
                    for (size_t b = 0; b < batch; b++) ref_fc(n, k, w, bias, x + b * xs, s.ref + b * n, s.mag + b * n);
                    for (size_t i = 0; relu && i < batch * n; i++) s.ref[i] = s.ref[i] < 0 ? 0 : s.ref[i];
                    dot_tolerance(s.tol, s.mag, batch * n, k);
                    static const out_names nm = {"image", "o", 0};
                    fail = check_output(msg, len, wh, y, batch, n, ys, s.ref, s.tol, s.got, &nm);
                    /* every image of the batch, bit for bit, as a batch of 1 */
                    for (size_t b = 0; b < batch && !fail && batch > 1; b++) {
                        fc_args f1 = fa;
                        f1.batch = 1, f1.x = x + b * xs, f1.x_stride = k, f1.y = one[b], f1.y_stride = n;
                        fc_thunk(&f1);
                        if (memcmp(one[b], y + b * ys, n * sizeof(float)) != 0) {
                            fail = vgs_check_fail(msg, len, "%s: image %zu differs from the same image run alone", wh, b);
                        }
                    }
                    /* bf16, f16: bit for bit the float kernel on the widened weights */
                    if (bf16 && !fail) K->fc(n, k, wq, bias, batch, x, xs, yq, ys, lo, INFINITY);
                    for (size_t b = 0; bf16 && b < batch && !fail; b++) {
                        if (memcmp(yq + b * ys, y + b * ys, n * sizeof(float)) != 0) {
                            fail = vgs_check_fail(msg, len, "%s: image %zu differs from fc on the widened weights", wh, b);
                        }
                    }
                }
            }
        }
    }
    vgs_guard_free(&gw);
    vgs_guard_free(&gb);
    vgs_guard_free(&gx);
    outbuf_free(&out);
    scratch_free(&s);
    free(wq), free(yq);
    return fail;
}

static int check_fc(vgs_isa isa, char *msg, size_t len) { return fc_sweep(isa, VGS_FC_F32, msg, len); }
static int check_fc_bf16w(vgs_isa isa, char *msg, size_t len) { return fc_sweep(isa, VGS_FC_BF16, msg, len); }
static int check_fc_f16w(vgs_isa isa, char *msg, size_t len) { return fc_sweep(isa, VGS_FC_F16, msg, len); }

/* ------------------------------------------------------------------------------------------
 *  bf16 conversion (vgs_f32_to_bf16, vgs_bf16_to_f32; not per tier): widening is exact (every
 *  16-bit pattern); rounding picks the nearer of the two bf16 neighbours in fp64, the even one
 *  on a tie, for 2^20 random bit patterns and the edges: ties both ways, the largest finite
 *  floats (round to inf), +-0, subnormals, +-inf kept, NaNs (quiet and signalling, both signs)
 *  stay NaN with their sign.
 * ------------------------------------------------------------------------------------------ */

static float f32_of(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static int check_bf16(vgs_isa isa, char *msg, size_t len)
{
    (void)isa;
    for (uint32_t h = 0; h < 65536; h++) {
        const uint16_t x = (uint16_t)h;
        float f;
        vgs_bf16_to_f32(1, &x, &f);
        uint32_t u;
        memcpy(&u, &f, sizeof u);
        if (u != h << 16) return vgs_check_fail(msg, len, "bf16_to_f32(0x%04x) = 0x%08x, expected 0x%08x", h, u, h << 16);
    }
    static const uint32_t edges[] = {0x3f808000u, 0x3f818000u, 0x3f808001u, 0x3f817fffu, 0x7f7fffffu, 0xff7fffffu,
                                     0x7f7f7fffu, 0x00000000u, 0x80000000u, 0x00000001u, 0x807fffffu, 0x00008000u,
                                     0x00018000u, 0x7f800000u, 0xff800000u, 0x7fc00000u, 0xffc00001u, 0x7f800001u,
                                     0xff800001u, 0x7f810000u};
    vgs_rng rng = vgs_rng_seed(0xbf16);
    for (size_t i = 0; i < (1u << 20) + sizeof edges / sizeof edges[0]; i++) {
        uint32_t u;
        if (i < sizeof edges / sizeof edges[0]) {
            u = edges[i];
        } else {
            u = (uint32_t)vgs_rng_u64(&rng); /* any pattern */
        }
        const float f = f32_of(u);
        uint16_t got;
        vgs_f32_to_bf16(1, &f, &got);
        uint16_t want;
        if (f != f) {
            if (!((got & 0x7f80u) == 0x7f80u && (got & 0x7fu) && (got >> 15) == (u >> 31)))
                return vgs_check_fail(msg, len, "f32_to_bf16(NaN 0x%08x) = 0x%04x: not a NaN of the same sign", u, got);
            continue;
        }
        if (isinf(f)) {
            want = (uint16_t)(u >> 16);
        } else { /* the two neighbours (the upper one may be inf), nearer in fp64, ties to even */
            const uint32_t lo = u & 0xffff0000u, hi = lo + 0x10000u;
            const double d_lo = fabs((double)f - (double)f32_of(lo));
            double d_hi = fabs((double)f32_of(hi) - (double)f);
            if ((hi & 0x7f800000u) == 0x7f800000u) /* past the largest bf16: inf when at or above the midpoint */
                d_hi = fabs(ldexp(1.0, 128) - fabs((double)f));
            want = (uint16_t)((d_lo < d_hi || (d_lo == d_hi && !((lo >> 16) & 1))) ? lo >> 16 : hi >> 16);
        }
        if (got != want)
            return vgs_check_fail(msg, len, "f32_to_bf16(%.9g = 0x%08x) = 0x%04x, expected 0x%04x (nearest, ties to even)",
                                  (double)f, u, got, want);
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------
 *  IEEE half conversion (vgs_f32_to_f16, vgs_f16_to_f32; not per tier).
 *  Widening: every 16-bit pattern against a value built another way, (-1)^s ldexp(m + 1024,
 *  e - 25) for a normal, ldexp(m, -24) for a subnormal, +-inf, and a NaN with its sign and
 *  payload in the top mantissa bits, the quiet bit set.
 *  Rounding: the nearer of the two half neighbours in fp64, the even one on a tie (past 65504
 *  the upper neighbour is 65536 = inf), for every float whose low 12 bits are a tie, just below
 *  or just above one (all exponents from zero to inf), 2^20 random patterns and the edges:
 *  65504, 65519.99 -> 65504, 65520 -> inf, 2^-14 (the smallest normal), 2^-24 (the smallest
 *  subnormal), 2^-25 (a tie to 0), 3 * 2^-25 (a tie to 2^-23), float subnormals -> 0, +-inf,
 *  NaNs of both signs and kinds stay NaN with their sign.
 * ------------------------------------------------------------------------------------------ */

/* The value of half h, by ldexp (NaN: the pattern expected, as a float). */
static float f16_value(uint16_t h)
{
    const int s = h >> 15, e = h >> 10 & 0x1f, m = h & 0x3ff;
    if (e == 0x1f && m) return f32_of((uint32_t)s << 31 | 0x7fc00000u | (uint32_t)m << 13);
    const double v = e == 0x1f ? INFINITY : e ? ldexp(m + 1024.0, e - 25) : ldexp(m, -24);
    return (float)(s ? -v : v);
}

static int check_f16(vgs_isa isa, char *msg, size_t len)
{
    (void)isa;
    for (uint32_t h = 0; h < 65536; h++) {
        const uint16_t x = (uint16_t)h;
        float f;
        vgs_f16_to_f32(1, &x, &f);
        const float want = f16_value(x);
        if (memcmp(&f, &want, sizeof f) != 0)
            return vgs_check_fail(msg, len, "f16_to_f32(0x%04x) = %.9g, expected %.9g (or the bits differ)", h,
                                  (double)f, (double)want);
    }
    static const uint32_t edges[] = {
        0x477fe000u /* 65504 */,      0x477fefffu /* 65519.99 */,   0x477ff000u /* 65520: inf */,
        0xc77ff000u /* -65520 */,     0x477ff001u,                  0x7f7fffffu /* FLT_MAX */,
        0x38800000u /* 2^-14 */,      0x387fffffu,                  0x387fe000u /* midpoint below 2^-14 */,
        0x33800000u /* 2^-24 */,      0x33000000u /* 2^-25: tie to 0 */, 0x33000001u, 0x32ffffffu,
        0x33c00000u /* 3 * 2^-25: tie to 2^-23 */, 0x34200000u /* 5 * 2^-25: tie to 2^-22 */,
        0x00000000u, 0x80000000u,     0x00000001u,                  0x807fffffu,
        0x3f801000u /* 1 + 2^-11: tie to 1 */, 0x3f803000u /* tie to 1 + 2^-9 */,
        0x7f800000u, 0xff800000u,     0x7fc00000u, 0xffc00001u,     0x7f800001u, 0xff800001u, 0x7fbfe000u};
    const size_t ne = sizeof edges / sizeof edges[0];
    vgs_rng rng = vgs_rng_seed(0xf16);
    for (size_t i = 0; i < (1u << 20) + ne + 3 * 512; i++) {
        uint32_t u;
        if (i < ne) {
            u = edges[i];
        } else if (i < ne + 3 * 512) { /* exponent field j, a tie (0x1000 in the 13 dropped bits) and either side */
            const size_t j = (i - ne) / 3, side = (i - ne) % 3;
            u = (uint32_t)(j & 255) << 23 | (uint32_t)(j >> 8) << 31 | ((uint32_t)vgs_rng_u64(&rng) & 0x7fe000u);
            u |= side == 0 ? 0x1000u : side == 1 ? 0x0fffu : 0x1001u;
        } else {
            u = (uint32_t)vgs_rng_u64(&rng); /* any pattern */
        }
        const float f = f32_of(u);
        uint16_t got;
        vgs_f32_to_f16(1, &f, &got);
        if (f != f) {
            if (!((got & 0x7c00u) == 0x7c00u && (got & 0x3ffu) && (got >> 15) == (u >> 31)))
                return vgs_check_fail(msg, len, "f32_to_f16(NaN 0x%08x) = 0x%04x: not a NaN of the same sign", u, got);
            continue;
        }
        /* the half neighbours of |f| by search over the finite halves (0x0000..0x7bff ascending), then inf */
        const double a = fabs((double)f);
        uint32_t lo = 0, hi = 0x7c00u; /* largest half <= a, and the next one (0x7c00: inf, value 65536 here) */
        for (uint32_t step = 0x4000u; step; step >>= 1)
            if (lo + step < 0x7c00u && (double)f16_value((uint16_t)(lo + step)) <= a) lo += step;
        hi = lo + 1;
        uint16_t want;
        if (isinf(f)) {
            want = 0x7c00u;
        } else {
            const double v_lo = (double)f16_value((uint16_t)lo), v_hi = hi == 0x7c00u ? 65536.0 : (double)f16_value((uint16_t)hi);
            const double d_lo = a - v_lo, d_hi = v_hi - a;
            want = (uint16_t)((d_lo < d_hi || (d_lo == d_hi && !(lo & 1))) ? lo : hi);
        }
        want = (uint16_t)(want | (u >> 31) << 15);
        if (got != want)
            return vgs_check_fail(msg, len, "f32_to_f16(%.9g = 0x%08x) = 0x%04x, expected 0x%04x (nearest, ties to even)",
                                  (double)f, u, got, want);
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------
 *  f16_widen: every 16-bit pattern through fc_f16w of each tier, so through its vector load
 *  (VCVTPH2PS, FCVTL, the scalar code) in every lane of a body and of a tail: 65536 rows of
 *  k halves, k = 1 (a tail), VW (a body) and 2 VW - 1 (a body and a VW - 1 tail); batch k with
 *  x_b the unit vector e_b, bias NULL.  Row h holds half h in lane h mod k and zeros elsewhere
 *  (0 * inf would be NaN), so y_(h mod k)[h] = 1 * half + zeros must be the half's value
 *  exactly (f16_value: ldexp; -0 comes out +0, a NaN as some NaN).
 * ------------------------------------------------------------------------------------------ */

static int check_f16_widen(vgs_isa isa, char *msg, size_t len)
{
    const vgs_kernels *K = get_kernels(isa, msg, len);
    if (!K) return 1;
    const size_t vw = K->vector_width, ks[3] = {1, vw, 2 * vw - 1}, n = 65536;
    int fail = 0;
    for (size_t t = 0; t < 3 && !fail; t++) {
        const size_t k = ks[t];
        if (t && k == ks[t - 1]) continue; /* scalar: 1, 1, 1 */
        uint16_t *w = (uint16_t *)calloc(n * k, sizeof *w);
        float *x = (float *)calloc(k * k, sizeof *x), *y = (float *)malloc(k * n * sizeof *y);
        if (!w || !x || !y) fail = SETUP_FAIL(msg, len);
        for (size_t h = 0; h < n && !fail; h++) w[h * k + h % k] = (uint16_t)h;
        for (size_t b = 0; b < k && !fail; b++) x[b * k + b] = 1.0f;
        if (!fail) K->fc_f16w(n, k, w, NULL, k, x, k, y, n, -INFINITY, INFINITY);
        for (size_t h = 0; h < n && !fail; h++) {
            const float got = y[(h % k) * n + h], want = f16_value((uint16_t)h);
            if (want != want ? got == got : got != want)
                fail = vgs_check_fail(msg, len, "fc_f16w [%s]: k=%zu: half 0x%04zx in lane %zu widened to %.9g, expected %.9g",
                                      vgs_isa_to_string(isa), k, h, h % k, (double)got, (double)want);
        }
        free(w), free(x), free(y);
    }
    return fail;
}

/* ------------------------------------------------------------------------------------------
 *  softmax: n in 1..40 and 1000, 1001; inputs:
 *    0 uniform [-1, 1]               1 uniform [-80, 80] (most outputs underflow)
 *    2 uniform [60, 100]             (exp overflows fp32 unless the max is subtracted)
 *    3 all equal 100                 4 all equal -100 (exp underflows to 0 without the max)
 *    5 uniform [-1, 1] with the max (5) in the LAST element (the vector tail)
 *    6 one spike 80 at a random place, the rest -80
 *    7 uniform [-1, 1] with 100 in the LAST element: a max that misses the tail is off by
 *      ~99 and exp(x - max) overflows, so that bug cannot hide behind shift invariance
 *  each out of place (y in a sentinel buffer, x read-only and guarded) and in place (y == x).
 * ------------------------------------------------------------------------------------------ */

#define SOFTMAX_REGIMES 8

static void softmax_input(vgs_rng *rng, float *x, size_t n, int regime)
{
    switch (regime) {
    case 0: vgs_rng_fill(rng, x, n, -1.0f, 1.0f); break;
    case 1: vgs_rng_fill(rng, x, n, -80.0f, 80.0f); break;
    case 2: vgs_rng_fill(rng, x, n, 60.0f, 100.0f); break;
    case 3: for (size_t i = 0; i < n; i++) x[i] = 100.0f; break;
    case 4: for (size_t i = 0; i < n; i++) x[i] = -100.0f; break;
    case 5:
        vgs_rng_fill(rng, x, n, -1.0f, 1.0f);
        x[n - 1] = 5.0f;
        break;
    case 6:
        for (size_t i = 0; i < n; i++) x[i] = -80.0f;
        x[vgs_rng_u64(rng) % n] = 80.0f;
        break;
    default:
        vgs_rng_fill(rng, x, n, -1.0f, 1.0f);
        x[n - 1] = 100.0f;
        break;
    }
}

static const char *softmax_regime_name(int regime)
{
    static const char *names[SOFTMAX_REGIMES] = {
        "uniform[-1,1]", "uniform[-80,80]", "uniform[60,100]", "all 100",
        "all -100",      "uniform[-1,1], max 5 last", "spike 80 in -80",
        "uniform[-1,1], 100 last",
    };
    return names[regime];
}

static int check_softmax(vgs_isa isa, char *msg, size_t len)
{
    const vgs_kernels *K = get_kernels(isa, msg, len);
    if (!K) return 1;
    const size_t NMAX = 1001;
    vgs_guard gx;
    outbuf out;
    scratch s;
    memset(&gx, 0, sizeof gx);
    memset(&out, 0, sizeof out);
    memset(&s, 0, sizeof s);
    double *d = (double *)malloc(NMAX * sizeof(double));
    float *xin = (float *)malloc(NMAX * sizeof(float));
    int fail = vgs_guard_init(&gx, NMAX) | outbuf_init(&out, NMAX) | scratch_init(&s, NMAX) |
               (d && xin ? 0 : -1);
    if (fail) fail = SETUP_FAIL(msg, len);
    vgs_rng rng = vgs_rng_seed(0x50f7);
    unsigned v = 0;
    for (size_t in = 1; in <= 42 && !fail; in++) {
        size_t n = in <= 40 ? in : (in == 41 ? 1000 : 1001);
        for (int regime = 0; regime < SOFTMAX_REGIMES && !fail; regime++) {
            for (int inplace = 0; inplace < 2 && !fail; inplace++, v++) {
                int where = (int)((v / 2 + v) & 1);
                char wh[200];
                snprintf(wh, sizeof wh, "softmax [%s]: n=%zu x=%s %s guard=%s",
                         vgs_isa_to_string(isa), n, softmax_regime_name(regime),
                         inplace ? "in place (y == x)" : "out of place", layout_name(where));
                softmax_input(&rng, xin, n, regime);
                ref_softmax(n, xin, s.ref, d);
                double D = 0.0;
                for (size_t i = 0; i < n; i++) D += s.ref[i] * fabs(d[i]);
                double tol_sum = (double)n * ldexp(1.0, -52); /* the double sum below */
                for (size_t i = 0; i < n; i++) {
                    s.tol[i] = s.ref[i] * U23 * (fabs(d[i]) + D + (double)n + 7.0) + FLT_MIN;
                    tol_sum += s.tol[i];
                }
                float *y;
                softmax_args sa = {K, n, NULL, NULL};
                if (inplace) {
                    /* y == x: an ordinary writable buffer between sentinel margins */
                    y = outbuf_prepare(&out, n);
                    memcpy(y, xin, n * sizeof(float));
                    sa.x = sa.y = y;
                } else {
                    const float *x = vgs_guard_place(&gx, n, where);
                    memcpy(vgs_guard_wr(&gx, x), xin, n * sizeof(float));
                    y = outbuf_prepare(&out, n);
                    sa.x = x;
                    sa.y = y;
                }
                if ((fail = vgs_guarded_call(softmax_thunk, &sa, msg, len, wh))) break;
                static const out_names nm = {NULL, "i", 0};
                fail = check_output(msg, len, wh, y, 1, n, n, s.ref, s.tol, s.got, &nm);
                if (!fail) {
                    double sum = 0.0;
                    for (size_t i = 0; i < n; i++) sum += (double)y[i];
                    if (!(fabs(sum - 1.0) <= tol_sum))
                        fail = vgs_check_fail(msg, len, "%s: sum of outputs = %.9g, |sum - 1| "
                                              "%.3g > %.3g",
                                              wh, sum, fabs(sum - 1.0), tol_sum);
                }
            }
        }
    }
    vgs_guard_free(&gx);
    outbuf_free(&out);
    scratch_free(&s);
    free(d);
    free(xin);
    return fail;
}

/* ------------------------------------------------------------------------------------------
 *  empty: zero sizes.  The contracts define these results by their formulas (an empty sum is
 *  0): a zero count of outputs writes nothing, gemm with k = 0 is clamp(bias + r), fc with
 *  k = 0 is bias (or 0).  Inputs are empty ranges at the guard page (any read faults) and
 *  the output is all sentinel margins (any write shows).  global_avgpool with hw = 0 (a mean
 *  of nothing) is not defined by the contract and is not called.
 * ------------------------------------------------------------------------------------------ */

static int check_empty(vgs_isa isa, char *msg, size_t len)
{
    const vgs_kernels *K = get_kernels(isa, msg, len);
    if (!K) return 1;
    vgs_guard g0, g1, g2, g3;
    outbuf out;
    memset(&g0, 0, sizeof g0);
    memset(&g1, 0, sizeof g1);
    memset(&g2, 0, sizeof g2);
    memset(&g3, 0, sizeof g3);
    memset(&out, 0, sizeof out);
    int fail = vgs_guard_init(&g0, 64) | vgs_guard_init(&g1, 64) | vgs_guard_init(&g2, 64) |
               vgs_guard_init(&g3, 64) | outbuf_init(&out, 64);
    if (fail) {
        fail = SETUP_FAIL(msg, len);
        goto done;
    }
    /* empty ranges: pointers at the tail guard page itself */
    const float *e0 = vgs_guard_place(&g0, 0, VGS_AT_TAIL);
    const float *e1 = vgs_guard_place(&g1, 0, VGS_AT_TAIL);
    const float *e2 = vgs_guard_place(&g2, 0, VGS_AT_TAIL);
    const float *e3 = vgs_guard_place(&g3, 0, VGS_AT_TAIL);
    const char *in = vgs_isa_to_string(isa);
    static const out_names nm1 = {NULL, "i", 0};
    char wh[160];
    double ref[8] = {0}, tol[8] = {0};
    float got[8] = {0};

    /* gemm: m = 0, n = 0 (k = 3; the other operands are valid but empty) */
    for (int which = 0; which < 2 && !fail; which++) {
        size_t m = which ? 2 : 0, n = which ? 0 : 2;
        snprintf(wh, sizeof wh, "%s [%s]: m=%zu n=%zu k=3 (must write nothing)", K->gemm_name,
                 in, m, n);
        float *c = outbuf_prepare(&out, 0);
        gemm_args ga = {K, m, n, 3, 3, n, n, n, e0, e1, e2, e3, c, -INFINITY, INFINITY, NULL, NULL, NULL, NULL};
        if (!(fail = vgs_guarded_call(gemm_thunk, &ga, msg, len, wh)))
            fail = check_output(msg, len, wh, c, 0, 0, 0, ref, tol, got, &nm1);
    }
    /* gemm: k = 0 -> c = clamp(bias + r) */
    if (!fail) {
        float *bias = vgs_guard_wr(&g2, vgs_guard_place(&g2, 2, VGS_AT_TAIL));
        float *r = vgs_guard_wr(&g3, vgs_guard_place(&g3, 4, VGS_AT_TAIL));
        bias[0] = 0.25f;
        bias[1] = -2.0f;
        r[0] = 0.5f, r[1] = -0.125f, r[2] = 1.0f, r[3] = 0.75f;
        snprintf(wh, sizeof wh, "%s [%s]: m=2 n=2 k=0 bias=yes r=yes clamp=relu (c = relu(bias + r))",
                 K->gemm_name, in);
        float *c = outbuf_prepare(&out, 4);
        gemm_args ga = {K, 2, 2, 0, 0, 2, 2, 2, e0, e1, vgs_guard_place(&g2, 2, VGS_AT_TAIL),
                        vgs_guard_place(&g3, 4, VGS_AT_TAIL), c, 0.0f, INFINITY, NULL, NULL, NULL, NULL};
        static const out_names nm = {"i", "j", 0};
        ref[0] = 0.75, ref[1] = 0.125, ref[2] = 0.0, ref[3] = 0.0; /* exact in fp32 */
        if (!(fail = vgs_guarded_call(gemm_thunk, &ga, msg, len, wh)))
            fail = check_output(msg, len, wh, c, 2, 2, 2, ref, NULL, got, &nm);
    }
    /* conv / dwconv: h = 0, w = 0; dwconv c = 0 */
    for (int which = 0; which < 8 && !fail; which++) {
        size_t S = 1 + (which & 1), h = which & 2 ? 3 : 0, w = which & 2 ? 0 : 3;
        int dw = which >= 4;
        snprintf(wh, sizeof wh, "%s3x3s%zup1 [%s]: %s h=%zu w=%zu (must write nothing)",
                 dw ? "dwconv" : "conv", S, in, dw ? "c=1" : "cin=1", h, w);
        float *y = outbuf_prepare(&out, 0);
        const float *k = vgs_guard_place(&g1, 9, VGS_AT_TAIL);
        if (dw) {
            dwconv_args da = {S == 1 ? K->dwconv3x3s1p1 : K->dwconv3x3s2p1, 1, h, w, 0, 0, e0,
                              k, NULL, y, NULL, -INFINITY, INFINITY};
            fail = vgs_guarded_call(dwconv_thunk, &da, msg, len, wh);
        } else {
            conv_args ca = {S == 1 ? K->conv3x3s1p1 : K->conv3x3s2p1, 1, 1, h, w, 0, e0, k, NULL, y, 0,
                            -INFINITY, INFINITY, 0, 0};
            fail = vgs_guarded_call(conv_thunk, &ca, msg, len, wh);
        }
        if (!fail) fail = check_output(msg, len, wh, y, 0, 0, 0, ref, tol, got, &nm1);
    }
    for (int which = 0; which < 2 && !fail; which++) {
        size_t S = 1 + (size_t)which;
        snprintf(wh, sizeof wh, "dwconv3x3s%zup1 [%s]: c=0 h=3 w=3 (must write nothing)", S, in);
        float *y = outbuf_prepare(&out, 0);
        dwconv_args da = {S == 1 ? K->dwconv3x3s1p1 : K->dwconv3x3s2p1, 0, 3, 3, 9, 9, e0, e1,
                          e2, y, NULL, -INFINITY, INFINITY};
        if (!(fail = vgs_guarded_call(dwconv_thunk, &da, msg, len, wh)))
            fail = check_output(msg, len, wh, y, 0, 0, 0, ref, tol, got, &nm1);
    }
    /* pools: c = 0, h = 0, w = 0 */
    for (int which = 0; which < 6 && !fail; which++) {
        int is_max = which & 1;
        size_t c = which / 2 == 0 ? 0 : 2, h = which / 2 == 1 ? 0 : 3, w = which / 2 == 2 ? 0 : 3;
        snprintf(wh, sizeof wh, "%s [%s]: c=%zu h=%zu w=%zu (must write nothing)",
                 is_max ? "maxpool3x3s2p1" : "avgpool3x3s2p1", in, c, h, w);
        float *y = outbuf_prepare(&out, 0);
        pool_args pa = {is_max ? K->maxpool3x3s2p1 : K->avgpool3x3s2p1, c, h, w, h * w,
                        ((h + 1) / 2) * ((w + 1) / 2), e0, y};
        if (!(fail = vgs_guarded_call(pool_thunk, &pa, msg, len, wh)))
            fail = check_output(msg, len, wh, y, 0, 0, 0, ref, tol, got, &nm1);
    }
    /* global_avgpool: c = 0 */
    if (!fail) {
        snprintf(wh, sizeof wh, "global_avgpool [%s]: c=0 hw=4 (must write nothing)", in);
        float *y = outbuf_prepare(&out, 0);
        gap_args ga = {K, 0, 4, 4, e0, y};
        if (!(fail = vgs_guarded_call(gap_thunk, &ga, msg, len, wh)))
            fail = check_output(msg, len, wh, y, 0, 0, 0, ref, tol, got, &nm1);
    }
    /* fc: n = 0; k = 0 -> y = bias, or 0 without bias */
    if (!fail) {
        snprintf(wh, sizeof wh, "fc [%s]: n=0 k=5 (must write nothing)", in);
        float *y = outbuf_prepare(&out, 0);
        fc_args fa = {K, 0, 5, e0, e1, 1, e2, 5, y, 0, -INFINITY, INFINITY, NULL, 0};
        if (!(fail = vgs_guarded_call(fc_thunk, &fa, msg, len, wh)))
            fail = check_output(msg, len, wh, y, 0, 0, 0, ref, tol, got, &nm1);
        fa.wh = (const uint16_t *)(const void *)e0; /* fc_bf16w, then fc_f16w */
        for (fa.wh_f16 = 0; fa.wh_f16 < 2 && !fail; fa.wh_f16++)
            if (!(fail = vgs_guarded_call(fc_thunk, &fa, msg, len, wh)))
                fail = check_output(msg, len, wh, y, 0, 0, 0, ref, tol, got, &nm1);
    }
    for (int has_bias = 0; has_bias < 6 && !fail; has_bias++) { /* 2, 3: fc_bf16w; 4, 5: fc_f16w */
        float *b = vgs_guard_wr(&g2, vgs_guard_place(&g2, 3, VGS_AT_TAIL));
        b[0] = 0.5f, b[1] = -1.5f, b[2] = 3.0f;
        snprintf(wh, sizeof wh, "%s [%s]: n=3 k=0 bias=%s (y = bias, or 0)",
                 has_bias >= 4 ? "fc_f16w" : has_bias >= 2 ? "fc_bf16w" : "fc", in,
                 has_bias % 2 ? "yes" : "NULL");
        float *y = outbuf_prepare(&out, 3);
        fc_args fa = {K, 3, 0, e0, has_bias % 2 ? vgs_guard_place(&g2, 3, VGS_AT_TAIL) : NULL, 1, e1, 0, y, 3, -INFINITY, INFINITY,
                      has_bias >= 2 ? (const uint16_t *)(const void *)e0 : NULL, has_bias >= 4};
        for (int i = 0; i < 3; i++) ref[i] = has_bias % 2 ? (double)b[i] : 0.0;
        if (!(fail = vgs_guarded_call(fc_thunk, &fa, msg, len, wh)))
            fail = check_output(msg, len, wh, y, 1, 3, 3, ref, NULL, got, &nm1);
    }
    /* softmax: n = 0 */
    if (!fail) {
        snprintf(wh, sizeof wh, "softmax [%s]: n=0 (must write nothing)", in);
        float *y = outbuf_prepare(&out, 0);
        softmax_args sa = {K, 0, e0, y};
        if (!(fail = vgs_guarded_call(softmax_thunk, &sa, msg, len, wh)))
            fail = check_output(msg, len, wh, y, 0, 0, 0, ref, tol, got, &nm1);
    }
done:
    vgs_guard_free(&g0);
    vgs_guard_free(&g1);
    vgs_guard_free(&g2);
    vgs_guard_free(&g3);
    outbuf_free(&out);
    return fail;
}

/* ------------------------------------------------------------------------------------------
 *  The AVX-512 tier's two tables (arch/avx512/halves.h): vgs_kernels_for gives this
 *  processor's; the halves table shares every entry but the routed ones with the other; and
 *  each routed call, at shapes on both sides of every rule's threshold, gives the output of
 *  the tier the rule (as documented in vggshuffle.h) names: bit-identical to both tiers for
 *  the window kernels (which tier runs is a matter of speed there), and to that tier's own
 *  sums for the global pool and fc (the data make the two tiers' sums differ, so a call
 *  routed to the wrong one fails).  The sweeps above run the routed kernels on both tables.
 * ------------------------------------------------------------------------------------------ */

/* 0 if the halves table's output h equals the output of the tier the rule names (to_avx2:
 * a2, else f); same: the two tiers must agree (the window kernels), else they must differ. */
static int h512_cmp(const char *what, int to_avx2, int same, const float *h, const float *a2, const float *f, size_t n,
                    char *msg, size_t len)
{
    const float *want = to_avx2 ? a2 : f;
    if (memcmp(h, want, n * sizeof *h) != 0)
        return vgs_check_fail(msg, len, "%s: the halves table's output is not the %s kernel's", what,
                              to_avx2 ? "AVX2" : "AVX-512");
    const int differ = memcmp(a2, f, n * sizeof *h) != 0;
    if (same && differ) return vgs_check_fail(msg, len, "%s: the AVX2 and AVX-512 outputs differ", what);
    if (!same && !differ)
        return vgs_check_fail(msg, len, "%s: the data do not tell the AVX2 and AVX-512 sums apart", what);
    return 0;
}

static int check_avx512_tables(vgs_isa isa, char *msg, size_t len)
{
    (void)isa;
    if (!vgs_isa_supported(VGS_ISA_AVX512))
        return vgs_check_skip(msg, len, "AVX-512 does not run here: its two tables are checked where it does");
    const vgs_kernels *H = vgs_kernels_avx512(1), *F = vgs_kernels_avx512(0), *A = vgs_kernels_for(VGS_ISA_AVX2);
    if (!H || !F || !A || H == F)
        return vgs_check_fail(msg, len, "vgs_kernels_avx512(1) / (0): %p / %p", (const void *)H, (const void *)F);
    if (vgs_kernels_for(VGS_ISA_AVX512) != (vgs_x86_avx512_halves() ? H : F))
        return vgs_check_fail(msg, len, "vgs_kernels_for(avx512) is not vgs_kernels_avx512(vgs_x86_avx512_halves() = %d)",
                              vgs_x86_avx512_halves());
    if (H->isa != F->isa || H->vector_width != F->vector_width || strcmp(H->gemm_name, F->gemm_name) != 0 ||
        H->gemm != F->gemm || H->conv3x3s2p1 != F->conv3x3s2p1 ||
        H->softmax != F->softmax || H->fma_peak != F->fma_peak || H->winograd3x3_f23 != F->winograd3x3_f23 ||
        H->winograd3x3_f43 != F->winograd3x3_f43 || H->winograd3x3_f63 != F->winograd3x3_f63 ||
        H->adaptive_avgpool != F->adaptive_avgpool || H->gemm_pack_b != F->gemm_pack_b ||
        H->gemm_packed != F->gemm_packed)
        return vgs_check_fail(msg, len, "the halves table differs from the other in an entry it does not route");
    enum { C = 37, MAXF = C * 2048 * 2 };
    float *x = malloc(MAXF * sizeof *x), *w = malloc(MAXF * sizeof *w), *b = malloc(C * 67 * sizeof *b);
    float *y[3] = {malloc(MAXF * sizeof(float)), malloc(MAXF * sizeof(float)), malloc(MAXF * sizeof(float))};
    uint16_t *wh = malloc(MAXF * sizeof *wh), *wf = malloc(MAXF * sizeof *wf);
    int32_t idx[C];
    int fail = 0;
    if (!x || !w || !b || !y[0] || !y[1] || !y[2] || !wh || !wf) fail = SETUP_FAIL(msg, len);
    vgs_rng r = vgs_rng_seed(0x512);
    if (!fail) {
        vgs_rng_fill(&r, x, MAXF, -1.0f, 1.0f);
        vgs_rng_fill(&r, w, MAXF, -1.0f, 1.0f);
        vgs_rng_fill(&r, b, C * 67, -0.5f, 0.5f);
        vgs_f32_to_bf16(MAXF, w, wh);
        vgs_f32_to_f16(MAXF, w, wf);
        for (int i = 0; i < C; i++) idx[i] = (i * 5) % C; /* a permutation: 5 and 37 coprime */
    }
    const vgs_kernels *T[3] = {H, A, F};
    char what[96];
    /* dwconv3x3 stride 1: AVX2 for planes of <= 256 or > 1024 pixels */
    static const size_t s1[8][2] = {{7, 7}, {16, 16}, {17, 15}, {16, 17}, {28, 28}, {32, 32}, {33, 31}, {33, 33}};
    for (int i = 0; i < 8 && !fail; i++) {
        const size_t h = s1[i][0], wd = s1[i][1], px = h * wd;
        for (int t = 0; t < 3; t++)
            T[t]->dwconv3x3s1p1(C, h, wd, x, px, w, b, y[t], px, idx, 0.0f, 6.0f);
        snprintf(what, sizeof what, "dwconv3x3s1p1 %zux%zu", h, wd);
        fail = h512_cmp(what, px <= 256 || px > 1024, 1, y[0], y[1], y[2], C * px, msg, len);
    }
    /* conv3x3s1p1: AVX2 for at most 4 input channels (a band of rows, as the runtime calls it) */
    static const size_t cc[4] = {1, 4, 5, 16};
    for (int i = 0; i < 4 && !fail; i++) {
        const size_t h = 19, wd = 23, px = h * wd, cout = 13;
        for (int t = 0; t < 3; t++) {
            memset(y[t], 0, cout * px * sizeof(float));
            T[t]->conv3x3s1p1(cc[i], cout, h, wd, x, px, w, b, y[t], px, -INFINITY, INFINITY, 2, 17);
        }
        snprintf(what, sizeof what, "conv3x3s1p1 %zu -> %zu at %zux%zu", cc[i], cout, h, wd);
        fail = h512_cmp(what, cc[i] <= 4, 1, y[0], y[1], y[2], cout * px, msg, len);
    }
    /* the stride-2 windows: AVX2 for inputs narrower than 23 columns */
    static const size_t s2[7][2] = {{13, 14}, {28, 21}, {13, 22}, {28, 23}, {13, 24}, {28, 28}, {7, 7}};
    for (int i = 0; i < 7 && !fail; i++) {
        const size_t h = s2[i][0], wd = s2[i][1], px = h * wd, opx = (h + 1) / 2 * ((wd + 1) / 2);
        for (int op = 0; op < 3 && !fail; op++) {
            for (int t = 0; t < 3; t++) {
                if (op == 0) T[t]->dwconv3x3s2p1(C, h, wd, x, px, w, b, y[t], opx, NULL, -INFINITY, INFINITY);
                else if (op == 1) T[t]->maxpool3x3s2p1(C, h, wd, x, px, y[t], opx);
                else T[t]->avgpool3x3s2p1(C, h, wd, x, px, y[t], opx);
            }
            snprintf(what, sizeof what, "%s %zux%zu",
                     op == 0 ? "dwconv3x3s2p1" : op == 1 ? "maxpool3x3s2p1" : "avgpool3x3s2p1", h, wd);
            fail = h512_cmp(what, wd < 23, 1, y[0], y[1], y[2], C * opx, msg, len);
        }
    }
    /* maxpool2x2: AVX2 where a row has 8 or more outputs past its 16-lane vectors */
    static const size_t m2[8] = {30, 32, 46, 48, 56, 64, 65, 112};
    for (int i = 0; i < 8 && !fail; i++) {
        const size_t h = 5, wd = m2[i], opx = h / 2 * (wd / 2);
        for (int t = 0; t < 3; t++) T[t]->maxpool2x2s2(C, h, wd, x, h * wd, y[t], opx);
        snprintf(what, sizeof what, "maxpool2x2s2 %zux%zu", h, wd);
        fail = h512_cmp(what, wd / 2 % 16 >= 8, 1, y[0], y[1], y[2], C * opx, msg, len);
    }
    /* global average pooling: AVX2 below 2048 pixels */
    static const size_t gp[4] = {49, 2047, 2048, 3136};
    for (int i = 0; i < 4 && !fail; i++) {
        const size_t c = MAXF / gp[i] < C ? MAXF / gp[i] : C;
        for (int t = 0; t < 3; t++) T[t]->global_avgpool(c, gp[i], x, gp[i], y[t]);
        snprintf(what, sizeof what, "global_avgpool %zu x %zu pixels", c, gp[i]);
        fail = h512_cmp(what, gp[i] < 2048, 0, y[0], y[1], y[2], c, msg, len);
    }
    /* fc, all three weight types: AVX2 below 1024 inputs */
    static const size_t fk[4] = {192, 1023, 1024, 1500};
    for (int i = 0; i < 4 && !fail; i++) {
        const size_t n = 67, k = fk[i];
        for (int wt = 0; wt < 3 && !fail; wt++) {
            for (int t = 0; t < 3; t++) {
                if (wt == 0) T[t]->fc(n, k, w, b, 2, x, k, y[t], n, -INFINITY, INFINITY);
                else if (wt == 1) T[t]->fc_bf16w(n, k, wh, b, 2, x, k, y[t], n, -INFINITY, INFINITY);
                else T[t]->fc_f16w(n, k, wf, b, 2, x, k, y[t], n, -INFINITY, INFINITY);
            }
            snprintf(what, sizeof what, "%s %zu <- %zu", wt == 0 ? "fc" : wt == 1 ? "fc_bf16w" : "fc_f16w", n, k);
            fail = h512_cmp(what, k < 1024, 0, y[0], y[1], y[2], 2 * n, msg, len);
        }
    }
    free(x), free(w), free(b), free(wh), free(wf);
    for (int t = 0; t < 3; t++) free(y[t]);
    return fail;
}

/* ------------------------------------------------------------------------------------------
 *  The table
 * ------------------------------------------------------------------------------------------ */

VGS_CHECK_BOTH(check_conv3x3s1p1)
VGS_CHECK_BOTH(check_dwconv3x3s1p1)
VGS_CHECK_BOTH(check_dwconv3x3s2p1)
VGS_CHECK_BOTH(check_maxpool)
VGS_CHECK_BOTH(check_avgpool)
VGS_CHECK_BOTH(check_lanes_dwconv_s1)
VGS_CHECK_BOTH(check_lanes_dwconv_s2)
VGS_CHECK_BOTH(check_lanes_maxpool)
VGS_CHECK_BOTH(check_lanes_avgpool)
VGS_CHECK_BOTH(check_global_avgpool)
VGS_CHECK_BOTH(check_fc)
VGS_CHECK_BOTH(check_fc_bf16w)
VGS_CHECK_BOTH(check_fc_f16w)
VGS_CHECK_BOTH(check_table)

const vgs_check_case vgs_kernel_checks[] = {
    {"kernels", "table", check_table_both, 0},
    {"kernels", "gemm", check_gemm, 0},
    {"kernels", "gemm_strided", check_gemm_strided, 0},
    {"kernels", "gemm_large", check_gemm_large, 0},
    {"kernels", "gemm_task_rows", check_gemm_task_rows, 1},
    {"kernels", "gemm_indexed", check_gemm_indexed, 0},
    {"kernels", "conv3x3s1p1", check_conv3x3s1p1_both, 0},
    {"kernels", "conv3x3s2p1", check_conv3x3s2p1, 0},
    {"kernels", "dwconv3x3s1p1", check_dwconv3x3s1p1_both, 0},
    {"kernels", "dwconv3x3s2p1", check_dwconv3x3s2p1_both, 0},
    {"kernels", "maxpool3x3s2p1", check_maxpool_both, 0},
    {"kernels", "avgpool3x3s2p1", check_avgpool_both, 0},
    {"kernels", "dwconv3x3s1p1_small_planes", check_lanes_dwconv_s1_both, 0},
    {"kernels", "dwconv3x3s2p1_small_planes", check_lanes_dwconv_s2_both, 0},
    {"kernels", "maxpool3x3s2p1_small_planes", check_lanes_maxpool_both, 0},
    {"kernels", "avgpool3x3s2p1_small_planes", check_lanes_avgpool_both, 0},
    {"kernels", "global_avgpool", check_global_avgpool_both, 0},
    {"kernels", "fc", check_fc_both, 0},
    {"kernels", "fc_bf16w", check_fc_bf16w_both, 0},
    {"kernels", "bf16", check_bf16, 1},
    {"kernels", "fc_f16w", check_fc_f16w_both, 0},
    {"kernels", "f16_widen", check_f16_widen, 0},
    {"kernels", "f16", check_f16, 1},
    {"kernels", "softmax", check_softmax, 0},
    {"kernels", "empty", check_empty, 0},
    {"kernels", "avx512_tables", check_avx512_tables, 1},
};
const size_t vgs_kernel_checks_count = sizeof vgs_kernel_checks / sizeof vgs_kernel_checks[0];
