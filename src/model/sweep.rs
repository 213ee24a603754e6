//! A sweep: its points over their repetitions, the series they form, and the reading of a
//! results.json with its schema checks.

use serde::{Deserialize, Serialize};

use super::{
    BackendFacts, Environment, Interval, OLDEST_SCHEMA_VERSION, SCHEMA_VERSION, SWEEP_KIND,
    Verdict, WorkUnit, WorkerMode, Workload,
};
use crate::measure::stats::LatencySummary;

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
    /// CPU time per operation, ns.
    #[serde(default)]
    pub cpu_ns_per_op: Option<f64>,
    /// CPU utilisation (1: every worker on a CPU throughout).
    #[serde(default)]
    pub cpu_utilisation: Option<f64>,
    /// Sleeps per 1,000 operations.
    #[serde(default)]
    pub voluntary_switches_per_kop: Option<f64>,
    /// Preemptions per 1,000 operations.
    #[serde(default)]
    pub involuntary_switches_per_kop: Option<f64>,
    /// The hand-offs' wake-up latency (`--wake-latency`; without the histogram).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wake_ups: Option<super::WakeUps>,
    /// The realised critical section (acquire to release) of the timed acquisitions, mean ns
    /// (with busy work only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub realised_cs_ns: Option<f64>,
    /// The timed acquisitions that found the lock taken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contended: Option<super::ContendedWaits>,
    /// The run was too short to trust.
    #[serde(default)]
    pub short_run: bool,
    /// The machine's speed changed during the run.
    #[serde(default)]
    pub speed_changed: bool,
    /// The rw workload's reads per second (none for the other workloads).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reads_per_sec: Option<f64>,
    /// Its writes per second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub writes_per_sec: Option<f64>,
    /// Its torn reads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub torn_reads: Option<u64>,
    /// Acquisitions that gave up at their deadline (with `--timeout` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeouts: Option<u64>,
    /// Their share of the attempts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_share: Option<f64>,
}

/// The contention regime of a point: how many locks the operations spread over, and how long
/// the critical section and the think time are. A sweep may take lists of each (the report
/// then shows each regime apart); one run has one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Regime {
    /// Independent locks (1: all operations on one).
    pub locks: u64,
    /// Work inside the critical section, ns.
    pub cs_work_ns: u64,
    /// Work between critical sections, ns.
    pub think_ns: u64,
    /// Whether both are drawn per operation from distributions (`--draw-work`), of which
    /// they are the means.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub drawn: bool,
    /// CPU hogs on the workers' CPUs (`--noise`; 0: none).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub noise: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Default for Regime {
    fn default() -> Self {
        Regime {
            locks: 1,
            cs_work_ns: 0,
            think_ns: 0,
            drawn: false,
            noise: 0,
        }
    }
}

impl Regime {
    /// The regime of a run configuration.
    pub fn of(cfg: &super::RunConfig) -> Regime {
        Regime {
            locks: cfg.locks,
            cs_work_ns: cfg.cs_work_ns,
            think_ns: cfg.think_ns,
            drawn: cfg.draws.is_some(),
            noise: cfg.noise,
        }
    }
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
    /// The contention regime (files written before regimes: filled in from the settings).
    #[serde(default)]
    pub regime: Regime,
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
    /// CPU time per operation over the repetitions, ns.
    #[serde(default)]
    pub cpu_ns_per_op: Option<Spread>,
    /// CPU utilisation over the repetitions.
    #[serde(default)]
    pub cpu_utilisation: Option<Spread>,
    /// Sleeps per 1,000 operations over the repetitions.
    #[serde(default)]
    pub voluntary_switches_per_kop: Option<Spread>,
    /// Preemptions per 1,000 operations over the repetitions.
    #[serde(default)]
    pub involuntary_switches_per_kop: Option<Spread>,
    /// Repetitions too short to trust.
    #[serde(default)]
    pub short_runs: u32,
    /// Repetitions during which the machine's speed changed.
    #[serde(default)]
    pub speed_changed_runs: u32,
    /// The rw workload's reads per second over the repetitions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reads_per_sec: Option<Spread>,
    /// Its writes per second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub writes_per_sec: Option<Spread>,
    /// Its torn reads, over every repetition.
    #[serde(default)]
    pub torn_reads: u64,
    /// Acquisitions that gave up at their deadline, over every repetition (with `--timeout`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeouts: Option<u64>,
    /// Their share of the attempts, median over the repetitions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_share: Option<Spread>,
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
    pub fn new(
        backend: &str,
        workers: usize,
        mode: WorkerMode,
        regime: Regime,
        oversubscribed: bool,
    ) -> Self {
        Point {
            backend: backend.to_string(),
            workers,
            mode,
            regime,
            oversubscribed,
            repetitions: Vec::new(),
            ops_per_sec: None,
            ns_per_op: None,
            jain_index: None,
            handoff_rate: None,
            cpu_ns_per_op: None,
            cpu_utilisation: None,
            voluntary_switches_per_kop: None,
            involuntary_switches_per_kop: None,
            short_runs: 0,
            speed_changed_runs: 0,
            reads_per_sec: None,
            writes_per_sec: None,
            torn_reads: 0,
            timeouts: None,
            timeout_share: None,
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
    /// Operations per run (0 for timed runs).
    pub ops: u64,
    /// Timed runs: each this long, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// Warm-up of each run, ms.
    #[serde(default)]
    pub warmup_ms: u64,
    /// Work inside the critical section, ns (the first regime's; see `regimes`).
    pub cs_work_ns: u64,
    /// Work between critical sections, ns (the first regime's).
    pub think_ns: u64,
    /// Every contention regime of the sweep, in order (files written before regimes: filled in
    /// from the two fields above, with one lock).
    #[serde(default)]
    pub regimes: Vec<Regime>,
    /// What the work durations mean.
    #[serde(default = "WorkUnit::before_choice")]
    pub work_unit: WorkUnit,
    /// Placement policy.
    pub pin: String,
    /// Latency measurement.
    pub latency: String,
    /// Time limit per run, ms.
    pub max_time_ms: u64,
    /// The distributions every run drew its work from (`--draw-work`), if it drew.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draws: Option<super::WorkDraws>,
    /// The seed each round's order of points was drawn from (files written before rounds were
    /// shuffled: none, and every round ran in the listed order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_seed: Option<u64>,
    /// Every release stamped for the wake-up latency (`--wake-latency`), which costs every
    /// acquisition a little (files written before it was kept: false).
    #[serde(default)]
    pub wake_latency: bool,
    /// Every acquisition's deadline, ns (`--timeout`; none: they wait as long as it takes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ns: Option<u64>,
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
        let version = match value.get("schema_version").and_then(|v| v.as_u64()) {
            Some(v) if v > u64::from(SCHEMA_VERSION) => {
                return Err(format!(
                    "has schema version {v}, written by a newer lockbench; this one reads \
                     versions {OLDEST_SCHEMA_VERSION} to {SCHEMA_VERSION}: update lockbench to \
                     read it"
                ));
            }
            Some(v) if v < u64::from(OLDEST_SCHEMA_VERSION) => {
                return Err(format!(
                    "has schema version {v}; this lockbench reads versions \
                     {OLDEST_SCHEMA_VERSION} to {SCHEMA_VERSION}: rerun the sweep"
                ));
            }
            Some(v) => v,
            None => {
                return Err(
                    "has no schema_version (written before results were versioned): rerun the \
                     sweep"
                        .to_string(),
                );
            }
        };
        let mut results: SweepResults = serde_json::from_value(value)
            .map_err(|e| format!("does not have the shape of a results file: {e}"))?;
        if version < 2 {
            results.migrate_from_v1();
        }
        Ok(results)
    }

    /// Version 1 to 2. Fields that version 1 lacked (CPU figures, short runs, the speed probe,
    /// the machine facts) are read as absent by serde's defaults; what a version-1 file means
    /// but does not say is filled in here: its one regime (one lock, the settings' work), on
    /// every point.
    fn migrate_from_v1(&mut self) {
        if self.settings.regimes.is_empty() {
            let only = Regime {
                locks: 1,
                cs_work_ns: self.settings.cs_work_ns,
                think_ns: self.settings.think_ns,
                drawn: false,
                noise: 0,
            };
            self.settings.regimes = vec![only];
            for p in &mut self.points {
                p.regime = only;
            }
        }
        self.schema_version = SCHEMA_VERSION;
    }

    /// The regimes that have points, in the settings' order.
    pub fn regimes(&self) -> Vec<Regime> {
        self.settings
            .regimes
            .iter()
            .copied()
            .filter(|r| self.points.iter().any(|p| p.regime == *r))
            .collect()
    }

    /// The series of the sweep, in the order charts and tables show them: every backend with
    /// threads, then every backend with processes (then with tasks).
    pub fn series(&self) -> Vec<SeriesKey> {
        let mut keys = Vec::new();
        for mode in [
            WorkerMode::Threads,
            WorkerMode::Processes,
            WorkerMode::Tasks,
        ] {
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
