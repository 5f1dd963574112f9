/* SPDX-License-Identifier: MIT */
/*
 * src/epoch/epoch_garbage.h — garbage lists, the domain's sealed bins
 * (part of src/epoch/epoch.c).
 *
 * Invariants:
 *   - Three bins per domain: a bin holds garbage of one tag t at index
 *     t % 3.  Sealed tags are <= G, and only tags in {G - 1, G} are not yet
 *     due (due: t + 2 <= G).  So when garbage tagged t meets a bin holding
 *     t' != t, t' <= t - 3 is due and is parked, still due, in the bin
 *     that holds only due tags (epoch__bin_add()) — provided t itself was not due,
 *     which is why every
 *     insertion goes through epoch__sealed_put_locked() and its due filter.
 *   - epoch__seal_open() (epoch_reclaim.h) is the only code that moves garbage
 *     from a record to its domain: collections, flush, thread exit, the
 *     barrier (which takes other threads' open lists) and the fork child
 *     use it.  Domain destroy destroys everything directly (all of it is
 *     due: no thread may be pinned in a domain being destroyed).
 *   - A record's reserve bag never leaves the record: before garbage that
 *     uses it is sealed, the reserve's entries are copied to a heap bag, or
 *     the list stays open (pinned owner), or it is destroyed in place after
 *     a grace period (unpinned owner, no memory).  It is free again
 *     (reserve_busy clear) only when its entries are elsewhere: copied by
 *     its owner, copied by a barrier (reserve_replaced, under olock), or
 *     copied to the stack by the in-place seal before any destructor of
 *     its batch runs (epoch__seal_in_place(); a destructor may use it
 *     again).
 */

/* => an empty heap bag, or NULL. */
static struct tern__epoch_bag *epoch__bag_alloc(void)
{
	struct tern__epoch_bag *b = TERN_MALLOC(sizeof *b);
	if (b) {
		b->next = NULL;
		b->n = 0;
		b->reserve = false;
		b->on_stack = false;
	}
	return b;
}

static bool epoch__reserve_reclaim(rec_t *r);

/* => an empty bag for r: a spare, a new one, or (pinned and out of memory)
 * r's reserve, if it is free; NULL when none can be had. */
static struct tern__epoch_bag *epoch__bag_get(rec_t *r)
{
	struct tern__epoch_bag *b = r->spare;
	if (b) {
		r->spare = b->next;
		r->nspare--;
	} else if ((b = epoch__bag_alloc()) == NULL) {
		if (!tern__epoch_pinned(r->slot) || !epoch__reserve_reclaim(r))
			return NULL;
		b = &r->reserve; /* pinned and out of memory: the reserve */
		r->reserve_busy = true;
	}
	b->next = NULL;
	b->n = 0;
	return b;
}

static void epoch__bag_reserve_release(struct tern__epoch_bag *b)
{
	rec_t *owner = (rec_t *)((char *)b - offsetof(rec_t, reserve));
	owner->reserve_busy = false;
}

/* Returns an emptied bag to r's cache (r may be NULL: then freed). */
static void epoch__bag_put(rec_t *r, struct tern__epoch_bag *b)
{
	if (b->on_stack)
		return; /* a reserve's entries on the in-place seal's stack */
	if (b->reserve) {
		/* Only its owner's open list holds a reserve (see epoch__reserve_copy()). */
		epoch__bag_reserve_release(b);
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

static void epoch__bags_free_spare(rec_t *r)
{
	while (r->spare) {
		struct tern__epoch_bag *b = r->spare;
		r->spare = b->next;
		TERN_FREE(b);
	}
	r->nspare = 0;
}

static bool epoch__batch_empty(const batch_t *b)
{
	return b->count == 0 && b->bags == NULL && b->ents == NULL;
}

/* Appends src to dst in O(1) and empties src. */
static void epoch__gc_splice(batch_t *dst, batch_t *src)
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
static void epoch__gc_repair(batch_t *g)
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

/* Appends one object to list g if its head bag has room or a bag is given
 * (*spare, consumed).  => false (nothing changed) when a bag is needed.
 * Allocates nothing: callers holding a lock allocate before taking it. */
static bool epoch__gc_push(batch_t *g, void *obj, void (*fn)(void *), struct tern__epoch_bag **spare)
{
	struct tern__epoch_bag *b = g->bags;
	if (b == NULL || b->n == TERN_EPOCH_BAG_CAP) {
		if (spare == NULL || *spare == NULL)
			return false;
		b = *spare;
		*spare = NULL;
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

static void epoch__gc_push_entry(batch_t *g, struct tern_epoch_entry *e, void (*fn)(struct tern_epoch_entry *))
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
 * Moves garbage tagged t (not due at the current epoch g: t is g - 1 or g)
 * into the bin for t.  A different tag t' already there is due (three-bin
 * argument above: t' <= t - 3): a collection's budget left it, or no
 * collection ran since.  It is not destroyed here (the sealer runs no
 * budget) but parked in bin (g + 1) % 3 = (g - 2) % 3, which is not t's and
 * holds only tags <= g - 2 (due), under the later of the two tags: still
 * <= g - 2, so it stays due at g and at every later epoch, and a barrier
 * that takes what is due after this still finds it.
 */
static void epoch__bin_add(struct tern__epoch_bin *bins, uint64_t g, uint64_t t, batch_t *src)
{
	struct tern__epoch_bin *b = &bins[t % 3];
	if (b->g.count != 0 && b->tag != t) {
		TERN_ASSERT(b->tag + 3 <= t && t + 1 >= g && t <= g, "tern_epoch: bin tags out of order");
		struct tern__epoch_bin *p = &bins[(g + 1) % 3];
		TERN_ASSERT(p->g.count == 0 || p->tag + 2 <= g, "tern_epoch: parking bin not due");
		if (p->g.count == 0 || p->tag < b->tag)
			p->tag = b->tag;
		epoch__gc_splice(&p->g, &b->g);
	}
	b->tag = t;
	epoch__gc_splice(&b->g, src);
}

/* Moves whole bags, then entries, from the front of src to dst while dst
 * gains at most `max` objects (with `force`, at least one bag or entry:
 * progress).  src keeps the rest with exact count and tails. */
static void epoch__gc_take_upto(batch_t *dst, batch_t *src, size_t max, bool force)
{
	batch_t t = { 0 };
	while (src->bags && ((force && t.count == 0) || t.count + src->bags->n <= max)) {
		struct tern__epoch_bag *b = src->bags;
		src->bags = b->next;
		b->next = NULL;
		if (t.bags_tail)
			t.bags_tail->next = b;
		else
			t.bags = b;
		t.bags_tail = b;
		t.count += b->n;
		src->count -= b->n;
	}
	if (src->bags == NULL)
		src->bags_tail = NULL;
	while (src->ents && ((force && t.count == 0) || t.count < max)) {
		struct tern_epoch_entry *e = src->ents;
		src->ents = e->next;
		e->next = NULL;
		if (t.ents_tail)
			t.ents_tail->next = e;
		else
			t.ents = e;
		t.ents_tail = e;
		t.count++;
		src->count--;
	}
	if (src->ents == NULL)
		src->ents_tail = NULL;
	epoch__gc_splice(dst, &t);
}

/* Moves garbage of the bins whose tag is due at g (t + 2 <= g) to *due:
 * at most `budget` objects (whole bags; SIZE_MAX: all of it), except that
 * one bag is taken whatever its size if nothing else was.  => whether due
 * garbage stays in the bins. */
static bool epoch__bins_take_due(struct tern__epoch_bin *bins, uint64_t g, batch_t *due, size_t budget)
{
	size_t start = due->count;
	bool more = false;
	for (int i = 0; i < 3; i++) {
		if (bins[i].g.count == 0 || bins[i].tag + 2 > g)
			continue;
		size_t took = due->count - start;
		if (took >= budget)
			more = true;
		else if (bins[i].g.count <= budget - took)
			epoch__gc_splice(due, &bins[i].g);
		else {
			epoch__gc_take_upto(due, &bins[i].g, budget - took, took == 0);
			more = more || bins[i].g.count != 0;
		}
	}
	return more;
}

static void epoch__olock_acquire(rec_t *r)
{
	unsigned round = 0;
	/* Acquire: pairs with the release store in epoch__olock_release(): the
	 * previous holder's list updates are visible. */
	while (atomic_exchange_explicit(&r->olock, 1, memory_order_acquire))
		epoch_backoff(&round);
}

static void epoch__olock_release(rec_t *r)
{
	/* Release: pairs with the acquire exchange in epoch__olock_acquire(). */
	atomic_store_explicit(&r->olock, 0, memory_order_release);
}

/* => whether r's open list holds its reserve bag (caller holds r->olock). */
static bool epoch__open_has_reserve_locked(rec_t *r)
{
	for (struct tern__epoch_bag *b = r->open.bags; b; b = b->next)
		if (b->reserve)
			return true;
	return false;
}

/*
 * => whether r's reserve bag is free (owner only).  reserve_busy is set
 * when the reserve joins the open list, and cleared by its owner only: a
 * barrier that takes the list replaces the reserve by a heap copy
 * (epoch__reserve_replace_locked(), under olock) and cannot write the
 * flag, so it sets reserve_replaced instead.  The owner reads that under
 * olock and finds the reserve free again (a pinned owner out of memory
 * would otherwise wait for memory with a free reserve, and its pin would
 * hold back the barrier too).  Only the explicit mark counts: the reserve
 * is also outside the open list while a batch holding it waits for its
 * grace period (the in-place seal), and then it is not free.
 */
static bool epoch__reserve_reclaim(rec_t *r)
{
	if (!r->reserve_busy)
		return true;
	epoch__olock_acquire(r);
	bool replaced = r->reserve_replaced;
	r->reserve_replaced = false;
	epoch__olock_release(r);
	if (replaced)
		r->reserve_busy = false;
	return replaced;
}

/*
 * The owner's side of the append handshake.  Membarrier mode: mark
 * `appending`, then check `steal`, with no read-modify-write; a barrier
 * that wants the list sets `steal` (holding olock), runs membarrier() —
 * which puts a full barrier into this thread's instruction stream — and
 * then waits for `appending` to drop.  Store-buffering with a fence on
 * both sides: either the barrier sees `appending` set and waits, or this
 * thread sees `steal` and takes the lock instead.  Fence mode: the lock.
 * => true for the lock-free case (pass it to epoch__owner_leave()).
 */
static bool epoch__owner_enter(rec_t *r)
{
	if (r->mode == TERN__EPOCH_MEMBARRIER) {
		/* Relaxed: ordered before the load of `steal` by the
		 * membarrier() of a barrier that could miss it (see above). */
		atomic_store_explicit(&r->appending, 1, memory_order_relaxed);
		/* Compiler barrier only: the barrier's membarrier() is the fence. */
		atomic_signal_fence(memory_order_seq_cst);
		/* Acquire: pairs with the release store that ends a steal in
		 * epoch__steal_and_seal(): a list a barrier just took is seen empty.  (A
		 * stale 1 only sends us to the lock.) */
		if (TERN_LIKELY(!atomic_load_explicit(&r->steal, memory_order_acquire)))
			return true;
		/* Release: pairs with the acquire load in steal_open_lists(). */
		atomic_store_explicit(&r->appending, 0, memory_order_release);
	}
	epoch__olock_acquire(r);
	return false;
}

static void epoch__owner_leave(rec_t *r, bool lockfree)
{
	if (lockfree)
		/* Release: pairs with the acquire load in steal_open_lists(): the
		 * append is complete before a barrier that sees the flag drop. */
		atomic_store_explicit(&r->appending, 0, memory_order_release);
	else
		epoch__olock_release(r);
}

/* => whether r's open list holds anything (a snapshot). */
static bool epoch__record_has_garbage(rec_t *r)
{
	/* Relaxed: a snapshot of a counter written under r->olock. */
	return atomic_load_explicit(&r->pending, memory_order_relaxed) != 0;
}

/* Runs every destructor of the batch, with no tern lock held; returns bags
 * to r's cache (r may be NULL).  The batch is detached: the destructors may
 * re-enter tern freely. */
static void epoch__batch_destroy(dom_t *D, rec_t *r, batch_t *bt)
{
	if (epoch__batch_empty(bt))
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
		epoch__bag_put(r, x);
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
static void epoch__destroy_one(dom_t *D, void *obj, void (*fn)(void *))
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
 * "r has garbage, or its last collection left due garbage behind"
 * (r->due_left; callers pass the first part). */
static void epoch__pending_flag(rec_t *r, bool on)
{
	on = on || r->due_left;
	uint64_t s = tern__epoch_own_state(r->slot);
	uint64_t ns = on ? s | TERN__EPOCH_PENDING : s & ~(uint64_t)TERN__EPOCH_PENDING;
	if (ns != s)
		/* Release: every owner store to the state is a release store;
		 * pairs with the acquire load in try_advance_locked(). */
		atomic_store_explicit(&r->slot->state, ns, memory_order_release);
}

/* Publishes r's open count; the caller holds r->olock. */
static void epoch__pending_set_locked(rec_t *r)
{
	/* Relaxed: read by stats and epoch__record_has_garbage(); it orders nothing. */
	atomic_store_explicit(&r->pending, r->open.count, memory_order_relaxed);
}

/* ------------------------------------------------------- sealed bins */

/* Recomputes the sealed count and hints.  Under D->lock. */
static void epoch__sealed_recount_locked(dom_t *D)
{
	uint64_t n = 0, wait = 0;
	for (int i = 0; i < 3; i++) {
		n += D->bins[i].g.count;
		if (D->bins[i].g.count && D->bins[i].tag + 2 > wait)
			wait = D->bins[i].tag + 2;
	}
	D->sealed_count = n;
	/* Relaxed: hints read without the lock; the bins are read under it. */
	atomic_store_explicit(&D->sealed_hint, n, memory_order_relaxed);
	/* Relaxed: as above. */
	atomic_store_explicit(&D->sealed_wait, wait, memory_order_relaxed);
}

/* The due filter: garbage tagged t joins the bins if not yet due at g (the
 * current epoch, read under D->lock), else the caller's batch.  Under
 * D->lock; the caller recounts. */
static void epoch__sealed_put_locked(dom_t *D, uint64_t g, uint64_t t, batch_t *src, batch_t *due)
{
	if (src->count == 0 && src->bags == NULL && src->ents == NULL)
		return;
	if (t + 2 <= g)
		epoch__gc_splice(due, src);
	else
		epoch__bin_add(D->bins, g, t, src);
}

/* Counts a batch busy in the current phase (under D->lock) so that
 * barriers wait for its destruction.  => the phase, for epoch__sealed_destroy(). */
static int epoch__busy_enter_locked(dom_t *D)
{
	int ph = (int)D->busy_phase;
	/* Relaxed: under the lock; the barrier's acquire load pairs with the
	 * release decrement in epoch__sealed_destroy(). */
	atomic_fetch_add_explicit(&D->busy[ph], 1, memory_order_relaxed);
	return ph;
}

/* Detaches the garbage due at g into *due (at most about `budget`
 * objects, see epoch__bins_take_due(); *more says whether due garbage was left),
 * counted busy.  => its phase, or -1 if it took nothing. */
static int epoch__sealed_take_due(dom_t *D, uint64_t g, batch_t *due, bool wait, size_t budget, bool *more)
{
	*more = false;
	/* Relaxed: a hint; the bins themselves are read under the lock. */
	if (atomic_load_explicit(&D->sealed_hint, memory_order_relaxed) == 0)
		return -1;
	if (wait) {
		epoch__dom_lock(D);
	} else if (pthread_mutex_trylock(&D->lock) != 0) {
		*more = true; /* unknown: the caller's thread tries again later */
		return -1;
	}
	size_t before = due->count;
	*more = epoch__bins_take_due(D->bins, g, due, budget);
	int ph = -1;
	if (due->count != before) {
		epoch__sealed_recount_locked(D);
		ph = epoch__busy_enter_locked(D);
	}
	epoch__dom_unlock(D);
	return ph;
}

/* Destroys a batch counted busy in phase ph (nothing if ph < 0). */
static void epoch__sealed_destroy(dom_t *D, rec_t *r, batch_t *due, int ph)
{
	if (ph < 0)
		return;
	epoch__batch_destroy(D, r, due);
	/* Release: pairs with the acquire load in epoch__busy_drain(): the destructors
	 * above happen before a barrier that sees the count drop. */
	atomic_fetch_sub_explicit(&D->busy[ph], 1, memory_order_release);
}

/* Waits until every due batch taken before this call has been destroyed
 * (barrier).  Batches taken later count in the other phase. */
static void epoch__busy_drain(dom_t *D)
{
	pthread_mutex_lock(&D->barrier_lock);
	epoch__dom_lock(D);
	unsigned old = D->busy_phase;
	D->busy_phase ^= 1;
	epoch__dom_unlock(D);
	unsigned round = 0;
	/* Acquire: pairs with the release decrement in epoch__sealed_destroy(). */
	while (atomic_load_explicit(&D->busy[old], memory_order_acquire) != 0)
		epoch_backoff(&round);
	pthread_mutex_unlock(&D->barrier_lock);
}
