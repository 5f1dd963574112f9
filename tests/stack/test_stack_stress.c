/* SPDX-License-Identifier: MIT */
/* tern_stack under concurrency: linearizability of small concurrent
 * histories (brute-force search against the LIFO spec), producers and
 * consumers with poisoned retired nodes and exact accounting (pop and
 * pop_all), and node recycling through the epoch (the ABA scenario).
 * Worker threads never call cr_assert; they count failures, which the main
 * thread asserts. */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "tern/epoch.h"
#include "tern/stack.h"
#include "../common/tern_lincheck.h"
#include "../common/tern_test.h"

#define LIVE 0x11fe11fe11fe11feULL
#define POISON 0xdeaddeaddeaddeadULL

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
	tern_stack_t s;
	struct lnode nodes[LT][LOPS];
	struct lnode init_nodes[2];
} lin;

static void lin_noop(struct tern_stack_node *n)
{
	(void)n;
}

static void lin_setup(const struct lin_history *h)
{
	tern_stack_init(&lin.s, NULL);
	for (int i = 0; i < h->ninit; i++) {
		lin.init_nodes[i].value = h->init[i];
		tern_stack_push(&lin.s, &lin.init_nodes[i].node);
	}
}

/* Push (5 in 10), pop (4 in 10) or pop_all (1 in 10). */
static void lin_op(int tid, int k, struct lin_op *op, uint64_t *r)
{
	unsigned c = (unsigned)(lin_rng(r) % 10);
	if (c < 5) {
		struct lnode *ln = &lin.nodes[tid][k];
		ln->value = tid * 10 + k;
		op->arg = ln->value;
		lin_begin(op, LIN_PUT, r);
		tern_stack_push(&lin.s, &ln->node);
		lin_end(op, r);
	} else if (c < 9) {
		lin_begin(op, LIN_TAKE, r);
		struct tern_stack_node *n = tern_stack_pop(&lin.s);
		lin_end(op, r);
		if (n != NULL) {
			op->nres = 1;
			op->res[0] = tern_stack_entry(n, struct lnode, node)->value;
		}
	} else {
		lin_begin(op, LIN_TAKEALL, r);
		struct tern_stack_node *n = tern_stack_pop_all(&lin.s);
		lin_end(op, r);
		for (; n != NULL && op->nres < LIN_MAXV; n = tern_stack_next(n))
			op->res[op->nres++] = tern_stack_entry(n, struct lnode, node)->value;
	}
}

static void lin_teardown(const struct lin_history *h)
{
	(void)h;
	tern_stack_destroy(&lin.s, lin_noop);
	/* Popped nodes are reused next round: wait a grace period (nobody is
	 * pinned at the barrier). */
	tern_epoch_synchronize();
}

Test(stack_lin, concurrent_histories_are_linearizable, .timeout = 60)
{
	static struct lin_driver d = {
		.what = "stack", .fifo = false, .threads = LT, .ops = LOPS, .seed = 0x1234567ULL,
		.setup = lin_setup, .op = lin_op, .teardown = lin_teardown,
	};
	d.rounds = tern_test_iters(3000);
	lin_run(&d);
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
