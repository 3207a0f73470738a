//! What the manifest promises, checked with cargo itself: the minimum Rust we
//! state is true (no dependency we build declares a higher `rust-version`,
//! and the README says the same), and `cargo package` ships the code, the
//! bundled poems, the licences and the docs, but not the screenshots, the
//! scripts that make them, nor CI. (Only one toolchain is at hand, so the
//! minimum is a comparison of declarations, not a build with the old
//! compiler.)

use std::process::Command;

const MANIFEST: &str = include_str!("../Cargo.toml");
const README: &str = include_str!("../README.md");

/// `1.88` and `1.88.0` are the same version.
fn version(text: &str) -> [u64; 3] {
    let mut parts = [0; 3];
    for (part, n) in parts.iter_mut().zip(text.split('.')) {
        *part = n.parse().unwrap_or(0);
    }
    parts
}

fn cargo(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO"))
        .args(args)
        .args(["--locked", "--manifest-path"])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8")
}

#[test]
fn no_dependency_needs_a_newer_rust_than_we_state() {
    let ours = MANIFEST
        .lines()
        .find_map(|line| line.strip_prefix("rust-version = "))
        .map(|v| v.trim_matches('"').to_string())
        .expect("Cargo.toml states rust-version");
    assert!(
        README.contains(&format!("stable {ours} or newer")),
        "the README states rust {ours}"
    );

    // What is built for this machine, tests and build scripts included.
    let tree = cargo(&[
        "tree",
        "-e",
        "normal,build,dev",
        "--prefix",
        "none",
        "--format",
        "{p}",
    ]);
    let built: std::collections::HashSet<(String, String)> = tree
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let name = words.next()?.to_string();
            let version = words.next()?.strip_prefix('v')?.to_string();
            Some((name, version))
        })
        .collect();
    assert!(
        built.len() > 20,
        "cargo tree listed the dependencies: {tree}"
    );

    let metadata: serde_json::Value =
        serde_json::from_str(&cargo(&["metadata", "--format-version", "1"])).expect("JSON");
    let mut too_new = Vec::new();
    for package in metadata["packages"].as_array().expect("packages") {
        let name = package["name"].as_str().unwrap_or_default().to_string();
        let release = package["version"].as_str().unwrap_or_default().to_string();
        let Some(needs) = package["rust_version"].as_str() else {
            continue;
        };
        if built.contains(&(name.clone(), release.clone())) && version(needs) > version(&ours) {
            too_new.push(format!("{name} {release} needs {needs}"));
        }
    }
    assert!(
        too_new.is_empty(),
        "newer than our rust-version {ours}: {too_new:?}"
    );
}

#[test]
fn the_package_holds_the_poems_and_leaves_out_the_screenshots() {
    let list = cargo(&["package", "--list", "--allow-dirty"]);
    let files: Vec<&str> = list.lines().collect();
    for wanted in [
        "assets/poems/ecstasy.txt",
        "assets/poems/hostile.txt",
        "LICENSE-MIT",
        "LICENSE-APACHE",
        "README.md",
        "docs/output.md",
        "src/main.rs",
    ] {
        assert!(files.contains(&wanted), "{wanted} is missing: {files:?}");
    }
    for file in &files {
        assert!(
            !file.starts_with("screenshots/")
                && !file.starts_with("scripts/")
                && !file.starts_with(".ci/"),
            "{file} should not ship"
        );
    }
}
