//! The deadlock watch's view of a run (the transfer workload): each worker's line as the
//! supervisor reads it, how long a cycle of waits must stand still to count, and the cycle
//! found, told in plain words.

use std::time::Duration;

/// One worker's line as the deadlock watch reads it: the account whose lock it holds while it
/// waits for another, the account it waits for (both numbered from 1; 0: none), the
/// transfers it has completed, and those that gave up at a deadline.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct WaitLine {
    pub holds: u64,
    pub waits: u64,
    pub moves: u64,
    pub gave_up: u64,
}

/// How long nobody may move, with a cycle of waits in place, before the run is declared
/// deadlocked: long enough that a worker descheduled for a few time slices, or lines read a
/// moment stale, are not mistaken for one.
pub(crate) const DEADLOCK_STALL: Duration = Duration::from_millis(500);

/// How long the watch waits for a run whose waits have a deadline (`timeout`): a waiter
/// sitting out its deadline leaves its line unchanged until it gives up, so the stall must
/// outlast a deadline before a cycle counts: [`DEADLOCK_STALL`] beyond it. (A give-up and
/// retry between two looks changes the line's give-up count, so it is seen too.)
pub(crate) fn deadlock_stall(timeout: Option<Duration>) -> Duration {
    DEADLOCK_STALL.saturating_add(timeout.unwrap_or_default())
}

/// A cycle of waits: each worker of `cycle` holds one account's lock and waits for the next
/// one's, held by the next worker (the last waits for the first's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deadlock {
    /// (worker, the account it holds, the account it waits for), accounts numbered from 0.
    pub cycle: Vec<(usize, u64, u64)>,
    /// Transfers completed by all workers before it.
    pub moves: u64,
}

impl Deadlock {
    /// The cycle in plain words.
    pub fn describe(&self) -> String {
        let n = self.cycle.len();
        self.cycle
            .iter()
            .enumerate()
            .map(|(i, &(worker, holds, waits))| {
                format!(
                    "worker {worker} holds account {holds} and waits for account {waits}, held by worker {}",
                    self.cycle[(i + 1) % n].0
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// A cycle in the wait-for graph of `lines`, if there is one: worker w waits for the account
/// that worker v holds, v for one that u holds, and so on back to w.
pub(crate) fn find_cycle(lines: &[WaitLine]) -> Option<Vec<(usize, u64, u64)>> {
    let holder = |account: u64| lines.iter().position(|l| l.holds == account);
    let next = |w: usize| {
        let waits = lines[w].waits;
        (waits != 0 && lines[w].holds != 0)
            .then(|| holder(waits))
            .flatten()
    };
    for start in 0..lines.len() {
        // Walk at most every worker once; a walk that comes back to a worker it passed has
        // found a cycle (which may not include `start`).
        let mut path = vec![start];
        let mut at = start;
        while let Some(v) = next(at) {
            if let Some(pos) = path.iter().position(|&p| p == v) {
                return Some(
                    path[pos..]
                        .iter()
                        .map(|&w| (w, lines[w].holds - 1, lines[w].waits - 1))
                        .collect(),
                );
            }
            if path.len() > lines.len() {
                break;
            }
            path.push(v);
            at = v;
        }
    }
    None
}

/// A worker's line for tests: holding `holds`, waiting for `waits`, after 7 transfers.
#[cfg(test)]
pub(crate) fn test_line(holds: u64, waits: u64) -> WaitLine {
    WaitLine {
        holds,
        waits,
        moves: 7,
        gave_up: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::test_line as line;

    #[test]
    fn a_cycle_of_waits_is_found_and_told_in_plain_words() {
        // Worker 0 holds account 0 and waits for 1; worker 2 holds 1 and waits for 0; worker 1
        // waits for 0 holding nothing (not in the cycle); worker 3 is idle.
        let lines = [line(1, 2), line(0, 1), line(2, 1), line(0, 0)];
        let cycle = find_cycle(&lines).unwrap();
        assert_eq!(cycle, vec![(0, 0, 1), (2, 1, 0)]);
        let told = Deadlock { cycle, moves: 28 }.describe();
        assert_eq!(
            told,
            "worker 0 holds account 0 and waits for account 1, held by worker 2; \
             worker 2 holds account 1 and waits for account 0, held by worker 0"
        );
        // A chain that ends at a worker not waiting is no cycle.
        assert_eq!(find_cycle(&[line(1, 2), line(2, 0), line(0, 0)]), None);
        // Three workers in a ring.
        let ring = find_cycle(&[line(1, 2), line(2, 3), line(3, 1)]).unwrap();
        assert_eq!(ring.len(), 3);
    }

    /// A waiter sitting out a deadline holds its line still for that long: the stall waited
    /// for outlasts it.
    #[test]
    fn the_stall_outlasts_a_deadline() {
        assert_eq!(deadlock_stall(None), DEADLOCK_STALL);
        assert_eq!(
            deadlock_stall(Some(Duration::from_secs(1))),
            DEADLOCK_STALL + Duration::from_secs(1)
        );
    }
}
