//! The backend registry: a list of entries, each a lock's [`Facts`] and a way to run its type.
//! Built-in locks and locks registered by a user of the library are the same kind of thing:
//! [`Registry::register`] takes any [`Backend`] type, and from then on its name works in every
//! command.
//!
//! An entry keeps its type behind one small trait object, [`Engine`], whose methods are the
//! runner's generic functions compiled for that type: choosing the backend costs one virtual call
//! per run, and the hot loop inside stays monomorphised.

use std::marker::PhantomData;
use std::sync::OnceLock;

use serde::Serialize;

use crate::analysis::RunRecord;
use crate::locks::relax::{Backoff, Spin, SpinThenYield};
use crate::locks::{
    AsyncLockMutex, AtomicBaseline, Backend, ClhLock, Facts, FutexMutex, LockApi, LockApi05,
    McsLock, ParkingMutex, ParkingRwLock, PosixSemaphore, ProcessSharedMutex, Protection,
    PthreadMutex, PthreadRwLock, PthreadShared, RwSpinLock, SpinLock, StdMutex, StdRwLock, TasLock,
    TicketLock, TokioMutex, Unsynchronised, Waiting,
};
use crate::model::{BackendFacts, RunConfig, WorkCalibration};
use crate::runner::affinity::Topology;
use crate::runner::bench::{self, Rig};
use crate::runner::processes::{WorkerReport, WorkerSpec};
use crate::runner::{self, Progress, RunError};

/// What lockbench does with a backend's type, compiled for that type.
pub trait Engine: Send + Sync {
    /// Runs a configuration (threads or processes) and returns what was measured.
    fn run(
        &self,
        cfg: &RunConfig,
        topology: &Topology,
        calibration: Option<WorkCalibration>,
        on_progress: &mut dyn FnMut(&Progress),
    ) -> Result<RunRecord, RunError>;
    /// Runs one worker process of a process run.
    fn run_child(&self, spec: &WorkerSpec) -> anyhow::Result<WorkerReport>;
    /// A timing rig for the criterion benchmarks.
    fn bench_rig(&self, threads: usize) -> Box<dyn Rig>;
}

struct Typed<B>(PhantomData<fn() -> B>);

impl<B: Backend> Engine for Typed<B> {
    fn run(
        &self,
        cfg: &RunConfig,
        topology: &Topology,
        calibration: Option<WorkCalibration>,
        on_progress: &mut dyn FnMut(&Progress),
    ) -> Result<RunRecord, RunError> {
        runner::run::<B>(cfg, topology, calibration, on_progress)
    }

    fn run_child(&self, spec: &WorkerSpec) -> anyhow::Result<WorkerReport> {
        runner::processes::run_child::<B>(spec)
    }

    fn bench_rig(&self, threads: usize) -> Box<dyn Rig> {
        bench::rig::<B>(threads)
    }
}

/// One backend: its facts, what protects its critical section, and its engine.
pub struct Entry {
    facts: Facts,
    kind: Protection,
    cannot_time_out: Option<&'static str>,
    engine: Box<dyn Engine>,
}

impl Entry {
    /// The entry of type `B`, described by `facts`.
    pub fn of<B: Backend>(facts: Facts) -> Entry {
        Entry {
            facts,
            kind: B::KIND,
            cannot_time_out: B::CANNOT_TIME_OUT,
            engine: Box::new(Typed::<B>(PhantomData)),
        }
    }

    /// Its CLI name.
    pub fn name(&self) -> &'static str {
        self.facts.name
    }

    /// What it is.
    pub fn facts(&self) -> &Facts {
        &self.facts
    }

    /// What protects its critical section (from the type itself).
    pub fn kind(&self) -> Protection {
        self.kind
    }

    /// Why an acquisition of it cannot have a deadline (`--timeout`); `None`: it can.
    pub fn cannot_time_out(&self) -> Option<&'static str> {
        self.cannot_time_out
    }

    /// Whether it can run across processes.
    pub fn across_processes(&self) -> bool {
        self.facts.not_across_processes.is_none()
    }

    /// The facts that results carry.
    pub fn model_facts(&self) -> BackendFacts {
        BackendFacts {
            name: self.facts.name.to_string(),
            summary: self.facts.summary.to_string(),
            kind: self.kind,
            fair: self.facts.fair,
            waiting: self.facts.waiting,
        }
    }

    /// Its engine: the runner compiled for its type.
    pub fn engine(&self) -> &dyn Engine {
        &*self.engine
    }

    /// Whether `name` is its name or one of its aliases (case-insensitive).
    fn answers_to(&self, name: &str) -> bool {
        self.facts.name.eq_ignore_ascii_case(name)
            || self
                .facts
                .aliases
                .iter()
                .any(|a| a.eq_ignore_ascii_case(name))
    }
}

/// An entry as `lockbench list --json` shows it.
#[derive(Serialize)]
pub struct Listed {
    /// The CLI name (kept as `id` too, for readers of earlier output).
    pub id: &'static str,
    /// The CLI name.
    pub name: &'static str,
    /// Other accepted spellings.
    pub aliases: &'static [&'static str],
    /// What it is.
    pub summary: &'static str,
    /// Lock, atomic baseline or unsynchronised baseline.
    pub kind: Protection,
    /// Whether waiters are served in arrival order.
    pub fair: bool,
    /// How a waiter waits.
    pub waiting: Waiting,
    /// Why it cannot work between processes, if it cannot.
    pub not_across_processes: Option<&'static str>,
    /// Why its acquisitions cannot have a deadline (`--timeout`), if they cannot.
    pub cannot_time_out: Option<&'static str>,
}

/// A name that is taken already.
#[derive(Debug, thiserror::Error)]
#[error("a backend named '{0}' is registered already")]
pub struct NameTaken(pub String);

/// The backends, in the order `lockbench list` shows them.
pub struct Registry {
    entries: Vec<Entry>,
}

impl Registry {
    /// No backend at all.
    pub fn empty() -> Registry {
        Registry {
            entries: Vec::new(),
        }
    }

    /// Adds backend `B` under `facts`; its name and aliases must be new.
    pub fn register<B: Backend>(&mut self, facts: Facts) -> Result<&mut Self, NameTaken> {
        for name in std::iter::once(&facts.name).chain(facts.aliases) {
            if self.get(name).is_some() {
                return Err(NameTaken(name.to_string()));
            }
        }
        self.entries.push(Entry::of::<B>(facts));
        Ok(self)
    }

    /// The entry named `name` or aliased so (case-insensitive, surrounding space ignored).
    pub fn get(&self, name: &str) -> Option<&Entry> {
        let name = name.trim();
        self.entries.iter().find(|e| e.answers_to(name))
    }

    /// Every entry, in order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The valid names, comma-separated, for error messages.
    pub fn names(&self) -> String {
        self.entries
            .iter()
            .map(Entry::name)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The entries as `list --json` shows them.
    pub fn listed(&self) -> Vec<Listed> {
        self.entries
            .iter()
            .map(|e| Listed {
                id: e.facts.name,
                name: e.facts.name,
                aliases: e.facts.aliases,
                summary: e.facts.summary,
                kind: e.kind,
                fair: e.facts.fair,
                waiting: e.facts.waiting,
                not_across_processes: e.facts.not_across_processes,
                cannot_time_out: e.cannot_time_out,
            })
            .collect()
    }

    /// lockbench's own backends.
    pub fn builtin() -> Registry {
        let mut r = Registry::empty();
        let fresh = "built-in names are distinct (checked by a test)";
        r.register::<StdMutex>(Facts {
            name: "std",
            aliases: &[],
            summary: "std::sync::Mutex (futex-based; spins briefly, then sleeps)",
            fair: false,
            waiting: Waiting::SpinThenSleep,
            not_across_processes: Some(
                "std::sync::Mutex waits on a process-private futex (FUTEX_PRIVATE_FLAG) and is not repr(C)",
            ),
        })
        .expect(fresh)
        .register::<ParkingMutex>(Facts {
            name: "parking-lot",
            aliases: &["parking_lot"],
            summary: "parking_lot::Mutex (adaptive spinning, then parks; eventual fairness every ~0.5 ms)",
            fair: false,
            waiting: Waiting::SpinThenSleep,
            not_across_processes: Some(
                "parking_lot parks waiters in a per-process hash table that another process cannot see",
            ),
        })
        .expect(fresh)
        .register::<SpinLock<Backoff>>(Facts {
            name: "spin",
            aliases: &[],
            summary: "our test-and-test-and-set spinlock: 127 pause hints over its first 7 looks, then a yield per look (a yield lock under long waits)",
            fair: false,
            waiting: Waiting::Backoff,
            not_across_processes: None,
        })
        .expect(fresh)
        .register::<SpinLock<Spin>>(Facts {
            name: "spin-pure",
            aliases: &[],
            summary: "the same spinlock, pure spinning (never yields: collapses when threads > cores)",
            fair: false,
            waiting: Waiting::Spin,
            not_across_processes: None,
        })
        .expect(fresh)
        .register::<TasLock<Backoff>>(Facts {
            name: "tas",
            aliases: &[],
            summary: "our test-and-set spinlock: every try is a write, also while the lock is held; the same backoff as spin (what spin's test-before-set saves)",
            fair: false,
            waiting: Waiting::Backoff,
            not_across_processes: None,
        })
        .expect(fresh)
        .register::<McsLock<SpinThenYield>>(Facts {
            name: "mcs",
            aliases: &[],
            summary: "our MCS queue lock: FIFO, each waiter spins on its own node; spins 128 times, then yields",
            fair: true,
            waiting: Waiting::SpinThenYield,
            not_across_processes: Some(
                "its queue links nodes on the waiters' stacks, which another process cannot see",
            ),
        })
        .expect(fresh)
        .register::<McsLock<Spin>>(Facts {
            name: "mcs-spin",
            aliases: &[],
            summary: "the same MCS lock, pure spinning (collapses when threads > cores)",
            fair: true,
            waiting: Waiting::Spin,
            not_across_processes: Some(
                "its queue links nodes on the waiters' stacks, which another process cannot see",
            ),
        })
        .expect(fresh)
        .register::<ClhLock<SpinThenYield>>(Facts {
            name: "clh",
            aliases: &[],
            summary: "our CLH queue lock: FIFO, each waiter spins on its predecessor's node, nodes recycled; spins 128 times, then yields",
            fair: true,
            waiting: Waiting::SpinThenYield,
            not_across_processes: Some(
                "its queue's nodes are allocated in, and recycled through, one process's heap",
            ),
        })
        .expect(fresh)
        .register::<ClhLock<Spin>>(Facts {
            name: "clh-spin",
            aliases: &[],
            summary: "the same CLH lock, pure spinning (collapses when threads > cores)",
            fair: true,
            waiting: Waiting::Spin,
            not_across_processes: Some(
                "its queue's nodes are allocated in, and recycled through, one process's heap",
            ),
        })
        .expect(fresh)
        .register::<StdRwLock>(Facts {
            name: "std-rwlock",
            aliases: &[],
            summary: "std::sync::RwLock: readers share it (futex-based; a waiting writer holds new readers back)",
            fair: false,
            waiting: Waiting::SpinThenSleep,
            not_across_processes: Some("std's RwLock is process-private"),
        })
        .expect(fresh)
        .register::<ParkingRwLock>(Facts {
            name: "parking-lot-rwlock",
            aliases: &["parking_lot_rwlock"],
            summary: "parking_lot::RwLock: readers share it (task-fair: a waiting writer holds new readers back)",
            fair: false,
            waiting: Waiting::SpinThenSleep,
            not_across_processes: Some(
                "parking_lot parks its waiters in a table of this process",
            ),
        })
        .expect(fresh)
        .register::<PthreadRwLock>(Facts {
            name: "pthread-rwlock",
            aliases: &[],
            summary: "libc pthread_rwlock_t, default attributes: readers share it (glibc prefers readers, so writers can starve)",
            fair: false,
            waiting: Waiting::Sleep,
            not_across_processes: Some(
                "it is initialised process-private (default attributes)",
            ),
        })
        .expect(fresh)
        .register::<RwSpinLock<SpinThenYield>>(Facts {
            name: "rw-spin",
            aliases: &[],
            summary: "our writer-preferring reader-writer spinlock (one word: readers share it; a waiting writer holds new readers back); spins 128 times, then yields",
            fair: false,
            waiting: Waiting::SpinThenYield,
            not_across_processes: None,
        })
        .expect(fresh)
        .register::<TicketLock<SpinThenYield>>(Facts {
            name: "ticket",
            aliases: &[],
            summary: "our FIFO ticket lock; spins 128 times, then yields",
            fair: true,
            waiting: Waiting::SpinThenYield,
            not_across_processes: None,
        })
        .expect(fresh)
        .register::<TicketLock<Spin>>(Facts {
            name: "ticket-spin",
            aliases: &[],
            summary: "the same ticket lock, pure spinning (collapses when threads > cores)",
            fair: true,
            waiting: Waiting::Spin,
            not_across_processes: None,
        })
        .expect(fresh)
        .register::<LockApi<spin::mutex::SpinMutex<(), spin::relax::Spin>>>(Facts {
            name: "spin-rs",
            aliases: &[],
            summary: "the spin crate's SpinMutex through lock_api: test-and-test-and-set, pure spinning (our spin-pure's counterpart)",
            fair: false,
            waiting: Waiting::Spin,
            not_across_processes: None,
        })
        .expect(fresh)
        .register::<LockApi<spin::mutex::TicketMutex<(), spin::relax::Spin>>>(Facts {
            name: "spin-rs-ticket",
            aliases: &[],
            summary: "the spin crate's TicketMutex through lock_api, pure spinning (our ticket-spin's counterpart)",
            fair: true,
            waiting: Waiting::Spin,
            not_across_processes: None,
        })
        .expect(fresh)
        .register::<LockApi05<parking_lot::RawFairMutex>>(Facts {
            name: "parking-lot-fair",
            aliases: &["parking_lot_fair"],
            summary: "parking_lot::FairMutex through lock_api: every unlock hands the lock to the next waiter (the price of fairness, beside parking-lot)",
            fair: true,
            waiting: Waiting::SpinThenSleep,
            not_across_processes: Some(
                "parking_lot parks waiters in a per-process hash table that another process cannot see",
            ),
        })
        .expect(fresh)
        .register::<TokioMutex>(Facts {
            name: "tokio",
            aliases: &[],
            summary: "tokio::sync::Mutex: an async mutex, fair (FIFO); with --tasks a waiting task gives its thread to others; with --threads, blocking_lock",
            fair: true,
            waiting: Waiting::Await,
            not_across_processes: Some(
                "tokio's Mutex keeps its waiters in a list in process memory, woken through the runtime",
            ),
        })
        .expect(fresh)
        .register::<AsyncLockMutex>(Facts {
            name: "async-lock",
            aliases: &["async_lock"],
            summary: "async_lock::Mutex (the async-lock crate): awaits an event, eventually fair (a waiter starved for 0.5 ms forces fair hand-offs); with --threads, lock_blocking",
            fair: false,
            waiting: Waiting::Await,
            not_across_processes: Some(
                "async-lock's Mutex waits on an event listener list in process memory",
            ),
        })
        .expect(fresh)
        .register::<PthreadMutex>(Facts {
            name: "pthread",
            aliases: &[],
            summary: "libc pthread_mutex_t, default attributes (glibc: futex-based, no spinning)",
            fair: false,
            waiting: Waiting::Sleep,
            not_across_processes: Some(
                "a default pthread mutex is process-private; use process-shared",
            ),
        })
        .expect(fresh)
        .register::<FutexMutex>(Facts {
            name: "futex",
            aliases: &[],
            summary: "our three-state futex mutex (Drepper's \"Futexes Are Tricky\"), no spinning; shared futex calls",
            fair: false,
            waiting: Waiting::Sleep,
            not_across_processes: None,
        })
        .expect(fresh)
        .register::<FutexMutex<true>>(Facts {
            name: "futex-private",
            aliases: &[],
            summary: "the same futex mutex with FUTEX_PRIVATE_FLAG (the kernel's process-private path, as std's)",
            fair: false,
            waiting: Waiting::Sleep,
            not_across_processes: Some(
                "FUTEX_PRIVATE_FLAG keys the wait queue by this process's address space",
            ),
        })
        .expect(fresh)
        .register::<PthreadShared>(Facts {
            name: "pthread-pshared",
            aliases: &[],
            summary: "pthread mutex with PTHREAD_PROCESS_SHARED, not robust (sharing without robustness)",
            fair: false,
            waiting: Waiting::Sleep,
            not_across_processes: None,
        })
        .expect(fresh)
        .register::<ProcessSharedMutex>(Facts {
            name: "process-shared",
            aliases: &[],
            summary: "pthread mutex with PTHREAD_PROCESS_SHARED and PTHREAD_MUTEX_ROBUST (survives a dead holder)",
            fair: false,
            waiting: Waiting::Sleep,
            not_across_processes: None,
        })
        .expect(fresh)
        .register::<PosixSemaphore>(Facts {
            name: "posix-sem",
            aliases: &["semaphore"],
            summary: "process-shared POSIX semaphore, one permit (what Python's multiprocessing.Lock uses)",
            fair: false,
            waiting: Waiting::Sleep,
            not_across_processes: None,
        })
        .expect(fresh)
        .register::<AtomicBaseline>(Facts {
            name: "atomic",
            aliases: &[],
            summary: "no lock: one atomic fetch_add per update (the floor for any lock)",
            fair: false,
            waiting: Waiting::NoWait,
            not_across_processes: None,
        })
        .expect(fresh)
        .register::<Unsynchronised>(Facts {
            name: "none",
            aliases: &[],
            summary: "no synchronisation: read, then write back (loses updates: the reason locks exist)",
            fair: false,
            waiting: Waiting::NoWait,
            not_across_processes: None,
        })
        .expect(fresh);
        r
    }
}

static REGISTRY: OnceLock<Registry> = OnceLock::new();

/// The registry this process uses: the one [`install`]ed, or else the built-in one.
pub fn global() -> &'static Registry {
    REGISTRY.get_or_init(Registry::builtin)
}

/// Makes `registry` the one this process uses, before any command runs. Fails (giving it back)
/// if a registry is in use already.
pub fn install(registry: Registry) -> Result<(), Registry> {
    REGISTRY.set(registry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_names_are_distinct_and_found_by_alias_and_case() {
        let r = Registry::builtin();
        assert_eq!(r.entries().len(), 28);
        for e in r.entries() {
            assert_eq!(r.get(e.name()).map(Entry::name), Some(e.name()));
            for a in e.facts().aliases {
                assert_eq!(r.get(a).map(Entry::name), Some(e.name()));
            }
        }
        assert_eq!(r.get("parking_lot").unwrap().name(), "parking-lot");
        assert_eq!(r.get(" Ticket ").unwrap().name(), "ticket");
        assert!(r.get("tickets").is_none());
    }

    #[test]
    fn kinds_come_from_the_types() {
        let r = Registry::builtin();
        let kind = |n| r.get(n).unwrap().kind();
        assert_eq!(kind("ticket"), Protection::Lock);
        assert_eq!(kind("std"), Protection::Lock);
        assert_eq!(kind("atomic"), Protection::AtomicRmw);
        assert_eq!(kind("none"), Protection::Unsynchronised);
    }

    #[test]
    fn a_user_lock_is_registered_like_a_builtin_and_names_stay_unique() {
        let mut r = Registry::builtin();
        let facts = Facts {
            name: "my-ticket",
            aliases: &["mine"],
            summary: "a user's lock",
            fair: true,
            waiting: Waiting::Spin,
            not_across_processes: None,
        };
        r.register::<TicketLock<Spin>>(facts).unwrap();
        assert_eq!(r.get("MINE").unwrap().name(), "my-ticket");
        assert!(r.names().ends_with("my-ticket"));
        assert!(r.register::<TicketLock<Spin>>(facts).is_err());
        let clash = Facts {
            name: "new",
            aliases: &["std"],
            ..facts
        };
        assert!(r.register::<TicketLock<Spin>>(clash).is_err());
    }
}
