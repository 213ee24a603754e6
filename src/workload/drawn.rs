//! Work lengths drawn per operation (`--draw-work`): each kind of lock's critical sections and
//! think times as weighted buckets drawn by the alias method, which kind each of the run's
//! locks is, and (a replay) each worker's own mix of them and each kind's share of reads.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::busy::{AWAY_NS, BusyWork, work_for};
use crate::measure::clock::Clock;
use crate::model::{WorkCalibration, WorkDraws, WorkUnit};

/// Work lengths drawn per operation (`--draw-work`), in the unit the loop runs: each kind of
/// lock's critical sections and think times as weighted buckets, already in clock ticks or
/// loop iterations, drawn by the alias method (one multiply, one compare); which kind each lock
/// is; and, in a replay, each worker's own mix of the locks and each kind's share of reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawnWork {
    /// Whether the lengths count loop iterations (else clock ticks).
    iterations: bool,
    /// The length (in clock ticks) from which a drawn length is spent away
    /// ([`BusyWork::Away`]); never, in iterations.
    away: u64,
    /// Each kind of lock's draws.
    kinds: Vec<KindDraws>,
    /// The kind of each of the run's locks (empty: every lock is the first kind).
    slots: Vec<u32>,
    /// Each worker's choice of lock: for each lock, the draw (over all of u64) below which
    /// it is taken, ascending (empty: uniform).
    mixes: Vec<Vec<u64>>,
}

/// One kind of lock's draws.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct KindDraws {
    cs: Alias,
    think: Alias,
    /// A draw below this is a read; `None`: the workload draws its reads itself.
    reads: Option<u64>,
}

/// A histogram of (lowest, width) buckets with an alias table: bucket `i` is kept when the
/// draw's low half is below `keep[i]`, else its alias is taken; the length is uniform within.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Alias {
    low: Vec<u64>,
    width: Vec<u64>,
    keep: Vec<u64>,
    alias: Vec<u32>,
}

impl Alias {
    /// The table of `buckets` (lowest, highest, weight); at least one weight positive.
    fn new(buckets: &[(u64, u64, f64)]) -> Alias {
        let n = buckets.len();
        let total: f64 = buckets.iter().map(|b| b.2).sum();
        // Vose's method: each bucket's probability times n, the small ones topped up by a
        // large one.
        let mut scaled: Vec<f64> = buckets.iter().map(|b| b.2 / total * n as f64).collect();
        let mut alias: Vec<u32> = (0..n as u32).collect();
        let (mut small, mut large): (Vec<usize>, Vec<usize>) =
            (0..n).partition(|&i| scaled[i] < 1.0);
        while let (Some(&s), Some(&l)) = (small.last(), large.last()) {
            small.pop();
            alias[s] = l as u32;
            scaled[l] -= 1.0 - scaled[s];
            if scaled[l] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        // What is left is 1 but for rounding: kept whole.
        for i in small.into_iter().chain(large) {
            scaled[i] = 1.0;
        }
        let keep = scaled
            .iter()
            .map(|&p| {
                if p >= 1.0 {
                    u64::MAX
                } else {
                    (p * 18_446_744_073_709_551_616.0) as u64
                }
            })
            .collect();
        Alias {
            low: buckets.iter().map(|b| b.0).collect(),
            width: buckets.iter().map(|b| b.1 - b.0).collect(),
            keep,
            alias,
        }
    }

    /// The length drawn by `pick` (the bucket) and `within` (the place in it), each uniform
    /// over all of u64.
    #[inline(always)]
    fn draw(&self, pick: u64, within: u64) -> u64 {
        let scaled = u128::from(pick) * self.low.len() as u128;
        let (i, rest) = ((scaled >> 64) as usize, scaled as u64);
        let i = if rest < self.keep[i] {
            i
        } else {
            self.alias[i] as usize
        };
        self.low[i] + ((u128::from(self.width[i]) * u128::from(within)) >> 64) as u64
    }
}

impl DrawnWork {
    /// `draws` in `unit`, sized as [`work_for`] sizes a fixed length. `None` without draws.
    pub fn of(
        draws: Option<&WorkDraws>,
        unit: WorkUnit,
        clock: &Clock,
        cal: Option<WorkCalibration>,
    ) -> Option<DrawnWork> {
        let draws = draws?;
        let iterations = unit == WorkUnit::Instructions && cal.is_some();
        let size = |ns: u64| match work_for(unit, Duration::from_nanos(ns), clock, cal) {
            BusyWork::None => 0,
            BusyWork::Iterations(n) | BusyWork::Ticks(n) | BusyWork::Away(n) => n,
        };
        let table = |buckets: &[(u64, u64, u64)]| {
            let sized: Vec<(u64, u64, f64)> = buckets
                .iter()
                .map(|&(low, high, n)| (size(low), size(high).max(size(low)), n as f64))
                .collect();
            Alias::new(&sized)
        };
        // The simple form's quantiles: each step between two an equal share of the draws.
        let steps = |points: &[u64]| -> Vec<(u64, u64, u64)> {
            points.windows(2).map(|w| (w[0], w[1], 1)).collect()
        };
        let kinds = if draws.locks.is_empty() {
            vec![KindDraws {
                cs: table(&steps(&draws.cs_ns)),
                think: table(&steps(&draws.think_ns)),
                reads: None,
            }]
        } else {
            draws
                .locks
                .iter()
                .map(|l| KindDraws {
                    cs: table(&l.cs),
                    think: table(&l.think),
                    reads: Some(share_of_u64(l.reads)),
                })
                .collect()
        };
        let mixes = draws
            .workers
            .iter()
            .map(|weights| {
                let total: f64 = weights.iter().sum();
                let mut sum = 0.0;
                let mut mix: Vec<u64> = weights
                    .iter()
                    .map(|w| {
                        sum += w;
                        share_of_u64(sum / total)
                    })
                    .collect();
                if let Some(last) = mix.last_mut() {
                    *last = u64::MAX;
                }
                mix
            })
            .collect();
        let away = match work_for(WorkUnit::Time, Duration::from_nanos(AWAY_NS), clock, None) {
            BusyWork::Ticks(t) if !iterations => t,
            _ => u64::MAX,
        };
        Some(DrawnWork {
            iterations,
            away,
            kinds,
            slots: draws.slots.clone(),
            mixes,
        })
    }

    /// This table for the rest of the process: runs borrow it from every worker's loop. Equal
    /// tables are kept once, so a sweep of many runs of one regime keeps one.
    pub fn keep(self) -> &'static DrawnWork {
        static KEPT: std::sync::Mutex<Vec<&'static DrawnWork>> = std::sync::Mutex::new(Vec::new());
        let mut kept = KEPT
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(same) = kept.iter().find(|k| ***k == self) {
            return same;
        }
        let leaked: &'static DrawnWork = Box::leak(Box::new(self));
        kept.push(leaked);
        leaked
    }

    /// The kind of lock `slot` is.
    #[inline(always)]
    fn kind(&self, slot: usize) -> &KindDraws {
        let k = self.slots.get(slot).map_or(0, |&k| k as usize);
        &self.kinds[k]
    }

    /// The critical section and think time of one operation on lock `slot`, from four uniform
    /// draws.
    #[inline(always)]
    pub fn lengths(&self, slot: usize, u: [u64; 4]) -> (BusyWork, BusyWork) {
        let work = |n| {
            if self.iterations {
                BusyWork::Iterations(n)
            } else if n >= self.away {
                BusyWork::Away(n)
            } else {
                BusyWork::Ticks(n)
            }
        };
        let kind = self.kind(slot);
        (
            work(kind.cs.draw(u[0], u[1])),
            work(kind.think.draw(u[2], u[3])),
        )
    }

    /// Whether an operation on lock `slot` is a read, from a uniform draw; `None` where the
    /// workload draws its own reads.
    #[inline(always)]
    pub fn is_read(&self, slot: usize, u: u64) -> Option<bool> {
        self.kind(slot).reads.map(|below| u < below)
    }

    /// Worker `index`'s mix of the locks (for each lock, the draw below which it is taken,
    /// ascending), if it has its own.
    pub fn mix(&self, index: usize) -> Option<&[u64]> {
        (!self.mixes.is_empty()).then(|| self.mixes[index % self.mixes.len()].as_slice())
    }
}

/// A share (0 to 1) of all of u64: a uniform draw falls below it that often.
fn share_of_u64(share: f64) -> u64 {
    if share >= 1.0 {
        u64::MAX
    } else {
        (share.max(0.0) * 18_446_744_073_709_551_616.0) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    /// `draws` sized at one nanosecond per loop iteration.
    fn at_one_ns_per_iteration(draws: &WorkDraws) -> DrawnWork {
        let cal = Some(WorkCalibration {
            ns_per_iteration: 1.0,
        });
        DrawnWork::of(Some(draws), WorkUnit::Instructions, &Clock::new(), cal).expect("draws")
    }

    /// A xorshift64 generator from `seed` (not zero).
    fn xorshift(mut state: u64) -> impl FnMut() -> u64 {
        move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        }
    }

    #[test]
    fn draws_follow_the_quantiles() {
        // Quantiles 0, 100, 1000 ns at 1 ns per iteration: half the draws in 0..100, half in
        // 100..1000, uniform within each.
        let draws = WorkDraws {
            source: String::new(),
            cs_ns: vec![0, 100, 1000],
            think_ns: vec![50, 50],
            locks: Vec::new(),
            slots: Vec::new(),
            workers: Vec::new(),
        };
        let table = at_one_ns_per_iteration(&draws);
        let mut next = xorshift(0x1234_5678_9abc_def1);
        let n = 100_000;
        let (mut low, mut sum) = (0u64, 0u64);
        for _ in 0..n {
            let (cs, think) = table.lengths(3, [next(), next(), next(), next()]);
            assert_eq!(think, BusyWork::Iterations(50), "a point mass stays one");
            let BusyWork::Iterations(cs) = cs else {
                panic!("{cs:?}")
            };
            assert!(cs <= 1000);
            low += u64::from(cs < 100);
            sum += cs;
        }
        let (low, mean) = (low as f64 / n as f64, sum as f64 / n as f64);
        assert!((0.49..0.51).contains(&low), "share below the median {low}");
        // (50 + 550) / 2 = 300, as the model's mean says.
        assert!((290.0..310.0).contains(&mean), "mean {mean}");
        assert_eq!(draws.cs_mean_ns(), 300.0);
        assert_eq!(table.is_read(0, 0), None, "the workload draws the reads");
        assert!(table.mix(0).is_none());
        assert!(DrawnWork::of(None, WorkUnit::Time, &Clock::new(), None).is_none());
        let kept = table.clone().keep();
        assert!(
            std::ptr::eq(kept, table.keep()),
            "an equal table is kept once"
        );
    }

    #[test]
    fn a_replays_draws_follow_each_locks_buckets_reads_and_mix() {
        // Lock 0: holds 10 ns three times in four, 1000 ns once (a tail kept whole); no
        // reads. Lock 1: holds 500 ns, all reads. Three slots: 0, 1, 1; worker 0 takes only
        // slot 0, worker 1 slots 1 and 2 evenly.
        let lock = |name: &str, cs: Vec<(u64, u64, u64)>, reads: f64| crate::model::DrawnLock {
            name: name.into(),
            cs,
            think: vec![(20, 20, 1)],
            reads,
        };
        let draws = WorkDraws {
            source: "test".into(),
            cs_ns: Vec::new(),
            think_ns: Vec::new(),
            locks: vec![
                lock("a", vec![(10, 10, 3), (1000, 1000, 1)], 0.0),
                lock("b", vec![(500, 500, 1)], 1.0),
            ],
            slots: vec![0, 1, 1],
            workers: vec![vec![1.0, 0.0, 0.0], vec![0.0, 1.0, 1.0]],
        };
        assert_eq!(draws.problem(), None);
        let table = at_one_ns_per_iteration(&draws);
        let mut next = xorshift(0x2545_f491_4f6c_dd1d);
        let n = 40_000;
        let mut sum = 0;
        for _ in 0..n {
            let (BusyWork::Iterations(cs), _) = table.lengths(0, [next(), next(), next(), next()])
            else {
                panic!("iterations")
            };
            assert!(cs == 10 || cs == 1000, "{cs}");
            sum += cs;
        }
        // 0.75 x 10 + 0.25 x 1000 = 257.5: the tail is drawn, not cut.
        let mean = sum as f64 / n as f64;
        assert!((240.0..275.0).contains(&mean), "mean {mean}");
        assert_eq!(table.lengths(2, [1, 2, 3, 4]).0, BusyWork::Iterations(500));
        assert_eq!(table.is_read(0, 0), Some(false));
        assert_eq!(table.is_read(1, u64::MAX - 1), Some(true));
        assert_eq!(table.mix(0), Some(&[u64::MAX, u64::MAX, u64::MAX][..]));
        let mix = table.mix(1).expect("worker 1's mix");
        assert_eq!((mix[0], mix[2]), (0, u64::MAX));
        assert!(
            mix[1] > u64::MAX / 2 - 10 && mix[1] < u64::MAX / 2 + 10,
            "{mix:?}"
        );
        assert_eq!(
            table.mix(3),
            table.mix(1),
            "workers beyond the mixes wrap around"
        );
        let mut bad = draws.clone();
        bad.slots = vec![0, 2];
        assert!(bad.problem().unwrap().contains("lock 2"));
        let mut bad = draws;
        bad.workers[1].pop();
        assert!(bad.problem().unwrap().contains("worker 1"));
    }

    #[test]
    fn a_long_drawn_length_is_spent_away() {
        let draws = WorkDraws {
            source: String::new(),
            cs_ns: vec![100, 100],
            think_ns: vec![1_000_000, 1_000_000],
            locks: Vec::new(),
            slots: Vec::new(),
            workers: Vec::new(),
        };
        let clock = Clock::new();
        let table = DrawnWork::of(Some(&draws), WorkUnit::Time, &clock, None).expect("draws");
        let (cs, think) = table.lengths(0, [1, 2, 3, 4]);
        assert!(matches!(cs, BusyWork::Ticks(_)), "{cs:?}");
        assert!(matches!(think, BusyWork::Away(_)), "{think:?}");
        let t = Instant::now();
        think.run(&clock, || false);
        assert!(
            t.elapsed() >= Duration::from_micros(900),
            "{:?}",
            t.elapsed()
        );
        // Away is cut short by a stop too.
        let t = Instant::now();
        BusyWork::Away(u64::MAX / 2).run(&clock, || true);
        assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
        // In instructions, no length is away: the loop is the work.
        let cal = Some(WorkCalibration {
            ns_per_iteration: 1.0,
        });
        let table =
            DrawnWork::of(Some(&draws), WorkUnit::Instructions, &clock, cal).expect("draws");
        assert_eq!(
            table.lengths(0, [1, 2, 3, 4]).1,
            BusyWork::Iterations(1_000_000)
        );
    }
}
