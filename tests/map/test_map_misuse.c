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

#include "../common/tern_map_item.h"

static void item_free(struct item *it)
{
	free(it);
}

static void node_free(struct tern_map_node *n)
{
	item_free(item_of(n));
}

static uint64_t same_hash(const void *key, uint64_t seed, void *ctx)
{
	(void)key, (void)seed, (void)ctx;
	return 7;
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

/* The test map_misuse.<name>: the body (one statement for DEATH_DOES) runs
 * in a child that must abort with a message naming `call` ("<call>:"). */
#define DEATH(name, call) TERN_DEATH(map_misuse, name, call ":")
#define DEATH_DOES(name, call, ...) TERN_DEATH_DOES(map_misuse, name, call ":", __VA_ARGS__)

DEATH(lookup_unpinned, "tern_map_lookup")
{
	tern_map_t *m = map_new(&ops);
	uint64_t k = 1;
	tern_map_lookup(m, &k);
}

DEATH(lookup_pinned_in_another_domain, "tern_map_lookup")
{
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
	static tmap_t m;
	if (tmap_init(&m, NULL, 0) != 0)
		_exit(3);
	tmap_lookup(&m, 1);
}

DEATH_DOES(first_unpinned, "tern_map_first", tern_map_first(map_new(&ops)))

DEATH(next_null_node, "tern_map_next")
{
	tern_map_t *m = map_new(&ops);
	tern_epoch_pin();
	tern_map_next(m, NULL);
}

DEATH(remove_node_unpinned, "tern_map_remove_node")
{
	tern_map_t *m = map_new(&ops);
	struct item *it = item_new(1);
	tern_map_insert(m, &it->node);
	tern_map_remove_node(m, &it->node);
}

DEATH(lookup_null_map, "tern_map_lookup")
{
	uint64_t k = 1;
	tern_epoch_pin();
	tern_map_lookup(NULL, &k);
}

DEATH_DOES(insert_null_map, "tern_map_insert", tern_map_insert(NULL, &item_new(1)->node))
DEATH_DOES(insert_null_node, "tern_map_insert", tern_map_insert(map_new(&ops), NULL))

DEATH(remove_null_map, "tern_map_remove")
{
	uint64_t k = 1;
	tern_map_remove(NULL, &k);
}

DEATH(insert_twice, "tern_map_insert")
{
	tern_map_t *m = map_new(&ops);
	struct item *it = item_new(1);
	if (tern_map_insert(m, &it->node) != 0)
		_exit(3);
	it->key = 2; /* a different key: not caught as EEXIST */
	tern_map_insert(m, &it->node);
}

DEATH(insert_into_two_maps, "tern_map_insert")
{
	static tern_map_t a, b;
	if (tern_map_init(&a, &ops, NULL, 0) != 0 || tern_map_init(&b, &ops, NULL, 0) != 0)
		_exit(3);
	struct item *it = item_new(1);
	tern_map_insert(&a, &it->node);
	tern_map_insert(&b, &it->node);
}

DEATH(replace_with_linked_node, "tern_map_replace")
{
	tern_map_t *m = map_new(&ops);
	struct item *it = item_new(1);
	tern_map_insert(m, &it->node);
	tern_map_replace(m, &it->node);
}

DEATH(insert_after_destroy, "tern_map_insert")
{
	tern_map_t *m = map_new(&ops);
	tern_map_destroy(m);
	tern_map_insert(m, &item_new(1)->node);
}

DEATH(lookup_after_destroy, "tern_map_lookup")
{
	tern_map_t *m = map_new(&ops);
	tern_map_destroy(m);
	uint64_t k = 1;
	tern_epoch_pin();
	tern_map_lookup(m, &k);
}

DEATH(resize_after_destroy, "tern_map_resize")
{
	tern_map_t *m = map_new(&ops);
	tern_map_destroy(m);
	tern_map_resize(m, 64);
}

DEATH(destroy_twice, "tern_map_destroy")
{
	tern_map_t *m = map_new(&ops);
	tern_map_destroy(m);
	tern_map_destroy(m);
}

DEATH_DOES(destroy_null, "tern_map_destroy", tern_map_destroy(NULL))

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
