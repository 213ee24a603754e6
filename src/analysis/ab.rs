//! The ranking of an A/B in a user's program: the backends by the median of their good runs,
//! the leader named only where it is ahead beyond the noise of the runs, by [`ranking`], the
//! rule the sweep's verdict uses, the rounds as blocks.

use super::ranking;
use crate::model::{AbMeasure, AbOutcome, AbRanked, AbRun};

/// The ranking of an A/B.
pub struct Ranking {
    /// The ranked backends, best first.
    pub ranked: Vec<AbRanked>,
    /// How many of the first lead.
    pub leaders: usize,
    /// Why the order is not judged, if it is not.
    pub unjudged: Option<String>,
    /// The backends left out, with the reason.
    pub excluded: Vec<(String, String)>,
    /// How many comparisons the ranking rule's family held.
    pub comparisons: usize,
}

/// The ranking of `runs` of `backends` (in the order they were asked for), ranked by `measure`.
pub fn rank(backends: &[String], runs: &[AbRun], measure: &AbMeasure) -> Ranking {
    let mut ranked = Vec::new();
    let mut excluded = Vec::new();
    let mut samples: Vec<(String, Vec<(u32, f64)>)> = Vec::new();
    for b in backends {
        let mine: Vec<&AbRun> = runs.iter().filter(|r| &r.backend == b).collect();
        let by_round: Vec<(u32, f64)> = mine
            .iter()
            .filter_map(|r| Some((r.round, r.figure(measure)?)))
            .collect();
        let figures: Vec<f64> = by_round.iter().map(|x| x.1).collect();
        let bad = mine.iter().filter(|r| r.outcome != AbOutcome::Ok).count();
        if figures.is_empty() {
            let why = match mine.first().map(|r| &r.outcome) {
                None => "no run was made".to_string(),
                Some(AbOutcome::TimedOut) => "every run timed out".to_string(),
                Some(AbOutcome::NoMetric) => "no run printed the metric".to_string(),
                Some(AbOutcome::Failed { why, .. }) => format!("every run failed ({why})"),
                Some(AbOutcome::Ok) => "no figure".to_string(),
            };
            excluded.push((b.clone(), why));
            continue;
        }
        if bad > 0 {
            // A backend some of whose runs failed is not ranked: its good runs are not the
            // whole story of it.
            excluded.push((
                b.clone(),
                format!("{bad} of its {} runs failed or timed out", mine.len()),
            ));
            continue;
        }
        let mut sorted = figures.clone();
        sorted.sort_by(f64::total_cmp);
        let median = if sorted.len() % 2 == 1 {
            sorted[sorted.len() / 2]
        } else {
            (sorted[sorted.len() / 2 - 1] + sorted[sorted.len() / 2]) / 2.0
        };
        let (lo, hi) = (sorted[0], sorted[sorted.len() - 1]);
        let (best, worst) = if measure.higher_is_better() {
            (hi, lo)
        } else {
            (lo, hi)
        };
        ranked.push(AbRanked {
            backend: b.clone(),
            median,
            best,
            worst,
            runs: figures.len(),
            p_vs_top: None,
            clearly_behind: false,
        });
        samples.push((b.clone(), by_round));
    }
    let figures: Vec<Vec<(u32, f64)>> = samples.iter().map(|(_, f)| f.clone()).collect();
    let rule = ranking::rank(&figures, measure.higher_is_better(), "good run");
    for (i, r) in ranked.iter_mut().enumerate() {
        if let Some(v) = rule.versus_best[i] {
            r.p_vs_top = v.p;
            r.clearly_behind = v.clear;
        }
    }
    let mut slots: Vec<Option<AbRanked>> = ranked.into_iter().map(Some).collect();
    let ranked: Vec<AbRanked> = rule
        .order
        .iter()
        .map(|&i| slots[i].take().expect("each backend once"))
        .collect();
    let (leaders, unjudged, comparisons) = (rule.leaders, rule.unjudged, rule.comparisons);
    Ranking {
        ranked,
        leaders,
        unjudged,
        excluded,
        comparisons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(backend: &str, secs: f64, outcome: AbOutcome) -> AbRun {
        AbRun {
            backend: backend.to_string(),
            round: 1,
            wall_ns: (secs * 1e9) as u64,
            outcome,
            metric: None,
            profile: None,
            hottest: None,
        }
    }

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_quickest_leads_alone_only_when_it_is_ahead_beyond_the_noise() {
        let mut runs = Vec::new();
        for round in 0..5 {
            let k = f64::from(round) * 0.01;
            // c is quicker than a in two rounds of five, slower in three: no clear order.
            let c = if round % 2 == 0 { 1.005 } else { 0.995 };
            for (b, secs) in [("a", 1.0 + k), ("b", 2.0 + k), ("c", c + k)] {
                let mut r = run(b, secs, AbOutcome::Ok);
                r.round = round + 1;
                runs.push(r);
            }
        }
        let Ranking {
            ranked,
            leaders,
            unjudged,
            excluded,
            ..
        } = rank(&names(&["a", "b", "c"]), &runs, &AbMeasure::WallTime);
        assert!(unjudged.is_none() && excluded.is_empty());
        let order: Vec<&str> = ranked.iter().map(|r| r.backend.as_str()).collect();
        assert_eq!(order, ["a", "c", "b"]);
        // c and a trade places: both lead; b is behind in every round.
        assert_eq!(leaders, 2);
        assert!(!ranked[1].clearly_behind && ranked[2].clearly_behind);
        assert!((ranked[0].median - 1.02).abs() < 1e-9);
    }

    #[test]
    fn failed_and_timed_out_runs_are_never_ranked_and_few_runs_are_not_judged() {
        let runs = vec![
            run("a", 1.0, AbOutcome::Ok),
            run("a", 1.1, AbOutcome::Ok),
            run("b", 0.1, AbOutcome::TimedOut),
            run(
                "c",
                0.2,
                AbOutcome::Failed {
                    why: "exit status 1".into(),
                    stderr_tail: String::new(),
                },
            ),
            run("c", 0.2, AbOutcome::Ok),
            run("d", 2.0, AbOutcome::Ok),
            run("d", 2.1, AbOutcome::Ok),
        ];
        let Ranking {
            ranked,
            leaders,
            unjudged,
            excluded,
            ..
        } = rank(&names(&["a", "b", "c", "d"]), &runs, &AbMeasure::WallTime);
        let order: Vec<&str> = ranked.iter().map(|r| r.backend.as_str()).collect();
        assert_eq!(order, ["a", "d"]);
        assert_eq!(leaders, 1);
        assert!(unjudged.unwrap().contains("2 good runs"));
        assert_eq!(excluded.len(), 2);
        assert!(excluded[0].1.contains("timed out"));
        assert!(excluded[1].1.contains("1 of its 2 runs failed"));
    }

    #[test]
    fn a_metric_where_more_is_better_ranks_the_largest_first() {
        let mut runs = Vec::new();
        // Two backends need five rounds for any claim.
        for k in 0..5 {
            let mut a = run("a", 1.0, AbOutcome::Ok);
            a.metric = Some(100.0 + f64::from(k));
            let mut b = run("b", 1.0, AbOutcome::Ok);
            b.metric = Some(200.0 + f64::from(k));
            (a.round, b.round) = (k + 1, k + 1);
            runs.extend([a, b]);
        }
        let m = AbMeasure::Metric {
            regex: "x".into(),
            higher_is_better: true,
        };
        let Ranking {
            ranked, leaders, ..
        } = rank(&names(&["a", "b"]), &runs, &m);
        assert_eq!(ranked[0].backend, "b");
        assert_eq!(leaders, 1);
        assert!(ranked[1].clearly_behind);
    }

    /// A/As of a program whose seven backends do not differ (wall times with a drift shared by
    /// each round and 5% noise), and with one truly 1.5× quicker: ab's ranking through the rule.
    #[test]
    fn identical_backends_are_rarely_told_apart_and_a_quicker_one_is_found() {
        use rand::SeedableRng;
        use rand_distr::{Distribution, Normal};
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(3);
        let (drift, noise) = (
            Normal::new(0.0, 0.05).unwrap(),
            Normal::new(0.0, 0.05).unwrap(),
        );
        let backends: Vec<String> = (0..7).map(|i| format!("b{i}")).collect();
        let mut trial = |quicker: Option<usize>| {
            let mut runs = Vec::new();
            for round in 1..=5 {
                let d: f64 = drift.sample(&mut rng);
                for (i, b) in backends.iter().enumerate() {
                    let speed = if quicker == Some(i) { 1.5 } else { 1.0 };
                    let secs = (d + noise.sample(&mut rng)).exp() / speed;
                    let mut r = run(b, secs, AbOutcome::Ok);
                    r.round = round;
                    runs.push(r);
                }
            }
            rank(&backends, &runs, &AbMeasure::WallTime)
        };
        let trials = 300;
        let false_claims = (0..trials)
            .filter(|_| trial(None).ranked.iter().any(|r| r.clearly_behind))
            .count();
        let found = (0..trials)
            .filter(|_| {
                let r = trial(Some(4));
                r.ranked[0].backend == "b4" && r.leaders == 1
            })
            .count();
        let (rate, power) = (
            false_claims as f64 / trials as f64,
            found as f64 / trials as f64,
        );
        eprintln!(
            "ab, 7 identical backends: a false claim in {rate:.3}; one 1.5x: found in {power:.3}"
        );
        assert!(rate <= 0.13, "{rate}");
        assert!(power >= 0.8, "{power}");
    }
}
