//! One worker's life, the same for a thread and a process: pin itself, check in at the start
//! gate, wait for the start signal, wait until every worker is running, run the hot loop.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::LoopSettings;
use super::affinity;
use super::hot_loop::{self, Seat};
use super::region::{ABORT, GO, Gate, RegionView};
use crate::analysis::WorkerRecord;
use crate::locks::Backend;
use crate::measure::clock::Clock;

/// How long the workers have to check in at the gate.
pub(crate) const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a worker left without running.
#[derive(Debug)]
pub(crate) enum NoStart {
    /// The supervisor called the run off (another worker failed to start).
    Aborted,
    /// No start signal came in time.
    TimedOut,
}

/// Runs worker `seat` on `cpu` (none: unpinned) against the region `view`.
pub(crate) fn work<B: Backend>(
    view: &RegionView<'_, B>,
    seat: Seat,
    cpu: Option<usize>,
    settings: LoopSettings,
    clock: &Clock,
) -> Result<WorkerRecord, NoStart> {
    let pinned = cpu.is_some_and(affinity::pin_current);
    let observed_cpu = affinity::current_cpu();
    check_in_and_wait(view.gate)?;
    view.control.all_running(view.progress.len());
    let out = hot_loop::run(view, seat, settings, clock);
    Ok(WorkerRecord {
        requested_cpu: cpu,
        pinned,
        observed_cpu,
        quota: seat.quota,
        start_ticks: out.start_ticks,
        stop_ticks: out.stop_ticks,
        rec: out.rec,
    })
}

/// Checks in at the gate and waits for the supervisor's word: spinning briefly, then sleeping
/// in short steps, so that workers waiting for a slow start cost little.
fn check_in_and_wait(gate: &Gate) -> Result<(), NoStart> {
    // Release: pairs with the supervisor's Acquire count of check-ins.
    gate.arrived.fetch_add(1, Ordering::Release);
    let mut spins = 0u32;
    let arrived_at = Instant::now();
    loop {
        // Acquire: pairs with the supervisor's Release store of the signal, so the worker sees
        // everything set up before it.
        match gate.signal.load(Ordering::Acquire) {
            GO => return Ok(()),
            ABORT => return Err(NoStart::Aborted),
            _ if arrived_at.elapsed() > START_TIMEOUT * 2 => return Err(NoStart::TimedOut),
            _ if spins < 1000 => {
                spins += 1;
                std::hint::spin_loop();
            }
            _ => std::thread::sleep(Duration::from_micros(50)),
        }
    }
}

/// The supervisor's side of the gate: how many workers have checked in.
pub(crate) fn checked_in(gate: &Gate) -> usize {
    // Acquire: pairs with each worker's Release check-in (nothing else is published by it).
    gate.arrived.load(Ordering::Acquire) as usize
}

/// The supervisor's word: start (`true`) or leave without running.
pub(crate) fn open_gate(gate: &Gate, go: bool) {
    // Release: the workers' Acquire load of the signal sees everything set up before it.
    gate.signal
        .store(if go { GO } else { ABORT }, Ordering::Release);
}
