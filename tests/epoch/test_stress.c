/* SPDX-License-Identifier: MIT */
/*
 * Epoch GC under stress: readers borrow objects from shared slots while
 * writers replace and defer them (a reader that sees a poisoned object
 * aborts), thread churn, a stalled pin, and fork with pinned threads.
 * Built twice: membarrier mode, and forced-fence mode (mk/epoch.mk).
 */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>

#include "tern/epoch.h"
#include "../common/tern_obj.h"
#include "../common/tern_test.h"

#define NSLOTS 8

static struct obj *_Atomic slots[NSLOTS];
static atomic_bool stop;
static atomic_long reads;

static void *reader(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;
	long n = 0;
	/* Relaxed: a stop flag; no data is published through it. */
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		tern_epoch_pin();
		for (int k = 0; k < 16; k++) {
			seed = seed * 1103515245u + 12345u;
			/* Acquire: pairs with the release in the writer's exchange. */
			struct obj *o = atomic_load_explicit(&slots[seed % NSLOTS], memory_order_acquire);
			if (o == NULL)
				continue;
			obj_check(o, "reader");
			n++;
		}
		tern_epoch_unpin();
	}
	atomic_fetch_add(&reads, n);
	return NULL;
}

static unsigned long writes_per_writer;

/* Advances the epoch independently of the writers, so that it can move
 * between a writer's pin and its swap (the interleaving the SPIN model
 * needs a separate collector to reach). */
static void *collector(void *arg)
{
	(void)arg;
	/* Relaxed: a stop flag; no data is published through it. */
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		tern_epoch_collect();
		sched_yield();
	}
	return NULL;
}

static void *writer(void *arg)
{
	uint64_t v = (uintptr_t)arg << 40;
	for (unsigned long i = 0; i < writes_per_writer; i++) {
		struct obj *o = obj_new(++v);
		/* Acq_rel: release publishes o to readers (pairs with their acquire
		 * load); acquire takes ownership of the old object. */
		struct obj *old = atomic_exchange_explicit(&slots[i % NSLOTS], o, memory_order_acq_rel);
		if (i % 3 == 0)
			tern_epoch_pin(); /* defer both pinned and unpinned */
		tern_epoch_defer(old, obj_destroy);
		if (i % 3 == 0)
			tern_epoch_unpin();
	}
	return NULL;
}

Test(epoch_stress, readers_never_see_retired_objects, .timeout = 240)
{
#ifdef TERN_EPOCH_FORCE_FENCE
	cr_assert_not(tern_epoch_uses_membarrier(), "fence build must not use membarrier");
#endif
	for (int i = 0; i < NSLOTS; i++)
		atomic_store(&slots[i], obj_new((uint64_t)i));
	writes_per_writer = tern_test_iters(300000);
	pthread_t r[4], w[2], c;
	for (uintptr_t i = 0; i < 4; i++)
		pthread_create(&r[i], NULL, reader, (void *)(i + 1));
	pthread_create(&c, NULL, collector, NULL);
	for (uintptr_t i = 0; i < 2; i++)
		pthread_create(&w[i], NULL, writer, (void *)(i + 1));
	long peak = 0;
	for (int i = 0; i < 2; i++)
		pthread_join(w[i], NULL);
	struct tern_epoch_stats st;
	tern_epoch_stats(&st);
	peak = (long)st.pending;
	atomic_store(&stop, true);
	for (int i = 0; i < 4; i++)
		pthread_join(r[i], NULL);
	pthread_join(c, NULL);
	for (int i = 0; i < NSLOTS; i++)
		tern_epoch_defer(atomic_exchange(&slots[i], NULL), obj_destroy);
	tern_epoch_barrier();
	cr_assert_eq(atomic_load(&destroyed), atomic_load(&allocated),
		     "allocated %ld, destroyed %ld", atomic_load(&allocated), atomic_load(&destroyed));
	cr_assert_gt(atomic_load(&reads), 0);
	tern_epoch_stats(&st);
	cr_assert_eq(st.pending, 0);
	cr_log_info("reads %ld, writes %lu, pending after writers %ld, advances %llu",
		    atomic_load(&reads), 2 * writes_per_writer, peak, (unsigned long long)st.advances);
}

/* ---- thread churn: 10,000 short-lived threads ---- */

#define CHURN_CONCURRENCY 8
static atomic_uint max_registered;

static void *churner(void *arg)
{
	(void)arg;
	for (int i = 0; i < 5; i++) {
		tern_epoch_pin();
		tern_epoch_defer(obj_new((uint64_t)i), obj_destroy);
		tern_epoch_unpin();
	}
	struct tern_epoch_stats st;
	tern_epoch_stats(&st);
	unsigned m = atomic_load(&max_registered);
	while (st.registered_threads > m && !atomic_compare_exchange_weak(&max_registered, &m, st.registered_threads))
		;
	return NULL; /* exits holding garbage */
}

Test(epoch_stress, thread_churn_reclaims_everything_and_recycles_records, .timeout = 240)
{
	unsigned long total = tern_test_iters(10000);
	tern_epoch_pin(); /* the main thread is registered too */
	tern_epoch_unpin();
	for (unsigned long done = 0; done < total; done += CHURN_CONCURRENCY) {
		pthread_t t[CHURN_CONCURRENCY];
		for (int i = 0; i < CHURN_CONCURRENCY; i++)
			if (pthread_create(&t[i], NULL, churner, NULL) != 0)
				abort();
		for (int i = 0; i < CHURN_CONCURRENCY; i++)
			pthread_join(t[i], NULL);
	}
	tern_epoch_barrier();
	cr_assert_eq(atomic_load(&destroyed), atomic_load(&allocated));
	struct tern_epoch_stats st;
	tern_epoch_stats(&st);
	cr_assert_eq(st.pending, 0);
	cr_assert_leq(atomic_load(&max_registered), CHURN_CONCURRENCY + 1,
		      "registry grew to %u records with at most %d concurrent threads",
		      atomic_load(&max_registered), CHURN_CONCURRENCY + 1);
	cr_assert_eq(st.registered_threads, 1, "only the main thread remains registered");
}

/* ---- stall: a thread that stays pinned is named by the statistics ---- */

static atomic_int stall_phase;
static atomic_long stall_tid;

static void *staller(void *arg)
{
	(void)arg;
	tern_epoch_pin();
	atomic_store(&stall_tid, (long)syscall(SYS_gettid));
	atomic_store(&stall_phase, 1);
	while (atomic_load(&stall_phase) != 2)
		sched_yield();
	tern_epoch_unpin();
	return NULL;
}

Test(epoch_stress, stalled_pin_is_reported_and_recovered, .timeout = 120)
{
	pthread_t t;
	pthread_create(&t, NULL, staller, NULL);
	while (atomic_load(&stall_phase) != 1)
		sched_yield();
	for (int i = 0; i < 3000; i++)
		tern_epoch_defer(obj_new((uint64_t)i), obj_destroy);
	for (int i = 0; i < 10; i++) {
		tern_epoch_collect();
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	struct tern_epoch_stats st;
	tern_epoch_stats(&st);
	cr_assert_gt(st.pending, 0, "nothing pending although a reader stalls reclamation");
	cr_assert_eq(st.stall_tid, atomic_load(&stall_tid), "stats name tid %ld, stalled thread is %ld",
		     st.stall_tid, atomic_load(&stall_tid));
	cr_assert_gt(st.stall_refusals, 0);
	cr_assert_gt(st.failed_advances, 0);
	atomic_store(&stall_phase, 2);
	pthread_join(t, NULL);
	tern_epoch_barrier();
	tern_epoch_stats(&st);
	cr_assert_eq(st.pending, 0);
	cr_assert_eq(st.stall_tid, 0);
	cr_assert_eq(atomic_load(&destroyed), atomic_load(&allocated));
}

/* ---- fork while other threads hold pins ---- */

static atomic_int fork_phase;

static void *pinned_holder(void *arg)
{
	(void)arg;
	tern_epoch_pin();
	for (int i = 0; i < 100; i++)
		tern_epoch_defer(obj_new((uint64_t)i), obj_destroy);
	atomic_fetch_add(&fork_phase, 1);
	while (atomic_load(&fork_phase) < 100)
		sched_yield();
	tern_epoch_unpin();
	return NULL;
}

Test(epoch_stress, fork_child_keeps_working_with_pinned_parent_threads, .timeout = 120)
{
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, pinned_holder, NULL);
	while (atomic_load(&fork_phase) < 2)
		sched_yield();
	long before = atomic_load(&destroyed);
	pid_t pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		alarm(30); /* a deadlock in the child fails the test instead of hanging */
		tern_epoch_pin();
		for (int i = 0; i < 1000; i++)
			tern_epoch_defer(obj_new((uint64_t)i), obj_destroy);
		tern_epoch_unpin();
		tern_epoch_barrier();
		struct tern_epoch_stats st;
		tern_epoch_stats(&st);
		/* The child's own 1000 plus the dead threads' 200 are destroyed. */
		long got = atomic_load(&destroyed) - before;
		if (got != 1200 || st.pending != 0 || st.registered_threads != 1) {
			fprintf(stderr, "child: destroyed %ld, pending %llu, registered %u\n", got,
				(unsigned long long)st.pending, st.registered_threads);
			_exit(1);
		}
		_exit(0);
	}
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	atomic_store(&fork_phase, 100);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child failed (status %d)", status);
	tern_epoch_barrier();
	cr_assert_eq(atomic_load(&destroyed), atomic_load(&allocated));
}
