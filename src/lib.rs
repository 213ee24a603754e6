//! lockbench: lock-contention benchmarking.
//!
//! Runs a shared-counter workload under a chosen lock on pinned threads, checks that no update
//! was lost, and reports throughput, acquire latency, fairness and hand-off figures.
//!
//! ```
//! use lockbench::config::{LatencyMode, RunConfig, RunRequest, Workload};
//! use lockbench::locks::BackendId;
//! use lockbench::runner::{self, affinity::{PinPolicy, Topology}};
//! use std::time::Duration;
//!
//! let topology = Topology::detect();
//! let cfg = RunConfig::validate(
//!     RunRequest {
//!         backend: BackendId::Ticket,
//!         threads: Some(2),
//!         processes: None,
//!         ops: 10_000,
//!         cs_work: Duration::ZERO,
//!         think: Duration::ZERO,
//!         pin: PinPolicy::Compact,
//!         latency: LatencyMode::DEFAULT,
//!         max_time: Duration::from_secs(30),
//!         workload: Workload::Counter,
//!     },
//!     &topology,
//! )?;
//! let result = runner::run(&cfg, &topology, None, &mut |_| {})?;
//! assert_eq!(result.lost_updates, 0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod calibrate;
pub mod cli;
pub mod commands;
pub mod compare;
pub mod config;
pub mod locks;
pub mod measure;
pub mod report;
pub mod results;
pub mod runner;
mod sync;
pub mod workload;
