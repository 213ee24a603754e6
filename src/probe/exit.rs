//! Writing the profile: at exit, at a panic, at a signal that ends the program, and on demand.

use std::path::{Path, PathBuf};

use super::{FRAME, ProbeError, STARTED, choice, record};
use crate::model::profile::{PROFILE_FORMAT, PROFILE_VERSION};
use crate::model::{Ended, Profile};
use crate::runner::affinity::Topology;

/// Writes the profile now (to `LOCKBENCH_PROFILE`), and returns where: the program's own
/// "on demand". The exit's write replaces it.
pub fn write_profile() -> Result<PathBuf, ProbeError> {
    write(Ended::OnDemand)
}

/// Makes the profile as of now.
fn profile(ended: Ended) -> Profile {
    let (locks, threads, unrecorded) = record::merged();
    let (backend, readers_share) = FRAME.get().cloned().unwrap_or_else(|| {
        let asked = choice::asked().ok().and_then(|a| a.backend.clone());
        let chosen = choice::resolve(asked.as_deref().unwrap_or("std"))
            .or_else(|_| choice::resolve("std"))
            .expect("std is a probe backend");
        (chosen.facts, chosen.shares)
    });
    Profile {
        format: PROFILE_FORMAT.to_string(),
        version: PROFILE_VERSION,
        lockbench_version: env!("CARGO_PKG_VERSION").to_string(),
        program: std::env::args().collect(),
        backend,
        readers_share,
        recorded: choice::asked().is_ok_and(|a| a.record),
        ended,
        wall_ns: STARTED.get().map_or(0, |t| {
            u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX)
        }),
        threads,
        unrecorded,
        locks,
        environment: crate::environment::capture_facts(&Topology::detect()),
    }
}

/// Writes the profile, whole or not at all: to a file beside it, then renamed over it.
fn write(ended: Ended) -> Result<PathBuf, ProbeError> {
    static WRITING: parking_lot::Mutex<()> = parking_lot::Mutex::new(());
    let asked = choice::asked().map_err(|w| ProbeError(w.to_string()))?;
    let Some(path) = asked.profile.clone() else {
        return Err(ProbeError(format!(
            "no profile is asked for: set {} to a file's path",
            choice::PROFILE_VAR
        )));
    };
    let _one_at_a_time = WRITING.lock();
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

/// Writes, saying on stderr why not if it cannot: a profile is never silently missing.
fn write_or_say(ended: Ended) {
    if let Err(e) = write(ended) {
        eprintln!("lockbench probe: {e}");
    }
}

/// The first panic's message: a program that exits after a panic (its `main` panicked, or it
/// went on) has its profile say so.
static PANICKED: std::sync::OnceLock<String> = std::sync::OnceLock::new();

extern "C" fn at_exit() {
    let ended = match PANICKED.get() {
        Some(message) => Ended::Panic {
            message: message.clone(),
        },
        None => Ended::Exit,
    };
    // Nothing may unwind out of an atexit handler.
    if std::panic::catch_unwind(|| write_or_say(ended)).is_err() {
        eprintln!("lockbench probe: the profile could not be written at exit");
    }
}

/// Arranges the writes: at exit, at a panic, at the signals that end a program (where the
/// program has not taken them itself), and SIGUSR1 for one on demand.
pub(super) fn arrange() {
    // SAFETY: `at_exit` is an `extern "C" fn()` that never unwinds.
    if unsafe { libc::atexit(at_exit) } != 0 {
        eprintln!("lockbench probe: cannot arrange the write at exit; call probe::write_profile");
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        previous(info);
        let message = info.to_string();
        let _ = PANICKED.set(message.clone());
        write_or_say(Ended::Panic { message });
    }));
    let signals: Vec<libc::c_int> = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGUSR1]
        .into_iter()
        .filter(|&s| untaken(s))
        .collect();
    if signals.is_empty() {
        return;
    }
    let mut watch = match signal_hook::iterator::Signals::new(&signals) {
        Ok(w) => w,
        Err(e) => {
            eprintln!(
                "lockbench probe: cannot watch for signals ({e}): an interrupt leaves no profile"
            );
            return;
        }
    };
    let spawned = std::thread::Builder::new()
        .name("lockbench-probe-signals".into())
        .spawn(move || {
            for signal in watch.forever() {
                if signal == libc::SIGUSR1 {
                    write_or_say(Ended::OnDemand);
                    continue;
                }
                let name = signal_hook::low_level::signal_name(signal)
                    .unwrap_or("a signal")
                    .to_string();
                write_or_say(Ended::Signal { signal: name });
                // Ends the program as the signal would have, now that the profile is out.
                if signal_hook::low_level::emulate_default_handler(signal).is_err() {
                    std::process::exit(128 + signal);
                }
            }
        });
    if spawned.is_err() {
        eprintln!("lockbench probe: cannot start the signal watch: an interrupt leaves no profile");
    }
}

/// Whether `signal` still has its default action (the program has not taken or ignored it).
fn untaken(signal: libc::c_int) -> bool {
    // SAFETY: a zeroed sigaction is a valid out-parameter; a null new action only reads.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        libc::sigaction(signal, std::ptr::null(), &mut old) == 0
            && old.sa_sigaction == libc::SIG_DFL
    }
}
