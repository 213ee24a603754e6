//! Which lock a program's probe locks are, chosen once when the program starts: the backend
//! `LOCKBENCH_BACKEND` names, or each surface's own lock when it names none. Whether to record,
//! and where the profile goes.

use std::sync::OnceLock;

use crate::locks::split::MakeErased;
use crate::model::BackendFacts;
use crate::registry;

/// Names the backend every probe lock is (any `lockbench list` name a guard can hold).
pub const BACKEND_VAR: &str = "LOCKBENCH_BACKEND";
/// Names the file the profile is written to; unset, nothing is recorded or written.
pub const PROFILE_VAR: &str = "LOCKBENCH_PROFILE";
/// `off`: write the profile's frame (backend, run length) but record nothing per acquisition,
/// to run the program under a backend at the probe's smallest cost.
pub const RECORD_VAR: &str = "LOCKBENCH_RECORD";

/// A backend as the probe makes it.
#[derive(Clone)]
pub(crate) struct Chosen {
    pub(crate) facts: BackendFacts,
    pub(crate) make: MakeErased,
    pub(crate) shares: bool,
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

pub(crate) fn asked() -> Result<&'static Asked, &'static str> {
    static ASKED: OnceLock<Result<Asked, String>> = OnceLock::new();
    ASKED
        .get_or_init(|| {
            let backend = match std::env::var(BACKEND_VAR) {
                Ok(v) if v.trim().is_empty() => None,
                Ok(v) => Some(v.trim().to_string()),
                Err(std::env::VarError::NotPresent) => None,
                Err(std::env::VarError::NotUnicode(_)) => {
                    return Err(format!("{BACKEND_VAR} is not valid UTF-8"));
                }
            };
            let profile = std::env::var_os(PROFILE_VAR)
                .filter(|p| !p.is_empty())
                .map(std::path::PathBuf::from);
            let record = match std::env::var(RECORD_VAR).as_deref() {
                Err(_) | Ok("" | "on" | "1") => true,
                Ok("off" | "0") => false,
                Ok(other) => return Err(format!("{RECORD_VAR}={other}: use on or off")),
            };
            Ok(Asked {
                backend,
                profile,
                record,
            })
        })
        .as_ref()
        .map_err(String::as_str)
}

/// The backend named `name`, if the probe can make it.
pub(crate) fn resolve(name: &str) -> Result<Chosen, String> {
    let reg = registry::global();
    let probe_names = || {
        reg.entries()
            .iter()
            .filter(|e| e.splits().is_some())
            .map(|e| e.name())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let Some(entry) = reg.get(name) else {
        return Err(format!(
            "{BACKEND_VAR}={name}: no such backend; a program's locks can be: {}",
            probe_names()
        ));
    };
    let Some(splits) = entry.splits() else {
        return Err(format!(
            "{BACKEND_VAR}={name}: {} cannot be a program's lock (a guard cannot hold it: queue \
             locks keep the waiter's node on its stack, async mutexes await, baselines lock \
             nothing); a program's locks can be: {}",
            entry.name(),
            probe_names()
        ));
    };
    Ok(Chosen {
        facts: entry.model_facts(),
        make: splits.make,
        shares: splits.shares,
    })
}

/// The backend a probe lock whose own default is `default` is: checked once per default, and
/// the program ends with one line if the environment names a backend that cannot be.
pub(crate) fn chosen(default: &'static str) -> &'static Chosen {
    static NAMED: OnceLock<Result<Chosen, String>> = OnceLock::new();
    static DEFAULTS: OnceLock<parking_lot::Mutex<Vec<(&'static str, &'static Chosen)>>> =
        OnceLock::new();
    let asked = asked().unwrap_or_else(|why| super::fail(why));
    if let Some(name) = &asked.backend {
        return NAMED
            .get_or_init(|| resolve(name))
            .as_ref()
            .unwrap_or_else(|why| super::fail(why));
    }
    let mut known = DEFAULTS.get_or_init(Default::default).lock();
    if let Some((_, c)) = known.iter().find(|(d, _)| *d == default) {
        return c;
    }
    let c: &'static Chosen = Box::leak(Box::new(
        resolve(default).unwrap_or_else(|why| super::fail(&why)),
    ));
    known.push((default, c));
    c
}
