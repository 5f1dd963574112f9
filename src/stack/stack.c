/* SPDX-License-Identifier: MIT */
/*
 * src/stack/stack.c — the Treiber stack of tern/stack.h on tern's epochs.
 *
 * Concurrency
 * ===========
 *
 * State: one atomic pointer `top`; each node's atomic `next`.  `domain` is
 * written by init only (before the stack is shared) and read plainly.
 *
 * Who writes what
 *  - `top`: only read-modify-writes while the stack is shared — push's CAS
 *    (NULL or a node -> the new node), pop's CAS (node -> its successor),
 *    pop_all's exchange (-> NULL).  init and destroy store plainly, with no
 *    concurrent user.
 *  - `n->next`: the pusher, before the CAS that publishes n (relaxed store;
 *    the CAS releases it).  Nothing in this file writes the link of a node
 *    that is on the stack, or that left it (the owner may; see I3).
 *
 * Invariants
 *  I1. The nodes reachable from `top` through `next` are exactly the nodes
 *      pushed and not yet popped, in LIFO order; the list ends with NULL.
 *      Every successful CAS preserves it: push links n in front of the value
 *      it compared against; pop replaces its expected node e by the link it
 *      read from e — I2 makes that link e's current successor.
 *  I2. No ABA.  A popper loads `top` == e and reads e->next while pinned,
 *      then CASes top from e to that link.  If e was popped meanwhile, its
 *      owner may push it again only after a grace period (the rule of the
 *      header), and a grace period cannot end while this popper, pinned
 *      since before that pop, stays pinned.  So while the popper holds e,
 *      `top` == e means e has not left the stack since the popper read it,
 *      and a node's link never changes while it is on the stack: the CAS
 *      succeeds only if the link it read is still e's successor.  (Pushing
 *      needs no such argument: it never dereferences what it read, and if
 *      `top` went from x to y and back to x, linking n in front of x is
 *      still right.)
 *  I3. No use-after-free.  pop dereferences only the node it read from `top`
 *      (or from a failed CAS), while pinned.  That node was on the stack at
 *      that moment; it is freed only after leaving the stack and a grace
 *      period, which outlasts this pin.  A popper that reads the link of a
 *      node that has left the stack may see anything its owner wrote there
 *      (a rewritten link, a list built from pop_all): its CAS then fails,
 *      because `top` cannot be that node again (I2) — so owners may rewrite
 *      links, and only freeing and re-pushing need the grace period.
 *      push and pop_all dereference nothing shared and need no pin.
 *
 * Linearization points
 *  push: its successful CAS.  pop: its successful CAS, or, when it returns
 *  NULL, the load (initial, or the failed CAS) that read NULL.  pop_all: its
 *  exchange.  is_empty: its load.
 *
 * Ordering
 *  O1. Every read-modify-write of `top` is acq_rel, so `top`'s modification
 *      order is a chain of synchronises-with edges: any thread that reads
 *      `top` with acquire happens after every push whose node it can reach
 *      (the pusher's relaxed store of n->next and its writes to the payload
 *      precede its release).  This does not rely on release sequences.
 *  O2. pop's loads of `top` (initial load and failed CAS) are acquire for the
 *      same reason: the node they return is then dereferenced.
 *  O3. The read of e->next is relaxed: O2 already ordered the pusher's store
 *      before it, and nobody stores to it while e is on the stack (I1).
 *
 * Progress: push and pop loop only when their CAS fails, i.e. when another
 * operation changed `top` — lock-free.  pop_all and is_empty are one atomic
 * step — wait-free.  The pin of pop is wait-free (tern/epoch.h).
 */
#include <errno.h>
#include <stddef.h>

#include "tern/stack.h"

/* The top of a destroyed stack: recognised by the debug checks; never
 * dereferenced. */
static struct tern_stack_node stack__dead;

#define STACK__CHECK(s, call)                                                      \
	do {                                                                        \
		TERN_ASSERT((s) != NULL, call ": stack is NULL");                   \
		/* Relaxed: a debug check against use after destroy (no concurrent  \
		 * destroy is allowed). */                                          \
		TERN_ASSERT(atomic_load_explicit(&(s)->top, memory_order_relaxed) != &stack__dead, \
			    call ": stack used after tern_stack_destroy");          \
	} while (0)

static tern_epoch_domain_t *stack__domain(tern_stack_t *s)
{
	return s->domain != NULL ? s->domain : tern_epoch_default_domain();
}

int tern_stack_init(tern_stack_t *s, tern_epoch_domain_t *domain)
{
	if (s == NULL)
		return EINVAL;
	/* Relaxed: initialisation precedes publication of the stack. */
	atomic_store_explicit(&s->top, NULL, memory_order_relaxed);
	s->domain = domain;
	return 0;
}

void tern_stack_push(tern_stack_t *s, struct tern_stack_node *n)
{
	STACK__CHECK(s, "tern_stack_push");
	TERN_ASSERT(n != NULL, "tern_stack_push: node is NULL");
	/* Relaxed: only the expected value of the CAS below; never
	 * dereferenced (I2: pushing needs no pin). */
	struct tern_stack_node *top = atomic_load_explicit(&s->top, memory_order_relaxed);
	do {
		TERN_ASSERT(top != n, "tern_stack_push: node is already on top of the stack (pushed twice)");
		/* Relaxed: published by the release half of the CAS below (O1). */
		atomic_store_explicit(&n->next, top, memory_order_relaxed);
		/* Acq_rel on success: the release publishes n->next and the
		 * payload to the acquire loads in tern_stack_pop() and
		 * tern_stack_pop_all() (O1); the acquire keeps the chain of O1
		 * unbroken.  Relaxed on failure: the new value is only compared
		 * again, never dereferenced. */
	} while (!atomic_compare_exchange_weak_explicit(&s->top, &top, n, memory_order_acq_rel,
						       memory_order_relaxed));
}

struct tern_stack_node *tern_stack_pop(tern_stack_t *s)
{
	STACK__CHECK(s, "tern_stack_pop");
	tern_epoch_domain_t *d = stack__domain(s);
	/* An online or already pinned caller is protected already (I3). */
	bool own_pin = !tern_epoch_domain_is_pinned(d);
	if (own_pin)
		tern_epoch_domain_pin(d);
	/* Acquire: pairs with the acq_rel CAS in tern_stack_push() that
	 * installed this node (O1, O2): its link is visible. */
	struct tern_stack_node *top = atomic_load_explicit(&s->top, memory_order_acquire);
	while (top != NULL) {
		/* Relaxed: ordered by the acquire that returned top (O3); if top
		 * has left the stack, whatever is read makes the CAS fail (I3). */
		struct tern_stack_node *next = atomic_load_explicit(&top->next, memory_order_relaxed);
		/* Acq_rel on success: the acquire pairs with the pusher's release
		 * (O1) — the payload handed to the caller is visible; the
		 * release keeps the chain unbroken for later poppers.  Acquire
		 * on failure: pairs with the CAS that installed the new top,
		 * dereferenced on the next iteration (O2). */
		if (atomic_compare_exchange_weak_explicit(&s->top, &top, next, memory_order_acq_rel,
							  memory_order_acquire))
			break;
	}
	if (own_pin)
		tern_epoch_domain_unpin(d);
	return top;
}

struct tern_stack_node *tern_stack_pop_all(tern_stack_t *s)
{
	STACK__CHECK(s, "tern_stack_pop_all");
	/* Acq_rel: the acquire pairs with the release of every push whose
	 * node is in the returned list (O1); the release keeps the chain
	 * unbroken for the next reader of `top`. */
	return atomic_exchange_explicit(&s->top, NULL, memory_order_acq_rel);
}

bool tern_stack_is_empty(tern_stack_t *s)
{
	STACK__CHECK(s, "tern_stack_is_empty");
	/* Relaxed: a snapshot; nothing is dereferenced. */
	return atomic_load_explicit(&s->top, memory_order_relaxed) == NULL;
}

tern_epoch_domain_t *tern_stack_domain(tern_stack_t *s)
{
	STACK__CHECK(s, "tern_stack_domain");
	return stack__domain(s);
}

uint64_t tern_stack_get_state(tern_stack_t *s)
{
	STACK__CHECK(s, "tern_stack_get_state");
	return tern_epoch_domain_get_state(stack__domain(s));
}

bool tern_stack_poll_state(tern_stack_t *s, uint64_t cookie)
{
	STACK__CHECK(s, "tern_stack_poll_state");
	return tern_epoch_domain_poll_state(stack__domain(s), cookie);
}

int tern_stack_destroy(tern_stack_t *s, void (*destroy_node)(struct tern_stack_node *n))
{
	TERN_ASSERT(s != NULL, "tern_stack_destroy: stack is NULL");
	if (s == NULL)
		return EINVAL;
	STACK__CHECK(s, "tern_stack_destroy");
	/* Acquire: pairs with the pushers' releases (O1): destroy_node sees
	 * each node's contents.  No concurrent user (documented). */
	struct tern_stack_node *n = atomic_load_explicit(&s->top, memory_order_acquire);
	TERN_ASSERT(n == NULL || destroy_node != NULL,
		    "tern_stack_destroy: stack is not empty and destroy_node is NULL");
	if (n != NULL && destroy_node == NULL)
		return EBUSY;
	/* Relaxed: no concurrent user; the poison is for the debug checks. */
	atomic_store_explicit(&s->top, &stack__dead, memory_order_relaxed);
	while (n != NULL) {
		/* Relaxed: ordered by the acquire load above (O1). */
		struct tern_stack_node *next = atomic_load_explicit(&n->next, memory_order_relaxed);
		destroy_node(n); /* may free n: its link was read first */
		n = next;
	}
	return 0;
}
