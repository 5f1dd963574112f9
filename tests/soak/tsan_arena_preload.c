/* SPDX-License-Identifier: MIT */
/*
 * tests/soak/tsan_arena_preload.c — LD_PRELOAD helper that lets Criterion
 * run under ThreadSanitizer (used by `make check-tsan`, mk/reliability.mk).
 *
 * The problem (Criterion issue #274, still open for Criterion 2.4): at start-
 * up, and for every test's sandbox context, Criterion's BoxFort maps a shared
 * "identity" arena at 0x200000000000 + ((rand_r() & 0x3fffff) << 24), i.e.
 * in [0x200000000000, 0x600000000000), and accepts it only if mincore() says
 * the pages are unmapped.  ThreadSanitizer reserves (PROT_NONE) nearly all
 * of that range for its shadow and meta memory, so ~95% of the picks are
 * taken; after 10 picks BoxFort gives up ("Could not initialize inheritable
 * arena: Resource temporarily unavailable", or a SEGV in libcriterion when a
 * later context fails the same way).
 *
 * The fix here: interpose rand_r() and, only for BoxFort's own seed (a
 * static variable inside libcriterion.so, recognised with dladdr()), return
 * values that land in the largest range of that window that is actually
 * unmapped when the first such call is made (read from /proc/self/maps) —
 * which, under TSan, is application memory by construction, since TSan
 * protects everything else.  Every other rand_r() caller gets glibc's
 * result unchanged.  Nothing about tern or about TSan's checking changes:
 * this only chooses where the test framework's arena goes.
 *
 * Under TSan rand_r() is intercepted by the sanitizer runtime, which calls
 * the next definition — this one — so the caller is identified by the seed's
 * address, not by the return address.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* BoxFort's window on 64-bit targets: base + (offset & 0x3fffff) << 24. */
#define ARENA_LO ((uintptr_t)0x200000000000)
#define ARENA_SHIFT 24
#define ARENA_HI (ARENA_LO + ((uintptr_t)0x400000 << ARENA_SHIFT))

static int (*next_rand_r)(unsigned int *);
static uintptr_t first_slot, nslots; /* set once, under `once` */
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init(void)
{
	*(void **)&next_rand_r = dlsym(RTLD_NEXT, "rand_r");
	FILE *f = fopen("/proc/self/maps", "r");
	if (f == NULL)
		return;
	uintptr_t cursor = ARENA_LO, best = 0, best_size = 0;
	char line[512];
	while (fgets(line, sizeof line, f) != NULL) {
		unsigned long a, b;
		if (sscanf(line, "%lx-%lx", &a, &b) != 2 || b <= cursor)
			continue;
		uintptr_t end = a < ARENA_HI ? a : ARENA_HI;
		if (end > cursor && end - cursor > best_size) {
			best = cursor;
			best_size = end - cursor;
		}
		cursor = b;
		if (cursor >= ARENA_HI)
			break;
	}
	fclose(f);
	if (cursor < ARENA_HI && ARENA_HI - cursor > best_size) {
		best = cursor;
		best_size = ARENA_HI - cursor;
	}
	uintptr_t slot = ((best - ARENA_LO) >> ARENA_SHIFT) + 1; /* round up, stay inside */
	uintptr_t n = best_size >> ARENA_SHIFT;
	/* Keep clear of both ends: an arena may grow (mremap) past its start. */
	if (n > 1024) {
		first_slot = slot;
		nslots = n - 1024;
	}
}

int rand_r(unsigned int *seed)
{
	pthread_once(&once, init);
	int v = next_rand_r(seed);
	Dl_info info;
	if (nslots != 0 && dladdr(seed, &info) != 0 && info.dli_fname != NULL &&
	    strstr(info.dli_fname, "libcriterion") != NULL)
		return (int)(first_slot + (uintptr_t)(unsigned)v % nslots);
	return v;
}
