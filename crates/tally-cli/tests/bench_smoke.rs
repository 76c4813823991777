//! CI smoke test of `tally bench`: it starts its own server, runs charge-hot for two seconds,
//! stops the server and verifies the ledger. Only that it ran and verified is asserted: no
//! timing, no throughput (CI machines are shared and noisy).

use std::process::Command;

#[test]
fn bench_smoke_runs_and_the_ledger_verifies() {
    let output = Command::new(env!("CARGO_BIN_EXE_tally"))
        .args([
            "bench",
            "--spawn",
            "--scenario",
            "charge-hot",
            "--duration",
            "2",
            "--warmup",
            "0",
            "--connections",
            "8",
            "--smoke",
            "--json",
        ])
        .env("RUST_LOG", "warn")
        .output()
        .expect("running tally bench");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "tally bench --smoke failed ({}):\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status
    );
    let report: serde_json::Value =
        serde_json::from_str(stdout.trim()).expect("--json prints one JSON object");
    assert_eq!(report["scenario"], "charge-hot");
    assert_eq!(report["ledger"], "verified", "{stderr}");
    assert_eq!(
        report["idempotency_keys"], true,
        "keyed writes by default, as real clients send them"
    );
    assert!(stderr.contains("smoke: ok"), "{stderr}");
}

#[test]
fn bench_smoke_of_the_engine_alone() {
    let output = Command::new(env!("CARGO_BIN_EXE_tally"))
        .args([
            "bench",
            "--engine-only",
            "--batch-sizes",
            "1,64",
            "--duration",
            "1",
            "--warmup",
            "0",
            "--smoke",
        ])
        .env("RUST_LOG", "warn")
        .output()
        .expect("running tally bench --engine-only");
    assert!(
        output.status.success(),
        "tally bench --engine-only --smoke failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
