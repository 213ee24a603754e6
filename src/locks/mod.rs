//! Lock backends: our own raw locks, the standard ones, and the two baselines (an atomic
//! increment, and no synchronisation at all).
//!
//! The runner sees every backend through [`Backend`], a closure-style critical section, and is
//! generic over it: the hot loop is compiled once per backend, with no call through a pointer
//! per operation. [`BACKENDS`] is the registry of names and facts; [`visit`] turns a name into
//! the type.

pub mod futex;
pub mod pshared;
pub mod pthread;
pub mod raw;
pub mod relax;
pub mod spin;
pub mod ticket;

use std::fmt;
use std::sync::PoisonError;

use serde::{Deserialize, Serialize};

pub use futex::FutexMutex;
pub use pshared::{PosixSemaphore, ProcessSharedMutex};
pub use pthread::PthreadMutex;
pub use raw::{Guard, RawLock};
pub use spin::SpinLock;
pub use ticket::TicketLock;

/// What a backend's critical section does to shared data, and so what its figures mean.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
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
    const KIND: Kind;

    /// Makes a new, unlocked backend at `at`, where it stays: some locks (the process-shared
    /// ones) must be initialised at their final address and never moved.
    ///
    /// # Safety
    /// `at` is valid for writes and aligned; the value is not moved afterwards, and is dropped
    /// in place (or never) when done.
    unsafe fn init_at(at: *mut Self);

    /// Runs `f` inside the critical section (for the baselines: runs it, unprotected).
    fn with<T>(&self, f: impl FnOnce() -> T) -> T;
}

impl<L: RawLock + 'static> Backend for L {
    const KIND: Kind = Kind::Lock;

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

/// `std::sync::Mutex`.
pub struct StdMutex(std::sync::Mutex<()>);

impl Backend for StdMutex {
    const KIND: Kind = Kind::Lock;

    unsafe fn init_at(at: *mut Self) {
        // SAFETY: the caller's contract: `at` is writable and aligned; this type may move.
        unsafe { at.write(StdMutex(std::sync::Mutex::new(()))) }
    }

    #[inline(always)]
    fn with<T>(&self, f: impl FnOnce() -> T) -> T {
        // A poisoned `()` carries no broken invariant; the counter is checked at the end anyway.
        let _guard = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        f()
    }
}

/// `parking_lot::Mutex`.
pub struct ParkingMutex(parking_lot::Mutex<()>);

impl Backend for ParkingMutex {
    const KIND: Kind = Kind::Lock;

    unsafe fn init_at(at: *mut Self) {
        // SAFETY: the caller's contract: `at` is writable and aligned; this type may move.
        unsafe { at.write(ParkingMutex(parking_lot::Mutex::new(()))) }
    }

    #[inline(always)]
    fn with<T>(&self, f: impl FnOnce() -> T) -> T {
        let _guard = self.0.lock();
        f()
    }
}

/// The `atomic` baseline: no lock; the workload makes its update one atomic `fetch_add`.
pub struct AtomicBaseline;

impl Backend for AtomicBaseline {
    const KIND: Kind = Kind::AtomicRmw;

    unsafe fn init_at(at: *mut Self) {
        // SAFETY: the caller's contract: `at` is writable and aligned; this type may move.
        unsafe { at.write(AtomicBaseline) }
    }

    #[inline(always)]
    fn with<T>(&self, f: impl FnOnce() -> T) -> T {
        f()
    }
}

/// The `none` baseline: no lock at all, so concurrent read-then-write updates overwrite each other.
pub struct Unsynchronised;

impl Backend for Unsynchronised {
    const KIND: Kind = Kind::Unsynchronised;

    unsafe fn init_at(at: *mut Self) {
        // SAFETY: the caller's contract: `at` is writable and aligned; this type may move.
        unsafe { at.write(Unsynchronised) }
    }

    #[inline(always)]
    fn with<T>(&self, f: impl FnOnce() -> T) -> T {
        f()
    }
}

/// Every backend lockbench knows, by CLI name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BackendId {
    Std,
    ParkingLot,
    Spin,
    SpinPure,
    Ticket,
    TicketSpin,
    Pthread,
    Futex,
    ProcessShared,
    PosixSem,
    Atomic,
    None,
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

/// The facts `lockbench list` shows and results carry for a backend.
#[derive(Debug, Serialize)]
pub struct BackendInfo {
    /// Registry key.
    pub id: BackendId,
    /// The CLI name.
    pub name: &'static str,
    /// Other accepted spellings.
    pub aliases: &'static [&'static str],
    /// What it is, in one line.
    pub summary: &'static str,
    /// Lock, atomic baseline or unsynchronised baseline.
    pub kind: Kind,
    /// Whether waiters are served in arrival order.
    pub fair: bool,
    /// How a waiter waits.
    pub waiting: Waiting,
    /// Why it cannot work between processes (`None`: it can; its state lives in the shared
    /// mapping).
    pub not_across_processes: Option<&'static str>,
}

/// The registry, in the order `lockbench list` shows it.
pub const BACKENDS: &[BackendInfo] = &[
    BackendInfo {
        id: BackendId::Std,
        name: "std",
        aliases: &[],
        summary: "std::sync::Mutex (futex-based; spins briefly, then sleeps)",
        kind: Kind::Lock,
        fair: false,
        waiting: Waiting::SpinThenSleep,
        not_across_processes: Some(
            "std::sync::Mutex waits on a process-private futex (FUTEX_PRIVATE_FLAG) and is not repr(C)",
        ),
    },
    BackendInfo {
        id: BackendId::ParkingLot,
        name: "parking-lot",
        aliases: &["parking_lot"],
        summary: "parking_lot::Mutex (adaptive spinning, then parks; eventual fairness every ~0.5 ms)",
        kind: Kind::Lock,
        fair: false,
        waiting: Waiting::SpinThenSleep,
        not_across_processes: Some(
            "parking_lot parks waiters in a per-process hash table that another process cannot see",
        ),
    },
    BackendInfo {
        id: BackendId::Spin,
        name: "spin",
        aliases: &[],
        summary: "our test-and-test-and-set spinlock with exponential backoff, then yield",
        kind: Kind::Lock,
        fair: false,
        waiting: Waiting::Backoff,
        not_across_processes: None,
    },
    BackendInfo {
        id: BackendId::SpinPure,
        name: "spin-pure",
        aliases: &[],
        summary: "the same spinlock, pure spinning (never yields: collapses when threads > cores)",
        kind: Kind::Lock,
        fair: false,
        waiting: Waiting::Spin,
        not_across_processes: None,
    },
    BackendInfo {
        id: BackendId::Ticket,
        name: "ticket",
        aliases: &[],
        summary: "our FIFO ticket lock; spins 128 times, then yields",
        kind: Kind::Lock,
        fair: true,
        waiting: Waiting::SpinThenYield,
        not_across_processes: None,
    },
    BackendInfo {
        id: BackendId::TicketSpin,
        name: "ticket-spin",
        aliases: &[],
        summary: "the same ticket lock, pure spinning (collapses when threads > cores)",
        kind: Kind::Lock,
        fair: true,
        waiting: Waiting::Spin,
        not_across_processes: None,
    },
    BackendInfo {
        id: BackendId::Pthread,
        name: "pthread",
        aliases: &[],
        summary: "libc pthread_mutex_t, default attributes (glibc: futex-based, no spinning)",
        kind: Kind::Lock,
        fair: false,
        waiting: Waiting::Sleep,
        not_across_processes: Some(
            "a default pthread mutex is process-private; use process-shared",
        ),
    },
    BackendInfo {
        id: BackendId::Futex,
        name: "futex",
        aliases: &[],
        summary: "our three-state futex mutex (Drepper's \"Futexes Are Tricky\"), no spinning",
        kind: Kind::Lock,
        fair: false,
        waiting: Waiting::Sleep,
        not_across_processes: None,
    },
    BackendInfo {
        id: BackendId::ProcessShared,
        name: "process-shared",
        aliases: &[],
        summary: "pthread mutex with PTHREAD_PROCESS_SHARED and PTHREAD_MUTEX_ROBUST (survives a dead holder)",
        kind: Kind::Lock,
        fair: false,
        waiting: Waiting::Sleep,
        not_across_processes: None,
    },
    BackendInfo {
        id: BackendId::PosixSem,
        name: "posix-sem",
        aliases: &["semaphore"],
        summary: "process-shared POSIX semaphore, one permit (what Python's multiprocessing.Lock uses)",
        kind: Kind::Lock,
        fair: false,
        waiting: Waiting::Sleep,
        not_across_processes: None,
    },
    BackendInfo {
        id: BackendId::Atomic,
        name: "atomic",
        aliases: &[],
        summary: "no lock: one atomic fetch_add per update (the floor for any lock)",
        kind: Kind::AtomicRmw,
        fair: false,
        waiting: Waiting::NoWait,
        not_across_processes: None,
    },
    BackendInfo {
        id: BackendId::None,
        name: "none",
        aliases: &[],
        summary: "no synchronisation: read, then write back (loses updates: the reason locks exist)",
        kind: Kind::Unsynchronised,
        fair: false,
        waiting: Waiting::NoWait,
        not_across_processes: None,
    },
];

impl BackendId {
    /// This backend's registry entry.
    pub fn info(self) -> &'static BackendInfo {
        BACKENDS
            .iter()
            .find(|b| b.id == self)
            .expect("every BackendId has a registry entry (checked by a test)")
    }
}

/// Finds a backend by its CLI name or an alias (case-insensitive).
pub fn lookup(name: &str) -> Option<&'static BackendInfo> {
    let name = name.trim();
    BACKENDS.iter().find(|b| {
        b.name.eq_ignore_ascii_case(name) || b.aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
    })
}

/// The valid names, comma-separated, for error messages.
pub fn names() -> String {
    BACKENDS
        .iter()
        .map(|b| b.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Something generic over a backend type, called with the type a [`BackendId`] names.
pub trait Visit {
    /// What the visit returns.
    type Output;
    /// Called with the backend's type.
    fn visit<B: Backend>(self, info: &'static BackendInfo) -> Self::Output;
}

/// Calls `visitor` with the type behind `id`: the one place where names become types.
pub fn visit<V: Visit>(id: BackendId, visitor: V) -> V::Output {
    let info = id.info();
    match id {
        BackendId::Std => visitor.visit::<StdMutex>(info),
        BackendId::ParkingLot => visitor.visit::<ParkingMutex>(info),
        BackendId::Spin => visitor.visit::<SpinLock<relax::Backoff>>(info),
        BackendId::SpinPure => visitor.visit::<SpinLock<relax::Spin>>(info),
        BackendId::Ticket => visitor.visit::<TicketLock<relax::SpinThenYield>>(info),
        BackendId::TicketSpin => visitor.visit::<TicketLock<relax::Spin>>(info),
        BackendId::Pthread => visitor.visit::<PthreadMutex>(info),
        BackendId::Futex => visitor.visit::<FutexMutex>(info),
        BackendId::ProcessShared => visitor.visit::<ProcessSharedMutex>(info),
        BackendId::PosixSem => visitor.visit::<PosixSemaphore>(info),
        BackendId::Atomic => visitor.visit::<AtomicBaseline>(info),
        BackendId::None => visitor.visit::<Unsynchronised>(info),
    }
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
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn every_id_has_one_entry_and_names_are_unique() {
        for b in BACKENDS {
            assert_eq!(b.id.info().name, b.name);
            assert_eq!(lookup(b.name).map(|i| i.id), Some(b.id));
            for a in b.aliases {
                assert_eq!(lookup(a).map(|i| i.id), Some(b.id));
            }
        }
        let mut names: Vec<_> = BACKENDS.iter().map(|b| b.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), BACKENDS.len());
    }

    #[test]
    fn lookup_accepts_aliases_and_case() {
        assert_eq!(lookup("parking_lot").unwrap().id, BackendId::ParkingLot);
        assert_eq!(lookup("Ticket").unwrap().id, BackendId::Ticket);
        assert!(lookup("tickets").is_none());
    }

    #[test]
    fn kinds_match_the_types() {
        struct KindOf;
        impl Visit for KindOf {
            type Output = Kind;
            fn visit<B: Backend>(self, _: &'static BackendInfo) -> Kind {
                B::KIND
            }
        }
        for b in BACKENDS {
            assert_eq!(visit(b.id, KindOf), b.kind, "{}", b.name);
        }
    }
}
