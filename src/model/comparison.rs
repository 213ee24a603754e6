//! Two sweeps side by side, as `analysis::compare` makes them.

use serde::{Deserialize, Serialize};

use super::{Regime, SeriesKey, Spread};

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
    /// The contention regime.
    #[serde(default)]
    pub regime: Regime,
    /// Throughput before.
    pub before: Option<Spread>,
    /// Throughput after.
    pub after: Option<Spread>,
    /// after / before, of the medians.
    pub ratio: Option<f64>,
    /// The verdict.
    pub change: Change,
    /// The ranking rule's p-value of "no change", adjusted for every point tested together,
    /// when a test was made.
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
