/* SPDX-License-Identifier: MIT */
/* bench/common/slices.c — the slice engine and counted objects (slices.h). */
#include <errno.h>
#include <string.h>

#include "bench.h"
#include "slices.h"

/* ---- counted objects ---- */

struct bench_ctr bench_ctrs[BENCH_OBJ_SLOTS];
_Atomic uint64_t bench_obj_bad[BENCH_OWNERS];
_Thread_local struct bench_ctr *bench_ctr_mine;
static _Atomic unsigned bench_nctrs;

struct bench_ctr *bench_ctr_new(void)
{
	/* Relaxed: only hands out distinct slots; their counts are published by
	 * their own stores. */
	unsigned s = atomic_fetch_add_explicit(&bench_nctrs, 1, memory_order_relaxed);
	if (s >= BENCH_OBJ_SLOTS) {
		fprintf(stderr, "bench: more than %d counting threads\n", BENCH_OBJ_SLOTS);
		abort();
	}
	return bench_ctr_mine = &bench_ctrs[s];
}

void bench_obj_count(unsigned owner, uint64_t *allocs, uint64_t *frees)
{
	/* Relaxed: the slots handed out so far; a slot handed out later has
	 * counted nothing but its own counts, which the next look picks up. */
	unsigned n = atomic_load_explicit(&bench_nctrs, memory_order_relaxed);
	uint64_t a = 0, f = 0;
	for (unsigned i = 0; i < n && i < BENCH_OBJ_SLOTS; i++)
		/* Acquire: pairs with the release store in bench_obj_free(). */
		f += atomic_load_explicit(&bench_ctrs[i].frees[owner], memory_order_acquire);
	for (unsigned i = 0; i < n && i < BENCH_OBJ_SLOTS; i++)
		/* Relaxed: the acquire loads above order these after the
		 * allocation of every object counted as freed. */
		a += atomic_load_explicit(&bench_ctrs[i].allocs[owner], memory_order_relaxed);
	*allocs = a;
	*frees = f;
}

uint64_t bench_obj_pending(unsigned owner)
{
	uint64_t a, f;
	bench_obj_count(owner, &a, &f);
	return a >= f ? a - f : 0;
}

uint64_t bench_obj_leaked(unsigned owner)
{
	uint64_t a, f;
	bench_obj_count(owner, &a, &f);
	return a >= f ? a - f : f - a;
}

uint64_t bench_obj_freed(unsigned owner)
{
	uint64_t a, f;
	bench_obj_count(owner, &a, &f);
	return f;
}

uint64_t bench_obj_bads(unsigned owner)
{
	/* Relaxed: read after the counting threads are joined or blocked. */
	return atomic_load_explicit(&bench_obj_bad[owner], memory_order_relaxed);
}

/* ---- the groups and the slice ---- */

/* Start barriers by number of released threads (+ the driver); one slice
 * runs at a time. */
static pthread_barrier_t bench_slice_barrier[BENCH_SLICE_THREADS + 1];
static unsigned bench_slice_nactive;
static sem_t bench_slice_done;
static atomic_bool bench_slice_quit;
static bool bench_slice_ready;

static void *bench_slice_main(void *arg)
{
	struct bench_slice_thread *t = arg;
	const struct bench_slice_hooks *h = t->g->h;
	if (pthread_getcpuclockid(pthread_self(), &t->clk) != 0)
		abort();
	h->init(t);
	sem_post(&bench_slice_done);
	for (;;) {
		bench_sem_wait(&t->go);
		/* Relaxed: ordered by the semaphore the driver posted after it. */
		if (atomic_load_explicit(&bench_slice_quit, memory_order_relaxed))
			break;
		bench_barrier_wait(&bench_slice_barrier[bench_slice_nactive]);
		h->run(t);
		sem_post(&bench_slice_done);
	}
	h->fini(t);
	return NULL;
}

void bench_slice_start(struct bench_slice_group *g)
{
	if (!bench_slice_ready) {
		for (unsigned n = 1; n <= BENCH_SLICE_THREADS; n++)
			pthread_barrier_init(&bench_slice_barrier[n], NULL, n + 1);
		sem_init(&bench_slice_done, 0, 0);
		bench_slice_ready = true;
	}
	for (unsigned i = 0; i < g->nth; i++) {
		struct bench_slice_thread *t = &g->th[i];
		t->g = g;
		t->index = i;
		sem_init(&t->go, 0, 0);
		int err = pthread_create(&t->tid, NULL, bench_slice_main, t);
		if (err != 0) {
			fprintf(stderr, "bench: pthread_create: %s\n", strerror(err));
			exit(2);
		}
	}
	for (unsigned i = 0; i < g->nth; i++)
		bench_sem_wait(&bench_slice_done);
	if (g->pause)
		g->pause();
}

void bench_slice_stop(struct bench_slice_group *g)
{
	if (g->resume)
		g->resume();
	/* Relaxed: the semaphore posts below publish it. */
	atomic_store_explicit(&bench_slice_quit, true, memory_order_relaxed);
	for (unsigned i = 0; i < g->nth; i++)
		sem_post(&g->th[i].go);
	for (unsigned i = 0; i < g->nth; i++) {
		pthread_join(g->th[i].tid, NULL);
		sem_destroy(&g->th[i].go);
	}
	atomic_store_explicit(&bench_slice_quit, false, memory_order_relaxed); /* (as above) */
}

void bench_slice_go(struct bench_slice_group *g, const unsigned *act, unsigned n)
{
	if (g->resume)
		g->resume();
	bench_slice_nactive = n;
	for (unsigned i = 0; i < n; i++)
		sem_post(&g->th[act[i]].go);
	if (g->h->warm_start)
		g->h->warm_start(g); /* the threads wait at the barrier */
	bench_barrier_wait(&bench_slice_barrier[n]);
}

void bench_slice_halt(struct bench_slice_group *g, unsigned n)
{
	/* Relaxed: only ends the loops; the results are read after the
	 * semaphores, which order them. */
	atomic_store_explicit(g->h->stop, true, memory_order_relaxed);
	for (unsigned i = 0; i < n; i++)
		bench_sem_wait(&bench_slice_done);
	atomic_store_explicit(g->h->stop, false, memory_order_relaxed); /* (as above) */
	if (g->pause)
		g->pause();
}

/* A thread's progress and CPU clock, read from outside. */
static void bench_slice_snap(const struct bench_slice_thread *t, uint64_t *ops, uint64_t *cpu)
{
	*ops = t->g->h->progress(t);
	*cpu = bench_clock_ns(t->clk);
}

void bench_slice_run(struct bench_slice_group *g, const unsigned *act, unsigned n, double warm_ms,
		     double warm_max_ms, double ms, struct bench_window *w)
{
	const struct bench_slice_hooks *h = g->h;
	bench_slice_go(g, act, n);
	uint64_t w0 = bench_wall_ns(), wmin = w0 + (uint64_t)(warm_ms * 1e6);
	uint64_t wmax = w0 + (uint64_t)(warm_max_ms * 1e6);
	for (uint64_t now = w0;; now = bench_wall_ns()) {
		if (now >= wmax || (now >= wmin && (h->warm_done == NULL || h->warm_done(g))))
			break;
		bench_sleep_ns(now < wmin ? wmin - now : 500000);
	}
	w->warm_ns = bench_wall_ns() - w0;
	uint64_t ops0[BENCH_SLICE_THREADS], cpu0[BENCH_SLICE_THREADS];
	for (unsigned i = 0; i < n; i++)
		bench_slice_snap(&g->th[act[i]], &ops0[i], &cpu0[i]);
	uint64_t h0 = g->helper_cpu_ns ? g->helper_cpu_ns() : 0;
	uint64_t t0 = bench_wall_ns(), end = t0 + (uint64_t)(ms * 1e6), t1;
	for (;;) {
		if (h->tick)
			h->tick(g);
		t1 = bench_wall_ns();
		if (t1 >= end)
			break;
		bench_sleep_ns(h->tick == NULL || end - t1 < 1000000 ? end - t1 : 1000000);
	}
	/* Extend the window (up to 1 s) until every waited thread progressed. */
	for (bool idle = true; idle && t1 - t0 < 1000000000u; t1 = bench_wall_ns()) {
		idle = false;
		for (unsigned i = 0; i < n; i++)
			idle |= g->th[act[i]].waited && h->progress(&g->th[act[i]]) == ops0[i];
		if (idle)
			bench_sleep_ns(200000);
	}
	for (unsigned i = 0; i < n; i++) {
		struct bench_slice_thread *t = &g->th[act[i]];
		bench_slice_snap(t, &t->ops, &t->cpu);
		t->ops -= ops0[i];
		t->cpu -= cpu0[i];
	}
	w->helper_ns = g->helper_cpu_ns ? g->helper_cpu_ns() - h0 : 0;
	w->t0 = t0;
	w->t1 = t1;
	bench_slice_halt(g, n);
}

/* ---- per-round samples ---- */

struct bench_spread bench_field(const void *rec, size_t stride, unsigned n, size_t off)
{
	double v[n > 0 ? n : 1];
	for (unsigned r = 0; r < n; r++)
		memcpy(&v[r], (const char *)rec + r * stride + off, sizeof(double));
	return bench_spread_of(v, n);
}

struct bench_spread bench_paired(const void *a, const void *b, size_t stride, unsigned n, size_t off, bool inverse)
{
	double v[n > 0 ? n : 1];
	unsigned m = 0;
	for (unsigned r = 0; r < n; r++) {
		double x, y;
		memcpy(&x, (const char *)a + r * stride + off, sizeof x);
		memcpy(&y, (const char *)b + r * stride + off, sizeof y);
		if (x > 0 && y > 0)
			v[m++] = inverse ? y / x : x / y;
	}
	return bench_spread_of(v, m);
}

size_t bench_best(const double *v, const bool *ok, size_t n)
{
	size_t best = n;
	for (size_t i = 0; i < n; i++)
		if (ok[i] && (best == n || v[i] > v[best]))
			best = i;
	return best;
}
