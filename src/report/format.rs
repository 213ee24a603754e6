//! Formatting shared by the text outputs: numbers, durations, and the labels of series and
//! worker counts (results carry values; their words are made here).

use crate::model::{Environment, MachineCosts, Range, Regime, SeriesKey, WorkerMode};

/// A series' label: the backend, marked when its workers are processes.
pub fn series_label(key: &SeriesKey) -> String {
    match key.mode {
        WorkerMode::Threads => key.backend.clone(),
        WorkerMode::Processes => format!("{} (processes)", key.backend),
        WorkerMode::Tasks => format!("{} (tasks)", key.backend),
    }
}

/// A contention regime in words: "1 lock", "64 locks, cs-work 1.00 µs, think 500 ns".
pub fn regime_label(r: &Regime) -> String {
    let mut parts = vec![if r.locks == 1 {
        "1 lock".to_string()
    } else {
        format!("{} locks", grouped(r.locks))
    }];
    parts.extend(work_parts(r));
    parts.join(", ")
}

/// A regime's work and scheduling in words, its lock count left out: "cs-work 1.00 µs",
/// "think mean 500 ns, drawn per operation", "noise 2 CPU hogs".
pub fn work_parts(r: &Regime) -> Vec<String> {
    let mut parts = Vec::new();
    // Drawn lengths are named by their means.
    let mean = if r.drawn { "mean " } else { "" };
    if r.cs_work_ns > 0 {
        parts.push(format!(
            "cs-work {mean}{}",
            duration_ns(r.cs_work_ns as f64)
        ));
    }
    if r.think_ns > 0 {
        parts.push(format!("think {mean}{}", duration_ns(r.think_ns as f64)));
    }
    if r.drawn {
        parts.push("drawn per operation".to_string());
    }
    if r.noise > 0 {
        parts.push(format!(
            "noise {} CPU hog{}",
            r.noise,
            if r.noise == 1 { "" } else { "s" }
        ));
    }
    parts
}

/// "thread" or "process".
pub fn worker_noun(mode: WorkerMode) -> &'static str {
    match mode {
        WorkerMode::Threads => "thread",
        WorkerMode::Processes => "process",
        WorkerMode::Tasks => "task",
    }
}

/// "threads" or "processes", as results.csv names the mode.
pub fn mode_name(mode: WorkerMode) -> &'static str {
    match mode {
        WorkerMode::Threads => "threads",
        WorkerMode::Processes => "processes",
        WorkerMode::Tasks => "tasks",
    }
}

/// "1 thread", "2 processes": a worker count in words.
pub fn workers(mode: WorkerMode, n: usize) -> String {
    let plural = match (n, mode) {
        (1, _) => "",
        (_, WorkerMode::Threads | WorkerMode::Tasks) => "s",
        (_, WorkerMode::Processes) => "es",
    };
    format!("{n} {}{plural}", worker_noun(mode))
}

/// `1234567` as `1,234,567`.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A signed number with thousands separators (`-1,234`).
pub fn signed(n: i64) -> String {
    if n < 0 {
        format!("-{}", grouped(n.unsigned_abs()))
    } else {
        grouped(n as u64)
    }
}

/// A duration in ns, with a unit that keeps 3 significant figures (`81.2 ns`, `4.51 ms`).
pub fn duration_ns(ns: f64) -> String {
    let (value, unit) = if ns < 1e3 {
        (ns, "ns")
    } else if ns < 1e6 {
        (ns / 1e3, "µs")
    } else if ns < 1e9 {
        (ns / 1e6, "ms")
    } else {
        (ns / 1e9, "s")
    };
    format!("{} {unit}", three_figures(value))
}

/// A rate with an SI prefix (`12.3 M`).
pub fn rate(per_sec: f64) -> String {
    let (value, prefix) = if per_sec >= 1e9 {
        (per_sec / 1e9, "G")
    } else if per_sec >= 1e6 {
        (per_sec / 1e6, "M")
    } else if per_sec >= 1e3 {
        (per_sec / 1e3, "k")
    } else {
        (per_sec, "")
    };
    format!("{} {prefix}", three_figures(value))
}

/// A fraction as a percentage with one decimal.
pub fn percent(fraction: f64) -> String {
    format!("{:.1}%", fraction * 100.0)
}

fn three_figures(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// "1 socket", "2 sockets".
fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// The machine facts that change a lock benchmark's answer, as (name, value) lines, each only
/// where the results know it (files written before these facts were recorded give none).
pub fn machine_facts(e: &Environment) -> Vec<(&'static str, String)> {
    let mut facts = Vec::new();
    let topology: Vec<String> = [
        e.physical_cores.map(|n| count(n, "physical core")),
        e.threads_per_core.map(|n| count(n, "thread") + " per core"),
        e.sockets.map(|n| count(n, "socket")),
        e.numa_nodes.map(|n| count(n, "NUMA node")),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !topology.is_empty() {
        facts.push(("topology", topology.join(", ")));
    }
    if let Some(v) = e.virtualized {
        let value = match (v, &e.hypervisor) {
            (true, Some(h)) => format!("yes ({h})"),
            (true, None) => "yes".to_string(),
            (false, _) => "no".to_string(),
        };
        facts.push(("virtual machine", value));
    }
    let frequency: Vec<String> = [
        e.governor.as_ref().map(|g| format!("governor {g}")),
        e.turbo
            .map(|t| format!("turbo {}", if t { "on" } else { "off" })),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !frequency.is_empty() {
        facts.push(("frequency", frequency.join(", ")));
    }
    let libraries: Vec<String> = e
        .lock_crates
        .iter()
        .map(|c| format!("{} {}", c.name, c.version))
        .chain(e.libc.clone())
        .collect();
    if !libraries.is_empty() {
        facts.push(("lock libraries", libraries.join(", ")));
    }
    let load: Vec<String> = [
        e.other_runnable.map(|n| count(n, "other runnable task")),
        e.load_average.map(|l| format!("load average {l:.2}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !load.is_empty() {
        facts.push(("at the start", load.join(", ")));
    }
    if let Some(c) = &e.costs {
        facts.push(("measured costs", costs_line(c)));
    }
    facts
}

/// A measured cost as its floor, with the most of its rounds where they spread: "9.44 µs",
/// "9.44 µs (rounds up to 14.2 µs)".
pub fn cost(ns: f64, range: Option<Range>) -> String {
    match range {
        Some((_, most)) if most > ns * 1.1 => {
            format!("{} (rounds up to {})", duration_ns(ns), duration_ns(most))
        }
        _ => duration_ns(ns),
    }
}

/// A cost timed one at a time as its floor, with the median where it differs: "610 ns (median
/// 9.44 µs)".
pub fn typical(ns: f64, range: Option<Range>) -> String {
    match range {
        Some((_, median)) if median > ns * 1.1 => {
            format!("{} (median {})", duration_ns(ns), duration_ns(median))
        }
        _ => duration_ns(ns),
    }
}

/// The machine's measured costs in words, each the floor of its rounds: "pause 88 TSC cycles;
/// core-to-core round trip 0→1 127 ns; futex wake 1.20 µs, wake-up 4.10 µs; context switch
/// 2.00 µs"; and a warning where the rounds spread wide.
pub fn costs_line(c: &MachineCosts) -> String {
    let ranges = c.ranges.clone().unwrap_or_default();
    let mut parts = Vec::new();
    if let Some(cycles) = c.pause_cycles {
        parts.push(format!("pause {cycles:.0} TSC cycles"));
    }
    if !c.core_to_core.is_empty() {
        let trips: Vec<String> = c
            .core_to_core
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let range = ranges.core_to_core_ns.get(i).copied();
                format!("{}→{} {}", t.from, t.to, cost(t.round_trip_ns, range))
            })
            .collect();
        parts.push(format!("core-to-core round trip {}", trips.join(", ")));
    }
    let wake: Vec<String> = [
        c.futex_wake_ns
            .map(|ns| format!("futex wake {}", typical(ns, ranges.futex_wake_ns))),
        c.wakeup_ns
            .map(|ns| format!("wake-up {}", typical(ns, ranges.wakeup_ns))),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !wake.is_empty() {
        parts.push(wake.join(", "));
    }
    if let Some(ns) = c.context_switch_ns {
        parts.push(format!(
            "context switch {}",
            cost(ns, ranges.context_switch_ns)
        ));
    }
    if ranges.wide() {
        parts.push(
            "a round took over twice another: the machine was busy while its costs were \
             measured, so they read high"
                .to_string(),
        );
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000), "1,000");
        assert_eq!(grouped(1_234_567), "1,234,567");
        assert_eq!(signed(-1_234), "-1,234");
        assert_eq!(signed(200), "200");
        assert_eq!(duration_ns(81.23), "81.2 ns");
        assert_eq!(duration_ns(4_510_000.0), "4.51 ms");
        assert_eq!(duration_ns(2.5e9), "2.50 s");
        assert_eq!(rate(12_345_678.0), "12.3 M");
        assert_eq!(percent(0.973), "97.3%");
        assert_eq!(workers(WorkerMode::Threads, 1), "1 thread");
        assert_eq!(workers(WorkerMode::Processes, 4), "4 processes");
        let key = |mode| SeriesKey {
            backend: "futex".into(),
            mode,
        };
        assert_eq!(series_label(&key(WorkerMode::Threads)), "futex");
        assert_eq!(
            series_label(&key(WorkerMode::Processes)),
            "futex (processes)"
        );
    }
}
