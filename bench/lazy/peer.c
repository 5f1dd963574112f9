/* SPDX-License-Identifier: MIT */
/*
 * bench/lazy/peer.c — the peers' container (struct lazy_peer, harness.h):
 * creating, publishing a source, the transform path and tearing down.  The
 * read itself is LAZY_PEER_DEFINE, inlined in each adapter's loop.
 */
#include "harness.h"

void *lazy_peer_create(void)
{
	struct lazy_peer *lt = calloc(1, sizeof *lt);
	if (!lt)
		abort();
	return lt;
}

void lazy_peer_destroy(void *obj)
{
	struct lazy_peer *lt = obj;
	/* Relaxed: every other thread has been joined. */
	free(atomic_load_explicit(&lt->source, memory_order_relaxed));
	free(atomic_load_explicit(&lt->value, memory_order_relaxed));
	free(lt);
}

void lazy_peer_set_source(void *obj, const struct bench_blob *b)
{
	struct lazy_peer *lt = obj;
	struct bench_blob *src = lazy_dup(b, sizeof *b);
	/* Acq_rel: release publishes *src to the transformer's acquire exchange;
	 * acquire takes ownership of the unconsumed previous source. */
	free(atomic_exchange_explicit(&lt->source, src, memory_order_acq_rel));
}

uint64_t lazy_peer_transforms(void *obj)
{
	return ((struct lazy_peer *)obj)->transforms;
}

bool lazy_peer_transform(struct lazy_peer *lt, size_t size, size_t str_at, void (*retire)(void *old))
{
	bool retired = false;
	if (!bench_trylock(&lt->transform_lock))
		return false;
	/* Acquire: pairs with the release half of the exchange in lazy_peer_set_source(). */
	struct bench_blob *src = atomic_exchange_explicit(&lt->source, NULL, memory_order_acquire);
	if (src) {
		bench_xform_begin(); /* the transform path starts here, as in tern's callback */
		char *v = lazy_alloc(size);
		bench_transform(src, (struct bench_str *)(v + str_at));
		free(src);
		/* Release: pairs with the acquire load of value in LAZY_PEER_DEFINE's read. */
		void *old = atomic_exchange_explicit(&lt->value, v, memory_order_release);
		if (old) {
			retire(old);
			retired = true;
		}
		lt->transforms++;
	}
	bench_unlock(&lt->transform_lock);
	return retired;
}
