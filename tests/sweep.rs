//! `sweep`, `report` and `compare` end to end: the files, their contents, and bad input.

mod common;

use std::fs;
use std::path::Path;

use common::{lockbench, refused};
use predicates::prelude::*;

/// A small, fast sweep into `dir`.
fn small_sweep(dir: &Path) {
    lockbench()
        .args([
            "sweep",
            "--backends",
            "std,ticket",
            "--threads",
            "1,2",
            "--ops",
            "20000",
            "--repeat",
            "2",
            "--quiet",
            "--out",
        ])
        .arg(dir)
        .assert()
        .success()
        .stdout(predicate::str::is_empty());
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(path).unwrap()).unwrap()
}

#[test]
fn sweep_writes_every_file_with_every_point() {
    let dir = tempfile::tempdir().unwrap();
    small_sweep(dir.path());
    for f in ["results.json", "results.csv", "summary.md", "index.html"] {
        assert!(dir.path().join(f).is_file(), "{f} missing");
    }
    let r = json(&dir.path().join("results.json"));
    assert_eq!(r["kind"], "lockbench-sweep");
    assert_eq!(r["schema_version"], lockbench::model::SCHEMA_VERSION);
    assert_eq!(r["complete"], true);
    assert!(
        r["command"]
            .as_str()
            .unwrap()
            .starts_with("lockbench sweep")
    );
    let points = r["points"].as_array().unwrap();
    let keys: Vec<(String, u64)> = points
        .iter()
        .map(|p| {
            (
                p["backend"].as_str().unwrap().to_string(),
                p["threads"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        keys,
        [
            ("std".into(), 1),
            ("ticket".into(), 1),
            ("std".into(), 2),
            ("ticket".into(), 2)
        ]
    );
    for p in points {
        let rounds: Vec<u64> = p["repetitions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["round"].as_u64().unwrap())
            .collect();
        assert_eq!(rounds, [0, 1]);
        assert_eq!(p["lost_updates"], 0);
        let s = &p["ops_per_sec"];
        assert!(s["min"].as_f64().unwrap() <= s["median"].as_f64().unwrap());
        assert!(s["median"].as_f64().unwrap() <= s["max"].as_f64().unwrap());
        assert!(
            p["latency_histogram"]
                .as_str()
                .unwrap()
                .starts_with("HISTF")
        );
    }
    let csv = fs::read_to_string(dir.path().join("results.csv")).unwrap();
    assert_eq!(csv.lines().count(), 5, "{csv}");
    assert!(csv.starts_with("backend,mode,threads,"));
    let md = fs::read_to_string(dir.path().join("summary.md")).unwrap();
    assert!(md.contains("| ticket | 2 |"), "{md}");
    let html = fs::read_to_string(dir.path().join("index.html")).unwrap();
    assert!(html.matches("<svg").count() >= 4);
    assert!(
        !html.contains("<script"),
        "the report must not need scripts"
    );
    for fetch in ["src=\"http", "href=\"http", "url(http", "@import"] {
        assert!(
            !html.contains(fetch),
            "the report must not reach the network ({fetch})"
        );
    }
    assert!(!html.contains("No chart:"));
}

#[test]
fn report_rebuilds_the_files_and_compare_reads_them() {
    let dir = tempfile::tempdir().unwrap();
    small_sweep(dir.path());
    let again = dir.path().join("again");
    lockbench()
        .arg("report")
        .arg(dir.path().join("results.json"))
        .arg("--out")
        .arg(&again)
        .assert()
        .success();
    // Byte for byte: no figure loses a digit on the way through.
    assert_eq!(
        fs::read_to_string(again.join("results.json")).unwrap(),
        fs::read_to_string(dir.path().join("results.json")).unwrap()
    );
    assert_eq!(
        fs::read_to_string(again.join("summary.md")).unwrap(),
        fs::read_to_string(dir.path().join("summary.md")).unwrap()
    );
    let results = dir.path().join("results.json");
    lockbench()
        .arg("compare")
        .arg(&results)
        .arg(&results)
        .arg("--out")
        .arg(dir.path().join("cmp"))
        .assert()
        .success()
        .stdout(
            // Two repetitions a side are too few for the rank test to call anything.
            predicate::str::contains("same machine and settings")
                .and(predicate::str::contains("too few repetitions: no verdict"))
                .and(predicate::str::contains(
                    "Nothing is clearly faster or slower.",
                ))
                .and(predicate::str::contains("× faster").not()),
        );
    assert!(
        fs::read_to_string(dir.path().join("cmp/compare.html"))
            .unwrap()
            .contains("<table>")
    );
}

#[test]
fn compare_flags_changes_beyond_the_spread() {
    let dir = tempfile::tempdir().unwrap();
    lockbench()
        .args([
            "sweep",
            "--backends",
            "std,ticket",
            "--threads",
            "1",
            "--ops",
            "20000",
        ])
        .args(["--repeat", "3", "--quiet", "--out"])
        .arg(dir.path())
        .assert()
        .success();
    let mut faster = json(&dir.path().join("results.json"));
    for p in faster["points"].as_array_mut().unwrap() {
        for key in ["median", "min", "max"] {
            let v = p["ops_per_sec"][key].as_f64().unwrap();
            p["ops_per_sec"][key] = serde_json::json!(v * 100.0);
        }
        for rep in p["repetitions"].as_array_mut().unwrap() {
            let v = rep["ops_per_sec"].as_f64().unwrap();
            rep["ops_per_sec"] = serde_json::json!(v * 100.0);
        }
    }
    faster["environment"]["hostname"] = serde_json::json!("elsewhere");
    let other = dir.path().join("faster.json");
    fs::write(&other, serde_json::to_vec(&faster).unwrap()).unwrap();
    lockbench()
        .arg("compare")
        .arg(dir.path().join("results.json"))
        .arg(&other)
        .assert()
        .success()
        .stdout(
            // Three repetitions a side, every one of AFTER above every one of BEFORE: 2 of the
            // 20 reassignments of the rounds are as extreme.
            predicate::str::contains("100× faster, beyond the noise (p = 0.100, adjusted)")
                .and(predicate::str::contains(
                    "std is 100× faster at 1 thread, beyond the noise.",
                ))
                .and(predicate::str::contains("100.00x"))
                .and(predicate::str::contains("host:")),
        );
}

#[test]
fn bad_sweep_input_is_refused_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("never");
    let o = out.to_str().unwrap();
    refused(
        &["sweep", "--backends", "std,nope", "--out", o],
        "unknown backend 'nope'",
    );
    refused(&["sweep", "--backends", "", "--out", o], "--backends");
    refused(
        &["sweep", "--backends", "std,,ticket", "--out", o],
        "empty name",
    );
    refused(&["sweep", "--threads", "", "--out", o], "--threads");
    refused(&["sweep", "--threads", "0,2", "--out", o], "--threads");
    refused(&["sweep", "--threads", "8..2", "--out", o], "empty");
    refused(&["sweep", "--repeat", "0", "--out", o], "--repeat");
    refused(
        &["sweep", "--ops", "1", "--threads", "1,2", "--out", o],
        "smaller than --threads",
    );
    assert!(
        !out.exists(),
        "a refused sweep must not create its output directory"
    );
    let file = dir.path().join("a-file");
    fs::write(&file, "x").unwrap();
    let under_file = file.join("sub");
    refused(
        &[
            "sweep",
            "--threads",
            "1",
            "--ops",
            "1000",
            "--out",
            under_file.to_str().unwrap(),
        ],
        "cannot be created",
    );
}

/// A results file of schema version 1 (the committed example, written before sweeps had
/// regimes) is read, migrated and rendered: every point in the one regime it ran, and the files
/// rewritten as the current version.
#[test]
fn a_version_1_file_is_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let old = fs::read_to_string(format!(
        "{}/tests/fixtures/sweep-v1.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    assert!(
        old.contains("\"schema_version\": 1"),
        "the fixture is version 1"
    );
    assert!(!old.contains("\"regimes\""), "and predates regimes");
    let path = dir.path().join("results.json");
    fs::write(&path, old).unwrap();
    lockbench().arg("report").arg(&path).assert().success();
    let r: serde_json::Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(r["schema_version"], lockbench::model::SCHEMA_VERSION);
    let regimes = r["settings"]["regimes"].as_array().unwrap();
    assert_eq!(regimes.len(), 1);
    for p in r["points"].as_array().unwrap() {
        assert_eq!(p["regime"], regimes[0]);
    }
    let page = fs::read_to_string(dir.path().join("index.html")).unwrap();
    assert!(page.contains("id=\"verdict\""));
}

#[test]
fn bad_results_files_are_named_and_explained() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    let missing = dir.path().join("missing.json");
    refused(
        &["report", missing.to_str().unwrap()],
        "missing.json does not exist",
    );
    refused(&["report", &write("empty.json", "")], "empty.json is empty");
    refused(
        &[
            "report",
            &write("cut.json", "{\"kind\": \"lockbench-sweep\", \"points\": ["),
        ],
        "is truncated",
    );
    refused(&["report", &write("text.json", "hello")], "is not JSON");
    // A damaged latency histogram: the point is named, never silently left out of a chart.
    let fixture = fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/sweep-v1.json"
    ))
    .unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&fixture).unwrap();
    let point = v["points"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|p| p["backend"] == "ticket" && p["threads"] == 8)
        .unwrap();
    point["latency_histogram"] = serde_json::json!("SElTRkLOT-not-a-histogram");
    refused(
        &["report", &write("damaged.json", &v.to_string())],
        "latency histogram of ticket with 8 threads is corrupt",
    );
    refused(
        &["report", &write("other.json", "{\"name\": 1}")],
        "is not a lockbench results file",
    );
    refused(
        &[
            "report",
            &write(
                "future.json",
                "{\"kind\": \"lockbench-sweep\", \"schema_version\": 99}",
            ),
        ],
        "schema version 99, written by a newer lockbench; this one reads versions 1 to 2: update lockbench",
    );
    refused(
        &[
            "report",
            &write(
                "ancient.json",
                "{\"kind\": \"lockbench-sweep\", \"schema_version\": 0}",
            ),
        ],
        "schema version 0; this lockbench reads versions 1 to 2: rerun the sweep",
    );
    refused(
        &[
            "report",
            &write("unversioned.json", "{\"kind\": \"lockbench-sweep\"}"),
        ],
        "has no schema_version",
    );
    refused(
        &[
            "report",
            &write(
                "shape.json",
                "{\"kind\": \"lockbench-sweep\", \"schema_version\": 1, \"points\": 3}",
            ),
        ],
        "does not have the shape",
    );
    let run = lockbench()
        .args(["run", "--threads", "1", "--ops", "1000", "--json"])
        .output()
        .unwrap();
    let run_file = dir.path().join("run.json");
    fs::write(&run_file, run.stdout).unwrap();
    refused(
        &["report", run_file.to_str().unwrap()],
        "single `lockbench run` result",
    );
    refused(
        &[
            "compare",
            missing.to_str().unwrap(),
            run_file.to_str().unwrap(),
        ],
        "does not exist",
    );
    // Nothing was written next to any of the bad files.
    for f in ["results.csv", "summary.md", "index.html"] {
        assert!(!dir.path().join(f).exists());
    }
}

#[test]
fn threads_and_processes_stand_side_by_side() {
    let dir = tempfile::tempdir().unwrap();
    lockbench()
        .args([
            "sweep",
            "--backends",
            "std,ticket",
            "--threads",
            "2",
            "--processes",
            "2",
            "--ops",
            "20000",
            "--repeat",
            "1",
            "--out",
        ])
        .arg(dir.path())
        .assert()
        .success()
        .stderr(predicate::str::contains("std run with threads only"));
    let r = json(&dir.path().join("results.json"));
    let series: Vec<(String, String)> = r["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["backend"].as_str().unwrap().to_string(),
                p["mode"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        series,
        [
            ("std".into(), "threads".into()),
            ("ticket".into(), "threads".into()),
            ("ticket".into(), "processes".into())
        ]
    );
    assert!(
        fs::read_to_string(dir.path().join("summary.md"))
            .unwrap()
            .contains("| ticket (processes) | 2 |")
    );
    assert!(
        fs::read_to_string(dir.path().join("results.csv"))
            .unwrap()
            .contains("ticket,processes,2,")
    );
}

/// The verdict ends `sweep`'s output and opens summary.md and index.html; with one repetition
/// a point it names the measured order but gives no verdict on it.
#[test]
fn a_sweep_ends_with_its_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let out = lockbench()
        .args([
            "sweep",
            "--backends",
            "std,ticket,none",
            "--threads",
            "1,2",
            "--ops",
            "20000",
            "--repeat",
            "1",
            "--out",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let verdict = &stdout[stdout.find("Verdict:\n").expect("a verdict")..];
    assert!(verdict.contains("  1 thread: Uncontended: "), "{verdict}");
    assert!(verdict.contains("  2 threads: "), "{verdict}");
    assert!(verdict.contains("no verdict on the order"), "{verdict}");
    assert!(
        !verdict.contains("none"),
        "a baseline is not ranked: {verdict}"
    );
    assert!(
        stdout
            .trim_end()
            .ends_with(&format!("in {}", dir.path().display()))
    );
    let md = fs::read_to_string(dir.path().join("summary.md")).unwrap();
    assert!(md.find("## Verdict").unwrap() < md.find("| backend |").unwrap());
}
