/*
 * reclaim.h — shared pieces of bench/reclaim: the benchmark object, the
 * allocation/destruction counters, and the per-implementation interface.
 *
 * Every implementation's translation unit (rc_tern.c, rc_ck.c, rc_urcu.c)
 * defines its own object type beginning with struct rc_hdr and padded to
 * RC_OBJ_SIZE bytes, so every row allocates the same size class.
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
#define RC_BATCH 64                     /* writes between two looks at the stop flag */
#define RC_READ_BATCH 256               /* reads between two looks at the flag and the clock */

/* Header of every benchmark object. */
struct rc_hdr {
	_Atomic uint64_t magic;
	uint64_t seq;
};

/* The shared slot writers exchange objects into and the reader reads. */
extern _Atomic(struct rc_hdr *) rc_slot;
/* Set by the driver at the end of the timed window. */
extern atomic_bool rc_stop;
/* Reads that found a destroyed object (must stay 0). */
extern _Atomic uint64_t rc_bad;

/*
 * Per-thread counters, one writer each (the thread that owns the slot):
 * allocations by writers, destructions by whichever thread runs the
 * destructor (a writer, a library's callback thread, the driver's drain).
 */
struct rc_ctr {
	_Alignas(64) _Atomic uint64_t allocs;
	_Atomic uint64_t frees;
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

/* => a new live object of `size` bytes (size >= sizeof(struct rc_hdr)), counted. */
static inline void *rc_new(size_t size, uint64_t seq)
{
	struct rc_hdr *h = malloc(size);
	if (h == NULL) {
		perror("bench_reclaim: malloc");
		abort();
	}
	/* Relaxed: published to readers by the release half of the exchange
	 * into rc_slot. */
	atomic_store_explicit(&h->magic, RC_MAGIC, memory_order_relaxed);
	h->seq = seq;
	struct rc_ctr *c = rc_me();
	/* Relaxed: single writer; ordered before the object's destruction by
	 * the slot exchange and the library's grace period, and read by the
	 * sampler after an acquire load of the matching frees counter. */
	atomic_store_explicit(&c->allocs, atomic_load_explicit(&c->allocs, memory_order_relaxed) + 1,
			      memory_order_relaxed);
	return h;
}

/* Destroys a benchmark object: poisons it, frees it, counts it. */
static inline void rc_destroy(struct rc_hdr *h)
{
	/* Relaxed: a second destruction (a library bug) is detected by this
	 * thread's own earlier store or by the exactly-once count at the end. */
	if (atomic_load_explicit(&h->magic, memory_order_relaxed) != RC_MAGIC)
		/* Relaxed: an error counter, read after the threads are joined. */
		atomic_fetch_add_explicit(&rc_bad, 1, memory_order_relaxed);
	/* Relaxed: a reader that still sees the object would read this value
	 * only if the library destroyed the object too early — which is what
	 * the poison is there to reveal. */
	atomic_store_explicit(&h->magic, RC_POISON, memory_order_relaxed);
	free(h);
	struct rc_ctr *c = rc_me();
	/* Release: pairs with the sampler's acquire load in rc_pending(), so
	 * the allocation counts that happened before this destruction are
	 * visible to it (pending never reads negative). */
	atomic_store_explicit(&c->frees, atomic_load_explicit(&c->frees, memory_order_relaxed) + 1,
			      memory_order_release);
}

/* The reader's check of an object borrowed from rc_slot under protection. */
static inline void rc_check(const struct rc_hdr *h)
{
	/* Relaxed: the magic was written before the object was published
	 * (acquire load of rc_slot); a poisoned value means early destruction. */
	if (h != NULL && atomic_load_explicit(&h->magic, memory_order_relaxed) != RC_MAGIC)
		/* Relaxed: an error counter, read after the threads are joined. */
		atomic_fetch_add_explicit(&rc_bad, 1, memory_order_relaxed);
}

/* => whether the driver has ended the timed window. */
static inline bool rc_stopped(void)
{
	/* Relaxed: only ends the loop; the results are read after join. */
	return atomic_load_explicit(&rc_stop, memory_order_relaxed);
}

/* Longest time between two consecutive reader batches (a few hundred ns
 * apart when the reader runs): when the reader is descheduled while pinned,
 * no implementation can reclaim, so this bounds what peak pending can mean.
 * Written by the reader only, read after it is joined. */
extern uint64_t rc_reader_max_gap_ns;

/* The reader's loop condition: records the gap, then looks at the flag. */
static inline bool rc_reader_stopped(uint64_t *last)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	if (*last != 0 && now - *last > rc_reader_max_gap_ns)
		rc_reader_max_gap_ns = now - *last;
	*last = now;
	return rc_stopped();
}

/*
 * One implementation.  thread_init runs in each writer and in the reader
 * before the timed window, thread_fini after it (e.g. to hand garbage over
 * or unregister).  writer_loop/reader_loop run until rc_stopped() and return
 * the number of operations.  drain runs in the driver's main thread after
 * every benchmark thread has exited: on return every deferred object must
 * have been destroyed.
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
};

extern bool rc_verbose;             /* children print per-run details on stderr */

#ifdef BENCH_HAVE_TERN
extern const struct rc_impl rc_tern_defer, rc_tern_call;
#endif
/* Each peer in two configurations, so neither is judged by a slow one:
 * ck_epoch_poll after every ck_epoch_call or after every 64; liburcu's
 * default call_rcu worker thread or one worker per CPU. */
extern const struct rc_impl rc_ck_poll1, rc_ck_poll64, rc_urcu, rc_urcu_percpu;

#endif /* TERN_BENCH_RECLAIM_H */
