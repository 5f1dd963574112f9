/* SPDX-License-Identifier: MIT */
/*
 * bench/containers lock baselines:
 *
 *   mutex-queue   a singly linked FIFO (head, tail) under one pthread mutex;
 *                 dequeued items freed at once.
 *   mutex-stack   a singly linked LIFO under one pthread mutex; popped nodes
 *                 reused at once (per-thread free list).
 *   rwlock-map    a chained hash table of 64 Ki buckets (fixed), ct_hash,
 *                 under one pthread_rwlock_t: lookups share it, inserts and
 *                 removes take it exclusively; removed nodes freed at once.
 */
#include <pthread.h>

#include "containers.h"

struct lk_item {
	struct bench_obj h;
	struct lk_item *next;
};

/* ---- queue and stack ---- */

struct lk_list {
	pthread_mutex_t lock;
	struct lk_item *head, *tail;
};

static void *lk_list_setup(unsigned owner)
{
	(void)owner;
	struct lk_list *l = ct_xalloc(0, sizeof *l);
	if (pthread_mutex_init(&l->lock, NULL) != 0)
		abort();
	return l;
}

static void *lk_thread_init(struct ct_thread *t)
{
	(void)t;
	return NULL; /* the stack's free list */
}

#define LK_NEXT offsetof(struct lk_item, next)

static void lk_thread_fini(struct ct_thread *t)
{
	ct_pool_free(t->ctx, LK_NEXT);
}

static struct lk_item *lk_pop_head(struct lk_list *l)
{
	pthread_mutex_lock(&l->lock);
	struct lk_item *it = l->head;
	if (it != NULL) {
		l->head = it->next;
		if (l->head == NULL)
			l->tail = NULL;
	}
	pthread_mutex_unlock(&l->lock);
	return it;
}

static struct bench_obj *lk_hdr(struct lk_item *it)
{
	return it != NULL ? &it->h : NULL;
}

static void lk_queue_run(struct ct_thread *t)
{
	struct lk_list *l = t->row->obj;
	if (t->role == CT_PRODUCER) {
		CT_PRODUCE(t, {
			struct lk_item *it = bench_obj_new(sizeof *it, t->owner, seq_);
			it->next = NULL;
			pthread_mutex_lock(&l->lock);
			if (l->tail != NULL)
				l->tail->next = it;
			else
				l->head = it;
			l->tail = it;
			pthread_mutex_unlock(&l->lock);
		});
	} else {
		CT_CONSUME(t, h_ = lk_hdr(lk_pop_head(l)), bench_obj_free(h_));
	}
}

static void lk_list_teardown(void *obj)
{
	struct lk_list *l = obj;
	for (struct lk_item *it; (it = lk_pop_head(l)) != NULL;)
		bench_obj_free(&it->h);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

CT_ROW(ct_lock_queue, "mutex-queue", CT_QUEUE, lk_list_setup, lk_thread_init, lk_queue_run, lk_thread_fini,
       lk_list_teardown, "linked FIFO under one pthread mutex; dequeued items freed at once");

static void lk_stack_run(struct ct_thread *t)
{
	struct lk_list *l = t->row->obj;
	CT_PUSH_POP(t, {
		struct lk_item *it = ct_pool_get(&t->ctx, LK_NEXT, sizeof *it, t->owner);
		pthread_mutex_lock(&l->lock);
		it->next = l->head;
		l->head = it;
		pthread_mutex_unlock(&l->lock);
	}, h_ = lk_hdr(lk_pop_head(l)), ct_pool_put(&t->ctx, (struct lk_item *)(void *)h_, LK_NEXT));
}

CT_ROW(ct_lock_stack, "mutex-stack", CT_STACK, lk_list_setup, lk_thread_init, lk_stack_run, lk_thread_fini,
       lk_list_teardown, "linked LIFO under one pthread mutex; popped nodes reused at once");

/* ---- map ---- */

struct lk_map {
	pthread_rwlock_t lock;
	struct lk_item *bucket[CT_MAP_BUCKETS];
};

static struct lk_item **lk_slot(struct lk_map *m, uint64_t key)
{
	struct lk_item **p = &m->bucket[ct_hash(key, CT_SEED) & (CT_MAP_BUCKETS - 1)];
	while (*p != NULL && (*p)->h.seq != key)
		p = &(*p)->next;
	return p;
}

static bool lk_map_insert(struct lk_map *m, struct lk_item *it)
{
	pthread_rwlock_wrlock(&m->lock);
	struct lk_item **p = lk_slot(m, it->h.seq);
	bool fresh = *p == NULL;
	if (fresh) {
		it->next = NULL;
		*p = it;
	}
	pthread_rwlock_unlock(&m->lock);
	return fresh;
}

static void *lk_map_setup(unsigned owner)
{
	struct lk_map *m = ct_xalloc(0, sizeof *m);
	if (pthread_rwlock_init(&m->lock, NULL) != 0)
		abort();
	CT_MAP_PRELOAD(owner, struct lk_item, lk_map_insert(m, n_));
	return m;
}

static void lk_map_run(struct ct_thread *t)
{
	struct lk_map *m = t->row->obj;
	CT_MAP_OPS(t, {
		pthread_rwlock_rdlock(&m->lock);
		struct lk_item *it = *lk_slot(m, key_);
		h_ = it ? &it->h : NULL;
		ct_map_found(h_, key_);
		pthread_rwlock_unlock(&m->lock);
	}, {
		struct lk_item *it = bench_obj_new(sizeof *it, t->owner, key_);
		if (!lk_map_insert(m, it))
			bench_obj_free(&it->h);
	}, {
		pthread_rwlock_wrlock(&m->lock);
		struct lk_item **p = lk_slot(m, key_);
		struct lk_item *it = *p;
		if (it != NULL)
			*p = it->next;
		pthread_rwlock_unlock(&m->lock);
		if (it != NULL)
			bench_obj_free(&it->h);
	});
}

static void lk_map_teardown(void *obj)
{
	struct lk_map *m = obj;
	for (size_t b = 0; b < CT_MAP_BUCKETS; b++)
		ct_pool_free(m->bucket[b], LK_NEXT);
	pthread_rwlock_destroy(&m->lock);
	free(m);
}

CT_ROW(ct_lock_map, "rwlock-map", CT_MAP, lk_map_setup, lk_thread_init, lk_map_run, lk_thread_fini, lk_map_teardown,
       "chained table, 64 Ki buckets, ct_hash (fmix64), one pthread_rwlock_t; removed nodes freed at once");
