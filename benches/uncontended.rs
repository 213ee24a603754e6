//! Uncontended lock/update/unlock per backend, one thread: the floor each lock costs. Includes
//! the hand-written `std::sync::Mutex<u64>` loop that `lockbench calibrate` compares with.

use std::hint::black_box;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main};
use lockbench::locks::{BACKENDS, Backend, BackendInfo, Kind, Visit, visit};
use lockbench::runner::region::HeapRegion;

struct Uncontended<'a, 'g>(&'a mut BenchmarkGroup<'g, WallTime>);

impl Visit for Uncontended<'_, '_> {
    type Output = ();

    fn visit<B: Backend>(self, info: &'static BackendInfo) {
        let region = HeapRegion::<B>::new(1, 0);
        let lock = region.view().lock;
        let counter = AtomicU64::new(0);
        self.0.bench_function(info.name, |b| {
            b.iter(|| {
                lock.with(|| match B::KIND {
                    // Relaxed: as in the runner; the lock (or nothing) orders the update.
                    Kind::AtomicRmw => {
                        counter.fetch_add(1, Ordering::Relaxed);
                    }
                    Kind::Lock | Kind::Unsynchronised => {
                        let v = counter.load(Ordering::Relaxed);
                        counter.store(v + 1, Ordering::Relaxed);
                    }
                })
            })
        });
        black_box(counter.load(Ordering::Relaxed));
    }
}

fn uncontended(c: &mut Criterion) {
    let mut group = c.benchmark_group("uncontended");
    group.throughput(Throughput::Elements(1));
    let reference = Mutex::new(0u64);
    group.bench_function("hand-written std::sync::Mutex<u64>", |b| {
        b.iter(|| *black_box(&reference).lock().unwrap() += 1)
    });
    for info in BACKENDS {
        visit(info.id, Uncontended(&mut group));
    }
    group.finish();
}

criterion_group!(benches, uncontended);
criterion_main!(benches);
