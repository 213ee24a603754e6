//! `lockbench ab`: the backends A/B'd in the user's own program. The program runs once per
//! backend per round (each round in a fresh order, as in a sweep), its locks made the
//! backend through `LOCKBENCH_BACKEND`; each run is bounded, its profile kept, and the backends
//! are ranked by the program's wall time (or a figure it prints) with the ranking rule every
//! verdict uses.

use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use lockbench_probe::{BACKEND_VAR, PROFILE_VAR, RECORD_VAR};
use regex::Regex;

use crate::analysis;
use crate::cli::AbArgs;
use crate::environment;
use crate::error::UsageError;
use crate::model::ab::{AB_FORMAT, AB_VERSION};
use crate::model::{AbHottest, AbMeasure, AbOutcome, AbResults, AbRun};
use crate::registry;
use crate::report;
use crate::runner::affinity::Topology;
use crate::runner::sweep::round_order;

/// The backends tried when `--backends` names none (those a guard can hold, from each family).
pub const DEFAULT_BACKENDS: [&str; 7] = [
    "std",
    "parking-lot",
    "parking-lot-fair",
    "spin",
    "ticket",
    "futex",
    "pthread",
];

/// The most of a run's output kept (the end of it).
const KEEP_OUTPUT: usize = 4 << 20;
/// How long a stopped program is given to write its profile before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(3);

pub(super) fn ab(args: AbArgs) -> anyhow::Result<ExitCode> {
    let backends: Vec<String> = match &args.backends {
        Some(list) => list.0.iter().map(|s| s.to_string()).collect(),
        None => DEFAULT_BACKENDS.iter().map(|s| s.to_string()).collect(),
    };
    for b in &backends {
        let name = registry::global().get(b).map_or(b.as_str(), |e| e.name());
        if registry::builtin_name(name) && !lockbench_probe::format::PROBE_BACKENDS.contains(&name)
        {
            return Err(UsageError::invalid(
                "--backends",
                b,
                format!(
                    "a program's lock cannot be it (queue locks keep a waiter's node on its \
                     stack, async mutexes await, baselines lock nothing); it can be: {}",
                    lockbench_probe::format::PROBE_BACKENDS.join(", ")
                ),
            )
            .into());
        }
    }
    let measure = match &args.metric {
        None => AbMeasure::WallTime,
        Some(m) => {
            let re = Regex::new(m)
                .map_err(|e| UsageError::invalid("--metric", m, one_line(&e.to_string())))?;
            if re.captures_len() < 2 {
                return Err(UsageError::invalid(
                    "--metric",
                    m,
                    "needs a capture group around the number, such as 'ops/s: ([0-9.]+)'",
                )
                .into());
            }
            AbMeasure::Metric {
                regex: m.clone(),
                higher_is_better: !args.lower_is_better,
            }
        }
    };
    let metric = args
        .metric
        .as_deref()
        .map(|m| Regex::new(m).expect("checked"));
    let program = &args.command[0];
    let dir = &args.out;
    for sub in ["profiles", "logs"] {
        std::fs::create_dir_all(dir.join(sub))
            .map_err(|e| UsageError::file(&dir.join(sub), format!("cannot be made: {e}")))?;
    }
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        signal_hook::flag::register(signal, Arc::clone(&stop))?;
    }

    let total = args.repeat as usize * backends.len();
    eprintln!(
        "ab: {} x {} runs of `{}`, each at most {}; profiles and logs in {}",
        backends.len(),
        args.repeat,
        args.command.join(" "),
        humantime::format_duration(args.max_time),
        dir.display()
    );
    let mut runs: Vec<AbRun> = Vec::new();
    let mut interrupted = false;
    let order_seed = crate::runner::sweep::fresh_seed();
    'rounds: for round in 1..=args.repeat {
        let order = round_order(backends.len(), round, order_seed);
        for backend in order.iter().map(|&i| &backends[i]) {
            if stop.load(Ordering::Relaxed) {
                interrupted = true;
                break 'rounds;
            }
            let at = Paths::of(dir, backend, round);
            let run = match once(
                &args,
                backend,
                round,
                &at,
                metric.as_ref(),
                &stop,
                args.record,
            )? {
                Some(run) => run,
                None => {
                    interrupted = true;
                    break 'rounds;
                }
            };
            eprintln!(
                "[{}/{total}] round {round}, {backend}: {}",
                runs.len() + 1,
                said(&run)
            );
            runs.push(run);
        }
        if round == 1
            && let Some(m) = &args.metric
            && runs.iter().all(|r| r.outcome == AbOutcome::NoMetric)
        {
            return Err(never_matched(m, dir).into());
        }
        if round == 1 && runs.iter().all(|r| r.outcome != AbOutcome::Ok) {
            let first = &runs[0];
            return Err(anyhow::anyhow!(
                "{program} failed under every backend in the first round: {}{}",
                said(first),
                match &first.outcome {
                    AbOutcome::Failed { stderr_tail, .. } if !stderr_tail.is_empty() =>
                        format!(" (its stderr ends: {})", one_line(stderr_tail)),
                    _ => String::new(),
                }
            ));
        }
    }
    if let Some(m) = &args.metric
        && !runs.is_empty()
        && runs.iter().all(|r| r.metric.is_none())
    {
        return Err(never_matched(m, dir).into());
    }
    let profiled = if args.record || interrupted {
        Vec::new()
    } else {
        profile_runs(&args, &backends, dir, &stop)?
    };
    let analysis::ab::Ranking {
        ranked: ranking,
        leaders,
        unjudged,
        excluded,
        comparisons,
    } = analysis::ab::rank(&backends, &runs, &measure);
    let results = AbResults {
        format: AB_FORMAT.to_string(),
        version: AB_VERSION,
        command: args.command.clone(),
        measure,
        repeat: args.repeat,
        max_time_ns: u64::try_from(args.max_time.as_nanos()).unwrap_or(u64::MAX),
        recorded: args.record,
        interrupted,
        runs,
        profiled,
        ranking,
        leaders,
        unjudged,
        excluded,
        comparisons,
        order_seed: Some(order_seed),
        environment: environment::capture(&Topology::detect(), None),
    };
    report::files::write_atomically(dir, "ab.json", &serde_json::to_vec_pretty(&results)?)?;
    println!("{}", report::ab::table(&results));
    for s in report::ab::sentences(&results) {
        println!("{s}");
    }
    println!("\nwrote {}", dir.join("ab.json").display());
    Ok(if interrupted {
        ExitCode::from(130)
    } else {
        ExitCode::from(super::exit::OK)
    })
}

fn never_matched(metric: &str, dir: &Path) -> UsageError {
    UsageError::invalid(
        "--metric",
        metric,
        format!(
            "never matched the program's output (logs in {})",
            dir.join("logs").display()
        ),
    )
}

/// One run per backend that records, for the table's hottest lock: not ranked (recording
/// costs what it measures), and made after the ranked ones.
fn profile_runs(
    args: &AbArgs,
    backends: &[String],
    dir: &Path,
    stop: &AtomicBool,
) -> anyhow::Result<Vec<AbRun>> {
    let mut made = Vec::new();
    for (i, backend) in backends.iter().enumerate() {
        let at = Paths::of(dir, backend, 0);
        let Some(run) = once(args, backend, 0, &at, None, stop, true)? else {
            break;
        };
        eprintln!(
            "[profile {}/{}] {backend}, recording: {}",
            i + 1,
            backends.len(),
            said(&run)
        );
        made.push(run);
    }
    Ok(made)
}

/// Where one run's files go (round 0: the run that records a profile).
struct Paths {
    profile: PathBuf,
    log: PathBuf,
}

impl Paths {
    fn of(dir: &Path, backend: &str, round: u32) -> Paths {
        let run = match round {
            0 => "profile".to_string(),
            r => r.to_string(),
        };
        Paths {
            profile: dir.join("profiles").join(format!("{backend}-{run}.json")),
            log: dir.join("logs").join(format!("{backend}-{run}.log")),
        }
    }
}

/// How a run went, in a few words.
fn said(run: &AbRun) -> String {
    let wall = report::format::duration_ns(run.wall_ns as f64);
    match &run.outcome {
        AbOutcome::Ok => match run.metric {
            Some(m) => format!("{wall}, metric {m}"),
            None => wall,
        },
        AbOutcome::Failed { why, .. } => format!("failed after {wall} ({why})"),
        AbOutcome::TimedOut => format!("timed out after {wall}"),
        AbOutcome::NoMetric => format!("{wall}, but --metric did not match its output"),
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Reads all of `from`, keeping the last [`KEEP_OUTPUT`] bytes.
fn drain(mut from: impl Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut kept = Vec::new();
        let mut buf = [0u8; 64 << 10];
        while let Ok(n) = from.read(&mut buf) {
            if n == 0 {
                break;
            }
            kept.extend_from_slice(&buf[..n]);
            if kept.len() > 2 * KEEP_OUTPUT {
                kept.drain(..kept.len() - KEEP_OUTPUT);
            }
        }
        kept
    })
}

/// Signals the program's whole process group.
fn signal_group(pid: u32, signal: libc::c_int) {
    if let Ok(pid) = libc::pid_t::try_from(pid) {
        // SAFETY: kill only sends a signal; a negative pid names the group the child leads.
        unsafe { libc::kill(-pid, signal) };
    }
}

/// One run of the program under `backend`; `None` if the A/B was interrupted during it.
fn once(
    args: &AbArgs,
    backend: &str,
    round: u32,
    at: &Paths,
    metric: Option<&Regex>,
    stop: &AtomicBool,
    record: bool,
) -> anyhow::Result<Option<AbRun>> {
    let _ = std::fs::remove_file(&at.profile);
    let mut cmd = Command::new(&args.command[0]);
    cmd.args(&args.command[1..])
        .env(BACKEND_VAR, backend)
        .env(PROFILE_VAR, &at.profile)
        .env(RECORD_VAR, if record { "on" } else { "off" })
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group: a terminal's Ctrl-C reaches lockbench, which stops the
        // program (and anything it started) itself, giving it the time to write its profile.
        .process_group(0);
    let started = Instant::now();
    let mut child = cmd.spawn().map_err(|e| {
        UsageError::invalid(
            "command",
            &args.command[0],
            format!("cannot be started: {e}"),
        )
    })?;
    let pid = child.id();
    let out = drain(child.stdout.take().expect("piped"));
    let err = drain(child.stderr.take().expect("piped"));
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let status = child.wait();
        let _ = tx.send((status, Instant::now()));
    });
    let mut timed_out = false;
    let mut interrupted = false;
    let mut stopped_at: Option<Instant> = None;
    let (status, ended) = loop {
        match rx.recv_timeout(Duration::from_millis(50)) {
            Ok(done) => break done,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                anyhow::bail!("lost the wait for {}", args.command[0])
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        if stopped_at.is_none() {
            if started.elapsed() > args.max_time {
                timed_out = true;
            } else if stop.load(Ordering::Relaxed) {
                interrupted = true;
            }
            if timed_out || interrupted {
                signal_group(pid, libc::SIGTERM);
                stopped_at = Some(Instant::now());
            }
        } else if stopped_at.is_some_and(|t| t.elapsed() > STOP_GRACE) {
            signal_group(pid, libc::SIGKILL);
        }
    };
    let status = status?;
    let wall_ns = u64::try_from((ended - started).as_nanos()).unwrap_or(u64::MAX);
    let (out, err) = (
        out.join().unwrap_or_default(),
        err.join().unwrap_or_default(),
    );
    let mut log = out.clone();
    log.extend_from_slice(b"\n--- stderr ---\n");
    log.extend_from_slice(&err);
    let _ = std::fs::write(&at.log, &log);
    if interrupted {
        return Ok(None);
    }
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out),
        String::from_utf8_lossy(&err)
    );
    let found = metric.and_then(|re| {
        re.captures_iter(&text)
            .filter_map(|c| c.get(1))
            .filter_map(|m| m.as_str().replace([',', '_'], "").parse::<f64>().ok())
            .last()
    });
    let outcome = if timed_out {
        AbOutcome::TimedOut
    } else if !status.success() {
        let why = match (status.code(), status.signal()) {
            (Some(code), _) => format!("exit status {code}"),
            (None, Some(sig)) => format!(
                "ended by {}",
                signal_hook::low_level::signal_name(sig).unwrap_or("a signal")
            ),
            (None, None) => "ended".to_string(),
        };
        let stderr = String::from_utf8_lossy(&err);
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        AbOutcome::Failed {
            why,
            stderr_tail: lines[lines.len().saturating_sub(5)..].join("\n"),
        }
    } else if metric.is_some() && found.is_none() {
        AbOutcome::NoMetric
    } else {
        AbOutcome::Ok
    };
    let profile = super::profile::read(&at.profile).ok();
    let hottest = profile
        .as_ref()
        .and_then(|p| p.locks.first())
        .map(|l| AbHottest {
            name: l.name.clone(),
            contention: l.contention(),
            wait_p99_ns: l.wait.p99_ns,
            acquisitions: l.acquisitions,
        });
    Ok(Some(AbRun {
        backend: backend.to_string(),
        round,
        wall_ns,
        outcome,
        metric: found,
        profile: profile.map(|_| at.profile.display().to_string()),
        hottest,
    }))
}
