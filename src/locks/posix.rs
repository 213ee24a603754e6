//! What the POSIX locks share (`pthread.rs`, `pshared.rs`, the pthread rwlock in `rwlock.rs`):
//! the absolute deadline their timed waits take, and the record of a robust mutex's dead owner.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Set when a lock of this process found its previous owner dead (`EOWNERDEAD`).
pub(super) static OWNER_DIED: AtomicBool = AtomicBool::new(false);

/// Whether a robust mutex in this process reported a dead owner.
pub fn owner_died_seen() -> bool {
    // Relaxed: a flag read after the work is done, by the thread that may have set it.
    OWNER_DIED.load(Ordering::Relaxed)
}

/// The absolute `CLOCK_REALTIME` time `timeout` from now, as the POSIX timed waits
/// (`pthread_mutex_timedlock`, `sem_timedwait`, the rwlock's) take it. A jump of the wall clock
/// during the wait moves the deadline with it; runs are short, and the waits are what the
/// seeds' `acquire(timeout=...)` is built on.
pub(super) fn realtime_deadline(timeout: Duration) -> libc::timespec {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid, writable timespec; CLOCK_REALTIME always exists.
    unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut now) };
    let nanos = now.tv_nsec as u64 + u64::from(timeout.subsec_nanos());
    let secs = (now.tv_sec as u64)
        .saturating_add(timeout.as_secs())
        .saturating_add(nanos / 1_000_000_000);
    libc::timespec {
        tv_sec: secs.min(libc::time_t::MAX as u64) as libc::time_t,
        tv_nsec: (nanos % 1_000_000_000) as libc::c_long,
    }
}
