//! The results model: plain serde data, versioned. The configuration of a run, the environment it
//! ran in, and every figure, for one run and for a sweep, and the comparison of two sweeps.
//! Nothing here measures, computes or does I/O (the figures are computed in
//! [`crate::analysis`], the environment is read in [`crate::environment`], files are read by the
//! commands); reports read only this.
//!
//! - [`config`]: what a run was asked to do;
//! - [`environment`]: where it ran, and the facts of its backend;
//! - [`run`]: everything one run measured, and its check;
//! - [`sweep`]: a sweep's points over their repetitions, keyed by [`SeriesKey`], and the reading
//!   of a results.json with its schema checks;
//! - [`comparison`]: two sweeps side by side;
//! - [`ab`]: the backends A/B'd in a user's own program;
//! - [`profile`]: a program's own locks, measured where they live by the probe;
//! - [`findings`]: a sweep's answer to "which lock?", as figures (the words are the reports').
//!
//! Series are keyed by values ([`SeriesKey`]: the backend's name and the worker mode), never by
//! their labels: labels are made at the edge, in `report::format`.

pub mod ab;
pub mod comparison;
pub mod config;
pub mod environment;
pub mod findings;
pub mod fleet;
pub mod profile;
pub mod run;
pub mod sweep;

pub use ab::{AbHottest, AbMeasure, AbOutcome, AbRanked, AbResults, AbRun};
pub use comparison::{Change, ComparedPoint, Comparison};
pub use config::{
    DrawnLock, LatencyMode, LockOrder, PinPolicy, RunConfig, WorkDraws, WorkUnit, WorkerMode,
    Workload, buckets_mean,
};
pub use environment::{
    BackendFacts, CoreRoundTrip, CostRanges, CrateVersion, Environment, MachineCosts, Range,
    WorkCalibration,
};
pub use findings::{Caveat, Contrast, FindingGroup, Findings, Ranked};
pub use fleet::{
    Answer, Difference, Fleet, FleetCell, FleetGroup, FleetMachine, FleetPoint, FleetRow, SetApart,
};
pub use profile::{
    Distribution, Ended, FidelityRow, FidelityUnit, LockKind, LockProfile, Profile, ProfileError,
    ReplayPlan,
};
pub use run::{
    ContendedWaits, Fairness, GiveUps, Interval, ReadWrite, RunResult, SHORT_RUN_NS, SPEED_CHANGE,
    SideCount, SpeedProbe, Verdict, Verification, WakeUps, WorkerResult,
};
pub use sweep::{Point, Regime, Repetition, SeriesKey, Spread, SweepResults, SweepSettings};

/// Version of this model; bumped on any change that an older reader would misread.
///
/// - 1: the first versioned files.
/// - 2: sweeps over several contention regimes (`settings.regimes`, `Point.regime`): a reader of
///   version 1 would mix their points. Version-1 files are read and migrated
///   ([`SweepResults::from_json`]).
pub const SCHEMA_VERSION: u32 = 2;

/// The oldest schema version this lockbench reads (migrating it).
pub const OLDEST_SCHEMA_VERSION: u32 = 1;

/// The `kind` field of a sweep's results.json.
pub const SWEEP_KIND: &str = "lockbench-sweep";
