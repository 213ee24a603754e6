//! From what the workers recorded to the figures: the contended window, throughput over it,
//! fairness, the correctness check, and, for sweeps, the spread over repetitions and the
//! aggregation of a point. The runner hands a [`RunRecord`] here; the result is plain
//! [`crate::model`] data.

use crate::locks::Protection;
use crate::measure::clock::Clock;
use crate::measure::recorder::{Recorder, decode_histogram, encode_histogram, latency_histogram};
use crate::measure::stats::{LatencySummary, jain_index};
use crate::model::{
    BackendFacts, Environment, Fairness, Interval, Point, Repetition, RunConfig, RunResult,
    SCHEMA_VERSION, Spread, Verdict, Verification, WorkerResult,
};
use crate::workload;

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
    /// The shared value at the end (two's complement).
    pub value: u64,
    /// Clock ticks when the contended interval opened, if it did before it closed.
    pub window_start_ticks: Option<u64>,
    /// Clock ticks when it closed.
    pub window_end_ticks: u64,
    /// The time limit stopped the run.
    pub stopped_by_time_limit: bool,
    /// The clock the ticks are of.
    pub clock: Clock,
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
    // A worker that never saw the window open did nothing inside it.
    let per_worker_window: Option<Vec<u64>> = record.window_start_ticks.map(|_| {
        workers
            .iter()
            .map(|w| w.rec.window_ops.unwrap_or(0))
            .collect()
    });
    let (interval, window_ns, window_ops) = match (&per_worker_window, record.window_start_ticks) {
        (Some(per_worker), Some(open))
            if per_worker.iter().sum::<u64>() > 0 && record.window_end_ticks > open =>
        {
            (
                Interval::Contended,
                clock.delta_ns(open, record.window_end_ticks),
                per_worker.iter().sum::<u64>(),
            )
        }
        _ => (Interval::WholeRun, wall_ns, total_ops),
    };
    let per_worker_window = per_worker_window.filter(|_| interval == Interval::Contended);

    let mut merged = latency_histogram();
    for w in workers {
        merged
            .add(&w.rec.wait_ns)
            .expect("histograms share their bounds");
    }
    let share = |n: u64| n as f64 / window_ops.max(1) as f64;
    let worker_results: Vec<WorkerResult> = workers
        .iter()
        .enumerate()
        .map(|(index, w)| {
            let in_window = per_worker_window.as_ref().map(|p| p[index]);
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
                start_ns: clock.delta_ns(first_start, w.start_ticks),
                stop_ns: clock.delta_ns(first_start, w.stop_ticks),
            }
        })
        .collect();
    let fairness = per_worker_window.as_ref().map(|p| Fairness {
        jain_index: jain_index(p),
        min_share: p.iter().map(|&n| share(n)).fold(1.0, f64::min),
        max_share: p.iter().map(|&n| share(n)).fold(0.0, f64::max),
    });
    let handoffs: u64 = workers.iter().map(|w| w.rec.handoffs).sum();
    let verification = verify(cfg, backend.kind, &record);
    let complete = workers.iter().all(|w| w.rec.ops == w.quota);
    RunResult {
        schema_version: SCHEMA_VERSION,
        config: cfg.clone(),
        backend: backend.name.clone(),
        backend_kind: backend.kind,
        backend_fair: backend.fair,
        backend_waiting: backend.waiting,
        workload: cfg.workload.name().to_string(),
        environment: environment.clone(),
        oversubscribed: cfg.workers > environment.allowed_cpus.len(),
        complete,
        stopped_by_time_limit: record.stopped_by_time_limit,
        lost_updates: verification.lost_updates,
        verification,
        total_ops,
        window_ops,
        window_ns,
        wall_ns,
        ns_per_op: window_ns as f64 / window_ops.max(1) as f64,
        ops_per_sec: if window_ns == 0 {
            0.0
        } else {
            window_ops as f64 * 1e9 / window_ns as f64
        },
        interval,
        fairness,
        handoff_rate: (backend.kind == Protection::Lock && total_ops > 0)
            .then(|| handoffs as f64 / total_ops as f64),
        latency: LatencySummary::of(&merged),
        latency_histogram: (!merged.is_empty()).then(|| encode_histogram(&merged)),
        workers: worker_results,
    }
}

/// The run's correctness check: the shared value against what the completed operations add up
/// to; a loss under a lock is a failure, under no lock the lesson.
fn verify(cfg: &RunConfig, protection: Protection, record: &RunRecord) -> Verification {
    let ops: Vec<u64> = record.workers.iter().map(|w| w.rec.ops).collect();
    let expected = workload::expected(cfg.workload, &ops);
    // The shared value is kept as two's complement in a u64 (the bank may dip below zero).
    let actual = record.value as i64;
    let lost = expected.abs_diff(actual);
    let verdict = match (lost, protection) {
        (0, _) => Verdict::Ok,
        (_, Protection::Unsynchronised) => Verdict::LostUpdatesExpected,
        _ => Verdict::LostUpdates,
    };
    Verification {
        expected,
        actual,
        lost_updates: lost,
        verdict,
    }
}

/// Repetitions whose throughput lies further apart than this (relative to the median) are
/// flagged as noisy.
pub const WIDE_SPREAD: f64 = 0.25;

/// The median and range of `values`; `None` if there are none.
pub fn spread(values: impl IntoIterator<Item = f64>) -> Option<Spread> {
    let mut v: Vec<f64> = values.into_iter().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let median = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    };
    Some(Spread {
        median,
        min: v[0],
        max: v[n - 1],
    })
}

/// The parts of a run a sweep keeps.
pub fn repetition(round: u32, r: &RunResult) -> Repetition {
    Repetition {
        round,
        ops_per_sec: r.ops_per_sec,
        ns_per_op: r.ns_per_op,
        interval: r.interval,
        jain_index: r.fairness.as_ref().and_then(|f| f.jain_index),
        handoff_rate: r.handoff_rate,
        lost_updates: r.lost_updates,
        verdict: r.verification.verdict,
        complete: r.complete,
        wall_ns: r.wall_ns,
        latency: r.latency.clone(),
        latency_histogram: r.latency_histogram.clone(),
    }
}

/// Adds a repetition to `point` and recomputes its aggregates.
pub fn add_repetition(point: &mut Point, rep: Repetition) {
    point.repetitions.push(rep);
    let reps = &point.repetitions;
    point.ops_per_sec = spread(reps.iter().map(|r| r.ops_per_sec));
    point.ns_per_op = spread(reps.iter().map(|r| r.ns_per_op));
    point.jain_index = spread(reps.iter().filter_map(|r| r.jain_index));
    point.handoff_rate = spread(reps.iter().filter_map(|r| r.handoff_rate));
    let mut merged = latency_histogram();
    for h in reps.iter().filter_map(|r| r.latency_histogram.as_deref()) {
        if let Ok(h) = decode_histogram(h) {
            // Same bounds everywhere; a histogram that does not fit is left out.
            let _ = merged.add(&h);
        }
    }
    point.latency = LatencySummary::of(&merged);
    point.latency_histogram = (!merged.is_empty()).then(|| encode_histogram(&merged));
    point.lost_updates = reps.iter().map(|r| r.lost_updates).sum();
    point.failed_verification = reps.iter().any(|r| r.verdict == Verdict::LostUpdates);
    point.incomplete = reps.iter().any(|r| !r.complete);
    point.wide_spread = reps.len() > 1
        && point
            .ops_per_sec
            .is_some_and(|s| s.relative_width() > WIDE_SPREAD);
    point.whole_run_fallback = reps.iter().any(|r| r.interval == Interval::WholeRun);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::locks::Waiting;
    use crate::measure::clock::ClockInfo;
    use crate::model::{LatencyMode, PinPolicy, WorkerMode, Workload};

    fn worker(ops: u64, window_ops: Option<u64>, start: u64, stop: u64) -> WorkerRecord {
        let mut rec = Recorder::new();
        rec.ops = ops;
        rec.window_ops = window_ops;
        rec.handoffs = ops / 2;
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
            },
            work_calibration: None,
        }
    }

    fn config(workload: Workload) -> RunConfig {
        RunConfig {
            backend: "test".into(),
            workers: 2,
            mode: WorkerMode::Threads,
            ops: 200,
            cs_work_ns: 0,
            think_ns: 0,
            pin: PinPolicy::Compact,
            latency: LatencyMode::Off,
            max_time_ms: 1000,
            workload,
        }
    }

    /// Two workers of 100 operations each; 60 and 20 of them inside a window that opens
    /// `window_start` ticks after the start and closes at tick 1,000.
    fn result(kind: Protection, value: u64, window_start: Option<u64>) -> RunResult {
        let clock = Clock::new();
        let base = clock.raw();
        let record = RunRecord {
            workers: vec![
                worker(100, Some(60), base, base + 1_000),
                worker(100, Some(20), base, base + 2_000),
            ],
            value,
            window_start_ticks: window_start.map(|d| base + d),
            window_end_ticks: base + 1_000,
            stopped_by_time_limit: false,
            clock,
        };
        run_result(
            &config(Workload::Counter),
            &facts(kind),
            &environment(),
            record,
        )
    }

    #[test]
    fn a_lock_that_loses_updates_fails_verification() {
        let r = result(Protection::Lock, 197, Some(100));
        assert_eq!(r.lost_updates, 3);
        assert_eq!(r.verification.verdict, Verdict::LostUpdates);
        assert!(r.failed_verification());
    }

    #[test]
    fn no_lock_losing_updates_is_the_lesson_not_a_failure() {
        let r = result(Protection::Unsynchronised, 150, Some(100));
        assert_eq!(r.lost_updates, 50);
        assert_eq!(r.verification.verdict, Verdict::LostUpdatesExpected);
        assert!(!r.failed_verification());
        let ok = result(Protection::Lock, 200, Some(100));
        assert_eq!(ok.verification.verdict, Verdict::Ok);
    }

    #[test]
    fn figures_cover_the_contended_interval_only() {
        let r = result(Protection::Lock, 200, Some(100));
        assert_eq!(r.interval, Interval::Contended);
        assert_eq!(r.window_ops, 80);
        assert!(r.window_ops <= r.total_ops);
        assert_eq!(r.workers[0].share, Some(0.75));
        let f = r.fairness.unwrap();
        assert_eq!((f.min_share, f.max_share), (0.25, 0.75));
        assert!(r.window_ns < r.wall_ns);
        assert_eq!(r.handoff_rate, Some(0.5));
    }

    #[test]
    fn without_a_contended_interval_the_whole_run_is_used() {
        let r = result(Protection::Lock, 200, None);
        assert_eq!(r.interval, Interval::WholeRun);
        assert_eq!(r.window_ops, 200);
        assert_eq!(r.window_ns, r.wall_ns);
        assert!(r.fairness.is_none());
        assert!(r.workers.iter().all(|w| w.share.is_none()));
        // A window that "closed" before it opened is no window either.
        let reversed = result(Protection::Lock, 200, Some(5_000));
        assert_eq!(reversed.interval, Interval::WholeRun);
    }

    #[test]
    fn baselines_have_no_handoff_rate() {
        assert_eq!(
            result(Protection::AtomicRmw, 200, Some(100)).handoff_rate,
            None
        );
    }

    #[test]
    fn the_bank_is_checked_against_its_starting_balance() {
        let clock = Clock::new();
        let record = RunRecord {
            workers: vec![worker(3, None, 0, 1), worker(2, None, 0, 1)],
            value: 201,
            window_start_ticks: None,
            window_end_ticks: 0,
            stopped_by_time_limit: false,
            clock,
        };
        let r = run_result(
            &config(Workload::Bank { initial: 200 }),
            &facts(Protection::Lock),
            &environment(),
            record,
        );
        assert_eq!(r.verification.expected, 201);
        assert_eq!(r.verification.verdict, Verdict::Ok);
        assert!(r.complete);
    }

    #[test]
    fn spread_and_aggregation() {
        assert_eq!(spread([]), None);
        let s = spread([3.0, 1.0, 2.0, f64::NAN]).unwrap();
        assert_eq!((s.median, s.min, s.max), (2.0, 1.0, 3.0));
        assert_eq!(spread([1.0, 2.0, 4.0, 5.0]).unwrap().median, 3.0);

        let mut p = Point::new("test", 2, WorkerMode::Threads, false);
        let mut good = result(Protection::Lock, 200, Some(100));
        add_repetition(&mut p, repetition(0, &good));
        assert!(!p.wide_spread && !p.failed_verification && !p.whole_run_fallback);
        good.ops_per_sec *= 2.0;
        add_repetition(&mut p, repetition(1, &good));
        assert!(p.wide_spread, "a 2x difference is beyond {WIDE_SPREAD}");
        let bad = result(Protection::Lock, 190, None);
        add_repetition(&mut p, repetition(2, &bad));
        assert!(p.failed_verification && p.whole_run_fallback);
        assert_eq!(p.lost_updates, 10);
        assert_eq!(p.repetitions.len(), 3);
    }
}
