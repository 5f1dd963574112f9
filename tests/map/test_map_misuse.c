/* SPDX-License-Identifier: MIT */
/*
 * Misuse of tern_map.  Debug builds: each violated precondition of
 * include/tern/map.h aborts, in a forked child, with a message naming the
 * call ("<call>:").  Every build: tern_map_init reports bad arguments with
 * EINVAL and leaves nothing allocated.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "tern/epoch.h"
#include "tern/map.h"
#include "../common/tern_test.h"

struct item {
	struct tern_map_node node;
	uint64_t key;
};

static struct item *item_of(const struct tern_map_node *n)
{
	return (struct item *)(void *)((char *)n - offsetof(struct item, node));
}

static void item_free(struct item *it)
{
	free(it);
}

static void node_free(struct tern_map_node *n)
{
	item_free(item_of(n));
}

static uint64_t u64_hash(const void *key, uint64_t seed, void *ctx)
{
	(void)ctx;
	return tern_map_hash_bytes(key, sizeof(uint64_t), seed);
}

static uint64_t same_hash(const void *key, uint64_t seed, void *ctx)
{
	(void)key, (void)seed, (void)ctx;
	return 7;
}

static bool u64_equal(const struct tern_map_node *n, const void *key, void *ctx)
{
	(void)ctx;
	return item_of(n)->key == *(const uint64_t *)key;
}

static const void *u64_key(const struct tern_map_node *n, void *ctx)
{
	(void)ctx;
	return &item_of(n)->key;
}

static const struct tern_map_ops ops = { u64_hash, u64_equal, u64_key, node_free, NULL };

TERN_MAP_DEFINE(tmap, struct item, node, uint64_t, key, item_free);

static struct item *item_new(uint64_t key)
{
	struct item *it = calloc(1, sizeof *it);
	if (it == NULL)
		abort();
	it->key = key;
	return it;
}

static tern_map_t *map_new(const struct tern_map_ops *o)
{
	static tern_map_t m;
	if (tern_map_init(&m, o, NULL, 1) != 0)
		_exit(3);
	return &m;
}

#define expect_death tern_test_expect_call_death

#define DEATH(name, call)                               \
	static void misuse_##name(void *arg);           \
	Test(map_misuse, name)                          \
	{                                               \
		expect_death(misuse_##name, call);      \
	}                                               \
	static void misuse_##name(void *arg)

DEATH(lookup_unpinned, "tern_map_lookup")
{
	(void)arg;
	tern_map_t *m = map_new(&ops);
	uint64_t k = 1;
	tern_map_lookup(m, &k);
}

DEATH(lookup_pinned_in_another_domain, "tern_map_lookup")
{
	(void)arg;
	tern_epoch_domain_t *d;
	static tern_map_t m;
	if (tern_epoch_domain_create(&d) != 0 || tern_map_init(&m, &ops, d, 0) != 0)
		_exit(3);
	uint64_t k = 1;
	tern_epoch_pin(); /* the default domain, not d */
	tern_map_lookup(&m, &k);
}

DEATH(typed_lookup_unpinned, "tmap_lookup")
{
	(void)arg;
	static tmap_t m;
	if (tmap_init(&m, NULL, 0) != 0)
		_exit(3);
	tmap_lookup(&m, 1);
}

DEATH(first_unpinned, "tern_map_first")
{
	(void)arg;
	tern_map_first(map_new(&ops));
}

DEATH(next_null_node, "tern_map_next")
{
	(void)arg;
	tern_map_t *m = map_new(&ops);
	tern_epoch_pin();
	tern_map_next(m, NULL);
}

DEATH(remove_node_unpinned, "tern_map_remove_node")
{
	(void)arg;
	tern_map_t *m = map_new(&ops);
	struct item *it = item_new(1);
	tern_map_insert(m, &it->node);
	tern_map_remove_node(m, &it->node);
}

DEATH(lookup_null_map, "tern_map_lookup")
{
	(void)arg;
	uint64_t k = 1;
	tern_epoch_pin();
	tern_map_lookup(NULL, &k);
}

DEATH(insert_null_map, "tern_map_insert")
{
	(void)arg;
	tern_map_insert(NULL, &item_new(1)->node);
}

DEATH(insert_null_node, "tern_map_insert")
{
	(void)arg;
	tern_map_insert(map_new(&ops), NULL);
}

DEATH(remove_null_map, "tern_map_remove")
{
	(void)arg;
	uint64_t k = 1;
	tern_map_remove(NULL, &k);
}

DEATH(insert_twice, "tern_map_insert")
{
	(void)arg;
	tern_map_t *m = map_new(&ops);
	struct item *it = item_new(1);
	if (tern_map_insert(m, &it->node) != 0)
		_exit(3);
	it->key = 2; /* a different key: not caught as EEXIST */
	tern_map_insert(m, &it->node);
}

DEATH(insert_into_two_maps, "tern_map_insert")
{
	(void)arg;
	static tern_map_t a, b;
	if (tern_map_init(&a, &ops, NULL, 0) != 0 || tern_map_init(&b, &ops, NULL, 0) != 0)
		_exit(3);
	struct item *it = item_new(1);
	tern_map_insert(&a, &it->node);
	tern_map_insert(&b, &it->node);
}

DEATH(replace_with_linked_node, "tern_map_replace")
{
	(void)arg;
	tern_map_t *m = map_new(&ops);
	struct item *it = item_new(1);
	tern_map_insert(m, &it->node);
	tern_map_replace(m, &it->node);
}

DEATH(insert_after_destroy, "tern_map_insert")
{
	(void)arg;
	tern_map_t *m = map_new(&ops);
	tern_map_destroy(m);
	tern_map_insert(m, &item_new(1)->node);
}

DEATH(lookup_after_destroy, "tern_map_lookup")
{
	(void)arg;
	tern_map_t *m = map_new(&ops);
	tern_map_destroy(m);
	uint64_t k = 1;
	tern_epoch_pin();
	tern_map_lookup(m, &k);
}

DEATH(resize_after_destroy, "tern_map_resize")
{
	(void)arg;
	tern_map_t *m = map_new(&ops);
	tern_map_destroy(m);
	tern_map_resize(m, 64);
}

DEATH(destroy_twice, "tern_map_destroy")
{
	(void)arg;
	tern_map_t *m = map_new(&ops);
	tern_map_destroy(m);
	tern_map_destroy(m);
}

DEATH(destroy_null, "tern_map_destroy")
{
	(void)arg;
	tern_map_destroy(NULL);
}

/* equal runs under the bucket lock in writers: destroying the map from it
 * is destroying it while a writer uses it. */
static tern_map_t *reentrant_map;

static bool destroying_equal(const struct tern_map_node *n, const void *key, void *ctx)
{
	(void)n, (void)key, (void)ctx;
	tern_map_destroy(reentrant_map);
	return false;
}

DEATH(destroy_while_a_writer_holds_a_bucket, "tern_map_destroy")
{
	(void)arg;
	static const struct tern_map_ops bad = { same_hash, destroying_equal, u64_key, node_free, NULL };
	reentrant_map = map_new(&bad);
	tern_map_insert(reentrant_map, &item_new(1)->node);
	tern_map_insert(reentrant_map, &item_new(2)->node); /* equal(1, 2) under the lock */
}

Test(map_misuse, init_reports_einval)
{
	tern_map_t m;
	memset(&m, 0x5a, sizeof m);
	struct tern_map_ops no_key = { u64_hash, u64_equal, NULL, node_free, NULL };
	cr_assert_eq(tern_map_init(NULL, &ops, NULL, 0), EINVAL);
	cr_assert_eq(tern_map_init(&m, NULL, NULL, 0), EINVAL);
	cr_assert_eq(tern_map_init(&m, &no_key, NULL, 0), EINVAL);
	cr_assert_eq(tmap_init(NULL, NULL, 0), EINVAL);
	unsigned char poison[sizeof m];
	memset(poison, 0x5a, sizeof poison);
	cr_assert_eq(memcmp(&m, poison, sizeof m), 0, "a rejected init leaves the map untouched");
}
