//! lockbench's own backends, in the order `lockbench list` shows them: each a type and the
//! facts it is registered under.

use super::Registry;
use crate::locks::relax::{Backoff, Spin, SpinThenYield};
use crate::locks::{
    AsyncLockMutex, AtomicBaseline, ClhLock, Facts, FutexMutex, LockApi, LockApi05, McsLock,
    ParkingMutex, ParkingRwLock, PosixSemaphore, ProcessSharedMutex, PthreadMutex, PthreadRwLock,
    PthreadShared, RwSpinLock, SpinLock, StdMutex, StdRwLock, TasLock, TicketLock, TokioMutex,
    Unsynchronised, Waiting,
};

impl Registry {
    /// lockbench's own backends.
    pub fn builtin() -> Registry {
        let mut r = Registry::empty();
        let fresh = "built-in names are distinct (checked by a test)";
        r.register::<StdMutex>(Facts {
            name: "std",
            aliases: &[],
            summary: "std::sync::Mutex (futex-based; spins briefly, then sleeps)",
            fair: false,
            waiting: Waiting::SpinThenSleep,
            not_across_processes: Some(
                "std::sync::Mutex waits on a process-private futex (FUTEX_PRIVATE_FLAG) and is not repr(C)",
            ),
        })
        .expect(fresh)
        .register::<ParkingMutex>(Facts {
            name: "parking-lot",
            aliases: &["parking_lot"],
            summary: "parking_lot::Mutex (adaptive spinning, then parks; eventual fairness every ~0.5 ms)",
            fair: false,
            waiting: Waiting::SpinThenSleep,
            not_across_processes: Some(
                "parking_lot parks waiters in a per-process hash table that another process cannot see",
            ),
        })
        .expect(fresh)
        .register::<SpinLock<Backoff>>(Facts {
            name: "spin",
            aliases: &[],
            summary: "our test-and-test-and-set spinlock: 127 pause hints over its first 7 looks, then a yield per look (a yield lock under long waits)",
            fair: false,
            waiting: Waiting::Backoff,
            not_across_processes: None,
        })
        .expect(fresh)
        .register::<SpinLock<Spin>>(Facts {
            name: "spin-pure",
            aliases: &[],
            summary: "the same spinlock, pure spinning (never yields: collapses when threads > cores)",
            fair: false,
            waiting: Waiting::Spin,
            not_across_processes: None,
        })
        .expect(fresh)
        .register::<TasLock<Backoff>>(Facts {
            name: "tas",
            aliases: &[],
            summary: "our test-and-set spinlock: every try is a write, also while the lock is held; the same backoff as spin (what spin's test-before-set saves)",
            fair: false,
            waiting: Waiting::Backoff,
            not_across_processes: None,
        })
        .expect(fresh)
        .register::<McsLock<SpinThenYield>>(Facts {
            name: "mcs",
            aliases: &[],
            summary: "our MCS queue lock: FIFO, each waiter spins on its own node; spins 128 times, then yields",
            fair: true,
            waiting: Waiting::SpinThenYield,
            not_across_processes: Some(
                "its queue links nodes on the waiters' stacks, which another process cannot see",
            ),
        })
        .expect(fresh)
        .register::<McsLock<Spin>>(Facts {
            name: "mcs-spin",
            aliases: &[],
            summary: "the same MCS lock, pure spinning (collapses when threads > cores)",
            fair: true,
            waiting: Waiting::Spin,
            not_across_processes: Some(
                "its queue links nodes on the waiters' stacks, which another process cannot see",
            ),
        })
        .expect(fresh)
        .register::<ClhLock<SpinThenYield>>(Facts {
            name: "clh",
            aliases: &[],
            summary: "our CLH queue lock: FIFO, each waiter spins on its predecessor's node, nodes recycled; spins 128 times, then yields",
            fair: true,
            waiting: Waiting::SpinThenYield,
            not_across_processes: Some(
                "its queue's nodes are allocated in, and recycled through, one process's heap",
            ),
        })
        .expect(fresh)
        .register::<ClhLock<Spin>>(Facts {
            name: "clh-spin",
            aliases: &[],
            summary: "the same CLH lock, pure spinning (collapses when threads > cores)",
            fair: true,
            waiting: Waiting::Spin,
            not_across_processes: Some(
                "its queue's nodes are allocated in, and recycled through, one process's heap",
            ),
        })
        .expect(fresh)
        .register::<StdRwLock>(Facts {
            name: "std-rwlock",
            aliases: &[],
            summary: "std::sync::RwLock: readers share it (futex-based; a waiting writer holds new readers back)",
            fair: false,
            waiting: Waiting::SpinThenSleep,
            not_across_processes: Some("std's RwLock is process-private"),
        })
        .expect(fresh)
        .register::<ParkingRwLock>(Facts {
            name: "parking-lot-rwlock",
            aliases: &["parking_lot_rwlock"],
            summary: "parking_lot::RwLock: readers share it (task-fair: a waiting writer holds new readers back)",
            fair: false,
            waiting: Waiting::SpinThenSleep,
            not_across_processes: Some(
                "parking_lot parks its waiters in a table of this process",
            ),
        })
        .expect(fresh)
        .register::<PthreadRwLock>(Facts {
            name: "pthread-rwlock",
            aliases: &[],
            summary: "libc pthread_rwlock_t, default attributes: readers share it (glibc prefers readers, so writers can starve)",
            fair: false,
            waiting: Waiting::Sleep,
            not_across_processes: Some(
                "it is initialised process-private (default attributes)",
            ),
        })
        .expect(fresh)
        .register::<RwSpinLock<SpinThenYield>>(Facts {
            name: "rw-spin",
            aliases: &[],
            summary: "our writer-preferring reader-writer spinlock (one word: readers share it; a waiting writer holds new readers back); spins 128 times, then yields",
            fair: false,
            waiting: Waiting::SpinThenYield,
            not_across_processes: None,
        })
        .expect(fresh)
        .register::<TicketLock<SpinThenYield>>(Facts {
            name: "ticket",
            aliases: &[],
            summary: "our FIFO ticket lock; spins 128 times, then yields",
            fair: true,
            waiting: Waiting::SpinThenYield,
            not_across_processes: None,
        })
        .expect(fresh)
        .register::<TicketLock<Spin>>(Facts {
            name: "ticket-spin",
            aliases: &[],
            summary: "the same ticket lock, pure spinning (collapses when threads > cores)",
            fair: true,
            waiting: Waiting::Spin,
            not_across_processes: None,
        })
        .expect(fresh)
        .register::<LockApi<spin::mutex::SpinMutex<(), spin::relax::Spin>>>(Facts {
            name: "spin-rs",
            aliases: &[],
            summary: "the spin crate's SpinMutex through lock_api: test-and-test-and-set, pure spinning (our spin-pure's counterpart)",
            fair: false,
            waiting: Waiting::Spin,
            not_across_processes: None,
        })
        .expect(fresh)
        .register::<LockApi<spin::mutex::TicketMutex<(), spin::relax::Spin>>>(Facts {
            name: "spin-rs-ticket",
            aliases: &[],
            summary: "the spin crate's TicketMutex through lock_api, pure spinning (our ticket-spin's counterpart)",
            fair: true,
            waiting: Waiting::Spin,
            not_across_processes: None,
        })
        .expect(fresh)
        .register::<LockApi05<parking_lot::RawFairMutex>>(Facts {
            name: "parking-lot-fair",
            aliases: &["parking_lot_fair"],
            summary: "parking_lot::FairMutex through lock_api: every unlock hands the lock to the next waiter (the price of fairness, beside parking-lot)",
            fair: true,
            waiting: Waiting::SpinThenSleep,
            not_across_processes: Some(
                "parking_lot parks waiters in a per-process hash table that another process cannot see",
            ),
        })
        .expect(fresh)
        .register::<TokioMutex>(Facts {
            name: "tokio",
            aliases: &[],
            summary: "tokio::sync::Mutex: an async mutex, fair (FIFO); with --tasks a waiting task gives its thread to others; with --threads, blocking_lock",
            fair: true,
            waiting: Waiting::Await,
            not_across_processes: Some(
                "tokio's Mutex keeps its waiters in a list in process memory, woken through the runtime",
            ),
        })
        .expect(fresh)
        .register::<AsyncLockMutex>(Facts {
            name: "async-lock",
            aliases: &["async_lock"],
            summary: "async_lock::Mutex (the async-lock crate): awaits an event, eventually fair (a waiter starved for 0.5 ms forces fair hand-offs); with --threads, lock_blocking",
            fair: false,
            waiting: Waiting::Await,
            not_across_processes: Some(
                "async-lock's Mutex waits on an event listener list in process memory",
            ),
        })
        .expect(fresh)
        .register::<PthreadMutex>(Facts {
            name: "pthread",
            aliases: &[],
            summary: "libc pthread_mutex_t, default attributes (glibc: futex-based, no spinning)",
            fair: false,
            waiting: Waiting::Sleep,
            not_across_processes: Some(
                "a default pthread mutex is process-private; use process-shared",
            ),
        })
        .expect(fresh)
        .register::<FutexMutex>(Facts {
            name: "futex",
            aliases: &[],
            summary: "our three-state futex mutex (Drepper's \"Futexes Are Tricky\"), no spinning; shared futex calls",
            fair: false,
            waiting: Waiting::Sleep,
            not_across_processes: None,
        })
        .expect(fresh)
        .register::<FutexMutex<true>>(Facts {
            name: "futex-private",
            aliases: &[],
            summary: "the same futex mutex with FUTEX_PRIVATE_FLAG (the kernel's process-private path, as std's)",
            fair: false,
            waiting: Waiting::Sleep,
            not_across_processes: Some(
                "FUTEX_PRIVATE_FLAG keys the wait queue by this process's address space",
            ),
        })
        .expect(fresh)
        .register::<PthreadShared>(Facts {
            name: "pthread-pshared",
            aliases: &[],
            summary: "pthread mutex with PTHREAD_PROCESS_SHARED, not robust (sharing without robustness)",
            fair: false,
            waiting: Waiting::Sleep,
            not_across_processes: None,
        })
        .expect(fresh)
        .register::<ProcessSharedMutex>(Facts {
            name: "process-shared",
            aliases: &[],
            summary: "pthread mutex with PTHREAD_PROCESS_SHARED and PTHREAD_MUTEX_ROBUST (survives a dead holder)",
            fair: false,
            waiting: Waiting::Sleep,
            not_across_processes: None,
        })
        .expect(fresh)
        .register::<PosixSemaphore>(Facts {
            name: "posix-sem",
            aliases: &["semaphore"],
            summary: "process-shared POSIX semaphore, one permit (what Python's multiprocessing.Lock uses)",
            fair: false,
            waiting: Waiting::Sleep,
            not_across_processes: None,
        })
        .expect(fresh)
        .register::<AtomicBaseline>(Facts {
            name: "atomic",
            aliases: &[],
            summary: "no lock: one atomic fetch_add per update (the floor for any lock)",
            fair: false,
            waiting: Waiting::NoWait,
            not_across_processes: None,
        })
        .expect(fresh)
        .register::<Unsynchronised>(Facts {
            name: "none",
            aliases: &[],
            summary: "no synchronisation: read, then write back (loses updates: the reason locks exist)",
            fair: false,
            waiting: Waiting::NoWait,
            not_across_processes: None,
        })
        .expect(fresh);
        r
    }
}
