//! `lockbench __worker`: one worker process of `run --processes`; its report goes to stdout, for
//! the parent.

use std::process::ExitCode;

use anyhow::Context;

use super::exit;
use crate::cli::WorkerArgs;
use crate::runner::processes::WorkerSpec;

pub(crate) fn worker(args: WorkerArgs) -> anyhow::Result<ExitCode> {
    let spec: WorkerSpec = serde_json::from_str(&args.spec).context("reading the worker spec")?;
    // The hidden worker command can be typed by anyone: only a backend that works across
    // processes, by a name this binary knows, may run here.
    let entry = crate::registry::global()
        .get(&spec.config.backend)
        .filter(|e| e.across_processes())
        .context("this worker spec does not describe a process run")?;
    let report = entry.engine().run_child(&spec)?;
    println!("{}", serde_json::to_string(&report)?);
    Ok(ExitCode::from(exit::OK))
}
