//! Uncontended lock/update/unlock per backend, one thread: the floor each lock costs. Includes
//! the hand-written `std::sync::Mutex<u64>` loop that `lockbench calibrate` compares with.

use std::hint::black_box;
use std::sync::Mutex;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lockbench::registry;

fn uncontended(c: &mut Criterion) {
    let mut group = c.benchmark_group("uncontended");
    group.throughput(Throughput::Elements(1));
    let reference = Mutex::new(0u64);
    group.bench_function("hand-written std::sync::Mutex<u64>", |b| {
        b.iter(|| *black_box(&reference).lock().unwrap() += 1)
    });
    for entry in registry::global().entries() {
        let mut rig = entry.engine().bench_rig(1);
        group.bench_function(entry.name(), |b| b.iter_custom(|iters| rig.run(iters)));
    }
    group.finish();
}

criterion_group!(benches, uncontended);
criterion_main!(benches);
