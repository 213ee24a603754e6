//! A sweep's order of runs: every configuration, repeated, in rounds. Within a round every point
//! runs once, so that drift of the machine (frequency, neighbours, heat) touches every backend
//! alike rather than favouring the one whose repetitions came first.

/// The runs of a sweep of `points` configurations repeated `repeat` times, in the order they
/// run: `(round, point)`, rounds outer.
pub fn rounds(points: usize, repeat: u32) -> impl Iterator<Item = (u32, usize)> {
    (0..repeat).flat_map(move |round| (0..points).map(move |point| (round, point)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_point_runs_once_per_round_and_rounds_come_first() {
        let order: Vec<_> = super::rounds(2, 3).collect();
        assert_eq!(order, [(0, 0), (0, 1), (1, 0), (1, 1), (2, 0), (2, 1)]);
        assert_eq!(super::rounds(0, 3).count(), 0);
    }
}
