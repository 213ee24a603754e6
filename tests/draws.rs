//! Work drawn per operation (`--draw-work`): lengths that follow a distribution, in threads
//! and processes, in a sweep, and the files that cannot be drawn from.

mod common;

use common::{refused, run_json, sweep_json};

/// A draws file in a temporary folder.
fn draws_file(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

/// Critical sections of 1 µs half the time and 1 to 9 µs the other half: a mean of 3 µs, which
/// neither end of the distribution gives. No think time.
const SKEWED: &str = r#"{"cs_ns": [1000, 1000, 9000], "think_ns": [0, 0]}"#;

#[test]
fn drawn_critical_sections_last_as_the_distribution_says() {
    let dir = tempfile::tempdir().unwrap();
    let file = draws_file(&dir, "skewed.json", SKEWED);
    for workers in [["--threads", "1"], ["--processes", "2"]] {
        let (code, r) = run_json(&[
            "--backend",
            "ticket",
            workers[0],
            workers[1],
            "--ops",
            "20000",
            "--latency",
            "full",
            "--draw-work",
            &file,
        ]);
        assert_eq!(code, 0, "{r}");
        assert_eq!(r["verification"]["verdict"], "ok", "{r}");
        assert_eq!(r["config"]["cs_work_ns"], 3000, "the regime names the mean");
        assert_eq!(r["config"]["draws"]["cs_ns"][2], 9000);
        // Every worker drew: one without the draws would do no work at all, one that drew
        // only the least would give about 1 µs, only the largest 9 µs. (The upper bound is
        // loose: a holder preempted on a busy machine lengthens the realised sections.)
        let realised = r["realised_cs_ns"]
            .as_f64()
            .expect("realised critical section");
        assert!(
            (2500.0..9000.0).contains(&realised),
            "{workers:?}: realised critical section {realised} ns, drawn mean 3000 ns"
        );
    }
}

#[test]
fn a_sweep_draws_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let file = draws_file(&dir, "skewed.json", SKEWED);
    let out = dir.path().join("sweep");
    let args = ["--backends", "std", "--threads", "1,2", "--ops", "5000"];
    let results = sweep_json(&[&args[..], &["--draw-work", &file]].concat(), &out);
    assert_eq!(results["settings"]["regimes"][0]["drawn"], true);
    assert_eq!(results["settings"]["draws"]["cs_ns"][0], 1000);
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(summary.contains("drawn per operation"), "{summary}");
}

#[test]
fn files_that_cannot_be_drawn_from_are_one_line_and_status_2() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "order.json",
            r#"{"cs_ns": [5, 3], "think_ns": [0, 0]}"#,
            "not in order",
        ),
        (
            "short.json",
            r#"{"cs_ns": [5], "think_ns": [0, 0]}"#,
            "needs 2 to 4097",
        ),
        (
            "long.json",
            r#"{"cs_ns": [0, 2000000000], "think_ns": [0, 0]}"#,
            "beyond the 1 s",
        ),
        ("shape.json", r#"{"cs": [1, 2]}"#, "is not a draws file"),
        ("text.json", "quantiles", "is not a draws file"),
    ];
    for (name, text, needle) in cases {
        let file = draws_file(&dir, name, text);
        refused(&["run", "--draw-work", &file], needle);
    }
    let missing = dir.path().join("missing.json");
    refused(
        &["run", "--draw-work", missing.to_str().unwrap()],
        "cannot be read",
    );
    let file = draws_file(&dir, "ok.json", SKEWED);
    refused(
        &["run", "--draw-work", &file, "--cs-work", "1us"],
        "cannot be used with",
    );
    let slow = draws_file(
        &dir,
        "slow.json",
        r#"{"cs_ns": [0, 900000000], "think_ns": [0, 900000000]}"#,
    );
    refused(
        &["run", "--draw-work", &slow, "--max-time", "1s"],
        "would outlast the time limit",
    );
}
