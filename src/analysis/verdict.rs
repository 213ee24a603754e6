//! Which lock? The verdict of a sweep, per regime and worker count: the locks ranked by median
//! throughput, the fastest named only where it is ahead beyond the noise of the repetitions
//! (by [`ranking`], the rule every verdict uses, its rounds as blocks), and the caveats the
//! other figures give about the leaders.
//!
//! It never claims more than the data shows: with too few repetitions for any claim there is no
//! verdict on the order, only the measured order; a lock that lost updates or
//! was stopped by the time limit is not ranked at all; baselines (`atomic`, `none`) are not locks
//! and are left out. (A change in the machine's speed is a note of the whole report, not a
//! caveat here.)

use super::ranking;
use crate::locks::Protection;
use crate::model::{
    Caveat, Contrast, FindingGroup, Findings, Point, Ranked, Regime, SeriesKey, SweepResults,
    WorkerMode,
};

/// A leader that hands the lock to another worker in fewer than this share of acquisitions...
pub const STARVING_HANDOFFS: f64 = 0.10;
/// ...while its longest wait is this many times its median (and at least [`LONG_WAIT_NS`]) is
/// called starving.
pub const STARVING_TAIL: f64 = 1000.0;
/// The shortest wait called long in a starvation caveat.
pub const LONG_WAIT_NS: u64 = 100_000;
/// A leader burning more than this many times the CPU per operation of the thriftiest lock gets
/// a caveat.
pub const CPU_HUNGRY: f64 = 2.0;

/// The verdict of `r`.
pub fn findings(r: &SweepResults) -> Findings {
    let regimes = r.regimes();
    let cpus = r.environment.allowed_cpus.len().max(1);
    let mut groups = Vec::new();
    for regime in &regimes {
        for workers in r.worker_counts() {
            let points: Vec<&Point> = r
                .points
                .iter()
                .filter(|p| p.regime == *regime && p.workers == workers)
                .filter(|p| !p.repetitions.is_empty())
                .filter(|p| is_lock(r, &p.backend))
                .collect();
            if !points.is_empty() {
                groups.push(group(*regime, workers, cpus, &points));
            }
        }
    }
    Findings {
        groups,
        many_regimes: regimes.len() > 1,
    }
}

/// Whether `backend` is a lock (baselines are not; a backend without facts is taken for one).
fn is_lock(r: &SweepResults, backend: &str) -> bool {
    r.facts(backend).is_none_or(|f| f.kind == Protection::Lock)
}

fn group(regime: Regime, workers: usize, cpus: usize, points: &[&Point]) -> FindingGroup {
    let mut excluded = Vec::new();
    let mut candidates: Vec<&Point> = Vec::new();
    for p in points {
        if p.failed_verification {
            excluded.push((p.key(), "failed verification".to_string()));
        } else if p.incomplete {
            excluded.push((p.key(), "stopped by the time limit".to_string()));
        } else if p.ops_per_sec.is_none() {
            excluded.push((p.key(), "no throughput".to_string()));
        } else {
            candidates.push(p);
        }
    }
    let figures: Vec<Vec<(u32, f64)>> = candidates
        .iter()
        .map(|p| {
            p.repetitions
                .iter()
                .map(|r| (r.round, r.ops_per_sec))
                .collect()
        })
        .collect();
    let rule = ranking::rank(&figures, true, "repetition");
    let ranked: Vec<&Point> = rule.order.iter().map(|&i| candidates[i]).collect();
    let ranking: Vec<Ranked> = ranked
        .iter()
        .map(|p| Ranked {
            series: p.key(),
            ops_per_sec: p.ops_per_sec.expect("ranked points have a throughput"),
            repetitions: p.repetitions.len(),
        })
        .collect();
    let median = |p: &Point| p.ops_per_sec.map_or(0.0, |s| s.median);
    let contrast = |at: usize| {
        let (top, other) = (ranked[0], ranked[at]);
        let v = rule.versus_best[rule.order[at]].expect("only the fastest has no contrast");
        Contrast {
            other: other.key(),
            ratio: median(top) / median(other).max(f64::MIN_POSITIVE),
            clear: v.clear,
            p: v.p,
            comparisons: rule.comparisons,
            ranges_apart: v.ranges_apart,
        }
    };
    let leaders = rule.leaders;
    let versus_next = (ranked.len() > leaders.max(1)).then(|| contrast(leaders.max(1)));
    let std = SeriesKey {
        backend: "std".to_string(),
        mode: WorkerMode::Threads,
    };
    let versus_std = ranked
        .iter()
        .position(|p| p.key() == std)
        .filter(|&i| i > 0)
        .map(contrast);
    let caveats = caveats(&ranked[..leaders], &ranked, workers);
    FindingGroup {
        regime,
        workers,
        oversubscribed: workers > cpus,
        cpus,
        ranking,
        leaders,
        unjudged: rule.unjudged,
        rounds: rule.rounds,
        versus_next,
        versus_std,
        caveats,
        excluded,
    }
}

/// What the other figures say about the leaders.
fn caveats(leaders: &[&Point], all: &[&Point], workers: usize) -> Vec<Caveat> {
    let thriftiest = all
        .iter()
        .filter_map(|p| p.cpu_ns_per_op.map(|c| (p.key(), c.median)))
        .min_by(|a, b| a.1.total_cmp(&b.1));
    let mut out = Vec::new();
    for p in leaders {
        let series = p.key();
        if workers > 1
            && let (Some(h), Some(l)) = (p.handoff_rate, &p.latency)
            && h.median < STARVING_HANDOFFS
            && l.max_ns >= LONG_WAIT_NS
            && l.max_ns as f64 >= STARVING_TAIL * l.p50_ns.max(1) as f64
        {
            out.push(Caveat::Starves {
                series: series.clone(),
                handoff_rate: h.median,
                max_wait_ns: l.max_ns,
                p50_wait_ns: l.p50_ns,
            });
        }
        if let (Some(c), Some((least, least_ns))) = (p.cpu_ns_per_op, &thriftiest)
            && *least != series
            && c.median > CPU_HUNGRY * least_ns
        {
            out.push(Caveat::CpuHungry {
                series: series.clone(),
                cpu_ns_per_op: c.median,
                thriftiest: least.clone(),
                thriftiest_ns_per_op: *least_ns,
            });
        }
        if p.wide_spread
            && let Some(s) = p.ops_per_sec
        {
            out.push(Caveat::WideSpread {
                series: series.clone(),
                relative_width: s.relative_width(),
            });
        }
        if p.short_runs > 0 {
            out.push(Caveat::ShortRuns {
                series: series.clone(),
                runs: p.short_runs,
            });
        }
        if p.whole_run_fallback {
            out.push(Caveat::WholeRun { series });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::add_repetition;
    use crate::model::{BackendFacts, Repetition};

    /// The committed example sweep (std, parking-lot, spin, ticket, pthread at 1, 2, 4, 8
    /// threads, 3 repetitions each).
    fn sweep() -> SweepResults {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/sweep-v1.json");
        SweepResults::from_json(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    /// Rewrites the repetitions of `backend` at `workers` with `f`.
    fn rewrite(
        r: &mut SweepResults,
        backend: &str,
        workers: usize,
        f: impl Fn(usize, &mut Repetition),
    ) {
        let p = r
            .points
            .iter_mut()
            .find(|p| p.backend == backend && p.workers == workers)
            .unwrap();
        let reps = std::mem::take(&mut p.repetitions);
        for (i, mut rep) in reps.into_iter().enumerate() {
            f(i, &mut rep);
            add_repetition(p, rep);
        }
    }

    /// The fixture's three rounds made five (rounds 4 and 5 repeat 1 and 2, 1% faster): what
    /// the default asks for, and the fewest that let any two locks be told apart.
    fn five_rounds(r: &mut SweepResults) {
        for p in &mut r.points {
            let extra: Vec<Repetition> = p.repetitions[..2]
                .iter()
                .zip(3..)
                .map(|(rep, round)| {
                    let mut rep = rep.clone();
                    rep.round = round;
                    rep.ops_per_sec *= 1.01;
                    rep
                })
                .collect();
            for rep in extra {
                add_repetition(p, rep);
            }
        }
    }

    fn at(f: &Findings, workers: usize) -> &FindingGroup {
        f.groups.iter().find(|g| g.workers == workers).unwrap()
    }

    #[test]
    fn a_lock_clearly_ahead_is_named_with_its_margins() {
        let mut r = sweep();
        five_rounds(&mut r);
        rewrite(&mut r, "ticket", 2, |_, rep| rep.ops_per_sec *= 100.0);
        let g = at(&findings(&r), 2).clone();
        assert_eq!(g.ranking[0].series.backend, "ticket");
        assert_eq!(g.leaders, 1);
        assert!(g.unjudged.is_none());
        let next = g.versus_next.unwrap();
        assert!(next.clear && next.ratio > 1.0, "{next:?}");
        assert_eq!(next.other, g.ranking[1].series);
        let std = g.versus_std.unwrap();
        assert_eq!(std.other.backend, "std");
        assert!(std.clear && std.ranges_apart);
        assert_eq!(std.comparisons, 4);
        assert!(std.p.is_some_and(|p| p <= 0.1), "{std:?}");
    }

    #[test]
    fn locks_whose_repetitions_overlap_share_the_lead() {
        let mut r = sweep();
        five_rounds(&mut r);
        // spin and parking-lot at 2 threads: the same five figures, trading places by round.
        for (backend, base, by_round) in [
            ("spin", 100e6, [0.0, 5e6, -5e6, 2e6, -2e6]),
            ("parking-lot", 101e6, [-5e6, 0.0, 5e6, -2e6, 2e6]),
        ] {
            rewrite(&mut r, backend, 2, |i, rep| {
                rep.ops_per_sec = base + by_round[i];
            });
        }
        let g = at(&findings(&r), 2).clone();
        assert_eq!(g.leaders, 2, "{:?}", g.ranking);
        let leaders: Vec<&str> = g.ranking[..2]
            .iter()
            .map(|x| x.series.backend.as_str())
            .collect();
        assert_eq!(leaders, ["parking-lot", "spin"]);
        assert!(g.versus_next.unwrap().clear);
    }

    #[test]
    fn with_too_few_repetitions_there_is_no_verdict() {
        let mut r = sweep();
        for p in &mut r.points {
            let keep = p.repetitions[0].clone();
            p.repetitions.clear();
            add_repetition(p, keep);
        }
        let g = at(&findings(&r), 2).clone();
        assert!(g.unjudged.unwrap().starts_with("1 repetition"));
        assert_eq!(g.leaders, 1);
        assert!(!g.versus_next.unwrap().clear);
    }

    #[test]
    fn failed_locks_and_baselines_are_not_ranked() {
        let mut r = sweep();
        rewrite(&mut r, "ticket", 2, |_, rep| {
            rep.ops_per_sec *= 100.0;
            rep.lost_updates = 1;
            rep.verdict = crate::model::Verdict::LostUpdates;
        });
        // pthread stands for a baseline here.
        r.backend_facts = vec![BackendFacts {
            name: "pthread".into(),
            summary: String::new(),
            kind: Protection::AtomicRmw,
            fair: false,
            waiting: crate::locks::Waiting::Spin,
        }];
        let g = at(&findings(&r), 2).clone();
        assert!(g.ranking.iter().all(|x| x.series.backend != "ticket"));
        assert!(g.ranking.iter().all(|x| x.series.backend != "pthread"));
        assert_eq!(g.excluded.len(), 1);
        assert_eq!(g.excluded[0].0.backend, "ticket");
        assert_eq!(g.excluded[0].1, "failed verification");
    }

    #[test]
    fn a_starving_leader_is_named() {
        // spin at 4 threads on 2 CPUs: 1% hand-offs, a longest wait of 109 µs against a median
        // of 23 ns.
        let r = sweep();
        let g = at(&findings(&r), 4).clone();
        assert!(g.oversubscribed);
        assert!(
            g.caveats
                .iter()
                .any(|c| matches!(c, Caveat::Starves { series, .. } if series.backend == "spin")),
            "{:?}",
            g.caveats
        );
    }

    #[test]
    fn a_cpu_hungry_leader_is_named() {
        let mut r = sweep();
        rewrite(&mut r, "spin", 2, |_, rep| rep.cpu_ns_per_op = Some(500.0));
        rewrite(&mut r, "std", 2, |_, rep| rep.cpu_ns_per_op = Some(100.0));
        let g = at(&findings(&r), 2).clone();
        assert_eq!(g.ranking[0].series.backend, "spin");
        assert!(g.caveats.contains(&Caveat::CpuHungry {
            series: g.ranking[0].series.clone(),
            cpu_ns_per_op: 500.0,
            thriftiest: SeriesKey {
                backend: "std".into(),
                mode: WorkerMode::Threads
            },
            thriftiest_ns_per_op: 100.0,
        }));
    }
}
