//! From a program's profile to the regime that replays its hottest locks: threads as measured,
//! the critical section from the measured holds, the work between from the measured gaps, and
//! the number of locks from how unevenly the program used them.

use hdrhistogram::Histogram;

use crate::model::{Distribution, LockProfile, Profile, ReplayPlan, WorkDraws};

/// The share of a lock's acquisitions below which a thread is not counted as one of its users.
const USER_SHARE: f64 = 0.01;

/// Steps between the quantiles of a replay's draws.
const STEPS: usize = 256;

/// The quantile the draws stop at: a hold or a gap beyond it is most likely the program's
/// thread preempted or blocked elsewhere, which the replay's own threads meet for themselves;
/// spun as busy work, it would be counted twice.
const TOP: f64 = 0.999;

/// The replay of `p`'s hottest `top` locks (those with acquisitions).
pub fn plan(p: &Profile, top: usize) -> Result<ReplayPlan, String> {
    if !p.recorded {
        return Err("records no acquisition (the program ran with LOCKBENCH_RECORD=off)".into());
    }
    let hot: Vec<&LockProfile> = p
        .locks
        .iter()
        .filter(|l| l.acquisitions > 0)
        .take(top.max(1))
        .collect();
    if hot.is_empty() {
        return Err("records no acquisition: no probe lock was taken".into());
    }
    let total: u64 = hot.iter().map(|l| l.acquisitions).sum();
    let shares: Vec<f64> = hot
        .iter()
        .map(|l| l.acquisitions as f64 / total as f64)
        .collect();
    let meet: f64 = shares.iter().map(|s| s * s).sum();
    let locks = (1.0 / meet).round().max(1.0) as u64;
    let threads = hot
        .iter()
        .map(|l| {
            l.thread_acquisitions
                .iter()
                .filter(|&&n| n as f64 >= USER_SHARE * l.acquisitions as f64)
                .count()
                .max(usize::from(l.thread_acquisitions.is_empty()) * l.threads)
        })
        .max()
        .unwrap_or(1)
        .max(1);
    let weighted = |f: &dyn Fn(&LockProfile) -> f64| -> f64 {
        hot.iter().zip(&shares).map(|(l, s)| f(l) * s).sum::<f64>()
    };
    let hold = weighted(&|l| l.hold.mean_ns);
    let wait = weighted(&|l| l.wait.mean_ns);
    // The think time: between a thread's two acquisitions of its most used lock lie 1 / share
    // of its acquisitions of any of them, each a wait, a hold and a think; so a think is that
    // lock's share of (its gap + its hold + its wait), less the mean hold and wait. (A rarely
    // taken lock's long gap would swamp a plain mean of the gaps.)
    let (most, share) = hot
        .iter()
        .zip(&shares)
        .max_by(|a, b| a.1.total_cmp(b.1))
        .expect("at least one lock");
    let cycle = share * (most.gap.mean_ns + most.hold.mean_ns + most.wait.mean_ns);
    Ok(ReplayPlan {
        locks_replayed: hot.iter().map(|l| l.name.clone()).collect(),
        threads,
        locks,
        shares,
        hold_ns: hold.round() as u64,
        think_ns: (cycle - hold - wait).max(0.0).round() as u64,
    })
}

/// The distributions a replay of `p` under `plan` draws from: its critical section from the
/// replayed locks' holds (their histograms merged, so each lock weighs by its acquisitions),
/// its think time from the most used lock's gaps, each made a think as the plan makes its mean
/// think time of the mean gap (see [`plan`]); both up to their 99.9th percentile.
pub fn draws(p: &Profile, plan: &ReplayPlan) -> Result<WorkDraws, String> {
    let hot: Vec<&LockProfile> = plan
        .locks_replayed
        .iter()
        .filter_map(|name| p.locks.iter().find(|l| &l.name == name))
        .collect();
    let histogram = |l: &LockProfile, what: &str, d: &Distribution| {
        crate::model::profile::histogram(d).map_err(|e| format!("lock {}'s {what} {e}", l.name))
    };
    let mut holds: Option<Histogram<u64>> = None;
    for l in &hot {
        let h = histogram(l, "hold", &l.hold)?;
        match &mut holds {
            Some(all) => all
                .add(&h)
                .map_err(|e| format!("lock {}'s holds do not merge: {e:?}", l.name))?,
            None => holds = Some(h),
        }
    }
    let holds = holds.ok_or("no lock to replay")?;
    let (most, share) = hot
        .iter()
        .zip(&plan.shares)
        .max_by(|a, b| a.1.total_cmp(b.1))
        .ok_or("no lock to replay")?;
    let gaps = histogram(most, "gap", &most.gap)?;
    // Each gap as the plan makes the mean think time of the mean gap.
    let weighted = |f: &dyn Fn(&LockProfile) -> f64| -> f64 {
        hot.iter()
            .zip(&plan.shares)
            .map(|(l, s)| f(l) * s)
            .sum::<f64>()
    };
    let offset = share * (most.hold.mean_ns + most.wait.mean_ns)
        - weighted(&|l| l.hold.mean_ns)
        - weighted(&|l| l.wait.mean_ns);
    let quantiles = |h: &Histogram<u64>, map: &dyn Fn(f64) -> f64| -> Vec<u64> {
        let top = h.value_at_quantile(TOP) as f64;
        let mut points: Vec<u64> = (0..=STEPS)
            .map(|i| {
                let q = i as f64 / STEPS as f64 * TOP;
                let v = if i == 0 {
                    h.min() as f64
                } else {
                    (h.value_at_quantile(q) as f64).min(top)
                };
                map(v).max(0.0).round().min(WorkDraws::MAX_NS as f64) as u64
            })
            .collect();
        // A histogram's buckets can put a quantile a hair below the one before; draws ascend.
        for i in 1..points.len() {
            points[i] = points[i].max(points[i - 1]);
        }
        points
    };
    Ok(WorkDraws {
        source: format!(
            "the profile of {} under {}: holds of {}, gaps of {}",
            p.program.first().map_or("?", String::as_str),
            p.backend.name,
            plan.locks_replayed.join(", "),
            most.name
        ),
        cs_ns: quantiles(&holds, &|v| v),
        think_ns: quantiles(&gaps, &|g| share * g + offset),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Distribution, LockKind};

    fn lock(name: &str, acquisitions: u64, per_thread: &[u64], hold: f64, gap: f64) -> LockProfile {
        LockProfile {
            name: name.into(),
            named: true,
            kind: LockKind::Mutex,
            backend: "std".into(),
            instances: 1,
            threads: per_thread.len(),
            thread_acquisitions: per_thread.to_vec(),
            acquisitions,
            shared_acquisitions: 0,
            contended: 0,
            refused_tries: 0,
            handoffs: 0,
            waiters_mean: 0.0,
            waiters_max: 0,
            wait: Distribution::default(),
            hold: Distribution {
                mean_ns: hold,
                ..Distribution::default()
            },
            gap: Distribution {
                mean_ns: gap,
                ..Distribution::default()
            },
            active_ns: 0,
        }
    }

    #[test]
    fn uneven_use_of_locks_is_replayed_as_fewer_even_ones() {
        let p: Profile =
            serde_json::from_str(include_str!("../../tests/fixtures/profile-wordcount.json"))
                .unwrap();
        let mut p = p;
        // Two locks used 50/50 meet as often as two even locks; 90/10 as 1.2 locks: one.
        p.locks = vec![
            lock("a", 900, &[450, 449, 1], 100.0, 1000.0),
            lock("b", 100, &[50, 50], 300.0, 3000.0),
        ];
        let plan = super::plan(&p, 4).unwrap();
        assert_eq!(plan.locks, 1);
        assert_eq!(plan.threads, 2, "a thread with 1 of 900 is not a user");
        assert_eq!(plan.hold_ns, 120);
        // 0.9 x (1000 + 100) - 120: a's gap holds the b acquisitions that fall between.
        assert_eq!(plan.think_ns, 870);
        p.locks = vec![
            lock("a", 500, &[250, 250], 100.0, 1000.0),
            lock("b", 500, &[250, 250], 100.0, 1000.0),
        ];
        let plan = super::plan(&p, 4).unwrap();
        assert_eq!(plan.locks, 2);
        // Alternating between two: a's gap is a think, a hold of b and a think.
        assert_eq!(plan.think_ns, 450);
        p.recorded = false;
        assert!(
            super::plan(&p, 4)
                .unwrap_err()
                .contains("LOCKBENCH_RECORD=off")
        );
    }

    /// A distribution of `values`, with its histogram.
    fn measured(values: &[(u64, u64)]) -> Distribution {
        let mut h = Histogram::<u64>::new(2).unwrap();
        for &(v, n) in values {
            h.record_n(v, n).unwrap();
        }
        Distribution {
            samples: h.len(),
            total_ns: values.iter().map(|(v, n)| v * n).sum(),
            mean_ns: h.mean(),
            p50_ns: h.value_at_quantile(0.5),
            p99_ns: h.value_at_quantile(0.99),
            max_ns: h.max(),
            histogram: crate::measure::recorder::encode_histogram(&h),
            buckets: Vec::new(),
        }
    }

    #[test]
    fn the_draws_follow_the_measured_holds_and_gaps() {
        let mut p: Profile =
            serde_json::from_str(include_str!("../../tests/fixtures/profile-wordcount.json"))
                .unwrap();
        // Half the holds 100 ns, half 300 ns, and one of 10 ms (a holder preempted); every
        // gap 500 ns.
        let mut one = lock("a", 2001, &[1000, 1001], 0.0, 0.0);
        one.hold = measured(&[(100, 1000), (300, 1000), (10_000_000, 1)]);
        one.gap = measured(&[(500, 2001)]);
        p.locks = vec![one];
        let plan = super::plan(&p, 4).unwrap();
        let d = super::draws(&p, &plan).unwrap();
        assert_eq!(d.cs_ns.len(), STEPS + 1);
        assert_eq!(d.cs_ns[0], 100);
        assert!(d.cs_ns.windows(2).all(|w| w[0] <= w[1]), "{:?}", d.cs_ns);
        // The preempted hold is left out: the draws stop at the 99.9th percentile.
        assert!(*d.cs_ns.last().unwrap() <= 301, "{:?}", d.cs_ns.last());
        // Half the draws at 100, half at 300, with a step between them of 1/256.
        assert!(
            (195.0..205.0).contains(&d.cs_mean_ns()),
            "{}",
            d.cs_mean_ns()
        );
        // One lock: a think is the gap itself (to the histogram's resolution: 500 and 501
        // share a bucket).
        assert!(
            d.think_ns.iter().all(|&t| (500..=501).contains(&t)),
            "{:?}",
            d.think_ns
        );
        assert!(d.problem().is_none());
        assert!(d.source.contains("holds of a"), "{}", d.source);
        // A profile whose histograms are missing says so.
        p.locks[0].gap.histogram = "not a histogram".into();
        assert!(super::draws(&p, &plan).unwrap_err().contains("a's gap"));
    }
}
