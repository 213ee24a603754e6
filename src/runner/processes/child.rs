//! The child side of a process run: one worker, as its spec says, reporting on stdout.

use super::mapping::Mapping;
use super::{WorkerReport, WorkerSpec};
use crate::locks::Backend;
use crate::measure::clock::Clock;
use crate::measure::recorder::encode_histogram;
use crate::model::Workload;
use crate::runner::hot_loop::Seat;
use crate::runner::region::Region;
use crate::runner::worker::{self, NoStart};
use crate::runner::{LoopSettings, quota};
use crate::workload::drawn::DrawnWork;

/// Runs worker `spec.index` of a process run with backend `B` (which the caller has checked
/// works across processes) and returns its report.
pub fn run_child<B: Backend>(spec: &WorkerSpec) -> anyhow::Result<WorkerReport> {
    let cfg = &spec.config;
    let n = cfg.workers;
    // If the parent dies, so do we: no orphan spins on a lock forever.
    // SAFETY: prctl with PR_SET_PDEATHSIG and a signal number only sets a process attribute.
    unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) };
    // It may have died before the prctl: then our parent is someone else already.
    // SAFETY: getppid has no preconditions.
    if unsafe { libc::getppid() } as u32 != spec.parent {
        anyhow::bail!("the parent process is gone");
    }
    // The hidden worker command can be typed by anyone: refuse what `config` would never make
    // (the bank's quotas divide by its pairs of workers).
    let bank_unpaired = matches!(cfg.workload, Workload::Bank { .. }) && n % 2 == 1;
    if spec.index >= n || bank_unpaired {
        anyhow::bail!("this worker spec does not describe a process run");
    }
    let locks = usize::try_from(cfg.locks)?;
    if !(1..=crate::runner::region::MAX_LOCKS as usize).contains(&locks) {
        anyhow::bail!("this worker spec does not describe a process run");
    }
    let map = Mapping::open(spec.fd, Region::<B>::layout(n, locks).size())?;
    // SAFETY: the parent initialised the region for `n` workers and `locks` locks before
    // starting us (the mapping's size was checked against that layout).
    let view = unsafe { map.view::<B>(n, locks) };
    let clock = Clock::new();
    let settings = LoopSettings {
        workload: cfg.workload,
        cs_work: spec.cs_work,
        think: spec.think,
        draws: spec.draws.clone().map(DrawnWork::keep),
        wake_latency: cfg.wake_latency,
        latency: cfg.latency,
        timeout: cfg.timeout(),
    };
    let seat = Seat {
        index: spec.index,
        quota: quota(cfg, spec.index),
    };
    let record = match worker::work(&view, seat, spec.cpu, settings, &clock) {
        Ok(record) => record,
        Err(NoStart::Aborted) => anyhow::bail!("the parent called the run off before the start"),
        Err(NoStart::TimedOut) => anyhow::bail!("no start signal from the parent"),
    };
    let rec = &record.rec;
    Ok(WorkerReport {
        pinned: record.pinned,
        observed_cpu: record.observed_cpu,
        ops: rec.ops,
        window_ops: rec.window_ops,
        handoffs: rec.handoffs,
        window_handoffs: rec.window_handoffs,
        exclusion_violations: rec.exclusion_violations,
        start_ticks: record.start_ticks,
        stop_ticks: record.stop_ticks,
        latency_histogram: (!rec.wait_ns.is_empty()).then(|| encode_histogram(&rec.wait_ns)),
        window_latency_histogram: (!rec.window_wait_ns.is_empty())
            .then(|| encode_histogram(&rec.window_wait_ns)),
        owner_died: crate::locks::posix::owner_died_seen(),
        usage: rec.usage,
        window_usage: rec.window_usage,
        hold_ns: rec.hold_ns,
        think_ns: rec.think_ns,
        reads: rec.reads,
        torn_reads: rec.torn_reads,
        timeouts: rec.timeouts,
        read_latency_histogram: (!rec.read_wait_ns.is_empty())
            .then(|| encode_histogram(&rec.read_wait_ns)),
        write_latency_histogram: (!rec.write_wait_ns.is_empty())
            .then(|| encode_histogram(&rec.write_wait_ns)),
        gave_up_histogram: (!rec.gave_up_ns.is_empty()).then(|| encode_histogram(&rec.gave_up_ns)),
        timed_handoffs: rec.timed_handoffs,
        woken: rec.woken,
        wake_histogram: (!rec.wake_ns.is_empty()).then(|| encode_histogram(&rec.wake_ns)),
    })
}
