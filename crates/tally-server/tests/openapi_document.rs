//! `docs/openapi.json` is the document the code generates, byte for byte: a change of a
//! route, a body or a resource's schema without the committed document fails here.
//!
//! Regenerate it with `cargo run -p tally-cli -- openapi > docs/openapi.json`, or with
//! `TALLY_WRITE_OPENAPI=1 cargo test -p tally-server --test openapi_document`.

use std::path::PathBuf;

fn committed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json")
}

#[test]
fn the_committed_document_is_the_generated_one() {
    let generated = tally_server::openapi::text();
    let path = committed_path();
    if std::env::var_os("TALLY_WRITE_OPENAPI").is_some() {
        std::fs::write(&path, &generated).expect("write docs/openapi.json");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != generated {
        let line = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| committed.lines().count().min(generated.lines().count()));
        panic!(
            "docs/openapi.json differs from the generated document from line {} on \
             (generated: {:?}); regenerate it: cargo run -p tally-cli -- openapi > docs/openapi.json",
            line + 1,
            generated.lines().nth(line).unwrap_or("<end>")
        );
    }
}

#[test]
fn the_document_is_deterministic() {
    assert_eq!(tally_server::openapi::text(), tally_server::openapi::text());
}
