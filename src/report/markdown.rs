//! summary.md: the verdict, then the sweep as a Markdown table (the table is also what `sweep`
//! prints at the end, before the verdict in plain text).

use std::fmt::Write;

use super::format::{
    duration_ns, grouped, machine_facts, percent, rate, regime_label, series_label,
};
use super::verdict::paragraphs;
use crate::model::{Findings, Point, SweepResults, SweepSettings};

/// The columns of the table of points, in Markdown and in HTML.
pub const COLUMNS: [&str; 15] = [
    "backend",
    "workers",
    "regime",
    "ops/s (median)",
    "range",
    "ns/op",
    "CPU/op",
    "CPU use",
    "wait p50",
    "wait p99",
    "wait p99.9",
    "Jain",
    "hand-offs",
    "lost updates",
    "notes",
];

/// A point's row of the table, pre-formatted, in the order of [`COLUMNS`].
pub fn cells(p: &Point) -> Vec<String> {
    let dash = || "–".to_string();
    let wait = |f: fn(&crate::measure::stats::LatencySummary) -> u64| {
        p.latency
            .as_ref()
            .map_or_else(dash, |l| duration_ns(f(l) as f64))
    };
    vec![
        series_label(&p.key()),
        p.workers.to_string(),
        regime_label(&p.regime),
        p.ops_per_sec.map_or_else(dash, |s| rate(s.median)),
        p.ops_per_sec
            .map_or_else(dash, |s| format!("{} – {}", rate(s.min), rate(s.max))),
        p.ns_per_op.map_or_else(dash, |s| duration_ns(s.median)),
        p.cpu_ns_per_op.map_or_else(dash, |s| duration_ns(s.median)),
        p.cpu_utilisation.map_or_else(dash, |s| percent(s.median)),
        wait(|l| l.p50_ns),
        wait(|l| l.p99_ns),
        wait(|l| l.p999_ns),
        p.jain_index
            .map_or_else(dash, |s| format!("{:.3}", s.median)),
        p.handoff_rate.map_or_else(dash, |s| percent(s.median)),
        grouped(p.lost_updates),
        notes(p).join(", "),
    ]
}

/// Notes for a point, in words.
pub fn notes(p: &Point) -> Vec<String> {
    let mut n: Vec<String> = Vec::new();
    let mut note = |s: &str| n.push(s.to_string());
    if p.failed_verification && p.lost_updates > 0 {
        note("LOST UPDATES");
    } else if p.failed_verification && p.torn_reads > 0 && p.exclusion_violations == 0 {
        note("TORN READS");
    } else if p.failed_verification {
        note("EXCLUSION VIOLATED");
    } else if p.lost_updates > 0 {
        note("lost updates (no lock)");
    }
    if !p.failed_verification && p.torn_reads > 0 {
        note("torn reads (no lock)");
    }
    if p.incomplete {
        note("incomplete (time limit)");
    }
    if p.oversubscribed {
        note("oversubscribed");
    }
    if p.wide_spread {
        note("wide spread");
    }
    if p.whole_run_fallback {
        note("no contended interval in some runs");
    }
    if p.short_runs > 0 {
        note("short runs (use --duration)");
    }
    if p.speed_changed_runs > 0 {
        note("machine speed changed");
    }
    match p.timeout_share.map(|s| s.median) {
        Some(share) if share >= 0.001 => {
            n.push(format!("{} of acquisitions timed out", percent(share)));
        }
        Some(share) if share > 0.0 => n.push("under 0.1% of acquisitions timed out".into()),
        _ => {}
    }
    n
}

/// How long each run of the sweep was: operations, or time after a warm-up.
pub fn run_length(s: &SweepSettings) -> String {
    match s.duration_ms {
        Some(ms) if s.warmup_ms > 0 => format!(
            "{} after a {} warm-up",
            duration_ns(ms as f64 * 1e6),
            duration_ns(s.warmup_ms as f64 * 1e6)
        ),
        Some(ms) => duration_ns(ms as f64 * 1e6),
        None => format!("{} operations", grouped(s.ops)),
    }
}

/// The Markdown text, with the verdict first when one is given.
pub fn render(r: &SweepResults, verdict: Option<&Findings>) -> String {
    let e = &r.environment;
    let s = &r.settings;
    let mut o = String::new();
    let _ = writeln!(o, "# lockbench sweep\n");
    let _ = writeln!(o, "`{}`\n", r.command);
    if let Some(f) = verdict {
        let _ = writeln!(o, "## Verdict\n");
        for p in paragraphs(f) {
            let _ = writeln!(o, "- **{}**: {}", p.heading, p.sentences.join(" "));
        }
        let _ = writeln!(o, "\n## Points\n");
    }
    let _ = writeln!(
        o,
        "{} on {} ({} logical CPUs, {} allowed), kernel {}, {}; lockbench {}; started {}.\n",
        e.hostname,
        e.cpu_model,
        e.logical_cpus,
        e.allowed_cpus.len(),
        e.kernel,
        e.rustc,
        e.lockbench_version,
        r.started_utc
    );
    let machine = machine_facts(e);
    if !machine.is_empty() {
        let line: Vec<String> = machine.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        let _ = writeln!(o, "{}.\n", line.join("; "));
    }
    if let Some(warning) = e.busy_warning() {
        let _ = writeln!(o, "**Warning: {warning}.**\n");
    }
    let _ = writeln!(
        o,
        "{} workload, {} per run, {} repetitions per point, pin {}, latency {}{}.\n",
        s.workload.name(),
        run_length(s),
        s.repeat,
        s.pin,
        s.latency,
        if r.complete {
            ""
        } else {
            "; **the sweep did not finish: the points below are what was measured**"
        }
    );
    let _ = writeln!(o, "| {} |", COLUMNS.join(" | "));
    let _ = writeln!(
        o,
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    );
    for p in r.points.iter().filter(|p| !p.repetitions.is_empty()) {
        let _ = writeln!(o, "| {} |", cells(p).join(" | "));
    }
    wake_ups(&mut o, r);
    o
}

/// The wake-up latencies of a sweep run with `--wake-latency`: per point, the hand-offs timed
/// and woken over every repetition, and the medians of the repetitions' percentiles.
fn wake_ups(o: &mut String, r: &SweepResults) {
    let rows: Vec<String> = r
        .points
        .iter()
        .filter_map(|p| {
            let reps: Vec<&crate::model::WakeUps> = p
                .repetitions
                .iter()
                .filter_map(|x| x.wake_ups.as_ref())
                .collect();
            if reps.is_empty() {
                return None;
            }
            let median = |f: fn(&crate::measure::stats::LatencySummary) -> u64| {
                let mut v: Vec<u64> = reps
                    .iter()
                    .filter_map(|w| w.latency.as_ref().map(f))
                    .collect();
                v.sort_unstable();
                v.get(v.len() / 2)
                    .map_or("–".to_string(), |&ns| duration_ns(ns as f64))
            };
            Some(format!(
                "| {} | {} | {} | {} of {} | {} | {} | {} |",
                p.backend,
                p.workers,
                regime_label(&p.regime),
                grouped(reps.iter().map(|w| w.woken).sum()),
                grouped(reps.iter().map(|w| w.handoffs).sum()),
                median(|l| l.p50_ns),
                median(|l| l.p99_ns),
                median(|l| l.max_ns),
            ))
        })
        .collect();
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(
        o,
        "\n## Wake-up latency\n\nFrom the release that let a sleeping waiter in to its first \
         instruction inside (`--wake-latency`): hand-offs timed and woken over every repetition, \
         and the medians of the repetitions' percentiles.\n"
    );
    let _ = writeln!(
        o,
        "| backend | workers | regime | woken | wake p50 | wake p99 | wake max |"
    );
    let _ = writeln!(o, "|---|---:|---|---:|---:|---:|---:|");
    for row in rows {
        let _ = writeln!(o, "{row}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Regime, Spread, WorkerMode};

    #[test]
    fn timeouts_are_noted_with_their_share() {
        let mut p = Point::new("spin", 2, WorkerMode::Threads, Regime::default(), false);
        assert!(notes(&p).is_empty());
        let share = |median| Spread {
            median,
            min: median,
            max: median,
        };
        p.timeout_share = Some(share(0.106));
        assert_eq!(notes(&p), ["10.6% of acquisitions timed out"]);
        p.timeout_share = Some(share(0.00005));
        assert_eq!(notes(&p), ["under 0.1% of acquisitions timed out"]);
        p.timeout_share = Some(share(0.0));
        assert!(notes(&p).is_empty());
    }
}
