//! summary.md: the sweep as a Markdown table (also what `sweep` prints at the end).

use std::fmt::Write;

use super::format::{duration_ns, percent, rate};
use crate::results::{Point, SweepResults};

/// Notes for a point, in words.
pub fn notes(p: &Point) -> Vec<&'static str> {
    let mut n = Vec::new();
    if p.failed_verification {
        n.push("LOST UPDATES");
    } else if p.lost_updates > 0 {
        n.push("lost updates (no lock)");
    }
    if p.incomplete {
        n.push("incomplete (time limit)");
    }
    if p.oversubscribed {
        n.push("oversubscribed");
    }
    if p.wide_spread {
        n.push("wide spread");
    }
    if p.whole_run_fallback {
        n.push("no contended interval in some runs");
    }
    n
}

/// The Markdown text.
pub fn render(r: &SweepResults) -> String {
    let e = &r.environment;
    let s = &r.settings;
    let mut o = String::new();
    let _ = writeln!(o, "# lockbench sweep\n");
    let _ = writeln!(o, "`{}`\n", r.command);
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
    let _ = writeln!(
        o,
        "{} workload, {} operations per run, {} repetitions per point, pin {}, latency {}{}.\n",
        s.workload.name(),
        s.ops,
        s.repeat,
        s.pin,
        s.latency,
        if r.complete {
            ""
        } else {
            "; **the sweep did not finish: the points below are what was measured**"
        }
    );
    let _ = writeln!(
        o,
        "| backend | threads | ops/s (median) | range | ns/op | wait p50 | wait p99 | Jain | hand-offs | notes |"
    );
    let _ = writeln!(o, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for p in r.points.iter().filter(|p| !p.repetitions.is_empty()) {
        let dash = || "–".to_string();
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            p.series(),
            p.threads,
            p.ops_per_sec.map_or_else(dash, |s| rate(s.median)),
            p.ops_per_sec
                .map_or_else(dash, |s| format!("{} – {}", rate(s.min), rate(s.max))),
            p.ns_per_op.map_or_else(dash, |s| duration_ns(s.median)),
            p.latency
                .as_ref()
                .map_or_else(dash, |l| duration_ns(l.p50_ns as f64)),
            p.latency
                .as_ref()
                .map_or_else(dash, |l| duration_ns(l.p99_ns as f64)),
            p.jain_index
                .map_or_else(dash, |s| format!("{:.3}", s.median)),
            p.handoff_rate.map_or_else(dash, |s| percent(s.median)),
            notes(p).join(", "),
        );
    }
    o
}
