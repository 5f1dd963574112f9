/* SPDX-License-Identifier: MIT */
/*
 * src/map/map.c — writers, resizing, set-up and teardown of tern_map.  The
 * lookup and iteration are inline in include/tern/map.h (tern__map_find,
 * tern__map_skip); the typed TERN_MAP_DEFINE form calls the same lookup core
 * and these writers, so this argument covers both forms.
 *
 * Concurrency
 * ===========
 *
 * Structure.  One singly linked list L of links, sorted by rkey (ties
 * between nodes of equal rkey in list order).  A node of hash h has rkey
 * rev(h) | 1 (odd); the sentinel of bucket i has rkey rev(i) (even, as
 * i < 2^63).  The table T = {mask, block[0..k]} currently published in
 * m->table has 2^k buckets and points at the sentinels 0 .. 2^k - 1
 * through the sentinel blocks (block j: buckets [2^(j-1), 2^j), allocated
 * by the grow to 2^j; tern__map_bucket_at() computes a sentinel's address;
 * a table's block pointers are written before it is published and never
 * change).  The sentinel of bucket 0 (rkey 0) heads L and is never removed.
 * A node never moves: its position in L is fixed from its insertion to its
 * removal.
 *
 * Segments.  The segment of a live sentinel s is s and the links after it up
 * to (not including) the next sentinel.  Let parent(i) = i - 2^(j-1) for
 * 2^(j-1) <= i < 2^j.  Split-order fact F: when the live sentinels are
 * exactly 0 .. n-1 plus any subset of n .. 2n-1 (n a power of two: the only
 * states below), the sentinel just before sentinel i in L is parent(i).
 * (rev(parent(i)) and rev(i) differ only in bit j-1 of i, which reversed is
 * a low-order bit, so no sentinel of another live index lies between them.)
 *
 * Invariants
 *  I1 (lock rule).  Every store to the `next` of a link in the segment of a
 *     live sentinel s, every change of which links are in that segment, and
 *     every test of s->dead, happens while holding s->lock.  Writers hold
 *     one bucket lock at a time; the resizer (one at a time: impl->resize)
 *     holds parent(i) then i during a shrink step — ancestor before
 *     descendant, and writers never wait while holding a lock, so there is
 *     no deadlock cycle.
 *  I2 (frozen links).  A link unlinked from L (a removed or replaced node,
 *     or a sentinel removed by a shrink) is never written again: its `next`
 *     keeps the successor it had when it was unlinked.  (Writers reach
 *     links only by walking a segment under its lock, and the dead flag
 *     turns writers away from a removed sentinel.)
 *  I3 (publication).  A link's rkey (and a node's key) is written before the
 *     release store that links it into L and never changes while it is
 *     reachable; every store to a reachable `next` is a release store.
 *  I4 (tables).  A table is published (release store of m->table) only when
 *     all its sentinels are in L; a shrink publishes the smaller table before
 *     it unlinks the upper sentinels.  So the sentinels of the table a
 *     thread loads were all in L when it loaded it.
 *  I5 (retirement).  A node is handed to tern_epoch_call after it is
 *     unlinked; a table after a newer one is published; a block of
 *     sentinels after all of them are unlinked and the table pointing at
 *     them is replaced.  Each exactly once (a node is unlinked by the one
 *     writer that holds its segment's lock and finds it there).
 *
 * Writers (insert, replace, remove, remove_node; map__lock_segment).  Pinned,
 * a writer loads the table, locks the sentinel of h & mask, and if it is
 * dead (a shrink unlinked it) retries with a fresh table: the shrink
 * published the smaller table before it set dead under the same lock, so
 * the retry loads a table without that sentinel (no livelock).  It then
 * walks the segment under the lock; if it meets a sentinel ordered before
 * rkey(h) (a finer bucket, inserted by a grow this writer's table predates),
 * it unlocks and locks that one instead (dead: retry).  When it stops it
 * holds the lock of the segment in which rkey(h)'s run lies (F and I1: the
 * run contains no sentinel, parities differ), so nothing in that run can
 * change: the search for the key, and the link, unlink or swap that follows,
 * act on a stable run — which makes "the key is absent / present with node
 * n" true for the whole critical section, and the one release store of the
 * write is the linearization point (a failed insert linearizes anywhere
 * under the lock).  Replace stores the new node into the old one's place
 * (new->next = old->next, then prev->next = new): one store, so the key is
 * never absent in between.
 *
 * Growing from n to 2n buckets (map__grow): for each i < n, under
 * parent-lock i, insert sentinel n+i right after the last link of rkey
 * < rev(n+i) in i's segment (F: it belongs there).  Then publish the 2n
 * table.  Shrinking from n to n/2 (map__shrink): publish the n/2 table, then
 * for each i >= n/2, under parent(i) then i, unlink sentinel i (its
 * predecessor is in parent(i)'s segment, F), set dead.  Only sentinels are
 * added or removed: node positions and the order of nodes never change.
 *
 * Readers (tern__map_find, first/next) hold no lock and write nothing.
 * Lemma R: every link a reader visits was in L at some instant during its
 * operation (after its pin).  Base: the sentinel taken from the table it
 * loaded was in L when the table was loaded (I4), or it is the head.
 * Step: the reader at link y loads y->next = z.  If y is still in L, z is
 * its successor now; if y was unlinked at t_y, z was y's successor at t_y
 * (I2), and t_y is after the instant y was in L by induction.  Either way
 * y and z were in L and adjacent at one instant τ of the operation.
 * Consequences:
 *  - Memory safety: z was reachable at τ, after the reader pinned, so it
 *    was retired after that pin (I5) and is not destroyed before the reader
 *    unpins (the epoch guarantee).  The same holds for sentinel blocks and
 *    tables.
 *  - No miss: let x be a node of key k in L during the whole lookup (or,
 *    through replaces, a chain of nodes occupying the same position: a
 *    "slot" present the whole time).  Positions only ever increase along
 *    the walk (each step moves to a successor).  At each step y -> z, y and
 *    z were adjacent at τ while the slot was in L, so the slot is not
 *    strictly between them: the walk cannot jump over it; the reader starts
 *    before it (the start sentinel's rkey < rkey(h)) and stops only past
 *    rkey(h), so it lands on a node of the slot and equal() matches.
 *  - Linearizability of lookup: a node returned was in L at some instant
 *    of the lookup (R) — linearize there.  NULL: if k had been present at
 *    every instant of the lookup it would have been present throughout in
 *    one slot (an insert only succeeds when k is absent, so continuous
 *    presence means one node or replaces in place) and found; so k was
 *    absent at some instant — linearize there.
 *  - Iteration: the same two arguments from the head: no node is visited
 *    twice (positions increase), every slot present throughout is visited
 *    once, no node removed before the iteration began is reached (R).
 * Resizes touch only sentinels, whose rkeys are even: readers compare rkeys
 * only and walk through sentinels like through other links, and a reader
 * that started at a sentinel a shrink later unlinked goes on through its
 * frozen next (I2) into the same nodes.
 *
 * Ordering.  Release stores of `next` (I3) pair with the acquire loads of
 * readers; the release store of m->table pairs with their acquire load.
 * A link written with a relaxed store before its own publication (a new
 * node's or sentinel's next) is read only after an acquire load that
 * synchronises with that publication.  Writers and the resizer read `next`
 * relaxed under the segment lock: by I1 the last store to it was made under
 * the same lock, whose acquire ordered it before the load.
 *
 * Callbacks.  hash and key run before any lock; equal runs under one bucket
 * lock (documented: it must not call writers of the same map).  destroy
 * runs only from the epoch collector: tern_epoch_domain_call() may run
 * destructors itself, so every call to it here is made after the bucket lock
 * and the resize lock are released.
 *
 * Resizer.  One at a time: impl->resize (a LightLock; automatic resizes
 * try-lock it and give up if taken, tern_map_resize waits).  Only its holder
 * stores m->table or touches impl->chunks.  A failed allocation aborts the
 * step before anything is linked (both blocks are allocated first), so the
 * map keeps its size and every node.
 *
 * Counter.  impl->count is changed with relaxed RMWs under the bucket lock
 * of the change, so a node's decrement follows its increment in the
 * counter's modification order (the lock orders them): the count never goes
 * negative, and it is exact when no writer runs.  It only steers resizing.
 *
 * Progress.  Lookups and iteration: lock-free, no waiting, no retries.
 * Writers: blocking on one bucket lock; a writer retries only after a shrink
 * step or a grow moved its bucket, at most once per resize step.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "tern/alloc.h"
#include "tern/map.h"

/* Private state, allocated by tern_map_init. */
struct tern__map_impl {
	atomic_long count;           /* nodes in the map (see "Counter") */
	tern_lightlock_t resize;     /* held by the one resizer */
	atomic_bool auto_resize;     /* automatic resizing on */
	unsigned min_order;          /* the initial order */
	/* Automatic shrinking stops here: min_order, or the size of the last
	 * tern_map_resize() if larger (written under the resize lock, read by
	 * writers as a hint). */
	_Atomic(unsigned) floor_order;
	/* Sentinel blocks: chunks[0] holds bucket 0, chunks[j] buckets
	 * [2^(j-1), 2^j).  Only the resizer touches this array. */
	struct map__chunk *chunks[TERN_MAP_MAX_ORDER + 1];
};

/* A block of sentinels added by one grow (freed after the shrink that
 * removes them, after a grace period). */
struct map__chunk {
	struct tern_epoch_entry entry;
	struct tern__map_bucket b[];
};

/* What one resize step retires (after the resize lock is released). */
#define MAP__RETIRE_MAX (2 * (TERN_MAP_MAX_ORDER + 1))
struct map__retired {
	unsigned n;
	struct tern_epoch_entry *e[MAP__RETIRE_MAX];
	void (*fn[MAP__RETIRE_MAX])(struct tern_epoch_entry *);
};

/* hash/equal/key NULL: asserted against in debug builds; never called. */
TERN__STATIC_DATA const struct tern_map_ops tern__map_destroyed_ops = { NULL, NULL, NULL, NULL, NULL };

#define MAP__CHECK(m, call)                                                         \
	do {                                                                         \
		TERN_ASSERT((m) != NULL, call ": map is NULL");                      \
		TERN_ASSERT((m)->ops != &tern__map_destroyed_ops,                    \
			    call ": map used after tern_map_destroy");               \
		TERN_ASSERT((m)->ops != NULL && (m)->impl != NULL,                   \
			    call ": map is not initialised");                        \
	} while (0)

/* entry.fn of a node that is in a map (overwritten when it is retired). */
static void map__linked_marker(struct tern_epoch_entry *e)
{
	(void)e;
	TERN_ASSERT(false, "tern_map: a node still in a map was handed to the epoch");
}

#define MAP__CONTAINER(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

static void map__node_reclaim(struct tern_epoch_entry *e)
{
	struct tern_map_node *n = MAP__CONTAINER(e, struct tern_map_node, entry);
	if (n->destroy != NULL)
		n->destroy(n);
}

static void map__table_free(struct tern_epoch_entry *e)
{
	TERN_FREE(MAP__CONTAINER(e, struct tern__map_table, entry));
}

static void map__chunk_free(struct tern_epoch_entry *e)
{
	TERN_FREE(MAP__CONTAINER(e, struct map__chunk, entry));
}

static struct tern__map_bucket *map__bucket_of(struct tern__map_link *l)
{
	return MAP__CONTAINER(l, struct tern__map_bucket, link);
}

static void map__retire_later(struct map__retired *r, struct tern_epoch_entry *e,
			      void (*fn)(struct tern_epoch_entry *))
{
	TERN_ASSERT(r->n < MAP__RETIRE_MAX, "tern_map: internal error: too many retirements");
	r->e[r->n] = e;
	r->fn[r->n] = fn;
	r->n++;
}

/* Runs after every lock is released, as the last step of an operation
 * that touches the map (d is the map's domain, read before): the calls may
 * run destructors (Callbacks), which may use the map, or destroy and free
 * it, so nothing reads *m after them. */
static void map__retire_now(tern_epoch_domain_t *d, struct map__retired *r)
{
	for (unsigned i = 0; i < r->n; i++)
		tern_epoch_domain_call(d, r->e[i], r->fn[i]);
	r->n = 0;
}

/* A table of 2^order buckets whose blocks 0 .. order are those of `from`
 * (NULL: none; the caller fills what from lacks). */
static struct tern__map_table *map__table_alloc(unsigned order, const struct tern__map_table *from)
{
	struct tern__map_table *t = TERN_MALLOC(sizeof *t);
	if (t == NULL)
		return NULL;
	memset(t, 0, sizeof *t);
	t->mask = ((uint64_t)1 << order) - 1;
	t->order = order;
	if (from != NULL)
		for (unsigned j = 0; j <= order && j <= from->order; j++)
			t->block[j] = from->block[j];
	return t;
}

/* Sentinels first .. first + n - 1, unlinked. */
static struct map__chunk *map__chunk_alloc(size_t first, size_t n)
{
	struct map__chunk *c = TERN_MALLOC(sizeof *c + n * sizeof(struct tern__map_bucket));
	if (c == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		struct tern__map_bucket *b = &c->b[i];
		b->link.rkey = tern__map_reverse((uint64_t)(first + i));
		/* Relaxed: the sentinel is published later by a release store
		 * (I3). */
		atomic_store_explicit(&b->link.next, NULL, memory_order_relaxed);
		tern_lightlock_init(&b->lock);
		b->dead = false;
	}
	return c;
}

/* ------------------------------------------------------------ resizing */

/* Doubles the table (resize lock held).  => 0, ENOMEM or EINVAL (at the
 * maximum); r receives the old table. */
static int map__grow(tern_map_t *m, struct map__retired *r)
{
	struct tern__map_impl *impl = m->impl;
	/* Relaxed: only the resize-lock holder stores m->table, and the lock's
	 * acquire ordered the previous holder's store before this load. */
	struct tern__map_table *t = atomic_load_explicit(&m->table, memory_order_relaxed);
	unsigned order = t->order;
	if (order >= TERN_MAP_MAX_ORDER)
		return EINVAL;
	size_t n = (size_t)1 << order;
	struct map__chunk *c = map__chunk_alloc(n, n);
	struct tern__map_table *nt = map__table_alloc(order + 1, t);
	if (c == NULL || nt == NULL) {
		TERN_FREE(c);
		TERN_FREE(nt);
		return ENOMEM; /* nothing linked yet: the map is unchanged */
	}
	for (size_t i = 0; i < n; i++) {
		struct tern__map_bucket *p = tern__map_bucket_at(t, i), *b = &c->b[i];
		tern_lightlock_lock(&p->lock);
		struct tern__map_link *prev = &p->link;
		/* Relaxed: under p's lock (I1). */
		struct tern__map_link *cur = atomic_load_explicit(&prev->next, memory_order_relaxed);
		while (cur != NULL && cur->rkey < b->link.rkey) {
			/* F: no sentinel lies between p and its child n + i. */
			TERN_ASSERT(cur->rkey & 1, "tern_map: internal error: sentinel order");
			prev = cur;
			/* Relaxed: under p's lock (I1). */
			cur = atomic_load_explicit(&cur->next, memory_order_relaxed);
		}
		/* Relaxed: b is not reachable yet; the store below publishes it. */
		atomic_store_explicit(&b->link.next, cur, memory_order_relaxed);
		/* Release: pairs with the acquire loads of `next` in
		 * tern__map_find()/tern__map_skip() (I3: b's rkey and next). */
		atomic_store_explicit(&prev->next, &b->link, memory_order_release);
		tern_lightlock_unlock(&p->lock);
	}
	nt->block[order + 1] = &c->b[0]; /* buckets n .. 2n - 1 */
	/* Release: pairs with the acquire loads of m->table in tern__map_find()
	 * and map__lock_segment() (I4: every sentinel of nt is in L). */
	atomic_store_explicit(&m->table, nt, memory_order_release);
	impl->chunks[order + 1] = c;
	map__retire_later(r, &t->entry, map__table_free);
	return 0;
}

/* Halves the table (resize lock held).  => 0, ENOMEM or EINVAL (one
 * bucket); r receives the old table and the block of removed sentinels. */
static int map__shrink(tern_map_t *m, struct map__retired *r)
{
	struct tern__map_impl *impl = m->impl;
	/* Relaxed: as in map__grow(). */
	struct tern__map_table *t = atomic_load_explicit(&m->table, memory_order_relaxed);
	unsigned order = t->order;
	if (order == 0)
		return EINVAL;
	size_t half = (size_t)1 << (order - 1);
	struct tern__map_table *nt = map__table_alloc(order - 1, t);
	if (nt == NULL)
		return ENOMEM;
	/* Release: pairs with the acquire loads of m->table (I4: published
	 * before the upper sentinels are unlinked). */
	atomic_store_explicit(&m->table, nt, memory_order_release);
	for (size_t i = 0; i < half; i++) {
		struct tern__map_bucket *p = tern__map_bucket_at(t, i), *c = tern__map_bucket_at(t, half + i);
		tern_lightlock_lock(&p->lock); /* parent before child (I1) */
		tern_lightlock_lock(&c->lock);
		struct tern__map_link *prev = &p->link;
		/* Relaxed: under p's lock (I1). */
		struct tern__map_link *cur = atomic_load_explicit(&prev->next, memory_order_relaxed);
		while (cur != &c->link) {
			TERN_ASSERT(cur != NULL && (cur->rkey & 1), "tern_map: internal error: sentinel order");
			prev = cur;
			/* Relaxed: under p's lock (I1). */
			cur = atomic_load_explicit(&cur->next, memory_order_relaxed);
		}
		/* Relaxed: under c's lock (I1). */
		struct tern__map_link *after = atomic_load_explicit(&c->link.next, memory_order_relaxed);
		/* Release: pairs with the acquire loads of `next` by readers (I3). */
		atomic_store_explicit(&prev->next, after, memory_order_release);
		c->dead = true; /* under c's lock: writers that wait for it retry */
		tern_lightlock_unlock(&c->lock);
		tern_lightlock_unlock(&p->lock);
	}
	map__retire_later(r, &t->entry, map__table_free);
	map__retire_later(r, &impl->chunks[order]->entry, map__chunk_free);
	impl->chunks[order] = NULL;
	return 0;
}

/* Automatic resizing: grows or shrinks while the load factor is out of
 * bounds and no other resize runs; r receives what the steps retire (at
 * most TERN_MAP_MAX_ORDER steps in one direction: r has room). */
static void map__auto_resize(tern_map_t *m, struct map__retired *r)
{
	struct tern__map_impl *impl = m->impl;
	for (;;) {
		if (!tern_lightlock_try_lock(&impl->resize))
			return; /* another resizer runs; it re-checks after each step */
		/* Relaxed: see map__grow(). */
		struct tern__map_table *t = atomic_load_explicit(&m->table, memory_order_relaxed);
		/* Relaxed: a heuristic input only. */
		long count = atomic_load_explicit(&impl->count, memory_order_relaxed);
		size_t size = (size_t)t->mask + 1;
		int rc = -1;
		if ((size_t)count > 2 * size && t->order < TERN_MAP_MAX_ORDER && r->n + 2 <= MAP__RETIRE_MAX)
			rc = map__grow(m, r);
		/* Relaxed: under the resize lock, its only writer's. */
		else if ((size_t)count < size / 2 &&
			 t->order > atomic_load_explicit(&impl->floor_order, memory_order_relaxed) &&
			 r->n + 2 <= MAP__RETIRE_MAX)
			rc = map__shrink(m, r);
		tern_lightlock_unlock(&impl->resize);
		if (rc != 0)
			return; /* balanced, or out of memory: keep the size */
	}
}

/* Called by writers after they released their bucket lock, still pinned;
 * r receives what a resize retires. */
static void map__after_write(tern_map_t *m, long count, size_t size, struct map__retired *r)
{
	/* Relaxed: a setting; a resize missed or run once more is harmless. */
	if (!atomic_load_explicit(&m->impl->auto_resize, memory_order_relaxed))
		return;
	size_t c = count > 0 ? (size_t)count : 0;
	/* Relaxed: a hint; map__auto_resize() decides under the resize lock. */
	unsigned floor = atomic_load_explicit(&m->impl->floor_order, memory_order_relaxed);
	if (c > 2 * size || (c < size / 2 && size > ((size_t)1 << floor)))
		map__auto_resize(m, r);
}

int tern_map_resize(tern_map_t *m, size_t buckets)
{
	MAP__CHECK(m, "tern_map_resize");
	if (buckets == 0 || buckets > ((size_t)1 << TERN_MAP_MAX_ORDER))
		return EINVAL;
	unsigned target = 0;
	while (((size_t)1 << target) < buckets)
		target++;
	struct tern__map_impl *impl = m->impl;
	struct map__retired r = { 0 };
	int rc = 0;
	/* Held for every step, so that an automatic resize cannot undo them
	 * meanwhile; the retirements wait until it is released. */
	tern_lightlock_lock(&impl->resize);
	for (;;) {
		/* Relaxed: see map__grow(). */
		struct tern__map_table *t = atomic_load_explicit(&m->table, memory_order_relaxed);
		if (t->order == target)
			break;
		rc = t->order < target ? map__grow(m, &r) : map__shrink(m, &r);
		if (rc != 0)
			break;
	}
	if (rc == 0)
		/* Relaxed: written under the resize lock; a hint for writers.  A
		 * presized map keeps its size against automatic shrinking. */
		atomic_store_explicit(&impl->floor_order, target > impl->min_order ? target : impl->min_order,
				      memory_order_relaxed);
	tern_lightlock_unlock(&impl->resize);
	map__retire_now(m->domain, &r);
	return rc;
}

void tern_map_set_auto_resize(tern_map_t *m, bool on)
{
	MAP__CHECK(m, "tern_map_set_auto_resize");
	/* Relaxed: a setting read as a hint by writers. */
	atomic_store_explicit(&m->impl->auto_resize, on, memory_order_relaxed);
}

size_t tern_map_count(tern_map_t *m)
{
	MAP__CHECK(m, "tern_map_count");
	/* Relaxed: a snapshot (exact when no writer runs). */
	long c = atomic_load_explicit(&m->impl->count, memory_order_relaxed);
	return c > 0 ? (size_t)c : 0;
}

size_t tern_map_buckets(tern_map_t *m)
{
	MAP__CHECK(m, "tern_map_buckets");
	tern_epoch_domain_pin(m->domain);
	/* Acquire: pairs with the release stores of m->table in the resizer;
	 * the table is read (mask) while pinned. */
	struct tern__map_table *t = atomic_load_explicit(&m->table, memory_order_acquire);
	size_t n = (size_t)t->mask + 1;
	tern_epoch_domain_unpin(m->domain);
	return n;
}

/* -------------------------------------------------------------- writers */

/* Where a writer acts: the locked bucket, the link before, and the match
 * (or the first link after rkey's run). */
struct map__pos {
	struct tern__map_bucket *b;
	struct tern__map_link *prev, *cur;
	size_t size; /* buckets of the table the writer started with */
};

/*
 * Locks the segment holding the run of rkey rk (hash h) and finds the node
 * whose key equals key (or, if want is non-NULL, the node want).  Caller
 * pinned.  => true if found (pos->cur is it, pos->prev its predecessor);
 * false: pos->prev is the last link of the run or before it, pos->cur the
 * link after.  The caller unlocks pos->b.
 */
static bool map__seek(tern_map_t *m, const void *key, uint64_t h, uint64_t rk,
		      const struct tern_map_node *want, struct map__pos *pos)
{
	const struct tern_map_ops *ops = m->ops;
	struct tern__map_bucket *b;
	struct tern__map_link *prev, *cur;
retry:
	/* Acquire: pairs with the release stores of m->table in
	 * map__grow()/map__shrink() (I4). */
	{
		struct tern__map_table *t = atomic_load_explicit(&m->table, memory_order_acquire);
		pos->size = (size_t)t->mask + 1;
		b = tern__map_bucket_at(t, h & t->mask);
	}
	tern_lightlock_lock(&b->lock);
	for (;;) {
		if (b->dead) { /* unlinked by a shrink: its table is gone too */
			tern_lightlock_unlock(&b->lock);
			goto retry;
		}
		prev = &b->link;
		/* Relaxed: under b's lock (I1), here and in the walk below. */
		cur = atomic_load_explicit(&prev->next, memory_order_relaxed);
		while (cur != NULL && cur->rkey < rk && (cur->rkey & 1)) {
			prev = cur;
			cur = atomic_load_explicit(&cur->next, memory_order_relaxed);
		}
		if (cur == NULL || cur->rkey >= rk)
			break;
		/* A finer bucket's sentinel before rk: its segment holds the run. */
		struct tern__map_bucket *nb = map__bucket_of(cur);
		tern_lightlock_unlock(&b->lock);
		b = nb;
		tern_lightlock_lock(&b->lock);
	}
	pos->b = b;
	while (cur != NULL && cur->rkey == rk) {
		struct tern_map_node *n = tern__map_node_of(cur);
		if (want != NULL ? n == want : ops->equal(n, key, ops->ctx)) {
			pos->prev = prev;
			pos->cur = cur;
			return true;
		}
		prev = cur;
		/* Relaxed: under b's lock (I1). */
		cur = atomic_load_explicit(&cur->next, memory_order_relaxed);
	}
	pos->prev = prev;
	pos->cur = cur;
	return false;
}

/* Prepares node for linking (not yet reachable). */
static void map__prepare(tern_map_t *m, struct tern_map_node *node, uint64_t rk, struct tern__map_link *next)
{
	node->link.rkey = rk;
	node->destroy = m->ops->destroy;
	node->entry.fn = map__linked_marker;
	/* Relaxed: node is published by the caller's release store (I3). */
	atomic_store_explicit(&node->link.next, next, memory_order_relaxed);
}

int tern_map_insert(tern_map_t *m, struct tern_map_node *node)
{
	MAP__CHECK(m, "tern_map_insert");
	TERN_ASSERT(node != NULL, "tern_map_insert: node is NULL");
	TERN_ASSERT(node->entry.fn != map__linked_marker, "tern_map_insert: node is already in a map");
	const struct tern_map_ops *ops = m->ops;
	const void *key = ops->key(node, ops->ctx);
	uint64_t h = ops->hash(key, m->seed, ops->ctx), rk = tern__map_node_rkey(h);
	struct map__pos pos;
	tern_epoch_domain_pin(m->domain);
	if (map__seek(m, key, h, rk, NULL, &pos)) {
		tern_lightlock_unlock(&pos.b->lock);
		tern_epoch_domain_unpin(m->domain);
		return EEXIST;
	}
	map__prepare(m, node, rk, pos.cur);
	/* Release: pairs with the acquire loads of `next` in
	 * tern__map_find()/tern__map_skip() (I3); the linearization point. */
	atomic_store_explicit(&pos.prev->next, &node->link, memory_order_release);
	/* Relaxed: a counter ordered by the bucket lock ("Counter"). */
	long count = atomic_fetch_add_explicit(&m->impl->count, 1, memory_order_relaxed) + 1;
	tern_lightlock_unlock(&pos.b->lock);
	tern_epoch_domain_t *d = m->domain;
	struct map__retired r = { 0 };
	map__after_write(m, count, pos.size, &r);
	map__retire_now(d, &r); /* last: may run destructors (Callbacks) */
	tern_epoch_domain_unpin(d);
	return 0;
}

bool tern_map_replace(tern_map_t *m, struct tern_map_node *node)
{
	MAP__CHECK(m, "tern_map_replace");
	TERN_ASSERT(node != NULL, "tern_map_replace: node is NULL");
	TERN_ASSERT(node->entry.fn != map__linked_marker, "tern_map_replace: node is already in a map");
	const struct tern_map_ops *ops = m->ops;
	const void *key = ops->key(node, ops->ctx);
	uint64_t h = ops->hash(key, m->seed, ops->ctx), rk = tern__map_node_rkey(h);
	struct map__pos pos;
	tern_epoch_domain_pin(m->domain);
	bool found = map__seek(m, key, h, rk, NULL, &pos);
	long count;
	if (found) {
		/* Relaxed: under the lock (I1); the old node's next stays as it
		 * is (I2). */
		map__prepare(m, node, rk, atomic_load_explicit(&pos.cur->next, memory_order_relaxed));
		/* Release: pairs with the readers' acquire loads (I3); the one
		 * store that swaps the nodes is the linearization point. */
		atomic_store_explicit(&pos.prev->next, &node->link, memory_order_release);
		/* Relaxed: a heuristic input; unchanged count. */
		count = atomic_load_explicit(&m->impl->count, memory_order_relaxed);
	} else {
		map__prepare(m, node, rk, pos.cur);
		/* Release: as in tern_map_insert(). */
		atomic_store_explicit(&pos.prev->next, &node->link, memory_order_release);
		/* Relaxed: "Counter". */
		count = atomic_fetch_add_explicit(&m->impl->count, 1, memory_order_relaxed) + 1;
	}
	tern_lightlock_unlock(&pos.b->lock);
	tern_epoch_domain_t *d = m->domain;
	struct map__retired r = { 0 };
	if (found)
		map__retire_later(&r, &tern__map_node_of(pos.cur)->entry, map__node_reclaim);
	map__after_write(m, count, pos.size, &r);
	map__retire_now(d, &r); /* last: may run destructors (Callbacks) */
	tern_epoch_domain_unpin(d);
	return found;
}

/* Unlinks pos->cur (found by map__seek) and retires it. */
static void map__unlink(tern_map_t *m, struct map__pos *pos)
{
	/* Relaxed: under the lock (I1). */
	struct tern__map_link *after = atomic_load_explicit(&pos->cur->next, memory_order_relaxed);
	/* Release: pairs with the readers' acquire loads (I3); the
	 * linearization point of the removal. */
	atomic_store_explicit(&pos->prev->next, after, memory_order_release);
	/* Relaxed: "Counter". */
	long count = atomic_fetch_sub_explicit(&m->impl->count, 1, memory_order_relaxed) - 1;
	tern_lightlock_unlock(&pos->b->lock);
	tern_epoch_domain_t *d = m->domain;
	struct map__retired r = { 0 };
	map__retire_later(&r, &tern__map_node_of(pos->cur)->entry, map__node_reclaim);
	map__after_write(m, count, pos->size, &r);
	map__retire_now(d, &r); /* last: may run destructors (Callbacks) */
	tern_epoch_domain_unpin(d);
}

bool tern_map_remove(tern_map_t *m, const void *key)
{
	MAP__CHECK(m, "tern_map_remove");
	const struct tern_map_ops *ops = m->ops;
	uint64_t h = ops->hash(key, m->seed, ops->ctx);
	struct map__pos pos;
	tern_epoch_domain_pin(m->domain);
	if (!map__seek(m, key, h, tern__map_node_rkey(h), NULL, &pos)) {
		tern_lightlock_unlock(&pos.b->lock);
		tern_epoch_domain_unpin(m->domain);
		return false;
	}
	map__unlink(m, &pos);
	return true;
}

bool tern_map_remove_node(tern_map_t *m, struct tern_map_node *node)
{
	MAP__CHECK(m, "tern_map_remove_node");
	TERN_ASSERT(node != NULL, "tern_map_remove_node: node is NULL");
	TERN_ASSERT(tern_epoch_domain_is_pinned(m->domain),
		    "tern_map_remove_node: caller is not pinned in the map's epoch domain");
	/* rkey never changes while the node can be reached (I3); the caller's
	 * pin keeps the node from being destroyed. */
	uint64_t rk = node->link.rkey;
	TERN_ASSERT(rk & 1, "tern_map_remove_node: not a map node");
	struct map__pos pos;
	tern_epoch_domain_pin(m->domain);
	if (!map__seek(m, NULL, tern__map_reverse(rk), rk, node, &pos)) {
		tern_lightlock_unlock(&pos.b->lock);
		tern_epoch_domain_unpin(m->domain);
		return false;
	}
	map__unlink(m, &pos);
	return true;
}

/* ------------------------------------------------------ set-up, teardown */

static uint64_t map__mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint64_t map__random_seed(tern_map_t *m)
{
	uint64_t s = 0;
	if (getrandom(&s, sizeof s, GRND_NONBLOCK) != (ssize_t)sizeof s) {
		static atomic_ulong calls;
		struct timespec ts = { 0, 0 };
		(void)timespec_get(&ts, TIME_UTC);
		/* Relaxed: only makes successive fallback seeds differ. */
		uint64_t k = atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed);
		s = map__mix((uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^ (uint64_t)(uintptr_t)m ^
			     (uint64_t)(uintptr_t)&s ^ map__mix(k));
	}
	return s != 0 ? s : 0x5eed;
}

int tern_map_init(tern_map_t *m, const struct tern_map_ops *ops, tern_epoch_domain_t *domain, uint64_t seed)
{
	if (m == NULL || ops == NULL || ops->hash == NULL || ops->equal == NULL || ops->key == NULL)
		return EINVAL;
	struct tern__map_impl *impl = TERN_MALLOC(sizeof *impl);
	struct map__chunk *c0 = map__chunk_alloc(0, 1);
	struct tern__map_table *t0 = map__table_alloc(0, NULL);
	if (impl == NULL || c0 == NULL || t0 == NULL) {
		TERN_FREE(impl);
		TERN_FREE(c0);
		TERN_FREE(t0);
		return ENOMEM;
	}
	memset(impl, 0, sizeof *impl);
	/* Relaxed (all of set-up): the map is published by whatever makes it
	 * known to other threads (thread creation, a release store). */
	atomic_store_explicit(&impl->count, 0, memory_order_relaxed);
	atomic_store_explicit(&impl->auto_resize, true, memory_order_relaxed);
	tern_lightlock_init(&impl->resize);
	impl->min_order = 0;
	while (((size_t)1 << impl->min_order) < TERN_MAP_INIT_BUCKETS)
		impl->min_order++;
	/* Relaxed: not shared yet. */
	atomic_store_explicit(&impl->floor_order, impl->min_order, memory_order_relaxed);
	impl->chunks[0] = c0;
	t0->block[0] = &c0->b[0];
	atomic_store_explicit(&m->table, t0, memory_order_relaxed);
	m->head = &c0->b[0];
	m->impl = impl;
	m->ops = ops;
	m->domain = domain != NULL ? domain : tern_epoch_default_domain();
	m->seed = seed != TERN_MAP_SEED_RANDOM ? seed : map__random_seed(m);
	for (unsigned k = 0; k < impl->min_order; k++) {
		struct map__retired r = { 0 };
		if (map__grow(m, &r) != 0) {
			/* Nobody else has seen the map: free everything now. */
			for (unsigned j = 0; j <= TERN_MAP_MAX_ORDER; j++)
				TERN_FREE(impl->chunks[j]);
			TERN_FREE(atomic_load_explicit(&m->table, memory_order_relaxed));
			TERN_FREE(impl);
			m->impl = NULL;
			m->ops = NULL;
			return ENOMEM;
		}
		TERN_FREE(MAP__CONTAINER(r.e[0], struct tern__map_table, entry)); /* unseen old table */
	}
	return 0;
}

void tern_map_destroy(tern_map_t *m)
{
	TERN_ASSERT(m != NULL, "tern_map_destroy: map is NULL");
	TERN_ASSERT(m->ops != &tern__map_destroyed_ops, "tern_map_destroy: map already destroyed");
	MAP__CHECK(m, "tern_map_destroy");
	struct tern__map_impl *impl = m->impl;
	TERN_ASSERT(!tern_lightlock_is_locked(&impl->resize), "tern_map_destroy: a resize is in progress");
	/* From here on, debug builds catch any use of the map. */
	m->ops = &tern__map_destroyed_ops;
	m->impl = NULL;
	/* Pinned for the walk, so that none of the nodes it retires is
	 * destroyed before the walk is over (their callbacks must not use the
	 * map any more, see map.h, but their memory holds the links). */
	tern_epoch_domain_t *d = m->domain;
	tern_epoch_domain_pin(d);
	/* Relaxed (whole walk): no other thread may use the map any more, so
	 * the caller is ordered after every writer by its own synchronisation. */
	struct tern__map_link *l = atomic_load_explicit(&m->head->link.next, memory_order_relaxed);
	while (l != NULL) {
		struct tern__map_link *next = atomic_load_explicit(&l->next, memory_order_relaxed);
		if (l->rkey & 1) {
			/* Read next first: the retirement may run destructors,
			 * though not this node's before a grace period. */
			tern_epoch_domain_call(d, &tern__map_node_of(l)->entry, map__node_reclaim);
		} else {
			TERN_ASSERT(!tern_lightlock_is_locked(&map__bucket_of(l)->lock),
				    "tern_map_destroy: a writer is using the map");
		}
		l = next;
	}
	/* Pinned readers may still walk the sentinels and the table. */
	for (unsigned j = 0; j <= TERN_MAP_MAX_ORDER; j++)
		if (impl->chunks[j] != NULL)
			tern_epoch_domain_call(d, &impl->chunks[j]->entry, map__chunk_free);
	/* Relaxed: as for the walk. */
	struct tern__map_table *t = atomic_load_explicit(&m->table, memory_order_relaxed);
	tern_epoch_domain_call(d, &t->entry, map__table_free);
	TERN_FREE(impl);
	tern_epoch_domain_unpin(d); /* last: may run destructors */
}
