//! An A/B of the backends in a user's own program: every run, and the ranking.

use serde::{Deserialize, Serialize};

use super::Environment;

/// What an ab.json says it is.
pub const AB_FORMAT: &str = "lockbench-ab";
/// The version of the ab.json this build writes.
pub const AB_VERSION: u32 = 1;

/// `lockbench ab`'s result.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AbResults {
    /// Always [`AB_FORMAT`].
    pub format: String,
    /// [`AB_VERSION`] when written.
    pub version: u32,
    /// The program and its arguments.
    pub command: Vec<String>,
    /// What the runs are ranked by.
    pub measure: AbMeasure,
    /// Runs per backend asked for.
    pub repeat: u32,
    /// The time limit of one run, in nanoseconds.
    pub max_time_ns: u64,
    /// Whether the ranked runs recorded (`false`: `LOCKBENCH_RECORD=off`).
    pub recorded: bool,
    /// The runs made to record a profile, one per backend, not ranked (when the ranked runs
    /// did not record).
    #[serde(default)]
    pub profiled: Vec<AbRun>,
    /// Whether the A/B was interrupted before every run was made.
    pub interrupted: bool,
    /// Every run, in the order made.
    pub runs: Vec<AbRun>,
    /// The backends with a figure, best first.
    pub ranking: Vec<AbRanked>,
    /// How many of the first are leaders: the best and every one not clearly behind it.
    pub leaders: usize,
    /// Why the order is not judged (too few good runs), if it is not.
    pub unjudged: Option<String>,
    /// Backends not ranked, and why.
    pub excluded: Vec<(String, String)>,
    /// How many comparisons the ranking rule's family held (every pair of ranked backends).
    #[serde(default)]
    pub comparisons: usize,
    /// The seed of the rounds' orders (each round's backends in a fresh order drawn from it).
    #[serde(default)]
    pub order_seed: Option<u64>,
    /// Where it ran.
    pub environment: Environment,
}

/// What ranks the runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "by")]
pub enum AbMeasure {
    /// The program's wall time, start to exit: smaller is better.
    WallTime,
    /// A figure the program prints, matched by `regex`.
    Metric {
        /// The regular expression; its first group is the figure.
        regex: String,
        /// Whether a larger figure is better.
        higher_is_better: bool,
    },
}

impl AbMeasure {
    /// Whether a larger figure is better.
    pub fn higher_is_better(&self) -> bool {
        match self {
            AbMeasure::WallTime => false,
            AbMeasure::Metric {
                higher_is_better, ..
            } => *higher_is_better,
        }
    }
}

/// One run of the program.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AbRun {
    /// The backend it ran under.
    pub backend: String,
    /// Its round (from 1).
    pub round: u32,
    /// Its wall time, in nanoseconds.
    pub wall_ns: u64,
    /// How it ended.
    pub outcome: AbOutcome,
    /// The figure `--metric` found, if asked.
    pub metric: Option<f64>,
    /// The profile it left, if any.
    pub profile: Option<String>,
    /// Its hottest lock, from the profile.
    pub hottest: Option<AbHottest>,
}

impl AbRun {
    /// The figure the run is ranked by, if it counts.
    pub fn figure(&self, measure: &AbMeasure) -> Option<f64> {
        if self.outcome != AbOutcome::Ok {
            return None;
        }
        match measure {
            AbMeasure::WallTime => Some(self.wall_ns as f64 / 1e9),
            AbMeasure::Metric { .. } => self.metric,
        }
    }
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "how")]
pub enum AbOutcome {
    /// It exited 0 (and printed the metric, when one was asked for).
    Ok,
    /// It exited with another status, or a signal ended it.
    Failed {
        /// What ended it, in words.
        why: String,
        /// The last lines it wrote to stderr.
        stderr_tail: String,
    },
    /// The time limit stopped it.
    TimedOut,
    /// It exited 0 but its output never matched `--metric`.
    NoMetric,
}

/// A run's hottest lock, as its profile gave it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AbHottest {
    /// Its name.
    pub name: String,
    /// The share of its acquisitions that waited.
    pub contention: f64,
    /// Its 99th percentile wait, in nanoseconds.
    pub wait_p99_ns: u64,
    /// Its acquisitions.
    pub acquisitions: u64,
}

/// A backend in the ranking.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AbRanked {
    /// The backend.
    pub backend: String,
    /// The median of its good runs' figures (seconds for wall time).
    pub median: f64,
    /// The best of them.
    pub best: f64,
    /// The worst of them.
    pub worst: f64,
    /// Its good runs.
    pub runs: usize,
    /// The ranking rule's p-value against the leader, adjusted for every comparison of the
    /// A/B (none for the leader itself, or where the order is not judged).
    pub p_vs_top: Option<f64>,
    /// Whether it is behind the leader beyond the noise of the runs.
    pub clearly_behind: bool,
}
