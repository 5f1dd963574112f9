/* SPDX-License-Identifier: MIT */
/*
 * tests/epoch/test_scoped.c — the scoped pins of tern/epoch.h
 * (TERN_EPOCH_PIN_SCOPE, TERN_EPOCH_DOMAIN_PIN_SCOPE, TERN_EPOCH_GUARD):
 * every way out of a block (fall-through, return, break, continue, goto)
 * ends the block's pin exactly once, nested scopes end innermost first, an
 * explicit early unpin is not repeated by the cleanup, and the domain form
 * pins only its domain.  Each point asserts tern_epoch_is_pinned() /
 * tern_epoch_domain_is_pinned().
 */
#include <criterion/criterion.h>
#include <stdbool.h>

#include "tern/epoch.h"

/* Pinned while a helper returns from several places. */
static int early_return(int how, bool *was_pinned)
{
	TERN_EPOCH_PIN_SCOPE();
	*was_pinned = tern_epoch_is_pinned();
	if (how == 0)
		return 10;
	for (int i = 0;; i++) {
		if (i == how)
			return 20 + i; /* from inside a loop inside the scope */
	}
}

Test(epoch_scoped, fall_through_ends_the_pin)
{
	cr_assert_not(tern_epoch_is_pinned());
	{
		TERN_EPOCH_PIN_SCOPE();
		cr_assert(tern_epoch_is_pinned());
	}
	cr_assert_not(tern_epoch_is_pinned());
}

Test(epoch_scoped, every_return_ends_the_pin)
{
	for (int how = 0; how < 3; how++) {
		bool was = false;
		int r = early_return(how, &was);
		cr_assert(was, "how %d: not pinned inside", how);
		cr_assert_eq(r, how == 0 ? 10 : 20 + how);
		cr_assert_not(tern_epoch_is_pinned(), "how %d: still pinned after return", how);
	}
}

Test(epoch_scoped, break_and_continue_end_the_iteration_pin)
{
	int iterations = 0;
	for (int i = 0; i < 10; i++) {
		TERN_EPOCH_PIN_SCOPE();
		cr_assert(tern_epoch_is_pinned());
		iterations++;
		if (i % 2 == 0)
			continue;  /* ends this iteration's pin */
		if (i == 5)
			break;     /* ends it too */
	}
	cr_assert_eq(iterations, 6);
	cr_assert_not(tern_epoch_is_pinned());

	/* A while loop left by break from a nested block inside the scope. */
	int n = 0;
	while (true) {
		TERN_EPOCH_PIN_SCOPE();
		if (++n == 3) {
			cr_assert(tern_epoch_is_pinned());
			break;
		}
	}
	cr_assert_not(tern_epoch_is_pinned());
}

Test(epoch_scoped, goto_out_of_the_scope_ends_the_pin)
{
	int step = 0;
again:
	{
		TERN_EPOCH_PIN_SCOPE();
		cr_assert(tern_epoch_is_pinned());
		if (step++ < 2)
			goto again;  /* leaves the block: unpins before re-entering */
		if (step == 3)
			goto out;
		cr_assert_fail("not reached");
	}
out:
	cr_assert_eq(step, 3);
	cr_assert_not(tern_epoch_is_pinned());

	/* Error-path style: several exits to one cleanup label. */
	for (int fail_at = 0; fail_at < 3; fail_at++) {
		int reached = 0;
		{
			TERN_EPOCH_PIN_SCOPE();
			if (fail_at == 0)
				goto err;
			reached++;
			{
				TERN_EPOCH_PIN_SCOPE(); /* nested: both end on the goto */
				if (fail_at == 1)
					goto err;
				reached++;
			}
			cr_assert(tern_epoch_is_pinned());
		}
	err:
		cr_assert_eq(reached, fail_at == 2 ? 2 : fail_at);
		cr_assert_not(tern_epoch_is_pinned(), "fail_at %d: still pinned at the label", fail_at);
	}
}

Test(epoch_scoped, nested_scopes_end_innermost_first)
{
	{
		TERN_EPOCH_PIN_SCOPE(); TERN_EPOCH_PIN_SCOPE(); /* one line: distinct hidden names */
		cr_assert(tern_epoch_is_pinned());
		{
			TERN_EPOCH_PIN_SCOPE();
			cr_assert(tern_epoch_is_pinned());
		}
		/* The inner end left the two outer pins in force. */
		cr_assert(tern_epoch_is_pinned());
		tern_epoch_unpin(); /* a manual unpin ends one of them ... */
		tern_epoch_pin();   /* ... and a manual pin restores the balance */
		cr_assert(tern_epoch_is_pinned());
	}
	cr_assert_not(tern_epoch_is_pinned());

	/* Inside a manual pin, the scope's end keeps the outer pin. */
	tern_epoch_pin();
	{
		TERN_EPOCH_PIN_SCOPE();
	}
	cr_assert(tern_epoch_is_pinned());
	tern_epoch_unpin();
	cr_assert_not(tern_epoch_is_pinned());
}

Test(epoch_scoped, guard_variable_and_early_unpin)
{
	{
		struct tern_epoch_guard g TERN_EPOCH_GUARD = tern_epoch_guard_pin();
		cr_assert(g.pinned);
		cr_assert(tern_epoch_is_pinned());
		tern_epoch_guard_unpin(&g);
		cr_assert_not(g.pinned);
		cr_assert_not(tern_epoch_is_pinned());
		tern_epoch_guard_unpin(&g); /* a second end does nothing */
		cr_assert_not(tern_epoch_is_pinned());
	} /* nor does the cleanup: an extra unpin would abort (debug build) */
	cr_assert_not(tern_epoch_is_pinned());
}

static void destroy_count(void *p)
{
	(*(int *)p)++;
}

Test(epoch_scoped, domain_form_pins_only_its_domain)
{
	tern_epoch_domain_t *d = NULL, *e = NULL;
	cr_assert_eq(tern_epoch_domain_create(&d), 0);
	cr_assert_eq(tern_epoch_domain_create(&e), 0);
	int destroyed = 0;
	for (int i = 0; i < 4; i++) {
		TERN_EPOCH_DOMAIN_PIN_SCOPE(d);
		cr_assert(tern_epoch_domain_is_pinned(d));
		cr_assert_not(tern_epoch_domain_is_pinned(e));
		cr_assert_not(tern_epoch_is_pinned());
		{
			TERN_EPOCH_DOMAIN_PIN_SCOPE(e);
			TERN_EPOCH_PIN_SCOPE();
			cr_assert(tern_epoch_domain_is_pinned(e));
			cr_assert(tern_epoch_is_pinned());
			tern_epoch_domain_defer(d, &destroyed, destroy_count);
			if (i == 1)
				continue; /* ends all three */
		}
		cr_assert_not(tern_epoch_domain_is_pinned(e));
		cr_assert_not(tern_epoch_is_pinned());
		cr_assert(tern_epoch_domain_is_pinned(d));
		if (i == 2)
			break;
	}
	cr_assert_not(tern_epoch_domain_is_pinned(d));
	cr_assert_not(tern_epoch_domain_is_pinned(e));
	cr_assert_not(tern_epoch_is_pinned());
	/* Unpinned everywhere, so barrier and destroy are allowed (they abort
	 * in debug builds when the thread is still pinned). */
	tern_epoch_domain_barrier(d);
	cr_assert_eq(destroyed, 3);
	tern_epoch_domain_destroy(e);
	tern_epoch_domain_destroy(d);
}

Test(epoch_scoped, domain_guard_variable_default_domain_pointer)
{
	/* The default domain passed explicitly behaves like the default form. */
	tern_epoch_domain_t *def = tern_epoch_default_domain();
	{
		struct tern_epoch_guard g TERN_EPOCH_GUARD = tern_epoch_guard_domain_pin(def);
		(void)g;
		cr_assert(tern_epoch_is_pinned());
		cr_assert(tern_epoch_domain_is_pinned(def));
	}
	cr_assert_not(tern_epoch_is_pinned());
}
