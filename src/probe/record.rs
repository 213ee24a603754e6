//! What the probe records: per thread, per lock, in the thread's own record, merged only when a
//! profile is written. An acquisition writes nothing shared beyond the lock's own words: its
//! figures go to the thread's record, behind a mutex that only that thread takes (and the
//! writer of a profile, once).

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use hdrhistogram::Histogram;

use crate::measure::clock::Clock;
use crate::measure::recorder::{MAX_TRACKED_NS, encode_histogram};
use crate::model::{Distribution, LockKind, LockProfile};

/// The probe's clock (quanta's, calibrated once).
pub(crate) fn clock() -> &'static Clock {
    static CLOCK: OnceLock<Clock> = OnceLock::new();
    CLOCK.get_or_init(Clock::new)
}

/// One lock of the program as the profile names it (every object made with that name).
struct Site {
    label: String,
    named: bool,
    kind: LockKind,
    backend: String,
    instances: u64,
}

#[derive(Default)]
struct Sites {
    all: Vec<Site>,
    index: HashMap<(String, LockKind), u32>,
}

fn sites() -> &'static parking_lot::Mutex<Sites> {
    static SITES: OnceLock<parking_lot::Mutex<Sites>> = OnceLock::new();
    SITES.get_or_init(Default::default)
}

/// The number of the site `label` names, counting one more object of it (called once per
/// lock object, at its first use).
pub(crate) fn site_for(label: String, named: bool, kind: LockKind, backend: &str) -> u32 {
    let mut s = sites().lock();
    let key = (label, kind);
    if let Some(&i) = s.index.get(&key) {
        s.all[i as usize].instances += 1;
        return i;
    }
    let i = u32::try_from(s.all.len()).expect("fewer than 2^32 lock sites");
    s.all.push(Site {
        label: key.0.clone(),
        named,
        kind,
        backend: backend.to_string(),
        instances: 1,
    });
    s.index.insert(key, i);
    i
}

/// One acquisition, as the lock saw it; recorded at its release.
#[derive(Clone, Copy)]
pub(crate) struct Acquired {
    /// Clock reading when the acquire began.
    pub(crate) began: u64,
    /// Clock reading when it had the lock.
    pub(crate) got: u64,
    pub(crate) contended: bool,
    pub(crate) handoff: bool,
    pub(crate) shared: bool,
    /// Waiters still waiting when it got the lock.
    pub(crate) waiters: u64,
}

fn histogram() -> Histogram<u64> {
    // Two significant figures, resized as larger values come (a few KiB per lock and thread
    // for the usual range, not the 37 KiB a histogram sized for an hour takes at once).
    Histogram::new(2).expect("2 significant figures are valid")
}

/// Records `ns` (clamped to an hour), growing the histogram if it must: `saturating_record`
/// would clamp to the histogram's present size instead, and an auto-resizing one starts tiny.
#[inline]
fn put(h: &mut Histogram<u64>, ns: u64) {
    // Growing cannot fail below the hour's bound; if it did, the value is dropped, not clamped.
    let _ = h.record(ns.min(MAX_TRACKED_NS));
}

/// One thread's figures for one site.
struct SiteRec {
    acquisitions: u64,
    shared: u64,
    contended: u64,
    refused: u64,
    handoffs: u64,
    waiters_sum: u64,
    waiters_max: u64,
    wait: Histogram<u64>,
    hold: Histogram<u64>,
    gap: Histogram<u64>,
    last_release: Option<u64>,
    first: u64,
    last: u64,
}

impl SiteRec {
    fn new() -> SiteRec {
        SiteRec {
            acquisitions: 0,
            shared: 0,
            contended: 0,
            refused: 0,
            handoffs: 0,
            waiters_sum: 0,
            waiters_max: 0,
            wait: histogram(),
            hold: histogram(),
            gap: histogram(),
            last_release: None,
            first: u64::MAX,
            last: 0,
        }
    }
}

#[derive(Default)]
struct ThreadRec {
    sites: Vec<Option<SiteRec>>,
}

impl ThreadRec {
    fn site(&mut self, site: u32) -> &mut SiteRec {
        let i = site as usize;
        if self.sites.len() <= i {
            self.sites.resize_with(i + 1, || None);
        }
        self.sites[i].get_or_insert_with(SiteRec::new)
    }
}

type Shared = Arc<parking_lot::Mutex<ThreadRec>>;

fn threads() -> &'static parking_lot::Mutex<Vec<Shared>> {
    static THREADS: OnceLock<parking_lot::Mutex<Vec<Shared>>> = OnceLock::new();
    THREADS.get_or_init(Default::default)
}

thread_local! {
    static MINE: (u64, Shared) = {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        // Relaxed: a unique number is all that is needed.
        let number = NEXT.fetch_add(1, Ordering::Relaxed);
        let rec = Shared::default();
        threads().lock().push(rec.clone());
        (number, rec)
    };
    static NUMBER: Cell<u64> = const { Cell::new(0) };
}

/// This thread's number (never 0), for the hand-off count.
#[inline]
pub(crate) fn thread_number() -> u64 {
    NUMBER
        .try_with(|n| {
            if n.get() == 0 {
                n.set(MINE.try_with(|m| m.0).unwrap_or(u64::MAX));
            }
            n.get()
        })
        .unwrap_or(u64::MAX)
}

/// Acquisitions that could not be recorded (a lock taken while its thread was being torn down,
/// after its record was gone).
static UNRECORDED: AtomicU64 = AtomicU64::new(0);

fn with_mine(f: impl FnOnce(&mut ThreadRec)) {
    if MINE.try_with(|m| f(&mut m.1.lock())).is_err() {
        // Relaxed: a tally read when the profile is written.
        UNRECORDED.fetch_add(1, Ordering::Relaxed);
    }
}

/// Records an acquisition of `site`, released at clock reading `released`.
#[inline]
pub(crate) fn released(site: u32, a: &Acquired, released: u64) {
    let clock = clock();
    let wait = if a.contended {
        clock.delta_ns(a.began, a.got)
    } else {
        0
    };
    let hold = clock.delta_ns(a.got, released);
    with_mine(|rec| {
        let r = rec.site(site);
        r.acquisitions += 1;
        r.shared += u64::from(a.shared);
        r.contended += u64::from(a.contended);
        r.handoffs += u64::from(a.handoff);
        r.waiters_sum += a.waiters;
        r.waiters_max = r.waiters_max.max(a.waiters);
        put(&mut r.wait, wait);
        put(&mut r.hold, hold);
        if let Some(last) = r.last_release {
            put(&mut r.gap, clock.delta_ns(last, a.began));
        }
        r.last_release = Some(released);
        r.first = r.first.min(a.began);
        r.last = r.last.max(released);
    });
}

/// Records a `try_lock` of `site` that was refused.
pub(crate) fn refused(site: u32) {
    with_mine(|rec| rec.site(site).refused += 1);
}

fn distribution(h: &Histogram<u64>) -> Distribution {
    if h.is_empty() {
        return Distribution::default();
    }
    Distribution {
        samples: h.len(),
        total_ns: (h.mean() * h.len() as f64) as u64,
        mean_ns: h.mean(),
        p50_ns: h.value_at_quantile(0.5),
        p99_ns: h.value_at_quantile(0.99),
        max_ns: h.max(),
        histogram: encode_histogram(h),
    }
}

/// Every lock's figures over every thread, hottest first (most time waited), the number of
/// threads that took a probe lock, and the acquisitions that could not be recorded.
pub(crate) fn merged() -> (Vec<LockProfile>, usize, u64) {
    let recs: Vec<Shared> = threads().lock().clone();
    let sites = sites().lock();
    let clock = clock();
    let mut out = Vec::new();
    let mut active_threads = 0;
    let mut totals: Vec<Option<(SiteRec, Vec<u64>)>> = (0..sites.all.len()).map(|_| None).collect();
    for rec in &recs {
        let rec = rec.lock();
        if rec.sites.iter().any(Option::is_some) {
            active_threads += 1;
        }
        for (i, r) in rec.sites.iter().enumerate() {
            let (Some(r), Some(slot)) = (r, totals.get_mut(i)) else {
                continue;
            };
            let (t, users) = slot.get_or_insert_with(|| (SiteRec::new(), Vec::new()));
            users.push(r.acquisitions);
            t.acquisitions += r.acquisitions;
            t.shared += r.shared;
            t.contended += r.contended;
            t.refused += r.refused;
            t.handoffs += r.handoffs;
            t.waiters_sum += r.waiters_sum;
            t.waiters_max = t.waiters_max.max(r.waiters_max);
            // Auto-resizing histograms of the same precision: adding cannot fail.
            let _ = t.wait.add(&r.wait);
            let _ = t.hold.add(&r.hold);
            let _ = t.gap.add(&r.gap);
            t.first = t.first.min(r.first);
            t.last = t.last.max(r.last);
        }
    }
    for (site, total) in sites.all.iter().zip(totals) {
        let (t, mut users) = total.unwrap_or_else(|| (SiteRec::new(), Vec::new()));
        users.sort_unstable_by(|a, b| b.cmp(a));
        out.push(LockProfile {
            name: site.label.clone(),
            named: site.named,
            kind: site.kind,
            backend: site.backend.clone(),
            instances: site.instances,
            threads: users.len(),
            thread_acquisitions: users,
            acquisitions: t.acquisitions,
            shared_acquisitions: t.shared,
            contended: t.contended,
            refused_tries: t.refused,
            handoffs: t.handoffs,
            waiters_mean: t.waiters_sum as f64 / t.acquisitions.max(1) as f64,
            waiters_max: t.waiters_max,
            wait: distribution(&t.wait),
            hold: distribution(&t.hold),
            gap: distribution(&t.gap),
            active_ns: if t.last > t.first {
                clock.delta_ns(t.first, t.last)
            } else {
                0
            },
        });
    }
    out.sort_by(|a, b| {
        b.wait
            .total_ns
            .cmp(&a.wait.total_ns)
            .then(b.acquisitions.cmp(&a.acquisitions))
    });
    // Relaxed: a tally; the writer reads it once.
    (out, active_threads, UNRECORDED.load(Ordering::Relaxed))
}
