/* tests/check_runtime.c — the network runtime's contracts (vggshuffle.h, vgs_net_forward):
 *   - the logits are bit-identical for any thread count and any batch chunking, and on a
 *     host parallel-for that runs the tasks in another order (vgs_runtime_same_logits,
 *     called by check_refnet.c for every reference config on every tier);
 *   - a forward pass while another runs on the same net is VGS_ERR_BUSY and touches nothing;
 *   - the profile: one layer per operation of the model, named by the weights, each with its
 *     kernel, shape, FLOPs derived here from the shapes, and a time; no layer only moves
 *     data; the arena is planned (reused across layers) and scales with max_batch. */
#include "checks.h"

#include <math.h>

/* Runs the tasks backwards on the calling thread: a schedule no pool would pick. */
static void reverse_for(void *ctx, size_t n, vgs_task_fn task, void *arg)
{
    (void)ctx;
    for (size_t i = n; i-- > 0;) task(arg, i);
}

int vgs_runtime_same_logits(const char *where, vgs_runtime_make_fn make, void *ctx, int h, int w, vgs_isa isa,
                            const float *x, size_t batch, const float *want, size_t nc, char *msg, size_t len)
{
    /* threads, max_batch (0 = 1: image by image), host parallel-for */
    static const struct { int threads, max_batch, host; } variants[] = {
        {2, 2, 0}, {3, 0, 0}, {7, 2, 0}, {2, 1, 1},
    };
    float *got = (float *)malloc(batch * nc * sizeof(float));
    if (!got) return vgs_check_fail(msg, len, "%s: out of memory", where);
    int rc = 0;
    for (size_t v = 0; !rc && v < sizeof variants / sizeof variants[0]; v++) {
        vgs_net_options o;
        memset(&o, 0, sizeof o);
        o.num_threads = vgs_check_threads(variants[v].threads), o.input_height = h, o.input_width = w;
        o.max_batch = variants[v].max_batch;
        if (variants[v].host) o.parallel_for = reverse_for;
        char what[96];
        snprintf(what, sizeof what, "%d threads, max_batch %d%s", o.num_threads, o.max_batch,
                 variants[v].host ? ", host parallel_for running the tasks backwards" : "");
        vgs_net *net = NULL;
        if (make(ctx, &o, &net, msg, len)) {
            free(got);
            return 1;
        }
        const vgs_isa before = vgs_isa_current();
        vgs_fill_sentinel(got, batch * nc);
        vgs_status st = vgs_isa_force(isa);
        if (st == VGS_OK) st = vgs_net_forward(net, x, batch, got, batch * nc);
        vgs_isa_force(before);
        if (st != VGS_OK) {
            rc = vgs_check_fail(msg, len, "%s, %s: %s: %s", where, what, vgs_status_name(st), vgs_last_error());
        } else if (vgs_net_num_threads(net) != (variants[v].host ? 1 : o.num_threads)) {
            rc = vgs_check_fail(msg, len, "%s, %s: the net says it runs on %d threads", where, what,
                                vgs_net_num_threads(net));
        }
        for (size_t i = 0; !rc && i < batch * nc; i++) {
            if (memcmp(&got[i], &want[i], sizeof(float)) != 0) {
                char a[64], b[64];
                rc = vgs_check_fail(msg, len, "%s, %s: image %zu logit %zu is %s, not %s as on 1 thread image by image",
                                    where, what, i / nc, i % nc, vgs_fmt_float(got[i], a, sizeof a),
                                    vgs_fmt_float(want[i], b, sizeof b));
            }
        }
        vgs_net_destroy(net);
    }
    free(got);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 *  One forward at a time: the host parallel-for of this check calls vgs_net_forward on the
 *  same net while the net's own pass is running (from inside the pass, so deterministically).
 * ------------------------------------------------------------------------------------------ */

typedef struct nested {
    vgs_net *net;
    const float *x;
    float *logits;
    size_t nc;
    int calls;
    vgs_status got;
} nested;

static void nested_for(void *ctx, size_t n, vgs_task_fn task, void *arg)
{
    nested *s = (nested *)ctx;
    if (s->calls++ == 0) s->got = vgs_net_forward(s->net, s->x, 1, s->logits, s->nc);
    for (size_t i = 0; i < n; i++) task(arg, i);
}

static int check_busy(vgs_isa isa, char *msg, size_t len)
{
    (void)isa;
    nested s;
    memset(&s, 0, sizeof s);
    vgs_net_options o;
    memset(&o, 0, sizeof o);
    o.parallel_for = nested_for, o.parallel_ctx = &s;
    if (vgs_refnet_make_tiny(&o, &s.net, msg, len)) return 1;
    int c, h, w;
    vgs_net_input_shape(s.net, &c, &h, &w);
    s.nc = (size_t)vgs_net_num_classes(s.net);
    const size_t image = (size_t)c * h * w;
    float *x = (float *)calloc(image, sizeof(float)), *outer = (float *)malloc(s.nc * sizeof(float));
    float *inner = (float *)malloc(s.nc * sizeof(float));
    int rc = !x || !outer || !inner ? vgs_check_fail(msg, len, "out of memory") : 0;
    if (!rc) {
        for (size_t i = 0; i < image; i++) x[i] = (float)(i % 7) * 0.125f;
        vgs_fill_sentinel(inner, s.nc);
        s.x = x, s.logits = inner;
        const vgs_status st = vgs_net_forward(s.net, x, 1, outer, s.nc);
        if (st != VGS_OK) rc = vgs_check_fail(msg, len, "the outer pass: %s: %s", vgs_status_name(st), vgs_last_error());
        else if (s.got != VGS_ERR_BUSY) {
            rc = vgs_check_fail(msg, len, "a pass started during another on the same net returned %s, not VGS_ERR_BUSY",
                                vgs_status_name(s.got));
        } else if (vgs_first_non_sentinel(inner, s.nc) != s.nc) {
            rc = vgs_check_fail(msg, len, "the refused pass wrote logits");
        } else if (!strstr(vgs_last_error(), "one pass at a time") && !strstr(vgs_last_error(), "already running")) {
            rc = vgs_check_fail(msg, len, "VGS_ERR_BUSY without a clear message: '%s'", vgs_last_error());
        }
    }
    /* the flag is released: the next pass runs (the callback's first call is spent) */
    if (!rc && vgs_net_forward(s.net, x, 1, outer, s.nc) != VGS_OK) {
        rc = vgs_check_fail(msg, len, "a pass after the refused one: %s", vgs_last_error());
    }
    vgs_net_destroy(s.net);
    free(x), free(outer), free(inner);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 *  Profile and workspace, on the reference g3_tiny_paper model (stem 3, stages 12/24/36,
 *  3 groups, 7 classes; check_refnet.c), batch 3 in chunks of max_batch 2.
 * ------------------------------------------------------------------------------------------ */

static int check_profile(vgs_isa isa, char *msg, size_t len)
{
    vgs_net_options o;
    memset(&o, 0, sizeof o);
    o.num_threads = vgs_check_threads(2), o.max_batch = 2;
    o.conv_maxpool = 1; /* the stem fused whatever the threads (the default fuses on 2+) */
    vgs_net *net = NULL, *one = NULL;
    if (vgs_refnet_make_tiny(&o, &net, msg, len)) return 1;
    o.max_batch = 1;
    if (vgs_refnet_make_tiny(&o, &one, msg, len)) {
        vgs_net_destroy(net);
        return 1;
    }
    int c, h, w;
    vgs_net_input_shape(net, &c, &h, &w);
    const size_t nc = (size_t)vgs_net_num_classes(net), image = (size_t)c * h * w;
    float *x = (float *)calloc(3 * image, sizeof(float)), *y = (float *)malloc(3 * nc * sizeof(float));
    int rc = !x || !y ? vgs_check_fail(msg, len, "out of memory") : 0;
    const vgs_isa before = vgs_isa_current();
    if (!rc && vgs_isa_force(isa) != VGS_OK) rc = vgs_check_fail(msg, len, "vgs_isa_force: %s", vgs_last_error());
    if (!rc && vgs_net_forward(net, x, 3, y, 3 * nc) != VGS_OK) rc = vgs_check_fail(msg, len, "forward: %s", vgs_last_error());
    vgs_isa_force(before);
    /* 16 units: 3 of stride 2 (1x1, dw, 1x1, avg-pool) and 13 of stride 1 (1x1, dw, 1x1),
     * plus the stem conv with its max-pool (one fused layer), global pool, linear */
    const size_t want_layers = 3 * 4 + 13 * 3 + 3, n_layers = vgs_net_num_layers(net);
    if (!rc && n_layers != want_layers) rc = vgs_check_fail(msg, len, "%zu layers, expected %zu", n_layers, want_layers);
    char suffix[32];
    snprintf(suffix, sizeof suffix, "__%s", vgs_isa_to_string(isa));
    double written = 0.0;
    for (size_t i = 0; !rc && i < n_layers; i++) {
        vgs_layer_info li;
        if (vgs_net_layer_info(net, i, &li) != VGS_OK) {
            rc = vgs_check_fail(msg, len, "layer %zu: %s", i, vgs_last_error());
            break;
        }
        /* unit k's input and output channels: stem 3, stages of 4/8/4 units out 12/24/36 */
        int k = -1, part = 0;
        sscanf(li.name, "features.%d.branch_main_%d", &k, &part);
        const int out_c = k < 4 ? 12 : k < 12 ? 24 : 36, in_c = k == 0 ? 3 : k <= 4 ? 12 : k <= 12 ? 24 : 36;
        double flops = -1.0;
        if (!strcmp(li.kind, "conv3x3")) flops = 2.0 * 9 * 3 * li.c * ((h + 1) / 2) * ((w + 1) / 2) + 9.0 * li.c * li.h * li.w;
        else if (!strcmp(li.kind, "conv1x1") && part == 1) flops = 2.0 * (in_c / (k == 0 ? 1 : 3)) * li.c * li.h * li.w;
        else if (!strcmp(li.kind, "conv1x1") && part == 2) flops = 2.0 * (out_c / 4 / 3) * li.c * li.h * li.w;
        else if (!strcmp(li.kind, "dwconv3x3")) flops = 2.0 * 9 * li.c * li.h * li.w;
        else if (!strcmp(li.kind, "linear")) flops = 2.0 * 36 * li.c;
        if (flops >= 0) flops *= li.n;
        const size_t kl = strlen(li.kernel), sl = strlen(suffix);
        if (!strcmp(li.name, "first_conv.0+maxpool") != (i == 0) || !strcmp(li.name, "classifier.0") != (i == n_layers - 1)) {
            rc = vgs_check_fail(msg, len, "layer %zu is '%s'", i, li.name);
        } else if (li.n != 1) {
            rc = vgs_check_fail(msg, len, "layer %s: n = %d, the last chunk of 3 in chunks of 2 has 1", li.name, li.n);
        } else if (kl <= sl || strcmp(li.kernel + kl - sl, suffix) != 0 || strncmp(li.kernel, "vgs_f32_", 8) != 0) {
            rc = vgs_check_fail(msg, len, "layer %s: kernel '%s' on %s", li.name, li.kernel, vgs_isa_to_string(isa));
        } else if (!(li.flops > 0) || li.tasks == 0 || !(li.bytes_read > 0) || !(li.bytes_written > 0) || !(li.ms >= 0)) {
            rc = vgs_check_fail(msg, len, "layer %s (%s): flops %g, tasks %zu, bytes %g / %g, %g ms: a layer that only "
                                "moves data, or no profile", li.name, li.kind, li.flops, li.tasks, li.bytes_read,
                                li.bytes_written, li.ms);
        } else if (flops >= 0 && li.flops != flops) {
            rc = vgs_check_fail(msg, len, "layer %s (%s, %d x %d x %d): %g FLOPs, expected %g", li.name, li.kind, li.c,
                                li.h, li.w, li.flops, flops);
        } else if (!strcmp(li.kind, "linear") && li.c != (int)nc) {
            rc = vgs_check_fail(msg, len, "the linear layer has %d outputs, not %zu", li.c, nc);
        }
        written += li.bytes_written / li.n;
    }
    const size_t ws2 = vgs_net_workspace_size(net), ws1 = vgs_net_workspace_size(one);
    if (!rc && ws2 != 2 * ws1) {
        rc = vgs_check_fail(msg, len, "workspace %zu bytes for max_batch 2, %zu for 1: not twice", ws2, ws1);
    }
    if (!rc && !(ws1 < written)) {
        rc = vgs_check_fail(msg, len, "workspace %zu bytes >= the %g bytes all layers write: no buffer is reused", ws1,
                            written);
    }
    vgs_net_destroy(net);
    vgs_net_destroy(one);
    free(x), free(y);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 *  fma_peak (the benchmarks' peak): the 12 chains a <- a * 0.999999 + 1e-7 from a = 0..11,
 *  summed over chains and lanes, against fp64.  Each step rounds once or twice (FMA or not)
 *  by <= 2^-24 relative and the map contracts, so after `it` steps the relative error is
 *  <= 2 * it * 2^-24 plus the final sum's 12 + vector_width roundings: <= 2e-5 for it <= 100.
 * ------------------------------------------------------------------------------------------ */

static int check_fma_peak(vgs_isa isa, char *msg, size_t len)
{
    const vgs_kernels *K = vgs_kernels_for(isa);
    if (!K || !K->fma_peak) return vgs_check_fail(msg, len, "no fma_peak kernel");
    static const size_t iters[] = {0, 1, 7, 100};
    for (size_t i = 0; i < sizeof iters / sizeof iters[0]; i++) {
        double want = 0.0;
        for (int j = 0; j < 12; j++) {
            double a = j;
            for (size_t r = 0; r < iters[i]; r++) a = a * (double)0.999999f + (double)1e-7f;
            want += a * (double)K->vector_width;
        }
        const double got = K->fma_peak(iters[i]);
        if (!(fabs(got - want) <= 2e-5 * want)) {
            return vgs_check_fail(msg, len, "fma_peak(%zu) = %.9g, expected %.9g (relative tolerance 2e-5)", iters[i], got,
                                  want);
        }
    }
    return 0;
}

const vgs_check_case vgs_runtime_checks[] = {
    {"runtime", "fma_peak", check_fma_peak, 0},
    {"runtime", "busy", check_busy, 1},
    {"runtime", "profile", check_profile, 0},
};
const size_t vgs_runtime_checks_count = sizeof vgs_runtime_checks / sizeof vgs_runtime_checks[0];
