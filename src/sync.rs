//! The atomics and hints the harness's own locks (MCS, CLH, the reader-writer spinlock) and the
//! runner's control word are built from: `lockbench_locks::sync`'s, which are loom's under
//! `--cfg lockbench_loom`.

pub(crate) use lockbench_locks::sync::{
    AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering, spin_loop, yield_now,
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
