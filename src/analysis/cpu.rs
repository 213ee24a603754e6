//! What a run cost the machine: the workers' CPU time and context switches over the interval
//! the throughput covers, per operation.

use super::WorkerRecord;
use crate::measure::usage::CpuUsage;
use crate::model::Interval;

/// A worker's CPU use over `interval`: the contended interval's where it saw it, else its
/// whole loop's.
pub(super) fn worker_usage(w: &WorkerRecord, interval: Interval) -> Option<CpuUsage> {
    match interval {
        Interval::Contended => w.rec.window_usage,
        Interval::WholeRun => w.rec.usage,
    }
}

/// The most CPU time over the interval's length (per worker) taken for the reading's
/// granularity rather than an impossible figure.
const MAX_UTILISATION: f64 = 1.05;

/// The run's CPU figures.
#[derive(Clone, Copy)]
pub(super) struct CpuCost {
    pub(super) cpu_ns_per_op: f64,
    pub(super) user_ns_per_op: f64,
    pub(super) system_ns_per_op: f64,
    pub(super) utilisation: f64,
    pub(super) voluntary_per_kop: f64,
    pub(super) involuntary_per_kop: f64,
}

/// CPU time and switches of every worker over `interval` (`ops` operations, `ns` long), per
/// operation; none unless every worker's use was read.
pub(super) fn cost(
    workers: &[WorkerRecord],
    interval: Interval,
    ops: u64,
    ns: u64,
) -> Option<CpuCost> {
    let mut total = CpuUsage::default();
    for w in workers {
        total = total.plus(worker_usage(w, interval)?);
    }
    if ops == 0 || ns == 0 || workers.is_empty() || total.cpu_ns() == 0 {
        return None;
    }
    let utilisation = total.cpu_ns() as f64 / (ns as f64 * workers.len() as f64);
    // The workers read their clocks where they see the interval open and close, a chunk of
    // operations from its ends: a little over 100% is that, not more CPU than there was time.
    // Beyond a few percent the figure cannot be, and none is given.
    if utilisation > MAX_UTILISATION {
        return None;
    }
    let per_op = |x: u64| x as f64 / ops as f64;
    let (user, system) = total.user_system_ns();
    Some(CpuCost {
        cpu_ns_per_op: per_op(total.cpu_ns()),
        user_ns_per_op: per_op(user),
        system_ns_per_op: per_op(system),
        utilisation: utilisation.min(1.0),
        voluntary_per_kop: per_op(total.voluntary_switches) * 1000.0,
        involuntary_per_kop: per_op(total.involuntary_switches) * 1000.0,
    })
}
