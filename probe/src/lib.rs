//! Your program's locks, measured where they live.
//!
//! `lockbench_probe`'s lock types have `parking_lot`'s surface ([`Mutex`], [`RwLock`],
//! [`Condvar`], [`FairMutex`], [`ReentrantMutex`], [`Once`], their guards) and, in [`sync`],
//! `std::sync`'s ([`sync::Mutex`], [`sync::RwLock`], [`sync::Condvar`], poisoning included).
//! Porting a program is changing its `use` lines; it then compiles both ways:
//!
//! - **Off** (the default), every type *is* the lock crate's own: `lockbench_probe::Mutex` is
//!   `parking_lot::Mutex`, `lockbench_probe::sync::Mutex` is `std::sync::Mutex`. Re-exports,
//!   no cost, and only `parking_lot`'s crates are compiled. A program can carry the port for
//!   good.
//! - **On** (the feature `enabled`), the same API over lockbench's lock: the backend is chosen
//!   when the program starts (`LOCKBENCH_BACKEND`, any lock a guard can hold: `lockbench list`),
//!   and with `LOCKBENCH_PROFILE=PATH` set the probe records each lock's acquisitions, waits,
//!   sampled holds, hand-offs and condition-variable sleeps, and writes a profile that
//!   `lockbench profile`, `replay` and `ab` read.
//!
//! ```toml
//! [dependencies]
//! lockbench-probe = "0.1"
//!
//! [features]
//! # cargo run --release --features lock-probe
//! lock-probe = ["lockbench-probe/enabled"]
//! ```
//!
//! ```
//! use lockbench_probe::{Condvar, Mutex};
//!
//! let queue = Mutex::new(vec![1, 2, 3]);
//! let ready = Condvar::new();
//! queue.lock().push(4);
//! ready.notify_one();
//! assert_eq!(queue.lock().len(), 4);
//! ```
//!
//! A lock is named in the profile by the place in the source that made it, or by the name a
//! program gives it ([`named_mutex`], [`named_rwlock`]): every object of one name is one lock
//! there, and the profile counts the objects.

#![warn(missing_docs)]

#[cfg(feature = "format")]
pub mod format;

mod api;
pub use api::*;

#[cfg(not(feature = "enabled"))]
mod off;
#[cfg(not(feature = "enabled"))]
pub use off::*;

#[cfg(feature = "enabled")]
mod on;
#[cfg(feature = "enabled")]
pub use on::surface::*;
#[cfg(feature = "enabled")]
pub use on::{init, install, set_recording, write_profile};

pub mod sync;
