/* SPDX-License-Identifier: MIT */
/*
 * bench/lazy/impl_locks.c — the exercise's lock-based LazyTransforms in C:
 *
 *   mutex       "Exploring lock-free Rust 1", Mutexes: one mutex around
 *               {source, value}; the transform runs under it.
 *   fine        "Fine-grained locking": source under a mutex, value under
 *               an RW-lock, transform_lock a mutex taken with try-lock.
 *   atomicbool  part 2, "AtomicBool": as fine, with transform_lock an
 *               atomic bool swapped on every read.
 *
 * Where the Rust versions return value.clone(), these check the value under
 * the lock instead (a borrow under the lock), the cheapest a C caller can do;
 * the lock rows are not penalised by a copy.  pthread defaults: a normal
 * mutex, glibc's reader-preferring RW-lock.
 */
#include "harness.h"

/* set_source: a copy of b replaces *slot under mx; an unconsumed source is freed. */
static void lk_set_source(pthread_mutex_t *mx, struct bench_blob **slot, const struct bench_blob *b)
{
	struct bench_blob *src = lazy_dup(b, sizeof *b);
	pthread_mutex_lock(mx);
	struct bench_blob *old = *slot;
	*slot = src;
	pthread_mutex_unlock(mx);
	free(old);
}

/* The transform of a taken source, into a new value; frees the source. */
static struct bench_str *lk_transform(struct bench_blob *src)
{
	bench_xform_begin(); /* the transform path starts here, as in tern's callback */
	struct bench_str *v = lazy_alloc(sizeof *v);
	bench_transform(src, v);
	free(src);
	return v;
}

/* What every lock version guards (each after its locks, under the locks it says). */
struct lk_vals {
	struct bench_blob *source;
	struct bench_str *value;
	uint64_t transforms;
};

/* Frees what v holds and the container lt. */
static void lk_free(struct lk_vals *v, void *lt)
{
	free(v->source);
	free(v->value);
	free(lt);
}

/* ---- mutex ----------------------------------------------------------------- */

struct lk_mutex {
	pthread_mutex_t mx;
	struct lk_vals v; /* under mx */
};

static void *mutex_create(void)
{
	struct lk_mutex *lt = calloc(1, sizeof *lt);
	if (!lt || pthread_mutex_init(&lt->mx, NULL) != 0)
		abort();
	return lt;
}

static void mutex_destroy(void *obj)
{
	struct lk_mutex *lt = obj;
	pthread_mutex_destroy(&lt->mx);
	lk_free(&lt->v, lt);
}

static void mutex_set_source(void *obj, const struct bench_blob *b)
{
	struct lk_mutex *lt = obj;
	lk_set_source(&lt->mx, &lt->v.source, b);
}

static void mutex_consume(struct bench_thread *t)
{
	struct lk_mutex *lt = t->run->obj;
	BENCH_LOOP(t, {
		pthread_mutex_lock(&lt->mx);
		if (lt->v.source) { /* get_transformed with the lock held: transform a pending source */
			struct bench_str *old = lt->v.value;
			lt->v.value = lk_transform(lt->v.source);
			lt->v.source = NULL;
			free(old);
			lt->v.transforms++;
		}
		if (lt->v.value)
			hits_ += bench_lt_longer(lt->v.value->s);
		pthread_mutex_unlock(&lt->mx);
	});
}

static uint64_t mutex_transforms(void *obj)
{
	return ((struct lk_mutex *)obj)->v.transforms;
}

const struct lazy_impl lazy_mutex = {"mutex", "one pthread mutex around source and value (exercise part 1)",
				     mutex_create, mutex_destroy, mutex_set_source, mutex_consume, mutex_transforms,
				     {0}};

/* ---- fine-grained: mutex + RW-lock + try-lock; and the AtomicBool variant ------ */

struct lk_fine {
	pthread_mutex_t source_mx;
	pthread_rwlock_t value_rw;
	pthread_mutex_t transform_mx; /* fine */
	atomic_bool transform_flag;   /* atomicbool */
	struct lk_vals v;             /* source under source_mx, value under value_rw,
					 transforms under the transform lock */
};

static void *fine_create(void)
{
	struct lk_fine *lt = calloc(1, sizeof *lt);
	if (!lt || pthread_mutex_init(&lt->source_mx, NULL) != 0 ||
	    pthread_rwlock_init(&lt->value_rw, NULL) != 0 ||
	    pthread_mutex_init(&lt->transform_mx, NULL) != 0)
		abort();
	atomic_init(&lt->transform_flag, false);
	return lt;
}

static void fine_destroy(void *obj)
{
	struct lk_fine *lt = obj;
	pthread_mutex_destroy(&lt->source_mx);
	pthread_rwlock_destroy(&lt->value_rw);
	pthread_mutex_destroy(&lt->transform_mx);
	lk_free(&lt->v, lt);
}

static void fine_set_source(void *obj, const struct bench_blob *b)
{
	struct lk_fine *lt = obj;
	lk_set_source(&lt->source_mx, &lt->v.source, b);
}

/* With the transform lock held: take the source if its lock is free, transform. */
static inline void fine_transform_locked(struct lk_fine *lt)
{
	struct bench_blob *src = NULL;
	if (pthread_mutex_trylock(&lt->source_mx) == 0) {
		src = lt->v.source;
		lt->v.source = NULL;
		pthread_mutex_unlock(&lt->source_mx);
	}
	if (src) {
		struct bench_str *v = lk_transform(src);
		pthread_rwlock_wrlock(&lt->value_rw);
		struct bench_str *old = lt->v.value;
		lt->v.value = v;
		pthread_rwlock_unlock(&lt->value_rw);
		free(old); /* no reader holds it: readers hold value_rw */
		lt->v.transforms++;
	}
}

static inline bool fine_read_value(struct lk_fine *lt)
{
	bool hit = false;
	pthread_rwlock_rdlock(&lt->value_rw);
	if (lt->v.value)
		hit = bench_lt_longer(lt->v.value->s);
	pthread_rwlock_unlock(&lt->value_rw);
	return hit;
}

static void fine_consume(struct bench_thread *t)
{
	struct lk_fine *lt = t->run->obj;
	BENCH_LOOP(t, {
		if (pthread_mutex_trylock(&lt->transform_mx) == 0) {
			fine_transform_locked(lt);
			pthread_mutex_unlock(&lt->transform_mx);
		}
		hits_ += fine_read_value(lt);
	});
}

static void atomicbool_consume(struct bench_thread *t)
{
	struct lk_fine *lt = t->run->obj;
	BENCH_LOOP(t, {
		/* Acquire: pairs with the release store below (the exercise's
		 * transform_lock.swap(true, Acquire), done on every read). */
		if (!atomic_exchange_explicit(&lt->transform_flag, true, memory_order_acquire)) {
			fine_transform_locked(lt);
			/* Release: pairs with the acquire exchange above. */
			atomic_store_explicit(&lt->transform_flag, false, memory_order_release);
		}
		hits_ += fine_read_value(lt);
	});
}

static uint64_t fine_transforms(void *obj)
{
	return ((struct lk_fine *)obj)->v.transforms;
}

#define FINE_IMPL(NAME, DESC, CONSUME) \
	{NAME, DESC, fine_create, fine_destroy, fine_set_source, CONSUME, fine_transforms, {0}}

const struct lazy_impl lazy_fine =
	FINE_IMPL("fine-rwlock", "source mutex + value RW-lock + try-lock transform mutex (exercise part 1)",
		  fine_consume);
const struct lazy_impl lazy_atomicbool = FINE_IMPL(
	"atomicbool-rwlock", "AtomicBool transform lock + source mutex + value RW-lock (exercise part 2)",
	atomicbool_consume);
