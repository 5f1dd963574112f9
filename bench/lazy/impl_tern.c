/* SPDX-License-Identifier: MIT */
/*
 * bench/lazy/impl_tern.c — tern's LazyTransform, typed form
 * (TERN_LAZY_DEFINE: the transform is called directly), read five ways:
 *
 *   tern-borrow  pin; get_transformed; check the value in place; unpin
 *   tern-copy    get_copy: the value (a 32-byte struct) copied into a local
 *                under an internal pin, checked after — the C counterpart of
 *                Rust's clone, with no allocation
 *   tern-dup     pin; get; malloc + copy of the string; unpin; check; free —
 *                exactly what Rust's String::clone does
 *   tern-borrow-pin64  as tern-borrow, but one pin per 64 reads (informative:
 *                the pin's cost amortised; not the exercise's per-call pattern)
 *   tern-qsbr    a quiescent-state reader: each consumer calls
 *                tern_epoch_online() once (before the clock), reads with
 *                get_transformed and no pin at all, announces
 *                tern_epoch_quiescent() after every 64 reads (as pin64 unpins),
 *                and goes offline at the end (after the clock); the producer
 *                pins as usual (an online thread that never announced a
 *                quiescent state would hold every grace period)
 *
 * and the breakdown row: tern_epoch_pin + acquire load + tern_epoch_unpin.
 */
#include <tern/epoch.h>
#include <tern/lazy_transform.h>

#include "harness.h"

/* Transforms in the current run (one container at a time). */
static _Atomic uint64_t tern_bench_transforms;

static struct bench_str *tern_bench_transform(const struct bench_blob *b)
{
	bench_xform_begin();
	/* Relaxed: a statistic, read after the threads are joined. */
	atomic_fetch_add_explicit(&tern_bench_transforms, 1, memory_order_relaxed);
	struct bench_str *v = lazy_alloc(sizeof *v);
	bench_transform(b, v);
	return v;
}

static void tern_bench_free_blob(struct bench_blob *b)
{
	free(b);
}

static void tern_bench_free_str(struct bench_str *s)
{
	free(s);
}

/* The macro defines helpers this file does not call (visit, ...). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
TERN_LAZY_DEFINE(blazy, struct bench_blob, struct bench_str, tern_bench_transform,
		 tern_bench_free_blob, tern_bench_free_str);
#pragma GCC diagnostic pop

static void *tern_create(void)
{
	blazy_t *lt = calloc(1, sizeof *lt);
	if (!lt)
		abort();
	blazy_init(lt);
	/* Relaxed: no other thread runs yet. */
	atomic_store_explicit(&tern_bench_transforms, 0, memory_order_relaxed);
	return lt;
}

static void tern_destroy(void *obj)
{
	blazy_destroy(obj);
	tern_epoch_barrier(); /* the last value is destroyed before the next run */
	free(obj);
}

static void tern_set_source(void *obj, const struct bench_blob *b)
{
	blazy_set_source(obj, lazy_dup(b, sizeof *b));
}

static uint64_t tern_transforms(void *obj)
{
	(void)obj;
	/* Relaxed: read after the threads are joined. */
	return atomic_load_explicit(&tern_bench_transforms, memory_order_relaxed);
}

/* Registers the thread with the default domain before the clock starts. */
static void tern_register(void)
{
	tern_epoch_pin();
	tern_epoch_unpin();
}

/* get_transformed and the check in place, PIN/UNPIN around each read,
 * BEFORE/AFTER around each batch of BENCH_BATCH (64) reads. */
#define TERN_BORROW(fn, BEFORE, PIN, UNPIN, AFTER)                                         \
	static void fn(struct bench_thread *t)                                             \
	{                                                                                  \
		blazy_t *lt = t->run->obj;                                                 \
		BENCH_LOOP_BATCH(t, BEFORE, {                                              \
			PIN;                                                               \
			const struct bench_str *v = blazy_get_transformed(lt);             \
			if (v)                                                             \
				hits_ += bench_lt_longer(v->s);                            \
			UNPIN;                                                             \
		}, AFTER);                                                                 \
	}

TERN_BORROW(tern_borrow_consume, (void)0, tern_epoch_pin(), tern_epoch_unpin(), (void)0)
/* A borrow stays valid until unpin, so a caller that reads in a loop can pin once per batch. */
TERN_BORROW(tern_batch_consume, tern_epoch_pin(), (void)0, (void)0, tern_epoch_unpin())
/* Online for the whole run: a quiescent state after every batch, when the consumer holds no value. */
TERN_BORROW(tern_qsbr_consume, (void)0, (void)0, (void)0, tern_epoch_quiescent())

static void tern_copy_consume(struct bench_thread *t)
{
	blazy_t *lt = t->run->obj;
	BENCH_LOOP(t, {
		struct bench_str v;
		if (blazy_get_copy(lt, &v)) {
			BENCH_ESCAPE(&v);
			hits_ += bench_lt_longer(v.s);
		}
	});
}

static void tern_dup_consume(struct bench_thread *t)
{
	blazy_t *lt = t->run->obj;
	BENCH_LOOP(t, {
		char *c = NULL;
		tern_epoch_pin();
		const struct bench_str *v = blazy_get_transformed(lt);
		if (v)
			c = lazy_dup(v->s, strlen(v->s) + 1);
		tern_epoch_unpin();
		if (c) {
			BENCH_ESCAPE(c);
			hits_ += bench_lt_longer(c);
			free(c);
		}
	});
}

#define TERN_IMPL(NAME, DESC, CONSUME, ...)                                                          \
	{ .name = NAME, .desc = "tern typed LazyTransform: " DESC, .create = tern_create, .destroy = tern_destroy, \
	  .set_source = tern_set_source, .consume = CONSUME, .transforms = tern_transforms,              \
	  .hooks = { .thread_enter = tern_register, __VA_ARGS__ } }

const struct lazy_impl lazy_tern_borrow = TERN_IMPL("tern-borrow", "pin, get_transformed, use in place, unpin",
						    tern_borrow_consume);
const struct lazy_impl lazy_tern_pin64 = TERN_IMPL(
	"tern-borrow-pin64", "as tern-borrow, one pin per 64 reads (amortised pin)", tern_batch_consume);
const struct lazy_impl lazy_tern_qsbr = TERN_IMPL(
	"tern-qsbr", "online consumer, no pin per read, quiescent state every 64 reads", tern_qsbr_consume,
	.consumer_enter = tern_epoch_online, .consumer_exit = tern_epoch_offline);
const struct lazy_impl lazy_tern_copy = TERN_IMPL("tern-copy", "get_copy into a local (no allocation)",
						  tern_copy_consume);
const struct lazy_impl lazy_tern_dup = TERN_IMPL(
	"tern-dup", "malloc + copy under the pin, free after (= Rust clone)", tern_dup_consume);

BD_DEFINE(tern, "tern", "tern_epoch_pin + acquire load + tern_epoch_unpin", { .thread_enter = tern_register },
	  tern_epoch_pin(), tern_epoch_unpin())
