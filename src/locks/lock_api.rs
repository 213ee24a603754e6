//! Any `lock_api::RawMutex` as a backend: the one trait Rust's lock crates share (spin,
//! parking_lot and many others implement it), so a lock author measures their lock as it is.
//!
//! Two versions of `lock_api` are in use: 0.4, which most lock crates implement (spin,
//! parking_lot up to 0.12), and 0.5 (parking_lot 0.13), whose `lock` hands back a guard token
//! that `unlock` takes again. [`LockApi`] adapts the first, [`LockApi05`] the second. Both are
//! generic over the lock type, so the hot loop is compiled for it: no call through a pointer per
//! operation.

use super::{Backend, Protection};

/// A `lock_api` 0.4 `RawMutex` (re-exported as `lockbench::lock_api`) as a backend.
#[repr(transparent)]
pub struct LockApi<R>(pub(super) R);

impl<R: lock_api_04::RawMutex + Send + Sync + 'static> Backend for LockApi<R> {
    const KIND: Protection = Protection::Lock;
    const CANNOT_TIME_OUT: Option<&'static str> = Some(
        "lock_api's RawMutex has no timed lock (RawMutexTimed is optional, and not required here)",
    );

    unsafe fn init_at(at: *mut Self) {
        // SAFETY: the caller's contract: `at` is writable and aligned. A RawMutex is a plain
        // value until first used (its INIT is a constant), so writing it in place is all.
        unsafe { at.write(LockApi(R::INIT)) }
    }

    #[inline(always)]
    fn with<T>(&self, f: impl FnOnce() -> T) -> T {
        /// Releases the lock when dropped, also when the critical section panics.
        struct Held<'a, R: lock_api_04::RawMutex>(&'a R);
        impl<R: lock_api_04::RawMutex> Drop for Held<'_, R> {
            #[inline(always)]
            fn drop(&mut self) {
                // SAFETY: `Held` is made only just after `lock` returned, on this thread, and
                // dropped once.
                unsafe { self.0.unlock() }
            }
        }
        self.0.lock();
        let _held = Held(&self.0);
        f()
    }
}

/// A `lock_api` 0.5 `RawMutex` (re-exported as `lockbench::lock_api_05`) as a backend.
#[repr(transparent)]
pub struct LockApi05<R>(pub(super) R);

impl<R> Backend for LockApi05<R>
where
    R: lock_api_05::RawMutex + Send + Sync + 'static,
{
    const KIND: Protection = Protection::Lock;
    const CANNOT_TIME_OUT: Option<&'static str> = Some(
        "lock_api's RawMutex has no timed lock (RawMutexTimed is optional, and not required here)",
    );

    unsafe fn init_at(at: *mut Self) {
        // SAFETY: as for `LockApi`.
        unsafe { at.write(LockApi05(R::INIT)) }
    }

    #[inline(always)]
    fn with<T>(&self, f: impl FnOnce() -> T) -> T {
        /// Gives the guard token back when dropped, also when the critical section panics.
        struct Held<'a, R: lock_api_05::RawMutex>(&'a R, Option<R::Guard>);
        impl<R: lock_api_05::RawMutex> Drop for Held<'_, R> {
            #[inline(always)]
            fn drop(&mut self) {
                if let Some(token) = self.1.take() {
                    // SAFETY: the token is the one `lock` returned on this thread, given back
                    // once.
                    unsafe { self.0.unlock(token) }
                }
            }
        }
        let token = self.0.lock();
        let _held = Held(&self.0, Some(token));
        f()
    }
}

#[cfg(all(test, not(lockbench_loom)))]
mod tests {
    use super::*;
    use crate::locks::stress::exact_count_backend;

    #[test]
    fn the_crates_locks_keep_every_update_through_the_adapters() {
        // The spin crate's locks spin purely: two threads, few rounds, so that a waiter that
        // holds the next ticket while descheduled (other tests run beside this one on two
        // cores) costs seconds at worst, not minutes.
        exact_count_backend::<LockApi<spin::mutex::SpinMutex<(), spin::relax::Spin>>>(2, 5_000);
        exact_count_backend::<LockApi<spin::mutex::TicketMutex<(), spin::relax::Spin>>>(2, 5_000);
        exact_count_backend::<LockApi05<parking_lot::RawFairMutex>>(4, 20_000);
        exact_count_backend::<LockApi05<parking_lot::RawMutex>>(4, 20_000);
    }

    #[test]
    fn a_panic_inside_releases_the_lock() {
        let lock = LockApi05(<parking_lot::RawFairMutex as lock_api_05::RawMutex>::INIT);
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            lock.with(|| panic!("inside"));
        }));
        assert!(caught.is_err());
        assert!(!lock_api_05::RawMutex::is_locked(&lock.0));
        let spin = LockApi(<spin::mutex::SpinMutex<()> as lock_api_04::RawMutex>::INIT);
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            spin.with(|| panic!("inside"));
        }));
        assert!(caught.is_err());
        assert!(!lock_api_04::RawMutex::is_locked(&spin.0));
    }
}
