/* SPDX-License-Identifier: MIT */
/*
 * bench/lazy/impl_floor.c — the physical limit: the peers' container
 * (harness.h) with no reclamation at all.  A read is two loads (source,
 * value) and the check; replaced values go to a graveyard freed only after
 * the run, so this is not a usable container (memory grows with every
 * transform) — only the floor the others are compared with.
 *
 * The value load is an acquire load so the harness stays free of data races;
 * on x86-64 and other TSO machines it is the same instruction as a relaxed
 * load, so the floor is "two relaxed loads" there.
 *
 * Also the breakdown's "load" row: one relaxed load of a u64.
 */
#include "harness.h"

struct floor_val {
	struct floor_val *next_dead; /* graveyard link */
	struct bench_str str;
};

/* Replaced values of the current run (one container at a time); written
 * under the container's transform_lock, freed after the threads are joined. */
static struct floor_val *floor_graveyard;

static void floor_retire(void *old)
{
	struct floor_val *v = old;
	v->next_dead = floor_graveyard;
	floor_graveyard = v;
}

static void floor_destroy(void *obj)
{
	while (floor_graveyard) {
		struct floor_val *next = floor_graveyard->next_dead;
		free(floor_graveyard);
		floor_graveyard = next;
	}
	lazy_peer_destroy(obj);
}

LAZY_PEER_DEFINE(floor, struct floor_val, floor_retire, (void)0, (void)0, (void)0, (void)0)

LAZY_PEER_IMPL(floor, "floor", "two loads, no reclamation (not a usable container: the physical limit)",
	       floor_destroy, {0});

/* ---- breakdown: one relaxed load ----------------------------------------------- */

static _Atomic uint64_t none_bd_x = 1;

static void none_bd_load(struct bench_thread *t)
{
	BENCH_LOOP(t, {
		/* Relaxed: a counter-like read with no ordering needed. */
		hits_ += atomic_load_explicit(&none_bd_x, memory_order_relaxed) & 1;
		/* Compiler barrier only: keeps the 64 loads of a batch from being
		 * merged (the Rust row uses an asm load for the same purpose). */
		atomic_signal_fence(memory_order_seq_cst);
	});
}

const struct breakdown_impl lazy_bd_none = {
	.name = "none",
	.desc = "one relaxed load of a u64, no pin",
	.consume = { none_bd_load },
};
