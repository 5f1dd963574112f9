/* SPDX-License-Identifier: MIT */
#include <assert.h>
#include <stdlib.h>
#include <tern.h>

/* tour:begin */
struct job { int id; struct tern_queue_node qn; struct tern_stack_node sn; struct tern_epoch_entry e; };
static int freed;
static void job_free(struct tern_queue_node *n) { free(tern_queue_entry(n, struct job, qn)); freed++; }
static void job_free_entry(struct tern_epoch_entry *e) { free(tern_queue_entry(e, struct job, e)); freed++; }

static void demo(struct job *a, struct job *b)   /* a->id == 1, b->id == 2 */
{
	tern_queue_t q;                          /* MPMC FIFO, lock-free, intrusive */
	tern_queue_init(&q, NULL);               /* NULL: the default epoch domain */
	tern_queue_enqueue(&q, &a->qn);          /* never allocates */
	struct job *j = tern_queue_entry(tern_queue_dequeue(&q), struct job, qn);
	assert(j->id == 1);                      /* the payload is yours at once, */
	tern_queue_retire(&j->qn, job_free);     /* the node once the queue lets go */
	tern_queue_destroy(&q, job_free);

	tern_stack_t s = TERN_STACK_INIT;        /* LIFO, lock-free, ABA-free */
	tern_stack_push(&s, &b->sn);
	struct job *k = tern_stack_entry(tern_stack_pop(&s), struct job, sn);
	assert(k->id == 2 && tern_stack_pop(&s) == NULL);
	tern_epoch_call(&k->e, job_free_entry);  /* free or push again after a grace period */
	tern_stack_destroy(&s, NULL);
}
/* tour:end */

int main(void)
{
	struct job *a = malloc(sizeof *a), *b = malloc(sizeof *b);
	if (!a || !b)
		abort();
	a->id = 1, b->id = 2;
	demo(a, b);
	tern_epoch_barrier();                    /* every retire function has run */
	assert(freed == 2);
	return 0;
}
