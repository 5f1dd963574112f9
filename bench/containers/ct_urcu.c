/* SPDX-License-Identifier: MIT */
/*
 * bench/containers liburcu rows (Debian 12: liburcu 0.13), the membarrier
 * flavour (urcu-memb) with the read side and the containers' fast paths
 * inlined (_LGPL_SOURCE); every thread registered once:
 *
 *   urcu-lfq         cds_lfq (rculfqueue): enqueue and dequeue under
 *                    rcu_read_lock, as documented; dequeued items freed with
 *                    call_rcu (the queue frees its own dummies the same way).
 *   urcu-wfcq        cds_wfcq (wfcqueue): wait-free cds_wfcq_enqueue;
 *                    cds_wfcq_dequeue_blocking (the documented choice for
 *                    several dequeuers: it holds the queue's dequeue mutex).
 *                    A dequeued node is referenced by nobody (the dequeue
 *                    waits for the enqueuer's link store): freed at once.
 *   urcu-lfs         cds_lfs (lfstack): cds_lfs_push; __cds_lfs_pop under
 *                    rcu_read_lock (synchronisation 1 of lfstack.h), popped
 *                    nodes freed with call_rcu, pushes allocate (liburcu 0.13
 *                    has no polled grace period to recycle them with).
 *   urcu-lfs-mutex   cds_lfs_pop_blocking (synchronisation 2: the stack's
 *                    pop mutex); popped nodes reused at once from a
 *                    per-thread free list.
 *   urcu-lfht        cds_lfht (rculfhash) with CDS_LFHT_AUTO_RESIZE |
 *                    CDS_LFHT_ACCOUNTING, 64 Ki initial buckets, ct_hash;
 *                    lookup, add_unique and lookup+del under rcu_read_lock;
 *                    removed nodes freed with call_rcu.
 *
 * call_rcu runs the callbacks on liburcu's default worker thread, paused
 * between liburcu slices (bench/common/urcu_workers.h) and counted in the
 * all-thread CPU column.  cds_lfht's own resize worker is not counted (the
 * table is sized for its entries: it rarely resizes).
 */
#define _LGPL_SOURCE
#include <urcu/urcu-memb.h>
#include <urcu/rculfhash.h>
#include <urcu/rculfqueue.h>
#include <urcu/lfstack.h>
#include <urcu/wfcqueue.h>

#include "../common/urcu_workers.h"
#include "containers.h"

static bool urcu_driver_registered;

/* The driver thread (setup, teardown) is registered too. */
static void urcu_driver(void)
{
	if (!urcu_driver_registered) {
		urcu_memb_register_thread();
		urcu_driver_registered = true;
		(void)urcu_memb_get_default_call_rcu_data(); /* the worker exists before any pause */
	}
}

static void *urcu_thread_init(struct ct_thread *t)
{
	(void)t;
	urcu_memb_register_thread();
	return NULL;
}

static void urcu_thread_fini(struct ct_thread *t)
{
	(void)t;
	urcu_memb_unregister_thread();
}

static uint64_t urcu_helper_cpu(void)
{
	return bench_urcu_worker_cpu(urcu_memb_get_default_call_rcu_data());
}

/* Every call_rcu callback queued so far has run. */
static void urcu_drain(void)
{
	bench_urcu_resume();
	urcu_memb_barrier();
}

#define URCU_ROW .pause = bench_urcu_pause, .resume = bench_urcu_resume, .helper_cpu_ns = urcu_helper_cpu

struct urcu_item {
	struct bench_obj h;
	struct rcu_head rh;
	union {
		struct cds_lfq_node_rcu lfq;
		struct cds_wfcq_node wfcq;
		struct cds_lfs_node lfs;
		struct cds_lfht_node lfht;
	} u;
	struct urcu_item *pool_next;
};
#define URCU_OF(ptr, member) ((struct urcu_item *)(void *)((char *)(ptr) - offsetof(struct urcu_item, member)))
/* The header (first) of the item whose `member` node n is, or NULL. */
static inline struct bench_obj *urcu_hdr(void *n, size_t off)
{
	return n != NULL ? (struct bench_obj *)(void *)((char *)n - off) : NULL;
}
#define URCU_HDR(n, member) urcu_hdr((n), offsetof(struct urcu_item, member))
#define URCU_POOL_NEXT offsetof(struct urcu_item, pool_next)

static void urcu_free_cb(struct rcu_head *rh)
{
	bench_obj_free(&URCU_OF(rh, rh)->h);
}

static void urcu_retire(struct bench_obj *h)
{
	urcu_memb_call_rcu(&((struct urcu_item *)(void *)h)->rh, urcu_free_cb);
}

/* ---- cds_lfq ---- */

static void *lfq_setup(unsigned owner)
{
	(void)owner;
	urcu_driver();
	struct cds_lfq_queue_rcu *q = ct_xalloc(0, sizeof *q);
	cds_lfq_init_rcu(q, urcu_memb_call_rcu);
	return q;
}

/* Dequeues under rcu_read_lock, as documented; => the item's header or NULL. */
static struct bench_obj *lfq_take(struct cds_lfq_queue_rcu *q)
{
	urcu_memb_read_lock();
	struct cds_lfq_node_rcu *n = cds_lfq_dequeue_rcu(q);
	urcu_memb_read_unlock();
	return URCU_HDR(n, u.lfq);
}

static void lfq_run(struct ct_thread *t)
{
	struct cds_lfq_queue_rcu *q = t->row->obj;
	if (t->role == CT_PRODUCER) {
		CT_PRODUCE(t, {
			struct urcu_item *it = bench_obj_new(sizeof *it, t->owner, seq_);
			cds_lfq_node_init_rcu(&it->u.lfq);
			urcu_memb_read_lock();
			cds_lfq_enqueue_rcu(q, &it->u.lfq);
			urcu_memb_read_unlock();
		});
	} else {
		CT_CONSUME(t, h_ = lfq_take(q), urcu_retire(h_));
	}
}

static void lfq_teardown(void *obj)
{
	struct cds_lfq_queue_rcu *q = obj;
	for (struct bench_obj *h; (h = lfq_take(q)) != NULL;)
		urcu_retire(h);
	if (cds_lfq_destroy_rcu(q) != 0)
		abort();
	urcu_drain();
	free(q);
}

CT_ROW(ct_urcu_lfq, "urcu-lfq", CT_QUEUE, lfq_setup, urcu_thread_init, lfq_run, urcu_thread_fini, lfq_teardown,
       "cds_lfq (rculfqueue), urcu-memb, _LGPL_SOURCE; enqueue/dequeue under rcu_read_lock; dequeued items freed "
       "with call_rcu", URCU_ROW);

/* ---- cds_wfcq ---- */

struct wfcq {
	struct cds_wfcq_head head;
	char pad[64];
	struct cds_wfcq_tail tail;
};

static void *wfcq_setup(unsigned owner)
{
	(void)owner;
	urcu_driver();
	struct wfcq *q = ct_xalloc(64, sizeof *q);
	cds_wfcq_init(&q->head, &q->tail);
	return q;
}

static void wfcq_run(struct ct_thread *t)
{
	struct wfcq *q = t->row->obj;
	if (t->role == CT_PRODUCER) {
		CT_PRODUCE(t, {
			struct urcu_item *it = bench_obj_new(sizeof *it, t->owner, seq_);
			cds_wfcq_node_init(&it->u.wfcq);
			cds_wfcq_enqueue(&q->head, &q->tail, &it->u.wfcq);
		});
	} else {
		CT_CONSUME(t, h_ = URCU_HDR(cds_wfcq_dequeue_blocking(&q->head, &q->tail), u.wfcq), bench_obj_free(h_));
	}
}

static void wfcq_teardown(void *obj)
{
	struct wfcq *q = obj;
	for (struct cds_wfcq_node *n; (n = cds_wfcq_dequeue_blocking(&q->head, &q->tail)) != NULL;)
		bench_obj_free(&URCU_OF(n, u.wfcq)->h);
	cds_wfcq_destroy(&q->head, &q->tail);
	free(q);
}

CT_ROW(ct_urcu_wfcq, "urcu-wfcq", CT_QUEUE, wfcq_setup, urcu_thread_init, wfcq_run, urcu_thread_fini, wfcq_teardown,
       "cds_wfcq (wfcqueue), _LGPL_SOURCE; wait-free enqueue, cds_wfcq_dequeue_blocking (dequeue mutex); dequeued "
       "items freed at once (no reader left)", URCU_ROW);

/* ---- cds_lfs ---- */

static void *lfs_setup(unsigned owner)
{
	(void)owner;
	urcu_driver();
	struct cds_lfs_stack *s = ct_xalloc(0, sizeof *s);
	cds_lfs_init(s);
	return s;
}

static void lfs_run(struct ct_thread *t)
{
	struct cds_lfs_stack *s = t->row->obj;
	CT_PUSH_POP(t, {
		struct urcu_item *it = bench_obj_new(sizeof *it, t->owner, 0);
		cds_lfs_node_init(&it->u.lfs);
		cds_lfs_push(s, &it->u.lfs);
	}, {
		urcu_memb_read_lock();
		struct cds_lfs_node *n = __cds_lfs_pop(s);
		urcu_memb_read_unlock();
		h_ = URCU_HDR(n, u.lfs);
	}, urcu_retire(h_));
}

static void lfs_teardown(void *obj)
{
	struct cds_lfs_stack *s = obj;
	for (struct cds_lfs_node *n; (n = cds_lfs_pop_blocking(s)) != NULL;)
		urcu_retire(&URCU_OF(n, u.lfs)->h);
	urcu_drain();
	cds_lfs_destroy(s);
	free(s);
}

CT_ROW(ct_urcu_lfs, "urcu-lfs", CT_STACK, lfs_setup, urcu_thread_init, lfs_run, urcu_thread_fini, lfs_teardown,
       "cds_lfs (lfstack), urcu-memb, _LGPL_SOURCE; __cds_lfs_pop under rcu_read_lock; popped nodes freed with "
       "call_rcu, each push allocates", URCU_ROW);

/* The mutex variant: popped nodes are reused at once (a per-thread list). */
static void lfsm_run(struct ct_thread *t)
{
	struct cds_lfs_stack *s = t->row->obj;
	CT_PUSH_POP(t, {
		struct urcu_item *it = ct_pool_get(&t->ctx, URCU_POOL_NEXT, sizeof *it, t->owner);
		cds_lfs_node_init(&it->u.lfs);
		cds_lfs_push(s, &it->u.lfs);
	}, h_ = URCU_HDR(cds_lfs_pop_blocking(s), u.lfs), ct_pool_put(&t->ctx, URCU_OF(h_, h), URCU_POOL_NEXT));
}

static void lfsm_thread_fini(struct ct_thread *t)
{
	ct_pool_free(t->ctx, URCU_POOL_NEXT);
	urcu_thread_fini(t);
}

CT_ROW(ct_urcu_lfs_mutex, "urcu-lfs-mutex", CT_STACK, lfs_setup, urcu_thread_init, lfsm_run, lfsm_thread_fini,
       lfs_teardown, "cds_lfs (lfstack), _LGPL_SOURCE; cds_lfs_pop_blocking (pop mutex); popped nodes reused at "
       "once (per-thread free list)", URCU_ROW);

/* ---- cds_lfht ---- */

static int lfht_match(struct cds_lfht_node *n, const void *key)
{
	return URCU_OF(n, u.lfht)->h.seq == *(const uint64_t *)key;
}

static bool lfht_add(struct cds_lfht *ht, struct urcu_item *it)
{
	cds_lfht_node_init(&it->u.lfht);
	urcu_memb_read_lock();
	struct cds_lfht_node *got = cds_lfht_add_unique(ht, ct_hash(it->h.seq, CT_SEED), lfht_match, &it->h.seq,
							&it->u.lfht);
	urcu_memb_read_unlock();
	return got == &it->u.lfht;
}

static void *lfht_setup(unsigned owner)
{
	urcu_driver();
	struct cds_lfht *ht = cds_lfht_new_flavor(CT_MAP_BUCKETS, 1, 0, CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING,
						  &urcu_memb_flavor, NULL);
	if (ht == NULL)
		abort();
	CT_MAP_PRELOAD(owner, struct urcu_item, lfht_add(ht, n_));
	return ht;
}

static void lfht_run(struct ct_thread *t)
{
	struct cds_lfht *ht = t->row->obj;
	CT_MAP_OPS(t, {
		struct cds_lfht_iter iter;
		urcu_memb_read_lock();
		cds_lfht_lookup(ht, ct_hash(key_, CT_SEED), lfht_match, &key_, &iter);
		struct cds_lfht_node *n = cds_lfht_iter_get_node(&iter);
		h_ = n ? &URCU_OF(n, u.lfht)->h : NULL;
		ct_map_found(h_, key_);
		urcu_memb_read_unlock();
	}, {
		struct urcu_item *it = bench_obj_new(sizeof *it, t->owner, key_);
		if (!lfht_add(ht, it))
			bench_obj_free(&it->h); /* present: never published */
	}, {
		struct cds_lfht_iter iter;
		urcu_memb_read_lock();
		cds_lfht_lookup(ht, ct_hash(key_, CT_SEED), lfht_match, &key_, &iter);
		struct cds_lfht_node *n = cds_lfht_iter_get_node(&iter);
		if (n != NULL && cds_lfht_del(ht, n) == 0)
			urcu_retire(&URCU_OF(n, u.lfht)->h);
		urcu_memb_read_unlock();
	});
}

static void lfht_teardown(void *obj)
{
	struct cds_lfht *ht = obj;
	struct cds_lfht_iter iter;
	struct cds_lfht_node *n;
	urcu_memb_read_lock();
	cds_lfht_for_each(ht, &iter, n)
		if (cds_lfht_del(ht, n) == 0)
			urcu_retire(&URCU_OF(n, u.lfht)->h);
	urcu_memb_read_unlock();
	urcu_drain();
	if (cds_lfht_destroy(ht, NULL) != 0)
		abort();
}

CT_ROW(ct_urcu_lfht, "urcu-lfht", CT_MAP, lfht_setup, urcu_thread_init, lfht_run, urcu_thread_fini, lfht_teardown,
       "cds_lfht (rculfhash), urcu-memb, _LGPL_SOURCE, AUTO_RESIZE|ACCOUNTING, 64 Ki buckets, ct_hash (fmix64); "
       "ops under rcu_read_lock; removed nodes freed with call_rcu", URCU_ROW);
