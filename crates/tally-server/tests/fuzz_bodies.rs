//! Fuzzing the request-body decoders through the real router (proptest over arbitrary bytes
//! and arbitrary JSON): whatever arrives, the answer is a documented status with a problem
//! document, never a 5xx or a panic, and the ledger still verifies afterwards.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use proptest::prelude::*;
use serde_json::{Value, json};
use tally_server::limits::LimitsConfig;
use tally_server::{ServeConfig, Server};

/// The SQLite store in `dir` (created on first use).
fn sqlite(dir: &std::path::Path) -> std::sync::Arc<dyn tally_store::Store> {
    std::sync::Arc::new(tally_sqlite::SqliteStore::open(dir.join("tally.db")).unwrap())
}
use tower::ServiceExt;

const ADMIN_KEY: &str = "admin-key-for-fuzzing";

const ROUTES: &[&str] = &[
    "/v1/accounts",
    "/v1/accounts/a/grants",
    "/v1/accounts/a/charges",
    "/v1/accounts/a/holds",
    "/v1/holds/hold_unknown/capture",
    "/v1/clock",
];

fn documented(status: StatusCode) -> bool {
    matches!(
        status.as_u16(),
        200 | 201 | 400 | 402 | 404 | 409 | 413 | 422
    )
}

/// JSON values shaped like request bodies: objects with the fields the routes read, holding
/// values of every type.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "[-+]?[0-9]{1,25}(\\.[0-9]{0,8})?([eE][-+]?[0-9]{1,4})?"
            .prop_filter_map("a JSON number", |text| serde_json::from_str::<Value>(&text)
                .ok()),
        "\\PC{0,20}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        let names = prop_oneof![
            Just("amount".to_string()),
            Just("ttl_seconds".to_string()),
            Just("source".to_string()),
            Just("priority".to_string()),
            Just("expires_at".to_string()),
            Just("metadata".to_string()),
            Just("product".to_string()),
            Just("id".to_string()),
            Just("advance_seconds".to_string()),
            "[a-z_]{1,12}",
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(names, inner, 0..5)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

struct Fixture {
    server: Option<Server>,
    dir: std::path::PathBuf,
}

impl Fixture {
    fn start() -> Fixture {
        let dir =
            std::env::temp_dir().join(format!("tally-fuzz-{}", tally_engine::ids::random_token(8)));
        std::fs::create_dir_all(&dir).unwrap();
        let config = ServeConfig {
            admin_key: Some(ADMIN_KEY.into()),
            test_clock: true,
            max_batch: 64,
            limits: LimitsConfig {
                key_requests_per_second: 0,
                ..LimitsConfig::default()
            },
            ..ServeConfig::default()
        };
        let server = Server::start(sqlite(&dir), &config).unwrap();
        let fixture = Fixture {
            server: Some(server),
            dir,
        };
        runtime().block_on(async {
            fixture
                .post("/v1/accounts", json!({"id": "a"}).to_string().into_bytes())
                .await;
            fixture
                .post(
                    "/v1/accounts/a/grants",
                    json!({"amount": 1000}).to_string().into_bytes(),
                )
                .await;
        });
        fixture
    }

    async fn post(&self, path: &str, body: Vec<u8>) -> (StatusCode, Value) {
        let router = self.server.as_ref().unwrap().router();
        let request = Request::builder()
            .method("POST")
            .uri(path)
            .header("authorization", format!("Bearer {ADMIN_KEY}"))
            .body(Body::from(body))
            .unwrap();
        let response = router.oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    fn check(&self, path: &str, body: Vec<u8>) -> Result<(), TestCaseError> {
        let (status, answer) = runtime().block_on(self.post(path, body));
        prop_assert!(documented(status), "{path}: {status} {answer}");
        if !status.is_success() {
            prop_assert!(
                answer["code"].is_string(),
                "{path}: a problem document, got {answer}"
            );
        }
        Ok(())
    }

    fn verify(&self) {
        let report = self.server.as_ref().unwrap().state.store.verify().unwrap();
        assert!(report.problems.is_empty(), "{:?}", report.problems);
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            server.stop();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn arbitrary_bytes_get_documented_answers() {
    let fixture = Fixture::start();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(256));
    let strategy = (
        prop::sample::select(ROUTES),
        prop::collection::vec(any::<u8>(), 0..256),
    );
    runner
        .run(&strategy, |(path, body)| fixture.check(path, body))
        .unwrap();
    fixture.verify();
}

#[test]
fn arbitrary_json_gets_documented_answers() {
    let fixture = Fixture::start();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(512));
    let strategy = (prop::sample::select(ROUTES), json_value());
    runner
        .run(&strategy, |(path, body)| {
            fixture.check(path, body.to_string().into_bytes())
        })
        .unwrap();
    fixture.verify();
}
