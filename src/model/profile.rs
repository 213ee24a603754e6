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

/// The regime that replays a profile's hottest locks on lockbench's own workload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplayPlan {
    /// The locks replayed (hottest first).
    pub locks_replayed: Vec<String>,
    /// Threads: those that took a real share (at least 1%) of the replayed locks.
    pub threads: usize,
    /// Uniformly used locks with the same chance that two acquisitions meet on one lock as the
    /// program's uneven use: 1 / sum of squared acquisition shares, rounded.
    pub locks: u64,
    /// Each replayed lock's share of their acquisitions.
    pub shares: Vec<f64>,
    /// The critical section: the replayed locks' mean hold, in nanoseconds.
    pub hold_ns: u64,
    /// The work between critical sections, in nanoseconds: from the most used lock's mean gap
    /// (a thread's release to its next acquire of it), the acquisitions that fall in it taken
    /// out (see `analysis::replay`).
    pub think_ns: u64,
}
