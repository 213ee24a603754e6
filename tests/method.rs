//! The method, end to end: timed runs, CPU cost per operation, the contention dial, busy work
//! in either unit, and the notes that say when a figure should not be trusted.

mod common;

use std::time::{Duration, Instant};

use common::{lockbench, refused, run_json};

#[test]
fn bad_method_input_is_one_line_and_status_2() {
    refused(&["run", "--duration", "0s"], "--duration");
    refused(
        &["run", "--duration", "1s", "--ops", "1000"],
        "cannot be used with",
    );
    refused(&["run", "--duration", "soon"], "--duration");
    refused(&["run", "--locks", "0"], "--locks");
    refused(&["run", "--locks", "2000000"], "1000000");
    refused(&["run", "--locks", "many"], "--locks");
    refused(&["run", "--locks", "1,2"], "lists are for `sweep`");
    refused(&["run", "--cs-work", "1us,2us"], "lists are for `sweep`");
    refused(&["sweep", "--locks", "1,,2"], "empty element");
    refused(&["sweep", "--locks", "2,2"], "appears twice");
    refused(&["sweep", "--cs-work", "1us,"], "empty element");
    refused(&["sweep", "--think", ",5ns"], "empty element");
    refused(&["run", "--work-unit", "furlongs"], "--work-unit");
    refused(
        &["run", "--duration", "2s", "--max-time", "1s"],
        "longer than the warm-up and the duration",
    );
    refused(
        &[
            "run",
            "--duration",
            "1s",
            "--warmup",
            "500ms",
            "--max-time",
            "1200ms",
        ],
        "--max-time",
    );
    refused(
        &["run", "--cs-work", "2s", "--max-time", "1s"],
        "outlast the time limit",
    );
    refused(
        &["run", "--think", "2s", "--max-time", "1s"],
        "invalid --think",
    );
}

#[test]
fn a_timed_run_lasts_its_duration_and_is_verified_exactly() {
    for backend in ["std", "ticket"] {
        let t = Instant::now();
        let (code, r) = run_json(&[
            "--backend",
            backend,
            "--threads",
            "2",
            "--duration",
            "300ms",
            "--warmup",
            "50ms",
        ]);
        let elapsed = t.elapsed();
        assert_eq!(code, 0, "{r}");
        assert_eq!(r["config"]["duration_ms"], 300);
        assert_eq!(r["config"]["warmup_ms"], 50);
        assert_eq!(r["complete"], true);
        assert_eq!(r["stopped_by_time_limit"], false);
        assert_eq!(r["verification"]["verdict"], "ok");
        // The counter against every operation done, as in fixed-work mode.
        assert_eq!(r["verification"]["actual"], r["total_ops"]);
        assert!(r["total_ops"].as_u64().unwrap() > 0);
        // The measured interval is the duration after the warm-up, less any wait for a worker
        // that was late to its CPU: never longer, give or take a chunk.
        let (window, wall) = (
            r["window_ns"].as_u64().unwrap(),
            r["wall_ns"].as_u64().unwrap(),
        );
        if r["interval"] == "contended" {
            assert!(
                (1..400_000_000).contains(&window),
                "{backend}: window {window} ns"
            );
        }
        // Bounded: the whole command, start-up included, well inside three seconds.
        assert!(
            elapsed < Duration::from_millis(3000),
            "{backend}: {elapsed:?}"
        );
        // Short means under 100 ms, or all workers together for under half the measured part.
        let together_long_enough =
            r["interval"] == "contended" && 2 * window >= wall.saturating_sub(50_000_000);
        assert_eq!(r["short_run"], !together_long_enough, "{backend}: {r}");
    }
}

#[test]
fn a_timed_bank_balances() {
    let (code, r) = run_json(&[
        "--backend",
        "parking-lot",
        "--threads",
        "4",
        "--workload",
        "bank",
        "--duration",
        "200ms",
    ]);
    assert_eq!(code, 0, "{r}");
    assert_eq!(r["verification"]["verdict"], "ok");
    let (d, w) = (
        &r["verification"]["deposits"],
        &r["verification"]["withdrawals"],
    );
    assert_eq!(d["expected"], d["actual"]);
    assert_eq!(w["expected"], w["actual"]);
}

#[test]
fn cpu_cost_and_switches_are_reported_per_operation() {
    let (code, r) = run_json(&["--backend", "std", "--threads", "2", "--ops", "200000"]);
    assert_eq!(code, 0, "{r}");
    for field in [
        "cpu_ns_per_op",
        "user_ns_per_op",
        "system_ns_per_op",
        "cpu_utilisation",
        "voluntary_switches_per_kop",
        "involuntary_switches_per_kop",
    ] {
        let v = r[field].as_f64().unwrap_or_else(|| panic!("{field}: {r}"));
        assert!(v >= 0.0 && v.is_finite(), "{field} = {v}");
    }
    let cpu = r["cpu_ns_per_op"].as_f64().unwrap();
    let parts = r["user_ns_per_op"].as_f64().unwrap() + r["system_ns_per_op"].as_f64().unwrap();
    assert!((cpu - parts).abs() < 1e-6 * cpu.max(1.0));
    // Two workers cannot use more than their share of two CPUs (the kernel's accounting is to
    // the tick: a little slack).
    assert!(r["cpu_utilisation"].as_f64().unwrap() <= 1.5, "{r}");
    for w in r["threads"].as_array().unwrap() {
        assert!(w["cpu"]["user_ns"].is_u64(), "{w}");
    }
}

#[test]
fn every_lock_of_the_dial_keeps_every_update() {
    for backend in ["std", "ticket", "none"] {
        for locks in ["2", "64", "100k"] {
            let (code, r) = run_json(&[
                "--backend",
                backend,
                "--threads",
                "2",
                "--ops",
                "100000",
                "--locks",
                locks,
            ]);
            assert_eq!(code, 0, "{backend} --locks {locks}: {r}");
            assert_eq!(r["config"]["locks"], lockbench_count(locks));
            if backend == "none" {
                // Spread over many counters, the unsynchronised race still shows now and then;
                // what matters is that the verdict is the lesson, never a failure.
                assert_ne!(r["verification"]["verdict"], "lost-updates");
            } else {
                assert_eq!(r["verification"]["verdict"], "ok", "{backend} {locks}");
                assert_eq!(r["verification"]["actual"], 100_000);
            }
        }
    }
}

fn lockbench_count(s: &str) -> u64 {
    s.replace('k', "000").parse().unwrap()
}

#[test]
fn a_lock_that_loses_updates_is_caught_on_any_lock_of_the_dial() {
    // Without a lock, two workers on two counters lose updates, and the sum of the counters
    // (each short by its own losses) shows it.
    let (code, r) = run_json(&[
        "--backend",
        "none",
        "--threads",
        "2",
        "--ops",
        "400000",
        "--locks",
        "2",
        "--cs-work",
        "200ns",
    ]);
    assert_eq!(code, 0, "{r}");
    assert_eq!(r["verification"]["verdict"], "lost-updates-expected", "{r}");
    assert!(r["lost_updates"].as_u64().unwrap() > 0);
}

#[test]
fn busy_work_in_time_lasts_what_was_asked() {
    let (code, r) = run_json(&[
        "--backend",
        "std",
        "--threads",
        "1",
        "--ops",
        "20000",
        "--cs-work",
        "2us",
        "--latency",
        "sample=8",
    ]);
    assert_eq!(code, 0, "{r}");
    assert_eq!(r["config"]["work_unit"], "time");
    let realised = r["realised_cs_ns"].as_f64().unwrap();
    // At least the work asked for; the rest is the update, the checks and a clock reading.
    assert!(
        (2_000.0..20_000.0).contains(&realised),
        "realised {realised} ns"
    );
    let (code, r) = run_json(&[
        "--backend",
        "std",
        "--threads",
        "1",
        "--ops",
        "20000",
        "--cs-work",
        "2us",
        "--work-unit",
        "instructions",
    ]);
    assert_eq!(code, 0, "{r}");
    assert_eq!(r["config"]["work_unit"], "instructions");
    assert!(r["environment"]["work_calibration"].is_object());
    assert!(r["realised_cs_ns"].as_f64().unwrap() > 0.0);
}

#[test]
fn an_operation_longer_than_the_time_limit_is_cut_short_by_it() {
    // A timed run of 200 ms whose every operation would work for 3 s: the work loop looks at
    // the stop flag, so the run ends on time, and its counts are still exact.
    let t = Instant::now();
    let out = lockbench()
        .args([
            "run",
            "--backend",
            "ticket",
            "--threads",
            "2",
            "--duration",
            "200ms",
            "--cs-work",
            "3s",
            "--json",
        ])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let elapsed = t.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        elapsed < Duration::from_secs(3),
        "stopped after {elapsed:?}"
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["verification"]["verdict"], "ok", "{r}");
}

#[test]
fn a_short_run_says_so_and_a_sweep_keeps_the_regimes_apart() {
    let (code, r) = run_json(&["--backend", "std", "--threads", "2", "--ops", "20000"]);
    assert_eq!(code, 0);
    assert_eq!(r["short_run"], true, "a run of a few ms is short");
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("s");
    lockbench()
        .args([
            "sweep",
            "--backends",
            "std,spin",
            "--threads",
            "1,2",
            "--repeat",
            "1",
            "--ops",
            "20000",
            "--locks",
            "1,16",
            "--cs-work",
            "0ns,100ns",
            "--quiet",
            "--out",
        ])
        .arg(&dir)
        .timeout(Duration::from_secs(120))
        .assert()
        .success();
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("results.json")).unwrap()).unwrap();
    let regimes = results["settings"]["regimes"].as_array().unwrap();
    assert_eq!(regimes.len(), 4, "{regimes:?}");
    let points = results["points"].as_array().unwrap();
    assert_eq!(points.len(), 4 * 2 * 2);
    for p in points {
        assert_eq!(p["repetitions"].as_array().unwrap().len(), 1);
        assert!(
            p["short_runs"].as_u64().unwrap() >= 1,
            "20,000 ops is short"
        );
    }
    let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(
        html.contains("16 locks, cs-work 100 ns"),
        "each regime has its section"
    );
    assert!(html.contains("CPU time per operation"));
    assert!(
        html.contains("--duration"),
        "the short-run note names the remedy"
    );
    let csv = std::fs::read_to_string(dir.join("results.csv")).unwrap();
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .contains("locks,cs_work_ns,think_ns")
    );
}

#[test]
fn calibrate_sets_the_harness_beside_the_hand_written_loop_under_contention() {
    let out = lockbench()
        .args([
            "calibrate",
            "--rounds",
            "1",
            "--ops",
            "20000",
            "--threads",
            "2",
            "--duration",
            "50ms",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let c: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let contended = &c["contended"];
    assert_eq!(contended["threads"], 2);
    for figure in [
        "reference_pinned",
        "reference_split",
        "reference_checked",
        "harness_pinned",
        "harness_pinned_latency_off",
        "reference_unpinned",
        "harness_unpinned",
    ] {
        let v = contended[figure].as_f64().unwrap_or_default();
        assert!(v > 0.0, "{figure}: {contended}");
    }
}
