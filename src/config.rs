//! Validated configuration. Everything a user can get wrong is rejected here, with the reason,
//! before any thread starts.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::locks::{self, BackendId};
use crate::runner::affinity::{PinPolicy, Topology};

/// Most threads a run may ask for.
pub const MAX_THREADS: usize = 4096;

/// A bad input, named and explained. The CLI prints it on one line and exits with status 2.
#[derive(Debug, Error, PartialEq)]
pub enum ConfigError {
    /// No backend by that name.
    #[error("unknown backend '{name}' (valid: {valid})")]
    UnknownBackend { name: String, valid: String },
    /// A count that must be positive was zero or not a number.
    #[error("invalid {what} '{value}': {reason}")]
    Invalid {
        what: &'static str,
        value: String,
        reason: String,
    },
    /// Fewer operations than threads.
    #[error(
        "--ops {ops} is smaller than --threads {threads}: every thread needs at least one operation"
    )]
    TooFewOps { ops: u64, threads: usize },
    /// A file given on the command line is missing, unreadable or not what it should be.
    #[error("{path} {problem}")]
    File { path: String, problem: String },
    /// A pinning list names a CPU this process may not use.
    #[error("--pin names CPU {cpu}, which {reason} (allowed: {allowed})")]
    CpuNotAllowed {
        cpu: usize,
        reason: &'static str,
        allowed: String,
    },
}

fn invalid(what: &'static str, value: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        what,
        value: value.to_string(),
        reason: reason.into(),
    }
}

/// How acquire latency is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LatencyMode {
    /// Not measured: no timer read in the hot loop.
    Off,
    /// Every `n`th acquisition is timed (`n` = 1 times every one).
    Sample(u32),
}

impl LatencyMode {
    /// The default: one acquisition in 256 timed. Two clock reads per sample, amortised over
    /// 256 operations, keep the harness's overhead under the noise of a 1-thread run (the
    /// `calibrate` command measures it), and 1M operations still yield ~3,900 samples.
    pub const DEFAULT: LatencyMode = LatencyMode::Sample(256);
}

impl fmt::Display for LatencyMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LatencyMode::Off => f.write_str("off"),
            LatencyMode::Sample(1) => f.write_str("full"),
            LatencyMode::Sample(n) => write!(f, "sample={n}"),
        }
    }
}

/// Parses `--latency`: `full`, `off` or `sample=N`.
pub fn parse_latency(s: &str) -> Result<LatencyMode, ConfigError> {
    match s.trim() {
        "full" => Ok(LatencyMode::Sample(1)),
        "off" => Ok(LatencyMode::Off),
        other => {
            let n = other.strip_prefix("sample=").ok_or_else(|| {
                invalid(
                    "--latency",
                    s,
                    "expected full, off or sample=N (time every Nth acquisition)",
                )
            })?;
            match n.parse::<u32>() {
                Ok(0) | Err(_) => Err(invalid(
                    "--latency",
                    s,
                    "N in sample=N must be a whole number from 1 to 4294967295",
                )),
                Ok(n) => Ok(LatencyMode::Sample(n)),
            }
        }
    }
}

/// Parses a backend name or alias.
pub fn parse_backend(s: &str) -> Result<BackendId, ConfigError> {
    locks::lookup(s)
        .map(|b| b.id)
        .ok_or_else(|| ConfigError::UnknownBackend {
            name: s.to_string(),
            valid: locks::names(),
        })
}

/// A list of backends, as `--backends` gives it (a newtype, so that clap takes it as one value).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackendList(pub Vec<BackendId>);

/// Parses a comma-separated list of backends (at least one, no repeats).
pub fn parse_backend_list(s: &str) -> Result<BackendList, ConfigError> {
    let mut list = Vec::new();
    for name in s.split(',') {
        if name.trim().is_empty() {
            return Err(invalid("--backends", s, "empty name in the list"));
        }
        let id = parse_backend(name)?;
        if list.contains(&id) {
            return Err(invalid(
                "--backends",
                s,
                format!("'{}' appears twice", name.trim()),
            ));
        }
        list.push(id);
    }
    Ok(BackendList(list))
}

/// Thread counts of a sweep, as given; `Max` is resolved against the machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ThreadList {
    /// These counts, in this order.
    Counts(Vec<usize>),
    /// Powers of two up to the allowed CPUs, then that count and twice it.
    Max,
}

impl ThreadList {
    /// The counts for a machine with `cpus` allowed CPUs, ascending, without repeats.
    pub fn resolve(&self, cpus: usize) -> Vec<usize> {
        let mut counts = match self {
            ThreadList::Counts(c) => c.clone(),
            ThreadList::Max => {
                let mut c: Vec<usize> = std::iter::successors(Some(1usize), |n| Some(n * 2))
                    .take_while(|&n| n < cpus)
                    .collect();
                c.push(cpus.max(1));
                c.push(cpus.max(1) * 2);
                c
            }
        };
        counts.sort_unstable();
        counts.dedup();
        counts
    }
}

/// Parses `--threads` of a sweep: `1,2,4,8`, `1..8` or `max`.
pub fn parse_thread_list(s: &str) -> Result<ThreadList, ConfigError> {
    let t = s.trim();
    if t == "max" {
        return Ok(ThreadList::Max);
    }
    let bad = |reason: &str| invalid("--threads", s, reason.to_string());
    let number = |p: &str| -> Result<usize, ConfigError> {
        let n: usize = p
            .trim()
            .parse()
            .map_err(|_| bad("expected a list such as 1,2,4,8, a range such as 1..8, or max"))?;
        if n == 0 || n > MAX_THREADS {
            return Err(bad(&format!(
                "thread counts must be from 1 to {MAX_THREADS}"
            )));
        }
        Ok(n)
    };
    if t.is_empty() {
        return Err(bad("the list is empty"));
    }
    if let Some((a, b)) = t.split_once("..") {
        let (a, b) = (number(a)?, number(b.trim_start_matches('='))?);
        if a > b {
            return Err(bad("the range is empty"));
        }
        return Ok(ThreadList::Counts((a..=b).collect()));
    }
    t.split(',')
        .map(number)
        .collect::<Result<Vec<_>, _>>()
        .map(ThreadList::Counts)
}

/// Parses a count: digits with optional `_` separators and an optional `k`, `M` or `G` suffix
/// (`1000000`, `1_000_000`, `1M`).
pub fn parse_count(s: &str) -> Result<u64, ConfigError> {
    let t = s.trim().replace('_', "");
    let (digits, scale) = match t.as_bytes().last() {
        Some(b'k' | b'K') => (&t[..t.len() - 1], 1_000),
        Some(b'M') => (&t[..t.len() - 1], 1_000_000),
        Some(b'G') => (&t[..t.len() - 1], 1_000_000_000),
        _ => (&t[..], 1),
    };
    let n: u64 = digits.parse().map_err(|_| {
        invalid(
            "count",
            s,
            "expected a whole number such as 1000000, 1_000_000 or 1M",
        )
    })?;
    n.checked_mul(scale)
        .ok_or_else(|| invalid("count", s, "too large"))
}

/// Parses a duration such as `200ns`, `1us`, `1.5ms`, `60s`, `2m`.
pub fn parse_duration(s: &str) -> Result<Duration, ConfigError> {
    let t = s.trim();
    let (number, unit) = t.split_at(
        t.find(|c: char| c.is_ascii_alphabetic() || c == 'µ')
            .unwrap_or(t.len()),
    );
    let value: f64 = number.parse().map_err(|_| {
        invalid(
            "duration",
            s,
            "expected a number and a unit, such as 200ns, 1us, 5ms or 60s",
        )
    })?;
    let unit_ns = match unit {
        "ns" => 1.0,
        "us" | "µs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "m" | "min" => 60e9,
        "h" => 3600e9,
        "" => {
            return Err(invalid(
                "duration",
                s,
                "a unit is needed: ns, us, ms, s, m or h",
            ));
        }
        _ => {
            return Err(invalid(
                "duration",
                s,
                "unknown unit; use ns, us, ms, s, m or h",
            ));
        }
    };
    let ns = value * unit_ns;
    if !ns.is_finite() || !(0.0..=1e9 * 86_400.0 * 365.0).contains(&ns) {
        return Err(invalid("duration", s, "must be between 0 and a year"));
    }
    Ok(Duration::from_nanos(ns.round() as u64))
}

/// Parses `--pin`: `compact`, `spread`, `none`, or a CPU list such as `0,2,4-7`.
pub fn parse_pin(s: &str) -> Result<PinPolicy, ConfigError> {
    match s.trim() {
        "compact" => return Ok(PinPolicy::Compact),
        "spread" => return Ok(PinPolicy::Spread),
        "none" => return Ok(PinPolicy::None),
        _ => {}
    }
    let bad = || {
        invalid(
            "--pin",
            s,
            "expected compact, spread, none or a CPU list such as 0,2,4-7",
        )
    };
    let mut cpus = Vec::new();
    for part in s.split(',') {
        let part = part.trim();
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b): (usize, usize) =
                    (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?);
                if a > b || b - a > 65_536 {
                    return Err(bad());
                }
                cpus.extend(a..=b);
            }
            None => cpus.push(part.parse().map_err(|_| bad())?),
        }
    }
    Ok(PinPolicy::List(cpus))
}

/// Largest `--initial` balance accepted.
pub const MAX_INITIAL: i64 = 1_000_000_000_000;

/// What each worker does to the shared value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "name")]
pub enum Workload {
    /// Every operation adds one to a counter that starts at zero.
    Counter,
    /// The seeds' bank account: even-numbered workers deposit 1, odd-numbered ones withdraw 1,
    /// the same number of times each; the balance must end where it started.
    Bank {
        /// The starting balance.
        initial: i64,
    },
}

impl Workload {
    /// The shared value's starting point.
    pub fn initial(self) -> i64 {
        match self {
            Workload::Counter => 0,
            Workload::Bank { initial } => initial,
        }
    }

    /// What worker `index` adds per operation.
    pub fn delta(self, index: usize) -> i64 {
        match self {
            Workload::Bank { .. } if index % 2 == 1 => -1,
            _ => 1,
        }
    }

    /// The CLI name.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Counter => "counter",
            Workload::Bank { .. } => "bank",
        }
    }
}

/// Whether the workers are threads of this process or processes of their own.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Threads sharing the heap.
    #[default]
    Threads,
    /// Child processes sharing one memory mapping.
    Processes,
}

impl Mode {
    /// "1 thread", "2 processes": a worker count in words.
    pub fn count(self, n: usize) -> String {
        let plural = match (n, self) {
            (1, _) => "",
            (_, Mode::Threads) => "s",
            (_, Mode::Processes) => "es",
        };
        format!("{n} {}{plural}", self.noun())
    }

    /// "thread" or "process", for messages.
    pub fn noun(self) -> &'static str {
        match self {
            Mode::Threads => "thread",
            Mode::Processes => "process",
        }
    }
}

/// What `lockbench run` asked for, before validation.
#[derive(Clone, Debug)]
pub struct RunRequest {
    /// Backend to measure.
    pub backend: BackendId,
    /// Worker threads; `None` for one per allowed CPU (unless `processes` is given).
    pub threads: Option<usize>,
    /// Worker processes instead of threads.
    pub processes: Option<usize>,
    /// Total operations, split across threads.
    pub ops: u64,
    /// Work inside the critical section.
    pub cs_work: Duration,
    /// Work between critical sections.
    pub think: Duration,
    /// Placement.
    pub pin: PinPolicy,
    /// Latency measurement.
    pub latency: LatencyMode,
    /// Time limit of the run.
    pub max_time: Duration,
    /// The workload.
    pub workload: Workload,
}

/// A run configuration that has passed every check.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    /// Backend to measure.
    pub backend: BackendId,
    /// Workers (threads or processes, as `mode` says).
    pub threads: usize,
    /// Threads or processes.
    #[serde(default)]
    pub mode: Mode,
    /// Total operations.
    pub ops: u64,
    /// Work inside the critical section, ns.
    pub cs_work_ns: u64,
    /// Work between critical sections, ns.
    pub think_ns: u64,
    /// Placement policy.
    pub pin: PinPolicy,
    /// Latency measurement.
    pub latency: LatencyMode,
    /// Time limit, ms.
    pub max_time_ms: u64,
    /// The workload.
    pub workload: Workload,
}

impl RunConfig {
    /// Checks `req` against itself and the machine's `topology`.
    pub fn validate(req: RunRequest, topology: &Topology) -> Result<RunConfig, ConfigError> {
        let (mode, threads, flag) = match (req.threads, req.processes) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "--processes",
                    "",
                    "give --threads or --processes, not both",
                ));
            }
            (_, Some(p)) => (Mode::Processes, p, "--processes"),
            (t, None) => (
                Mode::Threads,
                t.unwrap_or(topology.cpus.len().max(1)),
                "--threads",
            ),
        };
        if threads == 0 || threads > MAX_THREADS {
            return Err(invalid(
                flag,
                &threads.to_string(),
                format!("must be from 1 to {MAX_THREADS}"),
            ));
        }
        if mode == Mode::Processes {
            let info = req.backend.info();
            if let Some(why) = info.not_across_processes {
                return Err(invalid(
                    "--backend",
                    info.name,
                    format!("cannot run across processes: {why} (see `lockbench list`)"),
                ));
            }
        }
        if req.ops == 0 {
            return Err(invalid("--ops", "0", "at least one operation is needed"));
        }
        if req.ops < threads as u64 {
            return Err(ConfigError::TooFewOps {
                ops: req.ops,
                threads,
            });
        }
        if let Workload::Bank { initial } = req.workload {
            if !(0..=MAX_INITIAL).contains(&initial) {
                return Err(invalid(
                    "--initial",
                    &initial.to_string(),
                    format!("the starting balance must be from 0 to {MAX_INITIAL}"),
                ));
            }
            if threads % 2 == 1 {
                return Err(invalid(
                    "--threads",
                    &threads.to_string(),
                    "the bank workload pairs a depositor with a withdrawer: use an even number of workers",
                ));
            }
            if req.ops % 2 == 1 {
                return Err(invalid(
                    "--ops",
                    &req.ops.to_string(),
                    "the bank workload makes as many deposits as withdrawals: use an even number",
                ));
            }
        }
        if req.max_time.is_zero() {
            return Err(invalid(
                "--max-time",
                "0s",
                "the time limit must be longer than zero",
            ));
        }
        if let PinPolicy::List(cpus) = &req.pin {
            if cpus.is_empty() {
                return Err(invalid("--pin", "", "the CPU list is empty"));
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
                    return Err(ConfigError::CpuNotAllowed {
                        cpu,
                        reason,
                        allowed: allowed(),
                    });
                }
            }
        }
        Ok(RunConfig {
            backend: req.backend,
            threads,
            mode,
            ops: req.ops,
            cs_work_ns: duration_ns(req.cs_work),
            think_ns: duration_ns(req.think),
            pin: req.pin,
            latency: req.latency,
            max_time_ms: req
                .max_time
                .as_millis()
                .try_into()
                .unwrap_or(u64::MAX)
                .max(1),
            workload: req.workload,
        })
    }

    /// Operations for worker `index`: an even split, the remainder one each to the first workers.
    /// For the bank, the split is by depositor/withdrawer pair, and both of a pair get the same
    /// count, so that deposits and withdrawals balance.
    pub fn quota(&self, index: usize) -> u64 {
        match self.workload {
            Workload::Counter => {
                let threads = self.threads as u64;
                self.ops / threads + u64::from((index as u64) < self.ops % threads)
            }
            Workload::Bank { .. } => {
                let (pairs, per_side) = (self.threads as u64 / 2, self.ops / 2);
                let pair = index as u64 / 2;
                per_side / pairs + u64::from(pair < per_side % pairs)
            }
        }
    }
}

fn duration_ns(d: Duration) -> u64 {
    d.as_nanos().try_into().unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::affinity::Cpu;

    fn topo(n: usize) -> Topology {
        Topology {
            cpus: (0..n)
                .map(|id| Cpu {
                    id,
                    package: 0,
                    core: id,
                })
                .collect(),
        }
    }

    fn request() -> RunRequest {
        RunRequest {
            processes: None,
            workload: Workload::Counter,
            backend: BackendId::Ticket,
            threads: Some(8),
            ops: 1_000_000,
            cs_work: Duration::ZERO,
            think: Duration::ZERO,
            pin: PinPolicy::Compact,
            latency: LatencyMode::DEFAULT,
            max_time: Duration::from_secs(60),
        }
    }

    #[test]
    fn quotas_split_the_remainder() {
        let cfg = RunConfig::validate(
            RunRequest {
                ops: 10,
                threads: Some(4),
                ..request()
            },
            &topo(2),
        )
        .unwrap();
        let q: Vec<u64> = (0..4).map(|i| cfg.quota(i)).collect();
        assert_eq!(q, [3, 3, 2, 2]);
        assert_eq!(q.iter().sum::<u64>(), 10);
    }

    #[test]
    fn bank_quotas_balance_deposits_and_withdrawals() {
        let bank = Workload::Bank { initial: 200 };
        let cfg = RunConfig::validate(
            RunRequest {
                ops: 14,
                threads: Some(4),
                workload: bank,
                ..request()
            },
            &topo(2),
        )
        .unwrap();
        let q: Vec<u64> = (0..4).map(|i| cfg.quota(i)).collect();
        assert_eq!(q, [4, 4, 3, 3]);
        let net: i64 = (0..4).map(|i| bank.delta(i) * q[i] as i64).sum();
        assert_eq!(net, 0);
        let t = topo(2);
        assert!(
            RunConfig::validate(
                RunRequest {
                    threads: Some(3),
                    workload: bank,
                    ..request()
                },
                &t
            )
            .is_err()
        );
        assert!(
            RunConfig::validate(
                RunRequest {
                    ops: 11,
                    threads: Some(2),
                    workload: bank,
                    ..request()
                },
                &t
            )
            .is_err()
        );
        let negative = Workload::Bank { initial: -1 };
        assert!(
            RunConfig::validate(
                RunRequest {
                    threads: Some(2),
                    workload: negative,
                    ..request()
                },
                &t
            )
            .is_err()
        );
        let absurd = Workload::Bank {
            initial: MAX_INITIAL + 1,
        };
        assert!(
            RunConfig::validate(
                RunRequest {
                    threads: Some(2),
                    workload: absurd,
                    ..request()
                },
                &t
            )
            .is_err()
        );
    }

    #[test]
    fn processes_need_a_backend_that_works_across_them() {
        let t = topo(2);
        let procs = |b| RunRequest {
            backend: b,
            threads: None,
            processes: Some(2),
            ..request()
        };
        let cfg = RunConfig::validate(procs(BackendId::Ticket), &t).unwrap();
        assert_eq!((cfg.mode, cfg.threads), (Mode::Processes, 2));
        for b in [BackendId::Std, BackendId::ParkingLot, BackendId::Pthread] {
            let err = RunConfig::validate(procs(b), &t).unwrap_err().to_string();
            assert!(err.contains("cannot run across processes"), "{err}");
        }
        assert!(
            RunConfig::validate(
                RunRequest {
                    processes: Some(2),
                    ..request()
                },
                &t
            )
            .is_err()
        );
        assert!(
            RunConfig::validate(
                RunRequest {
                    threads: None,
                    processes: Some(0),
                    ..request()
                },
                &t
            )
            .is_err()
        );
    }

    #[test]
    fn threads_default_to_allowed_cpus() {
        let cfg = RunConfig::validate(
            RunRequest {
                threads: None,
                ..request()
            },
            &topo(3),
        )
        .unwrap();
        assert_eq!(cfg.threads, 3);
    }

    #[test]
    fn rejects_bad_requests() {
        let t = topo(2);
        assert!(
            RunConfig::validate(
                RunRequest {
                    threads: Some(0),
                    ..request()
                },
                &t
            )
            .is_err()
        );
        assert!(
            RunConfig::validate(
                RunRequest {
                    threads: Some(4097),
                    ..request()
                },
                &t
            )
            .is_err()
        );
        assert!(
            RunConfig::validate(
                RunRequest {
                    ops: 0,
                    ..request()
                },
                &t
            )
            .is_err()
        );
        assert_eq!(
            RunConfig::validate(
                RunRequest {
                    ops: 3,
                    ..request()
                },
                &t
            ),
            Err(ConfigError::TooFewOps { ops: 3, threads: 8 })
        );
        assert!(
            RunConfig::validate(
                RunRequest {
                    max_time: Duration::ZERO,
                    ..request()
                },
                &t
            )
            .is_err()
        );
        let err = RunConfig::validate(
            RunRequest {
                pin: PinPolicy::List(vec![0, 9]),
                ..request()
            },
            &t,
        );
        assert!(
            matches!(err, Err(ConfigError::CpuNotAllowed { cpu: 9, .. })),
            "{err:?}"
        );
    }

    #[test]
    fn parses_inputs() {
        assert_eq!(parse_count("1_000_000"), Ok(1_000_000));
        assert_eq!(parse_count("1M"), Ok(1_000_000));
        assert_eq!(parse_count("250k"), Ok(250_000));
        assert!(parse_count("-1").is_err());
        assert!(parse_count("1.5M").is_err());
        assert_eq!(parse_duration("200ns"), Ok(Duration::from_nanos(200)));
        assert_eq!(parse_duration("1us"), Ok(Duration::from_micros(1)));
        assert_eq!(parse_duration("1.5ms"), Ok(Duration::from_micros(1500)));
        assert_eq!(parse_duration("60s"), Ok(Duration::from_secs(60)));
        assert!(parse_duration("60").is_err());
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("-1s").is_err());
        assert_eq!(parse_latency("full"), Ok(LatencyMode::Sample(1)));
        assert_eq!(parse_latency("sample=64"), Ok(LatencyMode::Sample(64)));
        assert!(parse_latency("sample=0").is_err());
        assert!(parse_latency("sometimes").is_err());
        assert_eq!(parse_pin("0,2-4"), Ok(PinPolicy::List(vec![0, 2, 3, 4])));
        assert!(parse_pin("4-2").is_err());
        assert!(parse_pin("a,b").is_err());
        assert_eq!(parse_backend("parking_lot"), Ok(BackendId::ParkingLot));
        assert_eq!(
            parse_backend_list("std, ticket"),
            Ok(BackendList(vec![BackendId::Std, BackendId::Ticket]))
        );
        assert!(parse_backend_list("std,,ticket").is_err());
        assert!(parse_backend_list("std,std").is_err());
        assert!(parse_backend_list("std,nope").is_err());
        assert_eq!(
            parse_thread_list("1,2,4"),
            Ok(ThreadList::Counts(vec![1, 2, 4]))
        );
        assert_eq!(
            parse_thread_list("1..4").unwrap().resolve(2),
            vec![1, 2, 3, 4]
        );
        assert_eq!(parse_thread_list("max").unwrap().resolve(2), vec![1, 2, 4]);
        assert_eq!(
            parse_thread_list("max").unwrap().resolve(16),
            vec![1, 2, 4, 8, 16, 32]
        );
        assert_eq!(parse_thread_list("8,1,8").unwrap().resolve(2), vec![1, 8]);
        assert!(parse_thread_list("").is_err());
        assert!(parse_thread_list("0,1").is_err());
        assert!(parse_thread_list("4..2").is_err());
        assert!(matches!(
            parse_backend("mcs"),
            Err(ConfigError::UnknownBackend { .. })
        ));
    }
}
