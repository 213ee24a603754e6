//! A test-and-set spinlock: every attempt to take the lock is a write (a swap), also while it is
//! held. Beside [`crate::spin::SpinLock`] (test-and-test-and-set: waiters only read until the lock
//! looks free) it shows what the cache line's ping-pong between waiters costs: each waiter's
//! swap takes the line away from the holder and from every other waiter.
//!
//! Not fair: whoever's swap lands first after the release wins.

use std::marker::PhantomData;

use crate::raw::RawLock;
use crate::relax::{Backoff, Relax};
use crate::sync::{AtomicBool, Ordering};

/// Test-and-set spinlock, generic over what a waiter does between attempts.
pub struct TasLock<R = Backoff> {
    locked: AtomicBool,
    _relax: PhantomData<fn() -> R>,
}

// SAFETY: `locked` admits one holder at a time: only a swap that turns false into true returns
// from `lock`/`try_lock`, and only the holder stores false. The Acquire of that swap pairs with
// the Release store in `unlock`, so the previous holder's writes happen-before the new holder's
// critical section.
unsafe impl<R: Relax> RawLock for TasLock<R> {
    fn new() -> Self {
        TasLock {
            locked: AtomicBool::new(false),
            _relax: PhantomData,
        }
    }

    #[inline]
    fn lock(&self) {
        // The same wait, never given up: `give_up` is a constant the compiler folds away.
        let _ = self.lock_unless(|| false);
    }

    const CANNOT_GIVE_UP: Option<&'static str> = None;

    #[inline]
    fn lock_unless(&self, mut give_up: impl FnMut() -> bool) -> bool {
        // Nothing but tries, back to back: the swap of every try is the whole algorithm (and
        // what loom checks, in `try_lock`; a wait of writes is longer than loom's store history).
        // A failed swap wrote `true` over `true`, so giving up between tries leaves nothing
        // behind.
        let mut relax = R::default();
        while !self.try_lock() {
            if give_up() {
                return false;
            }
            relax.relax();
        }
        true
    }

    #[inline]
    fn try_lock(&self) -> bool {
        // Acquire: pairs with the Release store in `unlock`. A failed swap acquires nothing
        // that matters (it read `true`, written by a holder), and writes `true` over `true`.
        !self.locked.swap(true, Ordering::Acquire)
    }

    #[inline]
    unsafe fn unlock(&self) {
        // Release: publishes the critical section to the next holder's Acquire swap.
        self.locked.store(false, Ordering::Release);
    }
}

#[cfg(all(test, not(lockbench_loom)))]
mod tests {
    use super::*;
    use crate::relax::Spin;

    #[test]
    fn smoke() {
        crate::stress::lock_then_try::<TasLock>();
    }

    #[test]
    fn lots_and_lots() {
        crate::stress::exact_count::<TasLock<Backoff>>(4, 20_000);
        crate::stress::exact_count::<TasLock<Spin>>(2, 20_000);
    }
}
