//! The prologue of every route that takes a JSON body, written once as the extractor
//! [`WriteRequest`]: who is calling and on what (checked before anything of the body is read,
//! so a caller who may not is refused whatever it sent), the `Idempotency-Key`, the body
//! (its limit, its JSON, its typed fields, unknown fields refused) and the request's hash.
//!
//! Each route's file owns its body: a type implementing [`Decode`] (read field by field
//! through [`Fields`]) or, for a body that is a document of its own, [`RequestBody`].
//!
//! A write route is then a [`WriteRoute`]: the typed body, the caller and what the path names
//! become a [`Prepared`] command (or a refusal), written once and used both by the route's own
//! handler ([`run`]) and by each operation of `POST /v1/batch` (routes/batch.rs), which reads
//! the same bodies from its operations instead of from requests.

use axum::extract::{FromRequest, FromRequestParts, OriginalUri, Path, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tally_engine::{Command, Idempotency};

use crate::auth::Principal;
use crate::error::ApiError;
use crate::json::{self, Fields};
use crate::state::AppState;

/// The longest an `Idempotency-Key` may be.
pub const IDEMPOTENCY_KEY_BYTES_MAX: usize = 255;

/// What a route acts on, resolved from the id its path names (if it names one) and checked
/// against the caller before the body is read.
pub trait Target: Sized + Send {
    /// Whether the route's path names an id (`{id}`): `resolve` gets it exactly then.
    const PATH_ID: bool = false;

    fn resolve(
        id: Option<String>,
        state: &AppState,
        principal: &Principal,
    ) -> Result<Self, ApiError>;
}

/// The id of a route whose path names one ([`Target::PATH_ID`]).
fn named(id: Option<String>) -> String {
    id.expect("write: a route whose target reads an id names one in its path")
}

/// What a body's decoding may look at: the state and the route's target.
pub struct Context<'a, T> {
    pub state: &'a AppState,
    pub target: &'a T,
}

/// What a route reads from its body. Bodies read field by field implement [`Decode`] instead,
/// which implements this.
pub trait RequestBody: Sized + Send {
    /// What the route acts on.
    type Target: Target;

    /// The largest body the route reads.
    const BODY_BYTES_MAX: usize = json::BODY_BYTES_MAX;

    /// Whether the route takes an `Idempotency-Key` (one that changes nothing, like a quote,
    /// does not look at it).
    const IDEMPOTENT: bool = true;

    /// The fields the body may hold, for the OpenAPI document.
    const FIELDS: &'static [&'static str];

    /// The body's JSON Schema, for the OpenAPI document: its properties are exactly
    /// [`RequestBody::FIELDS`] (a test of the document checks it, route by route).
    fn schema() -> Value;

    /// The body, from its JSON.
    fn from_json(value: Value, context: &Context<'_, Self::Target>) -> Result<Self, ApiError>;
}

/// A body that is a JSON object, read field by field: a wrong JSON type is 400
/// `invalid_json`, a bad value 422 (see [`Fields`]), and whatever `decode` leaves unread is
/// refused as an unknown field.
pub trait Decode: Sized + Send {
    /// What the route acts on.
    type Target: Target;

    /// See [`RequestBody::BODY_BYTES_MAX`].
    const BODY_BYTES_MAX: usize = json::BODY_BYTES_MAX;

    /// See [`RequestBody::IDEMPOTENT`].
    const IDEMPOTENT: bool = true;

    /// The fields `decode` reads, for the OpenAPI document.
    const FIELDS: &'static [&'static str];

    /// See [`RequestBody::schema`].
    fn schema() -> Value;

    fn decode(fields: &mut Fields, context: &Context<'_, Self::Target>) -> Result<Self, ApiError>;
}

impl<T: Decode> RequestBody for T {
    type Target = T::Target;

    const BODY_BYTES_MAX: usize = T::BODY_BYTES_MAX;

    const IDEMPOTENT: bool = T::IDEMPOTENT;

    const FIELDS: &'static [&'static str] = T::FIELDS;

    fn schema() -> Value {
        T::schema()
    }

    fn from_json(value: Value, context: &Context<'_, Self::Target>) -> Result<Self, ApiError> {
        let mut fields = Fields::new(value)?;
        // A misspelt field is the likely cause of any other refusal (`amout` makes the body
        // lack `amount`): name it first. What `decode` leaves unread is refused after, so
        // `FIELDS` only decides which error a body that fails anyway gets.
        let unknown = fields.first_unknown(T::FIELDS);
        let body = match T::decode(&mut fields, context) {
            Ok(body) => body,
            Err(error) => return Err(unknown.unwrap_or(error)),
        };
        fields.finish_with(T::FIELDS)?;
        Ok(body)
    }
}

/// A request with a JSON body, read and checked: the handler gets the caller, what the route
/// acts on, the idempotency context to hand to the engine, and the typed body.
pub struct WriteRequest<T: RequestBody> {
    pub principal: Principal,
    pub target: T::Target,
    /// `None` without an `Idempotency-Key` (and always on routes that are not
    /// [`RequestBody::IDEMPOTENT`]).
    pub idempotency: Option<Idempotency>,
    /// Whom the audit log names, when an admin made the request.
    pub actor: crate::auth::Actor,
    pub body: T,
}

impl<T: RequestBody> FromRequest<AppState> for WriteRequest<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let principal = Principal::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let id = if T::Target::PATH_ID {
            Some(path_id(&mut parts, state).await?)
        } else {
            None
        };
        let target =
            T::Target::resolve(id, state, &principal).map_err(IntoResponse::into_response)?;
        let actor = match principal {
            Principal::Admin => crate::auth::Actor::of(&parts, state),
            Principal::Account { .. } => crate::auth::Actor::default(),
        };
        Self::read(parts, body, state, (principal, actor), target)
            .await
            .map_err(IntoResponse::into_response)
    }
}

impl<T: RequestBody> WriteRequest<T> {
    /// What follows the check of who is calling: the key, the body and its hash, the fields.
    async fn read(
        parts: Parts,
        body: axum::body::Body,
        state: &AppState,
        (principal, actor): (Principal, crate::auth::Actor),
        target: T::Target,
    ) -> Result<Self, ApiError> {
        let key = if T::IDEMPOTENT {
            idempotency_key(&parts.headers)?
        } else {
            None
        };
        let value = json::read_json(&parts.headers, body, T::BODY_BYTES_MAX).await?;
        let idempotency = key.map(|key| {
            let path = match parts.extensions.get::<OriginalUri>() {
                Some(OriginalUri(uri)) => uri.path(),
                None => parts.uri.path(),
            };
            Idempotency {
                scope: principal.idempotency_scope(),
                key,
                request_hash: request_hash(&parts.method, path, &value),
            }
        });
        let context = Context {
            state,
            target: &target,
        };
        let body = T::from_json(value, &context)?;
        Ok(WriteRequest {
            principal,
            target,
            idempotency,
            actor,
            body,
        })
    }
}

/// Whether `key` is a valid idempotency key: 1 to 255 printable ASCII characters.
pub fn is_valid_idempotency_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= IDEMPOTENCY_KEY_BYTES_MAX
        && key.bytes().all(|byte| (0x20..0x7f).contains(&byte))
}

/// The `Idempotency-Key` header, if sent: 1 to 255 printable ASCII characters.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .filter(|key| is_valid_idempotency_key(key));
    let key = key.ok_or_else(|| {
        ApiError::invalid_request(
            "Idempotency-Key",
            "Idempotency-Key must be 1 to 255 printable ASCII characters",
        )
    })?;
    Ok(Some(key.to_string()))
}

/// What a replay must match: the SHA-256, in hex, of the method, a space, the path, a newline
/// and the body's canonical JSON (object keys sorted, no whitespace), so a retry that formats
/// the same body differently is the same request. Stored hashes are compared across
/// versions: this must never change.
pub fn request_hash(method: &Method, path: &str, body: &Value) -> String {
    let mut hasher = Sha256::new();
    hasher.update(method.as_str().as_bytes());
    hasher.update(b" ");
    hasher.update(path.as_bytes());
    hasher.update(b"\n");
    hasher.update(body.to_string().as_bytes());
    crate::secret::hex(&hasher.finalize())
}

/// The one path parameter of a route, as the router decoded it.
pub async fn path_id(parts: &mut Parts, state: &AppState) -> Result<String, Response> {
    let Path(id) = Path::<String>::from_request_parts(parts, state)
        .await
        .map_err(IntoResponse::into_response)?;
    Ok(id)
}

/// Admin keys only (account keys: 403).
pub struct Admin;

impl Target for Admin {
    fn resolve(_: Option<String>, _: &AppState, principal: &Principal) -> Result<Self, ApiError> {
        principal.require_admin()?;
        Ok(Admin)
    }
}

/// Admin keys only, on the id the path names (looked up by the engine, not here).
pub struct AdminOn(pub String);

impl Target for AdminOn {
    const PATH_ID: bool = true;

    fn resolve(id: Option<String>, _: &AppState, principal: &Principal) -> Result<Self, ApiError> {
        let id = named(id);
        principal.require_admin()?;
        Ok(AdminOn(id))
    }
}

/// The account the path names: admin keys, and that account's own keys (others: 404).
pub struct OwnAccount(pub String);

impl Target for OwnAccount {
    const PATH_ID: bool = true;

    fn resolve(id: Option<String>, _: &AppState, principal: &Principal) -> Result<Self, ApiError> {
        let account_id = named(id);
        principal.require_account(&account_id)?;
        Ok(OwnAccount(account_id))
    }
}

/// Any valid key: nothing account-specific.
pub struct AnyKey;

impl Target for AnyKey {
    fn resolve(_: Option<String>, _: &AppState, _: &Principal) -> Result<Self, ApiError> {
        Ok(AnyKey)
    }
}

/// The body of a route that takes none: `{}` (or nothing at all), and no field.
pub struct Empty<T>(std::marker::PhantomData<T>);

impl<T: Target> Decode for Empty<T> {
    type Target = T;

    const FIELDS: &'static [&'static str] = &[];

    fn schema() -> Value {
        crate::schema::empty_body()
    }

    fn decode(_: &mut Fields, _: &Context<'_, T>) -> Result<Self, ApiError> {
        Ok(Empty(std::marker::PhantomData))
    }
}

/// The body of a route that reads none and takes no `Idempotency-Key` (a `DELETE`): in a
/// batch operation, no body or `{}`.
pub struct Unkeyed<T>(pub std::marker::PhantomData<T>);

impl<T: Target> Decode for Unkeyed<T> {
    type Target = T;

    const IDEMPOTENT: bool = false;

    const FIELDS: &'static [&'static str] = &[];

    fn schema() -> Value {
        crate::schema::empty_body()
    }

    fn decode(_: &mut Fields, _: &Context<'_, T>) -> Result<Self, ApiError> {
        Ok(Unkeyed(std::marker::PhantomData))
    }
}

/// What a write route decided to do with a request it accepted.
#[expect(
    clippy::large_enum_variant,
    reason = "short-lived, and nearly every route prepares the large variant"
)]
pub enum Prepared {
    /// A command for the engine. `created_status` is what a 201 answer is sent as (a void
    /// answers the grant it voided with 200).
    Engine {
        command: Command,
        created_status: StatusCode,
    },
    /// Answered without the engine (a quote changes nothing).
    Answered { status: StatusCode, body: String },
}

impl Prepared {
    /// A command whose answer is sent as the engine's outcome says.
    pub fn engine(command: Command) -> Self {
        Prepared::Engine {
            command,
            created_status: StatusCode::CREATED,
        }
    }
}

/// A route that writes: its typed body, the caller and its target become a [`Prepared`]
/// command, or a refusal that changes nothing. One implementation serves the route's own
/// handler ([`run`]) and the route's operations in `POST /v1/batch`.
pub trait WriteRoute {
    type Body: RequestBody;

    fn prepare(
        state: &AppState,
        principal: &Principal,
        target: <Self::Body as RequestBody>::Target,
        body: Self::Body,
    ) -> Result<Prepared, ApiError>;
}

/// The handler of a write route: prepare, submit, answer.
pub async fn run<R: WriteRoute>(state: &AppState, request: WriteRequest<R::Body>) -> Response {
    let WriteRequest {
        principal,
        target,
        idempotency,
        actor,
        body,
    } = request;
    match R::prepare(state, &principal, target, body) {
        Err(error) => error.into_response(),
        Ok(prepared) => respond_prepared(state, prepared, idempotency, &actor).await,
    }
}

/// Submits a prepared command (or answers what was answered already); `actor` is whom its
/// audit record names, if it is an admin action.
pub async fn respond_prepared(
    state: &AppState,
    prepared: Prepared,
    idempotency: Option<Idempotency>,
    actor: &crate::auth::Actor,
) -> Response {
    match prepared {
        Prepared::Answered { status, body } => crate::reply::json_response(status, body),
        Prepared::Engine {
            command,
            created_status,
        } => {
            let mut response = state
                .submit_by(command, idempotency, actor.as_deref())
                .await;
            if response.status() == StatusCode::CREATED {
                *response.status_mut() = created_status;
            }
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use serde_json::json;

    #[test]
    fn the_request_hash_is_the_one_replays_were_stored_with() {
        // Pinned: an idempotency key stored by an earlier version must match its retry.
        let body: Value = serde_json::from_str(r#"{"b": 1, "a": {"y": 0.10, "x": "z"}}"#).unwrap();
        assert_eq!(body.to_string(), r#"{"a":{"x":"z","y":0.10},"b":1}"#);
        assert_eq!(
            request_hash(&Method::POST, "/v1/accounts/a/charges", &body),
            "3b6cfd11704f424e1da2db1ba29522ae1b123bc78fa1d90d43b70b8a861027db"
        );
    }

    #[test]
    fn idempotency_keys_are_printable_ascii_up_to_255_bytes() {
        let key = |text: &[u8]| {
            let mut headers = HeaderMap::new();
            headers.insert("idempotency-key", HeaderValue::from_bytes(text).unwrap());
            idempotency_key(&headers)
        };
        assert_eq!(idempotency_key(&HeaderMap::new()), Ok(None));
        assert_eq!(key(b"k 1~"), Ok(Some("k 1~".to_string())));
        assert_eq!(key(&[b'k'; 255]), Ok(Some("k".repeat(255))));
        for bad in [&b""[..], &[b'k'; 256], b"k\tk", "ké".as_bytes()] {
            let error = key(bad).unwrap_err();
            assert_eq!(error.code(), "invalid_request");
            assert_eq!(error.body()["param"], json!("Idempotency-Key"));
        }
    }
}
