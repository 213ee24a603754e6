//! `lockbench profile`: a program's own locks, from the profile its probe wrote.

use std::path::Path;
use std::process::ExitCode;

use crate::cli::ProfileArgs;
use crate::error::UsageError;
use crate::model::Profile;
use crate::report;

/// Reads a profile file, with one clear line for a missing, truncated, foreign or newer one.
pub(crate) fn read(path: &Path) -> Result<Profile, UsageError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| UsageError::file(path, format!("cannot be read: {e}")))?;
    Profile::from_json(&text).map_err(|e| UsageError::file(path, e.to_string()))
}

pub(super) fn profile(args: ProfileArgs) -> anyhow::Result<ExitCode> {
    let p = read(&args.profile)?;
    print!("{}", report::profile::table(&p, args.top.max(1)));
    if let Some(out) = &args.html {
        let dir = out.parent().filter(|d| !d.as_os_str().is_empty());
        let name = out
            .file_name()
            .ok_or_else(|| UsageError::file(out, "is not a file name"))?;
        report::files::write_atomically(
            dir.unwrap_or(Path::new(".")),
            &name.to_string_lossy(),
            report::profile::html(&p, args.top.max(1)).as_bytes(),
        )?;
        println!("\nwrote {}", out.display());
    }
    Ok(ExitCode::from(super::exit::OK))
}
