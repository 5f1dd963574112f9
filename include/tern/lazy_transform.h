/* SPDX-License-Identifier: MIT */
/*
 * tern/lazy_transform.h — the wait-free LazyTransform: a cached value
 * computed lazily from the latest published source.
 *
 * The exercise of the "Exploring lock-free Rust" series:
 *
 *   - tern_lazy_set_source() publishes a new source and never waits: one
 *     atomic exchange, plus destroying the previous source if no reader had
 *     consumed it yet;
 *   - nothing is transformed until tern_lazy_get_transformed() is called; at
 *     most one transformation runs at a time (a one-byte LightLock taken
 *     with try_lock), and a reader that loses that race returns the cached
 *     value without waiting;
 *   - a transform that returns NULL consumes the source and keeps the
 *     previous value (unlike the Python reference, which would retry the same
 *     source on every get — a source the transform rejects once is assumed
 *     to be rejected forever);
 *   - once set_source() returns, later gets eventually return the transform
 *     of that source or of a later one;
 *   - every source and every value is destroyed exactly once (the Crossbeam
 *     version of the original exercise leaked): a source right after it was consumed or
 *     replaced (no reader ever dereferences a source), a value after a grace
 *     period of the epoch GC (readers borrow it while pinned).
 *
 * Fast path: with no new source pending, tern_lazy_get_transformed() is a
 * relaxed load of the source pointer and an acquire load of the value
 * pointer, inline, under the caller's pin — no allocation, no
 * read-modify-write, no write to shared memory.
 *
 * Three ways to read (the original exercise's conclusion: no single answer
 * fits every value type):
 *
 *   borrow   tern_lazy_get_transformed(): a pointer valid until the caller
 *            unpins.  Zero copy, Java-like; the fastest.  Use it whenever the
 *            caller can stay pinned while it uses the value (not across
 *            blocking calls: a pinned thread holds back reclamation).
 *   copy     tern_lazy_get_copy(): copies the value's bytes into a caller
 *            buffer under an internal pin — Rust's clone, for small plain
 *            values that must outlive the pin.  No lock, no refcount.
 *   visit    tern_lazy_visit(): calls fn(value, arg) while pinned — the
 *            exercise's "expose the reference to a closure", for picking a few
 *            fields out of a large value without managing the pin.
 *
 * Two forms: tern_lazy_t (run time: void * source and value, operations in a
 * struct tern_lazy_ops) and TERN_LAZY_DEFINE (typed, the transform called
 * directly — the C counterpart of the exercise's third type parameter FN).
 *
 * Ordering guarantee: whatever the transform wrote into a value happens
 * before any reader's use of the pointer returned for it; whatever the
 * setter wrote into a source before set_source() happens before the
 * transform reads it.  The argument is in src/lazy_transform/lazy_transform.c.
 *
 * Misuse (debug builds abort with a message naming the call; undefined in
 * NDEBUG builds): get without being pinned (tern_epoch_pin), a NULL
 * container, ops or source, use after tern_lazy_destroy(), destroy while a
 * transformation runs.  Initialising a container twice is undefined (it
 * cannot be detected cheaply); tern_lazy_init() reports NULL arguments as
 * EINVAL in every build.  All containers use the default epoch domain.
 */
#ifndef TERN_LAZY_TRANSFORM_H
#define TERN_LAZY_TRANSFORM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "config.h"
#include "epoch.h"
#include "lightlock.h"

TERN_EXTERN_C_BEGIN

struct tern_lazy_ops {
	/* => the value for `source`, or NULL to keep the old one.  Runs in
	 * the thread that called get, while it is pinned, never concurrently
	 * with another transform of the same container.  Must not destroy the
	 * source. */
	void *(*transform)(const void *source, void *ctx);
	/* Called once per source, after use (may be NULL: sources not owned). */
	void (*destroy_source)(void *source);
	/* Called once per value, after a grace period (may be NULL). */
	void (*destroy_value)(void *value);
	void *ctx; /* passed to transform */
};

typedef struct tern_lazy {
	_Atomic(void *) source;           /* pending source, NULL if none */
	_Atomic(void *) value;            /* cached value, NULL before the first */
	const struct tern_lazy_ops *ops;  /* the caller's; must outlive the container */
	tern_lightlock_t lock;            /* held by the one transforming thread */
} tern_lazy_t;

_Static_assert(sizeof(tern_lazy_t) <= 4 * sizeof(void *),
	       "tern_lazy_t must fit in 32 bytes on 64-bit targets");

/* Static initialiser: tern_lazy_t lt = TERN_LAZY_INIT(&ops);  (ops non-NULL,
 * with a transform). */
#define TERN_LAZY_INIT(ops_ptr) { NULL, NULL, (ops_ptr), TERN_LIGHTLOCK_INIT }

/* The ops of a destroyed container: use after destroy is recognised by it. */
TERN__EXTERN_API const struct tern_lazy_ops tern__lazy_destroyed_ops;

/* ---- the protocol, written once ----
 *
 * Both forms run these static inline functions: the run-time form with the
 * callbacks of its ops, the typed form (TERN_LAZY_DEFINE) with constant
 * function pointers, which the compiler calls directly once it inlines the
 * core.  The argument for them is the Concurrency block of
 * src/lazy_transform/lazy_transform.c; O1-O3 and I1-I4 name its steps. */

/* set_source: publish s, destroy a source nobody consumed (I1). */
TERN_INLINE void tern__lazy_core_set(_Atomic(void *) *source, void *s, void (*destroy_source)(void *))
{
	/* Acq_rel: the release half pairs with the acquire exchange in
	 * tern__lazy_core_transform() (O1: publishes *s); the acquire half
	 * pairs with the release half of the setter that installed prev, which
	 * this thread now destroys (I1). */
	void *prev = atomic_exchange_explicit(source, s, memory_order_acq_rel);
	if (prev != NULL && destroy_source != NULL)
		destroy_source(prev);
}

/* get, fast path: whether a source is pending (a hint), and the value. */
TERN_INLINE bool tern__lazy_core_pending(_Atomic(void *) *source)
{
	/* Relaxed: only a hint that a source is pending.  A non-NULL pointer is
	 * never dereferenced here; the slow path takes the source with an
	 * acquire exchange under the lock.  Missing a source that was just
	 * published only returns the previous value for now, which the
	 * exercise allows ("eventually"). */
	return TERN_UNLIKELY(atomic_load_explicit(source, memory_order_relaxed) != NULL);
}

TERN_INLINE void *tern__lazy_core_value(_Atomic(void *) *value)
{
	/* Acquire: pairs with the release store of the value in
	 * tern__lazy_core_transform() (O2), so the value's contents are visible. */
	return atomic_load_explicit(value, memory_order_acquire);
}

/* get, slow path: transform the pending source if no one else is (I3). */
TERN_INLINE void *tern__lazy_core_transform(_Atomic(void *) *source, _Atomic(void *) *value, tern_lightlock_t *lock,
					    void *(*transform)(const void *source, void *ctx), void *ctx,
					    void (*destroy_source)(void *), void (*destroy_value)(void *))
{
	if (tern_lightlock_try_lock(lock)) {
		/* Acquire: pairs with the release half of the exchange in
		 * tern__lazy_core_set() (O1).  No release needed: storing NULL
		 * publishes nothing. */
		void *src = atomic_exchange_explicit(source, NULL, memory_order_acquire);
		void *nv = src != NULL ? transform(src, ctx) : NULL;
		void *old = NULL;
		if (nv != NULL) {
			/* Relaxed: only the lock holder writes `value`; the
			 * try_lock acquire ordered the last write before us (O3). */
			old = atomic_load_explicit(value, memory_order_relaxed);
			/* Release: pairs with the acquire load in
			 * tern__lazy_core_value() (O2). */
			atomic_store_explicit(value, nv, memory_order_release);
		}
		tern_lightlock_unlock(lock);
		/* Outside the lock: both objects are this thread's alone (I1, I4). */
		if (src != NULL && destroy_source != NULL)
			destroy_source(src);
		if (old != NULL && destroy_value != NULL)
			tern_epoch_defer(old, destroy_value);
		if (nv != NULL)
			return nv; /* valid until the caller unpins, even if replaced */
	}
	return tern__lazy_core_value(value);
}

/* destroy: the pending source at once, the value after a grace period. */
TERN_INLINE void tern__lazy_core_destroy(_Atomic(void *) *source, _Atomic(void *) *value,
					 void (*destroy_source)(void *), void (*destroy_value)(void *))
{
	/* Acquire: pairs with the release half of the setter's exchange (O1),
	 * so destroy_source sees the whole source. */
	void *src = atomic_exchange_explicit(source, NULL, memory_order_acquire);
	/* Acquire: pairs with the release store in tern__lazy_core_transform()
	 * (O2), for the value's destructor. */
	void *val = atomic_exchange_explicit(value, NULL, memory_order_acquire);
	if (src != NULL && destroy_source != NULL)
		destroy_source(src);
	/* A thread pinned earlier may still hold the value: defer it. */
	if (val != NULL && destroy_value != NULL)
		tern_epoch_defer(val, destroy_value);
}

/* get_copy and visit: the value under an internal pin (nesting is fine). */
TERN_INLINE bool tern__lazy_core_copy(const void *(*get)(void *lt), void *lt, void *dst, size_t size)
{
	tern_epoch_pin();
	const void *v = get(lt);
	if (v != NULL)
		memcpy(dst, v, size);
	tern_epoch_unpin();
	return v != NULL;
}

TERN_INLINE bool tern__lazy_core_visit(const void *(*get)(void *lt), void *lt,
				       void (*fn)(const void *value, void *arg), void *arg)
{
	tern_epoch_pin();
	const void *v = get(lt);
	if (v != NULL)
		fn(v, arg);
	tern_epoch_unpin();
	return v != NULL;
}

/*
 * Initialises an empty container using *ops (not copied: it must outlive
 * the container).  => 0, or EINVAL if lt, ops or ops->transform is NULL.
 */
TERN_API int tern_lazy_init(tern_lazy_t *lt, const struct tern_lazy_ops *ops);

/*
 * Publishes `source` (non-NULL; now owned by the container).  Never waits:
 * one atomic exchange; if the previous source was still pending it is
 * destroyed here, by this thread.  Need not be pinned.
 */
TERN_API void tern_lazy_set_source(tern_lazy_t *lt, void *source);

/*
 * Destroys the container: a pending source at once, the value after a grace
 * period.  No thread may be using the container; it must not be used again.
 */
TERN_API void tern_lazy_destroy(tern_lazy_t *lt);

/* Private: the slow path of tern_lazy_get_transformed(), when a source is pending. */
TERN_API const void *tern__lazy_try_transform(tern_lazy_t *lt);

/*
 * => the cached value, transforming first if a new source is pending and no
 * other thread is transforming; NULL before the first value.  The caller
 * must be pinned; the pointer stays valid until it unpins.
 */
TERN_INLINE const void *tern_lazy_get_transformed(tern_lazy_t *lt)
{
	TERN_ASSERT(lt != NULL, "tern_lazy_get_transformed: container is NULL");
	TERN_ASSERT(tern_epoch_is_pinned(),
		    "tern_lazy_get_transformed: caller is not pinned (call tern_epoch_pin first)");
	TERN_ASSERT(lt->ops != &tern__lazy_destroyed_ops,
		    "tern_lazy_get_transformed: container used after tern_lazy_destroy");
	if (tern__lazy_core_pending(&lt->source))
		return tern__lazy_try_transform(lt);
	return tern__lazy_core_value(&lt->value);
}

TERN_INLINE const void *tern__lazy_get_erased(void *lt)
{
	return tern_lazy_get_transformed((tern_lazy_t *)lt);
}

/*
 * Copies `size` bytes of the current value into dst under an internal pin
 * (nesting is fine).  => false (dst untouched) if there is no value yet.
 */
TERN_INLINE bool tern_lazy_get_copy(tern_lazy_t *lt, void *dst, size_t size)
{
	TERN_ASSERT(dst != NULL || size == 0, "tern_lazy_get_copy: dst is NULL");
	return tern__lazy_core_copy(tern__lazy_get_erased, lt, dst, size);
}

/*
 * Calls fn(value, arg) with the current value while pinned (pins and unpins
 * itself).  => false, without calling fn, if there is no value yet.
 */
TERN_INLINE bool tern_lazy_visit(tern_lazy_t *lt, void (*fn)(const void *value, void *arg), void *arg)
{
	TERN_ASSERT(fn != NULL, "tern_lazy_visit: fn is NULL");
	return tern__lazy_core_visit(tern__lazy_get_erased, lt, fn, arg);
}

/* ---- typed containers ---- */

/* Static initialiser of any TERN_LAZY_DEFINE container: name_t lt = TERN_LAZY_TYPED_INIT; */
#define TERN_LAZY_TYPED_INIT { NULL, NULL, TERN_LIGHTLOCK_INIT }

/* Lock byte of a destroyed typed container (any non-zero byte reads as held). */
#define TERN__LAZY_DEAD 0xDDu

/* Storage of the generated slow path: out of line, no warning when unused. */
#if defined(__GNUC__) || defined(__clang__)
#define TERN__LAZY_SLOW static __attribute__((noinline, unused))
#else
#define TERN__LAZY_SLOW static inline
#endif

/*
 * TERN_LAZY_DEFINE(name, S, T, transform_fn, destroy_S, destroy_T) defines a
 * LazyTransform from sources S to values T, with
 *
 *   T   *transform_fn(const S *source)   new value, or NULL to keep the old
 *   void destroy_S(S *source)            once per source
 *   void destroy_T(T *value)             once per value, after a grace period
 *
 * called directly (no stored function pointer; the compiler may inline
 * them).  It generates
 *
 *   name_t      two pointers and a LightLock (24 bytes on x86_64);
 *               name_t lt = TERN_LAZY_TYPED_INIT; is a valid empty container
 *   void     name_init(name_t *lt)
 *   void     name_set_source(name_t *lt, S *source)          takes ownership
 *   const T *name_get_transformed(name_t *lt)                caller pinned
 *   bool     name_get_copy(name_t *lt, T *out)               copy-out, pins itself
 *   bool     name_visit(name_t *lt, void (*fn)(const T *, void *), void *arg)
 *   void     name_destroy(name_t *lt)
 *
 * with the semantics of the tern_lazy_* functions: each is a thin typed
 * wrapper over the same tern__lazy_core_* functions as the run-time form.
 * name_destroy() leaves a poison byte in the lock, so debug builds catch a
 * later get or set_source on the destroyed container.  The slow path is a
 * generated non-inlined static function.  Put the macro at file scope.
 */
#define TERN_LAZY_DEFINE(name, S, T, transform_fn, destroy_S, destroy_T)                \
	typedef struct name {                                                           \
		_Atomic(void *) source; /* an S *, see the typed accessors */           \
		_Atomic(void *) value;  /* a T * */                                     \
		tern_lightlock_t lock;                                                  \
	} name##_t;                                                                     \
	_Static_assert(sizeof(name##_t) <= 3 * sizeof(void *),                          \
		       #name "_t must fit in 24 bytes on 64-bit targets");              \
	TERN__GENERATED void name##__destroy_S_erased(void *p)                          \
	{                                                                               \
		destroy_S((S *)p);                                                      \
	}                                                                               \
	TERN__GENERATED void name##__destroy_T_erased(void *p)                          \
	{                                                                               \
		destroy_T((T *)p);                                                      \
	}                                                                               \
	TERN__GENERATED void *name##__transform_erased(const void *src, void *ctx)      \
	{                                                                               \
		(void)ctx;                                                              \
		return transform_fn((const S *)src);                                    \
	}                                                                               \
	TERN__GENERATED bool name##__is_dead(name##_t *lt)                              \
	{                                                                               \
		/* Relaxed: a debug check against a single-threaded misuse. */          \
		return atomic_load_explicit(&lt->lock.locked, memory_order_relaxed) == TERN__LAZY_DEAD; \
	}                                                                               \
	TERN__GENERATED void name##_init(name##_t *lt)                                  \
	{                                                                               \
		TERN_ASSERT(lt != NULL, #name "_init: container is NULL");              \
		/* Relaxed: initialisation precedes publication of the container. */    \
		atomic_store_explicit(&lt->source, NULL, memory_order_relaxed);         \
		atomic_store_explicit(&lt->value, NULL, memory_order_relaxed);          \
		tern_lightlock_init(&lt->lock);                                         \
	}                                                                               \
	TERN__GENERATED void name##_set_source(name##_t *lt, S *source)                 \
	{                                                                               \
		TERN_ASSERT(lt != NULL && source != NULL,                               \
			    #name "_set_source: container or source is NULL");          \
		TERN_ASSERT(!name##__is_dead(lt),                                       \
			    #name "_set_source: container used after " #name "_destroy"); \
		tern__lazy_core_set(&lt->source, source, name##__destroy_S_erased);     \
	}                                                                               \
	TERN__LAZY_SLOW const T *name##__try_transform(name##_t *lt)                    \
	{                                                                               \
		return (const T *)tern__lazy_core_transform(&lt->source, &lt->value, &lt->lock, \
			name##__transform_erased, NULL, name##__destroy_S_erased,       \
			name##__destroy_T_erased);                                      \
	}                                                                               \
	TERN__GENERATED const T *name##_get_transformed(name##_t *lt)                   \
	{                                                                               \
		TERN_ASSERT(lt != NULL, #name "_get_transformed: container is NULL");   \
		TERN_ASSERT(tern_epoch_is_pinned(), #name "_get_transformed: caller is not pinned"); \
		TERN_ASSERT(!name##__is_dead(lt),                                       \
			    #name "_get_transformed: container used after " #name "_destroy"); \
		if (tern__lazy_core_pending(&lt->source))                               \
			return name##__try_transform(lt);                               \
		return (const T *)tern__lazy_core_value(&lt->value);                    \
	}                                                                               \
	TERN__GENERATED const void *name##__get_erased(void *lt)                        \
	{                                                                               \
		return name##_get_transformed((name##_t *)lt);                          \
	}                                                                               \
	TERN__GENERATED bool name##_get_copy(name##_t *lt, T *out)                      \
	{                                                                               \
		TERN_ASSERT(out != NULL, #name "_get_copy: out is NULL");               \
		return tern__lazy_core_copy(name##__get_erased, lt, out, sizeof(T));    \
	}                                                                               \
	struct name##__visit_ctx {                                                      \
		void (*fn)(const T *, void *);                                          \
		void *arg;                                                              \
	};                                                                              \
	TERN__GENERATED void name##__visit_erased(const void *v, void *c)               \
	{                                                                               \
		struct name##__visit_ctx *vc = (struct name##__visit_ctx *)c;           \
		vc->fn((const T *)v, vc->arg);                                          \
	}                                                                               \
	TERN__GENERATED bool name##_visit(name##_t *lt, void (*fn)(const T *, void *), void *arg) \
	{                                                                               \
		TERN_ASSERT(fn != NULL, #name "_visit: fn is NULL");                    \
		struct name##__visit_ctx vc = { fn, arg };                              \
		return tern__lazy_core_visit(name##__get_erased, lt, name##__visit_erased, &vc); \
	}                                                                               \
	TERN__GENERATED void name##_destroy(name##_t *lt)                               \
	{                                                                               \
		TERN_ASSERT(lt != NULL, #name "_destroy: container is NULL");           \
		TERN_ASSERT(!name##__is_dead(lt),                                       \
			    #name "_destroy: container already destroyed");             \
		TERN_ASSERT(!tern_lightlock_is_locked(&lt->lock),                       \
			    #name "_destroy: a transformation is in progress");         \
		tern__lazy_core_destroy(&lt->source, &lt->value, name##__destroy_S_erased, \
					name##__destroy_T_erased);                      \
		/* Relaxed: no concurrent user; the poison is only for debug checks. */ \
		atomic_store_explicit(&lt->lock.locked, TERN__LAZY_DEAD, memory_order_relaxed); \
	}                                                                               \
	typedef int name##__tern_lazy_define_end

TERN_EXTERN_C_END

#endif /* TERN_LAZY_TRANSFORM_H */
