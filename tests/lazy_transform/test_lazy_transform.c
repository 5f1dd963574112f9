/* SPDX-License-Identifier: MIT */
/* LazyTransform, single-threaded: the exercise's Python reference behaviour,
 * ownership (every source and value destroyed exactly once), the copy-out
 * and visit forms, the typed generator, sizes, and misuse in debug builds. */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "tern/epoch.h"
#include "tern/lazy_transform.h"
#include "../common/tern_test.h"

/* Sources are heap strings holding a decimal number; values are heap
 * strings "<n*2>".  Counters track every construction and destruction. */
static long src_made, src_freed, val_made, val_freed, transforms;
static bool reject_odd; /* transform returns NULL for odd numbers */

static char *src_new(long n)
{
	char *s = malloc(32);
	cr_assert_not_null(s);
	snprintf(s, 32, "%ld", n);
	src_made++;
	return s;
}

static void src_free(void *p)
{
	src_freed++;
	free(p);
}

static void *xform(const void *source, void *ctx)
{
	cr_assert_eq(ctx, &transforms, "ctx is passed through");
	transforms++;
	long n = strtol(source, NULL, 10);
	if (reject_odd && (n & 1))
		return NULL;
	char *v = malloc(32);
	cr_assert_not_null(v);
	snprintf(v, 32, "<%ld>", n * 2);
	val_made++;
	return v;
}

static void val_free(void *p)
{
	val_freed++;
	free(p);
}

static const struct tern_lazy_ops ops = { xform, src_free, val_free, &transforms };

static const char *get(tern_lazy_t *lt)
{
	return tern_lazy_get_transformed(lt);
}

Test(lazy_transform, sizes)
{
	cr_assert_leq(sizeof(tern_lazy_t), 4 * sizeof(void *));
#if defined(__x86_64__)
	cr_assert_leq(sizeof(tern_lazy_t), 32);
#endif
}

Test(lazy_transform, init_rejects_bad_arguments)
{
	tern_lazy_t lt;
	struct tern_lazy_ops no_transform = { NULL, src_free, val_free, NULL };
	cr_assert_eq(tern_lazy_init(NULL, &ops), EINVAL);
	cr_assert_eq(tern_lazy_init(&lt, NULL), EINVAL);
	cr_assert_eq(tern_lazy_init(&lt, &no_transform), EINVAL);
	cr_assert_eq(tern_lazy_init(&lt, &ops), 0);
	tern_lazy_destroy(&lt);
}

/* The Python reference, step by step. */
Test(lazy_transform, python_reference_behaviour)
{
	tern_lazy_t lt;
	cr_assert_eq(tern_lazy_init(&lt, &ops), 0);
	tern_epoch_pin();
	cr_assert_null(get(&lt), "no value before the first source");
	tern_epoch_unpin();

	tern_lazy_set_source(&lt, src_new(1));
	cr_assert_eq(transforms, 0, "transformation is not attempted until requested");

	tern_epoch_pin();
	const char *v = get(&lt);
	cr_assert_str_eq(v, "<2>");
	cr_assert_eq(transforms, 1);
	cr_assert_eq(src_freed, 1, "the consumed source is destroyed");
	for (int i = 0; i < 100; i++)
		cr_assert_eq(get(&lt), v, "repeated gets return the cached value");
	cr_assert_eq(transforms, 1, "and never transform again");
	tern_epoch_unpin();

	/* Several sets before a get: only the last is transformed; the others
	 * are destroyed as they are replaced. */
	tern_lazy_set_source(&lt, src_new(2));
	tern_lazy_set_source(&lt, src_new(3));
	tern_lazy_set_source(&lt, src_new(4));
	cr_assert_eq(src_freed, 3);
	cr_assert_eq(transforms, 1);
	tern_epoch_pin();
	const char *w = get(&lt);
	cr_assert_str_eq(w, "<8>");
	cr_assert_str_eq(v, "<2>", "the old value stays valid while pinned");
	cr_assert_eq(val_freed, 0);
	tern_epoch_unpin();
	cr_assert_eq(transforms, 2);
	cr_assert_eq(src_freed, 4);
	tern_epoch_barrier();
	cr_assert_eq(val_freed, 1, "the replaced value is destroyed after a grace period");

	tern_lazy_destroy(&lt);
	tern_epoch_barrier();
	cr_assert_eq(src_made, src_freed);
	cr_assert_eq(val_made, val_freed);
}

Test(lazy_transform, null_transform_consumes_source_and_keeps_value)
{
	tern_lazy_t lt;
	reject_odd = true;
	cr_assert_eq(tern_lazy_init(&lt, &ops), 0);
	tern_epoch_pin();
	tern_lazy_set_source(&lt, src_new(3));
	cr_assert_null(get(&lt), "rejected first source: still no value");
	cr_assert_eq(transforms, 1);
	cr_assert_eq(src_freed, 1, "a rejected source is consumed");
	cr_assert_null(get(&lt));
	cr_assert_eq(transforms, 1, "and not retried");

	tern_lazy_set_source(&lt, src_new(10));
	const char *v = get(&lt);
	cr_assert_str_eq(v, "<20>");
	tern_lazy_set_source(&lt, src_new(11));
	cr_assert_eq(get(&lt), v, "NULL from the transform keeps the old value");
	cr_assert_str_eq(v, "<20>");
	cr_assert_eq(transforms, 3);
	cr_assert_eq(src_freed, 3);
	tern_epoch_unpin();
	tern_lazy_destroy(&lt);
	tern_epoch_barrier();
	cr_assert_eq(src_made, src_freed);
	cr_assert_eq(val_made, val_freed);
	cr_assert_eq(val_made, 1);
}

Test(lazy_transform, destroy_drops_pending_source_and_value_once)
{
	tern_lazy_t lt;
	cr_assert_eq(tern_lazy_init(&lt, &ops), 0);
	tern_lazy_set_source(&lt, src_new(1));
	tern_epoch_pin();
	cr_assert_str_eq(get(&lt), "<2>");
	tern_epoch_unpin();
	tern_lazy_set_source(&lt, src_new(5)); /* pending at destroy */
	tern_lazy_destroy(&lt);
	cr_assert_eq(src_freed, 2, "a pending source is destroyed at once");
	tern_epoch_barrier();
	cr_assert_eq(val_freed, 1);
	cr_assert_eq(transforms, 1);

	/* Empty container: nothing to destroy. */
	cr_assert_eq(tern_lazy_init(&lt, &ops), 0);
	tern_lazy_destroy(&lt);
	tern_epoch_barrier();
	cr_assert_eq(src_made, src_freed);
	cr_assert_eq(val_made, val_freed);
}

Test(lazy_transform, static_initialiser)
{
	static tern_lazy_t lt = TERN_LAZY_INIT(&ops);
	tern_lazy_set_source(&lt, src_new(21));
	tern_epoch_pin();
	cr_assert_str_eq(get(&lt), "<42>");
	tern_epoch_unpin();
	tern_lazy_destroy(&lt);
	tern_epoch_barrier();
	cr_assert_eq(val_made, val_freed);
}

Test(lazy_transform, null_destroy_functions_mean_not_owned)
{
	static char sources[3][8] = { "1", "2", "3" };
	static const struct tern_lazy_ops borrowing = { xform, NULL, val_free, &transforms };
	tern_lazy_t lt;
	cr_assert_eq(tern_lazy_init(&lt, &borrowing), 0);
	tern_lazy_set_source(&lt, sources[0]);
	tern_lazy_set_source(&lt, sources[1]); /* would crash freeing a static */
	tern_epoch_pin();
	cr_assert_str_eq(get(&lt), "<4>");
	tern_epoch_unpin();
	tern_lazy_set_source(&lt, sources[2]);
	tern_lazy_destroy(&lt);
	tern_epoch_barrier();
	cr_assert_eq(val_made, val_freed);
}

/* ---- copy-out and visit ---- */

struct stats {
	uint64_t sum, count;
};

static void *stats_xform(const void *source, void *ctx)
{
	(void)ctx;
	const uint64_t *s = source;
	struct stats *v = malloc(sizeof *v);
	cr_assert_not_null(v);
	v->sum = s[0] + s[1];
	v->count = 2;
	return v;
}

static const struct tern_lazy_ops stats_ops = { stats_xform, free, free, NULL };

static void add_sum(const void *value, void *arg)
{
	cr_assert(tern_epoch_is_pinned(), "visit runs its function pinned");
	*(uint64_t *)arg += ((const struct stats *)value)->sum;
}

Test(lazy_transform, copy_out_and_visit)
{
	tern_lazy_t lt;
	cr_assert_eq(tern_lazy_init(&lt, &stats_ops), 0);
	struct stats out = { 0, 0 };
	uint64_t acc = 0;
	cr_assert_not(tern_lazy_get_copy(&lt, &out, sizeof out), "no value yet");
	cr_assert_not(tern_lazy_visit(&lt, add_sum, &acc));
	cr_assert_eq(acc, 0, "visit does not call fn without a value");
	cr_assert_not(tern_epoch_is_pinned(), "copy and visit unpin after themselves");

	uint64_t *src = malloc(2 * sizeof *src);
	cr_assert_not_null(src);
	src[0] = 40;
	src[1] = 2;
	tern_lazy_set_source(&lt, src);
	cr_assert(tern_lazy_get_copy(&lt, &out, sizeof out), "copy transforms first when needed");
	cr_assert(out.sum == 42 && out.count == 2);
	cr_assert(tern_lazy_visit(&lt, add_sum, &acc));
	cr_assert(tern_lazy_visit(&lt, add_sum, &acc));
	cr_assert_eq(acc, 84);
	cr_assert_not(tern_epoch_is_pinned());
	/* Works nested inside a caller's pin too. */
	tern_epoch_pin();
	cr_assert(tern_lazy_get_copy(&lt, &out, sizeof out));
	cr_assert(tern_epoch_is_pinned());
	tern_epoch_unpin();
	tern_lazy_destroy(&lt);
	tern_epoch_barrier();
}

/* ---- typed generator ---- */

struct reading {
	int celsius;
	int seq;
};
struct report {
	char text[40];
	int seq;
};

static long typed_src_freed, typed_val_freed, typed_transforms;

static struct report *make_report(const struct reading *r)
{
	typed_transforms++;
	if (r->celsius < -273)
		return NULL; /* impossible reading: keep the old report */
	struct report *rep = malloc(sizeof *rep);
	cr_assert_not_null(rep);
	snprintf(rep->text, sizeof rep->text, "%d C = %d F", r->celsius, r->celsius * 9 / 5 + 32);
	rep->seq = r->seq;
	return rep;
}

static void free_reading(struct reading *r)
{
	typed_src_freed++;
	free(r);
}

static void free_report(struct report *r)
{
	typed_val_freed++;
	free(r);
}

TERN_LAZY_DEFINE(temp_lazy, struct reading, struct report, make_report, free_reading, free_report);

static struct reading *reading_new(int c, int seq)
{
	struct reading *r = malloc(sizeof *r);
	cr_assert_not_null(r);
	r->celsius = c;
	r->seq = seq;
	return r;
}

static void count_visit(const struct report *r, void *arg)
{
	*(int *)arg += r->seq;
}

Test(lazy_transform, typed_generator)
{
	cr_assert_leq(sizeof(temp_lazy_t), 3 * sizeof(void *));
#if defined(__x86_64__)
	cr_assert_leq(sizeof(temp_lazy_t), 24);
#endif
	temp_lazy_t lt = TERN_LAZY_TYPED_INIT;
	tern_epoch_pin();
	cr_assert_null(temp_lazy_get_transformed(&lt));
	tern_epoch_unpin();
	temp_lazy_init(&lt);
	temp_lazy_set_source(&lt, reading_new(100, 1));
	temp_lazy_set_source(&lt, reading_new(20, 2));
	cr_assert_eq(typed_transforms, 0);
	cr_assert_eq(typed_src_freed, 1);
	tern_epoch_pin();
	const struct report *rep = temp_lazy_get_transformed(&lt); /* real type */
	cr_assert_str_eq(rep->text, "20 C = 68 F");
	cr_assert_eq(temp_lazy_get_transformed(&lt), rep);
	cr_assert_eq(typed_transforms, 1);
	temp_lazy_set_source(&lt, reading_new(-300, 3)); /* rejected */
	cr_assert_eq(temp_lazy_get_transformed(&lt), rep);
	cr_assert_eq(typed_transforms, 2);
	tern_epoch_unpin();
	cr_assert_eq(typed_src_freed, 3);

	struct report copy;
	temp_lazy_set_source(&lt, reading_new(0, 4));
	cr_assert(temp_lazy_get_copy(&lt, &copy));
	cr_assert_str_eq(copy.text, "0 C = 32 F");
	int seqsum = 0;
	cr_assert(temp_lazy_visit(&lt, count_visit, &seqsum));
	cr_assert_eq(seqsum, 4);
	temp_lazy_set_source(&lt, reading_new(1, 5)); /* pending at destroy */
	temp_lazy_destroy(&lt);
	tern_epoch_barrier();
	cr_assert_eq(typed_src_freed, 5);
	cr_assert_eq(typed_val_freed, 2);
}

/* ---- misuse (debug builds) ---- */

/* The test lazy_transform_death.<name>: the body runs in a child that
 * must abort with `msg` in its stderr. */
#define DEATH(name, msg) TERN_DEATH(lazy_transform_death, name, msg)

DEATH(get_without_pin, "tern_lazy_get_transformed: caller is not pinned")
{
	tern_lazy_t lt;
	cr_assert_eq(tern_lazy_init(&lt, &ops), 0);
	(void)tern_lazy_get_transformed(&lt);
}

DEATH(get_after_destroy, "tern_lazy_get_transformed: container used after tern_lazy_destroy")
{
	tern_lazy_t lt;
	cr_assert_eq(tern_lazy_init(&lt, &ops), 0);
	tern_lazy_destroy(&lt);
	tern_epoch_pin();
	(void)tern_lazy_get_transformed(&lt);
}

DEATH(set_source_after_destroy, "tern_lazy_set_source: container used after tern_lazy_destroy")
{
	tern_lazy_t lt;
	cr_assert_eq(tern_lazy_init(&lt, &ops), 0);
	tern_lazy_destroy(&lt);
	tern_lazy_set_source(&lt, src_new(1));
}

DEATH(set_null_source, "tern_lazy_set_source: source is NULL")
{
	tern_lazy_t lt;
	cr_assert_eq(tern_lazy_init(&lt, &ops), 0);
	tern_lazy_set_source(&lt, NULL);
}

DEATH(typed_get_without_pin, "temp_lazy_get_transformed: caller is not pinned")
{
	temp_lazy_t lt = TERN_LAZY_TYPED_INIT;
	(void)temp_lazy_get_transformed(&lt);
}

DEATH(typed_get_after_destroy, "temp_lazy_get_transformed: container used after temp_lazy_destroy")
{
	temp_lazy_t lt = TERN_LAZY_TYPED_INIT;
	temp_lazy_destroy(&lt);
	tern_epoch_pin();
	(void)temp_lazy_get_transformed(&lt);
}
