/* tests/check_nan.c — the NaN and infinity rules of vggshuffle.h ("KERNELS (advanced)", NaN and
 * infinities), on one ISA at a time, in vector bodies and in tails:
 *   - a clamp (out_min / out_max: ReLU, "none", [lo, hi]) never turns a NaN into a number or an
 *     infinity: ReLU(NaN) = NaN, ReLU(-inf) = 0, ReLU(+inf) = +inf;
 *   - a max-pooling window holding a NaN gives NaN (one holding +inf and no NaN gives +inf);
 *   - sums (convolutions, GEMM, fc, average pools) follow IEEE arithmetic: a NaN term gives NaN,
 *     +inf and -inf terms together give NaN;
 *   - global_avgpool of hw = 0 pixels gives 0 (the empty sum), not 0 / 0;
 *   - softmax: a NaN or +inf anywhere makes every output NaN; -inf gives exactly 0 there.
 * Each check sweeps one "poisoned" value (NaN, +inf, -inf) over EVERY position of its input
 * (every lane of every vector and of the tails of every tier: widths 1..33 cover two AVX-512
 * vectors and a tail), the rest random U(-1, 1), and compares every output with the fp64
 * reference of tests/ref.h: where the reference is NaN the output must be NaN; where it is
 * infinite, or its terms are, the output must equal it; elsewhere the usual dot-product bound
 * of check_kernels.c, (K + 2) 2^-23 sum|terms|.  Before this file the x86 tiers gave
 * ReLU(NaN) = 0, "no clamp" NaN -> -inf and max-pools that dropped a NaN depending on where in
 * the window it sat; these checks fail on that code.
 * Plain buffers here: the bounds of every access are what check_kernels.c checks. */
#include "checks.h"
#include "ref.h"

#define U23 (1.0 / 8388608.0) /* 2^-23 */

static const float POISON[3] = {NAN, INFINITY, -INFINITY};
static const char *const POISON_NAME[3] = {"NaN", "+inf", "-inf"};

typedef struct clamp_opt {
    float lo, hi;
    const char *name;
} clamp_opt;

static const clamp_opt CLAMPS[3] = {
    {-INFINITY, INFINITY, "none"},
    {0.0f, INFINITY, "relu"},
    {-0.5f, 0.5f, "[-0.5,0.5]"},
};

/* Widths: 1..33, every vector body and tail of every tier (1, 4, 8, 16 floats; GEMM tiles of
 * 2 vectors), then 49 (a network plane).  Quick mode (VGS_CHECK_QUICK=1, the qemu-user runs,
 * whose tiers are at most 8 floats wide): 1..17 and 49. */
static size_t NW = 34;
static size_t width_at(size_t i) { return i + 1 < NW ? i + 1 : 49; }

static void set_widths(void)
{
    const char *q = getenv("VGS_CHECK_QUICK");
    NW = q && *q && strcmp(q, "0") != 0 ? 18 : 34;
}

/* got[i] against ref[i] (terms of magnitude mag[i], K-term sums) under the rules above;
 * 0, or 1 with the first offence described after `where`. */
static int nan_compare(char *msg, size_t len, const char *where, const float *got, const double *ref,
                       const double *mag, size_t K, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const double g = (double)got[i], r = ref[i];
        int ok;
        if (isnan(r)) ok = isnan(g);
        else if (isinf(r) || !isfinite(mag[i])) ok = g == r;
        else ok = fabs(g - r) <= (double)(K + 2) * U23 * mag[i] + 1e-30;
        if (!ok)
            return vgs_check_fail(msg, len, "%s: output %zu is %.9g, expected %.9g%s", where, i, g, r,
                                  isnan(r) ? " (a NaN must stay NaN)" : "");
    }
    return 0;
}

static const vgs_kernels *kernels(vgs_isa isa, char *msg, size_t len)
{
    const vgs_kernels *K = vgs_check_kernels(isa);
    set_widths();
    if (!K) vgs_check_fail(msg, len, "vgs_kernels_for(%s) returned NULL", vgs_isa_to_string(isa));
    return K;
}

#define SETUP_FAIL(msg, len) vgs_check_fail((msg), (len), "test setup: out of memory")

/* ------------------------------------------------------------------------------------------
 *  gemm: the epilogue (residual + clamp) at every output position, and NaN / inf arriving
 *  through the accumulator (a column of b, a row of a, a bias).  m 1, 6, 7 (one tile, a tile
 *  and a row), n every width, k 2.
 * ------------------------------------------------------------------------------------------ */

static int gemm_run(const vgs_kernels *K, size_t m, size_t n, size_t k, const float *a, const float *b,
                    const float *bias, const float *r, float *c, double *ref, double *mag, const clamp_opt *cl,
                    const char *what, char *msg, size_t len)
{
    char wh[256];
    ref_gemm(m, n, k, a, k, b, n, bias, r, n, cl->lo, cl->hi, ref, mag);
    /* twice: as is, and through an identity b_index with scratch, which packs B where m
     * has two tiles of rows (the packed path's loads and padding lanes) */
    static float scratch[VGS_GEMM_SCRATCH_FLOATS(8)];
    static const int32_t identity[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    if (k > 8) return vgs_check_fail(msg, len, "test setup: k = %zu > 8", k);
    float pa[VGS_GEMM_PACKED_A_FLOATS(8, 8)];
    if (m > 8) return vgs_check_fail(msg, len, "test setup: m = %zu > 8", m);
    vgs_gemm_pack_a(m, k, a, k, pa, VGS_GEMM_PACK_ROWS * k);
    for (int packed = 0; packed < 2; packed++) {
        for (size_t i = 0; i < m * n; i++) c[i] = 1.5e30f; /* no output left over from the last call */
        K->gemm(m, n, k, pa, VGS_GEMM_PACK_ROWS * k, b, n, packed ? identity : NULL, bias, r, n, c, n, NULL, cl->lo, cl->hi,
                packed ? scratch : NULL);
        snprintf(wh, sizeof wh, "%s [%s]: m=%zu n=%zu k=%zu clamp=%s, %s%s", K->gemm_name,
                 vgs_isa_to_string(K->isa), m, n, k, cl->name, what, packed ? " (b_index, scratch)" : "");
        if (nan_compare(msg, len, wh, c, ref, mag, k, m * n)) return 1;
    }
    return 0;
}

static int check_gemm_nan(vgs_isa isa, char *msg, size_t len)
{
    const vgs_kernels *K = kernels(isa, msg, len);
    if (!K) return 1;
    enum { MAXM = 7, MAXN = 49, KK = 2 };
    static const size_t ms[3] = {1, 6, 7};
    float a[MAXM * KK], b[KK * MAXN], bias[MAXM], r[MAXM * MAXN], c[MAXM * MAXN];
    double ref[MAXM * MAXN], mag[MAXM * MAXN];
    vgs_rng rng = vgs_rng_seed(0x4e614e);
    char what[96];
    int fail = 0;
    for (size_t im = 0; im < 3 && !fail; im++)
        for (size_t iw = 0; iw < NW && !fail; iw++)
            for (size_t ic = 0; ic < 3 && !fail; ic++)
                for (size_t ip = 0; ip < 3 && !fail; ip++) {
                    const size_t m = ms[im], n = width_at(iw);
                    const clamp_opt *cl = &CLAMPS[ic];
                    const float pv = POISON[ip];
                    vgs_rng_fill(&rng, a, m * KK, -1, 1);
                    vgs_rng_fill(&rng, b, KK * n, -1, 1);
                    vgs_rng_fill(&rng, bias, m, -1, 1);
                    vgs_rng_fill(&rng, r, m * n, -1, 1);
                    for (size_t i = 0; i < m * n && !fail; i++) { /* residual: every lane */
                        const float keep = r[i];
                        r[i] = pv;
                        snprintf(what, sizeof what, "r[%zu][%zu] = %s", i / n, i % n, POISON_NAME[ip]);
                        fail = gemm_run(K, m, n, KK, a, b, bias, r, c, ref, mag, cl, what, msg, len);
                        r[i] = keep;
                    }
                    for (size_t j = 0; j < n && !fail; j++) { /* b: a whole output column */
                        const float keep = b[n + j];
                        b[n + j] = pv;
                        snprintf(what, sizeof what, "b[1][%zu] = %s", j, POISON_NAME[ip]);
                        fail = gemm_run(K, m, n, KK, a, b, bias, NULL, c, ref, mag, cl, what, msg, len);
                        b[n + j] = keep;
                    }
                    for (size_t i = 0; i < m && !fail; i++) { /* a and bias: a whole row */
                        float keep = a[i * KK];
                        a[i * KK] = pv;
                        snprintf(what, sizeof what, "a[%zu][0] = %s", i, POISON_NAME[ip]);
                        fail = gemm_run(K, m, n, KK, a, b, NULL, r, c, ref, mag, cl, what, msg, len);
                        a[i * KK] = keep;
                        keep = bias[i];
                        bias[i] = pv;
                        snprintf(what, sizeof what, "bias[%zu] = %s", i, POISON_NAME[ip]);
                        if (!fail) fail = gemm_run(K, m, n, KK, a, b, bias, NULL, c, ref, mag, cl, what, msg, len);
                        bias[i] = keep;
                    }
                }
    return fail;
}

/* ------------------------------------------------------------------------------------------
 *  conv3x3 (cin 1 -> 9 output channels: a block of 8 and one; cin 5 -> 2, whose first slice
 *  of 4 channels goes through y before the clamp of the last) and dwconv3x3 (2 channels): a
 *  poisoned input pixel at every position of h x w planes, h 1 and 3, w every width, stride 1
 *  and 2, each clamp; a poisoned bias.  The reference is cheap and exact: an output whose
 *  window holds the pixel must be clamp(weight of that tap * poison) (NaN, or an infinity
 *  clamped), every other output bit-identical to the unpoisoned call's.
 * ------------------------------------------------------------------------------------------ */

enum { CV_MAXC = 5, CV_COUT = 9, CV_MAXH = 3, CV_MAXW = 49 };
#define CV_PLANE (CV_MAXH * CV_MAXW)

typedef struct conv_case {
    const vgs_kernels *K;
    int dw;             /* 0: conv3x3 cin -> cout; 1: dwconv3x3 of cin channels */
    size_t S, cin, cout, h, w, oh, ow;
    const clamp_opt *cl;
    const float *x, *k, *bias;
} conv_case;

static void conv_call(const conv_case *cc, float *y)
{
    const size_t hw = cc->h * cc->w, ohw = cc->oh * cc->ow;
    const float lo = cc->cl->lo, hi = cc->cl->hi;
    if (cc->dw)
        (cc->S == 1 ? cc->K->dwconv3x3s1p1 : cc->K->dwconv3x3s2p1)(cc->cin, cc->h, cc->w, cc->x, hw, cc->k,
                                                                  cc->bias, y, ohw, NULL, lo, hi);
    else
        (cc->S == 1 ? cc->K->conv3x3s1p1 : cc->K->conv3x3s2p1)(cc->cin, cc->cout, cc->h, cc->w, cc->x, hw, cc->k,
                                                              cc->bias, y, ohw, lo, hi, 0, SIZE_MAX);
}

/* The call with x[pc][p] (or, p == SIZE_MAX, bias[pc]) set to pv, against `base`. */
static int conv_poisoned(const conv_case *cc, const float *base, size_t pc, size_t p, float pv, const char *pname,
                         char *msg, size_t len)
{
    float y[CV_COUT * CV_PLANE];
    const int is_bias = p == SIZE_MAX;
    const size_t iy = is_bias ? 0 : p / cc->w, ix = is_bias ? 0 : p % cc->w, ohw = cc->oh * cc->ow;
    conv_call(cc, y);
    for (size_t o = 0; o < cc->cout; o++)
        for (size_t i = 0; i < ohw; i++) {
            const size_t oy = i / cc->ow, ox = i % cc->ow;
            const ptrdiff_t ky = (ptrdiff_t)iy - (ptrdiff_t)(cc->S * oy) + 1;
            const ptrdiff_t kx = (ptrdiff_t)ix - (ptrdiff_t)(cc->S * ox) + 1;
            const int hit = !is_bias && (!cc->dw || o == pc) && ky >= 0 && ky < 3 && kx >= 0 && kx < 3;
            const float got = y[o * ohw + i], was = base[o * ohw + i];
            double want = 0;
            int ok;
            if (is_bias) {
                want = o == pc ? NAN : (double)was;
                ok = o == pc ? isnan(got) : memcmp(&got, &was, sizeof got) == 0;
            }
            else if (hit) {
                const float wk = cc->k[((cc->dw ? 0 : o * cc->cin) + pc) * 9 + (size_t)(ky * 3 + kx)];
                want = ref_clamp((double)wk * pv, cc->cl->lo, cc->cl->hi);
                ok = isnan(want) ? isnan(got) : (double)got == want;
            } else
                ok = memcmp(&got, &was, sizeof got) == 0;
            if (!ok) {
                char wh[96];
                if (is_bias) snprintf(wh, sizeof wh, "bias[%zu] = %s", pc, pname);
                else snprintf(wh, sizeof wh, "x[c=%zu][%zu][%zu] = %s", pc, iy, ix, pname);
                return vgs_check_fail(msg, len,
                                      "%s3x3s%zup1 [%s]: c%s=%zu h=%zu w=%zu clamp=%s, %s: output [o=%zu][%zu][%zu] "
                                      "is %.9g, expected %.9g%s",
                                      cc->dw ? "dwconv" : "conv", cc->S, vgs_isa_to_string(cc->K->isa),
                                      cc->dw ? "" : "in", cc->cin, cc->h, cc->w, cc->cl->name, wh, o, oy, ox,
                                      (double)got, hit || (is_bias && o == pc) ? want : (double)was,
                                      hit || (is_bias && o == pc) ? " (the window holds the poisoned value)"
                                                           : " (as without the poison: the window does not hold it)");
            }
        }
    return 0;
}

/* One kernel (conv or dwconv) over the sweep. */
static int conv_nan_sweep(vgs_isa isa, int dw, char *msg, size_t len)
{
    const vgs_kernels *K = kernels(isa, msg, len);
    if (!K) return 1;
    static const size_t cins[2][2] = {{1, 5}, {2, 2}}, hs[2] = {1, 3};
    float x[CV_MAXC * CV_PLANE], k[CV_COUT * CV_MAXC * 9], bias[CV_COUT], base[CV_COUT * CV_PLANE];
    vgs_rng rng = vgs_rng_seed(0xc0a7 + (uint64_t)dw);
    int fail = 0;
    for (size_t S = 1; S <= 2 && !fail; S++)
        for (size_t ci = 0; ci < 2 && !fail; ci++)
            for (size_t ih = 0; ih < 2 && !fail; ih++)
                for (size_t iw = 0; iw + 1 < NW && !fail; iw++) /* not 49: the lanes are all in 1..33 */
                    for (size_t icl = 0; icl < 3 && !fail; icl++) {
                        const size_t cin = cins[dw][ci], h = hs[ih], w = width_at(iw), hw = h * w;
                        const conv_case cc = {K, dw, S, cin, dw ? cin : cin == 5 ? 2 : CV_COUT, h, w,
                                              S == 1 ? h : (h + 1) / 2, S == 1 ? w : (w + 1) / 2, &CLAMPS[icl],
                                              x, k, bias};
                        /* the poisoned channel: cin 5: the first slice's (ReLU) or the last one */
                        const size_t pc = dw ? ci : (cin == 5 && icl == 1 ? 0 : cin - 1);
                        vgs_rng_fill(&rng, x, cin * hw, -1, 1);
                        vgs_rng_fill(&rng, k, CV_COUT * CV_MAXC * 9, -1, 1);
                        vgs_rng_fill(&rng, bias, CV_COUT, -1, 1);
                        conv_call(&cc, base);
                        for (size_t ip = 0; ip < 3 && !fail; ip++)
                            for (size_t p = 0; p < hw && !fail; p++) {
                                float *xp = x + pc * hw + p;
                                const float keep = *xp;
                                *xp = POISON[ip];
                                fail = conv_poisoned(&cc, base, pc, p, POISON[ip], POISON_NAME[ip], msg, len);
                                *xp = keep;
                            }
                        if (!fail) { /* a bias: the whole plane */
                            const size_t bc = pc < cc.cout ? pc : 0;
                            const float keep = bias[bc];
                            bias[bc] = NAN;
                            fail = conv_poisoned(&cc, base, bc, SIZE_MAX, NAN, "NaN", msg, len);
                            bias[bc] = keep;
                        }
                    }
    return fail;
}

static int check_conv_nan(vgs_isa isa, char *msg, size_t len) { return conv_nan_sweep(isa, 0, msg, len); }
static int check_dwconv_nan(vgs_isa isa, char *msg, size_t len) { return conv_nan_sweep(isa, 1, msg, len); }

/* ------------------------------------------------------------------------------------------
 *  pools: a poisoned pixel at every position of h x w planes, h 1..5, w every width (every
 *  position of the 3x3/s2 window for every output lane); the row [1, NaN, 3].
 * ------------------------------------------------------------------------------------------ */

enum { PL_MAXH = 5, PL_MAXW = 49 };

static int pool_run(const vgs_kernels *K, int is_max, size_t h, size_t w, const float *x, const char *what,
                    char *msg, size_t len)
{
    float y[PL_MAXH * PL_MAXW];
    double ref[PL_MAXH * PL_MAXW], mag[PL_MAXH * PL_MAXW];
    const size_t oh = (h + 1) / 2, ow = (w + 1) / 2;
    (is_max ? K->maxpool3x3s2p1 : K->avgpool3x3s2p1)(1, h, w, x, h * w, y, oh * ow);
    ref_pool3x3s2p1(is_max, 1, h, w, x, h * w, ref, mag);
    if (is_max)
        for (size_t i = 0; i < oh * ow; i++) mag[i] = 0; /* a max is exact */
    char wh[256];
    snprintf(wh, sizeof wh, "%spool3x3s2p1 [%s]: h=%zu w=%zu, %s", is_max ? "max" : "avg",
             vgs_isa_to_string(K->isa), h, w, what);
    return nan_compare(msg, len, wh, y, ref, mag, 9, oh * ow);
}

static int pool_nan_sweep(vgs_isa isa, int is_max, char *msg, size_t len)
{
    const vgs_kernels *K = kernels(isa, msg, len);
    if (!K) return 1;
    float x[PL_MAXH * PL_MAXW];
    vgs_rng rng = vgs_rng_seed(0x9001 + (uint64_t)is_max);
    char what[96];
    int fail = 0;
    const float row[3] = {1.0f, NAN, 3.0f}; /* pools to [NaN, NaN] */
    fail = pool_run(K, is_max, 1, 3, row, "x = [1, NaN, 3]", msg, len);
    for (size_t h = 1; h <= PL_MAXH && !fail; h++)
        for (size_t iw = 0; iw < NW && !fail; iw++)
            for (size_t ip = 0; ip < 3 && !fail; ip++) {
                const size_t w = width_at(iw);
                if (!is_max && h > 3) break; /* sums: the 3x3 window's rows are enough */
                vgs_rng_fill(&rng, x, h * w, -1, 1);
                for (size_t p = 0; p < h * w && !fail; p++) {
                    const float keep = x[p];
                    x[p] = POISON[ip];
                    snprintf(what, sizeof what, "x[%zu][%zu] = %s", p / w, p % w, POISON_NAME[ip]);
                    fail = pool_run(K, is_max, h, w, x, what, msg, len);
                    x[p] = keep;
                }
            }
    return fail;
}

static int check_maxpool_nan(vgs_isa isa, char *msg, size_t len) { return pool_nan_sweep(isa, 1, msg, len); }
static int check_avgpool_nan(vgs_isa isa, char *msg, size_t len) { return pool_nan_sweep(isa, 0, msg, len); }

/* ------------------------------------------------------------------------------------------
 *  global_avgpool: hw 0 (gives 0) and every width, poison at every position; fc: n 1..9
 *  (blocks of 4 outputs and the rest), k every width, poison in x (all outputs) and in w
 *  (one output) at every position; fc_bf16w and fc_f16w the same with the weights in bf16 /
 *  IEEE half (a poisoned weight stays NaN / inf there), against the reference on the widened
 *  weights.
 * ------------------------------------------------------------------------------------------ */

static int check_gavgpool_nan(vgs_isa isa, char *msg, size_t len)
{
    const vgs_kernels *K = kernels(isa, msg, len);
    if (!K) return 1;
    float x[2 * 49], y[2];
    double ref[2], mag[2];
    vgs_rng rng = vgs_rng_seed(0x9a9);
    char wh[160];
    y[0] = y[1] = NAN;
    K->global_avgpool(2, 0, x, 0, y);
    if (!(y[0] == 0.0f && y[1] == 0.0f))
        return vgs_check_fail(msg, len, "global_avgpool [%s]: hw = 0 gives %g, %g; expected 0 (the empty sum)",
                              vgs_isa_to_string(isa), (double)y[0], (double)y[1]);
    for (size_t iw = 0; iw < NW; iw++)
        for (size_t ip = 0; ip < 3; ip++) {
            const size_t hw = width_at(iw);
            vgs_rng_fill(&rng, x, 2 * hw, -1, 1);
            for (size_t p = 0; p < 2 * hw; p++) {
                const float keep = x[p];
                x[p] = POISON[ip];
                K->global_avgpool(2, hw, x, hw, y);
                ref_global_avgpool(2, hw, x, hw, ref, mag);
                snprintf(wh, sizeof wh, "global_avgpool [%s]: c=2 hw=%zu, x[%zu][%zu] = %s",
                         vgs_isa_to_string(isa), hw, p / hw, p % hw, POISON_NAME[ip]);
                if (nan_compare(msg, len, wh, y, ref, mag, hw, 2)) return 1;
                x[p] = keep;
            }
        }
    return 0;
}

static int fc_nan_sweep(vgs_isa isa, int wt, char *msg, size_t len)
{
    const vgs_kernels *K = kernels(isa, msg, len);
    if (!K) return 1;
    enum { MAXN = 9, MAXK = 49 };
    float w[MAXN * MAXK], wq[MAXN * MAXK], x[MAXK], bias[MAXN], y[MAXN];
    uint16_t w16[MAXN * MAXK];
    double ref[MAXN], mag[MAXN];
    vgs_rng rng = vgs_rng_seed(0xfc);
    char wh[160];
    for (size_t n = 1; n <= MAXN; n++)
        for (size_t ik = 0; ik < NW; ik++)
            for (size_t ip = 0; ip < 3; ip++) {
                const size_t k = width_at(ik);
                vgs_rng_fill(&rng, w, n * k, -1, 1);
                vgs_rng_fill(&rng, x, k, -1, 1);
                vgs_rng_fill(&rng, bias, n, -1, 1);
                for (size_t p = 0; p < (n + 1) * k; p++) { /* x[0..k), then w[0..n*k) */
                    float *at = p < k ? x + p : w + (p - k);
                    const float keep = *at;
                    *at = POISON[ip];
                    const char *name = wt == VGS_FC_F16 ? "fc_f16w" : wt == VGS_FC_BF16 ? "fc_bf16w" : "fc";
                    if (wt == VGS_FC_F16) {
                        vgs_f32_to_f16(n * k, w, w16);
                        vgs_f16_to_f32(n * k, w16, wq);
                        K->fc_f16w(n, k, w16, bias, 1, x, k, y, n, -INFINITY, INFINITY);
                    } else if (wt == VGS_FC_BF16) {
                        vgs_f32_to_bf16(n * k, w, w16);
                        vgs_bf16_to_f32(n * k, w16, wq);
                        K->fc_bf16w(n, k, w16, bias, 1, x, k, y, n, -INFINITY, INFINITY);
                    } else {
                        K->fc(n, k, w, bias, 1, x, k, y, n, -INFINITY, INFINITY);
                    }
                    ref_fc(n, k, wt != VGS_FC_F32 ? wq : w, bias, x, ref, mag);
                    if (p < k)
                        snprintf(wh, sizeof wh, "%s [%s]: n=%zu k=%zu, x[%zu] = %s", name, vgs_isa_to_string(isa), n, k,
                                 p, POISON_NAME[ip]);
                    else
                        snprintf(wh, sizeof wh, "%s [%s]: n=%zu k=%zu, w[%zu][%zu] = %s", name, vgs_isa_to_string(isa),
                                 n, k, (p - k) / k, (p - k) % k, POISON_NAME[ip]);
                    if (nan_compare(msg, len, wh, y, ref, mag, k, n)) return 1;
                    *at = keep;
                }
            }
    return 0;
}

static int check_fc_nan(vgs_isa isa, char *msg, size_t len) { return fc_nan_sweep(isa, VGS_FC_F32, msg, len); }
static int check_fc_bf16w_nan(vgs_isa isa, char *msg, size_t len) { return fc_nan_sweep(isa, VGS_FC_BF16, msg, len); }
static int check_fc_f16w_nan(vgs_isa isa, char *msg, size_t len) { return fc_nan_sweep(isa, VGS_FC_F16, msg, len); }

/* ------------------------------------------------------------------------------------------
 *  softmax: NaN or +inf at any position -> all NaN; -inf -> exactly 0 there, the rest as
 *  without it (within the tolerance of check_kernels.c's softmax, n + 7 + |d| + D terms).
 * ------------------------------------------------------------------------------------------ */

static int check_softmax_nan(vgs_isa isa, char *msg, size_t len)
{
    const vgs_kernels *K = kernels(isa, msg, len);
    if (!K) return 1;
    float x[49], y[49];
    double ref[49], d[49];
    vgs_rng rng = vgs_rng_seed(0x50f);
    for (size_t iw = 0; iw < NW; iw++)
        for (size_t ip = 0; ip < 3; ip++) {
            const size_t n = width_at(iw);
            vgs_rng_fill(&rng, x, n, -1, 1);
            for (size_t p = 0; p < n; p++) {
                const float keep = x[p];
                x[p] = POISON[ip];
                K->softmax(n, x, y);
                ref_softmax(n, x, ref, d);
                double D = 0;
                for (size_t i = 0; i < n; i++) D += ref[i] > 0 ? ref[i] * fabs(d[i]) : 0.0;
                for (size_t i = 0; i < n; i++) {
                    const int want_nan = ip < 2 || (n == 1 && ip == 2); /* all -inf: 0 / 0 */
                    const double tol = want_nan || i == p ? 0 : ref[i] * U23 * (fabs(d[i]) + D + (double)n + 7.0) + 1e-38;
                    const double want = want_nan ? NAN : i == p ? 0.0 : ref[i];
                    if (want_nan ? !isnan(y[i]) : !(fabs(y[i] - want) <= tol))
                        return vgs_check_fail(msg, len, "softmax [%s]: n=%zu, x[%zu] = %s: y[%zu] = %.9g, expected %.9g",
                                              vgs_isa_to_string(isa), n, p, POISON_NAME[ip], i, (double)y[i], want);
                }
                x[p] = keep;
            }
        }
    return 0;
}

/* ------------------------------------------------------------------------------------------
 *  The small-plane path of dwconv3x3 and the pools (kernels/lanes3x3.h: channels across the
 *  lanes): c = 2*VW+1 channels (two full groups and a tail of one), a poisoned pixel at
 *  every position of one channel, that channel in the first lane, the last lane of the
 *  first group and the tail; planes 3x5, 4x7 and 7x7, both strides, each clamp; and 18x20
 *  (poisoned at every 7th pixel) with VW + VW/4 + 1 channels (21 at VW = 16: one group and
 *  a short tail), a call the AVX-512 tier's stride-2 dwconv and average pool hand to the
 *  AVX2 body whole (VGS_LANES_NARROW_*).  Against the fp64 references under the rules
 *  above (every channel: the others must not change).
 * ------------------------------------------------------------------------------------------ */

enum { LN_C = 33, LN_PLANE = 18 * 20 };

/* op: 0 dwconv s1, 1 dwconv s2, 2 maxpool, 3 avgpool. */
static int lanes_nan_run(const vgs_kernels *K, int op, size_t c, size_t h, size_t w, const float *x, const float *k,
                         const float *bias, const clamp_opt *cl, const char *what, char *msg, size_t len)
{
    static float y[LN_C * LN_PLANE];
    static double ref[LN_C * LN_PLANE], mag[LN_C * LN_PLANE];
    const size_t S = op == 0 ? 1 : 2, oh = S == 1 ? h : (h + 1) / 2, ow = S == 1 ? w : (w + 1) / 2, hw = h * w;
    const size_t ohw = oh * ow;
    if (op < 2) (op == 0 ? K->dwconv3x3s1p1 : K->dwconv3x3s2p1)(c, h, w, x, hw, k, bias, y, ohw, NULL, cl->lo, cl->hi);
    else (op == 2 ? K->maxpool3x3s2p1 : K->avgpool3x3s2p1)(c, h, w, x, hw, y, ohw);
    for (size_t i = 0; i < c; i++) {
        if (op < 2) ref_conv3x3(S, 1, h, w, x + i * hw, hw, k + 9 * i, bias[i], cl->lo, cl->hi, ref + i * ohw, mag + i * ohw);
        else ref_pool3x3s2p1(op == 2, 1, h, w, x + i * hw, hw, ref + i * ohw, mag + i * ohw);
    }
    if (op == 2)
        for (size_t i = 0; i < c * ohw; i++) mag[i] = 0; /* a max is exact */
    static const char *const names[4] = {"dwconv3x3s1p1", "dwconv3x3s2p1", "maxpool3x3s2p1", "avgpool3x3s2p1"};
    char wh[256];
    snprintf(wh, sizeof wh, "%s [%s] (small-plane path): c=%zu h=%zu w=%zu clamp=%s, %s", names[op],
             vgs_isa_to_string(K->isa), c, h, w, op < 2 ? cl->name : "-", what);
    return nan_compare(msg, len, wh, y, ref, mag, 9, c * ohw);
}

static int check_lanes_nan(vgs_isa isa, char *msg, size_t len)
{
    const vgs_kernels *K = kernels(isa, msg, len);
    if (!K) return 1;
    static const size_t planes[4][2] = {{3, 5}, {4, 7}, {7, 7}, {18, 20}};
    const size_t vw = K->vector_width, c_small = 2 * vw + 1 <= LN_C ? 2 * vw + 1 : LN_C;
    static float x[LN_C * LN_PLANE], k[LN_C * 9], bias[LN_C];
    vgs_rng rng = vgs_rng_seed(0x1a7e);
    char what[96];
    int fail = 0;
    for (int op = 0; op < 4 && !fail; op++)
        for (size_t ip = 0; ip < 4 && !fail; ip++) {
            const size_t h = planes[ip][0], w = planes[ip][1], hw = h * w, step = hw > 49 ? 7 : 1;
            const size_t c = hw > 49 ? vw + vw / 4 + 1 : c_small, pcs[3] = {0, vw - 1, c - 1};
            const clamp_opt *cl = &CLAMPS[((size_t)op + ip) % 3];
            vgs_rng_fill(&rng, x, c * hw, -1, 1);
            vgs_rng_fill(&rng, k, c * 9, -1, 1);
            vgs_rng_fill(&rng, bias, c, -1, 1);
            for (size_t ic = 0; ic < 3 && !fail; ic++)
                for (size_t pv = 0; pv < 3 && !fail; pv++)
                    for (size_t p = 0; p < hw && !fail; p += step) {
                        float *xp = x + pcs[ic] * hw + p;
                        const float keep = *xp;
                        *xp = POISON[pv];
                        snprintf(what, sizeof what, "x[c=%zu][%zu][%zu] = %s", pcs[ic], p / w, p % w, POISON_NAME[pv]);
                        fail = lanes_nan_run(K, op, c, h, w, x, k, bias, cl, what, msg, len);
                        *xp = keep;
                    }
        }
    return fail;
}

VGS_CHECK_BOTH(check_conv_nan)
VGS_CHECK_BOTH(check_dwconv_nan)
VGS_CHECK_BOTH(check_maxpool_nan)
VGS_CHECK_BOTH(check_avgpool_nan)
VGS_CHECK_BOTH(check_lanes_nan)
VGS_CHECK_BOTH(check_gavgpool_nan)
VGS_CHECK_BOTH(check_fc_nan)
VGS_CHECK_BOTH(check_fc_bf16w_nan)
VGS_CHECK_BOTH(check_fc_f16w_nan)

const vgs_check_case vgs_nan_checks[] = {
    {"nan", "gemm", check_gemm_nan, 0},
    {"nan", "conv3x3", check_conv_nan_both, 0},
    {"nan", "dwconv3x3", check_dwconv_nan_both, 0},
    {"nan", "maxpool3x3s2p1", check_maxpool_nan_both, 0},
    {"nan", "avgpool3x3s2p1", check_avgpool_nan_both, 0},
    {"nan", "window3x3_small_planes", check_lanes_nan_both, 0},
    {"nan", "global_avgpool", check_gavgpool_nan_both, 0},
    {"nan", "fc", check_fc_nan_both, 0},
    {"nan", "fc_bf16w", check_fc_bf16w_nan_both, 0},
    {"nan", "fc_f16w", check_fc_f16w_nan_both, 0},
    {"nan", "softmax", check_softmax_nan, 0},
};
const size_t vgs_nan_checks_count = sizeof vgs_nan_checks / sizeof vgs_nan_checks[0];
