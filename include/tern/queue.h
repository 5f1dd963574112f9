/* SPDX-License-Identifier: MIT */
/*
 * tern/queue.h — lock-free multi-producer multi-consumer FIFO of intrusive
 * nodes (Michael–Scott on tern's epochs).
 *
 * Guarantees
 *   - Linearizable FIFO: an enqueue takes effect when its node is linked
 *     behind the last node, a dequeue when it moves the head (or, finding
 *     the queue empty, when it reads the last node's NULL link) — see
 *     src/queue/queue.c, "Concurrency".
 *   - Lock-free enqueue and dequeue: a thread retries only when another
 *     operation made progress; a thread that finds the tail lagging helps it
 *     forward instead of waiting.  Unbounded; nothing allocates (the node is
 *     yours: struct tern_queue_node embedded in your object).
 *   - No ABA, no use-after-free: enqueue and dequeue run pinned in the
 *     queue's epoch domain (each pins itself unless the caller is already
 *     pinned or online there), and the queue lets go of a node only after a
 *     grace period, so no node a thread has read can be freed or come back
 *     while that thread is still in its operation.
 *
 * The dummy, and when a dequeued node is yours again.  As in every
 * Michael–Scott queue, the list always holds one node before the elements:
 * the dummy (at first a node inside tern_queue_t).  A dequeue moves the head
 * from the dummy to the first element and returns that element, which
 * becomes the new dummy: the queue still reads and writes its LINK until the
 * next dequeue moves past it, and other threads may read the link for a
 * grace period after that.  Hence two parties must let go of a dequeued
 * node before it can be freed or enqueued again, and the queue tracks both:
 *
 *   n = tern_queue_dequeue(q)   the payload (everything in your object but
 *                               the node) is yours at once: the queue never
 *                               touches it.  The node itself is not.
 *   tern_queue_retire(n, fn)    you are done with n.  fn(n) is then called
 *                               exactly once, as soon as the queue is done
 *                               with n too (n is no longer the dummy and a
 *                               grace period has elapsed since) — maybe
 *                               inside this call, maybe later from an epoch
 *                               collection in any thread, or in
 *                               tern_queue_destroy.  From fn(n) on, n is
 *                               entirely yours: free it or enqueue it again
 *                               (in any queue).
 *
 * So a dequeuer may hold a dequeued node, and use its payload, for as long
 * as it likes; it must call tern_queue_retire once per dequeued node before
 * the node can be reused, and must not free or re-enqueue it before fn runs.
 * fn runs under the rules for epoch destructors (tern/epoch.h): it may
 * enqueue, dequeue, defer and pin, but not synchronize or wait for a
 * barrier.  It runs either from an epoch collection in any thread, or
 * inline in the tern_queue_retire or tern_queue_destroy call that let go
 * last — then in that caller's context (pinned or holding the caller's
 * locks, if the caller is).  Once tern_queue_destroy(q) has begun, no fn may
 * touch q any more (not even to re-enqueue into it): the fn of q's last
 * dummy may run inside the destroy call, and pending ones later; recycle
 * into another queue, or stop recycling before destroying.  A release build
 * that uses a destroyed queue faults (its head and tail are NULL).
 * tern_epoch_domain_barrier() on the queue's domain makes the pending fn
 * calls run (for nodes the queue has already let go of).
 *
 * Ordering guarantee: whatever the producer wrote into a node before
 * enqueueing it happens before the dequeue that returns it; whatever the
 * consumer did before tern_queue_retire(n, fn) happens before fn(n).
 *
 * Domains: tern_queue_init(q, NULL) uses the default epoch domain; pass a
 * domain to use it instead (it must outlive the queue and the pending fn
 * calls).
 *
 * Misuse (debug builds abort with a message naming the call; undefined in
 * NDEBUG builds unless stated): NULL queue or node; enqueueing the node that
 * is at the tail right now (a double enqueue; one further inside the queue
 * is not detected); retiring a node twice, or a node that the queue never
 * returned (detected when the node's retire word is not one the queue set:
 * a second retire after the queue let go of the node in between is NOT
 * detected and runs fn twice);
 * using the queue after tern_queue_destroy; destroying a non-empty queue
 * with no function for the remaining nodes (NDEBUG builds: EBUSY, the queue
 * is left as it was).  tern_queue_init reports a NULL queue as EINVAL in
 * every build.  Destroy while another thread uses the queue is undefined and
 * not detected.
 */
#ifndef TERN_QUEUE_H
#define TERN_QUEUE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "epoch.h"

TERN_EXTERN_C_BEGIN

struct tern_queue_node;

/* Called once per retired node when neither the queue nor the dequeuer
 * uses it any longer. */
typedef void (*tern_queue_retire_fn)(struct tern_queue_node *node);

/* Embed one in each object that goes through a queue.  All fields are
 * private; nothing needs initialising before tern_queue_enqueue(). */
struct tern_queue_node {
	_Atomic(struct tern_queue_node *) next; /* successor in the queue */
	/* Who still holds the node after it was dequeued: a private marker
	 * (queued / released by the queue), or the retire function of a
	 * dequeuer that let go first. */
	_Atomic(tern_queue_retire_fn) retire;
	struct tern_epoch_entry entry;           /* the queue's grace period */
};

typedef struct tern_queue {
	_Atomic(struct tern_queue_node *) head;   /* the dummy; dequeuers */
	tern_epoch_domain_t *domain;              /* NULL: the default domain */
	char pad_[TERN_CACHELINE - 2 * sizeof(void *)];
	_Atomic(struct tern_queue_node *) tail;   /* last node or lagging by one; enqueuers */
	struct tern_queue_node stub;              /* the first dummy */
} tern_queue_t;

#ifndef TERN__CONTAINER_OF_DEFINED
#define TERN__CONTAINER_OF_DEFINED
/* Private: pointer arithmetic of the *_entry macros; NULL stays NULL.
 * (Also defined by tern/stack.h, under the same guard.) */
TERN_INLINE void *tern__container_of(const void *p, size_t offset)
{
	return p != NULL ? (void *)((char *)(uintptr_t)p - offset) : NULL;
}
#endif

/* => the object of type `type` whose member `member` is the node `ptr`, or
 * NULL if ptr is NULL (container_of). */
#define tern_queue_entry(ptr, type, member) \
	((type *)tern__container_of((ptr), offsetof(type, member)))

/* Initialises an empty queue in `domain` (NULL: the default domain).
 * => 0, or EINVAL if q is NULL. */
TERN_API int tern_queue_init(tern_queue_t *q, tern_epoch_domain_t *domain);

/* Appends n (a node in no queue: new, or handed back by its retire
 * function).  Pins itself unless the caller is pinned (or online) in the
 * queue's domain.  Never allocates. */
TERN_API void tern_queue_enqueue(tern_queue_t *q, struct tern_queue_node *n);

/* => the oldest node, removed, or NULL if the queue is empty.  Pins itself
 * unless the caller is pinned (or online) in the queue's domain.  The
 * payload is the caller's at once; the node goes back to the caller only
 * through tern_queue_retire (above). */
TERN_API struct tern_queue_node *tern_queue_dequeue(tern_queue_t *q);

/* The caller is done with the dequeued node n: fn(n) runs once the queue is
 * done with it too — possibly before this returns.  Call it exactly once
 * per node that tern_queue_dequeue returned.  Need not be pinned. */
TERN_API void tern_queue_retire(struct tern_queue_node *n, tern_queue_retire_fn fn);

/* => whether the queue was empty at some moment during the call. */
TERN_API bool tern_queue_is_empty(tern_queue_t *q);

/* => the epoch domain of q (the default domain if it was created with NULL). */
TERN_API tern_epoch_domain_t *tern_queue_domain(tern_queue_t *q);

/*
 * Destroys the queue.  No thread may be using it.  Each node still queued is
 * passed to destroy_node, oldest first, in this thread (the queue never
 * returned them, so they need no retire); destroy_node may be NULL only if
 * the queue is empty.  The queue also lets go of its last dummy: if that
 * node was retired already its retire function runs here, otherwise it will
 * run inside the tern_queue_retire call.  Retire functions of earlier nodes
 * may still be pending in the epoch domain (a barrier runs them); they do
 * not touch *q, which may be freed on return.  => 0; EINVAL if q is NULL,
 * EBUSY if nodes remain and destroy_node is NULL (NDEBUG builds; debug
 * builds abort).  tern_queue_init makes the queue usable again.
 */
TERN_API int tern_queue_destroy(tern_queue_t *q, void (*destroy_node)(struct tern_queue_node *n));

TERN_EXTERN_C_END

#endif /* TERN_QUEUE_H */
