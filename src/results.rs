//! The results model: one serde structure, versioned, carrying the configuration, the
//! environment and every figure. Everything that reports reads it.

use std::fs;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::config::{ConfigError, Mode, RunConfig};
use crate::locks::{Kind, Waiting};
use crate::measure::clock::{Clock, ClockInfo};
use crate::measure::recorder::{decode_histogram, encode_histogram, latency_histogram};
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
    /// The value the updates the workers completed add up to (the counter: the operations done;
    /// the bank: the initial balance, plus deposits, minus withdrawals).
    pub expected: i64,
    /// The shared value at the end.
    pub actual: i64,
    /// `expected - actual`, as a magnitude (for the bank: the drift).
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
    /// The merged latency histogram in HdrHistogram's compressed form (base64 `HISTF...`).
    pub latency_histogram: Option<String>,
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

        let expected = raw
            .workers
            .iter()
            .enumerate()
            .fold(cfg.workload.initial(), |sum, (i, w)| {
                sum.wrapping_add(cfg.workload.delta(i).wrapping_mul(w.rec.ops as i64))
            });
        // The shared value is kept as two's complement in a u64 (the bank may dip below zero).
        let actual = raw.counter as i64;
        let lost = expected.abs_diff(actual);
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
            workload: cfg.workload.name().to_string(),
            environment: Environment::capture(topology, clock, calibration),
            oversubscribed: cfg.threads > topology.cpus.len(),
            complete,
            stopped_by_time_limit: raw.stopped_by_time_limit,
            verification: Verification {
                expected,
                actual,
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
            latency_histogram: (!merged.is_empty()).then(|| encode_histogram(&merged)),
            threads,
        }
    }

    /// Whether the verdict is a correctness failure.
    pub fn failed_verification(&self) -> bool {
        self.verification.verdict == Verdict::LostUpdates
    }
}

/// The `kind` field of a sweep's results.json.
pub const SWEEP_KIND: &str = "lockbench-sweep";

/// Median and range of one figure over a point's repetitions.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
pub struct Spread {
    /// Median (the mean of the middle two for an even count).
    pub median: f64,
    /// Smallest.
    pub min: f64,
    /// Largest.
    pub max: f64,
}

impl Spread {
    /// The spread of `values`; `None` if there are none.
    pub fn of(values: impl IntoIterator<Item = f64>) -> Option<Spread> {
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

    /// (max - min) / median: how far apart the repetitions lie.
    pub fn relative_width(&self) -> f64 {
        if self.median == 0.0 {
            0.0
        } else {
            (self.max - self.min) / self.median
        }
    }
}

/// Repetitions whose throughput lies further apart than this (relative to the median) are
/// flagged as noisy.
pub const WIDE_SPREAD: f64 = 0.25;

/// One repetition of one point, as a sweep keeps it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Repetition {
    /// Round of the sweep (0-based).
    pub round: u32,
    /// Operations per second over the run's interval.
    pub ops_per_sec: f64,
    /// Nanoseconds per operation over the run's interval.
    pub ns_per_op: f64,
    /// Which interval those cover.
    pub interval: Interval,
    /// Jain's index over the contended interval.
    pub jain_index: Option<f64>,
    /// Hand-off rate (locks only).
    pub handoff_rate: Option<f64>,
    /// Lost updates.
    pub lost_updates: u64,
    /// Verification verdict.
    pub verdict: Verdict,
    /// All operations done within the time limit.
    pub complete: bool,
    /// Earliest start to last stop, ns.
    pub wall_ns: u64,
    /// Latency percentiles.
    pub latency: Option<LatencySummary>,
    /// Merged latency histogram, compressed base64.
    pub latency_histogram: Option<String>,
}

impl Repetition {
    /// The parts of a run a sweep keeps.
    pub fn of(round: u32, r: &RunResult) -> Self {
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
}

/// One backend at one thread count, over its repetitions.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Point {
    /// Backend name.
    pub backend: String,
    /// Workers.
    pub threads: usize,
    /// Threads or processes.
    #[serde(default)]
    pub mode: Mode,
    /// More threads than allowed CPUs.
    pub oversubscribed: bool,
    /// Every repetition, in the order run.
    pub repetitions: Vec<Repetition>,
    /// Throughput over the repetitions.
    pub ops_per_sec: Option<Spread>,
    /// Time per operation over the repetitions.
    pub ns_per_op: Option<Spread>,
    /// Jain's index over the repetitions that had a contended interval.
    pub jain_index: Option<Spread>,
    /// Hand-off rate over the repetitions.
    pub handoff_rate: Option<Spread>,
    /// Latency percentiles of all repetitions' samples together.
    pub latency: Option<LatencySummary>,
    /// All repetitions' latency histograms merged, compressed base64.
    pub latency_histogram: Option<String>,
    /// Lost updates, summed over the repetitions.
    pub lost_updates: u64,
    /// A lock lost updates in some repetition.
    pub failed_verification: bool,
    /// Some repetition was stopped by the time limit.
    pub incomplete: bool,
    /// Throughput of the repetitions lies more than [`WIDE_SPREAD`] apart.
    pub wide_spread: bool,
    /// Some repetition had no contended interval (its figures cover the whole run).
    pub whole_run_fallback: bool,
}

impl Point {
    /// A point with no repetition yet.
    pub fn new(backend: &str, threads: usize, mode: Mode, oversubscribed: bool) -> Self {
        Point {
            backend: backend.to_string(),
            threads,
            mode,
            oversubscribed,
            repetitions: Vec::new(),
            ops_per_sec: None,
            ns_per_op: None,
            jain_index: None,
            handoff_rate: None,
            latency: None,
            latency_histogram: None,
            lost_updates: 0,
            failed_verification: false,
            incomplete: false,
            wide_spread: false,
            whole_run_fallback: false,
        }
    }

    /// The name of its line in charts and row in tables: the backend, marked when the workers
    /// are processes.
    pub fn series(&self) -> String {
        match self.mode {
            Mode::Threads => self.backend.clone(),
            Mode::Processes => format!("{} (processes)", self.backend),
        }
    }

    /// Adds a repetition and recomputes the aggregates.
    pub fn push(&mut self, rep: Repetition) {
        self.repetitions.push(rep);
        let reps = &self.repetitions;
        self.ops_per_sec = Spread::of(reps.iter().map(|r| r.ops_per_sec));
        self.ns_per_op = Spread::of(reps.iter().map(|r| r.ns_per_op));
        self.jain_index = Spread::of(reps.iter().filter_map(|r| r.jain_index));
        self.handoff_rate = Spread::of(reps.iter().filter_map(|r| r.handoff_rate));
        let mut merged = latency_histogram();
        for h in reps.iter().filter_map(|r| r.latency_histogram.as_deref()) {
            if let Ok(h) = decode_histogram(h) {
                // Same bounds everywhere; a histogram that does not fit is left out.
                let _ = merged.add(&h);
            }
        }
        self.latency = LatencySummary::of(&merged);
        self.latency_histogram = (!merged.is_empty()).then(|| encode_histogram(&merged));
        self.lost_updates = reps.iter().map(|r| r.lost_updates).sum();
        self.failed_verification = reps.iter().any(|r| r.verdict == Verdict::LostUpdates);
        self.incomplete = reps.iter().any(|r| !r.complete);
        self.wide_spread = reps.len() > 1
            && self
                .ops_per_sec
                .is_some_and(|s| s.relative_width() > WIDE_SPREAD);
        self.whole_run_fallback = reps.iter().any(|r| r.interval == Interval::WholeRun);
    }
}

/// What a sweep was asked to do.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SweepSettings {
    /// The workload.
    pub workload: crate::config::Workload,
    /// Backend names, in order.
    pub backends: Vec<String>,
    /// Thread counts, ascending.
    pub threads: Vec<usize>,
    /// Process counts, ascending (empty: threads only).
    #[serde(default)]
    pub processes: Vec<usize>,
    /// Repetitions per point.
    pub repeat: u32,
    /// Operations per run.
    pub ops: u64,
    /// Work inside the critical section, ns.
    pub cs_work_ns: u64,
    /// Work between critical sections, ns.
    pub think_ns: u64,
    /// Placement policy.
    pub pin: String,
    /// Latency measurement.
    pub latency: String,
    /// Time limit per run, ms.
    pub max_time_ms: u64,
}

/// Everything a sweep measured: what `results.json` holds and every report is made from.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SweepResults {
    /// Always [`SWEEP_KIND`].
    pub kind: String,
    /// [`SCHEMA_VERSION`] of the writer.
    pub schema_version: u32,
    /// The command line that produced it.
    pub command: String,
    /// When the sweep started (UTC, RFC 3339).
    pub started_utc: String,
    /// Where it ran.
    pub environment: Environment,
    /// What it was asked to do.
    pub settings: SweepSettings,
    /// Every point ran every repetition.
    pub complete: bool,
    /// One entry per backend x thread count, in settings order (threads outer).
    pub points: Vec<Point>,
}

impl SweepResults {
    /// Reads and checks a results.json; the error names the file and the problem.
    pub fn load(path: &Path) -> Result<SweepResults, ConfigError> {
        let problem = |p: String| ConfigError::File {
            path: path.display().to_string(),
            problem: p,
        };
        let text = fs::read_to_string(path).map_err(|e| {
            problem(match e.kind() {
                std::io::ErrorKind::NotFound => "does not exist".to_string(),
                std::io::ErrorKind::InvalidData => "is not UTF-8 text".to_string(),
                _ => format!("cannot be read: {e}"),
            })
        })?;
        if text.trim().is_empty() {
            return Err(problem("is empty".to_string()));
        }
        let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
            problem(if e.is_eof() {
                format!("is truncated (JSON ends early at line {})", e.line())
            } else {
                format!("is not JSON ({e})")
            })
        })?;
        match value.get("kind").and_then(|k| k.as_str()) {
            Some(SWEEP_KIND) => {}
            _ if value.get("verification").is_some() && value.get("backend").is_some() => {
                return Err(problem(
                    "is a single `lockbench run` result, not the results.json of a sweep"
                        .to_string(),
                ));
            }
            _ => {
                return Err(problem(
                    "is not a lockbench results file (no \"kind\": \"lockbench-sweep\")".into(),
                ));
            }
        }
        match value.get("schema_version").and_then(|v| v.as_u64()) {
            Some(v) if v == u64::from(SCHEMA_VERSION) => {}
            Some(v) => {
                return Err(problem(format!(
                    "has schema version {v}; this lockbench reads version {SCHEMA_VERSION}"
                )));
            }
            None => return Err(problem("has no schema_version".to_string())),
        }
        serde_json::from_value(value)
            .map_err(|e| problem(format!("does not have the shape of a results file: {e}")))
    }

    /// The series of the sweep, in the order charts and tables show them: every backend with
    /// threads, then every backend with processes.
    pub fn series(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for mode in [Mode::Threads, Mode::Processes] {
            for b in &self.settings.backends {
                if let Some(p) = self
                    .points
                    .iter()
                    .find(|p| &p.backend == b && p.mode == mode)
                {
                    names.push(p.series());
                }
            }
        }
        names
    }

    /// Every worker count of the sweep, threads and processes, ascending.
    pub fn worker_counts(&self) -> Vec<usize> {
        let mut counts: Vec<usize> = self
            .settings
            .threads
            .iter()
            .chain(&self.settings.processes)
            .copied()
            .collect();
        counts.sort_unstable();
        counts.dedup();
        counts
    }

    /// Points with a lock that lost updates.
    pub fn failed_points(&self) -> impl Iterator<Item = &Point> {
        self.points.iter().filter(|p| p.failed_verification)
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
            mode: crate::config::Mode::Threads,
            ops: 200,
            cs_work_ns: 0,
            think_ns: 0,
            pin: PinPolicy::Compact,
            latency: LatencyMode::Off,
            max_time_ms: 1000,
            workload: crate::config::Workload::Counter,
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
