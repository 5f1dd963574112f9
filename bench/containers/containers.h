/* SPDX-License-Identifier: MIT */
/*
 * bench/containers/containers.h — shared pieces of the containers scenario:
 * the per-thread context the driver hands to every implementation's loop,
 * the loops themselves with the workloads' common steps (producer throttle,
 * key and operation draw, integer hash, free lists, map preloading) and the
 * per-implementation interface.  Nodes are counted bench objects
 * (bench/common/slices.h), one owner tag per implementation.
 *
 * Every implementation's translation unit (ct_tern.c, ct_urcu.c, ct_ck.c,
 * ct_lock.c) writes its container calls into these loops, so the rows
 * differ only in the container calls and the reclamation they need.
 */
#ifndef TERN_BENCH_CONTAINERS_H
#define TERN_BENCH_CONTAINERS_H

#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/bench.h"
#include "../common/slices.h"

#define CT_BATCH 64              /* operations between two looks at the stop flag */
#define CT_MAX_THREADS 4         /* per row: 2 producers + 2 consumers */
#define CT_QUEUE_BACKLOG 16384   /* producers wait while this many items are queued */
#define CT_MAP_RANGE (1u << 17)  /* keys 0..128 Ki-1; 64 Ki of them present */
#define CT_MAP_BUCKETS (1u << 16) /* every table sized for 64 Ki entries */

enum ct_kind { CT_QUEUE, CT_STACK, CT_MAP };
enum ct_role { CT_PRODUCER, CT_CONSUMER, CT_WORKER };
enum ct_mix { CT_MIX_UPDATE, CT_MIX_READ }; /* map: 90/5/5, or lookups only */

/* => size zeroed bytes (aligned to `align` unless 0); aborts when out of memory. */
static inline void *ct_xalloc(size_t align, size_t size)
{
	void *p = align ? aligned_alloc(align, size) : malloc(size);
	if (p == NULL)
		abort();
	return memset(p, 0, size);
}

/*
 * A per-thread free list of nodes (popped nodes reused at once), linked
 * through the pointer at byte offset `off` of each node: take one (or a new
 * node of `size` bytes), put one back, free them all at the thread's end.
 */
static inline void *ct_pool_get(void **pool, size_t off, size_t size, unsigned owner)
{
	void *n = *pool;
	if (n == NULL)
		return bench_obj_new(size, owner, 0);
	memcpy(pool, (char *)n + off, sizeof n);
	return n;
}

static inline void ct_pool_put(void **pool, void *n, size_t off)
{
	char *p = n;
	/* No instruction: hides where p came from, so GCC does not take a node
	 * found by container_of for the library's member (-Wstringop-overflow). */
	__asm__("" : "+r"(p));
	memcpy(p + off, pool, sizeof n);
	*pool = n;
}

static inline void ct_pool_free(void *n, size_t off)
{
	while (n != NULL) {
		void *next;
		memcpy(&next, (char *)n + off, sizeof next);
		bench_obj_free(n);
		n = next;
	}
}

/* The driver's per-thread context (containers.c owns the storage). */
struct ct_row;
struct ct_thread {
	struct ct_row *row;
	enum ct_role role;
	unsigned owner;            /* the implementation's owner tag */
	_Atomic uint64_t progress; /* operations done (stored each batch) */
	uint64_t rng;              /* xorshift64 state (map keys and ops) */
	void *ctx;                 /* the implementation's per-thread state */
	char pad[64];
};

/* The workload of the current slice, set by the driver before it starts. */
struct ct_impl;
struct ct_row {
	const struct ct_impl *impl;
	void *obj;               /* the container (the implementation's) */
	enum ct_mix mix;         /* map */
	struct ct_thread *th;    /* th[0..nth) */
	unsigned nth;
};

extern atomic_bool ct_stop;

static inline bool ct_stopped(void)
{
	/* Relaxed: only ends the loop; results are read after the driver's
	 * semaphore handshake. */
	return atomic_load_explicit(&ct_stop, memory_order_relaxed);
}

/* Publishes n more operations for the driver's windows. */
static inline void ct_progress(struct ct_thread *t, uint64_t n)
{
	/* Relaxed: a progress count sampled by the driver. */
	atomic_store_explicit(&t->progress, atomic_load_explicit(&t->progress, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

/*
 * Queue producers: wait while the row holds CT_QUEUE_BACKLOG items or more,
 * so that a faster producer does not grow the queue without bound.  Items
 * queued = enqueued by the producers - dequeued by the consumers (their
 * progress counters).  The wait spins (a pause per look, sched_yield every
 * 1,024 looks): yielding at once would hand the core away for a scheduler
 * time slice on a loaded machine, and the rate would measure that (every
 * row the same: backlog / time slice) instead of the queue.  The spinning
 * counts in the row's CPU time.  => false when the slice ends.
 */
static inline bool ct_queue_throttle(struct ct_thread *t)
{
	for (unsigned spins = 1;; spins++) {
		uint64_t in = 0, out = 0;
		for (unsigned i = 0; i < t->row->nth; i++) {
			/* Relaxed: an estimate; it only paces the producer. */
			uint64_t p = atomic_load_explicit(&t->row->th[i].progress, memory_order_relaxed);
			if (t->row->th[i].role == CT_PRODUCER)
				in += p;
			else
				out += p;
		}
		if (in < out + CT_QUEUE_BACKLOG)
			return true;
		if (ct_stopped())
			return false;
		if (spins % 1024 == 0)
			sched_yield();
		else
			__builtin_ia32_pause();
	}
}

/* The map's hash for every implementation (except the tern-typed row):
 * murmur3's 64-bit finaliser of key ^ seed, 2 multiplies. */
static inline uint64_t ct_hash(uint64_t key, uint64_t seed)
{
	uint64_t x = key ^ seed;
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}
#define CT_SEED 0x5eed5eed5eed5eedull

/* Map: one drawn operation, uniform keys over CT_MAP_RANGE. */
enum ct_op { CT_LOOKUP, CT_INSERT, CT_REMOVE };
static inline enum ct_op ct_map_draw(struct ct_thread *t, uint64_t *key)
{
	uint64_t r = bench_rng_next(&t->rng);
	*key = (r >> 20) & (CT_MAP_RANGE - 1);
	if (t->row->mix == CT_MIX_READ)
		return CT_LOOKUP;
	unsigned p = (unsigned)(r % 100);
	return p < 90 ? CT_LOOKUP : p < 95 ? CT_INSERT : CT_REMOVE;
}

/* Preloads a map with the even half of the key range: for each key a new
 * node n_ (a T *); PUT must be true when n_ went in. */
#define CT_MAP_PRELOAD(owner, T, PUT)                                       \
	for (uint64_t k_ = 0; k_ < CT_MAP_RANGE; k_ += 2) {                 \
		T *n_ = bench_obj_new(sizeof(T), (owner), k_);              \
		if (!(PUT))                                                 \
			abort();                                            \
	}

/*
 * The loops.  Each implementation writes its container calls into these, so
 * every row runs the same workload around them.  In the statements, `t` is
 * the struct ct_thread *, `h_` a struct bench_obj * and `key_` the map key.
 */

/* Queue producer: ENQUEUE appends one new item whose sequence number is
 * seq_ (allocated by it with bench_obj_new). */
#define CT_PRODUCE(t, ENQUEUE)                                                   \
	do {                                                                     \
		uint64_t seq_ = atomic_load_explicit(&(t)->progress, memory_order_relaxed); \
		while (!ct_stopped() && ct_queue_throttle(t)) {                  \
			for (unsigned i_ = 0; i_ < CT_BATCH; i_++) {             \
				seq_++;                                          \
				ENQUEUE;                                         \
			}                                                        \
			ct_progress((t), CT_BATCH);                              \
		}                                                                \
	} while (0)

/* Queue consumer: DEQUEUE sets h_ to the oldest item's header or NULL;
 * RELEASE hands the item to the reclamation scheme (h_ checked first). */
#define CT_CONSUME(t, DEQUEUE, RELEASE)                                          \
	do {                                                                     \
		while (!ct_stopped()) {                                          \
			uint64_t got_ = 0;                                       \
			for (unsigned i_ = 0; i_ < CT_BATCH; i_++) {             \
				struct bench_obj *h_;                               \
				DEQUEUE;                                         \
				if (h_ == NULL)                                  \
					continue;                                \
				bench_obj_check(h_);                                    \
				RELEASE;                                         \
				got_++;                                          \
			}                                                        \
			ct_progress((t), got_);                                  \
		}                                                                \
	} while (0)

/* Stack: PUSH pushes a node (new, or one the scheme lets us reuse), POP
 * sets h_ to the popped node's header or NULL, RELEASE hands it back to the
 * scheme (h_ checked first).  One push+pop pair per iteration. */
#define CT_PUSH_POP(t, PUSH, POP, RELEASE)                                       \
	do {                                                                     \
		while (!ct_stopped()) {                                          \
			for (unsigned i_ = 0; i_ < CT_BATCH; i_++) {             \
				struct bench_obj *h_;                               \
				PUSH;                                            \
				POP;                                             \
				if (h_ != NULL) {                                \
					bench_obj_check(h_);                            \
					RELEASE;                                 \
				}                                                \
			}                                                        \
			ct_progress((t), CT_BATCH);                              \
		}                                                                \
	} while (0)

/* Map: LOOKUP (sets h_ inside its read-side section and calls
 * ct_map_found(h_, key_) there), INSERT and REMOVE of key_. */
#define CT_MAP_OPS(t, LOOKUP, INSERT, REMOVE)                                    \
	do {                                                                     \
		while (!ct_stopped()) {                                          \
			for (unsigned i_ = 0; i_ < CT_BATCH; i_++) {             \
				uint64_t key_;                                   \
				switch (ct_map_draw((t), &key_)) {              \
				case CT_LOOKUP: {                                \
					struct bench_obj *h_;                       \
					LOOKUP;                                  \
					break;                                   \
				}                                                \
				case CT_INSERT:                                  \
					INSERT;                                  \
					break;                                   \
				case CT_REMOVE:                                  \
					REMOVE;                                  \
					break;                                   \
				}                                                \
			}                                                        \
			ct_progress((t), CT_BATCH);                              \
		}                                                                \
	} while (0)

/* A lookup's result, checked under the read-side section: live, right key. */
static inline void ct_map_found(const struct bench_obj *h, uint64_t key)
{
	if (h == NULL)
		return;
	bench_obj_check(h);
	if (h->seq != key)
		/* Relaxed: an error counter, read after the threads are joined. */
		atomic_fetch_add_explicit(&bench_obj_bad[h->owner % BENCH_OWNERS], 1, memory_order_relaxed);
}

/*
 * One implementation of one container (a row family).
 *
 *   setup(owner)         builds the container (map: preloaded) in the driver
 *                        thread; => the container
 *   thread_init(t)       in each of the row's threads, once: registers with
 *                        the library; => t->ctx
 *   run(t)               one slice: loops until ct_stopped(), calling
 *                        ct_progress() each batch (queue: producers count
 *                        enqueues, consumers dequeues; stack: push+pop
 *                        pairs; map: operations)
 *   thread_fini(t)       in each thread at the end (unregister, hand
 *                        garbage over)
 *   teardown(obj)        in the driver after every thread of the row has
 *                        exited: empties and destroys the container; on
 *                        return every node must have been freed
 *   pause/resume         optional: stop the library's own threads between
 *                        the row's slices (liburcu's call_rcu worker)
 *   helper_cpu_ns        optional: CPU time of the library's own threads
 *   config               the configuration and reclamation, for the report
 */
struct ct_impl {
	const char *name;
	enum ct_kind kind;
	const char *config;
	void *(*setup)(unsigned owner);
	void *(*thread_init)(struct ct_thread *t);
	void (*run)(struct ct_thread *t);
	void (*thread_fini)(struct ct_thread *t);
	void (*teardown)(void *obj);
	void (*pause)(void);
	void (*resume)(void);
	uint64_t (*helper_cpu_ns)(void);
};

/* Defines row `var`: its name, container kind, hooks and configuration text;
 * optional fields (pause, resume, helper_cpu_ns) after. */
#define CT_ROW(var, nm, k, setup_, init_, run_, fini_, teardown_, cfg, ...)                                  \
	const struct ct_impl var = {.name = nm, .kind = k, .config = cfg, .setup = setup_, .thread_init = init_, \
				    .run = run_, .thread_fini = fini_, .teardown = teardown_, __VA_ARGS__}

extern const struct ct_impl ct_tern_queue, ct_tern_stack, ct_tern_map, ct_tern_map_typed, ct_tern_map_typed_ct;
extern const struct ct_impl ct_urcu_lfq, ct_urcu_wfcq, ct_urcu_lfs, ct_urcu_lfs_mutex, ct_urcu_lfht;
extern const struct ct_impl ct_ck_fifo, ct_ck_stack, ct_ck_hs;
extern const struct ct_impl ct_lock_queue, ct_lock_stack, ct_lock_map;

int containers_main(int argc, char **argv);

#endif /* TERN_BENCH_CONTAINERS_H */
