/*
 * src/epoch/epoch_reclaim.h — the reclamation flow, top-down: defer (W1),
 * seal (W2), advance (A), reclaim (C), and the out-of-line pin and unpin
 * (R1, R3).  Part of src/epoch/epoch.c, whose Concurrency block defines
 * the steps cited here.
 *
 * Invariants:
 *   - Only the owner touches a record's open list, bins and spare bags
 *     (domain destroy and the fork child take them over only when the owner
 *     cannot be using them).
 *   - collect() is not re-entered for one record: a destructor it runs that
 *     defers or collects again finds `collecting` set; the deferred garbage
 *     waits in the open list for the next collection.
 *   - No domain lock is held while a destructor runs (batch_destroy() is
 *     always called on a detached batch, after unlocking).
 */

static void collect(dom_t *D, rec_t *r, int attempts);
static void seal(dom_t *D, rec_t *r, batch_t *due);
static uint64_t try_advance(dom_t *D, bool wait);
static void wait_epoch(dom_t *D, uint64_t target);
static void synchronize_grace(dom_t *D);

/* ------------------------------------------------------ W1: defer */

/* Waits a grace period, then destroys obj in place: a defer that cannot
 * store obj (no memory, no record) and is not pinned. */
static void destroy_after_grace(dom_t *D, void *obj, void (*fn)(void *))
{
	/* Seq_cst fence (F_W, as in seal()): orders the caller's unlink of obj
	 * before the epoch load that acts as its tag. */
	atomic_thread_fence(memory_order_seq_cst);
	/* Acquire: pairs with the seq_cst store in try_advance_locked(). */
	uint64_t g = atomic_load_explicit(EPOCH(D), memory_order_acquire);
	wait_epoch(D, g + 2); /* obj is tagged g: due once G >= g + 2 */
	destroy_one(D, obj, fn);
}

static void defer_counted(dom_t *D, rec_t *r)
{
	pending_recount(r);
	if (TERN_UNLIKELY(++r->since_collect >= TERN_EPOCH_COLLECT_DEFERS)) {
		/* Relaxed: own counter. */
		size_t p = atomic_load_explicit(&r->pending, memory_order_relaxed);
		collect(D, r, p > TERN_EPOCH_PENDING_MAX ? 4 : 1);
	}
}

/* W1: appends obj to r's open list (no fence, no shared access). */
static void defer_in(dom_t *D, rec_t *r, void *obj, void (*fn)(void *))
{
	if (TERN_LIKELY(gc_push(r, &r->open, obj, fn))) {
		defer_counted(D, r);
		return;
	}
	if (!tern__epoch_pinned(r->slot)) {
		destroy_after_grace(D, obj, fn);
		return;
	}
	/* Pinned, no memory and the reserve is full: our own pin keeps a grace
	 * period from ending, so collect what is due (returns bags to the
	 * cache) and retry with backoff; the object is never dropped. */
	for (unsigned round = 0;; epoch_backoff(&round)) {
		collect(D, r, 2);
		if (gc_push(r, &r->open, obj, fn)) {
			pending_recount(r);
			return;
		}
	}
}

/* A dying domain (only its destroyer may use it): everything deferred is
 * due, and tern_epoch_domain_destroy() drains the list. */
static void drain_push(dom_t *D, void *obj, void (*fn)(void *))
{
	dom_lock(D);
	bool ok = gc_push(NULL, &D->drain, obj, fn);
	dom_unlock(D);
	if (!ok)
		destroy_one(D, obj, fn); /* no memory: due already, destroy in place */
}

static void defer_obj(struct tern_epoch_domain *d, void *obj, void (*fn)(void *))
{
	dom_t *D = d->impl;
	if (TERN_UNLIKELY(dom_dying(D))) {
		drain_push(D, obj, fn);
		return;
	}
	rec_t *r = record_lookup(D, true);
	if (TERN_UNLIKELY(r == NULL)) {
		destroy_after_grace(D, obj, fn); /* no memory for a record */
		return;
	}
	defer_in(D, r, obj, fn);
	late_done(r);
}

static void defer_entry(struct tern_epoch_domain *d, struct tern_epoch_entry *e,
			void (*fn)(struct tern_epoch_entry *))
{
	dom_t *D = d->impl;
	if (TERN_UNLIKELY(dom_dying(D))) {
		dom_lock(D);
		gc_push_entry(&D->drain, e, fn);
		dom_unlock(D);
		return;
	}
	rec_t *r = record_lookup(D, true);
	if (TERN_UNLIKELY(r == NULL)) {
		/* No memory for a record: as destroy_after_grace(), for an entry. */
		synchronize_grace(D); /* the entry is tagged like a sealed object */
		struct tern__epoch_dtor_frame frame = { D, tern__epoch_thr.dtors };
		tern__epoch_thr.dtors = &frame;
		fn(e);
		tern__epoch_thr.dtors = frame.outer;
		/* Relaxed: statistics counter. */
		atomic_fetch_add_explicit(&D->destroyed, 1, memory_order_relaxed);
		return;
	}
	gc_push_entry(&r->open, e, fn);
	defer_counted(D, r);
	late_done(r);
}

/* ------------------------------------------------------ W2: seal */

/* Tags the open garbage with the current epoch and bins it. */
static void seal(dom_t *D, rec_t *r, batch_t *due)
{
	if (r->open.count == 0)
		return;
	/* Pinned with the reserve bag in use (out of memory): sealing now would
	 * tag the reserve with an epoch this thread's own pin keeps from
	 * becoming due, and the next defer needing a bag would retry forever.
	 * Left open, it is sealed by the collection at unpin. */
	if (r->reserve_busy && tern__epoch_pinned(r->slot))
		return;
	/* Seq_cst fence (F_W): pairs with the readers' fence in
	 * tern__epoch_pin_slow() / the collector's membarrier and seq_cst fence
	 * in heavy_barrier(): every unlink that preceded the defers in the open
	 * list is ordered before the epoch load that tags them. */
	atomic_thread_fence(memory_order_seq_cst);
	/* Relaxed: ordering comes from the fence above (see the proof). */
	uint64_t t = atomic_load_explicit(EPOCH(D), memory_order_relaxed);
	bin_add(r->bins, t, &r->open, due);
}

/* ------------------------------------------------------ A: advance */

/* Step A with D->lock held.  => the epoch after the attempt. */
static uint64_t try_advance_locked(dom_t *D)
{
	/* Relaxed: advances are serialised by D->lock, so this thread wrote or
	 * acquired (through the lock) the latest value. */
	uint64_t g = atomic_load_explicit(EPOCH(D), memory_order_relaxed);
	heavy_barrier();
	for (rec_t *r = D->records; r; r = r->next) {
		/* Acquire: pairs with the release stores of the state (R1 announce,
		 * R3 unpin, flag updates): a reader seen unpinned has finished
		 * using what it read, and one seen pinned at g began after it. */
		uint64_t s = atomic_load_explicit(&r->slot->state, memory_order_acquire);
		uint64_t e = s >> TERN__EPOCH_SHIFT;
		if ((s & TERN__EPOCH_PINNED) && e != g) {
			if (r->stall_epoch != e || r->stall_since_ns == 0) {
				r->stall_epoch = e;
				r->stall_since_ns = epoch_now_ns();
				r->stall_refusals = 0;
			}
			r->stall_refusals++;
			/* Relaxed: statistics counter. */
			atomic_fetch_add_explicit(&D->failed_advances, 1, memory_order_relaxed);
			return g;
		}
	}
	for (rec_t *r = D->records; r; r = r->next)
		r->stall_since_ns = 0;
	/* Seq_cst store: pairs with the acquire loads of G in the pin (R1) and
	 * in collect() (C), and takes part in the total order S used by the
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
		dom_lock(D);
	else if (pthread_mutex_trylock(&D->lock) != 0)
		/* Acquire: pairs with the seq_cst store in try_advance_locked(). */
		return atomic_load_explicit(EPOCH(D), memory_order_acquire);
	uint64_t g = try_advance_locked(D);
	dom_unlock(D);
	return g;
}

/* Waits until G >= target (advancing it).  The caller is not pinned in D. */
static void wait_epoch(dom_t *D, uint64_t target)
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

/* A full grace period from the caller's point of view (synchronize). */
static void synchronize_grace(dom_t *D)
{
	/* Seq_cst fence (F_W): the caller's unlinks before this call are
	 * treated as one sealed batch tagged g; see seal(). */
	atomic_thread_fence(memory_order_seq_cst);
	/* Acquire: pairs with the seq_cst store in try_advance_locked(). */
	uint64_t g = atomic_load_explicit(EPOCH(D), memory_order_acquire);
	/* Every pin begun before this call announced an epoch <= g; the advance
	 * g + 1 -> g + 2 is refused while such a pin lasts. */
	wait_epoch(D, g + 2);
}

/* ------------------------------------------------------ C: reclaim */

/* Advances for, takes and destroys the orphans that are (or can be made)
 * due at g; r (NULL if the caller has no record) gets the emptied bags. */
static void collect_orphans(dom_t *D, rec_t *r, uint64_t g, bool advance)
{
	/* Relaxed: a hint; the orphan bins are read under the lock. */
	if (advance && atomic_load_explicit(&D->orphan_wait, memory_order_relaxed) > g)
		g = try_advance(D, false);
	batch_t orphans = { 0 };
	bool took = orphans_take_due(D, g, &orphans, false);
	orphans_destroy(D, r, &orphans, took);
}

/*
 * Seals the open garbage, advances the epoch if some of it (or of the
 * orphans) is not yet due, at most `attempts` times, and destroys what is
 * due: the record's own bins and the domain's orphans.  Never waits for
 * readers.  With nothing pending it does no work.
 */
static void collect(dom_t *D, rec_t *r, int attempts)
{
	if (r->collecting || r == &D->dead)
		return;
	r->collecting = true;
	batch_t due = { 0 };
	splice_begin(r);
	seal(D, r, &due);
	splice_end(r);
	/* Acquire: pairs with the seq_cst store in try_advance_locked(); the
	 * advance's scan (which saw readers unpinned) happens before the
	 * destruction below. */
	uint64_t g = atomic_load_explicit(EPOCH(D), memory_order_acquire);
	for (int i = 0; i < attempts && bins_waiting(r->bins, g); i++) {
		uint64_t ng = try_advance(D, false);
		if (ng == g)
			break; /* a reader lags, or another thread holds the lock */
		g = ng;
	}
	splice_begin(r);
	bins_take_due(r->bins, g, &due);
	pending_recount(r);
	splice_end(r);
	batch_destroy(D, r, &due);
	collect_orphans(D, r, g, attempts > 0 && !bins_waiting(r->bins, g));
	r->unpins = 0;
	r->since_collect = 0;
	r->collecting = false;
}

/* ------------------------------------------------------ R1, R3 */

/* The outermost pin of a registered record in fence mode (the common slow
 * case): announce, then the fence.  No record access. */
static void pin_fence(struct tern_epoch_domain *d, struct tern__epoch_slot *s, uint64_t st)
{
	tern__epoch_announce(d, s, st);
	/* Seq_cst fence (F_R): pairs with the seq_cst fence in heavy_barrier()
	 * and the sealing fence in seal(). */
	atomic_thread_fence(memory_order_seq_cst);
}

static void pin_record(struct tern_epoch_domain *d, struct tern__epoch_slot *s);

void tern__epoch_pin_slow(struct tern_epoch_domain *d, struct tern__epoch_slot *s)
{
	uint64_t st0 = tern__epoch_own_state(s);
	if (TERN_LIKELY((st0 & (TERN__EPOCH_REG | TERN__EPOCH_FAST | TERN__EPOCH_PINNED | TERN__EPOCH_LATE)) ==
			TERN__EPOCH_REG))
		pin_fence(d, s, st0);
	else
		pin_record(d, s);
}

/* Every other pin: registration, nesting, membarrier mode with garbage,
 * late use. */
__attribute__((noinline)) static void pin_record(struct tern_epoch_domain *d, struct tern__epoch_slot *s)
{
	rec_t *r = slot_record(d, s, true);
	if (r == NULL) {
		fprintf(stderr, "tern_epoch_pin: cannot allocate a record for a thread that "
				"is exiting\n");
		abort();
	}
	uint64_t st = tern__epoch_own_state(r->slot);
	if (st & TERN__EPOCH_PINNED) {
		if (r->nest++ == 0)
			/* Release: every owner store to the state is a release store
			 * (pairs with the acquire scan in try_advance_locked()); the
			 * epoch and PINNED are unchanged. */
			atomic_store_explicit(&r->slot->state, st | TERN__EPOCH_NESTED, memory_order_release);
	} else {
#ifndef TERN_EPOCH_FORCE_FENCE
		if (r->mode == TERN__EPOCH_MEMBARRIER) {
			tern__epoch_announce(d, r->slot, st);
			/* Compiler barrier only: see tern__epoch_pin_slot(). */
			atomic_signal_fence(memory_order_seq_cst);
		} else
#endif
			pin_fence(d, r->slot, st);
	}
	if (r->late && s == &tern__epoch_self)
		late_mirror(r);
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
	rec_t *r = slot_record(d, s, false);
	if ((r == NULL || !tern__epoch_pinned(r->slot)) && s == &tern__epoch_self && tern__epoch_thr.ended_pins) {
		/* A pin that thread exit had to end (no memory to keep it). */
		if (--tern__epoch_thr.ended_pins == 0)
			/* Relaxed: the TLS slot is in no registry after exit. */
			atomic_store_explicit(&s->state, TERN__EPOCH_LATE, memory_order_relaxed);
		return;
	}
	TERN_ASSERT(r != NULL && tern__epoch_pinned(r->slot), "tern_epoch_unpin: thread is not pinned");
	uint64_t st = tern__epoch_own_state(r->slot);
	if (st & TERN__EPOCH_NESTED) {
		if (--r->nest == 0)
			/* Release: as in tern__epoch_pin_slow(); still pinned. */
			atomic_store_explicit(&r->slot->state, st & ~(uint64_t)TERN__EPOCH_NESTED,
					      memory_order_release);
	} else {
		/* Release (R3): pairs with the acquire load of the state in
		 * try_advance_locked(), as in tern__epoch_unpin_slot(). */
		atomic_store_explicit(&r->slot->state, st & (TERN__EPOCH_FLAGS & ~(uint64_t)TERN__EPOCH_PINNED),
				      memory_order_release);
		/* Reserve bag in use (an allocation failed while pinned): collect
		 * now, unpinned, so that its garbage is sealed before the next pin
		 * and can become due; sealed under a later pin it could never be. */
		if ((st & TERN__EPOCH_PENDING) &&
		    (++r->unpins >= TERN_EPOCH_COLLECT_PINS || r->reserve_busy))
			collect(d->impl, r, 2);
	}
	if (r->late) {
		if (s == &tern__epoch_self)
			late_mirror(r);
		late_done(r);
	}
}
