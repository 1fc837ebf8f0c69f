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
 *     set inside, restored after).
 * Each runs once (isa-independent) unless it says otherwise. */
#include "checks.h"

#include <float.h>
#include <limits.h>

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

const vgs_check_case vgs_api_checks[] = {
    {"api", "loader_metadata_once", check_loader_metadata_once, 1},
    {"api", "loader_no_gaps", check_loader_gaps, 1},
};
const size_t vgs_api_checks_count = sizeof vgs_api_checks / sizeof vgs_api_checks[0];
