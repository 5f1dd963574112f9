/*
 * tern/epoch.h — three-bin epoch-based memory reclamation.
 *
 * A thread *pins* itself before reading shared pointers and *unpins* when it
 * no longer uses what it read.  An object removed from every shared place is
 * handed to tern_epoch_defer(); its destructor runs exactly once, after every
 * thread that could still hold a reference has unpinned (a grace period).
 *
 * The process-wide default domain needs no setup: a thread registers on its
 * first pin or defer and unregisters at thread exit, when its pending garbage
 * goes to an orphan list that later collections destroy.  Explicit domains
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
 * Misuse (debug builds abort with a message naming the call; undefined in
 * NDEBUG builds): unpin without pin; synchronize or barrier while pinned;
 * destroying a domain while a thread is pinned in it; calling
 * synchronize/barrier from inside a destructor; a NULL domain.  Using a
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

/* Statistics of a domain (tern_epoch_stats / tern_epoch_domain_stats). */
struct tern_epoch_stats {
	uint64_t epoch;              /* current global epoch */
	unsigned registered_threads; /* threads with a record in the domain */
	unsigned pinned_threads;     /* of which pinned right now */
	uint64_t pending;            /* deferred and not yet destroyed (threads + orphans) */
	uint64_t orphaned;           /* of which handed over by exited/flushed threads */
	uint64_t destroyed;          /* destructors run so far */
	uint64_t advances;           /* successful epoch advances */
	uint64_t failed_advances;    /* attempts refused because a thread lagged */
	/*
	 * Stall detection: the pinned thread that has blocked advancement the
	 * longest, if one blocks it now.  A thread that stays pinned stops all
	 * reclamation in its domain; this makes it visible.
	 */
	long stall_tid;              /* OS thread id (gettid), 0 if nothing is blocked */
	uint64_t stall_epoch;        /* the epoch that thread is pinned at */
	uint64_t stall_ns;           /* for how long it has blocked advancement */
	uint64_t stall_refusals;     /* advance attempts it refused */
};

/* ---- tuning (compile-time) ---- */

/* Entries per garbage bag.  Global: it sizes the thread record declared
 * below, so every translation unit must agree (define it project-wide). */
#ifndef TERN_EPOCH_BAG_CAP
#define TERN_EPOCH_BAG_CAP 62
#endif
/* The next three only matter where the implementation is compiled.
 * A thread with pending garbage collects every this many outermost unpins. */
#ifndef TERN_EPOCH_COLLECT_PINS
#define TERN_EPOCH_COLLECT_PINS 128
#endif
/* ... and every this many deferred objects. */
#ifndef TERN_EPOCH_COLLECT_DEFERS
#define TERN_EPOCH_COLLECT_DEFERS 256
#endif
/* Above this many pending objects, defer insists on collecting before returning. */
#ifndef TERN_EPOCH_PENDING_MAX
#define TERN_EPOCH_PENDING_MAX 8192
#endif

/* ---- private layout (needed by the inline fast paths) ---- */

struct tern__epoch_bag {
	struct tern__epoch_bag *next;
	unsigned n;
	bool reserve; /* the record's embedded out-of-memory reserve: never freed */
	struct {
		void *obj;
		void (*fn)(void *);
	} e[TERN_EPOCH_BAG_CAP];
};

/* A list of garbage: chained bags and intrusive entries, with tails so that
 * lists splice in O(1).  In the open list the head bag is being filled. */
struct tern__epoch_garbage {
	struct tern__epoch_bag *bags, *bags_tail;
	struct tern_epoch_entry *ents, *ents_tail;
	size_t count;
};

/* One of the three bins: garbage sealed in epoch `tag` (tag mod 3 = index). */
struct tern__epoch_bin {
	uint64_t tag;
	struct tern__epoch_garbage g;
};

struct tern__epoch_record {
	/* Hot: written only by the owner (every outermost pin/unpin), read by
	 * collectors.  (epoch << TERN__EPOCH_SHIFT) | flags; collectors look at
	 * TERN__EPOCH_PINNED and the epoch, the other flags are the owner's
	 * (kept here so that the fast paths test one word). */
	_Atomic(uint64_t) state;
	unsigned nest;         /* pins nested inside the outermost one; owner only */
	unsigned char mode;    /* TERN__EPOCH_MODE_*; owner only */
	unsigned unpins;       /* outermost unpins since the last collection; owner only */
	_Atomic(size_t) pending; /* deferred by this thread, not destroyed; owner writes */
	struct tern_epoch_domain *domain; /* NULL until registered */

	/* Cold: owner-only garbage, plus registry links under domain->lock. */
	struct tern__epoch_garbage open;   /* unsealed (untagged) garbage */
	size_t since_collect;              /* defers since the last collection */
	struct tern__epoch_bin bins[3];
	struct tern__epoch_bag *spare;     /* cache of empty bags */
	unsigned nspare;
	bool collecting;                   /* reentrancy guard (destructors that defer) */
	bool heap;                         /* record was allocated (explicit domains) */
	bool reserve_busy;                 /* `reserve` holds garbage */
	long tid;                          /* gettid() of the owner */
	uint64_t domain_id;
	struct tern__epoch_record *prev, *next;      /* domain registry, under domain->lock */
	struct tern__epoch_record *thread_next;      /* the owner's records in other domains */
	uint64_t stall_since_ns;  /* first refusal at stall_epoch, under domain->lock */
	uint64_t stall_epoch;
	uint64_t stall_refusals;
	struct tern__epoch_bag reserve;    /* used when a bag cannot be allocated while pinned */
};

struct tern_epoch_domain {
	/* The global epoch: read by every pin, written by advances. */
	_Alignas(TERN_CACHELINE) _Atomic(uint64_t) epoch;
	_Alignas(TERN_CACHELINE) pthread_mutex_t lock; /* registry, orphans, advances */
	uint64_t id;
	struct tern__epoch_record *records;  /* registry (doubly linked), under lock */
	struct tern__epoch_bin orphans[3];   /* garbage of exited/flushed threads, under lock */
	_Atomic(uint64_t) orphan_count;       /* objects in orphans[] */
	_Atomic(unsigned) orphan_busy;        /* orphan batches being destroyed outside the lock */
	_Atomic(uint64_t) destroyed;
	_Atomic(uint64_t) advances;
	_Atomic(uint64_t) failed_advances;
	unsigned registered;                 /* under lock */
	bool is_default;
	struct tern_epoch_domain *next_domain; /* list of explicit domains, under the global lock */
};

/* Flags in the low bits of a record's state. */
#define TERN__EPOCH_PINNED 1u  /* outermost pin in force (collectors read this) */
#define TERN__EPOCH_FAST 2u    /* registered, membarrier mode: pin may stay inline */
#define TERN__EPOCH_NESTED 4u  /* nest > 0: unpin goes out of line */
#define TERN__EPOCH_PENDING 8u /* owner has garbage: unpin goes out of line */
#define TERN__EPOCH_FLAGS 0xffu
#define TERN__EPOCH_SHIFT 8

/* Record modes: how the owner's outermost pin orders itself. */
#define TERN__EPOCH_UNREGISTERED 0 /* default-domain TLS record not yet registered */
#define TERN__EPOCH_MEMBARRIER 1   /* compiler barrier; the collector runs membarrier() */
#define TERN__EPOCH_FENCE 2        /* seq_cst fence (no membarrier, or forced) */

/* The default domain and the calling thread's record in it. */
extern TERN_API struct tern_epoch_domain tern__epoch_default;
extern TERN_API _Thread_local struct tern__epoch_record tern__epoch_self;

TERN_API void tern__epoch_register(struct tern_epoch_domain *d, struct tern__epoch_record *r);
TERN_API struct tern__epoch_record *tern__epoch_domain_record(struct tern_epoch_domain *d);
TERN_API void tern__epoch_unpin_slow(struct tern__epoch_record *r);

/* The calling thread's most recently used explicit domain (validated by id,
 * so a destroyed domain's address reused by a new domain never matches). */
struct tern__epoch_cache {
	struct tern_epoch_domain *dom;
	uint64_t id;
	struct tern__epoch_record *rec;
};
extern TERN_API _Thread_local struct tern__epoch_cache tern__epoch_cache;

/* => r's state word; only its owner may ask. */
TERN_INLINE uint64_t tern__epoch_own_state(struct tern__epoch_record *r)
{
	/* Relaxed: the owner reading the value it last stored itself. */
	return atomic_load_explicit(&r->state, memory_order_relaxed);
}

/* => whether r is pinned; only its owner may ask. */
TERN_INLINE bool tern__epoch_pinned(struct tern__epoch_record *r)
{
	return (tern__epoch_own_state(r) & TERN__EPOCH_PINNED) != 0;
}

/* Announces r's epoch (outermost pin; s is r's unpinned state); the caller
 * adds the ordering. */
TERN_INLINE void tern__epoch_announce(struct tern_epoch_domain *d, struct tern__epoch_record *r,
				      uint64_t s)
{
	/* Acquire: pairs with the seq_cst store in try_advance_locked(), so
	 * that on weakly ordered CPUs the pointer loads after this pin are not
	 * performed before the epoch load (epoch.c, "Concurrency", membarrier
	 * mode).  On x86 this is the same instruction as a relaxed load. */
	uint64_t e = atomic_load_explicit(&d->epoch, memory_order_acquire);
	/* Relaxed: ordered before the caller's later loads by the barrier that
	 * follows (membarrier in the collector, or a seq_cst fence). */
	atomic_store_explicit(&r->state, (e << TERN__EPOCH_SHIFT) | (s & TERN__EPOCH_FLAGS) | TERN__EPOCH_PINNED,
			      memory_order_relaxed);
}

/* Pin that is not an outermost membarrier-mode pin without pending garbage:
 * nested, unregistered, fence mode, or the thread has garbage (epoch.c). */
TERN_API void tern__epoch_pin_slow(struct tern_epoch_domain *d, struct tern__epoch_record *r);

/* Pin for record r in domain d. */
TERN_INLINE void tern__epoch_pin_record(struct tern_epoch_domain *d, struct tern__epoch_record *r)
{
#ifndef TERN_EPOCH_FORCE_FENCE
	/* The stored value is a constant picked by this (predicted) branch,
	 * never computed from the loaded word: a data dependency through r->state
	 * would chain every pin to the previous unpin's store. */
	if (TERN_LIKELY((tern__epoch_own_state(r) & TERN__EPOCH_FLAGS) == TERN__EPOCH_FAST)) {
		tern__epoch_announce(d, r, TERN__EPOCH_FAST);
		/* Compiler barrier only: the collector's membarrier() is the
		 * hardware fence (pairs with heavy_barrier() in epoch.c). */
		atomic_signal_fence(memory_order_seq_cst);
		return;
	}
#endif
	tern__epoch_pin_slow(d, r);
}

TERN_INLINE void tern__epoch_unpin_record(struct tern__epoch_record *r, const char *who)
{
	uint64_t s = tern__epoch_own_state(r);
	TERN_ASSERT(s & TERN__EPOCH_PINNED, who);
	(void)who;
	/* As in the pin: a constant store chosen by the branch. */
	if (TERN_LIKELY((s & TERN__EPOCH_FLAGS) == (TERN__EPOCH_FAST | TERN__EPOCH_PINNED))) {
		/* Release: pairs with the acquire load of each record's state in
		 * try_advance_locked(): everything read under the pin happens
		 * before a collector that sees this thread unpinned. */
		atomic_store_explicit(&r->state, TERN__EPOCH_FAST, memory_order_release);
		return;
	}
	tern__epoch_unpin_slow(r);
}

/* ---- default domain ---- */

/* Pins the calling thread (nestable).  Registers the thread on first use. */
TERN_INLINE void tern_epoch_pin(void)
{
	tern__epoch_pin_record(&tern__epoch_default, &tern__epoch_self);
}

/* Ends the innermost pin; the outermost unpin may collect garbage. */
TERN_INLINE void tern_epoch_unpin(void)
{
	tern__epoch_unpin_record(&tern__epoch_self, "tern_epoch_unpin: thread is not pinned");
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
/* Frees obj's memory (with free()) after a grace period; runs no destructor. */
TERN_API void tern_epoch_defer_free(void *obj);
/* Intrusive defer: calls fn(entry) after a grace period; never allocates. */
TERN_API void tern_epoch_call(struct tern_epoch_entry *entry, void (*fn)(struct tern_epoch_entry *entry));
/* Waits for a full grace period: every pin begun before the call has ended.  Not while pinned. */
TERN_API void tern_epoch_synchronize(void);
/*
 * On return, every object deferred before the call by the calling thread, by
 * exited threads and by threads that called tern_epoch_flush() has been
 * destroyed.  Not while pinned.
 */
TERN_API void tern_epoch_barrier(void);
/* Hands the calling thread's pending garbage to the domain's orphan list. */
TERN_API void tern_epoch_flush(void);
/* Tries to advance the epoch and destroys what is due; never waits. */
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
 * Destroys every pending object of the domain, then the domain.  No thread may
 * be pinned in it (debug builds abort), and no thread may use it afterwards.
 */
TERN_API void tern_epoch_domain_destroy(tern_epoch_domain_t *d);
/*
 * Allocates the calling thread's record in d now.  Optional: pin registers on
 * first use, but aborts if that allocation fails; call this first to get
 * ENOMEM instead.  => 0, ENOMEM, or EINVAL if d is NULL.
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

/* The calling thread's record in d (one-entry cache, then a list walk). */
TERN_INLINE struct tern__epoch_record *tern__epoch_record_of(tern_epoch_domain_t *d)
{
	if (d == &tern__epoch_default)
		return &tern__epoch_self; /* registered by its first pin */
	struct tern__epoch_cache *c = &tern__epoch_cache;
	if (TERN_LIKELY(c->dom == d && c->id == d->id))
		return c->rec;
	return tern__epoch_domain_record(d);
}

/* Pins the calling thread in d (nestable, independent of other domains). */
TERN_INLINE void tern_epoch_domain_pin(tern_epoch_domain_t *d)
{
	TERN_ASSERT(d != NULL, "tern_epoch_domain_pin: domain is NULL");
	tern__epoch_pin_record(d, tern__epoch_record_of(d));
}

TERN_INLINE void tern_epoch_domain_unpin(tern_epoch_domain_t *d)
{
	TERN_ASSERT(d != NULL, "tern_epoch_domain_unpin: domain is NULL");
	tern__epoch_unpin_record(tern__epoch_record_of(d),
				 "tern_epoch_domain_unpin: thread is not pinned in this domain");
}

TERN_INLINE bool tern_epoch_domain_is_pinned(tern_epoch_domain_t *d)
{
	TERN_ASSERT(d != NULL, "tern_epoch_domain_is_pinned: domain is NULL");
	return tern__epoch_pinned(tern__epoch_record_of(d));
}

TERN_EXTERN_C_END

#endif /* TERN_EPOCH_H */
