//! Locks whose acquire and release are two calls, held in between by a guard: what a program's
//! own `lock()` needs. The runner's [`Backend`] is closure-shaped (a critical section is a
//! call); a program keeps a guard across statements, so the probe (`crate::probe`) needs this
//! shape instead, and chooses the lock when the program starts, through [`ErasedLock`].
//!
//! Not every backend has this shape: the queue locks (mcs, clh) hold a queue node on the
//! waiter's stack for the length of the hold, and a guard may move; the async mutexes await;
//! the baselines protect nothing. Those are registered without it, and the probe says so.

use std::mem::{MaybeUninit, align_of, size_of};

use super::lock_api::{LockApi, LockApi05};
use super::raw::{Guard, RawLock};
use super::rwlock::{ParkingRwLock, PthreadRwLock, StdRwLock};
use super::{Backend, ParkingMutex, PthreadMutex, StdMutex};

/// A backend that can be held by a guard: the guard releases it when dropped.
pub trait Split: Backend {
    /// Held exclusively.
    type Held<'a>
    where
        Self: 'a;
    /// Held shared (a reader). For a mutex, the same as [`Split::Held`].
    type Read<'a>
    where
        Self: 'a;
    /// Whether readers share the lock ([`Split::acquire_shared`] lets several in at once).
    const SHARES: bool;

    /// Waits for the lock and takes it.
    fn acquire(&self) -> Self::Held<'_>;
    /// Takes the lock if it is free now; never waits.
    fn try_acquire(&self) -> Option<Self::Held<'_>>;
    /// Waits for the lock and takes it shared.
    fn acquire_shared(&self) -> Self::Read<'_>;
    /// Takes the lock shared if it can now; never waits.
    fn try_acquire_shared(&self) -> Option<Self::Read<'_>>;
}

/// A mutex's shared acquire is its exclusive one.
macro_rules! exclusive_only {
    () => {
        type Read<'a>
            = Self::Held<'a>
        where
            Self: 'a;
        const SHARES: bool = false;
        #[inline]
        fn acquire_shared(&self) -> Self::Read<'_> {
            self.acquire()
        }
        #[inline]
        fn try_acquire_shared(&self) -> Option<Self::Read<'_>> {
            self.try_acquire()
        }
    };
}

impl<L: RawLock + 'static> Split for L {
    type Held<'a>
        = Guard<'a, L>
    where
        L: 'a;
    exclusive_only!();
    #[inline]
    fn acquire(&self) -> Guard<'_, L> {
        Guard::acquire(self)
    }
    #[inline]
    fn try_acquire(&self) -> Option<Guard<'_, L>> {
        Guard::try_acquire(self)
    }
}

impl Split for StdMutex {
    type Held<'a> = std::sync::MutexGuard<'a, ()>;
    exclusive_only!();
    #[inline]
    fn acquire(&self) -> Self::Held<'_> {
        // A poisoned `()` carries no broken invariant: the probe keeps its own poison flag.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
    #[inline]
    fn try_acquire(&self) -> Option<Self::Held<'_>> {
        match self.0.try_lock() {
            Ok(held) => Some(held),
            Err(std::sync::TryLockError::Poisoned(p)) => Some(p.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => None,
        }
    }
}

impl Split for ParkingMutex {
    type Held<'a> = parking_lot::MutexGuard<'a, ()>;
    exclusive_only!();
    #[inline]
    fn acquire(&self) -> Self::Held<'_> {
        self.0.lock()
    }
    #[inline]
    fn try_acquire(&self) -> Option<Self::Held<'_>> {
        self.0.try_lock()
    }
}

/// A `lock_api` 0.4 mutex held: released when dropped.
pub struct Held04<'a, R: lock_api_04::RawMutex>(&'a R);

impl<R: lock_api_04::RawMutex> Drop for Held04<'_, R> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: `Held04` is made only just after `lock` returned (or `try_lock` said yes) on
        // this thread, and dropped once; the marker type keeps it on this thread where the lock
        // requires it (`GuardNoSend`).
        unsafe { self.0.unlock() }
    }
}

impl<R: lock_api_04::RawMutex + Send + Sync + 'static> Split for LockApi<R> {
    type Held<'a> = Held04<'a, R>;
    exclusive_only!();
    #[inline]
    fn acquire(&self) -> Self::Held<'_> {
        self.0.lock();
        Held04(&self.0)
    }
    #[inline]
    fn try_acquire(&self) -> Option<Self::Held<'_>> {
        self.0.try_lock().then(|| Held04(&self.0))
    }
}

/// A `lock_api` 0.5 mutex held, with the token its `lock` gave: given back when dropped.
pub struct Held05<'a, R: lock_api_05::RawMutex>(&'a R, Option<R::Guard>);

impl<R: lock_api_05::RawMutex> Drop for Held05<'_, R> {
    #[inline]
    fn drop(&mut self) {
        if let Some(token) = self.1.take() {
            // SAFETY: the token is the one `lock`/`try_lock` returned, given back once.
            unsafe { self.0.unlock(token) }
        }
    }
}

impl<R: lock_api_05::RawMutex + Send + Sync + 'static> Split for LockApi05<R> {
    type Held<'a> = Held05<'a, R>;
    exclusive_only!();
    #[inline]
    fn acquire(&self) -> Self::Held<'_> {
        Held05(&self.0, Some(self.0.lock()))
    }
    #[inline]
    fn try_acquire(&self) -> Option<Self::Held<'_>> {
        self.0.try_lock().map(|token| Held05(&self.0, Some(token)))
    }
}

/// A pthread mutex or rwlock held: unlocked when dropped, on the thread that locked it (the
/// guard is not `Send`).
pub struct PthreadHeld<'a> {
    unlock: unsafe fn(*const ()),
    at: *const (),
    _lock: std::marker::PhantomData<&'a ()>,
}

impl Drop for PthreadHeld<'_> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: made only after the matching lock call returned 0 on this thread, dropped once.
        unsafe { (self.unlock)(self.at) }
    }
}

impl Split for PthreadMutex {
    type Held<'a> = PthreadHeld<'a>;
    exclusive_only!();
    #[inline]
    fn acquire(&self) -> Self::Held<'_> {
        // SAFETY: initialised in place by `init_at` and never moved (the probe boxes it).
        let rc = unsafe { libc::pthread_mutex_lock(self.raw()) };
        assert_eq!(rc, 0, "pthread_mutex_lock failed with error {rc}");
        self.guard()
    }
    #[inline]
    fn try_acquire(&self) -> Option<Self::Held<'_>> {
        // SAFETY: as above.
        let rc = unsafe { libc::pthread_mutex_trylock(self.raw()) };
        (rc == 0).then(|| self.guard())
    }
}

impl PthreadMutex {
    fn guard(&self) -> PthreadHeld<'_> {
        /// # Safety
        /// `at` is a mutex this thread holds.
        unsafe fn unlock(at: *const ()) {
            // SAFETY: the caller's contract.
            unsafe { libc::pthread_mutex_unlock(at.cast::<libc::pthread_mutex_t>().cast_mut()) };
        }
        PthreadHeld {
            unlock,
            at: self.raw().cast_const().cast(),
            _lock: std::marker::PhantomData,
        }
    }
}

impl Split for StdRwLock {
    type Held<'a> = std::sync::RwLockWriteGuard<'a, ()>;
    type Read<'a> = std::sync::RwLockReadGuard<'a, ()>;
    const SHARES: bool = true;
    #[inline]
    fn acquire(&self) -> Self::Held<'_> {
        self.0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
    #[inline]
    fn try_acquire(&self) -> Option<Self::Held<'_>> {
        match self.0.try_write() {
            Ok(held) => Some(held),
            Err(std::sync::TryLockError::Poisoned(p)) => Some(p.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => None,
        }
    }
    #[inline]
    fn acquire_shared(&self) -> Self::Read<'_> {
        self.0
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
    #[inline]
    fn try_acquire_shared(&self) -> Option<Self::Read<'_>> {
        match self.0.try_read() {
            Ok(held) => Some(held),
            Err(std::sync::TryLockError::Poisoned(p)) => Some(p.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => None,
        }
    }
}

impl Split for ParkingRwLock {
    type Held<'a> = parking_lot::RwLockWriteGuard<'a, ()>;
    type Read<'a> = parking_lot::RwLockReadGuard<'a, ()>;
    const SHARES: bool = true;
    #[inline]
    fn acquire(&self) -> Self::Held<'_> {
        self.0.write()
    }
    #[inline]
    fn try_acquire(&self) -> Option<Self::Held<'_>> {
        self.0.try_write()
    }
    #[inline]
    fn acquire_shared(&self) -> Self::Read<'_> {
        self.0.read()
    }
    #[inline]
    fn try_acquire_shared(&self) -> Option<Self::Read<'_>> {
        self.0.try_read()
    }
}

impl Split for PthreadRwLock {
    type Held<'a> = PthreadHeld<'a>;
    type Read<'a> = PthreadHeld<'a>;
    const SHARES: bool = true;
    #[inline]
    fn acquire(&self) -> Self::Held<'_> {
        // SAFETY: initialised in place by `init_at` and never moved (the probe boxes it).
        let rc = unsafe { libc::pthread_rwlock_wrlock(self.raw()) };
        assert_eq!(rc, 0, "pthread_rwlock_wrlock failed with error {rc}");
        self.guard()
    }
    #[inline]
    fn try_acquire(&self) -> Option<Self::Held<'_>> {
        // SAFETY: as above.
        let rc = unsafe { libc::pthread_rwlock_trywrlock(self.raw()) };
        (rc == 0).then(|| self.guard())
    }
    #[inline]
    fn acquire_shared(&self) -> Self::Read<'_> {
        // SAFETY: as above.
        let rc = unsafe { libc::pthread_rwlock_rdlock(self.raw()) };
        assert_eq!(rc, 0, "pthread_rwlock_rdlock failed with error {rc}");
        self.guard()
    }
    #[inline]
    fn try_acquire_shared(&self) -> Option<Self::Read<'_>> {
        // SAFETY: as above.
        let rc = unsafe { libc::pthread_rwlock_tryrdlock(self.raw()) };
        (rc == 0).then(|| self.guard())
    }
}

impl PthreadRwLock {
    fn guard(&self) -> PthreadHeld<'_> {
        /// # Safety
        /// `at` is a rwlock this thread holds (either way: one unlock call serves both).
        unsafe fn unlock(at: *const ()) {
            // SAFETY: the caller's contract.
            unsafe { libc::pthread_rwlock_unlock(at.cast::<libc::pthread_rwlock_t>().cast_mut()) };
        }
        PthreadHeld {
            unlock,
            at: self.raw().cast_const().cast(),
            _lock: std::marker::PhantomData,
        }
    }
}

/// Room for a held guard of any [`Split`] backend, its type and lifetime erased: four words.
#[repr(C, align(8))]
pub struct Slot(MaybeUninit<[usize; 4]>);

impl Slot {
    /// An empty slot.
    #[inline]
    pub fn empty() -> Slot {
        Slot(MaybeUninit::uninit())
    }
}

/// A [`Split`] backend behind one trait object, so that the lock is chosen when a program
/// starts, not when it is built: the guard goes into the caller's [`Slot`].
pub trait ErasedLock: Send + Sync {
    /// Whether readers share the lock.
    fn shares(&self) -> bool;
    /// Takes the lock (shared when `shared`) and puts its guard in `slot`.
    fn lock(&self, shared: bool, slot: &mut Slot);
    /// Takes the lock if it can now, putting its guard in `slot`; `false`: `slot` is untouched.
    fn try_lock(&self, shared: bool, slot: &mut Slot) -> bool;
    /// Releases the lock by dropping the guard in `slot`.
    ///
    /// # Safety
    /// `slot` holds the guard that `lock` or a successful `try_lock` of this same lock put
    /// there with the same `shared`, on this thread, not yet released.
    unsafe fn unlock(&self, shared: bool, slot: &mut Slot);
}

/// One backend, made in place (zeroed memory, its own `init_at`) and never moved again.
pub struct Boxed<B: Split>(Box<B>);

impl<B: Split> Boxed<B> {
    /// A fresh, unlocked `B` on the heap.
    pub fn new() -> Self {
        let mut uninit = Box::<B>::new_zeroed();
        // SAFETY: the allocation is writable, aligned and final (a Box's contents do not move
        // while the Box lives); `init_at` makes a valid `B` there.
        unsafe { B::init_at(uninit.as_mut_ptr()) };
        // SAFETY: initialised just above.
        Boxed(unsafe { uninit.assume_init() })
    }

    const FITS: () = assert!(
        size_of::<B::Held<'static>>() <= size_of::<Slot>()
            && align_of::<B::Held<'static>>() <= align_of::<Slot>()
            && size_of::<B::Read<'static>>() <= size_of::<Slot>()
            && align_of::<B::Read<'static>>() <= align_of::<Slot>(),
        "a guard must fit a Slot"
    );
}

impl<B: Split> Default for Boxed<B> {
    fn default() -> Self {
        Self::new()
    }
}

impl<B: Split> ErasedLock for Boxed<B> {
    fn shares(&self) -> bool {
        B::SHARES
    }

    #[inline]
    fn lock(&self, shared: bool, slot: &mut Slot) {
        let () = Self::FITS;
        let at = slot.0.as_mut_ptr();
        // SAFETY: the slot is big and aligned enough for either guard (FITS, checked when this
        // is compiled for `B`); writing a guard there moves it, which every Rust value allows.
        // The guard borrows `self.0`, which outlives it: the caller's contract on `unlock` is
        // that the guard is released through this same lock, before the lock can be dropped.
        unsafe {
            if shared {
                at.cast::<B::Read<'_>>().write(self.0.acquire_shared());
            } else {
                at.cast::<B::Held<'_>>().write(self.0.acquire());
            }
        }
    }

    #[inline]
    fn try_lock(&self, shared: bool, slot: &mut Slot) -> bool {
        let () = Self::FITS;
        let at = slot.0.as_mut_ptr();
        // SAFETY: as in `lock`.
        unsafe {
            if shared {
                match self.0.try_acquire_shared() {
                    Some(held) => at.cast::<B::Read<'_>>().write(held),
                    None => return false,
                }
            } else {
                match self.0.try_acquire() {
                    Some(held) => at.cast::<B::Held<'_>>().write(held),
                    None => return false,
                }
            }
        }
        true
    }

    #[inline]
    unsafe fn unlock(&self, shared: bool, slot: &mut Slot) {
        let at = slot.0.as_mut_ptr();
        // SAFETY: the caller's contract: the slot holds a live guard of this lock, of the kind
        // `shared` says; reading it out and dropping it releases the lock once.
        unsafe {
            if shared {
                drop(at.cast::<B::Read<'_>>().read());
            } else {
                drop(at.cast::<B::Held<'_>>().read());
            }
        }
    }
}

/// Makes a fresh, unlocked lock of one backend behind the trait object.
pub type MakeErased = fn() -> Box<dyn ErasedLock>;

/// The maker for backend `B`.
pub fn maker<B: Split>() -> MakeErased {
    || Box::new(Boxed::<B>::new())
}

#[cfg(all(test, not(lockbench_loom)))]
mod tests {
    use super::*;
    use crate::locks::TicketLock;

    fn exclusion<B: Split>() {
        let lock = maker::<B>()();
        let mut a = Slot::empty();
        lock.lock(false, &mut a);
        let mut b = Slot::empty();
        assert!(
            !lock.try_lock(false, &mut b),
            "held: a second try is refused"
        );
        assert!(!lock.try_lock(true, &mut b), "held: a reader is refused");
        // SAFETY: `a` holds this lock's exclusive guard.
        unsafe { lock.unlock(false, &mut a) };
        assert!(lock.try_lock(true, &mut a), "free: a reader gets in");
        assert_eq!(
            lock.try_lock(true, &mut b),
            B::SHARES,
            "a second reader gets in only if readers share"
        );
        if B::SHARES {
            // SAFETY: `b` holds a shared guard.
            unsafe { lock.unlock(true, &mut b) };
        }
        // SAFETY: `a` holds a shared guard.
        unsafe { lock.unlock(true, &mut a) };
        assert!(lock.try_lock(false, &mut a), "free again");
        // SAFETY: as above.
        unsafe { lock.unlock(false, &mut a) };
    }

    #[test]
    fn every_split_backend_excludes_and_readers_share_where_they_should() {
        exclusion::<StdMutex>();
        exclusion::<ParkingMutex>();
        exclusion::<TicketLock>();
        exclusion::<PthreadMutex>();
        exclusion::<LockApi05<parking_lot::RawFairMutex>>();
        exclusion::<LockApi<spin::mutex::SpinMutex<(), spin::relax::Spin>>>();
        exclusion::<StdRwLock>();
        exclusion::<ParkingRwLock>();
        exclusion::<PthreadRwLock>();
    }

    #[test]
    fn erased_locks_keep_every_update() {
        use std::sync::atomic::{AtomicU64, Ordering};
        for make in [
            maker::<StdMutex>(),
            maker::<TicketLock>(),
            maker::<PthreadRwLock>(),
        ] {
            let lock = make();
            let counter = AtomicU64::new(0);
            std::thread::scope(|s| {
                for _ in 0..4 {
                    s.spawn(|| {
                        for _ in 0..20_000 {
                            let mut slot = Slot::empty();
                            lock.lock(false, &mut slot);
                            // Relaxed: the lock orders these; a broken lock loses counts.
                            let v = counter.load(Ordering::Relaxed);
                            counter.store(v + 1, Ordering::Relaxed);
                            // SAFETY: `slot` holds this lock's guard, taken just above.
                            unsafe { lock.unlock(false, &mut slot) };
                        }
                    });
                }
            });
            assert_eq!(counter.into_inner(), 80_000);
        }
    }
}
