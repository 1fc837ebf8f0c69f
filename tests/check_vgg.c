/* tests/check_vgg.c — the library's VGG (nets/vgg.h) against an fp64 reference network, on
 * one tier at a time, for every depth (11, 13, 16, 19) with and without BatchNorm and every
 * convolution algorithm (direct; Winograd F(2,3), F(4,3), F(6,3) forced; chosen by shape).
 *
 * The models keep torchvision's structure and tensor names but are narrow (block channels
 * 8, 12, 16, 16, 20, hidden width 24, 10 classes: vgs_vgg_config's test knobs), so that the
 * fp64 reference runs in milliseconds.  The reference (ref_* below) is written from the
 * definition (torchvision 0.14 vgg.py), not from the library: Conv2d(3x3, padding 1, bias),
 * BatchNorm2d (eps 1e-5, unfolded: (x - mean) / sqrt(var + eps) * gamma + beta), ReLU,
 * MaxPool2d(2, 2) (floor), AdaptiveAvgPool2d((7, 7)) (start floor(i*in/7), end
 * ceil((i+1)*in/7)), flatten, Linear + ReLU, Linear + ReLU, Linear.
 * Weights: fixed-seed splitmix64 (checks.h), conv / linear weights U(-a, a), a = sqrt(3 /
 * fan_in) (activations keep their scale), biases U(-0.1, 0.1); BN gamma U(0.5, 1.5), beta
 * U(-0.1, 0.1), running_mean U(-0.1, 0.1), running_var U(0.5, 1.5), plus an I64
 * num_batches_tracked (ignored by the library).  Input U(0, 1), batch of 2; sizes 32 x 32 (a
 * 1 x 1 feature map that the adaptive pool spreads to 7 x 7), 97 x 71 (odd sizes for every
 * pool's floor; a 3 x 2 feature map: overlapping, uneven adaptive windows) and, natively
 * (not in quick mode), 224 x 224 (no adaptive pool at all).
 * The two pooling kernels VGG adds are also checked alone (vg_pools): every size up to two
 * vectors and more, a NaN at every window position, exact-size buffers.
 *
 * Tolerance, per image, on every logit: |got - ref| <= tol * max_j |ref_j|.  The direct
 * path is bounded as in check_refnet.c: a K-term dot product errs by ~u sqrt(K/2) of its
 * RMS, ~ 12 u ~ 7e-7 here, over at most 16 + 3 layers: linear sum 1.4e-5; tol 1e-4.  A
 * Winograd layer errs more: check_winograd.c measures the worst per-layer error against
 * u * sum |k x| at about 10 (F(2,3)), 100 (F(4,3)) and 760 (F(6,3)), against ~10 for the
 * direct sum; so the direct bound scaled by those ratios: F(2,3) 2e-4, F(4,3) 1e-3, F(6,3)
 * 8e-3 (by shape: F(6,3)'s).  VGS_VGG_VERBOSE=1 prints the measured errors.
 * With the classifier's weights in bf16 (vgs_net_options.fc_weights = VGS_FC_BF16; direct
 * convolutions): against the same reference with those weights rounded to bf16 first, within
 * the direct path's 1e-4 (unrounded weights would miss it: bf16 moves a logit by ~1e-3); the
 * same in IEEE half (VGS_FC_F16) against the reference on weights rounded to half.
 * fc_range: VGS_FC_F16 with a classifier weight of 65520 (rounds to inf) fails create with
 * VGS_ERR_INVALID_ARGUMENT naming the tensor and suggesting bf16; 65519.99 (rounds to 65504),
 * -inf and NaN are accepted (kept as they are); bf16 takes 65520 as it is.
 * Each run also checks the runtime's contracts (check_runtime.c): bit-identical logits on
 * other thread counts and batch chunkings (Winograd's per-thread scratch included). */
#include "checks.h"

#include <math.h>

#include "st_writer.h"

#define VG_NC 10
#define VG_HIDDEN 24
#define VG_BATCH 2
static const int VG_CH[5] = {8, 12, 16, 16, 20};
static const int VG_CONVS[4][5] = {{1, 1, 2, 2, 2}, {2, 2, 2, 2, 2}, {2, 2, 3, 3, 3}, {2, 2, 4, 4, 4}};

typedef struct vg_tensor {
    char name[64];
    int ndim;
    int64_t shape[4];
    float *f;       /* NULL: an I64 num_batches_tracked */
    size_t n;
} vg_tensor;

typedef struct vg_model {
    int depth, bn, h, w;
    vg_tensor t[128];
    size_t n;
    int64_t nbt;
} vg_model;

static void vg_free(vg_model *m)
{
    for (size_t i = 0; i < m->n; i++) free(m->t[i].f);
}

static float *vg_add(vg_model *m, vgs_rng *r, const char *name, int ndim, const int64_t *shape, float lo, float hi)
{
    vg_tensor *t = &m->t[m->n++];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->ndim = ndim, t->n = 1;
    for (int d = 0; d < ndim; d++) t->shape[d] = shape[d], t->n *= (size_t)shape[d];
    t->f = (float *)malloc(t->n * sizeof(float));
    if (t->f) vgs_rng_fill(r, t->f, t->n, lo, hi);
    return t->f;
}

static const vg_tensor *vg_get(const vg_model *m, const char *name)
{
    for (size_t i = 0; i < m->n; i++)
        if (!strcmp(m->t[i].name, name)) return &m->t[i];
    abort(); /* a bug in this file */
}

static int vg_build(vg_model *m, int depth, int bn, uint64_t seed)
{
    memset(m, 0, sizeof *m);
    m->depth = depth, m->bn = bn, m->nbt = 7;
    vgs_rng r = vgs_rng_seed(seed);
    const int row = depth == 11 ? 0 : depth == 13 ? 1 : depth == 16 ? 2 : 3;
    int cin = 3, idx = 0, ok = 1;
    char name[64];
    for (int blk = 0; blk < 5; blk++) {
        for (int j = 0; j < VG_CONVS[row][blk]; j++) {
            const int64_t o = VG_CH[blk], ws[4] = {o, cin, 3, 3};
            const float a = sqrtf(3.0f / (9.0f * (float)cin));
            snprintf(name, sizeof name, "features.%d.weight", idx);
            ok &= vg_add(m, &r, name, 4, ws, -a, a) != NULL;
            snprintf(name, sizeof name, "features.%d.bias", idx);
            ok &= vg_add(m, &r, name, 1, &o, -0.1f, 0.1f) != NULL;
            if (bn) {
                static const char *parts[4] = {"weight", "bias", "running_mean", "running_var"};
                static const float lo[4] = {0.5f, -0.1f, -0.1f, 0.5f}, hi[4] = {1.5f, 0.1f, 0.1f, 1.5f};
                for (int p = 0; p < 4; p++) {
                    snprintf(name, sizeof name, "features.%d.%s", idx + 1, parts[p]);
                    ok &= vg_add(m, &r, name, 1, &o, lo[p], hi[p]) != NULL;
                }
                vg_tensor *t = &m->t[m->n++];
                snprintf(t->name, sizeof t->name, "features.%d.num_batches_tracked", idx + 1);
            }
            idx += bn ? 3 : 2, cin = (int)o;
        }
        idx++; /* the max-pool */
    }
    const int64_t widths[4] = {(int64_t)cin * 49, VG_HIDDEN, VG_HIDDEN, VG_NC};
    for (int l = 0; l < 3; l++) {
        const int64_t s[2] = {widths[l + 1], widths[l]};
        const float a = sqrtf(3.0f / (float)widths[l]);
        snprintf(name, sizeof name, "classifier.%d.weight", 3 * l);
        ok &= vg_add(m, &r, name, 2, s, -a, a) != NULL;
        snprintf(name, sizeof name, "classifier.%d.bias", 3 * l);
        ok &= vg_add(m, &r, name, 1, &s[0], -0.1f, 0.1f) != NULL;
    }
    return ok ? 0 : -1;
}

/* ---- the fp64 reference (torchvision's definition) ---- */

typedef struct vg_act {
    int c, h, w;
    double *v;
} vg_act;

static vg_act vg_new(int c, int h, int w)
{
    vg_act a = {c, h, w, (double *)calloc((size_t)c * h * w, sizeof(double))};
    if (!a.v) abort();
    return a;
}

static vg_act ref_conv(vg_act x, const vg_tensor *wt, const vg_tensor *b)
{
    const int o = (int)wt->shape[0];
    vg_act y = vg_new(o, x.h, x.w);
    for (int oc = 0; oc < o; oc++)
        for (int yy = 0; yy < x.h; yy++)
            for (int xx = 0; xx < x.w; xx++) {
                double s = b->f[oc];
                for (int ic = 0; ic < x.c; ic++)
                    for (int ky = 0; ky < 3; ky++)
                        for (int kx = 0; kx < 3; kx++) {
                            const int iy = yy + ky - 1, ix = xx + kx - 1;
                            if (iy < 0 || ix < 0 || iy >= x.h || ix >= x.w) continue;
                            s += (double)wt->f[((oc * x.c + ic) * 3 + ky) * 3 + kx] * x.v[((size_t)ic * x.h + iy) * x.w + ix];
                        }
                y.v[((size_t)oc * y.h + yy) * y.w + xx] = s;
            }
    free(x.v);
    return y;
}

static void ref_bn_relu(vg_act x, const vg_model *m, int idx)
{
    char name[64];
    const float *p[4];
    static const char *parts[4] = {"weight", "bias", "running_mean", "running_var"};
    for (int i = 0; m->bn && i < 4; i++) {
        snprintf(name, sizeof name, "features.%d.%s", idx, parts[i]);
        p[i] = vg_get(m, name)->f;
    }
    const size_t plane = (size_t)x.h * x.w;
    for (int c = 0; c < x.c; c++)
        for (size_t i = 0; i < plane; i++) {
            double v = x.v[c * plane + i];
            if (m->bn) v = (v - p[2][c]) / sqrt((double)p[3][c] + 1e-5) * p[0][c] + p[1][c];
            x.v[c * plane + i] = v > 0 ? v : 0;
        }
}

static vg_act ref_maxpool(vg_act x)
{
    vg_act y = vg_new(x.c, x.h / 2, x.w / 2);
    for (int c = 0; c < x.c; c++)
        for (int oy = 0; oy < y.h; oy++)
            for (int ox = 0; ox < y.w; ox++) {
                double v = -INFINITY;
                for (int d = 0; d < 4; d++) v = fmax(v, x.v[((size_t)c * x.h + 2 * oy + d / 2) * x.w + 2 * ox + d % 2]);
                y.v[((size_t)c * y.h + oy) * y.w + ox] = v;
            }
    free(x.v);
    return y;
}

static vg_act ref_adaptive(vg_act x)
{
    vg_act y = vg_new(x.c, 7, 7);
    for (int c = 0; c < x.c; c++)
        for (int i = 0; i < 7; i++)
            for (int j = 0; j < 7; j++) {
                const int y0 = (int)floor(i * x.h / 7.0), y1 = (int)ceil((i + 1) * x.h / 7.0);
                const int x0 = (int)floor(j * x.w / 7.0), x1 = (int)ceil((j + 1) * x.w / 7.0);
                double s = 0;
                for (int a = y0; a < y1; a++)
                    for (int b = x0; b < x1; b++) s += x.v[((size_t)c * x.h + a) * x.w + b];
                y.v[((size_t)c * 7 + i) * 7 + j] = s / ((y1 - y0) * (x1 - x0));
            }
    free(x.v);
    return y;
}

static void ref_forward(const vg_model *m, const float *img, double *logits)
{
    vg_act x = vg_new(3, m->h, m->w);
    for (size_t i = 0; i < (size_t)3 * m->h * m->w; i++) x.v[i] = img[i];
    const int row = m->depth == 11 ? 0 : m->depth == 13 ? 1 : m->depth == 16 ? 2 : 3;
    int idx = 0;
    char wn[64], bn[64];
    for (int blk = 0; blk < 5; blk++) {
        for (int j = 0; j < VG_CONVS[row][blk]; j++) {
            snprintf(wn, sizeof wn, "features.%d.weight", idx);
            snprintf(bn, sizeof bn, "features.%d.bias", idx);
            x = ref_conv(x, vg_get(m, wn), vg_get(m, bn));
            ref_bn_relu(x, m, idx + 1);
            idx += m->bn ? 3 : 2;
        }
        x = ref_maxpool(x);
        idx++;
    }
    x = ref_adaptive(x);
    double *v = x.v;
    size_t n = (size_t)x.c * 49;
    for (int l = 0; l < 3; l++) {
        snprintf(wn, sizeof wn, "classifier.%d.weight", 3 * l);
        snprintf(bn, sizeof bn, "classifier.%d.bias", 3 * l);
        const vg_tensor *wt = vg_get(m, wn), *b = vg_get(m, bn);
        const size_t o = (size_t)wt->shape[0];
        double *y = l == 2 ? logits : (double *)malloc(o * sizeof(double));
        if (!y) abort();
        for (size_t i = 0; i < o; i++) {
            double s = b->f[i];
            for (size_t k = 0; k < n; k++) s += (double)wt->f[i * n + k] * v[k];
            y[i] = l < 2 && s < 0 ? 0 : s;
        }
        free(v);
        v = l == 2 ? NULL : y, n = o;
    }
}

/* ---- library vs reference ---- */

typedef struct vg_maker {
    const vg_model *m;
    int winograd, fc_weights;
} vg_maker;

/* Round the classifier's weights to bf16 (VGS_FC_BF16) or half (VGS_FC_F16) in place (keep:
 * their float values, restored by vg_unround). */
static int vg_round_fc(vg_model *m, int wt, float **keep)
{
    for (size_t i = 0; i < m->n; i++) {
        vg_tensor *t = &m->t[i];
        keep[i] = NULL;
        if (strncmp(t->name, "classifier.", 11) || !strstr(t->name, ".weight")) continue;
        uint16_t *h = (uint16_t *)malloc(t->n * sizeof *h);
        if (!h || !(keep[i] = (float *)malloc(t->n * sizeof(float)))) {
            free(h);
            return 1;
        }
        memcpy(keep[i], t->f, t->n * sizeof(float));
        if (wt == VGS_FC_F16) {
            vgs_f32_to_f16(t->n, t->f, h);
            vgs_f16_to_f32(t->n, h, t->f);
        } else {
            vgs_f32_to_bf16(t->n, t->f, h);
            vgs_bf16_to_f32(t->n, h, t->f);
        }
        free(h);
    }
    return 0;
}

static void vg_unround(vg_model *m, float **keep)
{
    for (size_t i = 0; i < m->n; i++) {
        if (keep[i]) memcpy(m->t[i].f, keep[i], m->t[i].n * sizeof(float));
        free(keep[i]);
    }
}

static int vg_make(void *ctx, const vgs_net_options *o, vgs_net **net, char *msg, size_t len)
{
    const vg_maker *mk = (const vg_maker *)ctx;
    st_entry *e = (st_entry *)calloc(mk->m->n, sizeof *e);
    if (!e) return vgs_check_fail(msg, len, "out of memory");
    for (size_t i = 0; i < mk->m->n; i++) {
        const vg_tensor *t = &mk->m->t[i];
        snprintf(e[i].name, sizeof e[i].name, "%s", t->name);
        e[i].ndim = t->f ? t->ndim : 0;
        for (int d = 0; d < t->ndim; d++) e[i].shape[d] = t->shape[d];
        e[i].dtype = t->f ? "F32" : "I64";
        e[i].data = t->f ? (const void *)t->f : (const void *)&mk->m->nbt;
        e[i].nbytes = t->f ? t->n * sizeof(float) : sizeof(int64_t);
    }
    size_t size = 0;
    unsigned char *bytes = st_build(e, mk->m->n, &size);
    free(e);
    vgs_weights *w = NULL;
    vgs_status st = bytes ? vgs_weights_from_memory(bytes, size, "vgg.safetensors", &w) : VGS_ERR_OUT_OF_MEMORY;
    free(bytes);
    if (st != VGS_OK) return vgs_check_fail(msg, len, "weights: %s", vgs_last_error());
    vgs_vgg_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.depth = mk->m->depth, cfg.batch_norm = mk->m->bn, cfg.num_classes = VG_NC, cfg.hidden = VG_HIDDEN;
    for (int i = 0; i < 5; i++) cfg.block_channels[i] = VG_CH[i];
    vgs_net_options opt = *o;
    opt.input_height = mk->m->h, opt.input_width = mk->m->w, opt.winograd = mk->winograd, opt.fc_weights = mk->fc_weights;
    st = vgs_vgg_create(&cfg, w, &opt, net);
    vgs_weights_close(w);
    return st == VGS_OK ? 0 : vgs_check_fail(msg, len, "vgs_vgg_create: %s: %s", vgs_status_name(st), vgs_last_error());
}

static int vg_run(int depth, int bn, vgs_isa isa, char *msg, size_t len)
{
    static const int sizes[3][2] = {{32, 32}, {97, 71}, {224, 224}};
    enum { NA = 7 }; /* the last two: direct with bf16, then fp16 classifier weights */
    static const int algos[NA] = {-1, 2, 4, 6, 0, -1, -1};
    static const double tols[NA] = {1e-4, 2e-4, 1e-3, 8e-3, 8e-3, 1e-4, 1e-4};
    vg_model m;
    if (vg_build(&m, depth, bn, 0x5EED0000u + (uint64_t)depth * 2 + (uint64_t)bn) != 0) {
        vg_free(&m);
        return vgs_check_fail(msg, len, "out of memory");
    }
    int rc = 0;
    const int n_sizes = vgs_check_quick() ? 2 : 3;
    for (int s = 0; !rc && s < n_sizes; s++) {
        m.h = sizes[s][0], m.w = sizes[s][1];
        const size_t image = (size_t)3 * m.h * m.w;
        float *x = (float *)malloc(VG_BATCH * image * sizeof(float)), *y = (float *)malloc(VG_BATCH * VG_NC * sizeof(float));
        double refs[3][VG_BATCH][VG_NC]; /* float32, bf16, fp16 classifier weights (vgs_fc_weights) */
        float *keep[128];
        if (!x || !y) rc = vgs_check_fail(msg, len, "out of memory");
        vgs_rng r = vgs_rng_seed(0xC0FFEEu + (uint64_t)s);
        if (!rc) vgs_rng_fill(&r, x, VG_BATCH * image, 0.0f, 1.0f);
        for (int b = 0; !rc && b < VG_BATCH; b++) ref_forward(&m, x + b * image, refs[0][b]);
        for (int wt = VGS_FC_BF16; wt <= VGS_FC_F16; wt++) {
            if (!rc && vg_round_fc(&m, wt, keep)) rc = vgs_check_fail(msg, len, "out of memory");
            for (int b = 0; !rc && b < VG_BATCH; b++) ref_forward(&m, x + b * image, refs[wt][b]);
            vg_unround(&m, keep);
        }
        for (int a = 0; !rc && a < NA; a++) {
            char where[128];
            const int wt = a == NA - 1 ? VGS_FC_F16 : a == NA - 2 ? VGS_FC_BF16 : VGS_FC_F32;
            double (*ref)[VG_NC] = refs[wt];
            snprintf(where, sizeof where, "vgg%d%s [%s] %dx%d, %s%s", depth, bn ? "_bn" : "", vgs_isa_to_string(isa), m.h, m.w,
                     algos[a] < 0 ? "direct" : algos[a] == 0 ? "algorithm by shape" : algos[a] == 2 ? "F(2,3)"
                     : algos[a] == 4 ? "F(4,3)" : "F(6,3)",
                     wt == VGS_FC_F16 ? ", fp16 classifier weights" : wt ? ", bf16 classifier weights" : "");
            vg_maker mk = {&m, algos[a], wt};
            vgs_net *net = NULL;
            const vgs_net_options o = vgs_check_options(1, 0, 0);
            if (vg_make(&mk, &o, &net, msg, len)) {
                rc = 1;
                break;
            }
            const vgs_isa before = vgs_isa_current();
            vgs_status st = vgs_isa_force(isa);
            if (st == VGS_OK) st = vgs_net_forward(net, x, VG_BATCH, y, VG_BATCH * VG_NC);
            vgs_isa_force(before);
            vgs_net_destroy(net);
            if (st != VGS_OK) {
                rc = vgs_check_fail(msg, len, "%s: %s", where, vgs_last_error());
                break;
            }
            double worst = 0;
            for (int b = 0; !rc && b < VG_BATCH; b++) {
                double amax = 0;
                for (int j = 0; j < VG_NC; j++) amax = fmax(amax, fabs(ref[b][j]));
                for (int j = 0; !rc && j < VG_NC; j++) {
                    const double err = fabs((double)y[b * VG_NC + j] - ref[b][j]);
                    if (err / amax > worst || err != err) worst = err / amax;
                    if (!(amax > 0) || !(err <= tols[a] * amax)) {
                        rc = vgs_check_fail(msg, len, "%s: image %d logit %d: %.9g, reference %.9g: |error| = %.3g x max|ref| "
                                            "(%.4g), tolerance %.0e", where, b, j, y[b * VG_NC + j], ref[b][j], err / amax,
                                            amax, tols[a]);
                    }
                }
            }
            if (getenv("VGS_VGG_VERBOSE")) fprintf(stderr, "# %s: worst |err| / max|ref| = %.3g (tol %.0e)\n", where, worst, tols[a]);
            /* the runtime's contracts, on the smallest input (they do not depend on it) */
            if (!rc && s == 0) rc = vgs_runtime_same_logits(where, vg_make, &mk, m.h, m.w, isa, x, VG_BATCH, y, VG_NC, msg, len);
        }
        free(x), free(y);
    }
    vg_free(&m);
    return rc;
}

/* maxpool2x2s2 and adaptive_avgpool alone, against fp64: h, w in 1 .. 2 * 16 + 3 (every
 * tail of every tier), 2 channels with a gap between planes; max exact, NaN anywhere in a
 * window gives NaN; the adaptive pool (sizes 1..9 to 1..7) within (n + 1) u of its window's
 * sum of |x| (n <= 81 terms summed in order, one division). */
static int vg_pools(vgs_isa isa, char *msg, size_t len)
{
    const vgs_kernels *K = vgs_check_kernels(isa);
    if (!K) return vgs_check_fail(msg, len, "no kernels");
    vgs_rng r = vgs_rng_seed(0x9001);
    enum { MAXW = 35 };
    static float x[2 * (MAXW * MAXW + 3)], y[2 * (MAXW / 2) * (MAXW / 2) + 8];
    for (size_t h = 1; h <= MAXW; h++) {
        for (size_t w = 1; w <= MAXW; w++) {
            const size_t xcs = h * w + 3, oh = h / 2, ow = w / 2, ycs = oh * ow + 1;
            vgs_rng_fill(&r, x, 2 * xcs, -1.0f, 1.0f);
            const size_t nan_at = (size_t)(vgs_rng_u64(&r) % (h * w));
            x[xcs + nan_at] = NAN;
            vgs_fill_sentinel(y, sizeof y / sizeof y[0]);
            K->maxpool2x2s2(2, h, w, x, xcs, y, ycs);
            for (size_t c = 0; c < 2; c++)
                for (size_t oy = 0; oy < oh; oy++)
                    for (size_t ox = 0; ox < ow; ox++) {
                        double want = -INFINITY;
                        int nan = 0;
                        for (int d = 0; d < 4; d++) {
                            const float v = x[c * xcs + (2 * oy + d / 2) * w + 2 * ox + d % 2];
                            nan |= v != v;
                            want = fmax(want, v);
                        }
                        const float got = y[c * ycs + oy * ow + ox];
                        if (nan ? got == got : got != want) {
                            return vgs_check_fail(msg, len, "maxpool2x2s2 [%s] %zux%zu: (%zu,%zu,%zu) = %g, expected %s%g", vgs_isa_to_string(isa),
                                                  h, w, c, oy, ox, got, nan ? "NaN, not " : "", want);
                        }
                    }
            for (size_t i = 0; i < sizeof y / sizeof y[0]; i++) {
                const int inside = i < ycs + oh * ow && (i < oh * ow || i >= ycs);
                if (!inside && !vgs_is_sentinel(y[i])) return vgs_check_fail(msg, len, "maxpool2x2s2 %zux%zu wrote y[%zu]", h, w, i);
            }
            if (h > 9 || w > 9) continue;
            x[xcs + nan_at] = 0.5f;
            for (size_t aoh = 1; aoh <= 7; aoh++)
                for (size_t aow = 1; aow <= 7; aow++) {
                    vgs_fill_sentinel(y, sizeof y / sizeof y[0]);
                    K->adaptive_avgpool(2, h, w, x, xcs, aoh, aow, y, aoh * aow);
                    for (size_t c = 0; c < 2; c++)
                        for (size_t i = 0; i < aoh; i++)
                            for (size_t j = 0; j < aow; j++) {
                                const size_t y0 = i * h / aoh, y1 = (size_t)ceil((double)(i + 1) * h / aoh);
                                const size_t x0 = j * w / aow, x1 = (size_t)ceil((double)(j + 1) * w / aow);
                                double sum = 0, mag = 0;
                                for (size_t a = y0; a < y1; a++)
                                    for (size_t b = x0; b < x1; b++) sum += x[c * xcs + a * w + b], mag += fabs(x[c * xcs + a * w + b]);
                                const double n = (double)((y1 - y0) * (x1 - x0)), want = sum / n;
                                const double got = y[c * aoh * aow + i * aow + j];
                                if (!(fabs(got - want) <= (n + 1) * 0x1p-24 * mag / n + 1e-30)) {
                                    return vgs_check_fail(msg, len, "adaptive_avgpool [%s] %zux%zu -> %zux%zu: (%zu,%zu,%zu) = %.9g, expected %.9g",
                                                          vgs_isa_to_string(isa), h, w, aoh, aow, c, i, j, got, want);
                                }
                            }
                    if (!vgs_is_sentinel(y[2 * aoh * aow])) return vgs_check_fail(msg, len, "adaptive_avgpool wrote past its output");
                }
        }
    }
    return 0;
}

#define VG_CASE(d, b)                                                                         \
    static int vg_case_##d##_##b(vgs_isa isa, char *msg, size_t len) { return vg_run(d, b, isa, msg, len); }
VG_CASE(11, 0) VG_CASE(13, 0) VG_CASE(16, 0) VG_CASE(19, 0) VG_CASE(11, 1) VG_CASE(13, 1) VG_CASE(16, 1) VG_CASE(19, 1)
#undef VG_CASE

/* fc_range (above): one classifier weight set to each value in turn on a VGG11 at 32 x 32. */
static int vg_fc_range(vgs_isa isa, char *msg, size_t len)
{
    (void)isa;
    vg_model m;
    if (vg_build(&m, 11, 0, 0x5EED0016u) != 0) {
        vg_free(&m);
        return vgs_check_fail(msg, len, "out of memory");
    }
    m.h = m.w = 32;
    float *w = NULL;
    for (size_t i = 0; i < m.n && !w; i++)
        if (!strcmp(m.t[i].name, "classifier.3.weight")) w = m.t[i].f;
    static const struct {
        float v;
        int wt, ok;
    } cases[] = {{65520.0f, VGS_FC_F16, 0},   {-65520.0f, VGS_FC_F16, 0}, {3.0e38f, VGS_FC_F16, 0},
                 {65519.996f, VGS_FC_F16, 1}, {-INFINITY, VGS_FC_F16, 1}, {NAN, VGS_FC_F16, 1},
                 {65520.0f, VGS_FC_BF16, 1},  {65520.0f, VGS_FC_F32, 1}};
    int rc = w ? 0 : vgs_check_fail(msg, len, "no classifier.3.weight in the test model");
    for (size_t c = 0; !rc && c < sizeof cases / sizeof cases[0]; c++) {
        const float keep = w[5 * VG_HIDDEN + 7];
        w[5 * VG_HIDDEN + 7] = cases[c].v;
        vg_maker mk = {&m, -1, cases[c].wt};
        vgs_net *net = NULL;
        char inner[256];
        const vgs_net_options o = vgs_check_options(1, 0, 0);
        const int failed = vg_make(&mk, &o, &net, inner, sizeof inner);
        vgs_net_destroy(net);
        w[5 * VG_HIDDEN + 7] = keep;
        if (cases[c].ok && failed) {
            rc = vgs_check_fail(msg, len, "fc_weights %d, a weight %.9g: %s", cases[c].wt, (double)cases[c].v, inner);
        } else if (!cases[c].ok && (!failed || !strstr(inner, "VGS_ERR_INVALID_ARGUMENT") ||
                                    !strstr(inner, "classifier.3.weight[5][7]") || !strstr(inner, "VGS_FC_BF16"))) {
            rc = vgs_check_fail(msg, len, "fc_weights VGS_FC_F16, a weight %.9g: expected VGS_ERR_INVALID_ARGUMENT naming "
                                "classifier.3.weight[5][7] and suggesting VGS_FC_BF16, got %s", (double)cases[c].v,
                                failed ? inner : "success");
        }
    }
    vg_free(&m);
    return rc;
}

VGS_CHECK_BOTH(vg_pools)

const vgs_check_case vgs_vgg_checks[] = {
    {"vgg", "pools", vg_pools_both, 0},
    {"vgg", "fc_range", vg_fc_range, 1},
    {"vgg", "vgg11", vg_case_11_0, 0},    {"vgg", "vgg13", vg_case_13_0, 0},    {"vgg", "vgg16", vg_case_16_0, 0},
    {"vgg", "vgg19", vg_case_19_0, 0},    {"vgg", "vgg11_bn", vg_case_11_1, 0}, {"vgg", "vgg13_bn", vg_case_13_1, 0},
    {"vgg", "vgg16_bn", vg_case_16_1, 0}, {"vgg", "vgg19_bn", vg_case_19_1, 0},
};
const size_t vgs_vgg_checks_count = sizeof vgs_vgg_checks / sizeof vgs_vgg_checks[0];
