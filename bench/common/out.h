/* SPDX-License-Identifier: MIT */
/*
 * bench/common/out.h — output of every bench driver: the CSV writer, the
 * machine description (CPU model, compiler, load average) and progress lines.
 */
#ifndef TERN_BENCH_OUT_H
#define TERN_BENCH_OUT_H

#include <stddef.h>
#include <stdio.h>

/* Opens `path` for writing and writes the header line; NULL path: NULL.  A
 * file that cannot be opened prints "prog: path: error" and exits with 2. */
FILE *bench_csv_open(const char *prog, const char *path, const char *header);
/* Closes f (NULL: nothing); => 0, or 2 after a message if a write failed. */
int bench_csv_close(const char *prog, FILE *f, const char *path);
/* A CSV number field: %.4f, or empty for NaN. */
void bench_csv_num(FILE *f, double v);

/* Copies the CPU's model name (from /proc/cpuinfo) into buf, commas removed
 * so it can sit in a CSV field. */
void bench_cpu_model(char *buf, size_t len);
/* The compiler, as a CSV-safe string. */
const char *bench_compiler(void);
/* The first three fields of /proc/loadavg, or "unknown". */
void bench_loadavg(char *buf, size_t len);
/* The common banner line: "cpu: MODEL; N online cpus; compiler: CC". */
void bench_print_machine(FILE *f, const char *prefix, const char *cpu);

/* A progress line on stderr: "[step/total] " and the formatted text. */
void bench_progress(int step, int total, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif /* TERN_BENCH_OUT_H */
