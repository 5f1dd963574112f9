/* SPDX-License-Identifier: MIT */
#include <assert.h>
/* tour:begin */
#include <tern.h>

static tern_lightlock_t lock = TERN_LIGHTLOCK_INIT; /* one byte, header-only */
static int refreshes;

static void maybe_refresh(void)
{
	if (tern_lightlock_try_lock(&lock)) {   /* never waits */
		refreshes++;
		tern_lightlock_unlock(&lock);
	}                                       /* else: someone else is refreshing */
}
/* tour:end */

int main(void)
{
	assert(sizeof lock == 1);
	maybe_refresh();                        /* takes the lock */
	tern_lightlock_lock(&lock);             /* backs off, then yields */
	maybe_refresh();                        /* lock held: skips at once */
	tern_lightlock_unlock(&lock);
	assert(refreshes == 1);
	return 0;
}
