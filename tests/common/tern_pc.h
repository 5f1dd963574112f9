/* SPDX-License-Identifier: MIT */
/*
 * tests/common/tern_pc.h — producers and consumers with exact accounting,
 * shared by the queue and stack stress suites (tests/queue, tests/stack).
 *
 * pc_run() starts PC_PRODUCERS producers, each putting per_producer new
 * items (numbered 0, 1, ... with its own index) into the container, and
 * PC_CONSUMERS consumers; a consumer passes every item it takes to
 * pc_take(), which checks that it is live and taken for the first time,
 * and its destructor calls pc_free(), which poisons and frees it once.
 * pc_check() then asserts that every item was taken exactly once, seen
 * intact and destroyed exactly once.  An item is a struct whose first
 * member is a struct pc_item.  Include after criterion/criterion.h.
 */
#ifndef TERN_PC_H
#define TERN_PC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "tern_test.h"

#define LIVE 0x11fe11fe11fe11feULL
#define POISON 0xdeaddeaddeaddeadULL

#define PC_PRODUCERS 2
#define PC_CONSUMERS 2

struct pc_item {
	_Atomic(uint64_t) magic;
	unsigned producer;
	unsigned long seq;
};

static struct {
	unsigned long per_producer;
	size_t size;                      /* of an item */
	void (*put)(struct pc_item *it);  /* into the container */
	void (*consumer)(unsigned c);     /* consumer c's loop */
	atomic_long made, freed, taken, bad_magic, dup, double_free;
	atomic_int producers_done;
	atomic_uchar *seen; /* [producer * per_producer + seq] */
} pc;

/* => whether every producer has finished.  Read before a take: a consumer
 * that saw them done and then found the container empty has taken all. */
static inline bool pc_producers_done(void)
{
	/* Seq_cst (default): pairs with the producers' increment after their
	 * last put, which this load orders before the caller's next take. */
	return atomic_load(&pc.producers_done) == PC_PRODUCERS;
}

/* Checks and accounts one item taken from the container: => false
 * (counted in bad_magic) if it is not live or not one of ours, then do not
 * hand it back; counts a second take of the same item in dup. */
static inline bool pc_take(struct pc_item *it)
{
	/* Relaxed: the container's take ordered the item's initialisation
	 * before this read; a poisoned item shows POISON. */
	if (atomic_load_explicit(&it->magic, memory_order_relaxed) != LIVE || it->producer >= PC_PRODUCERS ||
	    it->seq >= pc.per_producer) {
		atomic_fetch_add(&pc.bad_magic, 1);
		return false;
	}
	if (atomic_exchange(&pc.seen[it->producer * pc.per_producer + it->seq], 1) != 0)
		atomic_fetch_add(&pc.dup, 1);
	/* Relaxed: a counter read after the threads are joined. */
	atomic_fetch_add_explicit(&pc.taken, 1, memory_order_relaxed);
	return true;
}

/* The item's destructor: poisons and frees it, or counts a second
 * destruction in double_free. */
static inline void pc_free(struct pc_item *it)
{
	if (atomic_exchange(&it->magic, POISON) != LIVE) {
		atomic_fetch_add(&pc.double_free, 1);
		return;
	}
	it->seq = (unsigned long)-1;
	free(it);
	/* Relaxed: a counter read after the threads are joined and a barrier. */
	atomic_fetch_add_explicit(&pc.freed, 1, memory_order_relaxed);
}

static inline void pc_producer(unsigned p)
{
	for (unsigned long i = 0; i < pc.per_producer; i++) {
		struct pc_item *it = malloc(pc.size);
		if (it == NULL)
			abort();
		/* Relaxed: published by the container's put. */
		atomic_store_explicit(&it->magic, LIVE, memory_order_relaxed);
		it->producer = p;
		it->seq = i;
		/* Relaxed: a counter read after the threads are joined. */
		atomic_fetch_add_explicit(&pc.made, 1, memory_order_relaxed);
		pc.put(it);
	}
	/* Seq_cst (default): pairs with the load in pc_producers_done(). */
	atomic_fetch_add(&pc.producers_done, 1);
}

static inline void *pc_role(void *arg)
{
	unsigned i = (unsigned)(uintptr_t)arg;
	if (i < PC_PRODUCERS)
		pc_producer(i);
	else
		pc.consumer(i - PC_PRODUCERS);
	return NULL;
}

/* Runs the producers (tern_test_iters(base) items each, of `size` bytes,
 * put with put()) and the consumers (consumer(c)); joins them. */
static inline void pc_run(unsigned long base, size_t size, void (*put)(struct pc_item *), void (*consumer)(unsigned))
{
	pc.per_producer = tern_test_iters(base);
	pc.size = size;
	pc.put = put;
	pc.consumer = consumer;
	pc.seen = calloc(PC_PRODUCERS * pc.per_producer, 1);
	cr_assert_not_null(pc.seen);
	pthread_t t[PC_PRODUCERS + PC_CONSUMERS];
	for (unsigned i = 0; i < PC_PRODUCERS + PC_CONSUMERS; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, pc_role, (void *)(uintptr_t)i), 0);
	for (unsigned i = 0; i < PC_PRODUCERS + PC_CONSUMERS; i++)
		pthread_join(t[i], NULL);
}

/* After the container is destroyed and a barrier: every item was taken
 * ("dequeued", "popped") exactly once, intact, and destroyed once. */
static inline void pc_check(const char *taken)
{
	cr_assert_eq(atomic_load(&pc.bad_magic), 0, "a consumer saw a poisoned or corrupt node");
	cr_assert_eq(atomic_load(&pc.dup), 0, "a node was %s twice", taken);
	cr_assert_eq(atomic_load(&pc.double_free), 0);
	cr_assert_eq(atomic_load(&pc.taken), (long)(PC_PRODUCERS * pc.per_producer), "nodes lost");
	for (unsigned long i = 0; i < PC_PRODUCERS * pc.per_producer; i++)
		cr_assert_eq(atomic_load(&pc.seen[i]), 1, "node %lu never %s", i, taken);
	cr_assert_eq(atomic_load(&pc.freed), atomic_load(&pc.made), "every node destroyed exactly once");
	free(pc.seen);
}

#endif /* TERN_PC_H */
