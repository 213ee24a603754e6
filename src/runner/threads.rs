//! The thread runner: a start gate, the hot loop per backend, the stop rules, and the merge.
//!
//! Layout: the lock, the shared data and the control word each sit on their own cache line
//! (`CachePadded`), so that what is measured is the lock's traffic, not false sharing; each
//! worker's progress counter has its own line too.
//!
//! The contended interval: throughput and fairness count only the window in which every worker
//! is taking part, so that neither a worker that ran alone before the others were scheduled nor
//! early finishers flatter the figures. It opens when the last worker completes its first chunk
//! of [`CHUNK`] operations and closes when the first worker finishes its quota (or the time limit
//! strikes). Workers look at the control word after every chunk and note how many operations
//! they had done when they saw the window open and close; the figures use the difference. On an
//! oversubscribed machine a worker may finish before another has even started: then there is no
//! such window, and the result says so and falls back to the whole run.
//!
//! The control word packs the count of workers past their first chunk (low 32 bits) with the
//! window-closed and stop flags, so one atomic operation orders "all started" against "first
//! finished", and a worker reads both with one load per chunk.

use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use super::RunError;
use super::affinity::{self, Topology};
use super::region::{Control, HeapRegion, NO_HOLDER, View};
use crate::config::{LatencyMode, Mode, RunConfig};
use crate::locks::{self, Backend, BackendInfo, Kind, Visit};
use crate::measure::clock::Clock;
use crate::measure::recorder::Recorder;
use crate::workload::{Work, WorkCalibration};

/// Operations between two looks at the control word (and two progress updates).
pub const CHUNK: u64 = 32;
/// How long workers may go on after the time limit before the run is abandoned.
pub const STOP_GRACE: Duration = Duration::from_secs(10);
/// How often the main thread reports progress.
pub(crate) const TICK: Duration = Duration::from_millis(100);

/// Control word: workers past their first chunk.
const STARTED_MASK: u64 = u32::MAX as u64;
/// Control word: the contended interval has closed.
const WINDOW_CLOSED: u64 = 1 << 32;
/// Control word: stop now (time limit).
const STOP: u64 = 1 << 33;

/// What each worker needs to know, fixed before the start.
#[derive(Clone, Copy)]
pub(crate) struct Plan {
    pub cs_work: Work,
    pub think: Work,
    pub latency: LatencyMode,
}

/// A snapshot for progress display.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    /// Operations completed so far, all workers.
    pub done_ops: u64,
    /// Operations the run will do in all.
    pub total_ops: u64,
    /// Time since the start.
    pub elapsed: Duration,
}

/// One worker's raw outcome.
pub(crate) struct WorkerOutcome {
    pub requested_cpu: Option<usize>,
    pub pinned: bool,
    pub observed_cpu: Option<usize>,
    pub quota: u64,
    pub start_raw: u64,
    pub stop_raw: u64,
    pub rec: Recorder,
}

/// Everything the runner measured, before statistics.
pub(crate) struct RawRun {
    pub workers: Vec<WorkerOutcome>,
    pub counter: u64,
    /// When the contended interval opened, if it did before it closed.
    pub window_start_raw: Option<u64>,
    pub window_end_raw: u64,
    pub stopped_by_time_limit: bool,
    pub clock: Clock,
}

/// A gate all workers pass at once, after each has pinned itself; unlike `std::sync::Barrier`
/// it can be opened to let them leave without running, if a later thread fails to start.
struct StartGate {
    state: Mutex<(usize, Option<bool>)>,
    cv: Condvar,
}

impl StartGate {
    fn new() -> Self {
        StartGate {
            state: Mutex::new((0, None)),
            cv: Condvar::new(),
        }
    }

    /// Announces this worker and waits for the gate; `true` means run.
    fn arrive(&self) -> bool {
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        s.0 += 1;
        self.cv.notify_all();
        loop {
            if let Some(go) = s.1 {
                return go;
            }
            s = self.cv.wait(s).unwrap_or_else(PoisonError::into_inner);
        }
    }

    fn wait_for(&self, workers: usize) {
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        while s.0 < workers {
            s = self.cv.wait(s).unwrap_or_else(PoisonError::into_inner);
        }
    }

    fn open(&self, go: bool) {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).1 = Some(go);
        self.cv.notify_all();
    }
}

/// Runs `cfg` and returns what was measured. `on_progress` is called about every 100 ms.
pub fn run(
    cfg: &RunConfig,
    topology: &Topology,
    calibration: Option<WorkCalibration>,
    on_progress: &mut dyn FnMut(&Progress),
) -> Result<crate::results::RunResult, RunError> {
    let clock = Clock::new();
    let plan = Plan {
        cs_work: calibration.map_or(Work::NONE, |c| {
            c.work_for(Duration::from_nanos(cfg.cs_work_ns))
        }),
        think: calibration.map_or(Work::NONE, |c| {
            c.work_for(Duration::from_nanos(cfg.think_ns))
        }),
        latency: cfg.latency,
    };
    let raw = match cfg.mode {
        Mode::Threads => locks::visit(
            cfg.backend,
            Threads {
                cfg,
                topology,
                plan,
                clock,
                on_progress,
            },
        )?,
        Mode::Processes => locks::visit(
            cfg.backend,
            super::processes::Parent {
                cfg,
                topology,
                plan,
                clock,
                on_progress,
            },
        )?,
    };
    Ok(crate::results::RunResult::from_raw(
        cfg,
        topology,
        calibration,
        raw,
    ))
}

struct Threads<'a> {
    cfg: &'a RunConfig,
    topology: &'a Topology,
    plan: Plan,
    clock: Clock,
    on_progress: &'a mut dyn FnMut(&Progress),
}

impl Visit for Threads<'_> {
    type Output = Result<RawRun, RunError>;

    fn visit<B: Backend>(self, _info: &'static BackendInfo) -> Self::Output {
        run_threads::<B>(self)
    }
}

fn run_threads<B: Backend>(t: Threads<'_>) -> Result<RawRun, RunError> {
    let cfg = t.cfg;
    // Two's complement: the bank's balance may dip below zero while it runs.
    let shared = Arc::new(HeapRegion::<B>::new(
        cfg.threads,
        cfg.workload.initial() as u64,
    ));
    let gate = Arc::new(StartGate::new());
    let placement = t.topology.placement(&cfg.pin, cfg.threads);
    let (done_tx, done_rx) = mpsc::channel::<()>();

    let mut handles = Vec::with_capacity(cfg.threads);
    for (index, cpu) in placement.into_iter().enumerate() {
        let (shared, worker_gate, clock, done_tx) = (
            Arc::clone(&shared),
            Arc::clone(&gate),
            t.clock.clone(),
            done_tx.clone(),
        );
        let quota = cfg.quota(index);
        let delta = cfg.workload.delta(index) as u64;
        let (plan, threads) = (t.plan, cfg.threads);
        let spawned = thread::Builder::new()
            .name(format!("lockbench-{index}"))
            .spawn(move || {
                let pinned = cpu.is_some_and(affinity::pin_current);
                let observed_cpu = affinity::current_cpu();
                if !worker_gate.arrive() {
                    return None;
                }
                let view = shared.view();
                all_running(view.control, threads);
                let (start_raw, stop_raw, rec) =
                    worker::<B>(&view, index, quota, delta, plan, &clock);
                let _ = done_tx.send(());
                Some(WorkerOutcome {
                    requested_cpu: cpu,
                    pinned,
                    observed_cpu,
                    quota,
                    start_raw,
                    stop_raw,
                    rec,
                })
            });
        match spawned {
            Ok(h) => handles.push(h),
            Err(source) => {
                gate.open(false);
                for h in handles {
                    let _ = h.join();
                }
                return Err(RunError::Spawn { index, source });
            }
        }
    }
    drop(done_tx);

    gate.wait_for(cfg.threads);
    gate.open(true);
    let started = Instant::now();
    let deadline = started + Duration::from_millis(cfg.max_time_ms);
    let total_ops = cfg.ops;
    let mut finished = 0;
    let mut stop_requested: Option<Instant> = None;
    let mut last_report = started;
    while finished < cfg.threads {
        let now = Instant::now();
        let wake = match stop_requested {
            Some(at) => at + STOP_GRACE,
            None => deadline,
        };
        match done_rx.recv_timeout(TICK.min(wake.saturating_duration_since(now))) {
            Ok(()) => finished += 1,
            Err(RecvTimeoutError::Disconnected) => break,
            Err(RecvTimeoutError::Timeout) => {}
        }
        let now = Instant::now();
        if now.duration_since(last_report) >= TICK {
            last_report = now;
            let done_ops = shared
                .view()
                .progress
                .iter()
                .map(|p| p.0.load(Ordering::Relaxed))
                .sum();
            (t.on_progress)(&Progress {
                done_ops,
                total_ops,
                elapsed: now - started,
            });
        }
        match stop_requested {
            None if now >= deadline && finished < cfg.threads => {
                request_stop(shared.view().control, &t.clock);
                stop_requested = Some(now);
            }
            Some(at) if now >= at + STOP_GRACE => {
                // The stuck threads cannot be killed; they are left behind, and the CLI exits.
                let stuck = handles.iter().filter(|h| !h.is_finished()).count();
                return Err(RunError::DidNotStop {
                    stuck,
                    threads: cfg.threads,
                    grace_s: STOP_GRACE.as_secs(),
                });
            }
            _ => {}
        }
    }

    let mut workers = Vec::with_capacity(cfg.threads);
    for (index, h) in handles.into_iter().enumerate() {
        match h.join() {
            Ok(Some(w)) => workers.push(w),
            Ok(None) => unreachable!("the gate was opened with go = true"),
            Err(payload) => {
                let message = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "(no message)".to_string());
                return Err(RunError::WorkerPanicked { index, message });
            }
        }
    }
    // Relaxed: every worker has been joined, which orders all their writes before these loads.
    Ok(RawRun {
        workers,
        counter: shared.view().data.counter.load(Ordering::Relaxed),
        window_start_raw: Some(
            shared
                .view()
                .control
                .window_start_raw
                .load(Ordering::Relaxed),
        )
        .filter(|&raw| raw != 0),
        window_end_raw: shared.view().control.window_end_raw.load(Ordering::Relaxed),
        stopped_by_time_limit: stop_requested.is_some(),
        clock: t.clock,
    })
}

/// The second half of the start: the gate's condition variable wakes workers one by one, and on
/// an oversubscribed machine the first awake could finish its whole quota before the last is
/// scheduled. So each worker, once awake, waits (spinning briefly, then yielding) until every
/// worker is awake; then all start together, as runnable threads.
pub(crate) fn all_running(control: &Control, threads: usize) {
    // Relaxed: a counter of arrivals; the gate (a mutex) already ordered everything workers read.
    control.ready.fetch_add(1, Ordering::Relaxed);
    let mut spins = 0u32;
    // Also leave on STOP: a worker process that died before arriving must not keep the others
    // here; they then run one chunk, see STOP, and end.
    while control.ready.load(Ordering::Relaxed) < threads
        && control.state.load(Ordering::Relaxed) & STOP == 0
    {
        if spins < 64 {
            spins += 1;
            std::hint::spin_loop();
        } else {
            thread::yield_now();
        }
    }
}

/// Ends the contended interval (if still open) and tells every worker to stop.
pub(crate) fn request_stop(control: &Control, clock: &Clock) {
    // Relaxed: the control word is polled by workers and its single modification order is all
    // that matters (which came first: all started, first finished, stop); the raw timestamps
    // are read only after the workers are joined, and join orders them. The end of the window
    // is read after the flag is set, its start before the count completes, so that a window
    // that opened before it closed never comes out with its ends reversed.
    let before = control
        .state
        .fetch_or(STOP | WINDOW_CLOSED, Ordering::Relaxed);
    if before & WINDOW_CLOSED == 0 {
        control.window_end_raw.store(clock.raw(), Ordering::Relaxed);
    }
}

/// One worker's run. Returns its start and stop readings and its record.
pub(crate) fn worker<B: Backend>(
    s: &View<'_, B>,
    index: usize,
    quota: u64,
    delta: u64,
    plan: Plan,
    clock: &Clock,
) -> (u64, u64, Recorder) {
    // Without work the loop is compiled without the work checks: every instruction counts when
    // an uncontended lock costs a dozen nanoseconds.
    if plan.cs_work == Work::NONE && plan.think == Work::NONE {
        worker_loop::<B, false>(s, index, quota, delta, plan, clock)
    } else {
        worker_loop::<B, true>(s, index, quota, delta, plan, clock)
    }
}

/// The hot loop; `WORK` says whether `--cs-work` or `--think` is in play.
fn worker_loop<B: Backend, const WORK: bool>(
    s: &View<'_, B>,
    index: usize,
    quota: u64,
    delta: u64,
    plan: Plan,
    clock: &Clock,
) -> (u64, u64, Recorder) {
    let mut rec = Recorder::new();
    let me = index as u64;
    let start = clock.raw();
    let mut done = 0u64;
    let period = match plan.latency {
        LatencyMode::Off => u64::MAX,
        LatencyMode::Sample(n) => u64::from(n),
    };
    let mut until_sample = period;
    let threads = s.progress.len() as u64;
    let mut counted_start = false;
    let mut window_open_at: Option<u64> = None;
    let mut window_close_at: Option<u64> = None;
    while done < quota {
        let n = CHUNK.min(quota - done);
        let mut left = n;
        while until_sample <= left {
            for _ in 1..until_sample {
                op::<B, false, WORK>(s, me, delta, plan, clock, &mut rec);
            }
            op::<B, true, WORK>(s, me, delta, plan, clock, &mut rec);
            left -= until_sample;
            until_sample = period;
        }
        for _ in 0..left {
            op::<B, false, WORK>(s, me, delta, plan, clock, &mut rec);
        }
        until_sample -= left;
        done += n;
        // Relaxed: a display counter; the main thread needs no ordering with anything else.
        s.progress[index].0.store(done, Ordering::Relaxed);
        // Relaxed (both): see `request_stop`.
        let state = if counted_start {
            s.control.state.load(Ordering::Relaxed)
        } else {
            counted_start = true;
            // Read before the count completes, so that the window's start is never later than
            // a close that follows the count in the control word's order.
            let now = clock.raw();
            let before = s.control.state.fetch_add(1, Ordering::Relaxed);
            if before & WINDOW_CLOSED == 0 && (before & STARTED_MASK) + 1 == threads {
                s.control.window_start_raw.store(now, Ordering::Relaxed);
            }
            before + 1
        };
        if window_open_at.is_none() && state & STARTED_MASK == threads {
            window_open_at = Some(done);
        }
        if state & WINDOW_CLOSED != 0 {
            window_close_at.get_or_insert(done);
            if state & STOP != 0 {
                break;
            }
        }
    }
    let stop = clock.raw();
    if done == quota {
        // Relaxed: see `request_stop`. The first finisher closes the contended interval.
        let before = s.control.state.fetch_or(WINDOW_CLOSED, Ordering::Relaxed);
        if before & WINDOW_CLOSED == 0 {
            s.control
                .window_end_raw
                .store(clock.raw(), Ordering::Relaxed);
        }
    }
    let close = window_close_at.unwrap_or(done);
    rec.window_ops = window_open_at.map(|open| close.saturating_sub(open));
    rec.ops = done;
    (start, stop, rec)
}

/// One operation: acquire, add `delta` (two's complement) to the shared value, release; then
/// think. `TIMED` measures the wait
/// from just before the acquire to the first instruction inside the critical section.
#[inline(always)]
fn op<B: Backend, const TIMED: bool, const WORK: bool>(
    s: &View<'_, B>,
    me: u64,
    delta: u64,
    plan: Plan,
    clock: &Clock,
    rec: &mut Recorder,
) {
    let before = if TIMED { clock.raw() } else { 0 };
    let handoffs = &mut rec.handoffs;
    let acquired = s.lock.with(|| {
        let acquired = if TIMED { clock.raw() } else { 0 };
        let data = s.data;
        match B::KIND {
            Kind::AtomicRmw => {
                // Relaxed: the increment needs atomicity only; the total is read after join.
                data.counter.fetch_add(delta, Ordering::Relaxed);
                if WORK {
                    plan.cs_work.run();
                }
            }
            Kind::Lock | Kind::Unsynchronised => {
                // Relaxed load and store: under a lock, the lock's Acquire/Release orders them;
                // under `none` nothing does, and the interleaving of other threads' load/store
                // pairs between ours is exactly the lost update being demonstrated.
                let value = data.counter.load(Ordering::Relaxed);
                if WORK {
                    plan.cs_work.run();
                }
                data.counter
                    .store(value.wrapping_add(delta), Ordering::Relaxed);
            }
        }
        if B::KIND == Kind::Lock {
            // Relaxed: inside the critical section, ordered by the lock like the counter.
            let previous = data.last_holder.load(Ordering::Relaxed);
            if previous != me {
                data.last_holder.store(me, Ordering::Relaxed);
                *handoffs += u64::from(previous != NO_HOLDER);
            }
        }
        acquired
    });
    if TIMED {
        rec.record_wait(clock.delta_ns(before, acquired));
    }
    if WORK {
        plan.think.run();
    }
}
