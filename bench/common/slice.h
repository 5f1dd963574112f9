/* SPDX-License-Identifier: MIT */
/*
 * bench/common/slice.h — helpers of the slice-mode drivers (bench/reclaim,
 * bench/containers): sleeping, semaphores and barriers that retry, the
 * shuffled round order, percentiles, name lists and the load average.
 * Header-only; benchmark code, not library code.
 */
#ifndef TERN_BENCH_SLICE_H
#define TERN_BENCH_SLICE_H

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h" /* bench_rng_next(), bench_stat_of() */

static inline void bench_sleep_ns(uint64_t ns)
{
	struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static inline void bench_sem_wait(sem_t *s)
{
	while (sem_wait(s) != 0)
		if (errno != EINTR) {
			perror("sem_wait");
			abort();
		}
}

static inline void bench_barrier_wait(pthread_barrier_t *b)
{
	int rc = pthread_barrier_wait(b);
	if (rc != 0 && rc != PTHREAD_BARRIER_SERIAL_THREAD)
		abort();
}

/* Fisher-Yates shuffle of v[0..n) with xorshift64 state *seed (nonzero):
 * the order of the rows within one round. */
static inline void bench_shuffle(unsigned *v, unsigned n, uint64_t *seed)
{
	for (unsigned i = n; i > 1; i--) {
		unsigned j = (unsigned)(bench_rng_next(seed) % i);
		unsigned t = v[i - 1];
		v[i - 1] = v[j];
		v[j] = t;
	}
}

/* Percentile p (0..1) of sorted v[0..n), interpolated. */
static inline double bench_pct(const double *v, size_t n, double p)
{
	if (n == 0)
		return 0;
	double x = p * (double)(n - 1);
	size_t i = (size_t)x;
	if (i + 1 >= n)
		return v[n - 1];
	return v[i] + (v[i + 1] - v[i]) * (x - (double)i);
}

/* Median, p10 and p90 (and min, max) of v[0..n); sorts v. */
struct bench_spread {
	double median, p10, p90, min, max;
};

static inline struct bench_spread bench_spread_of(double *v, size_t n)
{
	struct bench_stat s = bench_stat_of(v, n);
	return (struct bench_spread){s.median, bench_pct(v, n, 0.10), bench_pct(v, n, 0.90), s.min, s.max};
}

/* => whether `name` is one of the comma-separated `list` (NULL: all). */
static inline bool bench_in_list(const char *list, const char *name)
{
	if (list == NULL)
		return true;
	size_t n = strlen(name);
	for (const char *s = list; *s != '\0';) {
		size_t len = strcspn(s, ",");
		if (len == n && strncmp(s, name, n) == 0)
			return true;
		s += len;
		if (*s == ',')
			s++;
	}
	return false;
}

/* The first three fields of /proc/loadavg, or "unknown". */
static inline void bench_loadavg(char *buf, size_t len)
{
	snprintf(buf, len, "unknown");
	FILE *f = fopen("/proc/loadavg", "r");
	if (f == NULL)
		return;
	double a, b, c;
	if (fscanf(f, "%lf %lf %lf", &a, &b, &c) == 3)
		snprintf(buf, len, "%.2f %.2f %.2f", a, b, c);
	fclose(f);
}

#endif /* TERN_BENCH_SLICE_H */
