/* SPDX-License-Identifier: MIT */
#include <assert.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <tern.h>

/* tour:begin */
struct config { int port; };
static struct config *_Atomic current;         /* main() stores one with port 80 */
static int freed;
static void config_free(void *c) { free(c); freed++; }

static void demo(struct config *b)
{
	tern_epoch_pin();                       /* reader: any thread, never blocks */
	const struct config *c = atomic_load_explicit(&current, memory_order_acquire);

	struct config *old = atomic_exchange(&current, b); /* writer: unlink, */
	tern_epoch_defer(old, config_free);     /* then config_free(old) runs once, later */
	assert(c->port == 80 && freed == 0);    /* c stays valid until unpin */
	tern_epoch_unpin();

	tern_epoch_defer_free(atomic_exchange(&current, NULL));
	tern_epoch_barrier();                   /* all deferred so far, by any thread: destroyed */
	assert(freed == 1);
}
/* tour:end */

int main(void)
{
	struct config *a = malloc(sizeof *a), *b = malloc(sizeof *b);
	if (!a || !b)
		abort();
	a->port = 80, b->port = 443;
	atomic_store(&current, a);
	demo(b);
	return 0;
}
