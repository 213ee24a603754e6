//! The probe's locks with `std::sync`'s surface: `lock()` returns a `LockResult`, and a panic
//! while holding the lock poisons it, as std's do. Porting is changing `use
//! std::sync::{Mutex, RwLock}` to `use lockbench::probe::sync::{Mutex, RwLock}`.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::panic::Location;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{LockResult, PoisonError, TryLockError, TryLockResult};

use super::core::Label;
use super::surface;

/// Set when a guard is dropped by a panic.
struct Poison(AtomicBool);

impl Poison {
    const fn new() -> Poison {
        Poison(AtomicBool::new(false))
    }

    fn is_set(&self) -> bool {
        // Relaxed: the flag is read and set under the lock, which orders it.
        self.0.load(Ordering::Relaxed)
    }

    /// Whether the thread is panicking now, to compare at release.
    fn guard() -> bool {
        std::thread::panicking()
    }

    fn done(&self, panicking_at_lock: bool) {
        if !panicking_at_lock && std::thread::panicking() {
            // Relaxed: as above.
            self.0.store(true, Ordering::Relaxed);
        }
    }

    fn wrap<G>(&self, guard: G) -> LockResult<G> {
        if self.is_set() {
            Err(PoisonError::new(guard))
        } else {
            Ok(guard)
        }
    }
}

/// `std::sync::Mutex`'s surface over a probe mutex.
pub struct Mutex<T: ?Sized> {
    poison: Poison,
    inner: surface::Mutex<T>,
}

impl<T> Mutex<T> {
    /// A new mutex, named in the profile by the place in the source that makes it.
    #[track_caller]
    pub const fn new(value: T) -> Self {
        Mutex {
            poison: Poison::new(),
            inner: surface::Mutex::labelled(Label::Site(Location::caller()), value, "std"),
        }
    }

    /// A new mutex, named `name` in the profile.
    pub const fn named(name: &'static str, value: T) -> Self {
        Mutex {
            poison: Poison::new(),
            inner: surface::Mutex::labelled(Label::Named(name), value, "std"),
        }
    }

    /// The value, the mutex used up (an error if it was poisoned, with the value inside).
    pub fn into_inner(self) -> LockResult<T> {
        let poisoned = self.poison.is_set();
        let value = self.inner.into_inner();
        if poisoned {
            Err(PoisonError::new(value))
        } else {
            Ok(value)
        }
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Waits for the lock and takes it; an error (holding the guard) if a holder panicked.
    pub fn lock(&self) -> LockResult<MutexGuard<'_, T>> {
        self.poison
            .wrap(MutexGuard::new(&self.poison, self.inner.lock()))
    }

    /// Takes the lock if it is free now.
    pub fn try_lock(&self) -> TryLockResult<MutexGuard<'_, T>> {
        match self.inner.try_lock() {
            None => Err(TryLockError::WouldBlock),
            Some(inner) => self
                .poison
                .wrap(MutexGuard::new(&self.poison, inner))
                .map_err(TryLockError::Poisoned),
        }
    }

    /// Whether a holder panicked.
    pub fn is_poisoned(&self) -> bool {
        self.poison.is_set()
    }

    /// Clears the poison.
    pub fn clear_poison(&self) {
        // Relaxed: as in `Poison`.
        self.poison.0.store(false, Ordering::Relaxed);
    }

    /// The value, borrowed mutably.
    pub fn get_mut(&mut self) -> LockResult<&mut T> {
        let poisoned = self.poison.is_set();
        let value = self.inner.get_mut();
        if poisoned {
            Err(PoisonError::new(value))
        } else {
            Ok(value)
        }
    }
}

impl<T: Default> Default for Mutex<T> {
    #[track_caller]
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T: ?Sized> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mutex")
            .field("poisoned", &self.is_poisoned())
            .finish_non_exhaustive()
    }
}

/// The lock held; released when dropped (and poisoned, if dropped by a panic).
#[must_use = "the lock is released at once if the guard is not kept"]
pub struct MutexGuard<'a, T: ?Sized> {
    panicking: bool,
    poison: &'a Poison,
    inner: surface::MutexGuard<'a, T>,
}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    fn new(poison: &'a Poison, inner: surface::MutexGuard<'a, T>) -> Self {
        MutexGuard {
            panicking: Poison::guard(),
            poison,
            inner,
        }
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.inner
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        // Before `inner` is dropped (fields drop after this): still under the lock.
        self.poison.done(self.panicking);
    }
}

/// `std::sync::RwLock`'s surface over a probe reader-writer lock.
pub struct RwLock<T: ?Sized> {
    poison: Poison,
    inner: surface::RwLock<T>,
}

impl<T> RwLock<T> {
    /// A new lock, named in the profile by the place in the source that makes it.
    #[track_caller]
    pub const fn new(value: T) -> Self {
        RwLock {
            poison: Poison::new(),
            inner: surface::RwLock::labelled(Label::Site(Location::caller()), value, "std-rwlock"),
        }
    }

    /// A new lock, named `name` in the profile.
    pub const fn named(name: &'static str, value: T) -> Self {
        RwLock {
            poison: Poison::new(),
            inner: surface::RwLock::labelled(Label::Named(name), value, "std-rwlock"),
        }
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Waits to read; an error (holding the guard) if a writer panicked.
    pub fn read(&self) -> LockResult<RwLockReadGuard<'_, T>> {
        self.poison.wrap(RwLockReadGuard(self.inner.read()))
    }

    /// Reads if it can now.
    pub fn try_read(&self) -> TryLockResult<RwLockReadGuard<'_, T>> {
        match self.inner.try_read() {
            None => Err(TryLockError::WouldBlock),
            Some(g) => self
                .poison
                .wrap(RwLockReadGuard(g))
                .map_err(TryLockError::Poisoned),
        }
    }

    /// Waits to write; an error (holding the guard) if a writer panicked.
    pub fn write(&self) -> LockResult<RwLockWriteGuard<'_, T>> {
        self.poison
            .wrap(RwLockWriteGuard::new(&self.poison, self.inner.write()))
    }

    /// Writes if it can now.
    pub fn try_write(&self) -> TryLockResult<RwLockWriteGuard<'_, T>> {
        match self.inner.try_write() {
            None => Err(TryLockError::WouldBlock),
            Some(inner) => self
                .poison
                .wrap(RwLockWriteGuard::new(&self.poison, inner))
                .map_err(TryLockError::Poisoned),
        }
    }

    /// Whether a writer panicked.
    pub fn is_poisoned(&self) -> bool {
        self.poison.is_set()
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
pub struct RwLockReadGuard<'a, T: ?Sized>(surface::RwLockReadGuard<'a, T>);

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// Write access; released when dropped (and poisoned, if dropped by a panic).
#[must_use = "the lock is released at once if the guard is not kept"]
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    panicking: bool,
    poison: &'a Poison,
    inner: surface::RwLockWriteGuard<'a, T>,
}

impl<'a, T: ?Sized> RwLockWriteGuard<'a, T> {
    fn new(poison: &'a Poison, inner: surface::RwLockWriteGuard<'a, T>) -> Self {
        RwLockWriteGuard {
            panicking: Poison::guard(),
            poison,
            inner,
        }
    }
}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.inner
    }
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        self.poison.done(self.panicking);
    }
}
