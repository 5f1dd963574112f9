/* SPDX-License-Identifier: MIT */
/*
 * bench/common/slices.h — the slice engine of the in-process scenarios
 * (bench/reclaim, bench/containers) and what they count.
 *
 * Every row (implementation) has a group of persistent threads, registered
 * with its library once.  A slice wakes some of one group's threads (the
 * others, and every other group, stay blocked on their semaphores, unpinned,
 * holding nothing), releases them together through a start barrier, lets
 * them run untimed (at least warm_ms, until the scenario's warm_done() says
 * so, at most warm_max_ms), then measures a window of ms from outside: each
 * thread's progress count and CPU clock (pthread_getcpuclockid) at both ends,
 * and the library's own threads' CPU (helper_cpu_ns).  On a loaded machine a
 * thread may not have run at all in a short window: the window is extended
 * (up to 1 s) until every `waited` thread made progress.  Then the stop flag
 * ends the loops and the driver waits until every thread is blocked again.
 * The library's own threads are resumed before the slice and paused after it
 * (liburcu's call_rcu workers), so they run only during their row's slices.
 *
 * Counted objects: every benchmark object starts with struct bench_obj (a
 * magic, the owner tag of the row that allocated it, a sequence number or
 * key); per-thread counters, one writer each, count allocations and frees
 * per owner, whichever thread or library callback frees the object.
 */
#ifndef TERN_BENCH_SLICES_H
#define TERN_BENCH_SLICES_H

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "stats.h"

/* ---- counted objects ---- */

#define BENCH_OBJ_SLOTS 128          /* threads that count */
#define BENCH_OWNERS 32              /* owner tags (rows) */
#define BENCH_OBJ_LIVE 0x6c697665u   /* between allocation and free */
#define BENCH_OBJ_DEAD 0xdeaddeadu   /* freed (poison) */

struct bench_obj {
	_Atomic uint32_t magic;
	uint32_t owner;
	uint64_t seq; /* the scenario's: a sequence number or a map key */
};

struct bench_ctr {
	_Alignas(64) _Atomic uint64_t allocs[BENCH_OWNERS];
	_Atomic uint64_t frees[BENCH_OWNERS];
	_Atomic uint64_t reads; /* a progress count of threads that allocate nothing */
};
extern struct bench_ctr bench_ctrs[BENCH_OBJ_SLOTS];
extern _Atomic uint64_t bench_obj_bad[BENCH_OWNERS]; /* freed twice, or read after free */
extern _Thread_local struct bench_ctr *bench_ctr_mine;
struct bench_ctr *bench_ctr_new(void);

/* The calling thread's counters. */
static inline struct bench_ctr *bench_me(void)
{
	return bench_ctr_mine != NULL ? bench_ctr_mine : bench_ctr_new();
}

/* Adds n to a counter of the calling thread, its only writer (so a relaxed
 * load of its own last store suffices); the store's order is the caller's. */
static inline void bench_ctr_add(_Atomic uint64_t *c, uint64_t n, memory_order mo)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n, mo);
}

/* => a new live object of `size` bytes counted for `owner`. */
static inline void *bench_obj_new(size_t size, unsigned owner, uint64_t seq)
{
	struct bench_obj *h = malloc(size);
	if (h == NULL) {
		perror("bench: malloc");
		abort();
	}
	/* Relaxed: published by the container's (or slot's) own release. */
	atomic_store_explicit(&h->magic, BENCH_OBJ_LIVE, memory_order_relaxed);
	h->owner = owner;
	h->seq = seq;
	/* Relaxed: single writer; ordered before the object's free by whatever
	 * hands the object over, and read by the sampler after an acquire load
	 * of the matching frees counter (bench_obj_count). */
	bench_ctr_add(&bench_me()->allocs[owner], 1, memory_order_relaxed);
	return h;
}

/* An object read from a container or slot: must be live. */
static inline void bench_obj_check(const struct bench_obj *h)
{
	/* Relaxed: the magic was written before the object was published (the
	 * reader's acquire); a poisoned value means it was freed too early. */
	if (atomic_load_explicit(&((struct bench_obj *)(uintptr_t)h)->magic, memory_order_relaxed) != BENCH_OBJ_LIVE)
		/* Relaxed: an error counter, read after the threads are joined. */
		atomic_fetch_add_explicit(&bench_obj_bad[h->owner % BENCH_OWNERS], 1, memory_order_relaxed);
}

/* Frees an object (from whichever thread or callback reclaims it): checks,
 * poisons, frees, counts. */
static inline void bench_obj_free(struct bench_obj *h)
{
	unsigned owner = h->owner % BENCH_OWNERS;
	bench_obj_check(h);
	/* Relaxed: a reader that still sees the object reads this only if it
	 * was freed too early — which is what the poison is there to reveal. */
	atomic_store_explicit(&h->magic, BENCH_OBJ_DEAD, memory_order_relaxed);
	free(h);
	/* Release: pairs with the sampler's acquire load in bench_obj_count(),
	 * so the allocations counted before this free are visible to it
	 * (pending never reads negative). */
	bench_ctr_add(&bench_me()->frees[owner], 1, memory_order_release);
}

/* Allocated and freed objects of `owner` so far (every thread's counters). */
void bench_obj_count(unsigned owner, uint64_t *allocs, uint64_t *frees);
/* => allocated minus freed objects of owner (0 if more were freed). */
uint64_t bench_obj_pending(unsigned owner);
/* => |allocated - freed| of owner: nonzero is a leak or a double free. */
uint64_t bench_obj_leaked(unsigned owner);
uint64_t bench_obj_freed(unsigned owner); /* objects of owner freed so far */
uint64_t bench_obj_bads(unsigned owner);  /* reads of a freed object and double frees */

/* ---- the groups and the slice ---- */

#define BENCH_SLICE_THREADS 9 /* per group */

struct bench_slice_group;

struct bench_slice_thread {
	struct bench_slice_group *g;
	unsigned index;
	bool waited; /* the window is extended until this thread made progress */
	void *user;  /* the scenario's per-thread state */
	pthread_t tid;
	clockid_t clk;
	sem_t go;
	uint64_t ops, cpu; /* the last window: progress and CPU ns */
};

/* What a scenario plugs in (the same for all its groups). */
struct bench_slice_hooks {
	atomic_bool *stop;                                     /* the loops look at it */
	void (*init)(struct bench_slice_thread *t);            /* in the thread, once */
	void (*run)(struct bench_slice_thread *t);             /* one slice: loop until *stop */
	void (*fini)(struct bench_slice_thread *t);            /* in the thread, at the end */
	uint64_t (*progress)(const struct bench_slice_thread *t); /* read from outside */
	void (*warm_start)(struct bench_slice_group *g);       /* optional: before the warm-up */
	bool (*warm_done)(struct bench_slice_group *g);        /* optional: warm after warm_ms? */
	void (*tick)(struct bench_slice_group *g);             /* optional: every ms of the window */
};

struct bench_slice_group {
	const struct bench_slice_hooks *h;
	void *user; /* the scenario's row */
	unsigned nth;
	/* the library's own threads (optional): pause/resume idempotent */
	void (*pause)(void);
	void (*resume)(void);
	uint64_t (*helper_cpu_ns)(void);
	struct bench_slice_thread th[BENCH_SLICE_THREADS];
};

struct bench_window {
	uint64_t t0, t1;    /* the window (CLOCK_MONOTONIC ns) */
	uint64_t warm_ns;   /* the warm-up before it */
	uint64_t helper_ns; /* the library threads' CPU in it */
};

/* Starts g's nth threads (g->h, user, nth, pause... set; th[i].user and
 * waited set), waits until each ran init, then pauses the library. */
void bench_slice_start(struct bench_slice_group *g);
/* Resumes the library, ends every thread (fini), joins them. */
void bench_slice_stop(struct bench_slice_group *g);
/* Resumes the library and releases threads act[0..n) of g (they start
 * together at the barrier; warm_start runs just before).  bench_slice_halt()
 * sets *stop, waits until the n threads are blocked again, clears it and
 * pauses the library. */
void bench_slice_go(struct bench_slice_group *g, const unsigned *act, unsigned n);
void bench_slice_halt(struct bench_slice_group *g, unsigned n);
/* One slice (above): go, warm-up, window, halt.  Fills th[act[i]].ops/cpu and w. */
void bench_slice_run(struct bench_slice_group *g, const unsigned *act, unsigned n, double warm_ms,
		     double warm_max_ms, double ms, struct bench_window *w);

/* ---- per-round samples ---- */

/* The spread of the double at byte offset off of n records stride bytes apart. */
struct bench_spread bench_field(const void *rec, size_t stride, unsigned n, size_t off);
/* Per-round ratios a[r]/b[r] of that field (b[r]/a[r] if inverse), over the
 * rounds where both are > 0. */
struct bench_spread bench_paired(const void *a, const void *b, size_t stride, unsigned n, size_t off, bool inverse);
#define BENCH_FIELD(rec, n, type, f) bench_field((rec), sizeof(type), (n), offsetof(type, f))
#define BENCH_PAIRED(a, b, n, type, f, inv) bench_paired((a), (b), sizeof(type), (n), offsetof(type, f), (inv))
/* => the index of the largest v[i] with ok[i] (the first of equals), or n. */
size_t bench_best(const double *v, const bool *ok, size_t n);

#endif /* TERN_BENCH_SLICES_H */
