//! The probe in real programs: `examples/wordcount.rs` and `examples/cache.rs` run with their
//! locks chosen through `LOCKBENCH_BACKEND`, their profiles read back, and `lockbench profile`
//! and `lockbench ab` run over them (cargo builds the examples before the tests).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use lockbench::model::{Ended, Profile};

/// An example's binary, beside this test's in the target directory.
fn example(name: &str) -> PathBuf {
    let mut dir: PathBuf = std::env::current_exe().unwrap();
    dir.pop();
    if dir.ends_with("deps") {
        dir.pop();
    }
    dir.join("examples").join(name)
}

fn lockbench() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("lockbench").unwrap();
    cmd.timeout(Duration::from_secs(240));
    cmd
}

/// A text of 3,000 words: "alpha beta alpha", a thousand times.
fn corpus(dir: &Path) -> PathBuf {
    let path = dir.join("words.txt");
    std::fs::write(&path, "alpha beta alpha\n".repeat(1000)).unwrap();
    path
}

/// Runs `program` with the probe's variables and a bound; its exit code, stdout and stderr.
fn run(program: &Path, args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let out = assert_cmd::Command::new(program)
        .args(args)
        .env_remove("LOCKBENCH_RECORD")
        .envs(env.iter().copied())
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// Waits for `child`, which was sent SIGINT, to end; kills it and fails if it takes longer.
fn ended_within(
    child: &mut std::process::Child,
    bound: Duration,
    what: &str,
) -> std::process::ExitStatus {
    let began = Instant::now();
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        if began.elapsed() > bound {
            child.kill().unwrap();
            panic!("{what} did not end at SIGINT");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn read_profile(path: &Path) -> Profile {
    Profile::from_json(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn the_profile_counts_every_acquisition_of_every_lock_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let text = corpus(dir.path());
    let profile = dir.path().join("wc.json");
    let (code, stdout, stderr) = run(
        &example("wordcount"),
        &["--threads", "2", text.to_str().unwrap()],
        &[
            ("LOCKBENCH_BACKEND", "ticket"),
            ("LOCKBENCH_PROFILE", profile.to_str().unwrap()),
        ],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("words: 3000, distinct: 2"), "{stdout}");
    let p = read_profile(&profile);
    assert_eq!(p.backend.name, "ticket");
    assert_eq!(p.ended, Ended::Exit);
    assert!(p.recorded);
    assert_eq!(p.threads, 2);
    let lock = |name: &str| p.locks.iter().find(|l| l.name == name).unwrap();
    let counts = lock("counts");
    // One acquisition per word, and one for the merge of each thread's (empty) local map is
    // skipped: exactly the words.
    assert_eq!(counts.acquisitions, 3000);
    assert!(counts.named);
    assert_eq!(counts.backend, "ticket");
    // Every wait counted (an acquisition that found it free waited 0); holds sampled.
    assert_eq!(counts.wait.samples, 3000);
    assert!(counts.hold.samples >= 1 && counts.hold.samples < 3000);
    assert_eq!(p.hold_sampling, 64);
    assert!(counts.contended <= counts.acquisitions);
    assert!(counts.handoffs < counts.acquisitions);
    assert!(counts.threads >= 1 && counts.threads <= 2);
    // The queue: the one file, and each thread's pop that finds it empty.
    assert_eq!(lock("queue").acquisitions, 1 + 2);
    // Hottest first: the ordering is by time waited.
    assert!(p.locks[0].wait.total_ns >= p.locks[1].wait.total_ns);
}

#[test]
fn every_backend_a_guard_can_hold_runs_the_program_and_keeps_every_count() {
    let dir = tempfile::tempdir().unwrap();
    let text = corpus(dir.path());
    let list = lockbench().args(["list", "--json"]).output().unwrap();
    let list: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    let names: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_string())
        .collect();
    let mut ran = 0;
    for name in &names {
        let profile = dir.path().join(format!("{name}.json"));
        let (code, stdout, stderr) = run(
            &example("wordcount"),
            &["--threads", "2", text.to_str().unwrap()],
            &[
                ("LOCKBENCH_BACKEND", name),
                ("LOCKBENCH_PROFILE", profile.to_str().unwrap()),
            ],
        );
        if code == Some(2) && stderr.contains("cannot be a program's lock") {
            continue;
        }
        assert_eq!(code, Some(0), "{name}: {stderr}");
        assert!(
            stdout.contains("words: 3000, distinct: 2"),
            "{name}: {stdout}"
        );
        assert_eq!(read_profile(&profile).backend.name, *name);
        ran += 1;
    }
    assert_eq!(
        ran,
        lockbench_probe::format::PROBE_BACKENDS.len(),
        "every backend the probe names runs the program"
    );
}

#[test]
fn a_backend_the_program_cannot_use_is_refused_in_one_line_before_it_runs() {
    for (name, says) in [
        ("no-such-lock", "no such backend"),
        ("mcs", "cannot be a program's lock"),
        ("none", "cannot be a program's lock"),
        ("tokio", "cannot be a program's lock"),
    ] {
        let (code, stdout, stderr) = run(
            &example("cache"),
            &["--threads", "2", "--lookups", "1000"],
            &[("LOCKBENCH_BACKEND", name)],
        );
        assert_eq!(code, Some(2), "{name}: {stderr}");
        assert!(stdout.is_empty(), "{name} ran: {stdout}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(says), "{name}: {stderr}");
        assert!(
            stderr.contains("ticket"),
            "the names that can be are listed: {stderr}"
        );
    }
}

#[test]
fn a_program_that_panics_or_is_interrupted_still_leaves_its_profile() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("panic.json");
    let (code, _, stderr) = run(
        &example("cache"),
        &["--threads", "2", "--panic-after", "500"],
        &[("LOCKBENCH_PROFILE", profile.to_str().unwrap())],
    );
    assert_eq!(code, Some(101), "{stderr}");
    let p = read_profile(&profile);
    assert!(
        matches!(&p.ended, Ended::Panic { message } if message.contains("asked to panic")),
        "{:?}",
        p.ended
    );
    assert!(p.locks[0].acquisitions >= 500);

    let profile = dir.path().join("interrupted.json");
    let mut child = Command::new(example("cache"))
        .args(["--threads", "2", "--lookups", "1000000000"])
        .env("LOCKBENCH_PROFILE", &profile)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    // SAFETY: kill only sends a signal to the child we started.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = ended_within(&mut child, Duration::from_secs(30), "the program");
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(
        status.signal(),
        Some(libc::SIGINT),
        "it ends as SIGINT would"
    );
    let p = read_profile(&profile);
    assert_eq!(
        p.ended,
        Ended::Signal {
            signal: "SIGINT".into()
        }
    );
    assert!(p.locks[0].acquisitions > 0);
}

#[test]
fn lockbench_profile_shows_the_locks_and_refuses_bad_files_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("cache.json");
    let (code, _, stderr) = run(
        &example("cache"),
        &["--threads", "2", "--lookups", "20000", "--shards", "4"],
        &[("LOCKBENCH_PROFILE", profile.to_str().unwrap())],
    );
    assert_eq!(code, Some(0), "{stderr}");
    let html = dir.path().join("cache.html");
    let out = lockbench()
        .arg("profile")
        .arg(&profile)
        .arg("--html")
        .arg(&html)
        .output()
        .unwrap();
    assert!(out.status.success());
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("backend   parking-lot"), "{table}");
    let row = table.lines().find(|l| l.starts_with("lru ")).unwrap();
    assert!(
        row.split_whitespace().nth(1) == Some("4"),
        "4 objects: {row}"
    );
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<svg") && page.contains("wait (red) and hold (blue)"));

    let text = std::fs::read_to_string(&profile).unwrap();
    let truncated = dir.path().join("truncated.json");
    std::fs::write(&truncated, &text[..text.len() / 2]).unwrap();
    let newer = dir.path().join("newer.json");
    std::fs::write(&newer, text.replace("\"version\": 3,", "\"version\": 99,")).unwrap();
    let foreign = dir.path().join("foreign.json");
    std::fs::write(&foreign, "{\"schema\": \"something else\"}").unwrap();
    for (path, says) in [
        (dir.path().join("missing.json"), "cannot be read"),
        (truncated, "truncated"),
        (newer, "version 99, newer than this lockbench reads"),
        (foreign, "is not a lockbench profile"),
    ] {
        let out = lockbench().arg("profile").arg(&path).output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains(says), "{}: {err}", path.display());
    }
}

#[test]
fn ab_ranks_the_backends_in_the_program_itself_and_keeps_every_profile() {
    let dir = tempfile::tempdir().unwrap();
    let text = corpus(dir.path());
    let out_dir = dir.path().join("ab");
    let out = lockbench()
        .args([
            "ab",
            "--backends",
            "std,ticket",
            "--repeat",
            "3",
            "--max-time",
            "60s",
        ])
        .arg("--out")
        .arg(&out_dir)
        .arg("--metric")
        .arg("words per second: ([0-9]+)")
        .arg("--")
        .arg(example("wordcount"))
        .args(["--threads", "2", "--rounds", "3", text.to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ab: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("ab.json")).unwrap()).unwrap();
    let runs = ab["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 6);
    // Every round runs each backend once, in an order drawn from the recorded seed.
    assert!(ab["order_seed"].is_u64(), "{ab}");
    for round in 1..=3 {
        let mut of_round: Vec<&str> = runs
            .iter()
            .filter(|r| r["round"] == round)
            .map(|r| r["backend"].as_str().unwrap())
            .collect();
        of_round.sort_unstable();
        assert_eq!(of_round, ["std", "ticket"], "round {round}");
    }
    // The ranked runs record nothing (the probe costs least); their profiles are the frame.
    assert_eq!(ab["recorded"], false);
    for r in runs {
        assert_eq!(r["outcome"]["how"], "ok");
        assert!(r["metric"].as_f64().unwrap() > 0.0);
        let profile = read_profile(Path::new(r["profile"].as_str().unwrap()));
        assert_eq!(profile.backend.name, r["backend"].as_str().unwrap());
        assert!(!profile.recorded);
    }
    // One more run per backend records, for the table's hottest lock; it is not ranked.
    let profiled = ab["profiled"].as_array().unwrap();
    assert_eq!(profiled.len(), 2);
    for r in profiled {
        assert_eq!(r["round"], 0);
        let hottest = r["hottest"]["name"].as_str().unwrap();
        assert!(["counts", "queue"].contains(&hottest), "{hottest}");
        assert!(read_profile(Path::new(r["profile"].as_str().unwrap())).recorded);
    }
    assert_eq!(ab["ranking"].as_array().unwrap().len(), 2);
    assert!(stdout.contains("hottest lock"), "{stdout}");
}

#[test]
fn ab_never_ranks_a_run_that_failed_or_timed_out_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let out = lockbench()
        .args(["ab", "--backends", "std,ticket", "--repeat", "3"])
        .arg("--out")
        .arg(dir.path())
        .args([
            "--",
            "sh",
            "-c",
            "test \"$LOCKBENCH_BACKEND\" != ticket || { echo broke >&2; exit 7; }",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("ticket is not ranked: every run failed (exit status 7)"),
        "{stdout}"
    );
    let ab: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("ab.json")).unwrap()).unwrap();
    let ranked: Vec<&str> = ab["ranking"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["backend"].as_str().unwrap())
        .collect();
    assert_eq!(ranked, ["std"]);

    let began = Instant::now();
    let out = lockbench()
        .args([
            "ab",
            "--backends",
            "std",
            "--repeat",
            "2",
            "--max-time",
            "300ms",
        ])
        .arg("--out")
        .arg(dir.path())
        .args(["--", "sleep", "30"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(began.elapsed() < Duration::from_secs(20), "the bound held");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("failed under every backend") && err.contains("timed out"),
        "{err}"
    );
}

#[test]
fn ab_refuses_bad_input_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    for (args, says) in [
        (vec!["--", "/no/such/program"], "cannot be started"),
        (
            vec!["--backends", "mcs", "--", "true"],
            "a program's lock cannot be it",
        ),
        (
            vec!["--metric", "(unclosed", "--", "true"],
            "invalid --metric",
        ),
        (
            vec!["--metric", "no group", "--", "true"],
            "needs a capture group",
        ),
        (
            vec![
                "--backends",
                "std",
                "--repeat",
                "1",
                "--metric",
                "x: ([0-9]+)",
                "--",
                "true",
            ],
            "never matched",
        ),
    ] {
        let out = lockbench()
            .arg("ab")
            .arg("--out")
            .arg(dir.path())
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
        assert_eq!(
            err.lines().filter(|l| l.starts_with("error")).count(),
            1,
            "{err}"
        );
    }
}

#[test]
fn ab_interrupted_ends_the_program_it_runs_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pid");
    let script = format!("echo $$ > {}; exec sleep 30", pid_file.display());
    let mut ab = Command::new(assert_cmd::cargo::cargo_bin("lockbench"))
        .args(["ab", "--backends", "std,ticket", "--repeat", "5", "--out"])
        .arg(dir.path().join("ab"))
        .args(["--", "sh", "-c", &script])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let began = Instant::now();
    while !pid_file.exists()
        || std::fs::read_to_string(&pid_file)
            .unwrap()
            .trim()
            .is_empty()
    {
        assert!(
            began.elapsed() < Duration::from_secs(30),
            "the program never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let program: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // SAFETY: kill only sends a signal to the child we started.
    unsafe { libc::kill(ab.id() as i32, libc::SIGINT) };
    let status = ended_within(&mut ab, Duration::from_secs(30), "ab");
    assert_eq!(status.code(), Some(130));
    // SAFETY: signal 0 only asks whether the process exists.
    let alive = unsafe { libc::kill(program, 0) } == 0;
    assert!(!alive, "the program ab ran was left running");
    let mut stdout = String::new();
    std::io::Read::read_to_string(&mut ab.stdout.take().unwrap(), &mut stdout).unwrap();
    assert!(stdout.contains("interrupted"), "{stdout}");
}

#[test]
fn replay_sweeps_the_programs_contention_and_sets_it_beside_the_program() {
    let dir = tempfile::tempdir().unwrap();
    let profile = cache_profile(
        dir.path(),
        "cache.json",
        "20000",
        &[("LOCKBENCH_BACKEND", "ticket")],
    );
    let out = lockbench()
        .arg("replay")
        .arg(&profile)
        .args([
            "--backends",
            "std,ticket",
            "--repeat",
            "1",
            "--duration",
            "100ms",
            "--quiet",
        ])
        .arg("--out")
        .arg(dir.path().join("replay"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("threads 2:"), "{stdout}");
    assert!(stdout.contains("locks 1:"), "{stdout}");
    assert!(stdout.contains("Verdict"), "{stdout}");
    assert!(
        stdout.contains(
            "how closely the replay matched the program (its replayed locks, under ticket)"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("each drawn from the whole measured histogram"),
        "{stdout}"
    );
    assert!(stdout.contains("hand-offs"), "{stdout}");
    let results = std::fs::read_to_string(dir.path().join("replay").join("results.json")).unwrap();
    assert!(results.contains("\"locks\": 1"));
    assert!(
        results.contains("\"drawn\": true"),
        "the regime says it drew"
    );
    // The draws are the program's holds: their median is the profile's, to within the
    // histograms' resolution.
    let draws: lockbench::model::WorkDraws = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("replay").join("draws.json")).unwrap(),
    )
    .unwrap();
    let p: lockbench::model::Profile =
        serde_json::from_str(&std::fs::read_to_string(&profile).unwrap()).unwrap();
    let lru = p.locks.iter().find(|l| l.name == "lru").unwrap();
    let cs = &draws.locks[0].cs;
    let mean = cs
        .iter()
        .map(|b| (b.0 + b.1) as f64 / 2.0 * b.2 as f64)
        .sum::<f64>()
        / cs.iter().map(|b| b.2 as f64).sum::<f64>();
    assert!(
        (mean - lru.hold.mean_ns).abs() <= lru.hold.mean_ns * 0.07 + 2.0,
        "drawn mean hold {mean} ns, the program's {} ns: drawn whole, nothing cut",
        lru.hold.mean_ns
    );
    // Every sampled hold names its thread and object, and the holds of hand-offs are among
    // them (under ticket, with two threads, most acquisitions are hand-offs).
    let named: u64 = lru.uses.iter().map(|u| u.samples).sum();
    assert_eq!(named, lru.hold.samples, "{:?}", lru.uses);
    assert!(
        lru.uses
            .iter()
            .all(|u| (u.thread as usize) < p.threads && u.object == 0)
    );
    let handed = lru.hold_after_handoff.samples;
    assert!(
        handed > 0 && handed <= lru.hold.samples,
        "{handed} of {}",
        lru.hold.samples
    );
    assert!(
        lru.think.samples > 0,
        "the thinks after sampled holds are timed"
    );
    assert_eq!(draws.slots, vec![0]);
    assert_eq!(draws.workers.len(), 2, "each thread its own mix");
}

/// Replays `profile` on `backends` (one short repetition) and returns its sweep's results.
fn replayed(profile: &std::path::Path, backends: &str, out: &std::path::Path) -> serde_json::Value {
    let run = lockbench()
        .arg("replay")
        .arg(profile)
        .args([
            "--backends",
            backends,
            "--repeat",
            "1",
            "--duration",
            "100ms",
            "--quiet",
        ])
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap()
}

#[test]
fn a_replay_keeps_threads_to_their_own_locks_and_readers_shared() {
    let dir = tempfile::tempdir().unwrap();
    let profile = cache_profile(dir.path(), "cache.json", "20000", &[]);
    let mut p: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&profile).unwrap()).unwrap();
    // Two threads, each with an object of its own: the replay's threads never meet.
    let lru = &mut p["locks"][0];
    lru["instances"] = 2.into();
    lru["uses"] = serde_json::json!([
        {"thread": 0, "object": 0, "samples": 500, "shared": 0},
        {"thread": 1, "object": 1, "samples": 500, "shared": 0}
    ]);
    let own = dir.path().join("own.json");
    std::fs::write(&own, p.to_string()).unwrap();
    let r = replayed(&own, "std", &dir.path().join("own"));
    let point = &r["points"][0];
    assert_eq!(point["threads"], 2);
    assert_eq!(point["regime"]["locks"], 2);
    for rep in point["repetitions"].as_array().unwrap() {
        assert_eq!(
            rep["handoff_rate"], 0.0,
            "a thread's own lock is never handed over"
        );
    }
    // A read-mostly reader-writer lock: replayed with readers, at its share of reads.
    let lru = &mut p["locks"][0];
    lru["kind"] = "rwlock".into();
    let all = lru["acquisitions"].as_u64().unwrap();
    lru["shared_acquisitions"] = (all * 99 / 100).into();
    lru["uses"] = serde_json::json!([
        {"thread": 0, "object": 0, "samples": 500, "shared": 495},
        {"thread": 1, "object": 0, "samples": 500, "shared": 495}
    ]);
    let read_mostly = dir.path().join("read-mostly.json");
    std::fs::write(&read_mostly, p.to_string()).unwrap();
    let r = replayed(&read_mostly, "std-rwlock", &dir.path().join("read-mostly"));
    assert_eq!(
        r["settings"]["workload"]["name"], "rw",
        "{}",
        r["settings"]["workload"]
    );
    let rep = &r["points"][0]["repetitions"][0];
    let share = rep["reads_per_sec"].as_f64().unwrap() / rep["ops_per_sec"].as_f64().unwrap();
    assert!((0.97..=1.0).contains(&share), "reads {share}");
}

#[test]
fn replay_with_fixed_work_replays_the_means() {
    let dir = tempfile::tempdir().unwrap();
    let profile = cache_profile(dir.path(), "cache.json", "20000", &[]);
    let out = lockbench()
        .arg("replay")
        .arg(&profile)
        .args(["--backends", "std", "--repeat", "1", "--duration", "50ms"])
        .args(["--quiet", "--fixed-work", "--out"])
        .arg(dir.path().join("fixed"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("fixed at the means"), "{stdout}");
    let fixed: lockbench::model::WorkDraws = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("fixed").join("draws.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(fixed.locks[0].cs.len(), 1, "one length: the mean");
    // An A/B to set beside that is not one is refused in one line, before anything runs.
    let out = lockbench()
        .arg("replay")
        .arg(&profile)
        .arg("--against")
        .arg(&profile)
        .arg("--out")
        .arg(dir.path().join("against"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("cannot be read as an A/B"), "{err}");
    assert!(!dir.path().join("against").exists(), "nothing ran");
}

#[test]
fn a_profile_with_nothing_recorded_cannot_be_replayed() {
    let dir = tempfile::tempdir().unwrap();
    let bare = cache_profile(
        dir.path(),
        "bare.json",
        "1000",
        &[("LOCKBENCH_RECORD", "off")],
    );
    let out = lockbench().arg("replay").arg(&bare).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("LOCKBENCH_RECORD=off"), "{err}");
}

/// Runs the cache example (2 threads, `lookups`) under the probe with `env`, its profile at
/// `dir/name`; returns the profile's path.
fn cache_profile(
    dir: &std::path::Path,
    name: &str,
    lookups: &str,
    env: &[(&str, &str)],
) -> std::path::PathBuf {
    let profile = dir.join(name);
    let mut all = vec![("LOCKBENCH_PROFILE", profile.to_str().unwrap())];
    all.extend_from_slice(env);
    let (code, _, stderr) = run(
        &example("cache"),
        &["--threads", "2", "--lookups", lookups],
        &all,
    );
    assert_eq!(code, Some(0), "{stderr}");
    profile
}
