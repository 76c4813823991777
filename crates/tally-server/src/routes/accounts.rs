//! Accounts, balances, grants and ledger entries.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;
use tally_core::{AccountPatch, EntryKind, GrantSource, GrantSpec, GrantStatus, Millicredits};
use tally_store::EntryFilter;

use super::write::{
    Admin, AdminOn, Context, Decode, Empty, Prepared, WriteRequest, WriteRoute, run,
};
use super::{known_query, page_request};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::json::{Fields, TEXT_BYTES_MAX};
use crate::render;
use crate::reply::json_response;
use crate::state::AppState;
use tally_engine::Command;

/// The longest account id.
pub const ACCOUNT_ID_BYTES_MAX: usize = 64;

/// Whether `id` is a valid client-chosen account id (`[A-Za-z0-9_.:-]{1,64}`).
pub fn is_valid_account_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= ACCOUNT_ID_BYTES_MAX
        && id
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"_.:-".contains(&byte))
}

fn ok(body: Value) -> Response {
    json_response(StatusCode::OK, body.to_string())
}

/// The body of `POST /v1/accounts`.
pub struct CreateAccountRequest {
    pub id: Option<String>,
    pub name: Option<String>,
    pub overdraft_limit: Millicredits,
    pub metadata: Option<String>,
}

impl Decode for CreateAccountRequest {
    type Target = Admin;

    const FIELDS: &'static [&'static str] = &["id", "name", "overdraft_limit", "metadata"];

    fn schema() -> Value {
        use crate::schema::*;
        body(
            &[],
            serde_json::json!({
                "id": {"type": "string", "pattern": "^[A-Za-z0-9_.:-]{1,64}$", "description": "Chosen by the client; generated when left out."},
                "name": text(TEXT_BYTES_MAX),
                "overdraft_limit": credits_in(false),
                "metadata": metadata(),
            }),
        )
    }

    fn decode(fields: &mut Fields, _: &Context<'_, Admin>) -> Result<Self, ApiError> {
        let id = fields.string("id", ACCOUNT_ID_BYTES_MAX * 4)?;
        if let Some(id) = &id
            && !is_valid_account_id(id)
        {
            return Err(ApiError::invalid_request(
                "id",
                "id must match [A-Za-z0-9_.:-]{1,64}",
            ));
        }
        Ok(CreateAccountRequest {
            id,
            name: fields.string("name", TEXT_BYTES_MAX)?,
            overdraft_limit: fields
                .non_negative_amount("overdraft_limit")?
                .unwrap_or(Millicredits::ZERO),
            metadata: fields.metadata("metadata")?,
        })
    }
}

/// `POST /v1/accounts`.
pub struct CreateAccount;

impl WriteRoute for CreateAccount {
    type Body = CreateAccountRequest;

    fn prepare(
        _: &AppState,
        _: &Principal,
        _: Admin,
        CreateAccountRequest {
            id,
            name,
            overdraft_limit,
            metadata,
        }: CreateAccountRequest,
    ) -> Result<Prepared, ApiError> {
        Ok(Prepared::engine(Command::CreateAccount {
            id,
            name,
            overdraft_limit,
            metadata,
        }))
    }
}

pub async fn create_account(
    State(state): State<AppState>,
    request: WriteRequest<CreateAccountRequest>,
) -> Response {
    run::<CreateAccount>(&state, request).await
}

pub async fn list_accounts(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    principal.require_admin()?;
    known_query(&query, &["limit", "starting_after"])?;
    let page = state.store.accounts(&page_request(&query)?)?;
    let now = state.clock.now();
    let mut data = Vec::with_capacity(page.data.len());
    for row in page.data {
        let grants = state.store.balance_grants(&row.account.id)?;
        let subscription = state.store.subscription(&row.account.id)?;
        let balance = render::balance(
            &row.account,
            &row.totals,
            &grants,
            subscription.as_ref(),
            now,
        );
        data.push(render::account(&row.account, balance));
    }
    Ok(ok(render::list(data, page.has_more)))
}

fn read_balance(
    state: &AppState,
    account_id: &str,
) -> Result<(tally_core::Account, Value), ApiError> {
    let now = state.clock.now();
    let read = state
        .store
        .balance(account_id, forecast_window(now))
        .map_err(|error| ApiError::from(error).for_account(account_id))?
        .ok_or(ApiError::NotFound { what: "account" })?;
    let mut balance = render::balance(
        &read.row.account,
        &read.row.totals,
        &read.grants,
        read.subscription.as_ref(),
        now,
    );
    balance["forecast"] = forecast(&read, now);
    Ok((read.row.account, balance))
}

/// The days of spending the forecast averages.
const FORECAST_DAYS: i64 = 7;

/// The window the forecast averages: the last 7 days in whole minutes, from the start of the
/// minute 7 days ago through the end of the current minute (nothing is spent after now), so
/// it is read from the aggregates alone, never from the entries.
fn forecast_window(now: tally_core::Timestamp) -> (tally_core::Timestamp, tally_core::Timestamp) {
    use tally_core::usage::{MICROS_PER_MINUTE, bucket_start};
    let from = bucket_start(now.plus_seconds(-FORECAST_DAYS * 86_400), MICROS_PER_MINUTE);
    let to = bucket_start(now, MICROS_PER_MINUTE).saturating_add(MICROS_PER_MINUTE);
    (
        tally_core::Timestamp::from_micros(from),
        tally_core::Timestamp::from_micros(to),
    )
}

/// `{burn_per_day, runs_out_at}`: the average daily spend of the last 7 days, and when
/// `available` reaches zero at that rate (`null` when nothing is spent, or when the next plan
/// grant comes first).
fn forecast(read: &tally_store::BalanceRead, now: tally_core::Timestamp) -> Value {
    // Rounded down to a millicredit: the forecast is an estimate, never a charge.
    let burn_per_day = read.spent.get().max(0) / FORECAST_DAYS;
    let available = read.row.totals.posted.get() - read.row.totals.held.get();
    let runs_out_at = if burn_per_day == 0 {
        None
    } else if available <= 0 {
        Some(now)
    } else {
        let seconds = i128::from(available) * 86_400 / i128::from(burn_per_day);
        let at = now.plus_seconds(i64::try_from(seconds).unwrap_or(i64::MAX));
        let renews_first = read.subscription.as_ref().is_some_and(|subscription| {
            subscription.status == tally_core::SubscriptionStatus::Active
                && subscription.current_period_end <= at
        });
        (!renews_first).then_some(at)
    };
    serde_json::json!({
        "burn_per_day": render::credits(Millicredits::new(burn_per_day)),
        "runs_out_at": runs_out_at.map(render::instant),
        "window_days": FORECAST_DAYS,
    })
}

/// `from` or `to` of a usage query as sent: an RFC 3339 instant, or a date of the account's
/// time zone (resolved in the snapshot that reads the account).
#[derive(Clone, Copy, Debug)]
enum UsageBound {
    At(tally_core::Timestamp),
    Date(jiff::civil::Date),
}

impl UsageBound {
    fn parse(query: &HashMap<String, String>, name: &str) -> Result<Option<UsageBound>, ApiError> {
        let Some(text) = query.get(name) else {
            return Ok(None);
        };
        if let Some(at) = render::parse_timestamp(text) {
            return Ok(Some(UsageBound::At(at)));
        }
        let date: jiff::civil::Date = text.parse().map_err(|_| {
            ApiError::invalid_request(
                name,
                format!("{name} must be an RFC 3339 instant or a date (YYYY-MM-DD)"),
            )
        })?;
        // A `to` date means through the end of that day.
        let date = if name == "to" {
            date.tomorrow()
        } else {
            Ok(date)
        };
        let date = date
            .ok()
            .filter(|date| tally_core::zone::start_of(*date, &jiff::tz::TimeZone::UTC).is_some())
            .ok_or_else(|| ApiError::invalid_request(name, format!("{name} is out of range")))?;
        Ok(Some(UsageBound::Date(date)))
    }

    /// The instant: a date's first instant in `zone` (its midnight, or the end of a DST gap).
    fn instant(self, zone: &jiff::tz::TimeZone) -> tally_core::Timestamp {
        match self {
            UsageBound::At(at) => at,
            UsageBound::Date(date) => {
                tally_core::zone::start_of(date, zone).unwrap_or(tally_core::Timestamp::MIN)
            }
        }
    }
}

/// The first instant of the local day `at` falls on in `zone`.
fn start_of_local_day(
    at: tally_core::Timestamp,
    zone: &jiff::tz::TimeZone,
) -> tally_core::Timestamp {
    tally_core::zone::start_of(tally_core::zone::date_of(at, zone), zone).unwrap_or(at)
}

pub async fn get_usage(
    State(state): State<AppState>,
    principal: Principal,
    Path(account_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    principal.require_account(&account_id)?;
    known_query(&query, &["from", "to", "group_by"])?;
    let mut group_by = Vec::new();
    for name in query
        .get("group_by")
        .map(String::as_str)
        .unwrap_or("")
        .split(',')
    {
        let name = name.trim();
        if name.is_empty() {
            continue;
        }
        let dimension = tally_store::UsageDimension::parse(name).ok_or_else(|| {
            ApiError::invalid_request(
                "group_by",
                "group_by takes product, model, member, action and day",
            )
        })?;
        if !group_by.contains(&dimension) {
            group_by.push(dimension);
        }
    }
    let now = state.clock.now();
    let from = UsageBound::parse(&query, "from")?;
    let to = UsageBound::parse(&query, "to")?;
    // Dates are the account's, and the default start is the first instant of the local day
    // the current period began on (so that day's spend before the plan started is counted
    // with the rest of that day), or of the day 30 days ago without a plan: read in the same
    // snapshot as the usage.
    let range: tally_store::UsageRangeOf = std::sync::Arc::new(move |zone, subscription| {
        let period_start = subscription
            .filter(|subscription| subscription.status != tally_core::SubscriptionStatus::Canceled)
            .map(|subscription| subscription.current_period_start);
        let from = match from {
            Some(bound) => bound.instant(zone),
            None => start_of_local_day(
                period_start.unwrap_or_else(|| now.plus_seconds(-30 * 86_400)),
                zone,
            ),
        };
        let to = to.map_or(
            tally_core::Timestamp::from_micros(now.as_micros() + 1),
            |bound| bound.instant(zone),
        );
        (from, to)
    });
    let read = state
        .store
        .account_usage(&account_id, range, &group_by)?
        .ok_or(ApiError::NotFound { what: "account" })?;
    let (from, to, time_zone, groups) = (read.from, read.to, read.time_zone, read.groups);
    if to < from {
        return Err(ApiError::invalid_request(
            "to",
            "to must not be before from",
        ));
    }
    let mut total_credits = 0i64;
    let mut total_count = 0i64;
    let data: Vec<Value> = groups
        .iter()
        .map(|(group, delta)| {
            total_credits += delta.credits.get();
            total_count += delta.count;
            let mut row = serde_json::Map::new();
            let text = |value: &Option<String>| match value.as_deref() {
                Some("") | None => Value::Null,
                Some(text) => Value::String(text.to_string()),
            };
            for dimension in &group_by {
                let (name, value) = match dimension {
                    tally_store::UsageDimension::Product => ("product", text(&group.product)),
                    tally_store::UsageDimension::Model => ("model", text(&group.model)),
                    tally_store::UsageDimension::Member => ("member", text(&group.member)),
                    tally_store::UsageDimension::Action => ("action", text(&group.action)),
                    tally_store::UsageDimension::Day => {
                        ("day", group.day.map(render::day).unwrap_or(Value::Null))
                    }
                };
                row.insert(name.to_string(), value);
            }
            row.insert("credits".into(), render::credits(delta.credits));
            row.insert("count".into(), serde_json::json!(delta.count));
            Value::Object(row)
        })
        .collect();
    let body = serde_json::json!({
        "object": "usage",
        "account_id": account_id,
        "from": render::instant(from),
        "to": render::instant(to),
        "time_zone": time_zone,
        "data": data,
        "total": {"credits": render::credits(Millicredits::new(total_credits)), "count": total_count},
    });
    Ok(ok(body))
}

pub async fn get_account(
    State(state): State<AppState>,
    principal: Principal,
    Path(account_id): Path<String>,
) -> Result<Response, ApiError> {
    principal.require_account(&account_id)?;
    let (account, balance) = read_balance(&state, &account_id)?;
    Ok(ok(render::account(&account, balance)))
}

pub async fn get_balance(
    State(state): State<AppState>,
    principal: Principal,
    Path(account_id): Path<String>,
) -> Result<Response, ApiError> {
    principal.require_account(&account_id)?;
    let (_, balance) = read_balance(&state, &account_id)?;
    Ok(ok(balance))
}

/// The body of `PATCH /v1/accounts/{id}`: only the fields sent change; `null` clears `name`,
/// `metadata` and `low_balance_threshold` (the threshold then falls back to its default).
pub struct UpdateAccountRequest {
    pub patch: AccountPatch,
}

impl Decode for UpdateAccountRequest {
    type Target = AdminOn;

    const FIELDS: &'static [&'static str] = &[
        "name",
        "overdraft_limit",
        "metadata",
        "time_zone",
        "low_balance_threshold",
    ];

    fn schema() -> Value {
        use crate::schema::*;
        body(
            &[],
            serde_json::json!({
                "name": text(TEXT_BYTES_MAX),
                "overdraft_limit": credits_in(false),
                "metadata": metadata(),
                "time_zone": {"type": "string", "maxLength": TIME_ZONE_BYTES_MAX, "description": "An IANA time zone name (`Europe/Paris`, `UTC`)."},
                "low_balance_threshold": credits_in(false),
            }),
        )
    }

    fn decode(fields: &mut Fields, _: &Context<'_, AdminOn>) -> Result<Self, ApiError> {
        let mut patch = AccountPatch::default();
        for name in ["overdraft_limit", "time_zone"] {
            if fields.null(name) {
                return Err(ApiError::invalid_request(
                    name,
                    format!("`{name}` cannot be null: send a value, or leave it out"),
                ));
            }
        }
        patch.name = if fields.null("name") {
            Some(None)
        } else {
            fields.string("name", TEXT_BYTES_MAX)?.map(Some)
        };
        patch.metadata = if fields.null("metadata") {
            Some(None)
        } else {
            fields.metadata("metadata")?.map(Some)
        };
        patch.low_balance_threshold = if fields.null("low_balance_threshold") {
            Some(None)
        } else {
            fields
                .non_negative_amount("low_balance_threshold")?
                .map(Some)
        };
        patch.overdraft_limit = fields.non_negative_amount("overdraft_limit")?;
        patch.time_zone = fields.string("time_zone", TIME_ZONE_BYTES_MAX)?;
        if let Some(name) = &patch.time_zone
            && tally_core::time_zone(name).is_none()
        {
            return Err(ApiError::invalid_request(
                "time_zone",
                format!(
                    "{name:?} is not an IANA time zone name (like `Europe/Paris`, `America/New_York` or `UTC`)"
                ),
            ));
        }
        Ok(UpdateAccountRequest { patch })
    }
}

/// The longest time zone name accepted.
pub use tally_core::zone::TIME_ZONE_BYTES_MAX;

/// `PATCH /v1/accounts/{id}`.
pub struct UpdateAccount;

impl WriteRoute for UpdateAccount {
    type Body = UpdateAccountRequest;

    fn prepare(
        _: &AppState,
        _: &Principal,
        AdminOn(account_id): AdminOn,
        body: UpdateAccountRequest,
    ) -> Result<Prepared, ApiError> {
        Ok(Prepared::engine(Command::UpdateAccount {
            account_id,
            patch: body.patch,
        }))
    }
}

pub async fn update_account(
    State(state): State<AppState>,
    request: WriteRequest<UpdateAccountRequest>,
) -> Response {
    run::<UpdateAccount>(&state, request).await
}

/// The body of `POST /v1/accounts/{id}/grants`.
pub struct CreateGrantRequest {
    pub spec: GrantSpec,
}

impl Decode for CreateGrantRequest {
    type Target = AdminOn;

    const FIELDS: &'static [&'static str] = &[
        "amount",
        "source",
        "priority",
        "effective_at",
        "expires_at",
        "description",
        "metadata",
    ];

    fn schema() -> Value {
        use crate::schema::*;
        body(
            &["amount"],
            serde_json::json!({
                "amount": credits_in(true),
                "source": one_of(&["promo", "adjustment", "plan", "pack"]),
                "priority": integer(-1_000_000, 1_000_000),
                "effective_at": instant(),
                "expires_at": instant(),
                "description": text(TEXT_BYTES_MAX),
                "metadata": metadata(),
            }),
        )
    }

    fn decode(fields: &mut Fields, _: &Context<'_, AdminOn>) -> Result<Self, ApiError> {
        let amount = fields.positive_amount("amount")?;
        let amount = fields.required("amount", amount)?;
        let source = match fields.string("source", 32)? {
            None => GrantSource::Promo,
            Some(text) => GrantSource::parse(&text).ok_or_else(|| {
                ApiError::invalid_request(
                    "source",
                    "source must be one of promo, adjustment, plan, pack",
                )
            })?,
        };
        let spec = GrantSpec {
            amount,
            source,
            priority: fields
                .integer("priority", -1_000_000, 1_000_000)?
                .unwrap_or(0),
            effective_at: fields.timestamp("effective_at")?,
            expires_at: fields.timestamp("expires_at")?,
            description: fields.string("description", TEXT_BYTES_MAX)?,
            metadata: fields.metadata("metadata")?,
        };
        Ok(CreateGrantRequest { spec })
    }
}

/// `POST /v1/accounts/{id}/grants`.
pub struct CreateGrant;

impl WriteRoute for CreateGrant {
    type Body = CreateGrantRequest;

    fn prepare(
        state: &AppState,
        _: &Principal,
        AdminOn(account_id): AdminOn,
        CreateGrantRequest { spec }: CreateGrantRequest,
    ) -> Result<Prepared, ApiError> {
        let now = state.clock.now();
        if let Some(expires_at) = spec.expires_at
            && (expires_at <= now
                || spec
                    .effective_at
                    .is_some_and(|effective_at| expires_at <= effective_at))
        {
            return Err(ApiError::invalid_request(
                "expires_at",
                "expires_at must be in the future and after effective_at",
            ));
        }
        Ok(Prepared::engine(Command::CreateGrant { account_id, spec }))
    }
}

pub async fn create_grant(
    State(state): State<AppState>,
    request: WriteRequest<CreateGrantRequest>,
) -> Response {
    run::<CreateGrant>(&state, request).await
}

pub async fn list_grants(
    State(state): State<AppState>,
    principal: Principal,
    Path(account_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    principal.require_account(&account_id)?;
    known_query(&query, &["limit", "starting_after", "status"])?;
    let status = match query.get("status") {
        None => None,
        Some(text) => Some(GrantStatus::parse(text).ok_or_else(|| {
            ApiError::invalid_request(
                "status",
                "status must be pending, active, depleted, expired or voided",
            )
        })?),
    };
    let page = page_request(&query)?;
    state
        .store
        .account(&account_id)?
        .ok_or(ApiError::NotFound { what: "account" })?;
    let page = state.store.grants(&account_id, status, &page)?;
    Ok(ok(render::list(
        page.data.iter().map(render::grant).collect(),
        page.has_more,
    )))
}

pub async fn get_grant(
    State(state): State<AppState>,
    principal: Principal,
    Path(grant_id): Path<String>,
) -> Result<Response, ApiError> {
    let grant = state
        .store
        .grant(&grant_id)?
        .filter(|grant| principal.can_see(&grant.account_id));
    let grant = grant.ok_or(ApiError::NotFound { what: "grant" })?;
    Ok(ok(render::grant(&grant)))
}

/// `POST /v1/grants/{id}/void`.
pub struct VoidGrant;

impl WriteRoute for VoidGrant {
    type Body = Empty<AdminOn>;

    fn prepare(
        _: &AppState,
        _: &Principal,
        AdminOn(grant_id): AdminOn,
        _: Empty<AdminOn>,
    ) -> Result<Prepared, ApiError> {
        Ok(Prepared::Engine {
            command: Command::VoidGrant { grant_id },
            // A void answers the grant as it is now: 200, not 201.
            created_status: StatusCode::OK,
        })
    }
}

pub async fn void_grant(
    State(state): State<AppState>,
    request: WriteRequest<Empty<AdminOn>>,
) -> Response {
    run::<VoidGrant>(&state, request).await
}

pub async fn list_entries(
    State(state): State<AppState>,
    principal: Principal,
    Path(account_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    principal.require_account(&account_id)?;
    known_query(
        &query,
        &["limit", "starting_after", "type", "product", "from", "to"],
    )?;
    let page = page_request(&query)?;
    let kind = match query.get("type") {
        None => None,
        Some(text) => Some(EntryKind::parse(text).ok_or_else(|| {
            let kinds: Vec<&str> = EntryKind::ALL.iter().map(|kind| kind.as_str()).collect();
            ApiError::invalid_request("type", format!("type must be one of {}", kinds.join(", ")))
        })?),
    };
    let instant = |name: &str| -> Result<Option<tally_core::Timestamp>, ApiError> {
        match query.get(name) {
            None => Ok(None),
            Some(text) => render::parse_timestamp(text).map(Some).ok_or_else(|| {
                ApiError::invalid_request(name, format!("{name} must be an RFC 3339 instant"))
            }),
        }
    };
    let filter = EntryFilter {
        kind,
        product: query.get("product").cloned(),
        from: instant("from")?,
        to: instant("to")?,
    };
    state
        .store
        .account(&account_id)?
        .ok_or(ApiError::NotFound { what: "account" })?;
    let page = state
        .store
        .entries(&account_id, &filter, &page)
        .map_err(|error| ApiError::from(error).for_account(&account_id))?;
    Ok(ok(render::list(
        page.data.iter().map(render::entry).collect(),
        page.has_more,
    )))
}
