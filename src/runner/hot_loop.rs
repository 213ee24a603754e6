//! The hot loop: what every worker, thread or process, runs between the start and its stop.
//! Generic over the backend and the workload's operation, so that both are compiled in: no call
//! through a pointer per operation.

use std::sync::atomic::Ordering;

use super::LoopSettings;
use super::control::CHUNK;
use super::region::{NO_HOLDER, RegionView};
use crate::locks::{Backend, Protection};
use crate::measure::clock::Clock;
use crate::measure::recorder::Recorder;
use crate::model::LatencyMode;
use crate::workload::busy::BusyWork;
use crate::workload::{self, Operation, WithOperation};

/// One worker's place in the run.
#[derive(Clone, Copy)]
pub(crate) struct Seat {
    /// Worker index.
    pub index: usize,
    /// Operations to do.
    pub quota: u64,
}

/// What a worker's loop measured.
pub(crate) struct LoopOutcome {
    /// Clock ticks at the start.
    pub start_ticks: u64,
    /// Clock ticks at the stop.
    pub stop_ticks: u64,
    /// What it counted.
    pub rec: Recorder,
}

/// Runs worker `seat` of a run on the region `s`.
pub(crate) fn run<B: Backend>(
    s: &RegionView<'_, B>,
    seat: Seat,
    settings: LoopSettings,
    clock: &Clock,
) -> LoopOutcome {
    workload::with_operation(
        settings.workload,
        seat.index,
        Compiled {
            s,
            seat,
            settings,
            clock,
        },
    )
}

struct Compiled<'a, 'r, B> {
    s: &'a RegionView<'r, B>,
    seat: Seat,
    settings: LoopSettings,
    clock: &'a Clock,
}

impl<B: Backend> WithOperation for Compiled<'_, '_, B> {
    type Output = LoopOutcome;

    fn call<O: Operation>(self, operation: O) -> LoopOutcome {
        let (s, seat, settings, clock) = (self.s, self.seat, self.settings, self.clock);
        // Without work the loop is compiled without the work checks: every instruction counts
        // when an uncontended lock costs a dozen nanoseconds.
        if settings.cs_work == BusyWork::NONE && settings.think == BusyWork::NONE {
            worker_loop::<B, O, false>(s, seat, operation, settings, clock)
        } else {
            worker_loop::<B, O, true>(s, seat, operation, settings, clock)
        }
    }
}

/// The loop; `WORK` says whether `--cs-work` or `--think` is in play.
fn worker_loop<B: Backend, O: Operation, const WORK: bool>(
    s: &RegionView<'_, B>,
    seat: Seat,
    operation: O,
    settings: LoopSettings,
    clock: &Clock,
) -> LoopOutcome {
    let Seat { index, quota } = seat;
    let mut rec = Recorder::new();
    let me = index as u64;
    let start = clock.raw();
    let mut done = 0u64;
    let period = match settings.latency {
        LatencyMode::Off => u64::MAX,
        LatencyMode::Sample(n) => u64::from(n),
    };
    let mut until_sample = period;
    let workers = s.progress.len() as u64;
    let mut counted_start = false;
    let mut window_open_at: Option<u64> = None;
    let mut window_close_at: Option<u64> = None;
    while done < quota {
        let n = CHUNK.min(quota - done);
        let mut left = n;
        while until_sample <= left {
            for _ in 1..until_sample {
                op::<B, O, false, WORK>(s, me, operation, settings, clock, &mut rec);
            }
            op::<B, O, true, WORK>(s, me, operation, settings, clock, &mut rec);
            left -= until_sample;
            until_sample = period;
        }
        for _ in 0..left {
            op::<B, O, false, WORK>(s, me, operation, settings, clock, &mut rec);
        }
        until_sample -= left;
        done += n;
        // Relaxed: a display counter; the supervisor needs no ordering with anything else.
        s.progress[index].0.store(done, Ordering::Relaxed);
        let state = if counted_start {
            s.control.state()
        } else {
            counted_start = true;
            s.control.count_started(workers, clock.raw())
        };
        if window_open_at.is_none() && state.all_started(workers) {
            window_open_at = Some(done);
        }
        if state.window_closed() {
            window_close_at.get_or_insert(done);
            if state.stop() {
                break;
            }
        }
    }
    let stop = clock.raw();
    if done == quota {
        // The first finisher closes the contended interval.
        s.control.close_window(|| clock.raw());
    }
    let close = window_close_at.unwrap_or(done);
    rec.window_ops = window_open_at.map(|open| close.saturating_sub(open));
    rec.ops = done;
    LoopOutcome {
        start_ticks: start,
        stop_ticks: stop,
        rec,
    }
}

/// One operation: acquire, update, release; then think. `TIMED` measures the wait from just
/// before the acquire to the first instruction inside the critical section.
#[inline(always)]
fn op<B: Backend, O: Operation, const TIMED: bool, const WORK: bool>(
    s: &RegionView<'_, B>,
    me: u64,
    operation: O,
    settings: LoopSettings,
    clock: &Clock,
    rec: &mut Recorder,
) {
    let before = if TIMED { clock.raw() } else { 0 };
    let handoffs = &mut rec.handoffs;
    let acquired = s.lock.with(|| {
        let acquired = if TIMED { clock.raw() } else { 0 };
        let data = s.data;
        operation.update::<WORK>(&data.counter, B::KIND, settings.cs_work);
        if B::KIND == Protection::Lock {
            // Relaxed: inside the critical section, ordered by the lock like the counter.
            let previous = data.last_holder.load(Ordering::Relaxed);
            if previous != me {
                data.last_holder.store(me, Ordering::Relaxed);
                *handoffs += u64::from(previous != NO_HOLDER);
            }
        }
        acquired
    });
    if TIMED {
        rec.record_wait(clock.delta_ns(before, acquired));
    }
    if WORK {
        settings.think.run();
    }
}
