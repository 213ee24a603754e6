//! Reader-writer locks: std's, parking_lot's, glibc's, and our own spinning one. Each is a
//! [`Backend`]: `with` takes it for writing, `with_shared` for reading, so that the read-mostly
//! workload (`--workload rw`) lets readers in together while the counter and the bank use them
//! as mutexes.
//!
//! Their policies differ, and that is what the rw workload shows: glibc's default
//! `pthread_rwlock_t` prefers readers (a steady stream of them can starve a writer); std's
//! (futex-based) and parking_lot's let no new reader in while a writer waits; ours
//! ([`RwSpinLock`]) prefers writers the same way, by a flag.

use std::cell::UnsafeCell;
use std::marker::PhantomData;
use std::sync::PoisonError;
use std::time::Duration;

use super::posix::realtime_deadline;
use super::relax::{Relax, SpinThenYield};
use super::{Backend, Protection};
use crate::sync::{AtomicU32, Ordering};

/// `std::sync::RwLock`.
pub struct StdRwLock(pub(super) std::sync::RwLock<()>);

impl Backend for StdRwLock {
    const KIND: Protection = Protection::Lock;
    const CANNOT_TIME_OUT: Option<&'static str> = Some(
        "std::sync::RwLock has no timed lock (parking-lot-rwlock and pthread-rwlock have one)",
    );

    unsafe fn init_at(at: *mut Self) {
        // SAFETY: the caller's contract: `at` is writable and aligned; this type may move.
        unsafe { at.write(StdRwLock(std::sync::RwLock::new(()))) }
    }

    #[inline(always)]
    fn with<T>(&self, f: impl FnOnce() -> T) -> T {
        // A poisoned `()` carries no broken invariant; the data is checked at the end anyway.
        let _guard = self.0.write().unwrap_or_else(PoisonError::into_inner);
        f()
    }

    #[inline(always)]
    fn with_shared<T>(&self, f: impl FnOnce() -> T) -> T {
        let _guard = self.0.read().unwrap_or_else(PoisonError::into_inner);
        f()
    }
}

/// `parking_lot::RwLock`.
pub struct ParkingRwLock(pub(super) parking_lot::RwLock<()>);

impl Backend for ParkingRwLock {
    const KIND: Protection = Protection::Lock;

    unsafe fn init_at(at: *mut Self) {
        // SAFETY: the caller's contract: `at` is writable and aligned; this type may move.
        unsafe { at.write(ParkingRwLock(parking_lot::RwLock::new(()))) }
    }

    #[inline(always)]
    fn with<T>(&self, f: impl FnOnce() -> T) -> T {
        let _guard = self.0.write();
        f()
    }

    #[inline(always)]
    fn with_shared<T>(&self, f: impl FnOnce() -> T) -> T {
        let _guard = self.0.read();
        f()
    }

    const CANNOT_TIME_OUT: Option<&'static str> = None;

    #[inline(always)]
    fn with_timeout<T>(&self, timeout: Duration, f: impl FnOnce() -> T) -> Option<T> {
        let _guard = self.0.try_write_for(timeout)?;
        Some(f())
    }

    #[inline(always)]
    fn with_shared_timeout<T>(&self, timeout: Duration, f: impl FnOnce() -> T) -> Option<T> {
        let _guard = self.0.try_read_for(timeout)?;
        Some(f())
    }
}

/// A `pthread_rwlock_t` with default attributes (process-private; glibc prefers readers),
/// initialised where it lives and never moved.
#[repr(C)]
pub struct PthreadRwLock(UnsafeCell<libc::pthread_rwlock_t>);

// SAFETY: a pthread rwlock is designed to be taken and released from any thread; every access
// goes through the pthread functions, which synchronise internally, and each unlock happens on
// the thread that locked (inside `with`/`with_shared`).
unsafe impl Send for PthreadRwLock {}
// SAFETY: as above.
unsafe impl Sync for PthreadRwLock {}

impl PthreadRwLock {
    fn held<T>(&self, rc: libc::c_int, call: &str, f: impl FnOnce() -> T) -> T {
        // A correct caller gets no error from a default rwlock (no deadlock: nobody relocks);
        // anything else means memory corruption, where going on would be wrong.
        assert_eq!(rc, 0, "{call} failed with error {rc}");
        struct Unlock<'a>(&'a PthreadRwLock);
        impl Drop for Unlock<'_> {
            fn drop(&mut self) {
                // SAFETY: this guard exists only while this thread holds the lock.
                unsafe { libc::pthread_rwlock_unlock(self.0.0.get()) };
            }
        }
        let _unlock = Unlock(self);
        f()
    }
}

impl Backend for PthreadRwLock {
    const KIND: Protection = Protection::Lock;

    unsafe fn init_at(at: *mut Self) {
        // SAFETY: `at` is writable, aligned and final (the caller's contract); the struct is
        // repr(C) around an UnsafeCell (repr(transparent)) of the rwlock, so the cast is exact.
        unsafe {
            let lock = std::ptr::addr_of_mut!((*at).0).cast::<libc::pthread_rwlock_t>();
            let rc = libc::pthread_rwlock_init(lock, std::ptr::null());
            assert_eq!(rc, 0, "pthread_rwlock_init failed with error {rc}");
        }
    }

    #[inline]
    fn with<T>(&self, f: impl FnOnce() -> T) -> T {
        // SAFETY: initialised in place by `init_at`, never moved.
        let rc = unsafe { libc::pthread_rwlock_wrlock(self.0.get()) };
        self.held(rc, "pthread_rwlock_wrlock", f)
    }

    #[inline]
    fn with_shared<T>(&self, f: impl FnOnce() -> T) -> T {
        // SAFETY: as above.
        let rc = unsafe { libc::pthread_rwlock_rdlock(self.0.get()) };
        self.held(rc, "pthread_rwlock_rdlock", f)
    }

    const CANNOT_TIME_OUT: Option<&'static str> = None;

    #[inline]
    fn with_timeout<T>(&self, timeout: Duration, f: impl FnOnce() -> T) -> Option<T> {
        let lock = self.0.get();
        // SAFETY: initialised in place by `init_at`, never moved. The try first: a free lock
        // costs no clock read.
        let mut rc = unsafe { libc::pthread_rwlock_trywrlock(lock) };
        if rc == libc::EBUSY {
            // SAFETY: as above; the deadline is a valid timespec that outlives the call.
            rc = unsafe { pthread_rwlock_timedwrlock(lock, &realtime_deadline(timeout)) };
        }
        (rc != libc::ETIMEDOUT).then(|| self.held(rc, "pthread_rwlock_timedwrlock", f))
    }

    #[inline]
    fn with_shared_timeout<T>(&self, timeout: Duration, f: impl FnOnce() -> T) -> Option<T> {
        let lock = self.0.get();
        // SAFETY: as in `with_timeout`.
        let mut rc = unsafe { libc::pthread_rwlock_tryrdlock(lock) };
        if rc == libc::EBUSY {
            // SAFETY: as in `with_timeout`.
            rc = unsafe { pthread_rwlock_timedrdlock(lock, &realtime_deadline(timeout)) };
        }
        (rc != libc::ETIMEDOUT).then(|| self.held(rc, "pthread_rwlock_timedrdlock", f))
    }
}

// POSIX's timed rwlock calls, which glibc has and the libc crate does not bind for Linux.
unsafe extern "C" {
    fn pthread_rwlock_timedwrlock(
        lock: *mut libc::pthread_rwlock_t,
        abstime: *const libc::timespec,
    ) -> libc::c_int;
    fn pthread_rwlock_timedrdlock(
        lock: *mut libc::pthread_rwlock_t,
        abstime: *const libc::timespec,
    ) -> libc::c_int;
}

impl Drop for PthreadRwLock {
    fn drop(&mut self) {
        // Destroying a held rwlock is undefined, and a lock can be left held (a worker that
        // never stopped): destroy only one we can take.
        // SAFETY: initialised in place; `&mut self` means no other user.
        unsafe {
            if libc::pthread_rwlock_trywrlock(self.0.get()) == 0 {
                libc::pthread_rwlock_unlock(self.0.get());
                libc::pthread_rwlock_destroy(self.0.get());
            }
        }
    }
}

/// Our reader-writer spinlock, writer-preferring: one 32-bit word holds a writer bit, a
/// "writer waiting" bit and the count of readers inside. A reader enters only when neither bit
/// is set; a writer waiting sets its bit, so no new reader enters, and takes the lock when the
/// readers inside have left. Readers can starve under a steady stream of writers.
///
/// The waiting bit means "some writer waits": a writer sets it while it waits, and the writer
/// that takes the lock clears it (its compare-exchange writes the writer bit alone); writers
/// still waiting set it again at their next look. So it is never left set with no writer
/// waiting, and readers are never shut out for nothing. The price, and what this lock does
/// not promise: writers are not queued among themselves (whichever compare-exchange wins takes
/// the lock, so one writer can overtake another that waits, again and again), and in the
/// moment between a writer's entry and the next look of a writer still waiting, the bit is
/// clear and a new reader may enter ahead of that waiting writer.
pub struct RwSpinLock<R = SpinThenYield> {
    state: AtomicU32,
    _relax: PhantomData<fn() -> R>,
}

/// A writer is inside.
const WRITER: u32 = 1 << 31;
/// A writer waits: no new reader may enter.
const WRITER_WAITING: u32 = 1 << 30;
/// The readers inside.
const READERS: u32 = WRITER_WAITING - 1;

impl<R: Relax> RwSpinLock<R> {
    /// A free lock.
    pub fn new() -> Self {
        RwSpinLock {
            state: AtomicU32::new(0),
            _relax: PhantomData,
        }
    }

    /// One attempt to enter as a reader: `true` if it is inside. Refused while a writer is
    /// inside or one waits (and, rarely, by a spurious failure of the weak exchange).
    fn try_read_lock(&self) -> bool {
        // Relaxed: only a look; the compare-exchange below is what synchronises.
        let s = self.state.load(Ordering::Relaxed);
        if s & (WRITER | WRITER_WAITING) != 0 {
            return false;
        }
        assert!(s & READERS < READERS, "too many readers");
        // Acquire on success: pairs with the last writer's Release, so its writes are visible
        // to this reader. Relaxed on failure: the caller looks again.
        self.state
            .compare_exchange_weak(s, s + 1, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }

    fn read_lock(&self) {
        let mut relax = R::default();
        while !self.try_read_lock() {
            relax.relax();
        }
    }

    fn read_unlock(&self) {
        // Release: orders this reader's reads before a writer's entry (a writer that sees the
        // count fall must not have its writes seen by our reads).
        self.state.fetch_sub(1, Ordering::Release);
    }

    fn write_lock(&self) {
        let mut relax = R::default();
        loop {
            // Relaxed: only a look, as above.
            let s = self.state.load(Ordering::Relaxed);
            if s & (WRITER | READERS) == 0 {
                // Acquire on success: pairs with the Release of the last writer's unlock and
                // of every reader's, so the critical sections before ours are ordered before
                // it. The new state clears the waiting bit; other waiting writers set it again.
                if self
                    .state
                    .compare_exchange_weak(s, WRITER, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
                {
                    return;
                }
            } else if s & WRITER_WAITING == 0 {
                // Relaxed: a flag that only holds readers back; no data is published by it.
                self.state.fetch_or(WRITER_WAITING, Ordering::Relaxed);
            } else {
                relax.relax();
            }
        }
    }

    fn write_unlock(&self) {
        // Release: publishes the critical section to the next reader's or writer's Acquire.
        // The waiting bit, set by writers still waiting, stays.
        self.state.fetch_and(!WRITER, Ordering::Release);
    }
}

impl<R: Relax> Default for RwSpinLock<R> {
    fn default() -> Self {
        Self::new()
    }
}

impl<R: Relax + 'static> Backend for RwSpinLock<R> {
    const KIND: Protection = Protection::Lock;
    const CANNOT_TIME_OUT: Option<&'static str> = Some(
        "a waiting writer has announced itself to the readers (WRITER_WAITING); this lock has no way to withdraw that",
    );

    unsafe fn init_at(at: *mut Self) {
        // SAFETY: the caller's contract: `at` is writable and aligned; a plain word may move.
        unsafe { at.write(Self::new()) }
    }

    #[inline]
    fn with<T>(&self, f: impl FnOnce() -> T) -> T {
        struct Unlock<'a, R: Relax>(&'a RwSpinLock<R>);
        impl<R: Relax> Drop for Unlock<'_, R> {
            fn drop(&mut self) {
                self.0.write_unlock();
            }
        }
        self.write_lock();
        let _unlock = Unlock(self);
        f()
    }

    #[inline]
    fn with_shared<T>(&self, f: impl FnOnce() -> T) -> T {
        struct Unlock<'a, R: Relax>(&'a RwSpinLock<R>);
        impl<R: Relax> Drop for Unlock<'_, R> {
            fn drop(&mut self) {
                self.0.read_unlock();
            }
        }
        self.read_lock();
        let _unlock = Unlock(self);
        f()
    }
}

#[cfg(all(test, not(lockbench_loom)))]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

    use super::*;
    use crate::locks::relax::Spin;
    use crate::locks::stress::exact_count_backend;

    #[test]
    fn writers_exclude_each_other() {
        exact_count_backend::<StdRwLock>(4, 20_000);
        exact_count_backend::<ParkingRwLock>(4, 20_000);
        exact_count_backend::<PthreadRwLock>(4, 20_000);
        exact_count_backend::<RwSpinLock<SpinThenYield>>(4, 20_000);
        exact_count_backend::<RwSpinLock<Spin>>(2, 20_000);
    }

    /// Two writers keep two words equal (each increments both, with a pause between) while
    /// two readers check them: no reader may ever see them differ, and every write counts.
    fn readers_never_see_a_write_half_done<B: Backend>() {
        let lock = crate::locks::stress::InPlace::<B>::new();
        let lock = &*lock;
        let (a, b) = (AtomicU64::new(0), AtomicU64::new(0));
        let torn = AtomicU64::new(0);
        std::thread::scope(|s| {
            for _ in 0..2 {
                s.spawn(|| {
                    for _ in 0..5_000 {
                        lock.with(|| {
                            // Relaxed: the lock orders these.
                            a.store(a.load(Relaxed) + 1, Relaxed);
                            std::hint::spin_loop();
                            b.store(b.load(Relaxed) + 1, Relaxed);
                        });
                    }
                });
                s.spawn(|| {
                    for _ in 0..5_000 {
                        lock.with_shared(|| {
                            if a.load(Relaxed) != b.load(Relaxed) {
                                torn.fetch_add(1, Relaxed);
                            }
                        });
                    }
                });
            }
        });
        assert_eq!((a.into_inner(), b.into_inner()), (10_000, 10_000));
        assert_eq!(torn.into_inner(), 0);
    }

    #[test]
    fn readers_and_writers_exclude_each_other() {
        readers_never_see_a_write_half_done::<StdRwLock>();
        readers_never_see_a_write_half_done::<ParkingRwLock>();
        readers_never_see_a_write_half_done::<PthreadRwLock>();
        readers_never_see_a_write_half_done::<RwSpinLock<SpinThenYield>>();
    }

    /// Two readers inside, a writer waiting for them: a new reader is refused at every try
    /// for as long as the writer waits (the lock's word says so: still two readers), and the
    /// writer enters once the two have left. A lock whose readers ignore a waiting writer fails
    /// here (`scripts/loom-mutants.sh` makes that mutant).
    #[test]
    fn readers_share_and_a_waiting_writer_holds_new_readers_back() {
        let lock: RwSpinLock = RwSpinLock::new();
        lock.read_lock();
        lock.read_lock();
        assert_eq!(lock.state.load(Relaxed), 2, "two readers inside together");
        // Nothing is asserted inside the scope: a failure there would leave the writer
        // waiting for readers that never leave, and the scope would never end.
        let (got_in, seen, writer_saw) = std::thread::scope(|s| {
            let writer = s.spawn(|| lock.with(|| lock.state.load(Relaxed)));
            // The writer waits for the readers and says so; it cannot enter while they are in.
            while lock.state.load(Relaxed) & WRITER_WAITING == 0 {
                std::thread::yield_now();
            }
            let got_in = (0..10_000).filter(|_| lock.try_read_lock()).count();
            let seen = lock.state.load(Relaxed);
            for _ in 0..got_in + 2 {
                lock.read_unlock();
            }
            (got_in, seen, writer.join().unwrap())
        });
        assert_eq!(
            got_in, 0,
            "a new reader must wait behind the waiting writer"
        );
        assert_eq!(
            seen,
            WRITER_WAITING | 2,
            "still the two readers, and the writer waiting"
        );
        assert_eq!(writer_saw & WRITER, WRITER);
        assert_eq!(lock.state.load(Relaxed), 0, "free, and no writer waiting");
        assert!(
            (0..1_000).any(|_| lock.try_read_lock()),
            "a free lock lets a reader in"
        );
        assert_eq!(lock.state.load(Relaxed), 1);
    }
}
