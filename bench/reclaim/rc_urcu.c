/* SPDX-License-Identifier: MIT */
/*
 * bench/reclaim liburcu rows: the membarrier flavour (urcu-memb) with its
 * read side inlined (_LGPL_SOURCE), call_rcu for deferral (worker threads
 * run the callbacks after grace periods), rcu_barrier to drain.  Two rows:
 * the default single call_rcu worker (urcu-memb), and one worker per CPU
 * (urcu-memb-pcpu, create_all_cpu_call_rcu_data, liburcu's scalable setup).
 * And the grace-period row, synchronize_rcu.
 *
 * Both rows can share a process (reclaim.c's interleaved slices): the
 * urcu-memb row's threads use the default call_rcu worker explicitly
 * (set_thread_call_rcu_data), the per-CPU row's threads the per-CPU
 * workers.  Between liburcu slices the workers are paused with
 * call_rcu_before_fork() / call_rcu_after_fork_parent(), liburcu's own
 * pause: a paused worker has finished the batch it was running, keeps what
 * is queued, and is unregistered, so it neither runs callbacks during
 * another library's slice nor holds up grace periods (it only wakes every
 * millisecond to look at its pause flag).  Pausing waits for the worker's
 * current batch and its 10 ms sleep between batches, outside any timed
 * window; the workers' CPU time up to the pause is counted to the row
 * (all-thread CPU column).  Both liburcu rows pause and resume together, so
 * during one row's slice the other row's worker may run the callbacks it
 * had queued (its CPU time is counted to its own row).
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
	struct rc_hdr h;
	struct rcu_head head;
	char pad[RC_OBJ_SIZE - sizeof(struct rc_hdr) - sizeof(struct rcu_head)];
};
_Static_assert(sizeof(struct rc_urcu_obj) == RC_OBJ_SIZE, "object size");

static bool rc_urcu_driver_registered, rc_urcu_percpu_made;

static void rc_urcu_cb(struct rcu_head *head)
{
	rc_destroy(&((struct rc_urcu_obj *)((char *)head - offsetof(struct rc_urcu_obj, head)))->h);
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
			fprintf(stderr, "bench_reclaim: create_all_cpu_call_rcu_data failed\n");
			exit(2);
		}
		rc_urcu_percpu_made = true;
	}
}

static void *rc_urcu_thread_init(bool writer)
{
	(void)writer;
	urcu_memb_register_thread(); /* call_rcu requires a registered thread */
	/* The default worker even when per-CPU workers exist in the process. */
	urcu_memb_set_thread_call_rcu_data(urcu_memb_get_default_call_rcu_data());
	return NULL;
}

static void *rc_urcu_thread_init_percpu(bool writer)
{
	(void)writer;
	urcu_memb_register_thread();
	/* No thread-specific worker: call_rcu picks the current CPU's. */
	return NULL;
}

static inline void rc_urcu_defer(struct rc_hdr *old)
{
	urcu_memb_call_rcu(&((struct rc_urcu_obj *)old)->head, rc_urcu_cb);
}

static uint64_t rc_urcu_writer(void *ctx)
{
	(void)ctx;
	uint64_t n = 0;
	do { /* at least one batch, however late the thread starts */
		for (int i = 0; i < RC_BATCH; i++) {
			struct rc_hdr *o = rc_new(sizeof(struct rc_urcu_obj), n + (uint64_t)i);
			/* Acq_rel: release publishes o's magic to the reader's acquire
			 * load in rc_urcu_reader(); acquire takes ownership of old. */
			struct rc_hdr *old = atomic_exchange_explicit(&rc_slot, o, memory_order_acq_rel);
			if (old != NULL)
				rc_urcu_defer(old);
		}
		n += RC_BATCH;
	} while (!rc_stopped());
	return n;
}

static void rc_urcu_defer_one(void *ctx, struct rc_hdr *obj)
{
	(void)ctx;
	rc_urcu_defer(obj);
}

static uint64_t rc_urcu_reader(void *ctx)
{
	(void)ctx;
	uint64_t n = 0, last = 0;
	do {
		for (int i = 0; i < RC_READ_BATCH; i++) {
			urcu_memb_read_lock();
			/* Acquire: pairs with the release half of the writers' exchange. */
			rc_check(atomic_load_explicit(&rc_slot, memory_order_acquire));
			urcu_memb_read_unlock();
		}
		n += RC_READ_BATCH;
	} while (!rc_reader_stopped(&last));
	return n;
}

static void rc_urcu_thread_fini(void *ctx, bool writer)
{
	(void)ctx;
	(void)writer;
	urcu_memb_unregister_thread();
}

static void rc_urcu_pause(void)
{
	bench_urcu_pause();
}

static void rc_urcu_resume(void)
{
	bench_urcu_resume();
}

static void rc_urcu_drain(void)
{
	rc_urcu_resume();
	urcu_memb_barrier(); /* every call_rcu callback has run on return */
}

static void rc_urcu_barrier(void *driver_ctx)
{
	(void)driver_ctx;
	urcu_memb_barrier();
}

static void *rc_urcu_driver_init(void)
{
	return NULL; /* setup registered the driver thread */
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

static void rc_urcu_gp_setup(void)
{
}

/* Registers the thread (readers and the synchronize loop); no call_rcu. */
static void *rc_urcu_gp_thread_init(bool syncer)
{
	(void)syncer;
	urcu_memb_register_thread();
	return NULL;
}

const struct rc_impl rc_urcu = {
	.name = "urcu-memb",
	.setup = rc_urcu_setup,
	.thread_init = rc_urcu_thread_init,
	.writer_loop = rc_urcu_writer,
	.reader_loop = rc_urcu_reader,
	.thread_fini = rc_urcu_thread_fini,
	.drain = rc_urcu_drain,
	.pause = rc_urcu_pause,
	.resume = rc_urcu_resume,
	.helper_cpu_ns = rc_urcu_helper_cpu,
	.defer_one = rc_urcu_defer_one,
	.barrier = rc_urcu_barrier,
	.barrier_desc = "rcu_barrier",
	.driver_init = rc_urcu_driver_init,
};

const struct rc_impl rc_urcu_percpu = {
	.name = "urcu-memb-pcpu",
	.setup = rc_urcu_setup_percpu,
	.thread_init = rc_urcu_thread_init_percpu,
	.writer_loop = rc_urcu_writer,
	.reader_loop = rc_urcu_reader,
	.thread_fini = rc_urcu_thread_fini,
	.drain = rc_urcu_drain,
	.pause = rc_urcu_pause,
	.resume = rc_urcu_resume,
	.helper_cpu_ns = rc_urcu_helper_cpu_percpu,
	.defer_one = rc_urcu_defer_one,
	.barrier = rc_urcu_barrier,
	.barrier_desc = "rcu_barrier",
	.driver_init = rc_urcu_driver_init,
};

const struct rc_gp_impl rc_gp_urcu = {
	.name = "urcu-memb",
	.call = "synchronize_rcu (urcu-memb)",
	.setup = rc_urcu_gp_setup,
	.thread_init = rc_urcu_gp_thread_init,
	.reader_loop = rc_urcu_reader,
	.synchronize = rc_urcu_synchronize,
	.thread_fini = rc_urcu_thread_fini,
};
