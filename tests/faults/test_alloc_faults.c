/* SPDX-License-Identifier: MIT */
/*
 * Allocation-failure injection.  A counting allocator installed with
 * tern_set_allocator() makes tern's k-th allocation fail (once, or from the
 * k-th on: memory exhausted), for every k a fixed workload performs.  The
 * workload touches every allocating path of the library: explicit domains
 * (create, register, records), garbage bags (unpinned and pinned defers,
 * the pinned reserve bag, a thread exiting while pinned with garbage in its
 * reserve), run-time and copy cells (try_init, init_copy, store_copy, the
 * deferred values), and a LazyTransform (deferred values).
 *
 * For every k: no crash; every setup call returns 0 or ENOMEM, the
 * documented error, and leaves its output untouched on ENOMEM (the cell's
 * previous value, the caller's `initial`, *out); every object created is
 * destroyed exactly once (a destructor poisons its object and aborts on a
 * second call); and, once the threads have exited and a barrier has run,
 * every block tern allocated has been freed (no leak).
 */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdint.h>

#include "tern/alloc.h"
#include "tern/atomic_cell.h"
#include "tern/epoch.h"
#include "tern/lazy_transform.h"
#include "../common/tern_test.h"

/* ---------------------------------------------------- the allocator */

enum fail_mode { FAIL_NONE, FAIL_ONCE, FAIL_FROM };

static _Atomic int mode = FAIL_NONE;
static atomic_long fail_k;       /* 1-based index of the first failing call */
static atomic_long calls;        /* allocation calls since the last reset */
static atomic_long failures;     /* calls made to fail */
static atomic_long outstanding;  /* blocks handed out and not yet freed */

/* The test threads run one at a time (each started after the previous one
 * was joined) or only read these, so seq_cst defaults are used in this file
 * where the order does not matter for tern. */
static void *fault_malloc(size_t size, void *ctx)
{
	(void)ctx;
	long n = atomic_fetch_add(&calls, 1) + 1;
	int m = atomic_load(&mode);
	long k = atomic_load(&fail_k);
	if ((m == FAIL_ONCE && n == k) || (m == FAIL_FROM && n >= k)) {
		atomic_fetch_add(&failures, 1);
		return NULL;
	}
	void *p = malloc(size);
	if (p != NULL)
		atomic_fetch_add(&outstanding, 1);
	return p;
}

static void fault_free(void *p, void *ctx)
{
	(void)ctx;
	if (p == NULL)
		return;
	atomic_fetch_sub(&outstanding, 1);
	free(p);
}

static void install_allocator(void)
{
	static const struct tern_allocator a = { fault_malloc, fault_free, NULL };
	cr_assert_eq(tern_set_allocator(&a), 0);
}

static void arm(enum fail_mode m, long k)
{
	atomic_store(&calls, 0);
	atomic_store(&failures, 0);
	atomic_store(&fail_k, k);
	atomic_store(&mode, m);
}

/* ------------------------------------------------------ the objects */

#define MAGIC 0xfa017fa017fa017fULL
#define POISON 0xdeaddeaddeaddeadULL

struct obj {
	_Atomic uint64_t magic;
	long id;
};

static atomic_long created, destroyed;

static struct obj *obj_new(long id)
{
	struct obj *o = malloc(sizeof *o);
	if (o == NULL)
		abort();
	atomic_store(&o->magic, MAGIC);
	o->id = id;
	atomic_fetch_add(&created, 1);
	return o;
}

static void obj_destroy(void *p)
{
	struct obj *o = p;
	if (atomic_exchange(&o->magic, POISON) != MAGIC) {
		fprintf(stderr, "faults: object %ld destroyed twice\n", o->id);
		abort();
	}
	atomic_fetch_add(&destroyed, 1);
	free(o);
}

/* Intrusive entries (tern_epoch_call never allocates). */
struct ent_obj {
	struct tern_epoch_entry entry;
	struct obj o;
};

static void ent_destroy(struct tern_epoch_entry *e)
{
	struct ent_obj *x = (struct ent_obj *)((char *)e - offsetof(struct ent_obj, entry));
	if (atomic_exchange(&x->o.magic, POISON) != MAGIC)
		abort();
	atomic_fetch_add(&destroyed, 1);
	free(x);
}

static void call_new(long id)
{
	struct ent_obj *x = malloc(sizeof *x);
	if (x == NULL)
		abort();
	atomic_store(&x->o.magic, MAGIC);
	x->o.id = id;
	atomic_fetch_add(&created, 1);
	tern_epoch_call(&x->entry, ent_destroy);
}

/* LazyTransform: sources are ints, values objects. */
static void *lazy_transform(const void *src, void *ctx)
{
	(void)ctx;
	return obj_new(*(const long *)src);
}

static void lazy_destroy_source(void *src)
{
	free(src);
}

static const struct tern_lazy_ops lazy_ops = { lazy_transform, lazy_destroy_source, obj_destroy, NULL };

/* ------------------------------------------------------ the workload */

/* Error codes seen by the workload; anything but 0/ENOMEM fails the test. */
struct outcome {
	int bad_rc;          /* first return value outside {0, ENOMEM}, or 0 */
	const char *bad_call;
	const char *broken;  /* a violated side-effect guarantee, or NULL */
	int enomem;          /* ENOMEMs returned */
};

static void rc_seen(struct outcome *out, int rc, const char *call)
{
	if (rc == ENOMEM)
		out->enomem++;
	else if (rc != 0 && out->bad_rc == 0) {
		out->bad_rc = rc;
		out->bad_call = call;
	}
}

static void broken(struct outcome *out, const char *what)
{
	if (out->broken == NULL)
		out->broken = what;
}

/* A thread that pins, defers a reserve-bag's worth of objects and exits
 * while still pinned: its garbage must survive the thread (evict_reserve:
 * copied to a heap bag, or destroyed in place when that allocation fails). */
static void *exit_pinned_with_garbage(void *arg)
{
	long base = *(long *)arg;
	tern_epoch_pin();
	for (long i = 0; i < TERN_EPOCH_BAG_CAP; i++)
		tern_epoch_defer(obj_new(base + i), obj_destroy);
	return NULL; /* exits pinned */
}

/* A thread with unpinned garbage in the default domain and in domain d. */
struct exit_arg {
	tern_epoch_domain_t *d;
	bool d_registered;
	long base;
};

static void *exit_with_garbage(void *argp)
{
	struct exit_arg *a = argp;
	for (long i = 0; i < 100; i++)
		tern_epoch_defer(obj_new(a->base + i), obj_destroy);
	if (a->d != NULL && tern_epoch_domain_register(a->d) == 0) {
		for (long i = 0; i < 70; i++)
			tern_epoch_domain_defer(a->d, obj_new(a->base + 100 + i), obj_destroy);
	}
	return NULL;
}

static void run_thread(void *(*fn)(void *), void *arg)
{
	pthread_t t;
	if (pthread_create(&t, NULL, fn, arg) != 0)
		abort();
	pthread_join(t, NULL);
}

/* The workload, run in its own thread so that thread exit frees its
 * records and cached bags.  Each pinned section defers at most one reserve
 * bag's worth of objects (TERN_EPOCH_BAG_CAP): under exhausted memory that
 * is all a pinned thread can defer (docs/README-reliability.md). */
struct workload_arg {
	struct outcome out;
};

static void *workload(void *argp)
{
	struct workload_arg *wa = argp;
	struct outcome *out = &wa->out;
	long id = 0;

	/* Explicit domain: create, register, defer (pinned and not), call. */
	tern_epoch_domain_t *d = (tern_epoch_domain_t *)0x1;
	int rc = tern_epoch_domain_create(&d);
	rc_seen(out, rc, "tern_epoch_domain_create");
	if (rc != 0) {
		if (d != (tern_epoch_domain_t *)0x1)
			broken(out, "tern_epoch_domain_create wrote *out on failure");
		d = NULL;
	}
	bool d_registered = false;
	if (d != NULL) {
		rc = tern_epoch_domain_register(d);
		rc_seen(out, rc, "tern_epoch_domain_register");
		d_registered = rc == 0;
	}
	if (d_registered) {
		for (int i = 0; i < 150; i++)
			tern_epoch_domain_defer(d, obj_new(id++), obj_destroy);
		tern_epoch_domain_pin(d);
		for (int i = 0; i < TERN_EPOCH_BAG_CAP; i++)
			tern_epoch_domain_defer(d, obj_new(id++), obj_destroy);
		tern_epoch_domain_unpin(d);
		tern_epoch_domain_collect(d);
		tern_epoch_domain_synchronize(d);
	}

	/* Default domain: unpinned defers (bags; on failure, wait and destroy
	 * in place), pinned defers (the reserve), intrusive calls. */
	for (int i = 0; i < 200; i++)
		tern_epoch_defer(obj_new(id++), obj_destroy);
	tern_epoch_pin();
	for (int i = 0; i < TERN_EPOCH_BAG_CAP; i++)
		tern_epoch_defer(obj_new(id++), obj_destroy);
	tern_epoch_unpin();
	for (int i = 0; i < 10; i++)
		call_new(id++);
	tern_epoch_collect();

	/* Run-time cell. */
	tern_cell_t c = { NULL };
	struct obj *initial = obj_new(id++);
	rc = tern_cell_try_init(&c, initial, obj_destroy);
	rc_seen(out, rc, "tern_cell_try_init");
	if (rc == 0) {
		for (int i = 0; i < 80; i++)
			tern_cell_store(&c, obj_new(id++));
		tern_cell_retire(&c, tern_cell_swap(&c, obj_new(id++)));
		tern_cell_destroy(&c);
	} else {
		if (c.hdr != NULL)
			broken(out, "tern_cell_try_init wrote the cell on failure");
		obj_destroy(initial); /* still the caller's (documented) */
	}

	/* Copy cell. */
	tern_cell_t cc = { NULL };
	long v = 7;
	rc = tern_cell_init_copy(&cc, &v, sizeof v);
	rc_seen(out, rc, "tern_cell_init_copy");
	if (rc == 0) {
		long cur = 7;
		for (long i = 0; i < 80; i++) {
			long nv = 1000 + i;
			rc = tern_cell_store_copy(&cc, &nv, sizeof nv);
			rc_seen(out, rc, "tern_cell_store_copy");
			if (rc == 0)
				cur = nv;
			long got = -1;
			if (!tern_cell_load_copy(&cc, &got, sizeof got) || got != cur)
				broken(out, "tern_cell_store_copy changed the cell although it failed");
		}
		tern_cell_destroy(&cc);
	} else if (cc.hdr != NULL) {
		broken(out, "tern_cell_init_copy wrote the cell on failure");
	}

	/* LazyTransform: every replaced value is deferred. */
	tern_lazy_t lt;
	rc = tern_lazy_init(&lt, &lazy_ops);
	rc_seen(out, rc, "tern_lazy_init");
	if (rc == 0) {
		for (long i = 0; i < 80; i++) {
			long *src = malloc(sizeof *src);
			if (src == NULL)
				abort();
			*src = id++;
			tern_lazy_set_source(&lt, src);
			tern_epoch_pin();
			const struct obj *o = tern_lazy_get_transformed(&lt);
			if (o == NULL || o->id != *(volatile long *)&o->id)
				broken(out, "tern_lazy_get_transformed returned no value");
			tern_epoch_unpin();
		}
		/* Objects created by the transform are counted by obj_new. */
		tern_lazy_destroy(&lt);
	}

	/* Threads that exit holding garbage. */
	long base = 1000000;
	run_thread(exit_pinned_with_garbage, &base);
	struct exit_arg ea = { d_registered ? d : NULL, d_registered, 2000000 };
	run_thread(exit_with_garbage, &ea);

	if (d != NULL)
		tern_epoch_domain_destroy(d);
	tern_epoch_barrier();
	return NULL;
}

/* Final barrier in a fresh thread: the bags it recycles die with it. */
static void *final_barrier(void *arg)
{
	(void)arg;
	tern_epoch_barrier();
	return NULL;
}

/* Runs the workload once with the allocator armed as (m, k) and checks
 * every guarantee.  => allocation calls made. */
static long run_and_check(enum fail_mode m, long k)
{
	atomic_store(&created, 0);
	atomic_store(&destroyed, 0);
	arm(m, k);
	struct workload_arg wa;
	memset(&wa, 0, sizeof wa);
	run_thread(workload, &wa);
	run_thread(final_barrier, NULL);
	long n = atomic_load(&calls);
	long nfail = atomic_load(&failures);
	arm(FAIL_NONE, 0);

	const char *what = m == FAIL_NONE ? "no failure" : m == FAIL_ONCE ? "fail call k" : "fail calls >= k";
	cr_assert_eq(wa.out.bad_rc, 0, "%s, k = %ld: %s returned %d (documented: 0 or ENOMEM)", what, k,
		     wa.out.bad_call, wa.out.bad_rc);
	cr_assert_null(wa.out.broken, "%s, k = %ld: %s", what, k, wa.out.broken);
	cr_assert_eq(atomic_load(&destroyed), atomic_load(&created),
		     "%s, k = %ld: %ld objects created, %ld destroyed", what, k, atomic_load(&created),
		     atomic_load(&destroyed));
	cr_assert_eq(atomic_load(&outstanding), 0, "%s, k = %ld: %ld blocks allocated by tern never freed",
		     what, k, atomic_load(&outstanding));
	struct tern_epoch_stats st;
	tern_epoch_stats(&st);
	cr_assert_eq(st.pending, 0, "%s, k = %ld: %llu objects still pending", what, k,
		     (unsigned long long)st.pending);
	if (m != FAIL_NONE && k <= n)
		cr_assert_gt(nfail, 0, "%s, k = %ld: no allocation failed", what, k);
	return n;
}

/* ------------------------------------------------------------ tests */

Test(faults, workload_without_failures_is_clean_and_allocates)
{
	install_allocator();
	long n = run_and_check(FAIL_NONE, 0);
	/* The workload must exercise the allocator, or the other tests prove
	 * nothing. */
	cr_assert_gt(n, 10, "only %ld allocations", n);
	cr_log_info("the workload makes %ld allocations through tern's allocator", n);
}

Test(faults, each_single_allocation_failure_loses_and_leaks_nothing, .timeout = 300)
{
	install_allocator();
	long n = run_and_check(FAIL_NONE, 0);
	int saw_enomem = 0;
	for (long k = 1; k <= n + 2; k++)
		run_and_check(FAIL_ONCE, k);
	/* The setup calls do report ENOMEM for some k (the first allocation of
	 * the workload is the domain's). */
	atomic_store(&created, 0);
	arm(FAIL_ONCE, 1);
	struct workload_arg wa;
	memset(&wa, 0, sizeof wa);
	run_thread(workload, &wa);
	run_thread(final_barrier, NULL);
	arm(FAIL_NONE, 0);
	saw_enomem = wa.out.enomem;
	cr_assert_gt(saw_enomem, 0, "failing the first allocation produced no ENOMEM");
}

Test(faults, exhausted_memory_from_every_point_loses_and_leaks_nothing, .timeout = 300)
{
	install_allocator();
	long n = run_and_check(FAIL_NONE, 0);
	for (long k = 1; k <= n + 1; k++)
		run_and_check(FAIL_FROM, k);
}

/* Targeted checks of the documented results. */

/* Checks run in a helper thread report here (Criterion asserts belong to
 * the test's own thread); => NULL or what went wrong. */
#define CHECK(cond, msg)                      \
	do {                                  \
		if (!(cond))                  \
			return (void *)(msg); \
	} while (0)

static void *copy_cell_enomem(void *arg)
{
	(void)arg;
	arm(FAIL_FROM, 1);
	tern_cell_t c = { NULL };
	int x = 5;
	CHECK(tern_cell_try_init(&c, &x, NULL) == ENOMEM, "tern_cell_try_init did not return ENOMEM");
	CHECK(c.hdr == NULL, "tern_cell_try_init wrote the cell");
	CHECK(tern_cell_init_copy(&c, &x, sizeof x) == ENOMEM, "tern_cell_init_copy did not return ENOMEM");
	CHECK(c.hdr == NULL, "tern_cell_init_copy wrote the cell");
	CHECK(tern_cell_init_copy(&c, NULL, sizeof x) == ENOMEM, "empty copy cell: no ENOMEM for its header");
	arm(FAIL_NONE, 0);
	CHECK(tern_cell_init_copy(&c, &x, sizeof x) == 0, "tern_cell_init_copy failed with memory");
	arm(FAIL_FROM, 1);
	int y = 9;
	CHECK(tern_cell_store_copy(&c, &y, sizeof y) == ENOMEM, "tern_cell_store_copy did not return ENOMEM");
	int got = 0;
	CHECK(tern_cell_load_copy(&c, &got, sizeof got), "the copy cell lost its value");
	CHECK(got == 5, "a failed tern_cell_store_copy changed the value");
	arm(FAIL_NONE, 0);
	tern_cell_destroy(&c);
	tern_epoch_barrier();
	return NULL;
}

Test(faults, cell_setup_and_store_copy_report_enomem_and_change_nothing)
{
	install_allocator();
	pthread_t t;
	void *msg;
	cr_assert_eq(pthread_create(&t, NULL, copy_cell_enomem, NULL), 0);
	pthread_join(t, &msg);
	cr_assert_null(msg, "%s", (const char *)msg);
	cr_assert_eq(atomic_load(&outstanding), 0, "%ld blocks leaked", atomic_load(&outstanding));
}

/*
 * Regression (fixed in e96799d): a thread that filled its reserve bag while
 * pinned under exhausted memory, unpinned, pinned again and deferred once
 * more retried forever, because the reserve's garbage was sealed only under
 * the second pin and so could not become due while that pin lasted.  Runs
 * in a child with an alarm, so a regression fails in seconds, not at the
 * suite's timeout.
 */
static void successive_pinned_sections(void *arg)
{
	(void)arg;
	install_allocator();
	arm(FAIL_FROM, 1);
	alarm(20);
	for (int s = 0; s < 4; s++) {
		tern_epoch_pin();
		for (int i = 0; i < TERN_EPOCH_BAG_CAP; i++)
			tern_epoch_defer(obj_new(i), obj_destroy);
		tern_epoch_unpin();
	}
	tern_epoch_barrier();
	_exit(atomic_load(&destroyed) == 4 * TERN_EPOCH_BAG_CAP ? 0 : 1);
}

Test(faults, successive_pinned_sections_under_exhausted_memory_finish)
{
	struct tern_test_death d = tern_test_expect_abort(successive_pinned_sections, NULL);
	cr_assert(WIFEXITED(d.status) && WEXITSTATUS(d.status) == 0,
		  "pinned defers under exhausted memory %s (status %d): %s",
		  WIFSIGNALED(d.status) && WTERMSIG(d.status) == SIGALRM ? "hung" : "failed", d.status,
		  d.output);
}

/*
 * Regression: under exhausted memory a pinned thread falls back to its
 * reserve bag; when the periodic collection (every TERN_EPOCH_COLLECT_DEFERS
 * defers) ran inside that same pinned section, seal() tagged the reserve
 * with an epoch the thread's own pin kept from becoming due, so the very
 * next defer that needed a bag retried forever in defer_nomem() — here
 * after 9 pinned defers, although the reserve has room for
 * TERN_EPOCH_BAG_CAP.  collect() now leaves the reserve open while pinned.
 */
static void pinned_after_periodic_collection(void *arg)
{
	(void)arg;
	install_allocator();
	alarm(10);
	tern_epoch_collect(); /* since_collect = 0, no open bag */
	long n = 4 * TERN_EPOCH_BAG_CAP; /* with memory: exactly four full bags */
	for (long i = 0; i < n; i++)
		tern_epoch_defer(obj_new(i), obj_destroy);
	arm(FAIL_FROM, 1);
	tern_epoch_pin();
	for (long i = 0; i < 20; i++) /* the 256th defer collects, the 257th needs a bag */
		tern_epoch_defer(obj_new(n + i), obj_destroy);
	tern_epoch_unpin();
	tern_epoch_barrier();
	_exit(atomic_load(&destroyed) == n + 20 ? 0 : 1);
}

Test(faults, pinned_defers_after_a_periodic_collection_under_exhausted_memory)
{
	cr_assert_eq(TERN_EPOCH_COLLECT_DEFERS, 4 * TERN_EPOCH_BAG_CAP + 8, "scenario assumes the defaults");
	struct tern_test_death d = tern_test_expect_abort(pinned_after_periodic_collection, NULL);
	cr_assert(WIFEXITED(d.status) && WEXITSTATUS(d.status) == 0,
		  "pinned defers under exhausted memory %s (status %d): %s",
		  WIFSIGNALED(d.status) && WTERMSIG(d.status) == SIGALRM ? "hung" : "failed", d.status,
		  d.output);
}

Test(faults, domain_create_and_register_report_enomem)
{
	install_allocator();
	arm(FAIL_FROM, 1);
	tern_epoch_domain_t *d = NULL;
	cr_assert_eq(tern_epoch_domain_create(&d), ENOMEM);
	cr_assert_null(d);
	arm(FAIL_NONE, 0);
	cr_assert_eq(tern_epoch_domain_create(&d), 0);
	arm(FAIL_FROM, 1);
	cr_assert_eq(tern_epoch_domain_register(d), ENOMEM);
	arm(FAIL_NONE, 0);
	cr_assert_eq(tern_epoch_domain_register(d), 0);
	tern_epoch_domain_destroy(d);
}
