//! Statistics over per-thread figures and latency histograms.

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// Jain's fairness index of `shares`: 1 when all are equal, 1/n when one thread got everything.
/// `None` for an empty slice or all zeros.
pub fn jain_index(shares: &[u64]) -> Option<f64> {
    let n = shares.len() as f64;
    let sum: f64 = shares.iter().map(|&x| x as f64).sum();
    let sum_sq: f64 = shares.iter().map(|&x| (x as f64) * (x as f64)).sum();
    if shares.is_empty() || sum_sq == 0.0 {
        None
    } else {
        Some(sum * sum / (n * sum_sq))
    }
}

/// Percentiles of acquire latency, in nanoseconds.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct LatencySummary {
    /// Number of acquisitions measured.
    pub samples: u64,
    /// Mean wait.
    pub mean_ns: f64,
    /// Median.
    pub p50_ns: u64,
    /// 90th percentile.
    pub p90_ns: u64,
    /// 99th percentile.
    pub p99_ns: u64,
    /// 99.9th percentile.
    pub p999_ns: u64,
    /// Longest measured wait.
    pub max_ns: u64,
}

impl LatencySummary {
    /// Summarises `hist`; `None` when it holds no sample.
    pub fn of(hist: &Histogram<u64>) -> Option<Self> {
        if hist.is_empty() {
            return None;
        }
        Some(LatencySummary {
            samples: hist.len(),
            mean_ns: hist.mean(),
            p50_ns: hist.value_at_quantile(0.50),
            p90_ns: hist.value_at_quantile(0.90),
            p99_ns: hist.value_at_quantile(0.99),
            p999_ns: hist.value_at_quantile(0.999),
            max_ns: hist.max(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jain_equal_and_skewed() {
        assert_eq!(jain_index(&[5, 5, 5, 5]), Some(1.0));
        let one_takes_all = jain_index(&[100, 0, 0, 0]).unwrap();
        assert!((one_takes_all - 0.25).abs() < 1e-12);
        assert_eq!(jain_index(&[]), None);
        assert_eq!(jain_index(&[0, 0]), None);
    }

    #[test]
    fn latency_summary_of_known_values() {
        let mut h = crate::measure::recorder::latency_histogram();
        for v in 1..=1000u64 {
            h.record(v).unwrap();
        }
        let s = LatencySummary::of(&h).unwrap();
        assert_eq!(s.samples, 1000);
        assert_eq!(s.p50_ns, 500);
        assert_eq!(s.p99_ns, 990);
        assert_eq!(s.max_ns, 1000);
        assert!(LatencySummary::of(&crate::measure::recorder::latency_histogram()).is_none());
    }
}
