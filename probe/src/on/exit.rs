//! Writing the profile: at exit, at a signal that would end the program, on demand; and never
//! in a way that changes what the program does.
//!
//! - At exit (glibc's `on_exit`, which also says the exit status: 101 after a panic in
//!   `main`), with `ended: panic` only when the program ends by one.
//! - A signal the program left at its default action (SIGINT, SIGTERM, SIGHUP; SIGUSR1 writes
//!   on demand): the probe's handler only writes a byte to a pipe; a thread of the probe's
//!   writes the profile, then ends the program as the default action would have. A program
//!   that takes the signal itself later (with `sigaction`, or chaining to the previous handler
//!   as signal-hook and tokio do) keeps it: the probe's handler then does nothing, and the
//!   profile is written at the program's exit.
//! - A panic is noted by a hook (chained to the program's), never written from it: a caught
//!   panic costs the note only. Built with `panic = "abort"`, the hook writes, since no exit
//!   follows (without waiting: if a write is under way, none).
//! - The writer holds its lock only with a bounded wait, and a panic inside it is caught.

use std::io::Read;
use std::os::fd::FromRawFd;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::time::Duration;

use super::backend::{self, Kind};
use super::record::{self, SiteRec, ThreadUse};
use super::{FRAME, STARTED, condvar};
use crate::format::{
    Ended, LockProfile, LockUse, PROFILE_FORMAT, PROFILE_VERSION, Profile, ProfileBackend,
};
use crate::{PROFILE_VAR, ProbeError};

/// Writes the profile now (to `LOCKBENCH_PROFILE`), and returns where: the program's own "on
/// demand". The exit's write replaces it.
pub fn write_profile() -> Result<PathBuf, ProbeError> {
    write(Ended::OnDemand, Some(Duration::from_secs(10)))
}

/// Writes the profile, whole or not at all (to a file beside it, renamed over it); waits at
/// most `wait` for another write to end (`None`: not at all).
fn write(ended: Ended, wait: Option<Duration>) -> Result<PathBuf, ProbeError> {
    static WRITING: parking_lot::Mutex<()> = parking_lot::Mutex::new(());
    let asked = backend::asked()?;
    let Some(path) = asked.profile.clone() else {
        return Err(ProbeError(format!(
            "no profile is asked for: set {PROFILE_VAR} to a file's path"
        )));
    };
    let held = match wait {
        Some(d) => WRITING.try_lock_for(d),
        None => WRITING.try_lock(),
    };
    let Some(_one_at_a_time) = held else {
        return Err(ProbeError(
            "another write of the profile is under way".into(),
        ));
    };
    let text = serde_json::to_string_pretty(&profile(ended))
        .map_err(|e| ProbeError(format!("cannot encode the profile: {e}")))?;
    put(&path, &text).map_err(|e| {
        ProbeError(format!(
            "cannot write the profile to {}: {e}",
            path.display()
        ))
    })?;
    Ok(path)
}

fn put(path: &Path, text: &str) -> std::io::Result<()> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(format!(".partial-{}", std::process::id()));
    std::fs::write(&partial, text)?;
    std::fs::rename(&partial, path)
}

/// Writes, saying on stderr why not if it cannot: a profile is never silently missing. A
/// panic inside is caught and said too.
fn write_or_say(ended: Ended) {
    let wrote = std::panic::catch_unwind(|| write(ended, Some(Duration::from_secs(10))));
    match wrote {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => eprintln!("lockbench probe: {e}"),
        Err(_) => eprintln!("lockbench probe: the profile's writer failed; no profile written"),
    }
}

/// Makes the profile as of now.
fn profile(ended: Ended) -> Profile {
    let (locks, threads) = merged();
    let named = FRAME
        .get()
        .cloned()
        .unwrap_or_else(|| backend::of_default(Kind::Std));
    Profile {
        format: PROFILE_FORMAT.to_string(),
        version: PROFILE_VERSION,
        lockbench_version: env!("CARGO_PKG_VERSION").to_string(),
        program: std::env::args().collect(),
        readers_share: named.kind.shares(),
        backend: ProfileBackend {
            name: named.name,
            summary: named.summary,
        },
        recorded: backend::asked().is_ok_and(|a| a.record),
        ended,
        wall_ns: STARTED.get().map_or(0, |t| {
            u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX)
        }),
        threads,
        // Relaxed: a tally, read once here.
        unrecorded: record::UNRECORDED.load(Ordering::Relaxed),
        locks,
        condvars: condvar::profiles(),
        hold_sampling: record::HOLD_SAMPLING,
        environment: super::facts::capture(),
    }
}

/// Every lock's figures over every thread, hottest first (most time waited), and how many
/// threads took a probe lock.
fn merged() -> (Vec<LockProfile>, usize) {
    let reg = record::registry().lock();
    let sites = super::sites::sites().lock();
    let mut totals: Vec<Option<Box<SiteRec>>> = (0..sites.all.len()).map(|_| None).collect();
    let mut add = |site: u32, r: &SiteRec| {
        if let Some(slot) = totals.get_mut(site as usize) {
            slot.get_or_insert_with(|| Box::new(SiteRec::new()))
                .merge(r);
        }
    };
    for rec in &reg.live {
        rec.each(&mut add);
    }
    reg.retired.each(&mut add);
    // Every thread's use of each site: the live ones', then the ended ones'.
    let threads: Vec<Vec<ThreadUse>> = reg
        .live
        .iter()
        .map(|rec| ThreadUse::of(rec))
        .chain(reg.retired_uses.iter().cloned())
        .collect();
    let mut uses: Vec<(Vec<u64>, Vec<LockUse>)> =
        (0..sites.all.len()).map(|_| Default::default()).collect();
    for (thread, sites_used) in threads.iter().enumerate() {
        for u in sites_used {
            if let Some((users, objects)) = uses.get_mut(u.site as usize) {
                users.push(u.acquisitions);
                objects.extend(u.objects.iter().map(|&(object, samples, shared)| LockUse {
                    thread: u32::try_from(thread).unwrap_or(u32::MAX),
                    object,
                    samples,
                    shared,
                }));
            }
        }
    }
    let mut out: Vec<LockProfile> = sites
        .all
        .iter()
        .zip(totals)
        .zip(uses)
        .map(|((site, total), (users, objects))| {
            let t = total.unwrap_or_else(|| Box::new(SiteRec::new()));
            lock_profile(site, &t, users, objects)
        })
        .collect();
    out.sort_by(|a, b| {
        b.wait
            .total_ns
            .cmp(&a.wait.total_ns)
            .then(b.acquisitions.cmp(&a.acquisitions))
    });
    (out, threads.len())
}

fn lock_profile(
    site: &super::sites::Site,
    t: &SiteRec,
    mut users: Vec<u64>,
    mut objects: Vec<LockUse>,
) -> LockProfile {
    let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let acquisitions = load(&t.acquisitions);
    // An acquisition that found the lock free waited 0: not timed, so counted here.
    t.wait
        .record_n(0, acquisitions.saturating_sub(load(&t.contended)));
    users.retain(|&n| n > 0);
    users.sort_unstable_by(|a, b| b.cmp(a));
    objects.sort_unstable_by(|a, b| {
        b.samples
            .cmp(&a.samples)
            .then(a.thread.cmp(&b.thread))
            .then(a.object.cmp(&b.object))
    });
    let (first, last) = (load(&t.first), load(&t.last));
    LockProfile {
        name: site.label.clone(),
        named: site.named,
        kind: site.kind,
        backend: site.backend.clone(),
        instances: site.instances,
        threads: users.len(),
        thread_acquisitions: users,
        acquisitions,
        shared_acquisitions: load(&t.shared),
        contended: load(&t.contended),
        refused_tries: load(&t.refused),
        handoffs: load(&t.handoffs),
        waiters_mean: load(&t.waiters_sum) as f64 / acquisitions.max(1) as f64,
        waiters_max: load(&t.waiters_max),
        wait: t.wait.distribution(),
        hold: t.hold.distribution(),
        hold_after_handoff: t.hold_handed.distribution(),
        gap: t.gap.distribution(),
        think: t.think.distribution(),
        uses: objects,
        active_ns: last.saturating_sub(first.min(last)),
    }
}

/// The first panic's message (the program may go on; it ends by one only with status 101).
static PANICKED: OnceLock<String> = OnceLock::new();

fn at_exit(status: Option<i32>) {
    let ended = match (status, PANICKED.get()) {
        (Some(101) | None, Some(message)) => Ended::Panic {
            message: message.clone(),
        },
        _ => Ended::Exit,
    };
    write_or_say(ended);
}

#[cfg(target_env = "gnu")]
mod exit_hook {
    use std::ffi::{c_int, c_void};

    unsafe extern "C" {
        /// glibc's `on_exit`: as `atexit`, with the exit status.
        fn on_exit(f: extern "C" fn(c_int, *mut c_void), arg: *mut c_void) -> c_int;
    }

    extern "C" fn at_exit(status: c_int, _: *mut c_void) {
        // Nothing may unwind out of an exit handler (`write_or_say` catches its own panics).
        let _ = std::panic::catch_unwind(|| super::at_exit(Some(status)));
    }

    pub(super) fn arrange() -> bool {
        // SAFETY: `at_exit` is an `extern "C"` function that never unwinds.
        unsafe { on_exit(at_exit, std::ptr::null_mut()) == 0 }
    }
}

#[cfg(not(target_env = "gnu"))]
mod exit_hook {
    extern "C" fn at_exit() {
        // Nothing may unwind out of an exit handler.
        let _ = std::panic::catch_unwind(|| super::at_exit(None));
    }

    pub(super) fn arrange() -> bool {
        // SAFETY: `at_exit` is an `extern "C"` function that never unwinds.
        unsafe { libc::atexit(at_exit) == 0 }
    }
}

/// Arranges the writes: at exit, at the signals the program has left at their default, and
/// the panic note.
pub(super) fn arrange() {
    if !exit_hook::arrange() {
        eprintln!("lockbench probe: cannot arrange the write at exit; call write_profile");
    }
    // Installing a panic hook while this thread unwinds would abort: then the signal thread
    // installs it.
    let now = !std::thread::panicking();
    if now {
        note_panics();
    }
    watch_signals(!now);
}

fn note_panics() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        previous(info);
        let _ = PANICKED.set(info.to_string());
        if cfg!(panic = "abort") {
            // No exit follows an abort: write now, but never wait for another write.
            let ended = Ended::Panic {
                message: info.to_string(),
            };
            if let Err(e) = write(ended, None) {
                eprintln!("lockbench probe: {e}");
            }
        }
    }));
}

/// The signals the probe writes at, where the program has left them at their default.
const SIGNALS: [(libc::c_int, &str); 4] = [
    (libc::SIGINT, "SIGINT"),
    (libc::SIGTERM, "SIGTERM"),
    (libc::SIGHUP, "SIGHUP"),
    (libc::SIGUSR1, "SIGUSR1"),
];

/// The write end of the pipe the handler writes a signal's number to (-1: none).
static PIPE: AtomicI32 = AtomicI32::new(-1);
/// The process that took the signals (a forked child has the handler, not the thread).
static PID: AtomicI32 = AtomicI32::new(0);

/// Whether `signal`'s handler is the probe's now.
fn ours(signal: libc::c_int) -> bool {
    // SAFETY: a zeroed sigaction is a valid out-parameter; a null new action only reads
    // (async-signal-safe).
    unsafe {
        let mut now: libc::sigaction = std::mem::zeroed();
        libc::sigaction(signal, std::ptr::null(), &mut now) == 0
            && now.sa_sigaction == on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t
    }
}

extern "C" fn on_signal(signal: libc::c_int) {
    // Only async-signal-safe calls here, and errno as it was found.
    // SAFETY: errno's location is this thread's, valid for its life.
    let errno = unsafe { *libc::__errno_location() };
    // A handler the program installed over the probe's and chained to it has the signal:
    // leave it to the program.
    if ours(signal) {
        // Relaxed (both): set before the handler was installed (sigaction orders them).
        // SAFETY: getpid is async-signal-safe.
        if PID.load(Ordering::Relaxed) != unsafe { libc::getpid() } {
            // A forked child: its parent's probe thread is not here; the default action, as
            // without the probe.
            // SAFETY: signal and raise are async-signal-safe.
            unsafe {
                libc::signal(signal, libc::SIG_DFL);
                libc::raise(signal);
            }
        } else {
            let byte = signal as u8;
            let fd = PIPE.load(Ordering::Relaxed);
            // SAFETY: one byte from a live local; write(2) is async-signal-safe (and the pipe
            // does not block: a flood of signals drops bytes, not the handler's thread).
            let _ = unsafe { libc::write(fd, std::ptr::from_ref(&byte).cast(), 1) };
        }
    }
    // SAFETY: as above.
    unsafe { *libc::__errno_location() = errno };
}

/// Starts the signal thread (which notes panics first, when `hook`) and takes the signals
/// the program left at their default.
fn watch_signals(hook: bool) {
    let mut fds = [0; 2];
    // SAFETY: `fds` is writable for two descriptors.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        eprintln!("lockbench probe: cannot watch for signals: an interrupt leaves no profile");
        return;
    }
    // SAFETY: the write end is ours; O_NONBLOCK only changes how a full pipe answers.
    unsafe { libc::fcntl(fds[1], libc::F_SETFL, libc::O_NONBLOCK) };
    // Relaxed (both): published to the handler by the sigaction calls below.
    PIPE.store(fds[1], Ordering::Relaxed);
    // SAFETY: getpid cannot fail.
    PID.store(unsafe { libc::getpid() }, Ordering::Relaxed);
    // SAFETY: the read end is ours alone from here.
    let reader = unsafe { std::fs::File::from_raw_fd(fds[0]) };
    let spawned = std::thread::Builder::new()
        .name("lockbench-probe".into())
        .spawn(move || {
            // No signal is this thread's to take: a program that blocks a signal in its own
            // threads to collect it (sigwait, signalfd) still gets it.
            // SAFETY: a full set, and a null old set; pthread_sigmask only changes this thread.
            unsafe {
                let mut all: libc::sigset_t = std::mem::zeroed();
                libc::sigfillset(&mut all);
                libc::pthread_sigmask(libc::SIG_BLOCK, &all, std::ptr::null_mut());
            }
            if hook {
                note_panics();
            }
            signal_thread(reader)
        });
    if spawned.is_err() {
        eprintln!(
            "lockbench probe: cannot start its signal thread: an interrupt leaves no profile"
        );
        return;
    }
    for (signal, _) in SIGNALS {
        take(signal);
    }
}

/// Takes `signal` if the program left it at its default action.
fn take(signal: libc::c_int) {
    // SAFETY: zeroed sigactions are valid; the handler is an `extern "C" fn(c_int)` that only
    // makes async-signal-safe calls.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        if libc::sigaction(signal, std::ptr::null(), &mut old) != 0
            || old.sa_sigaction != libc::SIG_DFL
        {
            return;
        }
        let mut new: libc::sigaction = std::mem::zeroed();
        new.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        new.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut new.sa_mask);
        libc::sigaction(signal, &new, std::ptr::null_mut());
    }
}

fn signal_thread(mut reader: std::fs::File) {
    let mut byte = [0u8];
    while reader.read_exact(&mut byte).is_ok() {
        let signal = libc::c_int::from(byte[0]);
        let Some((_, name)) = SIGNALS.iter().find(|(s, _)| *s == signal) else {
            continue;
        };
        if signal == libc::SIGUSR1 {
            write_or_say(Ended::OnDemand);
            continue;
        }
        write_or_say(Ended::Signal {
            signal: (*name).to_string(),
        });
        // End the program as the default action would have, unless it took the signal since.
        if ours(signal) {
            // SAFETY: restoring the default action, then sending the signal to the process.
            unsafe {
                libc::signal(signal, libc::SIG_DFL);
                libc::kill(libc::getpid(), signal);
            }
        }
    }
}
