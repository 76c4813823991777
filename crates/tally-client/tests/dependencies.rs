//! ARCHITECTURE.md: tally-client depends on tally-core alone of the workspace (for the amount
//! type), on no store, engine or server crate, and on no heavy HTTP stack: it is what any
//! Rust caller builds. This test reads the manifest, so a new dependency has to pass here.

/// The names under one `[section]` of the manifest.
fn dependencies(manifest: &str, section: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut inside = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            inside = line == section;
            continue;
        }
        if inside && !line.is_empty() && !line.starts_with('#') {
            let name = line.split(['=', '.', ' ']).next().unwrap_or_default();
            names.push(name.trim().to_string());
        }
    }
    names
}

#[test]
fn the_client_depends_on_tally_core_alone_of_the_workspace() {
    let manifest = include_str!("../Cargo.toml");
    let names = dependencies(manifest, "[dependencies]");
    assert!(names.contains(&"tally-core".to_string()), "{names:?}");
    assert!(names.contains(&"hyper-util".to_string()), "{names:?}");
    for name in &names {
        assert!(
            !name.starts_with("tally-") || name == "tally-core",
            "tally-client must not depend on {name}"
        );
        assert!(
            !["reqwest", "ureq", "axum"].contains(&name.as_str()),
            "tally-client must not depend on {name}"
        );
    }
}
