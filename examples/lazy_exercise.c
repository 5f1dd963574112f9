/* SPDX-License-Identifier: MIT */
/* The LazyTransform exercise: a producer publishes sources, readers get the
 * cached transform, transforming lazily and at most once per source. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
/* tour:begin */
#include <tern/lazy_transform.h> /* or <tern.h> */

struct reading { uint64_t n; };          /* the source */
struct report { uint64_t n_plus_one; };  /* the (expensive) transform of it */

static struct report *transform(const struct reading *r)
{
	struct report *v = malloc(sizeof *v);
	if (v)
		v->n_plus_one = r->n + 1;
	return v;                        /* NULL keeps the previous value */
}

static void free_reading(struct reading *r) { free(r); }
static void free_report(struct report *v) { free(v); }

/* lazy_t: two pointers and a one-byte lock; transform called directly. */
TERN_LAZY_DEFINE(lazy, struct reading, struct report, transform, free_reading, free_report);

enum { SOURCES = 10000, READERS = 2 };
static lazy_t lt = TERN_LAZY_TYPED_INIT; /* a producer calls lazy_set_source(&lt, r) */

static void *reader(void *arg)
{
	uint64_t *last = arg;
	for (int i = 0; i < 100000; i++) {
		tern_epoch_pin();
		const struct report *v = lazy_get_transformed(&lt); /* borrowed */
		if (v) {
			if (v->n_plus_one < 1 || v->n_plus_one > SOURCES || v->n_plus_one < *last)
				abort();         /* never a stale value after a newer one */
			*last = v->n_plus_one;
		}
		tern_epoch_unpin();              /* v is not used past here */
	}
	return NULL;
}
/* tour:end */

static void *producer(void *arg)
{
	(void)arg;
	for (uint64_t i = 0; i < SOURCES; i++) {
		struct reading *r = malloc(sizeof *r);
		if (!r)
			abort();
		r->n = i;
		lazy_set_source(&lt, r);         /* never waits */
	}
	return NULL;
}

int main(void)
{
	pthread_t p, r[READERS];
	uint64_t last[READERS] = { 0 };
	pthread_create(&p, NULL, producer, NULL);
	for (int i = 0; i < READERS; i++)
		pthread_create(&r[i], NULL, reader, &last[i]);
	pthread_join(p, NULL);
	for (int i = 0; i < READERS; i++)
		pthread_join(r[i], NULL);

	struct report final;                     /* copy-out: no pin to manage */
	if (!lazy_get_copy(&lt, &final) || final.n_plus_one != SOURCES) {
		fprintf(stderr, "lazy_exercise: wrong final value\n");
		return 1;
	}
	printf("final value %" PRIu64 "; readers last saw %" PRIu64 " and %" PRIu64 "\n",
	       final.n_plus_one, last[0], last[1]);
	lazy_destroy(&lt);
	tern_epoch_barrier();                    /* everything destroyed, once */
	return 0;
}
