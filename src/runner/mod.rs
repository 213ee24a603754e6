//! Runs one validated configuration and hands back what the workers recorded
//! ([`crate::analysis::RunRecord`]).
//!
//! One engine for both worker modes: `threads` and [`processes`] each start a set of workers
//! on one shared region (`region.rs`: the lock, the data, the control word), every worker lives
//! the same life (`worker.rs`: pin, start gate, all running, the hot loop of `hot_loop.rs`),
//! and one supervisor (`supervise.rs`) watches either set through the same small trait.

pub mod affinity;
pub mod bench;
pub mod control;
mod deadlock;
mod draws;
mod hot_loop;
pub mod inversion;
mod noise;
mod op;
pub mod processes;
pub mod region;
mod supervise;
pub use deadlock::Deadlock;
pub mod sweep;
mod tasks;
mod threads;
mod worker;

use std::thread;
use std::time::{Duration, Instant};

use thiserror::Error;

use crate::analysis::{RunRecord, WorkerRecord};
use crate::locks::Backend;
use crate::measure::clock::Clock;
use crate::model::{LatencyMode, RunConfig, WorkCalibration, WorkerMode, Workload};
use crate::workload::{self, busy::BusyWork, drawn::DrawnWork};
use affinity::Topology;
use region::RegionView;
use supervise::{Limits, Supervision, WorkerSet};

/// How long workers may go on after a stop before they are killed or the run is abandoned
/// (with `--timeout`, a deadline more: a worker may be sitting one out when the stop comes).
pub const STOP_GRACE: Duration = Duration::from_secs(10);
/// How often the supervisor reports progress.
pub(crate) const TICK: Duration = Duration::from_millis(100);

/// A snapshot for progress display.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    /// Operations completed so far, all workers.
    pub done_ops: u64,
    /// Operations the run will do in all (`None`: a timed run).
    pub total_ops: Option<u64>,
    /// Time since the start.
    pub elapsed: Duration,
    /// A timed run's length, warm-up included.
    pub planned: Option<Duration>,
}

/// A run that could not produce a result at all (as opposed to a result that failed its check).
#[derive(Debug, Error)]
pub enum RunError {
    /// The OS refused a worker thread or process.
    #[error("could not start worker {index}: {source}")]
    Spawn {
        index: usize,
        source: std::io::Error,
    },
    /// A worker thread panicked; its counts are lost, so nothing can be verified.
    #[error("worker thread {index} panicked: {message}")]
    WorkerPanicked { index: usize, message: String },
    /// The shared mapping or a worker process could not be set up.
    #[error("{what}: {source}")]
    Setup {
        what: &'static str,
        source: std::io::Error,
    },
    /// A worker exited or was killed before it could start, or did not check in.
    #[error("worker {index} failed to start: {message}")]
    WorkerFailedToStart { index: usize, message: String },
    /// A worker process died during the run.
    #[error(
        "worker process {index} {how} during the run; the shared value cannot be verified (the \
         worker may have died inside its critical section){owner}; the other workers were stopped"
    )]
    WorkerDied {
        index: usize,
        how: String,
        owner: String,
    },
    /// Workers went on past the time limit and its grace period (a lock that never hands over).
    #[error(
        "{stuck} of {workers} workers did not stop within {grace_s} s after the time limit \
         (a lock that never hands over?); the run is abandoned and nothing was verified"
    )]
    DidNotStop {
        stuck: usize,
        workers: usize,
        grace_s: u64,
    },
    /// The workers deadlocked: a cycle of waits, and nobody moved for `stall`.
    #[error(
        "deadlock {after:.1?} into the run: {}. No worker moved for {stall:?} ({} transfers were \
         made before); the run is stopped and nothing was verified. Of the workers, {left_blocked} \
         were blocked in a lock: worker processes are killed; threads cannot be interrupted \
         inside a lock, so they are left blocked and end when lockbench exits",
        deadlock.describe(),
        deadlock.moves
    )]
    Deadlock {
        deadlock: Deadlock,
        after: Duration,
        stall: Duration,
        left_blocked: usize,
    },
}

/// What every worker needs to know, fixed before the start.
#[derive(Clone, Copy)]
pub(crate) struct LoopSettings {
    /// What an operation does.
    pub workload: Workload,
    /// Busy work inside the critical section.
    pub cs_work: BusyWork,
    /// Busy work between critical sections.
    pub think: BusyWork,
    /// Work lengths drawn per operation instead of `cs_work` and `think` (`--draw-work`).
    pub draws: Option<&'static DrawnWork>,
    /// Stamp every release and time the hand-offs of the timed acquisitions (`--wake-latency`).
    pub wake_latency: bool,
    /// Which acquisitions are timed.
    pub latency: LatencyMode,
    /// Every acquisition's deadline (`--timeout`), counted from the start of its wait.
    pub timeout: Option<Duration>,
}

impl LoopSettings {
    fn of(cfg: &RunConfig, calibration: Option<WorkCalibration>, clock: &Clock) -> Self {
        let work = |ns: u64| {
            workload::busy::work_for(cfg.work_unit, Duration::from_nanos(ns), clock, calibration)
        };
        let draws = DrawnWork::of(cfg.draws.as_ref(), cfg.work_unit, clock, calibration);
        // Drawn work replaces the fixed lengths (`cs_work_ns` and `think_ns` are its means).
        let fixed = |ns: u64| {
            if draws.is_some() {
                BusyWork::NONE
            } else {
                work(ns)
            }
        };
        LoopSettings {
            workload: cfg.workload,
            cs_work: fixed(cfg.cs_work_ns),
            think: fixed(cfg.think_ns),
            draws: draws.map(DrawnWork::keep),
            wake_latency: cfg.wake_latency,
            latency: cfg.latency,
            timeout: cfg.timeout(),
        }
    }
}

/// Runs `cfg` with backend `B` and returns what was measured. `calibration` sizes work in
/// instructions (needed when the configuration has any); `on_progress` is called about every
/// 100 ms. The machine's speed is probed just before and just after.
pub fn run<B: Backend>(
    cfg: &RunConfig,
    topology: &Topology,
    calibration: Option<WorkCalibration>,
    on_progress: &mut dyn FnMut(&Progress),
) -> Result<RunRecord, RunError> {
    let clock = Clock::new();
    let settings = LoopSettings::of(cfg, calibration, &clock);
    let placement = topology.placement(&cfg.pin, cfg.workers);
    let speed_before = workload::busy::speed_probe();
    // The hogs of --noise, on the CPUs the workers (or the runtime's threads) are placed on,
    // from before the start to after the stop: dropped on every way out of this function.
    let hog_placement = match cfg.mode {
        WorkerMode::Tasks => topology.placement(&cfg.pin, cfg.runtime_threads.unwrap_or(1)),
        _ => placement.clone(),
    };
    let hogs = noise::Hogs::start(
        cfg.noise,
        &hog_placement,
        Duration::from_millis(cfg.max_time_ms) + NOISE_GRACE,
    )?;
    let record = match cfg.mode {
        WorkerMode::Threads => {
            let set = threads::ThreadWorkers::<B>::start(cfg, &placement, settings, &clock)?;
            drive(set, cfg, clock, on_progress)
        }
        WorkerMode::Processes => {
            let set = processes::ProcessWorkers::<B>::start(cfg, &placement, settings, &clock)?;
            drive(set, cfg, clock, on_progress)
        }
        WorkerMode::Tasks => {
            let threads = cfg.runtime_threads.unwrap_or(1);
            let placement = topology.placement(&cfg.pin, threads);
            let set = tasks::TaskWorkers::<B>::start(cfg, &placement, settings, &clock)?;
            drive(set, cfg, clock, on_progress)
        }
    };
    drop(hogs);
    let mut record = record?;
    record.speed_probe_ns = Some((speed_before, workload::busy::speed_probe()));
    Ok(record)
}

/// How long past the run's time limit a CPU hog may run if nothing stops it.
const NOISE_GRACE: Duration = Duration::from_secs(10);

/// A started set of workers on a shared region: what [`drive`] needs beyond the supervisor's
/// view.
pub(crate) trait Workers: WorkerSet {
    /// The backend.
    type Lock: Backend;
    /// The shared region.
    fn view(&self) -> RegionView<'_, Self::Lock>;
    /// A worker that can no longer check in at the gate (a process that exited), as an error.
    fn failed_to_start(&mut self) -> Option<RunError>;
    /// Every worker's record, once all have ended.
    fn collect(&mut self, supervision: &Supervision) -> Result<Vec<WorkerRecord>, RunError>;
}

/// The run, once the workers are started: the gate, the supervision, the collection, and the
/// reading of the shared region.
fn drive<W: Workers>(
    mut set: W,
    cfg: &RunConfig,
    clock: Clock,
    on_progress: &mut dyn FnMut(&Progress),
) -> Result<RunRecord, RunError> {
    // Every worker checks in (pinned; for a process, mapped) before any starts.
    let waiting_since = Instant::now();
    while worker::checked_in(set.view().gate) < cfg.workers {
        if let Some(e) = set.failed_to_start() {
            worker::open_gate(set.view().gate, false);
            return Err(e);
        }
        if waiting_since.elapsed() > worker::START_TIMEOUT {
            worker::open_gate(set.view().gate, false);
            return Err(RunError::WorkerFailedToStart {
                index: worker::checked_in(set.view().gate),
                message: format!(
                    "not every worker checked in within {} s",
                    worker::START_TIMEOUT.as_secs()
                ),
            });
        }
        thread::sleep(Duration::from_millis(1));
    }
    let warmup = (cfg.warmup_ms > 0).then(|| Duration::from_millis(cfg.warmup_ms));
    if warmup.is_some() {
        set.view().control.begin_warmup();
    }
    worker::open_gate(set.view().gate, true);
    let limits = Limits {
        max_time: Duration::from_millis(cfg.max_time_ms),
        grace: STOP_GRACE.saturating_add(cfg.timeout().unwrap_or_default()),
        tick: TICK,
        warmup,
        duration: cfg.duration_ms.map(Duration::from_millis),
        deadlock_stall: matches!(cfg.workload, crate::model::Workload::Transfer { .. })
            .then(|| deadlock::deadlock_stall(cfg.timeout())),
    };
    let total_ops = (!cfg.timed()).then_some(cfg.ops);
    let supervision = supervise::supervise(&mut set, limits, total_ops, on_progress)?;
    let workers = set.collect(&supervision)?;
    // Relaxed: every worker has been joined or reaped, which orders all their writes before
    // these loads.
    let view = set.view();
    let (window_start_ticks, window_end_ticks) = view.control.window();
    Ok(RunRecord {
        workers,
        // Every lock's value, summed (wrapping: the bank's words are two's complement). A
        // value can only lose updates, never gain one (each write is a value read plus one
        // operation's delta), so the sum is short by exactly the updates every lock lost; the
        // bank's halves cannot carry into each other, as each side's count fits its half.
        value: view
            .slots
            .iter()
            .map(|slot| {
                slot.data
                    .0
                    .counter
                    .load(std::sync::atomic::Ordering::Relaxed)
            })
            .fold(0u64, u64::wrapping_add),
        // The same for the rw workload's second field.
        mirror: view
            .slots
            .iter()
            .map(|slot| {
                slot.data
                    .0
                    .mirror
                    .load(std::sync::atomic::Ordering::Relaxed)
            })
            .fold(0u64, u64::wrapping_add),
        window_start_ticks,
        window_end_ticks,
        stopped_by_time_limit: supervision.stopped_by_time_limit,
        clock,
        speed_probe_ns: None,
    })
}

/// Ends the warm-up of the run on `view`, at the reading of `clock` now.
fn end_warmup<B: Backend>(view: &RegionView<'_, B>, clock: &Clock) {
    view.control
        .end_warmup(view.progress.len() as u64, clock.raw_ordered());
}

/// What every worker's line of `view` says now, for the deadlock watch.
fn wait_lines<B: Backend>(view: &RegionView<'_, B>) -> Vec<deadlock::WaitLine> {
    use std::sync::atomic::Ordering::Relaxed;
    view.progress
        .iter()
        // Relaxed: a look at words that stand still in a deadlock (see `hot_loop`).
        .map(|p| deadlock::WaitLine {
            holds: p.0.holds.load(Relaxed),
            waits: p.0.waits.load(Relaxed),
            moves: p.0.moves.load(Relaxed),
            gave_up: p.0.gave_up.load(Relaxed),
        })
        .collect()
}

/// Operations done so far by the workers of `view`.
fn done_ops<B: Backend>(view: &RegionView<'_, B>) -> u64 {
    view.progress
        .iter()
        // Relaxed: display counters.
        .map(|p| p.0.done.load(std::sync::atomic::Ordering::Relaxed))
        .sum()
}

/// Operations for worker `index` of `cfg`.
pub(crate) fn quota(cfg: &RunConfig, index: usize) -> u64 {
    workload::quota(
        cfg.workload,
        (!cfg.timed()).then_some(cfg.ops),
        cfg.workers,
        index,
    )
}

#[cfg(all(test, not(lockbench_loom)))]
mod tests {
    use super::*;
    use crate::locks::Protection;
    use crate::model::{LatencyMode, PinPolicy};

    /// A "lock" that claims to exclude and lets everyone in.
    struct LetsEveryoneIn;

    impl Backend for LetsEveryoneIn {
        const KIND: Protection = Protection::Lock;

        unsafe fn init_at(at: *mut Self) {
            // SAFETY: the caller's contract: `at` is writable and aligned.
            unsafe { at.write(LetsEveryoneIn) }
        }

        fn with<T>(&self, f: impl FnOnce() -> T) -> T {
            f()
        }
    }

    #[test]
    fn the_exclusion_check_catches_a_lock_that_lets_two_in() {
        let cfg = RunConfig {
            backend: "lets-everyone-in".into(),
            workers: 2,
            mode: WorkerMode::Threads,
            ops: 20_000,
            duration_ms: None,
            warmup_ms: 0,
            locks: 1,
            cs_work_ns: 1_000,
            think_ns: 0,
            work_unit: crate::model::WorkUnit::Time,
            pin: PinPolicy::Compact,
            latency: LatencyMode::Off,
            max_time_ms: 60_000,
            workload: Workload::Counter,
            timeout_ns: None,
            runtime_threads: None,
            draws: None,
            noise: 0,
            wake_latency: false,
        };
        let topology = Topology::detect();
        let calibration = None;
        let record = run::<LetsEveryoneIn>(&cfg, &topology, calibration, &mut |_| {}).unwrap();
        let violations: u64 = record
            .workers
            .iter()
            .map(|w| w.rec.exclusion_violations)
            .sum();
        // Two workers, each inside for a microsecond per operation, on the same counter: they
        // overlap thousands of times.
        assert!(violations > 0, "no overlap seen in 20,000 operations");
    }
}
