/* tests/test_main.c — the Criterion front end of every check table (checks.h): one
 * parameterized test per ISA (checks::scalar, checks::avx2, checks::avx512, checks::neon) over
 * all per-ISA checks, and checks::once over the ISA-independent ones.  An ISA this build or
 * CPU cannot run is skipped with the reason; every message starts with "suite/check [isa]".
 * The same checks run under qemu-user through tests/tap_runner.c. */
#include "checks.h" /* first: it sets _GNU_SOURCE */

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

/* Indices, not pointers: Criterion re-executes this program for each test, so addresses of
 * the parent (PIE, ASLR) mean nothing in the child. */
typedef struct check_param {
    size_t table, index;
    vgs_isa isa;
} check_param;

static const vgs_check_case *table(size_t t, size_t *n)
{
    switch (t) {
    case 0: *n = vgs_kernel_checks_count; return vgs_kernel_checks;
    case 1: *n = vgs_weights_checks_count; return vgs_weights_checks;
    case 2: *n = vgs_refnet_checks_count; return vgs_refnet_checks;
    case 3: *n = vgs_network_checks_count; return vgs_network_checks;
    case 4: *n = vgs_runtime_checks_count; return vgs_runtime_checks;
    case 5: *n = vgs_refnet_v2_checks_count; return vgs_refnet_v2_checks;
    default: *n = 0; return NULL;
    }
}

static void free_params(struct criterion_test_params *crp) { cr_free(crp->params); }

/* The checks with once == once_wanted, each paired with isa. */
static struct criterion_test_params params(vgs_isa isa, int once_wanted)
{
    size_t total = 0, n, k = 0;
    for (size_t t = 0; t < 6; t++) table(t, &n), total += n;
    check_param *p = cr_malloc(total * sizeof *p);
    for (size_t t = 0; t < 6; t++) {
        const vgs_check_case *cases = table(t, &n);
        for (size_t c = 0; c < n; c++) {
            if (!cases[c].once != !once_wanted) continue;
            p[k].table = t;
            p[k].index = c;
            p[k++].isa = isa;
        }
    }
    return cr_make_param_array(check_param, p, k, free_params);
}

static void run(const check_param *p)
{
    size_t n;
    const vgs_check_case *tc = &table(p->table, &n)[p->index];
    const char *isa = vgs_isa_to_string(p->isa);
    char why[160];
    if (vgs_check_skip_reason(p->isa, why, sizeof why)) cr_skip_test("%s/%s [%s]: skipped: %s", tc->suite, tc->name, isa, why);
    char msg[2048] = "";
    const int rc = tc->fn(p->isa, msg, sizeof msg);
    cr_expect(rc == 0, "%s/%s [%s] FAILED: %s", tc->suite, tc->name, isa, msg);
}

#define VGS_ISA_TESTS(NAME, ISA)                                                              \
    ParameterizedTestParameters(checks, NAME) { return params(ISA, 0); }                      \
    ParameterizedTest(check_param *p, checks, NAME, .timeout = 900.0) { run(p); }

VGS_ISA_TESTS(scalar, VGS_ISA_SCALAR)
VGS_ISA_TESTS(avx2, VGS_ISA_AVX2)
VGS_ISA_TESTS(avx512, VGS_ISA_AVX512)
VGS_ISA_TESTS(neon, VGS_ISA_NEON)

ParameterizedTestParameters(checks, once) { return params(vgs_isa_current(), 1); }
ParameterizedTest(check_param *p, checks, once, .timeout = 900.0) { run(p); }
