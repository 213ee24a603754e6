//! Where a run took place: the machine, the build, the clock, and the facts of its backend.

use serde::{Deserialize, Serialize};

use crate::locks::{Protection, Waiting};
use crate::measure::clock::ClockInfo;

/// The facts of a backend that results carry, so that a report needs nothing but the results.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct BackendFacts {
    /// The registry name.
    pub name: String,
    /// What it is, in one line.
    pub summary: String,
    /// Lock, atomic baseline or unsynchronised baseline.
    pub kind: Protection,
    /// Whether waiters are served in arrival order.
    pub fair: bool,
    /// How a waiter waits.
    pub waiting: Waiting,
}

/// How long one iteration of the busy-work loop takes on this machine.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
pub struct WorkCalibration {
    /// Nanoseconds per work-loop iteration (the fastest of several rounds).
    pub ns_per_iteration: f64,
}

/// The machine and build a result was measured on.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Environment {
    /// Host name.
    pub hostname: String,
    /// CPU model, from /proc/cpuinfo.
    pub cpu_model: String,
    /// Logical CPUs online.
    pub logical_cpus: usize,
    /// CPUs this process was allowed to use.
    pub allowed_cpus: Vec<usize>,
    /// Kernel release.
    pub kernel: String,
    /// Operating system and architecture.
    pub os: String,
    /// The compiler lockbench was built with.
    pub rustc: String,
    /// lockbench's version.
    pub lockbench_version: String,
    /// Whether lockbench was built with optimisations.
    pub optimized_build: bool,
    /// The clock used and what a reading costs.
    pub clock: ClockInfo,
    /// What one spin-wait hint (`pause` on x86) costs, in ns: spinning locks count their
    /// budgets in these, and their cost differs many times between CPU generations.
    #[serde(default)]
    pub pause_ns: f64,
    /// The work-loop calibration, when `--cs-work` or `--think` was used.
    pub work_calibration: Option<WorkCalibration>,
}
