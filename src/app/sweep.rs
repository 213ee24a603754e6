//! `lockbench sweep`: a matrix of backends × worker counts, repeated in rounds, written as a
//! report after every run (so that a later failure loses nothing).

use std::path::PathBuf;
use std::process::ExitCode;

use super::{Bench, exit, progress, report::write_reports};
use crate::analysis;
use crate::cli::SweepArgs;
use crate::config::{self, sweep::SweepPlan, sweep::SweepRequest};
use crate::environment;
use crate::error::UsageError;
use crate::model::{
    Environment, Findings, Point, Regime, RunConfig, SCHEMA_VERSION, SWEEP_KIND, SweepResults,
    SweepSettings, WorkUnit,
};
use crate::registry;
use crate::report::{self, format, markdown};
use crate::runner::affinity::Topology;
use crate::runner::sweep::rounds;
use crate::workload::busy;

pub(crate) fn sweep(args: SweepArgs) -> anyhow::Result<ExitCode> {
    let topology = Topology::detect();
    let o = &args.options;
    let plan = config::sweep::plan(
        SweepRequest {
            backends: args.backends.map(|l| l.0),
            threads: args.threads,
            processes: args.processes,
            locks: o.locks.0.clone(),
            cs_work: o.cs_work.0.clone(),
            think: o.think.0.clone(),
            noise: o.noise.0.clone(),
            run: o.request_with_lists("")?,
        },
        &topology,
    )?;
    if !plan.threads_only.is_empty() && !args.quiet {
        eprintln!(
            "note: {} run with threads only (they cannot work across processes)",
            plan.threads_only.join(", ")
        );
    }
    let started = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let out = args
        .out
        .unwrap_or_else(|| PathBuf::from("reports").join(started.replace(':', "-")));
    std::fs::create_dir_all(&out)
        .map_err(|e| UsageError::file(&out, format!("cannot be created: {e}")))?;

    let calibration = plan
        .configs
        .iter()
        .any(|c| c.has_work() && c.work_unit == WorkUnit::Instructions)
        .then(busy::calibrate);
    let environment = environment::capture(&topology, calibration);
    // Only the loud case: a high load average alone is mostly lockbench's own earlier runs
    // (the reports still note it).
    if let Some(warning) = environment
        .busy_warning()
        .filter(|_| !args.quiet && environment.other_runnable.is_some_and(|n| n > 0))
    {
        eprintln!("warning: {warning}");
    }
    let mut results = skeleton(&plan, args.repeat, started, environment.clone());
    // The directory must take our files before the first run, not after an hour of them.
    write_reports(&out, &results)?;

    let bench = Bench {
        topology: &topology,
        calibration,
        environment: &environment,
    };
    let bar = progress::sweep_bar(
        args.quiet,
        plan.configs.len() as u64 * u64::from(args.repeat),
    );
    let mut verdict = RoundVerdict::default();
    let outcome = run_points(
        &plan,
        args.repeat,
        &bench,
        &mut results,
        |round, cfg, r| {
            bar.set_message(format!(
                "round {}/{}: {} with {}",
                round + 1,
                args.repeat,
                cfg.backend,
                format::workers(cfg.mode, cfg.workers)
            ));
            if let Some(r) = r {
                bar.inc(1);
                report::write_all(&out, r, verdict.of(r))?;
            }
            Ok(())
        },
        &|| bar.tick(),
    );
    bar.finish_and_clear();
    outcome?;

    if !args.quiet {
        print!("{}", markdown::render(&results, None));
        print!(
            "\n{}",
            report::verdict::render_text(&analysis::verdict::findings(&results))
        );
        println!("\nWrote {} in {}", report::FILES.join(", "), out.display());
    }
    Ok(ExitCode::from(status(&results)))
}

/// The verdict of a sweep under way, redone when a round completes (and at the end), not after
/// every run: its permutation tests need whole rounds, and the files written in between carry
/// the last complete round's verdict.
#[derive(Default)]
struct RoundVerdict {
    /// The complete rounds it was made from, and the verdict.
    made: Option<(usize, Findings)>,
}

impl RoundVerdict {
    /// The verdict for `r`, made again if a round completed since.
    fn of(&mut self, r: &SweepResults) -> &Findings {
        let runs: usize = r.points.iter().map(|p| p.repetitions.len()).sum();
        let rounds = runs / r.points.len().max(1);
        let stale = self.made.as_ref().is_none_or(|(done, _)| *done != rounds);
        if r.complete || stale {
            self.made = Some((rounds, analysis::verdict::findings(r)));
        }
        &self.made.as_ref().expect("made above").1
    }
}

/// The results of a sweep before its first run: every point, none measured.
fn skeleton(
    plan: &SweepPlan,
    repeat: u32,
    started_utc: String,
    environment: Environment,
) -> SweepResults {
    let first = &plan.configs[0];
    let registry = registry::global();
    SweepResults {
        kind: SWEEP_KIND.to_string(),
        schema_version: SCHEMA_VERSION,
        command: command_line(),
        started_utc,
        settings: SweepSettings {
            workload: first.workload,
            backends: plan.backends.iter().map(|b| b.to_string()).collect(),
            threads: plan.threads.clone(),
            processes: plan.processes.clone(),
            repeat,
            ops: first.ops,
            duration_ms: first.duration_ms,
            warmup_ms: first.warmup_ms,
            cs_work_ns: first.cs_work_ns,
            think_ns: first.think_ns,
            regimes: plan.regimes.clone(),
            work_unit: first.work_unit,
            pin: first.pin.to_string(),
            latency: first.latency.to_string(),
            max_time_ms: first.max_time_ms,
            draws: first.draws.clone(),
            order_seed: Some(crate::runner::sweep::fresh_seed()),
            wake_latency: first.wake_latency,
            timeout_ns: first.timeout_ns,
        },
        backend_facts: plan
            .backends
            .iter()
            .filter_map(|b| registry.get(b).map(|e| e.model_facts()))
            .collect(),
        complete: false,
        points: plan
            .configs
            .iter()
            .map(|c| {
                Point::new(
                    &c.backend,
                    c.workers,
                    c.mode,
                    Regime::of(c),
                    c.workers > environment.allowed_cpus.len(),
                )
            })
            .collect(),
        environment,
    }
}

/// Runs every point of `plan`, `repeat` rounds, adding each run to its point of `results`.
/// `step` is told of each run before it starts (`None`) and after it was added (`Some`, to
/// rewrite the report files); its error ends the sweep. `tick` is called at the supervisor's
/// progress ticks.
fn run_points(
    plan: &SweepPlan,
    repeat: u32,
    bench: &Bench<'_>,
    results: &mut SweepResults,
    mut step: impl FnMut(u32, &RunConfig, Option<&SweepResults>) -> anyhow::Result<()>,
    tick: &dyn Fn(),
) -> anyhow::Result<()> {
    results.complete = false;
    let total = plan.configs.len() * repeat as usize;
    let seed = results.settings.order_seed.unwrap_or_default();
    for (done, (round, index)) in rounds(plan.configs.len(), repeat, seed).enumerate() {
        let cfg = &plan.configs[index];
        step(round, cfg, None)?;
        let run = super::measure(super::entry_of(cfg), cfg, bench, &mut |_| tick());
        let run = match run {
            Ok(r) => r,
            Err(e) => {
                // The files once more, before the failure ends the sweep.
                step(round, cfg, Some(results))?;
                return Err(anyhow::Error::new(e).context(format!(
                    "{} with {}, round {}",
                    cfg.backend,
                    format::workers(cfg.mode, cfg.workers),
                    round + 1
                )));
            }
        };
        analysis::add_repetition(
            &mut results.points[index],
            analysis::repetition(round, &run),
        );
        results.complete = done + 1 == total;
        step(round, cfg, Some(results))?;
    }
    results.complete = true;
    Ok(())
}

fn status(r: &SweepResults) -> u8 {
    if let Some(p) = r.failed_points().next() {
        if p.lost_updates > 0 {
            eprintln!(
                "error: {} with {} lost {} updates: the lock failed to exclude concurrent updates",
                p.backend,
                format::workers(p.mode, p.workers),
                p.lost_updates
            );
        } else {
            eprintln!(
                "error: {} with {} let a worker in while another was inside ({} times): the lock failed to exclude",
                p.backend,
                format::workers(p.mode, p.workers),
                p.exclusion_violations
            );
        }
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
