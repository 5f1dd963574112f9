/* SPDX-License-Identifier: MIT */
/*
 * bench/containers tern rows, all in the default epoch domain (tern
 * compiled -O2 -DNDEBUG, as in the other scenarios):
 *
 *   tern_queue      tern_queue_enqueue / tern_queue_dequeue (each pins
 *                   itself), every dequeued item handed back with
 *                   tern_queue_retire(n, free) — freed once the queue is
 *                   done with it and a grace period has elapsed.
 *   tern_stack      tern_stack_push / tern_stack_pop (pop pins itself);
 *                   popped nodes are reused after a grace period: every 64
 *                   pops the batch gets a tern_stack_get_state() cookie and
 *                   goes back to the thread's pool once
 *                   tern_stack_poll_state() says so (a new node is
 *                   allocated while none is ready).
 *   tern_map        run-time form (struct tern_map_ops) with ct_hash (the
 *                   integer mix every row uses); lookups under
 *                   tern_epoch_pin, removed nodes retired by the map
 *                   (tern_epoch_call) and freed after a grace period.
 *   tern_map-typed  TERN_MAP_DEFINE over a uint64_t key: lookup inlined,
 *                   with the typed form's own hash (SipHash-1-3).
 *   tern_map-typed-ct  TERN_MAP_DEFINE_HASH with ct_hash: the typed form
 *                   with the hash every other row uses.
 */
#include <errno.h>
#include <tern.h>

#include "containers.h"

/* ---- queue ---- */

struct tq_item {
	struct bench_obj h;
	struct tern_queue_node node;
};

static void tq_free(struct tern_queue_node *n)
{
	bench_obj_free(&tern_queue_entry(n, struct tq_item, node)->h);
}

static void *tq_setup(unsigned owner)
{
	(void)owner;
	tern_queue_t *q = ct_xalloc(TERN_CACHELINE, sizeof *q);
	if (tern_queue_init(q, NULL) != 0)
		abort();
	return q;
}

static void *tern_thread_init(struct ct_thread *t)
{
	(void)t;
	tern_epoch_pin(); /* registers the thread */
	tern_epoch_unpin();
	return NULL;
}

static void tq_run(struct ct_thread *t)
{
	tern_queue_t *q = t->row->obj;
	if (t->role == CT_PRODUCER) {
		CT_PRODUCE(t, {
			struct tq_item *it = bench_obj_new(sizeof *it, t->owner, seq_);
			tern_queue_enqueue(q, &it->node);
		});
	} else {
		CT_CONSUME(t, {
			struct tern_queue_node *n = tern_queue_dequeue(q);
			h_ = n ? &tern_queue_entry(n, struct tq_item, node)->h : NULL;
		}, tern_queue_retire(&((struct tq_item *)(void *)h_)->node, tq_free));
	}
}

static void tern_thread_fini(struct ct_thread *t)
{
	(void)t;
}

static void tq_teardown(void *obj)
{
	if (tern_queue_destroy(obj, tq_free) != 0)
		abort();
	tern_epoch_barrier(); /* the pending retire functions */
	free(obj);
}

CT_ROW(ct_tern_queue, "tern_queue", CT_QUEUE, tq_setup, tern_thread_init, tq_run, tern_thread_fini, tq_teardown,
       "tern_queue_enqueue/dequeue (self-pinning); tern_queue_retire(n, free): freed after the queue lets go and a "
       "grace period");

/* ---- stack ---- */

struct ts_node {
	struct bench_obj h;
	struct tern_stack_node link;
	struct ts_node *pool_next;
};

#define TS_BATCHES 64

/* A thread's pool: ready nodes, the popped ones of the current batch, and
 * the batches waiting for their grace period (a ring, oldest first). */
struct ts_pool {
	tern_stack_t *s;
	struct ts_node *ready, *limbo;
	unsigned nlimbo, head, count;
	struct {
		struct ts_node *list;
		uint64_t cookie;
	} wait[TS_BATCHES];
};

static void *ts_setup(unsigned owner)
{
	(void)owner;
	tern_stack_t *s = ct_xalloc(0, sizeof *s);
	if (tern_stack_init(s, NULL) != 0)
		abort();
	return s;
}

static void *ts_thread_init(struct ct_thread *t)
{
	tern_thread_init(t);
	struct ts_pool *p = calloc(1, sizeof *p);
	if (p == NULL)
		abort();
	p->s = t->row->obj;
	return p;
}

static struct ts_node *ts_get(struct ts_pool *p, unsigned owner)
{
	if (p->ready == NULL && p->count > 0 && tern_stack_poll_state(p->s, p->wait[p->head].cookie)) {
		p->ready = p->wait[p->head].list;
		p->head = (p->head + 1) % TS_BATCHES;
		p->count--;
	}
	struct ts_node *n = p->ready;
	if (n == NULL)
		return bench_obj_new(sizeof *n, owner, 0);
	p->ready = n->pool_next;
	return n;
}

static void ts_put(struct ts_pool *p, struct ts_node *n)
{
	n->pool_next = p->limbo;
	p->limbo = n;
	if (++p->nlimbo < CT_BATCH)
		return;
	uint64_t cookie = tern_stack_get_state(p->s);
	if (p->count == TS_BATCHES) {
		/* Full: join the newest batch, under the newer cookie. */
		unsigned last = (p->head + p->count - 1) % TS_BATCHES;
		struct ts_node *tail = p->limbo;
		while (tail->pool_next != NULL)
			tail = tail->pool_next;
		tail->pool_next = p->wait[last].list;
		p->wait[last].list = p->limbo;
		p->wait[last].cookie = cookie;
	} else {
		unsigned slot = (p->head + p->count++) % TS_BATCHES;
		p->wait[slot].list = p->limbo;
		p->wait[slot].cookie = cookie;
	}
	p->limbo = NULL;
	p->nlimbo = 0;
}

static void ts_run(struct ct_thread *t)
{
	struct ts_pool *p = t->ctx;
	CT_PUSH_POP(t, tern_stack_push(p->s, &ts_get(p, t->owner)->link), {
		struct tern_stack_node *n = tern_stack_pop(p->s);
		h_ = n ? &tern_stack_entry(n, struct ts_node, link)->h : NULL;
	}, ts_put(p, (struct ts_node *)(void *)h_));
}

static void ts_thread_fini(struct ct_thread *t)
{
	struct ts_pool *p = t->ctx;
	tern_epoch_synchronize(); /* every node of the pool is past its grace period */
	ct_pool_free(p->ready, offsetof(struct ts_node, pool_next));
	ct_pool_free(p->limbo, offsetof(struct ts_node, pool_next));
	for (unsigned i = 0; i < p->count; i++)
		ct_pool_free(p->wait[(p->head + i) % TS_BATCHES].list, offsetof(struct ts_node, pool_next));
	free(p);
}

static void ts_destroy_node(struct tern_stack_node *n)
{
	bench_obj_free(&tern_stack_entry(n, struct ts_node, link)->h);
}

static void ts_teardown(void *obj)
{
	if (tern_stack_destroy(obj, ts_destroy_node) != 0)
		abort();
	free(obj);
}

CT_ROW(ct_tern_stack, "tern_stack", CT_STACK, ts_setup, ts_thread_init, ts_run, ts_thread_fini, ts_teardown,
       "tern_stack_push/pop (pop self-pinning); popped nodes reused after a grace period (tern_stack_get_state per "
       "64 pops, tern_stack_poll_state)");

/* ---- maps ---- */

struct tm_node {
	struct bench_obj h; /* h.seq is the key */
	tern_map_node_t node;
};

static struct tm_node *tm_of(const struct tern_map_node *n)
{
	return (struct tm_node *)(void *)((char *)(uintptr_t)n - offsetof(struct tm_node, node));
}

static uint64_t tm_hash(const void *key, uint64_t seed, void *ctx)
{
	(void)ctx;
	return ct_hash(*(const uint64_t *)key, seed);
}

static bool tm_equal(const struct tern_map_node *n, const void *key, void *ctx)
{
	(void)ctx;
	return tm_of(n)->h.seq == *(const uint64_t *)key;
}

static const void *tm_key(const struct tern_map_node *n, void *ctx)
{
	(void)ctx;
	return &tm_of(n)->h.seq;
}

static void tm_destroy(struct tern_map_node *n)
{
	bench_obj_free(&tm_of(n)->h);
}

static const struct tern_map_ops tm_ops = {tm_hash, tm_equal, tm_key, tm_destroy, NULL};

/* The run-time form under the typed form's names (inline: the same calls). */
typedef tern_map_t ct_rmap_t;
static inline int ct_rmap_init(ct_rmap_t *m, void *alloc, uint64_t seed)
{
	return tern_map_init(m, &tm_ops, alloc, seed);
}
static inline int ct_rmap_insert(ct_rmap_t *m, struct tm_node *n)
{
	return tern_map_insert(m, &n->node);
}
static inline struct tm_node *ct_rmap_lookup(ct_rmap_t *m, uint64_t key)
{
	struct tern_map_node *n = tern_map_lookup(m, &key);
	return n ? tm_of(n) : NULL;
}
static inline void ct_rmap_remove(ct_rmap_t *m, uint64_t key)
{
	tern_map_remove(m, &key);
}
#define ct_rmap_resize tern_map_resize
#define ct_rmap_destroy tern_map_destroy

static void tt_destroy(struct tm_node *n)
{
	bench_obj_free(&n->h);
}

/* The typed forms: its own hash (SipHash-1-3), or ct_hash. */
TERN_MAP_DEFINE(ct_tmap, struct tm_node, node, uint64_t, h.seq, tt_destroy);

static uint64_t tc_hash(const uint64_t *key, uint64_t seed)
{
	return ct_hash(*key, seed);
}

TERN_MAP_DEFINE_HASH(ct_tcmap, struct tm_node, node, uint64_t, h.seq, tt_destroy, tc_hash);

/* A map row over map type M (ct_rmap, ct_tmap, ct_tcmap): preloaded setup,
 * the 90/5/5 loop (lookups under tern_epoch_pin, removed nodes retired by
 * the map, tern_epoch_call, freed after a grace period), teardown. */
#define TM_ROW(var, M, nm, cfg)                                                                          \
	static void *M##_setup(unsigned owner)                                                           \
	{                                                                                                \
		M##_t *m = ct_xalloc(0, sizeof *m);                                                      \
		if (M##_init(m, NULL, CT_SEED) != 0)                                                     \
			abort();                                                                         \
		CT_MAP_PRELOAD(owner, struct tm_node, M##_insert(m, n_) == 0);                           \
		if (M##_resize(m, CT_MAP_BUCKETS) != 0)                                                  \
			abort();                                                                         \
		return m;                                                                                \
	}                                                                                                \
	static void M##_run(struct ct_thread *t)                                                         \
	{                                                                                                \
		M##_t *m = t->row->obj;                                                                  \
		CT_MAP_OPS(                                                                              \
		    t,                                                                                   \
		    {                                                                                    \
			    tern_epoch_pin();                                                            \
			    struct tm_node *n = M##_lookup(m, key_);                                     \
			    h_ = n ? &n->h : NULL;                                                       \
			    ct_map_found(h_, key_);                                                      \
			    tern_epoch_unpin();                                                          \
		    },                                                                                   \
		    {                                                                                    \
			    struct tm_node *n = bench_obj_new(sizeof *n, t->owner, key_);                \
			    if (M##_insert(m, n) != 0)                                                   \
				    bench_obj_free(&n->h); /* EEXIST: never published */                 \
		    },                                                                                   \
		    M##_remove(m, key_));                                                                \
	}                                                                                                \
	static void M##_teardown(void *obj)                                                              \
	{                                                                                                \
		M##_destroy(obj);                                                                        \
		tern_epoch_barrier();                                                                    \
		free(obj);                                                                               \
	}                                                                                                \
	CT_ROW(var, nm, CT_MAP, M##_setup, tern_thread_init, M##_run, tern_thread_fini, M##_teardown, cfg);

TM_ROW(ct_tern_map, ct_rmap, "tern_map",
       "run-time form, ct_hash (fmix64); lookup under tern_epoch_pin; removed nodes retired by the map "
       "(tern_epoch_call), freed after a grace period")
TM_ROW(ct_tern_map_typed, ct_tmap, "tern_map-typed",
       "TERN_MAP_DEFINE typed form (uint64_t key, its own SipHash-1-3, lookup inlined); otherwise as tern_map")
TM_ROW(ct_tern_map_typed_ct, ct_tcmap, "tern_map-typed-ct",
       "TERN_MAP_DEFINE_HASH typed form (uint64_t key, ct_hash (fmix64), lookup inlined); otherwise as tern_map")
