//! A program's own locks, as the probe (`crate::probe`) measured them where they live: one
//! profile per run of the program, versioned like the other results files.

use serde::{Deserialize, Serialize};

use super::{BackendFacts, Environment};

/// What a profile file says it is.
pub const PROFILE_FORMAT: &str = "lockbench-profile";
/// The version of the profile format this build writes and reads; bumped on any change an
/// older reader would misread.
pub const PROFILE_VERSION: u32 = 1;

/// One run of a program under the probe.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Profile {
    /// Always [`PROFILE_FORMAT`].
    pub format: String,
    /// [`PROFILE_VERSION`] when written.
    pub version: u32,
    /// The lockbench that wrote it.
    pub lockbench_version: String,
    /// The program and its arguments.
    pub program: Vec<String>,
    /// The lock every probe lock of the program was (`LOCKBENCH_BACKEND`, or the surface's
    /// default).
    pub backend: BackendFacts,
    /// Whether the backend lets readers share (for the program's reader-writer locks).
    pub readers_share: bool,
    /// Whether the probe recorded (`false`: the program ran with recording switched off, and
    /// only the backend and the run's length are known).
    pub recorded: bool,
    /// How the program ended when this was written.
    pub ended: Ended,
    /// From the probe's start (the program's first lock) to this write, in nanoseconds.
    pub wall_ns: u64,
    /// Threads that took a probe lock.
    pub threads: usize,
    /// Acquisitions that could not be recorded (taken while their thread was being torn down).
    pub unrecorded: u64,
    /// Every lock, hottest first (most time spent waiting for it).
    pub locks: Vec<LockProfile>,
    /// Where it ran.
    pub environment: Environment,
}

/// How the program was ending when its profile was written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "how")]
pub enum Ended {
    /// It exited (returned from `main`, or called `exit`).
    Exit,
    /// A thread panicked (the first panic is named; the program may have gone on, and the
    /// profile is of its whole run when it was written at exit).
    Panic {
        /// The panic's message and place.
        message: String,
    },
    /// A signal ended it (SIGINT, SIGTERM, SIGHUP).
    Signal {
        /// The signal's name.
        signal: String,
    },
    /// It asked for a profile while running (`probe::write_profile`, or SIGUSR1).
    OnDemand,
}

/// One lock of the program: every lock made with the same name (or, unnamed, at the same place
/// in the source), over every thread.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LockProfile {
    /// The name given at creation, or the place that made it (`file:line:column`).
    pub name: String,
    /// Whether `name` was given (else it is the creating call site).
    pub named: bool,
    /// `mutex` or `rwlock`.
    pub kind: LockKind,
    /// The backend it was.
    pub backend: String,
    /// How many lock objects share the name.
    pub instances: u64,
    /// Threads that took it.
    pub threads: usize,
    /// Each of those threads' acquisitions of it, most first.
    #[serde(default)]
    pub thread_acquisitions: Vec<u64>,
    /// Acquisitions (exclusive and shared together, `try_lock`s that got it included).
    pub acquisitions: u64,
    /// Of those, shared (as a reader).
    pub shared_acquisitions: u64,
    /// Acquisitions that found it taken and waited.
    pub contended: u64,
    /// `try_lock`s refused (they did not wait and are not acquisitions).
    pub refused_tries: u64,
    /// Acquisitions by a thread other than the one that held it last.
    pub handoffs: u64,
    /// Waiters left waiting when it was taken, on average over acquisitions.
    pub waiters_mean: f64,
    /// The most waiters seen at once.
    pub waiters_max: u64,
    /// Time waited per acquisition (0 for one that found it free).
    pub wait: Distribution,
    /// Time held per acquisition.
    pub hold: Distribution,
    /// Per thread, from a release of it to that thread's next acquire of it.
    pub gap: Distribution,
    /// From its first acquisition to its last, in nanoseconds.
    pub active_ns: u64,
}

/// What kind of lock the program made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LockKind {
    /// A mutex.
    Mutex,
    /// A reader-writer lock.
    Rwlock,
}

/// A distribution of times, with its histogram.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Distribution {
    /// Values recorded.
    pub samples: u64,
    /// Their sum, in nanoseconds.
    pub total_ns: u64,
    /// Mean, in nanoseconds.
    pub mean_ns: f64,
    /// Median, in nanoseconds.
    pub p50_ns: u64,
    /// 99th percentile, in nanoseconds.
    pub p99_ns: u64,
    /// The largest, in nanoseconds.
    pub max_ns: u64,
    /// The histogram (HdrHistogram V2 + deflate, base64).
    pub histogram: String,
}

impl LockProfile {
    /// The share of acquisitions that waited.
    pub fn contention(&self) -> f64 {
        self.contended as f64 / self.acquisitions.max(1) as f64
    }

    /// The share of acquisitions that came from another thread than the last holder's.
    pub fn handoff_rate(&self) -> f64 {
        self.handoffs as f64 / self.acquisitions.max(1) as f64
    }
}

/// Why a profile file cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// Not JSON, cut short, or not shaped as a profile.
    #[error("is not a lockbench profile ({0})")]
    Malformed(String),
    /// A profile of a format this build does not read.
    #[error(
        "is a profile of version {found}, newer than this lockbench reads ({PROFILE_VERSION}): use a newer lockbench"
    )]
    Newer {
        /// The version the file says.
        found: u32,
    },
}

impl Profile {
    /// Reads a profile from its JSON text, checking its format and version.
    pub fn from_json(text: &str) -> Result<Profile, ProfileError> {
        #[derive(Deserialize)]
        struct Head {
            format: Option<String>,
            version: Option<u32>,
        }
        let head: Head = serde_json::from_str(text).map_err(|e| {
            ProfileError::Malformed(if e.is_eof() {
                "the file ends early: truncated?".to_string()
            } else {
                e.to_string()
            })
        })?;
        if head.format.as_deref() != Some(PROFILE_FORMAT) {
            return Err(ProfileError::Malformed(format!(
                "its \"format\" is not \"{PROFILE_FORMAT}\""
            )));
        }
        match head.version {
            Some(v) if v > PROFILE_VERSION => return Err(ProfileError::Newer { found: v }),
            Some(_) => {}
            None => return Err(ProfileError::Malformed("it has no \"version\"".to_string())),
        }
        serde_json::from_str(text).map_err(|e| ProfileError::Malformed(e.to_string()))
    }
}

/// The regime that replays a profile's hottest locks on lockbench's own workload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplayPlan {
    /// The locks replayed (hottest first).
    pub locks_replayed: Vec<String>,
    /// Threads: those that took a real share (at least 1%) of the replayed locks.
    pub threads: usize,
    /// Uniformly used locks with the same chance that two acquisitions meet on one lock as the
    /// program's uneven use: 1 / sum of squared acquisition shares, rounded.
    pub locks: u64,
    /// Each replayed lock's share of their acquisitions.
    pub shares: Vec<f64>,
    /// The critical section: the replayed locks' mean hold, in nanoseconds.
    pub hold_ns: u64,
    /// The work between critical sections, in nanoseconds: from the most used lock's mean gap
    /// (a thread's release to its next acquire of it), the acquisitions that fall in it taken
    /// out (see `analysis::replay`).
    pub think_ns: u64,
}
