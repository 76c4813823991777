//! The repository stands alone: nothing in it points outside it, its Markdown links lead to
//! files it has, and the HTTP contract in docs/api.md names only routes the server has (and
//! every one of them).
//!
//! No server is started: these tests read files only.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Component, Path, PathBuf};

/// The repository's root (this crate is `crates/tally-cli`).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("standalone: the repository root")
}

/// Directories that are not the repository's own text: build output, Git's data, installed
/// packages, Python virtual environments, the caches of the contract checks' tools.
const SKIPPED_DIRS: &[&str] = &[
    "target",
    ".git",
    "node_modules",
    ".venv",
    "venv",
    "__pycache__",
    ".hypothesis",
    ".schemathesis",
    ".pytest_cache",
];

/// Files that are not text, by their extension (a file with a NUL byte is skipped as well).
const BINARY_EXTENSIONS: &[&str] = &[
    "png", "jpg", "jpeg", "gif", "ico", "webp", "pdf", "db", "db-wal", "db-shm", "sqlite",
    "sqlite3", "wasm", "woff", "woff2", "ttf", "otf", "gz", "tgz", "zip", "zst", "bin",
];

/// Every text file under `dir`, with its path relative to the root.
fn text_files(root: &Path, dir: &Path, out: &mut Vec<(PathBuf, String)>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap_or_else(|error| panic!("standalone: read {}: {error}", dir.display()))
        .map(|entry| entry.expect("standalone: a directory entry"))
        .collect();
    entries.sort_by_key(fs::DirEntry::file_name);
    for entry in entries {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let kind = entry.file_type().expect("standalone: a file type");
        if kind.is_symlink() || SKIPPED_DIRS.contains(&name.as_str()) {
            continue;
        }
        if kind.is_dir() {
            // A virtual environment under any name.
            if path.join("pyvenv.cfg").exists() {
                continue;
            }
            text_files(root, &path, out);
            continue;
        }
        let extension = path
            .extension()
            .map(|extension| extension.to_string_lossy().to_ascii_lowercase());
        if extension.is_some_and(|extension| BINARY_EXTENSIONS.contains(&extension.as_str())) {
            continue;
        }
        let bytes = fs::read(&path)
            .unwrap_or_else(|error| panic!("standalone: read {}: {error}", path.display()));
        if bytes.contains(&0) {
            continue;
        }
        let relative = path.strip_prefix(root).expect("standalone: under the root");
        out.push((
            relative.to_path_buf(),
            String::from_utf8_lossy(&bytes).into_owned(),
        ));
    }
}

/// What no file may mention: the paths of the workspace this repository was written in.
/// Built from parts, so that this file does not mention them itself.
fn outside_references() -> Vec<String> {
    let shared = ["sha", "red"].concat();
    vec![
        format!("../{shared}"),
        format!("/{}/", ["wo", "rk"].concat()),
        format!("{shared}/{}", ["API", ".md"].concat()),
        format!("{shared}/{}", ["DESIGN", ".md"].concat()),
    ]
}

#[test]
fn no_file_mentions_a_path_outside_the_repository() {
    let root = root();
    let mut files = Vec::new();
    text_files(&root, &root, &mut files);
    assert!(
        files.iter().any(|(path, _)| path == Path::new("README.md")),
        "standalone: the walk found no README.md under {}",
        root.display()
    );
    let needles = outside_references();
    let mut found = Vec::new();
    for (path, text) in &files {
        for (number, line) in text.lines().enumerate() {
            for needle in &needles {
                if line.contains(needle.as_str()) {
                    found.push(format!(
                        "{}:{}: mentions `{needle}`: {}",
                        path.display(),
                        number + 1,
                        line.trim()
                    ));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "the repository must stand alone; these lines point outside it:\n{}",
        found.join("\n")
    );
}

/// README.md, ARCHITECTURE.md and every docs/*.md.
fn markdown_files(root: &Path) -> Vec<PathBuf> {
    let mut files = vec![root.join("README.md"), root.join("ARCHITECTURE.md")];
    let mut docs: Vec<PathBuf> = fs::read_dir(root.join("docs"))
        .expect("standalone: read docs/")
        .map(|entry| entry.expect("standalone: a docs entry").path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    files
}

/// The text of a Markdown file outside code: fenced blocks and inline code spans become
/// blanks (a `[i](x)` in a code sample is not a link), lines keep their numbers.
fn prose(markdown: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut fence: Option<&str> = None;
    for line in markdown.lines() {
        let trimmed = line.trim_start();
        let marker = ["```", "~~~"]
            .into_iter()
            .find(|marker| trimmed.starts_with(marker));
        match (fence, marker) {
            (None, Some(marker)) => {
                fence = Some(marker);
                lines.push(String::new());
                continue;
            }
            (Some(open), Some(marker)) if open == marker => {
                fence = None;
                lines.push(String::new());
                continue;
            }
            (Some(_), _) => {
                lines.push(String::new());
                continue;
            }
            (None, None) => {}
        }
        let mut text = String::new();
        let mut in_code = false;
        for character in line.chars() {
            if character == '`' {
                in_code = !in_code;
                text.push(' ');
            } else if in_code {
                text.push(' ');
            } else {
                text.push(character);
            }
        }
        lines.push(text);
    }
    lines
}

/// The targets of `[text](target)` and `![alt](target)` links on a line of prose.
fn link_targets(line: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("](") {
        let after = &rest[at + 2..];
        let Some(end) = after.find(')') else {
            break;
        };
        // `[text](path "title")`: the path is what comes before the space.
        let target = after[..end].split_whitespace().next().unwrap_or("");
        let target = target.trim_start_matches('<').trim_end_matches('>');
        targets.push(target.to_string());
        rest = &after[end..];
    }
    targets
}

/// Whether a link leads outside the repository's files (a web page, mail) or within the page.
fn is_external_or_anchor(target: &str) -> bool {
    target.is_empty()
        || target.starts_with('#')
        || target.starts_with("http://")
        || target.starts_with("https://")
        || target.starts_with("mailto:")
}

/// `base/target` without `.` and `..` (the file need not exist).
fn resolve(base: &Path, target: &str) -> PathBuf {
    let mut path = PathBuf::new();
    for component in base.join(target).components() {
        match component {
            Component::ParentDir => {
                path.pop();
            }
            Component::CurDir => {}
            other => path.push(other),
        }
    }
    path
}

#[test]
fn every_relative_markdown_link_leads_to_a_file_of_the_repository() {
    let root = root();
    let mut broken = Vec::new();
    let mut checked = 0;
    for file in markdown_files(&root) {
        let text = fs::read_to_string(&file)
            .unwrap_or_else(|error| panic!("standalone: read {}: {error}", file.display()));
        let base = file.parent().expect("standalone: a file's directory");
        let name = file
            .strip_prefix(&root)
            .unwrap_or(&file)
            .display()
            .to_string();
        for (number, line) in prose(&text).iter().enumerate() {
            for target in link_targets(line) {
                if is_external_or_anchor(&target) {
                    continue;
                }
                checked += 1;
                let path = target.split('#').next().unwrap_or("");
                let resolved = resolve(base, path);
                if !resolved.starts_with(&root) {
                    broken.push(format!(
                        "{name}:{}: `{target}` leads outside the repository",
                        number + 1
                    ));
                } else if !resolved.exists() {
                    broken.push(format!("{name}:{}: `{target}`: no such file", number + 1));
                }
            }
        }
    }
    assert!(checked > 0, "standalone: no relative link found at all");
    assert!(
        broken.is_empty(),
        "broken Markdown links:\n{}",
        broken.join("\n")
    );
}

const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE"];

/// What marks a line of docs/api.md that sends a method its path does not take, on purpose
/// (the example of a 405): the reader skips it.
const WRONG_METHOD_MARK: &str = "# 405:";

/// Every `METHOD /path` written in a text (also `-X METHOD $TALLY/path` in a curl line), with
/// its line number: the path without its query, up to the first character a path does not
/// hold.
fn routes_written(text: &str) -> Vec<(usize, String, String)> {
    let mut routes = Vec::new();
    for (number, line) in text.lines().enumerate() {
        if line.contains(WRONG_METHOD_MARK) {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        for pair in words.windows(2) {
            let method = pair[0].trim_start_matches(['`', '(', '"', '*']);
            if !METHODS.contains(&method) {
                continue;
            }
            let path = pair[1]
                .trim_start_matches(['`', '"'])
                .trim_start_matches("$TALLY");
            if !path.starts_with('/') {
                continue;
            }
            let end = path
                .find(['?', '`', '"', ')', ',', ';', ':', '\'', '*'])
                .unwrap_or(path.len());
            let path = path[..end].trim_end_matches(['.', '/']);
            if path.is_empty() {
                continue;
            }
            routes.push((number + 1, method.to_string(), path.to_string()));
        }
    }
    routes
}

/// Whether a path as written (`/v1/holds/hold_…/capture`, `/v1/holds/{id}/capture`) is the
/// template `/v1/holds/{id}/capture`: the same segments, a `{parameter}` matching any one.
fn matches_template(path: &str, template: &str) -> bool {
    let written: Vec<&str> = path.split('/').collect();
    let pattern: Vec<&str> = template.split('/').collect();
    written.len() == pattern.len()
        && written.iter().zip(&pattern).all(|(segment, expected)| {
            segment == expected || (expected.starts_with('{') && expected.ends_with('}'))
        })
}

/// The paths of docs/openapi.json, each with its methods (upper case).
fn openapi_routes(root: &Path) -> Vec<(String, BTreeSet<String>)> {
    let text = fs::read_to_string(root.join("docs/openapi.json"))
        .expect("standalone: read docs/openapi.json");
    let document: serde_json::Value =
        serde_json::from_str(&text).expect("standalone: docs/openapi.json is JSON");
    let paths = document["paths"]
        .as_object()
        .expect("standalone: docs/openapi.json has `paths`");
    paths
        .iter()
        .map(|(path, operations)| {
            let methods = operations
                .as_object()
                .map(|operations| {
                    operations
                        .keys()
                        .map(|method| method.to_ascii_uppercase())
                        .filter(|method| METHODS.contains(&method.as_str()))
                        .collect()
                })
                .unwrap_or_default();
            (path.clone(), methods)
        })
        .collect()
}

#[test]
fn every_route_docs_api_md_names_is_in_the_openapi_document() {
    let root = root();
    let api = fs::read_to_string(root.join("docs/api.md")).expect("standalone: read docs/api.md");
    let routes = openapi_routes(&root);
    let written = routes_written(&api);
    assert!(
        written.iter().any(|(_, _, path)| path.starts_with("/v1/")),
        "standalone: docs/api.md names no `METHOD /v1/…` route"
    );
    let mut unknown = Vec::new();
    for (number, method, path) in &written {
        let templates: Vec<_> = routes
            .iter()
            .filter(|(template, _)| matches_template(path, template))
            .collect();
        if templates.is_empty() {
            unknown.push(format!(
                "docs/api.md:{number}: `{method} {path}`: no such path in docs/openapi.json"
            ));
        } else if !templates
            .iter()
            .any(|(_, methods)| methods.contains(method.as_str()))
        {
            unknown.push(format!(
                "docs/api.md:{number}: `{method} {path}`: the path takes no {method} in docs/openapi.json"
            ));
        }
    }
    assert!(
        unknown.is_empty(),
        "docs/api.md names routes the server does not have:\n{}",
        unknown.join("\n")
    );
}

#[test]
fn docs_api_md_names_every_route_of_the_openapi_document() {
    let root = root();
    let api = fs::read_to_string(root.join("docs/api.md")).expect("standalone: read docs/api.md");
    let written = routes_written(&api);
    let mut missing = Vec::new();
    for (template, methods) in openapi_routes(&root) {
        for method in methods {
            let named = written.iter().any(|(_, written_method, path)| {
                *written_method == method && matches_template(path, &template)
            });
            if !named {
                missing.push(format!("{method} {template}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "docs/api.md does not describe these routes of docs/openapi.json (write each as \
         `METHOD /path` where it is described):\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_route_reader_reads_what_docs_write() {
    let text = "`POST /v1/holds/{id}/capture` and GET /v1/accounts/acme/usage?group_by=day,\n\
                curl -s -X POST $TALLY/v1/accounts -d '{}'\n\
                (`DELETE /v1/keys/key_…`).\n\
                curl -s -X DELETE $TALLY/v1/accounts/acme/charges  # 405: on purpose";
    let routes = routes_written(text);
    let found: Vec<(&str, &str)> = routes
        .iter()
        .map(|(_, method, path)| (method.as_str(), path.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            ("POST", "/v1/holds/{id}/capture"),
            ("GET", "/v1/accounts/acme/usage"),
            ("POST", "/v1/accounts"),
            ("DELETE", "/v1/keys/key_…"),
        ]
    );
    assert!(matches_template(
        "/v1/holds/hold_1/capture",
        "/v1/holds/{id}/capture"
    ));
    assert!(!matches_template(
        "/v1/holds/hold_1",
        "/v1/holds/{id}/capture"
    ));
    assert!(!matches_template(
        "/v1/hold/hold_1/capture",
        "/v1/holds/{id}/capture"
    ));
    assert_eq!(
        link_targets("see [a](docs/a.md#x) and ![b](b.png \"B\"), [c](https://c.test)"),
        ["docs/a.md#x", "b.png", "https://c.test"]
    );
    assert_eq!(prose("a `[x](y)` b\n```\n[z](w)\n```\n[k](l)")[4], "[k](l)");
}
