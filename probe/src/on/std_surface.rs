//! `std::sync`'s surface over the probe's raw locks: `lock()` returns a `LockResult`, and a
//! panic while holding a lock poisons it, as std's do.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::panic::Location;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{LockResult, PoisonError, TryLockError, TryLockResult};

use super::raw::{ProbeRawMutex, ProbeRawRwLock, STD, STD_RW};
use super::sites::Label;

type RawMutex = ProbeRawMutex<STD>;
type RawRwLock = ProbeRawRwLock<STD_RW>;

/// Set when a guard is dropped by a panic.
pub(super) struct Poison(AtomicBool);

impl Poison {
    #[inline]
    const fn new() -> Poison {
        Poison(AtomicBool::new(false))
    }

    #[inline]
    fn is_set(&self) -> bool {
        // Relaxed: the flag is read and set under the lock, which orders it.
        self.0.load(Ordering::Relaxed)
    }

    fn clear(&self) {
        // Relaxed: as above.
        self.0.store(false, Ordering::Relaxed);
    }

    /// At a guard's drop: poisons if the thread began panicking since it locked.
    #[inline]
    fn done(&self, panicking_at_lock: bool) {
        if !panicking_at_lock && std::thread::panicking() {
            // Relaxed: as above.
            self.0.store(true, Ordering::Relaxed);
        }
    }

    #[inline]
    pub(super) fn wrap<G>(&self, guard: G) -> LockResult<G> {
        result(self.is_set(), guard)
    }

    #[inline]
    fn wrap_try<G>(&self, guard: Option<G>) -> TryLockResult<G> {
        match guard {
            None => Err(TryLockError::WouldBlock),
            Some(g) => self.wrap(g).map_err(TryLockError::Poisoned),
        }
    }
}

/// `value`, as an error if the lock was poisoned.
#[inline]
fn result<T>(poisoned: bool, value: T) -> LockResult<T> {
    if poisoned {
        Err(PoisonError::new(value))
    } else {
        Ok(value)
    }
}

/// `std::sync::Mutex`'s surface over the probe's lock.
pub struct Mutex<T: ?Sized> {
    poison: Poison,
    inner: lock_api::Mutex<RawMutex, T>,
}

impl<T> Mutex<T> {
    /// A new mutex, named in the profile by the place in the source that makes it.
    #[track_caller]
    #[inline]
    pub const fn new(value: T) -> Self {
        Self::labelled(Label::Site(Location::caller()), value)
    }

    const fn labelled(label: Label, value: T) -> Self {
        Mutex {
            poison: Poison::new(),
            inner: lock_api::Mutex::from_raw(RawMutex::labelled(label), value),
        }
    }

    /// The value, the mutex used up (an error if it was poisoned, with the value inside).
    pub fn into_inner(self) -> LockResult<T> {
        let poisoned = self.poison.is_set();
        result(poisoned, self.inner.into_inner())
    }
}

/// A mutex named `name` in the profile.
pub const fn named_mutex<T>(name: &'static str, value: T) -> Mutex<T> {
    Mutex::labelled(Label::Named(name), value)
}

impl<T: ?Sized> Mutex<T> {
    /// Waits for the lock and takes it; an error (holding the guard) if a holder panicked.
    #[inline]
    pub fn lock(&self) -> LockResult<MutexGuard<'_, T>> {
        self.poison
            .wrap(MutexGuard::new(&self.poison, self.inner.lock()))
    }

    /// Takes the lock if it is free now.
    #[inline]
    pub fn try_lock(&self) -> TryLockResult<MutexGuard<'_, T>> {
        let got = self.inner.try_lock();
        self.poison
            .wrap_try(got.map(|g| MutexGuard::new(&self.poison, g)))
    }

    /// Whether a holder panicked.
    pub fn is_poisoned(&self) -> bool {
        self.poison.is_set()
    }

    /// Clears the poison.
    pub fn clear_poison(&self) {
        self.poison.clear();
    }

    /// The value, borrowed mutably.
    pub fn get_mut(&mut self) -> LockResult<&mut T> {
        let poisoned = self.poison.is_set();
        result(poisoned, self.inner.get_mut())
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

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Mutex");
        match self.inner.try_lock() {
            Some(g) => d.field("data", &&*g),
            None => d.field("data", &format_args!("<locked>")),
        };
        d.field("poisoned", &self.is_poisoned())
            .finish_non_exhaustive()
    }
}

/// The lock held; released when dropped (and poisoned, if dropped by a panic).
#[must_use = "the lock is released at once if the guard is not kept"]
pub struct MutexGuard<'a, T: ?Sized> {
    pub(super) inner: lock_api::MutexGuard<'a, RawMutex, T>,
    pub(super) poison: &'a Poison,
    panicking: bool,
}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    #[inline]
    fn new(poison: &'a Poison, inner: lock_api::MutexGuard<'a, RawMutex, T>) -> Self {
        MutexGuard {
            inner,
            poison,
            panicking: std::thread::panicking(),
        }
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        &mut self.inner
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        // Before `inner` is dropped (fields drop after this): still under the lock.
        self.poison.done(self.panicking);
    }
}

/// `std::sync::RwLock`'s surface over the probe's reader-writer lock.
pub struct RwLock<T: ?Sized> {
    poison: Poison,
    inner: lock_api::RwLock<RawRwLock, T>,
}

impl<T> RwLock<T> {
    /// A new lock, named in the profile by the place in the source that makes it.
    #[track_caller]
    #[inline]
    pub const fn new(value: T) -> Self {
        Self::labelled(Label::Site(Location::caller()), value)
    }

    const fn labelled(label: Label, value: T) -> Self {
        RwLock {
            poison: Poison::new(),
            inner: lock_api::RwLock::from_raw(RawRwLock::labelled(label), value),
        }
    }

    /// The value, the lock used up (an error if it was poisoned, with the value inside).
    pub fn into_inner(self) -> LockResult<T> {
        let poisoned = self.poison.is_set();
        result(poisoned, self.inner.into_inner())
    }
}

/// A reader-writer lock named `name` in the profile.
pub const fn named_rwlock<T>(name: &'static str, value: T) -> RwLock<T> {
    RwLock::labelled(Label::Named(name), value)
}

impl<T: ?Sized> RwLock<T> {
    /// Waits to read; an error (holding the guard) if a writer panicked.
    #[inline]
    pub fn read(&self) -> LockResult<RwLockReadGuard<'_, T>> {
        self.poison.wrap(RwLockReadGuard(self.inner.read()))
    }

    /// Reads if it can now.
    #[inline]
    pub fn try_read(&self) -> TryLockResult<RwLockReadGuard<'_, T>> {
        self.poison
            .wrap_try(self.inner.try_read().map(RwLockReadGuard))
    }

    /// Waits to write; an error (holding the guard) if a writer panicked.
    #[inline]
    pub fn write(&self) -> LockResult<RwLockWriteGuard<'_, T>> {
        let g = self.inner.write();
        self.poison.wrap(RwLockWriteGuard::new(&self.poison, g))
    }

    /// Writes if it can now.
    #[inline]
    pub fn try_write(&self) -> TryLockResult<RwLockWriteGuard<'_, T>> {
        let got = self.inner.try_write();
        self.poison
            .wrap_try(got.map(|g| RwLockWriteGuard::new(&self.poison, g)))
    }

    /// Whether a writer panicked.
    pub fn is_poisoned(&self) -> bool {
        self.poison.is_set()
    }

    /// Clears the poison.
    pub fn clear_poison(&self) {
        self.poison.clear();
    }

    /// The value, borrowed mutably.
    pub fn get_mut(&mut self) -> LockResult<&mut T> {
        let poisoned = self.poison.is_set();
        result(poisoned, self.inner.get_mut())
    }
}

impl<T: Default> Default for RwLock<T> {
    #[track_caller]
    fn default() -> Self {
        RwLock::new(T::default())
    }
}

impl<T> From<T> for RwLock<T> {
    #[track_caller]
    fn from(value: T) -> Self {
        RwLock::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("RwLock");
        match self.inner.try_read() {
            Some(g) => d.field("data", &&*g),
            None => d.field("data", &format_args!("<locked>")),
        };
        d.field("poisoned", &self.is_poisoned())
            .finish_non_exhaustive()
    }
}

/// Read access; released when dropped.
#[must_use = "the lock is released at once if the guard is not kept"]
pub struct RwLockReadGuard<'a, T: ?Sized>(lock_api::RwLockReadGuard<'a, RawRwLock, T>);

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// Write access; released when dropped (and poisoned, if dropped by a panic).
#[must_use = "the lock is released at once if the guard is not kept"]
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    inner: lock_api::RwLockWriteGuard<'a, RawRwLock, T>,
    poison: &'a Poison,
    panicking: bool,
}

impl<'a, T: ?Sized> RwLockWriteGuard<'a, T> {
    fn new(poison: &'a Poison, inner: lock_api::RwLockWriteGuard<'a, RawRwLock, T>) -> Self {
        RwLockWriteGuard {
            inner,
            poison,
            panicking: std::thread::panicking(),
        }
    }
}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        &mut self.inner
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<'a, T: ?Sized> RwLockWriteGuard<'a, T> {
    /// Turns the write access into read access, atomically: no writer comes in between.
    pub fn downgrade(s: Self) -> RwLockReadGuard<'a, T> {
        s.poison.done(s.panicking);
        let s = std::mem::ManuallyDrop::new(s);
        // SAFETY: `s` is never used or dropped again (ManuallyDrop), so its inner guard is
        // moved out exactly once; its own drop (the poison check) ran just above.
        let inner = unsafe { std::ptr::read(&s.inner) };
        RwLockReadGuard(lock_api::RwLockWriteGuard::downgrade(inner))
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        self.poison.done(self.panicking);
    }
}
