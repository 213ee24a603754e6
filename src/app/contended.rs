//! `calibrate`'s contended half: the loop a peer benchmark runs (parking_lot's `benchmark/`: N
//! threads lock a `std::sync::Mutex`, update, unlock, each counting its own, while the main
//! thread sleeps) beside lockbench's own timed `std` run on as many threads, pinned as
//! lockbench pins and not pinned at all, the rounds interleaved. What lockbench reports under
//! contention can then be read against what the bare loop does on the same machine.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Barrier, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crossbeam_utils::CachePadded;
use serde::Serialize;

use super::Bench;
use crate::model::{LatencyMode, PinPolicy, RunConfig, WorkUnit, Workload};
use crate::runner::RunError;
use crate::runner::affinity::{self, Topology};

/// The contended figures (medians over the rounds), operations per second.
#[derive(Debug, Serialize)]
pub(super) struct Contended {
    /// Threads.
    pub threads: usize,
    /// Each timed run's length, ms.
    pub duration_ms: u64,
    /// The hand-written loop, its threads pinned as lockbench pins its workers (compact).
    pub reference_pinned: f64,
    /// The same loop with its counter on a cache line of its own, apart from the lock's, as
    /// lockbench lays out a lock and the data it protects.
    pub reference_split: f64,
    /// The same again, with lockbench's exclusion check inside: the holder word beside the
    /// counter read and written on entry and on exit.
    pub reference_checked: f64,
    /// `lockbench run --backend std --threads N --duration D`.
    pub harness_pinned: f64,
    /// The same with `--latency off`.
    pub harness_pinned_latency_off: f64,
    /// The hand-written loop, its threads not pinned.
    pub reference_unpinned: f64,
    /// `lockbench run --backend std --threads N --duration D --pin none`.
    pub harness_unpinned: f64,
}

/// Measures the contended figures: `rounds` rounds of the five runs, each `duration` long.
pub(super) fn measure(
    topology: &Topology,
    bench: &Bench<'_>,
    threads: usize,
    duration: Duration,
    rounds: u32,
    tick: &dyn Fn(),
) -> Result<Contended, RunError> {
    let pinned = topology.placement(&PinPolicy::Compact, threads);
    let harness = |pin: PinPolicy, latency: LatencyMode| -> Result<f64, RunError> {
        let cfg = std_run(threads, 0, Some(duration), pin, latency);
        let r = super::measure(super::entry_of(&cfg), &cfg, bench, &mut |_| tick())?;
        Ok(r.ops_per_sec)
    };
    let mut figures: [Vec<f64>; 7] = Default::default();
    for _ in 0..rounds {
        figures[0].push(reference(&pinned, duration, Layout::Together));
        figures[1].push(reference(&pinned, duration, Layout::Apart));
        figures[2].push(reference(&pinned, duration, Layout::Checked));
        figures[3].push(harness(PinPolicy::Compact, LatencyMode::DEFAULT)?);
        figures[4].push(harness(PinPolicy::Compact, LatencyMode::Off)?);
        figures[5].push(reference(&vec![None; threads], duration, Layout::Together));
        figures[6].push(harness(PinPolicy::None, LatencyMode::DEFAULT)?);
        tick();
    }
    let [a, b, g, c, d, e, f] = figures.map(median);
    Ok(Contended {
        threads,
        duration_ms: duration.as_millis() as u64,
        reference_pinned: a,
        reference_split: b,
        reference_checked: g,
        harness_pinned: c,
        harness_pinned_latency_off: d,
        reference_unpinned: e,
        harness_unpinned: f,
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// lockbench's `std` run on `threads` threads: `ops` increments, or timed where `duration` is
/// given; no warm-up, no work, one lock.
pub(super) fn std_run(
    threads: usize,
    ops: u64,
    duration: Option<Duration>,
    pin: PinPolicy,
    latency: LatencyMode,
) -> RunConfig {
    RunConfig {
        backend: "std".to_string(),
        workers: threads,
        mode: crate::model::WorkerMode::Threads,
        ops,
        duration_ms: duration.map(|d| d.as_millis() as u64),
        warmup_ms: 0,
        locks: 1,
        cs_work_ns: 0,
        think_ns: 0,
        work_unit: WorkUnit::Time,
        pin,
        latency,
        max_time_ms: 60_000,
        workload: Workload::Counter,
        timeout_ns: None,
        runtime_threads: None,
        draws: None,
        noise: 0,
        wake_latency: false,
    }
}

/// Where the hand-written loop keeps its counter.
#[derive(Clone, Copy, PartialEq)]
enum Layout {
    /// Inside the `Mutex`, on the lock's own cache line (`Mutex<u64>`, as a program writes it).
    Together,
    /// On a cache line of its own beside the lock's, as lockbench lays out every backend: each
    /// hand-off then moves two lines between CPUs.
    Apart,
    /// Apart, with lockbench's exclusion check: a holder word beside the counter, read and
    /// written on entry and on exit.
    Checked,
}

/// The hand-written loop on one thread per entry of `cpus` (pinned where it names a CPU) for
/// `duration`, the counter laid out as `layout` says: operations per second over the time the
/// main thread slept, as the peer counts.
fn reference(cpus: &[Option<usize>], duration: Duration, layout: Layout) -> f64 {
    let together = CachePadded::new(Mutex::new(0u64));
    let lock = CachePadded::new(Mutex::new(()));
    let apart = CachePadded::new([AtomicU64::new(0), AtomicU64::new(0)]);
    let stop = AtomicBool::new(false);
    let start = Barrier::new(cpus.len() + 1);
    let (done, elapsed) = std::thread::scope(|s| {
        let workers: Vec<_> = cpus
            .iter()
            .map(|&cpu| {
                let (together, lock, apart, stop, start) =
                    (&together, &lock, &apart, &stop, &start);
                s.spawn(move || {
                    if let Some(cpu) = cpu {
                        affinity::pin_current(cpu);
                    }
                    start.wait();
                    let mut mine = 0u64;
                    // Relaxed: the flag only ends the loop; the counts are read after join.
                    while !stop.load(Ordering::Relaxed) {
                        if layout == Layout::Together {
                            *together.lock().unwrap_or_else(PoisonError::into_inner) += 1;
                        } else {
                            let _held = lock.lock().unwrap_or_else(PoisonError::into_inner);
                            let [counter, holder] = &**apart;
                            // Relaxed: under the lock, whose acquire and release order them.
                            if layout == Layout::Checked {
                                std::hint::black_box(holder.load(Ordering::Relaxed));
                                holder.store(1, Ordering::Relaxed);
                            }
                            counter.store(counter.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
                            if layout == Layout::Checked {
                                std::hint::black_box(holder.load(Ordering::Relaxed));
                                holder.store(0, Ordering::Relaxed);
                            }
                        }
                        mine += 1;
                    }
                    mine
                })
            })
            .collect();
        start.wait();
        let t = Instant::now();
        std::thread::sleep(duration);
        stop.store(true, Ordering::Relaxed);
        let elapsed = t.elapsed();
        let done: u64 = workers
            .into_iter()
            .map(|w| w.join().expect("the reference loop does not panic"))
            .sum();
        (done, elapsed)
    });
    let total = match layout {
        Layout::Together => *together.lock().unwrap_or_else(PoisonError::into_inner),
        Layout::Apart | Layout::Checked => apart[0].load(Ordering::Relaxed),
    };
    assert_eq!(
        total, done,
        "the reference loop lost updates under std's Mutex"
    );
    // The operations done after the main thread woke are counted too, as the peer counts them:
    // a few per thread against millions.
    done as f64 / elapsed.as_secs_f64()
}
