//! The atomics and hints our own locks and the runner's control word are built from.
//!
//! Under `--cfg loom` they are loom's, so that `tests/loom.rs` model-checks the very code the
//! benchmarks run (the facade of crossbeam-utils and tokio). Nothing else in the crate uses this.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{
    AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering,
};
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{
    AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering,
};

/// Declares a per-thread static (the CLH lock's spare nodes) with a constant initialiser:
/// std's `thread_local!` with `const`, or loom's, which runs the value's destructor at each
/// modelled thread's end.
macro_rules! thread_local_const {
    ($vis:vis static $name:ident: $t:ty = $init:expr;) => {
        #[cfg(not(loom))]
        std::thread_local! { $vis static $name: $t = const { $init }; }
        #[cfg(loom)]
        loom::thread_local! { $vis static $name: $t = $init; }
    };
}
pub(crate) use thread_local_const;

/// A CPU spin-wait hint (`pause` on x86); a yield point under loom.
#[inline(always)]
pub(crate) fn spin_loop() {
    #[cfg(loom)]
    loom::hint::spin_loop();
    #[cfg(not(loom))]
    std::hint::spin_loop();
}

/// Gives the rest of the time slice to another runnable thread.
#[inline]
pub(crate) fn yield_now() {
    #[cfg(loom)]
    loom::thread::yield_now();
    #[cfg(not(loom))]
    std::thread::yield_now();
}
