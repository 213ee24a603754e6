//! Read-mostly access, the seeds' reader/writer lesson: `--reads` percent of operations are
//! reads, which take the lock shared and read a record of two fields on separate cache lines;
//! the others are writes, which take it exclusively and add one to each field, with the
//! critical section's work between the two. Every write leaves the fields equal, so a reader
//! that finds them different has seen a write half done: a torn read, counted. Under any lock
//! that is a failure; without one (`none`), or with per-field atomics only (`atomic`), it is the
//! lesson, as lost updates are for the counter.
//!
//! Correct when both fields equal the writes done, and no read was torn.

use std::sync::atomic::Ordering;

use super::{Check, Fields, Operation};
use crate::locks::Protection;

/// A worker's draw of reads and writes: a xorshift64 generator seeded by its index, and the
/// threshold below which a draw is a read.
#[derive(Clone, Copy, Debug)]
pub struct ReadMostly {
    state: u64,
    /// A draw (64 bits) below this is a read: `reads` percent of the range.
    threshold: u64,
    /// Every operation reads (`--reads 100`): the threshold cannot say so.
    all: bool,
}

impl ReadMostly {
    /// The draw of worker `index` with `reads` percent of reads.
    pub fn of_worker(reads: u8, index: usize) -> ReadMostly {
        ReadMostly {
            // Never zero (xorshift's fixed point): the index's odd multiple.
            state: (index as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
            threshold: ((u128::from(u64::MAX) + 1) * u128::from(reads.min(100)) / 100) as u64,
            all: reads >= 100,
        }
    }
}

impl Operation for ReadMostly {
    const MIXED: bool = true;

    #[inline(always)]
    fn next_is_read(&mut self) -> bool {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        self.all || self.state < self.threshold
    }

    #[inline(always)]
    fn update<const WORK: bool>(
        self,
        fields: Fields<'_>,
        protection: Protection,
        cs_work: impl FnOnce(),
    ) {
        match protection {
            Protection::AtomicRmw => {
                // Relaxed: each field's increment is atomic on its own; the two together are
                // not, which a reader between them sees (the lesson of the atomic baseline).
                fields.value.fetch_add(1, Ordering::Relaxed);
                if WORK {
                    cs_work();
                }
                fields.mirror.fetch_add(1, Ordering::Relaxed);
            }
            Protection::Lock | Protection::Unsynchronised => {
                // Relaxed loads and stores: under a lock its Acquire/Release orders them; under
                // `none` nothing does, and that is what is shown.
                let first = fields.value.load(Ordering::Relaxed);
                fields.value.store(first.wrapping_add(1), Ordering::Relaxed);
                if WORK {
                    cs_work();
                }
                let second = fields.mirror.load(Ordering::Relaxed);
                fields
                    .mirror
                    .store(second.wrapping_add(1), Ordering::Relaxed);
            }
        }
    }

    #[inline(always)]
    fn read<const WORK: bool>(self, fields: Fields<'_>, cs_work: impl FnOnce()) -> bool {
        // Relaxed: under a reader-writer lock the lock orders these against every writer's;
        // what a reader may see without one is the point.
        let first = fields.value.load(Ordering::Relaxed);
        if WORK {
            cs_work();
        }
        first != fields.mirror.load(Ordering::Relaxed)
    }
}

/// Every write added one to each field: both must equal the writes done. A field short of them
/// lost updates (the larger shortfall is counted).
pub fn check(writes_by_worker: &[u64], value: u64, mirror: u64) -> Check {
    let expected = writes_by_worker.iter().sum::<u64>() as i64;
    let actual = value as i64;
    Check {
        expected,
        actual,
        lost_updates: expected
            .abs_diff(actual)
            .max(expected.abs_diff(mirror as i64)),
        sides: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_draw_reads_the_share_asked_for() {
        for reads in [0u8, 1, 50, 90, 99, 100] {
            let mut op = ReadMostly::of_worker(reads, 3);
            let n = 100_000;
            let got = (0..n).filter(|_| op.next_is_read()).count() as f64 / n as f64;
            assert!(
                (got - f64::from(reads) / 100.0).abs() < 0.01,
                "{reads}%: drew {got}"
            );
        }
    }

    #[test]
    fn a_write_keeps_the_fields_equal_and_a_reader_sees_a_half_done_one() {
        use std::sync::atomic::AtomicU64;
        let (value, mirror) = (AtomicU64::new(0), AtomicU64::new(0));
        let fields = Fields {
            value: &value,
            mirror: &mirror,
        };
        let op = ReadMostly::of_worker(50, 0);
        // A reader inside the writer's critical section (as without a lock) sees it torn.
        op.update::<true>(fields, Protection::Lock, || {
            assert!(op.read::<false>(fields, || ()));
        });
        assert!(!op.read::<false>(fields, || ()));
        assert_eq!((value.into_inner(), mirror.into_inner()), (1, 1));
        let c = check(&[1], 1, 0);
        assert_eq!(c.lost_updates, 1, "a lost update to the mirror counts");
    }
}
