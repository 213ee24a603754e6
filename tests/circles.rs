//! No circle of imports between the files of `src/` (and of each workspace crate's): if file A uses something of file B (a
//! `crate::`, `super::` or `self::` path, test code included), then nothing B uses, however far
//! down, uses A. The layering test (`tests/layers.rs`) checks the top-level modules; this one
//! checks every file, so that a circle inside a layer, or one closed only by test code, shows.
//!
//! A module's file reaching into its own submodules (`pub use child::X`, `mod child;`, `self::child`)
//! is how Rust declares a module's face, not an import, and is not an edge here.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// A file's module path: `src/locks/mod.rs` is `locks`, `src/locks/tas.rs` is `locks::tas`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap();
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The code of a file with comments and the text of string literals taken out (so that braces
/// and paths in either do not count), lines kept.
fn code_only(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '"' => {
                out.push('"');
                let mut escaped = false;
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                    }
                    if escaped {
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == '"' {
                        break;
                    }
                }
                out.push('"');
            }
            _ => out.push(c),
        }
    }
    out
}

/// Every path that starts with `crate::`, `super::` or `self::` in `code`, made absolute (a list
/// of segments from the crate root), for a file whose module is `module`. Inline modules
/// (`mod tests { .. }`) are followed, so that `super::` inside one means the file itself.
fn paths(code: &str, module: &[String]) -> Vec<Vec<String>> {
    let bytes: Vec<char> = code.chars().collect();
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut found = Vec::new();
    // The inline modules we are inside: (name, brace depth at which it closes).
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut pending_mod: Option<String> = None;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == '{' {
            depth += 1;
            if let Some(name) = pending_mod.take() {
                inline.push((name, depth));
            }
            i += 1;
            continue;
        }
        if c == '}' {
            if inline.last().is_some_and(|(_, d)| *d == depth) {
                inline.pop();
            }
            depth = depth.saturating_sub(1);
            i += 1;
            continue;
        }
        if c == ';' {
            pending_mod = None;
        }
        if !ident(c) || (i > 0 && (ident(bytes[i - 1]) || bytes[i - 1] == ':')) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && ident(bytes[i]) {
            i += 1;
        }
        let word: String = bytes[start..i].iter().collect();
        if word == "mod" {
            let mut j = i;
            while j < bytes.len() && bytes[j].is_whitespace() {
                j += 1;
            }
            let name: String = bytes[j..].iter().take_while(|c| ident(**c)).collect();
            if !name.is_empty() {
                pending_mod = Some(name);
            }
            continue;
        }
        if !matches!(word.as_str(), "crate" | "super" | "self") || !follows(&bytes, i, "::") {
            continue;
        }
        let mut here: Vec<String> = module.to_vec();
        here.extend(inline.iter().map(|(n, _)| n.clone()));
        let mut base = match word.as_str() {
            "crate" => Vec::new(),
            "self" => here,
            _ => {
                let mut up = here;
                up.pop();
                up
            }
        };
        // Further `super::` segments.
        let mut j = i + 2;
        while bytes[j..].starts_with(&['s', 'u', 'p', 'e', 'r']) && follows(&bytes, j + 5, "::") {
            base.pop();
            j += 7;
        }
        i = read_tree(&bytes, j, base, &mut found);
    }
    found
}

fn follows(bytes: &[char], at: usize, s: &str) -> bool {
    let s: Vec<char> = s.chars().collect();
    bytes.get(at..at + s.len()) == Some(&s[..])
}

/// Reads a use-tree at `at` (`a::b::C`, `a::{b, c::D}`, `*`) below `base`, pushing each full
/// path; returns where it ended.
fn read_tree(
    bytes: &[char],
    mut at: usize,
    base: Vec<String>,
    out: &mut Vec<Vec<String>>,
) -> usize {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut path = base;
    loop {
        while at < bytes.len() && bytes[at].is_whitespace() {
            at += 1;
        }
        if bytes.get(at) == Some(&'{') {
            at += 1;
            loop {
                while at < bytes.len() && (bytes[at].is_whitespace() || bytes[at] == ',') {
                    at += 1;
                }
                if at >= bytes.len() || bytes[at] == '}' {
                    out.push(path.clone());
                    return at + 1;
                }
                let before = at;
                at = read_tree(bytes, at, path.clone(), out);
                if at == before {
                    at += 1;
                }
            }
        }
        let start = at;
        while at < bytes.len() && ident(bytes[at]) {
            at += 1;
        }
        if at == start {
            out.push(path);
            return at;
        }
        let word: String = bytes[start..at].iter().collect();
        if word != "self" {
            path.push(word);
        }
        if follows(bytes, at, "::") {
            at += 2;
        } else {
            out.push(path);
            return at;
        }
    }
}

/// The file that holds the module longest-prefix of `path`.
fn resolve(files: &BTreeMap<Vec<String>, PathBuf>, path: &[String]) -> Option<PathBuf> {
    (0..=path.len())
        .rev()
        .find_map(|n| files.get(&path[..n]).cloned())
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// File → the files it imports from.
fn graph(src: &Path) -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let mut all = Vec::new();
    rust_files(src, &mut all);
    let files: BTreeMap<Vec<String>, PathBuf> = all
        .iter()
        .filter(|f| !f.ends_with("main.rs"))
        .map(|f| (module_of(src, f), f.clone()))
        .collect();
    let mut edges = BTreeMap::new();
    for file in &all {
        let module = module_of(src, file);
        let code = code_only(&fs::read_to_string(file).unwrap());
        let mut to = BTreeSet::new();
        for path in paths(&code, &module) {
            let Some(target) = resolve(&files, &path) else {
                continue;
            };
            let target_module = module_of(src, &target);
            // A module reaching into its own submodules declares its face; not an edge.
            let own_child =
                target_module.len() > module.len() && target_module.starts_with(&module);
            if &target != file && !own_child {
                to.insert(target);
            }
        }
        edges.insert(file.clone(), to);
    }
    edges
}

/// One circle, if there is any: a list of files each importing the next, the last the first.
fn find_circle(edges: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Option<Vec<PathBuf>> {
    // Depth-first search with colours: 0 unseen, 1 on the stack, 2 done.
    fn visit(
        at: &PathBuf,
        edges: &BTreeMap<PathBuf, BTreeSet<PathBuf>>,
        colour: &mut BTreeMap<PathBuf, u8>,
        stack: &mut Vec<PathBuf>,
    ) -> Option<Vec<PathBuf>> {
        colour.insert(at.clone(), 1);
        stack.push(at.clone());
        for next in edges.get(at).into_iter().flatten() {
            match colour.get(next).copied().unwrap_or(0) {
                1 => {
                    let from = stack.iter().position(|f| f == next).unwrap();
                    return Some(stack[from..].to_vec());
                }
                0 => {
                    if let Some(circle) = visit(next, edges, colour, stack) {
                        return Some(circle);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        colour.insert(at.clone(), 2);
        None
    }
    let mut colour = BTreeMap::new();
    for file in edges.keys() {
        if colour.get(file).copied().unwrap_or(0) == 0 {
            let mut stack = Vec::new();
            if let Some(circle) = visit(file, edges, &mut colour, &mut stack) {
                return Some(circle);
            }
        }
    }
    None
}

fn show(circle: &[PathBuf], src: &Path) -> String {
    let mut names: Vec<String> = circle
        .iter()
        .map(|f| f.strip_prefix(src).unwrap().display().to_string())
        .collect();
    names.push(names[0].clone());
    names.join(" -> ")
}

#[test]
fn no_file_imports_itself_through_others() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let src = root.join("src");
    let edges = graph(&src);
    let mut circles = Vec::new();
    // Each crate of the workspace on its own: the harness, our locks, the probe.
    for dir in [src.clone(), root.join("locks/src"), root.join("probe/src")] {
        let mut edges_left = graph(&dir);
        // Every circle, one by one: name it, then drop its closing edge and look again.
        while let Some(circle) = find_circle(&edges_left) {
            circles.push(show(&circle, &dir));
            let (last, first) = (circle.last().unwrap(), &circle[0]);
            edges_left.get_mut(last).unwrap().remove(first);
        }
    }
    assert!(
        circles.is_empty(),
        "import circles between files:\n{}",
        circles.join("\n")
    );
    // The scan sees what it should: the runner's files import the locks, a lock's tests the
    // stress helpers in `locks/mod.rs`, and `super::` inside a test module is the file itself.
    let runner = src.join("runner/hot_loop.rs");
    assert!(edges[&runner].contains(&src.join("locks/mod.rs")));
    assert!(edges[&src.join("locks/mcs.rs")].contains(&src.join("locks/mod.rs")));
    assert!(!edges[&src.join("locks/mcs.rs")].contains(&src.join("locks/mcs.rs")));
}

/// The ground floor: the parts the runner is built from, and the plain data.
const GROUND: [&str; 4] = ["locks", "measure", "workload", "model"];
/// What the ground floor may use, besides itself.
const BELOW_GROUND: [&str; 2] = ["sync", "error"];

#[test]
fn the_ground_floor_uses_nothing_above_it_not_even_in_tests() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let top = |f: &Path| module_of(&src, f).first().cloned().unwrap_or_default();
    let mut wrong = Vec::new();
    for (from, to) in graph(&src) {
        if !GROUND.contains(&top(&from).as_str()) {
            continue;
        }
        for target in to {
            let t = top(&target);
            if !GROUND.contains(&t.as_str()) && !BELOW_GROUND.contains(&t.as_str()) {
                wrong.push(format!(
                    "{} uses {}",
                    from.strip_prefix(&src).unwrap().display(),
                    target.strip_prefix(&src).unwrap().display()
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "the ground floor reaches up:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_scan_finds_a_circle_when_there_is_one() {
    // Two sibling files using each other, as `a.rs` and `b.rs` below `m`, and a third that
    // closes a longer circle through a test module.
    let dir = std::env::temp_dir().join(format!("lockbench-circles-{}", std::process::id()));
    let src = dir.join("src");
    fs::create_dir_all(src.join("m")).unwrap();
    fs::write(src.join("lib.rs"), "pub mod m;\npub mod top;\n").unwrap();
    fs::write(
        src.join("m/mod.rs"),
        "pub mod a;\npub mod b;\npub use a::A;\n",
    )
    .unwrap();
    fs::write(
        src.join("m/a.rs"),
        "use super::b::B; // \"{\"\npub struct A;\n",
    )
    .unwrap();
    fs::write(
        src.join("m/b.rs"),
        "pub struct B;\n#[cfg(test)]\nmod tests {\n    use super::*;\n    use crate::top::T;\n}\n",
    )
    .unwrap();
    fs::write(
        src.join("top.rs"),
        "use crate::m::{a::A, self};\npub struct T;\n",
    )
    .unwrap();
    let edges = graph(&src);
    let circle = find_circle(&edges).expect("a -> b -> top -> a");
    let shown = show(&circle, &src);
    for file in ["m/a.rs", "m/b.rs", "top.rs"] {
        assert!(shown.contains(file), "{shown}");
    }
    assert!(!edges[&src.join("m/b.rs")].contains(&src.join("m/b.rs")));
    // Cut the test module's import: no circle.
    fs::write(src.join("m/b.rs"), "pub struct B;\n").unwrap();
    assert_eq!(find_circle(&graph(&src)), None);
    fs::remove_dir_all(&dir).unwrap();
}
