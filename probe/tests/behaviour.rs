//! The probe never changes what the program does: a program's own signal handling, panics
//! caught or not, a first lock taken while unwinding, a profile that cannot be written. Each
//! case runs as a program of its own (this test binary, re-run on its ignored `scenario`
//! test with the case named in `PROBE_SCENARIO`), bounded in time.

#![cfg(feature = "enabled")]

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use lockbench_probe::format::{Ended, Profile};
use lockbench_probe::{BACKEND_VAR, Mutex, PROFILE_VAR};

const SCENARIO_VAR: &str = "PROBE_SCENARIO";

static LOCK: Mutex<u64> = Mutex::new(0);

/// A fresh path for a scenario's profile.
fn profile_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lockbench-probe-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let path = dir.join(format!("{name}.json"));
    let _ = std::fs::remove_file(&path);
    path
}

/// Runs scenario `name` in a process of its own, at most 60 s; its status and stderr.
fn run(name: &str, profile: &Path) -> (ExitStatus, String) {
    run_under(name, profile, None)
}

/// As [`run`], under `backend` when one is named.
fn run_under(name: &str, profile: &Path, backend: Option<&str>) -> (ExitStatus, String) {
    let mut cmd = Command::new(std::env::current_exe().expect("this test's binary"));
    cmd.env_remove(BACKEND_VAR);
    if let Some(b) = backend {
        cmd.env(BACKEND_VAR, b);
    }
    let mut child = cmd
        .args([
            "--ignored",
            "--exact",
            "scenario",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(SCENARIO_VAR, name)
        .env(PROFILE_VAR, profile)
        .env("RUST_BACKTRACE", "0")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the scenario starts");
    let mut err = child.stderr.take().expect("piped");
    let drained = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut err, &mut text);
        text
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("waitable") {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("scenario {name} did not end within 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (status, drained.join().unwrap_or_default())
}

fn read(profile: &Path) -> Profile {
    let text = std::fs::read_to_string(profile).expect("the profile was written");
    Profile::from_json(&text).expect("a readable profile")
}

#[test]
fn a_program_that_handles_sigterm_itself_shuts_down_as_it_would_without_the_probe() {
    for case in ["sigterm-chained", "sigterm-replaced"] {
        let path = profile_path(case);
        let (status, stderr) = run(case, &path);
        assert!(status.success(), "{case}: {status:?}, stderr: {stderr}");
        assert_eq!(
            read(&path).ended,
            Ended::Exit,
            "{case}: written at its exit"
        );
    }
}

#[test]
fn a_sigterm_left_at_its_default_ends_the_program_after_the_profile_is_written() {
    use std::os::unix::process::ExitStatusExt;
    let path = profile_path("sigterm-default");
    let (status, stderr) = run("sigterm-default", &path);
    assert_eq!(status.signal(), Some(libc::SIGTERM), "{stderr}");
    assert_eq!(
        read(&path).ended,
        Ended::Signal {
            signal: "SIGTERM".into()
        }
    );
}

#[test]
fn a_first_lock_taken_while_unwinding_does_not_abort_the_program() {
    let path = profile_path("unwinding");
    let (status, stderr) = run("unwinding", &path);
    assert!(status.success(), "{status:?}, stderr: {stderr}");
    let p = read(&path);
    assert_eq!(p.ended, Ended::Exit, "the panic was caught");
    assert!(p.locks.iter().any(|l| l.acquisitions >= 2));
}

#[test]
fn caught_panics_write_no_profile_and_do_not_mark_the_run() {
    let path = profile_path("caught");
    let (status, stderr) = run("caught", &path);
    assert!(status.success(), "{status:?}, stderr: {stderr}");
    assert_eq!(read(&path).ended, Ended::Exit);
}

#[test]
fn a_panic_that_ends_a_thread_or_the_program_still_leaves_its_profile() {
    let path = profile_path("thread");
    let (status, stderr) = run("thread", &path);
    assert!(status.success(), "{status:?}, stderr: {stderr}");
    let p = read(&path);
    assert_eq!(
        p.ended,
        Ended::Exit,
        "the program went on after its thread's panic"
    );
    assert!(
        p.threads >= 2,
        "the thread that panicked is counted: {}",
        p.threads
    );

    let path = profile_path("main");
    let (status, stderr) = run("main", &path);
    assert_eq!(status.code(), Some(101), "{stderr}");
    match read(&path).ended {
        Ended::Panic { message } => assert!(message.contains("on purpose"), "{message}"),
        other => panic!("ended {other:?}"),
    }
}

#[test]
fn a_profile_that_cannot_be_written_is_said_in_one_line_and_nothing_hangs() {
    let path = Path::new("/nonexistent-lockbench-dir/profile.json");
    let (status, stderr) = run("unwritable", path);
    assert!(status.success(), "{status:?}");
    assert!(
        stderr.contains("lockbench probe: cannot write the profile"),
        "{stderr}"
    );
}

#[test]
fn an_installed_lock_whose_making_panics_can_be_made_again() {
    let path = profile_path("make-panics");
    let (status, stderr) = run_under("make-panics", &path, Some("flaky"));
    assert!(status.success(), "{status:?}, stderr: {stderr}");
}

/// A lock of the program's own whose first making panics.
struct Flaky(AtomicBool);

// SAFETY: a test-and-set lock: one swap from false to true admits one holder; Acquire and
// Release order the holders.
unsafe impl lockbench_probe::DynLock for Flaky {
    fn lock(&self, shared: bool) {
        while !self.try_lock(shared) {
            std::thread::yield_now();
        }
    }
    fn try_lock(&self, _shared: bool) -> bool {
        !self.0.swap(true, Ordering::Acquire)
    }
    unsafe fn unlock(&self, _shared: bool) {
        self.0.store(false, Ordering::Release);
    }
}

static MADE: AtomicUsize = AtomicUsize::new(0);

fn flaky() -> Box<dyn lockbench_probe::DynLock> {
    // The first is asked for by `install` itself; the second, at the lock's first use, panics.
    if MADE.fetch_add(1, Ordering::SeqCst) == 1 {
        panic!("on purpose, making the lock");
    }
    Box::new(Flaky(AtomicBool::new(false)))
}

/// The old action of the chained handler's signal.
static OLD: AtomicUsize = AtomicUsize::new(0);
static SEEN: AtomicBool = AtomicBool::new(false);

extern "C" fn chained(signal: libc::c_int) {
    SEEN.store(true, Ordering::SeqCst);
    let old = OLD.load(Ordering::SeqCst);
    if old != libc::SIG_DFL && old != libc::SIG_IGN {
        // SAFETY: a handler installed with sa_handler semantics (the probe's), called as the
        // kernel would have.
        let f: extern "C" fn(libc::c_int) = unsafe { std::mem::transmute(old) };
        f(signal);
    }
}

extern "C" fn replaced(_: libc::c_int) {
    SEEN.store(true, Ordering::SeqCst);
}

/// Installs `handler` for SIGTERM, keeping the old action, as signal-hook does.
fn handle_sigterm(handler: extern "C" fn(libc::c_int)) {
    // SAFETY: zeroed sigactions are valid; the handlers only touch atomics and call the old
    // handler.
    unsafe {
        let mut new: libc::sigaction = std::mem::zeroed();
        new.sa_sigaction = handler as libc::sighandler_t;
        libc::sigemptyset(&mut new.sa_mask);
        let mut old: libc::sigaction = std::mem::zeroed();
        assert_eq!(libc::sigaction(libc::SIGTERM, &new, &mut old), 0);
        OLD.store(old.sa_sigaction, Ordering::SeqCst);
    }
}

fn sigterm_self() {
    // SAFETY: sends a signal to this process.
    unsafe { libc::kill(libc::getpid(), libc::SIGTERM) };
}

/// Takes the probe's first lock as it is dropped.
struct LockOnDrop;

impl Drop for LockOnDrop {
    fn drop(&mut self) {
        *LOCK.lock() += 1;
    }
}

#[test]
#[ignore = "a scenario, run in a process of its own by the tests above"]
fn scenario() {
    let Ok(name) = std::env::var(SCENARIO_VAR) else {
        return;
    };
    match name.as_str() {
        "sigterm-chained" | "sigterm-replaced" => {
            *LOCK.lock() += 1;
            handle_sigterm(if name == "sigterm-chained" {
                chained
            } else {
                replaced
            });
            sigterm_self();
            let until = Instant::now() + Duration::from_secs(10);
            while !SEEN.load(Ordering::SeqCst) && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(5));
            }
            assert!(SEEN.load(Ordering::SeqCst), "the program's handler ran");
            // A graceful shutdown: still locking, then returning.
            std::thread::sleep(Duration::from_millis(200));
            *LOCK.lock() += 1;
        }
        "sigterm-default" => {
            *LOCK.lock() += 1;
            sigterm_self();
            std::thread::sleep(Duration::from_secs(20));
        }
        "unwinding" => {
            let caught = std::panic::catch_unwind(|| {
                let _taken_while_unwinding = LockOnDrop;
                panic!("on purpose, before the first lock");
            });
            assert!(caught.is_err());
            *LOCK.lock() += 1;
        }
        "caught" => {
            *LOCK.lock() += 1;
            let path = std::env::var_os(PROFILE_VAR).expect("set by the parent");
            for _ in 0..200 {
                let _ = std::panic::catch_unwind(|| panic!("on purpose, caught"));
            }
            assert!(
                !Path::new(&path).exists(),
                "a caught panic writes no profile"
            );
        }
        "thread" => {
            let died = std::thread::spawn(|| {
                *LOCK.lock() += 1;
                panic!("on purpose, in a thread");
            })
            .join();
            assert!(died.is_err());
            *LOCK.lock() += 1;
        }
        "main" => {
            *LOCK.lock() += 1;
            panic!("on purpose, ending the program");
        }
        "unwritable" => *LOCK.lock() += 1,
        "make-panics" => {
            lockbench_probe::install("flaky", "a lock whose first making panics", flaky)
                .expect("installed before the first lock");
            let first = std::panic::catch_unwind(|| *LOCK.lock() += 1);
            assert!(first.is_err(), "the first making panicked");
            // Not left waiting forever: made again, and used.
            *LOCK.lock() += 1;
            *LOCK.lock() += 1;
            assert_eq!(*LOCK.lock(), 2);
        }
        other => panic!("no scenario {other}"),
    }
}
