//! A histogram of times that its own thread writes and any thread may read while it does: a
//! fixed array of log-linear buckets (1 ns wide below 16 ns, then eight to each power of two,
//! so within 1/16 of the value), each an atomic that only the owning thread stores to. That
//! is what lets a profile be written while the program runs, with no lock on the recording
//! path (an `hdrhistogram::Histogram` would need one: it cannot be read while it is written).

use std::sync::atomic::{AtomicU64, Ordering};

use crate::format::Distribution;

/// Below this many nanoseconds a bucket is one nanosecond wide.
const LINEAR: u64 = 16;
/// Buckets per power of two above [`LINEAR`].
const PER_OCTAVE: u64 = 8;
/// The largest exponent kept: values from 2^42 ns (73 minutes) up share the last octave.
const TOP_EXPONENT: u32 = 42;
/// How many buckets.
pub(crate) const BUCKETS: usize = (LINEAR + (TOP_EXPONENT as u64 - 3) * PER_OCTAVE) as usize;

/// Adds `v` to a counter only this thread writes (a plain load and store: no read-modify-write
/// instruction on the recording path).
#[inline]
pub(crate) fn bump(counter: &AtomicU64, v: u64) {
    // Relaxed (both): one writer; readers want a recent value, not an ordering.
    counter.store(
        counter.load(Ordering::Relaxed).wrapping_add(v),
        Ordering::Relaxed,
    );
}

/// Raises a counter only this thread writes to `v`, if `v` is larger.
#[inline]
pub(crate) fn raise(counter: &AtomicU64, v: u64) {
    // Relaxed: as in `bump`.
    if v > counter.load(Ordering::Relaxed) {
        counter.store(v, Ordering::Relaxed);
    }
}

/// The bucket `ns` falls in.
fn bucket(ns: u64) -> usize {
    if ns < LINEAR {
        return ns as usize;
    }
    let exponent = (63 - ns.leading_zeros()).min(TOP_EXPONENT);
    let ns = ns.min((1 << (TOP_EXPONENT + 1)) - 1);
    let fraction = (ns >> (exponent - 3)) & (PER_OCTAVE - 1);
    (LINEAR + u64::from(exponent - 4) * PER_OCTAVE + fraction) as usize
}

/// The lowest value of bucket `i`, and its width.
fn bounds(i: usize) -> (u64, u64) {
    let i = i as u64;
    if i < LINEAR {
        return (i, 1);
    }
    let exponent = (i - LINEAR) / PER_OCTAVE + 4;
    let fraction = (i - LINEAR) % PER_OCTAVE;
    let width = 1 << (exponent - 3);
    ((PER_OCTAVE + fraction) * width, width)
}

/// Times, in nanoseconds.
pub(crate) struct Hist {
    buckets: [AtomicU64; BUCKETS],
    count: AtomicU64,
    sum: AtomicU64,
    max: AtomicU64,
}

impl Hist {
    pub(crate) fn new() -> Hist {
        Hist {
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            count: AtomicU64::new(0),
            sum: AtomicU64::new(0),
            max: AtomicU64::new(0),
        }
    }

    /// Records `n` values of `ns` (by the owning thread only).
    #[inline]
    pub(crate) fn record_n(&self, ns: u64, n: u64) {
        bump(&self.buckets[bucket(ns)], n);
        bump(&self.count, n);
        bump(&self.sum, ns.saturating_mul(n));
        raise(&self.max, ns);
    }

    /// Adds `other`'s values to these (under the lock that serialises merging).
    pub(crate) fn merge(&self, other: &Hist) {
        for (mine, theirs) in self.buckets.iter().zip(&other.buckets) {
            // Relaxed: a snapshot of counters; the merge is serialised by the caller.
            bump(mine, theirs.load(Ordering::Relaxed));
        }
        bump(&self.count, other.count.load(Ordering::Relaxed));
        bump(&self.sum, other.sum.load(Ordering::Relaxed));
        raise(&self.max, other.max.load(Ordering::Relaxed));
    }

    /// The distribution, as the profile writes it.
    pub(crate) fn distribution(&self) -> Distribution {
        // Relaxed (all): a snapshot; the owner may be adding to it.
        let counts: Vec<u64> = self
            .buckets
            .iter()
            .map(|b| b.load(Ordering::Relaxed))
            .collect();
        let samples: u64 = counts.iter().sum();
        if samples == 0 {
            return Distribution::default();
        }
        let total_ns = self.sum.load(Ordering::Relaxed);
        let quantile = |q: f64| {
            let rank = ((q * samples as f64).ceil() as u64).clamp(1, samples);
            let mut seen = 0;
            for (i, &c) in counts.iter().enumerate() {
                seen += c;
                if seen >= rank {
                    let (low, width) = bounds(i);
                    return low + (width - 1) / 2;
                }
            }
            0
        };
        Distribution {
            samples,
            total_ns,
            mean_ns: total_ns as f64 / samples as f64,
            p50_ns: quantile(0.5),
            p99_ns: quantile(0.99),
            max_ns: self.max.load(Ordering::Relaxed),
            histogram: String::new(),
            buckets: counts
                .iter()
                .enumerate()
                .filter(|(_, c)| **c > 0)
                .map(|(i, &c)| (bounds(i).0, c))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_falls_in_the_bucket_that_bounds_it() {
        for ns in (0..5000).chain([1 << 20, (1 << 30) + 12345, u64::MAX / 4]) {
            let i = bucket(ns);
            assert!(i < BUCKETS);
            let (low, width) = bounds(i);
            let ns = ns.min((1 << (TOP_EXPONENT + 1)) - 1);
            assert!(
                low <= ns && ns < low + width,
                "{ns} in [{low}, {})",
                low + width
            );
            assert!(
                width == 1 || width * 16 <= low * 2,
                "within 1/8 of the value"
            );
        }
    }

    #[test]
    fn the_distribution_keeps_counts_sum_and_quantiles() {
        let h = Hist::new();
        h.record_n(0, 90);
        h.record_n(1000, 10);
        let d = h.distribution();
        assert_eq!(
            (d.samples, d.total_ns, d.max_ns, d.p50_ns),
            (100, 10_000, 1000, 0)
        );
        assert!((960..=1024).contains(&d.p99_ns), "{}", d.p99_ns);
        assert_eq!(d.buckets.iter().map(|b| b.1).sum::<u64>(), 100);
        let other = Hist::new();
        other.merge(&h);
        assert_eq!(other.distribution().samples, 100);
    }
}
