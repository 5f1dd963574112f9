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
 * Method: bench/reclaim's slices in one process (bench/common/slices.h).
 * Every implementation has its own persistent threads (registered once with
 * its library); the (implementation, bench) pairs take turns in short
 * slices (a round runs the benches in a shuffled order, each bench's rows
 * back to back in a shuffled order): a slice wakes the row's threads, runs
 * --warm-ms untimed, then measures --slice-ms from outside (each thread's
 * operation count and CPU clock at both ends; extended up to 1 s until every
 * counting thread — consumers and workers, not producers — made progress),
 * then stops them; the other rows' threads stay blocked, unpinned, holding
 * nothing.  liburcu's call_rcu worker is paused between liburcu slices and
 * its CPU counted in the all-thread column.  --warmup rounds (1) are not
 * counted.
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
 * Usage: tern-bench containers [--rounds=N] [--warmup=N] [--slice-ms=M]
 *          [--warm-ms=M] [--impls=a,b] [--benches=a,b] [--seed=N]
 *          [--csv=PATH] [--list]
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <string.h>

#include "../common/target.h"
#include "containers.h"

atomic_bool ct_stop;

static const struct ct_impl *const ct_impls[] = {
	&ct_tern_queue, &ct_urcu_lfq,   &ct_urcu_wfcq,      &ct_ck_fifo,   &ct_lock_queue,
	&ct_tern_stack, &ct_urcu_lfs,   &ct_urcu_lfs_mutex, &ct_ck_stack,  &ct_lock_stack,
	&ct_tern_map,   &ct_tern_map_typed, &ct_tern_map_typed_ct, &ct_urcu_lfht, &ct_ck_hs, &ct_lock_map,
};
#define NIMPL (sizeof ct_impls / sizeof ct_impls[0])

struct ct_bench {
	const char *id;
	enum ct_kind kind;
	unsigned producers, consumers, workers;
	enum ct_mix mix;
	const char *title, *unit;
};

static const struct ct_bench ct_benches[] = {
	{"queue-1p1c", CT_QUEUE, 1, 1, 0, CT_MIX_UPDATE, "queue, 1 producer + 1 consumer", "M pairs/s"},
	{"queue-2p2c", CT_QUEUE, 2, 2, 0, CT_MIX_UPDATE, "queue, 2 producers + 2 consumers", "M pairs/s"},
	{"stack-1t", CT_STACK, 0, 0, 1, CT_MIX_UPDATE, "stack, 1 thread (push then pop)", "M pairs/s"},
	{"stack-2t", CT_STACK, 0, 0, 2, CT_MIX_UPDATE, "stack, 2 threads (push then pop)", "M pairs/s"},
	{"map-mix-1t", CT_MAP, 0, 0, 1, CT_MIX_UPDATE, "map, 1 thread, 90% lookup / 5% insert / 5% remove", "M ops/s"},
	{"map-mix-2t", CT_MAP, 0, 0, 2, CT_MIX_UPDATE, "map, 2 threads, 90% lookup / 5% insert / 5% remove", "M ops/s"},
	{"map-read-2t", CT_MAP, 0, 0, 2, CT_MIX_READ, "map, 2 threads, lookups only", "M ops/s"},
};
#define NBENCH (sizeof ct_benches / sizeof ct_benches[0])

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

static struct ct_opts {
	unsigned rounds, warmup;
	double slice_ms, warm_ms;
	const char *only, *benches, *csv;
	uint64_t seed;
	bool list;
} O;

static void ct_parse(int argc, char **argv)
{
	O = (struct ct_opts){.rounds = 25, .warmup = 1, .slice_ms = 12, .warm_ms = 3, .seed = 1};
	const struct bench_opt table[] = {
		BENCH_OPT_UINT("rounds", &O.rounds, "N"),       BENCH_OPT_UINT("warmup", &O.warmup, "N"),
		BENCH_OPT_DOUBLE("slice-ms", &O.slice_ms, "M"), BENCH_OPT_DOUBLE("warm-ms", &O.warm_ms, "M"),
		BENCH_OPT_STR("impls", &O.only, "a,b"),         BENCH_OPT_STR("benches", &O.benches, "a,b"),
		BENCH_OPT_U64("seed", &O.seed, "N"),            BENCH_OPT_STR("csv", &O.csv, "PATH"),
		BENCH_OPT_FLAG("list", &O.list),                BENCH_OPT_END,
	};
	bench_opts_parse("tern-bench containers", table, NULL, argc, argv);
	if (O.rounds == 0 || O.rounds > MAX_ROUNDS || !(O.slice_ms > 0) || !(O.warm_ms >= 0) || O.seed == 0)
		bench_usage("tern-bench containers", table, NULL);
}

/* ---- the rows' threads on the slice engine ---- */

struct ct_group {
	struct bench_slice_group g;
	struct ct_row row;
	struct ct_thread th[CT_MAX_THREADS];
};

static void ct_init(struct bench_slice_thread *t)
{
	struct ct_thread *x = t->user;
	x->ctx = x->row->impl->thread_init(x);
}

static void ct_run(struct bench_slice_thread *t)
{
	struct ct_thread *x = t->user;
	x->row->impl->run(x);
}

static void ct_fini(struct bench_slice_thread *t)
{
	struct ct_thread *x = t->user;
	x->row->impl->thread_fini(x);
}

static uint64_t ct_progress_of(const struct bench_slice_thread *t)
{
	/* Relaxed: a progress counter written by its thread only. */
	return atomic_load_explicit(&((struct ct_thread *)t->user)->progress, memory_order_relaxed);
}

static const struct bench_slice_hooks ct_hooks = {&ct_stop, ct_init, ct_run, ct_fini, ct_progress_of, NULL, NULL,
						  NULL};

/* Starts row k's threads (its container is set up already: liburcu's
 * cds_lfht_new would wait for a paused call_rcu worker); the engine then
 * pauses the library's own threads. */
static void ct_group_start(struct ct_group *G, unsigned k)
{
	const struct ct_impl *im = G->row.impl;
	G->g = (struct bench_slice_group){.h = &ct_hooks, .user = G, .nth = G->row.nth, .pause = im->pause,
					  .resume = im->resume, .helper_cpu_ns = im->helper_cpu_ns};
	for (unsigned i = 0; i < G->row.nth; i++) {
		struct ct_thread *t = &G->th[i];
		t->row = &G->row;
		t->owner = k;
		t->role = im->kind != CT_QUEUE ? CT_WORKER : i < 2 ? CT_PRODUCER : CT_CONSUMER;
		t->rng = 0x9e3779b97f4a7c15ull * (k * 8 + i + 1);
		G->g.th[i].user = t;
		G->g.th[i].waited = t->role != CT_PRODUCER; /* the counting threads */
	}
	bench_slice_start(&G->g);
}

/* The active threads of a bench: queue producers 0.., consumers 2.. */
static unsigned ct_active_of(const struct ct_bench *b, unsigned *act)
{
	unsigned n = 0;
	for (unsigned i = 0; i < b->producers; i++)
		act[n++] = i;
	for (unsigned i = 0; i < b->consumers; i++)
		act[n++] = 2 + i;
	for (unsigned i = 0; i < b->workers; i++)
		act[n++] = i;
	return n;
}

struct ct_sample {
	double rate, cpu_per_op, all_per_op;
};

/* One slice of bench b on group G. */
static struct ct_sample ct_slice(struct ct_group *G, const struct ct_bench *b)
{
	unsigned act[CT_MAX_THREADS], n = ct_active_of(b, act);
	struct bench_window w;
	G->row.mix = b->mix;
	bench_slice_run(&G->g, act, n, O.warm_ms, O.warm_ms, O.slice_ms, &w);
	uint64_t ops = 0, cpu = 0;
	for (unsigned i = 0; i < n; i++) {
		const struct bench_slice_thread *t = &G->g.th[act[i]];
		ops += t->waited ? t->ops : 0; /* queue: dequeues */
		cpu += t->cpu;
	}
	double win = (double)(w.t1 - w.t0) / 1e9;
	return (struct ct_sample){(double)ops / win, ops ? (double)cpu / (double)ops : 0,
				  ops ? (double)(cpu + w.helper_ns) / (double)ops : 0};
}

/* ---- results ---- */

static struct ct_sample ct_samples[NBENCH][NIMPL][MAX_ROUNDS];
static uint64_t ct_leaked[NIMPL], ct_bad[NIMPL];
static bool ct_use[NIMPL], ct_buse[NBENCH];

static bool ct_runs(size_t bi, size_t k)
{
	return ct_use[k] && ct_buse[bi] && ct_impls[k]->kind == ct_benches[bi].kind;
}

#define CF(bi, k, f) BENCH_FIELD(ct_samples[bi][k], O.rounds, struct ct_sample, f)
/* Per-round ratios of row k to row p: rate k/p, or CPU per op k/p. */
#define CP(bi, k, p, f) BENCH_PAIRED(ct_samples[bi][k], ct_samples[bi][p], O.rounds, struct ct_sample, f, false)

/* The best peer: the fastest non-tern row of the bench (NIMPL: none). */
static size_t ct_best_peer(size_t bi)
{
	double med[NIMPL];
	bool peer[NIMPL];
	for (size_t k = 0; k < NIMPL; k++) {
		peer[k] = ct_runs(bi, k) && strncmp(ct_impls[k]->name, "tern", 4) != 0;
		med[k] = peer[k] ? CF(bi, k, rate).median : 0;
	}
	return bench_best(med, peer, NIMPL);
}

static size_t ct_index(const char *name, bool bench)
{
	size_t n = bench ? NBENCH : NIMPL, i = 0;
	while (i < n && strcmp(bench ? ct_benches[i].id : ct_impls[i]->name, name) != 0)
		i++;
	return i;
}

/* A target's per-round ratios of the tern row to the peer's: median [p10-p90]; the ratio of the
 * medians beside it; then the other measure's per-round ratio, for information. */
static bool ct_target(const struct bench_target *tg, void *arg, double *ratio, char *detail, size_t dlen)
{
	(void)arg;
	size_t bi = ct_index(tg->where, true), k = ct_index(tg->a, false), p = ct_index(tg->b, false);
	if (bi == NBENCH || k == NIMPL || p == NIMPL || !ct_runs(bi, k) || !ct_runs(bi, p))
		return false;
	bool rate = tg->at == CT_RATE;
	struct bench_spread pr = rate ? CP(bi, k, p, rate) : CP(bi, k, p, cpu_per_op);
	struct bench_spread other = rate ? CP(bi, k, p, cpu_per_op) : CP(bi, k, p, rate);
	double of_medians = rate ? CF(bi, k, rate).median / CF(bi, p, rate).median
				 : CF(bi, k, cpu_per_op).median / CF(bi, p, cpu_per_op).median;
	snprintf(detail, dlen, "[%.2f-%.2f] (of medians x%.2f; %s x%.2f [%.2f-%.2f])", pr.p10, pr.p90, of_medians,
		 rate ? "CPU ns/op" : "ops/s", other.median, other.p10, other.p90);
	*ratio = pr.median;
	return true;
}

static int ct_report(const char *cpu_model)
{
	FILE *csv = bench_csv_open(
	    "tern-bench containers", O.csv,
	    "bench,container,impl,threads,rounds,mops_median,mops_p10,mops_p90,mops_min,mops_max,"
	    "cpu_ns_per_op_median,cpu_ns_per_op_p10,cpu_ns_per_op_p90,all_cpu_ns_per_op_median,"
	    "best_peer,ratio_to_best_peer,paired_ratio_median,paired_ratio_p10,paired_ratio_p90,"
	    "leaked,bad,slice_ms,cpu,compiler");
	static const char *kind_name[] = {"queue", "stack", "map"};
	int errors = 0;
	for (size_t bi = 0; bi < NBENCH; bi++) {
		if (!ct_buse[bi])
			continue;
		const struct ct_bench *b = &ct_benches[bi];
		size_t bp = ct_best_peer(bi);
		double bpm = bp < NIMPL ? CF(bi, bp, rate).median : 0;
		const char *bpn = bp < NIMPL ? ct_impls[bp]->name : NULL;
		printf("\n%s (%s)\n%-17s %-26s %-27s %-26s %-20s %s\n", b->title, b->id, "", b->unit,
		       bpn ? "x best peer: of medians" : "x best peer", "paired per round [p10-p90]",
		       "thread CPU ns/op", "all CPU ns/op  errors");
		for (size_t k = 0; k < NIMPL; k++) {
			if (!ct_runs(bi, k))
				continue;
			struct bench_spread rate = CF(bi, k, rate), cpu = CF(bi, k, cpu_per_op);
			struct bench_spread all = CF(bi, k, all_per_op);
			struct bench_spread pr = bpn ? CP(bi, k, bp, rate) : (struct bench_spread){0};
			bool err = ct_leaked[k] != 0 || ct_bad[k] != 0;
			errors += err;
			char rs[64], ratio[64], prs[64];
			snprintf(rs, sizeof rs, "%.3f [%.3f-%.3f]", rate.median / 1e6, rate.p10 / 1e6, rate.p90 / 1e6);
			snprintf(ratio, sizeof ratio, "%.2f (%s)", bpm > 0 ? rate.median / bpm : 0, bpn ? bpn : "-");
			snprintf(prs, sizeof prs, "%.2f [%.2f-%.2f]", pr.median, pr.p10, pr.p90);
			printf("%-17s %-26s %-27s %-26s %7.1f [%.0f-%.0f] %8.1f       %s\n", ct_impls[k]->name, rs,
			       ratio, prs, cpu.median, cpu.p10, cpu.p90, all.median, err ? "LEAKED/BAD" : "0");
			if (csv != NULL)
				fprintf(csv,
				        "%s,%s,%s,%u,%u,%.4f,%.4f,%.4f,%.4f,%.4f,%.2f,%.2f,%.2f,%.2f,%s,%.4f,%.4f,%.4f,"
				        "%.4f,%llu,%llu,%g,%s,%s\n",
				        b->id, kind_name[b->kind], ct_impls[k]->name,
				        b->producers + b->consumers + b->workers, O.rounds, rate.median / 1e6,
				        rate.p10 / 1e6, rate.p90 / 1e6, rate.min / 1e6, rate.max / 1e6, cpu.median,
				        cpu.p10, cpu.p90, all.median, bpn ? bpn : "", bpm > 0 ? rate.median / bpm : 0,
				        pr.median, pr.p10, pr.p90, (unsigned long long)ct_leaked[k],
				        (unsigned long long)ct_bad[k], O.slice_ms, cpu_model, bench_compiler());
		}
	}
	printf("\ntargets (per-round ratios of the tern row to the peer's: median [p10-p90]; the ratio of the\n"
	       "medians beside it; then the other measure's per-round ratio, tern/peer, for information)\n");
	bench_targets_report(stdout, ct_targets, NTARGET, ct_target, NULL);
	if (bench_csv_close("tern-bench containers", csv, O.csv) != 0)
		return 2;
	return errors;
}

int containers_main(int argc, char **argv)
{
	ct_parse(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	unsigned nuse = 0;
	for (size_t bi = 0; bi < NBENCH; bi++)
		ct_buse[bi] = bench_in_list(O.benches, ct_benches[bi].id);
	/* An implementation runs only if one of its benches does. */
	for (size_t k = 0; k < NIMPL; k++) {
		bool any = false;
		for (size_t bi = 0; bi < NBENCH; bi++)
			any |= ct_buse[bi] && ct_benches[bi].kind == ct_impls[k]->kind;
		ct_use[k] = any && bench_in_list(O.only, ct_impls[k]->name);
		nuse += ct_use[k];
	}
	if (O.list || nuse == 0) {
		for (size_t k = 0; k < NIMPL; k++)
			printf("%s\n", ct_impls[k]->name);
		for (size_t bi = 0; bi < NBENCH; bi++)
			printf("%s\n", ct_benches[bi].id);
		return O.list ? 0 : 2;
	}
	char cpu_model[256], load0[64], load1[64];
	bench_cpu_model(cpu_model, sizeof cpu_model);
	bench_loadavg(load0, sizeof load0);
	bench_print_machine(stdout, "bench/containers: ", cpu_model);
	printf("load average (1/5/15 min) at the start: %s\n", load0);
	printf(
	    "%u rounds (+%u warm-up) of slices (%g ms untimed, then %g ms measured); a round runs every bench once,\n"
	    "in shuffled order, and each bench's rows back to back in shuffled order; one process\n",
	    O.rounds, O.warmup, O.warm_ms, O.slice_ms);
	printf("rows (configuration; reclamation):\n");
	for (size_t k = 0; k < NIMPL; k++)
		if (ct_use[k])
			printf("  %-15s %s\n", ct_impls[k]->name, ct_impls[k]->config);
	printf("map hash: ct_hash = fmix64(key ^ seed) for every row but tern_map-typed (SipHash-1-3)\n");
	uint64_t t_start = bench_wall_ns();

	static struct ct_group groups[NIMPL];
	for (size_t k = 0; k < NIMPL; k++)
		if (ct_use[k]) {
			groups[k].row = (struct ct_row){.impl = ct_impls[k], .th = groups[k].th,
							.nth = ct_impls[k]->kind == CT_QUEUE ? 4 : 2};
			groups[k].row.obj = ct_impls[k]->setup((unsigned)k);
		}
	for (size_t k = 0; k < NIMPL; k++)
		if (ct_use[k])
			ct_group_start(&groups[k], (unsigned)k);

	/* A round runs the benches in a shuffled order, and each bench's rows
	 * back to back in a shuffled order: the slices a per-round ratio
	 * compares are a few tens of milliseconds apart. */
	unsigned border[NBENCH], nb = 0;
	for (size_t bi = 0; bi < NBENCH; bi++)
		if (ct_buse[bi])
			border[nb++] = (unsigned)bi;
	uint64_t seed = O.seed * 0x9e3779b97f4a7c15ull + 7;
	for (unsigned r = 0; r < O.warmup + O.rounds; r++) {
		bench_shuffle(border, nb, &seed);
		for (unsigned j = 0; j < nb; j++) {
			size_t bi = border[j];
			unsigned rows[NIMPL], nr = 0;
			for (size_t k = 0; k < NIMPL; k++)
				if (ct_runs(bi, k))
					rows[nr++] = (unsigned)k;
			bench_shuffle(rows, nr, &seed);
			for (unsigned i = 0; i < nr; i++) {
				struct ct_sample s = ct_slice(&groups[rows[i]], &ct_benches[bi]);
				if (r >= O.warmup)
					ct_samples[bi][rows[i]][r - O.warmup] = s;
			}
		}
	}

	/* Stop every row's threads, then tear each down and check it. */
	for (size_t k = 0; k < NIMPL; k++)
		if (ct_use[k])
			bench_slice_stop(&groups[k].g);
	for (size_t k = 0; k < NIMPL; k++)
		if (ct_use[k])
			ct_impls[k]->teardown(groups[k].row.obj);
	for (size_t k = 0; k < NIMPL; k++) {
		ct_leaked[k] = bench_obj_leaked((unsigned)k); /* more or fewer frees: either way an error */
		ct_bad[k] = bench_obj_bads((unsigned)k);
	}

	int errors = ct_report(cpu_model);
	bench_loadavg(load1, sizeof load1);
	printf("\nload average (1/5/15 min): %s at the start, %s at the end\n", load0, load1);
	printf("bench/containers: %.2f s\n", (double)(bench_wall_ns() - t_start) / 1e9);
	if (errors) {
		fprintf(stderr, "tern-bench containers: a row leaked nodes, freed one twice or read a freed one\n");
		return 1;
	}
	return 0;
}
