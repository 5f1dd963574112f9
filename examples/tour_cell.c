/* SPDX-License-Identifier: MIT */
#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <tern.h>

/* tour:begin */
struct config { int port; };
static int freed;
static void free_config(void *c) { free(c); freed++; }

static void demo(struct config *a, struct config *b)   /* a->port == 80 */
{
	tern_cell_t cfg;                                /* sizeof == sizeof(void *) */
	tern_cell_init(&cfg, a, free_config);           /* the cell owns a */

	tern_epoch_pin();
	const struct config *c = tern_cell_load(&cfg);  /* valid until unpin */
	tern_cell_store(&cfg, b);                       /* a: freed after a grace period */
	assert(c->port == 80 && freed == 0);
	tern_epoch_unpin();
	tern_cell_destroy(&cfg);                        /* b: after a grace period */
}
/* tour:end */

int main(void)
{
	struct config *a = malloc(sizeof *a), *b = malloc(sizeof *b);
	if (!a || !b)
		abort();
	a->port = 80, b->port = 443;
	demo(a, b);

	int port = 8080, out = 0;                       /* copy cell: small plain values */
	tern_cell_t pc;
	if (tern_cell_init_copy(&pc, &port, sizeof port) != 0)
		abort();                                /* ENOMEM */
	bool ok = tern_cell_load_copy(&pc, &out, sizeof out); /* pins inside, no lock */
	assert(ok && out == 8080);
	tern_cell_destroy(&pc);

	tern_epoch_barrier();
	assert(freed == 2);
	return 0;
}
