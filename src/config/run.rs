//! The validated run: every check a single run's request must pass before any worker starts.

use std::time::Duration;

use super::parse::MAX_THREADS;
use super::workload::Fit;
use crate::error::UsageError;
use crate::model::{LatencyMode, PinPolicy, RunConfig, WorkDraws, WorkUnit, WorkerMode, Workload};
use crate::registry;
use crate::runner::affinity::Topology;
use crate::runner::region::MAX_LOCKS;

/// Most tasks a run may ask for (`--tasks`): each has its progress line of 128 bytes.
pub const MAX_TASKS: usize = 100_000;

/// The time limit of a run of fixed work when none is given.
pub const DEFAULT_MAX_TIME: Duration = Duration::from_secs(60);

/// The longest default warm-up of a timed run.
pub const MAX_DEFAULT_WARMUP: Duration = Duration::from_secs(1);

/// The warm-up when none is given: none for fixed work (every operation promised is measured,
/// as it always was), and for a timed run a twentieth of its duration, at most a second. That is
/// long enough for what the first milliseconds of a run get wrong (a CPU clocking up from idle,
/// cold caches, the threads still being placed, a lock's adaptive spinning still learning) and
/// short enough that a `--duration 2s` run still ends within a tenth of two seconds.
pub fn default_warmup(duration: Option<Duration>) -> Duration {
    duration.map_or(Duration::ZERO, |d| (d / 20).min(MAX_DEFAULT_WARMUP))
}

/// The time limit when none is given: a minute for fixed work; for a timed run, a minute past
/// its planned end.
pub fn default_max_time(duration: Option<Duration>, warmup: Duration) -> Duration {
    duration.map_or(DEFAULT_MAX_TIME, |d| d + warmup + DEFAULT_MAX_TIME)
}

/// What `lockbench run` asked for, before validation.
#[derive(Clone, Debug)]
pub struct RunRequest {
    /// Backend to measure.
    pub backend: &'static str,
    /// Worker threads; `None` for one per allowed CPU (unless `processes` is given).
    pub threads: Option<usize>,
    /// Worker processes instead of threads.
    pub processes: Option<usize>,
    /// Total operations, split across threads (ignored when `duration` is given).
    pub ops: u64,
    /// A timed run instead: every worker runs this long after the warm-up.
    pub duration: Option<Duration>,
    /// Warm-up before the measured interval (none given: [`default_warmup`]).
    pub warmup: Option<Duration>,
    /// Independent locks the operations spread over.
    pub locks: u64,
    /// CPU hogs run on the workers' CPUs throughout the run.
    pub noise: u64,
    /// Stamp every release and time the timed acquisitions' hand-offs.
    pub wake_latency: bool,
    /// Work inside the critical section.
    pub cs_work: Duration,
    /// Work between critical sections.
    pub think: Duration,
    /// What those durations mean.
    pub work_unit: WorkUnit,
    /// Placement.
    pub pin: PinPolicy,
    /// Latency measurement.
    pub latency: LatencyMode,
    /// Time limit of the run (none given: [`default_max_time`]).
    pub max_time: Option<Duration>,
    /// The workload.
    pub workload: Workload,
    /// Every acquisition's deadline.
    pub timeout: Option<Duration>,
    /// Tasks on a tokio runtime of `threads` worker threads, instead of threads.
    pub tasks: Option<usize>,
    /// Critical sections and think times drawn per operation instead of `cs_work` and `think`
    /// (which are then zero), already checked ([`WorkDraws::problem`]).
    pub draws: Option<WorkDraws>,
}

/// Checks `req` against itself, the registry and the machine's `topology`.
pub fn validate(req: RunRequest, topology: &Topology) -> Result<RunConfig, UsageError> {
    let registry = registry::global();
    let entry = registry
        .get(req.backend)
        .ok_or_else(|| UsageError::UnknownBackend {
            name: req.backend.to_string(),
            valid: registry.names(),
        })?;
    let (mode, threads, flag) = match (req.threads, req.processes) {
        (Some(_), Some(_)) => {
            return Err(UsageError::invalid(
                "--processes",
                "",
                "give --threads or --processes, not both",
            ));
        }
        (_, Some(p)) => (WorkerMode::Processes, p, "--processes"),
        (t, None) => (
            WorkerMode::Threads,
            t.unwrap_or(topology.cpus.len().max(1)),
            "--threads",
        ),
    };
    if threads == 0 || threads > MAX_THREADS {
        return Err(UsageError::invalid(
            flag,
            threads,
            format!("must be from 1 to {MAX_THREADS}"),
        ));
    }
    // Tasks run on a runtime of `threads` worker threads; the workers reported are the tasks.
    let (mode, workers, worker_flag) = match req.tasks {
        None => (mode, threads, flag),
        Some(_) if mode == WorkerMode::Processes => {
            return Err(UsageError::invalid(
                "--tasks",
                req.tasks.unwrap_or_default(),
                "tasks run on one process's runtime: give --threads (its worker threads), not --processes",
            ));
        }
        Some(tasks) if !(1..=MAX_TASKS).contains(&tasks) => {
            return Err(UsageError::invalid(
                "--tasks",
                tasks,
                format!("must be from 1 to {MAX_TASKS}"),
            ));
        }
        Some(tasks) => (WorkerMode::Tasks, tasks, "--tasks"),
    };
    if mode == WorkerMode::Tasks
        && let Some(timeout) = req.timeout
    {
        return Err(UsageError::invalid(
            "--timeout",
            humantime::format_duration(timeout),
            "a deadline on acquisitions is for threads and processes, not --tasks",
        ));
    }
    if mode == WorkerMode::Processes
        && let Some(why) = entry.facts().not_across_processes
    {
        return Err(UsageError::invalid(
            "--backend",
            entry.name(),
            format!("cannot run across processes: {why} (see `lockbench list`)"),
        ));
    }
    if let Some(timeout) = req.timeout {
        if timeout.is_zero() {
            return Err(UsageError::invalid(
                "--timeout",
                "0s",
                "an acquisition needs some time to wait: give a deadline longer than zero",
            ));
        }
        if let Some(why) = entry.cannot_time_out() {
            return Err(UsageError::invalid(
                "--backend",
                entry.name(),
                format!("cannot time out an acquisition: {why} (see `lockbench list`)"),
            ));
        }
    }
    let timed = req.duration.is_some();
    if req.duration.is_some_and(|d| d.is_zero()) {
        return Err(UsageError::invalid(
            "--duration",
            "0s",
            "a timed run must last longer than zero",
        ));
    }
    if req.duration.is_some_and(|d| d < Duration::from_millis(1)) {
        return Err(UsageError::invalid(
            "--duration",
            format!("{:?}", req.duration.unwrap_or_default()),
            "a timed run lasts at least 1ms",
        ));
    }
    if !timed && req.ops == 0 {
        return Err(UsageError::invalid(
            "--ops",
            "0",
            "at least one operation is needed",
        ));
    }
    if !timed && req.ops < workers as u64 {
        return Err(UsageError::TooFewOps {
            ops: req.ops,
            threads: workers,
        });
    }
    if !(1..=MAX_LOCKS).contains(&req.locks) {
        return Err(UsageError::invalid(
            "--locks",
            req.locks,
            format!("lock counts must be from 1 to {MAX_LOCKS}"),
        ));
    }
    let locks = super::workload::fit(
        req.workload,
        &Fit {
            workers,
            worker_flag,
            mode,
            ops: (!timed).then_some(req.ops),
            locks: req.locks,
        },
    )?;
    let warmup = req.warmup.unwrap_or_else(|| default_warmup(req.duration));
    let max_time = req
        .max_time
        .unwrap_or_else(|| default_max_time(req.duration, warmup));
    if max_time.is_zero() {
        return Err(UsageError::invalid(
            "--max-time",
            "0s",
            "the time limit must be longer than zero",
        ));
    }
    let planned = req.duration.unwrap_or_default() + warmup;
    if max_time <= planned {
        return Err(UsageError::invalid(
            "--max-time",
            humantime::format_duration(max_time),
            format!(
                "the time limit must be longer than the warm-up and the duration ({})",
                humantime::format_duration(planned)
            ),
        ));
    }
    if req.wake_latency {
        let why = if !matches!(req.workload, Workload::Counter | Workload::Bank { .. }) {
            Some((
                format!("--workload {}", req.workload.name()),
                "it times the hand-offs of the counter and bank workloads only",
            ))
        } else if let Some(tasks) = req.tasks {
            Some((
                format!("--tasks {tasks}"),
                "a task's wait is not a thread's: it times threads and processes only",
            ))
        } else if req.latency == LatencyMode::Off {
            Some((
                "--latency off".to_string(),
                "it times the timed acquisitions, and --latency off times none",
            ))
        } else {
            None
        };
        if let Some((with, why)) = why {
            return Err(UsageError::invalid("--wake-latency with", with, why));
        }
    }
    let cpus = topology.cpus.len().max(1) as u64;
    if req.noise > cpus {
        return Err(UsageError::invalid(
            "--noise",
            req.noise,
            format!(
                "at most {cpus}: one CPU hog per CPU lockbench may use (more would only queue \
                 behind each other)"
            ),
        ));
    }
    // Drawn work is bounded by its largest lengths, and named by the option that gives it.
    // (The command line checks a file as it reads it; a library caller's draws are checked
    // here, before a worker could index past a table or find it out of order.)
    if let Some(d) = &req.draws
        && let Some(problem) = d.problem()
    {
        return Err(UsageError::invalid(
            "--draw-work",
            d.source.clone(),
            problem,
        ));
    }
    if let Some(d) = &req.draws
        && !d.slots.is_empty()
        && d.slots.len() as u64 != req.locks
    {
        return Err(UsageError::invalid(
            "--locks",
            req.locks,
            format!("the draws of {} are for {} locks", d.source, d.slots.len()),
        ));
    }
    let (cs_work, think) = match &req.draws {
        Some(d) => {
            let (cs, think) = d.longest_ns();
            (Duration::from_nanos(cs), Duration::from_nanos(think))
        }
        None => (req.cs_work, req.think),
    };
    if let Some(d) = &req.draws
        && cs_work + think >= max_time
    {
        return Err(UsageError::invalid(
            "--draw-work",
            d.source.clone(),
            format!(
                "one operation's longest work ({} and {}) would outlast the time limit",
                humantime::format_duration(cs_work),
                humantime::format_duration(think)
            ),
        ));
    }
    if cs_work + think >= max_time {
        // Named by the longer of the two, which is the one to shorten.
        let (flag, value) = if req.think > req.cs_work {
            ("--think", req.think)
        } else {
            ("--cs-work", req.cs_work)
        };
        return Err(UsageError::invalid(
            flag,
            humantime::format_duration(value),
            "one operation's work (--cs-work and --think) would outlast the time limit",
        ));
    }
    if let PinPolicy::List(cpus) = &req.pin {
        if cpus.is_empty() {
            return Err(UsageError::invalid("--pin", "", "the CPU list is empty"));
        }
        let allowed = || {
            topology
                .cpus
                .iter()
                .map(|c| c.id.to_string())
                .collect::<Vec<_>>()
                .join(",")
        };
        let online = std::thread::available_parallelism().map_or(0, |n| n.get());
        for &cpu in cpus {
            if !topology.allows(cpu) {
                let reason = if cpu
                    >= online.max(topology.cpus.iter().map(|c| c.id + 1).max().unwrap_or(0))
                {
                    "does not exist"
                } else {
                    "this process is not allowed to use"
                };
                return Err(UsageError::CpuNotAllowed {
                    cpu,
                    reason,
                    allowed: allowed(),
                });
            }
        }
    }
    Ok(RunConfig {
        backend: entry.name().to_string(),
        workers,
        mode,
        ops: if timed { 0 } else { req.ops },
        duration_ms: req.duration.map(duration_ms),
        warmup_ms: duration_ms(warmup),
        locks,
        cs_work_ns: req
            .draws
            .as_ref()
            .map_or(duration_ns(req.cs_work), |d| d.cs_mean_ns().round() as u64),
        think_ns: req
            .draws
            .as_ref()
            .map_or(duration_ns(req.think), |d| d.think_mean_ns().round() as u64),
        work_unit: req.work_unit,
        pin: req.pin,
        latency: req.latency,
        max_time_ms: duration_ms(max_time).max(1),
        workload: req.workload,
        timeout_ns: req.timeout.map(duration_ns),
        runtime_threads: (mode == WorkerMode::Tasks).then_some(threads),
        noise: req.noise,
        wake_latency: req.wake_latency,
        draws: req.draws,
    })
}

fn duration_ns(d: Duration) -> u64 {
    d.as_nanos().try_into().unwrap_or(u64::MAX)
}

fn duration_ms(d: Duration) -> u64 {
    d.as_millis().try_into().unwrap_or(u64::MAX)
}

#[cfg(test)]
#[path = "run_tests.rs"]
mod tests;
