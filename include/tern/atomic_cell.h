/* SPDX-License-Identifier: MIT */
/*
 * tern/atomic_cell.h — an atomic cell holding a value of any type behind a
 * pointer, with epoch-based reclamation of replaced values.
 *
 * The AtomicCell the "Exploring lock-free Rust" series wished existed: load
 * gives a reference that stays valid while the caller is pinned (the "guard
 * that provides a reference"), store replaces the value and destroys the old
 * one after a grace period, swap hands the old value to the caller.  No lock
 * anywhere, not even around a copy-out.
 *
 * Two forms:
 *
 *   tern_cell_t          run-time form: void * values, destroy function given
 *                        at init.  One pointer wide; that pointer refers to a
 *                        small header (allocated by init) holding the
 *                        destroy function and the atomic value pointer.  A
 *                        load is therefore two dependent loads: the
 *                        immutable header pointer, then an acquire load of
 *                        the value.
 *   TERN_CELL_DEFINE     typed form generated per type: the cell *is* the
 *                        atomic T * (one pointer, no header, no allocation),
 *                        and the destroy function is baked in at compile
 *                        time.  A load is one acquire load.  Prefer it when
 *                        the type is known.
 *
 * Where the destroy function lives: a one-pointer cell has no room for both
 * the value and the destroy function.  The typed form needs none (the
 * function is part of the generated code); the run-time form keeps it in the
 * per-cell header, which is why tern_cell_init allocates (and why
 * tern_cell_try_init exists to report ENOMEM instead of aborting).
 *
 * Ownership: a value stored in a cell belongs to the cell.  Readers borrow
 * it: a pointer from tern_cell_load() is valid until the caller's matching
 * tern_epoch_unpin().  Replaced values (store, successful compare_exchange,
 * destroy) are handed to tern_epoch_defer() with the cell's destroy
 * function.  swap and take instead give the old value to the caller, who
 * must not free it at once — readers may still be using it — but retire it
 * with tern_epoch_defer() (or tern_cell_retire()).
 *
 * Ordering guarantee: every operation that installs a value is a release,
 * every operation that returns a value is an acquire, so whatever the
 * storing thread wrote into the value before storing it is visible to a
 * thread that loads it.
 *
 * Misuse (debug builds abort with a message naming the call; undefined in
 * NDEBUG builds): load without being pinned; a NULL cell; using a cell after
 * tern_cell_destroy(); copy helpers on a cell not made by
 * tern_cell_init_copy() or with another size.  Initialising a cell twice
 * (without destroying it) is undefined: it cannot be detected cheaply.  The
 * setup calls that return an error report a NULL cell as EINVAL in every
 * build.  All cells use the default epoch domain.
 */
#ifndef TERN_ATOMIC_CELL_H
#define TERN_ATOMIC_CELL_H

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "config.h"
#include "epoch.h"

TERN_EXTERN_C_BEGIN

/* ---- private layout (needed by the inline fast paths) ---- */

struct tern__cell_hdr {
	_Atomic(void *) value;     /* the current value, or NULL */
	void (*destroy)(void *);   /* the cell's destroy function, or NULL */
	size_t copy_size;          /* value size of a copy cell, 0 for a pointer cell */
	struct tern_epoch_entry entry; /* retires the header in tern_cell_destroy() */
};

/* Header of every destroyed cell: use after destroy is recognised by it. */
TERN__EXTERN_API struct tern__cell_hdr tern__cell_destroyed;

/* ---- the protocol, written once ----
 *
 * Both forms run these static inline functions on their one atomic pointer:
 * the run-time form on its header's `value` with the header's destroy
 * function, the typed form (TERN_CELL_DEFINE) on the cell itself with a
 * constant destroy function the compiler calls directly.  A NULL destroy
 * means values are not owned. */

TERN_INLINE void tern__cell_core_retire(void *v, void (*destroy)(void *))
{
	if (v != NULL && destroy != NULL)
		tern_epoch_defer(v, destroy);
}

TERN_INLINE void *tern__cell_core_load(_Atomic(void *) *slot)
{
	/* Acquire: pairs with the release half of the exchanges and CAS below,
	 * making the value's contents visible. */
	return atomic_load_explicit(slot, memory_order_acquire);
}

TERN_INLINE void *tern__cell_core_swap(_Atomic(void *) *slot, void *v)
{
	/* Acq_rel: release pairs with the acquire load in
	 * tern__cell_core_load() (publishes *v); acquire pairs with the release
	 * that installed the old value, whose contents the caller (or its
	 * deferred destructor) now reads. */
	return atomic_exchange_explicit(slot, v, memory_order_acq_rel);
}

TERN_INLINE void tern__cell_core_store(_Atomic(void *) *slot, void *v, void (*destroy)(void *))
{
	tern__cell_core_retire(tern__cell_core_swap(slot, v), destroy);
}

TERN_INLINE void *tern__cell_core_take(_Atomic(void *) *slot)
{
	/* Acquire: pairs with the release that installed the value the caller
	 * now owns.  No release needed: NULL publishes nothing. */
	return atomic_exchange_explicit(slot, NULL, memory_order_acquire);
}

TERN_INLINE bool tern__cell_core_compare_exchange(_Atomic(void *) *slot, void **expected, void *desired,
						  void (*destroy)(void *))
{
	void *old = *expected;
	/* Success acq_rel: release pairs with the acquire load in
	 * tern__cell_core_load(); acquire orders the old value's contents
	 * before its deferred destructor.  Failure acquire: pairs with the
	 * release that installed the value returned in *expected. */
	if (atomic_compare_exchange_strong_explicit(slot, expected, desired, memory_order_acq_rel,
						    memory_order_acquire)) {
		tern__cell_core_retire(old, destroy);
		return true;
	}
	return false;
}

/* Copies `size` bytes of the current value under an internal pin. */
TERN_INLINE bool tern__cell_core_load_copy(_Atomic(void *) *slot, void *dst, size_t size)
{
	tern_epoch_pin();
	void *v = tern__cell_core_load(slot);
	if (v != NULL)
		memcpy(dst, v, size);
	tern_epoch_unpin();
	return v != NULL;
}

/* ---- run-time cell ---- */

typedef struct tern_cell {
	struct tern__cell_hdr *hdr; /* set by init, immutable until destroy */
} tern_cell_t;

_Static_assert(sizeof(tern_cell_t) == sizeof(void *), "tern_cell_t must be one pointer wide");

/*
 * Initialises c holding `initial` (may be NULL), owned by the cell from now
 * on; `destroy` (may be NULL: values are not owned) runs once on every value
 * the cell drops.  Allocates the cell's header and aborts if that fails; use
 * tern_cell_try_init() to get ENOMEM instead.
 */
TERN_API void tern_cell_init(tern_cell_t *c, void *initial, void (*destroy)(void *));

/* As tern_cell_init().  => 0, ENOMEM (initial still the caller's), EINVAL if c is NULL. */
TERN_API int tern_cell_try_init(tern_cell_t *c, void *initial, void (*destroy)(void *));

/*
 * Destroys the cell: its current value is destroyed after a grace period and
 * the cell must not be used again (debug builds abort if it is).  No thread
 * may be using the cell concurrently.
 */
TERN_API void tern_cell_destroy(tern_cell_t *c);

TERN_INLINE struct tern__cell_hdr *tern__cell_hdr(tern_cell_t *c, const char *null_msg,
					      const char *dead_msg, const char *uninit_msg)
{
	TERN_ASSERT(c != NULL, null_msg);
	struct tern__cell_hdr *h = c->hdr;
	TERN_ASSERT(h != &tern__cell_destroyed, dead_msg);
	TERN_ASSERT(h != NULL, uninit_msg);
	(void)null_msg, (void)dead_msg, (void)uninit_msg;
	return h;
}
/* The checked header of cell c for the public call `call` (a string literal). */
#define TERN__CELL_HDR(c, call)                                                         \
	tern__cell_hdr((c), call ": cell is NULL", call ": cell used after tern_cell_destroy", \
		       call ": cell is not initialised")

/*
 * => the current value, or NULL if the cell is empty.  The caller must be
 * pinned; the value stays valid until it unpins, whatever other threads
 * store meanwhile.  Never writes shared memory.
 */
TERN_INLINE void *tern_cell_load(tern_cell_t *c)
{
	TERN_ASSERT(tern_epoch_is_pinned(), "tern_cell_load: caller is not pinned (call tern_epoch_pin first)");
	return tern__cell_core_load(&TERN__CELL_HDR(c, "tern_cell_load")->value);
}

/*
 * Stores `value` (may be NULL; now owned by the cell).  The previous value
 * is destroyed with the cell's destroy function after a grace period.  Does
 * not need the caller to be pinned.
 */
TERN_INLINE void tern_cell_store(tern_cell_t *c, void *value)
{
	struct tern__cell_hdr *h = TERN__CELL_HDR(c, "tern_cell_store");
	tern__cell_core_store(&h->value, value, h->destroy);
}

/*
 * Stores `value` (owned by the cell) and => the previous value, which now
 * belongs to the caller.  Readers pinned before the swap may still be
 * reading it: do not destroy it directly, retire it with tern_epoch_defer()
 * (or tern_cell_retire()) unless you know no reader can hold it.
 */
TERN_INLINE void *tern_cell_swap(tern_cell_t *c, void *value)
{
	return tern__cell_core_swap(&TERN__CELL_HDR(c, "tern_cell_swap")->value, value);
}

/* Empties the cell and => its value (the caller's now; see tern_cell_swap()). */
TERN_INLINE void *tern_cell_take(tern_cell_t *c)
{
	return tern__cell_core_take(&TERN__CELL_HDR(c, "tern_cell_take")->value);
}

/*
 * If the cell holds *expected (pointer equality), installs `desired` (now
 * owned by the cell), destroys the old value after a grace period and
 * => true.  Otherwise stores the current value in *expected, leaves
 * `desired` with the caller and => false.  Be pinned when *expected came
 * from tern_cell_load() (or when you read the value returned in *expected):
 * the pin keeps that object's address from being reused, so a success
 * really means the cell held the same object (no ABA).
 */
TERN_INLINE bool tern_cell_compare_exchange(tern_cell_t *c, void **expected, void *desired)
{
	struct tern__cell_hdr *h = TERN__CELL_HDR(c, "tern_cell_compare_exchange");
	TERN_ASSERT(expected != NULL, "tern_cell_compare_exchange: expected is NULL");
	return tern__cell_core_compare_exchange(&h->value, expected, desired, h->destroy);
}

/* Destroys `value` with the cell's destroy function after a grace period
 * (for values obtained from tern_cell_swap() / tern_cell_take()). */
TERN_INLINE void tern_cell_retire(tern_cell_t *c, void *value)
{
	tern__cell_core_retire(value, TERN__CELL_HDR(c, "tern_cell_retire")->destroy);
}

/* ---- copy cells: small plain values copied in and out ---- */

/*
 * Initialises a cell of plain values of `size` bytes (size > 0): each store
 * copies the bytes into a box the cell allocates, each load copies them
 * out.  `initial` (may be NULL: empty) is copied.  => 0, ENOMEM, or EINVAL
 * if c is NULL or size is 0.
 */
TERN_API int tern_cell_init_copy(tern_cell_t *c, const void *initial, size_t size);

/*
 * Copies `size` bytes from src into a new box and stores it; the old box is
 * freed after a grace period.  => 0, or ENOMEM (the cell is unchanged).
 */
TERN_API int tern_cell_store_copy(tern_cell_t *c, const void *src, size_t size);

/*
 * Copies the current value's `size` bytes into dst.  => false (dst
 * untouched) if the cell is empty.  Pins the calling thread for the copy
 * (nesting is fine): no lock, the copied box cannot be freed meanwhile —
 * the "clone" of the original Rust exercise, done without the atomic_cell crate's spinlock.
 */
TERN_INLINE bool tern_cell_load_copy(tern_cell_t *c, void *dst, size_t size)
{
	struct tern__cell_hdr *h = TERN__CELL_HDR(c, "tern_cell_load_copy");
	TERN_ASSERT(h->copy_size != 0 && h->copy_size == size,
		    "tern_cell_load_copy: not a copy cell of this size");
	TERN_ASSERT(dst != NULL, "tern_cell_load_copy: dst is NULL");
	return tern__cell_core_load_copy(&h->value, dst, size);
}

/* ---- typed cells ---- */

/*
 * TERN_CELL_DEFINE(name, T, destroy) defines, for values of type T held by
 * pointer and released by `void destroy(T *)`:
 *
 *   name_t                  the cell: one _Atomic(T *), no header; a
 *                           name_t initialised with { NULL } is an empty cell
 *   void name_init(name_t *c, T *initial)
 *   T   *name_load(name_t *c)                 caller pinned; valid until unpin
 *   void name_store(name_t *c, T *v)          old destroyed after a grace period
 *   T   *name_swap(name_t *c, T *v)           old is the caller's (retire it!)
 *   T   *name_take(name_t *c)                 swap with NULL
 *   bool name_compare_exchange(name_t *c, T **expected, T *desired)
 *   bool name_load_copy(name_t *c, T *out)    copy-out under an internal pin
 *   void name_retire(T *v)                    destroy(v) after a grace period
 *   void name_destroy(name_t *c)              destroys the value (deferred)
 *
 * with the same semantics as the tern_cell_* functions: each is a thin typed
 * wrapper over the same tern__cell_core_* functions as the run-time form.
 * `destroy` is called directly by generated code (no function pointer is
 * stored).  Put the
 * macro at file scope; everything it defines is static.
 */
#define TERN_CELL_DEFINE(name, T, destroy)                                              \
	typedef struct name {                                                           \
		_Atomic(void *) ptr; /* a T *, see the typed accessors */               \
	} name##_t;                                                                     \
	_Static_assert(sizeof(name##_t) == sizeof(void *), #name "_t must be one pointer wide"); \
	TERN__GENERATED void name##__destroy_erased(void *p)                            \
	{                                                                               \
		destroy((T *)p);                                                        \
	}                                                                               \
	TERN__GENERATED void name##_retire(T *v)                                        \
	{                                                                               \
		tern__cell_core_retire(v, name##__destroy_erased);                      \
	}                                                                               \
	TERN__GENERATED void name##_init(name##_t *c, T *initial)                       \
	{                                                                               \
		TERN_ASSERT(c != NULL, #name "_init: cell is NULL");                    \
		/* Relaxed: initialisation precedes publication of the cell. */         \
		atomic_store_explicit(&c->ptr, initial, memory_order_relaxed);          \
	}                                                                               \
	TERN__GENERATED T *name##_load(name##_t *c)                                     \
	{                                                                               \
		TERN_ASSERT(tern_epoch_is_pinned(), #name "_load: caller is not pinned"); \
		TERN_ASSERT(c != NULL, #name "_load: cell is NULL");                    \
		return (T *)tern__cell_core_load(&c->ptr);                              \
	}                                                                               \
	TERN__GENERATED void name##_store(name##_t *c, T *v)                            \
	{                                                                               \
		TERN_ASSERT(c != NULL, #name "_store: cell is NULL");                   \
		tern__cell_core_store(&c->ptr, v, name##__destroy_erased);              \
	}                                                                               \
	TERN__GENERATED T *name##_swap(name##_t *c, T *v)                               \
	{                                                                               \
		TERN_ASSERT(c != NULL, #name "_swap: cell is NULL");                    \
		return (T *)tern__cell_core_swap(&c->ptr, v);                           \
	}                                                                               \
	TERN__GENERATED T *name##_take(name##_t *c)                                     \
	{                                                                               \
		TERN_ASSERT(c != NULL, #name "_take: cell is NULL");                    \
		return (T *)tern__cell_core_take(&c->ptr);                              \
	}                                                                               \
	TERN__GENERATED bool name##_compare_exchange(name##_t *c, T **expected, T *desired) \
	{                                                                               \
		TERN_ASSERT(c != NULL && expected != NULL,                              \
			    #name "_compare_exchange: cell or expected is NULL");       \
		void *e = *expected;                                                    \
		bool ok = tern__cell_core_compare_exchange(&c->ptr, &e, desired, name##__destroy_erased); \
		*expected = (T *)e;                                                     \
		return ok;                                                              \
	}                                                                               \
	TERN__GENERATED bool name##_load_copy(name##_t *c, T *out)                      \
	{                                                                               \
		TERN_ASSERT(c != NULL && out != NULL, #name "_load_copy: cell or out is NULL"); \
		return tern__cell_core_load_copy(&c->ptr, out, sizeof(T));              \
	}                                                                               \
	TERN__GENERATED void name##_destroy(name##_t *c)                                \
	{                                                                               \
		TERN_ASSERT(c != NULL, #name "_destroy: cell is NULL");                 \
		name##_retire((T *)tern__cell_core_take(&c->ptr));                      \
	}                                                                               \
	typedef int name##__tern_cell_define_end

TERN_EXTERN_C_END

#endif /* TERN_ATOMIC_CELL_H */
