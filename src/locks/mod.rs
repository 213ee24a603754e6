//! Lock backends: our own raw locks, adapters for the standard ones, and the two baselines (an
//! atomic increment, and no synchronisation at all).
//!
//! The runner sees every backend through [`Backend`], a closure-style critical section, and is
//! generic over it: the hot loop is compiled once per backend, with no call through a pointer
//! per operation. What a backend *is* (its name, fairness, how waiters wait) is stated once, in
//! its [`Facts`], when it is registered (`crate::registry`).

pub use lockbench_locks::{futex, raw, relax, spin, tas, ticket};

pub mod adapters;
pub mod async_locks;
pub mod clh;
pub mod lock_api;
pub mod mcs;
pub mod posix;
pub mod pshared;
pub mod pthread;
pub mod rwlock;

use std::fmt;
use std::future::Future;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

pub use adapters::{AtomicBaseline, ParkingMutex, StdMutex, Unsynchronised};
pub use async_locks::{AsyncLockMutex, TokioMutex};
pub use clh::ClhLock;
pub use futex::FutexMutex;
pub use lock_api::{LockApi, LockApi05};
pub use mcs::McsLock;
pub use pshared::PosixSemaphore;
pub use pthread::{PosixMutex, ProcessSharedMutex, PthreadMutex, PthreadShared};
pub use raw::{Guard, RawLock};
pub use rwlock::{ParkingRwLock, PthreadRwLock, RwSpinLock, StdRwLock};
pub use spin::SpinLock;
pub use tas::TasLock;
pub use ticket::TicketLock;

/// What protects the shared data in a backend's critical section, and so what its figures mean.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Protection {
    /// A mutual-exclusion lock: the update is a plain read, then a write, made safe by the lock.
    Lock,
    /// No lock: the update is one atomic read-modify-write. The floor every lock is measured against.
    AtomicRmw,
    /// No lock and no atomic update: a read, then a separate write. Updates are lost; that is the lesson.
    Unsynchronised,
}

/// A lock as the runner uses it: run a closure while holding it.
pub trait Backend: Send + Sync + 'static {
    /// How the workload updates the counter under this backend.
    const KIND: Protection;

    /// Makes a new, unlocked backend at `at`, where it stays: some locks (the process-shared
    /// ones) must be initialised at their final address and never moved.
    ///
    /// # Safety
    /// `at` is valid for writes and aligned; the value is not moved afterwards, and is dropped
    /// in place (or never) when done.
    unsafe fn init_at(at: *mut Self);

    /// Runs `f` inside the critical section (for the baselines: runs it, unprotected).
    fn with<T>(&self, f: impl FnOnce() -> T) -> T;

    /// Runs `f` holding the lock shared, as a reader that only reads what it protects. A
    /// reader-writer lock lets several readers in at once (never with a writer); any other
    /// backend takes itself exclusively, so that the same read-mostly workload runs on every
    /// backend and shows where a reader-writer lock pays.
    #[inline(always)]
    fn with_shared<T>(&self, f: impl FnOnce() -> T) -> T {
        self.with(f)
    }

    /// Why an acquisition of this backend cannot have a deadline (`None`: it can, through
    /// [`with_timeout`](Backend::with_timeout)).
    const CANNOT_TIME_OUT: Option<&'static str> = Some("it has no timed acquire");

    /// Runs `f` inside the critical section if the lock can be taken within `timeout` of the
    /// start of the wait; `None`, without running `f`, if the wait gave up. The runner calls it
    /// only when [`CANNOT_TIME_OUT`](Backend::CANNOT_TIME_OUT) is `None`; this default waits to
    /// the end.
    #[inline(always)]
    fn with_timeout<T>(&self, timeout: Duration, f: impl FnOnce() -> T) -> Option<T> {
        let _ = timeout;
        Some(self.with(f))
    }

    /// [`with_timeout`](Backend::with_timeout), holding the lock shared (as
    /// [`with_shared`](Backend::with_shared) does).
    #[inline(always)]
    fn with_shared_timeout<T>(&self, timeout: Duration, f: impl FnOnce() -> T) -> Option<T> {
        self.with_timeout(timeout, f)
    }

    /// Runs `f` inside the critical section from a task (`--tasks`): an async mutex awaits its
    /// turn, giving the worker thread to other tasks while it waits; this default, for every
    /// other backend, takes the lock as [`with`](Backend::with) does, blocking the worker
    /// thread, and `f` has no await point inside, as async code must use a blocking lock.
    #[inline(always)]
    fn with_async<T: Send>(&self, f: impl FnOnce() -> T + Send) -> impl Future<Output = T> + Send {
        async move { self.with(f) }
    }
}

/// How often a spinning waiter with a deadline reads the clock: every this many looks at the
/// lock (a look is a few nanoseconds; a clock read a few tens).
const LOOKS_PER_CLOCK_READ: u32 = 16;

/// A waiter's deadline, read from the clock only once the wait has begun (an acquisition that
/// finds the lock free costs no clock read) and then every [`LOOKS_PER_CLOCK_READ`] looks.
/// Returns `true` once `timeout` has passed since the first look.
pub(crate) fn deadline_after(timeout: Duration) -> impl FnMut() -> bool {
    let mut deadline: Option<Instant> = None;
    let mut looks = 0u32;
    move || {
        looks = looks.wrapping_add(1);
        if looks % LOOKS_PER_CLOCK_READ != 1 {
            return false;
        }
        let now = Instant::now();
        match deadline {
            None => {
                // An unrepresentable deadline (a timeout of centuries) is no deadline.
                deadline = Some(
                    now.checked_add(timeout)
                        .unwrap_or(now + Duration::from_secs(1 << 32)),
                );
                false
            }
            Some(d) => now >= d,
        }
    }
}

impl<L: RawLock + 'static> Backend for L {
    const KIND: Protection = Protection::Lock;

    unsafe fn init_at(at: *mut Self) {
        // SAFETY: the caller's contract: `at` is writable and aligned. Our raw locks may be moved
        // before first use, so constructing then writing is fine.
        unsafe { at.write(<L as RawLock>::new()) }
    }

    #[inline(always)]
    fn with<T>(&self, f: impl FnOnce() -> T) -> T {
        let _guard = Guard::acquire(self);
        f()
    }

    const CANNOT_TIME_OUT: Option<&'static str> = L::CANNOT_GIVE_UP;

    #[inline(always)]
    fn with_timeout<T>(&self, timeout: Duration, f: impl FnOnce() -> T) -> Option<T> {
        let _guard = Guard::acquire_unless(self, deadline_after(timeout))?;
        Some(f())
    }
}

/// How a thread that finds the lock taken waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Waiting {
    /// Spins a little, then sleeps in the kernel until woken (futex).
    SpinThenSleep,
    /// Sleeps in the kernel at once (futex), no spinning.
    Sleep,
    /// Spins with the CPU hint and never gives up the core.
    Spin,
    /// Spins up to a fixed count, then yields the core at every further look.
    SpinThenYield,
    /// Exponential backoff of spin hints, then yields.
    Backoff,
    /// Never waits: there is no lock.
    NoWait,
    /// Awaits: the waiting task gives its thread to other tasks until woken (async mutexes).
    Await,
}

impl fmt::Display for Waiting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Waiting::SpinThenSleep => "spin, then sleep",
            Waiting::Sleep => "sleep",
            Waiting::Spin => "spin",
            Waiting::SpinThenYield => "spin, then yield",
            Waiting::Backoff => "backoff, then yield",
            Waiting::NoWait => "no waiting",
            Waiting::Await => "await",
        })
    }
}

/// What a backend is, stated once when it is registered: `lockbench list` shows these facts and
/// results carry them. What protects its critical section is not stated here: it is the type's
/// own [`Backend::KIND`].
#[derive(Clone, Copy, Debug)]
pub struct Facts {
    /// The CLI name.
    pub name: &'static str,
    /// Other accepted spellings.
    pub aliases: &'static [&'static str],
    /// What it is, in one line.
    pub summary: &'static str,
    /// Whether waiters are served in arrival order.
    pub fair: bool,
    /// How a waiter waits.
    pub waiting: Waiting,
    /// Why it cannot work between processes (`None`: it can; its state lives in the shared
    /// mapping).
    pub not_across_processes: Option<&'static str>,
}

#[cfg(all(test, not(lockbench_loom)))]
pub(crate) mod stress {
    //! The multi-thread stress check shared by every backend's tests.

    /// One backend made as the runner makes its locks: in zeroed memory, initialised in place
    /// by its own `init_at`, never moved, and dropped in place.
    pub(crate) struct InPlace<B: super::Backend> {
        at: std::ptr::NonNull<B>,
    }

    impl<B: super::Backend> InPlace<B> {
        /// Aligned to a cache line, as the runner's slots are.
        fn layout() -> std::alloc::Layout {
            std::alloc::Layout::new::<B>()
                .align_to(128)
                .expect("128 is a power of two")
                .pad_to_align()
        }

        pub(crate) fn new() -> Self {
            let layout = Self::layout();
            // SAFETY: the layout is at least 128 bytes; zeroed memory, as a shared mapping is.
            let raw = unsafe { std::alloc::alloc_zeroed(layout) }.cast::<B>();
            let at = std::ptr::NonNull::new(raw)
                .unwrap_or_else(|| std::alloc::handle_alloc_error(layout));
            // SAFETY: freshly allocated, writable, aligned; it stays here until Drop.
            unsafe { B::init_at(at.as_ptr()) };
            InPlace { at }
        }
    }

    impl<B: super::Backend> std::ops::Deref for InPlace<B> {
        type Target = B;
        fn deref(&self) -> &B {
            // SAFETY: initialised in `new`, alive until Drop.
            unsafe { self.at.as_ref() }
        }
    }

    impl<B: super::Backend> Drop for InPlace<B> {
        fn drop(&mut self) {
            // SAFETY: initialised in `new`, dropped once here (`&mut self`: no reference
            // alive), then freed with the layout it was allocated with.
            unsafe {
                std::ptr::drop_in_place(self.at.as_ptr());
                std::alloc::dealloc(self.at.as_ptr().cast(), Self::layout());
            }
        }
    }

    // SAFETY: it owns one `B`, which is Send + Sync, and gives out only `&B`.
    unsafe impl<B: super::Backend> Send for InPlace<B> {}
    // SAFETY: as above.
    unsafe impl<B: super::Backend> Sync for InPlace<B> {}

    /// The same for any backend's `with_timeout` and `with_shared_timeout` (half the attempts
    /// each; readers add nothing), with a deadline of `timeout` and a critical section of
    /// `hold`, initialised in place as the runner makes its locks.
    pub(crate) fn exact_count_with_timeout<B: super::Backend>(
        threads: usize,
        per_thread: u64,
        timeout: std::time::Duration,
        hold: std::time::Duration,
    ) {
        use std::sync::atomic::{AtomicU64, Ordering};
        let lock = InPlace::<B>::new();
        let lock = &*lock;
        let (counter, entered, gave_up) = (AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0));
        let work = || {
            let start = std::time::Instant::now();
            while start.elapsed() < hold {
                std::hint::spin_loop();
            }
        };
        std::thread::scope(|s| {
            for t in 0..threads {
                let (counter, entered, gave_up) = (&counter, &entered, &gave_up);
                s.spawn(move || {
                    for i in 0..per_thread {
                        // Relaxed (all): the lock orders the counter; the tallies are read
                        // after the scope joins.
                        let began = std::time::Instant::now();
                        let done = if (i + t as u64).is_multiple_of(2) {
                            lock.with_timeout(timeout, || {
                                let v = counter.load(Ordering::Relaxed);
                                work();
                                counter.store(v + 1, Ordering::Relaxed);
                            })
                        } else {
                            lock.with_shared_timeout(timeout, work)
                        };
                        match done {
                            Some(()) if (i + t as u64).is_multiple_of(2) => {
                                entered.fetch_add(1, Ordering::Relaxed);
                            }
                            Some(()) => {}
                            None => {
                                let took = began.elapsed();
                                assert!(
                                    took >= timeout,
                                    "gave up after {took:?}, before {timeout:?}"
                                );
                                gave_up.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                });
            }
        });
        assert!(gave_up.load(Ordering::Relaxed) > 0, "some waits gave up");
        assert_eq!(
            counter.load(Ordering::Relaxed),
            entered.load(Ordering::Relaxed)
        );
        assert_eq!(
            lock.with_timeout(timeout, || 7),
            Some(7),
            "the lock is left free"
        );
    }

    /// The same for any backend, initialised in place as the runner makes its locks.
    pub(crate) fn exact_count_backend<B: super::Backend>(threads: usize, per_thread: u64) {
        use std::sync::atomic::{AtomicU64, Ordering};
        let lock = InPlace::<B>::new();
        let counter = AtomicU64::new(0);
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(|| {
                    for _ in 0..per_thread {
                        lock.with(|| {
                            // Relaxed: the lock orders these; a broken lock loses counts.
                            let v = counter.load(Ordering::Relaxed);
                            counter.store(v + 1, Ordering::Relaxed);
                        });
                    }
                });
            }
        });
        // Relaxed: the scope joined every thread.
        assert_eq!(counter.load(Ordering::Relaxed), threads as u64 * per_thread);
    }
}

#[cfg(all(test, not(lockbench_loom)))]
mod timeout_tests {
    use std::time::Duration;

    use super::relax::{Backoff, Spin};
    use super::*;

    /// Four threads on one lock, each holding it 200 µs, with a deadline of 20 µs: waits give
    /// up, and every update that was made is counted.
    fn check<B: Backend>() {
        assert!(B::CANNOT_TIME_OUT.is_none());
        stress::exact_count_with_timeout::<B>(
            4,
            300,
            Duration::from_micros(20),
            Duration::from_micros(200),
        );
    }

    #[test]
    fn every_backend_that_can_time_out_gives_up_and_counts_exactly() {
        check::<SpinLock<Backoff>>();
        check::<SpinLock<Spin>>();
        check::<TasLock<Backoff>>();
        check::<ParkingMutex>();
        check::<PthreadMutex>();
        check::<ProcessSharedMutex>();
        check::<PosixSemaphore>();
        check::<ParkingRwLock>();
        check::<PthreadRwLock>();
    }

    #[test]
    fn the_deadline_reads_the_clock_only_once_the_wait_has_begun() {
        let mut expired = deadline_after(Duration::ZERO);
        // The first look starts the clock; the next reading comes 16 looks later.
        assert!(!expired());
        assert!((0..LOOKS_PER_CLOCK_READ - 1).all(|_| !expired()));
        assert!(expired());
        let mut never = deadline_after(Duration::from_secs(3600));
        assert!((0..1000).all(|_| !never()));
        let mut huge = deadline_after(Duration::MAX);
        assert!((0..100).all(|_| !huge()));
    }
}
