//! The commands: one file each. A command reads the command line's arguments, validates them
//! (`config`), runs (`runner`, through the backend's `registry` entry), computes the figures
//! (`analysis`), and writes or prints them (`report`). Nothing below depends on this layer.

mod ab;
mod calibrate;
mod compare;
mod contended;
mod custom;
mod inversion;
mod list;
mod profile;
mod progress;
mod replay;
mod report;
mod run;
mod sweep;
mod worker;

use std::process::ExitCode;

pub use custom::Lockbench;

use clap::Parser;
use clap::error::ErrorKind;

use crate::analysis;
use crate::cli::{Cli, Command};
use crate::error::UsageError;
use crate::model::{Environment, RunConfig, RunResult, WorkCalibration};
use crate::registry::Entry;
use crate::runner::{Progress, RunError, affinity::Topology};

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
    /// The workers deadlocked (the transfer workload's naive order): the cycle is reported.
    pub const DEADLOCK: u8 = 5;
}

/// The whole program: parses the command line, runs the command, and turns every failure into
/// one `error:` line and an exit status (2 for bad input, 1 for anything else).
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            return match e.kind() {
                ErrorKind::DisplayHelp
                | ErrorKind::DisplayVersion
                | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    let _ = e.print();
                    ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(exit::USAGE))
                }
                _ => {
                    eprintln!("{}", one_line(&e.render().to_string()));
                    ExitCode::from(exit::USAGE)
                }
            };
        }
    };
    match execute(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            if e.downcast_ref::<UsageError>().is_some() {
                ExitCode::from(exit::USAGE)
            } else if let Some(RunError::Deadlock { .. }) = e.downcast_ref::<RunError>() {
                ExitCode::from(exit::DEADLOCK)
            } else {
                ExitCode::from(exit::ERROR)
            }
        }
    }
}

/// clap's message up to its first blank line, folded onto one line.
fn one_line(message: &str) -> String {
    message
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs the parsed command line.
pub fn execute(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Run(args) => run::run(args),
        Command::Worker(args) => worker::worker(args),
        Command::Sweep(args) => sweep::sweep(args),
        Command::Report(args) => report::report(args),
        Command::Compare(args) => compare::compare(args),
        Command::List(args) => list::list(args),
        Command::Calibrate(args) => calibrate::calibrate(args),
        Command::Inversion(args) => inversion::inversion(args),
        Command::Profile(args) => profile::profile(args),
        Command::Ab(args) => ab::ab(args),
        Command::Replay(args) => replay::replay(args),
    }
}

/// What every measured run needs besides its configuration, fixed once per command.
pub(crate) struct Bench<'a> {
    /// The CPUs this process may use.
    pub topology: &'a Topology,
    /// The busy-work loop's calibration (when a run has busy work).
    pub calibration: Option<WorkCalibration>,
    /// Where the runs take place.
    pub environment: &'a Environment,
}

/// Runs `cfg` with the backend of `entry` and computes its figures.
pub(crate) fn measure(
    entry: &Entry,
    cfg: &RunConfig,
    bench: &Bench<'_>,
    on_progress: &mut dyn FnMut(&Progress),
) -> Result<RunResult, RunError> {
    let record = entry
        .engine()
        .run(cfg, bench.topology, bench.calibration, on_progress)?;
    Ok(analysis::run_result(
        cfg,
        &entry.model_facts(),
        bench.environment,
        record,
    ))
}

/// The registry entry of a validated configuration's backend.
pub(crate) fn entry_of(cfg: &RunConfig) -> &'static Entry {
    crate::registry::global()
        .get(&cfg.backend)
        .expect("validated configurations name registered backends")
}
