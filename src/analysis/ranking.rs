//! The one ranking rule: every verdict lockbench gives (a sweep's winner, `ab`'s and `replay`'s
//! leaders, `compare`'s changes, a fleet's per-machine answers) is decided here, by permutation
//! tests that control the family-wise error of all the claims a verdict makes.
//!
//! **Ranking candidates** ([`rank`]): the candidates ran in rounds, every candidate once a round
//! in a fresh order, so within a round they saw the same machine. A candidate's figure is its
//! mean log figure over the rounds (so a difference is the log of the geometric mean of the
//! per-round ratios, and the machine's drift between rounds cancels). Under "these candidates
//! do not differ" their figures are exchangeable within each round, so the p-value of a set of
//! candidates is the share of relabellings (within each round, among the set) whose range of
//! means reaches the observed one: every relabelling where there are few, else [`DRAWS`] drawn
//! with a fixed seed. The claims a verdict makes are "the best is ahead of X"; by closed
//! testing over the prefixes of the ranking (best first), the best is ahead of the candidate
//! ranked `m`-th only where the first `m`, the first `m + 1`, ..., and all of them each differ
//! at [`LEVEL`]. When nothing differs, the test of all of them guards every claim, so the
//! chance of any false claim is at most [`LEVEL`] however many candidates there are; a
//! candidate far behind (a ticket lock 100× slower) is in the longer prefixes only, and does not
//! widen the noise the leaders are judged against. Two candidates need five rounds for a claim
//! (2 of their 2⁵ relabellings are as extreme as any outcome can be: p = 0.0625).
//!
//! **Comparing two runs** ([`changes`]): the two files' rounds are the units; under "nothing
//! changed" they are exchangeable between the files, so a point's Welch statistic on log
//! throughput is referred to the largest such statistic over all points when the rounds are
//! reassigned between the two files at random (every point measured on one reassignment: the
//! points' correlation is kept), step-down (Westfall and Young): a point is called changed
//! where its statistic is beyond what the relabellings give for the largest over it and every
//! point less extreme.
//!
//! The words every report uses for a claim are `report::verdict::adjusted`'s.

use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use rand::seq::SliceRandom;

/// The family-wise error rate of a verdict's claims when nothing differs.
pub const LEVEL: f64 = 0.10;
/// Fewest rounds for any claim: below this the figures are shown, not judged.
pub const MIN_ROUNDS: usize = 3;
/// Relabellings drawn when there are more than this many in all (else every one is used).
pub const DRAWS: usize = 9_999;
/// The generator's seed: the same figures always give the same verdict.
const SEED: u64 = 0x6c6f_636b_6265_6e63;

/// A ranking of candidates measured in rounds.
#[derive(Clone, Debug, PartialEq)]
pub struct Ranking {
    /// The candidates' indices, best median first.
    pub order: Vec<usize>,
    /// How many at the head of `order` cannot be told from the best: the best, and every
    /// candidate after it down to the first that is behind it beyond the noise.
    pub leaders: usize,
    /// Why the order is not judged, where it is not.
    pub unjudged: Option<String>,
    /// Per candidate (by index): the best against it; `None` for the best itself.
    pub versus_best: Vec<Option<Versus>>,
    /// How many comparisons the family of claims holds (the best against each other).
    pub comparisons: usize,
    /// The rounds every candidate ran in, which the test used.
    pub rounds: usize,
}

/// The best candidate against another.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Versus {
    /// The adjusted p-value of their difference (`None` where the order is not judged).
    pub p: Option<f64>,
    /// Whether the best is ahead beyond the noise: adjusted p at most [`LEVEL`], and ahead in
    /// its median and in its mean log figure.
    pub clear: bool,
    /// Whether every figure of the best is better than every figure of the other.
    pub ranges_apart: bool,
}

/// Ranks `figures` (per candidate: `(round, figure)`), best median first; ratios are judged
/// where every figure is positive, differences otherwise.
/// `higher_is_better` says which way; `noun` names a figure in the words ("repetition",
/// "good run").
pub fn rank(figures: &[Vec<(u32, f64)>], higher_is_better: bool, noun: &str) -> Ranking {
    let figures = &usable(figures);
    let sense = if higher_is_better { 1.0 } else { -1.0 };
    let medians: Vec<f64> = figures
        .iter()
        .map(|f| sense * median(f.iter().map(|x| x.1)))
        .collect();
    let mut order: Vec<usize> = (0..figures.len()).collect();
    order.sort_by(|&a, &b| medians[b].total_cmp(&medians[a]));
    let k = figures.len();
    let table = common_rounds(figures, sense);
    let rounds = table.first().map_or(0, Vec::len);
    let comparisons = k.saturating_sub(1);
    let unjudged = (k > 1).then(|| too_few(k, rounds, noun)).flatten();
    let sets = if unjudged.is_none() && k > 1 {
        Some(prefix_p(&table, &order))
    } else {
        None
    };
    let mut versus_best = vec![None; k];
    if let Some(&best) = order.first() {
        let mean = |i: usize| table[i].iter().sum::<f64>();
        for (at, &j) in order.iter().enumerate().skip(1) {
            // Closed testing: the best is ahead of the candidate at `at` only where every
            // prefix holding both (the first at + 1, and every longer one) differs.
            let pij = sets
                .as_ref()
                .map(|p| p[at - 1..].iter().copied().fold(0.0, f64::max));
            versus_best[j] = Some(Versus {
                p: pij,
                clear: pij.is_some_and(|p| p <= LEVEL)
                    && medians[best] > medians[j]
                    && mean(best) > mean(j),
                ranges_apart: apart(&figures[best], &figures[j], sense),
            });
        }
    }
    let leaders = match order.len() {
        0 => 0,
        _ if unjudged.is_some() => 1,
        _ => {
            1 + order[1..]
                .iter()
                .take_while(|&&j| !versus_best[j].is_some_and(|v| v.clear))
                .count()
        }
    };
    Ranking {
        order,
        leaders,
        unjudged,
        versus_best,
        comparisons,
        rounds,
    }
}

/// Why `rounds` rounds of `k` candidates cannot be judged, if they cannot: fewer than
/// [`MIN_ROUNDS`], or so few that even the most extreme outcome would not reach [`LEVEL`]
/// (two candidates need five rounds: 2 of their 2⁵ relabellings are as extreme).
fn too_few(k: usize, rounds: usize, noun: &str) -> Option<String> {
    let smallest_p = |n: usize| ((k * (k - 1)) as f64).powi(1 - n as i32);
    let needed = (MIN_ROUNDS..)
        .find(|&n| smallest_p(n) <= LEVEL)
        .expect("enough rounds exist");
    (rounds < needed).then(|| {
        format!(
            "{rounds} {noun}{} in common: at least {needed} are needed to tell {k} apart at the \
             {:.0}% level",
            if rounds == 1 { "" } else { "s" },
            LEVEL * 100.0
        )
    })
}

/// The median of `xs` (0 for none).
fn median(xs: impl Iterator<Item = f64>) -> f64 {
    let mut v: Vec<f64> = xs.collect();
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Whether every figure of `a` is better than every figure of `b`.
fn apart(a: &[(u32, f64)], b: &[(u32, f64)], sense: f64) -> bool {
    let worst_a = a.iter().map(|x| sense * x.1).fold(f64::INFINITY, f64::min);
    let best_b = b
        .iter()
        .map(|x| sense * x.1)
        .fold(f64::NEG_INFINITY, f64::max);
    !a.is_empty() && !b.is_empty() && worst_a > best_b
}

/// The log figures (better higher) of the rounds every candidate ran in: `[candidate][round]`
/// (the figures themselves where some is not positive, as a metric may be). Rounds are matched
/// by number; where a candidate's round numbers repeat (files that did not keep them), by
/// position.
fn common_rounds(figures: &[Vec<(u32, f64)>], sense: f64) -> Vec<Vec<f64>> {
    let distinct = |f: &Vec<(u32, f64)>| {
        let mut r: Vec<u32> = f.iter().map(|x| x.0).collect();
        r.sort_unstable();
        r.dedup();
        r.len() == f.len()
    };
    let keyed: Vec<Vec<(u32, f64)>> = if figures.iter().all(distinct) {
        figures.to_vec()
    } else {
        figures
            .iter()
            .map(|f| (0..).zip(f.iter().map(|x| x.1)).collect())
            .collect()
    };
    let Some(first) = keyed.first() else {
        return Vec::new();
    };
    let positive = keyed.iter().flatten().all(|x| x.1 > 0.0);
    let scale = |v: f64| if positive { v.ln() } else { v };
    let shared: Vec<u32> = first
        .iter()
        .map(|x| x.0)
        .filter(|r| keyed.iter().all(|f| f.iter().any(|x| x.0 == *r)))
        .collect();
    keyed
        .iter()
        .map(|f| {
            shared
                .iter()
                .map(|r| sense * scale(f.iter().find(|x| x.0 == *r).map_or(0.0, |x| x.1)))
                .collect()
        })
        .collect()
}

/// For each prefix of `order` of two or more candidates, the p-value of "these do not
/// differ": `[p(first two), p(first three), ..., p(all)]`.
fn prefix_p(y: &[Vec<f64>], order: &[usize]) -> Vec<f64> {
    (2..=order.len()).map(|m| set_p(y, &order[..m])).collect()
}

/// The share of relabellings of `members`' figures within each round whose range of means
/// reaches the observed one: the exact permutation p-value of "`members` do not differ" (every
/// relabelling where there are at most [`DRAWS`], else that many drawn, the observed one
/// counted among them).
fn set_p(y: &[Vec<f64>], members: &[usize]) -> f64 {
    let rounds = y.first().map_or(0, Vec::len);
    let range = |rows: &mut dyn Iterator<Item = &Vec<f64>>| {
        let (lo, hi) = rows
            .map(|r| r.iter().sum::<f64>() / rounds as f64)
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), m| {
                (lo.min(m), hi.max(m))
            });
        hi - lo
    };
    let mine: Vec<Vec<f64>> = members.iter().map(|&i| y[i].clone()).collect();
    let observed = range(&mut mine.iter());
    let reaches = |r: f64| r >= observed - 1e-9 * observed.abs().max(1e-12);
    let total = (0..rounds).try_fold(1_usize, |acc, _| acc.checked_mul(factorial(members.len())?));
    let mut perm = mine.clone();
    match total {
        Some(total) if total <= DRAWS + 1 => {
            let mut reached = 0_usize;
            every_relabelling(&mine, &mut perm, &mut |p| {
                reached += usize::from(reaches(range(&mut p.iter())));
            });
            reached as f64 / total as f64
        }
        _ => {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(SEED);
            let mut values = Vec::with_capacity(members.len());
            let mut reached = 0_usize;
            for _ in 0..DRAWS {
                for round in 0..rounds {
                    values.clear();
                    values.extend(mine.iter().map(|row| row[round]));
                    values.shuffle(&mut rng);
                    for (row, &v) in perm.iter_mut().zip(&values) {
                        row[round] = v;
                    }
                }
                reached += usize::from(reaches(range(&mut perm.iter())));
            }
            // The observed labelling counts as one of the draws.
            (reached + 1) as f64 / (DRAWS + 1) as f64
        }
    }
}

fn factorial(n: usize) -> Option<usize> {
    (1..=n).try_fold(1_usize, |acc, x| acc.checked_mul(x))
}

/// Calls `visit` with every relabelling of `y`'s rows within each round.
fn every_relabelling(y: &[Vec<f64>], perm: &mut [Vec<f64>], visit: &mut dyn FnMut(&[Vec<f64>])) {
    let rounds = y.first().map_or(0, Vec::len);
    let arrangements = permutations(y.len());
    // One digit per round: which arrangement of the figures that round.
    let mut digit = vec![0_usize; rounds];
    loop {
        for (round, &d) in digit.iter().enumerate() {
            for (to, &from) in arrangements[d].iter().enumerate() {
                perm[to][round] = y[from][round];
            }
        }
        visit(perm);
        let mut r = 0;
        loop {
            if r == rounds {
                return;
            }
            digit[r] += 1;
            if digit[r] < arrangements.len() {
                break;
            }
            digit[r] = 0;
            r += 1;
        }
    }
}

/// Every ordering of `0..n`.
fn permutations(n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![Vec::new()];
    }
    let mut out = Vec::new();
    for rest in permutations(n - 1) {
        for at in 0..=rest.len() {
            let mut p = rest.clone();
            p.insert(at, n - 1);
            out.push(p);
        }
    }
    out
}

/// Whether each point changed between two runs, and the adjusted p-value of each test.
#[derive(Clone, Debug, PartialEq)]
pub struct Changes {
    /// Per point: `None` where it was not tested (too few figures on a side), else the adjusted
    /// p-value of "it did not change".
    pub p: Vec<Option<f64>>,
    /// How many points were tested together.
    pub tested: usize,
    /// Why no point can be called changed, where none can: too few rounds for any claim.
    pub too_few: Option<String>,
}

/// Tests every point for a change between `before` and `after` (per point: its figures,
/// `(round, figure)` by the file's round numbers, every figure positive). A point is tested
/// where each side has at least [`MIN_ROUNDS`] figures; the rounds of each file are the units
/// reassigned between the files.
pub fn changes(before: &[Vec<(u32, f64)>], after: &[Vec<(u32, f64)>]) -> Changes {
    let (before, after) = (usable(before), usable(after));
    let rounds = |f: &[(u32, f64)]| {
        let mut r: Vec<u32> = f.iter().map(|x| x.0).collect();
        r.sort_unstable();
        r.dedup();
        r
    };
    // A point is tested where each side has the fewest rounds a claim needs.
    let tested: Vec<usize> = (0..before.len())
        .filter(|&j| {
            rounds(&before[j]).len() >= MIN_ROUNDS && rounds(&after[j]).len() >= MIN_ROUNDS
        })
        .collect();
    // The units: every round of each file that a tested point ran in.
    let units = |side: &[Vec<(u32, f64)>]| -> Vec<u32> {
        let mut r: Vec<u32> = tested.iter().flat_map(|&j| rounds(&side[j])).collect();
        r.sort_unstable();
        r.dedup();
        r
    };
    let (ub, ua) = (units(&before), units(&after));
    // [point][unit]: the log figure, before's rounds first.
    let table: Vec<Vec<Option<f64>>> = before
        .iter()
        .zip(&after)
        .map(|(b, a)| {
            let at = |side: &[(u32, f64)], r: u32| {
                side.iter()
                    .find(|x| x.0 == r)
                    .map(|x| x.1.max(f64::MIN_POSITIVE).ln())
            };
            ub.iter()
                .map(|&r| at(b, r))
                .chain(ua.iter().map(|&r| at(a, r)))
                .collect()
        })
        .collect();
    let (nb, na) = (ub.len(), ua.len());
    let mirrored = if nb == na { 2.0 } else { 1.0 };
    let reachable = choose(nb + na, nb).is_some_and(|c| mirrored / c as f64 <= LEVEL);
    let too_few = (tested.is_empty() || !reachable).then(|| {
        format!(
            "no point has {MIN_ROUNDS} verified repetitions a side, the fewest for a change to \
             be told from noise at the {:.0}% level",
            LEVEL * 100.0
        )
    });
    let mut p = vec![None; table.len()];
    if too_few.is_none() {
        let adjusted = step_down_changes(&table, &tested, nb);
        for (&j, q) in tested.iter().zip(adjusted) {
            p[j] = Some(q);
        }
    }
    Changes {
        p,
        tested: tested.len(),
        too_few,
    }
}

/// `figures` without the ones no test can use (infinite or not a number, as a program's
/// printed metric may be): they count as not measured.
fn usable(figures: &[Vec<(u32, f64)>]) -> Vec<Vec<(u32, f64)>> {
    figures
        .iter()
        .map(|f| f.iter().copied().filter(|x| x.1.is_finite()).collect())
        .collect()
}

/// n choose k, where it fits.
fn choose(n: usize, k: usize) -> Option<usize> {
    (0..k.min(n - k)).try_fold(1_usize, |acc, i| Some(acc.checked_mul(n - i)? / (i + 1)))
}

/// Welch's statistic of the first `nb` units against the rest, for `row` (missing units skipped).
fn welch(row: &[Option<f64>], first: &[bool]) -> f64 {
    let side = |which: bool| {
        let v: Vec<f64> = row
            .iter()
            .zip(first)
            .filter(|(_, f)| **f == which)
            .filter_map(|(x, _)| *x)
            .collect();
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n.max(1.0);
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
        (mean, var / n.max(1.0), v.len())
    };
    let ((mb, vb, cb), (ma, va, ca)) = (side(true), side(false));
    if cb == 0 || ca == 0 {
        return 0.0;
    }
    // A floor on the noise: figures equal to the last digit are not infinitely far apart.
    (ma - mb) / (vb + va).sqrt().max(1e-6)
}

/// Westfall and Young's step-down over the `tested` points: each point's |Welch| against the
/// largest over the points not yet called, the rounds reassigned between the files.
fn step_down_changes(table: &[Vec<Option<f64>>], tested: &[usize], nb: usize) -> Vec<f64> {
    let total = table.first().map_or(0, Vec::len);
    let first: Vec<bool> = (0..total).map(|u| u < nb).collect();
    let observed: Vec<f64> = tested
        .iter()
        .map(|&j| welch(&table[j], &first).abs())
        .collect();
    // Most extreme first.
    let mut by: Vec<usize> = (0..tested.len()).collect();
    by.sort_by(|&a, &b| observed[b].total_cmp(&observed[a]));
    let mut reached = vec![0_usize; tested.len()];
    let mut count = 0_usize;
    let mut tally = |first: &[bool]| {
        count += 1;
        let mut running = 0.0_f64;
        for &a in by.iter().rev() {
            running = running.max(welch(&table[tested[a]], first).abs());
            let t = observed[a];
            if running >= t - 1e-9 * t.max(1e-12) {
                reached[a] += 1;
            }
        }
    };
    let exhaustive = choose(total, nb).is_some_and(|c| c <= DRAWS + 1);
    if exhaustive {
        let mut pick: Vec<usize> = (0..nb).collect();
        loop {
            let mut f = vec![false; total];
            for &u in &pick {
                f[u] = true;
            }
            tally(&f);
            // The next combination of nb of total units.
            let Some(i) = (0..nb).rev().find(|&i| pick[i] < total - nb + i) else {
                break;
            };
            pick[i] += 1;
            for k in i + 1..nb {
                pick[k] = pick[k - 1] + 1;
            }
        }
    } else {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(SEED);
        let mut f = first.clone();
        for _ in 0..DRAWS {
            f.shuffle(&mut rng);
            tally(&f);
        }
    }
    let (draws, extra) = if exhaustive {
        (count, 0)
    } else {
        (count + 1, 1)
    };
    let mut p: Vec<f64> = reached
        .iter()
        .map(|&r| (r + extra) as f64 / draws as f64)
        .collect();
    // Monotone in the order of the statistics, as a step-down's adjusted p-values are.
    let mut floor = 0.0_f64;
    for &a in &by {
        floor = floor.max(p[a]);
        p[a] = floor;
    }
    p
}

#[cfg(test)]
#[path = "ranking_tests.rs"]
mod tests;
