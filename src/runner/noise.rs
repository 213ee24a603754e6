//! Hostile scheduling (`--noise N`): N CPU hogs, busy threads pinned to the workers' CPUs in
//! turn, that run from just before the workers start to just after they stop. A lock holder
//! then loses its CPU to a hog as it does to another process on a busy server, and a waiter
//! that spins behind it spins through its whole time slice. Bounded: every hog stops when the
//! run ends (the guard's drop, on every path out of the run) and in any case at its own
//! deadline, the run's time limit with a grace.

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::RunError;
use super::affinity::pin_current;

/// Work-loop iterations between two looks at the stop flag and the clock (a microsecond or so).
const ITERATIONS_PER_LOOK: u64 = 2048;

/// The hogs of one run; dropping it stops and joins them.
pub(crate) struct Hogs {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Hogs {
    /// Starts `n` hogs on the CPUs of `placement` in turn (each distinct CPU once per round;
    /// unpinned where the placement pins nothing), each stopping by itself after `limit`.
    pub(crate) fn start(
        n: u64,
        placement: &[Option<usize>],
        limit: Duration,
    ) -> Result<Hogs, RunError> {
        let mut cpus: Vec<Option<usize>> = Vec::new();
        for cpu in placement {
            if !cpus.contains(cpu) {
                cpus.push(*cpu);
            }
        }
        if cpus.is_empty() {
            cpus.push(None);
        }
        let mut hogs = Hogs {
            stop: Arc::new(AtomicBool::new(false)),
            threads: Vec::new(),
        };
        for i in 0..n as usize {
            let (stop, cpu) = (Arc::clone(&hogs.stop), cpus[i % cpus.len()]);
            let spawned = std::thread::Builder::new()
                .name(format!("lockbench-noise-{i}"))
                .spawn(move || hog(cpu, &stop, limit));
            match spawned {
                Ok(t) => hogs.threads.push(t),
                // Dropping `hogs` stops the ones already started.
                Err(source) => {
                    return Err(RunError::Setup {
                        what: "could not start a CPU hog (--noise)",
                        source,
                    });
                }
            }
        }
        Ok(hogs)
    }
}

impl Drop for Hogs {
    fn drop(&mut self) {
        // Relaxed: a flag to stop; the join orders the rest.
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// One hog: pinned to `cpu` (if any), busy until `stop` or `limit`. It shares no memory with
/// the workers but the flag, so it costs them only their CPU time.
fn hog(cpu: Option<usize>, stop: &AtomicBool, limit: Duration) {
    if let Some(cpu) = cpu {
        pin_current(cpu);
    }
    let end = Instant::now() + limit;
    let mut acc = 0u64;
    // Relaxed: as in `drop`.
    while !stop.load(Ordering::Relaxed) && Instant::now() < end {
        for i in 0..ITERATIONS_PER_LOOK {
            acc = black_box(acc.wrapping_add(i));
        }
    }
    black_box(acc);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hogs_run_on_the_workers_cpus_and_stop_when_dropped() {
        let before = Instant::now();
        let hogs = Hogs::start(3, &[Some(0), Some(0)], Duration::from_secs(30)).unwrap();
        assert_eq!(hogs.threads.len(), 3);
        std::thread::sleep(Duration::from_millis(20));
        assert!(hogs.threads.iter().all(|t| !t.is_finished()), "they run");
        drop(hogs);
        assert!(before.elapsed() < Duration::from_secs(5), "stopped at once");
        // And by themselves, at their deadline.
        let hogs = Hogs::start(1, &[None], Duration::from_millis(50)).unwrap();
        std::thread::sleep(Duration::from_millis(300));
        assert!(hogs.threads.iter().all(JoinHandle::is_finished));
    }
}
