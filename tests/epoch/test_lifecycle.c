/* SPDX-License-Identifier: MIT */
/*
 * Epoch lifecycle regression tests: one test per defect of issue 10 (found on
 * 7ba33dd), each through the public API only (tern/epoch.h, tern/alloc.h).
 *
 *   defect1  per-thread domain cache used after thread exit freed the record
 *   defect2  destroying a domain whose destructors defer into that domain
 *   defect3  destroying a domain whose destructors defer into another domain
 *   defect4  thread exit racing tern_epoch_domain_destroy()
 *   defect5  garbage deferred by destructors during thread exit
 *   defect6  fork child merging dead threads' bins without the due filter
 *   defect7  fork child freeing a record whose reserve bag was orphaned
 *   defect8  exact orphan/pending counters; idle collects do not advance
 *   defect9  tern used from a late, re-armed pthread-key destructor
 *   defect10 a pinned thread's reserve bag moved by a barrier stayed "busy"
 *            (found later, on d3bae9c)
 *
 * What "fixed" means is the section of that name: no callback runs
 * under a tern lock, teardown (destroy, exit, barrier) drains to empty,
 * exit and destroy exclude each other, counters are exact, registration is
 * idempotent and exit-safe.  Every check is exact (destructor counts, stats)
 * so that a defect shows without a sanitizer where it can; a deadlock or an
 * endless loop is turned into a failure by a watchdog (abort with a message)
 * backed by Criterion's timeout.  CI also runs this file under ASan+UBSan,
 * TSan and valgrind, which see the use-after-free variants.
 *
 * The comment above each test says how it fails on 7ba33dd (debug build, the
 * default, with gcc; "ASan" = the clang ASan+UBSan build of the same code).
 */
#include <criterion/criterion.h>
#include <limits.h>
#include <malloc.h>
#include <stdatomic.h>
#include <sched.h>
#include <stdint.h>
#include <sys/mman.h>
#include <time.h>

#include "tern/alloc.h"
#include "tern/epoch.h"
#include "../common/tern_test.h"

/* ------------------------------------------------------------ watchdog */

/*
 * A hang (deadlock, or a scan looping over a cyclic registry) must fail the
 * test, not stall the run: the watchdog thread aborts the test process with
 * a message naming the step if it is not disarmed within `seconds`.  (An
 * assertion cannot be raised from another thread, and the hung thread may
 * hold tern's locks, so abort() is the only safe way out.)
 */
static struct {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool armed;
	const char *what;
	unsigned seconds;
} wd = { .mu = PTHREAD_MUTEX_INITIALIZER };

static void *watchdog_main(void *arg)
{
	(void)arg;
	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	pthread_mutex_lock(&wd.mu);
	deadline.tv_sec += wd.seconds;
	while (wd.armed) {
		if (pthread_cond_timedwait(&wd.cv, &wd.mu, &deadline) == ETIMEDOUT && wd.armed) {
			fprintf(stderr, "lifecycle watchdog: %s did not finish within %u s "
					"(deadlock or endless loop)\n", wd.what, wd.seconds);
			abort();
		}
	}
	pthread_mutex_unlock(&wd.mu);
	return NULL;
}

static void watchdog_arm(unsigned seconds, const char *what)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&wd.cv, &ca);
	pthread_condattr_destroy(&ca);
	wd.armed = true;
	wd.what = what;
	wd.seconds = seconds;
	cr_assert_eq(pthread_create(&wd.thread, NULL, watchdog_main, NULL), 0);
}

static void watchdog_disarm(void)
{
	pthread_mutex_lock(&wd.mu);
	wd.armed = false;
	pthread_cond_signal(&wd.cv);
	pthread_mutex_unlock(&wd.mu);
	pthread_join(wd.thread, NULL);
	pthread_cond_destroy(&wd.cv);
}

/* Generous: a correct library needs well under a second for every step,
 * also under valgrind at its reduced TERN_TEST_SCALE. */
#define WATCHDOG_S 20

/* ------------------------------------------------------------- agents */

/*
 * An agent is a thread that runs jobs handed to it one at a time, so that a
 * test can interleave several threads' pins, defers and exits step by step
 * (deterministically: the submitter waits for each job to finish).  Any
 * thread may submit; agent_finish() makes the thread return (and so run its
 * thread-exit path), agent_join() waits for that.
 */
struct agent {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	void (*job)(void *);
	void *arg;
	unsigned long submitted, done;
	bool quit;
	void (*before_exit)(void); /* runs in the agent just before it returns */
};

static void *agent_main(void *p)
{
	struct agent *a = p;
	pthread_mutex_lock(&a->mu);
	for (;;) {
		while (a->job == NULL && !a->quit)
			pthread_cond_wait(&a->cv, &a->mu);
		if (a->job == NULL)
			break;
		void (*job)(void *) = a->job;
		void *arg = a->arg;
		pthread_mutex_unlock(&a->mu);
		job(arg);
		pthread_mutex_lock(&a->mu);
		a->job = NULL;
		a->done++;
		pthread_cond_broadcast(&a->cv);
	}
	pthread_mutex_unlock(&a->mu);
	if (a->before_exit)
		a->before_exit();
	return NULL;
}

/* A check in a thread other than the test's own (Criterion's assertions
 * work only there): prints and aborts the test process. */
#define THREAD_CHECK(cond)                                                                     \
	do {                                                                                   \
		if (!(cond)) {                                                                 \
			fprintf(stderr, "%s:%d: check failed in a helper thread: %s\n", __FILE__, \
				__LINE__, #cond);                                              \
			abort();                                                               \
		}                                                                              \
	} while (0)

static void agent_start(struct agent *a, void (*before_exit)(void))
{
	memset(a, 0, sizeof *a);
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->cv, NULL);
	a->before_exit = before_exit;
	if (pthread_create(&a->thread, NULL, agent_main, a) != 0)
		abort();
}

/* Runs job(arg) in the agent and waits until it has returned. */
static void agent_run(struct agent *a, void (*job)(void *), void *arg)
{
	pthread_mutex_lock(&a->mu);
	while (a->job != NULL)
		pthread_cond_wait(&a->cv, &a->mu);
	a->job = job;
	a->arg = arg;
	unsigned long ticket = ++a->submitted;
	pthread_cond_broadcast(&a->cv);
	while (a->done < ticket)
		pthread_cond_wait(&a->cv, &a->mu);
	pthread_mutex_unlock(&a->mu);
}

static void agent_finish(struct agent *a)
{
	pthread_mutex_lock(&a->mu);
	a->quit = true;
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
}

static void agent_join(struct agent *a)
{
	pthread_join(a->thread, NULL);
	pthread_cond_destroy(&a->cv);
	pthread_mutex_destroy(&a->mu);
}

/* ------------------------------------------------------------ objects */

#define MAGIC 0x11fec7c1e0b1ec75ULL
#define POISON 0xdeaddeaddeaddeadULL

/* Object kinds: a test gives each generation or role its own counter. */
#define KINDS 8
static atomic_long made[KINDS], destroyed[KINDS];

/*
 * A tracked object.  Its destructor poisons it and aborts on a second call
 * (exactly once), counts it, and, while `depth` > 0, defers one child of
 * kind + 1 into `into` (NULL: the default domain): the "a node's destructor
 * retires its children" pattern.
 */
struct lobj {
	_Atomic uint64_t magic;
	int kind;
	int depth;
	tern_epoch_domain_t *into;
};

static struct lobj *lobj_new(int kind, int depth, tern_epoch_domain_t *into)
{
	struct lobj *o = malloc(sizeof *o);
	if (o == NULL)
		abort();
	/* Relaxed: the object is published to tern (and to the destroying
	 * thread) by the defer call, which orders it as the epoch protocol
	 * orders every deferred object. */
	atomic_store_explicit(&o->magic, MAGIC, memory_order_relaxed);
	o->kind = kind;
	o->depth = depth;
	o->into = into;
	/* Relaxed: a counter, read only after the joins/barriers that order
	 * every increment before the read. */
	atomic_fetch_add_explicit(&made[kind], 1, memory_order_relaxed);
	return o;
}

/* Checks and counts the destruction of o; does not free it. */
static void lobj_kill(struct lobj *o)
{
	/* Relaxed: an exactly-once check on the object's own word; tern orders
	 * the destruction after the defer. */
	uint64_t m = atomic_exchange_explicit(&o->magic, POISON, memory_order_relaxed);
	if (m != MAGIC) {
		fprintf(stderr, "lifecycle: object of kind %d destroyed twice or corrupt (magic %llx)\n",
			o->kind, (unsigned long long)m);
		abort();
	}
	/* Relaxed: a counter, read after the joins/barriers that order it. */
	atomic_fetch_add_explicit(&destroyed[o->kind], 1, memory_order_relaxed);
}

static void lobj_defer(tern_epoch_domain_t *into, struct lobj *o, void (*fn)(void *))
{
	if (into == NULL)
		tern_epoch_defer(o, fn);
	else
		tern_epoch_domain_defer(into, o, fn);
}

static void lobj_destroy(void *p)
{
	struct lobj *o = p;
	lobj_kill(o);
	if (o->depth > 0)
		lobj_defer(o->into, lobj_new(o->kind + 1, o->depth - 1, o->into), lobj_destroy);
	free(o);
}

static long n_made(int kind)
{
	/* Relaxed: every increment happens before this read (joins, barriers,
	 * or the same thread), and coherence makes it visible. */
	return atomic_load_explicit(&made[kind], memory_order_relaxed);
}

static long n_destroyed(int kind)
{
	/* Relaxed: as in n_made(). */
	return atomic_load_explicit(&destroyed[kind], memory_order_relaxed);
}

static struct tern_epoch_stats default_stats(void)
{
	struct tern_epoch_stats st;
	tern_epoch_stats(&st);
	return st;
}

static struct tern_epoch_stats domain_stats(tern_epoch_domain_t *d)
{
	struct tern_epoch_stats st;
	tern_epoch_domain_stats(d, &st);
	return st;
}

/* ================================================================ 1 */

/*
 * Defect 1: at thread exit, a default-domain destructor that defers into an
 * explicit domain D must not get the thread's already-retired record in D
 * back from the one-entry domain cache.
 *
 * Each worker defers parents into the default domain, then uses D last (so
 * the cache names D) and exits.  Its exit retires (and frees) its record in
 * D first, then retires its default record, whose collection runs the
 * parents' destructors; each defers a child into D.
 *
 * On 7ba33dd: the child is deferred into the freed record.  Debug build:
 * CRASH (SIGSEGV in defer_in(), writing into the freed record's bag, from
 * lobj_destroy() <- batch_destroy() <- collect() <- record_retire() <-
 * thread_exit()).  ASan: "heap-use-after-free" in defer_in() on the record
 * freed by thread_exit().
 */
static tern_epoch_domain_t *d1_dom;

static void d1_worker_job(void *arg)
{
	(void)arg;
	for (int i = 0; i < 50; i++)
		tern_epoch_defer(lobj_new(0, 1, d1_dom), lobj_destroy);
	/* Use D last: the thread's domain cache now names D. */
	tern_epoch_domain_pin(d1_dom);
	tern_epoch_domain_unpin(d1_dom);
}

Test(lifecycle, defect1_exit_cache_returns_no_retired_record, .timeout = 60)
{
	watchdog_arm(WATCHDOG_S, "defect1: workers exiting with destructors that defer into a domain");
	cr_assert_eq(tern_epoch_domain_create(&d1_dom), 0);
	for (int t = 0; t < 4; t++) {
		struct agent w;
		agent_start(&w, NULL);
		agent_run(&w, d1_worker_job, NULL);
		agent_finish(&w);
		agent_join(&w);
	}
	/* The parents are destroyed at the workers' exits or, at the latest, by
	 * this barrier; their children are deferred into D before the domain
	 * barrier below. */
	tern_epoch_barrier();
	tern_epoch_domain_barrier(d1_dom);
	cr_assert_eq(n_destroyed(0), 200, "parents destroyed: %ld, expected 200", n_destroyed(0));
	cr_assert_eq(n_destroyed(1), 200,
		     "children deferred into D by destructors at thread exit: %ld destroyed, expected 200",
		     n_destroyed(1));
	struct tern_epoch_stats st = domain_stats(d1_dom);
	cr_assert_eq(st.pending, 0, "D still has %llu pending", (unsigned long long)st.pending);
	tern_epoch_domain_destroy(d1_dom);
	watchdog_disarm();
}

/* ================================================================ 2 */

/*
 * Defect 2: tern_epoch_domain_destroy(D) when D's destructors defer into D
 * itself (three generations: parent -> child -> grandchild, all in D).
 * Every generation must be destroyed, exactly once, before destroy returns,
 * and nothing may stay registered in the dead domain.
 *
 *   (a) the destroying thread has a record in D (it deferred the parents);
 *   (b) it has none: the parents are orphans of a thread that flushed and
 *       exited, and the destroy runs in a fresh thread that then exits.
 *
 * On 7ba33dd (debug and ASan builds alike): (a) the children go into the
 * destroying thread's record, already detached from the domain, and never
 * run: "2a: children destroyed by destroy: 0, expected 100" (a silent leak;
 * only LeakSanitizer would tell).  (b), checked once (a) is fixed: the
 * orphans' destructors register a new record in the dying domain, which is
 * then freed under it: "2b: children destroyed by destroy: 0, expected
 * 100", and the record left in the thread's chain names the freed domain
 * (its exit would use it).
 */
static tern_epoch_domain_t *d2_dom;
static long d2b_seen[3];
static bool d2b_done;
static pthread_mutex_t d2_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t d2_cv = PTHREAD_COND_INITIALIZER;

static void d2b_orphan_job(void *arg)
{
	(void)arg;
	THREAD_CHECK(tern_epoch_domain_register(d2_dom) == 0);
	for (int i = 0; i < 100; i++)
		tern_epoch_domain_defer(d2_dom, lobj_new(3, 2, d2_dom), lobj_destroy);
	tern_epoch_domain_flush(d2_dom); /* hand the parents to D's orphans */
}

static void d2b_destroy_job(void *arg)
{
	(void)arg;
	tern_epoch_domain_destroy(d2_dom);
	/* Counts at the moment destroy returned (before this thread exits). */
	pthread_mutex_lock(&d2_mu);
	for (int k = 0; k < 3; k++)
		d2b_seen[k] = n_destroyed(3 + k);
	d2b_done = true;
	pthread_cond_signal(&d2_cv);
	pthread_mutex_unlock(&d2_mu);
}

Test(lifecycle, defect2_destroy_drains_children_deferred_into_same_domain, .timeout = 60)
{
	watchdog_arm(WATCHDOG_S, "defect2: tern_epoch_domain_destroy with destructors deferring into it");
	/* (a) The destroying thread is registered in D. */
	cr_assert_eq(tern_epoch_domain_create(&d2_dom), 0);
	for (int i = 0; i < 100; i++)
		tern_epoch_domain_defer(d2_dom, lobj_new(0, 2, d2_dom), lobj_destroy);
	tern_epoch_domain_destroy(d2_dom);
	cr_assert_eq(n_destroyed(0), 100, "2a: parents destroyed by destroy: %ld, expected 100",
		     n_destroyed(0));
	cr_assert_eq(n_destroyed(1), 100, "2a: children destroyed by destroy: %ld, expected 100",
		     n_destroyed(1));
	cr_assert_eq(n_destroyed(2), 100, "2a: grandchildren destroyed by destroy: %ld, expected 100",
		     n_destroyed(2));

	/* (b) The parents are orphans; the destroying thread never used D. */
	cr_assert_eq(tern_epoch_domain_create(&d2_dom), 0);
	struct agent o, x;
	agent_start(&o, NULL);
	agent_run(&o, d2b_orphan_job, NULL);
	agent_finish(&o);
	agent_join(&o);
	agent_start(&x, NULL);
	agent_run(&x, d2b_destroy_job, NULL);
	pthread_mutex_lock(&d2_mu);
	while (!d2b_done)
		pthread_cond_wait(&d2_cv, &d2_mu);
	pthread_mutex_unlock(&d2_mu);
	cr_assert_eq(d2b_seen[0], 100, "2b: parents destroyed by destroy: %ld, expected 100", d2b_seen[0]);
	cr_assert_eq(d2b_seen[1], 100, "2b: children destroyed by destroy: %ld, expected 100", d2b_seen[1]);
	cr_assert_eq(d2b_seen[2], 100, "2b: grandchildren destroyed by destroy: %ld, expected 100",
		     d2b_seen[2]);
	/* The destroying thread exits: it must hold no record of the dead domain. */
	agent_finish(&x);
	agent_join(&x);
	for (int k = 0; k < 6; k++)
		cr_assert_eq(n_destroyed(k), n_made(k), "kind %d: %ld made, %ld destroyed", k, n_made(k),
			     n_destroyed(k));
	watchdog_disarm();
}

/* ================================================================ 3 */

/*
 * Defect 3: tern_epoch_domain_destroy(D) when D's destructors defer into
 * another explicit domain E (and every eighth one creates, uses and
 * destroys a short-lived domain).  Must not deadlock; the parents are
 * destroyed by the time destroy returns, the children by E's barrier.
 *
 * On 7ba33dd: the destructors run with the global lock held and the lookup
 * of the thread's record in E takes it again: the thread deadlocks on
 * itself, and the watchdog aborts the test ("lifecycle watchdog: defect3:
 * tern_epoch_domain_destroy(D) ... did not finish within 20 s"; Criterion:
 * CRASH).
 */
static tern_epoch_domain_t *d3_d, *d3_e;

static void d3_parent_destroy(void *p)
{
	struct lobj *o = p;
	lobj_kill(o);
	tern_epoch_domain_defer(d3_e, lobj_new(1, 0, NULL), lobj_destroy);
	if (o->depth == 1) {
		/* A short-lived domain, created and destroyed by a destructor. */
		tern_epoch_domain_t *tmp;
		if (tern_epoch_domain_create(&tmp) == 0) {
			tern_epoch_domain_defer(tmp, lobj_new(2, 0, NULL), lobj_destroy);
			tern_epoch_domain_destroy(tmp);
		}
	}
	free(o);
}

Test(lifecycle, defect3_destroy_with_destructors_deferring_into_another_domain, .timeout = 60)
{
	cr_assert_eq(tern_epoch_domain_create(&d3_d), 0);
	cr_assert_eq(tern_epoch_domain_create(&d3_e), 0);
	cr_assert_eq(tern_epoch_domain_register(d3_e), 0);
	for (int i = 0; i < 64; i++) /* depth 1 marks every eighth parent */
		tern_epoch_domain_defer(d3_d, lobj_new(0, i % 8 == 0, NULL), d3_parent_destroy);
	watchdog_arm(WATCHDOG_S, "defect3: tern_epoch_domain_destroy(D) with destructors deferring into E");
	tern_epoch_domain_destroy(d3_d);
	watchdog_disarm();
	cr_assert_eq(n_destroyed(0), 64, "parents destroyed by destroy: %ld, expected 64", n_destroyed(0));
	cr_assert_eq(n_destroyed(2), 8, "objects of the short-lived domains destroyed: %ld, expected 8",
		     n_destroyed(2));
	tern_epoch_domain_barrier(d3_e);
	cr_assert_eq(n_destroyed(1), 64, "children in E destroyed by its barrier: %ld, expected 64",
		     n_destroyed(1));
	tern_epoch_domain_destroy(d3_e);
}

/* ================================================================ 4 */

/*
 * A guard-page allocator for tern (tern_set_allocator): every block gets
 * its own mapping, and free() makes the mapping inaccessible instead of
 * returning it, so that any later use of a freed domain, record or bag
 * faults at once, without a sanitizer.  The mappings are never reused (the
 * address space they take is small: a few pages per iteration).  A block
 * tern got before this allocator was installed goes back to free().
 */
struct guard_block {
	size_t len;               /* of the whole mapping */
	struct guard_block *next; /* live blocks, under guard_mu */
};
#define GUARD_HDR 64 /* header room; keeps the block 64-byte aligned (tern's domain is) */
static pthread_mutex_t guard_mu = PTHREAD_MUTEX_INITIALIZER;
static struct guard_block *guard_live;

static void *guard_malloc(size_t size, void *ctx)
{
	(void)ctx;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t len = (size + GUARD_HDR + page - 1) / page * page;
	struct guard_block *g = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g == MAP_FAILED)
		return NULL;
	g->len = len;
	pthread_mutex_lock(&guard_mu);
	g->next = guard_live;
	guard_live = g;
	pthread_mutex_unlock(&guard_mu);
	return (char *)g + GUARD_HDR;
}

static void guard_free(void *p, void *ctx)
{
	(void)ctx;
	if (p == NULL)
		return;
	struct guard_block *g = NULL;
	pthread_mutex_lock(&guard_mu);
	for (struct guard_block **pp = &guard_live; *pp; pp = &(*pp)->next)
		if ((char *)*pp + GUARD_HDR == (char *)p) {
			g = *pp;
			*pp = g->next;
			break;
		}
	pthread_mutex_unlock(&guard_mu);
	if (g == NULL) {
		free(p); /* from the allocator installed before */
		return;
	}
	size_t len = g->len;
	madvise(g, len, MADV_DONTNEED); /* give the memory back, keep the range */
	if (mprotect(g, len, PROT_NONE) != 0)
		abort();
}

/*
 * Defect 4: a worker that signals "done with D" and returns, racing the main
 * thread's tern_epoch_domain_destroy(D).  Whichever wins, every object is
 * destroyed exactly once and neither side touches freed memory.  Many
 * iterations; the worker exits with garbage in D, which its exit destroys
 * with slow destructors (a wide window), and the main thread starts the
 * destroy at a different point of that exit in each iteration.  tern's
 * memory comes from the guard-page allocator above.
 *
 * On 7ba33dd: thread_exit() reads the record's domain under the global lock
 * and keeps using domain and record after dropping it, while destroy
 * destroys the same record's garbage and frees the domain.  Debug build:
 * CRASH ("Unexpected signal caught below this line": SIGSEGV on a guard
 * page, the exiting thread touching the freed domain from batch_destroy()
 * in collect() in record_retire()), as a rule within the first few
 * iterations; now and then instead objects lost ("iteration 1: 51 objects
 * destroyed, expected 80") or destroyed twice ("object of kind 0 destroyed
 * twice", SIGABRT).  ASan: "SEGV on unknown address" there (or in
 * record_destroy_garbage() on the destroy side); without the guard pages
 * it is "heap-use-after-free" on the domain freed by destroy.
 */
#define D4_OBJS 40
static tern_epoch_domain_t *d4_dom;
static atomic_int d4_done;

static void d4_slow_destroy(void *p)
{
	/* A destructor that takes a little while (widens the race window). */
	for (volatile int spin = 0; spin < 4000; spin = spin + 1)
		;
	lobj_destroy(p);
}

static void *d4_worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < D4_OBJS; i++) {
		if (i % 2)
			tern_epoch_domain_pin(d4_dom);
		tern_epoch_domain_defer(d4_dom, lobj_new(0, 0, NULL), d4_slow_destroy);
		if (i % 2)
			tern_epoch_domain_unpin(d4_dom);
		if (i == D4_OBJS / 4)
			tern_epoch_domain_collect(d4_dom); /* part of it sealed early */
	}
	/* Release: pairs with the acquire load in the main thread's wait: every
	 * use of D by this thread happens before the destroy. */
	atomic_store_explicit(&d4_done, 1, memory_order_release);
	return NULL; /* and exits, racing the destroy */
}

Test(lifecycle, defect4_thread_exit_races_domain_destroy, .timeout = 90)
{
	static const struct tern_allocator guard = { guard_malloc, guard_free, NULL };
	cr_assert_eq(tern_set_allocator(&guard), 0);
	watchdog_arm(60, "defect4: thread exit racing tern_epoch_domain_destroy");
	unsigned long iters = tern_test_iters(500);
	for (unsigned long i = 0; i < iters; i++) {
		cr_assert_eq(tern_epoch_domain_create(&d4_dom), 0);
		/* Relaxed: reset before the worker exists (pthread_create orders it). */
		atomic_store_explicit(&d4_done, 0, memory_order_relaxed);
		pthread_t t;
		cr_assert_eq(pthread_create(&t, NULL, d4_worker, NULL), 0);
		/* Acquire: pairs with the release store in d4_worker(). */
		for (unsigned polls = 1; atomic_load_explicit(&d4_done, memory_order_acquire) == 0; polls++)
			if (polls % 4096 == 0)
				sched_yield(); /* stay hot, but let a descheduled worker run */
		/* Start the destroy at a different point of the worker's exit in
		 * each iteration (0 to about 100 us after it said "done"). */
		for (volatile unsigned spin = 0; spin < (unsigned)(i % 32) * 3000u; spin = spin + 1)
			;
		tern_epoch_domain_destroy(d4_dom);
		pthread_join(t, NULL);
		long want = D4_OBJS * (long)(i + 1);
		cr_assert_eq(n_destroyed(0), want, "iteration %lu: %ld objects destroyed, expected %ld", i,
			     n_destroyed(0), want);
	}
	watchdog_disarm();
}

/* ================================================================ 5 */

/*
 * Defect 5: destructors that run in the last step of a thread's exit (the
 * hand-over of its bins) defer children; those children must be destroyed
 * too (here: by the main thread's barrier after the join).
 *
 * The steps are forced with two agents and a pinned reader R so that, at W's
 * exit, W holds X (tag e-1) and Ys (tag e) with the epoch at e and R pinned
 * at e: W's exit-time collection can advance once (e -> e+1), which makes X
 * due but not the Ys.  X's destructor (run by that collection) has R unpin
 * and advance the epoch by two; so the Ys are found due by the hand-over
 * that follows and destroyed in its final step, and each Y's destructor
 * defers a child Z into the default domain.  (If a correct library destroys
 * X elsewhere, the handshake is skipped; the counts must still be exact.)
 *
 * On 7ba33dd: the Zs are deferred into the exiting record's open bag, which
 * nothing visits again: "children deferred by destructors during thread
 * exit: 0 destroyed, expected 100" (and a LeakSanitizer report).
 */
#define D5_YS 100
enum { D5_X = 0, D5_Y = 1, D5_Z = 2 };
static struct agent d5_w, d5_r;
static _Thread_local bool d5_exiting; /* set in W only, as it returns */

static void d5_mark_exiting(void)
{
	d5_exiting = true;
}

static void d5_r_pin(void *arg)
{
	(void)arg;
	tern_epoch_pin();
}

static void d5_r_repin(void *arg)
{
	(void)arg;
	tern_epoch_unpin();
	tern_epoch_pin();
}

static void d5_r_unpin_and_advance(void *arg)
{
	(void)arg;
	if (tern_epoch_is_pinned())
		tern_epoch_unpin();
	tern_epoch_synchronize(); /* two advances past the epoch W collected at */
}

static void d5_x_destroy(void *p)
{
	if (d5_exiting) /* in W's exit: let the epoch move on under it */
		agent_run(&d5_r, d5_r_unpin_and_advance, NULL);
	lobj_destroy(p);
}

static void d5_w_defer_x(void *arg)
{
	(void)arg;
	tern_epoch_defer(lobj_new(D5_X, 0, NULL), d5_x_destroy);
	tern_epoch_collect(); /* seals X at e-1; R (pinned at e-1) stops the epoch at e */
}

static void d5_w_defer_ys(void *arg)
{
	(void)arg;
	for (int i = 0; i < D5_YS; i++)
		tern_epoch_defer(lobj_new(D5_Y, 1, NULL), lobj_destroy);
	tern_epoch_collect(); /* seals the Ys at e; no advance (R at e-1) */
}

Test(lifecycle, defect5_children_deferred_during_thread_exit_are_destroyed, .timeout = 60)
{
	watchdog_arm(WATCHDOG_S, "defect5: thread exit whose destructors defer");
	agent_start(&d5_r, NULL);
	agent_start(&d5_w, d5_mark_exiting);
	agent_run(&d5_r, d5_r_pin, NULL);
	agent_run(&d5_w, d5_w_defer_x, NULL);
	agent_run(&d5_w, d5_w_defer_ys, NULL);
	cr_assert_eq(n_destroyed(D5_X) + n_destroyed(D5_Y), 0, "destroyed while a reader could hold them");
	agent_run(&d5_r, d5_r_repin, NULL); /* R pinned at e: one advance possible */
	agent_finish(&d5_w);
	agent_join(&d5_w);
	agent_run(&d5_r, d5_r_unpin_and_advance, NULL);
	agent_finish(&d5_r);
	agent_join(&d5_r);
	tern_epoch_barrier();
	cr_assert_eq(n_destroyed(D5_X), 1);
	cr_assert_eq(n_destroyed(D5_Y), D5_YS, "objects of the exited thread: %ld destroyed, expected %d",
		     n_destroyed(D5_Y), D5_YS);
	cr_assert_eq(n_destroyed(D5_Z), D5_YS,
		     "children deferred by destructors during thread exit: %ld destroyed, expected %d",
		     n_destroyed(D5_Z), D5_YS);
	struct tern_epoch_stats st = default_stats();
	cr_assert_eq(st.pending, 0, "pending after barrier: %llu", (unsigned long long)st.pending);
	watchdog_disarm();
}

/* ======================================================== fork helpers */

/* Waits for a fork child and describes how it ended. */
static int wait_child(pid_t pid, char *why, size_t len)
{
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			abort();
	if (WIFEXITED(status))
		snprintf(why, len, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(why, len, "killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(why, len, "wait status %d", status);
	return status;
}

static bool child_ok(int status)
{
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* In a fork child: reports a failed check and exits (never returns). */
#define CHILD_CHECK(cond, code, ...)                                                           \
	do {                                                                                   \
		if (!(cond)) {                                                                 \
			fprintf(stderr, "fork child: " __VA_ARGS__);                          \
			fputc('\n', stderr);                                                   \
			_exit(code);                                                           \
		}                                                                              \
	} while (0)

/* ================================================================ 6 */

/*
 * Defect 6: the fork child must hand a dead thread's bins to the orphan bins
 * with the same due filter as a normal hand-over.
 *
 * Set up (main M, agents A and B): A's bin holds P tagged t (due in the
 * child), the default domain's orphan bin of the same residue holds Q tagged
 * t + 3 (flushed by B), the epoch is t + 4, and M is pinned at t + 3 (it may
 * hold Q).  A is alive (so dead in the child) at the fork.  In the child,
 * while M stays pinned, Q must survive a collection; after unpin + barrier,
 * P and Q are destroyed exactly once and the counters are zero.
 *
 * On 7ba33dd (debug build): the child aborts in its atfork handler:
 * "tern_epoch: bin tags out of order" (TERN_ASSERT in bin_add() from
 * child_reset()); the test reports "fork child killed by signal 6
 * (Aborted)".  In an NDEBUG build the merge re-tags Q with t and the
 * child's pinned collect destroys it: "Q destroyed while the forking thread
 * is pinned".
 */
#define D6_P 20
#define D6_Q 30
enum { D6_KIND_P = 0, D6_KIND_Q = 1 };

static void d6_a_defer_p(void *arg)
{
	(void)arg;
	for (int i = 0; i < D6_P; i++)
		tern_epoch_defer(lobj_new(D6_KIND_P, 0, NULL), lobj_destroy);
	tern_epoch_collect(); /* seals P at t; M (pinned at t) stops the epoch at t + 1 */
}

static void d6_b_flush_q(void *arg)
{
	(void)arg;
	for (int i = 0; i < D6_Q; i++)
		tern_epoch_defer(lobj_new(D6_KIND_Q, 0, NULL), lobj_destroy);
	tern_epoch_flush(); /* Q -> orphans, tagged t + 3 */
}

static void d6_child(void)
{
	alarm(WATCHDOG_S); /* a hang in the child fails the test */
	CHILD_CHECK(n_destroyed(D6_KIND_Q) == 0, 10, "Q destroyed by the fork itself");
	tern_epoch_collect();
	CHILD_CHECK(n_destroyed(D6_KIND_Q) == 0, 11,
		    "Q destroyed while the forking thread is pinned (%ld of %d)", n_destroyed(D6_KIND_Q),
		    D6_Q);
	tern_epoch_unpin();
	tern_epoch_barrier();
	CHILD_CHECK(n_destroyed(D6_KIND_P) == D6_P, 12, "dead thread's P: %ld destroyed, expected %d",
		    n_destroyed(D6_KIND_P), D6_P);
	CHILD_CHECK(n_destroyed(D6_KIND_Q) == D6_Q, 13, "orphaned Q: %ld destroyed, expected %d",
		    n_destroyed(D6_KIND_Q), D6_Q);
	struct tern_epoch_stats st = default_stats();
	CHILD_CHECK(st.pending == 0 && st.orphaned == 0, 14, "after barrier: pending %llu, orphaned %llu",
		    (unsigned long long)st.pending, (unsigned long long)st.orphaned);
	CHILD_CHECK(st.registered_threads == 1, 15, "registered threads %u, expected 1",
		    st.registered_threads);
	_exit(0);
}

Test(lifecycle, defect6_fork_child_merges_dead_bins_with_due_filter, .timeout = 60)
{
	watchdog_arm(WATCHDOG_S, "defect6: fork with a dead thread's old bin");
	struct agent a, b;
	agent_start(&a, NULL);
	agent_start(&b, NULL);
	tern_epoch_pin(); /* at t */
	agent_run(&a, d6_a_defer_p, NULL);
	tern_epoch_unpin();
	tern_epoch_synchronize(); /* t + 1 -> t + 3; A does not collect */
	tern_epoch_pin();          /* at t + 3 */
	agent_run(&b, d6_b_flush_q, NULL);
	agent_finish(&b);
	agent_join(&b);
	tern_epoch_collect(); /* the epoch reaches t + 4; M's pin stops it there */
	cr_assert_eq(n_destroyed(D6_KIND_Q), 0,
		     "Q destroyed while M, pinned before it was deferred, is still pinned");
	fflush(NULL);
	pid_t pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0)
		d6_child();
	char why[128];
	int status = wait_child(pid, why, sizeof why);
	tern_epoch_unpin();
	agent_finish(&a);
	agent_join(&a);
	cr_assert(child_ok(status), "fork child %s", why);
	tern_epoch_barrier();
	cr_assert_eq(n_destroyed(D6_KIND_P), D6_P);
	cr_assert_eq(n_destroyed(D6_KIND_Q), D6_Q);
	watchdog_disarm();
}

/* ================================================================ 7 */

/*
 * Defect 7: a thread pinned in an explicit domain D that ran out of memory
 * (its defers went to the record's reserve) is alive at fork(); in the child
 * that thread is dead, and its garbage must be handed over without leaving a
 * pointer into a freed record.
 *
 * The allocator (tern_set_allocator) fails while armed (a bounded number of
 * times, so that a library that retries cannot hang) and poisons every block
 * it frees, so that a use of a freed block crashes without ASan too.
 *
 * On 7ba33dd: the child frees the dead thread's record, whose embedded
 * reserve bag child_reset() linked into D's orphans; the child's barrier
 * walks it.  Debug build: "fork child killed by signal 11 (Segmentation
 * fault)" (it calls a poisoned destructor pointer).  ASan: "heap-use-after-
 * free" in batch_destroy() from tern_epoch_domain_barrier() in the child.
 */
#define D7_FAIL_BUDGET 64
static atomic_int d7_armed;
static atomic_int d7_failures;

static void *poison_malloc(size_t size, void *ctx)
{
	(void)ctx;
	/* Relaxed: set and cleared by the only thread that allocates while it
	 * is set (the agent's job); others read 0 (ordered by pthread_create
	 * and the agent's mutex). */
	if (atomic_load_explicit(&d7_armed, memory_order_relaxed) &&
	    /* Relaxed: a counter; it only bounds the failures. */
	    atomic_fetch_add_explicit(&d7_failures, 1, memory_order_relaxed) < D7_FAIL_BUDGET)
		return NULL;
	return malloc(size);
}

/* Called through a volatile pointer: a memset just before free() is a dead
 * store the compiler would otherwise remove. */
static void *(*volatile poison_memset)(void *, int, size_t) = memset;

static void poison_free(void *p, void *ctx)
{
	(void)ctx;
	if (p == NULL)
		return;
	poison_memset(p, 0xa5, malloc_usable_size(p));
	free(p);
}

static tern_epoch_domain_t *d7_dom;
static long d7_objs; /* deferred by the agent; read after agent_run() returned */

static void d7_pinned_oom_defers(void *arg)
{
	(void)arg;
	THREAD_CHECK(tern_epoch_domain_register(d7_dom) == 0);
	tern_epoch_domain_pin(d7_dom);
	/* Relaxed: see poison_malloc(). */
	atomic_store_explicit(&d7_armed, 1, memory_order_relaxed);
	/* Defer until an allocation has failed (at once on 7ba33dd, whose
	 * first defer allocates a bag), then a few more objects: they go to
	 * the out-of-memory reserve. */
	for (int extra = 4; extra > 0 && d7_objs < 1000; d7_objs++) {
		tern_epoch_domain_defer(d7_dom, lobj_new(0, 0, NULL), lobj_destroy);
		/* Relaxed: this thread's own increments (in poison_malloc()). */
		if (atomic_load_explicit(&d7_failures, memory_order_relaxed) > 0)
			extra--;
	}
	/* Relaxed: see poison_malloc(). */
	atomic_store_explicit(&d7_armed, 0, memory_order_relaxed);
	/* ... and stays pinned in D, its garbage in the reserve. */
}

static void d7_unpin(void *arg)
{
	(void)arg;
	tern_epoch_domain_unpin(d7_dom);
}

static void d7_child(void)
{
	alarm(WATCHDOG_S);
	tern_epoch_domain_barrier(d7_dom);
	CHILD_CHECK(n_destroyed(0) == d7_objs, 20,
		    "dead pinned thread's objects: %ld destroyed, expected %ld", n_destroyed(0), d7_objs);
	tern_epoch_domain_collect(d7_dom);
	tern_epoch_barrier();
	struct tern_epoch_stats st = domain_stats(d7_dom);
	CHILD_CHECK(st.pending == 0 && st.orphaned == 0, 21, "after barrier: pending %llu, orphaned %llu",
		    (unsigned long long)st.pending, (unsigned long long)st.orphaned);
	tern_epoch_domain_destroy(d7_dom);
	CHILD_CHECK(n_destroyed(0) == d7_objs, 22, "objects destroyed %ld, expected %ld", n_destroyed(0),
		    d7_objs);
	_exit(0);
}

Test(lifecycle, defect7_fork_child_with_pinned_oom_thread_in_domain, .timeout = 60)
{
	static const struct tern_allocator a = { poison_malloc, poison_free, NULL };
	cr_assert_eq(tern_set_allocator(&a), 0);
	watchdog_arm(WATCHDOG_S, "defect7: fork with a pinned out-of-memory thread");
	cr_assert_eq(tern_epoch_domain_create(&d7_dom), 0);
	struct agent w;
	agent_start(&w, NULL);
	agent_run(&w, d7_pinned_oom_defers, NULL);
	/* Relaxed: the agent's job has finished (agent_run() waited for it). */
	cr_assert_gt(atomic_load_explicit(&d7_failures, memory_order_relaxed), 0, "no allocation failed");
	cr_assert_eq(n_destroyed(0), 0, "destroyed while their deferring thread is pinned");
	fflush(NULL);
	pid_t pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0)
		d7_child();
	char why[128];
	int status = wait_child(pid, why, sizeof why);
	agent_run(&w, d7_unpin, NULL);
	agent_finish(&w);
	agent_join(&w);
	cr_assert(child_ok(status), "fork child %s", why);
	tern_epoch_domain_barrier(d7_dom);
	cr_assert_eq(n_destroyed(0), d7_objs);
	tern_epoch_domain_destroy(d7_dom);
	watchdog_disarm();
}

/* ================================================================ 8 */

/*
 * Defect 8: the orphan and pending counters are exact, and a collection with
 * nothing pending anywhere performs no epoch advance.
 *
 * The main thread defers and flushes in rounds separated by synchronize
 * (two advances), so that from the fourth round on each flush lands in an
 * orphan bin holding an older, due batch (tags t and t + 6 share a bin):
 * the hand-over moves that batch out to be destroyed.  Then threads defer
 * and exit (their garbage is handed over at exit).  After a barrier nothing
 * is pending: stats.pending and stats.orphaned must be 0, and 1000 idle
 * tern_epoch_collect() calls must leave stats.advances unchanged.
 *
 * On 7ba33dd: the displaced batches are not subtracted from the orphan
 * count: "after barrier: orphaned 30, pending 30 (expected 0)"; and every
 * idle collect then advances (1000 advances for 1000 collects).
 */
#define D8_ROUNDS 6
#define D8_N 10

static void d8_exiting_worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < D8_N; i++)
		tern_epoch_defer(lobj_new(0, 0, NULL), lobj_destroy);
}

Test(lifecycle, defect8_orphan_counters_exact_and_idle_collect_does_not_advance, .timeout = 60)
{
	watchdog_arm(WATCHDOG_S, "defect8");
	for (int r = 0; r < D8_ROUNDS; r++) {
		for (int i = 0; i < D8_N; i++)
			tern_epoch_defer(lobj_new(0, 0, NULL), lobj_destroy);
		tern_epoch_flush();
		tern_epoch_synchronize();
	}
	for (int t = 0; t < 3; t++) {
		struct agent w;
		agent_start(&w, NULL);
		agent_run(&w, d8_exiting_worker, NULL);
		agent_finish(&w);
		agent_join(&w);
		tern_epoch_synchronize();
	}
	tern_epoch_barrier();
	long total = (D8_ROUNDS + 3) * D8_N;
	cr_assert_eq(n_destroyed(0), total, "destroyed %ld, expected %ld", n_destroyed(0), total);
	struct tern_epoch_stats st = default_stats();
	cr_assert_eq(st.orphaned, 0, "after barrier: orphaned %llu, pending %llu (expected 0)",
		     (unsigned long long)st.orphaned, (unsigned long long)st.pending);
	cr_assert_eq(st.pending, 0, "after barrier: pending %llu (expected 0)",
		     (unsigned long long)st.pending);
	cr_assert_geq(st.destroyed, (uint64_t)total);
	uint64_t advances = st.advances;
	for (int i = 0; i < 1000; i++)
		tern_epoch_collect();
	st = default_stats();
	cr_assert_eq(st.advances, advances, "1000 idle collects performed %llu epoch advances (expected 0)",
		     (unsigned long long)(st.advances - advances));
	cr_assert_eq(st.pending, 0);
	cr_assert_eq(st.orphaned, 0);
	watchdog_disarm();
}

/* ================================================================ 9 */

/*
 * Defect 9: another library's pthread-key destructor that re-arms itself
 * (pthread_setspecific in its own destructor, so glibc calls it again in
 * each of its PTHREAD_DESTRUCTOR_ITERATIONS passes) and pins, defers and
 * unpins in the default domain in every pass, also after tern's own exit
 * hook ran.  Two such keys: one created before tern's first use, one after
 * (they run before and after tern's key in a pass).  Threads are created
 * and joined one after another, so glibc reuses the same stack and TLS
 * block for the next thread.  Afterwards tern_epoch_stats() must return
 * (watchdog), with registered_threads == 1 (the main thread: the only live
 * one that used tern), and a barrier must destroy every deferred object.
 *
 * On 7ba33dd: the last pass re-registers the exiting thread's record after
 * tern's hook ran; the dead record stays in the registry, and the next
 * thread (same TLS block, same record address) is inserted again, linking
 * the record to itself.  Every scan of the registry then loops for ever:
 * the next thread's exit-time collection spins in try_advance_locked(), and
 * the watchdog aborts the test ("lifecycle watchdog: defect9: threads
 * exiting through re-armed key destructors did not finish within 20 s";
 * Criterion: CRASH).
 */
static pthread_key_t d9_keys[2]; /* [0] created before tern's key, [1] after */

/*
 * The passes in which the destructors use tern.  glibc runs
 * PTHREAD_DESTRUCTOR_ITERATIONS passes.  ThreadSanitizer tears its
 * per-thread state down at the start of the last one (its own key's
 * destructor re-arms itself until then, and its key comes first), after
 * which any instrumented atomic in that thread crashes inside TSan,
 * whatever the library does.  So under TSan the destructors stop two passes
 * early (a use in the second-to-last pass would re-arm tern's hook into the
 * last one): the test then checks that using tern again after tern's hook
 * ran leaves no dead record, but cannot reach the 7ba33dd defect itself,
 * which needs a use in the last pass.
 */
#if defined(__SANITIZE_THREAD__)
#define D9_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define D9_TSAN 1
#endif
#endif
#ifdef D9_TSAN
#define D9_PASSES (PTHREAD_DESTRUCTOR_ITERATIONS - 2)
#else
#define D9_PASSES PTHREAD_DESTRUCTOR_ITERATIONS
#endif

/* A key's value names the key and the pass it is armed for:
 * &d9_token[key][pass - 1]. */
static char d9_token[2][D9_PASSES];

static void d9_use_tern(void)
{
	tern_epoch_pin();
	tern_epoch_defer(lobj_new(0, 0, NULL), lobj_destroy);
	tern_epoch_unpin();
}

static void d9_key_destructor(void *value)
{
	char *v = value;
	int k = v >= d9_token[1];
	long pass = v - d9_token[k] + 1;
	if (pass < D9_PASSES) /* re-arm: glibc runs another pass */
		pthread_setspecific(d9_keys[k], &d9_token[k][pass]);
	d9_use_tern();
}

static void *d9_worker(void *arg)
{
	(void)arg;
	pthread_setspecific(d9_keys[0], &d9_token[0][0]);
	pthread_setspecific(d9_keys[1], &d9_token[1][0]);
	d9_use_tern();
	return NULL;
}

Test(lifecycle, defect9_tern_used_from_rearmed_late_key_destructor, .timeout = 60)
{
	cr_assert_eq(pthread_key_create(&d9_keys[0], d9_key_destructor), 0);
	tern_epoch_pin(); /* tern's own key is created here */
	tern_epoch_unpin();
	cr_assert_eq(pthread_key_create(&d9_keys[1], d9_key_destructor), 0);
	unsigned long threads = tern_test_iters(64);
	if (threads < 4)
		threads = 4;
	watchdog_arm(WATCHDOG_S, "defect9: threads exiting through re-armed key destructors");
	for (unsigned long i = 0; i < threads; i++) {
		pthread_t t;
		cr_assert_eq(pthread_create(&t, NULL, d9_worker, NULL), 0);
		pthread_join(t, NULL);
	}
	watchdog_disarm();
	watchdog_arm(WATCHDOG_S, "defect9: tern_epoch_stats after the threads exited");
	struct tern_epoch_stats st = default_stats();
	cr_assert_eq(st.registered_threads, 1, "registered threads: %u, expected 1 (the main thread)",
		     st.registered_threads);
	tern_epoch_barrier();
	cr_assert_eq(n_destroyed(0), n_made(0), "deferred %ld objects, destroyed %ld", n_made(0),
		     n_destroyed(0));
	st = default_stats();
	cr_assert_eq(st.pending, 0, "pending after barrier: %llu", (unsigned long long)st.pending);
	cr_assert_eq(st.registered_threads, 1);
	watchdog_disarm();
	pthread_key_delete(d9_keys[0]);
	pthread_key_delete(d9_keys[1]);
}

/* ================================================================ 10 */

/*
 * Defect 10 (found on d3bae9c, by the fork_under_churn torture under load):
 * a barrier that takes a pinned thread's open list while its reserve bag is
 * in it copies the reserve into a heap bag (epoch__reserve_replace_locked())
 * and takes the list, but the owner-only reserve_busy flag stayed set.  The
 * owner, still pinned and out of memory, then found its (free) reserve
 * "busy" at its next defer that needed a bag, and retried for ever: its pin
 * kept the barrier waiting too.  In the torture a parked thread (pinned,
 * every allocation failing, at most TERN_EPOCH_BAG_CAP defers: within the
 * documented reserve) spun so, and the forker waiting for it, every thread
 * waiting for a grace period and the test hit its watchdog.
 *
 * Steps (threads C, B, A; C's and A's allocations fail, B's succeed):
 *   1. C pins in D and defers one object: it goes to C's reserve.
 *   2. B runs tern_epoch_domain_barrier(D).  Its first round meets C's
 *      reserve without a spare bag (the list stays) and waits for C (its
 *      refused advances show that it is waiting).
 *   3. A (a fresh record: no spare bags) pins in D at the epoch B's advance
 *      reached, and defers one object: it goes to A's reserve.
 *   4. C unpins and exits: B's first round ends; its second round allocates
 *      a spare, replaces A's reserve by it and takes A's list, then waits
 *      for A (refused advances again).
 *   5. A, still pinned and out of memory, defers one more object.  Its
 *      reserve is free: the defer must return at once.
 *
 * On d3bae9c: step 5 retries until memory returns: "a pinned defer under
 * exhausted memory waited for memory although its reserve bag was free".
 */
#define D10_KIND 0
/* Step 5 fails one allocation (then takes the reserve); the retry loop of
 * the defect fails one per round for ever.  The verdict counts them: no
 * timed assertion, so a slow machine (valgrind) cannot fail the test. */
#define D10_RETRIES 100

static tern_epoch_domain_t *d10_dom;
static _Thread_local bool d10_oom;         /* this thread's allocations fail */
static _Thread_local bool d10_is_barrier;  /* this thread is B */
static _Thread_local bool d10_is_a;        /* this thread is A */
static atomic_long d10_a_failed;           /* allocations refused to A */
static atomic_bool d10_memory_back;        /* rescue: allocations succeed again */
static atomic_long d10_barrier_allocs;     /* allocations made by B */
static atomic_int d10_stage_c, d10_stage_a, d10_go_c, d10_go_a;
static atomic_bool d10_barrier_done;

static void *d10_malloc(size_t size, void *ctx)
{
	(void)ctx;
	/* Relaxed: a flag polled by a thread that retries its allocation. */
	if (d10_oom && !atomic_load_explicit(&d10_memory_back, memory_order_relaxed)) {
		if (d10_is_a)
			/* Relaxed: the test polls it only for its verdict. */
			atomic_fetch_add_explicit(&d10_a_failed, 1, memory_order_relaxed);
		return NULL;
	}
	if (d10_is_barrier)
		/* Relaxed: the test polls it only to pace its steps. */
		atomic_fetch_add_explicit(&d10_barrier_allocs, 1, memory_order_relaxed);
	return malloc(size);
}

static void d10_free(void *p, void *ctx)
{
	(void)ctx;
	free(p);
}

/* Waits up to `seconds` until *x >= v.  => whether it got there. */
static bool d10_wait_int(atomic_int *x, int v, unsigned seconds)
{
	for (unsigned long ms = 0; ms < 1000ul * seconds; ms++) {
		/* Acquire: pairs with the release stores of the stages: what the
		 * thread did before a stage happens before the test's next step. */
		if (atomic_load_explicit(x, memory_order_acquire) >= v)
			return true;
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	return false;
}

/* Waits until D's failed advances exceed `than`: a waiter is refused. */
static void d10_wait_refusals(uint64_t than, const char *what)
{
	for (unsigned long ms = 0; domain_stats(d10_dom).failed_advances <= than; ms++) {
		cr_assert_lt(ms, 1000ul * WATCHDOG_S, "defect10: %s", what);
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
}

static void d10_stage(atomic_int *stage, int v)
{
	/* Release: pairs with the acquire load in d10_wait_int(). */
	atomic_store_explicit(stage, v, memory_order_release);
}

static void *d10_thread_c(void *arg)
{
	(void)arg;
	THREAD_CHECK(tern_epoch_domain_register(d10_dom) == 0);
	d10_oom = true;
	tern_epoch_domain_pin(d10_dom);
	tern_epoch_domain_defer(d10_dom, lobj_new(D10_KIND, 0, NULL), lobj_destroy);
	d10_stage(&d10_stage_c, 1);
	THREAD_CHECK(d10_wait_int(&d10_go_c, 1, WATCHDOG_S));
	d10_oom = false;
	tern_epoch_domain_unpin(d10_dom);
	return NULL; /* its exit retires its record in D */
}

static void *d10_thread_b(void *arg)
{
	(void)arg;
	d10_is_barrier = true;
	tern_epoch_domain_barrier(d10_dom);
	/* Release: pairs with the test's acquire load before its join. */
	atomic_store_explicit(&d10_barrier_done, true, memory_order_release);
	return NULL;
}

static void *d10_thread_a(void *arg)
{
	(void)arg;
	THREAD_CHECK(tern_epoch_domain_register(d10_dom) == 0);
	d10_oom = true;
	d10_is_a = true;
	tern_epoch_domain_pin(d10_dom);
	tern_epoch_domain_defer(d10_dom, lobj_new(D10_KIND, 0, NULL), lobj_destroy);
	d10_stage(&d10_stage_a, 1);
	THREAD_CHECK(d10_wait_int(&d10_go_a, 1, WATCHDOG_S));
	tern_epoch_domain_defer(d10_dom, lobj_new(D10_KIND, 0, NULL), lobj_destroy);
	d10_stage(&d10_stage_a, 2);
	THREAD_CHECK(d10_wait_int(&d10_go_a, 2, WATCHDOG_S));
	d10_oom = false;
	tern_epoch_domain_unpin(d10_dom);
	return NULL;
}

Test(lifecycle, defect10_pinned_defer_reuses_reserve_a_barrier_moved, .timeout = 60)
{
	static const struct tern_allocator a = { d10_malloc, d10_free, NULL };
	cr_assert_eq(tern_set_allocator(&a), 0);
	watchdog_arm(WATCHDOG_S, "defect10: a barrier moving a pinned thread's reserve bag");
	cr_assert_eq(tern_epoch_domain_create(&d10_dom), 0);
	pthread_t c, b, t;
	cr_assert_eq(pthread_create(&c, NULL, d10_thread_c, NULL), 0);
	cr_assert(d10_wait_int(&d10_stage_c, 1, WATCHDOG_S), "defect10: C did not defer");
	uint64_t fa = domain_stats(d10_dom).failed_advances;
	cr_assert_eq(pthread_create(&b, NULL, d10_thread_b, NULL), 0);
	d10_wait_refusals(fa, "the barrier's first round did not wait for C");
	cr_assert_eq(pthread_create(&t, NULL, d10_thread_a, NULL), 0);
	cr_assert(d10_wait_int(&d10_stage_a, 1, WATCHDOG_S), "defect10: A did not defer");
	d10_stage(&d10_go_c, 1);
	pthread_join(c, NULL);
	/* Relaxed: only paces the steps (tern's own locks order the data). */
	for (unsigned long ms = 0; atomic_load_explicit(&d10_barrier_allocs, memory_order_relaxed) == 0; ms++) {
		cr_assert_lt(ms, 1000ul * WATCHDOG_S, "defect10: the barrier's second round allocated no spare bag");
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	d10_wait_refusals(domain_stats(d10_dom).failed_advances, "the barrier's second round did not wait for A");
	struct tern_epoch_stats st = domain_stats(d10_dom);
	cr_assert(st.pending == 2 && st.orphaned == 2,
		  "defect10: A's list was not taken (pending %llu, sealed %llu; expected 2, 2: C's and A's object)",
		  (unsigned long long)st.pending, (unsigned long long)st.orphaned);
	/* Relaxed: see d10_malloc(). */
	long failed0 = atomic_load_explicit(&d10_a_failed, memory_order_relaxed);
	d10_stage(&d10_go_a, 1);
	/* Acquire: pairs with the release store of the stage (d10_stage()). */
	while (atomic_load_explicit(&d10_stage_a, memory_order_acquire) < 2 &&
	       atomic_load_explicit(&d10_a_failed, memory_order_relaxed) - failed0 <= D10_RETRIES) {
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL); /* the watchdog bounds this */
	}
	/* Acquire: as above. */
	bool returned = atomic_load_explicit(&d10_stage_a, memory_order_acquire) >= 2;
	if (!returned) {
		/* Relaxed: see d10_malloc(). */
		atomic_store_explicit(&d10_memory_back, true, memory_order_relaxed);
		cr_assert(d10_wait_int(&d10_stage_a, 2, WATCHDOG_S), "defect10: A's defer hangs even with memory");
	}
	d10_stage(&d10_go_a, 2);
	pthread_join(t, NULL);
	pthread_join(b, NULL);
	/* Acquire: pairs with the release store in d10_thread_b() (the join
	 * orders it already; this documents that B returned). */
	cr_assert(atomic_load_explicit(&d10_barrier_done, memory_order_acquire));
	cr_assert(returned, "defect10: a pinned defer under exhausted memory waited for memory although its "
			    "reserve bag was free (a barrier had moved its contents)");
	tern_epoch_domain_barrier(d10_dom);
	cr_assert_eq(n_destroyed(D10_KIND), 3, "destroyed %ld of 3", n_destroyed(D10_KIND));
	tern_epoch_domain_destroy(d10_dom);
	watchdog_disarm();
}

/* ================================================= defects 11-13: the kit */
/*
 * The reserve-bag tests below share one explicit domain, an allocator that
 * refuses this thread's allocations (all of them while rs_oom, or the next
 * rs_fail_n) and counts the refusals, and objects whose destructor counts
 * and aborts on a second call.  The verdicts: every object destroyed exactly
 * once, and no defer that waited for memory (after RS_RETRIES refusals the
 * allocator gives in, so a defer that waits for ever shows as a count, not
 * as a timeout; the watchdog only bounds the run).
 */
#define RS_RETRIES 100000
#define RS_OBJS 512
static tern_epoch_domain_t *rs_dom;
static _Thread_local bool rs_oom;
static _Thread_local int rs_fail_n;
static atomic_long rs_refused;
static int rs_obj[RS_OBJS];
static atomic_int rs_killed[RS_OBJS];
static int rs_next, rs_mode;

static void *rs_malloc(size_t size, void *ctx)
{
	(void)ctx;
	if (rs_oom || rs_fail_n > 0) {
		if (rs_fail_n > 0)
			rs_fail_n--;
		/* Relaxed: a counter; the test reads it after the run. */
		if (atomic_fetch_add_explicit(&rs_refused, 1, memory_order_relaxed) < RS_RETRIES)
			return NULL;
	}
	return malloc(size);
}

static void rs_free(void *p, void *ctx)
{
	(void)ctx;
	free(p);
}

static void rs_plain(void *p)
{
	int id = (int)((int *)p - rs_obj);
	if (atomic_fetch_add(&rs_killed[id], 1) != 0) {
		fprintf(stderr, "reserve tests: object %d destroyed twice\n", id);
		abort();
	}
}

/* Defers a new object with destructor fn into rs_dom. */
static void rs_defer(void (*fn)(void *))
{
	cr_assert_lt(rs_next, RS_OBJS);
	tern_epoch_domain_defer(rs_dom, &rs_obj[rs_next++], fn);
}

static void rs_begin(const char *what, int mode)
{
	static const struct tern_allocator a = { rs_malloc, rs_free, NULL };
	rs_mode = mode;
	cr_assert_eq(tern_set_allocator(&a), 0);
	watchdog_arm(WATCHDOG_S, what);
	cr_assert_eq(tern_epoch_domain_create(&rs_dom), 0);
	cr_assert_eq(tern_epoch_domain_register(rs_dom), 0);
}

static void rs_end(const char *what)
{
	rs_oom = false;
	tern_epoch_domain_barrier(rs_dom);
	int wrong = 0;
	for (int i = 0; i < rs_next; i++)
		wrong += atomic_load(&rs_killed[i]) != 1;
	tern_epoch_domain_destroy(rs_dom);
	watchdog_disarm();
	cr_assert_eq(wrong, 0, "%s: %d of %d objects not destroyed exactly once", what, wrong, rs_next);
	/* Relaxed: single-threaded test. */
	cr_assert_lt(atomic_load_explicit(&rs_refused, memory_order_relaxed), RS_RETRIES,
		     "%s: a pinned defer waited for memory (its reserve bag was busy)", what);
}

/* ============================================================== defect 11 */
/*
 * The reserve bag is also outside the open list while the unpinned,
 * out-of-memory in-place seal waits for and destroys it.  A destructor in
 * that batch that pins and defers (still out of memory) must get a usable
 * bag and lose nothing: a first fix for defect 10 inferred "free" from "not
 * in the open list" and handed out the reserve while its entries were being
 * destroyed (objects lost and destroyed twice); before that, the
 * destructor's defer waited for the reserve for ever.  Mode 1 also flushes
 * from the destructor (the empty-list seal).
 */
static void d11_reenter(void *p)
{
	rs_plain(p);
	if (rs_mode == 1)
		tern_epoch_domain_flush(rs_dom); /* no pin: the empty-list seal clears the flag */
	tern_epoch_domain_pin(rs_dom);
	rs_defer(rs_plain);
	tern_epoch_domain_unpin(rs_dom);
}

static void d11_run(int mode)
{
	rs_begin("defect11", mode);
	rs_oom = true;
	tern_epoch_domain_pin(rs_dom);
	rs_defer(d11_reenter); /* -> the reserve, e[0] */
	rs_defer(rs_plain);    /* -> the reserve, e[1] */
	tern_epoch_domain_unpin(rs_dom); /* collect -> seal_open: no copy -> in place */
	/* The reserve now holds the destructor's object; pin and fill it. */
	tern_epoch_domain_pin(rs_dom);
	for (int i = 0; i < TERN_EPOCH_BAG_CAP; i++) /* within the documented reserve */
		rs_defer(rs_plain);
	tern_epoch_domain_unpin(rs_dom);
	rs_end("defect11");
}

Test(lifecycle, defect11_destructor_defers_while_reserve_destroyed_in_place, .timeout = 60)
{
	d11_run(0);
}

Test(lifecycle, defect11_destructor_flushes_while_reserve_destroyed_in_place, .timeout = 60)
{
	d11_run(1);
}

/* ============================================================== defect 12 */
/*
 * The in-place batch holds a heap bag ahead of the reserve (memory came back
 * for one allocation), and that bag's destructor defers 2 x CAP objects
 * unpinned (its own seal, whose copy path must not take the reserve for
 * free: it is still in the in-place batch), then pins and defers without
 * memory (it needs the reserve, which must be free by then).  Before the
 * in-place seal freed the reserve ahead of every destructor: mode 0
 * destroyed objects twice and lost the reserve's, mode 1 waited for memory.
 */
static void d12_reenter(void *p)
{
	rs_plain(p);
	bool saved = rs_oom;
	rs_oom = false;
	if (rs_mode == 0)
		for (int i = 0; i < 2 * TERN_EPOCH_BAG_CAP; i++)
			rs_defer(rs_plain);
	tern_epoch_domain_pin(rs_dom);
	rs_oom = true;
	rs_defer(rs_plain);
	rs_oom = false;
	tern_epoch_domain_unpin(rs_dom);
	rs_oom = saved;
}

static void d12_run(int mode)
{
	rs_begin("defect12", mode);
	tern_epoch_domain_pin(rs_dom);
	rs_oom = true;
	for (int i = 0; i < TERN_EPOCH_BAG_CAP; i++) /* the reserve, full */
		rs_defer(rs_plain);
	rs_oom = false;
	rs_fail_n = 1; /* the seal's reserve copy fails; the next bag is allocated */
	rs_defer(d12_reenter);
	cr_assert_eq(rs_fail_n, 0, "defect12: set-up: the reserve copy was not attempted");
	rs_oom = true;
	tern_epoch_domain_unpin(rs_dom); /* in place: [heap bag, reserve] */
	rs_end("defect12");
}

Test(lifecycle, defect12_reserve_behind_a_heap_bag_of_the_in_place_batch, .timeout = 60)
{
	d12_run(0);
}

Test(lifecycle, defect12_pinned_defer_from_a_bag_ahead_of_the_reserve, .timeout = 60)
{
	d12_run(1);
}

/* ============================================================== defect 13 */
/*
 * Two destructors of one collection each pin and defer K > CAP / 2 objects
 * without memory: each pinned section is within the documented reserve
 * (TERN_EPOCH_BAG_CAP objects), but the first one's unpin could not free the
 * reserve (its collection returned: `collecting`), so the second waited for
 * memory.  Mode 0: the outer collection is the in-place seal; mode 1: an
 * ordinary collection with memory, none in the destructors.
 */
static void d13_section(void *p)
{
	rs_plain(p);
	bool saved = rs_oom;
	rs_oom = true;
	tern_epoch_domain_pin(rs_dom);
	for (int i = 0; i < TERN_EPOCH_BAG_CAP / 2 + 1; i++)
		rs_defer(rs_plain);
	tern_epoch_domain_unpin(rs_dom);
	rs_oom = saved;
}

static void d13_run(int mode)
{
	rs_begin("defect13", mode);
	if (mode == 0) {
		tern_epoch_domain_pin(rs_dom);
		rs_oom = true;
		rs_defer(d13_section); /* the reserve */
		rs_defer(d13_section);
		tern_epoch_domain_unpin(rs_dom); /* collect -> the in-place seal */
	} else {
		rs_defer(d13_section);
		rs_defer(d13_section);
		tern_epoch_domain_flush(rs_dom);
		tern_epoch_domain_synchronize(rs_dom);
		tern_epoch_domain_collect(rs_dom);
	}
	rs_end("defect13");
}

Test(lifecycle, defect13_second_pinned_section_in_an_in_place_batch, .timeout = 60)
{
	d13_run(0);
}

Test(lifecycle, defect13_second_pinned_section_in_a_collection, .timeout = 60)
{
	d13_run(1);
}
