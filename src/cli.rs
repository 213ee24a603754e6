//! The command line: clap derive definitions only. Parsing of values lives in `config`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::config::{
    self, BackendList, RunRequest, ThreadList, WorkloadChoice, parse, parse::List,
    workload::WorkloadArgs,
};
use crate::error::UsageError;
use crate::model::{LatencyMode, LockOrder, PinPolicy, WorkUnit};

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
    /// Run a matrix of backends x thread counts, repeated, and write results.json, results.csv,
    /// summary.md and index.html (charts inline) to an output directory.
    Sweep(SweepArgs),
    /// Rebuild every report file from a saved results.json; or, given two or more results files
    /// (or folders of them) from many machines, one fleet report of them all.
    Report(ReportArgs),
    /// Compare two results.json files (machines, versions or lock changes): the change per
    /// backend and thread count, flagged where it exceeds the runs' own spread.
    Compare(CompareArgs),
    /// List the backends and their facts (fair? how do waiters wait? across processes?).
    List(ListArgs),
    /// A worker process of `run --processes` (internal).
    #[command(name = "__worker", hide = true)]
    Worker(WorkerArgs),
    /// Measure the harness itself: clock cost, work loop, and lockbench's 1-thread std result
    /// against a hand-written lock/increment/unlock loop.
    Calibrate(CalibrateArgs),
    /// Show a program's own locks from the profile its probe wrote (LOCKBENCH_PROFILE):
    /// hottest first, with contention, wait and hold percentiles, rate and hand-offs.
    Profile(ProfileArgs),
    /// A/B the backends in your own program: run it once per backend per round (through
    /// LOCKBENCH_BACKEND), repeated, and rank the backends by its wall time (or a figure it
    /// prints), with the ranking rule every verdict uses.
    Ab(AbArgs),
    /// Priority inversion, measured: a low-priority holder, a high-priority waiter and a busy
    /// middle-priority thread on one CPU (SCHED_FIFO: needs root, CAP_SYS_NICE or
    /// `ulimit -r`), with a plain pthread mutex and with PTHREAD_PRIO_INHERIT; the waiter's
    /// waits, the longest first.
    Inversion(InversionArgs),
    /// Replay a program's contention (its profile's hottest locks: threads, hold and think
    /// times, how unevenly the locks are used) as a sweep of every backend, with the verdict
    /// for that contention and how closely the replay matched the program.
    Replay(ReplayArgs),
}

/// Options of `lockbench replay`.
#[derive(Clone, Debug, Args)]
pub struct ReplayArgs {
    /// The profile (a program's LOCKBENCH_PROFILE file).
    #[arg(value_name = "PROFILE.json")]
    pub profile: PathBuf,

    /// The backends to sweep [default: std, parking-lot, parking-lot-fair, spin, ticket, futex,
    /// pthread, and the profile's own].
    #[arg(long, value_name = "LIST", value_parser = parse::parse_backend_list)]
    pub backends: Option<BackendList>,

    /// How many of the hottest locks to replay.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub top: u64,

    /// Repetitions of every point (five let any two backends be told apart; see the ranking
    /// rule in docs).
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub repeat: u32,

    /// Each run's length.
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = parse::parse_duration)]
    pub duration: Duration,

    /// Where the sweep's results and reports go (and draws.json, the distributions drawn).
    #[arg(long, value_name = "DIR", default_value = "replay-results")]
    pub out: PathBuf,

    /// Fix every critical section and think time at the profile's means instead of drawing
    /// each from the measured distributions.
    #[arg(long)]
    pub fixed_work: bool,

    /// What the drawn lengths are: time (spin on the clock until each length has passed: the
    /// lengths measured, whatever the machine's speed) or instructions (a loop sized once by a
    /// calibration, which on a virtual machine can run far from its size: on the 2-core VM
    /// lockbench is developed on, 172 ns of it lasted 105-113 ns inside a run).
    #[arg(long, value_name = "UNIT", default_value = "time", value_parser = ["time", "instructions"])]
    pub work_unit: String,

    /// The program's own A/B (its ab.json): the replay's ranking of the backends set beside
    /// it (the A/B's leaders among the replay's, and a rank correlation).
    #[arg(long, value_name = "AB.json")]
    pub against: Option<PathBuf>,

    /// No progress bars and no sweep table: the replay, the verdict and the comparison only.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Options of `lockbench profile`.
#[derive(Debug, Args)]
pub struct ProfileArgs {
    /// The profile (a program's LOCKBENCH_PROFILE file).
    #[arg(value_name = "PROFILE.json")]
    pub profile: PathBuf,

    /// Show at most this many locks (the hottest).
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub top: usize,

    /// Also write an HTML page with the wait and hold distributions of each lock.
    #[arg(long, value_name = "FILE.html")]
    pub html: Option<PathBuf>,
}

/// Options of `lockbench ab`.
#[derive(Debug, Args)]
pub struct AbArgs {
    /// The backends to try, comma-separated [default: std, parking-lot, parking-lot-fair, spin,
    /// ticket, futex, pthread].
    #[arg(long, value_name = "LIST", value_parser = parse::parse_backend_list)]
    pub backends: Option<BackendList>,

    /// Runs of the program per backend, in rounds (each round in a fresh order).
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    pub repeat: u32,

    /// Stop a run that takes longer than this (it is reported as timed out, not ranked).
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse::parse_duration)]
    pub max_time: Duration,

    /// Rank by a figure the program prints instead of its wall time: a regular expression whose
    /// first capture group is the number (on stdout or stderr; the last match counts).
    #[arg(long, value_name = "REGEX")]
    pub metric: Option<String>,

    /// With --metric: smaller is better (a latency), not larger (a throughput).
    #[arg(long, requires = "metric")]
    pub lower_is_better: bool,

    /// Keep every run's profile and the result (ab.json) in this directory.
    #[arg(long, value_name = "DIR", default_value = "ab-results")]
    pub out: PathBuf,

    /// Rank runs that record (LOCKBENCH_RECORD=on). By default the ranked runs record nothing
    /// (the probe then costs a few nanoseconds an acquisition) and one more run per backend,
    /// not ranked, records the profile the table's hottest lock comes from.
    #[arg(long)]
    pub record: bool,

    /// The program and its arguments, after `--`.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

/// Options of `lockbench run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Lock backend (see `lockbench list`).
    #[arg(short, long, value_name = "NAME", default_value = "std", value_parser = parse::parse_backend)]
    pub backend: &'static str,

    /// Worker threads [default: one per CPU this process may use].
    #[arg(
        short,
        long,
        value_name = "N",
        allow_negative_numbers = true,
        conflicts_with = "processes",
        value_parser = parse::parse_workers
    )]
    pub threads: Option<usize>,

    /// Worker processes instead of threads: children of this binary sharing one memory mapping
    /// that holds the lock and the data (see `lockbench list` for the backends that can).
    #[arg(short, long, value_name = "N", allow_negative_numbers = true, value_parser = parse::parse_workers)]
    pub processes: Option<usize>,

    /// Run the operations as N tasks on a tokio multi-threaded runtime whose worker threads are
    /// --threads: `tokio` and `async-lock` await their turn; every other backend is held
    /// inside a task with no await point in the critical section. Figures are per task.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub tasks: Option<usize>,

    /// What each run does.
    #[command(flatten)]
    pub options: RunOptions,

    /// Print the full result as JSON on stdout instead of the table.
    #[arg(long, conflicts_with = "quiet")]
    pub json: bool,

    /// Print nothing but errors; the exit status tells the outcome.
    #[arg(short, long)]
    pub quiet: bool,
}

/// The options of one run, shared by `run` and `sweep`.
#[derive(Debug, Args)]
pub struct RunOptions {
    /// What each operation does to the shared value.
    #[arg(long, value_enum, default_value = "counter")]
    pub workload: WorkloadChoice,

    /// Starting balance of the bank workload [default: 200].
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub initial: Option<i64>,

    /// Percent of operations that read, for the rw workload [default: 90].
    #[arg(long, value_name = "P", value_parser = clap::value_parser!(u8).range(0..=100))]
    pub reads: Option<u8>,

    /// Accounts of the transfer workload, each with its own lock (2 to 1000000) [default: 2].
    #[arg(long, value_name = "N", value_parser = parse::parse_count, allow_negative_numbers = true)]
    pub accounts: Option<u64>,

    /// The transfer workload's lock order: ordered (the lower-numbered account's lock first;
    /// no deadlock) or naive (the source account's first, as the seeds' example; can
    /// deadlock, which lockbench detects and reports, exit status 5) [default: ordered].
    #[arg(long, value_name = "ORDER", value_parser = parse::parse_order)]
    pub order: Option<LockOrder>,

    /// Total increments, split evenly across threads (1000000, 1_000_000 and 1M all work; k and G
    /// too) [default: `run` is timed (1s), `sweep` does 1000000].
    #[arg(long, value_name = "N", value_parser = parse::parse_count, allow_negative_numbers = true, conflicts_with = "duration")]
    pub ops: Option<u64>,

    /// Run for a fixed time instead of a fixed number of operations (e.g. 2s): every worker
    /// runs until it has passed, and the figures cover it. Runs of a few milliseconds are a few
    /// scheduler time slices; a timed run is what a figure to rely on needs [default: `run`
    /// without --ops runs for 1s].
    #[arg(long, value_name = "DURATION", value_parser = parse::parse_duration)]
    pub duration: Option<Duration>,

    /// Warm-up before the measured interval (e.g. 200ms) [default: none for fixed work; for
    /// --duration a twentieth of it, at most 1s].
    #[arg(long, value_name = "DURATION", value_parser = parse::parse_duration)]
    pub warmup: Option<Duration>,

    /// The contention dial: independent locks, each guarding its own counter on its own cache
    /// lines; every operation takes one at random (1: every operation on one lock, the most
    /// contended). `sweep` takes a list (1,64,100k).
    #[arg(long, value_name = "N", default_value = "1", value_parser = parse::parse_locks)]
    pub locks: List<u64>,

    /// Hostile scheduling: N CPU hogs, busy threads pinned to the workers' CPUs in turn, run
    /// throughout the run and stopped with it, so that a lock holder is preempted as on a busy
    /// server (0: none; at most one per CPU lockbench may use). `sweep` takes a list (0,2).
    #[arg(long, value_name = "N", default_value = "0", value_parser = parse::parse_noise)]
    pub noise: List<u64>,

    /// Time the hand-offs: every release is stamped (a clock reading in every critical
    /// section), and each timed acquisition that followed another worker's release and slept
    /// in its wait records its wake-up latency, from that release (the last before it entered)
    /// to its first instruction inside (two getrusage calls per timed acquisition, which
    /// change the workload with --latency full). Counter and bank only.
    #[arg(long)]
    pub wake_latency: bool,

    /// Busy work inside the critical section, between reading and writing the counter
    /// (e.g. 200ns, 1us). `sweep` takes a list (0ns,1us).
    #[arg(long, value_name = "DURATION", default_value = "0ns", value_parser = parse::parse_duration_list("--cs-work"))]
    pub cs_work: List<Duration>,

    /// Busy work between critical sections (e.g. 500ns). `sweep` takes a list.
    #[arg(long, value_name = "DURATION", default_value = "0ns", value_parser = parse::parse_duration_list("--think"))]
    pub think: List<Duration>,

    /// Draw every operation's critical section and think time from two distributions instead
    /// of fixed lengths: a JSON file {"cs_ns": [...], "think_ns": [...]}, each list the
    /// distribution's quantiles in ns at equal steps from the least to the largest (2 to 4097
    /// of them). `lockbench replay` writes one from a program's profile.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["cs_work", "think"])]
    pub draw_work: Option<PathBuf>,

    /// What --cs-work and --think durations mean: time (spin on the clock until that much time
    /// has passed: the length asked for, whatever the machine's speed) or instructions (a fixed
    /// loop sized once to that length: the same work every time, lasting longer when the
    /// machine slows down).
    #[arg(long, value_name = "UNIT", default_value = "time", value_parser = parse::parse_work_unit)]
    pub work_unit: WorkUnit,

    /// Thread placement: compact (fill a core's hardware threads first), spread (one per physical
    /// core first), none (let the OS decide), or a CPU list such as 0,2,4-7. More threads than
    /// CPUs wrap around.
    #[arg(long, value_name = "POLICY", default_value = "compact", value_parser = parse::parse_pin)]
    pub pin: PinPolicy,

    /// Acquire-latency measurement: full (time every acquisition; costs two clock reads each),
    /// sample=N (time every Nth), or off.
    #[arg(long, value_name = "MODE", default_value = "sample=256", value_parser = parse::parse_latency)]
    pub latency: LatencyMode,

    /// A deadline on every acquisition (e.g. 1ms), as the seeds' `lock.acquire(timeout=...)`:
    /// a wait that reaches it gives up, does no update, and is counted as a timeout. Backends
    /// that cannot give up a wait are refused with the reason (see `lockbench list`).
    #[arg(long, value_name = "DURATION", value_parser = parse::parse_duration)]
    pub timeout: Option<Duration>,

    /// Time limit of each run: every thread stops then, and the result is marked incomplete
    /// (exit status 4) [default: 60s; with --duration, 60s past the run's planned end].
    #[arg(long, value_name = "DURATION", value_parser = parse::parse_duration)]
    pub max_time: Option<Duration>,
}

/// How long `run` runs when neither --ops nor --duration is given.
pub const DEFAULT_RUN_DURATION: Duration = Duration::from_secs(1);
/// The increments of a sweep's runs when neither --ops nor --duration is given: the card's
/// million.
pub const DEFAULT_OPS: u64 = 1_000_000;

impl RunOptions {
    /// The request for one run of `backend` with these options, on `threads` threads or
    /// `processes` processes (one value of each list: a list is for `sweep`).
    pub fn request(
        &self,
        backend: &'static str,
        threads: Option<usize>,
        processes: Option<usize>,
    ) -> Result<RunRequest, UsageError> {
        // One run on its own is timed unless told otherwise: a fixed million increments on
        // threads that outnumber the CPUs can finish before every thread had run once, and
        // then nothing was contended.
        // A time limit too short for it keeps the fixed million.
        let warmup = config::run::default_warmup(Some(DEFAULT_RUN_DURATION));
        let fits = |limit: Duration| limit > DEFAULT_RUN_DURATION + warmup;
        let duration = match (self.ops, self.duration) {
            (None, None) if self.max_time.is_none_or(fits) => Some(DEFAULT_RUN_DURATION),
            (_, d) => d,
        };
        Ok(RunRequest {
            threads,
            processes,
            duration,
            locks: self.locks.single("--locks")?,
            noise: self.noise.single("--noise")?,
            cs_work: self.cs_work.single("--cs-work")?,
            think: self.think.single("--think")?,
            ..self.request_with_lists(backend)?
        })
    }

    /// The request with the lists' first values (a sweep sets them per regime).
    pub fn request_with_lists(&self, backend: &'static str) -> Result<RunRequest, UsageError> {
        Ok(RunRequest {
            backend,
            threads: None,
            processes: None,
            ops: self.ops.unwrap_or(DEFAULT_OPS),
            duration: self.duration,
            warmup: self.warmup,
            locks: self.locks.0[0],
            noise: self.noise.0[0],
            cs_work: self.cs_work.0[0],
            think: self.think.0[0],
            work_unit: self.work_unit,
            pin: self.pin.clone(),
            latency: self.latency,
            max_time: self.max_time,
            workload: config::workload::workload(&WorkloadArgs {
                choice: self.workload,
                initial: self.initial,
                reads: self.reads,
                accounts: self.accounts,
                order: self.order,
            })?,
            timeout: self.timeout,
            tasks: None,
            wake_latency: self.wake_latency,
            draws: self.draw_work.as_deref().map(read_draws).transpose()?,
        })
    }
}

/// Options of `lockbench sweep`.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Backends, comma-separated [default: std,parking-lot,spin,ticket,pthread].
    #[arg(long, value_name = "LIST", value_parser = parse::parse_backend_list)]
    pub backends: Option<BackendList>,

    /// Thread counts: a list (1,2,4,8), a range (1..8, every count in it), or `max` (powers of
    /// two up to the CPUs this process may use, then that count and twice it) [default: 1,2,4,8,
    /// unless only --processes is given].
    #[arg(short, long, value_name = "LIST", value_parser = parse::parse_thread_list)]
    pub threads: Option<ThreadList>,

    /// Process counts, in the same forms: the backends that work across processes run again with
    /// that many worker processes, beside the threads in the same report.
    #[arg(short, long, value_name = "LIST", value_parser = parse::parse_thread_list)]
    pub processes: Option<ThreadList>,

    /// Repetitions of every point, in rounds: each round runs every point once, in a fresh
    /// order, so that drift of the machine favours none. Five let any two backends be told
    /// apart at the 10% level; with fewer, only locks far apart are.
    #[arg(long, value_name = "N", default_value = "5", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub repeat: u32,

    /// Output directory [default: a new directory under reports/, named after the UTC start time].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// What each run does.
    #[command(flatten)]
    pub options: RunOptions,

    /// No progress bar and no summary; errors only.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Options of `lockbench report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A results.json written by `lockbench sweep`, to rebuild its reports; an ab.json written
    /// by `lockbench ab`, to rank its runs again (by the current ranking rule); or two or more
    /// results files, or folders holding them (searched through), for a fleet report of many
    /// machines.
    #[arg(value_name = "RESULTS", required = true, num_args = 1..)]
    pub results: Vec<PathBuf>,

    /// Output directory [default: the directory of RESULTS; for a fleet, fleet-report].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// Options of `lockbench compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The baseline results.json.
    #[arg(value_name = "BEFORE")]
    pub before: PathBuf,

    /// The results.json to compare with it.
    #[arg(value_name = "AFTER")]
    pub after: PathBuf,

    /// Also write the comparison as compare.html into this directory.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// The internal worker command's one argument.
#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// What to do, as JSON written by the parent.
    #[arg(long)]
    pub spec: String,
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
    #[arg(long, value_name = "N", default_value = "1000000", value_parser = parse::parse_count)]
    pub ops: u64,

    /// Rounds of each measurement; the median is reported.
    #[arg(long, value_name = "N", default_value = "7", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub rounds: u32,

    /// Threads of the contended comparison: the hand-written loop and lockbench's `std` run on
    /// this many threads, pinned and not [default: the allowed CPUs, at least 2].
    #[arg(long, value_name = "N", value_parser = parse::parse_workers)]
    pub threads: Option<usize>,

    /// Each contended run's length.
    #[arg(long, value_name = "DURATION", default_value = "200ms", value_parser = parse::parse_duration)]
    pub duration: Duration,

    /// Print the figures as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Options of `lockbench inversion`.
#[derive(Debug, Args)]
pub struct InversionArgs {
    /// Rounds with each mutex (1 to 100).
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub rounds: u32,

    /// How long the low-priority holder works under the lock in each round.
    #[arg(long, value_name = "DURATION", default_value = "2ms", value_parser = parse::parse_duration)]
    pub hold: Duration,

    /// How long the middle-priority thread is busy once the waiter has woken it.
    #[arg(long, value_name = "DURATION", default_value = "20ms", value_parser = parse::parse_duration)]
    pub middle: Duration,

    /// The CPU the three threads share [default: the last this process may use].
    #[arg(long, value_name = "CPU")]
    pub cpu: Option<usize>,

    /// Print the figures as JSON.
    #[arg(long)]
    pub json: bool,
}

/// The draws of `--draw-work FILE`, checked.
fn read_draws(path: &std::path::Path) -> Result<crate::model::WorkDraws, UsageError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| UsageError::file(path, format!("cannot be read: {e}")))?;
    let mut draws: crate::model::WorkDraws = serde_json::from_str(&text).map_err(|e| {
        UsageError::file(
            path,
            format!("is not a draws file ({{\"cs_ns\": [...], \"think_ns\": [...]}}): {e}"),
        )
    })?;
    if let Some(problem) = draws.problem() {
        return Err(UsageError::file(path, problem));
    }
    if draws.source.is_empty() {
        draws.source = path.display().to_string();
    }
    Ok(draws)
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
