//! results.csv: one row per backend x worker count x regime.

use serde::Serialize;

use super::format::mode_name;
use crate::model::SweepResults;

#[derive(Serialize)]
struct Row<'a> {
    backend: &'a str,
    mode: &'a str,
    threads: usize,
    locks: u64,
    cs_work_ns: u64,
    think_ns: u64,
    oversubscribed: bool,
    repetitions: usize,
    ops_per_sec_median: Option<f64>,
    ops_per_sec_min: Option<f64>,
    ops_per_sec_max: Option<f64>,
    ns_per_op_median: Option<f64>,
    jain_index_median: Option<f64>,
    handoff_rate_median: Option<f64>,
    cpu_ns_per_op_median: Option<f64>,
    cpu_utilisation_median: Option<f64>,
    voluntary_switches_per_kop_median: Option<f64>,
    involuntary_switches_per_kop_median: Option<f64>,
    wait_p50_ns: Option<u64>,
    wait_p99_ns: Option<u64>,
    wait_p999_ns: Option<u64>,
    wait_max_ns: Option<u64>,
    lost_updates: u64,
    exclusion_violations: u64,
    failed_verification: bool,
    incomplete: bool,
    wide_spread: bool,
    whole_run_fallback: bool,
    short_runs: u32,
    speed_changed_runs: u32,
    reads_per_sec_median: Option<f64>,
    writes_per_sec_median: Option<f64>,
    torn_reads: u64,
    timeouts: Option<u64>,
    timeout_share_median: Option<f64>,
    /// Last, so that the columns before it keep their places.
    noise: u64,
}

/// The CSV text.
pub fn render(r: &SweepResults) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for p in &r.points {
        w.serialize(Row {
            backend: &p.backend,
            mode: mode_name(p.mode),
            threads: p.workers,
            locks: p.regime.locks,
            cs_work_ns: p.regime.cs_work_ns,
            think_ns: p.regime.think_ns,
            oversubscribed: p.oversubscribed,
            repetitions: p.repetitions.len(),
            ops_per_sec_median: p.ops_per_sec.map(|s| s.median),
            ops_per_sec_min: p.ops_per_sec.map(|s| s.min),
            ops_per_sec_max: p.ops_per_sec.map(|s| s.max),
            ns_per_op_median: p.ns_per_op.map(|s| s.median),
            jain_index_median: p.jain_index.map(|s| s.median),
            handoff_rate_median: p.handoff_rate.map(|s| s.median),
            cpu_ns_per_op_median: p.cpu_ns_per_op.map(|s| s.median),
            cpu_utilisation_median: p.cpu_utilisation.map(|s| s.median),
            voluntary_switches_per_kop_median: p.voluntary_switches_per_kop.map(|s| s.median),
            involuntary_switches_per_kop_median: p.involuntary_switches_per_kop.map(|s| s.median),
            wait_p50_ns: p.latency.as_ref().map(|l| l.p50_ns),
            wait_p99_ns: p.latency.as_ref().map(|l| l.p99_ns),
            wait_p999_ns: p.latency.as_ref().map(|l| l.p999_ns),
            wait_max_ns: p.latency.as_ref().map(|l| l.max_ns),
            lost_updates: p.lost_updates,
            exclusion_violations: p.exclusion_violations,
            failed_verification: p.failed_verification,
            incomplete: p.incomplete,
            wide_spread: p.wide_spread,
            whole_run_fallback: p.whole_run_fallback,
            short_runs: p.short_runs,
            speed_changed_runs: p.speed_changed_runs,
            reads_per_sec_median: p.reads_per_sec.map(|s| s.median),
            writes_per_sec_median: p.writes_per_sec.map(|s| s.median),
            torn_reads: p.torn_reads,
            timeouts: p.timeouts,
            timeout_share_median: p.timeout_share.map(|s| s.median),
            noise: p.regime.noise,
        })?;
    }
    Ok(w.into_inner()?)
}
