//! Busy work of a calibrated length, for `--cs-work` and `--think`.

use std::hint::black_box;
use std::time::{Duration, Instant};

pub use crate::model::WorkCalibration;

/// A number of iterations of the work loop, fixed before the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BusyWork {
    iterations: u64,
}

impl BusyWork {
    /// No work at all.
    pub const NONE: BusyWork = BusyWork { iterations: 0 };

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
    pub fn from_iterations(iterations: u64) -> BusyWork {
        BusyWork { iterations }
    }

    /// Iterations this work runs.
    pub fn iterations(self) -> u64 {
        self.iterations
    }
}

/// Times the work loop: the fastest of 7 rounds of 1,000,000 iterations (about 10 ms).
pub fn calibrate() -> WorkCalibration {
    let probe = BusyWork {
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

/// The work closest to `duration` on a machine calibrated as `cal` (none for zero).
pub fn work_for(cal: WorkCalibration, duration: Duration) -> BusyWork {
    if duration.is_zero() {
        return BusyWork::NONE;
    }
    let iterations = (duration.as_nanos() as f64 / cal.ns_per_iteration)
        .round()
        .max(1.0);
    BusyWork {
        iterations: iterations as u64,
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
        assert_eq!(work_for(cal, Duration::ZERO), BusyWork::NONE);
        assert_eq!(work_for(cal, Duration::from_nanos(200)).iterations(), 400);
        assert_eq!(work_for(cal, Duration::from_nanos(1)).iterations(), 2);
        let slow = WorkCalibration {
            ns_per_iteration: 10.0,
        };
        assert_eq!(work_for(slow, Duration::from_nanos(1)).iterations(), 1);
    }

    #[test]
    fn calibration_is_positive_and_finite() {
        let cal = calibrate();
        assert!(cal.ns_per_iteration > 0.0 && cal.ns_per_iteration.is_finite());
    }
}
