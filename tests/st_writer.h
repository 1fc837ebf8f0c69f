/* tests/st_writer.h — builds .safetensors bytes in memory for tests (an independent writer:
 * the loader under test never helps to make its own input).  Static functions only. */
#ifndef VGS_TESTS_ST_WRITER_H
#define VGS_TESTS_ST_WRITER_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct st_entry {
    char name[128];
    const char *dtype;     /* "F32", "I64", ...                         */
    int ndim;
    int64_t shape[8];
    const void *data;      /* nbytes of little-endian row-major data     */
    size_t nbytes;
} st_entry;

/* Serialise entries (in the given order, data packed) into a malloc'd buffer; *size set.
 * Returns NULL on allocation failure. */
static __attribute__((unused)) unsigned char *st_build(const st_entry *e, size_t n, size_t *size)
{
    size_t cap = 256 + n * 512, len = 0, off = 0; /* an entry needs < 512 bytes of JSON */
    char *hdr = (char *)malloc(cap);
    if (!hdr) return NULL;
    len += (size_t)snprintf(hdr + len, cap - len, "{\"__metadata__\":{\"format\":\"pt\"}");
    for (size_t i = 0; i < n; i++) {
        len += (size_t)snprintf(hdr + len, cap - len, ",\"%s\":{\"dtype\":\"%s\",\"shape\":[", e[i].name, e[i].dtype);
        for (int d = 0; d < e[i].ndim; d++) {
            len += (size_t)snprintf(hdr + len, cap - len, d ? ",%lld" : "%lld", (long long)e[i].shape[d]);
        }
        len += (size_t)snprintf(hdr + len, cap - len, "],\"data_offsets\":[%zu,%zu]}", off, off + e[i].nbytes);
        off += e[i].nbytes;
    }
    len += (size_t)snprintf(hdr + len, cap - len, "}");
    while (len % 8) hdr[len++] = ' ';
    unsigned char *out = (unsigned char *)malloc(8 + len + off);
    if (!out) {
        free(hdr);
        return NULL;
    }
    for (int b = 0; b < 8; b++) out[b] = (unsigned char)((uint64_t)len >> (8 * b));
    memcpy(out + 8, hdr, len);
    free(hdr);
    size_t p = 8 + len;
    for (size_t i = 0; i < n; i++) {
        if (e[i].nbytes) memcpy(out + p, e[i].data, e[i].nbytes);
        p += e[i].nbytes;
    }
    *size = p;
    return out;
}

#endif
