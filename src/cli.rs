//! The command line: clap derive definitions only. Parsing of values lives in `config`.

use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::config::{self, LatencyMode};
use crate::locks::BackendId;
use crate::runner::affinity::PinPolicy;

/// Lock-contention benchmarking: which lock should my code use, on this machine, for this
/// contention? Is this lock correct, fast and fair?
#[derive(Debug, Parser)]
#[command(name = "lockbench", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run one configuration: a shared counter incremented under one backend on pinned threads,
    /// verified for lost updates, with throughput, latency, fairness and hand-off figures.
    Run(RunArgs),
    /// List the backends and their facts (fair? how do waiters wait?).
    List(ListArgs),
    /// Measure the harness itself: clock cost, work loop, and lockbench's 1-thread std result
    /// against a hand-written lock/increment/unlock loop.
    Calibrate(CalibrateArgs),
}

/// Options of `lockbench run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Lock backend (see `lockbench list`).
    #[arg(short, long, value_name = "NAME", default_value = "std", value_parser = config::parse_backend)]
    pub backend: BackendId,

    /// Worker threads [default: one per CPU this process may use].
    #[arg(short, long, value_name = "N", allow_negative_numbers = true)]
    pub threads: Option<usize>,

    /// Total increments, split evenly across threads (1000000, 1_000_000 and 1M all work; k and G
    /// too).
    #[arg(long, value_name = "N", default_value = "1000000", value_parser = config::parse_count, allow_negative_numbers = true)]
    pub ops: u64,

    /// Busy work inside the critical section, between reading and writing the counter
    /// (e.g. 200ns, 1us).
    #[arg(long, value_name = "DURATION", default_value = "0ns", value_parser = config::parse_duration)]
    pub cs_work: Duration,

    /// Busy work between critical sections (e.g. 500ns).
    #[arg(long, value_name = "DURATION", default_value = "0ns", value_parser = config::parse_duration)]
    pub think: Duration,

    /// Thread placement: compact (fill a core's hardware threads first), spread (one per physical
    /// core first), none (let the OS decide), or a CPU list such as 0,2,4-7. More threads than
    /// CPUs wrap around.
    #[arg(long, value_name = "POLICY", default_value = "compact", value_parser = config::parse_pin)]
    pub pin: PinPolicy,

    /// Acquire-latency measurement: full (time every acquisition; costs two clock reads each),
    /// sample=N (time every Nth), or off.
    #[arg(long, value_name = "MODE", default_value = "sample=256", value_parser = config::parse_latency)]
    pub latency: LatencyMode,

    /// Time limit: every thread stops then, and the result is marked incomplete (exit status 4).
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = config::parse_duration)]
    pub max_time: Duration,

    /// Print the full result as JSON on stdout instead of the table.
    #[arg(long, conflicts_with = "quiet")]
    pub json: bool,

    /// Print nothing but errors; the exit status tells the outcome.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Options of `lockbench list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Print the registry as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Options of `lockbench calibrate`.
#[derive(Debug, Args)]
pub struct CalibrateArgs {
    /// Operations per timed round.
    #[arg(long, value_name = "N", default_value = "1000000", value_parser = config::parse_count)]
    pub ops: u64,

    /// Rounds of each measurement; the median is reported.
    #[arg(long, value_name = "N", default_value = "7", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub rounds: u32,

    /// Print the figures as JSON.
    #[arg(long)]
    pub json: bool,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
