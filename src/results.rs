//! The results model: one serde structure, versioned, carrying the configuration, the
//! environment and every figure. Everything that reports reads it.

use std::fs;

use serde::{Deserialize, Serialize};

use crate::config::RunConfig;
use crate::locks::{Kind, Waiting};
use crate::measure::clock::{Clock, ClockInfo};
use crate::measure::recorder::latency_histogram;
use crate::measure::stats::{LatencySummary, jain_index};
use crate::runner::affinity::Topology;
use crate::runner::threads::RawRun;
use crate::workload::WorkCalibration;

/// Version of this model; bumped on any change that an older reader would misread.
pub const SCHEMA_VERSION: u32 = 1;

/// The machine and build a result was measured on.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Environment {
    /// Host name.
    pub hostname: String,
    /// CPU model, from /proc/cpuinfo.
    pub cpu_model: String,
    /// Logical CPUs online.
    pub logical_cpus: usize,
    /// CPUs this process was allowed to use.
    pub allowed_cpus: Vec<usize>,
    /// Kernel release.
    pub kernel: String,
    /// Operating system and architecture.
    pub os: String,
    /// The compiler lockbench was built with.
    pub rustc: String,
    /// lockbench's version.
    pub lockbench_version: String,
    /// Whether lockbench was built with optimisations.
    pub optimized_build: bool,
    /// The clock used and what a reading costs.
    pub clock: ClockInfo,
    /// The work-loop calibration, when `--cs-work` or `--think` was used.
    pub work_calibration: Option<WorkCalibration>,
}

impl Environment {
    /// Reads the environment of this process.
    pub fn capture(
        topology: &Topology,
        clock: &Clock,
        calibration: Option<WorkCalibration>,
    ) -> Self {
        let cpu_model = fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, v)| v.trim().to_string())
            })
            .unwrap_or_else(|| "unknown".to_string());
        let read = |path: &str| {
            fs::read_to_string(path)
                .map(|s| s.trim().to_string())
                .unwrap_or_else(|_| "unknown".into())
        };
        Environment {
            hostname: read("/proc/sys/kernel/hostname"),
            cpu_model,
            // SAFETY: sysconf only reads a system constant.
            logical_cpus: usize::try_from(unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) })
                .unwrap_or(0),
            allowed_cpus: topology.cpus.iter().map(|c| c.id).collect(),
            kernel: read("/proc/sys/kernel/osrelease"),
            os: format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
            rustc: env!("LOCKBENCH_RUSTC_VERSION").to_string(),
            lockbench_version: env!("CARGO_PKG_VERSION").to_string(),
            optimized_build: !cfg!(debug_assertions),
            clock: ClockInfo::measure(clock),
            work_calibration: calibration,
        }
    }
}

/// How the run's final count compares with what was done.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Every update is there.
    Ok,
    /// A backend that should exclude lost updates: a correctness failure.
    LostUpdates,
    /// The unsynchronised baseline lost updates: the demonstration, not a failure.
    LostUpdatesExpected,
}

/// The final check of a run.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Verification {
    /// Updates the workers completed (the counter's expected value).
    pub expected: u64,
    /// The counter's final value.
    pub actual: u64,
    /// `expected - actual`, as a magnitude.
    pub lost_updates: u64,
    /// What that means for this backend.
    pub verdict: Verdict,
}

/// Per-thread shares of the contended interval.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Fairness {
    /// Jain's index over per-thread operations in the contended interval (1 = equal shares).
    pub jain_index: Option<f64>,
    /// Smallest per-thread share of the interval's operations (0..1).
    pub min_share: f64,
    /// Largest per-thread share (0..1).
    pub max_share: f64,
}

/// The interval that throughput and fairness are computed over.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Interval {
    /// From the moment every worker had completed its first chunk to the first finish: all
    /// workers taking part.
    Contended,
    /// Earliest start to last stop: there was no moment when all workers took part (on an
    /// oversubscribed machine a worker finished before another started).
    WholeRun,
}

/// One worker's figures.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ThreadResult {
    /// Worker index.
    pub index: usize,
    /// CPU it was to be pinned to.
    pub requested_cpu: Option<usize>,
    /// Whether the OS accepted the pinning.
    pub pinned: bool,
    /// CPU it was running on just before the start.
    pub observed_cpu: Option<usize>,
    /// Operations it was given.
    pub quota: u64,
    /// Operations it completed.
    pub ops: u64,
    /// Operations it completed within the contended interval.
    pub window_ops: Option<u64>,
    /// Its share of the interval's operations.
    pub share: Option<f64>,
    /// Its acquisitions that followed another thread's.
    pub handoffs: u64,
    /// Start, ns after the earliest worker's start.
    pub start_ns: u64,
    /// Stop, ns after the earliest worker's start.
    pub stop_ns: u64,
}

/// Everything one `lockbench run` measured.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RunResult {
    /// [`SCHEMA_VERSION`] of the writer.
    pub schema_version: u32,
    /// The validated configuration.
    pub config: RunConfig,
    /// The backend's CLI name.
    pub backend: String,
    /// Lock, atomic or unsynchronised.
    pub backend_kind: Kind,
    /// Whether the backend is FIFO-fair.
    pub backend_fair: bool,
    /// How its waiters wait.
    pub backend_waiting: Waiting,
    /// The workload.
    pub workload: String,
    /// Where it ran.
    pub environment: Environment,
    /// More workers than allowed CPUs.
    pub oversubscribed: bool,
    /// Every worker completed its quota (false when the time limit stopped the run).
    pub complete: bool,
    /// The time limit ended the run.
    pub stopped_by_time_limit: bool,
    /// The final check.
    pub verification: Verification,
    /// Same as `verification.lost_updates`, at the top for scripts.
    pub lost_updates: u64,
    /// Operations completed in all.
    pub total_ops: u64,
    /// Which interval the throughput figures cover.
    pub interval: Interval,
    /// Operations completed within that interval.
    pub window_ops: u64,
    /// Length of that interval, ns.
    pub window_ns: u64,
    /// Earliest start to last stop, ns.
    pub wall_ns: u64,
    /// Time per operation over the interval, ns.
    pub ns_per_op: f64,
    /// Operations per second over the interval.
    pub ops_per_sec: f64,
    /// Fairness over the contended interval (none without one).
    pub fairness: Option<Fairness>,
    /// Fraction of acquisitions that went to a different thread than the previous holder
    /// (locks only).
    pub handoff_rate: Option<f64>,
    /// Acquire-latency percentiles of the sampled acquisitions (none when `--latency off`).
    pub latency: Option<LatencySummary>,
    /// Per-worker figures.
    pub threads: Vec<ThreadResult>,
}

impl RunResult {
    /// Computes every figure from what the workers recorded.
    pub(crate) fn from_raw(
        cfg: &RunConfig,
        topology: &Topology,
        calibration: Option<WorkCalibration>,
        raw: RawRun,
    ) -> RunResult {
        let info = cfg.backend.info();
        let clock = &raw.clock;
        let first_start = raw.workers.iter().map(|w| w.start_raw).min().unwrap_or(0);
        let last_stop = raw
            .workers
            .iter()
            .map(|w| w.stop_raw)
            .max()
            .unwrap_or(first_start);
        let total_ops: u64 = raw.workers.iter().map(|w| w.rec.ops).sum();
        let wall_ns = clock.delta_ns(first_start, last_stop);
        // A worker that never saw the window open did nothing inside it.
        let per_thread_window: Option<Vec<u64>> = raw.window_start_raw.map(|_| {
            raw.workers
                .iter()
                .map(|w| w.rec.window_ops.unwrap_or(0))
                .collect()
        });
        let (interval, window_ns, window_ops) = match (&per_thread_window, raw.window_start_raw) {
            (Some(per_thread), Some(open))
                if per_thread.iter().sum::<u64>() > 0 && raw.window_end_raw > open =>
            {
                (
                    Interval::Contended,
                    clock.delta_ns(open, raw.window_end_raw),
                    per_thread.iter().sum::<u64>(),
                )
            }
            _ => (Interval::WholeRun, wall_ns, total_ops),
        };
        let per_thread_window = per_thread_window.filter(|_| interval == Interval::Contended);

        let mut merged = latency_histogram();
        for w in &raw.workers {
            merged
                .add(&w.rec.wait_ns)
                .expect("histograms share their bounds");
        }
        let share = |n: u64| n as f64 / window_ops.max(1) as f64;
        let threads: Vec<ThreadResult> = raw
            .workers
            .iter()
            .enumerate()
            .map(|(index, w)| {
                let in_window = per_thread_window.as_ref().map(|p| p[index]);
                ThreadResult {
                    index,
                    requested_cpu: w.requested_cpu,
                    pinned: w.pinned,
                    observed_cpu: w.observed_cpu,
                    quota: w.quota,
                    ops: w.rec.ops,
                    window_ops: in_window,
                    share: in_window.map(share),
                    handoffs: w.rec.handoffs,
                    start_ns: clock.delta_ns(first_start, w.start_raw),
                    stop_ns: clock.delta_ns(first_start, w.stop_raw),
                }
            })
            .collect();
        let fairness = per_thread_window.as_ref().map(|p| Fairness {
            jain_index: jain_index(p),
            min_share: p.iter().map(|&n| share(n)).fold(1.0, f64::min),
            max_share: p.iter().map(|&n| share(n)).fold(0.0, f64::max),
        });
        let handoffs: u64 = raw.workers.iter().map(|w| w.rec.handoffs).sum();

        let lost = total_ops.abs_diff(raw.counter);
        let verdict = match (lost, info.kind) {
            (0, _) => Verdict::Ok,
            (_, Kind::Unsynchronised) => Verdict::LostUpdatesExpected,
            _ => Verdict::LostUpdates,
        };
        let complete = raw.workers.iter().all(|w| w.rec.ops == w.quota);
        RunResult {
            schema_version: SCHEMA_VERSION,
            config: cfg.clone(),
            backend: info.name.to_string(),
            backend_kind: info.kind,
            backend_fair: info.fair,
            backend_waiting: info.waiting,
            workload: "counter".to_string(),
            environment: Environment::capture(topology, clock, calibration),
            oversubscribed: cfg.threads > topology.cpus.len(),
            complete,
            stopped_by_time_limit: raw.stopped_by_time_limit,
            verification: Verification {
                expected: total_ops,
                actual: raw.counter,
                lost_updates: lost,
                verdict,
            },
            lost_updates: lost,
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
            handoff_rate: (info.kind == Kind::Lock && total_ops > 0)
                .then(|| handoffs as f64 / total_ops as f64),
            latency: LatencySummary::of(&merged),
            threads,
        }
    }

    /// Whether the verdict is a correctness failure.
    pub fn failed_verification(&self) -> bool {
        self.verification.verdict == Verdict::LostUpdates
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::LatencyMode;
    use crate::locks::BackendId;
    use crate::measure::recorder::Recorder;
    use crate::runner::affinity::{Cpu, PinPolicy};
    use crate::runner::threads::WorkerOutcome;

    fn outcome(ops: u64, window_ops: Option<u64>, start_raw: u64, stop_raw: u64) -> WorkerOutcome {
        let mut rec = Recorder::new();
        rec.ops = ops;
        rec.window_ops = window_ops;
        WorkerOutcome {
            requested_cpu: Some(0),
            pinned: true,
            observed_cpu: Some(0),
            quota: ops,
            start_raw,
            stop_raw,
            rec,
        }
    }

    fn result(backend: BackendId, counter: u64, window_start_raw: Option<u64>) -> RunResult {
        let cfg = RunConfig {
            backend,
            threads: 2,
            ops: 200,
            cs_work_ns: 0,
            think_ns: 0,
            pin: PinPolicy::Compact,
            latency: LatencyMode::Off,
            max_time_ms: 1000,
        };
        let topology = Topology {
            cpus: vec![
                Cpu {
                    id: 0,
                    package: 0,
                    core: 0,
                },
                Cpu {
                    id: 1,
                    package: 0,
                    core: 1,
                },
            ],
        };
        let clock = Clock::new();
        let base = clock.raw();
        let raw = RawRun {
            workers: vec![
                outcome(100, Some(60), base, base + 1_000),
                outcome(100, Some(20), base, base + 2_000),
            ],
            counter,
            window_start_raw: window_start_raw.map(|d| base + d),
            window_end_raw: base + 1_000,
            stopped_by_time_limit: false,
            clock,
        };
        RunResult::from_raw(&cfg, &topology, None, raw)
    }

    #[test]
    fn a_lock_that_loses_updates_fails_verification() {
        let r = result(BackendId::Ticket, 197, Some(100));
        assert_eq!(r.lost_updates, 3);
        assert_eq!(r.verification.verdict, Verdict::LostUpdates);
        assert!(r.failed_verification());
    }

    #[test]
    fn no_lock_losing_updates_is_the_lesson_not_a_failure() {
        let r = result(BackendId::None, 150, Some(100));
        assert_eq!(r.lost_updates, 50);
        assert_eq!(r.verification.verdict, Verdict::LostUpdatesExpected);
        assert!(!r.failed_verification());
        let ok = result(BackendId::Ticket, 200, Some(100));
        assert_eq!(ok.verification.verdict, Verdict::Ok);
    }

    #[test]
    fn figures_cover_the_contended_interval_only() {
        let r = result(BackendId::Ticket, 200, Some(100));
        assert_eq!(r.interval, Interval::Contended);
        assert_eq!(r.window_ops, 80);
        assert_eq!(r.threads[0].share, Some(0.75));
        let f = r.fairness.unwrap();
        assert_eq!((f.min_share, f.max_share), (0.25, 0.75));
        assert!(r.window_ns < r.wall_ns);
    }

    #[test]
    fn without_a_contended_interval_the_whole_run_is_used() {
        let r = result(BackendId::Ticket, 200, None);
        assert_eq!(r.interval, Interval::WholeRun);
        assert_eq!(r.window_ops, 200);
        assert_eq!(r.window_ns, r.wall_ns);
        assert!(r.fairness.is_none());
        assert!(r.threads.iter().all(|t| t.share.is_none()));
    }
}
