/*
 * src/epoch/epoch.c — three-bin epoch-based reclamation: registry, defer,
 * sealing, advancing, collecting, orphans, domains, fork.
 *
 * Concurrency
 * ===========
 * Shared state of a domain D: the global epoch G (monotonic, 64-bit, never
 * wraps in practice), and one record per registered thread whose `state` is
 * (e << 1) | 1 while the thread is pinned at epoch e and 0 otherwise.  All
 * other record fields belong to the owning thread; the registry links,
 * orphan bins and stall fields are protected by D->lock.  Advances of G are
 * serialised by D->lock.
 *
 * Steps (the numbers are referred to from comments in the code):
 *   R1 reader pin:    e = load_acquire(G); store_relaxed(state, e|1);
 *                     then a compiler barrier (membarrier mode) or a
 *                     seq_cst fence (fence mode).
 *   R2 reader use:    loads shared pointers (acquire), uses the objects.
 *   R3 reader unpin:  store_release(state, 0).
 *   W1 writer:        unlinks object O from every shared place (any RMW or
 *                     store), then defers it: O is appended to the thread's
 *                     *open* bag, untagged.  No fence, no shared access.
 *   W2 seal:          seq_cst fence; t = load(G); the open bag moves to
 *                     bin[t % 3] with tag t.  (Sealing happens at collection
 *                     time, so one fence covers up to a whole batch.)
 *   A  advance:       under D->lock: g = G; heavy barrier (membarrier
 *                     PRIVATE_EXPEDITED followed by a seq_cst fence, or just
 *                     the fence in fence mode); for each record
 *                     s = load_acquire(state): if s is pinned at e != g, fail;
 *                     else store_seq_cst(G, g + 1).
 *   C  reclaim:       g = load_acquire(G); bins with tag t and t + 2 <= g
 *                     are destroyed.
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
 * sees R's state store (or a later one).  If R is still pinned the scan sees
 * e_R <= t < t + 1 and A' fails.  If the scan saw R's unpin, R3's release
 * store is read by the acquire scan, the seq_cst store of G happens after
 * it, and the destroyer's acquire load of G (step C) reads it or a later
 * value: R's uses happen before the destruction.
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
 *     and A''s scan (after the system call) sees it.  If R is pinned at
 *     e_R <= t, A' fails.  If e_R = t + 1, R's epoch load read the store of
 *     t + 1, which became visible only after W's fence had made the unlink
 *     visible (W's load read the older value t).  R1's load is an acquire,
 *     so R's pointer load is performed after it and sees the unlink:
 *     contradiction again.  This last step needs other-multi-copy-atomic
 *     hardware (x86, ARMv8, RISC-V); elsewhere (POWER) tern stays in fence
 *     mode (TERN__EPOCH_ARCH_MCA).  The acquire costs nothing on x86.
 *
 * Three bins suffice.  A thread's sealed tags are <= G; tags t with
 * t + 2 > G, i.e. t in {G - 1, G}, are the only ones not yet due.  When a
 * batch tagged t meets bin[t % 3] holding tag t' != t, then t' <= t - 3 and
 * t' is due: it is destroyed before the bin is reused.  The same holds for
 * the domain's three orphan bins, compared under D->lock.
 *
 * Liveness.  Each advance needs every pinned thread to have announced the
 * current epoch; a thread that stays pinned blocks advancement (reported by
 * the stall statistics) but never blocks pins, unpins or defers.  A thread
 * with pending garbage collects every TERN_EPOCH_COLLECT_PINS unpins and
 * every TERN_EPOCH_COLLECT_DEFERS defers; above TERN_EPOCH_PENDING_MAX it
 * retries harder (bounded) before returning.  Orphans are destroyed by any
 * collection in the domain and by tern_epoch_barrier().
 *
 * Exactly once.  An object is in exactly one place at a time: the open bag,
 * one bin, one orphan bin, or a detached batch being destroyed by exactly one
 * thread.  Moves between these happen under the owner's control or D->lock.
 *
 * fork().  The atfork handlers take the global lock and every domain lock in
 * prepare; in the child, every record but the forking thread's is treated as
 * exited: its garbage (which its thread can no longer touch) becomes orphans
 * and the record leaves the registry.  Owner-only structures are updated so
 * that an interrupted update never exposes an entry that was not written
 * (the count is increased after the entry, behind a compiler barrier).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "tern/alloc.h"
#include "tern/epoch.h"

#if defined(__x86_64__) || defined(__i386__) || defined(__aarch64__) || defined(__riscv)
#define TERN__EPOCH_ARCH_MCA 1 /* multi-copy atomic: membarrier mode is sound */
#else
#define TERN__EPOCH_ARCH_MCA 0
#endif

/* Spare bags kept per record to avoid malloc in steady state. */
#define TERN__EPOCH_MAX_SPARE 4

struct tern_epoch_domain tern__epoch_default = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.id = 1,
	.is_default = true,
};
_Thread_local struct tern__epoch_record tern__epoch_self;
_Thread_local struct tern__epoch_cache tern__epoch_cache;
/* Non-zero when readers must fence (no membarrier, or TERN_EPOCH_FORCE_FENCE);
 * written once in global_init(), before any record is registered. */
static int tern__epoch_need_fence = 1;

/* Global lock: explicit-domain list, ids, records' domain pointers (heap
 * records), thread record chains. */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tern_epoch_domain *g_domains;
static uint64_t g_next_id = 2;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static pthread_key_t g_key;

/* A batch of garbage detached from a bin, destroyed outside any lock. */
typedef struct tern__epoch_garbage batch_t;

static void thread_exit(void *arg);
static void atfork_prepare(void);
static void atfork_parent(void);
static void atfork_child(void);

/* ---------------------------------------------------------------- setup */

static long sys_membarrier(int cmd)
{
#ifdef __NR_membarrier
	return syscall(__NR_membarrier, cmd, 0, 0);
#else
	(void)cmd;
	errno = ENOSYS;
	return -1;
#endif
}

static void global_init(void)
{
	if (pthread_key_create(&g_key, thread_exit) != 0) {
		fprintf(stderr, "tern: pthread_key_create failed; thread exit cannot be tracked\n");
		abort();
	}
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
	int fence = 1;
#if !defined(TERN_EPOCH_FORCE_FENCE)
	if (TERN__EPOCH_ARCH_MCA) {
		long cmds = sys_membarrier(MEMBARRIER_CMD_QUERY);
		if (cmds > 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
		    (cmds & MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) &&
		    sys_membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0)
			fence = 0;
	}
#endif
	/* Plain store inside pthread_once: every reader reaches the fast path
	 * only after its own registration, which calls pthread_once and so
	 * synchronises with this store. */
	tern__epoch_need_fence = fence;
}

bool tern_epoch_uses_membarrier(void)
{
	pthread_once(&g_once, global_init);
	return tern__epoch_need_fence == 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void lock(struct tern_epoch_domain *d)
{
	pthread_mutex_lock(&d->lock);
}

static void unlock(struct tern_epoch_domain *d)
{
	pthread_mutex_unlock(&d->lock);
}

/* Links r into d's registry; r->domain set last so a half-registered record
 * is never used by its owner. */
static void registry_add(struct tern_epoch_domain *d, struct tern__epoch_record *r)
{
	lock(d);
	r->prev = NULL;
	r->next = d->records;
	if (d->records)
		d->records->prev = r;
	d->records = r;
	d->registered++;
	unlock(d);
}

static void registry_remove(struct tern_epoch_domain *d, struct tern__epoch_record *r)
{
	lock(d);
	if (r->prev)
		r->prev->next = r->next;
	else
		d->records = r->next;
	if (r->next)
		r->next->prev = r->prev;
	r->prev = r->next = NULL;
	d->registered--;
	unlock(d);
}

static void record_init(struct tern_epoch_domain *d, struct tern__epoch_record *r, bool heap)
{
	struct tern__epoch_record *chain = r->thread_next; /* kept across re-registration */
	memset(r, 0, sizeof *r);
	r->thread_next = heap ? NULL : chain;
	r->heap = heap;
	r->tid = (long)syscall(SYS_gettid);
	r->domain_id = d->id;
	r->reserve.reserve = true;
	r->mode = tern__epoch_need_fence ? TERN__EPOCH_FENCE : TERN__EPOCH_MEMBARRIER;
	/* Relaxed: the record is not yet in the registry (published under the
	 * domain lock by registry_add()). */
	atomic_store_explicit(&r->state, tern__epoch_need_fence ? 0 : TERN__EPOCH_FAST, memory_order_relaxed);
}

/* Makes sure thread_exit() runs for the calling thread. */
static void arm_exit_hook(void)
{
	if (pthread_getspecific(g_key) == NULL)
		pthread_setspecific(g_key, &tern__epoch_self);
}

void tern__epoch_register(struct tern_epoch_domain *d, struct tern__epoch_record *r)
{
	pthread_once(&g_once, global_init);
	record_init(d, r, false);
	registry_add(d, r);
	r->domain = d;
	arm_exit_hook();
}

void tern__epoch_pin_slow(struct tern_epoch_domain *d, struct tern__epoch_record *r)
{
	uint64_t s = tern__epoch_own_state(r);
	if (s & TERN__EPOCH_PINNED) {
		if (r->nest++ == 0)
			/* Relaxed: an owner-only flag; the bits collectors read
			 * (epoch, PINNED) are unchanged. */
			atomic_store_explicit(&r->state, s | TERN__EPOCH_NESTED, memory_order_relaxed);
		return;
	}
	if (r->mode == TERN__EPOCH_UNREGISTERED) {
		tern__epoch_register(d, r);
		s = tern__epoch_own_state(r);
	}
	tern__epoch_announce(d, r, s);
#ifndef TERN_EPOCH_FORCE_FENCE
	if (r->mode == TERN__EPOCH_MEMBARRIER) {
		/* Compiler barrier only: see tern__epoch_pin_record(). */
		atomic_signal_fence(memory_order_seq_cst);
		return;
	}
#endif
	/* Seq_cst fence (F_R): pairs with the seq_cst fence in heavy_barrier()
	 * and the sealing fence in seal(). */
	atomic_thread_fence(memory_order_seq_cst);
}

/* Allocates and registers the caller's record in explicit domain d. */
static struct tern__epoch_record *domain_register(struct tern_epoch_domain *d)
{
	pthread_once(&g_once, global_init);
	struct tern__epoch_record *r = TERN_MALLOC(sizeof *r);
	if (r == NULL)
		return NULL;
	record_init(d, r, true);
	registry_add(d, r);
	r->domain = d;
	pthread_mutex_lock(&g_lock);
	r->thread_next = tern__epoch_self.thread_next;
	tern__epoch_self.thread_next = r;
	pthread_mutex_unlock(&g_lock);
	arm_exit_hook();
	return r;
}

/* Finds the caller's record in d (registering if needed); refreshes the cache. */
static struct tern__epoch_record *domain_lookup(struct tern_epoch_domain *d, bool create)
{
	if (d == &tern__epoch_default) {
		struct tern__epoch_record *r = &tern__epoch_self;
		if (r->domain == NULL && create)
			tern__epoch_register(d, r);
		return r->domain ? r : NULL;
	}
	struct tern__epoch_record *found = NULL;
	pthread_mutex_lock(&g_lock);
	for (struct tern__epoch_record **pp = &tern__epoch_self.thread_next; *pp;) {
		struct tern__epoch_record *r = *pp;
		if (r->domain == NULL) { /* its domain was destroyed: drop it */
			*pp = r->thread_next;
			TERN_FREE(r);
			continue;
		}
		if (r->domain == d && r->domain_id == d->id)
			found = r;
		pp = &r->thread_next;
	}
	pthread_mutex_unlock(&g_lock);
	if (found == NULL && create)
		found = domain_register(d);
	if (found) {
		tern__epoch_cache.dom = d;
		tern__epoch_cache.id = d->id;
		tern__epoch_cache.rec = found;
	}
	return found;
}

struct tern__epoch_record *tern__epoch_domain_record(struct tern_epoch_domain *d)
{
	TERN_ASSERT(d != NULL, "tern_epoch_domain_pin: domain is NULL");
	struct tern__epoch_record *r = domain_lookup(d, true);
	if (r == NULL) {
		fprintf(stderr, "tern_epoch_domain_pin: cannot allocate the thread's record "
				"(call tern_epoch_domain_register() first to handle ENOMEM)\n");
		abort();
	}
	return r;
}

int tern_epoch_domain_register(tern_epoch_domain_t *d)
{
	if (d == NULL)
		return EINVAL;
	return domain_lookup(d, true) ? 0 : ENOMEM;
}

tern_epoch_domain_t *tern_epoch_default_domain(void)
{
	return &tern__epoch_default;
}

/* ----------------------------------------------------------- bags, bins */

static struct tern__epoch_bag *bag_get(struct tern__epoch_record *r)
{
	struct tern__epoch_bag *b = r->spare;
	if (b) {
		r->spare = b->next;
		r->nspare--;
	} else {
		b = TERN_MALLOC(sizeof *b);
		if (b == NULL) {
			if (r->reserve_busy || !tern__epoch_pinned(r))
				return NULL;
			b = &r->reserve; /* pinned and out of memory: the reserve */
			r->reserve_busy = true;
		} else {
			b->reserve = false;
		}
	}
	b->next = NULL;
	b->n = 0;
	return b;
}

static void bag_put(struct tern__epoch_record *r, struct tern__epoch_bag *b)
{
	if (b->reserve) {
		/* Only the owner's own bins can hold its reserve (see
		 * evict_reserve()), or a dead thread's record after fork. */
		struct tern__epoch_record *owner =
			(struct tern__epoch_record *)((char *)b - offsetof(struct tern__epoch_record, reserve));
		owner->reserve_busy = false;
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

static void bin_take(struct tern__epoch_bin *b, batch_t *out)
{
	gc_splice(out, &b->g);
}

/*
 * Moves garbage tagged t into the bin for t.  A different tag already there
 * is due (three-bin argument in the header comment) and moves to *due.
 */
static void bin_add(struct tern__epoch_bin *bins, uint64_t t, batch_t *src, batch_t *due)
{
	struct tern__epoch_bin *b = &bins[t % 3];
	if (b->g.count != 0 && b->tag != t) {
		TERN_ASSERT(b->tag + 3 <= t, "tern_epoch: bin tags out of order");
		bin_take(b, due);
	}
	b->tag = t;
	gc_splice(&b->g, src);
}

/* Runs every destructor of the batch; returns bags to r's cache (r may be NULL). */
static void batch_destroy(struct tern_epoch_domain *d, struct tern__epoch_record *r, batch_t *bt)
{
	if (bt->count == 0 && bt->bags == NULL)
		return;
	size_t n = 0;
	for (struct tern__epoch_bag *b = bt->bags, *next; b; b = next) {
		next = b->next;
		for (unsigned i = 0; i < b->n; i++, n++)
			b->e[i].fn(b->e[i].obj);
		bag_put(r, b);
	}
	for (struct tern_epoch_entry *e = bt->ents, *next; e; e = next, n++) {
		next = e->next;
		e->fn(e);
	}
	TERN_ASSERT(n == bt->count, "tern_epoch: garbage count mismatch");
	/* Relaxed: a statistics counter; no data is published through it. */
	atomic_fetch_add_explicit(&d->destroyed, n, memory_order_relaxed);
	memset(bt, 0, sizeof *bt);
}

/* Keeps TERN__EPOCH_PENDING (which sends unpin out of line) equal to
 * "r has garbage". */
static void pending_flag(struct tern__epoch_record *r, bool on)
{
	uint64_t s = tern__epoch_own_state(r);
	uint64_t ns = on ? s | TERN__EPOCH_PENDING : s & ~(uint64_t)TERN__EPOCH_PENDING;
	if (ns != s)
		/* Release: when unpinned, this store replaces the unpin's release
		 * store as the value collectors read; keep its guarantee (pairs
		 * with the acquire load in try_advance_locked()). */
		atomic_store_explicit(&r->state, ns, memory_order_release);
}

/* Recomputes r->pending from the record's own garbage (slow paths). */
static void pending_recount(struct tern__epoch_record *r)
{
	size_t n = r->open.count;
	for (int i = 0; i < 3; i++)
		n += r->bins[i].g.count;
	/* Relaxed: owner-only counter (single writer), read by stats; it
	 * orders nothing. */
	atomic_store_explicit(&r->pending, n, memory_order_relaxed);
	pending_flag(r, n != 0);
}

static void open_push_bag(struct tern__epoch_record *r, struct tern__epoch_bag *b)
{
	b->next = r->open.bags;
	r->open.bags = b;
	if (r->open.bags_tail == NULL)
		r->open.bags_tail = b;
}

static void pending_add(struct tern__epoch_record *r, ptrdiff_t delta)
{
	/* Relaxed: owner-only counter (single writer), read by stats and by the
	 * owner's unpin; it orders nothing. */
	size_t p = atomic_load_explicit(&r->pending, memory_order_relaxed);
	/* Relaxed: see above. */
	atomic_store_explicit(&r->pending, p + (size_t)delta, memory_order_relaxed);
	if (p == 0 || p + (size_t)delta == 0)
		pending_flag(r, p + (size_t)delta != 0);
}

/* Step W2: tags the open garbage with the current epoch and bins it. */
static void seal(struct tern_epoch_domain *d, struct tern__epoch_record *r, batch_t *due)
{
	if (r->open.count == 0)
		return;
	/* Pinned with the reserve bag in use (out of memory): sealing now would
	 * tag the reserve with an epoch this thread's own pin keeps from
	 * becoming due, and the next defer needing a bag would retry forever.
	 * Left open, it is sealed by the collection at unpin
	 * (tern__epoch_unpin_slow()). */
	if (r->reserve_busy && tern__epoch_pinned(r))
		return;
	/* Seq_cst fence (F_W): pairs with the readers' fence in
	 * tern__epoch_pin_record() / the collector's membarrier and seq_cst
	 * fence in try_advance(): every unlink that preceded the defers in the
	 * open bag is ordered before the epoch load that tags them. */
	atomic_thread_fence(memory_order_seq_cst);
	/* Relaxed: ordering comes from the fence above (see the proof). */
	uint64_t t = atomic_load_explicit(&d->epoch, memory_order_relaxed);
	bin_add(r->bins, t, &r->open, due);
}

/* ------------------------------------------------------------- advance */

static void heavy_barrier(void)
{
	if (!tern__epoch_need_fence && sys_membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0) {
		/* Cannot happen once registered; fail safe rather than unsound. */
		fprintf(stderr, "tern: membarrier failed after registration\n");
		abort();
	}
	/* Seq_cst fence: pairs with the readers' seq_cst fence in
	 * tern__epoch_pin_record() (fence mode) and with F_W in seal(); in
	 * membarrier mode it places the collector's side of the barrier in S. */
	atomic_thread_fence(memory_order_seq_cst);
}

/* Step A with D->lock held.  => the epoch after the attempt. */
static uint64_t try_advance_locked(struct tern_epoch_domain *d)
{
	/* Relaxed: advances are serialised by d->lock, so this thread wrote or
	 * acquired (through the lock) the latest value. */
	uint64_t g = atomic_load_explicit(&d->epoch, memory_order_relaxed);
	heavy_barrier();
	for (struct tern__epoch_record *r = d->records; r; r = r->next) {
		/* Acquire: pairs with the release store in
		 * tern__epoch_unpin_record(): a reader seen unpinned has finished
		 * using what it read. */
		uint64_t s = atomic_load_explicit(&r->state, memory_order_acquire);
		uint64_t e = s >> TERN__EPOCH_SHIFT;
		if ((s & TERN__EPOCH_PINNED) && e != g) {
			if (r->stall_epoch != e || r->stall_since_ns == 0) {
				r->stall_epoch = e;
				r->stall_since_ns = now_ns();
				r->stall_refusals = 0;
			}
			r->stall_refusals++;
			/* Relaxed: statistics counter. */
			atomic_fetch_add_explicit(&d->failed_advances, 1, memory_order_relaxed);
			return g;
		}
	}
	for (struct tern__epoch_record *r = d->records; r; r = r->next)
		r->stall_since_ns = 0;
	/* Seq_cst store: pairs with the acquire loads of G in
	 * tern__epoch_pin_record() and collect(), and takes part in the total
	 * order S used by the proof (advance t -> t + 1 follows F_W). */
	atomic_store_explicit(&d->epoch, g + 1, memory_order_seq_cst);
	/* Relaxed: statistics counter. */
	atomic_fetch_add_explicit(&d->advances, 1, memory_order_relaxed);
	return g + 1;
}

/* => the epoch after one attempt; with wait == false, gives up if another
 * thread is advancing (that thread does the same work). */
static uint64_t try_advance(struct tern_epoch_domain *d, bool wait)
{
	if (wait)
		lock(d);
	else if (pthread_mutex_trylock(&d->lock) != 0)
		/* Acquire: pairs with the seq_cst store in try_advance_locked(). */
		return atomic_load_explicit(&d->epoch, memory_order_acquire);
	uint64_t g = try_advance_locked(d);
	unlock(d);
	return g;
}

static void backoff(unsigned *round)
{
	if (*round < 16) {
		for (unsigned i = 0; i < (1u << *round); i++)
			__asm__ __volatile__("" ::: "memory");
	} else if (*round < 32) {
		sched_yield();
	} else {
		struct timespec ts = { 0, 200000 }; /* 0.2 ms */
		nanosleep(&ts, NULL);
	}
	(*round)++;
}

/* Waits until G >= target (advancing it).  The caller is not pinned in d. */
static void wait_epoch(struct tern_epoch_domain *d, uint64_t target)
{
	unsigned round = 0;
	/* Acquire: pairs with the seq_cst store in try_advance_locked(). */
	while (atomic_load_explicit(&d->epoch, memory_order_acquire) < target) {
		uint64_t before = atomic_load_explicit(&d->epoch, memory_order_relaxed);
		if (try_advance(d, true) == before)
			backoff(&round);
		else
			round = 0;
	}
}

/* ------------------------------------------------------------- collect */

/* Detaches the due orphan bins (tag + 2 <= g) into *due; counts them busy. */
static void orphans_take_due(struct tern_epoch_domain *d, uint64_t g, batch_t *due, bool wait)
{
	/* Relaxed: a hint; the bins themselves are read under the lock. */
	if (atomic_load_explicit(&d->orphan_count, memory_order_relaxed) == 0)
		return;
	if (wait)
		lock(d);
	else if (pthread_mutex_trylock(&d->lock) != 0)
		return;
	size_t before = due->count;
	for (int i = 0; i < 3; i++) {
		struct tern__epoch_bin *b = &d->orphans[i];
		if (b->g.count && b->tag + 2 <= g)
			bin_take(b, due);
	}
	if (due->count != before) {
		/* Relaxed: the count is a hint and a statistic; the lock orders the bins. */
		atomic_fetch_sub_explicit(&d->orphan_count, due->count - before, memory_order_relaxed);
		/* Relaxed: increment under the lock; barrier() reads it under the lock too. */
		atomic_fetch_add_explicit(&d->orphan_busy, 1, memory_order_relaxed);
	}
	unlock(d);
}

static void orphans_destroy(struct tern_epoch_domain *d, struct tern__epoch_record *r, batch_t *due)
{
	if (due->count == 0 && due->bags == NULL)
		return;
	batch_destroy(d, r, due);
	/* Release: pairs with the acquire load in tern_epoch_domain_barrier(): the
	 * destructors above happen before a barrier that sees the count drop. */
	atomic_fetch_sub_explicit(&d->orphan_busy, 1, memory_order_release);
}

static bool own_garbage_waiting(const struct tern__epoch_record *r, uint64_t g)
{
	for (int i = 0; i < 3; i++)
		if (r->bins[i].g.count && r->bins[i].tag + 2 > g)
			return true;
	return false;
}

/*
 * Marks r busy while its garbage lists are being rearranged (and while
 * destructors run from them).  Besides guarding against reentrant
 * collection, the mark tells a fork() child that this thread's lists may be
 * half spliced: child_reset() then leaves them alone (a leak in the child,
 * never a double destruction).  The compiler barriers keep the list updates
 * inside the marked region.
 */
static void busy_begin(struct tern__epoch_record *r)
{
	r->collecting = true;
	/* Compiler-only barrier: see above (fork consistency, not threads). */
	atomic_signal_fence(memory_order_seq_cst);
}

static void busy_end(struct tern__epoch_record *r)
{
	/* Compiler-only barrier: see busy_begin(). */
	atomic_signal_fence(memory_order_seq_cst);
	r->collecting = false;
}

/*
 * Seals the open garbage, advances the epoch if some of it is not yet due
 * (at most `attempts` times), and destroys everything that is due: the
 * thread's own bins and the domain's orphans.  Never waits for readers.
 */
static void collect(struct tern_epoch_domain *d, struct tern__epoch_record *r, int attempts)
{
	if (r->collecting)
		return; /* a destructor deferred more garbage: the outer call collects */
	busy_begin(r);
	batch_t due = { 0 };
	seal(d, r, &due);
	/* Acquire: pairs with the seq_cst store in try_advance_locked(); the
	 * advance's scan (which saw readers unpinned) happens before the
	 * destruction below. */
	uint64_t g = atomic_load_explicit(&d->epoch, memory_order_acquire);
	for (int i = 0; i < attempts && own_garbage_waiting(r, g); i++) {
		uint64_t ng = try_advance(d, false);
		if (ng == g)
			break; /* a reader lags, or another thread is advancing */
		g = ng;
	}
	if (attempts > 0 && !own_garbage_waiting(r, g) &&
	    /* Relaxed: hint only; orphans are taken under the lock. */
	    atomic_load_explicit(&d->orphan_count, memory_order_relaxed) != 0)
		g = try_advance(d, false);
	for (int i = 0; i < 3; i++)
		if (r->bins[i].g.count && r->bins[i].tag + 2 <= g)
			bin_take(&r->bins[i], &due);
	pending_recount(r);
	batch_destroy(d, r, &due);
	batch_t orphans = { 0 };
	orphans_take_due(d, g, &orphans, false);
	orphans_destroy(d, r, &orphans);
	r->unpins = 0;
	r->since_collect = 0;
	busy_end(r);
}

void tern__epoch_unpin_slow(struct tern__epoch_record *r)
{
	uint64_t s = tern__epoch_own_state(r);
	if (s & TERN__EPOCH_NESTED) {
		if (--r->nest == 0)
			/* Relaxed: owner-only flag; still pinned, epoch unchanged. */
			atomic_store_explicit(&r->state, s & ~(uint64_t)TERN__EPOCH_NESTED, memory_order_relaxed);
		return;
	}
	/* Release: pairs with the acquire load of the state in
	 * try_advance_locked(), as in tern__epoch_unpin_record(). */
	atomic_store_explicit(&r->state, s & (TERN__EPOCH_FLAGS & ~(uint64_t)TERN__EPOCH_PINNED),
			      memory_order_release);
	/* Reserve bag in use (an allocation failed while pinned): collect now,
	 * unpinned, so that its garbage is sealed before the next pin and can
	 * become due; sealed under a later pin it could never be, and a pinned
	 * defer that needs the reserve again would retry forever. */
	if ((s & TERN__EPOCH_PENDING) && (++r->unpins >= TERN_EPOCH_COLLECT_PINS || r->reserve_busy))
		collect(r->domain, r, 2);
}

/* --------------------------------------------------------------- defer */

static struct tern__epoch_record *record_for_defer(struct tern_epoch_domain *d, const char *who)
{
	TERN_ASSERT(d != NULL, who);
	(void)who;
	if (d == &tern__epoch_default) {
		struct tern__epoch_record *r = &tern__epoch_self;
		if (r->domain == NULL)
			tern__epoch_register(d, r);
		return r;
	}
	return tern__epoch_record_of(d);
}

/* Out of memory: wait for a grace period and destroy in place (unpinned). */
static void defer_nomem(struct tern_epoch_domain *d, struct tern__epoch_record *r, void *obj,
			void (*fn)(void *))
{
	if (!tern__epoch_pinned(r)) {
		/* Seq_cst fence (F_W, as in seal()): orders the caller's unlink of
		 * obj before the epoch load that acts as its tag. */
		atomic_thread_fence(memory_order_seq_cst);
		/* Acquire: pairs with the seq_cst store in try_advance_locked(). */
		uint64_t g = atomic_load_explicit(&d->epoch, memory_order_acquire);
		/* obj is tagged g: destroyed once G >= g + 2, as if sealed. */
		wait_epoch(d, g + 2);
		fn(obj);
		/* Relaxed: statistics counter. */
		atomic_fetch_add_explicit(&d->destroyed, 1, memory_order_relaxed);
		return;
	}
	/* Pinned: cannot wait for a grace period (our own pin blocks it), and
	 * the reserve is full.  Collect what is due (returns bags to the cache)
	 * and retry the allocation with backoff; the object is never dropped. */
	unsigned round = 0;
	for (;;) {
		collect(d, r, 2);
		struct tern__epoch_bag *b = bag_get(r);
		if (b) {
			open_push_bag(r, b);
			b->e[0].obj = obj;
			b->e[0].fn = fn;
			/* Compiler-only barrier: a fork() in another thread must not
			 * see the count before the entry (see "fork()" above). */
			atomic_signal_fence(memory_order_seq_cst);
			b->n = 1;
			r->open.count++;
			pending_add(r, 1);
			return;
		}
		backoff(&round);
	}
}

static void defer_in(struct tern_epoch_domain *d, struct tern__epoch_record *r, void *obj,
		     void (*fn)(void *))
{
	struct tern__epoch_bag *b = r->open.bags;
	if (TERN_UNLIKELY(b == NULL || b->n == TERN_EPOCH_BAG_CAP)) {
		b = bag_get(r);
		if (b == NULL) {
			defer_nomem(d, r, obj, fn);
			return;
		}
		open_push_bag(r, b);
	}
	b->e[b->n].obj = obj;
	b->e[b->n].fn = fn;
	/* Compiler-only barrier: entry before count (see "fork()" above). */
	atomic_signal_fence(memory_order_seq_cst);
	b->n++;
	r->open.count++;
	pending_add(r, 1);
	if (TERN_UNLIKELY(++r->since_collect >= TERN_EPOCH_COLLECT_DEFERS)) {
		/* Relaxed: own counter. */
		size_t p = atomic_load_explicit(&r->pending, memory_order_relaxed);
		collect(d, r, p > TERN_EPOCH_PENDING_MAX ? 4 : 1);
	}
}

static void call_in(struct tern_epoch_domain *d, struct tern__epoch_record *r,
		    struct tern_epoch_entry *e, void (*fn)(struct tern_epoch_entry *))
{
	e->fn = fn;
	e->next = r->open.ents;
	/* Compiler-only barrier: entry linked before it is published in the
	 * record (see "fork()" above). */
	atomic_signal_fence(memory_order_seq_cst);
	r->open.ents = e;
	if (r->open.ents_tail == NULL)
		r->open.ents_tail = e;
	r->open.count++;
	pending_add(r, 1);
	if (TERN_UNLIKELY(++r->since_collect >= TERN_EPOCH_COLLECT_DEFERS))
		collect(d, r, 1);
}

static void free_obj(void *p)
{
	free(p);
}

void tern_epoch_domain_defer(tern_epoch_domain_t *d, void *obj, void (*destroy)(void *))
{
	TERN_ASSERT(destroy != NULL, "tern_epoch_domain_defer: destroy function is NULL");
	if (obj == NULL)
		return;
	defer_in(d, record_for_defer(d, "tern_epoch_domain_defer: domain is NULL"), obj, destroy);
}

void tern_epoch_domain_defer_free(tern_epoch_domain_t *d, void *obj)
{
	if (obj == NULL)
		return;
	defer_in(d, record_for_defer(d, "tern_epoch_domain_defer_free: domain is NULL"), obj, free_obj);
}

void tern_epoch_domain_call(tern_epoch_domain_t *d, struct tern_epoch_entry *e,
			    void (*fn)(struct tern_epoch_entry *))
{
	TERN_ASSERT(e != NULL && fn != NULL, "tern_epoch_domain_call: entry or function is NULL");
	call_in(d, record_for_defer(d, "tern_epoch_domain_call: domain is NULL"), e, fn);
}

void tern_epoch_defer(void *obj, void (*destroy)(void *))
{
	TERN_ASSERT(destroy != NULL, "tern_epoch_defer: destroy function is NULL");
	if (obj == NULL)
		return;
	defer_in(&tern__epoch_default, record_for_defer(&tern__epoch_default, ""), obj, destroy);
}

void tern_epoch_defer_free(void *obj)
{
	if (obj == NULL)
		return;
	defer_in(&tern__epoch_default, record_for_defer(&tern__epoch_default, ""), obj, free_obj);
}

void tern_epoch_call(struct tern_epoch_entry *e, void (*fn)(struct tern_epoch_entry *))
{
	TERN_ASSERT(e != NULL && fn != NULL, "tern_epoch_call: entry or function is NULL");
	call_in(&tern__epoch_default, record_for_defer(&tern__epoch_default, ""), e, fn);
}

/* -------------------------------------------- synchronize, barrier, flush */

/* Checks shared by the calls that wait for readers (debug builds only). */
__attribute__((unused)) static bool caller_pinned(struct tern_epoch_domain *d)
{
	struct tern__epoch_record *r = domain_lookup(d, false);
	return r != NULL && tern__epoch_pinned(r);
}

__attribute__((unused)) static bool caller_in_destructor(struct tern_epoch_domain *d)
{
	struct tern__epoch_record *r = domain_lookup(d, false);
	return r != NULL && r->collecting;
}

#define TERN__CHECK_MAY_WAIT(d, call)                                                           	do {                                                                                    		TERN_ASSERT(!caller_pinned(d), call ": called while pinned (would deadlock)");  		TERN_ASSERT(!caller_in_destructor(d), call ": called from a destructor");       	} while (0)

static void synchronize_in(struct tern_epoch_domain *d)
{
	/* Seq_cst fence (F_W): the caller's unlinks before this call are
	 * treated as one sealed batch tagged g; see seal(). */
	atomic_thread_fence(memory_order_seq_cst);
	/* Acquire: pairs with the seq_cst store in try_advance_locked(). */
	uint64_t g = atomic_load_explicit(&d->epoch, memory_order_acquire);
	/* Every pin begun before this call announced an epoch <= g; the advance
	 * g + 1 -> g + 2 is refused while such a pin lasts. */
	wait_epoch(d, g + 2);
}

void tern_epoch_domain_synchronize(tern_epoch_domain_t *d)
{
	TERN_ASSERT(d != NULL, "tern_epoch_domain_synchronize: domain is NULL");
	TERN__CHECK_MAY_WAIT(d, "tern_epoch_domain_synchronize");
	synchronize_in(d);
}

void tern_epoch_synchronize(void)
{
	TERN__CHECK_MAY_WAIT(&tern__epoch_default, "tern_epoch_synchronize");
	synchronize_in(&tern__epoch_default);
}

/*
 * The reserve bag lives in the record, which dies with its thread: before
 * garbage leaves the thread, move the reserve's entries to a heap bag, or
 * (no memory) wait until they are due and destroy them in place.
 */
static void evict_reserve(struct tern_epoch_domain *d, struct tern__epoch_record *r, batch_t *due)
{
	if (!r->reserve_busy)
		return;
	for (int i = 0; i < 3; i++) {
		for (struct tern__epoch_bag **pp = &r->bins[i].g.bags; *pp; pp = &(*pp)->next) {
			if (*pp != &r->reserve)
				continue;
			struct tern__epoch_bag *copy = TERN_MALLOC(sizeof *copy);
			if (copy) {
				memcpy(copy, &r->reserve, sizeof *copy);
				copy->reserve = false;
				*pp = copy;
				if (r->bins[i].g.bags_tail == &r->reserve)
					r->bins[i].g.bags_tail = copy;
				r->reserve_busy = false;
				return;
			}
			/* No memory: this bin must be destroyed here. */
			if (!tern__epoch_pinned(r)) {
				wait_epoch(d, r->bins[i].tag + 2);
				bin_take(&r->bins[i], due);
			}
			return;
		}
	}
}

/* Moves every bin of r to the orphan bins (r is sealed).  Due garbage goes to *due. */
static void hand_over(struct tern_epoch_domain *d, struct tern__epoch_record *r, batch_t *due)
{
	evict_reserve(d, r, due);
	size_t moved = 0;
	lock(d);
	/* Relaxed: under the lock, which orders it with other advances. */
	uint64_t g = atomic_load_explicit(&d->epoch, memory_order_relaxed);
	for (int i = 0; i < 3; i++) {
		struct tern__epoch_bin *b = &r->bins[i];
		if (b->g.count == 0)
			continue;
		if (r->reserve_busy && tern__epoch_pinned(r)) {
			bool has_reserve = false;
			for (struct tern__epoch_bag *x = b->g.bags; x; x = x->next)
				has_reserve |= x == &r->reserve;
			if (has_reserve)
				continue; /* stays with the pinned owner (documented) */
		}
		if (b->tag + 2 <= g) {
			bin_take(b, due);
			continue;
		}
		moved += b->g.count;
		bin_add(d->orphans, b->tag, &b->g, due);
	}
	/* Relaxed: hint/statistic; the orphan bins are under the lock. */
	atomic_fetch_add_explicit(&d->orphan_count, moved, memory_order_relaxed);
	unlock(d);
	pending_recount(r);
}

static void flush_in(struct tern_epoch_domain *d)
{
	struct tern__epoch_record *r = domain_lookup(d, false);
	if (r == NULL || r->collecting)
		return;
	busy_begin(r);
	batch_t due = { 0 };
	seal(d, r, &due);
	hand_over(d, r, &due);
	batch_destroy(d, r, &due);
	busy_end(r);
}

void tern_epoch_domain_flush(tern_epoch_domain_t *d)
{
	TERN_ASSERT(d != NULL, "tern_epoch_domain_flush: domain is NULL");
	flush_in(d);
}

void tern_epoch_flush(void)
{
	flush_in(&tern__epoch_default);
}

static void barrier_in(struct tern_epoch_domain *d)
{
	struct tern__epoch_record *r = domain_lookup(d, false);
	batch_t due = { 0 };
	if (r) {
		busy_begin(r);
		seal(d, r, &due);
		busy_end(r);
	}
	/* Everything deferred before this call by this thread is now sealed, and
	 * everything handed over by exited or flushing threads is in the orphan
	 * bins: all of it carries a tag <= g. */
	lock(d);
	/* Relaxed: under the lock that serialises advances. */
	uint64_t g = atomic_load_explicit(&d->epoch, memory_order_relaxed);
	unlock(d);
	wait_epoch(d, g + 2);
	/* Acquire: pairs with the seq_cst store in try_advance_locked(). */
	uint64_t now = atomic_load_explicit(&d->epoch, memory_order_acquire);
	if (r) {
		busy_begin(r);
		for (int i = 0; i < 3; i++)
			if (r->bins[i].g.count && r->bins[i].tag + 2 <= now)
				bin_take(&r->bins[i], &due);
		pending_recount(r);
		batch_destroy(d, r, &due);
		busy_end(r);
	}
	batch_t orphans = { 0 };
	orphans_take_due(d, now, &orphans, true);
	orphans_destroy(d, r, &orphans);
	/* Orphans detached by other collectors before this call must be
	 * finished too. */
	unsigned round = 0;
	/* Acquire: pairs with the release decrement in orphans_destroy(). */
	while (atomic_load_explicit(&d->orphan_busy, memory_order_acquire) != 0)
		backoff(&round);
}

void tern_epoch_domain_barrier(tern_epoch_domain_t *d)
{
	TERN_ASSERT(d != NULL, "tern_epoch_domain_barrier: domain is NULL");
	TERN__CHECK_MAY_WAIT(d, "tern_epoch_domain_barrier");
	barrier_in(d);
}

void tern_epoch_barrier(void)
{
	TERN__CHECK_MAY_WAIT(&tern__epoch_default, "tern_epoch_barrier");
	barrier_in(&tern__epoch_default);
}

static void collect_in(struct tern_epoch_domain *d)
{
	struct tern__epoch_record *r = domain_lookup(d, true);
	if (r)
		collect(d, r, 2);
}

void tern_epoch_domain_collect(tern_epoch_domain_t *d)
{
	TERN_ASSERT(d != NULL, "tern_epoch_domain_collect: domain is NULL");
	collect_in(d);
}

void tern_epoch_collect(void)
{
	collect_in(&tern__epoch_default);
}

static void stats_in(struct tern_epoch_domain *d, struct tern_epoch_stats *out)
{
	memset(out, 0, sizeof *out);
	uint64_t now = now_ns();
	uint64_t oldest = 0;
	lock(d);
	/* Relaxed: under the lock that serialises advances. */
	out->epoch = atomic_load_explicit(&d->epoch, memory_order_relaxed);
	out->registered_threads = d->registered;
	for (struct tern__epoch_record *r = d->records; r; r = r->next) {
		/* Relaxed: a snapshot for statistics. */
		uint64_t s = atomic_load_explicit(&r->state, memory_order_relaxed);
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
	/* Relaxed: statistics counters. */
	out->orphaned = atomic_load_explicit(&d->orphan_count, memory_order_relaxed);
	out->pending += out->orphaned;
	/* Relaxed: statistics counters. */
	out->destroyed = atomic_load_explicit(&d->destroyed, memory_order_relaxed);
	/* Relaxed: statistics counters. */
	out->advances = atomic_load_explicit(&d->advances, memory_order_relaxed);
	/* Relaxed: statistics counters. */
	out->failed_advances = atomic_load_explicit(&d->failed_advances, memory_order_relaxed);
	unlock(d);
}

void tern_epoch_domain_stats(tern_epoch_domain_t *d, struct tern_epoch_stats *out)
{
	TERN_ASSERT(d != NULL, "tern_epoch_domain_stats: domain is NULL");
	TERN_ASSERT(out != NULL, "tern_epoch_domain_stats: out is NULL");
	stats_in(d, out);
}

void tern_epoch_stats(struct tern_epoch_stats *out)
{
	TERN_ASSERT(out != NULL, "tern_epoch_stats: out is NULL");
	stats_in(&tern__epoch_default, out);
}

/* ------------------------------------------------------------- domains */

int tern_epoch_domain_create(tern_epoch_domain_t **out)
{
	if (out == NULL)
		return EINVAL;
	pthread_once(&g_once, global_init);
	struct tern_epoch_domain *d = TERN_MALLOC(sizeof *d);
	if (d == NULL)
		return ENOMEM;
	memset(d, 0, sizeof *d);
	if (pthread_mutex_init(&d->lock, NULL) != 0) {
		TERN_FREE(d);
		return ENOMEM;
	}
	pthread_mutex_lock(&g_lock);
	d->id = g_next_id++;
	d->next_domain = g_domains;
	g_domains = d;
	pthread_mutex_unlock(&g_lock);
	*out = d;
	return 0;
}

static void record_destroy_garbage(struct tern_epoch_domain *d, struct tern__epoch_record *r)
{
	batch_t all = { 0 };
	gc_splice(&all, &r->open);
	for (int i = 0; i < 3; i++)
		bin_take(&r->bins[i], &all);
	batch_destroy(d, NULL, &all);
	while (r->spare) {
		struct tern__epoch_bag *b = r->spare;
		r->spare = b->next;
		TERN_FREE(b);
	}
	r->nspare = 0;
	pending_recount(r);
}

void tern_epoch_domain_destroy(tern_epoch_domain_t *d)
{
	if (d == NULL)
		return;
	TERN_ASSERT(d != &tern__epoch_default, "tern_epoch_domain_destroy: the default domain cannot be destroyed");
	pthread_mutex_lock(&g_lock);
	lock(d);
	for (struct tern__epoch_record *r = d->records; r; r = r->next) {
		/* Relaxed: no thread may use the domain any more (precondition). */
		uint64_t s = atomic_load_explicit(&r->state, memory_order_relaxed);
		TERN_ASSERT(!(s & TERN__EPOCH_PINNED), "tern_epoch_domain_destroy: a thread is pinned in the domain");
		(void)s;
	}
	struct tern__epoch_record *records = d->records;
	d->records = NULL;
	batch_t orphans = { 0 };
	for (int i = 0; i < 3; i++)
		bin_take(&d->orphans[i], &orphans);
	unlock(d);
	for (struct tern_epoch_domain **pp = &g_domains; *pp; pp = &(*pp)->next_domain)
		if (*pp == d) {
			*pp = d->next_domain;
			break;
		}
	/* Records stay allocated until their threads exit or look them up
	 * again (domain_lookup() frees records whose domain is gone). */
	for (struct tern__epoch_record *r = records; r; r = r->next) {
		record_destroy_garbage(d, r);
		r->domain = NULL;
	}
	pthread_mutex_unlock(&g_lock);
	batch_destroy(d, NULL, &orphans);
	if (tern__epoch_cache.dom == d)
		memset(&tern__epoch_cache, 0, sizeof tern__epoch_cache);
	d->id = 0;
	pthread_mutex_destroy(&d->lock);
	TERN_FREE(d);
}

/* ---------------------------------------------------------- thread exit */

/* Retires r: it stops being pinned, its garbage is destroyed if due or handed over. */
static void record_retire(struct tern_epoch_domain *d, struct tern__epoch_record *r)
{
	if (tern__epoch_pinned(r)) {
		/* Exiting while pinned: the pin ends with the thread. */
		r->nest = 0;
		uint64_t keep = tern__epoch_own_state(r) & (TERN__EPOCH_FAST | TERN__EPOCH_PENDING);
		/* Release: pairs with the acquire scan in try_advance_locked(). */
		atomic_store_explicit(&r->state, keep, memory_order_release);
	}
	busy_end(r);
	collect(d, r, 2); /* destroy what is due now rather than orphan it */
	busy_begin(r);
	batch_t due = { 0 };
	seal(d, r, &due);
	hand_over(d, r, &due);
	batch_destroy(d, r, &due);
	registry_remove(d, r);
	while (r->spare) {
		struct tern__epoch_bag *b = r->spare;
		r->spare = b->next;
		TERN_FREE(b);
	}
	r->nspare = 0;
	busy_end(r);
	r->domain = NULL;
	r->mode = TERN__EPOCH_UNREGISTERED;
	/* Relaxed: the record has left the registry; no collector reads it. */
	atomic_store_explicit(&r->state, 0, memory_order_relaxed);
}

static void thread_exit(void *arg)
{
	(void)arg;
	struct tern__epoch_record *self = &tern__epoch_self;
	pthread_mutex_lock(&g_lock);
	struct tern__epoch_record *chain = self->thread_next;
	self->thread_next = NULL;
	pthread_mutex_unlock(&g_lock);
	while (chain) {
		struct tern__epoch_record *r = chain;
		pthread_mutex_lock(&g_lock);
		chain = r->thread_next;
		struct tern_epoch_domain *d = r->domain; /* NULL if destroyed */
		pthread_mutex_unlock(&g_lock);
		if (d)
			record_retire(d, r);
		TERN_FREE(r);
	}
	if (self->domain)
		record_retire(self->domain, self);
	memset(&tern__epoch_cache, 0, sizeof tern__epoch_cache);
}

/* ----------------------------------------------------------------- fork */

static void atfork_prepare(void)
{
	pthread_mutex_lock(&g_lock);
	lock(&tern__epoch_default);
	for (struct tern_epoch_domain *d = g_domains; d; d = d->next_domain)
		lock(d);
}

static void atfork_parent(void)
{
	for (struct tern_epoch_domain *d = g_domains; d; d = d->next_domain)
		unlock(d);
	unlock(&tern__epoch_default);
	pthread_mutex_unlock(&g_lock);
}

/* In the child only the forking thread exists: every other record is an
 * exited thread whose garbage becomes orphans (destroyed by later
 * collections in the child). */
static void child_reset(struct tern_epoch_domain *d)
{
	/* Relaxed: the child is single-threaded here. */
	uint64_t g = atomic_load_explicit(&d->epoch, memory_order_relaxed);
	batch_t due = { 0 };
	for (struct tern__epoch_record *r = d->records, *next; r; r = next) {
		next = r->next;
		bool mine = r == &tern__epoch_self;
		for (struct tern__epoch_record *x = tern__epoch_self.thread_next; x && !mine; x = x->thread_next)
			mine = x == r;
		if (mine)
			continue;
		if (r->collecting) {
			/* Its lists may be half spliced (busy_begin()): leave them
			 * (a leak in the child), just drop the record. */
			memset(r->bins, 0, sizeof r->bins);
			memset(&r->open, 0, sizeof r->open);
		}
		/* Seal its open garbage with the current epoch (conservative). */
		bin_add(r->bins, g, &r->open, &due);
		size_t moved = 0;
		for (int i = 0; i < 3; i++) {
			struct tern__epoch_bin *b = &r->bins[i];
			if (b->g.count == 0)
				continue;
			moved += b->g.count;
			bin_add(d->orphans, b->tag, &b->g, &due);
		}
		/* Relaxed: single-threaded child. */
		atomic_fetch_add_explicit(&d->orphan_count, moved, memory_order_relaxed);
		if (r->prev)
			r->prev->next = r->next;
		else
			d->records = r->next;
		if (r->next)
			r->next->prev = r->prev;
		d->registered--;
		/* The dead thread's record memory (its TLS or heap block) is not
		 * reachable from any live thread; heap records are freed. */
		if (r->heap)
			TERN_FREE(r);
	}
	/* Garbage displaced while merging is already due (tag <= g - 3); bin
	 * (g - 2) % 3 holds only due tags, so it joins that bin under tag g - 2
	 * and the child's next collection destroys it. */
	if (due.count || due.bags) {
		struct tern__epoch_bin *b = &d->orphans[(g - 2) % 3];
		/* Relaxed: single-threaded child. */
		atomic_fetch_add_explicit(&d->orphan_count, due.count, memory_order_relaxed);
		gc_splice(&b->g, &due);
		b->tag = g - 2;
	}
	/* Relaxed: single-threaded child. */
	atomic_store_explicit(&d->orphan_busy, 0, memory_order_relaxed);
}

static void atfork_child(void)
{
	child_reset(&tern__epoch_default);
	for (struct tern_epoch_domain *d = g_domains; d; d = d->next_domain)
		child_reset(d);
	for (struct tern_epoch_domain *d = g_domains; d; d = d->next_domain)
		pthread_mutex_init(&d->lock, NULL);
	pthread_mutex_init(&tern__epoch_default.lock, NULL);
	pthread_mutex_init(&g_lock, NULL);
}
