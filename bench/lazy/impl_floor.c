/* SPDX-License-Identifier: MIT */
/*
 * bench/lazy/impl_floor.c — the physical limit: the same container with no
 * reclamation at all.  A read is two loads (source, value) and the check;
 * replaced values go to a graveyard freed only after the run, so this is
 * not a usable container (memory grows with every transform) — only the
 * floor the others are compared with.
 *
 * The value load is an acquire load so the harness stays free of data races;
 * on x86-64 and other TSO machines it is the same instruction as a relaxed
 * load, so the floor is "two relaxed loads" there.
 *
 * Also the breakdown's "load" row: one relaxed load of a u64.
 */
#include "harness.h"

struct floor_val {
	struct floor_val *next_dead; /* graveyard link, under transform_lock */
	struct bench_str str;
};

struct floor_lt {
	struct bench_blob *_Atomic source;
	struct floor_val *_Atomic value;
	bench_trylock_t transform_lock;
	struct floor_val *graveyard; /* under transform_lock */
	uint64_t transforms;         /* under transform_lock */
};

static void *floor_create(void)
{
	struct floor_lt *lt = calloc(1, sizeof *lt);
	if (!lt)
		abort();
	return lt;
}

static void floor_destroy(void *obj)
{
	struct floor_lt *lt = obj;
	/* Relaxed: every other thread has been joined. */
	free(atomic_load_explicit(&lt->source, memory_order_relaxed));
	free(atomic_load_explicit(&lt->value, memory_order_relaxed));
	while (lt->graveyard) {
		struct floor_val *next = lt->graveyard->next_dead;
		free(lt->graveyard);
		lt->graveyard = next;
	}
	free(lt);
}

static void floor_set_source(void *obj, const struct bench_blob *b)
{
	struct floor_lt *lt = obj;
	struct bench_blob *src = malloc(sizeof *src);
	if (!src)
		abort();
	*src = *b;
	/* Acq_rel: release publishes *src to the transformer's acquire exchange;
	 * acquire takes ownership of the unconsumed previous source. */
	struct bench_blob *old = atomic_exchange_explicit(&lt->source, src, memory_order_acq_rel);
	free(old); /* only ever dereferenced by its exchanger */
}

static inline void floor_try_transform(struct floor_lt *lt)
{
	if (!bench_trylock(&lt->transform_lock))
		return;
	/* Acquire: pairs with the release half of the exchange in floor_set_source(). */
	struct bench_blob *src = atomic_exchange_explicit(&lt->source, NULL, memory_order_acquire);
	if (src) {
		struct floor_val *v = malloc(sizeof *v);
		if (!v)
			abort();
		bench_transform(src, &v->str);
		free(src);
		/* Release: pairs with the acquire load in floor_consume(). */
		struct floor_val *old = atomic_exchange_explicit(&lt->value, v, memory_order_release);
		if (old) {
			old->next_dead = lt->graveyard;
			lt->graveyard = old;
		}
		lt->transforms++;
	}
	bench_unlock(&lt->transform_lock);
}

static void floor_consume(struct bench_thread *t)
{
	struct floor_lt *lt = t->run->obj;
	BENCH_LOOP(t, {
		/* Relaxed: only tested; the transformer re-reads it with acquire. */
		if (atomic_load_explicit(&lt->source, memory_order_relaxed))
			floor_try_transform(lt);
		/* Acquire: pairs with the release exchange in floor_try_transform(). */
		const struct floor_val *v = atomic_load_explicit(&lt->value, memory_order_acquire);
		if (v)
			hits_ += bench_lt_longer(v->str.s);
	});
}

static uint64_t floor_transforms(void *obj)
{
	return ((struct floor_lt *)obj)->transforms;
}

const struct lazy_impl lazy_floor = {
	.name = "floor",
	.desc = "two loads, no reclamation (not a usable container: the physical limit)",
	.create = floor_create,
	.destroy = floor_destroy,
	.set_source = floor_set_source,
	.consume = floor_consume,
	.transforms = floor_transforms,
};

/* ---- breakdown: one relaxed load ----------------------------------------------- */

static _Atomic uint64_t none_bd_x = 1;

static void none_bd_load(struct bench_thread *t)
{
	BENCH_LOOP(t, {
		/* Relaxed: a counter-like read with no ordering needed. */
		hits_ += atomic_load_explicit(&none_bd_x, memory_order_relaxed) & 1;
		/* Compiler barrier only: keeps the 64 loads of a batch from being
		 * merged (the Rust row uses black_box for the same purpose). */
		atomic_signal_fence(memory_order_seq_cst);
	});
}

static void none_bd_nop(struct bd_payload *p)
{
	(void)p;
}

static void none_bd_nop0(void)
{
}

const struct breakdown_impl bd_none = {
	.name = "none",
	.desc = "one relaxed load of a u64, no pin",
	.publish = none_bd_nop,
	.unpublish = none_bd_nop0,
	.consume = { none_bd_load },
};
