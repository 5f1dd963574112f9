/* SPDX-License-Identifier: MIT */
/*
 * tests/common/tern_obj.h — the poisoned objects of the epoch suites
 * (tests/epoch/test_stress.c, test_reclaim.c): obj_new() makes one with a
 * magic word and a payload, obj_destroy() (a tern_epoch_defer destructor)
 * aborts on a second destruction, poisons and frees it and counts it,
 * obj_check() aborts if a reader sees a destroyed one.  allocated and
 * destroyed count them all, destroyed_by[owner] those of one owner
 * (obj_new_owned).
 */
#ifndef TERN_OBJ_H
#define TERN_OBJ_H

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define MAGIC 0x5afe5afe5afe5afeULL
#define POISON 0xdeaddeaddeaddeadULL
#define NOWNERS 8

struct obj {
	_Atomic uint64_t magic;
	uint64_t payload[3];
	unsigned owner; /* which counter of destroyed_by counts it */
};

static atomic_long allocated, destroyed;
static atomic_long destroyed_by[NOWNERS];

static inline struct obj *obj_new_owned(uint64_t v, unsigned owner)
{
	struct obj *o = malloc(sizeof *o);
	if (!o)
		abort();
	/* Relaxed: published by the release store or exchange that makes the
	 * object reachable (or by the defer, for objects never shared). */
	atomic_store_explicit(&o->magic, MAGIC, memory_order_relaxed);
	o->payload[0] = o->payload[1] = o->payload[2] = v;
	o->owner = owner;
	/* Relaxed: a counter compared after the threads are joined or after a
	 * barrier, which order it. */
	atomic_fetch_add_explicit(&allocated, 1, memory_order_relaxed);
	return o;
}

static inline struct obj *obj_new(uint64_t v)
{
	return obj_new_owned(v, 0);
}

/* Aborts unless o is intact (the reader-side poison check). */
static inline void obj_check(const struct obj *o, const char *who)
{
	/* Relaxed: the object must be intact while the reader is protected;
	 * a destroyed one shows POISON (or is reported by ASan). */
	uint64_t m = atomic_load_explicit(&o->magic, memory_order_relaxed);
	uint64_t a = o->payload[0], b = o->payload[2];
	if (m != MAGIC || a != b || a == POISON) {
		fprintf(stderr, "%s saw a retired object (magic %llx)\n", who, (unsigned long long)m);
		abort();
	}
}

static inline void obj_destroy(void *p)
{
	struct obj *o = p;
	/* Relaxed: the exactly-once check; the GC orders the destruction
	 * after every reader's use. */
	if (atomic_exchange_explicit(&o->magic, POISON, memory_order_relaxed) != MAGIC) {
		fprintf(stderr, "double destruction\n");
		abort();
	}
	o->payload[0] = o->payload[1] = o->payload[2] = POISON;
	unsigned owner = o->owner;
	free(o);
	/* Release: pairs with the acquire loads of destroyed_by[] in the tests
	 * that poll, while the GC runs, how many of one owner's objects are
	 * destroyed. */
	atomic_fetch_add_explicit(&destroyed_by[owner], 1, memory_order_release);
	/* Relaxed: see obj_new_owned(). */
	atomic_fetch_add_explicit(&destroyed, 1, memory_order_relaxed);
}

#endif /* TERN_OBJ_H */
