//! Many machines' sweeps read as one (`lockbench report A.json B.json ...`): the files grouped
//! by what they measured, and per regime and worker count a matrix of machine × lock with each
//! machine's own verdict. Plain data, made by `analysis::fleet`; the words are made in
//! `report::fleet`.

use serde::{Deserialize, Serialize};

use super::{MachineCosts, Regime, SeriesKey, Spread, Workload};

/// A fleet: the groups of files that measured the same thing, and the files that matched no
/// other.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Fleet {
    /// Groups of two or more files, the largest first.
    pub groups: Vec<FleetGroup>,
    /// Files whose workload and settings no other file shares, with those in words.
    pub set_apart: Vec<SetApart>,
}

/// A file left out of every group.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SetApart {
    /// The file, as it was named.
    pub file: String,
    /// What it measured, in words (workload and settings).
    pub measured: String,
}

/// Files that measured the same workload with the same run settings, one machine each.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FleetGroup {
    /// The workload.
    pub workload: Workload,
    /// What every file of the group shares, in words (run length, work unit, pin, latency).
    pub settings: String,
    /// The machines, in the order their files were named.
    pub machines: Vec<FleetMachine>,
    /// Settings that differ between the group's files (each value per machine, in order):
    /// listed, never hidden, and never a reason to mix two points that differ.
    pub differences: Vec<Difference>,
    /// One matrix per regime and worker count, in order.
    pub points: Vec<FleetPoint>,
}

/// One machine of a fleet: the file it wrote and the facts that explain its answers.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FleetMachine {
    /// A short name: the host name, made unique in the group.
    pub label: String,
    /// Its results file.
    pub file: String,
    /// The host name the file was measured on: files of one host name and CPU model are one
    /// machine, measured more than once.
    #[serde(default)]
    pub host: String,
    /// The CPU model.
    pub cpu_model: String,
    /// Logical CPUs online.
    pub logical_cpus: usize,
    /// CPUs lockbench was allowed.
    pub allowed_cpus: usize,
    /// Physical cores, where the machine said.
    pub physical_cores: Option<usize>,
    /// Whether it is a virtual machine, where it said.
    pub virtualized: Option<bool>,
    /// lockbench's version that measured it.
    pub lockbench_version: String,
    /// When its sweep started.
    pub started_utc: String,
    /// One spin-wait hint, ns (0: not measured).
    pub pause_ns: f64,
    /// The timer's floor, ns (0: not measured).
    pub timer_floor_ns: f64,
    /// Its measured costs (none in files written before they were measured).
    pub costs: Option<MachineCosts>,
}

/// A setting that differs between the files of a group.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Difference {
    /// The setting.
    pub what: String,
    /// Its value on each machine, in the group's order.
    pub values: Vec<String>,
}

/// One regime at one worker count, across the machines that measured it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FleetPoint {
    /// The contention regime.
    pub regime: Regime,
    /// Workers (threads or processes, as each series says).
    pub workers: usize,
    /// The columns: every lock any machine measured here, in the order first met.
    pub series: Vec<SeriesKey>,
    /// One row per machine that measured the point.
    pub rows: Vec<FleetRow>,
}

/// One machine's figures and verdict at a point.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FleetRow {
    /// The machine's index in the group.
    pub machine: usize,
    /// Per column: the lock's throughput there, if measured and ranked.
    pub cells: Vec<Option<FleetCell>>,
    /// The machine's own verdict at the point, by the ranking rule every verdict uses.
    pub answer: Answer,
    /// More workers than the machine's allowed CPUs.
    pub oversubscribed: bool,
}

/// A lock's throughput on one machine at one point.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FleetCell {
    /// Operations per second over the repetitions.
    pub ops_per_sec: Spread,
    /// Its median against the same machine's `std` (threads) at the same point: machines of
    /// different speeds read together. `None` where `std` was not measured there.
    pub vs_std: Option<f64>,
}

/// What one machine's sweep says is fastest at a point.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Answer {
    /// One lock is ahead of every other beyond the noise (the ranking rule).
    Clear {
        /// The winner.
        winner: SeriesKey,
        /// Its median over the next lock's.
        ratio: f64,
    },
    /// Several locks lead together: none is ahead of the others beyond the noise.
    Together {
        /// The leaders, fastest median first.
        leaders: Vec<SeriesKey>,
    },
    /// No verdict on the order (too few repetitions), or nothing that could be ranked.
    Unjudged {
        /// Why, in words.
        why: String,
    },
}
