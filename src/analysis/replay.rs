//! From a program's profile to the regime that replays its hottest locks: threads as measured,
//! the critical section from the measured holds, the work between from the measured gaps, and
//! the number of locks from how unevenly the program used them.

use crate::model::{LockProfile, Profile, ReplayPlan};

/// The share of a lock's acquisitions below which a thread is not counted as one of its users.
const USER_SHARE: f64 = 0.01;

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
}
