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
 *  tests/meson.build) through the fuzz driver: valid_* must load, valid_sv1_* build a network,
 *  broken_* be rejected (by the loader, or by every builder), and nothing may crash.
 * ------------------------------------------------------------------------------------------ */

static int replay_file(const char *dir, const char *name, size_t *n, char *msg, size_t len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
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
    if (strncmp(name, "valid_sv1_", 10) == 0) CHECK(built > 0, "%s: no network built (%s)", path, vgs_last_error());
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

const vgs_check_case vgs_api_checks[] = {
    {"api", "fuzz_inputs", check_fuzz_inputs, 1},
    {"api", "loader_metadata_once", check_loader_metadata_once, 1},
    {"api", "loader_no_gaps", check_loader_gaps, 1},
};
const size_t vgs_api_checks_count = sizeof vgs_api_checks / sizeof vgs_api_checks[0];
