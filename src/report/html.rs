//! index.html: one self-contained page (inline SVG charts and CSS, no script, no network),
//! rendered from `templates/report.html` with context structs of pre-formatted strings.

use minijinja::Environment;
use serde::Serialize;

use super::charts::{self, Palette, Size};
use super::format::{duration_ns, grouped, machine_facts, regime_label, series_label, workers};
use super::markdown::{COLUMNS, cells, run_length};
use super::verdict::{Paragraph, paragraphs};
use crate::model::{Findings, Point, Regime, SweepResults, WorkerMode};

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
    /// Drawn dashed (the processes series).
    dashed: bool,
    summary: String,
}

#[derive(Serialize)]
struct Row {
    failed: bool,
    cells: Vec<String>,
}

/// The charts of one contention regime.
#[derive(Serialize)]
struct Section {
    /// The regime, when the sweep has more than one.
    title: Option<String>,
    /// What follows each heading: the regime again, briefly.
    suffix: String,
    log_default: bool,
    /// The headline, [linear, log] × [wide, small (for a phone)].
    throughput: [[String; 2]; 2],
    cpu: Option<String>,
    utilisation: Option<String>,
    latency: Vec<String>,
    fairness: Option<String>,
    handoffs: Option<String>,
    /// The rw workload's reads and writes per second.
    reads: Option<String>,
    writes: Option<String>,
}

#[derive(Serialize)]
struct Page {
    title: String,
    subtitle: String,
    command: String,
    version: String,
    verdict: Vec<Paragraph>,
    notes: Vec<Note>,
    sections: Vec<Section>,
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

/// The page, with the verdict `f` first.
pub fn render(r: &SweepResults, f: &Findings) -> anyhow::Result<String> {
    let settings = &r.settings;
    let env = &r.environment;
    let keys = &r.series();
    let palette = Palette::of(keys);
    let measured: Vec<_> = r
        .points
        .iter()
        .filter(|p| !p.repetitions.is_empty())
        .cloned()
        .collect();
    let threads: Vec<usize> = r.worker_counts();
    let page_notes = notes(r, &measured, &threads);
    let regimes = r.regimes();
    let sections = regimes
        .iter()
        .map(|regime| {
            let points: Vec<Point> = measured
                .iter()
                .filter(|p| p.regime == *regime)
                .cloned()
                .collect();
            section(
                &points,
                keys,
                &threads,
                (regimes.len() > 1).then_some(regime),
            )
        })
        .collect();
    let rows = measured
        .iter()
        .map(|p| Row {
            failed: p.failed_verification,
            cells: cells(p),
        })
        .collect();

    let page = Page {
        title: format!(
            "lockbench: {} on {}",
            settings.backends.join(", "),
            env.hostname
        ),
        subtitle: format!(
            "{} · {} workload, {} per run · {} repetitions per point · pin {} · started {}",
            env.cpu_model,
            settings.workload.name(),
            run_length(settings),
            settings.repeat,
            settings.pin,
            r.started_utc
        ),
        command: r.command.clone(),
        version: env.lockbench_version.clone(),
        verdict: paragraphs(f),
        notes: page_notes,
        sections,
        columns: COLUMNS.to_vec(),
        rows,
        backends: keys
            .iter()
            .map(|key| Backend {
                name: series_label(key),
                colour: palette.css(&key.backend),
                dashed: key.mode == WorkerMode::Processes,
                summary: r
                    .facts(&key.backend)
                    .map_or_else(String::new, |f| f.summary.clone()),
            })
            .collect(),
        environment: facts(r),
    };
    let mut env = Environment::new();
    env.add_template("report.html", TEMPLATE)?;
    Ok(env
        .get_template("report.html")?
        .render(minijinja::Value::from(minijinja::value::Serde(&page)))?)
}

/// The charts of the `points` of one regime (named when the sweep has several).
fn section(
    points: &[Point],
    keys: &[crate::model::SeriesKey],
    threads: &[usize],
    regime: Option<&Regime>,
) -> Section {
    // How many times the fastest median exceeds the slowest: past 50x, the log axis first.
    let spans = {
        let medians: Vec<f64> = points
            .iter()
            .filter_map(|p| p.ops_per_sec.map(|spread| spread.median))
            .filter(|median| *median > 0.0)
            .collect();
        let lo = medians.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = medians.iter().copied().fold(0.0, f64::max);
        hi / lo
    };
    Section {
        title: regime.map(regime_label),
        suffix: regime.map_or_else(String::new, |r| format!(" ({})", regime_label(r))),
        log_default: spans > 50.0,
        throughput: [false, true].map(|log| {
            [Size::Wide, Size::Small]
                .map(|size| chart_or_note(charts::throughput(points, keys, threads, log, size)))
        }),
        cpu: charts::cpu_per_op(points, keys, threads).ok(),
        utilisation: charts::utilisation(points, keys, threads).ok(),
        latency: threads
            .iter()
            .filter_map(|&t| charts::latency_percentiles(points, keys, t).ok())
            .collect(),
        fairness: charts::fairness(points, keys, threads).ok(),
        handoffs: charts::handoffs(points, keys, threads).ok(),
        reads: charts::read_write(points, keys, threads, true),
        writes: charts::read_write(points, keys, threads, false),
    }
}

/// The notes above the charts: what did not finish, what lost updates, what ran
/// oversubscribed, stopped at the time limit, or spread widely.
fn notes(r: &SweepResults, measured: &[Point], worker_counts: &[usize]) -> Vec<Note> {
    let settings = &r.settings;
    let cpus = r.environment.allowed_cpus.len();
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
        let what = if p.lost_updates > 0 {
            format!("LOST {} UPDATES", grouped(p.lost_updates))
        } else if p.exclusion_violations == 0 && p.torn_reads > 0 {
            format!(
                "LET A READER SEE A WRITE HALF DONE {} times",
                grouped(p.torn_reads)
            )
        } else {
            format!(
                "LET TWO WORKERS INTO THE CRITICAL SECTION {} times",
                grouped(p.exclusion_violations)
            )
        };
        page_notes.push(Note {
            text: format!(
                "{} with {} {what}: the lock failed to exclude concurrent updates.",
                p.backend,
                workers(p.mode, p.workers),
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
                "{} with {} lost {} updates over {} runs: no lock, as expected.",
                p.backend,
                workers(p.mode, p.workers),
                grouped(p.lost_updates),
                p.repetitions.len()
            ),
            severe: false,
        });
    }
    if let Some(warning) = r.environment.busy_warning() {
        page_notes.push(Note {
            text: format!("Warning: {warning}."),
            severe: r.environment.other_runnable.is_some_and(|n| n > 0),
        });
    }
    if let Some(max) = worker_counts.iter().copied().max().filter(|&t| t > cpus) {
        page_notes.push(Note {
            text: format!("Points above {cpus} threads are oversubscribed: this process may use {cpus} CPUs, the sweep went up to {max} threads."),
            severe: false,
        });
    }
    let incomplete: Vec<String> = measured
        .iter()
        .filter(|p| p.incomplete)
        .map(|p| format!("{} at {}", series_label(&p.key()), p.workers))
        .collect();
    if !incomplete.is_empty() {
        page_notes.push(Note {
            text: format!(
                "Stopped by the time limit ({} per run): {}.",
                duration_ns(settings.max_time_ms as f64 * 1e6),
                incomplete.join(", ")
            ),
            severe: true,
        });
    }
    let short: Vec<String> = measured
        .iter()
        .filter(|p| p.short_runs > 0)
        .map(|p| format!("{} at {}", series_label(&p.key()), p.workers))
        .collect();
    if !short.is_empty() {
        page_notes.push(Note {
            text: format!(
                "Short runs (under 100 ms, or workers overlapping for less than half of the run): a few scheduler time slices decide such figures; rerun with --duration (e.g. --duration 2s): {}.",
                short.join(", ")
            ),
            severe: false,
        });
    }
    let slowed: u32 = measured.iter().map(|p| p.speed_changed_runs).sum();
    if slowed > 0 {
        page_notes.push(Note {
            text: format!(
                "The machine's speed changed by more than 10% during {slowed} run(s) (a work-loop probe before and after each run): their figures are not comparable with the others."
            ),
            severe: true,
        });
    }
    let wide: Vec<String> = measured
        .iter()
        .filter(|p| p.wide_spread)
        .map(|p| format!("{} at {}", series_label(&p.key()), p.workers))
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

    page_notes
}

/// The environment and settings, as the page's table of facts.
fn facts(r: &SweepResults) -> Vec<Fact> {
    let settings = &r.settings;
    let env = &r.environment;
    let mut facts = vec![
        fact("host", &env.hostname),
        fact("CPU", &env.cpu_model),
        fact(
            "logical CPUs",
            format!(
                "{} ({} allowed: {:?})",
                env.logical_cpus,
                env.allowed_cpus.len(),
                env.allowed_cpus
            ),
        ),
        fact("kernel", &env.kernel),
        fact("OS", &env.os),
        fact("compiler", &env.rustc),
        fact(
            "lockbench",
            format!(
                "{}{}",
                env.lockbench_version,
                if env.optimized_build {
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
                env.clock.source, env.clock.read_cost_ns
            ),
        ),
        fact(
            "run settings",
            format!(
                "{} per run; {}; work unit {}, latency {}, time limit {}",
                run_length(settings),
                settings
                    .regimes
                    .iter()
                    .map(regime_label)
                    .collect::<Vec<_>>()
                    .join(" / "),
                settings.work_unit.name(),
                settings.latency,
                duration_ns(settings.max_time_ms as f64 * 1e6)
            ),
        ),
    ];
    // Files written before these were recorded carry none of them.
    for (name, value) in machine_facts(env) {
        facts.insert(facts.len() - 1, fact(name, value));
    }
    // Files written before this was measured carry no figure.
    if env.pause_ns > 0.0 {
        facts.insert(
            facts.len() - 1,
            fact(
                "spin-wait hint",
                format!("{:.1} ns per pause", env.pause_ns),
            ),
        );
    }
    facts
}
