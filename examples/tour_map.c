/* SPDX-License-Identifier: MIT */
#include <assert.h>
#include <stdlib.h>
#include <tern.h>

/* tour:begin */
struct user { uint64_t id; int age; struct tern_map_node node; };
static int freed;
static void user_free(struct user *u) { free(u); freed++; }

/* users_t: keys compared byte for byte, hashed with a seeded SipHash */
TERN_MAP_DEFINE(users, struct user, node, uint64_t, id, user_free);

static void demo(users_t *m, struct user *a, struct user *b)  /* both id 7 */
{
	users_insert(m, a);                      /* writers lock one bucket */
	tern_epoch_pin();
	struct user *u = users_lookup(m, 7);     /* lock-free, writes nothing */
	users_replace(m, b);                     /* a retired: freed after a grace period */
	assert(u == a && u->age == 30 && freed == 0);  /* u valid until unpin */
	for (struct user *it = users_first(m); it; it = users_next(m, it))
		assert(it == b);                 /* safe against concurrent writers */
	tern_epoch_unpin();
	users_remove(m, 7);
}
/* tour:end */

int main(void)
{
	users_t m;
	if (users_init(&m, NULL, TERN_MAP_SEED_RANDOM) != 0)
		abort();
	struct user *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);  /* nodes start zeroed */
	if (!a || !b)
		abort();
	a->id = b->id = 7, a->age = 30, b->age = 31;
	demo(&m, a, b);
	users_destroy(&m);
	tern_epoch_barrier();
	assert(freed == 2);
	return 0;
}
