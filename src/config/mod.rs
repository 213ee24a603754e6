//! From what the user typed to validated configurations: every bad input is rejected here, with
//! the reason, before any worker starts.
//!
//! - [`parse`]: the value parsers of the command line's options;
//! - [`run`]: one run's request and its validation;
//! - [`workload`]: the workload's options and its checks of the run around it;
//! - [`sweep`]: the matrix of a sweep.

pub mod parse;
pub mod run;
pub mod sweep;
pub mod workload;

pub use parse::{BackendList, ThreadList, WorkloadChoice};
pub use run::{RunRequest, validate};
