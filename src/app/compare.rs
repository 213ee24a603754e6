//! `lockbench compare`: what changed between two sweeps.

use std::process::ExitCode;

use super::{exit, report::load};
use crate::analysis;
use crate::cli::CompareArgs;
use crate::error::UsageError;
use crate::report::{compare, files};

pub(crate) fn compare(args: CompareArgs) -> anyhow::Result<ExitCode> {
    let before = load(&args.before)?;
    let after = load(&args.after)?;
    let c = analysis::compare::compare(&before, &after);
    print!("{}", compare::render_text(&c));
    if let Some(dir) = args.out {
        std::fs::create_dir_all(&dir)
            .map_err(|e| UsageError::file(&dir, format!("cannot be created: {e}")))?;
        let html = compare::render_html(&c)?;
        files::write_atomically(&dir, "compare.html", html.as_bytes())
            .map_err(|e| UsageError::file(&dir, format!("cannot be written: {e:#}")))?;
        println!("Wrote {}", dir.join("compare.html").display());
    }
    Ok(ExitCode::from(exit::OK))
}
