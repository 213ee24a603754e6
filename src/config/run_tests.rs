//! The tests of a run request's validation (`config/run.rs`): what is refused, and why;
//! what is kept.

use super::*;
use crate::config::workload::MAX_INITIAL;
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
        duration: None,
        warmup: None,
        locks: 1,
        noise: 0,
        wake_latency: false,
        cs_work: Duration::ZERO,
        think: Duration::ZERO,
        work_unit: WorkUnit::Time,
        pin: PinPolicy::Compact,
        latency: LatencyMode::DEFAULT,
        max_time: Some(Duration::from_secs(60)),
        timeout: None,
        tasks: None,
        draws: None,
    }
}

#[test]
fn bad_requests_are_refused_with_the_reason() {
    let bank = Workload::Bank { initial: 200 };
    let cases: Vec<(&str, RunRequest, &str)> = vec![
        (
            "a deadline of zero",
            RunRequest {
                backend: "spin",
                timeout: Some(Duration::ZERO),
                ..request()
            },
            "--timeout '0s'",
        ),
        (
            "a deadline on a queue lock",
            RunRequest {
                timeout: Some(Duration::from_millis(1)),
                ..request()
            },
            "'ticket': cannot time out an acquisition: a drawn ticket must be served",
        ),
        (
            "a deadline on std's mutex",
            RunRequest {
                backend: "std",
                timeout: Some(Duration::from_millis(1)),
                ..request()
            },
            "std::sync::Mutex has no timed lock",
        ),
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
                max_time: Some(Duration::ZERO),
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
                backend: "no-such-lock",
                ..request()
            },
            "unknown backend 'no-such-lock'",
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
            max_time: Some(Duration::from_micros(1)),
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
