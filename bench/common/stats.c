/* bench/common/stats.c — medians and ranges for the benchmark report. */
#include "bench.h"

_Thread_local uint64_t bench_transform_cpu_ns;

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

struct bench_stat bench_stat_of(double *v, size_t n)
{
	struct bench_stat s = { 0, 0, 0 };
	if (n == 0)
		return s;
	qsort(v, n, sizeof *v, cmp_double);
	s.min = v[0];
	s.max = v[n - 1];
	s.median = (n % 2) ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	return s;
}
