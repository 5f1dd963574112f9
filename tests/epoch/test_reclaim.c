/* SPDX-License-Identifier: MIT */
/*
 * Reclamation that keeps up (issue 11): the barrier over every thread, no
 * stranded garbage, quiescent-state (QSBR) readers and polled grace periods,
 * through the public API only (tern/epoch.h, tern/atomic_cell.h,
 * tern/lazy_transform.h).
 *
 *   barrier_*        tern_epoch_barrier() / tern_epoch_domain_barrier()
 *                    destroy what live, blocked threads deferred (their open
 *                    lists included) and what running threads deferred
 *                    before the call while they keep deferring, flushing
 *                    and collecting; they wait for pinned and online
 *                    threads, and for older garbage another thread is
 *                    destroying
 *   idle_thread_*    a blocked thread's sealed garbage is destroyed by other
 *                    threads' collections; at most TERN_EPOCH_BAG_CAP of its
 *                    objects wait for it
 *   online_* qsbr_*  online threads count as pinned (is_pinned, borrow APIs,
 *                    nested pins); readers that never pin see no retired
 *                    object while writers defer, synchronize and reuse
 *                    memory after polled grace periods
 *   poll_*           cookies: not complete while a reader that was pinned
 *                    (or online) when the cookie was taken stays so,
 *                    complete once it unpins (passes a quiescent state),
 *                    and complete by polling alone with no reader
 *
 * Every count is exact (destructor counts, stats after a barrier).  Readers
 * abort on a poisoned object; helper threads abort() instead of asserting
 * (an assertion cannot be raised from another thread).  Waits are bounded
 * (a failure, not a hang), backed by Criterion's timeout.  The misuse death
 * tests of the new calls are in tests/misuse/test_misuse.c.
 *
 * Built twice: membarrier mode, and forced-fence mode against a library
 * built with TERN_EPOCH_FORCE_FENCE (mk/epoch.mk, epoch_test_reclaim_fence;
 * the QSBR stress then also checks that the library does not use
 * membarrier).
 */
#include <criterion/criterion.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "tern/atomic_cell.h"
#include "tern/epoch.h"
#include "tern/lazy_transform.h"
#include "../common/tern_obj.h"
#include "../common/tern_test.h"

/* ------------------------------------------- objects (tests/common/tern_obj.h) */

static long load_relaxed(atomic_long *v)
{
	/* Relaxed: read after a join or a barrier, which order it. */
	return atomic_load_explicit(v, memory_order_relaxed);
}

static long owner_destroyed(unsigned owner)
{
	/* Acquire: pairs with the release increment in obj_destroy(). */
	return atomic_load_explicit(&destroyed_by[owner], memory_order_acquire);
}

/* ------------------------------------------------------------ helpers */

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
	while (nanosleep(&ts, &ts) != 0)
		;
}

static atomic_bool stop;

static bool stopped(void)
{
	/* Relaxed: a stop flag; no data is published through it. */
	return atomic_load_explicit(&stop, memory_order_relaxed);
}

/* A rendezvous: helpers arrive and block on the condition variable (they do
 * not exit) until the test opens the gate. */
struct gate {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int arrived;
	bool open;
};

static struct gate gate = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, false };

static void gate_arrive_and_block(struct gate *g)
{
	pthread_mutex_lock(&g->mu);
	g->arrived++;
	pthread_cond_broadcast(&g->cv);
	while (!g->open)
		pthread_cond_wait(&g->cv, &g->mu);
	pthread_mutex_unlock(&g->mu);
}

/* => whether n helpers arrived within `seconds`. */
static bool gate_wait_arrived(struct gate *g, int n, int seconds)
{
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += seconds;
	pthread_mutex_lock(&g->mu);
	int rc = 0;
	while (g->arrived < n && rc == 0)
		rc = pthread_cond_timedwait(&g->cv, &g->mu, &dl);
	bool ok = g->arrived >= n;
	pthread_mutex_unlock(&g->mu);
	return ok;
}

static void gate_open(struct gate *g)
{
	pthread_mutex_lock(&g->mu);
	g->open = true;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
}

/* A step counter for the lock-step tests: the test sets a command, the
 * helper acknowledges it. */
static atomic_int cmd, ack;

static void set_int(atomic_int *v, int x)
{
	/* Release: pairs with the acquire load in wait_int(): what the setter
	 * did before (pins, defers, cookies) happens before the waiter goes
	 * on. */
	atomic_store_explicit(v, x, memory_order_release);
}

static int get_int(atomic_int *v)
{
	/* Acquire: pairs with the release store in set_int(). */
	return atomic_load_explicit(v, memory_order_acquire);
}

/* Waits until *v >= x; => false after `seconds`. */
static bool wait_int(atomic_int *v, int x, int seconds)
{
	uint64_t end = now_ns() + (uint64_t)seconds * 1000000000u;
	while (get_int(v) < x) {
		if (now_ns() > end)
			return false;
		sched_yield();
	}
	return true;
}

/* The helper side: waits (without a deadline: the test's timeout is the
 * watchdog) for the command x. */
static void helper_wait_cmd(int x)
{
	while (get_int(&cmd) < x)
		sched_yield();
}

/* Domain-generic wrappers: d == NULL means the default-domain calls. */
static void x_defer(tern_epoch_domain_t *d, void *o)
{
	if (d)
		tern_epoch_domain_defer(d, o, obj_destroy);
	else
		tern_epoch_defer(o, obj_destroy);
}

/* x_<op>(d): tern_epoch_domain_<op>(d), or tern_epoch_<op>() for d == NULL. */
#define X_CALL(op)                                  \
	static void x_##op(tern_epoch_domain_t *d)  \
	{                                           \
		if (d)                              \
			tern_epoch_domain_##op(d);  \
		else                                \
			tern_epoch_##op();          \
	}
X_CALL(barrier)
X_CALL(pin)
X_CALL(unpin)
X_CALL(online)
X_CALL(quiescent)
X_CALL(offline)

static void x_stats(tern_epoch_domain_t *d, struct tern_epoch_stats *st)
{
	if (d)
		tern_epoch_domain_stats(d, st);
	else
		tern_epoch_stats(st);
}

static uint64_t x_get_state(tern_epoch_domain_t *d)
{
	return d ? tern_epoch_domain_get_state(d) : tern_epoch_get_state();
}

static bool x_poll_state(tern_epoch_domain_t *d, uint64_t cookie)
{
	return d ? tern_epoch_domain_poll_state(d, cookie) : tern_epoch_poll_state(cookie);
}

/* Requires the exact state after a barrier: nothing pending, nothing
 * orphaned, every allocated object destroyed once. */
static void expect_all_destroyed(tern_epoch_domain_t *d, const char *when)
{
	cr_assert_eq(load_relaxed(&destroyed), load_relaxed(&allocated), "%s: allocated %ld, destroyed %ld", when,
		     load_relaxed(&allocated), load_relaxed(&destroyed));
	struct tern_epoch_stats st;
	x_stats(d, &st);
	cr_assert_eq(st.pending, 0, "%s: %llu pending", when, (unsigned long long)st.pending);
	cr_assert_eq(st.orphaned, 0, "%s: %llu orphaned", when, (unsigned long long)st.orphaned);
}

/* ============================================ barrier over live threads */

#define LIVE_THREADS 4

static tern_epoch_domain_t *live_dom;

/* Per-thread counts: fewer than one bag, exactly one bag, full bags plus a
 * partial one (the open list); every fifth object is deferred pinned. */
static const unsigned live_counts[LIVE_THREADS] = { 10, TERN_EPOCH_BAG_CAP, 300, 1001 };

static struct gate second_gate = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, false };

/* Defers its share, blocks (alive, holding its open list), then defers
 * again through the record whose open list the barrier took, and blocks
 * again. */
static void *live_deferrer(void *arg)
{
	unsigned i = (unsigned)(uintptr_t)arg;
	for (unsigned k = 0; k < live_counts[i]; k++) {
		bool pinned = k % 5 == 0;
		if (pinned)
			x_pin(live_dom);
		x_defer(live_dom, obj_new(k));
		if (pinned)
			x_unpin(live_dom);
	}
	gate_arrive_and_block(&gate);
	for (unsigned k = 0; k < 100; k++)
		x_defer(live_dom, obj_new(k));
	x_pin(live_dom);
	x_defer(live_dom, obj_new(0));
	x_unpin(live_dom);
	gate_arrive_and_block(&second_gate);
	return NULL;
}

static void barrier_covers_live(tern_epoch_domain_t *d)
{
	live_dom = d;
	pthread_t t[LIVE_THREADS];
	for (uintptr_t i = 0; i < LIVE_THREADS; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, live_deferrer, (void *)i), 0);
	cr_assert(gate_wait_arrived(&gate, LIVE_THREADS, 30), "the deferring threads did not all arrive");
	long total = 0;
	for (int i = 0; i < LIVE_THREADS; i++)
		total += live_counts[i];
	cr_assert_eq(load_relaxed(&allocated), total);
	struct tern_epoch_stats st;
	x_stats(d, &st);
	cr_assert_geq(st.registered_threads, LIVE_THREADS, "the deferring threads are alive and registered");
	cr_assert_gt(st.pending - st.orphaned, 0, "the blocked threads hold unsealed garbage before the barrier");

	x_barrier(d);

	expect_all_destroyed(d, "after the barrier, deferring threads blocked");
	x_stats(d, &st);
	cr_assert_eq(st.destroyed, (uint64_t)total, "stats count %llu destroyed of %ld",
		     (unsigned long long)st.destroyed, total);
	cr_assert_geq(st.registered_threads, LIVE_THREADS, "the threads are still alive");

	/* The threads wake, defer again through the records whose open lists
	 * the barrier took, and block again; a second barrier covers that. */
	gate_open(&gate);
	cr_assert(gate_wait_arrived(&second_gate, LIVE_THREADS, 30), "the woken threads did not all arrive");
	x_barrier(d);
	expect_all_destroyed(d, "after the second barrier");
	cr_assert_eq(load_relaxed(&allocated), total + LIVE_THREADS * 101);
	gate_open(&second_gate);
	for (int i = 0; i < LIVE_THREADS; i++)
		pthread_join(t[i], NULL);
	x_barrier(d);
	expect_all_destroyed(d, "after the threads exited");
}

Test(epoch_reclaim, barrier_covers_live_blocked_threads, .timeout = 60)
{
	barrier_covers_live(NULL);
}

Test(epoch_reclaim, domain_barrier_covers_live_blocked_threads, .timeout = 60)
{
	tern_epoch_domain_t *d;
	cr_assert_eq(tern_epoch_domain_create(&d), 0);
	barrier_covers_live(d);
	tern_epoch_domain_destroy(d);
}

/* ================================ barrier waits for pinned / online threads */

static atomic_int barrier_returned;
static tern_epoch_domain_t *bw_dom;

static void *barrier_caller(void *arg)
{
	(void)arg;
	x_barrier(bw_dom);
	set_int(&barrier_returned, 1);
	return NULL;
}

/* Pins (or goes online with `online`), holds it until told, then ends it
 * with an unpin (a quiescent state) and stays alive until the end. */
static void *holding_reader(void *arg)
{
	bool online = arg != NULL;
	if (online)
		x_online(bw_dom);
	else
		x_pin(bw_dom);
	set_int(&ack, 1);
	helper_wait_cmd(1);
	if (online)
		x_quiescent(bw_dom);
	else
		x_unpin(bw_dom);
	set_int(&ack, 2);
	helper_wait_cmd(2);
	if (online)
		x_offline(bw_dom);
	return NULL;
}

static void barrier_waits_for(tern_epoch_domain_t *d, bool online)
{
	bw_dom = d;
	pthread_t r, b;
	cr_assert_eq(pthread_create(&r, NULL, holding_reader, online ? (void *)1 : NULL), 0);
	cr_assert(wait_int(&ack, 1, 30), "the reader did not start");
	/* Deferred after the reader's pin began (ordered by ack): none may be
	 * destroyed while the pin lasts. */
	for (int i = 0; i < 200; i++)
		x_defer(d, obj_new((uint64_t)i));
	cr_assert_eq(pthread_create(&b, NULL, barrier_caller, NULL), 0);
	/* The barrier must still be waiting while the reader holds on (half a
	 * second: a hang is what the second half of the test catches). */
	for (int i = 0; i < 100; i++) {
		sleep_us(5000);
		cr_assert_eq(get_int(&barrier_returned), 0, "the barrier returned while a reader was %s",
			     online ? "online" : "pinned");
		cr_assert_eq(owner_destroyed(0), 0, "an object was destroyed under a %s reader",
			     online ? "online" : "pinned");
	}
	set_int(&cmd, 1);
	cr_assert(wait_int(&ack, 2, 30), "the reader did not %s", online ? "pass a quiescent state" : "unpin");
	/* Watchdog: the barrier must return now. */
	cr_assert(wait_int(&barrier_returned, 1, 20), "the barrier did not return after the reader %s",
		  online ? "passed a quiescent state" : "unpinned");
	pthread_join(b, NULL);
	expect_all_destroyed(d, "after the barrier");
	set_int(&cmd, 2);
	pthread_join(r, NULL);
}

Test(epoch_reclaim, barrier_waits_for_a_pinned_thread, .timeout = 60)
{
	barrier_waits_for(NULL, false);
}

Test(epoch_reclaim, barrier_waits_for_an_online_thread_until_quiescent, .timeout = 60)
{
	barrier_waits_for(NULL, true);
}

Test(epoch_reclaim, domain_barrier_waits_for_an_online_thread_until_quiescent, .timeout = 60)
{
	tern_epoch_domain_t *d;
	cr_assert_eq(tern_epoch_domain_create(&d), 0);
	barrier_waits_for(d, true);
	tern_epoch_domain_destroy(d);
}

/* ====== barrier waits for older garbage another thread is destroying now */

/*
 * X is deferred and flushed long before another thread's barrier starts,
 * and the barrier starts while X's destructor is running (on this thread),
 * so it may return only once that destructor has finished.  X's destructor
 * waits until the barrier returns (or 1 s passes): a barrier that does not
 * wait for it returns with X still being destroyed.
 *
 * How X comes to be destroyed by an unrelated flush in this implementation:
 * X is sealed with tag t0; synchronize advances the epoch (without
 * reclaiming) to t0 + 6; the next seal lands in X's bin (t0 % 3), finds X
 * due, and destroys it on the sealing thread, outside the bins and outside
 * the "busy" batches that the barrier waits for.
 */
static atomic_int slow_started, slow_finished, barrier_saw_finished;

static void slow_destroy(void *p)
{
	set_int(&slow_started, 1);
	uint64_t end = now_ns() + 1000000000u;
	while (get_int(&barrier_returned) == 0 && now_ns() < end)
		sleep_us(1000);
	set_int(&slow_finished, 1);
	obj_destroy(p);
}

static void *barrier_after_slow_start(void *arg)
{
	(void)arg;
	while (get_int(&slow_started) == 0)
		sched_yield();
	tern_epoch_barrier();
	set_int(&barrier_saw_finished, get_int(&slow_finished));
	set_int(&barrier_returned, 1);
	return NULL;
}

Test(epoch_reclaim, barrier_waits_for_an_older_object_another_thread_is_destroying, .timeout = 60)
{
	struct tern_epoch_stats st;
	tern_epoch_defer(obj_new(1), slow_destroy);
	tern_epoch_flush(); /* sealed into the domain with tag t0 */
	tern_epoch_stats(&st);
	uint64_t t0 = st.epoch;
	cr_assert_eq(st.orphaned, 1);
	do {
		tern_epoch_synchronize();
		tern_epoch_stats(&st);
	} while (st.epoch < t0 + 3 || (st.epoch - t0) % 3 != 0);
	pthread_t b;
	cr_assert_eq(pthread_create(&b, NULL, barrier_after_slow_start, NULL), 0);
	tern_epoch_defer(obj_new(2), obj_destroy);
	tern_epoch_flush(); /* lands in X's bin: X is destroyed here, slowly */
	if (get_int(&slow_started) == 0) {
		/* X not destroyed by the flush (another implementation): let
		 * the barrier thread go after a collection destroys it. */
		tern_epoch_barrier();
	}
	pthread_join(b, NULL);
	cr_assert_eq(get_int(&barrier_saw_finished), 1,
		     "tern_epoch_barrier() returned while an object deferred before it was still being destroyed");
	tern_epoch_barrier();
	expect_all_destroyed(NULL, "at the end");
}

/* ======== barrier vs. threads that keep deferring, flushing and collecting */

/*
 * Deferring threads publish, after each defer, how many objects they have
 * deferred; the test reads those counts, calls the barrier, and requires at
 * least that many of each thread's objects destroyed on return (they were
 * deferred before the call).  The deferring threads also pin, flush and
 * collect, so their own sealing races the barrier's taking of their lists.
 */
#define RACE_THREADS 3

static atomic_long race_deferred[RACE_THREADS];

static unsigned next_rand(unsigned *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed >> 8;
}

static void *racing_deferrer(void *arg)
{
	unsigned id = (unsigned)(uintptr_t)arg;
	long k = load_relaxed(&race_deferred[id]); /* continues the previous generation's count */
	unsigned seed = id * 2654435761u + (unsigned)k + 1;
	while (!stopped()) {
		unsigned r = next_rand(&seed);
		bool pin = r % 7 == 0;
		if (pin)
			tern_epoch_pin();
		tern_epoch_defer(obj_new_owned((uint64_t)k, id + 1), obj_destroy);
		if (pin)
			tern_epoch_unpin();
		++k;
		/* Release: pairs with the acquire load in the test: the defer
		 * happens before the barrier that follows that load. */
		atomic_store_explicit(&race_deferred[id], k, memory_order_release);
		/* Irregular flushes, collections and yields, so that the
		 * barriers meet every phase of the owner's own sealing. */
		r >>= 3;
		if (r % 13 == 0)
			tern_epoch_flush();
		else if (r % 61 == 0)
			tern_epoch_collect();
		if ((r >> 6) % 29 == 0)
			sched_yield();
	}
	return NULL;
}

Test(epoch_reclaim, barrier_covers_objects_deferred_concurrently_before_it, .timeout = 120)
{
	/* Generations of fresh threads (new records, empty bag caches): the
	 * first rounds after the threads start are the most irregular. */
	unsigned long gens = tern_test_iters(40), rounds = 100, done = 0;
	long missed = 0;
	unsigned seed = 12345;
	for (unsigned long gen = 0; gen < gens && missed == 0; gen++) {
		/* Relaxed: the previous generation has been joined. */
		atomic_store_explicit(&stop, false, memory_order_relaxed);
		pthread_t t[RACE_THREADS];
		long before[RACE_THREADS];
		for (uintptr_t i = 0; i < RACE_THREADS; i++) {
			before[i] = load_relaxed(&race_deferred[i]);
			cr_assert_eq(pthread_create(&t[i], NULL, racing_deferrer, (void *)i), 0);
		}
		for (unsigned long n = 0; n < rounds && missed == 0; n++, done++) {
			/* Each barrier races fresh defers of every thread. */
			for (int i = 0; i < RACE_THREADS; i++) {
				long b;
				/* Acquire: pairs with the release store in
				 * racing_deferrer(). */
				while ((b = atomic_load_explicit(&race_deferred[i], memory_order_acquire)) == before[i])
					sched_yield();
				before[i] = b;
			}
			for (unsigned spin = next_rand(&seed) % 512; spin > 0; spin--)
				__asm__ __volatile__("" ::: "memory"); /* vary the phase */
			tern_epoch_barrier();
			for (int i = 0; i < RACE_THREADS; i++) {
				long got = owner_destroyed((unsigned)i + 1);
				if (got < before[i]) {
					missed += before[i] - got;
					cr_log_error("generation %lu, round %lu: thread %d had deferred %ld before the "
						     "barrier, %ld destroyed on return",
						     gen, n, i, before[i], got);
				}
			}
		}
		/* Relaxed: a stop flag; the joins order the rest. */
		atomic_store_explicit(&stop, true, memory_order_relaxed);
		for (int i = 0; i < RACE_THREADS; i++)
			pthread_join(t[i], NULL);
	}
	cr_log_info("%lu barriers; deferred %ld, %ld, %ld", done, load_relaxed(&race_deferred[0]),
		    load_relaxed(&race_deferred[1]), load_relaxed(&race_deferred[2]));
	cr_assert_eq(missed, 0, "the barrier returned with %ld objects deferred before it not destroyed", missed);
	tern_epoch_barrier();
	expect_all_destroyed(NULL, "after the threads exited");
}

/* ============================== idle thread's garbage: destroyed by others */

#define IDLE_OBJECTS 1000
#define IDLE_OWNER 1

static void *idle_deferrer(void *arg)
{
	(void)arg;
	for (int i = 0; i < IDLE_OBJECTS; i++)
		tern_epoch_defer(obj_new_owned((uint64_t)i, IDLE_OWNER), obj_destroy);
	gate_arrive_and_block(&gate); /* idle until the test ends */
	return NULL;
}

/* Never defers (and so never registers): collects only. */
static void *pure_collector(void *arg)
{
	(void)arg;
	while (!stopped()) {
		tern_epoch_collect();
		sched_yield();
	}
	return NULL;
}

/* Defers its own objects (collecting implicitly every
 * TERN_EPOCH_COLLECT_DEFERS defers) and, with arg, also calls collect. */
static void *busy_deferrer(void *arg)
{
	uint64_t v = 0;
	while (!stopped()) {
		for (int i = 0; i < 64; i++)
			tern_epoch_defer(obj_new(++v), obj_destroy);
		if (arg)
			tern_epoch_collect();
		sched_yield();
	}
	return NULL;
}

static void idle_garbage_collected_by(void *(*worker)(void *), void *warg, int nworkers)
{
	pthread_t idle, w[4];
	cr_assert_eq(pthread_create(&idle, NULL, idle_deferrer, NULL), 0);
	cr_assert(gate_wait_arrived(&gate, 1, 30), "the idle thread did not finish deferring");
	long early = owner_destroyed(IDLE_OWNER);
	for (int i = 0; i < nworkers; i++)
		cr_assert_eq(pthread_create(&w[i], NULL, worker, warg), 0);
	/* Bounded wait: other threads' collections must destroy everything the
	 * idle thread sealed, i.e. all but at most one bag of it. */
	const long want = IDLE_OBJECTS - TERN_EPOCH_BAG_CAP;
	uint64_t end = now_ns() + 10000000000u;
	while (owner_destroyed(IDLE_OWNER) < want && now_ns() < end)
		sleep_us(1000);
	long got = owner_destroyed(IDLE_OWNER);
	/* Relaxed: a stop flag; the joins order the rest. */
	atomic_store_explicit(&stop, true, memory_order_relaxed);
	for (int i = 0; i < nworkers; i++)
		pthread_join(w[i], NULL);
	cr_log_info("idle thread: %ld of %d destroyed before it woke (%ld during its own defers)", got,
		    IDLE_OBJECTS, early);
	cr_assert_geq(got, want, "only %ld of the idle thread's %d objects destroyed by others (want >= %ld)", got,
		      IDLE_OBJECTS, want);
	/* Exact while nothing moves: the idle thread's remaining objects are
	 * pending, and only its open list (at most one bag) is unsealed. */
	struct tern_epoch_stats st;
	tern_epoch_stats(&st);
	long idle_left = IDLE_OBJECTS - owner_destroyed(IDLE_OWNER);
	cr_assert_eq((long)st.pending, load_relaxed(&allocated) - load_relaxed(&destroyed),
		     "stats pending %llu, allocated - destroyed %ld", (unsigned long long)st.pending,
		     load_relaxed(&allocated) - load_relaxed(&destroyed));
	cr_assert_leq(st.pending - st.orphaned, TERN_EPOCH_BAG_CAP, "%llu unsealed objects held by the idle thread",
		      (unsigned long long)(st.pending - st.orphaned));
	cr_assert_geq((long)st.pending, idle_left);
	/* The barrier takes even the idle thread's open list. */
	tern_epoch_barrier();
	cr_assert_eq(owner_destroyed(IDLE_OWNER), IDLE_OBJECTS, "the barrier left %ld of the idle thread's objects",
		     IDLE_OBJECTS - owner_destroyed(IDLE_OWNER));
	expect_all_destroyed(NULL, "after the barrier, idle thread still blocked");
	tern_epoch_stats(&st);
	cr_assert_eq(st.destroyed, (uint64_t)load_relaxed(&allocated));
	gate_open(&gate);
	pthread_join(idle, NULL);
}

Test(epoch_reclaim, idle_thread_garbage_is_destroyed_by_collecting_threads, .timeout = 60)
{
	idle_garbage_collected_by(pure_collector, NULL, 2);
}

Test(epoch_reclaim, idle_thread_garbage_is_destroyed_by_deferring_threads, .timeout = 60)
{
	idle_garbage_collected_by(busy_deferrer, NULL, 2);
}

Test(epoch_reclaim, idle_thread_garbage_is_destroyed_by_deferring_and_collecting_threads, .timeout = 60)
{
	idle_garbage_collected_by(busy_deferrer, (void *)1, 2);
}

/* ================================== large due batches are spread out */

/*
 * A thread deferred BURST_OBJECTS while the test thread stayed pinned, then
 * went idle: once the test thread unpins, all of it is due at once.  The
 * test thread's unpins (it has garbage of its own, so they collect) must
 * destroy it in slices of at most TERN_EPOCH_UNPIN_DESTROY_MAX objects, not
 * in one unlucky unpin, and keep going until only the idle thread's open
 * list (at most TERN_EPOCH_BAG_CAP objects) is left; the barrier then
 * destroys that too.  Nobody else collects, so each unpin's share is exact.
 */
#define BURST_OWNER 2
#define BURST_OBJECTS 20000

static void *burst_deferrer(void *arg)
{
	(void)arg;
	for (int i = 0; i < BURST_OBJECTS; i++)
		tern_epoch_defer(obj_new_owned((uint64_t)i, BURST_OWNER), obj_destroy);
	gate_arrive_and_block(&gate);
	return NULL;
}

/* How the test thread behaves while its unpins work through the batch. */
enum slice_mode {
	SLICES_PLAIN,   /* pin/unpin only */
	SLICES_TRICKLE, /* also defers one object every 4th round (its seals
			 * meet the remainder's bin: it must stay budgeted) */
	SLICES_FLUSH,   /* defers one object and flushes after the first slice
			 * (flush must not end the unpins' follow-up) */
};

static void due_batch_in_bounded_slices(enum slice_mode mode)
{
	tern_epoch_barrier();
	tern_epoch_pin();
	pthread_t w;
	cr_assert_eq(pthread_create(&w, NULL, burst_deferrer, NULL), 0);
	cr_assert(gate_wait_arrived(&gate, 1, 30), "the deferring thread did not finish");
	cr_assert_eq(owner_destroyed(BURST_OWNER), 0, "destroyed while the test thread was pinned");
	tern_epoch_defer(obj_new(0), obj_destroy); /* own garbage: this thread's unpins collect */
	const long want = BURST_OBJECTS - TERN_EPOCH_BAG_CAP;
	long max_slice = 0, slices = 0, unpins = 0;
	bool flushed = false;
	for (bool first = true; owner_destroyed(BURST_OWNER) < want && unpins < 400000; unpins++, first = false) {
		if (!first)
			tern_epoch_pin();
		long before = owner_destroyed(BURST_OWNER);
		tern_epoch_unpin();
		long d = owner_destroyed(BURST_OWNER) - before;
		if (d > max_slice)
			max_slice = d;
		slices += d > 0;
		if (mode == SLICES_TRICKLE && unpins % 4 == 0)
			tern_epoch_defer(obj_new((uint64_t)unpins), obj_destroy);
		if (mode == SLICES_FLUSH && slices == 1 && !flushed) {
			tern_epoch_defer(obj_new(1), obj_destroy);
			tern_epoch_flush();
			flushed = true;
		}
	}
	long got = owner_destroyed(BURST_OWNER);
	cr_log_info("%ld of %d objects destroyed by %ld unpins in %ld slices of at most %ld", got, BURST_OBJECTS,
		    unpins, slices, max_slice);
	cr_assert_geq(got, want, "unpins destroyed only %ld of the idle thread's %d objects", got, BURST_OBJECTS);
	cr_assert_leq(max_slice, TERN_EPOCH_UNPIN_DESTROY_MAX, "one unpin destroyed %ld objects (limit %d)", max_slice,
		      TERN_EPOCH_UNPIN_DESTROY_MAX);
	if (mode == SLICES_PLAIN)
		cr_assert_geq(slices, want / TERN_EPOCH_UNPIN_DESTROY_MAX, "%ld slices", slices);
	tern_epoch_barrier();
	cr_assert_eq(owner_destroyed(BURST_OWNER), BURST_OBJECTS, "the barrier left %ld objects",
		     BURST_OBJECTS - owner_destroyed(BURST_OWNER));
	cr_assert_eq(load_relaxed(&destroyed), load_relaxed(&allocated), "after the barrier");
	gate_open(&gate);
	pthread_join(w, NULL);
}

Test(epoch_reclaim, unpins_destroy_a_large_due_batch_in_bounded_slices, .timeout = 60)
{
	due_batch_in_bounded_slices(SLICES_PLAIN);
}

Test(epoch_reclaim, unpin_slices_stay_bounded_while_the_thread_keeps_deferring, .timeout = 60)
{
	due_batch_in_bounded_slices(SLICES_TRICKLE);
}

Test(epoch_reclaim, unpin_slices_continue_after_a_flush, .timeout = 60)
{
	due_batch_in_bounded_slices(SLICES_FLUSH);
}

/* ================================== online threads count as pinned */

static void free_int(void *p)
{
	free(p);
}

static void *twice(const void *src, void *ctx)
{
	(void)ctx;
	int *v = malloc(sizeof *v);
	if (!v)
		abort();
	*v = 2 * *(const int *)src;
	return v;
}

static int *int_new(int x)
{
	int *v = malloc(sizeof *v);
	if (!v)
		abort();
	*v = x;
	return v;
}

Test(epoch_reclaim, online_thread_counts_as_pinned_and_nests_pins)
{
	cr_assert_not(tern_epoch_is_pinned());
	tern_epoch_online();
	cr_assert(tern_epoch_is_pinned(), "an online thread counts as pinned");
	/* Borrow APIs accept the online thread (debug builds would abort). */
	tern_cell_t c;
	tern_cell_init(&c, int_new(7), free_int);
	cr_assert_eq(*(int *)tern_cell_load(&c), 7);
	static const struct tern_lazy_ops ops = { twice, free_int, free_int, NULL };
	tern_lazy_t lt;
	cr_assert_eq(tern_lazy_init(&lt, &ops), 0);
	tern_lazy_set_source(&lt, int_new(21));
	const int *v = tern_lazy_get_transformed(&lt);
	cr_assert_not_null(v);
	cr_assert_eq(*v, 42);
	/* Pins nest inside the online section; after the inner unpin the
	 * thread is still protected. */
	tern_epoch_pin();
	tern_epoch_pin();
	cr_assert(tern_epoch_is_pinned());
	cr_assert_eq(*(int *)tern_cell_load(&c), 7);
	tern_epoch_unpin();
	tern_epoch_unpin();
	cr_assert(tern_epoch_is_pinned(), "still online after the nested pins ended");
	cr_assert_eq(*(int *)tern_cell_load(&c), 7);
	tern_epoch_quiescent();
	cr_assert(tern_epoch_is_pinned(), "a quiescent state does not end the online section");
	tern_epoch_offline();
	cr_assert_not(tern_epoch_is_pinned(), "offline is not pinned");
	/* Pin while offline, then online again. */
	tern_epoch_pin();
	cr_assert(tern_epoch_is_pinned());
	cr_assert_eq(*(const int *)tern_lazy_get_transformed(&lt), 42);
	tern_epoch_unpin();
	cr_assert_not(tern_epoch_is_pinned());
	tern_epoch_online();
	tern_cell_store(&c, int_new(8)); /* defer while online */
	cr_assert_eq(*(int *)tern_cell_load(&c), 8);
	tern_epoch_offline();
	tern_cell_destroy(&c);
	tern_lazy_destroy(&lt);
	tern_epoch_barrier();
	struct tern_epoch_stats st;
	tern_epoch_stats(&st);
	cr_assert_eq(st.pending, 0);
	cr_assert_eq(st.orphaned, 0);

	/* The same in an explicit domain, independently of the default one. */
	tern_epoch_domain_t *d;
	cr_assert_eq(tern_epoch_domain_create(&d), 0);
	tern_epoch_domain_online(d);
	cr_assert(tern_epoch_domain_is_pinned(d));
	cr_assert_not(tern_epoch_is_pinned(), "online in d is not online in the default domain");
	tern_epoch_domain_pin(d);
	tern_epoch_domain_unpin(d);
	cr_assert(tern_epoch_domain_is_pinned(d));
	tern_epoch_domain_quiescent(d);
	tern_epoch_domain_offline(d);
	cr_assert_not(tern_epoch_domain_is_pinned(d));
	tern_epoch_domain_destroy(d);
}

/* ================================================ QSBR stress */

#define NSLOTS 8
#define NREADERS 4

static struct obj *_Atomic slots[NSLOTS];
static tern_cell_t shared_cell;
static atomic_long reads, quiescents, offline_periods, syncs_done, polled_reuses;
static unsigned long writes_per_writer;
static atomic_int writers_left, stress_writers_left, readers_started;

/* Reads one random slot and checks it.  => the object (for re-checks). */
static const struct obj *read_slot(unsigned *seed, const char *who)
{
	*seed = *seed * 1103515245u + 12345u;
	/* Acquire: pairs with the release in the writers' exchanges. */
	const struct obj *o = atomic_load_explicit(&slots[(*seed >> 8) % NSLOTS], memory_order_acquire);
	if (o)
		obj_check(o, who);
	return o;
}

static void count(atomic_long *c, long n)
{
	/* Relaxed: a statistics counter read after the joins. */
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

/*
 * Reader kinds (arg):
 *   0  online, never pins: batches of reads, a quiescent state between
 *      batches, one pointer held across the whole batch and re-checked at
 *      its end; offline (with a pinned read while offline) every 64 batches
 *   1  online with pins nested in the online section: a pointer read before
 *      a nested pin is re-checked after the nested unpin; reads the shared
 *      cell with tern_cell_load() unpinned
 *   2  classic pinning reader
 *   3  online, goes offline every 8 batches and blocks briefly (sleeps)
 */
static void *stress_reader(void *arg)
{
	unsigned kind = (unsigned)(uintptr_t)arg;
	unsigned seed = kind * 7919u + 1;
	long n = 0, q = 0, off = 0;
	if (kind != 2)
		tern_epoch_online();
	for (unsigned long batch = 0; !stopped(); batch++) {
		if (batch == 1)
			/* Relaxed: only paces the writers' start; no data. */
			atomic_fetch_add_explicit(&readers_started, 1, memory_order_relaxed);
		if (kind == 2) {
			tern_epoch_pin();
			for (int k = 0; k < 16; k++, n++)
				read_slot(&seed, "pinning reader");
			tern_epoch_unpin();
			continue;
		}
		if (!tern_epoch_is_pinned()) {
			fprintf(stderr, "online reader is not pinned\n");
			abort();
		}
		const struct obj *held = read_slot(&seed, "online reader");
		for (int k = 0; k < 16; k++, n++) {
			read_slot(&seed, "online reader");
			if (kind == 1 && k == 8) {
				tern_epoch_pin();
				read_slot(&seed, "nested pin");
				const struct obj *c = tern_cell_load(&shared_cell);
				if (c)
					obj_check(c, "nested cell load");
				tern_epoch_unpin();
			}
		}
		if (kind == 1) {
			const struct obj *c = tern_cell_load(&shared_cell);
			if (c)
				obj_check(c, "online cell load");
		}
		if (batch % 32 == 0)
			sched_yield(); /* let writers run while we hold `held` */
		if (held)
			obj_check(held, "online reader (held across the batch)");
		tern_epoch_quiescent();
		q++;
		unsigned period = kind == 3 ? 8 : 64;
		if (batch % period == period - 1) {
			tern_epoch_offline();
			off++;
			if (tern_epoch_is_pinned()) {
				fprintf(stderr, "offline reader is pinned\n");
				abort();
			}
			tern_epoch_pin(); /* pin while offline */
			read_slot(&seed, "pinned while offline");
			tern_epoch_unpin();
			if (kind == 3)
				sleep_us(200);
			tern_epoch_online();
		}
	}
	if (kind != 2)
		tern_epoch_offline();
	count(&reads, n);
	count(&quiescents, q);
	count(&offline_periods, off);
	return NULL;
}

/* Writers start once every reader is running (online, or pinning), so
 * that every synchronize and poll meets them. */
static void wait_readers_started(void)
{
	/* Relaxed: only paces the start; the slots are published by the
	 * writers' release exchanges. */
	while (atomic_load_explicit(&readers_started, memory_order_relaxed) < NREADERS)
		sched_yield();
}

/* The synchronous and polled writers keep going while the deferring ones
 * do (and at least `min` times). */
static bool more_reclaim_writes(unsigned long i, unsigned long min)
{
	/* Relaxed: only decides when to stop; the joins order the rest. */
	return i < min || atomic_load_explicit(&stress_writers_left, memory_order_relaxed) > 0;
}

static void writer_done(void)
{
	/* Relaxed: the count is only compared with zero to stop the readers;
	 * the joins order everything else. */
	if (atomic_fetch_sub_explicit(&writers_left, 1, memory_order_relaxed) == 1)
		/* Relaxed: a stop flag; no data is published through it. */
		atomic_store_explicit(&stop, true, memory_order_relaxed);
}

/* Writer 0 defers pinned and unpinned; writer 1 is itself an online thread
 * that defers (and stores into the cell) with quiescent states. */
static void *stress_writer(void *arg)
{
	unsigned id = (unsigned)(uintptr_t)arg;
	uint64_t v = (uint64_t)(id + 1) << 40;
	wait_readers_started();
	if (id == 1)
		tern_epoch_online();
	for (unsigned long i = 0; i < writes_per_writer; i++) {
		struct obj *o = obj_new(++v);
		/* Acq_rel: release publishes o to readers (pairs with their
		 * acquire load); acquire takes ownership of the old object. */
		struct obj *old = atomic_exchange_explicit(&slots[(i * 3 + id) % NSLOTS], o, memory_order_acq_rel);
		bool pin = id == 0 && i % 3 == 0;
		if (pin)
			tern_epoch_pin();
		tern_epoch_defer(old, obj_destroy);
		if (pin)
			tern_epoch_unpin();
		if (id == 1) {
			if (i % 16 == 0)
				tern_cell_store(&shared_cell, obj_new(v));
			if (i % 8 == 7)
				tern_epoch_quiescent();
		}
	}
	if (id == 1)
		tern_epoch_offline();
	/* Relaxed: see more_reclaim_writes(). */
	atomic_fetch_sub_explicit(&stress_writers_left, 1, memory_order_relaxed);
	writer_done();
	return NULL;
}

/* Synchronous reclamation: unlink, tern_epoch_synchronize(), destroy in
 * place.  Completes while the online readers keep announcing quiescent
 * states; a synchronize that returned early would let a reader see poison. */
static unsigned long min_syncs;

static void *sync_writer(void *arg)
{
	(void)arg;
	wait_readers_started();
	for (unsigned long i = 0; more_reclaim_writes(i, min_syncs); i++) {
		struct obj *o = obj_new(i);
		/* Acq_rel: as in stress_writer(). */
		struct obj *old = atomic_exchange_explicit(&slots[(i * 5) % NSLOTS], o, memory_order_acq_rel);
		tern_epoch_synchronize();
		obj_destroy(old);
		count(&syncs_done, 1);
	}
	writer_done();
	return NULL;
}

/* Polled reclamation: unlink, take a cookie, and reuse (destroy) the object
 * once the cookie is complete; never blocks. */
#define POLL_RING 64

static void *poll_writer(void *arg)
{
	(void)arg;
	struct {
		struct obj *o;
		uint64_t cookie;
	} ring[POLL_RING];
	unsigned head = 0, tail = 0;
	wait_readers_started();
	for (unsigned long i = 0; more_reclaim_writes(i, min_syncs * 4); i++) {
		struct obj *o = obj_new(i);
		/* Acq_rel: as in stress_writer(). */
		struct obj *old = atomic_exchange_explicit(&slots[(i * 7 + 1) % NSLOTS], o, memory_order_acq_rel);
		ring[head % POLL_RING].o = old;
		ring[head % POLL_RING].cookie = tern_epoch_get_state();
		head++;
		/* Reuse what is complete; with the ring full, wait for the oldest. */
		while (tail != head) {
			if (!tern_epoch_poll_state(ring[tail % POLL_RING].cookie)) {
				if (head - tail < POLL_RING)
					break;
				sched_yield();
				continue;
			}
			obj_destroy(ring[tail % POLL_RING].o);
			count(&polled_reuses, 1);
			tail++;
		}
	}
	for (; tail != head; tail++) {
		while (!tern_epoch_poll_state(ring[tail % POLL_RING].cookie))
			sched_yield();
		obj_destroy(ring[tail % POLL_RING].o);
		count(&polled_reuses, 1);
	}
	writer_done();
	return NULL;
}

Test(epoch_reclaim, qsbr_readers_never_see_retired_objects, .timeout = 120)
{
#ifdef TERN_EPOCH_FORCE_FENCE
	cr_assert_not(tern_epoch_uses_membarrier(), "fence build must not use membarrier");
#endif
	for (int i = 0; i < NSLOTS; i++)
		/* Relaxed: before the threads start (pthread_create orders it). */
		atomic_store_explicit(&slots[i], obj_new((uint64_t)i), memory_order_relaxed);
	tern_cell_init(&shared_cell, obj_new(99), obj_destroy);
	writes_per_writer = tern_test_iters(1000000);
	min_syncs = tern_test_iters(100);
	/* Relaxed: before the threads start. */
	atomic_store_explicit(&writers_left, 4, memory_order_relaxed);
	/* Relaxed: before the threads start. */
	atomic_store_explicit(&stress_writers_left, 2, memory_order_relaxed);
	pthread_t r[NREADERS], w[4];
	for (uintptr_t i = 0; i < NREADERS; i++)
		cr_assert_eq(pthread_create(&r[i], NULL, stress_reader, (void *)i), 0);
	for (uintptr_t i = 0; i < 2; i++)
		cr_assert_eq(pthread_create(&w[i], NULL, stress_writer, (void *)i), 0);
	cr_assert_eq(pthread_create(&w[2], NULL, sync_writer, NULL), 0);
	cr_assert_eq(pthread_create(&w[3], NULL, poll_writer, NULL), 0);
	uint64_t peak = 0;
	struct tern_epoch_stats st;
	while (!stopped()) { /* reported, not asserted: no bound is documented */
		tern_epoch_stats(&st);
		peak = st.pending > peak ? st.pending : peak;
		sleep_us(5000);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(w[i], NULL);
	for (int i = 0; i < NREADERS; i++)
		pthread_join(r[i], NULL);
	for (int i = 0; i < NSLOTS; i++)
		/* Relaxed: every other thread has been joined. */
		tern_epoch_defer(atomic_exchange_explicit(&slots[i], NULL, memory_order_relaxed), obj_destroy);
	tern_cell_destroy(&shared_cell);
	tern_epoch_barrier();
	expect_all_destroyed(NULL, "after the QSBR stress");
	cr_assert_gt(load_relaxed(&reads), 0);
	cr_assert_gt(load_relaxed(&quiescents), 0);
	cr_assert_gt(load_relaxed(&offline_periods), 0);
	cr_assert_geq(load_relaxed(&syncs_done), (long)min_syncs);
	cr_assert_geq(load_relaxed(&polled_reuses), (long)min_syncs * 4);
	tern_epoch_stats(&st);
	cr_log_info(
	    "%s mode: reads %ld, quiescent states %ld, offline periods %ld, synchronizes %ld, polled reuses %ld, "
	    "advances %llu (failed %llu), peak pending %llu of %lu deferred",
	    tern_epoch_uses_membarrier() ? "membarrier" : "fence", load_relaxed(&reads), load_relaxed(&quiescents),
	    load_relaxed(&offline_periods), load_relaxed(&syncs_done), load_relaxed(&polled_reuses),
	    (unsigned long long)st.advances, (unsigned long long)st.failed_advances, (unsigned long long)peak,
	    2 * writes_per_writer);
}

/* ============ synchronize and barrier complete under quiescing readers */

static tern_epoch_domain_t *q_dom;

/* Online for its whole life, never pins and never goes offline until the
 * end; announces quiescent states continuously. */
static void *always_online(void *arg)
{
	(void)arg;
	x_online(q_dom);
	while (!stopped()) {
		x_quiescent(q_dom);
		sched_yield();
	}
	x_offline(q_dom);
	return NULL;
}

static void synchronize_under_online_readers(tern_epoch_domain_t *d)
{
	q_dom = d;
	pthread_t r[2];
	for (int i = 0; i < 2; i++)
		cr_assert_eq(pthread_create(&r[i], NULL, always_online, NULL), 0);
	unsigned long n = tern_test_iters(200);
	for (unsigned long i = 0; i < n; i++) {
		if (d)
			tern_epoch_domain_synchronize(d);
		else
			tern_epoch_synchronize();
	}
	for (int i = 0; i < 1000; i++)
		x_defer(d, obj_new((uint64_t)i));
	x_barrier(d);
	expect_all_destroyed(d, "barrier with online readers");
	/* Relaxed: a stop flag; the joins order the rest. */
	atomic_store_explicit(&stop, true, memory_order_relaxed);
	for (int i = 0; i < 2; i++)
		pthread_join(r[i], NULL);
}

Test(epoch_reclaim, synchronize_and_barrier_complete_while_online_readers_quiesce, .timeout = 60)
{
	synchronize_under_online_readers(NULL);
}

Test(epoch_reclaim, domain_synchronize_and_barrier_complete_while_online_readers_quiesce, .timeout = 60)
{
	tern_epoch_domain_t *d;
	cr_assert_eq(tern_epoch_domain_create(&d), 0);
	synchronize_under_online_readers(d);
	tern_epoch_domain_destroy(d);
}

/* ================================================ polled grace periods */

#define POLL_TRIES 200 /* polls (with short sleeps) that must all say "not yet" */

static tern_epoch_domain_t *p_dom;

/* A reader that pins (or goes online), reports, holds until told, ends it
 * (unpin, or one quiescent state), reports, and stays alive (online, or
 * unpinned) until the end. */
static void *poll_reader(void *arg)
{
	bool online = arg != NULL;
	if (online)
		x_online(p_dom);
	else
		x_pin(p_dom);
	set_int(&ack, 1);
	helper_wait_cmd(1);
	if (online)
		x_quiescent(p_dom);
	else
		x_unpin(p_dom);
	set_int(&ack, 2);
	helper_wait_cmd(2);
	if (online)
		x_offline(p_dom);
	return NULL;
}

/* => whether poll_state(cookie) became true within `seconds`. */
static bool poll_until(tern_epoch_domain_t *d, uint64_t cookie, int seconds, long *polls)
{
	uint64_t end = now_ns() + (uint64_t)seconds * 1000000000u;
	*polls = 0;
	for (;;) {
		++*polls;
		if (x_poll_state(d, cookie))
			return true;
		if (now_ns() > end)
			return false;
		sched_yield();
	}
}

static void cookie_waits_for(tern_epoch_domain_t *d, bool online)
{
	const char *what = online ? "online" : "pinned";
	p_dom = d;
	pthread_t r;
	cr_assert_eq(pthread_create(&r, NULL, poll_reader, online ? (void *)1 : NULL), 0);
	cr_assert(wait_int(&ack, 1, 30), "the reader did not start");
	/* The reader is pinned (online) now, before the cookie is taken. */
	uint64_t cookie = x_get_state(d);
	for (int i = 0; i < POLL_TRIES; i++) {
		cr_assert_not(x_poll_state(d, cookie), "poll %d: cookie complete while a reader is still %s", i,
			      what);
		if (i % 10 == 0)
			sleep_us(500);
	}
	set_int(&cmd, 1);
	cr_assert(wait_int(&ack, 2, 30), "the reader did not end its pin / pass a quiescent state");
	long polls;
	cr_assert(poll_until(d, cookie, 10, &polls), "cookie not complete after the reader %s",
		  online ? "passed a quiescent state" : "unpinned");
	cr_log_info("%s reader: complete after %ld polls", what, polls);
	cr_assert(x_poll_state(d, cookie), "a complete cookie stays complete");
	/* A cookie taken while the reader is still online (it passes no more
	 * quiescent states) waits for its offline; an unpinned reader holds
	 * nothing back. */
	uint64_t later = x_get_state(d);
	if (online)
		for (int i = 0; i < POLL_TRIES; i++)
			cr_assert_not(x_poll_state(d, later), "poll %d: cookie complete while a reader is online", i);
	set_int(&cmd, 2);
	pthread_join(r, NULL);
	cr_assert(poll_until(d, later, 10, &polls), "a later cookie did not complete");
}

Test(epoch_reclaim, poll_cookie_not_complete_while_a_reader_stays_pinned, .timeout = 60)
{
	cookie_waits_for(NULL, false);
}

Test(epoch_reclaim, domain_poll_cookie_not_complete_while_a_reader_stays_pinned, .timeout = 60)
{
	tern_epoch_domain_t *d;
	cr_assert_eq(tern_epoch_domain_create(&d), 0);
	cookie_waits_for(d, false);
	tern_epoch_domain_destroy(d);
}

Test(epoch_reclaim, poll_cookie_waits_for_an_online_thread_quiescent_state, .timeout = 60)
{
	cookie_waits_for(NULL, true);
}

Test(epoch_reclaim, domain_poll_cookie_waits_for_an_online_thread_quiescent_state, .timeout = 60)
{
	tern_epoch_domain_t *d;
	cr_assert_eq(tern_epoch_domain_create(&d), 0);
	cookie_waits_for(d, true);
	tern_epoch_domain_destroy(d);
}

/* An idle registered thread (blocked, not pinned, holding garbage) and an
 * offline one do not hold a cookie back. */
static void *idle_registered(void *arg)
{
	tern_epoch_domain_t *d = arg;
	x_defer(d, obj_new(1));
	x_online(d);
	x_offline(d);
	gate_arrive_and_block(&gate);
	return NULL;
}

static void cookie_completes_alone(tern_epoch_domain_t *d)
{
	long polls;
	/* Nobody registered at all (fresh domain / process). */
	uint64_t c0 = x_get_state(d);
	cr_assert(poll_until(d, c0, 10, &polls), "cookie with no registered thread did not complete");
	cr_assert_leq(polls, 1000, "%ld polls", polls);
	/* The caller registered (pinned and unpinned before the cookie). */
	x_pin(d);
	x_unpin(d);
	uint64_t c1 = x_get_state(d);
	cr_assert_geq(c1, c0, "cookies do not go backwards");
	cr_assert(poll_until(d, c1, 10, &polls), "cookie did not complete by polling alone");
	cr_assert_leq(polls, 1000, "%ld polls", polls);
	/* With an idle (blocked, unpinned, offline) thread registered. */
	pthread_t t;
	cr_assert_eq(pthread_create(&t, NULL, idle_registered, d), 0);
	cr_assert(gate_wait_arrived(&gate, 1, 30));
	uint64_t c2 = x_get_state(d);
	cr_assert(poll_until(d, c2, 10, &polls), "cookie held back by an idle thread");
	cr_assert_leq(polls, 1000, "%ld polls", polls);
	cr_assert(x_poll_state(d, c0) && x_poll_state(d, c1), "earlier cookies stay complete");
	gate_open(&gate);
	pthread_join(t, NULL);
	x_barrier(d);
	expect_all_destroyed(d, "after the barrier");
}

Test(epoch_reclaim, poll_cookie_completes_by_polling_alone, .timeout = 60)
{
	cookie_completes_alone(NULL);
}

Test(epoch_reclaim, domain_poll_cookie_completes_by_polling_alone, .timeout = 60)
{
	tern_epoch_domain_t *d;
	cr_assert_eq(tern_epoch_domain_create(&d), 0);
	cookie_completes_alone(d);
	tern_epoch_domain_destroy(d);
}
