//! The draws of a worker's loop, the same few instructions for every backend: which lock an
//! operation takes when there are several, which acquisitions are timed, and how long an
//! operation's critical section and think time last when they are drawn (`--draw-work`).

use super::LoopSettings;
use crate::model::LatencyMode;
use crate::workload::busy::BusyWork;
use crate::workload::drawn::DrawnWork;

/// The busy work of each operation: the fixed lengths asked for, or two lengths drawn from the
/// run's distributions, from a xorshift64 generator seeded per worker.
pub(super) struct WorkChoice {
    fixed: (BusyWork, BusyWork),
    drawn: Option<&'static DrawnWork>,
    state: u64,
}

impl WorkChoice {
    pub(super) fn new(index: usize, seed: u64, settings: &LoopSettings) -> Self {
        WorkChoice {
            fixed: (settings.cs_work, settings.think),
            drawn: settings.draws,
            // Never zero (xorshift's fixed point): the index's odd multiple is mixed in.
            state: seed ^ ((index as u64 + 1).wrapping_mul(0xA24B_AED4_963E_E407) | 1),
        }
    }

    /// The critical section and think time of the next operation, on lock `slot`.
    #[inline(always)]
    pub(super) fn next(&mut self, slot: usize) -> (BusyWork, BusyWork) {
        let Some(table) = self.drawn else {
            return self.fixed;
        };
        let u = [self.draw(), self.draw(), self.draw(), self.draw()];
        table.lengths(slot, u)
    }

    /// Whether the next operation, on lock `slot`, reads: as the draws say for that lock, or
    /// else as the workload's own draw (`workload`) says.
    #[inline(always)]
    pub(super) fn is_read(&mut self, slot: usize, workload: impl FnOnce() -> bool) -> bool {
        let Some(table) = self.drawn else {
            return workload();
        };
        let u = self.draw();
        table.is_read(slot, u).unwrap_or_else(workload)
    }

    #[inline(always)]
    fn draw(&mut self) -> u64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        self.state
    }
}

/// Which lock an operation takes when there are several: uniformly at random, or (a replay)
/// by the worker's own mix of them, from a xorshift64 generator seeded per worker. The same
/// few instructions for every backend.
pub(super) struct LockChoice {
    state: u64,
    locks: u64,
    /// The worker's mix: for each lock, the draw below which it is taken, ascending.
    mix: Option<&'static [u64]>,
}

impl LockChoice {
    /// Worker `index`'s choice among `locks`, by `mix` when it has one for them.
    pub(super) fn new(index: usize, seed: u64, locks: usize, mix: Option<&'static [u64]>) -> Self {
        LockChoice {
            // Never zero (xorshift's fixed point): the index's odd multiple is mixed in.
            state: seed ^ ((index as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03) | 1),
            locks: locks as u64,
            mix: mix.filter(|m| m.len() == locks),
        }
    }

    /// The next lock's index, below the lock count.
    #[inline(always)]
    pub(super) fn next(&mut self) -> usize {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        match self.mix {
            // The first lock whose bound the draw is below (the last bound is u64::MAX).
            Some(mix) => mix
                .partition_point(|&bound| bound <= self.state)
                .min(mix.len() - 1),
            None => self.below(self.locks),
        }
    }

    /// A lock's index other than `taken`, uniformly among the others (there are at least two).
    #[inline(always)]
    pub(super) fn other_than(&mut self, taken: usize) -> usize {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        let other = self.below(self.locks - 1);
        other + usize::from(other >= taken)
    }

    /// The generator's state scaled below `n`: the high half of a 64 x 64-bit product, uniform
    /// enough, and no division.
    #[inline(always)]
    fn below(&self, n: u64) -> usize {
        ((u128::from(self.state) * u128::from(n)) >> 64) as usize
    }
}

/// Which acquisitions are timed: gaps drawn from a geometric distribution with the mean that
/// `--latency sample=N` asks for, from a generator seeded per worker, so that samples land at
/// no fixed phase of the chunks or of a FIFO lock's rounds.
pub(super) struct Sampling {
    /// log2(1 - 1/N), or 0 for "every acquisition" and "none".
    log_keep: f64,
    /// Every acquisition (`full`).
    every: bool,
    /// No acquisition (`off`).
    never: bool,
    /// xorshift64* state.
    state: u64,
}

impl Sampling {
    pub(super) fn new(latency: LatencyMode, index: usize, seed: u64) -> Self {
        let mean = match latency {
            LatencyMode::Off => 0,
            LatencyMode::Sample(n) => n,
        };
        Sampling {
            log_keep: if mean > 1 {
                (1.0 - 1.0 / f64::from(mean)).log2()
            } else {
                0.0
            },
            every: mean == 1,
            never: mean == 0,
            // Never zero (xorshift's fixed point): the index's odd multiple is mixed in.
            state: seed ^ ((index as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1),
        }
    }

    /// Operations until the next timed one (1: the next).
    pub(super) fn next_gap(&mut self) -> u64 {
        if self.every {
            return 1;
        }
        if self.never {
            return u64::MAX;
        }
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        let bits = self.state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11;
        // Uniform in (0, 1]; the geometric gap is 1 + floor(log(u) / log(1 - 1/N)).
        let u = (bits as f64 + 1.0) / (1u64 << 53) as f64;
        1 + (approx_log2(u) / self.log_keep) as u64
    }
}

/// log2 of `x` (positive, normal), to within 0.01: the exponent plus a quadratic in the
/// mantissa (a gap of mean 256 is then off by under two operations). A library logarithm per
/// timed acquisition, with the rest of a sample, put the default sampling past its budget.
fn approx_log2(x: f64) -> f64 {
    let bits = x.to_bits();
    let exponent = ((bits >> 52) & 0x7ff) as f64 - 1023.0;
    let fraction = f64::from_bits((bits & ((1 << 52) - 1)) | (1023 << 52)) - 1.0;
    exponent + fraction * (1.346_555_3 - 0.346_555_3 * fraction)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sampling_gaps_average_n_and_are_not_periodic() {
        let mut s = Sampling::new(LatencyMode::Sample(256), 3, 12345);
        let gaps: Vec<u64> = (0..20_000).map(|_| s.next_gap()).collect();
        let mean = gaps.iter().sum::<u64>() as f64 / gaps.len() as f64;
        assert!((236.0..276.0).contains(&mean), "mean gap {mean}");
        assert!(gaps.iter().all(|&g| g >= 1));
        let distinct: std::collections::BTreeSet<_> = gaps.iter().collect();
        assert!(distinct.len() > 500, "gaps vary: {}", distinct.len());
        let mut other = Sampling::new(LatencyMode::Sample(256), 4, 12345);
        assert_ne!(
            (0..8).map(|_| other.next_gap()).collect::<Vec<_>>(),
            gaps[..8],
            "workers draw different gaps"
        );
        assert_eq!(Sampling::new(LatencyMode::Sample(1), 0, 1).next_gap(), 1);
        assert_eq!(Sampling::new(LatencyMode::Off, 0, 1).next_gap(), u64::MAX);
    }

    #[test]
    fn the_lock_choice_covers_every_lock_evenly() {
        let mut choice = LockChoice::new(2, 99, 64, None);
        let mut counts = [0u32; 64];
        for _ in 0..64_000 {
            counts[choice.next()] += 1;
        }
        // 1,000 expected each; a uniform draw stays well within 30% of it.
        assert!(
            counts.iter().all(|&c| (700..1300).contains(&c)),
            "{counts:?}"
        );
        let mut one = LockChoice::new(0, 1, 1, None);
        assert!((0..100).all(|_| one.next() == 0));
        // A mix: lock 1 a quarter of the time, lock 2 the rest, lock 0 never.
        let mix: &'static [u64] = Box::leak(Box::new([0, u64::MAX / 4, u64::MAX]));
        let mut mixed = LockChoice::new(1, 7, 3, Some(mix));
        let mut counts = [0u32; 3];
        for _ in 0..40_000 {
            counts[mixed.next()] += 1;
        }
        assert_eq!(counts[0], 0, "{counts:?}");
        assert!((9_000..11_000).contains(&counts[1]), "{counts:?}");
    }

    #[test]
    fn the_approximate_logarithm_is_close() {
        for x in [1.0, 0.75, 0.5, 0.3, 1e-3, 1e-9, 1.0 / 3.0] {
            let (approx, exact) = (approx_log2(x), f64::log2(x));
            assert!((approx - exact).abs() < 0.01, "{x}: {approx} vs {exact}");
        }
    }
}
