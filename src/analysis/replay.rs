//! From a program's profile to the regime that replays its hottest locks: every object of
//! them a lock of its own, each of the program's threads taking them in its own measured mix
//! (who took which object, from the sampled acquisitions), readers shared where the program's
//! were, and every critical section and think time drawn from the whole measured
//! distributions of the lock it is an object of.

use std::collections::BTreeMap;

use crate::model::{
    DrawnLock, LockKind, LockProfile, Point, Profile, ReplayPlan, WorkDraws, buckets_mean,
};

/// The share of the replayed acquisitions below which a thread is not replayed.
const USER_SHARE: f64 = 0.01;

/// The most objects of one lock replayed: the most used; the rest, with their share, said.
const MAX_OBJECTS: usize = 1024;

/// The replay of `p`'s hottest `top` locks (those with acquisitions).
pub fn plan(p: &Profile, top: usize) -> Result<ReplayPlan, String> {
    if !p.recorded {
        return Err("records no acquisition (the program ran with LOCKBENCH_RECORD=off)".into());
    }
    let hot = hottest(p, top);
    if hot.is_empty() {
        return Err("records no acquisition: no probe lock was taken".into());
    }
    let total: u64 = hot.iter().map(|l| l.acquisitions).sum();
    let shares: Vec<f64> = hot
        .iter()
        .map(|l| l.acquisitions as f64 / total as f64)
        .collect();
    let mut assumed = Vec::new();
    // Each (thread, slot)'s share of all the replayed acquisitions.
    let mut slots = Vec::new();
    let mut use_of: BTreeMap<u32, BTreeMap<usize, f64>> = BTreeMap::new();
    for (i, (l, share)) in hot.iter().zip(&shares).enumerate() {
        let first = slots.len();
        let uses = lock_uses(l, &mut assumed);
        let objects = uses.iter().map(|u| u.1).max().map_or(0, |m| m + 1);
        slots.extend(std::iter::repeat_n(i as u32, objects));
        let sampled: f64 = uses.iter().map(|u| u.2).sum();
        for (thread, object, n) in uses {
            *use_of
                .entry(thread)
                .or_default()
                .entry(first + object)
                .or_default() += n / sampled * share;
        }
    }
    let use_of = users(use_of);
    let threads: Vec<u32> = use_of.keys().copied().collect();
    let workers: Vec<Vec<f64>> = use_of
        .values()
        .map(|w| {
            (0..slots.len())
                .map(|s| w.get(&s).copied().unwrap_or(0.0))
                .collect()
        })
        .collect();
    let slot_share = |s: usize| workers.iter().map(|w| w[s]).sum::<f64>();
    let all: f64 = (0..slots.len()).map(slot_share).sum();
    let meet: f64 = (0..slots.len())
        .map(|s| (slot_share(s) / all).powi(2))
        .sum();
    let weighted = |f: &dyn Fn(&LockProfile) -> f64| -> f64 {
        hot.iter().zip(&shares).map(|(l, s)| f(l) * s).sum::<f64>()
    };
    let (hold_ns, think_ns) = (
        weighted(&|l| l.hold.mean_ns),
        weighted(&|l| think(l).mean_ns),
    );
    Ok(ReplayPlan {
        locks_replayed: hot.iter().map(|l| l.name.clone()).collect(),
        reads: hot.iter().map(|l| read_share(l)).collect(),
        shares,
        slots,
        threads,
        workers,
        even_locks: 1.0 / meet.max(f64::MIN_POSITIVE),
        hold_ns,
        think_ns,
        assumed,
    })
}

/// The threads replayed: those with a real share of the acquisitions; where none has one
/// (hundreds of threads, each a sliver), the busiest hundred.
fn users(use_of: BTreeMap<u32, BTreeMap<usize, f64>>) -> BTreeMap<u32, BTreeMap<usize, f64>> {
    let share = |slots: &BTreeMap<usize, f64>| slots.values().sum::<f64>();
    if use_of.values().any(|s| share(s) >= USER_SHARE) {
        return use_of
            .into_iter()
            .filter(|(_, s)| share(s) >= USER_SHARE)
            .collect();
    }
    let mut by_use: Vec<(u32, BTreeMap<usize, f64>)> = use_of.into_iter().collect();
    by_use.sort_by(|a, b| share(&b.1).total_cmp(&share(&a.1)));
    by_use.truncate(100);
    by_use.into_iter().collect()
}

/// The hottest `top` locks of `p` with acquisitions.
fn hottest(p: &Profile, top: usize) -> Vec<&LockProfile> {
    p.locks
        .iter()
        .filter(|l| l.acquisitions > 0)
        .take(top.max(1))
        .collect()
}

/// Lock `l`'s use as (thread, object, weight): its sampled uses, its most used objects
/// numbered from 0; or, where the profile does not say (before version 3), its objects used
/// evenly by each of its threads as often as that thread took it.
fn lock_uses(l: &LockProfile, assumed: &mut Vec<String>) -> Vec<(u32, usize, f64)> {
    if l.uses.is_empty() {
        let objects = (l.instances.max(1) as usize).min(MAX_OBJECTS);
        assumed.push(format!(
            "{}: the profile does not say which thread took which of its {} objects (it \
             predates version 3, or none of the lock's acquisitions was sampled): they are \
             replayed as used evenly, by every thread",
            l.name, l.instances
        ));
        let users: Vec<f64> = if l.thread_acquisitions.is_empty() {
            vec![1.0; l.threads.max(1)]
        } else {
            l.thread_acquisitions.iter().map(|&n| n as f64).collect()
        };
        return users
            .iter()
            .enumerate()
            .flat_map(|(t, &n)| (0..objects).map(move |o| (t as u32, o, n / objects as f64)))
            .collect();
    }
    let mut per_object: BTreeMap<u32, u64> = BTreeMap::new();
    for u in &l.uses {
        *per_object.entry(u.object).or_default() += u.samples;
    }
    let mut order: Vec<(u32, u64)> = per_object.into_iter().collect();
    order.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    if order.len() > MAX_OBJECTS {
        let all: u64 = order.iter().map(|o| o.1).sum();
        let left: u64 = order[MAX_OBJECTS..].iter().map(|o| o.1).sum();
        assumed.push(format!(
            "{}: its {} most used objects are replayed; the other {} took {:.1}% of its \
             acquisitions",
            l.name,
            MAX_OBJECTS,
            order.len() - MAX_OBJECTS,
            left as f64 / all as f64 * 100.0
        ));
        order.truncate(MAX_OBJECTS);
    }
    let number: BTreeMap<u32, usize> = order.iter().enumerate().map(|(i, o)| (o.0, i)).collect();
    l.uses
        .iter()
        .filter_map(|u| Some((u.thread, *number.get(&u.object)?, u.samples as f64)))
        .collect()
}

/// The share of `l`'s acquisitions taken shared.
fn read_share(l: &LockProfile) -> f64 {
    if l.kind == LockKind::Rwlock {
        l.shared_acquisitions as f64 / l.acquisitions.max(1) as f64
    } else {
        0.0
    }
}

/// `l`'s think times: from its release to the thread's next acquisition of any lock (the gap
/// to its own next acquisition where the profile predates them).
fn think(l: &LockProfile) -> &crate::model::Distribution {
    if l.think.samples > 0 {
        &l.think
    } else {
        &l.gap
    }
}

/// The distributions a replay of `p` under `plan` draws from: each replayed lock's holds and
/// think times, whole (a length beyond the 1 s a draw may last is drawn as 1 s, and said);
/// with `fixed`, each at its mean.
pub fn draws(p: &Profile, plan: &ReplayPlan, fixed: bool) -> Result<WorkDraws, String> {
    let mut locks = Vec::new();
    for (name, reads) in plan.locks_replayed.iter().zip(&plan.reads) {
        let l = p
            .locks
            .iter()
            .find(|l| &l.name == name)
            .ok_or_else(|| format!("has no lock {name}"))?;
        let table = |what: &str, d: &crate::model::Distribution| {
            if fixed {
                let mean = (d.mean_ns.round() as u64).min(WorkDraws::MAX_NS);
                return Ok(vec![(mean, mean, 1)]);
            }
            buckets(d).map_err(|e| format!("lock {name}'s {what} {e}"))
        };
        locks.push(DrawnLock {
            name: name.clone(),
            cs: table("hold", &l.hold)?,
            think: table("think", think(l))?,
            reads: *reads,
        });
    }
    Ok(WorkDraws {
        source: format!(
            "the profile of {} under {}: {}",
            p.program.first().map_or("?", String::as_str),
            p.backend.name,
            plan.locks_replayed.join(", ")
        ),
        cs_ns: Vec::new(),
        think_ns: Vec::new(),
        locks,
        slots: plan.slots.clone(),
        workers: plan.workers.clone(),
    })
}

/// A distribution's histogram as (lowest, highest, count) buckets, lengths beyond a draw's
/// longest drawn as the longest; an empty one as a single zero.
fn buckets(d: &crate::model::Distribution) -> Result<Vec<(u64, u64, u64)>, String> {
    let top = WorkDraws::MAX_NS;
    let clamp = |(low, high, n): (u64, u64, u64)| (low.min(top), high.min(top), n);
    let mut out: Vec<(u64, u64, u64)> = if d.buckets.is_empty() && !d.histogram.is_empty() {
        let h = crate::model::profile::histogram(d)?;
        h.iter_recorded()
            .map(|v| {
                let high = v.value_iterated_to();
                (h.lowest_equivalent(high), high, v.count_at_value())
            })
            .map(clamp)
            .collect()
    } else {
        d.ranges().map(clamp).collect()
    };
    out.retain(|b| b.2 > 0);
    if out.is_empty() {
        out.push((0, 0, 1));
    }
    Ok(out)
}

/// The mean critical section and think time of one operation of worker `worker` under
/// `draws`, ns: each lock's means weighed by the worker's mix.
pub fn work_per_operation(draws: &WorkDraws, worker: usize) -> (f64, f64) {
    let Some(mix) = draws.workers.get(worker) else {
        return (draws.cs_mean_ns(), draws.think_mean_ns());
    };
    let total: f64 = mix.iter().sum();
    mix.iter()
        .zip(&draws.slots)
        .map(|(w, &l)| {
            let l = &draws.locks[l as usize];
            (
                w / total * buckets_mean(&l.cs),
                w / total * buckets_mean(&l.think),
            )
        })
        .fold((0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1))
}

/// The replay's own cost per operation beyond its drawn work, in ns, inside the critical
/// section and outside it, from `point`: one thread of the replay (worker 0's mix) under
/// `draws` (`None` where it ran nothing or timed no critical section).
pub fn own_cost(point: &Point, draws: &WorkDraws) -> Option<(f64, f64)> {
    let per_op = 1e9 / point.ops_per_sec.as_ref()?.median;
    let held = super::sweep::spread(point.repetitions.iter().filter_map(|r| r.realised_cs_ns))?;
    let (cs, think) = work_per_operation(draws, 0);
    let inside = (held.median - cs).max(0.0);
    Some((inside, (per_op - cs - think - inside).max(0.0)))
}

/// Takes `inside` ns out of every critical section of `draws` and `outside` out of every
/// think time (a length shorter than that becomes none).
pub fn take_out(draws: &mut WorkDraws, inside: f64, outside: f64) {
    let less = |buckets: &mut Vec<(u64, u64, u64)>, ns: f64| {
        let ns = ns.round() as u64;
        for b in buckets {
            *b = (b.0.saturating_sub(ns), b.1.saturating_sub(ns), b.2);
        }
    };
    for l in &mut draws.locks {
        less(&mut l.cs, inside);
        less(&mut l.think, outside);
    }
}

/// How much of a measured mean the draws keep: the drawn mean over `measured` (1 when all).
pub fn kept(buckets: &[(u64, u64, u64)], measured: f64) -> f64 {
    if measured <= 0.0 {
        return 1.0;
    }
    buckets_mean(buckets) / measured
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Distribution, LockKind};
    use lockbench_probe::format::LockUse;

    /// A distribution of `values` (ns, count) as the probe writes one: its buckets.
    fn measured(values: &[(u64, u64)]) -> Distribution {
        let samples = values.iter().map(|v| v.1).sum();
        let total_ns = values.iter().map(|(v, n)| v * n).sum();
        Distribution {
            samples,
            total_ns,
            mean_ns: total_ns as f64 / samples as f64,
            buckets: values.to_vec(),
            ..Distribution::default()
        }
    }

    /// A lock taken `acquisitions` times, its objects used as `uses` (thread, object, samples).
    fn lock(name: &str, acquisitions: u64, uses: &[(u32, u32, u64)]) -> LockProfile {
        LockProfile {
            name: name.into(),
            named: true,
            kind: LockKind::Mutex,
            backend: "std".into(),
            instances: uses.iter().map(|u| u64::from(u.1) + 1).max().unwrap_or(1),
            threads: 2,
            thread_acquisitions: vec![acquisitions / 2, acquisitions / 2],
            acquisitions,
            shared_acquisitions: 0,
            contended: 0,
            refused_tries: 0,
            handoffs: 0,
            waiters_mean: 0.0,
            waiters_max: 0,
            wait: Distribution::default(),
            hold: measured(&[(96, 3), (1024, 1)]),
            hold_after_handoff: Distribution::default(),
            gap: measured(&[(200, 1)]),
            think: measured(&[(104, 1)]),
            uses: uses
                .iter()
                .map(|&(thread, object, samples)| LockUse {
                    thread,
                    object,
                    samples,
                    shared: 0,
                })
                .collect(),
            active_ns: 0,
        }
    }

    fn profile(locks: Vec<LockProfile>) -> Profile {
        let mut p: Profile =
            serde_json::from_str(include_str!("../../tests/fixtures/profile-wordcount.json"))
                .unwrap();
        p.locks = locks;
        p
    }

    #[test]
    fn the_objects_of_one_site_replay_as_locks_of_their_own() {
        // 64 shards made at one line, taken by 4 threads across all of them (the sharded
        // interner): 64 locks, not one.
        let uses: Vec<(u32, u32, u64)> = (0..4)
            .flat_map(|t| (0..64).map(move |o| (t, o, 10 + u64::from(o % 3))))
            .collect();
        let plan = plan(&profile(vec![lock("bins", 640_000, &uses)]), 4).unwrap();
        assert!(plan.slots.len() > 32, "{} locks", plan.slots.len());
        assert_eq!(plan.slots.len(), 64);
        assert!(plan.even_locks > 60.0, "{}", plan.even_locks);
        assert_eq!(plan.workers.len(), 4);
        assert!(plan.workers.iter().all(|w| w.iter().all(|&x| x > 0.0)));
        let d = draws(&profile(vec![lock("bins", 640_000, &uses)]), &plan, false).unwrap();
        assert_eq!(d.slots, vec![0; 64]);
        assert_eq!(d.problem(), None);
    }

    #[test]
    fn threads_with_locks_of_their_own_replay_without_meeting() {
        // Two threads, each with its own lock of one site: neither replay thread ever takes
        // the other's.
        let own = lock("own", 2_000, &[(0, 0, 500), (1, 1, 500)]);
        let plan = plan(&profile(vec![own]), 4).unwrap();
        assert_eq!(plan.slots.len(), 2);
        assert_eq!(plan.workers.len(), 2);
        let (a, b) = (&plan.workers[0], &plan.workers[1]);
        assert!(a[0] > 0.0 && a[1] == 0.0, "{a:?}");
        assert!(b[1] > 0.0 && b[0] == 0.0, "{b:?}");
        // Two hundred threads, each with 0.5%: the busiest hundred are replayed, not none.
        let many: Vec<(u32, u32, u64)> = (0..200).map(|t| (t, 0, 10 + u64::from(t % 2))).collect();
        let plan_many = super::plan(&profile(vec![lock("many", 2_000, &many)]), 4).unwrap();
        assert_eq!(plan_many.workers.len(), 100);
        assert!(
            plan_many.threads.iter().all(|t| t % 2 == 1),
            "the busier ones"
        );
        // A thread with under 1% of the acquisitions is not replayed.
        let few = lock("few", 2_000, &[(0, 0, 500), (1, 0, 500), (2, 0, 3)]);
        assert_eq!(
            super::plan(&profile(vec![few]), 4).unwrap().workers.len(),
            2
        );
    }

    #[test]
    fn a_read_mostly_rwlock_replays_with_shared_readers() {
        let mut table = lock("routes", 10_000, &[(0, 0, 80), (1, 0, 80)]);
        table.kind = LockKind::Rwlock;
        table.shared_acquisitions = 9_900;
        let p = profile(vec![table, lock("log", 10_000, &[(0, 0, 80)])]);
        let plan = plan(&p, 4).unwrap();
        assert!(plan.reads());
        assert_eq!(plan.reads, vec![0.99, 0.0]);
        let d = draws(&p, &plan, false).unwrap();
        assert_eq!(d.locks[0].reads, 0.99);
        assert_eq!(
            d.locks[1].reads, 0.0,
            "a mutex's acquisitions are all writes"
        );
    }

    #[test]
    fn the_draws_keep_the_whole_distributions() {
        let p = profile(vec![lock("a", 1_000, &[(0, 0, 10), (1, 0, 10)])]);
        let plan = plan(&p, 4).unwrap();
        let d = draws(&p, &plan, false).unwrap();
        // The tail bucket (1024 ns, a quarter of the holds) is drawn, not cut: the drawn mean
        // is the measured one, to the buckets' width.
        let hold = &p.locks[0].hold;
        assert!(
            (kept(&d.locks[0].cs, hold.mean_ns) - 1.0).abs() < 0.07,
            "{:?}",
            d.locks[0].cs
        );
        assert_eq!(d.locks[0].cs.last().unwrap().0, 1024);
        // The think is the release to the next acquisition of any lock, not the gap.
        assert_eq!(d.locks[0].think, vec![(104, 111, 1)]);
        // Fixed: each at its mean.
        let f = draws(&p, &plan, true).unwrap();
        assert_eq!(f.locks[0].cs, vec![(328, 328, 1)]);
    }

    #[test]
    fn an_older_profile_is_replayed_with_what_it_says() {
        let mut old = lock("a", 1_000, &[]);
        old.uses.clear();
        old.instances = 8;
        old.think = Distribution::default();
        let p = profile(vec![old]);
        let plan = plan(&p, 4).unwrap();
        assert_eq!(plan.slots.len(), 8);
        assert!(plan.assumed[0].contains("version 3"), "{:?}", plan.assumed);
        assert_eq!(plan.think_ns, 200.0, "the gap stands in for the think");
        let mut p = p;
        p.recorded = false;
        assert!(
            super::plan(&p, 4)
                .unwrap_err()
                .contains("LOCKBENCH_RECORD=off")
        );
    }
}
