/* SPDX-License-Identifier: MIT */
/* The one file that compiles tern's implementation when tern is used as the
 * single header: copy dist/tern.h next to your sources and add this file. */
#define TERN_IMPLEMENTATION
#include "tern.h"
