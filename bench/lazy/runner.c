/* SPDX-License-Identifier: MIT */
/*
 * bench/lazy/runner.c — runs one measurement step of a C implementation:
 * N consumer threads (and, for the lazy scenario, one producer) start
 * together on a barrier, run for the given time, and report their CPU time
 * (CLOCK_THREAD_CPUTIME_ID), wall time and read count.
 */
#include "runner.h"

struct bd_payload *_Atomic lazy_bd_ptr;

struct step {
	struct bench_run run; /* first: threads get &run */
	struct lazy_hooks hooks;
	void (*consume)(struct bench_thread *t);
	void (*set_source)(void *obj, const struct bench_blob *b); /* lazy only */
};

static volatile double lazy_producer_sink;

#define HOOK(s, h)                      \
	do {                            \
		if ((s)->hooks.h)       \
			(s)->hooks.h(); \
	} while (0)

static void *consumer_main(void *arg)
{
	struct bench_thread *t = arg;
	struct step *s = (struct step *)t->run;
	HOOK(s, thread_enter);
	HOOK(s, consumer_enter);
	bench_barrier_wait(&s->run.barrier);
	bench_xform_reset();
	uint64_t c0 = bench_cpu_ns(), w0 = bench_wall_ns();
	s->consume(t);
	t->cpu_ns = bench_cpu_ns() - c0;
	t->wall_ns = bench_wall_ns() - w0;
	t->xform_ns = bench_transform_cpu_ns;
	HOOK(s, consumer_exit);
	HOOK(s, thread_exit);
	return NULL;
}

/* Per-call set_source times kept for the median (a mean would be dominated
 * by the calls during which the producer was preempted). */
#define PROD_SAMPLES 65536

static void *producer_main(void *arg)
{
	struct bench_thread *t = arg;
	struct step *s = (struct step *)t->run;
	uint64_t rng = 0x9e3779b97f4a7c15u;
	double sink = 0;
	double *samples = lazy_alloc(PROD_SAMPLES * sizeof *samples);
	HOOK(s, thread_enter);
	bench_barrier_wait(&s->run.barrier);
	while (!bench_should_stop(t)) {
		struct bench_blob b = bench_rng_blob(&rng);
		uint64_t w0 = bench_wall_ns();
		s->set_source(s->run.obj, &b);
		uint64_t dt = bench_wall_ns() - w0;
		if (t->prod_iters < PROD_SAMPLES)
			samples[t->prod_iters] = (double)dt;
		t->prod_iters++;
		sink += bench_work(&b);
	}
	size_t n = t->prod_iters < PROD_SAMPLES ? (size_t)t->prod_iters : PROD_SAMPLES;
	t->prod_ns = (uint64_t)bench_stat_of(samples, n).median;
	free(samples);
	lazy_producer_sink = sink;
	HOOK(s, thread_exit);
	return NULL;
}

static void run_step(struct step *s, int consumers, double seconds, struct lazy_result *out)
{
	bool producer = s->set_source != NULL;
	int n = consumers + (producer ? 1 : 0);
	struct bench_thread *th = calloc((size_t)n, sizeof *th);
	if (!th)
		abort();
	s->run.consumers = consumers;
	atomic_init(&s->run.stop, false);
	if (pthread_barrier_init(&s->run.barrier, NULL, (unsigned)n + 1) != 0)
		abort();
	for (int i = 0; i < n; i++) {
		th[i].run = &s->run;
		bool is_producer = producer && i == consumers;
		if (pthread_create(&th[i].tid, NULL, is_producer ? producer_main : consumer_main, &th[i]) != 0) {
			fprintf(stderr, "bench: pthread_create failed\n");
			abort();
		}
	}
	bench_barrier_wait(&s->run.barrier);
	bench_sleep_ns((uint64_t)(seconds * 1e9));
	/* Relaxed: the threads only need to see it eventually; their results
	 * are read after pthread_join, which orders everything. */
	atomic_store_explicit(&s->run.stop, true, memory_order_relaxed);
	memset(out, 0, sizeof *out);
	for (int i = 0; i < n; i++) {
		pthread_join(th[i].tid, NULL);
		if (producer && i == consumers) {
			out->prod_ns = th[i].prod_ns;
			out->prod_iters = th[i].prod_iters;
		} else {
			out->cpu_ns += th[i].cpu_ns;
			out->xform_ns += th[i].xform_ns;
			out->wall_ns += th[i].wall_ns;
			out->ops += th[i].ops;
			out->xreads += th[i].xreads;
			out->hits += th[i].hits;
		}
	}
	pthread_barrier_destroy(&s->run.barrier);
	free(th);
}

void lazy_run_step(const struct lazy_impl *impl, int consumers, double seconds, struct lazy_result *out)
{
	struct step s = {.hooks = impl->hooks, .consume = impl->consume, .set_source = impl->set_source};
	s.run.obj = impl->create();
	s.run.impl = impl;
	run_step(&s, consumers, seconds, out);
	out->transforms = impl->transforms(s.run.obj);
	impl->destroy(s.run.obj);
}

void lazy_run_breakdown_step(const struct breakdown_impl *impl, int payload, int consumers, double seconds,
			     struct lazy_result *out)
{
	static const size_t lens[BD_NPAYLOADS] = {
		[BD_STR3] = 3, [BD_STR128] = 128, [BD_STR1024] = 1024, [BD_STR2048] = 2048, [BD_REFCOUNT] = 128,
	};
	struct bd_payload *p = calloc(1, sizeof *p);
	if (!p)
		abort();
	p->x = 1;
	p->len = lens[payload] ? lens[payload] : 8;
	p->s = lazy_alloc(p->len + 1);
	for (size_t i = 0; i < p->len; i++)
		p->s[i] = (char)('A' + i % 10); /* like the lazy values: starts with a capital */
	p->s[p->len] = '\0';
	atomic_init(&p->rc, 1); /* the harness's reference */

	struct step s = {.hooks = impl->hooks, .consume = impl->consume[payload]};
	s.run.impl = impl;
	/* Release: pairs with the acquire loads in BD_READER (pthread_create orders it too). */
	atomic_store_explicit(&lazy_bd_ptr, p, memory_order_release);
	run_step(&s, consumers, seconds, out);
	/* Relaxed (this store and the load below): every reader has been joined. */
	atomic_store_explicit(&lazy_bd_ptr, NULL, memory_order_relaxed);
	if (atomic_load_explicit(&p->rc, memory_order_relaxed) != 1) {
		fprintf(stderr, "bench: %s/%s: reference count leaked\n", impl->name, lazy_payloads[payload]);
		abort();
	}
	free(p->s);
	free(p);
}
