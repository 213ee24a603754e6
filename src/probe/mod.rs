//! Your program's locks, measured where they live. The probe's [`Mutex`] and [`RwLock`] (with
//! `parking_lot`'s surface) and [`sync::Mutex`] and [`sync::RwLock`] (with `std::sync`'s) take
//! the place of the program's own: changing the `use` lines is the whole port.
//!
//! - **Which lock** each of them is, is chosen when the program starts: the backend
//!   `LOCKBENCH_BACKEND` names (any `lockbench list` name a guard can hold, the user's own locks
//!   included: [`install`]), or, unset, the lock the surface stands for (`parking-lot`, `std`, or
//!   their reader-writer locks). A name that cannot be ends the program with one line on stderr
//!   and exit status 2, before it runs with some other lock.
//! - **What is recorded**, with `LOCKBENCH_PROFILE=PATH` set: per lock (the name given to
//!   [`Mutex::named`], or the place in the source that made it), acquisitions, those that waited,
//!   wait and hold times (HdrHistogram), hand-offs between threads, waiters seen, and each
//!   thread's gap from a release to its next acquire; each thread in its own record, merged when
//!   the profile is written. `LOCKBENCH_RECORD=off` keeps the frame (backend, run length) only.
//! - **The profile** (a versioned JSON file, [`crate::model::Profile`]) is written when the
//!   program exits, when a thread panics (replaced by the exit's), when SIGINT, SIGTERM or SIGHUP
//!   ends it (then the signal is let through), on SIGUSR1 and on [`write_profile`]. A program that
//!   dies otherwise (SIGKILL, abort) leaves the last one written, and stderr says so when a write
//!   fails.
//!
//! `lockbench profile PATH` shows it; `lockbench ab -- PROGRAM ARGS` runs the program once per
//! backend, repeatedly, and ranks them by its wall time.

mod choice;
mod core;
mod exit;
mod record;
mod surface;
pub mod sync;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

pub use choice::{BACKEND_VAR, PROFILE_VAR, RECORD_VAR};
pub use exit::write_profile;
pub use surface::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::registry::{self, Registry};

/// Whether acquisitions are recorded now.
static RECORDING: AtomicBool = AtomicBool::new(false);

/// Whether acquisitions are recorded now.
#[inline]
pub(crate) fn recording() -> bool {
    // Relaxed: a switch; an acquisition that sees it late is recorded (or not) once.
    RECORDING.load(Ordering::Relaxed)
}

/// Switches recording on or off for the acquisitions that follow (a program that wants only a
/// stretch of its run measured; the probe's own benchmark). `LOCKBENCH_RECORD` only sets where
/// it starts.
pub fn set_recording(on: bool) {
    begin();
    // Relaxed: as in `recording`.
    RECORDING.store(on, Ordering::Relaxed);
}

/// Ends the program with one line, for a choice that cannot be made (a lock's first use finds
/// it; [`init`] returns it instead).
pub(crate) fn fail(why: &str) -> ! {
    eprintln!("lockbench probe: {why}");
    std::process::exit(2)
}

/// Why the probe cannot start.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ProbeError(String);

/// Checks what the environment asks for (the backend, the profile's path) and starts the probe:
/// a program that calls this first gets a bad `LOCKBENCH_BACKEND` as an error to report its own
/// way, instead of the probe's one line and exit status 2 at the first lock.
pub fn init() -> Result<(), ProbeError> {
    let asked = choice::asked().map_err(|w| ProbeError(w.to_string()))?;
    if let Some(name) = &asked.backend {
        choice::resolve(name).map_err(ProbeError)?;
    }
    begin();
    Ok(())
}

/// Makes `registry` (the built-in backends and the program's own: [`crate::Lockbench`]'s
/// `raw_mutex`, `split_backend`) the ones `LOCKBENCH_BACKEND` chooses from, then [`init`]s.
/// Call it before the first probe lock is used.
///
/// ```
/// use lockbench::{Facts, Lockbench, Waiting, probe};
///
/// // The spin crate's lock stands in for yours: any `lock_api::RawMutex`.
/// type MyLock = spin::mutex::SpinMutex<()>;
///
/// fn main() -> Result<(), Box<dyn std::error::Error>> {
///     let mine = Lockbench::new().raw_mutex::<MyLock>(Facts {
///         name: "my-lock",
///         aliases: &[],
///         summary: "my lock",
///         fair: false,
///         waiting: Waiting::Spin,
///         not_across_processes: None,
///     });
///     probe::install(mine.into_registry()?)?;
///     // From here, LOCKBENCH_BACKEND=my-lock makes every probe lock yours.
///     let counter = probe::Mutex::new(0);
///     *counter.lock() += 1;
///     assert_eq!(counter.into_inner(), 1);
///     Ok(())
/// }
/// ```
pub fn install(registry: Registry) -> Result<(), ProbeError> {
    registry::install(registry).map_err(|_| {
        ProbeError(
            "the backends were chosen already: call probe::install before the first lock".into(),
        )
    })?;
    init()
}

/// The first backend a lock was made with, and whether readers share it.
static FRAME: OnceLock<(crate::model::BackendFacts, bool)> = OnceLock::new();
/// When the probe started.
static STARTED: OnceLock<std::time::Instant> = OnceLock::new();

/// The backend a lock with default `default` is, starting the probe at the first call.
pub(crate) fn start(default: &'static str) -> &'static choice::Chosen {
    let chosen = choice::chosen(default);
    begin();
    FRAME.get_or_init(|| (chosen.facts.clone(), chosen.shares));
    chosen
}

/// Starts the probe, once: the clock, recording if a profile is asked for, and the writes.
fn begin() {
    STARTED.get_or_init(|| {
        if let Ok(asked) = choice::asked()
            && asked.profile.is_some()
        {
            // Relaxed: as in `recording`.
            RECORDING.store(asked.record, Ordering::Relaxed);
            exit::arrange();
        }
        std::time::Instant::now()
    });
}

#[cfg(all(test, not(lockbench_loom)))]
mod tests {
    //! The surfaces, on each surface's default backend (the unit tests set no variable; what
    //! the variables choose is tested end to end, in `tests/probe.rs`).

    use super::*;

    #[test]
    fn a_probe_mutex_excludes_and_keeps_every_update() {
        let m = Mutex::new(0u64);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..20_000 {
                        *m.lock() += 1;
                    }
                });
            }
        });
        let held = m.lock();
        assert!(m.try_lock().is_none(), "held: try_lock is refused");
        drop(held);
        assert_eq!(*m.try_lock().expect("free"), 80_000);
    }

    #[test]
    fn readers_share_a_probe_rwlock_and_a_writer_waits_for_them() {
        let l = RwLock::named("shared", vec![1, 2, 3]);
        let a = l.read();
        let b = l.try_read().expect("a second reader shares the lock");
        assert!(l.try_write().is_none(), "no writer while readers are in");
        assert_eq!(a.len() + b.len(), 6);
        drop((a, b));
        l.write().push(4);
        assert_eq!(l.into_inner(), [1, 2, 3, 4]);
    }

    #[test]
    fn the_std_surface_poisons_as_std_does() {
        let m = sync::Mutex::new(1);
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _held = m.lock().unwrap();
            panic!("inside");
        }));
        assert!(caught.is_err());
        assert!(m.is_poisoned());
        let guard = m.lock().expect_err("poisoned").into_inner();
        assert_eq!(*guard, 1, "the value is still there");
        drop(guard);
        m.clear_poison();
        assert!(m.lock().is_ok());
        assert!(matches!(m.try_lock().map(|_| ()), Ok(())));
        let held = m.lock().unwrap();
        assert!(matches!(
            m.try_lock(),
            Err(std::sync::TryLockError::WouldBlock)
        ));
        drop(held);
        let rw = sync::RwLock::new(5);
        assert_eq!(*rw.read().unwrap() + *rw.try_read().unwrap(), 10);
        *rw.write().unwrap() = 6;
        assert_eq!(*rw.read().unwrap(), 6);
    }
}
