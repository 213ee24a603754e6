//! Everything one `lockbench run` measured, and its correctness check.

use serde::{Deserialize, Serialize};

use super::{Environment, RunConfig};
use crate::locks::{Protection, Waiting};
use crate::measure::stats::LatencySummary;
use crate::measure::usage::CpuUsage;

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
    /// No update was lost, but a reader under a lock saw a write half done (the rw workload):
    /// a correctness failure.
    TornReads,
}

impl Verdict {
    /// A correctness failure (lost updates, broken exclusion or torn reads under a lock).
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            Verdict::LostUpdates | Verdict::ExclusionViolated | Verdict::TornReads
        )
    }
}

/// The rw workload's reads and writes, apart.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ReadWrite {
    /// Reads done.
    pub reads: u64,
    /// Writes done.
    pub writes: u64,
    /// Reads that saw the record's fields differ: a write half done.
    pub torn_reads: u64,
    /// Reads per second: the run's throughput times the reads' share of the operations.
    pub reads_per_sec: f64,
    /// Writes per second, likewise.
    pub writes_per_sec: f64,
    /// Sampled waits to acquire of reads, over the whole run.
    pub read_latency: Option<LatencySummary>,
    /// And of writes: a writer starved by readers shows here.
    pub write_latency: Option<LatencySummary>,
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
    /// Its acquisitions that gave up at their deadline (`--timeout`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub timeouts: u64,
    /// Its CPU time and context switches over the same interval as the throughput.
    #[serde(default)]
    pub cpu: Option<CpuUsage>,
    /// Start, ns after the earliest worker's start.
    pub start_ns: u64,
    /// Stop, ns after the earliest worker's start.
    pub stop_ns: u64,
}

/// Everything one `lockbench run` measured.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RunResult {
    /// [`SCHEMA_VERSION`](super::SCHEMA_VERSION) of the writer.
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
    /// CPU time (user plus system, all workers) per operation over the interval, ns.
    #[serde(default)]
    pub cpu_ns_per_op: Option<f64>,
    /// Of which in user mode, ns.
    #[serde(default)]
    pub user_ns_per_op: Option<f64>,
    /// Of which in the kernel, ns.
    #[serde(default)]
    pub system_ns_per_op: Option<f64>,
    /// CPU time / (interval × workers): 1 when every worker was on a CPU throughout (spinning
    /// or working), low when they slept.
    #[serde(default)]
    pub cpu_utilisation: Option<f64>,
    /// Times a worker gave up its CPU (slept), per 1,000 operations.
    #[serde(default)]
    pub voluntary_switches_per_kop: Option<f64>,
    /// Times a worker was preempted, per 1,000 operations.
    #[serde(default)]
    pub involuntary_switches_per_kop: Option<f64>,
    /// The realised critical section of the timed acquisitions (acquire to release, with
    /// `--cs-work` or `--think` only), mean ns: beside the requested `config.cs_work_ns`.
    #[serde(default)]
    pub realised_cs_ns: Option<f64>,
    /// The timed acquisitions that found the lock taken: their share and their waits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contended: Option<ContendedWaits>,
    /// The realised think time of the timed operations, mean ns.
    #[serde(default)]
    pub realised_think_ns: Option<f64>,
    /// The machine's speed just before and just after the run.
    #[serde(default)]
    pub speed_probe: Option<SpeedProbe>,
    /// The machine's speed changed by more than [`SPEED_CHANGE`] during the run: its figures
    /// are not comparable with others.
    #[serde(default)]
    pub speed_changed: bool,
    /// The run was too short to trust: under [`SHORT_RUN_NS`], or its workers overlapped for
    /// less than half of it. A timed run (`--duration`) is the remedy.
    #[serde(default)]
    pub short_run: bool,
    /// The rw workload's reads and writes apart (none for the other workloads).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_write: Option<ReadWrite>,
    /// Acquisitions that gave up at their deadline, over the whole run (with `--timeout`
    /// only). They did no update, and are not among the operations: the value is verified
    /// against the acquisitions that succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeouts: Option<u64>,
    /// Their share of all attempts (timeouts / (operations + timeouts)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_share: Option<f64>,
    /// The share of the sampled acquisitions that succeeded only after waiting past the
    /// deadline: a deadline that the lock (or the kernel's timer under it) did not keep.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub late_share: Option<f64>,
    /// How long the sampled waits that gave up lasted, against the deadline: how late a
    /// deadline was kept (with `--timeout`, when a sampled wait gave up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub give_ups: Option<GiveUps>,
    /// The hand-offs' wake-up latency (`--wake-latency`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wake_ups: Option<WakeUps>,
    /// Per-worker figures (the field keeps its first name, `threads`, for readers of version 1).
    #[serde(rename = "threads")]
    pub workers: Vec<WorkerResult>,
}

/// The sampled waits that gave up at their deadline: how long each took, from the start of the
/// wait to the give-up. For the transfer workload a give-up is a transfer's (either of its two
/// waits, each with the deadline), timed from the start of its first wait.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
pub struct GiveUps {
    /// `true`: each is a transfer's, timed from its first wait (see above).
    pub per_transfer: bool,
    /// Sampled give-ups.
    pub samples: u64,
    /// The quickest give-up: never under the deadline, for a lock that keeps it.
    pub min_ns: u64,
    /// Median.
    pub p50_ns: u64,
    /// 99th percentile.
    pub p99_ns: u64,
    /// The slowest.
    pub max_ns: u64,
}

impl GiveUps {
    /// Summarises `hist` (`None`: no sample).
    pub fn of(hist: &hdrhistogram::Histogram<u64>, per_transfer: bool) -> Option<Self> {
        (!hist.is_empty()).then(|| GiveUps {
            per_transfer,
            samples: hist.len(),
            min_ns: hist.min(),
            p50_ns: hist.value_at_quantile(0.5),
            p99_ns: hist.value_at_quantile(0.99),
            max_ns: hist.max(),
        })
    }
}

/// The wake-up latency of a run's timed hand-offs (`--wake-latency`): of the timed
/// acquisitions that followed another worker's release, those whose thread slept
/// in its wait, from that release to the woken thread's first instruction inside.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct WakeUps {
    /// Timed acquisitions that followed another worker's release.
    pub handoffs: u64,
    /// Those whose thread slept in the wait (a yield is an involuntary switch to Linux, and
    /// not counted).
    pub woken: u64,
    /// Their latencies (`None` without one).
    pub latency: Option<LatencySummary>,
    /// Their histogram (HdrHistogram V2 + deflate, base64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub histogram: Option<String>,
}

/// A run shorter than this (earliest start to last stop) is flagged as short: 100 ms.
pub const SHORT_RUN_NS: u64 = 100_000_000;

/// A change of the machine's speed over a run beyond this fraction flags the run: 10%.
pub const SPEED_CHANGE: f64 = 0.10;

/// The speed probe's readings around a run: ns per iteration of the work loop.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
pub struct SpeedProbe {
    /// Just before the workers started.
    pub before_ns_per_iteration: f64,
    /// Just after they ended.
    pub after_ns_per_iteration: f64,
}

impl SpeedProbe {
    /// after / before - 1: positive when the machine got slower.
    pub fn change(&self) -> f64 {
        if self.before_ns_per_iteration > 0.0 {
            self.after_ns_per_iteration / self.before_ns_per_iteration - 1.0
        } else {
            0.0
        }
    }
}

impl RunResult {
    /// Whether the verdict is a correctness failure.
    pub fn failed_verification(&self) -> bool {
        self.verification.verdict.is_failure()
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The timed acquisitions of a run that found the lock taken (a writer inside when the wait
/// began), as a program's profile counts its contended acquisitions.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ContendedWaits {
    /// Their share of the timed acquisitions.
    pub share: f64,
    /// Their waits.
    pub latency: Option<LatencySummary>,
}
