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

/// A crate compiled into lockbench, at the version `Cargo.lock` pinned.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct CrateVersion {
    /// The crate's name, e.g. `parking_lot`.
    pub name: String,
    /// Its version, e.g. `0.13.0`.
    pub version: String,
}

/// The machine and build a result was measured on.
///
/// The facts after `pause_ns` were added later: files written before them read them as unknown
/// (`None`, or an empty list), and so does a machine that does not expose them (containers
/// often lack the `/sys` entries).
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
    /// The compiler lockbench was built with. It is the version of the `std` backend too:
    /// `std::sync::Mutex` was a boxed pthread mutex on Linux until Rust 1.62, and a futex
    /// lock of std's own since.
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
    /// Physical cores over all online CPUs: distinct (package, core) pairs in sysfs.
    #[serde(default)]
    pub physical_cores: Option<usize>,
    /// Hardware (SMT) threads per core: the most logical CPUs that share one core (1 without
    /// SMT; on hybrid CPUs the big cores' count).
    #[serde(default)]
    pub threads_per_core: Option<usize>,
    /// Sockets: distinct physical packages among the online CPUs.
    #[serde(default)]
    pub sockets: Option<usize>,
    /// NUMA nodes online.
    #[serde(default)]
    pub numa_nodes: Option<usize>,
    /// Whether the machine is a virtual one: the `hypervisor` CPU flag in /proc/cpuinfo
    /// (`None` where the CPU lists no flags, as on ARM).
    #[serde(default)]
    pub virtualized: Option<bool>,
    /// The hypervisor or cloud, where a virtual machine says (/sys/hypervisor/type, else the
    /// DMI system vendor).
    #[serde(default)]
    pub hypervisor: Option<String>,
    /// cpu0's frequency governor (`performance`, `powersave`, `schedutil`...), where the
    /// machine exposes cpufreq.
    #[serde(default)]
    pub governor: Option<String>,
    /// Whether turbo (boost) frequencies were enabled, where the machine says.
    #[serde(default)]
    pub turbo: Option<bool>,
    /// The 1-minute load average when the command started. lockbench's own earlier runs
    /// raise it for minutes afterwards: see [`Environment::busy_warning`].
    #[serde(default)]
    pub load_average: Option<f64>,
    /// Other runnable tasks (threads) on the machine when the command started, lockbench's
    /// own thread excluded: the fewest of a few readings of /proc/loadavg.
    #[serde(default)]
    pub other_runnable: Option<usize>,
    /// The lock crates compiled in (`parking_lot`, `parking_lot_core`, `lock_api`), at the
    /// versions `Cargo.lock` pinned.
    #[serde(default)]
    pub lock_crates: Vec<CrateVersion>,
    /// The C library, which implements the pthread and semaphore backends (e.g.
    /// `glibc 2.39`).
    #[serde(default)]
    pub libc: Option<String>,
    /// What the machine's scheduler, caches and spin hint cost, measured as the command
    /// started (none in a program's profile, and in files written before they were measured).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub costs: Option<MachineCosts>,
}

/// The costs that change a lock's answer from one machine to the next, measured: each the
/// least of its rounds, a floor that a busy machine can only raise (files written before the
/// rounds' spread was kept: their median), and `ranges` the spread of the rounds; `None` where
/// the machine could not show it, e.g. one allowed CPU for a round trip between two.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct MachineCosts {
    /// One spin-wait hint (`pause`) in TSC ticks: reference cycles at the TSC's rate (the
    /// environment's `pause_ns` is the same in ns). `None` without an invariant TSC.
    pub pause_cycles: Option<f64>,
    /// The cache line's round trip between two CPUs, for pairs of CPUs in the order the
    /// compact pinning fills them: the first with its nearest, and on to the farthest.
    pub core_to_core: Vec<CoreRoundTrip>,
    /// The `FUTEX_WAKE` call that wakes one sleeping waiter, ns: what a sleeping lock's
    /// release costs its releaser.
    pub futex_wake_ns: Option<f64>,
    /// From just before that call to the woken waiter running again, ns: what a sleeping
    /// lock's hand-off costs its next holder.
    pub wakeup_ns: Option<f64>,
    /// One context switch, ns: two threads on one CPU passing the CPU back and forth through a
    /// futex, half a round trip (the futex calls included).
    pub context_switch_ns: Option<f64>,
    /// The spread of each measurement's rounds (none in files written before it was kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ranges: Option<CostRanges>,
}

/// The least and the most of a measurement's rounds, ns.
pub type Range = (f64, f64);

/// The spread of the machine's measured costs: for the loops timed in rounds (the pause, the
/// round trips, the context switch) the least and the most of the rounds, which a busy machine
/// spreads; for the wakes, each timed alone, the least and the median (a single wake varies
/// with the CPU's idle state whatever else runs).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct CostRanges {
    /// One spin-wait hint, ns: (least, most) of the rounds.
    pub pause_ns: Option<Range>,
    /// Each pair's round trip, in the order of `core_to_core`: (least, most) of the rounds.
    pub core_to_core_ns: Vec<Range>,
    /// The futex wake: (least, median) of the wakes.
    pub futex_wake_ns: Option<Range>,
    /// The wake-up: (least, median) of the wakes.
    pub wakeup_ns: Option<Range>,
    /// The context switch: (least, most) of the rounds.
    pub context_switch_ns: Option<Range>,
}

impl CostRanges {
    /// Whether a loop timed in rounds took more than twice as long in one round as in another:
    /// the machine was busy while its costs were measured.
    pub fn wide(&self) -> bool {
        let wide = |r: &Range| r.1 > 2.0 * r.0;
        [self.pause_ns, self.context_switch_ns]
            .iter()
            .flatten()
            .chain(&self.core_to_core_ns)
            .any(wide)
    }
}

/// The cache-line round trip between two CPUs.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CoreRoundTrip {
    /// The CPU that starts each trip.
    pub from: usize,
    /// The CPU that answers.
    pub to: usize,
    /// The least round trip of its rounds, ns (files written before: the median).
    pub round_trip_ns: f64,
}

impl MachineCosts {
    /// The median of the pairs' round trips, if any were measured.
    pub fn core_to_core_median_ns(&self) -> Option<f64> {
        let mut trips: Vec<f64> = self.core_to_core.iter().map(|t| t.round_trip_ns).collect();
        trips.sort_by(f64::total_cmp);
        trips.get(trips.len() / 2).copied()
    }
}

impl Environment {
    /// A one-line warning when the machine was busy as the command started, `None` otherwise:
    /// plain text without a `warning:` prefix, which each output adds in its own way.
    ///
    /// The workers take every allowed CPU, so one other runnable task already takes a CPU from
    /// a worker, and a lock holder preempted by it stalls every waiter: the warning is given
    /// from one other runnable task up. That count is the fewest of a few readings, so a
    /// passing kernel thread does not raise it; it counts the whole machine, so a task on a CPU
    /// outside the allowed set counts too. The load average is the second sign: over half a
    /// task per allowed CPU for the last minute means something competed recently, but
    /// lockbench's own earlier commands raise it as much as a stranger would, so with nothing
    /// else runnable at the start it gives only a milder line, which says so.
    pub fn busy_warning(&self) -> Option<String> {
        let cpus = self.allowed_cpus.len().max(1);
        let load = self
            .load_average
            .map(|l| format!("load average {l:.2} on {cpus} allowed CPUs"));
        match (self.other_runnable, self.load_average) {
            (Some(n), _) if n >= 1 => Some(format!(
                "busy machine: {n} other runnable task{} when the command started{}: \
                 the figures may be low and noisy",
                if n == 1 { "" } else { "s" },
                load.map(|l| format!(" ({l})")).unwrap_or_default()
            )),
            (_, Some(l)) if l > 0.5 * cpus as f64 => Some(format!(
                "{} over the last minute, though nothing else was runnable at the \
                 start (earlier runs, lockbench's own included, raise it): check that nothing \
                 else competes for the CPUs",
                load.unwrap_or_default()
            )),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An environment as files written before the machine facts carry it.
    const OLD: &str = r#"{"hostname": "vm", "cpu_model": "AMD EPYC", "logical_cpus": 2,
        "allowed_cpus": [0, 1], "kernel": "6.18.44", "os": "linux x86_64",
        "rustc": "rustc 1.95.0 (59807616e 2026-04-14)", "lockbench_version": "0.1.0",
        "optimized_build": true,
        "clock": {"source": "tsc", "read_cost_ns": 12.0, "ordered_floor_ns": 20.0},
        "work_calibration": null}"#;

    #[test]
    fn an_older_file_reads_with_every_new_fact_unknown() {
        let e: Environment = serde_json::from_str(OLD).unwrap();
        assert_eq!(e.hostname, "vm");
        assert_eq!(e.pause_ns, 0.0);
        assert_eq!(
            (
                e.physical_cores,
                e.threads_per_core,
                e.sockets,
                e.numa_nodes
            ),
            (None, None, None, None)
        );
        assert_eq!((e.virtualized, e.hypervisor.as_deref()), (None, None));
        assert_eq!((e.governor.as_deref(), e.turbo), (None, None));
        assert_eq!((e.load_average, e.other_runnable), (None, None));
        assert!(e.lock_crates.is_empty());
        assert_eq!(e.libc, None);
        assert_eq!(e.busy_warning(), None);
    }

    #[test]
    fn the_new_facts_round_trip() {
        let mut e: Environment = serde_json::from_str(OLD).unwrap();
        e.physical_cores = Some(1);
        e.governor = Some("performance".into());
        e.lock_crates = vec![CrateVersion {
            name: "parking_lot".into(),
            version: "0.13.0".into(),
        }];
        let back: Environment = serde_json::from_str(&serde_json::to_string(&e).unwrap()).unwrap();
        assert_eq!(back, e);
    }

    #[test]
    fn busy_warning_on_other_runnable_tasks_first_then_on_the_load_average() {
        let mut e: Environment = serde_json::from_str(OLD).unwrap();
        e.other_runnable = Some(0);
        e.load_average = Some(0.9);
        assert_eq!(
            e.busy_warning(),
            None,
            "0.9 on 2 CPUs is under half a task each"
        );
        e.load_average = Some(1.5);
        let mild = e.busy_warning().unwrap();
        assert!(
            mild.contains("load average 1.50 on 2 allowed CPUs"),
            "{mild}"
        );
        assert!(mild.contains("nothing else was runnable"), "{mild}");
        e.other_runnable = Some(2);
        let loud = e.busy_warning().unwrap();
        assert!(
            loud.starts_with("busy machine: 2 other runnable tasks"),
            "{loud}"
        );
        assert!(!loud.contains('\n'));
        e.load_average = None;
        e.other_runnable = Some(1);
        assert_eq!(
            e.busy_warning().unwrap(),
            "busy machine: 1 other runnable task when the command started: the figures may \
             be low and noisy"
        );
    }
}
