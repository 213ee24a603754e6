//! A program written against `parking_lot`'s and `std::sync`'s documented APIs, its `use`
//! lines changed to the probe's: it must compile and pass with the probe off (the types are
//! parking_lot's and std's own), on (`--features enabled`), and on under another backend
//! (`LOCKBENCH_BACKEND=ticket`, a lock whose readers do not share: nothing here assumes they
//! do). `scripts/test.sh` runs all three.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

use lockbench_probe::sync::{Arc, TryLockError};
use lockbench_probe::{
    Condvar, FairMutex, MappedMutexGuard, Mutex, MutexGuard, Once, ReentrantMutex, RwLock,
    RwLockReadGuard, RwLockUpgradableReadGuard, RwLockWriteGuard, named_mutex, named_rwlock,
};

static COUNTER: Mutex<u64> = Mutex::new(0);
static TABLE: RwLock<Vec<u32>> = RwLock::new(Vec::new());
static NAMED: Mutex<u32> = named_mutex("named", 0);
static STD_COUNTER: lockbench_probe::sync::Mutex<u64> = lockbench_probe::sync::Mutex::new(0);

/// `threads` threads each run `f` `per_thread` times.
fn hammer(threads: usize, per_thread: usize, f: impl Fn() + Sync) {
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| (0..per_thread).for_each(|_| f()));
        }
    });
}

#[test]
fn every_kind_of_lock_keeps_every_update_under_four_threads() {
    let fair = FairMutex::new(0u64);
    let re = ReentrantMutex::new(RefCell::new(0u64));
    let rw = RwLock::new(0u64);
    let std_rw = lockbench_probe::sync::RwLock::new(0u64);
    hammer(4, 5_000, || {
        *COUNTER.lock() += 1;
        *NAMED.lock() += 1;
        *fair.lock() += 1;
        let outer = re.lock();
        *re.lock().borrow_mut() += 1;
        drop(outer);
        *rw.write() += 1;
        let _ = *rw.read();
        *STD_COUNTER.lock().unwrap() += 1;
        *std_rw.write().unwrap() += 1;
    });
    assert_eq!(*COUNTER.lock(), 20_000);
    assert_eq!(*NAMED.lock(), 20_000);
    assert_eq!(fair.into_inner(), 20_000);
    assert_eq!(*re.lock().borrow(), 20_000);
    assert_eq!(rw.into_inner(), 20_000);
    assert_eq!(*STD_COUNTER.lock().unwrap(), 20_000);
    assert_eq!(std_rw.into_inner().unwrap(), 20_000);
}

#[test]
fn mutex_guards_map_unlock_bump_and_time_out() {
    let m = Mutex::new(vec![1, 2, 3]);
    let first: MappedMutexGuard<'_, i32> = MutexGuard::map(m.lock(), |v| &mut v[0]);
    assert_eq!(*first, 1);
    drop(first);
    let missing = MutexGuard::try_map(m.lock(), |v| v.get_mut(10));
    let mut g = missing.expect_err("no element 10");
    assert!(m.is_locked());
    MutexGuard::unlocked(&mut g, || assert!(m.try_lock().is_some(), "free meanwhile"));
    g.push(4);
    MutexGuard::bump(&mut g);
    MutexGuard::unlock_fair(g);
    assert!(!m.is_locked());
    let held = m.lock();
    assert!(m.try_lock_for(Duration::from_millis(5)).is_none());
    assert!(
        m.try_lock_until(Instant::now() + Duration::from_millis(5))
            .is_none()
    );
    drop(held);
    assert!(m.try_lock_for(Duration::from_millis(5)).is_some());
    let mut owned = Mutex::new(5);
    *owned.get_mut() += 1;
    assert_eq!(owned.into_inner(), 6);
    let made: Mutex<u8> = Mutex::default();
    let from: Mutex<u8> = Mutex::from(3);
    assert_eq!(*made.lock() + *from.lock(), 3);
    assert!(format!("{from:?}").contains('3'));
    assert_eq!(m.into_inner(), [1, 2, 3, 4]);
}

#[test]
fn rwlock_guards_upgrade_downgrade_map_and_time_out() {
    TABLE.write().extend([1, 2, 3]);
    let up = TABLE.upgradable_read();
    assert_eq!(up.len(), 3);
    let mut w = RwLockUpgradableReadGuard::upgrade(up);
    w.push(4);
    let r = RwLockWriteGuard::downgrade(w);
    assert_eq!(r.len(), 4);
    drop(r);
    let up = TABLE.upgradable_read();
    let up = match RwLockUpgradableReadGuard::try_upgrade(up) {
        Ok(w) => RwLockWriteGuard::downgrade_to_upgradable(w),
        Err(up) => up,
    };
    let r = RwLockUpgradableReadGuard::downgrade(up);
    let mapped = RwLockReadGuard::map(r, |v| &v[0]);
    assert_eq!(*mapped, 1);
    drop(mapped);
    let w = TABLE.write();
    assert!(TABLE.is_locked() && TABLE.is_locked_exclusive());
    assert!(TABLE.try_read_for(Duration::from_millis(5)).is_none());
    assert!(
        TABLE
            .try_write_until(Instant::now() + Duration::from_millis(5))
            .is_none()
    );
    drop(w);
    let mut last = RwLockWriteGuard::map(TABLE.write(), |v| v.last_mut().unwrap());
    *last += 1;
    drop(last);
    assert_eq!(*TABLE.read(), [1, 2, 3, 5]);
    let named = named_rwlock("rw", 1);
    assert_eq!(*named.try_read().expect("free"), 1);
    *named.try_write().expect("free") += 1;
    assert_eq!(named.into_inner(), 2);
}

#[test]
fn a_condvar_hands_work_from_a_producer_to_consumers() {
    let queue = Arc::new((Mutex::new(VecDeque::new()), Condvar::new()));
    let consumers: Vec<_> = (0..3)
        .map(|_| {
            let queue = Arc::clone(&queue);
            std::thread::spawn(move || {
                let (items, ready) = &*queue;
                let mut sum = 0u64;
                loop {
                    let mut q = items.lock();
                    ready.wait_while(&mut q, |q| q.is_empty());
                    match q.pop_front() {
                        Some(0) => return sum,
                        Some(n) => sum += n,
                        None => unreachable!("woken with an empty queue"),
                    }
                }
            })
        })
        .collect();
    let (items, ready) = &*queue;
    for n in 1..=1000u64 {
        items.lock().push_back(n);
        ready.notify_one();
    }
    for _ in 0..3 {
        items.lock().push_back(0);
    }
    ready.notify_all();
    let total: u64 = consumers.into_iter().map(|c| c.join().unwrap()).sum();
    assert_eq!(total, 500_500);
    let mut q = items.lock();
    let timed = ready.wait_for(&mut q, Duration::from_millis(10));
    assert!(timed.timed_out(), "no one notifies");
    let timed = ready.wait_while_for(&mut q, |q| q.is_empty(), Duration::from_millis(10));
    assert!(timed.timed_out());
}

#[test]
fn once_runs_its_closure_once() {
    static INIT: Once = Once::new();
    let runs = Mutex::new(0);
    hammer(4, 10, || INIT.call_once(|| *runs.lock() += 1));
    assert_eq!(*runs.lock(), 1);
    assert!(INIT.state().done());
}

#[test]
fn the_std_surface_poisons_as_std_does() {
    let m = Arc::new(lockbench_probe::sync::Mutex::new(1));
    let m2 = Arc::clone(&m);
    let died = std::thread::spawn(move || {
        let _held = m2.lock().unwrap();
        panic!("inside");
    })
    .join();
    assert!(died.is_err());
    assert!(m.is_poisoned());
    let guard = m.lock().expect_err("poisoned").into_inner();
    assert_eq!(*guard, 1, "the value is still there");
    drop(guard);
    m.clear_poison();
    assert!(m.lock().is_ok());
    let held = m.lock().unwrap();
    assert!(matches!(m.try_lock(), Err(TryLockError::WouldBlock)));
    drop(held);
    let rw = lockbench_probe::sync::RwLock::new(5);
    assert_eq!(*rw.read().unwrap(), 5);
    let mut w = rw.write().unwrap();
    *w = 7;
    let r = lockbench_probe::sync::RwLockWriteGuard::downgrade(w);
    assert_eq!(format!("{r} {r:?}"), "7 7");
    drop(r);
    *rw.write().unwrap() = 6;
    assert!(matches!(rw.try_read().map(|g| *g), Ok(6)));
    let mut owned = lockbench_probe::sync::Mutex::new(vec![1]);
    owned.get_mut().unwrap().push(2);
    assert_eq!(owned.into_inner().unwrap(), [1, 2]);
}

#[test]
fn the_std_condvar_waits_times_out_and_wakes() {
    let pair = Arc::new((
        lockbench_probe::sync::Mutex::new(false),
        lockbench_probe::sync::Condvar::new(),
    ));
    let pair2 = Arc::clone(&pair);
    let setter = std::thread::spawn(move || {
        let (flag, cv) = &*pair2;
        *flag.lock().unwrap() = true;
        cv.notify_all();
    });
    let (flag, cv) = &*pair;
    let set = cv.wait_while(flag.lock().unwrap(), |set| !*set).unwrap();
    assert!(*set);
    drop(set);
    setter.join().unwrap();
    let (g, timed) = cv
        .wait_timeout(flag.lock().unwrap(), Duration::from_millis(10))
        .unwrap();
    assert!(*g && timed.timed_out());
    let (g, timed) = cv
        .wait_timeout_while(g, Duration::from_millis(10), |set| *set)
        .unwrap();
    assert!(*g && timed.timed_out());
    drop(g);
    let g = cv
        .wait_timeout(flag.lock().unwrap(), Duration::ZERO)
        .unwrap()
        .0;
    assert!(*g);
}
