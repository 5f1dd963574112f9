/* SPDX-License-Identifier: MIT */
/*
 * bench/common/clock.h — the clocks of every bench driver: wall time
 * (CLOCK_MONOTONIC), the calling thread's CPU time, another thread's CPU
 * time, and sleeping.  Header-only; benchmark code, not library code.
 */
#ifndef TERN_BENCH_CLOCK_H
#define TERN_BENCH_CLOCK_H

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

static inline uint64_t bench_clock_ns(clockid_t clk)
{
	struct timespec ts;
	if (clock_gettime(clk, &ts) != 0)
		abort();
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Wall clock (vDSO, cheap). */
static inline uint64_t bench_wall_ns(void)
{
	return bench_clock_ns(CLOCK_MONOTONIC);
}

/* The calling thread's CPU time (a system call: use around loops only). */
static inline uint64_t bench_cpu_ns(void)
{
	return bench_clock_ns(CLOCK_THREAD_CPUTIME_ID);
}

/* => CPU time of thread `tid` so far (0 if its clock cannot be read). */
static inline uint64_t bench_thread_cpu_ns(pthread_t tid)
{
	clockid_t clk;
	struct timespec ts;
	if (pthread_getcpuclockid(tid, &clk) != 0 || clock_gettime(clk, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void bench_sleep_ns(uint64_t ns)
{
	struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

#endif /* TERN_BENCH_CLOCK_H */
