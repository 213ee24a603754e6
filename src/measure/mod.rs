//! The clock, the per-thread recorders and the statistics computed from them.

pub mod clock;
pub mod futex;
pub mod recorder;
pub mod stats;
pub mod usage;
