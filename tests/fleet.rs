//! The fleet report end to end: two machines' committed sweeps read as one, and every input
//! that cannot be one.

mod common;

use std::fs;
use std::path::Path;

use common::{lockbench, refused};

const XEON: &str = "reports/2-core-xeon-vm/results.json";
const EPYC: &str = "reports/2-core-epyc-vm/results.json";

fn copy(from: &str, to: &Path) {
    fs::create_dir_all(to.parent().unwrap()).unwrap();
    fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join(from), to).unwrap();
}

#[test]
fn two_machines_read_as_one_fleet() {
    let dir = tempfile::tempdir().unwrap();
    let fleet = dir.path().join("fleet");
    copy(XEON, &fleet.join("xeon.json"));
    copy(EPYC, &fleet.join("epyc").join("results.json"));
    // A file of the folder that is not a results file is passed over.
    fs::write(fleet.join("notes.json"), "{\"note\": 1}").unwrap();
    let out = dir.path().join("report");
    let run = lockbench()
        .arg("report")
        .arg(&fleet)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(stdout.contains("group 1: counter"), "{stdout}");
    assert!(
        stdout.contains("AMD EPYC: pause"),
        "the measured costs: {stdout}"
    );
    let md = fs::read_to_string(out.join("summary.md")).unwrap();
    for needle in [
        "## Group 1",
        "### 2 threads",
        "| machine | its verdict | std |",
        "(1.00×)",
        "core-to-core round trip",
    ] {
        assert!(md.contains(needle), "summary.md lacks {needle:?}:\n{md}");
    }
    let html = fs::read_to_string(out.join("index.html")).unwrap();
    assert!(html.contains("<h3>8 threads</h3>"), "{html}");
    let json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("fleet.json")).unwrap()).unwrap();
    assert_eq!(json["groups"][0]["machines"].as_array().unwrap().len(), 2);
    assert!(json["set_apart"].as_array().unwrap().is_empty());
}

#[test]
fn what_cannot_be_a_fleet_is_one_line_and_status_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    let text = |p: &Path| p.to_str().unwrap().to_string();

    // A folder with one results file: a fleet of one.
    copy(XEON, &path("one").join("results.json"));
    refused(
        &["report", &text(&path("one"))],
        "needs two or more results files",
    );
    // A folder with none.
    fs::create_dir_all(path("empty")).unwrap();
    fs::write(path("empty").join("profile.json"), "{}").unwrap();
    refused(
        &["report", &text(&path("empty"))],
        "holds no lockbench results file",
    );
    // A newer schema than this lockbench reads.
    let xeon = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(XEON)).unwrap();
    let mut newer: serde_json::Value = serde_json::from_str(&xeon).unwrap();
    newer["schema_version"] = 999.into();
    fs::write(path("newer.json"), newer.to_string()).unwrap();
    refused(
        &["report", XEON, &text(&path("newer.json"))],
        "written by a newer lockbench",
    );
    // Truncated.
    fs::write(path("truncated.json"), &xeon[..xeon.len() / 2]).unwrap();
    refused(
        &["report", XEON, &text(&path("truncated.json"))],
        "is truncated",
    );
    // Two workloads, nothing to read beside anything.
    let mut bank: serde_json::Value = serde_json::from_str(&xeon).unwrap();
    bank["settings"]["workload"] = serde_json::json!({"name": "bank", "initial": 200});
    fs::write(path("bank.json"), bank.to_string()).unwrap();
    refused(
        &["report", XEON, &text(&path("bank.json"))],
        "no two of these files measured the same workload",
    );
    refused(
        &["report", XEON, &text(&path("missing.json"))],
        "does not exist",
    );
}

/// `file` as JSON, changed by `edit`, written to `to`.
fn edited(from: &str, to: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let text = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(from)).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    edit(&mut v);
    fs::create_dir_all(to.parent().unwrap()).unwrap();
    fs::write(to, serde_json::to_vec(&v).unwrap()).unwrap();
}

fn fleet_summary(dir: &Path, files: &[&Path]) -> String {
    let out = dir.join("report");
    let run = lockbench()
        .arg("report")
        .args(files)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    fs::read_to_string(out.join("summary.md")).unwrap()
}

#[test]
fn settings_that_change_the_figures_keep_files_apart() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        dir.path().join("a.json"),
        dir.path().join("b.json"),
        dir.path().join("c.json"),
    );
    copy(EPYC, &a);
    // The same sweep timed with --wake-latency, and one with deadlines: not read with it.
    edited(EPYC, &b, |v| v["settings"]["wake_latency"] = true.into());
    edited(EPYC, &c, |v| v["settings"]["timeout_ns"] = 1_000_000.into());
    let run = lockbench()
        .arg("report")
        .args([&a, &b, &c])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("wake-up latency timed"), "{err}");
    assert!(err.contains("time out after 1000000 ns"), "{err}");
}

#[test]
fn one_host_is_one_machine_and_one_lock_wins_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.json"), dir.path().join("b.json"));
    copy(EPYC, &a);
    // A second sweep of the same host that measured std alone.
    edited(EPYC, &b, |v| {
        let points = v["points"].as_array_mut().unwrap();
        points.retain(|p| p["backend"] == "std");
        v["settings"]["backends"] = serde_json::json!(["std"]);
    });
    let md = fleet_summary(dir.path(), &[&a, &b]);
    assert!(
        md.contains("2 files of vm (AMD EPYC): one machine measured more than once"),
        "{md}"
    );
    // The lone std names no winner, and the host counts once: "on 1 of 1 machines" is not said
    // as "every machine (2)".
    assert!(!md.contains("on every machine (2)"), "{md}");
    assert!(md.contains("only std was measured"), "{md}");
}
