/* SPDX-License-Identifier: MIT */
/* tern_stack, single-threaded: every operation, ownership at destroy, the
 * explicit-domain and QSBR forms, polled grace periods, a property test
 * against a sequential model (seeded random operation sequences compared
 * step by step), and misuse in debug builds (death tests). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "tern/epoch.h"
#include "tern/stack.h"
#include "../common/tern_test.h"

struct item {
	int value;
	struct tern_stack_node node;
	struct tern_epoch_entry entry;
};

static int destroyed_count;
static int destroyed_values[64];

static void record_destroy(struct tern_stack_node *n)
{
	struct item *it = tern_stack_entry(n, struct item, node);
	destroyed_values[destroyed_count++] = it->value;
}

static int pop_value(tern_stack_t *s)
{
	struct item *it = tern_stack_entry(tern_stack_pop(s), struct item, node);
	return it ? it->value : -1;
}

Test(stack, init_rejects_null_and_static_init_works)
{
	cr_assert_eq(tern_stack_init(NULL, NULL), EINVAL);
	tern_stack_t s = TERN_STACK_INIT;
	cr_assert(tern_stack_is_empty(&s));
	cr_assert_null(tern_stack_pop(&s));
	cr_assert_eq(tern_stack_domain(&s), tern_epoch_default_domain());
	cr_assert_eq(tern_stack_destroy(&s, NULL), 0);
}

Test(stack, push_pop_is_lifo)
{
	tern_stack_t s;
	cr_assert_eq(tern_stack_init(&s, NULL), 0);
	struct item it[5];
	for (int i = 0; i < 5; i++) {
		it[i].value = i;
		tern_stack_push(&s, &it[i].node);
		cr_assert_not(tern_stack_is_empty(&s));
	}
	for (int i = 4; i >= 0; i--)
		cr_assert_eq(pop_value(&s), i);
	cr_assert(tern_stack_is_empty(&s));
	cr_assert_eq(pop_value(&s), -1, "pop of an empty stack returns NULL");
	cr_assert_eq(tern_stack_destroy(&s, NULL), 0);
}

Test(stack, pop_all_returns_top_first_and_empties)
{
	tern_stack_t s;
	tern_stack_init(&s, NULL);
	cr_assert_null(tern_stack_pop_all(&s));
	struct item it[4];
	for (int i = 0; i < 4; i++) {
		it[i].value = 10 + i;
		tern_stack_push(&s, &it[i].node);
	}
	struct tern_stack_node *list = tern_stack_pop_all(&s);
	cr_assert(tern_stack_is_empty(&s));
	int expect = 13, count = 0;
	for (struct tern_stack_node *n = list; n != NULL; n = tern_stack_next(n), count++)
		cr_assert_eq(tern_stack_entry(n, struct item, node)->value, expect--);
	cr_assert_eq(count, 4);
	/* The stack still works after pop_all. */
	tern_stack_push(&s, &it[0].node);
	cr_assert_eq(pop_value(&s), 10);
	tern_stack_destroy(&s, NULL);
}

Test(stack, entry_macro_maps_null_to_null)
{
	cr_assert_null(tern_stack_entry((struct tern_stack_node *)NULL, struct item, node));
	struct item it;
	cr_assert_eq(tern_stack_entry(&it.node, struct item, node), &it);
}

Test(stack, destroy_hands_back_remaining_nodes_top_first)
{
	tern_stack_t s;
	tern_stack_init(&s, NULL);
	struct item it[3];
	for (int i = 0; i < 3; i++) {
		it[i].value = i;
		tern_stack_push(&s, &it[i].node);
	}
	destroyed_count = 0;
	cr_assert_eq(tern_stack_destroy(&s, record_destroy), 0);
	cr_assert_eq(destroyed_count, 3);
	cr_assert_eq(destroyed_values[0], 2);
	cr_assert_eq(destroyed_values[1], 1);
	cr_assert_eq(destroyed_values[2], 0);
	/* init makes a destroyed stack usable again. */
	cr_assert_eq(tern_stack_init(&s, NULL), 0);
	tern_stack_push(&s, &it[1].node);
	cr_assert_eq(pop_value(&s), 1);
	cr_assert_eq(tern_stack_destroy(&s, NULL), 0);
}

/* Heap items retired through the epoch domain of the stack. */
static atomic_int freed;

static void item_free_entry(struct tern_epoch_entry *e)
{
	struct item *it = (struct item *)((char *)e - offsetof(struct item, entry));
	it->value = -12345;
	free(it);
	atomic_fetch_add(&freed, 1);
}

Test(stack, explicit_domain_pop_pinned_and_retire_through_it)
{
	tern_epoch_domain_t *d;
	cr_assert_eq(tern_epoch_domain_create(&d), 0);
	tern_stack_t s;
	cr_assert_eq(tern_stack_init(&s, d), 0);
	cr_assert_eq(tern_stack_domain(&s), d);
	atomic_store(&freed, 0);
	for (int i = 0; i < 100; i++) {
		struct item *it = malloc(sizeof *it);
		cr_assert_not_null(it);
		it->value = i;
		tern_stack_push(&s, &it->node);
	}
	/* A caller already pinned in the domain: pop nests nothing. */
	tern_epoch_domain_pin(d);
	for (int i = 99; i >= 50; i--) {
		struct item *it = tern_stack_entry(tern_stack_pop(&s), struct item, node);
		cr_assert_eq(it->value, i);
		tern_epoch_domain_call(d, &it->entry, item_free_entry);
	}
	cr_assert(tern_epoch_domain_is_pinned(d));
	tern_epoch_domain_unpin(d);
	/* Unpinned: pop pins itself, and leaves the thread unpinned. */
	for (int i = 49; i >= 0; i--) {
		struct item *it = tern_stack_entry(tern_stack_pop(&s), struct item, node);
		cr_assert_eq(it->value, i);
		cr_assert_not(tern_epoch_domain_is_pinned(d));
		tern_epoch_domain_call(d, &it->entry, item_free_entry);
	}
	tern_epoch_domain_barrier(d);
	cr_assert_eq(atomic_load(&freed), 100);
	cr_assert_eq(tern_stack_destroy(&s, NULL), 0);
	tern_epoch_domain_destroy(d);
}

Test(stack, pop_from_an_online_qsbr_thread)
{
	tern_stack_t s;
	tern_stack_init(&s, NULL);
	struct item it = { .value = 7 };
	tern_stack_push(&s, &it.node);
	tern_epoch_online();
	cr_assert_eq(pop_value(&s), 7);
	cr_assert(tern_epoch_is_pinned(), "still online after the pop");
	tern_epoch_offline();
	cr_assert_not(tern_epoch_is_pinned());
	tern_stack_destroy(&s, NULL);
}

Test(stack, poll_state_tells_when_a_popped_node_is_reusable)
{
	tern_stack_t s;
	tern_stack_init(&s, NULL);
	struct item it = { .value = 1 };
	tern_stack_push(&s, &it.node);
	cr_assert_eq(pop_value(&s), 1);
	uint64_t cookie = tern_stack_get_state(&s);
	int polls = 0;
	while (!tern_stack_poll_state(&s, cookie)) {
		cr_assert_lt(++polls, 1000000, "a grace period never elapsed with no thread pinned");
		tern_epoch_collect();
	}
	/* Reusable now: push it again. */
	tern_stack_push(&s, &it.node);
	cr_assert_eq(pop_value(&s), 1);
	tern_stack_destroy(&s, NULL);
}

/* ---- property test against a sequential model ---- */

static uint64_t rng_next(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

Test(stack, random_operations_match_a_sequential_model)
{
	enum { NODES = 64 };
	unsigned long seeds = tern_test_iters(200);
	for (uint64_t seed = 1; seed <= seeds; seed++) {
		uint64_t r = seed * 0x9e3779b97f4a7c15ULL + 1;
		tern_stack_t s;
		tern_stack_init(&s, NULL);
		struct item it[NODES];
		bool on_stack[NODES] = { false };
		int model[NODES], len = 0;
		for (int i = 0; i < NODES; i++)
			it[i].value = i;
		for (int step = 0; step < 500; step++) {
			unsigned op = (unsigned)(rng_next(&r) % 16);
			if (op < 8) { /* push a node not on the stack, if any */
				int i = (int)(rng_next(&r) % NODES);
				for (int k = 0; k < NODES && on_stack[i]; k++)
					i = (i + 1) % NODES;
				if (on_stack[i])
					continue;
				tern_stack_push(&s, &it[i].node);
				on_stack[i] = true;
				model[len++] = i;
			} else if (op < 14) {
				int got = pop_value(&s);
				int want = len ? model[--len] : -1;
				cr_assert_eq(got, want, "seed %llu step %d: pop %d, model %d",
					     (unsigned long long)seed, step, got, want);
				if (got >= 0)
					on_stack[got] = false;
			} else if (op == 14) {
				struct tern_stack_node *n = tern_stack_pop_all(&s);
				while (len > 0) {
					cr_assert_not_null(n, "seed %llu step %d: pop_all too short",
							   (unsigned long long)seed, step);
					int v = tern_stack_entry(n, struct item, node)->value;
					cr_assert_eq(v, model[--len], "seed %llu step %d: pop_all order",
						     (unsigned long long)seed, step);
					on_stack[v] = false;
					n = tern_stack_next(n);
				}
				cr_assert_null(n, "seed %llu step %d: pop_all too long", (unsigned long long)seed,
				               step);
			} else {
				cr_assert_eq(tern_stack_is_empty(&s), len == 0);
			}
		}
		destroyed_count = 0;
		int remaining = len;
		cr_assert_eq(tern_stack_destroy(&s, record_destroy), 0);
		cr_assert_eq(destroyed_count, remaining);
		for (int k = 0; k < remaining; k++)
			cr_assert_eq(destroyed_values[k], model[remaining - 1 - k]);
	}
}

/* ---- misuse: debug builds abort with a message naming the call ---- */

/* The test stack_misuse.<name>: the body (one statement for DEATH_DOES) runs in
 * a child that must abort with `msg` in its stderr. */
#define DEATH(name, msg) TERN_DEATH(stack_misuse, name, msg)
#define DEATH_DOES(name, msg, ...) TERN_DEATH_DOES(stack_misuse, name, msg, __VA_ARGS__)

/* In the child: an empty stack, and one already destroyed. */
static tern_stack_t *new_stack(void)
{
	static tern_stack_t s;
	tern_stack_init(&s, NULL);
	return &s;
}

static tern_stack_t *destroyed_stack(void)
{
	tern_stack_t *s = new_stack();
	tern_stack_destroy(s, NULL);
	return s;
}

DEATH_DOES(push_null_node_aborts, "tern_stack_push", tern_stack_push(new_stack(), NULL))

DEATH(push_null_stack_aborts, "tern_stack_push")
{
	struct item it;
	tern_stack_push(NULL, &it.node);
}

DEATH(push_twice_aborts, "tern_stack_push: node is already on top")
{
	tern_stack_t *s = new_stack();
	struct item it;
	tern_stack_push(s, &it.node);
	tern_stack_push(s, &it.node);
}

DEATH_DOES(pop_null_aborts, "tern_stack_pop", tern_stack_pop(NULL))
DEATH_DOES(pop_all_null_aborts, "tern_stack_pop_all", tern_stack_pop_all(NULL))

DEATH(destroy_nonempty_without_fn_aborts, "tern_stack_destroy: stack is not empty")
{
	tern_stack_t *s = new_stack();
	struct item it;
	tern_stack_push(s, &it.node);
	tern_stack_destroy(s, NULL);
}

DEATH_DOES(pop_after_destroy_aborts, "tern_stack_pop: stack used after", tern_stack_pop(destroyed_stack()))

DEATH(push_after_destroy_aborts, "tern_stack_push: stack used after")
{
	tern_stack_t *s = destroyed_stack();
	struct item it;
	tern_stack_push(s, &it.node);
}

DEATH_DOES(destroy_twice_aborts, "tern_stack_destroy: stack used after", tern_stack_destroy(destroyed_stack(), NULL))
DEATH_DOES(destroy_null_aborts, "tern_stack_destroy: stack is NULL", tern_stack_destroy(NULL, NULL))
