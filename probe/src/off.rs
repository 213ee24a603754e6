//! The probe off: every type is the lock crate's own, and the probe's functions do nothing.

pub use parking_lot::*;

use crate::{DynLock, ProbeError};

/// A mutex named `name` in the profile (off: `parking_lot::Mutex::new(value)`).
pub const fn named_mutex<T>(name: &'static str, value: T) -> Mutex<T> {
    let _ = name;
    Mutex::new(value)
}

/// A reader-writer lock named `name` in the profile (off: `parking_lot::RwLock::new(value)`).
pub const fn named_rwlock<T>(name: &'static str, value: T) -> RwLock<T> {
    let _ = name;
    RwLock::new(value)
}

/// Checks what the environment asks for and starts the probe (off: nothing to check).
pub fn init() -> Result<(), ProbeError> {
    Ok(())
}

/// Makes `make`'s lock a backend named `name` (off: there is no backend to choose).
pub fn install(
    name: &'static str,
    summary: &'static str,
    make: fn() -> Box<dyn DynLock>,
) -> Result<(), ProbeError> {
    let _ = (name, summary, make);
    Ok(())
}

/// Switches recording on or off (off: nothing is recorded).
pub fn set_recording(on: bool) {
    let _ = on;
}

/// Writes the profile now (off: there is none).
pub fn write_profile() -> Result<std::path::PathBuf, ProbeError> {
    Err(ProbeError(
        "the probe is off: build with the feature lockbench-probe/enabled".into(),
    ))
}
