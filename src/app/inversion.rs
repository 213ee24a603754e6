//! `lockbench inversion`: the priority-inversion scenario (`runner::inversion`) with a plain
//! pthread mutex and with `PTHREAD_PRIO_INHERIT`, and the high-priority waiter's waits beside
//! what each mutex lets it expect.

use std::process::ExitCode;
use std::time::Duration;

use serde::Serialize;

use super::exit;
use crate::cli::InversionArgs;
use crate::error::UsageError;
use crate::report::format::duration_ns;
use crate::runner::affinity::Topology;
use crate::runner::inversion::{self, InversionError, MAX_BUSY, PRIORITIES, Scenario};

/// What the scenario gave with one mutex.
#[derive(Serialize)]
struct Outcome {
    /// Whether the mutex inherited priority.
    inherit: bool,
    /// The waiter's wait in each round, ns.
    waits_ns: Vec<u64>,
    /// The median, ns.
    median_ns: u64,
    /// The longest, ns.
    max_ns: u64,
}

/// The whole answer.
#[derive(Serialize)]
struct Inversion {
    cpu: usize,
    rounds: u32,
    hold_ns: u64,
    middle_ns: u64,
    /// SCHED_FIFO priorities of the holder, the middle and the waiter.
    priorities: [i32; 3],
    runs: Vec<Outcome>,
}

pub(super) fn inversion(args: InversionArgs) -> anyhow::Result<ExitCode> {
    let busy = (args.hold + args.middle) * args.rounds;
    if busy > MAX_BUSY {
        return Err(UsageError::invalid(
            "--rounds",
            args.rounds,
            format!(
                "{} rounds of --hold and --middle would keep one CPU busy at real-time priority \
                 for {}; at most {} is allowed",
                args.rounds,
                humantime::format_duration(busy),
                humantime::format_duration(MAX_BUSY)
            ),
        )
        .into());
    }
    if args.hold.is_zero() || args.middle.is_zero() {
        return Err(UsageError::invalid(
            "--hold",
            humantime::format_duration(args.hold.min(args.middle)),
            "the hold and the middle's work must both last some time",
        )
        .into());
    }
    let topology = Topology::detect();
    let allowed: Vec<usize> = topology.cpus.iter().map(|c| c.id).collect();
    let cpu = match args.cpu {
        Some(cpu) if !allowed.contains(&cpu) => {
            return Err(UsageError::invalid(
                "--cpu",
                cpu,
                format!("this process may use CPUs {allowed:?}"),
            )
            .into());
        }
        Some(cpu) => cpu,
        // The last: the first usually takes most of the interrupts.
        None => allowed.last().copied().unwrap_or(0),
    };
    if let Err(e) = inversion::check_rights(cpu) {
        eprintln!("error: {e}");
        return Ok(ExitCode::from(exit::ERROR));
    }
    let mut runs = Vec::new();
    for inherit in [false, true] {
        let scenario = Scenario {
            rounds: args.rounds,
            hold: args.hold,
            middle: args.middle,
            cpu,
            inherit,
        };
        let mut waits_ns = match inversion::run(scenario) {
            Ok(w) => w,
            Err(e @ (InversionError::NoRights { .. } | InversionError::Failed(_))) => {
                eprintln!("error: {e}");
                return Ok(ExitCode::from(exit::ERROR));
            }
        };
        let mut sorted = waits_ns.clone();
        sorted.sort_unstable();
        runs.push(Outcome {
            inherit,
            median_ns: sorted[sorted.len() / 2],
            max_ns: *sorted.last().unwrap_or(&0),
            waits_ns: std::mem::take(&mut waits_ns),
        });
    }
    let result = Inversion {
        cpu,
        rounds: args.rounds,
        hold_ns: args.hold.as_nanos() as u64,
        middle_ns: args.middle.as_nanos() as u64,
        priorities: PRIORITIES,
        runs,
    };
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&result).expect("figures serialise")
        );
    } else {
        print!("{}", text(&result, args.hold, args.middle));
    }
    Ok(ExitCode::from(exit::OK))
}

fn text(r: &Inversion, hold: Duration, middle: Duration) -> String {
    let mut o = format!(
        "lockbench inversion: on CPU {}, a holder at SCHED_FIFO {} works {} under a pthread \
         mutex; a waiter at {} asks for it; a middle thread at {}, woken by the waiter, is busy \
         {}; {} rounds with each mutex\n",
        r.cpu,
        r.priorities[0],
        duration_ns(hold.as_nanos() as f64),
        r.priorities[2],
        r.priorities[1],
        duration_ns(middle.as_nanos() as f64),
        r.rounds,
    );
    for run in &r.runs {
        let (name, why) = if run.inherit {
            (
                "PTHREAD_PRIO_INHERIT",
                "the holder runs at the waiter's priority until it releases: the middle waits",
            )
        } else {
            (
                "plain (no inheritance)",
                "the middle runs ahead of the holder, and the waiter waits for both",
            )
        };
        o.push_str(&format!(
            "  {name:<24} waiter's wait: longest {}, median {}  ({why})\n",
            duration_ns(run.max_ns as f64),
            duration_ns(run.median_ns as f64),
        ));
    }
    o
}
