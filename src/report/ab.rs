//! An A/B of the backends in a user's program, in words and as a table.

use std::fmt::Write as _;

use super::format::{duration_ns, percent};
use super::verdict::{adjusted, times};
use crate::model::{AbMeasure, AbOutcome, AbResults};

/// A figure as the measure has it: seconds of wall time as a duration, a metric as a number.
fn figure(r: &AbResults, v: f64) -> String {
    match r.measure {
        AbMeasure::WallTime => duration_ns(v * 1e9),
        AbMeasure::Metric { .. } => {
            if v.abs() >= 100.0 {
                format!("{v:.0}")
            } else {
                format!("{v:.3}")
            }
        }
    }
}

fn what(r: &AbResults) -> &'static str {
    match &r.measure {
        AbMeasure::WallTime => "wall time",
        AbMeasure::Metric { .. } => "metric",
    }
}

/// The verdict: which backend, for this program, on this machine.
pub fn sentences(r: &AbResults) -> Vec<String> {
    let mut out = Vec::new();
    let best = if r.measure.higher_is_better() {
        "highest"
    } else if r.measure == AbMeasure::WallTime {
        "quickest"
    } else {
        "lowest"
    };
    let ratio = |a: f64, b: f64| {
        if r.measure.higher_is_better() {
            a / b.max(f64::MIN_POSITIVE)
        } else {
            b / a.max(f64::MIN_POSITIVE)
        }
    };
    match r.ranking.as_slice() {
        [] => out.push("No backend could be ranked.".to_string()),
        [only] => out.push(format!(
            "Only {} could be ranked: median {} {}.",
            only.backend,
            what(r),
            figure(r, only.median)
        )),
        [top, next, ..] if r.unjudged.is_some() => out.push(format!(
            "{} measured {best} (median {} {}; {} {}), but with {}: no verdict on the order.",
            top.backend,
            what(r),
            figure(r, top.median),
            next.backend,
            figure(r, next.median),
            r.unjudged.as_deref().unwrap_or_default()
        )),
        ranking => {
            let top = &ranking[0];
            if r.leaders == 1 {
                let next = &ranking[1];
                out.push(format!(
                    "{} is {best} (median {} {}): {} better than {}, beyond the noise ({}).",
                    top.backend,
                    what(r),
                    figure(r, top.median),
                    times(ratio(top.median, next.median)),
                    next.backend,
                    adjusted(next.p_vs_top.unwrap_or(1.0), r.comparisons)
                ));
            } else {
                let names: Vec<String> = ranking[..r.leaders]
                    .iter()
                    .map(|x| format!("{} ({})", x.backend, figure(r, x.median)))
                    .collect();
                out.push(format!(
                    "{} lead together: none is ahead of the others beyond the noise of the runs.",
                    names.join(", ")
                ));
                if let Some(next) = ranking.get(r.leaders) {
                    out.push(format!(
                        "{} is clearly behind: {} the leader's {}.",
                        next.backend,
                        times(ratio(top.median, next.median)),
                        what(r)
                    ));
                }
            }
            if let (Some(std), true) = (
                ranking.iter().position(|x| x.backend == "std"),
                top.backend != "std",
            ) {
                let s = &ranking[std];
                out.push(format!(
                    "Against std, the lock the program would have without a choice: {} {} ({}).",
                    times(ratio(top.median, s.median)),
                    if s.clearly_behind {
                        "better, beyond the noise"
                    } else {
                        "apart, within the noise"
                    },
                    figure(r, s.median)
                ));
            }
        }
    }
    for (b, why) in &r.excluded {
        out.push(format!("{b} is not ranked: {why}."));
    }
    if r.interrupted {
        out.push("The A/B was interrupted: not every run was made.".to_string());
    }
    out
}

/// Every backend's runs and its hottest lock, as a table for the terminal.
pub fn table(r: &AbResults) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<18} {:>5} {:>11} {:>11} {:>11}  hottest lock (waited, wait p99)",
        "backend", "runs", "median", "best", "worst"
    );
    let mut names: Vec<&str> = r.ranking.iter().map(|x| x.backend.as_str()).collect();
    for (b, _) in &r.excluded {
        names.push(b);
    }
    for b in names {
        let runs: Vec<_> = r.runs.iter().filter(|x| x.backend == b).collect();
        let hottest = runs
            .iter()
            .rev()
            .copied()
            .chain(r.profiled.iter().filter(|x| x.backend == b))
            .find_map(|x| x.hottest.as_ref())
            .map_or("-".to_string(), |h| {
                format!(
                    "{} ({}, {})",
                    h.name,
                    percent(h.contention),
                    duration_ns(h.wait_p99_ns as f64)
                )
            });
        let ok = runs.iter().filter(|x| x.outcome == AbOutcome::Ok).count();
        match r.ranking.iter().find(|x| x.backend == b) {
            Some(x) => {
                let _ = writeln!(
                    out,
                    "{:<18} {:>5} {:>11} {:>11} {:>11}  {hottest}",
                    b,
                    x.runs,
                    figure(r, x.median),
                    figure(r, x.best),
                    figure(r, x.worst)
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "{:<18} {:>5} {:>11} {:>11} {:>11}  {hottest}",
                    b,
                    format!("{ok}/{}", runs.len()),
                    "not ranked",
                    "",
                    ""
                );
            }
        }
    }
    out
}
