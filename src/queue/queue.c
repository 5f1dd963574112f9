/* SPDX-License-Identifier: MIT */
/*
 * src/queue/queue.c — the Michael–Scott queue of tern/queue.h with intrusive
 * nodes, on tern's epochs.
 *
 * Concurrency
 * ===========
 *
 * State: atomic pointers `head` and `tail`; per node an atomic `next`, an
 * atomic `retire` word and an epoch entry.  `domain` and the address of
 * `stub` are fixed by init (before the queue is shared) and read plainly.
 *
 * The list: head -> d -> e1 -> ... -> ek -> NULL, where d (the dummy) is the
 * stub or the node most recently dequeued, and e1..ek are the elements in
 * FIFO order.  `tail` is ek, or d when k = 0, or lags one node behind.
 *
 * Who writes what
 *  - `t->next`: an enqueuer CASes NULL -> n on the last node t (release).
 *    An enqueuer stores NULL into its own node before publishing it.
 *  - `tail`: CAS t -> t->next (release), by the enqueuer that linked, or by
 *    any enqueuer or dequeuer that finds it lagging (helping).
 *  - `head`: CAS d -> d->next (acq_rel) by a dequeuer.
 *  - `n->retire`: the enqueuer stores QUEUED (relaxed, published with n);
 *    then exactly two exchanges: the queue's (-> RELEASED, after n stopped
 *    being the dummy and a grace period elapsed) and the dequeuer's
 *    (-> its retire function, in tern_queue_retire).  Whichever comes
 *    second sees the other's value and calls the retire function.
 *  - init and destroy store plainly, with no concurrent user.
 *
 * Invariants
 *  I1. (Michael–Scott) The list is well formed as above; `next` of a node
 *      changes only from NULL, once per time it is enqueued; `head` and
 *      `tail` only move forward along it; `tail` is never behind `head`.
 *      The last point is what the dequeuer's `h == t` branch keeps: a head
 *      CAS from h happens only after the dequeuer saw tail != h while head
 *      was h, so tail was already past h, for good.
 *  I2. A node stops being referenced by the queue when a dequeue CASes the
 *      head past it (it was the dummy; by I1 tail is already past it, and no
 *      list node points to it except its unlinked predecessor).  Only
 *      threads that loaded a pointer to it before that CAS can still reach
 *      it; they loaded it while pinned (every operation that dereferences
 *      a node runs pinned), so they are all pinned when the dequeuer hands
 *      the node's entry to tern_epoch_domain_call() right after its CAS.
 *      The queue's release (RELEASED) thus runs after all of them have
 *      unpinned.  The stub is never released: it lives as long as *q.
 *  I3. No use-after-free: enqueue and dequeue dereference only `head`,
 *      `tail` and links read from them during one pinned section; by I2 and
 *      the retire protocol, a node is handed back to its owner (retire
 *      function called) only after the queue's release, i.e. after every
 *      such section that could have read it ended.  The owner frees or
 *      re-enqueues it only from then on.
 *  I4. No ABA: every CAS compares a pointer to a node the thread read while
 *      pinned; by I3 that node cannot be re-enqueued (nor its memory reused)
 *      before the thread unpins, so the pointer still names the same
 *      incarnation of the node, and M&S's own argument applies: a CAS of
 *      `head` from h succeeds only if h is still the dummy (so the link read
 *      from it is its successor), a CAS of `t->next` from NULL only if t is
 *      still the last node, a CAS of `tail` from t only if tail is still t.
 *  I5. Exactly one retire function call per dequeued node: its retire word
 *      receives exactly two exchanges after the enqueue's QUEUED (the
 *      queue's release — from the epoch callback, or from destroy for the
 *      last dummy — and the dequeuer's retire); the second one reads the
 *      first one's value and makes the call.
 *
 * Linearization points
 *  enqueue: the successful CAS of t->next (n becomes reachable; FIFO order
 *  is link order).  dequeue returning n: the successful CAS of head from d
 *  to n.  dequeue returning NULL: the load of h->next that read NULL — head
 *  was h then (it was h before and after, it only moves forward, and h
 *  cannot be re-enqueued meanwhile, I4), so h was the last node: empty.
 *  is_empty: the same load, or (when it reads a successor) the moment the
 *  successor was there with h still the head, or just before the head moved
 *  past h.
 *
 * Ordering
 *  O1. Node contents: the enqueuer's plain writes to the payload and its
 *      relaxed stores of n->next / n->retire precede its release CAS that
 *      links n; every load of a link that is then dereferenced or returned
 *      is acquire, and pairs with it.
 *  O2. Nodes reached through `head` or `tail`: the CASes that move them are
 *      release, made by a thread that read the new node through an acquire
 *      load of a link (O1) or linked it itself; the acquire loads of `head`
 *      and `tail` pair with them, so the node's link and retire word are
 *      initialised in the reader's view.
 *  O3. Handing back: the dequeuer's retire exchange and the queue's release
 *      exchange are both acq_rel; whichever runs second acquires the other's
 *      release, so the dequeuer's last use of the payload, and every queue
 *      access to the node (through the grace period, tern/epoch.h's ordering
 *      guarantee), happen before the retire function.
 *
 * Progress: Michael–Scott — a loop iteration ends without success only if
 * another thread moved head or tail or linked a node; a lagging tail is
 * helped, never waited for.  Lock-free.  Pins are wait-free; the epoch call
 * never allocates.
 */
#include <errno.h>
#include <stddef.h>

#include "tern/queue.h"

/* The two markers of a node's retire word (I5).  Distinct bodies, so that
 * no compiler or linker may fold them into one address; never called. */
static void queue__queued(struct tern_queue_node *n)
{
	(void)n;
	tern__assert_fail("tern_queue: internal marker 'queued' called", "0", __FILE__, __LINE__);
}

static void queue__released(struct tern_queue_node *n)
{
	(void)n;
	tern__assert_fail("tern_queue: internal marker 'released' called", "1", __FILE__, __LINE__);
}

/* A destroyed queue's head and tail are NULL: the debug checks name the
 * misuse, and a release build that uses the queue anyway faults on the
 * NULL instead of linking nodes into a shared object. */

#define QUEUE__CHECK(q, call)                                                      \
	do {                                                                        \
		TERN_ASSERT((q) != NULL, call ": queue is NULL");                   \
		/* Relaxed: a debug check against use after destroy (no concurrent  \
		 * destroy is allowed). */                                          \
		TERN_ASSERT(atomic_load_explicit(&(q)->head, memory_order_relaxed) != NULL, \
			    call ": queue used after tern_queue_destroy (or never initialised)"); \
	} while (0)

static tern_epoch_domain_t *queue__domain(tern_queue_t *q)
{
	return q->domain != NULL ? q->domain : tern_epoch_default_domain();
}

/* The queue lets go of n (I5): hands it back if its dequeuer retired it. */
static void queue__release(struct tern_queue_node *n)
{
	/* Acq_rel: pairs with the acq_rel exchange in tern_queue_retire()
	 * (O3), whichever of the two comes second. */
	tern_queue_retire_fn old = atomic_exchange_explicit(&n->retire, queue__released, memory_order_acq_rel);
	TERN_ASSERT(old != queue__released, "tern_queue: node released twice (enqueued twice?)");
	if (old != queue__queued && old != queue__released)
		old(n);
}

/* Epoch callback: a grace period has elapsed since n stopped being the
 * dummy (I2). */
static void queue__unlinked(struct tern_epoch_entry *e)
{
	queue__release((struct tern_queue_node *)tern__container_of(e, offsetof(struct tern_queue_node, entry)));
}

int tern_queue_init(tern_queue_t *q, tern_epoch_domain_t *domain)
{
	if (q == NULL)
		return EINVAL;
	q->domain = domain;
	/* Relaxed, all: initialisation precedes publication of the queue. */
	atomic_store_explicit(&q->stub.next, NULL, memory_order_relaxed);
	atomic_store_explicit(&q->stub.retire, queue__queued, memory_order_relaxed);
	atomic_store_explicit(&q->head, &q->stub, memory_order_relaxed);
	atomic_store_explicit(&q->tail, &q->stub, memory_order_relaxed);
	return 0;
}

void tern_queue_enqueue(tern_queue_t *q, struct tern_queue_node *n)
{
	QUEUE__CHECK(q, "tern_queue_enqueue");
	TERN_ASSERT(n != NULL, "tern_queue_enqueue: node is NULL");
	/* Relaxed: a debug check only; nothing is dereferenced. */
	TERN_ASSERT(atomic_load_explicit(&q->tail, memory_order_relaxed) != n,
		    "tern_queue_enqueue: node is already at the tail of the queue (enqueued twice)");
	/* Relaxed, both: published by the release CAS that links n (O1). */
	atomic_store_explicit(&n->next, NULL, memory_order_relaxed);
	atomic_store_explicit(&n->retire, queue__queued, memory_order_relaxed);

	tern_epoch_domain_t *d = queue__domain(q);
	bool own_pin = !tern_epoch_domain_is_pinned(d);
	if (own_pin)
		tern_epoch_domain_pin(d);
	for (;;) {
		/* Acquire: pairs with the release CAS that moved tail to t
		 * (O2): t's link is initialised in our view. */
		struct tern_queue_node *t = atomic_load_explicit(&q->tail, memory_order_acquire);
		TERN_ASSERT(t != n, "tern_queue_enqueue: node is already at the tail of the queue (enqueued twice)");
		/* Acquire: pairs with the release CAS that linked next (O1),
		 * which we may hand to the tail CAS below. */
		struct tern_queue_node *next = atomic_load_explicit(&t->next, memory_order_acquire);
		/* Relaxed: a consistency hint only (M&S); the CASes below
		 * validate everything they rely on (I4). */
		if (t != atomic_load_explicit(&q->tail, memory_order_relaxed))
			continue;
		if (next == NULL) {
			/* Release: pairs with the acquire loads of links in
			 * enqueue, dequeue and is_empty (O1).  Relaxed on
			 * failure: we start over with fresh acquire loads. */
			if (atomic_compare_exchange_strong_explicit(&t->next, &next, n, memory_order_release,
								    memory_order_relaxed)) {
				/* Release: pairs with the acquire loads of tail
				 * (O2).  Failure is fine: someone helped. */
				struct tern_queue_node *exp = t;
				atomic_compare_exchange_strong_explicit(&q->tail, &exp, n, memory_order_release,
									memory_order_relaxed);
				break;
			}
		} else {
			/* Release: as above (O2); helping a lagging tail. */
			atomic_compare_exchange_strong_explicit(&q->tail, &t, next, memory_order_release,
								memory_order_relaxed);
		}
	}
	if (own_pin)
		tern_epoch_domain_unpin(d);
}

struct tern_queue_node *tern_queue_dequeue(tern_queue_t *q)
{
	QUEUE__CHECK(q, "tern_queue_dequeue");
	tern_epoch_domain_t *d = queue__domain(q);
	bool own_pin = !tern_epoch_domain_is_pinned(d);
	if (own_pin)
		tern_epoch_domain_pin(d);
	struct tern_queue_node *h, *n;
	for (;;) {
		/* Acquire: pairs with the release CAS that moved head to h (O2). */
		h = atomic_load_explicit(&q->head, memory_order_acquire);
		/* Acquire: pairs with the release CAS of tail (O2); only
		 * compared, or handed to the tail CAS. */
		struct tern_queue_node *t = atomic_load_explicit(&q->tail, memory_order_acquire);
		/* Acquire: pairs with the release CAS that linked n (O1): the
		 * payload we return, and n's link, are visible. */
		n = atomic_load_explicit(&h->next, memory_order_acquire);
		/* Relaxed: validates that head was h when n was read (I1: head
		 * only moves forward, and h cannot come back, I4); it orders
		 * nothing. */
		if (h != atomic_load_explicit(&q->head, memory_order_relaxed))
			continue;
		if (n == NULL) {
			/* h was the last node while it was the head: empty.
			 * (With h != t this cannot happen, I1; the check is
			 * kept for robustness.) */
			if (h == t)
				break;
			continue;
		}
		if (h == t) {
			/* Tail lags behind an element: help it first, so that
			 * tail is past h before head is (I1). */
			atomic_compare_exchange_strong_explicit(&q->tail, &t, n, memory_order_release,
								memory_order_relaxed);
			continue;
		}
		/* Acq_rel: the release pairs with the acquire loads of head
		 * (O2); the acquire keeps head's modification order a chain.
		 * Relaxed on failure: we start over. */
		if (atomic_compare_exchange_strong_explicit(&q->head, &h, n, memory_order_acq_rel,
							    memory_order_relaxed))
			break;
	}
	/* h stopped being the dummy: the queue lets go of it after a grace
	 * period (I2).  The epoch call never allocates and works pinned. */
	if (n != NULL && h != &q->stub)
		tern_epoch_domain_call(d, &h->entry, queue__unlinked);
	if (own_pin)
		tern_epoch_domain_unpin(d);
	return n;
}

void tern_queue_retire(struct tern_queue_node *n, tern_queue_retire_fn fn)
{
	TERN_ASSERT(n != NULL && fn != NULL, "tern_queue_retire: node or function is NULL");
	/* Acq_rel: pairs with the acq_rel exchange in queue__release() (O3). */
	tern_queue_retire_fn old = atomic_exchange_explicit(&n->retire, fn, memory_order_acq_rel);
	TERN_ASSERT(old == queue__queued || old == queue__released,
		    "tern_queue_retire: node retired twice, or never dequeued");
	if (old == queue__released)
		fn(n);
}

bool tern_queue_is_empty(tern_queue_t *q)
{
	QUEUE__CHECK(q, "tern_queue_is_empty");
	tern_epoch_domain_t *d = queue__domain(q);
	bool own_pin = !tern_epoch_domain_is_pinned(d);
	if (own_pin)
		tern_epoch_domain_pin(d);
	/* Acquire: pairs with the release CAS that moved head to h (O2). */
	struct tern_queue_node *h = atomic_load_explicit(&q->head, memory_order_acquire);
	/* Relaxed: only compared with NULL, never dereferenced. */
	bool empty = atomic_load_explicit(&h->next, memory_order_relaxed) == NULL;
	if (own_pin)
		tern_epoch_domain_unpin(d);
	return empty;
}

tern_epoch_domain_t *tern_queue_domain(tern_queue_t *q)
{
	QUEUE__CHECK(q, "tern_queue_domain");
	return queue__domain(q);
}

int tern_queue_destroy(tern_queue_t *q, void (*destroy_node)(struct tern_queue_node *n))
{
	TERN_ASSERT(q != NULL, "tern_queue_destroy: queue is NULL");
	if (q == NULL)
		return EINVAL;
	QUEUE__CHECK(q, "tern_queue_destroy");
	/* Acquire: pairs with the release CAS of head (O2).  No concurrent
	 * user (documented). */
	struct tern_queue_node *h = atomic_load_explicit(&q->head, memory_order_acquire);
	/* Acquire: pairs with the release CAS that linked the first element
	 * (O1): destroy_node sees it. */
	struct tern_queue_node *n = atomic_load_explicit(&h->next, memory_order_acquire);
	TERN_ASSERT(n == NULL || destroy_node != NULL,
		    "tern_queue_destroy: queue is not empty and destroy_node is NULL");
	if (n != NULL && destroy_node == NULL)
		return EBUSY;
	/* Relaxed: no concurrent user; NULL marks the queue destroyed. */
	atomic_store_explicit(&q->head, NULL, memory_order_relaxed);
	/* Relaxed: as above. */
	atomic_store_explicit(&q->tail, NULL, memory_order_relaxed);
	while (n != NULL) {
		/* Acquire: as above, for the next element (O1). */
		struct tern_queue_node *next = atomic_load_explicit(&n->next, memory_order_acquire);
		destroy_node(n); /* may free n: its link was read first */
		n = next;
	}
	/* The last dummy: no operation can reach it any more (no concurrent
	 * user), so the queue lets go of it now (I5). */
	if (h != &q->stub)
		queue__release(h);
	return 0;
}
