/* SPDX-License-Identifier: MIT */
/* tern_stack under concurrency: linearizability of small concurrent
 * histories (brute-force search against the LIFO spec), producers and
 * consumers with poisoned retired nodes and exact accounting (pop and
 * pop_all), and node recycling through the epoch (the ABA scenario).
 * Worker threads never call cr_assert; they count failures, which the main
 * thread asserts. */
#include <criterion/criterion.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "tern/epoch.h"
#include "tern/stack.h"
#include "../common/tern_lincheck.h"
#include "../common/tern_test.h"

#define LIVE 0x11fe11fe11fe11feULL
#define POISON 0xdeaddeaddeaddeadULL

static uint64_t rng_next(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* ---- 0. the checker itself rejects what it must ---- */

Test(stack_lin, checker_rejects_non_linearizable_histories)
{
	struct lin_history h = { 0 };
	/* push 1; push 2; pop -> 1, strictly sequential: not LIFO. */
	h.n = 3;
	h.ops[0] = (struct lin_op){ .kind = LIN_PUT, .arg = 1, .inv = 0, .resp = 1 };
	h.ops[1] = (struct lin_op){ .kind = LIN_PUT, .arg = 2, .inv = 2, .resp = 3 };
	h.ops[2] = (struct lin_op){ .kind = LIN_TAKE, .nres = 1, .res = { 1 }, .inv = 4, .resp = 5 };
	cr_assert_not(lin_check(&h, false));
	cr_assert(lin_check(&h, true), "it is FIFO");
	/* The same with push 2 overlapping the pop: linearizable (pop first). */
	h.ops[1].inv = 2;
	h.ops[1].resp = 6;
	cr_assert(lin_check(&h, false));
	/* pop -> empty after a completed push: not linearizable. */
	h.n = 2;
	h.ops[1] = (struct lin_op){ .kind = LIN_TAKE, .nres = 0, .inv = 2, .resp = 3 };
	cr_assert_not(lin_check(&h, false));
	/* pop_all must return the whole stack, top first. */
	h.ops[1] = (struct lin_op){ .kind = LIN_TAKEALL, .nres = 2, .res = { 1, 9 }, .inv = 2, .resp = 3 };
	h.ninit = 1;
	h.init[0] = 9;
	cr_assert(lin_check(&h, false));
	h.ops[1].res[0] = 9;
	h.ops[1].res[1] = 1;
	cr_assert_not(lin_check(&h, false));
	/* A value popped twice. */
	h.ninit = 0;
	h.n = 3;
	h.ops[1] = (struct lin_op){ .kind = LIN_TAKE, .nres = 1, .res = { 1 }, .inv = 2, .resp = 5 };
	h.ops[2] = (struct lin_op){ .kind = LIN_TAKE, .nres = 1, .res = { 1 }, .inv = 3, .resp = 4 };
	cr_assert_not(lin_check(&h, false));
}

/* ---- 1. linearizability of small concurrent histories ---- */

#define LT 3 /* threads */
#define LOPS 4 /* operations per thread */

struct lnode {
	int value;
	struct tern_stack_node node;
};

static struct {
	pthread_barrier_t bar;
	tern_stack_t s;
	struct lin_history h;
	struct lnode nodes[LT][LOPS];
	struct lnode init_nodes[2];
	unsigned long rounds;
	long bad, overlapping, checked;
	atomic_ulong arrived; /* spin barrier before the operations */
} lin;

/* All LT threads arrive, then all leave at once: running threads start
 * their operations within a few nanoseconds of each other (a pthread
 * barrier wakes them microseconds apart, too late to overlap). */
static void lin_spin_barrier(unsigned long round)
{
	atomic_fetch_add(&lin.arrived, 1);
	unsigned spins = 0;
	while (atomic_load(&lin.arrived) < (round + 1) * LT)
		if (++spins % 256 == 0)
			sched_yield(); /* 2 cores, 3 threads */
}

static void lin_jitter(uint64_t *r)
{
	for (volatile unsigned d = (unsigned)(rng_next(r) % 48); d > 0; d--)
		;
}

/* Inside an operation's interval: sometimes let another thread run, so
 * that intervals overlap even when the machine runs one of our threads at
 * a time (it is shared and loaded). */
static void lin_widen(uint64_t *r)
{
	if (rng_next(r) % 3 == 0)
		sched_yield();
}

static void lin_noop(struct tern_stack_node *n)
{
	(void)n;
}

static void *lin_worker(void *arg)
{
	int tid = *(const int *)arg;
	uint64_t r = 0x1234567ULL * (uint64_t)(tid + 1);
	for (unsigned long round = 0; round < lin.rounds; round++) {
		if (tid == 0) {
			tern_stack_init(&lin.s, NULL);
			memset(&lin.h, 0, sizeof lin.h);
			lin.h.n = LT * LOPS;
			lin.h.ninit = (int)(round % 3);
			for (int i = 0; i < lin.h.ninit; i++) {
				lin.init_nodes[i].value = 1000 + i;
				lin.h.init[i] = 1000 + i;
				tern_stack_push(&lin.s, &lin.init_nodes[i].node);
			}
		}
		pthread_barrier_wait(&lin.bar);
		lin_spin_barrier(round);
		for (int k = 0; k < LOPS; k++) {
			struct lin_op *op = &lin.h.ops[tid * LOPS + k];
			lin_jitter(&r);
			unsigned c = (unsigned)(rng_next(&r) % 10);
			if (c < 5) {
				struct lnode *ln = &lin.nodes[tid][k];
				ln->value = tid * 10 + k;
				op->kind = LIN_PUT;
				op->arg = ln->value;
				op->inv = lin_now();
				lin_widen(&r);
				tern_stack_push(&lin.s, &ln->node);
				lin_widen(&r);
				op->resp = lin_now();
			} else if (c < 9) {
				op->kind = LIN_TAKE;
				op->inv = lin_now();
				lin_widen(&r);
				struct tern_stack_node *n = tern_stack_pop(&lin.s);
				lin_widen(&r);
				op->resp = lin_now();
				if (n != NULL) {
					op->nres = 1;
					op->res[0] = tern_stack_entry(n, struct lnode, node)->value;
				}
			} else {
				op->kind = LIN_TAKEALL;
				op->inv = lin_now();
				lin_widen(&r);
				struct tern_stack_node *n = tern_stack_pop_all(&lin.s);
				lin_widen(&r);
				op->resp = lin_now();
				for (; n != NULL && op->nres < LIN_MAXV; n = tern_stack_next(n))
					op->res[op->nres++] = tern_stack_entry(n, struct lnode, node)->value;
			}
		}
		pthread_barrier_wait(&lin.bar);
		if (tid == 0) {
			lin.checked++;
			if (lin_has_overlap(&lin.h))
				lin.overlapping++;
			if (!lin_check(&lin.h, false)) {
				if (lin.bad++ == 0) {
					fprintf(stderr, "non-linearizable stack history (round %lu):\n", round);
					for (int i = 0; i < lin.h.n; i++)
						fprintf(stderr, "  op %d kind %d arg %d nres %d res0 %d [%llu,%llu]\n",
						        i, lin.h.ops[i].kind, lin.h.ops[i].arg, lin.h.ops[i].nres,
						        lin.h.ops[i].res[0], (unsigned long long)lin.h.ops[i].inv,
						        (unsigned long long)lin.h.ops[i].resp);
				}
			}
			tern_stack_destroy(&lin.s, lin_noop);
			/* Popped nodes are reused next round: wait a grace period
			 * (nobody is pinned at the barrier). */
			tern_epoch_synchronize();
		}
		pthread_barrier_wait(&lin.bar);
	}
	return NULL;
}

Test(stack_lin, concurrent_histories_are_linearizable, .timeout = 60)
{
	lin.rounds = tern_test_iters(3000);
	pthread_barrier_init(&lin.bar, NULL, LT);
	static int ids[LT] = { 0, 1, 2 };
	tern_test_run_threads(LT, lin_worker, ids, sizeof ids[0]);
	pthread_barrier_destroy(&lin.bar);
	fprintf(stderr, "stack lin: %ld histories checked, %ld with overlapping operations\n", lin.checked,
		lin.overlapping);
	cr_assert_eq(lin.bad, 0, "%ld of %ld histories not linearizable", lin.bad, lin.checked);
	cr_assert_eq(lin.checked, (long)lin.rounds);
	cr_assert_geq(lin.overlapping, lin.checked / 4, "too few histories had concurrent operations");
}

/* ---- 2. producers and consumers, poisoned retired nodes, exact accounting ---- */

#define PRODUCERS 2
#define CONSUMERS 2

struct sitem {
	_Atomic(uint64_t) magic;
	unsigned producer;
	unsigned long seq;
	struct tern_stack_node node;
	struct tern_epoch_entry entry;
};

static struct {
	tern_stack_t s;
	unsigned long per_producer;
	atomic_long made, freed, popped, bad_magic, dup, double_free;
	atomic_int producers_done;
	atomic_uchar *seen; /* [producer * per_producer + seq] */
} st;

static void sitem_retire(struct tern_epoch_entry *e)
{
	struct sitem *it = (struct sitem *)((char *)e - offsetof(struct sitem, entry));
	if (atomic_exchange(&it->magic, POISON) != LIVE) {
		atomic_fetch_add(&st.double_free, 1);
		return;
	}
	it->seq = (unsigned long)-1;
	free(it);
	atomic_fetch_add_explicit(&st.freed, 1, memory_order_relaxed);
}

static void *st_producer(void *arg)
{
	unsigned p = (unsigned)(intptr_t)arg;
	for (unsigned long i = 0; i < st.per_producer; i++) {
		struct sitem *it = malloc(sizeof *it);
		if (it == NULL)
			abort();
		atomic_store_explicit(&it->magic, LIVE, memory_order_relaxed);
		it->producer = p;
		it->seq = i;
		atomic_fetch_add_explicit(&st.made, 1, memory_order_relaxed);
		tern_stack_push(&st.s, &it->node);
	}
	atomic_fetch_add(&st.producers_done, 1);
	return NULL;
}

/* Checks and accounts one node taken from the stack. */
static void st_consume(struct sitem *it)
{
	if (atomic_load_explicit(&it->magic, memory_order_relaxed) != LIVE || it->producer >= PRODUCERS ||
	    it->seq >= st.per_producer) {
		atomic_fetch_add(&st.bad_magic, 1);
		return; /* do not free what we cannot trust */
	}
	if (atomic_exchange(&st.seen[it->producer * st.per_producer + it->seq], 1) != 0)
		atomic_fetch_add(&st.dup, 1);
	atomic_fetch_add_explicit(&st.popped, 1, memory_order_relaxed);
	tern_epoch_call(&it->entry, sitem_retire);
}

static void *st_consumer(void *arg)
{
	unsigned c = (unsigned)(intptr_t)arg;
	unsigned long iter = 0;
	for (;;) {
		bool done = atomic_load(&st.producers_done) == PRODUCERS;
		if (c == 1 && iter++ % 64 == 0) {
			/* Every node of the list is checked. */
			for (struct tern_stack_node *n = tern_stack_pop_all(&st.s); n != NULL;) {
				struct tern_stack_node *next = tern_stack_next(n);
				st_consume(tern_stack_entry(n, struct sitem, node));
				n = next;
			}
			continue;
		}
		struct tern_stack_node *n = tern_stack_pop(&st.s);
		if (n != NULL)
			st_consume(tern_stack_entry(n, struct sitem, node));
		else if (done)
			break;
	}
	return NULL;
}

static void *st_role(void *arg)
{
	int i = (int)(intptr_t)arg;
	return i < PRODUCERS ? st_producer((void *)(intptr_t)i) : st_consumer((void *)(intptr_t)(i - PRODUCERS));
}

Test(stack_stress, producers_consumers_pop_and_pop_all_exactly_once, .timeout = 60)
{
	st.per_producer = tern_test_iters(200000);
	st.seen = calloc(PRODUCERS * st.per_producer, 1);
	cr_assert_not_null(st.seen);
	tern_stack_init(&st.s, NULL);
	pthread_t t[PRODUCERS + CONSUMERS];
	for (int i = 0; i < PRODUCERS + CONSUMERS; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, st_role, (void *)(intptr_t)i), 0);
	for (int i = 0; i < PRODUCERS + CONSUMERS; i++)
		pthread_join(t[i], NULL);
	cr_assert(tern_stack_is_empty(&st.s));
	cr_assert_eq(tern_stack_destroy(&st.s, NULL), 0);
	tern_epoch_barrier();
	cr_assert_eq(atomic_load(&st.bad_magic), 0, "a consumer saw a poisoned or corrupt node");
	cr_assert_eq(atomic_load(&st.dup), 0, "a node was popped twice");
	cr_assert_eq(atomic_load(&st.double_free), 0);
	cr_assert_eq(atomic_load(&st.popped), (long)(PRODUCERS * st.per_producer), "nodes lost");
	for (unsigned long i = 0; i < PRODUCERS * st.per_producer; i++)
		cr_assert_eq(atomic_load(&st.seen[i]), 1, "node %lu never popped", i);
	cr_assert_eq(atomic_load(&st.freed), atomic_load(&st.made), "every node destroyed exactly once");
	free(st.seen);
}

/* ---- 3. recycling: popped nodes pushed back after a grace period ---- */

#define POOL 8
#define RT 3

struct ritem {
	_Atomic(uint64_t) magic;
	atomic_int owned;
	struct tern_stack_node node;
	struct tern_epoch_entry entry;
};

static struct {
	tern_stack_t s;
	struct ritem pool[POOL];
	unsigned long iters;
	atomic_long shared_owner, bad_magic, pops;
} rc;

static void rc_push_back(struct tern_epoch_entry *e)
{
	struct ritem *it = (struct ritem *)((char *)e - offsetof(struct ritem, entry));
	tern_stack_push(&rc.s, &it->node);
}

static void *rc_worker(void *arg)
{
	(void)arg;
	for (unsigned long i = 0; i < rc.iters; i++) {
		struct tern_stack_node *n = tern_stack_pop(&rc.s);
		if (n == NULL) {
			tern_epoch_collect(); /* let pending push-backs run */
			continue;
		}
		struct ritem *it = tern_stack_entry(n, struct ritem, node);
		if (atomic_load(&it->magic) != LIVE)
			atomic_fetch_add(&rc.bad_magic, 1);
		if (atomic_exchange(&it->owned, 1) != 0)
			atomic_fetch_add(&rc.shared_owner, 1); /* two poppers: ABA */
		atomic_fetch_add_explicit(&rc.pops, 1, memory_order_relaxed);
		atomic_store(&it->owned, 0);
		tern_epoch_call(&it->entry, rc_push_back);
	}
	return NULL;
}

Test(stack_stress, recycled_nodes_never_popped_twice, .timeout = 60)
{
	rc.iters = tern_test_iters(300000);
	tern_stack_init(&rc.s, NULL);
	for (int i = 0; i < POOL; i++) {
		atomic_store(&rc.pool[i].magic, LIVE);
		tern_stack_push(&rc.s, &rc.pool[i].node);
	}
	tern_test_run_threads(RT, rc_worker, NULL, 0);
	tern_epoch_barrier();
	int count = 0;
	for (struct tern_stack_node *n = tern_stack_pop_all(&rc.s); n != NULL; n = tern_stack_next(n))
		count++;
	cr_assert_eq(atomic_load(&rc.shared_owner), 0, "a node was owned by two poppers at once");
	cr_assert_eq(atomic_load(&rc.bad_magic), 0);
	cr_assert_eq(count, POOL, "nodes lost or duplicated: %d of %d", count, POOL);
	fprintf(stderr, "stack recycle: %ld pops in %lu iterations of %d threads\n", atomic_load(&rc.pops), rc.iters,
	        RT);
	cr_assert_gt(atomic_load(&rc.pops), (long)(rc.iters / 8), "too few pops: nodes did not come back");
	tern_stack_destroy(&rc.s, NULL);
}
