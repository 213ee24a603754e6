//! The machine's costs that decide between locks, measured as a command starts (about 100 ms,
//! each measurement bounded): the spin hint in cycles, the cache line's round trip between
//! CPUs, a futex wake and the wake-up it causes, and a context switch. A spinning lock wins
//! where round trips are short and pauses cheap; a sleeping one where wakes are cheap; these
//! are the figures that say which machine is which.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use crate::measure::clock::Clock;
use crate::measure::futex;
use crate::model::{CoreRoundTrip, CostRanges, MachineCosts, PinPolicy, Range};
use crate::runner::affinity::{Topology, pin_current};

/// Pairs of CPUs whose round trip is measured, at most.
const PAIRS: usize = 8;
/// Round trips in one timed round.
const TRIPS: u32 = 2_000;
/// Timed rounds per pair, or of context switches (the least is kept, and the spread).
const ROUNDS: usize = 3;
/// Wakes timed.
const WAKES: u32 = 60;
/// How long the waker lets its waiter fall asleep before each wake.
const FALL_ASLEEP: Duration = Duration::from_micros(200);
/// Back-and-forth passes of the CPU in one timed round of context switches.
const SWITCHES: u32 = 500;
/// The longest any one measurement may take: past it, it is given up (`None`). A measurement
/// that needs two threads to run at once cannot finish while the machine gives it one CPU.
const BOUND: Duration = Duration::from_millis(250);
/// The longest one futex wait sleeps before it looks at the clock again.
const WAIT_SLICE: Duration = Duration::from_millis(5);

/// One cache line of its own, so the round trip moves only it.
#[repr(align(128))]
struct Line(AtomicU32);

/// Measures the machine's costs on the CPUs `topology` allows; `pause_rounds` are the spin
/// hint's rounds already measured, ns each. Each cost is the least of its rounds (a floor), with
/// the spread of the rounds beside it.
pub fn measure(
    topology: &Topology,
    clock: &Clock,
    pause_rounds: &[f64],
    tsc: bool,
) -> MachineCosts {
    let mut cpus: Vec<usize> = topology
        .placement(&PinPolicy::Compact, topology.cpus.len())
        .into_iter()
        .flatten()
        .collect();
    cpus.dedup();
    let ticks_per_ns = clock.ticks_for(Duration::from_secs(1)) as f64 / 1e9;
    let (futex_wake, wakeup) = match cpus.as_slice() {
        [] => (None, None),
        // On one CPU the woken waiter may run before the waker reads the clock again: the
        // call's cost would include the waiter's run, so only the wake-up is kept.
        [only] => {
            let (only, clock) = (*only, clock.clone());
            bounded(move || typical(wakes(&clock, only, only).1))
                .map_or((None, None), |w| (None, w))
        }
        [first, second, ..] => {
            let (first, second, clock) = (*first, *second, clock.clone());
            bounded(move || {
                let (calls, wakeups) = wakes(&clock, first, second);
                (typical(calls), typical(wakeups))
            })
            .unwrap_or((None, None))
        }
    };
    let trips: Vec<(CoreRoundTrip, Range)> = pairs(&cpus)
        .into_iter()
        .filter_map(|(from, to)| {
            bounded(move || floor(round_trip(from, to)))
                .flatten()
                .map(|(least, range)| {
                    let trip = CoreRoundTrip {
                        from,
                        to,
                        round_trip_ns: least,
                    };
                    (trip, range)
                })
        })
        .collect();
    let context_switch = cpus
        .first()
        .and_then(|&cpu| bounded(move || floor(context_switch(cpu))).flatten());
    let pause = floor(pause_rounds.to_vec());
    MachineCosts {
        pause_cycles: pause
            .filter(|(ns, _)| tsc && *ns > 0.0)
            .map(|(ns, _)| ns * ticks_per_ns),
        core_to_core: trips.iter().map(|(t, _)| t.clone()).collect(),
        futex_wake_ns: futex_wake.map(|f| f.0),
        wakeup_ns: wakeup.map(|f| f.0),
        context_switch_ns: context_switch.map(|f| f.0),
        ranges: Some(CostRanges {
            pause_ns: pause.map(|f| f.1),
            core_to_core_ns: trips.iter().map(|(_, r)| *r).collect(),
            futex_wake_ns: futex_wake.map(|f| f.1),
            wakeup_ns: wakeup.map(|f| f.1),
            context_switch_ns: context_switch.map(|f| f.1),
        }),
    }
}

/// The least of single measurements `values` and (least, median), if there are any.
fn typical(mut values: Vec<f64>) -> Option<(f64, Range)> {
    values.sort_by(f64::total_cmp);
    let least = *values.first()?;
    Some((least, (least, values[values.len() / 2])))
}

/// The least of `rounds` and their spread, if there are any.
fn floor(rounds: Vec<f64>) -> Option<(f64, Range)> {
    let least = rounds.iter().copied().reduce(f64::min)?;
    let most = rounds.iter().copied().reduce(f64::max)?;
    Some((least, (least, most)))
}

/// Runs `measurement` on a thread of its own and waits for it at most [`BOUND`] and a little:
/// `None` past that. The measurement's own loops give up at [`BOUND`], but a thread that never
/// gets its CPU (pinned behind another process's real-time spinner) cannot even look at the
/// clock; such a thread is left behind, to end whenever it runs, rather than waited for.
fn bounded<T: Send + 'static>(measurement: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let (tx, rx) = std::sync::mpsc::channel();
    thread::Builder::new()
        .name("lockbench-costs".into())
        .spawn(move || {
            let _ = tx.send(measurement());
        })
        .ok()?;
    rx.recv_timeout(BOUND + Duration::from_millis(100)).ok()
}

/// The pairs measured: the first CPU of the compact order with others, from its nearest (the
/// next in that order: its hyperthread sibling, or the next core) to the farthest (the last),
/// evenly spaced between when there are more than [`PAIRS`].
fn pairs(cpus: &[usize]) -> Vec<(usize, usize)> {
    let others = cpus.len().saturating_sub(1);
    let n = others.min(PAIRS);
    // The k-th of n: 1, evenly on, to `others`.
    let mut picked: Vec<usize> = (0..n)
        .map(|k| 1 + (k * (others - 1) + (n - 1) / 2) / (n - 1).max(1))
        .collect();
    picked.dedup();
    picked.into_iter().map(|i| (cpus[0], cpus[i])).collect()
}

/// Spins until `done` or the deadline (then `abort` is raised for the other side); `false`
/// when it gave up. The clock is read every 1,024 looks, off the trip's critical path.
fn spin_until(done: impl Fn() -> bool, abort: &AtomicBool, deadline: Instant) -> bool {
    let mut looks = 0u32;
    while !done() {
        looks = looks.wrapping_add(1);
        // Relaxed: a flag to stop; it orders nothing.
        if looks.is_multiple_of(1024)
            && (abort.load(Ordering::Relaxed) || Instant::now() > deadline)
        {
            abort.store(true, Ordering::Relaxed);
            return false;
        }
    }
    true
}

/// The timed rounds of one cache line's round trips between `from` and `to`, ns per trip (none
/// where it could not be measured): `from` writes an odd number, `to` answers with the next
/// even one, and again. Plain loads in the loops (no spin hint), so the figure is the line's
/// own trip.
fn round_trip(from: usize, to: usize) -> Vec<f64> {
    let line = Line(AtomicU32::new(0));
    let abort = AtomicBool::new(false);
    let deadline = Instant::now() + BOUND;
    // One untimed round first: the answerer's start and its move to its CPU stay out.
    let total = TRIPS * (ROUNDS as u32 + 1);
    thread::scope(|s| {
        let (line, abort) = (&line, &abort);
        s.spawn(move || {
            if !pin_current(to) {
                abort.store(true, Ordering::Relaxed);
                return;
            }
            for i in 0..total {
                let ask = 2 * i + 1;
                // Acquire/Release: each side's write is seen whole by the other, in order.
                if !spin_until(|| line.0.load(Ordering::Acquire) == ask, abort, deadline) {
                    return;
                }
                line.0.store(ask + 1, Ordering::Release);
            }
        });
        let starter = s.spawn(move || {
            let mut rounds = Vec::new();
            if !pin_current(from) {
                abort.store(true, Ordering::Relaxed);
                return rounds;
            }
            for round in 0..=ROUNDS as u32 {
                let t = Instant::now();
                for i in 0..TRIPS {
                    let ask = 2 * (round * TRIPS + i) + 1;
                    line.0.store(ask, Ordering::Release);
                    let answered = || line.0.load(Ordering::Acquire) == ask + 1;
                    if !spin_until(answered, abort, deadline) {
                        return Vec::new();
                    }
                }
                if round > 0 {
                    rounds.push(t.elapsed().as_nanos() as f64 / f64::from(TRIPS));
                }
            }
            rounds
        });
        starter.join().unwrap_or_default()
    })
}

/// Waits on `word` while it holds `expected`, for at most [`WAIT_SLICE`].
fn futex_wait(word: &AtomicU32, expected: u32) {
    futex::wait(word, expected, WAIT_SLICE);
}

/// Wakes one waiter on `word`; how many were woken (0 or 1).
fn futex_wake(word: &AtomicU32) -> i64 {
    futex::wake(word, 1)
}

/// The cost of each `FUTEX_WAKE` that woke a sleeping waiter (on `waker_cpu`), and each time
/// from just before it to the waiter (on `waiter_cpu`) running, ns. A wake that found nobody
/// asleep is not counted.
fn wakes(clock: &Clock, waker_cpu: usize, waiter_cpu: usize) -> (Vec<f64>, Vec<f64>) {
    let word = AtomicU32::new(0);
    let ready = AtomicU32::new(0);
    let woke = AtomicU32::new(0);
    let woke_at = AtomicU64::new(0);
    let abort = AtomicBool::new(false);
    let deadline = Instant::now() + BOUND;
    thread::scope(|s| {
        let (word, ready, woke, woke_at, abort) = (&word, &ready, &woke, &woke_at, &abort);
        s.spawn(move || {
            if !pin_current(waiter_cpu) {
                abort.store(true, Ordering::Relaxed);
                return;
            }
            for round in 1..=WAKES {
                // Release/Acquire (ready, woke, woke_at): the waker reads this round's
                // wake-up time only after seeing the round marked woken.
                ready.store(round, Ordering::Release);
                while word.load(Ordering::Acquire) != round {
                    if abort.load(Ordering::Relaxed) || Instant::now() > deadline {
                        abort.store(true, Ordering::Relaxed);
                        return;
                    }
                    futex_wait(word, round - 1);
                }
                woke_at.store(clock.raw(), Ordering::Relaxed);
                woke.store(round, Ordering::Release);
            }
        });
        let waker = s.spawn(move || {
            let (mut calls, mut wakeups) = (Vec::new(), Vec::new());
            if !pin_current(waker_cpu) {
                abort.store(true, Ordering::Relaxed);
                return (calls, wakeups);
            }
            for round in 1..=WAKES {
                let asked = || ready.load(Ordering::Acquire) == round;
                if !spin_until_yielding(asked, abort, deadline) {
                    break;
                }
                thread::sleep(FALL_ASLEEP);
                let before = clock.raw();
                word.store(round, Ordering::Release);
                let woken = futex_wake(word);
                let after = clock.raw();
                let answered = || woke.load(Ordering::Acquire) == round;
                if !spin_until_yielding(answered, abort, deadline) {
                    break;
                }
                if woken == 1 {
                    calls.push(clock.delta_ns(before, after) as f64);
                    let at = woke_at.load(Ordering::Relaxed);
                    wakeups.push(clock.delta_ns(before, at) as f64);
                }
            }
            (calls, wakeups)
        });
        waker.join().unwrap_or_default()
    })
}

/// As [`spin_until`], yielding the CPU between looks: the thread it waits for may share it.
fn spin_until_yielding(done: impl Fn() -> bool, abort: &AtomicBool, deadline: Instant) -> bool {
    while !done() {
        if abort.load(Ordering::Relaxed) || Instant::now() > deadline {
            abort.store(true, Ordering::Relaxed);
            return false;
        }
        thread::yield_now();
    }
    true
}

/// The timed rounds of context switches on `cpu`, ns per switch: two threads pinned to it pass
/// a futex word back and forth, each sleeping until the other has run; a pass is two switches.
fn context_switch(cpu: usize) -> Vec<f64> {
    let word = AtomicU32::new(0);
    let abort = AtomicBool::new(false);
    let done = AtomicBool::new(false);
    let deadline = Instant::now() + BOUND;
    thread::scope(|s| {
        let (word, abort, done) = (&word, &abort, &done);
        let gone = || abort.load(Ordering::Relaxed) || Instant::now() > deadline;
        s.spawn(move || {
            if !pin_current(cpu) {
                abort.store(true, Ordering::Relaxed);
                return;
            }
            // Acquire/Release on the word: each pass hands the turn over whole.
            loop {
                while word.load(Ordering::Acquire) == 0 {
                    if done.load(Ordering::Relaxed) || gone() {
                        return;
                    }
                    futex_wait(word, 0);
                }
                word.store(0, Ordering::Release);
                futex_wake(word);
            }
        });
        let passer = s.spawn(move || {
            let mut rounds = Vec::new();
            if !pin_current(cpu) {
                abort.store(true, Ordering::Relaxed);
                return rounds;
            }
            'rounds: for _ in 0..ROUNDS {
                let t = Instant::now();
                for _ in 0..SWITCHES {
                    word.store(1, Ordering::Release);
                    futex_wake(word);
                    while word.load(Ordering::Acquire) == 1 {
                        if gone() {
                            abort.store(true, Ordering::Relaxed);
                            rounds.clear();
                            break 'rounds;
                        }
                        futex_wait(word, 1);
                    }
                }
                rounds.push(t.elapsed().as_nanos() as f64 / f64::from(2 * SWITCHES));
            }
            done.store(true, Ordering::Relaxed);
            futex_wake(word);
            rounds
        });
        passer.join().unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_go_from_the_nearest_to_the_farthest() {
        assert!(pairs(&[0]).is_empty());
        assert_eq!(pairs(&[0, 1]), vec![(0, 1)]);
        assert_eq!(pairs(&[3, 5, 7]), vec![(3, 5), (3, 7)]);
        let many: Vec<usize> = (0..64).collect();
        let p = pairs(&many);
        assert_eq!(p.len(), PAIRS);
        assert_eq!(p.first(), Some(&(0, 1)), "the nearest");
        assert_eq!(p.last(), Some(&(0, 63)), "the farthest");
        assert!(p.windows(2).all(|w| w[0].1 < w[1].1));
    }

    #[test]
    fn the_costs_are_measured_and_bounded() {
        let topology = Topology::detect();
        let clock = Clock::new();
        let t = Instant::now();
        let costs = measure(&topology, &clock, &[10.0, 12.0], true);
        // Each two-thread measurement is bounded (the round trips per pair), whatever its
        // threads do.
        let bound = (BOUND + Duration::from_millis(100)) * (2 + PAIRS as u32);
        assert!(t.elapsed() < bound + Duration::from_secs(1));
        // A wake and a switch take the kernel at least a few hundred ns anywhere, a round
        // trip tens; a measurement scaled wrong would read 0. (A loaded machine may not give
        // a measurement its threads within the bound: it then reads None, so none is
        // required, but not all may be missing.)
        let figures = [
            costs.futex_wake_ns,
            costs.wakeup_ns,
            costs.context_switch_ns,
            costs.core_to_core_median_ns(),
        ];
        assert!(figures.iter().flatten().all(|&ns| ns > 10.0), "{costs:?}");
        assert!(
            figures.iter().any(Option::is_some),
            "nothing measured: {costs:?}"
        );
        assert!(costs.pause_cycles.is_some_and(|c| c > 0.0));
        // Each figure is the floor of its rounds.
        let ranges = costs.ranges.unwrap();
        assert_eq!(ranges.pause_ns, Some((10.0, 12.0)));
        if let (Some(ns), Some((least, most))) = (costs.futex_wake_ns, ranges.futex_wake_ns) {
            assert!(ns == least && least <= most);
        }
    }
}
