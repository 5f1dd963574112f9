# SPDX-License-Identifier: MIT
# mk/cmake.mk — the CMake package that `make install` writes (issue 13).
#
#   make check-cmake   tools/check-cmake: stage `make install`, build
#                      examples/cmake with find_package(tern 0.1) (shared,
#                      static, C++ tern.hpp), again from a moved tree with
#                      tern_DIR and TERN_USE_STATIC_LIBS=ON, and check which
#                      versions find_package accepts
#
# The package itself: cmake/ternConfig.cmake.in and
# cmake/ternConfigVersion.cmake.in, filled in by the install rule of the
# Makefile into $(LIBDIR)/cmake/tern (CMAKEDIR).  tern is built by make;
# CMake is only the consumer here.

.PHONY: check-cmake
check-cmake: lib
	+CC=$(CC) BUILD=$(BUILD) MAKE=$(MAKE) tools/check-cmake

ci-extra:: check-cmake
