//! What the probe costs a program: one thread's uncontended lock, update, unlock through the
//! bare lock, through the probe with recording off (the backend chosen at start, matched
//! inline), and through the probe recording (a count and a hand-off check per acquisition, one
//! hold in 32 timed).
//!
//! `cargo bench --bench probe`. The probe's backend is each surface's own (parking-lot for
//! `lockbench_probe::Mutex`, std for `lockbench_probe::sync::Mutex`), as no LOCKBENCH_BACKEND
//! is set. Recording needs a profile asked for: this bench asks for one in a temporary
//! directory. (With the feature `enabled` off, the probe's types are the bare ones: the same
//! type, so the same cost by construction.)

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lockbench_probe as probe;

fn overhead(c: &mut Criterion) {
    if let Some(b) = std::env::var_os(probe::BACKEND_VAR) {
        eprintln!(
            "the probe's locks are {} ({})",
            b.to_string_lossy(),
            probe::BACKEND_VAR
        );
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    // SAFETY: set before any thread of this program's is started or any lock taken.
    unsafe { std::env::set_var(probe::PROFILE_VAR, dir.path().join("bench-profile.json")) };
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
        group.bench_function(format!("probe Mutex (parking-lot), {label}"), |b| {
            b.iter(|| *black_box(&pl).lock() += 1)
        });
        group.bench_function(format!("probe sync::Mutex (std), {label}"), |b| {
            b.iter(|| *black_box(&st).lock().unwrap() += 1)
        });
    }
    probe::set_recording(false);
    group.finish();
}

criterion_group!(benches, overhead);
criterion_main!(benches);
