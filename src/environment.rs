//! The environment a command runs in: the machine, the build and the clock, read once per
//! command (measuring the clock takes a million readings).

use std::fs;
use std::time::Instant;

use crate::measure::clock::{Clock, ClockInfo};
use crate::model::{Environment, WorkCalibration};
use crate::runner::affinity::Topology;

/// The median of 5 rounds of 100,000 spin-wait hints, per hint.
fn pause_ns() -> f64 {
    const HINTS: u32 = 100_000;
    let mut rounds: Vec<f64> = (0..5)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..HINTS {
                std::hint::spin_loop();
            }
            t.elapsed().as_nanos() as f64 / f64::from(HINTS)
        })
        .collect();
    rounds.sort_by(f64::total_cmp);
    rounds[rounds.len() / 2]
}

/// Reads the environment of this process.
pub fn capture(topology: &Topology, calibration: Option<WorkCalibration>) -> Environment {
    let cpu_model = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".to_string());
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
        clock: ClockInfo::measure(&Clock::new()),
        pause_ns: pause_ns(),
        work_calibration: calibration,
    }
}
