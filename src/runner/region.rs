//! The memory every worker shares: the control word, the locks (one, or `--locks` of them) each
//! with the data it protects, and one progress counter per worker, each on its own cache line. One `#[repr(C)]` layout serves both
//! modes: on the heap for threads, in a `memfd` mapping for processes, where every process must
//! agree on the layout: hence `repr(C)` throughout, and a padding type of our own whose size and
//! alignment are stated here rather than chosen per target by a dependency.

use std::alloc::{self, Layout};
use std::ptr::{self, NonNull, addr_of_mut};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

pub use super::control::Control;
use crate::locks::Backend;
use crate::workload::Fields;

/// A value alone on its cache line (128 bytes: two lines, for the adjacent-line prefetcher).
#[repr(C, align(128))]
pub struct Line<T>(pub T);

/// The data the workload updates inside the critical section. The value and the holder word are
/// touched by every critical section, so they share the first 64-byte cache line of the data's
/// 128 bytes; the rw workload's mirror of the value lies on the second, so that a reader reads
/// two cache lines that a writer updates one after the other.
#[repr(C)]
pub struct SharedData {
    /// The shared value (the counter; for the bank, deposits and withdrawals in its two halves).
    pub counter: AtomicU64,
    /// Who is inside the critical section: a worker's index while it is inside; when nobody
    /// is, [`FREE`] with the index of the last holder (for hand-offs). The exclusion check.
    pub holder: AtomicU64,
    /// When the last holder left, in clock ticks, written just before its release
    /// (`--wake-latency` only): where the next holder's hand-off latency starts.
    pub released_at: AtomicU64,
    _first_line: [u64; 5],
    /// The rw workload's second field, equal to `counter` when no write is under way.
    pub mirror: AtomicU64,
}

impl SharedData {
    /// The fields the workload's operations work on.
    #[inline(always)]
    pub fn fields(&self) -> Fields<'_> {
        Fields {
            value: &self.counter,
            mirror: &self.mirror,
        }
    }
}

/// What one worker publishes about itself, alone on its line (only it writes there; the
/// supervisor reads): its progress and, for the transfer workload, the deadlock watch's view
/// of it: which account's lock it holds, which it waits for, and how many transfers it has
/// completed. Accounts are numbered from 1 here; 0 is none.
#[repr(C)]
pub struct WorkerLine {
    /// Operations done (attempts, with `--timeout`), updated after every chunk.
    pub done: AtomicU64,
    /// The account whose lock it holds while it waits for a second (0: none).
    pub holds: AtomicU64,
    /// The account whose lock it waits for (0: none).
    pub waits: AtomicU64,
    /// Transfers completed, updated after every one.
    pub moves: AtomicU64,
    /// Transfers that gave up at a deadline (`--timeout`), updated at every one: a waiter that
    /// gives up and tries again changes its line, so the watch never takes it for stuck.
    pub gave_up: AtomicU64,
}

/// The process start gate: children check in, then wait for the parent's word.
#[repr(C)]
pub struct Gate {
    /// Children that have mapped the region and pinned themselves.
    pub arrived: AtomicU32,
    /// 0: wait; [`GO`]: run; [`ABORT`]: leave without running.
    pub signal: AtomicU32,
}

/// The most locks a run may have (`--locks`): a million slots of two lines each is 256 MB.
pub const MAX_LOCKS: u64 = 1_000_000;

/// Gate signal: start.
pub const GO: u32 = 1;
/// Gate signal: leave.
pub const ABORT: u32 = 2;
/// The holder word's flag: nobody is inside the critical section.
pub const FREE: u64 = 1 << 63;
/// The holder word before anyone held the lock: free, and no last holder.
pub const NO_HOLDER: u64 = u64::MAX;

/// One instance of the backend and the data it guards, each on its own lines. A run has
/// `--locks` of them, side by side.
#[repr(C)]
pub struct Slot<B> {
    /// The lock.
    pub lock: Line<B>,
    /// The data it protects.
    pub data: Line<SharedData>,
}

/// The region's fixed part; the slots follow it, then one progress line per worker.
#[repr(C)]
struct Header {
    gate: Line<Gate>,
    control: Line<Control>,
}

/// References into a live region: what the hot loop works on.
pub struct RegionView<'a, B> {
    /// The start gate (processes).
    pub gate: &'a Gate,
    /// The control word.
    pub control: &'a Control,
    /// The locks and their data (one unless `--locks` says more).
    pub slots: &'a [Slot<B>],
    /// One line per worker: its progress, and the deadlock watch's view of it.
    pub progress: &'a [Line<WorkerLine>],
}

/// The shared region of a run with backend `B`: a header, `locks` slots, `workers` progress
/// lines, laid out by [`Region::layout`].
pub struct Region<B>(std::marker::PhantomData<B>);

/// Where the parts of a region lie.
struct Parts {
    layout: Layout,
    slots: usize,
    progress: usize,
}

impl<B: Backend> Region<B> {
    fn parts(workers: usize, locks: usize) -> Parts {
        let header = Layout::new::<Header>();
        let slots = Layout::array::<Slot<B>>(locks).expect("the lock count is bounded");
        let lines = Layout::array::<Line<WorkerLine>>(workers).expect("worker count is bounded");
        let (with_slots, slots_at) = header
            .extend(slots)
            .expect("a region is far below isize::MAX");
        let (all, progress_at) = with_slots
            .extend(lines)
            .expect("a region is far below isize::MAX");
        Parts {
            layout: all.pad_to_align(),
            slots: slots_at,
            progress: progress_at,
        }
    }

    /// The layout of a region for `workers` workers and `locks` locks.
    pub fn layout(workers: usize, locks: usize) -> Layout {
        Self::parts(workers, locks).layout
    }

    /// Makes a region in zeroed memory at `at`: every lock initialised in place, every value
    /// set to `initial`.
    ///
    /// # Safety
    /// `at` points to `Region::<B>::layout(workers, locks).size()` writable, zeroed bytes,
    /// aligned to it, that stay in place for as long as the region is used.
    pub unsafe fn init(at: NonNull<u8>, workers: usize, locks: usize, initial: u64) {
        let slots = Self::slots_ptr(at, workers, locks);
        for i in 0..locks {
            // SAFETY: the caller gives us the memory; slot `i` lies within it, as `parts`
            // placed it. Zeroed bytes are valid atomics (the gate, control and worker lines
            // start at zero); each lock is initialised in place by its own `init_at`,
            // and the two data fields are set before anyone reads them.
            unsafe {
                let slot = slots.add(i);
                B::init_at(addr_of_mut!((*slot).lock.0));
                let data = &(*slot).data.0;
                // Relaxed: nothing else runs yet; thread spawn or process exec publishes them.
                data.counter.store(initial, Ordering::Relaxed);
                data.mirror.store(initial, Ordering::Relaxed);
                data.holder.store(NO_HOLDER, Ordering::Relaxed);
            }
        }
    }

    fn slots_ptr(at: NonNull<u8>, workers: usize, locks: usize) -> *mut Slot<B> {
        let offset = Self::parts(workers, locks).slots;
        at.as_ptr().wrapping_add(offset).cast::<Slot<B>>()
    }

    /// References into the region at `at`.
    ///
    /// # Safety
    /// `at` holds a region made by [`Region::init`] for `workers` workers and `locks` locks,
    /// alive for `'a`.
    pub unsafe fn view<'a>(at: NonNull<u8>, workers: usize, locks: usize) -> RegionView<'a, B> {
        let parts = Self::parts(workers, locks);
        let header = at.as_ptr().cast::<Header>().cast_const();
        // SAFETY: per the contract the region is initialised and outlives 'a; every field is
        // only accessed through shared references to atomics or to the `Sync` lock; the slots
        // and progress lines lie where `parts` placed them.
        unsafe {
            RegionView {
                gate: &(*header).gate.0,
                control: &(*header).control.0,
                slots: std::slice::from_raw_parts(
                    at.as_ptr().add(parts.slots).cast::<Slot<B>>(),
                    locks,
                ),
                progress: std::slice::from_raw_parts(
                    at.as_ptr().add(parts.progress).cast::<Line<WorkerLine>>(),
                    workers,
                ),
            }
        }
    }

    /// Drops every lock of the region at `at` in place.
    ///
    /// # Safety
    /// `at` holds a region made by [`Region::init`] for `workers` and `locks`, which nothing
    /// uses any more.
    unsafe fn drop_locks(at: NonNull<u8>, workers: usize, locks: usize) {
        let slots = Self::slots_ptr(at, workers, locks);
        for i in 0..locks {
            // SAFETY: per the contract, slot `i` holds a lock initialised by `init`, dropped once.
            unsafe { ptr::drop_in_place(addr_of_mut!((*slots.add(i)).lock.0)) };
        }
    }
}

/// A region on the heap, for threads.
pub struct HeapRegion<B: Backend> {
    at: NonNull<u8>,
    workers: usize,
    locks: usize,
    _lock: std::marker::PhantomData<B>,
}

// SAFETY: the region holds only atomics and a `Sync` lock, all shared by reference; the pointer
// is owned by this value and freed once, in Drop.
unsafe impl<B: Backend> Send for HeapRegion<B> {}
// SAFETY: as above.
unsafe impl<B: Backend> Sync for HeapRegion<B> {}

impl<B: Backend> HeapRegion<B> {
    /// A zeroed, initialised region for `workers` workers and `locks` locks.
    pub fn new(workers: usize, locks: usize, initial: u64) -> Self {
        let layout = Region::<B>::layout(workers, locks);
        // SAFETY: the layout has a non-zero size (the fixed part is several lines).
        let raw = unsafe { alloc::alloc_zeroed(layout) };
        let at = NonNull::new(raw).unwrap_or_else(|| alloc::handle_alloc_error(layout));
        // SAFETY: freshly allocated, zeroed, aligned to the layout, freed only in Drop.
        unsafe { Region::<B>::init(at, workers, locks, initial) };
        HeapRegion {
            at,
            workers,
            locks,
            _lock: std::marker::PhantomData,
        }
    }

    /// References into it.
    pub fn view(&self) -> RegionView<'_, B> {
        // SAFETY: made by `Region::init` in `new`, alive as long as `self`.
        unsafe { Region::<B>::view(self.at, self.workers, self.locks) }
    }
}

impl<B: Backend> Drop for HeapRegion<B> {
    fn drop(&mut self) {
        // SAFETY: the locks were initialised in `new`; `&mut self` means no view is alive.
        // Then the memory goes back with the layout it was allocated with.
        unsafe {
            Region::<B>::drop_locks(self.at, self.workers, self.locks);
            alloc::dealloc(
                self.at.as_ptr(),
                Region::<B>::layout(self.workers, self.locks),
            );
        }
    }
}
