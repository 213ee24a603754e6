//! index.html: one self-contained page (inline SVG charts and CSS, no script, no network),
//! rendered from `templates/report.html` with context structs of pre-formatted strings.

use minijinja::Environment;
use serde::Serialize;

use super::charts;
use super::format::{duration_ns, grouped, series_label};
use super::markdown::{COLUMNS, cells};
use crate::model::SweepResults;

const TEMPLATE: &str = include_str!("templates/report.html");

#[derive(Serialize)]
struct Fact {
    name: String,
    value: String,
}

#[derive(Serialize)]
struct Note {
    text: String,
    severe: bool,
}

#[derive(Serialize)]
struct Backend {
    name: String,
    colour: String,
    summary: String,
}

#[derive(Serialize)]
struct Row {
    failed: bool,
    cells: Vec<String>,
}

#[derive(Serialize)]
struct Page {
    title: String,
    subtitle: String,
    command: String,
    version: String,
    notes: Vec<Note>,
    log_default: bool,
    throughput_linear: String,
    throughput_log: String,
    latency: Vec<String>,
    fairness: Option<String>,
    handoffs: Option<String>,
    columns: Vec<&'static str>,
    rows: Vec<Row>,
    backends: Vec<Backend>,
    environment: Vec<Fact>,
}

fn fact(name: &str, value: impl ToString) -> Fact {
    Fact {
        name: name.to_string(),
        value: value.to_string(),
    }
}

fn chart_or_note(chart: Result<String, String>) -> String {
    chart.unwrap_or_else(|e| format!("<p>No chart: {}</p>", minijinja::HtmlEscape(&e)))
}

/// The page.
pub fn render(r: &SweepResults) -> anyhow::Result<String> {
    let s = &r.settings;
    let e = &r.environment;
    let keys = &r.series();
    let measured: Vec<_> = r
        .points
        .iter()
        .filter(|p| !p.repetitions.is_empty())
        .cloned()
        .collect();
    let threads: Vec<usize> = r.worker_counts();
    let cpus = e.allowed_cpus.len();

    let mut page_notes = Vec::new();
    if !r.complete {
        page_notes.push(Note {
            text:
                "The sweep did not finish: this page shows the points measured before it stopped."
                    .into(),
            severe: true,
        });
    }
    for p in r.failed_points() {
        page_notes.push(Note {
            text: format!(
                "{} at {} threads LOST {} UPDATES: the lock failed to exclude concurrent updates.",
                series_label(&p.key()),
                p.threads,
                grouped(p.lost_updates)
            ),
            severe: true,
        });
    }
    for p in measured
        .iter()
        .filter(|p| !p.failed_verification && p.lost_updates > 0)
    {
        page_notes.push(Note {
            text: format!(
                "{} at {} threads lost {} updates over {} runs: no lock, as expected.",
                series_label(&p.key()),
                p.threads,
                grouped(p.lost_updates),
                p.repetitions.len()
            ),
            severe: false,
        });
    }
    if let Some(max) = threads.iter().copied().max().filter(|&t| t > cpus) {
        page_notes.push(Note {
            text: format!("Points above {cpus} threads are oversubscribed: this process may use {cpus} CPUs, the sweep went up to {max} threads."),
            severe: false,
        });
    }
    let incomplete: Vec<String> = measured
        .iter()
        .filter(|p| p.incomplete)
        .map(|p| format!("{} at {}", series_label(&p.key()), p.threads))
        .collect();
    if !incomplete.is_empty() {
        page_notes.push(Note {
            text: format!(
                "Stopped by the time limit ({} per run): {}.",
                duration_ns(s.max_time_ms as f64 * 1e6),
                incomplete.join(", ")
            ),
            severe: true,
        });
    }
    let wide: Vec<String> = measured
        .iter()
        .filter(|p| p.wide_spread)
        .map(|p| format!("{} at {}", series_label(&p.key()), p.threads))
        .collect();
    if !wide.is_empty() {
        page_notes.push(Note {
            text: format!(
                "Wide spread between repetitions (more than 25%): {}.",
                wide.join(", ")
            ),
            severe: false,
        });
    }

    let spans = {
        let v: Vec<f64> = measured
            .iter()
            .filter_map(|p| p.ops_per_sec.map(|s| s.median))
            .filter(|v| *v > 0.0)
            .collect();
        let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = v.iter().copied().fold(0.0, f64::max);
        hi / lo
    };
    let rows = measured
        .iter()
        .map(|p| Row {
            failed: p.failed_verification,
            cells: cells(p),
        })
        .collect();

    let page = Page {
        title: format!("lockbench: {} on {}", s.backends.join(", "), e.hostname),
        subtitle: format!(
            "{} · {} workload, {} operations per run · {} repetitions per point · pin {} · started {}",
            e.cpu_model,
            s.workload.name(),
            grouped(s.ops),
            s.repeat,
            s.pin,
            r.started_utc
        ),
        command: r.command.clone(),
        version: e.lockbench_version.clone(),
        notes: page_notes,
        log_default: spans > 50.0,
        throughput_linear: chart_or_note(charts::throughput(&measured, keys, &threads, false)),
        throughput_log: chart_or_note(charts::throughput(&measured, keys, &threads, true)),
        latency: threads
            .iter()
            .filter_map(|&t| charts::latency_percentiles(&measured, keys, t).ok())
            .collect(),
        fairness: charts::fairness(&measured, keys, &threads).ok(),
        handoffs: charts::handoffs(&measured, keys, &threads).ok(),
        columns: COLUMNS.to_vec(),
        rows,
        backends: keys
            .iter()
            .enumerate()
            .map(|(i, key)| Backend {
                name: series_label(key),
                colour: charts::css_colour(i),
                summary: r
                    .facts(&key.backend)
                    .map_or_else(String::new, |f| f.summary.clone()),
            })
            .collect(),
        environment: vec![
            fact("host", &e.hostname),
            fact("CPU", &e.cpu_model),
            fact(
                "logical CPUs",
                format!(
                    "{} ({} allowed: {:?})",
                    e.logical_cpus,
                    e.allowed_cpus.len(),
                    e.allowed_cpus
                ),
            ),
            fact("kernel", &e.kernel),
            fact("OS", &e.os),
            fact("compiler", &e.rustc),
            fact(
                "lockbench",
                format!(
                    "{}{}",
                    e.lockbench_version,
                    if e.optimized_build {
                        ""
                    } else {
                        " (debug build: figures not representative)"
                    }
                ),
            ),
            fact(
                "clock",
                format!(
                    "{}, {:.1} ns per reading",
                    e.clock.source, e.clock.read_cost_ns
                ),
            ),
            fact(
                "run settings",
                format!(
                    "{} increments, cs-work {}, think {}, latency {}, time limit {}",
                    grouped(s.ops),
                    duration_ns(s.cs_work_ns as f64),
                    duration_ns(s.think_ns as f64),
                    s.latency,
                    duration_ns(s.max_time_ms as f64 * 1e6)
                ),
            ),
        ],
    };
    let mut env = Environment::new();
    env.add_template("report.html", TEMPLATE)?;
    Ok(env
        .get_template("report.html")?
        .render(minijinja::Value::from(minijinja::value::Serde(&page)))?)
}
