//! Which lock a probe lock is: the backends the probe can be (by name), the one the environment
//! chooses, and the locks a program installed.

use std::sync::OnceLock;

use crate::{BACKEND_VAR, DynLock, PROFILE_VAR, ProbeError, RECORD_VAR};

/// A built-in backend, or an installed one. Every probe lock can be any of them: a mutex
/// backend under a reader-writer surface takes readers one at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Kind {
    ParkingLot = 1,
    ParkingLotFair,
    Std,
    Spin,
    SpinPure,
    Tas,
    Ticket,
    TicketSpin,
    Futex,
    FutexPrivate,
    Pthread,
    ParkingLotRw,
    StdRw,
    PthreadRw,
    /// A lock the program installed: [`installed`]'s entry.
    Installed,
}

/// The built-in backends: name, kind, what it is.
const BUILT_IN: &[(&str, Kind, &str)] = &[
    (
        "parking-lot",
        Kind::ParkingLot,
        "parking_lot::Mutex (spins, then parks)",
    ),
    (
        "parking-lot-fair",
        Kind::ParkingLotFair,
        "parking_lot::FairMutex (every unlock hands over)",
    ),
    (
        "std",
        Kind::Std,
        "std::sync::Mutex (futex-based; spins briefly, then sleeps)",
    ),
    (
        "spin",
        Kind::Spin,
        "lockbench's test-and-test-and-set spinlock (backs off, then yields)",
    ),
    (
        "spin-pure",
        Kind::SpinPure,
        "lockbench's test-and-test-and-set spinlock, pure spinning",
    ),
    (
        "tas",
        Kind::Tas,
        "lockbench's test-and-set spinlock (backs off, then yields)",
    ),
    (
        "ticket",
        Kind::Ticket,
        "lockbench's FIFO ticket lock (spins, then yields)",
    ),
    (
        "ticket-spin",
        Kind::TicketSpin,
        "lockbench's FIFO ticket lock, pure spinning",
    ),
    (
        "futex",
        Kind::Futex,
        "lockbench's three-state futex mutex (no spinning)",
    ),
    (
        "futex-private",
        Kind::FutexPrivate,
        "lockbench's futex mutex, process-private futex calls",
    ),
    (
        "pthread",
        Kind::Pthread,
        "libc pthread_mutex_t, default attributes",
    ),
    (
        "parking-lot-rwlock",
        Kind::ParkingLotRw,
        "parking_lot::RwLock: readers share it",
    ),
    (
        "std-rwlock",
        Kind::StdRw,
        "std::sync::RwLock: readers share it",
    ),
    (
        "pthread-rwlock",
        Kind::PthreadRw,
        "libc pthread_rwlock_t: readers share it",
    ),
];

/// lockbench's backends a program's lock cannot be, and why.
const CANNOT: &[(&[&str], &str)] = &[
    (
        &["mcs", "mcs-spin", "clh", "clh-spin"],
        "a queue lock keeps its waiter's node on the waiter's stack for the hold",
    ),
    (&["tokio", "async-lock"], "an async mutex awaits"),
    (&["atomic", "none"], "a baseline locks nothing"),
    (
        &["pthread-pshared", "process-shared", "posix-sem"],
        "a lock across processes lives in shared memory",
    ),
    (
        &["rw-spin", "spin-rs", "spin-rs-ticket"],
        "the probe does not carry it",
    ),
];

const ALIASES: &[(&str, &str)] = &[
    ("parking_lot", "parking-lot"),
    ("parking_lot_fair", "parking-lot-fair"),
    ("parking_lot_rwlock", "parking-lot-rwlock"),
];

impl Kind {
    /// Whether readers share a lock of this kind.
    pub(crate) fn shares(self) -> bool {
        match self {
            Kind::ParkingLotRw | Kind::StdRw | Kind::PthreadRw => true,
            Kind::Installed => installed().is_some_and(|i| i.shares),
            _ => false,
        }
    }
}

/// A backend as a profile names it.
#[derive(Clone, Debug)]
pub(crate) struct Named {
    pub(crate) name: String,
    pub(crate) summary: String,
    pub(crate) kind: Kind,
}

/// A lock a program installed.
pub(crate) struct Installed {
    pub(crate) name: &'static str,
    pub(crate) summary: &'static str,
    pub(crate) make: fn() -> Box<dyn DynLock>,
    /// Whether readers share it (asked of one made at install).
    pub(crate) shares: bool,
}

static INSTALLED: OnceLock<Installed> = OnceLock::new();

/// The installed lock, if the program installed one.
pub(crate) fn installed() -> Option<&'static Installed> {
    INSTALLED.get()
}

/// Installs a program's lock, before the backends are chosen.
pub(crate) fn install(lock: Installed) -> Result<(), ProbeError> {
    if CHOSEN.get().is_some() {
        return Err(ProbeError(
            "the backends were chosen already: call install before the first lock".into(),
        ));
    }
    if BUILT_IN.iter().any(|(n, _, _)| *n == lock.name) {
        return Err(ProbeError(format!(
            "{} is a built-in backend's name",
            lock.name
        )));
    }
    let name = lock.name;
    INSTALLED
        .set(lock)
        .map_err(|_| ProbeError(format!("a lock is installed already; {name} cannot be too")))
}

/// What the environment asked for, read once.
pub(crate) struct Asked {
    /// The backend named, if any.
    pub(crate) backend: Option<String>,
    /// The profile's path, if any.
    pub(crate) profile: Option<std::path::PathBuf>,
    /// Whether to record per acquisition.
    pub(crate) record: bool,
}

/// What the environment asks for, or why it cannot be done.
pub(crate) fn asked() -> Result<&'static Asked, ProbeError> {
    static ASKED: OnceLock<Result<Asked, ProbeError>> = OnceLock::new();
    ASKED.get_or_init(read_asked).as_ref().map_err(Clone::clone)
}

fn read_asked() -> Result<Asked, ProbeError> {
    let backend = match std::env::var(BACKEND_VAR) {
        Ok(v) if v.trim().is_empty() => None,
        Ok(v) => Some(v.trim().to_string()),
        Err(std::env::VarError::NotPresent) => None,
        Err(std::env::VarError::NotUnicode(_)) => {
            return Err(ProbeError(format!("{BACKEND_VAR} is not valid UTF-8")));
        }
    };
    let profile = std::env::var_os(PROFILE_VAR)
        .filter(|p| !p.is_empty())
        .map(std::path::PathBuf::from);
    let record = match std::env::var(RECORD_VAR).as_deref() {
        Err(_) | Ok("" | "on" | "1") => true,
        Ok("off" | "0") => false,
        Ok(other) => {
            return Err(ProbeError(format!("{RECORD_VAR}={other}: use on or off")));
        }
    };
    Ok(Asked {
        backend,
        profile,
        record,
    })
}

/// The backend called `name`.
pub(crate) fn resolve(name: &str) -> Result<Named, ProbeError> {
    let name = ALIASES
        .iter()
        .find(|(alias, _)| *alias == name)
        .map_or(name, |(_, to)| to);
    if let Some((n, kind, summary)) = BUILT_IN.iter().find(|(n, _, _)| *n == name) {
        return Ok(Named {
            name: (*n).to_string(),
            summary: (*summary).to_string(),
            kind: *kind,
        });
    }
    if let Some(i) = installed().filter(|i| i.name == name) {
        return Ok(Named {
            name: i.name.to_string(),
            summary: i.summary.to_string(),
            kind: Kind::Installed,
        });
    }
    let mut can: Vec<&str> = BUILT_IN.iter().map(|(n, _, _)| *n).collect();
    can.extend(installed().map(|i| i.name));
    let why = match CANNOT.iter().find(|(names, _)| names.contains(&name)) {
        Some((_, why)) => format!("cannot be a program's lock ({why})"),
        None => "no such backend".to_string(),
    };
    Err(ProbeError(format!(
        "{BACKEND_VAR}={name}: {why}; a program's locks can be: {}",
        can.join(", ")
    )))
}

/// The backend `LOCKBENCH_BACKEND` names, resolved once (`None`: each surface keeps its own).
static CHOSEN: OnceLock<Result<Option<Named>, ProbeError>> = OnceLock::new();

/// The backend the environment chose, or why it cannot be.
pub(crate) fn chosen() -> Result<Option<&'static Named>, ProbeError> {
    CHOSEN
        .get_or_init(|| match &asked()?.backend {
            Some(name) => resolve(name).map(Some),
            None => Ok(None),
        })
        .as_ref()
        .map(Option::as_ref)
        .map_err(Clone::clone)
}

/// The named backend of a surface whose own lock is `default`.
pub(crate) fn of_default(default: Kind) -> Named {
    let (name, kind, summary) = BUILT_IN
        .iter()
        .find(|(_, k, _)| *k == default)
        .copied()
        .unwrap_or(BUILT_IN[0]);
    Named {
        name: name.to_string(),
        summary: summary.to_string(),
        kind,
    }
}

/// Ends the program with one line, for a choice that cannot be made (a lock's first use finds
/// it; [`crate::init`] returns it instead). Threads that find it at once say it once.
pub(crate) fn fail(why: &ProbeError) -> ! {
    static SAID: std::sync::Once = std::sync::Once::new();
    SAID.call_once(|| eprintln!("lockbench probe: {why}"));
    std::process::exit(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_backends_are_the_ones_the_format_names() {
        let names: Vec<&str> = BUILT_IN.iter().map(|(n, _, _)| *n).collect();
        assert_eq!(names, crate::format::PROBE_BACKENDS);
    }

    #[test]
    fn a_name_resolves_by_alias_and_an_unknown_one_is_refused_with_the_list() {
        assert_eq!(resolve("parking_lot").map(|n| n.kind), Ok(Kind::ParkingLot));
        let refused = resolve("mcs").map(|n| n.kind).unwrap_err().to_string();
        assert!(refused.contains("LOCKBENCH_BACKEND=mcs: cannot be a program's lock"));
        assert!(
            refused.contains("ticket"),
            "the names that can be: {refused}"
        );
        let unknown = resolve("no-such").map(|n| n.kind).unwrap_err().to_string();
        assert!(unknown.contains("no such backend"), "{unknown}");
    }
}
