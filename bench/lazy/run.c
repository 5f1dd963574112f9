/* SPDX-License-Identifier: MIT */
/*
 * bench/lazy/run.c — `tern-bench run`: measures every step, one raw CSV row each.
 *
 *   --out RAW.csv                the raw rows (required)
 *   --scenarios lazy,breakdown   which scenarios (default both)
 *   --seconds S                  length of one step (default 0.18)
 *   --rounds R                   rounds; each round runs every step once (default 7)
 *   --consumers 1,2,4,8          consumer counts of the lazy sweep
 *   --breakdown-consumers N      consumers in the breakdown (default 8, the exercise's)
 *   --malloc NAME                label of the allocator in use (glibc, jemalloc)
 *   --java CMD / --rust CMD      start the Java / Rust harness with CMD
 *   --only a,b,c                 run only these implementations
 *
 * Steps come in groups (a scenario at one consumer count and payload); in
 * each round every group runs each of its implementations once, the C ones
 * in this process and the Java and Rust ones in their long-lived child
 * processes (bench/common/child.h; protocol in bench/rust/src/main.rs),
 * started once and driven step by step over pipes so the JVM stays warm,
 * in an order rotated from round to round.
 */
#include <signal.h>

#include "../common/child.h"
#include "runner.h"

/* A Java or Rust harness. */
struct child {
	struct bench_child c;
	char desc[256];
};

static void child_stop(struct child *c)
{
	bench_child_send(&c->c, "quit\n");
	bench_child_finish(&c->c, NULL);
}

/* Starts `cmd` with /bin/sh and waits for its "ready" line.  => 0 or -1 (message printed). */
static int child_start(struct child *c, const char *lang, const char *cmd)
{
	char line[512];
	memset(c, 0, sizeof *c);
	if (bench_child_start_sh(&c->c, lang, cmd) != 0)
		return -1;
	if (!bench_child_line(&c->c, line, sizeof line) || strncmp(line, "ready ", 6) != 0) {
		fprintf(stderr, "bench: %s: skipped (the harness did not start: %s)\n", lang, cmd);
		child_stop(c);
		return -1;
	}
	snprintf(c->desc, sizeof c->desc, "%.255s", line + 6);
	fprintf(stderr, "bench: %s: %s\n", lang, c->desc);
	return 0;
}

/* One step in the child: => 0 and *out, or -1 (message printed). */
static int child_run(struct child *c, const char *scenario, const char *impl, int consumers,
		     const char *payload, double seconds, struct lazy_result *out)
{
	char line[512];
	if (bench_child_send(&c->c, "run %s %s %d %s %.6f\n", scenario, impl, consumers, payload, seconds) != 0 ||
	    !bench_child_line(&c->c, line, sizeof line)) {
		fprintf(stderr, "bench: %s: the harness went away during %s/%s\n", c->c.name, impl, payload);
		child_stop(c);
		return -1;
	}
	unsigned long long v[9] = {0};
	/* result cpu wall ops prod_ns prod_iters transforms hits xform_ns xreads */
	if (sscanf(line, "result %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
		   &v[5], &v[6], &v[7], &v[8]) != 9) {
		fprintf(stderr, "bench: %s: %s\n", c->c.name, line);
		return -1;
	}
	*out = (struct lazy_result){.cpu_ns = v[0], .wall_ns = v[1], .ops = v[2], .prod_ns = v[3], .prod_iters = v[4],
				    .transforms = v[5], .hits = v[6], .xform_ns = v[7], .xreads = v[8]};
	return 0;
}

#define MAX_LIST 16
#define MAX_ENTRIES 32
#define MAX_GROUPS (MAX_LIST + BD_NPAYLOADS)

/* One implementation in a group: a C one (lazy or bd) or a child's. */
struct entry {
	const char *name, *lang;
	const struct lazy_impl *lazy;
	const struct breakdown_impl *bd;
	struct child *child;
};

struct group {
	const char *scenario, *payload;
	int consumers, k; /* k: the breakdown payload's index */
	int n;
	struct entry e[MAX_ENTRIES];
};

static void add(struct group *g, const char *name, const char *lang, const struct lazy_impl *lazy,
		const struct breakdown_impl *bd, struct child *child)
{
	if (g->n < MAX_ENTRIES)
		g->e[g->n++] = (struct entry){name, lang, lazy, bd, child};
}

/* CPU ns per read, the transform path (bench_xform_begin()) and the reads that ran it taken out. */
static double read_ns(const struct lazy_result *r)
{
	uint64_t cpu = r->cpu_ns > r->xform_ns ? r->cpu_ns - r->xform_ns : 0;
	uint64_t reads = r->ops > r->xreads ? r->ops - r->xreads : 1;
	return (double)cpu / (double)reads;
}

/* One step of entry e of group g.  => 0 and *r, or -1 (a child failed; message printed). */
static int run_entry(const struct group *g, const struct entry *e, double seconds, struct lazy_result *r)
{
	if (e->child)
		return child_run(e->child, g->scenario, e->name, g->consumers, g->payload, seconds, r);
	if (e->lazy)
		lazy_run_step(e->lazy, g->consumers, seconds, r);
	else
		lazy_run_breakdown_step(e->bd, g->k, g->consumers, seconds, r);
	return 0;
}

/* One raw CSV row. */
static void print_row(FILE *out, const char *malloc_name, const struct group *g, const struct entry *e, int round,
		      const struct lazy_result *r)
{
	double ops = r->ops ? (double)r->ops : 1;
	fprintf(out, "%s,%s,%s,%s,%d,%s,%d,%.4f,%.4f,%.4f,%llu,%.1f,%llu,%llu,%llu\n", g->scenario, malloc_name,
		e->name, e->lang, g->consumers, g->payload, round, read_ns(r), (double)r->cpu_ns / ops,
		(double)r->wall_ns / ops, (unsigned long long)r->ops, (double)r->prod_ns,
		(unsigned long long)r->prod_iters, (unsigned long long)r->transforms, (unsigned long long)r->hits);
	fflush(out);
}

int lazy_run_main(int argc, char **argv)
{
	const char *out_path = NULL, *scenarios = "lazy,breakdown", *malloc_name = "glibc";
	const char *java = NULL, *rust = NULL, *only = NULL;
	double seconds = 0.18;
	unsigned rounds = 7, consumers[MAX_LIST] = {1, 2, 4, 8}, ncons = 4, bd_consumers = 8;
	const struct bench_opt table[] = {
		{"out", BO_STR, &out_path, "RAW.csv", NULL, NULL, 0, 0},
		{"scenarios", BO_STR, &scenarios, "lazy,breakdown", NULL, NULL, 0, 0},
		{"seconds", BO_DOUBLE, &seconds, "S", NULL, NULL, 0, 0},
		{"rounds", BO_UINT, &rounds, "R", NULL, NULL, 0, 0},
		{"consumers", BO_LIST, consumers, "1,2,4,8", NULL, &ncons, MAX_LIST, 256},
		{"breakdown-consumers", BO_UINT, &bd_consumers, "N", NULL, NULL, 0, 0},
		{"malloc", BO_STR, &malloc_name, "NAME", NULL, NULL, 0, 0},
		{"java", BO_STR, &java, "CMD", NULL, NULL, 0, 0},
		{"rust", BO_STR, &rust, "CMD", NULL, NULL, 0, 0},
		{"only", BO_STR, &only, "a,b", NULL, NULL, 0, 0},
		BENCH_OPT_END,
	};
	bench_opts_parse("tern-bench run", table, NULL, argc, argv);
	bool lazy = strstr(scenarios, "lazy") != NULL, breakdown = strstr(scenarios, "breakdown") != NULL;
	if (!out_path || !(seconds > 0) || rounds < 1 || bd_consumers < 1)
		bench_usage("tern-bench run", table, NULL);
	signal(SIGPIPE, SIG_IGN);
	FILE *out = bench_csv_open("tern-bench run", out_path,
				   "scenario,malloc,impl,lang,consumers,payload,round,cpu_ns_op,cpu_incl_ns_op,"
				   "wall_ns_op,ops,producer_ns_median,producer_iters,transforms,hits");

	struct child jc, rc;
	struct child *jchild = NULL, *rchild = NULL;
	if (java && *java && lazy && bench_in_list(only, "java") && child_start(&jc, "java", java) == 0)
		jchild = &jc;
	if (rust && *rust &&
	    (bench_in_list(only, "rust-clone") || bench_in_list(only, "rust-borrow") ||
	     bench_in_list(only, "crossbeam") || bench_in_list(only, "rust")) &&
	    child_start(&rc, "rust", rust) == 0)
		rchild = &rc;

	/* The groups: the lazy sweep, then the breakdown by payload. */
	static struct group groups[MAX_GROUPS];
	int ng = 0, total = 0;
	for (unsigned c = 0; lazy && c < ncons; c++) {
		struct group *g = &groups[ng++];
		*g = (struct group){"lazy", "str", (int)consumers[c], -1, 0, {{0}}};
		for (const struct lazy_impl *const *p = lazy_impls; *p; p++)
			if (bench_in_list(only, (*p)->name))
				add(g, (*p)->name, "c", *p, NULL, NULL);
		if (jchild)
			add(g, "java", "java", NULL, NULL, jchild);
		for (int i = 0; rchild && i < 2; i++)
			if (bench_in_list(only, i ? "rust-borrow" : "rust-clone"))
				add(g, i ? "rust-borrow" : "rust-clone", "rust", NULL, NULL, rchild);
	}
	for (int k = 0; breakdown && k < BD_NPAYLOADS; k++) {
		struct group *g = &groups[ng++];
		*g = (struct group){"breakdown", lazy_payloads[k], (int)bd_consumers, k, 0, {{0}}};
		for (const struct breakdown_impl *const *p = lazy_breakdown_impls; *p; p++)
			if ((*p)->consume[k] && bench_in_list(only, (*p)->name))
				add(g, (*p)->name, "c", NULL, *p, NULL);
		const char *rname = k == BD_LOAD ? "rust" : "crossbeam";
		if (rchild && bench_in_list(only, rname))
			add(g, rname, "rust", NULL, NULL, rchild);
	}
	for (int i = 0; i < ng; i++)
		total += groups[i].n * (int)rounds;
	fprintf(stderr, "bench: %d steps of %.2f s (%u rounds), malloc=%s\n", total, seconds, rounds, malloc_name);

	if (jchild) { /* let the JIT compile the read loop before the first measurement */
		struct lazy_result r;
		fprintf(stderr, "bench: java: warming up the JIT\n");
		if (child_run(jchild, "lazy", "java", 2, "str", seconds > 0.3 ? seconds : 0.3, &r) != 0)
			jchild = NULL;
	}

	int failures = 0, step = 0;
	for (int round = 1; round <= (int)rounds; round++)
		for (const struct group *g = groups; g < groups + ng; g++)
			for (int i = 0; i < g->n; i++) {
				const struct entry *e = &g->e[(i + round - 1) % g->n];
				struct lazy_result r;
				if (run_entry(g, e, seconds, &r) != 0) {
					failures++;
					step++;
					continue;
				}
				print_row(out, malloc_name, g, e, round, &r);
				bench_progress(++step, total, "%-9s %-18s n=%-2d %-8s round %d/%u %9.2f ns/op cpu"
					       " %9.2f wall", g->scenario, e->name, g->consumers,
					       g->k < 0 ? "" : g->payload, round, rounds, read_ns(&r),
					       (double)r.wall_ns / (double)(r.ops ? r.ops : 1));
			}
	if (jchild)
		child_stop(jchild);
	if (rchild)
		child_stop(rchild);
	if (bench_csv_close("tern-bench run", out, out_path) != 0)
		return 1;
	if (failures)
		fprintf(stderr, "bench: %d steps failed (see above)\n", failures);
	return failures ? 1 : 0;
}
