/* SPDX-License-Identifier: MIT */
/* bench/common/stats.c — statistics (stats.h) and the transform window (bench.h). */
#include <stdlib.h>

#include "bench.h"

_Thread_local uint64_t bench_transform_cpu_ns;
_Thread_local uint64_t bench_xform_t0;
static _Thread_local uint64_t clock_cost;

void bench_xform_end(void)
{
	bench_transform_cpu_ns += bench_cpu_ns() - bench_xform_t0 + clock_cost;
	bench_xform_t0 = 0;
}

void bench_xform_reset(void)
{
	enum { N = 64 };
	uint64_t t0 = bench_cpu_ns(), t1 = t0;
	for (int i = 0; i < N; i++)
		t1 = bench_cpu_ns();
	clock_cost = (t1 - t0) / N;
	bench_transform_cpu_ns = 0;
	bench_xform_t0 = 0;
}

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
