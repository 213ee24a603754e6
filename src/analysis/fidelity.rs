//! How closely a replay matched the program it replays, quantity by quantity, each measured the
//! same way on both sides; and how its ranking of the backends agrees with the program's own
//! A/B.

use crate::measure::stats::LatencySummary;
use crate::model::{
    AbResults, FidelityRow, FidelityUnit, LockProfile, Point, Profile, Repetition, ReplayPlan,
    SweepResults,
};

/// A figure this many times off the program's (either way) is flagged.
pub const OFF: f64 = 1.5;

/// The replay's figures beside the program's, under the program's own backend (`None`: the
/// replay did not run it).
pub fn fidelity(p: &Profile, plan: &ReplayPlan, r: &SweepResults) -> Option<Vec<FidelityRow>> {
    let point = r.points.iter().find(|pt| pt.backend == p.backend.name)?;
    let program = program_figures(p, plan);
    let replay = replay_figures(point);
    use FidelityUnit::{Nanoseconds, PerSecond, Ratio, Share};
    let rows = [
        ("acquisitions/s per thread", PerSecond),
        ("threads' evenness", Ratio),
        ("reads", Share),
        ("found it taken", Share),
        ("  their wait p50", Nanoseconds),
        ("  their wait p99", Nanoseconds),
        ("hold mean", Nanoseconds),
        ("hand-offs", Share),
    ];
    Some(
        rows.iter()
            .zip(program.into_iter().zip(replay))
            .map(|(&(what, unit), (program, replay))| FidelityRow {
                what: what.to_string(),
                unit,
                program,
                replay,
            })
            .collect(),
    )
}

/// The program's figures over the replayed locks, in the order of [`fidelity`]'s rows.
fn program_figures(p: &Profile, plan: &ReplayPlan) -> [Option<f64>; 8] {
    let locks: Vec<&LockProfile> = plan
        .locks_replayed
        .iter()
        .filter_map(|n| p.locks.iter().find(|l| &l.name == n))
        .collect();
    let sum = |f: fn(&LockProfile) -> u64| locks.iter().map(|l| f(l)).sum::<u64>() as f64;
    let acquisitions = sum(|l| l.acquisitions).max(1.0);
    let active_s = locks.iter().map(|l| l.active_ns).max().unwrap_or(0) as f64 / 1e9;
    let threads = plan.workers.len().max(1) as f64;
    let weights: Vec<f64> = plan.workers.iter().map(|w| w.iter().sum()).collect();
    let (wait_p50, wait_p99) = contended_waits(&locks);
    let hold = locks
        .iter()
        .map(|l| l.hold.mean_ns * l.acquisitions as f64)
        .sum::<f64>()
        / acquisitions;
    [
        (active_s > 0.0).then(|| acquisitions / active_s / threads),
        Some(jain(&weights)),
        Some(sum(|l| l.shared_acquisitions) / acquisitions),
        Some(sum(|l| l.contended) / acquisitions),
        wait_p50,
        wait_p99,
        Some(hold),
        Some(sum(|l| l.handoffs) / acquisitions),
    ]
}

/// The replay's figures at `point` (medians over its repetitions), in the same order.
fn replay_figures(point: &Point) -> [Option<f64>; 8] {
    let median = |f: &dyn Fn(&Repetition) -> Option<f64>| {
        super::sweep::spread(point.repetitions.iter().filter_map(f)).map(|s| s.median)
    };
    let contended = |f: fn(&LatencySummary) -> u64| {
        median(&|rep| {
            let latency = rep.contended.as_ref()?.latency.as_ref()?;
            Some(f(latency) as f64)
        })
    };
    let threads = point.workers.max(1) as f64;
    [
        point.ops_per_sec.as_ref().map(|s| s.median / threads),
        point.jain_index.as_ref().map(|s| s.median),
        median(&|rep| {
            (rep.ops_per_sec > 0.0).then(|| rep.reads_per_sec.unwrap_or(0.0) / rep.ops_per_sec)
        }),
        median(&|rep| rep.contended.as_ref().map(|c| c.share)),
        contended(|l| l.p50_ns),
        contended(|l| l.p99_ns),
        median(&|rep| rep.realised_cs_ns),
        point.handoff_rate.as_ref().map(|s| s.median),
    ]
}

/// Jain's index of `x`: 1 when all are equal, 1/n when one has everything.
fn jain(x: &[f64]) -> f64 {
    let (sum, squares) = x.iter().fold((0.0, 0.0), |(s, q), v| (s + v, q + v * v));
    if squares == 0.0 {
        return 1.0;
    }
    sum * sum / (x.len() as f64 * squares)
}

/// The median and 99th percentile of the waits of `locks`' acquisitions that waited (those
/// that found the lock free are left out, as the replay's side leaves them out).
fn contended_waits(locks: &[&LockProfile]) -> (Option<f64>, Option<f64>) {
    let mut buckets: Vec<(u64, u64, u64)> = locks
        .iter()
        .flat_map(|l| l.wait.ranges())
        .filter(|b| b.0 > 0)
        .collect();
    buckets.sort_unstable();
    let total: u64 = buckets.iter().map(|b| b.2).sum();
    let at = |q: f64| -> Option<f64> {
        let rank = (q * total as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        buckets.iter().find_map(|&(low, high, n)| {
            seen += n;
            (seen >= rank).then(|| (low + high) as f64 / 2.0)
        })
    };
    (at(0.5), at(0.99))
}

/// How the replay's ranking of the backends agrees with the program's A/B.
#[derive(Clone, Debug, PartialEq)]
pub struct Agreement {
    /// The backends both ran, in the A/B's order.
    pub backends: Vec<String>,
    /// Each one's place in the replay's order (0 first).
    pub replay_rank: Vec<usize>,
    /// Spearman's rank correlation of the two orders (1: the same order; -1: reversed).
    pub spearman: f64,
    /// The A/B's leaders (those it cannot tell from its best).
    pub ab_leaders: Vec<String>,
    /// The replay's leaders, likewise.
    pub replay_leaders: Vec<String>,
}

impl Agreement {
    /// Whether every A/B leader is among the replay's leaders.
    pub fn leaders_kept(&self) -> bool {
        self.ab_leaders
            .iter()
            .all(|b| self.replay_leaders.contains(b))
    }
}

/// The agreement of the replay's sweep `r` (ranked by throughput, by the ranking rule) with
/// the A/B `ab` (ranked by the program's wall time), over the backends both ran.
pub fn agreement(ab: &AbResults, r: &SweepResults) -> Option<Agreement> {
    let points: Vec<&Point> = r.points.iter().collect();
    let figures: Vec<Vec<(u32, f64)>> = points
        .iter()
        .map(|p| {
            p.repetitions
                .iter()
                .map(|x| (x.round, x.ops_per_sec))
                .collect()
        })
        .collect();
    let ranking = super::ranking::rank(&figures, true, "repetition");
    let replay_order: Vec<&str> = ranking
        .order
        .iter()
        .map(|&i| points[i].backend.as_str())
        .collect();
    let replay_leaders: Vec<String> = replay_order
        [..ranking.leaders.max(1).min(replay_order.len())]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let backends: Vec<String> = ab
        .ranking
        .iter()
        .map(|a| a.backend.clone())
        .filter(|b| replay_order.contains(&b.as_str()))
        .collect();
    if backends.len() < 2 {
        return None;
    }
    let in_replay: Vec<&str> = replay_order
        .iter()
        .copied()
        .filter(|b| backends.iter().any(|x| x == b))
        .collect();
    let replay_rank: Vec<usize> = backends
        .iter()
        .map(|b| in_replay.iter().position(|x| x == b).unwrap_or(0))
        .collect();
    let n = backends.len() as f64;
    let d2: f64 = replay_rank
        .iter()
        .enumerate()
        .map(|(i, &j)| (i as f64 - j as f64).powi(2))
        .sum();
    let ab_leaders = ab.ranking[..ab.leaders.max(1).min(ab.ranking.len())]
        .iter()
        .map(|a| a.backend.clone())
        .filter(|b| backends.contains(b))
        .collect();
    Some(Agreement {
        spearman: 1.0 - 6.0 * d2 / (n * (n * n - 1.0)),
        backends,
        replay_rank,
        ab_leaders,
        replay_leaders,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jain_is_one_for_equal_and_one_over_n_for_one() {
        assert_eq!(jain(&[2.0, 2.0, 2.0]), 1.0);
        assert!((jain(&[1.0, 0.0, 0.0, 0.0]) - 0.25).abs() < 1e-12);
    }

    #[test]
    fn a_row_is_off_by_the_larger_ratio() {
        let row = FidelityRow {
            what: "x".into(),
            unit: FidelityUnit::Share,
            program: Some(0.2),
            replay: Some(0.5),
        };
        assert!((row.off().unwrap() - 2.5).abs() < 1e-12);
        let none = FidelityRow {
            replay: None,
            ..row
        };
        assert_eq!(none.off(), None);
    }
}
