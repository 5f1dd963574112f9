/* SPDX-License-Identifier: MIT */
/* tests/cxx/layout.c — the C side of the layout comparison (see layout.h). */
#include <stddef.h>

#include "tern.h"
#include "layout.h"

unsigned layout_from_c(unsigned long *out, unsigned cap)
{
	unsigned n = 0;
#define TERN_LAYOUT_T(type)                                 \
	if (n + 2 <= cap) {                                 \
		out[n++] = (unsigned long)sizeof(type);     \
		out[n++] = (unsigned long)_Alignof(type);   \
	}
#define TERN_LAYOUT_M(type, member) \
	if (n < cap)                \
		out[n++] = (unsigned long)offsetof(type, member);
	TERN_LAYOUT_TYPES(TERN_LAYOUT_T)
	TERN_LAYOUT_MEMBERS(TERN_LAYOUT_M)
	return n;
}
