//! lockbench's own lock algorithms, shared by the harness (which measures them) and the probe
//! (which puts them in a program's place): each is a [`RawLock`], a lock word and nothing
//! else, and each has a loom model in the harness's `tests/loom.rs` and a stress test here.
//!
//! - [`tas::TasLock`]: test-and-set, every look a write.
//! - [`spin::SpinLock`]: test-and-test-and-set, waiters read until the lock looks free.
//! - [`ticket::TicketLock`]: FIFO tickets.
//! - [`futex::FutexMutex`]: a three-state futex mutex, sleeping waiters.
//!
//! [`relax`] says what a waiter does between looks.

pub mod futex;
pub mod raw;
pub mod relax;
pub mod spin;
#[doc(hidden)]
pub mod sync;
pub mod tas;
pub mod ticket;

pub use raw::{Guard, RawLock};

#[cfg(all(test, not(lockbench_loom)))]
mod stress;

#[cfg(all(test, not(lockbench_loom)))]
mod tests {
    use crate::relax::{Backoff, Spin};
    use crate::spin::SpinLock;
    use crate::stress;
    use crate::tas::TasLock;

    #[test]
    fn our_spinning_locks_give_up_and_leave_the_lock_free() {
        stress::exact_count_giving_up::<SpinLock<Backoff>>(4, 20_000);
        stress::exact_count_giving_up::<TasLock<Spin>>(4, 20_000);
    }
}
