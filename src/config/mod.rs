//! From what the user typed to validated configurations: every bad input is rejected here, with
//! the reason, before any worker starts.
//!
//! - [`parse`]: the value parsers of the command line's options;
//! - [`run`]: one run's request and its validation;
//! - [`sweep`]: the matrix of a sweep.

pub mod parse;
pub mod run;
pub mod sweep;

pub use parse::{BackendList, ThreadList, WorkloadChoice};
pub use run::{RunRequest, validate};
