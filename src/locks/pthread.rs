//! POSIX mutexes from libc, each initialised where it lives (`Backend::init_at`) and never
//! moved (POSIX forbids using a copy), on the shared region's line like every other lock:
//!
//! - `pthread`: process-private, default attributes (glibc's futex-based lock, what C code gets
//!   from `pthread_mutex_lock`);
//! - `pthread-pshared`: `PTHREAD_PROCESS_SHARED`, so it works between processes that map it;
//! - `process-shared`: shared and `PTHREAD_MUTEX_ROBUST`: if its holder dies, the next locker
//!   gets `EOWNERDEAD` instead of waiting forever.
//!
//! The three differ by one attribute each, so that the cost of sharing and the cost of
//! robustness can be told apart. All are of type `PTHREAD_MUTEX_NORMAL` (glibc's default type,
//! named so that relocking from the holder is a defined deadlock rather than undefined
//! behaviour).

use std::cell::UnsafeCell;
use std::ptr::addr_of_mut;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::posix::{OWNER_DIED, realtime_deadline};
use super::{Backend, Protection};

/// A `pthread_mutex_t`, process-shared when `SHARED`, robust when `ROBUST`.
#[repr(C)]
pub struct PosixMutex<const SHARED: bool, const ROBUST: bool>(UnsafeCell<libc::pthread_mutex_t>);

/// `pthread`: process-private, default attributes.
pub type PthreadMutex = PosixMutex<false, false>;
/// `pthread-pshared`: process-shared, not robust.
pub type PthreadShared = PosixMutex<true, false>;
/// `process-shared`: process-shared and robust.
pub type ProcessSharedMutex = PosixMutex<true, true>;

// SAFETY: a pthread mutex is designed to be locked and unlocked from any thread (and, shared,
// from any process); every access to the inner value goes through the pthread functions, which
// synchronise internally, and each unlock happens on the thread that locked (inside `with`).
unsafe impl<const S: bool, const R: bool> Send for PosixMutex<S, R> {}
// SAFETY: as above.
unsafe impl<const S: bool, const R: bool> Sync for PosixMutex<S, R> {}

fn check(call: &str, rc: libc::c_int) {
    assert_eq!(rc, 0, "{call} failed with error {rc}");
}

impl<const SHARED: bool, const ROBUST: bool> Backend for PosixMutex<SHARED, ROBUST> {
    const KIND: Protection = Protection::Lock;

    unsafe fn init_at(at: *mut Self) {
        // SAFETY: `at` is writable, aligned and final (the caller's contract); UnsafeCell and
        // this struct are repr(transparent)/repr(C) around the mutex, so the cast is exact. The
        // attribute object is initialised before use and destroyed after.
        unsafe {
            let mutex = addr_of_mut!((*at).0).cast::<libc::pthread_mutex_t>();
            let mut attr: libc::pthread_mutexattr_t = std::mem::zeroed();
            check(
                "pthread_mutexattr_init",
                libc::pthread_mutexattr_init(&mut attr),
            );
            check(
                "pthread_mutexattr_settype",
                libc::pthread_mutexattr_settype(&mut attr, libc::PTHREAD_MUTEX_NORMAL),
            );
            if SHARED {
                check(
                    "pthread_mutexattr_setpshared",
                    libc::pthread_mutexattr_setpshared(&mut attr, libc::PTHREAD_PROCESS_SHARED),
                );
            }
            if ROBUST {
                check(
                    "pthread_mutexattr_setrobust",
                    libc::pthread_mutexattr_setrobust(&mut attr, libc::PTHREAD_MUTEX_ROBUST),
                );
            }
            check("pthread_mutex_init", libc::pthread_mutex_init(mutex, &attr));
            libc::pthread_mutexattr_destroy(&mut attr);
        }
    }

    #[inline]
    fn with<T>(&self, f: impl FnOnce() -> T) -> T {
        // SAFETY: the mutex was initialised in place by `init_at` and does not move.
        let rc = unsafe { libc::pthread_mutex_lock(self.0.get()) };
        self.held(rc, "pthread_mutex_lock", f)
    }

    const CANNOT_TIME_OUT: Option<&'static str> = None;

    #[inline]
    fn with_timeout<T>(&self, timeout: Duration, f: impl FnOnce() -> T) -> Option<T> {
        let mutex = self.0.get();
        // SAFETY: initialised in place by `init_at`, never moved. The try first: a free mutex
        // costs no clock read.
        let mut rc = unsafe { libc::pthread_mutex_trylock(mutex) };
        if rc == libc::EBUSY {
            // SAFETY: as above; the deadline is a valid timespec that outlives the call.
            rc = unsafe { libc::pthread_mutex_timedlock(mutex, &realtime_deadline(timeout)) };
        }
        (rc != libc::ETIMEDOUT).then(|| self.held(rc, "pthread_mutex_timedlock", f))
    }
}

impl<const SHARED: bool, const ROBUST: bool> PosixMutex<SHARED, ROBUST> {
    /// Runs `f` holding the mutex that `call` returned `rc` for, and unlocks it.
    #[inline]
    fn held<T>(&self, rc: libc::c_int, call: &str, f: impl FnOnce() -> T) -> T {
        match rc {
            0 => {}
            libc::EOWNERDEAD if ROBUST => {
                // The holder died inside its critical section: we own the lock, but what it
                // protected may be half-updated. Say so, and make the mutex usable again so that
                // the run can stop instead of hanging; the runner reports the death.
                // Relaxed: see `owner_died_seen`.
                OWNER_DIED.store(true, Ordering::Relaxed);
                // SAFETY: we hold the lock (EOWNERDEAD returns it held).
                check("pthread_mutex_consistent", unsafe {
                    libc::pthread_mutex_consistent(self.0.get())
                });
            }
            // A normal mutex reports no error to a correct caller; anything else means memory
            // corruption, where going on would be wrong.
            _ => panic!("{call} failed with error {rc}"),
        }
        struct Unlock<'a, const S: bool, const R: bool>(&'a PosixMutex<S, R>);
        impl<const S: bool, const R: bool> Drop for Unlock<'_, S, R> {
            fn drop(&mut self) {
                // SAFETY: this guard exists only while this thread holds the lock.
                unsafe { libc::pthread_mutex_unlock(self.0.0.get()) };
            }
        }
        let _unlock = Unlock(self);
        f()
    }
}

impl<const SHARED: bool, const ROBUST: bool> Drop for PosixMutex<SHARED, ROBUST> {
    fn drop(&mut self) {
        // Destroying a held mutex is undefined, and a lock can be left held (a worker that
        // never stopped): destroy only a mutex we can take.
        // SAFETY: initialised in place; `&mut self` means no other user in this process.
        unsafe {
            if libc::pthread_mutex_trylock(self.0.get()) == 0 {
                libc::pthread_mutex_unlock(self.0.get());
                libc::pthread_mutex_destroy(self.0.get());
            }
        }
    }
}

#[cfg(all(test, not(lockbench_loom)))]
mod tests {
    use super::*;
    use crate::locks::stress::exact_count_backend;

    #[test]
    fn every_variant_keeps_every_update() {
        exact_count_backend::<PthreadMutex>(4, 20_000);
        exact_count_backend::<PthreadShared>(4, 20_000);
        exact_count_backend::<ProcessSharedMutex>(4, 20_000);
    }

    #[test]
    fn the_mutex_sits_on_the_line_the_region_gives_it() {
        // Not a pointer to it: the region's padded line holds the mutex itself.
        assert_eq!(
            std::mem::size_of::<PthreadMutex>(),
            std::mem::size_of::<libc::pthread_mutex_t>()
        );
    }
}
