/* SPDX-License-Identifier: MIT */
/*
 * Epoch lifecycle torture (issue 10, "Tests that would have caught all
 * nine").  Seeded and reproducible: TERN_TORTURE_SEED=<n> (decimal or 0x..)
 * replays a run's decisions (every thread draws from its own stream of the
 * seed; the interleaving is the scheduler's), and every failure prints the
 * seed.  TERN_TEST_SCALE scales the work (0.25 for the sanitizer runs).
 *
 * The workload: worker threads come and go at random and exit pinned or
 * not; they read shared slots pinned (verifying each object's magic, again
 * before unpinning, and keeping some objects "held" across steps of a long
 * pin), swap slots and defer the old object (pinned or not, by
 * tern_epoch_domain_defer or the intrusive tern_epoch_domain_call), collect,
 * flush, barrier and synchronize, defer with allocation failures injected,
 * and arm pthread keys whose destructors re-arm themselves and use tern in
 * glibc's later destructor passes.  Domains: the default one, NLL
 * long-lived explicit domains, and NCHURN explicit domains that are
 * destroyed and re-created while the threads that used them exit before,
 * during or after the destroy (a thread uses a churn domain only while it
 * holds a token on it; the destroyer waits for the tokens, so the API's
 * preconditions hold: nobody is pinned in or uses a domain once its destroy
 * begins, except the library retiring an exiting thread's record).
 *
 * Every destructor poisons its object with an atomic exchange (a second
 * destruction aborts; the memory goes to a quarantine ring so that a late
 * reader still sees the poison) and then, at random: defers children into
 * its own domain, another domain or the default one, pins and unpins (and
 * reads slots while pinned), collects, flushes, or creates, uses and
 * destroys a short-lived domain.  Children are bounded by a depth limit.
 * Lifetime rule that keeps every such defer legal: a destructor defers only
 * into its own domain or into a domain that outlives it (short-lived and
 * churn domains -> long-lived and default; long-lived <-> default).
 *
 * Checked: exactly-once destruction (poison + counters), no destruction
 * while a reader that loaded the object is pinned, per-domain counts after
 * every destroy (created == destroyed), and at the end of every round, from
 * a fresh thread: created == destroyed + objects still in slots, and each
 * domain's stats exact (pending 0, orphaned 0, registered_threads == 1, the
 * auditor itself, destroyed == the destructors that ran for it).  At the
 * end every domain is destroyed, a fresh thread runs tern_epoch_barrier(),
 * and created == destroyed, and every block tern allocated is freed.  A
 * watchdog (alarm) turns a hang into a failure that prints the seed.
 *
 * Tests (each a fresh process; Criterion runs them in parallel):
 *   threads_and_domains_churn   scenario 1 (+2, +4 at low rates)
 *   reentrant_destructors       scenario 2: heavy re-entrant destructors,
 *                               forced trees drained by domain destroy
 *   fork_under_churn            scenario 3: fork while the churn runs, parked
 *                               threads in known states, failing allocations
 *   late_key_destructors        scenario 4: short waves, audit after each
 *   exit_races_domain_destroy   scenario 1's tight race: a thread hands its
 *                               last garbage to D and exits as D is destroyed
 * Sanitizer notes: clang 14's ASan allocator is not fork-safe (the child uses
 * an arena, see TORTURE_CHILD_ARENA); TSan cannot run code in glibc's last
 * key-destructor pass, so its late keys act in the first pass only
 * (LATE_PASSES).
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>
#include <time.h>

#include "tern/alloc.h"
#include "tern/epoch.h"
#include "../common/tern_test.h"

#define MAGIC 0x7047757e5eed0b1eULL
#define POISON 0xdeaddeaddeaddeadULL
#define CHECK_KEY 0x5a5a3c3c0f0f9696ULL
#define DEFAULT_SEED 0x7e57ab1e2024ULL

#define NSLOTS 8
#define NLL 2
#define NCHURN 3
#define NDOM (1 + NLL + NCHURN)
#define NHELD 4
#define MAXLIVE 8
#define QUARANTINE 2048
#define WATCHDOG_SECONDS 240
#define CHILD_WATCHDOG_SECONDS 60

#ifndef PTHREAD_DESTRUCTOR_ITERATIONS
#define PTHREAD_DESTRUCTOR_ITERATIONS 4
#endif
/* ThreadSanitizer tears its thread state down from its own key destructor,
 * which re-arms itself until glibc's last pass and has the lowest key
 * index: anything instrumented that runs after it in that pass crashes the
 * runtime ("CHECK failed: ... thr->slot != 0", or a SEGV at 0xd0).  A late
 * use of tern re-arms tern's exit hook for the next pass, whose retirements
 * run destructors that may use tern late again, so under TSan the late keys
 * act in the first pass only; the other builds use every pass (the last
 * one included: first use of tern there, records left behind). */
#if defined(__SANITIZE_THREAD__)
#define TORTURE_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TORTURE_TSAN 1
#endif
#endif
#ifndef TORTURE_TSAN
#define TORTURE_TSAN 0
#endif
#define LATE_PASSES (TORTURE_TSAN ? 1 : PTHREAD_DESTRUCTOR_ITERATIONS)

/* ------------------------------------------------ seed, failure, watchdog */

static uint64_t g_seed;        /* what the user passes back to reproduce */
static uint64_t g_mix;         /* g_seed mixed with the test's salt */
static const char *g_test = "?";
static char g_abort_msg[256];  /* prepared at setup: the handlers only write(2) */
static char g_alarm_msg[256];

static void write_all(const char *s)
{
	size_t n = strlen(s);
	while (n > 0) {
		ssize_t w = write(STDERR_FILENO, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

/* Fails the test from any thread (or a fork child): message, seed, abort. */
static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fail(const char *fmt, ...)
{
	char buf[640];
	int k = snprintf(buf, sizeof buf, "torture[%s]: FAIL: ", g_test);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + k, sizeof buf - (size_t)k, fmt, ap);
	va_end(ap);
	size_t len = strlen(buf);
	snprintf(buf + len, sizeof buf - len, " (pid %d, TERN_TORTURE_SEED=%#llx)\n", (int)getpid(),
		 (unsigned long long)g_seed);
	write_all(buf);
	abort();
}

/* Any abort (a tern assertion, a sanitizer with abort_on_error, fail()),
 * and in builds without a sanitizer any crash, names the seed. */
static void on_abort(int sig)
{
	write_all(g_abort_msg);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* The watchdog: a hang (deadlock, a registry cycle) becomes a failure. */
static void on_alarm(int sig)
{
	(void)sig;
	write_all(g_alarm_msg);
	signal(SIGABRT, SIG_DFL);
	abort();
}

/* ---------------------------------------------------------- randomness */

static _Thread_local uint64_t tl_rng;
static _Thread_local bool tl_seeded;
static atomic_ulong g_stream = 1u << 20; /* streams of threads not seeded explicitly */

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void seed_thread(uint64_t stream)
{
	tl_rng = g_mix ^ (stream * 0xd1342543de82ef95ULL);
	(void)splitmix(&tl_rng);
	tl_seeded = true;
}

static uint64_t rnd(void)
{
	if (!tl_seeded)
		/* Relaxed: only hands out distinct stream numbers. */
		seed_thread(atomic_fetch_add_explicit(&g_stream, 1, memory_order_relaxed));
	return splitmix(&tl_rng);
}

static unsigned rnd_below(unsigned n)
{
	return n ? (unsigned)(rnd() % n) : 0;
}

static bool chance(unsigned permille)
{
	return rnd_below(1000) < permille;
}

/* -------------------------------------------- allocator with fault injection */

/* Failure injection is per thread, and never inside a destructor: a
 * destructor's defer that cannot allocate would wait for a grace period,
 * and two such waits in threads pinned in each other's domains deadlock (a
 * property of blocking on OOM, not a defect). */
static _Thread_local unsigned tl_fail_permille;
static _Thread_local long tl_failures;
static _Thread_local unsigned tl_in_dtor;
/* The forker's garbage must stay its own until fork() (the child's exact
 * count): a flush would hand it to threads that may be destroying it when
 * fork() runs, which the child cannot finish (documented). */
static _Thread_local bool tl_no_flush;
static atomic_long g_alloc_outstanding, g_alloc_failures;

/*
 * The fork child's memory.  clang 14's AddressSanitizer does not lock its
 * allocator around fork(): a child forked while another thread is inside
 * malloc/free can block for ever on its first allocation (a sanitizer
 * limitation, seen as a hung child).  So in ASan builds the child allocates
 * from an arena mapped before the fork and never frees (it _exits); an
 * atfork child handler registered before tern's switches it on before
 * tern's own child handler allocates.  clang 14's ThreadSanitizer
 * allocator hangs the same way (seen in CI: a child blocked in
 * GetFromAllocator), so TSan builds use the arena too.  Other builds use
 * malloc in the child (glibc's allocator is fork-safe).
 */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TORTURE_CHILD_ARENA 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define TORTURE_CHILD_ARENA 1
#endif
#endif
#ifndef TORTURE_CHILD_ARENA
#define TORTURE_CHILD_ARENA 0
#endif
#define ARENA_BYTES (256u << 20)
static bool g_in_child;       /* set in the (single-threaded) fork child only */
static char *g_arena;
static size_t g_arena_used;

static void arena_child_handler(void)
{
	g_in_child = TORTURE_CHILD_ARENA && g_arena != NULL;
}

static void *xmalloc(size_t size)
{
	if (g_in_child) {
		/* 64-byte blocks, like the ASan allocator it stands in for (tern's
		 * domain block is _Alignas(64) but allocated with malloc). */
		size = (size + 63) & ~(size_t)63;
		if (g_arena_used + size > ARENA_BYTES)
			return NULL;
		void *p = g_arena + g_arena_used;
		g_arena_used += size;
		return p;
	}
	return malloc(size);
}

static void xfree(void *p)
{
	if (!g_in_child)
		free(p);
}

static void *t_malloc(size_t size, void *ctx)
{
	(void)ctx;
	if (tl_fail_permille != 0 && tl_in_dtor == 0 && rnd_below(1000) < tl_fail_permille) {
		tl_failures++;
		/* Relaxed: a statistic. */
		atomic_fetch_add_explicit(&g_alloc_failures, 1, memory_order_relaxed);
		return NULL;
	}
	void *p = xmalloc(size);
	if (p != NULL)
		/* Relaxed: a balance read after every thread is joined. */
		atomic_fetch_add_explicit(&g_alloc_outstanding, 1, memory_order_relaxed);
	return p;
}

static void t_free(void *p, void *ctx)
{
	(void)ctx;
	if (p == NULL)
		return;
	/* Relaxed: as in t_malloc(). */
	atomic_fetch_sub_explicit(&g_alloc_outstanding, 1, memory_order_relaxed);
	xfree(p);
}

/* ------------------------------------------------------ domains, objects */

struct tobj;

enum dkind { DK_DEFAULT, DK_LL, DK_CHURN, DK_SHORT };
enum { CH_EMPTY, CH_LIVE, CH_CLOSING, CH_OPENING };

struct tdom {
	tern_epoch_domain_t *d;
	enum dkind kind;
	int index;
	atomic_long created, destroyed; /* objects homed here (this instance) */
	struct tobj *_Atomic slots[NSLOTS];
	/* Churn domains: the token protocol, under mu. */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int state;
	int users;
	bool need_empty; /* closing: the slots still hold objects */
	unsigned gen;
};

struct tobj {
	struct tern_epoch_entry entry; /* the tern_epoch_domain_call variant */
	_Atomic uint64_t magic;
	struct tdom *home;
	uint64_t serial;
	uint64_t check; /* serial ^ CHECK_KEY; poisoned by the destructor */
	unsigned depth;
	unsigned batch; /* fork accounting; 0: none */
	bool forced;    /* tree node: always two children in its own domain */
};

static struct tdom g_default, g_ll[NLL], g_churn[NCHURN];

static atomic_ulong g_serial;
static atomic_long g_created, g_destroyed;
/* Per-batch counts for the fork test (batch 0: none), allocated at setup. */
static atomic_long *g_batch_created, *g_batch_destroyed;
static unsigned g_nbatch;

/* Destructor behaviour (permille unless noted). */
struct profile {
	unsigned child1, child2; /* a first and a second child */
	unsigned own;            /* of the children, into the home domain */
	unsigned pin, collect, flush, shortdom;
	unsigned maxdepth;       /* children only below this depth */
	unsigned forced_trees;   /* churn destroys that add forced trees first */
};

static const struct profile prof_normal = { 280, 60, 500, 150, 80, 40, 15, 3, 300 };
static const struct profile prof_heavy = { 550, 250, 550, 300, 200, 100, 50, 5, 800 };
static const struct profile *g_prof = &prof_normal;

static struct tdom *dom_at(int i)
{
	if (i == 0)
		return &g_default;
	if (i <= NLL)
		return &g_ll[i - 1];
	return &g_churn[i - 1 - NLL];
}

static void tdom_init(struct tdom *t, enum dkind kind, int index)
{
	memset(t, 0, sizeof *t);
	t->kind = kind;
	t->index = index;
	atomic_init(&t->created, 0);
	atomic_init(&t->destroyed, 0);
	for (int i = 0; i < NSLOTS; i++)
		atomic_init(&t->slots[i], NULL);
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cv, NULL);
}

static const char *kind_name(const struct tdom *t)
{
	static const char *names[] = { "default", "long-lived", "churn", "short-lived" };
	return names[t->kind];
}

/* ---- quarantine: destroyed objects stay poisoned for a while ---- */

static struct tobj *_Atomic g_quarantine[QUARANTINE];
static atomic_ulong g_qpos;

static void quarantine_put(struct tobj *o)
{
	/* Relaxed: only spreads the puts over the ring; the exchange orders
	 * the memory. */
	unsigned long i = atomic_fetch_add_explicit(&g_qpos, 1, memory_order_relaxed) % QUARANTINE;
	/* Acq_rel: the release hands our writes to o (the poison) to the thread
	 * that later frees it; the acquire pairs with the release of the
	 * thread that put `old`, whose writes happen before our free. */
	struct tobj *old = atomic_exchange_explicit(&g_quarantine[i], o, memory_order_acq_rel);
	xfree(old);
}

static void quarantine_drain(void)
{
	for (int i = 0; i < QUARANTINE; i++)
		/* Acquire: pairs with the release in quarantine_put(). */
		xfree(atomic_exchange_explicit(&g_quarantine[i], NULL, memory_order_acquire));
}

/* ---- objects ---- */

static void tobj_destroy(void *p);
static void tobj_call_fn(struct tern_epoch_entry *e);

static struct tobj *tobj_new(struct tdom *home, unsigned depth, unsigned batch)
{
	struct tobj *o = xmalloc(sizeof *o);
	if (o == NULL)
		fail("out of memory");
	/* Relaxed: o is published by the release exchange into a slot, or
	 * handed to tern by the defer, which orders it before the destructor. */
	atomic_store_explicit(&o->magic, MAGIC, memory_order_relaxed);
	o->home = home;
	/* Relaxed: unique ids only. */
	o->serial = atomic_fetch_add_explicit(&g_serial, 1, memory_order_relaxed);
	o->check = o->serial ^ CHECK_KEY;
	o->depth = depth;
	o->batch = batch;
	o->forced = false;
	/* Relaxed (the three counters): compared after the threads that
	 * touched them are joined, after the barrier that ran the destructors
	 * on the same thread, or after a destroy that waited for them. */
	atomic_fetch_add_explicit(&home->created, 1, memory_order_relaxed);
	/* Relaxed: as above. */
	atomic_fetch_add_explicit(&g_created, 1, memory_order_relaxed);
	if (batch)
		/* Relaxed: as above. */
		atomic_fetch_add_explicit(&g_batch_created[batch], 1, memory_order_relaxed);
	return o;
}

/* Hands o to its home domain, through one of the three public paths. */
static void tobj_defer(struct tobj *o)
{
	struct tdom *h = o->home;
	unsigned r = rnd_below(10);
	if (r < 2)
		tern_epoch_domain_call(h->d, &o->entry, tobj_call_fn);
	else if (h->kind == DK_DEFAULT && r < 6)
		tern_epoch_defer(o, tobj_destroy);
	else
		tern_epoch_domain_defer(h->d, o, tobj_destroy);
}

/* A pinned reader's check: o (loaded from t's slots while pinned in t) is
 * intact.  A poisoned or recycled object means it was destroyed while a
 * thread that read it is pinned. */
static void verify(const struct tobj *o, const struct tdom *t, const char *where)
{
	/* Relaxed: the epoch scheme orders the destructor after our unpin; a
	 * poison seen here is a reclamation bug, not a race of this test. */
	uint64_t m = atomic_load_explicit(&o->magic, memory_order_relaxed);
	if (m != MAGIC || o->check != (o->serial ^ CHECK_KEY) || o->home != t)
		fail("%s: object %p (serial %llu) in the %s domain %d was destroyed while a "
		     "thread that read it is pinned (magic %#llx)",
		     where, (const void *)o, (unsigned long long)o->serial, kind_name(t), t->index,
		     (unsigned long long)m);
}

/* Pin / unpin / collect ... in t (the default domain through both APIs):
 * fn(t) calls tern_epoch_domain_<op>(t->d), or for the default domain one
 * time in two tern_epoch_<op>(). */
#define IN_DOMAIN(fn, op)                                     \
	static void fn(struct tdom *t)                        \
	{                                                     \
		if (t->kind == DK_DEFAULT && chance(500))     \
			tern_epoch_##op();                    \
		else                                          \
			tern_epoch_domain_##op(t->d);         \
	}
IN_DOMAIN(dpin, pin)
IN_DOMAIN(dunpin, unpin)
IN_DOMAIN(dcollect, collect)
IN_DOMAIN(dflush_always, flush)
IN_DOMAIN(dbarrier, barrier)
IN_DOMAIN(dsync, synchronize)

static void dflush(struct tdom *t)
{
	if (!tl_no_flush)
		dflush_always(t);
}

/* Reads n random slots of t (caller pinned in t) and verifies them. */
static struct tobj *read_some(struct tdom *t, unsigned n, const char *where)
{
	struct tobj *last = NULL;
	for (unsigned k = 0; k < n; k++) {
		/* Acquire: pairs with the release half of the writers' exchange. */
		struct tobj *o = atomic_load_explicit(&t->slots[rnd_below(NSLOTS)], memory_order_acquire);
		if (o != NULL) {
			verify(o, t, where);
			last = o;
		}
	}
	return last;
}

/* ---- destructors ---- */

static void short_domain(unsigned depth);

/* A domain that outlives h (or h itself) for a child of h's object. */
static struct tdom *pick_target(struct tdom *h)
{
	if (chance(g_prof->own))
		return h;
	switch (h->kind) {
	case DK_DEFAULT:
		return &g_ll[rnd_below(NLL)];
	case DK_LL:
		if (chance(500))
			return &g_default;
		return &g_ll[rnd_below(NLL)];
	default: /* churn and short-lived: anything long-lived */
		if (chance(500))
			return &g_default;
		return &g_ll[rnd_below(NLL)];
	}
}

static void dtor_pin(struct tdom *h)
{
	struct tdom *t = chance(600) ? h : &g_default;
	/* Explicit domains: register first (a first pin that cannot allocate
	 * would abort); in a dying domain this is its never-registered record. */
	if (t->kind != DK_DEFAULT && tern_epoch_domain_register(t->d) != 0)
		return;
	dpin(t);
	if (t->kind != DK_SHORT)
		read_some(t, 2, "destructor");
	if (chance(300)) {
		dpin(t);
		dunpin(t);
	}
	dunpin(t);
}

static void dtor_actions(struct tdom *h, unsigned depth, bool forced)
{
	const struct profile *p = g_prof;
	if (depth < p->maxdepth) {
		unsigned n = forced ? 2 : (unsigned)chance(p->child1) + (unsigned)chance(p->child2);
		for (unsigned i = 0; i < n; i++) {
			struct tdom *t = forced ? h : pick_target(h);
			struct tobj *c = tobj_new(t, depth + 1, 0);
			c->forced = forced;
			tobj_defer(c);
		}
	}
	if (chance(p->pin))
		dtor_pin(h);
	if (chance(p->collect))
		dcollect(chance(600) ? h : &g_default);
	if (chance(p->flush))
		dflush(chance(600) ? h : &g_default);
	if (depth < p->maxdepth && chance(p->shortdom))
		short_domain(depth + 1);
}

static void tobj_retire(struct tobj *o)
{
	/* Relaxed: the exchange makes destruction exactly-once checkable (one
	 * modification order); the epoch scheme orders it after the readers. */
	uint64_t m = atomic_exchange_explicit(&o->magic, POISON, memory_order_relaxed);
	if (m != MAGIC)
		fail("object %p destroyed twice (magic %#llx)", (void *)o, (unsigned long long)m);
	if (o->check != (o->serial ^ CHECK_KEY))
		fail("object %p corrupted before its destruction", (void *)o);
	o->check = POISON;
	struct tdom *h = o->home;
	unsigned depth = o->depth, batch = o->batch;
	bool forced = o->forced;
	/* Relaxed: see tobj_new(). */
	atomic_fetch_add_explicit(&h->destroyed, 1, memory_order_relaxed);
	/* Relaxed: see tobj_new(). */
	atomic_fetch_add_explicit(&g_destroyed, 1, memory_order_relaxed);
	if (batch)
		/* Relaxed: see tobj_new(). */
		atomic_fetch_add_explicit(&g_batch_destroyed[batch], 1, memory_order_relaxed);
	tl_in_dtor++;
	dtor_actions(h, depth, forced);
	tl_in_dtor--;
	quarantine_put(o);
}

static void tobj_destroy(void *p)
{
	tobj_retire(p);
}

static void tobj_call_fn(struct tern_epoch_entry *e)
{
	tobj_retire((struct tobj *)((char *)e - offsetof(struct tobj, entry)));
}

/* Creates a domain, uses it (pinned or not), destroys it: every object
 * deferred into it (and the children deferred there by their destructors)
 * must be destroyed when the destroy returns. */
static void short_domain(unsigned depth)
{
	struct tdom x;
	tdom_init(&x, DK_SHORT, -1);
	if (tern_epoch_domain_create(&x.d) == 0) {
		bool pin = chance(500) && tern_epoch_domain_register(x.d) == 0;
		if (pin)
			tern_epoch_domain_pin(x.d);
		unsigned n = 1 + rnd_below(6);
		for (unsigned i = 0; i < n; i++)
			tobj_defer(tobj_new(&x, depth, 0));
		if (pin)
			tern_epoch_domain_unpin(x.d);
		if (chance(300))
			tern_epoch_domain_collect(x.d);
		tern_epoch_domain_destroy(x.d);
		/* Relaxed: the destroy ran every destructor on this thread. */
		long c = atomic_load_explicit(&x.created, memory_order_relaxed);
		/* Relaxed: as above. */
		long d = atomic_load_explicit(&x.destroyed, memory_order_relaxed);
		if (c != d)
			fail("short-lived domain destroyed with %ld of %ld objects not destroyed", c - d, c);
	} /* else ENOMEM: fault injection */
	pthread_mutex_destroy(&x.mu);
	pthread_cond_destroy(&x.cv);
}

/* ----------------------------------------------- late key destructors */

static pthread_key_t g_key_early; /* created before tern's exit key */
static pthread_key_t g_key_late;  /* created after it */
static atomic_long g_late_runs;

struct late {
	unsigned pass, target;
	unsigned act_from; /* the first pass that uses tern */
	pthread_key_t key;
};

/* What another library's key destructor does with tern, in any pass. */
static void late_actions(void)
{
	unsigned n = 1 + rnd_below(3);
	for (unsigned k = 0; k < n; k++) {
		struct tdom *ll = &g_ll[rnd_below(NLL)];
		struct tdom *t = chance(500) ? &g_default : ll;
		switch (rnd_below(8)) {
		case 0:
			tern_epoch_pin();
			read_some(&g_default, 2, "late key destructor");
			if (chance(500))
				tobj_defer(tobj_new(&g_default, 0, 0));
			if (chance(300)) {
				tern_epoch_pin();
				tern_epoch_unpin();
			}
			tern_epoch_unpin();
			break;
		case 1:
			tobj_defer(tobj_new(&g_default, 0, 0));
			break;
		case 2:
			if (tern_epoch_domain_register(ll->d) == 0) {
				tern_epoch_domain_pin(ll->d);
				read_some(ll, 2, "late key destructor");
				tobj_defer(tobj_new(ll, 0, 0));
				tern_epoch_domain_unpin(ll->d);
			}
			break;
		case 3:
			tobj_defer(tobj_new(ll, 0, 0));
			break;
		case 4:
			dcollect(t);
			break;
		case 5:
			dflush(t);
			break;
		case 6:
			/* A record and nothing else: it must not outlive the thread. */
			if (tern_epoch_domain_register(ll->d) != 0)
				fail("late key destructor: register => ENOMEM without fault injection");
			break;
		default:
			if (chance(150))
				short_domain(1);
			break;
		}
	}
}

static void late_dtor(void *v)
{
	struct late *l = v;
	l->pass++;
	/* Relaxed: a statistic. */
	atomic_fetch_add_explicit(&g_late_runs, 1, memory_order_relaxed);
	if (l->pass >= l->act_from)
		late_actions();
	if (l->pass < l->target) {
		if (pthread_setspecific(l->key, l) != 0)
			fail("pthread_setspecific in a key destructor");
	} else {
		free(l);
	}
}

/* A thread that never used tern before: its first use is in the last
 * pass, from the key created after tern's (its exit hook cannot run after
 * that pass). */
static void late_arm_silent(void)
{
	struct late *l = malloc(sizeof *l);
	if (l == NULL)
		fail("out of memory");
	l->pass = 0;
	l->target = l->act_from = LATE_PASSES;
	l->key = g_key_late;
	if (pthread_setspecific(g_key_late, l) != 0)
		fail("pthread_setspecific");
}

static void late_arm(void)
{
	/* The thread has used tern before its key destructors run, so tern's
	 * exit hook runs in glibc's first pass: a first use in the last pass
	 * is the documented limit that late_arm_silent() shows (with
	 * TERN_TORTURE_SILENT); without this, a thread whose late actions
	 * happen not to touch tern until the last pass would hit it. */
	tern_epoch_pin();
	tern_epoch_unpin();
	pthread_key_t keys[2] = { g_key_early, g_key_late };
	for (int i = 0; i < 2; i++) {
		if (!chance(600) || pthread_getspecific(keys[i]) != NULL)
			continue;
		struct late *l = malloc(sizeof *l);
		if (l == NULL)
			fail("out of memory");
		l->pass = 0;
		l->target = 1 + rnd_below(LATE_PASSES);
		l->act_from = 1;
		l->key = keys[i];
		if (pthread_setspecific(keys[i], l) != 0)
			fail("pthread_setspecific");
	}
}

/* ------------------------------------------------------- churn domains */

static void churn_open_claimed(struct tdom *c)
{
	tern_epoch_domain_t *d;
	int rc = tern_epoch_domain_create(&d);
	if (rc != 0)
		fail("tern_epoch_domain_create => %d without fault injection", rc);
	/* Relaxed: nobody uses the descriptor until it is LIVE (mu publishes). */
	atomic_store_explicit(&c->created, 0, memory_order_relaxed);
	/* Relaxed: as above. */
	atomic_store_explicit(&c->destroyed, 0, memory_order_relaxed);
	pthread_mutex_lock(&c->mu);
	c->d = d;
	c->gen++;
	c->state = CH_LIVE;
	pthread_mutex_unlock(&c->mu);
}

/* Takes a token on c: c->d stays alive, and this thread may use it, until
 * churn_release().  Registers the thread in it (no fault injection here). */
static bool churn_acquire(struct tdom *c)
{
	pthread_mutex_lock(&c->mu);
	bool ok = c->state == CH_LIVE;
	if (ok)
		c->users++;
	tern_epoch_domain_t *d = c->d;
	pthread_mutex_unlock(&c->mu);
	if (ok && chance(700) && tern_epoch_domain_register(d) != 0)
		fail("tern_epoch_domain_register => ENOMEM without fault injection");
	return ok;
}

static void churn_empty_slots(struct tdom *c)
{
	for (int i = 0; i < NSLOTS; i++) {
		/* Acquire: pairs with the release half of the writer's exchange
		 * (we take ownership of the object). */
		struct tobj *o = atomic_exchange_explicit(&c->slots[i], NULL, memory_order_acquire);
		if (o != NULL)
			tobj_defer(o);
	}
}

/* Gives the token back.  The last user of a closing domain empties its
 * slots (so that the destroyer need not have a record there) unless it
 * may not use tern (the conductor releasing for a joined thread). */
static void churn_release(struct tdom *c, bool may_empty)
{
	pthread_mutex_lock(&c->mu);
	if (may_empty && c->state == CH_CLOSING && c->users == 1 && c->need_empty) {
		c->need_empty = false;
		pthread_mutex_unlock(&c->mu);
		churn_empty_slots(c);
		pthread_mutex_lock(&c->mu);
	}
	if (--c->users == 0)
		pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

static void churn_check_destroyed(struct tdom *c, unsigned gen)
{
	/* Relaxed: the destroy waited for every exiting thread that handed
	 * garbage over (the library's lock) and every user released its token
	 * (mu) before it; it ran the rest itself. */
	long cr = atomic_load_explicit(&c->created, memory_order_relaxed);
	/* Relaxed: as above. */
	long de = atomic_load_explicit(&c->destroyed, memory_order_relaxed);
	if (cr != de)
		fail("churn domain %d (instance %u): %ld objects created, %ld destroyed after "
		     "tern_epoch_domain_destroy",
		     c->index, gen, cr, de);
}

/* Destroys c's domain once nobody holds a token (and re-creates it), or
 * creates it if it is empty.  The caller holds no token and is not pinned. */
static void churn_cycle(struct tdom *c)
{
	pthread_mutex_lock(&c->mu);
	if (c->state == CH_EMPTY) {
		c->state = CH_OPENING;
		pthread_mutex_unlock(&c->mu);
		churn_open_claimed(c);
		return;
	}
	if (c->state != CH_LIVE) {
		pthread_mutex_unlock(&c->mu);
		return;
	}
	c->state = CH_CLOSING;
	c->need_empty = true;
	while (c->users > 0)
		pthread_cond_wait(&c->cv, &c->mu);
	bool empty_here = c->need_empty;
	c->need_empty = false;
	tern_epoch_domain_t *d = c->d;
	unsigned gen = c->gen;
	pthread_mutex_unlock(&c->mu);
	if (empty_here)
		churn_empty_slots(c);
	for (int i = 0; i < NSLOTS; i++)
		/* Relaxed: no token holder is left to write the slots. */
		if (atomic_load_explicit(&c->slots[i], memory_order_relaxed) != NULL)
			fail("test bug: churn slot not emptied before destroy");
	if (chance(g_prof->forced_trees)) {
		/* Trees whose every node defers two children into this domain:
		 * the destroy must drain them all (destructors re-entering the
		 * dying domain). */
		unsigned n = 1 + rnd_below(3);
		for (unsigned i = 0; i < n; i++) {
			struct tobj *o = tobj_new(c, 0, 0);
			o->forced = true;
			tobj_defer(o);
		}
	}
	if (chance(250))
		tern_epoch_domain_collect(d);
	tern_epoch_domain_destroy(d);
	churn_check_destroyed(c, gen);
	pthread_mutex_lock(&c->mu);
	c->d = NULL;
	bool reopen = chance(700);
	c->state = reopen ? CH_OPENING : CH_EMPTY;
	pthread_mutex_unlock(&c->mu);
	if (reopen)
		churn_open_claimed(c);
}

/* ------------------------------------------------------------- workers */

enum op { OP_READ, OP_WRITE, OP_BULK, OP_PIN, OP_TOKEN, OP_COLLECT, OP_WAIT,
	  OP_CYCLE, OP_FAIL, OP_LATE, OP_YIELD, NOPS };

struct config {
	const char *name;
	unsigned rounds;       /* audits between rounds (scaled by TERN_TEST_SCALE) */
	unsigned per_round;    /* threads started per round (at least; not scaled) */
	unsigned maxlive;      /* concurrent workers */
	unsigned steps;        /* a worker's steps: up to this many */
	unsigned bulk_max;
	unsigned weights[NOPS];
	unsigned late_start;   /* permille: arm the late keys at start */
	unsigned silent;       /* permille: a thread whose only use of tern is late */
	unsigned exit_pinned;  /* permille: exit pinned somewhere */
	bool collector;        /* a thread that only collects/flushes */
	unsigned nforks;       /* a forking thread (round 0 only; scaled) */
};

static const struct config *g_cfg;

struct wstate {
	unsigned nest[NDOM];
	bool token[NCHURN];
	struct {
		struct tobj *o;
		int dom;
	} held[NHELD];
	unsigned nheld;
};

struct worker {
	pthread_t th;
	unsigned serial;
	bool used;
	atomic_bool done;
	bool kept[NCHURN]; /* tokens of churn domains it exited pinned in */
};

static struct worker g_workers[MAXLIVE];

static bool pinned_any(const struct wstate *ws)
{
	for (int i = 0; i < NDOM; i++)
		if (ws->nest[i])
			return true;
	return false;
}

static bool tokens_any(const struct wstate *ws)
{
	for (int k = 0; k < NCHURN; k++)
		if (ws->token[k])
			return true;
	return false;
}

/* A domain this thread may use now: default, long-lived, or a churn
 * domain it holds a token on. */
static int pick_dom(const struct wstate *ws)
{
	int avail[NDOM], n = 0;
	for (int i = 0; i < NDOM; i++)
		if (i <= NLL || ws->token[i - 1 - NLL])
			avail[n++] = i;
	return avail[rnd_below((unsigned)n)];
}

static void held_add(struct wstate *ws, int dom, struct tobj *o)
{
	if (ws->nheld < NHELD) {
		ws->held[ws->nheld].o = o;
		ws->held[ws->nheld].dom = dom;
		ws->nheld++;
	}
}

static void held_verify(struct wstate *ws)
{
	for (unsigned k = 0; k < ws->nheld; k++)
		verify(ws->held[k].o, dom_at(ws->held[k].dom), "held across steps");
}

static void ws_pin(struct wstate *ws, int i)
{
	dpin(dom_at(i));
	ws->nest[i]++;
}

static void ws_unpin(struct wstate *ws, int i)
{
	if (ws->nest[i] == 1) {
		/* The outermost unpin ends the protection of what was held. */
		unsigned j = 0;
		for (unsigned k = 0; k < ws->nheld; k++) {
			if (ws->held[k].dom == i)
				verify(ws->held[k].o, dom_at(i), "held until unpin");
			else
				ws->held[j++] = ws->held[k];
		}
		ws->nheld = j;
	}
	dunpin(dom_at(i));
	ws->nest[i]--;
}

static void op_read(struct wstate *ws)
{
	int i = pick_dom(ws);
	struct tdom *t = dom_at(i);
	bool outer = ws->nest[i] > 0;
	ws_pin(ws, i);
	struct tobj *seen[6];
	unsigned n = 1 + rnd_below(6);
	for (unsigned k = 0; k < n; k++)
		seen[k] = read_some(t, 1, "reader");
	if (chance(100))
		sched_yield();
	for (unsigned k = 0; k < n; k++)
		if (seen[k])
			verify(seen[k], t, "reader, before unpin");
	if (outer && seen[0] && chance(300))
		held_add(ws, i, seen[0]); /* the outer pin keeps protecting it */
	ws_unpin(ws, i);
}

static void op_write(struct wstate *ws)
{
	int i = pick_dom(ws);
	struct tdom *t = dom_at(i);
	bool pin = chance(400);
	if (pin)
		ws_pin(ws, i);
	struct tobj *o = tobj_new(t, 0, 0);
	/* Acq_rel: the release publishes o to the readers (pairs with their
	 * acquire loads); the acquire takes ownership of the old object. */
	struct tobj *old = atomic_exchange_explicit(&t->slots[rnd_below(NSLOTS)], o, memory_order_acq_rel);
	if (old != NULL) {
		verify(old, t, "writer");
		tobj_defer(old);
		if (ws->nest[i] > 0)
			held_add(ws, i, old); /* read pinned, deferred: valid until unpin */
	}
	if (pin)
		ws_unpin(ws, i);
}

static void op_bulk(struct wstate *ws)
{
	int i = pick_dom(ws);
	struct tdom *t = dom_at(i);
	bool pin = chance(300);
	if (pin)
		ws_pin(ws, i);
	unsigned n = 1 + rnd_below(g_cfg->bulk_max);
	for (unsigned k = 0; k < n; k++)
		tobj_defer(tobj_new(t, 0, 0));
	if (pin)
		ws_unpin(ws, i);
}

static void op_pin(struct wstate *ws)
{
	if (pinned_any(ws) && chance(550)) {
		int i;
		do
			i = (int)rnd_below(NDOM);
		while (ws->nest[i] == 0);
		ws_unpin(ws, i);
		return;
	}
	int i = pick_dom(ws);
	if (ws->nest[i] >= 3)
		return;
	bool outermost = ws->nest[i] == 0;
	ws_pin(ws, i);
	if (outermost) {
		struct tobj *o = read_some(dom_at(i), 2, "long pin");
		if (o)
			held_add(ws, i, o);
	}
}

static void op_token(struct wstate *ws)
{
	int k = (int)rnd_below(NCHURN);
	if (ws->token[k]) {
		if (ws->nest[1 + NLL + k] == 0) {
			churn_release(&g_churn[k], true);
			ws->token[k] = false;
		}
	} else if (churn_acquire(&g_churn[k])) {
		ws->token[k] = true;
	}
}

static void op_collect(struct wstate *ws)
{
	struct tdom *t = dom_at(pick_dom(ws));
	if (chance(650))
		dcollect(t);
	else
		dflush(t);
}

/* Blocking calls only when pinned nowhere: a thread pinned in E that
 * waits for a grace period of D could wait for one pinned in D that waits
 * for E. */
static void op_wait(struct wstate *ws)
{
	if (pinned_any(ws))
		return;
	struct tdom *t = dom_at(pick_dom(ws));
	if (chance(500))
		dbarrier(t);
	else
		dsync(t);
}

static void op_cycle(struct wstate *ws)
{
	if (pinned_any(ws) || tokens_any(ws))
		return;
	churn_cycle(&g_churn[rnd_below(NCHURN)]);
}

/* Defers with allocation failure injected (pinned only in that domain, so
 * an out-of-memory wait cannot wait on this thread). */
static void op_fail(struct wstate *ws)
{
	if (pinned_any(ws))
		return;
	int i = pick_dom(ws);
	struct tdom *t = dom_at(i);
	/* A first pin that cannot allocate the record aborts (documented):
	 * register while allocations still succeed. */
	if (t->kind != DK_DEFAULT && tern_epoch_domain_register(t->d) != 0)
		fail("tern_epoch_domain_register => ENOMEM without fault injection");
	tl_fail_permille = 100 + rnd_below(500);
	unsigned n = 1 + rnd_below(150);
	for (unsigned k = 0; k < n;) {
		bool pin = chance(400);
		unsigned m = 1 + rnd_below(40);
		if (pin)
			ws_pin(ws, i);
		for (unsigned j = 0; j < m && k < n; j++, k++)
			tobj_defer(tobj_new(t, 0, 0));
		if (pin)
			ws_unpin(ws, i);
	}
	if (chance(300))
		dflush(t);
	tl_fail_permille = 0;
}

static void worker_exit(struct worker *w, struct wstate *ws)
{
	held_verify(ws);
	ws->nheld = 0;
	unsigned r = rnd_below(1000);
	int stay = -1; /* the domain it exits pinned in */
	if (r < g_cfg->exit_pinned) {
		int i = pick_dom(ws);
		stay = i;
		if (ws->nest[i] == 0)
			ws_pin(ws, i);
	}
	for (int i = 0; i < NDOM; i++)
		while (i != stay && ws->nest[i] > 0)
			ws_unpin(ws, i);
	if (chance(200))
		dflush(dom_at(pick_dom(ws)));
	for (int k = 0; k < NCHURN; k++) {
		if (!ws->token[k])
			continue;
		if (stay == 1 + NLL + k) {
			w->kept[k] = true; /* released by the conductor after the join */
		} else {
			churn_release(&g_churn[k], true);
			ws->token[k] = false;
		}
	}
	tl_fail_permille = 0;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	seed_thread(w->serial);
	struct wstate ws;
	memset(&ws, 0, sizeof ws);
	/* A thread whose first use of tern is in glibc's last key-destructor
	 * pass is a documented limit (README, "Known limits": its hook cannot
	 * run again, and its TLS record outlives the thread); the profiles
	 * keep it at 0 unless TERN_TORTURE_SILENT is set, to show the limit. */
	if (getenv("TERN_TORTURE_SILENT") != NULL && chance(g_cfg->silent)) {
		late_arm_silent();
		/* Relaxed: see below. */
		atomic_store_explicit(&w->done, true, memory_order_relaxed);
		return NULL;
	}
	if (chance(g_cfg->late_start))
		late_arm();
	unsigned total = 0;
	for (int i = 0; i < NOPS; i++)
		total += g_cfg->weights[i];
	unsigned steps = 1 + rnd_below(g_cfg->steps);
	for (unsigned s = 0; s < steps; s++) {
		held_verify(&ws);
		unsigned x = rnd_below(total), op = 0;
		while (x >= g_cfg->weights[op])
			x -= g_cfg->weights[op++];
		switch (op) {
		case OP_READ:
			op_read(&ws);
			break;
		case OP_WRITE:
			op_write(&ws);
			break;
		case OP_BULK:
			op_bulk(&ws);
			break;
		case OP_PIN:
			op_pin(&ws);
			break;
		case OP_TOKEN:
			op_token(&ws);
			break;
		case OP_COLLECT:
			op_collect(&ws);
			break;
		case OP_WAIT:
			op_wait(&ws);
			break;
		case OP_CYCLE:
			op_cycle(&ws);
			break;
		case OP_FAIL:
			op_fail(&ws);
			break;
		case OP_LATE:
			late_arm();
			break;
		default:
			sched_yield();
			break;
		}
	}
	worker_exit(w, &ws);
	/* Relaxed: tells the conductor when to join; pthread_join orders the
	 * rest (kept[]). */
	atomic_store_explicit(&w->done, true, memory_order_relaxed);
	return NULL; /* exits, maybe pinned, with garbage, records and keys */
}

/* --------------------------------------------------- collector, audits */

static atomic_bool g_stop_collector;

static void *collector_main(void *arg)
{
	(void)arg;
	seed_thread(0xc011ec7);
	/* Relaxed: a stop flag; the join orders what matters. */
	while (!atomic_load_explicit(&g_stop_collector, memory_order_relaxed)) {
		struct tdom *t = dom_at((int)rnd_below(1 + NLL));
		if (chance(900))
			dcollect(t);
		else
			dflush(t);
		if (chance(100))
			tobj_defer(tobj_new(t, 0, 0));
		struct timespec ts = { 0, 20000 };
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static long slot_objects(void)
{
	long n = 0;
	for (int i = 0; i < NDOM; i++) {
		struct tdom *t = dom_at(i);
		if (t->kind == DK_CHURN && t->state != CH_LIVE)
			continue;
		for (int s = 0; s < NSLOTS; s++)
			/* Relaxed: every other thread is joined. */
			n += atomic_load_explicit(&t->slots[s], memory_order_relaxed) != NULL;
	}
	return n;
}

static bool dom_live(const struct tdom *t)
{
	return t->kind != DK_CHURN || t->state == CH_LIVE;
}

static void stats_exact(struct tdom *t, const char *when)
{
	struct tern_epoch_stats st;
	tern_epoch_domain_stats(t->d, &st);
	/* Relaxed: destructors ran on this thread (barrier) or in joined ones. */
	long mine = atomic_load_explicit(&t->destroyed, memory_order_relaxed);
	if (st.pending != 0 || st.orphaned != 0 || st.registered_threads != 1 || st.pinned_threads != 0 ||
	    st.destroyed != (uint64_t)mine)
		fail("%s: %s domain %d stats: pending %llu (want 0), orphaned %llu (want 0), "
		     "registered %u (want 1), pinned %u (want 0), destroyed %llu (want %ld)",
		     when, kind_name(t), t->index, (unsigned long long)st.pending,
		     (unsigned long long)st.orphaned, st.registered_threads, st.pinned_threads,
		     (unsigned long long)st.destroyed, mine);
}

/* Barriers every live domain until everything not in a slot is destroyed
 * (destructors defer children into other domains: one sweep per level). */
static void sweep_all(const char *when)
{
	for (unsigned sweep = 0;; sweep++) {
		tern_epoch_barrier();
		for (int i = 1; i < NDOM; i++)
			if (dom_live(dom_at(i)))
				tern_epoch_domain_barrier(dom_at(i)->d);
		/* Relaxed: this thread ran the destructors or joined their threads. */
		long c = atomic_load_explicit(&g_created, memory_order_relaxed);
		/* Relaxed: as above. */
		long d = atomic_load_explicit(&g_destroyed, memory_order_relaxed);
		long s = slot_objects();
		if (c - d == s)
			return;
		if (sweep > g_prof->maxdepth + 3)
			fail("%s: %ld objects neither in a slot nor destroyed after %u barrier sweeps "
			     "(created %ld, destroyed %ld)",
			     when, c - d - s, sweep + 1, c, d);
	}
}

/* A fresh thread, every worker joined: everything drains and every
 * counter is exact. */
static void *auditor_main(void *arg)
{
	const char *when = arg;
	tern_epoch_pin();
	tern_epoch_unpin();
	for (int i = 1; i < NDOM; i++)
		if (dom_live(dom_at(i)) && tern_epoch_domain_register(dom_at(i)->d) != 0)
			fail("%s: register failed", when);
	sweep_all(when);
	for (int i = 0; i < NDOM; i++)
		if (dom_live(dom_at(i)))
			stats_exact(dom_at(i), when);
	return NULL;
}

static void run_in_thread(void *(*fn)(void *), void *arg)
{
	pthread_t t;
	if (pthread_create(&t, NULL, fn, arg) != 0)
		fail("pthread_create");
	pthread_join(t, NULL);
}

/* Empties every slot, destroys every explicit domain (each destroy must
 * destroy everything homed there), drains the default domain. */
static void *finisher_main(void *arg)
{
	(void)arg;
	tern_epoch_pin();
	tern_epoch_unpin();
	for (int i = 0; i < NDOM; i++) {
		struct tdom *t = dom_at(i);
		if (!dom_live(t))
			continue;
		for (int s = 0; s < NSLOTS; s++) {
			/* Acquire: takes ownership (pairs with the writers' release). */
			struct tobj *o = atomic_exchange_explicit(&t->slots[s], NULL, memory_order_acquire);
			if (o)
				tobj_defer(o);
		}
	}
	for (int k = 0; k < NCHURN; k++) {
		struct tdom *c = &g_churn[k];
		if (c->state != CH_LIVE)
			continue;
		tern_epoch_domain_destroy(c->d);
		churn_check_destroyed(c, c->gen);
		c->d = NULL;
		c->state = CH_EMPTY;
	}
	for (int i = 0; i < NLL; i++)
		if (tern_epoch_domain_register(g_ll[i].d) != 0)
			fail("final: register failed");
	sweep_all("final");
	stats_exact(&g_default, "final");
	for (int i = 0; i < NLL; i++) {
		stats_exact(&g_ll[i], "final");
		tern_epoch_domain_destroy(g_ll[i].d);
		/* Relaxed: this thread ran every destructor left. */
		long c = atomic_load_explicit(&g_ll[i].created, memory_order_relaxed);
		/* Relaxed: as above. */
		long d = atomic_load_explicit(&g_ll[i].destroyed, memory_order_relaxed);
		if (c != d)
			fail("final: long-lived domain %d destroyed with %ld of %ld objects left", i, c - d, c);
		g_ll[i].d = NULL;
	}
	return NULL;
}

/* After every other thread exited: a fresh thread's barrier. */
static struct tern_epoch_stats g_final_stats;

static void *last_barrier_main(void *arg)
{
	(void)arg;
	tern_epoch_barrier();
	tern_epoch_pin();
	tern_epoch_unpin();
	tern_epoch_stats(&g_final_stats);
	return NULL;
}

/* ------------------------------------------------------------- setup */

static void *init_tern_main(void *arg)
{
	(void)arg;
	tern_epoch_pin(); /* initialises tern (its exit key) and exits registered */
	tern_epoch_unpin();
	return NULL;
}

static void torture_setup(const char *name, uint64_t salt)
{
	g_test = name;
	const char *s = getenv("TERN_TORTURE_SEED");
	g_seed = (s && *s) ? strtoull(s, NULL, 0) : DEFAULT_SEED;
	g_mix = g_seed ^ salt;
	snprintf(g_abort_msg, sizeof g_abort_msg, "torture[%s]: crashed; reproduce with TERN_TORTURE_SEED=%#llx\n",
		 name, (unsigned long long)g_seed);
	snprintf(g_alarm_msg, sizeof g_alarm_msg,
		 "torture[%s]: FAIL: watchdog: no progress (deadlock or livelock); TERN_TORTURE_SEED=%#llx\n",
		 name, (unsigned long long)g_seed);
	signal(SIGABRT, on_abort);
	if (!TORTURE_CHILD_ARENA && !TORTURE_TSAN) {
		/* A crash names the seed too (the sanitizers report their own). */
		signal(SIGSEGV, on_abort);
		signal(SIGBUS, on_abort);
	}
	signal(SIGALRM, on_alarm);
	alarm(WATCHDOG_SECONDS);
	seed_thread(0);

	static const struct tern_allocator a = { t_malloc, t_free, NULL };
	cr_assert_eq(tern_set_allocator(&a), 0);
	if (TORTURE_CHILD_ARENA) {
		void *m = mmap(NULL, ARENA_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			       -1, 0);
		cr_assert_neq(m, MAP_FAILED);
		g_arena = m;
	}
	/* Before tern initialises: child handlers run in registration order. */
	cr_assert_eq(pthread_atfork(NULL, NULL, arena_child_handler), 0);
	/* Key order: the early key's destructor runs before tern's exit hook
	 * in the first pass, the late one after it. */
	cr_assert_eq(pthread_key_create(&g_key_early, late_dtor), 0);
	run_in_thread(init_tern_main, NULL);
	cr_assert_eq(pthread_key_create(&g_key_late, late_dtor), 0);

	tdom_init(&g_default, DK_DEFAULT, 0);
	g_default.d = tern_epoch_default_domain();
	for (int i = 0; i < NLL; i++) {
		tdom_init(&g_ll[i], DK_LL, i);
		cr_assert_eq(tern_epoch_domain_create(&g_ll[i].d), 0);
	}
	for (int k = 0; k < NCHURN; k++) {
		tdom_init(&g_churn[k], DK_CHURN, k);
		g_churn[k].state = CH_OPENING;
		churn_open_claimed(&g_churn[k]);
	}
}

/* Final checks, on the test's thread (which never registers with tern). */
static void torture_teardown(void)
{
	run_in_thread(finisher_main, NULL);
	run_in_thread(last_barrier_main, NULL);
	struct tern_epoch_stats *st = &g_final_stats;
	cr_assert(st->pending == 0 && st->orphaned == 0 && st->registered_threads == 1,
		  "torture[%s]: after the last barrier: pending %llu, orphaned %llu, registered %u "
		  "(want 0, 0, 1: only the thread asking) (TERN_TORTURE_SEED=%#llx)",
		  g_test, (unsigned long long)st->pending, (unsigned long long)st->orphaned,
		  st->registered_threads, (unsigned long long)g_seed);
	struct tern_epoch_stats now;
	tern_epoch_stats(&now);
	cr_assert(now.pending == 0 && now.orphaned == 0 && now.registered_threads == 0,
		  "torture[%s]: every thread exited: pending %llu, orphaned %llu, registered %u "
		  "(want 0, 0, 0) (TERN_TORTURE_SEED=%#llx)",
		  g_test, (unsigned long long)now.pending, (unsigned long long)now.orphaned,
		  now.registered_threads, (unsigned long long)g_seed);
	/* Relaxed: every thread is joined. */
	long c = atomic_load_explicit(&g_created, memory_order_relaxed);
	/* Relaxed: as above. */
	long d = atomic_load_explicit(&g_destroyed, memory_order_relaxed);
	cr_assert_eq(c, d, "torture[%s]: created %ld, destroyed %ld (TERN_TORTURE_SEED=%#llx)", g_test, c, d,
		     (unsigned long long)g_seed);
	/* Relaxed: as above. */
	long out = atomic_load_explicit(&g_alloc_outstanding, memory_order_relaxed);
	cr_assert_eq(out, 0, "torture[%s]: %ld blocks allocated by tern never freed (TERN_TORTURE_SEED=%#llx)",
		     g_test, out, (unsigned long long)g_seed);
	quarantine_drain();
	tern_set_allocator(NULL);
	if (g_arena != NULL)
		munmap(g_arena, ARENA_BYTES);
	free(g_batch_created);
	free(g_batch_destroyed);
	alarm(0);
	/* Relaxed: statistics; every thread is joined. */
	long failures = atomic_load_explicit(&g_alloc_failures, memory_order_relaxed);
	/* Relaxed: as above. */
	long late_runs = atomic_load_explicit(&g_late_runs, memory_order_relaxed);
	cr_log_info("torture[%s]: seed %#llx: %ld objects, %ld injected allocation failures, %ld late "
		    "key destructor runs",
		    g_test, (unsigned long long)g_seed, c, failures, late_runs);
}

/* ------------------------------------------------------------- fork */

#define NPARK 3
static atomic_bool g_forker_done;
static unsigned g_next_batch = 1; /* forker thread only */

struct parked {
	pthread_t th;
	int variant;
	unsigned batch;
	long expected;     /* written before `ready` */
	bool exact;        /* deferred under its own pin: none can be in flight at the fork */
	bool reserve;      /* its garbage is in a pinned record's reserve bag */
	atomic_int *ready;
	atomic_bool *release;
	uint64_t stream;
};

/* Parks holding garbage in a known state while the forker forks:
 *   0: pinned in the default domain (nested), garbage in default;
 *   1: unpinned, garbage in default and a long-lived domain (sealed, it may
 *      be mid-destruction in another thread at the fork);
 *   2: pinned in a long-lived domain whose garbage sits in the record's
 *      reserve bag (every allocation failed while pinned). */
static void *parked_main(void *arg)
{
	struct parked *p = arg;
	seed_thread(p->stream);
	struct tdom *ll = &g_ll[rnd_below(NLL)];
	long n = 0;
	switch (p->variant) {
	case 0:
		tern_epoch_pin();
		for (long k = 1 + rnd_below(200); n < k; n++) {
			if (chance(100)) {
				tern_epoch_pin();
				tern_epoch_unpin();
			}
			tobj_defer(tobj_new(&g_default, 0, p->batch));
		}
		break;
	case 1:
		for (long k = 1 + rnd_below(200); n < k; n++)
			tobj_defer(tobj_new(chance(500) ? &g_default : ll, 0, p->batch));
		break;
	default:
		if (tern_epoch_domain_register(ll->d) != 0)
			fail("parked: register");
		tern_epoch_domain_pin(ll->d);
		tl_fail_permille = 1000;
		for (long k = 1 + rnd_below(TERN_EPOCH_BAG_CAP); n < k; n++)
			tobj_defer(tobj_new(ll, 0, p->batch));
		p->reserve = tl_failures > 0;
		tl_fail_permille = 0;
		break;
	}
	p->expected = n;
	p->exact = p->variant != 1;
	/* Release: pairs with the forker's acquire load; expected, reserve and
	 * the garbage's state happen before the fork. */
	atomic_fetch_add_explicit(p->ready, 1, memory_order_release);
	/* Relaxed: a stop flag; the join orders what matters. */
	while (!atomic_load_explicit(p->release, memory_order_relaxed)) {
		struct timespec ts = { 0, 100000 };
		nanosleep(&ts, NULL);
	}
	if (p->variant == 0)
		tern_epoch_unpin();
	else if (p->variant == 2)
		tern_epoch_domain_unpin(ll->d);
	return NULL;
}

struct fork_ctx {
	unsigned a_loose;           /* the forker's garbage deferred before its pins */
	unsigned a_pinned;          /* ... and under pins it holds across the fork */
	struct parked park[NPARK];
	bool pinned;                /* the forker is pinned in default at fork */
	struct tobj *held;          /* ... holding this object */
	int pin_ll;                 /* the long-lived domain it is pinned in, or -1 */
	struct tobj *held_ll;       /* ... holding this object */
	long fail_before;           /* tl_failures before fork() */
	unsigned mode;              /* bit 0: allocations fail in the child handler; bit 1: in the child */
	unsigned c_batch, s_batch;  /* the child's own objects, the slot objects */
};

/* A failed check in the fork child: the message (with the seed), then
 * _exit(code) for the parent to report.  (A crash or a tern assertion
 * shows as a signal instead.) */
static void child_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
static void child_fail(int code, const char *fmt, ...)
{
	char buf[640];
	int k = snprintf(buf, sizeof buf, "torture[%s]: FAIL: fork child (exit %d): ", g_test, code);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + k, sizeof buf - (size_t)k, fmt, ap);
	va_end(ap);
	size_t len = strlen(buf);
	snprintf(buf + len, sizeof buf - len, " (pid %d, TERN_TORTURE_SEED=%#llx)\n", (int)getpid(),
		 (unsigned long long)g_seed);
	write_all(buf);
	_exit(code);
}

static long batch_destroyed(unsigned b)
{
	/* Relaxed: in the child only this thread runs (and ran) destructors
	 * since the fork; before it, the fork copied the counters. */
	return atomic_load_explicit(&g_batch_destroyed[b], memory_order_relaxed);
}

static long batch_created(unsigned b)
{
	/* Relaxed: as in batch_destroyed(). */
	return atomic_load_explicit(&g_batch_created[b], memory_order_relaxed);
}

/* The child: only the forking thread exists.  Every object is destroyed at
 * most once (poison), and exactly once when no thread can have been
 * destroying or rearranging it at the fork: garbage deferred under a pin
 * held across the fork (the forker's, parked variants 0 and 2; variant 2's
 * reserve bag may leak if the fork handler could not allocate a bag to copy
 * it into, as documented), the child's own garbage with allocation failures,
 * and the slot objects it inherited.  Other garbage (deferred unpinned) may
 * have been mid-destruction in a thread that does not exist in the child:
 * at most once.  The objects the forker holds pinned stay intact while the
 * child collects, and every counter is exact after the child's barriers. */
static void child_main(struct fork_ctx *fc) __attribute__((noreturn));
static void child_main(struct fork_ctx *fc)
{
	signal(SIGABRT, SIG_DFL); /* fail() prints the seed already */
	alarm(CHILD_WATCHDOG_SECONDS);
	long handler_failures = tl_failures - fc->fail_before;
	tl_fail_permille = 0;
	if (fc->pinned) {
		/* Still pinned: collections (and new garbage) must not destroy
		 * what the pin protects, whatever the dead threads left. */
		for (int i = 0; i < 8; i++) {
			tobj_defer(tobj_new(&g_default, 0, fc->c_batch));
			tern_epoch_collect();
			if (fc->held)
				verify(fc->held, &g_default, "fork child, still pinned");
		}
		tern_epoch_unpin();
	}
	if (fc->pin_ll >= 0) {
		struct tdom *ll = &g_ll[fc->pin_ll];
		for (int i = 0; i < 8; i++) {
			tobj_defer(tobj_new(ll, 0, fc->c_batch));
			tern_epoch_domain_collect(ll->d);
			if (fc->held_ll)
				verify(fc->held_ll, ll, "fork child, still pinned");
		}
		tern_epoch_domain_unpin(ll->d);
	}
	for (int i = 0; i < NLL; i++)
		if (tern_epoch_domain_register(g_ll[i].d) != 0)
			child_fail(2, "register in a long-lived domain failed");
	tern_epoch_pin();
	tern_epoch_unpin();
	/* The child's own objects, allocation failing at random. */
	if (fc->mode & 2)
		tl_fail_permille = 500;
	for (unsigned n = 50 + rnd_below(400), k = 0; k < n;) {
		struct tdom *t = chance(500) ? &g_default : &g_ll[rnd_below(NLL)];
		bool pin = chance(400);
		if (pin)
			dpin(t);
		for (unsigned m = 1 + rnd_below(60), j = 0; j < m && k < n; j++, k++)
			tobj_defer(tobj_new(t, 0, fc->c_batch));
		if (pin)
			dunpin(t);
	}
	tl_fail_permille = 0;
	/* The slot objects the child inherited are intact; retire them. */
	long slot_n = 0;
	for (int i = 0; i <= NLL; i++) {
		struct tdom *t = dom_at(i);
		dpin(t);
		for (int s = 0; s < NSLOTS; s++) {
			/* Acquire: pairs with the writers' release (before the fork). */
			struct tobj *o = atomic_exchange_explicit(&t->slots[s], NULL, memory_order_acquire);
			if (o == NULL)
				continue;
			verify(o, t, "fork child, slot");
			o->batch = fc->s_batch;
			slot_n++;
			tobj_defer(o);
		}
		dunpin(t);
	}
	for (unsigned sweep = 0; sweep < g_prof->maxdepth + 3; sweep++) {
		tern_epoch_barrier();
		for (int i = 0; i < NLL; i++)
			tern_epoch_domain_barrier(g_ll[i].d);
	}
	long a_c = batch_created(fc->a_pinned), a_d = batch_destroyed(fc->a_pinned);
	if (a_c != a_d)
		child_fail(3, "forking thread's garbage deferred under its pins: %ld created, %ld destroyed", a_c,
			   a_d);
	a_c = batch_created(fc->a_loose);
	a_d = batch_destroyed(fc->a_loose);
	if (a_d > a_c)
		child_fail(8, "forking thread's other garbage: %ld created, %ld destroyed", a_c, a_d);
	long c_c = batch_created(fc->c_batch), c_d = batch_destroyed(fc->c_batch);
	if (c_c != c_d)
		child_fail(4, "child's garbage (allocation failing: %s): %ld created, %ld destroyed",
			   (fc->mode & 2) ? "yes" : "no", c_c, c_d);
	if (batch_destroyed(fc->s_batch) != slot_n)
		child_fail(5, "slot objects: %ld retired, %ld destroyed", slot_n, batch_destroyed(fc->s_batch));
	for (int i = 0; i < NPARK; i++) {
		struct parked *p = &fc->park[i];
		long got = batch_destroyed(p->batch);
		/* Unpinned garbage may be mid-destruction in another thread at
		 * the fork (leaked in the child); a reserve bag the fork handler
		 * could not copy is left unreclaimed (documented). */
		bool may_leak = !p->exact || (p->reserve && handler_failures > 0);
		if (got > p->expected || (!may_leak && got != p->expected))
			child_fail(6, "parked thread %d (variant %d%s): %ld deferred, %ld destroyed in the child "
				      "(%ld allocation failures in the fork handler)",
				   i, p->variant, p->reserve ? ", reserve bag" : "", p->expected, got,
				   handler_failures);
	}
	for (int i = 0; i <= NLL; i++) {
		struct tern_epoch_stats st;
		tern_epoch_domain_stats(dom_at(i)->d, &st);
		if (st.pending != 0 || st.orphaned != 0 || st.registered_threads != 1 || st.pinned_threads != 0)
			child_fail(7, "%s domain %d: pending %llu, orphaned %llu, registered %u, pinned %u "
				      "(want 0, 0, 1, 0)",
				   kind_name(dom_at(i)), dom_at(i)->index, (unsigned long long)st.pending,
				   (unsigned long long)st.orphaned, st.registered_threads, st.pinned_threads);
	}
	_exit(0);
}

static void fork_once(unsigned f)
{
	struct fork_ctx fc;
	memset(&fc, 0, sizeof fc);
	atomic_int ready;
	atomic_bool release;
	atomic_init(&ready, 0);
	atomic_init(&release, false);
	if (g_next_batch + NPARK + 4 > g_nbatch)
		fail("test bug: too many batches");
	fc.a_loose = g_next_batch++;
	fc.a_pinned = g_next_batch++;
	fc.c_batch = g_next_batch++;
	fc.s_batch = g_next_batch++;
	fc.mode = rnd_below(4);
	for (int i = 0; i < NPARK; i++) {
		struct parked *p = &fc.park[i];
		p->variant = i;
		p->batch = g_next_batch++;
		p->ready = &ready;
		p->release = &release;
		p->stream = ((uint64_t)f << 8) | (unsigned)i | (1ull << 40);
		if (pthread_create(&p->th, NULL, parked_main, p) != 0)
			fail("pthread_create");
	}
	/* The forker's own garbage, pinned and not, in default and long-lived:
	 * sealed, it may belong to the domain and be mid-destruction in another
	 * thread when fork() runs (then leaked in the child, as documented). */
	for (unsigned n = 20 + rnd_below(250), k = 0; k < n;) {
		struct tdom *t = chance(500) ? &g_default : &g_ll[rnd_below(NLL)];
		bool pin = chance(400);
		if (pin)
			dpin(t);
		for (unsigned m = 1 + rnd_below(50), j = 0; j < m && k < n; j++, k++)
			tobj_defer(tobj_new(t, 0, fc.a_loose));
		if (pin)
			dunpin(t);
	}
	/* Acquire: pairs with the parked threads' release increments. */
	while (atomic_load_explicit(&ready, memory_order_acquire) < NPARK)
		sched_yield();
	fc.pinned = chance(600);
	if (fc.pinned) {
		tern_epoch_pin();
		fc.held = read_some(&g_default, NSLOTS, "forker");
	}
	fc.pin_ll = chance(500) ? (int)rnd_below(NLL) : -1;
	if (fc.pin_ll >= 0) {
		struct tdom *ll = &g_ll[fc.pin_ll];
		if (tern_epoch_domain_register(ll->d) != 0)
			fail("forker: register");
		tern_epoch_domain_pin(ll->d);
		fc.held_ll = read_some(ll, NSLOTS, "forker");
	}
	/* Garbage deferred under pins held across the fork cannot become due
	 * before it, so no thread can be destroying it: exact in the child. */
	if (fc.pinned || fc.pin_ll >= 0) {
		for (unsigned n = 10 + rnd_below(200), k = 0; k < n; k++) {
			bool dflt = fc.pin_ll < 0 || (fc.pinned && chance(500));
			tobj_defer(tobj_new(dflt ? &g_default : &g_ll[fc.pin_ll], 0, fc.a_pinned));
		}
	}
	fc.fail_before = tl_failures;
	if (fc.mode & 1)
		tl_fail_permille = 1000; /* the child's fork handler cannot allocate */
	pid_t pid = fork();
	if (pid < 0)
		fail("fork: %s", strerror(errno));
	if (pid == 0)
		child_main(&fc);
	tl_fail_permille = 0;
	if (fc.pinned) {
		if (fc.held)
			verify(fc.held, &g_default, "forker after fork");
		tern_epoch_unpin();
	}
	if (fc.pin_ll >= 0) {
		if (fc.held_ll)
			verify(fc.held_ll, &g_ll[fc.pin_ll], "forker after fork");
		tern_epoch_domain_unpin(g_ll[fc.pin_ll].d);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			fail("waitpid: %s", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail("fork %u: child failed (%s %d; mode %u: fork handler allocations %s, child "
		     "allocations %s; forker %s)",
		     f, WIFEXITED(status) ? "exit status" : "signal",
		     WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), fc.mode,
		     (fc.mode & 1) ? "fail" : "succeed", (fc.mode & 2) ? "fail at random" : "succeed",
		     fc.pinned ? (fc.pin_ll >= 0 ? "pinned in default and long-lived" : "pinned in default")
			       : (fc.pin_ll >= 0 ? "pinned in long-lived" : "unpinned"));
	/* Relaxed: a stop flag; the joins order the rest. */
	atomic_store_explicit(&release, true, memory_order_relaxed);
	for (int i = 0; i < NPARK; i++)
		pthread_join(fc.park[i].th, NULL);
}

static void *forker_main(void *arg)
{
	(void)arg;
	seed_thread(0xf0f0f0f0);
	tl_no_flush = true;
	unsigned n = (unsigned)tern_test_iters(g_cfg->nforks);
	for (unsigned f = 0; f < n; f++) {
		fork_once(f);
		/* Let the churn move on between forks. */
		struct timespec ts = { 0, 2000000 };
		nanosleep(&ts, NULL);
	}
	/* Relaxed: the conductor joins us before it uses anything we did. */
	atomic_store_explicit(&g_forker_done, true, memory_order_relaxed);
	return NULL;
}

/* ------------------------------------------------------------ conductor */

static unsigned g_worker_serial;

static void reap(unsigned *live)
{
	for (int i = 0; i < MAXLIVE; i++) {
		struct worker *w = &g_workers[i];
		/* Relaxed: see worker_main(). */
		if (!w->used || !atomic_load_explicit(&w->done, memory_order_relaxed))
			continue;
		pthread_join(w->th, NULL);
		for (int k = 0; k < NCHURN; k++)
			if (w->kept[k])
				churn_release(&g_churn[k], false); /* the conductor never uses tern */
		w->used = false;
		(*live)--;
	}
}

static void spawn(void)
{
	for (int i = 0; i < MAXLIVE; i++) {
		struct worker *w = &g_workers[i];
		if (w->used)
			continue;
		w->used = true;
		w->serial = ++g_worker_serial;
		memset(w->kept, 0, sizeof w->kept);
		/* Relaxed: set before pthread_create, which orders it. */
		atomic_store_explicit(&w->done, false, memory_order_relaxed);
		int rc = pthread_create(&w->th, NULL, worker_main, w);
		if (rc != 0)
			fail("pthread_create: %s", strerror(rc));
		return;
	}
	fail("test bug: no free worker slot");
}

static void run_torture(const struct config *cfg, const struct profile *prof, uint64_t salt)
{
	g_cfg = cfg;
	g_prof = prof;
	torture_setup(cfg->name, salt);
	unsigned rounds = (unsigned)tern_test_iters(cfg->rounds);
	unsigned per_round = cfg->per_round;
	pthread_t forker;
	if (cfg->nforks) {
		g_nbatch = 1 + (4 + NPARK) * (unsigned)tern_test_iters(cfg->nforks);
		g_batch_created = calloc(g_nbatch, sizeof *g_batch_created);
		g_batch_destroyed = calloc(g_nbatch, sizeof *g_batch_destroyed);
		cr_assert(g_batch_created && g_batch_destroyed);
		for (unsigned i = 0; i < g_nbatch; i++) {
			atomic_init(&g_batch_created[i], 0);
			atomic_init(&g_batch_destroyed[i], 0);
		}
		atomic_init(&g_forker_done, false);
		if (pthread_create(&forker, NULL, forker_main, NULL) != 0)
			fail("pthread_create");
	}
	for (unsigned r = 0; r < rounds; r++) {
		pthread_t coll;
		if (cfg->collector) {
			/* Relaxed: a stop flag. */
			atomic_store_explicit(&g_stop_collector, false, memory_order_relaxed);
			if (pthread_create(&coll, NULL, collector_main, NULL) != 0)
				fail("pthread_create");
		}
		unsigned spawned = 0, live = 0;
		for (;;) {
			reap(&live);
			/* Relaxed: only paces the loop; the join orders the rest. */
			bool forking = cfg->nforks && r == 0 &&
				       !atomic_load_explicit(&g_forker_done, memory_order_relaxed);
			bool want = spawned < per_round || forking;
			if (want && live < cfg->maxlive) {
				spawn();
				spawned++;
				live++;
			} else if (!want && live == 0) {
				break;
			} else {
				struct timespec ts = { 0, 50000 };
				nanosleep(&ts, NULL);
			}
		}
		if (cfg->nforks && r == 0)
			pthread_join(forker, NULL);
		if (cfg->collector) {
			/* Relaxed: a stop flag. */
			atomic_store_explicit(&g_stop_collector, true, memory_order_relaxed);
			pthread_join(coll, NULL);
		}
		char when[64];
		snprintf(when, sizeof when, "round %u", r);
		run_in_thread(auditor_main, when);
	}
	torture_teardown();
}

/* --------------------------------------------------------------- tests */

/* Scenario `test`: Test(epoch_torture, test), run_torture() of the
 * configuration given (named after the test) with profile prof and seed. */
#define SCENARIO(test, prof, seed, ...)                                              \
	Test(epoch_torture, test, .timeout = 300)                                    \
	{                                                                            \
		static const struct config cfg = { .name = #test, __VA_ARGS__ };     \
		run_torture(&cfg, &prof, seed);                                      \
	}

/* Scenario 1: threads created and exiting at random (pinned or not, with
 * garbage, records in several domains and armed late keys) while churn
 * domains are destroyed and re-created under them. */
SCENARIO(threads_and_domains_churn, prof_normal, 0x1111,
	   .rounds = 80, .per_round = 600, .maxlive = 6, .steps = 60, .bulk_max = 120,
	   /*            read wrt bulk pin tok col wait cyc fail late yld */
	   .weights = { 30, 22, 3, 10, 10, 6, 2, 3, 2, 1, 4 },
	   .late_start = 150, .silent = 10, .exit_pinned = 300, .collector = true)

/* Scenario 2: destructors that re-enter tern heavily (children in their
 * own, another and the default domain, pins, collects, flushes, short
 * domains), run from every place tern runs them: collections, unpins,
 * barriers, thread exit, domain destroy (forced trees that re-enter the
 * dying domain), late key destructors. */
SCENARIO(reentrant_destructors, prof_heavy, 0x2222,
	   .rounds = 64, .per_round = 400, .maxlive = 5, .steps = 40, .bulk_max = 60,
	   .weights = { 20, 25, 4, 8, 10, 10, 3, 6, 2, 2, 2 },
	   .late_start = 200, .silent = 10, .exit_pinned = 250, .collector = true)

/* Scenario 3: fork while other threads are pinned, exiting, collecting and
 * destroying domains, with allocation failures in the child's fork handler
 * and in the child in some forks. */
SCENARIO(fork_under_churn, prof_normal, 0x3333,
	   .rounds = 1, .per_round = 40, .maxlive = 5, .steps = 50, .bulk_max = 100,
	   .weights = { 30, 22, 3, 10, 10, 6, 2, 3, 2, 1, 4 },
	   .late_start = 150, .exit_pinned = 300, .collector = true, .nforks = 800)

/* Scenario 4: threads that come and go in short waves, most with late key
 * destructors that re-arm themselves and pin, read, defer, collect and
 * flush in glibc's later passes (after tern's exit hook ran); every wave
 * ends with an audit (a dead or duplicated record shows in
 * registered_threads, a registry cycle hangs and trips the watchdog). */
SCENARIO(late_key_destructors, prof_normal, 0x4444,
	   .rounds = 2000, .per_round = 16, .maxlive = 6, .steps = 16, .bulk_max = 40,
	   .weights = { 25, 25, 3, 10, 6, 8, 2, 2, 1, 10, 4 },
	   .late_start = 900, .silent = 100, .exit_pinned = 300, .collector = false)

/* ---- scenario 1, the tight race: a thread hands its last garbage to a
 * domain and exits while the domain is being destroyed ---- */

static struct tdom g_race;
static atomic_int g_race_users;

static void *racer_main(void *arg)
{
	seed_thread((uintptr_t)arg);
	struct tdom *c = &g_race;
	if (chance(500) && tern_epoch_domain_register(c->d) != 0)
		fail("racer: register");
	for (unsigned n = 1 + rnd_below(80), k = 0; k < n;) {
		bool pin = chance(400);
		if (pin)
			tern_epoch_domain_pin(c->d);
		for (unsigned m = 1 + rnd_below(20), j = 0; j < m && k < n; j++, k++) {
			struct tobj *o = tobj_new(c, 0, 0);
			o->forced = chance(50);
			tobj_defer(o);
		}
		if (pin)
			tern_epoch_domain_unpin(c->d);
	}
	if (chance(300))
		tern_epoch_domain_flush(c->d);
	if (chance(300))
		tern_epoch_domain_collect(c->d);
	if (chance(300))
		tobj_defer(tobj_new(chance(500) ? &g_default : &g_ll[rnd_below(NLL)], 0, 0));
	if (chance(200))
		late_arm();
	/* Release: pairs with the destroyer's acquire load; our last use of
	 * the domain happens before its destroy. */
	atomic_fetch_sub_explicit(&g_race_users, 1, memory_order_release);
	for (unsigned spin = rnd_below(4000); spin; spin--)
		atomic_signal_fence(memory_order_seq_cst); /* compiler-only barrier: a delay loop, pairs with nothing */
	return NULL; /* the exit hook retires our record in D, racing the destroy */
}

static void *race_destroyer_main(void *arg)
{
	seed_thread((uintptr_t)arg);
	/* Acquire: pairs with the racers' release decrements. */
	while (atomic_load_explicit(&g_race_users, memory_order_acquire) != 0)
		sched_yield();
	for (unsigned spin = rnd_below(4000); spin; spin--)
		atomic_signal_fence(memory_order_seq_cst); /* compiler-only barrier: a delay loop, pairs with nothing */
	if (chance(300)) /* the destroyer has a record, with garbage, too */
		tobj_defer(tobj_new(&g_race, 0, 0));
	tern_epoch_domain_destroy(g_race.d);
	churn_check_destroyed(&g_race, 0);
	return NULL;
}

Test(epoch_torture, exit_races_domain_destroy, .timeout = 300)
{
	static const struct config cfg = {
		.name = "exit_races_domain_destroy",
		.weights = { 1 },
	};
	g_cfg = &cfg;
	g_prof = &prof_normal;
	torture_setup(cfg.name, 0x5555);
	tdom_init(&g_race, DK_CHURN, 99);
	unsigned iters = (unsigned)tern_test_iters(16000);
	uint64_t stream = 1000;
	for (unsigned it = 0; it < iters; it++) {
		cr_assert_eq(tern_epoch_domain_create(&g_race.d), 0);
		/* Relaxed: no thread uses g_race yet (pthread_create orders). */
		atomic_store_explicit(&g_race.created, 0, memory_order_relaxed);
		/* Relaxed: as above. */
		atomic_store_explicit(&g_race.destroyed, 0, memory_order_relaxed);
		unsigned n = 1 + rnd_below(4);
		/* Relaxed: published by pthread_create. */
		atomic_store_explicit(&g_race_users, (int)n, memory_order_relaxed);
		pthread_t t[5];
		for (unsigned i = 0; i < n; i++)
			if (pthread_create(&t[i], NULL, racer_main, (void *)(uintptr_t)stream++) != 0)
				fail("pthread_create");
		if (pthread_create(&t[n], NULL, race_destroyer_main, (void *)(uintptr_t)stream++) != 0)
			fail("pthread_create");
		for (unsigned i = 0; i <= n; i++)
			pthread_join(t[i], NULL);
		if (it % 50 == 49)
			run_in_thread(auditor_main, "race audit");
	}
	torture_teardown();
}
