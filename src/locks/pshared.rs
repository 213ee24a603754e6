//! Locks that live in memory shared between processes: a robust, process-shared pthread mutex,
//! and a process-shared POSIX semaphore (what Python's `multiprocessing.Lock` is built on).
//! Both are initialised where they live (`Backend::init_at`) and never move.

use std::cell::UnsafeCell;
use std::ptr::addr_of_mut;
use std::sync::atomic::{AtomicBool, Ordering};

use super::{Backend, Protection};

/// Set when a lock of this process found its previous owner dead (`EOWNERDEAD`).
static OWNER_DIED: AtomicBool = AtomicBool::new(false);

/// Whether a robust mutex in this process reported a dead owner.
pub fn owner_died_seen() -> bool {
    // Relaxed: a flag read after the work is done, by the thread that may have set it.
    OWNER_DIED.load(Ordering::Relaxed)
}

/// `pthread_mutex_t` with `PTHREAD_PROCESS_SHARED` and `PTHREAD_MUTEX_ROBUST`: if its holder
/// dies, the next locker gets `EOWNERDEAD` instead of waiting forever.
#[repr(C)]
pub struct ProcessSharedMutex(UnsafeCell<libc::pthread_mutex_t>);

// SAFETY: every access to the inner mutex goes through the pthread functions, which synchronise
// across threads and processes; unlocking happens on the thread that locked (inside `with`).
unsafe impl Send for ProcessSharedMutex {}
// SAFETY: as above.
unsafe impl Sync for ProcessSharedMutex {}

fn check(call: &str, rc: libc::c_int) {
    assert_eq!(rc, 0, "{call} failed with error {rc}");
}

impl Backend for ProcessSharedMutex {
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
                "pthread_mutexattr_setpshared",
                libc::pthread_mutexattr_setpshared(&mut attr, libc::PTHREAD_PROCESS_SHARED),
            );
            check(
                "pthread_mutexattr_setrobust",
                libc::pthread_mutexattr_setrobust(&mut attr, libc::PTHREAD_MUTEX_ROBUST),
            );
            check("pthread_mutex_init", libc::pthread_mutex_init(mutex, &attr));
            libc::pthread_mutexattr_destroy(&mut attr);
        }
    }

    #[inline]
    fn with<T>(&self, f: impl FnOnce() -> T) -> T {
        // SAFETY: the mutex was initialised in place by `init_at` and does not move.
        let rc = unsafe { libc::pthread_mutex_lock(self.0.get()) };
        match rc {
            0 => {}
            libc::EOWNERDEAD => {
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
            _ => panic!("pthread_mutex_lock failed with error {rc}"),
        }
        struct Unlock<'a>(&'a ProcessSharedMutex);
        impl Drop for Unlock<'_> {
            fn drop(&mut self) {
                // SAFETY: this guard exists only while this thread holds the lock.
                unsafe { libc::pthread_mutex_unlock(self.0.0.get()) };
            }
        }
        let _unlock = Unlock(self);
        f()
    }
}

impl Drop for ProcessSharedMutex {
    fn drop(&mut self) {
        // Destroy only a mutex we can take (destroying a held one is undefined).
        // SAFETY: initialised in place; `&mut self` means no other user in this process.
        unsafe {
            if libc::pthread_mutex_trylock(self.0.get()) == 0 {
                libc::pthread_mutex_unlock(self.0.get());
                libc::pthread_mutex_destroy(self.0.get());
            }
        }
    }
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

#[cfg(all(test, not(loom)))]
mod tests {
    use std::sync::atomic::AtomicU64;

    use super::*;
    use crate::runner::region::HeapRegion;

    fn exact<B: Backend>() {
        let region = HeapRegion::<B>::new(1, 0);
        let counter = AtomicU64::new(0);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..20_000 {
                        region.view().lock.with(|| {
                            // Relaxed: the lock orders these; a broken lock loses counts.
                            let v = counter.load(Ordering::Relaxed);
                            counter.store(v + 1, Ordering::Relaxed);
                        });
                    }
                });
            }
        });
        assert_eq!(counter.load(Ordering::Relaxed), 80_000);
    }

    #[test]
    fn process_shared_mutex_excludes_threads() {
        exact::<ProcessSharedMutex>();
    }

    #[test]
    fn semaphore_excludes_threads() {
        exact::<PosixSemaphore>();
    }
}
