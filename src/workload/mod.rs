//! What a worker does per operation.
//!
//! The counter workload: each operation adds one to a shared counter inside the backend's
//! critical section, as a plain read then a write (the seeds' `current = counter; ...;
//! counter = current + 1`), with optional work inside the section (`--cs-work`, done between the
//! read and the write, as the seeds' `sleep` is) and between sections (`--think`).

pub mod work;

pub use work::{Work, WorkCalibration};
