/* SPDX-License-Identifier: MIT */
/* bench/common/out.c — CSV files, the machine description and progress lines (out.h). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "out.h"

FILE *bench_csv_open(const char *prog, const char *path, const char *header)
{
	if (path == NULL)
		return NULL;
	FILE *f = fopen(path, "w");
	if (f == NULL) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		exit(2);
	}
	fprintf(f, "%s\n", header);
	return f;
}

int bench_csv_close(const char *prog, FILE *f, const char *path)
{
	if (f != NULL && fclose(f) != 0) {
		fprintf(stderr, "%s: %s: write failed\n", prog, path);
		return 2;
	}
	return 0;
}

void bench_csv_num(FILE *f, double v)
{
	if (!isnan(v))
		fprintf(f, "%.4f", v);
}

void bench_cpu_model(char *buf, size_t len)
{
	snprintf(buf, len, "unknown");
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (f == NULL)
		return;
	char line[512];
	while (fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, "model name", 10) != 0)
			continue;
		char *p = strchr(line, ':');
		if (p != NULL) {
			p += 1 + strspn(p + 1, " \t");
			p[strcspn(p, "\n")] = '\0';
			snprintf(buf, len, "%s", p);
		}
		break;
	}
	fclose(f);
	for (char *q = buf; *q != '\0'; q++)
		if (*q == ',')
			*q = ' ';
}

const char *bench_compiler(void)
{
#if defined(__clang__)
	return "clang " __clang_version__;
#elif defined(__GNUC__)
	return "gcc " __VERSION__;
#else
	return "cc";
#endif
}

void bench_loadavg(char *buf, size_t len)
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

void bench_print_machine(FILE *f, const char *prefix, const char *cpu)
{
	fprintf(f, "%scpu: %s; %ld online cpus; compiler: %s\n", prefix, cpu, sysconf(_SC_NPROCESSORS_ONLN),
		bench_compiler());
}

void bench_progress(int step, int total, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "[%4d/%d] ", step, total);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}
