//! lockbench as a library: `examples/custom_lock.rs` registers a lock of its own and a broken
//! one, and gets the whole command line for them (cargo builds the examples before the tests).

use std::path::PathBuf;
use std::time::Duration;

use assert_cmd::Command;

/// The example's binary, beside this test's in the target directory.
fn custom_lock() -> Command {
    let mut dir: PathBuf = std::env::current_exe().unwrap();
    dir.pop(); // the test binary
    if dir.ends_with("deps") {
        dir.pop();
    }
    let mut cmd = Command::new(dir.join("examples").join("custom_lock"));
    cmd.timeout(Duration::from_secs(120));
    cmd
}

fn run(args: &[&str]) -> (i32, serde_json::Value) {
    let out = custom_lock()
        .arg("run")
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap(), json)
}

#[test]
fn the_users_locks_are_listed_beside_the_built_in_ones() {
    let out = custom_lock().arg("list").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for name in [
        "std",
        "ticket",
        "spin-rs",
        "parking-lot-fair",
        "my-lock",
        "my-broken-lock",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(&format!("{name} "))),
            "{name} missing:\n{text}"
        );
    }
}

#[test]
fn the_users_lock_is_verified_with_threads_and_processes() {
    for mode in ["--threads", "--processes"] {
        let (code, r) = run(&["--backend", "my-lock", mode, "2", "--ops", "200000"]);
        assert_eq!(code, 0, "{mode}: {r}");
        assert_eq!(r["verification"]["verdict"], "ok");
        assert_eq!(r["verification"]["actual"], 200_000);
        assert_eq!(r["exclusion_violations"], 0);
        assert_eq!(r["backend"], "my-lock");
    }
}

#[test]
fn the_broken_lock_is_caught() {
    let (code, r) = run(&[
        "--backend",
        "my-broken-lock",
        "--threads",
        "2",
        "--ops",
        "200000",
        "--cs-work",
        "100ns",
    ]);
    assert_eq!(code, 3, "{r}");
    assert!(r["exclusion_violations"].as_u64().unwrap() > 0, "{r}");
    assert!(
        ["lost-updates", "exclusion-violated"]
            .contains(&r["verification"]["verdict"].as_str().unwrap()),
        "{r}"
    );
}

/// A reader-writer lock whose readers take no lock: the rw workload's checks of a read (a
/// writer inside, a record half written) catch it, each on its own, and the run fails.
#[test]
fn the_broken_reader_writer_lock_is_caught() {
    let (code, r) = run(&[
        "--backend",
        "my-broken-rwlock",
        "--workload",
        "rw",
        "--threads",
        "2",
        "--ops",
        "200000",
        "--cs-work",
        "1us",
    ]);
    assert_eq!(code, 3, "{r}");
    assert!(r["exclusion_violations"].as_u64().unwrap() > 0, "{r}");
    assert!(r["read_write"]["torn_reads"].as_u64().unwrap() > 0, "{r}");
    assert_eq!(r["lost_updates"], 0, "the writers exclude each other: {r}");
    assert_eq!(r["verification"]["verdict"], "exclusion-violated", "{r}");
}

#[test]
fn a_sweep_puts_the_users_lock_in_the_report() {
    let dir = tempfile::tempdir().unwrap();
    custom_lock()
        .args([
            "sweep",
            "--backends",
            "my-lock,std,ticket",
            "--threads",
            "1,2",
            "--repeat",
            "1",
            "--ops",
            "50000",
            "--quiet",
            "--out",
        ])
        .arg(dir.path())
        .assert()
        .success();
    let html = std::fs::read_to_string(dir.path().join("index.html")).unwrap();
    assert!(html.contains("my-lock"));
    assert!(html.contains("a test-and-set lock written in examples"));
}
