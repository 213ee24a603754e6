//! The seeds' bank account: even-numbered workers deposit 1, odd-numbered ones withdraw 1, the
//! same number of times each (a depositor and a withdrawer per pair), so the balance must end
//! where it started. Each update is a plain read then a write of one shared word, as the
//! counter's, so deposits and withdrawals race with each other as the seeds' do.
//!
//! The word counts deposits in its high half and withdrawals in its low half; the balance is
//! the starting balance plus one, minus the other. A lost deposit and a lost withdrawal would
//! cancel out in a balance kept as one number; counted apart, each loss shows on its own side.

use super::{Check, Fields, Operation};
use crate::locks::Protection;
use crate::model::SideCount;

/// What a deposit adds to the shared word: one in the high half.
pub const DEPOSIT: u64 = 1 << 32;
/// What a withdrawal adds to the shared word: one in the low half.
pub const WITHDRAWAL: u64 = 1;
/// Most operations one side may make: each half of the word must hold its count.
pub const MAX_PER_SIDE: u64 = u32::MAX as u64;

/// A deposit or a withdrawal of one unit.
#[derive(Clone, Copy, Debug)]
pub struct Transaction {
    /// [`DEPOSIT`] or [`WITHDRAWAL`].
    add: u64,
}

impl Transaction {
    /// What worker `index` does: deposits when even, withdraws when odd.
    pub fn of_worker(index: usize) -> Transaction {
        Transaction {
            add: if index % 2 == 1 { WITHDRAWAL } else { DEPOSIT },
        }
    }
}

impl Operation for Transaction {
    #[inline(always)]
    fn update<const WORK: bool>(
        self,
        fields: Fields<'_>,
        protection: Protection,
        cs_work: impl FnOnce(),
    ) {
        super::add::<WORK>(fields.value, self.add, protection, cs_work);
    }
}

/// The split is by depositor/withdrawer pair, and both of a pair get the same count, so that
/// deposits and withdrawals balance.
pub fn quota(ops: u64, workers: usize, index: usize) -> u64 {
    let (pairs, per_side) = (workers as u64 / 2, ops / 2);
    let pair = index as u64 / 2;
    per_side / pairs + u64::from(pair < per_side % pairs)
}

/// Checks the shared word `value` against the operations the workers completed: each side's
/// count exactly, and the balance they make from `initial`.
pub fn check(initial: i64, ops_by_worker: &[u64], value: u64) -> Check {
    let side = |parity: usize| -> u64 {
        ops_by_worker
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 2 == parity)
            .map(|(_, &ops)| ops)
            .sum()
    };
    let deposits = SideCount {
        expected: side(0),
        actual: value >> 32,
    };
    let withdrawals = SideCount {
        expected: side(1),
        actual: value & MAX_PER_SIDE,
    };
    let balance = |d: u64, w: u64| initial.wrapping_add(d as i64).wrapping_sub(w as i64);
    Check {
        expected: balance(deposits.expected, withdrawals.expected),
        actual: balance(deposits.actual, withdrawals.actual),
        lost_updates: deposits.lost() + withdrawals.lost(),
        sides: Some((deposits, withdrawals)),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn quotas_balance_deposits_and_withdrawals() {
        let q: Vec<u64> = (0..4).map(|i| super::quota(14, 4, i)).collect();
        assert_eq!(q, [4, 4, 3, 3]);
    }

    #[test]
    fn each_side_is_checked_so_that_losses_cannot_cancel() {
        use super::{DEPOSIT, WITHDRAWAL, check};
        let all = 7 * DEPOSIT + 6 * WITHDRAWAL;
        let ok = check(200, &[4, 3, 3, 3], all);
        assert_eq!((ok.expected, ok.actual, ok.lost_updates), (201, 201, 0));
        // One deposit and one withdrawal lost: the balance is right, the sides are not.
        let symmetric = check(200, &[4, 3, 3, 3], all - DEPOSIT - WITHDRAWAL);
        assert_eq!(symmetric.expected, symmetric.actual);
        assert_eq!(symmetric.lost_updates, 2);
        let (d, w) = symmetric.sides.unwrap();
        assert_eq!((d.expected, d.actual, w.expected, w.actual), (7, 6, 6, 5));
    }
}
