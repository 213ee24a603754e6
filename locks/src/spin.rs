//! A test-and-test-and-set spinlock: one flag, waiters read it until it looks free and only then
//! try to take it, relaxing between looks (exponential backoff by default).
//!
//! Not fair: whoever's compare-exchange lands first wins, often the thread that just released.

use std::marker::PhantomData;

use crate::raw::RawLock;
use crate::relax::{Backoff, Relax};
use crate::sync::{AtomicBool, Ordering};

/// Test-and-test-and-set spinlock, generic over what a waiter does between looks.
pub struct SpinLock<R = Backoff> {
    locked: AtomicBool,
    _relax: PhantomData<fn() -> R>,
}

// SAFETY: `locked` admits one holder at a time: only the compare-exchange that changes it from
// false to true returns from `lock`/`try_lock`, and only the holder stores false. The Acquire of
// that compare-exchange pairs with the Release store in `unlock`, so the previous holder's
// writes happen-before the new holder's critical section.
unsafe impl<R: Relax> RawLock for SpinLock<R> {
    fn new() -> Self {
        SpinLock {
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
        // Acquire on success: pairs with the Release store in `unlock`. Relaxed on failure:
        // nothing was acquired, nothing is read. Weak: a spurious failure only costs one more
        // round of the loop.
        if self
            .locked
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
        {
            return true;
        }
        // One strategy value for the whole wait, so backoff grows with every lost race, not
        // only with the length of one holder's critical section.
        let mut relax = R::default();
        loop {
            // Relaxed: only a hint that the lock looks free; the compare-exchange below is what
            // synchronises. Reading (not writing) keeps the cache line shared while the holder
            // works. Giving up here leaves nothing behind: a waiter of this lock has written
            // nothing.
            while self.locked.load(Ordering::Relaxed) {
                if give_up() {
                    return false;
                }
                relax.relax();
            }
            // Acquire/Relaxed: as above.
            if self
                .locked
                .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
            {
                return true;
            }
            relax.relax();
        }
    }

    #[inline]
    fn try_lock(&self) -> bool {
        // Acquire on success: pairs with the Release store in `unlock`. Relaxed on failure.
        // Strong: `try_lock` must not fail on a free lock.
        self.locked
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }

    #[inline]
    unsafe fn unlock(&self) {
        // Release: publishes the critical section to the next holder's Acquire compare-exchange.
        self.locked.store(false, Ordering::Release);
    }
}

#[cfg(all(test, not(lockbench_loom)))]
mod tests {
    use super::*;
    use crate::relax::Spin;

    #[test]
    fn smoke() {
        crate::stress::lock_then_try::<SpinLock>();
    }

    #[test]
    fn lots_and_lots() {
        crate::stress::exact_count::<SpinLock<Backoff>>(4, 20_000);
        crate::stress::exact_count::<SpinLock<Spin>>(2, 20_000);
    }
}
