//! What each subcommand does: validate, run, print. Returns the exit status.

use std::io::{self, Write};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use crate::calibrate;
use crate::cli::{
    CalibrateArgs, Cli, Command, CompareArgs, ListArgs, ReportArgs, RunArgs, RunOptions, SweepArgs,
    WorkloadName,
};
use crate::compare;
use crate::config::{ConfigError, RunConfig, RunRequest, ThreadList, Workload};
use crate::locks::{BACKENDS, BackendId};
use crate::measure::clock::Clock;
use crate::report::{self, format, markdown, table};
use crate::results::{Environment, Point, SCHEMA_VERSION, SWEEP_KIND, SweepResults, SweepSettings};
use crate::runner::{self, affinity::Topology, sweep::run_sweep};
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
        Command::Worker(args) => worker(args),
        Command::Sweep(args) => sweep(args),
        Command::Report(args) => report(args),
        Command::Compare(args) => compare(args),
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
            processes: args.processes,
            ops: args.options.ops,
            cs_work: args.options.cs_work,
            think: args.options.think,
            pin: args.options.pin.clone(),
            latency: args.options.latency,
            max_time: args.options.max_time,
            workload: workload(&args.options)?,
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

/// The workload the options name.
fn workload(o: &RunOptions) -> Result<Workload, ConfigError> {
    match (o.workload, o.initial) {
        (WorkloadName::Counter, None) => Ok(Workload::Counter),
        (WorkloadName::Counter, Some(_)) => Err(ConfigError::Invalid {
            what: "--initial",
            value: o.initial.unwrap_or_default().to_string(),
            reason: "a starting balance belongs to --workload bank".into(),
        }),
        (WorkloadName::Bank, initial) => Ok(Workload::Bank {
            initial: initial.unwrap_or(200),
        }),
    }
}

/// The backends a sweep runs when none are named: the card's five thread backends.
pub const DEFAULT_SWEEP_BACKENDS: [BackendId; 5] = [
    BackendId::Std,
    BackendId::ParkingLot,
    BackendId::Spin,
    BackendId::Ticket,
    BackendId::Pthread,
];

fn sweep(args: SweepArgs) -> anyhow::Result<ExitCode> {
    let topology = Topology::detect();
    let backends = args
        .backends
        .map_or_else(|| DEFAULT_SWEEP_BACKENDS.to_vec(), |l| l.0);
    let cpus = topology.cpus.len();
    let threads = match (&args.threads, &args.processes) {
        (Some(t), _) => t.resolve(cpus),
        (None, Some(_)) => Vec::new(),
        (None, None) => ThreadList::Counts(vec![1, 2, 4, 8]).resolve(cpus),
    };
    let processes = args
        .processes
        .as_ref()
        .map_or_else(Vec::new, |p| p.resolve(cpus));
    let o = &args.options;
    // Every configuration is validated before anything runs or is written: threads first, then
    // processes, each by worker count, backends inner.
    let mut configs = Vec::new();
    let modes = threads
        .iter()
        .map(|&t| (t, false))
        .chain(processes.iter().map(|&p| (p, true)));
    for (workers, as_processes) in modes {
        for &b in &backends {
            if as_processes && b.info().not_across_processes.is_some() {
                continue;
            }
            configs.push(RunConfig::validate(
                RunRequest {
                    backend: b,
                    threads: (!as_processes).then_some(workers),
                    processes: as_processes.then_some(workers),
                    ops: o.ops,
                    cs_work: o.cs_work,
                    think: o.think,
                    pin: o.pin.clone(),
                    latency: o.latency,
                    max_time: o.max_time,
                    workload: workload(o)?,
                },
                &topology,
            )?);
        }
    }
    if configs.is_empty() {
        return Err(ConfigError::Invalid {
            what: "--backends",
            value: backends
                .iter()
                .map(|b| b.info().name)
                .collect::<Vec<_>>()
                .join(","),
            reason: "none of these can run across processes (see `lockbench list`)".into(),
        }
        .into());
    }
    let skipped: Vec<&str> = backends
        .iter()
        .filter(|b| b.info().not_across_processes.is_some())
        .map(|b| b.info().name)
        .collect();
    if !processes.is_empty() && !skipped.is_empty() && !args.quiet {
        eprintln!(
            "note: {} run with threads only (they cannot work across processes)",
            skipped.join(", ")
        );
    }
    let started = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let out = args
        .out
        .unwrap_or_else(|| std::path::PathBuf::from("reports").join(started.replace(':', "-")));
    std::fs::create_dir_all(&out).map_err(|e| ConfigError::File {
        path: out.display().to_string(),
        problem: format!("cannot be created: {e}"),
    })?;

    let calibration =
        (o.cs_work > Duration::ZERO || o.think > Duration::ZERO).then(WorkCalibration::measure);
    let first = &configs[0];
    let mut results = SweepResults {
        kind: SWEEP_KIND.to_string(),
        schema_version: SCHEMA_VERSION,
        command: command_line(),
        started_utc: started,
        environment: Environment::capture(&topology, &Clock::new(), calibration),
        settings: SweepSettings {
            workload: first.workload,
            backends: backends.iter().map(|b| b.info().name.to_string()).collect(),
            threads: threads.clone(),
            processes: processes.clone(),
            repeat: args.repeat,
            ops: first.ops,
            cs_work_ns: first.cs_work_ns,
            think_ns: first.think_ns,
            pin: first.pin.to_string(),
            latency: first.latency.to_string(),
            max_time_ms: first.max_time_ms,
        },
        complete: false,
        points: configs
            .iter()
            .map(|c| {
                Point::new(
                    c.backend.info().name,
                    c.threads,
                    c.mode,
                    c.threads > topology.cpus.len(),
                )
            })
            .collect(),
    };
    // The directory must take our files before the first run, not after an hour of them.
    report::write_all(&out, &results).map_err(|e| ConfigError::File {
        path: out.display().to_string(),
        problem: format!("cannot be written: {e:#}"),
    })?;

    let total = configs.len() as u64 * u64::from(args.repeat);
    let bar = if args.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(total)
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {bar:30} {pos}/{len} runs, {elapsed}, ETA {eta}: {msg}",
        )
        .expect("the template is valid"),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    let outcome = run_sweep(
        &configs,
        args.repeat,
        &topology,
        calibration,
        &mut results,
        &mut |_, round, cfg| {
            bar.set_message(format!(
                "round {}/{}: {} with {}",
                round + 1,
                args.repeat,
                cfg.backend.info().name,
                cfg.mode.count(cfg.threads)
            ));
        },
        &mut |r| {
            bar.inc(1);
            report::write_all(&out, r)
        },
    );
    bar.finish_and_clear();
    outcome?;

    if !args.quiet {
        print!("{}", markdown::render(&results));
        println!("\nWrote {} in {}", report::FILES.join(", "), out.display());
    }
    Ok(ExitCode::from(sweep_status(&results)))
}

fn sweep_status(r: &SweepResults) -> u8 {
    if let Some(p) = r.failed_points().next() {
        eprintln!(
            "error: {} at {} threads lost {} updates: the lock failed to exclude concurrent updates",
            p.backend, p.threads, p.lost_updates
        );
        exit::LOST_UPDATES
    } else if r.points.iter().any(|p| p.incomplete) {
        eprintln!(
            "error: some runs were stopped by the time limit (see the notes; raise --max-time)"
        );
        exit::INCOMPLETE
    } else {
        exit::OK
    }
}

/// The command line as typed, quoted where needed, for the report.
fn command_line() -> String {
    let mut words: Vec<String> = std::env::args().collect();
    if let Some(first) = words.first_mut() {
        *first = "lockbench".to_string();
    }
    words
        .iter()
        .map(|w| {
            if w.is_empty() || w.contains(|c: char| c.is_whitespace() || "'\"$".contains(c)) {
                format!("'{}'", w.replace('\'', "'\\''"))
            } else {
                w.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn report(args: ReportArgs) -> anyhow::Result<ExitCode> {
    let results = SweepResults::load(&args.results)?;
    let out = args.out.unwrap_or_else(|| {
        args.results
            .parent()
            .map(|p| p.to_path_buf())
            .unwrap_or_default()
    });
    let out = if out.as_os_str().is_empty() {
        std::path::PathBuf::from(".")
    } else {
        out
    };
    std::fs::create_dir_all(&out).map_err(|e| ConfigError::File {
        path: out.display().to_string(),
        problem: format!("cannot be created: {e}"),
    })?;
    report::write_all(&out, &results).map_err(|e| ConfigError::File {
        path: out.display().to_string(),
        problem: format!("cannot be written: {e:#}"),
    })?;
    println!("Wrote {} in {}", report::FILES.join(", "), out.display());
    Ok(ExitCode::from(exit::OK))
}

fn compare(args: CompareArgs) -> anyhow::Result<ExitCode> {
    let before = SweepResults::load(&args.before)?;
    let after = SweepResults::load(&args.after)?;
    let c = compare::compare(&before, &after);
    print!("{}", compare::render_text(&c));
    if let Some(dir) = args.out {
        std::fs::create_dir_all(&dir).map_err(|e| ConfigError::File {
            path: dir.display().to_string(),
            problem: format!("cannot be created: {e}"),
        })?;
        let html = compare::render_html(&c)?;
        report::files::write_atomically(&dir, "compare.html", html.as_bytes()).map_err(|e| {
            ConfigError::File {
                path: dir.display().to_string(),
                problem: format!("cannot be written: {e:#}"),
            }
        })?;
        println!("Wrote {}", dir.join("compare.html").display());
    }
    Ok(ExitCode::from(exit::OK))
}

/// A worker process of `run --processes`: its report goes to stdout, for the parent.
fn worker(args: crate::cli::WorkerArgs) -> anyhow::Result<ExitCode> {
    let spec: runner::processes::WorkerSpec =
        serde_json::from_str(&args.spec).context("reading the worker spec")?;
    let report = runner::processes::run_child(&spec)?;
    println!("{}", serde_json::to_string(&report)?);
    Ok(ExitCode::from(exit::OK))
}

fn list(args: ListArgs) -> anyhow::Result<ExitCode> {
    let mut out = io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, BACKENDS)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "{:<15} {:<5} {:<20} {:<10} what it is",
            "backend", "fair", "waiters", "processes"
        )?;
        for b in BACKENDS {
            let across = if b.not_across_processes.is_none() {
                "yes"
            } else {
                "no"
            };
            let (fair, waiting) = (if b.fair { "yes" } else { "no" }, b.waiting.to_string());
            writeln!(
                out,
                "{:<15} {fair:<5} {waiting:<20} {across:<10} {}",
                b.name, b.summary
            )?;
        }
        writeln!(
            out,
            "\nAliases: parking_lot = parking-lot, semaphore = posix-sem."
        )?;
        writeln!(
            out,
            "Every backend runs with --threads; those with \"yes\" under processes also with --processes."
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
