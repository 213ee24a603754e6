//! What one worker records while it runs; merged by the runner after all workers are joined.

use hdrhistogram::Histogram;

/// Highest latency the histograms track: an hour, in nanoseconds. Longer waits are clamped.
pub const MAX_TRACKED_NS: u64 = 3_600_000_000_000;

/// A new acquire-latency histogram (ns, 3 significant digits, fixed size: no allocation while
/// recording).
pub fn latency_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_TRACKED_NS, 3).expect("constant bounds are valid")
}

/// One worker's record of a run.
pub struct Recorder {
    /// Operations completed.
    pub ops: u64,
    /// Operations completed inside the contended interval (`None`: it never saw it open).
    pub window_ops: Option<u64>,
    /// Acquisitions that followed a different holder (locks only).
    pub handoffs: u64,
    /// Acquire latencies that were sampled, in ns.
    pub wait_ns: Histogram<u64>,
}

impl Recorder {
    /// An empty record.
    pub fn new() -> Self {
        Recorder {
            ops: 0,
            window_ops: None,
            handoffs: 0,
            wait_ns: latency_histogram(),
        }
    }

    /// Records one sampled acquire latency.
    #[inline]
    pub fn record_wait(&mut self, ns: u64) {
        self.wait_ns.saturating_record(ns.max(1));
    }
}

impl Default for Recorder {
    fn default() -> Self {
        Self::new()
    }
}
