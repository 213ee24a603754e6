//! `lockbench replay`: a program's contention, from its profile, replayed as a sweep of the
//! backends on lockbench's own workload, with that sweep's verdict, how closely the replay
//! matched the program, and (given the program's A/B) how their rankings agree.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;

use crate::analysis;
use crate::analysis::fidelity::{Agreement, OFF};
use crate::cli::{Cli, ReplayArgs};
use crate::error::UsageError;
use crate::model::{
    FidelityRow, FidelityUnit, Profile, ReplayPlan, SweepResults, WorkDraws, buckets_mean,
};
use crate::registry;
use crate::report;
use crate::report::format::{duration_ns, percent};

pub(super) fn replay(args: ReplayArgs) -> anyhow::Result<ExitCode> {
    let profile = super::profile::read(&args.profile)?;
    let in_profile = |why| UsageError::file(&args.profile, why);
    let plan = analysis::replay::plan(&profile, args.top as usize).map_err(in_profile)?;
    let mut draws =
        analysis::replay::draws(&profile, &plan, args.fixed_work).map_err(in_profile)?;
    let against = args.against.as_deref().map(read_ab).transpose()?;
    std::fs::create_dir_all(&args.out)
        .map_err(|e| UsageError::file(&args.out, format!("cannot be made: {e}")))?;
    let path = args.out.join("draws.json");
    write_draws(&path, &draws)?;
    println!("replay of {}", args.profile.display());
    let own = cost_per_operation(&args, &profile, &plan, &draws, &path)?;
    if let Some((_, outside)) = own {
        // Outside the critical section only: inside it, the program's holds carry the probe's
        // own work (its hand-off word, its counts), as the replay's carry its exclusion check.
        analysis::replay::take_out(&mut draws, 0.0, outside);
        write_draws(&path, &draws)?;
    }
    for line in describe(&profile, &plan, &draws, args.fixed_work, own) {
        println!("  {line}");
    }
    println!();
    let sweep = Sweep {
        backends: backends(&args, &profile),
        threads: plan.workers.len(),
        duration: args.duration,
        repeat: args.repeat,
        out: args.out.clone(),
    };
    let code = super::execute(sweep_command(&args, &plan, &path, &sweep)?)?;
    let path = args.out.join("results.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| UsageError::file(&path, format!("cannot be read: {e}")))?;
    let results = SweepResults::from_json(&text).map_err(|e| UsageError::file(&path, e))?;
    if args.quiet {
        // The sweep said nothing: its verdict, here.
        println!("Verdict:");
        for p in report::verdict::paragraphs(&analysis::verdict::findings(&results)) {
            println!("  {}: {}", p.heading, p.sentences.join(" "));
        }
    }
    println!();
    print!("{}", fidelity(&profile, &plan, &results));
    if let Some((ab_path, ab)) = &against {
        println!();
        print!(
            "{}",
            agreement(ab_path, analysis::fidelity::agreement(ab, &results))
        );
    }
    Ok(code)
}

/// The backends to replay on: those asked for, or the A/B's defaults and the profile's own.
fn backends(args: &ReplayArgs, profile: &Profile) -> Vec<String> {
    if let Some(list) = &args.backends {
        return list.0.iter().map(|s| s.to_string()).collect();
    }
    let mut backends: Vec<String> = super::ab::DEFAULT_BACKENDS
        .iter()
        .map(|s| s.to_string())
        .collect();
    let own = &profile.backend.name;
    if !backends.contains(own) && registry::global().get(own).is_some() {
        backends.push(own.clone());
    }
    backends
}

/// Writes the draws to `path`.
fn write_draws(path: &Path, draws: &WorkDraws) -> Result<(), UsageError> {
    let text = serde_json::to_string(draws).expect("draws serialise");
    std::fs::write(path, text + "\n")
        .map_err(|e| UsageError::file(path, format!("cannot be written: {e}")))
}

/// The replay's own cost per operation beyond its drawn work, in ns, inside the critical
/// section and outside it: one thread of it, on the program's own backend (else the first
/// asked for), run briefly; the loop, the exclusion check, the draws and the clock readings
/// of the busy work, which the program's holds and think times do not hold. `None` when it
/// could not be told (then nothing is taken out).
fn cost_per_operation(
    args: &ReplayArgs,
    profile: &Profile,
    plan: &ReplayPlan,
    draws: &WorkDraws,
    path: &Path,
) -> Result<Option<(f64, f64)>, UsageError> {
    let all = backends(args, profile);
    let own = &profile.backend.name;
    let backend = if all.contains(own) {
        own.clone()
    } else {
        all[0].clone()
    };
    let out = args.out.join("cost");
    let sweep = Sweep {
        backends: vec![backend],
        threads: 1,
        duration: std::time::Duration::from_millis(300),
        repeat: 3,
        out: out.clone(),
    };
    let quiet = ReplayArgs {
        quiet: true,
        ..args.clone()
    };
    super::execute(sweep_command(&quiet, plan, path, &sweep)?)
        .map_err(|e| UsageError::file(&out, format!("the replay's cost could not be run: {e}")))?;
    let path = out.join("results.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| UsageError::file(&path, format!("cannot be read: {e}")))?;
    let results = SweepResults::from_json(&text).map_err(|e| UsageError::file(&path, e))?;
    Ok(results
        .points
        .first()
        .and_then(|point| analysis::replay::own_cost(point, draws)))
}

/// One sweep of a replay: which backends, how many threads, how long, where.
struct Sweep {
    backends: Vec<String>,
    threads: usize,
    duration: std::time::Duration,
    repeat: u32,
    out: PathBuf,
}

/// The sweep that runs the replay: the plan's locks, the draws, readers shared where the
/// program's were.
fn sweep_command(
    args: &ReplayArgs,
    plan: &ReplayPlan,
    draws: &Path,
    sweep: &Sweep,
) -> Result<Cli, UsageError> {
    let workload = if plan.reads() { "rw" } else { "counter" };
    let argv: Vec<String> = [
        "lockbench",
        "sweep",
        "--backends",
        &sweep.backends.join(","),
        "--threads",
        &sweep.threads.to_string(),
        "--locks",
        &plan.slots.len().to_string(),
        "--workload",
        workload,
        "--draw-work",
        &draws.to_string_lossy(),
        "--work-unit",
        &args.work_unit,
        "--repeat",
        &sweep.repeat.to_string(),
        "--duration",
        &format!("{}ns", sweep.duration.as_nanos()),
        "--latency",
        "sample=16",
        "--out",
        &sweep.out.to_string_lossy(),
    ]
    .iter()
    .map(|s| s.to_string())
    .chain(args.quiet.then(|| "--quiet".to_string()))
    .collect();
    Cli::try_parse_from(&argv).map_err(|e| {
        UsageError::invalid("replay", argv.join(" "), e.to_string().trim().to_string())
    })
}

/// An A/B's results, to set the replay's ranking beside (read as `lockbench report` reads one).
fn read_ab(path: &Path) -> Result<(PathBuf, crate::model::AbResults), UsageError> {
    let ab = super::report::load_ab(path).unwrap_or_else(|| {
        Err(UsageError::file(
            path,
            "cannot be read as an A/B (the ab.json `lockbench ab` writes)",
        ))
    })?;
    Ok((path.to_path_buf(), ab))
}

/// What the replay is, in words.
fn describe(
    p: &Profile,
    plan: &ReplayPlan,
    draws: &WorkDraws,
    fixed: bool,
    own: Option<(f64, f64)>,
) -> Vec<String> {
    let shares: Vec<String> = plan
        .locks_replayed
        .iter()
        .zip(&plan.shares)
        .zip(&plan.reads)
        .map(|((n, s), r)| {
            let objects = plan
                .slots
                .iter()
                .filter(|&&l| plan.locks_replayed[l as usize] == *n);
            let reads = if *r > 0.0 {
                format!(", {} reads", percent(*r))
            } else {
                String::new()
            };
            format!("{n} {} ({} objects{reads})", percent(*s), objects.count())
        })
        .collect();
    let mut lines = vec![
        format!(
            "the program: {} under {}, its locks {}",
            p.program.first().map_or("?", String::as_str),
            p.backend.name,
            shares.join(", ")
        ),
        format!(
            "threads {}: the program's threads with at least 1% of these acquisitions, each \
             taking each object as often as it did; locks {}: one per object (they meet as \
             often as {:.1} evenly used locks)",
            plan.workers.len(),
            plan.slots.len(),
            plan.even_locks
        ),
        if plan.reads() {
            "readers shared (the rw workload), at each lock's measured share of reads".into()
        } else {
            "every acquisition exclusive (no replayed lock was taken shared)".into()
        },
    ];
    lines.extend(lock_lines(p, plan, draws, fixed));
    lines.push(cost_line(own));
    lines.extend(plan.assumed.iter().cloned());
    lines
}

/// Each replayed lock's lengths, drawn beside measured.
fn lock_lines(p: &Profile, plan: &ReplayPlan, draws: &WorkDraws, fixed: bool) -> Vec<String> {
    let mut lines = Vec::new();
    for (l, name) in draws.locks.iter().zip(&plan.locks_replayed) {
        let measured = p.locks.iter().find(|x| &x.name == name);
        let (hold, think) = measured.map_or((0.0, 0.0), |m| {
            let think = if m.think.samples > 0 {
                &m.think
            } else {
                &m.gap
            };
            (m.hold.mean_ns, think.mean_ns)
        });
        lines.push(format!(
            "{name}: critical section mean {} drawn of {} measured, think mean {} drawn of {} \
             measured{}",
            duration_ns(buckets_mean(&l.cs)),
            duration_ns(hold),
            duration_ns(buckets_mean(&l.think)),
            duration_ns(think),
            if fixed {
                " (fixed at the means: --fixed-work)"
            } else {
                " (each drawn from the whole measured histogram)"
            }
        ));
    }
    lines
}

/// The replay's own cost, and what was done with it.
fn cost_line(own: Option<(f64, f64)>) -> String {
    match own {
        Some((inside, outside)) => format!(
            "the replay's own cost per operation (its loop, draws and clock readings, measured \
             on one thread: cost/) outside the critical section, {}, is taken out of every \
             think time, so that a thread alone runs at the program's pace (a think shorter \
             than that becomes none); the think means above are what is left. Inside it, {} \
             is left in: the program's holds carry the probe's own work there too",
            duration_ns(outside),
            duration_ns(inside)
        ),
        None => "the replay's own cost per operation could not be told from its work: nothing \
                 taken out of the think times"
            .into(),
    }
}

/// The replay beside the program, under the program's own backend, each figure more than
/// [`OFF`] times off flagged.
fn fidelity(p: &Profile, plan: &ReplayPlan, r: &SweepResults) -> String {
    let mut out = format!(
        "how closely the replay matched the program (its replayed locks, under {}):\n",
        p.backend.name
    );
    let Some(rows) = analysis::fidelity::fidelity(p, plan, r) else {
        out.push_str(
            "  the replay did not run the program's own backend: nothing to set beside it\n",
        );
        return out;
    };
    out.push_str(&format!(
        "  {:<26} {:>12} {:>12}\n",
        "", "program", "replay"
    ));
    for row in &rows {
        let flag = match row.off() {
            Some(x) if x > OFF => format!("  {x:.1}x off"),
            _ => String::new(),
        };
        out.push_str(&format!(
            "  {:<26} {:>12} {:>12}{flag}\n",
            row.what,
            figure(row, row.program),
            figure(row, row.replay)
        ));
    }
    out.push_str(
        "  (found it taken: the program's acquisitions whose first try failed, the replay's \
         timed ones that found a writer inside; their waits are those acquisitions' only. \
         Holds: the program's sampled ones, the replay's realised critical sections, each \
         with its own clock readings)\n",
    );
    out
}

/// A row's figure, in its unit.
fn figure(row: &FidelityRow, v: Option<f64>) -> String {
    let Some(v) = v else { return "-".into() };
    match row.unit {
        FidelityUnit::Share => percent(v),
        FidelityUnit::Nanoseconds => duration_ns(v),
        FidelityUnit::PerSecond => report::format::rate(v),
        FidelityUnit::Ratio => format!("{v:.2}"),
    }
}

/// The agreement of the replay's ranking with the A/B's, in words.
fn agreement(ab: &Path, a: Option<Agreement>) -> String {
    let Some(a) = a else {
        return format!(
            "{}: fewer than two backends in common with the replay\n",
            ab.display()
        );
    };
    let order: Vec<String> = a
        .backends
        .iter()
        .zip(&a.replay_rank)
        .map(|(b, r)| format!("{b} ({})", r + 1))
        .collect();
    format!(
        "against the A/B ({}):\n  its order, with the replay's place of each: {}\n  rank \
         correlation (Spearman) {:.2}; the A/B's leaders ({}) {} the replay's ({})\n",
        ab.display(),
        order.join(", "),
        a.spearman,
        a.ab_leaders.join(", "),
        if a.leaders_kept() {
            "are among"
        } else {
            "are not all among"
        },
        a.replay_leaders.join(", ")
    )
}
