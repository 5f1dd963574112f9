/* SPDX-License-Identifier: MIT */
#include <assert.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <tern.h>

enum { N = 200, POISON = -1 };
static int pool[N];                             /* reused, never freed */
static int *_Atomic shared = &pool[0];
static atomic_int stop;

/* tour:begin */
static void *reader(void *arg)                 /* one thread */
{
	tern_epoch_online();                    /* from here on, reads need no pin */
	while (!atomic_load(&stop)) {
		const int *v = atomic_load_explicit(&shared, memory_order_acquire);
		assert(*v != POISON);           /* valid until the next quiescent state */
		tern_epoch_quiescent();         /* holds nothing it read before */
	}
	tern_epoch_offline();                   /* before blocking or exiting */
	return arg;
}

static void writer(void)                        /* another */
{
	for (int i = 1; i < N; i++) {
		int *old = atomic_exchange(&shared, &pool[i]);
		uint64_t cookie = tern_epoch_get_state();  /* after the unlink */
		while (!tern_epoch_poll_state(cookie))      /* never waits: */
			sched_yield();                      /* do other work */
		*old = POISON;                  /* a grace period later: reuse it */
	}
}
/* tour:end */

int main(void)
{
	pthread_t t;
	pthread_create(&t, NULL, reader, NULL);
	writer();
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
	return 0;
}
