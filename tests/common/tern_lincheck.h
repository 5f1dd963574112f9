/* SPDX-License-Identifier: MIT */
/*
 * tests/common/tern_lincheck.h — brute-force linearizability check of small
 * concurrent histories of a FIFO queue or a LIFO stack (tests/queue,
 * tests/stack).
 *
 * A history is a list of completed operations, each with the value of a
 * global atomic counter taken just before it was invoked (inv) and just
 * after it returned (resp).  Operation a precedes b in real time iff
 * a.resp < b.inv.  lin_check() searches every order of the operations that
 * respects real-time precedence for one in which the sequential
 * specification, started from the container's initial contents, produces
 * exactly the recorded results.  Histories are small (a few threads times a
 * few operations), so a depth-first search over the threads' next
 * operations is fast.
 *
 * lin_run() is the driver of those tests: rounds of a few threads each
 * running a few operations at once on a fresh container, every history
 * checked; the suite gives the container's set-up, one operation and the
 * tear-down (struct lin_driver).  Include it after criterion/criterion.h.
 */
#ifndef TERN_LINCHECK_H
#define TERN_LINCHECK_H

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tern_test.h"

#define LIN_MAXOPS 24
#define LIN_MAXV 32

enum lin_kind {
	LIN_PUT,    /* push / enqueue arg */
	LIN_TAKE,   /* pop / dequeue: nres 0 (empty) or 1 (res[0]) */
	LIN_TAKEALL /* stack pop_all: res[0..nres) top first */
};

struct lin_op {
	int kind;
	int arg;
	int nres;
	int res[LIN_MAXV];
	uint64_t inv, resp;
};

struct lin_history {
	int n;
	struct lin_op ops[LIN_MAXOPS];
	int ninit;
	int init[LIN_MAXV]; /* initial contents: FIFO front first, LIFO bottom first */
};

/* Global clock of the invocations and responses. */
static _Atomic(uint64_t) lin_clock;

static inline uint64_t lin_now(void)
{
	/* Seq_cst: the clock's order is the real-time order of the events. */
	return atomic_fetch_add(&lin_clock, 1);
}

struct lin_state {
	int len;
	int v[LIN_MAXV]; /* FIFO: v[0] is the front; LIFO: v[len-1] is the top */
};

/* Applies op to *s under the FIFO or LIFO spec; => whether the recorded
 * result is the spec's. */
static inline bool lin_apply(struct lin_state *s, const struct lin_op *op, bool fifo)
{
	switch (op->kind) {
	case LIN_PUT:
		if (s->len == LIN_MAXV)
			return false;
		s->v[s->len++] = op->arg;
		return true;
	case LIN_TAKE:
		if (s->len == 0)
			return op->nres == 0;
		if (op->nres != 1)
			return false;
		if (fifo) {
			if (op->res[0] != s->v[0])
				return false;
			memmove(s->v, s->v + 1, (size_t)(s->len - 1) * sizeof s->v[0]);
			s->len--;
		} else {
			if (op->res[0] != s->v[s->len - 1])
				return false;
			s->len--;
		}
		return true;
	case LIN_TAKEALL:
		if (op->nres != s->len)
			return false;
		for (int i = 0; i < s->len; i++)
			if (op->res[i] != s->v[fifo ? i : s->len - 1 - i])
				return false;
		s->len = 0;
		return true;
	}
	return false;
}

static inline bool lin_search(const struct lin_history *h, uint32_t done, const struct lin_state *s, bool fifo)
{
	if (done == (h->n == 32 ? UINT32_MAX : (1u << h->n) - 1))
		return true;
	for (int i = 0; i < h->n; i++) {
		if (done & (1u << i))
			continue;
		/* i may go next only if no pending op finished before i began. */
		bool minimal = true;
		for (int j = 0; j < h->n && minimal; j++)
			if (j != i && !(done & (1u << j)) && h->ops[j].resp < h->ops[i].inv)
				minimal = false;
		if (!minimal)
			continue;
		struct lin_state t = *s;
		if (lin_apply(&t, &h->ops[i], fifo) && lin_search(h, done | (1u << i), &t, fifo))
			return true;
	}
	return false;
}

/* => whether h is linearizable with respect to the FIFO (fifo) or LIFO spec. */
static inline bool lin_check(const struct lin_history *h, bool fifo)
{
	struct lin_state s;
	s.len = h->ninit;
	memcpy(s.v, h->init, (size_t)h->ninit * sizeof s.v[0]);
	return lin_search(h, 0, &s, fifo);
}

/* => whether some two operations of h overlap in real time. */
static inline bool lin_has_overlap(const struct lin_history *h)
{
	for (int i = 0; i < h->n; i++)
		for (int j = i + 1; j < h->n; j++)
			if (h->ops[i].inv < h->ops[j].resp && h->ops[j].inv < h->ops[i].resp)
				return true;
	return false;
}

/* xorshift64: the drivers' pseudo-random streams (seed non-zero). */
static inline uint64_t lin_rng(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Inside an operation's interval: sometimes let another thread run, so
 * that intervals overlap even when the machine runs one of our threads at
 * a time (it is shared and loaded). */
static inline void lin_widen(uint64_t *r)
{
	if (lin_rng(r) % 3 == 0)
		sched_yield();
}

/* Brackets one operation: its kind and invocation time, then (lin_end)
 * its response time, each with a chance of a yield inside the interval. */
static inline void lin_begin(struct lin_op *op, int kind, uint64_t *r)
{
	op->kind = kind;
	op->inv = lin_now();
	lin_widen(r);
}

static inline void lin_end(struct lin_op *op, uint64_t *r)
{
	lin_widen(r);
	op->resp = lin_now();
}

/*
 * One concurrent-history test.  Each of `rounds` rounds: thread 0 clears
 * the history, gives it round % 3 initial values (1000, 1001) and calls
 * setup(), which makes a fresh container holding them; the `threads`
 * threads meet at a spin barrier and each runs `ops` operations, calling
 * op() (which draws from r what to do, records arg and results and
 * brackets the call with lin_begin/lin_end) after a random delay; thread 0
 * then checks the history and calls teardown().  Thread t draws from the
 * stream seed * (t + 1).
 */
struct lin_driver {
	const char *what; /* "queue", "stack": named in the report */
	bool fifo;
	int threads, ops; /* threads * ops <= LIN_MAXOPS */
	unsigned long rounds;
	uint64_t seed;
	void (*setup)(const struct lin_history *h);
	void (*op)(int tid, int k, struct lin_op *op, uint64_t *r);
	void (*teardown)(const struct lin_history *h);
	/* Run state and results. */
	long bad, overlapping, checked;
	pthread_barrier_t bar;
	atomic_ulong arrived; /* spin barrier before the operations */
	struct lin_history h;
};

struct lin_thread {
	struct lin_driver *d;
	int tid;
};

/* All threads arrive, then all leave at once: running threads start their
 * operations within a few nanoseconds of each other (a pthread barrier
 * wakes them microseconds apart, too late to overlap). */
static inline void lin_spin_barrier(struct lin_driver *d, unsigned long round)
{
	/* Seq_cst (default): pairs with the other threads' increments read by
	 * the loads below; the data is ordered by the pthread barrier before. */
	atomic_fetch_add(&d->arrived, 1);
	unsigned spins = 0;
	/* Seq_cst (default): pairs with the increments above. */
	while (atomic_load(&d->arrived) < (round + 1) * (unsigned long)d->threads)
		if (++spins % 256 == 0)
			sched_yield(); /* 2 cores, 3 threads */
}

static inline void lin_jitter(uint64_t *r)
{
	for (volatile unsigned n = (unsigned)(lin_rng(r) % 48); n > 0; n--)
		;
}

static inline void *lin_thread_main(void *arg)
{
	struct lin_driver *d = ((struct lin_thread *)arg)->d;
	int tid = ((struct lin_thread *)arg)->tid;
	uint64_t r = d->seed * (uint64_t)(tid + 1);
	for (unsigned long round = 0; round < d->rounds; round++) {
		if (tid == 0) {
			memset(&d->h, 0, sizeof d->h);
			d->h.n = d->threads * d->ops;
			d->h.ninit = (int)(round % 3);
			for (int i = 0; i < d->h.ninit; i++)
				d->h.init[i] = 1000 + i;
			d->setup(&d->h);
		}
		pthread_barrier_wait(&d->bar);
		lin_spin_barrier(d, round);
		for (int k = 0; k < d->ops; k++) {
			lin_jitter(&r);
			d->op(tid, k, &d->h.ops[tid * d->ops + k], &r);
		}
		pthread_barrier_wait(&d->bar);
		if (tid == 0) {
			d->checked++;
			if (lin_has_overlap(&d->h))
				d->overlapping++;
			if (!lin_check(&d->h, d->fifo) && d->bad++ == 0) {
				fprintf(stderr, "non-linearizable %s history (round %lu):\n", d->what, round);
				for (int i = 0; i < d->h.n; i++) {
					const struct lin_op *o = &d->h.ops[i];
					fprintf(stderr, "  op %d kind %d arg %d nres %d res0 %d [%llu,%llu]\n", i,
					        o->kind, o->arg, o->nres, o->res[0], (unsigned long long)o->inv,
					        (unsigned long long)o->resp);
				}
			}
			d->teardown(&d->h);
		}
		pthread_barrier_wait(&d->bar);
	}
	return NULL;
}

/* Runs d's rounds and asserts that every history was checked and
 * linearizable, and that at least a quarter had overlapping operations. */
static inline void lin_run(struct lin_driver *d)
{
	struct lin_thread t[LIN_MAXOPS];
	for (int i = 0; i < d->threads; i++)
		t[i] = (struct lin_thread){ d, i };
	pthread_barrier_init(&d->bar, NULL, (unsigned)d->threads);
	tern_test_run_threads((unsigned)d->threads, lin_thread_main, t, sizeof t[0]);
	pthread_barrier_destroy(&d->bar);
	fprintf(stderr, "%s lin: %ld histories checked, %ld with overlapping operations\n", d->what, d->checked,
	        d->overlapping);
	cr_assert_eq(d->bad, 0, "%ld of %ld histories not linearizable", d->bad, d->checked);
	cr_assert_eq(d->checked, (long)d->rounds);
	cr_assert_geq(d->overlapping, d->checked / 4, "too few histories had concurrent operations");
}

#endif /* TERN_LINCHECK_H */
