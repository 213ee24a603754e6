//! The seeds' lock-ordering lesson: accounts, each with its own lock, and transfers of one unit
//! from one account to another, holding both locks. Taken in one global order (the
//! lower-numbered account first) no cycle of waits can form; taken source first, as the seeds'
//! naive transfer does, two opposite transfers can each hold one lock and wait for the other's
//! forever: a deadlock, which the runner detects and reports.
//!
//! Each account's value is its balance (two's complement, starting at zero); its mirror counts
//! the transfers that touched it. The balances must sum to zero, and the touches to twice the
//! transfers done.

use super::{Check, Fields, Operation};
use crate::locks::Protection;

/// A transfer of one unit; `NAIVE` takes the source account's lock first, otherwise the
/// lower-numbered account's.
#[derive(Clone, Copy, Debug)]
pub struct Transfer<const NAIVE: bool>;

impl<const NAIVE: bool> Operation for Transfer<NAIVE> {
    const PAIRED: bool = true;

    #[inline(always)]
    fn lock_order(self, from: usize, to: usize) -> (usize, usize) {
        if NAIVE || from < to {
            (from, to)
        } else {
            (to, from)
        }
    }

    #[inline(always)]
    fn update<const WORK: bool>(self, _: Fields<'_>, _: Protection, _: impl FnOnce()) {
        // A transfer always has two accounts: the loop calls `update_pair`.
    }

    #[inline(always)]
    fn update_pair<const WORK: bool>(
        self,
        from: Fields<'_>,
        to: Fields<'_>,
        protection: Protection,
        cs_work: impl FnOnce(),
    ) {
        super::add::<WORK>(from.value, 1u64.wrapping_neg(), protection, cs_work);
        super::add::<false>(to.value, 1, protection, || {});
        super::add::<false>(from.mirror, 1, protection, || {});
        super::add::<false>(to.mirror, 1, protection, || {});
    }
}

/// Checks the accounts: the balances (`balance`, their two's-complement sum) must sum to zero,
/// and the touches (`touches`, the mirrors' sum) must be twice the transfers done. A lost
/// update shows in both; the count of lost updates is the touches missing (or, if none is,
/// the balance's distance from zero).
pub fn check(ops_by_worker: &[u64], balance: u64, touches: u64) -> Check {
    let transfers: u64 = ops_by_worker.iter().sum();
    let expected = (2 * transfers) as i64;
    let actual = touches as i64;
    let balance = balance as i64;
    Check {
        expected,
        actual,
        lost_updates: expected.abs_diff(actual).max(balance.unsigned_abs()),
        sides: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_order_is_global_or_the_sources() {
        assert_eq!(Transfer::<false>.lock_order(5, 2), (2, 5));
        assert_eq!(Transfer::<false>.lock_order(2, 5), (2, 5));
        assert_eq!(Transfer::<true>.lock_order(5, 2), (5, 2));
    }

    #[test]
    fn balances_and_touches_are_both_checked() {
        let ok = check(&[3, 4], 0, 14);
        assert_eq!((ok.expected, ok.actual, ok.lost_updates), (14, 14, 0));
        let lost_touch = check(&[3, 4], 0, 12);
        assert_eq!(lost_touch.lost_updates, 2);
        let off_balance = check(&[3, 4], 1u64.wrapping_neg(), 14);
        assert_eq!(off_balance.lost_updates, 1);
    }
}
