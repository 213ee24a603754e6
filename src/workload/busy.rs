//! Busy work for `--cs-work` and `--think`, in one of two meanings (`--work-unit`):
//!
//! - **time**: spin on the clock until a deadline: exactly the length asked for, whatever the
//!   machine's speed at that moment (as the seeds' `sleep` inside the lock is a duration). The
//!   default, because `--cs-work 1us` reads as a microsecond.
//! - **instructions**: a fixed number of iterations of a fixed loop, sized once per command by
//!   [`calibrate`]: the same work every time, so its length follows the machine's speed (on a
//!   shared virtual machine, or under frequency scaling, that changes by 2× from one moment to
//!   the next; the speed probe of every run says when it did).
//!
//! Either way the loop looks at the run's stop flag every microsecond or so, so that no run
//! outlives its time limit by more than that, however long an operation's work is.

use std::hint::black_box;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::measure::clock::Clock;
pub use crate::model::{WorkCalibration, WorkDraws, WorkUnit};

/// Work of a length fixed before the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BusyWork {
    /// No work at all.
    #[default]
    None,
    /// This many iterations of the work loop.
    Iterations(u64),
    /// Spin until this many clock ticks have passed.
    Ticks(u64),
    /// Stay away until this many clock ticks have passed: yield the CPU to any thread that
    /// wants it, until then. A drawn length of at least [`AWAY_NS`] is taken as the program's
    /// thread off its CPU (preempted, or blocked), not computing: spun, it would hold a CPU
    /// that the program's thread gave up, and the replay's own preemptions would count it
    /// twice.
    Away(u64),
}

/// The drawn length from which a thread is taken to be away (see [`BusyWork::Away`]): 20 µs,
/// well above a compute loop's holds and thinks and on the scale of the scheduler's own
/// events (a context switch takes microseconds on a VM, a preemption a time slice).
pub const AWAY_NS: u64 = 20_000;

/// Work-loop iterations between two looks at the stop flag (well under a microsecond).
const ITERATIONS_PER_LOOK: u64 = 1024;
/// Clock readings between two looks at the stop flag.
const READINGS_PER_LOOK: u32 = 16;

impl BusyWork {
    /// No work at all.
    pub const NONE: BusyWork = BusyWork::None;

    /// Runs the work; `stop` is asked every microsecond or so, and ends it early when true.
    /// Each iteration passes through `black_box`, so the compiler cannot fold the loop away; no
    /// memory is shared with other threads but what `stop` reads.
    #[inline(always)]
    pub fn run(self, clock: &Clock, stop: impl Fn() -> bool) {
        match self {
            BusyWork::None => {}
            BusyWork::Iterations(n) => {
                let mut acc = 0u64;
                let mut i = 0u64;
                while i < n {
                    let end = n.min(i + ITERATIONS_PER_LOOK);
                    while i < end {
                        acc = black_box(acc.wrapping_add(i));
                        i += 1;
                    }
                    if i < n && stop() {
                        break;
                    }
                }
                black_box(acc);
            }
            BusyWork::Ticks(ticks) => {
                let end = clock.raw().saturating_add(ticks);
                let mut readings = 0u32;
                while clock.raw() < end {
                    readings += 1;
                    if readings.is_multiple_of(READINGS_PER_LOOK) && stop() {
                        break;
                    }
                }
            }
            BusyWork::Away(ticks) => {
                let end = clock.raw().saturating_add(ticks);
                while clock.raw() < end && !stop() {
                    std::thread::yield_now();
                }
            }
        }
    }
}

/// Times the work loop: the fastest of 7 rounds of 1,000,000 iterations (about 10 ms).
pub fn calibrate() -> WorkCalibration {
    WorkCalibration {
        ns_per_iteration: loop_speed(1_000_000, 7),
    }
}

/// The machine's speed now: ns per work-loop iteration, measured as [`calibrate`] measures it
/// (a few milliseconds). Taken before and after every run; a change between the two says the
/// machine, not the lock, changed the figures. (Shorter probes were tried: on a 2-core VM,
/// rounds of 100,000 iterations ranged over ±30% with nothing else running; rounds of 1,000,000
/// over about ±7%.)
pub fn speed_probe() -> f64 {
    loop_speed(1_000_000, 7)
}

fn loop_speed(iterations: u64, rounds: u32) -> f64 {
    let probe = BusyWork::Iterations(iterations);
    let clock = Clock::new();
    let best = (0..rounds)
        .map(|_| {
            let t = Instant::now();
            probe.run(&clock, || false);
            t.elapsed()
        })
        .min()
        .unwrap_or(Duration::from_millis(1));
    best.as_nanos().max(1) as f64 / iterations as f64
}

/// The work of `duration` in `unit`: ticks of `clock`, or iterations on a machine calibrated
/// as `cal` (none for zero). Without a calibration, work in instructions cannot be sized and
/// is timed instead; the commands calibrate whenever a run asks for instructions.
pub fn work_for(
    unit: WorkUnit,
    duration: Duration,
    clock: &Clock,
    cal: Option<WorkCalibration>,
) -> BusyWork {
    if duration.is_zero() {
        return BusyWork::NONE;
    }
    match (unit, cal) {
        (WorkUnit::Instructions, Some(cal)) => {
            let iterations = (duration.as_nanos() as f64 / cal.ns_per_iteration)
                .round()
                .max(1.0);
            BusyWork::Iterations(iterations as u64)
        }
        _ => BusyWork::Ticks(clock.ticks_for(duration).max(1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_scales_with_duration() {
        let cal = Some(WorkCalibration {
            ns_per_iteration: 0.5,
        });
        let clock = Clock::new();
        let ins = WorkUnit::Instructions;
        assert_eq!(work_for(ins, Duration::ZERO, &clock, cal), BusyWork::NONE);
        assert_eq!(
            work_for(ins, Duration::from_nanos(200), &clock, cal),
            BusyWork::Iterations(400)
        );
        assert_eq!(
            work_for(ins, Duration::from_nanos(1), &clock, cal),
            BusyWork::Iterations(2)
        );
        let slow = Some(WorkCalibration {
            ns_per_iteration: 10.0,
        });
        assert_eq!(
            work_for(ins, Duration::from_nanos(1), &clock, slow),
            BusyWork::Iterations(1)
        );
        let BusyWork::Ticks(t) = work_for(WorkUnit::Time, Duration::from_micros(10), &clock, cal)
        else {
            panic!("time work counts ticks");
        };
        assert!(t >= 1);
    }

    #[test]
    fn time_work_lasts_its_duration_and_stops_when_told() {
        let clock = Clock::new();
        let work = work_for(WorkUnit::Time, Duration::from_millis(20), &clock, None);
        let t = Instant::now();
        work.run(&clock, || false);
        assert!(
            t.elapsed() >= Duration::from_millis(19),
            "{:?}",
            t.elapsed()
        );
        // A stop cuts an hour of work short, in either unit.
        let hour = Duration::from_secs(3600);
        let t = Instant::now();
        work_for(WorkUnit::Time, hour, &clock, None).run(&clock, || true);
        let cal = Some(calibrate());
        work_for(WorkUnit::Instructions, hour, &clock, cal).run(&clock, || true);
        assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    }

    #[test]
    fn calibration_and_probe_are_positive_and_finite() {
        let cal = calibrate();
        assert!(cal.ns_per_iteration > 0.0 && cal.ns_per_iteration.is_finite());
        let probe = speed_probe();
        assert!(probe > 0.0 && probe.is_finite());
    }
}
