/* SPDX-License-Identifier: MIT */
/*
 * reclaim.h — shared pieces of bench/reclaim: the benchmark object, the
 * allocation/destruction counters, and the per-implementation interface.
 *
 * Every implementation's translation unit (rc_tern.c, rc_ck.c, rc_urcu.c)
 * defines its own object type beginning with struct rc_hdr and padded to
 * RC_OBJ_SIZE bytes, so every row allocates the same size class.
 *
 * Several implementations share one process (reclaim.c runs them in
 * interleaved slices), so every object carries an owner tag and the
 * counters are kept per owner: the owner is the row that allocated the
 * object (or, in the idle-thread scenario, "the idle thread of that row"),
 * whichever thread or library destroys it.
 */
#ifndef TERN_BENCH_RECLAIM_H
#define TERN_BENCH_RECLAIM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define RC_OBJ_SIZE 48
#define RC_MAGIC 0x7465726e2d6f626aull  /* live object */
#define RC_POISON 0xdeadbeefdeadbeefull /* destroyed object */
#define RC_SLOTS 64                     /* counter slots (threads that count) */
#define RC_OWNERS 24                    /* owner tags (rows, idle-thread objects) */
#define RC_BATCH 64                     /* writes between two looks at the stop flag */
#define RC_READ_BATCH 256               /* reads between two looks at the flag and the clock */

/* Header of every benchmark object. */
struct rc_hdr {
	_Atomic uint64_t magic;
	uint32_t owner; /* counter index (rc_cur_owner of the allocating thread) */
	uint32_t seq;
};

/* The shared slot writers exchange objects into and the reader reads.  One
 * for the whole process: only one row runs at a time, and the driver parks
 * a row's last object between its slices (reclaim.c). */
extern _Atomic(struct rc_hdr *) rc_slot;
/* Set by the driver at the end of each timed window (slice). */
extern atomic_bool rc_stop;
/* Per owner: reads that found a destroyed object and second destructions
 * (must stay 0). */
extern _Atomic uint64_t rc_bad[RC_OWNERS];
/* The owner tag the calling thread allocates (and reads) under. */
extern _Thread_local unsigned rc_cur_owner;

/*
 * Per-thread counters, one writer each (the thread that owns the slot), per
 * owner: allocations by writers, destructions by whichever thread runs the
 * destructor (a writer, a library's callback thread, the driver's drain).
 */
struct rc_ctr {
	_Alignas(64) _Atomic uint64_t allocs[RC_OWNERS];
	_Atomic uint64_t frees[RC_OWNERS];
	_Atomic uint64_t reads; /* reader sections (a reader's slot only) */
};
extern struct rc_ctr rc_ctrs[RC_SLOTS];
extern _Atomic unsigned rc_nslots;
extern _Thread_local struct rc_ctr *rc_mine;

static inline struct rc_ctr *rc_me(void)
{
	if (rc_mine == NULL) {
		/* Relaxed: only hands out distinct indices; the slot's counters
		 * are published to the sampler by their own release stores. */
		unsigned s = atomic_fetch_add_explicit(&rc_nslots, 1, memory_order_relaxed);
		if (s >= RC_SLOTS) {
			fprintf(stderr, "bench_reclaim: more than %d counting threads\n", RC_SLOTS);
			abort();
		}
		rc_mine = &rc_ctrs[s];
	}
	return rc_mine;
}

/* => a new live object of `size` bytes (size >= sizeof(struct rc_hdr)),
 * counted for the calling thread's owner tag. */
static inline void *rc_new(size_t size, uint64_t seq)
{
	struct rc_hdr *h = malloc(size);
	if (h == NULL) {
		perror("bench_reclaim: malloc");
		abort();
	}
	unsigned owner = rc_cur_owner;
	/* Relaxed: published to readers by the release half of the exchange
	 * into rc_slot. */
	atomic_store_explicit(&h->magic, RC_MAGIC, memory_order_relaxed);
	h->owner = owner;
	h->seq = (uint32_t)seq;
	struct rc_ctr *c = rc_me();
	/* Relaxed: single writer; ordered before the object's destruction by
	 * the slot exchange and the library's grace period, and read by the
	 * sampler after an acquire load of the matching frees counter. */
	atomic_store_explicit(&c->allocs[owner], atomic_load_explicit(&c->allocs[owner], memory_order_relaxed) + 1,
			      memory_order_relaxed);
	return h;
}

/* Destroys a benchmark object: poisons it, frees it, counts it. */
static inline void rc_destroy(struct rc_hdr *h)
{
	unsigned owner = h->owner < RC_OWNERS ? h->owner : 0;
	/* Relaxed: a second destruction (a library bug) is detected by this
	 * thread's own earlier store or by the exactly-once count at the end. */
	if (atomic_load_explicit(&h->magic, memory_order_relaxed) != RC_MAGIC)
		/* Relaxed: an error counter, read after the threads are joined. */
		atomic_fetch_add_explicit(&rc_bad[owner], 1, memory_order_relaxed);
	/* Relaxed: a reader that still sees the object would read this value
	 * only if the library destroyed the object too early — which is what
	 * the poison is there to reveal. */
	atomic_store_explicit(&h->magic, RC_POISON, memory_order_relaxed);
	free(h);
	struct rc_ctr *c = rc_me();
	/* Release: pairs with the sampler's acquire load in rc_pending(), so
	 * the allocation counts that happened before this destruction are
	 * visible to it (pending never reads negative). */
	atomic_store_explicit(&c->frees[owner], atomic_load_explicit(&c->frees[owner], memory_order_relaxed) + 1,
			      memory_order_release);
}

/* The reader's check of an object borrowed from rc_slot under protection. */
static inline void rc_check(const struct rc_hdr *h)
{
	/* Relaxed: the magic was written before the object was published
	 * (acquire load of rc_slot); a poisoned value means early destruction. */
	if (h != NULL && atomic_load_explicit(&h->magic, memory_order_relaxed) != RC_MAGIC)
		/* Relaxed: an error counter, read after the threads are joined. */
		atomic_fetch_add_explicit(&rc_bad[rc_cur_owner], 1, memory_order_relaxed);
}

/* => whether the driver has ended the timed window. */
static inline bool rc_stopped(void)
{
	/* Relaxed: only ends the loop; the results are read after the
	 * driver's synchronisation with the thread (join or semaphore). */
	return atomic_load_explicit(&rc_stop, memory_order_relaxed);
}

/* Longest time between two consecutive reader batches (a few hundred ns
 * apart when the reader runs): when the reader is descheduled while pinned,
 * no implementation can reclaim, so this bounds what peak pending can mean.
 * The calling reader's own figure; the harness resets and reads it around
 * each timed window. */
extern _Thread_local uint64_t rc_reader_max_gap_ns;

/* The reader's loop condition, called once per RC_READ_BATCH sections:
 * counts them (for the driver, which reads the counter mid-run), records
 * the gap, then looks at the flag. */
static inline bool rc_reader_stopped(uint64_t *last)
{
	struct rc_ctr *c = rc_me();
	/* Relaxed: single writer; the driver only samples a progress count. */
	atomic_store_explicit(&c->reads, atomic_load_explicit(&c->reads, memory_order_relaxed) + RC_READ_BATCH,
			      memory_order_relaxed);
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	if (*last != 0 && now - *last > rc_reader_max_gap_ns)
		rc_reader_max_gap_ns = now - *last;
	*last = now;
	return rc_stopped();
}

/*
 * One implementation (one row).
 *
 * setup runs once in the driver before any of the row's threads exist.
 * thread_init runs in each writer and in the reader before the first timed
 * window, thread_fini after the last (e.g. to hand garbage over or
 * unregister).  writer_loop/reader_loop run until rc_stopped() and return
 * the number of operations; a thread runs them once per slice (between
 * slices it blocks in the harness, unpinned and holding nothing).  drain
 * runs in the driver after every benchmark thread of the row has exited: on
 * return every deferred object must have been destroyed.
 *
 * Optional (NULL when not needed):
 *   pause/resume   stop and restart the library's own threads between the
 *                  row's slices (liburcu's call_rcu workers), so they do not
 *                  run during another row's slice; idempotent, shared by
 *                  the rows of one library
 *   helper_cpu_ns  CPU time used so far by the library's own threads
 *                  (call_rcu workers), for the all-thread CPU column
 *   defer_one      defer one object from a thread set up by thread_init
 *                  (writer), as writer_loop does (the idle-thread scenario)
 *   barrier        from the driver thread (driver_init's context): wait
 *                  until every object deferred so far by any thread is
 *                  destroyed, if the library offers that; barrier_desc
 *                  names the call
 *   driver_init    registers the driver thread where the library needs it
 */
struct rc_impl {
	const char *name;
	void (*setup)(void);
	void *(*thread_init)(bool writer);
	uint64_t (*writer_loop)(void *ctx);
	uint64_t (*reader_loop)(void *ctx);
	void (*thread_fini)(void *ctx, bool writer);
	void (*drain)(void);
	void (*report)(FILE *out); /* --verbose: implementation statistics, or NULL */
	void (*pause)(void);
	void (*resume)(void);
	uint64_t (*helper_cpu_ns)(void);
	void (*defer_one)(void *ctx, struct rc_hdr *obj);
	void (*barrier)(void *driver_ctx);
	const char *barrier_desc;
	void *(*driver_init)(void);
};

/*
 * Grace-period latency rows: readers loop pin, load, check, unpin (the
 * reclaim reader loop); one thread calls synchronize in a loop.
 */
struct rc_gp_impl {
	const char *name;
	const char *call; /* what synchronize is, for the table */
	void (*setup)(void);
	void *(*thread_init)(bool syncer);
	uint64_t (*reader_loop)(void *ctx);
	void (*synchronize)(void *ctx);
	void (*thread_fini)(void *ctx, bool syncer);
};

extern bool rc_verbose;             /* children print per-run details on stderr */

#ifdef BENCH_HAVE_TERN
extern const struct rc_impl rc_tern_defer, rc_tern_call;
extern const struct rc_gp_impl rc_gp_tern;
#endif
/* Each peer in two configurations, so neither is judged by a slow one:
 * ck_epoch_poll after every ck_epoch_call or after every 64; liburcu's
 * default call_rcu worker thread or one worker per CPU. */
extern const struct rc_impl rc_ck_poll1, rc_ck_poll64, rc_urcu, rc_urcu_percpu;
extern const struct rc_gp_impl rc_gp_ck, rc_gp_urcu;

#endif /* TERN_BENCH_RECLAIM_H */
