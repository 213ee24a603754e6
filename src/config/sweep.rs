//! The matrix of a sweep: every backend at every worker count, as validated run configurations,
//! all checked before anything runs.

use super::parse::ThreadList;
use super::run::{RunRequest, validate};
use crate::error::UsageError;
use std::time::Duration;

use crate::model::{Regime, RunConfig};
use crate::registry;
use crate::runner::affinity::Topology;

/// The backends a sweep runs when none are named: the card's five thread backends.
pub const DEFAULT_BACKENDS: [&str; 5] = ["std", "parking-lot", "spin", "ticket", "pthread"];

/// The thread counts a sweep runs when neither threads nor processes are named.
pub const DEFAULT_THREADS: [usize; 4] = [1, 2, 4, 8];

/// What a sweep asked for.
pub struct SweepRequest {
    /// Backend names, in order (none: [`DEFAULT_BACKENDS`]).
    pub backends: Option<Vec<&'static str>>,
    /// Thread counts.
    pub threads: Option<ThreadList>,
    /// Process counts.
    pub processes: Option<ThreadList>,
    /// Lock counts (the contention dial).
    pub locks: Vec<u64>,
    /// Critical-section work lengths.
    pub cs_work: Vec<Duration>,
    /// Think-time lengths.
    pub think: Vec<Duration>,
    /// CPU hog counts (`--noise`).
    pub noise: Vec<u64>,
    /// Everything else, as for one run (its backend, worker counts, lock count and work are
    /// ignored).
    pub run: RunRequest,
}

/// A sweep, ready to run.
pub struct SweepPlan {
    /// Backend names, in order.
    pub backends: Vec<&'static str>,
    /// Thread counts, ascending.
    pub threads: Vec<usize>,
    /// Process counts, ascending.
    pub processes: Vec<usize>,
    /// The contention regimes, in order: lock counts outer, then critical-section work, then
    /// think time, then noise.
    pub regimes: Vec<Regime>,
    /// One configuration per point: regimes outer; within one, thread counts first, then
    /// process counts, each by worker count, backends inner.
    pub configs: Vec<RunConfig>,
    /// Backends that run with threads only although process counts were given.
    pub threads_only: Vec<&'static str>,
}

/// Validates every configuration of the sweep `req` on a machine with `topology`.
pub fn plan(req: SweepRequest, topology: &Topology) -> Result<SweepPlan, UsageError> {
    let backends = req.backends.unwrap_or_else(|| DEFAULT_BACKENDS.to_vec());
    let cpus = topology.cpus.len();
    let threads = match (&req.threads, &req.processes) {
        (Some(t), _) => t.resolve(cpus),
        (None, Some(_)) => Vec::new(),
        (None, None) => ThreadList::Counts(DEFAULT_THREADS.to_vec()).resolve(cpus),
    };
    let processes = req
        .processes
        .as_ref()
        .map_or_else(Vec::new, |p| p.resolve(cpus));
    let registry = registry::global();
    let across = |b: &str| registry.get(b).is_some_and(|e| e.across_processes());
    let mut configs = Vec::new();
    let mut regimes = Vec::new();
    let modes: Vec<(usize, bool)> = threads
        .iter()
        .map(|&t| (t, false))
        .chain(processes.iter().map(|&p| (p, true)))
        .collect();
    for &locks in &req.locks {
        for &cs_work in &req.cs_work {
            for &think in &req.think {
                for &noise in &req.noise {
                    for &(workers, as_processes) in &modes {
                        for &backend in &backends {
                            if as_processes && !across(backend) {
                                continue;
                            }
                            configs.push(validate(
                                RunRequest {
                                    backend,
                                    threads: (!as_processes).then_some(workers),
                                    processes: as_processes.then_some(workers),
                                    pin: req.run.pin.clone(),
                                    draws: req.run.draws.clone(),
                                    locks,
                                    cs_work,
                                    think,
                                    noise,
                                    ..req.run
                                },
                                topology,
                            )?);
                        }
                    }
                    if let Some(last) = configs.last() {
                        regimes.push(Regime::of(last));
                    }
                }
            }
        }
    }
    if configs.is_empty() {
        return Err(UsageError::invalid(
            "--backends",
            backends.join(","),
            "none of these can run across processes (see `lockbench list`)",
        ));
    }
    let threads_only = if processes.is_empty() {
        Vec::new()
    } else {
        backends.iter().copied().filter(|b| !across(b)).collect()
    };
    Ok(SweepPlan {
        backends,
        threads,
        processes,
        regimes,
        configs,
        threads_only,
    })
}
