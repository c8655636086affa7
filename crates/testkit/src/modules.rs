//! The module-cycle scanner (issue 10, item 5: no module imports a module
//! that imports it back), shared so every crate's layout is checked by the
//! same code.
//!
//! A module is one source file. Its imports are every `crate::…` and
//! `super::…` path it names (in `use` trees, grouped or not, and inline),
//! resolved to the longest module prefix; the `#[cfg(test)] mod tests`
//! block at the end of a file is left out. A child naming its parent
//! (`use super::X` for the parent's own items) is the ordinary Rust shape
//! and is counted like any other import, so a parent must reach its
//! children only through its `mod` declarations and relative paths.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `commands/check.rs` → `commands::check`; `render/mod.rs` → `render`;
/// `main.rs` and `lib.rs` → `` (the crate root).
fn module_name(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap_or(file).with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "main" | "lib")
    ) {
        parts.pop();
    }
    parts.join("::")
}

/// The source without line comments and without the trailing unit-test module.
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every path starting with `crate::` or `super::`, with `use` trees
/// (`use crate::{a::B, c::{D, E}}`) expanded into one path per leaf.
fn paths_in(code: &str) -> Vec<String> {
    let bytes: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let rest: String = bytes[i..bytes.len().min(i + 7)].iter().collect();
        let starts_word = i == 0 || !(bytes[i - 1].is_alphanumeric() || bytes[i - 1] == '_');
        if starts_word && (rest.starts_with("crate::") || rest.starts_with("super::")) {
            let (paths, end) = expand(&bytes, i, String::new());
            out.extend(paths);
            i = end;
        } else {
            i += 1;
        }
    }
    out
}

/// Reads one path (or use tree) at `i` with `prefix`; returns the leaf paths
/// and where it stopped.
fn expand(s: &[char], mut i: usize, prefix: String) -> (Vec<String>, usize) {
    let mut path = prefix;
    loop {
        let start = i;
        while i < s.len() && (s[i].is_alphanumeric() || s[i] == '_') {
            i += 1;
        }
        let word: String = s[start..i].iter().collect();
        if !word.is_empty() {
            if !path.is_empty() {
                path.push_str("::");
            }
            path.push_str(&word);
        }
        if s.get(i) == Some(&':') && s.get(i + 1) == Some(&':') {
            i += 2;
            if s.get(i) == Some(&'{') {
                return group(s, i + 1, &path);
            }
        } else {
            return (vec![path], i);
        }
    }
}

fn group(s: &[char], mut i: usize, prefix: &str) -> (Vec<String>, usize) {
    let mut out = Vec::new();
    while i < s.len() {
        while i < s.len() && (s[i].is_whitespace() || s[i] == ',') {
            i += 1;
        }
        if s.get(i) == Some(&'}') {
            return (out, i + 1);
        }
        let before = i;
        let (paths, end) = expand(s, i, prefix.to_string());
        out.extend(paths);
        i = end.max(before + 1);
        // Skip `as Alias` and anything else up to the next item.
        while i < s.len() && s[i] != ',' && s[i] != '}' {
            i += 1;
        }
    }
    (out, i)
}

/// The module a path names: the longest prefix that is a module.
fn resolve(current: &str, path: &str, modules: &BTreeSet<String>) -> String {
    let mut segs: Vec<&str> = path.split("::").collect();
    let mut base: Vec<&str> = if current.is_empty() {
        Vec::new()
    } else {
        current.split("::").collect()
    };
    if segs.first() == Some(&"crate") {
        base.clear();
        segs.remove(0);
    }
    while segs.first() == Some(&"super") {
        base.pop();
        segs.remove(0);
    }
    for n in (0..=segs.len()).rev() {
        let candidate: Vec<&str> = base.iter().chain(&segs[..n]).copied().collect();
        let name = candidate.join("::");
        if modules.contains(&name) {
            return name;
        }
    }
    String::new()
}

fn imports(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let modules: BTreeSet<String> = files.iter().map(|f| module_name(src, f)).collect();
    let mut graph = BTreeMap::new();
    for file in &files {
        let name = module_name(src, file);
        let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{e}"));
        let targets: BTreeSet<String> = paths_in(&code_of(&text))
            .iter()
            .map(|p| resolve(&name, p, &modules))
            .filter(|t| *t != name)
            .collect();
        graph.insert(name, targets);
    }
    graph
}

/// Every pair of modules (files) under `src` that import each other, each
/// pair once and sorted (`a < b`). An empty list means the crate's module
/// graph has no two-module cycle.
///
/// # Panics
///
/// When `src` or a file under it cannot be read: this is test support.
pub fn cycles(src: &Path) -> Vec<(String, String)> {
    let graph = imports(src);
    let mut found = Vec::new();
    for (a, targets) in &graph {
        for b in targets {
            if a < b && graph.get(b).is_some_and(|t| t.contains(a)) {
                found.push((a.clone(), b.clone()));
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scanner_sees_grouped_and_relative_imports() {
        let code =
            "use crate::{a::B, c::{d::E, F as G}};\nuse super::h::I;\nfn f() { crate::j::k(); }";
        let paths = paths_in(code);
        assert_eq!(
            paths,
            [
                "crate::a::B",
                "crate::c::d::E",
                "crate::c::F",
                "super::h::I",
                "crate::j::k"
            ]
        );
        let modules: BTreeSet<String> = ["", "a", "c", "c::d", "x", "x::h"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(resolve("x::y", "super::h::I", &modules), "x::h");
        assert_eq!(resolve("x", "crate::c::d::E", &modules), "c::d");
        assert_eq!(resolve("x", "crate::Z", &modules), "");
    }
}
