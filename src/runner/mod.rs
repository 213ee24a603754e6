//! Runs a validated configuration on pinned threads and turns what the workers recorded into a
//! [`crate::results::RunResult`].

pub mod affinity;
pub mod region;
pub mod sweep;
pub mod threads;

use thiserror::Error;

pub use threads::{Progress, run};

/// A run that could not produce a result at all (as opposed to a result that failed its check).
#[derive(Debug, Error)]
pub enum RunError {
    /// The OS refused a thread.
    #[error("could not start worker thread {index}: {source}")]
    Spawn {
        index: usize,
        source: std::io::Error,
    },
    /// A worker panicked; its counts are lost, so nothing can be verified.
    #[error("worker thread {index} panicked: {message}")]
    WorkerPanicked { index: usize, message: String },
    /// Workers went on past the time limit and its grace period (a lock that never hands over).
    #[error(
        "{stuck} of {threads} worker threads did not stop within {grace_s} s after the time limit \
         (a lock that never hands over?); the run is abandoned and nothing was verified"
    )]
    DidNotStop {
        stuck: usize,
        threads: usize,
        grace_s: u64,
    },
}
