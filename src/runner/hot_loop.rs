//! The hot loop: what every worker, thread or process, runs between the start and its stop, and
//! the task loop of `--tasks` beside it, with the same bookkeeping between chunks ([`Chunks`]).
//! Generic over the backend and the workload's operation, so that both are compiled in: no call
//! through a pointer per operation. What one operation does is in [`super::op`]; which lock it
//! takes and which acquisitions are timed, in [`super::draws`].

use std::sync::atomic::Ordering;

use super::LoopSettings;
use super::control::CHUNK;
use super::draws::{LockChoice, Sampling, WorkChoice};
use super::op::{Pick, Worker, after_op, op, write_section};
use super::region::RegionView;
use crate::locks::Backend;
use crate::measure::clock::Clock;
use crate::measure::recorder::Recorder;
use crate::measure::usage::CpuUsage;
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
        // Without work, and with one lock, the loop is compiled without the work checks and
        // the lock choice: every instruction counts when an uncontended lock costs a dozen
        // nanoseconds. A deadline on the acquisitions rides with the work checks.
        let work = settings.cs_work != BusyWork::NONE
            || settings.think != BusyWork::NONE
            || settings.draws.is_some()
            || settings.wake_latency
            || settings.timeout.is_some();
        match (work, s.slots.len() > 1) {
            (false, false) => {
                worker_loop::<B, O, false, false>(s, seat, operation, settings, clock)
            }
            (true, false) => worker_loop::<B, O, true, false>(s, seat, operation, settings, clock),
            (false, true) => worker_loop::<B, O, false, true>(s, seat, operation, settings, clock),
            (true, true) => worker_loop::<B, O, true, true>(s, seat, operation, settings, clock),
        }
    }
}

/// The loop; `WORK` says whether `--cs-work`, `--think` or `--timeout` is in play, `MANY`
/// whether there is more than one lock to choose from.
fn worker_loop<B: Backend, O: Operation, const WORK: bool, const MANY: bool>(
    s: &RegionView<'_, B>,
    seat: Seat,
    operation: O,
    settings: LoopSettings,
    clock: &Clock,
) -> LoopOutcome {
    let Seat { index, quota } = seat;
    let mut rec = Recorder::new();
    let w = Worker {
        s,
        me: index as u64,
        operation,
        settings,
        clock,
    };
    let mut sampling = Sampling::new(settings.latency, index, clock.raw());
    let mix = settings.draws.and_then(|d| d.mix(index));
    let mut choice = LockChoice::new(index, clock.raw(), s.slots.len(), mix);
    let mut lengths = WorkChoice::new(index, clock.raw(), &settings);
    // The workload's own draw of reads and writes (compiled out unless it mixes them).
    let mut draw = operation;
    let first_slot = &s.slots[0];
    let mut chunks = Chunks::new(s, index, clock, CpuUsage::of_this_thread);
    let mut done = 0u64;
    let mut until_sample = sampling.next_gap();
    while done < quota {
        let n = CHUNK.min(quota - done);
        let mut left = n;
        let in_window = chunks.in_window;
        // The lock (or, for a transfer, the two) each operation takes, its work, and whether
        // it reads.
        let mut next = || {
            let from = if MANY { choice.next() } else { 0 };
            let (cs, think) = if WORK {
                lengths.next(from)
            } else {
                (BusyWork::NONE, BusyWork::NONE)
            };
            let read = O::MIXED && lengths.is_read(from, || draw.next_is_read());
            let to = if MANY && O::PAIRED {
                choice.other_than(from)
            } else {
                from
            };
            let slot = if MANY { &s.slots[from] } else { first_slot };
            let pick = Pick {
                slot,
                from,
                to,
                cs,
                think,
            };
            (pick, read)
        };
        while until_sample <= left {
            for _ in 1..until_sample {
                let (pick, read) = next();
                op::<B, O, false, WORK>(&w, pick, read, &mut rec, in_window);
            }
            let (pick, read) = next();
            op::<B, O, true, WORK>(&w, pick, read, &mut rec, in_window);
            left -= until_sample;
            until_sample = sampling.next_gap();
        }
        for _ in 0..left {
            let (pick, read) = next();
            op::<B, O, false, WORK>(&w, pick, read, &mut rec, in_window);
        }
        until_sample -= left;
        done += n;
        if chunks.after(done, &rec) {
            break;
        }
    }
    chunks.finish(done, quota, rec)
}

/// Runs task `seat` of a `--tasks` run on the region `s`: the loop of [`worker_loop`] with an
/// await at the lock (an async mutex's wait; any other backend's `with`) and a yield to the
/// runtime after every chunk, as a task with other work to do would. Counter and bank
/// workloads only (one lock per operation, no deadline: `config` refuses the rest).
pub(crate) async fn run_task<B: Backend>(
    s: &RegionView<'_, B>,
    seat: Seat,
    settings: LoopSettings,
    clock: &Clock,
) -> LoopOutcome {
    let work = settings.cs_work != BusyWork::NONE
        || settings.think != BusyWork::NONE
        || settings.draws.is_some();
    let task = Task {
        s,
        seat,
        settings,
        clock,
    };
    let future = workload::with_operation(settings.workload, seat.index, task);
    if work {
        future.with_work.await
    } else {
        future.without.await
    }
}

/// The task loop of one workload, compiled with and without busy work.
struct Task<'a, 'r, B> {
    s: &'a RegionView<'r, B>,
    seat: Seat,
    settings: LoopSettings,
    clock: &'a Clock,
}

/// Both versions of a task's loop, of which one is awaited.
struct TaskLoops<W, N> {
    with_work: W,
    without: N,
}

impl<'a, 'r, B: Backend> WithOperation for Task<'a, 'r, B> {
    type Output = TaskLoops<
        std::pin::Pin<Box<dyn std::future::Future<Output = LoopOutcome> + Send + 'a>>,
        std::pin::Pin<Box<dyn std::future::Future<Output = LoopOutcome> + Send + 'a>>,
    >;

    fn call<O: Operation>(self, operation: O) -> Self::Output {
        let Task {
            s,
            seat,
            settings,
            clock,
        } = self;
        TaskLoops {
            with_work: Box::pin(task_loop::<B, O, true>(s, seat, operation, settings, clock)),
            without: Box::pin(task_loop::<B, O, false>(
                s, seat, operation, settings, clock,
            )),
        }
    }
}

/// One task's loop: `WORK` as in [`worker_loop`]; the lock is chosen among `--locks`.
async fn task_loop<B: Backend, O: Operation, const WORK: bool>(
    s: &RegionView<'_, B>,
    seat: Seat,
    operation: O,
    settings: LoopSettings,
    clock: &Clock,
) -> LoopOutcome {
    let Seat { index, quota } = seat;
    let mut rec = Recorder::new();
    let w = Worker {
        s,
        me: index as u64,
        operation,
        settings,
        clock,
    };
    let mut sampling = Sampling::new(settings.latency, index, clock.raw());
    let mut choice = LockChoice::new(
        index,
        clock.raw(),
        s.slots.len(),
        settings.draws.and_then(|d| d.mix(index)),
    );
    let mut lengths = WorkChoice::new(index, clock.raw(), &settings);
    // A task moves between the runtime's threads: no CPU use of its own is read.
    let mut chunks = Chunks::new(s, index, clock, || None);
    let mut done = 0u64;
    let mut until_sample = sampling.next_gap();
    while done < quota {
        let n = CHUNK.min(quota - done);
        let in_window = chunks.in_window;
        for _ in 0..n {
            let at = choice.next();
            let slot = &s.slots[at];
            let (cs, think) = lengths.next(at);
            until_sample -= 1;
            if until_sample == 0 {
                until_sample = sampling.next_gap();
                let before = clock.raw();
                let section = write_section::<B, O, true, WORK>(&w, slot, cs, &mut rec);
                let entered = slot.lock.0.with_async(section).await;
                let entered = Some(entered);
                after_op::<B, O, true, WORK>(
                    &w,
                    before,
                    entered,
                    think,
                    (false, false),
                    &mut rec,
                    in_window,
                );
            } else {
                let section = write_section::<B, O, false, WORK>(&w, slot, cs, &mut rec);
                let entered = slot.lock.0.with_async(section).await;
                let entered = Some(entered);
                after_op::<B, O, false, WORK>(
                    &w,
                    0,
                    entered,
                    think,
                    (false, false),
                    &mut rec,
                    in_window,
                );
            }
        }
        done += n;
        if chunks.after(done, &rec) {
            break;
        }
        tokio::task::yield_now().await;
    }
    chunks.finish(done, quota, rec)
}

/// The bookkeeping of a worker's loop between chunks, the same for a thread, a process and a
/// task: the progress it publishes, the control word it reads, and the counts it notes when
/// it sees the contended interval open and close.
pub(crate) struct Chunks<'a, 'r, B> {
    s: &'a RegionView<'r, B>,
    index: usize,
    clock: &'a Clock,
    workers: u64,
    counted_start: bool,
    /// This worker's CPU use so far (a task has none of its own: it moves between threads).
    usage: fn() -> Option<CpuUsage>,
    usage_at_start: Option<CpuUsage>,
    start: u64,
    // (operations, hand-offs, CPU use) when this worker saw the window open, and when it saw
    // it close. Operations are those that acquired: `done` counts attempts, and an attempt
    // that timed out did nothing.
    window_open_at: Option<(u64, u64, Option<CpuUsage>)>,
    window_close_at: Option<(u64, u64, Option<CpuUsage>)>,
    /// Whether the operations of the next chunk fall in the contended interval.
    pub in_window: bool,
}

impl<'a, 'r, B: Backend> Chunks<'a, 'r, B> {
    /// The start of worker `index`'s loop.
    pub(crate) fn new(
        s: &'a RegionView<'r, B>,
        index: usize,
        clock: &'a Clock,
        usage: fn() -> Option<CpuUsage>,
    ) -> Self {
        Chunks {
            s,
            index,
            clock,
            workers: s.progress.len() as u64,
            counted_start: false,
            usage,
            usage_at_start: usage(),
            start: clock.raw(),
            window_open_at: None,
            window_close_at: None,
            in_window: false,
        }
    }

    /// After a chunk, `done` attempts in all: publishes the progress, reads the control word,
    /// notes the window's opening and closing; `true` when the run is stopped.
    pub(crate) fn after(&mut self, done: u64, rec: &Recorder) -> bool {
        let (s, clock, workers) = (self.s, self.clock, self.workers);
        // Relaxed: a display counter; the supervisor needs no ordering with anything else.
        s.progress[self.index].0.done.store(done, Ordering::Relaxed);
        let state = if self.counted_start {
            s.control.state()
        } else {
            self.counted_start = true;
            s.control.count_started(workers, clock.raw())
        };
        if self.window_open_at.is_none() && state.measuring(workers) {
            self.window_open_at = Some((done - rec.timeouts, rec.handoffs, (self.usage)()));
        }
        let mut stop = false;
        if state.window_closed() {
            if self.window_close_at.is_none() {
                self.window_close_at = Some((done - rec.timeouts, rec.handoffs, (self.usage)()));
            }
            stop = state.stop();
        }
        self.in_window = self.window_open_at.is_some() && self.window_close_at.is_none();
        stop
    }

    /// The end of the loop after `done` attempts of `quota`: the first to finish its quota
    /// closes the contended interval; the record gets its window and its totals.
    pub(crate) fn finish(self, done: u64, quota: u64, mut rec: Recorder) -> LoopOutcome {
        let clock = self.clock;
        let stop = clock.raw();
        let usage_at_stop = (self.usage)();
        if done == quota {
            self.s.control.close_window(|| clock.raw_ordered());
        }
        let (close_ops, close_handoffs, close_usage) =
            self.window_close_at
                .unwrap_or((done - rec.timeouts, rec.handoffs, usage_at_stop));
        if let Some((open_ops, open_handoffs, open_usage)) = self.window_open_at {
            rec.window_ops = Some(close_ops.saturating_sub(open_ops));
            rec.window_handoffs = Some(close_handoffs.saturating_sub(open_handoffs));
            rec.window_usage = close_usage.zip(open_usage).map(|(c, o)| c.since(o));
        }
        rec.usage = usage_at_stop
            .zip(self.usage_at_start)
            .map(|(end, start)| end.since(start));
        rec.ops = done - rec.timeouts;
        LoopOutcome {
            start_ticks: self.start,
            stop_ticks: stop,
            rec,
        }
    }
}
