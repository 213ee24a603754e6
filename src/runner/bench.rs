//! Timing kernels for the criterion benchmarks (`benches/`): the counter's update under a
//! backend, on one thread or on several started once and reused between samples (so that
//! spawning is never inside the timed part, as `Bencher::iter_custom` wants).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::region::HeapRegion;
use crate::locks::Backend;
use crate::workload::Operation;
use crate::workload::counter::Increment;

/// Times a number of operations of one backend.
pub trait Rig {
    /// Runs about `iters` operations in all and returns the time they took, scaled to exactly
    /// `iters`.
    fn run(&mut self, iters: u64) -> Duration;
}

/// A rig for backend `B` with `threads` threads (1: the calling thread itself).
pub fn rig<B: Backend>(threads: usize) -> Box<dyn Rig> {
    if threads <= 1 {
        Box::new(Inline::<B> {
            region: HeapRegion::new(1, 1, 0),
        })
    } else {
        Box::new(Pool::<B>::start(threads))
    }
}

/// One increment of the region's counter under its lock.
#[inline(always)]
fn increment<B: Backend>(region: &HeapRegion<B>) {
    let slot = &region.view().slots[0];
    slot.lock
        .0
        .with(|| Increment.update::<false>(slot.data.0.fields(), B::KIND, || {}));
}

struct Inline<B: Backend> {
    region: HeapRegion<B>,
}

impl<B: Backend> Rig for Inline<B> {
    fn run(&mut self, iters: u64) -> Duration {
        let start = Instant::now();
        for _ in 0..iters {
            increment(std::hint::black_box(&self.region));
        }
        start.elapsed()
    }
}

struct Shared<B: Backend> {
    region: HeapRegion<B>,
    per_thread: AtomicU64,
    quit: AtomicBool,
    go: Barrier,
    done: Barrier,
}

struct Pool<B: Backend> {
    shared: Arc<Shared<B>>,
    threads: usize,
    workers: Vec<JoinHandle<()>>,
}

impl<B: Backend> Pool<B> {
    fn start(threads: usize) -> Self {
        let shared = Arc::new(Shared {
            region: HeapRegion::<B>::new(1, 1, 0),
            per_thread: AtomicU64::new(0),
            quit: AtomicBool::new(false),
            go: Barrier::new(threads + 1),
            done: Barrier::new(threads + 1),
        });
        let workers = (0..threads)
            .map(|_| {
                let s = Arc::clone(&shared);
                thread::spawn(move || {
                    loop {
                        s.go.wait();
                        // Relaxed (both): the barrier orders them after the main thread's stores.
                        if s.quit.load(Ordering::Relaxed) {
                            break;
                        }
                        for _ in 0..s.per_thread.load(Ordering::Relaxed) {
                            increment(&s.region);
                        }
                        s.done.wait();
                    }
                })
            })
            .collect();
        Pool {
            shared,
            threads,
            workers,
        }
    }
}

impl<B: Backend> Rig for Pool<B> {
    fn run(&mut self, iters: u64) -> Duration {
        let per_thread = iters.div_ceil(self.threads as u64).max(1);
        // Relaxed: the barrier orders it before the workers' loads.
        self.shared.per_thread.store(per_thread, Ordering::Relaxed);
        let start = Instant::now();
        self.shared.go.wait();
        self.shared.done.wait();
        let elapsed = start.elapsed();
        // Scale to the `iters` operations asked for.
        elapsed.mul_f64(iters as f64 / (per_thread * self.threads as u64) as f64)
    }
}

impl<B: Backend> Drop for Pool<B> {
    fn drop(&mut self) {
        // Relaxed: the barrier orders it before the workers' loads.
        self.shared.quit.store(true, Ordering::Relaxed);
        self.shared.go.wait();
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use crate::locks::TicketLock;

    #[test]
    fn rigs_do_the_operations_they_time() {
        let mut one = super::Inline::<TicketLock> {
            region: super::HeapRegion::new(1, 1, 0),
        };
        one.run_and_check(1_000);
        let mut pool = super::Pool::<TicketLock>::start(2);
        super::Rig::run(&mut pool, 1_000);
        // Relaxed: the pool's barrier ordered the workers' writes before this.
        assert_eq!(
            pool.shared.region.view().slots[0]
                .data
                .0
                .counter
                .load(Ordering::Relaxed),
            1_000
        );
    }

    impl<B: crate::locks::Backend> super::Inline<B> {
        fn run_and_check(&mut self, iters: u64) {
            super::Rig::run(self, iters);
            // Relaxed: single-threaded.
            assert_eq!(
                self.region.view().slots[0]
                    .data
                    .0
                    .counter
                    .load(Ordering::Relaxed),
                iters
            );
        }
    }
}
