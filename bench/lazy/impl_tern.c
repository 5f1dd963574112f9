/* SPDX-License-Identifier: MIT */
/*
 * bench/lazy/impl_tern.c — tern's LazyTransform, typed form
 * (TERN_LAZY_DEFINE: the transform is called directly), read three ways:
 *
 *   tern-borrow  pin; get_transformed; check the value in place; unpin
 *   tern-copy    get_copy: the value (a 32-byte struct) copied into a local
 *                under an internal pin, checked after — the C counterpart of
 *                Rust's clone, with no allocation
 *   tern-dup     pin; get; malloc + copy of the string; unpin; check; free —
 *                exactly what Rust's String::clone does
 *   tern-borrow-pin64  as tern-borrow, but one pin per 64 reads (informative:
 *                the pin's cost amortised; not the seed's per-call pattern)
 *   tern-qsbr    a quiescent-state reader: each consumer calls
 *                tern_epoch_online() once (before the clock), reads with
 *                get_transformed and no pin at all, announces
 *                tern_epoch_quiescent() after every 64 reads (as pin64 unpins),
 *                and goes offline at the end (after the clock)
 *
 * and the breakdown rows: tern_epoch_pin + acquire load + tern_epoch_unpin.
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
	struct bench_str *v = malloc(sizeof *v);
	if (!v)
		abort();
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

struct tern_lt {
	blazy_t lt;
};

static void *tern_create(void)
{
	struct tern_lt *t = calloc(1, sizeof *t);
	if (!t)
		abort();
	blazy_init(&t->lt);
	/* Relaxed: no other thread runs yet. */
	atomic_store_explicit(&tern_bench_transforms, 0, memory_order_relaxed);
	return t;
}

static void tern_destroy(void *obj)
{
	struct tern_lt *t = obj;
	if (getenv("BENCH_DEBUG")) {
		struct tern_epoch_stats st;
		tern_epoch_stats(&st);
		fprintf(stderr, "tern: epoch %llu advances %llu failed %llu destroyed %llu pending %llu\n",
			(unsigned long long)st.epoch, (unsigned long long)st.advances,
			(unsigned long long)st.failed_advances, (unsigned long long)st.destroyed,
			(unsigned long long)st.pending);
	}
	blazy_destroy(&t->lt);
	tern_epoch_barrier(); /* the last value is destroyed before the next run */
	free(t);
}

/* Registers the thread with the default domain before the clock starts. */
static void tern_bd_enter(void)
{
	tern_epoch_pin();
	tern_epoch_unpin();
}

static void tern_enter(void *obj)
{
	(void)obj;
	tern_bd_enter();
}

static void tern_set_source(void *obj, const struct bench_blob *b)
{
	struct tern_lt *t = obj;
	struct bench_blob *src = malloc(sizeof *src);
	if (!src)
		abort();
	*src = *b;
	blazy_set_source(&t->lt, src);
}

static void tern_borrow_consume(struct bench_thread *t)
{
	blazy_t *lt = &((struct tern_lt *)t->run->obj)->lt;
	BENCH_LOOP(t, {
		tern_epoch_pin();
		const struct bench_str *v = blazy_get_transformed(lt);
		if (v)
			hits_ += bench_lt_longer(v->s);
		tern_epoch_unpin();
	});
}

/* One pin per BENCH_BATCH (64) reads: what a caller that reads in a loop can
 * do, since a borrow stays valid until unpin.  Not the seed's per-call
 * pattern; shown to separate the pin's cost from the container's. */
static void tern_batch_consume(struct bench_thread *t)
{
	blazy_t *lt = &((struct tern_lt *)t->run->obj)->lt;
	BENCH_LOOP_BATCH(t, tern_epoch_pin(), {
		const struct bench_str *v = blazy_get_transformed(lt);
		if (v)
			hits_ += bench_lt_longer(v->s);
	}, tern_epoch_unpin());
}

/* Online for the whole run: no pin per read; a quiescent state after every
 * BENCH_BATCH (64) reads, when the consumer holds no value read before. */
static void tern_qsbr_consume(struct bench_thread *t)
{
	blazy_t *lt = &((struct tern_lt *)t->run->obj)->lt;
	BENCH_LOOP_BATCH(t, (void)0, {
		const struct bench_str *v = blazy_get_transformed(lt);
		if (v)
			hits_ += bench_lt_longer(v->s);
	}, tern_epoch_quiescent());
}

/* Consumers only: the producer pins as usual (an online thread that never
 * announced a quiescent state would hold every grace period). */
static void tern_qsbr_online(void *obj)
{
	(void)obj;
	tern_epoch_online();
}

static void tern_qsbr_offline(void *obj)
{
	(void)obj;
	tern_epoch_offline();
}

static void tern_copy_consume(struct bench_thread *t)
{
	blazy_t *lt = &((struct tern_lt *)t->run->obj)->lt;
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
	blazy_t *lt = &((struct tern_lt *)t->run->obj)->lt;
	BENCH_LOOP(t, {
		char *c = NULL;
		tern_epoch_pin();
		const struct bench_str *v = blazy_get_transformed(lt);
		if (v) {
			size_t n = strlen(v->s) + 1;
			c = malloc(n);
			if (!c)
				abort();
			memcpy(c, v->s, n);
		}
		tern_epoch_unpin();
		if (c) {
			BENCH_ESCAPE(c);
			hits_ += bench_lt_longer(c);
			free(c);
		}
	});
}

static uint64_t tern_transforms(void *obj)
{
	(void)obj;
	/* Relaxed: read after the threads are joined. */
	return atomic_load_explicit(&tern_bench_transforms, memory_order_relaxed);
}

const struct lazy_impl lazy_tern_borrow = {
	.name = "tern-borrow",
	.desc = "tern typed LazyTransform: pin, get_transformed, use in place, unpin",
	.create = tern_create,
	.destroy = tern_destroy,
	.thread_enter = tern_enter,
	.set_source = tern_set_source,
	.consume = tern_borrow_consume,
	.transforms = tern_transforms,
};

const struct lazy_impl lazy_tern_pin64 = {
	.name = "tern-borrow-pin64",
	.desc = "tern typed LazyTransform: as tern-borrow, one pin per 64 reads (amortised pin)",
	.create = tern_create,
	.destroy = tern_destroy,
	.thread_enter = tern_enter,
	.set_source = tern_set_source,
	.consume = tern_batch_consume,
	.transforms = tern_transforms,
};

const struct lazy_impl lazy_tern_qsbr = {
	.name = "tern-qsbr",
	.desc = "tern typed LazyTransform: online consumer, no pin per read, quiescent state every 64 reads",
	.create = tern_create,
	.destroy = tern_destroy,
	.thread_enter = tern_enter,
	.consumer_enter = tern_qsbr_online,
	.consumer_exit = tern_qsbr_offline,
	.set_source = tern_set_source,
	.consume = tern_qsbr_consume,
	.transforms = tern_transforms,
};

const struct lazy_impl lazy_tern_copy = {
	.name = "tern-copy",
	.desc = "tern typed LazyTransform: get_copy into a local (no allocation)",
	.create = tern_create,
	.destroy = tern_destroy,
	.thread_enter = tern_enter,
	.set_source = tern_set_source,
	.consume = tern_copy_consume,
	.transforms = tern_transforms,
};

const struct lazy_impl lazy_tern_dup = {
	.name = "tern-dup",
	.desc = "tern typed LazyTransform: malloc + copy under the pin, free after (= Rust clone)",
	.create = tern_create,
	.destroy = tern_destroy,
	.thread_enter = tern_enter,
	.set_source = tern_set_source,
	.consume = tern_dup_consume,
	.transforms = tern_transforms,
};

/* ---- breakdown -------------------------------------------------------------- */

static struct bd_payload *_Atomic tern_bd_ptr;

static void tern_bd_publish(struct bd_payload *p)
{
	/* Release: pairs with the acquire loads in the tern_bd_* readers. */
	atomic_store_explicit(&tern_bd_ptr, p, memory_order_release);
}

static void tern_bd_unpublish(void)
{
	/* Relaxed: every reader has been joined. */
	atomic_store_explicit(&tern_bd_ptr, NULL, memory_order_relaxed);
}

/* Acquire: pairs with the release store in tern_bd_publish(). */
BD_DEFINE_CONSUMERS(tern, tern_epoch_pin(), tern_epoch_unpin(),
		    atomic_load_explicit(&tern_bd_ptr, memory_order_acquire))

const struct breakdown_impl bd_tern = {
	.name = "tern",
	.desc = "tern_epoch_pin + acquire load + tern_epoch_unpin",
	.publish = tern_bd_publish,
	.unpublish = tern_bd_unpublish,
	.thread_enter = tern_bd_enter,
	.consume = BD_CONSUMER_TABLE(tern),
};
