//! Futex waits and wakes for the measurements' own helper threads (the machine's costs, the
//! priority-inversion scenario): a thread sleeps on a word until another changes it and wakes
//! it. Not a lock; the locks measured have their own (`locks::futex`).

use std::sync::atomic::AtomicU32;
use std::time::Duration;

/// Sleeps on `word` while it holds `expected`, for at most `slice` (or until woken, or not at
/// all if it holds something else): the caller's loop looks at the word again either way.
pub fn wait(word: &AtomicU32, expected: u32, slice: Duration) {
    let slice = libc::timespec {
        tv_sec: slice.as_secs() as libc::time_t,
        tv_nsec: slice.subsec_nanos() as libc::c_long,
    };
    // SAFETY: `word` is a live, aligned u32 for the whole call; FUTEX_WAIT only reads it and
    // sleeps; the timeout is a valid relative timespec. Any error (EAGAIN, EINTR, ETIMEDOUT)
    // returns to the caller's loop, which looks at the word again.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAIT | libc::FUTEX_PRIVATE_FLAG,
            expected,
            &slice as *const libc::timespec,
        );
    }
}

/// Wakes up to `n` sleepers on `word`; how many were woken.
pub fn wake(word: &AtomicU32, n: i32) -> i64 {
    // SAFETY: `word` is a live, aligned u32; FUTEX_WAKE only uses its address as a key.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAKE | libc::FUTEX_PRIVATE_FLAG,
            n,
        ) as i64
    }
}
