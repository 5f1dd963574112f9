/* SPDX-License-Identifier: MIT */
#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <tern.h>

struct config { int port; };
static int freed;

static struct config *load_config(int port)
{
	struct config *c = malloc(sizeof *c);
	if (!c)
		abort();
	c->port = port;
	return c;
}

static void free_config(void *c) { free(c); freed++; }

int main(void)
{
	tern_cell_t cfg;                                /* sizeof == sizeof(void *) */
	tern_cell_init(&cfg, load_config(80), free_config);

	tern_epoch_pin();
	const struct config *c = tern_cell_load(&cfg);  /* valid until unpin */
	tern_cell_store(&cfg, load_config(443));        /* old one: after a grace period */
	assert(c->port == 80 && freed == 0);
	tern_epoch_unpin();

	tern_cell_t port;                               /* copy cell: small plain values */
	int p = 8080, q = 0;
	if (tern_cell_init_copy(&port, &p, sizeof p) != 0)
		abort();                                /* ENOMEM */
	bool ok = tern_cell_load_copy(&port, &q, sizeof q);  /* pins inside, no lock */
	assert(ok && q == 8080);

	tern_cell_destroy(&port);
	tern_cell_destroy(&cfg);
	tern_epoch_barrier();
	assert(freed == 2);
	return 0;
}
