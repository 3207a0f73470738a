//! What `cargo package` ships: the code, the bundled poems, the licences and
//! the docs; not the screenshots, the scripts that make them, nor CI.

use std::process::Command;

#[test]
fn the_package_holds_the_poems_and_leaves_out_the_screenshots() {
    let output = Command::new(env!("CARGO"))
        .args([
            "package",
            "--list",
            "--allow-dirty",
            "--locked",
            "--manifest-path",
        ])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let list = String::from_utf8(output.stdout).expect("UTF-8");
    let files: Vec<&str> = list.lines().collect();
    for wanted in [
        "assets/poems/ecstasy.txt",
        "assets/poems/hostile.txt",
        "LICENSE-MIT",
        "LICENSE-APACHE",
        "README.md",
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
