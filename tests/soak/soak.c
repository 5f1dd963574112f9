/* SPDX-License-Identifier: MIT */
/*
 * tests/soak/soak.c — long-running soak of the epoch GC, the AtomicCell and
 * the LazyTransform: one writer, many readers (one of which is replaced by a
 * fresh thread every few milliseconds), for a given number of seconds.
 *
 *   soak [--seconds N] [--readers R] [--idle-writers W] [--no-rss-check]
 *        [--quiet] [--inject-stall | --inject-leak]
 *
 * Besides, W bursty writers (default 2) each defer a burst of 1-300 fresh
 * objects, read the slots once under a pin, then block in nanosleep for
 * 1-20 ms holding what they deferred: they are idle most of the time, so
 * their sealed garbage must be destroyed by the other threads' collections
 * (pending stays bounded, the verdict below) and every object they
 * deferred is destroyed exactly once.
 *
 * The writer, in a loop, replaces objects in 16 shared slots and defers the
 * old ones (raw epoch GC), stores into a run-time cell and a typed cell
 * (store, swap + retire, compare_exchange), stores into a copy cell, and
 * publishes new sources into a run-time and a typed LazyTransform.  Readers
 * pin, read everything, check each object's magic word (a destroyed object
 * is poisoned before it is freed), check that the values published by the
 * single writer never go backwards, and unpin.
 *
 * The main thread samples, every `interval`, the default domain's statistics
 * (pending and destroyed objects) and the process's VmRSS / VmHWM.  The run
 * fails when
 *   - a reader sees a poisoned or inconsistent object (it aborts at once),
 *   - after the run and a barrier, an object was not destroyed exactly once
 *     (created != destroyed for every kind, or objects still pending),
 *   - pending objects or RSS grew without bound: the median of the last
 *     third of the samples exceeds that of the first third by more than a
 *     margin (pending: twice, plus TERN_EPOCH_PENDING_MAX; RSS: 8 MiB or a
 *     quarter, whichever is larger).  --no-rss-check skips the RSS half (sanitizer
 *     runs, whose allocators quarantine freed memory).
 * It prints operations, objects destroyed, peak pending and peak RSS.
 *
 * Self-test of the verdict (`make soak-selftest`): --inject-stall keeps one
 * reader pinned from a third of the run to the end (pending objects then
 * grow without bound), --inject-leak makes the writer drop one raw-slot
 * object in 8 instead of deferring it (RSS grows, created != destroyed).
 * Both runs must FAIL.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tern/alloc.h"
#include "tern/atomic_cell.h"
#include "tern/epoch.h"
#include "tern/lazy_transform.h"

#define MAGIC 0x50a150a150a150a1ULL
#define POISON 0xdeaddeaddeaddeadULL
#define NSLOTS 16
#define MAX_READERS 64
#define MAX_SAMPLES 4096

/* ------------------------------------------------------------ objects */

struct obj {
	_Atomic uint64_t magic;
	uint64_t seq;
	uint64_t check; /* seq * K: a torn or recycled object fails the check */
};

struct src {
	_Atomic uint64_t magic;
	uint64_t seq;
};

struct pair {
	uint64_t a, b; /* b == ~a in every stored copy */
};

#define K 0x9e3779b97f4a7c15ULL

/* Relaxed counters: read after the threads are joined (join orders them). */
static atomic_ulong objs_created, objs_destroyed, srcs_created, srcs_destroyed;

static void fail(const char *what, uint64_t got)
{
	fprintf(stderr, "soak: FAIL: %s (0x%llx)\n", what, (unsigned long long)got);
	abort();
}

static struct obj *obj_new(uint64_t seq)
{
	struct obj *o = malloc(sizeof *o);
	if (o == NULL)
		fail("out of memory", 0);
	o->seq = seq;
	o->check = seq * K;
	/* Relaxed: the object is published by a release operation. */
	atomic_store_explicit(&o->magic, MAGIC, memory_order_relaxed);
	/* Relaxed: a counter, see above. */
	atomic_fetch_add_explicit(&objs_created, 1, memory_order_relaxed);
	return o;
}

static void obj_destroy(void *p)
{
	struct obj *o = p;
	/* Relaxed: exactly-once check; the GC orders the destruction after
	 * every reader's use. */
	uint64_t m = atomic_exchange_explicit(&o->magic, POISON, memory_order_relaxed);
	if (m != MAGIC)
		fail("object destroyed twice or never initialised", m);
	o->seq = o->check = POISON;
	/* Relaxed: a counter. */
	atomic_fetch_add_explicit(&objs_destroyed, 1, memory_order_relaxed);
	free(o);
}

static void obj_destroy_typed(struct obj *o)
{
	obj_destroy(o);
}

/* => o->seq after checking that o is alive and intact. */
static uint64_t obj_check(const struct obj *o)
{
	/* Relaxed: o was obtained by an acquire load under a pin; a poisoned
	 * magic means the GC destroyed it too early. */
	uint64_t m = atomic_load_explicit(&((struct obj *)o)->magic, memory_order_relaxed);
	if (m != MAGIC)
		fail("reader saw a destroyed object", m);
	if (o->check != o->seq * K)
		fail("reader saw a torn object", o->seq);
	return o->seq;
}

static struct src *src_new(uint64_t seq)
{
	struct src *s = malloc(sizeof *s);
	if (s == NULL)
		fail("out of memory", 0);
	s->seq = seq;
	/* Relaxed: published by set_source's release exchange. */
	atomic_store_explicit(&s->magic, MAGIC, memory_order_relaxed);
	/* Relaxed: a counter. */
	atomic_fetch_add_explicit(&srcs_created, 1, memory_order_relaxed);
	return s;
}

static void src_destroy(void *p)
{
	struct src *s = p;
	/* Relaxed: exactly-once check (sources have one owner at a time). */
	uint64_t m = atomic_exchange_explicit(&s->magic, POISON, memory_order_relaxed);
	if (m != MAGIC)
		fail("source destroyed twice", m);
	/* Relaxed: a counter. */
	atomic_fetch_add_explicit(&srcs_destroyed, 1, memory_order_relaxed);
	free(s);
}

static void src_destroy_typed(struct src *s)
{
	src_destroy(s);
}

/* Transform: the value for source n is an object with seq n; every 7th
 * source is rejected (NULL: keep the old value). */
static struct obj *transform_src(const struct src *s)
{
	/* Relaxed: the source came from an acquire exchange; poison means it
	 * was destroyed while still in use. */
	uint64_t m = atomic_load_explicit(&((struct src *)s)->magic, memory_order_relaxed);
	if (m != MAGIC)
		fail("transform saw a destroyed source", m);
	if (s->seq % 7 == 3)
		return NULL;
	return obj_new(s->seq);
}

static void *transform_rt(const void *source, void *ctx)
{
	(void)ctx;
	return transform_src(source);
}

/* ------------------------------------------------- shared structures */

TERN_CELL_DEFINE(objcell, struct obj, obj_destroy_typed);
TERN_LAZY_DEFINE(objlazy, struct src, struct obj, transform_src, src_destroy_typed, obj_destroy_typed);

static struct obj *_Atomic slots[NSLOTS];
static tern_cell_t cell;          /* run-time cell of struct obj */
static objcell_t tcell;           /* typed cell */
static tern_cell_t ccell;         /* copy cell of struct pair */
static tern_lazy_t lazy;          /* run-time LazyTransform */
static objlazy_t tlazy;           /* typed LazyTransform */
static const struct tern_lazy_ops lazy_ops = { transform_rt, src_destroy, obj_destroy, NULL };

static atomic_bool stop;
static atomic_bool stall_now;  /* --inject-stall: set by main after a third of the run */
static bool inject_leak;       /* --inject-leak: written before the threads start */

/* Per-thread operation counters, read (relaxed) by the sampler. */
struct counter {
	_Alignas(64) atomic_ulong ops;
};
static struct counter writer_ops;
static struct counter reader_ops[MAX_READERS + 1];
static atomic_ulong churned; /* reader threads replaced */

/* ------------------------------------------------------------ writer */

static void *writer(void *arg)
{
	(void)arg;
	uint64_t seq = 1;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) { /* Relaxed: a stop flag. */
		for (int i = 0; i < 64; i++, seq++) {
			/* Raw epoch GC: unlink, then defer. */
			/* Acq_rel: release publishes the new object (pairs with the
			 * readers' acquire load); acquire orders the old one's
			 * contents before its destructor. */
			struct obj *old = atomic_exchange_explicit(&slots[seq % NSLOTS], obj_new(seq),
								   memory_order_acq_rel);
			/* --inject-leak drops one in 8: never destroyed, so RSS
			 * grows and the final accounting fails. */
			if (!inject_leak || seq % 8 != 0)
				tern_epoch_defer(old, obj_destroy);

			tern_cell_store(&cell, obj_new(seq));
			switch (seq % 4) {
			case 0:
				objcell_store(&tcell, obj_new(seq));
				break;
			case 1:
				objcell_retire(objcell_swap(&tcell, obj_new(seq)));
				break;
			case 2: {
				tern_epoch_pin();
				struct obj *cur = objcell_load(&tcell);
				struct obj *nv = obj_new(seq);
				/* Single writer: the CAS succeeds. */
				if (!objcell_compare_exchange(&tcell, &cur, nv))
					fail("single-writer compare_exchange failed", seq);
				tern_epoch_unpin();
				break;
			}
			default: {
				tern_epoch_pin();
				void *cur = tern_cell_load(&cell);
				void *nv = obj_new(seq);
				if (!tern_cell_compare_exchange(&cell, &cur, nv))
					fail("single-writer tern_cell_compare_exchange failed", seq);
				tern_epoch_unpin();
				void *mine = tern_cell_swap(&cell, obj_new(seq));
				tern_cell_retire(&cell, mine);
				break;
			}
			}
			struct pair p = { seq, ~seq };
			int rc = tern_cell_store_copy(&ccell, &p, sizeof p);
			if (rc != 0)
				fail("tern_cell_store_copy", (uint64_t)rc);
			tern_lazy_set_source(&lazy, src_new(seq));
			objlazy_set_source(&tlazy, src_new(seq));
		}
		/* Relaxed: a progress counter. */
		atomic_fetch_add_explicit(&writer_ops.ops, 64, memory_order_relaxed);
	}
	return NULL;
}

/* ------------------------------------------------------------ bursty writers */

static struct counter bursty_ops[MAX_READERS];

static void *bursty_writer(void *arg)
{
	unsigned idx = (unsigned)(uintptr_t)arg;
	uint64_t x = 0x9e3779b97f4a7c15ULL * (idx + 1); /* xorshift state */
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) { /* Relaxed: a stop flag. */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		unsigned burst = 1 + (unsigned)(x % 300);
		for (unsigned i = 0; i < burst; i++)
			tern_epoch_defer(obj_new(i), obj_destroy);
		tern_epoch_pin();
		for (unsigned i = 0; i < NSLOTS; i++)
			/* Acquire: pairs with the writer's release exchange. */
			obj_check(atomic_load_explicit(&slots[i], memory_order_acquire));
		tern_epoch_unpin();
		/* Relaxed: a progress counter. */
		atomic_fetch_add_explicit(&bursty_ops[idx].ops, burst, memory_order_relaxed);
		struct timespec ts = { 0, (long)(1 + (x >> 20) % 20) * 1000000L };
		nanosleep(&ts, NULL); /* idle, holding its open list */
	}
	return NULL;
}

/* ------------------------------------------------------------ readers */

struct reader_arg {
	unsigned idx;
	bool churn;     /* exit after a few thousand rounds (replaced by main) */
	atomic_bool done;
};

struct visit_acc {
	uint64_t seq;
};

static void visit_value(const void *v, void *arg)
{
	((struct visit_acc *)arg)->seq = obj_check(v);
}

static void visit_typed(const struct obj *v, void *arg)
{
	((struct visit_acc *)arg)->seq = obj_check(v);
}

static void check_monotone(uint64_t *last, uint64_t now, const char *what)
{
	if (now < *last)
		fail(what, now);
	*last = now;
}

static void *reader(void *argp)
{
	struct reader_arg *arg = argp;
	unsigned seed = arg->idx * 2654435761u + 1;
	uint64_t last_cell = 0, last_tcell = 0, last_lazy = 0, last_tlazy = 0, last_copy = 0;
	unsigned long n = 0, limit = arg->churn ? 2000 : ~0UL;
	/* Relaxed: a stop flag; the data are published by their own releases. */
	while (!atomic_load_explicit(&stop, memory_order_relaxed) && n < limit) {
		/* Relaxed: a test flag; --inject-stall: reader 0 stays pinned. */
		if (arg->idx == 0 && atomic_load_explicit(&stall_now, memory_order_relaxed)) {
			tern_epoch_pin();
			/* Relaxed: a stop flag. */
			while (!atomic_load_explicit(&stop, memory_order_relaxed))
				sched_yield();
			tern_epoch_unpin();
			break;
		}
		tern_epoch_pin();
		for (int i = 0; i < 4; i++) {
			/* Acquire: pairs with the writer's release exchange. */
			const struct obj *o = atomic_load_explicit(&slots[rand_r(&seed) % NSLOTS],
								   memory_order_acquire);
			if (o != NULL)
				obj_check(o);
		}
		const struct obj *c = tern_cell_load(&cell);
		if (c != NULL)
			check_monotone(&last_cell, obj_check(c), "run-time cell went backwards");
		const struct obj *t = objcell_load(&tcell);
		if (t != NULL)
			check_monotone(&last_tcell, obj_check(t), "typed cell went backwards");
		const struct obj *v = tern_lazy_get_transformed(&lazy);
		if (v != NULL)
			check_monotone(&last_lazy, obj_check(v), "LazyTransform went backwards");
		const struct obj *tv = objlazy_get_transformed(&tlazy);
		if (tv != NULL)
			check_monotone(&last_tlazy, obj_check(tv), "typed LazyTransform went backwards");
		tern_epoch_unpin();

		/* The self-pinning readers. */
		struct pair p;
		if (tern_cell_load_copy(&ccell, &p, sizeof p)) {
			if (p.b != ~p.a)
				fail("copy cell returned a torn copy", p.a);
			check_monotone(&last_copy, p.a, "copy cell went backwards");
		}
		struct visit_acc acc = { 0 };
		switch (n % 5) {
		case 0: {
			struct obj copy = { 0 };
			if (objcell_load_copy(&tcell, &copy) && copy.check != copy.seq * K)
				fail("typed cell load_copy torn", copy.seq);
			break;
		}
		case 1:
			if (tern_lazy_visit(&lazy, visit_value, &acc))
				check_monotone(&last_lazy, acc.seq, "LazyTransform visit went backwards");
			break;
		case 2:
			if (objlazy_visit(&tlazy, visit_typed, &acc))
				check_monotone(&last_tlazy, acc.seq, "typed visit went backwards");
			break;
		case 3: {
			struct obj copy = { 0 };
			if (tern_lazy_get_copy(&lazy, &copy, sizeof copy) && copy.check != copy.seq * K)
				fail("LazyTransform get_copy torn", copy.seq);
			break;
		}
		default: {
			struct obj copy = { 0 };
			if (objlazy_get_copy(&tlazy, &copy) && copy.check != copy.seq * K)
				fail("typed LazyTransform get_copy torn", copy.seq);
			break;
		}
		}
		n++;
		if ((n & 63) == 0)
			/* Relaxed: a progress counter. */
			atomic_fetch_add_explicit(&reader_ops[arg->idx].ops, 64, memory_order_relaxed);
	}
	/* Relaxed: a progress counter. */
	atomic_fetch_add_explicit(&reader_ops[arg->idx].ops, n & 63, memory_order_relaxed);
	/* Release: pairs with the acquire load in main(), which then joins. */
	atomic_store_explicit(&arg->done, true, memory_order_release);
	return NULL;
}

/* ------------------------------------------------------------ sampling */

struct sample {
	double t;
	uint64_t pending, destroyed;
	long rss_kb, hwm_kb;
};

static long status_kb(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	if (f == NULL)
		return -1;
	char line[256];
	long v = -1;
	size_t n = strlen(key);
	while (fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, key, n) == 0 && line[n] == ':') {
			v = strtol(line + n + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* => the median of v[0..n) (n > 0); sorts v. */
static uint64_t median(uint64_t *v, unsigned n)
{
	qsort(v, n, sizeof *v, cmp_u64);
	return v[n / 2];
}

static uint64_t max_of(const uint64_t *v, unsigned n)
{
	uint64_t m = 0;
	for (unsigned i = 0; i < n; i++)
		if (v[i] > m)
			m = v[i];
	return m;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static unsigned long total_ops(unsigned nreaders, unsigned long *wr)
{
	/* Relaxed: progress counters, approximate while running. */
	unsigned long w = atomic_load_explicit(&writer_ops.ops, memory_order_relaxed), r = 0;
	for (unsigned i = 0; i <= nreaders; i++)
		/* Relaxed: see above. */
		r += atomic_load_explicit(&reader_ops[i].ops, memory_order_relaxed);
	if (wr)
		*wr = w;
	return w + r;
}

static void start_thread(pthread_t *t, void *(*fn)(void *), void *arg)
{
	int rc = pthread_create(t, NULL, fn, arg);
	if (rc != 0) {
		fprintf(stderr, "soak: pthread_create: %s\n", strerror(rc));
		exit(2);
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: soak [--seconds N] [--readers R] [--idle-writers W] [--no-rss-check]\n"
			"            [--quiet] [--inject-stall | --inject-leak]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	double seconds = 60;
	unsigned nreaders = 4, nbursty = 2;
	bool rss_check = true, quiet = false, inject_stall = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
			seconds = atof(argv[++i]);
		else if (strcmp(argv[i], "--readers") == 0 && i + 1 < argc)
			nreaders = (unsigned)atoi(argv[++i]);
		else if (strcmp(argv[i], "--idle-writers") == 0 && i + 1 < argc)
			nbursty = (unsigned)atoi(argv[++i]);
		else if (strcmp(argv[i], "--no-rss-check") == 0)
			rss_check = false;
		else if (strcmp(argv[i], "--quiet") == 0)
			quiet = true;
		else if (strcmp(argv[i], "--inject-stall") == 0)
			inject_stall = true;
		else if (strcmp(argv[i], "--inject-leak") == 0)
			inject_leak = true;
		else
			usage();
	}
	if (seconds <= 0 || nreaders == 0 || nreaders > MAX_READERS || nbursty > MAX_READERS)
		usage();

	tern_cell_init(&cell, obj_new(0), obj_destroy);
	objcell_init(&tcell, obj_new(0));
	struct pair p0 = { 0, ~0ULL };
	if (tern_cell_init_copy(&ccell, &p0, sizeof p0) != 0)
		fail("tern_cell_init_copy", 0);
	if (tern_lazy_init(&lazy, &lazy_ops) != 0)
		fail("tern_lazy_init", 0);
	objlazy_init(&tlazy);
	for (unsigned i = 0; i < NSLOTS; i++)
		/* Relaxed: before the threads start (pthread_create orders it). */
		atomic_store_explicit(&slots[i], obj_new(0), memory_order_relaxed);

	printf("soak: %.0f s, 1 writer, %u readers + 1 churning reader, %u bursty writers, %s mode%s\n", seconds,
	       nreaders, nbursty, tern_epoch_uses_membarrier() ? "membarrier" : "fence",
	       inject_stall ? ", INJECTED STALL" : inject_leak ? ", INJECTED LEAK" : "");
	fflush(stdout);

	pthread_t wt, rt[MAX_READERS + 1], bt[MAX_READERS];
	struct reader_arg args[MAX_READERS + 1];
	memset(args, 0, sizeof args);
	start_thread(&wt, writer, NULL);
	for (unsigned i = 0; i < nbursty; i++)
		start_thread(&bt[i], bursty_writer, (void *)(uintptr_t)i);
	for (unsigned i = 0; i <= nreaders; i++) {
		args[i].idx = i;
		args[i].churn = i == nreaders;
		start_thread(&rt[i], reader, &args[i]);
	}

	static struct sample samples[MAX_SAMPLES];
	unsigned ns = 0;
	double interval = seconds / 200;
	if (interval < 0.05)
		interval = 0.05;
	if (interval > 1)
		interval = 1;
	double t0 = now_s(), next_report = t0 + seconds / 10;
	uint64_t peak_pending = 0;
	for (;;) {
		struct timespec ts = { (time_t)interval, (long)((interval - (double)(time_t)interval) * 1e9) };
		nanosleep(&ts, NULL);
		double t = now_s() - t0;
		if (inject_stall && t >= seconds / 3)
			/* Relaxed: a test flag. */
			atomic_store_explicit(&stall_now, true, memory_order_relaxed);
		/* Replace the churning reader when it has exited. */
		/* Acquire: pairs with the release store at the end of reader(). */
		if (atomic_load_explicit(&args[nreaders].done, memory_order_acquire)) {
			pthread_join(rt[nreaders], NULL);
			/* Relaxed: single-threaded here (the old thread is joined). */
			atomic_store_explicit(&args[nreaders].done, false, memory_order_relaxed);
			/* Relaxed: a counter read by this thread only. */
			atomic_fetch_add_explicit(&churned, 1, memory_order_relaxed);
			start_thread(&rt[nreaders], reader, &args[nreaders]);
		}
		struct tern_epoch_stats st;
		tern_epoch_stats(&st);
		if (ns < MAX_SAMPLES) {
			samples[ns].t = t;
			samples[ns].pending = st.pending;
			samples[ns].destroyed = st.destroyed;
			samples[ns].rss_kb = status_kb("VmRSS");
			samples[ns].hwm_kb = status_kb("VmHWM");
			ns++;
		}
		if (st.pending > peak_pending)
			peak_pending = st.pending;
		if (!quiet && now_s() >= next_report) {
			printf("soak: %5.1f s  ops %12lu  destroyed %12llu  pending %7llu  RSS %6ld KiB  epoch %llu\n",
			       t, total_ops(nreaders, NULL), (unsigned long long)st.destroyed,
			       (unsigned long long)st.pending, ns ? samples[ns - 1].rss_kb : -1,
			       (unsigned long long)st.epoch);
			fflush(stdout);
			next_report += seconds / 10;
		}
		if (t >= seconds)
			break;
	}
	/* Relaxed: the threads only need to see it eventually; join orders the rest. */
	atomic_store_explicit(&stop, true, memory_order_relaxed);
	pthread_join(wt, NULL);
	for (unsigned i = 0; i <= nreaders; i++)
		pthread_join(rt[i], NULL);
	unsigned long bursty_total = 0;
	for (unsigned i = 0; i < nbursty; i++) {
		pthread_join(bt[i], NULL);
		/* Relaxed: the thread is joined. */
		bursty_total += atomic_load_explicit(&bursty_ops[i].ops, memory_order_relaxed);
	}
	double elapsed = now_s() - t0;

	unsigned long wops;
	unsigned long ops = total_ops(nreaders, &wops);
	struct tern_epoch_stats before;
	tern_epoch_stats(&before);

	/* Tear down: every object must now be destroyed exactly once. */
	for (unsigned i = 0; i < NSLOTS; i++)
		/* Acquire: pairs with the writer's release exchange (the writer is
		 * joined anyway). */
		tern_epoch_defer(atomic_exchange_explicit(&slots[i], NULL, memory_order_acquire), obj_destroy);
	tern_cell_destroy(&cell);
	objcell_destroy(&tcell);
	tern_cell_destroy(&ccell);
	tern_lazy_destroy(&lazy);
	objlazy_destroy(&tlazy);
	tern_epoch_barrier();
	struct tern_epoch_stats after;
	tern_epoch_stats(&after);

	int failed = 0;
	/* Relaxed: every thread that touched the counters is joined. */
	unsigned long oc = atomic_load_explicit(&objs_created, memory_order_relaxed);
	unsigned long od = atomic_load_explicit(&objs_destroyed, memory_order_relaxed);
	unsigned long sc = atomic_load_explicit(&srcs_created, memory_order_relaxed);
	unsigned long sd = atomic_load_explicit(&srcs_destroyed, memory_order_relaxed);
	printf("soak: %.1f s: %lu operations (writer %lu, readers %lu; %.2f M ops/s), %lu reader threads churned\n",
	       elapsed, ops, wops, ops - wops, (double)ops / elapsed / 1e6,
	       atomic_load_explicit(&churned, memory_order_relaxed)); /* Relaxed: main's own counter. */
	printf("soak: %u bursty writers deferred %lu objects between sleeps\n", nbursty, bursty_total);
	printf("soak: objects created %lu, destroyed %lu; sources created %lu, destroyed %lu; "
	       "epoch destroyed %llu, pending after barrier %llu\n",
	       oc, od, sc, sd, (unsigned long long)after.destroyed, (unsigned long long)after.pending);
	if (oc != od || sc != sd || after.pending != 0) {
		printf("soak: FAIL: objects lost or leaked\n");
		failed = 1;
	}

	/* Growth: the last third of the samples against the first third.  The
	 * medians decide (one preempted reader makes a single sample spike on
	 * a busy machine; growth without bound moves the median: linear growth
	 * from zero puts the last third's median at ~5x the first's). */
	static uint64_t pend[2][MAX_SAMPLES];
	static uint64_t rss[2][MAX_SAMPLES];
	unsigned cnt[2] = { 0, 0 };
	long hwm = 0;
	for (unsigned i = 0; i < ns; i++) {
		if (samples[i].hwm_kb > hwm)
			hwm = samples[i].hwm_kb;
		int third = samples[i].t < seconds / 3 ? 0 : samples[i].t >= 2 * seconds / 3 ? 1 : -1;
		if (third < 0)
			continue;
		pend[third][cnt[third]] = samples[i].pending;
		rss[third][cnt[third]] = samples[i].rss_kb > 0 ? (uint64_t)samples[i].rss_kb : 0;
		cnt[third]++;
	}
	if (cnt[0] == 0 || cnt[1] == 0) {
		printf("soak: FAIL: too few samples to compare (%u, %u)\n", cnt[0], cnt[1]);
		printf("soak: FAIL\n");
		return 1;
	}
	uint64_t pend_first = median(pend[0], cnt[0]), pend_last = median(pend[1], cnt[1]);
	uint64_t pend_first_max = max_of(pend[0], cnt[0]), pend_last_max = max_of(pend[1], cnt[1]);
	uint64_t rss_first = median(rss[0], cnt[0]), rss_last = median(rss[1], cnt[1]);
	printf(
	    "soak: peak pending %llu; median first third %llu (peak %llu), last third %llu (peak %llu); %u samples\n",
	    (unsigned long long)peak_pending, (unsigned long long)pend_first, (unsigned long long)pend_first_max,
	    (unsigned long long)pend_last, (unsigned long long)pend_last_max, ns);
	printf("soak: peak RSS (VmHWM) %ld KiB; median VmRSS first third %llu KiB, last third %llu KiB\n",
	       hwm, (unsigned long long)rss_first, (unsigned long long)rss_last);
	printf("soak: epoch %llu, %llu advances, %llu refused; before teardown %llu pending (%llu orphaned)\n",
	       (unsigned long long)after.epoch, (unsigned long long)after.advances,
	       (unsigned long long)after.failed_advances, (unsigned long long)before.pending,
	       (unsigned long long)before.orphaned);
	if (pend_last > 2 * pend_first + TERN_EPOCH_PENDING_MAX) {
		printf("soak: FAIL: pending objects grow (last third %llu > 2 x %llu + %d)\n",
		       (unsigned long long)pend_last, (unsigned long long)pend_first, TERN_EPOCH_PENDING_MAX);
		failed = 1;
	}
	uint64_t rss_slack = rss_first / 4 > 8192 ? rss_first / 4 : 8192;
	if (rss_check && rss_last > rss_first + rss_slack) {
		printf("soak: FAIL: RSS grows (last third %llu KiB > %llu + %llu KiB)\n",
		       (unsigned long long)rss_last, (unsigned long long)rss_first,
		       (unsigned long long)rss_slack);
		failed = 1;
	}
	printf("soak: %s\n", failed ? "FAIL" : "PASS");
	return failed;
}
