//! A plain (process-private, default-type) POSIX mutex from libc: glibc's futex-based lock,
//! which is what C code gets from `pthread_mutex_lock`.

use std::cell::UnsafeCell;

use super::raw::RawLock;

/// `pthread_mutex_t` with default attributes.
///
/// The mutex must not move once used; the runner keeps it inside an `Arc`, and a borrowed value
/// cannot move. Before first use it is only `PTHREAD_MUTEX_INITIALIZER`, which may be moved.
pub struct PthreadMutex(UnsafeCell<libc::pthread_mutex_t>);

// SAFETY: a pthread mutex is designed to be locked and unlocked from any thread; all access to
// the inner value goes through the pthread functions, which synchronise internally.
unsafe impl Send for PthreadMutex {}
// SAFETY: as above.
unsafe impl Sync for PthreadMutex {}

// SAFETY: pthread_mutex_lock/trylock/unlock give mutual exclusion and the memory ordering of
// acquire on lock, release on unlock (POSIX 4.12 "Memory Synchronization").
unsafe impl RawLock for PthreadMutex {
    fn new() -> Self {
        PthreadMutex(UnsafeCell::new(libc::PTHREAD_MUTEX_INITIALIZER))
    }

    #[inline]
    fn lock(&self) {
        // SAFETY: the pointer is to a live, initialised mutex that does not move while borrowed.
        let rc = unsafe { libc::pthread_mutex_lock(self.0.get()) };
        // A default mutex reports no error to a correct caller (no deadlock detection, no
        // robustness); anything else means memory corruption, where going on would be wrong.
        assert_eq!(rc, 0, "pthread_mutex_lock failed with error {rc}");
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
        // SAFETY: the caller holds the lock (this function's contract); the mutex is live.
        let rc = unsafe { libc::pthread_mutex_unlock(self.0.get()) };
        debug_assert_eq!(rc, 0, "pthread_mutex_unlock failed with error {rc}");
    }
}

impl Drop for PthreadMutex {
    fn drop(&mut self) {
        // SAFETY: `&mut self` proves no one holds a borrow, so no one holds the lock through
        // the RawLock API (a Guard borrows it); destroying an unlocked mutex is allowed.
        unsafe { libc::pthread_mutex_destroy(self.0.get()) };
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
}
