//! Contended throughput per backend at 2 and 4 threads. The threads are started once per
//! benchmark and wait at a barrier between samples, so spawning is never inside the timed
//! part (`Bencher::iter_custom`); each sample splits its iterations across the threads.

use std::thread;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use lockbench::locks::Waiting;
use lockbench::registry;

fn contended(c: &mut Criterion) {
    let cpus = thread::available_parallelism().map_or(1, |n| n.get());
    for threads in [2usize, 4] {
        let mut group = c.benchmark_group(format!("contended-{threads}-threads"));
        group.throughput(Throughput::Elements(1));
        group.measurement_time(Duration::from_secs(3));
        for entry in registry::global().entries() {
            // Pure spinning with more threads than CPUs collapses by design (see the README):
            // it would turn one benchmark into minutes.
            if entry.facts().waiting == Waiting::Spin && threads > cpus {
                continue;
            }
            let mut rig = entry.engine().bench_rig(threads);
            group.bench_function(BenchmarkId::new(entry.name(), threads), |b| {
                b.iter_custom(|iters| rig.run(iters))
            });
        }
        group.finish();
    }
}

criterion_group!(benches, contended);
criterion_main!(benches);
