//! `--processes`: workers as child processes sharing one mapping. Exact counts for every backend
//! that works across processes, the bank, a worker killed mid-run, and bad input.

mod common;

use std::fs;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{refused, run_json};

const ACROSS: [&str; 8] = [
    "process-shared",
    "pthread-pshared",
    "posix-sem",
    "futex",
    "ticket",
    "spin",
    "atomic",
    "none",
];

#[test]
fn every_process_capable_lock_keeps_every_update() {
    for backend in ACROSS.iter().filter(|b| **b != "none") {
        for processes in ["2", "4"] {
            let (code, r) = run_json(&[
                "--backend",
                backend,
                "--processes",
                processes,
                "--ops",
                "40000",
            ]);
            assert_eq!(code, 0, "{backend} x{processes}: {r}");
            assert_eq!(r["config"]["mode"], "processes");
            assert_eq!(
                r["verification"]["actual"], 40_000,
                "{backend} x{processes}"
            );
            assert_eq!(r["lost_updates"], 0);
            assert_eq!(
                r["threads"].as_array().unwrap().len(),
                processes.parse::<usize>().unwrap()
            );
        }
    }
}

#[test]
fn processes_run_the_dial_timed_and_report_their_cpu() {
    for backend in ["ticket", "process-shared"] {
        let (code, r) = run_json(&[
            "--backend",
            backend,
            "--processes",
            "2",
            "--locks",
            "64",
            "--duration",
            "200ms",
            "--cs-work",
            "100ns",
        ]);
        assert_eq!(code, 0, "{backend}: {r}");
        assert_eq!(r["config"]["locks"], 64);
        assert_eq!(r["verification"]["verdict"], "ok", "{backend}: {r}");
        assert_eq!(r["verification"]["actual"], r["total_ops"]);
        assert!(r["cpu_ns_per_op"].as_f64().is_some(), "{backend}: {r}");
        assert!(
            r["realised_cs_ns"].as_f64().unwrap() >= 100.0,
            "{backend}: {r}"
        );
    }
}

#[test]
fn the_bank_balances_across_processes_and_drifts_without_a_lock() {
    for backend in ["process-shared", "posix-sem", "futex", "ticket"] {
        let (code, r) = run_json(&[
            "--workload",
            "bank",
            "--backend",
            backend,
            "--processes",
            "2",
            "--ops",
            "20000",
        ]);
        assert_eq!(code, 0, "{backend}: {r}");
        assert_eq!(r["verification"]["actual"], 200, "{backend}");
    }
    let drifted = (0..3).any(|_| {
        let (code, r) = run_json(&[
            "--workload",
            "bank",
            "--backend",
            "none",
            "--processes",
            "2",
            "--ops",
            "40000",
            "--cs-work",
            "2us",
        ]);
        assert_eq!(code, 0);
        r["lost_updates"].as_u64().unwrap() > 0
    });
    assert!(
        drifted,
        "two unsynchronised processes kept the balance three times"
    );
}

#[test]
fn processes_and_threads_report_the_same_shape() {
    let (_, t) = run_json(&["--backend", "futex", "--threads", "2", "--ops", "20000"]);
    let (_, p) = run_json(&["--backend", "futex", "--processes", "2", "--ops", "20000"]);
    // The same fields in both modes. (Which are null depends on the run, not the mode: a busy
    // machine may leave either without a contended interval, and so without fairness.)
    let shape =
        |v: &serde_json::Value| -> Vec<String> { v.as_object().unwrap().keys().cloned().collect() };
    assert_eq!(shape(&t), shape(&p));
    assert_eq!(shape(&t["verification"]), shape(&p["verification"]));
    assert_eq!(shape(&t["threads"][0]), shape(&p["threads"][0]));
    assert!(p["latency"]["samples"].as_u64().unwrap() > 0);
}

/// Children of `pid`, from /proc.
fn children_of(pid: u32) -> Vec<u32> {
    let mut kids = Vec::new();
    for entry in fs::read_dir("/proc").unwrap().flatten() {
        let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = fs::read_to_string(format!("/proc/{child}/stat")) else {
            continue;
        };
        // Fields after the command name (which may contain spaces): state, ppid, ...
        let after = &stat[stat.rfind(')').unwrap() + 2..];
        let ppid: u32 = after.split_whitespace().nth(1).unwrap().parse().unwrap();
        if ppid == pid {
            kids.push(child);
        }
    }
    kids
}

fn kill_a_worker_mid_run(backend: &str) -> (Option<i32>, String, Vec<u32>, Duration) {
    let mut parent = std::process::Command::new(env!("CARGO_BIN_EXE_lockbench"))
        .args([
            "run",
            "--backend",
            backend,
            "--processes",
            "2",
            "--ops",
            "10G",
            "--cs-work",
            "20us",
            "--max-time",
            "60s",
            "--quiet",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let workers = loop {
        let kids = children_of(parent.id());
        if kids.len() == 2 || started.elapsed() > Duration::from_secs(20) {
            break kids;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(workers.len(), 2, "the workers did not appear");
    // Long enough for both to be past the start on a loaded machine (the run lasts minutes).
    std::thread::sleep(Duration::from_millis(1000));
    let killed_at = Instant::now();
    // SAFETY: kill(2) with a pid we just read and a signal number has no memory effects.
    assert_eq!(unsafe { libc::kill(workers[1] as i32, libc::SIGKILL) }, 0);
    let status = loop {
        if let Some(s) = parent.try_wait().unwrap() {
            break s;
        }
        assert!(
            killed_at.elapsed() < Duration::from_secs(60),
            "the run hung after a worker died"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(parent.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    (status.code(), stderr, workers, killed_at.elapsed())
}

#[test]
fn a_killed_worker_stops_the_run_and_is_named() {
    // The robust mutex: the survivor gets EOWNERDEAD if the dead one held the lock, and stops.
    let (code, stderr, workers, took) = kill_a_worker_mid_run("process-shared");
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("worker process 1 was killed by signal 9"),
        "{stderr}"
    );
    assert!(stderr.contains("cannot be verified"), "{stderr}");
    assert!(took < Duration::from_secs(15), "took {took:?}");
    for w in workers {
        assert!(
            !std::path::Path::new(&format!("/proc/{w}")).exists(),
            "worker {w} was left behind"
        );
    }
    // A lock that is not robust: the survivor may wait forever for the dead holder; the parent
    // kills it after the grace period, and still says what happened.
    let (code, stderr, workers, _) = kill_a_worker_mid_run("ticket");
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("worker process 1 was killed by signal 9"),
        "{stderr}"
    );
    for w in workers {
        assert!(
            !std::path::Path::new(&format!("/proc/{w}")).exists(),
            "worker {w} was left behind"
        );
    }
}

#[test]
fn bad_process_input() {
    refused(&["run", "--processes", "0"], "--processes");
    refused(&["run", "--processes", "5000"], "4096");
    refused(
        &["run", "--backend", "std", "--processes", "2"],
        "cannot run across processes",
    );
    refused(
        &["run", "--backend", "parking-lot", "--processes", "2"],
        "cannot run across processes",
    );
    refused(
        &["run", "--backend", "pthread", "--processes", "2"],
        "use process-shared",
    );
    refused(
        &["run", "--threads", "2", "--processes", "2"],
        "cannot be used with",
    );
    refused(
        &[
            "run",
            "--workload",
            "bank",
            "--backend",
            "ticket",
            "--processes",
            "3",
        ],
        "even number",
    );
}

/// Workers run the very binary the parent runs: a sweep whose binary file is removed after its
/// first run (as a rebuild replaces it) still starts every later run's workers, from the same
/// build, and finishes.
#[test]
fn workers_run_the_running_binary_even_when_its_file_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let binary = dir.path().join("lockbench-copy");
    fs::copy(env!("CARGO_BIN_EXE_lockbench"), &binary).unwrap();
    let out = dir.path().join("sweep");
    let sweep = std::process::Command::new(&binary)
        .args(["sweep", "--backends", "futex", "--processes", "2"])
        .args([
            "--ops",
            "200000",
            "--repeat",
            "20",
            "--max-time",
            "10s",
            "--quiet",
            "--out",
        ])
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let results = out.join("results.json");
    let started = Instant::now();
    let repetitions = || -> usize {
        fs::read(&results)
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .and_then(|r| r["points"][0]["repetitions"].as_array().map(|a| a.len()))
            .unwrap_or(0)
    };
    while repetitions() == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no run finished"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    fs::remove_file(&binary).unwrap();
    // Bounded like every test here: a sweep that does not finish in two minutes is killed.
    let mut sweep = sweep;
    let status = loop {
        if let Some(status) = sweep.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(120) {
            let _ = sweep.kill();
            panic!("the sweep did not finish in 120 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut sweep.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(status.success(), "{stderr}");
    assert_eq!(repetitions(), 20);
}
