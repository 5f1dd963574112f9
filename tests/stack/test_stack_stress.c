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
#include "../common/tern_pc.h"
#include "../common/tern_test.h"

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

struct sitem {
	struct pc_item pc; /* first */
	struct tern_stack_node node;
	struct tern_epoch_entry entry;
};

static tern_stack_t st_s;

static void sitem_retire(struct tern_epoch_entry *e)
{
	pc_free(&((struct sitem *)((char *)e - offsetof(struct sitem, entry)))->pc);
}

static void st_put(struct pc_item *it)
{
	tern_stack_push(&st_s, &((struct sitem *)(void *)it)->node);
}

/* Checks and accounts one node taken from the stack. */
static void st_consume(struct sitem *it)
{
	if (pc_take(&it->pc))
		tern_epoch_call(&it->entry, sitem_retire);
	/* else: do not free what we cannot trust */
}

static void st_consumer(unsigned c)
{
	unsigned long iter = 0;
	for (;;) {
		bool done = pc_producers_done();
		if (c == 1 && iter++ % 64 == 0) {
			/* Every node of the list is checked. */
			for (struct tern_stack_node *n = tern_stack_pop_all(&st_s); n != NULL;) {
				struct tern_stack_node *next = tern_stack_next(n);
				st_consume(tern_stack_entry(n, struct sitem, node));
				n = next;
			}
			continue;
		}
		struct tern_stack_node *n = tern_stack_pop(&st_s);
		if (n != NULL)
			st_consume(tern_stack_entry(n, struct sitem, node));
		else if (done)
			break;
	}
}

Test(stack_stress, producers_consumers_pop_and_pop_all_exactly_once, .timeout = 60)
{
	tern_stack_init(&st_s, NULL);
	pc_run(200000, sizeof(struct sitem), st_put, st_consumer);
	cr_assert(tern_stack_is_empty(&st_s));
	cr_assert_eq(tern_stack_destroy(&st_s, NULL), 0);
	tern_epoch_barrier();
	pc_check("popped");
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
