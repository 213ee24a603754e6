//! Hostile scheduling, end to end: CPU hogs on the workers' CPUs (`--noise`), bounded and
//! recorded as a regime.

mod common;

use std::time::{Duration, Instant};

use common::{refused, run_json, sweep_json};

#[test]
fn noise_runs_beside_the_workers_and_stops_with_the_run() {
    let started = Instant::now();
    let (code, r) = run_json(&[
        "--backend",
        "ticket",
        "--threads",
        "2",
        "--noise",
        "1",
        "--duration",
        "200ms",
    ]);
    assert_eq!(code, 0, "{r}");
    assert_eq!(r["verification"]["verdict"], "ok");
    assert_eq!(r["config"]["noise"], 1);
    // The hogs stop with the run: the command ends well within its own time limit.
    assert!(started.elapsed() < Duration::from_secs(30));
    // No hog is left behind once lockbench has exited.
    let leftover = std::process::Command::new("pgrep")
        .args(["-f", "lockbench-noise"])
        .output();
    if let Ok(out) = leftover {
        assert!(out.stdout.is_empty(), "a hog outlived its run");
    }
}

#[test]
fn a_sweep_takes_noise_as_a_regime_and_reports_wake_ups() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep");
    let args = ["--backends", "std", "--threads", "2", "--noise", "0,1"];
    let timed = ["--duration", "100ms", "--wake-latency"];
    let results = sweep_json(&[&args[..], &timed[..]].concat(), &out);
    let regimes = results["settings"]["regimes"].as_array().unwrap();
    assert_eq!(regimes.len(), 2);
    assert!(regimes[0].get("noise").is_none(), "no noise is not written");
    assert_eq!(regimes[1]["noise"], 1);
    let csv = std::fs::read_to_string(out.join("results.csv")).unwrap();
    assert!(csv.lines().next().unwrap().ends_with(",noise"), "{csv}");
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(md.contains("noise 1 CPU hog"), "{md}");
    // --wake-latency in a sweep: a section of its own, a row per point.
    let section = md
        .split("## Wake-up latency")
        .nth(1)
        .expect("the wake-up section");
    assert_eq!(section.matches("\n| std | 2 |").count(), 2, "{section}");
}

#[test]
fn noise_beyond_the_cpus_is_one_line_and_status_2() {
    refused(&["run", "--noise", "5000"], "at most 4096");
    refused(&["run", "--noise", "many"], "--noise");
    refused(&["run", "--noise", "0,1"], "lists are for `sweep`");
    // Within the bound, beyond the CPUs of any machine this runs on.
    refused(&["run", "--noise", "4096"], "one CPU hog per CPU");
}

#[test]
fn wake_latency_times_the_hand_offs_of_a_sleeping_lock() {
    // Long critical sections: a waiter of a futex lock sleeps, and the release wakes it.
    for workers in [["--threads", "2"], ["--processes", "2"]] {
        let backend = if workers[0] == "--threads" {
            "futex"
        } else {
            "process-shared"
        };
        let (code, r) = run_json(&[
            "--backend",
            backend,
            workers[0],
            workers[1],
            "--duration",
            "300ms",
            "--cs-work",
            "20us",
            "--think",
            "20us",
            "--latency",
            "sample=4",
            "--wake-latency",
        ]);
        assert_eq!(code, 0, "{r}");
        let w = &r["wake_ups"];
        let (handoffs, woken) = (
            w["handoffs"].as_u64().unwrap(),
            w["woken"].as_u64().unwrap(),
        );
        assert!(woken > 0 && woken <= handoffs, "{backend}: {w}");
        let l = &w["latency"];
        assert!(l["p50_ns"].as_u64().unwrap() > 0, "{w}");
        assert!(l["p50_ns"].as_u64() <= l["max_ns"].as_u64(), "{w}");
        assert!(w["histogram"].is_string());
    }
    // Without the flag, nothing is stamped or said.
    let (_, r) = run_json(&["--backend", "futex", "--threads", "2", "--ops", "1000"]);
    assert!(r.get("wake_ups").is_none());
}

#[test]
fn wake_latency_where_it_cannot_time_is_one_line_and_status_2() {
    refused(
        &["run", "--wake-latency", "--workload", "rw"],
        "counter and bank workloads only",
    );
    refused(
        &["run", "--wake-latency", "--tasks", "4"],
        "threads and processes only",
    );
    refused(
        &["run", "--wake-latency", "--latency", "off"],
        "--latency off times none",
    );
}

/// `lockbench inversion ARGS` (bounded by the helper's timeout).
fn inversion(wrapper: &[&str], args: &[&str]) -> std::process::Output {
    let mut cmd = if wrapper.is_empty() {
        std::process::Command::new(env!("CARGO_BIN_EXE_lockbench"))
    } else {
        let mut c = std::process::Command::new(wrapper[0]);
        c.args(&wrapper[1..]).arg(env!("CARGO_BIN_EXE_lockbench"));
        c
    };
    cmd.arg("inversion").args(args);
    assert_cmd::Command::from_std(cmd)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap()
}

#[test]
fn priority_inheritance_keeps_the_middle_out_of_the_waiters_wait() {
    let out = inversion(
        &[],
        &[
            "--rounds", "3", "--hold", "1ms", "--middle", "20ms", "--json",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.code() == Some(1) {
        // A machine where this process may not use SCHED_FIFO: refused with the reason.
        assert!(stderr.contains("needs real-time scheduling"), "{stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        return;
    }
    assert!(out.status.success(), "{stderr}");
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let runs = r["runs"].as_array().unwrap();
    let longest = |inherit: bool| {
        runs.iter().find(|x| x["inherit"] == inherit).unwrap()["max_ns"]
            .as_u64()
            .unwrap()
    };
    // Without inheritance the waiter waits for the middle's 20 ms at least; with it, for the
    // rest of the 1 ms hold, and never for the middle.
    assert!(longest(false) >= 20_000_000, "{r}");
    assert!(longest(true) < 20_000_000, "{r}");
    assert_eq!(runs[0]["waits_ns"].as_array().unwrap().len(), 3);
}

#[test]
fn inversion_without_the_rights_or_within_bounds_is_refused_in_one_line() {
    // Without CAP_SYS_NICE and with no real-time priority allowed, where the tools exist.
    let tools = ["prlimit", "setpriv"].iter().all(|t| {
        std::process::Command::new(t)
            .arg("--version")
            .output()
            .is_ok()
    });
    if tools {
        let out = inversion(
            &[
                "prlimit",
                "--rtprio=0",
                "setpriv",
                "--bounding-set=-sys_nice",
                "--inh-caps=-sys_nice",
            ],
            &["--rounds", "1"],
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.starts_with("error: priority inversion needs real-time"),
            "{stderr}"
        );
        assert!(stderr.contains("CAP_SYS_NICE"), "{stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        assert!(out.stdout.is_empty());
    }
    refused(
        &["inversion", "--rounds", "100", "--middle", "100ms"],
        "at most 5s",
    );
    refused(&["inversion", "--cpu", "100000"], "--cpu");
    refused(&["inversion", "--hold", "0s"], "must both last");
}
