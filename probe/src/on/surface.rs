//! `parking_lot`'s surface over the probe's raw locks: the same `lock_api` types `parking_lot`
//! is made of, so every method and guard it has is here too. `Mutex`, `FairMutex`,
//! `ReentrantMutex` and `RwLock` are thin wrappers (their `new` records the place that made
//! them, for the profile) that dereference to the `lock_api` type; the guards are `lock_api`'s.
//! `Once` and `RecursiveRwLock` are `parking_lot`'s own, not measured.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::panic::Location;
use std::time::{Duration, Instant};

pub use parking_lot::*;

use super::condvar::ProbeRawCondvar;
use super::raw::{PARKING_LOT, PARKING_LOT_FAIR, PARKING_LOT_RW, ProbeRawMutex, ProbeRawRwLock};
use super::sites::Label;

/// The raw lock of a probe [`Mutex`].
pub type RawMutex = ProbeRawMutex<PARKING_LOT>;
/// The raw lock of a probe [`FairMutex`].
pub type RawFairMutex = ProbeRawMutex<PARKING_LOT_FAIR>;
/// The raw lock of a probe [`RwLock`].
pub type RawRwLock = ProbeRawRwLock<PARKING_LOT_RW>;
/// The raw part of a probe [`Condvar`].
pub type RawCondvar = ProbeRawCondvar<PARKING_LOT>;

/// A held [`Mutex`].
pub type MutexGuard<'a, T> = lock_api::MutexGuard<'a, RawMutex, T>;
/// A held [`Mutex`], mapped to part of its value.
pub type MappedMutexGuard<'a, T> = lock_api::MappedMutexGuard<'a, RawMutex, T>;
/// A held [`FairMutex`].
pub type FairMutexGuard<'a, T> = lock_api::MutexGuard<'a, RawFairMutex, T>;
/// A held [`FairMutex`], mapped to part of its value.
pub type MappedFairMutexGuard<'a, T> = lock_api::MappedMutexGuard<'a, RawFairMutex, T>;
/// A held [`ReentrantMutex`].
pub type ReentrantMutexGuard<'a, T> = lock_api::ReentrantMutexGuard<'a, RawMutex, RawThreadId, T>;
/// A held [`ReentrantMutex`], mapped to part of its value.
pub type MappedReentrantMutexGuard<'a, T> =
    lock_api::MappedReentrantMutexGuard<'a, RawMutex, RawThreadId, T>;
/// A [`RwLock`] held by a reader.
pub type RwLockReadGuard<'a, T> = lock_api::RwLockReadGuard<'a, RawRwLock, T>;
/// A [`RwLock`] held by the writer.
pub type RwLockWriteGuard<'a, T> = lock_api::RwLockWriteGuard<'a, RawRwLock, T>;
/// A [`RwLock`] held by the upgradable reader.
pub type RwLockUpgradableReadGuard<'a, T> = lock_api::RwLockUpgradableReadGuard<'a, RawRwLock, T>;
/// A [`RwLock`] held by a reader, mapped to part of its value.
pub type MappedRwLockReadGuard<'a, T> = lock_api::MappedRwLockReadGuard<'a, RawRwLock, T>;
/// A [`RwLock`] held by the writer, mapped to part of its value.
pub type MappedRwLockWriteGuard<'a, T> = lock_api::MappedRwLockWriteGuard<'a, RawRwLock, T>;
/// Whether a timed wait on a [`Condvar`] timed out.
pub type WaitTimeoutResult = lock_api::WaitTimeoutResult;

/// Declares a wrapper around a `lock_api` lock type that dereferences to it.
macro_rules! wrapper {
    ($(#[$doc:meta])* $name:ident => $inner:ty) => {
        $(#[$doc])*
        pub struct $name<T: ?Sized>($inner);

        impl<T> $name<T> {
            /// The value, the lock used up.
            #[inline]
            pub fn into_inner(self) -> T {
                self.0.into_inner()
            }
        }

        impl<T: ?Sized> Deref for $name<T> {
            type Target = $inner;
            #[inline]
            fn deref(&self) -> &$inner {
                &self.0
            }
        }

        impl<T: ?Sized> DerefMut for $name<T> {
            #[inline]
            fn deref_mut(&mut self) -> &mut $inner {
                &mut self.0
            }
        }

        impl<T: Default> Default for $name<T> {
            #[track_caller]
            fn default() -> Self {
                Self::new(T::default())
            }
        }

        impl<T> From<T> for $name<T> {
            #[track_caller]
            fn from(value: T) -> Self {
                Self::new(value)
            }
        }

        impl<T: ?Sized + fmt::Debug> fmt::Debug for $name<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

wrapper! {
    /// `parking_lot::Mutex`'s surface (every method, through `Deref`), over the probe's lock.
    Mutex => lock_api::Mutex<RawMutex, T>
}

impl<T> Mutex<T> {
    /// A new mutex, named in the profile by the place in the source that makes it.
    #[track_caller]
    #[inline]
    pub const fn new(value: T) -> Self {
        Self::labelled(Label::Site(Location::caller()), value)
    }

    const fn labelled(label: Label, value: T) -> Self {
        Mutex(lock_api::Mutex::from_raw(RawMutex::labelled(label), value))
    }
}

/// A mutex named `name` in the profile (every mutex of that name is one lock there).
pub const fn named_mutex<T>(name: &'static str, value: T) -> Mutex<T> {
    Mutex::labelled(Label::Named(name), value)
}

wrapper! {
    /// `parking_lot::FairMutex`'s surface: every release hands the lock to the next waiter
    /// (on the backends that can; elsewhere a release is the backend's own).
    FairMutex => lock_api::Mutex<RawFairMutex, T>
}

impl<T> FairMutex<T> {
    /// A new fair mutex, named in the profile by the place in the source that makes it.
    #[track_caller]
    #[inline]
    pub const fn new(value: T) -> Self {
        let raw = RawFairMutex::labelled(Label::Site(Location::caller()));
        FairMutex(lock_api::Mutex::from_raw(raw, value))
    }
}

wrapper! {
    /// `parking_lot::ReentrantMutex`'s surface: the thread that holds it can lock it again.
    ReentrantMutex => lock_api::ReentrantMutex<RawMutex, RawThreadId, T>
}

impl<T> ReentrantMutex<T> {
    /// A new reentrant mutex, named in the profile by the place in the source that makes it.
    #[track_caller]
    #[inline]
    pub const fn new(value: T) -> Self {
        let raw = RawMutex::labelled(Label::Site(Location::caller()));
        let id = <RawThreadId as lock_api::GetThreadId>::INIT;
        ReentrantMutex(lock_api::ReentrantMutex::from_raw(raw, id, value))
    }
}

wrapper! {
    /// `parking_lot::RwLock`'s surface: readers share it where the backend lets them (a
    /// reader-writer backend); a mutex backend takes readers one at a time.
    RwLock => lock_api::RwLock<RawRwLock, T>
}

impl<T> RwLock<T> {
    /// A new lock, named in the profile by the place in the source that makes it.
    #[track_caller]
    #[inline]
    pub const fn new(value: T) -> Self {
        Self::labelled(Label::Site(Location::caller()), value)
    }

    const fn labelled(label: Label, value: T) -> Self {
        RwLock(lock_api::RwLock::from_raw(
            RawRwLock::labelled(label),
            value,
        ))
    }
}

/// A reader-writer lock named `name` in the profile.
pub const fn named_rwlock<T>(name: &'static str, value: T) -> RwLock<T> {
    RwLock::labelled(Label::Named(name), value)
}

/// `parking_lot::Condvar`'s surface, for the probe's [`Mutex`]. A wait ends the mutex's hold
/// and takes it again (both recorded with the mutex); the sleep between is recorded with the
/// condition variable. It may wake spuriously, and its `notify_one` and `notify_all` return
/// `false` and 0 (`lock_api`'s rule for such a condition variable).
pub struct Condvar {
    at: &'static Location<'static>,
    inner: lock_api::Condvar<RawCondvar>,
}

impl Condvar {
    /// A new condition variable, named in the profile by the place that makes it.
    #[track_caller]
    #[inline]
    pub const fn new() -> Condvar {
        Condvar {
            at: Location::caller(),
            inner: lock_api::Condvar::new(),
        }
    }

    fn placed(&self) -> &lock_api::Condvar<RawCondvar> {
        self.inner.raw().place(self.at);
        &self.inner
    }

    /// Wakes one waiting thread.
    #[inline]
    pub fn notify_one(&self) -> bool {
        self.inner.notify_one()
    }

    /// Wakes every waiting thread.
    #[inline]
    pub fn notify_all(&self) -> usize {
        self.inner.notify_all()
    }

    /// Releases the mutex, waits to be woken, and takes it again.
    pub fn wait<T: ?Sized>(&self, guard: &mut MutexGuard<'_, T>) {
        self.placed().wait(guard)
    }

    /// Waits while `condition` holds.
    pub fn wait_while<T: ?Sized, F: FnMut(&mut T) -> bool>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        condition: F,
    ) {
        self.placed().wait_while(guard, condition)
    }

    /// Waits to be woken, or until `timeout`.
    pub fn wait_until<T: ?Sized>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        timeout: Instant,
    ) -> WaitTimeoutResult {
        self.placed().wait_until(guard, timeout)
    }

    /// Waits to be woken, or for `timeout`.
    pub fn wait_for<T: ?Sized>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        timeout: Duration,
    ) -> WaitTimeoutResult {
        self.placed().wait_for(guard, timeout)
    }

    /// Waits while `condition` holds, or until `timeout`.
    pub fn wait_while_until<T: ?Sized, F: FnMut(&mut T) -> bool>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        condition: F,
        timeout: Instant,
    ) -> WaitTimeoutResult {
        self.placed().wait_while_until(guard, condition, timeout)
    }

    /// Waits while `condition` holds, or for `timeout`.
    pub fn wait_while_for<T: ?Sized, F: FnMut(&mut T) -> bool>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        condition: F,
        timeout: Duration,
    ) -> WaitTimeoutResult {
        self.placed().wait_while_for(guard, condition, timeout)
    }
}

impl Default for Condvar {
    #[track_caller]
    fn default() -> Condvar {
        Condvar::new()
    }
}

impl fmt::Debug for Condvar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("Condvar { .. }")
    }
}
