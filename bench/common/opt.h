/* SPDX-License-Identifier: MIT */
/*
 * bench/common/opt.h — the option parser and usage text of every bench
 * driver: a table of options, parsed from `--name=value` or `--name value`
 * (flags and options with an implicit value take no separate argument).
 */
#ifndef TERN_BENCH_OPT_H
#define TERN_BENCH_OPT_H

#include <stdbool.h>
#include <stdint.h>

enum bench_opt_kind {
	BO_FLAG,   /* bool; no value */
	BO_UINT,   /* unsigned */
	BO_U64,    /* uint64_t */
	BO_DOUBLE, /* double */
	BO_STR,    /* const char * (points into argv) */
	BO_LIST,   /* unsigned[cap], comma-separated, each 1..hi; the count in *count */
	BO_STRS,   /* const char *[cap]: every use of the option adds one; the count in *count */
};

struct bench_opt {
	const char *name; /* without the leading "--" */
	enum bench_opt_kind kind;
	void *dst;
	const char *arg;      /* the value's name in the usage text ("N", "a,b") */
	const char *implicit; /* BO_STR: the value of a bare `--name` (NULL: a value is required) */
	unsigned *count;      /* BO_LIST, BO_STRS */
	unsigned cap, hi;     /* BO_LIST, BO_STRS (cap) */
};

#define BENCH_OPT_END { NULL, BO_FLAG, NULL, NULL, NULL, NULL, 0, 0 }
/* Table rows of the common shapes: BENCH_OPT_UINT("rounds", &o->rounds, "N"). */
#define BENCH_OPT_FLAG(name, dst) { (name), BO_FLAG, (dst), NULL, NULL, NULL, 0, 0 }
#define BENCH_OPT_UINT(name, dst, arg) { (name), BO_UINT, (dst), (arg), NULL, NULL, 0, 0 }
#define BENCH_OPT_U64(name, dst, arg) { (name), BO_U64, (dst), (arg), NULL, NULL, 0, 0 }
#define BENCH_OPT_DOUBLE(name, dst, arg) { (name), BO_DOUBLE, (dst), (arg), NULL, NULL, 0, 0 }
#define BENCH_OPT_STR(name, dst, arg) { (name), BO_STR, (dst), (arg), NULL, NULL, 0, 0 }
#define BENCH_OPT_LIST(name, dst, arg, count, cap, hi) { (name), BO_LIST, (dst), (arg), NULL, (count), (cap), (hi) }

/* Parses argv[1..argc) into the table, up to the first argument that is not
 * an option; an unknown option or a bad value prints the usage (prog, the
 * table, then `more`) and exits with status 2.  => the index of the first
 * positional argument (argc if none). */
int bench_opts_parse_some(const char *prog, const struct bench_opt *opts, const char *more, int argc, char **argv);
/* The same, with no positional argument allowed. */
void bench_opts_parse(const char *prog, const struct bench_opt *opts, const char *more, int argc, char **argv);
/* Prints the usage and exits with status 2. */
_Noreturn void bench_usage(const char *prog, const struct bench_opt *opts, const char *more);

/* => whether `name` is one of the comma-separated `list` (NULL: all). */
bool bench_in_list(const char *list, const char *name);

#endif /* TERN_BENCH_OPT_H */
