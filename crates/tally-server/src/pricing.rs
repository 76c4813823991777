//! Rate cards in the server: the current card (looked up again in the store at most once a
//! second, so every node of a shared store sees a new version), older versions on demand,
//! quote ids that pin a version for 15 minutes, and pricing a request's `usage`.
//!
//! Quote ids are signed, not stored (`quote_id.rs`), with a key kept in the store's meta: any
//! node can check one, and nobody can forge or move one to another account.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tally_core::pricing::{self, DocumentError, PricingError, RateCard, Usage, UsageError};
use tally_core::{Attribution, Millicredits, Timestamp};
use tally_engine::{Command, EngineHandle};
use tally_store::{Store, StoreError};

use crate::error::ApiError;
use crate::quote_id::{self, QuoteClaim, Quoted};
use crate::render;

/// How long a quote holds its price (API.md).
pub const QUOTE_TTL_SECONDS: i64 = 15 * 60;

/// How often the current card is looked up again in the store.
const CURRENT_CARD_REFRESH: Duration = Duration::from_secs(1);

/// The meta key of the quote-signing key.
const QUOTE_KEY_META: &str = "quote_signing_key";

pub struct Pricing {
    store: Arc<dyn Store>,
    cards: Mutex<HashMap<i64, Arc<RateCard>>>,
    current: Mutex<(i64, Instant)>,
    quote_key: Vec<u8>,
}

/// Rate card errors as API errors.
pub fn document_error(error: DocumentError) -> ApiError {
    if error.is_invalid_json() {
        ApiError::invalid_json(Some(error.param()), error.to_string())
    } else {
        ApiError::invalid_request(error.param(), error.to_string())
    }
}

/// Usage errors as API errors, naming `usage.<field>`.
pub fn usage_error(error: UsageError, prefix: &str) -> ApiError {
    let param = if error.param() == "usage" {
        prefix.trim_end_matches('.').to_string()
    } else {
        format!("{prefix}{}", error.param())
    };
    if error.is_wrong_type() {
        ApiError::invalid_json(Some(&param), error.detail(prefix))
    } else {
        ApiError::invalid_request(param, error.detail(prefix))
    }
}

/// Pricing errors as API errors.
pub fn pricing_error(error: PricingError, prefix: &str) -> ApiError {
    if error.is_unknown_model() {
        ApiError::UnknownModel {
            param: format!("{prefix}{}", error.param()),
            detail: error.to_string(),
        }
    } else {
        let param = error.param();
        // The message names the field as the card sees it; the client sees it in its body.
        let detail =
            error
                .to_string()
                .replacen(&format!("`{param}`"), &format!("`{prefix}{param}`"), 1);
        ApiError::invalid_request(format!("{prefix}{param}"), detail)
    }
}

impl Pricing {
    /// Loads the pricing state; on a store with no rate card yet, installs the default card as
    /// version 1, and settles the quote-signing key (both through the engine, the one writer).
    pub fn open(store: Arc<dyn Store>, engine: &EngineHandle) -> Result<Pricing, StoreError> {
        let quote_key = match store.meta(QUOTE_KEY_META)? {
            Some(key) => key,
            None => {
                let key = tally_engine::ids::random_token(32);
                engine
                    .submit_blocking(Command::SetMetaIfAbsent {
                        key: QUOTE_KEY_META.into(),
                        value: key.clone(),
                    })
                    .map_err(|error| StoreError::Unavailable(error.to_string()))?;
                // Two nodes starting together: the first key committed is everyone's.
                store.meta(QUOTE_KEY_META)?.unwrap_or(key)
            }
        };
        if store.latest_rate_card_version()?.is_none() {
            let document =
                pricing::parse_document_value(&pricing::to_json(&pricing::default_card()))
                    .map_err(|error| StoreError::Corrupt(error.to_string()))?;
            engine
                .submit_blocking(Command::PutFirstRateCard { document })
                .map_err(|error| StoreError::Unavailable(error.to_string()))?;
        }
        let latest = store.latest_rate_card_version()?.unwrap_or(1);
        let pricing = Pricing {
            store,
            cards: Mutex::new(HashMap::new()),
            current: Mutex::new((latest, Instant::now())),
            quote_key: quote_key.into_bytes(),
        };
        if pricing.version(latest).ok().flatten().is_none() {
            return Err(StoreError::Corrupt(format!(
                "rate card version {latest} cannot be read"
            )));
        }
        Ok(pricing)
    }

    /// A rate card version, if it exists.
    pub fn version(&self, version: i64) -> Result<Option<Arc<RateCard>>, ApiError> {
        if let Some(card) = self
            .cards
            .lock()
            .expect("pricing: cards poisoned")
            .get(&version)
        {
            return Ok(Some(card.clone()));
        }
        let Some(record) = self.store.rate_card(version)? else {
            return Ok(None);
        };
        let card = pricing::parse_card(&record.document).map_err(|error| {
            ApiError::from(StoreError::Corrupt(format!("rate card {version}: {error}")))
        })?;
        let card = Arc::new(card);
        self.cards
            .lock()
            .expect("pricing: cards poisoned")
            .insert(version, card.clone());
        Ok(Some(card))
    }

    /// The current card.
    pub fn current(&self) -> Result<Arc<RateCard>, ApiError> {
        let version = {
            let mut current = self.current.lock().expect("pricing: current poisoned");
            if current.1.elapsed() >= CURRENT_CARD_REFRESH {
                if let Some(latest) = self.store.latest_rate_card_version()? {
                    current.0 = current.0.max(latest);
                }
                current.1 = Instant::now();
            }
            current.0
        };
        self.version(version)?.ok_or(ApiError::Internal)
    }

    /// Makes a just-committed version current on this node at once.
    pub fn installed(&self, card: RateCard) {
        let version = card.version();
        self.cards
            .lock()
            .expect("pricing: cards poisoned")
            .insert(version, Arc::new(card));
        let mut current = self.current.lock().expect("pricing: current poisoned");
        current.0 = current.0.max(version);
    }

    /// The id of a quote of `quoted`, pinning `version` until `expires_at`, for `account_id`
    /// (or anyone).
    pub fn quote_id(
        &self,
        version: i64,
        expires_at: Timestamp,
        account_id: Option<&str>,
        quoted: Quoted,
    ) -> String {
        quote_id::encode(
            &self.quote_key,
            &QuoteClaim {
                version,
                expires_at,
                account_id: account_id.map(str::to_string),
                quoted,
            },
        )
    }

    /// What a quote id says, if it is genuine, made for `account_id` (or anyone), and not
    /// expired at `now`.
    pub fn check_quote(
        &self,
        quote_id: &str,
        account_id: &str,
        now: Timestamp,
    ) -> Result<QuoteClaim, ApiError> {
        let not_found = || ApiError::NotFound { what: "quote" };
        let claim =
            quote_id::decode(&self.quote_key, quote_id, account_id).map_err(|_| not_found())?;
        if claim
            .account_id
            .as_deref()
            .is_some_and(|owner| owner != account_id)
        {
            return Err(not_found());
        }
        if now >= claim.expires_at {
            return Err(ApiError::invalid_request(
                "quote_id",
                format!(
                    "the quote expired at {}; ask for a new one",
                    render::format_timestamp(claim.expires_at)
                ),
            ));
        }
        Ok(claim)
    }
}

/// The lines of a price with `unit_price` and `amount` as JSON numbers (exact decimal text,
/// up to 15 fraction digits), so clients can add them up.
pub fn numeric_lines(mut lines: Value) -> Value {
    if let Value::Array(items) = &mut lines {
        for line in items {
            for field in ["unit_price", "amount"] {
                if let Some(Value::String(text)) = line.get(field)
                    && let Ok(number) = text.parse::<serde_json::Number>()
                {
                    line[field] = Value::Number(number);
                }
            }
        }
    }
    lines
}

/// What a debit's `usage` came to.
pub struct PricedUsage {
    pub min: Millicredits,
    pub max: Millicredits,
    pub attribution: Attribution,
    /// `{usage, lines, cost}`, kept with the charge or hold.
    pub extra: String,
}

/// Reads and prices a request's `usage` on the card `version` (the current one when `None`).
/// `product` and `member` standing on the request itself win over the usage's.
pub fn price_usage(
    pricing: &Pricing,
    usage: &Value,
    version: Option<i64>,
    quote_id: Option<String>,
    product: Option<String>,
    member: Option<String>,
) -> Result<PricedUsage, ApiError> {
    let usage = Usage::from_json(usage).map_err(|error| usage_error(error, "usage."))?;
    let card = match version {
        Some(version) => pricing.version(version)?.ok_or(ApiError::NotFound {
            what: "rate card version",
        })?,
        None => pricing.current()?,
    };
    let price = pricing::price(&card, &usage).map_err(|error| pricing_error(error, "usage."))?;
    let attribution = Attribution {
        product: product.or_else(|| usage.product.clone()),
        member: member.or_else(|| usage.member.clone()),
        model: Some(usage.model.clone()),
        action: Some(usage.action.as_str().to_string()),
        rate_card_version: Some(card.version()),
        quote_id,
        key_id: None,
    };
    let extra = json!({
        "usage": usage.to_json(),
        "lines": numeric_lines(price.lines_json()),
        "cost": {"min": render::credits(price.min()), "max": render::credits(price.max())},
    });
    Ok(PricedUsage {
        min: price.min(),
        max: price.max(),
        attribution,
        extra: extra.to_string(),
    })
}

/// `alternatives: [{model, cost: {min, max}, affordable?}]`: the cheaper models for `usage` on
/// `card` (the core's rule, [`pricing::cheaper_alternatives`]). With `room` (what the account
/// can spend: available plus overdraft room), each says whether it is `affordable`.
pub fn alternatives_json(
    card: &RateCard,
    usage: &Usage,
    quoted_max: Millicredits,
    budget: Option<Millicredits>,
    room: Option<Millicredits>,
) -> Value {
    Value::Array(
        pricing::cheaper_alternatives(card, usage, quoted_max, budget)
            .iter()
            .map(|alternative| {
                let mut item = json!({
                    "model": alternative.model,
                    "cost": {
                        "min": render::credits(alternative.price.min()),
                        "max": render::credits(alternative.price.max()),
                    },
                });
                if let Some(room) = room {
                    item["affordable"] = json!(alternative.price.max() <= room);
                }
                item
            })
            .collect(),
    )
}
