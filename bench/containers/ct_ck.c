/* SPDX-License-Identifier: MIT */
/*
 * bench/containers ConcurrencyKit rows (Debian 12: ck 0.7.1).  Each row has
 * its own ck_epoch_t; every thread registers one record; deferred frees go
 * through ck_epoch_call with ck_epoch_poll every 64 calls (bench/reclaim's
 * faster ck_epoch configuration), and ck_epoch_barrier at the thread's end.
 *
 *   ck_fifo_mpmc  ck_fifo_mpmc_enqueue / ck_fifo_mpmc_dequeue, each inside
 *                 ck_epoch_begin/end; the value is the item itself, whose
 *                 entry becomes the new stub; the "garbage" entry a dequeue
 *                 returns (the previous stub) is freed with ck_epoch_call
 *                 (reclaimed for real, not recycled).
 *   ck_stack      ck_stack_push_mpmc / ck_stack_pop_mpmc (CK_F_STACK_POP_MPMC:
 *                 a double-width CAS with a generation counter, so a node may
 *                 be pushed again at once without ABA); popped nodes recycled
 *                 at once through a per-thread free list and freed only when
 *                 the thread ends (type-stable memory, as pop_mpmc needs: it
 *                 may read the link of a node already popped).  No epoch.
 *   ck_hs         ck_hs in CK_HS_MODE_OBJECT | CK_HS_MODE_SPMC |
 *                 CK_HS_MODE_DELETE, 128 Ki initial slots (open addressing,
 *                 load 1/2), ct_hash; writers (put, remove) serialised by a
 *                 pthread mutex, ck_hs_get lock-free inside
 *                 ck_epoch_begin/end; removed entries and retired tables
 *                 (the ck_malloc free callback's defer flag) freed with
 *                 ck_epoch_call.
 */
#include <ck_epoch.h>
#include <ck_fifo.h>
#include <ck_hs.h>
#include <ck_stack.h>
#include <pthread.h>

#include "containers.h"

#define CK_POLL_EVERY 64

struct ck_ctx {
	ck_epoch_record_t *rec;
	unsigned deferred;
	void *pool; /* ck_stack: the thread's free list */
};

static ck_epoch_t ck_epochs[3]; /* fifo, hs (the stack needs none) */
static ck_epoch_record_t ck_driver_rec[3];
static _Thread_local ck_epoch_record_t *ck_cur; /* for the ck_malloc free callback */

static ck_epoch_t *ck_epoch_of(struct ct_thread *t);

static void ck_defer(struct ck_ctx *c, ck_epoch_entry_t *e, ck_epoch_cb_t *cb)
{
	ck_epoch_call(c->rec, e, cb);
	if (++c->deferred % CK_POLL_EVERY == 0)
		ck_epoch_poll(c->rec);
}

static void *ck_thread_init(struct ct_thread *t)
{
	struct ck_ctx *c = calloc(1, sizeof *c);
	ck_epoch_record_t *r = malloc(sizeof *r);
	if (c == NULL || r == NULL)
		abort();
	ck_epoch_register(ck_epoch_of(t), r, NULL);
	c->rec = ck_cur = r;
	return c;
}

static void ck_thread_fini(struct ct_thread *t)
{
	struct ck_ctx *c = t->ctx;
	ck_epoch_barrier(c->rec); /* a grace period, then every callback of the record */
	ck_epoch_unregister(c->rec);
	free(c);
}

static void ck_driver_init(unsigned i)
{
	static bool done[3];
	if (!done[i]) {
		ck_epoch_init(&ck_epochs[i]);
		ck_epoch_register(&ck_epochs[i], &ck_driver_rec[i], NULL);
		done[i] = true;
	}
	ck_cur = &ck_driver_rec[i];
}

/* ---- ck_fifo_mpmc ---- */

struct ck_item {
	struct bench_obj h; /* first: ck_hs compares items and lookup keys as headers (h.seq) */
	union {
		ck_fifo_mpmc_entry_t fe;
		ck_stack_entry_t se;
	} u;
	ck_epoch_entry_t ee;
	struct ck_item *pool_next;
};
#define CK_OF(ptr, member) ((struct ck_item *)(void *)((char *)(ptr) - offsetof(struct ck_item, member)))
#define CK_POOL_NEXT offsetof(struct ck_item, pool_next)

static void ck_free_cb(ck_epoch_entry_t *e)
{
	bench_obj_free(&CK_OF(e, ee)->h);
}

static void *fifo_setup(unsigned owner)
{
	ck_driver_init(0);
	ck_fifo_mpmc_t *q = ct_xalloc(64, sizeof *q);
	struct ck_item *stub = bench_obj_new(sizeof *stub, owner, 0); /* malloc: 16-byte aligned */
	ck_fifo_mpmc_init(q, &stub->u.fe);
	return q;
}

static void fifo_run(struct ct_thread *t)
{
	ck_fifo_mpmc_t *q = t->row->obj;
	struct ck_ctx *c = t->ctx;
	if (t->role == CT_PRODUCER) {
		CT_PRODUCE(t, {
			struct ck_item *it = bench_obj_new(sizeof *it, t->owner, seq_);
			ck_epoch_begin(c->rec, NULL);
			ck_fifo_mpmc_enqueue(q, &it->u.fe, it);
			ck_epoch_end(c->rec, NULL);
		});
	} else {
		ck_fifo_mpmc_entry_t *garbage = NULL;
		/* The dequeued item stays in the queue as the stub: it is
		 * checked inside the section, which RELEASE ends. */
		CT_CONSUME(t, {
			struct ck_item *it = NULL;
			ck_epoch_begin(c->rec, NULL);
			if (ck_fifo_mpmc_dequeue(q, &it, &garbage)) {
				h_ = &it->h;
			} else {
				ck_epoch_end(c->rec, NULL);
				h_ = NULL;
			}
		}, {
			ck_defer(c, &CK_OF(garbage, u.fe)->ee, ck_free_cb);
			ck_epoch_end(c->rec, NULL);
		});
	}
}

static void fifo_teardown(void *obj)
{
	ck_fifo_mpmc_t *q = obj;
	struct ck_item *it;
	ck_fifo_mpmc_entry_t *garbage;
	while (ck_fifo_mpmc_dequeue(q, &it, &garbage)) /* no thread left: free at once */
		bench_obj_free(&CK_OF(garbage, u.fe)->h);
	ck_fifo_mpmc_deinit(q, &garbage);
	bench_obj_free(&CK_OF(garbage, u.fe)->h);
	ck_epoch_barrier(&ck_driver_rec[0]);
	free(q);
}

CT_ROW(ct_ck_fifo, "ck_fifo_mpmc", CT_QUEUE, fifo_setup, ck_thread_init, fifo_run, ck_thread_fini, fifo_teardown,
       "ck_fifo_mpmc enqueue/dequeue inside ck_epoch_begin/end; garbage stubs freed with ck_epoch_call (poll every "
       "64)");

/* ---- ck_stack (mpmc) ---- */

static void *stack_setup(unsigned owner)
{
	(void)owner;
	ck_driver_init(1); /* the stack needs no epoch: its threads' records go unused */
	ck_stack_t *s = ct_xalloc(16, 64);
	ck_stack_init(s);
	return s;
}

static void stack_run(struct ct_thread *t)
{
	ck_stack_t *s = t->row->obj;
	struct ck_ctx *c = t->ctx;
	CT_PUSH_POP(t, {
		struct ck_item *it = ct_pool_get(&c->pool, CK_POOL_NEXT, sizeof *it, t->owner);
		ck_stack_push_mpmc(s, &it->u.se);
	}, {
		ck_stack_entry_t *e = ck_stack_pop_mpmc(s);
		h_ = e ? &CK_OF(e, u.se)->h : NULL;
	}, ct_pool_put(&c->pool, CK_OF(h_, h), CK_POOL_NEXT));
}

static void stack_thread_fini(struct ct_thread *t)
{
	ct_pool_free(((struct ck_ctx *)t->ctx)->pool, CK_POOL_NEXT);
	ck_thread_fini(t);
}

static void stack_teardown(void *obj)
{
	for (ck_stack_entry_t *e; (e = ck_stack_pop_upmc(obj)) != NULL;)
		bench_obj_free(&CK_OF(e, u.se)->h);
	free(obj);
}

CT_ROW(ct_ck_stack, "ck_stack", CT_STACK, stack_setup, ck_thread_init, stack_run, stack_thread_fini, stack_teardown,
       "ck_stack_push_mpmc/pop_mpmc (generation counter, CAS2); popped nodes recycled at once (per-thread free "
       "list, type-stable memory)");

/* ---- ck_hs ---- */

struct ck_hs_box {
	ck_hs_t hs;
	pthread_mutex_t lock; /* the single writer */
};

/* Tables: a header carrying the epoch entry for deferred frees. */
struct ck_block {
	ck_epoch_entry_t ee;
	_Alignas(16) unsigned char data[];
};

static void *hs_malloc(size_t n)
{
	struct ck_block *b = malloc(sizeof *b + n);
	return b ? b->data : NULL;
}

static void hs_block_free(ck_epoch_entry_t *e)
{
	free((char *)e - offsetof(struct ck_block, ee));
}

static void hs_free(void *p, size_t n, bool defer)
{
	(void)n;
	if (p == NULL)
		return;
	struct ck_block *b = (struct ck_block *)(void *)((char *)p - offsetof(struct ck_block, data));
	if (defer)
		ck_epoch_call(ck_cur, &b->ee, hs_block_free);
	else
		free(b);
}

static struct ck_malloc hs_allocator = {.malloc = hs_malloc, .free = hs_free};

/* Stored objects are items, lookup keys bare headers: both start with one. */
static unsigned long hs_hash(const void *obj, unsigned long seed)
{
	return (unsigned long)ct_hash(((const struct bench_obj *)obj)->seq, seed);
}

static bool hs_compare(const void *a, const void *b)
{
	return ((const struct bench_obj *)a)->seq == ((const struct bench_obj *)b)->seq;
}

static bool hs_put(struct ck_hs_box *m, struct ck_item *it)
{
	pthread_mutex_lock(&m->lock);
	bool ok = ck_hs_put(&m->hs, ct_hash(it->h.seq, CT_SEED), it);
	pthread_mutex_unlock(&m->lock);
	return ok;
}

static void *hs_setup(unsigned owner)
{
	ck_driver_init(2);
	struct ck_hs_box *m = ct_xalloc(0, sizeof *m);
	if (pthread_mutex_init(&m->lock, NULL) != 0 ||
	    !ck_hs_init(&m->hs, CK_HS_MODE_OBJECT | CK_HS_MODE_SPMC | CK_HS_MODE_DELETE, hs_hash, hs_compare,
			&hs_allocator, CT_MAP_RANGE, CT_SEED))
		abort();
	CT_MAP_PRELOAD(owner, struct ck_item, hs_put(m, n_));
	return m;
}

static void hs_run(struct ct_thread *t)
{
	struct ck_hs_box *m = t->row->obj;
	struct ck_ctx *c = t->ctx;
	CT_MAP_OPS(t, {
		ck_epoch_begin(c->rec, NULL);
		struct bench_obj probe = {.seq = key_};
		struct ck_item *it = ck_hs_get(&m->hs, ct_hash(key_, CT_SEED), &probe);
		h_ = it ? &it->h : NULL;
		ct_map_found(h_, key_);
		ck_epoch_end(c->rec, NULL);
	}, {
		struct ck_item *it = bench_obj_new(sizeof *it, t->owner, key_);
		if (!hs_put(m, it))
			bench_obj_free(&it->h); /* present: never published */
	}, {
		struct bench_obj probe = {.seq = key_};
		pthread_mutex_lock(&m->lock);
		struct ck_item *it = ck_hs_remove(&m->hs, ct_hash(key_, CT_SEED), &probe);
		pthread_mutex_unlock(&m->lock);
		if (it != NULL)
			ck_defer(c, &it->ee, ck_free_cb);
	});
}

static void hs_teardown(void *obj)
{
	struct ck_hs_box *m = obj;
	ck_cur = &ck_driver_rec[2];
	ck_hs_iterator_t iter = CK_HS_ITERATOR_INITIALIZER;
	void *p;
	while (ck_hs_next(&m->hs, &iter, &p))
		bench_obj_free(&((struct ck_item *)p)->h);
	ck_epoch_barrier(&ck_driver_rec[2]);
	ck_hs_destroy(&m->hs);
	ck_epoch_barrier(&ck_driver_rec[2]);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

CT_ROW(ct_ck_hs, "ck_hs", CT_MAP, hs_setup, ck_thread_init, hs_run, ck_thread_fini, hs_teardown,
       "ck_hs OBJECT|SPMC|DELETE, 128 Ki slots, ct_hash (fmix64); writers under a pthread mutex, ck_hs_get inside "
       "ck_epoch_begin/end; removed entries and old tables freed with ck_epoch_call");

static ck_epoch_t *ck_epoch_of(struct ct_thread *t)
{
	/* One epoch per ck row. */
	const struct ct_impl *im = t->row->impl;
	return im == &ct_ck_fifo ? &ck_epochs[0] : im == &ct_ck_stack ? &ck_epochs[1] : &ck_epochs[2];
}
