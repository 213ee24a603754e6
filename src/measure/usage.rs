//! What a worker cost the machine, from the kernel: CPU time and context switches (voluntary:
//! it slept, in a futex wait or a yield that slept; involuntary: it was preempted), read by the
//! worker itself, thread or process. The CPU time is the thread's CPU clock
//! (`CLOCK_THREAD_CPUTIME_ID`, to the nanosecond); `getrusage(RUSAGE_THREAD)` gives the
//! switches and the split between user and system time, which the kernel keeps by the tick and
//! adjusts to stay monotonic, so that over a millisecond it can read 0 or twice the truth.

use serde::{Deserialize, Serialize};

/// The kernel's count of one thread's resource use, or the difference of two such readings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpuUsage {
    /// CPU time in user mode, ns (the kernel keeps it to the microsecond).
    pub user_ns: u64,
    /// CPU time in the kernel on the thread's behalf, ns.
    pub system_ns: u64,
    /// Times the thread gave up the CPU itself (it slept).
    pub voluntary_switches: u64,
    /// Times the scheduler took the CPU away (preemption).
    pub involuntary_switches: u64,
    /// CPU time from the thread's CPU clock, ns: the exact total that user and system split
    /// (0 in files written before it was read).
    #[serde(default)]
    pub clock_ns: u64,
}

impl CpuUsage {
    /// The calling thread's use so far (`None` where the kernel refuses, which Linux does not).
    pub fn of_this_thread() -> Option<CpuUsage> {
        let ru = rusage()?;
        let ns = |t: libc::timeval| t.tv_sec as u64 * 1_000_000_000 + t.tv_usec as u64 * 1_000;
        // SAFETY: an all-zero `timespec` is a valid value of this plain C struct.
        let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
        // SAFETY: clock_gettime writes into `ts`, which lives for the call; the thread CPU-time
        // clock is the calling thread's.
        if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) } != 0 {
            return None;
        }
        Some(CpuUsage {
            user_ns: ns(ru.ru_utime),
            system_ns: ns(ru.ru_stime),
            voluntary_switches: ru.ru_nvcsw as u64,
            involuntary_switches: ru.ru_nivcsw as u64,
            clock_ns: ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64,
        })
    }

    /// The calling thread's voluntary context switches so far, alone: one `getrusage`, no CPU
    /// clock (read per timed hand-off by `--wake-latency`).
    pub fn voluntary_switches_of_this_thread() -> Option<u64> {
        rusage().map(|ru| ru.ru_nvcsw as u64)
    }

    /// What was used from `earlier` to `self` (a later reading of the same thread).
    pub fn since(self, earlier: CpuUsage) -> CpuUsage {
        CpuUsage {
            user_ns: self.user_ns.saturating_sub(earlier.user_ns),
            system_ns: self.system_ns.saturating_sub(earlier.system_ns),
            voluntary_switches: self
                .voluntary_switches
                .saturating_sub(earlier.voluntary_switches),
            involuntary_switches: self
                .involuntary_switches
                .saturating_sub(earlier.involuntary_switches),
            clock_ns: self.clock_ns.saturating_sub(earlier.clock_ns),
        }
    }

    /// The sum of two uses (of different workers).
    pub fn plus(self, other: CpuUsage) -> CpuUsage {
        CpuUsage {
            user_ns: self.user_ns + other.user_ns,
            system_ns: self.system_ns + other.system_ns,
            voluntary_switches: self.voluntary_switches + other.voluntary_switches,
            involuntary_switches: self.involuntary_switches + other.involuntary_switches,
            clock_ns: self.clock_ns + other.clock_ns,
        }
    }

    /// CPU time, ns: the CPU clock's where it was read, else user plus system.
    pub fn cpu_ns(self) -> u64 {
        if self.clock_ns > 0 {
            self.clock_ns
        } else {
            self.user_ns + self.system_ns
        }
    }

    /// User and system time, ns: the CPU clock's total split as the kernel's ticks split it
    /// (all user where the ticks saw none).
    pub fn user_system_ns(self) -> (u64, u64) {
        let ticks = self.user_ns + self.system_ns;
        if self.clock_ns == 0 {
            return (self.user_ns, self.system_ns);
        }
        if ticks == 0 {
            return (self.clock_ns, 0);
        }
        let system = (self.clock_ns as f64 * self.system_ns as f64 / ticks as f64).round() as u64;
        (
            self.clock_ns - system.min(self.clock_ns),
            system.min(self.clock_ns),
        )
    }
}

/// The kernel's resource use of the calling thread.
fn rusage() -> Option<libc::rusage> {
    // SAFETY: an all-zero `rusage` is a valid value of this plain C struct.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into `ru`, which lives for the call; RUSAGE_THREAD asks for the
    // calling thread only (a worker process's worker is its main thread).
    if unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut ru) } != 0 {
        return None;
    }
    Some(ru)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_thread_uses_cpu_and_a_sleeping_one_switches() {
        let before = CpuUsage::of_this_thread().unwrap();
        let t = std::time::Instant::now();
        let mut x = 0u64;
        while t.elapsed() < std::time::Duration::from_millis(30) {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        for _ in 0..5 {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        let used = CpuUsage::of_this_thread().unwrap().since(before);
        // Spinning 30 ms is at least some ms of CPU (even on a busy machine), and each sleep
        // gave the CPU up.
        assert!(used.cpu_ns() >= 1_000_000, "{used:?}");
        assert!(used.voluntary_switches >= 5, "{used:?}");
        // The clock's total is at most the wall time it was read over, and splits whole.
        assert!(used.cpu_ns() <= t.elapsed().as_nanos() as u64, "{used:?}");
        let (user, system) = used.user_system_ns();
        assert_eq!(user + system, used.cpu_ns());
        assert_eq!(used.plus(used).cpu_ns(), 2 * used.cpu_ns());
    }
}
