//! The results model: plain serde data, versioned. The configuration of a run, the environment it
//! ran in, and every figure, for one run and for a sweep. Nothing here measures, computes or
//! does I/O (the figures are computed in [`crate::analysis`], the environment is read in
//! [`crate::environment`], files are read by the commands); reports read only this.
//!
//! Series are keyed by values ([`SeriesKey`]: the backend's name and the worker mode), never by
//! their labels: labels are made at the edge, in `report::format`.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::locks::{Protection, Waiting};
use crate::measure::clock::ClockInfo;
use crate::measure::stats::LatencySummary;

/// Version of this model; bumped on any change that an older reader would misread.
pub const SCHEMA_VERSION: u32 = 1;

/// The `kind` field of a sweep's results.json.
pub const SWEEP_KIND: &str = "lockbench-sweep";

/// Whether the workers are threads of this process or processes of their own.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum WorkerMode {
    /// Threads sharing the heap.
    #[default]
    Threads,
    /// Child processes sharing one memory mapping.
    Processes,
}

/// How acquire latency is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LatencyMode {
    /// Not measured: no timer read in the hot loop.
    Off,
    /// Every `n`th acquisition is timed (`n` = 1 times every one).
    Sample(u32),
}

impl LatencyMode {
    /// The default: one acquisition in 256 timed. Two clock reads per sample, amortised over
    /// 256 operations, keep the harness's overhead under the noise of a 1-thread run (the
    /// `calibrate` command measures it), and 1M operations still yield ~3,900 samples.
    pub const DEFAULT: LatencyMode = LatencyMode::Sample(256);
}

/// The command-line spelling (`full`, `sample=N`, `off`), which results also carry.
impl fmt::Display for LatencyMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LatencyMode::Off => f.write_str("off"),
            LatencyMode::Sample(1) => f.write_str("full"),
            LatencyMode::Sample(n) => write!(f, "sample={n}"),
        }
    }
}

/// How workers are placed on CPUs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PinPolicy {
    /// Fill one core's hardware threads, then the next core, then the next package.
    Compact,
    /// One worker per physical core first (alternating packages), hyperthread siblings last.
    Spread,
    /// No pinning: the OS scheduler places and moves workers.
    None,
    /// Exactly these CPUs, in order; workers wrap around the list.
    List(Vec<usize>),
}

/// The command-line spelling (`compact`, `0,2,4`), which results also carry.
impl fmt::Display for PinPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PinPolicy::Compact => f.write_str("compact"),
            PinPolicy::Spread => f.write_str("spread"),
            PinPolicy::None => f.write_str("none"),
            PinPolicy::List(cpus) => {
                let list: Vec<String> = cpus.iter().map(ToString::to_string).collect();
                f.write_str(&list.join(","))
            }
        }
    }
}

/// What the workers do to the shared value (the parameters; what an operation does is in
/// [`crate::workload`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "name")]
pub enum Workload {
    /// Every operation adds one to a counter that starts at zero.
    Counter,
    /// The seeds' bank account: even-numbered workers deposit 1, odd-numbered ones withdraw 1,
    /// the same number of times each; the balance must end where it started.
    Bank {
        /// The starting balance.
        initial: i64,
    },
}

impl Workload {
    /// The CLI name.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Counter => "counter",
            Workload::Bank { .. } => "bank",
        }
    }
}

/// A run configuration that has passed every check (made by `config`, carried by results).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    /// The backend's registry name.
    pub backend: String,
    /// Workers (threads or processes, as `mode` says; `threads` in files, its first name).
    #[serde(rename = "threads")]
    pub workers: usize,
    /// Threads or processes.
    #[serde(default)]
    pub mode: WorkerMode,
    /// Total operations.
    pub ops: u64,
    /// Work inside the critical section, ns.
    pub cs_work_ns: u64,
    /// Work between critical sections, ns.
    pub think_ns: u64,
    /// Placement policy.
    pub pin: PinPolicy,
    /// Latency measurement.
    pub latency: LatencyMode,
    /// Time limit, ms.
    pub max_time_ms: u64,
    /// The workload.
    pub workload: Workload,
}

/// The facts of a backend that results carry, so that a report needs nothing but the results.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct BackendFacts {
    /// The registry name.
    pub name: String,
    /// What it is, in one line.
    pub summary: String,
    /// Lock, atomic baseline or unsynchronised baseline.
    pub kind: Protection,
    /// Whether waiters are served in arrival order.
    pub fair: bool,
    /// How a waiter waits.
    pub waiting: Waiting,
}

/// How long one iteration of the busy-work loop takes on this machine.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
pub struct WorkCalibration {
    /// Nanoseconds per work-loop iteration (the fastest of several rounds).
    pub ns_per_iteration: f64,
}

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
    /// What one spin-wait hint (`pause` on x86) costs, in ns: spinning locks count their
    /// budgets in these, and their cost differs many times between CPU generations.
    #[serde(default)]
    pub pause_ns: f64,
    /// The work-loop calibration, when `--cs-work` or `--think` was used.
    pub work_calibration: Option<WorkCalibration>,
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
    /// No update was lost, but a lock let two workers into the critical section at once: a
    /// correctness failure all the same.
    ExclusionViolated,
}

impl Verdict {
    /// A correctness failure (lost updates or broken exclusion under a lock).
    pub fn is_failure(self) -> bool {
        matches!(self, Verdict::LostUpdates | Verdict::ExclusionViolated)
    }
}

/// The final check of a run.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Verification {
    /// The value the updates the workers completed add up to (the counter: the operations done;
    /// the bank: the initial balance, plus deposits, minus withdrawals).
    pub expected: i64,
    /// The shared value at the end.
    pub actual: i64,
    /// Updates lost: `expected - actual` as a magnitude for the counter; for the bank, the lost
    /// deposits plus the lost withdrawals (which a balance alone would let cancel out).
    pub lost_updates: u64,
    /// The bank's deposits, counted (none for the counter).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deposits: Option<SideCount>,
    /// The bank's withdrawals, counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawals: Option<SideCount>,
    /// What that means for this backend.
    pub verdict: Verdict,
}

/// One side of the bank: how many operations it completed, and how many the shared word shows.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct SideCount {
    /// Operations completed.
    pub expected: u64,
    /// Operations the shared word counts.
    pub actual: u64,
}

impl SideCount {
    /// Operations lost.
    pub fn lost(&self) -> u64 {
        self.expected.abs_diff(self.actual)
    }
}

/// Per-worker shares of the contended interval.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Fairness {
    /// Jain's index over per-worker operations in the contended interval (1 = equal shares).
    pub jain_index: Option<f64>,
    /// Smallest per-worker share of the interval's operations (0..1).
    pub min_share: f64,
    /// Largest per-worker share (0..1).
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
pub struct WorkerResult {
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
    /// Its acquisitions that followed another worker's.
    pub handoffs: u64,
    /// Times it found another worker inside the critical section (on entry or on exit).
    #[serde(default)]
    pub exclusion_violations: u64,
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
    pub backend_kind: Protection,
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
    /// Times a worker found another inside the critical section (none for the atomic
    /// baseline, which has no critical section). Under a lock, any is a failure.
    #[serde(default)]
    pub exclusion_violations: Option<u64>,
    /// Operations completed in all.
    pub total_ops: u64,
    /// Which interval the throughput figures cover.
    pub interval: Interval,
    /// Operations completed within that interval.
    pub window_ops: u64,
    /// Length of that interval, ns.
    pub window_ns: u64,
    /// Every worker took part in a contended interval, but for less than the minimum
    /// (`analysis::MIN_WINDOW_OPS_PER_WORKER`), so the figures cover the whole run.
    #[serde(default)]
    pub window_too_short: bool,
    /// Earliest start to last stop, ns.
    pub wall_ns: u64,
    /// Time per operation over the interval, ns.
    pub ns_per_op: f64,
    /// Operations per second over the interval.
    pub ops_per_sec: f64,
    /// Fairness over the contended interval (none without one).
    pub fairness: Option<Fairness>,
    /// Fraction of acquisitions that went to a different worker than the previous holder
    /// (locks only), over the same interval as the throughput.
    pub handoff_rate: Option<f64>,
    /// The same over the whole run.
    #[serde(default)]
    pub handoff_rate_whole_run: Option<f64>,
    /// Acquire-latency percentiles of the sampled acquisitions, over the same interval as the
    /// throughput (none when `--latency off`).
    pub latency: Option<LatencySummary>,
    /// The same over the whole run.
    #[serde(default)]
    pub latency_whole_run: Option<LatencySummary>,
    /// The histogram behind `latency`, in HdrHistogram's compressed form (base64 `HISTF...`).
    pub latency_histogram: Option<String>,
    /// Per-worker figures (the field keeps its first name, `threads`, for readers of version 1).
    #[serde(rename = "threads")]
    pub workers: Vec<WorkerResult>,
}

impl RunResult {
    /// Whether the verdict is a correctness failure.
    pub fn failed_verification(&self) -> bool {
        self.verification.verdict.is_failure()
    }
}

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
    /// (max - min) / median: how far apart the repetitions lie.
    pub fn relative_width(&self) -> f64 {
        if self.median == 0.0 {
            0.0
        } else {
            (self.max - self.min) / self.median
        }
    }
}

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
    /// Times a worker found another inside the critical section.
    #[serde(default)]
    pub exclusion_violations: Option<u64>,
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

/// What identifies a series of a sweep (a line in a chart): the backend and how its workers ran.
/// Further dimensions of a sweep become further fields here.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SeriesKey {
    /// The backend's registry name.
    pub backend: String,
    /// Threads or processes.
    pub mode: WorkerMode,
}

/// One backend at one worker count, over its repetitions.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Point {
    /// Backend name.
    pub backend: String,
    /// Workers (threads or processes, as `mode` says; `threads` in files, its first name).
    #[serde(rename = "threads")]
    pub workers: usize,
    /// Threads or processes.
    #[serde(default)]
    pub mode: WorkerMode,
    /// More workers than allowed CPUs.
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
    /// Exclusion violations, summed over the repetitions.
    #[serde(default)]
    pub exclusion_violations: u64,
    /// A lock lost updates or let two workers in together in some repetition.
    pub failed_verification: bool,
    /// Some repetition was stopped by the time limit.
    pub incomplete: bool,
    /// Throughput of the repetitions lies more than `analysis::WIDE_SPREAD` apart.
    pub wide_spread: bool,
    /// Some repetition had no contended interval (its figures cover the whole run).
    pub whole_run_fallback: bool,
}

impl Point {
    /// A point with no repetition yet.
    pub fn new(backend: &str, workers: usize, mode: WorkerMode, oversubscribed: bool) -> Self {
        Point {
            backend: backend.to_string(),
            workers,
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
            exclusion_violations: 0,
            failed_verification: false,
            incomplete: false,
            wide_spread: false,
            whole_run_fallback: false,
        }
    }

    /// The series this point belongs to.
    pub fn key(&self) -> SeriesKey {
        SeriesKey {
            backend: self.backend.clone(),
            mode: self.mode,
        }
    }

    /// Whether this point belongs to `key`'s series.
    pub fn is_in(&self, key: &SeriesKey) -> bool {
        self.backend == key.backend && self.mode == key.mode
    }
}

/// What a sweep was asked to do.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SweepSettings {
    /// The workload.
    pub workload: Workload,
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
    /// The facts of every backend in `settings.backends` (empty in files written before they
    /// were kept; the commands fill them in from the registry when they read such a file).
    #[serde(default)]
    pub backend_facts: Vec<BackendFacts>,
    /// Every point ran every repetition.
    pub complete: bool,
    /// One entry per backend x worker count, in settings order (worker counts outer).
    pub points: Vec<Point>,
}

impl SweepResults {
    /// Reads a results.json's text and checks that it is one this lockbench can read; the error
    /// says what is wrong with it, in words that follow the file's name.
    pub fn from_json(text: &str) -> Result<SweepResults, String> {
        if text.trim().is_empty() {
            return Err("is empty".to_string());
        }
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            if e.is_eof() {
                format!("is truncated (JSON ends early at line {})", e.line())
            } else {
                format!("is not JSON ({e})")
            }
        })?;
        match value.get("kind").and_then(|k| k.as_str()) {
            Some(SWEEP_KIND) => {}
            _ if value.get("verification").is_some() && value.get("backend").is_some() => {
                return Err(
                    "is a single `lockbench run` result, not the results.json of a sweep".into(),
                );
            }
            _ => {
                return Err(
                    "is not a lockbench results file (no \"kind\": \"lockbench-sweep\")".into(),
                );
            }
        }
        match value.get("schema_version").and_then(|v| v.as_u64()) {
            Some(v) if v == u64::from(SCHEMA_VERSION) => {}
            Some(v) => {
                return Err(format!(
                    "has schema version {v}; this lockbench reads version {SCHEMA_VERSION}"
                ));
            }
            None => return Err("has no schema_version".to_string()),
        }
        serde_json::from_value(value)
            .map_err(|e| format!("does not have the shape of a results file: {e}"))
    }

    /// The series of the sweep, in the order charts and tables show them: every backend with
    /// threads, then every backend with processes.
    pub fn series(&self) -> Vec<SeriesKey> {
        let mut keys = Vec::new();
        for mode in [WorkerMode::Threads, WorkerMode::Processes] {
            for backend in &self.settings.backends {
                let key = SeriesKey {
                    backend: backend.clone(),
                    mode,
                };
                if self.points.iter().any(|p| p.is_in(&key)) {
                    keys.push(key);
                }
            }
        }
        keys
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

    /// The facts of a backend of this sweep.
    pub fn facts(&self, backend: &str) -> Option<&BackendFacts> {
        self.backend_facts.iter().find(|f| f.name == backend)
    }
}

/// The verdict on one point of a comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Change {
    /// AFTER is faster, beyond the noise of the repetitions.
    Faster,
    /// AFTER is slower, beyond the noise of the repetitions.
    Slower,
    /// The difference is within the noise of the repetitions.
    NoClearChange,
    /// Too few repetitions on a side for a verdict.
    TooFewRepetitions,
    /// A side cannot be trusted (failed verification, stopped by the time limit, whole-run
    /// figures): no verdict; the flags say why.
    Flagged,
    /// Measured in only one of the two.
    Missing,
}

/// One series and worker count in a comparison.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ComparedPoint {
    /// The series.
    pub series: SeriesKey,
    /// Workers.
    pub workers: usize,
    /// Throughput before.
    pub before: Option<Spread>,
    /// Throughput after.
    pub after: Option<Spread>,
    /// after / before, of the medians.
    pub ratio: Option<f64>,
    /// The verdict.
    pub change: Change,
    /// The two-sided p-value of the rank test, when one was made.
    pub p_value: Option<f64>,
    /// Why a side cannot be trusted, in words.
    pub flags: Vec<String>,
}

/// Two sweeps side by side.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Comparison {
    /// How BEFORE is named: its command and start time.
    pub before_label: String,
    /// As above, for AFTER.
    pub after_label: String,
    /// How verdicts are reached, in words.
    pub method: String,
    /// Machine and settings that differ: (what, before, after).
    pub differences: Vec<(String, String, String)>,
    /// Every point of either file.
    pub points: Vec<ComparedPoint>,
}
