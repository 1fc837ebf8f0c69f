/* tests/check_refnet.c — the library's ShuffleNet V1 against an independent fp64 reference
 * network, with random weights, for every group count (1, 2, 3, 4, 8), several widths
 * (explicit stage_channels and width-derived ones) and both channel-shuffle orders; the paper's
 * Table 1 models (g1..g8 at 1.0x) also against PyTorch's logits ("Goldens" below); plus the
 * errors vgs_shufflenet_v1_create must report for bad configs and bad weights.
 *
 * The reference (ref_* below) is written straight from the architecture definition
 * (../shared/models/README.md, Megvii ShuffleNet-Series), NOT from the library's code:
 *   stem: conv3x3 s2 p1 (3 -> stem, no bias) + BN + ReLU; maxpool 3x3 s2 p1;
 *   stages of 4, 8, 4 units, the first unit of each stage stride 2;
 *   unit: 1x1 conv (groups g; groups 1 in the network's very first unit) + BN + ReLU
 *         -> depthwise 3x3 (stride s, pad 1) + BN -> channel shuffle (groups g)
 *         -> 1x1 conv (groups g) + BN;
 *         stride 1: ReLU(x + branch);
 *         stride 2: concat(avgpool3x3 s2 p1 of x (padding counted: always / 9), ReLU(branch)),
 *                   the branch having out - in channels;
 *   bottleneck mid = out / 4; head: global average pool, linear (no bias).
 * Everything is computed in double from the fp32 tensors written to the safetensors file;
 * BatchNorm is applied as (x - mean) / sqrt(var + 1e-5) * gamma + beta (not folded), grouped
 * convolutions as PyTorch's Conv2d(groups=...), and the channel shuffle LITERALLY as the
 * tensor reshape / transpose / flatten of its definition (ref_shuffle) — not through
 * vgs_channel_shuffle_map:
 *   paper  (VGS_SHUFFLE_PAPER):  reshape (g, C/g) -> transpose -> flatten
 *   Megvii (VGS_SHUFFLE_MEGVII): reshape (C/g, g) -> transpose -> flatten
 *
 * Weights: fixed-seed splitmix64 (checks.h), conv / linear weights U(-a, a) with
 * a = sqrt(3 / fan_in) (variance 1 / fan_in: activations keep their scale through the 16
 * units), BN gamma U(0.5, 1.5), beta U(-0.1, 0.1), running_mean U(-0.1, 0.1),
 * running_var U(0.5, 1.5); every BN also gets an I64 scalar `num_batches_tracked` (which the
 * library must ignore) except in one config, where they are absent (which must work too).
 * Some configs write the tensors in a scrambled file order.  Input U(0, 1), batch of 2 images.
 * The weights are closed (and their bytes freed) before the forward pass: the net must own
 * what it keeps.
 *
 * Tolerance (per image, on every logit):  |got - ref| <= RN_REL_TOL * max_j |ref_j|.
 *   u = 2^-24 (fp32 unit roundoff).  The network is ~50 accumulating layers deep: the stem
 *   (27 terms), 16 units x {1x1 conv (<= 576 terms in these configs: g1 1.0x), depthwise (9
 *   terms), 1x1 conv (<= 144)}, the pools (9 terms, / 9), the global average pool (<= 49
 *   terms) and the linear layer (<= 1536 terms).  Folding BN into the weights (done in
 *   double, stored as fp32) perturbs every weight and bias by <= u relative: one more u per
 *   layer.
 *   - A K-term dot product of terms with random signs, evaluated in fp32 in any order, with
 *     or without FMA, errs by ~ u * sqrt(K / 2) times the RMS size of its result (each of the
 *     K roundings is ~ u * |partial sum| ~ u * sqrt(k) * |term| with a random sign; the
 *     result is ~ sqrt(K) * |term|).  K <= 576: <= 17 u ~ 1e-6 relative per convolution;
 *     the linear layer, K = 1536: ~ 28 u ~ 1.7e-6.
 *   - Weights of variance 1 / fan_in with BN scales ~ 1 map an error of a layer's input to an
 *     error of about the same relative RMS size at its output (ReLU and the pools are
 *     1-Lipschitz), so the ~50 layers' errors add up: in quadrature ~ sqrt(50) * 1e-6 ~ 7e-6;
 *     if they were fully correlated (linear sum) ~ 50 * 1e-6 + 1.7e-6 ~ 5e-5.
 *   - Measured relative to max_j |logit_j| (>= the RMS of the logits): no looser than that.
 *   RN_REL_TOL = 1e-4: ~2x the fully correlated estimate, ~15x the typical one.  The
 *   measured worst |err| / max|ref| over the 22 configs before the goldens and both images:
 *   x86-64 scalar 6.6e-7, AVX2 5.0e-7; aarch64 (qemu-user) scalar 7.7e-7, NEON 4.5e-7; the
 *   golden configs: x86-64 scalar (64 x 64) 1.8e-6, AVX2 (224 x 224) 4.1e-7; AVX-512 not
 *   measured (no machine at hand).  VGS_REFNET_VERBOSE=1 prints it per config and ISA
 *   (stderr).  All are below even the quadrature estimate; the bound is the derivation's, not
 *   fitted to these.
 *   Structural errors give 1e-3 .. 1 relative: tried on a private copy of the library,
 *   swapping the shuffle order, inverting the shuffle permutation, dropping the residual,
 *   swapping the concat halves, a max-pool stem replaced by an average pool, no ReLU after
 *   the first 1x1 or after a stride-2 branch, no shuffle in the first unit, one pixel too
 *   few in the global pool all fail by >= 30x the tolerance; even BN eps 1e-4 instead of
 *   1e-5 fails (1.8x).
 *
 * Goldens: the "golden_*" configs are the paper's Table 1 models at 1.0x (stem 24; stage 2
 * 144 / 200 / 240 / 272 / 384 for g1 / g2 / g3 / g4 / g8, channels derived by the library from
 * groups and width), in Megvii's shuffle order, and g3 also in the paper's; 1000 classes.
 * tools/gen_v1_golden.py ran the same weights (this file's draws, reproduced bit for bit in
 * Python) through its own PyTorch model written from the paper (torch 1.13, fp32, eval) on
 * image 0 of 64 x 64 and of 224 x 224; tests/data/v1_golden.h holds those logits.  Natively
 * the SIMD tiers run 224 x 224 and the scalar tier 64 x 64; in quick mode (qemu, sanitizers)
 * every tier runs 64 x 64, and only against PyTorch (the fp64 reference and the runtime's
 * contracts cost ~10 s per config under qemu; the other configs check both on every tier).
 * Spread: the logits' standard deviation is 1.7 .. 3.4 at 64 x 64 and 3.7 .. 9.1 at
 * 224 x 224 (no gain on the classifier needed: the residual sums grow the features), asserted
 * >= 0.5 by the generator.
 * Tolerance vs PyTorch: |got - torch| <= RN_REL_TOL * max|torch logit|, the bound above: both
 * are fp32 evaluations of the same net, each within the fully correlated estimate (5e-5) of
 * the exact logits, so their difference is within 1e-4; the top 5 classes identical, in order.
 * The golden's top-6 gaps must be >= 2 RN_REL_TOL x max (asserted by the generator and here):
 * two logits that far apart cannot swap while every logit is within the tolerance, so the
 * top-5 check cannot be flaky.  Measured worst |got - torch| / max|torch|: x86-64 scalar
 * (64 x 64) 9.1e-7, AVX2 (224 x 224) 1.4e-6, qemu-x86_64 Haswell AVX2 (64 x 64) 1.4e-6;
 * aarch64 (qemu-user, 64 x 64) scalar 9.1e-7, NEON 1.7e-6.
 * It can fail (tried, in quick mode, i.e. against PyTorch alone): a private copy of the
 * library with the two shuffle orders swapped fails every grouped model by O(1) (|error|
 * 5 .. 8.6 for logits of max 5 .. 9; g1, whose shuffle is the identity, passes); with BN eps
 * 1e-4 instead of 1e-5 every model fails by 7 .. 12x the tolerance; one weight of the C-drawn
 * model moved by 0.01 (features.8's first depthwise weight, range +-0.58) fails g1 and g3
 * (6.8x, 1.8x); goldens made with the shuffle placed before the depthwise convolution (the
 * paper's Fig. 2 literally; the weights' layout puts it after) fail every grouped model
 * by O(1).
 *
 * Checks only: the front ends (tests/tap_runner.c, Criterion) run the table at the bottom. */
#include "checks.h"
#include "data/v1_golden.h"
#include "st_writer.h"

#include <time.h>

#define RN_REL_TOL 1e-4
#define RN_BN_EPS 1e-5

/* ------------------------------------------------------------------------------------------
 *  Configurations
 * ------------------------------------------------------------------------------------------ */

typedef struct rn_config {
    const char *name;
    int groups;
    float width;              /* used only when stage[0] == 0                        */
    vgs_shuffle_order order;
    int stem, stage[3];       /* passed to the library (0, {0,0,0}: width-derived)    */
    int want_stem, want[3];   /* the channel counts the weights are made for          */
    int num_classes, h, w;
    int no_nbt;               /* 1: write no num_batches_tracked tensors              */
    int scramble;             /* 1: write the tensors in a random file order          */
    const float *golden[2];   /* PyTorch's logits of image 0 at 64 x 64 and 224 x 224 (h, w
                                 then 64 on the scalar tier and in quick mode, else 224;
                                 tools/gen_v1_golden.py; see "Goldens" below)           */
} rn_config;

#define P VGS_SHUFFLE_PAPER
#define M VGS_SHUFFLE_MEGVII

/* tiny:  the smallest valid counts: stage outs 4g, 8g, 12g (bottlenecks g, 2g, 3g: ONE
 *        channel per group in stage 2), stem g.
 * small: bottleneck channels per group (C/g) chosen != 1 and != g in every stage (when
 *        C/g == g, or 1, the two shuffle orders are the same permutation), stems that are not
 *        multiples of 4 where the groups allow it.
 * wN:    width-derived (stage_channels 0): g3 / g8 0.5x are Megvii's published models
 *        (12 / 120, 240, 480 and 16 / 192, 384, 768, ../shared/models/README.md).  The others
 *        follow the rule documented in vggshuffle.h (stage 2 = base * width rounded to a
 *        multiple of 4g, base 144 / 200 / 240 / 272 / 384 for g = 1 / 2 / 3 / 4 / 8 (Zhang et
 *        al., Table 1); stem = 24 * width rounded to a multiple of 4, raised until
 *        (stage 2 - stem) % g == 0):
 *          g1 0.5:  144 * 0.5 = 72 -> 72;  24 * 0.5 = 12 -> 12.
 *          g2 0.25: 200 * 0.25 = 50 -> 48 (multiple of 8);  24 * 0.25 = 6 -> 8 (6 lies halfway
 *                   between 4 and 8; half rounds up, as in Megvii's / TF's make_divisible:
 *                   int(v + d/2) // d * d).
 *          g4 1.0:  272 (= 17 * 16) and 24 (Table 1 of the paper).
 *          g8 0.25: 384 * 0.25 = 96 (= 3 * 32);  6 -> 8, (96 - 8) % 8 == 0. */
static const rn_config rn_configs[] = {
    /* name                  g  width ord stem stage             want stem/stages   nc   h   w  nbt scr */
    {"g1_tiny_paper",        1, 0.f,  P,  1, {4, 8, 12},        1, {4, 8, 12},     10,  57, 45, 0, 0, {NULL, NULL}},
    {"g2_tiny_megvii",       2, 0.f,  M,  2, {8, 16, 24},       2, {8, 16, 24},    10,  64, 64, 0, 1, {NULL, NULL}},
    {"g3_tiny_paper",        3, 0.f,  P,  3, {12, 24, 36},      3, {12, 24, 36},   7,   45, 57, 0, 0, {NULL, NULL}},
    {"g4_tiny_megvii",       4, 0.f,  M,  4, {16, 32, 48},      4, {16, 32, 48},   10,  32, 32, 0, 0, {NULL, NULL}},
    {"g8_tiny_paper",        8, 0.f,  P,  8, {32, 64, 96},      8, {32, 64, 96},   10,  48, 80, 0, 1, {NULL, NULL}},
    {"g1_small_megvii",      1, 0.f,  M,  5, {8, 12, 20},       5, {8, 12, 20},    10,  64, 64, 0, 0, {NULL, NULL}},
    {"g2_small_paper",       2, 0.f,  P,  6, {24, 40, 56},      6, {24, 40, 56},   10,  57, 45, 0, 0, {NULL, NULL}},
    {"g2_small_megvii_no_nbt", 2, 0.f,  M,  6, {24, 40, 56},      6, {24, 40, 56},   10,  57, 45, 1, 0, {NULL, NULL}},
    {"g3_small_paper",       3, 0.f,  P,  9, {24, 48, 60},      9, {24, 48, 60},   10,  64, 48, 0, 1, {NULL, NULL}},
    {"g3_small_megvii",      3, 0.f,  M,  9, {24, 48, 60},      9, {24, 48, 60},   10,  64, 48, 0, 0, {NULL, NULL}},
    {"g4_small_paper",       4, 0.f,  P,  12, {32, 48, 80},     12, {32, 48, 80},  10,  33, 35, 0, 0, {NULL, NULL}},
    {"g4_small_megvii",      4, 0.f,  M,  12, {32, 48, 80},     12, {32, 48, 80},  10,  33, 35, 0, 0, {NULL, NULL}},
    {"g8_small_paper",       8, 0.f,  P,  24, {64, 96, 160},    24, {64, 96, 160}, 10,  64, 64, 0, 0, {NULL, NULL}},
    {"g8_small_megvii",      8, 0.f,  M,  24, {64, 96, 160},    24, {64, 96, 160}, 10,  64, 64, 0, 1, {NULL, NULL}},
    {"g1_w0.5_paper",        1, 0.5f, P,  0, {0, 0, 0},         12, {72, 144, 288}, 10, 64, 64, 0, 0, {NULL, NULL}},
    {"g2_w0.25_megvii",      2, 0.25f, M, 0, {0, 0, 0},         8, {48, 96, 192},  10,  48, 80, 0, 0, {NULL, NULL}},
    {"g3_w0.5_megvii",       3, 0.5f, M,  0, {0, 0, 0},         12, {120, 240, 480}, 1000, 112, 96, 0, 1, {NULL, NULL}},
    {"g3_w0.5_paper",        3, 0.5f, P,  0, {0, 0, 0},         12, {120, 240, 480}, 10, 57, 45, 0, 0, {NULL, NULL}},
    {"g4_w1.0_megvii",       4, 1.0f, M,  0, {0, 0, 0},         24, {272, 544, 1088}, 10, 32, 32, 0, 0, {NULL, NULL}},
    {"g8_w0.5_megvii",       8, 0.5f, M,  0, {0, 0, 0},         16, {192, 384, 768}, 10, 64, 64, 0, 0, {NULL, NULL}},
    {"g8_w0.5_paper",        8, 0.5f, P,  0, {0, 0, 0},         16, {192, 384, 768}, 10, 45, 57, 0, 0, {NULL, NULL}},
    {"g8_w0.25_paper",       8, 0.25f, P, 0, {0, 0, 0},         8, {96, 192, 384}, 10,  64, 64, 0, 0, {NULL, NULL}},
#define GOLDEN(g, ord, name, c2) \
    {#name, g, 1.0f, ord, 0, {0, 0, 0}, 24, {c2, 2 * c2, 4 * c2}, V1_GOLDEN_CLASSES, 224, 224, 0, 0, {v1_##name##_64, v1_##name##_224}}
    GOLDEN(1, M, golden_g1_x1_0, 144),
    GOLDEN(2, M, golden_g2_x1_0, 200),
    GOLDEN(3, M, golden_g3_x1_0, 240),
    GOLDEN(4, M, golden_g4_x1_0, 272),
    GOLDEN(8, M, golden_g8_x1_0, 384),
    GOLDEN(3, P, golden_g3_x1_0_paper, 240),
#undef GOLDEN
};
#define RN_NCONFIGS (sizeof rn_configs / sizeof rn_configs[0])

#undef P
#undef M

static const int rn_repeats[3] = {4, 8, 4};

static vgs_shufflenet_v1_config rn_lib_config(const rn_config *c)
{
    vgs_shufflenet_v1_config lc;
    memset(&lc, 0, sizeof lc);
    lc.groups = c->groups;
    lc.width = c->width;
    lc.order = c->order;
    lc.num_classes = c->num_classes;
    lc.stem_channels = c->stem;
    for (int i = 0; i < 3; i++) lc.stage_channels[i] = c->stage[i];
    return lc;
}

/* ------------------------------------------------------------------------------------------
 *  Random weights
 * ------------------------------------------------------------------------------------------ */

/* Conv weight [o, i, k, k] ~ U(-a, a), a = sqrt(3 / (i k k)). */
static void rn_add_conv(st_model *m, vgs_rng *r, const char *name, int64_t o, int64_t i, int64_t k)
{
    const int64_t shape[4] = {o, i, k, k};
    st_tensor *t = st_model_add(m, name, 4, shape);
    if (!t) return;
    const float a = (float)sqrt(3.0 / (double)(i * k * k));
    vgs_rng_fill(r, t->f, t->n, -a, a);
}

/* BatchNorm `prefix`.{weight, bias, running_mean, running_var[, num_batches_tracked]}. */
static void rn_add_bn(st_model *m, vgs_rng *r, const char *prefix, int64_t c, int nbt)
{
    static const char *const part[4] = {"weight", "bias", "running_mean", "running_var"};
    static const float lo[4] = {0.5f, -0.1f, -0.1f, 0.5f}, hi[4] = {1.5f, 0.1f, 0.1f, 1.5f};
    char name[96];
    for (int j = 0; j < 4; j++) {
        snprintf(name, sizeof name, "%s.%s", prefix, part[j]);
        st_tensor *t = st_model_add(m, name, 1, &c);
        if (!t) return;
        vgs_rng_fill(r, t->f, t->n, lo[j], hi[j]);
    }
    if (nbt) {
        snprintf(name, sizeof name, "%s.num_batches_tracked", prefix);
        st_tensor *t = st_model_add(m, name, 0, NULL);
        if (t) t->i64 = (int64_t)(vgs_rng_u64(r) >> 44) + 1; /* like a real step count */
    }
}

/* All tensors of the network with the config's (wanted) channel counts. */
static int rn_model_build(const rn_config *c, uint64_t seed, st_model *m)
{
    vgs_rng r = vgs_rng_seed(seed);
    const int g = c->groups, nbt = !c->no_nbt;
    char conv[96], bn[96];
    memset(m, 0, sizeof *m);
    rn_add_conv(m, &r, "first_conv.0.weight", c->want_stem, 3, 3);
    rn_add_bn(m, &r, "first_conv.1", c->want_stem, nbt);
    int in_c = c->want_stem, k = 0;
    for (int s = 0; s < 3; s++) {
        for (int u = 0; u < rn_repeats[s]; u++, k++) {
            const int out = c->want[s], mid = out / 4, branch = u == 0 ? out - in_c : out;
            const int g1 = k == 0 ? 1 : g;
            snprintf(conv, sizeof conv, "features.%d.branch_main_1.0.weight", k);
            snprintf(bn, sizeof bn, "features.%d.branch_main_1.1", k);
            rn_add_conv(m, &r, conv, mid, in_c / g1, 1);
            rn_add_bn(m, &r, bn, mid, nbt);
            snprintf(conv, sizeof conv, "features.%d.branch_main_1.3.weight", k);
            snprintf(bn, sizeof bn, "features.%d.branch_main_1.4", k);
            rn_add_conv(m, &r, conv, mid, 1, 3);
            rn_add_bn(m, &r, bn, mid, nbt);
            snprintf(conv, sizeof conv, "features.%d.branch_main_2.0.weight", k);
            snprintf(bn, sizeof bn, "features.%d.branch_main_2.1", k);
            rn_add_conv(m, &r, conv, branch, mid / g, 1);
            rn_add_bn(m, &r, bn, branch, nbt);
            in_c = out;
        }
    }
    rn_add_conv(m, &r, "classifier.0.weight", c->num_classes, in_c, 1);
    if (!m->fail) { /* the linear weight is 2-D: drop the 1 x 1 */
        m->t[m->n - 1].ndim = 2;
    }
    return m->fail ? -1 : 0;
}

/* safetensors entries of the model (capacity n + extra), in file order: natural, or
 * scrambled with seed. */
static st_entry *rn_entries(const st_model *m, size_t extra, int scramble, uint64_t seed, size_t *n)
{
    st_entry *e = st_model_entries(m, extra);
    if (!e) return NULL;
    if (scramble) {
        vgs_rng r = vgs_rng_seed(seed ^ 0x5C4A3B1Eu);
        for (size_t i = m->n; i > 1; i--) {
            size_t j = (size_t)(vgs_rng_u64(&r) % i);
            st_entry tmp = e[i - 1];
            e[i - 1] = e[j];
            e[j] = tmp;
        }
    }
    *n = m->n;
    return e;
}

/* Entries -> bytes -> vgs_weights (the bytes are freed: vgs_weights_from_memory copies). */
static int rn_open(const st_entry *e, size_t n, vgs_weights **w, char *msg, size_t len)
{
    size_t size = 0;
    unsigned char *bytes = st_build(e, n, &size);
    if (!bytes) return vgs_check_fail(msg, len, "out of memory building safetensors");
    vgs_status st = vgs_weights_from_memory(bytes, size, "refnet.safetensors", w);
    free(bytes);
    if (st != VGS_OK) {
        return vgs_check_fail(msg, len, "vgs_weights_from_memory: %s: %s", vgs_status_name(st), vgs_last_error());
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------
 *  fp64 reference network (from the definition; see the top of the file)
 * ------------------------------------------------------------------------------------------ */

typedef struct ref_act {
    int c, h, w;
    double *v;         /* c x h x w */
} ref_act;

static ref_act ref_new(int c, int h, int w)
{
    ref_act a = {c, h, w, (double *)calloc((size_t)c * h * w, sizeof(double))};
    if (!a.v) {
        fprintf(stderr, "check_refnet: out of memory\n");
        abort();
    }
    return a;
}

#define RA(a, ch, y, x) ((a).v[((size_t)(ch) * (a).h + (size_t)(y)) * (a).w + (size_t)(x)])

/* PyTorch Conv2d, no bias: weight [O][C/groups][k][k], zero padding k / 2, stride s.
 * Output channel o belongs to group o / (O / groups) and reads that group's C / groups input
 * channels. */
static ref_act ref_conv(ref_act x, const st_tensor *wt, int groups, int stride)
{
    const int O = (int)wt->shape[0], cg = (int)wt->shape[1], k = (int)wt->shape[2], p = k / 2;
    if (cg * groups != x.c || O % groups || wt->shape[3] != k) {
        fprintf(stderr, "check_refnet: internal error: conv %s on %d channels, %d groups\n", wt->name, x.c, groups);
        abort();
    }
    const int og = O / groups;
    ref_act y = ref_new(O, (x.h + 2 * p - k) / stride + 1, (x.w + 2 * p - k) / stride + 1);
    for (int o = 0; o < O; o++) {
        const int c0 = (o / og) * cg;
        for (int oy = 0; oy < y.h; oy++) {
            for (int ox = 0; ox < y.w; ox++) {
                double s = 0.0;
                for (int ci = 0; ci < cg; ci++) {
                    for (int ky = 0; ky < k; ky++) {
                        const int iy = oy * stride - p + ky;
                        if (iy < 0 || iy >= x.h) continue;
                        for (int kx = 0; kx < k; kx++) {
                            const int ix = ox * stride - p + kx;
                            if (ix < 0 || ix >= x.w) continue;
                            s += (double)wt->f[(((size_t)o * cg + ci) * k + ky) * k + kx] * RA(x, c0 + ci, iy, ix);
                        }
                    }
                }
                RA(y, o, oy, ox) = s;
            }
        }
    }
    free(x.v);
    return y;
}

/* BatchNorm (inference), in place: (x - mean) / sqrt(var + eps) * gamma + beta. */
static void ref_bn(const st_model *m, const char *prefix, ref_act x)
{
    char name[96];
    const st_tensor *t[4];
    static const char *const part[4] = {"weight", "bias", "running_mean", "running_var"};
    for (int j = 0; j < 4; j++) {
        snprintf(name, sizeof name, "%s.%s", prefix, part[j]);
        t[j] = st_model_get(m, name);
    }
    const size_t hw = (size_t)x.h * x.w;
    for (int c = 0; c < x.c; c++) {
        const double gamma = t[0]->f[c], beta = t[1]->f[c], mean = t[2]->f[c], var = t[3]->f[c];
        for (size_t i = 0; i < hw; i++) {
            double *v = &x.v[(size_t)c * hw + i];
            *v = (*v - mean) / sqrt(var + RN_BN_EPS) * gamma + beta;
        }
    }
}

static void ref_relu(ref_act x)
{
    const size_t n = (size_t)x.c * x.h * x.w;
    for (size_t i = 0; i < n; i++)
        if (x.v[i] < 0) x.v[i] = 0;
}

/* 3x3 stride 2 padding 1 pooling; max ignores the padding, avg counts it (always / 9). */
static ref_act ref_pool(ref_act x, int is_max)
{
    ref_act y = ref_new(x.c, (x.h + 2 - 3) / 2 + 1, (x.w + 2 - 3) / 2 + 1);
    for (int c = 0; c < x.c; c++) {
        for (int oy = 0; oy < y.h; oy++) {
            for (int ox = 0; ox < y.w; ox++) {
                double s = 0.0, mx = -INFINITY;
                for (int ky = 0; ky < 3; ky++) {
                    for (int kx = 0; kx < 3; kx++) {
                        const int iy = 2 * oy - 1 + ky, ix = 2 * ox - 1 + kx;
                        if (iy < 0 || iy >= x.h || ix < 0 || ix >= x.w) continue;
                        s += RA(x, c, iy, ix);
                        if (RA(x, c, iy, ix) > mx) mx = RA(x, c, iy, ix);
                    }
                }
                RA(y, c, oy, ox) = is_max ? mx : s / 9.0;
            }
        }
    }
    return y; /* x is still the caller's */
}

/* Channel shuffle, literally: view the C channels as a (A, B) matrix (channel a*B + b at
 * [a][b]), transpose it to (B, A), flatten: output channel b*A + a = input channel a*B + b.
 *   paper:  A = g, B = C/g.     Megvii: A = C/g, B = g. */
static ref_act ref_shuffle(ref_act x, int g, vgs_shuffle_order order)
{
    const int A = order == VGS_SHUFFLE_PAPER ? g : x.c / g, B = x.c / A;
    const size_t plane = (size_t)x.h * x.w;
    ref_act y = ref_new(x.c, x.h, x.w);
    for (int a = 0; a < A; a++)
        for (int b = 0; b < B; b++)
            memcpy(y.v + (size_t)(b * A + a) * plane, x.v + (size_t)(a * B + b) * plane, plane * sizeof(double));
    free(x.v);
    return y;
}

/* Logits (num_classes doubles) of one image img (3 x h x w floats). */
static void ref_forward(const st_model *m, const rn_config *c, const float *img, double *logits)
{
    char name[96];
    ref_act x = ref_new(3, c->h, c->w);
    for (size_t i = 0; i < (size_t)3 * c->h * c->w; i++) x.v[i] = img[i];
    x = ref_conv(x, st_model_get(m, "first_conv.0.weight"), 1, 2);
    ref_bn(m, "first_conv.1", x);
    ref_relu(x);
    ref_act t = ref_pool(x, 1);
    free(x.v);
    x = t;
    int k = 0;
    for (int s = 0; s < 3; s++) {
        for (int u = 0; u < rn_repeats[s]; u++, k++) {
            const int stride = u == 0 ? 2 : 1, g1 = k == 0 ? 1 : c->groups;
            ref_act b = ref_new(x.c, x.h, x.w);
            memcpy(b.v, x.v, (size_t)x.c * x.h * x.w * sizeof(double));
            snprintf(name, sizeof name, "features.%d.branch_main_1.0.weight", k);
            b = ref_conv(b, st_model_get(m, name), g1, 1);
            snprintf(name, sizeof name, "features.%d.branch_main_1.1", k);
            ref_bn(m, name, b);
            ref_relu(b);
            snprintf(name, sizeof name, "features.%d.branch_main_1.3.weight", k);
            b = ref_conv(b, st_model_get(m, name), b.c, stride); /* depthwise: groups = channels */
            snprintf(name, sizeof name, "features.%d.branch_main_1.4", k);
            ref_bn(m, name, b);
            b = ref_shuffle(b, c->groups, c->order);
            snprintf(name, sizeof name, "features.%d.branch_main_2.0.weight", k);
            b = ref_conv(b, st_model_get(m, name), c->groups, 1);
            snprintf(name, sizeof name, "features.%d.branch_main_2.1", k);
            ref_bn(m, name, b);
            if (stride == 1) {
                const size_t n = (size_t)x.c * x.h * x.w;
                if (b.c != x.c || b.h != x.h || b.w != x.w) abort();
                for (size_t i = 0; i < n; i++) b.v[i] += x.v[i];
                ref_relu(b);
                free(x.v);
                x = b;
            } else {
                ref_act p = ref_pool(x, 0);
                ref_relu(b);
                if (p.h != b.h || p.w != b.w) abort();
                ref_act y = ref_new(p.c + b.c, p.h, p.w);
                const size_t plane = (size_t)p.h * p.w;
                memcpy(y.v, p.v, (size_t)p.c * plane * sizeof(double));
                memcpy(y.v + (size_t)p.c * plane, b.v, (size_t)b.c * plane * sizeof(double));
                free(p.v);
                free(b.v);
                free(x.v);
                x = y;
            }
        }
    }
    const st_tensor *fc = st_model_get(m, "classifier.0.weight");
    const size_t hw = (size_t)x.h * x.w;
    double *pooled = (double *)calloc((size_t)x.c, sizeof(double));
    if (!pooled || fc->shape[1] != x.c) abort();
    for (int ch = 0; ch < x.c; ch++) {
        double s = 0.0;
        for (size_t i = 0; i < hw; i++) s += x.v[(size_t)ch * hw + i];
        pooled[ch] = s / (double)hw;
    }
    for (int o = 0; o < c->num_classes; o++) {
        double s = 0.0;
        for (int ch = 0; ch < x.c; ch++) s += (double)fc->f[(size_t)o * x.c + ch] * pooled[ch];
        logits[o] = s;
    }
    free(pooled);
    free(x.v);
}

/* ------------------------------------------------------------------------------------------
 *  Library vs reference
 * ------------------------------------------------------------------------------------------ */

static double rn_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int rn_verbose(void)
{
    const char *v = getenv("VGS_REFNET_VERBOSE");
    return v && *v && strcmp(v, "0") != 0;
}

static uint64_t rn_seed(const rn_config *c)
{
    uint64_t h = 0xCBF29CE484222325ull; /* FNV-1a of the name: one fixed seed per config */
    for (const char *p = c->name; *p; p++) h = (h ^ (unsigned char)*p) * 0x100000001B3ull;
    return h;
}

#define RN_BATCH 2

/* vgs_runtime_make_fn over a reference model's entries. */
typedef struct rn_maker {
    const st_entry *e;
    size_t n;
    const vgs_shufflenet_v1_config *lc;
    int h, w;
} rn_maker;

static int rn_make(void *ctx, const vgs_net_options *o, vgs_net **net, char *msg, size_t len)
{
    const rn_maker *mk = (const rn_maker *)ctx;
    vgs_weights *w = NULL;
    if (rn_open(mk->e, mk->n, &w, msg, len)) return 1;
    vgs_net_options opt = *o;
    opt.input_height = mk->h, opt.input_width = mk->w;
    const vgs_status st = vgs_shufflenet_v1_create(mk->lc, w, &opt, net);
    vgs_weights_close(w);
    if (st != VGS_OK) return vgs_check_fail(msg, len, "vgs_shufflenet_v1_create: %s: %s", vgs_status_name(st), vgs_last_error());
    return 0;
}
#define RN_GUARD 16 /* sentinel floats after the logits */

static int rn_run(const rn_config *config, vgs_isa isa, char *msg, size_t len)
{
    const double t0 = rn_now();
    /* a golden config runs 224 x 224 on the SIMD tiers natively, 64 x 64 on the scalar tier
     * and in quick mode (the emulated runs, the sanitizers) */
    rn_config sized = *config;
    const int small = config->golden[0] && (isa == VGS_ISA_SCALAR || vgs_check_quick());
    if (small) sized.h = sized.w = 64;
    const rn_config *c = &sized;
    const uint64_t seed = rn_seed(c);
    const vgs_shufflenet_v1_config lc = rn_lib_config(c);
    const vgs_net_options opt = vgs_check_options(1, c->h, c->w);
    const size_t nc = (size_t)c->num_classes, image = (size_t)3 * c->h * c->w;
    st_model m;
    st_entry *e = NULL;
    vgs_weights *w = NULL;
    vgs_net *net = NULL;
    float *x = NULL, *logits = NULL;
    double *ref = NULL;
    int rc = 0;
    char where[160];
    snprintf(where, sizeof where, "refnet/%s [%s] (g%d, stem %d, stages %d/%d/%d, %s order, %dx%d, %d classes)",
             c->name, vgs_isa_to_string(isa), c->groups, c->want_stem, c->want[0], c->want[1], c->want[2],
             c->order == VGS_SHUFFLE_PAPER ? "paper" : "Megvii", c->h, c->w, c->num_classes);

    if (rn_model_build(c, seed, &m) != 0) {
        st_model_free(&m);
        return vgs_check_fail(msg, len, "%s: out of memory", where);
    }
    size_t n = 0;
    e = rn_entries(&m, 0, c->scramble, seed, &n);
    if (!e) rc = vgs_check_fail(msg, len, "%s: out of memory", where);
    if (!rc) rc = rn_open(e, n, &w, msg, len);
    if (!rc) {
        vgs_status st = vgs_shufflenet_v1_create(&lc, w, &opt, &net);
        if (st != VGS_OK) {
            rc = vgs_check_fail(msg, len, "%s: vgs_shufflenet_v1_create: %s: %s", where, vgs_status_name(st),
                                vgs_last_error());
        }
    }
    vgs_weights_close(w); /* the net must not need the weights any more */
    w = NULL;
    if (!rc) {
        int ic, ih, iw;
        vgs_net_input_shape(net, &ic, &ih, &iw);
        if (vgs_net_num_classes(net) != c->num_classes || ic != 3 || ih != c->h || iw != c->w) {
            rc = vgs_check_fail(msg, len, "%s: net reports %d classes, input %dx%dx%d", where,
                                vgs_net_num_classes(net), ic, ih, iw);
        }
    }
    if (!rc) {
        x = (float *)malloc(RN_BATCH * image * sizeof(float));
        logits = (float *)malloc((RN_BATCH * nc + RN_GUARD) * sizeof(float));
        ref = (double *)malloc(RN_BATCH * nc * sizeof(double));
        if (!x || !logits || !ref) rc = vgs_check_fail(msg, len, "%s: out of memory", where);
    }
    if (!rc) {
        vgs_rng r = vgs_rng_seed(seed + 1);
        vgs_rng_fill(&r, x, RN_BATCH * image, 0.0f, 1.0f);
        vgs_fill_sentinel(logits, RN_BATCH * nc + RN_GUARD);
        const vgs_isa before = vgs_isa_current();
        vgs_status st = vgs_isa_force(isa);
        if (st != VGS_OK) {
            rc = vgs_check_fail(msg, len, "%s: vgs_isa_force: %s", where, vgs_last_error());
        } else {
            st = vgs_net_forward(net, x, RN_BATCH, logits, RN_BATCH * nc);
            if (st != VGS_OK) {
                rc = vgs_check_fail(msg, len, "%s: vgs_net_forward: %s: %s", where, vgs_status_name(st),
                                    vgs_last_error());
            }
        }
        vgs_isa_force(before);
    }
    const double t1 = rn_now();
    for (size_t i = 0; !rc && i < RN_GUARD; i++) {
        if (!vgs_is_sentinel(logits[RN_BATCH * nc + i])) {
            rc = vgs_check_fail(msg, len, "%s: vgs_net_forward wrote logits[%zu], past the %zu it was given", where,
                                RN_BATCH * nc + i, RN_BATCH * nc);
        }
    }
    /* in quick mode a golden config is checked against PyTorch only: the fp64 reference of
     * these widths and the contracts' extra nets cost ~10 s a config under qemu, and the
     * smaller configs check both on every emulated tier */
    const int full = !(c->golden[0] && vgs_check_quick());
    double worst_rel = 0.0;
    for (size_t b = 0; !rc && full && b < RN_BATCH; b++) {
        ref_forward(&m, c, x + b * image, ref + b * nc);
        double amax = 0.0;
        for (size_t j = 0; j < nc; j++) amax = fmax(amax, fabs(ref[b * nc + j]));
        size_t wj = 0;
        double werr = -1.0;
        for (size_t j = 0; j < nc; j++) {
            const double err = fabs((double)logits[b * nc + j] - ref[b * nc + j]);
            if (!(err <= werr)) { /* NaN sticks */
                werr = err;
                wj = j;
                if (err != err) break;
            }
        }
        const double rel = werr / amax;
        if (!(rel <= worst_rel)) worst_rel = rel;
        if (!(amax > 0) || !(werr <= RN_REL_TOL * amax)) {
            char gbuf[64];
            rc = vgs_check_fail(msg, len,
                                "%s: image %zu, logit %zu: got %s, reference %.9g; |error| %.3g = %.3g x max|ref logit| "
                                "(%.6g), tolerance %.1e x max|ref logit|",
                                where, b, wj, vgs_fmt_float(logits[b * nc + wj], gbuf, sizeof gbuf), ref[b * nc + wj],
                                werr, rel, amax, RN_REL_TOL);
        }
    }
    double golden_rel = 0.0;
    if (!rc && c->golden[0]) {
        rc = vgs_check_golden(where, logits, c->golden[small ? 0 : 1], nc, RN_REL_TOL, 2 * RN_REL_TOL, &golden_rel, msg,
                              len);
    }
    /* the runtime's contracts: the same logits, bit for bit, on other thread counts and
     * batch chunkings (check_runtime.c) */
    if (!rc && full) {
        rn_maker mk = {e, n, &lc, c->h, c->w};
        rc = vgs_runtime_same_logits(where, rn_make, &mk, c->h, c->w, isa, x, RN_BATCH, logits, nc, msg, len);
    }
    if (rn_verbose()) {
        char vs_torch[64] = "";
        if (c->golden[0]) snprintf(vs_torch, sizeof vs_torch, ", vs PyTorch %.3g", golden_rel);
        if (full) {
            fprintf(stderr, "# refnet/%-18s [%s]: worst |err|/max|ref| = %.3g (tol %.0e)%s; lib+build %.3f s, ref %.3f s\n",
                    c->name, vgs_isa_to_string(isa), worst_rel, RN_REL_TOL, vs_torch, t1 - t0, rn_now() - t1);
        } else {
            fprintf(stderr, "# refnet/%-18s [%s]: |err|/max|PyTorch| = %.3g (tol %.0e); lib+build %.3f s\n", c->name,
                    vgs_isa_to_string(isa), golden_rel, RN_REL_TOL, t1 - t0);
        }
    }
    vgs_net_destroy(net);
    free(e);
    free(x);
    free(logits);
    free(ref);
    st_model_free(&m);
    return rc;
}

/* One check function per config (the table holds plain function pointers). */
extern const vgs_check_case vgs_refnet_checks[];

static int rn_case(size_t i, vgs_isa isa, char *msg, size_t len)
{
    /* the table's entry i must be config i (a check of this file, not of the library) */
    if (strcmp(vgs_refnet_checks[i].name, rn_configs[i].name) != 0) {
        return vgs_check_fail(msg, len, "check_refnet.c: table entry %zu '%s' runs config '%s'", i,
                              vgs_refnet_checks[i].name, rn_configs[i].name);
    }
    return rn_run(&rn_configs[i], isa, msg, len);
}

#define RN_CASE(i)                                                            \
    static int rn_case_##i(vgs_isa isa, char *msg, size_t len)                \
    {                                                                         \
        return rn_case(i, isa, msg, len);                                     \
    }
RN_CASE(0) RN_CASE(1) RN_CASE(2) RN_CASE(3) RN_CASE(4) RN_CASE(5) RN_CASE(6) RN_CASE(7)
RN_CASE(8) RN_CASE(9) RN_CASE(10) RN_CASE(11) RN_CASE(12) RN_CASE(13) RN_CASE(14) RN_CASE(15)
RN_CASE(16) RN_CASE(17) RN_CASE(18) RN_CASE(19) RN_CASE(20) RN_CASE(21) RN_CASE(22) RN_CASE(23)
RN_CASE(24) RN_CASE(25) RN_CASE(26) RN_CASE(27)
#undef RN_CASE
_Static_assert(RN_NCONFIGS == 28, "one RN_CASE and one table entry per config");

/* ------------------------------------------------------------------------------------------
 *  Errors of vgs_shufflenet_v1_create
 * ------------------------------------------------------------------------------------------ */

/* Create a net from entries e[0..n) and config lc; expect status `want`, no net, and (if
 * name) the name quoted in vgs_last_error(). */
static int rn_expect_error(const char *what, const vgs_shufflenet_v1_config *lc, const st_entry *e, size_t n,
                           vgs_status want, const char *name, char *msg, size_t len)
{
    vgs_weights *w = NULL;
    const vgs_net_options opt = vgs_check_options(1, 40, 48);
    if (rn_open(e, n, &w, msg, len)) {
        size_t l = strlen(msg);
        snprintf(msg + l, len - l, " (case: %s)", what);
        return 1;
    }
    vgs_net *net = (vgs_net *)(uintptr_t)1; /* must be set to NULL on error */
    vgs_status st = vgs_shufflenet_v1_create(lc, w, &opt, &net);
    char err[512];
    snprintf(err, sizeof err, "%s", vgs_last_error());
    vgs_weights_close(w);
    if (st == VGS_OK) {
        vgs_net_destroy(net);
        return vgs_check_fail(msg, len, "%s: vgs_shufflenet_v1_create succeeded, expected %s", what, vgs_status_name(want));
    }
    if (st != want) {
        return vgs_check_fail(msg, len, "%s: vgs_shufflenet_v1_create returned %s (\"%s\"), expected %s", what,
                              vgs_status_name(st), err, vgs_status_name(want));
    }
    if (net != NULL) return vgs_check_fail(msg, len, "%s: %s returned but *out is not NULL", what, vgs_status_name(st));
    if (!err[0]) return vgs_check_fail(msg, len, "%s: %s returned with an empty vgs_last_error()", what, vgs_status_name(st));
    if (name) {
        char quoted[128];
        snprintf(quoted, sizeof quoted, "'%s'", name);
        if (!strstr(err, name)) {
            return vgs_check_fail(msg, len, "%s: vgs_last_error() \"%s\" does not name %s", what, err, quoted);
        }
    }
    return 0;
}

#define RN_CFG_TINY_G3 2 /* rn_configs[2]: g3_tiny_paper, stem 3, stages 12/24/36, 7 classes */

/* The model of rn_configs[idx] as entries (capacity + 4); the caller frees both. */
static int rn_base(size_t idx, st_model *m, st_entry **e, size_t *n, char *msg, size_t len)
{
    if (rn_model_build(&rn_configs[idx], rn_seed(&rn_configs[idx]), m) != 0 ||
        !(*e = rn_entries(m, 4, 0, 0, n))) {
        st_model_free(m);
        return vgs_check_fail(msg, len, "out of memory");
    }
    return 0;
}

int vgs_refnet_make_tiny(const vgs_net_options *o, vgs_net **net, char *msg, size_t len)
{
    st_model m;
    st_entry *e;
    size_t n = 0;
    if (rn_base(RN_CFG_TINY_G3, &m, &e, &n, msg, len)) return 1;
    const rn_config *c = &rn_configs[RN_CFG_TINY_G3];
    const vgs_shufflenet_v1_config lc = rn_lib_config(c);
    rn_maker mk = {e, n, &lc, c->h, c->w};
    const int rc = rn_make(&mk, o, net, msg, len);
    free(e);
    st_model_free(&m);
    return rc;
}

/* The error checks' base: the g3_tiny_paper model built once per check, and a working copy
 * of its entries (one spare slot) that each case takes fresh and edits. */
typedef struct rn_base_set {
    st_model m;
    st_entry *e, *work;
    size_t n;
} rn_base_set;

static void rn_base_close(rn_base_set *b)
{
    free(b->e);
    free(b->work);
    st_model_free(&b->m);
}

static int rn_base_open(rn_base_set *b, char *msg, size_t len)
{
    if (rn_base(RN_CFG_TINY_G3, &b->m, &b->e, &b->n, msg, len)) return 1;
    if (!(b->work = (st_entry *)malloc((b->n + 1) * sizeof *b->work))) {
        free(b->e);
        st_model_free(&b->m);
        return vgs_check_fail(msg, len, "out of memory");
    }
    return 0;
}

/* The base entries, unedited (their data stays owned by the model). */
static st_entry *rn_base_fresh(rn_base_set *b)
{
    memcpy(b->work, b->e, b->n * sizeof *b->e);
    return b->work;
}

static size_t rn_find_entry(const st_entry *e, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(e[i].name, name) == 0) return i;
    fprintf(stderr, "check_refnet: internal error: no entry '%s'\n", name);
    abort();
}


/* Channel counts that do not split into the groups (and other bad configs):
 * VGS_ERR_INVALID_ARGUMENT whatever the weights (here: valid ones for g3_tiny_paper). */
static int check_bad_config(vgs_isa isa, char *msg, size_t len)
{
    (void)isa;
    static const struct {
        const char *what;
        int groups;
        float width;
        int order, num_classes, stem, stage[3];
    } bad[] = {
        {"g3, stage 2 = 20 (bottleneck 5 not divisible by 3)", 3, 0.f, 0, 7, 8, {20, 40, 80}},
        {"g3, stage 3 = 36 (bottleneck 9 ok) but stage 4 = 44 (11)", 3, 0.f, 0, 7, 3, {12, 36, 44}},
        {"g4, stage 4 = 136 (bottleneck 34 not divisible by 4)", 4, 0.f, 0, 7, 8, {32, 64, 136}},
        {"g2, stage 3 = 28 (bottleneck 7 odd)", 2, 0.f, 0, 7, 4, {16, 28, 48}},
        {"g3, stem 10: stage 2's branch 24 - 10 = 14 not divisible by 3", 3, 0.f, 0, 7, 10, {24, 48, 96}},
        {"g8, stem 12: stage 2's branch 64 - 12 = 52 not divisible by 8", 8, 0.f, 0, 7, 12, {64, 128, 256}},
        {"g1, stage 2 = 10 (bottleneck out/4 not whole)", 1, 0.f, 0, 7, 4, {10, 20, 40}},
        {"g1, stem 12 >= stage 2 = 12 (empty branch)", 1, 0.f, 0, 7, 12, {12, 24, 48}},
        {"groups 5", 5, 0.f, 0, 7, 5, {20, 40, 80}},
        {"groups 0", 0, 0.f, 0, 7, 4, {16, 32, 64}},
        {"groups 6, width 1", 6, 1.0f, 0, 7, 0, {0, 0, 0}},
        {"g3, width 0.2 (below 0.25)", 3, 0.2f, 0, 7, 0, {0, 0, 0}},
        {"g3, width 0 and no stage_channels", 3, 0.f, 0, 7, 0, {0, 0, 0}},
        {"g3 tiny, num_classes 0", 3, 0.f, 0, 0, 3, {12, 24, 36}},
        {"g3 tiny, shuffle order 2", 3, 0.f, 2, 7, 3, {12, 24, 36}},
    };
    rn_base_set b;
    if (rn_base_open(&b, msg, len)) return 1;
    const st_entry *e = b.e;
    const size_t n = b.n;
    int rc = 0;
    for (size_t i = 0; !rc && i < sizeof bad / sizeof bad[0]; i++) {
        vgs_shufflenet_v1_config lc;
        memset(&lc, 0, sizeof lc);
        lc.groups = bad[i].groups;
        lc.width = bad[i].width;
        lc.order = (vgs_shuffle_order)bad[i].order;
        lc.num_classes = bad[i].num_classes;
        lc.stem_channels = bad[i].stem;
        for (int j = 0; j < 3; j++) lc.stage_channels[j] = bad[i].stage[j];
        rc = rn_expect_error(bad[i].what, &lc, e, n, VGS_ERR_INVALID_ARGUMENT, NULL, msg, len);
    }
    rn_base_close(&b);
    return rc;
}

/* A tensor removed: VGS_ERR_MISSING_TENSOR naming it.  Missing num_batches_tracked is fine
 * (config g2_small_megvii has none). */
static int check_missing_tensor(vgs_isa isa, char *msg, size_t len)
{
    (void)isa;
    static const char *const names[] = {
        "first_conv.0.weight",
        "first_conv.1.bias",
        "features.0.branch_main_1.0.weight",
        "features.9.branch_main_1.4.running_var",
        "features.15.branch_main_2.1.weight",
        "features.4.branch_main_1.3.weight",
        "classifier.0.weight",
    };
    const vgs_shufflenet_v1_config lc = rn_lib_config(&rn_configs[RN_CFG_TINY_G3]);
    rn_base_set b;
    if (rn_base_open(&b, msg, len)) return 1;
    int rc = 0;
    for (size_t i = 0; !rc && i < sizeof names / sizeof names[0]; i++) {
        st_entry *e = rn_base_fresh(&b);
        const size_t n = b.n;
        const size_t k = rn_find_entry(e, n, names[i]);
        memmove(e + k, e + k + 1, (n - k - 1) * sizeof *e);
        char what[160];
        snprintf(what, sizeof what, "g3_tiny_paper without '%s'", names[i]);
        rc = rn_expect_error(what, &lc, e, n - 1, VGS_ERR_MISSING_TENSOR, names[i], msg, len);
    }
    rn_base_close(&b);
    return rc;
}

/* An extra tensor: VGS_ERR_UNKNOWN_TENSOR naming it (also one PyTorch could plausibly hold:
 * a classifier bias, which this model does not have). */
static int check_unknown_tensor(vgs_isa isa, char *msg, size_t len)
{
    (void)isa;
    static const float extra[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    static const char *const names[] = {"features.0.extra.weight", "classifier.0.bias", "module.first_conv.0.weight"};
    const vgs_shufflenet_v1_config lc = rn_lib_config(&rn_configs[RN_CFG_TINY_G3]);
    rn_base_set b;
    if (rn_base_open(&b, msg, len)) return 1;
    int rc = 0;
    for (size_t i = 0; !rc && i < sizeof names / sizeof names[0]; i++) {
        st_entry *e = rn_base_fresh(&b);
        const size_t n = b.n;
        /* in the middle of the file */
        const size_t at = n / 2;
        memmove(e + at + 1, e + at, (n - at) * sizeof *e);
        memset(&e[at], 0, sizeof e[at]);
        snprintf(e[at].name, sizeof e[at].name, "%s", names[i]);
        e[at].dtype = "F32";
        e[at].ndim = 1;
        e[at].shape[0] = 7;
        e[at].data = extra;
        e[at].nbytes = 7 * sizeof(float);
        char what[160];
        snprintf(what, sizeof what, "g3_tiny_paper plus '%s'", names[i]);
        rc = rn_expect_error(what, &lc, e, n + 1, VGS_ERR_UNKNOWN_TENSOR, names[i], msg, len);
    }
    rn_base_close(&b);
    return rc;
}

/* One tensor of the wrong shape (the same number of elements, so the file itself is valid):
 * VGS_ERR_SHAPE naming it; also a config that does not match the weights. */
static int check_wrong_shape(vgs_isa isa, char *msg, size_t len)
{
    (void)isa;
    /* g3_tiny_paper: stem 3, stages 12/24/36 (mid 3/6/9), 7 classes; features.3 is a stage 2
     * stride-1 unit: branch_main_2.0.weight [12, 1, 1, 1]. */
    static const struct {
        const char *name;
        int ndim;
        int64_t shape[4];
    } bad[] = {
        {"features.3.branch_main_2.0.weight", 4, {6, 2, 1, 1}},
        {"features.3.branch_main_2.0.weight", 4, {12, 1, 1}},            /* 3-D */
        {"features.5.branch_main_1.3.weight", 4, {6, 1, 9, 1}},           /* dw [6,1,3,3] */
        {"features.0.branch_main_1.0.weight", 4, {1, 9, 1, 1}},           /* [3,3,1,1] */
        {"first_conv.0.weight", 4, {3, 3, 9, 1}},                         /* [3,3,3,3] */
        {"first_conv.1.running_mean", 2, {3, 1}},
        {"classifier.0.weight", 2, {36, 7}},                              /* transposed */
        {"classifier.0.weight", 4, {7, 36, 1, 1}},                        /* conv-shaped */
    };
    const vgs_shufflenet_v1_config lc = rn_lib_config(&rn_configs[RN_CFG_TINY_G3]);
    rn_base_set b;
    if (rn_base_open(&b, msg, len)) return 1;
    int rc = 0;
    for (size_t i = 0; !rc && i < sizeof bad / sizeof bad[0]; i++) {
        st_entry *e = rn_base_fresh(&b);
        const size_t n = b.n;
        st_entry *t = &e[rn_find_entry(e, n, bad[i].name)];
        size_t count = 1;
        char what[256], dims[64];
        size_t o = 0;
        for (int d = 0; d < bad[i].ndim && bad[i].shape[d]; d++) {
            count *= (size_t)bad[i].shape[d];
            o += (size_t)snprintf(dims + o, sizeof dims - o, d ? ",%lld" : "[%lld", (long long)bad[i].shape[d]);
        }
        snprintf(dims + o, sizeof dims - o, "]");
        if (count * sizeof(float) != t->nbytes) abort(); /* the file must stay valid */
        t->ndim = 0;
        for (int d = 0; d < bad[i].ndim && bad[i].shape[d]; d++) t->shape[t->ndim++] = bad[i].shape[d];
        snprintf(what, sizeof what, "g3_tiny_paper with '%s' of shape %s", bad[i].name, dims);
        rc = rn_expect_error(what, &lc, e, n, VGS_ERR_SHAPE, bad[i].name, msg, len);
    }
    /* the weights of g3_tiny_paper (7 classes) for a net of 8 classes: the classifier */
    if (!rc) {
        st_entry *e = rn_base_fresh(&b);
        const size_t n = b.n;
        vgs_shufflenet_v1_config lc8 = lc;
        lc8.num_classes = 8;
        rc = rn_expect_error("g3_tiny_paper weights (7 classes), config with 8 classes", &lc8, e, n, VGS_ERR_SHAPE,
                             "classifier.0.weight", msg, len);
        /* the same channels with groups 1 (valid config): every grouped conv has the wrong
         * input width; the first one loaded in network order is unit 0's second 1x1
         * ([9, 1, 1, 1] in the file, [9, 3, 1, 1] for groups 1) — require SHAPE only. */
        if (!rc) {
            vgs_shufflenet_v1_config lc1 = lc;
            lc1.groups = 1;
            rc = rn_expect_error("g3_tiny_paper weights, config with groups 1", &lc1, e, n, VGS_ERR_SHAPE, NULL, msg, len);
        }
    }
    rn_base_close(&b);
    return rc;
}

/* A tensor stored with another dtype than F32 (I64 as the brief's case, F16, F64) with its
 * shape intact.  vggshuffle.h: VGS_ERR_FORMAT is "a malformed file (safetensors header,
 * offsets, dtype, ...)"; the loader documents no conversion, so VGS_ERR_FORMAT naming it. */
static int check_wrong_dtype(vgs_isa isa, char *msg, size_t len)
{
    (void)isa;
    static const struct {
        const char *name, *dtype;
        size_t size;
    } bad[] = {
        {"first_conv.1.running_mean", "I64", 8},
        {"features.2.branch_main_1.3.weight", "F16", 2},
        {"classifier.0.weight", "F64", 8},
        {"features.7.branch_main_2.1.running_var", "I32", 4},
    };
    const vgs_shufflenet_v1_config lc = rn_lib_config(&rn_configs[RN_CFG_TINY_G3]);
    rn_base_set b;
    if (rn_base_open(&b, msg, len)) return 1;
    int rc = 0;
    for (size_t i = 0; !rc && i < sizeof bad / sizeof bad[0]; i++) {
        st_entry *e = rn_base_fresh(&b);
        const size_t n = b.n;
        st_entry *t = &e[rn_find_entry(e, n, bad[i].name)];
        const size_t count = t->nbytes / sizeof(float);
        unsigned char *data = (unsigned char *)calloc(count ? count : 1, bad[i].size);
        if (!data) {
            rn_base_close(&b);
            return vgs_check_fail(msg, len, "out of memory");
        }
        for (size_t j = 0; j < count; j++) data[j * bad[i].size] = (unsigned char)(j + 1); /* small values */
        t->dtype = bad[i].dtype;
        t->data = data;
        t->nbytes = count * bad[i].size;
        char what[160];
        snprintf(what, sizeof what, "g3_tiny_paper with '%s' as %s", bad[i].name, bad[i].dtype);
        rc = rn_expect_error(what, &lc, e, n, VGS_ERR_FORMAT, bad[i].name, msg, len);
        free(data);
    }
    rn_base_close(&b);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 *  The table
 * ------------------------------------------------------------------------------------------ */

/* Denormals in a forward pass (vggshuffle.h, vgs_fp_flush_denormals): the pass runs with
 * flush-to-zero and denormals-are-zero and gives the caller's control word back.  The
 * g3_tiny_paper model with its classifier weights replaced by denormals (+-1e-39): IEEE
 * arithmetic gives denormal, nonzero logits (weights times pooled activations ~0.5, summed),
 * read as zero they must all be exactly 0.  With the real weights, an input holding denormals
 * where another holds zeros must give the same logits bit for bit (a denormal reads as zero).
 * Both from the default control word and from one where the caller set a flush bit alone. */
static int check_denormals(vgs_isa isa, char *msg, size_t len)
{
    const rn_config *c = &rn_configs[RN_CFG_TINY_G3];
    const vgs_shufflenet_v1_config lc = rn_lib_config(c);
    const vgs_net_options opt = vgs_check_options(1, 32, 32);
    enum { NX = 3 * 32 * 32 };
    static float x0[NX], x1[NX], logits[2][8];
    rn_base_set b;
    if (rn_base_open(&b, msg, len)) return 1;
    st_entry *e = rn_base_fresh(&b);
    const size_t fc = rn_find_entry(e, b.n, "classifier.0.weight");
    const size_t nw = e[fc].nbytes / sizeof(float);
    float *wd = (float *)malloc(nw * sizeof *wd);
    vgs_weights *w[2] = {NULL, NULL};
    vgs_net *net[2] = {NULL, NULL};
    int rc = wd ? 0 : vgs_check_fail(msg, len, "out of memory");
    if (!rc) rc = rn_open(e, b.n, &w[0], msg, len); /* the real weights */
    for (size_t i = 0; wd && i < nw; i++) wd[i] = i % 3 ? 1e-39f : -2e-39f;
    e[fc].data = wd;
    if (!rc) rc = rn_open(e, b.n, &w[1], msg, len); /* denormal classifier */
    for (int k = 0; k < 2 && !rc; k++)
        if (vgs_shufflenet_v1_create(&lc, w[k], &opt, &net[k]) != VGS_OK)
            rc = vgs_check_fail(msg, len, "create: %s", vgs_last_error());
    vgs_rng r = vgs_rng_seed(0xde70);
    vgs_rng_fill(&r, x0, NX, 0.0f, 1.0f);
    for (size_t i = 0; i < NX; i += 5) x0[i] = 0.0f, x1[i] = i % 2 ? 1e-40f : -3e-41f;
    for (size_t i = 0; i < NX; i++)
        if (i % 5) x1[i] = x0[i];
    const vgs_isa before = vgs_isa_current();
    if (!rc && vgs_isa_force(isa) != VGS_OK) rc = vgs_check_fail(msg, len, "vgs_isa_force: %s", vgs_last_error());
    const uint64_t start = vgs_fp_get();
    const uint64_t user_bit = VGS_FP_FLUSH_BITS & 0x8000u ? 0x8000u : VGS_FP_FLUSH_BITS; /* x86: FTZ alone */
    const uint64_t states[2] = {start & ~(uint64_t)VGS_FP_FLUSH_BITS, (start & ~(uint64_t)VGS_FP_FLUSH_BITS) | user_bit};
    for (int s = 0; s < 2 && !rc; s++) {
        vgs_fp_set(states[s]);
        vgs_status st = vgs_net_forward(net[1], x0, 1, logits[0], 8);
        const uint64_t after = vgs_fp_get();
        if (st == VGS_OK) st = vgs_net_forward(net[0], x0, 1, logits[0], 8);
        if (st == VGS_OK) st = vgs_net_forward(net[0], x1, 1, logits[1], 8);
        vgs_fp_set(start);
        if (st != VGS_OK) {
            rc = vgs_check_fail(msg, len, "forward: %s", vgs_last_error());
            break;
        }
        if (after != states[s])
            rc = vgs_check_fail(msg, len, "[%s] control word %#llx before vgs_net_forward, %#llx after",
                                vgs_isa_to_string(isa), (unsigned long long)states[s], (unsigned long long)after);
        for (int i = 0; i < c->num_classes && !rc; i++)
            if (memcmp(&logits[0][i], &logits[1][i], sizeof(float)) != 0)
                rc = vgs_check_fail(msg, len, "[%s] logit %d: %.9g with zeros in the input, %.9g with denormals there",
                                    vgs_isa_to_string(isa), i, (double)logits[0][i], (double)logits[1][i]);
        /* the denormal classifier, again, for its logits */
        if (!rc && vgs_net_forward(net[1], x0, 1, logits[0], 8) != VGS_OK)
            rc = vgs_check_fail(msg, len, "forward: %s", vgs_last_error());
        for (int i = 0; i < c->num_classes && !rc; i++)
            if (logits[0][i] != 0.0f)
                rc = vgs_check_fail(msg, len, "[%s] denormal classifier weights: logit %d is %g, expected 0 (denormals "
                                    "read as zero in a forward pass)", vgs_isa_to_string(isa), i, (double)logits[0][i]);
    }
    vgs_isa_force(before);
    vgs_net_destroy(net[0]);
    vgs_net_destroy(net[1]);
    vgs_weights_close(w[0]);
    vgs_weights_close(w[1]);
    free(wd);
    rn_base_close(&b);
    return rc;
}

const vgs_check_case vgs_refnet_checks[] = {
    {"refnet", "g1_tiny_paper", rn_case_0, 0},
    {"refnet", "g2_tiny_megvii", rn_case_1, 0},
    {"refnet", "g3_tiny_paper", rn_case_2, 0},
    {"refnet", "g4_tiny_megvii", rn_case_3, 0},
    {"refnet", "g8_tiny_paper", rn_case_4, 0},
    {"refnet", "g1_small_megvii", rn_case_5, 0},
    {"refnet", "g2_small_paper", rn_case_6, 0},
    {"refnet", "g2_small_megvii_no_nbt", rn_case_7, 0},
    {"refnet", "g3_small_paper", rn_case_8, 0},
    {"refnet", "g3_small_megvii", rn_case_9, 0},
    {"refnet", "g4_small_paper", rn_case_10, 0},
    {"refnet", "g4_small_megvii", rn_case_11, 0},
    {"refnet", "g8_small_paper", rn_case_12, 0},
    {"refnet", "g8_small_megvii", rn_case_13, 0},
    {"refnet", "g1_w0.5_paper", rn_case_14, 0},
    {"refnet", "g2_w0.25_megvii", rn_case_15, 0},
    {"refnet", "g3_w0.5_megvii", rn_case_16, 0},
    {"refnet", "g3_w0.5_paper", rn_case_17, 0},
    {"refnet", "g4_w1.0_megvii", rn_case_18, 0},
    {"refnet", "g8_w0.5_megvii", rn_case_19, 0},
    {"refnet", "g8_w0.5_paper", rn_case_20, 0},
    {"refnet", "g8_w0.25_paper", rn_case_21, 0},
    {"refnet", "golden_g1_x1_0", rn_case_22, 0},
    {"refnet", "golden_g2_x1_0", rn_case_23, 0},
    {"refnet", "golden_g3_x1_0", rn_case_24, 0},
    {"refnet", "golden_g4_x1_0", rn_case_25, 0},
    {"refnet", "golden_g8_x1_0", rn_case_26, 0},
    {"refnet", "golden_g3_x1_0_paper", rn_case_27, 0},
    {"refnet", "bad_config", check_bad_config, 1},
    {"refnet", "missing_tensor", check_missing_tensor, 1},
    {"refnet", "unknown_tensor", check_unknown_tensor, 1},
    {"refnet", "wrong_shape", check_wrong_shape, 1},
    {"refnet", "wrong_dtype", check_wrong_dtype, 1},
    {"refnet", "denormals", check_denormals, 0},
};
const size_t vgs_refnet_checks_count = sizeof vgs_refnet_checks / sizeof vgs_refnet_checks[0];
