//! The probe's raw locks, as `lock_api` types them: with them, `lock_api`'s `Mutex`, `RwLock`,
//! `ReentrantMutex` and `Condvar` give every method `parking_lot`'s have (guards, `map`,
//! `unlocked`, `bump`, timed and upgradable locks, ...), since `parking_lot`'s are the same
//! `lock_api` types over its own raw locks.

use std::time::{Duration, Instant};

use lock_api::{
    RawMutex, RawMutexFair, RawMutexTimed, RawRwLock, RawRwLockDowngrade, RawRwLockFair,
    RawRwLockTimed, RawRwLockUpgrade, RawRwLockUpgradeDowngrade, RawRwLockUpgradeFair,
    RawRwLockUpgradeTimed,
};

use super::backend::Kind;
use super::core::{Core, Token};
use super::sites::Label;
use super::word::Mode;

/// The surfaces' own locks, as the const parameter of [`ProbeRawMutex`] and
/// [`ProbeRawRwLock`].
pub(crate) const PARKING_LOT: u8 = Kind::ParkingLot as u8;
pub(crate) const PARKING_LOT_FAIR: u8 = Kind::ParkingLotFair as u8;
pub(crate) const PARKING_LOT_RW: u8 = Kind::ParkingLotRw as u8;
pub(crate) const STD: u8 = Kind::Std as u8;
pub(crate) const STD_RW: u8 = Kind::StdRw as u8;

/// The surface's own lock, from the const parameter.
const fn default_kind(d: u8) -> Kind {
    match d {
        PARKING_LOT_FAIR => Kind::ParkingLotFair,
        PARKING_LOT_RW => Kind::ParkingLotRw,
        STD => Kind::Std,
        STD_RW => Kind::StdRw,
        _ => Kind::ParkingLot,
    }
}

/// A deadline `timeout` from now (`None`: too far to say, so no deadline).
fn deadline(timeout: Duration) -> Option<Instant> {
    Instant::now().checked_add(timeout)
}

/// A probe mutex's raw lock: the backend the program started with (its surface's own lock,
/// the const parameter, when `LOCKBENCH_BACKEND` names none).
pub struct ProbeRawMutex<const D: u8> {
    core: Core,
}

impl<const D: u8> ProbeRawMutex<D> {
    pub(crate) const fn labelled(label: Label) -> Self {
        ProbeRawMutex {
            core: Core::new(label, false),
        }
    }
}

// SAFETY: `Core` gives mutual exclusion in `Mode::Exclusive` (each backend's own guarantee),
// and a token is released once, by the thread that took it (tokens are not Send).
unsafe impl<const D: u8> RawMutex for ProbeRawMutex<D> {
    #[allow(clippy::declare_interior_mutable_const)]
    const INIT: Self = Self::labelled(Label::Unnamed);
    type Guard = Token;

    #[inline]
    fn lock(&self) -> Token {
        self.core.lock(default_kind(D), Mode::Exclusive)
    }

    #[inline]
    fn try_lock(&self) -> Option<Token> {
        self.core.try_lock(default_kind(D), Mode::Exclusive)
    }

    #[inline]
    unsafe fn unlock(&self, guard: Token) {
        let fair = D == PARKING_LOT_FAIR;
        // SAFETY: lock_api's contract: `guard` is this lock's exclusive token.
        unsafe {
            self.core
                .unlock(default_kind(D), Mode::Exclusive, guard, fair)
        }
    }

    fn is_locked(&self) -> bool {
        self.core.is_locked(default_kind(D), false)
    }
}

// SAFETY: as for `RawMutex`; a fair release is the backend's where it has one.
unsafe impl<const D: u8> RawMutexFair for ProbeRawMutex<D> {
    unsafe fn unlock_fair(&self, guard: Token) {
        // SAFETY: as in `unlock`.
        unsafe {
            self.core
                .unlock(default_kind(D), Mode::Exclusive, guard, true)
        }
    }
}

// SAFETY: as for `RawMutex`.
unsafe impl<const D: u8> RawMutexTimed for ProbeRawMutex<D> {
    type Duration = Duration;
    type Instant = Instant;

    fn try_lock_for(&self, timeout: Duration) -> Option<Token> {
        match deadline(timeout) {
            Some(d) => self.try_lock_until(d),
            None => Some(self.lock()),
        }
    }

    fn try_lock_until(&self, timeout: Instant) -> Option<Token> {
        self.core
            .lock_until(default_kind(D), Mode::Exclusive, timeout)
    }
}

/// A probe reader-writer lock's raw lock: as [`ProbeRawMutex`], readers sharing it where
/// the backend lets them.
pub struct ProbeRawRwLock<const D: u8> {
    core: Core,
}

impl<const D: u8> ProbeRawRwLock<D> {
    pub(crate) const fn labelled(label: Label) -> Self {
        ProbeRawRwLock {
            core: Core::new(label, true),
        }
    }

    fn lock_in(&self, mode: Mode) -> Token {
        self.core.lock(default_kind(D), mode)
    }

    fn try_in(&self, mode: Mode) -> Option<Token> {
        self.core.try_lock(default_kind(D), mode)
    }

    fn until_in(&self, mode: Mode, timeout: Instant) -> Option<Token> {
        self.core.lock_until(default_kind(D), mode, timeout)
    }

    fn for_in(&self, mode: Mode, timeout: Duration) -> Option<Token> {
        match deadline(timeout) {
            Some(d) => self.until_in(mode, d),
            None => Some(self.lock_in(mode)),
        }
    }

    /// # Safety
    /// `token` is this lock's, held in `mode`.
    unsafe fn unlock_in(&self, mode: Mode, token: Token, fair: bool) {
        // SAFETY: the caller's contract.
        unsafe { self.core.unlock(default_kind(D), mode, token, fair) }
    }
}

// SAFETY: `Core` admits one exclusive holder or (on a sharing backend) readers, never both;
// tokens are released once, by the thread that took them.
unsafe impl<const D: u8> RawRwLock for ProbeRawRwLock<D> {
    #[allow(clippy::declare_interior_mutable_const)]
    const INIT: Self = Self::labelled(Label::Unnamed);
    type SharedGuard = Token;
    type ExclusiveGuard = Token;

    #[inline]
    fn lock_shared(&self) -> Token {
        self.lock_in(Mode::Shared)
    }

    #[inline]
    fn try_lock_shared(&self) -> Option<Token> {
        self.try_in(Mode::Shared)
    }

    #[inline]
    unsafe fn unlock_shared(&self, guard: Token) {
        // SAFETY: lock_api's contract: a shared token of this lock.
        unsafe { self.unlock_in(Mode::Shared, guard, false) }
    }

    #[inline]
    fn lock_exclusive(&self) -> Token {
        self.lock_in(Mode::Exclusive)
    }

    #[inline]
    fn try_lock_exclusive(&self) -> Option<Token> {
        self.try_in(Mode::Exclusive)
    }

    #[inline]
    unsafe fn unlock_exclusive(&self, guard: Token) {
        // SAFETY: lock_api's contract: an exclusive token of this lock.
        unsafe { self.unlock_in(Mode::Exclusive, guard, false) }
    }

    fn is_locked(&self) -> bool {
        self.core.is_locked(default_kind(D), false)
    }

    fn is_locked_exclusive(&self) -> bool {
        self.core.is_locked(default_kind(D), true)
    }
}

// SAFETY: as for `RawRwLock`.
unsafe impl<const D: u8> RawRwLockFair for ProbeRawRwLock<D> {
    unsafe fn unlock_shared_fair(&self, guard: Token) {
        // SAFETY: lock_api's contract.
        unsafe { self.unlock_in(Mode::Shared, guard, true) }
    }

    unsafe fn unlock_exclusive_fair(&self, guard: Token) {
        // SAFETY: lock_api's contract.
        unsafe { self.unlock_in(Mode::Exclusive, guard, true) }
    }
}

// SAFETY: `Core::downgrade` turns the exclusive hold into a shared one without a moment
// unheld (or ends the program where the backend cannot).
unsafe impl<const D: u8> RawRwLockDowngrade for ProbeRawRwLock<D> {
    unsafe fn downgrade(&self, guard: Token) -> Token {
        self.core.downgrade(default_kind(D), guard)
    }
}

// SAFETY: as for `RawRwLock`.
unsafe impl<const D: u8> RawRwLockTimed for ProbeRawRwLock<D> {
    type Duration = Duration;
    type Instant = Instant;

    fn try_lock_shared_for(&self, timeout: Duration) -> Option<Token> {
        self.for_in(Mode::Shared, timeout)
    }

    fn try_lock_shared_until(&self, timeout: Instant) -> Option<Token> {
        self.until_in(Mode::Shared, timeout)
    }

    fn try_lock_exclusive_for(&self, timeout: Duration) -> Option<Token> {
        self.for_in(Mode::Exclusive, timeout)
    }

    fn try_lock_exclusive_until(&self, timeout: Instant) -> Option<Token> {
        self.until_in(Mode::Exclusive, timeout)
    }
}

// SAFETY: an upgradable hold is parking_lot's own on its reader-writer lock, and an exclusive
// hold elsewhere (then upgrading has nothing to do): either way no writer enters meanwhile.
unsafe impl<const D: u8> RawRwLockUpgrade for ProbeRawRwLock<D> {
    type UpgradableGuard = Token;

    fn lock_upgradable(&self) -> Token {
        self.lock_in(Mode::Upgradable)
    }

    fn try_lock_upgradable(&self) -> Option<Token> {
        self.try_in(Mode::Upgradable)
    }

    unsafe fn unlock_upgradable(&self, guard: Token) {
        // SAFETY: lock_api's contract.
        unsafe { self.unlock_in(Mode::Upgradable, guard, false) }
    }

    unsafe fn upgrade(&self, guard: Token) -> Token {
        if let Some(w) = self.core.native_upgrade(default_kind(D)) {
            // SAFETY: the token is this lock's upgradable hold, parking_lot's own.
            let _ = unsafe { w.upgrade(Default::default()) };
        }
        guard
    }

    unsafe fn try_upgrade(&self, guard: Token) -> Result<Token, Token> {
        match self.core.native_upgrade(default_kind(D)) {
            // SAFETY: as in `upgrade`.
            Some(w) => match unsafe { w.try_upgrade(Default::default()) } {
                Ok(_) => Ok(guard),
                Err(_) => Err(guard),
            },
            None => Ok(guard),
        }
    }
}

// SAFETY: as for `RawRwLockUpgrade`.
unsafe impl<const D: u8> RawRwLockUpgradeFair for ProbeRawRwLock<D> {
    unsafe fn unlock_upgradable_fair(&self, guard: Token) {
        // SAFETY: lock_api's contract.
        unsafe { self.unlock_in(Mode::Upgradable, guard, true) }
    }
}

// SAFETY: parking_lot's own conversions on its lock; elsewhere the upgradable hold is an
// exclusive one, and converting it is `Core::downgrade` (or nothing).
unsafe impl<const D: u8> RawRwLockUpgradeDowngrade for ProbeRawRwLock<D> {
    unsafe fn downgrade_upgradable(&self, guard: Token) -> Token {
        match self.core.native_upgrade(default_kind(D)) {
            Some(w) => {
                // SAFETY: the token is this lock's upgradable hold, parking_lot's own.
                let _ = unsafe { w.downgrade_upgradable(Default::default()) };
                guard
            }
            None => self.core.downgrade(default_kind(D), guard),
        }
    }

    unsafe fn downgrade_to_upgradable(&self, guard: Token) -> Token {
        if let Some(w) = self.core.native_upgrade(default_kind(D)) {
            // SAFETY: the token is this lock's exclusive hold, parking_lot's own.
            let _ = unsafe { w.downgrade_to_upgradable(Default::default()) };
        }
        guard
    }
}

// SAFETY: as for `RawRwLockUpgrade`.
unsafe impl<const D: u8> RawRwLockUpgradeTimed for ProbeRawRwLock<D> {
    fn try_lock_upgradable_for(&self, timeout: Duration) -> Option<Token> {
        self.for_in(Mode::Upgradable, timeout)
    }

    fn try_lock_upgradable_until(&self, timeout: Instant) -> Option<Token> {
        self.until_in(Mode::Upgradable, timeout)
    }

    unsafe fn try_upgrade_for(&self, guard: Token, timeout: Duration) -> Result<Token, Token> {
        match deadline(timeout) {
            // SAFETY: lock_api's contract, passed on.
            Some(d) => unsafe { self.try_upgrade_until(guard, d) },
            // SAFETY: as above.
            None => Ok(unsafe { self.upgrade(guard) }),
        }
    }

    unsafe fn try_upgrade_until(&self, guard: Token, timeout: Instant) -> Result<Token, Token> {
        match self.core.native_upgrade(default_kind(D)) {
            // SAFETY: as in `upgrade`.
            Some(w) => match unsafe { w.try_upgrade_until(Default::default(), timeout) } {
                Ok(_) => Ok(guard),
                Err(_) => Err(guard),
            },
            None => Ok(guard),
        }
    }
}
