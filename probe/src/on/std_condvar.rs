//! `std::sync::Condvar`'s surface over the probe's condition variable, for the probe's std
//! `Mutex`.

use std::fmt;
use std::panic::Location;
use std::sync::LockResult;
use std::time::Duration;

use super::condvar::ProbeRawCondvar;
use super::raw::STD;
use super::std_surface::MutexGuard;

/// Whether a timed wait on a [`Condvar`] timed out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaitTimeoutResult(bool);

impl WaitTimeoutResult {
    /// Whether the wait ended because its time ran out.
    pub fn timed_out(&self) -> bool {
        self.0
    }
}

/// `std::sync::Condvar`'s surface, for the probe's std [`Mutex`]: as the `parking_lot`
/// surface's condition variable (recorded sleeps; spurious wakeups allowed, as std's).
pub struct Condvar {
    at: &'static Location<'static>,
    inner: lock_api::Condvar<ProbeRawCondvar<STD>>,
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

    fn placed(&self) -> &lock_api::Condvar<ProbeRawCondvar<STD>> {
        self.inner.raw().place(self.at);
        &self.inner
    }

    /// Releases the mutex, waits to be woken, and takes it again.
    pub fn wait<'a, T: ?Sized>(
        &self,
        mut guard: MutexGuard<'a, T>,
    ) -> LockResult<MutexGuard<'a, T>> {
        self.placed().wait(&mut guard.inner);
        let poison = guard.poison;
        poison.wrap(guard)
    }

    /// Waits while `condition` holds.
    pub fn wait_while<'a, T: ?Sized, F: FnMut(&mut T) -> bool>(
        &self,
        mut guard: MutexGuard<'a, T>,
        condition: F,
    ) -> LockResult<MutexGuard<'a, T>> {
        self.placed().wait_while(&mut guard.inner, condition);
        let poison = guard.poison;
        poison.wrap(guard)
    }

    /// Waits to be woken, or for `dur`.
    pub fn wait_timeout<'a, T: ?Sized>(
        &self,
        mut guard: MutexGuard<'a, T>,
        dur: Duration,
    ) -> LockResult<(MutexGuard<'a, T>, WaitTimeoutResult)> {
        let r = self.placed().wait_for(&mut guard.inner, dur);
        let poison = guard.poison;
        poison.wrap((guard, WaitTimeoutResult(r.timed_out())))
    }

    /// Waits while `condition` holds, or for `dur`.
    pub fn wait_timeout_while<'a, T: ?Sized, F: FnMut(&mut T) -> bool>(
        &self,
        mut guard: MutexGuard<'a, T>,
        dur: Duration,
        condition: F,
    ) -> LockResult<(MutexGuard<'a, T>, WaitTimeoutResult)> {
        let r = self
            .placed()
            .wait_while_for(&mut guard.inner, condition, dur);
        let poison = guard.poison;
        poison.wrap((guard, WaitTimeoutResult(r.timed_out())))
    }

    /// Wakes one waiting thread.
    pub fn notify_one(&self) {
        self.inner.notify_one();
    }

    /// Wakes every waiting thread.
    pub fn notify_all(&self) {
        self.inner.notify_all();
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
