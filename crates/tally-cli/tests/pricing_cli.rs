//! End to end: `tally rate-card import --litellm … --apply` installs a card the server then
//! prices with, `tally quote` prints the cost `POST /v1/quotes` gives, and `tally rate-card
//! show` lists the card's models. The price list is the real one
//! (`crates/tally-core/tests/data`, with its licence); a missing file fails the test.

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use common::*;
use serde_json::{Value, json};
use tally_core::Decimal;
use tally_core::pricing::{ImportOptions, import_litellm};

fn list_path() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tally-core/tests/data/litellm_model_prices.json");
    assert!(
        path.is_file(),
        "the LiteLLM price list must be at {}",
        path.display()
    );
    path
}

/// Runs `tally ARGS…`: (success, stdout, stderr).
fn tally(args: &[&str]) -> (bool, String, String) {
    let output = Command::new(tally_bin())
        .args(args)
        .env_remove("TALLY_URL")
        .env_remove("TALLY_KEY")
        .env_remove("TALLY_ADMIN_KEY")
        .env("RUST_LOG", "warn")
        .output()
        .expect("running `tally`");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[track_caller]
fn tally_ok(args: &[&str]) -> (String, String) {
    let (ok, stdout, stderr) = tally(args);
    assert!(ok, "`tally {}` failed:\n{stdout}\n{stderr}", args.join(" "));
    (stdout, stderr)
}

/// `tally quote` with the server's URL and the admin key.
fn quote_cli(t: &Tally, args: &[&str]) -> String {
    let mut all = vec!["quote"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--url", t.server().base(), "--key", ADMIN_KEY]);
    tally_ok(&all).0
}

/// What `tally quote` must print first for a `POST /v1/quotes` answer.
fn cost_line(quote: &Value) -> String {
    let (min, max) = (
        quote["cost"]["min"].to_string(),
        quote["cost"]["max"].to_string(),
    );
    if min == max {
        format!("cost: {max} credits")
    } else {
        format!("cost: {min} – {max} credits (a hold reserves the maximum)")
    }
}

fn models(card: &Value) -> BTreeSet<String> {
    card["items"]
        .as_array()
        .expect("a card has items")
        .iter()
        .map(|item| item["model"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn import_apply_installs_a_card_the_server_prices_with() {
    let t = Tally::start();
    let admin = t.admin();
    let list = list_path();
    let list = list.to_str().unwrap();

    // Before: the default card, version 1, prices claude-sonnet-4-5.
    let before = admin.get("/v1/rate-card").expect(200).body;
    assert_eq!(before["version"], json!(1));
    let sonnet = json!({"usage": {"action": "chat", "model": "claude-sonnet-4-5", "input_tokens": 10, "output_tokens": 10}});
    admin.post("/v1/quotes", sonnet.clone()).expect(200);

    let (stdout, stderr) = tally_ok(&[
        "rate-card",
        "import",
        "--litellm",
        list,
        "--only",
        "gpt-4o*",
        "--apply",
        "--url",
        t.server().base(),
        "--key",
        ADMIN_KEY,
    ]);
    // stdout is the document, exactly what the library makes of the list.
    let document: Value = serde_json::from_str(&stdout).expect("stdout is the JSON document");
    let options = ImportOptions {
        only: Some("gpt-4o*".into()),
        ..ImportOptions::default()
    };
    let report = import_litellm(&std::fs::read_to_string(list).unwrap(), &options).unwrap();
    assert_eq!(document, report.document);
    assert!(stderr.contains(&report.summary()), "{stderr}");
    assert!(stderr.contains("installed rate card version 2"), "{stderr}");
    for skipped in &report.skipped {
        assert!(
            stderr.contains(&format!("skipped {} (", skipped.key)),
            "{stderr}"
        );
    }

    // The server's card is the import, as version 2.
    let card = admin.get("/v1/rate-card").expect(200).body;
    assert_eq!(card["version"], json!(2));
    assert_eq!(models(&card), models(&document));
    assert!(
        models(&card)
            .iter()
            .all(|model| model.starts_with("gpt-4o"))
    );
    assert!(models(&card).contains("gpt-4o") && models(&card).contains("gpt-4o-mini"));

    // The server prices with it: gpt-4o at the list's rates, claude-sonnet-4-5 no longer known.
    let gpt = document["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["model"] == "gpt-4o")
        .unwrap();
    assert_eq!(gpt["rates"]["input_tokens"], num("0.0025"));
    assert_eq!(gpt["rates"]["output_tokens"], num("0.01"));
    let quote = admin
        .post(
            "/v1/quotes",
            json!({"usage": {"action": "chat", "model": "gpt-4o", "input_tokens": 1000, "output_tokens": 500}}),
        )
        .expect(200).body;
    assert_eq!(quote["rate_card_version"], json!(2));
    // 1000 × 0.0025 + 500 × 0.01 = 7.5, rounded up once to 8.
    assert_eq!(quote["cost"]["max"], json!(8));
    admin
        .post("/v1/quotes", sonnet)
        .problem(422, "unknown_model");

    // `tally rate-card show` lists every model of the card.
    let (table, _) = tally_ok(&[
        "rate-card",
        "show",
        "--url",
        t.server().base(),
        "--key",
        ADMIN_KEY,
    ]);
    assert!(table.starts_with("rate card version 2,"), "{table}");
    let listed: BTreeSet<String> = table
        .lines()
        .skip(2)
        .filter_map(|line| {
            let mut columns = line.split_whitespace();
            let action = columns.next()?;
            ["chat", "embedding", "image", "video", "speech", "custom"]
                .contains(&action)
                .then(|| columns.next().map(str::to_string))
                .flatten()
        })
        .collect();
    assert_eq!(listed, models(&card), "{table}");
    assert!(
        table.contains("input 0.0025 · cached 0.00125 · output 0.01 /token"),
        "{table}"
    );

    // And `tally quote` prints the cost the API gives on the new card.
    let printed = quote_cli(
        &t,
        &[
            "--model",
            "gpt-4o",
            "--input-tokens",
            "1000",
            "--output-tokens",
            "500",
        ],
    );
    assert!(printed.starts_with("cost: 8 credits\n"), "{printed}");
    assert!(printed.contains("rate card version 2;"), "{printed}");

    // An empty import is not installed.
    let (ok, _, stderr) = tally(&[
        "rate-card",
        "import",
        "--litellm",
        list,
        "--only",
        "no-such-model-*",
        "--apply",
        "--url",
        t.server().base(),
        "--key",
        ADMIN_KEY,
    ]);
    assert!(!ok && stderr.contains("nothing to install"), "{stderr}");
    assert_eq!(admin.get("/v1/rate-card").expect(200)["version"], json!(2));
}

#[test]
fn quote_prints_what_the_api_quotes() {
    let t = Tally::start();
    let admin = t.admin();
    create_account(&admin, "acme");
    grant(&admin, "acme", json!(50), json!({}));

    // (CLI flags, the usage the API is sent.)
    let cases: Vec<(Vec<&str>, Value)> = vec![
        (
            vec![
                "--model",
                "gpt-4o",
                "--input-tokens",
                "1200",
                "--max-output-tokens",
                "4096",
            ],
            json!({"action": "chat", "model": "gpt-4o", "input_tokens": 1200, "max_output_tokens": 4096}),
        ),
        (
            vec![
                "--model",
                "gpt-4o-mini",
                "--input-tokens",
                "1000",
                "--cached-input-tokens",
                "200",
                "--output-tokens",
                "300",
            ],
            json!({"action": "chat", "model": "gpt-4o-mini", "input_tokens": 1000, "cached_input_tokens": 200, "output_tokens": 300}),
        ),
        (
            vec![
                "--action",
                "embedding",
                "--model",
                "text-embedding-3-small",
                "--input-tokens",
                "50000",
            ],
            json!({"action": "embedding", "model": "text-embedding-3-small", "input_tokens": 50000}),
        ),
        (
            vec![
                "--model",
                "gpt-image-1",
                "--width",
                "1024",
                "--height",
                "1536",
                "--quality",
                "medium",
                "--count",
                "2",
            ],
            json!({"action": "image", "model": "gpt-image-1", "width": 1024, "height": 1536, "quality": "medium", "count": 2}),
        ),
        (
            vec![
                "--model",
                "veo-3.1",
                "--width",
                "3840",
                "--height",
                "2160",
                "--seconds",
                "8.125",
            ],
            json!({"action": "video", "model": "veo-3.1", "width": 3840, "height": 2160, "seconds": num("8.125")}),
        ),
        (
            vec!["--model", "tts-1", "--characters", "1000"],
            json!({"action": "speech", "model": "tts-1", "characters": 1000}),
        ),
        (
            vec!["--model", "whisper-1", "--seconds", "60"],
            json!({"action": "speech", "model": "whisper-1", "seconds": 60}),
        ),
        (
            vec![
                "--model",
                "web-search",
                "--units",
                "3",
                "--product",
                "search",
            ],
            json!({"action": "custom", "model": "web-search", "units": 3, "product": "search"}),
        ),
    ];
    for (flags, usage) in cases {
        let api = admin
            .post("/v1/quotes", json!({"usage": usage}))
            .expect(200)
            .body;
        let printed = quote_cli(&t, &flags);
        let first = printed.lines().next().unwrap_or_default();
        assert_eq!(first, cost_line(&api), "{flags:?}:\n{printed}");
        assert_eq!(
            printed
                .lines()
                .filter(|line| line.starts_with("  "))
                .count(),
            api["lines"].as_array().unwrap().len(),
            "{flags:?}:\n{printed}"
        );
        assert!(
            printed.contains(&format!("rate card version {};", api["rate_card_version"])),
            "{printed}"
        );
    }

    // With an account: affordable, then not.
    let small = quote_cli(
        &t,
        &[
            "--model",
            "gpt-4o",
            "--input-tokens",
            "1000",
            "--output-tokens",
            "100",
            "--account",
            "acme",
        ],
    );
    assert!(small.contains("account acme: 50 available, "), "{small}");
    assert!(small.trim_end().ends_with(": affordable"), "{small}");
    let large = quote_cli(
        &t,
        &[
            "--model",
            "sora-2-pro",
            "--width",
            "1280",
            "--height",
            "720",
            "--seconds",
            "10",
            "--account",
            "acme",
        ],
    );
    assert!(large.trim_end().ends_with(": NOT affordable"), "{large}");
    let api = admin
        .post(
            "/v1/quotes",
            json!({"usage": {"action": "video", "model": "sora-2-pro", "width": 1280, "height": 720, "seconds": 10}, "account_id": "acme"}),
        )
        .expect(200).body;
    assert_eq!(large.lines().next().unwrap(), cost_line(&api));
    assert_eq!(api["account"]["affordable"], json!(false));

    // Errors are the API's, and a usage with no quantity needs --action.
    let (ok, _, stderr) = tally(&[
        "quote",
        "--model",
        "no-such-model",
        "--input-tokens",
        "1",
        "--output-tokens",
        "1",
        "--url",
        t.server().base(),
        "--key",
        ADMIN_KEY,
    ]);
    assert!(!ok && stderr.contains("422 unknown_model"), "{stderr}");
    let (ok, _, stderr) = tally(&[
        "quote",
        "--model",
        "gpt-4o",
        "--url",
        t.server().base(),
        "--key",
        ADMIN_KEY,
    ]);
    assert!(!ok && stderr.contains("--action"), "{stderr}");

    // The decimal flags are exact: --credits-per-usd and --markup multiply without a float.
    let list = list_path();
    let (stdout, _) = tally_ok(&[
        "rate-card",
        "import",
        "--litellm",
        list.to_str().unwrap(),
        "--only",
        "text-embedding-3-small",
        "--credits-per-usd",
        "211",
        "--markup",
        "1.15",
    ]);
    let document: Value = serde_json::from_str(&stdout).unwrap();
    let options = ImportOptions {
        credits_per_usd: Decimal::parse("211").unwrap(),
        markup: Decimal::parse("1.15").unwrap(),
        only: Some("text-embedding-3-small".into()),
    };
    let text = std::fs::read_to_string(&list).unwrap();
    assert_eq!(document, import_litellm(&text, &options).unwrap().document);
    let small = document["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["model"] == "text-embedding-3-small")
        .unwrap();
    // 2e-08 USD × 211 × 1.15 = 0.000004853 credits per token.
    assert_eq!(small["rates"]["input_tokens"], num("0.000004853"));
}

/// A JSON number's text, read at 12 significant digits (half to even) and × 1000 credits per
/// USD, as plain decimal text: computed here from the digits, independently of the importer.
fn credits_at_twelve_digits(text: &str) -> String {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], text[at + 1..].parse::<i64>().unwrap()),
        None => (text, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut digits: Vec<u8> = whole
        .bytes()
        .chain(fraction.bytes())
        .map(|b| b - b'0')
        .collect();
    let mut exponent = exponent - fraction.len() as i64 + 3; // × 1000
    while digits.first() == Some(&0) {
        digits.remove(0);
    }
    if digits.len() > 12 {
        let rest = digits.split_off(12);
        exponent += rest.len() as i64;
        let up = rest[0] > 5
            || (rest[0] == 5 && (rest[1..].iter().any(|d| *d != 0) || digits[11] % 2 == 1));
        if up {
            let mut at = digits.len();
            loop {
                at -= 1;
                if digits[at] < 9 {
                    digits[at] += 1;
                    break;
                }
                digits[at] = 0;
                if at == 0 {
                    digits.insert(0, 1);
                    break;
                }
            }
        }
    }
    while digits.len() > 1 && digits.last() == Some(&0) {
        digits.pop();
        exponent += 1;
    }
    let text: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
    if exponent >= 0 {
        return format!("{text}{}", "0".repeat(exponent as usize));
    }
    let places = exponent.unsigned_abs() as usize;
    let padded = format!(
        "{}{text}",
        "0".repeat((places + 1).saturating_sub(text.len()))
    );
    let (whole, part) = padded.split_at(padded.len() - places);
    format!("{whole}.{part}")
}

/// The list's float noise (`0.0000008900000000000001` USD a token) no longer refuses a real
/// price: `novita/*` imports with its prices read at 12 significant digits, the summary counts
/// them, and the server quotes each per-token price as the list's text means it.
#[test]
fn noisy_list_prices_import_and_the_server_quotes_them_as_meant() {
    let t = Tally::start();
    let admin = t.admin();
    let list = list_path();
    let (stdout, stderr) = tally_ok(&[
        "rate-card",
        "import",
        "--litellm",
        list.to_str().unwrap(),
        "--only",
        "novita/*",
        "--apply",
        "--url",
        t.server().base(),
        "--key",
        ADMIN_KEY,
    ]);
    assert!(
        stderr.contains("imported with a price read at 12 significant digits"),
        "{stderr}"
    );
    let document: Value = serde_json::from_str(&stdout).unwrap();
    let imported = models(&document);
    let text = std::fs::read_to_string(&list).unwrap();
    let entries: Value = serde_json::from_str(&text).unwrap();
    let (mut quoted, mut noisy) = (0, 0);
    for (key, entry) in entries.as_object().unwrap() {
        let (Some(input), Some(output)) = (
            entry.get("input_cost_per_token").filter(|v| v.is_number()),
            entry.get("output_cost_per_token").filter(|v| v.is_number()),
        ) else {
            continue;
        };
        if !key.starts_with("novita/")
            || entry["mode"] != "chat"
            || entry
                .as_object()
                .unwrap()
                .keys()
                .any(|k| k.contains("_above_"))
        {
            continue;
        }
        assert!(imported.contains(key), "{key} is not imported: {stderr}");
        let (input, output) = (input.to_string(), output.to_string());
        let digits = |text: &str| {
            let mantissa = text.split(['e', 'E']).next().unwrap();
            mantissa
                .trim_start_matches(['0', '.'])
                .replace('.', "")
                .len()
        };
        if digits(&input) > 12 || digits(&output) > 12 {
            noisy += 1;
        }
        let quote = admin
            .post(
                "/v1/quotes",
                json!({"usage": {"action": "chat", "model": key, "input_tokens": 1000, "output_tokens": 10}}),
            )
            .expect(200)
            .body;
        let lines = quote["lines"].as_array().unwrap();
        let unit = |dimension: &str| {
            lines
                .iter()
                .find(|line| line["dimension"] == dimension)
                .map(|line| line["unit_price"].to_string())
        };
        assert_eq!(
            unit("input_tokens"),
            Some(credits_at_twelve_digits(&input)),
            "{key}: {input}"
        );
        assert_eq!(
            unit("output_tokens"),
            Some(credits_at_twelve_digits(&output)),
            "{key}: {output}"
        );
        quoted += 1;
    }
    assert!(
        quoted >= 20 && noisy >= 10,
        "{quoted} quoted, {noisy} noisy"
    );
}

/// `tally quote` with a model the card does not price says so first, naming the model and
/// where the models are listed, even when the usage also lacks its output tokens.
#[test]
fn quote_of_an_unknown_model_names_the_model_first() {
    let t = Tally::start();
    let (ok, _, stderr) = tally(&[
        "quote",
        "--model",
        "gpt-9-turbo",
        "--input-tokens",
        "100",
        "--url",
        t.server().base(),
        "--key",
        ADMIN_KEY,
    ]);
    assert!(!ok, "{stderr}");
    assert!(stderr.contains("422 unknown_model"), "{stderr}");
    assert!(stderr.contains("`gpt-9-turbo`"), "{stderr}");
    assert!(stderr.contains("GET /v1/rate-card"), "{stderr}");
    assert!(!stderr.contains("output_tokens"), "{stderr}");
    assert!(!stderr.contains("pricing:"), "{stderr}");
}

#[test]
fn import_apply_with_json_prints_the_installed_card() {
    let t = Tally::start();
    let admin = t.admin();
    let list = list_path();
    let (stdout, stderr) = tally_ok(&[
        "rate-card",
        "import",
        "--litellm",
        list.to_str().unwrap(),
        "--only",
        "gpt-4o*",
        "--apply",
        "--json",
        "--url",
        t.server().base(),
        "--key",
        ADMIN_KEY,
    ]);
    // One JSON value on stdout: the server's answer, not the document.
    let installed: Value = serde_json::from_str(&stdout).expect("stdout is one JSON answer");
    assert_eq!(installed["version"], json!(2), "{stdout}");
    assert!(stderr.contains("installed rate card version 2"), "{stderr}");
    assert_eq!(installed, admin.get("/v1/rate-card").expect(200).body);
}
