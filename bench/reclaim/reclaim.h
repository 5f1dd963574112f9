/* SPDX-License-Identifier: MIT */
/*
 * reclaim.h — shared pieces of bench/reclaim: the shared slot, the loops
 * every row runs, and the per-implementation interface.
 *
 * Every implementation's translation unit (rc_tern.c, rc_ck.c, rc_urcu.c)
 * defines its own object type beginning with struct bench_obj and padded to
 * RC_OBJ_SIZE bytes, so every row allocates the same size class.  Several
 * rows share one process (interleaved slices), so objects are counted per
 * owner tag (bench/common/slices.h): the row that allocated the object (or,
 * in the idle-thread scenario, "the idle thread of that row"), whichever
 * thread or library destroys it.
 */
#ifndef TERN_BENCH_RECLAIM_H
#define TERN_BENCH_RECLAIM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "../common/slices.h"

#define RC_OBJ_SIZE 48
#define RC_BATCH 64       /* writes between two looks at the stop flag */
#define RC_READ_BATCH 256 /* reads between two looks at the flag and the clock */
/* The padding that makes a row's object RC_OBJ_SIZE bytes after its header and the library's entry. */
#define RC_PAD(entry) char pad[RC_OBJ_SIZE - sizeof(struct bench_obj) - sizeof(entry)]

/* The shared slot writers exchange objects into and the reader reads.  One
 * for the whole process: only one row runs at a time, and the driver parks
 * a row's last object between its slices. */
extern _Atomic(struct bench_obj *) rc_slot;
extern atomic_bool rc_stop;                 /* set by the driver at the end of each slice */
extern _Thread_local unsigned rc_cur_owner; /* the owner tag the calling thread allocates under */
/* Longest time between two consecutive reader batches (a few hundred ns
 * when the reader runs): while the reader is descheduled pinned, no
 * implementation can reclaim, so this bounds what peak pending can mean.
 * The calling reader's own figure, reset by the harness every slice. */
extern _Thread_local uint64_t rc_reader_max_gap_ns;

static inline bool rc_stopped(void)
{
	/* Relaxed: only ends the loop; the results are read after the
	 * driver's synchronisation with the thread (semaphore). */
	return atomic_load_explicit(&rc_stop, memory_order_relaxed);
}

/* The reader's loop condition, once per RC_READ_BATCH sections: counts them
 * (the driver reads the counter mid-run), records the gap, looks at the flag. */
static inline bool rc_reader_stopped(uint64_t *last)
{
	/* Relaxed: single writer; the driver only samples a progress count. */
	bench_ctr_add(&bench_me()->reads, RC_READ_BATCH, memory_order_relaxed);
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	if (*last != 0 && now - *last > rc_reader_max_gap_ns)
		rc_reader_max_gap_ns = now - *last;
	*last = now;
	return rc_stopped();
}

/* The writer loop of every row, as `static void fn(void *ctx)`: allocate an
 * object of type T, exchange it into the slot, DEFER the previous one
 * (old_, a struct bench_obj *), until the slice ends (at least one batch,
 * however late the thread starts). */
#define RC_WRITER(fn, T, DEFER)                                                                      \
	static void fn(void *ctx)                                                                    \
	{                                                                                            \
		(void)ctx;                                                                           \
		uint64_t n_ = 0;                                                                     \
		do {                                                                                 \
			for (int i_ = 0; i_ < RC_BATCH; i_++) {                                      \
				struct bench_obj *o_ = bench_obj_new(sizeof(T), rc_cur_owner, n_ + (uint64_t)i_); \
				/* Acq_rel: release publishes o_'s magic to the reader's acquire  \
				 * load (RC_READER); acquire takes ownership of old_. */            \
				struct bench_obj *old_ = atomic_exchange_explicit(&rc_slot, o_, memory_order_acq_rel); \
				if (old_ != NULL)                                                    \
					DEFER;                                                       \
			}                                                                            \
			n_ += RC_BATCH;                                                              \
		} while (!rc_stopped());                                                             \
	}

/* The reader loop, as `static void fn(void *ctx)`: PRE once, then ENTER,
 * load the slot, check the object, EXIT, until the slice ends. */
#define RC_READER(fn, PRE, ENTER, EXIT)                                                              \
	static void fn(void *ctx)                                                                    \
	{                                                                                            \
		(void)ctx;                                                                           \
		PRE;                                                                                 \
		uint64_t last_ = 0;                                                                  \
		do {                                                                                 \
			for (int i_ = 0; i_ < RC_READ_BATCH; i_++) {                                 \
				ENTER;                                                               \
				/* Acquire: pairs with the release half of the writers' exchange. */ \
				struct bench_obj *h_ = atomic_load_explicit(&rc_slot, memory_order_acquire); \
				if (h_ != NULL)                                                      \
					bench_obj_check(h_);                                         \
				EXIT;                                                                \
			}                                                                            \
		} while (!rc_reader_stopped(&last_));                                                \
	}

/*
 * One implementation (one row).
 *
 * setup (optional) runs once in the driver before any of the row's threads
 * exist.  thread_init runs in each writer and in the reader before the
 * first slice, thread_fini after the last (e.g. to hand garbage over or
 * unregister).  writer_loop/reader_loop run until rc_stopped(), once per
 * slice (between slices the thread blocks in the harness, unpinned and
 * holding nothing).  drain runs in the driver after every thread of the row
 * has exited: on return every deferred object must have been destroyed.
 *
 * Optional (NULL when not needed):
 *   pause/resume   stop and restart the library's own threads between the
 *                  row's slices (liburcu's call_rcu workers); idempotent,
 *                  shared by the rows of one library
 *   helper_cpu_ns  CPU time used so far by the library's own threads
 *                  (call_rcu workers), for the all-thread CPU column
 *   report         --verbose: the implementation's statistics
 * For the idle-thread scenario: defer_one defers one object from a thread
 * set up by thread_init (writer), as writer_loop does; barrier, from the
 * driver thread, waits until every object deferred so far by any thread is
 * destroyed, if the library offers that (its argument: the driver's own
 * thread_init(true) context if driver_thread, else NULL); barrier_desc
 * names the call.
 */
struct rc_impl {
	const char *name;
	void (*setup)(void);
	void *(*thread_init)(bool writer);
	void (*writer_loop)(void *ctx);
	void (*reader_loop)(void *ctx);
	void (*thread_fini)(void *ctx, bool writer);
	void (*drain)(void);
	void (*report)(FILE *out);
	void (*pause)(void);
	void (*resume)(void);
	uint64_t (*helper_cpu_ns)(void);
	void (*defer_one)(void *ctx, struct bench_obj *obj);
	void (*barrier)(void *driver_ctx);
	const char *barrier_desc;
	bool driver_thread;
};

/* Grace-period latency rows: readers run the reclaim reader loop; one
 * thread calls synchronize in a loop.  setup optional. */
struct rc_gp_impl {
	const char *name;
	const char *call; /* what synchronize is, for the table */
	void (*setup)(void);
	void *(*thread_init)(bool syncer);
	void (*reader_loop)(void *ctx);
	void (*synchronize)(void *ctx);
	void (*thread_fini)(void *ctx, bool syncer);
};

extern const struct rc_impl rc_tern_defer, rc_tern_call;
extern const struct rc_gp_impl rc_gp_tern;
/* Each peer in two configurations, so neither is judged by a slow one:
 * ck_epoch_poll after every ck_epoch_call or after every 64; liburcu's
 * default call_rcu worker thread or one worker per CPU. */
extern const struct rc_impl rc_ck_poll1, rc_ck_poll64, rc_urcu, rc_urcu_percpu;
extern const struct rc_gp_impl rc_gp_ck, rc_gp_urcu;

int reclaim_main(int argc, char **argv);

#endif /* TERN_BENCH_RECLAIM_H */
