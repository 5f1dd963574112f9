/* SPDX-License-Identifier: MIT */
/*
 * tern_map under concurrency:
 *
 *   - readers_vs_writers_and_resizes: readers (one pinning, one an online
 *     QSBR reader) abort on a poisoned node (the
 *     destroy callback poisons it; its memory is kept in quarantine until
 *     the end so that a use after destroy reads the poison instead of
 *     reused memory) while writers insert, replace and remove and a
 *     resizer forces grows and shrinks; "permanent" keys, never removed,
 *     must be found by every lookup and visited exactly once by every
 *     iteration; every node is destroyed exactly once.
 *   - resize_under_load: one writer grows the map from 16 buckets to ~1M
 *     entries (TERN_TEST_SCALE) and back down to 16 while readers look up
 *     keys that are present for their whole lookup.
 *   - contended_keys: many threads insert/remove the same few keys; the
 *     final contents equal what the successful calls imply.
 *   - linearizable_histories: many small concurrent histories (3 threads,
 *     a few operations on 2 keys, a resizer flipping sizes), each checked
 *     against the sequential specification by a search over the
 *     linearization orders consistent with real time.
 *
 * Test-side atomics use the seq_cst defaults where the order does not
 * matter to tern; the few that carry an argument say so.
 */
#include <criterion/criterion.h>
#include <limits.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "tern/epoch.h"
#include "tern/map.h"
#include "../common/tern_test.h"

#define MAGIC 0x600dfeedu
#define POISON 0xdeadbeefu

struct item {
	struct tern_map_node node;
	uint64_t key;
	long value;
	_Atomic unsigned magic; /* read by readers while a destroy may poison */
	_Atomic int destroyed;
	struct item *quarantine_next;
};

#include "../common/tern_map_item.h"

static atomic_long made, destroyed_count;
static _Atomic(struct item *) quarantine;
static bool no_quarantine; /* resize_under_load: 1M nodes, freed at once */

static struct item *item_new(uint64_t key, long value)
{
	struct item *it = calloc(1, sizeof *it);
	if (it == NULL)
		abort();
	it->key = key;
	it->value = value;
	atomic_store_explicit(&it->magic, MAGIC, memory_order_relaxed);
	atomic_fetch_add_explicit(&made, 1, memory_order_relaxed);
	return it;
}

static void item_destroy(struct tern_map_node *n)
{
	struct item *it = item_of(n);
	if (atomic_fetch_add(&it->destroyed, 1) != 0) {
		fprintf(stderr, "node %lu destroyed twice\n", (unsigned long)it->key);
		abort();
	}
	atomic_store_explicit(&it->magic, POISON, memory_order_relaxed);
	atomic_fetch_add_explicit(&destroyed_count, 1, memory_order_relaxed);
	if (no_quarantine) {
		free(it);
		return;
	}
	struct item *head = atomic_load(&quarantine);
	do
		it->quarantine_next = head;
	while (!atomic_compare_exchange_weak(&quarantine, &head, it));
}

static void quarantine_free(void)
{
	struct item *it = atomic_exchange(&quarantine, NULL);
	while (it != NULL) {
		struct item *next = it->quarantine_next;
		free(it);
		it = next;
	}
}

static void check_live(const struct item *it, const char *what)
{
	if (atomic_load_explicit(&it->magic, memory_order_relaxed) != MAGIC) {
		fprintf(stderr, "%s: reader saw a destroyed node (key %lu)\n", what, (unsigned long)it->key);
		abort();
	}
}

static const struct tern_map_ops ops = { u64_hash, u64_equal, u64_key, item_destroy, NULL };

static uint64_t rng(uint64_t *s)
{
	*s += 0x9e3779b97f4a7c15ull;
	uint64_t z = *s;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void finish(tern_map_t *m)
{
	tern_map_destroy(m);
	tern_epoch_barrier();
	cr_assert_eq(atomic_load(&made), atomic_load(&destroyed_count),
		     "every node destroyed exactly once: %ld made, %ld destroyed", atomic_load(&made),
		     atomic_load(&destroyed_count));
	quarantine_free();
}

/* ------------------------------------------ readers vs writers, resizes */

#define PERM 256     /* permanent keys 0 .. PERM-1 */
#define VOLATILE 2048 /* keys PERM .. PERM+VOLATILE-1 come and go */

static tern_map_t smap;
static atomic_bool stop;
static atomic_long reader_lookups, reader_iterations;

static void *stress_reader(void *arg)
{
	uint64_t s = (uint64_t)(uintptr_t)arg * 7777 + 1;
	/* Reader 2 is a QSBR reader: online, a quiescent state per batch. */
	bool qsbr = (uintptr_t)arg == 2;
	static _Thread_local unsigned char seen[PERM];
	if (qsbr)
		tern_epoch_online();
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		if (!qsbr)
			tern_epoch_pin();
		for (int i = 0; i < 64; i++) {
			uint64_t k = rng(&s) % PERM;
			struct item *it = item_of(tern_map_lookup(&smap, &k));
			if (it == NULL) {
				fprintf(stderr, "permanent key %lu missed\n", (unsigned long)k);
				abort();
			}
			check_live(it, "lookup");
			if (it->key != k)
				abort();
			k = PERM + rng(&s) % VOLATILE;
			it = item_of(tern_map_lookup(&smap, &k));
			if (it != NULL) {
				check_live(it, "lookup");
				if (it->key != k)
					abort();
			}
		}
		atomic_fetch_add_explicit(&reader_lookups, 128, memory_order_relaxed);
		if (qsbr)
			tern_epoch_quiescent();
		else
			tern_epoch_unpin();
		if (rng(&s) % 16 == 0) {
			memset(seen, 0, sizeof seen);
			if (!qsbr)
				tern_epoch_pin();
			for (struct tern_map_node *x = tern_map_first(&smap); x; x = tern_map_next(&smap, x)) {
				struct item *it = item_of(x);
				check_live(it, "iteration");
				if (it->key < PERM && seen[it->key]++) {
					fprintf(stderr, "permanent key %lu visited twice\n", (unsigned long)it->key);
					abort();
				}
			}
			if (qsbr)
				tern_epoch_quiescent();
			else
				tern_epoch_unpin();
			for (unsigned k = 0; k < PERM; k++)
				if (seen[k] != 1) {
					fprintf(stderr, "permanent key %u not visited by an iteration\n", k);
					abort();
				}
			atomic_fetch_add_explicit(&reader_iterations, 1, memory_order_relaxed);
		}
	}
	if (qsbr)
		tern_epoch_offline();
	return NULL;
}

static void *stress_writer(void *arg)
{
	uint64_t s = (uint64_t)(uintptr_t)arg * 31337 + 5;
	unsigned long n = tern_test_iters(200000);
	for (unsigned long i = 0; i < n; i++) {
		uint64_t r = rng(&s), k = PERM + (r >> 8) % VOLATILE;
		switch (r % 4) {
		case 0: {
			struct item *it = item_new(k, (long)i);
			if (tern_map_insert(&smap, &it->node) != 0) {
				atomic_fetch_sub(&made, 1);
				free(it);
			}
			break;
		}
		case 1:
			tern_map_replace(&smap, &item_new(k, (long)i)->node);
			break;
		default:
			tern_map_remove(&smap, &k);
		}
	}
	return NULL;
}

static void *stress_resizer(void *arg)
{
	(void)arg;
	uint64_t s = 99;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		size_t b = (size_t)1 << (rng(&s) % 13);
		if (tern_map_resize(&smap, b) != 0)
			abort();
		sched_yield();
	}
	return NULL;
}

Test(map_stress, readers_vs_writers_and_resizes, .timeout = 120)
{
	cr_assert_eq(tern_map_init(&smap, &ops, NULL, 0), 0);
	for (uint64_t k = 0; k < PERM; k++)
		cr_assert_eq(tern_map_insert(&smap, &item_new(k, 0)->node), 0);
	pthread_t r[2], w[2], z;
	for (uintptr_t i = 0; i < 2; i++)
		pthread_create(&r[i], NULL, stress_reader, (void *)(i + 1));
	pthread_create(&z, NULL, stress_resizer, NULL);
	for (uintptr_t i = 0; i < 2; i++)
		pthread_create(&w[i], NULL, stress_writer, (void *)(i + 1));
	for (int i = 0; i < 2; i++)
		pthread_join(w[i], NULL);
	atomic_store(&stop, true);
	pthread_join(z, NULL);
	for (int i = 0; i < 2; i++)
		pthread_join(r[i], NULL);
	cr_assert_gt(atomic_load(&reader_lookups), 0);
	cr_log_info("%ld lookups, %ld iterations", atomic_load(&reader_lookups), atomic_load(&reader_iterations));
	/* final contents: permanent keys all there, counts agree */
	tern_epoch_pin();
	size_t n = 0;
	for (struct tern_map_node *x = tern_map_first(&smap); x; x = tern_map_next(&smap, x))
		n++;
	for (uint64_t k = 0; k < PERM; k++)
		cr_assert_not_null(tern_map_lookup(&smap, &k));
	tern_epoch_unpin();
	cr_assert_eq(n, tern_map_count(&smap));
	finish(&smap);
}

/* ------------------------------------------------ resize under load */

static tern_map_t lmap;
static atomic_ulong high_water;   /* keys < high_water are inserted */
static atomic_ulong removing_from; /* keys >= removing_from may be gone (shrink phase) */
static atomic_int phase;          /* 0 grow, 1 shrink, 2 done */
static atomic_ulong load_batches; /* reader batches done (the writer waits for some) */
static unsigned long load_n;

static void *load_reader(void *arg)
{
	uint64_t s = (uint64_t)(uintptr_t)arg;
	unsigned long found = 0;
	while (atomic_load(&phase) != 2) {
		tern_epoch_pin();
		for (int i = 0; i < 32; i++) {
			/* Acquire: pairs with the writer's release stores; the
			 * key was inserted before and (grow phase) is never
			 * removed, or (shrink phase) is removed only after the
			 * writer announced it, which we check after the lookup. */
			unsigned long hw = atomic_load_explicit(&high_water, memory_order_acquire);
			if (hw == 0)
				continue;
			uint64_t k = rng(&s) % hw;
			struct item *it = item_of(tern_map_lookup(&lmap, &k));
			/* Seq_cst fence: pairs with the writer's seq_cst store of
			 * removing_from and fence before each remove: a lookup that
			 * missed a key reads removing_from <= that key below. */
			atomic_thread_fence(memory_order_seq_cst);
			bool must = k < atomic_load(&removing_from);
			if (it != NULL) {
				check_live(it, "resize_under_load");
				if (it->key != k)
					abort();
				found++;
			} else if (must) {
				fprintf(stderr, "key %lu (present throughout) missed, %zu buckets\n",
					(unsigned long)k, tern_map_buckets(&lmap));
				abort();
			}
		}
		tern_epoch_unpin();
		/* Relaxed: a progress counter. */
		atomic_fetch_add_explicit(&load_batches, 1, memory_order_relaxed);
	}
	return (void *)(uintptr_t)found;
}

/* Lets the readers run some batches (bounded: 10 s) before the writer
 * goes on, so that they overlap each phase even when threads are
 * serialised (valgrind) or the machine is busy. */
static void wait_for_readers(void)
{
	/* Relaxed: a progress counter. */
	unsigned long start = atomic_load_explicit(&load_batches, memory_order_relaxed);
	for (int i = 0; i < 100000; i++) {
		/* Relaxed: as above. */
		if (atomic_load_explicit(&load_batches, memory_order_relaxed) >= start + 8)
			return;
		usleep(100);
	}
}

Test(map_stress, resize_under_load, .timeout = 120)
{
	load_n = tern_test_iters(1000000);
	no_quarantine = true;
	cr_assert_eq(tern_map_init(&lmap, &ops, NULL, 0), 0);
	atomic_store(&removing_from, ULONG_MAX);
	pthread_t r[2];
	for (uintptr_t i = 0; i < 2; i++)
		pthread_create(&r[i], NULL, load_reader, (void *)(i + 11));
	size_t max_buckets = 0;
	for (unsigned long k = 0; k < load_n; k++) {
		cr_assert_eq(tern_map_insert(&lmap, &item_new(k, 0)->node), 0);
		/* Release: pairs with the readers' acquire load. */
		atomic_store_explicit(&high_water, k + 1, memory_order_release);
	}
	wait_for_readers();
	max_buckets = tern_map_buckets(&lmap);
	cr_assert_geq(max_buckets * 2, load_n, "grew with the load: %zu buckets", max_buckets);
	/* Shrink phase: remove from the top down; announce before removing. */
	for (unsigned long k = load_n; k-- > 0;) {
		/* Seq_cst + the readers' fence: a reader whose lookup saw the
		 * key gone reads removing_from <= k afterwards. */
		atomic_store(&removing_from, k);
		atomic_thread_fence(memory_order_seq_cst);
		cr_assert(tern_map_remove(&lmap, &k));
		if (k == load_n / 2)
			wait_for_readers();
	}
	atomic_store(&phase, 2);
	uintptr_t found = 0;
	for (int i = 0; i < 2; i++) {
		void *f;
		pthread_join(r[i], &f);
		found += (uintptr_t)f;
	}
	cr_assert_gt(found, 0);
	cr_assert_eq(tern_map_buckets(&lmap), TERN_MAP_INIT_BUCKETS, "shrunk back to 16 buckets");
	cr_log_info("%lu entries, %zu buckets at the peak, %lu lookups found", load_n, max_buckets,
		    (unsigned long)found);
	finish(&lmap);
}

/* ---------------------------------------------------- contended keys */

#define CKEYS 4
#define CTHREADS 4
static tern_map_t cmap;
static atomic_long net[CKEYS]; /* successful inserts - removes per key */

static void *contender(void *arg)
{
	uint64_t s = (uint64_t)(uintptr_t)arg * 17 + 3;
	unsigned long n = tern_test_iters(100000);
	for (unsigned long i = 0; i < n; i++) {
		uint64_t r = rng(&s), k = (r >> 8) % CKEYS;
		if (r & 1) {
			struct item *it = item_new(k, 0);
			if (tern_map_insert(&cmap, &it->node) == 0) {
				atomic_fetch_add(&net[k], 1);
			} else {
				atomic_fetch_sub(&made, 1);
				free(it);
			}
		} else if (r & 2) {
			if (!tern_map_replace(&cmap, &item_new(k, 0)->node))
				atomic_fetch_add(&net[k], 1);
		} else if (tern_map_remove(&cmap, &k)) {
			atomic_fetch_sub(&net[k], 1);
		}
	}
	return NULL;
}

Test(map_stress, contended_keys, .timeout = 60)
{
	cr_assert_eq(tern_map_init(&cmap, &ops, NULL, 0), 0);
	tern_map_set_auto_resize(&cmap, false);
	cr_assert_eq(tern_map_resize(&cmap, 2), 0);
	tern_test_run_threads(CTHREADS, contender, (void *)1, 1);
	tern_epoch_pin();
	for (uint64_t k = 0; k < CKEYS; k++) {
		long v = atomic_load(&net[k]);
		cr_assert(v == 0 || v == 1, "key %lu: net %ld", (unsigned long)k, v);
		cr_assert_eq(tern_map_lookup(&cmap, &k) != NULL, v == 1);
	}
	tern_epoch_unpin();
	finish(&cmap);
}

/* ------------------------------------------ linearizability checking */

enum { OP_INSERT, OP_REPLACE, OP_REMOVE, OP_LOOKUP };
#define LT 3        /* threads */
#define LOPS 4      /* operations per thread */
#define LN (LT * LOPS)
#define LKEYS 2

struct hop {
	int type, key;
	long arg;    /* value inserted */
	long result; /* insert: 0/EEXIST; replace, remove: 0/1; lookup: value or -1 */
	unsigned long inv, resp;
};

static tern_map_t hmap;
static struct hop hist[LN];
static atomic_ulong clock_ticks;
static atomic_int ready;
static atomic_bool hist_stop;

static void *hist_thread(void *arg)
{
	int t = (int)(uintptr_t)arg;
	atomic_fetch_add(&ready, 1);
	while (atomic_load(&ready) < LT)
		sched_yield(); /* 2 cores: let the others start */
	for (int i = 0; i < LOPS; i++) {
		struct hop *o = &hist[t * LOPS + i];
		uint64_t k = (uint64_t)o->key;
		o->inv = atomic_fetch_add(&clock_ticks, 1);
		/* Widens some windows so that histories overlap even when the
		 * threads barely run at once (2 cores, valgrind): a later
		 * response only makes the recorded window larger, still valid. */
		if ((o->arg + t) % 3 == 0)
			sched_yield();
		switch (o->type) {
		case OP_INSERT: {
			struct item *it = item_new(k, o->arg);
			o->result = tern_map_insert(&hmap, &it->node);
			if (o->result != 0) {
				atomic_fetch_sub(&made, 1);
				free(it);
			}
			break;
		}
		case OP_REPLACE:
			o->result = tern_map_replace(&hmap, &item_new(k, o->arg)->node);
			break;
		case OP_REMOVE:
			o->result = tern_map_remove(&hmap, &k);
			break;
		default: {
			tern_epoch_pin();
			struct item *it = item_of(tern_map_lookup(&hmap, &k));
			o->result = it ? it->value : -1;
			tern_epoch_unpin();
		}
		}
		o->resp = atomic_fetch_add(&clock_ticks, 1);
	}
	return NULL;
}

static void *hist_resizer(void *arg)
{
	(void)arg;
	unsigned i = 0;
	while (!atomic_load(&hist_stop)) {
		tern_map_resize(&hmap, (i++ & 1) ? 1 : 4);
		sched_yield();
	}
	return NULL;
}

/* The sequential specification: applies o to state; => whether the
 * recorded result is what the spec returns. */
static bool spec_step(const struct hop *o, long state[LKEYS])
{
	long *v = &state[o->key];
	switch (o->type) {
	case OP_INSERT:
		if (*v >= 0)
			return o->result == EEXIST;
		*v = o->arg;
		return o->result == 0;
	case OP_REPLACE: {
		bool had = *v >= 0;
		*v = o->arg;
		return o->result == had;
	}
	case OP_REMOVE: {
		bool had = *v >= 0;
		*v = -1;
		return o->result == had;
	}
	default:
		return o->result == *v;
	}
}

/* Failed (done-set, state) pairs, stamped per history.  A key's state is
 * absent (-1), an operation's argument (0 .. LN - 1) or an initial value
 * (100 + k): memo_slot() numbers them 0 .. VALS - 1. */
#define VALS (LN + 1 + LKEYS)
static unsigned memo[(1u << LN) * VALS * VALS];
static unsigned memo_stamp;

static unsigned memo_slot(long v)
{
	return v < 0 ? 0u : v >= 100 ? (unsigned)(LN + 1 + (v - 100)) : (unsigned)(v + 1);
}

static bool linearize(const struct hop *h, unsigned done, long state[LKEYS])
{
	if (done == (1u << LN) - 1)
		return true;
	unsigned idx = (done * VALS + memo_slot(state[0])) * VALS + memo_slot(state[1]);
	if (memo[idx] == memo_stamp)
		return false;
	for (int i = 0; i < LN; i++) {
		if (done & (1u << i))
			continue;
		/* i may go next only if no pending op finished before i began */
		bool minimal = true;
		for (int j = 0; j < LN && minimal; j++)
			if (!(done & (1u << j)) && j != i && h[j].resp < h[i].inv)
				minimal = false;
		if (!minimal)
			continue;
		long s2[LKEYS] = { state[0], state[1] };
		if (spec_step(&h[i], s2) && linearize(h, done | (1u << i), s2))
			return true;
	}
	memo[idx] = memo_stamp;
	return false;
}

static bool history_linearizable(const struct hop *h, long initial[LKEYS])
{
	memo_stamp++;
	long s[LKEYS] = { initial[0], initial[1] };
	return linearize(h, 0, s);
}

Test(map_stress, linearizability_checker_rejects_bad_histories)
{
	struct hop h[LN];
	memset(h, 0, sizeof h);
	/* all lookups of key 1 (absent), strictly sequential ... */
	for (int i = 0; i < LN; i++)
		h[i] = (struct hop){ OP_LOOKUP, 1, 0, -1, (unsigned long)(2 * i), (unsigned long)(2 * i + 1) };
	long init[LKEYS] = { -1, -1 };
	cr_assert(history_linearizable(h, init));
	/* ... but one insert of key 0 (value 5) completes before a lookup
	 * that still reports it absent */
	h[0] = (struct hop){ OP_INSERT, 0, 5, 0, 0, 1 };
	h[1] = (struct hop){ OP_LOOKUP, 0, 0, -1, 2, 3 };
	cr_assert_not(history_linearizable(h, init), "stale read after a completed insert");
	/* overlapping, the same results are fine */
	h[1] = (struct hop){ OP_LOOKUP, 0, 0, -1, 0, 3 };
	h[0] = (struct hop){ OP_INSERT, 0, 5, 0, 1, 2 };
	cr_assert(history_linearizable(h, init));
	/* two successful inserts of one key with no remove between */
	h[1] = (struct hop){ OP_INSERT, 0, 6, 0, 0, 3 };
	cr_assert_not(history_linearizable(h, init), "double insert");
	/* A linearizable history with an initial value (100) that the memo
	 * table once indexed out of range, rejecting it (seen in a run). */
	static const struct hop seen[LN] = {
		{ OP_REMOVE, 0, 0, 1, 180865, 180870 },  { OP_REMOVE, 0, 1, 0, 180871, 180872 },
		{ OP_INSERT, 0, 2, 0, 180873, 180877 },  { OP_INSERT, 1, 3, EEXIST, 180878, 180879 },
		{ OP_REPLACE, 0, 4, 1, 180880, 180881 }, { OP_LOOKUP, 1, 5, 11, 180882, 180883 },
		{ OP_INSERT, 1, 6, EEXIST, 180884, 180885 }, { OP_REMOVE, 0, 7, 1, 180886, 180887 },
		{ OP_LOOKUP, 1, 8, -1, 180864, 180866 }, { OP_LOOKUP, 1, 9, -1, 180867, 180868 },
		{ OP_LOOKUP, 0, 10, 100, 180869, 180874 }, { OP_REPLACE, 1, 11, 0, 180875, 180876 },
	};
	long init2[LKEYS] = { 100, -1 };
	cr_assert(history_linearizable(seen, init2), "a linearizable history with an initial value");
}

Test(map_stress, linearizable_histories, .timeout = 120)
{
	unsigned long runs = tern_test_iters(10000);
	uint64_t s = 4242;
	cr_assert_eq(tern_map_init(&hmap, &ops, NULL, 0), 0);
	tern_map_set_auto_resize(&hmap, false);
	pthread_t z;
	pthread_create(&z, NULL, hist_resizer, NULL);
	unsigned long overlapping = 0;
	for (unsigned long run = 0; run < runs; run++) {
		/* initial state: key k present with value 100 + k, or absent */
		long init[LKEYS];
		for (int k = 0; k < LKEYS; k++) {
			uint64_t key = (uint64_t)k;
			tern_map_remove(&hmap, &key);
			init[k] = -1;
			if (rng(&s) & 1) {
				cr_assert_eq(tern_map_insert(&hmap, &item_new(key, 100 + k)->node), 0);
				init[k] = 100 + k;
			}
		}
		for (int i = 0; i < LN; i++) {
			uint64_t r = rng(&s);
			hist[i] = (struct hop){ (int)(r % 4), (int)((r >> 8) % LKEYS), i, 0, 0, 0 };
		}
		atomic_store(&ready, 0);
		pthread_t t[LT];
		for (uintptr_t i = 0; i < LT; i++)
			pthread_create(&t[i], NULL, hist_thread, (void *)i);
		for (int i = 0; i < LT; i++)
			pthread_join(t[i], NULL);
		for (int i = 0; i < LN; i++)
			for (int j = 0; j < LN; j++)
				if (i / LOPS != j / LOPS && hist[i].inv < hist[j].resp && hist[j].inv < hist[i].resp) {
					overlapping++;
					i = j = LN;
				}
		if (!history_linearizable(hist, init)) {
			for (int i = 0; i < LN; i++)
				fprintf(stderr, "t%d op %d key %d arg %ld -> %ld  [%lu, %lu]\n", i / LOPS, hist[i].type,
					hist[i].key, hist[i].arg, hist[i].result, hist[i].inv, hist[i].resp);
			cr_assert_fail("history %lu is not linearizable (initial %ld %ld)", run, init[0], init[1]);
		}
	}
	atomic_store(&hist_stop, true);
	pthread_join(z, NULL);
	cr_log_info("%lu histories, %lu with overlapping operations", runs, overlapping);
	cr_assert_gt(overlapping, 0, "some histories had concurrent operations");
	finish(&hmap);
}
