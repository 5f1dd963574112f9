/* SPDX-License-Identifier: MIT */
/* bench/common/stats.c — statistics (stats.h) and the per-thread transform time (bench.h). */
#include <stdlib.h>

#include "bench.h"

_Thread_local uint64_t bench_transform_cpu_ns;

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

struct bench_stat bench_stat_of(double *v, size_t n)
{
	struct bench_stat s = {0, 0, 0};
	if (n == 0)
		return s;
	qsort(v, n, sizeof *v, cmp_double);
	s.min = v[0];
	s.max = v[n - 1];
	s.median = (n % 2) ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	return s;
}

double bench_pct(const double *v, size_t n, double p)
{
	if (n == 0)
		return 0;
	double x = p * (double)(n - 1);
	size_t i = (size_t)x;
	if (i + 1 >= n)
		return v[n - 1];
	return v[i] + (v[i + 1] - v[i]) * (x - (double)i);
}

struct bench_spread bench_spread_of(double *v, size_t n)
{
	struct bench_stat s = bench_stat_of(v, n);
	return (struct bench_spread){s.median, bench_pct(v, n, 0.10), bench_pct(v, n, 0.90), s.min, s.max};
}

void bench_shuffle(unsigned *v, unsigned n, uint64_t *seed)
{
	for (unsigned i = n; i > 1; i--) {
		unsigned j = (unsigned)(bench_rng_next(seed) % i);
		unsigned t = v[i - 1];
		v[i - 1] = v[j];
		v[j] = t;
	}
}
