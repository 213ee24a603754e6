//! The workload a run asks for: its options, each refused when it belongs to another workload,
//! and the checks a workload makes of the run around it (the bank's pairs and counts, the
//! transfer's accounts as its locks, what tasks can run).

use super::parse::WorkloadChoice;
use crate::error::UsageError;
use crate::model::{LockOrder, WorkerMode, Workload};
use crate::runner::region::MAX_LOCKS;

/// The bank's starting balance when `--initial` is not given.
pub const DEFAULT_INITIAL: i64 = 200;

/// Largest `--initial` balance accepted.
pub const MAX_INITIAL: i64 = 1_000_000_000_000;

/// The share of reads of the rw workload when `--reads` is not given, percent.
pub const DEFAULT_READS: u8 = 90;

/// The accounts of the transfer workload when `--accounts` is not given.
pub const DEFAULT_ACCOUNTS: u64 = 2;

/// The workload options as given, before validation.
#[derive(Clone, Copy, Debug)]
pub struct WorkloadArgs {
    /// `--workload`.
    pub choice: WorkloadChoice,
    /// `--initial` (bank).
    pub initial: Option<i64>,
    /// `--reads` (rw).
    pub reads: Option<u8>,
    /// `--accounts` (transfer).
    pub accounts: Option<u64>,
    /// `--order` (transfer).
    pub order: Option<LockOrder>,
}

/// The workload `--workload` and its options name; an option of another workload is refused.
pub fn workload(a: &WorkloadArgs) -> Result<Workload, UsageError> {
    let choice = a.choice;
    if let (Some(initial), false) = (a.initial, choice == WorkloadChoice::Bank) {
        return Err(UsageError::invalid(
            "--initial",
            initial,
            "a starting balance belongs to --workload bank",
        ));
    }
    if let (Some(reads), false) = (a.reads, choice == WorkloadChoice::Rw) {
        return Err(UsageError::invalid(
            "--reads",
            reads,
            "a share of reads belongs to --workload rw",
        ));
    }
    if choice != WorkloadChoice::Transfer {
        if let Some(accounts) = a.accounts {
            return Err(UsageError::invalid(
                "--accounts",
                accounts,
                "accounts belong to --workload transfer",
            ));
        }
        if let Some(order) = a.order {
            return Err(UsageError::invalid(
                "--order",
                order.name(),
                "a lock order belongs to --workload transfer",
            ));
        }
    }
    Ok(match choice {
        WorkloadChoice::Counter => Workload::Counter,
        WorkloadChoice::Bank => Workload::Bank {
            initial: a.initial.unwrap_or(DEFAULT_INITIAL),
        },
        WorkloadChoice::Rw => Workload::Rw {
            reads: a.reads.unwrap_or(DEFAULT_READS),
        },
        WorkloadChoice::Transfer => {
            let accounts = a.accounts.unwrap_or(DEFAULT_ACCOUNTS);
            if !(2..=MAX_LOCKS).contains(&accounts) {
                return Err(UsageError::invalid(
                    "--accounts",
                    accounts,
                    format!(
                        "a transfer moves between two different accounts: from 2 to {MAX_LOCKS}"
                    ),
                ));
            }
            Workload::Transfer {
                accounts,
                order: a.order.unwrap_or_default(),
            }
        }
    })
}

/// The run around a workload, as far as the workload's checks need it.
pub(super) struct Fit {
    /// Workers (threads, processes or tasks).
    pub workers: usize,
    /// The option that gave their count.
    pub worker_flag: &'static str,
    /// What the workers are.
    pub mode: WorkerMode,
    /// Operations, for fixed work (`None`: a timed run).
    pub ops: Option<u64>,
    /// `--locks`.
    pub locks: u64,
}

/// Checks `workload` against the run around it, and returns the run's lock count: `--locks`,
/// or for the transfer its accounts.
pub(super) fn fit(workload: Workload, run: &Fit) -> Result<u64, UsageError> {
    if run.mode == WorkerMode::Tasks
        && matches!(workload, Workload::Rw { .. } | Workload::Transfer { .. })
    {
        return Err(UsageError::invalid(
            "--tasks",
            run.workers,
            format!(
                "tasks run the counter and bank workloads, not {}",
                workload.name()
            ),
        ));
    }
    match workload {
        Workload::Transfer { .. } if run.locks != 1 => Err(UsageError::invalid(
            "--locks",
            run.locks,
            format!(
                "the transfer workload has one lock per account: give --accounts {}",
                run.locks
            ),
        )),
        Workload::Transfer { accounts, .. } => Ok(accounts),
        Workload::Bank { initial } => {
            if !(0..=MAX_INITIAL).contains(&initial) {
                return Err(UsageError::invalid(
                    "--initial",
                    initial,
                    format!("the starting balance must be from 0 to {MAX_INITIAL}"),
                ));
            }
            if run.workers % 2 == 1 {
                return Err(UsageError::invalid(
                    run.worker_flag,
                    run.workers,
                    "the bank workload pairs a depositor with a withdrawer: use an even number of workers",
                ));
            }
            if let Some(ops) = run.ops {
                if ops % 2 == 1 {
                    return Err(UsageError::invalid(
                        "--ops",
                        ops,
                        "the bank workload makes as many deposits as withdrawals: use an even number",
                    ));
                }
                let most = 2 * crate::workload::bank::MAX_PER_SIDE;
                if ops > most {
                    return Err(UsageError::invalid(
                        "--ops",
                        ops,
                        format!("the bank counts each side in 32 bits: at most {most} operations"),
                    ));
                }
            }
            Ok(run.locks)
        }
        Workload::Counter | Workload::Rw { .. } => Ok(run.locks),
    }
}
