//! A cheap clock for the hot loop: quanta reads the TSC where it is invariant (calibrated against
//! the OS clock once, at start-up) and falls back to the OS monotonic clock otherwise.

use std::time::Instant;

use serde::{Deserialize, Serialize};

/// A calibrated clock. Raw readings are only comparable with readings of the same clock.
#[derive(Clone)]
pub struct Clock {
    inner: quanta::Clock,
}

impl Default for Clock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock {
    /// Calibrates the clock (a few milliseconds on first use in the process).
    pub fn new() -> Self {
        Clock {
            inner: quanta::Clock::new(),
        }
    }

    /// A raw reading, in the clock's own ticks.
    #[inline(always)]
    pub fn raw(&self) -> u64 {
        self.inner.raw()
    }

    /// A reading that waits for every earlier instruction to complete first (`lfence`, then the
    /// read, on x86_64), so that a timestamp taken just after acquiring a lock includes the
    /// acquire's own cache-line transfer. Elsewhere, [`Clock::raw`] behind a compiler fence.
    #[inline(always)]
    pub fn raw_ordered(&self) -> u64 {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: lfence belongs to SSE2, which every x86_64 CPU has; it only orders execution.
        unsafe {
            std::arch::x86_64::_mm_lfence()
        };
        #[cfg(not(target_arch = "x86_64"))]
        std::sync::atomic::compiler_fence(std::sync::atomic::Ordering::SeqCst);
        self.inner.raw()
    }

    /// The clock ticks that make `duration` (at least one for a non-zero duration).
    pub fn ticks_for(&self, duration: std::time::Duration) -> u64 {
        const SPAN: u64 = 1 << 32;
        let ns_per_span = u128::from(self.inner.delta_as_nanos(0, SPAN).max(1));
        let ticks = duration.as_nanos() * u128::from(SPAN) / ns_per_span;
        u64::try_from(ticks)
            .unwrap_or(u64::MAX)
            .max(u64::from(!duration.is_zero()))
    }

    /// Nanoseconds from raw reading `start` to raw reading `end` (0 if `end` is earlier).
    #[inline]
    pub fn delta_ns(&self, start: u64, end: u64) -> u64 {
        if end <= start {
            0
        } else {
            self.inner.delta_as_nanos(start, end)
        }
    }
}

/// Which source the clock reads, and what one reading costs.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ClockInfo {
    /// `tsc` when the CPU reports an invariant TSC (what quanta then uses), else `os-monotonic`.
    pub source: String,
    /// Median cost of one raw reading, in nanoseconds.
    pub read_cost_ns: f64,
    /// The timer's floor: the median wait measured between two back-to-back ordered readings
    /// (what a timed acquisition that waited for nothing would show), in nanoseconds.
    #[serde(default)]
    pub ordered_floor_ns: f64,
}

/// Which source quanta reads.
fn source() -> String {
    if invariant_tsc() {
        "tsc"
    } else {
        "os-monotonic"
    }
    .to_string()
}

impl ClockInfo {
    /// The clock's source only, its costs not measured (0): for a program's profile, whose
    /// exit should not wait for a measurement of the clock.
    pub fn source_only() -> ClockInfo {
        ClockInfo {
            source: source(),
            read_cost_ns: 0.0,
            ordered_floor_ns: 0.0,
        }
    }

    /// Measures the clock: 5 rounds of 200,000 back-to-back readings, the median round counted.
    pub fn measure(clock: &Clock) -> ClockInfo {
        const READS: u32 = 200_000;
        let mut rounds: Vec<f64> = (0..5)
            .map(|_| {
                let t = Instant::now();
                let mut acc = 0u64;
                for _ in 0..READS {
                    acc = acc.wrapping_add(std::hint::black_box(clock.raw()));
                }
                std::hint::black_box(acc);
                t.elapsed().as_nanos() as f64 / f64::from(READS)
            })
            .collect();
        rounds.sort_by(f64::total_cmp);
        ClockInfo {
            source: source(),
            read_cost_ns: rounds[rounds.len() / 2],
            ordered_floor_ns: ordered_floor_ns(clock),
        }
    }
}

/// The median of 10,001 back-to-back pairs of ordered readings, as the hot loop converts them.
fn ordered_floor_ns(clock: &Clock) -> f64 {
    let mut deltas: Vec<u64> = (0..10_001)
        .map(|_| {
            let before = clock.raw_ordered();
            let after = clock.raw_ordered();
            clock.delta_ns(before, after)
        })
        .collect();
    deltas.sort_unstable();
    deltas[deltas.len() / 2] as f64
}

/// Whether the CPU says its TSC runs at a constant rate in every power state (CPUID
/// 0x8000_0007, EDX bit 8) and has RDTSCP: the conditions under which quanta reads the TSC.
fn invariant_tsc() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        // CPUID exists on every x86_64 CPU (safe to call since Rust 1.87); leaf 0x8000_0000
        // reports the highest extended leaf, checked before leaf 0x8000_0007 is read.
        // quanta also wants RDTSCP (leaf 0x8000_0001, EDX bit 27).
        let max = std::arch::x86_64::__cpuid(0x8000_0000).eax;
        max >= 0x8000_0007
            && std::arch::x86_64::__cpuid(0x8000_0007).edx & (1 << 8) != 0
            && std::arch::x86_64::__cpuid(0x8000_0001).edx & (1 << 27) != 0
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deltas_follow_the_os_clock() {
        let clock = Clock::new();
        let t = Instant::now();
        let a = clock.raw();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let b = clock.raw();
        let os_ns = t.elapsed().as_nanos() as u64;
        let ns = clock.delta_ns(a, b);
        // Generous bounds: this asserts the unit (ns, not ticks), not the precision.
        assert!(
            ns >= 15_000_000 && ns <= os_ns + 5_000_000,
            "{ns} ns vs os {os_ns} ns"
        );
        assert_eq!(clock.delta_ns(b, a), 0);
        // Ticks for a duration convert back to it.
        let ticks = clock.ticks_for(std::time::Duration::from_millis(10));
        let back = clock.delta_ns(1_000, 1_000 + ticks);
        assert!((9_900_000..=10_100_000).contains(&back), "{back} ns");
    }
}
