/* SPDX-License-Identifier: MIT */
/* tern_queue, single-threaded: every operation, the dummy hand-back
 * protocol (tern_queue_retire), ownership at destroy, explicit domains and
 * QSBR, a property test against a sequential model (seeded random operation
 * sequences compared step by step), and misuse in debug builds. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "tern/epoch.h"
#include "tern/queue.h"
#include "../common/tern_test.h"

struct item {
	int value;
	int retired; /* times the retire function ran */
	struct tern_queue_node node;
};

static int destroyed_count;
static int destroyed_values[128];

static void record_destroy(struct tern_queue_node *n)
{
	destroyed_values[destroyed_count++] = tern_queue_entry(n, struct item, node)->value;
}

static atomic_int retired_total;

static void mark_retired(struct tern_queue_node *n)
{
	tern_queue_entry(n, struct item, node)->retired++;
	atomic_fetch_add(&retired_total, 1);
}

static int deq_value(tern_queue_t *q)
{
	struct item *it = tern_queue_entry(tern_queue_dequeue(q), struct item, node);
	return it ? it->value : -1;
}

Test(queue, init_rejects_null)
{
	cr_assert_eq(tern_queue_init(NULL, NULL), EINVAL);
	tern_queue_t q;
	cr_assert_eq(tern_queue_init(&q, NULL), 0);
	cr_assert(tern_queue_is_empty(&q));
	cr_assert_null(tern_queue_dequeue(&q));
	cr_assert_eq(tern_queue_domain(&q), tern_epoch_default_domain());
	cr_assert_eq(tern_queue_destroy(&q, NULL), 0);
}

Test(queue, enqueue_dequeue_is_fifo)
{
	tern_queue_t q;
	tern_queue_init(&q, NULL);
	struct item it[6];
	for (int i = 0; i < 6; i++) {
		it[i].value = i;
		tern_queue_enqueue(&q, &it[i].node);
		cr_assert_not(tern_queue_is_empty(&q));
	}
	for (int i = 0; i < 6; i++)
		cr_assert_eq(deq_value(&q), i);
	cr_assert(tern_queue_is_empty(&q));
	cr_assert_eq(deq_value(&q), -1);
	cr_assert_eq(tern_queue_destroy(&q, NULL), 0);
}

Test(queue, entry_macro_maps_null_to_null)
{
	cr_assert_null(tern_queue_entry((struct tern_queue_node *)NULL, struct item, node));
	struct item it;
	cr_assert_eq(tern_queue_entry(&it.node, struct item, node), &it);
}

/* The hand-back protocol, step by step: a dequeued node is the dummy until
 * the next dequeue, then needs a grace period; its retire function runs
 * once, when both the dequeuer and the queue let go. */
Test(queue, retire_runs_once_when_both_parties_let_go)
{
	tern_queue_t q;
	tern_queue_init(&q, NULL);
	struct item a = { .value = 1 }, b = { .value = 2 }, c = { .value = 3 };
	tern_queue_enqueue(&q, &a.node);
	tern_queue_enqueue(&q, &b.node);
	tern_queue_enqueue(&q, &c.node);

	/* a: retired by its dequeuer first, while it is still the dummy. */
	cr_assert_eq(deq_value(&q), 1);
	tern_queue_retire(&a.node, mark_retired);
	tern_epoch_barrier();
	cr_assert_eq(a.retired, 0, "a is still the dummy: not handed back");

	/* b's dequeue moves past a: a is handed back after a grace period. */
	cr_assert_eq(deq_value(&q), 2);
	tern_epoch_barrier();
	cr_assert_eq(a.retired, 1);

	/* b: the queue lets go first (c's dequeue, then a grace period); the
	 * dequeuer's retire then runs the function at once, in the call. */
	cr_assert_eq(deq_value(&q), 3);
	tern_epoch_barrier();
	cr_assert_eq(b.retired, 0);
	tern_queue_retire(&b.node, mark_retired);
	cr_assert_eq(b.retired, 1, "the queue had let go: retire runs fn inside the call");

	/* c: the last dummy; destroy lets go of it, retire runs fn at once. */
	cr_assert_eq(tern_queue_destroy(&q, NULL), 0);
	cr_assert_eq(c.retired, 0);
	tern_queue_retire(&c.node, mark_retired);
	cr_assert_eq(c.retired, 1);
	tern_epoch_barrier();
	cr_assert_eq(a.retired + b.retired + c.retired, 3, "each exactly once");
}

Test(queue, destroy_hands_back_remaining_nodes_and_the_retired_dummy)
{
	tern_queue_t q;
	tern_queue_init(&q, NULL);
	struct item it[5];
	for (int i = 0; i < 5; i++) {
		it[i] = (struct item){ .value = i };
		tern_queue_enqueue(&q, &it[i].node);
	}
	cr_assert_eq(deq_value(&q), 0);
	tern_queue_retire(&it[0].node, mark_retired); /* retired while the dummy */
	destroyed_count = 0;
	cr_assert_eq(tern_queue_destroy(&q, record_destroy), 0);
	cr_assert_eq(destroyed_count, 4);
	for (int i = 0; i < 4; i++)
		cr_assert_eq(destroyed_values[i], i + 1, "oldest first");
	cr_assert_eq(it[0].retired, 1, "destroy lets go of the retired dummy");
	/* init makes it usable again, and nodes handed back can be reused. */
	cr_assert_eq(tern_queue_init(&q, NULL), 0);
	tern_queue_enqueue(&q, &it[0].node);
	tern_queue_enqueue(&q, &it[3].node);
	cr_assert_eq(deq_value(&q), 0);
	cr_assert_eq(deq_value(&q), 3);
	cr_assert_eq(tern_queue_destroy(&q, NULL), 0);
}

/* Nodes recycled through their retire function go round many times. */
static tern_queue_t *recycle_q; /* NULL: stop recycling */

static void recycle(struct tern_queue_node *n)
{
	tern_queue_entry(n, struct item, node)->retired++;
	if (recycle_q != NULL)
		tern_queue_enqueue(recycle_q, n); /* re-enter from an epoch callback */
}

Test(queue, retired_nodes_can_be_enqueued_again_from_the_retire_function)
{
	tern_queue_t q;
	tern_queue_init(&q, NULL);
	recycle_q = &q;
	struct item it[4];
	for (int i = 0; i < 4; i++) {
		it[i] = (struct item){ .value = i };
		tern_queue_enqueue(&q, &it[i].node);
	}
	int got = 0;
	for (int round = 0; round < 2000; round++) {
		struct tern_queue_node *n = tern_queue_dequeue(&q);
		if (n == NULL) {
			tern_epoch_barrier(); /* let retire functions re-enqueue */
			continue;
		}
		got++;
		tern_queue_retire(n, recycle);
	}
	cr_assert_gt(got, 1000);
	int rounds = 0;
	for (int i = 0; i < 4; i++)
		rounds += it[i].retired;
	cr_assert_geq(rounds, got - 4, "every retired node but the last dummies came back");
	recycle_q = NULL;
	struct tern_queue_node *n;
	while ((n = tern_queue_dequeue(&q)) != NULL) {
		got++;
		tern_queue_retire(n, recycle);
	}
	tern_queue_destroy(&q, NULL);
	tern_epoch_barrier();
	rounds = 0;
	for (int i = 0; i < 4; i++)
		rounds += it[i].retired;
	cr_assert_eq(rounds, got, "every dequeued node handed back exactly once");
}

Test(queue, explicit_domain_and_pinned_caller)
{
	tern_epoch_domain_t *d;
	cr_assert_eq(tern_epoch_domain_create(&d), 0);
	tern_queue_t q;
	cr_assert_eq(tern_queue_init(&q, d), 0);
	cr_assert_eq(tern_queue_domain(&q), d);
	struct item it[50];
	atomic_store(&retired_total, 0);
	tern_epoch_domain_pin(d);
	for (int i = 0; i < 50; i++) {
		it[i] = (struct item){ .value = i };
		tern_queue_enqueue(&q, &it[i].node);
	}
	for (int i = 0; i < 25; i++) {
		cr_assert_eq(deq_value(&q), i);
		tern_queue_retire(&it[i].node, mark_retired);
	}
	cr_assert(tern_epoch_domain_is_pinned(d));
	tern_epoch_domain_unpin(d);
	for (int i = 25; i < 50; i++) {
		cr_assert_eq(deq_value(&q), i);
		cr_assert_not(tern_epoch_domain_is_pinned(d));
		tern_queue_retire(&it[i].node, mark_retired);
	}
	tern_epoch_domain_barrier(d);
	cr_assert_eq(atomic_load(&retired_total), 49, "all but the last dummy");
	cr_assert_eq(tern_queue_destroy(&q, NULL), 0);
	cr_assert_eq(atomic_load(&retired_total), 50);
	tern_epoch_domain_destroy(d);
}

Test(queue, dequeue_from_an_online_qsbr_thread)
{
	tern_queue_t q;
	tern_queue_init(&q, NULL);
	struct item it = { .value = 5 };
	tern_epoch_online();
	tern_queue_enqueue(&q, &it.node);
	cr_assert_eq(deq_value(&q), 5);
	cr_assert(tern_epoch_is_pinned());
	tern_epoch_offline();
	cr_assert_not(tern_epoch_is_pinned());
	tern_queue_retire(&it.node, mark_retired);
	tern_queue_destroy(&q, NULL);
	cr_assert_eq(it.retired, 1);
}

/* ---- property test against a sequential model ---- */

static uint64_t rng_next(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Nodes are states: free (may be enqueued), queued, dequeued (held by the
 * test, retired later in random order), waiting (retired, function not yet
 * run).  The model checks FIFO results and that a retire function runs
 * exactly once, never while the node is queued. */
enum { PNODES = 48 };
enum pstate { P_FREE, P_QUEUED, P_HELD, P_WAITING };
static enum pstate pstate[PNODES];
static struct item pit[PNODES];

static void prop_retired(struct tern_queue_node *n)
{
	struct item *it = tern_queue_entry(n, struct item, node);
	if (pstate[it->value] != P_WAITING)
		abort(); /* handed back twice, or while queued */
	pstate[it->value] = P_FREE;
}

Test(queue, random_operations_match_a_sequential_model)
{
	unsigned long seeds = tern_test_iters(200);
	for (uint64_t seed = 1; seed <= seeds; seed++) {
		uint64_t r = seed * 0x9e3779b97f4a7c15ULL + 7;
		tern_queue_t q;
		tern_queue_init(&q, NULL);
		int model[PNODES], front = 0, len = 0; /* ring buffer */
		for (int i = 0; i < PNODES; i++) {
			pit[i].value = i;
			pstate[i] = P_FREE;
		}
		for (int step = 0; step < 600; step++) {
			unsigned op = (unsigned)(rng_next(&r) % 16);
			if (op < 7) {
				int i = (int)(rng_next(&r) % PNODES);
				int k = 0;
				while (pstate[i] != P_FREE && k++ < PNODES)
					i = (i + 1) % PNODES;
				if (pstate[i] != P_FREE)
					continue;
				tern_queue_enqueue(&q, &pit[i].node);
				pstate[i] = P_QUEUED;
				model[(front + len++) % PNODES] = i;
			} else if (op < 12) {
				int got = deq_value(&q);
				int want = -1;
				if (len > 0) {
					want = model[front];
					front = (front + 1) % PNODES;
					len--;
				}
				cr_assert_eq(got, want, "seed %llu step %d: dequeue %d, model %d",
					     (unsigned long long)seed, step, got, want);
				if (got >= 0)
					pstate[got] = P_HELD;
			} else if (op < 14) {
				int i = (int)(rng_next(&r) % PNODES);
				if (pstate[i] == P_HELD) {
					pstate[i] = P_WAITING;
					tern_queue_retire(&pit[i].node, prop_retired);
				}
			} else if (op == 14) {
				cr_assert_eq(tern_queue_is_empty(&q), len == 0);
			} else {
				tern_epoch_collect();
			}
		}
		destroyed_count = 0;
		int remaining = len;
		cr_assert_eq(tern_queue_destroy(&q, record_destroy), 0);
		cr_assert_eq(destroyed_count, remaining);
		for (int k = 0; k < remaining; k++) {
			cr_assert_eq(destroyed_values[k], model[(front + k) % PNODES]);
			pstate[destroyed_values[k]] = P_FREE;
		}
		for (int i = 0; i < PNODES; i++)
			if (pstate[i] == P_HELD) {
				pstate[i] = P_WAITING;
				tern_queue_retire(&pit[i].node, prop_retired);
			}
		tern_epoch_barrier();
		for (int i = 0; i < PNODES; i++)
			cr_assert_eq(pstate[i], P_FREE, "seed %llu: node %d never handed back",
				     (unsigned long long)seed, i);
	}
}

/* ---- misuse ---- */

/* The test queue_misuse.<name>: the body (one statement for DEATH_DOES) runs in
 * a child that must abort with `msg` in its stderr. */
#define DEATH(name, msg) TERN_DEATH(queue_misuse, name, msg)
#define DEATH_DOES(name, msg, ...) TERN_DEATH_DOES(queue_misuse, name, msg, __VA_ARGS__)

/* In the child: an empty queue, and one already destroyed. */
static tern_queue_t *new_queue(void)
{
	static tern_queue_t q;
	tern_queue_init(&q, NULL);
	return &q;
}

static tern_queue_t *destroyed_queue(void)
{
	tern_queue_t *q = new_queue();
	tern_queue_destroy(q, NULL);
	return q;
}

DEATH_DOES(enqueue_null_node_aborts, "tern_queue_enqueue: node is NULL", tern_queue_enqueue(new_queue(), NULL))

DEATH(enqueue_null_queue_aborts, "tern_queue_enqueue: queue is NULL")
{
	struct item it;
	tern_queue_enqueue(NULL, &it.node);
}

DEATH(enqueue_twice_aborts, "tern_queue_enqueue: node is already at the tail")
{
	tern_queue_t *q = new_queue();
	struct item it;
	tern_queue_enqueue(q, &it.node);
	tern_queue_enqueue(q, &it.node);
}

DEATH_DOES(dequeue_null_aborts, "tern_queue_dequeue: queue is NULL", tern_queue_dequeue(NULL))

DEATH(retire_twice_aborts, "tern_queue_retire: node retired twice")
{
	tern_queue_t *q = new_queue();
	struct item it = { .value = 0 };
	tern_queue_enqueue(q, &it.node);
	tern_queue_dequeue(q);
	tern_queue_retire(&it.node, mark_retired);
	tern_queue_retire(&it.node, mark_retired);
}

DEATH(retire_never_dequeued_aborts, "tern_queue_retire: node retired twice, or never dequeued")
{
	struct item it;
	memset(&it, 0, sizeof it);
	tern_queue_retire(&it.node, mark_retired);
}

DEATH(retire_null_fn_aborts, "tern_queue_retire: node or function is NULL")
{
	struct item it;
	tern_queue_retire(&it.node, NULL);
}

DEATH(destroy_nonempty_without_fn_aborts, "tern_queue_destroy: queue is not empty")
{
	tern_queue_t *q = new_queue();
	struct item it;
	tern_queue_enqueue(q, &it.node);
	tern_queue_destroy(q, NULL);
}

DEATH_DOES(dequeue_after_destroy_aborts, "tern_queue_dequeue: queue used after", tern_queue_dequeue(destroyed_queue()))

DEATH(enqueue_after_destroy_aborts, "tern_queue_enqueue: queue used after")
{
	tern_queue_t *q = destroyed_queue();
	struct item it;
	tern_queue_enqueue(q, &it.node);
}

DEATH_DOES(destroy_twice_aborts, "tern_queue_destroy: queue used after", tern_queue_destroy(destroyed_queue(), NULL))
DEATH_DOES(destroy_null_aborts, "tern_queue_destroy: queue is NULL", tern_queue_destroy(NULL, NULL))
