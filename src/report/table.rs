//! The terminal view of one run.

use std::fmt::Write;

use super::format::{
    duration_ns, grouped, percent, rate, signed, work_parts, worker_noun, workers,
};
use crate::locks::Protection;
use crate::measure::stats::LatencySummary;
use crate::model::{Interval, LockOrder, Regime, RunResult, Verdict, WorkerMode, Workload};

/// Renders `r` as the table `lockbench run` prints.
pub fn render(r: &RunResult) -> String {
    let mut o = String::new();
    let c = &r.config;
    let what = match (c.workload, c.duration_ms) {
        (Workload::Counter, None) => format!("{} increments", grouped(c.ops)),
        (Workload::Counter, Some(_)) => "increments".to_string(),
        (Workload::Bank { initial }, None) => {
            format!(
                "bank: {} deposits and {} withdrawals of 1 from a balance of {}",
                grouped(c.ops / 2),
                grouped(c.ops / 2),
                signed(initial)
            )
        }
        (Workload::Bank { initial }, Some(_)) => {
            format!(
                "bank: deposits and withdrawals of 1 from a balance of {}",
                signed(initial)
            )
        }
        (Workload::Rw { reads }, None) => format!(
            "rw: {} operations, {reads}% reads of a two-field record",
            grouped(c.ops)
        ),
        (Workload::Rw { reads }, Some(_)) => {
            format!("rw: {reads}% reads of a two-field record")
        }
        (Workload::Transfer { accounts, order }, duration) => format!(
            "transfer: {}moves of 1 between {} accounts, both locks held, taken {}",
            duration.map_or(format!("{} ", grouped(c.ops)), |_| String::new()),
            grouped(accounts),
            match order {
                LockOrder::Ordered => "lower-numbered account first (ordered)",
                LockOrder::Naive => "source account first (naive)",
            }
        ),
    };
    let what = match c.duration_ms {
        Some(ms) => format!(
            "{what} for {}{}",
            duration_ns(ms as f64 * 1e6),
            warmup_note(c.warmup_ms)
        ),
        None => format!("{what}{}", warmup_note(c.warmup_ms)),
    };
    let _ = writeln!(
        o,
        "lockbench run: {} ({}), {}, {what}, pin {}{}",
        r.backend,
        r.backend_waiting,
        match c.runtime_threads {
            Some(threads) => format!(
                "{} on a tokio runtime of {}",
                workers(c.mode, c.workers),
                workers(WorkerMode::Threads, threads)
            ),
            None => workers(c.mode, c.workers),
        },
        c.pin,
        work_note(r),
    );
    if r.oversubscribed {
        let _ = writeln!(
            o,
            "note: oversubscribed: {} workers on {} CPUs; waiters compete with holders for the CPUs",
            c.workers,
            r.environment.allowed_cpus.len()
        );
    }
    if !r.complete {
        let _ = writeln!(
            o,
            "INCOMPLETE: the {} time limit stopped the run after {}; the figures cover only what ran",
            duration_ns(c.max_time_ms as f64 * 1e6),
            if c.timed() {
                format!("{} operations", grouped(r.total_ops))
            } else {
                format!("{} of {} operations", grouped(r.total_ops), grouped(c.ops))
            },
        );
    }
    if r.short_run {
        let _ = writeln!(o, "note: {}", short_run_note(r));
    }
    if r.speed_changed {
        let _ = writeln!(o, "note: {}", speed_note(r));
    }
    let _ = writeln!(o);

    for line in verification_lines(r) {
        let _ = writeln!(o, "  {line}");
    }
    let interval = match r.interval {
        Interval::Contended => format!(
            "over the contended interval ({} of {} ops in {}; whole run {})",
            grouped(r.window_ops),
            grouped(r.total_ops),
            duration_ns(r.window_ns as f64),
            duration_ns(r.wall_ns as f64)
        ),
        Interval::WholeRun if r.window_too_short => format!(
            "over the whole run ({}): every worker took part for too short a time to count",
            duration_ns(r.wall_ns as f64)
        ),
        Interval::WholeRun => format!(
            "over the whole run ({}): no interval had every thread taking part",
            duration_ns(r.wall_ns as f64)
        ),
    };
    let covered = match r.interval {
        Interval::Contended => "in the contended interval",
        Interval::WholeRun => "over the whole run",
    };
    let _ = writeln!(
        o,
        "  throughput  {}ops/s, {}/op {interval}",
        rate(r.ops_per_sec),
        duration_ns(r.ns_per_op)
    );
    if let Some(rw) = &r.read_write {
        let wait = |l: &Option<LatencySummary>| {
            l.as_ref().map_or("not measured".to_string(), |l| {
                format!(
                    "p50 {}, p99 {}, max {}",
                    duration_ns(l.p50_ns as f64),
                    duration_ns(l.p99_ns as f64),
                    duration_ns(l.max_ns as f64)
                )
            })
        };
        let _ = writeln!(
            o,
            "  reads       {}ops/s ({} reads); wait {}",
            rate(rw.reads_per_sec),
            grouped(rw.reads),
            wait(&rw.read_latency)
        );
        let _ = writeln!(
            o,
            "  writes      {}ops/s ({} writes); wait {}",
            rate(rw.writes_per_sec),
            grouped(rw.writes),
            wait(&rw.write_latency)
        );
    }
    if let Some(cpu) = r.cpu_ns_per_op {
        let _ = writeln!(
            o,
            "  cpu         {}/op ({} user, {} system); workers on a CPU {} of the time ({} worker{}); {} sleeps and {} preemptions per 1,000 ops",
            duration_ns(cpu),
            duration_ns(r.user_ns_per_op.unwrap_or(0.0)),
            duration_ns(r.system_ns_per_op.unwrap_or(0.0)),
            percent(r.cpu_utilisation.unwrap_or(0.0)),
            c.workers,
            if c.workers == 1 { "" } else { "s" },
            per_kop(r.voluntary_switches_per_kop),
            per_kop(r.involuntary_switches_per_kop),
        );
    } else {
        let _ = writeln!(
            o,
            "  cpu         – (none recorded: a reading that could not be true over this interval \
             is left out)"
        );
    }
    if c.has_work() {
        // Sampled with the timed acquisitions: none with --latency off.
        let realised = |ns: Option<f64>| ns.map_or("not measured".to_string(), duration_ns);
        let asked = if c.draws.is_some() {
            "mean of the draws"
        } else {
            "asked"
        };
        let think = if c.think_ns > 0 {
            format!(
                "; think {} {asked}, realised {}",
                duration_ns(c.think_ns as f64),
                realised(r.realised_think_ns)
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            o,
            "  work        cs-work {} {asked}, realised critical section (acquire to release) {}{think}; work unit {}",
            duration_ns(c.cs_work_ns as f64),
            realised(r.realised_cs_ns),
            c.work_unit.name(),
        );
    }
    if c.workers > 1 {
        match &r.fairness {
            Some(f) => {
                let _ = writeln!(
                    o,
                    "  fairness    Jain index {}, per-worker share {} to {} (equal: {})",
                    f.jain_index
                        .map_or("n/a".to_string(), |j| format!("{j:.3}")),
                    percent(f.min_share),
                    percent(f.max_share),
                    percent(1.0 / c.workers as f64),
                );
            }
            None => {
                let _ = writeln!(
                    o,
                    "  fairness    n/a without a contended interval; see the stop times below"
                );
            }
        }
    }
    match r.handoff_rate {
        Some(h) => {
            let whole = match (r.interval, r.handoff_rate_whole_run) {
                (Interval::Contended, Some(w)) => format!("; whole run {}", percent(w)),
                _ => String::new(),
            };
            let _ = writeln!(
                o,
                "  hand-offs   {} of acquisitions followed another worker's ({covered}{whole})",
                percent(h)
            );
        }
        None if r.backend_kind != Protection::Lock => {
            let _ = writeln!(o, "  hand-offs   n/a (no lock)");
        }
        None => {}
    }
    let percentiles = |l: &LatencySummary| {
        format!(
            "p50 {}  p90 {}  p99 {}  p99.9 {}  max {}",
            duration_ns(l.p50_ns as f64),
            duration_ns(l.p90_ns as f64),
            duration_ns(l.p99_ns as f64),
            duration_ns(l.p999_ns as f64),
            duration_ns(l.max_ns as f64),
        )
    };
    match &r.latency {
        Some(l) => {
            let _ = writeln!(
                o,
                "  wait        {}  ({} acquisitions timed {covered}, latency {}; timer floor {})",
                percentiles(l),
                grouped(l.samples),
                c.latency,
                duration_ns(r.environment.clock.ordered_floor_ns),
            );
            if let (Interval::Contended, Some(w)) = (r.interval, &r.latency_whole_run) {
                let _ = writeln!(
                    o,
                    "              {}  ({} timed over the whole run)",
                    percentiles(w),
                    grouped(w.samples),
                );
            }
        }
        None => {
            let _ = writeln!(o, "  wait        not measured (latency {})", c.latency);
        }
    }
    if let Some(w) = &r.wake_ups {
        let share = format!(
            "{} of {} timed hand-offs slept in the wait; from the release that let each in to the \
             woken holder inside",
            grouped(w.woken),
            grouped(w.handoffs)
        );
        match &w.latency {
            Some(l) => {
                let _ = writeln!(o, "  wake-up     {}  ({share})", percentiles(l));
            }
            None => {
                let _ = writeln!(o, "  wake-up     none measured ({share})");
            }
        }
    }
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "  {:>7} {:>5} {:>12} {:>12} {:>7} {:>11} {:>10} {:>10}",
        worker_noun(c.mode),
        "cpu",
        "ops",
        "in window",
        "share",
        "hand-offs",
        "start",
        "stop"
    );
    for t in &r.workers {
        let cpu = match (t.pinned, t.requested_cpu, t.observed_cpu) {
            (true, Some(c), _) => c.to_string(),
            (false, Some(c), _) => format!("!{c}"),
            (_, None, Some(c)) => format!("~{c}"),
            _ => "?".to_string(),
        };
        let _ = writeln!(
            o,
            "  {:>7} {:>5} {:>12} {:>12} {:>7} {:>11} {:>10} {:>10}",
            t.index,
            cpu,
            grouped(t.ops),
            t.window_ops.map_or("-".to_string(), grouped),
            t.share.map_or("-".to_string(), percent),
            grouped(t.handoffs),
            duration_ns(t.start_ns as f64),
            duration_ns(t.stop_ns as f64),
        );
    }
    if r.workers
        .iter()
        .any(|t| !t.pinned && t.requested_cpu.is_some())
    {
        let _ = writeln!(o, "  (!N: pinning to CPU N was refused by the OS)");
    }
    if r.workers.iter().any(|t| t.requested_cpu.is_none()) {
        let _ = writeln!(
            o,
            "  (~N: unpinned; CPU N is where it was just before the start)"
        );
    }
    o
}

/// Why a run is flagged as short, and the remedy.
pub fn short_run_note(r: &RunResult) -> String {
    format!(
        "a short run ({} in all, {} with every worker taking part): a few scheduler time slices decide such figures; use --duration (e.g. --duration 2s) for figures to rely on",
        duration_ns(r.wall_ns as f64),
        match r.interval {
            Interval::Contended => duration_ns(r.window_ns as f64),
            Interval::WholeRun => "none".to_string(),
        }
    )
}

/// What the speed probe saw.
pub fn speed_note(r: &RunResult) -> String {
    let change = r.speed_probe.map_or(0.0, |p| p.change());
    format!(
        "the machine {} by {} during this run (work-loop speed probe before and after): its figures are not comparable with others",
        if change > 0.0 {
            "slowed down"
        } else {
            "sped up"
        },
        percent(change.abs())
    )
}

fn per_kop(x: Option<f64>) -> String {
    match x {
        Some(x) if x >= 10.0 => format!("{x:.0}"),
        Some(x) => format!("{x:.2}"),
        None => "n/a".to_string(),
    }
}

fn warmup_note(warmup_ms: u64) -> String {
    if warmup_ms == 0 {
        String::new()
    } else {
        format!(" after a {} warm-up", duration_ns(warmup_ms as f64 * 1e6))
    }
}

fn work_note(r: &RunResult) -> String {
    let c = &r.config;
    let mut parts = Vec::new();
    if c.locks > 1 {
        parts.push(format!("{} locks", grouped(c.locks)));
    }
    parts.extend(work_parts(&Regime::of(c)));
    if parts.is_empty() {
        String::new()
    } else {
        format!(", {}", parts.join(", "))
    }
}

/// The result of the run's checks: the shared value (for the bank, each side too) and the
/// exclusion check, a line each.
fn verification_lines(r: &RunResult) -> Vec<String> {
    let v = &r.verification;
    let (value, lost) = match r.config.workload {
        Workload::Counter => ("counter", "updates lost"),
        Workload::Bank { .. } => ("balance", "updates lost"),
        Workload::Rw { .. } => ("writes counted", "writes lost"),
        Workload::Transfer { .. } => (
            "account updates (two per move; the balances sum to 0)",
            "account updates lost",
        ),
    };
    let unsynchronised = r.backend_kind == Protection::Unsynchronised && r.config.workers > 1;
    let mut lines = vec![match v.verdict {
        // Without a lock, nothing lost is no lesson: say why it came out so.
        Verdict::Ok if unsynchronised && v.lost_updates == 0 => format!(
            "result      {value} = {}, as expected, but only because {}: nothing could be lost — \
             run longer (--duration 1s) to see updates lost without a lock",
            signed(v.actual),
            if r.interval == Interval::WholeRun && !r.window_too_short {
                "the workers never ran at the same time"
            } else {
                "the workers hardly overlapped"
            }
        ),
        Verdict::Ok | Verdict::ExclusionViolated if v.lost_updates == 0 => format!(
            "result      ok: {value} = {}, as expected; no update lost",
            signed(v.actual)
        ),
        Verdict::LostUpdatesExpected => format!(
            "result      {value} = {}, expected {}: {} {lost} ({} of {} operations) — what happens without a lock",
            signed(v.actual),
            signed(v.expected),
            grouped(v.lost_updates),
            percent(v.lost_updates as f64 / r.total_ops.max(1) as f64),
            grouped(r.total_ops),
        ),
        _ => format!(
            "result      FAILED: {value} = {}, expected {}: {} LOST UPDATES under a lock that should prevent them",
            signed(v.actual),
            signed(v.expected),
            grouped(v.lost_updates)
        ),
    }];
    for (name, side) in [("deposits", &v.deposits), ("withdrawals", &v.withdrawals)] {
        if let Some(side) = side {
            lines.push(format!(
                "{name:<11} {} of {} counted{}",
                grouped(side.actual),
                grouped(side.expected),
                match side.lost() {
                    0 => String::new(),
                    n => format!(": {} lost", grouped(n)),
                }
            ));
        }
    }
    if let Some(rw) = &r.read_write {
        lines.push(match (rw.torn_reads, r.backend_kind) {
            (0, _) => format!(
                "reads       ok: {} reads, none saw a write half done",
                grouped(rw.reads)
            ),
            (n, Protection::Lock) => format!(
                "reads       FAILED: {} of {} reads saw a write half done (TORN READS) under a lock that should prevent them",
                grouped(n),
                grouped(rw.reads)
            ),
            (n, _) => format!(
                "reads       {} of {} reads saw a write half done — what readers see without a lock",
                grouped(n),
                grouped(rw.reads)
            ),
        });
    }
    match (r.exclusion_violations, r.backend_kind) {
        (Some(0), _) => lines.push(
            "exclusion   ok: no worker ever found another inside the critical section".into(),
        ),
        (Some(n), Protection::Lock) => lines.push(format!(
            "exclusion   FAILED: {} times a worker found another inside the critical section",
            grouped(n)
        )),
        (Some(n), _) => lines.push(format!(
            "exclusion   {} times a worker found another inside: no lock excludes them",
            grouped(n)
        )),
        (None, _) => {}
    }
    if let (Some(timeouts), Some(timeout)) = (r.timeouts, r.config.timeout_ns) {
        let attempts = r.total_ops + timeouts;
        // A transfer's two waits each have the deadline; what is counted is the transfer.
        let per_transfer = matches!(r.config.workload, Workload::Transfer { .. });
        lines.push(format!(
            "timeouts    {} of {} {} ({}) gave up at the {} deadline and did no update; {}",
            grouped(timeouts),
            grouped(attempts),
            if per_transfer {
                "transfers (at either of their two waits)"
            } else {
                "acquisitions"
            },
            percent(r.timeout_share.unwrap_or(0.0)),
            duration_ns(timeout as f64),
            if timeouts == 0 {
                "every wait was shorter".to_string()
            } else {
                format!(
                    "the {} that acquired are the operations above",
                    grouped(r.total_ops)
                )
            }
        ));
        if let Some(g) = r.give_ups {
            lines.push(format!(
                "gave up     after {} at the median, {} at p99, {} at most (quickest {}; {} sampled{}): {} late at p99",
                duration_ns(g.p50_ns as f64),
                duration_ns(g.p99_ns as f64),
                duration_ns(g.max_ns as f64),
                duration_ns(g.min_ns as f64),
                grouped(g.samples),
                if g.per_transfer {
                    ", each timed from the transfer's first wait"
                } else {
                    ""
                },
                duration_ns(g.p99_ns.saturating_sub(timeout) as f64),
            ));
        }
        if let Some(late) = r.late_share.filter(|&l| l > 0.0) {
            lines.push(format!(
                "late        {} of the sampled acquisitions that succeeded had waited past the deadline: it is not a bound on the wait",
                percent(late)
            ));
        }
    }
    lines
}
