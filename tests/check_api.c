/* tests/check_api.c — the API's answers to hostile or extreme input, outside the kernels
 * (those are in check_kernels.c and check_nan.c):
 *   - loader: a second "__metadata__", and data bytes no tensor owns (the safetensors format
 *     requires the tensors to cover the data section exactly: no polyglot files);
 *   - vgs_preprocess_rgb8 on images whose resized size does not fit an int (1 x 9000000);
 *   - vgs_channel_shuffle_map with 0 channels;
 *   - vgs_topk: its documented order (ties: lower index; NaN below every number) against a
 *     plain sort, and k or n in the millions in O(n log k);
 *   - the x86 tier decision as a pure function of CPUID / XGETBV values;
 *   - the floating-point environment of a forward pass (flush-to-zero / denormals-are-zero
 *     set inside, restored after);
 *   - the fuzz seed corpus and the fuzz regressions, replayed.
 * Each runs once (isa-independent) unless it says otherwise. */
#include "checks.h"

#include <dirent.h>
#include <float.h>
#include <limits.h>

#include "fuzz/fuzz_driver.h"

#define CHECK(cond, ...)                                                                      \
    do {                                                                                      \
        if (!(cond)) return vgs_check_fail(msg, len, __VA_ARGS__);                            \
    } while (0)

/* ------------------------------------------------------------------------------------------
 *  Loader
 * ------------------------------------------------------------------------------------------ */

/* A safetensors image: 8-byte length, `header` (padded with spaces to a multiple of 8),
 * data_len bytes of data.  malloc'd. */
static unsigned char *st_image(const char *header, size_t data_len, size_t *size)
{
    size_t n = strlen(header), padded = (n + 7) / 8 * 8;
    unsigned char *b = (unsigned char *)calloc(1, 8 + padded + data_len + 1);
    if (!b) return NULL;
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)((uint64_t)padded >> (8 * i));
    memcpy(b + 8, header, n);
    memset(b + 8 + n, ' ', padded - n);
    *size = 8 + padded + data_len;
    return b;
}

/* Loading header + data_len bytes gives `want`; on an error the message holds w1 and w2. */
static int expect_load(char *msg, size_t len, const char *header, size_t data_len, vgs_status want,
                       const char *w1, const char *w2)
{
    size_t size;
    unsigned char *b = st_image(header, data_len, &size);
    if (!b) return vgs_check_fail(msg, len, "test setup: out of memory");
    vgs_weights *w = NULL;
    const vgs_status st = vgs_weights_from_memory(b, size, "t.safetensors", &w);
    const char *e = st == VGS_OK ? "" : vgs_last_error();
    free(b);
    vgs_weights_close(w);
    CHECK(st == want, "%s + %zu data bytes: %s, expected %s (message: %s)", header, data_len,
          vgs_status_name(st), vgs_status_name(want), e);
    CHECK(st == VGS_OK || (w == NULL && strstr(e, "t.safetensors")), "%s: *out not NULL or no label: %s",
          header, e);
    CHECK(!w1 || strstr(e, w1), "%s + %zu data bytes: message lacks \"%s\": %s", header, data_len, w1, e);
    CHECK(!w2 || strstr(e, w2), "%s + %zu data bytes: message lacks \"%s\": %s", header, data_len, w2, e);
    return 0;
}


static int check_loader_metadata_once(vgs_isa isa, char *msg, size_t len)
{
    (void)isa;
    if (expect_load(msg, len, "{\"__metadata__\":{\"a\":\"1\"},\"__metadata__\":{\"b\":\"2\"}}", 0,
                    VGS_ERR_FORMAT, "duplicate", "__metadata__"))
        return 1;
    if (expect_load(msg, len, "{\"__metadata__\":{},\"x\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]},"
                              "\"__metadata__\":{}}",
                    2, VGS_ERR_FORMAT, "duplicate", "__metadata__"))
        return 1;
    /* one is fine, anywhere */
    return expect_load(msg, len, "{\"x\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]},\"__metadata__\":{}}",
                       2, VGS_OK, NULL, NULL);
}

static int check_loader_gaps(vgs_isa isa, char *msg, size_t len)
{
    (void)isa;
    static const struct {
        const char *header;
        size_t data;
        vgs_status want;
        const char *w1, *w2;
    } cases[] = {
        /* exact covers: in order, out of order, with empty tensors anywhere */
        {"{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]},"
         "\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[4,6]}}", 6, VGS_OK, NULL, NULL},
        {"{\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[4,6]},"
         "\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[6,6]},"
         "\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]}}", 6, VGS_OK, NULL, NULL},
        {"{}", 0, VGS_OK, NULL, NULL},
        {"{\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}", 0, VGS_OK, NULL, NULL},
        /* a gap at the start, in the middle, at the end; data and no tensor */
        {"{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[2,6]}}", 6, VGS_ERR_FORMAT, "[0, 2)", "no tensor"},
        {"{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]},"
         "\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[4,6]}}", 6, VGS_ERR_FORMAT, "[2, 4)", "'b'"},
        {"{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]},"
         "\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[3,3]},"
         "\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[4,6]}}", 6, VGS_ERR_FORMAT, "[2, 4)", "no tensor"},
        {"{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]}}", 6, VGS_ERR_FORMAT, "[4, 6)", "no tensor"},
        {"{\"__metadata__\":{}}", 1, VGS_ERR_FORMAT, "no tensors", "1 bytes"},
        /* overlaps are still reported as such */
        {"{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]},"
         "\"b\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[2,6]}}", 6, VGS_ERR_FORMAT, "overlap", "'b'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (expect_load(msg, len, cases[i].header, cases[i].data, cases[i].want, cases[i].w1, cases[i].w2)) return 1;
    return 0;
}

/* ------------------------------------------------------------------------------------------
 *  The fuzz seed corpus and every input a fuzz campaign turned into a regression
 *  (tests/fuzz/corpus, tests/fuzz/regressions; VGS_FUZZ_DIR = tests/fuzz, set by
 *  tests/meson.build) through the fuzz driver: valid_* must load, valid_sv1_* and valid_vgg* build a network,
 *  broken_* be rejected (by the loader, or by every builder), and nothing may crash.
 * ------------------------------------------------------------------------------------------ */

static int replay_file(const char *dir, const char *name, size_t *n, char *msg, size_t len)
{
    char path[1024];
    CHECK(snprintf(path, sizeof path, "%s/%s", dir, name) < (int)sizeof path, "%s/%s: path too long", dir, name);
    FILE *f = fopen(path, "rb");
    CHECK(f, "%s: cannot open", path);
    unsigned char *b = NULL;
    size_t size = 0, cap = 0, got;
    do {
        if (size == cap) {
            unsigned char *t = (unsigned char *)realloc(b, cap = 2 * cap + 65536);
            if (!t) break;
            b = t;
        }
        got = fread(b + size, 1, cap - size, f);
        size += got;
    } while (got > 0);
    fclose(f);
    CHECK(b, "%s: out of memory", path);
    const int built = vgs_fuzz_one(b, size);
    free(b);
    (*n)++;
    if (strncmp(name, "valid_sv1_", 10) == 0 || strncmp(name, "valid_vgg", 9) == 0)
        CHECK(built > 0, "%s: no network built (%s)", path, vgs_last_error());
    else if (strncmp(name, "valid_", 6) == 0) CHECK(built >= 0, "%s: rejected: %s", path, vgs_last_error());
    else if (strncmp(name, "broken_", 7) == 0) CHECK(built <= 0, "%s: accepted and %d networks built", path, built);
    return 0;
}

static int check_fuzz_inputs(vgs_isa isa, char *msg, size_t len)
{
    (void)isa;
    const char *root = getenv("VGS_FUZZ_DIR");
    CHECK(root && *root, "VGS_FUZZ_DIR is not set (tests/meson.build sets it to tests/fuzz)");
    static const char *const subdirs[2] = {"corpus", "regressions"};
    size_t n = 0;
    for (int i = 0; i < 2; i++) {
        char dir[900];
        snprintf(dir, sizeof dir, "%s/%s", root, subdirs[i]);
        DIR *d = opendir(dir);
        CHECK(d, "%s: cannot open the directory", dir);
        struct dirent *e;
        int fail = 0;
        while (!fail && (e = readdir(d)) != NULL)
            if (e->d_name[0] != '.') fail = replay_file(dir, e->d_name, &n, msg, len);
        closedir(d);
        if (fail) return 1;
    }
    CHECK(n >= 10, "only %zu inputs in %s/corpus and regressions", n, root);
    return 0;
}

/* ------------------------------------------------------------------------------------------
 *  Dispatch: vgs_x86_tiers on injected CPUID / XGETBV values
 * ------------------------------------------------------------------------------------------ */

#define L1_FMA (1u << 12)
#define L1_OSXSAVE (1u << 27)
#define L1_AVX (1u << 28)
#define L1_F16C (1u << 29)
#define L1_ALL (L1_FMA | L1_OSXSAVE | L1_AVX | L1_F16C)
#define L7_AVX2 (1u << 5)
#define L7_512 (1u << 16 | 1u << 17 | 1u << 30 | 1u << 31) /* F, DQ, BW, VL */
#define X_YMM 0x7u    /* x87, XMM, YMM state */
#define X_ZMM 0xe7u   /* and opmask, ZMM0-15 upper, ZMM16-31 */
#define S (1u << VGS_ISA_SCALAR)
#define A2 (1u << VGS_ISA_AVX2)
#define A5 (1u << VGS_ISA_AVX512)

static int check_x86_tiers(vgs_isa isa, char *msg, size_t len)
{
    (void)isa;
    static const struct {
        const char *what;
        vgs_x86_cpuid id;
        unsigned want;
    } cases[] = {
        {"everything (a Zen4 or Sapphire Rapids)", {0x10, L1_ALL, L7_AVX2 | L7_512, X_ZMM}, S | A2 | A5},
        {"AVX2 + FMA, no AVX-512 (Haswell)", {0xd, L1_ALL, L7_AVX2, X_YMM}, S | A2},
        {"AVX-512 advertised, ZMM state off in XCR0", {0x10, L1_ALL, L7_AVX2 | L7_512, X_YMM}, S | A2},
        {"AVX-512 advertised, ZMM16-31 state off", {0x10, L1_ALL, L7_AVX2 | L7_512, 0x67}, S | A2},
        {"AVX-512 advertised, opmask state off", {0x10, L1_ALL, L7_AVX2 | L7_512, 0xc7}, S | A2},
        {"AVX-512 F without BW", {0x10, L1_ALL, L7_AVX2 | (L7_512 & ~(1u << 30)), X_ZMM}, S | A2},
        {"AVX-512 F without VL", {0x10, L1_ALL, L7_AVX2 | (L7_512 & ~(1u << 31)), X_ZMM}, S | A2},
        {"AVX2 without FMA", {0xd, L1_OSXSAVE | L1_AVX | L1_F16C, L7_AVX2, X_YMM}, S},
        {"AVX2 + FMA without F16C (a VM masking it: qemu -cpu Haswell,-f16c)", {0xd, L1_ALL & ~L1_F16C, L7_AVX2, X_YMM}, S},
        {"AVX-512 without F16C", {0x10, L1_ALL & ~L1_F16C, L7_AVX2 | L7_512, X_ZMM}, S},
        {"F16C, FMA, AVX and OSXSAVE but no AVX2 (Piledriver)", {0xd, L1_ALL, 0, X_YMM}, S},
        {"AVX-512 but no FMA", {0x10, L1_OSXSAVE | L1_AVX | L1_F16C, L7_AVX2 | L7_512, X_ZMM}, S},
        {"AVX-512 but no AVX2 bit", {0x10, L1_ALL, L7_512, X_ZMM}, S},
        {"OSXSAVE off (XGETBV not usable)", {0x10, L1_FMA | L1_AVX, L7_AVX2 | L7_512, 0}, S},
        {"OSXSAVE off, a stale XCR0 value passed", {0x10, L1_FMA | L1_AVX, L7_AVX2 | L7_512, X_ZMM}, S},
        {"AVX off", {0x10, L1_FMA | L1_OSXSAVE, L7_AVX2 | L7_512, X_ZMM}, S},
        {"YMM state off in XCR0", {0x10, L1_ALL, L7_AVX2 | L7_512, 0x3}, S},
        {"XMM state off in XCR0", {0x10, L1_ALL, L7_AVX2 | L7_512, 0xe5}, S},
        {"max leaf 6: leaf 7 not there (its register is garbage)", {6, L1_ALL, L7_AVX2 | L7_512, X_ZMM}, S},
        {"nothing (qemu64)", {0xd, 0, 0, 0}, S},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const unsigned got = vgs_x86_tiers(&cases[i].id);
        CHECK(got == cases[i].want, "vgs_x86_tiers(%s: max_leaf %#x, leaf1 ecx %#x, leaf7 ebx %#x, xcr0 %#llx) = %#x, "
              "expected %#x (bit i = vgs_isa i)", cases[i].what, cases[i].id.max_leaf, cases[i].id.leaf1_ecx,
              cases[i].id.leaf7_ebx, (unsigned long long)cases[i].id.xcr0, got, cases[i].want);
    }
    CHECK(vgs_x86_tiers(NULL) == S, "vgs_x86_tiers(NULL) = %#x, expected scalar only", vgs_x86_tiers(NULL));
    return 0;
}

/* ------------------------------------------------------------------------------------------
 *  Denormals: vgs_fp_flush_denormals / vgs_fp_restore around a kernel of each tier (the
 *  forward pass's use of them is checked in check_refnet.c, refnet/denormals)
 * ------------------------------------------------------------------------------------------ */

static int check_fp_flush(vgs_isa isa, char *msg, size_t len)
{
    const vgs_kernels *K = vgs_kernels_for(isa);
    CHECK(K, "no kernels for %s", vgs_isa_to_string(isa));
    const float denormal = 1e-39f, one = 1.0f;
    float c = -1.0f, pa[VGS_GEMM_PACK_ROWS]; /* the weight 1e-39, packed */
    vgs_gemm_pack_a(1, 1, &denormal, 1, pa, VGS_GEMM_PACK_ROWS);
    const uint64_t start = vgs_fp_get();
    if (VGS_FP_FLUSH_BITS == 0) return 0; /* an architecture without the controls: nothing to check */
    /* from the default state and from a caller's own state with a flush bit set (x86: FTZ alone) */
    const uint64_t user_bit = VGS_FP_FLUSH_BITS & 0x8000u ? 0x8000u : VGS_FP_FLUSH_BITS;
    const uint64_t states[2] = {start & ~(uint64_t)VGS_FP_FLUSH_BITS, (start & ~(uint64_t)VGS_FP_FLUSH_BITS) | user_bit};
    for (int s = 0; s < 2; s++) {
        vgs_fp_set(states[s]);
        const uint64_t saved = vgs_fp_flush_denormals();
        const uint64_t inside = vgs_fp_get();
        K->gemm(1, 1, 1, pa, VGS_GEMM_PACK_ROWS, &one, 1, NULL, NULL, NULL, 0, &c, 1, NULL, -INFINITY, INFINITY, NULL);
        vgs_fp_restore(saved);
        const uint64_t after = vgs_fp_get();
        vgs_fp_set(start);
        CHECK(saved == states[s], "vgs_fp_flush_denormals returned %#llx, the state was %#llx", (unsigned long long)saved,
              (unsigned long long)states[s]);
        CHECK((inside & VGS_FP_FLUSH_BITS) == VGS_FP_FLUSH_BITS, "inside: control word %#llx lacks the flush bits %#x",
              (unsigned long long)inside, VGS_FP_FLUSH_BITS);
        CHECK(c == 0.0f, "%s: 1e-39 * 1 with denormals flushed gave %g, expected 0", K->gemm_name, (double)c);
        CHECK(after == states[s], "vgs_fp_restore left %#llx, expected %#llx", (unsigned long long)after,
              (unsigned long long)states[s]);
    }
    /* and without the pair, the default state keeps the denormal (so the check above can fail) */
    vgs_fp_set(states[0]);
    K->gemm(1, 1, 1, pa, VGS_GEMM_PACK_ROWS, &one, 1, NULL, NULL, NULL, 0, &c, 1, NULL, -INFINITY, INFINITY, NULL);
    vgs_fp_set(start);
    CHECK(c == denormal, "%s: 1e-39 * 1 with IEEE denormals gave %g", K->gemm_name, (double)c);
    return 0;
}

/* ------------------------------------------------------------------------------------------
 *  vgs_preprocess_rgb8 on a valid 1 x 9000000 image (and 9000000 x 1): the resized long side,
 *  256 * 9000000 = 2304000000, does not fit an int.  The result must be right: a 1-wide image
 *  is constant along the resized columns, and row y of the crop samples source rows around
 *  (y + top + 0.5) / 256 - 0.5 with OpenCV's bilinear weights (computed here in double; the
 *  library interpolates in float and rounds to 8 bits, so 1 of difference is allowed).
 *  Pixel (r, c) of the long axis holds (r * 7 + c * 50) mod 256 (0 elsewhere).
 * ------------------------------------------------------------------------------------------ */

static int check_preprocess_huge(vgs_isa isa, char *msg, size_t len)
{
    (void)isa;
    const int L = 9000000;
    const vgs_preprocess pp = {256, 224, 224, 0, 1.0f, {0, 0, 0}, {1, 1, 1}};
    uint8_t *img = (uint8_t *)malloc((size_t)L * 3);
    float *out = (float *)malloc(3 * 224 * 224 * sizeof(float));
    int rc = img && out ? 0 : vgs_check_fail(msg, len, "out of memory");
    for (size_t i = 0; !rc && i < (size_t)L * 3; i++) img[i] = (uint8_t)((i / 3 * 7 + i % 3 * 50) % 256);
    const long long rlong = (long long)(256.0 * L + 0.5), top = (rlong - 224) / 2; /* even: no tie */
    for (int tall = 1; tall >= 0 && !rc; tall--) {
        /* tall: width 1, height L, row stride 3; wide: width L, height 1 */
        const int width = tall ? 1 : L, height = tall ? L : 1;
        const vgs_status st = vgs_preprocess_rgb8(img, width, height, (size_t)width * 3, &pp, out);
        if (st != VGS_OK) {
            rc = vgs_check_fail(msg, len, "%dx%d image: %s: %s", width, height, vgs_status_name(st), vgs_last_error());
            break;
        }
        for (int c = 0; c < 3 && !rc; c++)
            for (int a = 0; a < 224 && !rc; a++) { /* a: along the long axis of the crop */
                const double sv = ((double)(a + top) + 0.5) / 256.0 - 0.5;
                const long long i0 = (long long)floor(sv);
                const double t = sv - (double)i0;
                const double v0 = (double)((i0 * 7 + c * 50) % 256), v1 = (double)(((i0 + 1) * 7 + c * 50) % 256);
                const double want = floor(v0 + t * (v1 - v0) + 0.5);
                for (int b = 0; b < 224 && !rc; b++) { /* across: constant */
                    const float got = out[(size_t)c * 224 * 224 + (size_t)(tall ? a * 224 + b : b * 224 + a)];
                    if (!(fabs(got - want) <= 1.0))
                        rc = vgs_check_fail(msg, len, "%dx%d image, channel %d, crop %s %d (source %.3f), across %d: "
                                            "got %g, expected %g", width, height, c, tall ? "row" : "column", a, sv, b,
                                            (double)got, want);
                }
            }
    }
    free(img);
    free(out);
    return rc;
}

/* vgs_preprocess_rgb8's arguments: each bad one an error naming it, the output untouched. */
static int check_preprocess_args(vgs_isa isa, char *msg, size_t len)
{
    (void)isa;
    static const uint8_t img[4 * 4 * 3] = {0};
    const vgs_preprocess good = {4, 2, 2, 0, 1.0f, {0, 0, 0}, {1, 1, 1}};
    float out[3 * 2 * 2];
    CHECK(vgs_preprocess_rgb8(img, 4, 4, 12, &good, out) == VGS_OK, "good settings: %s", vgs_last_error());
    static const struct {
        const char *what, *says;
    } cases[] = {
        {"NULL image", "NULL image"}, {"NULL settings", "NULL settings"}, {"NULL output", "NULL output"},
        {"width 0", "image 0x4"},     {"stride 11", "11 bytes apart"},    {"bgr 7", "bgr = 7"},
        {"std 0", "channel 1"},       {"std NaN", "channel 2"},           {"mean inf", "channel 0"},
        {"scale NaN", "channel 0"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vgs_preprocess pp = good;
        const uint8_t *im = i == 0 ? NULL : img;
        const vgs_preprocess *p = i == 1 ? NULL : &pp;
        float *o = i == 2 ? NULL : out;
        int width = i == 3 ? 0 : 4;
        size_t stride = i == 4 ? 11 : 12;
        if (i == 5) pp.bgr = 7;
        if (i == 6) pp.std[1] = 0.0f;
        if (i == 7) pp.std[2] = NAN;
        if (i == 8) pp.mean[0] = INFINITY;
        if (i == 9) pp.scale = NAN;
        for (size_t j = 0; j < sizeof out / sizeof out[0]; j++) out[j] = 42.0f;
        const vgs_status st = vgs_preprocess_rgb8(im, width, 4, stride, p, o);
        CHECK(st == VGS_ERR_INVALID_ARGUMENT, "%s: %s, expected VGS_ERR_INVALID_ARGUMENT", cases[i].what,
              vgs_status_name(st));
        CHECK(strstr(vgs_last_error(), cases[i].says), "%s: message '%s' does not say '%s'", cases[i].what,
              vgs_last_error(), cases[i].says);
        for (size_t j = 0; j < sizeof out / sizeof out[0]; j++) CHECK(out[j] == 42.0f, "%s: output written", cases[i].what);
    }
    return 0;
}

static int check_shuffle_map_args(vgs_isa isa, char *msg, size_t len)
{
    (void)isa;
    int32_t src[12];
    CHECK(vgs_channel_shuffle_map(VGS_SHUFFLE_PAPER, 0, 1, src) == VGS_ERR_INVALID_ARGUMENT, "channels 0 accepted");
    CHECK(strstr(vgs_last_error(), "0 channels"), "channels 0: message '%s'", vgs_last_error());
    CHECK(vgs_channel_shuffle_map(VGS_SHUFFLE_MEGVII, 0, 4, src) == VGS_ERR_INVALID_ARGUMENT, "channels 0, groups 4 accepted");
    CHECK(vgs_channel_shuffle_map(VGS_SHUFFLE_PAPER, (size_t)INT32_MAX + 1, 1, src) == VGS_ERR_INVALID_ARGUMENT,
          "2^31 channels accepted (int32_t indices)");
    CHECK(vgs_channel_shuffle_map(VGS_SHUFFLE_PAPER, 12, 0, src) == VGS_ERR_INVALID_ARGUMENT, "groups 0 accepted");
    CHECK(vgs_channel_shuffle_map(VGS_SHUFFLE_PAPER, 12, 4, src) == VGS_OK && src[1] == 3, "12 / 4 paper: %s",
          vgs_last_error());
    return 0;
}

/* ------------------------------------------------------------------------------------------
 *  vgs_topk: the documented order against qsort with the same order written independently
 *  (value descending, numbers before NaNs, ties and NaNs by index), on arrays full of ties,
 *  NaNs, infinities and signed zeros, every k from 0 to n + 2; then sizes that took hours
 *  with the old O(k^2 n) selection.
 * ------------------------------------------------------------------------------------------ */

static const float *topk_x;

static int topk_cmp(const void *pa, const void *pb)
{
    const int a = *(const int *)pa, b = *(const int *)pb;
    const float u = topk_x[a], v = topk_x[b];
    const int nu = isnan(u), nv = isnan(v);
    if (nu != nv) return nu - nv;
    if (!nu && u != v) return u > v ? -1 : 1;
    return a - b;
}

static int check_topk_order(vgs_isa isa, char *msg, size_t len)
{
    (void)isa;
    enum { MAXN = 40 };
    static const float pool[] = {0.0f, -0.0f, 1.0f, 1.0f, -1.0f, 2.5f, NAN, INFINITY, -INFINITY, 3.0f, NAN};
    float x[MAXN];
    int got[MAXN + 2], want[MAXN];
    vgs_rng r = vgs_rng_seed(0x70c);
    for (size_t n = 0; n <= MAXN; n++)
        for (int rep = 0; rep < 8; rep++) {
            for (size_t i = 0; i < n; i++)
                x[i] = rep == 0 ? vgs_rng_float(&r, -1, 1) : pool[vgs_rng_u64(&r) % (sizeof pool / sizeof pool[0])];
            for (size_t i = 0; i < n; i++) want[i] = (int)i;
            topk_x = x;
            qsort(want, n, sizeof *want, topk_cmp);
            for (size_t k = 0; k <= n + 2; k++) {
                for (size_t j = 0; j < n + 2; j++) got[j] = -7;
                CHECK(vgs_topk(n ? x : NULL, n, k, got) == VGS_OK || (n == 0 && k == 0), "vgs_topk(n %zu, k %zu): %s", n,
                      k, vgs_last_error());
                for (size_t j = 0; j < k; j++)
                    CHECK(got[j] == (j < n ? want[j] : -1), "vgs_topk(n %zu, k %zu): indices[%zu] = %d (x = %g), "
                          "expected %d (x = %g)", n, k, j, got[j], got[j] >= 0 ? (double)x[got[j]] : 0.0,
                          j < n ? want[j] : -1, j < n ? (double)x[want[j]] : 0.0);
                for (size_t j = k; j < n + 2; j++) CHECK(got[j] == -7, "vgs_topk(n %zu, k %zu) wrote indices[%zu]", n, k, j);
            }
        }
    return 0;
}

static int check_topk_large(vgs_isa isa, char *msg, size_t len)
{
    (void)isa;
    const char *q = getenv("VGS_CHECK_QUICK");
    const size_t n = q && *q && strcmp(q, "0") ? 100000 : 1000000; /* qemu: a tenth */
    float *x = (float *)malloc(n * sizeof *x);
    int *idx = (int *)malloc(n * sizeof *idx);
    int rc = x && idx ? 0 : vgs_check_fail(msg, len, "out of memory");
    for (size_t i = 0; !rc && i < n; i++) x[i] = (float)((i * 7919u) % 1000u); /* 1000 values, n / 1000 ties each */
    /* k = n: a full sort; then k = 1000000 over 1000 logits (the CLI's classify --top 1000000) */
    if (!rc && vgs_topk(x, n, n, idx) != VGS_OK) rc = vgs_check_fail(msg, len, "vgs_topk: %s", vgs_last_error());
    for (size_t j = 1; !rc && j < n; j++)
        if (!(x[idx[j - 1]] > x[idx[j]] || (x[idx[j - 1]] == x[idx[j]] && idx[j - 1] < idx[j])))
            rc = vgs_check_fail(msg, len, "n = k = %zu: indices %zu, %zu out of order: %d (%g), %d (%g)", n, j - 1, j,
                                idx[j - 1], (double)x[idx[j - 1]], idx[j], (double)x[idx[j]]);
    int best = 0;
    for (int i = 1; !rc && i < 1000; i++) best = x[i] > x[best] ? i : best;
    if (!rc && (vgs_topk(x, 1000, n, idx) != VGS_OK || idx[0] != best || idx[999] < 0 || idx[1000] != -1 ||
                idx[n - 1] != -1))
        rc = vgs_check_fail(msg, len, "n = 1000, k = %zu: indices[0] = %d (expected %d), [999] = %d, [1000] = %d, "
                            "[k-1] = %d (expected -1)", n, idx[0], best, idx[999], idx[1000], idx[n - 1]);
    free(x);
    free(idx);
    return rc;
}

const vgs_check_case vgs_api_checks[] = {
    {"api", "preprocess_huge_image", check_preprocess_huge, 1},
    {"api", "preprocess_args", check_preprocess_args, 1},
    {"api", "shuffle_map_args", check_shuffle_map_args, 1},
    {"api", "topk_order", check_topk_order, 1},
    {"api", "topk_large", check_topk_large, 1},
    {"api", "x86_tiers", check_x86_tiers, 1},
    {"api", "fp_flush_denormals", check_fp_flush, 0},
    {"api", "fuzz_inputs", check_fuzz_inputs, 1},
    {"api", "loader_metadata_once", check_loader_metadata_once, 1},
    {"api", "loader_no_gaps", check_loader_gaps, 1},
};
const size_t vgs_api_checks_count = sizeof vgs_api_checks / sizeof vgs_api_checks[0];
