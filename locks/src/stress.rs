//! The multi-thread stress checks every lock's tests share.

use std::cell::UnsafeCell;

use crate::raw::RawLock;

struct Counted<L> {
    lock: L,
    count: UnsafeCell<u64>,
}

// SAFETY: `count` is only touched while `lock` is held (see `exact_count`).
unsafe impl<L: RawLock> Sync for Counted<L> {}

/// `threads` threads each take the lock `per_thread` times and increment a plain (non-atomic)
/// counter inside; any failure of mutual exclusion or ordering shows as a lost update.
pub(crate) fn exact_count<L: RawLock>(threads: usize, per_thread: u64) {
    let shared = Counted {
        lock: L::new(),
        count: UnsafeCell::new(0),
    };
    std::thread::scope(|s| {
        for _ in 0..threads {
            let shared = &shared;
            s.spawn(move || {
                for _ in 0..per_thread {
                    shared.lock.lock();
                    // SAFETY: we hold the lock, so no one else touches the counter.
                    unsafe { *shared.count.get() += 1 };
                    // SAFETY: we took the lock just above.
                    unsafe { shared.lock.unlock() };
                }
            });
        }
    });
    assert_eq!(shared.count.into_inner(), threads as u64 * per_thread);
}

/// `threads` threads each make `per_thread` attempts with `lock_unless`, giving up after a
/// few looks (alternately 1 and 64), and increment the plain counter only when they got in
/// (then hold the lock a little longer):
/// the counter equals the entries, some waits gave up (four threads on one lock), and the
/// lock is free at the end.
pub(crate) fn exact_count_giving_up<L: RawLock>(threads: usize, per_thread: u64) {
    use std::sync::atomic::{AtomicU64, Ordering};
    let shared = Counted {
        lock: L::new(),
        count: UnsafeCell::new(0),
    };
    let (entered, gave_up) = (AtomicU64::new(0), AtomicU64::new(0));
    std::thread::scope(|s| {
        for t in 0..threads {
            let (shared, entered, gave_up) = (&shared, &entered, &gave_up);
            s.spawn(move || {
                for i in 0..per_thread {
                    let limit = if (i + t as u64).is_multiple_of(2) {
                        1
                    } else {
                        64
                    };
                    let mut looks = 0;
                    if shared.lock.lock_unless(|| {
                        looks += 1;
                        looks > limit
                    }) {
                        // SAFETY: lock_unless returned true: we hold the lock.
                        unsafe { *shared.count.get() += 1 };
                        // A held lock long enough for the others to find it taken.
                        for _ in 0..200 {
                            std::hint::spin_loop();
                        }
                        // SAFETY: taken just above.
                        unsafe { shared.lock.unlock() };
                        // Relaxed: tallies read after the scope joins.
                        entered.fetch_add(1, Ordering::Relaxed);
                    } else {
                        gave_up.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    let (entered, gave_up) = (entered.into_inner(), gave_up.into_inner());
    assert_eq!(entered + gave_up, threads as u64 * per_thread);
    assert!(gave_up > 0, "some waits gave up");
    assert!(shared.lock.try_lock(), "the lock is left free");
    assert_eq!(shared.count.into_inner(), entered);
}

/// One thread: `lock`, a refused `try_lock` while held, `unlock`, then a `try_lock` that
/// succeeds on the free lock, and `unlock`.
pub(crate) fn lock_then_try<L: RawLock>() {
    let lock = L::new();
    lock.lock();
    assert!(!lock.try_lock(), "a held lock must refuse try_lock");
    // SAFETY: this thread took the lock just above.
    unsafe { lock.unlock() };
    assert!(lock.try_lock(), "a free lock must grant try_lock");
    // SAFETY: this thread took the lock just above.
    unsafe { lock.unlock() };
}
