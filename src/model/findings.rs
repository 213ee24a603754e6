//! The answer a sweep gives to "which lock?", as `analysis::verdict` reads it from the points:
//! per worker count (and regime), the locks ranked by throughput, which of them lead beyond the
//! noise of their repetitions, and the caveats the other figures give. Plain data; the words are
//! made in `report::verdict`.

use serde::{Deserialize, Serialize};

use super::{Regime, SeriesKey, Spread};

/// The verdict of a whole sweep.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Findings {
    /// One group per regime and worker count, in the sweep's order (regimes outer).
    pub groups: Vec<FindingGroup>,
    /// Whether the sweep has more than one regime (the words then name each group's).
    pub many_regimes: bool,
}

/// The verdict at one worker count in one regime.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FindingGroup {
    /// The contention regime.
    pub regime: Regime,
    /// Workers (threads or processes).
    pub workers: usize,
    /// More workers than CPUs.
    pub oversubscribed: bool,
    /// The CPUs lockbench could use.
    pub cpus: usize,
    /// The locks that can be ranked (verified, complete), fastest first by median throughput.
    pub ranking: Vec<Ranked>,
    /// How many locks at the head of `ranking` cannot be told apart from the fastest: 1 when
    /// the fastest is ahead of every other beyond the noise.
    pub leaders: usize,
    /// Why there is no verdict on the order, when there is none (too few repetitions).
    pub unjudged: Option<String>,
    /// The rounds every ranked lock ran in, which the ranking rule used.
    #[serde(default)]
    pub rounds: usize,
    /// The fastest against the first lock that is not a leader.
    pub versus_next: Option<Contrast>,
    /// The fastest against `std` (threads), when `std` was measured and is not the fastest.
    pub versus_std: Option<Contrast>,
    /// What else the figures say about the leaders and this point.
    pub caveats: Vec<Caveat>,
    /// Locks left out of the ranking, and why.
    pub excluded: Vec<(SeriesKey, String)>,
}

/// One lock's place in a ranking.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Ranked {
    /// The series.
    pub series: SeriesKey,
    /// Its throughput over the repetitions.
    pub ops_per_sec: Spread,
    /// How many repetitions.
    pub repetitions: usize,
}

/// The fastest lock against another.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Contrast {
    /// The other lock.
    pub other: SeriesKey,
    /// Fastest median / other median.
    pub ratio: f64,
    /// Whether the fastest is ahead beyond the noise of the repetitions, by the ranking rule.
    pub clear: bool,
    /// The ranking rule's p-value of the difference, adjusted for every comparison of the
    /// group (none where the order is not judged).
    #[serde(default)]
    pub p: Option<f64>,
    /// How many comparisons the group's family held (every pair of ranked locks).
    #[serde(default)]
    pub comparisons: usize,
    /// Whether every repetition of the fastest beat every repetition of the other.
    #[serde(default)]
    pub ranges_apart: bool,
}

/// A caveat on a point's figures.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Caveat {
    /// A leader rarely hands the lock to another worker, and some waits were very long.
    Starves {
        /// The lock.
        series: SeriesKey,
        /// Median hand-off rate.
        handoff_rate: f64,
        /// Longest wait to acquire, ns.
        max_wait_ns: u64,
        /// Median wait, ns.
        p50_wait_ns: u64,
    },
    /// A leader burns much more CPU per operation than the least hungry lock.
    CpuHungry {
        /// The lock.
        series: SeriesKey,
        /// Its median CPU time per operation, ns.
        cpu_ns_per_op: f64,
        /// The lock with the least CPU time per operation.
        thriftiest: SeriesKey,
        /// That lock's median, ns.
        thriftiest_ns_per_op: f64,
    },
    /// A leader's repetitions lie far apart.
    WideSpread {
        /// The lock.
        series: SeriesKey,
        /// (max - min) / median of its throughput.
        relative_width: f64,
    },
    /// Some of a leader's runs were too short, or mostly uncontended.
    ShortRuns {
        /// The lock.
        series: SeriesKey,
        /// How many of its runs.
        runs: u32,
    },
    /// A leader's figures cover the whole run, not a contended interval, in some runs.
    WholeRun {
        /// The lock.
        series: SeriesKey,
    },
}
