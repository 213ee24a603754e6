//! `lockbench list`: the backends and their facts.

use std::io::{self, Write};
use std::process::ExitCode;

use super::exit;
use crate::cli::ListArgs;
use crate::registry;

pub(crate) fn list(args: ListArgs) -> anyhow::Result<ExitCode> {
    let registry = registry::global();
    let mut out = io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &registry.listed())?;
        writeln!(out)?;
        return Ok(ExitCode::from(exit::OK));
    }
    // As wide as the longest name, a user's included.
    let width = registry
        .entries()
        .iter()
        .map(|e| e.name().len())
        .max()
        .unwrap_or(0)
        .max("backend".len());
    writeln!(
        out,
        "{:<width$} {:<5} {:<20} {:<10} {:<8} what it is",
        "backend", "fair", "waiters", "processes", "timeout"
    )?;
    for e in registry.entries() {
        let f = e.facts();
        let across = if e.across_processes() { "yes" } else { "no" };
        let (fair, waiting) = (if f.fair { "yes" } else { "no" }, f.waiting.to_string());
        let timeout = if e.cannot_time_out().is_none() {
            "yes"
        } else {
            "no"
        };
        writeln!(
            out,
            "{:<width$} {fair:<5} {waiting:<20} {across:<10} {timeout:<8} {}",
            f.name, f.summary
        )?;
    }
    let aliases: Vec<String> = registry
        .entries()
        .iter()
        .flat_map(|e| {
            e.facts()
                .aliases
                .iter()
                .map(move |a| format!("{a} = {}", e.name()))
        })
        .collect();
    if !aliases.is_empty() {
        writeln!(out, "\nAliases: {}.", aliases.join(", "))?;
    }
    writeln!(
        out,
        "Every backend runs with --threads; those with \"yes\" under processes also with --processes,\n\
         and those with \"yes\" under timeout with --timeout (`list --json` says why the others cannot)."
    )?;
    Ok(ExitCode::from(exit::OK))
}
