// SPDX-License-Identifier: MIT
//! Rust rows of tern's benchmark (`make bench`).
//!
//! The exercise's crossbeam LazyTransform ("Exploring lock-free Rust 3"), ported
//! to crossbeam-epoch 0.9, run with the same workload as the C harness
//! (bench/lazy) and driven by it over stdin/stdout:
//!
//!   driver -> child   run <scenario> <impl> <consumers> <payload> <seconds>
//!                     quit
//!   child -> driver   ready rust <description>          (once, at start)
//!                     result <cpu_ns> <wall_ns> <ops> <prod_ns> <prod_iters> <transforms> <hits> <xform_ns> <xreads>
//!                     error <message>
//!
//! cpu_ns, wall_ns, ops and hits are summed over the consumer threads;
//! xform_ns is the part of cpu_ns spent on the transform path and xreads the
//! reads that ran it, as in bench/common/bench.h: the window opens first
//! thing in the transform and closes when the read that ran it returns, plus
//! one clock read's cost; the driver reports (cpu_ns - xform_ns) / (ops -
//! xreads).  prod_ns is the median wall time of one set_source call.  Each
//! thread reads its own CPU clock (clock_gettime(CLOCK_THREAD_CPUTIME_ID),
//! declared below because the libc crate is not packaged) around its read loop.
//!
//! Scenarios and implementations:
//!   lazy       rust-clone   get_transformed() returns a clone of the String (the exercise's API)
//!              rust-borrow  the String is inspected under the guard, not cloned
//!   breakdown  rust         load: one relaxed load of an AtomicU64 (no pin)
//!              crossbeam    u64 | box-u64 | str3 | str128 | str1024 | str2048 | refcount:
//!                           pin, load, clone the payload, unpin (the exercise's list)

use std::cell::Cell;
use std::hint::black_box;
use std::io::{self, BufRead, Write};
use std::os::raw::{c_int, c_long};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use crossbeam_epoch::{self as epoch, Atomic, Guard, Owned};

// ---- clocks -------------------------------------------------------------

#[repr(C)]
struct Timespec {
    tv_sec: c_long,
    tv_nsec: c_long,
}

extern "C" {
    fn clock_gettime(clk: c_int, tp: *mut Timespec) -> c_int;
}

const CLOCK_MONOTONIC: c_int = 1;
const CLOCK_THREAD_CPUTIME_ID: c_int = 3;

fn clock_ns(clk: c_int) -> u64 {
    let mut ts = Timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: ts is a valid, writable timespec; the clock ids are Linux constants.
    let rc = unsafe { clock_gettime(clk, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime failed");
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

fn wall_ns() -> u64 {
    clock_ns(CLOCK_MONOTONIC)
}

fn cpu_ns() -> u64 {
    clock_ns(CLOCK_THREAD_CPUTIME_ID)
}

// ---- the shared workload (same as bench/common/bench.h) ---------------------

const WORK_ITERS: u32 = 10_000;
const PROD_SAMPLES: usize = 65_536;
const BATCH: u64 = 64;

/// Simulated work: 10,000 dependent floating-point multiplications.
fn work(blob: &[u8; 3]) -> f64 {
    let mut x = 1.0 + (blob[0] as f64 + blob[1] as f64 + blob[2] as f64) * 1e-3;
    for _ in 0..WORK_ITERS {
        x *= 1.000_000_1;
    }
    x
}

/// A consumer's transform path (bench/common/bench.h): t0 the CPU time at
/// the open window's start (0: none), ns the windows' total, reads the reads
/// that ran a transform, clock the cost of one clock read.
struct Xform {
    t0: Cell<u64>,
    ns: Cell<u64>,
    reads: Cell<u64>,
    clock: Cell<u64>,
}

thread_local! {
    static XFORM: Xform = const {
        Xform { t0: Cell::new(0), ns: Cell::new(0), reads: Cell::new(0), clock: Cell::new(0) }
    };
}

/// Measures the clock read's cost and resets the counters (before the clock starts).
fn xform_reset() {
    let t0 = cpu_ns();
    let mut t1 = t0;
    for _ in 0..64 {
        t1 = cpu_ns();
    }
    XFORM.with(|x| {
        x.clock.set((t1 - t0) / 64);
        x.t0.set(0);
        x.ns.set(0);
        x.reads.set(0);
    });
}

/// After each read: closes the window if this read ran a transform.
#[inline(always)]
fn xform_end() {
    XFORM.with(|x| {
        let t0 = x.t0.get();
        if t0 != 0 {
            x.ns.set(x.ns.get() + cpu_ns() - t0 + x.clock.get());
            x.reads.set(x.reads.get() + 1);
            x.t0.set(0);
        }
    });
}

/// The transform: the same work, then a string made of the blob and the result.
fn transform(blob: &[u8; 3]) -> Option<String> {
    XFORM.with(|x| {
        if x.t0.get() == 0 {
            x.t0.set(cpu_ns());
        }
    });
    let x = work(blob);
    Some(format!("{}{}{}-{:.6}", blob[0] as char, blob[1] as char, blob[2] as char, x))
}

/// strcmp(s, "longer") < 0, written out the same way in C, Java and Rust so
/// that every language pays the same for the consumer's check.
#[inline(always)]
fn lt_longer(s: &str) -> bool {
    let a = s.as_bytes();
    let b = b"longer";
    let mut i = 0;
    loop {
        let ca = if i < a.len() { a[i] } else { 0 };
        let cb = if i < b.len() { b[i] } else { 0 };
        if ca != cb || ca == 0 {
            return ca < cb;
        }
        i += 1;
    }
}

/// One relaxed load that the optimiser cannot merge with the next one.
/// LLVM merges consecutive relaxed loads of the same atomic even across a
/// compiler fence (the C row's atomic_signal_fence works for gcc), so on
/// x86-64 the load is one `mov` in an asm block (asm without `pure` is never
/// merged or hoisted); elsewhere black_box hides the address.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn load_once(x: &AtomicU64) -> u64 {
    let v: u64;
    // SAFETY: x.as_ptr() is valid and aligned; an aligned 8-byte mov is an
    // atomic (relaxed) load on x86-64.
    unsafe {
        std::arch::asm!("mov {v}, qword ptr [{p}]", p = in(reg) x.as_ptr(), v = out(reg) v,
                        options(nostack, readonly, preserves_flags));
    }
    v
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn load_once(x: &AtomicU64) -> u64 {
    black_box(x).load(Ordering::Relaxed)
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn blob(&mut self) -> [u8; 3] {
        let r = self.next();
        [
            b'A' + (r % 10) as u8,
            b'A' + ((r >> 8) % 10) as u8,
            b'A' + ((r >> 16) % 10) as u8,
        ]
    }
}

// ---- LightLock (exercise part 2) -------------------------------------------------

struct LightLock(AtomicBool);

struct LightGuard<'a>(&'a LightLock);

impl LightLock {
    const fn new() -> Self {
        LightLock(AtomicBool::new(false))
    }

    fn try_lock(&self) -> Option<LightGuard<'_>> {
        // Test first (relaxed), so that readers racing for the lock do not
        // all write the line, then swap with acquire ordering.
        if self.0.load(Ordering::Relaxed) || self.0.swap(true, Ordering::Acquire) {
            None
        } else {
            Some(LightGuard(self))
        }
    }
}

impl Drop for LightGuard<'_> {
    fn drop(&mut self) {
        self.0 .0.store(false, Ordering::Release);
    }
}

// ---- LazyTransform on crossbeam-epoch 0.9 (exercise part 3) ---------------------

/// The exercise's crossbeam LazyTransform.  Differences forced by crossbeam 0.9:
/// `Atomic::swap` takes `Owned`/`Shared`, and `defer_destroy` runs destructors
/// (the exercise needed Coco for that).  The transform borrows the source (like
/// tern's `transform(const void *source, ...)`), so the source is destroyed
/// with `defer_destroy` after use instead of being moved out with ptr::read.
pub struct LazyTransform<S, T, F> {
    transform_fn: F,
    source: Atomic<S>,
    value: Atomic<T>,
    transform_lock: LightLock,
    transforms: AtomicU64,
}

impl<S, T, F: Fn(&S) -> Option<T>> LazyTransform<S, T, F> {
    pub fn new(transform_fn: F) -> Self {
        LazyTransform {
            transform_fn,
            source: Atomic::null(),
            value: Atomic::null(),
            transform_lock: LightLock::new(),
            transforms: AtomicU64::new(0),
        }
    }

    pub fn set_source(&self, source: S) {
        let guard = epoch::pin();
        let prev = self.source.swap(Owned::new(source), Ordering::AcqRel, &guard);
        if !prev.is_null() {
            // SAFETY: prev was unlinked by the swap; readers pinned now may
            // still see it, and defer_destroy waits for them.
            unsafe { guard.defer_destroy(prev) };
        }
    }

    /// Transforms a pending source, if this thread wins the transform lock.
    fn try_transform(&self, guard: &Guard) {
        if let Some(_lock) = self.transform_lock.try_lock() {
            let source = self.source.swap(epoch::Shared::null(), Ordering::AcqRel, guard);
            if source.is_null() {
                return;
            }
            // SAFETY: source is non-null and protected by the guard.
            let newval = (self.transform_fn)(unsafe { source.deref() });
            // SAFETY: source was unlinked by the swap above.
            unsafe { guard.defer_destroy(source) };
            if let Some(newval) = newval {
                let prev = self.value.swap(Owned::new(newval), Ordering::AcqRel, guard);
                if !prev.is_null() {
                    // SAFETY: prev was unlinked by the swap above.
                    unsafe { guard.defer_destroy(prev) };
                }
                self.transforms.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// The exercise's API: a clone of the cached value.
    pub fn get_transformed(&self) -> Option<T>
    where
        T: Clone,
    {
        let guard = epoch::pin();
        if !self.source.load(Ordering::Relaxed, &guard).is_null() {
            self.try_transform(&guard);
        }
        // SAFETY: the value is only destroyed through defer_destroy, after
        // this guard is dropped.
        unsafe { self.value.load(Ordering::Acquire, &guard).as_ref().cloned() }
    }

    /// Borrow variant: f sees the cached value under the guard (no clone).
    pub fn with_transformed<R>(&self, f: impl FnOnce(Option<&T>) -> R) -> R {
        let guard = epoch::pin();
        if !self.source.load(Ordering::Relaxed, &guard).is_null() {
            self.try_transform(&guard);
        }
        // SAFETY: as in get_transformed.
        f(unsafe { self.value.load(Ordering::Acquire, &guard).as_ref() })
    }
}

impl<S, T, F> Drop for LazyTransform<S, T, F> {
    fn drop(&mut self) {
        // SAFETY: &mut self: no other thread can access the container.
        unsafe {
            let guard = epoch::unprotected();
            let s = self.source.load(Ordering::Relaxed, guard);
            if !s.is_null() {
                drop(s.into_owned());
            }
            let v = self.value.load(Ordering::Relaxed, guard);
            if !v.is_null() {
                drop(v.into_owned());
            }
        }
    }
}

// ---- running threads -----------------------------------------------------------

#[derive(Default)]
struct Totals {
    cpu_ns: u64,
    wall_ns: u64,
    ops: u64,
    prod_ns: u64,
    prod_iters: u64,
    transforms: u64,
    hits: u64,
    xform_ns: u64,
    xreads: u64,
}

/// Runs `read` (one batch returns hits) on `consumers` threads, and
/// `producer` (if any) on one more thread, for `seconds`.
fn run_threads<R, P>(consumers: usize, seconds: f64, read: R, producer: Option<P>) -> Totals
where
    R: Fn() -> u64 + Sync,
    P: Fn(&AtomicBool) -> (u64, u64) + Sync,
{
    let stop = AtomicBool::new(false);
    let nthreads = consumers + 1 + usize::from(producer.is_some());
    let barrier = Barrier::new(nthreads);
    let mut totals = Totals::default();
    std::thread::scope(|s| {
        let mut handles = Vec::new();
        for _ in 0..consumers {
            handles.push(s.spawn(|| {
                // Register with the collector before the clock starts.
                drop(epoch::pin());
                barrier.wait();
                xform_reset();
                let c0 = cpu_ns();
                let w0 = wall_ns();
                let mut ops = 0u64;
                let mut hits = 0u64;
                loop {
                    hits += read();
                    ops += BATCH;
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                }
                let (cpu_ns, wall_ns) = (cpu_ns() - c0, wall_ns() - w0);
                let (xform_ns, xreads) = XFORM.with(|x| (x.ns.get(), x.reads.get()));
                Totals { cpu_ns, wall_ns, ops, hits, xform_ns, xreads, ..Totals::default() }
            }));
        }
        let prod = producer.as_ref().map(|p| {
            let stop = &stop;
            let barrier = &barrier;
            s.spawn(move || {
                drop(epoch::pin());
                barrier.wait();
                p(stop)
            })
        });
        barrier.wait();
        std::thread::sleep(Duration::from_secs_f64(seconds));
        stop.store(true, Ordering::Relaxed);
        for h in handles {
            let c = h.join().expect("consumer panicked");
            totals.cpu_ns += c.cpu_ns;
            totals.wall_ns += c.wall_ns;
            totals.ops += c.ops;
            totals.hits += c.hits;
            totals.xform_ns += c.xform_ns;
            totals.xreads += c.xreads;
        }
        if let Some(h) = prod {
            let (ns, iters) = h.join().expect("producer panicked");
            totals.prod_ns = ns;
            totals.prod_iters = iters;
        }
    });
    totals
}

/// A batch of BENCH_BATCH reads of the lazy scenario => its hits; a read
/// that ran a transform closes the transform window.
fn lazy_batch(read: impl Fn() -> bool + Sync) -> impl Fn() -> u64 + Sync {
    move || {
        let mut hits = 0;
        for _ in 0..BATCH {
            hits += read() as u64;
            xform_end();
        }
        hits
    }
}

fn run_lazy(imp: &str, consumers: usize, seconds: f64) -> Result<Totals, String> {
    let borrow = match imp {
        "rust-clone" => false,
        "rust-borrow" => true,
        _ => return Err(format!("unknown lazy implementation {imp}")),
    };
    let lt = LazyTransform::new(|b: &[u8; 3]| transform(b));
    let producer = |stop: &AtomicBool| {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        // Per-call times for the median (a mean would be dominated by the
        // calls during which the producer was preempted).
        let mut samples: Vec<u64> = Vec::with_capacity(PROD_SAMPLES);
        let mut iters = 0u64;
        while !stop.load(Ordering::Relaxed) {
            let blob = rng.blob();
            let t0 = wall_ns();
            lt.set_source(blob);
            let dt = wall_ns() - t0;
            if samples.len() < PROD_SAMPLES {
                samples.push(dt);
            }
            iters += 1;
            black_box(work(&blob));
        }
        samples.sort_unstable();
        let n = samples.len();
        let median = match n {
            0 => 0,
            _ if n % 2 == 1 => samples[n / 2],
            _ => (samples[n / 2 - 1] + samples[n / 2]) / 2,
        };
        (median, iters)
    };
    let mut t = if borrow {
        let read = || lt.with_transformed(|v| v.map_or(false, |s| lt_longer(s)));
        run_threads(consumers, seconds, lazy_batch(read), Some(producer))
    } else {
        let read = || black_box(lt.get_transformed()).map_or(false, |s| lt_longer(&s));
        run_threads(consumers, seconds, lazy_batch(read), Some(producer))
    };
    t.transforms = lt.transforms.load(Ordering::Relaxed);
    Ok(t)
}

const NO_PRODUCER: Option<fn(&AtomicBool) -> (u64, u64)> = None;

fn string_of(len: usize) -> String {
    // Starts with 'A' like the lazy values, so lt_longer decides on byte 0.
    (0..len).map(|i| (b'A' + (i % 10) as u8) as char).collect()
}

/// A batch of BENCH_BATCH breakdown reads => the sum of what they return (the hits).
fn batch(read: impl Fn() -> u64 + Sync) -> impl Fn() -> u64 + Sync {
    move || {
        let mut sum = 0;
        for _ in 0..BATCH {
            sum += read();
        }
        black_box(sum)
    }
}

/// Publishes value in an epoch cell, never written during the run; each
/// read is read(&cell).
fn run_cell<T: Send + Sync>(
    consumers: usize,
    seconds: f64,
    value: T,
    read: impl Fn(&Atomic<T>) -> u64 + Sync,
) -> Totals {
    let cell = Atomic::new(value);
    let t = run_threads(consumers, seconds, batch(|| read(&cell)), NO_PRODUCER);
    // SAFETY: all threads have been joined.
    unsafe { drop(cell.into_owned()) };
    t
}

/// pin, load, clone the payload, unpin; then inspect and drop the clone.
fn run_cloned<T: Clone + Send + Sync>(
    consumers: usize,
    seconds: f64,
    value: T,
    inspect: impl Fn(&T) -> bool + Sync,
) -> Totals {
    run_cell(consumers, seconds, value, |cell| {
        let v = {
            let guard = epoch::pin();
            // SAFETY: the cell is never written during the run.
            unsafe { cell.load(Ordering::Acquire, &guard).deref().clone() }
        };
        inspect(&black_box(v)) as u64
    })
}

fn run_breakdown(imp: &str, consumers: usize, payload: &str, seconds: f64) -> Result<Totals, String> {
    match (imp, payload) {
        ("rust", "load") => {
            let x = AtomicU64::new(1);
            Ok(run_threads(consumers, seconds, batch(|| load_once(&x)), NO_PRODUCER))
        }
        ("crossbeam", "u64") => Ok(run_cell(consumers, seconds, 1u64, |cell| {
            let guard = epoch::pin();
            // SAFETY: the cell is never written during the run.
            unsafe { *cell.load(Ordering::Acquire, &guard).deref() }
        })),
        ("crossbeam", "box-u64") => Ok(run_cloned(consumers, seconds, Box::new(1u64), |b| **b & 1 == 1)),
        ("crossbeam", "str3") => Ok(run_cloned(consumers, seconds, string_of(3), |s| lt_longer(s))),
        ("crossbeam", "str128") => Ok(run_cloned(consumers, seconds, string_of(128), |s| lt_longer(s))),
        ("crossbeam", "str1024") => Ok(run_cloned(consumers, seconds, string_of(1024), |s| lt_longer(s))),
        ("crossbeam", "str2048") => Ok(run_cloned(consumers, seconds, string_of(2048), |s| lt_longer(s))),
        ("crossbeam", "refcount") => {
            Ok(run_cloned(consumers, seconds, Arc::new(string_of(128)), |s| lt_longer(s)))
        }
        _ => Err(format!("unknown breakdown row {imp}/{payload}")),
    }
}

fn main() {
    let stdin = io::stdin();
    let mut out = io::stdout().lock();
    writeln!(out, "ready rust crossbeam-epoch-0.9 (LTO, codegen-units=1)").unwrap();
    out.flush().unwrap();
    for line in stdin.lock().lines() {
        let line = line.expect("reading stdin");
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.is_empty() {
            continue;
        }
        if f[0] == "quit" {
            break;
        }
        let res = if f[0] == "run" && f.len() == 6 {
            let consumers: usize = f[3].parse().unwrap_or(0);
            let seconds: f64 = f[5].parse().unwrap_or(0.0);
            if consumers == 0 || !(seconds > 0.0) {
                Err(format!("bad run line: {line}"))
            } else {
                match f[1] {
                    "lazy" => run_lazy(f[2], consumers, seconds),
                    "breakdown" => run_breakdown(f[2], consumers, f[4], seconds),
                    s => Err(format!("unknown scenario {s}")),
                }
            }
        } else {
            Err(format!("bad command: {line}"))
        };
        match res {
            Ok(t) => writeln!(
                out,
                "result {} {} {} {} {} {} {} {} {}",
                t.cpu_ns, t.wall_ns, t.ops, t.prod_ns, t.prod_iters, t.transforms, t.hits, t.xform_ns, t.xreads
            )
            .unwrap(),
            Err(e) => writeln!(out, "error {e}").unwrap(),
        }
        out.flush().unwrap();
    }
}
