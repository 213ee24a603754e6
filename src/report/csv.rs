//! results.csv: one row per backend x thread count.

use serde::Serialize;

use super::format::mode_name;
use crate::model::SweepResults;

#[derive(Serialize)]
struct Row<'a> {
    backend: &'a str,
    mode: &'a str,
    threads: usize,
    oversubscribed: bool,
    repetitions: usize,
    ops_per_sec_median: Option<f64>,
    ops_per_sec_min: Option<f64>,
    ops_per_sec_max: Option<f64>,
    ns_per_op_median: Option<f64>,
    jain_index_median: Option<f64>,
    handoff_rate_median: Option<f64>,
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
}

/// The CSV text.
pub fn render(r: &SweepResults) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for p in &r.points {
        w.serialize(Row {
            backend: &p.backend,
            mode: mode_name(p.mode),
            threads: p.workers,
            oversubscribed: p.oversubscribed,
            repetitions: p.repetitions.len(),
            ops_per_sec_median: p.ops_per_sec.map(|s| s.median),
            ops_per_sec_min: p.ops_per_sec.map(|s| s.min),
            ops_per_sec_max: p.ops_per_sec.map(|s| s.max),
            ns_per_op_median: p.ns_per_op.map(|s| s.median),
            jain_index_median: p.jain_index.map(|s| s.median),
            handoff_rate_median: p.handoff_rate.map(|s| s.median),
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
        })?;
    }
    Ok(w.into_inner()?)
}
