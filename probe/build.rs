//! Finds the Cargo.lock of the program being built (the first one above the build's output
//! folder: the workspace's, where `target/` is its usual place) and passes the lock crates'
//! versions in it to the probe, which writes them in each profile: the versions the program
//! ran with, not lockbench's own.

use std::path::PathBuf;

const CRATES: &[&str] = &[
    "parking_lot",
    "parking_lot_core",
    "lock_api",
    "lockbench-probe",
    "lockbench-locks",
];

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    let lock = out
        .ancestors()
        .map(|dir| dir.join("Cargo.lock"))
        .find(|p| p.is_file());
    let mut found = Vec::new();
    if let Some(lock) = &lock {
        println!("cargo:rerun-if-changed={}", lock.display());
        let text = std::fs::read_to_string(lock).unwrap_or_default();
        let mut name = None;
        for line in text.lines() {
            if let Some(v) = line.strip_prefix("name = ") {
                name = Some(v.trim_matches('"').to_string());
            } else if let (Some(v), Some(n)) = (line.strip_prefix("version = "), &name) {
                if CRATES.contains(&n.as_str()) {
                    found.push(format!("{n}={}", v.trim_matches('"')));
                }
                name = None;
            }
        }
    }
    println!(
        "cargo:rustc-env=LOCKBENCH_PROBE_LOCK_CRATES={}",
        found.join(",")
    );
    println!("cargo:rerun-if-changed=build.rs");
}
