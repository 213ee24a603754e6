//! From what the workers recorded to the figures: the contended window (`window.rs`),
//! throughput over it, fairness, the correctness check (`check.rs`), CPU cost (`cpu.rs`) and the
//! rw workload's reads and writes (`rw.rs`); for sweeps, the spread over
//! repetitions and the aggregation of a point (`sweep.rs`). The runner hands a [`RunRecord`]
//! here; the result is plain [`crate::model`] data. [`ranking`] is the one rule every verdict
//! uses; [`compare`] sets two sweeps side by side; [`verdict`] reads a sweep's answer to "which
//! lock?"; [`fleet`] reads many machines' sweeps as one; [`ab`] ranks the backends A/B'd in a
//! user's own program.

pub mod ab;
mod check;
pub mod compare;
mod contended;
mod cpu;
pub mod fidelity;
pub mod fleet;
pub mod ranking;
pub mod replay;
mod rw;
mod sweep;
pub mod verdict;
mod window;

pub use sweep::{WIDE_SPREAD, add_repetition, repetition, spread};
pub use window::MIN_WINDOW_OPS_PER_WORKER;

use check::verify;
use window::Window;

use crate::locks::Protection;
use crate::measure::clock::Clock;
use hdrhistogram::Histogram;

use crate::measure::recorder::{Recorder, encode_histogram, latency_histogram};
use crate::measure::stats::{LatencySummary, jain_index};
use crate::model::{
    BackendFacts, Environment, Fairness, GiveUps, Interval, RunConfig, RunResult, SCHEMA_VERSION,
    SHORT_RUN_NS, SPEED_CHANGE, SpeedProbe, WakeUps, WorkerResult, Workload,
};

/// One worker's raw outcome.
pub struct WorkerRecord {
    /// CPU it was to be pinned to.
    pub requested_cpu: Option<usize>,
    /// Whether the OS accepted the pinning.
    pub pinned: bool,
    /// CPU it ran on just before the start.
    pub observed_cpu: Option<usize>,
    /// Operations it was given.
    pub quota: u64,
    /// Clock ticks at its start.
    pub start_ticks: u64,
    /// Clock ticks at its stop.
    pub stop_ticks: u64,
    /// What it counted.
    pub rec: Recorder,
}

/// Everything the runner measured in one run, before statistics.
pub struct RunRecord {
    /// Every worker, by index.
    pub workers: Vec<WorkerRecord>,
    /// The shared value at the end (two's complement), summed over the locks.
    pub value: u64,
    /// The rw workload's second field at the end, likewise.
    pub mirror: u64,
    /// Clock ticks when the contended interval opened, if it did before it closed.
    pub window_start_ticks: Option<u64>,
    /// Clock ticks when it closed.
    pub window_end_ticks: u64,
    /// The time limit stopped the run.
    pub stopped_by_time_limit: bool,
    /// The clock the ticks are of.
    pub clock: Clock,
    /// The machine's speed just before and just after the run (ns per work-loop iteration).
    pub speed_probe_ns: Option<(f64, f64)>,
}

/// One histogram of every worker's `of`.
fn merged(workers: &[WorkerRecord], of: fn(&Recorder) -> &Histogram<u64>) -> Histogram<u64> {
    let mut merged = latency_histogram();
    for w in workers {
        merged
            .add(of(&w.rec))
            .expect("histograms share their bounds");
    }
    merged
}

/// Computes every figure of a run from what its workers recorded.
pub fn run_result(
    cfg: &RunConfig,
    backend: &BackendFacts,
    environment: &Environment,
    record: RunRecord,
) -> RunResult {
    let clock = &record.clock;
    let workers = &record.workers;
    let first_start = workers.iter().map(|w| w.start_ticks).min().unwrap_or(0);
    let last_stop = workers
        .iter()
        .map(|w| w.stop_ticks)
        .max()
        .unwrap_or(first_start);
    let total_ops: u64 = workers.iter().map(|w| w.rec.ops).sum();
    let wall_ns = clock.delta_ns(first_start, last_stop);
    let window = Window::of(&record);
    let (interval, window_ns, window_ops) = match &window {
        Window::Counted { ns, per_worker, .. } => {
            (Interval::Contended, *ns, per_worker.iter().sum::<u64>())
        }
        _ => (Interval::WholeRun, wall_ns, total_ops),
    };
    let per_worker_window = match &window {
        Window::Counted { per_worker, .. } => Some(per_worker),
        _ => None,
    };

    let window_latency = merged(workers, |r| &r.window_wait_ns);
    let mut whole_run_latency = merged(workers, |r| &r.wait_ns);
    whole_run_latency
        .add(&window_latency)
        .expect("histograms share their bounds");
    let latency = if interval == Interval::Contended {
        window_latency
    } else {
        whole_run_latency.clone()
    };
    let share = |n: u64| n as f64 / window_ops.max(1) as f64;
    let worker_results: Vec<WorkerResult> = workers
        .iter()
        .enumerate()
        .map(|(index, w)| {
            let in_window = per_worker_window.map(|p| p[index]);
            WorkerResult {
                index,
                requested_cpu: w.requested_cpu,
                pinned: w.pinned,
                observed_cpu: w.observed_cpu,
                quota: w.quota,
                ops: w.rec.ops,
                window_ops: in_window,
                share: in_window.map(share),
                handoffs: w.rec.handoffs,
                exclusion_violations: w.rec.exclusion_violations,
                timeouts: w.rec.timeouts,
                cpu: cpu::worker_usage(w, interval),
                start_ns: clock.delta_ns(first_start, w.start_ticks),
                stop_ns: clock.delta_ns(first_start, w.stop_ticks),
            }
        })
        .collect();
    let fairness = per_worker_window.map(|p| Fairness {
        jain_index: jain_index(p),
        min_share: p.iter().map(|&n| share(n)).fold(1.0, f64::min),
        max_share: p.iter().map(|&n| share(n)).fold(0.0, f64::max),
    });
    let is_lock = backend.kind == Protection::Lock;
    let timeouts: u64 = workers.iter().map(|w| w.rec.timeouts).sum();
    let handoffs: u64 = workers.iter().map(|w| w.rec.handoffs).sum();
    // A worker that never saw the window open made no hand-off inside it.
    let window_handoffs: u64 = workers
        .iter()
        .map(|w| w.rec.window_handoffs.unwrap_or(0))
        .sum();
    // Only writes mark the holder word (readers share the lock), so the rw workload's
    // hand-offs are between writers, out of its writes: the window's taken at the run's share.
    let reads: u64 = workers.iter().map(|w| w.rec.reads).sum();
    let write_share = (total_ops - reads) as f64 / total_ops.max(1) as f64;
    let whole_run_handoff_rate =
        (is_lock && total_ops > reads).then(|| handoffs as f64 / (total_ops - reads) as f64);
    let handoff_rate = match interval {
        Interval::Contended => (is_lock && window_ops > 0 && write_share > 0.0)
            .then(|| (window_handoffs as f64 / (window_ops as f64 * write_share)).min(1.0)),
        Interval::WholeRun => whole_run_handoff_rate,
    };
    let exclusion_violations = (backend.kind != Protection::AtomicRmw)
        .then(|| workers.iter().map(|w| w.rec.exclusion_violations).sum());
    let verification = verify(
        cfg,
        backend.kind,
        &record,
        exclusion_violations.unwrap_or(0),
    );
    // A timed run is complete when its end, not the time limit, stopped it (a very long timed
    // bank run may also end early, its sides full). A run of fixed work is complete when every
    // worker made every attempt it was given (an attempt that timed out was made).
    let complete = if cfg.timed() {
        !record.stopped_by_time_limit
    } else {
        workers
            .iter()
            .all(|w| w.rec.ops + w.rec.timeouts == w.quota)
    };
    let cpu = cpu::cost(workers, interval, window_ops, window_ns);
    let realised = |of: fn(&Recorder) -> crate::measure::recorder::Tally| {
        workers
            .iter()
            .map(|w| of(&w.rec))
            .fold(Default::default(), crate::measure::recorder::Tally::plus)
            .mean_ns()
    };
    let speed_probe = record.speed_probe_ns.map(|(before, after)| SpeedProbe {
        before_ns_per_iteration: before,
        after_ns_per_iteration: after,
    });
    let ops_per_sec = if window_ns == 0 {
        0.0
    } else {
        window_ops as f64 * 1e9 / window_ns as f64
    };
    // The measured part of the run: its whole length but the warm-up.
    let measurable_ns = wall_ns.saturating_sub(cfg.warmup_ms.saturating_mul(1_000_000));
    let short_run = wall_ns < SHORT_RUN_NS
        || interval == Interval::WholeRun
        || window_ns.saturating_mul(2) < measurable_ns;
    RunResult {
        schema_version: SCHEMA_VERSION,
        config: cfg.clone(),
        backend: backend.name.clone(),
        backend_kind: backend.kind,
        backend_fair: backend.fair,
        backend_waiting: backend.waiting,
        workload: cfg.workload.name().to_string(),
        environment: environment.clone(),
        // Tasks share their runtime's threads: those are what compete for the CPUs.
        oversubscribed: cfg.runtime_threads.unwrap_or(cfg.workers) > environment.allowed_cpus.len(),
        complete,
        stopped_by_time_limit: record.stopped_by_time_limit,
        lost_updates: verification.lost_updates,
        exclusion_violations,
        verification,
        total_ops,
        window_ops,
        window_ns,
        window_too_short: matches!(window, Window::TooShort),
        wall_ns,
        ns_per_op: window_ns as f64 / window_ops.max(1) as f64,
        ops_per_sec,
        interval,
        fairness,
        handoff_rate,
        handoff_rate_whole_run: whole_run_handoff_rate,
        latency: LatencySummary::of(&latency),
        latency_whole_run: LatencySummary::of(&whole_run_latency),
        latency_histogram: (!latency.is_empty()).then(|| encode_histogram(&latency)),
        cpu_ns_per_op: cpu.map(|c| c.cpu_ns_per_op),
        user_ns_per_op: cpu.map(|c| c.user_ns_per_op),
        system_ns_per_op: cpu.map(|c| c.system_ns_per_op),
        cpu_utilisation: cpu.map(|c| c.utilisation),
        voluntary_switches_per_kop: cpu.map(|c| c.voluntary_per_kop),
        involuntary_switches_per_kop: cpu.map(|c| c.involuntary_per_kop),
        realised_cs_ns: realised(|r| r.hold_ns),
        contended: contended::waits(workers, whole_run_latency.len()),
        realised_think_ns: realised(|r| r.think_ns),
        speed_changed: speed_probe.is_some_and(|p| p.change().abs() > SPEED_CHANGE),
        speed_probe,
        short_run,
        read_write: rw::read_write(cfg, workers, total_ops, ops_per_sec),
        timeouts: cfg.timeout().map(|_| timeouts),
        timeout_share: cfg
            .timeout()
            .map(|_| timeouts as f64 / (total_ops + timeouts).max(1) as f64),
        give_ups: cfg.timeout().and_then(|_| {
            GiveUps::of(
                &merged(workers, |r| &r.gave_up_ns),
                matches!(cfg.workload, Workload::Transfer { .. }),
            )
        }),
        late_share: cfg.timeout_ns.and_then(|deadline| {
            let sampled = whole_run_latency.len();
            (sampled > 0).then(|| {
                let late = whole_run_latency.count_between(deadline.saturating_add(1), u64::MAX);
                late as f64 / sampled as f64
            })
        }),
        wake_ups: cfg.wake_latency.then(|| {
            let hist = merged(workers, |r| &r.wake_ns);
            WakeUps {
                handoffs: workers.iter().map(|w| w.rec.timed_handoffs).sum(),
                woken: workers.iter().map(|w| w.rec.woken).sum(),
                latency: LatencySummary::of(&hist),
                histogram: (!hist.is_empty()).then(|| encode_histogram(&hist)),
            }
        }),
        workers: worker_results,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::locks::Waiting;
    use crate::measure::clock::ClockInfo;
    use crate::model::Point;
    use crate::model::{LatencyMode, PinPolicy, Verdict, WorkerMode, Workload};
    use crate::workload::bank::{DEPOSIT, WITHDRAWAL};

    /// A worker that did `ops` operations, `window_ops` of them in the window, with a hand-off
    /// on every other acquisition (half of them in the window), and one timed wait of 100 ns in
    /// the window and one of 900 ns outside it.
    fn worker(ops: u64, window_ops: Option<u64>, start: u64, stop: u64) -> WorkerRecord {
        let mut rec = Recorder::new();
        rec.ops = ops;
        rec.window_ops = window_ops;
        rec.handoffs = ops / 2;
        rec.window_handoffs = window_ops.map(|w| w / 2);
        rec.record_wait(100, true);
        rec.record_wait(900, false);
        WorkerRecord {
            requested_cpu: Some(0),
            pinned: true,
            observed_cpu: Some(0),
            quota: ops,
            start_ticks: start,
            stop_ticks: stop,
            rec,
        }
    }

    fn facts(kind: Protection) -> BackendFacts {
        BackendFacts {
            name: "test".into(),
            summary: String::new(),
            kind,
            fair: true,
            waiting: Waiting::Spin,
        }
    }

    fn environment() -> Environment {
        Environment {
            hostname: "test".into(),
            cpu_model: "test".into(),
            logical_cpus: 2,
            allowed_cpus: vec![0, 1],
            kernel: String::new(),
            os: String::new(),
            rustc: String::new(),
            lockbench_version: String::new(),
            optimized_build: true,
            clock: ClockInfo {
                source: "test".into(),
                read_cost_ns: 1.0,
                ordered_floor_ns: 10.0,
            },
            pause_ns: 1.0,
            work_calibration: None,
            physical_cores: None,
            threads_per_core: None,
            sockets: None,
            numa_nodes: None,
            virtualized: None,
            hypervisor: None,
            governor: None,
            turbo: None,
            load_average: None,
            other_runnable: None,
            lock_crates: Vec::new(),
            libc: None,
            costs: None,
        }
    }

    fn config(workload: Workload) -> RunConfig {
        RunConfig {
            backend: "test".into(),
            workers: 2,
            mode: WorkerMode::Threads,
            ops: 200_000,
            duration_ms: None,
            warmup_ms: 0,
            locks: 1,
            cs_work_ns: 0,
            think_ns: 0,
            work_unit: crate::model::WorkUnit::Time,
            pin: PinPolicy::Compact,
            latency: LatencyMode::Off,
            max_time_ms: 1000,
            workload,
            timeout_ns: None,
            runtime_threads: None,
            draws: None,
            noise: 0,
            wake_latency: false,
        }
    }

    fn record(workers: Vec<WorkerRecord>, value: u64, window: Option<u64>) -> RunRecord {
        let clock = Clock::new();
        let base = workers.iter().map(|w| w.start_ticks).min().unwrap_or(0);
        RunRecord {
            workers,
            value,
            mirror: 0,
            window_start_ticks: window.map(|d| base + d),
            window_end_ticks: base + 1_000_000,
            stopped_by_time_limit: false,
            clock,
            speed_probe_ns: None,
        }
    }

    /// Two workers of 100,000 operations each; 60,000 and 20,000 of them inside a window that
    /// opens `window_start` ticks after the start and closes at tick 1,000,000.
    fn result(kind: Protection, value: u64, window_start: Option<u64>) -> RunResult {
        let base = Clock::new().raw();
        let workers = vec![
            worker(100_000, Some(60_000), base, base + 1_000_000),
            worker(100_000, Some(20_000), base, base + 2_000_000),
        ];
        run_result(
            &config(Workload::Counter),
            &facts(kind),
            &environment(),
            record(workers, value, window_start),
        )
    }

    #[test]
    fn a_lock_that_loses_updates_fails_verification() {
        let r = result(Protection::Lock, 199_997, Some(100));
        assert_eq!(r.lost_updates, 3);
        assert_eq!(r.verification.verdict, Verdict::LostUpdates);
        assert!(r.failed_verification());
    }

    #[test]
    fn no_lock_losing_updates_is_the_lesson_not_a_failure() {
        let r = result(Protection::Unsynchronised, 150_000, Some(100));
        assert_eq!(r.lost_updates, 50_000);
        assert_eq!(r.verification.verdict, Verdict::LostUpdatesExpected);
        assert!(!r.failed_verification());
        let ok = result(Protection::Lock, 200_000, Some(100));
        assert_eq!(ok.verification.verdict, Verdict::Ok);
        assert_eq!(ok.exclusion_violations, Some(0));
    }

    #[test]
    fn two_workers_inside_together_fail_a_lock_even_without_a_lost_update() {
        let base = Clock::new().raw();
        let broken = |kind| {
            let mut workers = vec![
                worker(100_000, Some(60_000), base, base + 10),
                worker(100_000, Some(20_000), base, base + 20),
            ];
            workers[1].rec.exclusion_violations = 2;
            run_result(
                &config(Workload::Counter),
                &facts(kind),
                &environment(),
                record(workers, 200_000, Some(1)),
            )
        };
        let lock = broken(Protection::Lock);
        assert_eq!(lock.exclusion_violations, Some(2));
        assert_eq!(lock.verification.verdict, Verdict::ExclusionViolated);
        assert!(lock.failed_verification());
        assert_eq!(lock.workers[1].exclusion_violations, 2);
        let none = broken(Protection::Unsynchronised);
        assert_eq!(none.verification.verdict, Verdict::Ok);
        assert!(
            !none.failed_verification(),
            "without a lock it is the lesson"
        );
        assert_eq!(broken(Protection::AtomicRmw).exclusion_violations, None);
    }

    #[test]
    fn figures_cover_the_contended_interval_only() {
        let r = result(Protection::Lock, 200_000, Some(100));
        assert_eq!(r.interval, Interval::Contended);
        assert_eq!(r.window_ops, 80_000);
        assert!(r.window_ops <= r.total_ops);
        assert_eq!(r.workers[0].share, Some(0.75));
        let f = r.fairness.unwrap();
        assert_eq!((f.min_share, f.max_share), (0.25, 0.75));
        assert!(r.window_ns < r.wall_ns);
        // Hand-offs and latency too: the window's, with the whole run's beside them.
        assert_eq!(r.handoff_rate, Some(0.5));
        assert_eq!(r.handoff_rate_whole_run, Some(0.5));
        let (window, whole) = (r.latency.unwrap(), r.latency_whole_run.unwrap());
        assert_eq!((window.samples, window.max_ns), (2, 100));
        assert_eq!(whole.samples, 4);
        assert!(whole.max_ns >= 900);
    }

    #[test]
    fn without_a_contended_interval_the_whole_run_is_used() {
        let r = result(Protection::Lock, 200_000, None);
        assert_eq!(r.interval, Interval::WholeRun);
        assert_eq!(r.window_ops, 200_000);
        assert_eq!(r.window_ns, r.wall_ns);
        assert!(r.fairness.is_none() && !r.window_too_short);
        assert!(r.workers.iter().all(|w| w.share.is_none()));
        assert_eq!(r.latency.unwrap().samples, 4, "whole-run latency");
        // A window that "closed" before it opened is no window either.
        let reversed = result(Protection::Lock, 200_000, Some(5_000_000));
        assert_eq!(reversed.interval, Interval::WholeRun);
    }

    #[test]
    fn a_window_one_worker_never_saw_is_no_window() {
        // One worker finished before the other started: the "window" held one worker alone.
        let base = Clock::new().raw();
        let workers = vec![
            worker(100_000, Some(99_968), base, base + 10),
            worker(100_000, None, base, base + 20),
        ];
        let r = run_result(
            &config(Workload::Counter),
            &facts(Protection::Lock),
            &environment(),
            record(workers, 200_000, Some(1)),
        );
        assert_eq!(r.interval, Interval::WholeRun);
        assert!(!r.window_too_short);
    }

    #[test]
    fn a_window_shorter_than_the_minimum_falls_back_and_says_so() {
        let base = Clock::new().raw();
        let per_worker = MIN_WINDOW_OPS_PER_WORKER - 1;
        let workers = vec![
            worker(100_000, Some(per_worker), base, base + 10),
            worker(100_000, Some(per_worker), base, base + 20),
        ];
        let r = run_result(
            &config(Workload::Counter),
            &facts(Protection::Lock),
            &environment(),
            record(workers, 200_000, Some(1)),
        );
        assert_eq!(r.interval, Interval::WholeRun);
        assert!(r.window_too_short);
        assert_eq!(r.window_ops, r.total_ops);
    }

    #[test]
    fn baselines_have_no_handoff_rate() {
        assert_eq!(
            result(Protection::AtomicRmw, 200_000, Some(100)).handoff_rate,
            None
        );
    }

    #[test]
    fn the_bank_catches_a_lost_deposit_and_a_lost_withdrawal_that_cancel_out() {
        let bank = |value| {
            let workers = vec![worker(3, None, 0, 1), worker(2, None, 0, 1)];
            run_result(
                &config(Workload::Bank { initial: 200 }),
                &facts(Protection::Lock),
                &environment(),
                record(workers, value, None),
            )
        };
        let all = 3 * DEPOSIT + 2 * WITHDRAWAL;
        let ok = bank(all);
        assert_eq!(
            (ok.verification.expected, ok.verification.actual),
            (201, 201)
        );
        assert_eq!(ok.verification.verdict, Verdict::Ok);
        assert!(ok.complete);
        let symmetric = bank(all - DEPOSIT - WITHDRAWAL);
        assert_eq!(
            symmetric.verification.actual, 201,
            "the balance looks right"
        );
        assert_eq!(symmetric.lost_updates, 2);
        assert_eq!(symmetric.verification.verdict, Verdict::LostUpdates);
        let deposits = symmetric.verification.deposits.unwrap();
        assert_eq!((deposits.expected, deposits.actual), (3, 2));
    }

    #[test]
    fn spread_and_aggregation() {
        assert_eq!(spread([]), None);
        let s = spread([3.0, 1.0, 2.0, f64::NAN]).unwrap();
        assert_eq!((s.median, s.min, s.max), (2.0, 1.0, 3.0));
        assert_eq!(spread([1.0, 2.0, 4.0, 5.0]).unwrap().median, 3.0);

        let mut p = Point::new("test", 2, WorkerMode::Threads, Default::default(), false);
        let mut good = result(Protection::Lock, 200_000, Some(100));
        add_repetition(&mut p, repetition(0, &good));
        assert!(!p.wide_spread && !p.failed_verification && !p.whole_run_fallback);
        good.ops_per_sec *= 2.0;
        add_repetition(&mut p, repetition(1, &good));
        assert!(p.wide_spread, "a 2x difference is beyond {WIDE_SPREAD}");
        let bad = result(Protection::Lock, 199_990, None);
        add_repetition(&mut p, repetition(2, &bad));
        assert!(p.failed_verification && p.whole_run_fallback);
        assert_eq!(p.lost_updates, 10);
        assert_eq!(p.repetitions.len(), 3);
    }
}
