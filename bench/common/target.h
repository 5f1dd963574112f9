/* SPDX-License-Identifier: MIT */
/*
 * bench/common/target.h — the target table: each scenario declares its
 * targets as data (an array of struct bench_target next to its rows) and a
 * function that measures one; bench_targets_report() evaluates and prints
 * them all, "met" or "MISSED".
 */
#ifndef TERN_BENCH_TARGET_H
#define TERN_BENCH_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum bench_cmp { BENCH_LE, BENCH_LT, BENCH_GE };

struct bench_target {
	const char *where;  /* the issue or bench it belongs to */
	const char *a, *b;  /* the ratio is row a's measure over row b's */
	enum bench_cmp cmp; /* ratio <= bound, < bound, >= bound */
	double bound;
	int at;             /* the scenario's own: where the ratio is taken */
	const char *text;   /* label; NULL: "a <= BOUNDx b" */
};

/* A scenario's measure of one target: => false if a row is missing; else
 * *ratio, and detail (printed after met/MISSED; may stay empty). */
typedef bool bench_target_fn(const struct bench_target *t, void *ctx, double *ratio, char *detail,
			     size_t dlen);

bool bench_target_met(const struct bench_target *t, double ratio);
/* The label of t into buf; => buf. */
const char *bench_target_label(const struct bench_target *t, char *buf, size_t len);
/* Prints one line per target: where, label, ratio, met/MISSED, detail (or
 * "not measured").  => the number missed;. */
int bench_targets_report(FILE *f, const struct bench_target *ts, size_t n, bench_target_fn *fn, void *ctx);

#endif /* TERN_BENCH_TARGET_H */
