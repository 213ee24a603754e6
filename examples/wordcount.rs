//! A parallel word count into one shared map: threads take files from a shared queue and add
//! every word to a `HashMap` behind one lock, the way many first parallel programs are written.
//! Its locks are the probe's, so lockbench can measure them where they live and run this same
//! program under every backend:
//!
//! ```text
//! cargo run --release --example wordcount -- --threads 4 src README.md
//! LOCKBENCH_PROFILE=wc.json LOCKBENCH_BACKEND=ticket cargo run --release --example wordcount -- src
//! ```
//!
//! `--batch N` counts N words in the thread first and merges them under one acquisition: the
//! usual cure, measurable the same way.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use lockbench_probe::{Mutex, named_mutex};

struct Options {
    threads: usize,
    batch: usize,
    rounds: usize,
    paths: Vec<PathBuf>,
}

fn options() -> Result<Options, String> {
    let mut o = Options {
        threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
        batch: 1,
        rounds: 1,
        paths: Vec::new(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut number = |what: &str| -> Result<usize, String> {
            args.next()
                .and_then(|v| v.parse().ok())
                .filter(|&n| n > 0)
                .ok_or_else(|| format!("{what} takes a positive whole number"))
        };
        match a.as_str() {
            "--threads" => o.threads = number("--threads")?,
            "--batch" => o.batch = number("--batch")?,
            "--rounds" => o.rounds = number("--rounds")?,
            "-h" | "--help" => {
                return Err(
                    "usage: wordcount [--threads N] [--batch N] [--rounds N] FILE_OR_DIR...".into(),
                );
            }
            _ => o.paths.push(PathBuf::from(a)),
        }
    }
    if o.paths.is_empty() {
        return Err("name the files or folders to count (usage: --help)".into());
    }
    Ok(o)
}

/// Every text file under `path` (sources, docs, plain text).
fn files(path: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if path.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(path)?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()?;
        entries.sort();
        for e in entries {
            files(&e, out)?;
        }
    } else if path.extension().is_some_and(|x| {
        ["rs", "md", "txt", "toml", "sh", "html"].contains(&x.to_str().unwrap_or(""))
    }) || path.extension().is_none() && path.is_file()
    {
        out.push(path.to_path_buf());
    }
    Ok(())
}

fn main() -> ExitCode {
    let o = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("wordcount: {e}");
            return ExitCode::from(2);
        }
    };
    let mut all = Vec::new();
    for p in &o.paths {
        if let Err(e) = files(p, &mut all) {
            eprintln!("wordcount: {}: {e}", p.display());
            return ExitCode::from(2);
        }
    }
    let texts: Vec<String> = all
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect();
    let queue = named_mutex("queue", (0..o.rounds * texts.len()).collect::<Vec<_>>());
    let counts: Mutex<HashMap<String, u64>> = named_mutex("counts", HashMap::new());
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..o.threads {
            s.spawn(|| {
                let mut local: HashMap<String, u64> = HashMap::new();
                let mut pending = 0;
                loop {
                    let Some(job) = queue.lock().pop() else { break };
                    let text = &texts[job % texts.len()];
                    for word in text
                        .split(|c: char| !c.is_alphanumeric() && c != '_')
                        .filter(|w| !w.is_empty())
                    {
                        if o.batch == 1 {
                            *counts.lock().entry(word.to_lowercase()).or_default() += 1;
                            continue;
                        }
                        *local.entry(word.to_lowercase()).or_default() += 1;
                        pending += 1;
                        if pending >= o.batch {
                            merge(&counts, &mut local);
                            pending = 0;
                        }
                    }
                }
                merge(&counts, &mut local);
            });
        }
    });
    let seconds = started.elapsed().as_secs_f64();
    let counts = counts.into_inner();
    let words: u64 = counts.values().sum();
    let mut top: Vec<_> = counts.iter().collect();
    top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    println!(
        "files: {}, words: {words}, distinct: {}",
        o.rounds * texts.len(),
        counts.len()
    );
    let shown: Vec<String> = top
        .iter()
        .take(5)
        .map(|(w, n)| format!("{w} {n}"))
        .collect();
    println!("most common: {}", shown.join(", "));
    println!("words per second: {:.0}", words as f64 / seconds.max(1e-9));
    ExitCode::SUCCESS
}

fn merge(counts: &Mutex<HashMap<String, u64>>, local: &mut HashMap<String, u64>) {
    if local.is_empty() {
        return;
    }
    let mut counts = counts.lock();
    for (w, n) in local.drain() {
        *counts.entry(w).or_default() += n;
    }
}
