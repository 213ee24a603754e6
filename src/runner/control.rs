//! The run's control word: how workers start together, how the contended interval opens and
//! closes, and how the supervisor stops them. It lives in the shared region (on the heap for
//! threads, in the shared mapping for processes), and is built from the atomics of
//! `crate::sync`, so that `tests/loom.rs` model-checks this very protocol.
//!
//! The contended interval: throughput and fairness count only the window in which every worker
//! is taking part, so that neither a worker that ran alone before the others were scheduled nor
//! early finishers flatter the figures. It opens when the last worker completes its first chunk
//! of [`CHUNK`] operations and closes when the first worker finishes its quota (or the
//! supervisor stops the run). Workers look at the control word after every chunk and note how
//! many operations they had done when they saw the window open and close; the figures use the
//! difference. On an oversubscribed machine a worker may finish before another has even
//! started: then there is no such window, and the result says so and falls back to the whole
//! run.
//!
//! With a warm-up (`--warmup`), the window opens no earlier than the warm-up's end: at the
//! supervisor's [`Control::end_warmup`] if every worker has started by then, else when the last
//! one does. A timed run (`--duration`) is closed by the supervisor's stop.
//!
//! The control word packs the count of workers past their first chunk (low 32 bits) with the
//! window-closed, stop and warming flags, so one atomic operation orders "all started" against
//! "warm-up over" and "first finished", and a worker reads them all with one load per chunk.

use crate::sync::{AtomicU64, AtomicUsize, Ordering, spin_loop, yield_now};

/// Operations between two looks at the control word (and two progress updates).
pub const CHUNK: u64 = 32;

// The analysis counts a window only if it spans 100 of these chunks per worker.
const _: () = assert!(crate::analysis::MIN_WINDOW_OPS_PER_WORKER == 100 * CHUNK);

/// Control word: workers past their first chunk.
const STARTED_MASK: u64 = u32::MAX as u64;
/// Control word: the contended interval has closed.
const WINDOW_CLOSED: u64 = 1 << 32;
/// Control word: stop now (time limit, or a worker died).
const STOP: u64 = 1 << 33;
/// Control word: the warm-up is still on; the window may not open yet.
const WARMING: u64 = 1 << 34;

/// The control word and the ends of the contended interval, in clock ticks.
#[repr(C)]
pub struct Control {
    /// Workers past their first chunk (low 32 bits), window-closed and stop flags.
    state: AtomicU64,
    /// Clock ticks when the contended interval opened (0: it did not).
    window_start_ticks: AtomicU64,
    /// Clock ticks when it closed.
    window_end_ticks: AtomicU64,
    /// Workers past the start gate.
    ready: AtomicUsize,
}

/// A reading of the control word, as a worker sees it after a chunk.
#[derive(Clone, Copy, Debug)]
pub struct State(u64);

impl State {
    /// Every one of `workers` workers has completed its first chunk.
    pub fn all_started(self, workers: u64) -> bool {
        self.0 & STARTED_MASK == workers
    }

    /// The contended interval is open or has been: every worker has started and the warm-up
    /// is over.
    pub fn measuring(self, workers: u64) -> bool {
        self.all_started(workers) && self.0 & WARMING == 0
    }

    /// The contended interval has closed.
    pub fn window_closed(self) -> bool {
        self.0 & WINDOW_CLOSED != 0
    }

    /// For the reading [`Control::count_started`] returned: whether that call opened the window.
    pub fn opened_window(self, workers: u64) -> bool {
        self.0 & (WINDOW_CLOSED | WARMING) == 0 && self.all_started(workers)
    }

    /// Workers must stop now.
    pub fn stop(self) -> bool {
        self.0 & STOP != 0
    }
}

// Every access below is Relaxed: the control word is polled by workers, and its single
// modification order is all that matters (which came first: all started, first finished,
// stop). The window's timestamps are read only after the workers are joined or reaped, which
// orders them. The callers read the start before the count and the end after the closing
// operation (an ordered reading on x86, which waits for it to complete); the clock itself is
// not ordered with these Relaxed operations across cores, so ends that come out reversed by a
// few cycles are possible in principle, and the analysis treats such a window as none.
impl Control {
    /// A fresh control word (the shared region starts zeroed, which is the same).
    pub fn new() -> Control {
        Control {
            state: AtomicU64::new(0),
            window_start_ticks: AtomicU64::new(0),
            window_end_ticks: AtomicU64::new(0),
            ready: AtomicUsize::new(0),
        }
    }

    /// The second half of the start, for a worker past the gate: the gate wakes workers one by
    /// one, and on an oversubscribed machine the first awake could finish its whole quota before
    /// the last is scheduled. So each worker, once awake, waits (spinning briefly, then
    /// yielding) until all `workers` are awake; then all start together, as runnable threads.
    /// A stop ends the wait too: a worker process that died before arriving must not keep the
    /// others here; they then run one chunk, see the stop, and end.
    pub fn all_running(&self, workers: usize) {
        self.arrive();
        let mut spins = 0u32;
        while !self.all_arrived(workers) {
            if spins < 64 {
                spins += 1;
                spin_loop();
            } else {
                yield_now();
            }
        }
    }

    /// One worker is awake past the gate (the first half of [`Control::all_running`], which a
    /// task, that must not block its thread, makes in two).
    pub fn arrive(&self) {
        // Relaxed: a counter of arrivals; the gate already ordered everything workers read.
        self.ready.fetch_add(1, Ordering::Relaxed);
    }

    /// Whether all `workers` have arrived, or the run is stopped (the second half).
    pub fn all_arrived(&self, workers: usize) -> bool {
        // Relaxed: as in `arrive`; the stop is polled as after every chunk.
        self.ready.load(Ordering::Relaxed) >= workers
            || self.state.load(Ordering::Relaxed) & STOP != 0
    }

    /// Before the start: a warm-up comes first, and the window opens only at its end
    /// ([`Control::end_warmup`]).
    pub fn begin_warmup(&self) {
        self.state.fetch_or(WARMING, Ordering::Relaxed);
    }

    /// The supervisor, at the end of the warm-up read at `now`: lets the window open, and opens
    /// it if every one of `workers` workers has started (else the last to start will). Says
    /// whether this call opened it.
    pub fn end_warmup(&self, workers: u64, now: u64) -> bool {
        let before = self.state.fetch_and(!WARMING, Ordering::Relaxed);
        let opens =
            before & (WARMING | WINDOW_CLOSED) == WARMING && before & STARTED_MASK == workers;
        if opens {
            self.window_start_ticks.store(now, Ordering::Relaxed);
        }
        opens
    }

    /// A worker has completed its first chunk: counts it, and opens the window if it is the
    /// last of `workers` to do so before the window closed, and the warm-up is over. `now` was
    /// read before this call, so that the window's start is never later than a close that
    /// follows in the word's order.
    #[inline]
    pub fn count_started(&self, workers: u64, now: u64) -> State {
        let before = self.state.fetch_add(1, Ordering::Relaxed);
        if before & (WINDOW_CLOSED | WARMING) == 0 && (before & STARTED_MASK) + 1 == workers {
            self.window_start_ticks.store(now, Ordering::Relaxed);
        }
        State(before + 1)
    }

    /// The control word now (a worker's look after a chunk).
    #[inline]
    pub fn state(&self) -> State {
        State(self.state.load(Ordering::Relaxed))
    }

    /// A worker completed its quota: the first to do so closes the window, at `now()`. Says
    /// whether this call closed it.
    #[inline]
    pub fn close_window(&self, now: impl FnOnce() -> u64) -> bool {
        let before = self.state.fetch_or(WINDOW_CLOSED, Ordering::Relaxed);
        let closes = before & WINDOW_CLOSED == 0;
        if closes {
            self.window_end_ticks.store(now(), Ordering::Relaxed);
        }
        closes
    }

    /// The supervisor: closes the window (if still open, at `now()`) and tells every worker to
    /// stop. Says whether this call closed the window.
    pub fn request_stop(&self, now: impl FnOnce() -> u64) -> bool {
        let before = self.state.fetch_or(STOP | WINDOW_CLOSED, Ordering::Relaxed);
        let closes = before & WINDOW_CLOSED == 0;
        if closes {
            self.window_end_ticks.store(now(), Ordering::Relaxed);
        }
        closes
    }

    /// After every worker has ended: when the window opened (`None`: it did not, before it
    /// closed) and when it closed.
    pub fn window(&self) -> (Option<u64>, u64) {
        let start = self.window_start_ticks.load(Ordering::Relaxed);
        (
            (start != 0).then_some(start),
            self.window_end_ticks.load(Ordering::Relaxed),
        )
    }
}

impl Default for Control {
    fn default() -> Self {
        Self::new()
    }
}
