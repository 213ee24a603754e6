//! The probe on: the lock types over lockbench's backends, what they record, and the profile.

mod backend;
mod boxed;
mod condvar;
mod core;
mod exit;
mod facts;
mod hist;
mod raw;
mod record;
mod sites;
pub(crate) mod std_condvar;
pub(crate) mod std_surface;
mod std_word;
mod store;
pub(crate) mod surface;
mod word;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

pub use exit::write_profile;

use self::backend::{Kind, Named};
use crate::{DynLock, ProbeError};

/// Whether acquisitions are recorded now.
static RECORDING: AtomicBool = AtomicBool::new(false);

/// Whether acquisitions are recorded now.
#[inline(always)]
pub(crate) fn recording() -> bool {
    // Relaxed: a switch; an acquisition that sees it late is recorded (or not) once.
    RECORDING.load(Ordering::Relaxed)
}

/// Switches recording on or off for the acquisitions that follow (a program that wants only a
/// stretch of its run measured). `LOCKBENCH_RECORD` only sets where it starts; without
/// `LOCKBENCH_PROFILE` nothing is recorded.
pub fn set_recording(on: bool) {
    begin();
    if backend::asked().is_ok_and(|a| a.profile.is_some()) {
        // Relaxed: as in `recording`.
        RECORDING.store(on, Ordering::Relaxed);
    }
}

/// Checks what the environment asks for (the backend, the profile's path) and starts the probe:
/// a program that calls this first gets a bad `LOCKBENCH_BACKEND` as an error to report its
/// own way, instead of the probe's one line and exit status 2 at the first lock.
pub fn init() -> Result<(), ProbeError> {
    backend::chosen()?;
    begin();
    Ok(())
}

/// Makes a lock of the program's own a backend, named `name`: with `LOCKBENCH_BACKEND=name`,
/// every probe lock is one `make` makes. Call it before the first probe lock is used.
///
/// ```
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use lockbench_probe::DynLock;
///
/// /// A test-and-set spinlock, standing in for yours.
/// #[derive(Default)]
/// struct MyLock(AtomicBool);
///
/// // SAFETY: one swap from false to true admits one holder; Acquire/Release order them.
/// unsafe impl DynLock for MyLock {
///     fn lock(&self, shared: bool) {
///         while !self.try_lock(shared) {
///             std::hint::spin_loop();
///         }
///     }
///     fn try_lock(&self, _shared: bool) -> bool {
///         !self.0.swap(true, Ordering::Acquire)
///     }
///     unsafe fn unlock(&self, _shared: bool) {
///         self.0.store(false, Ordering::Release);
///     }
/// }
///
/// lockbench_probe::install("my-lock", "my test-and-set lock", || Box::new(MyLock::default()))
///     .expect("installed before the first lock");
/// // From here, LOCKBENCH_BACKEND=my-lock makes every probe lock a MyLock.
/// let counter = lockbench_probe::Mutex::new(0);
/// *counter.lock() += 1;
/// assert_eq!(counter.into_inner(), 1);
/// ```
pub fn install(
    name: &'static str,
    summary: &'static str,
    make: fn() -> Box<dyn DynLock>,
) -> Result<(), ProbeError> {
    let shares = make().shares();
    backend::install(backend::Installed {
        name,
        summary,
        make,
        shares,
    })?;
    init()
}

/// The first backend a lock was made with.
static FRAME: OnceLock<Named> = OnceLock::new();

/// The backend a lock whose surface's own is `default` is, starting the probe at the first
/// call; the program ends with one line if the environment asks for what cannot be.
pub(crate) fn start(default: Kind) -> Named {
    let named = match backend::chosen() {
        Ok(Some(named)) => named.clone(),
        Ok(None) => backend::of_default(default),
        Err(why) => backend::fail(&why),
    };
    begin();
    FRAME.get_or_init(|| named.clone());
    named
}

/// The name of the backend the profile reports.
pub(crate) fn backend_name() -> String {
    FRAME
        .get()
        .map_or_else(|| "std".to_string(), |n| n.name.clone())
}

/// When the probe started.
static STARTED: OnceLock<std::time::Instant> = OnceLock::new();

/// Starts the probe, once: the clock, recording if a profile is asked for, and the writes.
fn begin() {
    STARTED.get_or_init(|| {
        if let Ok(asked) = backend::asked()
            && asked.profile.is_some()
        {
            // Relaxed: as in `recording`.
            RECORDING.store(asked.record, Ordering::Relaxed);
            exit::arrange();
        }
        std::time::Instant::now()
    });
}
