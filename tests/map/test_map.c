/* SPDX-License-Identifier: MIT */
/* tern_map, single-threaded: every operation of both forms (run-time ops
 * and TERN_MAP_DEFINE), collisions, string keys, iteration, forced and
 * automatic resizing, allocation failure during resizes, explicit domains,
 * QSBR readers, the hash (SipHash test vectors), destroy, and a seeded
 * property test against a sequential model. */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "tern/alloc.h"
#include "tern/epoch.h"
#include "tern/map.h"
#include "../common/tern_test.h"

#define MAGIC 0x600dfeedu
#define DEAD 0xdeadbeefu

struct item {
	struct tern_map_node node;
	uint64_t key;
	long value;
	unsigned magic;
};

#include "../common/tern_map_item.h"

static long made, destroyed;

static struct item *item_new(uint64_t key, long value)
{
	struct item *it = calloc(1, sizeof *it);
	cr_assert_not_null(it);
	it->key = key;
	it->value = value;
	it->magic = MAGIC;
	made++;
	return it;
}

static void item_free(struct item *it)
{
	cr_assert_eq(it->magic, MAGIC, "destroyed once");
	it->magic = DEAD;
	destroyed++;
	free(it);
}

/* Every key in one of 4 runs: exercises equal-rkey runs and bucket walks. */
static uint64_t bad_hash(const void *key, uint64_t seed, void *ctx)
{
	(void)seed;
	(void)ctx;
	return *(const uint64_t *)key % 4;
}

static void node_free(struct tern_map_node *n)
{
	item_free(item_of(n));
}

static const struct tern_map_ops ops = { u64_hash, u64_equal, u64_key, node_free, NULL };
static const struct tern_map_ops bad_ops = { bad_hash, u64_equal, u64_key, node_free, NULL };

TERN_MAP_DEFINE(imap, struct item, node, uint64_t, key, item_free);

/* A caller's hash for TERN_MAP_DEFINE_HASH: a keyed integer mix. */
static long hmap_hashes;
static uint64_t hmap_hash(const uint64_t *key, uint64_t seed)
{
	hmap_hashes++;
	uint64_t x = *key ^ seed;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}
TERN_MAP_DEFINE_HASH(hmap, struct item, node, uint64_t, key, item_free, hmap_hash);

static struct item *find(tern_map_t *m, uint64_t k)
{
	return item_of(tern_map_lookup(m, &k));
}

static void drain(tern_map_t *m)
{
	tern_map_destroy(m);
	tern_epoch_barrier();
	cr_assert_eq(made, destroyed, "every node destroyed exactly once (%ld made, %ld destroyed)", made,
		     destroyed);
}

Test(map, sizes)
{
	cr_assert_leq(sizeof(struct tern_map_node), 5 * sizeof(void *));
	cr_assert_leq(sizeof(tern_map_t), 6 * sizeof(void *));
}

Test(map, init_rejects_bad_arguments)
{
	tern_map_t m;
	struct tern_map_ops no_hash = { NULL, u64_equal, u64_key, node_free, NULL };
	struct tern_map_ops no_equal = { u64_hash, NULL, u64_key, node_free, NULL };
	struct tern_map_ops no_key = { u64_hash, u64_equal, NULL, node_free, NULL };
	cr_assert_eq(tern_map_init(NULL, &ops, NULL, 0), EINVAL);
	cr_assert_eq(tern_map_init(&m, NULL, NULL, 0), EINVAL);
	cr_assert_eq(tern_map_init(&m, &no_hash, NULL, 0), EINVAL);
	cr_assert_eq(tern_map_init(&m, &no_equal, NULL, 0), EINVAL);
	cr_assert_eq(tern_map_init(&m, &no_key, NULL, 0), EINVAL);
	cr_assert_eq(imap_init(NULL, NULL, 0), EINVAL);
	cr_assert_eq(tern_map_init(&m, &ops, NULL, 0), 0);
	cr_assert_eq(tern_map_buckets(&m), TERN_MAP_INIT_BUCKETS);
	cr_assert_eq(tern_map_count(&m), 0);
	tern_map_destroy(&m);
}

static void basic_ops(const struct tern_map_ops *o)
{
	tern_map_t m;
	cr_assert_eq(tern_map_init(&m, o, NULL, 42), 0);
	tern_epoch_pin();
	cr_assert_null(find(&m, 1));
	cr_assert_null(tern_map_first(&m));
	struct item *a = item_new(1, 10), *b = item_new(2, 20), *a2 = item_new(1, 11);
	cr_assert_eq(tern_map_insert(&m, &a->node), 0);
	cr_assert_eq(tern_map_insert(&m, &b->node), 0);
	cr_assert_eq(find(&m, 1), a);
	cr_assert_eq(find(&m, 2), b);
	cr_assert_null(find(&m, 3));
	cr_assert_eq(tern_map_insert(&m, &a2->node), EEXIST, "insert of a present key fails");
	cr_assert_eq(find(&m, 1), a, "and leaves the map unchanged");
	cr_assert_eq(tern_map_count(&m), 2);

	/* replace: the old node stays valid while pinned, destroyed later */
	cr_assert(tern_map_replace(&m, &a2->node));
	cr_assert_eq(find(&m, 1), a2);
	cr_assert_eq(a->value, 10);
	cr_assert_eq(a->magic, MAGIC, "a replaced node is not destroyed while a reader is pinned");
	cr_assert_not(tern_map_remove_node(&m, &a->node), "the replaced node is no longer in the map");
	cr_assert_eq(tern_map_count(&m), 2);
	struct item *c = item_new(3, 30);
	cr_assert_not(tern_map_replace(&m, &c->node), "replace of an absent key inserts");
	cr_assert_eq(find(&m, 3), c);
	cr_assert_eq(tern_map_count(&m), 3);

	/* remove and remove_node */
	uint64_t k = 2;
	cr_assert(tern_map_remove(&m, &k));
	cr_assert_not(tern_map_remove(&m, &k));
	cr_assert_null(find(&m, 2));
	cr_assert_eq(b->magic, MAGIC);
	cr_assert(tern_map_remove_node(&m, &c->node));
	cr_assert_not(tern_map_remove_node(&m, &c->node));
	cr_assert_null(find(&m, 3));
	cr_assert_eq(tern_map_count(&m), 1);
	tern_epoch_unpin();
	tern_epoch_barrier();
	cr_assert_eq(destroyed, 3, "a, b and c destroyed after a grace period");

	/* the removed node's key can be inserted again (new node) */
	struct item *b2 = item_new(2, 21);
	cr_assert_eq(tern_map_insert(&m, &b2->node), 0);
	tern_epoch_pin();
	cr_assert_eq(find(&m, 2), b2);
	tern_epoch_unpin();
	drain(&m);
}

Test(map, operations)
{
	basic_ops(&ops);
}

Test(map, operations_with_colliding_hashes)
{
	basic_ops(&bad_ops);
}

Test(map, collisions_many_keys)
{
	tern_map_t m;
	cr_assert_eq(tern_map_init(&m, &bad_ops, NULL, 0), 0);
	enum { N = 300 };
	for (uint64_t k = 0; k < N; k++)
		cr_assert_eq(tern_map_insert(&m, &item_new(k, (long)k)->node), 0);
	tern_epoch_pin();
	for (uint64_t k = 0; k < N; k++)
		cr_assert_eq(find(&m, k)->value, (long)k);
	tern_epoch_unpin();
	for (uint64_t k = 0; k < N; k += 3)
		cr_assert(tern_map_remove(&m, &k));
	tern_epoch_pin();
	for (uint64_t k = 0; k < N; k++)
		cr_assert_eq(find(&m, k) != NULL, k % 3 != 0);
	tern_epoch_unpin();
	drain(&m);
}

Test(map, iteration_visits_each_node_once)
{
	tern_map_t m;
	cr_assert_eq(tern_map_init(&m, &ops, NULL, 0), 0);
	enum { N = 1000 };
	static unsigned seen[N];
	for (uint64_t k = 0; k < N; k++)
		cr_assert_eq(tern_map_insert(&m, &item_new(k, 0)->node), 0);
	cr_assert_gt(tern_map_buckets(&m), TERN_MAP_INIT_BUCKETS, "automatic growth");
	tern_epoch_pin();
	unsigned n = 0;
	for (struct tern_map_node *x = tern_map_first(&m); x != NULL; x = tern_map_next(&m, x), n++)
		seen[item_of(x)->key]++;
	cr_assert_eq(n, N);
	for (unsigned k = 0; k < N; k++)
		cr_assert_eq(seen[k], 1);
	/* removing the current node during iteration does not derail it */
	memset(seen, 0, sizeof seen);
	n = 0;
	for (struct tern_map_node *x = tern_map_first(&m); x != NULL; x = tern_map_next(&m, x), n++) {
		seen[item_of(x)->key]++;
		if (item_of(x)->key % 2 == 0)
			cr_assert(tern_map_remove_node(&m, x));
	}
	cr_assert_eq(n, N);
	tern_epoch_unpin();
	tern_epoch_pin();
	n = 0;
	for (struct tern_map_node *x = tern_map_first(&m); x != NULL; x = tern_map_next(&m, x), n++)
		cr_assert_eq(item_of(x)->key % 2, 1);
	cr_assert_eq(n, N / 2);
	tern_epoch_unpin();
	drain(&m);
}

/* String keys with the provided hash. */
struct person {
	struct tern_map_node node;
	char name[24];
	int age;
};

static long people_freed;

static bool person_equal(const struct tern_map_node *n, const void *key, void *ctx)
{
	(void)ctx;
	const struct person *p = (const struct person *)(const void *)((const char *)n - offsetof(struct person, node));
	return strcmp(p->name, (const char *)key) == 0;
}

static const void *person_key(const struct tern_map_node *n, void *ctx)
{
	(void)ctx;
	return ((const struct person *)(const void *)((const char *)n - offsetof(struct person, node)))->name;
}

static void person_free(struct tern_map_node *n)
{
	people_freed++;
	free((char *)n - offsetof(struct person, node));
}

Test(map, string_keys)
{
	static const struct tern_map_ops sops = { tern_map_str_hash, person_equal, person_key, person_free, NULL };
	tern_map_t m;
	cr_assert_eq(tern_map_init(&m, &sops, NULL, 0), 0);
	static const char *names[] = { "ada", "alan", "barbara", "edsger", "grace", "ken", "leslie", "tony" };
	for (int i = 0; i < 8; i++) {
		struct person *p = calloc(1, sizeof *p);
		strcpy(p->name, names[i]);
		p->age = 30 + i;
		cr_assert_eq(tern_map_insert(&m, &p->node), 0);
	}
	tern_epoch_pin();
	char buf[24];
	for (int i = 0; i < 8; i++) {
		strcpy(buf, names[i]); /* a different pointer to an equal string */
		struct tern_map_node *n = tern_map_lookup(&m, buf);
		cr_assert_not_null(n, "%s", names[i]);
		cr_assert_eq(((struct person *)(void *)n)->age, 30 + i);
	}
	cr_assert_null(tern_map_lookup(&m, "linus"));
	tern_epoch_unpin();
	cr_assert(tern_map_remove(&m, "grace"));
	tern_map_destroy(&m);
	tern_epoch_barrier();
	cr_assert_eq(people_freed, 8);
}

Test(map, typed_form)
{
	imap_t m;
	cr_assert_eq(imap_init(&m, NULL, 7), 0);
	for (uint64_t k = 0; k < 100; k++)
		cr_assert_eq(imap_insert(&m, item_new(k * 7919, (long)k)), 0);
	struct item *dup = item_new(7919, -1);
	cr_assert_eq(imap_insert(&m, dup), EEXIST);
	cr_assert_eq(imap_count(&m), 100);
	tern_epoch_pin();
	for (uint64_t k = 0; k < 100; k++) {
		struct item *it = imap_lookup(&m, k * 7919);
		cr_assert_not_null(it);
		cr_assert_eq(it->value, (long)k);
	}
	cr_assert_null(imap_lookup(&m, 1));
	cr_assert_not(imap_replace(&m, item_new(1, 1)));
	cr_assert(imap_replace(&m, dup));
	cr_assert_eq(imap_lookup(&m, 7919), dup);
	struct item *seven = imap_lookup(&m, 7 * 7919);
	cr_assert(imap_remove_node(&m, seven));
	cr_assert(imap_remove(&m, 8 * 7919));
	cr_assert_not(imap_remove(&m, 8 * 7919));
	unsigned n = 0;
	for (struct item *it = imap_first(&m); it != NULL; it = imap_next(&m, it))
		n++;
	cr_assert_eq(n, 99);
	tern_epoch_unpin();
	cr_assert_eq(imap_resize(&m, 1024), 0);
	cr_assert_eq(imap_buckets(&m), 1024);
	tern_epoch_pin();
	cr_assert_eq(imap_lookup(&m, 7919), dup);
	tern_epoch_unpin();
	imap_destroy(&m);
	tern_epoch_barrier();
	cr_assert_eq(made, destroyed);
}

Test(map, typed_form_own_hash)
{
	hmap_t m;
	cr_assert_eq(hmap_init(&m, NULL, 11), 0);
	hmap_hashes = 0;
	for (uint64_t k = 0; k < 1000; k++)
		cr_assert_eq(hmap_insert(&m, item_new(k, (long)k)), 0);
	cr_assert_eq(hmap_hashes, 1000, "the writers hash with hmap_hash");
	cr_assert_geq(hmap_buckets(&m), 256, "grown like the run-time form");
	tern_epoch_pin();
	for (uint64_t k = 0; k < 1000; k++) {
		struct item *it = hmap_lookup(&m, k);
		cr_assert_not_null(it);
		cr_assert_eq(it->value, (long)k);
	}
	cr_assert_null(hmap_lookup(&m, 1000));
	cr_assert_eq(hmap_hashes, 2001, "the lookup hashes with hmap_hash");
	tern_epoch_unpin();
	for (uint64_t k = 0; k < 1000; k += 2)
		cr_assert(hmap_remove(&m, k));
	cr_assert_eq(hmap_count(&m), 500);
	hmap_destroy(&m);
	tern_epoch_barrier();
	cr_assert_eq(made, destroyed);
}

Test(map, forced_resize_keeps_every_node)
{
	tern_map_t m;
	cr_assert_eq(tern_map_init(&m, &ops, NULL, 0), 0);
	tern_map_set_auto_resize(&m, false);
	enum { N = 500 };
	for (uint64_t k = 0; k < N; k++)
		cr_assert_eq(tern_map_insert(&m, &item_new(k, 0)->node), 0);
	cr_assert_eq(tern_map_buckets(&m), 16, "auto resize off");
	static const size_t sizes[] = { 1, 2, 1000, 1024, 3, 65536, 16, 1 };
	static const size_t expect[] = { 1, 2, 1024, 1024, 4, 65536, 16, 1 };
	for (unsigned s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
		cr_assert_eq(tern_map_resize(&m, sizes[s]), 0);
		cr_assert_eq(tern_map_buckets(&m), expect[s]);
		tern_epoch_pin();
		for (uint64_t k = 0; k < N; k++)
			cr_assert_not_null(find(&m, k), "key %lu after resize to %zu", (unsigned long)k, sizes[s]);
		unsigned n = 0;
		for (struct tern_map_node *x = tern_map_first(&m); x != NULL; x = tern_map_next(&m, x))
			n++;
		cr_assert_eq(n, N);
		tern_epoch_unpin();
	}
	cr_assert_eq(tern_map_resize(&m, 0), EINVAL);
	cr_assert_eq(tern_map_resize(&m, ((size_t)1 << TERN_MAP_MAX_ORDER) + 1), EINVAL);
	drain(&m);
}

Test(map, automatic_resize_grows_and_shrinks)
{
	tern_map_t m;
	cr_assert_eq(tern_map_init(&m, &ops, NULL, 0), 0);
	enum { N = 5000 };
	for (uint64_t k = 0; k < N; k++)
		cr_assert_eq(tern_map_insert(&m, &item_new(k, 0)->node), 0);
	size_t b = tern_map_buckets(&m);
	cr_assert(b * 2 >= N && b <= N, "load factor within [1/2, 2] after growth: %zu buckets", b);
	for (uint64_t k = 0; k < N; k++)
		cr_assert(tern_map_remove(&m, &k));
	cr_assert_eq(tern_map_buckets(&m), TERN_MAP_INIT_BUCKETS, "shrunk back to the initial size");
	cr_assert_eq(tern_map_count(&m), 0);
	drain(&m);
}

/* ----------------------------------------------- allocation failures */

static atomic_long alloc_calls, alloc_fail_from = -1, live_blocks;

static void *fail_malloc(size_t size, void *ctx)
{
	(void)ctx;
	long n = atomic_fetch_add(&alloc_calls, 1);
	long f = atomic_load(&alloc_fail_from);
	if (f >= 0 && n >= f)
		return NULL;
	atomic_fetch_add(&live_blocks, 1);
	return malloc(size);
}

static void fail_free(void *p, void *ctx)
{
	(void)ctx;
	if (p != NULL)
		atomic_fetch_sub(&live_blocks, 1);
	free(p);
}

Test(map, allocation_failure_never_loses_a_node)
{
	static const struct tern_allocator a = { fail_malloc, fail_free, NULL };
	cr_assert_eq(tern_set_allocator(&a), 0);
	tern_map_t m;
	/* init: every prefix of failures reports ENOMEM and leaks nothing */
	for (long k = 0; k < 16; k++) {
		atomic_store(&alloc_calls, 0);
		atomic_store(&alloc_fail_from, k);
		int rc = tern_map_init(&m, &ops, NULL, 0);
		atomic_store(&alloc_fail_from, -1);
		if (rc == 0) {
			tern_map_destroy(&m);
			break;
		}
		cr_assert_eq(rc, ENOMEM);
	}
	tern_epoch_barrier();
	cr_assert_eq(atomic_load(&live_blocks), 0, "failed inits free what they allocated");

	cr_assert_eq(tern_map_init(&m, &ops, NULL, 0), 0);
	enum { N = 2000 };
	atomic_store(&alloc_calls, 0);
	atomic_store(&alloc_fail_from, 0); /* no memory from now on */
	for (uint64_t k = 0; k < N; k++)
		cr_assert_eq(tern_map_insert(&m, &item_new(k, 0)->node), 0, "inserts never allocate");
	cr_assert_eq(tern_map_buckets(&m), 16, "automatic growth failed: the table keeps its size");
	cr_assert_eq(tern_map_resize(&m, 4096), ENOMEM);
	cr_assert_eq(tern_map_buckets(&m), 16);
	tern_epoch_pin();
	for (uint64_t k = 0; k < N; k++)
		cr_assert_not_null(find(&m, k));
	tern_epoch_unpin();
	/* Memory for a few steps only: a forced resize stops where it must. */
	atomic_store(&alloc_calls, 0);
	atomic_store(&alloc_fail_from, 5); /* two grows (2 blocks each), then half of a third */
	tern_map_set_auto_resize(&m, false);
	cr_assert_eq(tern_map_resize(&m, 4096), ENOMEM);
	cr_assert_eq(tern_map_buckets(&m), 64);
	tern_epoch_pin();
	for (uint64_t k = 0; k < N; k++)
		cr_assert_not_null(find(&m, k));
	tern_epoch_unpin();
	/* shrinking needs a table too: two halvings, then no memory */
	atomic_store(&alloc_calls, 0);
	atomic_store(&alloc_fail_from, 2);
	cr_assert_eq(tern_map_resize(&m, 1), ENOMEM);
	cr_assert_eq(tern_map_buckets(&m), 16);
	tern_epoch_pin();
	for (uint64_t k = 0; k < N; k++)
		cr_assert_not_null(find(&m, k));
	tern_epoch_unpin();
	atomic_store(&alloc_fail_from, -1);
	tern_map_set_auto_resize(&m, true);
	cr_assert_eq(tern_map_resize(&m, 2), 0);
	for (uint64_t k = 0; k < N; k++)
		cr_assert(tern_map_remove(&m, &k));
	drain(&m);
	cr_assert_eq(atomic_load(&live_blocks), 0, "tables and sentinels freed after a grace period");
}

/* ------------------------------------------------- domains and QSBR */

Test(map, explicit_domain)
{
	tern_epoch_domain_t *d;
	cr_assert_eq(tern_epoch_domain_create(&d), 0);
	tern_map_t m;
	cr_assert_eq(tern_map_init(&m, &ops, d, 0), 0);
	struct item *a = item_new(5, 50);
	cr_assert_eq(tern_map_insert(&m, &a->node), 0);
	tern_epoch_domain_pin(d);
	cr_assert_eq(find(&m, 5), a);
	cr_assert(tern_map_replace(&m, &item_new(5, 51)->node));
	tern_epoch_barrier(); /* the default domain's barrier does not wait for d */
	cr_assert_eq(a->magic, MAGIC, "held by the pin in d");
	tern_epoch_domain_unpin(d);
	tern_epoch_domain_barrier(d);
	cr_assert_eq(destroyed, 1);
	tern_map_destroy(&m);
	tern_epoch_domain_destroy(d); /* drains: destroys the remaining node */
	cr_assert_eq(made, destroyed);
}

Test(map, qsbr_online_reader)
{
	tern_map_t m;
	cr_assert_eq(tern_map_init(&m, &ops, NULL, 0), 0);
	struct item *a = item_new(9, 90);
	cr_assert_eq(tern_map_insert(&m, &a->node), 0);
	tern_epoch_online();
	cr_assert_eq(find(&m, 9), a, "an online thread may look up without a pin");
	cr_assert_eq(item_of(tern_map_first(&m)), a);
	tern_epoch_quiescent();
	tern_epoch_offline();
	drain(&m);
}

/* --------------------------------------------------------------- hash */

Test(map, siphash_reference_vectors)
{
	/* The SipHash-2-4 reference vectors (key 00..0f, message 00..len-1):
	 * the same code with 1 and 3 rounds is tern_map_hash_bytes. */
	uint8_t msg[64];
	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	uint64_t k0 = 0x0706050403020100ull, k1 = 0x0f0e0d0c0b0a0908ull;
	cr_assert_eq(tern__map_siphash(msg, 0, k0, k1, 2, 4), 0x726fdb47dd0e0e31ull);
	cr_assert_eq(tern__map_siphash(msg, 15, k0, k1, 2, 4), 0xa129ca6149be45e5ull);
	/* keyed: another seed, another hash; deterministic for a seed */
	cr_assert_eq(tern_map_hash_bytes(msg, 8, 1), tern_map_hash_bytes(msg, 8, 1));
	cr_assert_neq(tern_map_hash_bytes(msg, 8, 1), tern_map_hash_bytes(msg, 8, 2));
	cr_assert_eq(tern_map_hash_string("tern", 3), tern_map_hash_bytes("tern", 4, 3));
	/* random seeds differ between maps */
	tern_map_t a, b;
	cr_assert_eq(tern_map_init(&a, &ops, NULL, TERN_MAP_SEED_RANDOM), 0);
	cr_assert_eq(tern_map_init(&b, &ops, NULL, TERN_MAP_SEED_RANDOM), 0);
	cr_assert_neq(a.seed, b.seed);
	tern_map_destroy(&a);
	tern_map_destroy(&b);
}

/* ------------------------------------- property test against a model */

static uint64_t rng_next(uint64_t *s)
{
	*s += 0x9e3779b97f4a7c15ull;
	uint64_t z = *s;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void property_run(const struct tern_map_ops *o, uint64_t seed, unsigned steps, unsigned keys)
{
	enum { KMAX = 512 };
	long model[KMAX]; /* value, or -1 */
	struct item *nodes[KMAX];
	cr_assert_leq(keys, KMAX);
	for (unsigned k = 0; k < keys; k++)
		model[k] = -1, nodes[k] = NULL;
	tern_map_t m;
	cr_assert_eq(tern_map_init(&m, o, NULL, seed), 0);
	long present = 0;
	for (unsigned s = 0; s < steps; s++) {
		uint64_t r = rng_next(&seed);
		uint64_t k = (r >> 8) % keys;
		long v = (long)s;
		switch (r % 16) {
		case 0: case 1: case 2: case 3: { /* insert */
			struct item *it = item_new(k, v);
			int rc = tern_map_insert(&m, &it->node);
			cr_assert_eq(rc, model[k] >= 0 ? EEXIST : 0, "seed step %u insert %lu", s, (unsigned long)k);
			if (rc == 0) {
				model[k] = v, nodes[k] = it, present++;
			} else {
				made--;
				free(it);
			}
			break;
		}
		case 4: case 5: { /* replace */
			struct item *it = item_new(k, v);
			cr_assert_eq(tern_map_replace(&m, &it->node), model[k] >= 0, "step %u replace", s);
			if (model[k] < 0)
				present++;
			model[k] = v, nodes[k] = it;
			break;
		}
		case 6: case 7: case 8: /* remove */
			cr_assert_eq(tern_map_remove(&m, &k), model[k] >= 0, "step %u remove", s);
			if (model[k] >= 0)
				present--;
			model[k] = -1, nodes[k] = NULL;
			break;
		case 9: /* remove_node of the current node */
			if (nodes[k] != NULL) {
				tern_epoch_pin();
				cr_assert(tern_map_remove_node(&m, &nodes[k]->node));
				tern_epoch_unpin();
				model[k] = -1, nodes[k] = NULL, present--;
			}
			break;
		case 10: { /* forced resize to a random size */
			size_t b = (size_t)1 << ((r >> 20) % 12);
			cr_assert_eq(tern_map_resize(&m, b), 0);
			break;
		}
		case 11: { /* iterate: exactly the model */
			tern_epoch_pin();
			long n = 0;
			for (struct tern_map_node *x = tern_map_first(&m); x; x = tern_map_next(&m, x), n++) {
				struct item *it = item_of(x);
				cr_assert_lt(it->key, keys);
				cr_assert_eq(it->value, model[it->key], "step %u iterate", s);
			}
			cr_assert_eq(n, present, "step %u: iteration count", s);
			tern_epoch_unpin();
			break;
		}
		default: { /* lookup */
			tern_epoch_pin();
			struct item *it = find(&m, k);
			if (model[k] < 0)
				cr_assert_null(it, "step %u lookup %lu", s, (unsigned long)k);
			else
				cr_assert(it != NULL && it->value == model[k] && it == nodes[k], "step %u lookup", s);
			tern_epoch_unpin();
		}
		}
		cr_assert_eq((long)tern_map_count(&m), present);
	}
	drain(&m);
}

Test(map, property_against_sequential_model)
{
	unsigned runs = (unsigned)tern_test_iters(40);
	for (unsigned i = 0; i < runs; i++) {
		property_run(&ops, 1000 + i, 2000, i % 2 ? 64 : 512);
		property_run(&bad_ops, 5000 + i, 1000, 48);
	}
}

/* --------------------------------------------- destroy and re-entry */

Test(map, destroy_defers_nodes_a_pinned_reader_holds)
{
	tern_map_t m;
	cr_assert_eq(tern_map_init(&m, &ops, NULL, 0), 0);
	for (uint64_t k = 0; k < 100; k++)
		cr_assert_eq(tern_map_insert(&m, &item_new(k, (long)k)->node), 0);
	tern_epoch_pin();
	struct item *held = find(&m, 42);
	cr_assert_not_null(held);
	tern_map_destroy(&m); /* allowed while this thread is pinned */
	cr_assert_eq(held->magic, MAGIC, "destroy is deferred: the reader's node is still valid");
	cr_assert_eq(held->value, 42);
	cr_assert_eq(destroyed, 0);
	tern_epoch_unpin();
	tern_epoch_barrier();
	cr_assert_eq(destroyed, 100);
	cr_assert_eq(made, destroyed);
}

/* A destroy callback re-enters the same map: it inserts a successor key. */
static tern_map_t reentry_map;

static void reentrant_free(struct tern_map_node *n)
{
	struct item *it = item_of(n);
	if (it->key < 1000)
		cr_assert_eq(tern_map_insert(&reentry_map, &item_new(it->key + 1000, 0)->node), 0);
	item_free(it);
}

Test(map, destroy_callback_may_reenter_the_map)
{
	static const struct tern_map_ops rops = { u64_hash, u64_equal, u64_key, reentrant_free, NULL };
	cr_assert_eq(tern_map_init(&reentry_map, &rops, NULL, 0), 0);
	enum { N = 600 };
	for (uint64_t k = 0; k < N; k++)
		cr_assert_eq(tern_map_insert(&reentry_map, &item_new(k, 0)->node), 0);
	for (uint64_t k = 0; k < N; k++)
		cr_assert(tern_map_remove(&reentry_map, &k));
	tern_epoch_barrier(); /* runs every callback; their inserts are in the map */
	cr_assert_eq(tern_map_count(&reentry_map), N);
	tern_epoch_pin();
	for (uint64_t k = 0; k < N; k++)
		cr_assert_not_null(find(&reentry_map, k + 1000));
	tern_epoch_unpin();
	drain(&reentry_map);
}

/* A destroy callback may destroy and free the very map whose operation
 * ran it: every map operation runs the destructors it triggers last and
 * touches nothing of the map after them (under ASan, a read of the freed
 * map or its private state fails the test). */
static tern_map_t *_Atomic dying_map;

static void destroy_map_free(struct tern_map_node *n)
{
	struct item *it = item_of(n);
	if (it->key == 0) {
		tern_map_t *m = atomic_exchange(&dying_map, NULL);
		cr_assert_not_null(m);
		tern_map_destroy(m); /* its remaining nodes: this callback, later */
		free(m);
	}
	item_free(it);
}

Test(map, destroy_callback_may_destroy_and_free_the_map_it_came_from)
{
	static const struct tern_map_ops dops = { u64_hash, u64_equal, u64_key, destroy_map_free, NULL };
	tern_map_t *m = malloc(sizeof *m);
	cr_assert_not_null(m);
	cr_assert_eq(tern_map_init(m, &dops, NULL, 0), 0);
	atomic_store(&dying_map, m);
	cr_assert_eq(tern_map_insert(m, &item_new(0, 0)->node), 0);
	cr_assert(tern_map_remove(m, &(uint64_t){ 0 })); /* its callback destroys the map */
	/* Keep writing (inserts, removes, resizes) until that callback ran
	 * inside one of these calls. */
	uint64_t k = 1;
	for (long i = 0; i < 10000000 && atomic_load(&dying_map) != NULL; i++, k++) {
		cr_assert_eq(tern_map_insert(m, &item_new(k, 0)->node), 0);
		if (k % 3 == 0 && atomic_load(&dying_map) != NULL)
			cr_assert(tern_map_remove(m, &k));
	}
	cr_assert_null(atomic_load(&dying_map), "the callback never ran");
	tern_epoch_barrier();
	cr_assert_eq(made, destroyed, "every node destroyed exactly once (%ld made, %ld destroyed)", made,
		     destroyed);
}

/* tern_map_resize() presizes: automatic shrinking stops at that size. */
Test(map, explicit_resize_sets_the_shrink_floor)
{
	tern_map_t m;
	cr_assert_eq(tern_map_init(&m, &ops, NULL, 0), 0);
	cr_assert_eq(tern_map_resize(&m, 4096), 0);
	cr_assert_eq(tern_map_buckets(&m), 4096);
	for (uint64_t k = 0; k < 10; k++)
		cr_assert_eq(tern_map_insert(&m, &item_new(k, 0)->node), 0);
	for (uint64_t k = 0; k < 10; k++)
		cr_assert(tern_map_remove(&m, &k));
	cr_assert_eq(tern_map_buckets(&m), 4096, "auto-shrunk to %zu", tern_map_buckets(&m));
	for (uint64_t k = 0; k < 3 * 8192; k++)
		cr_assert_eq(tern_map_insert(&m, &item_new(k, 0)->node), 0);
	cr_assert_gt(tern_map_buckets(&m), 4096, "auto-grows above the floor");
	cr_assert_eq(tern_map_resize(&m, 16), 0); /* a smaller explicit size lowers the floor */
	drain(&m);
}
