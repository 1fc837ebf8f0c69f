/* tests/check_weights.c — the safetensors loader and the error helpers.
 *
 * Each check is a plain function `check_xxx(char *msg, size_t msg_len)` returning 0 on pass
 * and 1 on failure (with the reason in msg); the table at the end hands them to the front
 * ends (tests/test_main.c with Criterion, tests/tap_runner.c under qemu-user).  They do not
 * depend on the ISA, so the front ends run them once. */
#include "checks.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Fails the checker with a formatted reason. */
#define CHECK(cond, ...)                                                                        \
    do {                                                                                        \
        if (!(cond)) {                                                                          \
            snprintf(msg, msg_len, __VA_ARGS__);                                                \
            return 1;                                                                           \
        }                                                                                       \
    } while (0)

/* Runs a sub-check and propagates its failure. */
#define RUN(call)                                                                               \
    do {                                                                                        \
        if ((call) != 0) return 1;                                                              \
    } while (0)

/* ---- building files ---------------------------------------------------------------------- */

/* A safetensors image: 8-byte little-endian `header_len`, the header text, then the data.
 * header_len is normally strlen(header); pass another value to lie about it.  Free it. */
static unsigned char *make_raw(const char *header, uint64_t header_len, const void *data,
                               size_t data_len, size_t *size)
{
    size_t text_len = strlen(header);
    unsigned char *b = malloc(8 + text_len + data_len);
    if (!b) abort();
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)(header_len >> (8 * i));
    memcpy(b + 8, header, text_len);
    if (data_len) memcpy(b + 8 + text_len, data, data_len);
    *size = 8 + text_len + data_len;
    return b;
}

/* An image of `header` with `data_len` bytes of data 0, 1, 2, ... */
static unsigned char *make_file(const char *header, size_t data_len, size_t *size)
{
    unsigned char data[512];
    for (size_t i = 0; i < sizeof data; i++) data[i] = (unsigned char)i;
    if (data_len > sizeof data) abort();
    return make_raw(header, strlen(header), data, data_len, size);
}

/* The valid file: F32 4-d and 0-d, I64 1-d, an empty F32, a U8 tensor with an escaped name
 * (last in the header, at [52, 56) in the data: file order is not data order), and metadata
 * with every kind of JSON value.  The tensors cover the data section without a gap. */
static const char valid_header[] =
    "{ \"__metadata__\": {\"format\": \"pt\", \"nested\": {\"list\": [1, -2.5e+3, 0.125, true, "
    "false, null, \"x\\u00e9\\ud83d\\ude00\\n\", [], {}]}},\n"
    "  \"conv.weight\": {\"dtype\": \"F32\", \"shape\": [2, 3, 1, 2], \"data_offsets\": [0, 48]},\n"
    "  \"scalar\": {\"shape\": [], \"dtype\": \"F32\", \"data_offsets\": [48, 52]},\n"
    "  \"idx\": {\"dtype\": \"I64\", \"shape\": [3], \"data_offsets\": [56, 80], \"extra\": [1]},\n"
    "  \"empty\": {\"dtype\": \"F32\", \"shape\": [0, 4], \"data_offsets\": [80, 80]},\n"
    "  \"caf\\u00e9 \\\"q\\\"\": {\"dtype\": \"U8\", \"shape\": [4], \"data_offsets\": [52, 56]}\n"
    "}   ";
#define VALID_NAME5 "caf\xc3\xa9 \"q\""
#define VALID_DATA_LEN 80

static void valid_data(unsigned char data[VALID_DATA_LEN])
{
    float conv[12], scalar = 3.5f;
    int64_t idx[3] = {-1, 0, (int64_t)1 << 40};
    for (int i = 0; i < 12; i++) conv[i] = 0.5f * (float)i - 1.0f;
    memset(data, 0xEE, VALID_DATA_LEN);
    memcpy(data, conv, sizeof conv);
    memcpy(data + 48, &scalar, 4);
    memcpy(data + 56, idx, sizeof idx);
    data[52] = 7;
    data[53] = 9;
}

static unsigned char *make_valid(size_t *size)
{
    unsigned char data[VALID_DATA_LEN];
    valid_data(data);
    return make_raw(valid_header, strlen(valid_header), data, sizeof data, size);
}

/* ---- assertions -------------------------------------------------------------------------- */

/* Loading `bytes` fails with `want`, leaves *out NULL, and the message contains w1 and w2
 * (either may be NULL). */
static int expect_failure(char *msg, size_t msg_len, const char *what, const void *bytes,
                          size_t size, vgs_status want, const char *w1, const char *w2)
{
    vgs_weights *w = (vgs_weights *)&w; /* any non-NULL value: must be reset */
    vgs_status st = vgs_weights_from_memory(bytes, size, "t.safetensors", &w);
    const char *e = vgs_last_error();
    if (st == VGS_OK) vgs_weights_close(w);
    CHECK(st == want, "%s: status %s, expected %s (message: %s)", what, vgs_status_name(st),
          vgs_status_name(want), e);
    CHECK(w == NULL, "%s: *out not NULL after an error", what);
    CHECK(strstr(e, "t.safetensors") != NULL, "%s: message lacks the label: %s", what, e);
    CHECK(!w1 || strstr(e, w1), "%s: message lacks \"%s\": %s", what, w1, e);
    CHECK(!w2 || strstr(e, w2), "%s: message lacks \"%s\": %s", what, w2, e);
    return 0;
}

/* expect_failure on a file made of `header` and 256 bytes of data. */
static int expect_header_failure(char *msg, size_t msg_len, const char *header, vgs_status want,
                                 const char *w1, const char *w2)
{
    size_t size;
    unsigned char *b = make_file(header, 256, &size);
    int r = expect_failure(msg, msg_len, header, b, size, want, w1, w2);
    free(b);
    return r;
}

static int check_view(char *msg, size_t msg_len, const vgs_tensor_view *v, const char *name,
                      vgs_dtype dtype, int ndim, const int64_t *shape, const void *data,
                      size_t nbytes)
{
    CHECK(strcmp(v->name, name) == 0, "name '%s', expected '%s'", v->name, name);
    CHECK(v->dtype == dtype, "%s: dtype %s, expected %s", name, vgs_dtype_name(v->dtype),
          vgs_dtype_name(dtype));
    CHECK(v->ndim == ndim, "%s: ndim %d, expected %d", name, v->ndim, ndim);
    for (int i = 0; i < ndim; i++)
        CHECK(v->shape[i] == shape[i], "%s: shape[%d] = %lld, expected %lld", name, i,
              (long long)v->shape[i], (long long)shape[i]);
    CHECK(v->nbytes == nbytes, "%s: nbytes %zu, expected %zu", name, v->nbytes, nbytes);
    CHECK(nbytes == 0 || memcmp(v->data, data, nbytes) == 0, "%s: wrong data bytes", name);
    if (dtype == VGS_DTYPE_F32 || dtype == VGS_DTYPE_I64)
        CHECK((uintptr_t)v->data % 4 == 0, "%s: data %p not 4-byte aligned", name, v->data);
    return 0;
}

/* Every tensor of the valid file, by index and by name. */
static int check_valid_contents(char *msg, size_t msg_len, const vgs_weights *w)
{
    static const int64_t s_conv[] = {2, 3, 1, 2}, s_idx[] = {3}, s_empty[] = {0, 4},
                         s_u8[] = {4};
    static const struct {
        const char *name;
        vgs_dtype dtype;
        int ndim;
        const int64_t *shape;
        size_t offset, nbytes;
    } want[] = {
        {"conv.weight", VGS_DTYPE_F32, 4, s_conv, 0, 48},
        {"scalar", VGS_DTYPE_F32, 0, NULL, 48, 4},
        {"idx", VGS_DTYPE_I64, 1, s_idx, 56, 24},
        {"empty", VGS_DTYPE_F32, 2, s_empty, 80, 0},
        {VALID_NAME5, VGS_DTYPE_U8, 1, s_u8, 52, 4},
    };
    unsigned char data[VALID_DATA_LEN];
    vgs_tensor_view v, f;
    valid_data(data);
    CHECK(vgs_weights_count(w) == 5, "count %zu, expected 5", vgs_weights_count(w));
    for (size_t i = 0; i < 5; i++) {
        CHECK(vgs_weights_at(w, i, &v) == VGS_OK, "at(%zu): %s", i, vgs_last_error());
        RUN(check_view(msg, msg_len, &v, want[i].name, want[i].dtype, want[i].ndim,
                       want[i].shape, data + want[i].offset, want[i].nbytes));
        CHECK(vgs_weights_find(w, want[i].name, &f) == VGS_OK, "find(%s): %s", want[i].name,
              vgs_last_error());
        CHECK(memcmp(&f, &v, sizeof v) == 0, "find(%s) differs from at(%zu)", want[i].name, i);
    }
    CHECK(vgs_weights_at(w, 0, &v) == VGS_OK && (uintptr_t)v.data % 64 == 0,
          "data section not 64-byte aligned (%p)", v.data);
    CHECK(*(const float *)v.data == -1.0f && ((const float *)v.data)[11] == 4.5f,
          "conv.weight values wrong");
    CHECK(vgs_weights_find(w, "idx", &v) == VGS_OK &&
              ((const int64_t *)v.data)[2] == (int64_t)1 << 40,
          "idx values wrong");
    return 0;
}

/* ---- checkers: valid input --------------------------------------------------------------- */

static int check_valid_file(char *msg, size_t msg_len)
{
    size_t size;
    unsigned char *b = make_valid(&size);
    vgs_weights *w = NULL;
    vgs_status st = vgs_weights_from_memory(b, size, "valid.safetensors", &w);
    int r;
    free(b); /* the bytes are copied */
    CHECK(st == VGS_OK, "valid file rejected: %s", vgs_last_error());
    r = check_valid_contents(msg, msg_len, w);
    vgs_weights_close(w);
    return r;
}

/* The same file through vgs_weights_open. */
static int check_open_file(char *msg, size_t msg_len)
{
    char path[] = "/tmp/vgs_test_weights_XXXXXX";
    size_t size;
    unsigned char *b = make_valid(&size);
    int fd = mkstemp(path), r;
    vgs_weights *w = NULL;
    vgs_status st;
    CHECK(fd >= 0, "mkstemp failed");
    CHECK(write(fd, b, size) == (ssize_t)size, "write failed");
    close(fd);
    free(b);
    st = vgs_weights_open(path, &w);
    unlink(path);
    CHECK(st == VGS_OK, "vgs_weights_open: %s", vgs_last_error());
    r = check_valid_contents(msg, msg_len, w);
    vgs_weights_close(w);
    return r;
}

/* Weights through a pipe (/dev/fd/N, as a user's /dev/stdin): vgs_weights_open cannot seek
 * there and reads the stream to its end.  Each image is written whole before the read (the
 * pipe holds 64 KiB), the larger one past the reader's first 4 KiB buffer; a truncated image
 * and an empty stream are rejected with the loader's usual messages. */
static int pipe_open(const unsigned char *b, size_t size, vgs_weights **w, vgs_status *st, char *msg, size_t msg_len)
{
    int fds[2];
    char path[64];
    CHECK(pipe(fds) == 0, "pipe failed");
    const ssize_t wrote = write(fds[1], b, size);
    close(fds[1]);
    if (wrote != (ssize_t)size) close(fds[0]);
    CHECK(wrote == (ssize_t)size, "write to the pipe failed");
    snprintf(path, sizeof path, "/dev/fd/%d", fds[0]);
    *st = vgs_weights_open(path, w);
    close(fds[0]);
    return 0;
}

static int check_open_pipe(char *msg, size_t msg_len)
{
    size_t size;
    unsigned char *b = make_valid(&size);
    vgs_weights *w = NULL;
    vgs_status st;
    int r = pipe_open(b, size, &w, &st, msg, msg_len);
    free(b);
    if (r) return r;
    CHECK(st == VGS_OK, "vgs_weights_open of a pipe: %s", vgs_last_error());
    r = check_valid_contents(msg, msg_len, w);
    vgs_weights_close(w);
    if (r) return r;

    enum { BIG = 5000 }; /* 20000 bytes of data */
    static float data[BIG];
    for (size_t i = 0; i < BIG; i++) data[i] = (float)i - 0.5f;
    const char *header = "{\"big\":{\"dtype\":\"F32\",\"shape\":[50,100],\"data_offsets\":[0,20000]}}";
    b = make_raw(header, strlen(header), data, sizeof data, &size);
    r = pipe_open(b, size, &w, &st, msg, msg_len);
    if (r == 0 && st == VGS_OK) {
        vgs_tensor_view v;
        const int found = vgs_weights_find(w, "big", &v) == VGS_OK;
        r = !found || v.nbytes != sizeof data || v.shape[1] != 100 || memcmp(v.data, data, sizeof data) != 0;
        vgs_weights_close(w);
        if (r) snprintf(msg, msg_len, "the piped %zu-byte image: its tensor's view or data are wrong", size);
    } else if (r == 0) {
        snprintf(msg, msg_len, "the piped %zu-byte image: %s", size, vgs_last_error());
        r = 1;
    }
    if (r == 0) r = pipe_open(b, size - 1, &w, &st, msg, msg_len); /* one byte short */
    free(b);
    if (r) return r;
    CHECK(st == VGS_ERR_FORMAT && !w && strstr(vgs_last_error(), "/dev/fd/"),
          "a truncated stream: status %s, message '%s'", vgs_status_name(st), vgs_last_error());
    RUN(pipe_open((const unsigned char *)"", 0, &w, &st, msg, msg_len));
    CHECK(st == VGS_ERR_FORMAT && !w && strstr(vgs_last_error(), "0 bytes"),
          "an empty stream: status %s, message '%s'", vgs_status_name(st), vgs_last_error());
    return 0;
}

/* Empty header objects are valid files with no tensors. */
static int check_empty_files(char *msg, size_t msg_len)
{
    static const char *const headers[] = {
        "{}",
        " { \"__metadata__\" : { } } \n",
        "{\"e\":{\"dtype\":\"BOOL\",\"shape\":[0],\"data_offsets\":[0,0]}}", /* 1 empty tensor */
    };
    for (size_t i = 0; i < 3; i++) {
        size_t size;
        unsigned char *b = make_file(headers[i], 0, &size);
        vgs_weights *w = NULL;
        vgs_status st = vgs_weights_from_memory(b, size, NULL, &w);
        free(b);
        CHECK(st == VGS_OK, "%s rejected: %s", headers[i], vgs_last_error());
        CHECK(vgs_weights_count(w) == (i == 2), "%s: count %zu", headers[i], vgs_weights_count(w));
        vgs_weights_close(w);
    }
    return 0;
}

/* ---- checkers: malformed files ----------------------------------------------------------- */

static int check_too_short(char *msg, size_t msg_len)
{
    static const unsigned char five[5] = {1, 0, 0, 0, 0};
    RUN(expect_failure(msg, msg_len, "5 bytes", five, 5, VGS_ERR_FORMAT, "too short", NULL));
    RUN(expect_failure(msg, msg_len, "0 bytes", five, 0, VGS_ERR_FORMAT, "too short", NULL));
    return 0;
}

static int check_truncated_in_header(char *msg, size_t msg_len)
{
    size_t size;
    unsigned char *b = make_valid(&size);
    int r = expect_failure(msg, msg_len, "cut in the header", b, 8 + strlen(valid_header) / 2,
                           VGS_ERR_FORMAT, "header length", "past the end");
    free(b);
    return r;
}

/* Cut after 60 data bytes: conv.weight and scalar fit, idx ([56, 80]) does not. */
static int check_truncated_in_data(char *msg, size_t msg_len)
{
    size_t size;
    unsigned char *b = make_valid(&size);
    int r = expect_failure(msg, msg_len, "cut in the data", b, size - VALID_DATA_LEN + 60,
                           VGS_ERR_FORMAT, "out of range", "'idx'");
    free(b);
    return r;
}

static int check_header_length_past_end(char *msg, size_t msg_len)
{
    static const uint64_t lengths[] = {1000, 100000000, 100000001, UINT64_MAX};
    static const char *const words[] = {"past the end", "past the end", "limit", "limit"};
    for (size_t i = 0; i < 4; i++) {
        size_t size;
        char what[64];
        unsigned char *b = make_raw("{}", lengths[i], NULL, 0, &size);
        int r;
        snprintf(what, sizeof what, "header length %llu", (unsigned long long)lengths[i]);
        r = expect_failure(msg, msg_len, what, b, size, VGS_ERR_FORMAT, "header length",
                           words[i]);
        free(b);
        RUN(r);
    }
    return 0;
}

/* A PyTorch checkpoint given as weights (torch.save's zip format, or the legacy pickle with
 * its magic number) is named as one, with the converter to use; from memory and from a file
 * (the file path reads only the 8-byte prefix before deciding). */
static int check_torch_checkpoint(char *msg, size_t msg_len)
{
    static const unsigned char starts[][16] = {
        {'P', 'K', 3, 4, 0, 0, 8, 8, 0, 0},             /* torch.save, zip (torch >= 1.6) */
        {'P', 'K', 3, 4, 0x14, 0, 0, 0, 8, 0},          /* a zip of another writer        */
        {'P', 'K', 3, 4, 0, 0, 0, 0},                   /* length 67324752: past the end  */
        {0x80, 2, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e},
    };
    unsigned char b[256];
    for (size_t i = 0; i < sizeof starts / sizeof starts[0]; i++) {
        char what[64], path[] = "/tmp/vgs_test_weights_XXXXXX";
        vgs_weights *w = NULL;
        vgs_status st;
        int fd;
        memset(b, 0x2e, sizeof b);
        memcpy(b, starts[i], sizeof starts[i]);
        snprintf(what, sizeof what, "PyTorch checkpoint %zu", i);
        RUN(expect_failure(msg, msg_len, what, b, sizeof b, VGS_ERR_FORMAT, "PyTorch checkpoint",
                           "convert it with tools/torch2safetensors.py IN OUT"));
        fd = mkstemp(path);
        CHECK(fd >= 0, "mkstemp failed");
        CHECK(write(fd, b, sizeof b) == (ssize_t)sizeof b, "write failed");
        close(fd);
        st = vgs_weights_open(path, &w);
        unlink(path);
        vgs_weights_close(w);
        CHECK(st == VGS_ERR_FORMAT && strstr(vgs_last_error(), "PyTorch checkpoint") &&
                  strstr(vgs_last_error(), "tools/torch2safetensors.py"),
              "%s, opened: status %s, message: %s", what, vgs_status_name(st), vgs_last_error());
    }
    /* a pickle of another kind is not called a checkpoint (the length is still wrong) */
    memset(b, 0, sizeof b);
    b[0] = 0x80, b[1] = 2, b[2] = 0x7d;
    RUN(expect_failure(msg, msg_len, "other pickle", b, sizeof b, VGS_ERR_FORMAT, "header length",
                       NULL));
    CHECK(!strstr(vgs_last_error(), "PyTorch"), "other pickle called a checkpoint: %s",
          vgs_last_error());
    return 0;
}

static int check_invalid_json(char *msg, size_t msg_len)
{
#define T(x) "{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}" x
    static const char *const bad[] = {
        "",                                     /* empty header                */
        "[]",                                   /* not an object               */
        T(""),                                  /* missing '}'                 */
        T(",}"),                                /* trailing comma              */
        T("} x"),                               /* trailing garbage            */
        T("}}"),                                /* one '}' too many            */
        "{'t':{}}",                             /* single quotes               */
        "{\"t\" {}}",                           /* missing ':'                 */
        "{\"t\\q\":{}}",                        /* bad escape                  */
        "{\"t\\u12\":{}}",                      /* short \u escape             */
        "{\"t\\ud800\":{}}",                    /* lone high surrogate         */
        "{\"t\\udc00x\":{}}",                   /* lone low surrogate          */
        "{\"t\tx\":{}}",                        /* raw control character       */
        "{\"t\xff\":{}}",                       /* invalid UTF-8               */
        "{\"t\xc0\xaf\":{}}",                   /* overlong UTF-8              */
        "{\"t\xed\xa0\x80\":{}}",               /* UTF-8 surrogate             */
        "{\"t\":{\"dtype\":\"F32\",\"shape\":[01],\"data_offsets\":[0,4]}}", /* leading 0 */
        "{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4.0]}}", /* fraction */
        "{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4e0]}}", /* exponent */
        "{\"t\":{\"dtype\":\"F32\",\"shape\":[1,],\"data_offsets\":[0,4]}}",  /* [1,]   */
        "{\"t\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,4]}}",
        "{\"__metadata__\":{\"a\":tru}}",       /* bad literal                 */
        "{\"__metadata__\":{\"a\":-}}",         /* bad number                  */
        "{\"__metadata__\":{\"a\":1.}}",        /* bad number                  */
        "{\"__metadata__\":{\"a\":\"x}}",       /* unterminated string         */
        "{\"__metadata__\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
        "[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
        "]]]]]]]]]}",                            /* nested too deeply           */
    };
#undef T
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        RUN(expect_header_failure(msg, msg_len, bad[i], VGS_ERR_FORMAT, "invalid JSON",
                                  "at byte"));
    return 0;
}

static int check_unknown_dtype(char *msg, size_t msg_len)
{
    RUN(expect_header_failure(msg, msg_len,
                              "{\"w\":{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,1]}}",
                              VGS_ERR_FORMAT, "unknown dtype", "Q4"));
    RUN(expect_header_failure(msg, msg_len,
                              "{\"w\":{\"dtype\":\"f32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
                              VGS_ERR_FORMAT, "dtype", "'w'"));
    RUN(expect_header_failure(msg, msg_len,
                              "{\"w\":{\"dtype\":32,\"shape\":[1],\"data_offsets\":[0,4]}}",
                              VGS_ERR_FORMAT, "dtype", "'w'"));
    return 0;
}

static int check_wrong_shape(char *msg, size_t msg_len)
{
    RUN(expect_header_failure(msg, msg_len,
                              "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}",
                              VGS_ERR_FORMAT, "shape [2,3]", "24 bytes but data_offsets [0, 20] "
                                                             "hold 20 bytes"));
    /* right element count, wrong dtype size */
    RUN(expect_header_failure(msg, msg_len,
                              "{\"w\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,8]}}",
                              VGS_ERR_FORMAT, "shape", "16 bytes"));
    /* a 0-d tensor is one element */
    RUN(expect_header_failure(msg, msg_len,
                              "{\"w\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,0]}}",
                              VGS_ERR_FORMAT, "shape []", "4 bytes"));
    return 0;
}

static int check_out_of_range(char *msg, size_t msg_len)
{
    RUN(expect_header_failure(
        msg, msg_len, "{\"w\":{\"dtype\":\"U8\",\"shape\":[100],\"data_offsets\":[200,300]}}",
        VGS_ERR_FORMAT, "out of range", "256 bytes"));
    RUN(expect_header_failure(
        msg, msg_len, "{\"w\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[257,257]}}",
        VGS_ERR_FORMAT, "out of range", "'w'"));
    RUN(expect_header_failure(
        msg, msg_len, "{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[-1,0]}}",
        VGS_ERR_FORMAT, "out of range", "negative"));
    return 0;
}

static int check_begin_after_end(char *msg, size_t msg_len)
{
    return expect_header_failure(
        msg, msg_len, "{\"w\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[8,4]}}",
        VGS_ERR_FORMAT, "out of range", "begin > end");
}

static int check_overlap(char *msg, size_t msg_len)
{
    static const char *const bad[] = {
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
        " \"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}",
        /* listed in the other order */
        "{\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]},"
        " \"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}",
        /* b inside a, with c in between sorting-wise: must still be found */
        "{\"a\":{\"dtype\":\"U8\",\"shape\":[100],\"data_offsets\":[0,100]},"
        " \"c\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[50,50]},"
        " \"b\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[60,61]}}",
    };
    for (size_t i = 0; i < 3; i++) {
        RUN(expect_header_failure(msg, msg_len, bad[i], VGS_ERR_FORMAT, "overlap",
                                  "tensor 'a'"));
        RUN(expect_header_failure(msg, msg_len, bad[i], VGS_ERR_FORMAT, "overlap",
                                  "tensor 'b'"));
    }
    return 0;
}

/* Touching ranges and empty tensors inside another's range do not overlap. */
static int check_adjacent_ok(char *msg, size_t msg_len)
{
    const char *h = "{\"a\":{\"dtype\":\"U8\",\"shape\":[10],\"data_offsets\":[0,10]},"
                    " \"z\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[5,5]},"
                    " \"b\":{\"dtype\":\"U8\",\"shape\":[10],\"data_offsets\":[10,20]}}";
    size_t size;
    unsigned char *b = make_file(h, 20, &size);
    vgs_weights *w = NULL;
    vgs_status st = vgs_weights_from_memory(b, size, NULL, &w);
    free(b);
    CHECK(st == VGS_OK, "adjacent ranges rejected: %s", vgs_last_error());
    vgs_weights_close(w);
    return 0;
}

static int check_duplicate(char *msg, size_t msg_len)
{
    return expect_header_failure(
        msg, msg_len,
        "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
        " \"b\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]},"
        " \"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[2,3]}}",
        VGS_ERR_FORMAT, "duplicate", "'a'");
}

static int check_too_many_dims(char *msg, size_t msg_len)
{
    RUN(expect_header_failure(
        msg, msg_len,
        "{\"w\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}",
        VGS_ERR_FORMAT, "more than 8 dimensions", "'w'"));
    /* exactly VGS_MAX_DIMS is fine */
    {
        const char *h =
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,2],\"data_offsets\":[0,8]}}";
        size_t size;
        unsigned char *b = make_file(h, 8, &size);
        vgs_weights *w = NULL;
        vgs_tensor_view v;
        vgs_status st = vgs_weights_from_memory(b, size, NULL, &w);
        free(b);
        CHECK(st == VGS_OK, "8 dims rejected: %s", vgs_last_error());
        CHECK(vgs_weights_at(w, 0, &v) == VGS_OK && v.ndim == 8 && v.shape[7] == 2,
              "8-d tensor read back wrong");
        vgs_weights_close(w);
    }
    return 0;
}

static int check_missing_field(char *msg, size_t msg_len)
{
    RUN(expect_header_failure(msg, msg_len, "{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}",
                              VGS_ERR_FORMAT, "missing", "data_offsets"));
    RUN(expect_header_failure(msg, msg_len, "{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}",
                              VGS_ERR_FORMAT, "missing", "dtype"));
    RUN(expect_header_failure(msg, msg_len, "{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}",
                              VGS_ERR_FORMAT, "missing", "shape"));
    RUN(expect_header_failure(msg, msg_len, "{\"w\":[]}", VGS_ERR_FORMAT, "not an object",
                              "'w'"));
    return 0;
}

static int check_bad_dims(char *msg, size_t msg_len)
{
    RUN(expect_header_failure(msg, msg_len,
                              "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}",
                              VGS_ERR_FORMAT, "negative dimension", "'w'"));
    RUN(expect_header_failure(
        msg, msg_len,
        "{\"w\":{\"dtype\":\"F32\",\"shape\":[0,1125899906842624],\"data_offsets\":[0,0]}}",
        VGS_ERR_FORMAT, "absurd dimension", "'w'"));
    /* 2^47 * 2^47 elements overflow 64 bits; 2^31 * 2^31 * 4 bytes = 2^64 too */
    RUN(expect_header_failure(
        msg, msg_len,
        "{\"w\":{\"dtype\":\"F32\",\"shape\":[140737488355328,140737488355328],"
        "\"data_offsets\":[0,4]}}",
        VGS_ERR_FORMAT, "shape", "overflows"));
    RUN(expect_header_failure(
        msg, msg_len,
        "{\"w\":{\"dtype\":\"F32\",\"shape\":[2147483648,2147483648],\"data_offsets\":[0,4]}}",
        VGS_ERR_FORMAT, "shape", "overflows"));
    return 0;
}

static int check_nul_in_name(char *msg, size_t msg_len)
{
    return expect_header_failure(
        msg, msg_len, "{\"a\\u0000b\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}",
        VGS_ERR_FORMAT, "\\u0000", NULL);
}

/* A 5000-byte name must not push the distinctive words out of the message. */
static int check_long_name(char *msg, size_t msg_len)
{
    size_t n = 5000, len;
    char *h = malloc(n + 200);
    int r;
    if (!h) return 1;
    len = (size_t)snprintf(h, 200, "{\"");
    memset(h + len, 'x', n);
    snprintf(h + len + n, 200, "\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,4]}}");
    r = expect_header_failure(msg, msg_len, h, VGS_ERR_FORMAT, "xxx...", "hold 4 bytes");
    free(h);
    return r;
}

/* ---- checkers: API errors ---------------------------------------------------------------- */

/* The valid file of make_valid, loaded from memory with the default label. */
static vgs_status open_valid(vgs_weights **w)
{
    size_t size;
    unsigned char *b = make_valid(&size);
    vgs_status st = vgs_weights_from_memory(b, size, NULL, w);
    free(b);
    return st;
}

static int check_open_nonexistent(char *msg, size_t msg_len)
{
    vgs_weights *w = (vgs_weights *)&w;
    vgs_status st = vgs_weights_open("/nonexistent/dir/model.safetensors", &w);
    CHECK(st == VGS_ERR_IO, "status %s, expected VGS_ERR_IO", vgs_status_name(st));
    CHECK(w == NULL, "*out not NULL after an error");
    CHECK(strstr(vgs_last_error(), "/nonexistent/dir/model.safetensors"),
          "message lacks the path: %s", vgs_last_error());
    return 0;
}

static int check_find_missing(char *msg, size_t msg_len)
{
    vgs_weights *w = NULL;
    vgs_tensor_view v;
    vgs_status st = open_valid(&w);
    CHECK(st == VGS_OK, "valid file rejected: %s", vgs_last_error());
    st = vgs_weights_find(w, "features.0.weight", &v);
    vgs_weights_close(w);
    CHECK(st == VGS_ERR_MISSING_TENSOR, "status %s, expected VGS_ERR_MISSING_TENSOR",
          vgs_status_name(st));
    CHECK(strstr(vgs_last_error(), "'features.0.weight'"), "message lacks the name: %s",
          vgs_last_error());
    CHECK(strstr(vgs_last_error(), "<memory>"), "message lacks the default label: %s",
          vgs_last_error());
    return 0;
}

static int check_api_misuse(char *msg, size_t msg_len)
{
    vgs_weights *w = NULL;
    vgs_tensor_view v;
    vgs_status st = open_valid(&w);
    CHECK(st == VGS_OK, "valid file rejected: %s", vgs_last_error());
    st = vgs_weights_at(w, 5, &v);
    vgs_weights_close(w);
    CHECK(st == VGS_ERR_INVALID_ARGUMENT, "at(5): %s", vgs_status_name(st));
    CHECK(strstr(vgs_last_error(), "out of range"), "at(5) message: %s", vgs_last_error());
    CHECK(vgs_weights_from_memory(NULL, 10, NULL, &w) == VGS_ERR_INVALID_ARGUMENT && !w,
          "from_memory(NULL, 10) accepted");
    CHECK(vgs_weights_from_memory("x", 1, NULL, NULL) == VGS_ERR_INVALID_ARGUMENT,
          "from_memory(out = NULL) accepted");
    CHECK(vgs_weights_open(NULL, &w) == VGS_ERR_INVALID_ARGUMENT, "open(NULL) accepted");
    CHECK(vgs_weights_count(NULL) == 0, "count(NULL) != 0");
    vgs_weights_close(NULL);
    return 0;
}

static int check_names(char *msg, size_t msg_len)
{
    CHECK(strcmp(vgs_dtype_name(VGS_DTYPE_F32), "F32") == 0, "F32 name");
    CHECK(strcmp(vgs_dtype_name(VGS_DTYPE_BF16), "BF16") == 0, "BF16 name");
    CHECK(strcmp(vgs_dtype_name(VGS_DTYPE_BOOL), "BOOL") == 0, "BOOL name");
    CHECK(strcmp(vgs_dtype_name((vgs_dtype)99), "?") == 0, "out-of-range dtype name");
    CHECK(strcmp(vgs_status_name(VGS_OK), "VGS_OK") == 0, "VGS_OK name");
    CHECK(strcmp(vgs_status_name(VGS_ERR_FORMAT), "VGS_ERR_FORMAT") == 0, "FORMAT name");
    CHECK(strcmp(vgs_status_name(VGS_ERR_OUT_OF_MEMORY), "VGS_ERR_OUT_OF_MEMORY") == 0,
          "OOM name");
    CHECK(vgs_status_name((vgs_status)99) != NULL, "out-of-range status name is NULL");
    return 0;
}

/* ---- randomized robustness --------------------------------------------------------------- */

static uint64_t rng_next(uint64_t *s) /* xorshift64 */
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* One to four random edits: a bit flip, a JSON-significant byte in the header, a change of
 * the length prefix, or a truncation. */
static size_t mutate(unsigned char *b, size_t size, size_t header_len, uint64_t *rng)
{
    static const char alphabet[] = "{}[]\":,-.0123456789eE\\u \x80\xff";
    int edits = 1 + (int)(rng_next(rng) % 4);
    for (int k = 0; k < edits && size > 0; k++) {
        uint64_t r = rng_next(rng);
        switch (r % 4) {
        case 0: b[(r >> 8) % size] ^= (unsigned char)(1u << (r >> 40) % 8); break;
        case 1:
            if (size > 8)
                b[8 + (r >> 8) % (size - 8 < header_len ? size - 8 : header_len)] =
                    (unsigned char)alphabet[(r >> 40) % (sizeof alphabet - 1)];
            break;
        case 2: b[(r >> 8) % 2] = (unsigned char)(r >> 40); break;
        default: size = (r >> 8) % (size + 1); break;
        }
    }
    return size;
}

/* Every view of a loaded file is self-consistent; reading every byte lets ASan check it. */
static int check_loaded(char *msg, size_t msg_len, const vgs_weights *w, unsigned *sink)
{
    for (size_t i = 0; i < vgs_weights_count(w); i++) {
        vgs_tensor_view v, f;
        CHECK(vgs_weights_at(w, i, &v) == VGS_OK, "at(%zu) failed", i);
        CHECK(vgs_weights_find(w, v.name, &f) == VGS_OK && f.data == v.data,
              "find(at(%zu).name) failed", i);
        CHECK(v.ndim >= 0 && v.ndim <= VGS_MAX_DIMS, "ndim %d", v.ndim);
        for (size_t j = 0; j < v.nbytes; j++) *sink += ((const unsigned char *)v.data)[j];
    }
    return 0;
}

static int check_fuzz(char *msg, size_t msg_len)
{
    uint64_t rng = 0x9E3779B97F4A7C15u;
    size_t size, ok = 0;
    unsigned char *valid = make_valid(&size);
    unsigned sink = 0;
    for (int it = 0; it < 2000; it++) {
        unsigned char *b = malloc(size);
        vgs_weights *w = (vgs_weights *)&w;
        size_t n;
        vgs_status st;
        if (!b) abort();
        memcpy(b, valid, size);
        n = mutate(b, size, strlen(valid_header), &rng);
        st = vgs_weights_from_memory(b, n, "fuzz", &w);
        free(b);
        CHECK(st == VGS_OK || st == VGS_ERR_FORMAT, "iteration %d: status %s (%s)", it,
              vgs_status_name(st), vgs_last_error());
        CHECK((st == VGS_OK) == (w != NULL), "iteration %d: *out inconsistent with status", it);
        CHECK(st == VGS_OK || vgs_last_error()[0] != '\0', "iteration %d: empty message", it);
        if (st == VGS_OK) {
            int r = check_loaded(msg, msg_len, w, &sink);
            vgs_weights_close(w);
            RUN(r);
            ok++;
        }
    }
    free(valid);
    (void)sink;
    (void)ok;
    return 0;
}

/* ---- the table ------------------------------------------------------------------------- */

#define WEIGHTS_CASE(name) \
    static int w_##name(vgs_isa isa, char *m, size_t l) { (void)isa; return check_##name(m, l); }
WEIGHTS_CASE(valid_file)
WEIGHTS_CASE(open_file)
WEIGHTS_CASE(open_pipe)
WEIGHTS_CASE(empty_files)
WEIGHTS_CASE(too_short)
WEIGHTS_CASE(truncated_in_header)
WEIGHTS_CASE(truncated_in_data)
WEIGHTS_CASE(header_length_past_end)
WEIGHTS_CASE(torch_checkpoint)
WEIGHTS_CASE(invalid_json)
WEIGHTS_CASE(unknown_dtype)
WEIGHTS_CASE(wrong_shape)
WEIGHTS_CASE(out_of_range)
WEIGHTS_CASE(begin_after_end)
WEIGHTS_CASE(overlap)
WEIGHTS_CASE(adjacent_ok)
WEIGHTS_CASE(duplicate)
WEIGHTS_CASE(too_many_dims)
WEIGHTS_CASE(missing_field)
WEIGHTS_CASE(bad_dims)
WEIGHTS_CASE(nul_in_name)
WEIGHTS_CASE(long_name)
WEIGHTS_CASE(open_nonexistent)
WEIGHTS_CASE(find_missing)
WEIGHTS_CASE(api_misuse)
WEIGHTS_CASE(names)
WEIGHTS_CASE(fuzz)

const vgs_check_case vgs_weights_checks[] = {
    {"weights", "valid_file", w_valid_file, 1},
    {"weights", "open_file", w_open_file, 1},
    {"weights", "open_pipe", w_open_pipe, 1},
    {"weights", "empty_files", w_empty_files, 1},
    {"weights", "too_short", w_too_short, 1},
    {"weights", "truncated_in_header", w_truncated_in_header, 1},
    {"weights", "truncated_in_data", w_truncated_in_data, 1},
    {"weights", "header_length_past_end", w_header_length_past_end, 1},
    {"weights", "torch_checkpoint", w_torch_checkpoint, 1},
    {"weights", "invalid_json", w_invalid_json, 1},
    {"weights", "unknown_dtype", w_unknown_dtype, 1},
    {"weights", "wrong_shape", w_wrong_shape, 1},
    {"weights", "out_of_range", w_out_of_range, 1},
    {"weights", "begin_after_end", w_begin_after_end, 1},
    {"weights", "overlap", w_overlap, 1},
    {"weights", "adjacent_ok", w_adjacent_ok, 1},
    {"weights", "duplicate", w_duplicate, 1},
    {"weights", "too_many_dims", w_too_many_dims, 1},
    {"weights", "missing_field", w_missing_field, 1},
    {"weights", "bad_dims", w_bad_dims, 1},
    {"weights", "nul_in_name", w_nul_in_name, 1},
    {"weights", "long_name", w_long_name, 1},
    {"weights", "open_nonexistent", w_open_nonexistent, 1},
    {"weights", "find_missing", w_find_missing, 1},
    {"weights", "api_misuse", w_api_misuse, 1},
    {"weights", "names", w_names, 1},
    {"weights", "fuzz", w_fuzz, 1},
};
const size_t vgs_weights_checks_count = sizeof vgs_weights_checks / sizeof vgs_weights_checks[0];
