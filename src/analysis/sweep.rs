//! A sweep's figures: the spread over a point's repetitions and the aggregation of a point.

use crate::measure::recorder::{decode_histogram, encode_histogram, latency_histogram};
use crate::measure::stats::LatencySummary;
use crate::model::{Interval, Point, Repetition, RunResult, Spread, WakeUps};

/// Repetitions whose throughput lies further apart than this (relative to the median) are
/// flagged as noisy.
pub const WIDE_SPREAD: f64 = 0.25;

/// The median and range of `values`; `None` if there are none.
pub fn spread(values: impl IntoIterator<Item = f64>) -> Option<Spread> {
    let mut v: Vec<f64> = values.into_iter().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let median = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    };
    Some(Spread {
        median,
        min: v[0],
        max: v[n - 1],
    })
}

/// The parts of a run a sweep keeps.
pub fn repetition(round: u32, r: &RunResult) -> Repetition {
    Repetition {
        round,
        ops_per_sec: r.ops_per_sec,
        ns_per_op: r.ns_per_op,
        interval: r.interval,
        jain_index: r.fairness.as_ref().and_then(|f| f.jain_index),
        handoff_rate: r.handoff_rate,
        lost_updates: r.lost_updates,
        exclusion_violations: r.exclusion_violations,
        verdict: r.verification.verdict,
        complete: r.complete,
        wall_ns: r.wall_ns,
        latency: r.latency.clone(),
        latency_histogram: r.latency_histogram.clone(),
        cpu_ns_per_op: r.cpu_ns_per_op,
        cpu_utilisation: r.cpu_utilisation,
        voluntary_switches_per_kop: r.voluntary_switches_per_kop,
        involuntary_switches_per_kop: r.involuntary_switches_per_kop,
        realised_cs_ns: r.realised_cs_ns,
        contended: r.contended.clone(),
        wake_ups: r.wake_ups.clone().map(|w| WakeUps {
            histogram: None,
            ..w
        }),
        short_run: r.short_run,
        speed_changed: r.speed_changed,
        reads_per_sec: r.read_write.as_ref().map(|rw| rw.reads_per_sec),
        writes_per_sec: r.read_write.as_ref().map(|rw| rw.writes_per_sec),
        torn_reads: r.read_write.as_ref().map(|rw| rw.torn_reads),
        timeouts: r.timeouts,
        timeout_share: r.timeout_share,
    }
}

/// Adds a repetition to `point` and recomputes its aggregates.
pub fn add_repetition(point: &mut Point, rep: Repetition) {
    point.repetitions.push(rep);
    let reps = &point.repetitions;
    point.ops_per_sec = spread(reps.iter().map(|r| r.ops_per_sec));
    point.ns_per_op = spread(reps.iter().map(|r| r.ns_per_op));
    point.jain_index = spread(reps.iter().filter_map(|r| r.jain_index));
    point.handoff_rate = spread(reps.iter().filter_map(|r| r.handoff_rate));
    point.cpu_ns_per_op = spread(reps.iter().filter_map(|r| r.cpu_ns_per_op));
    point.cpu_utilisation = spread(reps.iter().filter_map(|r| r.cpu_utilisation));
    point.voluntary_switches_per_kop =
        spread(reps.iter().filter_map(|r| r.voluntary_switches_per_kop));
    point.involuntary_switches_per_kop =
        spread(reps.iter().filter_map(|r| r.involuntary_switches_per_kop));
    point.short_runs = reps.iter().filter(|r| r.short_run).count() as u32;
    point.speed_changed_runs = reps.iter().filter(|r| r.speed_changed).count() as u32;
    point.reads_per_sec = spread(reps.iter().filter_map(|r| r.reads_per_sec));
    point.writes_per_sec = spread(reps.iter().filter_map(|r| r.writes_per_sec));
    point.torn_reads = reps.iter().filter_map(|r| r.torn_reads).sum();
    point.timeouts = reps
        .iter()
        .any(|r| r.timeouts.is_some())
        .then(|| reps.iter().filter_map(|r| r.timeouts).sum());
    point.timeout_share = spread(reps.iter().filter_map(|r| r.timeout_share));
    let mut merged = latency_histogram();
    for h in reps.iter().filter_map(|r| r.latency_histogram.as_deref()) {
        if let Ok(h) = decode_histogram(h) {
            // Same bounds everywhere; a histogram that does not fit is left out.
            let _ = merged.add(&h);
        }
    }
    point.latency = LatencySummary::of(&merged);
    point.latency_histogram = (!merged.is_empty()).then(|| encode_histogram(&merged));
    point.lost_updates = reps.iter().map(|r| r.lost_updates).sum();
    point.exclusion_violations = reps.iter().filter_map(|r| r.exclusion_violations).sum();
    point.failed_verification = reps.iter().any(|r| r.verdict.is_failure());
    point.incomplete = reps.iter().any(|r| !r.complete);
    point.wide_spread = reps.len() > 1
        && point
            .ops_per_sec
            .is_some_and(|s| s.relative_width() > WIDE_SPREAD);
    point.whole_run_fallback = reps.iter().any(|r| r.interval == Interval::WholeRun);
}
