/* SPDX-License-Identifier: MIT */
#include <assert.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <tern.h>

struct config { int port; };
static struct config *_Atomic current;
static int freed;

static struct config *config_new(int port)
{
	struct config *c = malloc(sizeof *c);
	if (!c)
		abort();
	c->port = port;
	return c;
}

static void config_free(void *c) { free(c); freed++; }

int main(void)
{
	atomic_store(&current, config_new(80));

	/* reader: any number of threads, never blocks */
	tern_epoch_pin();
	const struct config *c = atomic_load_explicit(&current, memory_order_acquire);

	/* writer (here the same thread, while the reader is still pinned) */
	struct config *old = atomic_exchange_explicit(&current, config_new(443),
						      memory_order_acq_rel);
	tern_epoch_defer(old, config_free);     /* config_free(old) runs once, later */

	assert(c->port == 80 && freed == 0);    /* c stays valid until unpin */
	tern_epoch_unpin();

	tern_epoch_barrier();                   /* all deferred so far: destroyed */
	assert(freed == 1);
	tern_epoch_defer(atomic_exchange(&current, NULL), config_free);
	tern_epoch_barrier();
	assert(freed == 2);
	return 0;
}
