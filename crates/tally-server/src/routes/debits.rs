//! Charges (one-step debits) and holds (reserve, then capture or void; a hold may be a
//! workflow run's budget, made from a list of usage and captured step by step).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;
use tally_core::{Attribution, CaptureAmount, DebitSpec, Millicredits};

use super::write::{
    Context, Decode, Empty, OwnAccount, Prepared, Target, WriteRequest, WriteRoute, run,
};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::json::{Fields, TEXT_BYTES_MAX};
use crate::pricing::price_usage;
use crate::quote_id::{QUOTE_ID_BYTES_MAX, QuoteClaim, Quoted};
use crate::render;
use crate::reply::json_response;
use crate::state::AppState;
use crate::workflow;
use tally_engine::Command;
use tally_store::Store;

/// The default and the bounds of a hold's time to live (API.md).
pub const HOLD_TTL_SECONDS_DEFAULT: i64 = 600;
pub const HOLD_TTL_SECONDS_MIN: i64 = 1;
pub const HOLD_TTL_SECONDS_MAX: i64 = 86_400;

/// What a debit is for: a charge must be exact, a hold may have upper bounds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum DebitKind {
    Charge,
    Hold,
}

/// The amount of a debit (exactly one of `amount` and `usage`; a `usage` is priced by the
/// rate card, or by the version a `quote_id` pinned) and its attribution.
fn debit_spec(
    state: &AppState,
    fields: &mut Fields,
    account_id: &str,
    kind: DebitKind,
) -> Result<DebitSpec, ApiError> {
    let amount = fields.positive_amount("amount")?;
    let usage = fields.take("usage");
    let quote_id = fields.string("quote_id", QUOTE_ID_BYTES_MAX)?;
    let product = fields.string("product", TEXT_BYTES_MAX)?;
    let member = fields.string("member", TEXT_BYTES_MAX)?;
    let description = fields.string("description", TEXT_BYTES_MAX)?;
    let metadata = fields.metadata("metadata")?;
    let claim = match &quote_id {
        Some(quote_id) => Some(state.pricing.check_quote(
            quote_id,
            account_id,
            state.clock.now(),
        )?),
        None => None,
    };
    let pinned_version = claim.as_ref().map(|claim| claim.version);
    // A quote of one usage carries it: `quote_id` alone debits the quoted usage.
    let from_quote = usage.is_none() && amount.is_none() && claim.is_some();
    let usage = match &claim {
        Some(claim) if from_quote => Some(quoted_usage(claim, kind)?),
        _ => usage,
    };
    let (amount, attribution, extra) = match (amount, usage) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid_request(
                "usage",
                "send exactly one of `amount` and `usage`",
            ));
        }
        (None, None) => {
            return Err(ApiError::invalid_request(
                "amount",
                "send exactly one of `amount` and `usage` (or a `quote_id` alone)",
            ));
        }
        (Some(amount), None) => {
            let attribution = Attribution {
                product,
                member,
                quote_id,
                ..Attribution::default()
            };
            (amount, attribution, None)
        }
        (None, Some(usage)) if usage.is_array() => {
            if kind == DebitKind::Charge {
                return Err(ApiError::invalid_request(
                    "usage",
                    "a charge takes one usage; hold a workflow run's list, then capture its steps",
                ));
            }
            let priced = price_run_usage(state, &usage, pinned_version, quote_id, product, member)?;
            (priced.max, priced.attribution, Some(priced.extra))
        }
        (None, Some(usage)) => {
            let priced = price_usage(
                &state.pricing,
                &usage,
                pinned_version,
                quote_id,
                product,
                member,
            )?;
            if kind == DebitKind::Charge && priced.min != priced.max {
                if from_quote {
                    return Err(ApiError::invalid_request(
                        "usage",
                        "the quote priced a range (max_output_tokens), so a charge needs the actual usage: send `usage` with output_tokens beside the `quote_id`, or hold the quote and capture",
                    ));
                }
                return Err(ApiError::invalid_request(
                    "usage.max_output_tokens",
                    "a charge needs the exact usage (output_tokens); hold with max_output_tokens, then capture",
                ));
            }
            (priced.max, priced.attribution, Some(priced.extra))
        }
    };
    Ok(DebitSpec {
        amount,
        attribution,
        description,
        metadata,
        extra,
    })
}

/// The usage a quote id carries, for a debit that sends the `quote_id` alone.
fn quoted_usage(claim: &QuoteClaim, kind: DebitKind) -> Result<Value, ApiError> {
    match &claim.quoted {
        Quoted::Usage(usage) => Ok(usage.clone()),
        Quoted::Run { .. } if kind == DebitKind::Charge => Err(ApiError::invalid_request(
            "usage",
            "the quote is of a workflow run's list, which a charge cannot take: hold the list (send it as `usage` beside the `quote_id`), then capture its steps",
        )),
        Quoted::Run { .. } => Err(ApiError::invalid_request(
            "usage",
            "a workflow run's quote id does not carry its steps: send the list as `usage` beside the `quote_id`",
        )),
        Quoted::Unknown => Err(ApiError::invalid_request(
            "usage",
            "this quote id was made by an earlier release and does not carry its usage: send `usage` beside it, or ask for a new quote",
        )),
    }
}

/// A hold of a workflow run's list of usage: the sum of the steps' maxima, all priced on one
/// card (the quote's pinned version, or the current one), attributed to the product and member
/// the steps share (the request's own fields win). Its `extra` keeps the steps (`items`) and
/// marks it a run's, so its captures price each step on its own.
fn price_run_usage(
    state: &AppState,
    usage: &serde_json::Value,
    version: Option<i64>,
    quote_id: Option<String>,
    product: Option<String>,
    member: Option<String>,
) -> Result<crate::pricing::PricedUsage, ApiError> {
    let steps = workflow::read_steps(usage)?;
    let card = match version {
        Some(version) => state.pricing.version(version)?.ok_or(ApiError::NotFound {
            what: "rate card version",
        })?,
        None => state.pricing.current()?,
    };
    let run = workflow::price_run(&card, steps)?;
    let attribution = Attribution {
        product: product.or_else(|| run.common(|usage| usage.product.as_ref())),
        member: member.or_else(|| run.common(|usage| usage.member.as_ref())),
        model: None,
        action: None,
        rate_card_version: Some(card.version()),
        quote_id,
        key_id: None,
    };
    let extra = serde_json::json!({
        "workflow": true,
        "usage": run.usage_json(),
        "items": run.items_json(),
        "cost": {"min": render::credits(run.min), "max": render::credits(run.max)},
    });
    Ok(crate::pricing::PricedUsage {
        min: run.min,
        max: run.max,
        attribution,
        extra: extra.to_string(),
    })
}

/// Whether a hold was made from a workflow run's list of usage (its captures of `usage` are
/// steps, each captured at its own price).
fn is_workflow_hold(extra: &serde_json::Value) -> bool {
    extra.get("workflow") == Some(&serde_json::Value::Bool(true))
}

/// A debit made with an account key carries the key: `key` limits count it.
fn made_by(mut spec: DebitSpec, principal: &Principal) -> DebitSpec {
    if let Principal::Account { key_id, .. } = principal {
        spec.attribution.key_id = Some(key_id.clone());
    }
    spec
}

/// The fields of a debit's body, read by [`debit_spec`].
const DEBIT_FIELDS: [&str; 7] = [
    "amount",
    "usage",
    "quote_id",
    "product",
    "member",
    "description",
    "metadata",
];

/// The schemas of [`DEBIT_FIELDS`], and of `ttl_seconds` for a hold.
fn debit_schema(hold: bool) -> Value {
    use crate::schema::*;
    let mut properties = serde_json::json!({
        "amount": credits_in(true),
        "usage": reference("Usage"),
        "quote_id": text(crate::quote_id::QUOTE_ID_BYTES_MAX),
        "product": text(TEXT_BYTES_MAX),
        "member": text(TEXT_BYTES_MAX),
        "description": text(TEXT_BYTES_MAX),
        "metadata": metadata(),
    });
    if hold {
        properties["ttl_seconds"] = integer(HOLD_TTL_SECONDS_MIN, HOLD_TTL_SECONDS_MAX);
        properties["usage"] = usage_or_run();
    }
    let mut schema = body(&[], properties);
    schema["description"] = serde_json::json!(
        "Exactly one of `amount` and `usage`, or a `quote_id` alone: the quote's usage (a charge \
         needs an exact quote; a workflow run's quote needs its list as `usage`)."
    );
    schema
}

/// The body of `POST /v1/accounts/{id}/charges`.
pub struct ChargeRequest {
    pub spec: DebitSpec,
}

impl Decode for ChargeRequest {
    type Target = OwnAccount;

    const FIELDS: &'static [&'static str] = &DEBIT_FIELDS;

    fn schema() -> Value {
        debit_schema(false)
    }

    fn decode(fields: &mut Fields, context: &Context<'_, OwnAccount>) -> Result<Self, ApiError> {
        let OwnAccount(account_id) = context.target;
        let spec = debit_spec(context.state, fields, account_id, DebitKind::Charge)?;
        Ok(ChargeRequest { spec })
    }
}

/// `POST /v1/accounts/{id}/charges`.
pub struct CreateCharge;

impl WriteRoute for CreateCharge {
    type Body = ChargeRequest;

    fn prepare(
        _: &AppState,
        principal: &Principal,
        OwnAccount(account_id): OwnAccount,
        ChargeRequest { spec }: ChargeRequest,
    ) -> Result<Prepared, ApiError> {
        let spec = made_by(spec, principal);
        Ok(Prepared::engine(Command::Charge { account_id, spec }))
    }
}

pub async fn create_charge(
    State(state): State<AppState>,
    request: WriteRequest<ChargeRequest>,
) -> Response {
    let debit = super::cheaper::UsageDebit::of(&request.body.spec, &request.target.0);
    let response = run::<CreateCharge>(&state, request).await;
    super::cheaper::with_alternatives(&state, debit, response).await
}

pub async fn get_charge(
    State(state): State<AppState>,
    principal: Principal,
    Path(charge_id): Path<String>,
) -> Result<Response, ApiError> {
    let charge = state
        .store
        .charge(&charge_id)?
        .filter(|charge| principal.can_see(&charge.account_id));
    let charge = charge.ok_or(ApiError::NotFound { what: "charge" })?;
    Ok(json_response(
        StatusCode::OK,
        render::charge(&charge).to_string(),
    ))
}

/// The body of `POST /v1/accounts/{id}/holds`.
pub struct HoldRequest {
    pub spec: DebitSpec,
    pub ttl_seconds: i64,
}

impl Decode for HoldRequest {
    type Target = OwnAccount;

    const FIELDS: &'static [&'static str] = &[
        "amount",
        "usage",
        "quote_id",
        "product",
        "member",
        "description",
        "metadata",
        "ttl_seconds",
    ];

    fn schema() -> Value {
        debit_schema(true)
    }

    fn decode(fields: &mut Fields, context: &Context<'_, OwnAccount>) -> Result<Self, ApiError> {
        let OwnAccount(account_id) = context.target;
        let spec = debit_spec(context.state, fields, account_id, DebitKind::Hold)?;
        let ttl_seconds = fields
            .integer("ttl_seconds", HOLD_TTL_SECONDS_MIN, HOLD_TTL_SECONDS_MAX)?
            .unwrap_or(HOLD_TTL_SECONDS_DEFAULT);
        Ok(HoldRequest { spec, ttl_seconds })
    }
}

/// `POST /v1/accounts/{id}/holds`.
pub struct CreateHold;

impl WriteRoute for CreateHold {
    type Body = HoldRequest;

    fn prepare(
        _: &AppState,
        principal: &Principal,
        OwnAccount(account_id): OwnAccount,
        HoldRequest { spec, ttl_seconds }: HoldRequest,
    ) -> Result<Prepared, ApiError> {
        let spec = made_by(spec, principal);
        Ok(Prepared::engine(Command::Hold {
            account_id,
            spec,
            ttl_seconds,
        }))
    }
}

pub async fn create_hold(
    State(state): State<AppState>,
    request: WriteRequest<HoldRequest>,
) -> Response {
    let debit = super::cheaper::UsageDebit::of(&request.body.spec, &request.target.0);
    let response = run::<CreateHold>(&state, request).await;
    super::cheaper::with_alternatives(&state, debit, response).await
}

pub async fn get_hold(
    State(state): State<AppState>,
    principal: Principal,
    Path(hold_id): Path<String>,
) -> Result<Response, ApiError> {
    let hold = visible_hold(state.store.as_ref(), &principal, &hold_id)?;
    Ok(json_response(
        StatusCode::OK,
        render::hold(&hold).to_string(),
    ))
}

/// The hold `hold_id`, if the caller may see it: another account's hold is not found. A hold
/// whose row does not decode makes its account unavailable (503 with the account's id, as the
/// account's other reads and writes answer), but only to a caller who may see that account:
/// whose hold it is is read alone first, and to anyone else it is not found, so an account's
/// key learns nothing of another's holds, damaged or not.
fn visible_hold(
    store: &dyn Store,
    principal: &Principal,
    hold_id: &str,
) -> Result<tally_core::Hold, ApiError> {
    let not_found = || ApiError::NotFound { what: "hold" };
    let damaged = match store.hold(hold_id) {
        Ok(Some(hold)) if principal.can_see(&hold.account_id) => return Ok(hold),
        Ok(_) => return Err(not_found()),
        Err(error) => match ApiError::from(error) {
            ApiError::StoreDamaged => ApiError::StoreDamaged,
            other => return Err(other),
        },
    };
    match store.hold_account(hold_id) {
        Ok(Some(account_id)) if principal.can_see(&account_id) => {
            Err(damaged.for_account(&account_id))
        }
        Ok(_) => Err(not_found()),
        // Not even its account reads: only the admin, who may see every account, is told.
        Err(error) if principal.owner().is_none() => Err(ApiError::from(error)),
        Err(_) => Err(not_found()),
    }
}

/// A hold the caller may see: another account's hold is not found, before anything about
/// the request is looked at (a damaged one too: see [`visible_hold`]). (The engine checks
/// again when it applies the command.)
pub struct VisibleHold(pub tally_core::Hold);

impl Target for VisibleHold {
    const PATH_ID: bool = true;

    fn resolve(
        id: Option<String>,
        state: &AppState,
        principal: &Principal,
    ) -> Result<Self, ApiError> {
        let hold_id = id.expect("debits: a hold's routes name it in their path");
        visible_hold(state.store.as_ref(), principal, &hold_id).map(VisibleHold)
    }
}

/// The body of `POST /v1/holds/{id}/capture`: at most one of an amount and the actual usage
/// (neither captures what is left of the hold), and whether the capture is the final one
/// (default: it is; a capture that is not final keeps the hold pending and must capture
/// something).
pub struct CaptureRequest {
    pub amount: Option<Millicredits>,
    pub usage: Option<serde_json::Value>,
    pub settle: bool,
}

impl Decode for CaptureRequest {
    type Target = VisibleHold;

    const FIELDS: &'static [&'static str] = &["amount", "usage", "final"];

    fn schema() -> Value {
        use crate::schema::*;
        let mut schema = body(
            &[],
            serde_json::json!({
                "amount": credits_in(false),
                "usage": reference("Usage"),
                "final": boolean(),
            }),
        );
        schema["description"] = serde_json::json!(
            "At most one of `amount` and `usage`; neither: the whole hold. `final: false` keeps the rest reserved."
        );
        schema
    }

    fn decode(fields: &mut Fields, _: &Context<'_, VisibleHold>) -> Result<Self, ApiError> {
        let settle = fields.boolean("final")?.unwrap_or(true);
        let amount = if settle {
            fields.non_negative_amount("amount")?
        } else {
            fields.positive_amount("amount")?
        };
        Ok(CaptureRequest {
            amount,
            usage: fields.take("usage"),
            settle,
        })
    }
}

/// `POST /v1/holds/{id}/capture`.
pub struct CaptureHold;

impl WriteRoute for CaptureHold {
    type Body = CaptureRequest;

    fn prepare(
        state: &AppState,
        principal: &Principal,
        VisibleHold(hold): VisibleHold,
        CaptureRequest {
            amount,
            usage,
            settle,
        }: CaptureRequest,
    ) -> Result<Prepared, ApiError> {
        let (amount, extra) = match (amount, usage) {
            (Some(_), Some(_)) => {
                return Err(ApiError::invalid_request(
                    "usage",
                    "send at most one of `amount` and `usage`",
                ));
            }
            (amount, None) => (amount, None),
            (None, Some(usage)) => {
                // The actual usage, priced by the rate card version the hold pinned.
                let version = hold.attribution.rate_card_version;
                let priced = price_usage(
                    &state.pricing,
                    &usage,
                    version,
                    hold.attribution.quote_id.clone(),
                    None,
                    None,
                )?;
                if priced.min != priced.max {
                    return Err(ApiError::invalid_request(
                        "usage.max_output_tokens",
                        "a capture needs the actual usage (output_tokens), not an upper bound",
                    ));
                }
                // Keep what the hold was made for, and add what was captured.
                let mut extra = hold
                    .extra
                    .as_deref()
                    .and_then(|text| serde_json::from_str::<serde_json::Value>(text).ok())
                    .filter(serde_json::Value::is_object)
                    .unwrap_or_else(|| serde_json::json!({}));
                let captured: serde_json::Value =
                    serde_json::from_str(&priced.extra).unwrap_or_default();
                if is_workflow_hold(&extra) {
                    // A step of a run: captured at its own price, the steps listed in order.
                    let step = serde_json::json!({
                        "usage": captured["usage"],
                        "cost": captured["cost"],
                        "lines": captured["lines"],
                    });
                    match extra.get_mut("captured_steps") {
                        Some(serde_json::Value::Array(steps)) => steps.push(step),
                        _ => extra["captured_steps"] = serde_json::json!([step]),
                    }
                    return Ok(Prepared::engine(Command::CapturePart {
                        hold_id: hold.id,
                        owner: principal.owner(),
                        amount: CaptureAmount::Exactly(priced.max),
                        extra: Some(extra.to_string()),
                        settle,
                    }));
                }
                extra["captured_usage"] = captured["usage"].clone();
                extra["captured_lines"] = captured["lines"].clone();
                // The usage so far: the capture brings the hold's captures up to its price
                // (so captures in parts add up to the price of the whole usage, at its
                // context tier).
                return Ok(Prepared::engine(Command::CapturePart {
                    hold_id: hold.id,
                    owner: principal.owner(),
                    amount: CaptureAmount::UpTo(priced.max),
                    extra: Some(extra.to_string()),
                    settle,
                }));
            }
        };
        let (hold_id, owner) = (hold.id, principal.owner());
        let command = if settle {
            Command::Capture {
                hold_id,
                owner,
                amount,
                extra,
            }
        } else {
            Command::CapturePart {
                hold_id,
                owner,
                amount: amount.map_or(CaptureAmount::Rest, CaptureAmount::Exactly),
                extra,
                settle,
            }
        };
        Ok(Prepared::engine(command))
    }
}

pub async fn capture_hold(
    State(state): State<AppState>,
    request: WriteRequest<CaptureRequest>,
) -> Response {
    run::<CaptureHold>(&state, request).await
}

/// `POST /v1/holds/{id}/void`.
pub struct VoidHold;

impl WriteRoute for VoidHold {
    type Body = Empty<VisibleHold>;

    fn prepare(
        _: &AppState,
        principal: &Principal,
        VisibleHold(hold): VisibleHold,
        _: Empty<VisibleHold>,
    ) -> Result<Prepared, ApiError> {
        Ok(Prepared::engine(Command::VoidHold {
            hold_id: hold.id,
            owner: principal.owner(),
        }))
    }
}

pub async fn void_hold(
    State(state): State<AppState>,
    request: WriteRequest<Empty<VisibleHold>>,
) -> Response {
    run::<VoidHold>(&state, request).await
}

/// The body of `POST /v1/holds/{id}/extend`: credits to add, a new time to live from now, or
/// both (at least one).
pub struct ExtendRequest {
    pub amount: Option<Millicredits>,
    pub ttl_seconds: Option<i64>,
}

impl Decode for ExtendRequest {
    type Target = VisibleHold;

    const FIELDS: &'static [&'static str] = &["amount", "ttl_seconds"];

    fn schema() -> Value {
        use crate::schema::*;
        let mut schema = body(
            &[],
            serde_json::json!({
                "amount": credits_in(true),
                "ttl_seconds": integer(HOLD_TTL_SECONDS_MIN, HOLD_TTL_SECONDS_MAX),
            }),
        );
        schema["minProperties"] = serde_json::json!(1);
        schema
    }

    fn decode(fields: &mut Fields, _: &Context<'_, VisibleHold>) -> Result<Self, ApiError> {
        let amount = fields.positive_amount("amount")?;
        let ttl_seconds =
            fields.integer("ttl_seconds", HOLD_TTL_SECONDS_MIN, HOLD_TTL_SECONDS_MAX)?;
        if amount.is_none() && ttl_seconds.is_none() {
            return Err(ApiError::invalid_request(
                "amount",
                "send `amount` (credits to add), `ttl_seconds` (a new time to live), or both",
            ));
        }
        Ok(ExtendRequest {
            amount,
            ttl_seconds,
        })
    }
}

/// `POST /v1/holds/{id}/extend`.
pub struct ExtendHold;

impl WriteRoute for ExtendHold {
    type Body = ExtendRequest;

    fn prepare(
        _: &AppState,
        principal: &Principal,
        VisibleHold(hold): VisibleHold,
        ExtendRequest {
            amount,
            ttl_seconds,
        }: ExtendRequest,
    ) -> Result<Prepared, ApiError> {
        Ok(Prepared::Engine {
            command: Command::ExtendHold {
                hold_id: hold.id,
                owner: principal.owner(),
                amount,
                ttl_seconds,
            },
            created_status: StatusCode::OK,
        })
    }
}

pub async fn extend_hold(
    State(state): State<AppState>,
    request: WriteRequest<ExtendRequest>,
) -> Response {
    run::<ExtendHold>(&state, request).await
}

/// A charge the caller may see: another account's charge is not found, before anything about
/// the request is looked at. (The engine checks again when it applies the command.)
pub struct VisibleCharge(pub tally_core::Charge);

impl Target for VisibleCharge {
    const PATH_ID: bool = true;

    fn resolve(
        id: Option<String>,
        state: &AppState,
        principal: &Principal,
    ) -> Result<Self, ApiError> {
        let charge_id = id.expect("debits: a charge's routes name it in their path");
        match state.store.charge(&charge_id)? {
            Some(charge) if principal.can_see(&charge.account_id) => Ok(VisibleCharge(charge)),
            _ => Err(ApiError::NotFound { what: "charge" }),
        }
    }
}

/// The body of a refund: the credits to give back (all that is left when absent) and why.
pub struct RefundRequest<T> {
    pub amount: Option<Millicredits>,
    pub reason: Option<String>,
    target: std::marker::PhantomData<T>,
}

impl<T: Target> Decode for RefundRequest<T> {
    type Target = T;

    const FIELDS: &'static [&'static str] = &["amount", "reason"];

    fn schema() -> Value {
        use crate::schema::*;
        body(
            &[],
            serde_json::json!({
                "amount": credits_in(true),
                "reason": text(TEXT_BYTES_MAX),
            }),
        )
    }

    fn decode(fields: &mut Fields, _: &Context<'_, T>) -> Result<Self, ApiError> {
        Ok(RefundRequest {
            amount: fields.positive_amount("amount")?,
            reason: fields.string("reason", TEXT_BYTES_MAX)?,
            target: std::marker::PhantomData,
        })
    }
}

/// `POST /v1/charges/{id}/refunds`.
pub struct RefundCharge;

impl WriteRoute for RefundCharge {
    type Body = RefundRequest<VisibleCharge>;

    fn prepare(
        _: &AppState,
        principal: &Principal,
        VisibleCharge(charge): VisibleCharge,
        RefundRequest { amount, reason, .. }: RefundRequest<VisibleCharge>,
    ) -> Result<Prepared, ApiError> {
        Ok(Prepared::engine(Command::RefundCharge {
            charge_id: charge.id,
            owner: principal.owner(),
            amount,
            reason,
        }))
    }
}

pub async fn refund_charge(
    State(state): State<AppState>,
    request: WriteRequest<RefundRequest<VisibleCharge>>,
) -> Response {
    run::<RefundCharge>(&state, request).await
}

/// `POST /v1/holds/{id}/refunds`: what a hold captured.
pub struct RefundHold;

impl WriteRoute for RefundHold {
    type Body = RefundRequest<VisibleHold>;

    fn prepare(
        _: &AppState,
        principal: &Principal,
        VisibleHold(hold): VisibleHold,
        RefundRequest { amount, reason, .. }: RefundRequest<VisibleHold>,
    ) -> Result<Prepared, ApiError> {
        Ok(Prepared::engine(Command::RefundHold {
            hold_id: hold.id,
            owner: principal.owner(),
            amount,
            reason,
        }))
    }
}

pub async fn refund_hold(
    State(state): State<AppState>,
    request: WriteRequest<RefundRequest<VisibleHold>>,
) -> Response {
    run::<RefundHold>(&state, request).await
}
