/* SPDX-License-Identifier: MIT */
/*
 * bench/reclaim — deferred objects per second, grace-period latency, and
 * what a thread that deferred and then went idle leaves behind.
 *
 * Scenario "throughput".  W writer threads (1 or 2) each loop: allocate a
 * 48-byte object, publish it into one shared slot by atomic exchange, defer
 * the old object (destructor: poison, free, count).  One reader loops: pin,
 * acquire load of the slot, check the object's magic, unpin.  One process
 * per writer count (this binary, --child=slices: a writer that 1-writer
 * slices left idle would keep its garbage, ck_epoch's per-record lists, and
 * the heap would mix both configurations).  Every row has its own
 * persistent threads and the rows take turns in short slices
 * (bench/common/slices.h), every row once per round in an order shuffled
 * per round; --warmup rounds (1) are not counted.  A slice first runs
 * untimed, at least --warm-ms (5 ms) and until the row has destroyed as many
 * objects as it had pending when the slice began (at most --warm-max-ms,
 * 100 ms): what it left last time, cold in the cache after the other rows
 * ran, is gone and its steady state is back (otherwise a row with more
 * pending garbage pays for the other rows' cache traffic).  Then --slice-ms
 * (15 ms) is measured from outside: each thread's writes, reads and CPU
 * clock, the library threads' CPU, and the row's pending objects (allocated
 * minus destroyed) every millisecond.  A row's garbage, and its last object
 * (parked between its slices), carry over to its next slice, so each slice
 * measures the row's steady state, and since the rows alternate every few
 * milliseconds they all see the same phases of the machine (on the
 * development VM one membarrier costs ~1.3 us for stretches of ~100 ms and
 * ~55 us in others).  liburcu's call_rcu workers are paused between liburcu
 * slices (rc_urcu.c).  Per (row, writer count): the median over slices and
 * the min-max, and the ratio to the best peer row (the fastest non-tern row)
 * two ways: of the medians, and the median [p10-p90] of the per-round
 * ratios (a row's slice against the best peer's slice of the same round).
 * Peak RSS cannot be told apart in one process: it comes from one --rss-ms
 * (100 ms) slice of each row alone in a fresh process; --rss-ms=0 reports
 * the slice process's on every row.  After the last slice every row drains
 * and is checked: allocations == destructions, no reader saw a destroyed
 * object.
 *
 * Scenario "gp".  1 or 2 readers loop as above; one thread calls the
 * library's synchronize in a loop (tern_epoch_synchronize, liburcu-memb
 * synchronize_rcu, ck_epoch_synchronize), the rows interleaved in slices in
 * one process.  Median microseconds per call over every call of the row
 * (and p10-p90), the min-max of the per-slice medians, the ratio to
 * liburcu-memb (of the medians, and per round).
 *
 * Scenario "idle".  One writer and one reader keep deferring and reading; a
 * third thread defers --idle-objs objects (1,000) and sleeps --idle-ms (200
 * ms): how many of its objects were destroyed when it started sleeping and
 * when it woke.  Then it defers as many again and blocks on a semaphore;
 * half of --idle-ms later the driver thread calls the library's barrier
 * (tern_epoch_barrier, rcu_barrier, ck_epoch_barrier on the driver's own
 * record — ck_epoch has no call that reaches another live thread's
 * callbacks): the blocked thread's objects destroyed before and after it,
 * and how long it took.  One fresh process (--child=idle) per row and round.
 *
 * --help lists the options.  --csv=PATH writes the throughput rows to PATH
 * and, unless given separately, the gp rows to PATH with "-gp" before ".csv"
 * and the idle rows with "-idle" (bench/results/reclaim.csv, reclaim-gp.csv,
 * reclaim-idle.csv).  The throughput CSV keeps the columns of the earlier
 * process-per-run version, then: mode (now always "slice"), slice_ms,
 * all_cpu_ns_per_obj (writers + reader + the library's own threads),
 * best_peer, ratio_to_best_peer (of medians), paired_ratio_median /_min
 * /_max /_p10 /_p90 (per-round ratios to the best peer), the per-round
 * writer-CPU ratios (peer/row) and the median warm-up.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <string.h>
#include <sys/resource.h>

#include <tern/epoch.h> /* TERN_EPOCH_BAG_CAP, for the idle target */

#include "../common/bench.h"
#include "../common/child.h"
#include "reclaim.h"

_Atomic(struct bench_obj *) rc_slot;
atomic_bool rc_stop;
_Thread_local unsigned rc_cur_owner;
_Thread_local uint64_t rc_reader_max_gap_ns;

static const struct rc_impl *const rc_impls[] = {
	&rc_tern_defer, &rc_tern_call,
	&rc_ck_poll1,   &rc_ck_poll64, &rc_urcu, &rc_urcu_percpu,
};
#define NIMPL (sizeof rc_impls / sizeof rc_impls[0])

static const struct rc_gp_impl *const rc_gp_impls[] = {
	&rc_gp_tern,
	&rc_gp_urcu, &rc_gp_ck,
};
#define NGP (sizeof rc_gp_impls / sizeof rc_gp_impls[0])
#define GP_REF "urcu-memb" /* the grace-period rows' reference */

#define MAX_WRITERS 8
#define MAX_ROUNDS 1000
#define MAX_WCOUNTS 4
#define MAX_IDLE_ROUNDS 25
#define GP_OWNER (BENCH_OWNERS - 1) /* the gp rows defer nothing */
#define LAT_CAP (1u << 16)           /* synchronize latencies kept per slice */

/* Owner tags in the idle scenario's process. */
#define IDLE_OWN_BG 1 /* the busy writer's objects */
#define IDLE_OWN_A 2  /* the sleeper's objects, first sleep (no barrier) */
#define IDLE_OWN_B 3  /* the sleeper's objects, second sleep (barrier) */

static bool rc_is_tern(const char *name)
{
	return strncmp(name, "tern", 4) == 0;
}

/* ---- options ---- */

static struct rc_opts {
	bool throughput, gp, idle, verbose;
	unsigned rounds, warmup;
	double slice_ms, warm_ms, warm_max_ms, rss_ms;
	unsigned wcounts[MAX_WCOUNTS], nwcounts;
	unsigned rcounts[MAX_WCOUNTS], nrcounts;
	double idle_ms;
	unsigned idle_objs, idle_rounds;
	uint64_t seed;
	const char *csv, *gp_csv, *idle_csv, *only, *gp_only;
	const char *child, *impl; /* a child process: "idle" or "slices" */
} O;

static void rc_parse(int argc, char **argv)
{
	O = (struct rc_opts){.throughput = true, .gp = true, .idle = true, .rounds = 60, .warmup = 1,
			     .slice_ms = 15, .warm_ms = 5, .warm_max_ms = 100, .rss_ms = 100, .wcounts = {1, 2},
			     .nwcounts = 2, .rcounts = {1, 2}, .nrcounts = 2, .idle_ms = 200, .idle_objs = 1000,
			     .idle_rounds = 3, .seed = 1};
	const char *scenarios = NULL;
	const struct bench_opt table[] = {
		BENCH_OPT_STR("scenarios", &scenarios, "throughput,gp,idle"),
		BENCH_OPT_UINT("rounds", &O.rounds, "N"), BENCH_OPT_UINT("warmup", &O.warmup, "N"),
		BENCH_OPT_DOUBLE("slice-ms", &O.slice_ms, "M"), BENCH_OPT_DOUBLE("warm-ms", &O.warm_ms, "M"),
		BENCH_OPT_DOUBLE("warm-max-ms", &O.warm_max_ms, "M"), BENCH_OPT_DOUBLE("rss-ms", &O.rss_ms, "M"),
		BENCH_OPT_LIST("writers", O.wcounts, "1,2", &O.nwcounts, MAX_WCOUNTS, MAX_WRITERS),
		BENCH_OPT_LIST("readers", O.rcounts, "1,2", &O.nrcounts, MAX_WCOUNTS, MAX_WRITERS),
		BENCH_OPT_DOUBLE("idle-ms", &O.idle_ms, "M"), BENCH_OPT_UINT("idle-objs", &O.idle_objs, "N"),
		BENCH_OPT_UINT("idle-rounds", &O.idle_rounds, "N"), BENCH_OPT_STR("impls", &O.only, "a,b"),
		BENCH_OPT_STR("gp-impls", &O.gp_only, "a,b"), BENCH_OPT_U64("seed", &O.seed, "N"),
		BENCH_OPT_STR("csv", &O.csv, "PATH"), BENCH_OPT_STR("gp-csv", &O.gp_csv, "PATH"),
		BENCH_OPT_STR("idle-csv", &O.idle_csv, "PATH"), BENCH_OPT_FLAG("verbose", &O.verbose),
		BENCH_OPT_STR("child", &O.child, "idle|slices"), BENCH_OPT_STR("impl", &O.impl, "NAME"),
		BENCH_OPT_END,
	};
	const char *more = "  (--child=idle|slices: a child process of the driver)\n";
	bench_opts_parse("tern-bench reclaim", table, more, argc, argv);
	if (scenarios != NULL) {
		O.throughput = strstr(scenarios, "throughput") != NULL;
		O.gp = strstr(scenarios, "gp") != NULL;
		O.idle = strstr(scenarios, "idle") != NULL;
	}
	if (O.rounds == 0 || O.rounds > MAX_ROUNDS || !(O.slice_ms > 0) || !(O.rss_ms >= 0) || !(O.warm_ms >= 0) ||
	    !(O.idle_ms > 0) || O.idle_objs == 0 || O.idle_rounds == 0 || O.idle_rounds > MAX_IDLE_ROUNDS ||
	    (!O.throughput && !O.gp && !O.idle) ||
	    (O.child != NULL && strcmp(O.child, "idle") != 0 && O.nwcounts != 1))
		bench_usage("tern-bench reclaim", table, more);
}

/* ---- the rows' threads on the slice engine ---- */

enum { RC_WRITER, RC_READER, RC_SYNCER };

struct rc_th {
	int role;
	void *ctx;
	struct bench_ctr *ctr;
	uint64_t gap_ns;
	double *lat, *lat_t0; /* synchronize latencies and start times (ns) */
	size_t nlat;
};

struct rc_row {
	struct bench_slice_group g;
	const struct rc_impl *im;    /* a throughput row, or */
	const struct rc_gp_impl *gp; /* a grace-period row */
	unsigned owner;
	struct bench_obj *parked; /* the row's object in rc_slot between its slices */
	struct rc_th th[BENCH_SLICE_THREADS];
};

static void rc_init(struct bench_slice_thread *t)
{
	struct rc_row *row = t->g->user;
	struct rc_th *x = t->user;
	rc_cur_owner = row->owner;
	x->ctr = bench_me();
	x->ctx = row->gp ? row->gp->thread_init(x->role == RC_SYNCER) : row->im->thread_init(x->role == RC_WRITER);
}

static void rc_sync_loop(const struct rc_gp_impl *gp, struct rc_th *x)
{
	uint64_t n = 0;
	x->nlat = 0;
	/* Relaxed: a progress count for the driver (rc_progress), from 0 each slice. */
	atomic_store_explicit(&x->ctr->reads, 0, memory_order_relaxed);
	do { /* at least one call, however late the thread starts */
		uint64_t a = bench_wall_ns();
		gp->synchronize(x->ctx);
		uint64_t b = bench_wall_ns();
		if (x->nlat < LAT_CAP) {
			x->lat_t0[x->nlat] = (double)a;
			x->lat[x->nlat++] = (double)(b - a);
		}
		/* Relaxed: a progress count for the driver (rc_progress). */
		atomic_store_explicit(&x->ctr->reads, ++n, memory_order_relaxed);
	} while (!rc_stopped());
}

static void rc_run(struct bench_slice_thread *t)
{
	struct rc_row *row = t->g->user;
	struct rc_th *x = t->user;
	rc_reader_max_gap_ns = 0;
	if (x->role == RC_WRITER)
		row->im->writer_loop(x->ctx);
	else if (x->role == RC_READER)
		(row->gp ? row->gp->reader_loop : row->im->reader_loop)(x->ctx);
	else
		rc_sync_loop(row->gp, x);
	x->gap_ns = rc_reader_max_gap_ns;
}

static void rc_fini(struct bench_slice_thread *t)
{
	struct rc_row *row = t->g->user;
	struct rc_th *x = t->user;
	if (row->gp)
		row->gp->thread_fini(x->ctx, x->role == RC_SYNCER);
	else
		row->im->thread_fini(x->ctx, x->role == RC_WRITER);
}

/* Writes (the thread's allocations for the row), reads or synchronize calls. */
static uint64_t rc_progress(const struct bench_slice_thread *t)
{
	const struct rc_th *x = t->user;
	unsigned owner = ((const struct rc_row *)t->g->user)->owner;
	/* Relaxed: progress counters, each written by its own thread only. */
	return atomic_load_explicit(x->role == RC_WRITER ? &x->ctr->allocs[owner] : &x->ctr->reads,
				    memory_order_relaxed);
}

/* The warm-up: until the row has destroyed as many objects as it had
 * pending when the slice began; and the window's peak pending. */
static uint64_t rc_pending0, rc_freed0, rc_peak;

static void rc_warm_start(struct bench_slice_group *g)
{
	unsigned owner = ((struct rc_row *)g->user)->owner;
	rc_pending0 = bench_obj_pending(owner);
	rc_freed0 = bench_obj_freed(owner);
	rc_peak = 0;
}

static bool rc_warm_done(struct bench_slice_group *g)
{
	return bench_obj_freed(((struct rc_row *)g->user)->owner) - rc_freed0 >= rc_pending0;
}

static void rc_tick(struct bench_slice_group *g)
{
	uint64_t p = bench_obj_pending(((struct rc_row *)g->user)->owner);
	if (p > rc_peak)
		rc_peak = p;
}

static const struct bench_slice_hooks rc_hooks = {&rc_stop, rc_init, rc_run, rc_fini, rc_progress,
						  rc_warm_start, rc_warm_done, rc_tick};
static const struct bench_slice_hooks rc_gp_hooks = {&rc_stop, rc_init, rc_run, rc_fini, rc_progress,
						     NULL, NULL, NULL};

/* Starts row's nth threads (its im or gp, and the library, set up), with
 * the roles role_of gives. */
static void rc_row_start(struct rc_row *row, unsigned owner, unsigned nth, int (*role_of)(unsigned i, unsigned n))
{
	const struct rc_impl *im = row->im;
	row->owner = owner;
	row->g = (struct bench_slice_group){.h = row->gp ? &rc_gp_hooks : &rc_hooks, .user = row, .nth = nth,
					    .pause = im ? im->pause : NULL, .resume = im ? im->resume : NULL,
					    .helper_cpu_ns = im ? im->helper_cpu_ns : NULL};
	for (unsigned i = 0; i < nth; i++) {
		struct rc_th *x = &row->th[i];
		x->role = role_of(i, nth);
		if (x->role == RC_SYNCER) {
			x->lat = malloc(LAT_CAP * sizeof *x->lat);
			x->lat_t0 = malloc(LAT_CAP * sizeof *x->lat_t0);
			if (x->lat == NULL || x->lat_t0 == NULL)
				abort();
		}
		row->g.th[i].user = x;
		row->g.th[i].waited = true;
	}
	bench_slice_start(&row->g);
}

static void rc_row_stop(struct rc_row *row)
{
	bench_slice_stop(&row->g);
	for (unsigned i = 0; i < row->g.nth; i++) {
		free(row->th[i].lat);
		free(row->th[i].lat_t0);
	}
}

/* One slice of row with threads act[0..n): the row's object back into the
 * slot, the slice, the object parked again. */
static void rc_slice(struct rc_row *row, const unsigned *act, unsigned n, struct bench_window *w)
{
	/* Relaxed: the threads that read the slot are released by the
	 * semaphores and the barrier of the slice, which order this store. */
	atomic_store_explicit(&rc_slot, row->parked, memory_order_relaxed);
	bench_slice_run(&row->g, act, n, O.warm_ms, O.warm_max_ms, O.slice_ms, w);
	/* Relaxed: every thread of the row is blocked on its semaphore. */
	row->parked = atomic_exchange_explicit(&rc_slot, NULL, memory_order_relaxed);
}

/* ---- throughput ---- */

struct rc_sample {
	double rate;        /* deferred objects per second, all writers */
	double cpu_per_obj; /* writers' thread CPU ns per deferred object */
	double all_per_obj; /* writers + reader + library threads, CPU ns per object */
	double peak;        /* peak pending objects */
	double reads;       /* reader sections per second */
	double gap_ms;      /* reader's longest gap between batches */
	double warm_ms;     /* the slice's warm-up */
};

static struct rc_sample rc_samples[NIMPL][MAX_WCOUNTS][MAX_ROUNDS];
static double rc_rss[NIMPL][MAX_WCOUNTS]; /* peak RSS, KiB */
static uint64_t rc_leaked[NIMPL][MAX_WCOUNTS], rc_bad[NIMPL][MAX_WCOUNTS];

static int rc_role_tp(unsigned i, unsigned n)
{
	return i + 1 < n ? RC_WRITER : RC_READER;
}

/* The slices of one writer count (O.wcounts[0]) in this process; one line
 * per slice, then one per row with its checks. */
static int rc_child_slices(void)
{
	static struct rc_row rows[NIMPL];
	bool use[NIMPL];
	unsigned nw = O.wcounts[0], kinds[NIMPL], nk = 0;
	uint64_t seed = O.seed * 0x9e3779b97f4a7c15ull + nw;
	/* Every row set up before any is started (and its library paused). */
	for (size_t k = 0; k < NIMPL; k++)
		if ((use[k] = bench_in_list(O.only, rc_impls[k]->name)) && rc_impls[k]->setup)
			rc_impls[k]->setup();
	for (size_t k = 0; k < NIMPL; k++)
		if (use[k]) {
			rows[k].im = rc_impls[k];
			rc_row_start(&rows[k], (unsigned)k, nw + 1, rc_role_tp);
			kinds[nk++] = (unsigned)k;
		}
	for (unsigned r = 0; r < O.warmup + O.rounds; r++) { /* warm-up rounds first */
		bench_shuffle(kinds, nk, &seed);
		for (unsigned i = 0; i < nk; i++) {
			struct rc_row *row = &rows[kinds[i]];
			unsigned act[BENCH_SLICE_THREADS];
			struct bench_window w;
			for (unsigned j = 0; j <= nw; j++)
				act[j] = j;
			rc_slice(row, act, nw + 1, &w);
			if (r < O.warmup)
				continue;
			double win = (double)(w.t1 - w.t0) / 1e9;
			uint64_t ops = 0, cpu = 0, all = w.helper_ns;
			for (unsigned j = 0; j <= nw; j++) {
				all += row->g.th[j].cpu;
				ops += j < nw ? row->g.th[j].ops : 0;
				cpu += j < nw ? row->g.th[j].cpu : 0;
			}
			printf("slice %u %u %.9g %.9g %.9g %.9g %.9g %.9g %.9g\n", kinds[i], r - O.warmup,
			       (double)ops / win, ops ? (double)cpu / (double)ops : 0,
			       ops ? (double)all / (double)ops : 0, (double)rc_peak,
			       (double)row->g.th[nw].ops / win, (double)row->th[nw].gap_ns / 1e6,
			       (double)w.warm_ns / 1e6);
			if (O.verbose)
				fprintf(stderr, "  round %u %-16s %u writer(s): %.2f Mobj/s, peak pending %llu\n", r,
					row->im->name, nw, (double)ops / win / 1e6, (unsigned long long)rc_peak);
		}
	}
	/* Stop every row, then drain and check each. */
	for (size_t k = 0; k < NIMPL; k++)
		if (use[k])
			rc_row_stop(&rows[k]);
	for (size_t k = 0; k < NIMPL; k++) {
		if (!use[k])
			continue;
		if (rows[k].parked != NULL) /* nobody else owns the row's last object now */
			bench_obj_free(rows[k].parked);
		if (O.verbose && rc_impls[k]->report != NULL) {
			fprintf(stderr, "  %s after its last slice: ", rc_impls[k]->name);
			rc_impls[k]->report(stderr);
			fprintf(stderr, "\n");
		}
		rc_impls[k]->drain();
	}
	for (size_t k = 0; k < NIMPL; k++)
		if (use[k])
			printf("check %zu %llu %llu\n", k, (unsigned long long)bench_obj_leaked((unsigned)k),
			       (unsigned long long)bench_obj_bads((unsigned)k));
	fflush(stdout);
	return 0;
}

/* Runs this binary's reclaim scenario with the options argv[1..] (NULL-
 * terminated; argv[0] unused) and passes each stdout line to `line`; => the
 * child's peak RSS (KiB). */
static double rc_run_self(char **argv, void (*line)(const char *, void *), void *arg, const char *what)
{
	struct bench_child c;
	struct rusage ru;
	char buf[512];
	if (bench_child_start_self(&c, what, NULL, argv + 1) != 0)
		exit(2);
	while (bench_child_line(&c, buf, sizeof buf) != NULL)
		line(buf, arg);
	if (bench_child_finish(&c, &ru) != 0) {
		fprintf(stderr, "tern-bench reclaim: child for %s failed\n", what);
		exit(2);
	}
	return (double)ru.ru_maxrss;
}

struct rc_slices_line {
	unsigned w;
	bool samples; /* false: only the checks (the RSS runs) */
	size_t got;
};

static void rc_slices_line(const char *line, void *arg)
{
	struct rc_slices_line *sl = arg;
	size_t k;
	unsigned r;
	struct rc_sample x;
	unsigned long long leaked, bad;
	if (sscanf(line, "slice %zu %u %lf %lf %lf %lf %lf %lf %lf", &k, &r, &x.rate, &x.cpu_per_obj,
		   &x.all_per_obj, &x.peak, &x.reads, &x.gap_ms, &x.warm_ms) == 9 &&
	    k < NIMPL && r < MAX_ROUNDS && sl->samples) {
		rc_samples[k][sl->w][r] = x;
	} else if (sscanf(line, "check %zu %llu %llu", &k, &leaked, &bad) == 3 && k < NIMPL) {
		rc_leaked[k][sl->w] += leaked;
		rc_bad[k][sl->w] += bad;
		sl->got++;
	}
}

/* A slices child for writer count w: rounds (+warmup) of slices of the rows
 * `impls` (NULL: all); => its peak RSS. */
static double rc_slices_child(unsigned w, const char *impls, unsigned rounds, unsigned warmup, double warm_ms,
			      double ms, bool samples, size_t nrows)
{
	char a[8][1100];
	snprintf(a[0], sizeof a[0], "--writers=%u", O.wcounts[w]);
	snprintf(a[1], sizeof a[1], "--rounds=%u", rounds);
	snprintf(a[2], sizeof a[2], "--warmup=%u", warmup);
	snprintf(a[3], sizeof a[3], "--slice-ms=%g", ms);
	snprintf(a[4], sizeof a[4], "--warm-ms=%g", warm_ms);
	snprintf(a[5], sizeof a[5], "--warm-max-ms=%g", O.warm_max_ms);
	snprintf(a[6], sizeof a[6], "--seed=%llu", (unsigned long long)O.seed);
	snprintf(a[7], sizeof a[7], "--impls=%s", impls ? impls : "");
	char *argv[] = {NULL, "--child=slices", a[0], a[1], a[2], a[3], a[4], a[5], a[6],
			impls ? a[7] : (O.verbose ? "--verbose" : NULL), impls && O.verbose ? "--verbose" : NULL,
			NULL};
	struct rc_slices_line sl = {w, samples, 0};
	double rss = rc_run_self(argv, rc_slices_line, &sl, "the slices");
	if (sl.got != nrows) {
		fprintf(stderr, "tern-bench reclaim: the slice child (%u writers) reported %zu rows of %zu\n",
			O.wcounts[w], sl.got, nrows);
		exit(2);
	}
	return rss;
}

static void rc_throughput_run(const bool *use)
{
	size_t nused = 0;
	for (size_t k = 0; k < NIMPL; k++)
		nused += use[k];
	/* Peak RSS: one slice of each row alone in a fresh process (its checks
	 * are counted with the slices' own). */
	for (unsigned w = 0; w < O.nwcounts && O.rss_ms > 0; w++)
		for (size_t k = 0; k < NIMPL; k++)
			if (use[k])
				rc_rss[k][w] = rc_slices_child(w, rc_impls[k]->name, 1, 0, 0, O.rss_ms, false, 1);
	printf("\nbench/reclaim: deferred objects/s, 1 reader pinning; %u rounds (+%u warm-up) of "
	       "slices (%g ms untimed, then %g ms measured), every row once per round in shuffled\n"
	       "order, one process per writer count;\n",
	       O.rounds, O.warmup, O.warm_ms, O.slice_ms);
	if (O.rss_ms > 0)
		printf("peak RSS from one %g ms run of each row alone in a fresh process\n", O.rss_ms);
	else
		printf("peak RSS: of the whole slice process (every row; --rss-ms=0)\n");
	for (unsigned w = 0; w < O.nwcounts; w++) {
		double rss = rc_slices_child(w, O.only, O.rounds, O.warmup, O.warm_ms, O.slice_ms, true, nused);
		for (size_t k = 0; k < NIMPL && O.rss_ms == 0; k++)
			rc_rss[k][w] = rss;
	}
}

#define TF(k, w, f) BENCH_FIELD(rc_samples[k][w], O.rounds, struct rc_sample, f)
#define TP(k, b, w, f, inv) BENCH_PAIRED(rc_samples[k][w], rc_samples[b][w], O.rounds, struct rc_sample, f, inv)

/* The best peer of writer count w: the highest median rate among the non-tern rows. */
static size_t rc_best_peer(const bool *use, unsigned w)
{
	double med[NIMPL];
	bool peer[NIMPL];
	for (size_t k = 0; k < NIMPL; k++) {
		peer[k] = use[k] && !rc_is_tern(rc_impls[k]->name);
		med[k] = peer[k] ? TF(k, w, rate).median : 0;
	}
	return bench_best(med, peer, NIMPL);
}

static int rc_throughput_report(const bool *use, const char *cpu)
{
	size_t tern = NIMPL;
	for (size_t k = 0; k < NIMPL; k++)
		if (use[k] && strcmp(rc_impls[k]->name, "tern-defer") == 0)
			tern = k;
	FILE *csv = bench_csv_open("tern-bench reclaim", O.csv,
		        "impl,writers,rounds,mobj_per_s_median,mobj_per_s_min,mobj_per_s_max,ratio_to_tern,"
		        "writer_cpu_ns_per_obj,peak_pending_median,peak_pending_max,peak_rss_kib_median,"
		        "peak_rss_kib_max,reader_mreads_per_s,reader_max_gap_ms,leaked,bad_reads,cpu,compiler,"
		        "mode,slice_ms,all_cpu_ns_per_obj,best_peer,ratio_to_best_peer,paired_ratio_median,"
		        "paired_ratio_min,paired_ratio_max,paired_ratio_p10,paired_ratio_p90,paired_cpu_ratio_median,"
		        "paired_cpu_ratio_min,paired_cpu_ratio_max,warm_ms_median");
	int errors = 0;
	for (unsigned w = 0; w < O.nwcounts; w++) {
		size_t bp = rc_best_peer(use, w);
		double tr = tern < NIMPL ? TF(tern, w, rate).median : 0, br = bp < NIMPL ? TF(bp, w, rate).median : 0;
		printf("\n%u writer%s + 1 reader  Mobj/s median (min-max)  xtern  x%-12s paired [p10-p90]  "
		       "wCPU ns/obj  all CPU ns/obj  peak pending (max)  peak RSS MiB (max)  reader Mreads/s, max gap "
		       "ms  errors\n",
		       O.wcounts[w], O.wcounts[w] == 1 ? " " : "s", bp < NIMPL ? rc_impls[bp]->name : "best peer");
		for (size_t k = 0; k < NIMPL; k++) {
			if (!use[k])
				continue;
			struct bench_spread rate = TF(k, w, rate), cpuo = TF(k, w, cpu_per_obj);
			struct bench_spread allo = TF(k, w, all_per_obj), peak = TF(k, w, peak), rd = TF(k, w, reads);
			struct bench_spread gap = TF(k, w, gap_ms), warm = TF(k, w, warm_ms);
			struct bench_spread pst = {0}, pcs = {0}; /* per round: rate k/bp; writer CPU bp/k */
			if (bp < NIMPL) {
				pst = TP(k, bp, w, rate, false);
				pcs = TP(k, bp, w, cpu_per_obj, true);
			}
			double rss = rc_rss[k][w];
			uint64_t leaked = rc_leaked[k][w], bad = rc_bad[k][w];
			errors += leaked != 0 || bad != 0;
			double ratio = tern < NIMPL ? rate.median / tr : 0, to_best = bp < NIMPL ? rate.median / br : 0;
			char range[64], ratio_s[16], best_s[64], peaks[64], rsss[64];
			snprintf(range, sizeof range, "%.2f (%.2f-%.2f)", rate.median / 1e6, rate.min / 1e6,
				 rate.max / 1e6);
			snprintf(ratio_s, sizeof ratio_s, tern < NIMPL ? "%.2f" : "-", ratio);
			snprintf(best_s, sizeof best_s, "%.2f  %.2f [%.2f-%.2f]", to_best, pst.median, pst.p10,
				 pst.p90);
			snprintf(peaks, sizeof peaks, "%.0f (%.0f)", peak.median, peak.max);
			snprintf(rsss, sizeof rsss, "%.1f (%.1f)", rss / 1024, rss / 1024);
			printf("%-22s %-25s %5s  %-30s %11.1f %15.1f  %-19s %-19s %15.2f %12.1f  %s\n",
			       rc_impls[k]->name, range, ratio_s, best_s, cpuo.median, allo.median, peaks, rsss,
			       rd.median / 1e6, gap.max, leaked || bad ? "LEAKED/BAD" : "0");
			if (csv == NULL)
				continue;
			fprintf(csv, "%s,%u,%u,%.4f,%.4f,%.4f,", rc_impls[k]->name, O.wcounts[w], O.rounds,
				rate.median / 1e6, rate.min / 1e6, rate.max / 1e6);
			if (tern < NIMPL)
				fprintf(csv, "%.4f", ratio);
			fprintf(csv, ",%.2f,%.0f,%.0f,%.0f,%.0f,%.4f,%.3f,%llu,%llu,%s,%s", cpuo.median, peak.median,
				peak.max, rss, rss, rd.median / 1e6, gap.max, (unsigned long long)leaked,
				(unsigned long long)bad, cpu, bench_compiler());
			fprintf(csv, ",slice,%g,%.2f,%s,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.2f\n",
				O.slice_ms, allo.median, bp < NIMPL ? rc_impls[bp]->name : "", to_best, pst.median,
				pst.min, pst.max, pst.p10, pst.p90, pcs.median, pcs.min, pcs.max, warm.median);
		}
	}

	bool any_peer = false;
	for (size_t k = 0; k < NIMPL; k++)
		any_peer |= use[k] && !rc_is_tern(rc_impls[k]->name);
	if (tern < NIMPL && any_peer) {
		printf(
		    "\ntarget: every tern row >= 1.0x the best peer row, with 1 and 2 writers; peak pending bounded\n"
		    "  (x = median of the per-round ratios [p10-p90, min-max]; ratio of the medians beside it;\n"
		    "   bounded = the tern row's median per-slice peak pending <= the largest median of the peer "
		    "rows;\n"
		    "   the largest single peaks beside it)\n");
		for (unsigned w = 0; w < O.nwcounts; w++) {
			size_t bp = rc_best_peer(use, w);
			double peer_peak = 0, peer_max = 0;
			for (size_t k = 0; k < NIMPL; k++) {
				if (!use[k] || rc_is_tern(rc_impls[k]->name))
					continue;
				struct bench_spread pk = TF(k, w, peak);
				peer_peak = pk.median > peer_peak ? pk.median : peer_peak;
				peer_max = pk.max > peer_max ? pk.max : peer_max;
			}
			struct bench_spread br = TF(bp, w, rate);
			for (size_t k = 0; k < NIMPL; k++) {
				if (!use[k] || !rc_is_tern(rc_impls[k]->name))
					continue;
				struct bench_spread rt = TF(k, w, rate), pk = TF(k, w, peak);
				struct bench_spread pst = TP(k, bp, w, rate, false);
				struct bench_spread pcs = TP(k, bp, w, cpu_per_obj, true);
				printf("  %u writer%s: %-10s %.2f vs %s %.2f Mobj/s: x%.2f [%.2f-%.2f, %.2f-%.2f] %s; "
				       "ratio of medians x%.2f\n"
				       "             writer CPU ns/obj %.1f vs %.1f (per round, peer/tern x%.2f "
				       "[%.2f-%.2f]); "
				       "peak pending %.0f vs the peers' %.0f %s (largest %.0f vs %.0f)\n",
				       O.wcounts[w], O.wcounts[w] == 1 ? " " : "s", rc_impls[k]->name, rt.median / 1e6,
				       rc_impls[bp]->name, br.median / 1e6, pst.median, pst.p10, pst.p90, pst.min,
				       pst.max,
				       pst.median >= 1.0 ? "met" : "MISSED", rt.median / br.median,
				       TF(k, w, cpu_per_obj).median, TF(bp, w, cpu_per_obj).median, pcs.median, pcs.min,
				       pcs.max, pk.median, peer_peak,
				       pk.median <= peer_peak ? "(bounded: met)" : "(above the peers: MISSED)", pk.max,
				       peer_max);
			}
		}
	}
	if (bench_csv_close("tern-bench reclaim", csv, O.csv) != 0)
		return 2;
	return errors;
}

/* ---- grace-period latency ---- */

struct rc_gp_result {
	double *lat; /* every call's latency, ns */
	size_t nlat, cap;
	struct rc_gp_sample {
		double slice_med, cpu_per_sync, reads; /* 0: no call completed in the slice */
	} s[MAX_ROUNDS];
	uint64_t syncs;
};

static struct rc_gp_result rc_gp_res[NGP][MAX_WCOUNTS];

static void rc_gp_add(struct rc_gp_result *g, const double *v, size_t n)
{
	if (g->nlat + n > g->cap) {
		size_t cap = g->cap ? g->cap : 4096;
		while (cap < g->nlat + n)
			cap *= 2;
		double *p = realloc(g->lat, cap * sizeof *p);
		if (p == NULL)
			abort();
		g->lat = p;
		g->cap = cap;
	}
	memcpy(g->lat + g->nlat, v, n * sizeof *v);
	g->nlat += n;
}

static int rc_role_gp(unsigned i, unsigned n)
{
	(void)n;
	return i == 0 ? RC_SYNCER : RC_READER;
}

static void rc_gp_slices(const bool *use, uint64_t *seed)
{
	static struct rc_row rows[NGP];
	static double tmp[LAT_CAP];
	unsigned rmax = 0, kinds[NGP * MAX_WCOUNTS], nk = 0;
	for (unsigned i = 0; i < O.nrcounts; i++)
		rmax = O.rcounts[i] > rmax ? O.rcounts[i] : rmax;
	for (size_t k = 0; k < NGP; k++) {
		if (!use[k])
			continue;
		rows[k].gp = rc_gp_impls[k];
		if (rows[k].gp->setup)
			rows[k].gp->setup();
		rc_row_start(&rows[k], GP_OWNER, rmax + 1, rc_role_gp);
		for (unsigned i = 0; i < O.nrcounts; i++)
			kinds[nk++] = (unsigned)(k * MAX_WCOUNTS + i);
	}
	for (unsigned r = 0; r < O.warmup + O.rounds; r++) {
		bench_shuffle(kinds, nk, seed);
		for (unsigned i = 0; i < nk; i++) {
			size_t k = kinds[i] / MAX_WCOUNTS;
			unsigned ri = kinds[i] % MAX_WCOUNTS, nr = O.rcounts[ri];
			struct rc_row *row = &rows[k];
			unsigned act[BENCH_SLICE_THREADS];
			struct bench_window w;
			for (unsigned j = 0; j <= nr; j++)
				act[j] = j; /* the syncer and nr readers */
			rc_slice(row, act, nr + 1, &w);
			if (r < O.warmup)
				continue;
			struct rc_gp_result *res = &rc_gp_res[k][ri];
			struct rc_th *s = &row->th[0];
			/* The calls that started in the timed window (or, if none
			 * did, the first call that ended in it). */
			size_t m = 0;
			for (size_t j = 0; j < s->nlat; j++)
				if (s->lat_t0[j] >= (double)w.t0 && s->lat_t0[j] < (double)w.t1)
					tmp[m++] = s->lat[j];
			for (size_t j = 0; m == 0 && j < s->nlat; j++)
				if (s->lat_t0[j] + s->lat[j] >= (double)w.t0)
					tmp[m++] = s->lat[j];
			rc_gp_add(res, tmp, m);
			double win = (double)(w.t1 - w.t0) / 1e9, reads = 0;
			for (unsigned j = 1; j <= nr; j++)
				reads += (double)row->g.th[j].ops / win;
			double cpu = m ? (double)row->g.th[0].cpu / (double)m : 0;
			res->s[r - O.warmup] = (struct rc_gp_sample){bench_stat_of(tmp, m).median, cpu, reads};
			res->syncs += m;
		}
	}
	for (size_t k = 0; k < NGP; k++)
		if (use[k])
			rc_row_stop(&rows[k]);
}

static int rc_gp_report(const bool *use, const char *cpu)
{
	size_t ref = NGP, tern = NGP;
	for (size_t k = 0; k < NGP; k++) {
		ref = use[k] && strcmp(rc_gp_impls[k]->name, GP_REF) == 0 ? k : ref;
		tern = use[k] && rc_is_tern(rc_gp_impls[k]->name) ? k : tern;
	}
	FILE *csv = bench_csv_open("tern-bench reclaim", O.gp_csv,
		        "impl,readers,rounds,call,sync_us_median,sync_us_p10,sync_us_p90,slice_median_us_min,"
		        "slice_median_us_max,syncs,ratio_to_urcu_memb,paired_ratio_median,paired_ratio_min,"
		        "paired_ratio_max,paired_ratio_p10,paired_ratio_p90,syncer_cpu_us_per_sync,reader_mreads_per_s,"
		        "bad_reads,slice_ms,cpu,compiler");
	printf("\nbench/reclaim gp: microseconds per synchronize, readers looping pin/load/check/unpin; "
	       "%u rounds (+%u warm-up) of slices (%g ms untimed, %g ms measured), interleaved in one process\n",
	       O.rounds, O.warmup, O.warm_ms, O.slice_ms);
	double med[NGP][MAX_WCOUNTS];
	struct bench_spread paired[NGP][MAX_WCOUNTS];
	uint64_t bad = bench_obj_bads(GP_OWNER);
	for (unsigned ri = 0; ri < O.nrcounts; ri++) {
		printf("\n%u reader%s  call                          us median [p10-p90]    slice medians min-max  "
		       "x%-9s paired [p10-p90]   syncer CPU us/call  reader Mreads/s  syncs\n",
		       O.rcounts[ri], O.rcounts[ri] == 1 ? " " : "s", GP_REF);
		for (size_t k = 0; k < NGP; k++) {
			struct rc_gp_result *res = &rc_gp_res[k][ri];
			(void)bench_stat_of(res->lat, res->nlat); /* sorts */
			med[k][ri] = use[k] ? bench_pct(res->lat, res->nlat, 0.5) / 1e3 : 0;
		}
		for (size_t k = 0; k < NGP; k++) {
			if (!use[k])
				continue;
			struct rc_gp_result *res = &rc_gp_res[k][ri];
			double p10 = bench_pct(res->lat, res->nlat, 0.1) / 1e3,
			       p90 = bench_pct(res->lat, res->nlat, 0.9) / 1e3;
			/* Slices in which no call completed (the syncer never ran) have no median. */
			struct rc_gp_sample v[MAX_ROUNDS];
			unsigned ns = 0;
			for (unsigned r = 0; r < O.rounds; r++)
				if (res->s[r].slice_med > 0)
					v[ns++] = res->s[r];
			struct bench_spread sms = BENCH_FIELD(v, ns, struct rc_gp_sample, slice_med);
			struct bench_spread cps = BENCH_FIELD(v, ns, struct rc_gp_sample, cpu_per_sync);
			struct bench_spread rds = BENCH_FIELD(v, ns, struct rc_gp_sample, reads);
			struct bench_spread prs = paired[k][ri] =
			    ref < NGP ? BENCH_PAIRED(res->s, rc_gp_res[ref][ri].s, O.rounds, struct rc_gp_sample,
						     slice_med, false)
				      : (struct bench_spread){0};
			double ratio = ref < NGP && med[ref][ri] > 0 ? med[k][ri] / med[ref][ri] : 0;
			char a[64], b[64], c[64];
			snprintf(a, sizeof a, "%.2f [%.2f-%.2f]", med[k][ri], p10, p90);
			snprintf(b, sizeof b, "%.2f-%.2f", sms.min / 1e3, sms.max / 1e3);
			snprintf(c, sizeof c, "%.2f  %.2f [%.2f-%.2f]", ratio, prs.median, prs.p10, prs.p90);
			printf("  %-10s %-27s %-22s %-22s %-28s %12.2f %16.2f %7llu\n", rc_gp_impls[k]->name,
			       rc_gp_impls[k]->call, a, b, c, cps.median / 1e3, rds.median / 1e6,
			       (unsigned long long)res->syncs);
			if (csv != NULL)
				fprintf(csv,
				        "%s,%u,%u,%s,%.3f,%.3f,%.3f,%.3f,%.3f,%llu,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.3f,%"
				        ".4f,%llu,%g,%s,%s\n",
				        rc_gp_impls[k]->name, O.rcounts[ri], O.rounds, rc_gp_impls[k]->call, med[k][ri],
				        p10, p90, sms.min / 1e3, sms.max / 1e3, (unsigned long long)res->syncs, ratio,
				        prs.median, prs.min, prs.max, prs.p10, prs.p90, cps.median / 1e3,
				        rds.median / 1e6,
				        (unsigned long long)bad, O.slice_ms, cpu, bench_compiler());
		}
	}
	if (tern < NGP && ref < NGP) {
		printf("\ntarget: tern_epoch_synchronize <= 1.0x liburcu-memb synchronize_rcu "
		       "(x = median of the per-round ratios of slice medians [p10-p90])\n");
		for (unsigned ri = 0; ri < O.nrcounts; ri++) {
			struct bench_spread p = paired[tern][ri];
			printf("  %u reader%s: tern %.2f us vs urcu-memb %.2f us: x%.2f [%.2f-%.2f] %s; ratio of "
			       "medians x%.2f\n",
			       O.rcounts[ri], O.rcounts[ri] == 1 ? " " : "s", med[tern][ri], med[ref][ri], p.median,
			       p.p10, p.p90, p.median <= 1.0 ? "met" : "MISSED", med[tern][ri] / med[ref][ri]);
		}
	}
	if (bench_csv_close("tern-bench reclaim", csv, O.gp_csv) != 0)
		return 2;
	return bad != 0;
}

/* ---- idle thread ---- */

struct rc_idle {
	const struct rc_impl *im;
	sem_t deferred_a, deferred_b, quit;
	/* written by the sleeper, read by the driver after the semaphores */
	uint64_t at_sleep_a, at_wake_a, at_sleep_b;
};

static void rc_idle_batch(const struct rc_idle *s, void *ctx, unsigned owner)
{
	rc_cur_owner = owner;
	for (unsigned i = 0; i < O.idle_objs; i++)
		s->im->defer_one(ctx, bench_obj_new(RC_OBJ_SIZE, owner, i));
}

static void *rc_idle_sleeper(void *arg)
{
	struct rc_idle *s = arg;
	void *ctx = s->im->thread_init(true);
	/* First sleep: nobody calls a barrier. */
	rc_idle_batch(s, ctx, IDLE_OWN_A);
	s->at_sleep_a = bench_obj_freed(IDLE_OWN_A);
	sem_post(&s->deferred_a);
	bench_sleep_ns((uint64_t)(O.idle_ms * 1e6));
	s->at_wake_a = bench_obj_freed(IDLE_OWN_A);
	/* Second idle period: blocked (as on a condition variable) until the
	 * driver has called the barrier and counted. */
	rc_idle_batch(s, ctx, IDLE_OWN_B);
	s->at_sleep_b = bench_obj_freed(IDLE_OWN_B);
	sem_post(&s->deferred_b);
	bench_sem_wait(&s->quit);
	s->im->thread_fini(ctx, true);
	return NULL;
}

/* One row's idle scenario in this process: prints one "idle" line. */
static int rc_child_idle(void)
{
	const struct rc_impl *im = NULL;
	for (size_t k = 0; k < NIMPL; k++)
		im = O.impl != NULL && strcmp(rc_impls[k]->name, O.impl) == 0 ? rc_impls[k] : im;
	if (im == NULL || im->defer_one == NULL || im->barrier == NULL) {
		fprintf(stderr, "tern-bench reclaim --child=idle: no idle scenario for '%s'\n", O.impl ? O.impl : "");
		return 2;
	}
	/* The busy pair, one writer and one reader as in the throughput
	 * scenario, runs for the whole scenario: one long slice. */
	static struct rc_row busy;
	static const unsigned act[2] = {0, 1};
	busy.im = im;
	if (im->setup)
		im->setup();
	rc_row_start(&busy, IDLE_OWN_BG, 2, rc_role_tp);
	void *dctx = im->driver_thread ? im->thread_init(true) : NULL;
	bench_slice_go(&busy.g, act, 2);
	struct rc_idle s = {.im = im};
	sem_init(&s.deferred_a, 0, 0);
	sem_init(&s.deferred_b, 0, 0);
	sem_init(&s.quit, 0, 0);
	pthread_t sl;
	if (pthread_create(&sl, NULL, rc_idle_sleeper, &s) != 0)
		return 2;
	bench_sem_wait(&s.deferred_a);
	bench_sem_wait(&s.deferred_b);
	bench_sleep_ns((uint64_t)(O.idle_ms * 1e6) / 2);
	uint64_t before = bench_obj_freed(IDLE_OWN_B), b0 = bench_wall_ns();
	im->barrier(dctx);
	uint64_t b1 = bench_wall_ns(), after = bench_obj_freed(IDLE_OWN_B);
	sem_post(&s.quit);
	pthread_join(sl, NULL);
	bench_slice_halt(&busy.g, 2);
	rc_row_stop(&busy);
	/* Relaxed: every other thread has been joined. */
	struct bench_obj *last = atomic_exchange_explicit(&rc_slot, NULL, memory_order_relaxed);
	if (last != NULL)
		bench_obj_free(last);
	if (dctx != NULL)
		im->thread_fini(dctx, true); /* the driver's own record (ck_epoch): dispatch, unregister */
	im->drain();
	uint64_t leaked = 0, bad = 0;
	for (unsigned o = 0; o <= IDLE_OWN_B; o++) {
		leaked += bench_obj_leaked(o);
		bad += bench_obj_bads(o);
	}
	printf("idle %llu %llu %llu %llu %llu %.3f %llu %llu\n", (unsigned long long)s.at_sleep_a,
	       (unsigned long long)s.at_wake_a, (unsigned long long)s.at_sleep_b, (unsigned long long)before,
	       (unsigned long long)after, (double)(b1 - b0) / 1e6, (unsigned long long)leaked,
	       (unsigned long long)bad);
	fflush(stdout);
	return 0;
}

struct rc_idle_sample {
	double at_sleep_a, at_wake_a, at_sleep_b, before, after, barrier_ms;
	uint64_t leaked, bad;
	bool got;
};

static struct rc_idle_sample rc_idle_s[NIMPL][MAX_IDLE_ROUNDS];

static void rc_idle_line(const char *line, void *arg)
{
	struct rc_idle_sample *s = arg;
	unsigned long long v[5], leaked, bad;
	if (sscanf(line, "idle %llu %llu %llu %llu %llu %lf %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
		   &s->barrier_ms, &leaked, &bad) == 8)
		*s = (struct rc_idle_sample){(double)v[0], (double)v[1], (double)v[2], (double)v[3], (double)v[4],
					     s->barrier_ms, leaked, bad, true};
}

/* One fresh process per row and round, the rows in rotated order. */
static void rc_idle_run(const bool *use)
{
	for (unsigned r = 0; r < O.idle_rounds; r++)
		for (size_t j = 0; j < NIMPL; j++) {
			size_t k = (j + r) % NIMPL;
			if (!use[k])
				continue;
			char a_impl[128], a_o[32], a_ms[64];
			snprintf(a_impl, sizeof a_impl, "--impl=%s", rc_impls[k]->name);
			snprintf(a_o, sizeof a_o, "--idle-objs=%u", O.idle_objs);
			snprintf(a_ms, sizeof a_ms, "--idle-ms=%g", O.idle_ms);
			char *argv[] = {NULL, "--child=idle", a_impl, a_o, a_ms, NULL};
			rc_run_self(argv, rc_idle_line, &rc_idle_s[k][r], rc_impls[k]->name);
			if (!rc_idle_s[k][r].got) {
				fprintf(stderr, "tern-bench reclaim: idle child for %s printed no result\n",
					rc_impls[k]->name);
				exit(2);
			}
		}
}

#define IF(k, f) BENCH_FIELD(rc_idle_s[k], O.idle_rounds, struct rc_idle_sample, f)

static int rc_idle_report(const bool *use, const char *cpu)
{
	unsigned rounds = O.idle_rounds;
	FILE *csv = bench_csv_open("tern-bench reclaim", O.idle_csv,
				   "impl,rounds,objects,sleep_ms,destroyed_at_sleep_median,destroyed_at_wake_median,"
			     "destroyed_at_wake_min,destroyed_at_wake_max,barrier,destroyed_before_barrier_median,"
			     "destroyed_after_barrier_median,destroyed_after_barrier_min,destroyed_after_barrier_max,"
			     "barrier_ms_median,barrier_ms_max,leaked,bad_reads,cpu,compiler");
	printf("\nbench/reclaim idle: a thread defers %u objects and sleeps %g ms while 1 writer + 1 reader keep "
	       "working; %u rounds, one process each\n"
	       "  (its objects destroyed when it fell asleep and when it woke; then it defers %u more and blocks,\n"
	       "   and %g ms later another thread calls the barrier: the second batch destroyed before and after it,\n"
	       "   and the barrier's duration, median and max)\n\n",
	       O.idle_objs, O.idle_ms, rounds, O.idle_objs, O.idle_ms / 2);
	printf("%-16s %-10s %-22s %-30s %-10s %-22s %-16s %s\n", "row", "at sleep", "at wake (min-max)", "barrier",
	       "before", "after (min-max)", "ms (max)", "errors");
	int errors = 0;
	for (size_t k = 0; k < NIMPL; k++) {
		if (!use[k])
			continue;
		struct bench_spread sa = IF(k, at_sleep_a), wa = IF(k, at_wake_a), be = IF(k, before);
		struct bench_spread af = IF(k, after), bm = IF(k, barrier_ms);
		uint64_t leaked = 0, bad = 0;
		for (unsigned r = 0; r < rounds; r++) {
			leaked += rc_idle_s[k][r].leaked;
			bad += rc_idle_s[k][r].bad;
		}
		errors += leaked != 0 || bad != 0;
		char a[64], b[64], c[64];
		snprintf(a, sizeof a, "%.0f (%.0f-%.0f)", wa.median, wa.min, wa.max);
		snprintf(b, sizeof b, "%.0f (%.0f-%.0f)", af.median, af.min, af.max);
		snprintf(c, sizeof c, "%.2f (%.2f)", bm.median, bm.max);
		printf("%-16s %-10.0f %-22s %-30s %-10.0f %-22s %-16s %s\n", rc_impls[k]->name, sa.median, a,
		       rc_impls[k]->barrier_desc, be.median, b, c, leaked || bad ? "LEAKED/BAD" : "0");
		if (csv != NULL)
			fprintf(csv,
			        "%s,%u,%u,%g,%.0f,%.0f,%.0f,%.0f,%s,%.0f,%.0f,%.0f,%.0f,%.3f,%.3f,%llu,%llu,%s,%s\n",
			        rc_impls[k]->name, rounds, O.idle_objs, O.idle_ms, sa.median, wa.median, wa.min, wa.max,
			        rc_impls[k]->barrier_desc, be.median, af.median, af.min, af.max, bm.median, bm.max,
			        (unsigned long long)leaked, (unsigned long long)bad, cpu, bench_compiler());
	}
	printf("\ntarget: no stranded garbage: at most one partly filled bag (TERN_EPOCH_BAG_CAP = %d objects) waits\n"
	       "  for the sleeping thread, and a barrier from another thread destroys all %u\n",
	       TERN_EPOCH_BAG_CAP, O.idle_objs);
	for (size_t k = 0; k < NIMPL; k++) {
		if (!use[k] || !rc_is_tern(rc_impls[k]->name))
			continue;
		struct bench_spread wa = IF(k, at_wake_a), af = IF(k, after);
		bool ok1 = wa.min + TERN_EPOCH_BAG_CAP >= O.idle_objs, ok2 = af.min >= O.idle_objs;
		printf("  %-10s destroyed before it woke: %.0f-%.0f of %u (%s); "
		       "after the barrier: %.0f-%.0f of %u (%s)\n",
		       rc_impls[k]->name, wa.min, wa.max, O.idle_objs, ok1 ? "met" : "MISSED", af.min, af.max,
		       O.idle_objs, ok2 ? "met" : "MISSED");
	}
	if (bench_csv_close("tern-bench reclaim", csv, O.idle_csv) != 0)
		return 2;
	return errors;
}

/* ---- main ---- */

/* PATH with `tag` inserted before a trailing ".csv" (or appended). */
static const char *rc_derived_csv(const char *path, const char *tag)
{
	size_t n = strlen(path);
	size_t stem = n >= 4 && strcmp(path + n - 4, ".csv") == 0 ? n - 4 : n;
	char *out = malloc(n + strlen(tag) + 8);
	if (out == NULL)
		abort();
	sprintf(out, "%.*s%s.csv", (int)stem, path, tag);
	return out;
}

int reclaim_main(int argc, char **argv)
{
	rc_parse(argc, argv);
	if (O.child != NULL && strcmp(O.child, "idle") == 0)
		return rc_child_idle();
	if (O.child != NULL)
		return rc_child_slices();
	if (O.csv != NULL && O.gp_csv == NULL)
		O.gp_csv = rc_derived_csv(O.csv, "-gp");
	if (O.csv != NULL && O.idle_csv == NULL)
		O.idle_csv = rc_derived_csv(O.csv, "-idle");
	setvbuf(stdout, NULL, _IOLBF, 0);

	bool use[NIMPL], gp_use[NGP];
	size_t nused = 0, ngp = 0;
	for (size_t k = 0; k < NIMPL; k++)
		nused += (use[k] = bench_in_list(O.only, rc_impls[k]->name));
	for (size_t k = 0; k < NGP; k++)
		ngp += (gp_use[k] = bench_in_list(O.gp_only, rc_gp_impls[k]->name));
	if (((O.throughput || O.idle) && nused == 0) || (O.gp && ngp == 0)) {
		fprintf(stderr, "tern-bench reclaim: no row selected (--impls, --gp-impls)\n");
		return 2;
	}
	uint64_t seed = O.seed * 0x9e3779b97f4a7c15ull + 1;

	char cpu[256], load0[64], load1[64];
	bench_cpu_model(cpu, sizeof cpu);
	bench_print_machine(stdout, "bench/reclaim: ", cpu);
	bench_loadavg(load0, sizeof load0);
	printf("load average (1/5/15 min) at the start: %s\n", load0);
	uint64_t t_start = bench_wall_ns();
	int errors = 0;
	/* Child processes first, while this process has no threads. */
	if (O.idle)
		rc_idle_run(use);
	uint64_t t_idle = bench_wall_ns();
	if (O.throughput) {
		rc_throughput_run(use);
		errors += rc_throughput_report(use, cpu);
	}
	uint64_t t_tp = bench_wall_ns();
	if (O.gp) {
		rc_gp_slices(gp_use, &seed);
		errors += rc_gp_report(gp_use, cpu);
	}
	uint64_t t_gp = bench_wall_ns();
	if (O.idle)
		errors += rc_idle_report(use, cpu);
	bench_loadavg(load1, sizeof load1);
	printf("\nload average (1/5/15 min): %s at the start, %s at the end\n", load0, load1);
	printf("bench/reclaim: %.2f s (throughput %.2f s, gp %.2f s, idle %.2f s)\n",
	       (double)(bench_wall_ns() - t_start) / 1e9, (double)(t_tp - t_idle) / 1e9, (double)(t_gp - t_tp) / 1e9,
	       (double)(t_idle - t_start) / 1e9);
	if (errors) {
		fprintf(stderr,
			"tern-bench reclaim: an implementation leaked objects or let a reader see a destroyed one\n");
		return 1;
	}
	return 0;
}
