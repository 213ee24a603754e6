//! Model checks of our own locks with loom: every interleaving (within a preemption bound) of two
//! threads that each take the lock and update data that only the lock protects. A missing
//! happens-before edge (an ordering weakened from Acquire/Release) shows up as loom's
//! "causality violation" on the unprotected cell, a broken exclusion as a wrong total.
//!
//! Run with: `RUSTFLAGS="--cfg lockbench_loom" cargo test --release --test loom` (scripts/test.sh does).
#![cfg(lockbench_loom)]

use lockbench::locks::relax::{Backoff, Spin, SpinThenYield, Yield};
use lockbench::locks::{
    Backend, ClhLock, FutexMutex, McsLock, RawLock, RwSpinLock, SpinLock, TasLock, TicketLock,
};
use loom::cell::UnsafeCell;
use loom::sync::Arc;
use loom::thread;

struct Protected<L> {
    lock: L,
    value: UnsafeCell<u64>,
}

// SAFETY: `value` is only accessed while `lock` is held; loom checks exactly that claim.
unsafe impl<L: RawLock> Sync for Protected<L> {}

impl<L: RawLock> Protected<L> {
    fn new() -> Arc<Self> {
        Arc::new(Protected {
            lock: L::new(),
            value: UnsafeCell::new(0),
        })
    }

    /// Adds `n` to the value under the lock.
    fn add_locked(&self, n: u64) {
        self.lock.lock();
        // SAFETY: we hold the lock.
        self.value.with_mut(|v| unsafe { *v += n });
        // SAFETY: taken just above.
        unsafe { self.lock.unlock() };
    }

    /// Adds `n` if `try_lock` succeeds; says whether it did.
    fn try_add(&self, n: u64) -> bool {
        if !self.lock.try_lock() {
            return false;
        }
        // SAFETY: try_lock succeeded, we hold the lock.
        self.value.with_mut(|v| unsafe { *v += n });
        // SAFETY: held since the try_lock above.
        unsafe { self.lock.unlock() };
        true
    }

    /// The value, once every other thread is joined.
    fn total(&self) -> u64 {
        // SAFETY: the callers join every other thread first, and each released the lock.
        self.value.with(|v| unsafe { *v })
    }
}

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    // Bounded so that the spinning locks' models finish in seconds; the classic ordering bugs
    // need one or two preemptions to show.
    builder.preemption_bound = Some(3);
    builder.check(f);
}

/// Two threads each lock, increment, unlock; the main thread then checks the total.
fn two_threads_increment<L: RawLock + 'static>() {
    model(|| {
        let shared = Protected::<L>::new();
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let shared = Arc::clone(&shared);
                thread::spawn(move || shared.add_locked(1))
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(shared.total(), 2);
    });
}

/// One thread uses `lock`, the other `try_lock`; whoever gets in must see the other's update.
fn lock_against_try_lock<L: RawLock + 'static>() {
    model(|| {
        let shared = Protected::<L>::new();
        let other = Arc::clone(&shared);
        let trier = thread::spawn(move || other.try_add(10));
        shared.add_locked(1);
        let tried = trier.join().unwrap();
        assert_eq!(shared.total(), if tried { 11 } else { 1 });
    });
}

/// Two threads wait in `lock` while a third tries `try_lock`: the lock passes between waiters,
/// and the try must neither jump in nor be lost. Main checks the total after the joins.
fn two_waiters_and_a_trier<L: RawLock + 'static>() {
    let mut builder = loom::model::Builder::new();
    // Three spinning threads make a large state space: one preemption, long paths allowed.
    builder.preemption_bound = Some(1);
    builder.max_branches = 100_000;
    builder.check(|| {
        let shared = Protected::<L>::new();
        let lockers: Vec<_> = (0..2)
            .map(|_| {
                let shared = Arc::clone(&shared);
                thread::spawn(move || shared.add_locked(1))
            })
            .collect();
        let tried = shared.try_add(10);
        for h in lockers {
            h.join().unwrap();
        }
        assert_eq!(shared.total(), if tried { 12 } else { 2 });
    });
}

/// Two threads each `try_lock` once: at most one at a time gets in, and the total is what got
/// in. (The test-and-set lock's waiting loop writes on every turn, which loom's bounded store
/// history cannot follow through a long wait; its models keep the waits short.)
fn two_tries<L: RawLock + 'static>() {
    model(|| {
        let shared = Protected::<L>::new();
        let other = Arc::clone(&shared);
        let trier = thread::spawn(move || other.try_add(1));
        let mine = shared.try_add(10);
        let theirs = trier.join().unwrap();
        assert_eq!(shared.total(), u64::from(theirs) + 10 * u64::from(mine));
    });
}

/// One thread tries the lock once and adds 1 if it got in; another waits with `lock_unless`,
/// giving up after `looks` looks: whether each got in or not, the total counts exactly the
/// entries, and each entry saw the other's update (no causality violation). The other thread
/// only tries, so that no wait is unbounded: `lock` is `lock_unless` that never gives up,
/// checked by the other models. That the lock is left free after a give-up is checked by the
/// unit tests, not here: loom 0.7 lets a store fall between the read and the write of a swap
/// (tokio-rs/loom#254), and reports a final `true` that no real execution can produce.
fn give_up_after<L: RawLock + 'static>(looks: u32) {
    model(move || {
        let shared = Protected::<L>::new();
        let other = Arc::clone(&shared);
        let holder = thread::spawn(move || other.try_add(1));
        let mut seen = 0;
        let got = shared.lock.lock_unless(|| {
            seen += 1;
            seen > looks
        });
        if got {
            // SAFETY: lock_unless returned true: we hold the lock.
            shared.value.with_mut(|v| unsafe { *v += 10 });
            // SAFETY: held since lock_unless above.
            unsafe { shared.lock.unlock() };
        }
        let held = holder.join().unwrap();
        assert_eq!(shared.total(), u64::from(held) + 10 * u64::from(got));
    });
}

fn both<L: RawLock + 'static>() {
    two_threads_increment::<L>();
    lock_against_try_lock::<L>();
}

#[test]
fn ticket_three_threads() {
    two_waiters_and_a_trier::<TicketLock<Yield>>();
}

#[test]
fn spinlock_three_threads() {
    two_waiters_and_a_trier::<SpinLock<Yield>>();
}

/// The test-and-set lock's `lock` is `try_lock` until it succeeds; its waits are writes, which
/// loom cannot follow (see `two_tries`): the try is what is checked, the waiting loop is what
/// the stress tests run.
#[test]
fn tas_two_tries() {
    two_tries::<TasLock<Spin>>();
}

/// The spinning locks that can give up a wait (`--timeout`): they give up cleanly.
#[test]
fn spinlock_gives_up_cleanly() {
    give_up_after::<SpinLock<Spin>>(2);
    give_up_after::<SpinLock<Backoff>>(1);
}

#[test]
fn tas_gives_up_cleanly() {
    give_up_after::<TasLock<Spin>>(2);
}

#[test]
fn ticket_spin() {
    both::<TicketLock<Spin>>();
}

#[test]
fn ticket_yield() {
    both::<TicketLock<Yield>>();
}

#[test]
fn ticket_default() {
    both::<TicketLock<SpinThenYield>>();
}

#[test]
fn spinlock_spin() {
    both::<SpinLock<Spin>>();
}

#[test]
fn spinlock_backoff() {
    both::<SpinLock<Backoff>>();
}

#[test]
fn futex_mutex() {
    both::<FutexMutex>();
}

#[test]
fn futex_three_threads() {
    two_waiters_and_a_trier::<FutexMutex>();
}

/// A closure-style lock (`Backend::with`) and data only it protects: for the MCS lock, whose
/// waiters' nodes live on their stacks for the span of `with`.
struct Guarded<B> {
    lock: B,
    value: UnsafeCell<u64>,
}

// SAFETY: `value` is only accessed inside `lock.with`; loom checks exactly that claim.
unsafe impl<B: Backend> Sync for Guarded<B> {}

impl<B: Backend> Guarded<B> {
    fn add(&self, n: u64) {
        // SAFETY: inside the critical section.
        self.lock
            .with(|| self.value.with_mut(|v| unsafe { *v += n }));
    }

    fn total(&self) -> u64 {
        // SAFETY: the callers join every other thread first.
        self.value.with(|v| unsafe { *v })
    }
}

/// `threads` threads each add 1, `rounds` times, under a closure-style lock (preemption bound
/// `bound`); the total is theirs, and every hand-over between the waiters' nodes publishes the
/// critical section (a weakened ordering shows as a causality violation on the value).
fn queue_lock_threads<B: Backend + Default>(threads: u64, rounds: u64, bound: usize) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(bound);
    builder.max_branches = 100_000;
    builder.check(move || {
        let shared = Arc::new(Guarded {
            lock: B::default(),
            value: UnsafeCell::new(0),
        });
        let others: Vec<_> = (1..threads)
            .map(|_| {
                let shared = Arc::clone(&shared);
                thread::spawn(move || {
                    for _ in 0..rounds {
                        shared.add(1);
                    }
                })
            })
            .collect();
        for _ in 0..rounds {
            shared.add(1);
        }
        for h in others {
            h.join().unwrap();
        }
        assert_eq!(shared.total(), threads * rounds);
    });
}

fn mcs_threads<R: lockbench::locks::relax::Relax + 'static>(threads: u64, bound: usize) {
    queue_lock_threads::<McsLock<R>>(threads, 1, bound);
}

#[test]
fn mcs_two_threads() {
    mcs_threads::<Spin>(2, 3);
    mcs_threads::<SpinThenYield>(2, 3);
}

#[test]
fn mcs_three_threads() {
    mcs_threads::<Yield>(3, 1);
}

/// CLH: two threads, each taking the lock twice, so that each enters the second time with the
/// node it was handed the first time (recycling: reusing one's own node instead strands the
/// successor spinning on it, or lets two in).
#[test]
fn clh_two_threads() {
    queue_lock_threads::<ClhLock<Spin>>(2, 2, 2);
    queue_lock_threads::<ClhLock<SpinThenYield>>(2, 2, 2);
}

#[test]
fn clh_three_threads() {
    queue_lock_threads::<ClhLock<Yield>>(3, 1, 1);
}

/// CLH nodes travel between locks: two threads take two locks in turn (one of them nested
/// inside the other), so a node released into one lock's queue comes back to a thread as a spare
/// and is queued on the other lock.
#[test]
fn clh_nodes_between_locks() {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(2);
    builder.max_branches = 100_000;
    builder.check(|| {
        let a = Arc::new(Guarded {
            lock: ClhLock::<Yield>::new(),
            value: UnsafeCell::new(0),
        });
        let b = Arc::new(Guarded {
            lock: ClhLock::<Yield>::new(),
            value: UnsafeCell::new(0),
        });
        let (a2, b2) = (Arc::clone(&a), Arc::clone(&b));
        let other = thread::spawn(move || {
            b2.add(1);
            a2.add(1);
        });
        a.add(1);
        // b's critical section holds a's lock too (a lock order a never breaks: no deadlock).
        b.lock.with(|| a.add(1));
        b.add(1);
        other.join().unwrap();
        assert_eq!(a.total(), 3);
        assert_eq!(b.total(), 2);
    });
}

/// Our reader-writer lock: `writers` threads each add 1 under the write lock while `readers`
/// threads read the value under the read lock (one thread does both roles' first part when
/// counts allow). A reader inside with a writer is a concurrent read and write of the value,
/// which loom reports; writers together lose an update, or race, likewise; a weakened ordering
/// shows as a causality violation.
fn rw_spin<R: lockbench::locks::relax::Relax + 'static>(
    writers: usize,
    readers: usize,
    bound: usize,
) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(bound);
    builder.max_branches = 100_000;
    builder.check(move || {
        let shared = Arc::new(Guarded {
            lock: RwSpinLock::<R>::new(),
            value: UnsafeCell::new(0),
        });
        let read = |shared: &Guarded<RwSpinLock<R>>| {
            shared
                .lock
                // SAFETY: inside the read lock: no writer is inside (what loom checks).
                .with_shared(|| shared.value.with(|v| unsafe { *v }))
        };
        let mut handles = Vec::new();
        for _ in 1..writers {
            let shared = Arc::clone(&shared);
            handles.push(thread::spawn(move || shared.add(1)));
        }
        for _ in 0..readers {
            let shared = Arc::clone(&shared);
            handles.push(thread::spawn(move || {
                let seen = read(&shared);
                assert!(seen <= writers as u64);
            }));
        }
        shared.add(1);
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(shared.total(), writers as u64);
    });
}

#[test]
fn rw_spin_a_writer_and_a_reader() {
    rw_spin::<Spin>(1, 1, 2);
    rw_spin::<Yield>(1, 1, 3);
}

#[test]
fn rw_spin_three_threads() {
    // Two writers and a reader; two readers and a writer.
    rw_spin::<Yield>(2, 1, 1);
    rw_spin::<Yield>(1, 2, 1);
}

/// The runner's control word: two workers count themselves started (the last opens the
/// contended window), one finishes its quota (closing the window), and the supervisor stops
/// the run, in every interleaving. Timestamps come from a shared logical clock (SeqCst, standing
/// for a clock that every core reads in one order; the real one is not so ordered, which the
/// analysis allows for). Exactly one of the two closers closes the window and its stamp is the
/// end; a window that opened never ends before it began; and the stop reaches the word.
#[test]
fn control_word_window() {
    use lockbench::runner::control::Control;
    use loom::sync::atomic::{AtomicU64, Ordering};

    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(3);
    builder.check(|| {
        let control = Arc::new(Control::new());
        // SeqCst: the logical clock stands for a real one, which every thread reads in one order.
        let clock = Arc::new(AtomicU64::new(1));
        let workers: Vec<_> = (0..2)
            .map(|i| {
                let (control, clock) = (Arc::clone(&control), Arc::clone(&clock));
                thread::spawn(move || {
                    let tick = || clock.fetch_add(1, Ordering::SeqCst);
                    control.count_started(2, tick());
                    let mut stamped = None;
                    if i == 0 {
                        control.close_window(|| {
                            let t = tick();
                            stamped = Some(t);
                            t
                        });
                    }
                    stamped
                })
            })
            .collect();
        let mut stopper_stamped = None;
        let stopper_closed = control.request_stop(|| {
            let t = clock.fetch_add(1, Ordering::SeqCst);
            stopper_stamped = Some(t);
            t
        });
        let worker_stamped: Vec<_> = workers.into_iter().map(|w| w.join().unwrap()).collect();
        let stamps: Vec<u64> = worker_stamped
            .into_iter()
            .chain([stopper_stamped])
            .flatten()
            .collect();
        assert_eq!(stamps.len(), 1, "closed more than once: {stamps:?}");
        assert_eq!(stopper_closed, stopper_stamped.is_some());
        let (start, end) = control.window();
        assert_eq!(end, stamps[0], "the end is the closer's stamp");
        if let Some(start) = start {
            assert!(start <= end, "window reversed: {start} > {end}");
        }
        assert!(control.state().stop() && control.state().window_closed());
    });
}

/// The control word with a warm-up: two workers count themselves started (one then finishes
/// its quota) while the supervisor ends the warm-up and then stops the run, in every
/// interleaving. The window opens at most once: by the supervisor if both workers had started
/// by the warm-up's end, else by the last of them after it, and never during the warm-up (a run
/// that ended in its warm-up has no window); its start is its opener's stamp, and it never ends
/// before it began.
#[test]
fn control_word_warmup() {
    use lockbench::runner::control::Control;
    use loom::sync::atomic::{AtomicU64, Ordering};

    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(3);
    builder.check(|| {
        let control = Arc::new(Control::new());
        control.begin_warmup();
        // SeqCst: the logical clock stands for a real one, which every thread reads in one order.
        let clock = Arc::new(AtomicU64::new(1));
        let workers: Vec<_> = (0..2)
            .map(|_| {
                let (control, clock) = (Arc::clone(&control), Arc::clone(&clock));
                thread::spawn(move || {
                    let now = clock.fetch_add(1, Ordering::SeqCst);
                    control
                        .count_started(2, now)
                        .opened_window(2)
                        .then_some(now)
                })
            })
            .collect();
        let warm_end = clock.fetch_add(1, Ordering::SeqCst);
        let supervisor = control.end_warmup(2, warm_end).then_some(warm_end);
        control.request_stop(|| clock.fetch_add(1, Ordering::SeqCst));
        let openers: Vec<u64> = workers
            .into_iter()
            .map(|w| w.join().unwrap())
            .chain([supervisor])
            .flatten()
            .collect();
        assert!(openers.len() <= 1, "opened more than once: {openers:?}");
        let (start, end) = control.window();
        assert_eq!(
            start,
            openers.first().copied(),
            "the start is its opener's stamp"
        );
        if let Some(start) = start {
            assert!(start <= end, "window reversed");
        }
        assert!(control.state().measuring(2), "both started, warm-up over");
    });
}

/// Three threads each lock, increment, unlock: the only shape in which two waiters can sleep at
/// once, so that an unlock must wake one while the other stays asleep (a lost wake-up there is
/// a deadlock in the model).
fn three_lockers<L: RawLock + 'static>() {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(2);
    builder.check(|| {
        let shared = Protected::<L>::new();
        let lockers: Vec<_> = (0..3)
            .map(|_| {
                let shared = Arc::clone(&shared);
                thread::spawn(move || shared.add_locked(1))
            })
            .collect();
        for h in lockers {
            h.join().unwrap();
        }
        assert_eq!(shared.total(), 3);
    });
}

#[test]
fn futex_three_lockers() {
    three_lockers::<FutexMutex>();
}
