/* tests/tap_runner.c — runs the framework-free checks (tests/check_kernels.c) in ONE process
 * and prints TAP, for qemu-user where Criterion cannot fork its workers.
 *
 *   tap_runner [--expect-isa NAME] [--timeout SECONDS] [--list] [isa...]
 *
 *   isa...            scalar | avx2 | avx512 | neon; default: every ISA this build and CPU
 *                     support.  A named ISA that cannot run here gives "# SKIP" lines.
 *   --expect-isa NAME adds test 1: vgs_isa_best() == NAME (asserts the dispatcher's choice,
 *                     e.g. under `qemu-x86_64 -cpu Haswell` or `-cpu Skylake-Server`).
 *   --timeout S       per check (default 900 s; qemu is slow): a check still running is
 *                     reported "not ok" and the run bails out.
 *   --list            print the checks and exit.
 *
 * Output: "# isa: NAME" before the checks of each ISA, "ok N - kernels/gemm [avx2]",
 * "not ok N - ..." followed by the reason as "# " lines, a final
 * "tap_runner: P passed, F failed, S skipped" line; exit status 1 on any failure, 2 on a usage
 * error.
 *
 * Build: cc -O2 -g -I. tests/check_kernels.c tests/tap_runner.c tools/vggshuffle.c \
 *            -lsleef -lm -lpthread */
#include "checks.h"

#include <time.h>

static const vgs_check_case *const TABLES[] = {vgs_kernel_checks};
static const size_t *const COUNTS[] = {&vgs_kernel_checks_count};
#define NTABLES (sizeof TABLES / sizeof TABLES[0])

static char timeout_line[512];

static void on_alarm(int sig)
{
    (void)sig;
    ssize_t r = write(STDOUT_FILENO, timeout_line, strlen(timeout_line));
    (void)r;
    _exit(1);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Print msg as TAP diagnostics, one "# " line per line of text. */
static void print_diag(const char *msg)
{
    const char *p = msg;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        printf("# %.*s\n", (int)n, p);
        p += n + (e ? 1 : 0);
    }
}

static int usage(const char *argv0)
{
    fprintf(stderr, "usage: %s [--expect-isa scalar|avx2|avx512|neon] [--timeout SECONDS] "
                    "[--list] [scalar|avx2|avx512|neon ...]\n", argv0);
    return 2;
}

int main(int argc, char **argv)
{
    vgs_isa isas[VGS_ISA_COUNT * 4];
    size_t nisa = 0;
    const char *expect = NULL;
    vgs_isa expect_isa = VGS_ISA_SCALAR;
    unsigned timeout = 900;
    int list = 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--expect-isa") == 0 && i + 1 < argc) {
            expect = argv[++i];
            if (vgs_isa_parse(expect, &expect_isa) != VGS_OK) {
                fprintf(stderr, "%s: unknown ISA '%s'\n", argv[0], expect);
                return usage(argv[0]);
            }
        } else if (strncmp(argv[i], "--expect-isa=", 13) == 0) {
            expect = argv[i] + 13;
            if (vgs_isa_parse(expect, &expect_isa) != VGS_OK) {
                fprintf(stderr, "%s: unknown ISA '%s'\n", argv[0], expect);
                return usage(argv[0]);
            }
        } else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
            timeout = (unsigned)strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--list") == 0) {
            list = 1;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(argv[0]);
            return 0;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "%s: unknown option '%s'\n", argv[0], argv[i]);
            return usage(argv[0]);
        } else {
            vgs_isa isa;
            if (vgs_isa_parse(argv[i], &isa) != VGS_OK) {
                fprintf(stderr, "%s: unknown ISA '%s'\n", argv[0], argv[i]);
                return usage(argv[0]);
            }
            if (nisa < sizeof isas / sizeof isas[0]) isas[nisa++] = isa;
        }
    }

    if (list) {
        for (size_t t = 0; t < NTABLES; t++)
            for (size_t c = 0; c < *COUNTS[t]; c++)
                printf("%s/%s\n", TABLES[t][c].suite, TABLES[t][c].name);
        return 0;
    }

    if (nisa == 0) /* default: every ISA that can run here */
        for (int i = 0; i < (int)VGS_ISA_COUNT; i++)
            if (vgs_isa_supported((vgs_isa)i)) isas[nisa++] = (vgs_isa)i;

    size_t nchecks = 0;
    for (size_t t = 0; t < NTABLES; t++) nchecks += *COUNTS[t];
    size_t total = (expect ? 1 : 0) + nisa * nchecks;

    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("TAP version 13\n");
    printf("# vggshuffle %s kernel checks; isa best: %s, current: %s\n", VGS_VERSION_STRING,
           vgs_isa_to_string(vgs_isa_best()), vgs_isa_to_string(vgs_isa_current()));
    printf("# supported:");
    for (int i = 0; i < (int)VGS_ISA_COUNT; i++)
        if (vgs_isa_supported((vgs_isa)i)) printf(" %s", vgs_isa_to_string((vgs_isa)i));
    printf("\n1..%zu\n", total);

    signal(SIGALRM, on_alarm);
    size_t n = 0, passed = 0, failed = 0, skipped = 0;
    double t_all = now_s();

    if (expect) {
        vgs_isa best = vgs_isa_best();
        n++;
        if (best == expect_isa) {
            printf("ok %zu - vgs_isa_best() == %s\n", n, expect);
            passed++;
        } else {
            printf("not ok %zu - vgs_isa_best() == %s\n# vgs_isa_best() returned %s\n", n,
                   expect, vgs_isa_to_string(best));
            failed++;
        }
    }

    char msg[2048], why[160];
    for (size_t i = 0; i < nisa; i++) {
        vgs_isa isa = isas[i];
        const char *iname = vgs_isa_to_string(isa);
        const char *skip = vgs_check_skip_reason(isa, why, sizeof why);
        printf("# isa: %s%s%s\n", iname, skip ? " -- skipped: " : "", skip ? skip : "");
        for (size_t t = 0; t < NTABLES; t++) {
            for (size_t c = 0; c < *COUNTS[t]; c++) {
                const vgs_check_case *tc = &TABLES[t][c];
                n++;
                if (skip) {
                    printf("ok %zu - %s/%s [%s] # SKIP %s\n", n, tc->suite, tc->name, iname, skip);
                    skipped++;
                    continue;
                }
                snprintf(timeout_line, sizeof timeout_line,
                         "not ok %zu - %s/%s [%s]\n# timed out after %u s\nBail out! timeout\n",
                         n, tc->suite, tc->name, iname, timeout);
                msg[0] = '\0';
                double t0 = now_s();
                if (timeout) alarm(timeout);
                int rc = tc->fn(isa, msg, sizeof msg);
                alarm(0);
                double dt = now_s() - t0;
                if (rc == 0) {
                    printf("ok %zu - %s/%s [%s]\n", n, tc->suite, tc->name, iname);
                    passed++;
                } else {
                    printf("not ok %zu - %s/%s [%s]\n", n, tc->suite, tc->name, iname);
                    print_diag(msg[0] ? msg : "(no message)");
                    failed++;
                }
                printf("# time: %.3f s\n", dt);
            }
        }
    }
    printf("# total time: %.3f s\n", now_s() - t_all);
    printf("tap_runner: %zu passed, %zu failed, %zu skipped\n", passed, failed, skipped);
    return failed ? 1 : 0;
}
