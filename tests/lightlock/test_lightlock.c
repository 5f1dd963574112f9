/* SPDX-License-Identifier: MIT */
/* LightLock: unit behaviour, mutual exclusion under contention, scoped helpers, misuse. */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdint.h>

#include "tern/lightlock.h"
#include "../common/tern_test.h"

Test(lightlock, one_byte_and_initially_unlocked)
{
	tern_lightlock_t a = TERN_LIGHTLOCK_INIT, b;
	tern_lightlock_init(&b);
	cr_assert_eq(sizeof a, 1);
	cr_assert_not(tern_lightlock_is_locked(&a));
	cr_assert_not(tern_lightlock_is_locked(&b));
}

Test(lightlock, try_lock_on_held_lock_fails_then_unlock_frees_it)
{
	tern_lightlock_t l = TERN_LIGHTLOCK_INIT;
	cr_assert(tern_lightlock_try_lock(&l));
	cr_assert(tern_lightlock_is_locked(&l));
	for (int i = 0; i < 1000; i++)
		cr_assert_not(tern_lightlock_try_lock(&l), "try_lock must fail on a held lock");
	tern_lightlock_unlock(&l);
	cr_assert_not(tern_lightlock_is_locked(&l));
	cr_assert(tern_lightlock_try_lock(&l));
	tern_lightlock_unlock(&l);
	tern_lightlock_lock(&l);
	cr_assert(tern_lightlock_is_locked(&l));
	cr_assert_not(tern_lightlock_try_lock(&l));
	tern_lightlock_unlock(&l);
}

/* try_lock from another thread while the lock is held returns at once. */
static void *try_once(void *arg)
{
	return (void *)(uintptr_t)tern_lightlock_try_lock(arg);
}

Test(lightlock, try_lock_never_blocks_other_threads)
{
	tern_lightlock_t l = TERN_LIGHTLOCK_INIT;
	tern_lightlock_lock(&l);
	pthread_t t;
	void *res;
	cr_assert_eq(pthread_create(&t, NULL, try_once, &l), 0);
	cr_assert_eq(pthread_join(t, &res), 0); /* would hang if try_lock waited */
	cr_assert_eq((uintptr_t)res, 0);
	tern_lightlock_unlock(&l);
}

#if defined(__GNUC__) || defined(__clang__)
static int scope_exit(tern_lightlock_t *l, int how)
{
	for (int i = 0; i < 3; i++) {
		TERN_LIGHTLOCK_TRY_SCOPE(l) {
			cr_assert(tern_lightlock_is_locked(l));
			if (how == 0)
				return 1;      /* return from inside */
			if (how == 1)
				break;         /* break out of the scope */
			if (how == 2)
				goto out;      /* jump out */
			/* how == 3: fall through */
		}
		cr_assert_not(tern_lightlock_is_locked(l));
	}
out:
	return 0;
}

Test(lightlock, scoped_helper_unlocks_on_every_exit_path)
{
	tern_lightlock_t l = TERN_LIGHTLOCK_INIT;
	for (int how = 0; how < 4; how++) {
		scope_exit(&l, how);
		cr_assert_not(tern_lightlock_is_locked(&l), "exit path %d left the lock held", how);
	}
	/* A held lock: the scope body does not run, and the lock stays held. */
	tern_lightlock_lock(&l);
	int ran = 0;
	TERN_LIGHTLOCK_TRY_SCOPE(&l) {
		ran = 1;
	}
	cr_assert_eq(ran, 0);
	cr_assert(tern_lightlock_is_locked(&l));
	tern_lightlock_unlock(&l);

	{
		tern_lightlock_t *g TERN_LIGHTLOCK_GUARD = tern_lightlock_try_guard(&l);
		cr_assert_eq(g, &l);
		tern_lightlock_t *g2 TERN_LIGHTLOCK_GUARD = tern_lightlock_try_guard(&l);
		cr_assert_null(g2);
	}
	cr_assert_not(tern_lightlock_is_locked(&l));
}
#endif

/* N threads x M increments of a plain counter under lock(): exactly N*M. */
#define NTHREADS 8
static tern_lightlock_t counter_lock = TERN_LIGHTLOCK_INIT;
static unsigned long plain_counter;
static unsigned long iters;

static void *incrementer(void *arg)
{
	(void)arg;
	for (unsigned long i = 0; i < iters; i++) {
		tern_lightlock_lock(&counter_lock);
		plain_counter++;
		tern_lightlock_unlock(&counter_lock);
	}
	return NULL;
}

Test(lightlock, lock_gives_mutual_exclusion_under_contention, .timeout = 120)
{
	iters = tern_test_iters(200000);
	plain_counter = 0;
	tern_test_run_threads(NTHREADS, incrementer, NULL, 0);
	cr_assert_eq(plain_counter, NTHREADS * iters, "lost updates: %lu != %lu", plain_counter,
		     NTHREADS * iters);
}

/* try_lock: at most one holder at a time, checked with an in-section flag. */
static tern_lightlock_t try_l = TERN_LIGHTLOCK_INIT;
static atomic_int in_section;
static atomic_int violations;
static atomic_ulong acquisitions;

static void *try_locker(void *arg)
{
	(void)arg;
	for (unsigned long i = 0; i < iters; i++) {
		if (!tern_lightlock_try_lock(&try_l))
			continue;
		/* Relaxed: the flag is a witness; the lock itself orders the section. */
		if (atomic_exchange_explicit(&in_section, 1, memory_order_relaxed) != 0)
			atomic_fetch_add_explicit(&violations, 1, memory_order_relaxed);
		for (int k = 0; k < 20; k++)
			tern_cpu_relax();
		/* Relaxed: see above. */
		atomic_store_explicit(&in_section, 0, memory_order_relaxed);
		atomic_fetch_add_explicit(&acquisitions, 1, memory_order_relaxed);
		tern_lightlock_unlock(&try_l);
	}
	return NULL;
}

Test(lightlock, try_lock_admits_at_most_one_holder, .timeout = 120)
{
	iters = tern_test_iters(300000);
	tern_test_run_threads(NTHREADS, try_locker, NULL, 0);
	cr_assert_eq(atomic_load(&violations), 0, "two holders seen at once");
	cr_assert_gt(atomic_load(&acquisitions), 0);
	cr_assert_not(tern_lightlock_is_locked(&try_l));
}

static void unlock_unheld(void *arg)
{
	(void)arg;
	tern_lightlock_t l = TERN_LIGHTLOCK_INIT;
	tern_lightlock_unlock(&l);
}

Test(lightlock_death, unlock_without_lock_aborts_naming_the_call)
{
#ifdef NDEBUG
	cr_skip_test("assertions are compiled out under NDEBUG");
#else
	struct tern_test_death d = tern_test_expect_abort(unlock_unheld, NULL);
	cr_assert(d.aborted, "unlock of an unheld lock did not abort (status %d)", d.status);
	cr_assert_not_null(strstr(d.output, "tern_lightlock_unlock"), "message: %s", d.output);
#endif
}
