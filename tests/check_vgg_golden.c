/* tests/check_vgg_golden.c — the eight VGG models at full size against PyTorch: logits that
 * torchvision 0.14 computed (tools/gen_vgg_golden.py, committed in tests/data/vgg_golden.txt)
 * for weights and inputs that both sides draw from the same splitmix64 stream, so no weight
 * file is stored: tensors in torchvision's state_dict order, conv and linear weights
 * U(-a, a), a = (float)sqrt(6 / fan_in) (the last linear sqrt(3 / fan_in)), biases and BN
 * beta / running_mean U(-0.1, 0.1), BN gamma / running_var U(0.5, 1.5); input U(-1, 1) from
 * seed 1000 + H.  See the script for the exact recipe.
 *
 * Natively, each SIMD tier runs 224 x 224 and the scalar tier 32 x 32 (the adaptive pool
 * spreads a 1 x 1 map); under qemu (VGS_CHECK_QUICK) these skip: 138 M weights per model
 * are too slow there, and check_vgg.c's fp64 reference covers every tier's structure.
 * The convolutions run as the library picks them by shape (Winograd F(4,3) / F(6,3) but
 * the first, direct).
 * Tolerance |got - torch| <= 8e-3 * max |torch| with the top-5 classes identical: the
 * F(6,3) bound of check_vgg.c (torch's own float32 rounding, ~1e-5 relative, is far
 * below it).  VGS_VGG_VERBOSE=1 prints the measured error. */
#include "checks.h"

#include <math.h>

#include "st_writer.h"

#define VGG_NC 1000

/* The golden line of `name` at size h: 1000 logits into want; 0 if found. */
static int vgg_golden(const char *name, int h, float *want, char *msg, size_t len)
{
    const char *dir = getenv("VGS_TEST_DATA");
    char path[1024];
    snprintf(path, sizeof path, "%s/vgg_golden.txt", dir && *dir ? dir : "tests/data");
    FILE *f = fopen(path, "r");
    if (!f) return vgs_check_fail(msg, len, "%s: cannot open (VGS_TEST_DATA names tests/data)", path);
    char model[32];
    int hh, ww, found = 0;
    while (!found && fscanf(f, "%31s %d %d", model, &hh, &ww) == 3) {
        int ok = 1;
        for (int i = 0; i < VGG_NC && ok; i++) ok = fscanf(f, "%f", &want[i]) == 1;
        if (!ok) break;
        found = !strcmp(model, name) && hh == h;
    }
    fclose(f);
    return found ? 0 : vgs_check_fail(msg, len, "%s: no line for %s at %d", path, name, h);
}

typedef struct vgg_weights {
    st_entry e[128]; /* VGG-19 with BN: 16 x 7 + 6 tensors */
    size_t n;
    float *data[128];
} vgg_weights;

static void vgg_free(vgg_weights *v)
{
    for (size_t i = 0; i < v->n; i++) free(v->data[i]);
}

static int vgg_add(vgg_weights *v, vgs_rng *r, const char *name, int ndim, const int64_t *shape, float lo, float hi)
{
    st_entry *e = &v->e[v->n];
    size_t n = 1;
    for (int d = 0; d < ndim; d++) e->shape[d] = shape[d], n *= (size_t)shape[d];
    float *p = (float *)malloc(n * sizeof(float));
    if (!p) return -1;
    vgs_rng_fill(r, p, n, lo, hi);
    snprintf(e->name, sizeof e->name, "%s", name);
    e->dtype = "F32", e->ndim = ndim, e->data = p, e->nbytes = n * sizeof(float);
    v->data[v->n++] = p;
    return 0;
}

/* torchvision's state_dict, drawn as tools/gen_vgg_golden.py draws it. */
static int vgg_draw(int depth, int bn, vgg_weights *v)
{
    static const int convs[4][5] = {{1, 1, 2, 2, 2}, {2, 2, 2, 2, 2}, {2, 2, 3, 3, 3}, {2, 2, 4, 4, 4}};
    static const int ch[5] = {64, 128, 256, 512, 512};
    static const int64_t zero = 0;
    const int row = depth == 11 ? 0 : depth == 13 ? 1 : depth == 16 ? 2 : 3;
    vgs_rng r = vgs_rng_seed((uint64_t)(depth * 2 + bn));
    memset(v, 0, sizeof *v);
    int cin = 3, idx = 0, rc = 0;
    char name[96];
    for (int blk = 0; blk < 5; blk++) {
        for (int j = 0; j < convs[row][blk]; j++) {
            const int64_t o = ch[blk], ws[4] = {o, cin, 3, 3};
            const float a = (float)sqrt(6.0 / (9.0 * cin));
            snprintf(name, sizeof name, "features.%d.weight", idx);
            rc |= vgg_add(v, &r, name, 4, ws, -a, a);
            snprintf(name, sizeof name, "features.%d.bias", idx);
            rc |= vgg_add(v, &r, name, 1, &o, -0.1f, 0.1f);
            if (bn) {
                static const char *parts[4] = {"weight", "bias", "running_mean", "running_var"};
                static const float lo[4] = {0.5f, -0.1f, -0.1f, 0.5f}, hi[4] = {1.5f, 0.1f, 0.1f, 1.5f};
                for (int p = 0; p < 4; p++) {
                    snprintf(name, sizeof name, "features.%d.%s", idx + 1, parts[p]);
                    rc |= vgg_add(v, &r, name, 1, &o, lo[p], hi[p]);
                }
                st_entry *e = &v->e[v->n++];
                snprintf(e->name, sizeof e->name, "features.%d.num_batches_tracked", idx + 1);
                e->dtype = "I64", e->ndim = 0, e->data = &zero, e->nbytes = sizeof zero;
            }
            idx += bn ? 3 : 2, cin = (int)o;
        }
        idx++;
    }
    const int64_t widths[4] = {512 * 49, 4096, 4096, VGG_NC};
    for (int l = 0; l < 3; l++) {
        const int64_t s[2] = {widths[l + 1], widths[l]};
        const float a = (float)sqrt((l == 2 ? 3.0 : 6.0) / (double)widths[l]);
        snprintf(name, sizeof name, "classifier.%d.weight", 3 * l);
        rc |= vgg_add(v, &r, name, 2, s, -a, a);
        snprintf(name, sizeof name, "classifier.%d.bias", 3 * l);
        rc |= vgg_add(v, &r, name, 1, &s[0], -0.1f, 0.1f);
    }
    return rc;
}

/* The largest |got - want| (at *at; NaN wins) and max |want|.  Not vectorised: gcc 12 for
 * aarch64 stops with an internal compiler error vectorising these reductions. */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("no-tree-vectorize")))
#endif
static double vgg_worst(const float *got, const float *want, size_t *at, double *amax)
{
    double worst = 0;
    for (int j = 0; j < VGG_NC; j++) {
        const double e = fabs((double)got[j] - want[j]), a = fabs((double)want[j]);
        if (!(e <= worst)) worst = e, *at = (size_t)j;
        if (a > *amax) *amax = a;
    }
    return worst;
}

static int vgg_run(int depth, int bn, vgs_isa isa, char *msg, size_t len)
{
    if (vgs_check_quick()) return vgs_check_skip(msg, len, "full-size VGG is too slow under emulation (check_vgg.c covers this tier)");
    const int size = isa == VGS_ISA_SCALAR ? 32 : 224;
    char name[16];
    snprintf(name, sizeof name, "vgg%d%s", depth, bn ? "_bn" : "");
    float *want = (float *)malloc(VGG_NC * sizeof(float)), *got = (float *)malloc(VGG_NC * sizeof(float));
    float *x = (float *)malloc((size_t)3 * size * size * sizeof(float));
    vgg_weights v;
    memset(&v, 0, sizeof v);
    int rc = !want || !got || !x ? vgs_check_fail(msg, len, "out of memory") : 0;
    if (!rc) rc = vgg_golden(name, size, want, msg, len);
    if (!rc && vgg_draw(depth, bn, &v)) rc = vgs_check_fail(msg, len, "out of memory for the weights");
    vgs_weights *w = NULL;
    if (!rc) {
        size_t bytes_n = 0;
        unsigned char *bytes = st_build(v.e, v.n, &bytes_n);
        vgg_free(&v);
        v.n = 0;
        vgs_status st = bytes ? vgs_weights_from_memory(bytes, bytes_n, name, &w) : VGS_ERR_OUT_OF_MEMORY;
        free(bytes);
        if (st != VGS_OK) rc = vgs_check_fail(msg, len, "%s: weights: %s", name, vgs_last_error());
    }
    vgs_net *net = NULL;
    if (!rc) {
        vgs_vgg_config cfg;
        memset(&cfg, 0, sizeof cfg);
        cfg.depth = depth, cfg.batch_norm = bn, cfg.num_classes = VGG_NC;
        const vgs_net_options o = vgs_check_options(0, size, size);
        if (vgs_vgg_create(&cfg, w, &o, &net) != VGS_OK) rc = vgs_check_fail(msg, len, "%s: %s", name, vgs_last_error());
    }
    vgs_weights_close(w);
    if (!rc) {
        vgs_rng r = vgs_rng_seed((uint64_t)(1000 + size));
        vgs_rng_fill(&r, x, (size_t)3 * size * size, -1.0f, 1.0f);
        const vgs_isa before = vgs_isa_current();
        vgs_status st = vgs_isa_force(isa);
        if (st == VGS_OK) st = vgs_net_forward(net, x, 1, got, VGG_NC);
        vgs_isa_force(before);
        if (st != VGS_OK) rc = vgs_check_fail(msg, len, "%s: forward: %s", name, vgs_last_error());
    }
    if (!rc) {
        size_t wj = 0;
        double amax = 0;
        const double worst = vgg_worst(got, want, &wj, &amax);
        int tg[5], tw[5];
        vgs_topk(got, VGG_NC, 5, tg);
        vgs_topk(want, VGG_NC, 5, tw);
        if (getenv("VGS_VGG_VERBOSE")) {
            fprintf(stderr, "# %s [%s] %dx%d vs torchvision: worst |err| / max|logit| = %.3g\n", name, vgs_isa_to_string(isa),
                    size, size, worst / amax);
        }
        if (!(worst <= 8e-3 * amax)) {
            rc = vgs_check_fail(msg, len, "%s [%s] %dx%d: logit %zu = %.9g, torchvision %.9g: |error| %.3g x max|logit| (%.4g), tolerance 8e-3",
                                name, vgs_isa_to_string(isa), size, size, wj, got[wj], want[wj], worst / amax, amax);
        }
        for (int k = 0; !rc && k < 5; k++) {
            if (tg[k] != tw[k]) {
                rc = vgs_check_fail(msg, len, "%s [%s]: top-5 %d %d %d %d %d, torchvision's %d %d %d %d %d", name,
                                    vgs_isa_to_string(isa), tg[0], tg[1], tg[2], tg[3], tg[4], tw[0], tw[1], tw[2], tw[3], tw[4]);
            }
        }
    }
    vgs_net_destroy(net);
    vgg_free(&v);
    free(want), free(got), free(x);
    return rc;
}

#define VGG_CASE(d, b)                                                                        \
    static int vgg_case_##d##_##b(vgs_isa isa, char *msg, size_t len) { return vgg_run(d, b, isa, msg, len); }
VGG_CASE(11, 0) VGG_CASE(13, 0) VGG_CASE(16, 0) VGG_CASE(19, 0) VGG_CASE(11, 1) VGG_CASE(13, 1) VGG_CASE(16, 1) VGG_CASE(19, 1)
#undef VGG_CASE

const vgs_check_case vgs_vgg_golden_checks[] = {
    {"vgg_golden", "vgg11", vgg_case_11_0, 0},    {"vgg_golden", "vgg13", vgg_case_13_0, 0},
    {"vgg_golden", "vgg16", vgg_case_16_0, 0},    {"vgg_golden", "vgg19", vgg_case_19_0, 0},
    {"vgg_golden", "vgg11_bn", vgg_case_11_1, 0}, {"vgg_golden", "vgg13_bn", vgg_case_13_1, 0},
    {"vgg_golden", "vgg16_bn", vgg_case_16_1, 0}, {"vgg_golden", "vgg19_bn", vgg_case_19_1, 0},
};
const size_t vgs_vgg_golden_checks_count = sizeof vgs_vgg_golden_checks / sizeof vgs_vgg_golden_checks[0];
