/* SPDX-License-Identifier: MIT */
/*
 * tern/stack.h — lock-free LIFO stack of intrusive nodes (Treiber), made
 * ABA-free by tern's epochs.
 *
 * Guarantees
 *   - Linearizable LIFO: push, pop and pop_all each take effect at one
 *     atomic step on the top pointer (src/stack/stack.c, "Concurrency").
 *   - Lock-free: a push or pop retries only when another push, pop or
 *     pop_all changed the top meanwhile.  pop_all is one exchange
 *     (wait-free); push never waits and never allocates: the node is yours
 *     (struct tern_stack_node embedded in your object).
 *   - No ABA and no use-after-free: pop runs pinned in the stack's epoch
 *     domain (it pins itself unless the caller is already pinned or online
 *     there), and a node that left the stack may not be freed or pushed
 *     again before a grace period — the rule below.  While a popper is
 *     pinned, no node it saw at the top can come back, so its
 *     compare-and-swap cannot succeed on a stale successor.
 *
 * Who owns a node
 *   push(n)    n belongs to the stack until a pop or pop_all returns it.
 *   pop()      returns n: its payload (everything but the link) is yours at
 *              once; the stack never touches it.  The link may still be READ
 *              by poppers that were pinned when n was on top, until a grace
 *              period has elapsed.  So do not free n, and do not push it
 *              (onto any stack) before a grace period.  Ways to know:
 *                - retire it: tern_epoch_domain_call(tern_stack_domain(s),
 *                  &obj->entry, fn) with an entry embedded in your object;
 *                  fn(entry) runs after the grace period and may free or
 *                  push the node again;
 *                - or take c = tern_stack_get_state(s) after the pop and
 *                  reuse the node once tern_stack_poll_state(s, c) is true;
 *                - or call tern_epoch_domain_synchronize() (not pinned).
 *   pop_all()  returns the whole stack as a NULL-terminated list (top
 *              first) that the caller owns exclusively: nothing else will
 *              ever write its links, and walking it with tern_stack_next()
 *              needs no pin.  But every node of the list may have been on
 *              top while some popper was pinned, and that popper may still
 *              read its link: the rule for popped nodes applies to each of
 *              them (no free, no push, before a grace period).  Rewriting
 *              their links is harmless to such poppers (their CAS fails),
 *              freeing or re-pushing them early is not.
 *
 * Ordering guarantee: whatever the pusher wrote into a node before push
 * happens before the pop or pop_all that returns it (release/acquire on the
 * top pointer).
 *
 * Domains: tern_stack_init(s, NULL) uses the default epoch domain; pass a
 * domain to use it instead (it must outlive the stack and its nodes' grace
 * periods).
 *
 * Misuse (debug builds abort with a message naming the call; undefined in
 * NDEBUG builds unless stated): NULL stack or node; pushing the node that is
 * on top right now (a double push; a double push deeper in the stack is not
 * detected); using the stack after tern_stack_destroy; destroying a
 * non-empty stack with no function for the remaining nodes (NDEBUG builds:
 * EBUSY, the stack is left as it was).  tern_stack_init reports a NULL stack
 * as EINVAL in every build.  Destroy while another thread uses the stack is
 * undefined and not detected.
 */
#ifndef TERN_STACK_H
#define TERN_STACK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "epoch.h"

TERN_EXTERN_C_BEGIN

/* Embed one in each object that goes on a stack. */
struct tern_stack_node {
	_Atomic(struct tern_stack_node *) next; /* private while on a stack */
};

typedef struct tern_stack {
	_Atomic(struct tern_stack_node *) top; /* NULL when empty */
	tern_epoch_domain_t *domain;           /* NULL: the default domain */
} tern_stack_t;

/* Static initialiser of an empty stack in the default domain:
 * tern_stack_t s = TERN_STACK_INIT; */
#define TERN_STACK_INIT { NULL, NULL }

#ifndef TERN__CONTAINER_OF_DEFINED
#define TERN__CONTAINER_OF_DEFINED
/* Private: pointer arithmetic of the *_entry macros; NULL stays NULL.
 * (Also defined by tern/queue.h, under the same guard.) */
TERN_INLINE void *tern__container_of(const void *p, size_t offset)
{
	return p != NULL ? (void *)((char *)(uintptr_t)p - offset) : NULL;
}
#endif

/* => the object of type `type` whose member `member` is the node `ptr`, or
 * NULL if ptr is NULL (container_of). */
#define tern_stack_entry(ptr, type, member) \
	((type *)tern__container_of((ptr), offsetof(type, member)))

/* Initialises an empty stack in `domain` (NULL: the default domain).
 * => 0, or EINVAL if s is NULL. */
TERN_API int tern_stack_init(tern_stack_t *s, tern_epoch_domain_t *domain);

/* Pushes n (not on any stack).  Never waits for another thread, never
 * allocates, needs no pin. */
TERN_API void tern_stack_push(tern_stack_t *s, struct tern_stack_node *n);

/* => the node on top, removed, or NULL if the stack is empty.  Pins itself
 * in the stack's domain unless the caller is pinned (or online) there.  The
 * node may not be freed or pushed again before a grace period (above). */
TERN_API struct tern_stack_node *tern_stack_pop(tern_stack_t *s);

/* => every node, top first, as a NULL-terminated list the caller owns (see
 * the rule above), or NULL if empty.  One atomic exchange; needs no pin. */
TERN_API struct tern_stack_node *tern_stack_pop_all(tern_stack_t *s);

/* => whether the stack was empty at some moment during the call. */
TERN_API bool tern_stack_is_empty(tern_stack_t *s);

/* => the node after n in a list returned by tern_stack_pop_all(), or NULL. */
TERN_INLINE struct tern_stack_node *tern_stack_next(const struct tern_stack_node *n)
{
	TERN_ASSERT(n != NULL, "tern_stack_next: node is NULL");
	/* Relaxed: the caller owns the list; the links were published to it
	 * by the acquire exchange in tern_stack_pop_all(). */
	return atomic_load_explicit(&((struct tern_stack_node *)(uintptr_t)n)->next, memory_order_relaxed);
}

/* => the epoch domain of s (the default domain if it was created with NULL),
 * for tern_epoch_domain_call / synchronize on popped nodes. */
TERN_API tern_epoch_domain_t *tern_stack_domain(tern_stack_t *s);

/* => a cookie for a grace period that starts now, in the stack's domain
 * (take it after popping). */
TERN_API uint64_t tern_stack_get_state(tern_stack_t *s);

/* => whether a full grace period has elapsed since the cookie was taken:
 * every node popped before tern_stack_get_state() may now be freed or
 * pushed again.  Never waits. */
TERN_API bool tern_stack_poll_state(tern_stack_t *s, uint64_t cookie);

/*
 * Destroys the stack.  No thread may be using it.  Each node still on the
 * stack is passed to destroy_node (top first) in this thread; destroy_node
 * may be NULL only if the stack is empty.  => 0; EINVAL if s is NULL, EBUSY
 * if nodes remain and destroy_node is NULL (NDEBUG builds; debug builds
 * abort).  The stack must not be used afterwards (tern_stack_init makes it
 * usable again).
 */
TERN_API int tern_stack_destroy(tern_stack_t *s, void (*destroy_node)(struct tern_stack_node *n));

TERN_EXTERN_C_END

#endif /* TERN_STACK_H */
