//! The probe's locks with `parking_lot`'s surface: `lock()` hands back the guard, no poisoning.
//! Porting is changing `use parking_lot::{Mutex, RwLock}` to `use lockbench::probe::{Mutex,
//! RwLock}`.

use std::cell::UnsafeCell;
use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::panic::Location;

use super::core::{Core, Held, Label};
use crate::model::LockKind;

/// A mutual-exclusion lock around `T` whose lock is the backend chosen when the program starts,
/// and whose acquisitions the probe records.
pub struct Mutex<T: ?Sized> {
    core: Core,
    data: UnsafeCell<T>,
}

// SAFETY: as `std::sync::Mutex`: the lock hands `&mut T` to one thread at a time, so sharing
// the mutex needs only `T: Send`; the backend behind `core` is `Send + Sync`.
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}
// SAFETY: moving the mutex moves `T`; the backend is `Send`.
unsafe impl<T: ?Sized + Send> Send for Mutex<T> {}

impl<T> Mutex<T> {
    /// A new mutex, named in the profile by the place in the source that makes it.
    #[track_caller]
    pub const fn new(value: T) -> Self {
        Self::labelled(Label::Site(Location::caller()), value, "parking-lot")
    }

    /// A new mutex, named `name` in the profile (every mutex of that name is one lock there).
    pub const fn named(name: &'static str, value: T) -> Self {
        Self::labelled(Label::Named(name), value, "parking-lot")
    }

    pub(crate) const fn labelled(label: Label, value: T, default: &'static str) -> Self {
        Mutex {
            core: Core::new(label, LockKind::Mutex, default),
            data: UnsafeCell::new(value),
        }
    }

    /// The value, the mutex used up.
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Waits for the lock and takes it.
    #[inline]
    pub fn lock(&self) -> MutexGuard<'_, T> {
        MutexGuard {
            mutex: self,
            held: self.core.lock(false),
            _not_send: PhantomData,
        }
    }

    /// Takes the lock if it is free now.
    #[inline]
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        self.core.try_lock(false).map(|held| MutexGuard {
            mutex: self,
            held,
            _not_send: PhantomData,
        })
    }

    /// The value, borrowed mutably (no lock needed: the borrow is exclusive).
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }
}

impl<T: Default> Default for Mutex<T> {
    #[track_caller]
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    #[track_caller]
    fn from(value: T) -> Self {
        Mutex::new(value)
    }
}

impl<T: ?Sized> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mutex").finish_non_exhaustive()
    }
}

/// The lock held; released when dropped. Not `Send`: the thread that locked unlocks (pthread
/// requires it).
#[must_use = "the lock is released at once if the guard is not kept"]
pub struct MutexGuard<'a, T: ?Sized> {
    mutex: &'a Mutex<T>,
    held: Held,
    _not_send: PhantomData<*const ()>,
}

// SAFETY: sharing the guard shares `&T` only.
unsafe impl<T: ?Sized + Sync> Sync for MutexGuard<'_, T> {}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard holds the lock: no other thread has the value.
        unsafe { &*self.mutex.data.get() }
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as above, and `&mut self` makes this the only borrow through the guard.
        unsafe { &mut *self.mutex.data.get() }
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: `held` came from this mutex's core on this thread (the guard is not Send)
        // and is released once, here.
        unsafe { self.mutex.core.unlock(&mut self.held) }
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// A reader-writer lock around `T`: readers share it where the chosen backend lets them (a
/// reader-writer backend); a mutex backend takes readers one at a time.
pub struct RwLock<T: ?Sized> {
    core: Core,
    data: UnsafeCell<T>,
}

// SAFETY: as `std::sync::RwLock`: readers share `&T` (so `T: Sync`), a writer gets `&mut T`
// (so `T: Send`).
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLock<T> {}
// SAFETY: moving the lock moves `T`.
unsafe impl<T: ?Sized + Send> Send for RwLock<T> {}

impl<T> RwLock<T> {
    /// A new lock, named in the profile by the place in the source that makes it.
    #[track_caller]
    pub const fn new(value: T) -> Self {
        Self::labelled(Label::Site(Location::caller()), value, "parking-lot-rwlock")
    }

    /// A new lock, named `name` in the profile.
    pub const fn named(name: &'static str, value: T) -> Self {
        Self::labelled(Label::Named(name), value, "parking-lot-rwlock")
    }

    pub(crate) const fn labelled(label: Label, value: T, default: &'static str) -> Self {
        RwLock {
            core: Core::new(label, LockKind::Rwlock, default),
            data: UnsafeCell::new(value),
        }
    }

    /// The value, the lock used up.
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Waits to read, and reads.
    #[inline]
    pub fn read(&self) -> RwLockReadGuard<'_, T> {
        RwLockReadGuard {
            lock: self,
            held: self.core.lock(true),
            _not_send: PhantomData,
        }
    }

    /// Reads if it can now.
    #[inline]
    pub fn try_read(&self) -> Option<RwLockReadGuard<'_, T>> {
        self.core.try_lock(true).map(|held| RwLockReadGuard {
            lock: self,
            held,
            _not_send: PhantomData,
        })
    }

    /// Waits to write, and writes.
    #[inline]
    pub fn write(&self) -> RwLockWriteGuard<'_, T> {
        RwLockWriteGuard {
            lock: self,
            held: self.core.lock(false),
            _not_send: PhantomData,
        }
    }

    /// Writes if it can now.
    #[inline]
    pub fn try_write(&self) -> Option<RwLockWriteGuard<'_, T>> {
        self.core.try_lock(false).map(|held| RwLockWriteGuard {
            lock: self,
            held,
            _not_send: PhantomData,
        })
    }

    /// The value, borrowed mutably (no lock needed).
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }
}

impl<T: Default> Default for RwLock<T> {
    #[track_caller]
    fn default() -> Self {
        RwLock::new(T::default())
    }
}

impl<T: ?Sized> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RwLock").finish_non_exhaustive()
    }
}

/// Read access; released when dropped.
#[must_use = "the lock is released at once if the guard is not kept"]
pub struct RwLockReadGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
    held: Held,
    _not_send: PhantomData<*const ()>,
}

// SAFETY: sharing the guard shares `&T` only.
unsafe impl<T: ?Sized + Sync> Sync for RwLockReadGuard<'_, T> {}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: held shared: writers are kept out, other readers only read.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: `held` came from this lock's core, shared, on this thread; released once.
        unsafe { self.lock.core.unlock(&mut self.held) }
    }
}

/// Write access; released when dropped.
#[must_use = "the lock is released at once if the guard is not kept"]
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
    held: Held,
    _not_send: PhantomData<*const ()>,
}

// SAFETY: sharing the guard shares `&T` only.
unsafe impl<T: ?Sized + Sync> Sync for RwLockWriteGuard<'_, T> {}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: held exclusively.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: held exclusively, and `&mut self` is the only borrow through the guard.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: `held` came from this lock's core, exclusive, on this thread; released once.
        unsafe { self.lock.core.unlock(&mut self.held) }
    }
}
