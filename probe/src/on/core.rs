//! One probe lock object: its word (`word.rs`), made at its first use as the backend the
//! program started with; its name; and, when it is recorded or boxed, its words off its line.
//! Taking and releasing it, recorded or not.

use std::marker::PhantomData;
use std::sync::atomic::{AtomicPtr, AtomicU8, Ordering};
use std::time::Instant;

use lock_api::{RawMutex as _, RawRwLock as _, RawRwLockDowngrade as _};

use super::backend::{self, Kind};
use super::boxed;
use super::record::{self, Line, SAMPLED, Words};
use super::sites::{self, Label};
use super::std_word::StdRwWord;
use super::word::{Mode, Word};
use crate::DynLock;
use crate::format::LockKind;

/// `kind` while the first user makes the lock word.
const MAKING: u8 = u8::MAX;

/// One acquisition: the kind it was taken as, and its slot in the thread's open acquisitions
/// (when recorded). Eight bytes, recording or not. Not `Send`: the thread that locked unlocks
/// (pthread requires it, and the record is the thread's).
pub struct Token {
    kind: Kind,
    slot: u32,
    _not_send: PhantomData<*const ()>,
}

impl Token {
    pub(crate) fn plain(kind: Kind) -> Token {
        Token {
            kind,
            slot: 0,
            _not_send: PhantomData,
        }
    }
}

/// The words a recorded or boxed lock object adds, allocated at its first such use.
struct Ext {
    words: Words,
    /// The site, plus one.
    site: u32,
    /// The object's number among its site's.
    object: u32,
    boxed: Option<Box<dyn DynLock>>,
}

/// A probe lock object.
pub(crate) struct Core {
    word: Word,
    /// 0: not made yet; [`MAKING`]: being made; else the [`Kind`] it was made as.
    kind: AtomicU8,
    rw: bool,
    label: Label,
    ext: AtomicPtr<Ext>,
}

// SAFETY: the storage is one backend's lock, which is Send + Sync, made once (behind `kind`)
// and then used only through `&`; the box in `ext` holds a `DynLock`, Send + Sync.
unsafe impl Sync for Core {}
// SAFETY: as above; moving the object moves the lock word (a pthread lock is boxed).
unsafe impl Send for Core {}

/// Whether acquisitions are recorded now.
#[inline]
fn recording() -> bool {
    super::recording()
}

impl Core {
    pub(crate) const fn new(label: Label, rw: bool) -> Core {
        Core {
            word: Word::new(),
            kind: AtomicU8::new(0),
            rw,
            label,
            ext: AtomicPtr::new(std::ptr::null_mut()),
        }
    }

    /// The kind this object is, making it at its first use.
    #[inline(always)]
    pub(crate) fn kind(&self, default: Kind) -> Kind {
        // Acquire: pairs with `make`'s Release, so the word it wrote is seen.
        let k = self.kind.load(Ordering::Acquire);
        if k != 0 && k != MAKING {
            // SAFETY: only `make` stores a kind, and only a `Kind`'s discriminant.
            return unsafe { std::mem::transmute::<u8, Kind>(k) };
        }
        self.make(default)
    }

    #[cold]
    fn make(&self, default: Kind) -> Kind {
        let named = super::start(default);
        let kind = named.kind;
        // Acquire on success: nothing to see yet; on failure another thread is making it.
        match self
            .kind
            .compare_exchange(0, MAKING, Ordering::Acquire, Ordering::Acquire)
        {
            Ok(_) => {
                // Should making the word or the box panic (a program's installed lock), the
                // object goes back to unmade rather than leave other users waiting forever.
                let unmade = Unmade(&self.kind);
                if matches!(kind, Kind::Pthread | Kind::PthreadRw | Kind::Installed) {
                    self.make_ext(kind, &named.name);
                }
                // SAFETY: this thread alone won the right to write the word; no one reads it
                // until the Release store below publishes the kind.
                unsafe { self.word.write(kind) };
                std::mem::forget(unmade);
                // Release: publishes the word (and the box) with the kind.
                self.kind.store(kind as u8, Ordering::Release);
                kind
            }
            Err(_) => loop {
                // Acquire: as in `kind`.
                let k = self.kind.load(Ordering::Acquire);
                if k != MAKING {
                    // SAFETY: as in `kind`.
                    return unsafe { std::mem::transmute::<u8, Kind>(k) };
                }
                std::thread::yield_now();
            },
        }
    }

    /// The object's extra words, made at their first use.
    fn make_ext(&self, kind: Kind, backend: &str) -> &Ext {
        let lock_kind = if self.rw {
            LockKind::Rwlock
        } else {
            LockKind::Mutex
        };
        let (site, object) = sites::site_for(self.label, lock_kind, backend);
        let ext = Box::into_raw(Box::new(Ext {
            words: Words {
                holder: Line(Default::default()),
                waiting: Line(Default::default()),
            },
            site: site + 1,
            object,
            boxed: boxed::make(kind),
        }));
        // AcqRel: publishes ours (Release), or sees the winner's (Acquire).
        match self.ext.compare_exchange(
            std::ptr::null_mut(),
            ext,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            // SAFETY: just published; freed only in Drop.
            Ok(_) => unsafe { &*ext },
            Err(theirs) => {
                sites::uncount(site);
                // SAFETY: ours was never published.
                drop(unsafe { Box::from_raw(ext) });
                // SAFETY: the winner's, published and freed only in Drop.
                unsafe { &*theirs }
            }
        }
    }

    #[inline]
    fn ext(&self, kind: Kind) -> &Ext {
        // Acquire: pairs with `make_ext`'s publication.
        let ext = self.ext.load(Ordering::Acquire);
        if ext.is_null() {
            return self.make_ext(kind, &super::backend_name());
        }
        // SAFETY: published by `make_ext`, freed only in Drop.
        unsafe { &*ext }
    }

    #[inline]
    fn boxed(&self) -> &dyn DynLock {
        // Acquire: as in `ext`; a boxed kind's ext is made before the kind is published.
        let ext = self.ext.load(Ordering::Acquire);
        // SAFETY: as in `ext`; `make` made it for every boxed kind.
        match unsafe { ext.as_ref() }.and_then(|e| e.boxed.as_deref()) {
            Some(lock) => lock,
            None => unreachable!("a boxed kind's lock is made with it"),
        }
    }

    /// Takes the lock, waiting if it must; recorded when recording is on.
    #[inline(always)]
    pub(crate) fn lock(&self, default: Kind, mode: Mode) -> Token {
        let kind = self.kind(default);
        if !recording() {
            // The surface's own lock, matched as a constant (the match folds away).
            if kind == default {
                self.word.acquire(default, mode, || self.boxed());
            } else {
                self.word.acquire(kind, mode, || self.boxed());
            }
            return Token::plain(kind);
        }
        self.lock_recorded(kind, mode, None)
            .expect("a wait without a deadline ends with the lock")
    }

    /// Takes the lock before `deadline`, or gives up.
    pub(crate) fn lock_until(&self, default: Kind, mode: Mode, deadline: Instant) -> Option<Token> {
        let kind = self.kind(default);
        if !recording() {
            return self
                .word
                .acquire_until(kind, mode, deadline, || self.boxed())
                .then(|| Token::plain(kind));
        }
        self.lock_recorded(kind, mode, Some(deadline))
    }

    #[inline(never)]
    fn lock_recorded(&self, kind: Kind, mode: Mode, deadline: Option<Instant>) -> Option<Token> {
        let ext = self.ext(kind);
        let slot = record::acquire(
            &ext.words,
            (ext.site, ext.object),
            mode == Mode::Shared,
            || self.word.try_acquire(kind, mode, || self.boxed()),
            || match deadline {
                None => {
                    self.word.acquire(kind, mode, || self.boxed());
                    true
                }
                Some(d) => self.word.acquire_until(kind, mode, d, || self.boxed()),
            },
        )?;
        Some(Token {
            kind,
            slot,
            _not_send: PhantomData,
        })
    }

    /// Takes the lock if it is free now.
    #[inline(always)]
    pub(crate) fn try_lock(&self, default: Kind, mode: Mode) -> Option<Token> {
        let kind = self.kind(default);
        if !recording() {
            return self
                .word
                .try_acquire(kind, mode, || self.boxed())
                .then(|| Token::plain(kind));
        }
        self.try_recorded(kind, mode)
    }

    #[inline(never)]
    fn try_recorded(&self, kind: Kind, mode: Mode) -> Option<Token> {
        let ext = self.ext(kind);
        if !self.word.try_acquire(kind, mode, || self.boxed()) {
            record::refused(ext.site - 1);
            return None;
        }
        // Taken: recorded as an acquisition that found it free.
        let slot = record::acquire(
            &ext.words,
            (ext.site, ext.object),
            mode == Mode::Shared,
            || true,
            || true,
        )?;
        Some(Token {
            kind,
            slot,
            _not_send: PhantomData,
        })
    }

    /// Releases the lock (fairly, where the backend can hand it over, when `fair`).
    ///
    /// # Safety
    /// `token` came from this object's `lock`, `try_lock` or `lock_until` in `mode` (or was
    /// converted to it), on this thread, and is released once.
    #[inline(always)]
    pub(crate) unsafe fn unlock(&self, default: Kind, mode: Mode, token: Token, fair: bool) {
        let Token { kind, slot, .. } = token;
        if slot == 0 {
            // SAFETY: the caller's contract; the surface's own lock matched as a constant.
            unsafe {
                if kind == default {
                    self.word.release(default, mode, fair, || self.boxed());
                } else {
                    self.word.release(kind, mode, fair, || self.boxed());
                }
            }
            return;
        }
        let released = if slot & SAMPLED != 0 {
            record::now()
        } else {
            0
        };
        // SAFETY: the caller's contract.
        unsafe { self.word.release(kind, mode, fair, || self.boxed()) };
        record::released(slot, released);
    }

    /// Whether the lock is held now (a snapshot).
    pub(crate) fn is_locked(&self, default: Kind, exclusive: bool) -> bool {
        let kind = self.kind(default);
        // SAFETY: (both `word`s) as in `acquire`.
        unsafe {
            match kind {
                Kind::ParkingLot | Kind::ParkingLotFair => {
                    return self.word.get::<parking_lot::RawMutex>().is_locked();
                }
                Kind::ParkingLotRw if exclusive => {
                    return self
                        .word
                        .get::<parking_lot::RawRwLock>()
                        .is_locked_exclusive();
                }
                Kind::ParkingLotRw => return self.word.get::<parking_lot::RawRwLock>().is_locked(),
                _ => {}
            }
        }
        // Elsewhere, a try: a shared one finds an exclusive holder.
        let mode = if exclusive && kind.shares() {
            Mode::Shared
        } else {
            Mode::Exclusive
        };
        if !self.word.try_acquire(kind, mode, || self.boxed()) {
            return true;
        }
        // SAFETY: taken just above, as `kind`, in `mode`.
        unsafe { self.word.release(kind, mode, false, || self.boxed()) };
        false
    }

    /// The native upgradable lock, where the backend has one.
    pub(crate) fn native_upgrade(&self, default: Kind) -> Option<&parking_lot::RawRwLock> {
        // SAFETY: the word is a parking_lot RwLock's when the kind says so.
        (self.kind(default) == Kind::ParkingLotRw)
            .then(|| unsafe { self.word.get::<parking_lot::RawRwLock>() })
    }

    /// Downgrades an exclusive hold to a shared one, atomically; ends the program with one
    /// line where the backend cannot.
    pub(crate) fn downgrade(&self, default: Kind, token: Token) -> Token {
        let kind = self.kind(default);
        match kind {
            // SAFETY: (both) this thread holds it exclusively, as the caller's token says.
            Kind::StdRw => unsafe { self.word.get::<Box<StdRwWord>>().downgrade() },
            // SAFETY: as above.
            Kind::ParkingLotRw => unsafe {
                let _ = self
                    .word
                    .get::<parking_lot::RawRwLock>()
                    .downgrade(Default::default());
            },
            Kind::Installed if kind.shares() => backend::fail(&crate::ProbeError(format!(
                "{}: this lock cannot downgrade a write lock to a read lock atomically; a \
                     program that downgrades can be any built-in backend",
                super::backend_name()
            ))),
            // Elsewhere the "read" it downgrades to stays held exclusively (a mutex backend's
            // reads are; pthread's rwlock has no atomic downgrade, and its unlock releases
            // either hold).
            _ => {}
        }
        token
    }
}

/// Puts an object being made back to unmade, if its making unwinds.
struct Unmade<'a>(&'a AtomicU8);

impl Drop for Unmade<'_> {
    fn drop(&mut self) {
        // Release: nothing was published; the next user makes it again.
        self.0.store(0, Ordering::Release);
    }
}

impl Drop for Core {
    fn drop(&mut self) {
        let kind = *self.kind.get_mut();
        self.word.drop_as(kind);
        let ext = *self.ext.get_mut();
        if !ext.is_null() {
            // SAFETY: made by `make_ext` with Box, and not reachable any more.
            drop(unsafe { Box::from_raw(ext) });
        }
    }
}
