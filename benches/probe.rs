//! What the probe costs a program: one thread's uncontended lock, update, unlock through the
//! bare lock, through the probe with recording off (the backend chosen at start, behind one
//! virtual call), and through the probe recording (two clock reads, the thread's record).
//!
//! `cargo bench --bench probe`. The probe's backend is each surface's default (parking-lot for
//! `probe::Mutex`, std for `probe::sync::Mutex`), as no LOCKBENCH_BACKEND is set.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lockbench::probe;

fn overhead(c: &mut Criterion) {
    if let Some(b) = std::env::var_os(probe::BACKEND_VAR) {
        eprintln!(
            "the probe's locks are {} ({})",
            b.to_string_lossy(),
            probe::BACKEND_VAR
        );
    }
    let mut group = c.benchmark_group("probe");
    group.throughput(Throughput::Elements(1));

    let bare = parking_lot::Mutex::new(0u64);
    group.bench_function("parking_lot::Mutex, bare", |b| {
        b.iter(|| *black_box(&bare).lock() += 1)
    });
    let std_bare = std::sync::Mutex::new(0u64);
    group.bench_function("std::sync::Mutex, bare", |b| {
        b.iter(|| *black_box(&std_bare).lock().unwrap() += 1)
    });

    let pl = probe::Mutex::new(0u64);
    let st = probe::sync::Mutex::new(0u64);
    for (recording, label) in [(false, "recording off"), (true, "recording")] {
        probe::set_recording(recording);
        group.bench_function(format!("probe::Mutex (parking-lot), {label}"), |b| {
            b.iter(|| *black_box(&pl).lock() += 1)
        });
        group.bench_function(format!("probe::sync::Mutex (std), {label}"), |b| {
            b.iter(|| *black_box(&st).lock().unwrap() += 1)
        });
    }
    probe::set_recording(false);
    group.finish();
}

criterion_group!(benches, overhead);
criterion_main!(benches);
