/*
 * bench_util.h — clocks, order statistics and machine description shared by
 * bench/pin and bench/reclaim.  Header-only; benchmark code, not library code.
 */
#ifndef TERN_BENCH_UTIL_H
#define TERN_BENCH_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* => nanoseconds on clock `id` (CLOCK_MONOTONIC, CLOCK_THREAD_CPUTIME_ID, ...). */
static inline uint64_t bench_now_ns(clockid_t id)
{
	struct timespec ts;
	if (clock_gettime(id, &ts) != 0) {
		perror("clock_gettime");
		exit(2);
	}
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Order statistics of n samples (n >= 1); sorts v in place. */
struct bench_summary {
	double median, min, max;
};

static inline struct bench_summary bench_summarize(double *v, size_t n)
{
	struct bench_summary s = {0, 0, 0};
	if (n == 0)
		return s;
	qsort(v, n, sizeof *v, bench_cmp_double);
	s.min = v[0];
	s.max = v[n - 1];
	s.median = (n % 2) ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	return s;
}

/* Copies the CPU's model name (from /proc/cpuinfo) into buf, commas removed
 * so it can sit in a CSV field. */
static inline void bench_cpu_model(char *buf, size_t len)
{
	snprintf(buf, len, "unknown");
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (f == NULL)
		return;
	char line[512];
	while (fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, "model name", 10) == 0) {
			char *p = strchr(line, ':');
			if (p == NULL)
				break;
			p++;
			while (*p == ' ' || *p == '\t')
				p++;
			p[strcspn(p, "\n")] = '\0';
			snprintf(buf, len, "%s", p);
			break;
		}
	}
	fclose(f);
	for (char *q = buf; *q != '\0'; q++)
		if (*q == ',')
			*q = ' ';
}

/* The compiler, as a CSV-safe string. */
static inline const char *bench_compiler(void)
{
#if defined(__clang__)
	return "clang " __clang_version__;
#elif defined(__GNUC__)
	return "gcc " __VERSION__;
#else
	return "cc";
#endif
}

#endif /* TERN_BENCH_UTIL_H */
