/* SPDX-License-Identifier: MIT */
/*
 * bench/lazy/impl_urcu.c — the LazyTransform on liburcu, memb flavour, in
 * its fastest documented configuration: _LGPL_SOURCE, so rcu_read_lock /
 * rcu_read_unlock / rcu_dereference inline (with membarrier available the
 * read side is a TLS load and store and compiler barriers); old values are
 * reclaimed with call_rcu (liburcu's worker thread runs the grace periods).
 *
 * Same container as tern's: a source pointer and a value pointer; readers
 * check source with a plain load, transform under a try-lock, read value
 * with rcu_dereference.  Sources are only ever dereferenced by the thread
 * that exchanged them out, so they are freed at once; values are deferred.
 */
#define _LGPL_SOURCE 1
#include <urcu/urcu-memb.h>

#include "harness.h"

struct urcu_val {
	struct rcu_head head;
	struct bench_str str;
};

struct urcu_lt {
	struct bench_blob *source;
	struct urcu_val *value;
	bench_trylock_t transform_lock;
	uint64_t transforms; /* under transform_lock */
};

static void urcu_free_val(struct rcu_head *head)
{
	free(caa_container_of(head, struct urcu_val, head));
}

static void *urcu_create(void)
{
	struct urcu_lt *lt = calloc(1, sizeof *lt);
	if (!lt)
		abort();
	return lt;
}

static void urcu_destroy(void *obj)
{
	struct urcu_lt *lt = obj;
	urcu_memb_barrier(); /* every call_rcu callback has run */
	free(lt->source);
	free(lt->value);
	free(lt);
}

static void urcu_enter(void *obj)
{
	(void)obj;
	urcu_memb_register_thread();
}

static void urcu_exit(void *obj)
{
	(void)obj;
	urcu_memb_unregister_thread();
}

static void urcu_set_source(void *obj, const struct bench_blob *b)
{
	struct urcu_lt *lt = obj;
	struct bench_blob *src = malloc(sizeof *src);
	if (!src)
		abort();
	*src = *b;
	/* Full barrier (liburcu's xchg): publishes *src to the transformer. */
	struct bench_blob *old = rcu_xchg_pointer(&lt->source, src);
	free(old); /* never dereferenced by anyone but its exchanger */
}

static inline void urcu_try_transform(struct urcu_lt *lt)
{
	if (!bench_trylock(&lt->transform_lock))
		return;
	struct bench_blob *src = rcu_xchg_pointer(&lt->source, NULL);
	if (src) {
		struct urcu_val *v = malloc(sizeof *v);
		if (!v)
			abort();
		bench_transform(src, &v->str);
		free(src);
		struct urcu_val *old = rcu_xchg_pointer(&lt->value, v);
		if (old)
			urcu_memb_call_rcu(&old->head, urcu_free_val);
		lt->transforms++;
	}
	bench_unlock(&lt->transform_lock);
}

static void urcu_consume(struct bench_thread *t)
{
	struct urcu_lt *lt = t->run->obj;
	BENCH_LOOP(t, {
		urcu_memb_read_lock();
		if (CMM_LOAD_SHARED(lt->source))
			urcu_try_transform(lt);
		const struct urcu_val *v = rcu_dereference(lt->value);
		if (v)
			hits_ += bench_lt_longer(v->str.s);
		urcu_memb_read_unlock();
	});
}

static uint64_t urcu_transforms(void *obj)
{
	return ((struct urcu_lt *)obj)->transforms;
}

const struct lazy_impl lazy_urcu = {
	.name = "urcu-memb",
	.desc = "liburcu memb flavour, _LGPL_SOURCE inline read side, call_rcu",
	.create = urcu_create,
	.destroy = urcu_destroy,
	.thread_enter = urcu_enter,
	.thread_exit = urcu_exit,
	.set_source = urcu_set_source,
	.consume = urcu_consume,
	.transforms = urcu_transforms,
};

/* ---- breakdown -------------------------------------------------------------- */

static struct bd_payload *urcu_bd_ptr;

static void urcu_bd_publish(struct bd_payload *p)
{
	rcu_set_pointer(&urcu_bd_ptr, p);
}

static void urcu_bd_unpublish(void)
{
	rcu_set_pointer(&urcu_bd_ptr, NULL);
}

static void urcu_bd_enter(void)
{
	urcu_memb_register_thread();
}

static void urcu_bd_exit(void)
{
	urcu_memb_unregister_thread();
}

BD_DEFINE_CONSUMERS(urcu, urcu_memb_read_lock(), urcu_memb_read_unlock(),
		    rcu_dereference(urcu_bd_ptr))

const struct breakdown_impl bd_urcu = {
	.name = "urcu-memb",
	.desc = "rcu_read_lock + rcu_dereference + rcu_read_unlock (memb, inline)",
	.publish = urcu_bd_publish,
	.unpublish = urcu_bd_unpublish,
	.thread_enter = urcu_bd_enter,
	.thread_exit = urcu_bd_exit,
	.consume = BD_CONSUMER_TABLE(urcu),
};
