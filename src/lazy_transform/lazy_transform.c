/* SPDX-License-Identifier: MIT */
/*
 * src/lazy_transform/lazy_transform.c — set-up, set_source, the transform
 * slow path and destruction of the run-time LazyTransform.  The fast path,
 * tern_lazy_get_transformed(), is inline in include/tern/lazy_transform.h.
 * The protocol itself is written once, as the static inline
 * tern__lazy_core_* functions of that header; this file and the typed
 * TERN_LAZY_DEFINE generator both call them (with the ops' callbacks, or
 * with constant function pointers), so this argument covers both forms.
 * Below, "set_source" is tern__lazy_core_set(), "the transformer" runs
 * tern__lazy_core_transform(), "destroy" is tern__lazy_core_destroy().
 *
 * Concurrency
 * ===========
 *
 * State: two atomic pointers, `source` (pending source or NULL) and `value`
 * (cached value or NULL), and a one-byte LightLock `lock`.  `ops` is written
 * by init/destroy only (no concurrent use then) and read with plain loads.
 *
 * Who writes what
 *  - `source`: setters exchange a new source in (acq_rel); the transformer
 *    exchanges NULL in (acquire).  Every write is an exchange, so each
 *    source pointer in the modification order of `source` is returned by
 *    exactly one later exchange: the next setter's (an unconsumed source)
 *    or a transformer's (a consumed source), or taken by destroy.
 *  - `value`: written only by the thread holding `lock` (release store), and
 *    by destroy (no concurrent use).
 *  - `lock`: tern_lightlock_try_lock (acquire) / unlock (release).
 *
 * Invariants
 *  I1. Exactly one owner per source.  A source is owned by the container
 *      from the setter's exchange until the one exchange that returns it
 *      (I1 follows from exchanges being RMWs: each reads the immediately
 *      preceding write).  That thread destroys it right away —
 *      destroy_source runs exactly once per source.
 *  I2. No thread other than its owner ever dereferences a source.  Readers
 *      only compare the relaxed load of `source` with NULL.  So a source
 *      needs no grace period: whoever removed it from the slot may destroy
 *      it at once (set_source for a source replaced before any reader took
 *      it, the transformer after transform() returned, destroy for a
 *      pending one).  This is also why nothing is lost if a setter replaces
 *      a source that a reader has just seen as non-NULL: the reader's slow
 *      path takes whatever is in the slot at its exchange, or NULL.
 *  I3. At most one transformer.  The transform runs only between a
 *      successful tern_lightlock_try_lock() and the matching unlock;
 *      try_lock never waits, so a losing reader falls through to the cached
 *      value.  Values are therefore installed one at a time, in lock order.
 *  I4. Exactly one owner per value.  A value is owned by the container from
 *      its release store until the next lock holder overwrites it (that
 *      holder read it with a relaxed load — see O3 — and is its only
 *      remover) or until destroy.  The remover hands it to tern_epoch_defer
 *      exactly once.  Values that transform() returned are never dropped
 *      any other way; NULL from transform() installs nothing.
 *
 * Ordering (release/acquire pairs)
 *  O1. Source contents: set_source's exchange (release half) → the
 *      transformer's acquire exchange that reads it: the setter's writes to
 *      *source happen before transform() reads it.  If another setter reads
 *      it instead (replacing it), that setter's acquire half pairs the same
 *      way, so its destroy_source sees the fully built object.
 *  O2. Value contents: the transformer's release store of `value` → the
 *      reader's acquire load in tern_lazy_get_transformed() (or the acquire
 *      load at the end of tern__lazy_try_transform()): everything transform()
 *      wrote into the value happens before the reader uses it.
 *  O3. Replacing a value: the previous lock holder stored the value (release)
 *      then unlocked (release); our try_lock (acquire) synchronises with that
 *      unlock, so its store happens before our relaxed load, which by
 *      coherence reads it (no other thread writes `value`).  Relaxed is
 *      enough: the lock supplies the ordering, including of the old value's
 *      construction before our tern_epoch_defer() and thus its destructor.
 *
 * Why the fast path needs only a relaxed load of `source`
 *  The loaded pointer is never dereferenced (I2), and it does not guard the
 *  value load: the value pointer is read with its own acquire (O2), which is
 *  all a reader needs for a consistent value.  The source load decides only
 *  whether to try transforming.  Seeing NULL when a source was just set
 *  returns the previous value — allowed, as the guarantee is "eventually":
 *  the store becomes visible to relaxed loads within a finite time (C11
 *  7.17.3p16, and every real CPU), a reader's loads never go back to an
 *  older value in `source`'s modification order (read-read coherence), and
 *  the pending source stays in the slot until some get takes it (only a
 *  transformer or a later setter removes it).  An acquire load here would
 *  add nothing: it would order later loads after the source load, but the
 *  value load does not depend on what the source load saw.  Seeing a non-NULL pointer that a transformer has
 *  meanwhile consumed costs a failed try_lock or an exchange returning NULL,
 *  then the acquire load of the value.
 *
 * Why consumed sources and replaced values are safe to destroy when they are
 *  - A consumed source (I1, I2): only its owner could reach it; destroy at
 *    once.  (No epoch deferral, so sources are freed promptly and
 *    set_source never touches the epoch GC.)
 *  - A replaced value: readers may hold it — they loaded the pointer while
 *    pinned, before the replacing store in `value`'s modification order.
 *    It is handed to tern_epoch_defer() after that store, so by the epoch
 *    guarantee destroy_value runs after every such reader unpins.  The
 *    pointer returned by a get is therefore valid until the caller unpins,
 *    even if a transform replaces it meanwhile.
 *
 * Progress
 *  set_source: one exchange and possibly destroy_source — wait-free (user
 *  code aside).  get: two loads on the fast path; on the slow path one
 *  try_lock, one exchange, at most one transform(), one store, one unlock —
 *  no loop, no waiting on another thread: wait-free apart from transform().
 *  "Eventually": after set_source(s) returns, s (or a later source) stays in
 *  the slot until a transformer takes it; a get that finds it and wins the
 *  lock transforms it; a get that loses the lock found a transformer that
 *  will finish.  So once no transform is running, the next get transforms
 *  the latest source (if transform returns non-NULL, the value is then its
 *  transform).
 *
 * Per-reader monotonicity: values are installed in lock order (I3); a
 * reader's acquire loads of `value` follow its modification order
 * (read-read coherence), so a reader never sees an older value after a newer
 * one; and consumed sources follow the modification order of `source`
 * (each transformer's exchange happens after the previous one through the
 * lock), so the values follow the order in which sources were set.
 */
#include <errno.h>
#include <stddef.h>

#include "tern/lazy_transform.h"

/* transform NULL: asserted against in debug builds; never called. */
TERN__STATIC_DATA const struct tern_lazy_ops tern__lazy_destroyed_ops = { NULL, NULL, NULL, NULL };

#define TERN__LAZY_CHECK(lt, call)                                                        \
	do {                                                                               \
		TERN_ASSERT((lt) != NULL, call ": container is NULL");                     \
		TERN_ASSERT((lt)->ops != &tern__lazy_destroyed_ops,                        \
			    call ": container used after tern_lazy_destroy");              \
		TERN_ASSERT((lt)->ops != NULL, call ": container is not initialised");     \
	} while (0)

int tern_lazy_init(tern_lazy_t *lt, const struct tern_lazy_ops *ops)
{
	if (lt == NULL || ops == NULL || ops->transform == NULL)
		return EINVAL;
	/* Relaxed: initialisation precedes publication of the container. */
	atomic_store_explicit(&lt->source, NULL, memory_order_relaxed);
	/* Relaxed: as above. */
	atomic_store_explicit(&lt->value, NULL, memory_order_relaxed);
	lt->ops = ops;
	tern_lightlock_init(&lt->lock);
	return 0;
}

void tern_lazy_set_source(tern_lazy_t *lt, void *source)
{
	TERN__LAZY_CHECK(lt, "tern_lazy_set_source");
	TERN_ASSERT(source != NULL, "tern_lazy_set_source: source is NULL");
	tern__lazy_core_set(&lt->source, source, lt->ops->destroy_source);
}

const void *tern__lazy_try_transform(tern_lazy_t *lt)
{
	const struct tern_lazy_ops *ops = lt->ops;
	TERN_ASSERT(ops->transform != NULL, "tern_lazy_get_transformed: container used after tern_lazy_destroy");
	return tern__lazy_core_transform(&lt->source, &lt->value, &lt->lock, ops->transform, ops->ctx,
					 ops->destroy_source, ops->destroy_value);
}

void tern_lazy_destroy(tern_lazy_t *lt)
{
	TERN__LAZY_CHECK(lt, "tern_lazy_destroy");
	TERN_ASSERT(!tern_lightlock_is_locked(&lt->lock),
		    "tern_lazy_destroy: a transformation is in progress");
	const struct tern_lazy_ops *ops = lt->ops;
	lt->ops = &tern__lazy_destroyed_ops;
	tern__lazy_core_destroy(&lt->source, &lt->value, ops->destroy_source, ops->destroy_value);
}
