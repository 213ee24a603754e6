//! A program's own locks, as the probe (the `lockbench-probe` crate) measured them where they
//! live: one profile per run of the program. The file's format is the probe's
//! (`lockbench_probe::format`), read here as it is written there; the replay's plan is ours.

use serde::{Deserialize, Serialize};

pub use lockbench_probe::format::{
    CondvarProfile, CrateVersion, Distribution, Ended, LockKind, LockProfile, PROFILE_FORMAT,
    PROFILE_VERSION, Profile, ProfileBackend, ProfileError, ProgramEnvironment,
};

/// A profile's distribution as a histogram: its buckets (the probe writes those), or the
/// encoded histogram of a version 1 profile.
pub fn histogram(d: &Distribution) -> Result<hdrhistogram::Histogram<u64>, String> {
    if d.buckets.is_empty() {
        return crate::measure::recorder::decode_histogram(&d.histogram);
    }
    let mut h = hdrhistogram::Histogram::<u64>::new(3).map_err(|e| format!("histogram: {e:?}"))?;
    for (value, n) in d.counts() {
        h.record_n(value, n)
            .map_err(|e| format!("histogram value {value}: {e:?}"))?;
    }
    Ok(h)
}

/// The regime that replays a profile's hottest locks on lockbench's own workload: the program's
/// threads, each taking the objects of those locks in its own measured mix, readers shared.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplayPlan {
    /// The locks replayed (hottest first).
    pub locks_replayed: Vec<String>,
    /// Each replayed lock's share of their acquisitions.
    pub shares: Vec<f64>,
    /// Each replayed lock's share of reads (acquisitions taken shared).
    pub reads: Vec<f64>,
    /// The replay's locks: for each, the replayed lock (its index) whose object it stands for.
    pub slots: Vec<u32>,
    /// The program's threads replayed (their numbers in the profile): those with at least 1%
    /// of the replayed acquisitions.
    pub threads: Vec<u32>,
    /// Each replayed thread's weight for each of the replay's locks (its share of the
    /// acquisitions, all threads' weights summing to 1).
    pub workers: Vec<Vec<f64>>,
    /// How many evenly used locks meet as often as these: 1 / the sum of the slots' squared
    /// shares.
    pub even_locks: f64,
    /// The replayed locks' mean hold, in nanoseconds (weighted by acquisitions).
    pub hold_ns: f64,
    /// Their mean think time (a thread's release to its next acquisition), in nanoseconds.
    pub think_ns: f64,
    /// What the plan had to assume where the profile does not say, in sentences.
    pub assumed: Vec<String>,
}

impl ReplayPlan {
    /// Whether any replayed lock is taken shared.
    pub fn reads(&self) -> bool {
        self.reads.iter().any(|&r| r > 0.0)
    }
}

/// One quantity of a replay beside the program's, measured the same way on both sides.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FidelityRow {
    /// What it is.
    pub what: String,
    /// Its unit.
    pub unit: FidelityUnit,
    /// The program's figure.
    pub program: Option<f64>,
    /// The replay's.
    pub replay: Option<f64>,
}

/// The unit of a [`FidelityRow`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FidelityUnit {
    /// A share (0 to 1).
    Share,
    /// Nanoseconds.
    Nanoseconds,
    /// Per second.
    PerSecond,
    /// A plain ratio.
    Ratio,
}

impl FidelityRow {
    /// How many times off the program's figure the replay's is (either way), where both are
    /// known and positive.
    pub fn off(&self) -> Option<f64> {
        let (a, b) = (self.program?, self.replay?);
        (a > 0.0 && b > 0.0).then(|| (a / b).max(b / a))
    }
}
