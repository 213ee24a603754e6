//! Helpers shared by the end-to-end tests.
#![allow(dead_code)]

use std::time::Duration;

use assert_cmd::Command;

/// The lockbench binary, with a timeout so that no test can hang.
pub fn lockbench() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lockbench"));
    cmd.timeout(Duration::from_secs(120));
    cmd
}

/// Runs `lockbench run ARGS --json` and returns (exit code, parsed JSON).
pub fn run_json(args: &[&str]) -> (i32, serde_json::Value) {
    let out = lockbench()
        .arg("run")
        .args(args)
        .arg("--json")
        .output()
        .expect("lockbench runs");
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().expect("exited normally"), json)
}

/// Asserts that `args` are refused with exit status 2, nothing on stdout, and a single `error:`
/// line on stderr that mentions `needle` (and no panic).
pub fn refused(args: &[&str], needle: &str) {
    let out = lockbench().args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(out.stdout.is_empty(), "{args:?} printed on stdout");
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "{args:?}: not one line: {stderr}"
    );
    assert!(stderr.starts_with("error:"), "{args:?}: {stderr}");
    assert!(
        stderr.contains(needle),
        "{args:?}: {stderr:?} lacks {needle:?}"
    );
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
}

/// Runs `lockbench sweep ARGS --quiet --out OUT`, asserts that it succeeded, and returns its
/// results.json.
pub fn sweep_json(args: &[&str], out: &std::path::Path) -> serde_json::Value {
    let run = lockbench()
        .arg("sweep")
        .args(args)
        .args(["--quiet", "--out"])
        .arg(out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap()
}
