/* SPDX-License-Identifier: MIT */
/*
 * src/epoch/epoch.c — three-bin epoch-based reclamation.  One translation
 * unit in five parts, read top-down: epoch_impl.h (types), epoch_garbage.h
 * (lists, the domain's sealed bins), epoch_registry.h (records),
 * epoch_reclaim.h (defer -> seal -> advance -> reclaim, pin/unpin slow
 * paths, quiescent states, polled grace periods), epoch_lifecycle.h
 * (barrier, flush, exit, destroy, fork); this file holds the argument and
 * the default-domain wrappers.
 *
 * Concurrency
 * ===========
 * Shared state of a domain D: the global epoch G (monotonic, 64-bit, never
 * wraps in practice), and one slot per registered thread whose state word
 * is (e << TERN__EPOCH_SHIFT) | TERN__EPOCH_PINNED | owner flags while the
 * thread is pinned at epoch e, and owner flags alone otherwise.  Only the
 * owner writes its state word, and every such store made while the record
 * is in a registry is a release store (stores made before it joins, after
 * it leaves, or to the TLS slot once the thread's exit hook ran are
 * relaxed: no collector reads them).
 * A record's open (unsealed) list is guarded by the record's olock (held by
 * the owner to append or seal, by a barrier to take it); its other fields
 * belong to the owner.  The registry, the domain's three sealed bins, the
 * drain list and the stall fields are protected by D->lock.  Advances of G
 * are serialised by D->lock.  An online (quiescent-state) thread is pinned
 * in this sense for its whole online section; a quiescent state is R3 and
 * R1 in one release store.
 *
 * Lock order: g_lock, then D->lock (one domain at a time), then a record's
 * olock.  No user callback, and no allocation (the allocator may be the
 * user's), runs while any is held: garbage is detached under the lock and
 * destroyed after unlocking (epoch__batch_destroy()).
 *
 * Steps (the labels are cited by comments in the code):
 *   R1 reader pin:    e = load_acquire(G); store_release(state, e | PINNED);
 *                     then a compiler barrier (membarrier mode) or a
 *                     seq_cst fence F_R (fence mode).
 *   R2 reader use:    loads shared pointers (acquire), uses the objects.
 *   R3 reader unpin:  store_release(state, flags without PINNED).
 *   W1 writer:        unlinks object O from every shared place (any RMW or
 *                     store), then defers it: O is appended to the thread's
 *                     *open* list, untagged.  No fence, no shared access
 *                     (the record's own olock in fence mode; in membarrier
 *                     mode a store/load handshake on the record's own
 *                     line, epoch__owner_enter()).
 *   W2 seal:          seq_cst fence F_W; t = load(G); the open list moves
 *                     to the domain's bin[t % 3] with tag t (under D->lock,
 *                     through the due filter).  Sealing happens when the
 *                     open list reaches a bag, at collection, flush and
 *                     exit, and in a barrier, which seals every thread's
 *                     open list (the owner's unlinks happen before F_W
 *                     through the olock; C++20's fence rules take happens-
 *                     before, not only sequenced-before, for the step below).
 *   A  advance:       under D->lock: g = G; heavy barrier (membarrier
 *                     PRIVATE_EXPEDITED followed by a seq_cst fence, or just
 *                     the fence in fence mode); for each record
 *                     s = load_acquire(state): if s is pinned at e != g,
 *                     fail; else store_seq_cst(G, g + 1).
 *   C  reclaim:       g = load_acquire(G); bins with tag t and t + 2 <= g are
 *                     detached and destroyed, by whichever thread collects.
 *
 * Invariant (safety).  If reader R obtained a pointer to O in R2 (it read a
 * value older than O's unlink) then O is destroyed only after R3.
 *
 * Proof sketch, fence mode (C11/C++20 seq_cst fence rules).  Let W seal O
 * with tag t (its fence F_W, then G read = t).  R's pointer load read a value
 * older than the unlink, so R's fence F_R precedes F_W in the single total
 * order S (otherwise the unlink, sequenced before F_W, would be visible after
 * F_R).  R's epoch load read e_R, written by the advance that stored e_R,
 * which therefore precedes F_R in S; W's epoch load follows F_W, so
 * t >= e_R.  O is destroyed only after G reaches t + 2, i.e. after the advance
 * A' from t + 1 to t + 2.  W's epoch load read t, which that advance's
 * predecessor (t -> t + 1) overwrote, so F_W precedes that seq_cst store in
 * S, which precedes A''s fence.  Hence F_R precedes A''s fence, and A''s scan
 * reads R's R1 store or a later store of R's state.  If that store shows R
 * pinned at e_R (<= t < t + 1), A' fails.  Otherwise it is R3 or a store
 * after R3 (a flag update, or a later pin R1' at t + 1): each is a release
 * store sequenced after R's uses of O, and A''s load is an acquire, so it
 * synchronises with that store directly — no release sequence is needed
 * (C++20 no longer lets R1' continue R3's release sequence, P0982R1, and
 * the inline pin is compiled into C++ programs).  The seq_cst store of G
 * happens after the scan, and the destroyer's acquire load of G (step C)
 * reads it or a later value: R's uses happen before the destruction.
 *
 * Membarrier mode.  The reader has no fence.  membarrier() in step A makes
 * every running thread of the process execute a full barrier at some point
 * of its instruction stream (and a descheduled thread passes through the
 * kernel's barriers); model it as a seq_cst fence M_R inserted in R at that
 * point, between the collector's fences before and after the system call.
 * Take A' (t + 1 -> t + 2) and its point M_R in R.
 *   - R's pointer load after M_R: W's fence precedes the store of t + 1
 *     (W read t before it), which precedes A''s membarrier, so the unlink,
 *     sequenced before W's fence, is visible to R's load: R cannot have read
 *     the old pointer.  Contradiction.
 *   - R's pointer load before M_R: then R's state store is before M_R too,
 *     and A''s scan (after the system call) sees it or a later store.  If R
 *     is pinned at e_R <= t, A' fails.  If a later (release) store shows R
 *     unpinned or re-pinned, R's uses happen before the destruction as in
 *     fence mode.  If e_R = t + 1, R's epoch load read the store of t + 1,
 *     which became visible only after W's fence had made the unlink visible
 *     (W's load read the older value t).  R1's load is an acquire, so R's
 *     pointer load is performed after it and sees the unlink: contradiction
 *     again.  This last step needs other-multi-copy-atomic hardware (x86,
 *     ARMv8, RISC-V); elsewhere (POWER) tern stays in fence mode
 *     (TERN__EPOCH_ARCH_MCA).  The acquire costs nothing on x86.
 *
 * Three bins suffice.  A thread's sealed tags are <= G; tags t with
 * t + 2 > G, i.e. t in {G - 1, G}, are the only ones not yet due.  When a
 * batch tagged t meets bin[t % 3] holding tag t' != t, then t' <= t - 3 and
 * t' is due: it moves to bin[(G + 1) % 3], which holds only due tags
 * (<= G - 2), under a tag that stays <= G - 2 (still due, never early),
 * so each bin keeps one tag.  This needs every
 * tag that enters a bin to be not yet due, which the due filter of
 * epoch__sealed_put_locked() ensures (under D->lock: garbage tagged t that is
 * already due at the current epoch goes straight to the caller's batch).
 *
 * Liveness.  Each advance needs every pinned thread to have announced the
 * current epoch; a thread that stays pinned blocks advancement (reported by
 * the stall statistics) but never blocks pins, unpins or defers.  A thread
 * with pending garbage collects every TERN_EPOCH_COLLECT_PINS unpins and
 * every TERN_EPOCH_COLLECT_DEFERS defers, both stretched up to 16 times
 * while the measured membarrier is slow (epoch__collect_interval()); above
 * TERN_EPOCH_PENDING_MAX it retries harder (bounded) before returning.
 * Sealed garbage is destroyed by any collection in the domain and by
 * tern_epoch_barrier(), so an idle thread holds back at most its open list
 * (at most TERN_EPOCH_BAG_CAP objects), and the barrier takes even that.
 * A collection run by an unpin (or quiescent state) destroys at most
 * TERN_EPOCH_UNPIN_DESTROY_MAX objects; if due garbage is left, its
 * thread keeps PENDING set (due_left), so its later unpins continue, and
 * it does not reset its defer count, so a thread that defers faster than
 * its budgets destroy reaches a defer collection, which takes all (as do
 * collect, the barrier and exit).  Sealing never destroys: due garbage a
 * seal meets in its bin moves to the bin of due tags (epoch__bin_add()).  A collection
 * with nothing waiting does not advance; an advance that a relaxed
 * pre-scan shows would fail skips the heavy barrier.
 *
 * Exactly once.  An object is in exactly one place at a time: an open list,
 * one sealed bin, a drain list, or a detached batch being destroyed by
 * exactly one thread.  Moves happen under the record's olock (open lists),
 * under D->lock (bins, drain), or in domain destroy and the fork child when
 * the owner provably cannot act (epoch_lifecycle.h).
 *
 * fork().  The atfork handlers take g_lock and every domain lock in
 * prepare; in the child, every record but the forking thread's is treated as
 * exited: its open list is sealed into the domain and the record leaves the
 * registry.  Open lists change only under their olock, so the child leaves
 * a list whose lock was held at the fork alone (a leak, never a double
 * destruction), and repairs counts and tails of the others.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "epoch_impl.h"

TERN__STATIC_DATA struct tern_epoch_domain tern__epoch_default = {
	.id = 1,
	.impl = &tern__epoch_default_impl,
};
static dom_t tern__epoch_default_impl = {
	.pub = &tern__epoch_default,
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.barrier_lock = PTHREAD_MUTEX_INITIALIZER,
	.is_default = true,
};
TERN__STATIC_DATA _Thread_local struct tern__epoch_slot tern__epoch_self;
TERN__STATIC_DATA _Thread_local struct tern__epoch_cache tern__epoch_cache;
/* The default domain's record (no allocation, so default pins never fail)
 * and the thread's private state. */
static _Thread_local rec_t tern__epoch_trec;
static _Thread_local struct tern__epoch_thread tern__epoch_thr;

#include "epoch_garbage.h"
#include "epoch_registry.h"
#include "epoch_reclaim.h"
#include "epoch_lifecycle.h"

/* ---- the public defer calls ---- */

static void epoch__free_obj(void *p)
{
	free(p);
}

void tern_epoch_domain_defer(tern_epoch_domain_t *d, void *obj, void (*destroy)(void *))
{
	TERN_ASSERT(d != NULL, "tern_epoch_domain_defer: domain is NULL");
	TERN_ASSERT(destroy != NULL, "tern_epoch_domain_defer: destroy function is NULL");
	if (obj != NULL)
		epoch__defer_obj(d, obj, destroy);
}

void tern_epoch_domain_defer_free(tern_epoch_domain_t *d, void *obj)
{
	TERN_ASSERT(d != NULL, "tern_epoch_domain_defer_free: domain is NULL");
	if (obj != NULL)
		epoch__defer_obj(d, obj, epoch__free_obj);
}

void tern_epoch_domain_call(tern_epoch_domain_t *d, struct tern_epoch_entry *e,
			    void (*fn)(struct tern_epoch_entry *))
{
	TERN_ASSERT(d != NULL, "tern_epoch_domain_call: domain is NULL");
	TERN_ASSERT(e != NULL && fn != NULL, "tern_epoch_domain_call: entry or function is NULL");
	epoch__defer_entry(d, e, fn);
}

/* ---- the default domain: thin wrappers ---- */

void tern_epoch_defer(void *obj, void (*destroy)(void *))
{
	TERN_ASSERT(destroy != NULL, "tern_epoch_defer: destroy function is NULL");
	if (obj != NULL)
		epoch__defer_obj(&tern__epoch_default, obj, destroy);
}

void tern_epoch_defer_free(void *obj)
{
	if (obj != NULL)
		epoch__defer_obj(&tern__epoch_default, obj, epoch__free_obj);
}

void tern_epoch_call(struct tern_epoch_entry *e, void (*fn)(struct tern_epoch_entry *))
{
	TERN_ASSERT(e != NULL && fn != NULL, "tern_epoch_call: entry or function is NULL");
	epoch__defer_entry(&tern__epoch_default, e, fn);
}

void tern_epoch_synchronize(void)
{
	epoch__check_may_wait(&tern__epoch_default_impl, "tern_epoch_synchronize: called while pinned (would deadlock)",
		       "tern_epoch_synchronize: called from a destructor");
	epoch__synchronize_grace(&tern__epoch_default_impl);
}

void tern_epoch_barrier(void)
{
	epoch__check_may_wait(&tern__epoch_default_impl, "tern_epoch_barrier: called while pinned (would deadlock)",
		       "tern_epoch_barrier: called from a destructor");
	epoch__barrier_in(&tern__epoch_default_impl);
}

void tern_epoch_flush(void)
{
	tern_epoch_domain_flush(&tern__epoch_default);
}

void tern_epoch_collect(void)
{
	tern_epoch_domain_collect(&tern__epoch_default);
}

void tern_epoch_stats(struct tern_epoch_stats *out)
{
	TERN_ASSERT(out != NULL, "tern_epoch_stats: out is NULL");
	tern_epoch_domain_stats(&tern__epoch_default, out);
}

uint64_t tern_epoch_get_state(void)
{
	return tern_epoch_domain_get_state(&tern__epoch_default);
}

bool tern_epoch_poll_state(uint64_t cookie)
{
	return tern_epoch_domain_poll_state(&tern__epoch_default, cookie);
}

tern_epoch_domain_t *tern_epoch_default_domain(void)
{
	return &tern__epoch_default;
}

bool tern_epoch_uses_membarrier(void)
{
	epoch_init_once();
	return tern__epoch_need_fence == 0;
}
