//! A lock that lives in memory shared between processes: a process-shared POSIX semaphore (what
//! Python's `multiprocessing.Lock` is built on), initialised where it lives and never moved (the
//! process-shared mutexes are in `pthread.rs`).

use std::cell::UnsafeCell;
use std::ptr::addr_of_mut;
use std::time::Duration;

use super::posix::realtime_deadline;
use super::{Backend, Protection};

fn check(call: &str, rc: libc::c_int) {
    assert_eq!(rc, 0, "{call} failed with error {rc}");
}

/// A process-shared POSIX semaphore with one permit, used as a lock.
#[repr(C)]
pub struct PosixSemaphore(UnsafeCell<libc::sem_t>);

// SAFETY: every access goes through sem_wait/sem_post, which synchronise across threads and
// processes; a semaphore may be posted by any thread.
unsafe impl Send for PosixSemaphore {}
// SAFETY: as above.
unsafe impl Sync for PosixSemaphore {}

impl Backend for PosixSemaphore {
    const KIND: Protection = Protection::Lock;

    unsafe fn init_at(at: *mut Self) {
        // SAFETY: `at` is writable, aligned and final; the cast is exact (repr(C) around a
        // repr(transparent) cell). pshared = 1: shared between processes; one permit.
        unsafe {
            let sem = addr_of_mut!((*at).0).cast::<libc::sem_t>();
            check(
                "sem_init",
                if libc::sem_init(sem, 1, 1) == 0 {
                    0
                } else {
                    *libc::__errno_location()
                },
            );
        }
    }

    #[inline]
    fn with<T>(&self, f: impl FnOnce() -> T) -> T {
        loop {
            // SAFETY: initialised in place by `init_at`, never moved. sem_wait has acquire
            // semantics and sem_post release semantics (POSIX 4.12).
            if unsafe { libc::sem_wait(self.0.get()) } == 0 {
                break;
            }
            // SAFETY: reading errno of this thread.
            let errno = unsafe { *libc::__errno_location() };
            assert_eq!(errno, libc::EINTR, "sem_wait failed with error {errno}");
        }
        self.held(f)
    }

    const CANNOT_TIME_OUT: Option<&'static str> = None;

    #[inline]
    fn with_timeout<T>(&self, timeout: Duration, f: impl FnOnce() -> T) -> Option<T> {
        // SAFETY: initialised in place by `init_at`, never moved. The try first: a free
        // semaphore costs no clock read.
        if unsafe { libc::sem_trywait(self.0.get()) } == 0 {
            return Some(self.held(f));
        }
        let deadline = realtime_deadline(timeout);
        loop {
            // SAFETY: as above; the deadline is a valid timespec that outlives the call.
            if unsafe { libc::sem_timedwait(self.0.get(), &deadline) } == 0 {
                return Some(self.held(f));
            }
            // SAFETY: reading errno of this thread.
            match unsafe { *libc::__errno_location() } {
                libc::EINTR => continue,
                libc::ETIMEDOUT => return None,
                errno => panic!("sem_timedwait failed with error {errno}"),
            }
        }
    }
}

impl PosixSemaphore {
    /// Runs `f` holding the permit this thread took, and gives it back.
    #[inline]
    fn held<T>(&self, f: impl FnOnce() -> T) -> T {
        struct Post<'a>(&'a PosixSemaphore);
        impl Drop for Post<'_> {
            fn drop(&mut self) {
                // SAFETY: we took the permit; giving it back.
                unsafe { libc::sem_post(self.0.0.get()) };
            }
        }
        let _post = Post(self);
        f()
    }
}

impl Drop for PosixSemaphore {
    fn drop(&mut self) {
        // SAFETY: initialised in place; `&mut self` means no waiter in this process.
        unsafe { libc::sem_destroy(self.0.get()) };
    }
}

#[cfg(all(test, not(lockbench_loom)))]
mod tests {
    use super::*;

    #[test]
    fn semaphore_excludes_threads() {
        crate::locks::stress::exact_count_backend::<PosixSemaphore>(4, 20_000);
    }
}
