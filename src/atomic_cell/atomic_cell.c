/* SPDX-License-Identifier: MIT */
/*
 * src/atomic_cell/atomic_cell.c — set-up, copy cells and destruction of the
 * run-time AtomicCell (the operations themselves are inline in
 * include/tern/atomic_cell.h).
 *
 * Concurrency
 * ===========
 *
 * State: a cell is one pointer to a header H allocated by init.  H->destroy
 * and H->copy_size are written once before the cell is shared and never
 * again; H->value is the only mutable shared word.  The cell's pointer to H
 * is written by init (before the cell is shared) and by destroy (after its
 * last use), so it is read with plain loads.
 *
 * Invariants
 *  I1. Every non-NULL pointer ever installed in H->value is owned by the
 *      cell from its installation until the one operation that removes it:
 *      an exchange (store, swap, take, destroy) or a successful CAS
 *      (compare_exchange) returns it to exactly one thread, because each
 *      RMW reads the value written by the RMW or store immediately before it
 *      in H->value's modification order.  That thread either defers its
 *      destruction (store, compare_exchange, destroy) or becomes its owner
 *      (swap, take).  Hence each value is destroyed at most once, and, as
 *      every removed value is deferred or handed over, exactly once.
 *  I2. A value is destroyed only through tern_epoch_defer() called after it
 *      was removed from H->value.  A reader that loaded it did so while
 *      pinned, and the load read a store that precedes the removal in
 *      H->value's modification order; by the epoch guarantee (epoch.h:
 *      "every thread that read the object's pointer while pinned keeps a
 *      valid object until it unpins") the destructor runs after that reader
 *      unpins.  So a pointer from tern_cell_load() stays valid until unpin.
 *  I3. Contents: every installation is a release (exchange acq_rel, CAS
 *      acq_rel) and every read of the value pointer is an acquire (load,
 *      exchange, failed CAS), so a thread that obtains a value pointer sees
 *      everything written to the object before it was installed.  The
 *      remover's acquire also places those writes before the deferral, and
 *      the deferral before the destructor.
 *
 * ABA in compare_exchange: a successful CAS compares addresses.  If the
 * caller was pinned when it obtained *expected, that object cannot be
 * destroyed (I2) and its address cannot be reused until the caller unpins,
 * so equal addresses mean the same object.
 *
 * Copy cells: the boxes are plain allocations of copy_size bytes; the
 * cell's destroy function is tern__cell_free_box, so I1–I3 apply unchanged.
 * A copy-out reads the box under a pin (I2), so no lock protects the copy.
 *
 * Destroy: no other thread may use the cell concurrently (the caller has
 * synchronised with every earlier user).  The header, still holding the
 * final value, is retired through its intrusive epoch entry (never
 * allocates); after the grace period the value is destroyed (a thread pinned
 * earlier may still hold it until then) and the header freed.  The cell's
 * pointer is set to tern__cell_destroyed so that debug builds catch later
 * use.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tern/alloc.h"
#include "tern/atomic_cell.h"

TERN__STATIC_DATA struct tern__cell_hdr tern__cell_destroyed;

static void tern__cell_free_box(void *box)
{
	TERN_FREE(box);
}

static struct tern__cell_hdr *tern__cell_hdr_new(void *initial, void (*destroy)(void *),
						 size_t copy_size)
{
	struct tern__cell_hdr *h = TERN_MALLOC(sizeof *h);
	if (h == NULL)
		return NULL;
	memset(h, 0, sizeof *h);
	h->destroy = destroy;
	h->copy_size = copy_size;
	/* Relaxed: the header is not shared yet; publishing the cell to other
	 * threads (thread creation, a release store...) orders this write. */
	atomic_store_explicit(&h->value, initial, memory_order_relaxed);
	return h;
}

int tern_cell_try_init(tern_cell_t *c, void *initial, void (*destroy)(void *))
{
	if (c == NULL)
		return EINVAL;
	struct tern__cell_hdr *h = tern__cell_hdr_new(initial, destroy, 0);
	if (h == NULL)
		return ENOMEM;
	c->hdr = h;
	return 0;
}

void tern_cell_init(tern_cell_t *c, void *initial, void (*destroy)(void *))
{
	TERN_ASSERT(c != NULL, "tern_cell_init: cell is NULL");
	int err = tern_cell_try_init(c, initial, destroy);
	if (err != 0) {
		fprintf(stderr, "tern: tern_cell_init: %s\n",
			err == EINVAL ? "cell is NULL"
				      : "out of memory (tern_cell_try_init reports ENOMEM instead)");
		abort();
	}
}

int tern_cell_init_copy(tern_cell_t *c, const void *initial, size_t size)
{
	if (c == NULL || size == 0)
		return EINVAL;
	void *box = NULL;
	if (initial != NULL) {
		box = TERN_MALLOC(size);
		if (box == NULL)
			return ENOMEM;
		memcpy(box, initial, size);
	}
	struct tern__cell_hdr *h = tern__cell_hdr_new(box, tern__cell_free_box, size);
	if (h == NULL) {
		TERN_FREE(box);
		return ENOMEM;
	}
	c->hdr = h;
	return 0;
}

int tern_cell_store_copy(tern_cell_t *c, const void *src, size_t size)
{
	struct tern__cell_hdr *h = TERN__CELL_HDR(c, "tern_cell_store_copy");
	TERN_ASSERT(h->copy_size != 0 && h->copy_size == size,
		    "tern_cell_store_copy: not a copy cell of this size");
	TERN_ASSERT(src != NULL, "tern_cell_store_copy: src is NULL");
	(void)h;
	void *box = TERN_MALLOC(size);
	if (box == NULL)
		return ENOMEM;
	memcpy(box, src, size);
	/* tern_cell_store's exchange is the release publishing the bytes. */
	tern_cell_store(c, box);
	return 0;
}

/* Runs after a grace period: drops the last value, frees the header. */
static void tern__cell_hdr_retire(struct tern_epoch_entry *e)
{
	struct tern__cell_hdr *h =
		(struct tern__cell_hdr *)((char *)e - offsetof(struct tern__cell_hdr, entry));
	/* Relaxed: the cell was destroyed, so nobody has written the header
	 * since tern_cell_destroy(), which happens before this destructor
	 * (epoch.h ordering guarantee); the value's installation happened
	 * before tern_cell_destroy() (no concurrent use, so the caller
	 * synchronised with every storer). */
	void *v = atomic_load_explicit(&h->value, memory_order_relaxed);
	if (v != NULL && h->destroy != NULL)
		h->destroy(v);
	TERN_FREE(h);
}

void tern_cell_destroy(tern_cell_t *c)
{
	struct tern__cell_hdr *h = TERN__CELL_HDR(c, "tern_cell_destroy");
	c->hdr = &tern__cell_destroyed;
	/* The final value stays in the header; both are retired by one
	 * intrusive deferral, which never allocates and so cannot fail.  A
	 * thread pinned before this call may still be reading the value. */
	tern_epoch_call(&h->entry, tern__cell_hdr_retire);
}
