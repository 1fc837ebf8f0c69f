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

/* ------------------------------------------------------------------------------------------
 *  A model's tensors built in memory (the reference-network checks draw their weights into
 *  one), turned into safetensors entries.
 * ------------------------------------------------------------------------------------------ */

typedef struct st_tensor {
    char name[96];
    int ndim;
    int64_t shape[4];
    size_t n;          /* elements                                        */
    float *f;          /* F32 data; NULL for an I64 scalar                 */
    int64_t i64;       /* the I64 scalar (num_batches_tracked)             */
} st_tensor;

typedef struct st_model {
    st_tensor *t;
    size_t n, cap;
    int fail;          /* out of memory while building: every later add returns NULL */
} st_model;

static __attribute__((unused)) void st_model_free(st_model *m)
{
    for (size_t i = 0; i < m->n; i++) free(m->t[i].f);
    free(m->t);
    memset(m, 0, sizeof *m);
}

/* A new tensor (ndim 0: an I64 scalar, else F32 data to fill); NULL once out of memory. */
static __attribute__((unused)) st_tensor *st_model_add(st_model *m, const char *name, int ndim, const int64_t *shape)
{
    if (m->fail) return NULL;
    if (m->n == m->cap) {
        const size_t cap = m->cap ? 2 * m->cap : 256;
        st_tensor *t = (st_tensor *)realloc(m->t, cap * sizeof *t);
        if (!t) return m->fail = 1, (st_tensor *)NULL;
        m->t = t, m->cap = cap;
    }
    st_tensor *t = &m->t[m->n];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->ndim = ndim, t->n = 1;
    for (int d = 0; d < ndim; d++) t->shape[d] = shape[d], t->n *= (size_t)shape[d];
    if (ndim > 0 && !(t->f = (float *)malloc((t->n ? t->n : 1) * sizeof(float)))) return m->fail = 1, (st_tensor *)NULL;
    m->n++;
    return t;
}

/* The tensor called name; a missing one is a bug in the calling test: abort. */
static __attribute__((unused)) const st_tensor *st_model_get(const st_model *m, const char *name)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->t[i].name, name) == 0) return &m->t[i];
    fprintf(stderr, "st_model_get: internal error: no tensor '%s'\n", name);
    abort();
}

/* The model's safetensors entries, in its order (calloc'd with room for `extra` more; the
 * data stays the model's; I64 scalars little-endian as on x86-64 and aarch64). */
static __attribute__((unused)) st_entry *st_model_entries(const st_model *m, size_t extra)
{
    st_entry *e = (st_entry *)calloc(m->n + extra, sizeof *e);
    if (!e) return NULL;
    for (size_t i = 0; i < m->n; i++) {
        const st_tensor *t = &m->t[i];
        snprintf(e[i].name, sizeof e[i].name, "%s", t->name);
        e[i].ndim = t->ndim;
        for (int d = 0; d < t->ndim; d++) e[i].shape[d] = t->shape[d];
        e[i].dtype = t->f ? "F32" : "I64";
        e[i].data = t->f ? (const void *)t->f : (const void *)&t->i64;
        e[i].nbytes = t->f ? t->n * sizeof(float) : sizeof(int64_t);
    }
    return e;
}

#endif
