//! Priority inversion, measured (`lockbench inversion`): three real-time threads on one CPU. A
//! low-priority holder takes a pthread mutex and works for `hold`; a high-priority waiter
//! then asks for it; a middle-priority thread, woken by the waiter, is busy for `middle`.
//! Without priority inheritance the middle runs ahead of the holder, and the waiter waits for
//! both; with `PTHREAD_PRIO_INHERIT` the holder runs at the waiter's priority until it
//! releases, and the waiter waits for the rest of the hold only. The waiter's waits are the
//! result.
//!
//! It needs `SCHED_FIFO` (root, `CAP_SYS_NICE`, or an `RLIMIT_RTPRIO` of at least the high
//! priority); without it nothing runs. Bounded: every busy loop ends on the clock, every wait
//! (the mutex's included) has a deadline, and the settings' total work is capped.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use crate::measure::futex;
use crate::runner::affinity::pin_current;

/// The real-time priorities of the three threads (SCHED_FIFO, 1 to 99).
pub const PRIORITIES: [i32; 3] = [10, 20, 30];

/// The most busy time a scenario may ask for, summed over its rounds.
pub const MAX_BUSY: Duration = Duration::from_secs(5);

/// How long any one wait may last beyond a round's own work before the scenario is given up
/// (and every thread with it: the first to give up raises the abort flag the others watch).
const ROUND_SLACK: Duration = Duration::from_secs(2);

/// What a scenario runs.
#[derive(Clone, Copy, Debug)]
pub struct Scenario {
    /// Rounds.
    pub rounds: u32,
    /// The holder's work under the lock.
    pub hold: Duration,
    /// The middle thread's busy time.
    pub middle: Duration,
    /// The CPU all three run on.
    pub cpu: usize,
    /// Whether the mutex inherits priority (`PTHREAD_PRIO_INHERIT`).
    pub inherit: bool,
}

/// Why a scenario did not run, or did not finish.
#[derive(Debug, thiserror::Error)]
pub enum InversionError {
    /// SCHED_FIFO was refused.
    #[error(
        "priority inversion needs real-time scheduling (SCHED_FIFO at priority {priority}), which \
         this process may not use ({os}): run it as root, or give the binary CAP_SYS_NICE \
         (sudo setcap cap_sys_nice+ep target/release/lockbench), or raise the real-time \
         priority limit (ulimit -r {priority})"
    )]
    NoRights { priority: i32, os: std::io::Error },
    /// Something else failed: pinning, the mutex, or a round past its deadline.
    #[error("the priority-inversion scenario failed: {0}")]
    Failed(String),
}

/// A pthread mutex, with or without priority inheritance, boxed so that it never moves.
struct Mutex(Box<std::cell::UnsafeCell<libc::pthread_mutex_t>>);

// SAFETY: a pthread mutex is made to be shared between threads; all access goes through the
// pthread calls.
unsafe impl Sync for Mutex {}

unsafe extern "C" {
    /// glibc's, not in the libc crate for Linux.
    fn pthread_mutexattr_setprotocol(attr: *mut libc::pthread_mutexattr_t, protocol: i32) -> i32;
}

impl Mutex {
    fn new(inherit: bool) -> Result<Mutex, InversionError> {
        let m = Mutex(Box::new(std::cell::UnsafeCell::new(
            libc::PTHREAD_MUTEX_INITIALIZER,
        )));
        // SAFETY: the attribute lives on this stack for its whole use and is destroyed after;
        // the mutex is boxed (it never moves) and initialised once, before any thread sees it.
        unsafe {
            let mut attr: libc::pthread_mutexattr_t = std::mem::zeroed();
            let mut rc = libc::pthread_mutexattr_init(&mut attr);
            if rc == 0 && inherit {
                rc = pthread_mutexattr_setprotocol(&mut attr, libc::PTHREAD_PRIO_INHERIT);
            }
            if rc == 0 {
                rc = libc::pthread_mutex_init(m.0.get(), &attr);
            }
            libc::pthread_mutexattr_destroy(&mut attr);
            if rc != 0 {
                return Err(InversionError::Failed(format!(
                    "the mutex could not be made: {}",
                    std::io::Error::from_raw_os_error(rc)
                )));
            }
        }
        Ok(m)
    }

    /// Locks, waiting until `deadline` at most; whether it was locked.
    fn lock_until(&self, deadline: Instant) -> bool {
        let left = deadline.saturating_duration_since(Instant::now());
        // SAFETY: an all-zero timespec is valid; clock_gettime fills it.
        let mut now: libc::timespec = unsafe { std::mem::zeroed() };
        // SAFETY: `now` lives for the call.
        unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut now) };
        let total = now.tv_nsec as u64 + left.subsec_nanos() as u64;
        let until = libc::timespec {
            tv_sec: now.tv_sec
                + left.as_secs() as libc::time_t
                + (total / 1_000_000_000) as libc::time_t,
            tv_nsec: (total % 1_000_000_000) as libc::c_long,
        };
        // SAFETY: the mutex was initialised in `new` and is not destroyed while shared.
        unsafe { libc::pthread_mutex_timedlock(self.0.get(), &until) == 0 }
    }

    /// Unlocks; the caller holds it.
    fn unlock(&self) {
        // SAFETY: called only by the thread that locked it.
        unsafe { libc::pthread_mutex_unlock(self.0.get()) };
    }
}

impl Drop for Mutex {
    fn drop(&mut self) {
        // SAFETY: nobody holds it any more (every thread was joined).
        unsafe { libc::pthread_mutex_destroy(self.0.get()) };
    }
}

/// A count that threads wait to reach, sleeping on a futex.
struct Signal(AtomicU32);

impl Signal {
    fn post(&self, n: u32) {
        // Release/Acquire: what the poster did before is seen by whoever waits for `n`.
        self.0.store(n, Ordering::Release);
        futex::wake(&self.0, i32::MAX);
    }

    /// Waits until the count reaches `n`, or `deadline`, or `abort`; whether it reached it.
    fn wait(&self, n: u32, deadline: Instant, abort: &AtomicBool) -> bool {
        loop {
            let now = self.0.load(Ordering::Acquire);
            if now >= n {
                return true;
            }
            // Relaxed: a flag to stop; it orders nothing.
            if abort.load(Ordering::Relaxed) || Instant::now() > deadline {
                abort.store(true, Ordering::Relaxed);
                return false;
            }
            futex::wait(&self.0, now, Duration::from_millis(5));
        }
    }
}

/// Busy until `length` has passed (or `abort`).
fn busy(length: Duration, abort: &AtomicBool) {
    let end = Instant::now() + length;
    while Instant::now() < end && !abort.load(Ordering::Relaxed) {
        std::hint::black_box(0u64);
    }
}

/// Puts the calling thread on `cpu` under SCHED_FIFO at `priority`.
fn realtime(cpu: usize, priority: i32) -> Result<(), InversionError> {
    if !pin_current(cpu) {
        return Err(InversionError::Failed(format!(
            "could not pin to CPU {cpu}"
        )));
    }
    let param = libc::sched_param {
        sched_priority: priority,
    };
    // SAFETY: pid 0 is the calling thread; `param` lives for the call.
    if unsafe { libc::sched_setscheduler(0, libc::SCHED_FIFO, &param) } != 0 {
        return Err(InversionError::NoRights {
            priority,
            os: std::io::Error::last_os_error(),
        });
    }
    Ok(())
}

/// Whether this process may run threads under SCHED_FIFO at the scenario's priorities: tried
/// on a short-lived thread of its own, which ends with the answer.
pub fn check_rights(cpu: usize) -> Result<(), InversionError> {
    thread::spawn(move || realtime(cpu, PRIORITIES[2]))
        .join()
        .unwrap_or_else(|_| Err(InversionError::Failed("the rights check panicked".into())))
}

/// Runs `s`: the waiter's wait of every round, ns.
pub fn run(s: Scenario) -> Result<Vec<u64>, InversionError> {
    let mutex = Mutex::new(s.inherit)?;
    let (held, woke_middle, got, middle_done) = (
        Signal(AtomicU32::new(0)),
        Signal(AtomicU32::new(0)),
        Signal(AtomicU32::new(0)),
        Signal(AtomicU32::new(0)),
    );
    let ready = Signal(AtomicU32::new(0));
    let abort = AtomicBool::new(false);
    let round_bound = s.hold + s.middle + ROUND_SLACK;
    // Every wait's own deadline, from when it starts.
    let soon = move || Instant::now() + round_bound;
    let errors = std::sync::Mutex::new(Vec::new());
    let mut waits = Vec::new();
    // Each thread announces itself once it runs under its priority; the rounds start once all
    // three have (a count only the three raise, one at a time, as each is set up).
    let start_lock = std::sync::Mutex::new(());
    let announce = |priority| {
        let _one_at_a_time = start_lock.lock().unwrap_or_else(|e| e.into_inner());
        match realtime(s.cpu, priority) {
            Ok(()) => {
                ready.post(ready.0.load(Ordering::Acquire) + 1);
                true
            }
            Err(e) => {
                errors.lock().unwrap_or_else(|e| e.into_inner()).push(e);
                abort.store(true, Ordering::Relaxed);
                false
            }
        }
    };
    thread::scope(|scope| {
        let (announce, ready, abort, mutex) = (&announce, &ready, &abort, &mutex);
        let (held, woke_middle, got, middle_done) = (&held, &woke_middle, &got, &middle_done);
        // The holder: low priority.
        scope.spawn(move || {
            if !announce(PRIORITIES[0]) || !ready.wait(3, soon(), abort) {
                return;
            }
            for r in 1..=s.rounds {
                if !mutex.lock_until(soon()) {
                    abort.store(true, Ordering::Relaxed);
                    return;
                }
                held.post(r);
                busy(s.hold, abort);
                mutex.unlock();
                if !got.wait(r, soon(), abort) || !middle_done.wait(r, soon(), abort) {
                    return;
                }
            }
        });
        // The middle: busy when the waiter wakes it.
        scope.spawn(move || {
            if !announce(PRIORITIES[1]) || !ready.wait(3, soon(), abort) {
                return;
            }
            for r in 1..=s.rounds {
                if !woke_middle.wait(r, soon(), abort) {
                    return;
                }
                busy(s.middle, abort);
                middle_done.post(r);
            }
        });
        // The waiter: high priority; it wakes the middle, then asks for the lock.
        let waiter = scope.spawn(move || {
            let mut waits = Vec::new();
            if !announce(PRIORITIES[2]) || !ready.wait(3, soon(), abort) {
                return waits;
            }
            for r in 1..=s.rounds {
                if !held.wait(r, soon(), abort) {
                    return waits;
                }
                woke_middle.post(r);
                let asked = Instant::now();
                if !mutex.lock_until(soon()) {
                    abort.store(true, Ordering::Relaxed);
                    return waits;
                }
                waits.push(asked.elapsed().as_nanos() as u64);
                mutex.unlock();
                got.post(r);
            }
            waits
        });
        waits = waiter.join().unwrap_or_default();
    });
    if let Some(e) = errors
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .next()
    {
        return Err(e);
    }
    if waits.len() < s.rounds as usize {
        return Err(InversionError::Failed(format!(
            "only {} of {} rounds finished before the deadline",
            waits.len(),
            s.rounds
        )));
    }
    Ok(waits)
}
