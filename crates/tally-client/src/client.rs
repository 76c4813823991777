//! [`Client`]: one base URL and key, a pool of keep-alive HTTP/1.1 connections, and the
//! request loop that gives every write an `Idempotency-Key` and retries with that same key.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{
    ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER,
    USER_AGENT,
};
use hyper::{Method, Request, StatusCode};
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{Error, Problem};

/// How long one attempt (connect, send, and read the whole answer) may take by default: a
/// little more than the server's own request timeout (30 s), after which it answers 503.
pub const ATTEMPT_TIMEOUT_DEFAULT: Duration = Duration::from_secs(40);

/// How long opening a connection may take by default.
pub const CONNECT_TIMEOUT_DEFAULT: Duration = Duration::from_secs(5);

/// The most bytes of a non-problem error body kept in [`Error::UnexpectedStatus`].
const ERROR_BODY_BYTES_MAX: usize = 4096;

/// The request header that makes a write safe to retry.
pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");

/// The answer header that says the answer replays the key's first one.
pub const IDEMPOTENT_REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// When and how often a request is tried again.
///
/// A request is retried when it is safe to: a read or a quote, or a write that carries an
/// `Idempotency-Key` (the server then gives the one true outcome however many times it
/// arrives). Writes the server keeps no key for are sent once: a batch (its operations carry
/// their own `idempotency_key`), a webhook endpoint's `PATCH`, `rotate-secret`, `redeliver`,
/// a portal session, and every `DELETE`. It is retried after a `503` (waiting what `Retry-After` says, when it says), a
/// connection that failed, or no answer within the attempt timeout; never after any other
/// answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1: no retry).
    pub attempts_max: u32,
    /// The wait before the first retry without a `Retry-After`; doubled before each next one.
    pub backoff_initial: Duration,
    /// The longest wait between attempts without a `Retry-After`.
    pub backoff_max: Duration,
    /// The longest `Retry-After` honoured: a server asking for a longer wait gets its answer
    /// returned instead of a retry.
    pub retry_after_max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts_max: 4,
            backoff_initial: Duration::from_millis(100),
            backoff_max: Duration::from_secs(2),
            retry_after_max: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// One attempt, no retry.
    pub fn none() -> Self {
        RetryPolicy {
            attempts_max: 1,
            ..RetryPolicy::default()
        }
    }

    /// The wait before retry number `retry` (1 for the first), without a `Retry-After`.
    fn backoff(&self, retry: u32) -> Duration {
        let factor = 1u32 << retry.saturating_sub(1).min(16);
        self.backoff_initial
            .saturating_mul(factor)
            .min(self.backoff_max)
    }
}

/// Builds a [`Client`]: [`Client::builder`].
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    base_url: String,
    key: Option<String>,
    attempt_timeout: Duration,
    connect_timeout: Duration,
    retry: RetryPolicy,
}

impl ClientBuilder {
    /// The API key sent as `Authorization: Bearer KEY` (an admin key or an account's key).
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// How long one attempt may take, from connecting to the last byte of the answer
    /// (default [`ATTEMPT_TIMEOUT_DEFAULT`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = timeout;
        self
    }

    /// How long opening a connection may take (default [`CONNECT_TIMEOUT_DEFAULT`]).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// When to retry (default [`RetryPolicy::default`]).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The client. Fails on a base URL that is not `http://HOST[:PORT][/PREFIX]` or a key
    /// that is not a valid header value. Needs no runtime; requests need a tokio one.
    pub fn build(self) -> Result<Client, Error> {
        let base_url = self.base_url.trim_end_matches('/').to_string();
        let Some(rest) = base_url.strip_prefix("http://") else {
            return Err(Error::InvalidUrl(format!(
                "the base URL must start with http:// (this client speaks plain HTTP/1.1), \
                 not {base_url:?}"
            )));
        };
        let authority = rest.find('/').map_or(rest, |slash| &rest[..slash]);
        if authority.is_empty() || authority.contains(['?', '#', '@']) {
            return Err(Error::InvalidUrl(format!(
                "{base_url:?} has no usable host"
            )));
        }
        let authorization =
            match &self.key {
                Some(key) => Some(HeaderValue::from_str(&format!("Bearer {key}")).map_err(
                    |_| Error::InvalidRequest("the API key is not a valid header value".into()),
                )?),
                None => None,
            };
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(self.connect_timeout));
        let http = HttpClient::builder(TokioExecutor::new()).build(connector);
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base_url,
                authorization,
                attempt_timeout: self.attempt_timeout,
                retry: self.retry,
            }),
            idempotency_key: None,
        })
    }
}

/// A client for one Tally server: cheap to clone (the connection pool is shared), safe to
/// use from many tasks at once.
///
/// Every write the API keeps a key for (every `POST`, `PUT` and `PATCH` but the few named in
/// [`RetryPolicy`]) carries an `Idempotency-Key`: the one given with
/// [`Client::with_idempotency_key`], else a new random one per call. A retry (see
/// [`RetryPolicy`]) sends the same key, so a write is done once however many attempts it
/// takes; [`Reply::replayed`] says when the answer is the replay of an earlier one.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
    idempotency_key: Option<Arc<str>>,
}

struct Inner {
    http: HttpClient<HttpConnector, Full<Bytes>>,
    /// `http://authority[/prefix]`, what request paths are appended to.
    base_url: String,
    authorization: Option<HeaderValue>,
    attempt_timeout: Duration,
    retry: RetryPolicy,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url)
            .field("key", &self.inner.authorization.as_ref().map(|_| "…"))
            .field("idempotency_key", &self.idempotency_key)
            .field("timeout", &self.inner.attempt_timeout)
            .field("retry", &self.inner.retry)
            .finish()
    }
}

/// A successful answer: the value, and how it came.
///
/// Derefs to the value: `client.create_charge(…).await?.id`.
#[derive(Debug, Clone)]
pub struct Reply<T> {
    value: T,
    status: StatusCode,
    replayed: bool,
    idempotency_key: Option<String>,
    attempts: u32,
}

impl<T> Reply<T> {
    /// The answer's value.
    pub fn value(&self) -> &T {
        &self.value
    }

    /// The answer's value, owned.
    pub fn into_value(self) -> T {
        self.value
    }

    /// The HTTP status (`200`, `201`, …).
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Whether the server replayed the first answer to this request's Idempotency-Key
    /// (`Idempotent-Replayed: true`): nothing was done again.
    pub fn replayed(&self) -> bool {
        self.replayed
    }

    /// The Idempotency-Key the request carried (given or generated), if it carried one.
    pub fn idempotency_key(&self) -> Option<&str> {
        self.idempotency_key.as_deref()
    }

    /// How many attempts the answer took (1 when there was no retry).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The same reply with its value changed by `f`.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Reply<U> {
        Reply {
            value: f(self.value),
            status: self.status,
            replayed: self.replayed,
            idempotency_key: self.idempotency_key,
            attempts: self.attempts,
        }
    }
}

impl<T> Deref for Reply<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

/// One answer read whole, before it is decoded.
struct Exchange {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    idempotency_key: Option<String>,
    attempts: u32,
}

/// Why one attempt got no answer.
enum Failed {
    Transport(Box<dyn std::error::Error + Send + Sync>),
    TimedOut,
}

impl Client {
    /// A client for the server at `base_url` (`http://127.0.0.1:8080`) with `key`, and the
    /// default timeout and retries. See [`Client::builder`] for the rest.
    pub fn new(base_url: impl Into<String>, key: impl Into<String>) -> Result<Client, Error> {
        Client::builder(base_url).key(key).build()
    }

    /// A builder for a client of the server at `base_url`.
    pub fn builder(base_url: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            base_url: base_url.into(),
            key: None,
            attempt_timeout: ATTEMPT_TIMEOUT_DEFAULT,
            connect_timeout: CONNECT_TIMEOUT_DEFAULT,
            retry: RetryPolicy::default(),
        }
    }

    /// The same client (same pool) whose writes send `key` as their `Idempotency-Key`
    /// (1–255 printable ASCII characters): the same key with the same body, again, answers
    /// the first answer and changes nothing; with another body, 409 `idempotency_conflict`.
    /// Meant for one write (or its deliberate repetition), not for a series of writes.
    pub fn with_idempotency_key(&self, key: impl Into<String>) -> Client {
        Client {
            inner: self.inner.clone(),
            idempotency_key: Some(Arc::from(key.into())),
        }
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// Any request of the API, the escape hatch for what has no typed method: `path` is the
    /// path after the base URL, with its query (`/v1/accounts/acme/usage?group_by=day`); the
    /// body is sent as JSON. The answer is decoded as `T` (`serde_json::Value` for any);
    /// an empty body decodes as JSON `null`. Retries and idempotency as for every request.
    ///
    /// A `POST /v1/batch` carries no Idempotency-Key (the server refuses one: each operation
    /// has its own `idempotency_key`) and so is not retried; see [`RetryPolicy`] for the
    /// other unkeyed writes.
    pub async fn request<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Reply<T>, Error> {
        let body = match body {
            Some(body) => Some(Bytes::from(
                serde_json::to_vec(body).map_err(Error::Encode)?,
            )),
            None => None,
        };
        let exchange = self.execute(method, path, body).await?;
        decode(exchange)
    }

    /// A `GET`, decoded.
    pub(crate) async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, Error> {
        let exchange = self.execute(Method::GET, path, None).await?;
        decode(exchange).map(Reply::into_value)
    }

    /// A request with a typed body, decoded.
    pub(crate) async fn send<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: &B,
    ) -> Result<Reply<T>, Error> {
        let body = Bytes::from(serde_json::to_vec(body).map_err(Error::Encode)?);
        let exchange = self.execute(method, path, Some(body)).await?;
        decode(exchange)
    }

    /// Sends the request, retrying as [`RetryPolicy`] says; the last answer, or why none came.
    async fn execute(
        &self,
        method: Method,
        path: &str,
        body: Option<Bytes>,
    ) -> Result<Exchange, Error> {
        if !path.starts_with('/') {
            return Err(Error::InvalidRequest(format!(
                "a request path starts with /, not {path:?}"
            )));
        }
        let uri: hyper::Uri = format!("{}{path}", self.inner.base_url)
            .parse()
            .map_err(|_| Error::InvalidRequest(format!("{path:?} is not a valid request path")))?;
        let idempotency_key = if carries_idempotency_key(&method, path) {
            Some(match &self.idempotency_key {
                Some(key) => key.to_string(),
                None => new_idempotency_key()?,
            })
        } else {
            None
        };
        let key_header = match &idempotency_key {
            Some(key) => Some(HeaderValue::from_str(key).map_err(|_| {
                Error::InvalidRequest(
                    "an Idempotency-Key is 1 to 255 printable ASCII characters".into(),
                )
            })?),
            None => None,
        };
        let retryable = is_safe(&method, path) || idempotency_key.is_some();
        let policy = &self.inner.retry;
        let attempts_max = if retryable {
            policy.attempts_max.max(1)
        } else {
            1
        };
        let mut attempts = 0;
        loop {
            attempts += 1;
            let mut request = Request::builder()
                .method(method.clone())
                .uri(uri.clone())
                .header(ACCEPT, "application/json")
                .header(
                    USER_AGENT,
                    concat!("tally-client/", env!("CARGO_PKG_VERSION")),
                );
            if let Some(authorization) = &self.inner.authorization {
                request = request.header(AUTHORIZATION, authorization.clone());
            }
            if body.is_some() {
                request = request.header(CONTENT_TYPE, "application/json");
            }
            if let Some(key) = &key_header {
                request = request.header(IDEMPOTENCY_KEY, key.clone());
            }
            let request = request
                .body(Full::new(body.clone().unwrap_or_default()))
                .map_err(|error| Error::InvalidRequest(error.to_string()))?;
            let last = attempts >= attempts_max;
            let failed = match self.attempt(request).await {
                Ok((status, headers, body)) => {
                    let retry_after = retry_after(&headers);
                    let again = status == StatusCode::SERVICE_UNAVAILABLE
                        && !last
                        && retry_after.is_none_or(|wait| wait <= policy.retry_after_max);
                    if !again {
                        return Ok(Exchange {
                            status,
                            headers,
                            body,
                            idempotency_key,
                            attempts,
                        });
                    }
                    tokio::time::sleep(retry_after.unwrap_or_else(|| policy.backoff(attempts)))
                        .await;
                    continue;
                }
                Err(failed) => failed,
            };
            if last {
                return Err(match failed {
                    Failed::TimedOut => Error::Timeout {
                        timeout: self.inner.attempt_timeout,
                        attempts,
                    },
                    Failed::Transport(source) => Error::Connection {
                        url: self.inner.base_url.clone(),
                        attempts,
                        source,
                    },
                });
            }
            tokio::time::sleep(policy.backoff(attempts)).await;
        }
    }

    /// One attempt: the whole answer, within the attempt timeout.
    async fn attempt(
        &self,
        request: Request<Full<Bytes>>,
    ) -> Result<(StatusCode, HeaderMap, Bytes), Failed> {
        let exchange = async {
            let response = self
                .inner
                .http
                .request(request)
                .await
                .map_err(|error| Failed::Transport(Box::new(error)))?;
            let (parts, body) = response.into_parts();
            let body = body
                .collect()
                .await
                .map_err(|error| Failed::Transport(Box::new(error)))?
                .to_bytes();
            Ok((parts.status, parts.headers, body))
        };
        match tokio::time::timeout(self.inner.attempt_timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(Failed::TimedOut),
        }
    }
}

/// Whether a request is a write that takes an `Idempotency-Key`: the POST, PUT and PATCH
/// routes that declare one in `docs/openapi.json` (a test keeps the two equal). The others
/// are a batch (its operations carry their own keys; the server refuses a batch key), a
/// quote (it changes nothing), and the writes the server keeps no key for (a webhook
/// endpoint's PATCH, `rotate-secret`, `redeliver`, a portal session, the Stripe webhook):
/// those are sent once, never retried.
fn carries_idempotency_key(method: &Method, path: &str) -> bool {
    let path = path.split('?').next().unwrap_or(path);
    if !matches!(*method, Method::POST | Method::PUT | Method::PATCH) {
        return false;
    }
    let unkeyed = path == "/v1/batch"
        || path == "/v1/quotes"
        || path.starts_with("/v1/integrations/")
        || (*method == Method::PATCH && path.starts_with("/v1/webhook-endpoints/"))
        || ["/rotate-secret", "/redeliver", "/portal-sessions"]
            .iter()
            .any(|suffix| path.ends_with(suffix));
    !unkeyed
}

/// Whether a request changes nothing, so that sending it again is always safe: reads, and a
/// quote (a `POST` that only prices).
fn is_safe(method: &Method, path: &str) -> bool {
    let path = path.split('?').next().unwrap_or(path);
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
        || (*method == Method::POST && path == "/v1/quotes")
}

/// A `Retry-After` in seconds (the form the server sends); an HTTP date counts as none.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds = headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds))
}

/// A new random key: `tally-client-` and 32 hex digits (128 random bits). Without the OS's
/// randomness there is no key, and no request: a key made of less (the time, a counter)
/// could be another process's too, and replay that one's answer as this one's.
fn new_idempotency_key() -> Result<String, Error> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|error| {
        Error::InvalidRequest(format!("no randomness for an Idempotency-Key: {error}"))
    })?;
    let mut key = String::from("tally-client-");
    for byte in bytes {
        key.push_str(&format!("{byte:02x}"));
    }
    Ok(key)
}

/// A whole answer as a [`Reply`], or the problem it is.
fn decode<T: DeserializeOwned>(exchange: Exchange) -> Result<Reply<T>, Error> {
    let status = exchange.status;
    if !status.is_success() {
        let retry_after = retry_after(&exchange.headers);
        return Err(
            match Problem::from_body(status.as_u16(), &exchange.body, retry_after) {
                Some(problem) => Error::Api(Box::new(problem)),
                None => {
                    let end = exchange.body.len().min(ERROR_BODY_BYTES_MAX);
                    Error::UnexpectedStatus {
                        status: status.as_u16(),
                        body: String::from_utf8_lossy(&exchange.body[..end]).into_owned(),
                    }
                }
            },
        );
    }
    let body: &[u8] = if exchange.body.iter().all(u8::is_ascii_whitespace) {
        b"null"
    } else {
        &exchange.body
    };
    let value = serde_json::from_slice(body).map_err(|source| Error::Decode {
        status: status.as_u16(),
        source,
    })?;
    let replayed = exchange
        .headers
        .get(IDEMPOTENT_REPLAYED)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.eq_ignore_ascii_case("true"));
    Ok(Reply {
        value,
        status,
        replayed,
        idempotency_key: exchange.idempotency_key,
        attempts: exchange.attempts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_but_batches_carry_a_key_and_only_safe_or_keyed_requests_retry() {
        assert!(carries_idempotency_key(
            &Method::POST,
            "/v1/accounts/a/charges"
        ));
        assert!(carries_idempotency_key(&Method::PUT, "/v1/rate-card"));
        assert!(carries_idempotency_key(&Method::PATCH, "/v1/accounts/a"));
        assert!(!carries_idempotency_key(&Method::POST, "/v1/batch"));
        assert!(!carries_idempotency_key(&Method::DELETE, "/v1/keys/key_1"));
        assert!(!carries_idempotency_key(&Method::GET, "/v1/accounts"));
        assert!(!carries_idempotency_key(
            &Method::POST,
            "/v1/webhook-endpoints/we_1/rotate-secret"
        ));
        assert!(is_safe(&Method::GET, "/v1/accounts?limit=1"));
        assert!(is_safe(&Method::POST, "/v1/quotes"));
        assert!(!is_safe(&Method::POST, "/v1/batch"));
        assert!(!is_safe(&Method::DELETE, "/v1/keys/key_1"));
    }

    /// The routes that take a key are the ones the committed OpenAPI document says do.
    #[test]
    fn the_keyed_routes_are_the_openapi_documents() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");
        let text = std::fs::read_to_string(path).expect("docs/openapi.json");
        let document: Value = serde_json::from_str(&text).unwrap();
        let mut checked = 0;
        for (template, operations) in document["paths"].as_object().unwrap() {
            // A concrete path: every `{name}` becomes an id.
            let concrete: String = template
                .split('/')
                .map(|part| if part.starts_with('{') { "x_1" } else { part })
                .collect::<Vec<_>>()
                .join("/");
            for (method, operation) in operations.as_object().unwrap() {
                let method: Method = method.to_uppercase().parse().unwrap();
                if !matches!(method, Method::POST | Method::PUT | Method::PATCH) {
                    continue;
                }
                let declared = operation["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|parameter| parameter["name"] == "Idempotency-Key");
                assert_eq!(
                    carries_idempotency_key(&method, &concrete),
                    declared,
                    "{method} {template}"
                );
                checked += 1;
            }
        }
        assert!(checked > 20, "only {checked} writes in the document");
    }

    #[test]
    fn backoff_doubles_up_to_its_bound() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.backoff(1), Duration::from_millis(100));
        assert_eq!(policy.backoff(2), Duration::from_millis(200));
        assert_eq!(policy.backoff(3), Duration::from_millis(400));
        assert_eq!(policy.backoff(10), Duration::from_secs(2));
        assert_eq!(policy.backoff(u32::MAX), Duration::from_secs(2));
    }

    #[test]
    fn generated_keys_are_distinct_valid_header_values() {
        let (a, b) = (
            new_idempotency_key().unwrap(),
            new_idempotency_key().unwrap(),
        );
        assert_ne!(a, b);
        assert_eq!(a.len(), "tally-client-".len() + 32);
        assert!(HeaderValue::from_str(&a).is_ok());
    }

    #[test]
    fn only_plain_http_base_urls_are_taken() {
        assert!(Client::new("http://127.0.0.1:8080", "k").is_ok());
        assert!(Client::new("http://127.0.0.1:8080/", "k").is_ok());
        assert!(Client::new("http://billing.local/tally", "k").is_ok());
        assert!(matches!(
            Client::new("https://billing.example.com", "k"),
            Err(Error::InvalidUrl(_))
        ));
        assert!(matches!(
            Client::new("127.0.0.1:8080", "k"),
            Err(Error::InvalidUrl(_))
        ));
        assert!(matches!(
            Client::new("http://127.0.0.1:8080", "bad\nkey"),
            Err(Error::InvalidRequest(_))
        ));
    }

    #[test]
    fn retry_after_reads_seconds() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert(RETRY_AFTER, HeaderValue::from_static("0"));
        assert_eq!(retry_after(&headers), Some(Duration::ZERO));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("3"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(3)));
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&headers), None);
    }
}
