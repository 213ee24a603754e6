//! What the probe's interface has in both modes: the variables it reads, its error, and the
//! trait a program's own lock implements to be one of the backends.

/// Names the backend every probe lock is (a `lockbench list` name a guard can hold, or one a
/// program [`install`](crate::install)ed).
pub const BACKEND_VAR: &str = "LOCKBENCH_BACKEND";
/// Names the file the profile is written to; unset, nothing is recorded or written.
pub const PROFILE_VAR: &str = "LOCKBENCH_PROFILE";
/// `off`: write the profile's frame (backend, run length) but record nothing per acquisition,
/// to run the program under a backend at the probe's smallest cost.
pub const RECORD_VAR: &str = "LOCKBENCH_RECORD";

/// Why the probe cannot do what was asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeError(pub(crate) String);

impl std::fmt::Display for ProbeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ProbeError {}

/// A lock of the program's own, as a backend of the probe: state only, locked and unlocked
/// through a shared reference, as `lock_api::RawMutex` is.
///
/// # Safety
/// An implementation must guarantee mutual exclusion: between a `lock` (or a `try_lock` that
/// returned `true`) and the matching `unlock`, no other caller's exclusive `lock` returns or
/// `try_lock` succeeds, nor any shared one; shared holders may overlap each other only where
/// [`DynLock::shares`] says so. Everything a holder wrote before `unlock` must happen-before
/// what the next holder does after acquiring.
pub unsafe trait DynLock: Send + Sync + 'static {
    /// Waits until the lock can be taken (shared, as a reader, when `shared`) and takes it.
    fn lock(&self, shared: bool);
    /// Takes the lock if it can be taken now; never waits.
    fn try_lock(&self, shared: bool) -> bool;
    /// Releases it.
    ///
    /// # Safety
    /// The calling thread holds it, taken with the same `shared`.
    unsafe fn unlock(&self, shared: bool);
    /// Whether readers share it (`false`: a shared acquisition is exclusive).
    fn shares(&self) -> bool {
        false
    }
}
