/* SPDX-License-Identifier: MIT */
/*
 * tern/map.h — a concurrent hash map of intrusive nodes, on the epoch GC.
 *
 * The map is a split-ordered list (Shalev and Shavit): every node of every
 * bucket sits in ONE singly linked list sorted by the bit-reversed hash,
 * with a sentinel node per bucket; the bucket table only points into that
 * list.  Growing inserts the sentinels of the new buckets into the list and
 * shrinking unlinks them: a node never moves, which is what makes resizing
 * invisible to readers.  The argument is in src/map/map.c ("Concurrency").
 *
 * Guarantees
 *
 *   - Linearizable: insert, replace, remove, remove_node and lookup each
 *     take effect atomically at one instant between their call and return.
 *   - Lookups are lock-free and write nothing shared: they never wait,
 *     never retry and never store (no lock, no counter, no RMW); each step
 *     follows one pointer.  A lookup never misses a key that is present for
 *     the whole lookup, whatever resizes run meanwhile.
 *   - Writers (insert, replace, remove) lock one bucket at a time (a one-byte
 *     tern_lightlock_t in the bucket's sentinel); they block only writers of
 *     the same bucket and the resizer, never readers.  No operation locks
 *     the whole table.
 *   - Resizing grows and shrinks online: the writer whose insert or remove
 *     crosses a load-factor threshold (more than 2 nodes per bucket on
 *     average: grow; fewer than 1/2: shrink, not below the initial 16
 *     buckets, nor below the size of the last tern_map_resize()) resizes,
 *     if no other resize runs (try-lock; others go on).  tern_map_resize()
 *     forces a size (and so presizes a map).  A resize locks the buckets it
 *     splits or merges one pair at a time.  If memory runs out, the table
 *     keeps its size: a resize never loses or moves a node.  The writer that
 *     crosses the threshold pays for every step until the load factor is
 *     back in bounds, inside its call (O(buckets) each: one sentinel linked
 *     or unlinked per new or removed bucket); the resizer never waits for a
 *     grace period, so resizing works pinned too.
 *   - Iteration (tern_map_first / tern_map_next) is safe against concurrent
 *     writers and resizes: it never returns a freed node, visits every node
 *     present for the whole iteration exactly once (a key replaced meanwhile
 *     counts as present: one of its nodes is visited), visits every other
 *     node at most once, and never visits a node removed before the
 *     iteration began.  Resizes do not weaken this (nodes never move).  A
 *     key removed and inserted again during the iteration may be visited
 *     twice (two nodes).  The order is the split order (bit-reversed hash),
 *     not insertion order.
 *
 * What a reader may hold.  Lookup and iteration must run pinned in the
 * map's epoch domain (tern_epoch_pin / tern_epoch_domain_pin, or an online
 * QSBR thread); the nodes they return stay valid (not destroyed) until the
 * caller unpins (or, online, passes a quiescent state), even if they are
 * removed or replaced meanwhile.  Do not stay pinned across blocking calls:
 * a pinned thread holds back every destroy callback of its domain.  A
 * node's key must not change while the node is in the map; its other
 * fields are the user's business (use atomics if they change).
 *
 * Memory.  Nodes are intrusive (embed a struct tern_map_node); the map never
 * allocates or copies them.  A removed or replaced node is retired with
 * tern_epoch_call() (the node's own struct tern_epoch_entry: no allocation)
 * and the destroy callback runs once, after a grace period, from the epoch
 * collector — never under a map lock.  The map allocates only its bucket
 * sentinels and tables (setup and resizes); a table or sentinel block
 * retired by a resize is freed after a grace period.
 *
 * Callbacks.  hash runs before any lock is taken.  equal runs under a
 * bucket lock in writers (and unlocked in lookups): it must not call a
 * writer (insert, replace, remove, resize, destroy) of the same map, which
 * could wait for the lock it runs under, nor anything that may run epoch
 * destructors (tern_epoch_collect, flush, defer or call, an outermost unpin,
 * quiescent or offline), which could run a destroy callback under that
 * lock.  destroy runs from the epoch collector, with no tern lock held, and
 * may re-enter tern and this map while the map is alive: once
 * tern_map_destroy(m) has begun, no destroy callback may use m (those of
 * the nodes destroy retires run after it, and pending ones may run during
 * it); a callback that re-enters the map must be told to stop first.  Every
 * map operation runs the destructors it may trigger last, touching nothing
 * of the map after them, so a callback may even destroy and free the map
 * it was called from.
 *
 * Lifecycle.  The epoch domain must outlive the map and its pending
 * retirements (tern_epoch_domain_barrier() runs them).  Writers pin the
 * domain: an explicit domain's first pin in a thread allocates that
 * thread's record and aborts if it cannot (tern_epoch_domain_register()
 * reports ENOMEM instead).  fork() while another thread is inside a writer
 * or a resize of a map leaves that map unusable in the child (a bucket or
 * resize lock stays held); maps nobody was writing are fine.
 *
 * Hash flooding.  Every map has a 64-bit secret seed (random per map unless
 * given), passed to the hash callback; tern_map_hash_bytes() and
 * tern_map_str_hash() are SipHash-1-3 keyed by it, so an attacker who does
 * not know the seed cannot choose keys that collide.  Use them (or another
 * keyed hash) for untrusted keys.
 *
 * Two forms: tern_map_t with a run-time struct tern_map_ops (any key: the
 * node gives its key, the ops hash and compare it), and TERN_MAP_DEFINE, a
 * typed map of nodes with a fixed-size value key, a thin wrapper over the
 * same core (its lookup inlines the hash and the comparison).
 *
 * Misuse (debug builds abort with a message naming the call; undefined in
 * NDEBUG builds): a NULL map, node or key; lookup or iteration while not
 * pinned in the map's domain; inserting a node that is still in a map; use
 * after tern_map_destroy() or destroying twice; destroying while a resize
 * runs.  tern_map_init() reports bad arguments with EINVAL and allocation
 * failure with ENOMEM in every build.
 */
#ifndef TERN_MAP_H
#define TERN_MAP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "config.h"
#include "epoch.h"
#include "lightlock.h"

TERN_EXTERN_C_BEGIN

/* The most buckets a map ever has (2^TERN_MAP_MAX_ORDER). */
#define TERN_MAP_MAX_ORDER 30

/* ---- private layout: what the inline lookup and iteration touch ---- */

/* A link of the split-ordered list: a user node or a bucket sentinel. */
struct tern__map_link {
	_Atomic(struct tern__map_link *) next; /* next in split order, NULL at the end */
	uint64_t rkey; /* bit-reversed hash: odd for nodes, even for sentinels */
};

/* A bucket's sentinel, and the lock of the list segment it heads. */
struct tern__map_bucket {
	struct tern__map_link link;
	tern_lightlock_t lock; /* held by the writer of the segment */
	bool dead;             /* unlinked by a shrink (written and read under lock) */
};

/*
 * A bucket table: published whole through tern_map_t.table.  It points at
 * the sentinel blocks, not at each sentinel: block j holds buckets
 * [2^(j-1), 2^j) (block 0: bucket 0), one block per doubling, so a bucket's
 * sentinel is one computed address away from the (always cached) table and
 * no per-bucket pointer array sits between the hash and the sentinel.
 */
struct tern__map_table {
	uint64_t mask;                 /* buckets - 1 (a power of two, minus one) */
	unsigned order;                /* log2(buckets) */
	struct tern_epoch_entry entry; /* retirement after a resize */
	struct tern__map_bucket *block[TERN_MAP_MAX_ORDER + 1]; /* 0 .. order; NULL above */
};

/* ---- public types ---- */

/*
 * Embed one in your node type (anywhere; recover the node with offsetof).
 * Owned by the map from a successful insert until the destroy callback.
 * Start nodes zeroed (calloc, = {0}): debug builds read the entry to catch
 * a node inserted while it is still in a map.  After its destroy callback
 * a node's memory is the caller's again (it may be inserted anew).
 */
typedef struct tern_map_node {
	struct tern__map_link link;
	struct tern_epoch_entry entry;                 /* retirement (tern_epoch_call) */
	void (*destroy)(struct tern_map_node *node);   /* the map's destroy, copied in */
} tern_map_node_t;

struct tern_map_ops {
	/* => the hash of key; `seed` is the map's secret seed.  Required. */
	uint64_t (*hash)(const void *key, uint64_t seed, void *ctx);
	/* => whether node's key equals key.  Required; see "Callbacks". */
	bool (*equal)(const struct tern_map_node *node, const void *key, void *ctx);
	/* => node's key, as passed to hash and equal.  Required. */
	const void *(*key)(const struct tern_map_node *node, void *ctx);
	/* Called once per retired node, after a grace period (may be NULL). */
	void (*destroy)(struct tern_map_node *node);
	void *ctx; /* passed to hash, equal and key */
};

typedef struct tern_map {
	_Atomic(struct tern__map_table *) table; /* current bucket table */
	uint64_t seed;                           /* secret hash seed */
	const struct tern_map_ops *ops;          /* the caller's; must outlive the map */
	tern_epoch_domain_t *domain;             /* never NULL after init */
	struct tern__map_bucket *head;           /* bucket 0: the head of the list */
	struct tern__map_impl *impl;             /* resizer state and counters (map.c) */
} tern_map_t;

/* => the index of block holding bucket i: its bit length (0 for bucket 0). */
TERN_INLINE unsigned tern__map_block_of(uint64_t i)
{
#if defined(__GNUC__) || defined(__clang__)
	return 63u - (unsigned)__builtin_clzll(2 * i + 1);
#else
	unsigned j = 0;
	while (i >> j)
		j++;
	return j;
#endif
}

/* => the sentinel of bucket i < 2^t->order (no branch: block 0's first
 * index is 0, block j's is 2^(j-1)). */
TERN_INLINE struct tern__map_bucket *tern__map_bucket_at(const struct tern__map_table *t, uint64_t i)
{
	unsigned j = tern__map_block_of(i);
	return t->block[j] + (i - (((uint64_t)1 << j) >> 1));
}

/* The ops of a destroyed map: use after destroy is recognised by it. */
TERN__EXTERN_API const struct tern_map_ops tern__map_destroyed_ops;

/* Buckets of a new map, and the floor of automatic shrinking. */
#define TERN_MAP_INIT_BUCKETS 16
/* Seed value asking tern_map_init() for a random seed. */
#define TERN_MAP_SEED_RANDOM 0

/* ---- hashing: SipHash-1-3, keyed by the map's seed ---- */

#define TERN__MAP_ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))

TERN_INLINE void tern__map_sipround(uint64_t *v0, uint64_t *v1, uint64_t *v2, uint64_t *v3)
{
	*v0 += *v1; *v1 = TERN__MAP_ROTL(*v1, 13); *v1 ^= *v0; *v0 = TERN__MAP_ROTL(*v0, 32);
	*v2 += *v3; *v3 = TERN__MAP_ROTL(*v3, 16); *v3 ^= *v2;
	*v0 += *v3; *v3 = TERN__MAP_ROTL(*v3, 21); *v3 ^= *v0;
	*v2 += *v1; *v1 = TERN__MAP_ROTL(*v1, 17); *v1 ^= *v2; *v2 = TERN__MAP_ROTL(*v2, 32);
}

/* Little-endian 64-bit load of n <= 8 bytes.  A whole word is one memcpy
 * (one load) on little-endian targets: GCC does not merge the byte loop
 * into a load, and the byte loop was a third of the typed lookup's hash. */
TERN_INLINE uint64_t tern__map_load_le(const unsigned char *p, size_t n)
{
#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) && \
	__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (n == 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		return w;
	}
#endif
	uint64_t r = 0;
	for (size_t i = 0; i < n; i++)
		r |= (uint64_t)p[i] << (8 * i);
	return r;
}

/* SipHash-c-d of data[0..n) under the 128-bit key (k0, k1). */
TERN_INLINE uint64_t tern__map_siphash(const void *data, size_t n, uint64_t k0, uint64_t k1,
				       int c, int d)
{
	const unsigned char *p = (const unsigned char *)data;
	uint64_t v0 = k0 ^ 0x736f6d6570736575ull, v1 = k1 ^ 0x646f72616e646f6dull;
	uint64_t v2 = k0 ^ 0x6c7967656e657261ull, v3 = k1 ^ 0x7465646279746573ull;
	size_t whole = n & ~(size_t)7;
	for (size_t i = 0; i < whole; i += 8) {
		uint64_t m = tern__map_load_le(p + i, 8);
		v3 ^= m;
		for (int r = 0; r < c; r++)
			tern__map_sipround(&v0, &v1, &v2, &v3);
		v0 ^= m;
	}
	uint64_t b = ((uint64_t)n << 56) | tern__map_load_le(p + whole, n - whole);
	v3 ^= b;
	for (int r = 0; r < c; r++)
		tern__map_sipround(&v0, &v1, &v2, &v3);
	v0 ^= b;
	v2 ^= 0xff;
	if (d == 3) { /* SipHash-1-3's finalisation, unrolled (GCC keeps the loop) */
		tern__map_sipround(&v0, &v1, &v2, &v3);
		tern__map_sipround(&v0, &v1, &v2, &v3);
		tern__map_sipround(&v0, &v1, &v2, &v3);
	} else {
		for (int r = 0; r < d; r++)
			tern__map_sipround(&v0, &v1, &v2, &v3);
	}
	return v0 ^ v1 ^ v2 ^ v3;
}

/* => SipHash-1-3 of p[0..n) keyed by (seed, seed ^ a constant). */
TERN_INLINE uint64_t tern_map_hash_bytes(const void *p, size_t n, uint64_t seed)
{
	return tern__map_siphash(p, n, seed, seed ^ 0x9e3779b97f4a7c15ull, 1, 3);
}

/* => tern_map_hash_bytes() of a NUL-terminated string (without the NUL). */
TERN_INLINE uint64_t tern_map_hash_string(const char *s, uint64_t seed)
{
	return tern_map_hash_bytes(s, strlen(s), seed);
}

/* A ready-made struct tern_map_ops hash for keys that are `const char *`
 * strings: key is the string itself. */
TERN_INLINE uint64_t tern_map_str_hash(const void *key, uint64_t seed, void *ctx)
{
	(void)ctx;
	return tern_map_hash_string((const char *)key, seed);
}

/* ---- the split order ---- */

/* => x with its 64 bits in reverse order. */
TERN_INLINE uint64_t tern__map_reverse(uint64_t x)
{
	x = ((x >> 1) & 0x5555555555555555ull) | ((x & 0x5555555555555555ull) << 1);
	x = ((x >> 2) & 0x3333333333333333ull) | ((x & 0x3333333333333333ull) << 2);
	x = ((x >> 4) & 0x0f0f0f0f0f0f0f0full) | ((x & 0x0f0f0f0f0f0f0f0full) << 4);
#if defined(__GNUC__) || defined(__clang__)
	return __builtin_bswap64(x);
#else
	x = ((x >> 8) & 0x00ff00ff00ff00ffull) | ((x & 0x00ff00ff00ff00ffull) << 8);
	x = ((x >> 16) & 0x0000ffff0000ffffull) | ((x & 0x0000ffff0000ffffull) << 16);
	return (x >> 32) | (x << 32);
#endif
}

/* => the split-order key of a node of hash h (the top bit of h is unused:
 * it becomes the low bit, always 1 for nodes). */
TERN_INLINE uint64_t tern__map_node_rkey(uint64_t h)
{
	return tern__map_reverse(h) | 1;
}

TERN_INLINE struct tern_map_node *tern__map_node_of(struct tern__map_link *l)
{
	return (struct tern_map_node *)(void *)((char *)l - offsetof(struct tern_map_node, link));
}

/*
 * The lookup core, shared by both forms: walks from the sentinel of h's
 * bucket to the first link ordered after h's nodes.  `equal` is a constant
 * in the typed form, so the compiler inlines it.  Caller pinned.
 */
TERN_INLINE struct tern_map_node *tern__map_find(tern_map_t *m, const void *key, uint64_t h,
						 bool (*equal)(const struct tern_map_node *, const void *, void *),
						 void *ctx)
{
	uint64_t rk = tern__map_node_rkey(h);
	/* Acquire: pairs with the release store of the table in map.c
	 * (map__publish): the table's bucket array and the sentinels it points
	 * to were written before it. */
	struct tern__map_table *t = atomic_load_explicit(&m->table, memory_order_acquire);
	struct tern__map_link *l = &tern__map_bucket_at(t, h & t->mask)->link;
	for (;;) {
		/* Acquire: pairs with the release stores of `next` in map.c
		 * (link in, unlink, replace, sentinel insertion): the link's
		 * rkey and the node's key were written before it was published. */
		l = atomic_load_explicit(&l->next, memory_order_acquire);
		if (l == NULL || l->rkey > rk)
			return NULL;
		if (l->rkey == rk && equal(tern__map_node_of(l), key, ctx))
			return tern__map_node_of(l);
	}
}

/* => the first node at or after l (skipping sentinels), or NULL. */
TERN_INLINE struct tern_map_node *tern__map_skip(struct tern__map_link *l)
{
	while (l != NULL && !(l->rkey & 1))
		/* Acquire: as in tern__map_find(). */
		l = atomic_load_explicit(&l->next, memory_order_acquire);
	return l != NULL ? tern__map_node_of(l) : NULL;
}

#define TERN__MAP_CHECK_READ(m, call)                                                   \
	do {                                                                             \
		TERN_ASSERT((m) != NULL, call ": map is NULL");                          \
		TERN_ASSERT((m)->ops != &tern__map_destroyed_ops,                        \
			    call ": map used after tern_map_destroy");                   \
		TERN_ASSERT(tern_epoch_domain_is_pinned((m)->domain),                    \
			    call ": caller is not pinned in the map's epoch domain "    \
				 "(tern_epoch_pin, tern_epoch_domain_pin or online)");   \
	} while (0)

/* ---- run-time form ---- */

/*
 * Initialises an empty map of TERN_MAP_INIT_BUCKETS buckets whose nodes are
 * retired into `domain` (NULL: the default domain).  *ops is not copied: it
 * must outlive the map.  seed: the hash seed, or TERN_MAP_SEED_RANDOM for a
 * random one (getrandom, else time and addresses).  => 0, EINVAL (m or ops
 * NULL, or hash, equal or key missing), or ENOMEM.
 */
TERN_API int tern_map_init(tern_map_t *m, const struct tern_map_ops *ops, tern_epoch_domain_t *domain,
			   uint64_t seed);

/*
 * Destroys the map.  No other thread may use the map any more (a reader
 * still pinned may keep using nodes it already holds): every node still
 * in it is retired like a removed node (destroy runs after a grace period,
 * from the epoch collector: call tern_epoch_barrier() or
 * tern_epoch_domain_barrier() to wait for it), and the table and sentinels
 * are freed after a grace period.
 */
TERN_API void tern_map_destroy(tern_map_t *m);

/* Inserts node unless its key is present.  Need not be pinned.
 * => 0, or EEXIST (node untouched, still the caller's). */
TERN_API int tern_map_insert(tern_map_t *m, struct tern_map_node *node);

/* Inserts node, replacing (in one step: no reader sees the key missing)
 * and retiring the node that had its key.  => true if a node was replaced. */
TERN_API bool tern_map_replace(tern_map_t *m, struct tern_map_node *node);

/* Removes and retires the node of key.  => true if there was one. */
TERN_API bool tern_map_remove(tern_map_t *m, const void *key);

/* Removes and retires exactly `node` if it is still in the map (a lookup's
 * result, say: compare-and-delete).  => true if it was.  The caller must
 * be pinned in the map's domain (debug builds check it). */
TERN_API bool tern_map_remove_node(tern_map_t *m, struct tern_map_node *node);

/*
 * Resizes the bucket table to `buckets` (rounded up to a power of two,
 * at least 1, at most 2^TERN_MAP_MAX_ORDER), one doubling or halving at a
 * time, concurrently with every other operation; waits for a resize in
 * progress.  The new size becomes the floor of automatic shrinking (if it
 * is above the initial size); automatic growing may still change it later
 * (see tern_map_set_auto_resize).  => 0, EINVAL (0 or too many buckets), or
 * ENOMEM (the table stopped at the last size it could allocate).
 */
TERN_API int tern_map_resize(tern_map_t *m, size_t buckets);

/* Turns automatic growing and shrinking on (the default) or off. */
TERN_API void tern_map_set_auto_resize(tern_map_t *m, bool on);

/* => the number of nodes (exact when no writer runs).  Writers keep it
 * with one relaxed atomic add per insert or remove. */
TERN_API size_t tern_map_count(tern_map_t *m);

/* => the current number of buckets. */
TERN_API size_t tern_map_buckets(tern_map_t *m);

/*
 * => the node whose key equals key, or NULL.  The caller must be pinned in
 * the map's domain; the node stays valid until it unpins.
 */
TERN_INLINE struct tern_map_node *tern_map_lookup(tern_map_t *m, const void *key)
{
	TERN__MAP_CHECK_READ(m, "tern_map_lookup");
	const struct tern_map_ops *ops = m->ops;
	return tern__map_find(m, key, ops->hash(key, m->seed, ops->ctx), ops->equal, ops->ctx);
}

/* => the first node in split order, or NULL if the map is empty.  Caller
 * pinned for the whole iteration (see "Guarantees"). */
TERN_INLINE struct tern_map_node *tern_map_first(tern_map_t *m)
{
	TERN__MAP_CHECK_READ(m, "tern_map_first");
	/* Acquire: as in tern__map_find(). */
	return tern__map_skip(atomic_load_explicit(&m->head->link.next, memory_order_acquire));
}

/* => the node after `node` (returned by first or next during the same
 * pin, removed since or not), or NULL at the end. */
TERN_INLINE struct tern_map_node *tern_map_next(tern_map_t *m, struct tern_map_node *node)
{
	TERN__MAP_CHECK_READ(m, "tern_map_next");
	TERN_ASSERT(node != NULL, "tern_map_next: node is NULL");
	(void)m; /* checks only */
	/* Acquire: as in tern__map_find(). */
	return tern__map_skip(atomic_load_explicit(&node->link.next, memory_order_acquire));
}

/* ---- typed maps ---- */

/*
 * TERN_MAP_DEFINE(name, T, node_field, K, key_field, destroy_fn) defines a
 * map of T nodes, each embedding `struct tern_map_node node_field` and a key
 * `K key_field` compared byte for byte (K: an integer, a pointer, or a
 * struct without padding), with `void destroy_fn(T *)` called once per
 * retired node after a grace period.  It generates
 *
 *   name_t   a tern_map_t inside (name_t m; ... name_init(&m, NULL, 0))
 *   int   name_init(name_t *m, tern_epoch_domain_t *domain, uint64_t seed)
 *   void  name_destroy(name_t *m)
 *   T    *name_lookup(name_t *m, K key)                  caller pinned
 *   int   name_insert(name_t *m, T *node)                0 or EEXIST
 *   bool  name_replace(name_t *m, T *node)
 *   bool  name_remove(name_t *m, K key)
 *   bool  name_remove_node(name_t *m, T *node)
 *   T    *name_first(name_t *m), *name_next(name_t *m, T *node)   caller pinned
 *   int   name_resize(name_t *m, size_t buckets)
 *   size_t name_count(name_t *m), name_buckets(name_t *m)
 *
 * with the semantics of the tern_map_* calls, which the writers call; the
 * lookup is the shared inline core with the hash (SipHash-1-3 of the key's
 * bytes, keyed by the map's seed) and the comparison inlined.  Put the
 * macro at file scope.
 *
 * TERN_MAP_DEFINE_HASH(name, T, node_field, K, key_field, destroy_fn,
 * hash_fn) is the same with the caller's hash, `uint64_t hash_fn(const K
 * *key, uint64_t seed)` (a function or function-like macro, inlined into
 * the lookup): a cheaper hash shortens the lookup (SipHash's latency sits
 * between the key and the first load of the walk).  The low bits of the
 * result pick the bucket and all bits but the top one, reversed, order the
 * nodes within it: the low bits must be well mixed.  Keep it keyed by
 * `seed` (see "Hash flooding") unless the keys are trusted.
 */
#define TERN_MAP_DEFINE(name, T, node_field, K, key_field, destroy_fn)                   \
	TERN__GENERATED uint64_t name##__siphash(const K *key, uint64_t seed)            \
	{                                                                                \
		return tern_map_hash_bytes(key, sizeof(K), seed);                        \
	}                                                                                \
	TERN_MAP_DEFINE_HASH(name, T, node_field, K, key_field, destroy_fn, name##__siphash)

#define TERN_MAP_DEFINE_HASH(name, T, node_field, K, key_field, destroy_fn, hash_fn)     \
	typedef struct name {                                                            \
		tern_map_t map;                                                          \
	} name##_t;                                                                      \
	TERN__GENERATED T *name##__of(const struct tern_map_node *n)                      \
	{                                                                                \
		return n != NULL ? (T *)(void *)((char *)(n) - offsetof(T, node_field)) : NULL; \
	}                                                                                \
	TERN__GENERATED uint64_t name##__hash(const void *key, uint64_t seed, void *ctx) \
	{                                                                                \
		(void)ctx;                                                               \
		return hash_fn((const K *)key, seed);                                    \
	}                                                                                \
	TERN__GENERATED bool name##__equal(const struct tern_map_node *n, const void *key, void *ctx) \
	{                                                                                \
		(void)ctx;                                                               \
		return memcmp(&name##__of(n)->key_field, key, sizeof(K)) == 0;           \
	}                                                                                \
	TERN__GENERATED const void *name##__key(const struct tern_map_node *n, void *ctx) \
	{                                                                                \
		(void)ctx;                                                               \
		return &name##__of(n)->key_field;                                        \
	}                                                                                \
	TERN__GENERATED void name##__destroy(struct tern_map_node *n)                    \
	{                                                                                \
		destroy_fn(name##__of(n));                                               \
	}                                                                                \
	static const struct tern_map_ops name##__ops = { name##__hash, name##__equal,    \
							  name##__key, name##__destroy, NULL }; \
	TERN__GENERATED int name##_init(name##_t *m, tern_epoch_domain_t *domain, uint64_t seed) \
	{                                                                                \
		return tern_map_init(m != NULL ? &m->map : NULL, &name##__ops, domain, seed); \
	}                                                                                \
	TERN__GENERATED void name##_destroy(name##_t *m)                                 \
	{                                                                                \
		TERN_ASSERT(m != NULL, #name "_destroy: map is NULL");                   \
		tern_map_destroy(&m->map);                                               \
	}                                                                                \
	TERN__GENERATED T *name##_lookup(name##_t *m, K key)                             \
	{                                                                                \
		TERN__MAP_CHECK_READ(m != NULL ? &m->map : NULL, #name "_lookup");       \
		return name##__of(tern__map_find(&m->map, &key,                          \
						 hash_fn((const K *)&key, m->map.seed),  \
						 name##__equal, NULL));                  \
	}                                                                                \
	TERN__GENERATED int name##_insert(name##_t *m, T *node)                          \
	{                                                                                \
		TERN_ASSERT(m != NULL && node != NULL, #name "_insert: map or node is NULL"); \
		return tern_map_insert(&m->map, &node->node_field);                      \
	}                                                                                \
	TERN__GENERATED bool name##_replace(name##_t *m, T *node)                        \
	{                                                                                \
		TERN_ASSERT(m != NULL && node != NULL, #name "_replace: map or node is NULL"); \
		return tern_map_replace(&m->map, &node->node_field);                     \
	}                                                                                \
	TERN__GENERATED bool name##_remove(name##_t *m, K key)                           \
	{                                                                                \
		TERN_ASSERT(m != NULL, #name "_remove: map is NULL");                    \
		return tern_map_remove(&m->map, &key);                                   \
	}                                                                                \
	TERN__GENERATED bool name##_remove_node(name##_t *m, T *node)                    \
	{                                                                                \
		TERN_ASSERT(m != NULL && node != NULL, #name "_remove_node: map or node is NULL"); \
		return tern_map_remove_node(&m->map, &node->node_field);                 \
	}                                                                                \
	TERN__GENERATED T *name##_first(name##_t *m)                                     \
	{                                                                                \
		TERN_ASSERT(m != NULL, #name "_first: map is NULL");                     \
		return name##__of(tern_map_first(&m->map));                              \
	}                                                                                \
	TERN__GENERATED T *name##_next(name##_t *m, T *node)                             \
	{                                                                                \
		TERN_ASSERT(m != NULL && node != NULL, #name "_next: map or node is NULL"); \
		return name##__of(tern_map_next(&m->map, &node->node_field));            \
	}                                                                                \
	TERN__GENERATED int name##_resize(name##_t *m, size_t buckets)                   \
	{                                                                                \
		TERN_ASSERT(m != NULL, #name "_resize: map is NULL");                    \
		return tern_map_resize(&m->map, buckets);                                \
	}                                                                                \
	TERN__GENERATED size_t name##_count(name##_t *m)                                 \
	{                                                                                \
		return tern_map_count(&m->map);                                          \
	}                                                                                \
	TERN__GENERATED size_t name##_buckets(name##_t *m)                               \
	{                                                                                \
		return tern_map_buckets(&m->map);                                        \
	}                                                                                \
	typedef int name##__tern_map_define_end

TERN_EXTERN_C_END

#endif /* TERN_MAP_H */
