/* SPDX-License-Identifier: MIT */
/*
 * bench/common/stats.h — the statistics of every bench driver: median,
 * min–max and p10–p90 of a set of per-round values, and the shuffled or
 * rotated order of the rows within a round.
 */
#ifndef TERN_BENCH_STATS_H
#define TERN_BENCH_STATS_H

#include <stddef.h>
#include <stdint.h>

struct bench_stat {
	double median, min, max;
};

/* Median, p10 and p90 (and min, max). */
struct bench_spread {
	double median, p10, p90, min, max;
};

/* Median, minimum and maximum of v[0..n) (sorts v).  n == 0 gives zeros. */
struct bench_stat bench_stat_of(double *v, size_t n);
/* Percentile p (0..1) of sorted v[0..n), interpolated. */
double bench_pct(const double *v, size_t n, double p);
/* Median, p10, p90, min and max of v[0..n); sorts v. */
struct bench_spread bench_spread_of(double *v, size_t n);

/* xorshift64 */
static inline uint64_t bench_rng_next(uint64_t *state)
{
	uint64_t x = *state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return x;
}

/* Fisher-Yates shuffle of v[0..n) with xorshift64 state *seed (nonzero):
 * the order of the rows within one round. */
void bench_shuffle(unsigned *v, unsigned n, uint64_t *seed);

#endif /* TERN_BENCH_STATS_H */
