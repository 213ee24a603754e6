//! The dependency rule the layout promises (README, "Layout"): each top-level module imports
//! only modules below it, and the reports read only the results model (and the leaf modules
//! whose types it carries). Read from the source, outside test code.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

/// Bottom to top. A module may import only modules that come before it here.
const LAYERS: [&str; 14] = [
    "sync",
    "error",
    "measure",
    "locks",
    "model",
    "workload",
    "analysis",
    "runner",
    "environment",
    "registry",
    "config",
    "cli",
    "report",
    "app",
];

/// What `report` may read: the model, and the leaf modules whose types the model carries.
const REPORT_READS: [&str; 3] = ["model", "measure", "locks"];

/// The crate modules `text` refers to as `crate::NAME`, outside comments and test modules.
fn imports(text: &str) -> BTreeSet<String> {
    let code = text
        .split("#[cfg(test)]")
        .next()
        .unwrap_or_default()
        .split("#[cfg(all(test")
        .next()
        .unwrap_or_default();
    let mut found = BTreeSet::new();
    for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
        for (i, _) in line.match_indices("crate::") {
            let rest = &line[i + "crate::".len()..];
            let first = |text: &str| -> String {
                text.trim_start()
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect()
            };
            if let Some(group) = rest.strip_prefix('{') {
                // `crate::{a, b::c}` on one line: every name at the group's first level.
                let mut depth = 0;
                let mut start = 0;
                for (k, c) in group.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => {
                            found.insert(first(&group[start..k]));
                            break;
                        }
                        '}' => depth -= 1,
                        ',' if depth == 0 => {
                            found.insert(first(&group[start..k]));
                            start = k + 1;
                        }
                        _ => {}
                    }
                }
            } else {
                found.insert(first(rest));
            }
        }
    }
    found.remove("");
    found
}

#[test]
fn imports_in_braces_are_seen() {
    let found = imports("use crate::{analysis, report::format::{a, b}, registry};\n");
    let names: Vec<&str> = found.iter().map(String::as_str).collect();
    assert_eq!(names, ["analysis", "registry", "report"]);
}

fn visit(dir: &Path, module: &str, out: &mut Vec<(String, String, String)>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            visit(&path, module, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            for import in imports(&fs::read_to_string(&path).unwrap()) {
                out.push((module.to_string(), import, path.display().to_string()));
            }
        }
    }
}

#[test]
fn no_module_imports_from_a_layer_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut edges = Vec::new();
    for entry in fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        if matches!(name.as_str(), "lib" | "main") {
            continue;
        }
        assert!(
            LAYERS.contains(&name.as_str()),
            "src/{name} is not placed in a layer: add it to LAYERS (and to the README)"
        );
        if path.is_dir() {
            visit(&path, &name, &mut edges);
        } else {
            for import in imports(&fs::read_to_string(&path).unwrap()) {
                edges.push((name.clone(), import, path.display().to_string()));
            }
        }
    }
    let rank = |m: &str| LAYERS.iter().position(|l| *l == m);
    let mut wrong = Vec::new();
    for (from, to, file) in &edges {
        if from == to {
            continue;
        }
        let upward = match (rank(from), rank(to)) {
            (Some(a), Some(b)) => b > a,
            _ => true,
        };
        let report_reach = from == "report" && !REPORT_READS.contains(&to.as_str());
        if upward || report_reach {
            wrong.push(format!("{file}: {from} imports {to}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layering:\n{}",
        wrong.join("\n")
    );
    assert!(
        edges.iter().any(|(f, t, _)| f == "app" && t == "runner"),
        "the scan found the imports it should"
    );
}
