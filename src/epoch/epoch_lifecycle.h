/* SPDX-License-Identifier: MIT */
/*
 * src/epoch/epoch_lifecycle.h — barrier, flush, thread exit, domain
 * destroy, fork (part of src/epoch/epoch.c).
 *
 * Invariants and the argument for each operation:
 *   - Teardown drains.  Thread exit repeats seal -> destroy what is due
 *     until the record's open list is empty (destructors it runs may defer
 *     into it again), then leaves the registry; it repeats over the
 *     thread's records until none is left (a destructor may register the
 *     thread in another domain).  Barrier repeats until every open list it
 *     could take was taken and the caller's record is empty.  Destroy
 *     repeats over its drain list until it stays empty.
 *   - Exit and destroy exclude each other.  Under g_lock an exiting thread
 *     either takes a hand-over reference on the record's domain (exiting++,
 *     refused once closing is set) or, when the domain is closing, waits
 *     until the destroyer has detached the record (dom == NULL).  Destroy
 *     sets closing and waits, under g_lock, until no hand-over is in
 *     progress; from then on no exiting thread touches the domain, and
 *     every record still in the registry stays allocated (its owner waits
 *     for the detach, or is alive and not using the domain — the API's
 *     precondition) until destroy has destroyed its garbage and stored
 *     dom = NULL.  So whichever of the two comes first, each object is
 *     destroyed once and no record or domain is used after it is freed.
 *   - Nothing registers in a dying domain: lookups there return the
 *     never-registered D->dead, defers go to the drain list.
 *   - fork(): the prepare handler takes g_lock and every domain lock, so
 *     the child starts with no list half-updated under a lock; a record's
 *     open list may be half-updated only while its olock is held, which the
 *     child honours.  No callback runs in the handlers.
 */

/* Debug checks of the calls that wait for readers: not pinned in D (it
 * would wait for itself), not inside any destructor (a destructor runs
 * inside a collection that others may wait for, or in thread exit). */
static void epoch__check_may_wait(dom_t *D, const char *pinned_msg, const char *dtor_msg)
{
#ifndef NDEBUG
	rec_t *r = epoch__record_lookup(D, false);
	TERN_ASSERT(r == NULL || !tern__epoch_pinned(r->slot), pinned_msg);
	TERN_ASSERT(!in_destructor_of(NULL), dtor_msg);
#endif
	(void)D;
	(void)pinned_msg;
	(void)dtor_msg;
}

/* ------------------------------------------------------ synchronize */

void tern_epoch_domain_synchronize(tern_epoch_domain_t *d)
{
	TERN_ASSERT(d != NULL, "tern_epoch_domain_synchronize: domain is NULL");
	epoch__check_may_wait(d->impl, "tern_epoch_domain_synchronize: called while pinned (would deadlock)",
		       "tern_epoch_domain_synchronize: called from a destructor");
	if (!epoch__dom_dying(d->impl))
		epoch__synchronize_grace(d->impl);
}

/* ------------------------------------------------------ barrier */

/*
 * Takes every registered record's open list and seals it, in one critical
 * section of D->lock (so a concurrent barrier never misses a list in
 * flight).  The owners' appends are excluded by olock (fence mode, and the
 * owners' own seals) or by the appending/steal handshake (membarrier mode,
 * epoch__owner_enter()).  A list that holds its owner's reserve bag is taken
 * with the reserve's entries copied into a bag allocated beforehand (one
 * per round, and only in a round after one that met a reserve: a barrier
 * over intrusive entries allocates nothing; the owner, which alone writes
 * its reserve_busy, finds the reserve free again in epoch__reserve_reclaim());
 * without one, it stays and => false: the barrier goes round again.
 * Displaced due garbage goes to *due (busy).
 */
static bool epoch__steal_and_seal(dom_t *D, batch_t *due, int *ph, bool want_spare)
{
	bool all = true;
	batch_t stolen = { 0 };
	struct tern__epoch_bag *spare = want_spare ? epoch__bag_alloc() : NULL; /* before any lock */
	epoch__dom_lock(D);
	for (rec_t *r = D->records; r; r = r->next) {
		epoch__olock_acquire(r);
		/* Relaxed: ordered before the owners' checks by the heavy barrier
		 * below (epoch__owner_enter()). */
		atomic_store_explicit(&r->steal, 1, memory_order_relaxed);
	}
	epoch__heavy_barrier();
	for (rec_t *r = D->records; r; r = r->next) {
		unsigned round = 0;
		/* Acquire: pairs with the release store in epoch__owner_leave(): an
		 * append in progress completes before the list is taken. */
		while (atomic_load_explicit(&r->appending, memory_order_acquire))
			epoch_backoff(&round);
		if (epoch__open_has_reserve_locked(r) && !epoch__reserve_replace_locked(r, &spare))
			all = false;
		else
			epoch__open_take_locked(r, &stolen);
		/* Release: pairs with the acquire load in epoch__owner_enter(): an owner
		 * that sees the request gone sees the list taken. */
		atomic_store_explicit(&r->steal, 0, memory_order_release);
		epoch__olock_release(r);
	}
	epoch__seal_locked(D, &stolen, due);
	*ph = epoch__due_busy_locked(D, due);
	epoch__dom_unlock(D);
	if (spare != NULL)
		TERN_FREE(spare);
	return all;
}

/*
 * Every object deferred before the call, by any thread (live, idle, exited
 * or flushed), is destroyed on return: sealed garbage is in the bins or in
 * due batches counted busy, and the barrier takes and seals every open
 * list itself; then it waits a grace period past all of it, destroys what
 * is due, and waits for due batches other threads are destroying.
 * Repeats while the destructors it ran deferred more into this thread's
 * record (drain).
 */
static void epoch__barrier_in(dom_t *D)
{
	if (epoch__dom_dying(D))
		return; /* tern_epoch_domain_destroy() drains everything */
	for (bool all = true;;) {
		batch_t due = { 0 };
		int due_ph;
		rec_t *r = epoch__record_lookup(D, false);
		if (r != NULL && r->reserve_busy)
			epoch__seal_open(D, r); /* unpinned (precondition): copy or destroy its reserve */
		all = epoch__steal_and_seal(D, &due, &due_ph, !all);
		epoch__dom_lock(D);
		/* Relaxed: under the lock that serialises advances; every tag
		 * sealed so far is <= g. */
		uint64_t g = atomic_load_explicit(EPOCH(D), memory_order_relaxed);
		epoch__dom_unlock(D);
		epoch__wait_epoch(D, g + 2);
		/* Acquire: pairs with the seq_cst store in try_advance_locked(). */
		uint64_t now = atomic_load_explicit(EPOCH(D), memory_order_acquire);
		r = epoch__record_lookup(D, false);
		if (r)
			r->collecting = true;
		epoch__sealed_destroy(D, r, &due, due_ph);
		batch_t sealed = { 0 };
		bool more;
		int ph = epoch__sealed_take_due(D, now, &sealed, true, SIZE_MAX, &more);
		epoch__sealed_destroy(D, r, &sealed, ph);
		if (r)
			r->collecting = false;
		/* Due batches detached by other threads before now must be
		 * finished too (not those taken later: no starvation). */
		epoch__busy_drain(D);
		/* The destructors above may have deferred into this domain from
		 * this thread: drain that too. */
		r = epoch__record_lookup(D, false);
		if (all && (r == NULL || !epoch__record_has_garbage(r))) {
			if (r != NULL) {
				r->due_left = false; /* everything due at `now` is destroyed */
				epoch__pending_flag(r, false);
				epoch__late_done(r);
			}
			return;
		}
	}
}

void tern_epoch_domain_barrier(tern_epoch_domain_t *d)
{
	TERN_ASSERT(d != NULL, "tern_epoch_domain_barrier: domain is NULL");
	epoch__check_may_wait(d->impl, "tern_epoch_domain_barrier: called while pinned (would deadlock)",
		       "tern_epoch_domain_barrier: called from a destructor");
	epoch__barrier_in(d->impl);
}

/* ------------------------------------------------------ flush */

void tern_epoch_domain_flush(tern_epoch_domain_t *d)
{
	TERN_ASSERT(d != NULL, "tern_epoch_domain_flush: domain is NULL");
	dom_t *D = d->impl;
	if (epoch__dom_dying(D))
		return; /* tern_epoch_domain_destroy() drains everything */
	rec_t *r = epoch__record_lookup(D, false);
	if (r == NULL || r->collecting)
		return; /* nothing, or nested in a destructor: the outer call works */
	r->collecting = true;
	epoch__seal_open(D, r);
	r->collecting = false;
	if (r->reserve_busy && !tern__epoch_pinned(r->slot))
		epoch__seal_open(D, r); /* a destructor used the reserve (see epoch__collect()) */
	epoch__late_done(r);
}

/* ------------------------------------------------------ collect, stats */

void tern_epoch_domain_collect(tern_epoch_domain_t *d)
{
	TERN_ASSERT(d != NULL, "tern_epoch_domain_collect: domain is NULL");
	dom_t *D = d->impl;
	if (epoch__dom_dying(D))
		return;
	rec_t *r = epoch__record_lookup(D, false);
	if (r != NULL) {
		epoch__collect(D, r, 2, SIZE_MAX);
		epoch__late_done(r);
	} else {
		epoch__collect_sealed(D, NULL, 2, SIZE_MAX);
	}
}

void tern_epoch_domain_stats(tern_epoch_domain_t *d, struct tern_epoch_stats *out)
{
	TERN_ASSERT(d != NULL, "tern_epoch_domain_stats: domain is NULL");
	TERN_ASSERT(out != NULL, "tern_epoch_domain_stats: out is NULL");
	dom_t *D = d->impl;
	memset(out, 0, sizeof *out);
	uint64_t now = epoch_now_ns();
	uint64_t oldest = 0;
	epoch__dom_lock(D);
	/* Relaxed: under the lock that serialises advances. */
	out->epoch = atomic_load_explicit(EPOCH(D), memory_order_relaxed);
	out->registered_threads = D->registered;
	for (rec_t *r = D->records; r; r = r->next) {
		/* Relaxed: a snapshot for statistics. */
		uint64_t s = atomic_load_explicit(&r->slot->state, memory_order_relaxed);
		/* Relaxed: a snapshot for statistics. */
		out->pending += atomic_load_explicit(&r->pending, memory_order_relaxed);
		if (!(s & TERN__EPOCH_PINNED))
			continue;
		uint64_t e = s >> TERN__EPOCH_SHIFT;
		out->pinned_threads++;
		if (e != out->epoch && r->stall_since_ns != 0 && r->stall_epoch == e &&
		    (oldest == 0 || r->stall_since_ns < oldest)) {
			oldest = r->stall_since_ns;
			out->stall_tid = r->tid;
			out->stall_epoch = r->stall_epoch;
			out->stall_ns = now > oldest ? now - oldest : 0;
			out->stall_refusals = r->stall_refusals;
		}
	}
	out->orphaned = D->sealed_count;
	out->pending += out->orphaned;
	/* Relaxed: statistics counters. */
	out->destroyed = atomic_load_explicit(&D->destroyed, memory_order_relaxed);
	/* Relaxed: statistics counters. */
	out->advances = atomic_load_explicit(&D->advances, memory_order_relaxed);
	/* Relaxed: statistics counters. */
	out->failed_advances = atomic_load_explicit(&D->failed_advances, memory_order_relaxed);
	epoch__dom_unlock(D);
}

/* ------------------------------------------------------ domains */

int tern_epoch_domain_create(tern_epoch_domain_t **out)
{
	if (out == NULL)
		return EINVAL;
	epoch_init_once();
	/* The public part is cache-line aligned; the allocator promises less. */
	void *raw = TERN_MALLOC(sizeof(struct tern__epoch_domain_block) + _Alignof(struct tern__epoch_domain_block));
	if (raw == NULL)
		return ENOMEM;
	uintptr_t a = _Alignof(struct tern__epoch_domain_block);
	struct tern__epoch_domain_block *b = (void *)(((uintptr_t)raw + a - 1) & ~(a - 1));
	memset(b, 0, sizeof *b);
	b->impl.raw = raw;
	if (pthread_mutex_init(&b->impl.lock, NULL) != 0) {
		TERN_FREE(raw);
		return ENOMEM;
	}
	if (pthread_mutex_init(&b->impl.barrier_lock, NULL) != 0) {
		pthread_mutex_destroy(&b->impl.lock);
		TERN_FREE(raw);
		return ENOMEM;
	}
	b->pub.impl = &b->impl;
	b->impl.pub = &b->pub;
	epoch__glock();
	b->pub.id = tern__epoch_next_id++;
	b->impl.next_domain = tern__epoch_domains;
	tern__epoch_domains = &b->impl;
	epoch__gunlock();
	*out = &b->pub;
	return 0;
}

/* Destroy, step 1 (g_lock held): waits for hand-overs in progress, takes
 * the domain off the list and the records out of the registry.  =>
 * the detached records (still allocated: see the header comment). */
static rec_t *epoch__domain_close_locked(dom_t *D, batch_t *sealed)
{
	TERN_ASSERT(!D->closing, "tern_epoch_domain_destroy: domain destroyed twice");
	D->closing = true;
	D->destroyer = &tern__epoch_thr;
	while (D->exiting != 0)
		pthread_cond_wait(&tern__epoch_gcond, &tern__epoch_glock);
	for (dom_t **pp = &tern__epoch_domains; *pp; pp = &(*pp)->next_domain)
		if (*pp == D) {
			*pp = D->next_domain;
			break;
		}
	epoch__dom_lock(D);
	rec_t *records = D->records;
	for (rec_t *r = records; r; r = r->next) {
		/* Relaxed: no thread may use the domain any more (precondition). */
		uint64_t s = atomic_load_explicit(&r->slot->state, memory_order_relaxed);
		TERN_ASSERT(!(s & TERN__EPOCH_PINNED), "tern_epoch_domain_destroy: a thread is pinned in the domain");
		(void)s;
		r->in_registry = false;
	}
	D->records = NULL;
	D->registered = 0;
	for (int i = 0; i < 3; i++)
		epoch__gc_splice(sealed, &D->bins[i].g);
	epoch__sealed_recount_locked(D);
	rec_t *dead = &D->dead;
	epoch__record_init(D, dead, NULL, false);
	/* Relaxed: only this thread uses the domain from here on. */
	atomic_store_explicit(&D->dying, true, memory_order_relaxed);
	epoch__dom_unlock(D);
	return records;
}

/* Destroy, step 3 (g_lock held): the owners may free the records now. */
static void epoch__domain_detach_records(rec_t *records)
{
	for (rec_t *r = records, *next; r; r = next) {
		next = r->next;
		r->prev = r->next = NULL;
		/* Release: pairs with the acquire loads in epoch__record_lookup(); the
		 * owner frees r only after seeing NULL: the last access is this. */
		atomic_store_explicit(&r->dom, NULL, memory_order_release);
	}
	pthread_cond_broadcast(&tern__epoch_gcond);
}

void tern_epoch_domain_destroy(tern_epoch_domain_t *d)
{
	if (d == NULL)
		return;
	TERN_ASSERT(d != &tern__epoch_default, "tern_epoch_domain_destroy: the default domain cannot be destroyed");
	dom_t *D = d->impl;
	TERN_ASSERT(!in_destructor_of(D), "tern_epoch_domain_destroy: called from one of the domain's destructors");
	batch_t sealed = { 0 };
	epoch__glock();
	rec_t *records = epoch__domain_close_locked(D, &sealed);
	epoch__gunlock();
	if (tern__epoch_cache.dom == d)
		memset(&tern__epoch_cache, 0, sizeof tern__epoch_cache);
	/* Step 2, no lock held: every record's garbage is due (nobody is
	 * pinned); destroy it while the records (whose reserve bags it may
	 * use) are still allocated. */
	for (rec_t *r = records; r; r = r->next) {
		batch_t all = { 0 };
		epoch__olock_acquire(r);
		epoch__open_take_locked(r, &all);
		epoch__olock_release(r);
		epoch__batch_destroy(D, NULL, &all);
	}
	epoch__glock();
	epoch__domain_detach_records(records);
	epoch__gunlock();
	epoch__batch_destroy(D, NULL, &sealed);
	/* Drain what the destructors deferred into the dying domain. */
	for (;;) {
		epoch__dom_lock(D);
		batch_t b = D->drain;
		memset(&D->drain, 0, sizeof D->drain);
		epoch__dom_unlock(D);
		if (epoch__batch_empty(&b))
			break;
		epoch__batch_destroy(D, NULL, &b);
	}
	unsigned round = 0;
	/* Acquire: pairs with the release decrement in epoch__sealed_destroy(). */
	while (atomic_load_explicit(&D->busy[0], memory_order_acquire) != 0 ||
	       /* Acquire: as above. */
	       atomic_load_explicit(&D->busy[1], memory_order_acquire) != 0)
		epoch_backoff(&round);
	if (tern__epoch_cache.dom == d)
		memset(&tern__epoch_cache, 0, sizeof tern__epoch_cache);
	d->id = 0;
	pthread_mutex_destroy(&D->lock);
	pthread_mutex_destroy(&D->barrier_lock);
	TERN_FREE(D->raw);
}

/* ------------------------------------------------------ thread exit */

/* Retires r from D: ends its pin (or online section), seals its garbage
 * into the domain (destroying what is due) until none is left, and leaves
 * the registry. */
static void epoch__record_retire(dom_t *D, rec_t *r)
{
	r->retiring = true;
	uint64_t s = tern__epoch_own_state(r->slot);
	if (s & TERN__EPOCH_PINNED) {
		/* Exiting while pinned: the pin ends with the thread. */
		r->nest = 0;
		uint64_t ended = s & (TERN__EPOCH_FLAGS & ~(uint64_t)(TERN__EPOCH_PINNED | TERN__EPOCH_NESTED |
									 TERN__EPOCH_ONLINE));
		/* Release (R3): pairs with the acquire scan in try_advance_locked(). */
		atomic_store_explicit(&r->slot->state, ended, memory_order_release);
	}
	bool was_collecting = r->collecting;
	r->collecting = true; /* nested collections return; this loop drains */
	do {
		epoch__seal_open(D, r);
		epoch__collect_sealed(D, r, 1, SIZE_MAX); /* destroy what is due now rather than leave it */
	} while (epoch__record_has_garbage(r));
	r->collecting = was_collecting;
	epoch__registry_remove(D, r);
	epoch__bags_free_spare(r);
	r->mode = TERN__EPOCH_UNREGISTERED;
	r->retiring = false;
	/* Relaxed: the record has left the registry; no collector reads it. */
	atomic_store_explicit(&r->slot->state, 0, memory_order_relaxed);
	/* Relaxed: owner-only from here (out of every registry). */
	atomic_store_explicit(&r->dom, NULL, memory_order_relaxed);
}

/* Exit for a heap record: the hand-over reference protocol with destroy.
 * => false (r left alone) when the calling thread is the one destroying
 * r's domain: the destroy detaches r, and a later lookup frees it. */
static bool epoch__heap_record_exit(rec_t *r)
{
	epoch__glock();
	/* Relaxed: dom is written under g_lock by destroy (and by the owner). */
	dom_t *D = atomic_load_explicit(&r->dom, memory_order_relaxed);
	if (D != NULL && D->closing) {
		if (D->destroyer == &tern__epoch_thr) {
			epoch__gunlock();
			return false;
		}
		/* Relaxed: written under g_lock, which we hold between checks. */
		while (atomic_load_explicit(&r->dom, memory_order_relaxed) != NULL)
			pthread_cond_wait(&tern__epoch_gcond, &tern__epoch_glock);
		D = NULL;
	}
	if (D != NULL)
		D->exiting++;
	epoch__gunlock();
	if (D != NULL) {
		epoch__record_retire(D, r);
		epoch__glock();
		if (--D->exiting == 0 && D->closing)
			pthread_cond_broadcast(&tern__epoch_gcond);
		epoch__gunlock();
	}
	epoch__chain_unlink(r);
	epoch__record_free(r);
	return true;
}

/*
 * The pthread-key destructor: retires every record of the thread.  A pin
 * still in force ends with the thread; in the default domain, that many
 * later unpins (from other keys' destructors that glibc runs after this
 * one) are accepted as no-ops (ended_pins).  The hook cannot wait for
 * them: glibc's destructor passes are numbered nowhere a key can see, and
 * a record left registered past the last pass would outlive its storage.
 */
static void epoch_thread_exit(void *arg)
{
	(void)arg;
	for (;;) {
		if (tern__epoch_trec.in_registry && !tern__epoch_thr.exited) {
			if (tern__epoch_pinned(tern__epoch_trec.slot))
				tern__epoch_thr.ended_pins = tern__epoch_trec.nest + 1;
			epoch__record_retire(&tern__epoch_default_impl, &tern__epoch_trec);
			continue;
		}
		if (tern__epoch_thr.chain == NULL)
			break;
		epoch__heap_record_exit(tern__epoch_thr.chain);
	}
	tern__epoch_thr.exited = true;
	memset(&tern__epoch_cache, 0, sizeof tern__epoch_cache);
	/* Relaxed: the TLS slot is in no registry now; PINNED while ended
	 * pins remain to be unpinned. */
	atomic_store_explicit(&tern__epoch_self.state,
			      TERN__EPOCH_LATE | (tern__epoch_thr.ended_pins ? TERN__EPOCH_PINNED : 0),
			      memory_order_relaxed);
}

/* ------------------------------------------------------ fork */

static void epoch_atfork_prepare(void)
{
	epoch__glock();
	epoch__dom_lock(&tern__epoch_default_impl);
	for (dom_t *D = tern__epoch_domains; D; D = D->next_domain)
		epoch__dom_lock(D);
}

static void epoch_atfork_parent(void)
{
	for (dom_t *D = tern__epoch_domains; D; D = D->next_domain)
		epoch__dom_unlock(D);
	epoch__dom_unlock(&tern__epoch_default_impl);
	epoch__gunlock();
}

static bool epoch__record_is_mine(rec_t *r)
{
	if (r == &tern__epoch_trec)
		return true;
	for (rec_t *x = tern__epoch_thr.chain; x; x = x->chain)
		if (x == r)
			return true;
	return false;
}

/* In the child only the forking thread exists: every other record is an
 * exited thread whose open garbage is sealed into the domain. */
static void epoch__child_reset(dom_t *D)
{
	/* Relaxed: the child is single-threaded here. */
	uint64_t g = atomic_load_explicit(EPOCH(D), memory_order_relaxed);
	batch_t due = { 0 };
	for (rec_t *r = D->records, *next; r; r = next) {
		next = r->next;
		if (epoch__record_is_mine(r))
			continue;
		/* Relaxed: single-threaded child.  A list whose lock was held at
		 * the fork may be half updated: it is left unreclaimed (a leak in
		 * the child, never a double destruction). */
		if (!atomic_load_explicit(&r->olock, memory_order_relaxed) &&
		    /* Relaxed: single-threaded child. */
		    !atomic_load_explicit(&r->appending, memory_order_relaxed)) {
			batch_t b = r->open;
			epoch__gc_repair(&b);
			/* The reserve bag dies with the record's memory: copy it. */
			bool ok = true;
			for (struct tern__epoch_bag **pp = &b.bags; *pp && ok; pp = &(*pp)->next) {
				if (!(*pp)->reserve)
					continue;
				struct tern__epoch_bag *copy = epoch__bag_alloc();
				if (copy == NULL) {
					ok = false;
					break;
				}
				memcpy(copy, *pp, sizeof *copy);
				copy->reserve = false;
				if (b.bags_tail == *pp)
					b.bags_tail = copy;
				*pp = copy;
			}
			/* Sealed with the current epoch (later than its real tag:
			 * conservative). */
			if (ok)
				epoch__sealed_put_locked(D, g, g, &b, &due);
		}
		epoch__registry_unlink_locked(D, r);
		if (r->heap)
			TERN_FREE(r);
	}
	/* Displaced due garbage: the bin (g - 2) % 3 holds only tags <= g - 2,
	 * all due, so it joins that bin under tag g - 2 and the child's next
	 * collection destroys it.  Due garbage exists only once g >= 2. */
	if (!epoch__batch_empty(&due)) {
		struct tern__epoch_bin *b = &D->bins[(g - 2) % 3];
		epoch__gc_splice(&b->g, &due);
		b->tag = g - 2;
	}
	epoch__sealed_recount_locked(D);
	/* Relaxed: single-threaded child. */
	atomic_store_explicit(&D->busy[0], 0, memory_order_relaxed);
	/* Relaxed: single-threaded child. */
	atomic_store_explicit(&D->busy[1], 0, memory_order_relaxed);
	D->exiting = 0;
}

static void epoch_atfork_child(void)
{
	/* A domain that another thread was destroying (closing, already off
	 * the list) is lost in the child; the forking thread's records in it
	 * are detached so that its exit and lookups do not wait for the
	 * destroyer. */
	for (rec_t *r = tern__epoch_thr.chain; r; r = r->chain) {
		/* Relaxed: single-threaded child. */
		dom_t *D = atomic_load_explicit(&r->dom, memory_order_relaxed);
		if (D != NULL && D->closing)
			/* Relaxed: single-threaded child. */
			atomic_store_explicit(&r->dom, NULL, memory_order_relaxed);
	}
	epoch__child_reset(&tern__epoch_default_impl);
	for (dom_t *D = tern__epoch_domains; D; D = D->next_domain)
		epoch__child_reset(D);
	for (dom_t *D = tern__epoch_domains; D; D = D->next_domain) {
		pthread_mutex_init(&D->lock, NULL);
		pthread_mutex_init(&D->barrier_lock, NULL);
	}
	pthread_mutex_init(&tern__epoch_default_impl.lock, NULL);
	/* A barrier another thread was running holds this in the child. */
	pthread_mutex_init(&tern__epoch_default_impl.barrier_lock, NULL);
	pthread_mutex_init(&tern__epoch_glock, NULL);
	pthread_cond_init(&tern__epoch_gcond, NULL);
}
