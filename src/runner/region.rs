//! The memory every worker shares: the lock, the data it protects, the control word and one
//! progress counter per worker, each on its own cache line. One `#[repr(C)]` layout serves both
//! modes: on the heap for threads, in a `memfd` mapping for processes, where every process must
//! agree on the layout: hence `repr(C)` throughout, and a padding type of our own whose size and
//! alignment are stated here rather than chosen per target by a dependency.

use std::alloc::{self, Layout};
use std::ptr::{self, NonNull, addr_of, addr_of_mut};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

pub use super::control::Control;
use crate::locks::Backend;

/// A value alone on its cache line (128 bytes: two lines, for the adjacent-line prefetcher).
#[repr(C, align(128))]
pub struct Line<T>(pub T);

/// The data the workload updates inside the critical section. Both fields are touched by every
/// critical section, so they share one line.
#[repr(C)]
pub struct SharedData {
    /// The shared value (the counter; for the bank, deposits and withdrawals in its two halves).
    pub counter: AtomicU64,
    /// Who is inside the critical section: a worker's index while it is inside; when nobody
    /// is, [`FREE`] with the index of the last holder (for hand-offs). The exclusion check.
    pub holder: AtomicU64,
}

/// The process start gate: children check in, then wait for the parent's word.
#[repr(C)]
pub struct Gate {
    /// Children that have mapped the region and pinned themselves.
    pub arrived: AtomicU32,
    /// 0: wait; [`GO`]: run; [`ABORT`]: leave without running.
    pub signal: AtomicU32,
}

/// Gate signal: start.
pub const GO: u32 = 1;
/// Gate signal: leave.
pub const ABORT: u32 = 2;
/// The holder word's flag: nobody is inside the critical section.
pub const FREE: u64 = 1 << 63;
/// The holder word before anyone held the lock: free, and no last holder.
pub const NO_HOLDER: u64 = u64::MAX;

/// The region's fixed part; `workers` progress lines follow it.
#[repr(C)]
pub struct Region<B> {
    gate: Line<Gate>,
    lock: Line<B>,
    data: Line<SharedData>,
    control: Line<Control>,
    progress: [Line<AtomicU64>; 0],
}

/// References into a live region: what the hot loop works on.
pub struct RegionView<'a, B> {
    /// The start gate (processes).
    pub gate: &'a Gate,
    /// The lock.
    pub lock: &'a B,
    /// The protected data.
    pub data: &'a SharedData,
    /// The control word.
    pub control: &'a Control,
    /// One progress counter per worker.
    pub progress: &'a [Line<AtomicU64>],
}

impl<B: Backend> Region<B> {
    /// The layout of a region for `workers` workers.
    pub fn layout(workers: usize) -> Layout {
        let fixed = Layout::new::<Region<B>>();
        let lines = Layout::array::<Line<AtomicU64>>(workers).expect("worker count is bounded");
        fixed
            .extend(lines)
            .expect("a region is far below isize::MAX")
            .0
            .pad_to_align()
    }

    /// Makes a region in zeroed memory at `at`: the lock initialised in place, the value set.
    ///
    /// # Safety
    /// `at` points to `Region::<B>::layout(workers).size()` writable, zeroed bytes, aligned to
    /// it, that stay in place for as long as the region is used.
    pub unsafe fn init(at: NonNull<u8>, initial: u64) {
        let region = at.as_ptr().cast::<Region<B>>();
        // SAFETY: the caller gives us the memory; zeroed bytes are valid atomics (the gate,
        // control and progress counters start at zero); the lock is initialised in place by
        // its own `init_at`, and the two data fields are set before anyone reads them.
        unsafe {
            B::init_at(addr_of_mut!((*region).lock.0));
            let data = &(*region).data.0;
            // Relaxed: nothing else runs yet; thread spawn or process exec publishes them.
            data.counter.store(initial, Ordering::Relaxed);
            data.holder.store(NO_HOLDER, Ordering::Relaxed);
        }
    }

    /// References into the region at `at`.
    ///
    /// # Safety
    /// `at` holds a region made by [`Region::init`] for `workers` workers, alive for `'a`.
    pub unsafe fn view<'a>(at: NonNull<u8>, workers: usize) -> RegionView<'a, B> {
        let region = at.as_ptr().cast::<Region<B>>().cast_const();
        // SAFETY: per the contract the region is initialised and outlives 'a; every field is
        // only accessed through shared references to atomics or to the `Sync` lock; the
        // progress lines follow the fixed part, as `layout` placed them.
        unsafe {
            RegionView {
                gate: &(*region).gate.0,
                lock: &(*region).lock.0,
                data: &(*region).data.0,
                control: &(*region).control.0,
                progress: std::slice::from_raw_parts(
                    addr_of!((*region).progress).cast::<Line<AtomicU64>>(),
                    workers,
                ),
            }
        }
    }
}

/// A region on the heap, for threads.
pub struct HeapRegion<B: Backend> {
    at: NonNull<u8>,
    workers: usize,
    _lock: std::marker::PhantomData<B>,
}

// SAFETY: the region holds only atomics and a `Sync` lock, all shared by reference; the pointer
// is owned by this value and freed once, in Drop.
unsafe impl<B: Backend> Send for HeapRegion<B> {}
// SAFETY: as above.
unsafe impl<B: Backend> Sync for HeapRegion<B> {}

impl<B: Backend> HeapRegion<B> {
    /// A zeroed, initialised region for `workers` workers.
    pub fn new(workers: usize, initial: u64) -> Self {
        let layout = Region::<B>::layout(workers);
        // SAFETY: the layout has a non-zero size (the fixed part is several lines).
        let raw = unsafe { alloc::alloc_zeroed(layout) };
        let at = NonNull::new(raw).unwrap_or_else(|| alloc::handle_alloc_error(layout));
        // SAFETY: freshly allocated, zeroed, aligned to the layout, freed only in Drop.
        unsafe { Region::<B>::init(at, initial) };
        HeapRegion {
            at,
            workers,
            _lock: std::marker::PhantomData,
        }
    }

    /// References into it.
    pub fn view(&self) -> RegionView<'_, B> {
        // SAFETY: made by `Region::init` in `new`, alive as long as `self`.
        unsafe { Region::<B>::view(self.at, self.workers) }
    }
}

impl<B: Backend> Drop for HeapRegion<B> {
    fn drop(&mut self) {
        // SAFETY: the lock was initialised in `new`; `&mut self` means no view is alive. Then the
        // memory goes back with the layout it was allocated with.
        unsafe {
            ptr::drop_in_place(addr_of_mut!((*self.at.as_ptr().cast::<Region<B>>()).lock.0));
            alloc::dealloc(self.at.as_ptr(), Region::<B>::layout(self.workers));
        }
    }
}
