//! Model checks of our own locks with loom: every interleaving (within a preemption bound) of two
//! threads that each take the lock and update data that only the lock protects. A missing
//! happens-before edge (an ordering weakened from Acquire/Release) shows up as loom's
//! "causality violation" on the unprotected cell, a broken exclusion as a wrong total.
//!
//! Run with: `RUSTFLAGS="--cfg loom" cargo test --release --test loom` (scripts/test.sh does).
#![cfg(loom)]

use lockbench::locks::relax::{Backoff, Spin, SpinThenYield, Yield};
use lockbench::locks::{FutexMutex, RawLock, SpinLock, TicketLock};
use loom::cell::UnsafeCell;
use loom::sync::Arc;
use loom::thread;

struct Protected<L> {
    lock: L,
    value: UnsafeCell<u64>,
}

// SAFETY: `value` is only accessed while `lock` is held; loom checks exactly that claim.
unsafe impl<L: RawLock> Sync for Protected<L> {}

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    // Bounded so that the spinning locks' models finish in seconds; the classic ordering bugs
    // need one or two preemptions to show.
    builder.preemption_bound = Some(3);
    builder.check(f);
}

/// Two threads each lock, increment, unlock; the main thread then checks the total.
fn two_threads_increment<L: RawLock + 'static>() {
    model(|| {
        let shared = Arc::new(Protected {
            lock: L::new(),
            value: UnsafeCell::new(0),
        });
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let shared = Arc::clone(&shared);
                thread::spawn(move || {
                    shared.lock.lock();
                    // SAFETY: we hold the lock.
                    shared.value.with_mut(|v| unsafe { *v += 1 });
                    // SAFETY: taken just above.
                    unsafe { shared.lock.unlock() };
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        shared.lock.lock();
        // SAFETY: we hold the lock.
        let total = shared.value.with(|v| unsafe { *v });
        // SAFETY: taken just above.
        unsafe { shared.lock.unlock() };
        assert_eq!(total, 2);
    });
}

/// One thread uses `lock`, the other `try_lock`; whoever gets in must see the other's update.
fn lock_against_try_lock<L: RawLock + 'static>() {
    model(|| {
        let shared = Arc::new(Protected {
            lock: L::new(),
            value: UnsafeCell::new(0),
        });
        let other = Arc::clone(&shared);
        let trier = thread::spawn(move || {
            if other.lock.try_lock() {
                // SAFETY: try_lock succeeded, we hold the lock.
                other.value.with_mut(|v| unsafe { *v += 10 });
                // SAFETY: held since the try_lock above.
                unsafe { other.lock.unlock() };
                true
            } else {
                false
            }
        });
        shared.lock.lock();
        // SAFETY: we hold the lock.
        shared.value.with_mut(|v| unsafe { *v += 1 });
        // SAFETY: taken just above.
        unsafe { shared.lock.unlock() };
        let tried = trier.join().unwrap();
        // SAFETY: both threads are done with the cell (joined, and the lock was released).
        let total = shared.value.with(|v| unsafe { *v });
        assert_eq!(total, if tried { 11 } else { 1 });
    });
}

/// Two threads wait in `lock` while a third tries `try_lock`: the lock passes between waiters,
/// and the try must neither jump in nor be lost. Main checks the total after the joins.
fn two_waiters_and_a_trier<L: RawLock + 'static>() {
    let mut builder = loom::model::Builder::new();
    // Three spinning threads make a large state space: one preemption, long paths allowed.
    builder.preemption_bound = Some(1);
    builder.max_branches = 100_000;
    builder.check(|| {
        let shared = Arc::new(Protected {
            lock: L::new(),
            value: UnsafeCell::new(0),
        });
        let lockers: Vec<_> = (0..2)
            .map(|_| {
                let shared = Arc::clone(&shared);
                thread::spawn(move || {
                    shared.lock.lock();
                    // SAFETY: we hold the lock.
                    shared.value.with_mut(|v| unsafe { *v += 1 });
                    // SAFETY: taken just above.
                    unsafe { shared.lock.unlock() };
                })
            })
            .collect();
        let tried = if shared.lock.try_lock() {
            // SAFETY: try_lock succeeded.
            shared.value.with_mut(|v| unsafe { *v += 10 });
            // SAFETY: held since the try_lock above.
            unsafe { shared.lock.unlock() };
            true
        } else {
            false
        };
        for h in lockers {
            h.join().unwrap();
        }
        // SAFETY: every other thread is joined.
        let total = shared.value.with(|v| unsafe { *v });
        assert_eq!(total, if tried { 12 } else { 2 });
    });
}

fn both<L: RawLock + 'static>() {
    two_threads_increment::<L>();
    lock_against_try_lock::<L>();
}

#[test]
fn ticket_three_threads() {
    two_waiters_and_a_trier::<TicketLock<Yield>>();
}

#[test]
fn spinlock_three_threads() {
    two_waiters_and_a_trier::<SpinLock<Yield>>();
}

#[test]
fn ticket_spin() {
    both::<TicketLock<Spin>>();
}

#[test]
fn ticket_yield() {
    both::<TicketLock<Yield>>();
}

#[test]
fn ticket_default() {
    both::<TicketLock<SpinThenYield>>();
}

#[test]
fn spinlock_spin() {
    both::<SpinLock<Spin>>();
}

#[test]
fn spinlock_backoff() {
    both::<SpinLock<Backoff>>();
}

#[test]
fn futex_mutex() {
    both::<FutexMutex>();
}

#[test]
fn futex_three_threads() {
    two_waiters_and_a_trier::<FutexMutex>();
}
