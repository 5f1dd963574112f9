/* SPDX-License-Identifier: MIT */
/* tern_queue under concurrency: linearizability of small concurrent
 * histories (brute-force search against the FIFO spec), producers and
 * consumers with poisoned retired nodes, per-producer FIFO order and exact
 * accounting, and node recycling through tern_queue_retire (the ABA
 * scenario).  Worker threads never call cr_assert; they count failures,
 * which the main thread asserts. */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "tern/epoch.h"
#include "tern/queue.h"
#include "../common/tern_lincheck.h"
#include "../common/tern_pc.h"
#include "../common/tern_test.h"

Test(queue_lin, checker_rejects_non_linearizable_histories)
{
	struct lin_history h = { 0 };
	/* enq 1; enq 2; deq -> 2, strictly sequential: not FIFO. */
	h.n = 3;
	h.ops[0] = (struct lin_op){ .kind = LIN_PUT, .arg = 1, .inv = 0, .resp = 1 };
	h.ops[1] = (struct lin_op){ .kind = LIN_PUT, .arg = 2, .inv = 2, .resp = 3 };
	h.ops[2] = (struct lin_op){ .kind = LIN_TAKE, .nres = 1, .res = { 2 }, .inv = 4, .resp = 5 };
	cr_assert_not(lin_check(&h, true));
	/* Overlapping enqueues may take effect in either order. */
	h.ops[1].inv = 0;
	cr_assert(lin_check(&h, true));
	/* deq -> empty after a completed enqueue: not linearizable. */
	h.n = 2;
	h.ops[1] = (struct lin_op){ .kind = LIN_TAKE, .nres = 0, .inv = 2, .resp = 3 };
	cr_assert_not(lin_check(&h, true));
	/* A value dequeued twice. */
	h.n = 3;
	h.ops[1] = (struct lin_op){ .kind = LIN_TAKE, .nres = 1, .res = { 1 }, .inv = 2, .resp = 5 };
	h.ops[2] = (struct lin_op){ .kind = LIN_TAKE, .nres = 1, .res = { 1 }, .inv = 3, .resp = 4 };
	cr_assert_not(lin_check(&h, true));
	/* Initial contents come out first. */
	h.n = 2;
	h.ninit = 1;
	h.init[0] = 7;
	h.ops[1] = (struct lin_op){ .kind = LIN_TAKE, .nres = 1, .res = { 1 }, .inv = 2, .resp = 3 };
	cr_assert_not(lin_check(&h, true));
	h.ops[1].res[0] = 7;
	cr_assert(lin_check(&h, true));
}

/* ---- 1. linearizability of small concurrent histories ---- */

#define LT 3
#define LOPS 4

struct lnode {
	int value;
	atomic_int free; /* handed back by tern_queue_retire */
	struct tern_queue_node node;
};

static struct {
	tern_queue_t q;
	struct lnode nodes[LT][LOPS];
	struct lnode init_nodes[2];
	long not_handed_back;
} lin;

static void lin_handed_back(struct tern_queue_node *n)
{
	atomic_store(&tern_queue_entry(n, struct lnode, node)->free, 1);
}

static void lin_leftover(struct tern_queue_node *n)
{
	atomic_store(&tern_queue_entry(n, struct lnode, node)->free, 1);
}

static void lin_setup(const struct lin_history *h)
{
	tern_queue_init(&lin.q, NULL);
	for (int i = 0; i < h->ninit; i++) {
		lin.init_nodes[i].value = h->init[i];
		atomic_store(&lin.init_nodes[i].free, 0);
		tern_queue_enqueue(&lin.q, &lin.init_nodes[i].node);
	}
}

/* Enqueue or dequeue, even odds. */
static void lin_op(int tid, int k, struct lin_op *op, uint64_t *r)
{
	if (lin_rng(r) % 2) {
		struct lnode *ln = &lin.nodes[tid][k];
		ln->value = tid * 10 + k;
		atomic_store(&ln->free, 0);
		op->arg = ln->value;
		lin_begin(op, LIN_PUT, r);
		tern_queue_enqueue(&lin.q, &ln->node);
		lin_end(op, r);
	} else {
		lin_begin(op, LIN_TAKE, r);
		struct tern_queue_node *n = tern_queue_dequeue(&lin.q);
		lin_end(op, r);
		if (n != NULL) {
			op->nres = 1;
			op->res[0] = tern_queue_entry(n, struct lnode, node)->value;
			tern_queue_retire(n, lin_handed_back);
		}
	}
}

static void lin_teardown(const struct lin_history *h)
{
	tern_queue_destroy(&lin.q, lin_leftover);
	/* Every node used this round must be handed back before the next
	 * round reuses it. */
	tern_epoch_barrier();
	for (int t = 0; t < LT; t++)
		for (int k = 0; k < LOPS; k++)
			if (h->ops[t * LOPS + k].kind == LIN_PUT && !atomic_load(&lin.nodes[t][k].free))
				lin.not_handed_back++;
	for (int i = 0; i < h->ninit; i++)
		if (!atomic_load(&lin.init_nodes[i].free))
			lin.not_handed_back++;
}

Test(queue_lin, concurrent_histories_are_linearizable, .timeout = 60)
{
	static struct lin_driver d = {
		.what = "queue", .fifo = true, .threads = LT, .ops = LOPS, .seed = 0x7654321ULL,
		.setup = lin_setup, .op = lin_op, .teardown = lin_teardown,
	};
	d.rounds = tern_test_iters(3000);
	lin_run(&d);
	cr_assert_eq(lin.not_handed_back, 0, "nodes not handed back after destroy and a barrier");
}

/* ---- 2. producers and consumers: FIFO per producer, exact accounting ---- */

struct qitem {
	struct pc_item pc; /* first */
	struct tern_queue_node node;
};

static tern_queue_t st_q;
static atomic_long st_out_of_order;
static atomic_ulong st_sum[PC_CONSUMERS];

static void qitem_free(struct tern_queue_node *n)
{
	pc_free(&tern_queue_entry(n, struct qitem, node)->pc);
}

static void st_put(struct pc_item *it)
{
	tern_queue_enqueue(&st_q, &((struct qitem *)(void *)it)->node);
}

static void st_consumer(unsigned c)
{
	long last[PC_PRODUCERS];
	for (int p = 0; p < PC_PRODUCERS; p++)
		last[p] = -1;
	for (;;) {
		bool done = pc_producers_done();
		struct tern_queue_node *n = tern_queue_dequeue(&st_q);
		if (n == NULL) {
			if (done)
				break;
			continue;
		}
		struct qitem *it = tern_queue_entry(n, struct qitem, node);
		if (!pc_take(&it->pc))
			continue; /* do not hand back what we cannot trust */
		if ((long)it->pc.seq <= last[it->pc.producer])
			atomic_fetch_add(&st_out_of_order, 1);
		last[it->pc.producer] = (long)it->pc.seq;
		/* Relaxed: a sum read after the threads are joined. */
		atomic_fetch_add_explicit(&st_sum[c], it->pc.seq, memory_order_relaxed);
		/* Use the payload a little longer, then hand the node back.
		 * Relaxed: as in pc_take(), a poisoned item shows POISON. */
		if (atomic_load_explicit(&it->pc.magic, memory_order_relaxed) != LIVE)
			atomic_fetch_add(&pc.bad_magic, 1);
		tern_queue_retire(n, qitem_free);
	}
}

Test(queue_stress, mpmc_fifo_per_producer_and_exactly_once, .timeout = 60)
{
	tern_queue_init(&st_q, NULL);
	pc_run(200000, sizeof(struct qitem), st_put, st_consumer);
	cr_assert(tern_queue_is_empty(&st_q));
	cr_assert_eq(tern_queue_destroy(&st_q, NULL), 0);
	tern_epoch_barrier();
	cr_assert_eq(atomic_load(&st_out_of_order), 0, "per-producer FIFO order violated");
	unsigned long sum = 0;
	for (int c = 0; c < PC_CONSUMERS; c++)
		sum += atomic_load(&st_sum[c]);
	cr_assert_eq(sum, PC_PRODUCERS * (pc.per_producer * (pc.per_producer - 1) / 2));
	pc_check("dequeued");
}

/* ---- 3. recycling: handed-back nodes enqueued again from the retire function ---- */

#define POOL 8
#define RT 3

struct ritem {
	_Atomic(uint64_t) magic;
	atomic_int owned;
	atomic_long trips;
	struct tern_queue_node node;
};

static struct {
	tern_queue_t q;
	struct ritem pool[POOL];
	unsigned long iters;
	atomic_bool stop;
	atomic_long shared_owner, bad_magic, deqs, parked;
} rc;

static void rc_back(struct tern_queue_node *n)
{
	struct ritem *it = tern_queue_entry(n, struct ritem, node);
	atomic_fetch_add(&it->trips, 1);
	if (atomic_load(&rc.stop))
		atomic_fetch_add(&rc.parked, 1);
	else
		tern_queue_enqueue(&rc.q, n);
}

static void *rc_worker(void *arg)
{
	(void)arg;
	for (unsigned long i = 0; i < rc.iters; i++) {
		struct tern_queue_node *n = tern_queue_dequeue(&rc.q);
		if (n == NULL) {
			tern_epoch_collect();
			continue;
		}
		struct ritem *it = tern_queue_entry(n, struct ritem, node);
		if (atomic_load(&it->magic) != LIVE)
			atomic_fetch_add(&rc.bad_magic, 1);
		if (atomic_exchange(&it->owned, 1) != 0)
			atomic_fetch_add(&rc.shared_owner, 1);
		atomic_fetch_add_explicit(&rc.deqs, 1, memory_order_relaxed);
		atomic_store(&it->owned, 0);
		tern_queue_retire(n, rc_back);
	}
	return NULL;
}

static void rc_leftover(struct tern_queue_node *n)
{
	(void)n;
	atomic_fetch_add(&rc.parked, 1);
}

Test(queue_stress, recycled_nodes_never_dequeued_twice, .timeout = 60)
{
	rc.iters = tern_test_iters(300000);
	tern_queue_init(&rc.q, NULL);
	for (int i = 0; i < POOL; i++) {
		atomic_store(&rc.pool[i].magic, LIVE);
		tern_queue_enqueue(&rc.q, &rc.pool[i].node);
	}
	tern_test_run_threads(RT, rc_worker, NULL, 0);
	atomic_store(&rc.stop, true);
	tern_epoch_barrier();
	/* Nodes still queued, plus the dummy (handed back by destroy), plus
	 * those parked by rc_back: all POOL nodes, each once. */
	cr_assert_eq(tern_queue_destroy(&rc.q, rc_leftover), 0);
	tern_epoch_barrier();
	fprintf(stderr, "queue recycle: %ld dequeues in %lu iterations of %d threads\n", atomic_load(&rc.deqs),
		rc.iters, RT);
	cr_assert_eq(atomic_load(&rc.shared_owner), 0, "a node was owned by two dequeuers at once");
	cr_assert_eq(atomic_load(&rc.bad_magic), 0);
	cr_assert_eq(atomic_load(&rc.parked), POOL, "nodes lost or duplicated: %ld of %d",
		     atomic_load(&rc.parked), POOL);
	long trips = 0;
	for (int i = 0; i < POOL; i++)
		trips += atomic_load(&rc.pool[i].trips);
	cr_assert_eq(trips, atomic_load(&rc.deqs), "one hand-back per dequeue");
	cr_assert_gt(atomic_load(&rc.deqs), (long)(rc.iters / 8), "too few dequeues: nodes did not come back");
}
