/* SPDX-License-Identifier: MIT */
/*
 * bench/lazy/main.c — tern-bench, the driver of `make bench`.
 *
 *   tern-bench run --out RAW.csv [options]    measure, one raw row per step
 *   tern-bench report [options] RAW.csv...    medians, ratios, table, CSV, JSON
 *   tern-bench list                           implementation names (for checks)
 *
 * run options:
 *   --scenarios lazy,breakdown   which scenarios (default both)
 *   --seconds S                  length of one step (default 0.18)
 *   --rounds R                   rounds; each round runs every step once (default 7)
 *   --consumers 1,2,4,8          consumer counts of the lazy sweep
 *   --breakdown-consumers N      consumers in the breakdown (default 8, the seed's)
 *   --malloc NAME                label of the allocator in use (glibc, jemalloc)
 *   --java CMD / --rust CMD      start the Java / Rust harness with CMD
 *   --only a,b,c                 run only these implementations
 *
 * Steps are interleaved: in each round every (scenario, consumer count or
 * payload) group runs each implementation once, the C ones in this process
 * and the Java and Rust ones in their long-lived child processes, in an
 * order rotated from round to round.
 */
#include <signal.h>
#include <unistd.h>

#include "runner.h"

#define MAX_LIST 16

struct opts {
	const char *out;
	bool lazy, breakdown;
	double seconds;
	unsigned rounds;
	unsigned consumers[MAX_LIST];
	unsigned nconsumers;
	unsigned bd_consumers;
	const char *malloc_name;
	const char *java, *rust;
	const char *only;
};

/* One entry of a step group: a C implementation or a child's. */
struct entry {
	const char *name;
	const char *lang;
	const struct lazy_impl *lazy;
	const struct breakdown_impl *bd;
	struct child *child;
};

static bool selected(const struct opts *o, const char *name)
{
	return bench_in_list(o->only, name);
}

static _Noreturn void usage(void)
{
	fprintf(stderr, "usage: tern-bench run --out RAW.csv [--scenarios lazy,breakdown] [--seconds S]\n"
			"         [--rounds R] [--consumers 1,2,4,8] [--breakdown-consumers N]\n"
			"         [--malloc NAME] [--java CMD] [--rust CMD] [--only a,b]\n"
			"       tern-bench report [--csv F] [--json F] [--dat-lazy F] [--dat-breakdown F]\n"
			"         [--meta k=v]... RAW.csv...\n"
			"       tern-bench list\n");
	exit(2);
}

/* CPU ns per read, the transform path (bench_xform_begin()) and the reads that ran it taken out. */
static double read_ns(const struct step_result *r)
{
	uint64_t cpu = r->cpu_ns > r->xform_ns ? r->cpu_ns - r->xform_ns : 0;
	uint64_t reads = r->ops > r->xreads ? r->ops - r->xreads : 1;
	return (double)cpu / (double)reads;
}

static void print_row(FILE *f, const struct opts *o, const char *scenario, const struct entry *e,
		      int consumers, const char *payload, int round, const struct step_result *r)
{
	double ops = r->ops ? (double)r->ops : 1;
	fprintf(f, "%s,%s,%s,%s,%d,%s,%d,%.4f,%.4f,%.4f,%llu,%.1f,%llu,%llu,%llu\n", scenario,
		o->malloc_name, e->name, e->lang, consumers, payload, round, read_ns(r),
		(double)r->cpu_ns / ops, (double)r->wall_ns / ops, (unsigned long long)r->ops,
		(double)r->prod_ns,
		(unsigned long long)r->prod_iters, (unsigned long long)r->transforms,
		(unsigned long long)r->hits);
	fflush(f);
}

static int run_main(int argc, char **argv)
{
	struct opts o = {
		.lazy = true, .breakdown = true, .seconds = 0.18, .rounds = 7,
		.consumers = { 1, 2, 4, 8 }, .nconsumers = 4, .bd_consumers = 8,
		.malloc_name = "glibc",
	};
	const char *scenarios = NULL;
	const struct bench_opt table[] = {
		{"out", BO_STR, &o.out, "RAW.csv", NULL, NULL, 0, 0},
		{"scenarios", BO_STR, &scenarios, "lazy,breakdown", NULL, NULL, 0, 0},
		{"seconds", BO_DOUBLE, &o.seconds, "S", NULL, NULL, 0, 0},
		{"rounds", BO_UINT, &o.rounds, "R", NULL, NULL, 0, 0},
		{"consumers", BO_LIST, o.consumers, "1,2,4,8", NULL, &o.nconsumers, MAX_LIST, 256},
		{"breakdown-consumers", BO_UINT, &o.bd_consumers, "N", NULL, NULL, 0, 0},
		{"malloc", BO_STR, &o.malloc_name, "NAME", NULL, NULL, 0, 0},
		{"java", BO_STR, &o.java, "CMD", NULL, NULL, 0, 0},
		{"rust", BO_STR, &o.rust, "CMD", NULL, NULL, 0, 0},
		{"only", BO_STR, &o.only, "a,b", NULL, NULL, 0, 0},
		BENCH_OPT_END,
	};
	bench_opts_parse("tern-bench run", table, NULL, argc, argv);
	if (scenarios) {
		o.lazy = strstr(scenarios, "lazy") != NULL;
		o.breakdown = strstr(scenarios, "breakdown") != NULL;
	}
	if (o.java && !*o.java)
		o.java = NULL;
	if (o.rust && !*o.rust)
		o.rust = NULL;
	if (!o.out || !(o.seconds > 0) || o.rounds < 1 || o.bd_consumers < 1)
		bench_usage("tern-bench run", table, NULL);
	signal(SIGPIPE, SIG_IGN);

	FILE *out = fopen(o.out, "w");
	if (!out) {
		perror(o.out);
		return 1;
	}
	fprintf(out, "scenario,malloc,impl,lang,consumers,payload,round,cpu_ns_op,cpu_incl_ns_op,"
		     "wall_ns_op,ops,producer_ns_median,producer_iters,transforms,hits\n");

	struct child java = { 0 }, rust = { 0 };
	bool have_java = false, have_rust = false;
	if (o.java && o.lazy && selected(&o, "java")) {
		have_java = child_start(&java, "java", o.java) == 0;
		if (have_java)
			fprintf(stderr, "bench: java: %s\n", java.desc);
	}
	if (o.rust && (selected(&o, "rust-clone") || selected(&o, "rust-borrow") ||
		       selected(&o, "crossbeam") || selected(&o, "rust"))) {
		have_rust = child_start(&rust, "rust", o.rust) == 0;
		if (have_rust)
			fprintf(stderr, "bench: rust: %s\n", rust.desc);
	}

	/* The lazy group. */
	struct entry lazy[MAX_LIST * 2];
	int nlazy = 0;
	for (const struct lazy_impl *const *p = lazy_impls; *p; p++)
		if (selected(&o, (*p)->name))
			lazy[nlazy++] = (struct entry){ (*p)->name, "c", *p, NULL, NULL };
	if (have_java)
		lazy[nlazy++] = (struct entry){ "java", "java", NULL, NULL, &java };
	if (have_rust) {
		if (selected(&o, "rust-clone"))
			lazy[nlazy++] = (struct entry){ "rust-clone", "rust", NULL, NULL, &rust };
		if (selected(&o, "rust-borrow"))
			lazy[nlazy++] = (struct entry){ "rust-borrow", "rust", NULL, NULL, &rust };
	}
	/* The breakdown groups, one per payload. */
	struct entry bd[BD_NPAYLOADS][MAX_LIST];
	int nbd[BD_NPAYLOADS] = { 0 };
	for (int k = 0; k < BD_NPAYLOADS; k++) {
		for (const struct breakdown_impl *const *p = breakdown_impls; *p; p++)
			if ((*p)->consume[k] && selected(&o, (*p)->name))
				bd[k][nbd[k]++] = (struct entry){ (*p)->name, "c", NULL, *p, NULL };
		const char *rname = k == BD_LOAD ? "rust" : "crossbeam";
		if (have_rust && selected(&o, rname))
			bd[k][nbd[k]++] = (struct entry){ rname, "rust", NULL, NULL, &rust };
	}

	int per_round = 0;
	if (o.lazy)
		per_round += nlazy * o.nconsumers;
	if (o.breakdown)
		for (int k = 0; k < BD_NPAYLOADS; k++)
			per_round += nbd[k];
	int total = per_round * (int)o.rounds, step = 0;
	fprintf(stderr, "bench: %d steps of %.2f s (%u rounds), malloc=%s\n", total, o.seconds,
		o.rounds, o.malloc_name);

	if (have_java) { /* let the JIT compile the read loop before the first measurement */
		struct step_result r;
		fprintf(stderr, "bench: java: warming up the JIT\n");
		if (child_run(&java, "lazy", "java", 2, "str", o.seconds > 0.3 ? o.seconds : 0.3, &r) != 0)
			have_java = false;
	}

	int failures = 0;
	for (int round = 1; round <= (int)o.rounds; round++) {
		for (int g = 0; g < (o.lazy ? (int)o.nconsumers : 0); g++) {
			for (int i = 0; i < nlazy; i++) {
				const struct entry *e = &lazy[(i + round - 1) % nlazy];
				struct step_result r;
				int rc = 0;
				step++;
				if (e->child)
					rc = child_run(e->child, "lazy", e->name, (int)o.consumers[g], "str",
						       o.seconds, &r);
				else
					run_lazy_step(e->lazy, (int)o.consumers[g], o.seconds, &r);
				if (rc != 0) {
					failures++;
					continue;
				}
				print_row(out, &o, "lazy", e, (int)o.consumers[g], "str", round, &r);
				bench_progress(
				    step, total,
				    "lazy      %-18s n=%-2d          round %d/%u %9.2f ns/op cpu %9.2f wall",
				    e->name, (int)o.consumers[g], round, o.rounds,
				    read_ns(&r),
				    (double)r.wall_ns / (double)(r.ops ? r.ops : 1));
			}
		}
		for (int k = 0; k < (o.breakdown ? BD_NPAYLOADS : 0); k++) {
			for (int i = 0; i < nbd[k]; i++) {
				const struct entry *e = &bd[k][(i + round - 1) % nbd[k]];
				struct step_result r;
				int rc = 0;
				step++;
				if (e->child)
					rc = child_run(e->child, "breakdown", e->name, (int)o.bd_consumers,
						       bench_payloads[k], o.seconds, &r);
				else
					run_breakdown_step(e->bd, k, (int)o.bd_consumers, o.seconds, &r);
				if (rc != 0) {
					failures++;
					continue;
				}
				print_row(out, &o, "breakdown", e, (int)o.bd_consumers, bench_payloads[k], round, &r);
				bench_progress(step, total,
				        "breakdown %-18s n=%-2d %-8s round %d/%u %9.2f ns/op cpu %9.2f wall",
				        e->name, (int)o.bd_consumers, bench_payloads[k], round, o.rounds,
				        (double)r.cpu_ns / (double)(r.ops ? r.ops : 1),
				        (double)r.wall_ns / (double)(r.ops ? r.ops : 1));
			}
		}
	}
	if (have_java)
		child_stop(&java);
	if (have_rust)
		child_stop(&rust);
	if (fclose(out) != 0) {
		perror(o.out);
		return 1;
	}
	if (failures)
		fprintf(stderr, "bench: %d steps failed (see above)\n", failures);
	return failures ? 1 : 0;
}

static int list_main(void)
{
	for (const struct lazy_impl *const *p = lazy_impls; *p; p++)
		printf("lazy %s c %s\n", (*p)->name, (*p)->desc);
	for (const struct breakdown_impl *const *p = breakdown_impls; *p; p++)
		printf("breakdown %s c %s\n", (*p)->name, (*p)->desc);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "run") == 0)
		return run_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "report") == 0)
		return report_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "list") == 0)
		return list_main();
	usage();
}
