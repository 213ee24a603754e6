//! `lockbench report`: every report file rebuilt from a saved results.json. Also the reading of
//! results files and the writing of reports, for the other commands.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::exit;
use crate::analysis;
use crate::cli::ReportArgs;
use crate::error::UsageError;
use crate::measure::recorder::decode_histogram;
use crate::model::ab::AB_FORMAT;
use crate::model::{AbResults, SWEEP_KIND, SweepResults};
use crate::registry;
use crate::report;
use crate::report::files;

pub(crate) fn report(args: ReportArgs) -> anyhow::Result<ExitCode> {
    if let [one] = args.results.as_slice()
        && !one.is_dir()
    {
        return one_file(one, args.out);
    }
    fleet(&args.results, args.out)
}

/// Every report file of one results file, rebuilt; an A/B's ranking made again.
fn one_file(path: &Path, out: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    if let Some(ab) = load_ab(path) {
        return rerank_ab(path, ab?, out);
    }
    let results = load(path)?;
    let out = out.unwrap_or_else(|| path.parent().map(Path::to_path_buf).unwrap_or_default());
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

/// `path` read as an A/B's ab.json, if it names itself one (an error if it then does not read).
pub(super) fn load_ab(path: &Path) -> Option<Result<AbResults, UsageError>> {
    let text = std::fs::read_to_string(path).ok()?;
    let kind: serde_json::Value = serde_json::from_str(&text).ok()?;
    (kind.get("format")?.as_str()? == AB_FORMAT).then(|| {
        serde_json::from_str(&text)
            .map_err(|e| UsageError::file(path, format!("is not an A/B this lockbench reads: {e}")))
    })
}

/// An A/B ranked again from its runs by the current ranking rule: ab.json rewritten (in `out`,
/// else in place), its table and verdict printed as `ab` prints them.
fn rerank_ab(path: &Path, mut ab: AbResults, out: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let backends: Vec<String> = ab
        .ranking
        .iter()
        .map(|r| r.backend.clone())
        .chain(ab.excluded.iter().map(|(b, _)| b.clone()))
        .collect();
    let ranking = analysis::ab::rank(&backends, &ab.runs, &ab.measure);
    ab.ranking = ranking.ranked;
    ab.leaders = ranking.leaders;
    ab.unjudged = ranking.unjudged;
    ab.excluded = ranking.excluded;
    ab.comparisons = ranking.comparisons;
    let dir = out.unwrap_or_else(|| path.parent().map(Path::to_path_buf).unwrap_or_default());
    files::write_atomically(&dir, "ab.json", &serde_json::to_vec_pretty(&ab)?)?;
    println!("{}", report::ab::table(&ab));
    for s in report::ab::sentences(&ab) {
        println!("{s}");
    }
    println!("\nwrote {}", dir.join("ab.json").display());
    Ok(ExitCode::from(exit::OK))
}

/// The fleet report of `paths` (files, and folders searched for results files) into `out`.
fn fleet(paths: &[PathBuf], out: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let mut files: Vec<PathBuf> = Vec::new();
    for path in paths {
        if path.is_dir() {
            let found = results_in(path);
            if found.is_empty() {
                return Err(UsageError::file(
                    path,
                    "holds no lockbench results file (a .json file of \"kind\": \"lockbench-sweep\")",
                )
                .into());
            }
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    // A file named twice (or found again through its folder) is one machine's, once.
    let mut seen = std::collections::HashSet::new();
    files.retain(|f| seen.insert(std::fs::canonicalize(f).unwrap_or_else(|_| f.clone())));
    if files.len() < 2 {
        let named: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        let found = files
            .first()
            .map_or("none".to_string(), |f| f.display().to_string());
        return Err(UsageError::invalid(
            "RESULTS",
            named.join(" "),
            format!(
                "a fleet report needs two or more results files, and these hold one ({found}); \
                 to rebuild one file's reports, name the file"
            ),
        )
        .into());
    }
    let loaded = files
        .iter()
        .map(|f| Ok((f.display().to_string(), load(f)?)))
        .collect::<Result<Vec<_>, UsageError>>()?;
    let fleet = analysis::fleet::fleet(&loaded)
        .map_err(|why| UsageError::invalid("RESULTS", format!("{} files", files.len()), why))?;
    let out = out.unwrap_or_else(|| PathBuf::from("fleet-report"));
    std::fs::create_dir_all(&out)
        .map_err(|e| UsageError::file(&out, format!("cannot be created: {e}")))?;
    let write = |name: &str, bytes: &[u8]| {
        files::write_atomically(&out, name, bytes)
            .map_err(|e| UsageError::file(&out, format!("cannot be written: {e:#}")))
    };
    write("index.html", report::fleet::render_html(&fleet)?.as_bytes())?;
    write(
        "summary.md",
        report::fleet::render_markdown(&fleet).as_bytes(),
    )?;
    let json = serde_json::to_string_pretty(&fleet).expect("a fleet serialises");
    write("fleet.json", (json + "\n").as_bytes())?;
    print!("{}", report::fleet::render_text(&fleet));
    println!(
        "Wrote index.html, summary.md, fleet.json in {}",
        out.display()
    );
    Ok(ExitCode::from(exit::OK))
}

/// The results files under `dir`, in path order: every .json file that says it is one (a file
/// that names the kind but does not read is kept, so that loading it says what is wrong).
fn results_in(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .max_depth(8)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "json"))
        .filter(|e| std::fs::read_to_string(e.path()).is_ok_and(|text| text.contains(SWEEP_KIND)))
        .map(walkdir::DirEntry::into_path)
        .collect();
    found.sort();
    found
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
    if let Some(why) = corrupt_histogram(&results) {
        return Err(UsageError::file(path, why));
    }
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

/// The first latency histogram of `results` that does not decode, named by its point: a chart
/// drawn without it would leave the point out without a word.
fn corrupt_histogram(results: &SweepResults) -> Option<String> {
    results.points.iter().find_map(|p| {
        let merged = p.latency_histogram.iter();
        let reps = p
            .repetitions
            .iter()
            .filter_map(|r| r.latency_histogram.as_ref());
        merged.chain(reps).find_map(|h| {
            let why = decode_histogram(h).err()?;
            Some(format!(
                "the latency histogram of {} with {} is corrupt ({why}): the file was damaged \
                 after it was written; rerun the sweep or restore the file",
                p.backend,
                report::format::workers(p.mode, p.workers)
            ))
        })
    })
}

/// Writes every report file of `results` into `dir`; the error names the directory.
pub(crate) fn write_reports(dir: &Path, results: &SweepResults) -> Result<(), UsageError> {
    report::write_all(dir, results, &analysis::verdict::findings(results))
        .map_err(|e| UsageError::file(dir, format!("cannot be written: {e:#}")))
}
