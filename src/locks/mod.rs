//! Lock backends: our own raw locks, adapters for the standard ones, and the two baselines (an
//! atomic increment, and no synchronisation at all).
//!
//! The runner sees every backend through [`Backend`], a closure-style critical section, and is
//! generic over it: the hot loop is compiled once per backend, with no call through a pointer
//! per operation. What a backend *is* (its name, fairness, how waiters wait) is stated once, in
//! its [`Facts`], when it is registered (`crate::registry`).

pub mod adapters;
pub mod clh;
pub mod futex;
pub mod lock_api;
pub mod mcs;
pub mod pshared;
pub mod pthread;
pub mod raw;
pub mod relax;
pub mod rwlock;
pub mod spin;
pub mod tas;
pub mod ticket;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use adapters::{AtomicBaseline, ParkingMutex, StdMutex, Unsynchronised};
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

    /// Whether [`with_shared`](Backend::with_shared) lets readers in together (a reader-writer
    /// lock); `false`: a reader takes the lock exclusively, as a writer does.
    const SHARED_READERS: bool = false;

    /// Runs `f` holding the lock shared, as a reader that only reads what it protects. A
    /// reader-writer lock lets several readers in at once (never with a writer); any other
    /// backend takes itself exclusively, so that the same read-mostly workload runs on every
    /// backend and shows where a reader-writer lock pays.
    #[inline(always)]
    fn with_shared<T>(&self, f: impl FnOnce() -> T) -> T {
        self.with(f)
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

#[cfg(all(test, not(loom)))]
pub(crate) mod stress {
    //! The multi-thread stress check shared by every lock's tests.

    use std::cell::UnsafeCell;

    use super::RawLock;

    struct Counted<L> {
        lock: L,
        count: UnsafeCell<u64>,
    }

    // SAFETY: `count` is only touched while `lock` is held (see `exact_count`).
    unsafe impl<L: RawLock> Sync for Counted<L> {}

    /// `threads` threads each take the lock `per_thread` times and increment a plain (non-atomic)
    /// counter inside; any failure of mutual exclusion or ordering shows as a lost update.
    pub(crate) fn exact_count<L: RawLock>(threads: usize, per_thread: u64) {
        let shared = Counted {
            lock: L::new(),
            count: UnsafeCell::new(0),
        };
        std::thread::scope(|s| {
            for _ in 0..threads {
                let shared = &shared;
                s.spawn(move || {
                    for _ in 0..per_thread {
                        shared.lock.lock();
                        // SAFETY: we hold the lock, so no one else touches the counter.
                        unsafe { *shared.count.get() += 1 };
                        // SAFETY: we took the lock just above.
                        unsafe { shared.lock.unlock() };
                    }
                });
            }
        });
        assert_eq!(shared.count.into_inner(), threads as u64 * per_thread);
    }

    /// One thread: `lock`, a refused `try_lock` while held, `unlock`, then a `try_lock` that
    /// succeeds on the free lock, and `unlock`.
    pub(crate) fn lock_then_try<L: RawLock>() {
        let lock = L::new();
        lock.lock();
        assert!(!lock.try_lock(), "a held lock must refuse try_lock");
        // SAFETY: this thread took the lock just above.
        unsafe { lock.unlock() };
        assert!(lock.try_lock(), "a free lock must grant try_lock");
        // SAFETY: this thread took the lock just above.
        unsafe { lock.unlock() };
    }

    /// The same for any backend, initialised in place in a region as the runner makes it.
    pub(crate) fn exact_count_backend<B: super::Backend>(threads: usize, per_thread: u64) {
        use std::sync::atomic::{AtomicU64, Ordering};
        let region = crate::runner::region::HeapRegion::<B>::new(1, 1, 0);
        let counter = AtomicU64::new(0);
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(|| {
                    for _ in 0..per_thread {
                        region.view().slots[0].lock.0.with(|| {
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
