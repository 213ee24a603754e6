//! The backend registry: a list of entries, each a lock's [`Facts`] and a way to run its type.
//! Built-in locks and locks registered by a user of the library are the same kind of thing:
//! [`Registry::register`] takes any [`Backend`] type, and from then on its name works in every
//! command.
//!
//! An entry keeps its type behind one small trait object, [`Engine`], whose methods are the
//! runner's generic functions compiled for that type: choosing the backend costs one virtual call
//! per run, and the hot loop inside stays monomorphised.

mod builtin;

use std::marker::PhantomData;
use std::sync::OnceLock;

use serde::Serialize;

use crate::analysis::RunRecord;
use crate::locks::{Backend, Facts, Protection, Waiting};
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

/// Whether `name` (or an alias) is a built-in backend's, not one a user registered.
pub fn builtin_name(name: &str) -> bool {
    Registry::builtin().get(name).is_some()
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
        self.add(Entry::of::<B>(facts))
    }

    fn add(&mut self, entry: Entry) -> Result<&mut Self, NameTaken> {
        for name in std::iter::once(&entry.facts.name).chain(entry.facts.aliases) {
            if self.get(name).is_some() {
                return Err(NameTaken(name.to_string()));
            }
        }
        self.entries.push(entry);
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
    use crate::locks::TicketLock;
    use crate::locks::relax::Spin;

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
