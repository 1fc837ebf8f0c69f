/* tests/check_winograd.c — checks of the Winograd 3x3 convolution (vgs_kernels.winograd3x3_f23 /
 * _f43 / _f63 and the vgs_winograd3x3_* helpers, vggshuffle.h "KERNELS") against an fp64
 * direct convolution, on one ISA at a time.  Run by both front ends (tests/test_main.c,
 * tests/tap_runner.c) like check_kernels.c, in the same style: inputs flush against guard
 * pages and read-only, NaN in the gaps of the input, the output between sentinel margins
 * (a store outside its window is reported), the scratch exactly as large as
 * vgs_winograd3x3_scratch_floats says and flush against a guard page.
 *
 * Sweep per variant (m = 2, 4, 6) and tier:
 *  - every h, w in 1..13 (every residue of h and w mod m, tiles cropped in every way), and
 *    60 x 58, 23 x 40, 14 x 150 (long rows of whole tiles); (cin, cout) rotating over the pairs of {1, 3, 7, 16, 17, 64};
 *    per call rotating: clamp none / ReLU / [-0.5, 0.5], bias or NULL, pool or not (odd
 *    sizes included: floor mode), gaps in the input channel stride and output plane stride,
 *    guard side; every shape at input scale x1 and x1000 (x and bias scaled);
 *  - sub-ranges: tile rows and output channels split into irregular pieces (channel cuts not
 *    at multiples of 6), each piece one call: the union must equal the whole call bit for bit;
 *  - NaN: a NaN bias makes its channel NaN through ReLU and the pool; a NaN input pixel makes
 *    NaN every output whose 3x3 window holds it (and the pooled ones), while outputs of tiles
 *    whose input patch does not hold it are unaffected.
 * Quick mode (VGS_CHECK_QUICK=1, the qemu runs): the 13 x 13 grid keeps every shape but with
 * cin, cout <= 17 except one 64 x 64 case per variant, and at x1000 only every third shape;
 * of the large shapes 23 x 40 and 14 x 150.
 *
 * Tolerance (a rigorous first-order bound, u = 2^-24): every output is a sum of terms
 *   a * U_xi * b * x  (a: entries of A^T A, b: of B^T B, U = G k G^T rounded once)
 * and each term passes through at most N roundings: 1 (U), 2 * nnz(B^T row) per input
 * pass (x2 passes), 2 per transformed-domain step (cin steps; 2 covers a mul + add where a
 * tier has no FMA), 2 * nnz(A^T row) per output pass (x2), 1 (bias).  Higham's bound
 * (Accuracy and Stability of Numerical Algorithms, §3.1) then gives
 *   |y - y_exact| <= gamma_N * E,  E = |bias| + sum_ci |A^T| (|U| . (|B^T| |x_tile| |B|)) |A|
 * computed here in fp64 from the same matrices.  E is where the variants differ: the larger
 * entries of F(6,3)'s matrices make E (and the error) grow with m.  The clamp and max are
 * 1-Lipschitz, so the bound holds after them (a pooled output: the largest bound of its 4).
 * The transforms use only dyadic constants (exact in fp32), so each multiplication by one is a
 * single rounding; the bound is not loosened anywhere.
 * Printed per variant and tier: the largest |error| / (u * sum |k x|) (the error relative to
 * the direct convolution's own magnitude, in units of u) at x1 and x1000, and the largest
 * error / tolerance.  The check also requires the x1000 relative error to be within 4x of
 * the x1 one (the error grows linearly with the scale). */
#include "checks.h"
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function" /* this file uses ref_conv3x3 only */
#include "ref.h"
#pragma GCC diagnostic pop

#define WMARGIN 64
#define CH_N 6
static const size_t CHS[CH_N] = {1, 3, 7, 16, 17, 64};

static vgs_winograd3x3_fn variant_fn(const vgs_kernels *K, int m)
{
    return m == 2 ? K->winograd3x3_f23 : m == 4 ? K->winograd3x3_f43 : K->winograd3x3_f63;
}

/* A writable buffer of n floats flush against a PROT_NONE page (for the scratch). */
typedef struct wguard {
    unsigned char *map;
    size_t len;
    float *p;
} wguard;

static int wguard_init(wguard *g, size_t n)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE), bytes = (n * sizeof(float) + page - 1) / page * page;
    g->len = bytes + page;
    void *m = mmap(NULL, g->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return -1;
    g->map = (unsigned char *)m;
    if (mprotect(g->map + bytes, page, PROT_NONE) != 0) return -1;
    g->p = (float *)(void *)(g->map + bytes - n * sizeof(float));
    return 0;
}

static void wguard_free(wguard *g)
{
    if (g->map) munmap(g->map, g->len);
    memset(g, 0, sizeof *g);
}

/* ------------------------------------------------------------------------------------------
 *  fp64 reference: direct convolution, its magnitude, and the Winograd bound E
 * ------------------------------------------------------------------------------------------ */

typedef struct mats {
    int m, a;
    const double *at, *g, *bt;
    int nnz_at, nnz_bt; /* the most non-zeros of a row */
} mats;

static int get_mats(int m, mats *M)
{
    M->m = m;
    M->a = m + 2;
    if (vgs_winograd3x3_matrices(m, &M->at, &M->g, &M->bt) != VGS_OK) return -1;
    M->nnz_at = M->nnz_bt = 0;
    for (int i = 0; i < M->a; i++) {
        int n1 = 0, n2 = 0;
        for (int j = 0; j < M->a; j++) n1 += M->bt[i * M->a + j] != 0.0, n2 += i < m && M->at[i * M->a + j] != 0.0;
        if (n1 > M->nnz_bt) M->nnz_bt = n1;
        if (n2 > M->nnz_at) M->nnz_at = n2;
    }
    return 0;
}

/* Wb[(tile * cin + ci) * alpha^2 + xi] = (|B^T| |d| |B|)[xi] of every tile's input patch. */
static void ref_patch_bounds(const mats *M, size_t cin, size_t h, size_t w, const float *x, size_t xcs, double *Wb)
{
    const int m = M->m, a = M->a;
    const size_t th = (h + m - 1) / m, tw = (w + m - 1) / m;
    double T[64];
    for (size_t t = 0; t < th * tw; t++) {
        const size_t ty = t / tw, tx = t % tw;
        for (size_t ci = 0; ci < cin; ci++) {
            double *W = Wb + (t * cin + ci) * (size_t)(a * a);
            for (int i = 0; i < a; i++)
                for (int q = 0; q < a; q++) {
                    double s = 0.0;
                    for (int p = 0; p < a; p++) {
                        long r = (long)(ty * m + p) - 1, c = (long)(tx * m + q) - 1;
                        if (r < 0 || c < 0 || r >= (long)h || c >= (long)w) continue;
                        s += fabs(M->bt[i * a + p]) * fabs((double)x[ci * xcs + (size_t)r * w + (size_t)c]);
                    }
                    T[i * a + q] = s;
                }
            for (int i = 0; i < a; i++)
                for (int j = 0; j < a; j++) {
                    double s = 0.0;
                    for (int q = 0; q < a; q++) s += T[i * a + q] * fabs(M->bt[j * a + q]);
                    W[i * a + j] = s;
                }
        }
    }
}

/* E (see the header) of every output of channel o (h x w dense), without the |bias|. */
static void ref_bound(const mats *M, size_t cin, size_t h, size_t w, const double *Wb, const float *u,
                      size_t cout, size_t o, double *E)
{
    const int m = M->m, a = M->a;
    const size_t th = (h + m - 1) / m, tw = (w + m - 1) / m, ncb = (cout + 5) / 6;
    double S[64], T[64];
    for (size_t t = 0; t < th * tw; t++) {
        const size_t ty = t / tw, tx = t % tw;
        for (int e = 0; e < a * a; e++) S[e] = 0.0;
        for (size_t ci = 0; ci < cin; ci++) {
            const double *W = Wb + (t * cin + ci) * (size_t)(a * a);
            for (int e = 0; e < a * a; e++)
                S[e] += fabs((double)u[(((size_t)e * ncb + o / 6) * cin + ci) * 6 + o % 6]) * W[e];
        }
        /* E = |A^T| S |A| */
        for (int i = 0; i < m; i++)
            for (int q = 0; q < a; q++) {
                double s = 0.0;
                for (int p = 0; p < a; p++) s += fabs(M->at[i * a + p]) * S[p * a + q];
                T[i * a + q] = s;
            }
        for (int i = 0; i < m; i++)
            for (int j = 0; j < m; j++) {
                size_t oy = ty * m + i, ox = tx * m + j;
                if (oy >= h || ox >= w) continue;
                double s = 0.0;
                for (int q = 0; q < a; q++) s += T[i * a + q] * fabs(M->at[j * a + q]);
                E[oy * w + ox] = s;
            }
    }
}

/* ------------------------------------------------------------------------------------------
 *  One case
 * ------------------------------------------------------------------------------------------ */

typedef struct fixture {
    vgs_guard gx, gk, gu, gb;
    wguard gs;
    float *out;      /* WMARGIN + max output + WMARGIN            */
    float *out2;     /* the same, for the split calls             */
    size_t out_cap;
    double *ref, *mag, *E; /* cout x h x w */
    float *kbuf;     /* the OIHW weights (writable copy)          */
    double *Wb;      /* ref_patch_bounds                          */
} fixture;

#define MAX_C 64
#define MAX_HW (60 * 58)

static void fixture_free(fixture *f)
{
    vgs_guard_free(&f->gx), vgs_guard_free(&f->gk), vgs_guard_free(&f->gu), vgs_guard_free(&f->gb);
    wguard_free(&f->gs);
    free(f->out), free(f->out2), free(f->ref), free(f->mag), free(f->E), free(f->kbuf), free(f->Wb);
    memset(f, 0, sizeof *f);
}

static int fixture_init(fixture *f)
{
    memset(f, 0, sizeof *f);
    const size_t xmax = MAX_C * (MAX_HW + 8), kmax = MAX_C * MAX_C * 9;
    const size_t umax = vgs_winograd3x3_weights_floats(6, MAX_C, MAX_C);
    f->out_cap = MAX_C * (MAX_HW + 8) + 2 * WMARGIN;
    int bad = vgs_guard_init(&f->gx, xmax) | vgs_guard_init(&f->gk, kmax) | vgs_guard_init(&f->gu, umax) |
              vgs_guard_init(&f->gb, MAX_C);
    f->out = (float *)malloc(f->out_cap * sizeof(float));
    f->out2 = (float *)malloc(f->out_cap * sizeof(float));
    f->ref = (double *)malloc(MAX_C * MAX_HW * sizeof(double));
    f->mag = (double *)malloc(MAX_C * MAX_HW * sizeof(double));
    f->E = (double *)malloc(MAX_C * MAX_HW * sizeof(double));
    f->kbuf = (float *)malloc(kmax * sizeof(float));
    f->Wb = (double *)malloc(30 * 29 * MAX_C * 16 * sizeof(double)); /* the most: m = 2 at 60 x 58 */
    if (bad || !f->Wb || !f->out || !f->out2 || !f->ref || !f->mag || !f->E || !f->kbuf) {
        fixture_free(f);
        return -1;
    }
    return 0;
}

typedef struct wino_args {
    vgs_winograd3x3_fn fn;
    size_t cin, cout, h, w, xcs, ycs, tr0, tr1, oc0, oc1;
    const float *x, *u, *bias;
    float *y, *scratch;
    float lo, hi;
    int pool;
} wino_args;

static void wino_thunk(void *p)
{
    const wino_args *a = (const wino_args *)p;
    a->fn(a->cin, a->cout, a->h, a->w, a->x, a->xcs, a->u, a->bias, a->y, a->ycs, a->lo, a->hi, a->pool,
          a->tr0, a->tr1, a->oc0, a->oc1, a->scratch);
}

typedef struct stats {
    double rel[2];   /* largest |err| / (u * mag), at scale x1 and x1000 */
    double ratio;    /* largest err / tol                                 */
} stats;

typedef struct wcase {
    int m;
    size_t cin, cout, h, w;
    int clamp;       /* 0 none, 1 relu, 2 [-0.5, 0.5] (x scale) */
    int has_bias, pool, xgap, ygap, where, big;
    int split;       /* also run as pieces and compare bitwise */
} wcase;

static const char *CLAMP_NAMES[3] = {"none", "relu", "[-0.5,0.5]*scale"};

/* Place the inputs, transform the weights, set up the scratch.  Returns 0 or fails. */
static int run_case(const vgs_kernels *K, fixture *f, vgs_rng *rng, const wcase *c, stats *st,
                    char *msg, size_t len)
{
    const int m = c->m;
    const double scale = c->big ? 1000.0 : 1.0;
    const size_t h = c->h, w = c->w, cin = c->cin, cout = c->cout, hw = h * w;
    const size_t xcs = hw + (c->xgap ? 3 : 0);
    const size_t oh = c->pool ? h / 2 : h, ow = c->pool ? w / 2 : w, ohw = oh * ow;
    const size_t ycs = ohw + (c->ygap ? 5 : 0);
    const float lo = c->clamp == 0 ? -INFINITY : c->clamp == 1 ? 0.0f : (float)(-0.5 * scale);
    const float hi = c->clamp == 2 ? (float)(0.5 * scale) : INFINITY;
    char wh[400];
    snprintf(wh, sizeof wh,
             "winograd3x3_f%d3 [%s]: cin=%zu cout=%zu h=%zu w=%zu x_cstride=%zu y_cstride=%zu bias=%s "
             "clamp=%s pool=%d scale=x%g guard=%s",
             m, vgs_isa_to_string(K->isa), cin, cout, h, w, xcs, ycs, c->has_bias ? "yes" : "NULL",
             CLAMP_NAMES[c->clamp], c->pool, scale, c->where == VGS_AT_HEAD ? "head" : "tail");

    const size_t xfp = (cin - 1) * xcs + hw;
    const float *x = vgs_guard_place(&f->gx, xfp, c->where);
    float *xw = vgs_guard_wr(&f->gx, x);
    vgs_fill_sentinel(xw, xfp);
    for (size_t i = 0; i < cin; i++)
        for (size_t p = 0; p < hw; p++) xw[i * xcs + p] = (float)(scale * vgs_rng_float(rng, -1.0f, 1.0f));
    vgs_rng_fill(rng, f->kbuf, cout * cin * 9, -1.0f, 1.0f);
    const size_t nu = vgs_winograd3x3_weights_floats(m, cout, cin);
    const float *u = vgs_guard_place(&f->gu, nu, c->where);
    if (vgs_winograd3x3_transform_weights(m, cout, cin, f->kbuf, vgs_guard_wr(&f->gu, u)) != VGS_OK)
        return vgs_check_fail(msg, len, "%s: vgs_winograd3x3_transform_weights failed: %s", wh, vgs_last_error());
    const float *bias = NULL;
    if (c->has_bias) {
        bias = vgs_guard_place(&f->gb, cout, c->where);
        float *bw = vgs_guard_wr(&f->gb, bias);
        for (size_t o = 0; o < cout; o++) bw[o] = (float)(scale * vgs_rng_float(rng, -1.0f, 1.0f));
    }
    const size_t ns = vgs_winograd3x3_scratch_floats(m, cin);
    wguard_free(&f->gs);
    if (wguard_init(&f->gs, ns) != 0) return vgs_check_fail(msg, len, "test setup: mmap failed");

    const size_t yfp = (cout - 1) * ycs + ohw;
    if (yfp + 2 * WMARGIN > f->out_cap) abort();
    vgs_fill_sentinel(f->out, yfp + 2 * WMARGIN);
    float *y = f->out + WMARGIN;
    const size_t th = vgs_winograd3x3_tile_rows(m, h);
    wino_args wa = {variant_fn(K, m), cin, cout, h, w, xcs, ycs, 0, th, 0, cout, x, u, bias, y, f->gs.p, lo, hi, c->pool};
    if (vgs_guarded_call(wino_thunk, &wa, msg, len, wh)) return 1;

    /* outside the windows: untouched */
    char vb[64];
    for (size_t i = 0; i < WMARGIN; i++)
        if (!vgs_is_sentinel(f->out[i]) || !vgs_is_sentinel(y[yfp + i]))
            return vgs_check_fail(msg, len, "%s: wrote outside the output (%s)", wh,
                                  !vgs_is_sentinel(f->out[i]) ? "before the first plane" : "after the last plane");
    for (size_t o = 0; o + 1 < cout; o++)
        for (size_t p = ohw; p < ycs; p++)
            if (!vgs_is_sentinel(y[o * ycs + p]))
                return vgs_check_fail(msg, len, "%s: wrote into the gap after plane %zu: %s", wh, o,
                                      vgs_fmt_float(y[o * ycs + p], vb, sizeof vb));

    /* reference, bound, comparison */
    mats M;
    get_mats(m, &M);
    const double N = 1 + 4.0 * M.nnz_bt + 2.0 * (double)cin + 4.0 * M.nnz_at + 1;
    const double gamma = N * 0x1p-24 / (1 - N * 0x1p-24);
    ref_patch_bounds(&M, cin, h, w, x, xcs, f->Wb);
    for (size_t o = 0; o < cout; o++) {
        double *ref = f->ref + o * hw, *mag = f->mag + o * hw, *E = f->E + o * hw;
        ref_conv3x3(1, cin, h, w, x, xcs, f->kbuf + o * cin * 9, bias ? bias[o] : 0.0f, -INFINITY, INFINITY, ref, mag);
        ref_bound(&M, cin, h, w, f->Wb, u, cout, o, E);
        for (size_t p = 0; p < hw; p++) E[p] = gamma * (E[p] + (bias ? fabs((double)bias[o]) : 0.0)) + 1e-30;
        for (size_t oy = 0; oy < oh; oy++)
            for (size_t ox = 0; ox < ow; ox++) {
                double want, tol, mg;
                if (c->pool) {
                    want = -INFINITY, tol = 0, mg = 0;
                    for (int k = 0; k < 4; k++) {
                        size_t p = (2 * oy + k / 2) * w + 2 * ox + k % 2;
                        double v = ref_clamp(ref[p], lo, hi);
                        if (v > want) want = v;
                        if (E[p] > tol) tol = E[p];
                        if (mag[p] > mg) mg = mag[p];
                    }
                } else {
                    want = ref_clamp(ref[oy * w + ox], lo, hi);
                    tol = E[oy * w + ox], mg = mag[oy * w + ox];
                }
                const float got = y[o * ycs + oy * ow + ox];
                const double err = fabs((double)got - want);
                if (!(err <= tol))
                    return vgs_check_fail(msg, len, "%s: plane %zu oy=%zu ox=%zu: got %s, expected %.9g, |err| %.3g > tol %.3g "
                                          "(bound gamma_%g * E)", wh, o, oy, ox, vgs_fmt_float(got, vb, sizeof vb), want, err,
                                          tol, N);
                if (mg > 0 && err / (0x1p-24 * mg) > st->rel[c->big]) st->rel[c->big] = err / (0x1p-24 * mg);
                if (err / tol > st->ratio) st->ratio = err / tol;
            }
    }

    /* sub-ranges: irregular pieces of tile rows x channels, one call each, bit-identical */
    if (c->split) {
        vgs_fill_sentinel(f->out2, yfp + 2 * WMARGIN);
        float *y2 = f->out2 + WMARGIN;
        const size_t rcut[] = {0, th / 3, th / 3 + (th > 1), th}, ocut[] = {0, cout / 4 + 1, cout / 2 + 2, cout};
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) {
                wino_args pa = wa;
                pa.y = y2;
                pa.tr0 = rcut[i], pa.tr1 = rcut[i + 1] > th ? th : rcut[i + 1];
                pa.oc0 = ocut[j] > cout ? cout : ocut[j], pa.oc1 = ocut[j + 1] > cout ? cout : ocut[j + 1];
                if (pa.tr0 > pa.tr1 || pa.oc0 > pa.oc1) continue;
                if (vgs_guarded_call(wino_thunk, &pa, msg, len, wh)) return 1;
            }
        if (memcmp(f->out, f->out2, (yfp + 2 * WMARGIN) * sizeof(float)) != 0) {
            size_t i = 0;
            while (!memcmp(f->out + i, f->out2 + i, sizeof(float))) i++;
            return vgs_check_fail(msg, len, "%s: split into tile rows {0,%zu,%zu,%zu} x channels {0,%zu,%zu,%zu}: "
                                  "float %zd of the output differs from the whole call: %s vs %s",
                                  wh, rcut[1], rcut[2], th, ocut[1], ocut[2], cout, (ptrdiff_t)i - WMARGIN,
                                  vgs_fmt_float(f->out2[i], vb, sizeof vb), vgs_fmt_float(f->out[i], vb + 32, 32));
        }
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------
 *  NaN propagation
 * ------------------------------------------------------------------------------------------ */

static int nan_cases(const vgs_kernels *K, fixture *f, int m, char *msg, size_t len)
{
    vgs_rng rng = vgs_rng_seed(0xa0 + (uint64_t)m);
    char vb[64];
    for (int which = 0; which < 4; which++) {
        const int pool = which & 1, nan_bias = which < 2;
        const size_t h = 13, w = 11, cin = 3, cout = 2, hw = h * w;
        const size_t oh = pool ? h / 2 : h, ow = pool ? w / 2 : w;
        /* NaN pixel at (ny, nx), one per parity class across the variants */
        const size_t ny = 5 + (size_t)which / 2, nx = 3 + (size_t)m / 2;
        char wh[200];
        snprintf(wh, sizeof wh, "winograd3x3_f%d3 [%s]: NaN %s, cin=%zu cout=%zu h=%zu w=%zu relu pool=%d", m,
                 vgs_isa_to_string(K->isa), nan_bias ? "bias of channel 1" : "input pixel", cin, cout, h, w, pool);
        const float *x = vgs_guard_place(&f->gx, cin * hw, VGS_AT_TAIL);
        float *xw = vgs_guard_wr(&f->gx, x);
        vgs_rng_fill(&rng, xw, cin * hw, -1.0f, 1.0f);
        if (!nan_bias) xw[1 * hw + ny * w + nx] = NAN;
        vgs_rng_fill(&rng, f->kbuf, cout * cin * 9, -1.0f, 1.0f);
        const float *u = vgs_guard_place(&f->gu, vgs_winograd3x3_weights_floats(m, cout, cin), VGS_AT_TAIL);
        vgs_winograd3x3_transform_weights(m, cout, cin, f->kbuf, vgs_guard_wr(&f->gu, u));
        const float *bias = vgs_guard_place(&f->gb, cout, VGS_AT_TAIL);
        float *bw = vgs_guard_wr(&f->gb, bias);
        bw[0] = 0.25f, bw[1] = nan_bias ? NAN : -0.25f;
        wguard_free(&f->gs);
        if (wguard_init(&f->gs, vgs_winograd3x3_scratch_floats(m, cin))) return vgs_check_fail(msg, len, "test setup: mmap failed");
        float *y = f->out + WMARGIN;
        vgs_fill_sentinel(f->out, cout * oh * ow + 2 * WMARGIN);
        wino_args wa = {variant_fn(K, m), cin, cout, h, w, hw, oh * ow, 0, vgs_winograd3x3_tile_rows(m, h), 0, cout,
                        x, u, bias, y, f->gs.p, 0.0f, INFINITY, pool};
        if (vgs_guarded_call(wino_thunk, &wa, msg, len, wh)) return 1;
        for (size_t o = 0; o < cout; o++) {
            for (size_t oy = 0; oy < oh; oy++)
                for (size_t ox = 0; ox < ow; ox++) {
                    const float got = y[o * oh * ow + oy * ow + ox];
                    int must_nan = nan_bias && o == 1, may_nan = must_nan;
                    for (int k = 0; k < (pool ? 4 : 1) && !nan_bias; k++) {
                        const size_t py = pool ? 2 * oy + k / 2 : oy, px = pool ? 2 * ox + k % 2 : ox;
                        /* the 3x3 window holds the NaN pixel: NaN (as PyTorch) */
                        if (py + 1 >= ny && py <= ny + 1 && px + 1 >= nx && px <= nx + 1) must_nan = 1;
                        /* the tile's input patch holds it: NaN allowed */
                        const size_t ty = py / (size_t)m, tx = px / (size_t)m;
                        if (ny + 1 >= ty * m && ny + 1 <= ty * m + m + 1 && nx + 1 >= tx * m && nx + 1 <= tx * m + m + 1)
                            may_nan = 1;
                    }
                    if (must_nan && got == got)
                        return vgs_check_fail(msg, len, "%s: plane %zu oy=%zu ox=%zu: got %s, expected NaN", wh, o, oy, ox,
                                              vgs_fmt_float(got, vb, sizeof vb));
                    if (!may_nan && (got != got || vgs_is_sentinel(got)))
                        return vgs_check_fail(msg, len, "%s: plane %zu oy=%zu ox=%zu: got %s, expected a number", wh, o,
                                              oy, ox, vgs_fmt_float(got, vb, sizeof vb));
                }
        }
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------
 *  The sweep of one variant
 * ------------------------------------------------------------------------------------------ */

static int sweep(vgs_isa isa, int m, char *msg, size_t len)
{
    const vgs_kernels *K = vgs_kernels_for(isa);
    if (!K) return vgs_check_fail(msg, len, "vgs_kernels_for(%s) returned NULL", vgs_isa_to_string(isa));
    if (!variant_fn(K, m)) return vgs_check_fail(msg, len, "winograd3x3_f%d3 is NULL", m);
    fixture f;
    if (fixture_init(&f)) return vgs_check_fail(msg, len, "test setup: out of memory / mmap failed");
    const int q = vgs_check_quick();
    vgs_rng rng = vgs_rng_seed(0x3a0 + (uint64_t)m);
    stats st = {{0, 0}, 0};
    int fail = 0;
    unsigned v = 0;
    /* shapes: the 13 x 13 grid, then 60 x 58, 23 x 40 and 14 x 150 (rows of >= 16 whole
     * tiles at every m: the blocks of 8 interior tiles that take the AVX2 transposes) */
    static const size_t big_h[] = {60, 23, 14}, big_w[] = {58, 40, 150};
    int big64_done = 0;
    for (size_t s = 0; s < 13 * 13 + 3 && !fail; s++) {
        size_t h, w;
        if (s < 169) h = 1 + s / 13, w = 1 + s % 13;
        else {
            h = big_h[s - 169], w = big_w[s - 169];
            if (q && h == 60) continue;
        }
        /* channel pairs: rotate over CHS x CHS; the large shapes take (16, 17) and (64, 64) */
        const int npairs = s < 169 ? 1 : 2;
        for (int pi = 0; pi < npairs && !fail; pi++) {
            size_t cin = CHS[(s * 5 + (size_t)pi) % CH_N], cout = CHS[(s / 6 + s) % CH_N];
            if (s >= 169) cin = pi ? 64 : 16, cout = pi ? 64 : 17;
            if (q && (cin == 64 || cout == 64)) {
                if (big64_done || s < 120) cin = cin == 64 ? 17 : cin, cout = cout == 64 ? 16 : cout;
                else big64_done = 1;
            }
            for (int big = 0; big < 2 && !fail; big++, v++) {
                if (q && big && s < 169 && s % 3) continue; /* quick: x1000 on a third of the grid */
                wcase c = {m, cin, cout, h, w, (int)(v % 3), (int)((v / 3) % 2), (int)((v / 2) % 2), (int)((v / 5) % 2),
                           (int)((v / 7) % 2), (int)((v + v / 4) & 1), big, big == 0 && (s % 7 == 0 || s >= 169)};
                fail = run_case(K, &f, &rng, &c, &st, msg, len);
            }
        }
    }
    if (!fail) fail = nan_cases(K, &f, m, msg, len);
    if (!fail && !(st.rel[1] <= 4 * st.rel[0] && st.rel[0] <= 4 * st.rel[1]))
        fail = vgs_check_fail(msg, len, "winograd3x3_f%d3 [%s]: the relative error does not scale linearly: "
                              "max |err| / (u sum|k x|) = %.3g at x1 but %.3g at x1000", m, vgs_isa_to_string(isa),
                              st.rel[0], st.rel[1]);
    if (!fail)
        printf("# winograd3x3_f%d3 [%s]: max |err| / (u * sum|k x|) = %.1f (x1), %.1f (x1000); "
               "max err / tolerance = %.3f\n", m, vgs_isa_to_string(isa), st.rel[0], st.rel[1], st.ratio);
    fixture_free(&f);
    return fail;
}

static int check_f23(vgs_isa isa, char *msg, size_t len) { return sweep(isa, 2, msg, len); }
static int check_f43(vgs_isa isa, char *msg, size_t len) { return sweep(isa, 4, msg, len); }
static int check_f63(vgs_isa isa, char *msg, size_t len) { return sweep(isa, 6, msg, len); }

/* ------------------------------------------------------------------------------------------
 *  The matrices and the weight transform (ISA-independent)
 * ------------------------------------------------------------------------------------------ */

static int check_matrices(vgs_isa isa, char *msg, size_t len)
{
    (void)isa;
    vgs_rng rng = vgs_rng_seed(0x77);
    for (int m = 2; m <= 6; m += 2) {
        mats M;
        if (get_mats(m, &M)) return vgs_check_fail(msg, len, "vgs_winograd3x3_matrices(%d) failed", m);
        const int a = M.a;
        /* 1D: A^T ((G g) . (B^T d)) == correlation, in fp64 */
        for (int t = 0; t < 200; t++) {
            double d[8], g[3], gd[8], bd[8];
            for (int i = 0; i < a; i++) d[i] = vgs_rng_float(&rng, -1, 1);
            for (int i = 0; i < 3; i++) g[i] = vgs_rng_float(&rng, -1, 1);
            for (int j = 0; j < a; j++) {
                gd[j] = bd[j] = 0;
                for (int k = 0; k < 3; k++) gd[j] += M.g[j * 3 + k] * g[k];
                for (int n = 0; n < a; n++) bd[j] += M.bt[j * a + n] * d[n];
            }
            for (int i = 0; i < m; i++) {
                double y = 0, want = 0;
                for (int j = 0; j < a; j++) y += M.at[i * a + j] * gd[j] * bd[j];
                for (int k = 0; k < 3; k++) want += g[k] * d[i + k];
                if (!(fabs(y - want) <= 1e-13))
                    return vgs_check_fail(msg, len, "F(%d,3) 1D: output %d = %.17g, correlation %.17g", m, i, y, want);
            }
        }
        /* dyadic A^T and B^T entries: exact in fp32 */
        for (int i = 0; i < a * a; i++)
            if ((double)(float)M.bt[i] != M.bt[i] || (i < m * a && (double)(float)M.at[i] != M.at[i]))
                return vgs_check_fail(msg, len, "F(%d,3): a B^T or A^T entry is not exact in fp32", m);
        /* transform_weights: within half an ulp of (G k G^T) computed here in fp64; layout */
        const size_t cout = 7, cin = 3, nu = vgs_winograd3x3_weights_floats(m, cout, cin);
        if (nu != (size_t)a * a * 12 * cin) return vgs_check_fail(msg, len, "weights_floats(%d, 7, 3) = %zu", m, nu);
        float k[7 * 3 * 9], u[8 * 8 * 12 * 3];
        vgs_rng_fill(&rng, k, cout * cin * 9, -1, 1);
        vgs_fill_sentinel(u, nu);
        if (vgs_winograd3x3_transform_weights(m, cout, cin, k, u) != VGS_OK)
            return vgs_check_fail(msg, len, "transform_weights(%d) failed: %s", m, vgs_last_error());
        for (int xi = 0; xi < a * a; xi++)
            for (size_t o = 0; o < 12; o++)
                for (size_t c = 0; c < cin; c++) {
                    double want = 0;
                    for (int p = 0; p < 3 && o < cout; p++)
                        for (int q = 0; q < 3; q++)
                            want += M.g[(xi / a) * 3 + p] * (double)k[(o * cin + c) * 9 + p * 3 + q] * M.g[(xi % a) * 3 + q];
                    const float got = u[(((size_t)xi * 2 + o / 6) * cin + c) * 6 + o % 6];
                    if (!(fabs((double)got - want) <= 0x1p-24 * fabs(want) * (1 + 1e-9) + 1e-300))
                        return vgs_check_fail(msg, len, "F(%d,3) U[xi=%d][o=%zu][c=%zu] = %.9g, G k G^T = %.17g", m, xi, o, c,
                                              (double)got, want);
                }
    }
    /* bad arguments */
    float k1[9] = {0}, u1[64 * 6];
    if (vgs_winograd3x3_transform_weights(3, 1, 1, k1, u1) != VGS_ERR_INVALID_ARGUMENT ||
        vgs_winograd3x3_transform_weights(2, 0, 1, k1, u1) != VGS_ERR_INVALID_ARGUMENT ||
        vgs_winograd3x3_transform_weights(2, 1, 1, NULL, u1) != VGS_ERR_INVALID_ARGUMENT ||
        vgs_winograd3x3_matrices(5, NULL, NULL, NULL) != VGS_ERR_INVALID_ARGUMENT ||
        vgs_winograd3x3_scratch_floats(8, 4) != 0 || vgs_winograd3x3_weights_floats(1, 4, 4) != 0)
        return vgs_check_fail(msg, len, "a bad m / NULL / zero size was not rejected");
    return 0;
}

const vgs_check_case vgs_winograd_checks[] = {
    {"winograd", "matrices", check_matrices, 1},
    {"winograd", "f23", check_f23, 0},
    {"winograd", "f43", check_f43, 0},
    {"winograd", "f63", check_f63, 0},
};
const size_t vgs_winograd_checks_count = sizeof vgs_winograd_checks / sizeof vgs_winograd_checks[0];
