//! `lockbench report`: every report file rebuilt from a saved results.json. Also the reading of
//! results files and the writing of reports, for the other commands.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::exit;
use crate::analysis;
use crate::cli::ReportArgs;
use crate::error::UsageError;
use crate::model::SweepResults;
use crate::registry;
use crate::report;

pub(crate) fn report(args: ReportArgs) -> anyhow::Result<ExitCode> {
    let results = load(&args.results)?;
    let out = args.out.unwrap_or_else(|| {
        args.results
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    });
    let out = if out.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        out
    };
    std::fs::create_dir_all(&out)
        .map_err(|e| UsageError::file(&out, format!("cannot be created: {e}")))?;
    write_reports(&out, &results)?;
    println!("Wrote {} in {}", report::FILES.join(", "), out.display());
    Ok(ExitCode::from(exit::OK))
}

/// Reads and checks a results.json; the error names the file and the problem. Files written
/// before results carried the backends' facts get them from the registry.
pub(crate) fn load(path: &Path) -> Result<SweepResults, UsageError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        UsageError::file(
            path,
            match e.kind() {
                std::io::ErrorKind::NotFound => "does not exist".to_string(),
                std::io::ErrorKind::InvalidData => "is not UTF-8 text".to_string(),
                _ => format!("cannot be read: {e}"),
            },
        )
    })?;
    let mut results = SweepResults::from_json(&text).map_err(|p| UsageError::file(path, p))?;
    if results.backend_facts.is_empty() {
        let registry = registry::global();
        results.backend_facts = results
            .settings
            .backends
            .iter()
            .filter_map(|b| registry.get(b).map(|e| e.model_facts()))
            .collect();
    }
    Ok(results)
}

/// Writes every report file of `results` into `dir`; the error names the directory.
pub(crate) fn write_reports(dir: &Path, results: &SweepResults) -> Result<(), UsageError> {
    report::write_all(dir, results, &analysis::verdict::findings(results))
        .map_err(|e| UsageError::file(dir, format!("cannot be written: {e:#}")))
}
