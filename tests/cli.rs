//! The command line end to end: outputs, exit statuses, and one clear line for every bad input.

mod common;

use common::{lockbench, refused, run_json};
use predicates::prelude::*;

#[test]
fn bad_input_is_one_line_and_status_2() {
    refused(&["run", "--backend", "nope"], "valid: std, parking-lot");
    refused(&["run", "--threads", "0"], "--threads");
    refused(&["run", "--threads", "5000"], "4096");
    refused(&["run", "--threads", "two"], "--threads");
    refused(&["run", "--threads", "-3"], "cannot be negative");
    refused(&["run", "--processes", "-1"], "cannot be negative");
    refused(&["sweep", "--threads", "1,-2"], "cannot be negative");
    refused(&["run", "--ops", "99999999999999999999999"], "too large");
    refused(&["run", "--ops", "0"], "--ops");
    refused(&["run", "--ops", "-5"], "--ops");
    refused(
        &["run", "--ops", "3", "--threads", "4"],
        "smaller than --threads",
    );
    refused(
        &["run", "--threads", "1", "--pin", "100000"],
        "does not exist",
    );
    refused(&["run", "--pin", "3-1"], "--pin");
    refused(&["run", "--pin", "sideways"], "--pin");
    refused(&["run", "--cs-work", "5"], "unit");
    refused(&["run", "--think", "5 parsecs"], "--think");
    refused(&["run", "--max-time", "0s"], "--max-time");
    refused(&["run", "--max-time", "soon"], "--max-time");
    refused(&["run", "--latency", "sample=0"], "sample=N");
    refused(&["run", "--latency", "sometimes"], "--latency");
    refused(&["run", "--json", "--quiet"], "cannot be used with");
    refused(&["run", "--frobnicate"], "--frobnicate");
    refused(&["calibrate", "--ops", "0"], "--ops");
    refused(&["calibrate", "--duration", "0s"], "at least 10ms");
    refused(&["explode"], "explode");
    refused(
        &[
            "run",
            "--workload",
            "bank",
            "--initial",
            "-5",
            "--threads",
            "2",
        ],
        "--initial",
    );
    refused(
        &[
            "run",
            "--workload",
            "bank",
            "--initial",
            "1000000000000000",
            "--threads",
            "2",
        ],
        "--initial",
    );
    refused(
        &["run", "--workload", "bank", "--threads", "3"],
        "even number of workers",
    );
    refused(
        &[
            "run",
            "--workload",
            "bank",
            "--threads",
            "2",
            "--ops",
            "1001",
        ],
        "even number",
    );
    refused(&["run", "--initial", "5"], "--workload bank");
    refused(&["run", "--workload", "savings"], "--workload");
}

#[test]
fn help_and_version() {
    lockbench()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("run").and(predicate::str::contains("list")));
    lockbench()
        .args(["run", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--max-time").and(predicate::str::contains("--latency")));
    lockbench()
        .arg("--version")
        .assert()
        .success()
        .stdout(predicate::str::starts_with("lockbench "));
}

#[test]
fn list_shows_every_backend_and_its_facts() {
    let names = [
        "std",
        "parking-lot",
        "spin",
        "spin-pure",
        "tas",
        "mcs",
        "mcs-spin",
        "clh",
        "clh-spin",
        "std-rwlock",
        "parking-lot-rwlock",
        "pthread-rwlock",
        "rw-spin",
        "ticket",
        "ticket-spin",
        "spin-rs",
        "spin-rs-ticket",
        "parking-lot-fair",
        "tokio",
        "async-lock",
        "pthread",
        "futex",
        "futex-private",
        "pthread-pshared",
        "process-shared",
        "posix-sem",
        "atomic",
        "none",
    ];
    let out = lockbench()
        .arg("list")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    for name in names {
        assert!(
            text.lines().any(|l| l.starts_with(name)),
            "list lacks {name}:\n{text}"
        );
    }
    let json: serde_json::Value = serde_json::from_slice(
        &lockbench()
            .args(["list", "--json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let listed: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert_eq!(listed, names);
    let ticket = json
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == "ticket")
        .unwrap();
    assert_eq!(ticket["fair"], true);
}

#[test]
fn json_result_carries_the_model() {
    let (code, r) = run_json(&[
        "--backend",
        "std",
        "--threads",
        "2",
        "--ops",
        "100000",
        "--pin",
        "spread",
    ]);
    assert_eq!(code, 0);
    assert_eq!(r["schema_version"], lockbench::model::SCHEMA_VERSION);
    assert_eq!(r["backend"], "std");
    assert_eq!(r["lost_updates"], 0);
    assert_eq!(r["verification"]["expected"], 100_000);
    assert_eq!(r["verification"]["actual"], 100_000);
    assert!(r["ns_per_op"].as_f64().unwrap() > 0.0);
    assert!(r["ops_per_sec"].as_f64().unwrap() > 0.0);
    assert_eq!(r["complete"], true);
    assert_eq!(r["config"]["pin"], "spread");
    let threads = r["threads"].as_array().unwrap();
    assert_eq!(threads.len(), 2);
    let ops: u64 = threads.iter().map(|t| t["ops"].as_u64().unwrap()).sum();
    assert_eq!(ops, 100_000);
    for key in [
        "cpu_model",
        "kernel",
        "rustc",
        "lockbench_version",
        "logical_cpus",
        "allowed_cpus",
        "clock",
        "pause_ns",
    ] {
        assert!(!r["environment"][key].is_null(), "environment lacks {key}");
    }
    assert!(
        r["environment"]["clock"]["ordered_floor_ns"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    assert!(r["environment"]["pause_ns"].as_f64().unwrap() > 0.0);
    let latency = &r["latency"];
    assert!(latency["samples"].as_u64().unwrap() > 0);
    assert!(latency["p50_ns"].as_u64().unwrap() <= latency["p99_ns"].as_u64().unwrap());
    assert!(latency["p99_ns"].as_u64().unwrap() <= latency["max_ns"].as_u64().unwrap());
}

#[test]
fn latency_modes() {
    let (_, full) = run_json(&[
        "--backend",
        "ticket",
        "--threads",
        "1",
        "--ops",
        "5000",
        "--latency",
        "full",
    ]);
    // Every acquisition timed: all 5,000 over the whole run, and exactly those of the contended
    // interval in the figure that stands beside throughput.
    assert_eq!(full["latency_whole_run"]["samples"], 5000);
    assert_eq!(full["latency"]["samples"], full["window_ops"]);
    let (_, sampled) = run_json(&[
        "--backend",
        "ticket",
        "--threads",
        "1",
        "--ops",
        "5000",
        "--latency",
        "sample=100",
    ]);
    // Gaps drawn at random with a mean of 100: about 50 of 5,000 (fewer than 20 or more than
    // 90 is a one-in-a-million draw).
    let timed = sampled["latency_whole_run"]["samples"].as_u64().unwrap();
    assert!((20..=90).contains(&timed), "{timed} timed at sample=100");
    let (_, off) = run_json(&[
        "--backend",
        "ticket",
        "--threads",
        "1",
        "--ops",
        "5000",
        "--latency",
        "off",
    ]);
    assert!(off["latency"].is_null());
}

#[test]
fn table_output_and_quiet() {
    lockbench()
        .args([
            "run",
            "--backend",
            "ticket",
            "--threads",
            "2",
            "--ops",
            "20000",
        ])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("no update lost")
                .and(predicate::str::contains("ops/s"))
                .and(predicate::str::contains("thread")),
        );
    lockbench()
        .args([
            "run",
            "--backend",
            "ticket",
            "--threads",
            "2",
            "--ops",
            "20000",
            "--quiet",
        ])
        .assert()
        .success()
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::is_empty());
}

#[test]
fn oversubscription_is_said_plainly() {
    let cpus = std::thread::available_parallelism().unwrap().get();
    let threads = (cpus * 2).to_string();
    lockbench()
        .args([
            "run",
            "--backend",
            "ticket",
            "--threads",
            &threads,
            "--ops",
            "20000",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("oversubscribed"));
}

#[test]
fn time_limit_stops_the_run_and_says_incomplete() {
    let (code, r) = run_json(&[
        "--backend",
        "std",
        "--threads",
        "2",
        "--ops",
        "100G",
        "--max-time",
        "300ms",
    ]);
    assert_eq!(code, 4);
    assert_eq!(r["complete"], false);
    assert_eq!(r["stopped_by_time_limit"], true);
    // What did run is still verified.
    assert_eq!(r["lost_updates"], 0);
    assert!(r["total_ops"].as_u64().unwrap() > 0);
    assert!(r["total_ops"].as_u64().unwrap() < 100_000_000_000);
    lockbench()
        .args([
            "run",
            "--backend",
            "ticket",
            "--threads",
            "2",
            "--ops",
            "100G",
            "--max-time",
            "200ms",
        ])
        .assert()
        .code(4)
        .stdout(predicate::str::contains("INCOMPLETE"))
        .stderr(predicate::str::contains("incomplete"));
}

#[test]
fn smoke_ticket_eight_threads() {
    lockbench()
        .args([
            "run",
            "--backend",
            "ticket",
            "--threads",
            "8",
            "--ops",
            "100000",
        ])
        .assert()
        .success();
}
