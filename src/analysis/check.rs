//! A run's correctness check.

use super::RunRecord;
use crate::locks::Protection;
use crate::model::{RunConfig, Verdict, Verification};
use crate::workload;

/// The run's correctness check: the shared value against what the completed operations add up
/// to, and the exclusion check. A lost update or two workers inside together are failures
/// under a lock; under no lock, the lesson.
pub(super) fn verify(
    cfg: &RunConfig,
    protection: Protection,
    record: &RunRecord,
    exclusion_violations: u64,
) -> Verification {
    let ops: Vec<u64> = record.workers.iter().map(|w| w.rec.ops).collect();
    let writes: Vec<u64> = record
        .workers
        .iter()
        .map(|w| w.rec.ops - w.rec.reads)
        .collect();
    let check = workload::check(
        cfg.workload,
        &workload::Outcome {
            ops_by_worker: &ops,
            writes_by_worker: &writes,
            value: record.value,
            mirror: record.mirror,
        },
    );
    let torn_reads: u64 = record.workers.iter().map(|w| w.rec.torn_reads).sum();
    let verdict = match (check.lost_updates, protection) {
        (0, Protection::Lock) if exclusion_violations > 0 => Verdict::ExclusionViolated,
        (0, Protection::Lock) if torn_reads > 0 => Verdict::TornReads,
        (0, _) => Verdict::Ok,
        (_, Protection::Unsynchronised) => Verdict::LostUpdatesExpected,
        _ => Verdict::LostUpdates,
    };
    Verification {
        expected: check.expected,
        actual: check.actual,
        lost_updates: check.lost_updates,
        deposits: check.sides.map(|s| s.0),
        withdrawals: check.sides.map(|s| s.1),
        verdict,
    }
}
