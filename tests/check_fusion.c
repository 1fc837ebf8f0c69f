/* tests/check_fusion.c — the runtime's fusion of the ShuffleNets' stem: a 3x3/s2 max-pool
 * that alone reads a direct stride-2 3x3 convolution's output runs as one layer with it,
 * computed in bands of pooled rows through the thread's scratch (vggshuffle.h,
 * vgs__conv_pool_task).  Against the same net with vgs_net_options.conv_maxpool = -1 (the
 * two layers as built), on every tier:
 *   - the logits are bit-identical (memcmp), for finite inputs (U(-1, 1): negative
 *     convolution outputs, ReLU's zeros, ties in the max) and for inputs holding NaN, +inf
 *     and -inf (image 1: one each in rows at band boundaries), image by image in a batch of 2,
 *     and so on any thread count, batch chunking and task order (vgs_runtime_same_logits
 *     against the unfused logits);
 *   - the profile: one layer fewer, the first named "conv1.0+maxpool" with the fused kernel,
 *     the pool's output shape, the two layers' FLOPs and bytes.
 * The sizes (H, W odd and even, small and 224) and stem widths make every partition case
 * run: one task and one band; bands of 1 to 8 pooled rows (the carried row, the dropped
 * first pooled row); several tasks an image (the row recomputed where a task begins); an odd
 * number of convolution rows (the last band's pool takes the bottom padding).  ShuffleNet V2
 * nets (check_refnet_v2.c's builder): V1 has the same stem and goes through the same
 * runtime code (check_refnet.c runs it against its fp64 reference with the fusion on). */
#include "checks.h"

#define FU_BATCH 2

typedef struct fu_case {
    int stem, h, w;
} fu_case;

/* Pooled rows a band (vggshuffle.h: VGS__TASK_FUSED / (stem * (2 * cw + pw)) - 1, >= 1, <=
 * the task's rows) in brackets; tasks of ceil(784 / pw) pooled rows. */
static const fu_case fu_cases[] = {
    {24, 45, 57},   /* 23 x 29 -> 12 x 15: one task, one band                           */
    {240, 45, 57},  /* bands of 2 [2], a carried row each                                */
    {2000, 45, 57}, /* bands of 1 [1]                                                    */
    {400, 37, 33},  /* 19 x 17 -> 10 x 9: bands of 2, the last with the bottom padding    */
    {24, 35, 33},   /* 18 x 17 -> 9 x 9                                                  */
    {24, 224, 224}, /* 112 x 112 -> 56 x 56: 4 tasks of 14 rows, bands of 8 and 6          */
    {24, 225, 223}, /* 113 x 112 -> 57 x 56: a fifth task of 1 row                       */
};

typedef struct fu_maker {
    int stem, h, w, conv_maxpool;
} fu_maker;

static int fu_make(void *ctx, const vgs_net_options *o, vgs_net **net, char *msg, size_t len)
{
    const fu_maker *mk = (const fu_maker *)ctx;
    vgs_net_options opt = *o;
    opt.conv_maxpool = mk->conv_maxpool;
    return vgs_refnet_v2_make_stem(mk->stem, mk->h, mk->w, &opt, net, msg, len);
}

static int fu_forward(vgs_net *net, vgs_isa isa, const float *x, float *y, size_t n, char *msg, size_t len)
{
    const vgs_isa before = vgs_isa_current();
    vgs_status st = vgs_isa_force(isa);
    if (st == VGS_OK) st = vgs_net_forward(net, x, FU_BATCH, y, n);
    vgs_isa_force(before);
    return st == VGS_OK ? 0 : vgs_check_fail(msg, len, "forward: %s: %s", vgs_status_name(st), vgs_last_error());
}

/* The fused net's first layer is the unfused net's first two in one. */
static int fu_profile(const char *where, vgs_net *fused, vgs_net *split, vgs_isa isa, char *msg, size_t len)
{
    vgs_layer_info f, c, p;
    if (vgs_net_num_layers(fused) + 1 != vgs_net_num_layers(split)) {
        return vgs_check_fail(msg, len, "%s: %zu layers fused, %zu not", where, vgs_net_num_layers(fused),
                              vgs_net_num_layers(split));
    }
    vgs_net_layer_info(fused, 0, &f), vgs_net_layer_info(split, 0, &c), vgs_net_layer_info(split, 1, &p);
    char kernel[64];
    snprintf(kernel, sizeof kernel, "vgs_f32_conv3x3s2p1_maxpool3x3s2p1__%s", vgs_isa_to_string(isa));
    if (strcmp(f.name, "conv1.0+maxpool") != 0 || strcmp(f.kernel, kernel) != 0 || strcmp(f.kind, "conv3x3") != 0) {
        return vgs_check_fail(msg, len, "%s: the fused layer is '%s' (%s), kernel %s; expected conv1.0+maxpool (conv3x3), %s",
                              where, f.name, f.kind, f.kernel, kernel);
    }
    if (f.n != p.n || f.c != p.c || f.h != p.h || f.w != p.w || f.flops != c.flops + p.flops ||
        f.bytes_read != c.bytes_read || f.bytes_written != p.bytes_written || f.tasks == 0) {
        return vgs_check_fail(msg, len, "%s: fused %dx%dx%dx%d, %g FLOPs, %g / %g bytes, %zu tasks; the two layers: "
                              "%dx%dx%dx%d, %g + %g FLOPs, %g read, %g written", where, f.n, f.c, f.h, f.w, f.flops,
                              f.bytes_read, f.bytes_written, f.tasks, p.n, p.c, p.h, p.w, c.flops, p.flops,
                              c.bytes_read, p.bytes_written);
    }
    return 0;
}

static int fu_run(const fu_case *fc, vgs_isa isa, char *msg, size_t len)
{
    char where[96];
    snprintf(where, sizeof where, "stem %d, %dx%d [%s]", fc->stem, fc->h, fc->w, vgs_isa_to_string(isa));
    const size_t image = (size_t)3 * fc->h * fc->w, nc = 10;
    float *x = (float *)malloc(FU_BATCH * image * sizeof(float));
    float *want = (float *)malloc(FU_BATCH * nc * sizeof(float)), *got = (float *)malloc(FU_BATCH * nc * sizeof(float));
    if (!x || !want || !got) {
        free(x), free(want), free(got);
        return vgs_check_fail(msg, len, "%s: out of memory", where);
    }
    vgs_rng r = vgs_rng_seed((uint64_t)fc->stem * 1000003u + (uint64_t)fc->h * 1009u + (uint64_t)fc->w);
    vgs_rng_fill(&r, x, FU_BATCH * image, -1.0f, 1.0f);
    /* image 1: a NaN in channel 0, +inf in 1, -inf in 2, each in rows 5 + k (a band's first
     * rows where bands are 1 or 2 pooled rows), h/2 + k and h - 1 - k (the last rows), at
     * columns 0, w/2 and w - 1 */
    const float special[3] = {NAN, INFINITY, -INFINITY};
    for (int k = 0; k < 3; k++) {
        const int rows[3] = {5 + k, fc->h / 2 + k, fc->h - 1 - k}, cols[3] = {0, fc->w / 2, fc->w - 1};
        for (int j = 0; j < 3; j++) x[image + ((size_t)k * fc->h + (size_t)rows[j]) * fc->w + (size_t)cols[j]] = special[k];
    }
    fu_maker split = {fc->stem, fc->h, fc->w, -1}, fused = {fc->stem, fc->h, fc->w, 1};
    const vgs_net_options o = vgs_check_options(1, 0, 0);
    vgs_net *ns = NULL, *nf = NULL;
    int rc = fu_make(&split, &o, &ns, msg, len);
    if (!rc) rc = fu_make(&fused, &o, &nf, msg, len);
    if (!rc) rc = fu_forward(ns, isa, x, want, FU_BATCH * nc, msg, len);
    if (!rc) rc = fu_forward(nf, isa, x, got, FU_BATCH * nc, msg, len);
    for (size_t i = 0; !rc && i < FU_BATCH * nc; i++) {
        if (memcmp(&got[i], &want[i], sizeof(float)) != 0) {
            char a[64], b[64];
            rc = vgs_check_fail(msg, len, "%s: image %zu logit %zu is %s fused, %s as two layers", where, i / nc, i % nc,
                                vgs_fmt_float(got[i], a, sizeof a), vgs_fmt_float(want[i], b, sizeof b));
        }
    }
    if (!rc && !(want[0] == want[0] && want[nc] != want[nc])) {
        rc = vgs_check_fail(msg, len, "%s: image 0's logits should be finite and image 1's NaN", where);
    }
    if (!rc) rc = fu_profile(where, nf, ns, isa, msg, len);
    const char *q = getenv("VGS_CHECK_QUICK");
    if (!rc && (!(q && *q && strcmp(q, "0") != 0) || fc->h < 100)) {
        rc = vgs_runtime_same_logits(where, fu_make, &fused, fc->h, fc->w, isa, x, FU_BATCH, want, nc, msg, len);
    }
    vgs_net_destroy(ns), vgs_net_destroy(nf);
    free(x), free(want), free(got);
    return rc;
}

#define FU_NCASES (sizeof fu_cases / sizeof fu_cases[0])
#define FU_CASE(i) VGS_CHECK_CASE(fu, fu_run, fu_cases, i)
FU_CASE(0) FU_CASE(1) FU_CASE(2) FU_CASE(3) FU_CASE(4) FU_CASE(5) FU_CASE(6)
#undef FU_CASE
_Static_assert(FU_NCASES == 7, "one FU_CASE and one table entry per case");

/* The default (conv_maxpool = 0) fuses where it pays: on a host's pool or 2+ threads, not on
 * 1 thread (the logits are the same either way: the cases above).  The host's pool here is
 * this serial loop; 2 threads only where the checks may start threads (not under
 * qemu-aarch64, whose pthread_create hangs: VGS_CHECK_NO_THREADS). */
static void fu_serial_for(void *ctx, size_t n, vgs_task_fn task, void *arg)
{
    (void)ctx;
    for (size_t i = 0; i < n; i++) task(arg, i);
}

static int fu_default(vgs_isa isa, char *msg, size_t len)
{
    (void)isa;
    /* 1 thread; 1 thread with a host pool; 2 threads (or, without threads, the host pool again) */
    const int threads[3] = {1, 1, vgs_check_threads(2)}, host[3] = {0, 1, vgs_check_threads(2) == 1};
    size_t layers[3] = {0, 0, 0};
    for (int t = 0; t < 3; t++) {
        fu_maker mk = {24, 45, 57, 0};
        vgs_net_options o = vgs_check_options(threads[t], 0, 0);
        if (host[t]) o.parallel_for = fu_serial_for;
        vgs_net *net = NULL;
        if (fu_make(&mk, &o, &net, msg, len)) return 1;
        layers[t] = vgs_net_num_layers(net);
        vgs_net_destroy(net);
    }
    if (layers[0] != layers[1] + 1 || layers[2] != layers[1]) {
        return vgs_check_fail(msg, len,
                              "default: %zu layers on 1 thread, %zu on a host pool, %zu on %d threads (want the "
                              "stem fused on the last two only)", layers[0], layers[1], layers[2], threads[2]);
    }
    return 0;
}

const vgs_check_case vgs_fusion_checks[] = {
    {"fusion", "default_by_threads", fu_default, 0},
    {"fusion", "stem24_45x57", fu_case_0, 0},  {"fusion", "stem240_45x57", fu_case_1, 0},
    {"fusion", "stem2000_45x57", fu_case_2, 0}, {"fusion", "stem400_37x33", fu_case_3, 0},
    {"fusion", "stem24_35x33", fu_case_4, 0},  {"fusion", "stem24_224x224", fu_case_5, 0},
    {"fusion", "stem24_225x223", fu_case_6, 0},
};
const size_t vgs_fusion_checks_count = sizeof vgs_fusion_checks / sizeof vgs_fusion_checks[0];
