//! A sweep's order of runs: every configuration, repeated, in rounds. Within a round every point
//! runs once, so that drift of the machine (frequency, neighbours, heat) touches every backend
//! alike rather than favouring the one whose repetitions came first; and each round runs its
//! points in a fresh order, drawn from a recorded seed, so that no backend always follows the
//! same one (a lock that leaves the caches or the scheduler in a state the next one pays for
//! would otherwise tax the same neighbour every round). `ab` orders its rounds the same way.

use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use rand::seq::SliceRandom;

/// A seed for the rounds' orders: the clock's nanoseconds, so that every sweep draws afresh
/// (it is recorded with the results).
pub fn fresh_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// The order in which round `round` runs `points` points, drawn from `seed`: the same seed and
/// round always give the same order.
pub fn round_order(points: usize, round: u32, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..points).collect();
    // Each round's generator from the seed and the round, so a round's order does not depend
    // on how many were drawn before it.
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(
        seed ^ u64::from(round).wrapping_mul(0x9e37_79b9_7f4a_7c15),
    );
    order.shuffle(&mut rng);
    order
}

/// The runs of a sweep of `points` configurations repeated `repeat` times, in the order they
/// run: `(round, point)`, rounds outer, each round in its own order from `seed`.
pub fn rounds(points: usize, repeat: u32, seed: u64) -> impl Iterator<Item = (u32, usize)> {
    (0..repeat).flat_map(move |round| {
        round_order(points, round, seed)
            .into_iter()
            .map(move |point| (round, point))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_point_runs_once_per_round_and_rounds_come_first() {
        let order: Vec<_> = rounds(4, 3, 42).collect();
        assert_eq!(order.len(), 12);
        for round in 0..3 {
            let mut points: Vec<usize> = order[round * 4..(round + 1) * 4]
                .iter()
                .inspect(|(r, _)| assert_eq!(*r as usize, round))
                .map(|(_, p)| *p)
                .collect();
            points.sort_unstable();
            assert_eq!(points, [0, 1, 2, 3]);
        }
        assert_eq!(rounds(0, 3, 42).count(), 0);
    }

    #[test]
    fn no_point_always_follows_the_same_one_and_the_seed_repeats_the_order() {
        let orders: Vec<Vec<usize>> = (0..8).map(|r| round_order(5, r, 7)).collect();
        assert!(orders.windows(2).any(|w| w[0] != w[1]), "{orders:?}");
        let follower = |o: &Vec<usize>| {
            o[o.iter().position(|&p| p == 0).unwrap() + 1..]
                .first()
                .copied()
        };
        let followers: Vec<_> = orders.iter().map(follower).collect();
        assert!(followers.windows(2).any(|w| w[0] != w[1]), "{followers:?}");
        assert_eq!(round_order(5, 3, 7), orders[3]);
    }
}
