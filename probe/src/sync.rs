//! `std::sync`, with the probe's [`Mutex`], [`RwLock`] and [`Condvar`] in place of std's (off:
//! std's own), and everything else of `std::sync` as it is: porting is changing
//! `use std::sync::{Arc, Mutex}` to `use lockbench_probe::sync::{Arc, Mutex}`.

pub use std::sync::*;

#[cfg(feature = "enabled")]
pub use crate::on::std_condvar::{Condvar, WaitTimeoutResult};
#[cfg(feature = "enabled")]
pub use crate::on::std_surface::{
    Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard, named_mutex, named_rwlock,
};

/// A mutex named `name` in the profile (off: `std::sync::Mutex::new(value)`).
#[cfg(not(feature = "enabled"))]
pub const fn named_mutex<T>(name: &'static str, value: T) -> Mutex<T> {
    let _ = name;
    Mutex::new(value)
}

/// A reader-writer lock named `name` in the profile (off: `std::sync::RwLock::new(value)`).
#[cfg(not(feature = "enabled"))]
pub const fn named_rwlock<T>(name: &'static str, value: T) -> RwLock<T> {
    let _ = name;
    RwLock::new(value)
}
