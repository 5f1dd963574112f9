/* SPDX-License-Identifier: MIT */
/*
 * tests/cxx/use_tern_hpp.cpp — the C++ RAII header tern.hpp: pin_guard
 * (default domain and explicit domain), online_guard and quiescent(),
 * lock_guard / try_lock_guard on a tern_lightlock_t, and tern::lightlock
 * with std::lock_guard / std::unique_lock (and std::scoped_lock from
 * C++17).  Asserts the pinned state at every transition: nesting, early
 * return, break, and guards of two domains.
 *
 * Built by mk/single.mk (make check-cxx) with g++ and clang++ in several
 * standards, one of them with -fno-exceptions, against include/ +
 * libtern.a and against dist/tern.h (tern.hpp copied next to it).  Exit
 * status 0 when every check holds; each failed check is printed.
 */
#include "tern.hpp"

#include <cstdio>
#include <mutex>
#include <type_traits>

static int failures;
#define CHECK(cond)                                                                          \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			std::fprintf(stderr, "use_tern_hpp.cpp:%d: check failed: %s\n", __LINE__, #cond); \
			failures++;                                                          \
		}                                                                            \
	} while (0)

// Neither copyable nor movable: a pin or a lock has exactly one owner.
template <class T> struct pinned_in_place {
	static constexpr bool value = !std::is_copy_constructible<T>::value && !std::is_move_constructible<T>::value &&
				      !std::is_copy_assignable<T>::value && !std::is_move_assignable<T>::value;
};
static_assert(pinned_in_place<tern::pin_guard>::value, "pin_guard must not copy or move");
static_assert(pinned_in_place<tern::online_guard>::value, "online_guard must not copy or move");
static_assert(pinned_in_place<tern::lock_guard>::value, "lock_guard must not copy or move");
static_assert(pinned_in_place<tern::try_lock_guard>::value, "try_lock_guard must not copy or move");
static_assert(pinned_in_place<tern::lightlock>::value, "lightlock must not copy or move");
static_assert(sizeof(tern::lightlock) == sizeof(tern_lightlock_t), "lightlock is the C lock");
static_assert(noexcept(tern::pin_guard()), "pin_guard() is noexcept");
static_assert(std::is_nothrow_destructible<tern::pin_guard>::value, "~pin_guard is noexcept");

static int early_return(int how)
{
	tern::pin_guard pin;
	CHECK(tern::is_pinned());
	if (how == 0)
		return 1;
	for (int i = 0;; i++) {
		tern::pin_guard inner;
		if (i == how)
			return 2; // both pins end
	}
}

static void pins()
{
	CHECK(!tern::is_pinned());
	{
		tern::pin_guard a;
		CHECK(tern::is_pinned());
		{
			tern::pin_guard b;
			CHECK(tern::is_pinned());
		}
		CHECK(tern::is_pinned()); // the outer pin is still in force
	}
	CHECK(!tern::is_pinned());

	CHECK(early_return(0) == 1);
	CHECK(!tern::is_pinned());
	CHECK(early_return(3) == 2);
	CHECK(!tern::is_pinned());

	int n = 0;
	for (int i = 0; i < 10; i++) {
		tern::pin_guard pin;
		CHECK(tern::is_pinned());
		if (++n == 4)
			break;
	}
	CHECK(n == 4);
	CHECK(!tern::is_pinned());
}

static void domains()
{
	tern_epoch_domain_t *d = nullptr;
	CHECK(tern_epoch_domain_create(&d) == 0);
	{
		tern::pin_guard pd(d);
		CHECK(tern::is_pinned(d));
		CHECK(!tern::is_pinned());
		{
			tern::pin_guard p;
			CHECK(tern::is_pinned());
			CHECK(tern::is_pinned(d));
		}
		CHECK(!tern::is_pinned());
		CHECK(tern::is_pinned(d));
	}
	CHECK(!tern::is_pinned(d));
	tern_epoch_domain_destroy(d); // aborts (debug) if a pin were left
}

static int destroyed;
extern "C" void count_destroy(void *) { destroyed++; }

static void online()
{
	static int obj;
	{
		tern::online_guard on;
		CHECK(tern::is_pinned()); // online counts as pinned
		tern_epoch_defer(&obj, count_destroy);
		tern::quiescent();
		{
			tern::pin_guard p; // pins nest inside an online section
			CHECK(tern::is_pinned());
		}
		CHECK(tern::is_pinned());
		tern::quiescent();
	}
	CHECK(!tern::is_pinned());
	tern_epoch_barrier(); // allowed only offline and unpinned
	CHECK(destroyed == 1);

	tern_epoch_domain_t *d = nullptr;
	CHECK(tern_epoch_domain_create(&d) == 0);
	{
		tern::online_guard on(d);
		CHECK(tern::is_pinned(d));
		CHECK(!tern::is_pinned());
		tern::quiescent(d);
	}
	CHECK(!tern::is_pinned(d));
	tern_epoch_domain_destroy(d);
}

static void locks()
{
	tern_lightlock_t l = TERN_LIGHTLOCK_INIT;
	{
		tern::lock_guard g(l);
		CHECK(tern_lightlock_is_locked(&l));
		tern::try_lock_guard t(l); // held: the try fails, and unlocks nothing
		CHECK(!t.owns_lock());
		CHECK(!t);
	}
	CHECK(!tern_lightlock_is_locked(&l));
	{
		tern::try_lock_guard t(l);
		CHECK(t.owns_lock());
		CHECK(tern_lightlock_is_locked(&l));
	}
	CHECK(!tern_lightlock_is_locked(&l));

	tern::lightlock m;
	CHECK(!m.is_locked());
	{
		std::lock_guard<tern::lightlock> g(m);
		CHECK(m.is_locked());
		CHECK(!m.try_lock());
	}
	CHECK(!m.is_locked());
	{
		std::unique_lock<tern::lightlock> u(m, std::try_to_lock);
		CHECK(u.owns_lock());
		u.unlock();
		CHECK(!m.is_locked());
		u.lock();
		CHECK(tern_lightlock_is_locked(m.native_handle()));
	}
	CHECK(!m.is_locked());
#if __cplusplus >= 201703L
	{
		tern::lightlock m2;
		std::scoped_lock both(m, m2);
		CHECK(m.is_locked() && m2.is_locked());
	}
	CHECK(!m.is_locked());
#endif
}

int main()
{
	pins();
	domains();
	online();
	locks();
	if (failures == 0)
		std::printf("use_tern_hpp.cpp: __cplusplus %ld%s: tern.hpp guards ok\n", (long)__cplusplus,
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
			    ""
#else
			    ", no exceptions"
#endif
		);
	return failures != 0;
}
