/* SPDX-License-Identifier: MIT */
/*
 * tern/lightlock.h — a one-byte lock: a never-spinning try_lock for the
 * "at most one transformer" pattern, and a test-and-test-and-set lock with
 * exponential backoff for short critical sections.
 *
 * Header-only: usable without linking libtern.
 *
 * Ordering guarantee: a successful tern_lightlock_try_lock() or
 * tern_lightlock_lock() is an acquire; tern_lightlock_unlock() is a release.
 * Everything written inside one critical section is visible to the next
 * holder.
 */
#ifndef TERN_LIGHTLOCK_H
#define TERN_LIGHTLOCK_H

#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "config.h"

TERN_EXTERN_C_BEGIN

typedef struct tern_lightlock {
	atomic_uchar locked; /* 0 = free, 1 = held */
} tern_lightlock_t;

_Static_assert(sizeof(tern_lightlock_t) == 1, "tern_lightlock_t must be one byte");

/* Static initialiser: tern_lightlock_t l = TERN_LIGHTLOCK_INIT;  (In C++
 * an empty list: it value-initialises (zeroes) the atomic member without
 * the copy that C++11/14 would need for { 0 }.) */
#ifdef __cplusplus
#define TERN_LIGHTLOCK_INIT {}
#else
#define TERN_LIGHTLOCK_INIT { 0 }
#endif

/* Backoff bounds of tern_lightlock_lock(), in pause instructions. */
#ifndef TERN_LIGHTLOCK_SPIN_MAX
#define TERN_LIGHTLOCK_SPIN_MAX 1024
#endif

/* One CPU relaxation hint (pause / yield); a compiler barrier elsewhere. */
TERN_INLINE void tern_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	/* No ordering needed: only stops the compiler from collapsing the loop. */
	atomic_signal_fence(memory_order_seq_cst);
#endif
}

/* Initialises (or re-initialises) an unlocked lock. */
TERN_INLINE void tern_lightlock_init(tern_lightlock_t *l)
{
	/* Relaxed: initialisation precedes publication of the lock to other threads. */
	atomic_store_explicit(&l->locked, 0, memory_order_relaxed);
}

/* => true if the lock is held by some thread right now (a hint only). */
TERN_INLINE bool tern_lightlock_is_locked(tern_lightlock_t *l)
{
	/* Relaxed: a snapshot; callers must not infer ordering from it. */
	return atomic_load_explicit(&l->locked, memory_order_relaxed) != 0;
}

/*
 * Tries once to take the lock; never spins or waits.  => true if the caller
 * now holds the lock (and must call tern_lightlock_unlock()).
 */
TERN_INLINE bool tern_lightlock_try_lock(tern_lightlock_t *l)
{
	/* Relaxed test first: a held lock is reported without writing to its
	 * cache line; the exchange below provides the ordering. */
	if (atomic_load_explicit(&l->locked, memory_order_relaxed))
		return false;
	/* Acquire: pairs with the release store in tern_lightlock_unlock(). */
	return atomic_exchange_explicit(&l->locked, 1, memory_order_acquire) == 0;
}

/*
 * Takes the lock, waiting if needed: test-and-test-and-set with CPU pause and
 * bounded exponential backoff, then sched_yield() so that a preempted holder
 * gets the core.
 */
TERN_INLINE void tern_lightlock_lock(tern_lightlock_t *l)
{
	unsigned spins = 1;
	while (!tern_lightlock_try_lock(l)) {
		if (spins <= TERN_LIGHTLOCK_SPIN_MAX) {
			for (unsigned i = 0; i < spins; i++)
				tern_cpu_relax();
			spins <<= 1;
		} else {
			sched_yield();
		}
	}
}

/* Releases a lock held by the caller.  Debug builds abort if it is not held. */
TERN_INLINE void tern_lightlock_unlock(tern_lightlock_t *l)
{
	TERN_ASSERT(tern_lightlock_is_locked(l), "tern_lightlock_unlock: lock is not held");
	/* Release: pairs with the acquire exchange in tern_lightlock_try_lock(). */
	atomic_store_explicit(&l->locked, 0, memory_order_release);
}

#if defined(__GNUC__) || defined(__clang__)
/*
 * Optional scoped helpers (GCC/Clang `cleanup` attribute), the C analogue of
 * a Rust guard: the lock is released on every exit from the scope —
 * fall-through, break, continue, return or goto out of it.
 *
 *     TERN_LIGHTLOCK_TRY_SCOPE(&lt->lock) {
 *             ... runs only if the lock was taken; unlocked on exit ...
 *     }
 *
 *     tern_lightlock_t *g TERN_LIGHTLOCK_GUARD = tern_lightlock_try_guard(&l);
 *     if (g) { ... }   // g is unlocked when it goes out of scope
 */
TERN_INLINE void tern__lightlock_guard_release(tern_lightlock_t **g)
{
	if (*g)
		tern_lightlock_unlock(*g);
}

/* => l if the try-lock succeeded, NULL otherwise; pair with TERN_LIGHTLOCK_GUARD. */
TERN_INLINE tern_lightlock_t *tern_lightlock_try_guard(tern_lightlock_t *l)
{
	return tern_lightlock_try_lock(l) ? l : NULL;
}

#define TERN_LIGHTLOCK_GUARD __attribute__((cleanup(tern__lightlock_guard_release)))

struct tern__lightlock_scope {
	tern_lightlock_t *held;
	int once;
};

TERN_INLINE void tern__lightlock_scope_release(struct tern__lightlock_scope *s)
{
	if (s->held)
		tern_lightlock_unlock(s->held);
}

#define TERN_LIGHTLOCK_TRY_SCOPE(lockp)                                              \
	for (struct tern__lightlock_scope TERN__CAT(tern__scope_, __LINE__)             \
		     __attribute__((cleanup(tern__lightlock_scope_release))) =             \
			     { tern_lightlock_try_guard(lockp), 1 };                       \
	     TERN__CAT(tern__scope_, __LINE__).held && TERN__CAT(tern__scope_, __LINE__).once; \
	     TERN__CAT(tern__scope_, __LINE__).once = 0)
#endif

TERN_EXTERN_C_END

#endif /* TERN_LIGHTLOCK_H */
