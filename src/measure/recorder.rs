//! What one worker records while it runs; merged by the runner after all workers are joined.

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use super::usage::CpuUsage;

/// Highest latency the histograms track: an hour, in nanoseconds. Longer waits are clamped.
pub const MAX_TRACKED_NS: u64 = 3_600_000_000_000;

/// A new acquire-latency histogram (ns, 3 significant digits, fixed size: no allocation while
/// recording).
pub fn latency_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_TRACKED_NS, 3).expect("constant bounds are valid")
}

/// One worker's record of a run.
pub struct Recorder {
    /// Operations completed (attempts that acquired: a timed-out one is not among them).
    pub ops: u64,
    /// Acquisitions that gave up at their deadline (`--timeout`).
    pub timeouts: u64,
    /// Operations completed inside the contended interval (`None`: it never saw it open).
    pub window_ops: Option<u64>,
    /// Acquisitions that followed a different holder (locks only).
    pub handoffs: u64,
    /// Hand-offs inside the contended interval (`None`: it never saw it open).
    pub window_handoffs: Option<u64>,
    /// Times this worker found another inside the critical section, on entry or on exit.
    pub exclusion_violations: u64,
    /// CPU time and context switches over the worker's whole loop (`None`: not read).
    pub usage: Option<CpuUsage>,
    /// The same over the contended interval, from when the worker saw it open to when it saw
    /// it close (`None`: it never saw it open).
    pub window_usage: Option<CpuUsage>,
    /// The realised critical sections of the timed acquisitions (with busy work only): from
    /// the acquire to just before the release, ns.
    pub hold_ns: Tally,
    /// The realised think time of the timed operations (with busy work only), ns.
    pub think_ns: Tally,
    /// Acquire latencies sampled outside the contended interval, in ns.
    pub wait_ns: Histogram<u64>,
    /// Those sampled inside it (the whole run's are both together).
    pub window_wait_ns: Histogram<u64>,
    /// Reads done (the rw workload; the other operations were writes).
    pub reads: u64,
    /// Reads that found the record's two fields different.
    pub torn_reads: u64,
    /// The sampled acquire latencies of the acquisitions that found the lock taken (a worker
    /// inside it when the wait began: its holder word said so), over the whole run, ns.
    pub contended_wait_ns: Histogram<u64>,
    /// The rw workload's sampled acquire latencies of reads, over the whole run, ns.
    pub read_wait_ns: Histogram<u64>,
    /// And of writes.
    pub write_wait_ns: Histogram<u64>,
    /// The sampled waits that gave up at their deadline (`--timeout`): from the start of the
    /// wait to the give-up, ns.
    pub gave_up_ns: Histogram<u64>,
    /// `--wake-latency`: the timed acquisitions that followed another worker's release.
    pub timed_handoffs: u64,
    /// Those whose thread slept in the wait (its voluntary context switches rose).
    pub woken: u64,
    /// Their latency from the previous holder's release to the first instruction inside, ns.
    pub wake_ns: Histogram<u64>,
    /// The previous holder's release stamp seen by the acquisition under way (scratch).
    pub pending_release: u64,
    /// This thread's voluntary context switches just before that acquisition (scratch).
    pub pending_switches: u64,
}

impl Recorder {
    /// An empty record.
    pub fn new() -> Self {
        Recorder {
            ops: 0,
            timeouts: 0,
            window_ops: None,
            handoffs: 0,
            window_handoffs: None,
            exclusion_violations: 0,
            usage: None,
            window_usage: None,
            hold_ns: Tally::default(),
            think_ns: Tally::default(),
            wait_ns: latency_histogram(),
            window_wait_ns: latency_histogram(),
            reads: 0,
            torn_reads: 0,
            contended_wait_ns: latency_histogram(),
            read_wait_ns: latency_histogram(),
            write_wait_ns: latency_histogram(),
            gave_up_ns: latency_histogram(),
            timed_handoffs: 0,
            woken: 0,
            wake_ns: latency_histogram(),
            pending_release: 0,
            pending_switches: 0,
        }
    }

    /// Records a sampled acquire latency of the rw workload by kind, besides
    /// [`Recorder::record_wait`].
    #[inline]
    pub fn record_kind_wait(&mut self, ns: u64, read: bool) {
        let into = if read {
            &mut self.read_wait_ns
        } else {
            &mut self.write_wait_ns
        };
        into.saturating_record(ns.max(1));
    }

    /// Records one sampled acquire latency, as the contended interval's when `in_window`.
    #[inline]
    pub fn record_wait(&mut self, ns: u64, in_window: bool) {
        let into = if in_window {
            &mut self.window_wait_ns
        } else {
            &mut self.wait_ns
        };
        into.saturating_record(ns.max(1));
    }
}

/// A sum of durations and their count: a mean without its samples.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// The durations added, ns.
    pub sum_ns: u64,
    /// How many.
    pub count: u64,
}

impl Tally {
    /// Adds one duration.
    #[inline]
    pub fn add(&mut self, ns: u64) {
        self.sum_ns = self.sum_ns.saturating_add(ns);
        self.count += 1;
    }

    /// Both tallies together.
    pub fn plus(self, other: Tally) -> Tally {
        Tally {
            sum_ns: self.sum_ns.saturating_add(other.sum_ns),
            count: self.count + other.count,
        }
    }

    /// The mean, ns (`None` without a duration).
    pub fn mean_ns(self) -> Option<f64> {
        (self.count > 0).then(|| self.sum_ns as f64 / self.count as f64)
    }
}

impl Default for Recorder {
    fn default() -> Self {
        Self::new()
    }
}

/// A histogram in HdrHistogram's standard compressed form (V2 + deflate), base64: the
/// `HISTFAAA...` strings other HdrHistogram tools read.
pub fn encode_histogram(hist: &Histogram<u64>) -> String {
    use base64::Engine;
    use hdrhistogram::serialization::{Serializer, V2DeflateSerializer};
    let mut bytes = Vec::new();
    V2DeflateSerializer::new()
        .serialize(hist, &mut bytes)
        .expect("serialising into memory cannot fail");
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Reads a histogram written by [`encode_histogram`]; the error says what was wrong.
pub fn decode_histogram(text: &str) -> Result<Histogram<u64>, String> {
    use base64::Engine;
    use hdrhistogram::serialization::Deserializer;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|e| format!("histogram is not base64: {e}"))?;
    Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .map_err(|e| format!("histogram does not decode: {e:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_round_trip_in_the_standard_form() {
        let mut h = latency_histogram();
        for v in [25u64, 30, 31, 400, 12_000, 5_000_000] {
            h.record(v).unwrap();
        }
        let text = encode_histogram(&h);
        assert!(text.starts_with("HISTF"), "{text}");
        let back = decode_histogram(&text).unwrap();
        assert_eq!(back.len(), 6);
        assert_eq!(back.max(), h.max());
        assert_eq!(back.value_at_quantile(0.5), h.value_at_quantile(0.5));
        assert!(decode_histogram("not base64!").is_err());
        assert!(decode_histogram("SElTVA==").is_err());
    }
}
