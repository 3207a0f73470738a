//! The README documents what the binary does: every option of every command
//! and every key of the dashboard's help appear in it; it stays short, and
//! every link in it and in `docs/` leads somewhere that exists.

use clap::CommandFactory;
use poetry_dash::cli::Cli;

const README: &str = include_str!("../README.md");

#[test]
fn every_option_of_every_command_is_in_the_readme() {
    let top = Cli::command();
    let mut missing = Vec::new();
    let commands = std::iter::once(&top).chain(top.get_subcommands());
    for command in commands {
        for arg in command.get_arguments() {
            if let Some(long) = arg.get_long()
                && !matches!(long, "help" | "version")
                && !README.contains(&format!("--{long}"))
            {
                missing.push(format!("{} --{long}", command.get_name()));
            }
        }
        if command.get_name() != "poetry-dash"
            && !README.contains(&format!("poetry-dash {}", command.get_name()))
        {
            missing.push(format!("the {} command", command.get_name()));
        }
    }
    assert!(missing.is_empty(), "not in the README: {missing:?}");
}

#[test]
fn every_dashboard_key_is_in_the_readme() {
    for binding in poetry_dash::ui::help::KEYS {
        for key in binding
            .shown
            .split_whitespace()
            .filter(|k| k.chars().count() <= 2)
        {
            assert!(
                README.contains(&format!("`{key}`")),
                "key {key} is not in the README"
            );
        }
    }
}

/// The README and every file in `docs/`, with their paths.
fn documents() -> Vec<(std::path::PathBuf, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut documents = vec![(root.join("README.md"), README.to_string())];
    for entry in std::fs::read_dir(root.join("docs")).expect("docs/") {
        let path = entry.expect("an entry").path();
        if path.extension().is_some_and(|e| e == "md") {
            let text = std::fs::read_to_string(&path).expect("a doc");
            documents.push((path, text));
        }
    }
    documents
}

/// GitHub's anchor for a heading: lower case, spaces to hyphens, most
/// punctuation dropped.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

#[test]
fn every_link_to_a_file_or_heading_leads_somewhere() {
    let documents = documents();
    assert!(documents.len() > 5, "the README and the docs");
    let mut broken = Vec::new();
    for (path, text) in &documents {
        let folder = path.parent().expect("a folder");
        // `](target)`: markdown links; web addresses are not checked.
        for piece in text.split("](").skip(1) {
            let Some(target) = piece.split(')').next() else {
                continue;
            };
            if target.starts_with("http") || target.contains(' ') {
                continue;
            }
            let (file, heading) = target.split_once('#').unwrap_or((target, ""));
            let linked = if file.is_empty() {
                path.clone()
            } else {
                folder.join(file)
            };
            let Ok(linked_text) = std::fs::read_to_string(&linked) else {
                if !linked.exists() {
                    broken.push(format!("{}: {target}", path.display()));
                }
                continue;
            };
            if !heading.is_empty()
                && !linked_text
                    .lines()
                    .filter_map(|line| line.strip_prefix('#'))
                    .any(|line| anchor(line.trim_start_matches('#')) == heading)
            {
                broken.push(format!("{}: {target} (no such heading)", path.display()));
            }
        }
    }
    assert!(broken.is_empty(), "broken links: {broken:?}");
}

#[test]
fn the_readme_is_for_a_newcomer_and_links_the_reference() {
    assert!(
        README.len() <= 21 * 1024,
        "the README is {} bytes: the reference belongs in docs/",
        README.len()
    );
    for (path, _) in documents().iter().skip(1) {
        let name = path.file_name().unwrap().to_string_lossy();
        assert!(
            README.contains(&format!("](docs/{name})")),
            "the README links docs/{name}"
        );
    }
}

#[test]
fn every_ndjson_type_and_reason_is_in_the_schema() {
    let schema = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/output.md"))
        .expect("docs/output.md");
    for word in [
        "queued",
        "connecting",
        "connected",
        "progress",
        "paused",
        "resumed",
        "finished",
        "failed",
        "cancelled",
        "retrying",
        "problem",
        "summary",
        "refused",
        "name_not_resolved",
        "connect_timeout",
        "idle_timeout",
        "deadline",
        "reset",
        "too_large",
        "connect_s",
        "first_byte_s",
        "total_s",
        "text_lossy",
        "after_s",
        "attempts",
        "chunk",
        "unsaved",
        "interrupted",
        "bytes_received",
    ] {
        assert!(
            schema.contains(&format!("`{word}`")),
            "{word} in docs/output.md"
        );
    }
}
