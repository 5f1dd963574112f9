/* SPDX-License-Identifier: MIT */
/* AtomicCell: unit behaviour, ownership rules, copy cells, the typed
 * generator, concurrent load/store/swap/take/compare_exchange with poisoned
 * retired values, and misuse in debug builds. */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdint.h>

#include "tern/alloc.h"
#include "tern/atomic_cell.h"
#include "tern/epoch.h"
#include "../common/tern_test.h"

/* ---- counted, poisonable objects ---- */

#define OBJ_LIVE 0x0b1ec7a11fe0000dULL
#define OBJ_POISON 0xdeadbeefdeadbeefULL

struct obj {
	uint64_t magic; /* OBJ_LIVE while alive, OBJ_POISON once destroyed */
	uint64_t a;
	uint64_t b; /* always ~a */
};

static atomic_long obj_created, obj_destroyed;

static struct obj *obj_new(uint64_t a)
{
	struct obj *o = malloc(sizeof *o);
	cr_assert_not_null(o);
	o->magic = OBJ_LIVE;
	o->a = a;
	o->b = ~a;
	atomic_fetch_add_explicit(&obj_created, 1, memory_order_relaxed);
	return o;
}

static bool obj_ok(const struct obj *o)
{
	return o->magic == OBJ_LIVE && o->b == ~o->a;
}

static void obj_free(void *p)
{
	struct obj *o = p;
	if (o->magic != OBJ_LIVE) {
		fprintf(stderr, "obj_free: double destroy or corrupt object %p\n", p);
		abort();
	}
	/* Poison before freeing: a reader that still sees the object reports it. */
	o->magic = OBJ_POISON;
	o->a = 1;
	o->b = 1;
	atomic_fetch_add_explicit(&obj_destroyed, 1, memory_order_relaxed);
	free(o);
}

static long obj_live(void)
{
	return atomic_load(&obj_created) - atomic_load(&obj_destroyed);
}

/* ---- single-threaded behaviour ---- */

Test(atomic_cell, one_pointer_wide)
{
	cr_assert_eq(sizeof(tern_cell_t), sizeof(void *));
}

Test(atomic_cell, init_load_store_destroy_exactly_once)
{
	tern_cell_t c;
	struct obj *first = obj_new(1);
	tern_cell_init(&c, first, obj_free);
	tern_epoch_pin();
	cr_assert_eq(tern_cell_load(&c), first);
	struct obj *second = obj_new(2);
	tern_cell_store(&c, second);
	/* Still pinned: the replaced object must still be alive and intact. */
	cr_assert(obj_ok(first));
	cr_assert_eq(tern_cell_load(&c), second);
	cr_assert_eq(atomic_load(&obj_destroyed), 0);
	tern_epoch_unpin();
	tern_epoch_barrier();
	cr_assert_eq(atomic_load(&obj_destroyed), 1, "the replaced value is destroyed after the grace period");
	tern_cell_store(&c, NULL);
	tern_epoch_pin();
	cr_assert_null(tern_cell_load(&c));
	tern_epoch_unpin();
	tern_cell_destroy(&c);
	tern_epoch_barrier();
	cr_assert_eq(atomic_load(&obj_destroyed), 2);
	cr_assert_eq(obj_live(), 0);
}

Test(atomic_cell, destroy_drops_final_value_once)
{
	tern_cell_t c;
	tern_cell_init(&c, obj_new(7), obj_free);
	tern_cell_destroy(&c);
	tern_epoch_barrier();
	cr_assert_eq(obj_live(), 0);
	cr_assert_eq(atomic_load(&obj_destroyed), 1);

	tern_cell_t e; /* an empty cell destroys nothing */
	tern_cell_init(&e, NULL, obj_free);
	tern_cell_destroy(&e);
	tern_epoch_barrier();
	cr_assert_eq(atomic_load(&obj_destroyed), 1);
}

Test(atomic_cell, swap_and_take_give_ownership_to_caller)
{
	tern_cell_t c;
	struct obj *a = obj_new(1), *b = obj_new(2);
	tern_cell_init(&c, a, obj_free);
	struct obj *old = tern_cell_swap(&c, b);
	cr_assert_eq(old, a);
	tern_epoch_barrier();
	cr_assert_eq(atomic_load(&obj_destroyed), 0, "swap must not destroy the old value");
	cr_assert(obj_ok(a));
	struct obj *taken = tern_cell_take(&c);
	cr_assert_eq(taken, b);
	tern_epoch_pin();
	cr_assert_null(tern_cell_load(&c), "take leaves the cell empty");
	tern_epoch_unpin();
	cr_assert_null(tern_cell_take(&c));
	tern_cell_retire(&c, old);
	tern_cell_retire(&c, taken);
	tern_cell_retire(&c, NULL);
	tern_cell_destroy(&c);
	tern_epoch_barrier();
	cr_assert_eq(atomic_load(&obj_destroyed), 2);
	cr_assert_eq(obj_live(), 0);
}

Test(atomic_cell, compare_exchange_semantics)
{
	tern_cell_t c;
	struct obj *a = obj_new(1), *b = obj_new(2), *d = obj_new(3);
	tern_cell_init(&c, a, obj_free);
	tern_epoch_pin();
	void *expected = b; /* wrong */
	cr_assert_not(tern_cell_compare_exchange(&c, &expected, d));
	cr_assert_eq(expected, a, "failure reports the current value");
	cr_assert_eq(tern_cell_load(&c), a);
	cr_assert(tern_cell_compare_exchange(&c, &expected, b));
	cr_assert_eq(tern_cell_load(&c), b);
	cr_assert(obj_ok(a), "replaced value alive while pinned");
	tern_epoch_unpin();
	tern_epoch_barrier();
	cr_assert_eq(atomic_load(&obj_destroyed), 1, "success destroys the old value after a grace period");
	/* NULL as expected: install only into an empty cell. */
	void *none = NULL;
	cr_assert_not(tern_cell_compare_exchange(&c, &none, d));
	cr_assert_eq(none, b);
	obj_free(tern_cell_take(&c)); /* no reader can hold it: single thread, unpinned */
	none = NULL;
	cr_assert(tern_cell_compare_exchange(&c, &none, d));
	tern_cell_destroy(&c);
	tern_epoch_barrier();
	cr_assert_eq(obj_live(), 0);
}

Test(atomic_cell, null_destroy_means_values_not_owned)
{
	static struct obj statics[2] = { { OBJ_LIVE, 5, ~5ULL }, { OBJ_LIVE, 6, ~6ULL } };
	tern_cell_t c;
	tern_cell_init(&c, &statics[0], NULL);
	tern_cell_store(&c, &statics[1]);
	void *exp = &statics[1];
	cr_assert(tern_cell_compare_exchange(&c, &exp, &statics[0]));
	tern_cell_destroy(&c);
	tern_epoch_barrier(); /* would crash if it tried to free a static */
	cr_assert(obj_ok(&statics[0]) && obj_ok(&statics[1]));
}

Test(atomic_cell, try_init_reports_errors)
{
	cr_assert_eq(tern_cell_try_init(NULL, NULL, NULL), EINVAL);
	tern_cell_t c;
	cr_assert_eq(tern_cell_try_init(&c, NULL, obj_free), 0);
	tern_cell_destroy(&c);
	cr_assert_eq(tern_cell_init_copy(NULL, NULL, 8), EINVAL);
	cr_assert_eq(tern_cell_init_copy(&c, NULL, 0), EINVAL);
}

static void *failing_malloc(size_t size, void *ctx)
{
	(void)size;
	(void)ctx;
	return NULL;
}
static void plain_free(void *p, void *ctx)
{
	(void)ctx;
	free(p);
}

Test(atomic_cell, allocation_failure_is_reported_and_loses_nothing)
{
	/* Register this thread with the epoch GC before allocation fails. */
	tern_epoch_pin();
	tern_epoch_unpin();
	uint64_t v = 42, w = 43, out = 0;
	tern_cell_t copy;
	cr_assert_eq(tern_cell_init_copy(&copy, &v, sizeof v), 0);

	struct tern_allocator failing = { failing_malloc, plain_free, NULL };
	cr_assert_eq(tern_set_allocator(&failing), 0);
	tern_cell_t c;
	struct obj *o = obj_new(1);
	int rc_init = tern_cell_try_init(&c, o, obj_free);
	int rc_copy_init = tern_cell_init_copy(&c, &v, sizeof v);
	int rc_store = tern_cell_store_copy(&copy, &w, sizeof w);
	cr_assert_eq(tern_set_allocator(NULL), 0);

	cr_assert_eq(rc_init, ENOMEM);
	cr_assert_eq(rc_copy_init, ENOMEM);
	cr_assert_eq(rc_store, ENOMEM);
	cr_assert(obj_ok(o), "the initial value stays with the caller");
	obj_free(o);
	cr_assert(tern_cell_load_copy(&copy, &out, sizeof out));
	cr_assert_eq(out, 42, "a failed store leaves the cell unchanged");
	tern_cell_destroy(&copy);
	tern_epoch_barrier();
	cr_assert_eq(obj_live(), 0);
}

/* ---- copy cells ---- */

struct pair {
	uint32_t x, y;
	double z;
};

Test(atomic_cell, copy_cell_copies_in_and_out)
{
	tern_cell_t c;
	struct pair p = { 1, 2, 3.5 }, out = { 0, 0, 0 };
	cr_assert_eq(tern_cell_init_copy(&c, NULL, sizeof p), 0);
	cr_assert_not(tern_cell_load_copy(&c, &out, sizeof out), "empty copy cell");
	cr_assert_eq(out.x, 0);
	cr_assert_eq(tern_cell_store_copy(&c, &p, sizeof p), 0);
	p.x = 99; /* the cell holds its own copy */
	cr_assert(tern_cell_load_copy(&c, &out, sizeof out));
	cr_assert(out.x == 1 && out.y == 2 && out.z == 3.5);
	tern_epoch_pin(); /* the borrowed form works on copy cells too */
	const struct pair *in = tern_cell_load(&c);
	cr_assert(in->x == 1 && in->z == 3.5);
	tern_epoch_unpin();
	for (uint32_t i = 0; i < 1000; i++) {
		struct pair q = { i, i * 2, i / 2.0 };
		cr_assert_eq(tern_cell_store_copy(&c, &q, sizeof q), 0);
	}
	cr_assert(tern_cell_load_copy(&c, &out, sizeof out));
	cr_assert(out.x == 999 && out.y == 1998 && out.z == 499.5);
	tern_cell_destroy(&c);
	tern_epoch_barrier();

	uint64_t init = 77, got = 0;
	cr_assert_eq(tern_cell_init_copy(&c, &init, sizeof init), 0);
	cr_assert(tern_cell_load_copy(&c, &got, sizeof got));
	cr_assert_eq(got, 77);
	tern_cell_destroy(&c);
	tern_epoch_barrier();
}

/* ---- typed cells ---- */

static void obj_free_typed(struct obj *o)
{
	obj_free(o);
}

TERN_CELL_DEFINE(objcell, struct obj, obj_free_typed);

Test(atomic_cell, typed_cell)
{
	cr_assert_eq(sizeof(objcell_t), sizeof(void *));
	objcell_t c = { NULL }; /* zero-initialised = empty */
	tern_epoch_pin();
	cr_assert_null(objcell_load(&c));
	tern_epoch_unpin();
	objcell_init(&c, obj_new(1));
	tern_epoch_pin();
	struct obj *first = objcell_load(&c); /* real type, no cast */
	cr_assert_eq(first->a, 1);
	objcell_store(&c, obj_new(2));
	cr_assert(obj_ok(first));
	tern_epoch_unpin();
	tern_epoch_barrier();
	cr_assert_eq(atomic_load(&obj_destroyed), 1);

	struct obj copy;
	cr_assert(objcell_load_copy(&c, &copy));
	cr_assert_eq(copy.a, 2);
	struct obj *old = objcell_swap(&c, obj_new(3));
	cr_assert_eq(old->a, 2);
	objcell_retire(old);
	tern_epoch_pin();
	struct obj *cur = objcell_load(&c);
	struct obj *wrong = NULL, *o99 = obj_new(99);
	cr_assert_not(objcell_compare_exchange(&c, &wrong, o99));
	cr_assert_eq(wrong, cur, "failure reports the current value");
	tern_epoch_unpin();
	obj_free(o99); /* a failed CAS leaves desired with the caller */
	cr_assert(objcell_compare_exchange(&c, &cur, obj_new(4)));
	struct obj *t = objcell_take(&c);
	cr_assert_eq(t->a, 4);
	objcell_retire(t);
	objcell_destroy(&c);
	tern_epoch_barrier();
	cr_assert_eq(atomic_load(&obj_created), 5);
	cr_assert_eq(obj_live(), 0);
}

/* ---- concurrency ---- */

enum { CELL_READERS = 2, CELL_WRITERS = 2 };

struct cell_shared {
	tern_cell_t cell;
	objcell_t typed;
	atomic_bool stop;
	atomic_long bad;        /* poisoned / corrupt objects seen by readers */
	atomic_long reads;      /* non-NULL values read */
	unsigned long iters;
};

struct cell_thread {
	struct cell_shared *s;
	unsigned id;
};

static void *cell_reader(void *arg)
{
	struct cell_thread *t = arg;
	struct cell_shared *s = t->s;
	long bad = 0, reads = 0;
	unsigned long rounds = 0;
	/* Relaxed: a stop flag; joins order the results. */
	while (!atomic_load_explicit(&s->stop, memory_order_relaxed) || rounds < 1000) {
		tern_epoch_pin();
		for (int k = 0; k < 16; k++) {
			const struct obj *o = tern_cell_load(&s->cell);
			const struct obj *p = objcell_load(&s->typed);
			if (o) {
				reads++;
				if (!obj_ok(o))
					bad++;
			}
			if (p) {
				reads++;
				if (!obj_ok(p))
					bad++;
			}
		}
		tern_epoch_unpin();
		rounds++;
	}
	atomic_fetch_add(&s->bad, bad);
	atomic_fetch_add(&s->reads, reads);
	return NULL;
}

static void *cell_writer(void *arg)
{
	struct cell_thread *t = arg;
	struct cell_shared *s = t->s;
	for (unsigned long i = 0; i < s->iters; i++) {
		uint64_t tag = ((uint64_t)t->id << 40) | i;
		switch (i % 5) {
		case 0:
			tern_cell_store(&s->cell, obj_new(tag));
			objcell_store(&s->typed, obj_new(tag));
			break;
		case 1:
			tern_cell_retire(&s->cell, tern_cell_swap(&s->cell, obj_new(tag)));
			objcell_retire(objcell_swap(&s->typed, obj_new(tag)));
			break;
		case 2:
			tern_cell_retire(&s->cell, tern_cell_take(&s->cell));
			objcell_retire(objcell_take(&s->typed));
			break;
		case 3: {
			/* Pinned CAS from a loaded value: the pin rules out ABA. */
			tern_epoch_pin();
			void *cur = tern_cell_load(&s->cell);
			struct obj *mine = obj_new(tag);
			if (!tern_cell_compare_exchange(&s->cell, &cur, mine))
				obj_free(mine); /* never published: free at once */
			struct obj *tcur = objcell_load(&s->typed);
			struct obj *tmine = obj_new(tag);
			if (!objcell_compare_exchange(&s->typed, &tcur, tmine))
				obj_free(tmine);
			tern_epoch_unpin();
			break;
		}
		default: {
			/* Unpinned CAS against NULL: fill the cell only if empty. */
			void *none = NULL;
			struct obj *mine = obj_new(tag);
			if (!tern_cell_compare_exchange(&s->cell, &none, mine))
				obj_free(mine);
			struct obj *tnone = NULL, *tmine = obj_new(tag);
			if (!objcell_compare_exchange(&s->typed, &tnone, tmine))
				obj_free(tmine);
			break;
		}
		}
	}
	return NULL;
}

Test(atomic_cell, concurrent_operations_never_expose_retired_values)
{
	static struct cell_shared s;
	s.iters = tern_test_iters(500000);
	tern_cell_init(&s.cell, obj_new(0), obj_free);
	objcell_init(&s.typed, obj_new(0));
	struct cell_thread rt[CELL_READERS], wt[CELL_WRITERS];
	pthread_t rth[CELL_READERS];
	for (unsigned i = 0; i < CELL_READERS; i++) {
		rt[i] = (struct cell_thread){ &s, i };
		cr_assert_eq(pthread_create(&rth[i], NULL, cell_reader, &rt[i]), 0);
	}
	for (unsigned i = 0; i < CELL_WRITERS; i++)
		wt[i] = (struct cell_thread){ &s, i + 1 };
	tern_test_run_threads(CELL_WRITERS, cell_writer, wt, sizeof wt[0]);
	atomic_store(&s.stop, true);
	for (unsigned i = 0; i < CELL_READERS; i++)
		pthread_join(rth[i], NULL);

	cr_assert_eq(atomic_load(&s.bad), 0, "readers saw %ld retired or corrupt objects",
		     atomic_load(&s.bad));
	cr_assert_gt(atomic_load(&s.reads), 0);
	cr_assert_gt(atomic_load(&obj_created), (long)(3 * s.iters)); /* 3.2 per iteration */
	tern_cell_destroy(&s.cell);
	objcell_destroy(&s.typed);
	tern_epoch_barrier();
	cr_assert_eq(obj_live(), 0, "%ld objects leaked (created %ld)", obj_live(),
		     atomic_load(&obj_created));
}

/* Copy cells under concurrency: a copy-out never tears or reads a freed box. */
struct wide {
	uint64_t w[8]; /* all equal */
};

struct copy_shared {
	tern_cell_t cell;
	atomic_bool stop;
	atomic_long torn, reads;
	unsigned long iters;
};

static void *copy_reader(void *arg)
{
	struct copy_shared *s = arg;
	long torn = 0, reads = 0;
	/* Relaxed: a stop flag; the join orders the results. */
	while (!atomic_load_explicit(&s->stop, memory_order_relaxed) || reads < 1000) {
		struct wide v;
		if (tern_cell_load_copy(&s->cell, &v, sizeof v)) {
			reads++;
			for (int i = 1; i < 8; i++)
				if (v.w[i] != v.w[0])
					torn++;
		}
	}
	atomic_fetch_add(&s->torn, torn);
	atomic_fetch_add(&s->reads, reads);
	return NULL;
}

Test(atomic_cell, copy_out_is_never_torn)
{
	static struct copy_shared s;
	s.iters = tern_test_iters(200000);
	struct wide v0 = { { 0 } };
	cr_assert_eq(tern_cell_init_copy(&s.cell, &v0, sizeof v0), 0);
	pthread_t r[2];
	for (int i = 0; i < 2; i++)
		cr_assert_eq(pthread_create(&r[i], NULL, copy_reader, &s), 0);
	for (unsigned long n = 1; n <= s.iters; n++) {
		struct wide v;
		for (int i = 0; i < 8; i++)
			v.w[i] = n;
		cr_assert_eq(tern_cell_store_copy(&s.cell, &v, sizeof v), 0);
	}
	atomic_store(&s.stop, true);
	for (int i = 0; i < 2; i++)
		pthread_join(r[i], NULL);
	cr_assert_eq(atomic_load(&s.torn), 0);
	struct wide last;
	cr_assert(tern_cell_load_copy(&s.cell, &last, sizeof last));
	cr_assert_eq(last.w[7], s.iters);
	tern_cell_destroy(&s.cell);
	tern_epoch_barrier();
}

/* ---- misuse (debug builds) ---- */

/* The test atomic_cell_death.<name>: the body runs in a child that must
 * abort with `msg` in its stderr. */
#define DEATH(name, msg) TERN_DEATH(atomic_cell_death, name, msg)

DEATH(load_without_pin, "tern_cell_load: caller is not pinned")
{
	tern_cell_t c;
	tern_cell_init(&c, NULL, NULL);
	(void)tern_cell_load(&c);
}

DEATH(load_after_destroy, "tern_cell_load: cell used after tern_cell_destroy")
{
	tern_cell_t c;
	tern_cell_init(&c, NULL, NULL);
	tern_cell_destroy(&c);
	tern_epoch_pin();
	(void)tern_cell_load(&c);
}

DEATH(store_after_destroy, "tern_cell_store: cell used after tern_cell_destroy")
{
	tern_cell_t c;
	tern_cell_init(&c, NULL, NULL);
	tern_cell_destroy(&c);
	tern_cell_store(&c, NULL);
}

DEATH(typed_load_without_pin, "objcell_load: caller is not pinned")
{
	objcell_t c = { NULL };
	(void)objcell_load(&c);
}

static void copy_on_pointer_cell(void *arg)
{
	(void)arg;
	tern_cell_t c;
	uint64_t x = 1;
	tern_cell_init(&c, NULL, NULL);
	(void)tern_cell_store_copy(&c, &x, sizeof x);
}

static void copy_wrong_size(void *arg)
{
	(void)arg;
	tern_cell_t c;
	uint64_t x = 1;
	uint32_t y;
	cr_assert_eq(tern_cell_init_copy(&c, &x, sizeof x), 0);
	(void)tern_cell_load_copy(&c, &y, sizeof y);
}

Test(atomic_cell_death, copy_helpers_on_wrong_cell)
{
	tern_test_expect_death(copy_on_pointer_cell, "tern_cell_store_copy: not a copy cell");
	tern_test_expect_death(copy_wrong_size, "tern_cell_load_copy: not a copy cell of this size");
}
