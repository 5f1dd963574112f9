/* SPDX-License-Identifier: MIT */
/*
 * bench/pin — nanoseconds per empty read-side section (pin+unpin pair).
 *
 * Rows: a relaxed load (the floor), tern (membarrier mode), tern built with
 * TERN_EPOCH_FORCE_FENCE (a second binary, run as a child process in its turn
 * of every round), liburcu-memb and liburcu-mb with their read side inlined
 * (_LGPL_SOURCE), and ck_epoch_begin/end.
 *
 * Method: one pool of reader threads, registered once with every
 * implementation.  Each round runs every implementation, each at every code
 * placement (loops.h), with 1 and with 2 readers, in an order rotated from
 * round to round; a sample is `iters` sections per reader after a short
 * untimed warm-up, timed per reader with CLOCK_THREAD_CPUTIME_ID and
 * CLOCK_MONOTONIC.  A round's value is the mean over the readers.  For each
 * implementation and reader count the table shows its fastest placement (by
 * median thread CPU time): median over rounds, min–max, ratio to tern's
 * fastest placement; and the median of its slowest placement.
 *
 * Usage: tern-bench pin [--rounds=N] [--ms=M] [--threads=1,2] [--fence-bin=PATH]
 *                  [--csv=PATH]
 *        tern-bench pin --child --threads=T [--ms=M] [--impl=NAME]
 *          (child mode: one sample per placement, printed as
 *           "sample VARIANT THREAD CPU_NS WALL_NS")
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../common/bench.h"
#include "../common/child.h"
#include "../common/target.h"
#include "loops.h"

#define MAX_THREADS 8
#define MAX_ROUNDS 101
#define MAX_TCOUNTS 4
#define NV PIN_NVARIANTS

struct impl {
	const char *name;
	void *(*init)(void);    /* per reader thread, NULL if none */
	pin_loop_fn *loop[NV];  /* all NULL: measured by the child binary */
};

#ifdef TERN_EPOCH_FORCE_FENCE
#define TERN_ROW_NAME "tern-fence"
#else
#define TERN_ROW_NAME "tern"
#endif

static const struct impl impls[] = {
	{"floor", NULL, PIN_LOOPS(pin_loop_floor)},
	{TERN_ROW_NAME, pin_tern_thread_init, PIN_LOOPS(pin_loop_tern)},
#ifndef TERN_EPOCH_FORCE_FENCE
	{"tern-fence", NULL, {NULL}},
	{"urcu-memb", pin_urcu_memb_thread_init, PIN_LOOPS(pin_loop_urcu_memb)},
	{"urcu-mb", pin_urcu_mb_thread_init, PIN_LOOPS(pin_loop_urcu_mb)},
	{"ck_epoch", pin_ck_thread_init, PIN_LOOPS(pin_loop_ck)},
#endif
};
#define NIMPL (sizeof impls / sizeof impls[0])
static const char *const variant_names[NV] = PIN_VARIANT_NAMES;

/* ---- reader pool ---- */

struct job {
	size_t impl;
	unsigned variant;
	unsigned nthreads;
	uint64_t iters;
	bool quit;
};

struct result {
	double cpu_ns, wall_ns; /* per section */
};

static struct job job;
static struct result results[MAX_THREADS];
static void *ctxs[MAX_THREADS][NIMPL];
static pthread_barrier_t bar_start, bar_done;
static unsigned pool_size;
static volatile uint64_t sink; /* consumes the loops' return values */

static void *reader(void *arg)
{
	unsigned idx = (unsigned)(uintptr_t)arg;
	for (size_t k = 0; k < NIMPL; k++)
		ctxs[idx][k] = impls[k].init ? impls[k].init() : NULL;
	pthread_barrier_wait(&bar_done); /* registered */
	for (;;) {
		pthread_barrier_wait(&bar_start);
		if (job.quit)
			break;
		if (idx < job.nthreads) {
			pin_loop_fn *loop = impls[job.impl].loop[job.variant];
			void *ctx = ctxs[idx][job.impl];
			uint64_t s = loop(job.iters / 8 + 1, ctx); /* warm-up */
			uint64_t w0 = bench_clock_ns(CLOCK_MONOTONIC);
			uint64_t c0 = bench_clock_ns(CLOCK_THREAD_CPUTIME_ID);
			s += loop(job.iters, ctx);
			uint64_t c1 = bench_clock_ns(CLOCK_THREAD_CPUTIME_ID);
			uint64_t w1 = bench_clock_ns(CLOCK_MONOTONIC);
			results[idx].cpu_ns = (double)(c1 - c0) / (double)job.iters;
			results[idx].wall_ns = (double)(w1 - w0) / (double)job.iters;
			sink += s;
		}
		pthread_barrier_wait(&bar_done);
	}
	return NULL;
}

static pthread_t pool[MAX_THREADS];

static void pool_start(unsigned n)
{
	pool_size = n;
	if (pthread_barrier_init(&bar_start, NULL, n + 1) != 0 ||
	    pthread_barrier_init(&bar_done, NULL, n + 1) != 0) {
		fprintf(stderr, "tern-bench pin: pthread_barrier_init failed\n");
		exit(2);
	}
	for (unsigned i = 0; i < n; i++) {
		int err = pthread_create(&pool[i], NULL, reader, (void *)(uintptr_t)i);
		if (err != 0) {
			fprintf(stderr, "tern-bench pin: pthread_create: %s\n", strerror(err));
			exit(2);
		}
	}
	pthread_barrier_wait(&bar_done);
}

static void pool_stop(void)
{
	job.quit = true;
	pthread_barrier_wait(&bar_start);
	for (unsigned i = 0; i < pool_size; i++)
		pthread_join(pool[i], NULL);
}

/* Runs one in-process sample; => mean over the readers of ns per section. */
static struct result run_sample(size_t impl, unsigned variant, unsigned nthreads, uint64_t iters)
{
	job.impl = impl;
	job.variant = variant;
	job.nthreads = nthreads;
	job.iters = iters;
	pthread_barrier_wait(&bar_start);
	pthread_barrier_wait(&bar_done);
	struct result m = {0, 0};
	for (unsigned i = 0; i < nthreads; i++) {
		m.cpu_ns += results[i].cpu_ns / nthreads;
		m.wall_ns += results[i].wall_ns / nthreads;
	}
	return m;
}

/* => iterations making one single-reader sample last about `ms` of CPU time. */
static uint64_t calibrate(size_t impl, double ms)
{
	uint64_t n = 1u << 14;
	for (;;) {
		struct result r = run_sample(impl, 0, 1, n);
		double t = r.cpu_ns * (double)n; /* ns for the sample */
		if (t >= 2e6 || n >= (1ull << 40)) {
			double want = ms * 1e6 / (r.cpu_ns > 0 ? r.cpu_ns : 0.01);
			return want < 1000 ? 1000 : (uint64_t)want;
		}
		n *= 4;
	}
}

/* ---- child (forced-fence binary) ---- */

/* Runs the child for one round at one reader count; fills out[variant]. */
static void run_child(const char *bin, const char *impl, unsigned nthreads, double ms, struct result out[NV])
{
	char a_impl[128], a_t[32], a_ms[64], line[256];
	snprintf(a_impl, sizeof a_impl, "--impl=%s", impl);
	snprintf(a_t, sizeof a_t, "--threads=%u", nthreads);
	snprintf(a_ms, sizeof a_ms, "--ms=%g", ms);
	char *args[] = {"--child", a_impl, a_t, a_ms, NULL};
	struct bench_child c;
	memset(out, 0, NV * sizeof out[0]);
	unsigned got = 0;
	if (bench_child_start_self(&c, impl, bin, args) != 0)
		exit(2);
	while (bench_child_line(&c, line, sizeof line) != NULL) {
		unsigned v, idx;
		double cpu, w;
		if (sscanf(line, "sample %u %u %lf %lf", &v, &idx, &cpu, &w) == 4 && v < NV) {
			out[v].cpu_ns += cpu / nthreads;
			out[v].wall_ns += w / nthreads;
			got++;
		}
	}
	if (bench_child_finish(&c, NULL) != 0 || got != nthreads * NV) {
		fprintf(stderr, "tern-bench pin: child %s for %s failed (%u samples)\n", bin, impl, got);
		exit(2);
	}
}

static int child_main(const char *impl_name, unsigned nthreads, double ms)
{
	size_t k = NIMPL;
	for (size_t i = 0; i < NIMPL; i++)
		if (strcmp(impls[i].name, impl_name) == 0 && impls[i].loop[0] != NULL)
			k = i;
	if (k == NIMPL) {
		fprintf(stderr, "tern-bench pin --child: no implementation '%s' in this binary\n", impl_name);
		return 2;
	}
	printf("mode membarrier=%d\n", pin_tern_uses_membarrier());
	pool_start(nthreads);
	uint64_t iters = calibrate(k, ms);
	for (unsigned v = 0; v < NV; v++) {
		run_sample(k, v, nthreads, iters);
		for (unsigned i = 0; i < nthreads; i++)
			printf("sample %u %u %.6f %.6f\n", v, i, results[i].cpu_ns, results[i].wall_ns);
	}
	pool_stop();
	return 0;
}

/* ---- driver ---- */

struct opts {
	unsigned rounds;
	double ms;
	unsigned tcounts[MAX_TCOUNTS];
	unsigned ntcounts;
	const char *fence_bin;
	const char *csv;
	bool child;
	const char *impl;
};

static void parse(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){.rounds = 7, .ms = 20, .tcounts = {1, 2}, .ntcounts = 2, .impl = "tern-fence"};
	const struct bench_opt table[] = {
		{"rounds", BO_UINT, &o->rounds, "N", NULL, NULL, 0, 0},
		{"ms", BO_DOUBLE, &o->ms, "M", NULL, NULL, 0, 0},
		{"threads", BO_LIST, o->tcounts, "1,2", NULL, &o->ntcounts, MAX_TCOUNTS, MAX_THREADS},
		{"fence-bin", BO_STR, &o->fence_bin, "PATH", NULL, NULL, 0, 0},
		{"csv", BO_STR, &o->csv, "PATH", NULL, NULL, 0, 0},
		{"child", BO_FLAG, &o->child, NULL, NULL, NULL, 0, 0},
		{"impl", BO_STR, &o->impl, "NAME", NULL, NULL, 0, 0},
		BENCH_OPT_END,
	};
	static const char more[] =
	    "  (--child --threads=T [--ms=M] [--impl=NAME]: the forced-fence binary's child mode)\n";
	bench_opts_parse("tern-bench pin", table, more, argc, argv);
	if (o->rounds == 0 || o->rounds > MAX_ROUNDS || !(o->ms > 0) || (o->child && o->ntcounts != 1))
		bench_usage("tern-bench pin", table, more);
}

/* [impl][variant][tcount][clock][round]; clock 0 = thread CPU, 1 = wall */
static double samples[NIMPL][NV][MAX_TCOUNTS][2][MAX_ROUNDS];
static struct bench_stat summ[NIMPL][NV][MAX_TCOUNTS][2];
static unsigned best[NIMPL][MAX_TCOUNTS], worst[NIMPL][MAX_TCOUNTS];
static bool present[NIMPL];
static const char *const clock_names[2] = {"thread_cpu", "wall"};

static size_t find_impl(const char *name)
{
	for (size_t i = 0; i < NIMPL; i++)
		if (strcmp(impls[i].name, name) == 0 && present[i])
			return i;
	return NIMPL;
}

/* The targets: ratios of the fastest placements' median thread CPU time. */
static const struct bench_target pin_targets[] = {
	{"-", "tern", "urcu-memb", BENCH_LE, 1.0, 0, NULL},
	{"-", "tern", "ck_epoch", BENCH_LE, 0.2, 0, NULL},
};

static bool pin_target(const struct bench_target *tg, void *ctx, double *ratio, char *detail, size_t dlen)
{
	unsigned t = *(const unsigned *)ctx;
	size_t a = find_impl(tg->a), b = find_impl(tg->b);
	(void)detail;
	(void)dlen;
	if (a == NIMPL || b == NIMPL)
		return false;
	*ratio = summ[a][best[a][t]][t][0].median / summ[b][best[b][t]][t][0].median;
	return true;
}

int pin_main(int argc, char **argv)
{
	struct opts o;
	parse(argc, argv, &o);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (o.child)
		return child_main(o.impl, o.tcounts[0], o.ms);

	unsigned maxt = 1;
	for (unsigned t = 0; t < o.ntcounts; t++)
		if (o.tcounts[t] > maxt)
			maxt = o.tcounts[t];
	pool_start(maxt);

	char cpu[256];
	bench_cpu_model(cpu, sizeof cpu);
	printf("bench/pin: ns per pin+unpin pair; %u rounds, ~%g ms per sample, interleaved; "
	       "each row at its fastest of %d loop placements\n", o.rounds, o.ms, NV);
	bench_print_machine(stdout, "", cpu);
#ifndef TERN_EPOCH_FORCE_FENCE
	printf("urcu-memb sys_membarrier: %d", pin_urcu_memb_has_sys_membarrier());
	printf("; tern membarrier mode: %d", pin_tern_uses_membarrier());
	printf("\n");
#endif

	uint64_t iters[NIMPL];
	for (size_t k = 0; k < NIMPL; k++) {
		present[k] = impls[k].loop[0] != NULL || o.fence_bin != NULL;
		iters[k] = impls[k].loop[0] ? calibrate(k, o.ms) : 0;
	}
	if (o.fence_bin == NULL && find_impl("tern") != NIMPL)
		printf("note: no --fence-bin, tern-fence row skipped\n");

	for (unsigned r = 0; r < o.rounds; r++) {
		for (unsigned t = 0; t < o.ntcounts; t++) {
			for (size_t j = 0; j < NIMPL; j++) {
				size_t k = (j + r) % NIMPL; /* rotate the order each round */
				if (!present[k])
					continue;
				struct result m[NV];
				if (impls[k].loop[0] == NULL) {
					run_child(o.fence_bin, impls[k].name, o.tcounts[t], o.ms, m);
				} else {
					for (unsigned i = 0; i < NV; i++) {
						unsigned v = (i + r) % NV;
						m[v] = run_sample(k, v, o.tcounts[t], iters[k]);
					}
				}
				for (unsigned v = 0; v < NV; v++) {
					samples[k][v][t][0][r] = m[v].cpu_ns;
					samples[k][v][t][1][r] = m[v].wall_ns;
				}
			}
		}
	}
	pool_stop();

	for (size_t k = 0; k < NIMPL; k++) {
		if (!present[k])
			continue;
		for (unsigned t = 0; t < o.ntcounts; t++) {
			for (unsigned v = 0; v < NV; v++)
				for (int c = 0; c < 2; c++)
					summ[k][v][t][c] = bench_stat_of(samples[k][v][t][c], o.rounds);
			best[k][t] = worst[k][t] = 0;
			for (unsigned v = 1; v < NV; v++) {
				if (summ[k][v][t][0].median < summ[k][best[k][t]][t][0].median)
					best[k][t] = v;
				if (summ[k][v][t][0].median > summ[k][worst[k][t]][t][0].median)
					worst[k][t] = v;
			}
		}
	}

	size_t tern = find_impl("tern");
	FILE *csv = bench_csv_open("tern-bench pin", o.csv, "impl,threads,clock,median_ns,min_ns,max_ns,ratio_to_tern,"
						       "loop_phase,slowest_phase_median_ns,rounds,cpu,compiler");
	for (unsigned t = 0; t < o.ntcounts; t++) {
		printf("\n%u reader thread%s      thread CPU ns/pair          wall ns/pair            "
		       "phase  slowest phase\n", o.tcounts[t], o.tcounts[t] == 1 ? " " : "s");
		printf("%-11s %7s %13s %6s %7s %13s %6s  %5s  %s\n", "impl", "median", "min-max", "xtern", "median",
		       "min-max", "xtern", "", "(CPU median)");
		for (size_t k = 0; k < NIMPL; k++) {
			if (!present[k])
				continue;
			unsigned b = best[k][t], w = worst[k][t];
			printf("%-11s", impls[k].name);
			for (int c = 0; c < 2; c++) {
				struct bench_stat s = summ[k][b][t][c];
				char range[64];
				snprintf(range, sizeof range, "%.2f-%.2f", s.min, s.max);
				double ratio = tern < NIMPL ? s.median / summ[tern][best[tern][t]][t][c].median : 0;
				if (tern < NIMPL)
					printf(" %7.2f %13s %6.2f", s.median, range, ratio);
				else
					printf(" %7.2f %13s %6s", s.median, range, "-");
				if (csv != NULL) {
					fprintf(csv, "%s,%u,%s,%.4f,%.4f,%.4f,", impls[k].name, o.tcounts[t],
						clock_names[c], s.median, s.min, s.max);
					if (tern < NIMPL)
						fprintf(csv, "%.4f", ratio);
					double slowest = 0;
					for (unsigned v = 0; v < NV; v++)
						if (summ[k][v][t][c].median > slowest)
							slowest = summ[k][v][t][c].median;
					fprintf(csv, ",%s,%.4f,%u,%s,%s\n", variant_names[b], slowest, o.rounds,
						cpu, bench_compiler());
				}
			}
			printf("  %5s  %.2f (%s)\n", variant_names[b], summ[k][w][t][0].median, variant_names[w]);
		}
	}
	printf("\nthread CPU median per loop placement (loop start, bytes after a 64-byte boundary):\n%-11s", "");
	for (unsigned v = 0; v < NV; v++)
		printf(" %7s", variant_names[v]);
	printf("\n");
	for (unsigned t = 0; t < o.ntcounts; t++)
		for (size_t k = 0; k < NIMPL; k++) {
			if (!present[k])
				continue;
			char label[64];
			snprintf(label, sizeof label, "%s/%u", impls[k].name, o.tcounts[t]);
			printf("%-11s", label);
			for (unsigned v = 0; v < NV; v++)
				printf(" %7.2f", summ[k][v][t][0].median);
			printf("\n");
		}
	if (tern < NIMPL) {
		printf("\ntargets (median thread CPU time, fastest placements; per reader count)\n");
		for (unsigned t = 0; t < o.ntcounts; t++) {
			printf(" %u reader%s:\n", o.tcounts[t], o.tcounts[t] == 1 ? "" : "s");
			size_t n = sizeof pin_targets / sizeof pin_targets[0];
			bench_targets_report(stdout, pin_targets, n, pin_target, &t);
		}
	}
	return bench_csv_close("tern-bench pin", csv, o.csv);
}
