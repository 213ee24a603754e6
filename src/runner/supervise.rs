//! The supervisor: one loop, written once against [`WorkerSet`], that watches a run's workers,
//! threads or processes alike: progress ticks, the time limit, a worker that died, a deadlock
//! (the transfer workload, seen as `deadlock.rs` defines it), and the grace period after a stop after which any worker still
//! running is killed (processes) or the run is abandoned (threads, which cannot be killed).

use std::time::{Duration, Instant};

use super::deadlock::{Deadlock, WaitLine, find_cycle};
use super::{Progress, RunError};

/// Something that happened to a worker while the supervisor waited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Event {
    /// A worker ended normally (its report is collected later).
    Finished,
    /// Worker `index` died (a process killed or failing): the run cannot be verified.
    Died { index: usize },
}

/// A started set of workers, as the supervisor sees it.
pub(crate) trait WorkerSet {
    /// Workers in the set.
    fn len(&self) -> usize;
    /// Waits up to `timeout` (returning early when a worker ends, where the set can tell) and
    /// says which workers ended meanwhile.
    fn wait(&mut self, timeout: Duration) -> Vec<Event>;
    /// Operations completed so far, all workers.
    fn done_ops(&self) -> u64;
    /// Tells every worker to stop after its current chunk (and closes the contended interval).
    fn request_stop(&mut self);
    /// Ends the warm-up: the contended interval may open.
    fn end_warmup(&mut self);
    /// Kills the workers still running, where this kind of worker can be killed, and reaps
    /// them; returns how many were still running.
    fn kill_running(&mut self) -> usize;
    /// What every worker's line says now, for the deadlock watch.
    fn waits(&self) -> Vec<WaitLine>;
}

/// The supervisor's rules.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// The run's time limit, from the start signal.
    pub max_time: Duration,
    /// How long workers may go on after a stop before they are killed or abandoned.
    pub grace: Duration,
    /// How often progress is reported (and the longest the supervisor sleeps).
    pub tick: Duration,
    /// A warm-up before the measured interval, from the start signal.
    pub warmup: Option<Duration>,
    /// A timed run: the workers are stopped this long after the warm-up.
    pub duration: Option<Duration>,
    /// Watch for deadlocks (the transfer workload): a cycle of waits with nobody moving for
    /// this long ends the run.
    pub deadlock_stall: Option<Duration>,
}

/// How a supervised run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Supervision {
    /// The time limit stopped it.
    pub stopped_by_time_limit: bool,
    /// The first worker that died, if one did.
    pub died: Option<usize>,
}

/// Watches `set` until every worker has ended: reports progress every tick; ends the warm-up
/// on time; stops a timed run at its end; at the time limit, if operations remain, asks the
/// workers to stop; when a worker dies, stops the others at once (nobody may wait on a lock it
/// may still hold); a grace period after a stop, kills whoever is still running, and fails with
/// [`RunError::DidNotStop`] unless a death already explains it. `total_ops` is `None` for a
/// timed run.
pub(crate) fn supervise<S: WorkerSet>(
    set: &mut S,
    limits: Limits,
    total_ops: Option<u64>,
    on_progress: &mut dyn FnMut(&Progress),
) -> Result<Supervision, RunError> {
    let workers = set.len();
    let started = Instant::now();
    let deadline = started + limits.max_time;
    let mut warm_until = limits.warmup.map(|w| started + w);
    let measured_until = limits
        .duration
        .map(|d| started + limits.warmup.unwrap_or_default() + d);
    let mut ended = 0;
    let mut stopped_at: Option<Instant> = None;
    let mut stopped_by_time_limit = false;
    let mut died = None;
    let mut last_report = started;
    // The deadlock watch: the lines as last read, and since when they have not changed.
    let mut still: Option<(Vec<WaitLine>, Instant)> = None;
    while ended < workers {
        let now = Instant::now();
        let wake = match stopped_at {
            Some(at) => at + limits.grace,
            None => [Some(deadline), warm_until, measured_until]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or(deadline),
        };
        for event in set.wait(limits.tick.min(wake.saturating_duration_since(now))) {
            ended += 1;
            if let Event::Died { index } = event
                && died.is_none()
            {
                died = Some(index);
                set.request_stop();
                stopped_at.get_or_insert_with(Instant::now);
            }
        }
        let now = Instant::now();
        if now.duration_since(last_report) >= limits.tick {
            last_report = now;
            on_progress(&Progress {
                done_ops: set.done_ops(),
                total_ops,
                elapsed: now - started,
                planned: measured_until.map(|end| end - started),
            });
        }
        if warm_until.is_some_and(|end| now >= end) {
            warm_until = None;
            set.end_warmup();
        }
        // Watched after a stop too: workers caught in a cycle cannot see it, and a deadlock
        // that forms as a timed run ends is still a deadlock (not workers that "did not
        // stop"). Not after a death, which explains whatever is left blocked.
        if let Some(stall) = limits.deadlock_stall
            && died.is_none()
        {
            let lines = set.waits();
            match &still {
                Some((seen, since)) if *seen == lines => {
                    if now.duration_since(*since) >= stall
                        && let Some(cycle) = find_cycle(&lines)
                    {
                        set.request_stop();
                        let left_blocked = set.kill_running();
                        return Err(RunError::Deadlock {
                            deadlock: Deadlock {
                                cycle,
                                moves: lines.iter().map(|l| l.moves).sum(),
                            },
                            after: now - started,
                            stall,
                            left_blocked,
                        });
                    }
                }
                _ => still = Some((lines, now)),
            }
        }
        match stopped_at {
            // The end of a timed run: a stop, but not the time limit's.
            None if measured_until.is_some_and(|end| now >= end) && now < deadline => {
                set.request_stop();
                stopped_at = Some(now);
            }
            // Workers that have done every operation but not yet ended are not stopped: that
            // would mark a complete run as cut short.
            None if now >= deadline
                && ended < workers
                && total_ops.is_none_or(|total| set.done_ops() < total) =>
            {
                set.request_stop();
                stopped_at = Some(now);
                stopped_by_time_limit = true;
            }
            // Every operation done, yet workers have not ended a grace period past the limit (a
            // process that cannot be reaped, a thread stuck after its loop): no run outlives its
            // time limit and grace.
            None if now >= deadline + limits.grace && ended < workers => {
                let stuck = set.kill_running();
                return Err(RunError::DidNotStop {
                    stuck,
                    workers,
                    grace_s: limits.grace.as_secs(),
                });
            }
            Some(at) if now >= at + limits.grace && ended < workers => {
                let stuck = set.kill_running();
                if died.is_none() {
                    return Err(RunError::DidNotStop {
                        stuck,
                        workers,
                        grace_s: limits.grace.as_secs(),
                    });
                }
                break;
            }
            _ => {}
        }
    }
    Ok(Supervision {
        stopped_by_time_limit,
        died,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::deadlock::test_line as line;

    /// A scripted worker set: worker `i` ends `ends_after[i]` after the start (never: `None`),
    /// or when asked to stop if `obeys_stop`; `dies` ends one worker abnormally at a time.
    struct Mock {
        started: Instant,
        ends_after: Vec<Option<Duration>>,
        ended: Vec<bool>,
        obeys_stop: bool,
        dies: Option<(usize, Duration)>,
        ops_when_done: u64,
        stop_requests: usize,
        kills: usize,
        /// When the first stop and the end of the warm-up came, after the start.
        stopped_after: Option<Duration>,
        warmup_ended_after: Vec<Duration>,
        /// What the workers' lines say; `moving` adds one transfer at every look, `giving_up`
        /// one wait that gave up.
        lines: Vec<WaitLine>,
        moving: bool,
        giving_up: bool,
        looks: std::cell::Cell<u64>,
    }

    impl Mock {
        fn new(ends_after: Vec<Option<Duration>>) -> Mock {
            Mock {
                started: Instant::now(),
                ended: vec![false; ends_after.len()],
                ends_after,
                obeys_stop: true,
                dies: None,
                ops_when_done: 0,
                stop_requests: 0,
                kills: 0,
                stopped_after: None,
                warmup_ended_after: Vec::new(),
                lines: Vec::new(),
                moving: false,
                giving_up: false,
                looks: std::cell::Cell::new(0),
            }
        }
    }

    impl WorkerSet for Mock {
        fn len(&self) -> usize {
            self.ends_after.len()
        }

        fn wait(&mut self, timeout: Duration) -> Vec<Event> {
            std::thread::sleep(timeout.min(Duration::from_millis(2)));
            let elapsed = self.started.elapsed();
            let mut events = Vec::new();
            for i in 0..self.ended.len() {
                if self.ended[i] {
                    continue;
                }
                if self.dies.is_some_and(|(d, at)| d == i && elapsed >= at) {
                    self.ended[i] = true;
                    events.push(Event::Died { index: i });
                } else if self.ends_after[i].is_some_and(|at| elapsed >= at)
                    || (self.obeys_stop && self.stop_requests > 0)
                {
                    self.ended[i] = true;
                    events.push(Event::Finished);
                }
            }
            events
        }

        fn done_ops(&self) -> u64 {
            if self.ended.iter().all(|&e| e) {
                100
            } else {
                self.ops_when_done
            }
        }

        fn request_stop(&mut self) {
            self.stop_requests += 1;
            self.stopped_after.get_or_insert(self.started.elapsed());
        }

        fn end_warmup(&mut self) {
            self.warmup_ended_after.push(self.started.elapsed());
        }

        fn waits(&self) -> Vec<WaitLine> {
            self.looks.set(self.looks.get() + 1);
            let mut lines = self.lines.clone();
            if let Some(first) = lines.first_mut() {
                if self.moving {
                    first.moves += self.looks.get();
                }
                if self.giving_up {
                    first.gave_up += self.looks.get();
                }
            }
            lines
        }

        fn kill_running(&mut self) -> usize {
            self.kills += 1;
            let running = self.ended.iter().filter(|&&e| !e).count();
            self.ended.iter_mut().for_each(|e| *e = true);
            running
        }
    }

    const LIMITS: Limits = Limits {
        max_time: Duration::from_millis(40),
        grace: Duration::from_millis(40),
        tick: Duration::from_millis(5),
        warmup: None,
        duration: None,
        deadlock_stall: None,
    };
    const SOON: Option<Duration> = Some(Duration::from_millis(5));

    fn supervise_mock(set: &mut Mock) -> (Result<Supervision, RunError>, usize) {
        let mut ticks = 0;
        let r = supervise(set, LIMITS, Some(100), &mut |p| {
            assert_eq!(p.total_ops, Some(100));
            ticks += 1;
        });
        (r, ticks)
    }

    #[test]
    fn a_timed_run_ends_its_warm_up_then_stops_on_time_not_by_the_limit() {
        let mut set = Mock::new(vec![None, None]);
        let limits = Limits {
            max_time: Duration::from_secs(10),
            warmup: Some(Duration::from_millis(10)),
            duration: Some(Duration::from_millis(15)),
            ..LIMITS
        };
        let mut planned = None;
        let r = supervise(&mut set, limits, None, &mut |p| planned = p.planned);
        assert_eq!(
            r.unwrap(),
            Supervision {
                stopped_by_time_limit: false,
                died: None
            }
        );
        assert_eq!(set.warmup_ended_after.len(), 1, "the warm-up ends once");
        assert!(set.warmup_ended_after[0] >= Duration::from_millis(10));
        let stopped = set.stopped_after.unwrap();
        assert!(stopped >= Duration::from_millis(25), "{stopped:?}");
        assert!(stopped < Duration::from_secs(5), "{stopped:?}");
        assert_eq!(set.stop_requests, 1);
        assert_eq!(planned, Some(Duration::from_millis(25)));
    }

    #[test]
    fn workers_that_finish_in_time_are_left_alone() {
        let mut set = Mock::new(vec![SOON, SOON]);
        let (r, _) = supervise_mock(&mut set);
        assert_eq!(
            r.unwrap(),
            Supervision {
                stopped_by_time_limit: false,
                died: None
            }
        );
        assert_eq!((set.stop_requests, set.kills), (0, 0));
    }

    #[test]
    fn the_time_limit_stops_the_run_once_and_reports_progress() {
        let mut set = Mock::new(vec![SOON, None]);
        let (r, ticks) = supervise_mock(&mut set);
        assert!(r.unwrap().stopped_by_time_limit);
        assert_eq!((set.stop_requests, set.kills), (1, 0));
        assert!(ticks >= 1, "a 40 ms run at 5 ms ticks reports progress");
    }

    #[test]
    fn workers_done_with_their_operations_are_not_stopped_at_the_limit() {
        let mut set = Mock::new(vec![SOON, Some(Duration::from_millis(60))]);
        set.ops_when_done = 100;
        let (r, _) = supervise_mock(&mut set);
        assert!(!r.unwrap().stopped_by_time_limit);
        assert_eq!(set.stop_requests, 0);
    }

    #[test]
    fn workers_done_but_never_ending_are_killed_after_limit_and_grace() {
        let mut set = Mock::new(vec![SOON, None]);
        set.ops_when_done = 100;
        set.obeys_stop = false;
        let (r, _) = supervise_mock(&mut set);
        assert!(
            matches!(r, Err(RunError::DidNotStop { stuck: 1, .. })),
            "{r:?}"
        );
        assert_eq!((set.stop_requests, set.kills), (0, 1));
    }

    #[test]
    fn workers_that_ignore_the_stop_are_killed_after_the_grace_period() {
        let mut set = Mock::new(vec![SOON, None, None]);
        set.obeys_stop = false;
        let (r, _) = supervise_mock(&mut set);
        match r {
            Err(RunError::DidNotStop { stuck, workers, .. }) => {
                assert_eq!((stuck, workers), (2, 3))
            }
            other => panic!("expected DidNotStop, got {other:?}"),
        }
        assert_eq!((set.stop_requests, set.kills), (1, 1));
    }

    #[test]
    fn a_death_stops_the_others_at_once_and_explains_the_kill() {
        let mut set = Mock::new(vec![None, None]);
        set.obeys_stop = false;
        set.dies = Some((1, Duration::from_millis(1)));
        let (r, _) = supervise_mock(&mut set);
        let s = r.unwrap();
        assert_eq!(s.died, Some(1));
        assert!(
            !s.stopped_by_time_limit,
            "stopped by the death, not the limit"
        );
        assert_eq!((set.stop_requests, set.kills), (1, 1));
    }

    #[test]
    fn a_deadlock_stops_the_run_once_nobody_moves() {
        let limits = Limits {
            max_time: Duration::from_secs(10),
            deadlock_stall: Some(Duration::from_millis(20)),
            ..LIMITS
        };
        let mut set = Mock::new(vec![None, None]);
        set.obeys_stop = false;
        set.lines = vec![line(1, 2), line(2, 1)];
        let started = Instant::now();
        let r = supervise(&mut set, limits, Some(100), &mut |_| {});
        match r {
            Err(RunError::Deadlock {
                deadlock,
                stall,
                left_blocked,
                ..
            }) => {
                assert_eq!(deadlock.cycle, vec![(0, 0, 1), (1, 1, 0)]);
                assert_eq!(deadlock.moves, 14);
                assert_eq!((stall, left_blocked), (Duration::from_millis(20), 2));
            }
            other => panic!("expected a deadlock, got {other:?}"),
        }
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(set.kills, 1);
        // The same cycle while a worker still moves (a moment's snapshot) is no deadlock: the
        // run goes on to its time limit.
        let mut moving = Mock::new(vec![None, None]);
        moving.lines = vec![line(1, 2), line(2, 1)];
        moving.moving = true;
        let limits = Limits {
            max_time: Duration::from_millis(100),
            ..limits
        };
        let r = supervise(&mut moving, limits, Some(100), &mut |_| {});
        assert!(r.unwrap().stopped_by_time_limit);
    }

    /// Waiters that give up at their deadline and try again, between two looks, in the same
    /// cycle each time: their give-up counts move, so it is no deadlock. Without the count
    /// in the line, this is the run that was called deadlocked.
    #[test]
    fn waiters_that_give_up_and_retry_are_not_a_deadlock() {
        let limits = Limits {
            max_time: Duration::from_millis(100),
            deadlock_stall: Some(Duration::from_millis(20)),
            ..LIMITS
        };
        let mut set = Mock::new(vec![None, None]);
        set.lines = vec![line(1, 2), line(2, 1)];
        set.giving_up = true;
        let r = supervise(&mut set, limits, Some(100), &mut |_| {});
        assert!(r.unwrap().stopped_by_time_limit, "ran to its limit");
    }

    /// A deadlock that forms as a timed run ends (its workers never see the stop) is reported
    /// as the deadlock, once the stall has passed: not as workers that did not stop, a grace
    /// period later.
    #[test]
    fn a_deadlock_after_the_stop_is_reported_as_one_at_once() {
        let limits = Limits {
            max_time: Duration::from_secs(30),
            grace: Duration::from_secs(10),
            duration: Some(Duration::from_millis(5)),
            deadlock_stall: Some(Duration::from_millis(50)),
            ..LIMITS
        };
        let mut set = Mock::new(vec![None, None]);
        set.obeys_stop = false;
        set.lines = vec![line(1, 2), line(2, 1)];
        let started = Instant::now();
        let r = supervise(&mut set, limits, None, &mut |_| {});
        assert!(matches!(r, Err(RunError::Deadlock { .. })), "{r:?}");
        assert_eq!(
            set.stop_requests, 2,
            "the timed end's stop, then the deadlock's"
        );
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
    }
}
