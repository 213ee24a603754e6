//! std's locks as a probe lock's word: std hands out guards, not an unlock, so the holder's
//! guard is kept in the word itself (an exclusive holder is alone there) and a reader's in its
//! thread's list (readers are many). The probe's guards then stay a few bytes, whatever the
//! backend.

use std::cell::{RefCell, UnsafeCell};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{MutexGuard, PoisonError, RwLockReadGuard, RwLockWriteGuard, TryLockError};

/// A std guard's lifetime, stretched to the lock word's: the word is boxed (it stays where it
/// is when the lock object moves), the guard is kept in it (or in the thread's list, keyed by
/// the word's address) and dropped at the release; a word still held when its lock object is
/// dropped (the program forgot a guard) is left allocated, and a thread's list still holding
/// guards when the thread ends forgets them.
macro_rules! stretch {
    ($name:ident, $g:ident) => {
        fn $name(g: $g<'_, ()>) -> $g<'static, ()> {
            // SAFETY: only the lifetime changes; see the macro's comment for why it is never
            // used past the lock it borrows.
            unsafe { std::mem::transmute::<$g<'_, ()>, $g<'static, ()>>(g) }
        }
    };
}
stretch!(stretch_mutex, MutexGuard);
stretch!(stretch_read, RwLockReadGuard);
stretch!(stretch_write, RwLockWriteGuard);

/// A std `try_*`'s guard, poison ignored (the probe's std surface keeps its own).
fn tried<G>(r: Result<G, TryLockError<G>>) -> Option<G> {
    match r {
        Ok(g) => Some(g),
        Err(TryLockError::Poisoned(p)) => Some(p.into_inner()),
        Err(TryLockError::WouldBlock) => None,
    }
}

/// `std::sync::Mutex<()>` and its holder's guard.
pub(crate) struct StdWord {
    lock: std::sync::Mutex<()>,
    held: UnsafeCell<Option<MutexGuard<'static, ()>>>,
}

impl StdWord {
    pub(crate) const fn new() -> StdWord {
        StdWord {
            lock: std::sync::Mutex::new(()),
            held: UnsafeCell::new(None),
        }
    }

    fn keep(&self, g: MutexGuard<'_, ()>) {
        // SAFETY: this thread just took the lock: it alone touches `held` until it releases,
        // and the release left it empty (nothing to drop under the write).
        unsafe { self.held.get().write(Some(stretch_mutex(g))) };
    }

    #[inline]
    pub(crate) fn lock(&self) {
        self.keep(self.lock.lock().unwrap_or_else(PoisonError::into_inner));
    }

    #[inline]
    pub(crate) fn try_lock(&self) -> bool {
        tried(self.lock.try_lock()).map(|g| self.keep(g)).is_some()
    }

    /// # Safety
    /// This thread holds the lock.
    #[inline]
    pub(crate) unsafe fn unlock(&self) {
        // SAFETY: the caller holds it: it alone touches `held`; dropping the guard releases.
        drop(unsafe { (*self.held.get()).take() });
    }
}

impl StdWord {
    /// Whether it is held (a guard of the program's forgotten): then it must not go.
    pub(crate) fn in_use(&mut self) -> bool {
        self.held.get_mut().is_some()
    }
}

/// A thread's std read guards, by the word they are of. Those still held when the thread
/// ends were forgotten by the program (a leaked guard): they stay held, as std's would.
struct Reads(RefCell<Vec<(usize, RwLockReadGuard<'static, ()>)>>);

impl Drop for Reads {
    fn drop(&mut self) {
        std::mem::forget(std::mem::take(self.0.get_mut()));
    }
}

thread_local! {
    static READS: Reads = const { Reads(RefCell::new(Vec::new())) };
}

/// `std::sync::RwLock<()>`, its writer's guard, and its readers' in their threads' lists. A
/// reader whose thread's list is gone (a lock taken while the thread is torn down) takes the
/// lock exclusively instead, kept as a writer's.
pub(crate) struct StdRwWord {
    lock: std::sync::RwLock<()>,
    written: UnsafeCell<Option<RwLockWriteGuard<'static, ()>>>,
    /// Read guards held in threads' lists.
    readers: AtomicUsize,
}

impl StdRwWord {
    pub(crate) const fn new() -> StdRwWord {
        StdRwWord {
            lock: std::sync::RwLock::new(()),
            written: UnsafeCell::new(None),
            readers: AtomicUsize::new(0),
        }
    }

    fn key(&self) -> usize {
        std::ptr::from_ref(self).addr()
    }

    fn keep_write(&self, g: RwLockWriteGuard<'_, ()>) {
        // SAFETY: this thread holds it exclusively: it alone touches `written`, which the
        // release left empty (nothing to drop under the write).
        unsafe { self.written.get().write(Some(stretch_write(g))) };
    }

    /// Keeps a read guard in this thread's list; `false` if the list is gone.
    fn keep_read(&self, g: RwLockReadGuard<'_, ()>) -> Result<(), RwLockReadGuard<'static, ()>> {
        let g = stretch_read(g);
        let key = self.key();
        let mut g = Some(g);
        let kept = READS.try_with(|r| r.0.borrow_mut().push((key, g.take().expect("once"))));
        match (kept, g) {
            (Ok(()), _) => {
                // Relaxed: a count for `in_use`, which runs with `&mut self` (no reader left
                // running).
                self.readers.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            (Err(_), Some(g)) => Err(g),
            (Err(_), None) => Ok(()),
        }
    }

    pub(crate) fn write(&self) {
        self.keep_write(self.lock.write().unwrap_or_else(PoisonError::into_inner));
    }

    pub(crate) fn try_write(&self) -> bool {
        tried(self.lock.try_write())
            .map(|g| self.keep_write(g))
            .is_some()
    }

    pub(crate) fn read(&self) {
        let g = self.lock.read().unwrap_or_else(PoisonError::into_inner);
        if let Err(g) = self.keep_read(g) {
            drop(g);
            self.write();
        }
    }

    pub(crate) fn try_read(&self) -> bool {
        let Some(g) = tried(self.lock.try_read()) else {
            return false;
        };
        match self.keep_read(g) {
            Ok(()) => true,
            Err(g) => {
                drop(g);
                self.try_write()
            }
        }
    }

    /// # Safety
    /// This thread holds it exclusively.
    pub(crate) unsafe fn unlock_write(&self) {
        // SAFETY: the caller holds it exclusively.
        drop(unsafe { (*self.written.get()).take() });
    }

    /// # Safety
    /// This thread holds it shared (taken by `read` or `try_read`).
    pub(crate) unsafe fn unlock_read(&self) {
        // SAFETY: a reader that was made a writer (its list gone) is the only holder, so the
        // writer's slot is its; otherwise the slot is empty and only read here.
        if unsafe { (*self.written.get()).is_some() } {
            // SAFETY: as above.
            unsafe { self.unlock_write() };
            return;
        }
        let key = self.key();
        let _ = READS.try_with(|r| {
            let mut r = r.0.borrow_mut();
            if let Some(i) = r.iter().rposition(|(k, _)| *k == key) {
                // Dropping the guard is the release.
                drop(r.swap_remove(i));
                // Relaxed: as in `keep_read`.
                self.readers.fetch_sub(1, Ordering::Relaxed);
            }
        });
    }

    /// Turns this thread's exclusive hold into a shared one, atomically (std's own
    /// downgrade).
    ///
    /// # Safety
    /// This thread holds it exclusively.
    pub(crate) unsafe fn downgrade(&self) {
        if READS.try_with(|_| ()).is_err() {
            // No list to keep a reader's guard in: it stays exclusive (a reader still).
            return;
        }
        // SAFETY: the caller holds it exclusively.
        let Some(w) = (unsafe { (*self.written.get()).take() }) else {
            return;
        };
        let kept = self.keep_read(RwLockWriteGuard::downgrade(w));
        debug_assert!(kept.is_ok(), "the list was there a moment ago");
    }
}

impl StdRwWord {
    /// Whether it is held (a guard of the program's forgotten): then it must not go.
    pub(crate) fn in_use(&mut self) -> bool {
        self.written.get_mut().is_some() || *self.readers.get_mut() > 0
    }
}
