/* SPDX-License-Identifier: MIT */
/*
 * bench/reclaim — deferred objects per second, grace-period latency, and
 * what a thread that deferred and then went idle leaves behind.
 *
 * Scenario "throughput".  W writer threads (1 or 2) each loop: allocate a
 * 48-byte object, publish it into one shared slot by atomic exchange, defer
 * the old object (destructor: poison, free, count).  One reader thread
 * loops: pin, acquire load of the slot, check the object's magic, unpin.
 * The driver samples pending objects (allocated minus destroyed) every
 * millisecond.
 *
 *   --mode=slice (default).  One process per writer count (a child: this
 *   binary with --child=slices).  Every row has its own persistent threads
 *   (W writers + 1 reader, registered once) and the rows take turns in
 *   short slices: a slice wakes one row's threads, the others stay blocked
 *   (unpinned, holding nothing beyond what the library keeps for them).
 *   The slice first runs untimed, at least --warm-ms (5 ms) and until the row
 *   has destroyed as many objects as it had pending when the slice began
 *   (at most --warm-max-ms, 100 ms): what it left last time, cold in the
 *   cache after the other rows ran, is gone and its steady state is back
 *   (without this, a row with more pending garbage pays for the other rows'
 *   cache traffic).  Then --slice-ms (15 ms) is measured from outside:
 *   each thread's writes, reads and CPU clock (pthread_getcpuclockid) at
 *   both ends of the window.  A round runs every row once, in an order
 *   shuffled per round; --warmup rounds (1) are not counted.  A row's
 *   garbage carries over from one of its slices to the next, so each slice
 *   measures the row's steady state, and since the rows alternate every few
 *   milliseconds they all see the same phases of the machine (on the
 *   development VM one membarrier costs ~1.3 us for stretches of ~100 ms
 *   and ~55 us in others).  liburcu's call_rcu workers are paused between
 *   liburcu slices (rc_urcu.c).  The writer counts do not share a process:
 *   a writer that 1-writer slices left idle would keep its garbage
 *   (ck_epoch's per-record lists), and the heap would mix both
 *   configurations.  Per (row, writer count) the table shows the median
 *   over slices and the min-max, and per row the ratio to the best peer row
 *   two ways: the ratio of the medians, and the median (and spread) of the
 *   per-round ratios — a row's slice against the best peer's slice of the
 *   same round, a few tens of milliseconds apart.  Peak RSS cannot be told
 *   apart in one process: it comes from a short run of each row alone in a
 *   fresh process (--rss-ms, 100 ms), the mode below; --rss-ms=0 skips
 *   those runs and reports the slice process's peak RSS on every row.
 *
 *   --mode=process.  The previous method: each sample a fresh child process
 *   (this binary re-executed with --child) running one row for --ms, rounds
 *   interleaving the rows in rotated order.
 *
 * Either way, after the last window every row drains (every deferred object
 * destroyed) and is checked: allocations == destructions, and no reader saw
 * a destroyed object.
 *
 * Scenario "gp".  Grace-period latency: 1 or 2 readers loop pin, load,
 * check, unpin; one thread calls the library's synchronize in a loop (tern
 * tern_epoch_synchronize, liburcu-memb synchronize_rcu, ck_epoch
 * ck_epoch_synchronize), the rows interleaved in slices as above.  Median
 * microseconds per call over every call of the row (and p10-p90), the
 * min-max of the per-slice medians, the ratio to liburcu-memb (of the
 * medians, and per round).
 *
 * Scenario "idle".  One writer and one reader keep deferring and reading;
 * a third thread defers --idle-objs objects (1,000) and sleeps --idle-ms
 * (200 ms).  Reported: how many of its objects were destroyed when it
 * started sleeping and when it woke.  Then it defers as many again and
 * blocks on a semaphore; half of --idle-ms later the driver thread calls
 * the library's barrier (tern_epoch_barrier, rcu_barrier, ck_epoch_barrier
 * on the driver's own record — ck_epoch has no call that reaches another
 * live thread's callbacks): how many of the blocked thread's objects were
 * destroyed before and after it, and how long it took.  One fresh process
 * per row and round.
 *
 * Usage: bench_reclaim [--scenarios=throughput,gp,idle] [--mode=slice|process]
 *          [--rounds=N] [--warmup=N] [--slice-ms=M] [--warm-ms=M] [--warm-max-ms=M] [--ms=M]
 *          [--rss-ms=M] [--writers=1,2]
 *          [--readers=1,2] [--idle-ms=M] [--idle-objs=N] [--idle-rounds=N]
 *          [--impls=a,b,...] [--gp-impls=a,b,...] [--seed=N]
 *          [--csv=PATH] [--gp-csv=PATH] [--idle-csv=PATH] [--verbose]
 *
 * --csv=PATH writes the throughput rows to PATH and, unless given
 * separately, the gp rows to PATH with "-gp" before ".csv" and the idle
 * rows with "-idle" (bench/results/reclaim.csv, reclaim-gp.csv,
 * reclaim-idle.csv).  The throughput CSV keeps the columns of the
 * process-per-run version, in the same order, and appends: mode, slice_ms,
 * all_cpu_ns_per_obj (writers + reader + the library's own threads),
 * best_peer, ratio_to_best_peer (of medians), paired_ratio_median /_min
 * /_max /_p10 /_p90 (per-round ratios to the best peer).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <semaphore.h>
#include <stddef.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef BENCH_HAVE_TERN
#include <tern/epoch.h> /* TERN_EPOCH_BAG_CAP, for the idle target */
#endif

#include "../common/bench.h"
#include "../common/child.h"
#include "../common/target.h"
#include "reclaim.h"

_Atomic(struct rc_hdr *) rc_slot;
atomic_bool rc_stop;
_Atomic uint64_t rc_bad[RC_OWNERS];
_Thread_local unsigned rc_cur_owner;
struct rc_ctr rc_ctrs[RC_SLOTS];
_Atomic unsigned rc_nslots;
_Thread_local struct rc_ctr *rc_mine;
_Thread_local uint64_t rc_reader_max_gap_ns;
bool rc_verbose = false;

static const struct rc_impl *const impls[] = {
#ifdef BENCH_HAVE_TERN
	&rc_tern_defer,
	&rc_tern_call,
#endif
	&rc_ck_poll1,
	&rc_ck_poll64,
	&rc_urcu,
	&rc_urcu_percpu,
};
#define NIMPL (sizeof impls / sizeof impls[0])

static const struct rc_gp_impl *const gp_impls[] = {
#ifdef BENCH_HAVE_TERN
	&rc_gp_tern,
#endif
	&rc_gp_urcu,
	&rc_gp_ck,
};
#define NGP (sizeof gp_impls / sizeof gp_impls[0])
#define GP_REF "urcu-memb" /* the grace-period rows' reference */

/* Slice mode: the longest warm-up of a slice (--warm-max-ms). */
static double wk_warm_max_ms = 100;

#define MAX_WRITERS 8
#define MAX_ROUNDS 1000
#define MAX_WCOUNTS 4
#define MAX_IDLE_ROUNDS 25

/* Owner tags in the idle scenario's process. */
#define IDLE_OWN_BG 1 /* the busy writer's objects */
#define IDLE_OWN_A 2  /* the sleeper's objects, first sleep (no barrier) */
#define IDLE_OWN_B 3  /* the sleeper's objects, second sleep (barrier) */

/* ---- counters ---- */

/* => allocated minus destroyed objects of `owner` right now (never an
 * underestimate of the objects alive at the time the frees were read). */
static uint64_t rc_pending(unsigned owner)
{
	/* Relaxed: the number of slots handed out so far; a slot handed out
	 * later has counted nothing we could have missed... except its own
	 * counts, which the next sample picks up. */
	unsigned n = atomic_load_explicit(&rc_nslots, memory_order_relaxed);
	if (n > RC_SLOTS)
		n = RC_SLOTS;
	uint64_t frees = 0, allocs = 0;
	for (unsigned i = 0; i < n; i++)
		/* Acquire: pairs with the release store in rc_destroy(). */
		frees += atomic_load_explicit(&rc_ctrs[i].frees[owner], memory_order_acquire);
	for (unsigned i = 0; i < n; i++)
		/* Relaxed: the acquire loads above already order these after the
		 * allocations of every object counted as freed. */
		allocs += atomic_load_explicit(&rc_ctrs[i].allocs[owner], memory_order_relaxed);
	return allocs >= frees ? allocs - frees : 0;
}

/* => objects of `owner` destroyed so far. */
static uint64_t rc_destroyed(unsigned owner)
{
	unsigned n = atomic_load_explicit(&rc_nslots, memory_order_relaxed); /* as in rc_pending() */
	if (n > RC_SLOTS)
		n = RC_SLOTS;
	uint64_t frees = 0;
	for (unsigned i = 0; i < n; i++)
		/* Acquire: pairs with the release store in rc_destroy() (the
		 * count is exact once the destroying threads are joined). */
		frees += atomic_load_explicit(&rc_ctrs[i].frees[owner], memory_order_acquire);
	return frees;
}

static uint64_t rc_bad_of(unsigned owner)
{
	/* Relaxed: read after the threads that count are joined or idle
	 * behind a semaphore. */
	return atomic_load_explicit(&rc_bad[owner], memory_order_relaxed);
}

/* ---- options ---- */

struct opts {
	bool throughput, gp, idle;
	bool process_mode;
	unsigned rounds;
	unsigned warmup; /* slice mode: uncounted rounds first */
	double ms;       /* process mode: window per run */
	double slice_ms; /* slice mode: one slice's timed window */
	double warm_ms;  /* slice mode: untimed run before it */
	double rss_ms;   /* slice mode: the RSS runs */
	unsigned wcounts[MAX_WCOUNTS], nwcounts;
	unsigned rcounts[MAX_WCOUNTS], nrcounts;
	double idle_ms;
	unsigned idle_objs, idle_rounds;
	uint64_t seed;
	const char *csv, *gp_csv, *idle_csv;
	const char *only, *gp_only;
	/* child mode */
	bool child;
	const char *child_kind; /* "run" or "idle" */
	const char *impl;
};

static const struct bench_opt *opt_table;

/* After parse(), opt_table is NULL (it pointed into parse's frame). */
static _Noreturn void usage(void)
{
	if (opt_table == NULL) {
		fprintf(stderr, "bench_reclaim: options that do not fit together (--help lists them)\n");
		exit(2);
	}
	bench_usage("bench_reclaim", opt_table,
		    "  (--child[=idle|slices] --impl=NAME: a child process of the driver)\n");
}

static void parse(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){.throughput = true, .gp = true, .idle = true, .warmup = 1, .ms = 200,
			   .slice_ms = 15, .warm_ms = 5, .rss_ms = 100, .wcounts = {1, 2}, .nwcounts = 2,
			   .rcounts = {1, 2}, .nrcounts = 2, .idle_ms = 200, .idle_objs = 1000,
			   .idle_rounds = 3, .seed = 1};
	const char *scenarios = NULL, *mode = "slice";
	const struct bench_opt table[] = {
		{"scenarios", BO_STR, &scenarios, "throughput,gp,idle", NULL, NULL, 0, 0},
		{"mode", BO_STR, &mode, "slice|process", NULL, NULL, 0, 0},
		{"rounds", BO_UINT, &o->rounds, "N", NULL, NULL, 0, 0},
		{"warmup", BO_UINT, &o->warmup, "N", NULL, NULL, 0, 0},
		{"slice-ms", BO_DOUBLE, &o->slice_ms, "M", NULL, NULL, 0, 0},
		{"warm-ms", BO_DOUBLE, &o->warm_ms, "M", NULL, NULL, 0, 0},
		{"warm-max-ms", BO_DOUBLE, &wk_warm_max_ms, "M", NULL, NULL, 0, 0},
		{"ms", BO_DOUBLE, &o->ms, "M", NULL, NULL, 0, 0},
		{"rss-ms", BO_DOUBLE, &o->rss_ms, "M", NULL, NULL, 0, 0},
		{"writers", BO_LIST, o->wcounts, "1,2", NULL, &o->nwcounts, MAX_WCOUNTS, MAX_WRITERS},
		{"readers", BO_LIST, o->rcounts, "1,2", NULL, &o->nrcounts, MAX_WCOUNTS, MAX_WRITERS},
		{"idle-ms", BO_DOUBLE, &o->idle_ms, "M", NULL, NULL, 0, 0},
		{"idle-objs", BO_UINT, &o->idle_objs, "N", NULL, NULL, 0, 0},
		{"idle-rounds", BO_UINT, &o->idle_rounds, "N", NULL, NULL, 0, 0},
		{"impls", BO_STR, &o->only, "a,b", NULL, NULL, 0, 0},
		{"gp-impls", BO_STR, &o->gp_only, "a,b", NULL, NULL, 0, 0},
		{"seed", BO_U64, &o->seed, "N", NULL, NULL, 0, 0},
		{"csv", BO_STR, &o->csv, "PATH", NULL, NULL, 0, 0},
		{"gp-csv", BO_STR, &o->gp_csv, "PATH", NULL, NULL, 0, 0},
		{"idle-csv", BO_STR, &o->idle_csv, "PATH", NULL, NULL, 0, 0},
		{"verbose", BO_FLAG, &rc_verbose, NULL, NULL, NULL, 0, 0},
		{"child", BO_STR, &o->child_kind, "idle|slices", "run", NULL, 0, 0},
		{"impl", BO_STR, &o->impl, "NAME", NULL, NULL, 0, 0},
		BENCH_OPT_END,
	};
	opt_table = table;
	bench_opts_parse("bench_reclaim", table, NULL, argc, argv);
	if (scenarios != NULL) {
		o->throughput = strstr(scenarios, "throughput") != NULL;
		o->gp = strstr(scenarios, "gp") != NULL;
		o->idle = strstr(scenarios, "idle") != NULL;
	}
	o->process_mode = strcmp(mode, "process") == 0;
	o->child = o->child_kind != NULL;
	/* The process mode's default stays what it was: 7 rounds. */
	if (o->rounds == 0)
		o->rounds = o->process_mode ? 7 : 60;
	if (o->rounds > MAX_ROUNDS || !(o->ms > 0) || !(o->slice_ms > 0) || !(o->rss_ms >= 0) || !(o->warm_ms >= 0) ||
	    !(o->idle_ms > 0) || o->idle_objs == 0 || o->idle_rounds == 0 || o->idle_rounds > MAX_IDLE_ROUNDS ||
	    (!o->throughput && !o->gp && !o->idle) || (strcmp(mode, "process") != 0 && strcmp(mode, "slice") != 0))
		usage();
	opt_table = NULL;
}

static const struct rc_impl *impl_named(const char *name)
{
	for (size_t i = 0; i < NIMPL; i++)
		if (strcmp(impls[i]->name, name) == 0)
			return impls[i];
	return NULL;
}

static bool is_tern(const char *name)
{
	return strncmp(name, "tern", 4) == 0;
}

/* ---- child: one row alone in a process (process mode, RSS runs) ---- */

struct rc_thread {
	const struct rc_impl *im;
	bool writer;
	unsigned owner;
	pthread_barrier_t *start;
	uint64_t ops, wall_ns, cpu_ns, gap_ns;
};

static void *rc_thread_main(void *arg)
{
	struct rc_thread *t = arg;
	rc_cur_owner = t->owner;
	void *ctx = t->im->thread_init(t->writer);
	bench_barrier_wait(t->start);
	rc_reader_max_gap_ns = 0;
	uint64_t w0 = bench_clock_ns(CLOCK_MONOTONIC);
	uint64_t c0 = bench_clock_ns(CLOCK_THREAD_CPUTIME_ID);
	t->ops = t->writer ? t->im->writer_loop(ctx) : t->im->reader_loop(ctx);
	t->cpu_ns = bench_clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
	t->wall_ns = bench_clock_ns(CLOCK_MONOTONIC) - w0;
	t->gap_ns = rc_reader_max_gap_ns;
	t->im->thread_fini(ctx, t->writer);
	return NULL;
}

static int child_run_main(const char *name, unsigned writers, double ms)
{
	const struct rc_impl *im = impl_named(name);
	if (im == NULL) {
		fprintf(stderr, "bench_reclaim --child: unknown implementation '%s'\n", name);
		return 2;
	}
	im->setup();
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, writers + 2);
	struct rc_thread th[MAX_WRITERS + 1];
	pthread_t tid[MAX_WRITERS + 1];
	for (unsigned i = 0; i <= writers; i++) {
		th[i] = (struct rc_thread){.im = im, .writer = i < writers, .owner = 0, .start = &start};
		int err = pthread_create(&tid[i], NULL, rc_thread_main, &th[i]);
		if (err != 0) {
			fprintf(stderr, "bench_reclaim: pthread_create: %s\n", strerror(err));
			return 2;
		}
	}
	bench_barrier_wait(&start);
	uint64_t h0 = im->helper_cpu_ns ? im->helper_cpu_ns() : 0;
	uint64_t t0 = bench_clock_ns(CLOCK_MONOTONIC);
	uint64_t end = t0 + (uint64_t)(ms * 1e6);
	uint64_t peak = 0;
	unsigned tick = 0;
	for (;;) {
		uint64_t p = rc_pending(0);
		if (p > peak)
			peak = p;
		if (rc_verbose && tick++ % 10 == 0)
			fprintf(stderr, "  %s t=%.0f ms pending %llu\n", im->name,
				(double)(bench_clock_ns(CLOCK_MONOTONIC) - t0) / 1e6, (unsigned long long)p);
		if (bench_clock_ns(CLOCK_MONOTONIC) >= end)
			break;
		bench_sleep_ns(1000000);
	}
	/* Relaxed: the threads only stop looping; their results are read after
	 * pthread_join, which synchronises. */
	atomic_store_explicit(&rc_stop, true, memory_order_relaxed);
	for (unsigned i = 0; i <= writers; i++)
		pthread_join(tid[i], NULL);
	uint64_t h1 = im->helper_cpu_ns ? im->helper_cpu_ns() : 0;
	uint64_t p = rc_pending(0);
	if (p > peak)
		peak = p;

	/* The object left in the slot is owned by nobody else now. */
	struct rc_hdr *last = atomic_exchange_explicit(&rc_slot, NULL, memory_order_relaxed);
	/* (Relaxed: every other thread has been joined.) */
	if (last != NULL)
		rc_destroy(last);
	if (rc_verbose && im->report != NULL) {
		fprintf(stderr, "  %s, %u writers, after the window: ", im->name, writers);
		im->report(stderr);
		fprintf(stderr, "\n");
	}
	im->drain();
	uint64_t leaked = rc_pending(0);

	uint64_t ops = 0, cpu = 0, all = th[writers].cpu_ns + (h1 - h0);
	double rate = 0;
	for (unsigned i = 0; i < writers; i++) {
		ops += th[i].ops;
		cpu += th[i].cpu_ns;
		all += th[i].cpu_ns;
		rate += (double)th[i].ops / ((double)th[i].wall_ns / 1e9);
	}
	double reads = (double)th[writers].ops / ((double)th[writers].wall_ns / 1e9);
	printf("result %.1f %.3f %llu %.1f %llu %llu %.3f %.3f\n", rate, ops ? (double)cpu / (double)ops : 0.0,
	       (unsigned long long)peak, reads, (unsigned long long)leaked, (unsigned long long)rc_bad_of(0),
	       (double)th[writers].gap_ns / 1e6, ops ? (double)all / (double)ops : 0.0);
	fflush(stdout);
	return 0;
}

/* ---- child: the idle-thread scenario for one row ---- */

struct idle_shared {
	const struct rc_impl *im;
	unsigned objs;
	uint64_t sleep_ns;
	sem_t deferred_a, deferred_b, quit;
	/* written by the sleeper, read by the driver after the semaphores */
	uint64_t at_sleep_a, at_wake_a, at_sleep_b;
};

static void idle_defer_batch(struct idle_shared *s, void *ctx, unsigned owner)
{
	rc_cur_owner = owner;
	for (unsigned i = 0; i < s->objs; i++) {
		struct rc_hdr *o = rc_new(RC_OBJ_SIZE, i);
		s->im->defer_one(ctx, o);
	}
}

static void *idle_sleeper_main(void *arg)
{
	struct idle_shared *s = arg;
	void *ctx = s->im->thread_init(true);
	/* First sleep: nobody calls a barrier. */
	idle_defer_batch(s, ctx, IDLE_OWN_A);
	s->at_sleep_a = rc_destroyed(IDLE_OWN_A);
	sem_post(&s->deferred_a);
	bench_sleep_ns(s->sleep_ns);
	s->at_wake_a = rc_destroyed(IDLE_OWN_A);
	/* Second idle period: blocked (as on a condition variable) until the
	 * driver has called the barrier and counted. */
	idle_defer_batch(s, ctx, IDLE_OWN_B);
	s->at_sleep_b = rc_destroyed(IDLE_OWN_B);
	sem_post(&s->deferred_b);
	bench_sem_wait(&s->quit);
	s->im->thread_fini(ctx, true);
	return NULL;
}

static int child_idle_main(const char *name, unsigned objs, double sleep_ms)
{
	const struct rc_impl *im = impl_named(name);
	if (im == NULL || im->defer_one == NULL || im->barrier == NULL) {
		fprintf(stderr, "bench_reclaim --child=idle: no idle scenario for '%s'\n", name ? name : "");
		return 2;
	}
	im->setup();
	void *dctx = im->driver_init();
	/* The busy pair: one writer and one reader, as in the throughput
	 * scenario, for the whole run. */
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, 3);
	struct rc_thread th[2];
	pthread_t tid[2];
	for (unsigned i = 0; i < 2; i++) {
		th[i] = (struct rc_thread){.im = im, .writer = i == 0, .owner = IDLE_OWN_BG, .start = &start};
		if (pthread_create(&tid[i], NULL, rc_thread_main, &th[i]) != 0)
			return 2;
	}
	bench_barrier_wait(&start);
	struct idle_shared s = {.im = im, .objs = objs, .sleep_ns = (uint64_t)(sleep_ms * 1e6)};
	sem_init(&s.deferred_a, 0, 0);
	sem_init(&s.deferred_b, 0, 0);
	sem_init(&s.quit, 0, 0);
	pthread_t sl;
	if (pthread_create(&sl, NULL, idle_sleeper_main, &s) != 0)
		return 2;
	bench_sem_wait(&s.deferred_a);
	bench_sem_wait(&s.deferred_b);
	bench_sleep_ns(s.sleep_ns / 2);
	uint64_t before = rc_destroyed(IDLE_OWN_B);
	uint64_t b0 = bench_clock_ns(CLOCK_MONOTONIC);
	im->barrier(dctx);
	uint64_t b1 = bench_clock_ns(CLOCK_MONOTONIC);
	uint64_t after = rc_destroyed(IDLE_OWN_B);
	sem_post(&s.quit);
	pthread_join(sl, NULL);
	/* Relaxed: the busy threads only stop looping; joined below. */
	atomic_store_explicit(&rc_stop, true, memory_order_relaxed);
	for (unsigned i = 0; i < 2; i++)
		pthread_join(tid[i], NULL);
	struct rc_hdr *last = atomic_exchange_explicit(&rc_slot, NULL, memory_order_relaxed);
	if (last != NULL)
		rc_destroy(last);
	if (dctx != NULL)
		im->thread_fini(dctx, true); /* the driver's own record (ck_epoch): dispatch, unregister */
	im->drain();
	uint64_t leaked = 0, bad = 0;
	for (unsigned o = 0; o <= IDLE_OWN_B; o++) {
		leaked += rc_pending(o);
		bad += rc_bad_of(o);
	}
	printf("idle %llu %llu %llu %llu %llu %.3f %llu %llu\n", (unsigned long long)s.at_sleep_a,
	       (unsigned long long)s.at_wake_a, (unsigned long long)s.at_sleep_b, (unsigned long long)before,
	       (unsigned long long)after, (double)(b1 - b0) / 1e6, (unsigned long long)leaked,
	       (unsigned long long)bad);
	fflush(stdout);
	return 0;
}

/* ---- parent: child processes ---- */

static const char *self_exe;

/* Runs this binary with argv (NULL-terminated, argv[0] filled in here) and
 * passes each stdout line to `line`; => the child's rusage (peak RSS). */
static struct rusage run_self(char **argv, void (*line)(const char *, void *), void *arg, const char *what)
{
	struct bench_child c;
	struct rusage ru;
	char buf[512];
	argv[0] = (char *)self_exe;
	if (bench_child_start(&c, what, argv) != 0)
		exit(2);
	while (bench_child_line(&c, buf, sizeof buf) != NULL)
		line(buf, arg);
	if (bench_child_finish(&c, &ru) != 0) {
		fprintf(stderr, "bench_reclaim: child for %s failed\n", what);
		exit(2);
	}
	return ru;
}

struct sample {
	double rate;        /* deferred objects per second, all writers */
	double cpu_per_obj; /* writers' thread CPU ns per deferred object */
	double all_per_obj; /* writers + reader + library threads, CPU ns per object */
	double peak;        /* peak pending objects */
	double reads;       /* reader sections per second */
	double rss_kib;     /* peak RSS of a process running the row alone */
	double gap_ms;      /* reader's longest gap between batches */
	double warm_ms;     /* the slice's warm-up (slice mode) */
	uint64_t leaked, bad;
};

struct run_line {
	struct sample *s;
	int got;
};

static void parse_run_line(const char *line, void *arg)
{
	struct run_line *r = arg;
	struct sample *s = r->s;
	unsigned long long peak, leaked, bad;
	if (sscanf(line, "result %lf %lf %llu %lf %llu %llu %lf %lf", &s->rate, &s->cpu_per_obj, &peak, &s->reads,
		   &leaked, &bad, &s->gap_ms, &s->all_per_obj) == 8) {
		s->peak = (double)peak;
		s->leaked = leaked;
		s->bad = bad;
		r->got = 1;
	}
}

static struct sample run_child(const char *impl, unsigned writers, double ms)
{
	char a_impl[128], a_w[32], a_ms[64], a_v[16] = "--verbose";
	snprintf(a_impl, sizeof a_impl, "--impl=%s", impl);
	snprintf(a_w, sizeof a_w, "--writers=%u", writers);
	snprintf(a_ms, sizeof a_ms, "--ms=%g", ms);
	char *argv[] = {NULL, "--child", a_impl, a_w, a_ms, rc_verbose ? a_v : NULL, NULL};
	struct sample s;
	memset(&s, 0, sizeof s);
	struct run_line r = {&s, 0};
	struct rusage ru = run_self(argv, parse_run_line, &r, impl);
	if (!r.got) {
		fprintf(stderr, "bench_reclaim: child for %s (%u writers) printed no result\n", impl, writers);
		exit(2);
	}
	s.rss_kib = (double)ru.ru_maxrss;
	return s;
}

struct idle_sample {
	double at_sleep_a, at_wake_a, at_sleep_b, before, after, barrier_ms;
	uint64_t leaked, bad;
	int got;
};

static void parse_idle_line(const char *line, void *arg)
{
	struct idle_sample *s = arg;
	unsigned long long v[5], leaked, bad;
	if (sscanf(line, "idle %llu %llu %llu %llu %llu %lf %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
		   &s->barrier_ms, &leaked, &bad) == 8) {
		s->at_sleep_a = (double)v[0];
		s->at_wake_a = (double)v[1];
		s->at_sleep_b = (double)v[2];
		s->before = (double)v[3];
		s->after = (double)v[4];
		s->leaked = leaked;
		s->bad = bad;
		s->got = 1;
	}
}

static struct idle_sample run_idle_child(const char *impl, unsigned objs, double ms)
{
	char a_impl[128], a_o[32], a_ms[64];
	snprintf(a_impl, sizeof a_impl, "--impl=%s", impl);
	snprintf(a_o, sizeof a_o, "--idle-objs=%u", objs);
	snprintf(a_ms, sizeof a_ms, "--idle-ms=%g", ms);
	char *argv[] = {NULL, "--child=idle", a_impl, a_o, a_ms, NULL};
	struct idle_sample s;
	memset(&s, 0, sizeof s);
	run_self(argv, parse_idle_line, &s, impl);
	if (!s.got) {
		fprintf(stderr, "bench_reclaim: idle child for %s printed no result\n", impl);
		exit(2);
	}
	return s;
}

/* ---- slices: persistent per-row threads, one row at a time ---- */

enum { ROLE_WRITER, ROLE_READER, ROLE_SYNCER };
#define GROUP_THREADS (MAX_WRITERS + 1)
#define LAT_CAP (1u << 16) /* synchronize latencies kept per slice */

struct wk_group;

struct wk {
	struct wk_group *g;
	int role;
	sem_t go;
	pthread_t tid;
	clockid_t cpu_clock;  /* the thread's CPU clock, read by the driver */
	struct rc_ctr *ctr;   /* the thread's counters (allocs = writes, reads) */
	/* one slice's results, read by the driver after wk_done */
	uint64_t ops, wall_ns, cpu_ns, gap_ns;
	double *lat, *lat_t0; /* synchronize latencies and start times (ns) */
	size_t nlat;
	/* the timed window, measured by the driver from outside */
	uint64_t w_ops, w_cpu;
};

struct wk_group {
	const struct rc_impl *im;    /* a throughput row, or */
	const struct rc_gp_impl *gp; /* a grace-period row */
	unsigned owner;
	unsigned nth;
	struct wk th[GROUP_THREADS];
	struct rc_hdr *parked; /* the row's object in rc_slot between its slices */
};

/* pthread barriers by number of active threads (+ the driver). */
static pthread_barrier_t wk_start[GROUP_THREADS + 1];
static unsigned wk_nactive;
static sem_t wk_done;
static atomic_bool wk_quit;

static void *wk_main(void *arg)
{
	struct wk *t = arg;
	struct wk_group *g = t->g;
	rc_cur_owner = g->owner;
	t->ctr = rc_me();
	if (pthread_getcpuclockid(pthread_self(), &t->cpu_clock) != 0)
		abort();
	void *ctx = g->gp ? g->gp->thread_init(t->role == ROLE_SYNCER) : g->im->thread_init(t->role == ROLE_WRITER);
	sem_post(&wk_done);
	for (;;) {
		bench_sem_wait(&t->go);
		/* Relaxed: ordered by the semaphore the driver posted after setting it. */
		if (atomic_load_explicit(&wk_quit, memory_order_relaxed))
			break;
		bench_barrier_wait(&wk_start[wk_nactive]);
		rc_reader_max_gap_ns = 0;
		uint64_t w0 = bench_clock_ns(CLOCK_MONOTONIC);
		uint64_t c0 = bench_clock_ns(CLOCK_THREAD_CPUTIME_ID);
		if (t->role == ROLE_WRITER) {
			t->ops = g->im->writer_loop(ctx);
		} else if (t->role == ROLE_READER) {
			t->ops = g->gp ? g->gp->reader_loop(ctx) : g->im->reader_loop(ctx);
		} else {
			uint64_t n = 0;
			t->nlat = 0;
			/* Relaxed: a progress count for the driver (wk_snap). */
			atomic_store_explicit(&t->ctr->reads, 0, memory_order_relaxed);
			do { /* at least one call, however late the thread starts */
				uint64_t a = bench_clock_ns(CLOCK_MONOTONIC);
				g->gp->synchronize(ctx);
				uint64_t b = bench_clock_ns(CLOCK_MONOTONIC);
				if (t->nlat < LAT_CAP) {
					t->lat_t0[t->nlat] = (double)a;
					t->lat[t->nlat++] = (double)(b - a);
				}
				n++;
				/* Relaxed: a progress count for the driver (wk_snap). */
				atomic_store_explicit(&t->ctr->reads, n, memory_order_relaxed);
			} while (!rc_stopped());
			t->ops = n;
		}
		t->cpu_ns = bench_clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
		t->wall_ns = bench_clock_ns(CLOCK_MONOTONIC) - w0;
		t->gap_ns = rc_reader_max_gap_ns;
		sem_post(&wk_done);
	}
	if (g->gp)
		g->gp->thread_fini(ctx, t->role == ROLE_SYNCER);
	else
		g->im->thread_fini(ctx, t->role == ROLE_WRITER);
	return NULL;
}

static void wk_init(void)
{
	for (unsigned n = 1; n <= GROUP_THREADS; n++)
		pthread_barrier_init(&wk_start[n], NULL, n + 1);
	sem_init(&wk_done, 0, 0);
	atomic_init(&wk_quit, false);
}

/* Starts a group's threads: th[0..nwriters) writers (or th[0] the syncer
 * and th[1..] readers), the last a reader; waits until each is registered. */
static void wk_group_start(struct wk_group *g)
{
	for (unsigned i = 0; i < g->nth; i++) {
		struct wk *t = &g->th[i];
		t->g = g;
		sem_init(&t->go, 0, 0);
		if (t->role == ROLE_SYNCER) {
			t->lat = malloc(LAT_CAP * sizeof *t->lat);
			t->lat_t0 = malloc(LAT_CAP * sizeof *t->lat_t0);
			if (t->lat == NULL || t->lat_t0 == NULL)
				abort();
		}
		int err = pthread_create(&t->tid, NULL, wk_main, t);
		if (err != 0) {
			fprintf(stderr, "bench_reclaim: pthread_create: %s\n", strerror(err));
			exit(2);
		}
	}
	for (unsigned i = 0; i < g->nth; i++)
		bench_sem_wait(&wk_done);
}

static void wk_group_stop(struct wk_group *g)
{
	/* Relaxed: the semaphore posts below publish it. */
	atomic_store_explicit(&wk_quit, true, memory_order_relaxed);
	for (unsigned i = 0; i < g->nth; i++)
		sem_post(&g->th[i].go);
	for (unsigned i = 0; i < g->nth; i++) {
		pthread_join(g->th[i].tid, NULL);
		sem_destroy(&g->th[i].go);
		free(g->th[i].lat);
		free(g->th[i].lat_t0);
	}
	atomic_store_explicit(&wk_quit, false, memory_order_relaxed);
}

/* What a thread has done so far, read from outside: writes (its allocation
 * count for the row), reads or synchronize calls, and its CPU clock. */
static void wk_snap(struct wk *t, unsigned owner, uint64_t *ops, uint64_t *cpu)
{
	/* Relaxed: progress counters, each written by its own thread only. */
	*ops = t->role == ROLE_WRITER ? atomic_load_explicit(&t->ctr->allocs[owner], memory_order_relaxed)
				      : atomic_load_explicit(&t->ctr->reads, memory_order_relaxed);
	struct timespec ts;
	if (clock_gettime(t->cpu_clock, &ts) != 0)
		abort();
	*cpu = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The timed window of the last slice, and its warm-up. */
static uint64_t wk_win_t0, wk_win_t1, wk_win_helper, wk_win_warm;

/*
 * Runs one slice of group g with the threads act[0..n): resumes the
 * library's threads, restores the row's object into the slot, releases the
 * threads together, lets them run warm_ms untimed (the row's garbage left
 * from its previous slice is destroyed, its state and caches are its own
 * again), then measures a window of ms from outside — each thread's writes
 * (or reads) and CPU clock at both ends, the library threads' CPU, and the
 * row's pending objects every millisecond — then stops the threads, parks
 * the row's object and pauses the library's threads.  => peak pending in
 * the window.
 */
static uint64_t wk_slice(struct wk_group *g, const unsigned *act, unsigned n, double warm_ms, double ms,
			 bool sample)
{
	if (g->im && g->im->resume)
		g->im->resume();
	/* Relaxed: the threads that read the slot are released by the
	 * semaphores and the barrier below, which order this store. */
	atomic_store_explicit(&rc_slot, g->parked, memory_order_relaxed);
	wk_nactive = n;
	for (unsigned i = 0; i < n; i++)
		sem_post(&g->th[act[i]].go);
	uint64_t pending0 = sample ? rc_pending(g->owner) : 0, destroyed0 = sample ? rc_destroyed(g->owner) : 0;
	bench_barrier_wait(&wk_start[n]);
	/* Warm-up: at least warm_ms, and until the row has destroyed as many
	 * objects as it had pending when the slice began — what it left last
	 * time, now cold in the cache after the other rows ran — so that the
	 * window sees its steady state; at most wk_warm_max_ms. */
	uint64_t w0 = bench_clock_ns(CLOCK_MONOTONIC), wmin = w0 + (uint64_t)(warm_ms * 1e6);
	uint64_t wmax = w0 + (uint64_t)(wk_warm_max_ms * 1e6);
	for (uint64_t now = w0;; now = bench_clock_ns(CLOCK_MONOTONIC)) {
		if (now >= wmax || (now >= wmin && rc_destroyed(g->owner) - destroyed0 >= pending0))
			break;
		bench_sleep_ns(now < wmin ? wmin - now : 500000);
	}
	wk_win_warm = bench_clock_ns(CLOCK_MONOTONIC) - w0;
	uint64_t ops0[GROUP_THREADS], cpu0[GROUP_THREADS];
	for (unsigned i = 0; i < n; i++)
		wk_snap(&g->th[act[i]], g->owner, &ops0[i], &cpu0[i]);
	uint64_t h0 = g->im && g->im->helper_cpu_ns ? g->im->helper_cpu_ns() : 0;
	uint64_t t0 = bench_clock_ns(CLOCK_MONOTONIC), end = t0 + (uint64_t)(ms * 1e6), t1;
	uint64_t peak = 0;
	for (;;) {
		if (sample) {
			uint64_t p = rc_pending(g->owner);
			if (p > peak)
				peak = p;
		}
		t1 = bench_clock_ns(CLOCK_MONOTONIC);
		if (t1 >= end)
			break;
		bench_sleep_ns(end - t1 < 1000000 ? end - t1 : 1000000);
	}
	/* On a loaded machine a thread may not have run at all in a short
	 * window: extend it (up to a second) until each writer, reader and
	 * synchronize loop has made progress, so that every window measures
	 * all of the row. */
	for (bool idle = true; idle && t1 - t0 < 1000000000u; t1 = bench_clock_ns(CLOCK_MONOTONIC)) {
		idle = false;
		for (unsigned i = 0; i < n; i++) {
			uint64_t o1, c1;
			wk_snap(&g->th[act[i]], g->owner, &o1, &c1);
			idle |= o1 == ops0[i];
		}
		if (idle)
			bench_sleep_ns(200000);
	}
	for (unsigned i = 0; i < n; i++) {
		struct wk *t = &g->th[act[i]];
		wk_snap(t, g->owner, &t->w_ops, &t->w_cpu);
		t->w_ops -= ops0[i];
		t->w_cpu -= cpu0[i];
	}
	uint64_t h1 = g->im && g->im->helper_cpu_ns ? g->im->helper_cpu_ns() : 0;
	wk_win_t0 = t0;
	wk_win_t1 = t1;
	wk_win_helper = h1 - h0;
	/* Relaxed: only ends the loops; the results are read after wk_done. */
	atomic_store_explicit(&rc_stop, true, memory_order_relaxed);
	for (unsigned i = 0; i < n; i++)
		bench_sem_wait(&wk_done);
	atomic_store_explicit(&rc_stop, false, memory_order_relaxed);
	/* Relaxed: every thread of the row is blocked on its semaphore. */
	g->parked = atomic_exchange_explicit(&rc_slot, NULL, memory_order_relaxed);
	if (g->im && g->im->pause)
		g->im->pause();
	return peak;
}

/* ---- throughput ---- */

static struct sample samples[NIMPL][MAX_WCOUNTS][MAX_ROUNDS];
static double rss_v[NIMPL][MAX_WCOUNTS][MAX_ROUNDS];
static unsigned rss_n;

/* Median (and min, max) of one field over the rounds. */
static struct bench_stat field(size_t k, unsigned w, unsigned rounds, size_t off)
{
	static double v[MAX_ROUNDS];
	for (unsigned r = 0; r < rounds; r++)
		memcpy(&v[r], (const char *)&samples[k][w][r] + off, sizeof(double));
	return bench_stat_of(v, rounds);
}

static void throughput_slices(const struct opts *o, const bool *use, uint64_t *seed)
{
	static struct wk_group groups[NIMPL];
	unsigned wmax = 0;
	for (unsigned w = 0; w < o->nwcounts; w++)
		if (o->wcounts[w] > wmax)
			wmax = o->wcounts[w];
	for (size_t k = 0; k < NIMPL; k++) {
		if (!use[k])
			continue;
		struct wk_group *g = &groups[k];
		g->im = impls[k];
		g->owner = (unsigned)k;
		g->nth = wmax + 1;
		for (unsigned i = 0; i < g->nth; i++)
			g->th[i].role = i < wmax ? ROLE_WRITER : ROLE_READER;
		g->im->setup();
	}
	for (size_t k = 0; k < NIMPL; k++)
		if (use[k])
			wk_group_start(&groups[k]);
	for (size_t k = 0; k < NIMPL; k++)
		if (use[k] && groups[k].im->pause)
			groups[k].im->pause();

	unsigned kinds[NIMPL * MAX_WCOUNTS], nk = 0;
	for (size_t k = 0; k < NIMPL; k++)
		if (use[k])
			for (unsigned w = 0; w < o->nwcounts; w++)
				kinds[nk++] = (unsigned)(k * MAX_WCOUNTS + w);
	for (unsigned r = 0; r < o->warmup + o->rounds; r++) { /* warm-up rounds first */
		bench_shuffle(kinds, nk, seed);
		for (unsigned i = 0; i < nk; i++) {
			size_t k = kinds[i] / MAX_WCOUNTS;
			unsigned w = kinds[i] % MAX_WCOUNTS, nw = o->wcounts[w];
			struct wk_group *g = &groups[k];
			unsigned act[GROUP_THREADS];
			for (unsigned j = 0; j < nw; j++)
				act[j] = j;
			act[nw] = g->nth - 1; /* the reader */
			uint64_t peak = wk_slice(g, act, nw + 1, o->warm_ms, o->slice_ms, true);
			if (r < o->warmup)
				continue;
			struct sample *s = &samples[k][w][r - o->warmup];
			double win = (double)(wk_win_t1 - wk_win_t0) / 1e9;
			uint64_t ops = 0, cpu = 0, all = wk_win_helper;
			for (unsigned j = 0; j <= nw; j++) {
				struct wk *t = &g->th[act[j]];
				all += t->w_cpu;
				if (t->role != ROLE_WRITER)
					continue;
				ops += t->w_ops;
				cpu += t->w_cpu;
			}
			struct wk *rd = &g->th[g->nth - 1];
			s->rate = (double)ops / win;
			s->cpu_per_obj = ops ? (double)cpu / (double)ops : 0;
			s->all_per_obj = ops ? (double)all / (double)ops : 0;
			s->peak = (double)peak;
			s->reads = (double)rd->w_ops / win;
			s->gap_ms = (double)rd->gap_ns / 1e6;
			s->warm_ms = (double)wk_win_warm / 1e6;
			double rate = s->rate;
			if (rc_verbose)
				fprintf(stderr, "  round %u %-16s %u writer(s): %.2f Mobj/s, peak pending %llu\n", r,
					g->im->name, nw, rate / 1e6, (unsigned long long)peak);
		}
	}

	/* Stop every row, then drain and check each. */
	for (size_t k = 0; k < NIMPL; k++)
		if (use[k] && groups[k].im->resume)
			groups[k].im->resume();
	for (size_t k = 0; k < NIMPL; k++)
		if (use[k])
			wk_group_stop(&groups[k]);
	for (size_t k = 0; k < NIMPL; k++) {
		if (!use[k])
			continue;
		struct wk_group *g = &groups[k];
		/* Nobody else owns the row's last object now. */
		if (g->parked != NULL)
			rc_destroy(g->parked);
		g->parked = NULL;
		if (rc_verbose && g->im->report != NULL) {
			fprintf(stderr, "  %s after its last slice: ", g->im->name);
			g->im->report(stderr);
			fprintf(stderr, "\n");
		}
		g->im->drain();
	}
	for (size_t k = 0; k < NIMPL; k++) {
		if (!use[k])
			continue;
		uint64_t leaked = rc_pending((unsigned)k), bad = rc_bad_of((unsigned)k);
		for (unsigned w = 0; w < o->nwcounts; w++) {
			samples[k][w][0].leaked = leaked;
			samples[k][w][0].bad = bad;
		}
	}
}

/* One process per row, rss_rounds runs: peak RSS (and the children's own
 * correctness checks). */
static void throughput_rss(const struct opts *o, const bool *use, unsigned rss_rounds)
{
	rss_n = rss_rounds;
	for (unsigned r = 0; r < rss_rounds; r++)
		for (unsigned w = 0; w < o->nwcounts; w++)
			for (size_t j = 0; j < NIMPL; j++) {
				size_t k = (j + r) % NIMPL;
				if (!use[k])
					continue;
				struct sample s = run_child(impls[k]->name, o->wcounts[w], o->rss_ms);
				rss_v[k][w][r] = s.rss_kib;
				/* Counted with the slices' own checks. */
				samples[k][w][MAX_ROUNDS - 1].leaked += s.leaked;
				samples[k][w][MAX_ROUNDS - 1].bad += s.bad;
			}
}

static int throughput_report(const struct opts *o, const bool *use, const char *cpu)
{
	unsigned rounds = o->rounds;
	size_t tern = NIMPL;
	for (size_t k = 0; k < NIMPL; k++)
		if (use[k] && strcmp(impls[k]->name, "tern-defer") == 0)
			tern = k;
	FILE *csv = bench_csv_open("bench_reclaim", o->csv,
		        "impl,writers,rounds,mobj_per_s_median,mobj_per_s_min,mobj_per_s_max,ratio_to_tern,"
		        "writer_cpu_ns_per_obj,peak_pending_median,peak_pending_max,peak_rss_kib_median,"
		        "peak_rss_kib_max,reader_mreads_per_s,reader_max_gap_ms,leaked,bad_reads,cpu,compiler,"
		        "mode,slice_ms,all_cpu_ns_per_obj,best_peer,ratio_to_best_peer,paired_ratio_median,"
		        "paired_ratio_min,paired_ratio_max,paired_ratio_p10,paired_ratio_p90,paired_cpu_ratio_median,"
		        "paired_cpu_ratio_min,paired_cpu_ratio_max,warm_ms_median");
	int errors = 0;
	for (unsigned w = 0; w < o->nwcounts; w++) {
		/* The best peer: highest median rate among the non-tern rows. */
		size_t bp = NIMPL;
		for (size_t k = 0; k < NIMPL; k++) {
			if (!use[k] || is_tern(impls[k]->name))
				continue;
			struct bench_stat st = field(k, w, rounds, offsetof(struct sample, rate));
			if (bp == NIMPL || st.median > field(bp, w, rounds, offsetof(struct sample, rate)).median)
				bp = k;
		}
		struct bench_stat tr = tern < NIMPL ? field(tern, w, rounds, offsetof(struct sample, rate))
						       : (struct bench_stat){0, 0, 0};
		struct bench_stat br = bp < NIMPL ? field(bp, w, rounds, offsetof(struct sample, rate))
						     : (struct bench_stat){0, 0, 0};
		printf("\n%u writer%s + 1 reader  Mobj/s median (min-max)  xtern  x%-12s paired [p10-p90]  "
		       "wCPU ns/obj  all CPU ns/obj  peak pending (max)  peak RSS MiB (max)  reader Mreads/s, max gap "
		       "ms  errors\n",
		       o->wcounts[w], o->wcounts[w] == 1 ? " " : "s", bp < NIMPL ? impls[bp]->name : "best peer");
		for (size_t k = 0; k < NIMPL; k++) {
			if (!use[k])
				continue;
			struct bench_stat rate = field(k, w, rounds, offsetof(struct sample, rate));
			struct bench_stat cpuo = field(k, w, rounds, offsetof(struct sample, cpu_per_obj));
			struct bench_stat allo = field(k, w, rounds, offsetof(struct sample, all_per_obj));
			struct bench_stat peak = field(k, w, rounds, offsetof(struct sample, peak));
			struct bench_stat rd = field(k, w, rounds, offsetof(struct sample, reads));
			struct bench_stat gap = field(k, w, rounds, offsetof(struct sample, gap_ms));
			struct bench_stat warm = field(k, w, rounds, offsetof(struct sample, warm_ms));
			struct bench_stat rss;
			if (o->process_mode) {
				rss = field(k, w, rounds, offsetof(struct sample, rss_kib));
			} else {
				double v[MAX_ROUNDS];
				memcpy(v, rss_v[k][w], rss_n * sizeof(double));
				rss = bench_stat_of(v, rss_n);
			}
			uint64_t leaked = 0, bad = 0;
			for (unsigned r = 0; r < MAX_ROUNDS; r++) {
				leaked += samples[k][w][r].leaked;
				bad += samples[k][w][r].bad;
			}
			errors += leaked != 0 || bad != 0;
			/* Per-round ratios to the best peer. */
			double pr[MAX_ROUNDS];
			unsigned np = 0;
			if (bp < NIMPL)
				for (unsigned r = 0; r < rounds; r++)
					if (samples[bp][w][r].rate > 0)
						pr[np++] = samples[k][w][r].rate / samples[bp][w][r].rate;
			struct bench_stat pst = bench_stat_of(pr, np);
			double p10 = bench_pct(pr, np, 0.10), p90 = bench_pct(pr, np, 0.90);
			/* Per round: the best peer's writer CPU per object / this row's
			 * (> 1: this row spends less CPU per object). */
			double pc[MAX_ROUNDS];
			unsigned nc = 0;
			if (bp < NIMPL)
				for (unsigned r = 0; r < rounds; r++)
					if (samples[k][w][r].cpu_per_obj > 0)
						pc[nc++] = samples[bp][w][r].cpu_per_obj / samples[k][w][r].cpu_per_obj;
			struct bench_stat pcs = bench_stat_of(pc, nc);
			double ratio = tern < NIMPL ? rate.median / tr.median : 0;
			double to_best = bp < NIMPL ? rate.median / br.median : 0;
			char range[64], ratio_s[16], best_s[64], peaks[64], rsss[64];
			snprintf(range, sizeof range, "%.2f (%.2f-%.2f)", rate.median / 1e6, rate.min / 1e6,
				 rate.max / 1e6);
			snprintf(ratio_s, sizeof ratio_s, tern < NIMPL ? "%.2f" : "-", ratio);
			snprintf(best_s, sizeof best_s, "%.2f  %.2f [%.2f-%.2f]", to_best, pst.median, p10, p90);
			snprintf(peaks, sizeof peaks, "%.0f (%.0f)", peak.median, peak.max);
			snprintf(rsss, sizeof rsss, "%.1f (%.1f)", rss.median / 1024, rss.max / 1024);
			printf("%-22s %-25s %5s  %-30s %11.1f %15.1f  %-19s %-19s %15.2f %12.1f  %s\n", impls[k]->name,
			       range, ratio_s, best_s, cpuo.median, allo.median, peaks, rsss, rd.median / 1e6, gap.max,
			       leaked || bad ? "LEAKED/BAD" : "0");
			if (csv != NULL) {
				fprintf(csv, "%s,%u,%u,%.4f,%.4f,%.4f,", impls[k]->name, o->wcounts[w], rounds,
					rate.median / 1e6, rate.min / 1e6, rate.max / 1e6);
				if (tern < NIMPL)
					fprintf(csv, "%.4f", ratio);
				fprintf(csv, ",%.2f,%.0f,%.0f,%.0f,%.0f,%.4f,%.3f,%llu,%llu,%s,%s", cpuo.median,
					peak.median, peak.max, rss.median, rss.max, rd.median / 1e6, gap.max,
					(unsigned long long)leaked, (unsigned long long)bad, cpu, bench_compiler());
				fprintf(csv, ",%s,%g,%.2f,%s,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.2f\n",
					o->process_mode ? "process" : "slice", o->process_mode ? o->ms : o->slice_ms,
					allo.median, bp < NIMPL ? impls[bp]->name : "", to_best, pst.median, pst.min,
					pst.max, p10, p90, pcs.median, pcs.min, pcs.max, warm.median);
			}
		}
	}

	bool any_peer = false;
	for (size_t k = 0; k < NIMPL; k++)
		any_peer |= use[k] && !is_tern(impls[k]->name);
	if (tern < NIMPL && any_peer) {
		printf(
		    "\ntarget: every tern row >= 1.0x the best peer row, with 1 and 2 writers; peak pending bounded\n"
		    "  (x = median of the per-round ratios [p10-p90, min-max]; ratio of the medians beside it;\n"
		    "   bounded = the tern row's median per-slice peak pending <= the largest median of the peer "
		    "rows;\n"
		    "   the largest single peaks beside it)\n");
		for (unsigned w = 0; w < o->nwcounts; w++) {
			size_t bp = NIMPL;
			double peer_peak = 0, peer_max = 0;
			for (size_t k = 0; k < NIMPL; k++) {
				if (!use[k] || is_tern(impls[k]->name))
					continue;
				if (bp == NIMPL || field(k, w, rounds, offsetof(struct sample, rate)).median >
							   field(bp, w, rounds, offsetof(struct sample, rate)).median)
					bp = k;
				struct bench_stat pk = field(k, w, rounds, offsetof(struct sample, peak));
				if (pk.median > peer_peak)
					peer_peak = pk.median;
				if (pk.max > peer_max)
					peer_max = pk.max;
			}
			struct bench_stat br = field(bp, w, rounds, offsetof(struct sample, rate));
			for (size_t k = 0; k < NIMPL; k++) {
				if (!use[k] || !is_tern(impls[k]->name))
					continue;
				struct bench_stat rt = field(k, w, rounds, offsetof(struct sample, rate));
				double pr[MAX_ROUNDS];
				unsigned np = 0;
				for (unsigned r = 0; r < rounds; r++)
					if (samples[bp][w][r].rate > 0)
						pr[np++] = samples[k][w][r].rate / samples[bp][w][r].rate;
				struct bench_stat pst = bench_stat_of(pr, np);
				double pc[MAX_ROUNDS];
				unsigned nc = 0;
				for (unsigned r = 0; r < rounds; r++)
					if (samples[k][w][r].cpu_per_obj > 0)
						pc[nc++] = samples[bp][w][r].cpu_per_obj / samples[k][w][r].cpu_per_obj;
				struct bench_stat pcs = bench_stat_of(pc, nc);
				struct bench_stat pk = field(k, w, rounds, offsetof(struct sample, peak));
				printf("  %u writer%s: %-10s %.2f vs %s %.2f Mobj/s: x%.2f [%.2f-%.2f, %.2f-%.2f] %s; "
				       "ratio of medians x%.2f\n"
				       "             writer CPU ns/obj %.1f vs %.1f (per round, peer/tern x%.2f "
				       "[%.2f-%.2f]); "
				       "peak pending %.0f vs the peers' %.0f %s (largest %.0f vs %.0f)\n",
				       o->wcounts[w], o->wcounts[w] == 1 ? " " : "s", impls[k]->name, rt.median / 1e6,
				       impls[bp]->name, br.median / 1e6, pst.median, bench_pct(pr, np, 0.1),
				       bench_pct(pr, np, 0.9), pst.min, pst.max, pst.median >= 1.0 ? "met" : "MISSED",
				       rt.median / br.median,
				       field(k, w, rounds, offsetof(struct sample, cpu_per_obj)).median,
				       field(bp, w, rounds, offsetof(struct sample, cpu_per_obj)).median, pcs.median,
				       pcs.min, pcs.max, pk.median, peer_peak,
				       pk.median <= peer_peak ? "(bounded: met)" : "(above the peers: MISSED)", pk.max,
				       peer_max);
			}
		}
	}
	if (bench_csv_close("bench_reclaim", csv, o->csv) != 0)
		return 2;
	return errors;
}

/* The slices of one writer count, in a child process (so that a row's
 * writers that a 1-writer slice leaves idle do not hold garbage, as they
 * would if the writer counts shared the process): one line per slice,
 * then one per row with its checks. */
static int child_slices_main(struct opts *o)
{
	bool use[NIMPL];
	for (size_t k = 0; k < NIMPL; k++)
		use[k] = bench_in_list(o->only, impls[k]->name);
	uint64_t seed = o->seed * 0x9e3779b97f4a7c15ull + o->wcounts[0];
	wk_init();
	throughput_slices(o, use, &seed);
	for (size_t k = 0; k < NIMPL; k++) {
		if (!use[k])
			continue;
		for (unsigned r = 0; r < o->rounds; r++) {
			const struct sample *x = &samples[k][0][r];
			printf("slice %zu %u %.9g %.9g %.9g %.9g %.9g %.9g %.9g\n", k, r, x->rate, x->cpu_per_obj,
			       x->all_per_obj, x->peak, x->reads, x->gap_ms, x->warm_ms);
		}
		printf("check %zu %llu %llu\n", k, (unsigned long long)samples[k][0][0].leaked,
		       (unsigned long long)samples[k][0][0].bad);
	}
	fflush(stdout);
	return 0;
}

struct slices_line {
	unsigned w;
	int got;
};

static void parse_slices_line(const char *line, void *arg)
{
	struct slices_line *sl = arg;
	size_t k;
	unsigned r;
	double v[7];
	unsigned long long leaked, bad;
	if (sscanf(line, "slice %zu %u %lf %lf %lf %lf %lf %lf %lf", &k, &r, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		   &v[6]) == 9 &&
	    k < NIMPL && r < MAX_ROUNDS) {
		struct sample *x = &samples[k][sl->w][r];
		x->rate = v[0];
		x->cpu_per_obj = v[1];
		x->all_per_obj = v[2];
		x->peak = v[3];
		x->reads = v[4];
		x->gap_ms = v[5];
		x->warm_ms = v[6];
	} else if (sscanf(line, "check %zu %llu %llu", &k, &leaked, &bad) == 3 && k < NIMPL) {
		samples[k][sl->w][0].leaked += leaked;
		samples[k][sl->w][0].bad += bad;
		sl->got++;
	}
}

/* Runs the slices of every writer count, one child process each. */
static void throughput_slices_children(const struct opts *o, const bool *use)
{
	for (unsigned w = 0; w < o->nwcounts; w++) {
		char a_w[32], a_r[32], a_wu[32], a_s[64], a_wm[64], a_seed[64], a_impls[1024];
		snprintf(a_w, sizeof a_w, "--writers=%u", o->wcounts[w]);
		snprintf(a_r, sizeof a_r, "--rounds=%u", o->rounds);
		snprintf(a_wu, sizeof a_wu, "--warmup=%u", o->warmup);
		snprintf(a_s, sizeof a_s, "--slice-ms=%g", o->slice_ms);
		snprintf(a_wm, sizeof a_wm, "--warm-ms=%g", o->warm_ms);
		char a_wx[64];
		snprintf(a_wx, sizeof a_wx, "--warm-max-ms=%g", wk_warm_max_ms);
		snprintf(a_seed, sizeof a_seed, "--seed=%llu", (unsigned long long)o->seed);
		snprintf(a_impls, sizeof a_impls, "--impls=%s", o->only ? o->only : "");
		char *argv[] = {NULL, "--child=slices", a_w, a_r, a_wu, a_s, a_wm, a_wx, a_seed,
				o->only ? a_impls : (rc_verbose ? "--verbose" : NULL),
				o->only && rc_verbose ? "--verbose" : NULL, NULL};
		struct slices_line sl = {w, 0};
		struct rusage ru = run_self(argv, parse_slices_line, &sl, "the slices");
		size_t nused = 0;
		for (size_t k = 0; k < NIMPL; k++)
			nused += use[k];
		if ((size_t)sl.got != nused) {
			fprintf(stderr, "bench_reclaim: the slice child (%u writers) reported %d rows of %zu\n",
				o->wcounts[w], sl.got, nused);
			exit(2);
		}
		if (o->rss_ms == 0) {
			rss_n = 1;
			for (size_t k = 0; k < NIMPL; k++)
				rss_v[k][w][0] = (double)ru.ru_maxrss;
		}
	}
}

/* ---- grace-period latency ---- */

struct gp_result {
	double *lat; /* every call's latency, ns */
	size_t nlat, cap;
	double slice_med[MAX_ROUNDS];
	double cpu_per_sync[MAX_ROUNDS];
	double reads[MAX_ROUNDS];
	uint64_t syncs;
};

static struct gp_result gp_res[NGP][MAX_WCOUNTS];

static void gp_add(struct gp_result *g, const double *v, size_t n)
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

static int gp_run(const struct opts *o, const bool *use, uint64_t *seed, const char *cpu)
{
	static struct wk_group groups[NGP];
	unsigned rmax = 0;
	for (unsigned i = 0; i < o->nrcounts; i++)
		if (o->rcounts[i] > rmax)
			rmax = o->rcounts[i];
	for (size_t k = 0; k < NGP; k++) {
		if (!use[k])
			continue;
		struct wk_group *g = &groups[k];
		g->gp = gp_impls[k];
		g->owner = (unsigned)(RC_OWNERS - 1); /* nothing is deferred */
		g->nth = rmax + 1;
		for (unsigned i = 0; i < g->nth; i++)
			g->th[i].role = i == 0 ? ROLE_SYNCER : ROLE_READER;
		g->gp->setup();
		wk_group_start(g);
	}
	unsigned kinds[NGP * MAX_WCOUNTS], nk = 0;
	for (size_t k = 0; k < NGP; k++)
		if (use[k])
			for (unsigned i = 0; i < o->nrcounts; i++)
				kinds[nk++] = (unsigned)(k * MAX_WCOUNTS + i);
	static double tmp[LAT_CAP];
	for (unsigned r = 0; r < o->warmup + o->rounds; r++) {
		bench_shuffle(kinds, nk, seed);
		for (unsigned i = 0; i < nk; i++) {
			size_t k = kinds[i] / MAX_WCOUNTS;
			unsigned ri = kinds[i] % MAX_WCOUNTS, nr = o->rcounts[ri];
			struct wk_group *g = &groups[k];
			unsigned act[GROUP_THREADS];
			for (unsigned j = 0; j <= nr; j++)
				act[j] = j; /* the syncer and nr readers */
			wk_slice(g, act, nr + 1, o->warm_ms, o->slice_ms, false);
			if (r < o->warmup)
				continue;
			unsigned rr = r - o->warmup;
			struct gp_result *res = &gp_res[k][ri];
			struct wk *s = &g->th[0];
			/* The calls that started in the timed window (or, if none
			 * did, the first call that ended in it). */
			size_t m = 0;
			for (size_t j = 0; j < s->nlat; j++)
				if (s->lat_t0[j] >= (double)wk_win_t0 && s->lat_t0[j] < (double)wk_win_t1)
					tmp[m++] = s->lat[j];
			for (size_t j = 0; m == 0 && j < s->nlat; j++)
				if (s->lat_t0[j] + s->lat[j] >= (double)wk_win_t0)
					tmp[m++] = s->lat[j];
			gp_add(res, tmp, m);
			res->slice_med[rr] = bench_stat_of(tmp, m).median;
			res->cpu_per_sync[rr] = m ? (double)s->w_cpu / (double)m : 0;
			double win = (double)(wk_win_t1 - wk_win_t0) / 1e9, reads = 0;
			for (unsigned j = 1; j <= nr; j++)
				reads += (double)g->th[j].w_ops / win;
			res->reads[rr] = reads;
			res->syncs += m;
		}
	}
	for (size_t k = 0; k < NGP; k++)
		if (use[k])
			wk_group_stop(&groups[k]);

	size_t ref = NGP;
	for (size_t k = 0; k < NGP; k++)
		if (use[k] && strcmp(gp_impls[k]->name, GP_REF) == 0)
			ref = k;
	FILE *csv = bench_csv_open("bench_reclaim", o->gp_csv,
		        "impl,readers,rounds,call,sync_us_median,sync_us_p10,sync_us_p90,slice_median_us_min,"
		        "slice_median_us_max,syncs,ratio_to_urcu_memb,paired_ratio_median,paired_ratio_min,"
		        "paired_ratio_max,paired_ratio_p10,paired_ratio_p90,syncer_cpu_us_per_sync,reader_mreads_per_s,"
		        "bad_reads,slice_ms,cpu,compiler");
	printf("\nbench/reclaim gp: microseconds per synchronize, readers looping pin/load/check/unpin; "
	       "%u rounds (+%u warm-up) of slices (%g ms untimed, %g ms measured), interleaved in one process\n",
	       o->rounds, o->warmup, o->warm_ms, o->slice_ms);
	double med[NGP][MAX_WCOUNTS], paired[NGP][MAX_WCOUNTS][3];
	for (unsigned ri = 0; ri < o->nrcounts; ri++) {
		printf("\n%u reader%s  call                          us median [p10-p90]    slice medians min-max  "
		       "x%-9s paired [p10-p90]   syncer CPU us/call  reader Mreads/s  syncs\n",
		       o->rcounts[ri], o->rcounts[ri] == 1 ? " " : "s", GP_REF);
		for (size_t k = 0; k < NGP; k++) {
			if (!use[k])
				continue;
			struct gp_result *res = &gp_res[k][ri];
			(void)bench_stat_of(res->lat, res->nlat); /* sorts */
			med[k][ri] = bench_pct(res->lat, res->nlat, 0.5) / 1e3;
		}
		for (size_t k = 0; k < NGP; k++) {
			if (!use[k])
				continue;
			struct gp_result *res = &gp_res[k][ri];
			double p10 = bench_pct(res->lat, res->nlat, 0.1) / 1e3,
			       p90 = bench_pct(res->lat, res->nlat, 0.9) / 1e3;
			double sm[MAX_ROUNDS], cp[MAX_ROUNDS], rd[MAX_ROUNDS], pr[MAX_ROUNDS];
			unsigned ns = 0, np = 0;
			/* Slices in which no call completed (the syncer never ran)
			 * have no median. */
			for (unsigned r = 0; r < o->rounds; r++)
				if (res->slice_med[r] > 0) {
					sm[ns] = res->slice_med[r];
					cp[ns] = res->cpu_per_sync[r];
					rd[ns] = res->reads[r];
					ns++;
				}
			if (ref < NGP)
				for (unsigned r = 0; r < o->rounds; r++)
					if (gp_res[ref][ri].slice_med[r] > 0 && res->slice_med[r] > 0)
						pr[np++] = res->slice_med[r] / gp_res[ref][ri].slice_med[r];
			struct bench_stat sms = bench_stat_of(sm, ns), cps = bench_stat_of(cp, ns);
			struct bench_stat rds = bench_stat_of(rd, ns), prs = bench_stat_of(pr, np);
			double q10 = bench_pct(pr, np, 0.1), q90 = bench_pct(pr, np, 0.9);
			paired[k][ri][0] = prs.median;
			paired[k][ri][1] = q10;
			paired[k][ri][2] = q90;
			double ratio = ref < NGP && med[ref][ri] > 0 ? med[k][ri] / med[ref][ri] : 0;
			char a[64], b[64], c[64];
			snprintf(a, sizeof a, "%.2f [%.2f-%.2f]", med[k][ri], p10, p90);
			snprintf(b, sizeof b, "%.2f-%.2f", sms.min / 1e3, sms.max / 1e3);
			snprintf(c, sizeof c, "%.2f  %.2f [%.2f-%.2f]", ratio, prs.median, q10, q90);
			printf("  %-10s %-27s %-22s %-22s %-28s %12.2f %16.2f %7llu\n", gp_impls[k]->name,
			       gp_impls[k]->call, a, b, c, cps.median / 1e3, rds.median / 1e6,
			       (unsigned long long)res->syncs);
			if (csv != NULL)
				fprintf(csv,
				        "%s,%u,%u,%s,%.3f,%.3f,%.3f,%.3f,%.3f,%llu,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.3f,%"
				        ".4f,%llu,%g,%s,%s\n",
				        gp_impls[k]->name, o->rcounts[ri], o->rounds, gp_impls[k]->call, med[k][ri],
				        p10, p90, sms.min / 1e3, sms.max / 1e3, (unsigned long long)res->syncs, ratio,
				        prs.median, prs.min, prs.max, q10, q90, cps.median / 1e3, rds.median / 1e6,
				        (unsigned long long)rc_bad_of(RC_OWNERS - 1), o->slice_ms, cpu,
				        bench_compiler());
		}
	}
	size_t tern = NGP;
	for (size_t k = 0; k < NGP; k++)
		if (use[k] && is_tern(gp_impls[k]->name))
			tern = k;
	if (tern < NGP && ref < NGP) {
		printf("\ntarget: tern_epoch_synchronize <= 1.0x liburcu-memb synchronize_rcu "
		       "(x = median of the per-round ratios of slice medians [p10-p90])\n");
		for (unsigned ri = 0; ri < o->nrcounts; ri++)
			printf("  %u reader%s: tern %.2f us vs urcu-memb %.2f us: x%.2f [%.2f-%.2f] %s; ratio of "
			       "medians x%.2f\n",
			       o->rcounts[ri], o->rcounts[ri] == 1 ? " " : "s", med[tern][ri], med[ref][ri],
			       paired[tern][ri][0], paired[tern][ri][1], paired[tern][ri][2],
			       paired[tern][ri][0] <= 1.0 ? "met" : "MISSED", med[tern][ri] / med[ref][ri]);
	}
	if (bench_csv_close("bench_reclaim", csv, o->gp_csv) != 0)
		return 2;
	return rc_bad_of(RC_OWNERS - 1) != 0;
}

/* ---- idle thread ---- */

static struct idle_sample idle_s[NIMPL][MAX_IDLE_ROUNDS];

static void idle_run(const struct opts *o, const bool *use)
{
	for (unsigned r = 0; r < o->idle_rounds; r++)
		for (size_t j = 0; j < NIMPL; j++) {
			size_t k = (j + r) % NIMPL;
			if (use[k])
				idle_s[k][r] = run_idle_child(impls[k]->name, o->idle_objs, o->idle_ms);
		}
}

static struct bench_stat idle_field(size_t k, unsigned rounds, size_t off)
{
	double v[MAX_IDLE_ROUNDS];
	for (unsigned r = 0; r < rounds; r++)
		memcpy(&v[r], (const char *)&idle_s[k][r] + off, sizeof(double));
	return bench_stat_of(v, rounds);
}

static int idle_report(const struct opts *o, const bool *use, const char *cpu)
{
	unsigned rounds = o->idle_rounds;
	FILE *csv = bench_csv_open("bench_reclaim", o->idle_csv,
				   "impl,rounds,objects,sleep_ms,destroyed_at_sleep_median,destroyed_at_wake_median,"
			     "destroyed_at_wake_min,destroyed_at_wake_max,barrier,destroyed_before_barrier_median,"
			     "destroyed_after_barrier_median,destroyed_after_barrier_min,destroyed_after_barrier_max,"
			     "barrier_ms_median,barrier_ms_max,leaked,bad_reads,cpu,compiler");
	printf("\nbench/reclaim idle: a thread defers %u objects and sleeps %g ms while 1 writer + 1 reader keep "
	       "working; %u rounds, one process each\n"
	       "  (its objects destroyed when it fell asleep and when it woke; then it defers %u more and blocks,\n"
	       "   and %g ms later another thread calls the barrier: the second batch destroyed before and after it,\n"
	       "   and the barrier's duration, median and max)\n\n",
	       o->idle_objs, o->idle_ms, rounds, o->idle_objs, o->idle_ms / 2);
	printf("%-16s %-10s %-22s %-30s %-10s %-22s %-16s %s\n", "row", "at sleep", "at wake (min-max)", "barrier",
	       "before", "after (min-max)", "ms (max)", "errors");
	int errors = 0;
	for (size_t k = 0; k < NIMPL; k++) {
		if (!use[k])
			continue;
		struct bench_stat sa = idle_field(k, rounds, offsetof(struct idle_sample, at_sleep_a));
		struct bench_stat wa = idle_field(k, rounds, offsetof(struct idle_sample, at_wake_a));
		struct bench_stat be = idle_field(k, rounds, offsetof(struct idle_sample, before));
		struct bench_stat af = idle_field(k, rounds, offsetof(struct idle_sample, after));
		struct bench_stat bm = idle_field(k, rounds, offsetof(struct idle_sample, barrier_ms));
		uint64_t leaked = 0, bad = 0;
		for (unsigned r = 0; r < rounds; r++) {
			leaked += idle_s[k][r].leaked;
			bad += idle_s[k][r].bad;
		}
		errors += leaked != 0 || bad != 0;
		char a[64], b[64], c[64];
		snprintf(a, sizeof a, "%.0f (%.0f-%.0f)", wa.median, wa.min, wa.max);
		snprintf(b, sizeof b, "%.0f (%.0f-%.0f)", af.median, af.min, af.max);
		snprintf(c, sizeof c, "%.2f (%.2f)", bm.median, bm.max);
		printf("%-16s %-10.0f %-22s %-30s %-10.0f %-22s %-16s %s\n", impls[k]->name, sa.median, a,
		       impls[k]->barrier_desc, be.median, b, c, leaked || bad ? "LEAKED/BAD" : "0");
		if (csv != NULL)
			fprintf(csv,
			        "%s,%u,%u,%g,%.0f,%.0f,%.0f,%.0f,%s,%.0f,%.0f,%.0f,%.0f,%.3f,%.3f,%llu,%llu,%s,%s\n",
			        impls[k]->name, rounds, o->idle_objs, o->idle_ms, sa.median, wa.median, wa.min, wa.max,
			        impls[k]->barrier_desc, be.median, af.median, af.min, af.max, bm.median, bm.max,
			        (unsigned long long)leaked, (unsigned long long)bad, cpu, bench_compiler());
	}
#ifdef BENCH_HAVE_TERN
	printf("\ntarget: no stranded garbage: at most one partly filled bag (TERN_EPOCH_BAG_CAP = %d objects) waits\n"
	       "  for the sleeping thread, and a barrier from another thread destroys all %u\n",
	       TERN_EPOCH_BAG_CAP, o->idle_objs);
	for (size_t k = 0; k < NIMPL; k++) {
		if (!use[k] || !is_tern(impls[k]->name))
			continue;
		struct bench_stat wa = idle_field(k, rounds, offsetof(struct idle_sample, at_wake_a));
		struct bench_stat af = idle_field(k, rounds, offsetof(struct idle_sample, after));
		bool ok1 = wa.min + TERN_EPOCH_BAG_CAP >= o->idle_objs;
		bool ok2 = af.min >= o->idle_objs;
		printf(
		    "  %-10s destroyed before it woke: %.0f-%.0f of %u (%s); after the barrier: %.0f-%.0f of %u (%s)\n",
		    impls[k]->name, wa.min, wa.max, o->idle_objs, ok1 ? "met" : "MISSED", af.min, af.max, o->idle_objs,
		    ok2 ? "met" : "MISSED");
	}
#endif
	if (bench_csv_close("bench_reclaim", csv, o->idle_csv) != 0)
		return 2;
	return errors;
}

/* ---- main ---- */

/* PATH with `tag` inserted before a trailing ".csv" (or appended). */
static const char *derived_csv(const char *path, const char *tag)
{
	size_t n = strlen(path);
	size_t stem = n >= 4 && strcmp(path + n - 4, ".csv") == 0 ? n - 4 : n;
	char *out = malloc(n + strlen(tag) + 8);
	if (out == NULL)
		abort();
	sprintf(out, "%.*s%s.csv", (int)stem, path, tag);
	return out;
}

int main(int argc, char **argv)
{
	struct opts o;
	parse(argc, argv, &o);
	if (o.child) {
		if (strcmp(o.child_kind, "idle") == 0)
			return child_idle_main(o.impl, o.idle_objs, o.idle_ms);
		if (strcmp(o.child_kind, "slices") == 0) {
			if (o.nwcounts != 1)
				usage();
			return child_slices_main(&o);
		}
		if (o.nwcounts != 1 || o.impl == NULL)
			usage();
		return child_run_main(o.impl, o.wcounts[0], o.ms);
	}
	if (o.csv != NULL && o.gp_csv == NULL)
		o.gp_csv = derived_csv(o.csv, "-gp");
	if (o.csv != NULL && o.idle_csv == NULL)
		o.idle_csv = derived_csv(o.csv, "-idle");
	setvbuf(stdout, NULL, _IOLBF, 0);
	static char exe[4096];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (len <= 0) {
		perror("readlink /proc/self/exe");
		return 2;
	}
	exe[len] = '\0';
	self_exe = exe;

	bool use[NIMPL], gp_use[NGP];
	size_t nused = 0, ngp = 0;
	for (size_t k = 0; k < NIMPL; k++)
		nused += (use[k] = bench_in_list(o.only, impls[k]->name));
	for (size_t k = 0; k < NGP; k++)
		ngp += (gp_use[k] = bench_in_list(o.gp_only, gp_impls[k]->name));
	if ((o.throughput || o.idle) && nused == 0)
		usage();
	if (o.gp && ngp == 0)
		usage();
	uint64_t seed = o.seed * 0x9e3779b97f4a7c15ull + 1;

	char cpu[256];
	bench_cpu_model(cpu, sizeof cpu);
	bench_print_machine(stdout, "bench/reclaim: ", cpu);
#ifndef BENCH_HAVE_TERN
	printf("tern: src/epoch not built, tern rows skipped\n");
#endif
	char load0[64];
	bench_loadavg(load0, sizeof load0);
	printf("load average (1/5/15 min) at the start: %s\n", load0);
	uint64_t t_start = bench_clock_ns(CLOCK_MONOTONIC);
	int errors = 0;
	wk_init();
	/* Child processes first, while this process has no threads. */
	if (o.idle)
		idle_run(&o, use);
	uint64_t t_idle = bench_clock_ns(CLOCK_MONOTONIC);
	if (o.throughput) {
		if (o.process_mode) {
			printf("\nbench/reclaim: deferred objects/s, 1 reader pinning; %u rounds x %g ms, "
			       "one process per run, interleaved\n", o.rounds, o.ms);
			for (unsigned r = 0; r < o.rounds; r++)
				for (unsigned w = 0; w < o.nwcounts; w++)
					for (size_t j = 0; j < NIMPL; j++) {
						size_t k = (j + r) % NIMPL;
						if (use[k])
							samples[k][w][r] =
							    run_child(impls[k]->name, o.wcounts[w], o.ms);
					}
		} else {
			if (o.rss_ms > 0)
				throughput_rss(&o, use, 1);
			printf("\nbench/reclaim: deferred objects/s, 1 reader pinning; %u rounds (+%u warm-up) of "
			       "slices (%g ms untimed, then %g ms measured), every row once per round in shuffled\n"
			       "order, one process per writer count;\n",
			       o.rounds, o.warmup, o.warm_ms, o.slice_ms);
			if (o.rss_ms > 0)
				printf("peak RSS from one %g ms run of each row alone in a fresh process\n", o.rss_ms);
			else
				printf("peak RSS: of the whole slice process (every row; --rss-ms=0)\n");
			throughput_slices_children(&o, use);
		}
		errors += throughput_report(&o, use, cpu);
	}
	uint64_t t_tp = bench_clock_ns(CLOCK_MONOTONIC);
	if (o.gp)
		errors += gp_run(&o, gp_use, &seed, cpu);
	uint64_t t_gp = bench_clock_ns(CLOCK_MONOTONIC);
	if (o.idle)
		errors += idle_report(&o, use, cpu);
	char load1[64];
	bench_loadavg(load1, sizeof load1);
	printf("\nload average (1/5/15 min): %s at the start, %s at the end\n", load0, load1);
	printf("bench/reclaim: %.2f s (throughput %.2f s, gp %.2f s, idle %.2f s)\n",
	       (double)(bench_clock_ns(CLOCK_MONOTONIC) - t_start) / 1e9, (double)(t_tp - t_idle) / 1e9,
	       (double)(t_gp - t_tp) / 1e9, (double)(t_idle - t_start) / 1e9);
	if (errors) {
		fprintf(stderr,
		        "bench_reclaim: an implementation leaked objects or let a reader see a destroyed one\n");
		return 1;
	}
	return 0;
}
