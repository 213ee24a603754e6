//! `lockbench replay`: a program's contention, from its profile, replayed as a sweep of the
//! backends on lockbench's own workload, with that sweep's verdict and how closely the replay
//! matched the program.

use std::process::ExitCode;

use clap::Parser;

use crate::analysis;
use crate::cli::{Cli, ReplayArgs};
use crate::error::UsageError;
use crate::model::{Profile, ReplayPlan, SweepResults, WorkDraws};
use crate::registry;
use crate::report;
use crate::report::format::{duration_ns, percent};

pub(super) fn replay(args: ReplayArgs) -> anyhow::Result<ExitCode> {
    let profile = super::profile::read(&args.profile)?;
    let plan = analysis::replay::plan(&profile, args.top as usize)
        .map_err(|why| UsageError::file(&args.profile, why))?;
    let mut backends: Vec<String> = match &args.backends {
        Some(list) => list.0.iter().map(|s| s.to_string()).collect(),
        None => super::ab::DEFAULT_BACKENDS
            .iter()
            .map(|s| s.to_string())
            .collect(),
    };
    let own = &profile.backend.name;
    if args.backends.is_none() && !backends.contains(own) && registry::global().get(own).is_some() {
        backends.push(own.clone());
    }
    let draws = if args.fixed_work {
        None
    } else {
        let draws = analysis::replay::draws(&profile, &plan)
            .map_err(|why| UsageError::file(&args.profile, why))?;
        std::fs::create_dir_all(&args.out)
            .map_err(|e| UsageError::file(&args.out, format!("cannot be made: {e}")))?;
        let path = args.out.join("draws.json");
        let text = serde_json::to_string(&draws).expect("draws serialise");
        std::fs::write(&path, text + "\n")
            .map_err(|e| UsageError::file(&path, format!("cannot be written: {e}")))?;
        Some((path, draws))
    };
    println!("replay of {}", args.profile.display());
    for line in describe(&profile, &plan, draws.as_ref().map(|d| &d.1)) {
        println!("  {line}");
    }
    println!();
    let work: Vec<String> = match &draws {
        Some((path, _)) => vec!["--draw-work".into(), path.to_string_lossy().into_owned()],
        None => vec![
            "--cs-work".into(),
            format!("{}ns", plan.hold_ns),
            "--think".into(),
            format!("{}ns", plan.think_ns),
        ],
    };
    let argv: Vec<String> = [
        "lockbench",
        "sweep",
        "--backends",
        &backends.join(","),
        "--threads",
        &plan.threads.to_string(),
        "--locks",
        &plan.locks.to_string(),
        "--repeat",
        &args.repeat.to_string(),
        "--duration",
        &format!("{}ns", args.duration.as_nanos()),
        "--latency",
        "sample=16",
        "--out",
        &args.out.to_string_lossy(),
    ]
    .iter()
    .map(|s| s.to_string())
    .chain(work)
    .chain(args.quiet.then(|| "--quiet".to_string()))
    .collect();
    let cli = Cli::try_parse_from(&argv).map_err(|e| {
        UsageError::invalid("replay", argv.join(" "), e.to_string().trim().to_string())
    })?;
    let code = super::execute(cli)?;
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
    Ok(code)
}

/// What the replay is, in words.
fn describe(p: &Profile, plan: &ReplayPlan, draws: Option<&WorkDraws>) -> Vec<String> {
    let shares: Vec<String> = plan
        .locks_replayed
        .iter()
        .zip(&plan.shares)
        .map(|(n, s)| format!("{n} {}", percent(*s)))
        .collect();
    vec![
        format!(
            "the program: {} under {}, its locks {}",
            p.program.first().map_or("?", String::as_str),
            p.backend.name,
            shares.join(", ")
        ),
        format!(
            "threads {}: those that took at least 1% of a replayed lock's acquisitions",
            plan.threads
        ),
        format!(
            "locks {}: even locks that meet as often as the program's uneven ones (1 / sum of \
             squared shares)",
            plan.locks
        ),
        format!(
            "critical section {}: the mean hold; think {}: the mean gap from a thread's release of \
             its most used lock to its next acquire, less the other acquisitions within it",
            duration_ns(plan.hold_ns as f64),
            duration_ns(plan.think_ns as f64)
        ),
        match draws {
            Some(d) => format!(
                "both drawn per operation from the measured holds and gaps up to their 99.9th \
                 percentile (draws.json): critical section p50 {} p99 {} mean {}, think p50 {} \
                 p99 {} mean {}",
                duration_ns(quantile(&d.cs_ns, 0.5)),
                duration_ns(quantile(&d.cs_ns, 0.99)),
                duration_ns(d.cs_mean_ns()),
                duration_ns(quantile(&d.think_ns, 0.5)),
                duration_ns(quantile(&d.think_ns, 0.99)),
                duration_ns(d.think_mean_ns()),
            ),
            None => "both fixed at those means (--fixed-work)".to_string(),
        },
    ]
}

/// The value at quantile `q` of draws' quantile points (each of the points' equal steps
/// spans the same share of the draws; the drawn quantiles stop at the 99.9th percentile).
fn quantile(points: &[u64], q: f64) -> f64 {
    let at = (q / 0.999).min(1.0) * (points.len() - 1) as f64;
    let (i, within) = (at.floor() as usize, at.fract());
    let next = points[(i + 1).min(points.len() - 1)];
    points[i] as f64 + (next as f64 - points[i] as f64) * within
}

/// The program's hottest lock beside the replay under the same backend.
fn fidelity(p: &Profile, plan: &ReplayPlan, r: &SweepResults) -> String {
    let hot = p
        .locks
        .iter()
        .find(|l| l.name == plan.locks_replayed[0])
        .expect("the plan's locks are the profile's");
    let mut out = format!(
        "how closely the replay matched the program (its hottest lock, {}, under {}):\n",
        hot.name, p.backend.name
    );
    let Some(point) = r.points.iter().find(|pt| pt.backend == p.backend.name) else {
        out.push_str(
            "  the replay did not run the program's own backend: nothing to set beside it\n",
        );
        return out;
    };
    let row = |what: &str, program: String, replay: String| {
        format!("  {what:<18} {program:>12} {replay:>12}\n")
    };
    out.push_str(&row("", "program".into(), "replay".into()));
    let lat = point.latency.as_ref();
    let ns = |v: Option<u64>| v.map_or("-".to_string(), |v| duration_ns(v as f64));
    out.push_str(&row(
        "wait p50",
        ns(Some(hot.wait.p50_ns)),
        ns(lat.map(|l| l.p50_ns)),
    ));
    out.push_str(&row(
        "wait p99",
        ns(Some(hot.wait.p99_ns)),
        ns(lat.map(|l| l.p99_ns)),
    ));
    out.push_str(&row(
        "wait mean",
        duration_ns(hot.wait.mean_ns),
        lat.map_or("-".into(), |l| duration_ns(l.mean_ns)),
    ));
    let realised: Vec<f64> = point
        .repetitions
        .iter()
        .filter_map(|r| r.realised_cs_ns)
        .collect();
    out.push_str(&row(
        "hold mean",
        duration_ns(hot.hold.mean_ns),
        if realised.is_empty() {
            "-".to_string()
        } else {
            duration_ns(realised.iter().sum::<f64>() / realised.len() as f64)
        },
    ));
    out.push_str(&row(
        "hand-offs",
        percent(hot.handoff_rate()),
        point
            .handoff_rate
            .as_ref()
            .map_or("-".into(), |s| percent(s.median)),
    ));
    out.push_str(
        "  (the replay's hold is its realised critical section, acquire to release; its \
         waits include lockbench's own timing, the program's the probe's)\n",
    );
    out
}
