//! Two sweeps side by side: per series and worker count, whether the second is faster, slower,
//! or neither beyond the noise of their repetitions, every point tested together by
//! [`ranking::changes`] (the family-wise error over all points held at the rule's level); and
//! what differs between the two machines and settings.
//!
//! A point is given a verdict only when both sides can be trusted: a side that lost updates,
//! broke exclusion, was stopped by the time limit, or fell back to whole-run figures is flagged
//! instead, and with too few repetitions a side there is no verdict.

use super::ranking;
use crate::model::{
    Change, ComparedPoint, Comparison, Environment, MachineCosts, Point, Regime, SeriesKey,
    SweepResults,
};

/// Compares `after` with `before`.
pub fn compare(before: &SweepResults, after: &SweepResults) -> Comparison {
    let mut keys: Vec<(Regime, usize, SeriesKey)> = before
        .points
        .iter()
        .chain(&after.points)
        .filter(|p| !p.repetitions.is_empty())
        .map(|p| (p.regime, p.workers, p.key()))
        .collect();
    keys.sort();
    keys.dedup();
    let sides: Vec<(Option<&Point>, Option<&Point>)> = keys
        .iter()
        .map(|(regime, workers, key)| {
            (
                find(before, key, *workers, regime),
                find(after, key, *workers, regime),
            )
        })
        .collect();
    let mut points: Vec<ComparedPoint> = keys
        .iter()
        .zip(&sides)
        .map(|((regime, workers, key), (x, y))| {
            let mut compared = point(key.clone(), *workers, *x, *y);
            compared.regime = *regime;
            compared
        })
        .collect();
    let judged: Vec<usize> = (0..points.len())
        .filter(|&i| points[i].change == Change::NoClearChange)
        .collect();
    let rates = |p: Option<&Point>| -> Vec<(u32, f64)> {
        p.map(|p| {
            p.repetitions
                .iter()
                .map(|r| (r.round, r.ops_per_sec))
                .collect()
        })
        .unwrap_or_default()
    };
    let (xs, ys): (Vec<_>, Vec<_>) = judged
        .iter()
        .map(|&i| (rates(sides[i].0), rates(sides[i].1)))
        .unzip();
    let tested = ranking::changes(&xs, &ys);
    for (&i, p) in judged.iter().zip(&tested.p) {
        let c = &mut points[i];
        c.p_value = *p;
        c.change = match p {
            None => Change::TooFewRepetitions,
            Some(p) if *p > ranking::LEVEL => Change::NoClearChange,
            Some(_) if c.ratio.is_some_and(|r| r > 1.0) => Change::Faster,
            Some(_) => Change::Slower,
        };
    }
    Comparison {
        before_label: format!("{} ({})", before.command, before.started_utc),
        after_label: format!("{} ({})", after.command, after.started_utc),
        method: method(tested.tested, tested.too_few.as_deref()),
        differences: differences(before, after),
        points,
    }
}

/// How the verdicts were reached, in words.
fn method(tested: usize, too_few: Option<&str>) -> String {
    let level = ranking::LEVEL;
    let mut m = format!(
        "a change is called when the two runs' rounds, reassigned between them at random, \
         rarely give any of the {tested} points tested together as large a difference of mean \
         log throughput against its noise (Welch) as measured: p <= {level:.2} adjusted for all \
         {tested} (step-down, Westfall-Young), so that two runs of the same draw a false change \
         at any point in at most {:.0}% of compares; both sides verified, complete and with a \
         contended interval",
        level * 100.0
    );
    if let Some(why) = too_few {
        m.push_str(&format!(". No verdict: {why}"));
    }
    m
}

/// The measured point of `key` at `workers` in `regime` in `r`.
fn find<'a>(
    r: &'a SweepResults,
    key: &SeriesKey,
    workers: usize,
    regime: &Regime,
) -> Option<&'a Point> {
    r.points.iter().find(|p| {
        p.is_in(key) && p.workers == workers && p.regime == *regime && !p.repetitions.is_empty()
    })
}

/// The point of `series` compared, without its test: [`Change::NoClearChange`] stands for
/// "to be tested" where both sides can be trusted.
fn point(series: SeriesKey, workers: usize, x: Option<&Point>, y: Option<&Point>) -> ComparedPoint {
    let (before, after) = (x.and_then(|p| p.ops_per_sec), y.and_then(|p| p.ops_per_sec));
    let ratio = match (before, after) {
        (Some(b), Some(a)) if b.median > 0.0 => Some(a.median / b.median),
        _ => None,
    };
    let mut flags = Vec::new();
    for (side, p) in [("before", x), ("after", y)] {
        if let Some(p) = p {
            if p.failed_verification {
                flags.push(format!("{side}: failed verification"));
            }
            if p.incomplete {
                flags.push(format!("{side}: stopped by the time limit"));
            }
            if p.whole_run_fallback {
                flags.push(format!("{side}: no contended interval in some runs"));
            }
        }
    }
    let change = match (x, y) {
        (Some(_), Some(_)) if flags.is_empty() && ratio.is_some() => Change::NoClearChange,
        (Some(_), Some(_)) if flags.is_empty() => Change::TooFewRepetitions,
        (Some(_), Some(_)) => Change::Flagged,
        _ => Change::Missing,
    };
    ComparedPoint {
        series,
        workers,
        regime: Regime::default(),
        before,
        after,
        ratio,
        change,
        p_value: None,
        flags,
    }
}

/// The machine facts that older files do not carry, as compared: `None` where unknown.
fn machine_facts(e: &Environment) -> [(&'static str, Option<String>); 14] {
    let count = |n: Option<usize>| n.map(|n| n.to_string());
    let cost = |f: fn(&MachineCosts) -> Option<f64>| e.costs.as_ref().and_then(f);
    [
        ("physical cores", count(e.physical_cores)),
        ("threads per core", count(e.threads_per_core)),
        ("sockets", count(e.sockets)),
        ("NUMA nodes", count(e.numa_nodes)),
        (
            "virtual machine",
            e.virtualized.map(|v| match (v, &e.hypervisor) {
                (true, Some(h)) => format!("yes ({h})"),
                (true, None) => "yes".to_string(),
                (false, _) => "no".to_string(),
            }),
        ),
        ("governor", e.governor.clone()),
        (
            "turbo",
            e.turbo.map(|t| if t { "on" } else { "off" }.to_string()),
        ),
        (
            "lock crates",
            (!e.lock_crates.is_empty()).then(|| {
                e.lock_crates
                    .iter()
                    .map(|c| format!("{} {}", c.name, c.version))
                    .collect::<Vec<_>>()
                    .join(", ")
            }),
        ),
        ("C library", e.libc.clone()),
        (
            "pause, TSC cycles",
            cost(|c| c.pause_cycles).map(|v| format!("{v:.0}")),
        ),
        (
            "core-to-core round trip ns (median of pairs)",
            cost(|c| c.core_to_core_median_ns()).map(|v| format!("{v:.0}")),
        ),
        (
            "futex wake ns",
            cost(|c| c.futex_wake_ns).map(|v| format!("{v:.0}")),
        ),
        (
            "wake-up ns",
            cost(|c| c.wakeup_ns).map(|v| format!("{v:.0}")),
        ),
        (
            "context switch ns",
            cost(|c| c.context_switch_ns).map(|v| format!("{v:.0}")),
        ),
    ]
}

/// Whether the machine was busy at the start, and how busy, where the file says.
fn busy_at_start(e: &Environment) -> Option<(bool, String)> {
    if e.other_runnable.is_none() && e.load_average.is_none() {
        return None;
    }
    let how = format!(
        "{} other runnable, load average {}",
        e.other_runnable.map_or("?".to_string(), |n| n.to_string()),
        e.load_average
            .map_or("?".to_string(), |l| format!("{l:.2}"))
    );
    Some(match e.busy_warning() {
        Some(_) => (true, format!("yes ({how})")),
        None => (false, format!("no ({how})")),
    })
}

/// What differs between the two sides' machines and settings: (what, before, after).
///
/// A fact that one side did not record (files written before it was) is not listed: unknown is
/// no difference. Whether the machine was busy at the start is listed when one side was and
/// the other was not, not when only the counts differ.
fn regimes(s: &crate::model::SweepSettings) -> String {
    s.regimes
        .iter()
        .map(|r| format!("({}, {}, {})", r.locks, r.cs_work_ns, r.think_ns))
        .collect::<Vec<_>>()
        .join(" ")
}

fn differences(before: &SweepResults, after: &SweepResults) -> Vec<(String, String, String)> {
    let (a, b) = (&before.environment, &after.environment);
    let (s, t) = (&before.settings, &after.settings);
    let mut rows: Vec<(&str, String, String)> = vec![
        ("host", a.hostname.clone(), b.hostname.clone()),
        ("CPU", a.cpu_model.clone(), b.cpu_model.clone()),
        (
            "allowed CPUs",
            a.allowed_cpus.len().to_string(),
            b.allowed_cpus.len().to_string(),
        ),
        ("kernel", a.kernel.clone(), b.kernel.clone()),
        ("compiler", a.rustc.clone(), b.rustc.clone()),
        (
            "lockbench",
            a.lockbench_version.clone(),
            b.lockbench_version.clone(),
        ),
        ("clock", a.clock.source.clone(), b.clock.source.clone()),
        (
            "pause ns",
            format!("{:.1}", a.pause_ns),
            format!("{:.1}", b.pause_ns),
        ),
    ];
    for ((what, x), (_, y)) in machine_facts(a).into_iter().zip(machine_facts(b)) {
        if let (Some(x), Some(y)) = (x, y) {
            rows.push((what, x, y));
        }
    }
    if let (Some((x, xs)), Some((y, ys))) = (busy_at_start(a), busy_at_start(b))
        && x != y
    {
        rows.push(("busy at start", xs, ys));
    }
    rows.extend([
        (
            "workload",
            format!("{:?}", s.workload),
            format!("{:?}", t.workload),
        ),
        ("increments per run", s.ops.to_string(), t.ops.to_string()),
        (
            "cs-work ns",
            s.cs_work_ns.to_string(),
            t.cs_work_ns.to_string(),
        ),
        ("think ns", s.think_ns.to_string(), t.think_ns.to_string()),
        (
            "duration ms",
            format!("{:?}", s.duration_ms),
            format!("{:?}", t.duration_ms),
        ),
        (
            "warm-up ms",
            s.warmup_ms.to_string(),
            t.warmup_ms.to_string(),
        ),
        (
            "work unit",
            s.work_unit.name().to_string(),
            t.work_unit.name().to_string(),
        ),
        (
            "regimes (locks, cs-work ns, think ns)",
            regimes(s),
            regimes(t),
        ),
        ("pin", s.pin.clone(), t.pin.clone()),
        ("latency", s.latency.clone(), t.latency.clone()),
        ("repetitions", s.repeat.to_string(), t.repeat.to_string()),
        (
            "time limit ms",
            s.max_time_ms.to_string(),
            t.max_time_ms.to_string(),
        ),
        (
            "schema",
            before.schema_version.to_string(),
            after.schema_version.to_string(),
        ),
    ]);
    rows.into_iter()
        .filter(|(_, x, y)| x != y)
        .map(|(what, x, y)| (what.to_string(), x, y))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sweep() -> SweepResults {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/reports/2-core-xeon-vm/results.json"
        );
        SweepResults::from_json(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    /// The comparison's point for the series of `before`'s first point (at its worker count).
    fn first_point<'a>(c: &'a Comparison, before: &SweepResults) -> &'a ComparedPoint {
        let key = before.points[0].key();
        c.points
            .iter()
            .find(|p| p.series == key && p.workers == before.points[0].workers)
            .unwrap()
    }

    /// `after` is `before` with the first point's every repetition twice as fast.
    fn twice_as_fast(before: &SweepResults) -> SweepResults {
        let mut after = before.clone();
        let point = &mut after.points[0];
        let reps = std::mem::take(&mut point.repetitions);
        for mut rep in reps {
            rep.ops_per_sec *= 2.0;
            crate::analysis::add_repetition(point, rep);
        }
        after
    }

    #[test]
    fn a_clear_change_is_called_with_its_p_value() {
        let before = sweep();
        let c = compare(&before, &twice_as_fast(&before));
        let first = first_point(&c, &before);
        assert_eq!(first.change, Change::Faster);
        // Three rounds a side: 2 of the 20 reassignments are as extreme, the least p there is.
        assert_eq!(first.p_value, Some(0.1));
        assert!(c.differences.is_empty());
        let same = compare(&before, &before);
        assert!(
            same.points
                .iter()
                .all(|p| p.change == Change::NoClearChange)
        );
    }

    #[test]
    fn a_side_that_cannot_be_trusted_is_flagged_not_called_faster() {
        let before = sweep();
        for spoil in [
            |p: &mut Point| p.failed_verification = true,
            |p: &mut Point| p.incomplete = true,
            |p: &mut Point| p.whole_run_fallback = true,
        ] {
            let mut after = twice_as_fast(&before);
            spoil(&mut after.points[0]);
            let c = compare(&before, &after);
            let first = first_point(&c, &before);
            assert_eq!(first.change, Change::Flagged);
            assert_eq!(first.p_value, None);
            assert!(first.flags[0].starts_with("after: "), "{:?}", first.flags);
        }
    }

    #[test]
    fn too_few_repetitions_give_no_verdict() {
        let before = sweep();
        let mut after = twice_as_fast(&before);
        after.points[0].repetitions.truncate(2);
        let c = compare(&before, &after);
        let first = first_point(&c, &before);
        assert_eq!(first.change, Change::TooFewRepetitions);
    }

    #[test]
    fn settings_that_differ_are_listed() {
        let before = sweep();
        let mut after = before.clone();
        after.settings.latency = "off".into();
        after.settings.workload = crate::model::Workload::Bank { initial: 200 };
        after.settings.repeat = 5;
        let c = compare(&before, &after);
        let what: Vec<&str> = c.differences.iter().map(|d| d.0.as_str()).collect();
        assert_eq!(what, ["workload", "latency", "repetitions"]);
    }

    fn crates(list: &[(&str, &str)]) -> Vec<crate::model::CrateVersion> {
        list.iter()
            .map(|&(name, version)| crate::model::CrateVersion {
                name: name.into(),
                version: version.into(),
            })
            .collect()
    }

    #[test]
    fn machine_facts_that_differ_are_listed_and_unknown_ones_are_not() {
        let before = sweep();
        let mut after = before.clone();
        // The kept report predates these facts: one side knowing them is no difference.
        after.environment.governor = Some("performance".into());
        after.environment.other_runnable = Some(3);
        assert!(compare(&before, &after).differences.is_empty());

        let mut before = before;
        let e = &mut before.environment;
        e.physical_cores = Some(2);
        e.threads_per_core = Some(1);
        e.sockets = Some(1);
        e.numa_nodes = Some(1);
        e.virtualized = Some(true);
        e.hypervisor = Some("KVM".into());
        e.governor = Some("powersave".into());
        e.turbo = Some(true);
        e.lock_crates = crates(&[("parking_lot", "0.12.3"), ("lock_api", "0.4.12")]);
        e.libc = Some("glibc 2.39".into());
        e.other_runnable = Some(0);
        e.load_average = Some(0.1);
        after.environment = before.environment.clone();
        assert!(compare(&before, &after).differences.is_empty());
        // Busy both times, by different counts: no difference.
        before.environment.other_runnable = Some(1);
        after.environment.other_runnable = Some(2);
        assert!(compare(&before, &after).differences.is_empty());

        let e = &mut after.environment;
        e.rustc = "rustc 1.61.0".into();
        e.physical_cores = Some(4);
        e.threads_per_core = Some(2);
        e.sockets = Some(2);
        e.numa_nodes = Some(2);
        e.virtualized = Some(false);
        e.governor = Some("performance".into());
        e.turbo = Some(false);
        e.lock_crates = crates(&[("parking_lot", "0.13.0"), ("lock_api", "0.5.0")]);
        e.libc = Some("glibc 2.41".into());
        e.other_runnable = Some(0);
        let c = compare(&before, &after);
        let what: Vec<&str> = c.differences.iter().map(|d| d.0.as_str()).collect();
        assert_eq!(
            what,
            [
                "compiler",
                "physical cores",
                "threads per core",
                "sockets",
                "NUMA nodes",
                "virtual machine",
                "governor",
                "turbo",
                "lock crates",
                "C library",
                "busy at start"
            ]
        );
        let row = |w: &str| c.differences.iter().find(|d| d.0 == w).unwrap().clone();
        assert_eq!(row("virtual machine").1, "yes (KVM)");
        assert_eq!(row("lock crates").2, "parking_lot 0.13.0, lock_api 0.5.0");
        assert_eq!(
            row("busy at start"),
            (
                "busy at start".to_string(),
                "yes (1 other runnable, load average 0.10)".to_string(),
                "no (0 other runnable, load average 0.10)".to_string()
            )
        );
    }
}
