//! What a worker does per operation, and what the result must then be.
//!
//! A workload is a type the hot loop is generic over, as it is over the backend: its
//! [`Operation`] is the update made inside the critical section, compiled into the loop. Beside
//! it, each workload says how the operations are split between workers and what the shared
//! value must be at the end, given what every worker did: the run's correctness check.
//!
//! - [`counter`]: every operation adds one to a shared counter (the card's 1M increments).
//! - [`bank`]: the seeds' bank account: half the workers deposit, half withdraw.
//!
//! [`busy`] is the busy work of `--cs-work` and `--think`.

pub mod bank;
pub mod busy;
pub mod counter;

use std::sync::atomic::AtomicU64;

use crate::locks::Protection;
use crate::model::{SideCount, Workload};

/// One operation's update of the shared value, made inside the backend's critical section.
pub trait Operation: Copy + Send + 'static {
    /// Updates `value` as a backend of kind `protection` requires (a plain read, then a write,
    /// under a lock or under none; one atomic read-modify-write for the atomic baseline), with
    /// the critical section's work `cs_work` between the read and the write (`WORK` false: no
    /// work, compiled out).
    fn update<const WORK: bool>(
        self,
        value: &AtomicU64,
        protection: Protection,
        cs_work: impl FnOnce(),
    );
}

/// The shared word's starting value (the bank's starting balance is added when it is read).
pub fn start_value(w: Workload) -> u64 {
    match w {
        Workload::Counter | Workload::Bank { .. } => 0,
    }
}

/// Operations for worker `index` of `workers`: its share of `ops`, or for a timed run (`None`)
/// as many as the workload can count (the end of the run stops it long before; the bank's
/// sides are counted in 32 bits, so a very long timed bank run ends when they are full).
pub fn quota(w: Workload, ops: Option<u64>, workers: usize, index: usize) -> u64 {
    match (w, ops) {
        (Workload::Counter, Some(ops)) => counter::quota(ops, workers, index),
        // The workers' operations are summed: together they must fit.
        (Workload::Counter, None) => u64::MAX / workers as u64,
        (Workload::Bank { .. }, Some(ops)) => bank::quota(ops, workers, index),
        (Workload::Bank { .. }, None) => bank::quota(2 * bank::MAX_PER_SIDE, workers, index),
    }
}

/// The final check of a run: the shared word `value` against the operations the workers
/// completed.
pub fn check(w: Workload, ops_by_worker: &[u64], value: u64) -> Check {
    match w {
        Workload::Counter => counter::check(ops_by_worker, value),
        Workload::Bank { initial } => bank::check(initial, ops_by_worker, value),
    }
}

/// What a workload's final check found.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Check {
    /// The value the completed operations add up to (the counter; the bank's balance).
    pub expected: i64,
    /// The value found.
    pub actual: i64,
    /// Updates lost: for the bank, the deposits and the withdrawals lost, added.
    pub lost_updates: u64,
    /// The bank's deposits and withdrawals, each counted.
    pub sides: Option<(SideCount, SideCount)>,
}

/// Adds `delta` (two's complement) to `value` as `protection` requires; the update every
/// workload so far makes.
#[inline(always)]
pub(crate) fn add<const WORK: bool>(
    value: &AtomicU64,
    delta: u64,
    protection: Protection,
    cs_work: impl FnOnce(),
) {
    use std::sync::atomic::Ordering;
    match protection {
        Protection::AtomicRmw => {
            // Relaxed: the increment needs atomicity only; the total is read after join.
            value.fetch_add(delta, Ordering::Relaxed);
            if WORK {
                cs_work();
            }
        }
        Protection::Lock | Protection::Unsynchronised => {
            // Relaxed load and store: under a lock, the lock's Acquire/Release orders them;
            // under `none` nothing does, and the interleaving of other workers' load/store
            // pairs between ours is exactly the lost update being demonstrated.
            let current = value.load(Ordering::Relaxed);
            if WORK {
                cs_work();
            }
            value.store(current.wrapping_add(delta), Ordering::Relaxed);
        }
    }
}

/// Code generic over an [`Operation`], called with the operation a workload gives a worker.
pub trait WithOperation {
    /// What the call returns.
    type Output;
    /// Called with worker's operation.
    fn call<O: Operation>(self, operation: O) -> Self::Output;
}

/// Calls `f` with the operation of worker `index` under workload `w`: the one place where a
/// workload's parameters become the type the hot loop is compiled for.
pub fn with_operation<F: WithOperation>(w: Workload, index: usize, f: F) -> F::Output {
    match w {
        Workload::Counter => f.call(counter::Increment),
        Workload::Bank { .. } => f.call(bank::Transaction::of_worker(index)),
    }
}
