//! One probe lock: the chosen backend (made at its first use) and what an acquisition records.

use std::panic::Location;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use super::record::{self, Acquired};
use crate::locks::split::{ErasedLock, Slot};
use crate::model::LockKind;

/// What names a lock in the profile.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Label {
    /// The name the program gave.
    Named(&'static str),
    /// The place in the program's source that made it.
    Site(&'static Location<'static>),
}

struct Live {
    lock: Box<dyn ErasedLock>,
    site: u32,
}

/// A probe lock's state: the backend behind it and the two words the probe adds to it.
pub(crate) struct Core {
    live: OnceLock<Live>,
    label: Label,
    kind: LockKind,
    /// The surface's own lock, when `LOCKBENCH_BACKEND` names none.
    default: &'static str,
    /// The number of the thread that held it last (0: none yet).
    last_holder: AtomicU64,
    /// Threads waiting for it now.
    waiting: AtomicU64,
}

/// A held probe lock: the backend's guard and what the acquisition saw.
pub(crate) struct Held {
    slot: Slot,
    shared: bool,
    seen: Option<Acquired>,
}

impl Core {
    pub(crate) const fn new(label: Label, kind: LockKind, default: &'static str) -> Core {
        Core {
            live: OnceLock::new(),
            label,
            kind,
            default,
            last_holder: AtomicU64::new(0),
            waiting: AtomicU64::new(0),
        }
    }

    #[inline]
    fn live(&self) -> &Live {
        self.live.get_or_init(|| {
            let chosen = super::start(self.default);
            let (label, named) = match self.label {
                Label::Named(name) => (name.to_string(), true),
                Label::Site(at) => (at.to_string(), false),
            };
            Live {
                lock: (chosen.make)(),
                site: record::site_for(label, named, self.kind, &chosen.facts.name),
            }
        })
    }

    /// Takes the lock (shared when `shared`), waiting if it must.
    #[inline]
    pub(crate) fn lock(&self, shared: bool) -> Held {
        let live = self.live();
        let mut slot = Slot::empty();
        if !super::recording() {
            live.lock.lock(shared, &mut slot);
            return Held {
                slot,
                shared,
                seen: None,
            };
        }
        let clock = record::clock();
        let began = clock.raw();
        let contended = !live.lock.try_lock(shared, &mut slot);
        let (got, waiters) = if contended {
            // Relaxed (both): a count of waiters for the figures; nothing is published by it.
            self.waiting.fetch_add(1, Ordering::Relaxed);
            live.lock.lock(shared, &mut slot);
            let left = self.waiting.fetch_sub(1, Ordering::Relaxed) - 1;
            (clock.raw_ordered(), left)
        } else {
            // Relaxed: as above.
            (began, self.waiting.load(Ordering::Relaxed))
        };
        Held {
            slot,
            shared,
            seen: Some(self.acquired(began, got, contended, shared, waiters)),
        }
    }

    /// Takes the lock if it is free now.
    #[inline]
    pub(crate) fn try_lock(&self, shared: bool) -> Option<Held> {
        let live = self.live();
        let mut slot = Slot::empty();
        if !live.lock.try_lock(shared, &mut slot) {
            if super::recording() {
                record::refused(live.site);
            }
            return None;
        }
        let seen = super::recording().then(|| {
            let now = record::clock().raw();
            // Relaxed: a count of waiters for the figures.
            let waiters = self.waiting.load(Ordering::Relaxed);
            self.acquired(now, now, false, shared, waiters)
        });
        Some(Held { slot, shared, seen })
    }

    fn acquired(
        &self,
        began: u64,
        got: u64,
        contended: bool,
        shared: bool,
        waiters: u64,
    ) -> Acquired {
        let me = record::thread_number();
        // Relaxed (both): the last holder is read and written by holders only (readers of a
        // shared lock may race, and then a hand-off among readers is counted loosely); the lock
        // itself orders everything else.
        let last = self.last_holder.load(Ordering::Relaxed);
        if last != me {
            self.last_holder.store(me, Ordering::Relaxed);
        }
        Acquired {
            began,
            got,
            contended,
            handoff: last != 0 && last != me,
            shared,
            waiters,
        }
    }

    /// Releases the lock.
    ///
    /// # Safety
    /// `held` came from this lock's `lock` or `try_lock`, on this thread, and is released once.
    #[inline]
    pub(crate) unsafe fn unlock(&self, held: &mut Held) {
        let live = self.live.get().expect("a held lock is live");
        let released = held.seen.map(|_| record::clock().raw());
        // SAFETY: the caller's contract: the slot holds this lock's guard, of this kind.
        unsafe { live.lock.unlock(held.shared, &mut held.slot) };
        if let (Some(seen), Some(released)) = (held.seen.take(), released) {
            record::released(live.site, &seen, released);
        }
    }
}
