/* tests/check_network.c — the whole network on real data: Megvii's ShuffleNet V1 weights
 * (converted to safetensors by tools/torch2safetensors.py) on the shared photos, per ISA;
 * logits of every tier against the scalar tier; logits of every tier, on every CPU model and
 * architecture the tests emulate, against the NATIVE scalar logits of the same input tensor;
 * batches; the channel-shuffle permutation; the ISA-forcing API.  Paths: VGS_SHARED_DIR
 * (default ../shared), VGS_WEIGHTS_DIR (default .), VGS_PARITY_INPUT and VGS_PARITY_LOGITS
 * (no default), which meson sets.  Without the shared folder the checks on real data are
 * skipped with the reason (no_shared_data).  Checks only: the front ends are test_main.c /
 * tap_runner.c. */
#include "checks.h"

#include <stb_image.h> /* Debian libstb-dev: pkg-config stb */
#include <sys/stat.h>

static const char *env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return v && *v ? v : dflt;
}

/* The checks on real data (the shared photos, and Megvii's weights that the build converts
 * from ../shared/models) start with this: without the shared folder they cannot run, and are
 * skipped with the reason.  Folder: VGS_SHARED_DIR, or ../shared when unset; meson sets it to
 * '' when the source tree has no ../shared beside it (a user's clone, tools/meson.build).
 * .ci/run refuses to run without ../shared, so CI never skips them. */
static int no_shared_data(char *msg, size_t len)
{
    const char *dir = getenv("VGS_SHARED_DIR");
    struct stat st;
    if (!dir) dir = "../shared";
    if (!*dir) {
        snprintf(msg, len, "needs the photos and weights of ../shared, and there is no ../shared beside the source tree");
        return 1;
    }
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(msg, len, "needs the photos and weights of the shared folder, and VGS_SHARED_DIR=%s is not a folder", dir);
        return 1;
    }
    return 0;
}

/* The expected results of ../shared/README.md. */
typedef struct photo_case {
    const char *model, *weights, *image;
    int top1;
    float prob;
} photo_case;

static const photo_case photo_cases[] = {
    {"shufflenet_v1_g3_x0_5", "shufflenet_v1_g3_x0_5.safetensors", "chelsea.png", 285, 0.64f},
    {"shufflenet_v1_g3_x0_5", "shufflenet_v1_g3_x0_5.safetensors", "coffee.png", 967, 0.88f},
    {"shufflenet_v1_g8_x0_5", "shufflenet_v1_g8_x0_5.safetensors", "chelsea.png", 285, 0.61f},
    {"shufflenet_v1_g8_x0_5", "shufflenet_v1_g8_x0_5.safetensors", "coffee.png", 967, 0.95f},
};

/* Decode and preprocess a shared photo into x (3 x 224 x 224) for net. */
static int load_photo(const vgs_net *net, const char *image, float *x, char *msg, size_t len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/images/%s", env_or("VGS_SHARED_DIR", "../shared"), image);
    int w, h, c;
    unsigned char *rgb = stbi_load(path, &w, &h, &c, 3);
    if (!rgb) return vgs_check_fail(msg, len, "%s: %s", path, stbi_failure_reason());
    vgs_status st = vgs_preprocess_rgb8(rgb, w, h, (size_t)w * 3, vgs_net_preprocess(net), x);
    stbi_image_free(rgb);
    if (st != VGS_OK) return vgs_check_fail(msg, len, "preprocess %s: %s", path, vgs_last_error());
    return 0;
}

static int open_net(const char *model, const char *file, vgs_net **net, char *msg, size_t len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", env_or("VGS_WEIGHTS_DIR", "."), file);
    if (vgs_net_create(model, path, NULL, net) != VGS_OK) {
        return vgs_check_fail(msg, len, "vgs_net_create(%s, %s): %s", model, path, vgs_last_error());
    }
    return 0;
}

/* Run the case's photo through the net on `isa`; logits get 1000 floats. */
static int run_case(vgs_isa isa, const photo_case *pc, float *logits, char *msg, size_t len)
{
    static float x[3 * 224 * 224];
    vgs_net *net;
    if (open_net(pc->model, pc->weights, &net, msg, len)) return 1;
    const vgs_isa before = vgs_isa_current();
    int rc = load_photo(net, pc->image, x, msg, len);
    if (!rc && vgs_isa_force(isa) != VGS_OK) rc = vgs_check_fail(msg, len, "force %s: %s", vgs_isa_to_string(isa), vgs_last_error());
    if (!rc && vgs_net_forward(net, x, 1, logits, 1000) != VGS_OK) rc = vgs_check_fail(msg, len, "forward: %s", vgs_last_error());
    vgs_isa_force(before);
    vgs_net_destroy(net);
    return rc;
}

/* Top-1 class and its softmax probability as in ../shared/README.md.  The README gives the
 * probabilities to two digits and says they move "by a few hundredths with the exact resize
 * filter": hence +-0.05. */
static int check_real_photos(vgs_isa isa, char *msg, size_t len)
{
    if (no_shared_data(msg, len)) return VGS_CHECK_SKIP;
    float logits[1000], prob[1000];
    for (size_t i = 0; i < sizeof photo_cases / sizeof photo_cases[0]; i++) {
        const photo_case *pc = &photo_cases[i];
        if (run_case(isa, pc, logits, msg, len)) return 1;
        vgs_kernels_for(VGS_ISA_SCALAR)->softmax(1000, logits, prob);
        int top;
        vgs_topk(prob, 1000, 1, &top);
        if (top != pc->top1 || fabsf(prob[top] - pc->prob) > 0.05f) {
            return vgs_check_fail(msg, len, "%s on %s [%s]: top-1 %d p=%.4f, expected %d p=%.2f+-0.05", pc->model,
                                  pc->image, vgs_isa_to_string(isa), top, prob[top], pc->top1, pc->prob);
        }
    }
    return 0;
}

/* got (1000 logits of `isa`) against ref within 3e-5 of max |ref|; `what` names the case and
 * `refname` the reference in the message.  Tolerance: 3e-5 of the largest |logit|.  Why: the
 * tiers differ only in the order and fusion (FMA) of fp32 operations; one accumulation of
 * K <= 480 terms is off by at most K * 2^-24 ~ 2.9e-5 relative (worst case), typically
 * sqrt(K) * 2^-24 ~ 1.3e-6, and ~50 layers compound the typical case to ~1e-5.
 * Measured, AVX2 vs scalar, g3 and g8 on both photos: 4e-7 .. 6e-7 of max |logit|. */
static int compare_logits(vgs_isa isa, const float *ref, const float *got, const char *what,
                          const char *refname, char *msg, size_t len)
{
    float scale = 0.0f, worst = 0.0f;
    size_t wi = 0;
    for (int j = 0; j < 1000; j++) scale = fmaxf(scale, fabsf(ref[j]));
    for (int j = 0; j < 1000; j++) {
        const float e = fabsf(got[j] - ref[j]);
        if (!(e <= worst)) worst = e, wi = (size_t)j;
    }
    if (!(worst <= 3e-5f * scale)) {
        return vgs_check_fail(msg, len, "%s [%s]: logit %zu = %.7g, %s %.7g (|diff| %.3g > 3e-5 * %.3g)", what,
                              vgs_isa_to_string(isa), wi, got[wi], refname, ref[wi], worst, scale);
    }
    if (getenv("VGS_VERBOSE")) printf("# parity %s [%s] vs %s: max |diff| / max |logit| = %.3g\n", what, vgs_isa_to_string(isa), refname, worst / scale);
    return 0;
}

/* Logits of `isa` against the scalar tier's (of this binary, on this CPU), same input. */
static int check_parity_with_scalar(vgs_isa isa, char *msg, size_t len)
{
    if (no_shared_data(msg, len)) return VGS_CHECK_SKIP;
    float ref[1000], got[1000];
    char what[160];
    for (size_t i = 0; i < sizeof photo_cases / sizeof photo_cases[0]; i++) {
        const photo_case *pc = &photo_cases[i];
        if (run_case(VGS_ISA_SCALAR, pc, ref, msg, len) || run_case(isa, pc, got, msg, len)) return 1;
        snprintf(what, sizeof what, "%s on %s", pc->model, pc->image);
        if (compare_logits(isa, ref, got, what, "scalar", msg, len)) return 1;
    }
    return 0;
}

/* Read exactly n native-endian float32 values from path (a larger or smaller file fails). */
static int read_f32(const char *path, float *out, size_t n, char *msg, size_t len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return vgs_check_fail(msg, len, "%s: cannot open", path);
    const size_t got = fread(out, sizeof(float), n, f);
    const int extra = fgetc(f) != EOF;
    fclose(f);
    if (got != n || extra) return vgs_check_fail(msg, len, "%s: expected exactly %zu float32 values", path, n);
    return 0;
}

/* The cross-machine parity check: one full network on `isa`, on the input tensor and against
 * the logits that the NATIVE build computed (tests/meson.build: `vggshuffle preprocess` of
 * chelsea.png into VGS_PARITY_INPUT, `VGS_ISA=scalar vggshuffle run` of it into
 * VGS_PARITY_LOGITS, both by the x86-64 build on the build machine).  Under qemu-user
 * (x86-64 CPU models, aarch64) this is the real-weights test of the emulated tier: the tensor
 * is the same bytes everywhere (no image decoding or resizing under emulation), so the only
 * differences left are the tier's own arithmetic.  Checks: top-1 class 285 (Egyptian cat)
 * with p = 0.64 +- 0.05 as in check_real_photos, and every logit within 3e-5 of max |logit|
 * of the native scalar ones (compare_logits: the tiers differ only in the order and FMA
 * fusion of fp32 operations; the same derivation holds for the same tiers on another CPU or
 * architecture, whose fp32 arithmetic is IEEE 754 with the same rounding).  Measured max
 * |diff| / max |logit|: scalar under qemu-x86_64 (qemu64, Haswell,-fma) 0 (bit-identical, the
 * same x86-64 code); AVX2 natively and under qemu-x86_64 -cpu Haswell 5.6e-7; NEON under
 * qemu-aarch64 5.7e-7 — 50x below the tolerance, while a kernel bug is far above it (a NEON
 * partial load dropping its last lane: |diff| 0.52 on a max |logit| of 12, 1400x). */
static int check_parity_with_native_scalar(vgs_isa isa, char *msg, size_t len)
{
    if (no_shared_data(msg, len)) return VGS_CHECK_SKIP;
    const photo_case *pc = &photo_cases[0]; /* g3 0.5x, chelsea.png */
    const char *xpath = getenv("VGS_PARITY_INPUT"), *lpath = getenv("VGS_PARITY_LOGITS");
    if (!xpath || !*xpath || !lpath || !*lpath) {
        return vgs_check_fail(msg, len, "VGS_PARITY_INPUT and VGS_PARITY_LOGITS must name the native build's "
                              "preprocessed %s (1x3x224x224 float32) and its native scalar logits (1000 float32), "
                              "as tests/meson.build sets them", pc->image);
    }
    static float x[3 * 224 * 224];
    float ref[1000], got[1000], prob[1000];
    if (read_f32(xpath, x, sizeof x / sizeof x[0], msg, len) || read_f32(lpath, ref, 1000, msg, len)) return 1;
    vgs_net *net;
    if (open_net(pc->model, pc->weights, &net, msg, len)) return 1;
    const vgs_isa before = vgs_isa_current();
    int rc = 0;
    if (vgs_isa_force(isa) != VGS_OK) rc = vgs_check_fail(msg, len, "force %s: %s", vgs_isa_to_string(isa), vgs_last_error());
    if (!rc && vgs_net_forward(net, x, 1, got, 1000) != VGS_OK) rc = vgs_check_fail(msg, len, "forward: %s", vgs_last_error());
    vgs_isa_force(before);
    vgs_net_destroy(net);
    if (rc) return rc;
    vgs_kernels_for(VGS_ISA_SCALAR)->softmax(1000, got, prob);
    int top;
    vgs_topk(prob, 1000, 1, &top);
    if (top != pc->top1 || fabsf(prob[top] - pc->prob) > 0.05f) {
        return vgs_check_fail(msg, len, "%s on %s (native tensor) [%s]: top-1 %d p=%.4f, expected %d p=%.2f+-0.05",
                              pc->model, pc->image, vgs_isa_to_string(isa), top, prob[top], pc->top1, pc->prob);
    }
    if (getenv("VGS_VERBOSE")) printf("# %s on %s (native tensor) [%s]: top-1 %d p=%.4f\n", pc->model, pc->image, vgs_isa_to_string(isa), top, prob[top]);
    char what[160];
    snprintf(what, sizeof what, "%s on %s (native tensor)", pc->model, pc->image);
    return compare_logits(isa, ref, got, what, "native scalar", msg, len);
}

/* A batch of 2 gives, per image, bit-identical logits to batch-1 runs (same kernels, same
 * order: images run one after another through one workspace). */
static int check_batch(vgs_isa isa, char *msg, size_t len)
{
    if (no_shared_data(msg, len)) return VGS_CHECK_SKIP;
    static float x[2 * 3 * 224 * 224];
    float one[2][1000], two[2 * 1000];
    vgs_net *net;
    if (open_net("shufflenet_v1_g3_x0_5", "shufflenet_v1_g3_x0_5.safetensors", &net, msg, len)) return 1;
    const vgs_isa before = vgs_isa_current();
    int rc = load_photo(net, "chelsea.png", x, msg, len) || load_photo(net, "coffee.png", x + 3 * 224 * 224, msg, len);
    if (!rc) vgs_isa_force(isa);
    for (int i = 0; !rc && i < 2; i++) vgs_net_forward(net, x + i * 3 * 224 * 224, 1, one[i], 1000);
    if (!rc && vgs_net_forward(net, x, 2, two, 1000) != VGS_ERR_SHAPE) rc = vgs_check_fail(msg, len, "logits_len 1000 for batch 2 was accepted");
    if (!rc && vgs_net_forward(net, x, 2, two, 2000) != VGS_OK) rc = vgs_check_fail(msg, len, "batch 2: %s", vgs_last_error());
    if (!rc && memcmp(one, two, sizeof two) != 0) rc = vgs_check_fail(msg, len, "[%s] batch of 2 differs from two batches of 1", vgs_isa_to_string(isa));
    vgs_isa_force(before);
    vgs_net_destroy(net);
    return rc;
}

/* The permutation against the definition, computed literally: write channel indices into a
 * (g, C/g) or (C/g, g) array, transpose, flatten. */
static int check_shuffle_map(vgs_isa isa, char *msg, size_t len)
{
    (void)isa;
    static const int32_t paper12x4[12] = {0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11}; /* the example */
    int32_t src[256], def[256];
    if (vgs_channel_shuffle_map(VGS_SHUFFLE_PAPER, 12, 4, src) != VGS_OK || memcmp(src, paper12x4, sizeof paper12x4)) {
        return vgs_check_fail(msg, len, "paper order, C=12, g=4: not 0,3,6,9,1,4,7,10,2,5,8,11");
    }
    for (size_t c = 1; c <= 240; c++) {
        for (size_t g = 1; g <= 8; g++) {
            for (int order = 0; order < 2; order++) {
                vgs_status st = vgs_channel_shuffle_map((vgs_shuffle_order)order, c, g, src);
                if (c % g) {
                    if (st != VGS_ERR_INVALID_ARGUMENT) return vgs_check_fail(msg, len, "C=%zu g=%zu accepted", c, g);
                    continue;
                }
                /* rows x cols array holding input channel numbers, read out transposed */
                const size_t rows = order == VGS_SHUFFLE_PAPER ? g : c / g, cols = c / rows;
                size_t o = 0;
                for (size_t j = 0; j < cols; j++)
                    for (size_t i = 0; i < rows; i++) def[o++] = (int32_t)(i * cols + j);
                if (st != VGS_OK || memcmp(src, def, c * sizeof *src)) {
                    return vgs_check_fail(msg, len, "%s order, C=%zu g=%zu differs from reshape/transpose",
                                          order == VGS_SHUFFLE_PAPER ? "paper" : "megvii", c, g);
                }
            }
        }
    }
    if (vgs_channel_shuffle_map(VGS_SHUFFLE_PAPER, 12, 0, src) != VGS_ERR_INVALID_ARGUMENT) {
        return vgs_check_fail(msg, len, "groups 0 accepted");
    }
    return 0;
}

/* Forcing: a supported tier is taken; an unsupported or invalid one is an error that leaves
 * the current tier as it was. */
static int check_isa_force(vgs_isa isa, char *msg, size_t len)
{
    const vgs_isa before = vgs_isa_current();
    if (vgs_isa_force(isa) != VGS_OK || vgs_isa_current() != isa || strcmp(vgs_isa_name(), vgs_isa_to_string(isa))) {
        return vgs_check_fail(msg, len, "forcing supported %s failed: %s", vgs_isa_to_string(isa), vgs_last_error());
    }
    for (int other = 0; other < VGS_ISA_COUNT; other++) {
        if (vgs_isa_supported((vgs_isa)other)) continue;
        if (vgs_isa_force((vgs_isa)other) != VGS_ERR_UNSUPPORTED || vgs_isa_current() != isa) {
            return vgs_check_fail(msg, len, "forcing unsupported %s did not fail cleanly", vgs_isa_to_string((vgs_isa)other));
        }
    }
    if (vgs_isa_force((vgs_isa)99) != VGS_ERR_INVALID_ARGUMENT || vgs_isa_current() != isa) {
        return vgs_check_fail(msg, len, "forcing ISA 99 did not fail cleanly");
    }
    vgs_isa parsed;
    if (vgs_isa_parse("avx2", &parsed) != VGS_OK || parsed != VGS_ISA_AVX2 || vgs_isa_parse("AVX2", &parsed) == VGS_OK ||
        vgs_isa_parse(NULL, &parsed) != VGS_ERR_INVALID_ARGUMENT || !strstr(vgs_last_error(), "NULL")) {
        return vgs_check_fail(msg, len, "vgs_isa_parse: '%s'", vgs_last_error());
    }
    vgs_isa_force(before);
    return 0;
}

/* The weights at `path` with their first F32 tensor declared I32 (4 bytes an element too, so
 * the file stays valid): create fails with VGS_ERR_FORMAT naming the file, the dtype and F32. */
static int wrong_dtype(const char *path, char *msg, size_t len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return vgs_check_fail(msg, len, "cannot read %s", path);
    fseek(f, 0, SEEK_END);
    const long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *bytes = size > 8 ? (char *)malloc((size_t)size + 1) : NULL;
    const int got = bytes && fread(bytes, 1, (size_t)size, f) == (size_t)size;
    fclose(f);
    if (!got) return free(bytes), vgs_check_fail(msg, len, "cannot read %s", path);
    bytes[size] = 0; /* the header is JSON: strstr stops at the first zero byte of the data at worst */
    char *d = strstr(bytes + 8, "\"dtype\":\"F32\"");
    char tmp[] = "/tmp/vgs_dtype_XXXXXX";
    const int fd = d ? mkstemp(tmp) : -1;
    if (fd < 0) return free(bytes), vgs_check_fail(msg, len, "no F32 tensor in %s or no temporary file", path);
    memcpy(d + 9, "I32", 3);
    const int wrote = write(fd, bytes, (size_t)size) == (ssize_t)size;
    close(fd);
    free(bytes);
    vgs_net *net = (vgs_net *)1;
    const vgs_status st = wrote ? vgs_net_create("shufflenet_v1_g3_x0_5", tmp, NULL, &net) : VGS_ERR_IO;
    char err[1024];
    snprintf(err, sizeof err, "%s", vgs_last_error());
    unlink(tmp);
    if (st != VGS_ERR_FORMAT || net != NULL || !strstr(err, tmp) || !strstr(err, "is I32, expected F32")) {
        if (st == VGS_OK) vgs_net_destroy(net);
        return vgs_check_fail(msg, len, "an I32 tensor: %s, '%s'", vgs_status_name(st), err);
    }
    return 0;
}

/* Wrong weights for a model: a clear error naming the first tensor that does not fit. */
static int check_wrong_weights(vgs_isa isa, char *msg, size_t len)
{
    (void)isa;
    if (no_shared_data(msg, len)) return VGS_CHECK_SKIP;
    char path[1024];
    vgs_net *net = (vgs_net *)1;
    snprintf(path, sizeof path, "%s/shufflenet_v1_g3_x0_5.safetensors", env_or("VGS_WEIGHTS_DIR", "."));
    if (vgs_net_create("shufflenet_v1_g8_x0_5", path, NULL, &net) != VGS_ERR_SHAPE || net != NULL ||
        !strstr(vgs_last_error(), "first_conv.0.weight") || !strstr(vgs_last_error(), path)) {
        return vgs_check_fail(msg, len, "g3 weights for the g8 model: '%s'", vgs_last_error());
    }
    if (wrong_dtype(path, msg, len)) return 1;
    if (vgs_net_create("shufflenet_v2_x9", path, NULL, &net) != VGS_ERR_INVALID_ARGUMENT || !strstr(vgs_last_error(), "unknown model")) {
        return vgs_check_fail(msg, len, "unknown model name: '%s'", vgs_last_error());
    }
    if (vgs_net_create("shufflenet_v1_g3_x0_5", "/nonexistent/w.safetensors", NULL, &net) != VGS_ERR_IO) {
        return vgs_check_fail(msg, len, "missing file: '%s'", vgs_last_error());
    }
    vgs_net_options bad;
    memset(&bad, 0, sizeof bad);
    bad.num_threads = -1;
    if (vgs_net_create("shufflenet_v1_g3_x0_5", path, &bad, &net) != VGS_ERR_INVALID_ARGUMENT) {
        return vgs_check_fail(msg, len, "num_threads -1: '%s'", vgs_last_error());
    }
    bad.num_threads = 1, bad.max_batch = -2;
    if (vgs_net_create("shufflenet_v1_g3_x0_5", path, &bad, &net) != VGS_ERR_INVALID_ARGUMENT) {
        return vgs_check_fail(msg, len, "max_batch -2: '%s'", vgs_last_error());
    }
    bad.max_batch = 0;
    for (int v = -1; v <= 3; v += 4) {
        bad.fc_weights = v;
        if (vgs_net_create("shufflenet_v1_g3_x0_5", path, &bad, &net) != VGS_ERR_INVALID_ARGUMENT ||
            !strstr(vgs_last_error(), "fc_weights")) {
            return vgs_check_fail(msg, len, "fc_weights %d: '%s'", v, vgs_last_error());
        }
    }
    bad.fc_weights = 0;
    for (int v = -2; v <= 2; v += 4) {
        bad.conv_maxpool = v; /* -1, 0, 1 only */
        if (vgs_net_create("shufflenet_v1_g3_x0_5", path, &bad, &net) != VGS_ERR_INVALID_ARGUMENT ||
            !strstr(vgs_last_error(), "conv_maxpool") || net != NULL) {
            return vgs_check_fail(msg, len, "conv_maxpool %d: '%s'", v, vgs_last_error());
        }
    }
    bad.conv_maxpool = 0;
    /* a VGS_NUM_THREADS that is not a count from 1 to 256 is ignored, and why is recorded (the
     * net then starts one thread per core: not where no thread can start) */
    if (vgs_check_threads(2) == 2) {
        const char *was = getenv("VGS_NUM_THREADS");
        char saved[64];
        snprintf(saved, sizeof saved, "%s", was ? was : "");
        const char *values[3] = {"abc", "0", "99999999999999999999"};
        int failed = -1;
        bad.num_threads = 0;
        for (int v = 0; v < 3 && failed < 0; v++) {
            setenv("VGS_NUM_THREADS", values[v], 1);
            net = NULL;
            if (vgs_net_create("shufflenet_v1_g3_x0_5", path, &bad, &net) != VGS_OK || !net ||
                !strstr(vgs_last_error(), "VGS_NUM_THREADS") || !strstr(vgs_last_error(), "ignored")) {
                failed = v;
            }
            vgs_net_destroy(net);
        }
        if (was) setenv("VGS_NUM_THREADS", saved, 1);
        else unsetenv("VGS_NUM_THREADS");
        bad.num_threads = 1;
        if (failed >= 0) return vgs_check_fail(msg, len, "VGS_NUM_THREADS=%s: '%s'", values[failed], vgs_last_error());
    }
    /* the memory a net holds: bf16 or fp16 classifier weights save 2 bytes on each of its 1000 x 480 */
    size_t mem[3] = {0, 0, 0}, ws = 0;
    for (int v = 0; v < 3; v++) {
        bad.fc_weights = v; /* VGS_FC_F32, VGS_FC_BF16, VGS_FC_F16 */
        if (vgs_net_create("shufflenet_v1_g3_x0_5", path, &bad, &net) != VGS_OK) {
            return vgs_check_fail(msg, len, "fc_weights %d: '%s'", bad.fc_weights, vgs_last_error());
        }
        mem[v] = vgs_net_memory_size(net), ws = vgs_net_workspace_size(net);
        vgs_net_destroy(net);
    }
    if (mem[0] - mem[1] != 2 * 1000 * 480 || mem[2] != mem[1] || mem[1] <= ws || vgs_net_memory_size(NULL) != 0) {
        return vgs_check_fail(msg, len, "vgs_net_memory_size: %zu bytes with float FC weights, %zu with bf16, %zu with fp16 "
                              "(expected 960000 fewer), workspace %zu", mem[0], mem[1], mem[2], ws);
    }
    return 0;
}

/* The small public helpers: NULL is an error value, topk ranks NaN last and pads with -1,
 * and a net planned for another input size preprocesses to exactly that size. */
static int check_api_helpers(vgs_isa isa, char *msg, size_t len)
{
    (void)isa;
    float y[4];
    int idx[6];
    if (vgs_softmax(NULL, 4, y) != VGS_ERR_INVALID_ARGUMENT || vgs_softmax(y, 0, y) != VGS_ERR_INVALID_ARGUMENT ||
        vgs_topk(NULL, 4, 2, idx) != VGS_ERR_INVALID_ARGUMENT) {
        return vgs_check_fail(msg, len, "NULL or empty input to vgs_softmax / vgs_topk was not an error");
    }
    const float x[4] = {NAN, 1.0f, 3.0f, 2.0f};
    static const int want[6] = {2, 3, 1, 0, -1, -1};
    if (vgs_topk(x, 4, 6, idx) != VGS_OK || memcmp(idx, want, sizeof want)) {
        return vgs_check_fail(msg, len, "topk of {NaN,1,3,2}, k=6: %d %d %d %d %d %d, expected 2 3 1 0 -1 -1", idx[0],
                              idx[1], idx[2], idx[3], idx[4], idx[5]);
    }
    if (no_shared_data(msg, len)) return VGS_CHECK_SKIP; /* the rest runs a real net */
    char path[1024];
    snprintf(path, sizeof path, "%s/shufflenet_v1_g3_x0_5.safetensors", env_or("VGS_WEIGHTS_DIR", "."));
    const vgs_net_options opt = vgs_check_options(1, 160, 192);
    vgs_net *net;
    if (vgs_net_create("shufflenet_v1_g3_x0_5", path, &opt, &net) != VGS_OK) {
        return vgs_check_fail(msg, len, "160x192 net: %s", vgs_last_error());
    }
    const vgs_preprocess *pp = vgs_net_preprocess(net);
    int c, h, w;
    vgs_net_input_shape(net, &c, &h, &w);
    int rc = 0;
    if (c != 3 || h != 160 || w != 192 || pp->crop_height != 160 || pp->crop_width != 192) {
        rc = vgs_check_fail(msg, len, "160x192 net: input %dx%dx%d, crop %dx%d", c, h, w, pp->crop_height, pp->crop_width);
    } else {
        /* the tensor exactly 3 x 160 x 192, followed by sentinels that must stay */
        const size_t n = 3 * 160 * 192;
        float *t = (float *)malloc((n + 16) * sizeof *t), logits[1000];
        vgs_fill_sentinel(t, n + 16);
        if (load_photo(net, "chelsea.png", t, msg, len)) rc = 1;
        else if (vgs_first_non_sentinel(t + n, 16) != 16) rc = vgs_check_fail(msg, len, "preprocess wrote past 3x160x192");
        else if (vgs_first_non_sentinel(t, n) != 0 || vgs_net_forward(net, t, 1, logits, 1000) != VGS_OK) {
            rc = vgs_check_fail(msg, len, "160x192 forward: %s", vgs_last_error());
        }
        free(t);
    }
    vgs_net_destroy(net);
    return rc;
}

const vgs_check_case vgs_network_checks[] = {
    {"network", "real_photos", check_real_photos, 0},
    {"network", "parity_with_scalar", check_parity_with_scalar, 0},
    {"network", "parity_with_native_scalar", check_parity_with_native_scalar, 0},
    {"network", "batch", check_batch, 0},
    {"network", "shuffle_map", check_shuffle_map, 1},
    {"network", "isa_force", check_isa_force, 0},
    {"network", "wrong_weights", check_wrong_weights, 1},
    {"network", "api_helpers", check_api_helpers, 1},
};
const size_t vgs_network_checks_count = sizeof vgs_network_checks / sizeof vgs_network_checks[0];
