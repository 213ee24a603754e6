//! The counter: each operation adds one to a shared counter inside the backend's critical
//! section, as a plain read then a write (the seeds' `current = counter; ...; counter =
//! current + 1`), with optional work between the read and the write (`--cs-work`, as the seeds'
//! `sleep` is). Correct when the counter equals the operations done.

use super::{Check, Fields, Operation};
use crate::locks::Protection;

/// Adds one.
#[derive(Clone, Copy, Debug)]
pub struct Increment;

impl Operation for Increment {
    #[inline(always)]
    fn update<const WORK: bool>(
        self,
        fields: Fields<'_>,
        protection: Protection,
        cs_work: impl FnOnce(),
    ) {
        super::add::<WORK>(fields.value, 1, protection, cs_work);
    }
}

/// An even split of `ops`, the remainder one each to the first workers.
pub fn quota(ops: u64, workers: usize, index: usize) -> u64 {
    let workers = workers as u64;
    ops / workers + u64::from((index as u64) < ops % workers)
}

/// Every operation done added one: the counter must equal the operations.
pub fn check(ops_by_worker: &[u64], value: u64) -> Check {
    let expected = ops_by_worker.iter().sum::<u64>() as i64;
    let actual = value as i64;
    Check {
        expected,
        actual,
        lost_updates: expected.abs_diff(actual),
        sides: None,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn quotas_split_the_remainder() {
        let q: Vec<u64> = (0..4).map(|i| super::quota(10, 4, i)).collect();
        assert_eq!(q, [3, 3, 2, 2]);
        let c = super::check(&q, 9);
        assert_eq!((c.expected, c.actual, c.lost_updates), (10, 9, 1));
    }
}
