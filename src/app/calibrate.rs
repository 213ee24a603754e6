//! `lockbench calibrate`: what the harness itself costs, so that its figures can be trusted.
//!
//! The reference is the loop anyone would write by hand — lock a `std::sync::Mutex<u64>`,
//! increment, unlock — on one thread pinned like lockbench's first worker. lockbench's own
//! 1-thread `std` run should land within a few percent of it. Under contention the same loop
//! on N threads, as a peer benchmark runs it, stands beside lockbench's timed run
//! (`contended.rs`).

use std::hint::black_box;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use std::io::{self, Write};
use std::process::ExitCode;

use serde::Serialize;

use super::contended::{self, Contended};
use super::{Bench, exit, progress};
use crate::cli::CalibrateArgs;
use crate::environment;
use crate::error::UsageError;
use crate::measure::clock::{Clock, ClockInfo};
use crate::model::{LatencyMode, PinPolicy, WorkCalibration};
use crate::report::format;
use crate::runner::RunError;
use crate::runner::affinity::{self, Topology};
use crate::workload::busy;

/// The shortest contended run `calibrate` makes.
const MIN_CONTENDED_RUN: Duration = Duration::from_millis(10);

/// The figures `calibrate` reports (medians over the rounds).
#[derive(Debug, Serialize)]
struct Calibration {
    /// Operations per round.
    pub ops: u64,
    /// Rounds per figure.
    pub rounds: u32,
    /// The clock.
    pub clock: ClockInfo,
    /// The work loop.
    pub work: WorkCalibration,
    /// An empty loop of `ops` iterations, ns per iteration.
    pub empty_loop_ns_per_iter: f64,
    /// The hand-written std::sync::Mutex loop, ns per operation.
    pub reference_ns_per_op: f64,
    /// lockbench run --backend std --threads 1, default latency sampling, ns per operation.
    pub harness_ns_per_op: f64,
    /// The same with --latency off.
    pub harness_latency_off_ns_per_op: f64,
    /// The same with --latency full.
    pub harness_latency_full_ns_per_op: f64,
    /// harness_ns_per_op / reference_ns_per_op - 1.
    pub harness_overhead: f64,
    /// The hand-written loop and lockbench's run on N contended threads.
    pub contended: Contended,
}

/// Runs every measurement, pinned to the first CPU of the compact placement.
/// `tick` is called at the supervisor's progress ticks.
fn measure(args: &CalibrateArgs, tick: &dyn Fn()) -> Result<Calibration, RunError> {
    let (ops, rounds) = (args.ops, args.rounds);
    let topology = Topology::detect();
    let cpu = topology.placement(&PinPolicy::Compact, 1)[0];
    let clock_info = ClockInfo::measure(&Clock::new());
    let work = busy::calibrate();
    let environment = environment::capture(&topology, None);
    let bench = Bench {
        topology: &topology,
        calibration: None,
        environment: &environment,
    };
    let empty = median(rounds, || on_cpu(cpu, move || empty_loop(ops)) / ops as f64);
    let harness_cfg =
        |latency: LatencyMode| contended::std_run(1, ops, None, PinPolicy::Compact, latency);
    let modes = [
        LatencyMode::DEFAULT,
        LatencyMode::Off,
        LatencyMode::Sample(1),
    ];
    // Rounds interleave the reference and the three harness modes, so that drift of the
    // machine (frequency, neighbours) touches all four alike.
    let mut reference = Vec::new();
    let mut harness: [Vec<f64>; 3] = Default::default();
    for _ in 0..rounds {
        reference.push(on_cpu(cpu, move || reference_loop(ops)) / ops as f64);
        for (mode, figures) in modes.iter().zip(harness.iter_mut()) {
            let cfg = harness_cfg(*mode);
            figures.push(
                super::measure(super::entry_of(&cfg), &cfg, &bench, &mut |_| tick())?.ns_per_op,
            );
        }
    }
    let reference = median_of(reference);
    let [harness_default, harness_off, harness_full] = harness.map(median_of);
    let threads = args.threads.unwrap_or(topology.cpus.len()).max(2);
    let contended = contended::measure(&topology, &bench, threads, args.duration, rounds, tick)?;
    Ok(Calibration {
        ops,
        rounds,
        clock: clock_info,
        work,
        empty_loop_ns_per_iter: empty,
        reference_ns_per_op: reference,
        harness_ns_per_op: harness_default,
        harness_latency_off_ns_per_op: harness_off,
        harness_latency_full_ns_per_op: harness_full,
        harness_overhead: harness_default / reference - 1.0,
        contended,
    })
}

/// Runs `f` on a fresh thread pinned to `cpu`; returns its result in ns.
fn on_cpu(cpu: Option<usize>, f: impl FnOnce() -> Duration + Send + 'static) -> f64 {
    std::thread::spawn(move || {
        if let Some(cpu) = cpu {
            affinity::pin_current(cpu);
        }
        f()
    })
    .join()
    .expect("the calibration loops do not panic")
    .as_nanos() as f64
}

#[inline(never)]
fn empty_loop(ops: u64) -> Duration {
    let t = Instant::now();
    for i in 0..ops {
        black_box(i);
    }
    t.elapsed()
}

/// The hand-written loop lockbench's 1-thread `std` run is compared with.
#[inline(never)]
fn reference_loop(ops: u64) -> Duration {
    let counter = crossbeam_utils::CachePadded::new(Mutex::new(0u64));
    let counter = black_box(&counter);
    let t = Instant::now();
    for _ in 0..ops {
        *counter
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) += 1;
    }
    let elapsed = t.elapsed();
    assert_eq!(
        *counter
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
        ops
    );
    elapsed
}

fn median(rounds: u32, mut f: impl FnMut() -> f64) -> f64 {
    median_of((0..rounds).map(|_| f()).collect())
}

fn median_of(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The contended comparison, as lines of the table.
fn contended_lines(out: &mut impl Write, c: &Contended) -> io::Result<()> {
    let against = |x: f64, reference: f64| format!("{:+.1}%", (x / reference - 1.0) * 100.0);
    writeln!(
        out,
        "  {} contended threads, {} ms runs, pinned compact:",
        c.threads, c.duration_ms
    )?;
    writeln!(
        out,
        "    hand-written std::sync::Mutex    {:>8} ops/s",
        format::rate(c.reference_pinned)
    )?;
    writeln!(
        out,
        "    the same, counter on its own line {:>7} ops/s  ({}: lockbench's layout)",
        format::rate(c.reference_split),
        against(c.reference_split, c.reference_pinned)
    )?;
    writeln!(
        out,
        "      and lockbench's exclusion check {:>6} ops/s  ({})",
        format::rate(c.reference_checked),
        against(c.reference_checked, c.reference_pinned)
    )?;
    writeln!(
        out,
        "    lockbench run std                {:>8} ops/s  ({} against the hand-written loop)",
        format::rate(c.harness_pinned),
        against(c.harness_pinned, c.reference_pinned)
    )?;
    writeln!(
        out,
        "      with --latency off             {:>8} ops/s  ({})",
        format::rate(c.harness_pinned_latency_off),
        against(c.harness_pinned_latency_off, c.reference_pinned)
    )?;
    writeln!(out, "  the same, not pinned:")?;
    writeln!(
        out,
        "    hand-written std::sync::Mutex    {:>8} ops/s",
        format::rate(c.reference_unpinned)
    )?;
    writeln!(
        out,
        "    lockbench run std --pin none     {:>8} ops/s  ({})",
        format::rate(c.harness_unpinned),
        against(c.harness_unpinned, c.reference_unpinned)
    )
}

pub(crate) fn calibrate(args: CalibrateArgs) -> anyhow::Result<ExitCode> {
    if args.ops == 0 {
        return Err(UsageError::invalid("--ops", 0, "at least one operation is needed").into());
    }
    if args.duration < MIN_CONTENDED_RUN {
        return Err(UsageError::invalid(
            "--duration",
            humantime::format_duration(args.duration),
            "a contended run needs at least 10ms: shorter is a few scheduler slices, not a figure",
        )
        .into());
    }
    let spinner = progress::spinner("calibrating (ten seconds or so)");
    let c = measure(&args, &|| spinner.tick());
    spinner.finish_and_clear();
    let c = c?;
    let mut out = io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &c)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "lockbench calibrate: medians of {} rounds of {} operations, one pinned thread",
            c.rounds,
            format::grouped(c.ops)
        )?;
        writeln!(
            out,
            "  clock ({})                       {:>8.2} ns per reading",
            c.clock.source, c.clock.read_cost_ns
        )?;
        writeln!(
            out,
            "  work loop                         {:>8.3} ns per iteration",
            c.work.ns_per_iteration
        )?;
        writeln!(
            out,
            "  empty loop                        {:>8.3} ns per iteration",
            c.empty_loop_ns_per_iter
        )?;
        writeln!(
            out,
            "  hand-written std::sync::Mutex     {:>8.2} ns/op",
            c.reference_ns_per_op
        )?;
        writeln!(
            out,
            "  lockbench run std, 1 thread       {:>8.2} ns/op  ({:+.1}% against the hand-written loop)",
            c.harness_ns_per_op,
            c.harness_overhead * 100.0
        )?;
        writeln!(
            out,
            "    with --latency off              {:>8.2} ns/op",
            c.harness_latency_off_ns_per_op
        )?;
        writeln!(
            out,
            "    with --latency full             {:>8.2} ns/op",
            c.harness_latency_full_ns_per_op
        )?;
        contended_lines(&mut out, &c.contended)?;
    }
    Ok(ExitCode::from(exit::OK))
}
