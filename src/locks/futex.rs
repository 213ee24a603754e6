//! A futex-based mutex with three states, as in Ulrich Drepper's "Futexes Are Tricky" (mutex
//! no. 3): 0 unlocked, 1 locked, 2 locked and maybe waited on. Waiters sleep in the kernel and
//! the unlocker makes the `futex_wake` system call only when someone may be asleep.
//!
//! The futex calls leave out `FUTEX_PRIVATE_FLAG`, so the lock also works between processes
//! that share the mapping it lives in (the kernel then keys the wait queue by the file and the
//! offset in it, not by this process's address).
//! Under loom, waiting is a yield (a futex wait may return spuriously, so the algorithm already
//! re-checks) and waking does nothing: the model checks the state machine and its orderings.

use super::raw::RawLock;
use crate::sync::{AtomicU32, Ordering};

const UNLOCKED: u32 = 0;
const LOCKED: u32 = 1;
const CONTENDED: u32 = 2;

/// Three-state futex mutex (not fair: a running thread can take the lock before a woken one).
#[repr(C)]
pub struct FutexMutex {
    state: AtomicU32,
}

// SAFETY: only the compare-exchange from UNLOCKED to LOCKED, or a swap to CONTENDED that returns
// UNLOCKED, takes the lock; only the holder stores UNLOCKED (in `unlock`). The Acquire of those
// operations pairs with the Release swap in `unlock`.
unsafe impl RawLock for FutexMutex {
    fn new() -> Self {
        FutexMutex {
            state: AtomicU32::new(UNLOCKED),
        }
    }

    #[inline]
    fn lock(&self) {
        // Acquire on success: pairs with the Release swap in `unlock`. Relaxed on failure: we
        // acquire nothing and go on to the slow path.
        if let Err(mut seen) =
            self.state
                .compare_exchange(UNLOCKED, LOCKED, Ordering::Acquire, Ordering::Relaxed)
        {
            // Slow path: mark the lock contended, so that its holder wakes someone, and sleep
            // until it looks free. Whoever swaps in CONTENDED and gets UNLOCKED back owns the
            // lock (it keeps CONTENDED: there may be other sleepers, so its unlock must wake).
            if seen != CONTENDED {
                // Acquire: if this returns UNLOCKED we own the lock; pairs with `unlock`.
                seen = self.state.swap(CONTENDED, Ordering::Acquire);
            }
            while seen != UNLOCKED {
                futex_wait(&self.state, CONTENDED);
                // Acquire: as above.
                seen = self.state.swap(CONTENDED, Ordering::Acquire);
            }
        }
    }

    #[inline]
    fn try_lock(&self) -> bool {
        // Acquire on success: pairs with the Release swap in `unlock`.
        self.state
            .compare_exchange(UNLOCKED, LOCKED, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }

    #[inline]
    unsafe fn unlock(&self) {
        // Release: publishes the critical section to the next holder's Acquire.
        if self.state.swap(UNLOCKED, Ordering::Release) == CONTENDED {
            futex_wake_one(&self.state);
        }
    }
}

/// Sleeps while `*state == expected` (returns at once if it is not, and may return spuriously).
#[cfg(not(loom))]
fn futex_wait(state: &AtomicU32, expected: u32) {
    // SAFETY: FUTEX_WAIT reads the aligned u32 behind `state` (an AtomicU32 has the layout of
    // u32) and compares it atomically with `expected`; a null timeout waits without limit. The
    // result is ignored on purpose: EAGAIN (value changed) and EINTR are both "look again".
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            state.as_ptr(),
            libc::FUTEX_WAIT,
            expected,
            std::ptr::null::<libc::timespec>(),
        );
    }
}

/// Wakes one thread (or process) sleeping on `state`.
#[cfg(not(loom))]
fn futex_wake_one(state: &AtomicU32) {
    // SAFETY: FUTEX_WAKE only uses the address as a key; waking one waiter has no other effect.
    unsafe {
        libc::syscall(libc::SYS_futex, state.as_ptr(), libc::FUTEX_WAKE, 1);
    }
}

#[cfg(loom)]
fn futex_wait(_state: &AtomicU32, _expected: u32) {
    crate::sync::yield_now();
}

#[cfg(loom)]
fn futex_wake_one(_state: &AtomicU32) {}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn smoke() {
        let lock = FutexMutex::new();
        lock.lock();
        assert!(!lock.try_lock());
        // SAFETY: this thread took the lock just above.
        unsafe { lock.unlock() };
        assert!(lock.try_lock());
        // SAFETY: this thread took the lock just above.
        unsafe { lock.unlock() };
        assert_eq!(lock.state.load(Ordering::Relaxed), UNLOCKED);
    }

    #[test]
    fn sleepers_are_woken() {
        // The holder keeps the lock long enough for the others to go to sleep in the kernel.
        let lock = FutexMutex::new();
        lock.lock();
        std::thread::scope(|s| {
            for _ in 0..3 {
                s.spawn(|| {
                    lock.lock();
                    // SAFETY: taken just above.
                    unsafe { lock.unlock() };
                });
            }
            while lock.state.load(Ordering::Relaxed) != CONTENDED {
                std::thread::yield_now();
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
            // SAFETY: the main thread took the lock before spawning.
            unsafe { lock.unlock() };
        });
        assert!(lock.try_lock());
    }

    #[test]
    fn lots_and_lots() {
        crate::locks::stress::exact_count::<FutexMutex>(4, 20_000);
    }
}
