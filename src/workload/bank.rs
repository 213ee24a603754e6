//! The seeds' bank account: even-numbered workers deposit 1, odd-numbered ones withdraw 1, the
//! same number of times each (a depositor and a withdrawer per pair), so the balance must end
//! where it started. Each update is a plain read then a write of the balance, as the counter's.

use std::sync::atomic::AtomicU64;

use super::Operation;
use super::busy::BusyWork;
use crate::locks::Protection;

/// A deposit or a withdrawal of one unit.
#[derive(Clone, Copy, Debug)]
pub struct Transaction {
    /// +1 or -1, two's complement.
    delta: u64,
}

impl Transaction {
    /// What worker `index` does: deposits when even, withdraws when odd.
    pub fn of_worker(index: usize) -> Transaction {
        Transaction {
            delta: delta(index) as u64,
        }
    }
}

impl Operation for Transaction {
    #[inline(always)]
    fn update<const WORK: bool>(
        self,
        value: &AtomicU64,
        protection: Protection,
        cs_work: BusyWork,
    ) {
        super::add::<WORK>(value, self.delta, protection, cs_work);
    }
}

/// What worker `index` adds to the balance per operation.
pub fn delta(index: usize) -> i64 {
    if index % 2 == 1 { -1 } else { 1 }
}

/// The split is by depositor/withdrawer pair, and both of a pair get the same count, so that
/// deposits and withdrawals balance.
pub fn quota(ops: u64, workers: usize, index: usize) -> u64 {
    let (pairs, per_side) = (workers as u64 / 2, ops / 2);
    let pair = index as u64 / 2;
    per_side / pairs + u64::from(pair < per_side % pairs)
}

/// The starting balance, plus the deposits, minus the withdrawals the workers completed.
pub fn expected(initial: i64, ops_by_worker: &[u64]) -> i64 {
    ops_by_worker
        .iter()
        .enumerate()
        .fold(initial, |sum, (i, &ops)| {
            sum.wrapping_add(delta(i).wrapping_mul(ops as i64))
        })
}

#[cfg(test)]
mod tests {
    #[test]
    fn quotas_balance_deposits_and_withdrawals() {
        let q: Vec<u64> = (0..4).map(|i| super::quota(14, 4, i)).collect();
        assert_eq!(q, [4, 4, 3, 3]);
        assert_eq!(super::expected(200, &q), 200);
        assert_eq!(super::expected(200, &[4, 3, 3, 3]), 201);
    }
}
