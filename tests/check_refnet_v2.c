/* tests/check_refnet_v2.c — the library's ShuffleNet V2 against an independent fp64 reference
 * network with random weights, for torchvision's four widths (x0.5, x1.0, x1.5, x2.0 channel
 * tables, also against torchvision's own logits: "Goldens" below), x1.0 on an odd input size
 * and explicit tiny / small channel tables; the zero-copy layout's permutation algebra
 * against the literal definition; the profile (no layer only moves data) and the workspace;
 * the errors vgs_shufflenet_v2_create reports; the V1 family's channel tables.
 *
 * The reference (ref2_* below) is written from torchvision 0.14's models/shufflenetv2.py, NOT
 * from the library's code, with the split, the concat and the shuffle done LITERALLY on
 * whole tensors (ref2_split, ref2_cat, ref2_shuffle = view (2, C/2) -> transpose -> flatten):
 *   conv1 = conv3x3 s2 p1 (3 -> stem) + BN + ReLU; maxpool 3x3 s2 p1;
 *   stages 2, 3, 4 of 4, 8, 4 units (the first stride 2), B = out / 2:
 *     stride 2: out = shuffle(cat(branch1(x), branch2(x)))
 *       branch1 = dw3x3 s2 (in) + BN, 1x1 (in -> B) + BN + ReLU            [.0 .1 .2 .3]
 *       branch2 = 1x1 (in -> B) + BN + ReLU, dw3x3 s2 + BN, 1x1 + BN + ReLU [.0 .1 .3 .4 .5 .6]
 *     stride 1: x1, x2 = chunk(x, 2); out = shuffle(cat(x1, branch2(x2)))  (1x1 B -> B)
 *   conv5 = 1x1 + BN + ReLU; mean over H, W; fc (weight and bias).
 * Everything in double from the fp32 tensors of the safetensors file; BN unfolded,
 * (x - mean) / sqrt(var + 1e-5) * gamma + beta.
 *
 * Weights: fixed-seed splitmix64 (checks.h): conv / linear weights U(-a, a), a =
 * sqrt(3 / fan_in); fc bias U(-0.1, 0.1); BN gamma U(0.5, 1.5), beta U(-0.1, 0.1), mean
 * U(-0.1, 0.1), var U(0.5, 1.5), plus an I64 num_batches_tracked (ignored by the library).
 * Input U(0, 1), batch of 2.  Every config also checks the runtime's contracts
 * (vgs_runtime_same_logits: other thread counts, batch chunkings, a host parallel-for give
 * the same logits bit for bit); in quick mode (VGS_CHECK_QUICK, the emulated runs) only the
 * tiny and small configs do, the wide ones costing minutes under qemu.
 *
 * Tolerance (per image, every logit): |got - ref| <= 1e-4 * max_j |ref_j|, the derivation of
 * check_refnet.c (V1): ~52 accumulating layers here (stem, 16 units of 3 convolutions plus
 * branch1's 2 in the 3 stride-2 units, conv5, mean, fc), dot products of <= 976 terms (conv5
 * of x2.0) and the fc of 2048: a K-term dot product errs by ~ u sqrt(K / 2) ~ 23 u ~ 1.4e-6
 * relative at K = 1000, 32 u ~ 1.9e-6 at 2048; in quadrature over the layers ~ 1e-5, fully
 * correlated ~ 52 * 1.4e-6 ~ 7e-5: 1e-4 stays above both.  A wrong channel anywhere (a split
 * half swapped, a shuffle inverted, a permuted weight column off by one) is an O(1) change
 * of some activation: tried on private copies of the library (perm'[2j] and perm'[2j+1]
 * swapped; the stride-2 branches' planes swapped; conv5's columns not permuted; the GEMM's
 * c_index or b_index off by one plane for one row): each makes the width configs fail.
 * Measured worst |err| / max|ref|: x86-64 scalar 1.2e-6, AVX2 5.0e-7 (x2.0 the worst).
 * VGS_REFNET_VERBOSE=1 prints it per config and tier.
 *
 * Checks only: the front ends (tests/tap_runner.c, Criterion) run the table at the bottom. */
#include "checks.h"
#include "data/v2_golden.h"
#include "st_writer.h"

#define R2_REL_TOL 1e-4
#define R2_BN_EPS 1e-5
#define R2_BATCH 2
#define R2_GUARD 16

/* ------------------------------------------------------------------------------------------
 *  Configurations
 * ------------------------------------------------------------------------------------------ */

typedef struct r2_config {
    const char *name;
    float width;            /* torchvision width (stage 0: derived from it)          */
    int stem, stage[3], last; /* explicit counts (stage[0] == 0: from the width)      */
    int want[5];            /* the channel counts the weights are made for            */
    int num_classes, h, w;
    int fc_gain;            /* fc weights U(-g a, g a) (0: 1)                          */
    const float *golden;    /* torchvision's logits of image 0 (tools/gen_v2_golden.py) */
} r2_config;

/* tiny: branches of 1, 2, 3 channels (the smallest even stages); small: odd half widths;
 * x1_0_57x45: torchvision's x1.0 table on an odd input; golden_*: torchvision's tables
 * (_stage_out_channels), also compared with torchvision itself (see "Goldens" below). */
#define G 64, 64, 8
static const r2_config r2_configs[] = {
    /* name           width  stem stage        last  want (stem, stages, conv5)  nc    h, w, fc gain, golden */
    {"tiny",          0.0f,  3,  {2, 4, 6},    8,    {3, 2, 4, 6, 8},            5,    57, 45, 1, NULL},
    {"small",         0.0f,  5,  {10, 14, 22}, 12,   {5, 10, 14, 22, 12},        10,   64, 48, 1, NULL},
    {"x1_0_57x45",    1.0f,  0,  {0, 0, 0},    0,    {24, 116, 232, 464, 1024},  1000, 57, 45, 1, NULL},
    {"golden_x0_5",   0.5f,  0,  {0, 0, 0},    0,    {24, 48, 96, 192, 1024},    1000, G, v2_golden_x0_5},
    {"golden_x1_0",   1.0f,  0,  {0, 0, 0},    0,    {24, 116, 232, 464, 1024},  1000, G, v2_golden_x1_0},
    {"golden_x1_5",   1.5f,  0,  {0, 0, 0},    0,    {24, 176, 352, 704, 1024},  1000, G, v2_golden_x1_5},
    {"golden_x2_0",   2.0f,  0,  {0, 0, 0},    0,    {24, 244, 488, 976, 2048},  1000, G, v2_golden_x2_0},
};
#undef G
_Static_assert(V2_GOLDEN_H == 64 && V2_GOLDEN_W == 64 && V2_GOLDEN_CLASSES == 1000, "goldens as the configs");
#define R2_NCONFIGS (sizeof r2_configs / sizeof r2_configs[0])

static const int r2_repeats[3] = {4, 8, 4};

static vgs_shufflenet_v2_config r2_lib_config(const r2_config *c)
{
    vgs_shufflenet_v2_config lc;
    memset(&lc, 0, sizeof lc);
    lc.width = c->width;
    lc.num_classes = c->num_classes;
    lc.stem_channels = c->stem;
    for (int i = 0; i < 3; i++) lc.stage_channels[i] = c->stage[i];
    lc.last_channels = c->last;
    return lc;
}

/* ------------------------------------------------------------------------------------------
 *  Random weights (torchvision names)
 * ------------------------------------------------------------------------------------------ */

/* `prefix`.j.weight [o, i, k, k] ~ U(-a, a), a = sqrt(3 / (i k k)), and BN `prefix`.(j+1). */
static void r2_conv_bn(st_model *m, vgs_rng *r, const char *prefix, int j, int64_t o, int64_t i, int64_t k)
{
    static const char *const part[4] = {"weight", "bias", "running_mean", "running_var"};
    static const float lo[4] = {0.5f, -0.1f, -0.1f, 0.5f}, hi[4] = {1.5f, 0.1f, 0.1f, 1.5f};
    char name[96];
    const int64_t shape[4] = {o, i, k, k};
    snprintf(name, sizeof name, "%s.%d.weight", prefix, j);
    st_tensor *t = st_model_add(m, name, 4, shape);
    if (t) vgs_rng_fill(r, t->f, t->n, -(float)sqrt(3.0 / (double)(i * k * k)), (float)sqrt(3.0 / (double)(i * k * k)));
    for (int p = 0; p < 4; p++) {
        snprintf(name, sizeof name, "%s.%d.%s", prefix, j + 1, part[p]);
        if ((t = st_model_add(m, name, 1, &o))) vgs_rng_fill(r, t->f, t->n, lo[p], hi[p]);
    }
    snprintf(name, sizeof name, "%s.%d.num_batches_tracked", prefix, j + 1);
    if ((t = st_model_add(m, name, 0, NULL))) t->i64 = 1000;
}

static int r2_build(const r2_config *c, uint64_t seed, st_model *m)
{
    vgs_rng r = vgs_rng_seed(seed);
    memset(m, 0, sizeof *m);
    r2_conv_bn(m, &r, "conv1", 0, c->want[0], 3, 3);
    int in = c->want[0];
    for (int s = 0; s < 3; s++) {
        const int out = c->want[1 + s], bf = out / 2;
        for (int u = 0; u < r2_repeats[s]; u++) {
            char p[64];
            if (u == 0) {
                snprintf(p, sizeof p, "stage%d.%d.branch1", s + 2, u);
                r2_conv_bn(m, &r, p, 0, in, 1, 3);
                r2_conv_bn(m, &r, p, 2, bf, in, 1);
            }
            snprintf(p, sizeof p, "stage%d.%d.branch2", s + 2, u);
            r2_conv_bn(m, &r, p, 0, bf, u == 0 ? in : bf, 1);
            r2_conv_bn(m, &r, p, 3, bf, 1, 3);
            r2_conv_bn(m, &r, p, 5, bf, bf, 1);
            in = out;
        }
    }
    r2_conv_bn(m, &r, "conv5", 0, c->want[4], in, 1);
    const int64_t fw[2] = {c->num_classes, c->want[4]}, fb = c->num_classes;
    const float a = (float)(sqrt(3.0 / c->want[4]) * (c->fc_gain ? c->fc_gain : 1));
    st_tensor *t = st_model_add(m, "fc.weight", 2, fw);
    if (t) vgs_rng_fill(&r, t->f, t->n, -a, a);
    if ((t = st_model_add(m, "fc.bias", 1, &fb))) vgs_rng_fill(&r, t->f, t->n, -0.1f, 0.1f);
    return m->fail ? -1 : 0;
}

static int r2_open(const st_model *m, vgs_weights **w, char *msg, size_t len)
{
    st_entry *e = st_model_entries(m, 0);
    if (!e) return vgs_check_fail(msg, len, "out of memory");
    size_t size = 0;
    unsigned char *bytes = st_build(e, m->n, &size);
    free(e);
    if (!bytes) return vgs_check_fail(msg, len, "out of memory building safetensors");
    const vgs_status st = vgs_weights_from_memory(bytes, size, "refnet_v2.safetensors", w);
    free(bytes);
    if (st != VGS_OK) return vgs_check_fail(msg, len, "vgs_weights_from_memory: %s", vgs_last_error());
    return 0;
}

/* ------------------------------------------------------------------------------------------
 *  fp64 reference network (torchvision's definition, literal split / concat / shuffle)
 * ------------------------------------------------------------------------------------------ */

typedef struct ref2 {
    int c, h, w;
    double *v; /* c x h x w */
} ref2;

static ref2 ref2_new(int c, int h, int w)
{
    ref2 a = {c, h, w, (double *)calloc((size_t)c * h * w, sizeof(double))};
    if (!a.v) abort();
    return a;
}

static size_t ref2_plane(ref2 a) { return (size_t)a.h * a.w; }

/* Conv2d(groups = 1 or depthwise), no bias, padding k / 2, stride s; BN prefix.(j+1) and an
 * optional ReLU after.  x is kept. */
static ref2 ref2_conv_bn(const st_model *m, const char *prefix, int j, ref2 x, int stride, int relu)
{
    char name[96];
    snprintf(name, sizeof name, "%s.%d.weight", prefix, j);
    const st_tensor *wt = st_model_get(m, name);
    const int O = (int)wt->shape[0], cg = (int)wt->shape[1], k = (int)wt->shape[2], p = k / 2;
    const int dw = k == 3 && strcmp(prefix, "conv1") != 0; /* every other 3x3 is depthwise */
    if (dw ? cg != 1 || O != x.c : cg != x.c) abort();
    ref2 y = ref2_new(O, (x.h + 2 * p - k) / stride + 1, (x.w + 2 * p - k) / stride + 1);
    static const char *const part[4] = {"weight", "bias", "running_mean", "running_var"};
    const st_tensor *bn[4];
    for (int q = 0; q < 4; q++) {
        snprintf(name, sizeof name, "%s.%d.%s", prefix, j + 1, part[q]);
        bn[q] = st_model_get(m, name);
    }
    for (int o = 0; o < O; o++) {
        const int c0 = dw ? o : 0;
        for (int oy = 0; oy < y.h; oy++) {
            for (int ox = 0; ox < y.w; ox++) {
                double s = 0.0;
                for (int ci = 0; ci < cg; ci++)
                    for (int ky = 0; ky < k; ky++)
                        for (int kx = 0; kx < k; kx++) {
                            const int iy = oy * stride - p + ky, ix = ox * stride - p + kx;
                            if (iy < 0 || iy >= x.h || ix < 0 || ix >= x.w) continue;
                            s += (double)wt->f[(((size_t)o * cg + ci) * k + ky) * k + kx] *
                                 x.v[((size_t)(c0 + ci) * x.h + iy) * x.w + ix];
                        }
                s = (s - bn[2]->f[o]) / sqrt((double)bn[3]->f[o] + R2_BN_EPS) * bn[0]->f[o] + bn[1]->f[o];
                if (relu && s < 0) s = 0;
                y.v[((size_t)o * y.h + oy) * y.w + ox] = s;
            }
        }
    }
    return y;
}

/* Channels [c0, c0 + n) of x (torch.chunk / slicing). */
static ref2 ref2_split(ref2 x, int c0, int n)
{
    ref2 y = ref2_new(n, x.h, x.w);
    memcpy(y.v, x.v + (size_t)c0 * ref2_plane(x), (size_t)n * ref2_plane(x) * sizeof(double));
    return y;
}

/* torch.cat((a, b), dim=1); frees both. */
static ref2 ref2_cat(ref2 a, ref2 b)
{
    if (a.h != b.h || a.w != b.w) abort();
    ref2 y = ref2_new(a.c + b.c, a.h, a.w);
    memcpy(y.v, a.v, (size_t)a.c * ref2_plane(a) * sizeof(double));
    memcpy(y.v + (size_t)a.c * ref2_plane(a), b.v, (size_t)b.c * ref2_plane(b) * sizeof(double));
    free(a.v), free(b.v);
    return y;
}

/* channel_shuffle(x, 2): view (2, C/2, H, W) -> transpose(0, 1) -> flatten: element [g][i]
 * goes to [i][g], i.e. output channel i*2 + g = input channel g*(C/2) + i.  Frees x. */
static ref2 ref2_shuffle(ref2 x)
{
    const int groups = 2, per = x.c / groups;
    ref2 y = ref2_new(x.c, x.h, x.w);
    for (int g = 0; g < groups; g++)
        for (int i = 0; i < per; i++)
            memcpy(y.v + (size_t)(i * groups + g) * ref2_plane(x), x.v + (size_t)(g * per + i) * ref2_plane(x),
                   ref2_plane(x) * sizeof(double));
    free(x.v);
    return y;
}

static ref2 ref2_chain(ref2 x, ref2 y) /* free x, return y */
{
    free(x.v);
    return y;
}

static void ref2_forward(const st_model *m, const r2_config *c, const float *img, double *logits)
{
    ref2 x = ref2_new(3, c->h, c->w);
    for (size_t i = 0; i < (size_t)3 * c->h * c->w; i++) x.v[i] = img[i];
    x = ref2_chain(x, ref2_conv_bn(m, "conv1", 0, x, 2, 1));
    ref2 p = ref2_new(x.c, (x.h - 1) / 2 + 1, (x.w - 1) / 2 + 1); /* maxpool 3x3 s2 p1 */
    for (int ch = 0; ch < p.c; ch++)
        for (int oy = 0; oy < p.h; oy++)
            for (int ox = 0; ox < p.w; ox++) {
                double mx = -INFINITY;
                for (int ky = 0; ky < 3; ky++)
                    for (int kx = 0; kx < 3; kx++) {
                        const int iy = 2 * oy - 1 + ky, ix = 2 * ox - 1 + kx;
                        if (iy >= 0 && iy < x.h && ix >= 0 && ix < x.w)
                            mx = fmax(mx, x.v[((size_t)ch * x.h + iy) * x.w + ix]);
                    }
                p.v[((size_t)ch * p.h + oy) * p.w + ox] = mx;
            }
    x = ref2_chain(x, p);
    for (int s = 0; s < 3; s++) {
        for (int u = 0; u < r2_repeats[s]; u++) {
            char b1[64], b2[64];
            snprintf(b1, sizeof b1, "stage%d.%d.branch1", s + 2, u);
            snprintf(b2, sizeof b2, "stage%d.%d.branch2", s + 2, u);
            ref2 left, in2;
            const int stride = u == 0 ? 2 : 1;
            if (stride == 2) {
                ref2 t = ref2_conv_bn(m, b1, 0, x, 2, 0);
                left = ref2_chain(t, ref2_conv_bn(m, b1, 2, t, 1, 1));
                in2 = ref2_split(x, 0, x.c); /* the whole x */
            } else {
                left = ref2_split(x, 0, x.c / 2);
                in2 = ref2_split(x, x.c / 2, x.c / 2);
            }
            in2 = ref2_chain(in2, ref2_conv_bn(m, b2, 0, in2, 1, 1));
            in2 = ref2_chain(in2, ref2_conv_bn(m, b2, 3, in2, stride, 0));
            in2 = ref2_chain(in2, ref2_conv_bn(m, b2, 5, in2, 1, 1));
            free(x.v);
            x = ref2_shuffle(ref2_cat(left, in2));
        }
    }
    x = ref2_chain(x, ref2_conv_bn(m, "conv5", 0, x, 1, 1));
    const st_tensor *fw = st_model_get(m, "fc.weight"), *fb = st_model_get(m, "fc.bias");
    double *mean = (double *)calloc((size_t)x.c, sizeof(double));
    if (!mean || fw->shape[1] != x.c) abort();
    for (int ch = 0; ch < x.c; ch++) {
        for (size_t i = 0; i < ref2_plane(x); i++) mean[ch] += x.v[(size_t)ch * ref2_plane(x) + i];
        mean[ch] /= (double)ref2_plane(x);
    }
    for (int o = 0; o < c->num_classes; o++) {
        double s = fb->f[o];
        for (int ch = 0; ch < x.c; ch++) s += (double)fw->f[(size_t)o * x.c + ch] * mean[ch];
        logits[o] = s;
    }
    free(mean);
    free(x.v);
}

/* ------------------------------------------------------------------------------------------
 *  Library vs reference
 * ------------------------------------------------------------------------------------------ */

static uint64_t r2_seed(const r2_config *c)
{
    uint64_t h = 0x6A09E667F3BCC909ull;
    for (const char *p = c->name; *p; p++) h = (h ^ (unsigned char)*p) * 0x100000001B3ull;
    return h;
}

typedef struct r2_maker {
    const st_model *m;
    const vgs_shufflenet_v2_config *lc;
    int h, w;
} r2_maker;

static int r2_make(void *ctx, const vgs_net_options *o, vgs_net **net, char *msg, size_t len)
{
    const r2_maker *mk = (const r2_maker *)ctx;
    vgs_weights *w = NULL;
    if (r2_open(mk->m, &w, msg, len)) return 1;
    vgs_net_options opt = *o;
    opt.input_height = mk->h, opt.input_width = mk->w;
    const vgs_status st = vgs_shufflenet_v2_create(mk->lc, w, &opt, net);
    vgs_weights_close(w); /* the net must not need the weights any more */
    if (st != VGS_OK) return vgs_check_fail(msg, len, "vgs_shufflenet_v2_create: %s: %s", vgs_status_name(st), vgs_last_error());
    return 0;
}

/* A V2 net of random weights (fixed seed) with a `stem`-channel stem and small stages
 * (4/8/12, conv5 16, 10 classes) for h x w inputs (check_fusion.c: the stem's fusion). */
int vgs_refnet_v2_make_stem(int stem, int h, int w, const vgs_net_options *o, vgs_net **net, char *msg, size_t len)
{
    const r2_config c = {"stem", 0.0f, stem, {4, 8, 12}, 16, {stem, 4, 8, 12, 16}, 10, h, w, 1, NULL};
    const vgs_shufflenet_v2_config lc = r2_lib_config(&c);
    st_model m;
    if (r2_build(&c, r2_seed(&c) + (uint64_t)stem, &m) != 0) {
        st_model_free(&m);
        return vgs_check_fail(msg, len, "out of memory");
    }
    r2_maker mk = {&m, &lc, h, w};
    const int rc = r2_make(&mk, o, net, msg, len);
    st_model_free(&m);
    return rc;
}

/* Goldens: torchvision (0.14, fp32, eval) ran the same weights on image 0 (the first 3 x 64 x 64
 * draws of the input; tools/gen_v2_golden.py reproduces the C draws bit for bit; its fc gain of
 * 8 gives logits of std 0.7 .. 0.9, asserted >= 0.5 there).  Tolerance: |got - torch| <=
 * 1e-4 x max|torch logit|: both are fp32 evaluations of the same net, each within the fp64
 * bound derived at the top of this file (measured here: <= 1.2e-6 of max|ref|), so 1e-4 is
 * the same margin; the top 5 classes must be identical and in the same order (the goldens'
 * top-5 gaps are >= 1e-3 x max, far above the tolerance: checked here too, so a tie can
 * never make this flaky). */
static int r2_golden(const r2_config *c, const char *where, const float *got, char *msg, size_t len)
{
    double rel = 0.0;
    const int rc = vgs_check_golden(where, got, c->golden, (size_t)c->num_classes, R2_REL_TOL, 1e-3, &rel, msg, len);
    const char *v = getenv("VGS_REFNET_VERBOSE");
    if (v && *v && strcmp(v, "0") != 0) fprintf(stderr, "# %s: vs torchvision |err|/max = %.3g\n", where, rel);
    return rc;
}

static int r2_run(const r2_config *c, vgs_isa isa, char *msg, size_t len)
{
    const uint64_t seed = r2_seed(c);
    const vgs_shufflenet_v2_config lc = r2_lib_config(c);
    const size_t nc = (size_t)c->num_classes, image = (size_t)3 * c->h * c->w;
    char where[160];
    snprintf(where, sizeof where, "refnet_v2/%s [%s] (stem %d, stages %d/%d/%d, conv5 %d, %dx%d, %d classes)", c->name,
             vgs_isa_to_string(isa), c->want[0], c->want[1], c->want[2], c->want[3], c->want[4], c->h, c->w,
             c->num_classes);
    st_model m;
    if (r2_build(c, seed, &m) != 0) {
        st_model_free(&m);
        return vgs_check_fail(msg, len, "%s: out of memory", where);
    }
    vgs_net *net = NULL;
    float *x = (float *)malloc(R2_BATCH * image * sizeof(float));
    float *logits = (float *)malloc((R2_BATCH * nc + R2_GUARD) * sizeof(float));
    double *ref = (double *)malloc(R2_BATCH * nc * sizeof(double));
    const vgs_net_options opt = vgs_check_options(1, 0, 0);
    r2_maker mk = {&m, &lc, c->h, c->w};
    int rc = !x || !logits || !ref ? vgs_check_fail(msg, len, "%s: out of memory", where) : 0;
    if (!rc) rc = r2_make(&mk, &opt, &net, msg, len);
    if (!rc) {
        vgs_rng r = vgs_rng_seed(seed + 1);
        vgs_rng_fill(&r, x, R2_BATCH * image, 0.0f, 1.0f);
        vgs_fill_sentinel(logits, R2_BATCH * nc + R2_GUARD);
        const vgs_isa before = vgs_isa_current();
        vgs_status st = vgs_isa_force(isa);
        if (st == VGS_OK) st = vgs_net_forward(net, x, R2_BATCH, logits, R2_BATCH * nc);
        vgs_isa_force(before);
        if (st != VGS_OK) rc = vgs_check_fail(msg, len, "%s: forward: %s: %s", where, vgs_status_name(st), vgs_last_error());
    }
    if (!rc && vgs_first_non_sentinel(logits + R2_BATCH * nc, R2_GUARD) != R2_GUARD) {
        rc = vgs_check_fail(msg, len, "%s: vgs_net_forward wrote past the logits", where);
    }
    double worst = 0.0;
    for (size_t b = 0; !rc && b < R2_BATCH; b++) {
        ref2_forward(&m, c, x + b * image, ref + b * nc);
        double amax = 0.0, werr = -1.0;
        size_t wj = 0;
        for (size_t j = 0; j < nc; j++) amax = fmax(amax, fabs(ref[b * nc + j]));
        for (size_t j = 0; j < nc; j++) {
            const double err = fabs((double)logits[b * nc + j] - ref[b * nc + j]);
            if (!(err <= werr)) { /* NaN sticks */
                werr = err, wj = j;
                if (err != err) break;
            }
        }
        if (!(werr / amax <= worst)) worst = werr / amax;
        if (!(amax > 0) || !(werr <= R2_REL_TOL * amax)) {
            char g[64];
            rc = vgs_check_fail(msg, len, "%s: image %zu, logit %zu: got %s, reference %.9g; |error| %.3g = %.3g x "
                                "max|ref logit| (%.6g), tolerance %.0e x max|ref logit|", where, b, wj,
                                vgs_fmt_float(logits[b * nc + wj], g, sizeof g), ref[b * nc + wj], werr, werr / amax,
                                amax, R2_REL_TOL);
        }
    }
    if (!rc && c->golden) rc = r2_golden(c, where, logits, msg, len);
    /* the runtime's contracts (check_runtime.c): 4 more nets and passes; under emulation
     * (VGS_CHECK_QUICK) on the small configs only */
    const char *q = getenv("VGS_CHECK_QUICK");
    const int quick = q && *q && strcmp(q, "0") != 0;
    if (!rc && (!quick || c->want[4] <= 64)) {
        rc = vgs_runtime_same_logits(where, r2_make, &mk, c->h, c->w, isa, x, R2_BATCH, logits, nc, msg, len);
    }
    const char *v = getenv("VGS_REFNET_VERBOSE");
    if (v && *v && strcmp(v, "0") != 0) {
        fprintf(stderr, "# refnet_v2/%-6s [%s]: worst |err|/max|ref| = %.3g (tol %.0e)\n", c->name,
                vgs_isa_to_string(isa), worst, R2_REL_TOL);
    }
    vgs_net_destroy(net);
    free(x), free(logits), free(ref);
    st_model_free(&m);
    return rc;
}

#define R2_CASE(i) VGS_CHECK_CASE(r2, r2_run, r2_configs, i)
R2_CASE(0) R2_CASE(1) R2_CASE(2) R2_CASE(3) R2_CASE(4) R2_CASE(5) R2_CASE(6)
#undef R2_CASE
_Static_assert(R2_NCONFIGS == 7, "one R2_CASE and one table entry per config");

/* ------------------------------------------------------------------------------------------
 *  The permutation algebra against the literal definition
 *  Channels are tagged with ids; the literal side keeps a logical tensor (tags in channel
 *  order) and applies split / cat / shuffle (view (2, C/2), transpose, flatten); the library
 *  side keeps planes (tags) and a perm, overwrites only the planes the runtime writes (a
 *  stride-1 unit: the planes of x2, by vgs_channel_split_shuffle_map's predecessor perm; a
 *  stride-2 unit: branch1 at planes 2j, branch2 at 2j + 1) and maps with
 *  vgs_channel_split_shuffle_map.  After every unit, logical[l] must equal plane[perm[l]].
 *  C = 2, 4, ..., 1024; 17 units (a stride-2 unit, then 16 of stride 1: every perm of a
 *  stage, and beyond).  Also: after two stride-1 units x2's planes are not a contiguous
 *  range for C >= 8 (why the GEMM takes indexes), and the errors.
 * ------------------------------------------------------------------------------------------ */

static int check_split_shuffle_map(vgs_isa isa, char *msg, size_t len)
{
    (void)isa;
    const size_t cmax = 1024;
    int32_t *logical = (int32_t *)malloc(cmax * sizeof(int32_t)), *plane = (int32_t *)malloc(cmax * sizeof(int32_t));
    int32_t *perm = (int32_t *)malloc(cmax * sizeof(int32_t)), *next = (int32_t *)malloc(cmax * sizeof(int32_t));
    int32_t *tmp = (int32_t *)malloc(cmax * sizeof(int32_t));
    int rc = !logical || !plane || !perm || !next || !tmp ? vgs_check_fail(msg, len, "out of memory") : 0;
    int32_t tag = 1;
    for (size_t C = 2; !rc && C <= cmax; C += 2) {
        const size_t half = C / 2;
        for (int u = 0; !rc && u < 17; u++) {
            if (u == 0) {
                /* literal: shuffle(cat(b1, b2)), b1 and b2 new tensors of C/2 channels */
                for (size_t i = 0; i < C; i++) tmp[i] = tag + (int32_t)i; /* cat: b1 = [0, half), b2 = [half, C) */
                for (size_t g = 0; g < 2; g++)
                    for (size_t i = 0; i < half; i++) logical[i * 2 + g] = tmp[g * half + i];
                /* library: b1[j] to plane 2j, b2[j] to plane 2j + 1, perm = identity */
                for (size_t j = 0; j < half; j++) plane[2 * j] = tag + (int32_t)j, plane[2 * j + 1] = tag + (int32_t)(half + j);
                for (size_t l = 0; l < C; l++) perm[l] = (int32_t)l;
            } else {
                /* literal: x1 = x[:half], b = branch(x[half:]) (new tags), shuffle(cat(x1, b)) */
                for (size_t i = 0; i < half; i++) tmp[i] = logical[i], tmp[half + i] = tag + (int32_t)i;
                for (size_t g = 0; g < 2; g++)
                    for (size_t i = 0; i < half; i++) logical[i * 2 + g] = tmp[g * half + i];
                /* library: branch channel j into x2[j]'s plane, perm[half + j] */
                for (size_t j = 0; j < half; j++) plane[perm[half + j]] = tag + (int32_t)j;
                if (vgs_channel_split_shuffle_map(C, perm, next) != VGS_OK) {
                    rc = vgs_check_fail(msg, len, "C=%zu: vgs_channel_split_shuffle_map failed: %s", C, vgs_last_error());
                    break;
                }
                memcpy(perm, next, C * sizeof *perm);
                if (u == 2 && C >= 8) {
                    int contiguous = 1;
                    for (size_t j = 1; j < half; j++) contiguous &= perm[half + j] == perm[half] + (int32_t)j;
                    if (contiguous) rc = vgs_check_fail(msg, len, "C=%zu: x2 contiguous after two units?", C);
                }
            }
            tag += (int32_t)C;
            int32_t seen = 0;
            for (size_t l = 0; !rc && l < C; l++) {
                if (perm[l] < 0 || (size_t)perm[l] >= C) {
                    rc = vgs_check_fail(msg, len, "C=%zu unit %d: perm[%zu] = %d out of range", C, u, l, (int)perm[l]);
                } else if (plane[perm[l]] != logical[l]) {
                    rc = vgs_check_fail(msg, len, "C=%zu unit %d: logical channel %zu is tag %d, its plane %d holds %d", C,
                                        u, l, (int)logical[l], (int)perm[l], (int)plane[perm[l]]);
                }
                seen ^= perm[l] ^ (int32_t)l;
            }
            if (!rc && seen) rc = vgs_check_fail(msg, len, "C=%zu unit %d: perm is not a permutation", C, u);
        }
    }
    if (!rc && (vgs_channel_split_shuffle_map(7, perm, next) != VGS_ERR_INVALID_ARGUMENT ||
                vgs_channel_split_shuffle_map(0, perm, next) != VGS_ERR_INVALID_ARGUMENT ||
                vgs_channel_split_shuffle_map(8, NULL, next) != VGS_ERR_INVALID_ARGUMENT ||
                vgs_channel_split_shuffle_map(8, perm, perm) != VGS_ERR_INVALID_ARGUMENT)) {
        rc = vgs_check_fail(msg, len, "vgs_channel_split_shuffle_map accepted odd / zero channels, NULL or aliased maps");
    }
    free(logical), free(plane), free(perm), free(next), free(tmp);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 *  Zero copy, shown by the profile: the "small" config; one layer per convolution or pool of
 *  the model (stem conv with its max-pool fused, 3 stride-2 units of 5 convolutions, 13
 *  stride-1 units of 3, conv5, mean, fc = 58), each with FLOPs > 0 (nothing only moves
 *  data); the stride-1 units' last 1x1 writes only C/2 channels (the other half is never
 *  touched); the workspace stays a few activation buffers (<= 3 x the largest layer output).
 * ------------------------------------------------------------------------------------------ */

static int check_zero_copy_profile(vgs_isa isa, char *msg, size_t len)
{
    const r2_config *c = &r2_configs[1];
    const vgs_shufflenet_v2_config lc = r2_lib_config(c);
    st_model m;
    if (r2_build(c, r2_seed(c), &m) != 0) {
        st_model_free(&m);
        return vgs_check_fail(msg, len, "out of memory");
    }
    r2_maker mk = {&m, &lc, c->h, c->w};
    vgs_net_options opt = vgs_check_options(1, 0, 0);
    opt.conv_maxpool = 1; /* the stem fused on 1 thread too (the default fuses on 2+) */
    vgs_net *net = NULL;
    const size_t image = (size_t)3 * c->h * c->w, nc = (size_t)c->num_classes;
    float *x = (float *)calloc(image, sizeof(float)), *y = (float *)malloc(nc * sizeof(float));
    int rc = !x || !y ? vgs_check_fail(msg, len, "out of memory") : r2_make(&mk, &opt, &net, msg, len);
    const vgs_isa before = vgs_isa_current();
    if (!rc && vgs_isa_force(isa) != VGS_OK) rc = vgs_check_fail(msg, len, "vgs_isa_force: %s", vgs_last_error());
    if (!rc && vgs_net_forward(net, x, 1, y, nc) != VGS_OK) rc = vgs_check_fail(msg, len, "forward: %s", vgs_last_error());
    vgs_isa_force(before);
    const size_t n_layers = rc ? 0 : vgs_net_num_layers(net);
    if (!rc && n_layers != 58) rc = vgs_check_fail(msg, len, "%zu layers, expected 58", n_layers);
    double max_out = 0.0;
    for (size_t i = 0; !rc && i < n_layers; i++) {
        vgs_layer_info li;
        if (vgs_net_layer_info(net, i, &li) != VGS_OK) {
            rc = vgs_check_fail(msg, len, "layer %zu: %s", i, vgs_last_error());
            break;
        }
        int s = 0, u = 0, b = 0, j = -1;
        const int unit = sscanf(li.name, "stage%d.%d.branch%d.%d", &s, &u, &b, &j) == 4;
        if (!(li.flops > 0) || !(li.bytes_written > 0)) {
            rc = vgs_check_fail(msg, len, "layer %s (%s): %g FLOPs, %g bytes written: a layer that only moves data",
                                li.name, li.kind, li.flops, li.bytes_written);
        } else if (unit && (b < 1 || b > 2 || (b == 1 && u != 0) || s < 2 || s > 4)) {
            rc = vgs_check_fail(msg, len, "layer %zu is '%s'", i, li.name);
        } else if (unit && j == 5 && li.c * 2 != c->want[s - 1]) {
            rc = vgs_check_fail(msg, len, "layer %s writes %d channels, half of stage %d's %d expected", li.name, li.c, s,
                                c->want[s - 1]);
        } else if (unit && j == 5 && li.bytes_written != 4.0 * li.c * li.h * li.w) {
            rc = vgs_check_fail(msg, len, "layer %s writes %g bytes, not its own %d x %d x %d outputs", li.name,
                                li.bytes_written, li.c, li.h, li.w);
        }
        if (li.bytes_written > max_out) max_out = li.bytes_written;
    }
    if (!rc && !((double)vgs_net_workspace_size(net) <= 3.0 * max_out)) {
        rc = vgs_check_fail(msg, len, "workspace %zu bytes > 3 x the largest layer output (%g bytes)",
                            vgs_net_workspace_size(net), max_out);
    }
    vgs_net_destroy(net);
    free(x), free(y);
    st_model_free(&m);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 *  Errors: bad configs, weights of another width (shape), a missing tensor
 * ------------------------------------------------------------------------------------------ */

static int r2_expect(const char *what, const vgs_shufflenet_v2_config *lc, const st_model *m, vgs_status want, char *msg,
                     size_t len)
{
    vgs_weights *w = NULL;
    if (r2_open(m, &w, msg, len)) return 1;
    const vgs_net_options opt = vgs_check_options(1, 40, 48);
    vgs_net *net = (vgs_net *)(uintptr_t)1;
    const vgs_status st = vgs_shufflenet_v2_create(lc, w, &opt, &net);
    vgs_weights_close(w);
    if (st == VGS_OK) vgs_net_destroy(net);
    if (st != want || (st != VGS_OK && net != NULL)) {
        return vgs_check_fail(msg, len, "%s: %s (\"%s\"), expected %s and no net", what, vgs_status_name(st),
                              vgs_last_error(), vgs_status_name(want));
    }
    return 0;
}

static int check_v2_errors(vgs_isa isa, char *msg, size_t len)
{
    (void)isa;
    st_model m;
    if (r2_build(&r2_configs[0], 7, &m) != 0) {
        st_model_free(&m);
        return vgs_check_fail(msg, len, "out of memory");
    }
    vgs_shufflenet_v2_config lc = r2_lib_config(&r2_configs[0]);
    int rc = r2_expect("the tiny model", &lc, &m, VGS_OK, msg, len);
    lc.stage_channels[1] = 5;
    if (!rc) rc = r2_expect("an odd stage", &lc, &m, VGS_ERR_INVALID_ARGUMENT, msg, len);
    lc = r2_lib_config(&r2_configs[0]), lc.stage_channels[2] = 8;
    if (!rc) rc = r2_expect("stage 4 wider than the weights", &lc, &m, VGS_ERR_SHAPE, msg, len);
    lc = r2_lib_config(&r2_configs[0]), lc.num_classes = 0;
    if (!rc) rc = r2_expect("0 classes", &lc, &m, VGS_ERR_INVALID_ARGUMENT, msg, len);
    memset(&lc, 0, sizeof lc), lc.width = 0.75f, lc.num_classes = 5;
    if (!rc) rc = r2_expect("width 0.75", &lc, &m, VGS_ERR_INVALID_ARGUMENT, msg, len);
    lc = r2_lib_config(&r2_configs[0]);
    for (size_t i = 0; i < m.n; i++) /* drop stage3.0's branch1 depthwise weight */
        if (!strcmp(m.t[i].name, "stage3.0.branch1.0.weight")) snprintf(m.t[i].name, sizeof m.t[i].name, "stage3.0.x");
    if (!rc) rc = r2_expect("a missing branch1 weight", &lc, &m, VGS_ERR_MISSING_TENSOR, msg, len);
    st_model_free(&m);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 *  The ShuffleNet V1 family's channel tables (issue 9, item 3; the V1 builder derives them
 *  from groups and width, check_refnet.c runs the networks): weights made with the paper's
 *  Table 1 channels at 1.0x (stem 24; g1 144/288/576, g2 200/400/800, g3 240/480/960,
 *  g4 272/544/1088, g8 384/768/1536) and Megvii's 0.5x g8 (stem 16, 192/384/768) must load
 *  into vgs_shufflenet_v1_create at width 1.0 / 0.5 (any other channel count is
 *  VGS_ERR_SHAPE), and the net's layers must report those channels.
 * ------------------------------------------------------------------------------------------ */

static int r2_v1_case(int g, float width, int stem, int c2, char *msg, size_t len)
{
    static const int rep[3] = {4, 8, 4};
    const int out[3] = {c2, 2 * c2, 4 * c2};
    st_model m;
    memset(&m, 0, sizeof m);
    vgs_rng r = vgs_rng_seed((uint64_t)g * 1000 + (uint64_t)(width * 100));
    r2_conv_bn(&m, &r, "first_conv", 0, stem, 3, 3);
    int in = stem, k = 0;
    for (int s = 0; s < 3; s++)
        for (int u = 0; u < rep[s]; u++, k++) {
            char p1[64], p2[64];
            const int mid = out[s] / 4;
            snprintf(p1, sizeof p1, "features.%d.branch_main_1", k);
            snprintf(p2, sizeof p2, "features.%d.branch_main_2", k);
            r2_conv_bn(&m, &r, p1, 0, mid, in / (k == 0 ? 1 : g), 1);
            r2_conv_bn(&m, &r, p1, 3, mid, 1, 3);
            r2_conv_bn(&m, &r, p2, 0, u == 0 ? out[s] - in : out[s], mid / g, 1);
            in = out[s];
        }
    const int64_t fw[2] = {10, in};
    st_tensor *t = st_model_add(&m, "classifier.0.weight", 2, fw);
    if (t) vgs_rng_fill(&r, t->f, t->n, -0.01f, 0.01f);
    vgs_weights *w = NULL;
    int rc = m.fail ? vgs_check_fail(msg, len, "out of memory") : r2_open(&m, &w, msg, len);
    vgs_shufflenet_v1_config lc;
    memset(&lc, 0, sizeof lc);
    lc.groups = g, lc.width = width, lc.order = VGS_SHUFFLE_MEGVII, lc.num_classes = 10;
    vgs_net_options opt = vgs_check_options(1, 32, 32);
    opt.conv_maxpool = 1; /* the stem fused on 1 thread too (the default fuses on 2+) */
    vgs_net *net = NULL;
    if (!rc && vgs_shufflenet_v1_create(&lc, w, &opt, &net) != VGS_OK) {
        rc = vgs_check_fail(msg, len, "V1 g%d %.1fx with stem %d, stages %d/%d/%d: %s", g, width, stem, out[0], out[1],
                            out[2], vgs_last_error());
    }
    /* the last layer of each stage's last unit writes the stage's channels; the stem's */
    for (size_t i = 0; !rc && i < vgs_net_num_layers(net); i++) {
        vgs_layer_info li;
        vgs_net_layer_info(net, i, &li);
        const int want = !strcmp(li.name, "first_conv.0+maxpool")          ? stem
                         : !strcmp(li.name, "features.3.branch_main_2.0")  ? out[0]
                         : !strcmp(li.name, "features.11.branch_main_2.0") ? out[1]
                         : !strcmp(li.name, "features.15.branch_main_2.0") ? out[2]
                                                                          : -1;
        if (want >= 0 && li.c != want) {
            rc = vgs_check_fail(msg, len, "V1 g%d %.1fx: layer %s has %d channels, expected %d", g, width, li.name, li.c,
                                want);
        }
    }
    vgs_net_destroy(net);
    vgs_weights_close(w);
    st_model_free(&m);
    return rc;
}

static int check_v1_channel_tables(vgs_isa isa, char *msg, size_t len)
{
    (void)isa;
    static const int table1[5][2] = {{1, 144}, {2, 200}, {3, 240}, {4, 272}, {8, 384}};
    int rc = 0;
    for (int i = 0; !rc && i < 5; i++) rc = r2_v1_case(table1[i][0], 1.0f, 24, table1[i][1], msg, len);
    if (!rc) rc = r2_v1_case(8, 0.5f, 16, 192, msg, len); /* Megvii's 0.5x g8 */
    return rc;
}

/* ------------------------------------------------------------------------------------------
 *  The table
 * ------------------------------------------------------------------------------------------ */

const vgs_check_case vgs_refnet_v2_checks[] = {
    {"refnet_v2", "tiny", r2_case_0, 0},
    {"refnet_v2", "small", r2_case_1, 0},
    {"refnet_v2", "x1_0_57x45", r2_case_2, 0},
    {"refnet_v2", "golden_x0_5", r2_case_3, 0},
    {"refnet_v2", "golden_x1_0", r2_case_4, 0},
    {"refnet_v2", "golden_x1_5", r2_case_5, 0},
    {"refnet_v2", "golden_x2_0", r2_case_6, 0},
    {"refnet_v2", "split_shuffle_map", check_split_shuffle_map, 1},
    {"refnet_v2", "zero_copy_profile", check_zero_copy_profile, 0},
    {"refnet_v2", "errors", check_v2_errors, 1},
    {"refnet_v2", "v1_channel_tables", check_v1_channel_tables, 1},
};
const size_t vgs_refnet_v2_checks_count = sizeof vgs_refnet_v2_checks / sizeof vgs_refnet_v2_checks[0];
