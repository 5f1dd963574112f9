/* SPDX-License-Identifier: MIT */
/*
 * src/epoch/epoch_reclaim.h — the reclamation flow, top-down: defer (W1),
 * seal (W2), advance (A), reclaim (C), the out-of-line pin and unpin (R1,
 * R3), quiescent-state readers and polled grace periods.  Part of
 * src/epoch/epoch.c, whose Concurrency block defines the steps cited here.
 *
 * Invariants:
 *   - A record's open list holds at most TERN_EPOCH_BAG_CAP objects: the
 *     defer that would exceed it seals the list first.  So an idle thread
 *     keeps at most that many objects waiting, and tern_epoch_barrier()
 *     takes even those.
 *   - epoch__collect() is not re-entered for one record: a destructor it runs that
 *     defers or collects again finds `collecting` set; the deferred garbage
 *     waits in the open list for the next collection.  Except the reserve
 *     bag: a nested collection, unpinned, frees it (copy, or the in-place
 *     seal), so that every pinned section of every destructor has it whole.
 *   - No lock is held while a destructor or the allocator runs
 *     (epoch__batch_destroy() runs on a detached batch, after unlocking; bags are
 *     allocated before r->olock or D->lock is taken).
 */

static void epoch__collect(dom_t *D, rec_t *r, int attempts, size_t budget);
static uint64_t try_advance(dom_t *D, bool wait);
static void epoch__wait_epoch(dom_t *D, uint64_t target);
static void epoch__synchronize_grace(dom_t *D);

/* ------------------------------------------------------ W2: seal */

/* Seals a detached batch under D->lock: tags it with the current epoch
 * (after F_W) and adds it to D's bins.  Displaced due garbage goes to *due.
 * Sealing under the lock that barriers take makes it atomic for them: a
 * barrier finds any object either in an open list or in the bins. */
static void epoch__seal_locked(dom_t *D, batch_t *b, batch_t *due)
{
	if (epoch__batch_empty(b))
		return;
	/* Seq_cst fence (F_W): pairs with the readers' fence in
	 * tern__epoch_pin_slow() / the collector's membarrier and seq_cst fence
	 * in epoch__heavy_barrier(): every unlink that happened before the defers in
	 * the batch (sequenced before them, or ordered through r->olock and
	 * the appending handshake when a barrier seals another thread's list)
	 * precedes the epoch load that tags them. */
	atomic_thread_fence(memory_order_seq_cst);
	/* Relaxed: under the lock that serialises advances; ordering comes
	 * from the fence above (see the proof). */
	uint64_t t = atomic_load_explicit(EPOCH(D), memory_order_relaxed);
	epoch__sealed_put_locked(D, t, t, b, due);
	epoch__sealed_recount_locked(D);
}

/* Counts a due batch busy (under D->lock) so that barriers wait for its
 * destruction.  => its phase, or -1 if it is empty (for epoch__sealed_destroy()). */
static int epoch__due_busy_locked(dom_t *D, const batch_t *due)
{
	return epoch__batch_empty(due) ? -1 : epoch__busy_enter_locked(D);
}

/* Replaces r's reserve bag in its open list by *spare, with the same
 * entries (caller holds r->olock; *spare consumed).  The owner's
 * reserve_busy stays set (owner only); reserve_replaced tells
 * epoch__reserve_reclaim() that the reserve is free.  => false without a
 * spare. */
static bool epoch__reserve_replace_locked(rec_t *r, struct tern__epoch_bag **spare)
{
	if (*spare == NULL)
		return false;
	for (struct tern__epoch_bag **pp = &r->open.bags; *pp; pp = &(*pp)->next) {
		if (!(*pp)->reserve)
			continue;
		struct tern__epoch_bag *copy = *spare, *res = *pp;
		*spare = NULL;
		memcpy(copy, res, sizeof *copy);
		copy->reserve = false;
		*pp = copy;
		if (r->open.bags_tail == res)
			r->open.bags_tail = copy;
		r->reserve_replaced = true;
		return true;
	}
	return true;
}

/* Takes r's open list (caller holds r->olock). */
static void epoch__open_take_locked(rec_t *r, batch_t *out)
{
	epoch__gc_splice(out, &r->open);
	epoch__pending_set_locked(r);
}

/*
 * Before the open list leaves its record, the reserve bag in it (if any)
 * is copied to a heap bag.  => false without memory (the reserve stays).
 */
static bool epoch__reserve_copy(rec_t *r)
{
	if (epoch__reserve_reclaim(r))
		return true; /* not in use, or a barrier copied it already */
	struct tern__epoch_bag *copy = epoch__bag_alloc();
	if (copy == NULL)
		return false;
	epoch__olock_acquire(r);
	bool free_again = r->reserve_replaced; /* a barrier replaced it meanwhile */
	r->reserve_replaced = false;
	for (struct tern__epoch_bag **pp = &r->open.bags; *pp && !free_again; pp = &(*pp)->next) {
		if (*pp != &r->reserve)
			continue;
		memcpy(copy, &r->reserve, sizeof *copy);
		copy->reserve = false;
		*pp = copy;
		if (r->open.bags_tail == &r->reserve)
			r->open.bags_tail = copy;
		copy = NULL;
		free_again = true;
	}
	epoch__olock_release(r);
	if (copy != NULL)
		TERN_FREE(copy);
	/* Neither copied nor replaced: the reserve is not in the list (it
	 * cannot be elsewhere while busy, see epoch__seal_in_place()); the
	 * flag stays, and the list can be sealed. */
	if (free_again)
		r->reserve_busy = false;
	return true;
}

/*
 * The unpinned owner without memory to copy its reserve: takes the open
 * list, waits a grace period and destroys it here (counted busy meanwhile).
 * First the reserve's entries move to a bag on this frame's stack and the
 * reserve is free again, before any destructor of the batch runs: one that
 * pins and defers without memory may need it, and must not be handed a bag
 * whose entries are still to run.  Out of line, so that other frames do not
 * carry the bag (about 1 KB at the default TERN_EPOCH_BAG_CAP).
 */
static EPOCH__NOINLINE void epoch__seal_in_place(dom_t *D, rec_t *r)
{
	struct tern__epoch_bag copy;
	batch_t b = { 0 };
	epoch__dom_lock(D); /* a barrier sees the list either open or busy */
	epoch__olock_acquire(r);
	epoch__open_take_locked(r, &b);
	epoch__olock_release(r);
	int ph = epoch__busy_enter_locked(D);
	epoch__dom_unlock(D);
	for (struct tern__epoch_bag **pp = &b.bags; *pp; pp = &(*pp)->next) {
		struct tern__epoch_bag *x = *pp;
		if (!x->reserve)
			continue;
		memcpy(&copy, x, offsetof(struct tern__epoch_bag, e) + x->n * sizeof x->e[0]);
		copy.reserve = false;
		copy.on_stack = true;
		*pp = &copy;
		if (b.bags_tail == x)
			b.bags_tail = &copy;
		epoch__bag_put(r, x); /* reserve_busy = false */
		break;
	}
	epoch__pending_flag(r, false);
	/* Seq_cst fence (F_W, as in epoch__seal_locked()). */
	atomic_thread_fence(memory_order_seq_cst);
	/* Acquire: pairs with the seq_cst store in try_advance_locked(). */
	uint64_t t = atomic_load_explicit(EPOCH(D), memory_order_acquire);
	epoch__wait_epoch(D, t + 2);
	epoch__sealed_destroy(D, r, &b, ph);
}

/*
 * W2 for the owner: moves its open list to the domain, and destroys the due
 * garbage that displaces (counted busy).  While pinned with the reserve bag
 * in use (out of memory), the list stays open: sealed now it would carry an
 * epoch this thread's own pin keeps from becoming due, and the next defer
 * needing a bag would retry forever; the unpin seals it.  Unpinned without
 * memory to copy the reserve, the list is tagged, waited for and destroyed
 * in place (counted busy meanwhile).
 */
static void epoch__seal_open(dom_t *D, rec_t *r)
{
	if (!epoch__record_has_garbage(r)) {
		/* A barrier may have taken the list with the reserve's copy: the
		 * flag is exact again, so unpins stop collecting for it. */
		epoch__reserve_reclaim(r);
		return;
	}
	batch_t b = { 0 }, due = { 0 };
	if (!epoch__reserve_copy(r)) {
		if (!tern__epoch_pinned(r->slot))
			epoch__seal_in_place(D, r);
		return;
	}
	epoch__dom_lock(D);
	epoch__olock_acquire(r);
	epoch__open_take_locked(r, &b);
	epoch__olock_release(r);
	epoch__seal_locked(D, &b, &due);
	int ph = epoch__due_busy_locked(D, &due);
	epoch__dom_unlock(D);
	epoch__pending_flag(r, false);
	epoch__sealed_destroy(D, r, &due, ph);
}

/* ------------------------------------------------------ W1: defer */

/* Waits a grace period, then destroys obj in place: a defer that cannot
 * store obj (no memory, no record) and is not pinned. */
static void epoch__destroy_after_grace(dom_t *D, void *obj, void (*fn)(void *))
{
	epoch__synchronize_grace(D); /* obj is tagged like a sealed object */
	epoch__destroy_one(D, obj, fn);
}

/* Appends obj to r's open list.  => false when no bag can be had. */
static bool epoch__open_append(rec_t *r, void *obj, void (*fn)(void *))
{
	bool lf = epoch__owner_enter(r);
	bool ok = epoch__gc_push(&r->open, obj, fn, NULL);
	if (ok)
		epoch__pending_set_locked(r);
	epoch__owner_leave(r, lf);
	if (ok)
		return true;
	struct tern__epoch_bag *b = epoch__bag_get(r); /* outside the handshake: may allocate */
	if (b == NULL)
		return false;
	lf = epoch__owner_enter(r);
	epoch__gc_push(&r->open, obj, fn, &b);
	epoch__pending_set_locked(r);
	epoch__owner_leave(r, lf);
	if (b != NULL)
		epoch__bag_put(r, b);
	return true;
}

static void epoch__open_append_entry(rec_t *r, struct tern_epoch_entry *e, void (*fn)(struct tern_epoch_entry *))
{
	bool lf = epoch__owner_enter(r);
	epoch__gc_push_entry(&r->open, e, fn);
	epoch__pending_set_locked(r);
	epoch__owner_leave(r, lf);
}

/* Before an append: a full open list is sealed first (the idle-thread
 * bound); after it, epoch__defer_done() collects every epoch__collect_interval() defers. */
static void epoch__defer_prepare(dom_t *D, rec_t *r)
{
	/* Relaxed: the owner's own counter. */
	if (atomic_load_explicit(&r->pending, memory_order_relaxed) >= TERN_EPOCH_BAG_CAP)
		epoch__seal_open(D, r);
}

/* => how many defers a thread makes between collections: at least
 * TERN_EPOCH_COLLECT_DEFERS, more when the heavy barrier is slow, so that
 * one advance (one membarrier) serves at least barrier_ns /
 * TERN__EPOCH_BARRIER_NS_PER_OBJ objects; at most 16 times the minimum
 * (the bound on pending garbage).  In time, collections then follow the
 * deferral rate: a thread that defers faster collects more often. */
static size_t epoch__collect_interval(dom_t *D)
{
	/* Relaxed: a hint; any recent value paces collections correctly. */
	uint64_t n = atomic_load_explicit(&D->barrier_ns, memory_order_relaxed) / TERN__EPOCH_BARRIER_NS_PER_OBJ;
	if (n < TERN_EPOCH_COLLECT_DEFERS)
		return TERN_EPOCH_COLLECT_DEFERS;
	return n > 16u * TERN_EPOCH_COLLECT_DEFERS ? 16u * TERN_EPOCH_COLLECT_DEFERS : (size_t)n;
}

/* => whether r's unpins (or quiescent states) have reached the collection
 * point: every TERN_EPOCH_COLLECT_PINS of them, stretched by the same factor
 * as epoch__collect_interval() (up to 16) while the heavy barrier is slow,
 * so that a thread that pins a lot and defers little does not pay a slow
 * membarrier every few hundred operations. */
static bool epoch__unpins_due(dom_t *D, rec_t *r)
{
	if (++r->unpins < TERN_EPOCH_COLLECT_PINS)
		return false;
	size_t scale = epoch__collect_interval(D) / TERN_EPOCH_COLLECT_DEFERS;
	return r->unpins >= TERN_EPOCH_COLLECT_PINS * scale;
}

static void epoch__defer_done(dom_t *D, rec_t *r)
{
	epoch__pending_flag(r, true);
	if (TERN_UNLIKELY(++r->since_collect >= TERN_EPOCH_COLLECT_DEFERS &&
	                  r->since_collect >= epoch__collect_interval(D))) {
		/* Relaxed: a hint. */
		uint64_t p = atomic_load_explicit(&D->sealed_hint, memory_order_relaxed);
		epoch__collect(D, r, p > TERN_EPOCH_PENDING_MAX ? 4 : 1, SIZE_MAX);
	}
}

/* W1: appends obj to r's open list (no fence, no shared access). */
static void epoch__defer_in(dom_t *D, rec_t *r, void *obj, void (*fn)(void *))
{
	epoch__defer_prepare(D, r);
	if (TERN_LIKELY(epoch__open_append(r, obj, fn))) {
		epoch__defer_done(D, r);
		return;
	}
	if (!tern__epoch_pinned(r->slot)) {
		epoch__destroy_after_grace(D, obj, fn);
		return;
	}
	/* Pinned, no memory and the reserve is full: our own pin keeps a grace
	 * period from ending, so collect what is due (returns bags to the
	 * cache) and retry with backoff; the object is never dropped. */
	for (unsigned round = 0;; epoch_backoff(&round)) {
		epoch__collect(D, r, 2, SIZE_MAX);
		if (epoch__open_append(r, obj, fn)) {
			epoch__pending_flag(r, true);
			return;
		}
	}
}

/* A dying domain (only its destroyer may use it): everything deferred is
 * due, and tern_epoch_domain_destroy() drains the list. */
static void epoch__drain_push(dom_t *D, void *obj, void (*fn)(void *))
{
	struct tern__epoch_bag *b = epoch__bag_alloc(); /* outside the lock */
	epoch__dom_lock(D);
	bool ok = epoch__gc_push(&D->drain, obj, fn, &b);
	epoch__dom_unlock(D);
	if (b != NULL)
		TERN_FREE(b);
	if (!ok)
		epoch__destroy_one(D, obj, fn); /* no memory: due already, destroy in place */
}

static void epoch__defer_obj(struct tern_epoch_domain *d, void *obj, void (*fn)(void *))
{
	dom_t *D = d->impl;
	if (TERN_UNLIKELY(epoch__dom_dying(D))) {
		epoch__drain_push(D, obj, fn);
		return;
	}
	rec_t *r = epoch__record_lookup(D, true);
	if (TERN_UNLIKELY(r == NULL)) {
		epoch__destroy_after_grace(D, obj, fn); /* no memory for a record */
		return;
	}
	epoch__defer_in(D, r, obj, fn);
	epoch__late_done(r);
}

static void epoch__defer_entry(struct tern_epoch_domain *d, struct tern_epoch_entry *e,
			void (*fn)(struct tern_epoch_entry *))
{
	dom_t *D = d->impl;
	if (TERN_UNLIKELY(epoch__dom_dying(D))) {
		epoch__dom_lock(D);
		epoch__gc_push_entry(&D->drain, e, fn);
		epoch__dom_unlock(D);
		return;
	}
	rec_t *r = epoch__record_lookup(D, true);
	if (TERN_UNLIKELY(r == NULL)) {
		epoch__synchronize_grace(D); /* no memory for a record: as epoch__destroy_after_grace() */
		struct tern__epoch_dtor_frame frame = { D, tern__epoch_thr.dtors };
		tern__epoch_thr.dtors = &frame;
		fn(e);
		tern__epoch_thr.dtors = frame.outer;
		/* Relaxed: statistics counter. */
		atomic_fetch_add_explicit(&D->destroyed, 1, memory_order_relaxed);
		return;
	}
	epoch__defer_prepare(D, r);
	epoch__open_append_entry(r, e, fn);
	epoch__defer_done(D, r);
	epoch__late_done(r);
}

/* ------------------------------------------------------ A: advance */

/* Records that r refused an advance from g (stall statistics).  Under
 * D->lock. */
static void epoch__note_refusal(dom_t *D, rec_t *r, uint64_t e)
{
	if (r->stall_epoch != e || r->stall_since_ns == 0) {
		r->stall_epoch = e;
		r->stall_since_ns = epoch_now_ns();
		r->stall_refusals = 0;
	}
	r->stall_refusals++;
	/* Relaxed: statistics counter. */
	atomic_fetch_add_explicit(&D->failed_advances, 1, memory_order_relaxed);
}

/* epoch__heavy_barrier(), timing it in membarrier mode (epoch__collect_interval()).
 * Under D->lock. */
static void epoch__heavy_barrier_timed(dom_t *D)
{
	if (epoch__need_fence()) {
		epoch__heavy_barrier();
		return;
	}
	uint64_t t0 = epoch_now_ns();
	epoch__heavy_barrier();
	uint64_t dt = epoch_now_ns() - t0;
	if (dt > TERN__EPOCH_BARRIER_NS_MAX)
		dt = TERN__EPOCH_BARRIER_NS_MAX; /* preempted in the call: not the barrier's cost */
	/* Relaxed: a hint written under the lock (see dom_t). */
	uint64_t avg = atomic_load_explicit(&D->barrier_ns, memory_order_relaxed);
	/* Relaxed: as above. */
	atomic_store_explicit(&D->barrier_ns, avg ? (3 * avg + dt) / 4 : dt, memory_order_relaxed);
}

/* Step A with D->lock held.  => the epoch after the attempt. */
static uint64_t try_advance_locked(dom_t *D)
{
	/* Relaxed: advances are serialised by D->lock, so this thread wrote or
	 * acquired (through the lock) the latest value. */
	uint64_t g = atomic_load_explicit(EPOCH(D), memory_order_relaxed);
	/* Cheap pre-scan: a thread visibly pinned at an older epoch refuses the
	 * advance whatever the barrier shows, so skip the barrier (a
	 * membarrier system call).  A stale "unpinned" here is decided by the
	 * real scan below. */
	for (rec_t *r = D->records; r; r = r->next) {
		/* Relaxed: a hint; only the acquire scan after the barrier decides
		 * that an advance may happen. */
		uint64_t s = atomic_load_explicit(&r->slot->state, memory_order_relaxed);
		if ((s & TERN__EPOCH_PINNED) && (s >> TERN__EPOCH_SHIFT) != g) {
			epoch__note_refusal(D, r, s >> TERN__EPOCH_SHIFT);
			return g;
		}
	}
	epoch__heavy_barrier_timed(D);
	for (rec_t *r = D->records; r; r = r->next) {
		/* Acquire: pairs with the release stores of the state (R1 announce,
		 * R3 unpin, flag updates, quiescent states): a reader seen
		 * unpinned has finished using what it read, and one seen pinned at
		 * g began after it. */
		uint64_t s = atomic_load_explicit(&r->slot->state, memory_order_acquire);
		uint64_t e = s >> TERN__EPOCH_SHIFT;
		if ((s & TERN__EPOCH_PINNED) && e != g) {
			epoch__note_refusal(D, r, e);
			return g;
		}
	}
	for (rec_t *r = D->records; r; r = r->next)
		r->stall_since_ns = 0;
	/* Seq_cst store: pairs with the acquire loads of G in the pin (R1) and
	 * in epoch__collect() (C), and takes part in the total order S used by the
	 * proof (the advance t -> t + 1 follows F_W). */
	atomic_store_explicit(EPOCH(D), g + 1, memory_order_seq_cst);
	/* Relaxed: statistics counter. */
	atomic_fetch_add_explicit(&D->advances, 1, memory_order_relaxed);
	return g + 1;
}

/* => the epoch after one attempt; with wait == false, gives up if another
 * thread holds the lock (it advances, or moves garbage, for everyone). */
static uint64_t try_advance(dom_t *D, bool wait)
{
	if (wait)
		epoch__dom_lock(D);
	else if (pthread_mutex_trylock(&D->lock) != 0)
		/* Acquire: pairs with the seq_cst store in try_advance_locked(). */
		return atomic_load_explicit(EPOCH(D), memory_order_acquire);
	uint64_t g = try_advance_locked(D);
	epoch__dom_unlock(D);
	return g;
}

/* Waits until G >= target (advancing it).  The caller is not pinned in D. */
static void epoch__wait_epoch(dom_t *D, uint64_t target)
{
	unsigned round = 0;
	/* Acquire: pairs with the seq_cst store in try_advance_locked(). */
	while (atomic_load_explicit(EPOCH(D), memory_order_acquire) < target) {
		/* Relaxed: compared with the result below only to pace the loop. */
		uint64_t before = atomic_load_explicit(EPOCH(D), memory_order_relaxed);
		if (try_advance(D, true) == before)
			epoch_backoff(&round);
		else
			round = 0;
	}
}

/* => the epoch at which a grace period that starts now is complete. */
static uint64_t grace_target(dom_t *D)
{
	/* Seq_cst fence (F_W): the caller's unlinks before this call are
	 * treated as one sealed batch tagged g; see epoch__seal_locked(). */
	atomic_thread_fence(memory_order_seq_cst);
	/* Acquire: pairs with the seq_cst store in try_advance_locked(). */
	uint64_t g = atomic_load_explicit(EPOCH(D), memory_order_acquire);
	/* Every pin begun before this point announced an epoch <= g; the
	 * advance g + 1 -> g + 2 is refused while such a pin lasts. */
	return g + 2;
}

/* A full grace period from the caller's point of view (synchronize). */
static void epoch__synchronize_grace(dom_t *D)
{
	epoch__wait_epoch(D, grace_target(D));
}

/* ------------------------------------------------------ C: reclaim */

/* Advances (at most `attempts` times) while sealed garbage waits, then
 * takes and destroys what is due at the resulting epoch, about `budget`
 * objects at most; r (NULL if the caller has no record) gets the emptied
 * bags.  => whether due garbage was left for a later collection. */
static bool epoch__collect_sealed(dom_t *D, rec_t *r, int attempts, size_t budget)
{
	/* Acquire: pairs with the seq_cst store in try_advance_locked(); the
	 * advance's scan (which saw readers unpinned) happens before the
	 * destruction below. */
	uint64_t g = atomic_load_explicit(EPOCH(D), memory_order_acquire);
	/* Relaxed: a hint; the bins are read under the lock. */
	for (int i = 0; i < attempts && atomic_load_explicit(&D->sealed_wait, memory_order_relaxed) > g; i++) {
		uint64_t ng = try_advance(D, false);
		if (ng == g)
			break; /* a reader lags, or another thread holds the lock */
		g = ng;
	}
	batch_t due = { 0 };
	bool more;
	int ph = epoch__sealed_take_due(D, g, &due, false, budget, &more);
	epoch__sealed_destroy(D, r, &due, ph);
	return more;
}

/*
 * Seals the open garbage, advances the epoch if sealed garbage (any
 * thread's) is not yet due, at most `attempts` times, and destroys what is
 * due, about `budget` objects at most.  Due garbage left over keeps r's
 * PENDING flag set, so r's next periodic collection continues (any other
 * thread's collection may too).  Never waits for readers.  With nothing
 * pending it does no work.
 */
static void epoch__collect(dom_t *D, rec_t *r, int attempts, size_t budget)
{
	if (r == &D->dead)
		return;
	if (r->collecting) {
		/* A destructor's pinned section filled the reserve (no memory) and
		 * has ended: free it now, not when the outer collection returns,
		 * or the next pinned section in this batch would find it partly
		 * full and wait for memory. */
		if (r->reserve_busy && !tern__epoch_pinned(r->slot) && !epoch__reserve_copy(r))
			epoch__seal_in_place(D, r);
		return;
	}
	r->collecting = true;
	epoch__seal_open(D, r);
	r->due_left = epoch__collect_sealed(D, r, attempts, budget);
	r->unpins = 0;
	/* A budgeted collection that left due garbage does not reset the defer
	 * count: a thread deferring faster than its unpins' budgets destroy
	 * still reaches a defer collection, which takes everything. */
	if (!r->due_left)
		r->since_collect = 0;
	r->collecting = false;
	/* A destructor above may have used the reserve bag under a pin of its
	 * own (its unpin's collection returned at once): seal it now, so that
	 * the bag is free again and no barrier waits for it. */
	if (r->reserve_busy && !tern__epoch_pinned(r->slot))
		epoch__seal_open(D, r);
	epoch__pending_flag(r, epoch__record_has_garbage(r));
}

/* ------------------------------------------------------ R1, R3 */

/* The outermost pin of a registered record in fence mode (the common slow
 * case): announce, then the fence.  No record access. */
static void epoch__pin_fence(struct tern_epoch_domain *d, struct tern__epoch_slot *s, uint64_t st)
{
	tern__epoch_announce(d, s, st);
	/* Seq_cst fence (F_R): pairs with the seq_cst fence in epoch__heavy_barrier()
	 * and the sealing fence in epoch__seal_locked(). */
	atomic_thread_fence(memory_order_seq_cst);
}

/* R1 for record r: announce, then the ordering of r's mode. */
static void epoch__pin_announce(struct tern_epoch_domain *d, rec_t *r, uint64_t st)
{
#ifndef TERN_EPOCH_FORCE_FENCE
	if (r->mode == TERN__EPOCH_MEMBARRIER) {
		tern__epoch_announce(d, r->slot, st);
		/* Compiler barrier only: see tern__epoch_pin_slot(). */
		atomic_signal_fence(memory_order_seq_cst);
		return;
	}
#endif
	epoch__pin_fence(d, r->slot, st);
}

static void epoch__pin_record(struct tern_epoch_domain *d, struct tern__epoch_slot *s);

void tern__epoch_pin_slow(struct tern_epoch_domain *d, struct tern__epoch_slot *s)
{
	uint64_t st0 = tern__epoch_own_state(s);
	if (TERN_LIKELY((st0 & (TERN__EPOCH_REG | TERN__EPOCH_FAST | TERN__EPOCH_PINNED | TERN__EPOCH_LATE)) ==
			TERN__EPOCH_REG))
		epoch__pin_fence(d, s, st0);
	else
		epoch__pin_record(d, s);
}

/* Every other pin: registration, nesting (also inside an online section),
 * membarrier mode with garbage, late use. */
__attribute__((noinline)) static void epoch__pin_record(struct tern_epoch_domain *d, struct tern__epoch_slot *s)
{
	rec_t *r = epoch__slot_record(d, s, true);
	if (r == NULL) {
		fprintf(stderr, "tern_epoch_pin: cannot allocate a record for a thread that "
				"is exiting\n");
		abort();
	}
	uint64_t st = tern__epoch_own_state(r->slot);
	if (st & TERN__EPOCH_PINNED) {
		if (r->nest++ == 0)
			/* Release: every store to a registered state word is a
			 * release store (pairs with the acquire scan in
			 * try_advance_locked()); the epoch and PINNED are unchanged. */
			atomic_store_explicit(&r->slot->state, st | TERN__EPOCH_NESTED, memory_order_release);
	} else {
		epoch__pin_announce(d, r, st);
	}
	if (r->late && s == &tern__epoch_self)
		epoch__late_mirror(r);
}

/* R3 for record r, then the periodic collection. */
static void epoch__unpin_outermost(dom_t *D, rec_t *r, uint64_t st)
{
	uint64_t unpinned = st & (TERN__EPOCH_FLAGS & ~(uint64_t)(TERN__EPOCH_PINNED | TERN__EPOCH_ONLINE));
	/* Release (R3): pairs with the acquire load of the state in
	 * try_advance_locked(), as in tern__epoch_unpin_slot(). */
	atomic_store_explicit(&r->slot->state, unpinned, memory_order_release);
	/* Reserve bag in use (an allocation failed while pinned): collect now,
	 * unpinned, so that its garbage is sealed before the next pin and can
	 * become due; sealed under a later pin it could never be. */
	if ((st & TERN__EPOCH_PENDING) && (epoch__unpins_due(D, r) || r->reserve_busy))
		epoch__collect(D, r, 2, TERN_EPOCH_UNPIN_DESTROY_MAX);
}

void tern__epoch_unpin_slow(struct tern_epoch_domain *d, struct tern__epoch_slot *s)
{
	uint64_t st0 = tern__epoch_own_state(s);
	/* The end of an outermost fence-mode pin with nothing to collect: R3
	 * alone, no record access. */
	if (TERN_LIKELY((st0 & (TERN__EPOCH_FLAGS & ~(uint64_t)TERN__EPOCH_FAST)) ==
			(TERN__EPOCH_REG | TERN__EPOCH_PINNED))) {
		/* Release (R3): pairs with the acquire load of the state in
		 * try_advance_locked(), as in tern__epoch_unpin_slot(). */
		atomic_store_explicit(&s->state, st0 & (TERN__EPOCH_FLAGS & ~(uint64_t)TERN__EPOCH_PINNED),
				      memory_order_release);
		return;
	}
	rec_t *r = epoch__slot_record(d, s, false);
	if ((r == NULL || !tern__epoch_pinned(r->slot)) && s == &tern__epoch_self && tern__epoch_thr.ended_pins) {
		/* A pin that thread exit had to end. */
		if (--tern__epoch_thr.ended_pins == 0)
			/* Relaxed: the TLS slot is in no registry after exit. */
			atomic_store_explicit(&s->state, TERN__EPOCH_LATE, memory_order_relaxed);
		return;
	}
	TERN_ASSERT(r != NULL && tern__epoch_pinned(r->slot),
		    d == &tern__epoch_default ? "tern_epoch_unpin: thread is not pinned"
					      : "tern_epoch_domain_unpin: thread is not pinned in this domain");
	uint64_t st = tern__epoch_own_state(r->slot);
	if (st & TERN__EPOCH_NESTED) {
		if (--r->nest == 0)
			/* Release: as in epoch__pin_record(); still pinned. */
			atomic_store_explicit(&r->slot->state, st & ~(uint64_t)TERN__EPOCH_NESTED,
					      memory_order_release);
	} else {
		TERN_ASSERT(!(st & TERN__EPOCH_ONLINE),
		            d == &tern__epoch_default
		                ? "tern_epoch_unpin: thread is not pinned (it is online)"
		                : "tern_epoch_domain_unpin: thread is not pinned in this domain (it is online)");
		epoch__unpin_outermost(d->impl, r, st);
	}
	if (r->late) {
		if (s == &tern__epoch_self)
			epoch__late_mirror(r);
		epoch__late_done(r);
	}
}

/* ------------------------------------------------------ quiescent states */

/*
 * An online thread is pinned for the whole online section (PINNED |
 * ONLINE), so every borrow API accepts it, pins nest inside it, and the
 * collectors' scan needs no other case.  A quiescent state re-announces the
 * current epoch: the R3 + R1 pair in one release store (everything the
 * thread read before is released, as by an unpin).
 */

/* The misuse messages of one public call (default or domain form). */
struct qsbr_msgs {
	const char *null_dom, *state, *nomem;
};

static const struct qsbr_msgs qsbr_online_msgs[2] = {
	{ "tern_epoch_online: domain is NULL", "tern_epoch_online: thread is already pinned or online",
	  "tern_epoch_online: cannot allocate the thread's record" },
	{ "tern_epoch_domain_online: domain is NULL",
	  "tern_epoch_domain_online: thread is already pinned or online in this domain",
	  "tern_epoch_domain_online: cannot allocate the thread's record" },
};
static const struct qsbr_msgs qsbr_quiescent_msgs[2] = {
	{ "tern_epoch_quiescent: domain is NULL",
	  "tern_epoch_quiescent: thread is not online, or is pinned inside its online section",
	  "tern_epoch_quiescent: cannot allocate the thread's record" },
	{ "tern_epoch_domain_quiescent: domain is NULL",
	  "tern_epoch_domain_quiescent: thread is not online in this domain, or is pinned inside its online section",
	  "tern_epoch_domain_quiescent: cannot allocate the thread's record" },
};
static const struct qsbr_msgs qsbr_offline_msgs[2] = {
	{ "tern_epoch_offline: domain is NULL",
	  "tern_epoch_offline: thread is not online, or is pinned inside its online section",
	  "tern_epoch_offline: cannot allocate the thread's record" },
	{ "tern_epoch_domain_offline: domain is NULL",
	  "tern_epoch_domain_offline: thread is not online in this domain, or is pinned inside its online section",
	  "tern_epoch_domain_offline: cannot allocate the thread's record" },
};

static rec_t *epoch__online_record(struct tern_epoch_domain *d, const struct qsbr_msgs *m)
{
	TERN_ASSERT(d != NULL, m->null_dom);
	rec_t *r = epoch__slot_record(d, tern__epoch_slot_of(d), true);
	if (r == NULL) {
		fprintf(stderr, "%s\n", m->nomem);
		abort();
	}
	return r;
}

static void epoch__online_in(struct tern_epoch_domain *d, const struct qsbr_msgs *m)
{
	rec_t *r = epoch__online_record(d, m);
	uint64_t st = tern__epoch_own_state(r->slot);
	TERN_ASSERT(!(st & TERN__EPOCH_PINNED), m->state);
	epoch__pin_announce(d, r, st | TERN__EPOCH_ONLINE);
	if (r->late && d == &tern__epoch_default)
		epoch__late_mirror(r);
}

static void epoch__quiescent_in(struct tern_epoch_domain *d, const struct qsbr_msgs *m)
{
	rec_t *r = epoch__online_record(d, m);
	uint64_t st = tern__epoch_own_state(r->slot);
	TERN_ASSERT((st & TERN__EPOCH_ONLINE) && !(st & TERN__EPOCH_NESTED), m->state);
	if ((st & TERN__EPOCH_PENDING) && (epoch__unpins_due(d->impl, r) || r->reserve_busy)) {
		/* Offline for the collection, so that the epoch can advance past
		 * what this thread read. */
		epoch__unpin_outermost(d->impl, r, st);
		st = tern__epoch_own_state(r->slot);
		epoch__pin_announce(d, r, st | TERN__EPOCH_ONLINE);
		return;
	}
	/* Acquire: pairs with the seq_cst store of the epoch in
	 * try_advance_locked(), as in tern__epoch_announce(). */
	uint64_t e = atomic_load_explicit(&d->epoch, memory_order_acquire);
	if (e == st >> TERN__EPOCH_SHIFT)
		return; /* already announced: nothing to release */
	epoch__pin_announce(d, r, st & TERN__EPOCH_FLAGS & ~(uint64_t)TERN__EPOCH_PINNED);
}

static void epoch__offline_in(struct tern_epoch_domain *d, const struct qsbr_msgs *m)
{
	rec_t *r = epoch__online_record(d, m);
	uint64_t st = tern__epoch_own_state(r->slot);
	TERN_ASSERT((st & TERN__EPOCH_ONLINE) && !(st & TERN__EPOCH_NESTED), m->state);
	epoch__unpin_outermost(d->impl, r, st);
	if (r->late) {
		if (d == &tern__epoch_default)
			epoch__late_mirror(r);
		epoch__late_done(r);
	}
}

void tern_epoch_domain_online(tern_epoch_domain_t *d)
{
	epoch__online_in(d, &qsbr_online_msgs[1]);
}

void tern_epoch_domain_quiescent(tern_epoch_domain_t *d)
{
	epoch__quiescent_in(d, &qsbr_quiescent_msgs[1]);
}

void tern_epoch_domain_offline(tern_epoch_domain_t *d)
{
	epoch__offline_in(d, &qsbr_offline_msgs[1]);
}

void tern_epoch_online(void)
{
	epoch__online_in(&tern__epoch_default, &qsbr_online_msgs[0]);
}

void tern_epoch_quiescent(void)
{
	epoch__quiescent_in(&tern__epoch_default, &qsbr_quiescent_msgs[0]);
}

void tern_epoch_offline(void)
{
	epoch__offline_in(&tern__epoch_default, &qsbr_offline_msgs[0]);
}

/* ------------------------------------------------------ polled grace periods */

uint64_t tern_epoch_domain_get_state(tern_epoch_domain_t *d)
{
	TERN_ASSERT(d != NULL, "tern_epoch_domain_get_state: domain is NULL");
	return grace_target(d->impl);
}

bool tern_epoch_domain_poll_state(tern_epoch_domain_t *d, uint64_t cookie)
{
	TERN_ASSERT(d != NULL, "tern_epoch_domain_poll_state: domain is NULL");
	dom_t *D = d->impl;
	/* Acquire: pairs with the seq_cst store in try_advance_locked(): the
	 * scan that let the epoch reach the cookie (readers seen unpinned)
	 * happens before the caller's reuse of the memory. */
	uint64_t g = atomic_load_explicit(EPOCH(D), memory_order_acquire);
	for (int i = 0; g < cookie && i < 2; i++) {
		uint64_t ng = try_advance(D, false);
		if (ng == g)
			break;
		g = ng;
	}
	return g >= cookie;
}
