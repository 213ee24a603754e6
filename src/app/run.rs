//! `lockbench run`: one configuration, a table on the terminal (or the result as JSON).

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::Context;

use super::{Bench, exit, progress};
use crate::cli::RunArgs;
use crate::config::{self, RunRequest};
use crate::environment;
use crate::model::{RunResult, Verdict, WorkUnit};
use crate::report::table;
use crate::runner::affinity::Topology;
use crate::workload::busy;

pub(crate) fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let topology = Topology::detect();
    let request = RunRequest {
        tasks: args.tasks,
        ..args
            .options
            .request(args.backend, args.threads, args.processes)?
    };
    let cfg = config::validate(request, &topology)?;
    let calibration =
        (cfg.has_work() && cfg.work_unit == WorkUnit::Instructions).then(busy::calibrate);
    let environment = environment::capture(&topology, calibration);
    // Only the loud case: a high load average alone is mostly lockbench's own earlier runs
    // (the reports still note it).
    if let Some(warning) = environment
        .busy_warning()
        .filter(|_| !args.quiet && environment.other_runnable.is_some_and(|n| n > 0))
    {
        eprintln!("warning: {warning}");
    }
    let bench = Bench {
        topology: &topology,
        calibration,
        environment: &environment,
    };

    let bar = progress::run_bar(args.quiet, &cfg);
    let result = super::measure(
        super::entry_of(&cfg),
        &cfg,
        &bench,
        &mut progress::follow(&bar),
    );
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
    Ok(ExitCode::from(status(&result, args.quiet && !args.json)))
}

/// The exit status of a run, with its one-line reason on stderr.
fn status(result: &RunResult, terse: bool) -> u8 {
    if result.verification.verdict == Verdict::ExclusionViolated {
        eprintln!(
            "error: {} let a worker into the critical section while another was inside ({} times): the lock failed to exclude",
            result.backend,
            result.exclusion_violations.unwrap_or(0)
        );
        exit::LOST_UPDATES
    } else if result.verification.verdict == Verdict::TornReads {
        eprintln!(
            "error: {} let a reader see a write half done ({} torn reads): readers and writers were not excluded",
            result.backend,
            result.read_write.as_ref().map_or(0, |rw| rw.torn_reads)
        );
        exit::LOST_UPDATES
    } else if result.failed_verification() {
        if terse {
            eprintln!(
                "error: {} lost {} updates",
                result.backend, result.lost_updates
            );
        } else {
            eprintln!(
                "error: {} lost {} updates: the lock failed to exclude concurrent updates",
                result.backend, result.lost_updates
            );
        }
        exit::LOST_UPDATES
    } else if !result.complete {
        eprintln!(
            "error: incomplete: the time limit stopped the run after {} operations{} (raise --max-time)",
            result.total_ops,
            if result.config.timed() {
                String::new()
            } else {
                format!(" of {}", result.config.ops)
            }
        );
        exit::INCOMPLETE
    } else {
        exit::OK
    }
}
