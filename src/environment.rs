//! The environment a command runs in: the machine, the build and the clock, read once per
//! command (measuring the clock takes a million readings).
//!
//! Every file is optional (containers often lack the `/sys` entries): what cannot be read is
//! recorded as unknown. The parsers are pure functions of the files' text, tested below.

use std::fs;
use std::time::{Duration, Instant};

use crate::measure::clock::{Clock, ClockInfo};
use crate::model::{CrateVersion, Environment, WorkCalibration};
use crate::runner::affinity::Topology;

/// Readings of /proc/loadavg at the start; the fewest runnable tasks among them counts.
const LOAD_READINGS: usize = 5;
/// The pause between those readings.
const LOAD_READING_GAP: Duration = Duration::from_millis(10);

/// The 1-minute load average and the other runnable tasks (the 4th field's "running" count,
/// less the reader itself) from the text of /proc/loadavg.
pub fn parse_loadavg(text: &str) -> Option<(f64, usize)> {
    let mut fields = text.split_whitespace();
    let load = fields.next()?.parse().ok()?;
    let (running, _) = fields.nth(2)?.split_once('/')?;
    let running: usize = running.parse().ok()?;
    Some((load, running.saturating_sub(1)))
}

/// Whether the first `flags` line of /proc/cpuinfo text lists `flag`; `None` where there is no
/// such line (ARM lists `Features` instead).
pub fn cpuinfo_flag(cpuinfo: &str, flag: &str) -> Option<bool> {
    let line = cpuinfo
        .lines()
        .find(|l| l.split(':').next().is_some_and(|k| k.trim() == "flags"))?;
    let (_, flags) = line.split_once(':')?;
    Some(flags.split_whitespace().any(|f| f == flag))
}

/// The numbers in a sysfs CPU or node list such as `0-3,8,10-11`; `None` if malformed.
pub fn parse_cpu_list(text: &str) -> Option<Vec<usize>> {
    let text = text.trim();
    if text.is_empty() {
        return Some(Vec::new());
    }
    let mut ids = Vec::new();
    for part in text.split(',') {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b): (usize, usize) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
                // No machine has a million CPUs: a wilder range is a malformed file.
                if b < a || b - a > 1 << 20 {
                    return None;
                }
                ids.extend(a..=b);
            }
            None => ids.push(part.trim().parse().ok()?),
        }
    }
    Some(ids)
}

/// Physical cores, hardware threads per core (the most on one core) and sockets, counted from
/// one `(package, core)` pair per online logical CPU; `None` for no CPUs.
pub fn count_topology(cpus: &[(usize, usize)]) -> Option<(usize, usize, usize)> {
    let mut cores = cpus.to_vec();
    cores.sort_unstable();
    let threads_per_core = cores.chunk_by(|a, b| a == b).map(<[_]>::len).max()?;
    cores.dedup();
    let mut packages: Vec<usize> = cores.iter().map(|&(p, _)| p).collect();
    packages.dedup();
    Some((cores.len(), threads_per_core, packages.len()))
}

/// A sysfs boolean: `Some(true)` for `1`, `Some(false)` for `0`.
fn parse_bit(text: &str) -> Option<bool> {
    match text.trim() {
        "1" => Some(true),
        "0" => Some(false),
        _ => None,
    }
}

/// The lock crates as build.rs wrote them: `name version, name version`.
pub fn parse_crate_list(text: &str) -> Vec<CrateVersion> {
    text.split(',')
        .filter_map(|c| c.trim().split_once(' '))
        .map(|(name, version)| CrateVersion {
            name: name.to_string(),
            version: version.trim().to_string(),
        })
        .collect()
}

/// The trimmed text of `path`, `None` if it is missing or empty.
fn read_opt(path: &str) -> Option<String> {
    let s = fs::read_to_string(path).ok()?;
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

/// Cores, threads per core and sockets over every online CPU (not only the allowed ones).
fn machine_topology() -> Option<(usize, usize, usize)> {
    let online = parse_cpu_list(&read_opt("/sys/devices/system/cpu/online")?)?;
    let field = |cpu: usize, name: &str| -> Option<usize> {
        read_opt(&format!("/sys/devices/system/cpu/cpu{cpu}/topology/{name}"))?
            .parse()
            .ok()
    };
    let pairs = online
        .into_iter()
        .map(|cpu| Some((field(cpu, "physical_package_id")?, field(cpu, "core_id")?)))
        .collect::<Option<Vec<_>>>()?;
    count_topology(&pairs)
}

/// Whether turbo frequencies are enabled: cpufreq's `boost` (acpi-cpufreq, amd-pstate), else
/// intel_pstate's `no_turbo`.
fn turbo() -> Option<bool> {
    read_opt("/sys/devices/system/cpu/cpufreq/boost")
        .and_then(|b| parse_bit(&b))
        .or_else(|| {
            read_opt("/sys/devices/system/cpu/intel_pstate/no_turbo")
                .and_then(|b| parse_bit(&b))
                .map(|off| !off)
        })
}

/// The load average and the fewest other runnable tasks over a few readings.
fn load(readings: usize) -> (Option<f64>, Option<usize>) {
    let mut load_average = None;
    let mut fewest: Option<usize> = None;
    for i in 0..readings {
        if i > 0 {
            std::thread::sleep(LOAD_READING_GAP);
        }
        let Some((load, others)) = fs::read_to_string("/proc/loadavg")
            .ok()
            .and_then(|t| parse_loadavg(&t))
        else {
            break;
        };
        load_average.get_or_insert(load);
        fewest = Some(fewest.map_or(others, |f| f.min(others)));
    }
    (load_average, fewest)
}

/// The C library's name and version.
fn libc_version() -> Option<String> {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: gnu_get_libc_version takes no arguments and returns a static string.
        let v = unsafe { std::ffi::CStr::from_ptr(libc::gnu_get_libc_version()) };
        Some(format!("glibc {}", v.to_string_lossy()))
    }
    #[cfg(all(target_os = "linux", target_env = "musl"))]
    {
        Some("musl".to_string())
    }
    #[cfg(not(all(target_os = "linux", any(target_env = "gnu", target_env = "musl"))))]
    {
        None
    }
}

/// 5 rounds of 100,000 spin-wait hints, each per hint, ns: the least is the hint's cost (a
/// busy machine only adds to it).
fn pause_rounds() -> Vec<f64> {
    const HINTS: u32 = 100_000;
    (0..5)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..HINTS {
                std::hint::spin_loop();
            }
            t.elapsed().as_nanos() as f64 / f64::from(HINTS)
        })
        .collect()
}

/// Reads the environment of this process.
pub fn capture(topology: &Topology, calibration: Option<WorkCalibration>) -> Environment {
    capture_as(topology, calibration, true)
}

/// The environment without the clock's, the pause hint's and the machine's costs'
/// measurements (they read as 0, or none):
/// what a program's profile carries, written at its exit, which should not wait tens of
/// milliseconds for them.
pub fn capture_facts(topology: &Topology) -> Environment {
    capture_as(topology, None, false)
}

fn capture_as(
    topology: &Topology,
    calibration: Option<WorkCalibration>,
    measure: bool,
) -> Environment {
    // First, before the clock's measurement keeps this thread busy for a while.
    // A profile's capture takes one reading (no sleeps between readings at a program's exit).
    let (load_average, other_runnable) = load(if measure { LOAD_READINGS } else { 1 });
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu_model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_else(|| "unknown".to_string());
    let virtualized = cpuinfo_flag(&cpuinfo, "hypervisor");
    let hypervisor = if virtualized == Some(true) {
        read_opt("/sys/hypervisor/type").or_else(|| read_opt("/sys/class/dmi/id/sys_vendor"))
    } else {
        None
    };
    let topology_counts = machine_topology();
    let clock = if measure {
        ClockInfo::measure(&Clock::new())
    } else {
        ClockInfo::source_only()
    };
    let pause = if measure { pause_rounds() } else { Vec::new() };
    let pause_ns = pause.iter().copied().reduce(f64::min).unwrap_or(0.0);
    let costs =
        measure.then(|| costs::measure(topology, &Clock::new(), &pause, clock.source == "tsc"));
    let read = |path: &str| {
        fs::read_to_string(path)
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|_| "unknown".into())
    };
    Environment {
        hostname: read("/proc/sys/kernel/hostname"),
        cpu_model,
        // SAFETY: sysconf only reads a system constant.
        logical_cpus: usize::try_from(unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) })
            .unwrap_or(0),
        allowed_cpus: topology.cpus.iter().map(|c| c.id).collect(),
        kernel: read("/proc/sys/kernel/osrelease"),
        os: format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
        rustc: env!("LOCKBENCH_RUSTC_VERSION").to_string(),
        lockbench_version: env!("CARGO_PKG_VERSION").to_string(),
        optimized_build: !cfg!(debug_assertions),
        clock,
        pause_ns,
        costs,
        work_calibration: calibration,
        physical_cores: topology_counts.map(|t| t.0),
        threads_per_core: topology_counts.map(|t| t.1),
        sockets: topology_counts.map(|t| t.2),
        numa_nodes: read_opt("/sys/devices/system/node/online")
            .and_then(|l| parse_cpu_list(&l))
            .map(|nodes| nodes.len())
            .filter(|&n| n > 0),
        virtualized,
        hypervisor,
        governor: read_opt("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor"),
        turbo: turbo(),
        load_average,
        other_runnable,
        lock_crates: parse_crate_list(env!("LOCKBENCH_LOCK_CRATES")),
        libc: libc_version(),
    }
}

#[cfg(test)]
mod cargo_lock;
mod costs;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loadavg_gives_the_minute_and_the_others_running() {
        assert_eq!(
            parse_loadavg("0.52 0.58 0.59 3/1234 5678\n"),
            Some((0.52, 2))
        );
        assert_eq!(parse_loadavg("1.00 0.50 0.25 1/99 1"), Some((1.0, 0)));
        // A reader that is not counted (it should be) still gives no negative count.
        assert_eq!(parse_loadavg("0.00 0.00 0.00 0/99 1"), Some((0.0, 0)));
        assert_eq!(parse_loadavg(""), None);
        assert_eq!(parse_loadavg("0.52 0.58 0.59"), None);
        assert_eq!(parse_loadavg("x 0.58 0.59 3/1234 5678"), None);
    }

    #[test]
    fn cpuinfo_flags_say_whether_a_hypervisor_is_there() {
        let vm =
            "processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu vme sse2 hypervisor lahf_lm\n";
        let metal = "processor\t: 0\nflags\t\t: fpu vme sse2 lahf_lm\nvmx flags\t: ept\n";
        let arm = "processor\t: 0\nFeatures\t: fp asimd evtstrm\n";
        assert_eq!(cpuinfo_flag(vm, "hypervisor"), Some(true));
        assert_eq!(cpuinfo_flag(metal, "hypervisor"), Some(false));
        assert_eq!(cpuinfo_flag(arm, "hypervisor"), None);
        assert_eq!(cpuinfo_flag("", "hypervisor"), None);
    }

    #[test]
    fn cpu_lists_expand() {
        assert_eq!(
            parse_cpu_list("0-3,8,10-11\n"),
            Some(vec![0, 1, 2, 3, 8, 10, 11])
        );
        assert_eq!(parse_cpu_list("0"), Some(vec![0]));
        assert_eq!(parse_cpu_list(""), Some(vec![]));
        assert_eq!(parse_cpu_list("0-x"), None);
        assert_eq!(parse_cpu_list("3-1"), None);
        assert_eq!(parse_cpu_list("0-18446744073709551615"), None);
    }

    #[test]
    fn topology_counts_cores_threads_and_sockets() {
        // Two sockets of two cores, two threads each; core ids repeat across sockets.
        let smt = [
            (0, 0),
            (0, 1),
            (1, 0),
            (1, 1),
            (0, 0),
            (0, 1),
            (1, 0),
            (1, 1),
        ];
        assert_eq!(count_topology(&smt), Some((4, 2, 2)));
        // One socket, no SMT, core ids with gaps.
        assert_eq!(count_topology(&[(0, 0), (0, 4), (0, 9)]), Some((3, 1, 1)));
        // Hybrid: two threads on the big core, one on each small one.
        assert_eq!(
            count_topology(&[(0, 0), (0, 0), (0, 8), (0, 9)]),
            Some((3, 2, 1))
        );
        assert_eq!(count_topology(&[]), None);
    }

    #[test]
    fn sysfs_bits() {
        assert_eq!(parse_bit("1\n"), Some(true));
        assert_eq!(parse_bit("0"), Some(false));
        assert_eq!(parse_bit("on"), None);
    }

    #[test]
    fn crate_list_from_the_build() {
        let v = parse_crate_list("parking_lot 0.13.0, parking_lot_core 0.10.0, lock_api 0.5.0");
        let pairs: Vec<(&str, &str)> = v
            .iter()
            .map(|c| (c.name.as_str(), c.version.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("parking_lot", "0.13.0"),
                ("parking_lot_core", "0.10.0"),
                ("lock_api", "0.5.0")
            ]
        );
        assert!(parse_crate_list("").is_empty());
        // What this build embedded: parking_lot is a dependency, so Cargo.lock names it.
        assert!(
            parse_crate_list(env!("LOCKBENCH_LOCK_CRATES"))
                .iter()
                .any(|c| c.name == "parking_lot")
        );
    }

    #[test]
    fn capture_reads_what_this_machine_has_without_panicking() {
        let e = capture(&Topology::detect(), None);
        // Counted over the online CPUs, as logical_cpus is.
        for n in [e.physical_cores, e.threads_per_core, e.sockets]
            .into_iter()
            .flatten()
        {
            assert!(n >= 1 && n <= e.logical_cpus, "{n} of {}", e.logical_cpus);
        }
        assert!(!e.lock_crates.is_empty());
    }
}
