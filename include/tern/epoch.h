/* SPDX-License-Identifier: MIT */
/*
 * tern/epoch.h — three-bin epoch-based memory reclamation.
 *
 * A thread *pins* itself before reading shared pointers and *unpins* when it
 * no longer uses what it read.  An object removed from every shared place is
 * handed to tern_epoch_defer(); its destructor runs exactly once, after every
 * thread that could still hold a reference has unpinned (a grace period).
 *
 * The process-wide default domain needs no setup: a thread registers on its
 * first pin or defer and unregisters at thread exit.  Deferred objects are
 * sealed into the domain in batches (at most TERN_EPOCH_BAG_CAP objects
 * wait in a thread's open list), so any thread's collection reclaims them:
 * a thread that defers and then blocks holds nothing hostage.  Explicit domains
 * (tern_epoch_domain_*) are independent collectors for libraries that embed
 * tern.
 *
 * Fast path: pin and unpin are inline.  On Linux, the store→load ordering a
 * reader needs between announcing its epoch and reading shared pointers is
 * supplied by the collector's membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED),
 * so the outermost pin is a thread-local access, one load of the global
 * epoch, one store and a compiler barrier; where membarrier is missing the
 * pin falls back (at run time) to a full fence.  Define
 * TERN_EPOCH_FORCE_FENCE when compiling both tern and the code that includes
 * this header to always use the fence (ThreadSanitizer cannot see
 * membarrier).
 *
 * Ordering guarantee: if a thread unlinks an object and then defers it, every
 * thread that read the object's pointer while pinned keeps a valid object
 * until it unpins; the destructor runs after (happens-after) each such
 * thread's unpin.
 *
 * Destructors.  tern never holds one of its locks while it runs a
 * destructor, wherever it runs it (a collection, an unpin, a defer, thread
 * exit, tern_epoch_domain_destroy, a barrier, a flush).  A destructor may
 * defer more objects into its own or any other domain, pin and unpin, flush,
 * collect, and create or destroy *other* domains.  It may not synchronize or
 * wait for a barrier (it would wait for itself), destroy the domain whose
 * garbage it belongs to, or exit its thread.  A collect or flush called from
 * a destructor that tern is running for the same thread and domain returns
 * at once; the outer call finishes the work.
 *
 * Teardown.  Thread exit, tern_epoch_barrier() and
 * tern_epoch_domain_destroy() drain: what destructors they run defer into
 * the same place is handled before they return (destroyed, or for thread
 * exit handed to the domain when not yet due).  A thread exit and a domain
 * destroy may race: whichever comes first, every object is destroyed once.
 *
 * fork().  In the child only the forking thread exists: the other threads'
 * pending garbage becomes the domain's (destroyed by the child's later
 * collections and barriers, each object once); a thread that was in the
 * middle of rearranging its garbage when fork() ran leaves that garbage
 * unreclaimed in the child (a leak, never a double destruction).
 *
 * Misuse (debug builds abort with a message naming the call; undefined in
 * NDEBUG builds): unpin without pin; synchronize or barrier while pinned or
 * from a destructor; destroying a domain while a thread is pinned in it,
 * from one of its own destructors, or twice; a NULL domain.  Using a
 * destroyed domain is undefined in every build (its memory is gone).
 */
#ifndef TERN_EPOCH_H
#define TERN_EPOCH_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"

TERN_EXTERN_C_BEGIN

typedef struct tern_epoch_domain tern_epoch_domain_t;

/*
 * Intrusive deferral (tern_epoch_call): embed an entry in your object; the
 * collector links it and later calls fn(entry).  Never allocates, so it
 * cannot fail.  The entry must stay valid until fn runs.
 */
struct tern_epoch_entry {
	struct tern_epoch_entry *next;
	void (*fn)(struct tern_epoch_entry *entry);
};

/* Statistics of a domain (tern_epoch_stats / tern_epoch_domain_stats).
 * pending and orphaned are exact whenever no thread is deferring or
 * destroying in the domain. */
struct tern_epoch_stats {
	uint64_t epoch;              /* current global epoch */
	unsigned registered_threads; /* threads with a record in the domain */
	unsigned pinned_threads;     /* of which pinned (or online) right now */
	uint64_t pending;            /* deferred and not yet destroyed (open lists + sealed) */
	uint64_t orphaned;           /* of which sealed: held by the domain (any thread's
	                              * collection destroys it), the rest waits in
	                              * threads' open lists (at most TERN_EPOCH_BAG_CAP each) */
	uint64_t destroyed;          /* destructors run so far */
	uint64_t advances;           /* successful epoch advances */
	uint64_t failed_advances;    /* attempts refused because a thread lagged */
	/*
	 * Stall detection: the pinned thread that has blocked advancement the
	 * longest, if one blocks it now.  A thread that stays pinned stops all
	 * reclamation in its domain; this makes it visible.
	 */
	long stall_tid;              /* OS thread id (gettid; off Linux a number tern
	                              * gives each thread), 0 if nothing is blocked */
	uint64_t stall_epoch;        /* the epoch that thread is pinned at */
	uint64_t stall_ns;           /* for how long it has blocked advancement */
	uint64_t stall_refusals;     /* advance attempts it refused */
};

/* ---- tuning (compile-time; only where the implementation is compiled) ----
 *
 * None of these changes a type the program shares with the library: the
 * thread records that hold garbage are private to the implementation, so a
 * translation unit that sees other values than the library was built with
 * is harmless.  They are shown here for reference and for the tests. */

/* Entries per garbage bag; also how many objects a pinned section can
 * defer when no memory can be allocated (the record's reserve bag). */
#ifndef TERN_EPOCH_BAG_CAP
#define TERN_EPOCH_BAG_CAP 62
#endif
/* A thread with pending garbage collects every this many outermost unpins
 * (up to 16 times as many while one membarrier is slow, as below). */
#ifndef TERN_EPOCH_COLLECT_PINS
#define TERN_EPOCH_COLLECT_PINS 128
#endif
/* ... and every this many deferred objects, or up to 16 times as many
 * while one membarrier costs more than TERN_EPOCH_COLLECT_DEFERS * 4 ns (the
 * interval keeps the barrier's cost per object near 4 ns). */
#ifndef TERN_EPOCH_COLLECT_DEFERS
#define TERN_EPOCH_COLLECT_DEFERS 256
#endif
/* A collection that an unpin or a quiescent state runs destroys at most
 * this many objects (whole bags); the rest of a large due batch waits
 * for that thread's next collection or any other thread's.  Collections
 * that defer, collect, flush, barrier and thread exit run destroy
 * everything due. */
#ifndef TERN_EPOCH_UNPIN_DESTROY_MAX
#define TERN_EPOCH_UNPIN_DESTROY_MAX 1024
#endif
/* Above this many pending objects, defer insists on collecting before returning. */
#ifndef TERN_EPOCH_PENDING_MAX
#define TERN_EPOCH_PENDING_MAX 8192
#endif

/* ---- private layout: only what the inline fast paths touch ----
 *
 * A thread's state word in one domain.  The default domain's slot is the
 * thread-local tern__epoch_self; an explicit domain's slot heads the
 * thread's private record in that domain.  (epoch << TERN__EPOCH_SHIFT) |
 * flags: collectors read TERN__EPOCH_PINNED and the epoch, the other flags
 * are the owner's, kept here so that pin and unpin test one word.  Every
 * store the owner makes to it while it is registered is a release store
 * (epoch.c, "Concurrency"). */
struct tern__epoch_slot {
	_Atomic(uint64_t) state;
};

/* The part of a domain the fast paths read; the rest (registry, sealed bins,
 * locks) is private, behind impl. */
struct tern_epoch_domain {
	/* The global epoch: read by every pin, written by advances. */
	_Alignas(64) _Atomic(uint64_t) epoch;
	uint64_t id;                       /* never reused; validates the caches */
	struct tern__epoch_domain_impl *impl;
};

/* Flags in the low bits of a slot's state. */
#define TERN__EPOCH_PINNED 1u  /* outermost pin in force (collectors read this) */
#define TERN__EPOCH_FAST 2u    /* registered, membarrier mode: pin may stay inline */
#define TERN__EPOCH_NESTED 4u  /* nest > 0: unpin goes out of line */
#define TERN__EPOCH_PENDING 8u /* owner has garbage (or left due garbage): unpin goes out of line */
#define TERN__EPOCH_LATE 16u   /* thread past its exit hook (epoch_registry.h) */
#define TERN__EPOCH_REG 32u    /* the slot's record is registered */
#define TERN__EPOCH_ONLINE 64u /* quiescent-state reader between online and offline */
#define TERN__EPOCH_FAST_REG (TERN__EPOCH_FAST | TERN__EPOCH_REG) /* the inline case */
#define TERN__EPOCH_FLAGS 0xffu
#define TERN__EPOCH_SHIFT 8

/* The default domain and the calling thread's slot in it. */
TERN__EXTERN_API struct tern_epoch_domain tern__epoch_default;
TERN__EXTERN_API _Thread_local struct tern__epoch_slot tern__epoch_self;

/* The calling thread's most recently used explicit domain (validated by id,
 * so a destroyed domain's address reused by a new domain never matches). */
struct tern__epoch_cache {
	struct tern_epoch_domain *dom;
	uint64_t id;
	struct tern__epoch_slot *slot;
};
TERN__EXTERN_API _Thread_local struct tern__epoch_cache tern__epoch_cache;

/* Slow paths (epoch.c): a pin that is not an outermost membarrier-mode pin
 * (nested, unregistered, fence mode, thread exiting), an unpin that is not
 * the end of such a pin, and the cache miss of an explicit domain. */
TERN_API void tern__epoch_pin_slow(struct tern_epoch_domain *d, struct tern__epoch_slot *s);
TERN_API void tern__epoch_unpin_slow(struct tern_epoch_domain *d, struct tern__epoch_slot *s);
TERN_API struct tern__epoch_slot *tern__epoch_domain_slot(struct tern_epoch_domain *d);
TERN_API bool tern__epoch_domain_pinned(struct tern_epoch_domain *d);

/* => s's state word; only its owner may ask. */
TERN_INLINE uint64_t tern__epoch_own_state(struct tern__epoch_slot *s)
{
	/* Relaxed: the owner reading the value it last stored itself. */
	return atomic_load_explicit(&s->state, memory_order_relaxed);
}

/* => whether s is pinned; only its owner may ask. */
TERN_INLINE bool tern__epoch_pinned(struct tern__epoch_slot *s)
{
	return (tern__epoch_own_state(s) & TERN__EPOCH_PINNED) != 0;
}

/* Announces s's epoch (step R1 of epoch.c; flags are s's unpinned flags);
 * the caller adds the ordering. */
TERN_INLINE void tern__epoch_announce(struct tern_epoch_domain *d, struct tern__epoch_slot *s,
				      uint64_t flags)
{
	/* Acquire: pairs with the seq_cst store of the epoch in
	 * try_advance_locked(), so that on weakly ordered CPUs the pointer
	 * loads after this pin are not performed before the epoch load
	 * (epoch.c, "Concurrency", membarrier mode).  A plain load on x86. */
	uint64_t e = atomic_load_explicit(&d->epoch, memory_order_acquire);
	/* Release: pairs with the acquire load of the state in
	 * try_advance_locked(): a collector that reads this store (and not the
	 * unpin before it) still synchronises with everything this thread did
	 * under its earlier pins, without relying on release sequences.  A
	 * plain store on x86. */
	atomic_store_explicit(&s->state, (e << TERN__EPOCH_SHIFT) | (flags & TERN__EPOCH_FLAGS) | TERN__EPOCH_PINNED,
			      memory_order_release);
}

/* Pin for slot s in domain d (step R1). */
TERN_INLINE void tern__epoch_pin_slot(struct tern_epoch_domain *d, struct tern__epoch_slot *s)
{
#ifndef TERN_EPOCH_FORCE_FENCE
	/* The stored value is a constant picked by this (predicted) branch,
	 * never computed from the loaded word: a data dependency through the
	 * state would chain every pin to the previous unpin's store. */
	if (TERN_LIKELY((tern__epoch_own_state(s) & TERN__EPOCH_FLAGS) == TERN__EPOCH_FAST_REG)) {
		tern__epoch_announce(d, s, TERN__EPOCH_FAST_REG);
		/* Compiler barrier only: the collector's membarrier() is the
		 * hardware fence (pairs with epoch__heavy_barrier() in epoch.c). */
		atomic_signal_fence(memory_order_seq_cst);
		return;
	}
#endif
	tern__epoch_pin_slow(d, s);
}

/* Unpin for slot s in domain d (step R3). */
TERN_INLINE void tern__epoch_unpin_slot(struct tern_epoch_domain *d, struct tern__epoch_slot *s,
					const char *who)
{
	uint64_t st = tern__epoch_own_state(s);
	TERN_ASSERT(st & TERN__EPOCH_PINNED, who);
	(void)who;
	/* As in the pin: a constant store chosen by the branch. */
	if (TERN_LIKELY((st & TERN__EPOCH_FLAGS) == (TERN__EPOCH_FAST_REG | TERN__EPOCH_PINNED))) {
		/* Release: pairs with the acquire load of each state in
		 * try_advance_locked(): everything read under the pin happens
		 * before a collector that sees this thread unpinned. */
		atomic_store_explicit(&s->state, TERN__EPOCH_FAST_REG, memory_order_release);
		return;
	}
	tern__epoch_unpin_slow(d, s);
}

/* ---- default domain ---- */

/* Pins the calling thread (nestable).  Registers the thread on first use;
 * never allocates and never fails (except when called from a pthread-key
 * destructor after tern's own exit hook ran: that needs a small record, and
 * aborts with a message if it cannot be allocated). */
TERN_INLINE void tern_epoch_pin(void)
{
	tern__epoch_pin_slot(&tern__epoch_default, &tern__epoch_self);
}

/* Ends the innermost pin; the outermost unpin may collect garbage. */
TERN_INLINE void tern_epoch_unpin(void)
{
	tern__epoch_unpin_slot(&tern__epoch_default, &tern__epoch_self, "tern_epoch_unpin: thread is not pinned");
}

/* => true if the calling thread is pinned in the default domain. */
TERN_INLINE bool tern_epoch_is_pinned(void)
{
	return tern__epoch_pinned(&tern__epoch_self);
}

/*
 * Runs destroy(obj) exactly once after a grace period.  May be called pinned
 * or not.  Allocates a bag every TERN_EPOCH_BAG_CAP objects; if that fails,
 * an unpinned caller waits for a grace period and destroys obj itself, and a
 * pinned caller uses its thread's reserve bag (TERN_EPOCH_BAG_CAP objects
 * per pinned section); past that it retries the allocation until memory
 * returns.  Never drops an object.
 */
TERN_API void tern_epoch_defer(void *obj, void (*destroy)(void *obj));
/*
 * Quiescent-state readers (QSBR).  An online thread needs no pin around its
 * reads: everything it reads stays valid until its next quiescent state
 * (or offline).  It announces quiescent states between units of work, when
 * it holds no pointer read before, and goes offline before it blocks.
 * Online and pinning threads share one domain and one defer API; pins nest
 * inside an online section, and every API that requires a pin accepts an
 * online thread.  Misuse (debug builds abort): online while pinned or
 * online, quiescent or offline while not online or while pinned inside the
 * online section, synchronize or barrier while online.
 */
TERN_API void tern_epoch_online(void);
TERN_API void tern_epoch_quiescent(void);
TERN_API void tern_epoch_offline(void);
/*
 * Polled grace periods: a cookie for a grace period that starts now, and
 * whether it has elapsed (every pin and online section that began before
 * tern_epoch_get_state() has ended, and what they read may be reused).
 * poll_state never waits; it tries to advance the epoch a little.  An
 * online thread holds a cookie back until it passes a quiescent state
 * after the epoch has moved on (polling moves it on), as in every QSBR.
 */
TERN_API uint64_t tern_epoch_get_state(void);
TERN_API bool tern_epoch_poll_state(uint64_t cookie);

/* Frees obj's memory (with free()) after a grace period; runs no destructor. */
TERN_API void tern_epoch_defer_free(void *obj);
/* Intrusive defer: calls fn(entry) after a grace period; never allocates. */
TERN_API void tern_epoch_call(struct tern_epoch_entry *entry, void (*fn)(struct tern_epoch_entry *entry));
/* Waits for a full grace period: every pin begun before the call has ended.  Not while pinned. */
TERN_API void tern_epoch_synchronize(void);
/*
 * On return, every object deferred before the call by any thread (live,
 * idle, exited or flushed) has been destroyed, and so has everything the
 * destructors this call ran deferred into the domain from this thread
 * (rcu_barrier()'s contract).  Waits for the threads pinned now to unpin,
 * and for destructor batches other threads took before the call.  Not
 * while pinned or online.
 */
TERN_API void tern_epoch_barrier(void);
/* Seals the calling thread's open garbage into the domain now (any thread's
 * later collection destroys it).  Sealed garbage always belongs to the
 * domain; at most TERN_EPOCH_BAG_CAP objects per thread are ever unsealed,
 * so an idle thread never holds more than that back (and a barrier takes
 * even those). */
TERN_API void tern_epoch_flush(void);
/* Tries to advance the epoch and destroys what is due; never waits.  With
 * nothing pending it does no work (no advance, no membarrier). */
TERN_API void tern_epoch_collect(void);
/* Fills *out with the default domain's statistics. */
TERN_API void tern_epoch_stats(struct tern_epoch_stats *out);
/* => the default domain, for the tern_epoch_domain_* calls. */
TERN_API tern_epoch_domain_t *tern_epoch_default_domain(void);
/* => true if the readers' fast path uses membarrier (no fence on pin). */
TERN_API bool tern_epoch_uses_membarrier(void);

/* ---- explicit domains ---- */

/* Creates an independent collector.  => 0, ENOMEM, or EINVAL if out is NULL. */
TERN_API int tern_epoch_domain_create(tern_epoch_domain_t **out);
/*
 * Destroys every pending object of the domain (and whatever those
 * destructors defer into it), then the domain.  Waits for threads that are
 * exiting and handing their garbage to the domain.  No thread may be pinned
 * in it (debug builds abort), and no thread may use it afterwards; threads
 * that still have a record in it free that record when they exit.
 */
TERN_API void tern_epoch_domain_destroy(tern_epoch_domain_t *d);
/*
 * Allocates the calling thread's record in d now (about 1.2 KB).  Optional:
 * pin and defer register on first use, but a first pin whose allocation
 * fails aborts with a message; call this first to get ENOMEM instead.
 * (A first defer that cannot allocate the record waits for a grace period
 * and destroys the object in place, like any defer out of memory.)  The
 * default domain's records live in the library's thread-local storage and
 * never need an allocation.  => 0, ENOMEM, or EINVAL if d is NULL.
 */
TERN_API int tern_epoch_domain_register(tern_epoch_domain_t *d);
TERN_API void tern_epoch_domain_defer(tern_epoch_domain_t *d, void *obj, void (*destroy)(void *obj));
TERN_API void tern_epoch_domain_defer_free(tern_epoch_domain_t *d, void *obj);
TERN_API void tern_epoch_domain_call(tern_epoch_domain_t *d, struct tern_epoch_entry *entry,
				     void (*fn)(struct tern_epoch_entry *entry));
TERN_API void tern_epoch_domain_synchronize(tern_epoch_domain_t *d);
TERN_API void tern_epoch_domain_barrier(tern_epoch_domain_t *d);
TERN_API void tern_epoch_domain_flush(tern_epoch_domain_t *d);
TERN_API void tern_epoch_domain_collect(tern_epoch_domain_t *d);
TERN_API void tern_epoch_domain_stats(tern_epoch_domain_t *d, struct tern_epoch_stats *out);
TERN_API void tern_epoch_domain_online(tern_epoch_domain_t *d);
TERN_API void tern_epoch_domain_quiescent(tern_epoch_domain_t *d);
TERN_API void tern_epoch_domain_offline(tern_epoch_domain_t *d);
TERN_API uint64_t tern_epoch_domain_get_state(tern_epoch_domain_t *d);
TERN_API bool tern_epoch_domain_poll_state(tern_epoch_domain_t *d, uint64_t cookie);

/* The calling thread's slot in d (one-entry cache, then a list walk). */
TERN_INLINE struct tern__epoch_slot *tern__epoch_slot_of(tern_epoch_domain_t *d)
{
	if (d == &tern__epoch_default)
		return &tern__epoch_self; /* registered by its first pin */
	struct tern__epoch_cache *c = &tern__epoch_cache;
	if (TERN_LIKELY(c->dom == d && c->id == d->id))
		return c->slot;
	return tern__epoch_domain_slot(d);
}

/* Pins the calling thread in d (nestable, independent of other domains). */
TERN_INLINE void tern_epoch_domain_pin(tern_epoch_domain_t *d)
{
	TERN_ASSERT(d != NULL, "tern_epoch_domain_pin: domain is NULL");
	tern__epoch_pin_slot(d, tern__epoch_slot_of(d));
}

TERN_INLINE void tern_epoch_domain_unpin(tern_epoch_domain_t *d)
{
	TERN_ASSERT(d != NULL, "tern_epoch_domain_unpin: domain is NULL");
	tern__epoch_unpin_slot(d, tern__epoch_slot_of(d),
	                       "tern_epoch_domain_unpin: thread is not pinned in this domain");
}

/* => true if the calling thread is pinned (or online) in d.  Never
 * registers the thread. */
TERN_INLINE bool tern_epoch_domain_is_pinned(tern_epoch_domain_t *d)
{
	TERN_ASSERT(d != NULL, "tern_epoch_domain_is_pinned: domain is NULL");
	if (d == &tern__epoch_default)
		return tern__epoch_pinned(&tern__epoch_self);
	struct tern__epoch_cache *c = &tern__epoch_cache;
	if (TERN_LIKELY(c->dom == d && c->id == d->id))
		return tern__epoch_pinned(c->slot);
	return tern__epoch_domain_pinned(d);
}

#if defined(__GNUC__) || defined(__clang__)
/*
 * Scoped pins (GCC/Clang `cleanup` attribute), like the LightLock's scoped
 * helpers: the pin ends on every exit from the enclosing block — falling
 * off its end, return, break, continue, or a goto to a label outside it —
 * exactly once, innermost first when scopes nest.  (C++: tern.hpp.)
 *
 *     {
 *             TERN_EPOCH_PIN_SCOPE();           // pinned from here ...
 *             const struct v *p = tern_cell_load(&cell);
 *             if (!p)
 *                     return -1;                // ... unpinned here
 *             use(p);
 *     }                                         // ... or here
 *
 *     TERN_EPOCH_DOMAIN_PIN_SCOPE(d);           // the same in domain d
 *
 *     struct tern_epoch_guard g TERN_EPOCH_GUARD = tern_epoch_guard_pin();
 *     ...
 *     tern_epoch_guard_unpin(&g);               // optional: end it early
 *
 * What read under the pin must not be used after the block (the pointer
 * may outlive it; the guarantee does not).  Never goto *into* the block
 * past the declaration: clang rejects it, gcc accepts it and would run the
 * cleanup on a guard never initialised.  longjmp() out of the block
 * and thread cancellation (without -fexceptions) do not run cleanups, so
 * they leave the thread pinned, as they would skip a tern_epoch_unpin().
 */
struct tern_epoch_guard {
	tern_epoch_domain_t *dom; /* the domain pinned, NULL for the default one */
	bool pinned;              /* false once ended (tern_epoch_guard_unpin) */
};

/* Pins the default domain.  => a guard to store in a TERN_EPOCH_GUARD variable. */
TERN_INLINE struct tern_epoch_guard tern_epoch_guard_pin(void)
{
	tern_epoch_pin();
	struct tern_epoch_guard g = { NULL, true };
	return g;
}

/* Pins domain d.  => a guard to store in a TERN_EPOCH_GUARD variable. */
TERN_INLINE struct tern_epoch_guard tern_epoch_guard_domain_pin(tern_epoch_domain_t *d)
{
	tern_epoch_domain_pin(d);
	struct tern_epoch_guard g = { d, true };
	return g;
}

/* Ends g's pin now, if it has not ended; the cleanup then does nothing. */
TERN_INLINE void tern_epoch_guard_unpin(struct tern_epoch_guard *g)
{
	if (!g->pinned)
		return;
	g->pinned = false;
	if (g->dom)
		tern_epoch_domain_unpin(g->dom);
	else
		tern_epoch_unpin();
}

/* The attributes of a guard variable: unpins when the variable goes out of
 * scope (and no warning if the variable is never named again). */
#define TERN_EPOCH_GUARD __attribute__((cleanup(tern_epoch_guard_unpin), unused))

/* Declares a hidden guard: pinned from here to the end of the enclosing
 * block (a declaration, so it goes where a declaration may). */
#define TERN_EPOCH_PIN_SCOPE()                                                        \
	struct tern_epoch_guard TERN__CAT(tern__epoch_scope_, __COUNTER__) TERN_EPOCH_GUARD = \
		tern_epoch_guard_pin()
#define TERN_EPOCH_DOMAIN_PIN_SCOPE(d)                                                \
	struct tern_epoch_guard TERN__CAT(tern__epoch_scope_, __COUNTER__) TERN_EPOCH_GUARD = \
		tern_epoch_guard_domain_pin(d)
#endif

TERN_EXTERN_C_END

#endif /* TERN_EPOCH_H */
