//! A probe lock's word: the backend's own lock, inline, and how each backend is taken,
//! tried, waited for until a deadline, and released, matched inline (no call through a
//! pointer). std's locks are boxed in the word (their guards point at them: a lock object may
//! move while held, with its guard forgotten); a pthread lock and an installed one live behind
//! the object's box.

use std::cell::UnsafeCell;
use std::mem::MaybeUninit;
use std::time::{Duration, Instant};

use lock_api::{RawMutex as _, RawMutexFair as _, RawMutexTimed as _};
use lock_api::{
    RawRwLock as _, RawRwLockFair as _, RawRwLockTimed as _, RawRwLockUpgrade as _,
    RawRwLockUpgradeFair as _, RawRwLockUpgradeTimed as _,
};
use lockbench_locks::RawLock;
use lockbench_locks::futex::FutexMutex;
use lockbench_locks::relax::{Backoff, Spin, SpinThenYield};
use lockbench_locks::spin::SpinLock;
use lockbench_locks::tas::TasLock;
use lockbench_locks::ticket::TicketLock;

use super::backend::Kind;
use super::std_word::{StdRwWord, StdWord};
use crate::DynLock;

/// The inline lock word's room: every built-in backend's lock fits (checked below).
#[cfg(not(lockbench_loom))]
type Storage = [u64; 2];
/// Under the harness's loom build our locks' atomics are loom's, and larger (the probe is
/// compiled there, not modelled).
#[cfg(lockbench_loom)]
type Storage = [u64; 64];

const _: () = {
    macro_rules! fits {
        ($($t:ty),*) => {$(
            assert!(size_of::<$t>() <= size_of::<Storage>());
            assert!(align_of::<$t>() <= align_of::<Storage>());
        )*};
    }
    fits!(
        parking_lot::RawMutex,
        parking_lot::RawRwLock,
        Box<StdWord>,
        Box<StdRwWord>,
        SpinLock<Backoff>,
        SpinLock<Spin>,
        TasLock<Backoff>,
        TicketLock<SpinThenYield>,
        TicketLock<Spin>,
        FutexMutex<false>,
        FutexMutex<true>
    );
};

/// How a lock is held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    Exclusive,
    /// As a reader (exclusively, on a backend whose readers do not share).
    Shared,
    /// As an upgradable reader (exclusively, except on parking_lot's reader-writer lock).
    Upgradable,
}

/// Whether a boxed lock is taken shared: only as a reader, and only where readers share it (a
/// lock whose readers do not share is taken, and released, exclusively).
#[inline]
fn shares(kind: Kind, mode: Mode) -> bool {
    mode == Mode::Shared && kind.shares()
}

/// The lock word: room for any built-in backend's lock, written at the object's first use.
pub(super) struct Word(UnsafeCell<MaybeUninit<Storage>>);

impl Word {
    pub(super) const fn new() -> Word {
        Word(UnsafeCell::new(MaybeUninit::uninit()))
    }

    /// The lock word as a `T`.
    ///
    /// # Safety
    /// The lock was made as the kind whose word is a `T`.
    #[inline(always)]
    pub(super) unsafe fn get<T>(&self) -> &T {
        // SAFETY: the caller's contract: `make` wrote a `T` here before publishing the kind,
        // and nothing moves or replaces it while `&self` lives.
        unsafe { &*self.0.get().cast::<T>() }
    }

    /// Writes the lock word of `kind`.
    ///
    /// # Safety
    /// No other thread reads or writes the storage meanwhile.
    pub(super) unsafe fn write(&self, kind: Kind) {
        let at = self.0.get();
        // SAFETY: (all) `at` is valid, aligned and large enough for each (checked above).
        unsafe {
            match kind {
                Kind::ParkingLot | Kind::ParkingLotFair => at
                    .cast::<parking_lot::RawMutex>()
                    .write(parking_lot::RawMutex::INIT),
                Kind::ParkingLotRw => at
                    .cast::<parking_lot::RawRwLock>()
                    .write(parking_lot::RawRwLock::INIT),
                Kind::Std => at.cast::<Box<StdWord>>().write(Box::new(StdWord::new())),
                Kind::StdRw => at
                    .cast::<Box<StdRwWord>>()
                    .write(Box::new(StdRwWord::new())),
                Kind::Spin => at.cast::<SpinLock<Backoff>>().write(SpinLock::new()),
                Kind::SpinPure => at.cast::<SpinLock<Spin>>().write(SpinLock::new()),
                Kind::Tas => at.cast::<TasLock<Backoff>>().write(TasLock::new()),
                Kind::Ticket => at
                    .cast::<TicketLock<SpinThenYield>>()
                    .write(TicketLock::new()),
                Kind::TicketSpin => at.cast::<TicketLock<Spin>>().write(TicketLock::new()),
                Kind::Futex => at.cast::<FutexMutex<false>>().write(FutexMutex::new()),
                Kind::FutexPrivate => at.cast::<FutexMutex<true>>().write(FutexMutex::new()),
                Kind::Pthread | Kind::PthreadRw | Kind::Installed => {}
            }
        }
    }

    /// Takes the lock in `mode`, waiting if it must: the backend alone.
    #[inline(always)]
    pub(super) fn acquire<'a>(&self, kind: Kind, mode: Mode, boxed: impl Fn() -> &'a dyn DynLock) {
        // SAFETY: (every `word`) `kind` is the kind the word was made as.
        unsafe {
            match kind {
                Kind::ParkingLot | Kind::ParkingLotFair => {
                    let _ = self.get::<parking_lot::RawMutex>().lock();
                }
                Kind::ParkingLotRw => {
                    let w = self.get::<parking_lot::RawRwLock>();
                    let _ = match mode {
                        Mode::Shared => w.lock_shared(),
                        Mode::Exclusive => w.lock_exclusive(),
                        Mode::Upgradable => w.lock_upgradable(),
                    };
                }
                Kind::Std => self.get::<Box<StdWord>>().lock(),
                Kind::StdRw if mode == Mode::Shared => self.get::<Box<StdRwWord>>().read(),
                Kind::StdRw => self.get::<Box<StdRwWord>>().write(),
                Kind::Spin => self.get::<SpinLock<Backoff>>().lock(),
                Kind::SpinPure => self.get::<SpinLock<Spin>>().lock(),
                Kind::Tas => self.get::<TasLock<Backoff>>().lock(),
                Kind::Ticket => self.get::<TicketLock<SpinThenYield>>().lock(),
                Kind::TicketSpin => self.get::<TicketLock<Spin>>().lock(),
                Kind::Futex => self.get::<FutexMutex<false>>().lock(),
                Kind::FutexPrivate => self.get::<FutexMutex<true>>().lock(),
                Kind::Pthread | Kind::PthreadRw | Kind::Installed => {
                    boxed().lock(shares(kind, mode))
                }
            }
        }
    }

    /// Takes the lock if it is free now: the backend alone.
    #[inline(always)]
    pub(super) fn try_acquire<'a>(
        &self,
        kind: Kind,
        mode: Mode,
        boxed: impl Fn() -> &'a dyn DynLock,
    ) -> bool {
        // SAFETY: (every `word`) as in `acquire`.
        unsafe {
            match kind {
                Kind::ParkingLot | Kind::ParkingLotFair => {
                    self.get::<parking_lot::RawMutex>().try_lock().is_some()
                }
                Kind::ParkingLotRw => {
                    let w = self.get::<parking_lot::RawRwLock>();
                    match mode {
                        Mode::Shared => w.try_lock_shared().is_some(),
                        Mode::Exclusive => w.try_lock_exclusive().is_some(),
                        Mode::Upgradable => w.try_lock_upgradable().is_some(),
                    }
                }
                Kind::Std => self.get::<Box<StdWord>>().try_lock(),
                Kind::StdRw if mode == Mode::Shared => self.get::<Box<StdRwWord>>().try_read(),
                Kind::StdRw => self.get::<Box<StdRwWord>>().try_write(),
                Kind::Spin => self.get::<SpinLock<Backoff>>().try_lock(),
                Kind::SpinPure => self.get::<SpinLock<Spin>>().try_lock(),
                Kind::Tas => self.get::<TasLock<Backoff>>().try_lock(),
                Kind::Ticket => self.get::<TicketLock<SpinThenYield>>().try_lock(),
                Kind::TicketSpin => self.get::<TicketLock<Spin>>().try_lock(),
                Kind::Futex => self.get::<FutexMutex<false>>().try_lock(),
                Kind::FutexPrivate => self.get::<FutexMutex<true>>().try_lock(),
                Kind::Pthread | Kind::PthreadRw | Kind::Installed => {
                    boxed().try_lock(shares(kind, mode))
                }
            }
        }
    }

    /// Takes the lock before `deadline`, or gives up: natively where the backend can, else by
    /// trying, backing off from spinning to sleeping.
    pub(super) fn acquire_until<'a>(
        &self,
        kind: Kind,
        mode: Mode,
        deadline: Instant,
        boxed: impl Fn() -> &'a dyn DynLock,
    ) -> bool {
        // SAFETY: (every `word`) as in `acquire`.
        let native = unsafe {
            match kind {
                Kind::ParkingLot | Kind::ParkingLotFair => Some(
                    self.get::<parking_lot::RawMutex>()
                        .try_lock_until(deadline)
                        .is_some(),
                ),
                Kind::ParkingLotRw => {
                    let w = self.get::<parking_lot::RawRwLock>();
                    Some(match mode {
                        Mode::Shared => w.try_lock_shared_until(deadline).is_some(),
                        Mode::Exclusive => w.try_lock_exclusive_until(deadline).is_some(),
                        Mode::Upgradable => w.try_lock_upgradable_until(deadline).is_some(),
                    })
                }
                _ => None,
            }
        };
        if let Some(got) = native {
            return got;
        }
        let mut looks = 0u32;
        loop {
            if self.try_acquire(kind, mode, &boxed) {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            looks += 1;
            match looks {
                0..64 => std::hint::spin_loop(),
                64..128 => std::thread::yield_now(),
                _ => std::thread::sleep((deadline - now).min(Duration::from_micros(50))),
            }
        }
    }

    /// Releases the lock: the backend alone.
    ///
    /// # Safety
    /// This thread holds it in `mode`, as `kind`.
    #[inline(always)]
    pub(super) unsafe fn release<'a>(
        &self,
        kind: Kind,
        mode: Mode,
        fair: bool,
        boxed: impl Fn() -> &'a dyn DynLock,
    ) {
        // SAFETY: (all) the caller's contract; each backend's guard token is stateless
        // (`Default`).
        unsafe {
            match kind {
                Kind::ParkingLot if !fair => self
                    .get::<parking_lot::RawMutex>()
                    .unlock(Default::default()),
                Kind::ParkingLot | Kind::ParkingLotFair => self
                    .get::<parking_lot::RawMutex>()
                    .unlock_fair(Default::default()),
                Kind::ParkingLotRw => {
                    let w = self.get::<parking_lot::RawRwLock>();
                    match (mode, fair) {
                        (Mode::Shared, false) => w.unlock_shared(Default::default()),
                        (Mode::Shared, true) => w.unlock_shared_fair(Default::default()),
                        (Mode::Exclusive, false) => w.unlock_exclusive(Default::default()),
                        (Mode::Exclusive, true) => w.unlock_exclusive_fair(Default::default()),
                        (Mode::Upgradable, false) => w.unlock_upgradable(Default::default()),
                        (Mode::Upgradable, true) => w.unlock_upgradable_fair(Default::default()),
                    }
                }
                Kind::Std => self.get::<Box<StdWord>>().unlock(),
                Kind::StdRw if mode == Mode::Shared => self.get::<Box<StdRwWord>>().unlock_read(),
                Kind::StdRw => self.get::<Box<StdRwWord>>().unlock_write(),
                Kind::Spin => self.get::<SpinLock<Backoff>>().unlock(),
                Kind::SpinPure => self.get::<SpinLock<Spin>>().unlock(),
                Kind::Tas => self.get::<TasLock<Backoff>>().unlock(),
                Kind::Ticket => self.get::<TicketLock<SpinThenYield>>().unlock(),
                Kind::TicketSpin => self.get::<TicketLock<Spin>>().unlock(),
                Kind::Futex => self.get::<FutexMutex<false>>().unlock(),
                Kind::FutexPrivate => self.get::<FutexMutex<true>>().unlock(),
                Kind::Pthread | Kind::PthreadRw | Kind::Installed => {
                    boxed().unlock(shares(kind, mode))
                }
            }
        }
    }

    /// Drops the word of `kind` (0: never made). A std lock still held (a guard forgotten) is
    /// left allocated: its guards point at it.
    pub(super) fn drop_as(&mut self, kind: u8) {
        let at = self.0.get_mut().as_mut_ptr();
        // SAFETY: `&mut self`: no one holds a reference; the word is `kind`'s (or unmade).
        unsafe {
            if kind == Kind::Std as u8 {
                let mut word = at.cast::<Box<StdWord>>().read();
                if word.in_use() {
                    std::mem::forget(word);
                }
            } else if kind == Kind::StdRw as u8 {
                let mut word = at.cast::<Box<StdRwWord>>().read();
                if word.in_use() {
                    std::mem::forget(word);
                }
            }
        }
    }
}
