//! lockbench as a library: the whole command line with a user's own locks beside the built-in
//! ones, in a few lines of the user's own `main`.

use std::process::ExitCode;

use crate::locks::{Backend, Facts, LockApi, LockApi05};
use crate::registry::{self, Registry};

/// lockbench's command line, with more locks: register them, then call [`Lockbench::main`].
///
/// ```no_run
/// use lockbench::lock_api::{GuardSend, RawMutex};
/// use lockbench::{Facts, Lockbench, Waiting};
/// use std::sync::atomic::{AtomicBool, Ordering};
///
/// /// A test-and-set lock.
/// struct MyLock(AtomicBool);
///
/// // SAFETY: `lock` returns only after swapping `false` for `true` (one holder at a time), with
/// // Acquire; `unlock` stores `false` with Release.
/// unsafe impl RawMutex for MyLock {
///     const INIT: MyLock = MyLock(AtomicBool::new(false));
///     type GuardMarker = GuardSend;
///     fn lock(&self) {
///         while self.0.swap(true, Ordering::Acquire) {
///             std::hint::spin_loop();
///         }
///     }
///     fn try_lock(&self) -> bool {
///         !self.0.swap(true, Ordering::Acquire)
///     }
///     unsafe fn unlock(&self) {
///         self.0.store(false, Ordering::Release);
///     }
/// }
///
/// fn main() -> std::process::ExitCode {
///     Lockbench::new()
///         .raw_mutex::<MyLock>(Facts {
///             name: "my-lock",
///             aliases: &[],
///             summary: "my test-and-set lock",
///             fair: false,
///             waiting: Waiting::Spin,
///             not_across_processes: None,
///         })
///         .main()
/// }
/// ```
///
/// Then `cargo run --release -- run --backend my-lock --threads 2`, `sweep --backends
/// my-lock,std,ticket`, `list`, `report`, `compare`: every command, the lock in every report.
/// A name that is taken (twice, or a built-in's) is refused when `main` runs: one line on
/// stderr, exit status 2.
pub struct Lockbench {
    registry: Registry,
    refused: Option<String>,
}

impl Default for Lockbench {
    fn default() -> Self {
        Self::new()
    }
}

impl Lockbench {
    /// The built-in backends, and nothing of yours yet.
    pub fn new() -> Self {
        Lockbench {
            registry: Registry::builtin(),
            refused: None,
        }
    }

    /// Adds a lock implementing `lock_api` 0.4's `RawMutex` (the version most lock crates
    /// implement; `lockbench::lock_api` is that crate), described by `facts`.
    pub fn raw_mutex<R>(self, facts: Facts) -> Self
    where
        R: lock_api_04::RawMutex + Send + Sync + 'static,
    {
        self.backend::<LockApi<R>>(facts)
    }

    /// Adds a lock implementing `lock_api` 0.5's `RawMutex` (`lockbench::lock_api_05`).
    pub fn raw_mutex_05<R>(self, facts: Facts) -> Self
    where
        R: lock_api_05::RawMutex + Send + Sync + 'static,
    {
        self.backend::<LockApi05<R>>(facts)
    }

    /// Adds any [`Backend`] (lockbench's own closure-style trait: a lock, or a baseline).
    pub fn backend<B: Backend>(mut self, facts: Facts) -> Self {
        if self.refused.is_none()
            && let Err(taken) = self.registry.register::<B>(facts)
        {
            self.refused = Some(taken.to_string());
        }
        self
    }

    /// The backends as registered so far (the built-in ones and yours).
    pub fn into_registry(self) -> Result<Registry, String> {
        match self.refused {
            Some(why) => Err(why),
            None => Ok(self.registry),
        }
    }

    /// Why the backends cannot be used (a name taken), if they cannot.
    pub fn refused(&self) -> Option<&str> {
        self.refused.as_deref()
    }

    /// Runs lockbench's command line (the process's arguments) with these backends, and says
    /// how it ended, as the `lockbench` binary does. Worker processes (`--processes`) run this
    /// same program, so they find the same backends.
    pub fn main(self) -> ExitCode {
        if let Some(why) = self.refused {
            eprintln!(
                "error: {why} (give every lock a name of its own; `list` shows the names taken)"
            );
            return ExitCode::from(super::exit::USAGE);
        }
        if registry::install(self.registry).is_err() {
            eprintln!(
                "error: the backends were chosen already: call Lockbench::main once, before anything else of lockbench"
            );
            return ExitCode::from(super::exit::USAGE);
        }
        super::main()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::locks::Waiting;

    fn facts(name: &'static str) -> Facts {
        Facts {
            name,
            aliases: &[],
            summary: "test",
            fair: false,
            waiting: Waiting::Spin,
            not_across_processes: None,
        }
    }

    type Spin = spin::mutex::SpinMutex<()>;

    #[test]
    fn a_name_taken_is_refused_with_the_name() {
        let twice = Lockbench::new()
            .raw_mutex::<Spin>(facts("mine"))
            .raw_mutex::<Spin>(facts("mine"));
        assert!(twice.refused().unwrap().contains("'mine'"));
        let built_in = Lockbench::new().raw_mutex::<Spin>(facts("ticket"));
        assert!(built_in.refused().unwrap().contains("'ticket'"));
        let fine = Lockbench::new()
            .raw_mutex::<Spin>(facts("mine"))
            .raw_mutex_05::<parking_lot::RawMutex>(facts("also-mine"));
        assert!(fine.refused().is_none());
        assert!(fine.registry.get("also-mine").is_some());
    }
}
