/* bench/ab/ab_net.c — two builds of the library (tools/ab.sh: A and B, bench/ab/variant.c) on
 * one net in one process, their passes interleaved (A B, then B A, ...): per round the median
 * of each, and the median over rounds of B / A.  On a machine whose speed drifts (other
 * tenants; 2x over minutes on the project's VM), both see the same drift, so the ratio holds
 * where two processes run minutes apart do not.  Also says whether the logits are identical.
 * On more than one thread each timed pass follows a 3 ms pause and an untimed pass of its own
 * build, as in bench_net: else the other build's pool workers, still spinning from its pass
 * (vggshuffle.h: VGS__SPINS), share the cores with this one's (all 2-thread ratios before stop
 * 25's last commits were taken so: the same for both builds, but not the speed of either).
 *   ab_net MODEL WEIGHTS THREADS ROUNDS PASSES */
#include "../bench_common.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int abA_create(const char *, const char *, int, void **), abA_forward(void *, const float *, float *, size_t);
int abB_create(const char *, const char *, int, void **), abB_forward(void *, const float *, float *, size_t);
const char *abA_error(void), *abB_error(void);
void abA_sizes(void *, size_t *, size_t *), abB_sizes(void *, size_t *, size_t *);

#define AB_MAX 1000

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: ab_net MODEL WEIGHTS THREADS ROUNDS PASSES\n");
        return 2;
    }
    const int threads = atoi(argv[3]), rounds = atoi(argv[4]), passes = atoi(argv[5]);
    if (threads < 1 || rounds < 1 || rounds > AB_MAX || passes < 1 || passes > AB_MAX) {
        fprintf(stderr, "ab_net: THREADS >= 1, ROUNDS and PASSES 1..%d\n", AB_MAX);
        return 2;
    }
    void *net[2];
    if (abA_create(argv[1], argv[2], threads, &net[0])) return fprintf(stderr, "ab_net: A: %s\n", abA_error()), 1;
    if (abB_create(argv[1], argv[2], threads, &net[1])) return fprintf(stderr, "ab_net: B: %s\n", abB_error()), 1;
    int (*const fw[2])(void *, const float *, float *, size_t) = {abA_forward, abB_forward};
    size_t IN, OUT, in_b, out_b;
    abA_sizes(net[0], &IN, &OUT);
    abB_sizes(net[1], &in_b, &out_b);
    if (IN != in_b || OUT != out_b) return fprintf(stderr, "ab_net: A and B disagree on the net's shape\n"), 1;
    float *x = malloc(sizeof(float) * IN), *y[2] = {malloc(sizeof(float) * OUT), malloc(sizeof(float) * OUT)};
    double *t[2] = {malloc(sizeof(double) * passes), malloc(sizeof(double) * passes)};
    double *ratio = malloc(sizeof(double) * rounds), *med[2] = {malloc(sizeof(double) * rounds), malloc(sizeof(double) * rounds)};
    if (!x || !y[0] || !y[1] || !t[0] || !t[1] || !ratio || !med[0] || !med[1]) return fprintf(stderr, "ab_net: out of memory\n"), 1;
    for (size_t i = 0; i < IN; i++) x[i] = (float)((i * 2654435761u) % 1000) / 500.0f - 1.0f;
    for (int r = 0; r < rounds; r++) {
        for (int p = 0; p < passes; p++) {
            for (int v = 0; v < 2; v++) {
                const int j = (p + r) & 1 ? 1 - v : v;
                /* on 2+ threads, as bench_net: the other build's workers asleep, this one's awake
                 * from an untimed pass (w = 0); the timed pass last */
                if (threads > 1) bench_let_pools_sleep();
                double t0 = 0.0;
                for (int w = threads > 1 ? 0 : 1; w < 2; w++) {
                    if (w) t0 = bench_now_ms();
                    if (fw[j](net[j], x, y[j], OUT)) return fprintf(stderr, "ab_net: %c: %s\n", 'A' + j, j ? abB_error() : abA_error()), 1;
                }
                t[j][p] = bench_now_ms() - t0;
            }
        }
        for (int j = 0; j < 2; j++) qsort(t[j], (size_t)passes, sizeof(double), bench_cmp), med[j][r] = t[j][passes / 2];
        ratio[r] = med[1][r] / med[0][r];
        printf("round %d: A %.3f ms, B %.3f ms, B/A %.3f\n", r + 1, med[0][r], med[1][r], ratio[r]);
    }
    qsort(ratio, (size_t)rounds, sizeof(double), bench_cmp);
    for (int j = 0; j < 2; j++) qsort(med[j], (size_t)rounds, sizeof(double), bench_cmp);
    printf("%s, %d thread%s: A %.3f ms, B %.3f ms (medians of the round medians); B/A median %.3f [%.3f-%.3f]; logits %s\n",
           argv[1], threads, threads > 1 ? "s" : "", med[0][rounds / 2], med[1][rounds / 2], ratio[rounds / 2], ratio[0],
           ratio[rounds - 1], memcmp(y[0], y[1], sizeof(float) * OUT) ? "differ" : "identical");
    return 0;
}
