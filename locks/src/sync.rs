//! The atomics and hints our own locks and the runner's control word are built from.
//!
//! Under `--cfg lockbench_loom` they are loom's, so that `tests/loom.rs` model-checks the very
//! code the benchmarks run (the facade of crossbeam-utils and tokio); the harness's own locks
//! and runner use it too. The cfg is our own, not `loom`: RUSTFLAGS reach every crate, and
//! tokio's and event-listener's `cfg(loom)` code needs loom as their own dependency.

#[cfg(lockbench_loom)]
pub use loom::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering};
#[cfg(not(lockbench_loom))]
pub use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering};

/// A CPU spin-wait hint (`pause` on x86); a yield point under loom.
#[inline(always)]
pub fn spin_loop() {
    #[cfg(lockbench_loom)]
    loom::hint::spin_loop();
    #[cfg(not(lockbench_loom))]
    std::hint::spin_loop();
}

/// Gives the rest of the time slice to another runnable thread.
#[inline]
pub fn yield_now() {
    #[cfg(lockbench_loom)]
    loom::thread::yield_now();
    #[cfg(not(lockbench_loom))]
    std::thread::yield_now();
}
