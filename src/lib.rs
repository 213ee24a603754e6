//! lockbench: lock-contention benchmarking.
//!
//! Runs a shared-counter workload under a chosen lock on pinned threads (or processes), checks
//! that no update was lost, and reports throughput, acquire latency, fairness and hand-off
//! figures.
//!
//! **Your own lock** beside the built-in ones, with the whole command line: implement
//! `lock_api::RawMutex` for it and register it with [`Lockbench`] in your own `main` (the
//! example there; `examples/custom_lock.rs` in the repository is a complete one).
//!
//! The layers, each handing data to the next and never back: [`app`] (the commands) validates
//! with [`config`], runs through a backend's [`registry`] entry on the [`runner`], computes the
//! figures in [`analysis`] and writes them with [`report`]; [`model`] is the plain data they
//! share. [`locks`], [`workload`] and [`measure`] are the parts the runner is built from.
//!
//! ```
//! use lockbench::config::{self, RunRequest};
//! use lockbench::model::{LatencyMode, PinPolicy, WorkUnit, Workload};
//! use lockbench::runner::affinity::Topology;
//! use lockbench::{analysis, environment, registry};
//! use std::time::Duration;
//!
//! let topology = Topology::detect();
//! let cfg = config::validate(
//!     RunRequest {
//!         backend: "ticket",
//!         threads: Some(2),
//!         processes: None,
//!         ops: 10_000,
//!         duration: None,
//!         warmup: None,
//!         locks: 1,
//!         cs_work: Duration::ZERO,
//!         think: Duration::ZERO,
//!         work_unit: WorkUnit::Time,
//!         pin: PinPolicy::Compact,
//!         latency: LatencyMode::DEFAULT,
//!         max_time: Some(Duration::from_secs(30)),
//!         workload: Workload::Counter,
//!         timeout: None,
//!         tasks: None,
//!         draws: None,
//!         noise: 0,
//!         wake_latency: false,
//!     },
//!     &topology,
//! )?;
//! let entry = registry::global().get(&cfg.backend).unwrap();
//! let record = entry.engine().run(&cfg, &topology, None, &mut |_| {})?;
//! let environment = environment::capture(&topology, None);
//! let result = analysis::run_result(&cfg, &entry.model_facts(), &environment, record);
//! assert_eq!(result.lost_updates, 0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod analysis;
pub mod app;
pub mod cli;
pub mod config;
pub mod environment;
pub mod error;
pub mod locks;
pub mod measure;
pub mod model;
pub mod registry;
pub mod report;
pub mod runner;
mod sync;
pub mod workload;

pub use app::Lockbench;
/// `lock_api` 0.4, the version of the lock trait most lock crates implement: implement its
/// `RawMutex` for your lock and register it with [`Lockbench::raw_mutex`].
pub use lock_api_04 as lock_api;
/// `lock_api` 0.5 (parking_lot 0.13's), for [`Lockbench::raw_mutex_05`].
pub use lock_api_05;
pub use locks::{Facts, Waiting};
