/* SPDX-License-Identifier: MIT */
#include <assert.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <tern.h>

enum { SLOTS = 200, POISON = -1 };
static int pool[SLOTS];                         /* reused, never freed */
static int *_Atomic shared;
static atomic_bool stop;

static void *reader(void *arg)
{
	(void)arg;
	tern_epoch_online();                    /* from here on, reads need no pin */
	while (!atomic_load(&stop)) {
		const int *v = atomic_load_explicit(&shared, memory_order_acquire);
		assert(*v != POISON);           /* valid until the next quiescent state */
		tern_epoch_quiescent();         /* holds nothing it read before */
	}
	tern_epoch_offline();                   /* before blocking or exiting */
	return NULL;
}

int main(void)
{
	pthread_t t;
	atomic_store(&shared, &pool[0]);
	pthread_create(&t, NULL, reader, NULL);
	for (int i = 1; i < SLOTS; i++) {
		int *old = atomic_exchange(&shared, &pool[i]);
		uint64_t cookie = tern_epoch_get_state();  /* after the unlink */
		while (!tern_epoch_poll_state(cookie))      /* never waits */
			sched_yield();                      /* (do other work here) */
		*old = POISON;                  /* a grace period later: reuse it */
	}
	atomic_store(&stop, true);
	pthread_join(t, NULL);
	return 0;
}
