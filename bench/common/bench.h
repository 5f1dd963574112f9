/* SPDX-License-Identifier: MIT */
/*
 * bench/common/bench.h — shared pieces of tern's benchmark harness: the
 * exercise's workload (random blob, simulated work, transform, the consumer's
 * check), the consumer loop, a try-lock for the peer containers, semaphores
 * and barriers that retry; and the common modules (clock.h, opt.h, out.h,
 * stats.h; child.h and target.h are included where used).
 *
 * The workload is defined identically in bench/java/Bench.java and
 * bench/rust/src/main.rs; change all three together.
 */
#ifndef TERN_BENCH_COMMON_H
#define TERN_BENCH_COMMON_H

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "opt.h"
#include "out.h"
#include "stats.h"

/* ---- compiler barriers ----------------------------------------------------- */

/* Makes the compiler assume *p escaped and memory was read and written:
 * keeps an allocation, a copy or a load from being optimised away. */
#define BENCH_ESCAPE(p) __asm__ __volatile__("" : : "r"(p) : "memory")

/* ---- the workload ------------------------------------------------------------ */

#define BENCH_WORK_ITERS 10000
#define BENCH_STR_CAP 32

/* The producer's 3-byte blob of letters 'A'..'J'. */
struct bench_blob {
	char b[3];
};

/* A transformed value: "ABC-1.234567". */
struct bench_str {
	char s[BENCH_STR_CAP];
};

static inline struct bench_blob bench_rng_blob(uint64_t *state)
{
	uint64_t r = bench_rng_next(state);
	struct bench_blob b = { { (char)('A' + r % 10), (char)('A' + (r >> 8) % 10),
				  (char)('A' + (r >> 16) % 10) } };
	return b;
}

/* Simulated work: 10,000 dependent floating-point multiplications. */
static inline double bench_work(const struct bench_blob *b)
{
	double x = 1.0 + ((double)b->b[0] + (double)b->b[1] + (double)b->b[2]) * 1e-3;
	for (int i = 0; i < BENCH_WORK_ITERS; i++)
		x *= 1.0000001;
	return x;
}

/*
 * The transform path of a read.  The consumer that wins the transform lock
 * runs the transform (~15 us of work) and what goes with it (allocating,
 * publishing and retiring values); how often that happens depends on
 * scheduling (2 cores, 9 threads), and with one consumer it is every
 * publish.  bench_xform_begin() (first thing in a transform callback) opens
 * a window on the thread CPU clock; BENCH_LOOP closes it when the read that
 * ran the transform returns (bench_xform_end()), so the whole path from the
 * transform to the end of that read, plus one clock read's cost (the parts
 * of the two clock reads outside the window), is in bench_transform_cpu_ns,
 * and that read is counted in the thread's xreads.  The harness reports the
 * cost of the other reads: (cpu - transform_cpu) / (ops - xreads).
 */
extern _Thread_local uint64_t bench_transform_cpu_ns;
extern _Thread_local uint64_t bench_xform_t0; /* CPU time at the open window's start; 0: none */

static inline void bench_xform_begin(void)
{
	if (bench_xform_t0 == 0)
		bench_xform_t0 = bench_cpu_ns();
}

/* Closes the open window (stats.c). */
void bench_xform_end(void);
/* Measures this thread's clock read cost and resets the counters (before the clock starts). */
void bench_xform_reset(void);

/* The transform: the same work, then a string made of the blob and the result. */
static inline void bench_transform(const struct bench_blob *b, struct bench_str *out)
{
	bench_xform_begin();
	double x = bench_work(b);
	snprintf(out->s, sizeof out->s, "%c%c%c-%.6f", b->b[0], b->b[1], b->b[2], x);
}

/*
 * strcmp(s, "longer") < 0, written out (not a libc call) and identical in the
 * C, Java and Rust harnesses, so every language pays the same for the check
 * that keeps the read from being optimised away.
 */
static inline bool bench_lt_longer(const char *s)
{
	static const char ref[] = "longer";
	size_t i = 0;
	for (;;) {
		unsigned char ca = (unsigned char)s[i];
		unsigned char cb = (unsigned char)ref[i];
		if (ca != cb || ca == 0)
			return ca < cb;
		i++;
	}
}

/* ---- try-lock for the peer containers (liburcu, ck_epoch, floor) ------------
 * The same algorithm as tern_lightlock_try_lock and the exercise's LightLock, so
 * the peers differ from tern only in their reclamation scheme. */

typedef struct {
	atomic_bool locked;
} bench_trylock_t;

static inline bool bench_trylock(bench_trylock_t *l)
{
	/* Relaxed test: a held lock is reported without writing its line; the
	 * exchange below provides the ordering. */
	if (atomic_load_explicit(&l->locked, memory_order_relaxed))
		return false;
	/* Acquire: pairs with the release store in bench_unlock(). */
	return !atomic_exchange_explicit(&l->locked, true, memory_order_acquire);
}

static inline void bench_unlock(bench_trylock_t *l)
{
	/* Release: pairs with the acquire exchange in bench_trylock(). */
	atomic_store_explicit(&l->locked, false, memory_order_release);
}

/* ---- threads and the consumer loop ---------------------------------------------- */

/* Reads per stop-flag check. */
#define BENCH_BATCH 64

struct bench_run {
	atomic_bool stop;
	pthread_barrier_t barrier; /* consumers + producer + main */
	void *obj;                 /* the container under test */
	const void *impl;
	const char *payload;
	int consumers;
};

struct bench_thread {
	struct bench_run *run;
	pthread_t tid;
	uint64_t cpu_ns, wall_ns, ops, hits;
	uint64_t xform_ns;            /* of cpu_ns, spent on the transform path (bench_xform_begin()) */
	uint64_t xreads;              /* of ops, the reads that ran a transform */
	uint64_t prod_ns, prod_iters; /* producer only */
};

static inline bool bench_should_stop(const struct bench_thread *t)
{
	/* Relaxed: only a signal to leave the loop; results are read after join. */
	return atomic_load_explicit(&t->run->stop, memory_order_relaxed);
}

/*
 * The consumer loop: BODY is one read; it adds to the local `hits_`.  The
 * stop flag is checked every BENCH_BATCH reads, with BEFORE and AFTER run
 * around each batch (BENCH_LOOP: nothing); a read that ran a transform
 * closes the transform window (bench_xform_begin()).
 */
#define BENCH_LOOP_BATCH(t, BEFORE, BODY, AFTER)                              \
	do {                                                                \
		uint64_t ops_ = 0, hits_ = 0, xreads_ = 0;                  \
		do {                                                        \
			BEFORE;                                             \
			for (unsigned i_ = 0; i_ < BENCH_BATCH; i_++) {     \
				BODY                                        \
				if (__builtin_expect(bench_xform_t0 != 0, 0)) { \
					bench_xform_end();                  \
					xreads_++;                          \
				}                                           \
			}                                                   \
			AFTER;                                              \
			ops_ += BENCH_BATCH;                                \
		} while (!bench_should_stop(t));                            \
		(t)->ops = ops_;                                            \
		(t)->hits = hits_;                                          \
		(t)->xreads = xreads_;                                      \
	} while (0)
#define BENCH_LOOP(t, BODY) BENCH_LOOP_BATCH(t, (void)0, BODY, (void)0)

/* ---- threads ------------------------------------------------------------------- */

static inline void bench_sem_wait(sem_t *s)
{
	while (sem_wait(s) != 0)
		if (errno != EINTR) {
			perror("sem_wait");
			abort();
		}
}

static inline void bench_barrier_wait(pthread_barrier_t *b)
{
	int rc = pthread_barrier_wait(b);
	if (rc != 0 && rc != PTHREAD_BARRIER_SERIAL_THREAD)
		abort();
}

#endif /* TERN_BENCH_COMMON_H */
