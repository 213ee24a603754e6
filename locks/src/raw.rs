//! The raw-lock contract our own locks implement, and the guard that ties a critical section
//! to it.

use std::marker::PhantomData;

/// A mutual-exclusion lock that guards no data of its own: state only, as in
/// `lock_api::RawMutex` (whose `const INIT` we cannot offer, since loom's atomics are not
/// `const`).
///
/// # Safety
/// An implementation must guarantee mutual exclusion: between a `lock` (or a successful
/// `try_lock`) that returns and the matching `unlock`, no other caller's `lock` returns or
/// `try_lock` succeeds; and everything the holder wrote before `unlock` happens-before what the
/// next holder does after acquiring.
pub unsafe trait RawLock: Send + Sync {
    /// An unlocked lock.
    fn new() -> Self;
    /// Waits until the lock is free and takes it.
    fn lock(&self);
    /// Takes the lock if it is free right now; never waits.
    fn try_lock(&self) -> bool;
    /// Why this lock cannot give up a wait half-way (`None`: it can, through
    /// [`lock_unless`](RawLock::lock_unless)). A waiter of a queue lock holds a place that the
    /// others depend on, and cannot simply leave.
    const CANNOT_GIVE_UP: Option<&'static str> = Some("it has no way to give up a wait");

    /// Waits for the lock as [`lock`](RawLock::lock) does, asking `give_up` at every look while
    /// it waits; once that says yes, returns `false` without the lock (and having changed
    /// nothing another waiter or the holder depends on). The runner calls it only when
    /// [`CANNOT_GIVE_UP`](RawLock::CANNOT_GIVE_UP) is `None`; this default never gives up.
    fn lock_unless(&self, give_up: impl FnMut() -> bool) -> bool
    where
        Self: Sized,
    {
        let _ = give_up;
        self.lock();
        true
    }

    /// Releases the lock.
    ///
    /// # Safety
    /// The calling thread holds the lock (its `lock` returned, or its `try_lock` returned
    /// `true`, and it has not unlocked since).
    unsafe fn unlock(&self);
}

/// Holds a [`RawLock`] and releases it when dropped, also when the critical section panics.
/// Not `Send`: the thread that locked is the one that unlocks (POSIX requires it of pthread).
pub struct Guard<'a, L: RawLock>(&'a L, PhantomData<*const ()>);

impl<'a, L: RawLock> Guard<'a, L> {
    /// Takes `lock` and returns the guard that will release it.
    #[inline(always)]
    pub fn acquire(lock: &'a L) -> Self {
        lock.lock();
        Guard(lock, PhantomData)
    }
}

impl<'a, L: RawLock> Guard<'a, L> {
    /// Takes `lock` if it is free now (see [`RawLock::try_lock`]).
    #[inline(always)]
    pub fn try_acquire(lock: &'a L) -> Option<Self> {
        lock.try_lock().then(|| Guard(lock, PhantomData))
    }

    /// Takes `lock` unless `give_up` says so while waiting (see [`RawLock::lock_unless`]).
    #[inline(always)]
    pub fn acquire_unless(lock: &'a L, give_up: impl FnMut() -> bool) -> Option<Self> {
        lock.lock_unless(give_up).then(|| Guard(lock, PhantomData))
    }
}

impl<L: RawLock> Drop for Guard<'_, L> {
    #[inline(always)]
    fn drop(&mut self) {
        // SAFETY: a Guard exists only after `lock` returned in `acquire`, and is dropped once.
        unsafe { self.0.unlock() }
    }
}
