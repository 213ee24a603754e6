//! The seeds' remaining lessons, end to end: reader-writer access (`--workload rw`), acquire
//! with a timeout (`--timeout`), lock ordering and deadlock (`--workload transfer`), and async
//! tasks (`--tasks`).

mod common;

use common::{lockbench, refused, run_json};

#[test]
fn bad_rw_input_is_one_line_and_status_2() {
    refused(&["run", "--workload", "rw", "--reads", "101"], "--reads");
    refused(&["run", "--workload", "rw", "--reads", "most"], "--reads");
    refused(
        &["run", "--reads", "50"],
        "a share of reads belongs to --workload rw",
    );
    refused(
        &["run", "--workload", "bank", "--reads", "50"],
        "a share of reads belongs to --workload rw",
    );
    refused(
        &["run", "--workload", "rw", "--initial", "5"],
        "a starting balance belongs to --workload bank",
    );
    refused(
        &[
            "run",
            "--workload",
            "rw",
            "--backend",
            "std-rwlock",
            "--processes",
            "2",
        ],
        "std-rwlock",
    );
}

/// Every reader-writer lock, and mutexes (which take themselves exclusively for reads), keep
/// readers from ever seeing a write half done, and count every write.
#[test]
fn locks_keep_readers_from_torn_writes() {
    for backend in [
        "rw-spin",
        "std-rwlock",
        "parking-lot-rwlock",
        "pthread-rwlock",
        "std",
        "ticket",
    ] {
        let (code, r) = run_json(&[
            "--backend",
            backend,
            "--threads",
            "2",
            "--workload",
            "rw",
            "--reads",
            "80",
            "--cs-work",
            "100ns",
            "--duration",
            "200ms",
        ]);
        assert_eq!(code, 0, "{backend}: {r}");
        let rw = &r["read_write"];
        assert_eq!(rw["torn_reads"], 0, "{backend}");
        assert_eq!(r["exclusion_violations"], 0, "{backend}");
        let v = &r["verification"];
        assert_eq!(v["verdict"], "ok", "{backend}");
        let (reads, writes) = (
            rw["reads"].as_u64().unwrap(),
            rw["writes"].as_u64().unwrap(),
        );
        assert_eq!(v["actual"].as_u64().unwrap(), writes, "{backend}");
        assert_eq!(reads + writes, r["total_ops"].as_u64().unwrap());
        let share = reads as f64 / (reads + writes) as f64;
        assert!((0.75..0.85).contains(&share), "{backend}: {share}");
        assert!(rw["read_latency"]["p50_ns"].as_u64().is_some(), "{backend}");
        assert!(
            rw["write_latency"]["p50_ns"].as_u64().is_some(),
            "{backend}"
        );
    }
}

/// Without a lock, readers see writes half done: the lesson, not a failure (exit 0).
#[test]
fn without_a_lock_readers_see_torn_writes() {
    let (code, r) = run_json(&[
        "--backend",
        "none",
        "--threads",
        "2",
        "--workload",
        "rw",
        "--reads",
        "50",
        "--cs-work",
        "1us",
        "--duration",
        "300ms",
    ]);
    assert_eq!(code, 0, "{r}");
    assert!(r["read_write"]["torn_reads"].as_u64().unwrap() > 0, "{r}");
    assert_ne!(r["verification"]["verdict"], "torn-reads");
}

/// Our reader-writer lock works across processes, in the shared mapping.
#[test]
fn rw_spin_excludes_across_processes() {
    let (code, r) = run_json(&[
        "--backend",
        "rw-spin",
        "--processes",
        "2",
        "--workload",
        "rw",
        "--cs-work",
        "100ns",
        "--ops",
        "100000",
    ]);
    assert_eq!(code, 0, "{r}");
    assert_eq!(r["read_write"]["torn_reads"], 0);
    assert_eq!(r["verification"]["verdict"], "ok");
}

/// A sweep of the rw workload keeps reads and writes apart in every file.
#[test]
fn a_rw_sweep_shows_reads_and_writes() {
    let dir = tempfile::tempdir().unwrap();
    lockbench()
        .args([
            "sweep",
            "--workload",
            "rw",
            "--backends",
            "rw-spin,std",
            "--threads",
            "1,2",
            "--ops",
            "50000",
            "--repeat",
            "1",
            "--quiet",
            "--out",
        ])
        .arg(dir.path())
        .assert()
        .success();
    let csv = std::fs::read_to_string(dir.path().join("results.csv")).unwrap();
    assert!(csv.lines().next().unwrap().contains("reads_per_sec_median"));
    let page = std::fs::read_to_string(dir.path().join("index.html")).unwrap();
    assert!(page.contains("Reads per second"));
    assert!(page.contains("Writes per second"));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("results.json")).unwrap())
            .unwrap();
    for p in json["points"].as_array().unwrap() {
        assert!(p["reads_per_sec"]["median"].as_f64().unwrap() > 0.0);
        assert_eq!(p["torn_reads"], 0);
    }
}

#[test]
fn bad_timeout_input_is_one_line_and_status_2() {
    refused(
        &["run", "--backend", "spin", "--timeout", "0s"],
        "--timeout '0s'",
    );
    refused(
        &["run", "--backend", "spin", "--timeout", "soon"],
        "--timeout",
    );
    for (backend, why) in [
        ("ticket", "a drawn ticket must be served"),
        ("mcs", "MCS-TO"),
        ("std", "std::sync::Mutex has no timed lock"),
        ("rw-spin", "WRITER_WAITING"),
        ("atomic", "never waits"),
    ] {
        refused(&["run", "--backend", backend, "--timeout", "1ms"], why);
    }
    refused(
        &["sweep", "--backends", "spin,ticket", "--timeout", "1ms"],
        "'ticket': cannot time out",
    );
}

/// With a deadline far shorter than the critical section, waiters give up: the timeouts are
/// counted, did no update, and the counter equals the acquisitions that succeeded.
#[test]
fn timed_out_acquisitions_are_counted_and_do_not_update() {
    for (backend, mode) in [
        ("spin", "--threads"),
        ("parking-lot", "--threads"),
        ("pthread", "--threads"),
        ("parking-lot-rwlock", "--threads"),
        ("process-shared", "--processes"),
        ("posix-sem", "--processes"),
    ] {
        let (code, r) = run_json(&[
            "--backend",
            backend,
            mode,
            "2",
            "--ops",
            "2000",
            "--cs-work",
            "100us",
            "--timeout",
            "1us",
            "--latency",
            "full",
        ]);
        assert_eq!(code, 0, "{backend}: {r}");
        let timeouts = r["timeouts"].as_u64().unwrap();
        // Every wait is timed: each give-up too, and none came before the deadline.
        let give_ups = &r["give_ups"];
        assert_eq!(
            give_ups["samples"].as_u64(),
            Some(timeouts),
            "{backend}: {r}"
        );
        assert!(
            give_ups["min_ns"].as_u64().unwrap() >= 1000,
            "{backend}: a give-up before the 1us deadline: {give_ups}"
        );
        assert!(give_ups["p50_ns"].as_u64().unwrap() <= give_ups["max_ns"].as_u64().unwrap());
        assert_eq!(give_ups["per_transfer"], false);
        let ops = r["total_ops"].as_u64().unwrap();
        assert!(
            timeouts > 0,
            "{backend}: a 1us deadline against 100us holds: {r}"
        );
        assert_eq!(
            ops + timeouts,
            2000,
            "{backend}: every attempt is one or the other"
        );
        assert_eq!(r["verification"]["actual"].as_i64().unwrap(), ops as i64);
        assert_eq!(r["verification"]["verdict"], "ok");
        assert_eq!(r["config"]["timeout_ns"], 1000);
        let share = r["timeout_share"].as_f64().unwrap();
        assert!((share - timeouts as f64 / 2000.0).abs() < 1e-9);
        let by_worker: u64 = r["threads"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["timeouts"].as_u64().unwrap_or(0))
            .sum();
        assert_eq!(by_worker, timeouts);
    }
    // A rw run's reads time out too, and only the writes that acquired are counted.
    let (code, r) = run_json(&[
        "--backend",
        "pthread-rwlock",
        "--threads",
        "2",
        "--workload",
        "rw",
        "--reads",
        "50",
        "--ops",
        "2000",
        "--cs-work",
        "100us",
        "--timeout",
        "1us",
    ]);
    assert_eq!(code, 0, "{r}");
    assert!(r["timeouts"].as_u64().unwrap() > 0, "{r}");
    assert_eq!(r["verification"]["verdict"], "ok", "{r}");
}

#[test]
fn bad_transfer_input_is_one_line_and_status_2() {
    refused(
        &["run", "--workload", "transfer", "--accounts", "1"],
        "--accounts '1'",
    );
    refused(
        &["run", "--workload", "transfer", "--accounts", "2000000"],
        "from 2 to 1000000",
    );
    refused(
        &["run", "--workload", "transfer", "--order", "sideways"],
        "--order",
    );
    refused(
        &["run", "--accounts", "4"],
        "accounts belong to --workload transfer",
    );
    refused(
        &["run", "--workload", "rw", "--order", "naive"],
        "a lock order belongs to --workload transfer",
    );
    refused(
        &["run", "--workload", "transfer", "--locks", "8"],
        "give --accounts 8",
    );
}

/// Taken in one global order, the two locks of a transfer never deadlock, and every account
/// update is counted (the balances sum to zero), under every kind of lock, in threads and in
/// processes.
#[test]
fn ordered_transfers_keep_every_unit() {
    for (backend, mode, accounts) in [
        ("std", "--threads", "2"),
        ("ticket", "--threads", "4"),
        ("mcs", "--threads", "2"),
        ("spin", "--threads", "16"),
        ("process-shared", "--processes", "2"),
        ("futex", "--processes", "4"),
    ] {
        let (code, r) = run_json(&[
            "--backend",
            backend,
            mode,
            "4",
            "--workload",
            "transfer",
            "--accounts",
            accounts,
            "--ops",
            "40k",
        ]);
        assert_eq!(code, 0, "{backend}: {r}");
        assert_eq!(r["verification"]["verdict"], "ok", "{backend}");
        assert_eq!(r["verification"]["expected"], 80_000, "{backend}");
        assert_eq!(r["verification"]["actual"], 80_000, "{backend}");
        assert_eq!(r["config"]["workload"]["order"], "ordered");
        assert_eq!(r["config"]["locks"].as_u64(), accounts.parse().ok());
    }
    // Without a lock, transfers lose account updates: the lesson, exit 0.
    let (code, r) = run_json(&[
        "--backend",
        "none",
        "--threads",
        "2",
        "--workload",
        "transfer",
        "--cs-work",
        "200ns",
        "--ops",
        "200k",
    ]);
    assert_eq!(code, 0, "{r}");
    assert_eq!(r["verification"]["verdict"], "lost-updates-expected", "{r}");
}

/// The naive order deadlocks; lockbench finds the cycle, says who holds what and waits for
/// what, stops, and exits with status 5, for threads (left blocked) and processes (killed).
#[test]
fn a_naive_transfer_deadlocks_and_is_reported() {
    for (backend, mode) in [("std", "--threads"), ("process-shared", "--processes")] {
        let started = std::time::Instant::now();
        let out = lockbench()
            .args([
                "run",
                "--backend",
                backend,
                mode,
                "2",
                "--workload",
                "transfer",
                "--order",
                "naive",
                "--cs-work",
                "1us",
                "--duration",
                "20s",
                // No warning about a busy machine before the error (the other tests run too).
                "--quiet",
            ])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(5), "{backend}: {stderr}");
        assert!(out.stdout.is_empty());
        let line = stderr.trim_end();
        assert_eq!(line.lines().count(), 1, "{line}");
        assert!(line.starts_with("error: deadlock "), "{line}");
        for needle in [
            "holds account 0 and waits for account 1",
            "holds account 1 and waits for account 0",
            "No worker moved for 500ms",
        ] {
            assert!(line.contains(needle), "{backend}: {needle} in {line}");
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(15),
            "found long before the run's end"
        );
    }
}

/// A deadlock that forms before a short timed run ends is still found once the run has been
/// asked to stop (its workers cannot see the stop): exit 5 within about a second, not "did
/// not stop" after the grace period.
#[test]
fn a_deadlock_at_the_end_of_a_timed_run_is_reported_at_once() {
    let started = std::time::Instant::now();
    let out = lockbench()
        .args([
            "run",
            "--backend",
            "std",
            "--threads",
            "2",
            "--workload",
            "transfer",
            "--order",
            "naive",
            "--cs-work",
            "1us",
            "--duration",
            "300ms",
            "--quiet",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    assert!(stderr.starts_with("error: deadlock "), "{stderr}");
    assert!(
        took < std::time::Duration::from_millis(2500),
        "reported after {took:?}"
    );
}

/// With a deadline of a second, the naive order's cycles of waits end in give-ups: the run
/// ends as timed, its give-ups counted, and is not called deadlocked while its waiters can
/// still give up (the watch's stall outlasts the deadline).
#[test]
fn naive_transfers_with_a_deadline_give_up_and_are_not_called_deadlocked() {
    let (code, r) = run_json(&[
        "--backend",
        "parking-lot",
        "--threads",
        "2",
        "--workload",
        "transfer",
        "--order",
        "naive",
        "--cs-work",
        "1us",
        "--timeout",
        "1s",
        "--duration",
        "2s",
    ]);
    assert_eq!(code, 0, "{r}");
    assert!(
        r["timeouts"].as_u64().unwrap() > 0,
        "a cycle formed and gave up: {r}"
    );
    assert_eq!(r["verification"]["verdict"], "ok", "{r}");
}

#[test]
fn bad_tasks_input_is_one_line_and_status_2() {
    refused(&["run", "--tasks", "0"], "--tasks '0'");
    refused(&["run", "--tasks", "-3"], "--tasks");
    refused(
        &[
            "run",
            "--tasks",
            "4",
            "--processes",
            "2",
            "--backend",
            "spin",
        ],
        "not --processes",
    );
    refused(
        &["run", "--tasks", "4", "--workload", "rw"],
        "tasks run the counter and bank workloads",
    );
    refused(
        &[
            "run",
            "--tasks",
            "4",
            "--backend",
            "spin",
            "--timeout",
            "1ms",
        ],
        "not --tasks",
    );
    refused(
        &["run", "--backend", "tokio", "--processes", "2"],
        "cannot run across processes",
    );
}

/// Tasks on a runtime of two threads, under the async mutexes (which await) and under
/// blocking locks held with no await inside: every update counted, figures per task.
#[test]
fn tasks_keep_every_update_and_are_reported_per_task() {
    for backend in ["tokio", "async-lock", "std", "spin", "ticket"] {
        let (code, r) = run_json(&[
            "--backend",
            backend,
            "--tasks",
            "8",
            "--threads",
            "2",
            "--ops",
            "40k",
        ]);
        assert_eq!(code, 0, "{backend}: {r}");
        assert_eq!(r["verification"]["verdict"], "ok", "{backend}");
        assert_eq!(r["verification"]["actual"], 40_000, "{backend}");
        assert_eq!(r["config"]["mode"], "tasks");
        assert_eq!(r["config"]["threads"], 8);
        assert_eq!(r["config"]["runtime_threads"], 2);
        assert_eq!(
            r["threads"].as_array().unwrap().len(),
            8,
            "one record per task"
        );
    }
    // Several locks, the bank, and 64 tasks on one thread.
    let (code, r) = run_json(&[
        "--backend",
        "tokio",
        "--tasks",
        "64",
        "--threads",
        "1",
        "--workload",
        "bank",
        "--locks",
        "4",
        "--ops",
        "64k",
    ]);
    assert_eq!(code, 0, "{r}");
    assert_eq!(r["verification"]["verdict"], "ok", "{r}");
    // Tasks on two threads race like threads do: without a lock, updates are lost.
    let (code, r) = run_json(&[
        "--backend",
        "none",
        "--tasks",
        "4",
        "--threads",
        "2",
        "--cs-work",
        "200ns",
        "--ops",
        "200k",
    ]);
    assert_eq!(code, 0, "{r}");
    assert_eq!(r["verification"]["verdict"], "lost-updates-expected", "{r}");
}
