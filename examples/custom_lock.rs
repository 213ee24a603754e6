//! Your own lock in lockbench: two locks written here, registered beside the built-in ones, and
//! the whole lockbench command line for them.
//!
//! ```text
//! cargo run --release --example custom_lock -- list
//! cargo run --release --example custom_lock -- run --backend my-lock --threads 2
//! cargo run --release --example custom_lock -- run --backend my-broken-lock --threads 2 --cs-work 100ns
//! cargo run --release --example custom_lock -- run --backend my-broken-rwlock --workload rw --threads 2 --cs-work 1us
//! cargo run --release --example custom_lock -- sweep --backends my-lock,std,ticket --threads 1,2,4
//! ```
//!
//! `my-lock` is a correct test-and-set lock; `my-broken-lock` tests, then sets, in two steps:
//! two threads that both see it free both go in. lockbench catches it (exit status 3): two
//! workers inside the critical section together, and the updates they lose.
//! `my-broken-rwlock` is any [`Backend`]: a reader-writer lock whose writers take a mutex and
//! whose readers take nothing at all. The rw workload catches it (exit status 3): readers that
//! find a writer inside, and records they read half written.

use std::hint::spin_loop;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

use lockbench::lock_api::{GuardSend, RawMutex};
use lockbench::locks::{Backend, Protection};
use lockbench::{Facts, Lockbench, Waiting};

/// A test-and-set lock that spins on a plain read while the lock is taken.
struct MyLock(AtomicBool);

// SAFETY: `lock` returns only after its swap turned `false` into `true`, which one thread at a
// time can do; Acquire there pairs with the Release store of `unlock`, so each holder sees what
// the one before it wrote.
unsafe impl RawMutex for MyLock {
    // A constant that is copied into each lock, as lock_api wants.
    #[allow(clippy::declare_interior_mutable_const)]
    const INIT: MyLock = MyLock(AtomicBool::new(false));
    type GuardMarker = GuardSend;

    fn lock(&self) {
        // Acquire: see everything the previous holder wrote before its release.
        while self.0.swap(true, Ordering::Acquire) {
            // Relaxed: only a hint of when to try again; the swap decides.
            while self.0.load(Ordering::Relaxed) {
                spin_loop();
            }
        }
    }

    fn try_lock(&self) -> bool {
        // Acquire: as in `lock`.
        !self.0.swap(true, Ordering::Acquire)
    }

    unsafe fn unlock(&self) {
        // Release: publish the critical section to the next holder.
        self.0.store(false, Ordering::Release);
    }
}

/// A broken lock: it looks whether the lock is free, then takes it, in two steps, so two
/// threads can both look, both see it free, and both go in.
struct MyBrokenLock(AtomicBool);

// SAFETY: none. This implementation breaks the contract on purpose (two holders at once), to
// show that lockbench catches it. Never use it.
unsafe impl RawMutex for MyBrokenLock {
    #[allow(clippy::declare_interior_mutable_const)]
    const INIT: MyBrokenLock = MyBrokenLock(AtomicBool::new(false));
    type GuardMarker = GuardSend;

    fn lock(&self) {
        while self.0.load(Ordering::Acquire) {
            spin_loop();
        }
        // The bug: between the load above and this store, another thread can do the same.
        self.0.store(true, Ordering::Relaxed);
    }

    fn try_lock(&self) -> bool {
        if self.0.load(Ordering::Acquire) {
            return false;
        }
        self.0.store(true, Ordering::Relaxed);
        true
    }

    unsafe fn unlock(&self) {
        self.0.store(false, Ordering::Release);
    }
}

/// A broken reader-writer lock: writers take a mutex, readers take nothing, so a reader can
/// run beside a writer.
struct MyBrokenRwLock(Mutex<()>);

impl Backend for MyBrokenRwLock {
    const KIND: Protection = Protection::Lock;

    unsafe fn init_at(at: *mut Self) {
        // SAFETY: the caller gives a writable, aligned place; a std mutex may be moved before
        // first use, so constructing then writing is fine.
        unsafe { at.write(MyBrokenRwLock(Mutex::new(()))) }
    }

    fn with<T>(&self, f: impl FnOnce() -> T) -> T {
        let _held = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        f()
    }

    fn with_shared<T>(&self, f: impl FnOnce() -> T) -> T {
        // The bug: a reader takes no lock at all.
        f()
    }
}

fn main() -> ExitCode {
    Lockbench::new()
        .raw_mutex::<MyLock>(Facts {
            name: "my-lock",
            aliases: &[],
            summary: "a test-and-set lock written in examples/custom_lock.rs",
            fair: false,
            waiting: Waiting::Spin,
            // Its whole state is one atomic in the shared mapping.
            not_across_processes: None,
        })
        .raw_mutex::<MyBrokenLock>(Facts {
            name: "my-broken-lock",
            aliases: &[],
            summary: "a lock that tests, then sets, in two steps: two threads can both go in (broken on purpose)",
            fair: false,
            waiting: Waiting::Spin,
            not_across_processes: None,
        })
        .backend::<MyBrokenRwLock>(Facts {
            name: "my-broken-rwlock",
            aliases: &[],
            summary: "a reader-writer lock whose readers take no lock (broken on purpose)",
            fair: false,
            waiting: Waiting::SpinThenSleep,
            not_across_processes: Some("std::sync::Mutex is private to its process"),
        })
        .main()
}
