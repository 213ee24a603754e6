//! The timed acquisitions of a run that found the lock taken, as a program's profile counts
//! its contended ones: their share and their waits.

use super::{WorkerRecord, merged};
use crate::measure::stats::LatencySummary;
use crate::model::ContendedWaits;

/// The timed acquisitions that found the lock taken, of `timed` in all (`None`: none timed).
pub(super) fn waits(workers: &[WorkerRecord], timed: u64) -> Option<ContendedWaits> {
    let waits = merged(workers, |r| &r.contended_wait_ns);
    (timed > 0).then(|| ContendedWaits {
        share: waits.len() as f64 / timed as f64,
        latency: LatencySummary::of(&waits),
    })
}
