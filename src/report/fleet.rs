//! A fleet in words and tables: per group of files that measured the same thing, where the
//! answer changes between machines (sentences first), the machines with the facts that explain
//! it, and per point the matrix of machine × lock, absolute and against each machine's `std`.
//! One Markdown summary and one page, from the same sections.

use std::fmt::Write;

use minijinja::Environment;
use serde::Serialize;

use super::format::{
    cost as format_cost, costs_line, duration_ns, rate, regime_label, series_label, typical,
    workers,
};
use super::verdict::times;
use crate::model::{
    Answer, Fleet, FleetGroup, FleetMachine, FleetPoint, Range, SeriesKey, WorkerMode,
};

/// A table: its header and rows of cells, each row with a class for the page.
#[derive(Serialize)]
struct Table {
    header: Vec<String>,
    rows: Vec<Row>,
}

#[derive(Serialize)]
struct Row {
    cells: Vec<String>,
    class: &'static str,
}

/// A section of the report: a heading, sentences, and tables with their captions.
#[derive(Serialize)]
struct Section {
    heading: String,
    level: u8,
    sentences: Vec<String>,
    tables: Vec<(String, Table)>,
}

/// "2 threads", or "2 workers" when the point mixes threads and processes.
fn at(p: &FleetPoint) -> String {
    if p.series.iter().all(|s| s.mode == WorkerMode::Threads) {
        workers(WorkerMode::Threads, p.workers)
    } else if p.series.iter().all(|s| s.mode == WorkerMode::Processes) {
        workers(WorkerMode::Processes, p.workers)
    } else {
        format!("{} workers", p.workers)
    }
}

/// A machine's name with its CPUs, as the sentences name it: "host-a (16 CPUs)".
fn named(m: &FleetMachine) -> String {
    format!("{} ({} CPUs)", m.label, m.allowed_cpus)
}

/// Names in a list: "a", "a and b", "a, b and c".
fn listed(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// The point in words, where the grouping has more than one regime: "64 locks, 2 threads".
fn point_label(g: &FleetGroup, p: &FleetPoint) -> String {
    let many_regimes = g.points.iter().any(|q| q.regime != g.points[0].regime);
    if many_regimes {
        format!("{}, {}", regime_label(&p.regime), at(p))
    } else {
        at(p)
    }
}

/// What the machines say at one point, in one sentence: "ticket wins at 2 threads on 3 of 5
/// machines (a, b, c); on d (64 CPUs), parking-lot does; on e, std and spin lead together."
pub fn point_sentence(g: &FleetGroup, p: &FleetPoint) -> String {
    let where_ = point_label(g, p);
    let n = hosts(g, p.rows.iter().map(|r| r.machine));
    // Each answer and the machines that gave it, the most common first.
    let mut answers: Vec<(String, bool, Vec<usize>)> = Vec::new();
    for row in &p.rows {
        let (said, clear) = match &row.answer {
            Answer::Clear { winner, .. } => (series_label(winner), true),
            Answer::Together { leaders } => (
                format!(
                    "{} lead together",
                    listed(&leaders.iter().map(series_label).collect::<Vec<_>>())
                ),
                false,
            ),
            Answer::Unjudged { .. } => ("there is no verdict".to_string(), false),
        };
        match answers.iter_mut().find(|(s, _, _)| *s == said) {
            Some((_, _, machines)) => machines.push(row.machine),
            None => answers.push((said, clear, vec![row.machine])),
        }
    }
    let answers: Vec<(String, bool, Vec<String>, usize)> = answers
        .into_iter()
        .map(|(said, clear, rows)| {
            let names = rows.iter().map(|&m| named(&g.machines[m])).collect();
            (said, clear, names, hosts(g, rows.into_iter()))
        })
        .collect();
    let mut answers = answers;
    answers
        .sort_by_key(|(_, clear, _, hosts)| (std::cmp::Reverse(*clear), std::cmp::Reverse(*hosts)));
    let Some((first, first_clear, first_machines, first_hosts)) = answers.first() else {
        return format!("Nothing was measured at {where_}.");
    };
    let mut parts = Vec::new();
    if *first_clear {
        if answers.len() == 1 && n > 1 {
            return format!(
                "{first} wins at {where_} on every machine ({n}), beyond the noise on each."
            );
        }
        if answers.len() == 1 {
            return format!(
                "{first} wins at {where_} on the one machine measured ({}), beyond the noise.",
                listed(first_machines)
            );
        }
        parts.push(format!(
            "{first} wins at {where_} on {first_hosts} of {n} machines ({})",
            listed(first_machines)
        ));
    } else {
        parts.push(format!(
            "At {where_}, no machine names one lock: on {}, {first}",
            listed(first_machines)
        ));
    }
    for (said, clear, machines, _) in &answers[1..] {
        parts.push(if *clear {
            format!("on {}, {said} does", listed(machines))
        } else {
            format!("on {}, {said}", listed(machines))
        });
    }
    parts.join("; ") + "."
}

/// How many machines the group's files `rows` come from: files of one host (its name and CPU
/// model) are one machine.
fn hosts(g: &FleetGroup, rows: impl Iterator<Item = usize>) -> usize {
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for m in rows {
        let machine = &g.machines[m];
        let id = (machine.host.as_str(), machine.cpu_model.as_str());
        // Files written before the host was kept: each its own machine.
        if id.0.is_empty() || !seen.contains(&id) {
            seen.push(id);
        }
    }
    seen.len()
}

/// Files of the group measured on a host that measured another too, in a sentence: they count
/// as one machine.
fn same_hosts(g: &FleetGroup) -> Option<String> {
    let same = |a: &FleetMachine, b: &FleetMachine| a.host == b.host && a.cpu_model == b.cpu_model;
    let mut repeated: Vec<(&FleetMachine, usize)> = Vec::new();
    for m in &g.machines {
        let n = g.machines.iter().filter(|o| same(o, m)).count();
        if n > 1 && !m.host.is_empty() && !repeated.iter().any(|(r, _)| same(r, m)) {
            repeated.push((m, n));
        }
    }
    (!repeated.is_empty()).then(|| {
        let each: Vec<String> = repeated
            .iter()
            .map(|(m, n)| format!("{n} files of {} ({})", m.host, m.cpu_model))
            .collect();
        format!(
            "{}: one machine measured more than once, counted as one machine.",
            listed(&each)
        )
    })
}

/// Whether the machines name different winners at `p` (beyond the noise on each).
pub fn answer_changes(p: &FleetPoint) -> bool {
    let winners: Vec<&SeriesKey> = p
        .rows
        .iter()
        .filter_map(|r| match &r.answer {
            Answer::Clear { winner, .. } => Some(winner),
            _ => None,
        })
        .collect();
    winners.iter().any(|w| *w != winners[0])
}

/// The group's sentences: where the answer changes first, then every point.
pub fn group_sentences(g: &FleetGroup) -> Vec<String> {
    let changes: Vec<String> = g
        .points
        .iter()
        .filter(|p| answer_changes(p))
        .map(|p| point_label(g, p))
        .collect();
    let mut out = vec![if changes.is_empty() {
        "No two machines name different winners at any point (where a machine names none, no \
         lock is ahead of the others beyond the noise there)."
            .to_string()
    } else {
        format!(
            "The answer changes between machines at {} of {} points: {}.",
            changes.len(),
            g.points.len(),
            listed(&changes)
        )
    }];
    out.extend(same_hosts(g));
    out.extend(g.points.iter().map(|p| point_sentence(g, p)));
    out
}

/// The machines and the facts that explain their answers.
fn machines_table(g: &FleetGroup) -> Table {
    type Figure = fn(&crate::model::MachineCosts) -> Option<(f64, Option<Range>)>;
    let cost = |m: &FleetMachine, f: Figure| {
        m.costs
            .as_ref()
            .and_then(f)
            .map_or("–".to_string(), |(ns, range)| format_cost(ns, range))
    };
    let wake = |m: &FleetMachine, f: Figure| {
        m.costs
            .as_ref()
            .and_then(f)
            .map_or("–".to_string(), |(ns, range)| typical(ns, range))
    };
    let ranges = |c: &crate::model::MachineCosts| c.ranges.clone().unwrap_or_default();
    Table {
        header: [
            "machine",
            "CPU",
            "CPUs (allowed / cores)",
            "virtual",
            "pause",
            "core-to-core round trip",
            "futex wake",
            "wake-up",
            "context switch",
            "timer floor",
            "lockbench",
            "file",
        ]
        .map(String::from)
        .to_vec(),
        rows: g
            .machines
            .iter()
            .map(|m| Row {
                cells: vec![
                    m.label.clone(),
                    m.cpu_model.clone(),
                    format!(
                        "{} / {}",
                        m.allowed_cpus,
                        m.physical_cores.map_or("?".to_string(), |c| c.to_string())
                    ),
                    match m.virtualized {
                        Some(true) => "yes",
                        Some(false) => "no",
                        None => "?",
                    }
                    .to_string(),
                    pause(m),
                    m.costs
                        .as_ref()
                        .filter(|c| !c.core_to_core.is_empty())
                        .map_or("–".to_string(), |c| {
                            c.core_to_core
                                .iter()
                                .enumerate()
                                .map(|(i, t)| {
                                    let range = ranges(c).core_to_core_ns.get(i).copied();
                                    let trip = format_cost(t.round_trip_ns, range);
                                    format!("{}→{} {trip}", t.from, t.to)
                                })
                                .collect::<Vec<_>>()
                                .join(", ")
                        }),
                    wake(m, |c| {
                        Some((c.futex_wake_ns?, c.ranges.as_ref()?.futex_wake_ns))
                            .or(c.futex_wake_ns.map(|ns| (ns, None)))
                    }),
                    wake(m, |c| {
                        Some((c.wakeup_ns?, c.ranges.as_ref()?.wakeup_ns))
                            .or(c.wakeup_ns.map(|ns| (ns, None)))
                    }),
                    cost(m, |c| {
                        Some((c.context_switch_ns?, c.ranges.as_ref()?.context_switch_ns))
                            .or(c.context_switch_ns.map(|ns| (ns, None)))
                    }),
                    if m.timer_floor_ns > 0.0 {
                        duration_ns(m.timer_floor_ns)
                    } else {
                        "–".to_string()
                    },
                    m.lockbench_version.clone(),
                    m.file.clone(),
                ],
                class: "",
            })
            .collect(),
    }
}

/// The spin hint's cost: "12.3 ns (41 cycles)".
fn pause(m: &FleetMachine) -> String {
    if m.pause_ns <= 0.0 {
        return "–".to_string();
    }
    let range = m.costs.as_ref().and_then(|c| c.ranges.as_ref()?.pause_ns);
    match m.costs.as_ref().and_then(|c| c.pause_cycles) {
        Some(cycles) => format!("{} ({cycles:.0} cycles)", format_cost(m.pause_ns, range)),
        None => format_cost(m.pause_ns, range),
    }
}

/// One point's matrix: a row per machine, its verdict and every lock's throughput, with its
/// ratio to the machine's own `std`.
fn point_table(g: &FleetGroup, p: &FleetPoint) -> Table {
    let mut header = vec!["machine".to_string(), "its verdict".to_string()];
    header.extend(p.series.iter().map(series_label));
    Table {
        header,
        rows: p
            .rows
            .iter()
            .map(|row| {
                let m = &g.machines[row.machine];
                let mut cells = vec![
                    if row.oversubscribed {
                        format!("{} (more workers than CPUs)", m.label)
                    } else {
                        m.label.clone()
                    },
                    match &row.answer {
                        Answer::Clear { winner, ratio } if ratio.is_finite() => {
                            format!("{}, {} the next", series_label(winner), times(*ratio))
                        }
                        Answer::Clear { winner, .. } => series_label(winner),
                        Answer::Together { leaders } => format!(
                            "{} together",
                            listed(&leaders.iter().map(series_label).collect::<Vec<_>>())
                        ),
                        Answer::Unjudged { why } => format!("no verdict: {why}"),
                    },
                ];
                cells.extend(row.cells.iter().map(|c| match c {
                    Some(c) => match c.vs_std {
                        Some(x) => format!("{} ({})", rate(c.ops_per_sec.median), times(x)),
                        None => rate(c.ops_per_sec.median),
                    },
                    None => "–".to_string(),
                }));
                Row {
                    cells,
                    class: if matches!(row.answer, Answer::Clear { .. }) {
                        "clear"
                    } else {
                        ""
                    },
                }
            })
            .collect(),
    }
}

/// Every section of the report, in order.
fn sections(f: &Fleet) -> Vec<Section> {
    let mut out = Vec::new();
    for (i, g) in f.groups.iter().enumerate() {
        let mut tables = vec![("Machines".to_string(), machines_table(g))];
        if !g.differences.is_empty() {
            let mut header = vec!["setting".to_string()];
            header.extend(g.machines.iter().map(|m| m.label.clone()));
            tables.push((
                "What differs between the files (points are matched on these; nothing is mixed)"
                    .to_string(),
                Table {
                    header,
                    rows: g
                        .differences
                        .iter()
                        .map(|d| Row {
                            cells: std::iter::once(d.what.clone())
                                .chain(d.values.iter().cloned())
                                .collect(),
                            class: "",
                        })
                        .collect(),
                },
            ));
        }
        out.push(Section {
            heading: format!(
                "Group {}: {} ({} machines)",
                i + 1,
                g.settings,
                g.machines.len()
            ),
            level: 2,
            sentences: group_sentences(g),
            tables,
        });
        for p in &g.points {
            out.push(Section {
                heading: capitalised(&point_label(g, p)),
                level: 3,
                sentences: Vec::new(),
                tables: vec![(
                    "Median operations per second, and against the machine's own std".to_string(),
                    point_table(g, p),
                )],
            });
        }
    }
    if !f.set_apart.is_empty() {
        out.push(Section {
            heading: "Set apart".to_string(),
            level: 2,
            sentences: f
                .set_apart
                .iter()
                .map(|s| {
                    format!(
                        "{} measured {}, which no other file did: it is not read beside any.",
                        s.file, s.measured
                    )
                })
                .collect(),
            tables: Vec::new(),
        });
    }
    out
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next().map_or(String::new(), |first| {
        first.to_uppercase().chain(c).collect()
    })
}

/// The words a fleet opens with: how many files, machines and groups.
fn opening(f: &Fleet) -> String {
    let files: usize = f.groups.iter().map(|g| g.machines.len()).sum::<usize>() + f.set_apart.len();
    format!(
        "{files} results files, read as {} group{} of files that measured the same workload \
         with the same settings. Each machine's verdict is its own sweep's, by the ranking rule \
         every verdict uses: a lock is named only where it is ahead beyond the noise of the \
         repetitions on that machine, the error over all its claims held at 10%. Throughput is shown as measured and against the \
         same machine's std, so that machines of different speeds read together.",
        f.groups.len(),
        if f.groups.len() == 1 { "" } else { "s" }
    )
}

/// The fleet as Markdown.
pub fn render_markdown(f: &Fleet) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# lockbench fleet\n\n{}\n", opening(f));
    for s in sections(f) {
        let _ = writeln!(o, "{} {}\n", "#".repeat(usize::from(s.level)), s.heading);
        for line in &s.sentences {
            let _ = writeln!(o, "- {line}");
        }
        if !s.sentences.is_empty() {
            let _ = writeln!(o);
        }
        for (caption, t) in &s.tables {
            let _ = writeln!(o, "{caption}:\n");
            let _ = writeln!(o, "| {} |", t.header.join(" | "));
            let _ = writeln!(o, "|{}", "---|".repeat(t.header.len()));
            for r in &t.rows {
                let cells: Vec<String> = r.cells.iter().map(|c| c.replace('|', "\\|")).collect();
                let _ = writeln!(o, "| {} |", cells.join(" | "));
            }
            let _ = writeln!(o);
        }
    }
    o
}

/// The fleet's sentences for the terminal.
pub fn render_text(f: &Fleet) -> String {
    let mut o = String::new();
    for (i, g) in f.groups.iter().enumerate() {
        let names: Vec<String> = g.machines.iter().map(named).collect();
        let _ = writeln!(
            o,
            "group {}: {}; machines {}",
            i + 1,
            g.settings,
            listed(&names)
        );
        for m in &g.machines {
            if let Some(c) = &m.costs {
                let _ = writeln!(o, "  {}: {}", m.label, costs_line(c));
            }
        }
        for d in &g.differences {
            let _ = writeln!(o, "  differs: {}: {}", d.what, d.values.join(" / "));
        }
        for line in group_sentences(g) {
            let _ = writeln!(o, "  {line}");
        }
    }
    for s in &f.set_apart {
        let _ = writeln!(o, "set apart: {} ({})", s.file, s.measured);
    }
    o
}

const TEMPLATE: &str = include_str!("templates/fleet.html");

/// The fleet as one self-contained page.
pub fn render_html(f: &Fleet) -> anyhow::Result<String> {
    let mut env = Environment::new();
    env.add_template("fleet.html", TEMPLATE)?;
    Ok(env
        .get_template("fleet.html")?
        .render(minijinja::context! {
            opening => opening(f),
            sections => minijinja::Value::from(minijinja::value::Serde(&sections(f))),
        })?)
}
