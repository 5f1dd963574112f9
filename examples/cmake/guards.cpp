/* SPDX-License-Identifier: MIT */
// examples/cmake/guards.cpp — tern.hpp from a CMake consumer: a pin guard
// around a read of an AtomicCell, and the one-byte lock with std::lock_guard.
#include <tern.hpp>

#include <cstdio>
#include <cstdlib>
#include <mutex>

int main()
{
	int *first = static_cast<int *>(std::malloc(sizeof(int)));
	if (!first)
		return 1;
	*first = 42;
	tern_cell_t cell;
	tern_cell_init(&cell, first, std::free);
	int seen;
	{
		tern::pin_guard pin;  // unpinned at the end of the block
		seen = *static_cast<int *>(tern_cell_load(&cell));
	}
	tern_cell_destroy(&cell);
	tern_epoch_barrier();  // not pinned here: the guard ended

	tern::lightlock m;
	{
		std::lock_guard<tern::lightlock> g(m);
	}
	std::printf("guards: read %d under a pin_guard; pinned now: %s\n", seen,
		    tern::is_pinned() ? "yes" : "no");
	return seen == 42 && !tern::is_pinned() && !m.is_locked() ? 0 : 1;
}
