//! `lockbench compare` as text and as a page: the comparison itself is made in
//! `analysis::compare`; this renders it.

use std::fmt::Write;

use minijinja::Environment;
use serde::Serialize;

use super::format::{rate, regime_label, series_label, workers};
use super::verdict::times;
use crate::model::{Change, ComparedPoint, Comparison, Regime, Spread};

/// How many times faster or slower AFTER is: `1.32× faster`, `2.10× slower`.
fn factor(p: &ComparedPoint) -> String {
    match p.ratio {
        Some(r) if r >= 1.0 => format!("{} faster", times(r)),
        Some(r) if r > 0.0 => format!("{} slower", times(1.0 / r)),
        _ => "changed".to_string(),
    }
}

/// The verdict on a point, in words.
pub fn verdict(p: &ComparedPoint) -> String {
    let p_value = p.p_value.map_or(String::new(), |v| {
        let v = if v < 0.001 {
            "p < 0.001".to_string()
        } else {
            format!("p = {v:.3}")
        };
        format!(" ({v}, adjusted)")
    });
    match p.change {
        Change::Faster => format!("{}, beyond the noise{p_value}", factor(p)),
        Change::Slower => format!("SLOWER: {}, beyond the noise{p_value}", factor(p)),
        Change::NoClearChange => format!("no clear change, within the noise{p_value}"),
        Change::TooFewRepetitions => "too few repetitions: no verdict".to_string(),
        Change::Flagged => format!("no verdict: {}", p.flags.join("; ")),
        Change::Missing => "measured in one file only".to_string(),
    }
}

/// The series of a point, with its regime unless it is the plain one (one lock, no work).
fn label(p: &ComparedPoint) -> String {
    if p.regime == Regime::default() {
        series_label(&p.series)
    } else {
        format!("{} · {}", series_label(&p.series), regime_label(&p.regime))
    }
}

fn cell(s: Option<Spread>) -> String {
    s.map_or("–".to_string(), |s| rate(s.median))
}

/// The changes in sentences, the clear ones first: "ticket is 1.32× faster at 2 threads, beyond
/// the noise." Then how many points show no clear change, and how many have no
/// verdict.
pub fn summary(c: &Comparison) -> Vec<String> {
    let mut out: Vec<String> = c
        .points
        .iter()
        .filter(|p| matches!(p.change, Change::Faster | Change::Slower))
        .map(|p| {
            format!(
                "{} is {} at {}, beyond the noise.",
                label(p),
                factor(p),
                workers(p.series.mode, p.workers)
            )
        })
        .collect();
    if out.is_empty() {
        out.push("Nothing is clearly faster or slower.".to_string());
    }
    let unclear = c
        .points
        .iter()
        .filter(|p| p.change == Change::NoClearChange)
        .count();
    if unclear > 0 {
        out.push(format!(
            "No clear change at {unclear} point{}: the difference is within the noise of the \
             repetitions.",
            if unclear == 1 { "" } else { "s" }
        ));
    }
    let unjudged = c
        .points
        .iter()
        .filter(|p| {
            matches!(
                p.change,
                Change::TooFewRepetitions | Change::Flagged | Change::Missing
            )
        })
        .count();
    if unjudged > 0 {
        out.push(format!(
            "No verdict at {unjudged} point{} (too few repetitions, a side that cannot be \
             trusted, or measured on one side only: see the table).",
            if unjudged == 1 { "" } else { "s" }
        ));
    }
    out
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
    let _ = writeln!(o, "verdicts: {}", c.method);
    let _ = writeln!(o);
    for line in summary(c) {
        let _ = writeln!(o, "{line}");
    }
    let _ = writeln!(o);
    let width = c
        .points
        .iter()
        .map(|r| label(r).chars().count())
        .max()
        .unwrap_or(0)
        .max("backend".len());
    let _ = writeln!(
        o,
        "{:<width$} {:>7} {:>14} {:>14} {:>8}  verdict",
        "backend", "workers", "before ops/s", "after ops/s", "ratio"
    );
    for r in &c.points {
        let _ = writeln!(
            o,
            "{:<width$} {:>7} {:>14} {:>14} {:>8}  {}",
            label(r),
            r.workers,
            cell(r.before),
            cell(r.after),
            r.ratio.map_or("–".to_string(), |x| format!("{x:.2}x")),
            verdict(r)
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
        .points
        .iter()
        .map(|r| HtmlRow {
            cells: vec![
                label(r),
                r.workers.to_string(),
                cell(r.before),
                cell(r.after),
                r.ratio.map_or("–".to_string(), |x| format!("{x:.2}x")),
                verdict(r),
            ],
            class: match r.change {
                Change::Faster => "faster",
                Change::Slower => "slower",
                Change::Flagged => "flagged",
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
            summary => summary(c),
            method => c.method.clone(),
            after => c.after_label.clone(),
            differences => minijinja::Value::from(minijinja::value::Serde(&c.differences)),
            rows => minijinja::Value::from(minijinja::value::Serde(&rows)),
        })?)
}
