//! Adapters that make the standard locks and the two baselines [`Backend`]s.

use std::sync::PoisonError;
use std::time::Duration;

use super::{Backend, Protection};

/// `std::sync::Mutex`.
pub struct StdMutex(pub(super) std::sync::Mutex<()>);

impl Backend for StdMutex {
    const KIND: Protection = Protection::Lock;

    unsafe fn init_at(at: *mut Self) {
        // SAFETY: the caller's contract: `at` is writable and aligned; this type may move.
        unsafe { at.write(StdMutex(std::sync::Mutex::new(()))) }
    }

    #[inline(always)]
    fn with<T>(&self, f: impl FnOnce() -> T) -> T {
        // A poisoned `()` carries no broken invariant; the counter is checked at the end anyway.
        let _guard = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        f()
    }

    const CANNOT_TIME_OUT: Option<&'static str> =
        Some("std::sync::Mutex has no timed lock (parking-lot and pthread have one)");
}

/// `parking_lot::Mutex`.
pub struct ParkingMutex(pub(super) parking_lot::Mutex<()>);

impl Backend for ParkingMutex {
    const KIND: Protection = Protection::Lock;

    unsafe fn init_at(at: *mut Self) {
        // SAFETY: the caller's contract: `at` is writable and aligned; this type may move.
        unsafe { at.write(ParkingMutex(parking_lot::Mutex::new(()))) }
    }

    #[inline(always)]
    fn with<T>(&self, f: impl FnOnce() -> T) -> T {
        let _guard = self.0.lock();
        f()
    }

    const CANNOT_TIME_OUT: Option<&'static str> = None;

    #[inline(always)]
    fn with_timeout<T>(&self, timeout: Duration, f: impl FnOnce() -> T) -> Option<T> {
        // try_lock_for tries the fast path first and reads the clock only when it must wait.
        let _guard = self.0.try_lock_for(timeout)?;
        Some(f())
    }
}

/// The `atomic` baseline: no lock; the workload makes its update one atomic `fetch_add`.
pub struct AtomicBaseline;

impl Backend for AtomicBaseline {
    const KIND: Protection = Protection::AtomicRmw;

    unsafe fn init_at(at: *mut Self) {
        // SAFETY: the caller's contract: `at` is writable and aligned; this type may move.
        unsafe { at.write(AtomicBaseline) }
    }

    #[inline(always)]
    fn with<T>(&self, f: impl FnOnce() -> T) -> T {
        f()
    }

    const CANNOT_TIME_OUT: Option<&'static str> =
        Some("a baseline never waits, so there is no wait to time out");
}

/// The `none` baseline: no lock at all, so concurrent read-then-write updates overwrite each other.
pub struct Unsynchronised;

impl Backend for Unsynchronised {
    const KIND: Protection = Protection::Unsynchronised;

    unsafe fn init_at(at: *mut Self) {
        // SAFETY: the caller's contract: `at` is writable and aligned; this type may move.
        unsafe { at.write(Unsynchronised) }
    }

    #[inline(always)]
    fn with<T>(&self, f: impl FnOnce() -> T) -> T {
        f()
    }

    const CANNOT_TIME_OUT: Option<&'static str> =
        Some("a baseline never waits, so there is no wait to time out");
}
