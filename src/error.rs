//! The usage error: bad input on the command line or a bad file named on it. The CLI prints it
//! on one line and exits with status 2.

use std::path::Path;

use thiserror::Error;

/// A bad input, named and explained.
#[derive(Debug, Error, PartialEq)]
pub enum UsageError {
    /// No backend by that name.
    #[error("unknown backend '{name}' (valid: {valid})")]
    UnknownBackend { name: String, valid: String },
    /// A value that is out of range, malformed, or conflicts with another.
    #[error("invalid {what} '{value}': {reason}")]
    Invalid {
        what: &'static str,
        value: String,
        reason: String,
    },
    /// Fewer operations than workers.
    #[error(
        "--ops {ops} is smaller than --threads {threads}: every thread needs at least one operation"
    )]
    TooFewOps { ops: u64, threads: usize },
    /// A file or directory given on the command line is missing, unreadable, unwritable or not
    /// what it should be.
    #[error("{path} {problem}")]
    File { path: String, problem: String },
    /// A pinning list names a CPU this process may not use.
    #[error("--pin names CPU {cpu}, which {reason} (allowed: {allowed})")]
    CpuNotAllowed {
        cpu: usize,
        reason: &'static str,
        allowed: String,
    },
}

impl UsageError {
    /// `value` of option `what` is refused for `reason`.
    pub fn invalid(what: &'static str, value: impl ToString, reason: impl Into<String>) -> Self {
        UsageError::Invalid {
            what,
            value: value.to_string(),
            reason: reason.into(),
        }
    }

    /// Why the value was refused (the whole message for other errors).
    pub fn reason(&self) -> String {
        match self {
            UsageError::Invalid { reason, .. } => reason.clone(),
            other => other.to_string(),
        }
    }

    /// The file or directory at `path` has a `problem` (words that follow its name).
    pub fn file(path: &Path, problem: impl Into<String>) -> Self {
        UsageError::File {
            path: path.display().to_string(),
            problem: problem.into(),
        }
    }
}
