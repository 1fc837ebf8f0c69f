/* bench/bench_common.h — timing helpers shared by the benchmarks: a monotonic clock and the
 * median of repeated runs.  This machine is shared and noisy: report medians, and compare
 * paths measured in the same run (interleaved), never numbers from different runs. */
#ifndef VGS_BENCH_COMMON_H
#define VGS_BENCH_COMMON_H
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <time.h>

static __attribute__((unused)) double bench_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* This thread's CPU time: for throughput probes (an FMA loop, a streaming read), whose wall
 * time on a loaded machine also counts the slices other processes ran in. */
static __attribute__((unused)) double bench_cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static __attribute__((unused)) int bench_cmp(const void *p, const void *q)
{
    const double a = *(const double *)p, b = *(const double *)q;
    return (a > b) - (a < b);
}

/* Before a timed pass of one of several nets in a process, each with its own pool: a 3 ms
 * pause, by which the other nets' pool workers, which spin for up to about a millisecond
 * after their pass (vggshuffle.h, VGS__SPINS), are asleep; the caller then runs an untimed
 * pass to wake its own.  Without it a 2-thread net shared the 2-core machine with the
 * spinning workers of the one before: 1.5-1.7x its time (V1 g3 1.0x at 2 threads 3.33 ms
 * among four nets in bench_net, 1.90 alone; Zen 4 VM). */
static __attribute__((unused)) void bench_let_pools_sleep(void)
{
    const struct timespec pause = {0, 3000000};
    nanosleep(&pause, NULL);
}

/* Median of n samples (sorts them). */
static __attribute__((unused)) double bench_median(double *t, size_t n)
{
    qsort(t, n, sizeof *t, bench_cmp);
    return n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}
#endif
