/* SPDX-License-Identifier: MIT */
/*
 * tern.hpp — C++ RAII helpers over tern's C API (header-only).
 *
 *     #include <tern.hpp>
 *
 *     {
 *             tern::pin_guard pin;                  // tern_epoch_pin()
 *             auto *v = static_cast<const T *>(tern_cell_load(&cell));
 *             ...
 *     }                                             // tern_epoch_unpin()
 *
 *     tern::pin_guard pin(dom);                     // explicit domain
 *     tern::online_guard on;                        // QSBR: online ... offline
 *     tern::quiescent();                            // between units of work
 *     tern::lock_guard g(lt_lock);                  // a tern_lightlock_t
 *     tern::lightlock m;                            // a Lockable one-byte lock:
 *     std::lock_guard<tern::lightlock> g2(m);       //   std::lock_guard,
 *                                                   //   unique_lock, scoped_lock
 *
 * C++11 or later, g++ or clang++; needs no exceptions and no RTTI (works with
 * -fno-exceptions): nothing here throws or allocates.  Every guard is
 * neither copyable nor movable, so a pin or a lock never changes owner and
 * ends exactly once, when the guard's scope ends (return, break, an
 * exception unwinding through it).  The guards run on the thread that made
 * them: do not hand one to another thread (pins and locks are per thread).
 *
 * Linking: the epoch and QSBR calls need libtern (or the single header's
 * implementation); tern::lightlock and tern::lock_guard are header-only.
 * With the single header, put tern.hpp next to dist/tern.h: it includes
 * "tern.h" from its own directory first.
 */
#ifndef TERN_HPP
#define TERN_HPP

#include "tern.h"

namespace tern {

#define TERN__NO_COPY_NO_MOVE(T)             \
	T(const T &) = delete;               \
	T &operator=(const T &) = delete;    \
	T(T &&) = delete;                    \
	T &operator=(T &&) = delete

/* A pin for the lifetime of the object: the default domain, or domain d. */
class pin_guard {
public:
	pin_guard() noexcept : dom_(nullptr) { tern_epoch_pin(); }
	explicit pin_guard(tern_epoch_domain_t *d) noexcept : dom_(d) { tern_epoch_domain_pin(d); }
	~pin_guard()
	{
		if (dom_)
			tern_epoch_domain_unpin(dom_);
		else
			tern_epoch_unpin();
	}
	TERN__NO_COPY_NO_MOVE(pin_guard);

private:
	tern_epoch_domain_t *dom_;
};

/* A quiescent-state reader for the lifetime of the object: online in the
 * constructor, offline in the destructor (go offline before blocking, so
 * end the guard's scope first).  Call tern::quiescent() between units of
 * work while it lives. */
class online_guard {
public:
	online_guard() noexcept : dom_(nullptr) { tern_epoch_online(); }
	explicit online_guard(tern_epoch_domain_t *d) noexcept : dom_(d) { tern_epoch_domain_online(d); }
	~online_guard()
	{
		if (dom_)
			tern_epoch_domain_offline(dom_);
		else
			tern_epoch_offline();
	}
	TERN__NO_COPY_NO_MOVE(online_guard);

private:
	tern_epoch_domain_t *dom_;
};

/* A quiescent state of an online thread: nothing read before it is held. */
inline void quiescent() noexcept { tern_epoch_quiescent(); }
inline void quiescent(tern_epoch_domain_t *d) noexcept { tern_epoch_domain_quiescent(d); }

/* => whether the calling thread is pinned (or online) in the default domain / in d. */
inline bool is_pinned() noexcept { return tern_epoch_is_pinned(); }
inline bool is_pinned(tern_epoch_domain_t *d) noexcept { return tern_epoch_domain_is_pinned(d); }

/* Holds a tern_lightlock_t (tern_lightlock_lock / unlock) for its lifetime. */
class lock_guard {
public:
	explicit lock_guard(tern_lightlock_t &l) noexcept : l_(&l) { tern_lightlock_lock(l_); }
	~lock_guard() { tern_lightlock_unlock(l_); }
	TERN__NO_COPY_NO_MOVE(lock_guard);

private:
	tern_lightlock_t *l_;
};

/* Tries a tern_lightlock_t once (never waits): the "at most one
 * transformer" pattern.  Unlocks at the end of its scope if it took it. */
class try_lock_guard {
public:
	explicit try_lock_guard(tern_lightlock_t &l) noexcept
		: l_(tern_lightlock_try_lock(&l) ? &l : nullptr) {}
	~try_lock_guard()
	{
		if (l_)
			tern_lightlock_unlock(l_);
	}
	bool owns_lock() const noexcept { return l_ != nullptr; }
	explicit operator bool() const noexcept { return l_ != nullptr; }
	TERN__NO_COPY_NO_MOVE(try_lock_guard);

private:
	tern_lightlock_t *l_;
};

/* The LightLock as a C++ Lockable type (lock, try_lock, unlock): one byte,
 * usable with std::lock_guard, std::unique_lock and std::scoped_lock.
 * native_handle() gives the C lock for tern_lightlock_* calls. */
class lightlock {
public:
	lightlock() noexcept : l_() { tern_lightlock_init(&l_); }
	void lock() noexcept { tern_lightlock_lock(&l_); }
	bool try_lock() noexcept { return tern_lightlock_try_lock(&l_); }
	void unlock() noexcept { tern_lightlock_unlock(&l_); }
	/* A hint only (see tern_lightlock_is_locked). */
	bool is_locked() noexcept { return tern_lightlock_is_locked(&l_); }
	tern_lightlock_t *native_handle() noexcept { return &l_; }
	TERN__NO_COPY_NO_MOVE(lightlock);

private:
	tern_lightlock_t l_;
};

static_assert(sizeof(lightlock) == 1, "tern::lightlock must stay one byte");

#undef TERN__NO_COPY_NO_MOVE

} // namespace tern

#endif /* TERN_HPP */
