//! The pure-spinning locks, which never give up the core: correct, but checked here alone (one
//! test in a binary of its own: cargo runs test binaries one after another, so nothing runs
//! beside it), because beside other tests' workers on a two-core machine they would be
//! oversubscribed, and a waiter would spin out whole time slices while the holder waits for a
//! core (slow by design; see the README).

mod common;

use common::run_json;

#[test]
fn pure_spinning_locks_keep_every_update_with_a_core_each() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let workers = cores.clamp(1, 2).to_string();
    for backend in [
        "spin-pure",
        "ticket-spin",
        "spin-rs",
        "spin-rs-ticket",
        "mcs-spin",
        "clh-spin",
    ] {
        let modes: &[&str] = if backend.starts_with("mcs") || backend.starts_with("clh") {
            &["--threads"]
        } else {
            &["--threads", "--processes"]
        };
        for &mode in modes {
            let (code, r) = run_json(&["--backend", backend, mode, &workers, "--ops", "50000"]);
            assert_eq!(code, 0, "{backend} {mode} {workers}: {r}");
            assert_eq!(r["verification"]["actual"], 50_000, "{backend} {mode}");
            assert_eq!(r["exclusion_violations"], 0, "{backend} {mode}");
        }
    }
}
