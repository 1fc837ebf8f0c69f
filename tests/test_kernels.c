/* tests/test_kernels.c — Criterion front end of the kernel checks (tests/check_kernels.c):
 * one parameterized test over (check, isa) for every check and every ISA in
 * {scalar, avx2, avx512, neon}.  An ISA this build or CPU cannot run is skipped with the reason;
 * every message starts with "kernels/<check> [<isa>]" so a failure names the ISA.
 *
 * Build: cc -O2 -g -I. tests/check_kernels.c tests/test_kernels.c tools/vggshuffle.c \
 *            -lcriterion -lsleef -lm -lpthread */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "checks.h"

typedef struct kernel_param {
    size_t check; /* index into vgs_kernel_checks */
    vgs_isa isa;
} kernel_param;

static void free_params(struct criterion_test_params *crp)
{
    cr_free(crp->params);
}

ParameterizedTestParameters(kernels, check)
{
    size_t n = vgs_kernel_checks_count * (size_t)VGS_ISA_COUNT;
    kernel_param *p = cr_malloc(n * sizeof *p);
    size_t j = 0;
    /* ISA-major order: all checks of scalar, then avx2, ... */
    for (int isa = 0; isa < (int)VGS_ISA_COUNT; isa++)
        for (size_t c = 0; c < vgs_kernel_checks_count; c++) {
            p[j].check = c;
            p[j].isa = (vgs_isa)isa;
            j++;
        }
    return cr_make_param_array(kernel_param, p, n, free_params);
}

ParameterizedTest(kernel_param *p, kernels, check, .timeout = 600.0)
{
    const vgs_check_case *tc = &vgs_kernel_checks[p->check];
    const char *isa = vgs_isa_to_string(p->isa);
    char why[160];
    if (vgs_check_skip_reason(p->isa, why, sizeof why))
        cr_skip_test("%s/%s [%s]: skipped: %s", tc->suite, tc->name, isa, why);
    char msg[1024] = "";
    int rc = tc->fn(p->isa, msg, sizeof msg);
    cr_expect(rc == 0, "%s/%s [%s] FAILED on %s: %s", tc->suite, tc->name, isa, isa, msg);
}
