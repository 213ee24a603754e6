//! The validated run: every check a single run's request must pass before any worker starts.

use std::time::Duration;

use super::parse::{MAX_THREADS, WorkloadChoice};
use crate::error::UsageError;
use crate::model::{LatencyMode, PinPolicy, RunConfig, WorkerMode, Workload};
use crate::registry;
use crate::runner::affinity::Topology;

/// The bank's starting balance when `--initial` is not given.
pub const DEFAULT_INITIAL: i64 = 200;

/// Largest `--initial` balance accepted.
pub const MAX_INITIAL: i64 = 1_000_000_000_000;

/// What `lockbench run` asked for, before validation.
#[derive(Clone, Debug)]
pub struct RunRequest {
    /// Backend to measure.
    pub backend: &'static str,
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
    if mode == WorkerMode::Processes {
        if let Some(why) = entry.facts().not_across_processes {
            return Err(UsageError::invalid(
                "--backend",
                entry.name(),
                format!("cannot run across processes: {why} (see `lockbench list`)"),
            ));
        }
    }
    if req.ops == 0 {
        return Err(UsageError::invalid(
            "--ops",
            "0",
            "at least one operation is needed",
        ));
    }
    if req.ops < threads as u64 {
        return Err(UsageError::TooFewOps {
            ops: req.ops,
            threads,
        });
    }
    if let Workload::Bank { initial } = req.workload {
        if !(0..=MAX_INITIAL).contains(&initial) {
            return Err(UsageError::invalid(
                "--initial",
                initial,
                format!("the starting balance must be from 0 to {MAX_INITIAL}"),
            ));
        }
        if threads % 2 == 1 {
            return Err(UsageError::invalid(
                "--threads",
                threads,
                "the bank workload pairs a depositor with a withdrawer: use an even number of workers",
            ));
        }
        if req.ops % 2 == 1 {
            return Err(UsageError::invalid(
                "--ops",
                req.ops,
                "the bank workload makes as many deposits as withdrawals: use an even number",
            ));
        }
        let most = 2 * crate::workload::bank::MAX_PER_SIDE;
        if req.ops > most {
            return Err(UsageError::invalid(
                "--ops",
                req.ops,
                format!("the bank counts each side in 32 bits: at most {most} operations"),
            ));
        }
    }
    if req.max_time.is_zero() {
        return Err(UsageError::invalid(
            "--max-time",
            "0s",
            "the time limit must be longer than zero",
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
        workers: threads,
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

/// The workload `--workload` and `--initial` name.
pub fn workload(choice: WorkloadChoice, initial: Option<i64>) -> Result<Workload, UsageError> {
    match (choice, initial) {
        (WorkloadChoice::Counter, None) => Ok(Workload::Counter),
        (WorkloadChoice::Counter, Some(initial)) => Err(UsageError::invalid(
            "--initial",
            initial,
            "a starting balance belongs to --workload bank",
        )),
        (WorkloadChoice::Bank, initial) => Ok(Workload::Bank {
            initial: initial.unwrap_or(DEFAULT_INITIAL),
        }),
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
            backend: "ticket",
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
    fn bad_requests_are_refused_with_the_reason() {
        let bank = Workload::Bank { initial: 200 };
        let cases: Vec<(&str, RunRequest, &str)> = vec![
            (
                "zero threads",
                RunRequest {
                    threads: Some(0),
                    ..request()
                },
                "must be from 1 to 4096",
            ),
            (
                "too many threads",
                RunRequest {
                    threads: Some(4097),
                    ..request()
                },
                "must be from 1 to 4096",
            ),
            (
                "zero processes",
                RunRequest {
                    threads: None,
                    processes: Some(0),
                    ..request()
                },
                "--processes '0'",
            ),
            (
                "both modes",
                RunRequest {
                    processes: Some(2),
                    ..request()
                },
                "not both",
            ),
            (
                "no operations",
                RunRequest {
                    ops: 0,
                    ..request()
                },
                "at least one operation",
            ),
            (
                "fewer ops than threads",
                RunRequest {
                    ops: 3,
                    ..request()
                },
                "smaller than --threads 8",
            ),
            (
                "no time",
                RunRequest {
                    max_time: Duration::ZERO,
                    ..request()
                },
                "longer than zero",
            ),
            (
                "empty CPU list",
                RunRequest {
                    pin: PinPolicy::List(vec![]),
                    ..request()
                },
                "CPU list is empty",
            ),
            (
                "absent CPU",
                RunRequest {
                    pin: PinPolicy::List(vec![0, 9]),
                    ..request()
                },
                "CPU 9",
            ),
            (
                "odd bank",
                RunRequest {
                    threads: Some(3),
                    workload: bank,
                    ..request()
                },
                "even number of workers",
            ),
            (
                "odd bank ops",
                RunRequest {
                    threads: Some(2),
                    ops: 11,
                    workload: bank,
                    ..request()
                },
                "as many deposits as withdrawals",
            ),
            (
                "negative balance",
                RunRequest {
                    threads: Some(2),
                    workload: Workload::Bank { initial: -1 },
                    ..request()
                },
                "starting balance",
            ),
            (
                "absurd balance",
                RunRequest {
                    threads: Some(2),
                    workload: Workload::Bank {
                        initial: MAX_INITIAL + 1,
                    },
                    ..request()
                },
                "starting balance",
            ),
            (
                "unknown backend",
                RunRequest {
                    backend: "mcs",
                    ..request()
                },
                "unknown backend 'mcs'",
            ),
        ];
        for (case, req, needle) in cases {
            let err = validate(req, &topo(2)).expect_err(case).to_string();
            assert!(err.contains(needle), "{case}: {err:?} lacks {needle:?}");
        }
    }

    #[test]
    fn processes_need_a_backend_that_works_across_them() {
        let procs = |backend| RunRequest {
            backend,
            threads: None,
            processes: Some(2),
            ..request()
        };
        let cfg = validate(procs("ticket"), &topo(2)).unwrap();
        assert_eq!((cfg.mode, cfg.workers), (WorkerMode::Processes, 2));
        for b in ["std", "parking-lot", "pthread"] {
            let err = validate(procs(b), &topo(2)).unwrap_err().to_string();
            assert!(err.contains("cannot run across processes"), "{err}");
        }
    }

    #[test]
    fn good_requests_keep_what_was_asked() {
        let cfg = validate(
            RunRequest {
                threads: None,
                cs_work: Duration::from_nanos(200),
                max_time: Duration::from_micros(1),
                ..request()
            },
            &topo(3),
        )
        .unwrap();
        assert_eq!(cfg.workers, 3, "threads default to the allowed CPUs");
        assert_eq!(
            (cfg.backend.as_str(), cfg.mode),
            ("ticket", WorkerMode::Threads)
        );
        assert_eq!((cfg.cs_work_ns, cfg.max_time_ms), (200, 1));
        let bank = validate(
            RunRequest {
                threads: Some(4),
                ops: 14,
                workload: Workload::Bank { initial: 200 },
                ..request()
            },
            &topo(2),
        )
        .unwrap();
        assert_eq!(bank.workload, Workload::Bank { initial: 200 });
    }
}
