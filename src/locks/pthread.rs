//! A plain (process-private, default-type) POSIX mutex from libc: glibc's futex-based lock,
//! which is what C code gets from `pthread_mutex_lock`.

use std::cell::UnsafeCell;

use super::raw::RawLock;

/// `pthread_mutex_t` of type `PTHREAD_MUTEX_NORMAL` (glibc's default type, named so that
/// relocking from the holder is a defined deadlock rather than undefined behaviour).
///
/// The mutex lives in its own heap allocation, initialised there, so it never moves after
/// `pthread_mutex_init` (POSIX forbids using a copy).
pub struct PthreadMutex(Box<UnsafeCell<libc::pthread_mutex_t>>);

// SAFETY: a pthread mutex is designed to be locked and unlocked from any thread (each unlock by
// the thread that locked: `Guard` is not `Send`, and `unlock`'s contract says so); all access to
// the inner value goes through the pthread functions, which synchronise internally.
unsafe impl Send for PthreadMutex {}
// SAFETY: as above.
unsafe impl Sync for PthreadMutex {}

// SAFETY: pthread_mutex_lock/trylock/unlock give mutual exclusion and the memory ordering of
// acquire on lock, release on unlock (POSIX 4.12 "Memory Synchronization").
unsafe impl RawLock for PthreadMutex {
    fn new() -> Self {
        let mutex = Box::new(UnsafeCell::new(libc::PTHREAD_MUTEX_INITIALIZER));
        // SAFETY: `attr` is initialised by pthread_mutexattr_init before any other use and
        // destroyed after; `mutex` points to its final, heap-allocated place, not yet in use.
        unsafe {
            let mut attr: libc::pthread_mutexattr_t = std::mem::zeroed();
            check(
                "pthread_mutexattr_init",
                libc::pthread_mutexattr_init(&mut attr),
            );
            check(
                "pthread_mutexattr_settype",
                libc::pthread_mutexattr_settype(&mut attr, libc::PTHREAD_MUTEX_NORMAL),
            );
            check(
                "pthread_mutex_init",
                libc::pthread_mutex_init(mutex.get(), &attr),
            );
            libc::pthread_mutexattr_destroy(&mut attr);
        }
        PthreadMutex(mutex)
    }

    #[inline]
    fn lock(&self) {
        // SAFETY: the pointer is to a live, initialised mutex that never moves.
        let rc = unsafe { libc::pthread_mutex_lock(self.0.get()) };
        // A normal mutex reports no error to a correct caller; anything else means memory
        // corruption, where going on would be wrong.
        check("pthread_mutex_lock", rc);
    }

    #[inline]
    fn try_lock(&self) -> bool {
        // SAFETY: as in `lock`.
        let rc = unsafe { libc::pthread_mutex_trylock(self.0.get()) };
        match rc {
            0 => true,
            libc::EBUSY => false,
            _ => panic!("pthread_mutex_trylock failed with error {rc}"),
        }
    }

    #[inline]
    unsafe fn unlock(&self) {
        // SAFETY: the calling thread holds the lock (this function's contract); the mutex is live.
        let rc = unsafe { libc::pthread_mutex_unlock(self.0.get()) };
        debug_assert_eq!(rc, 0, "pthread_mutex_unlock failed with error {rc}");
    }
}

fn check(call: &str, rc: libc::c_int) {
    assert_eq!(rc, 0, "{call} failed with error {rc}");
}

impl Drop for PthreadMutex {
    fn drop(&mut self) {
        // Destroying a locked mutex is undefined, and a lock can be left held (a forgotten
        // guard, or `lock` without `unlock`). So destroy only what we can take; otherwise leak
        // the allocation, as std's pthread-based Mutex did.
        if self.try_lock() {
            // SAFETY: we took it just above; once unlocked, no one else can hold it (we have
            // `&mut self`), so destroying it is allowed.
            unsafe {
                libc::pthread_mutex_unlock(self.0.get());
                libc::pthread_mutex_destroy(self.0.get());
            }
        } else {
            let leaked = std::mem::replace(
                &mut self.0,
                Box::new(UnsafeCell::new(libc::PTHREAD_MUTEX_INITIALIZER)),
            );
            std::mem::forget(leaked);
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn smoke() {
        let lock = PthreadMutex::new();
        lock.lock();
        assert!(!lock.try_lock());
        // SAFETY: this thread took the lock just above.
        unsafe { lock.unlock() };
        assert!(lock.try_lock());
        // SAFETY: this thread took the lock just above.
        unsafe { lock.unlock() };
    }

    #[test]
    fn lots_and_lots() {
        crate::locks::stress::exact_count::<PthreadMutex>(4, 20_000);
    }

    #[test]
    fn dropping_a_held_mutex_is_not_undefined() {
        let lock = PthreadMutex::new();
        lock.lock();
        drop(lock);
    }
}
