/* SPDX-License-Identifier: MIT */
/*
 * bench/containers — tern's queue, stack and hash map against liburcu,
 * ConcurrencyKit and lock baselines (make bench-containers; issue 12).
 *
 * Workloads (one "bench" each; every row of a bench runs the same loop from
 * containers.h around its own container calls):
 *   queue-1p1c, queue-2p2c   P producers allocate an item and enqueue it, C
 *                            consumers dequeue, check and reclaim it (each
 *                            scheme's own way: ct_*.c); producers wait while
 *                            16,384 items are queued.  Rate: dequeues/s (one
 *                            enqueue+dequeue pair each).
 *   stack-1t, stack-2t       each thread pushes a node then pops one; the
 *                            popped node goes back to the scheme.  Rate: pairs/s.
 *   map-mix-1t, map-mix-2t   90% lookup / 5% insert / 5% remove of uniform
 *                            keys in 0..128 Ki-1, 64 Ki present at the start
 *                            (the even keys; half stay present on average).
 *   map-read-2t              the same keys, lookups only.
 *
 * Method: bench/reclaim's slice mode in one process.  Every implementation
 * has its own persistent threads (registered once with its library); the
 * (implementation, bench) pairs take turns in short slices (a round runs
 * the benches in a shuffled order, each bench's rows back to back in a
 * shuffled order): a slice wakes the row's threads, runs --warm-ms
 * untimed, then measures --slice-ms from outside (each thread's operation
 * count and CPU clock, pthread_getcpuclockid, at both ends; extended up to
 * 1 s until every counting thread made progress), then stops them; the
 * other rows' threads stay blocked, unpinned, holding nothing.  liburcu's
 * call_rcu worker is paused between liburcu slices and its CPU counted in
 * the all-thread column.  --warmup rounds (1) are not counted.
 *
 * Reported per (bench, row): the median rate over rounds and [p10-p90];
 * thread CPU ns per operation (the row's threads) and all-thread CPU ns
 * (plus the library's worker); the ratio to the best peer row (the
 * fastest non-tern row of the bench) two ways: of the medians, and the
 * median [p10-p90] of the per-round ratios (a row's slice against the best
 * peer's slice of the same round).  Then the targets (ct_targets[] below),
 * met or MISSED on the per-round ratios.  After the last round every row is
 * torn down and checked: every node allocated was freed exactly once, and
 * no thread read a freed node (leaked / bad columns, must be 0).
 *
 * Usage: bench_containers [--rounds=N] [--warmup=N] [--slice-ms=M]
 *          [--warm-ms=M] [--impls=a,b] [--benches=a,b] [--seed=N]
 *          [--csv=PATH] [--list]
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <string.h>
#include <unistd.h>

#include "../common/child.h"
#include "../common/target.h"
#include "containers.h"

struct ct_ctr ct_ctrs[CT_SLOTS];
_Atomic uint64_t ct_bad[CT_OWNERS];
atomic_bool ct_stop;
static _Atomic unsigned ct_nslots;
static _Thread_local struct ct_ctr *ct_mine;

struct ct_ctr *ct_me(void)
{
	if (ct_mine == NULL) {
		/* Relaxed: only hands out distinct slots. */
		unsigned s = atomic_fetch_add_explicit(&ct_nslots, 1, memory_order_relaxed);
		if (s >= CT_SLOTS) {
			fprintf(stderr, "bench_containers: more than %d counting threads\n", CT_SLOTS);
			abort();
		}
		ct_mine = &ct_ctrs[s];
	}
	return ct_mine;
}

static const struct ct_impl *const impls[] = {
	&ct_tern_queue, &ct_urcu_lfq,   &ct_urcu_wfcq,      &ct_ck_fifo,   &ct_lock_queue,
	&ct_tern_stack, &ct_urcu_lfs,   &ct_urcu_lfs_mutex, &ct_ck_stack,  &ct_lock_stack,
	&ct_tern_map,   &ct_tern_map_typed, &ct_tern_map_typed_ct, &ct_urcu_lfht, &ct_ck_hs, &ct_lock_map,
};
#define NIMPL (sizeof impls / sizeof impls[0])

struct ct_bench {
	const char *id;
	enum ct_kind kind;
	unsigned producers, consumers, workers;
	enum ct_mix mix;
	const char *title, *unit;
};

static const struct ct_bench benches[] = {
	{"queue-1p1c", CT_QUEUE, 1, 1, 0, CT_MIX_UPDATE, "queue, 1 producer + 1 consumer", "M pairs/s"},
	{"queue-2p2c", CT_QUEUE, 2, 2, 0, CT_MIX_UPDATE, "queue, 2 producers + 2 consumers", "M pairs/s"},
	{"stack-1t", CT_STACK, 0, 0, 1, CT_MIX_UPDATE, "stack, 1 thread (push then pop)", "M pairs/s"},
	{"stack-2t", CT_STACK, 0, 0, 2, CT_MIX_UPDATE, "stack, 2 threads (push then pop)", "M pairs/s"},
	{"map-mix-1t", CT_MAP, 0, 0, 1, CT_MIX_UPDATE, "map, 1 thread, 90% lookup / 5% insert / 5% remove", "M ops/s"},
	{"map-mix-2t", CT_MAP, 0, 0, 2, CT_MIX_UPDATE, "map, 2 threads, 90% lookup / 5% insert / 5% remove", "M ops/s"},
	{"map-read-2t", CT_MAP, 0, 0, 2, CT_MIX_READ, "map, 2 threads, lookups only", "M ops/s"},
};
#define NBENCH (sizeof benches / sizeof benches[0])

/*
 * The targets (issue 12), evaluated on the median of the per-round ratios
 * of tern's row to the named peer's: throughput ratio >= bound, or CPU ns
 * per operation ratio <= bound.
 */
enum ct_metric { CT_RATE, CT_CPU }; /* bench_target.at */
static const struct bench_target ct_targets[] = {
	{"queue-1p1c", "tern_queue", "urcu-lfq", BENCH_GE, 1.0, CT_RATE, "tern_queue >= 1.0x cds_lfq (pairs/s), 1+1"},
	{"queue-2p2c", "tern_queue", "urcu-lfq", BENCH_GE, 1.0, CT_RATE, "tern_queue >= 1.0x cds_lfq (pairs/s), 2+2"},
	{"queue-1p1c", "tern_queue", "ck_fifo_mpmc", BENCH_GE, 1.0, CT_RATE,
	 "tern_queue >= 1.0x ck_fifo_mpmc (pairs/s), 1+1"},
	{"queue-2p2c", "tern_queue", "ck_fifo_mpmc", BENCH_GE, 1.0, CT_RATE,
	 "tern_queue >= 1.0x ck_fifo_mpmc (pairs/s), 2+2"},
	{"stack-1t", "tern_stack", "urcu-lfs", BENCH_GE, 1.0, CT_RATE,
	 "tern_stack >= 1.0x cds_lfs (pairs/s), 1 thread"},
	{"stack-2t", "tern_stack", "urcu-lfs", BENCH_GE, 1.0, CT_RATE,
	 "tern_stack >= 1.0x cds_lfs (pairs/s), 2 threads"},
	{"map-read-2t", "tern_map", "urcu-lfht", BENCH_LE, 1.0, CT_CPU,
	 "tern_map lookup <= 1.0x cds_lfht (CPU ns/lookup)"},
	{"map-mix-1t", "tern_map", "urcu-lfht", BENCH_GE, 1.0, CT_RATE,
	 "tern_map >= 1.0x cds_lfht (ops/s), 90/5/5, 1 thread"},
	{"map-mix-2t", "tern_map", "urcu-lfht", BENCH_GE, 1.0, CT_RATE,
	 "tern_map >= 1.0x cds_lfht (ops/s), 90/5/5, 2 threads"},
};
#define NTARGET (sizeof ct_targets / sizeof ct_targets[0])

#define MAX_ROUNDS 400

struct opts {
	unsigned rounds, warmup;
	double slice_ms, warm_ms;
	const char *only, *benches, *csv;
	uint64_t seed;
	bool list;
};

static void parse(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){.rounds = 25, .warmup = 1, .slice_ms = 12, .warm_ms = 3, .seed = 1};
	const struct bench_opt table[] = {
		{"rounds", BO_UINT, &o->rounds, "N", NULL, NULL, 0, 0},
		{"warmup", BO_UINT, &o->warmup, "N", NULL, NULL, 0, 0},
		{"slice-ms", BO_DOUBLE, &o->slice_ms, "M", NULL, NULL, 0, 0},
		{"warm-ms", BO_DOUBLE, &o->warm_ms, "M", NULL, NULL, 0, 0},
		{"impls", BO_STR, &o->only, "a,b", NULL, NULL, 0, 0},
		{"benches", BO_STR, &o->benches, "a,b", NULL, NULL, 0, 0},
		{"seed", BO_U64, &o->seed, "N", NULL, NULL, 0, 0},
		{"csv", BO_STR, &o->csv, "PATH", NULL, NULL, 0, 0},
		{"list", BO_FLAG, &o->list, NULL, NULL, NULL, 0, 0},
		BENCH_OPT_END,
	};
	bench_opts_parse("bench_containers", table, NULL, argc, argv);
	if (o->rounds == 0 || o->rounds > MAX_ROUNDS || !(o->slice_ms > 0) || !(o->warm_ms >= 0) || o->seed == 0)
		bench_usage("bench_containers", table, NULL);
}

/* ---- persistent threads, one group per implementation ---- */

struct group {
	struct ct_row row;
	struct ct_thread th[CT_MAX_THREADS];
	pthread_t tid[CT_MAX_THREADS];
	clockid_t clk[CT_MAX_THREADS];
	sem_t go[CT_MAX_THREADS];
};

static pthread_barrier_t start_barrier[CT_MAX_THREADS + 1]; /* by active threads (+ the driver) */
static unsigned nactive;
static sem_t done;
static atomic_bool quit;

static void *thread_main(void *arg)
{
	struct ct_thread *t = arg;
	struct group *g = (struct group *)(void *)t->row;
	const struct ct_impl *im = g->row.impl;
	if (pthread_getcpuclockid(pthread_self(), &g->clk[t->index]) != 0)
		abort();
	t->ctx = im->thread_init(t);
	sem_post(&done);
	for (;;) {
		bench_sem_wait(&g->go[t->index]);
		/* Relaxed: ordered by the semaphore the driver posted after it. */
		if (atomic_load_explicit(&quit, memory_order_relaxed))
			break;
		bench_barrier_wait(&start_barrier[nactive]);
		im->run(t);
		sem_post(&done);
	}
	im->thread_fini(t);
	return NULL;
}

/* Starts a group's threads (its container is set up already: liburcu's
 * cds_lfht_new would wait for a paused call_rcu worker) and pauses the
 * library's own threads. */
static void group_start(struct group *g, unsigned owner)
{
	const struct ct_impl *im = g->row.impl;
	for (unsigned i = 0; i < g->row.nth; i++) {
		struct ct_thread *t = &g->th[i];
		t->row = &g->row;
		t->index = i;
		t->owner = owner;
		t->role = im->kind != CT_QUEUE ? CT_WORKER : i < 2 ? CT_PRODUCER : CT_CONSUMER;
		t->rng = 0x9e3779b97f4a7c15ull * (owner * 8 + i + 1);
		sem_init(&g->go[i], 0, 0);
		int err = pthread_create(&g->tid[i], NULL, thread_main, t);
		if (err != 0) {
			fprintf(stderr, "bench_containers: pthread_create: %s\n", strerror(err));
			exit(2);
		}
	}
	for (unsigned i = 0; i < g->row.nth; i++)
		bench_sem_wait(&done);
	if (im->pause)
		im->pause();
}

static void group_stop(struct group *g)
{
	atomic_store_explicit(&quit, true, memory_order_relaxed); /* published by the posts */
	for (unsigned i = 0; i < g->row.nth; i++)
		sem_post(&g->go[i]);
	for (unsigned i = 0; i < g->row.nth; i++) {
		pthread_join(g->tid[i], NULL);
		sem_destroy(&g->go[i]);
	}
	atomic_store_explicit(&quit, false, memory_order_relaxed);
}

static uint64_t thread_cpu(clockid_t clk)
{
	return bench_clock_ns(clk);
}

static uint64_t progress_of(const struct ct_thread *t)
{
	/* Relaxed: a progress counter written by its thread only. */
	return atomic_load_explicit(&((struct ct_thread *)(uintptr_t)t)->progress, memory_order_relaxed);
}

/* The active threads of a bench: queue producers 0.., consumers 2.. */
static unsigned active_of(const struct ct_bench *b, unsigned *act)
{
	unsigned n = 0;
	if (b->kind == CT_QUEUE) {
		for (unsigned i = 0; i < b->producers; i++)
			act[n++] = i;
		for (unsigned i = 0; i < b->consumers; i++)
			act[n++] = 2 + i;
	} else {
		for (unsigned i = 0; i < b->workers; i++)
			act[n++] = i;
	}
	return n;
}

/* Whether thread t's operations are the bench's rate (queue: consumers). */
static bool counts(const struct ct_thread *t)
{
	return t->role != CT_PRODUCER;
}

struct sample {
	double rate, cpu_per_op, all_per_op;
};

/* One slice of bench b on group g. */
static struct sample slice(struct group *g, const struct ct_bench *b, double warm_ms, double ms)
{
	const struct ct_impl *im = g->row.impl;
	unsigned act[CT_MAX_THREADS], n = active_of(b, act);
	g->row.mix = b->mix;
	if (im->resume)
		im->resume();
	nactive = n;
	for (unsigned i = 0; i < n; i++)
		sem_post(&g->go[act[i]]);
	bench_barrier_wait(&start_barrier[n]);
	bench_sleep_ns((uint64_t)(warm_ms * 1e6));
	uint64_t ops0[CT_MAX_THREADS], cpu0[CT_MAX_THREADS];
	for (unsigned i = 0; i < n; i++) {
		ops0[i] = progress_of(&g->th[act[i]]);
		cpu0[i] = thread_cpu(g->clk[act[i]]);
	}
	uint64_t h0 = im->helper_cpu_ns ? im->helper_cpu_ns() : 0;
	uint64_t t0 = bench_wall_ns();
	bench_sleep_ns((uint64_t)(ms * 1e6));
	uint64_t t1 = bench_wall_ns();
	/* On a loaded machine a thread may not have run at all in a short
	 * window: extend it (up to 1 s) until every counting thread did. */
	for (bool idle = true; idle && t1 - t0 < 1000000000u; t1 = bench_wall_ns()) {
		idle = false;
		for (unsigned i = 0; i < n; i++)
			idle |= counts(&g->th[act[i]]) && progress_of(&g->th[act[i]]) == ops0[i];
		if (idle)
			bench_sleep_ns(200000);
	}
	uint64_t ops = 0, cpu = 0;
	for (unsigned i = 0; i < n; i++) {
		if (counts(&g->th[act[i]]))
			ops += progress_of(&g->th[act[i]]) - ops0[i];
		cpu += thread_cpu(g->clk[act[i]]) - cpu0[i];
	}
	uint64_t helper = im->helper_cpu_ns ? im->helper_cpu_ns() - h0 : 0;
	atomic_store_explicit(&ct_stop, true, memory_order_relaxed); /* ends the loops */
	for (unsigned i = 0; i < n; i++)
		bench_sem_wait(&done);
	atomic_store_explicit(&ct_stop, false, memory_order_relaxed);
	if (im->pause)
		im->pause();
	double win = (double)(t1 - t0) / 1e9;
	return (struct sample){(double)ops / win, ops ? (double)cpu / (double)ops : 0,
			       ops ? (double)(cpu + helper) / (double)ops : 0};
}

/* ---- results ---- */

static struct sample samples[NBENCH][NIMPL][MAX_ROUNDS];
static uint64_t leaked[NIMPL], bad[NIMPL];

static bool runs(size_t bi, size_t k, const bool *use, const bool *buse)
{
	return use[k] && buse[bi] && impls[k]->kind == benches[bi].kind;
}

static bool is_tern(size_t k)
{
	return strncmp(impls[k]->name, "tern", 4) == 0;
}

static struct bench_spread field(size_t bi, size_t k, unsigned rounds, size_t off)
{
	double v[MAX_ROUNDS];
	for (unsigned r = 0; r < rounds; r++)
		memcpy(&v[r], (const char *)&samples[bi][k][r] + off, sizeof(double));
	return bench_spread_of(v, rounds);
}
#define FIELD(bi, k, rounds, f) field((bi), (k), (rounds), offsetof(struct sample, f))

/* Per-round ratios of row k to row p: rate k/p, or CPU per op k/p. */
static struct bench_spread paired(size_t bi, size_t k, size_t p, unsigned rounds, enum ct_metric m)
{
	double v[MAX_ROUNDS];
	unsigned n = 0;
	for (unsigned r = 0; r < rounds; r++) {
		const struct sample *a = &samples[bi][k][r], *b = &samples[bi][p][r];
		double num = m == CT_RATE ? a->rate : a->cpu_per_op, den = m == CT_RATE ? b->rate : b->cpu_per_op;
		if (den > 0 && num > 0)
			v[n++] = num / den;
	}
	return bench_spread_of(v, n);
}

static size_t best_peer(size_t bi, const bool *use, const bool *buse, unsigned rounds)
{
	size_t bp = NIMPL;
	for (size_t k = 0; k < NIMPL; k++)
		if (runs(bi, k, use, buse) && !is_tern(k) &&
		    (bp == NIMPL || FIELD(bi, k, rounds, rate).median > FIELD(bi, bp, rounds, rate).median))
			bp = k;
	return bp;
}

static size_t impl_index(const char *name)
{
	for (size_t k = 0; k < NIMPL; k++)
		if (strcmp(impls[k]->name, name) == 0)
			return k;
	return NIMPL;
}

static size_t bench_index(const char *id)
{
	for (size_t b = 0; b < NBENCH; b++)
		if (strcmp(benches[b].id, id) == 0)
			return b;
	return NBENCH;
}

struct ct_ctx {
	const bool *use, *buse;
	unsigned rounds;
};

/* A target's per-round ratios of the tern row to the peer's: median [p10-p90]; the ratio of the
 * medians beside it; then the other measure's per-round ratio, for information. */
static bool ct_target(const struct bench_target *tg, void *arg, double *ratio, char *detail, size_t dlen)
{
	const struct ct_ctx *c = arg;
	size_t bi = bench_index(tg->where), k = impl_index(tg->a), p = impl_index(tg->b);
	if (bi == NBENCH || k == NIMPL || p == NIMPL || !runs(bi, k, c->use, c->buse) || !runs(bi, p, c->use, c->buse))
		return false;
	enum ct_metric m = (enum ct_metric)tg->at;
	struct bench_spread pr = paired(bi, k, p, c->rounds, m);
	struct bench_spread other = paired(bi, k, p, c->rounds, m == CT_RATE ? CT_CPU : CT_RATE);
	double of_medians = m == CT_RATE ? FIELD(bi, k, c->rounds, rate).median / FIELD(bi, p, c->rounds, rate).median
					 : FIELD(bi, k, c->rounds, cpu_per_op).median /
					       FIELD(bi, p, c->rounds, cpu_per_op).median;
	snprintf(detail, dlen, "[%.2f-%.2f] (of medians x%.2f; %s x%.2f [%.2f-%.2f])", pr.p10, pr.p90, of_medians,
		 m == CT_RATE ? "CPU ns/op" : "ops/s", other.median, other.p10, other.p90);
	*ratio = pr.median;
	return true;
}

static int report(const struct opts *o, const bool *use, const bool *buse, const char *cpu_model)
{
	unsigned rounds = o->rounds;
	FILE *csv = bench_csv_open(
	    "bench_containers", o->csv,
	    "bench,container,impl,threads,rounds,mops_median,mops_p10,mops_p90,mops_min,mops_max,"
	    "cpu_ns_per_op_median,cpu_ns_per_op_p10,cpu_ns_per_op_p90,all_cpu_ns_per_op_median,"
	    "best_peer,ratio_to_best_peer,paired_ratio_median,paired_ratio_p10,paired_ratio_p90,"
	    "leaked,bad,slice_ms,cpu,compiler");
	static const char *kind_name[] = {"queue", "stack", "map"};
	int errors = 0;
	for (size_t bi = 0; bi < NBENCH; bi++) {
		if (!buse[bi])
			continue;
		const struct ct_bench *b = &benches[bi];
		size_t bp = best_peer(bi, use, buse, rounds);
		double bpm = bp < NIMPL ? FIELD(bi, bp, rounds, rate).median : 0;
		printf("\n%s (%s)\n%-17s %-26s %-27s %-26s %-20s %s\n", b->title, b->id, "", b->unit,
		       bp < NIMPL ? "x best peer: of medians" : "x best peer", "paired per round [p10-p90]",
		       "thread CPU ns/op", "all CPU ns/op  errors");
		for (size_t k = 0; k < NIMPL; k++) {
			if (!runs(bi, k, use, buse))
				continue;
			struct bench_spread rate = FIELD(bi, k, rounds, rate), cpu = FIELD(bi, k, rounds, cpu_per_op);
			struct bench_spread all = FIELD(bi, k, rounds, all_per_op);
			struct bench_spread pr =
			    bp < NIMPL ? paired(bi, k, bp, rounds, CT_RATE) : (struct bench_spread){0};
			bool err = leaked[k] != 0 || bad[k] != 0;
			errors += err;
			char rs[64], ratio[64], prs[64];
			snprintf(rs, sizeof rs, "%.3f [%.3f-%.3f]", rate.median / 1e6, rate.p10 / 1e6, rate.p90 / 1e6);
			snprintf(ratio, sizeof ratio, "%.2f (%s)", bpm > 0 ? rate.median / bpm : 0,
				 bp < NIMPL ? impls[bp]->name : "-");
			snprintf(prs, sizeof prs, "%.2f [%.2f-%.2f]", pr.median, pr.p10, pr.p90);
			printf("%-17s %-26s %-27s %-26s %7.1f [%.0f-%.0f] %8.1f       %s\n", impls[k]->name, rs, ratio,
			       prs, cpu.median, cpu.p10, cpu.p90, all.median, err ? "LEAKED/BAD" : "0");
			if (csv != NULL)
				fprintf(csv,
				        "%s,%s,%s,%u,%u,%.4f,%.4f,%.4f,%.4f,%.4f,%.2f,%.2f,%.2f,%.2f,%s,%.4f,%.4f,%.4f,"
				        "%.4f,"
				        "%llu,%llu,%g,%s,%s\n",
				        b->id, kind_name[b->kind], impls[k]->name,
				        b->producers + b->consumers + b->workers, rounds, rate.median / 1e6,
				        rate.p10 / 1e6, rate.p90 / 1e6, rate.min / 1e6, rate.max / 1e6, cpu.median,
				        cpu.p10, cpu.p90, all.median, bp < NIMPL ? impls[bp]->name : "",
				        bpm > 0 ? rate.median / bpm : 0, pr.median, pr.p10, pr.p90,
				        (unsigned long long)leaked[k], (unsigned long long)bad[k], o->slice_ms,
				        cpu_model, bench_compiler());
		}
	}
	printf("\ntargets (per-round ratios of the tern row to the peer's: median [p10-p90]; the ratio of the\n"
	       "medians beside it; then the other measure's per-round ratio, tern/peer, for information)\n");
	struct ct_ctx ctx = {use, buse, rounds};
	bench_targets_report(stdout, ct_targets, NTARGET, ct_target, &ctx);
	if (bench_csv_close("bench_containers", csv, o->csv) != 0)
		return 2;
	return errors;
}

int main(int argc, char **argv)
{
	struct opts o;
	parse(argc, argv, &o);
	setvbuf(stdout, NULL, _IOLBF, 0);
	bool use[NIMPL], buse[NBENCH];
	unsigned nuse = 0;
	for (size_t k = 0; k < NIMPL; k++)
		use[k] = bench_in_list(o.only, impls[k]->name);
	for (size_t bi = 0; bi < NBENCH; bi++)
		buse[bi] = bench_in_list(o.benches, benches[bi].id);
	/* An implementation runs only if one of its benches does. */
	for (size_t k = 0; k < NIMPL; k++) {
		bool any = false;
		for (size_t bi = 0; bi < NBENCH; bi++)
			any |= buse[bi] && benches[bi].kind == impls[k]->kind;
		use[k] = use[k] && any;
		nuse += use[k];
	}
	if (o.list || nuse == 0) {
		for (size_t k = 0; k < NIMPL; k++)
			printf("%s\n", impls[k]->name);
		for (size_t bi = 0; bi < NBENCH; bi++)
			printf("%s\n", benches[bi].id);
		return o.list ? 0 : 2;
	}
	char cpu_model[256], load0[64], load1[64];
	bench_cpu_model(cpu_model, sizeof cpu_model);
	bench_loadavg(load0, sizeof load0);
	bench_print_machine(stdout, "bench/containers: ", cpu_model);
	printf("load average (1/5/15 min) at the start: %s\n", load0);
	printf(
	    "%u rounds (+%u warm-up) of slices (%g ms untimed, then %g ms measured); a round runs every bench once,\n"
	    "in shuffled order, and each bench's rows back to back in shuffled order; one process\n",
	    o.rounds, o.warmup, o.warm_ms, o.slice_ms);
	printf("rows (configuration; reclamation):\n");
	for (size_t k = 0; k < NIMPL; k++)
		if (use[k])
			printf("  %-15s %s\n", impls[k]->name, impls[k]->config);
	printf("map hash: ct_hash = fmix64(key ^ seed) for every row but tern_map-typed (SipHash-1-3)\n");
	uint64_t t_start = bench_wall_ns();

	for (unsigned n = 1; n <= CT_MAX_THREADS; n++)
		pthread_barrier_init(&start_barrier[n], NULL, n + 1);
	sem_init(&done, 0, 0);
	static struct group groups[NIMPL];
	for (size_t k = 0; k < NIMPL; k++) {
		if (!use[k])
			continue;
		groups[k].row = (struct ct_row){.impl = impls[k], .th = groups[k].th,
						.nth = impls[k]->kind == CT_QUEUE ? 4 : 2};
		groups[k].row.obj = impls[k]->setup((unsigned)k);
	}
	for (size_t k = 0; k < NIMPL; k++)
		if (use[k])
			group_start(&groups[k], (unsigned)k);

	/* A round runs the benches in a shuffled order, and each bench's rows
	 * back to back in a shuffled order: the slices a per-round ratio
	 * compares are a few tens of milliseconds apart. */
	unsigned border[NBENCH], nb = 0;
	for (size_t bi = 0; bi < NBENCH; bi++)
		if (buse[bi])
			border[nb++] = (unsigned)bi;
	uint64_t seed = o.seed * 0x9e3779b97f4a7c15ull + 7;
	for (unsigned r = 0; r < o.warmup + o.rounds; r++) {
		bench_shuffle(border, nb, &seed);
		for (unsigned j = 0; j < nb; j++) {
			size_t bi = border[j];
			unsigned rows[NIMPL], nr = 0;
			for (size_t k = 0; k < NIMPL; k++)
				if (runs(bi, k, use, buse))
					rows[nr++] = (unsigned)k;
			bench_shuffle(rows, nr, &seed);
			for (unsigned i = 0; i < nr; i++) {
				struct sample s = slice(&groups[rows[i]], &benches[bi], o.warm_ms, o.slice_ms);
				if (r >= o.warmup)
					samples[bi][rows[i]][r - o.warmup] = s;
			}
		}
	}

	/* Stop every row's threads, then tear each down and check it. */
	for (size_t k = 0; k < NIMPL; k++)
		if (use[k] && impls[k]->resume)
			impls[k]->resume();
	for (size_t k = 0; k < NIMPL; k++)
		if (use[k])
			group_stop(&groups[k]);
	for (size_t k = 0; k < NIMPL; k++)
		if (use[k])
			impls[k]->teardown(groups[k].row.obj);
	unsigned nslots = atomic_load_explicit(&ct_nslots, memory_order_relaxed);
	for (size_t k = 0; k < NIMPL; k++) {
		uint64_t a = 0, f = 0;
		for (unsigned s = 0; s < nslots && s < CT_SLOTS; s++) {
			a += atomic_load_explicit(&ct_ctrs[s].allocs[k], memory_order_relaxed);
			f += atomic_load_explicit(&ct_ctrs[s].frees[k], memory_order_relaxed);
		}
		leaked[k] = a > f ? a - f : f - a; /* either way an error */
		bad[k] = atomic_load_explicit(&ct_bad[k], memory_order_relaxed);
	}

	int errors = report(&o, use, buse, cpu_model);
	bench_loadavg(load1, sizeof load1);
	printf("\nload average (1/5/15 min): %s at the start, %s at the end\n", load0, load1);
	printf("bench/containers: %.2f s\n", (double)(bench_wall_ns() - t_start) / 1e9);
	if (errors) {
		fprintf(stderr, "bench_containers: a row leaked nodes, freed one twice or read a freed one\n");
		return 1;
	}
	return 0;
}
