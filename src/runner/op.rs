//! One operation of a worker's loop: the acquire, the critical section with its exclusion
//! check, the release, and what is recorded after it. An update takes the lock exclusively, a
//! read (the rw workload) shared, a transfer two locks in the workload's order; with a deadline
//! (`--timeout`) the wait may give up.

use std::sync::atomic::Ordering;

use super::LoopSettings;
use super::region::{FREE, NO_HOLDER, RegionView, SharedData, Slot};
use crate::locks::{Backend, Protection};
use crate::measure::clock::Clock;
use crate::measure::recorder::Recorder;
use crate::measure::usage::CpuUsage;
use crate::workload::Operation;
use crate::workload::busy::BusyWork;

/// The lock an operation takes (`slot`, number `from`), for a transfer the second (`to`), and
/// its busy work: in the critical section (`cs`) and after it (`think`).
pub(super) struct Pick<'a, B> {
    pub slot: &'a Slot<B>,
    pub from: usize,
    pub to: usize,
    pub cs: BusyWork,
    pub think: BusyWork,
}

/// What every operation of one worker reads: the region, who it is, what it does and how.
pub(super) struct Worker<'a, 'r, B, O> {
    pub s: &'a RegionView<'r, B>,
    pub me: u64,
    pub operation: O,
    pub settings: LoopSettings,
    pub clock: &'a Clock,
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
/// latency figures but in the count, and (timed) in the give-ups' own histogram: how long it
/// took to give up, against the deadline.
#[inline(always)]
pub(super) fn op<B: Backend, O: Operation, const TIMED: bool, const WORK: bool>(
    w: &Worker<'_, '_, B, O>,
    pick: Pick<'_, B>,
    read: bool,
    rec: &mut Recorder,
    in_window: bool,
) {
    let clock = w.clock;
    if TIMED && WORK && w.settings.wake_latency {
        // Read before the wait's first clock reading: its cost stays out of the wait.
        rec.pending_switches = voluntary_switches();
    }
    // Whether a timed acquisition finds the lock taken: a writer's mark in the holder word
    // (Relaxed: a glance, ordered with nothing; a reader inside leaves no mark, so a writer
    // that waits for readers is counted as finding it free).
    let taken = TIMED
        && B::KIND == Protection::Lock
        && pick.slot.data.0.holder.load(Ordering::Relaxed) & FREE == 0;
    // Only the acquired reading is ordered: it must not run before the acquire completes, or
    // the contended cache-line transfer (the hand-off itself) would fall outside the figure.
    // The reading before may run a little early, which can only lengthen a wait.
    let before = if TIMED { clock.raw() } else { 0 };
    let entered = if O::PAIRED {
        transfer_op::<B, O, TIMED, WORK>(w, pick.from, pick.to, pick.cs, rec)
    } else if O::MIXED && read {
        read_op::<B, O, TIMED, WORK>(w, pick.slot, pick.cs, rec)
    } else {
        write_op::<B, O, TIMED, WORK>(w, pick.slot, pick.cs, rec)
    };
    after_op::<B, O, TIMED, WORK>(
        w,
        before,
        entered,
        pick.think,
        (read, taken),
        rec,
        in_window,
    );
}

/// What follows an operation that began at `before` (when timed) and `entered` the critical
/// section (or gave up): the timeout counted, or the wait and the critical section recorded
/// (`read`: a read's; `taken`: one that found the lock taken); then the think time, `think`.
#[inline(always)]
pub(super) fn after_op<B: Backend, O: Operation, const TIMED: bool, const WORK: bool>(
    w: &Worker<'_, '_, B, O>,
    before: u64,
    entered: Option<(u64, u64)>,
    think: BusyWork,
    (read, taken): (bool, bool),
    rec: &mut Recorder,
    in_window: bool,
) {
    let Worker { s, clock, .. } = *w;
    // Busy work ends early when the run is stopped: no operation outlives the time limit.
    // Relaxed: a poll of the control word, as after every chunk.
    let stopped = || s.control.state().stop();
    let Some((acquired, released)) = entered else {
        rec.timeouts += 1;
        if TIMED {
            // How long the wait that gave up lasted: the deadline, and how late it was kept.
            rec.gave_up_ns
                .saturating_record(clock.delta_ns(before, clock.raw()).max(1));
        }
        think.run(clock, stopped);
        return;
    };
    if TIMED {
        let waited = clock.delta_ns(before, acquired);
        rec.record_wait(waited, in_window);
        if taken {
            rec.contended_wait_ns.saturating_record(waited.max(1));
        }
        if O::MIXED {
            rec.record_kind_wait(waited, read);
        }
        let release = std::mem::take(&mut rec.pending_release);
        if WORK && release != 0 {
            // A hand-off: woken if the thread slept in the wait (its voluntary switches
            // rose; Linux counts a yield as involuntary). The figure starts at the release
            // that let it in, the last before it entered: where a newcomer barged in ahead of
            // it, at that newcomer's release, not at the one that woke it.
            rec.timed_handoffs += 1;
            if voluntary_switches() > rec.pending_switches {
                rec.woken += 1;
                rec.wake_ns
                    .saturating_record(clock.delta_ns(release, acquired).max(1));
            }
        }
    }
    if WORK {
        if TIMED {
            rec.hold_ns.add(clock.delta_ns(acquired, released));
            let thinking = clock.raw();
            think.run(clock, stopped);
            rec.think_ns.add(clock.delta_ns(thinking, clock.raw()));
        } else {
            think.run(clock, stopped);
        }
    }
}

/// The critical section of an update, under the lock taken exclusively; returns the clock
/// readings on entry and before the release (when timed), or `None` if the wait gave up.
#[inline(always)]
fn write_op<B: Backend, O: Operation, const TIMED: bool, const WORK: bool>(
    w: &Worker<'_, '_, B, O>,
    slot: &Slot<B>,
    cs: BusyWork,
    rec: &mut Recorder,
) -> Option<(u64, u64)> {
    let section = write_section::<B, O, TIMED, WORK>(w, slot, cs, rec);
    acquire::<B, _, WORK>(&slot.lock.0, w.settings.timeout, section)
}

/// What an update does inside the critical section: the clock reading on entry (when timed),
/// the exclusion check, the update with its work `cs`, the check on exit, and the reading
/// before the release.
#[inline(always)]
pub(super) fn write_section<'a, B: Backend, O: Operation, const TIMED: bool, const WORK: bool>(
    w: &Worker<'a, '_, B, O>,
    slot: &'a Slot<B>,
    cs: BusyWork,
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
        let handed = enter::<B>(data, me, rec, true);
        let wake = WORK && settings.wake_latency;
        if TIMED && wake {
            // Relaxed (both accesses of the stamp): under the lock, like the data; the
            // previous holder wrote it before its release, which the lock orders before this.
            rec.pending_release = if handed {
                data.released_at.load(Ordering::Relaxed)
            } else {
                0
            };
        }
        operation.update::<WORK>(data.fields(), B::KIND, || cs.run(clock, stopped));
        if wake {
            data.released_at.store(clock.raw(), Ordering::Relaxed);
        }
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
    cs: BusyWork,
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
            cs.run(clock, stopped)
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
    let tally = if entered.is_some() {
        &line.moves
    } else {
        &line.gave_up
    };
    tally.store(tally.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
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
/// hand-offs (counted when `handoffs`; `true` for one). Relaxed (all the holder word's accesses): under a lock
/// they are ordered by it like the data; without one, a broken lock shows as a worker that
/// finds another's mark. The atomic baseline has no critical section to check: its updates
/// overlap by design.
#[inline(always)]
fn enter<B: Backend>(data: &SharedData, me: u64, rec: &mut Recorder, handoffs: bool) -> bool {
    if B::KIND == Protection::AtomicRmw {
        return false;
    }
    let previous = data.holder.load(Ordering::Relaxed);
    data.holder.store(me, Ordering::Relaxed);
    if previous & FREE == 0 {
        rec.exclusion_violations += 1;
        false
    } else if handoffs && B::KIND == Protection::Lock {
        let handed = previous != NO_HOLDER && previous != (me | FREE);
        rec.handoffs += u64::from(handed);
        handed
    } else {
        false
    }
}

/// This thread's voluntary context switches so far (0 where the kernel does not say).
fn voluntary_switches() -> u64 {
    CpuUsage::voluntary_switches_of_this_thread().unwrap_or(0)
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
    cs: BusyWork,
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
        let torn = operation.read::<WORK>(data.fields(), || cs.run(clock, stopped));
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
