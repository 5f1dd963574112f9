/* SPDX-License-Identifier: MIT */
/* Epoch GC: unit behaviour, grace periods, domains, stats, intrusive form, misuse. */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdint.h>

#include "tern/alloc.h"
#include "tern/epoch.h"
#include "../common/tern_test.h"

#define MAGIC 0x7e2a11ce5eedULL
#define POISON 0xdeaddeaddeaddeadULL

struct obj {
	_Atomic uint64_t magic;
	int id;
};

static atomic_long live, destroyed_count;

static struct obj *obj_new(int id)
{
	struct obj *o = malloc(sizeof *o);
	cr_assert_not_null(o);
	/* Relaxed: published later by the caller's own release/exchange. */
	atomic_store_explicit(&o->magic, MAGIC, memory_order_relaxed);
	o->id = id;
	atomic_fetch_add(&live, 1);
	return o;
}

static void obj_destroy(void *p)
{
	struct obj *o = p;
	/* Relaxed: exactly-once check; the epoch GC orders destruction. */
	uint64_t m = atomic_exchange_explicit(&o->magic, POISON, memory_order_relaxed);
	if (m != MAGIC) {
		fprintf(stderr, "object destroyed twice or corrupt (magic %llx)\n", (unsigned long long)m);
		abort();
	}
	atomic_fetch_sub(&live, 1);
	atomic_fetch_add(&destroyed_count, 1);
	free(o);
}

static void reset_counts(void)
{
	atomic_store(&live, 0);
	atomic_store(&destroyed_count, 0);
}

Test(epoch, pin_is_nestable)
{
	cr_assert_not(tern_epoch_is_pinned());
	tern_epoch_pin();
	cr_assert(tern_epoch_is_pinned());
	tern_epoch_pin();
	tern_epoch_pin();
	tern_epoch_unpin();
	cr_assert(tern_epoch_is_pinned());
	tern_epoch_unpin();
	cr_assert(tern_epoch_is_pinned());
	tern_epoch_unpin();
	cr_assert_not(tern_epoch_is_pinned());
}

Test(epoch, defer_runs_destructor_exactly_once_after_barrier)
{
	reset_counts();
	for (int i = 0; i < 1000; i++) {
		tern_epoch_pin();
		tern_epoch_defer(obj_new(i), obj_destroy);
		tern_epoch_unpin();
	}
	for (int i = 0; i < 1000; i++)
		tern_epoch_defer(obj_new(i), obj_destroy); /* unpinned defers are fine too */
	tern_epoch_barrier();
	cr_assert_eq(atomic_load(&destroyed_count), 2000);
	cr_assert_eq(atomic_load(&live), 0);
	tern_epoch_barrier(); /* nothing left: no double destruction (obj_destroy aborts) */
	cr_assert_eq(atomic_load(&destroyed_count), 2000);
	struct tern_epoch_stats st;
	tern_epoch_stats(&st);
	cr_assert_eq(st.pending, 0);
	cr_assert_geq(st.destroyed, 2000);
}

Test(epoch, nothing_is_destroyed_while_the_deferring_thread_stays_pinned)
{
	reset_counts();
	tern_epoch_pin();
	for (int i = 0; i < 5000; i++)
		tern_epoch_defer(obj_new(i), obj_destroy); /* triggers collections */
	tern_epoch_collect();
	cr_assert_eq(atomic_load(&destroyed_count), 0,
		     "objects deferred while pinned were destroyed before the pin ended");
	tern_epoch_unpin();
	tern_epoch_barrier();
	cr_assert_eq(atomic_load(&destroyed_count), 5000);
}

Test(epoch, defer_free_and_null_are_accepted)
{
	for (int i = 0; i < 100; i++)
		tern_epoch_defer_free(malloc(32));
	tern_epoch_defer_free(NULL);
	tern_epoch_defer(NULL, obj_destroy);
	tern_epoch_barrier();
	struct tern_epoch_stats st;
	tern_epoch_stats(&st);
	cr_assert_eq(st.pending, 0);
}

struct node {
	struct tern_epoch_entry entry; /* intrusive */
	int payload;
};

static atomic_int intrusive_done;

static void node_free(struct tern_epoch_entry *e)
{
	struct node *n = (struct node *)((char *)e - offsetof(struct node, entry));
	cr_assert_eq(n->payload, 42);
	atomic_fetch_add(&intrusive_done, 1);
	free(n);
}

static atomic_long tern_allocations;
static void *counting_failing_malloc(size_t n, void *ctx)
{
	(void)n;
	(void)ctx;
	atomic_fetch_add(&tern_allocations, 1);
	return NULL;
}
static void plain_free2(void *p, void *ctx)
{
	(void)ctx;
	free(p);
}

Test(epoch, intrusive_call_runs_once_and_never_allocates)
{
	tern_epoch_pin(); /* register before the allocator is swapped */
	tern_epoch_unpin();
	tern_epoch_barrier();
	struct tern_allocator a = { counting_failing_malloc, plain_free2, NULL };
	cr_assert_eq(tern_set_allocator(&a), 0);
	for (int i = 0; i < 300; i++) {
		struct node *n = malloc(sizeof *n);
		n->payload = 42;
		tern_epoch_pin();
		tern_epoch_call(&n->entry, node_free);
		tern_epoch_unpin();
	}
	tern_epoch_barrier();
	tern_set_allocator(NULL);
	cr_assert_eq(atomic_load(&intrusive_done), 300);
	cr_assert_eq(atomic_load(&tern_allocations), 0, "tern_epoch_call allocated");
}

/* A reader pinned on an object keeps it intact across another thread's
 * defer + synchronize; the destructor runs only after the reader unpins. */
static struct obj *_Atomic shared_slot;
static atomic_int reader_state; /* 0 start, 1 holding, 2 release requested, 3 done */
static atomic_int synchronize_returned;

static void *pinned_reader(void *arg)
{
	(void)arg;
	tern_epoch_pin();
	/* Acquire: pairs with the release store that published the slot. */
	struct obj *o = atomic_load_explicit(&shared_slot, memory_order_acquire);
	atomic_store(&reader_state, 1);
	while (atomic_load(&reader_state) != 2) {
		/* Relaxed: the object must stay intact; any poison is a failure. */
		if (atomic_load_explicit(&o->magic, memory_order_relaxed) != MAGIC)
			abort();
		sched_yield();
	}
	tern_epoch_unpin();
	atomic_store(&reader_state, 3);
	return NULL;
}

static void *synchronizer(void *arg)
{
	(void)arg;
	tern_epoch_synchronize();
	atomic_store(&synchronize_returned, 1);
	return NULL;
}

Test(epoch, pinned_reader_holds_object_across_defer_and_synchronize)
{
	reset_counts();
	struct obj *o = obj_new(7);
	/* Release: pairs with the acquire load in pinned_reader(). */
	atomic_store_explicit(&shared_slot, o, memory_order_release);
	pthread_t r, s;
	pthread_create(&r, NULL, pinned_reader, NULL);
	while (atomic_load(&reader_state) != 1)
		sched_yield();
	/* Unlink and defer while the reader holds it. */
	struct obj *old = atomic_exchange(&shared_slot, NULL);
	cr_assert_eq(old, o);
	tern_epoch_defer(old, obj_destroy);
	tern_epoch_flush(); /* hand it to the collector */
	pthread_create(&s, NULL, synchronizer, NULL);
	for (int i = 0; i < 50; i++) {
		tern_epoch_collect();
		struct timespec ts = { 0, 2000000 };
		nanosleep(&ts, NULL);
	}
	cr_assert_eq(atomic_load(&synchronize_returned), 0, "synchronize returned while a reader was pinned");
	cr_assert_eq(atomic_load(&destroyed_count), 0, "object destroyed while a reader held it");
	struct tern_epoch_stats st;
	tern_epoch_stats(&st);
	cr_assert_geq(st.pinned_threads, 1);
	atomic_store(&reader_state, 2);
	pthread_join(r, NULL);
	pthread_join(s, NULL);
	cr_assert_eq(atomic_load(&synchronize_returned), 1);
	tern_epoch_barrier();
	cr_assert_eq(atomic_load(&destroyed_count), 1);
	cr_assert_eq(atomic_load(&live), 0);
}

Test(epoch, domains_are_independent_and_destroy_destroys_everything)
{
	reset_counts();
	tern_epoch_domain_t *a, *b;
	cr_assert_eq(tern_epoch_domain_create(&a), 0);
	cr_assert_eq(tern_epoch_domain_create(&b), 0);
	cr_assert_eq(tern_epoch_domain_create(NULL), EINVAL);
	cr_assert_eq(tern_epoch_domain_register(NULL), EINVAL);
	cr_assert_eq(tern_epoch_domain_register(a), 0);
	/* Pinned in a: b can still advance and reclaim. */
	tern_epoch_domain_pin(a);
	cr_assert(tern_epoch_domain_is_pinned(a));
	cr_assert_not(tern_epoch_domain_is_pinned(b));
	cr_assert_not(tern_epoch_is_pinned());
	for (int i = 0; i < 100; i++)
		tern_epoch_domain_defer(b, obj_new(i), obj_destroy);
	tern_epoch_domain_barrier(b);
	cr_assert_eq(atomic_load(&destroyed_count), 100);
	for (int i = 0; i < 100; i++)
		tern_epoch_domain_defer(a, obj_new(i), obj_destroy);
	tern_epoch_domain_collect(a);
	cr_assert_eq(atomic_load(&destroyed_count), 100, "a reclaimed while its own thread was pinned");
	tern_epoch_domain_unpin(a);
	/* Destroy with pending garbage: all of it is destroyed. */
	for (int i = 0; i < 777; i++)
		tern_epoch_domain_defer(b, obj_new(i), obj_destroy);
	tern_epoch_domain_destroy(a);
	tern_epoch_domain_destroy(b);
	cr_assert_eq(atomic_load(&destroyed_count), 100 + 100 + 777);
	cr_assert_eq(atomic_load(&live), 0);
	/* A new domain may reuse the address: the thread's stale record is not reused. */
	tern_epoch_domain_t *c;
	cr_assert_eq(tern_epoch_domain_create(&c), 0);
	tern_epoch_domain_pin(c);
	tern_epoch_domain_defer(c, obj_new(1), obj_destroy);
	tern_epoch_domain_unpin(c);
	tern_epoch_domain_barrier(c);
	cr_assert_eq(atomic_load(&live), 0);
	tern_epoch_domain_destroy(c);
}

static void *domain_worker(void *arg)
{
	tern_epoch_domain_t *d = arg;
	for (int i = 0; i < 2000; i++) {
		tern_epoch_domain_pin(d);
		tern_epoch_domain_defer(d, obj_new(i), obj_destroy);
		tern_epoch_domain_unpin(d);
	}
	return NULL; /* exits with garbage: it becomes orphans */
}

Test(epoch, exited_threads_garbage_is_reclaimed_by_barrier)
{
	reset_counts();
	tern_epoch_domain_t *d;
	cr_assert_eq(tern_epoch_domain_create(&d), 0);
	void *args[4] = { d, d, d, d };
	(void)args;
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, domain_worker, d);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	struct tern_epoch_stats st;
	tern_epoch_domain_stats(d, &st);
	cr_assert_eq(st.registered_threads, 0, "exited threads still registered");
	tern_epoch_domain_barrier(d);
	cr_assert_eq(atomic_load(&destroyed_count), 8000);
	tern_epoch_domain_stats(d, &st);
	cr_assert_eq(st.pending, 0);
	cr_assert_eq(st.destroyed, 8000);
	tern_epoch_domain_destroy(d);
}

Test(epoch, stats_report_threads_and_epoch)
{
	struct tern_epoch_stats st;
	tern_epoch_pin();
	tern_epoch_stats(&st);
	cr_assert_geq(st.registered_threads, 1);
	cr_assert_geq(st.pinned_threads, 1);
	uint64_t e0 = st.epoch;
	tern_epoch_unpin();
	tern_epoch_synchronize();
	tern_epoch_stats(&st);
	cr_assert_geq(st.epoch, e0 + 2, "synchronize must span two advances");
	cr_assert_geq(st.advances, 2);
}

/* Allocation failure: every deferred object is still destroyed exactly once. */
static atomic_long fail_after;
static void *failing_malloc(size_t n, void *ctx)
{
	(void)ctx;
	if (atomic_fetch_sub(&fail_after, 1) <= 0)
		return NULL;
	return malloc(n);
}
static void plain_free(void *p, void *ctx)
{
	(void)ctx;
	free(p);
}

Test(epoch, allocation_failure_loses_no_object)
{
	reset_counts();
	tern_epoch_barrier();
	struct tern_allocator a = { failing_malloc, plain_free, NULL };
	atomic_store(&fail_after, 0);
	cr_assert_eq(tern_set_allocator(&a), 0);
	/* Unpinned: waits for a grace period and destroys in place. */
	for (int i = 0; i < 200; i++)
		tern_epoch_defer(obj_new(i), obj_destroy);
	/* Pinned: the record's reserve bag takes them. */
	tern_epoch_pin();
	for (int i = 0; i < TERN_EPOCH_BAG_CAP; i++)
		tern_epoch_defer(obj_new(i), obj_destroy);
	tern_epoch_unpin();
	tern_set_allocator(NULL);
	tern_epoch_barrier();
	cr_assert_eq(atomic_load(&live), 0);
	cr_assert_eq(atomic_load(&destroyed_count), 200 + TERN_EPOCH_BAG_CAP);
}

/* ---- misuse (debug builds) ---- */

static void unpin_without_pin(void *arg)
{
	(void)arg;
	tern_epoch_unpin();
}

static void synchronize_while_pinned(void *arg)
{
	(void)arg;
	tern_epoch_pin();
	tern_epoch_synchronize();
}

static void barrier_while_pinned(void *arg)
{
	(void)arg;
	tern_epoch_pin();
	tern_epoch_barrier();
}

static void destroy_domain_with_pinned_thread(void *arg)
{
	(void)arg;
	tern_epoch_domain_t *d;
	if (tern_epoch_domain_create(&d) != 0)
		_exit(3);
	tern_epoch_domain_pin(d);
	tern_epoch_domain_destroy(d);
}

#define DEATH_TEST(name, fn, call)                                                             \
	Test(epoch_death, name)                                                                \
	{                                                                                      \
		struct tern_test_death dd = tern_test_expect_abort(fn, NULL);                  \
		cr_assert(dd.aborted, "misuse did not abort (status %d): %s", dd.status, dd.output); \
		cr_assert_not_null(strstr(dd.output, call), "message does not name %s: %s", call, dd.output); \
	}

#ifndef NDEBUG
DEATH_TEST(unpin_without_pin, unpin_without_pin, "tern_epoch_unpin")
DEATH_TEST(synchronize_while_pinned, synchronize_while_pinned, "tern_epoch_synchronize")
DEATH_TEST(barrier_while_pinned, barrier_while_pinned, "tern_epoch_barrier")
DEATH_TEST(destroy_domain_while_pinned, destroy_domain_with_pinned_thread, "tern_epoch_domain_destroy")
#endif

