/* tests/checks.h — framework-free checks shared by the Criterion front end
 * (tests/test_kernels.c) and the plain TAP runner (tests/tap_runner.c, for qemu-user where
 * Criterion cannot fork).
 *
 * A check is a function (isa, msg, msg_len) -> 0 pass / 1 fail / VGS_CHECK_SKIP (it cannot run
 * here: the data it needs is absent), with the reason written into msg.  Each check file
 * exports a table of vgs_check_case.  The helpers below are static so every translation unit
 * that includes this header gets its own copy (no link-time coupling).
 *
 * POSIX only (mmap/mprotect guard pages, sigsetjmp): Linux x86-64 and aarch64 (qemu-user). */
#ifndef VGS_TESTS_CHECKS_H
#define VGS_TESTS_CHECKS_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vggshuffle.h"

typedef int (*vgs_check_fn)(vgs_isa isa, char *msg, size_t msg_len);

typedef struct vgs_check_case {
    const char *suite; /* "kernels"                 */
    const char *name;  /* "gemm", "conv3x3s1p1", ... */
    vgs_check_fn fn;
    /* 1: the check does not depend on the ISA (the loader, error paths): the front ends run
     * it once, with isa = vgs_isa_current().  0 (or omitted): run once per runnable ISA. */
    int once;
} vgs_check_case;

/* The tables, one per check file (the TAP runner links whichever are given to it): each
 * tests/check_NAME.c exports vgs_NAME_checks[] and vgs_NAME_checks_count.  The front ends
 * (test_main.c, tap_runner.c) run every table of this list, in this order. */
#define VGS_CHECK_TABLES(X) X(kernel) X(weights) X(refnet) X(network) X(runtime) X(winograd) X(vgg) X(vgg_golden) X(nan) X(api) X(refnet_v2) X(fusion)
#define VGS_CHECK_DECLARE(name)                                                                \
    extern const vgs_check_case vgs_##name##_checks[];                                         \
    extern const size_t vgs_##name##_checks_count;
VGS_CHECK_TABLES(VGS_CHECK_DECLARE)
#undef VGS_CHECK_DECLARE

/* Between check files (check_runtime.c and check_refnet.c): a net made by a check file's
 * model with the given options (0, or 1 and a message in msg); the runtime's contracts over
 * such nets; the reference g3_tiny_paper model's net (3 x 45 x 57 input, 7 classes). */
typedef int (*vgs_runtime_make_fn)(void *ctx, const vgs_net_options *o, vgs_net **net, char *msg, size_t len);
int vgs_runtime_same_logits(const char *where, vgs_runtime_make_fn make, void *ctx, int h, int w, vgs_isa isa,
                            const float *x, size_t batch, const float *want, size_t nc, char *msg, size_t len);
int vgs_refnet_make_tiny(const vgs_net_options *o, vgs_net **net, char *msg, size_t len);
/* check_refnet_v2.c's: a ShuffleNet V2 with a `stem`-channel stem, small stages, 10 classes,
 * random weights of a fixed seed, for h x w inputs (check_fusion.c). */
int vgs_refnet_v2_make_stem(int stem, int h, int w, const vgs_net_options *o, vgs_net **net, char *msg, size_t len);

/* A thread count for a check: t, or 1 where VGS_CHECK_NO_THREADS is set (the qemu-aarch64 run:
 * qemu-user 7.2 hangs in pthread_create with the cross glibc, so no pool can start there; the
 * thread contracts are checked natively and under qemu-x86_64). */
static inline int vgs_check_threads(int t)
{
    const char *e = getenv("VGS_CHECK_NO_THREADS");
    return e && *e && strcmp(e, "0") != 0 ? 1 : t;
}

/* Net options: the defaults (all zero, as the header asks) but threads and the input size. */
static inline vgs_net_options vgs_check_options(int threads, int h, int w)
{
    vgs_net_options o;
    memset(&o, 0, sizeof o);
    o.num_threads = threads, o.input_height = h, o.input_width = w;
    return o;
}

#if defined(__GNUC__)
#define VGS_CHECK_UNUSED __attribute__((unused))
#define VGS_CHECK_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define VGS_CHECK_UNUSED
#define VGS_CHECK_PRINTF(f, a)
#endif

/* One check function a row of a table of cases: static int PREFIX_case_I(isa, msg, len),
 * which returns RUN(&TABLE[I], isa, msg, len) (the check tables name functions, not rows). */
#define VGS_CHECK_CASE(prefix, run, table, i)                                                    \
    static int prefix##_case_##i(vgs_isa isa, char *msg, size_t len)                             \
    {                                                                                            \
        return run(&table[i], isa, msg, len);                                                    \
    }

/* ------------------------------------------------------------------------------------------
 *  Failure reporting
 * ------------------------------------------------------------------------------------------ */

/* Format the reason into msg and return 1 (so `return vgs_check_fail(...)` fails a check). */
static VGS_CHECK_UNUSED VGS_CHECK_PRINTF(3, 4) int
vgs_check_fail(char *msg, size_t msg_len, const char *fmt, ...)
{
    if (msg && msg_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, msg_len, fmt, ap);
        va_end(ap);
    }
    return 1;
}

/* ------------------------------------------------------------------------------------------
 *  The AVX-512 tier's two tables
 * ------------------------------------------------------------------------------------------ */

/* AVX-512 has a table for processors that run 512-bit operations in two halves and one for
 * the others (vgs_kernels_avx512; vgs_kernels_for gives this processor's).  The checks of a
 * kernel the two route differently (arch/avx512/halves.h) run on both, wherever AVX-512 runs:
 * vgs_check_both_avx512(fn, ...) runs fn on this processor's table, then with
 * vgs_check_kernels(VGS_ISA_AVX512) giving the other one. */
static inline int *vgs_check_other_avx512(void)
{
    static int other;
    return &other;
}

static VGS_CHECK_UNUSED const vgs_kernels *vgs_check_kernels(vgs_isa isa)
{
    if (isa == VGS_ISA_AVX512 && *vgs_check_other_avx512() && vgs_kernels_for(isa))
        return vgs_kernels_avx512(!vgs_x86_avx512_halves());
    return vgs_kernels_for(isa);
}

static VGS_CHECK_UNUSED int vgs_check_both_avx512(vgs_check_fn fn, vgs_isa isa, char *msg, size_t len)
{
    int rc = fn(isa, msg, len);
    if (rc != 0 || isa != VGS_ISA_AVX512 || !vgs_kernels_for(isa)) return rc;
    *vgs_check_other_avx512() = 1;
    rc = fn(isa, msg, len);
    *vgs_check_other_avx512() = 0;
    if (rc == 1 && msg && len) {
        char why[1024];
        snprintf(why, sizeof why, "%s", msg);
        snprintf(msg, len, "on the AVX-512 table for processors that %s 512-bit operations in halves: %s",
                 vgs_x86_avx512_halves() ? "do not run" : "run", why);
    }
    return rc;
}
/* name_both: name on both AVX-512 tables */
#define VGS_CHECK_BOTH(name) \
    static int name##_both(vgs_isa isa, char *msg, size_t len) { return vgs_check_both_avx512(name, isa, msg, len); }

/* A check's result when it cannot run here, e.g. the real-data checks in a clone without
 * ../shared (check_network.c); the front ends report it as skipped, with msg as the reason. */
#define VGS_CHECK_SKIP 2

/* Skip with the reason in msg: `return vgs_check_skip(msg, len, "why");`. */
static VGS_CHECK_UNUSED int vgs_check_skip(char *msg, size_t msg_len, const char *why)
{
    snprintf(msg, msg_len, "%s", why);
    return VGS_CHECK_SKIP;
}

/* Quick mode (VGS_CHECK_QUICK=1, the emulated runs): the checks thin their sweeps. */
static VGS_CHECK_UNUSED int vgs_check_quick(void)
{
    const char *q = getenv("VGS_CHECK_QUICK");
    return q && *q && strcmp(q, "0") != 0;
}

/* Why an ISA cannot be run here, or NULL if it can. */
static VGS_CHECK_UNUSED const char *vgs_check_skip_reason(vgs_isa isa, char *buf, size_t len)
{
    if (vgs_kernels_for(isa) == NULL) {
        snprintf(buf, len, "%s not compiled into this build (not this architecture, or "
                 "disabled by a VGS_NO_* option)", vgs_isa_to_string(isa));
        return buf;
    }
    if (!vgs_isa_supported(isa)) {
        snprintf(buf, len, "%s not supported by this CPU", vgs_isa_to_string(isa));
        return buf;
    }
    return NULL;
}

/* ------------------------------------------------------------------------------------------
 *  Deterministic RNG (splitmix64): same data on every machine, compiler and ISA
 * ------------------------------------------------------------------------------------------ */

typedef struct vgs_rng { uint64_t s; } vgs_rng;

static VGS_CHECK_UNUSED vgs_rng vgs_rng_seed(uint64_t seed)
{
    vgs_rng r;
    r.s = seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
    return r;
}

static VGS_CHECK_UNUSED uint64_t vgs_rng_u64(vgs_rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform float in [lo, hi] (24 random bits, so exactly reproducible). */
static VGS_CHECK_UNUSED float vgs_rng_float(vgs_rng *r, float lo, float hi)
{
    double u = (double)(vgs_rng_u64(r) >> 40) / (double)(1u << 24); /* [0, 1) */
    return (float)(lo + (hi - lo) * u);
}

static VGS_CHECK_UNUSED void vgs_rng_fill(vgs_rng *r, float *x, size_t n, float lo, float hi)
{
    for (size_t i = 0; i < n; i++) x[i] = vgs_rng_float(r, lo, hi);
}

/* ------------------------------------------------------------------------------------------
 *  Sentinel NaN: fills every gap of an output (and every gap of an input) so that
 *  - a store outside the documented window is seen bit-exactly (output gaps),
 *  - a load outside the documented window that reaches a result turns it into NaN (input gaps).
 * ------------------------------------------------------------------------------------------ */

#define VGS_SENTINEL_BITS 0x7FEDCBA9u /* a quiet NaN no arithmetic produces */

static VGS_CHECK_UNUSED float vgs_sentinel(void)
{
    uint32_t u = VGS_SENTINEL_BITS;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static VGS_CHECK_UNUSED int vgs_is_sentinel(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u == VGS_SENTINEL_BITS;
}

static VGS_CHECK_UNUSED void vgs_fill_sentinel(float *x, size_t n)
{
    float s = vgs_sentinel();
    for (size_t i = 0; i < n; i++) x[i] = s;
}

/* ------------------------------------------------------------------------------------------
 *  Guard-page buffers for kernel INPUTS ("No kernel ... reads outside the ranges given").
 *  The data is placed either flush against a PROT_NONE page after it (tail: catches vector
 *  over-reads past the last element) or flush after a PROT_NONE page (head: catches reads
 *  before the first element, e.g. the padding row/column -1 of a convolution).  The kernel's
 *  view is READ-ONLY (a store into an input faults too); the check fills the data through a
 *  second, writable mapping of the same memory (memfd), so no mprotect per call is needed.
 *  A fault inside a kernel becomes a check failure (vgs_guarded_call), not a crash.  Tail
 *  placement also makes the pointer unaligned (the contract promises no alignment).
 * ------------------------------------------------------------------------------------------ */

/* memfd_create without relying on _GNU_SOURCE having been seen first (a file may include a
 * system header before this one): call it through syscall(2). */
static VGS_CHECK_UNUSED int vgs__memfd(const char *name)
{
#ifdef SYS_memfd_create
    return (int)syscall(SYS_memfd_create, name, 1u /* MFD_CLOEXEC */);
#else
    (void)name;
    return -1;
#endif
}

typedef struct vgs_guard {
    unsigned char *map;  /* whole reservation: guard page, read-only view, guard page */
    size_t map_len;
    unsigned char *lo;   /* read-only view (what the kernel gets)                      */
    unsigned char *rw;   /* writable alias of the same bytes (== lo without memfd)      */
    size_t cap_bytes;    /* usable bytes (multiple of the page)                         */
} vgs_guard;

enum { VGS_AT_TAIL = 0, VGS_AT_HEAD = 1 };

static VGS_CHECK_UNUSED void vgs_guard_free(vgs_guard *g)
{
    if (g->rw && g->rw != g->lo) munmap(g->rw, g->cap_bytes);
    if (g->map) munmap(g->map, g->map_len);
    memset(g, 0, sizeof *g);
}

static VGS_CHECK_UNUSED int vgs_guard_init(vgs_guard *g, size_t max_floats)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t bytes = max_floats * sizeof(float);
    memset(g, 0, sizeof *g);
    if (bytes == 0) bytes = sizeof(float);
    bytes = (bytes + page - 1) / page * page;
    g->map_len = bytes + 2 * page;
    g->cap_bytes = bytes;
    void *m = mmap(NULL, g->map_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
        memset(g, 0, sizeof *g);
        return -1;
    }
    g->map = (unsigned char *)m;
    g->lo = g->map + page;
    int fd = vgs__memfd("vgs_guard");
    if (fd >= 0 && ftruncate(fd, (off_t)bytes) == 0 &&
        mmap(g->lo, bytes, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0) != MAP_FAILED) {
        void *w = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (w != MAP_FAILED) g->rw = (unsigned char *)w;
    }
    if (fd >= 0) close(fd);
    if (!g->rw) { /* no memfd: a plain writable middle (no read-only check) */
        if (mmap(g->lo, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
                 -1, 0) == MAP_FAILED) {
            vgs_guard_free(g);
            return -1;
        }
        g->rw = g->lo;
    }
    return 0;
}

/* n floats flush against the head or the tail guard page (n <= capacity): the kernel's
 * (read-only) pointer. */
static VGS_CHECK_UNUSED float *vgs_guard_place(vgs_guard *g, size_t n, int where)
{
    if (n * sizeof(float) > g->cap_bytes) abort(); /* a bug in the check itself */
    if (where == VGS_AT_HEAD) return (float *)(void *)g->lo;
    return (float *)(void *)(g->lo + g->cap_bytes - n * sizeof(float));
}

/* The writable alias of p (a pointer into g's read-only view), to fill the data. */
static VGS_CHECK_UNUSED float *vgs_guard_wr(const vgs_guard *g, const float *p)
{
    return (float *)(void *)(g->rw + ((const unsigned char *)(const void *)p - g->lo));
}

/* Guarded kernel calls.  The SIGSEGV/SIGBUS handler is installed once and is "armed" only
 * during a guarded call; a fault anywhere else restores the previous handler and re-faults,
 * so it still crashes as usual (and Criterion still reports the crash).  No system call per
 * guarded call (SA_NODEFER + sigsetjmp without the mask). */
static sigjmp_buf vgs__fault_jmp;
static volatile sig_atomic_t vgs__fault_sig, vgs__fault_armed;
static struct sigaction vgs__old_segv, vgs__old_bus;
static int vgs__fault_installed;

static VGS_CHECK_UNUSED void vgs__on_fault(int sig)
{
    if (!vgs__fault_armed) {
        sigaction(sig, sig == SIGBUS ? &vgs__old_bus : &vgs__old_segv, NULL);
        return; /* re-executes the faulting instruction under the previous handler */
    }
    vgs__fault_armed = 0;
    vgs__fault_sig = sig;
    siglongjmp(vgs__fault_jmp, 1);
}

/* Run fn(ctx) (a thunk around one kernel call).  Returns 0, or 1 with the failure formatted
 * into msg if a SIGSEGV/SIGBUS happened inside the call. */
static VGS_CHECK_UNUSED int vgs_guarded_call(void (*fn)(void *), void *ctx, char *msg,
                                             size_t msg_len, const char *where)
{
    if (!vgs__fault_installed) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = vgs__on_fault;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_NODEFER;
        sigaction(SIGSEGV, &sa, &vgs__old_segv);
        sigaction(SIGBUS, &sa, &vgs__old_bus);
        vgs__fault_installed = 1;
    }
    if (sigsetjmp(vgs__fault_jmp, 0) == 0) {
        vgs__fault_armed = 1;
        fn(ctx);
        vgs__fault_armed = 0;
        return 0;
    }
    vgs__fault_armed = 0;
    return vgs_check_fail(msg, msg_len,
                          "%s: %s: memory access outside the documented ranges (hit a guard "
                          "page, or stored into a read-only input)",
                          where, vgs__fault_sig == SIGBUS ? "SIGBUS" : "SIGSEGV");
}

/* ------------------------------------------------------------------------------------------
 *  Float comparison against an fp64 reference with a per-element tolerance
 * ------------------------------------------------------------------------------------------ */

typedef struct vgs_cmp {
    size_t nbad;      /* elements with !(|got - ref| <= tol) (NaN counts as bad)  */
    size_t worst;     /* index of the largest |got - ref| / tol                   */
    double worst_ratio;
    float got;        /* at worst */
    double ref, tol;  /* at worst */
} vgs_cmp;

/* Compare got[i] with ref[i] within tol[i] (tol == NULL: exact, tol 0).  Returns nbad. */
static VGS_CHECK_UNUSED size_t vgs_compare(const float *got, const double *ref, const double *tol,
                                           size_t n, vgs_cmp *out)
{
    vgs_cmp c;
    memset(&c, 0, sizeof c);
    c.worst_ratio = -1.0;
    for (size_t i = 0; i < n; i++) {
        double t = tol ? tol[i] : 0.0;
        double e = fabs((double)got[i] - ref[i]);
        double ratio;
        int bad = !(e <= t); /* NaN got => bad */
        if (e != e) ratio = INFINITY;
        else if (t > 0) ratio = e / t;
        else ratio = e > 0 ? INFINITY : 0.0;
        if (bad) c.nbad++;
        if (ratio > c.worst_ratio) { /* first of equal ratios wins */
            c.worst_ratio = ratio;
            c.worst = i;
            c.got = got[i];
            c.ref = ref[i];
            c.tol = t;
        }
    }
    if (out) *out = c;
    return c.nbad;
}

/* "got 0.123 (0x3dfbe76d)" style text of a float, for messages. */
static VGS_CHECK_UNUSED const char *vgs_fmt_float(float f, char *buf, size_t len)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    if (vgs_is_sentinel(f))
        snprintf(buf, len, "sentinel NaN (never written)");
    else
        snprintf(buf, len, "%.9g (0x%08x)", (double)f, (unsigned)u);
    return buf;
}

/* Index of the first element of buf[0..n) whose bits are not the sentinel, or n. */
static VGS_CHECK_UNUSED size_t vgs_first_non_sentinel(const float *buf, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!vgs_is_sentinel(buf[i])) return i;
    return n;
}

/* Logits against PyTorch's (goldens made by tools/gen_*_golden.py): every |got_j - want_j| <=
 * rel_tol * max_j |want_j| and the top 5 classes identical, in order.  The golden's ranks 1..6
 * must be apart by >= min_gap * max|want| (else a near-tie would make the top-5 check
 * meaningless or flaky: the check fails, blaming the golden).  *rel: the worst |error| /
 * max|want| (NaN: infinite).  Not vectorised: gcc 12 for aarch64 -O3 crashed vectorising
 * such float -> double reductions. */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("no-tree-vectorize")))
#endif
static VGS_CHECK_UNUSED int
vgs_check_golden(const char *where, const float *got, const float *want, size_t nc, double rel_tol, double min_gap,
                 double *rel, char *msg, size_t len)
{
    double amax = 0.0, werr = -1.0;
    size_t wj = 0;
    for (size_t j = 0; j < nc; j++) {
        const double a = fabs((double)want[j]);
        if (a > amax) amax = a;
    }
    for (size_t j = 0; j < nc; j++) {
        const double err = fabs((double)got[j] - (double)want[j]);
        if (!(err <= werr)) { /* NaN sticks */
            werr = err, wj = j;
            if (err != err) break;
        }
    }
    *rel = werr == werr ? werr / amax : INFINITY;
    if (!(werr <= rel_tol * amax)) {
        return vgs_check_fail(msg, len, "%s: vs PyTorch: logit %zu is %.9g, PyTorch %.9g: |error| %.3g > %.0e x "
                              "max|logit| (%.6g)", where, wj, (double)got[wj], (double)want[wj], werr, rel_tol, amax);
    }
    int top_got[6], top_want[6];
    if (nc < 6 || vgs_topk(got, nc, 6, top_got) != VGS_OK || vgs_topk(want, nc, 6, top_want) != VGS_OK) {
        return vgs_check_fail(msg, len, "%s: vgs_topk over %zu logits failed", where, nc);
    }
    for (int i = 0; i < 5; i++) {
        if (top_got[i] != top_want[i]) {
            return vgs_check_fail(msg, len, "%s: top-5 differs from PyTorch's at rank %d: class %d, PyTorch %d", where,
                                  i + 1, top_got[i], top_want[i]);
        }
        if (!(want[top_want[i]] - want[top_want[i + 1]] >= min_gap * amax)) {
            return vgs_check_fail(msg, len, "%s: the golden's ranks %d and %d are nearly tied: not a meaningful top-5 check",
                                  where, i + 1, i + 2);
        }
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------
 *  The floating-point control word of the calling thread (x86-64 MXCSR, aarch64 FPCR), read
 *  and written by the test itself, not through the library (vgs_fp_flush_denormals).
 * ------------------------------------------------------------------------------------------ */

#if defined(__x86_64__)
#include <xmmintrin.h>
#define VGS_FP_FLUSH_BITS 0x8040u /* MXCSR FTZ | DAZ */
static VGS_CHECK_UNUSED uint64_t vgs_fp_get(void) { return _mm_getcsr(); }
static VGS_CHECK_UNUSED void vgs_fp_set(uint64_t v) { _mm_setcsr((unsigned)v); }
#elif defined(__aarch64__)
#define VGS_FP_FLUSH_BITS (1u << 24) /* FPCR FZ */
static VGS_CHECK_UNUSED uint64_t vgs_fp_get(void)
{
    uint64_t v;
    __asm__ __volatile__("mrs %0, fpcr" : "=r"(v));
    return v;
}
static VGS_CHECK_UNUSED void vgs_fp_set(uint64_t v) { __asm__ __volatile__("msr fpcr, %0" : : "r"(v)); }
#else
#define VGS_FP_FLUSH_BITS 0u
static VGS_CHECK_UNUSED uint64_t vgs_fp_get(void) { return 0; }
static VGS_CHECK_UNUSED void vgs_fp_set(uint64_t v) { (void)v; }
#endif

#endif /* VGS_TESTS_CHECKS_H */
