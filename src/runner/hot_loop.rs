//! The hot loop: what every worker, thread or process, runs between the start and its stop.
//! Generic over the backend and the workload's operation, so that both are compiled in: no call
//! through a pointer per operation.

use std::sync::atomic::Ordering;

use super::LoopSettings;
use super::control::CHUNK;
use super::region::{FREE, NO_HOLDER, RegionView, SharedData, Slot};
use crate::locks::{Backend, Protection};
use crate::measure::clock::Clock;
use crate::measure::recorder::Recorder;
use crate::measure::usage::CpuUsage;
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
        // Without work, and with one lock, the loop is compiled without the work checks and
        // the lock choice: every instruction counts when an uncontended lock costs a dozen
        // nanoseconds. A deadline on the acquisitions rides with the work checks.
        let work = settings.cs_work != BusyWork::NONE
            || settings.think != BusyWork::NONE
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
    let mut choice = LockChoice::new(index, clock.raw(), s.slots.len());
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
        // The lock (or, for a transfer, the two) each operation takes.
        let mut next = || {
            if MANY {
                let from = choice.next();
                let to = if O::PAIRED {
                    choice.other_than(from)
                } else {
                    from
                };
                Pick {
                    slot: &s.slots[from],
                    from,
                    to,
                }
            } else {
                Pick {
                    slot: first_slot,
                    from: 0,
                    to: 0,
                }
            }
        };
        let mut read = || O::MIXED && draw.next_is_read();
        while until_sample <= left {
            for _ in 1..until_sample {
                op::<B, O, false, WORK>(&w, next(), read(), &mut rec, in_window);
            }
            op::<B, O, true, WORK>(&w, next(), read(), &mut rec, in_window);
            left -= until_sample;
            until_sample = sampling.next_gap();
        }
        for _ in 0..left {
            op::<B, O, false, WORK>(&w, next(), read(), &mut rec, in_window);
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
    let work = settings.cs_work != BusyWork::NONE || settings.think != BusyWork::NONE;
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
    let mut choice = LockChoice::new(index, clock.raw(), s.slots.len());
    // A task moves between the runtime's threads: no CPU use of its own is read.
    let mut chunks = Chunks::new(s, index, clock, || None);
    let mut done = 0u64;
    let mut until_sample = sampling.next_gap();
    while done < quota {
        let n = CHUNK.min(quota - done);
        let in_window = chunks.in_window;
        for _ in 0..n {
            let slot = &s.slots[choice.next()];
            until_sample -= 1;
            if until_sample == 0 {
                until_sample = sampling.next_gap();
                let before = clock.raw();
                let section = write_section::<B, O, true, WORK>(&w, slot, &mut rec);
                let entered = slot.lock.0.with_async(section).await;
                after_op::<B, O, true, WORK>(&w, before, Some(entered), false, &mut rec, in_window);
            } else {
                let section = write_section::<B, O, false, WORK>(&w, slot, &mut rec);
                let entered = slot.lock.0.with_async(section).await;
                after_op::<B, O, false, WORK>(&w, 0, Some(entered), false, &mut rec, in_window);
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

/// The lock an operation takes (`slot`, number `from`), and for a transfer the second, `to`.
struct Pick<'a, B> {
    slot: &'a Slot<B>,
    from: usize,
    to: usize,
}

/// What every operation of one worker reads: the region, who it is, what it does and how.
struct Worker<'a, 'r, B, O> {
    s: &'a RegionView<'r, B>,
    me: u64,
    operation: O,
    settings: LoopSettings,
    clock: &'a Clock,
}

// Derived Clone/Copy would ask B: Copy; every field is a reference or Copy.
impl<B, O: Copy> Clone for Worker<'_, '_, B, O> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<B, O: Copy> Copy for Worker<'_, '_, B, O> {}

/// One operation on `slot`: acquire, check that nobody else is inside, update, check again,
/// release; then think. A `read` (the rw workload) takes the lock shared instead and reads.
/// With a deadline (`--timeout`, compiled in with the work) an acquisition that reaches it
/// gives up: no update, a timeout counted, and the worker thinks and goes on.
/// `TIMED` measures the wait from just before the acquire to the first instruction inside the
/// critical section, that reading ordered after the acquire (and, with work, how long the
/// critical section and the think time really lasted); a wait that gave up is not in the
/// latency figures (it lasted the deadline), only in the count.
#[inline(always)]
fn op<B: Backend, O: Operation, const TIMED: bool, const WORK: bool>(
    w: &Worker<'_, '_, B, O>,
    pick: Pick<'_, B>,
    read: bool,
    rec: &mut Recorder,
    in_window: bool,
) {
    let clock = w.clock;
    // Only the acquired reading is ordered: it must not run before the acquire completes, or
    // the contended cache-line transfer (the hand-off itself) would fall outside the figure.
    // The reading before may run a little early, which can only lengthen a wait.
    let before = if TIMED { clock.raw() } else { 0 };
    let entered = if O::PAIRED {
        transfer_op::<B, O, TIMED, WORK>(w, pick.from, pick.to, rec)
    } else if O::MIXED && read {
        read_op::<B, O, TIMED, WORK>(w, pick.slot, rec)
    } else {
        write_op::<B, O, TIMED, WORK>(w, pick.slot, rec)
    };
    after_op::<B, O, TIMED, WORK>(w, before, entered, read, rec, in_window);
}

/// What follows an operation that began at `before` (when timed) and `entered` the critical
/// section (or gave up): the timeout counted, or the wait and the critical section recorded;
/// then the think time.
#[inline(always)]
fn after_op<B: Backend, O: Operation, const TIMED: bool, const WORK: bool>(
    w: &Worker<'_, '_, B, O>,
    before: u64,
    entered: Option<(u64, u64)>,
    read: bool,
    rec: &mut Recorder,
    in_window: bool,
) {
    let Worker {
        s, settings, clock, ..
    } = *w;
    // Busy work ends early when the run is stopped: no operation outlives the time limit.
    // Relaxed: a poll of the control word, as after every chunk.
    let stopped = || s.control.state().stop();
    let Some((acquired, released)) = entered else {
        rec.timeouts += 1;
        settings.think.run(clock, stopped);
        return;
    };
    if TIMED {
        let waited = clock.delta_ns(before, acquired);
        rec.record_wait(waited, in_window);
        if O::MIXED {
            rec.record_kind_wait(waited, read);
        }
    }
    if WORK {
        if TIMED {
            rec.hold_ns.add(clock.delta_ns(acquired, released));
            let thinking = clock.raw();
            settings.think.run(clock, stopped);
            rec.think_ns.add(clock.delta_ns(thinking, clock.raw()));
        } else {
            settings.think.run(clock, stopped);
        }
    }
}

/// The critical section of an update, under the lock taken exclusively; returns the clock
/// readings on entry and before the release (when timed), or `None` if the wait gave up.
#[inline(always)]
fn write_op<B: Backend, O: Operation, const TIMED: bool, const WORK: bool>(
    w: &Worker<'_, '_, B, O>,
    slot: &Slot<B>,
    rec: &mut Recorder,
) -> Option<(u64, u64)> {
    let section = write_section::<B, O, TIMED, WORK>(w, slot, rec);
    acquire::<B, _, WORK>(&slot.lock.0, w.settings.timeout, section)
}

/// What an update does inside the critical section: the clock reading on entry (when timed),
/// the exclusion check, the update with its work, the check on exit, and the reading before
/// the release.
#[inline(always)]
fn write_section<'a, B: Backend, O: Operation, const TIMED: bool, const WORK: bool>(
    w: &Worker<'a, '_, B, O>,
    slot: &'a Slot<B>,
    rec: &'a mut Recorder,
) -> impl FnOnce() -> (u64, u64) + Send + 'a {
    let Worker {
        s,
        me,
        operation,
        settings,
        clock,
    } = *w;
    let control = s.control;
    move || {
        // Relaxed: a poll of the control word, as after every chunk.
        let stopped = || control.state().stop();
        let acquired = if TIMED { clock.raw_ordered() } else { 0 };
        let data = &slot.data.0;
        enter::<B>(data, me, rec, true);
        operation.update::<WORK>(data.fields(), B::KIND, || {
            settings.cs_work.run(clock, stopped)
        });
        leave::<B>(data, me, rec);
        (acquired, if TIMED && WORK { clock.raw() } else { 0 })
    }
}

/// A transfer from account `from` to account `to`: both locks taken, in the workload's order,
/// and the update made holding both. The worker's line says which account it holds while it
/// waits for the other, for the deadlock watch. `None` if either wait gave up (then nothing
/// was updated).
#[inline(always)]
fn transfer_op<B: Backend, O: Operation, const TIMED: bool, const WORK: bool>(
    w: &Worker<'_, '_, B, O>,
    from: usize,
    to: usize,
    rec: &mut Recorder,
) -> Option<(u64, u64)> {
    let Worker {
        s,
        me,
        operation,
        settings,
        clock,
    } = *w;
    // Relaxed: a poll of the control word, as after every chunk.
    let stopped = || s.control.state().stop();
    let line = &s.progress[me as usize].0;
    let (first, second) = operation.lock_order(from, to);
    // Relaxed (the watch's words, all): only this worker writes them and the supervisor reads
    // them now and then; a deadlock holds them still for as long as it lasts, which is all the
    // watch needs.
    line.waits.store(first as u64 + 1, Ordering::Relaxed);
    let both = || {
        let acquired = if TIMED { clock.raw_ordered() } else { 0 };
        line.waits.store(0, Ordering::Relaxed);
        let (source, target) = (&s.slots[from].data.0, &s.slots[to].data.0);
        // Hand-offs are counted on the source account's lock.
        enter::<B>(source, me, rec, true);
        enter::<B>(target, me, rec, false);
        operation.update_pair::<WORK>(source.fields(), target.fields(), B::KIND, || {
            settings.cs_work.run(clock, stopped)
        });
        leave::<B>(target, me, rec);
        leave::<B>(source, me, rec);
        (acquired, if TIMED && WORK { clock.raw() } else { 0 })
    };
    let outer = || {
        line.holds.store(first as u64 + 1, Ordering::Relaxed);
        line.waits.store(second as u64 + 1, Ordering::Relaxed);
        let entered = acquire::<B, _, WORK>(&s.slots[second].lock.0, settings.timeout, both);
        line.holds.store(0, Ordering::Relaxed);
        entered
    };
    let entered = acquire::<B, _, WORK>(&s.slots[first].lock.0, settings.timeout, outer).flatten();
    line.waits.store(0, Ordering::Relaxed);
    if entered.is_some() {
        let moves = line.moves.load(Ordering::Relaxed);
        line.moves.store(moves + 1, Ordering::Relaxed);
    }
    entered
}

/// Runs `section` holding `lock`, waiting at most `timeout` when one is given (compiled in
/// with the work only); `None` if the wait gave up.
#[inline(always)]
fn acquire<B: Backend, T, const WORK: bool>(
    lock: &B,
    timeout: Option<std::time::Duration>,
    section: impl FnOnce() -> T,
) -> Option<T> {
    match timeout {
        Some(timeout) if WORK => lock.with_timeout(timeout, section),
        _ => Some(lock.with(section)),
    }
}

/// The exclusion check on entry, as the kernel's locktorture makes it: the holder word must say
/// that nobody is inside; then it names us. Its previous value gives the last holder, for
/// hand-offs (counted when `handoffs`). Relaxed (all the holder word's accesses): under a lock
/// they are ordered by it like the data; without one, a broken lock shows as a worker that
/// finds another's mark. The atomic baseline has no critical section to check: its updates
/// overlap by design.
#[inline(always)]
fn enter<B: Backend>(data: &SharedData, me: u64, rec: &mut Recorder, handoffs: bool) {
    if B::KIND == Protection::AtomicRmw {
        return;
    }
    let previous = data.holder.load(Ordering::Relaxed);
    data.holder.store(me, Ordering::Relaxed);
    if previous & FREE == 0 {
        rec.exclusion_violations += 1;
    } else if handoffs && B::KIND == Protection::Lock {
        rec.handoffs += u64::from(previous != NO_HOLDER && previous != (me | FREE));
    }
}

/// The exclusion check on exit: the holder word must still name us; then it says free, with
/// us as the last holder.
#[inline(always)]
fn leave<B: Backend>(data: &SharedData, me: u64, rec: &mut Recorder) {
    if B::KIND == Protection::AtomicRmw {
        return;
    }
    if data.holder.load(Ordering::Relaxed) != me {
        rec.exclusion_violations += 1;
    }
    data.holder.store(me | FREE, Ordering::Relaxed);
}

/// The critical section of a read, under the lock taken shared: the holder word must say that
/// no writer is inside, on entry and on exit (read only: readers never write its line, so they
/// stay free to share the lock), and the record must not be torn. `None` if the wait gave up.
#[inline(always)]
fn read_op<B: Backend, O: Operation, const TIMED: bool, const WORK: bool>(
    w: &Worker<'_, '_, B, O>,
    slot: &Slot<B>,
    rec: &mut Recorder,
) -> Option<(u64, u64)> {
    let Worker {
        s,
        operation,
        settings,
        clock,
        ..
    } = *w;
    let checked = B::KIND != Protection::AtomicRmw;
    // Relaxed: a poll of the control word, as after every chunk.
    let stopped = || s.control.state().stop();
    let (violations, torn_reads) = (&mut rec.exclusion_violations, &mut rec.torn_reads);
    let section = || {
        let acquired = if TIMED { clock.raw_ordered() } else { 0 };
        let data = &slot.data.0;
        // Relaxed: as the writers' marks (see `write_op`).
        if checked && data.holder.load(Ordering::Relaxed) & FREE == 0 {
            *violations += 1;
        }
        let torn = operation.read::<WORK>(data.fields(), || settings.cs_work.run(clock, stopped));
        *torn_reads += u64::from(torn);
        if checked && data.holder.load(Ordering::Relaxed) & FREE == 0 {
            *violations += 1;
        }
        (acquired, if TIMED && WORK { clock.raw() } else { 0 })
    };
    let entered = match settings.timeout {
        Some(timeout) if WORK => slot.lock.0.with_shared_timeout(timeout, section),
        _ => Some(slot.lock.0.with_shared(section)),
    };
    rec.reads += u64::from(entered.is_some());
    entered
}

/// Which lock an operation takes when there are several: uniformly at random, from a
/// xorshift64 generator seeded per worker. The same few instructions for every backend.
struct LockChoice {
    state: u64,
    locks: u64,
}

impl LockChoice {
    fn new(index: usize, seed: u64, locks: usize) -> Self {
        LockChoice {
            // Never zero (xorshift's fixed point): the index's odd multiple is mixed in.
            state: seed ^ ((index as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03) | 1),
            locks: locks as u64,
        }
    }

    /// The next lock's index, below the lock count.
    #[inline(always)]
    fn next(&mut self) -> usize {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        self.below(self.locks)
    }

    /// A lock's index other than `taken`, uniformly among the others (there are at least two).
    #[inline(always)]
    fn other_than(&mut self, taken: usize) -> usize {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        let other = self.below(self.locks - 1);
        other + usize::from(other >= taken)
    }

    /// The generator's state scaled below `n`: the high half of a 64 x 64-bit product, uniform
    /// enough, and no division.
    #[inline(always)]
    fn below(&self, n: u64) -> usize {
        ((u128::from(self.state) * u128::from(n)) >> 64) as usize
    }
}

/// Which acquisitions are timed: gaps drawn from a geometric distribution with the mean that
/// `--latency sample=N` asks for, from a generator seeded per worker, so that samples land at
/// no fixed phase of the chunks or of a FIFO lock's rounds.
struct Sampling {
    /// log2(1 - 1/N), or 0 for "every acquisition" and "none".
    log_keep: f64,
    /// Every acquisition (`full`).
    every: bool,
    /// No acquisition (`off`).
    never: bool,
    /// xorshift64* state.
    state: u64,
}

impl Sampling {
    fn new(latency: LatencyMode, index: usize, seed: u64) -> Self {
        let mean = match latency {
            LatencyMode::Off => 0,
            LatencyMode::Sample(n) => n,
        };
        Sampling {
            log_keep: if mean > 1 {
                (1.0 - 1.0 / f64::from(mean)).log2()
            } else {
                0.0
            },
            every: mean == 1,
            never: mean == 0,
            // Never zero (xorshift's fixed point): the index's odd multiple is mixed in.
            state: seed ^ ((index as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1),
        }
    }

    /// Operations until the next timed one (1: the next).
    fn next_gap(&mut self) -> u64 {
        if self.every {
            return 1;
        }
        if self.never {
            return u64::MAX;
        }
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        let bits = self.state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11;
        // Uniform in (0, 1]; the geometric gap is 1 + floor(log(u) / log(1 - 1/N)).
        let u = (bits as f64 + 1.0) / (1u64 << 53) as f64;
        1 + (approx_log2(u) / self.log_keep) as u64
    }
}

/// log2 of `x` (positive, normal), to within 0.01: the exponent plus a quadratic in the
/// mantissa (a gap of mean 256 is then off by under two operations). A library logarithm per
/// timed acquisition, with the rest of a sample, put the default sampling past its budget.
fn approx_log2(x: f64) -> f64 {
    let bits = x.to_bits();
    let exponent = ((bits >> 52) & 0x7ff) as f64 - 1023.0;
    let fraction = f64::from_bits((bits & ((1 << 52) - 1)) | (1023 << 52)) - 1.0;
    exponent + fraction * (1.346_555_3 - 0.346_555_3 * fraction)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sampling_gaps_average_n_and_are_not_periodic() {
        let mut s = Sampling::new(LatencyMode::Sample(256), 3, 12345);
        let gaps: Vec<u64> = (0..20_000).map(|_| s.next_gap()).collect();
        let mean = gaps.iter().sum::<u64>() as f64 / gaps.len() as f64;
        assert!((236.0..276.0).contains(&mean), "mean gap {mean}");
        assert!(gaps.iter().all(|&g| g >= 1));
        let distinct: std::collections::BTreeSet<_> = gaps.iter().collect();
        assert!(distinct.len() > 500, "gaps vary: {}", distinct.len());
        let mut other = Sampling::new(LatencyMode::Sample(256), 4, 12345);
        assert_ne!(
            (0..8).map(|_| other.next_gap()).collect::<Vec<_>>(),
            gaps[..8],
            "workers draw different gaps"
        );
        assert_eq!(Sampling::new(LatencyMode::Sample(1), 0, 1).next_gap(), 1);
        assert_eq!(Sampling::new(LatencyMode::Off, 0, 1).next_gap(), u64::MAX);
    }

    #[test]
    fn the_lock_choice_covers_every_lock_evenly() {
        let mut choice = LockChoice::new(2, 99, 64);
        let mut counts = [0u32; 64];
        for _ in 0..64_000 {
            counts[choice.next()] += 1;
        }
        // 1,000 expected each; a uniform draw stays well within 30% of it.
        assert!(
            counts.iter().all(|&c| (700..1300).contains(&c)),
            "{counts:?}"
        );
        let mut one = LockChoice::new(0, 1, 1);
        assert!((0..100).all(|_| one.next() == 0));
    }

    #[test]
    fn the_approximate_logarithm_is_close() {
        for x in [1.0, 0.75, 0.5, 0.3, 1e-3, 1e-9, 1.0 / 3.0] {
            let (approx, exact) = (approx_log2(x), f64::log2(x));
            assert!((approx - exact).abs() < 0.01, "{x}: {approx} vs {exact}");
        }
    }
}
