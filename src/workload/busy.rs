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
}

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
        }
    }
}

/// Work lengths drawn per operation (`--draw-work`), in the unit the loop runs: each
/// distribution as its quantiles at equal steps, already in clock ticks or loop iterations.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawnWork {
    /// Whether the points count loop iterations (else clock ticks).
    iterations: bool,
    /// Critical-section quantiles.
    cs: Vec<u64>,
    /// Think-time quantiles.
    think: Vec<u64>,
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
        let size = |points: &[u64]| -> Vec<u64> {
            points
                .iter()
                .map(
                    |&ns| match work_for(unit, Duration::from_nanos(ns), clock, cal) {
                        BusyWork::None => 0,
                        BusyWork::Iterations(n) | BusyWork::Ticks(n) => n,
                    },
                )
                .collect()
        };
        Some(DrawnWork {
            iterations,
            cs: size(&draws.cs_ns),
            think: size(&draws.think_ns),
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

    /// The critical section and think time of one operation, from two uniform draws.
    #[inline(always)]
    pub fn lengths(&self, cs: u64, think: u64) -> (BusyWork, BusyWork) {
        let work = |n| {
            if self.iterations {
                BusyWork::Iterations(n)
            } else {
                BusyWork::Ticks(n)
            }
        };
        (work(at(&self.cs, cs)), work(at(&self.think, think)))
    }
}

/// The value at uniform draw `u` (over all of u64) of the piecewise-linear distribution whose
/// quantiles at equal steps are `points` (at least two): `u` scaled by the number of steps
/// names the step (the high half of the product) and the place within it (the low half).
#[inline(always)]
fn at(points: &[u64], u: u64) -> u64 {
    let scaled = u128::from(u) * (points.len() as u128 - 1);
    let (step, within) = ((scaled >> 64) as usize, scaled as u64);
    let (low, high) = (points[step], points[step + 1]);
    low + ((u128::from(high - low) * u128::from(within)) >> 64) as u64
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
    fn draws_follow_the_quantiles() {
        // Quantiles 0, 100, 1000 ns at 1 ns per iteration: half the draws in 0..100, half in
        // 100..1000, uniform within each.
        let draws = WorkDraws {
            source: String::new(),
            cs_ns: vec![0, 100, 1000],
            think_ns: vec![50, 50],
        };
        let cal = Some(WorkCalibration {
            ns_per_iteration: 1.0,
        });
        let table =
            DrawnWork::of(Some(&draws), WorkUnit::Instructions, &Clock::new(), cal).expect("draws");
        let mut state = 0x1234_5678_9abc_def1u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let n = 100_000;
        let (mut low, mut sum) = (0u64, 0u64);
        for _ in 0..n {
            let (cs, think) = table.lengths(next(), next());
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
        assert_eq!(at(&[7, 9], 0), 7);
        assert_eq!(
            at(&[7, 9], u64::MAX),
            8,
            "the top is approached, never passed"
        );
        assert!(DrawnWork::of(None, WorkUnit::Time, &Clock::new(), None).is_none());
        let kept = table.clone().keep();
        assert!(
            std::ptr::eq(kept, table.keep()),
            "an equal table is kept once"
        );
    }

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
