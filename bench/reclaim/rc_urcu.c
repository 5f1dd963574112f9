/* SPDX-License-Identifier: MIT */
/*
 * bench/reclaim liburcu rows: the membarrier flavour (urcu-memb) with its
 * read side inlined (_LGPL_SOURCE), call_rcu for deferral (worker threads
 * run the callbacks after grace periods), rcu_barrier to drain.  Two rows:
 * the default single call_rcu worker (urcu-memb), and one worker per CPU
 * (urcu-memb-pcpu, create_all_cpu_call_rcu_data, liburcu's scalable setup).
 * And the grace-period row, synchronize_rcu.
 *
 * Both rows share a process (the interleaved slices): the urcu-memb row's
 * threads use the default call_rcu worker explicitly
 * (set_thread_call_rcu_data), the per-CPU row's threads the per-CPU
 * workers.  Between liburcu slices the workers are paused
 * (bench/common/urcu_workers.h: liburcu's own call_rcu_before_fork /
 * _after_fork_parent; a paused worker only wakes every millisecond to look
 * at its pause flag).  Pausing waits for the worker's current batch and its
 * 10 ms sleep between batches, outside any timed window; the workers' CPU
 * time up to the pause is counted to the row (all-thread CPU column).  Both
 * liburcu rows pause and resume together, so during one row's slice the
 * other row's worker may run the callbacks it had queued (its CPU time is
 * counted to its own row).
 */
#define _LGPL_SOURCE
#include <pthread.h>
#include <stddef.h>
#include <time.h>
#include <unistd.h>
#include <urcu/urcu-memb.h>

#include "../common/urcu_workers.h"
#include "reclaim.h"

struct rc_urcu_obj {
	struct bench_obj h;
	struct rcu_head head;
	RC_PAD(struct rcu_head);
};
_Static_assert(sizeof(struct rc_urcu_obj) == RC_OBJ_SIZE, "object size");

static bool rc_urcu_driver_registered, rc_urcu_percpu_made;

static void rc_urcu_cb(struct rcu_head *head)
{
	bench_obj_free(&((struct rc_urcu_obj *)((char *)head - offsetof(struct rc_urcu_obj, head)))->h);
}

static void rc_urcu_setup(void)
{
	if (!rc_urcu_driver_registered) {
		urcu_memb_register_thread(); /* the driver thread calls urcu_memb_barrier() */
		rc_urcu_driver_registered = true;
	}
	/* Created now, so call_rcu never has to create it (under liburcu's
	 * call_rcu mutex, which the pause holds). */
	(void)urcu_memb_get_default_call_rcu_data();
}

static void rc_urcu_setup_percpu(void)
{
	rc_urcu_setup();
	if (!rc_urcu_percpu_made) {
		if (urcu_memb_create_all_cpu_call_rcu_data(0) != 0) {
			fprintf(stderr, "tern-bench reclaim: create_all_cpu_call_rcu_data failed\n");
			exit(2);
		}
		rc_urcu_percpu_made = true;
	}
}

/* Registers the thread (call_rcu requires it; the gp rows' readers and
 * synchronize loop need it too). */
static void *rc_urcu_thread_init_percpu(bool writer)
{
	(void)writer;
	urcu_memb_register_thread();
	return NULL; /* no thread-specific worker: call_rcu picks the current CPU's */
}

static void *rc_urcu_thread_init(bool writer)
{
	rc_urcu_thread_init_percpu(writer);
	/* The default worker even when per-CPU workers exist in the process. */
	urcu_memb_set_thread_call_rcu_data(urcu_memb_get_default_call_rcu_data());
	return NULL;
}

static inline void rc_urcu_defer(struct bench_obj *old)
{
	urcu_memb_call_rcu(&((struct rc_urcu_obj *)old)->head, rc_urcu_cb);
}

RC_WRITER(rc_urcu_writer, struct rc_urcu_obj, rc_urcu_defer(old_))
RC_READER(rc_urcu_reader, (void)0, urcu_memb_read_lock(), urcu_memb_read_unlock())

static void rc_urcu_defer_one(void *ctx, struct bench_obj *obj)
{
	(void)ctx;
	rc_urcu_defer(obj);
}

static void rc_urcu_thread_fini(void *ctx, bool writer)
{
	(void)ctx;
	(void)writer;
	urcu_memb_unregister_thread();
}

static void rc_urcu_drain(void)
{
	bench_urcu_resume();
	urcu_memb_barrier(); /* every call_rcu callback has run on return */
}

/* From the driver thread, which setup registered. */
static void rc_urcu_barrier(void *driver_ctx)
{
	(void)driver_ctx;
	urcu_memb_barrier();
}

/* CPU time of the default call_rcu worker (the urcu-memb row's). */
static uint64_t rc_urcu_helper_cpu(void)
{
	return bench_urcu_worker_cpu(urcu_memb_get_default_call_rcu_data());
}

/* CPU time of the per-CPU workers (the urcu-memb-pcpu row's). */
static uint64_t rc_urcu_helper_cpu_percpu(void)
{
	uint64_t sum = 0;
	long n = sysconf(_SC_NPROCESSORS_CONF);
	urcu_memb_read_lock(); /* get_cpu_call_rcu_data's contract */
	for (long cpu = 0; cpu < n; cpu++)
		sum += bench_urcu_worker_cpu(urcu_memb_get_cpu_call_rcu_data((int)cpu));
	urcu_memb_read_unlock();
	return sum;
}

static void rc_urcu_synchronize(void *ctx)
{
	(void)ctx;
	urcu_memb_synchronize_rcu();
}

#define RC_URCU_ROW(nm, sfx)                                                                            \
	{                                                                                               \
		.name = nm, .setup = rc_urcu_setup##sfx, .thread_init = rc_urcu_thread_init##sfx,       \
		.writer_loop = rc_urcu_writer, .reader_loop = rc_urcu_reader,                           \
		.thread_fini = rc_urcu_thread_fini, .drain = rc_urcu_drain, .pause = bench_urcu_pause,  \
		.resume = bench_urcu_resume, .helper_cpu_ns = rc_urcu_helper_cpu##sfx,                  \
		.defer_one = rc_urcu_defer_one, .barrier = rc_urcu_barrier, .barrier_desc = "rcu_barrier", \
	}
const struct rc_impl rc_urcu = RC_URCU_ROW("urcu-memb", );
const struct rc_impl rc_urcu_percpu = RC_URCU_ROW("urcu-memb-pcpu", _percpu);

const struct rc_gp_impl rc_gp_urcu = {
	.name = "urcu-memb",
	.call = "synchronize_rcu (urcu-memb)",
	.thread_init = rc_urcu_thread_init_percpu,
	.reader_loop = rc_urcu_reader,
	.synchronize = rc_urcu_synchronize,
	.thread_fini = rc_urcu_thread_fini,
};
