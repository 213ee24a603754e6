//! The backends that live behind a box: pthread's locks (which must not move once used) and
//! the lock a program installed.

use std::cell::UnsafeCell;

use super::backend::{Kind, installed};
use crate::DynLock;

/// The boxed lock of `kind`, if it is a boxed kind.
pub(crate) fn make(kind: Kind) -> Option<Box<dyn DynLock>> {
    match kind {
        Kind::Pthread => Some(Box::new(Pthread(UnsafeCell::new(
            libc::PTHREAD_MUTEX_INITIALIZER,
        )))),
        Kind::PthreadRw => Some(Box::new(PthreadRw(UnsafeCell::new(
            libc::PTHREAD_RWLOCK_INITIALIZER,
        )))),
        Kind::Installed => installed().map(|i| (i.make)()),
        _ => None,
    }
}

/// `pthread_mutex_t`, default attributes. Never destroyed: a program may drop a lock object
/// it forgot a guard of, and destroying a held pthread mutex is undefined.
struct Pthread(UnsafeCell<libc::pthread_mutex_t>);

// SAFETY: a pthread mutex is made to be shared between threads; it stays in its box.
unsafe impl Send for Pthread {}
// SAFETY: as above.
unsafe impl Sync for Pthread {}

// SAFETY: pthread_mutex_lock/trylock/unlock give mutual exclusion and order the holders'
// memory (POSIX 4.12); a default mutex is never shared by readers.
unsafe impl DynLock for Pthread {
    fn lock(&self, _shared: bool) {
        // SAFETY: an initialised mutex that never moves (it is boxed).
        let rc = unsafe { libc::pthread_mutex_lock(self.0.get()) };
        assert_eq!(rc, 0, "pthread_mutex_lock failed");
    }

    fn try_lock(&self, _shared: bool) -> bool {
        // SAFETY: as above.
        unsafe { libc::pthread_mutex_trylock(self.0.get()) == 0 }
    }

    unsafe fn unlock(&self, _shared: bool) {
        // SAFETY: the caller holds it, on this thread.
        unsafe { libc::pthread_mutex_unlock(self.0.get()) };
    }
}

/// `pthread_rwlock_t`, default attributes (glibc prefers readers).
struct PthreadRw(UnsafeCell<libc::pthread_rwlock_t>);

// SAFETY: as for `Pthread`.
unsafe impl Send for PthreadRw {}
// SAFETY: as for `Pthread`.
unsafe impl Sync for PthreadRw {}

// SAFETY: pthread_rwlock_* admit one writer or many readers, and order their memory.
unsafe impl DynLock for PthreadRw {
    fn lock(&self, shared: bool) {
        // SAFETY: an initialised lock that never moves.
        let rc = unsafe {
            if shared {
                libc::pthread_rwlock_rdlock(self.0.get())
            } else {
                libc::pthread_rwlock_wrlock(self.0.get())
            }
        };
        assert_eq!(rc, 0, "pthread_rwlock lock failed");
    }

    fn try_lock(&self, shared: bool) -> bool {
        // SAFETY: as above.
        unsafe {
            if shared {
                libc::pthread_rwlock_tryrdlock(self.0.get()) == 0
            } else {
                libc::pthread_rwlock_trywrlock(self.0.get()) == 0
            }
        }
    }

    unsafe fn unlock(&self, _shared: bool) {
        // SAFETY: the caller holds it, on this thread.
        unsafe { libc::pthread_rwlock_unlock(self.0.get()) };
    }

    fn shares(&self) -> bool {
        true
    }
}
