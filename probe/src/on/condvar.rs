//! The probe's condition variable, as `lock_api` types one: a sequence number that a notify
//! advances, waiters parked on its address (parking_lot_core's queue). A wait ends the
//! mutex's hold (recorded as any release), sleeps (recorded per condition variable, not as a
//! wait for the mutex), and takes the mutex again (recorded as any acquisition: a wait when
//! it finds the mutex taken).
//!
//! It may wake spuriously (a notify that lands between a waiter's release and its sleep wakes
//! it, and may wake another too), so, as `lock_api` asks of such a condition variable, its
//! `notify_one` and `notify_all` return `false` and 0.

use std::panic::Location;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicPtr, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use lock_api::{RawCondvar, RawCondvarTimed, RawMutex as _};
use parking_lot_core::{DEFAULT_PARK_TOKEN, DEFAULT_UNPARK_TOKEN, ParkResult};

use super::backend::Kind;
use super::core::Token;
use super::hist::Hist;
use super::raw::ProbeRawMutex;
use super::record;
use crate::format::CondvarProfile;

/// A probe condition variable's raw part, for mutexes of [`ProbeRawMutex<D>`].
pub struct ProbeRawCondvar<const D: u8> {
    seq: AtomicU32,
    /// The place that made it (set by the probe's `Condvar` at its first wait).
    at: AtomicPtr<Location<'static>>,
    /// Its entry in the sleep figures, plus one (0: none yet).
    site: AtomicU32,
}

impl<const D: u8> ProbeRawCondvar<D> {
    /// Names it, for the profile, by the place that made it.
    pub(crate) fn place(&self, at: &'static Location<'static>) {
        // Relaxed (both): a name for the figures; every wait stores the same one.
        if self.at.load(Ordering::Relaxed).is_null() {
            self.at
                .store(std::ptr::from_ref(at).cast_mut(), Ordering::Relaxed);
        }
    }

    fn key(&self) -> usize {
        std::ptr::from_ref(self).addr()
    }

    /// Waits until notified, or until `deadline`; `true` if it timed out.
    ///
    /// # Safety
    /// As `RawCondvar::wait`: `token` is this thread's hold of `mutex`.
    unsafe fn wait_until_inner(
        &self,
        mutex: &ProbeRawMutex<D>,
        token: &mut Token,
        deadline: Option<Instant>,
    ) -> bool {
        // Relaxed: read under the mutex; a notify after this read changes it, and the parking
        // queue's lock orders the change before the check in `validate` (see `notify`).
        let seq = self.seq.load(Ordering::Relaxed);
        // From the release to the re-acquisition the guard's token is a stand-in: should
        // anything between unwind (a program's installed lock that panics), the guard would
        // be released with it. lock_api asks for an abort then.
        let abort = AbortOnUnwind;
        let held = std::mem::replace(token, Token::plain(Kind::ParkingLot));
        // SAFETY: the caller's contract: this thread holds `mutex` as `held`.
        unsafe { mutex.unlock(held) };
        let slept_from = super::recording().then(record::now);
        // SAFETY: the key is this condvar's address, alive while it is borrowed; the callbacks
        // neither panic nor call into the parking lot.
        let result = unsafe {
            parking_lot_core::park(
                self.key(),
                // Relaxed: see above.
                || self.seq.load(Ordering::Relaxed) == seq,
                || {},
                |_, _| {},
                DEFAULT_PARK_TOKEN,
                deadline,
            )
        };
        let timed_out = matches!(result, ParkResult::TimedOut);
        if let Some(from) = slept_from {
            self.slept(record::now().saturating_sub(from), timed_out);
        }
        *token = mutex.lock();
        std::mem::forget(abort);
        timed_out
    }

    fn slept(&self, ns: u64, timed_out: bool) {
        // Relaxed: the entry's number; `sleeps`' lock orders the entry itself.
        let mut site = self.site.load(Ordering::Relaxed);
        let mut all = sleeps().lock();
        if site == 0 {
            // Relaxed: see `place`.
            let at = self.at.load(Ordering::Relaxed);
            // SAFETY: null, or a `&'static Location` stored by `place`.
            let name =
                unsafe { at.as_ref() }.map_or_else(|| "(unnamed)".to_string(), ToString::to_string);
            site = match all.iter().position(|s| s.name == name) {
                Some(i) => i as u32 + 1,
                None => {
                    all.push(Sleeps::new(name));
                    all.len() as u32
                }
            };
            self.site.store(site, Ordering::Relaxed);
        }
        let s = &mut all[site as usize - 1];
        s.waits += 1;
        s.timed_out += u64::from(timed_out);
        s.sleep.record_n(ns, 1);
    }

    fn advance(&self) {
        // Relaxed: the parking queue's lock, taken by the unpark after this, orders it before
        // any waiter's `validate` that comes later; one that came earlier is parked and is
        // woken.
        self.seq.fetch_add(1, Ordering::Relaxed);
    }
}

/// Aborts the program if dropped: a condition variable's wait that unwinds between releasing
/// the mutex and taking it again.
struct AbortOnUnwind;

impl Drop for AbortOnUnwind {
    fn drop(&mut self) {
        eprintln!("lockbench probe: a condition variable's wait panicked without its mutex");
        std::process::abort();
    }
}

// SAFETY: a wait reads the sequence under the mutex, releases it, and parks only if the
// sequence is unchanged (checked under the parking queue's lock, which every notify takes
// after changing it): no notify after the release is missed. The mutex is taken again before
// returning, and nothing here panics between the release and the re-acquisition.
unsafe impl<const D: u8> RawCondvar for ProbeRawCondvar<D> {
    #[allow(clippy::declare_interior_mutable_const)]
    const INIT: Self = ProbeRawCondvar {
        seq: AtomicU32::new(0),
        at: AtomicPtr::new(std::ptr::null_mut()),
        site: AtomicU32::new(0),
    };
    type RawMutex = ProbeRawMutex<D>;

    unsafe fn wait(&self, mutex: &ProbeRawMutex<D>, guard: &mut Token) {
        // SAFETY: lock_api's contract, passed on.
        unsafe { self.wait_until_inner(mutex, guard, None) };
    }

    fn notify_one(&self) -> bool {
        self.advance();
        // SAFETY: the key is this condvar's address; the callback does nothing.
        unsafe { parking_lot_core::unpark_one(self.key(), |_| DEFAULT_UNPARK_TOKEN) };
        false
    }

    fn notify_all(&self) -> usize {
        self.advance();
        // SAFETY: as above.
        unsafe { parking_lot_core::unpark_all(self.key(), DEFAULT_UNPARK_TOKEN) };
        0
    }
}

// SAFETY: as for `RawCondvar`; a timed wait leaves the queue at its deadline.
unsafe impl<const D: u8> RawCondvarTimed for ProbeRawCondvar<D> {
    fn checked_duration_to_instant(timeout: &Duration) -> Option<Instant> {
        Instant::now().checked_add(*timeout)
    }

    unsafe fn wait_until(
        &self,
        mutex: &ProbeRawMutex<D>,
        guard: &mut Token,
        timeout: &Instant,
    ) -> bool {
        // SAFETY: lock_api's contract, passed on.
        unsafe { self.wait_until_inner(mutex, guard, Some(*timeout)) }
    }
}

/// One condition variable's sleeps (every one made at one place).
struct Sleeps {
    name: String,
    waits: u64,
    timed_out: u64,
    sleep: Hist,
}

impl Sleeps {
    fn new(name: String) -> Sleeps {
        Sleeps {
            name,
            waits: 0,
            timed_out: 0,
            sleep: Hist::new(),
        }
    }
}

fn sleeps() -> &'static parking_lot::Mutex<Vec<Sleeps>> {
    static SLEEPS: OnceLock<parking_lot::Mutex<Vec<Sleeps>>> = OnceLock::new();
    SLEEPS.get_or_init(Default::default)
}

/// Every condition variable's sleeps, most slept first.
pub(crate) fn profiles() -> Vec<CondvarProfile> {
    let all = sleeps().lock();
    let mut out: Vec<CondvarProfile> = all
        .iter()
        .map(|s| CondvarProfile {
            name: s.name.clone(),
            waits: s.waits,
            timed_out: s.timed_out,
            sleep: s.sleep.distribution(),
        })
        .collect();
    out.sort_by_key(|c| std::cmp::Reverse(c.sleep.total_ns));
    out
}
