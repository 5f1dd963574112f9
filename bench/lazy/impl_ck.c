/* SPDX-License-Identifier: MIT */
/*
 * bench/lazy/impl_ck.c — the LazyTransform on ConcurrencyKit's ck_epoch,
 * in its fastest documented configuration: the inline ck_epoch_begin /
 * ck_epoch_end with a NULL section (no per-section reference counts), one
 * record per thread, ck_epoch_call to defer and ck_epoch_poll (non-blocking)
 * by the deferring thread.
 *
 * Same container as tern's (see impl_urcu.c for the shape).
 */
#include <ck_epoch.h>
#include <ck_pr.h>

#include "harness.h"

struct ck_val {
	ck_epoch_entry_t entry;
	struct bench_str str;
};

CK_EPOCH_CONTAINER(struct ck_val, entry, ck_val_of_entry)

struct ck_lt {
	struct bench_blob *_Atomic source;
	struct ck_val *_Atomic value;
	bench_trylock_t transform_lock;
	uint64_t transforms; /* under transform_lock */
};

static ck_epoch_t ck_global;
static pthread_once_t ck_once = PTHREAD_ONCE_INIT;
static _Thread_local ck_epoch_record_t *ck_self;

static void ck_global_init(void)
{
	ck_epoch_init(&ck_global);
}

/* Registers the calling thread (records are recycled across runs). */
static void ck_register_self(void)
{
	pthread_once(&ck_once, ck_global_init);
	ck_epoch_record_t *r = ck_epoch_recycle(&ck_global, NULL);
	if (!r) {
		r = aligned_alloc(CK_MD_CACHELINE, sizeof *r);
		if (!r)
			abort();
		ck_epoch_register(&ck_global, r, NULL);
	}
	ck_self = r;
}

static void ck_unregister_self(void)
{
	ck_epoch_barrier(ck_self); /* runs this record's pending callbacks */
	ck_epoch_unregister(ck_self);
	ck_self = NULL;
}

static void ck_free_val(ck_epoch_entry_t *e)
{
	free(ck_val_of_entry(e));
}

static void *ck_create(void)
{
	pthread_once(&ck_once, ck_global_init);
	struct ck_lt *lt = calloc(1, sizeof *lt);
	if (!lt)
		abort();
	return lt;
}

static void ck_destroy(void *obj)
{
	struct ck_lt *lt = obj;
	/* Relaxed: every other thread has been joined. */
	free(atomic_load_explicit(&lt->source, memory_order_relaxed));
	free(atomic_load_explicit(&lt->value, memory_order_relaxed));
	free(lt);
}

static void ck_enter(void *obj)
{
	(void)obj;
	ck_register_self();
}

static void ck_exit(void *obj)
{
	(void)obj;
	ck_unregister_self();
}

static void ck_set_source(void *obj, const struct bench_blob *b)
{
	struct ck_lt *lt = obj;
	struct bench_blob *src = malloc(sizeof *src);
	if (!src)
		abort();
	*src = *b;
	/* Acq_rel: release publishes *src to the transformer's acquire exchange;
	 * acquire takes ownership of the unconsumed previous source. */
	struct bench_blob *old = atomic_exchange_explicit(&lt->source, src, memory_order_acq_rel);
	free(old); /* only ever dereferenced by its exchanger */
}

/* => true if an old value was deferred (the caller polls after ending its section). */
static inline bool ck_try_transform(struct ck_lt *lt)
{
	bool deferred = false;
	if (!bench_trylock(&lt->transform_lock))
		return false;
	/* Acquire: pairs with the release half of the exchange in ck_set_source(). */
	struct bench_blob *src = atomic_exchange_explicit(&lt->source, NULL, memory_order_acquire);
	if (src) {
		struct ck_val *v = malloc(sizeof *v);
		if (!v)
			abort();
		bench_transform(src, &v->str);
		free(src);
		/* Release: pairs with the acquire load of value in ck_consume(). */
		struct ck_val *old = atomic_exchange_explicit(&lt->value, v, memory_order_release);
		if (old) {
			ck_epoch_call(ck_self, &old->entry, ck_free_val);
			deferred = true;
		}
		lt->transforms++;
	}
	bench_unlock(&lt->transform_lock);
	return deferred;
}

static void ck_consume(struct bench_thread *t)
{
	struct ck_lt *lt = t->run->obj;
	ck_epoch_record_t *rec = ck_self;
	BENCH_LOOP(t, {
		bool deferred = false;
		ck_epoch_begin(rec, NULL);
		/* Relaxed: only tested; the transformer re-reads it with acquire. */
		if (atomic_load_explicit(&lt->source, memory_order_relaxed))
			deferred = ck_try_transform(lt);
		/* Acquire: pairs with the release exchange in ck_try_transform(). */
		const struct ck_val *v = atomic_load_explicit(&lt->value, memory_order_acquire);
		if (v)
			hits_ += bench_lt_longer(v->str.s);
		ck_epoch_end(rec, NULL);
		if (deferred)
			ck_epoch_poll(rec); /* outside the section, non-blocking */
	});
}

static uint64_t ck_transforms(void *obj)
{
	return ((struct ck_lt *)obj)->transforms;
}

const struct lazy_impl lazy_ck = {
	.name = "ck-epoch",
	.desc = "ConcurrencyKit ck_epoch, inline begin/end, ck_epoch_call + ck_epoch_poll",
	.create = ck_create,
	.destroy = ck_destroy,
	.thread_enter = ck_enter,
	.thread_exit = ck_exit,
	.set_source = ck_set_source,
	.consume = ck_consume,
	.transforms = ck_transforms,
};

/* ---- breakdown -------------------------------------------------------------- */

static struct bd_payload *_Atomic ck_bd_ptr;

static void ck_bd_publish(struct bd_payload *p)
{
	/* Release: pairs with the acquire loads in the ck_bd_* readers. */
	atomic_store_explicit(&ck_bd_ptr, p, memory_order_release);
}

static void ck_bd_unpublish(void)
{
	/* Relaxed: every reader has been joined. */
	atomic_store_explicit(&ck_bd_ptr, NULL, memory_order_relaxed);
}

/* Acquire: pairs with the release store in ck_bd_publish(). */
BD_DEFINE_CONSUMERS(ck, ck_epoch_begin(ck_self, NULL), ck_epoch_end(ck_self, NULL),
		    atomic_load_explicit(&ck_bd_ptr, memory_order_acquire))

const struct breakdown_impl bd_ck = {
	.name = "ck-epoch",
	.desc = "ck_epoch_begin + acquire load + ck_epoch_end",
	.publish = ck_bd_publish,
	.unpublish = ck_bd_unpublish,
	.thread_enter = ck_register_self,
	.thread_exit = ck_unregister_self,
	.consume = BD_CONSUMER_TABLE(ck),
};
