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
 */
#ifndef TERN_LINCHECK_H
#define TERN_LINCHECK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

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

#endif /* TERN_LINCHECK_H */
