//! Busy work of a calibrated length, for `--cs-work` and `--think`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// A number of iterations of the work loop, fixed before the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Work {
    iterations: u64,
}

impl Work {
    /// No work at all.
    pub const NONE: Work = Work { iterations: 0 };

    /// Runs the work loop. Each iteration passes through `black_box`, so the compiler cannot
    /// fold the loop away; no memory is shared with other threads.
    #[inline(always)]
    pub fn run(self) {
        if self.iterations == 0 {
            return;
        }
        let mut acc = 0u64;
        for i in 0..self.iterations {
            acc = black_box(acc.wrapping_add(i));
        }
        black_box(acc);
    }

    /// Work of exactly `iterations` iterations (as another process calibrated it).
    pub fn from_iterations(iterations: u64) -> Work {
        Work { iterations }
    }

    /// Iterations this work runs.
    pub fn iterations(self) -> u64 {
        self.iterations
    }
}

/// How long one iteration of the work loop takes on this machine.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
pub struct WorkCalibration {
    /// Nanoseconds per work-loop iteration (the fastest of several rounds).
    pub ns_per_iteration: f64,
}

impl WorkCalibration {
    /// Times the work loop: the fastest of 7 rounds of 1,000,000 iterations (about 10 ms).
    pub fn measure() -> Self {
        let probe = Work {
            iterations: 1_000_000,
        };
        let best = (0..7)
            .map(|_| {
                let t = Instant::now();
                probe.run();
                t.elapsed()
            })
            .min()
            .unwrap_or(Duration::from_millis(1));
        WorkCalibration {
            ns_per_iteration: best.as_nanos().max(1) as f64 / 1e6,
        }
    }

    /// The work closest to `duration` (none for zero).
    pub fn work_for(self, duration: Duration) -> Work {
        if duration.is_zero() {
            return Work::NONE;
        }
        let iterations = (duration.as_nanos() as f64 / self.ns_per_iteration)
            .round()
            .max(1.0);
        Work {
            iterations: iterations as u64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_scales_with_duration() {
        let cal = WorkCalibration {
            ns_per_iteration: 0.5,
        };
        assert_eq!(cal.work_for(Duration::ZERO), Work::NONE);
        assert_eq!(cal.work_for(Duration::from_nanos(200)).iterations(), 400);
        assert_eq!(cal.work_for(Duration::from_nanos(1)).iterations(), 2);
        let slow = WorkCalibration {
            ns_per_iteration: 10.0,
        };
        assert_eq!(slow.work_for(Duration::from_nanos(1)).iterations(), 1);
    }

    #[test]
    fn calibration_is_positive_and_finite() {
        let cal = WorkCalibration::measure();
        assert!(cal.ns_per_iteration > 0.0 && cal.ns_per_iteration.is_finite());
    }
}
