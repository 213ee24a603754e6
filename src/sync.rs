//! The atomics and hints our own locks and the runner's control word are built from.
//!
//! Under `--cfg lockbench_loom` they are loom's, so that `tests/loom.rs` model-checks the very
//! code the benchmarks run (the facade of crossbeam-utils and tokio). The cfg is our own, not
//! `loom`: RUSTFLAGS reach every crate, and tokio's and event-listener's `cfg(loom)` code needs
//! loom as their own dependency. Nothing else in the crate uses this.

#[cfg(lockbench_loom)]
pub(crate) use loom::sync::atomic::{
    AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering,
};
#[cfg(not(lockbench_loom))]
pub(crate) use std::sync::atomic::{
    AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering,
};

/// Declares a per-thread static (the CLH lock's spare nodes) with a constant initialiser:
/// std's `thread_local!` with `const`, or loom's, which runs the value's destructor at each
/// modelled thread's end.
macro_rules! thread_local_const {
    ($vis:vis static $name:ident: $t:ty = $init:expr;) => {
        #[cfg(not(lockbench_loom))]
        std::thread_local! { $vis static $name: $t = const { $init }; }
        #[cfg(lockbench_loom)]
        loom::thread_local! { $vis static $name: $t = $init; }
    };
}
pub(crate) use thread_local_const;

/// A CPU spin-wait hint (`pause` on x86); a yield point under loom.
#[inline(always)]
pub(crate) fn spin_loop() {
    #[cfg(lockbench_loom)]
    loom::hint::spin_loop();
    #[cfg(not(lockbench_loom))]
    std::hint::spin_loop();
}

/// Gives the rest of the time slice to another runnable thread.
#[inline]
pub(crate) fn yield_now() {
    #[cfg(lockbench_loom)]
    loom::thread::yield_now();
    #[cfg(not(lockbench_loom))]
    std::thread::yield_now();
}
