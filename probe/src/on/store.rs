//! Where the probe keeps what it records: each thread's record of the sites it took (counters
//! and histograms only it stores to, read by the profile's writer at any time), and the
//! registry of the live threads' records and the ended threads' figures.

use std::collections::HashMap;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

use super::hist::{Hist, bump, raise};

/// A thread's sites in chunks of this many, this many chunks (the sites' bound).
const CHUNK: usize = 64;
const CHUNKS: usize = super::sites::MAX_SITES / CHUNK;

/// One thread's figures for one site.
pub(crate) struct SiteRec {
    pub(crate) acquisitions: AtomicU64,
    pub(crate) shared: AtomicU64,
    pub(crate) contended: AtomicU64,
    pub(crate) refused: AtomicU64,
    pub(crate) handoffs: AtomicU64,
    pub(crate) waiters_sum: AtomicU64,
    pub(crate) waiters_max: AtomicU64,
    pub(crate) first: AtomicU64,
    pub(crate) last: AtomicU64,
    pub(crate) wait: Hist,
    pub(crate) hold: Hist,
    /// The sampled holds of acquisitions that were hand-offs (another thread held it last).
    pub(crate) hold_handed: Hist,
    pub(crate) gap: Hist,
    /// From a sampled release of this site to the thread's next acquisition of any lock.
    pub(crate) think: Hist,
    /// The sampled acquisitions per object of the site: (all, shared), by object number.
    /// Only the owner adds to it (on a sampled acquisition); the profile's writer reads it.
    pub(crate) objects: parking_lot::Mutex<HashMap<u32, (u64, u64)>>,
}

impl SiteRec {
    pub(crate) fn new() -> SiteRec {
        SiteRec {
            acquisitions: AtomicU64::new(0),
            shared: AtomicU64::new(0),
            contended: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            handoffs: AtomicU64::new(0),
            waiters_sum: AtomicU64::new(0),
            waiters_max: AtomicU64::new(0),
            first: AtomicU64::new(u64::MAX),
            last: AtomicU64::new(0),
            wait: Hist::new(),
            hold: Hist::new(),
            hold_handed: Hist::new(),
            gap: Hist::new(),
            think: Hist::new(),
            objects: parking_lot::Mutex::new(HashMap::new()),
        }
    }

    /// One more sampled acquisition of object `object` (shared when `shared`).
    pub(crate) fn sampled_object(&self, object: u32, shared: bool) {
        let mut objects = self.objects.lock();
        let n = objects.entry(object).or_default();
        n.0 += 1;
        n.1 += u64::from(shared);
    }

    /// The sampled acquisitions per object, as (object, all, shared).
    pub(crate) fn object_samples(&self) -> Vec<(u32, u64, u64)> {
        let objects = self.objects.lock();
        objects.iter().map(|(&o, &(n, r))| (o, n, r)).collect()
    }

    /// Adds `other`'s figures to these (serialised by the caller), all but its objects (a
    /// thread's use of objects is kept per thread: [`ThreadUse`]).
    pub(crate) fn merge(&self, other: &SiteRec) {
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        bump(&self.acquisitions, load(&other.acquisitions));
        bump(&self.shared, load(&other.shared));
        bump(&self.contended, load(&other.contended));
        bump(&self.refused, load(&other.refused));
        bump(&self.handoffs, load(&other.handoffs));
        bump(&self.waiters_sum, load(&other.waiters_sum));
        raise(&self.waiters_max, load(&other.waiters_max));
        if load(&other.first) < load(&self.first) {
            self.first.store(load(&other.first), Ordering::Relaxed);
        }
        raise(&self.last, load(&other.last));
        self.wait.merge(&other.wait);
        self.hold.merge(&other.hold);
        self.hold_handed.merge(&other.hold_handed);
        self.gap.merge(&other.gap);
        self.think.merge(&other.think);
    }
}

/// A thread's record: its number, and its figures per site (allocated at first use).
pub(crate) struct ThreadRec {
    pub(crate) number: u64,
    chunks: [AtomicPtr<[AtomicPtr<SiteRec>; CHUNK]>; CHUNKS],
}

impl ThreadRec {
    pub(crate) fn new(number: u64) -> ThreadRec {
        ThreadRec {
            number,
            chunks: std::array::from_fn(|_| AtomicPtr::new(std::ptr::null_mut())),
        }
    }

    /// This thread's figures for `site` (by the owning thread, or under the registry's lock).
    pub(crate) fn site(&self, site: u32) -> &SiteRec {
        let (c, i) = (site as usize / CHUNK, site as usize % CHUNK);
        // Acquire (both loads): pairs with the Release stores below, so a reader of the
        // pointer sees the allocation's initialised contents.
        let mut chunk = self.chunks[c].load(Ordering::Acquire);
        if chunk.is_null() {
            chunk = Box::into_raw(Box::new(std::array::from_fn(|_| {
                AtomicPtr::new(std::ptr::null_mut())
            })));
            // Release: publishes the initialised chunk (only the owner stores here).
            self.chunks[c].store(chunk, Ordering::Release);
        }
        // SAFETY: a non-null chunk pointer is a leaked Box, freed only in `Drop` (`&mut self`).
        let slot = unsafe { &(*chunk)[i] };
        let mut rec = slot.load(Ordering::Acquire);
        if rec.is_null() {
            rec = Box::into_raw(Box::new(SiteRec::new()));
            // Release: as above.
            slot.store(rec, Ordering::Release);
        }
        // SAFETY: as above: a leaked Box, alive until `Drop`.
        unsafe { &*rec }
    }

    /// Every site this thread has figures for.
    pub(crate) fn each(&self, mut f: impl FnMut(u32, &SiteRec)) {
        for (c, chunk) in self.chunks.iter().enumerate() {
            // Acquire: as in `site`.
            let chunk = chunk.load(Ordering::Acquire);
            if chunk.is_null() {
                continue;
            }
            // SAFETY: as in `site`.
            for (i, slot) in unsafe { &*chunk }.iter().enumerate() {
                let rec = slot.load(Ordering::Acquire);
                if !rec.is_null() {
                    // SAFETY: as in `site`.
                    f((c * CHUNK + i) as u32, unsafe { &*rec });
                }
            }
        }
    }
}

impl Drop for ThreadRec {
    fn drop(&mut self) {
        for chunk in &mut self.chunks {
            let chunk = *chunk.get_mut();
            if chunk.is_null() {
                continue;
            }
            // SAFETY: leaked Boxes of this record's, which no one else can reach (`&mut self`).
            let chunk = unsafe { Box::from_raw(chunk) };
            for slot in chunk.iter() {
                let rec = slot.load(Ordering::Relaxed);
                if !rec.is_null() {
                    // SAFETY: as above.
                    drop(unsafe { Box::from_raw(rec) });
                }
            }
        }
    }
}

/// Live threads' records, and the figures of threads that ended.
pub(crate) struct Registry {
    pub(crate) live: Vec<&'static ThreadRec>,
    pub(crate) retired: ThreadRec,
    /// Each ended thread's use of each site (the profile counts threads per lock, and says
    /// which thread used which object).
    pub(crate) retired_uses: Vec<Vec<ThreadUse>>,
}

/// One thread's use of one site: its acquisitions, and its sampled ones per object.
#[derive(Clone)]
pub(crate) struct ThreadUse {
    pub(crate) site: u32,
    pub(crate) acquisitions: u64,
    /// (object, sampled acquisitions, of which shared).
    pub(crate) objects: Vec<(u32, u64, u64)>,
}

impl ThreadUse {
    /// Thread `rec`'s use of each site it took.
    pub(crate) fn of(rec: &ThreadRec) -> Vec<ThreadUse> {
        let mut uses = Vec::new();
        rec.each(|site, r| {
            uses.push(ThreadUse {
                site,
                // Relaxed: a snapshot of a counter.
                acquisitions: r.acquisitions.load(Ordering::Relaxed),
                objects: r.object_samples(),
            });
        });
        uses
    }
}

pub(crate) fn registry() -> &'static parking_lot::Mutex<Registry> {
    static REGISTRY: OnceLock<parking_lot::Mutex<Registry>> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        parking_lot::Mutex::new(Registry {
            live: Vec::new(),
            retired: ThreadRec::new(0),
            retired_uses: Vec::new(),
        })
    })
}
