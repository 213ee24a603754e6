//! What a run was asked to do: the validated configuration and its parts.

use std::fmt;

use serde::{Deserialize, Serialize};

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
    /// Tasks on a tokio multi-threaded runtime (`--tasks`), its worker threads
    /// [`RunConfig::runtime_threads`].
    Tasks,
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
    /// Read-mostly access to a record of two fields on separate cache lines that every write
    /// keeps equal: `reads` percent of operations take the lock shared and read both (a reader
    /// that sees them differ has seen a torn write), the others take it exclusively and add one
    /// to each.
    Rw {
        /// The share of reads, percent.
        reads: u8,
    },
    /// The seeds' lock-ordering lesson: `accounts` accounts, each with its own lock; an
    /// operation moves one unit from one account to another, holding both locks, taken in
    /// `order`. The total balance must stay zero.
    Transfer {
        /// Accounts (each a lock instance with its balance).
        accounts: u64,
        /// Which of the two locks is taken first.
        order: LockOrder,
    },
}

/// The order in which a transfer takes its two accounts' locks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LockOrder {
    /// The lower-numbered account first: every worker takes locks in one global order, so no
    /// cycle of waits can form.
    #[default]
    Ordered,
    /// The source account first, as the seeds' naive transfer does: two opposite transfers can
    /// each hold one lock and wait for the other's, forever.
    Naive,
}

impl LockOrder {
    /// The CLI name.
    pub fn name(self) -> &'static str {
        match self {
            LockOrder::Ordered => "ordered",
            LockOrder::Naive => "naive",
        }
    }
}

impl Workload {
    /// The CLI name.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Counter => "counter",
            Workload::Bank { .. } => "bank",
            Workload::Rw { .. } => "rw",
            Workload::Transfer { .. } => "transfer",
        }
    }
}

/// What `--cs-work` and `--think` durations mean (see `workload::busy`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WorkUnit {
    /// Spin on the clock for the duration: exactly the length asked for.
    #[default]
    Time,
    /// A fixed number of work-loop iterations, sized by a calibration to the duration: the
    /// same instructions every time, whose length follows the machine's speed.
    Instructions,
}

impl WorkUnit {
    /// What results written before the choice existed used.
    pub(crate) fn before_choice() -> WorkUnit {
        WorkUnit::Instructions
    }

    /// The command-line spelling.
    pub fn name(self) -> &'static str {
        match self {
            WorkUnit::Time => "time",
            WorkUnit::Instructions => "instructions",
        }
    }
}

fn one() -> u64 {
    1
}

fn is_zero(n: &u64) -> bool {
    *n == 0
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
    /// Total operations (0 when the run is timed: `duration_ms`).
    pub ops: u64,
    /// A timed run: every worker runs this long (after the warm-up), ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// Warm-up before the measured interval, ms (0: none).
    #[serde(default)]
    pub warmup_ms: u64,
    /// Independent instances of the backend, each guarding its own value (the contention
    /// dial: 1 is the most contended).
    #[serde(default = "one")]
    pub locks: u64,
    /// Work inside the critical section, ns.
    pub cs_work_ns: u64,
    /// Work between critical sections, ns.
    pub think_ns: u64,
    /// What those durations mean.
    #[serde(default = "WorkUnit::before_choice")]
    pub work_unit: WorkUnit,
    /// Placement policy.
    pub pin: PinPolicy,
    /// Latency measurement.
    pub latency: LatencyMode,
    /// Time limit, ms.
    pub max_time_ms: u64,
    /// The workload.
    pub workload: Workload,
    /// Every acquisition's deadline, ns (`--timeout`; `None`: acquisitions wait as long as it
    /// takes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ns: Option<u64>,
    /// The runtime's worker threads when the workers are tasks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_threads: Option<usize>,
    /// Every release stamped and the timed hand-offs' latency measured (`--wake-latency`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub wake_latency: bool,
    /// CPU hogs on the workers' CPUs during the run (`--noise`; 0: none).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub noise: u64,
    /// Critical sections and think times drawn per operation (`--draw-work`); `cs_work_ns` and
    /// `think_ns` are then their means.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draws: Option<WorkDraws>,
}

/// Critical-section and think-time lengths drawn afresh for every operation, from measured
/// distributions (`--draw-work FILE`; `lockbench replay` writes one from a program's profile).
///
/// In its simple form, two distributions for every lock, each given by its quantiles at equal
/// steps from the least value to the largest (`cs_ns`, `think_ns`): a draw picks a uniform
/// point between two neighbouring quantiles, so the lengths follow the distribution's shape,
/// not only its mean. In a replay's form, `locks` gives each kind of lock its own
/// distributions (as histogram buckets, drawn whole) and share of reads, `slots` says which
/// kind each of the run's `--locks` is, and `workers` how often each worker takes each one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkDraws {
    /// Where the distributions came from, in words (a replay names the program and its locks).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
    /// Critical-section quantiles, ns: 2 to [`WorkDraws::MAX_POINTS`], non-decreasing (empty
    /// when `locks` gives them).
    #[serde(default)]
    pub cs_ns: Vec<u64>,
    /// Think-time quantiles, ns, the same way.
    #[serde(default)]
    pub think_ns: Vec<u64>,
    /// The kinds of lock a replay runs, each with its own lengths and reads (empty: one kind,
    /// from `cs_ns` and `think_ns`, every operation a write unless the workload draws reads).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub locks: Vec<DrawnLock>,
    /// Which of `locks` each of the run's locks is, one entry per lock (`--locks` must match).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slots: Vec<u32>,
    /// Each worker's weight for each of the run's locks (worker `i` follows entry `i` modulo
    /// their number; empty: every worker takes every lock equally often).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub workers: Vec<Vec<f64>>,
}

/// One kind of lock of a replay: its critical sections and think times, each a histogram of
/// (lowest ns, highest ns, count) buckets drawn whole (a bucket by its count, then a uniform
/// length within it), and the share of its acquisitions that are reads.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrawnLock {
    /// The program's lock it stands for.
    pub name: String,
    /// Critical sections.
    pub cs: Vec<(u64, u64, u64)>,
    /// Think times after it, to the worker's next acquisition.
    pub think: Vec<(u64, u64, u64)>,
    /// The share of its acquisitions that are reads, taken shared (0 to 1).
    pub reads: f64,
}

impl WorkDraws {
    /// The most quantiles a distribution may have.
    pub const MAX_POINTS: usize = 4097;
    /// The longest length a quantile may give, ns (one second).
    pub const MAX_NS: u64 = 1_000_000_000;

    /// The mean critical section the draws give, ns (of the first kind of lock, in a replay's
    /// form).
    pub fn cs_mean_ns(&self) -> f64 {
        match self.locks.first() {
            Some(l) => buckets_mean(&l.cs),
            None => piecewise_mean(&self.cs_ns),
        }
    }

    /// The mean think time the draws give, ns (as [`cs_mean_ns`](Self::cs_mean_ns)).
    pub fn think_mean_ns(&self) -> f64 {
        match self.locks.first() {
            Some(l) => buckets_mean(&l.think),
            None => piecewise_mean(&self.think_ns),
        }
    }

    /// The longest critical section and think time a draw can give, ns.
    pub fn longest_ns(&self) -> (u64, u64) {
        let top = |b: &[(u64, u64, u64)]| b.iter().map(|b| b.1).max().unwrap_or(0);
        let cs = self.locks.iter().map(|l| top(&l.cs)).max();
        let think = self.locks.iter().map(|l| top(&l.think)).max();
        (
            cs.unwrap_or_else(|| self.cs_ns.last().copied().unwrap_or(0)),
            think.unwrap_or_else(|| self.think_ns.last().copied().unwrap_or(0)),
        )
    }

    /// Why these draws cannot be run, if they cannot: a list too short or too long, a length
    /// beyond a second, quantiles out of order, or a replay's tables that do not fit together.
    pub fn problem(&self) -> Option<String> {
        if !self.locks.is_empty() {
            return self.replay_problem();
        }
        for (name, points) in [("cs_ns", &self.cs_ns), ("think_ns", &self.think_ns)] {
            if !(2..=Self::MAX_POINTS).contains(&points.len()) {
                return Some(format!(
                    "{name} has {} quantiles; it needs 2 to {}",
                    points.len(),
                    Self::MAX_POINTS
                ));
            }
            if let Some(&big) = points.iter().find(|&&v| v > Self::MAX_NS) {
                return Some(format!(
                    "{name} holds {big} ns, beyond the 1 s a draw may last"
                ));
            }
            if let Some(i) = points.windows(2).position(|w| w[1] < w[0]) {
                return Some(format!(
                    "{name} is not in order: {} comes after {} (quantiles go from the least to \
                     the largest)",
                    points[i + 1],
                    points[i]
                ));
            }
        }
        None
    }
}

impl WorkDraws {
    fn replay_problem(&self) -> Option<String> {
        for l in &self.locks {
            for (what, buckets) in [("cs", &l.cs), ("think", &l.think)] {
                if buckets.is_empty() || buckets.iter().all(|b| b.2 == 0) {
                    return Some(format!(
                        "lock {}'s {what} has no bucket with a count",
                        l.name
                    ));
                }
                if let Some(b) = buckets.iter().find(|b| b.1 < b.0 || b.1 > Self::MAX_NS) {
                    return Some(format!(
                        "lock {}'s {what} has a bucket {} to {} ns: buckets go up, to at most 1 s",
                        l.name, b.0, b.1
                    ));
                }
            }
            if !(0.0..=1.0).contains(&l.reads) {
                return Some(format!(
                    "lock {}'s reads {} is not a share (0 to 1)",
                    l.name, l.reads
                ));
            }
        }
        if self.slots.is_empty() {
            return Some("names locks but no slots (which lock each of the run's is)".into());
        }
        if let Some(s) = self.slots.iter().find(|&&s| s as usize >= self.locks.len()) {
            return Some(format!("a slot names lock {s}, of {}", self.locks.len()));
        }
        for (i, w) in self.workers.iter().enumerate() {
            if w.len() != self.slots.len() {
                return Some(format!(
                    "worker {i} has {} weights for {} slots",
                    w.len(),
                    self.slots.len()
                ));
            }
            if w.iter().any(|x| !x.is_finite() || *x < 0.0) || w.iter().sum::<f64>() <= 0.0 {
                return Some(format!(
                    "worker {i}'s weights are not a mix (none negative, some positive)"
                ));
            }
        }
        None
    }
}

/// The mean of a histogram of (lowest, highest, count) buckets, each uniform within.
pub fn buckets_mean(buckets: &[(u64, u64, u64)]) -> f64 {
    let n: u64 = buckets.iter().map(|b| b.2).sum();
    buckets
        .iter()
        .map(|&(low, high, c)| (low as f64 + high as f64) / 2.0 * c as f64)
        .sum::<f64>()
        / n.max(1) as f64
}

/// The mean of the piecewise-linear distribution whose quantiles at equal steps are `points`.
fn piecewise_mean(points: &[u64]) -> f64 {
    let steps = points.len().saturating_sub(1).max(1) as f64;
    points
        .windows(2)
        .map(|w| (w[0] as f64 + w[1] as f64) / 2.0)
        .sum::<f64>()
        / steps
}

impl RunConfig {
    /// Every acquisition's deadline, if the run has one.
    pub fn timeout(&self) -> Option<std::time::Duration> {
        self.timeout_ns.map(std::time::Duration::from_nanos)
    }

    /// Whether the run is timed rather than a fixed number of operations.
    pub fn timed(&self) -> bool {
        self.duration_ms.is_some()
    }

    /// Whether any busy work is asked for.
    pub fn has_work(&self) -> bool {
        self.cs_work_ns > 0 || self.think_ns > 0
    }
}
