/* SPDX-License-Identifier: MIT */
/*
 * src/core/alloc.c — the replaceable allocator and the version string.
 *
 * Concurrency: the allocator is a pair of function pointers plus a context,
 * published as one pointer to an immutable copy so that a reader never sees
 * a torn (malloc from one allocator, ctx from another) triple.  Replacing the
 * allocator while other threads allocate is allowed; the old copy is never
 * freed (one small leak per replacement, bounded by the number of calls),
 * because a thread may still be reading it.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "tern/alloc.h"

static void *tern__libc_malloc(size_t size, void *ctx)
{
	(void)ctx;
	return malloc(size);
}

static void tern__libc_free(void *ptr, void *ctx)
{
	(void)ctx;
	free(ptr);
}

static const struct tern_allocator tern__libc_allocator = {
	tern__libc_malloc, tern__libc_free, NULL
};

/* Slots for installed allocators; never freed (see above). */
#define TERN__ALLOC_SLOTS 64
static struct tern_allocator tern__alloc_slots[TERN__ALLOC_SLOTS];
static atomic_uint tern__alloc_next;
static _Atomic(const struct tern_allocator *) tern__alloc_current = &tern__libc_allocator;

int tern_set_allocator(const struct tern_allocator *a)
{
	if (a == NULL) {
		/* Release: pairs with the acquire loads in tern__malloc()/tern__free(). */
		atomic_store_explicit(&tern__alloc_current, &tern__libc_allocator, memory_order_release);
		return 0;
	}
	if (a->malloc == NULL || a->free == NULL)
		return EINVAL;
	/* Relaxed: only hands out distinct slot indices; the slot's contents are
	 * published by the release store below. */
	unsigned i = atomic_fetch_add_explicit(&tern__alloc_next, 1, memory_order_relaxed);
	if (i >= TERN__ALLOC_SLOTS)
		return ENOMEM;
	tern__alloc_slots[i] = *a;
	/* Release: pairs with the acquire loads in tern__malloc()/tern__free(),
	 * so the slot's fields are visible before the pointer to it. */
	atomic_store_explicit(&tern__alloc_current, &tern__alloc_slots[i], memory_order_release);
	return 0;
}

void *tern__malloc(size_t size)
{
	/* Acquire: pairs with the release store in tern_set_allocator(). */
	const struct tern_allocator *a = atomic_load_explicit(&tern__alloc_current, memory_order_acquire);
	return a->malloc(size, a->ctx);
}

void tern__free(void *ptr)
{
	if (ptr == NULL)
		return;
	/* Acquire: pairs with the release store in tern_set_allocator(). */
	const struct tern_allocator *a = atomic_load_explicit(&tern__alloc_current, memory_order_acquire);
	a->free(ptr, a->ctx);
}

const char *tern_version(void)
{
	return TERN_VERSION_STRING;
}
