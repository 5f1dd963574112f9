/* SPDX-License-Identifier: MIT */
/*
 * bench/common/urcu_workers.h — liburcu-memb's call_rcu workers in the
 * slice drivers (bench/reclaim, bench/containers): pausing them between a
 * row's slices, so they run no callbacks during another row's slice, and
 * their CPU time, for the all-thread CPU columns.
 *
 * Pausing is liburcu's own (call_rcu_before_fork / _after_fork_parent): a
 * paused worker has finished the batch it was running, keeps what is
 * queued, and is unregistered, so it neither runs callbacks nor holds up
 * grace periods.  Include after <urcu/urcu-memb.h> (with _LGPL_SOURCE).
 */
#ifndef TERN_BENCH_URCU_WORKERS_H
#define TERN_BENCH_URCU_WORKERS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "clock.h"

static bool bench_urcu_paused;

/* Pauses every call_rcu worker (returns when they are); idempotent. */
static inline void bench_urcu_pause(void)
{
	if (!bench_urcu_paused) {
		urcu_memb_call_rcu_before_fork();
		bench_urcu_paused = true;
	}
}

static inline void bench_urcu_resume(void)
{
	if (bench_urcu_paused) {
		urcu_memb_call_rcu_after_fork_parent();
		bench_urcu_paused = false;
	}
}

/* => CPU time of the worker of crdp so far (0 if there is none). */
static inline uint64_t bench_urcu_worker_cpu(struct call_rcu_data *crdp)
{
	return crdp == NULL ? 0 : bench_thread_cpu_ns(urcu_memb_get_call_rcu_thread(crdp));
}

#endif /* TERN_BENCH_URCU_WORKERS_H */
