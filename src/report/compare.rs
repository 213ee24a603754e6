//! `lockbench compare`: what changed between two sweeps, per backend and thread count.
//!
//! A change counts as real only when the two runs' ranges do not overlap (every repetition of
//! one beat every repetition of the other); otherwise it is within the runs' own spread.

use std::fmt::Write;

use minijinja::Environment;
use serde::Serialize;

use super::format::{rate, series_label};
use crate::model::{SeriesKey, Spread, SweepResults};

/// The verdict on one point.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Change {
    /// Every repetition of AFTER beat every repetition of BEFORE.
    Faster,
    /// Every repetition of AFTER was slower than every one of BEFORE.
    Slower,
    /// The ranges overlap.
    WithinSpread,
    /// Measured in only one of the two.
    Missing,
}

/// One series x worker count in both files.
#[derive(Debug, Serialize)]
pub struct Row {
    /// The series.
    pub series: SeriesKey,
    /// Threads.
    pub threads: usize,
    /// Throughput before.
    pub before: Option<Spread>,
    /// Throughput after.
    pub after: Option<Spread>,
    /// after / before, of the medians.
    pub ratio: Option<f64>,
    /// The verdict.
    pub change: Change,
}

/// The whole comparison.
#[derive(Debug, Serialize)]
pub struct Comparison {
    /// How each side is named: its command and start time.
    pub before_label: String,
    /// As above, for AFTER.
    pub after_label: String,
    /// Environment fields that differ: (field, before, after).
    pub differences: Vec<(String, String, String)>,
    /// Every point of either file.
    pub rows: Vec<Row>,
}

/// Compares `after` with `before`.
pub fn compare(before: &SweepResults, after: &SweepResults) -> Comparison {
    let (a, b) = (&before.environment, &after.environment);
    let mut differences = Vec::new();
    let mut diff = |field: &str, x: String, y: String| {
        if x != y {
            differences.push((field.to_string(), x, y));
        }
    };
    diff("host", a.hostname.clone(), b.hostname.clone());
    diff("CPU", a.cpu_model.clone(), b.cpu_model.clone());
    diff(
        "allowed CPUs",
        a.allowed_cpus.len().to_string(),
        b.allowed_cpus.len().to_string(),
    );
    diff("kernel", a.kernel.clone(), b.kernel.clone());
    diff("compiler", a.rustc.clone(), b.rustc.clone());
    diff(
        "lockbench",
        a.lockbench_version.clone(),
        b.lockbench_version.clone(),
    );
    diff(
        "increments per run",
        before.settings.ops.to_string(),
        after.settings.ops.to_string(),
    );
    diff(
        "cs-work ns",
        before.settings.cs_work_ns.to_string(),
        after.settings.cs_work_ns.to_string(),
    );
    diff(
        "think ns",
        before.settings.think_ns.to_string(),
        after.settings.think_ns.to_string(),
    );
    diff(
        "pin",
        before.settings.pin.clone(),
        after.settings.pin.clone(),
    );

    let mut keys: Vec<(SeriesKey, usize)> = before
        .points
        .iter()
        .chain(&after.points)
        .filter(|p| !p.repetitions.is_empty())
        .map(|p| (p.key(), p.workers))
        .collect();
    // By worker count, then by label (the order the text has always had).
    keys.sort_by(|x, y| {
        x.1.cmp(&y.1)
            .then_with(|| series_label(&x.0).cmp(&series_label(&y.0)))
    });
    keys.dedup();
    let find = |r: &SweepResults, k: &(SeriesKey, usize)| {
        r.points
            .iter()
            .find(|p| p.is_in(&k.0) && p.workers == k.1)
            .and_then(|p| p.ops_per_sec)
    };
    let rows = keys
        .iter()
        .map(|k| {
            let (x, y) = (find(before, k), find(after, k));
            let (ratio, change) = match (x, y) {
                (Some(x), Some(y)) => {
                    let change = if y.min > x.max {
                        Change::Faster
                    } else if y.max < x.min {
                        Change::Slower
                    } else {
                        Change::WithinSpread
                    };
                    ((x.median > 0.0).then(|| y.median / x.median), change)
                }
                _ => (None, Change::Missing),
            };
            Row {
                series: k.0.clone(),
                threads: k.1,
                before: x,
                after: y,
                ratio,
                change,
            }
        })
        .collect();
    Comparison {
        before_label: format!("{} ({})", before.command, before.started_utc),
        after_label: format!("{} ({})", after.command, after.started_utc),
        differences,
        rows,
    }
}

fn verdict(c: Change) -> &'static str {
    match c {
        Change::Faster => "faster, beyond the spread",
        Change::Slower => "SLOWER, beyond the spread",
        Change::WithinSpread => "within the spread",
        Change::Missing => "measured in one file only",
    }
}

fn cell(s: Option<Spread>) -> String {
    s.map_or("–".to_string(), |s| rate(s.median))
}

/// The comparison as a terminal table.
pub fn render_text(c: &Comparison) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "before: {}", c.before_label);
    let _ = writeln!(o, "after:  {}", c.after_label);
    if c.differences.is_empty() {
        let _ = writeln!(o, "same machine and settings");
    } else {
        let _ = writeln!(o, "differences:");
        for (f, x, y) in &c.differences {
            let _ = writeln!(o, "  {f}: {x} -> {y}");
        }
    }
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "{:<12} {:>7} {:>14} {:>14} {:>8}  verdict",
        "backend", "threads", "before ops/s", "after ops/s", "ratio"
    );
    for r in &c.rows {
        let _ = writeln!(
            o,
            "{:<12} {:>7} {:>14} {:>14} {:>8}  {}",
            series_label(&r.series),
            r.threads,
            cell(r.before),
            cell(r.after),
            r.ratio.map_or("–".to_string(), |x| format!("{x:.2}x")),
            verdict(r.change)
        );
    }
    o
}

const TEMPLATE: &str = include_str!("templates/compare.html");

#[derive(Serialize)]
struct HtmlRow {
    cells: Vec<String>,
    class: &'static str,
}

/// The comparison as a self-contained HTML page.
pub fn render_html(c: &Comparison) -> anyhow::Result<String> {
    let rows: Vec<HtmlRow> = c
        .rows
        .iter()
        .map(|r| HtmlRow {
            cells: vec![
                series_label(&r.series),
                r.threads.to_string(),
                cell(r.before),
                cell(r.after),
                r.ratio.map_or("–".to_string(), |x| format!("{x:.2}x")),
                verdict(r.change).to_string(),
            ],
            class: match r.change {
                Change::Faster => "faster",
                Change::Slower => "slower",
                _ => "",
            },
        })
        .collect();
    let mut env = Environment::new();
    env.add_template("compare.html", TEMPLATE)?;
    Ok(env
        .get_template("compare.html")?
        .render(minijinja::context! {
            before => c.before_label.clone(),
            after => c.after_label.clone(),
            differences => minijinja::Value::from(minijinja::value::Serde(&c.differences)),
            rows => minijinja::Value::from(minijinja::value::Serde(&rows)),
        })?)
}
