/* SPDX-License-Identifier: MIT */
/*
 * tests/common/tern_map_item.h — the item of the map suites (tests/map): a
 * node keyed by a uint64_t.  Include it after defining `struct item` with
 * the members `struct tern_map_node node` and `uint64_t key`; it gives
 * item_of() (NULL for NULL) and the callbacks of a struct tern_map_ops over
 * that key: u64_hash (tern_map_hash_bytes of its 8 bytes), u64_equal and
 * u64_key.
 */
#ifndef TERN_MAP_ITEM_H
#define TERN_MAP_ITEM_H

#include <stddef.h>
#include <stdint.h>

#include "tern/map.h"

static inline struct item *item_of(const struct tern_map_node *n)
{
	return n ? (struct item *)(void *)((char *)n - offsetof(struct item, node)) : NULL;
}

static inline uint64_t u64_hash(const void *key, uint64_t seed, void *ctx)
{
	(void)ctx;
	return tern_map_hash_bytes(key, sizeof(uint64_t), seed);
}

static inline bool u64_equal(const struct tern_map_node *n, const void *key, void *ctx)
{
	(void)ctx;
	return item_of(n)->key == *(const uint64_t *)key;
}

static inline const void *u64_key(const struct tern_map_node *n, void *ctx)
{
	(void)ctx;
	return &item_of(n)->key;
}

#endif /* TERN_MAP_ITEM_H */
