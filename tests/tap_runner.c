/* tests/tap_runner.c — runs the framework-free checks (tests/check_*.c) in ONE process and
 * prints TAP, for qemu-user where Criterion cannot fork its workers.
 *
 *   tap_runner [--expect-isa NAME] [--timeout SECONDS] [--check SUBSTR]... [--skip SUBSTR]...
 *              [--list] [isa...]
 *
 *   isa...            scalar | avx2 | avx512 | neon; default: every ISA this build and CPU
 *                     support.  A named ISA that cannot run here gives "# SKIP" lines.
 *   --expect-isa NAME adds test 1: vgs_isa_best() == NAME (asserts the dispatcher's choice,
 *                     e.g. under `qemu-x86_64 -cpu Haswell` or `qemu-x86_64 -cpu Nehalem`).
 *   --timeout S       per check (default 900 s; qemu is slow): a check still running is
 *                     reported "not ok" and the run bails out.  0: none.
 *   --check SUBSTR    run only the checks whose "suite/name" contains SUBSTR (repeatable).
 *   --skip SUBSTR     do not run the checks whose "suite/name" contains SUBSTR (repeatable;
 *                     applied after --check).  They are listed in a "# not run" line.
 *   --list            print the checks and exit.
 *
 * Tables: every table of checks.h whose check file is linked into this executable (they are
 * weak references here): vgs_kernel_checks (check_kernels.c), vgs_weights_checks,
 * vgs_refnet_checks, vgs_network_checks.  A check with `once` set runs once, on
 * vgs_isa_current(); the others once per ISA.
 *
 * Output: "# isa: NAME" before the checks of each ISA, "ok N - kernels/gemm [avx2]",
 * "not ok N - ..." followed by the reason as "# " lines, "# time: S s" after each check, and a
 * final "# tap_runner: P passed, F failed, S skipped" line; exit status 1 on any failure, 2 on a
 * usage error (or when no table is linked).
 *
 * Build: cc -O2 -g -I. tests/check_kernels.c tests/tap_runner.c tools/vggshuffle.c \
 *            -lsleef -lm -lpthread                      (add other tests/check_*.c at will) */
#include "checks.h"

#include <time.h>

/* Weak: the runner links with any subset of the check files. */
#pragma weak vgs_kernel_checks
#pragma weak vgs_kernel_checks_count
#pragma weak vgs_weights_checks
#pragma weak vgs_weights_checks_count
#pragma weak vgs_refnet_checks
#pragma weak vgs_refnet_checks_count
#pragma weak vgs_network_checks
#pragma weak vgs_network_checks_count
#pragma weak vgs_runtime_checks
#pragma weak vgs_runtime_checks_count
#pragma weak vgs_refnet_v2_checks
#pragma weak vgs_refnet_v2_checks_count

typedef struct table {
    const vgs_check_case *cases; /* NULL if that check file is not linked */
    const size_t *count;
} table;

static table TABLES[6];
static size_t NTABLES;

static void collect_tables(void)
{
    const vgs_check_case *cases[6] = {vgs_kernel_checks, vgs_weights_checks, vgs_refnet_checks,
                                      vgs_network_checks, vgs_runtime_checks, vgs_refnet_v2_checks};
    const size_t *counts[6] = {&vgs_kernel_checks_count, &vgs_weights_checks_count, &vgs_refnet_checks_count,
                               &vgs_network_checks_count, &vgs_runtime_checks_count, &vgs_refnet_v2_checks_count};
    for (size_t i = 0; i < 6; i++)
        if (cases[i] && counts[i]) {
            TABLES[NTABLES].cases = cases[i];
            TABLES[NTABLES].count = counts[i];
            NTABLES++;
        }
}

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

/* The --skip substrings. */
static const char *SKIP[64];
static size_t NSKIP;

/* Whether "suite/name" contains one of the --check substrings (all if none given) and none
 * of the --skip ones. */
static int selected(const vgs_check_case *tc, const char *const *only, size_t nonly)
{
    char full[256];
    snprintf(full, sizeof full, "%s/%s", tc->suite, tc->name);
    for (size_t i = 0; i < NSKIP; i++)
        if (strstr(full, SKIP[i])) return 0;
    if (nonly == 0) return 1;
    for (size_t i = 0; i < nonly; i++)
        if (strstr(full, only[i])) return 1;
    return 0;
}

static int usage(const char *argv0)
{
    fprintf(stderr, "usage: %s [--expect-isa scalar|avx2|avx512|neon] [--timeout SECONDS] "
                    "[--check SUBSTR]... [--skip SUBSTR]... [--list] [scalar|avx2|avx512|neon ...]\n",
            argv0);
    return 2;
}

typedef struct tally {
    size_t n, passed, failed, skipped;
} tally;

/* Run one check and print its TAP line(s).  label: "[avx2]" or "" */
static void run_one(tally *t, const vgs_check_case *tc, vgs_isa isa, const char *label,
                    const char *skip, unsigned timeout)
{
    static char msg[4096];
    t->n++;
    if (skip) {
        printf("ok %zu - %s/%s%s # SKIP %s\n", t->n, tc->suite, tc->name, label, skip);
        t->skipped++;
        return;
    }
    snprintf(timeout_line, sizeof timeout_line,
             "not ok %zu - %s/%s%s\n# timed out after %u s\nBail out! timeout\n", t->n, tc->suite,
             tc->name, label, timeout);
    msg[0] = '\0';
    double t0 = now_s();
    if (timeout) alarm(timeout);
    int rc = tc->fn(isa, msg, sizeof msg);
    alarm(0);
    double dt = now_s() - t0;
    if (rc == 0) {
        printf("ok %zu - %s/%s%s\n", t->n, tc->suite, tc->name, label);
        t->passed++;
    } else {
        printf("not ok %zu - %s/%s%s\n", t->n, tc->suite, tc->name, label);
        print_diag(msg[0] ? msg : "(no message)");
        t->failed++;
    }
    printf("# time: %.3f s\n", dt);
}

int main(int argc, char **argv)
{
    vgs_isa isas[VGS_ISA_COUNT * 4];
    size_t nisa = 0;
    const char *expect = NULL;
    vgs_isa expect_isa = VGS_ISA_SCALAR;
    unsigned timeout = 900;
    int list = 0;
    const char *only[64];
    size_t nonly = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if ((strcmp(a, "--expect-isa") == 0 && i + 1 < argc) || strncmp(a, "--expect-isa=", 13) == 0) {
            expect = a[12] == '=' ? a + 13 : argv[++i];
            if (vgs_isa_parse(expect, &expect_isa) != VGS_OK) {
                fprintf(stderr, "%s: unknown ISA '%s'\n", argv[0], expect);
                return usage(argv[0]);
            }
        } else if (strcmp(a, "--timeout") == 0 && i + 1 < argc) {
            timeout = (unsigned)strtoul(argv[++i], NULL, 10);
        } else if (strcmp(a, "--check") == 0 && i + 1 < argc) {
            if (nonly < sizeof only / sizeof only[0]) only[nonly++] = argv[++i];
        } else if (strcmp(a, "--skip") == 0 && i + 1 < argc) {
            if (NSKIP < sizeof SKIP / sizeof SKIP[0]) SKIP[NSKIP++] = argv[++i];
        } else if (strcmp(a, "--list") == 0) {
            list = 1;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(argv[0]);
            return 0;
        } else if (a[0] == '-') {
            fprintf(stderr, "%s: unknown option or missing value: '%s'\n", argv[0], a);
            return usage(argv[0]);
        } else {
            vgs_isa isa;
            if (vgs_isa_parse(a, &isa) != VGS_OK) {
                fprintf(stderr, "%s: unknown ISA '%s'\n", argv[0], a);
                return usage(argv[0]);
            }
            if (nisa < sizeof isas / sizeof isas[0]) isas[nisa++] = isa;
        }
    }

    collect_tables();
    if (NTABLES == 0) {
        fprintf(stderr, "%s: no check table linked in\n", argv[0]);
        return 2;
    }

    if (list) {
        for (size_t t = 0; t < NTABLES; t++)
            for (size_t c = 0; c < *TABLES[t].count; c++)
                if (selected(&TABLES[t].cases[c], only, nonly))
                    printf("%s/%s%s\n", TABLES[t].cases[c].suite, TABLES[t].cases[c].name,
                           TABLES[t].cases[c].once ? " (once)" : "");
        return 0;
    }

    if (nisa == 0) /* default: every ISA that can run here */
        for (int i = 0; i < (int)VGS_ISA_COUNT; i++)
            if (vgs_isa_supported((vgs_isa)i)) isas[nisa++] = (vgs_isa)i;

    size_t n_once = 0, n_per_isa = 0;
    for (size_t t = 0; t < NTABLES; t++)
        for (size_t c = 0; c < *TABLES[t].count; c++) {
            const vgs_check_case *tc = &TABLES[t].cases[c];
            if (!selected(tc, only, nonly)) continue;
            if (tc->once) n_once++;
            else n_per_isa++;
        }
    size_t total = (expect ? 1 : 0) + n_once + nisa * n_per_isa;

    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("TAP version 13\n");
    printf("# vggshuffle %s checks; isa best: %s, current: %s\n", VGS_VERSION_STRING,
           vgs_isa_to_string(vgs_isa_best()), vgs_isa_to_string(vgs_isa_current()));
    printf("# supported:");
    for (int i = 0; i < (int)VGS_ISA_COUNT; i++)
        if (vgs_isa_supported((vgs_isa)i)) printf(" %s", vgs_isa_to_string((vgs_isa)i));
    printf("\n");
    /* what --skip left out, so that a log says what did not run */
    size_t nleft = 0;
    for (size_t tb = 0; tb < NTABLES; tb++)
        for (size_t c = 0; c < *TABLES[tb].count; c++) {
            const vgs_check_case *tc = &TABLES[tb].cases[c];
            const size_t saved = NSKIP;
            NSKIP = 0; /* selected() without the skips */
            const int wanted = selected(tc, only, nonly);
            NSKIP = saved;
            if (wanted && !selected(tc, only, nonly))
                printf("%s %s/%s", nleft++ ? "" : "# not run (--skip):", tc->suite, tc->name);
        }
    if (nleft) printf("\n");
    printf("1..%zu\n", total);

    signal(SIGALRM, on_alarm);
    tally t = {0, 0, 0, 0};
    double t_all = now_s();

    if (expect) {
        vgs_isa best = vgs_isa_best();
        t.n++;
        if (best == expect_isa) {
            printf("ok %zu - vgs_isa_best() == %s\n", t.n, expect);
            t.passed++;
        } else {
            printf("not ok %zu - vgs_isa_best() == %s\n# vgs_isa_best() returned %s\n", t.n,
                   expect, vgs_isa_to_string(best));
            t.failed++;
        }
    }

    if (n_once) {
        vgs_isa cur = vgs_isa_current();
        printf("# isa-independent checks (run once, current isa: %s)\n", vgs_isa_to_string(cur));
        for (size_t tb = 0; tb < NTABLES; tb++)
            for (size_t c = 0; c < *TABLES[tb].count; c++) {
                const vgs_check_case *tc = &TABLES[tb].cases[c];
                if (tc->once && selected(tc, only, nonly)) run_one(&t, tc, cur, "", NULL, timeout);
            }
    }

    char why[160], label[32];
    for (size_t i = 0; i < nisa && n_per_isa; i++) {
        vgs_isa isa = isas[i];
        const char *iname = vgs_isa_to_string(isa);
        const char *skip = vgs_check_skip_reason(isa, why, sizeof why);
        printf("# isa: %s%s%s\n", iname, skip ? " -- skipped: " : "", skip ? skip : "");
        snprintf(label, sizeof label, " [%s]", iname);
        for (size_t tb = 0; tb < NTABLES; tb++)
            for (size_t c = 0; c < *TABLES[tb].count; c++) {
                const vgs_check_case *tc = &TABLES[tb].cases[c];
                if (!tc->once && selected(tc, only, nonly)) run_one(&t, tc, isa, label, skip, timeout);
            }
    }
    printf("# total time: %.3f s\n", now_s() - t_all);
    printf("# tap_runner: %zu passed, %zu failed, %zu skipped\n", t.passed, t.failed, t.skipped);
    return t.failed ? 1 : 0;
}
