/*
 * src/epoch/epoch_garbage.h — garbage lists, bins, orphans and the one path
 * that moves garbage between owners (part of src/epoch/epoch.c).
 *
 * Invariants:
 *   - Three bins (per record, and the domain's orphan bins): a bin holds
 *     garbage of one tag t at index t % 3.  Sealed tags are <= G, and only
 *     tags in {G - 1, G} are not yet due (due: t + 2 <= G).  So when garbage
 *     tagged t meets a bin holding t' != t, t' <= t - 3 is due and is
 *     displaced to the caller's batch (bin_add()) — provided t itself was
 *     not due, which is why every insertion into the orphan bins goes
 *     through orphans_put_locked() and its due filter.
 *   - hand_over() is the only code that moves a record's bins to the
 *     domain: thread exit, flush and the fork child use it.  Domain destroy
 *     moves everything to its drain list (all of it is due: no thread may be
 *     pinned in a domain being destroyed).
 *   - A record's reserve bag never leaves the record: hand_over() first
 *     copies it to a heap bag (evict_reserve()).
 */

/* => an empty heap bag, or NULL. */
static struct tern__epoch_bag *bag_alloc(void)
{
	struct tern__epoch_bag *b = TERN_MALLOC(sizeof *b);
	if (b) {
		b->next = NULL;
		b->n = 0;
		b->reserve = false;
	}
	return b;
}

/* => an empty bag for r: a spare, a new one, or (pinned and out of memory)
 * r's reserve; NULL when none can be had. */
static struct tern__epoch_bag *bag_get(rec_t *r)
{
	struct tern__epoch_bag *b = r->spare;
	if (b) {
		r->spare = b->next;
		r->nspare--;
	} else if ((b = bag_alloc()) == NULL) {
		if (r->reserve_busy || !tern__epoch_pinned(r->slot))
			return NULL;
		b = &r->reserve; /* pinned and out of memory: the reserve */
		r->reserve_busy = true;
	}
	b->next = NULL;
	b->n = 0;
	return b;
}

static void bag_reserve_release(struct tern__epoch_bag *b)
{
	rec_t *owner = (rec_t *)((char *)b - offsetof(rec_t, reserve));
	owner->reserve_busy = false;
}

/* Returns an emptied bag to r's cache (r may be NULL: then freed). */
static void bag_put(rec_t *r, struct tern__epoch_bag *b)
{
	if (b->reserve) {
		/* Only its owner's own lists hold a reserve (see evict_reserve()). */
		bag_reserve_release(b);
		return;
	}
	if (r && r->nspare < TERN__EPOCH_MAX_SPARE) {
		b->next = r->spare;
		r->spare = b;
		r->nspare++;
		return;
	}
	TERN_FREE(b);
}

static void bags_free_spare(rec_t *r)
{
	while (r->spare) {
		struct tern__epoch_bag *b = r->spare;
		r->spare = b->next;
		TERN_FREE(b);
	}
	r->nspare = 0;
}

static bool batch_empty(const batch_t *b)
{
	return b->count == 0 && b->bags == NULL && b->ents == NULL;
}

/* Appends src to dst in O(1) and empties src. */
static void gc_splice(batch_t *dst, batch_t *src)
{
	if (src->bags) {
		if (dst->bags_tail)
			dst->bags_tail->next = src->bags;
		else
			dst->bags = src->bags;
		dst->bags_tail = src->bags_tail;
	}
	if (src->ents) {
		if (dst->ents_tail)
			dst->ents_tail->next = src->ents;
		else
			dst->ents = src->ents;
		dst->ents_tail = src->ents_tail;
	}
	dst->count += src->count;
	memset(src, 0, sizeof *src);
}

/* Recomputes a list's count and tails from its links (the fork child: an
 * owner interrupted between writing an entry and publishing it in the
 * count or tail). */
static void gc_repair(batch_t *g)
{
	size_t n = 0;
	g->bags_tail = NULL;
	for (struct tern__epoch_bag *b = g->bags; b; b = b->next) {
		n += b->n;
		g->bags_tail = b;
	}
	g->ents_tail = NULL;
	for (struct tern_epoch_entry *e = g->ents; e; e = e->next) {
		n++;
		g->ents_tail = e;
	}
	g->count = n;
}

/* Appends one object to a list, allocating a bag when the head one is full.
 * => false (nothing changed) when no bag can be had. */
static bool gc_push(rec_t *r, batch_t *g, void *obj, void (*fn)(void *))
{
	struct tern__epoch_bag *b = g->bags;
	if (b == NULL || b->n == TERN_EPOCH_BAG_CAP) {
		b = r ? bag_get(r) : bag_alloc();
		if (b == NULL)
			return false;
		b->next = g->bags;
		g->bags = b;
		if (g->bags_tail == NULL)
			g->bags_tail = b;
	}
	b->e[b->n].obj = obj;
	b->e[b->n].fn = fn;
	/* Compiler-only barrier: a fork() in another thread must not see the
	 * count before the entry (epoch.c, "fork()"). */
	atomic_signal_fence(memory_order_seq_cst);
	b->n++;
	g->count++;
	return true;
}

static void gc_push_entry(batch_t *g, struct tern_epoch_entry *e, void (*fn)(struct tern_epoch_entry *))
{
	e->fn = fn;
	e->next = g->ents;
	/* Compiler-only barrier: entry linked before it is published in the
	 * list (epoch.c, "fork()"). */
	atomic_signal_fence(memory_order_seq_cst);
	g->ents = e;
	if (g->ents_tail == NULL)
		g->ents_tail = e;
	g->count++;
}

/*
 * Moves garbage tagged t into the bin for t.  A different tag already there
 * is due (three-bin argument above) and moves to *due.
 */
static void bin_add(struct tern__epoch_bin *bins, uint64_t t, batch_t *src, batch_t *due)
{
	struct tern__epoch_bin *b = &bins[t % 3];
	if (b->g.count != 0 && b->tag != t) {
		TERN_ASSERT(b->tag + 3 <= t, "tern_epoch: bin tags out of order");
		gc_splice(due, &b->g);
	}
	b->tag = t;
	gc_splice(&b->g, src);
}

/* Moves the bins whose tag is due at g (t + 2 <= g) to *due. */
static void bins_take_due(struct tern__epoch_bin *bins, uint64_t g, batch_t *due)
{
	for (int i = 0; i < 3; i++)
		if (bins[i].g.count && bins[i].tag + 2 <= g)
			gc_splice(due, &bins[i].g);
}

static bool bins_waiting(const struct tern__epoch_bin *bins, uint64_t g)
{
	for (int i = 0; i < 3; i++)
		if (bins[i].g.count && bins[i].tag + 2 > g)
			return true;
	return false;
}

static bool record_has_garbage(const rec_t *r)
{
	return r->open.count || r->bins[0].g.count || r->bins[1].g.count || r->bins[2].g.count;
}

/* Runs every destructor of the batch, with no tern lock held; returns bags
 * to r's cache (r may be NULL).  The batch is detached: the destructors may
 * re-enter tern freely. */
static void batch_destroy(dom_t *D, rec_t *r, batch_t *bt)
{
	if (batch_empty(bt))
		return;
	batch_t b = *bt;
	memset(bt, 0, sizeof *bt);
	struct tern__epoch_dtor_frame frame = { D, tern__epoch_thr.dtors };
	tern__epoch_thr.dtors = &frame;
	size_t n = 0;
	for (struct tern__epoch_bag *x = b.bags, *next; x; x = next) {
		next = x->next;
		for (unsigned i = 0; i < x->n; i++, n++)
			x->e[i].fn(x->e[i].obj);
		bag_put(r, x);
	}
	for (struct tern_epoch_entry *e = b.ents, *next; e; e = next, n++) {
		next = e->next;
		e->fn(e);
	}
	tern__epoch_thr.dtors = frame.outer;
	TERN_ASSERT(n == b.count, "tern_epoch: garbage count mismatch");
	/* Relaxed: a statistics counter; no data is published through it. */
	atomic_fetch_add_explicit(&D->destroyed, n, memory_order_relaxed);
}

/* Runs one destructor outside any list (a defer that could not store its
 * object), as a batch of one. */
static void destroy_one(dom_t *D, void *obj, void (*fn)(void *))
{
	struct tern__epoch_dtor_frame frame = { D, tern__epoch_thr.dtors };
	tern__epoch_thr.dtors = &frame;
	fn(obj);
	tern__epoch_thr.dtors = frame.outer;
	/* Relaxed: statistics counter. */
	atomic_fetch_add_explicit(&D->destroyed, 1, memory_order_relaxed);
}

/* => whether the calling thread is running destructors of D's garbage
 * (any domain if D is NULL). */
__attribute__((unused)) static bool in_destructor_of(const dom_t *D)
{
	for (struct tern__epoch_dtor_frame *f = tern__epoch_thr.dtors; f; f = f->outer)
		if (D == NULL || f->dom == D)
			return true;
	return false;
}

/* Keeps TERN__EPOCH_PENDING (which sends unpin out of line) equal to
 * "r has garbage". */
static void pending_flag(rec_t *r, bool on)
{
	uint64_t s = tern__epoch_own_state(r->slot);
	uint64_t ns = on ? s | TERN__EPOCH_PENDING : s & ~(uint64_t)TERN__EPOCH_PENDING;
	if (ns != s)
		/* Release: every owner store to the state is a release store;
		 * pairs with the acquire load in try_advance_locked(). */
		atomic_store_explicit(&r->slot->state, ns, memory_order_release);
}

/* Recomputes r->pending from the record's own lists. */
static void pending_recount(rec_t *r)
{
	size_t n = r->open.count;
	for (int i = 0; i < 3; i++)
		n += r->bins[i].g.count;
	/* Relaxed: owner-only counter (single writer), read by stats; it
	 * orders nothing. */
	atomic_store_explicit(&r->pending, n, memory_order_relaxed);
	pending_flag(r, n != 0);
}

/* Marks r's lists as being rearranged (a fork() child then leaves them
 * alone: a leak in the child, never a double destruction).  The compiler
 * barriers keep the list updates inside the marked region.  No callback
 * runs while it is set. */
static void splice_begin(rec_t *r)
{
	r->splicing = true;
	/* Compiler-only barrier: fork consistency, not threads. */
	atomic_signal_fence(memory_order_seq_cst);
}

static void splice_end(rec_t *r)
{
	/* Compiler-only barrier: see splice_begin(). */
	atomic_signal_fence(memory_order_seq_cst);
	r->splicing = false;
}

/* ------------------------------------------------------------ orphans */

/* Recomputes the orphan count and hints.  Under D->lock. */
static void orphans_recount_locked(dom_t *D)
{
	uint64_t n = 0, wait = 0;
	for (int i = 0; i < 3; i++) {
		n += D->orphans[i].g.count;
		if (D->orphans[i].g.count && D->orphans[i].tag + 2 > wait)
			wait = D->orphans[i].tag + 2;
	}
	D->orphan_count = n;
	/* Relaxed: hints read without the lock; the bins are read under it. */
	atomic_store_explicit(&D->orphan_hint, n, memory_order_relaxed);
	/* Relaxed: as above. */
	atomic_store_explicit(&D->orphan_wait, wait, memory_order_relaxed);
}

/* The due filter: garbage tagged t joins the orphan bins if not yet due at
 * g (the current epoch, read under D->lock), else the caller's batch.
 * Under D->lock; the caller recounts. */
static void orphans_put_locked(dom_t *D, uint64_t g, uint64_t t, batch_t *src, batch_t *due)
{
	if (src->count == 0 && src->bags == NULL)
		return;
	if (t + 2 <= g)
		gc_splice(due, src);
	else
		bin_add(D->orphans, t, src, due);
}

/* Detaches the orphan bins due at g into *due and counts the batch busy
 * (tern_epoch_barrier() waits for busy batches).  => whether it took any. */
static bool orphans_take_due(dom_t *D, uint64_t g, batch_t *due, bool wait)
{
	/* Relaxed: a hint; the bins themselves are read under the lock. */
	if (atomic_load_explicit(&D->orphan_hint, memory_order_relaxed) == 0)
		return false;
	if (wait)
		dom_lock(D);
	else if (pthread_mutex_trylock(&D->lock) != 0)
		return false;
	size_t before = due->count;
	bins_take_due(D->orphans, g, due);
	bool took = due->count != before;
	if (took) {
		orphans_recount_locked(D);
		/* Relaxed: incremented under the lock; the barrier's acquire load
		 * pairs with the release decrement in orphans_destroy(). */
		atomic_fetch_add_explicit(&D->orphan_busy, 1, memory_order_relaxed);
	}
	dom_unlock(D);
	return took;
}

static void orphans_destroy(dom_t *D, rec_t *r, batch_t *due, bool took)
{
	if (!took)
		return;
	batch_destroy(D, r, due);
	/* Release: pairs with the acquire load in barrier_in(): the destructors
	 * above happen before a barrier that sees the count drop. */
	atomic_fetch_sub_explicit(&D->orphan_busy, 1, memory_order_release);
}

/* ------------------------------------------------------- hand-over */

/*
 * The reserve bag lives in the record, which may die before the garbage in
 * it is due: wherever it is (open list or a bin), copy its entries to a
 * heap bag.  Without memory, an unpinned owner (may_wait) whose reserve is
 * in a bin waits until that bin is due and destroys it in place (*due);
 * otherwise the reserve stays with the record (a pinned flush keeps it,
 * documented) and => false.
 */
static bool evict_reserve(dom_t *D, rec_t *r, bool may_wait, batch_t *due);

/*
 * The one path that moves a record's sealed garbage to its domain: the
 * bins already due go to *due (the caller destroys them, outside the lock);
 * the others join the orphan bins through the due filter.  r's open list
 * must be sealed (empty) unless it is kept (pinned reserve).  Used by
 * thread exit, flush and the fork child.  Caller: splicing mark on r.
 */
static void hand_over_locked(dom_t *D, rec_t *r, batch_t *due)
{
	/* Relaxed: under the lock that serialises advances. */
	uint64_t g = atomic_load_explicit(EPOCH(D), memory_order_relaxed);
	for (int i = 0; i < 3; i++) {
		struct tern__epoch_bin *b = &r->bins[i];
		if (b->g.count == 0)
			continue;
		if (r->reserve_busy) {
			bool has_reserve = false;
			for (struct tern__epoch_bag *x = b->g.bags; x; x = x->next)
				has_reserve |= x == &r->reserve;
			if (has_reserve)
				continue; /* stays with its pinned owner */
		}
		orphans_put_locked(D, g, b->tag, &b->g, due);
	}
	orphans_recount_locked(D);
}

static void hand_over(dom_t *D, rec_t *r, bool may_wait, batch_t *due)
{
	evict_reserve(D, r, may_wait, due);
	splice_begin(r);
	dom_lock(D);
	hand_over_locked(D, r, due);
	dom_unlock(D);
	pending_recount(r);
	splice_end(r);
}
