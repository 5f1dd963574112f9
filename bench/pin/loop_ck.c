/* SPDX-License-Identifier: MIT */
/*
 * bench/pin ck_epoch row: ConcurrencyKit's forced-inline ck_epoch_begin/end
 * without a section (the cheapest documented form).
 */
#include <ck_epoch.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "loops.h"

#ifdef PIN_PRIMARY /* once per binary, not once per placement variant */
static ck_epoch_t pin_ck_epoch;
static pthread_once_t pin_ck_once = PTHREAD_ONCE_INIT;

static void pin_ck_global_init(void)
{
	ck_epoch_init(&pin_ck_epoch);
}

void *pin_ck_thread_init(void)
{
	pthread_once(&pin_ck_once, pin_ck_global_init);
	ck_epoch_record_t *r = aligned_alloc(CK_MD_CACHELINE, sizeof *r);
	if (r == NULL) {
		perror("aligned_alloc");
		exit(2);
	}
	ck_epoch_register(&pin_ck_epoch, r, NULL);
	return r;
}
#endif

PIN_DEFINE_LOOP(pin_loop_ck, ck_epoch_begin((ck_epoch_record_t *)ctx, NULL);
		ck_epoch_end((ck_epoch_record_t *)ctx, NULL))
