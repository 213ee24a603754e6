//! What each subcommand does: validate, run, print. Returns the exit status.

use std::io::{self, Write};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use crate::calibrate;
use crate::cli::{CalibrateArgs, Cli, Command, ListArgs, RunArgs};
use crate::config::{RunConfig, RunRequest};
use crate::locks::BACKENDS;
use crate::report::{format, table};
use crate::runner::{self, affinity::Topology};
use crate::workload::WorkCalibration;

/// Exit statuses, as the README documents them.
pub mod exit {
    /// The run completed and verified.
    pub const OK: u8 = 0;
    /// The run could not be carried out (an OS error, a worker that panicked or never stopped).
    pub const ERROR: u8 = 1;
    /// Bad input.
    pub const USAGE: u8 = 2;
    /// A lock lost updates: a correctness failure.
    pub const LOST_UPDATES: u8 = 3;
    /// The time limit stopped the run before all operations were done.
    pub const INCOMPLETE: u8 = 4;
}

/// Runs the parsed command line.
pub fn execute(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Run(args) => run(args),
        Command::List(args) => list(args),
        Command::Calibrate(args) => calibrate(args),
    }
}

fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let topology = Topology::detect();
    let cfg = RunConfig::validate(
        RunRequest {
            backend: args.backend,
            threads: args.threads,
            ops: args.ops,
            cs_work: args.cs_work,
            think: args.think,
            pin: args.pin,
            latency: args.latency,
            max_time: args.max_time,
        },
        &topology,
    )?;
    let calibration = (cfg.cs_work_ns > 0 || cfg.think_ns > 0).then(WorkCalibration::measure);

    let bar = if args.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(cfg.ops)
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {bar:40} {pos}/{len} ops, {elapsed} (limit {msg}), ETA {eta}",
        )
        .expect("the template is valid"),
    );
    bar.set_message(format::duration_ns(cfg.max_time_ms as f64 * 1e6));
    let mut shown = false;
    let result = runner::run(&cfg, &topology, calibration, &mut |p| {
        // Short runs finish before the first tick and never show a bar.
        if !shown {
            bar.reset_elapsed();
            shown = true;
        }
        bar.set_position(p.done_ops);
        bar.tick();
    });
    bar.finish_and_clear();
    let result = result?;

    let mut out = io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &result).context("writing JSON to stdout")?;
        writeln!(out)?;
    } else if !args.quiet {
        write!(out, "{}", table::render(&result))?;
    }
    out.flush()?;

    let code = if result.failed_verification() {
        if !args.quiet || args.json {
            eprintln!(
                "error: {} lost {} updates: the lock failed to exclude concurrent updates",
                result.backend, result.lost_updates
            );
        } else {
            eprintln!(
                "error: {} lost {} updates",
                result.backend, result.lost_updates
            );
        }
        exit::LOST_UPDATES
    } else if !result.complete {
        eprintln!(
            "error: incomplete: the time limit stopped the run after {} of {} operations (raise --max-time)",
            result.total_ops, cfg.ops
        );
        exit::INCOMPLETE
    } else {
        exit::OK
    };
    Ok(ExitCode::from(code))
}

fn list(args: ListArgs) -> anyhow::Result<ExitCode> {
    let mut out = io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, BACKENDS)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "{:<12} {:<5} {:<20} what it is",
            "backend", "fair", "waiters"
        )?;
        for b in BACKENDS {
            writeln!(
                out,
                "{:<12} {:<5} {:<20} {}",
                b.name,
                if b.fair { "yes" } else { "no" },
                b.waiting.to_string(),
                b.summary
            )?;
        }
        writeln!(
            out,
            "\nAliases: parking_lot = parking-lot. Every backend runs in thread mode."
        )?;
    }
    Ok(ExitCode::from(exit::OK))
}

fn calibrate(args: CalibrateArgs) -> anyhow::Result<ExitCode> {
    if args.ops == 0 {
        return Err(crate::config::ConfigError::Invalid {
            what: "--ops",
            value: "0".into(),
            reason: "at least one operation is needed".into(),
        }
        .into());
    }
    let spinner = ProgressBar::new_spinner().with_message("calibrating (a few seconds)");
    spinner.enable_steady_tick(Duration::from_millis(120));
    let c = calibrate::calibrate(args.ops, args.rounds);
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
    }
    Ok(ExitCode::from(exit::OK))
}
