/* SPDX-License-Identifier: MIT */
/*
 * bench_util.h — machine description shared by bench/pin and bench/reclaim
 * (clocks and statistics come from bench/common/bench.h).  Header-only;
 * benchmark code, not library code.
 */
#ifndef TERN_BENCH_UTIL_H
#define TERN_BENCH_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/bench.h" /* clocks (bench_clock_ns) and bench_stat_of() */

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
