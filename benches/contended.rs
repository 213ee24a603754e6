//! Contended throughput per backend at 2 and 4 threads. The threads are started once per
//! benchmark and wait at a barrier between samples, so spawning is never inside the timed
//! part (`Bencher::iter_custom`); each sample splits its iterations across the threads.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{
    BenchmarkGroup, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main,
};
use crossbeam_utils::CachePadded;
use lockbench::locks::{BACKENDS, Backend, BackendInfo, Kind, Visit, Waiting, visit};
use lockbench::runner::region::HeapRegion;

struct Shared<B: Backend> {
    /// The lock, initialised in place (and the counter, which the bench keeps separately).
    region: HeapRegion<B>,
    counter: CachePadded<AtomicU64>,
    per_thread: AtomicU64,
    quit: AtomicBool,
    go: Barrier,
    done: Barrier,
}

struct Contended<'a, 'g> {
    group: &'a mut BenchmarkGroup<'g, WallTime>,
    threads: usize,
}

impl Visit for Contended<'_, '_> {
    type Output = ();

    fn visit<B: Backend>(self, info: &'static BackendInfo) {
        let threads = self.threads;
        let shared = Arc::new(Shared {
            region: HeapRegion::<B>::new(1, 0),
            counter: CachePadded::new(AtomicU64::new(0)),
            per_thread: AtomicU64::new(0),
            quit: AtomicBool::new(false),
            go: Barrier::new(threads + 1),
            done: Barrier::new(threads + 1),
        });
        let workers: Vec<_> = (0..threads)
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
                            s.region.view().lock.with(|| match B::KIND {
                                Kind::AtomicRmw => {
                                    s.counter.fetch_add(1, Ordering::Relaxed);
                                }
                                Kind::Lock | Kind::Unsynchronised => {
                                    let v = s.counter.load(Ordering::Relaxed);
                                    s.counter.store(v + 1, Ordering::Relaxed);
                                }
                            });
                        }
                        s.done.wait();
                    }
                })
            })
            .collect();
        self.group
            .bench_function(BenchmarkId::new(info.name, threads), |b| {
                b.iter_custom(|iters| {
                    let per_thread = iters.div_ceil(threads as u64).max(1);
                    shared.per_thread.store(per_thread, Ordering::Relaxed);
                    let start = Instant::now();
                    shared.go.wait();
                    shared.done.wait();
                    let elapsed = start.elapsed();
                    // Scale to the `iters` operations criterion asked for.
                    elapsed.mul_f64(iters as f64 / (per_thread * threads as u64) as f64)
                })
            });
        shared.quit.store(true, Ordering::Relaxed);
        shared.go.wait();
        for w in workers {
            w.join().expect("bench workers do not panic");
        }
    }
}

fn contended(c: &mut Criterion) {
    let cpus = thread::available_parallelism().map_or(1, |n| n.get());
    for threads in [2usize, 4] {
        let mut group = c.benchmark_group(format!("contended-{threads}-threads"));
        group.throughput(Throughput::Elements(1));
        group.measurement_time(Duration::from_secs(3));
        for info in BACKENDS {
            // Pure spinning with more threads than CPUs collapses by design (see the README):
            // it would turn one benchmark into minutes.
            if info.waiting == Waiting::Spin && threads > cpus {
                continue;
            }
            visit(
                info.id,
                Contended {
                    group: &mut group,
                    threads,
                },
            );
        }
        group.finish();
    }
}

criterion_group!(benches, contended);
criterion_main!(benches);
