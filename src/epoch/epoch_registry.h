/* SPDX-License-Identifier: MIT */
/*
 * src/epoch/epoch_registry.h — thread records: registration, lookup, the
 * per-thread cache, late use after the exit hook (part of src/epoch/epoch.c).
 *
 * Invariants:
 *   - The default domain's record of a thread is the library-private TLS
 *     record tern__epoch_trec (its slot is the public tern__epoch_self);
 *     explicit-domain records are heap records on the thread's chain.
 *   - Registration is idempotent: a record joins its registry only when
 *     in_registry is false, under the domain lock.
 *   - A heap record whose dom is NULL has left its registry for good (its
 *     domain was destroyed); its owner frees it at the next lookup or at
 *     exit.  The destroyer's release store of NULL is its last access.
 *   - Every record that is freed is first removed from the cache.
 *   - Late use: once the exit hook has run, glibc may still run other keys'
 *     destructors that use tern.  From then on the default domain uses a
 *     short-lived heap record in every domain (never the TLS one, whose
 *     memory a later thread may reuse): it is retired at the outermost
 *     unpin, or when the outermost call that used it returns, and the exit
 *     hook is re-armed so that a record left pinned is retired in the next
 *     destructor pass.  A thread that ends pinned in glibc's last pass
 *     leaves a heap record behind (pinned for ever: reported as a stall).
 *   - Not covered: a thread whose *first* use of tern happens in glibc's
 *     last destructor pass (after other keys re-armed themselves three
 *     times) registers its TLS record with an exit hook that glibc will
 *     not run again; the record stays in the registry after the thread's
 *     storage is gone (README, "Known limits").
 */

static bool epoch__heap_record_exit(rec_t *r);

static void epoch__record_init(dom_t *D, rec_t *r, struct tern__epoch_slot *slot, bool heap)
{
	memset(r, 0, sizeof *r);
	r->slot = slot ? slot : &r->own;
	r->heap = heap;
	r->tid = epoch_thread_id();
	r->dom_id = D->pub->id;
	r->reserve.reserve = true;
	r->mode = epoch__need_fence() ? TERN__EPOCH_FENCE : TERN__EPOCH_MEMBARRIER;
	/* Relaxed: the record is not yet in a registry (published under the
	 * domain lock by epoch__registry_add()). */
	atomic_store_explicit(&r->slot->state, TERN__EPOCH_REG | (epoch__need_fence() ? 0 : TERN__EPOCH_FAST),
			      memory_order_relaxed);
	/* Relaxed: owner-only until epoch__registry_add() publishes the record. */
	atomic_store_explicit(&r->dom, D, memory_order_relaxed);
}

static void epoch__registry_add(dom_t *D, rec_t *r)
{
	epoch__dom_lock(D);
	TERN_ASSERT(!r->in_registry, "tern_epoch: record registered twice");
	r->prev = NULL;
	r->next = D->records;
	if (D->records)
		D->records->prev = r;
	D->records = r;
	r->in_registry = true;
	D->registered++;
	epoch__dom_unlock(D);
}

static void epoch__registry_unlink_locked(dom_t *D, rec_t *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else
		D->records = r->next;
	if (r->next)
		r->next->prev = r->prev;
	r->prev = r->next = NULL;
	r->in_registry = false;
	D->registered--;
}

static void epoch__registry_remove(dom_t *D, rec_t *r)
{
	epoch__dom_lock(D);
	epoch__registry_unlink_locked(D, r);
	epoch__dom_unlock(D);
}

/* Makes sure epoch_thread_exit() runs (again) for the calling thread. */
static void epoch__arm_exit_hook(void)
{
	if (pthread_getspecific(tern__epoch_key) == NULL)
		pthread_setspecific(tern__epoch_key, &tern__epoch_thr);
}

static void epoch__record_register(dom_t *D, rec_t *r, struct tern__epoch_slot *slot, bool heap)
{
	epoch_init_once();
	epoch__record_init(D, r, slot, heap);
	epoch__registry_add(D, r);
	epoch__arm_exit_hook();
}

static void epoch__cache_forget(rec_t *r)
{
	if (tern__epoch_cache.slot == &r->own)
		memset(&tern__epoch_cache, 0, sizeof tern__epoch_cache);
}

static void epoch__chain_unlink(rec_t *r)
{
	for (rec_t **pp = &tern__epoch_thr.chain; *pp; pp = &(*pp)->chain)
		if (*pp == r) {
			*pp = r->chain;
			return;
		}
}

/* Frees a heap record that has left its registry. */
static void epoch__record_free(rec_t *r)
{
	epoch__cache_forget(r);
	epoch__bags_free_spare(r);
	TERN_FREE(r);
}

/* A new heap record of the calling thread in D, registered.  => NULL
 * without memory. */
static rec_t *epoch__record_new(dom_t *D, bool late)
{
	rec_t *r = TERN_MALLOC(sizeof *r);
	if (r == NULL)
		return NULL;
	epoch_init_once();
	epoch__record_init(D, r, NULL, true);
	r->late = late || tern__epoch_thr.exited;
	if (r->late)
		/* Relaxed: not yet published (epoch__registry_add() below).  A late
		 * record's pin and unpin go out of line, so that the outermost
		 * unpin retires it (epoch__late_done()). */
		atomic_store_explicit(&r->own.state, TERN__EPOCH_REG | TERN__EPOCH_LATE, memory_order_relaxed);
	r->chain = tern__epoch_thr.chain;
	tern__epoch_thr.chain = r;
	epoch__registry_add(D, r);
	epoch__arm_exit_hook();
	return r;
}

/* The calling thread's default-domain record (registering it if create);
 * after the exit hook, its late record.  => NULL if none (or no memory
 * for a late one). */
static rec_t *epoch__default_record(bool create)
{
	dom_t *D = &tern__epoch_default_impl;
	if (!tern__epoch_thr.exited) {
		rec_t *r = &tern__epoch_trec;
		if (!r->in_registry && create)
			epoch__record_register(D, r, &tern__epoch_self, false);
		return r->in_registry ? r : NULL;
	}
	for (rec_t *r = tern__epoch_thr.chain; r; r = r->chain)
		/* Relaxed: the owner reading its own record's domain. */
		if (r->late && atomic_load_explicit(&r->dom, memory_order_relaxed) == D)
			return r;
	return create ? epoch__record_new(D, true) : NULL;
}

/* The calling thread's record in D (registering it if create; in a dying
 * domain, the never-registered D->dead).  Refreshes the cache and frees
 * records left behind by destroyed domains.  => NULL if none. */
static rec_t *epoch__record_lookup(dom_t *D, bool create)
{
	if (D->is_default)
		return epoch__default_record(create);
	rec_t *found = NULL;
	for (rec_t **pp = &tern__epoch_thr.chain; *pp;) {
		rec_t *r = *pp;
		/* Acquire: pairs with the release store in epoch__domain_detach_records():
		 * a record seen detached is no longer touched by the destroyer. */
		dom_t *rd = atomic_load_explicit(&r->dom, memory_order_acquire);
		if (rd == NULL) {
			*pp = r->chain;
			epoch__record_free(r);
			continue;
		}
		if (rd == D && r->dom_id == D->pub->id)
			found = r;
		pp = &r->chain;
	}
	if (found == NULL && create) {
		if (epoch__dom_dying(D))
			return &D->dead;
		found = epoch__record_new(D, false);
	}
	if (found) {
		tern__epoch_cache.dom = D->pub;
		tern__epoch_cache.id = D->pub->id;
		tern__epoch_cache.slot = &found->own;
	}
	return found;
}

/* The record behind slot s of domain d. */
static rec_t *epoch__slot_record(struct tern_epoch_domain *d, struct tern__epoch_slot *s, bool create)
{
	if (s == &tern__epoch_self)
		return epoch__default_record(create);
	(void)d;
	return (rec_t *)((char *)s - offsetof(rec_t, own));
}

/* Late use: the public TLS slot mirrors the late record's pin, so that the
 * inline unpin and tern_epoch_is_pinned() see it, and keeps both pin and
 * unpin out of line (TERN__EPOCH_LATE). */
static void epoch__late_mirror(rec_t *r)
{
	uint64_t pinned = tern__epoch_own_state(r->slot) & TERN__EPOCH_PINNED;
	if (tern__epoch_thr.ended_pins)
		pinned = TERN__EPOCH_PINNED; /* pins thread exit ended, still to be unpinned */
	/* Relaxed: the TLS slot is in no registry once the exit hook ran; only
	 * its owner reads it. */
	atomic_store_explicit(&tern__epoch_self.state, TERN__EPOCH_LATE | pinned, memory_order_relaxed);
}

/* Retires and frees a late record (any domain) once it is neither pinned
 * nor being retired already (a destructor that the retirement runs may use
 * tern). */
static void epoch__late_done(rec_t *r)
{
	/* collecting: an outer call (collect, flush, barrier, retire) is still
	 * using r; it calls epoch__late_done() itself when it returns. */
	if (!r->late || r->retiring || r->collecting || tern__epoch_pinned(r->slot))
		return;
	bool dflt = r->dom_id == tern__epoch_default.id;
	if (epoch__heap_record_exit(r) && dflt)
		/* Relaxed: as in epoch__late_mirror(). */
		atomic_store_explicit(&tern__epoch_self.state,
				      TERN__EPOCH_LATE | (tern__epoch_thr.ended_pins ? TERN__EPOCH_PINNED : 0),
				      memory_order_relaxed);
}

struct tern__epoch_slot *tern__epoch_domain_slot(struct tern_epoch_domain *d)
{
	TERN_ASSERT(d != NULL, "tern_epoch_domain_pin: domain is NULL");
	rec_t *r = epoch__record_lookup(d->impl, true);
	if (r == NULL) {
		fprintf(stderr, "tern_epoch_domain_pin: cannot allocate the thread's record "
				"(call tern_epoch_domain_register() first to handle ENOMEM)\n");
		abort();
	}
	return r->slot;
}

int tern_epoch_domain_register(tern_epoch_domain_t *d)
{
	if (d == NULL)
		return EINVAL;
	rec_t *r = epoch__record_lookup(d->impl, true);
	if (r == NULL)
		return ENOMEM;
	epoch__late_done(r); /* after the exit hook a record is only kept while in use */
	return 0;
}

bool tern__epoch_domain_pinned(struct tern_epoch_domain *d)
{
	TERN_ASSERT(d != NULL, "tern_epoch_domain_is_pinned: domain is NULL");
	rec_t *r = epoch__record_lookup(d->impl, false);
	return r != NULL && tern__epoch_pinned(r->slot);
}
