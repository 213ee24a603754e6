//! Pure functions from results to files (and to the terminal), and the atomic writing of them.
//! Everything here reads only [`crate::model`].

pub mod ab;
pub mod charts;
pub mod compare;
pub mod csv;
pub mod files;
pub mod fleet;
pub mod format;
pub mod html;
pub mod markdown;
pub mod profile;
pub mod table;
pub mod verdict;

use std::path::Path;

use crate::model::{Findings, SweepResults};

/// The files a sweep writes, in the order they are written.
pub const FILES: [&str; 4] = ["results.json", "results.csv", "summary.md", "index.html"];

/// Renders every report of `r`, with its verdict `f`, and writes each into `dir`, each file
/// atomically. Renders all first, so that a rendering failure leaves the directory as it was.
pub fn write_all(dir: &Path, r: &SweepResults, f: &Findings) -> anyhow::Result<()> {
    let json = serde_json::to_vec_pretty(r)?;
    let csv = csv::render(r)?;
    let md = markdown::render(r, Some(f));
    let html = html::render(r, f)?;
    for (name, bytes) in FILES
        .iter()
        .zip([json, csv, md.into_bytes(), html.into_bytes()])
    {
        files::write_atomically(dir, name, &bytes)?;
    }
    Ok(())
}
