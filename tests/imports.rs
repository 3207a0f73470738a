//! The layers stay layers: no module imports one that imports it back,
//! among the top-level modules and among the modules of every folder. Read
//! from the source (every `crate::`, `super::` and `self::` path outside
//! comments), so a cycle fails here the day it is written, not the day it
//! makes a change hard.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A module path from the crate root: `["engine", "fetch"]`.
type ModulePath = Vec<String>;

/// Every source file's module path and its text without comments.
fn sources() -> Vec<(ModulePath, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    let mut folders = vec![root.clone()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("src/ is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative = path.strip_prefix(&root).expect("under src/");
                let mut module: ModulePath = relative
                    .with_extension("")
                    .iter()
                    .map(|s| s.to_string_lossy().into_owned())
                    .collect();
                if matches!(
                    module.last().map(String::as_str),
                    Some("mod" | "lib" | "main")
                ) {
                    module.pop();
                }
                let text = std::fs::read_to_string(&path).expect("a source file");
                files.push((module, without_comments(&text)));
            }
        }
    }
    files
}

/// The text with every `//` comment taken out (doc links name modules
/// without importing them). Strings holding `//` are rare enough in this
/// crate's imports not to matter.
fn without_comments(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every path that starts at `crate::`, `super::` or `self::`, expanded
/// (`use crate::{a::b, c}` gives `a::b` and `c`), made absolute for a file
/// of module `module` (`is_folder`: the file is a folder's `mod.rs`).
fn references(module: &[String], text: &str) -> Vec<ModulePath> {
    let mut found = Vec::new();
    let bytes = text.as_bytes();
    for start in ["crate::", "super::", "self::"] {
        let mut from = 0;
        while let Some(at) = text[from..].find(start) {
            let at = from + at;
            from = at + start.len();
            // A whole word: not `xcrate::`.
            if at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_') {
                continue;
            }
            let base: ModulePath = match start {
                "crate::" => Vec::new(),
                "super::" => module[..module.len().saturating_sub(1)].to_vec(),
                _ => module.to_vec(),
            };
            let mut rest = &text[from..];
            // `super::super::x`
            let mut base = base;
            while let Some(more) = rest.strip_prefix("super::") {
                base.pop();
                rest = more;
            }
            for path in tree(rest) {
                let mut full = base.clone();
                full.extend(path);
                found.push(full);
            }
        }
    }
    found
}

/// The paths of a use tree (or a plain path) at the start of `text`.
fn tree(text: &str) -> Vec<ModulePath> {
    let text = text.trim_start();
    if let Some(inner) = text.strip_prefix('{') {
        let mut paths = Vec::new();
        let mut depth = 0;
        let mut item_start = 0;
        for (i, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => {
                    paths.extend(tree(&inner[item_start..i]));
                    return paths;
                }
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    paths.extend(tree(&inner[item_start..i]));
                    item_start = i + 1;
                }
                _ => {}
            }
        }
        return paths;
    }
    let name: String = text
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    if name.is_empty() || name == "self" {
        return vec![Vec::new()];
    }
    let rest = &text[name.len()..];
    match rest.strip_prefix("::") {
        Some(rest) => tree(rest)
            .into_iter()
            .map(|mut path| {
                path.insert(0, name.clone());
                path
            })
            .collect(),
        None => vec![vec![name]],
    }
}

/// A cycle in `edges`, if there is one, as the modules around it.
fn cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut around = path[at..].to_vec();
            around.push(node.to_string());
            return Some(around);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, edges, path, done) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for node in edges.keys() {
        if let Some(found) = visit(node, edges, &mut Vec::new(), &mut done) {
            return Some(found);
        }
    }
    None
}

/// The import edges among the children of `folder`: child `a` → child `b`
/// when a file in `a` names `b` or an item `folder`'s `mod.rs` re-exports
/// from `b`.
fn edges_among(
    folder: &[String],
    files: &[(ModulePath, String)],
) -> BTreeMap<String, BTreeSet<String>> {
    let children: BTreeSet<String> = files
        .iter()
        .filter(|(m, _)| m.len() > folder.len() && m.starts_with(folder))
        .map(|(m, _)| m[folder.len()].clone())
        .collect();
    // `pub use child::{Item, ...}` in the folder's own file: which child an
    // item named through the folder comes from.
    let mut reexported: BTreeMap<String, String> = BTreeMap::new();
    if let Some((_, text)) = files.iter().find(|(m, _)| m == folder) {
        for line in text.lines() {
            let Some(rest) = line.trim().strip_prefix("pub use ") else {
                continue;
            };
            for path in tree(rest.trim_end_matches(';')) {
                if let [child, .., item] = path.as_slice()
                    && children.contains(child)
                {
                    reexported.insert(item.clone(), child.clone());
                }
            }
        }
    }
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, text) in files {
        if module.len() <= folder.len() || !module.starts_with(folder) {
            continue;
        }
        let from = &module[folder.len()];
        for path in references(module, text) {
            if path.len() <= folder.len() || !path.starts_with(folder) {
                continue;
            }
            let named = &path[folder.len()];
            let to = if children.contains(named) {
                named
            } else if let Some(child) = reexported.get(named) {
                child
            } else {
                continue;
            };
            if to != from {
                edges.entry(from.clone()).or_default().insert(to.clone());
            }
        }
    }
    edges
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let files = sources();
    let folders: BTreeSet<ModulePath> = files
        .iter()
        .filter(|(m, _)| {
            files
                .iter()
                .any(|(other, _)| other.len() > m.len() && other.starts_with(m))
        })
        .map(|(m, _)| m.clone())
        .collect();
    assert!(
        folders.contains(&Vec::new()) && folders.len() > 5,
        "{folders:?}"
    );
    let mut cycles = Vec::new();
    for folder in &folders {
        if let Some(around) = cycle(&edges_among(folder, &files)) {
            let at = if folder.is_empty() {
                "the top level".to_string()
            } else {
                format!("{}/", folder.join("/"))
            };
            cycles.push(format!("in {at}: {}", around.join(" → ")));
        }
    }
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

#[test]
fn the_reader_sees_grouped_and_relative_imports() {
    let module: ModulePath = vec!["engine".into(), "fetch".into()];
    let text = "use crate::{address::Address, model::{Model, view}};\nuse super::runner::Slot;\nlet x = crate::units::seconds(1);";
    let found = references(&module, text);
    for expected in [
        &["address", "Address"][..],
        &["model", "Model"],
        &["model", "view"],
        &["engine", "runner", "Slot"],
        &["units", "seconds"],
    ] {
        assert!(
            found.iter().any(|p| p == expected),
            "{expected:?} in {found:?}"
        );
    }
    let mut edges = BTreeMap::new();
    edges.insert("a".to_string(), BTreeSet::from(["b".to_string()]));
    edges.insert("b".to_string(), BTreeSet::from(["a".to_string()]));
    assert!(cycle(&edges).is_some());
    edges.insert("b".to_string(), BTreeSet::new());
    assert!(cycle(&edges).is_none());
}
