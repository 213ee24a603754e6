//! What a worker does per operation, and what the result must then be.
//!
//! A workload is a type the hot loop is generic over, as it is over the backend: its
//! [`Operation`] is the update made inside the critical section, compiled into the loop. Beside
//! it, each workload says how the operations are split between workers and what the shared
//! value must be at the end, given what every worker did: the run's correctness check.
//!
//! - [`counter`]: every operation adds one to a shared counter (the card's 1M increments).
//! - [`bank`]: the seeds' bank account: half the workers deposit, half withdraw.
//! - [`rw`]: read-mostly: readers check a two-field record under the lock taken shared, writers
//!   update it.
//! - [`transfer`]: moves between accounts, each with its own lock, both held: lock ordering,
//!   and the deadlock of the naive order.
//!
//! [`busy`] is the busy work of `--cs-work` and `--think`.

pub mod bank;
pub mod busy;
pub mod counter;
pub mod drawn;
pub mod rw;
pub mod transfer;

use std::sync::atomic::AtomicU64;

use crate::locks::Protection;
use crate::model::{LockOrder, SideCount, Workload};

/// The shared data an operation works on, inside a lock's critical section: the value, and a
/// mirror of it on another cache line (only the rw workload keeps the mirror).
#[derive(Clone, Copy)]
pub struct Fields<'a> {
    /// The shared value (the counter; the bank's word; the rw record's first field).
    pub value: &'a AtomicU64,
    /// The rw record's second field, equal to the first whenever no write is under way.
    pub mirror: &'a AtomicU64,
}

/// One operation of a workload, made inside the backend's critical section: an update (taking
/// the lock exclusively) or, for a workload that mixes them, a read (taking it shared).
pub trait Operation: Copy + Send + 'static {
    /// Whether some operations are reads ([`Operation::next_is_read`]); `false` compiles the
    /// choice out of the loop.
    const MIXED: bool = false;

    /// Whether the next operation reads (advances the worker's own draw).
    #[inline(always)]
    fn next_is_read(&mut self) -> bool {
        false
    }

    /// Updates the fields as a backend of kind `protection` requires (a plain read, then a
    /// write, under a lock or under none; one atomic read-modify-write for the atomic
    /// baseline), with the critical section's work `cs_work` between the read and the write
    /// (`WORK` false: no work, compiled out).
    fn update<const WORK: bool>(
        self,
        fields: Fields<'_>,
        protection: Protection,
        cs_work: impl FnOnce(),
    );

    /// Whether an operation works on two locks' data at once (a transfer between accounts):
    /// the loop then takes two locks, in [`Operation::lock_order`], and calls
    /// [`Operation::update_pair`]; `false` compiles that out.
    const PAIRED: bool = false;

    /// Of the two locks (`from`, `to`), which to take first and which second.
    #[inline(always)]
    fn lock_order(self, from: usize, to: usize) -> (usize, usize) {
        (from, to)
    }

    /// Updates the data of two locks, both held (only called when [`Operation::PAIRED`]).
    #[inline(always)]
    fn update_pair<const WORK: bool>(
        self,
        from: Fields<'_>,
        to: Fields<'_>,
        protection: Protection,
        cs_work: impl FnOnce(),
    ) {
        let _ = (from, to, protection, cs_work);
    }

    /// Reads the fields, with `cs_work` between them, and says whether they disagreed (a torn
    /// read). Only called when [`Operation::MIXED`].
    #[inline(always)]
    fn read<const WORK: bool>(self, fields: Fields<'_>, cs_work: impl FnOnce()) -> bool {
        let _ = (fields, cs_work);
        false
    }
}

/// The shared word's starting value (the bank's starting balance is added when it is read).
pub fn start_value(w: Workload) -> u64 {
    match w {
        Workload::Counter
        | Workload::Bank { .. }
        | Workload::Rw { .. }
        | Workload::Transfer { .. } => 0,
    }
}

/// Operations for worker `index` of `workers`: its share of `ops`, or for a timed run (`None`)
/// as many as the workload can count (the end of the run stops it long before; the bank's
/// sides are counted in 32 bits, so a very long timed bank run ends when they are full).
pub fn quota(w: Workload, ops: Option<u64>, workers: usize, index: usize) -> u64 {
    match (w, ops) {
        (Workload::Counter | Workload::Rw { .. } | Workload::Transfer { .. }, Some(ops)) => {
            counter::quota(ops, workers, index)
        }
        // The workers' operations are summed (a transfer's twice): together they must fit.
        (Workload::Counter | Workload::Rw { .. }, None) => u64::MAX / workers as u64,
        (Workload::Transfer { .. }, None) => u64::MAX / 2 / workers as u64,
        (Workload::Bank { .. }, Some(ops)) => bank::quota(ops, workers, index),
        (Workload::Bank { .. }, None) => bank::quota(2 * bank::MAX_PER_SIDE, workers, index),
    }
}

/// What the workers completed, and what the shared data holds at the end: what a run is
/// checked against.
pub struct Outcome<'a> {
    /// Operations each worker completed.
    pub ops_by_worker: &'a [u64],
    /// Of those, the writes (for the rw workload; every operation writes in the others).
    pub writes_by_worker: &'a [u64],
    /// The shared value, summed over every lock (two's complement).
    pub value: u64,
    /// The mirror, likewise (rw only).
    pub mirror: u64,
}

/// The final check of a run: the shared data against the operations the workers completed.
pub fn check(w: Workload, o: &Outcome<'_>) -> Check {
    match w {
        Workload::Counter => counter::check(o.ops_by_worker, o.value),
        Workload::Bank { initial } => bank::check(initial, o.ops_by_worker, o.value),
        Workload::Rw { .. } => rw::check(o.writes_by_worker, o.value, o.mirror),
        Workload::Transfer { .. } => transfer::check(o.ops_by_worker, o.value, o.mirror),
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
        Workload::Rw { reads } => f.call(rw::ReadMostly::of_worker(reads, index)),
        Workload::Transfer {
            order: LockOrder::Ordered,
            ..
        } => f.call(transfer::Transfer::<false>),
        Workload::Transfer {
            order: LockOrder::Naive,
            ..
        } => f.call(transfer::Transfer::<true>),
    }
}
