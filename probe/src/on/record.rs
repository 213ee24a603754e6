//! What the probe records at each acquisition and release: each thread into its own record
//! (kept in `store`: counters and histograms that only it stores to, read by the profile's
//! writer at any time), merged when a profile is written; a thread's record folded into the
//! retired ones when the thread ends.
//!
//! What an acquisition costs, recording: before trying, nothing beyond the thread's record
//! (and a clock read when the gap or the think after a sampled hold is being timed); inside
//! the critical section, one load of the lock's last holder (a store when it changed) and,
//! one acquisition in [`HOLD_SAMPLING`] on average, one clock read; a wait is timed only when
//! the lock was taken (the try failed); everything is written to the thread's record after the
//! release (a sampled one's object counted, and one more clock read where its think starts).

use std::cell::Cell;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use super::hist::{bump, raise};
pub(crate) use super::store::{SiteRec, ThreadRec, ThreadUse, registry};

/// One acquisition in this many, on average, has its hold timed (geometric gaps between
/// samples, so no period of the program's can line up with them).
pub(crate) const HOLD_SAMPLING: u64 = 64;

/// Nanoseconds since the probe's clock started, plus one (0 is "no reading").
#[inline]
pub(crate) fn now() -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    let ns = EPOCH.get_or_init(Instant::now).elapsed().as_nanos();
    u64::try_from(ns).unwrap_or(u64::MAX - 1) + 1
}

/// Acquisitions that could not be recorded (taken while their thread was being torn down).
pub(crate) static UNRECORDED: AtomicU64 = AtomicU64::new(0);

/// The thread's own state: its record, and the sampling's.
struct Local {
    rec: Cell<Option<&'static ThreadRec>>,
    /// Acquisitions until the next sampled hold.
    countdown: Cell<u64>,
    rng: Cell<u64>,
    /// The site whose next acquisition ends a timed gap, plus one (0: none), and when it began.
    gap: Cell<(u32, u64)>,
    /// The site whose sampled release began a timed think, plus one (0: none), and when: the
    /// thread's next acquisition of any lock ends it.
    think: Cell<(u32, u64)>,
    /// The acquisitions this thread holds now, recorded at their release.
    open: std::cell::UnsafeCell<Vec<Seen>>,
}

impl Drop for Local {
    fn drop(&mut self) {
        let Some(rec) = self.rec.take() else { return };
        let mut reg = registry().lock();
        reg.live.retain(|r| !std::ptr::eq(*r, rec));
        rec.each(|site, r| reg.retired.site(site).merge(r));
        let uses = ThreadUse::of(rec);
        if !uses.is_empty() {
            reg.retired_uses.push(uses);
        }
        drop(reg);
        // SAFETY: leaked in `mine`, removed from the registry above (the only other place that
        // can reach it, and only under the registry's lock), and this thread is ending.
        drop(unsafe { Box::from_raw(std::ptr::from_ref(rec).cast_mut()) });
    }
}

thread_local! {
    static LOCAL: Local = const {
        Local {
            rec: Cell::new(None),
            countdown: Cell::new(0),
            rng: Cell::new(0),
            gap: Cell::new((0, 0)),
            think: Cell::new((0, 0)),
            open: std::cell::UnsafeCell::new(Vec::new()),
        }
    };
}

impl Local {
    fn mine(&self) -> &'static ThreadRec {
        if let Some(rec) = self.rec.get() {
            return rec;
        }
        static NEXT: AtomicU64 = AtomicU64::new(1);
        // Relaxed: a unique number is all that is needed.
        let number = NEXT.fetch_add(1, Ordering::Relaxed);
        let rec: &'static ThreadRec = Box::leak(Box::new(ThreadRec::new(number)));
        registry().lock().live.push(rec);
        self.rec.set(Some(rec));
        self.rng.set(number.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        rec
    }

    /// Whether this acquisition's hold is sampled; draws the next gap when it is.
    #[inline]
    fn tick(&self) -> bool {
        let left = self.countdown.get();
        if left > 0 {
            self.countdown.set(left - 1);
            return false;
        }
        // xorshift64*, then a geometric gap of mean HOLD_SAMPLING.
        let mut x = self.rng.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng.set(x);
        let u = ((x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
        let p = 1.0 / HOLD_SAMPLING as f64;
        self.countdown.set((u.ln() / (1.0 - p).ln()) as u64);
        true
    }
}

/// What an acquisition saw, kept in its thread's table of open acquisitions until its
/// release (its guard carries only the table's slot: a guard stays small, recording or not).
#[derive(Clone, Copy, Default)]
struct Seen {
    /// The lock's site, plus one (0: the slot is free).
    site: u32,
    /// Waiters left waiting when it got the lock.
    waiters: u32,
    /// The wait, plus one, when it found the lock taken (0: it did not).
    waited: u64,
    /// When its hold began, if sampled (0: not).
    hold_from: u64,
    /// The gap before it, plus one, if timed (0: not).
    gap: u64,
    /// The think before it, plus one, if timed (0: not), and the site it followed, plus one.
    think: (u64, u32),
    /// Its object's number, plus one, when its hold is sampled (0: not).
    object: u32,
    /// Whether it was taken shared.
    shared: bool,
    /// Whether another thread held the lock last (a hand-off).
    handed: bool,
}

/// A token's slot flag: the hold is sampled (read the clock before the release).
pub(crate) const SAMPLED: u32 = 1 << 31;

/// The words a lock object adds when it is recorded: its site, its last holder, its waiters,
/// each off the lock's own cache line (and off each other's).
#[repr(C)]
pub(crate) struct Words {
    pub(crate) holder: Line,
    pub(crate) waiting: Line,
}

/// One word on a cache line of its own.
#[repr(align(128))]
pub(crate) struct Line(pub(crate) AtomicU64);

/// This thread's state, for the length of one call on this thread (`None`: the thread is
/// being torn down and its state is gone).
fn local() -> Option<&'static Local> {
    let l = LOCAL.try_with(std::ptr::from_ref).ok()?;
    // SAFETY: the thread's state lives until its thread-local destructors run; the caller
    // uses it only within its own call on this thread, which a destructor cannot interrupt.
    Some(unsafe { &*l })
}

/// A recorded acquisition of the lock object whose words are `words` (site `site`, plus one;
/// the site's object `object`):
/// `try_` takes it if it is free now; else `wait` waits for it (`false`: gave up at its
/// deadline). Returns the token's slot (0: nothing left to record at the release; else the
/// open acquisition's place, plus one, with [`SAMPLED`] set when the hold is timed), or
/// `None` if it gave up.
///
/// Before trying: the thread's record, found once. Inside the critical section: the counts
/// (plain stores to this thread's record), the hand-off check on the lock's holder word, and
/// one clock read on a sampled acquisition; a waited one's second clock read ends its wait.
#[inline]
pub(crate) fn acquire(
    words: &Words,
    (site, object): (u32, u32),
    shared: bool,
    try_: impl FnOnce() -> bool,
    wait: impl FnOnce() -> bool,
) -> Option<u32> {
    let Some(l) = local() else {
        // Relaxed: a tally read when the profile is written.
        UNRECORDED.fetch_add(1, Ordering::Relaxed);
        return (try_() || wait()).then_some(0);
    };
    let rec = l.mine();
    let r = rec.site(site - 1);
    let mut seen = Seen {
        site,
        ..Seen::default()
    };
    let mut began = 0;
    if !try_() {
        began = now();
        // Relaxed (both): a count of waiters for the figures; it publishes nothing.
        words.waiting.0.fetch_add(1, Ordering::Relaxed);
        let got = wait();
        let left = words.waiting.0.fetch_sub(1, Ordering::Relaxed);
        if !got {
            bump(&r.refused, 1);
            return None;
        }
        seen.waited = now().saturating_sub(began) + 1;
        seen.waiters = u32::try_from(left.saturating_sub(1)).unwrap_or(u32::MAX);
    }
    bump(&r.acquisitions, 1);
    bump(&r.shared, u64::from(shared));
    // Relaxed (both): the last holder is read and written by holders only, under the lock,
    // which orders them (readers of a shared lock may race: then a hand-off among readers is
    // counted loosely).
    let last = words.holder.0.load(Ordering::Relaxed);
    let handed = last != rec.number && last != 0;
    if last != rec.number {
        words.holder.0.store(rec.number, Ordering::Relaxed);
        bump(&r.handoffs, u64::from(handed));
    }
    let (gap_site, gap_from) = l.gap.get();
    let ends_gap = gap_site == site;
    let (think_site, think_from) = l.think.get();
    let sampled = l.tick();
    if !sampled && !ends_gap && think_site == 0 && seen.waited == 0 {
        return Some(0);
    }
    let read = if seen.waited != 0 {
        began + seen.waited - 1
    } else {
        now()
    };
    // A gap and a think end where the thread asked for the lock.
    let asked = if seen.waited != 0 { began } else { read };
    if ends_gap {
        l.gap.set((0, 0));
        seen.gap = asked.saturating_sub(gap_from) + 1;
    }
    if think_site != 0 {
        l.think.set((0, 0));
        seen.think = (asked.saturating_sub(think_from) + 1, think_site);
    }
    if sampled {
        seen.hold_from = read;
        seen.object = object.saturating_add(1);
        seen.shared = shared;
        seen.handed = handed;
    }
    // SAFETY: `open` is touched only by this thread, and not re-entered (nothing here takes
    // a probe lock).
    let open = unsafe { &mut *l.open.get() };
    open.push(seen);
    let slot = u32::try_from(open.len()).unwrap_or(0) & !SAMPLED;
    Some(if sampled { slot | SAMPLED } else { slot })
}

/// After the release: the acquisition in `slot`, into the thread's record. `released` is
/// the clock read just before the release, when the hold was sampled.
pub(crate) fn released(slot: u32, released: u64) {
    let recorded = LOCAL.try_with(|l| {
        // SAFETY: as in `taken`.
        let open = unsafe { &mut *l.open.get() };
        let i = (slot & !SAMPLED) as usize;
        let Some(seen) = i.checked_sub(1).and_then(|i| open.get_mut(i)) else {
            return;
        };
        let seen = std::mem::take(seen);
        // Released in any order: the table shrinks past the free slots at its end.
        while open.last().is_some_and(|s| s.site == 0) {
            open.pop();
        }
        if seen.site == 0 {
            return;
        }
        let (think, think_site) = seen.think;
        if think != 0 {
            l.mine().site(think_site - 1).think.record_n(think - 1, 1);
        }
        let r = l.mine().site(seen.site - 1);
        if seen.waited != 0 {
            bump(&r.contended, 1);
            r.wait.record_n(seen.waited - 1, 1);
            bump(&r.waiters_sum, u64::from(seen.waiters));
            raise(&r.waiters_max, u64::from(seen.waiters));
        }
        if seen.gap != 0 {
            r.gap.record_n(seen.gap - 1, 1);
        }
        if seen.hold_from != 0 && released != 0 {
            let hold = released.saturating_sub(seen.hold_from);
            r.hold.record_n(hold, 1);
            if seen.handed {
                r.hold_handed.record_n(hold, 1);
            }
            // Relaxed: owner-written, as in `bump`.
            if seen.hold_from < r.first.load(Ordering::Relaxed) {
                r.first.store(seen.hold_from, Ordering::Relaxed);
            }
            raise(&r.last, released);
            r.sampled_object(seen.object.saturating_sub(1), seen.shared);
            // The gap and the think after it start here, where the program goes on: the
            // probe's own bookkeeping above, which only a sampled acquisition does, is no part
            // of the program's work between two acquisitions.
            let resumed = now();
            l.gap.set((seen.site, resumed));
            l.think.set((seen.site, resumed));
        }
    });
    if recorded.is_err() {
        // Relaxed: as above.
        UNRECORDED.fetch_add(1, Ordering::Relaxed);
    }
}

/// A `try_lock` of `site` that was refused.
pub(crate) fn refused(site: u32) {
    let recorded = LOCAL.try_with(|l| bump(&l.mine().site(site).refused, 1));
    if recorded.is_err() {
        // Relaxed: as above.
        UNRECORDED.fetch_add(1, Ordering::Relaxed);
    }
}
