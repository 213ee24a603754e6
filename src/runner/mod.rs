//! Runs a validated configuration on pinned threads and turns what the workers recorded into a
//! [`crate::results::RunResult`].

pub mod affinity;
pub mod processes;
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
    /// The shared mapping or a worker process could not be set up.
    #[error("{what}: {source}")]
    Setup {
        what: &'static str,
        source: std::io::Error,
    },
    /// A worker process exited or was killed before it could start.
    #[error("worker process {index} failed to start: {message}")]
    WorkerFailedToStart { index: usize, message: String },
    /// A worker process died during the run.
    #[error(
        "worker process {index} {how} during the run; the shared value cannot be verified (the \
         worker may have died inside its critical section){owner}; the other workers were stopped"
    )]
    WorkerDied {
        index: usize,
        how: String,
        owner: String,
    },
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
