//! The rw workload's figures: its reads and writes apart.

use hdrhistogram::Histogram;

use super::{WorkerRecord, merged};
use crate::measure::recorder::Recorder;
use crate::measure::stats::LatencySummary;
use crate::model::{ReadWrite, RunConfig};

/// The rw workload's reads and writes apart (`None` for the other workloads).
pub(super) fn read_write(
    cfg: &RunConfig,
    workers: &[WorkerRecord],
    total_ops: u64,
    ops_per_sec: f64,
) -> Option<ReadWrite> {
    if !matches!(cfg.workload, crate::model::Workload::Rw { .. }) {
        return None;
    }
    let reads: u64 = workers.iter().map(|w| w.rec.reads).sum();
    let writes = total_ops - reads;
    let share = |n: u64| n as f64 / total_ops.max(1) as f64;
    let summary = |of: fn(&Recorder) -> &Histogram<u64>| LatencySummary::of(&merged(workers, of));
    Some(ReadWrite {
        reads,
        writes,
        torn_reads: workers.iter().map(|w| w.rec.torn_reads).sum(),
        reads_per_sec: ops_per_sec * share(reads),
        writes_per_sec: ops_per_sec * share(writes),
        read_latency: summary(|r| &r.read_wait_ns),
        write_latency: summary(|r| &r.write_wait_ns),
    })
}
