//! A futex-based mutex with three states, as in Ulrich Drepper's "Futexes Are Tricky" (mutex
//! no. 3): 0 unlocked, 1 locked, 2 locked and maybe waited on. Waiters sleep in the kernel and
//! the unlocker makes the `futex_wake` system call only when someone may be asleep.
//!
//! `FutexMutex` (`PRIVATE = false`, the default) leaves out `FUTEX_PRIVATE_FLAG`, so the lock
//! also works between processes that share the mapping it lives in (the kernel then keys the
//! wait queue by the file and the offset in it, not by this process's address).
//! `FutexMutex<true>` passes the flag: the kernel's cheaper process-private path, as std's mutex
//! takes, for comparing the algorithms alone between threads.
//!
//! Under loom, the futex is modelled with a mutex and a condition variable beside the state: a
//! wait checks the state under the mutex and blocks until a wake, so a lost wake-up (an unlock
//! that wakes nobody while someone sleeps) shows as a deadlock in the model.

use crate::raw::RawLock;
use crate::sync::{AtomicU32, Ordering};

const UNLOCKED: u32 = 0;
const LOCKED: u32 = 1;
const CONTENDED: u32 = 2;

/// Three-state futex mutex (not fair: a running thread can take the lock before a woken one);
/// `PRIVATE` passes `FUTEX_PRIVATE_FLAG` (threads of one process only).
#[repr(C)]
pub struct FutexMutex<const PRIVATE: bool = false> {
    state: AtomicU32,
    #[cfg(lockbench_loom)]
    parking: loom::sync::Mutex<()>,
    #[cfg(lockbench_loom)]
    woken: loom::sync::Condvar,
}

// SAFETY: only the compare-exchange from UNLOCKED to LOCKED, or a swap to CONTENDED that returns
// UNLOCKED, takes the lock; only the holder stores UNLOCKED (in `unlock`). The Acquire of those
// operations pairs with the Release swap in `unlock`.
unsafe impl<const PRIVATE: bool> RawLock for FutexMutex<PRIVATE> {
    const CANNOT_GIVE_UP: Option<&'static str> = Some(
        "its waiters sleep in the kernel with no deadline (pthread is the sleeping lock that has one)",
    );

    fn new() -> Self {
        FutexMutex {
            state: AtomicU32::new(UNLOCKED),
            #[cfg(lockbench_loom)]
            parking: loom::sync::Mutex::new(()),
            #[cfg(lockbench_loom)]
            woken: loom::sync::Condvar::new(),
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
                self.wait(CONTENDED);
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
            self.wake_one();
        }
    }
}

impl<const PRIVATE: bool> FutexMutex<PRIVATE> {
    /// The futex operation `op`, private when `PRIVATE`.
    #[cfg(not(lockbench_loom))]
    const fn op(op: libc::c_int) -> libc::c_int {
        if PRIVATE {
            op | libc::FUTEX_PRIVATE_FLAG
        } else {
            op
        }
    }

    /// Sleeps while the state is `expected` (returns at once if it is not, and may return
    /// spuriously). A refused system call (no futexes in this kernel, or forbidden by a seccomp
    /// filter) fails loudly: the lock would otherwise turn into a silent spin.
    #[cfg(not(lockbench_loom))]
    fn wait(&self, expected: u32) {
        // SAFETY: FUTEX_WAIT reads the aligned u32 behind `state` (an AtomicU32 has the layout
        // of u32) and compares it atomically with `expected`; a null timeout waits without limit.
        let rc = unsafe {
            libc::syscall(
                libc::SYS_futex,
                self.state.as_ptr(),
                Self::op(libc::FUTEX_WAIT),
                expected,
                std::ptr::null::<libc::timespec>(),
            )
        };
        if rc == -1 {
            let err = std::io::Error::last_os_error();
            // EAGAIN (the value changed) and EINTR (a signal) both mean "look again".
            if !matches!(err.raw_os_error(), Some(libc::EAGAIN | libc::EINTR)) {
                panic!("futex(FUTEX_WAIT) failed: {err}");
            }
        }
    }

    /// Wakes one thread (or process) sleeping on the state.
    #[cfg(not(lockbench_loom))]
    fn wake_one(&self) {
        // SAFETY: FUTEX_WAKE only uses the address as a key; waking one waiter has no other
        // effect.
        let rc = unsafe {
            libc::syscall(
                libc::SYS_futex,
                self.state.as_ptr(),
                Self::op(libc::FUTEX_WAKE),
                1,
            )
        };
        if rc == -1 {
            panic!(
                "futex(FUTEX_WAKE) failed: {}",
                std::io::Error::last_os_error()
            );
        }
    }

    /// The model of FUTEX_WAIT: under the parking mutex, sleep until woken if the state is
    /// still `expected`. Relaxed: a real futex wait creates no happens-before edge in Rust's
    /// model, so the model must not either (an Acquire here would hide a weakened Acquire in
    /// the swap after the wait); the parking mutex alone makes check-then-sleep atomic against
    /// a wake, as the kernel's hash-bucket lock does.
    #[cfg(lockbench_loom)]
    fn wait(&self, expected: u32) {
        let parked = self.parking.lock().unwrap();
        if self.state.load(Ordering::Relaxed) == expected {
            drop(self.woken.wait(parked).unwrap());
        }
    }

    /// The model of FUTEX_WAKE: under the parking mutex, so that it cannot fall between a
    /// waiter's check and its sleep, as the kernel's hash-bucket lock ensures.
    #[cfg(lockbench_loom)]
    fn wake_one(&self) {
        let _parked = self.parking.lock().unwrap();
        self.woken.notify_one();
    }
}

#[cfg(all(test, not(lockbench_loom)))]
mod tests {
    use super::*;

    #[test]
    fn smoke() {
        let lock = FutexMutex::<false>::new();
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
        let lock = FutexMutex::<false>::new();
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
        crate::stress::exact_count::<FutexMutex>(4, 20_000);
        crate::stress::exact_count::<FutexMutex<true>>(4, 20_000);
    }
}
