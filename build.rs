//! Records the compiler's version and the versions of the lock crates in `Cargo.lock`, which
//! results carry as part of the environment.

use std::process::Command;

#[path = "src/environment/cargo_lock.rs"]
mod cargo_lock;

fn main() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let version = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=LOCKBENCH_RUSTC_VERSION={version}");
    println!("cargo:rerun-if-env-changed=RUSTC");

    // "name version, name version": empty where there is no Cargo.lock to read.
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".to_string());
    let lock = std::path::Path::new(&dir).join("Cargo.lock");
    let crates = std::fs::read_to_string(&lock)
        .map(|text| {
            cargo_lock::versions(&text, &cargo_lock::LOCK_CRATES)
                .into_iter()
                .map(|(name, version)| format!("{name} {version}"))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    println!("cargo:rustc-env=LOCKBENCH_LOCK_CRATES={crates}");
    println!("cargo:rerun-if-changed={}", lock.display());
}
