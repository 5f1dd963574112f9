/* SPDX-License-Identifier: MIT */
/* LazyTransform under concurrency: no waiting on a running transform,
 * exactly-once destruction over 10^6 heap-string sources with concurrent
 * readers, values always transforms of published sources in per-reader
 * order, at most one transform at a time — for the run-time and the typed
 * form.  Worker threads never call cr_assert (Criterion reports from the
 * test's main thread); they count failures, which the main thread asserts. */
#include <criterion/criterion.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "tern/epoch.h"
#include "tern/lazy_transform.h"
#include "../common/tern_test.h"

/* ---- 1. a reader that loses the race does not wait; nor does set_source ---- */

struct gate {
	atomic_int entered;  /* the transform has started */
	atomic_int release;  /* the transform may return */
};

static struct gate gate;

static void *gated_xform(const void *source, void *ctx)
{
	(void)ctx;
	atomic_store(&gate.entered, 1);
	while (!atomic_load(&gate.release))
		sched_yield();
	long *v = malloc(sizeof *v);
	if (v)
		*v = *(const long *)source * 10;
	return v;
}

static const struct tern_lazy_ops gated_ops = { gated_xform, free, free, NULL };

static long *long_new(long x)
{
	long *p = malloc(sizeof *p);
	cr_assert_not_null(p);
	*p = x;
	return p;
}

static void *get_once(void *arg)
{
	tern_epoch_pin();
	const long *v = tern_lazy_get_transformed(arg);
	long r = v ? *v : -1;
	tern_epoch_unpin();
	return (void *)(intptr_t)r;
}

Test(lazy_stress, loser_returns_cached_value_and_set_source_never_waits)
{
	static tern_lazy_t lt;
	cr_assert_eq(tern_lazy_init(&lt, &gated_ops), 0);
	atomic_store(&gate.release, 1);
	tern_lazy_set_source(&lt, long_new(1));
	cr_assert_eq((intptr_t)get_once(&lt), 10);
	atomic_store(&gate.release, 0);
	atomic_store(&gate.entered, 0);

	/* Thread A starts transforming source 2 and blocks inside the transform. */
	tern_lazy_set_source(&lt, long_new(2));
	pthread_t a;
	cr_assert_eq(pthread_create(&a, NULL, get_once, &lt), 0);
	while (!atomic_load(&gate.entered))
		sched_yield();

	/* A new source arrives while A transforms: set_source returns at once
	 * (this thread would hang here otherwise), and a reader that finds the
	 * source but loses the lock returns the cached value at once. */
	tern_lazy_set_source(&lt, long_new(3));
	pthread_t b;
	void *rb;
	cr_assert_eq(pthread_create(&b, NULL, get_once, &lt), 0);
	cr_assert_eq(pthread_join(b, &rb), 0); /* would hang if the loser waited */
	cr_assert_eq((intptr_t)rb, 10, "the loser returns the cached value");

	atomic_store(&gate.release, 1);
	void *ra;
	cr_assert_eq(pthread_join(a, &ra), 0);
	cr_assert_eq((intptr_t)ra, 20, "the winner returns its own transform");
	/* Source 3 is still pending: the next get transforms it. */
	cr_assert_eq((intptr_t)get_once(&lt), 30);
	tern_lazy_destroy(&lt);
	tern_epoch_barrier();
}

/* ---- shared machinery for the stress tests ---- */

#define SRC_LIVE 0x50ace11fe50ace11ULL
#define VAL_LIVE 0x7a1e11fe7a1e11feULL
#define POISON 0xdeaddeaddeaddeadULL
#define MAX_WRITERS 2

struct src {
	uint64_t magic;
	unsigned writer;
	uint64_t seq;
};

struct val {
	uint64_t magic;
	unsigned writer;
	uint64_t seq;
	uint64_t check; /* vcheck(writer, seq) */
};

static uint64_t vcheck(unsigned w, uint64_t seq)
{
	return (seq * 0x9e3779b97f4a7c15ULL) ^ ((uint64_t)w << 56) ^ 0x1234;
}

struct stress {
	atomic_long src_made, src_freed, val_made, val_freed;
	atomic_long transforms, active, max_active;
	atomic_long bad_source;    /* transform saw a corrupt or freed source */
	atomic_long bad_value;     /* reader saw a corrupt or freed value */
	atomic_long not_published; /* value of a source not yet published */
	atomic_long backwards;     /* per-reader sequence went backwards */
	atomic_long reads, loops;
	atomic_long progress; /* gets done by all readers so far */
	atomic_ulong started[MAX_WRITERS]; /* highest seq each writer has begun to set */
	atomic_bool stop;
	atomic_uint ready; /* threads that have started; all start together */
	unsigned threads;
	unsigned writers;
	unsigned long per_writer;
	int spin; /* busy work inside the transform, to widen its window */
};

static struct stress st;

static struct src *src_new(unsigned w, uint64_t seq)
{
	struct src *s = malloc(sizeof *s);
	if (!s)
		abort();
	s->magic = SRC_LIVE;
	s->writer = w;
	s->seq = seq;
	atomic_fetch_add_explicit(&st.src_made, 1, memory_order_relaxed);
	return s;
}

static void src_destroy(struct src *s)
{
	if (s->magic != SRC_LIVE)
		abort(); /* double destroy */
	s->magic = POISON;
	atomic_fetch_add_explicit(&st.src_freed, 1, memory_order_relaxed);
	free(s);
}

static void val_destroy(struct val *v)
{
	if (v->magic != VAL_LIVE)
		abort(); /* double destroy */
	v->magic = POISON;
	v->check = 0;
	atomic_fetch_add_explicit(&st.val_freed, 1, memory_order_relaxed);
	free(v);
}

static struct val *make_val(const struct src *s)
{
	long now = atomic_fetch_add(&st.active, 1) + 1;
	long max = atomic_load(&st.max_active);
	while (now > max && !atomic_compare_exchange_weak(&st.max_active, &max, now))
		;
	atomic_fetch_add_explicit(&st.transforms, 1, memory_order_relaxed);
	struct val *v = NULL;
	if (s->magic != SRC_LIVE || s->writer >= MAX_WRITERS) {
		atomic_fetch_add(&st.bad_source, 1);
	} else {
		for (volatile int i = 0; i < st.spin; i++)
			;
		v = malloc(sizeof *v);
		if (!v)
			abort();
		v->magic = VAL_LIVE;
		v->writer = s->writer;
		v->seq = s->seq;
		v->check = vcheck(s->writer, s->seq);
		atomic_fetch_add_explicit(&st.val_made, 1, memory_order_relaxed);
	}
	atomic_fetch_sub(&st.active, 1);
	return v;
}

/* Run-time form. */
static void *rt_xform(const void *source, void *ctx)
{
	(void)ctx;
	return make_val(source);
}
static void rt_src_free(void *p)
{
	src_destroy(p);
}
static void rt_val_free(void *p)
{
	val_destroy(p);
}
static const struct tern_lazy_ops rt_ops = { rt_xform, rt_src_free, rt_val_free, NULL };

/* Typed form. */
TERN_LAZY_DEFINE(seq_lazy, struct src, struct val, make_val, src_destroy, val_destroy);

struct target {
	bool typed;
	tern_lazy_t rt;
	seq_lazy_t ty;
};

static struct target tgt;

static void target_init(bool typed)
{
	tgt.typed = typed;
	if (typed)
		seq_lazy_init(&tgt.ty);
	else
		cr_assert_eq(tern_lazy_init(&tgt.rt, &rt_ops), 0);
}

static void target_set(struct src *s)
{
	if (tgt.typed)
		seq_lazy_set_source(&tgt.ty, s);
	else
		tern_lazy_set_source(&tgt.rt, s);
}

/* Caller pinned. */
static const struct val *target_get(void)
{
	return tgt.typed ? seq_lazy_get_transformed(&tgt.ty) : tern_lazy_get_transformed(&tgt.rt);
}

static void target_destroy(void)
{
	if (tgt.typed)
		seq_lazy_destroy(&tgt.ty);
	else
		tern_lazy_destroy(&tgt.rt);
}

/* Waits until every worker thread has started, so that readers and writers
 * overlap instead of running one after the other. */
static void start_together(void)
{
	atomic_fetch_add(&st.ready, 1);
	while (atomic_load(&st.ready) < st.threads)
		sched_yield();
}

/*
 * Pacing, not timing: every few sources the writer waits until the readers
 * have done a few more gets.  On a loaded 2-core machine the scheduler may
 * otherwise run the writer's whole loop while the readers wait for a core,
 * and nothing would run concurrently.
 */
static void pace_with_readers(void)
{
	/* Relaxed: a progress counter; no data is published through it. */
	long p0 = atomic_load_explicit(&st.progress, memory_order_relaxed);
	while (atomic_load_explicit(&st.progress, memory_order_relaxed) < p0 + 4)
		sched_yield();
}

static void *writer(void *arg)
{
	unsigned w = (unsigned)(uintptr_t)arg;
	uint64_t x = 88172645463325252ULL + w; /* xorshift: pause lengths */
	start_together();
	for (uint64_t seq = 1; seq <= st.per_writer; seq++) {
		/* Like the seed's benchmark producer: publish, then stay busy for
		 * a while, so that readers see both cached and fresh sources. */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		for (volatile unsigned i = 0; i < (unsigned)(x % 512); i++)
			;
		/* Release not needed: set_source's exchange is the release that
		 * carries this store to the transformer and on to readers.
		 * Relaxed is enough for the counter's own coherence. */
		atomic_store_explicit(&st.started[w], seq, memory_order_relaxed);
		target_set(src_new(w, seq));
		if (seq % 64 == 0)
			pace_with_readers();
	}
	return NULL;
}

static void *reader(void *arg)
{
	(void)arg;
	uint64_t last[MAX_WRITERS] = { 0 };
	long reads = 0, loops = 0;
	start_together();
	/* Relaxed stop flag: the joins order the results. */
	while (!atomic_load_explicit(&st.stop, memory_order_relaxed) || reads < 1000) {
		loops++;
		/* Relaxed: see pace_with_readers(). */
		atomic_fetch_add_explicit(&st.progress, 1, memory_order_relaxed);
		tern_epoch_pin();
		const struct val *v = target_get();
		if (v != NULL) {
			reads++;
			if (v->magic != VAL_LIVE || v->writer >= MAX_WRITERS ||
			    v->check != vcheck(v->writer, v->seq)) {
				atomic_fetch_add(&st.bad_value, 1);
			} else {
				/* Happens-after the writer's store of started[w]
				 * (its set_source release → transform → value
				 * release → our acquire), so it must be visible. */
				if (v->seq > atomic_load_explicit(&st.started[v->writer],
								  memory_order_relaxed))
					atomic_fetch_add(&st.not_published, 1);
				if (v->seq < last[v->writer])
					atomic_fetch_add(&st.backwards, 1);
				last[v->writer] = v->seq;
			}
		}
		tern_epoch_unpin();
		if (loops % 256 == 0)
			sched_yield(); /* let a writer sharing this core run */
	}
	atomic_fetch_add(&st.reads, reads);
	atomic_fetch_add(&st.loops, loops);
	return NULL;
}

enum { READERS = 2 };

static void run_stress(bool typed, unsigned writers, unsigned long per_writer, int spin)
{
	st.writers = writers;
	st.per_writer = per_writer;
	st.spin = spin;
	st.threads = READERS + writers;
	target_init(typed);
	pthread_t r[READERS], w[MAX_WRITERS];
	for (unsigned i = 0; i < READERS; i++)
		cr_assert_eq(pthread_create(&r[i], NULL, reader, NULL), 0);
	for (unsigned i = 0; i < writers; i++)
		cr_assert_eq(pthread_create(&w[i], NULL, writer, (void *)(uintptr_t)i), 0);
	for (unsigned i = 0; i < writers; i++)
		pthread_join(w[i], NULL);
	atomic_store(&st.stop, true);
	for (unsigned i = 0; i < READERS; i++)
		pthread_join(r[i], NULL);

	cr_log_info("%s, %u writer(s) x %lu sources: %ld transforms, %ld gets (%ld non-NULL), %ld values made",
		    typed ? "typed" : "run-time", writers, per_writer, atomic_load(&st.transforms),
		    atomic_load(&st.loops), atomic_load(&st.reads), atomic_load(&st.val_made));
	cr_assert_eq(atomic_load(&st.bad_source), 0, "transform saw %ld corrupt sources",
		     atomic_load(&st.bad_source));
	cr_assert_eq(atomic_load(&st.bad_value), 0, "readers saw %ld corrupt or destroyed values",
		     atomic_load(&st.bad_value));
	cr_assert_eq(atomic_load(&st.not_published), 0, "%ld values of unpublished sources",
		     atomic_load(&st.not_published));
	cr_assert_eq(atomic_load(&st.backwards), 0, "a reader's sequence went backwards %ld times",
		     atomic_load(&st.backwards));
	cr_assert_eq(atomic_load(&st.max_active), 1, "%ld transforms ran at once",
		     atomic_load(&st.max_active));
	cr_assert_gt(atomic_load(&st.transforms), 0);
	cr_assert_gt(atomic_load(&st.reads), 0);
	cr_assert_eq(atomic_load(&st.src_made), (long)(writers * per_writer));

	/* Writers stopped: the final get returns the transform of the last
	 * source set (with two writers, the last of one of them — whichever
	 * exchange came last). */
	tern_epoch_pin();
	const struct val *fin = target_get();
	cr_assert_not_null(fin);
	cr_assert_eq(fin->magic, VAL_LIVE);
	cr_assert_eq(fin->seq, per_writer, "final value is of seq %llu, not the last (%lu)",
		     (unsigned long long)fin->seq, per_writer);
	cr_assert_lt(fin->writer, writers);
	cr_assert_eq(fin->check, vcheck(fin->writer, fin->seq));
	tern_epoch_unpin();

	/* Every source was consumed or replaced; destroy drops the value. */
	target_destroy();
	tern_epoch_barrier();
	cr_assert_eq(atomic_load(&st.src_freed), atomic_load(&st.src_made), "sources: made %ld, destroyed %ld",
		     atomic_load(&st.src_made), atomic_load(&st.src_freed));
	cr_assert_eq(atomic_load(&st.val_freed), atomic_load(&st.val_made), "values: made %ld, destroyed %ld",
		     atomic_load(&st.val_made), atomic_load(&st.val_freed));
}

Test(lazy_stress, one_writer_runtime)
{
	run_stress(false, 1, tern_test_iters(1000000), 50);
}

Test(lazy_stress, two_writers_runtime)
{
	run_stress(false, 2, tern_test_iters(500000), 50);
}

Test(lazy_stress, one_writer_typed)
{
	run_stress(true, 1, tern_test_iters(1000000), 50);
}

Test(lazy_stress, two_writers_typed)
{
	run_stress(true, 2, tern_test_iters(500000), 50);
}

/* Slow transforms: many readers find a source while another transforms. */
Test(lazy_stress, slow_transform_at_most_one_at_a_time)
{
	run_stress(false, 1, tern_test_iters(50000), 20000);
}

/* ---- 10^6 heap-string sources, every destructor exactly once ---- */

static atomic_long str_src_live, str_val_live, str_bad, str_transforms;

static char *str_src_new(unsigned long n)
{
	char *s = malloc(48);
	if (!s)
		abort();
	snprintf(s, 48, "source #%lu", n);
	atomic_fetch_add_explicit(&str_src_live, 1, memory_order_relaxed);
	return s;
}

static void str_src_free(void *p)
{
	char *s = p;
	if (strncmp(s, "source #", 8) != 0)
		abort(); /* double destroy or corruption */
	memset(s, 'X', 8);
	atomic_fetch_sub_explicit(&str_src_live, 1, memory_order_relaxed);
	free(s);
}

static void *str_xform(const void *source, void *ctx)
{
	(void)ctx;
	const char *s = source;
	if (strncmp(s, "source #", 8) != 0)
		atomic_fetch_add(&str_bad, 1);
	atomic_fetch_add_explicit(&str_transforms, 1, memory_order_relaxed);
	unsigned long n = strtoul(s + 8, NULL, 10);
	if (n % 5 == 4)
		return NULL; /* some sources are rejected: consumed, value kept */
	size_t len = 16 + n % 200; /* values of varying size */
	char *v = malloc(len + 1);
	if (!v)
		abort();
	int k = snprintf(v, len + 1, "value #%lu:", n);
	memset(v + k, 'v', len - (size_t)k);
	v[len] = '\0';
	atomic_fetch_add_explicit(&str_val_live, 1, memory_order_relaxed);
	return v;
}

static void str_val_free(void *p)
{
	char *v = p;
	if (strncmp(v, "value #", 7) != 0)
		abort();
	memset(v, 'X', 7);
	atomic_fetch_sub_explicit(&str_val_live, 1, memory_order_relaxed);
	free(v);
}

static const struct tern_lazy_ops str_ops = { str_xform, str_src_free, str_val_free, NULL };
static tern_lazy_t str_lt;
static atomic_bool str_stop;
static atomic_long str_progress; /* reader gets, for pacing (see pace_with_readers) */

static void *str_reader(void *arg)
{
	(void)arg;
	long bad = 0;
	unsigned long rounds = 0;
	/* Relaxed stop flag: the join orders the results. */
	while (!atomic_load_explicit(&str_stop, memory_order_relaxed) || rounds < 1000) {
		/* Relaxed: a progress counter only. */
		atomic_fetch_add_explicit(&str_progress, 1, memory_order_relaxed);
		tern_epoch_pin();
		const char *v = tern_lazy_get_transformed(&str_lt);
		if (v != NULL) {
			size_t len = strlen(v);
			unsigned long n = strtoul(v + 7, NULL, 10);
			if (strncmp(v, "value #", 7) != 0 || len != 16 + n % 200 || v[len - 1] != 'v')
				bad++;
		}
		tern_epoch_unpin();
		if (++rounds % 256 == 0)
			sched_yield();
	}
	atomic_fetch_add(&str_bad, bad);
	return NULL;
}

Test(lazy_stress, million_heap_strings_every_destructor_once)
{
	unsigned long n = tern_test_iters(1000000);
	cr_assert_eq(tern_lazy_init(&str_lt, &str_ops), 0);
	pthread_t r[READERS];
	for (unsigned i = 0; i < READERS; i++)
		cr_assert_eq(pthread_create(&r[i], NULL, str_reader, NULL), 0);
	for (unsigned long i = 0; i < n; i++) {
		tern_lazy_set_source(&str_lt, str_src_new(i));
		if (i % 64 == 63) {
			/* Relaxed: progress counter only; see pace_with_readers(). */
			long p0 = atomic_load_explicit(&str_progress, memory_order_relaxed);
			while (atomic_load_explicit(&str_progress, memory_order_relaxed) < p0 + 4)
				sched_yield();
		}
	}
	atomic_store(&str_stop, true);
	for (unsigned i = 0; i < READERS; i++)
		pthread_join(r[i], NULL);
	cr_assert_eq(atomic_load(&str_bad), 0, "%ld corrupt sources or values seen", atomic_load(&str_bad));
	cr_assert_gt(atomic_load(&str_transforms), 0);
	cr_log_info("%lu heap-string sources, %ld transforms", n, atomic_load(&str_transforms));
	tern_lazy_destroy(&str_lt);
	tern_epoch_barrier();
	cr_assert_eq(atomic_load(&str_src_live), 0, "%ld sources leaked", atomic_load(&str_src_live));
	cr_assert_eq(atomic_load(&str_val_live), 0, "%ld values leaked", atomic_load(&str_val_live));
}
