/* SPDX-License-Identifier: MIT */
/*
 * src/epoch/epoch_impl.h — private types and helpers of the epoch module.
 *
 * Part of the one translation unit src/epoch/epoch.c (which holds the
 * Concurrency argument); the parts are included in this order:
 *   epoch_impl.h      types, globals, locks, clocks, the heavy barrier
 *   epoch_garbage.h   bags, garbage lists, the domain's sealed bins
 *   epoch_registry.h  records: registration, lookup, the per-thread cache
 *   epoch_reclaim.h   the flow: defer (W1) -> seal (W2) -> advance (A) ->
 *                     reclaim (C), and the slow pin/unpin paths (R1, R3)
 *   epoch_lifecycle.h barrier, flush, thread exit, domain destroy, fork
 *
 * Invariants of the types below:
 *   - A record is in at most one registry, at most once (in_registry), and
 *     only while its domain is alive and not dying.
 *   - Garbage (an object or an intrusive entry) is in exactly one place: a
 *     record's open (unsealed) list, one of its domain's three sealed bins
 *     or its drain list, or a batch detached by exactly one thread that is
 *     destroying it.  Sealed garbage always belongs to the domain, so any
 *     thread's collection can destroy it: nothing sealed waits for the
 *     thread that deferred it.
 *   - A record's open list is guarded by its olock: the owner holds it
 *     while it takes the list (or appends, in fence mode),
 *     tern_epoch_barrier() while it takes another thread's list.  In
 *     membarrier mode an append takes no lock: an asymmetric handshake
 *     (appending / steal, with the barrier's membarrier) keeps a barrier
 *     from taking a list under an append.  No allocation or callback runs
 *     under the lock or inside the handshake.
 *   - Every count (record pending, domain sealed_count and hints) is
 *     recomputed from the lists whenever they change, never adjusted by
 *     deltas: it is exact whenever no thread is moving garbage.
 */
#ifndef TERN_EPOCH_IMPL_H
#define TERN_EPOCH_IMPL_H

/*
 * Platform selection (issue #13).  The module needs POSIX threads and
 * clocks; two things are Linux-only and are compiled only there:
 *   - membarrier(2) through syscall() (<linux/membarrier.h>,
 *     <sys/syscall.h>): the fence-free reader fast path;
 *   - gettid(), the OS thread id reported as stall_tid in the stats.
 * Elsewhere (the BSDs, macOS, illumos, ...) the library is built in fence
 * mode, as with TERN_EPOCH_FORCE_FENCE: tern__epoch_need_fence stays 1, so
 * no record ever gets TERN__EPOCH_FAST and every outermost pin (also the
 * header's inline one, which then always takes the slow path) runs the
 * seq_cst fence; tern_epoch_uses_membarrier() reports false, and
 * stall_tid is a number tern gives each thread that registers (1, 2, ...).
 * TERN__EPOCH_LINUX is overridable only so that this fallback can be
 * compiled and run on Linux (mk/cross.mk, check-nonlinux).  Systems
 * without POSIX threads stop here.
 */
#if !defined(__unix__) && !(defined(__APPLE__) && defined(__MACH__))
#error "tern: the epoch module needs a POSIX system (pthreads, clock_gettime); see issue #13"
#endif
#ifndef TERN__EPOCH_LINUX
#ifdef __linux__
#define TERN__EPOCH_LINUX 1
#else
#define TERN__EPOCH_LINUX 0
#endif
#endif

#include <errno.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#if TERN__EPOCH_LINUX
#include <linux/membarrier.h>
#include <sys/syscall.h>
#endif

#include "tern/alloc.h"
#include "tern/epoch.h"

#if defined(__x86_64__) || defined(__i386__) || defined(__aarch64__) || defined(__riscv)
#define TERN__EPOCH_ARCH_MCA 1 /* multi-copy atomic: membarrier mode is sound */
#else
#define TERN__EPOCH_ARCH_MCA 0
#endif

/* Keeps a function with a large frame out of its callers' frames. */
#if defined(__GNUC__) || defined(__clang__)
#define EPOCH__NOINLINE __attribute__((noinline))
#else
#define EPOCH__NOINLINE
#endif

/* Spare bags kept per record to avoid malloc in steady state. */
#define TERN__EPOCH_MAX_SPARE 4
/* Target cost of the heavy barrier per object it lets reclaim (ns; see
 * epoch__collect_interval()). */
#define TERN__EPOCH_BARRIER_NS_PER_OBJ 4u
/* A longer timed barrier was preempted: counted as this long. */
#define TERN__EPOCH_BARRIER_NS_MAX 200000u

_Static_assert(TERN_EPOCH_UNPIN_DESTROY_MAX >= 1, "TERN_EPOCH_UNPIN_DESTROY_MAX must be at least 1");
_Static_assert(TERN_EPOCH_COLLECT_DEFERS >= 1 && TERN_EPOCH_COLLECT_DEFERS <= SIZE_MAX / 16,
	       "TERN_EPOCH_COLLECT_DEFERS must be in 1..SIZE_MAX/16");

/* Record modes: how the owner's outermost pin orders itself. */
#define TERN__EPOCH_UNREGISTERED 0
#define TERN__EPOCH_MEMBARRIER 1 /* compiler barrier; the collector runs membarrier() */
#define TERN__EPOCH_FENCE 2      /* seq_cst fence (no membarrier, or forced) */

struct tern__epoch_bag {
	struct tern__epoch_bag *next;
	unsigned n;
	bool reserve;  /* a record's embedded out-of-memory reserve (never freed) */
	bool on_stack; /* a reserve's entries copied to the stack: never cached or freed */
	struct {
		void *obj;
		void (*fn)(void *);
	} e[TERN_EPOCH_BAG_CAP];
};

/* A list of garbage: chained bags and intrusive entries, with tails so that
 * lists splice in O(1).  In a record's open list the head bag is being
 * filled. */
typedef struct tern__epoch_garbage {
	struct tern__epoch_bag *bags, *bags_tail;
	struct tern_epoch_entry *ents, *ents_tail;
	size_t count;
} batch_t;

/* One of three bins: garbage sealed in epoch `tag` (tag mod 3 = index). */
struct tern__epoch_bin {
	uint64_t tag;
	batch_t g;
};

typedef struct tern__epoch_domain_impl dom_t;

struct tern__epoch_record {
	/* The state word of heap records (explicit domains, late use); the
	 * default domain's TLS record uses the public tern__epoch_self. */
	struct tern__epoch_slot own;
	struct tern__epoch_slot *slot; /* &own or &tern__epoch_self */
	/* The domain while registered.  Written by the owner before it joins
	 * the registry, and set to NULL by the domain's destroy (under g_lock
	 * and the domain lock) when it takes the record out of the registry. */
	_Atomic(dom_t *) dom;
	uint64_t dom_id;
	unsigned nest;          /* pins nested inside the outermost one */
	unsigned char mode;     /* TERN__EPOCH_UNREGISTERED / _MEMBARRIER / _FENCE */
	bool heap;              /* allocated (explicit domain or late use) */
	bool late;              /* default-domain record made after the exit hook ran */
	bool in_registry;       /* under the domain lock */
	bool collecting;        /* running destructors: nested collections return */
	bool due_left;          /* its last collection left due garbage in the bins */
	/* `reserve` holds garbage in the open list, or did until a barrier
	 * replaced it by a copy (reserve_replaced); owner only.  See
	 * epoch__reserve_reclaim() and epoch__seal_in_place(). */
	bool reserve_busy;
	/* A barrier copied the busy reserve out of the open list; under olock.
	 * Implies reserve_busy, and is consumed whenever reserve_busy clears. */
	bool reserve_replaced;
	/* Guards `open` (see above); held while a fork may interrupt the list
	 * update, so a fork child leaves a locked list alone.  In membarrier
	 * mode the owner's appends use the appending/steal handshake instead
	 * (epoch_garbage.h, epoch__owner_enter()). */
	_Atomic(unsigned char) olock;
	_Atomic(unsigned char) appending; /* owner inside a lock-free append */
	_Atomic(unsigned char) steal;     /* a barrier wants the open list */
	bool retiring;          /* epoch__record_retire() is running for it */
	unsigned unpins;        /* outermost unpins since the last collection */
	size_t since_collect;   /* defers since the last collection */
	/* Objects in the open list: written under olock (by the owner, or by a
	 * barrier that took the list), read by stats. */
	_Atomic(size_t) pending;
	batch_t open;                      /* unsealed (untagged) garbage, under olock */
	struct tern__epoch_bag *spare;     /* cache of empty bags; owner only */
	unsigned nspare;
	long tid;                          /* epoch_thread_id() of the owner */
	struct tern__epoch_record *prev, *next; /* registry, under the domain lock */
	struct tern__epoch_record *chain;  /* owner's heap records (owner only) */
	uint64_t stall_since_ns;           /* stall fields: under the domain lock */
	uint64_t stall_epoch;
	uint64_t stall_refusals;
	struct tern__epoch_bag reserve;    /* used when a bag cannot be allocated while pinned */
};

typedef struct tern__epoch_record rec_t;

struct tern__epoch_domain_impl {
	struct tern_epoch_domain *pub;  /* epoch and id */
	pthread_mutex_t lock;           /* registry, bins, drain, advances, stall fields */
	rec_t *records;                 /* registry (doubly linked), under lock */
	unsigned registered;            /* under lock */
	struct tern__epoch_bin bins[3]; /* sealed garbage of every thread, under lock */
	uint64_t sealed_count;          /* objects in bins[], under lock */
	/* Copies of sealed_count and of the epoch at which every sealed object
	 * is due (0 when there is none), stored under the lock, read without it
	 * as hints by epoch__collect(); the bins themselves are only read under it. */
	_Atomic(uint64_t) sealed_hint;
	_Atomic(uint64_t) sealed_wait;
	/* Due batches being destroyed outside the lock, counted in one of two
	 * phases (the one current when the batch was taken, under lock); a
	 * barrier flips the phase and waits for the old one only, so batches
	 * taken after it began cannot starve it (barrier_lock serialises the
	 * flips). */
	_Atomic(unsigned) busy[2];
	unsigned busy_phase;            /* under lock */
	pthread_mutex_t barrier_lock;
	/* Moving average of one heavy barrier's cost in ns (membarrier mode;
	 * 0 in fence mode), written under lock, read as a hint by defer: the
	 * collection interval grows with it (epoch__collect_interval()). */
	_Atomic(uint64_t) barrier_ns;
	_Atomic(uint64_t) destroyed;
	_Atomic(uint64_t) advances;
	_Atomic(uint64_t) failed_advances;
	bool is_default;
	/* Destroy: closing (under g_lock) stops new exit hand-overs; exiting
	 * (under g_lock) counts hand-overs in progress; dying is set once the
	 * registry is empty for good, after which only the destroying thread
	 * (and the destructors it runs) may touch the domain: its defers go to
	 * `drain` (under lock), its pins to `dead`, a record never registered. */
	bool closing;
	unsigned exiting;
	const void *destroyer;          /* &tern__epoch_thr of the destroying thread, under g_lock */
	_Atomic(bool) dying;
	batch_t drain;
	rec_t dead;
	dom_t *next_domain;             /* explicit domains, under g_lock */
	void *raw;                      /* the allocation (explicit domains) */
};

/* The explicit domain allocation: the public part, then the private one. */
struct tern__epoch_domain_block {
	struct tern_epoch_domain pub;
	struct tern__epoch_domain_impl impl;
};

/* A batch of destructors being run by the calling thread (on its stack;
 * innermost first).  Lets the calls that must not run inside a destructor
 * of a given domain (destroy, barrier, synchronize) recognise it. */
struct tern__epoch_dtor_frame {
	dom_t *dom;
	struct tern__epoch_dtor_frame *outer;
};

/* The calling thread's private state. */
struct tern__epoch_thread {
	rec_t *chain;         /* heap records of this thread (explicit domains, late use) */
	bool exited;          /* the exit hook has run at least once */
	unsigned ended_pins;  /* default-domain pins the exit hook ended (late unpins absorb them) */
	struct tern__epoch_dtor_frame *dtors; /* destructor batches running now */
};

/* Defined in epoch.c: the default domain (public part and private part),
 * the public TLS slot and cache, and the thread's private records. */
static dom_t tern__epoch_default_impl;
static _Thread_local rec_t tern__epoch_trec;
static _Thread_local struct tern__epoch_thread tern__epoch_thr;

/* Non-zero when readers must fence (no membarrier, or TERN_EPOCH_FORCE_FENCE);
 * written once in epoch_global_init(), before any record is registered. */
static _Atomic(int) tern__epoch_need_fence = 1;

/* => tern__epoch_need_fence. */
static int epoch__need_fence(void)
{
	/* Relaxed: written once inside pthread_once.  Registering threads call
	 * pthread_once (which orders the store before them); a collector reads
	 * it after taking the lock of a registry that a reader joined after
	 * its registration.  With no registered reader, a stale 1 only costs a
	 * fence. */
	return atomic_load_explicit(&tern__epoch_need_fence, memory_order_relaxed);
}

/*
 * Lock order: g_lock, then a domain lock (one at a time, except in the
 * fork prepare handler, which takes them all in list order while holding
 * g_lock, and which nothing else can interleave with).  g_lock guards the explicit-domain
 * list and ids, the exit/destroy handshake (closing, exiting, g_cond) and
 * the writes that detach records from a destroyed domain.  No user callback
 * ever runs with either held.
 */
static pthread_mutex_t tern__epoch_glock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t tern__epoch_gcond = PTHREAD_COND_INITIALIZER;
static dom_t *tern__epoch_domains;
static uint64_t tern__epoch_next_id = 2;
static pthread_once_t tern__epoch_once = PTHREAD_ONCE_INIT;
static pthread_key_t tern__epoch_key;

#define EPOCH(D) (&(D)->pub->epoch)

static void epoch_thread_exit(void *arg);
static void epoch_atfork_prepare(void);
static void epoch_atfork_parent(void);
static void epoch_atfork_child(void);

#if TERN__EPOCH_LINUX
static long epoch_sys_membarrier(int cmd)
{
#ifdef __NR_membarrier
	return syscall(__NR_membarrier, cmd, 0, 0);
#else
	(void)cmd;
	errno = ENOSYS;
	return -1;
#endif
}
#endif

#if !TERN__EPOCH_LINUX
/* The next stall_tid to hand out (no gettid() here). */
static _Atomic(long) tern__epoch_next_tid = 1;
#endif

/* => the calling thread's id for the stats (stall_tid). */
static long epoch_thread_id(void)
{
#if TERN__EPOCH_LINUX
	return (long)syscall(SYS_gettid);
#else
	/* Relaxed: only the uniqueness of the number matters, which the
	 * read-modify-write gives in any order; nothing is published by it. */
	return atomic_fetch_add_explicit(&tern__epoch_next_tid, 1, memory_order_relaxed);
#endif
}

static void epoch_global_init(void)
{
	if (pthread_key_create(&tern__epoch_key, epoch_thread_exit) != 0) {
		fprintf(stderr, "tern: pthread_key_create failed; thread exit cannot be tracked\n");
		abort();
	}
	pthread_atfork(epoch_atfork_prepare, epoch_atfork_parent, epoch_atfork_child);
	int fence = 1;
#if !defined(TERN_EPOCH_FORCE_FENCE) && TERN__EPOCH_LINUX
	if (TERN__EPOCH_ARCH_MCA) {
		long cmds = epoch_sys_membarrier(MEMBARRIER_CMD_QUERY);
		if (cmds > 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
		    (cmds & MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) &&
		    epoch_sys_membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0)
			fence = 0;
	}
#endif
	/* Relaxed: inside pthread_once; see epoch__need_fence(). */
	atomic_store_explicit(&tern__epoch_need_fence, fence, memory_order_relaxed);
}

static void epoch_init_once(void)
{
	pthread_once(&tern__epoch_once, epoch_global_init);
}

static uint64_t epoch_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void epoch__dom_lock(dom_t *D)
{
	pthread_mutex_lock(&D->lock);
}

static void epoch__dom_unlock(dom_t *D)
{
	pthread_mutex_unlock(&D->lock);
}

static void epoch__glock(void)
{
	pthread_mutex_lock(&tern__epoch_glock);
}

static void epoch__gunlock(void)
{
	pthread_mutex_unlock(&tern__epoch_glock);
}

static bool epoch__dom_dying(dom_t *D)
{
	/* Relaxed: set by the destroying thread, and only that thread (with the
	 * destructors it runs) may use a dying domain; another thread that sees
	 * it is already using a destroyed domain. */
	return atomic_load_explicit(&D->dying, memory_order_relaxed);
}

static void epoch_backoff(unsigned *round)
{
	if (*round < 16) {
		for (unsigned i = 0; i < (1u << *round); i++)
			__asm__ __volatile__("" ::: "memory");
	} else if (*round < 32) {
		sched_yield();
	} else {
		struct timespec ts = { 0, 200000 }; /* 0.2 ms */
		nanosleep(&ts, NULL);
	}
	(*round)++;
}

/* The collector's side of step A: membarrier (membarrier mode), then a
 * seq_cst fence. */
static void epoch__heavy_barrier(void)
{
#if TERN__EPOCH_LINUX
	if (!epoch__need_fence() && epoch_sys_membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0) {
		/* Cannot happen once registered; fail safe rather than unsound. */
		fprintf(stderr, "tern: membarrier failed after registration\n");
		abort();
	}
#endif
	/* Seq_cst fence: pairs with the readers' seq_cst fence in
	 * tern__epoch_pin_slow() (fence mode) and with F_W in seal(); in
	 * membarrier mode it places the collector's side of the barrier in S. */
	atomic_thread_fence(memory_order_seq_cst);
}

#endif /* TERN_EPOCH_IMPL_H */
