//! The seeds' remaining lessons, end to end. So far: reader-writer access (`--workload rw`).

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
