//! The profile's file format: what the probe writes when a program ends and lockbench reads
//! (`lockbench profile`, `replay`, `ab`). One JSON file per run of a program, versioned; a
//! reader takes every version up to its own.

use serde::{Deserialize, Serialize};

/// The backends a program's probe locks can be (`LOCKBENCH_BACKEND`), besides one the
/// program installed: the built-in ones a guard can hold.
pub const PROBE_BACKENDS: &[&str] = &[
    "parking-lot",
    "parking-lot-fair",
    "std",
    "spin",
    "spin-pure",
    "tas",
    "ticket",
    "ticket-spin",
    "futex",
    "futex-private",
    "pthread",
    "parking-lot-rwlock",
    "std-rwlock",
    "pthread-rwlock",
];

/// What a profile file says it is.
pub const PROFILE_FORMAT: &str = "lockbench-profile";
/// The version of the profile format this build writes and reads; bumped on any change an
/// older reader would misread.
pub const PROFILE_VERSION: u32 = 3;

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
    pub backend: ProfileBackend,
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
    /// Each condition variable the program waited on, most slept first.
    #[serde(default)]
    pub condvars: Vec<CondvarProfile>,
    /// One in how many acquisitions had its hold (and the gap after it) timed: 1 when every
    /// one was (profiles of version 1).
    #[serde(default = "every")]
    pub hold_sampling: u64,
    /// Where it ran.
    pub environment: ProgramEnvironment,
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
    /// Time held per acquisition: a sample of them (see [`Profile::hold_sampling`]).
    pub hold: Distribution,
    /// Of those, the holds of hand-offs (acquisitions after another thread's hold): the data
    /// the lock guards was last touched on another core (empty before version 3).
    #[serde(default)]
    pub hold_after_handoff: Distribution,
    /// Per thread, from a release of it to that thread's next acquire of it (sampled with the
    /// holds).
    pub gap: Distribution,
    /// Per thread, from a release of it to that thread's next acquire of any probe lock: the
    /// work a thread does between two acquisitions (sampled with the holds; empty before
    /// version 3).
    #[serde(default)]
    pub think: Distribution,
    /// Who took which object of it: the sampled acquisitions (those whose hold was timed) per
    /// thread and object, most first (empty before version 3).
    #[serde(default)]
    pub uses: Vec<LockUse>,
    /// From its first acquisition to its last, in nanoseconds.
    pub active_ns: u64,
}

/// One thread's sampled acquisitions of one object of a lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockUse {
    /// The thread: its number in this profile (0 for the first to take a probe lock among
    /// those still running when the profile was written, then those that had ended).
    pub thread: u32,
    /// The object: its number among the lock's objects, in the order they were first used.
    pub object: u32,
    /// Its sampled acquisitions.
    pub samples: u64,
    /// Of those, shared (as a reader).
    pub shared: u64,
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
    /// The histogram, as version 1 profiles wrote it (HdrHistogram V2 + deflate, base64);
    /// empty in later ones, which write [`buckets`](Self::buckets).
    #[serde(default)]
    pub histogram: String,
    /// The histogram as (bucket's lowest value in ns, count) pairs, ascending: each bucket
    /// spans 1/8 of a power of two above 16 ns, one nanosecond below.
    #[serde(default)]
    pub buckets: Vec<(u64, u64)>,
}

impl Distribution {
    /// The histogram's buckets as (lowest value, highest value, count), ascending: from
    /// [`buckets`](Self::buckets) (empty for a version 1 profile).
    pub fn ranges(&self) -> impl Iterator<Item = (u64, u64, u64)> + '_ {
        self.buckets
            .iter()
            .map(|&(low, n)| (low, low + bucket_width(low) - 1, n))
    }

    /// The histogram's values, as (a bucket's middle, its count) pairs: from
    /// [`buckets`](Self::buckets) (an empty iterator for a version 1 profile, whose histogram
    /// is in [`histogram`](Self::histogram)).
    pub fn counts(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.buckets
            .iter()
            .map(|&(low, n)| (low + (bucket_width(low) - 1) / 2, n))
    }
}

/// The width of the bucket whose lowest value is `low`: 1 ns below 16 ns, then 1/8 of the
/// power of two it lies in.
fn bucket_width(low: u64) -> u64 {
    if low < 16 {
        1
    } else {
        1u64 << (63 - low.leading_zeros() - 3)
    }
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
#[derive(Debug)]
pub enum ProfileError {
    /// Not JSON, cut short, or not shaped as a profile.
    Malformed(String),
    /// A profile of a format this build does not read.
    Newer {
        /// The version the file says.
        found: u32,
    },
}

impl std::fmt::Display for ProfileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProfileError::Malformed(why) => write!(f, "is not a lockbench profile ({why})"),
            ProfileError::Newer { found } => write!(
                f,
                "is a profile of version {found}, newer than this lockbench reads \
                 ({PROFILE_VERSION}): use a newer lockbench"
            ),
        }
    }
}

impl std::error::Error for ProfileError {}

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

/// The lock every probe lock of a run was.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ProfileBackend {
    /// Its `lockbench list` name (or the name a program installed it under).
    pub name: String,
    /// What it is, in a line.
    pub summary: String,
}

/// One condition variable of the program (every one made at one place, or with one name).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CondvarProfile {
    /// The place in the source that made it, or its name.
    pub name: String,
    /// Waits on it (each ends the hold of its mutex; the mutex's re-acquisition after it is
    /// counted with the mutex, as a wait when it found the mutex taken).
    pub waits: u64,
    /// Of those, the timed waits that timed out.
    pub timed_out: u64,
    /// Time asleep per wait, from releasing the mutex to being woken (not counting the
    /// re-acquisition).
    pub sleep: Distribution,
}

/// Where a profiled program ran.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ProgramEnvironment {
    /// Host name.
    pub hostname: String,
    /// CPU model, from /proc/cpuinfo.
    pub cpu_model: String,
    /// Logical CPUs online.
    pub logical_cpus: usize,
    /// CPUs the program was allowed to use.
    pub allowed_cpus: Vec<usize>,
    /// Kernel release.
    pub kernel: String,
    /// Operating system and architecture.
    pub os: String,
    /// The lock crates the program was built with, as its own Cargo.lock has them
    /// (`parking_lot`, `lock_api`, ...; empty when the build could not find it).
    #[serde(default)]
    pub lock_crates: Vec<CrateVersion>,
}

/// A crate and its version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrateVersion {
    /// The crate's name.
    pub name: String,
    /// Its version.
    pub version: String,
}

fn every() -> u64 {
    1
}
