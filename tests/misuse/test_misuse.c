/* SPDX-License-Identifier: MIT */
/*
 * Misuse of the public API.
 *
 * Debug builds (no NDEBUG): every precondition stated in the public headers
 * that the other suites do not already cover (tests/{epoch,atomic_cell,
 * lazy_transform,lightlock}/ have the first death tests of each component)
 * is violated here in a forked child, which must die of SIGABRT with a
 * message that names the public call that was misused ("<call>:").
 *
 * Every build: the setup calls report cheap-to-detect misuse (NULL where an
 * object is required, a missing function) with EINVAL and change nothing.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "tern/alloc.h"
#include "tern/atomic_cell.h"
#include "tern/epoch.h"
#include "tern/lazy_transform.h"
#include "tern/lightlock.h"
#include "../common/tern_test.h"

/* ------------------------------------------------------------ helpers */

static void free_int(int *p)
{
	free(p);
}

static void free_void(void *p)
{
	free(p);
}

static int *int_new(int v)
{
	int *p = malloc(sizeof *p);
	if (p == NULL)
		abort();
	*p = v;
	return p;
}

TERN_CELL_DEFINE(mcell, int, free_int);

static int *twice(const int *src)
{
	return int_new(2 * *src);
}

TERN_LAZY_DEFINE(mlazy, int, int, twice, free_int, free_int);

static void *rt_twice(const void *src, void *ctx)
{
	(void)ctx;
	return int_new(2 * *(const int *)src);
}

static const struct tern_lazy_ops ops = { rt_twice, free_void, free_void, NULL };

/* The test misuse_<group>.<name>: the body (one statement for DEATH_DOES)
 * runs in a child that must abort with a message naming `call` ("<call>:"). */
#define DEATH(group, name, call) TERN_DEATH(misuse_##group, name, call ":")
#define DEATH_DOES(group, name, call, ...) TERN_DEATH_DOES(misuse_##group, name, call ":", __VA_ARGS__)

/* A new domain, in the child (which exits with 3 if it cannot have one). */
static tern_epoch_domain_t *domain_new(void)
{
	tern_epoch_domain_t *d;
	if (tern_epoch_domain_create(&d) != 0)
		_exit(3);
	return d;
}

/* ------------------------------------------------------------- epoch */

DEATH_DOES(epoch, domain_unpin_without_pin, "tern_epoch_domain_unpin", tern_epoch_domain_unpin(domain_new()))

DEATH(epoch, domain_unpin_more_than_pinned, "tern_epoch_domain_unpin")
{
	tern_epoch_domain_t *d = domain_new();
	tern_epoch_domain_pin(d);
	tern_epoch_domain_pin(d);
	tern_epoch_domain_unpin(d);
	tern_epoch_domain_unpin(d);
	tern_epoch_domain_unpin(d);
}

DEATH(epoch, unpin_more_than_pinned, "tern_epoch_unpin")
{
	tern_epoch_pin();
	tern_epoch_pin();
	tern_epoch_unpin();
	tern_epoch_unpin();
	tern_epoch_unpin();
}

DEATH_DOES(epoch, domain_pin_null, "tern_epoch_domain_pin", tern_epoch_domain_pin(NULL))
DEATH_DOES(epoch, domain_unpin_null, "tern_epoch_domain_unpin", tern_epoch_domain_unpin(NULL))
DEATH_DOES(epoch, domain_is_pinned_null, "tern_epoch_domain_is_pinned", (void)tern_epoch_domain_is_pinned(NULL))

DEATH(epoch, defer_without_destroy_function, "tern_epoch_defer")
{
	static int x;
	tern_epoch_defer(&x, NULL);
}

DEATH_DOES(epoch, domain_defer_null_domain, "tern_epoch_domain_defer",
           tern_epoch_domain_defer(NULL, int_new(1), free_void))

DEATH(epoch, domain_defer_without_destroy_function, "tern_epoch_domain_defer")
{
	tern_epoch_domain_t *d = domain_new();
	static int x;
	tern_epoch_domain_defer(d, &x, NULL);
}

DEATH_DOES(epoch, domain_defer_free_null_domain, "tern_epoch_domain_defer_free",
           tern_epoch_domain_defer_free(NULL, int_new(1)))

static void entry_fn(struct tern_epoch_entry *e)
{
	(void)e;
}

DEATH_DOES(epoch, call_null_entry, "tern_epoch_call", tern_epoch_call(NULL, entry_fn))

DEATH(epoch, call_null_function, "tern_epoch_call")
{
	static struct tern_epoch_entry e;
	tern_epoch_call(&e, NULL);
}

DEATH(epoch, domain_call_null_domain, "tern_epoch_domain_call")
{
	static struct tern_epoch_entry e;
	tern_epoch_domain_call(NULL, &e, entry_fn);
}

DEATH_DOES(epoch, domain_call_null_entry, "tern_epoch_domain_call",
           tern_epoch_domain_call(domain_new(), NULL, entry_fn))

static void destroy_calling_synchronize(void *p)
{
	free(p);
	tern_epoch_synchronize();
}

DEATH(epoch, synchronize_from_a_destructor, "tern_epoch_synchronize")
{
	tern_epoch_defer(int_new(1), destroy_calling_synchronize);
	tern_epoch_barrier();
}

static void destroy_calling_barrier(void *p)
{
	free(p);
	tern_epoch_barrier();
}

DEATH(epoch, barrier_from_a_destructor, "tern_epoch_barrier")
{
	tern_epoch_defer(int_new(1), destroy_calling_barrier);
	tern_epoch_barrier();
}

DEATH_DOES(epoch, domain_synchronize_null, "tern_epoch_domain_synchronize", tern_epoch_domain_synchronize(NULL))

DEATH(epoch, domain_synchronize_while_pinned, "tern_epoch_domain_synchronize")
{
	tern_epoch_domain_t *d = domain_new();
	tern_epoch_domain_pin(d);
	tern_epoch_domain_synchronize(d);
}

DEATH_DOES(epoch, domain_barrier_null, "tern_epoch_domain_barrier", tern_epoch_domain_barrier(NULL))

DEATH(epoch, domain_barrier_while_pinned, "tern_epoch_domain_barrier")
{
	tern_epoch_domain_t *d = domain_new();
	tern_epoch_domain_pin(d);
	tern_epoch_domain_barrier(d);
}

DEATH_DOES(epoch, domain_flush_null, "tern_epoch_domain_flush", tern_epoch_domain_flush(NULL))
DEATH_DOES(epoch, domain_collect_null, "tern_epoch_domain_collect", tern_epoch_domain_collect(NULL))
DEATH_DOES(epoch, stats_null_out, "tern_epoch_stats", tern_epoch_stats(NULL))

DEATH(epoch, domain_stats_null_domain, "tern_epoch_domain_stats")
{
	struct tern_epoch_stats st;
	tern_epoch_domain_stats(NULL, &st);
}

DEATH_DOES(epoch, domain_stats_null_out, "tern_epoch_domain_stats", tern_epoch_domain_stats(domain_new(), NULL))
DEATH_DOES(epoch, destroy_the_default_domain, "tern_epoch_domain_destroy",
           tern_epoch_domain_destroy(tern_epoch_default_domain()))

/* A destructor that destroys the domain its object belongs to (it would
 * free the lists the running collection walks, or wait for itself). */
static tern_epoch_domain_t *self_domain;

static void destroy_destroying_its_domain(void *p)
{
	free(p);
	tern_epoch_domain_destroy(self_domain);
}

DEATH(epoch, destroy_a_domain_from_its_destructor, "tern_epoch_domain_destroy")
{
	if (tern_epoch_domain_create(&self_domain) != 0)
		_exit(3);
	tern_epoch_domain_defer(self_domain, int_new(1), destroy_destroying_its_domain);
	tern_epoch_domain_barrier(self_domain);
}

/* The same from a destructor run out of the domain's sealed bins (the
 * batch a barrier would wait for), not from the caller's own open list.
 * (No thread is created: the death test's child runs under TSan too,
 * which cannot start threads after a multi-threaded fork.) */
DEATH(epoch, destroy_a_domain_from_an_orphan_destructor, "tern_epoch_domain_destroy")
{
	if (tern_epoch_domain_create(&self_domain) != 0)
		_exit(3);
	tern_epoch_domain_defer(self_domain, int_new(1), destroy_destroying_its_domain);
	tern_epoch_domain_flush(self_domain); /* sealed: now the domain's */
	for (int i = 0; i < 4; i++)
		tern_epoch_domain_synchronize(self_domain);
	tern_epoch_domain_collect(self_domain); /* runs it from the bins */
}

/* Quiescent-state readers (issue 11): online while pinned or online,
 * quiescent or offline while not online or inside a nested pin, unpin of
 * the online section itself, and waiting for readers while online. */

DEATH(epoch, online_while_pinned, "tern_epoch_online")
{
	tern_epoch_pin();
	tern_epoch_online();
}

DEATH(epoch, online_while_online, "tern_epoch_online")
{
	tern_epoch_online();
	tern_epoch_online();
}

DEATH_DOES(epoch, quiescent_while_not_online, "tern_epoch_quiescent", tern_epoch_quiescent())

DEATH(epoch, quiescent_while_pinned_not_online, "tern_epoch_quiescent")
{
	tern_epoch_pin();
	tern_epoch_quiescent();
}

DEATH(epoch, quiescent_after_offline, "tern_epoch_quiescent")
{
	tern_epoch_online();
	tern_epoch_offline();
	tern_epoch_quiescent();
}

DEATH(epoch, quiescent_inside_a_nested_pin, "tern_epoch_quiescent")
{
	tern_epoch_online();
	tern_epoch_pin();
	tern_epoch_quiescent();
}

/* Online in an explicit domain is not online in the default domain. */
DEATH(epoch, quiescent_online_only_in_another_domain, "tern_epoch_quiescent")
{
	tern_epoch_domain_t *d = domain_new();
	tern_epoch_domain_online(d);
	tern_epoch_quiescent();
}

DEATH_DOES(epoch, offline_while_not_online, "tern_epoch_offline", tern_epoch_offline())

DEATH(epoch, offline_twice, "tern_epoch_offline")
{
	tern_epoch_online();
	tern_epoch_offline();
	tern_epoch_offline();
}

DEATH(epoch, offline_while_pinned_not_online, "tern_epoch_offline")
{
	tern_epoch_pin();
	tern_epoch_offline();
}

DEATH(epoch, offline_inside_a_nested_pin, "tern_epoch_offline")
{
	tern_epoch_online();
	tern_epoch_pin();
	tern_epoch_offline();
}

/* The online section is not a pin: an unpin beyond the nested pins aborts. */
DEATH(epoch, unpin_ending_the_online_section, "tern_epoch_unpin")
{
	tern_epoch_online();
	tern_epoch_pin();
	tern_epoch_unpin();
	tern_epoch_unpin();
}

DEATH(epoch, synchronize_while_online, "tern_epoch_synchronize")
{
	tern_epoch_online();
	tern_epoch_synchronize();
}

DEATH(epoch, barrier_while_online, "tern_epoch_barrier")
{
	tern_epoch_online();
	tern_epoch_barrier();
}

DEATH_DOES(epoch, domain_online_null, "tern_epoch_domain_online", tern_epoch_domain_online(NULL))
DEATH_DOES(epoch, domain_quiescent_null, "tern_epoch_domain_quiescent", tern_epoch_domain_quiescent(NULL))
DEATH_DOES(epoch, domain_offline_null, "tern_epoch_domain_offline", tern_epoch_domain_offline(NULL))
DEATH_DOES(epoch, domain_get_state_null, "tern_epoch_domain_get_state", (void)tern_epoch_domain_get_state(NULL))
DEATH_DOES(epoch, domain_poll_state_null, "tern_epoch_domain_poll_state", (void)tern_epoch_domain_poll_state(NULL, 0))

DEATH(epoch, domain_online_while_online, "tern_epoch_domain_online")
{
	tern_epoch_domain_t *d = domain_new();
	tern_epoch_domain_online(d);
	tern_epoch_domain_online(d);
}

DEATH(epoch, domain_online_while_pinned, "tern_epoch_domain_online")
{
	tern_epoch_domain_t *d = domain_new();
	tern_epoch_domain_pin(d);
	tern_epoch_domain_online(d);
}

DEATH_DOES(epoch, domain_quiescent_while_not_online, "tern_epoch_domain_quiescent",
           tern_epoch_domain_quiescent(domain_new()))

DEATH(epoch, domain_quiescent_inside_a_nested_pin, "tern_epoch_domain_quiescent")
{
	tern_epoch_domain_t *d = domain_new();
	tern_epoch_domain_online(d);
	tern_epoch_domain_pin(d);
	tern_epoch_domain_quiescent(d);
}

DEATH_DOES(epoch, domain_offline_while_not_online, "tern_epoch_domain_offline", tern_epoch_domain_offline(domain_new()))

DEATH(epoch, domain_unpin_ending_the_online_section, "tern_epoch_domain_unpin")
{
	tern_epoch_domain_t *d = domain_new();
	tern_epoch_domain_online(d);
	tern_epoch_domain_unpin(d);
}

DEATH(epoch, domain_synchronize_while_online, "tern_epoch_domain_synchronize")
{
	tern_epoch_domain_t *d = domain_new();
	tern_epoch_domain_online(d);
	tern_epoch_domain_synchronize(d);
}

DEATH(epoch, domain_barrier_while_online, "tern_epoch_domain_barrier")
{
	tern_epoch_domain_t *d = domain_new();
	tern_epoch_domain_online(d);
	tern_epoch_domain_barrier(d);
}

/* ---------------------------------------------------- run-time cell */

DEATH_DOES(cell, init_null, "tern_cell_init", tern_cell_init(NULL, NULL, free_void))
DEATH_DOES(cell, destroy_null, "tern_cell_destroy", tern_cell_destroy(NULL))

DEATH(cell, destroy_twice, "tern_cell_destroy")
{
	tern_cell_t c;
	tern_cell_init(&c, int_new(1), free_void);
	tern_cell_destroy(&c);
	tern_cell_destroy(&c);
}

DEATH(cell, destroy_uninitialised, "tern_cell_destroy")
{
	tern_cell_t c = { NULL };
	tern_cell_destroy(&c);
}

DEATH(cell, load_null, "tern_cell_load")
{
	tern_epoch_pin();
	(void)tern_cell_load(NULL);
}

DEATH(cell, load_uninitialised, "tern_cell_load")
{
	tern_cell_t c = { NULL };
	tern_epoch_pin();
	(void)tern_cell_load(&c);
}

DEATH_DOES(cell, store_null, "tern_cell_store", tern_cell_store(NULL, NULL))

DEATH(cell, store_uninitialised, "tern_cell_store")
{
	tern_cell_t c = { NULL };
	tern_cell_store(&c, NULL);
}

DEATH_DOES(cell, swap_null, "tern_cell_swap", (void)tern_cell_swap(NULL, NULL))

DEATH(cell, swap_after_destroy, "tern_cell_swap")
{
	tern_cell_t c;
	tern_cell_init(&c, NULL, free_void);
	tern_cell_destroy(&c);
	(void)tern_cell_swap(&c, NULL);
}

DEATH_DOES(cell, take_null, "tern_cell_take", (void)tern_cell_take(NULL))

DEATH(cell, take_after_destroy, "tern_cell_take")
{
	tern_cell_t c;
	tern_cell_init(&c, NULL, free_void);
	tern_cell_destroy(&c);
	(void)tern_cell_take(&c);
}

DEATH(cell, compare_exchange_null_cell, "tern_cell_compare_exchange")
{
	void *expected = NULL;
	(void)tern_cell_compare_exchange(NULL, &expected, NULL);
}

DEATH(cell, compare_exchange_null_expected, "tern_cell_compare_exchange")
{
	tern_cell_t c;
	tern_cell_init(&c, NULL, free_void);
	(void)tern_cell_compare_exchange(&c, NULL, NULL);
}

DEATH(cell, compare_exchange_after_destroy, "tern_cell_compare_exchange")
{
	tern_cell_t c;
	tern_cell_init(&c, NULL, free_void);
	tern_cell_destroy(&c);
	void *expected = NULL;
	(void)tern_cell_compare_exchange(&c, &expected, NULL);
}

DEATH_DOES(cell, retire_null, "tern_cell_retire", tern_cell_retire(NULL, NULL))

DEATH(cell, retire_after_destroy, "tern_cell_retire")
{
	tern_cell_t c;
	tern_cell_init(&c, NULL, free_void);
	tern_cell_destroy(&c);
	tern_cell_retire(&c, int_new(1));
}

DEATH(cell, store_copy_null_src, "tern_cell_store_copy")
{
	tern_cell_t c;
	int v = 1;
	if (tern_cell_init_copy(&c, &v, sizeof v) != 0)
		_exit(3);
	(void)tern_cell_store_copy(&c, NULL, sizeof v);
}

DEATH(cell, store_copy_wrong_size, "tern_cell_store_copy")
{
	tern_cell_t c;
	int v = 1;
	long w = 2;
	if (tern_cell_init_copy(&c, &v, sizeof v) != 0)
		_exit(3);
	(void)tern_cell_store_copy(&c, &w, sizeof w);
}

DEATH(cell, store_copy_after_destroy, "tern_cell_store_copy")
{
	tern_cell_t c;
	int v = 1;
	if (tern_cell_init_copy(&c, &v, sizeof v) != 0)
		_exit(3);
	tern_cell_destroy(&c);
	(void)tern_cell_store_copy(&c, &v, sizeof v);
}

DEATH(cell, store_copy_null_cell, "tern_cell_store_copy")
{
	int v = 1;
	(void)tern_cell_store_copy(NULL, &v, sizeof v);
}

DEATH(cell, load_copy_null_dst, "tern_cell_load_copy")
{
	tern_cell_t c;
	int v = 1;
	if (tern_cell_init_copy(&c, &v, sizeof v) != 0)
		_exit(3);
	(void)tern_cell_load_copy(&c, NULL, sizeof v);
}

DEATH(cell, load_copy_after_destroy, "tern_cell_load_copy")
{
	tern_cell_t c;
	int v = 1;
	if (tern_cell_init_copy(&c, &v, sizeof v) != 0)
		_exit(3);
	tern_cell_destroy(&c);
	(void)tern_cell_load_copy(&c, &v, sizeof v);
}

/* ------------------------------------------------------- typed cell */

DEATH_DOES(typed_cell, init_null, "mcell_init", mcell_init(NULL, NULL))

DEATH(typed_cell, load_null, "mcell_load")
{
	tern_epoch_pin();
	(void)mcell_load(NULL);
}

DEATH_DOES(typed_cell, store_null, "mcell_store", mcell_store(NULL, NULL))
DEATH_DOES(typed_cell, swap_null, "mcell_swap", (void)mcell_swap(NULL, NULL))
DEATH_DOES(typed_cell, take_null, "mcell_take", (void)mcell_take(NULL))

DEATH(typed_cell, compare_exchange_null_cell, "mcell_compare_exchange")
{
	int *expected = NULL;
	(void)mcell_compare_exchange(NULL, &expected, NULL);
}

DEATH(typed_cell, compare_exchange_null_expected, "mcell_compare_exchange")
{
	mcell_t c = { NULL };
	(void)mcell_compare_exchange(&c, NULL, NULL);
}

DEATH(typed_cell, load_copy_null_cell, "mcell_load_copy")
{
	int out;
	(void)mcell_load_copy(NULL, &out);
}

DEATH(typed_cell, load_copy_null_out, "mcell_load_copy")
{
	mcell_t c = { NULL };
	(void)mcell_load_copy(&c, NULL);
}

DEATH_DOES(typed_cell, destroy_null, "mcell_destroy", mcell_destroy(NULL))

/* --------------------------------------------- run-time LazyTransform */

DEATH_DOES(lazy, set_source_null_container, "tern_lazy_set_source", tern_lazy_set_source(NULL, int_new(1)))

DEATH(lazy, set_source_uninitialised, "tern_lazy_set_source")
{
	tern_lazy_t lt;
	memset(&lt, 0, sizeof lt);
	tern_lazy_set_source(&lt, int_new(1));
}

DEATH(lazy, get_null_container, "tern_lazy_get_transformed")
{
	tern_epoch_pin();
	(void)tern_lazy_get_transformed(NULL);
}

DEATH_DOES(lazy, destroy_null, "tern_lazy_destroy", tern_lazy_destroy(NULL))

DEATH(lazy, destroy_twice, "tern_lazy_destroy")
{
	tern_lazy_t lt;
	if (tern_lazy_init(&lt, &ops) != 0)
		_exit(3);
	tern_lazy_destroy(&lt);
	tern_lazy_destroy(&lt);
}

DEATH(lazy, destroy_uninitialised, "tern_lazy_destroy")
{
	tern_lazy_t lt;
	memset(&lt, 0, sizeof lt);
	tern_lazy_destroy(&lt);
}

/* A transform that destroys its own container: "destroy while a
 * transformation runs". */
static tern_lazy_t self_destroying;

static void *transform_then_destroy(const void *src, void *ctx)
{
	(void)ctx;
	tern_lazy_destroy(&self_destroying);
	return int_new(*(const int *)src);
}

static const struct tern_lazy_ops self_destroying_ops = { transform_then_destroy, free_void, free_void, NULL };

DEATH(lazy, destroy_during_transform, "tern_lazy_destroy")
{
	if (tern_lazy_init(&self_destroying, &self_destroying_ops) != 0)
		_exit(3);
	tern_lazy_set_source(&self_destroying, int_new(1));
	tern_epoch_pin();
	(void)tern_lazy_get_transformed(&self_destroying);
}

DEATH(lazy, get_copy_null_dst, "tern_lazy_get_copy")
{
	tern_lazy_t lt;
	if (tern_lazy_init(&lt, &ops) != 0)
		_exit(3);
	(void)tern_lazy_get_copy(&lt, NULL, sizeof(int));
}

DEATH(lazy, visit_null_fn, "tern_lazy_visit")
{
	tern_lazy_t lt;
	if (tern_lazy_init(&lt, &ops) != 0)
		_exit(3);
	(void)tern_lazy_visit(&lt, NULL, NULL);
}

/* ------------------------------------------------ typed LazyTransform */

DEATH_DOES(typed_lazy, init_null, "mlazy_init", mlazy_init(NULL))
DEATH_DOES(typed_lazy, set_source_null_container, "mlazy_set_source", mlazy_set_source(NULL, int_new(1)))

DEATH(typed_lazy, set_source_null_source, "mlazy_set_source")
{
	mlazy_t lt;
	mlazy_init(&lt);
	mlazy_set_source(&lt, NULL);
}

DEATH(typed_lazy, set_source_after_destroy, "mlazy_set_source")
{
	mlazy_t lt;
	mlazy_init(&lt);
	mlazy_destroy(&lt);
	mlazy_set_source(&lt, int_new(1));
}

DEATH(typed_lazy, get_null_container, "mlazy_get_transformed")
{
	tern_epoch_pin();
	(void)mlazy_get_transformed(NULL);
}

DEATH(typed_lazy, get_copy_null_out, "mlazy_get_copy")
{
	mlazy_t lt;
	mlazy_init(&lt);
	(void)mlazy_get_copy(&lt, NULL);
}

DEATH(typed_lazy, visit_null_fn, "mlazy_visit")
{
	mlazy_t lt;
	mlazy_init(&lt);
	(void)mlazy_visit(&lt, NULL, NULL);
}

DEATH_DOES(typed_lazy, destroy_null, "mlazy_destroy", mlazy_destroy(NULL))

DEATH(typed_lazy, destroy_twice, "mlazy_destroy")
{
	mlazy_t lt;
	mlazy_init(&lt);
	mlazy_destroy(&lt);
	mlazy_destroy(&lt);
}

/* The typed form of "destroy while a transformation runs". */
static int *twice_then_destroy(const int *src);

TERN_LAZY_DEFINE(slazy, int, int, twice_then_destroy, free_int, free_int);

static slazy_t self_destroying_typed;

static int *twice_then_destroy(const int *src)
{
	slazy_destroy(&self_destroying_typed);
	return int_new(2 * *src);
}

DEATH(typed_lazy, destroy_during_transform, "slazy_destroy")
{
	slazy_init(&self_destroying_typed);
	slazy_set_source(&self_destroying_typed, int_new(1));
	tern_epoch_pin();
	(void)slazy_get_transformed(&self_destroying_typed);
}

/* ------------------------------------- every build: setup calls fail */

Test(misuse_release, setup_calls_reject_null_with_einval)
{
	int v = 1;
	cr_assert_eq(tern_cell_try_init(NULL, NULL, free_void), EINVAL);
	cr_assert_eq(tern_cell_init_copy(NULL, &v, sizeof v), EINVAL);
	tern_cell_t c = { NULL };
	cr_assert_eq(tern_cell_init_copy(&c, &v, 0), EINVAL, "size 0");
	cr_assert_null(c.hdr, "a rejected init wrote the cell");

	cr_assert_eq(tern_lazy_init(NULL, &ops), EINVAL);
	tern_lazy_t lt;
	memset(&lt, 0, sizeof lt);
	cr_assert_eq(tern_lazy_init(&lt, NULL), EINVAL);
	const struct tern_lazy_ops no_transform = { NULL, free_void, free_void, NULL };
	cr_assert_eq(tern_lazy_init(&lt, &no_transform), EINVAL);
	cr_assert_null(lt.ops, "a rejected init wrote the container");

	cr_assert_eq(tern_epoch_domain_create(NULL), EINVAL);
	cr_assert_eq(tern_epoch_domain_register(NULL), EINVAL);
	tern_epoch_domain_destroy(NULL); /* documented no-op */
}

static void *counting_malloc(size_t n, void *ctx)
{
	(void)ctx;
	return malloc(n);
}

static void counting_free(void *p, void *ctx)
{
	(void)ctx;
	free(p);
}

Test(misuse_release, set_allocator_rejects_a_missing_function)
{
	const struct tern_allocator no_malloc = { NULL, counting_free, NULL };
	const struct tern_allocator no_free = { counting_malloc, NULL, NULL };
	cr_assert_eq(tern_set_allocator(&no_malloc), EINVAL);
	cr_assert_eq(tern_set_allocator(&no_free), EINVAL);
	/* The allocator in place still works. */
	tern_cell_t c;
	cr_assert_eq(tern_cell_try_init(&c, NULL, NULL), 0);
	tern_cell_destroy(&c);
	tern_epoch_barrier();
}
