//! A guard the program forgets or leaks keeps its lock held, as with the lock crates' own
//! types, and nothing the probe keeps for it outlives its lock. Run by `scripts/test.sh`
//! under the surfaces' own backends and under `LOCKBENCH_BACKEND=std`.

#![cfg(feature = "enabled")]

use lockbench_probe::lock_api::RawMutex as _;
use lockbench_probe::sync::{RwLock, TryLockError};

static TABLE: RwLock<Vec<u32>> = RwLock::new(Vec::new());

#[test]
fn a_read_guard_leaked_by_a_thread_that_ends_keeps_the_lock_read() {
    TABLE.write().unwrap().extend([1, 2, 3]);
    let leaked: &'static Vec<u32> = std::thread::spawn(|| {
        let guard = Box::leak(Box::new(TABLE.read().unwrap()));
        &**guard
    })
    .join()
    .unwrap();
    assert!(
        matches!(TABLE.try_write(), Err(TryLockError::WouldBlock)),
        "no writer while a leaked reader may still read"
    );
    assert_eq!(leaked, &[1, 2, 3]);
}

#[test]
fn a_raw_lock_moved_while_held_is_released_where_it_is_now() {
    let raw = lockbench_probe::RawMutex::INIT;
    let token = raw.lock();
    let moved = raw;
    assert!(moved.try_lock().is_none(), "still held after the move");
    // SAFETY: `token` is this lock's hold, on this thread; lock_api lets the lock move while
    // held by its raw user.
    unsafe { moved.unlock(token) };
    let again = moved.try_lock().expect("free once released");
    // SAFETY: taken just above.
    unsafe { moved.unlock(again) };
}

#[test]
fn locks_dropped_with_their_guards_forgotten_leave_later_locks_alone() {
    std::thread::spawn(|| {
        for _ in 0..100 {
            let m = lockbench_probe::sync::Mutex::new(1);
            std::mem::forget(m.lock().unwrap());
            drop(m);
            let rw = RwLock::new(1);
            std::mem::forget(rw.read().unwrap());
            drop(rw);
        }
    })
    .join()
    .unwrap();
    // The thread that forgot read guards has ended: whatever it kept for them must not touch
    // the locks made since.
    for _ in 0..100 {
        let rw = RwLock::new(2);
        *rw.try_write().expect("a fresh lock is free") += 1;
        assert_eq!(*rw.read().unwrap(), 3);
        let m = lockbench_probe::sync::Mutex::new(2);
        assert_eq!(*m.try_lock().expect("a fresh lock is free"), 2);
    }
}
