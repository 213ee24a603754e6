//! The contended interval of a run: from when every worker had started to when the first
//! finished, and whether it is long enough for its figures to count.

use super::RunRecord;

/// The shortest contended interval whose figures count: 100 chunks (of the runner's 32
/// operations) per worker. Each end of the window is known only to a chunk per worker, so a
/// window of a few chunks gives an arbitrary figure; shorter ones fall back to the whole run.
pub const MIN_WINDOW_OPS_PER_WORKER: u64 = 3_200;

/// The contended interval of a run, as far as the figures can use it.
pub(super) enum Window {
    /// Every worker took part for at least the minimum: `ns` long, `per_worker` operations.
    Counted { ns: u64, per_worker: Vec<u64> },
    /// Every worker took part, but for less than the minimum.
    TooShort,
    /// No moment had every worker taking part.
    None,
}

impl Window {
    pub(super) fn of(record: &RunRecord) -> Window {
        let Some(open) = record.window_start_ticks else {
            return Window::None;
        };
        // A worker that never saw the window open did nothing inside it.
        let per_worker: Vec<u64> = record
            .workers
            .iter()
            .map(|w| w.rec.window_ops.unwrap_or(0))
            .collect();
        let ops: u64 = per_worker.iter().sum();
        // A worker that did nothing inside the window was not taking part: on an oversubscribed
        // machine it can finish before the last one starts, and the "window" is then one
        // worker running alone.
        if per_worker.contains(&0) || record.window_end_ticks <= open {
            Window::None
        } else if ops < MIN_WINDOW_OPS_PER_WORKER * per_worker.len() as u64 {
            Window::TooShort
        } else {
            Window::Counted {
                ns: record.clock.delta_ns(open, record.window_end_ticks),
                per_worker,
            }
        }
    }
}
