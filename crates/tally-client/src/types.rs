//! The API's request bodies and answers (API.md), as typed structs.
//!
//! Answers keep the fields this client knows; a field the server adds later is ignored here
//! and reachable through [`Client::request`](crate::Client::request) with
//! `serde_json::Value`. Amounts are [`Credits`]; timestamps are RFC 3339 strings as sent;
//! statuses are the API's strings (`"pending"`, `"captured"`, …).

use serde::{Deserialize, Serialize};
use serde_json::{Number, Value};

use crate::Credits;

/// One page of a list, newest first: `{data, has_more}`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct List<T> {
    /// The page's items.
    pub data: Vec<T>,
    /// Whether more items follow (ask again with `starting_after` the last item's id).
    #[serde(default)]
    pub has_more: bool,
}

/// Paging of a list: `?limit=` (1–1000, default 100) and `?starting_after=<id>`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Page {
    /// At most this many items.
    pub limit: Option<u32>,
    /// The items after this id (the last one of the previous page).
    pub starting_after: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Accounts and balances
// ---------------------------------------------------------------------------------------------

/// The body of `POST /v1/accounts`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CreateAccount {
    /// `[A-Za-z0-9_.:-]{1,64}`; generated when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// A display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Credits the balance may go below zero (default 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overdraft_limit: Option<Credits>,
    /// Free JSON kept with the account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
}

/// The body of `PATCH /v1/accounts/{id}`: only the fields set change.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct UpdateAccount {
    /// A new display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A new overdraft limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overdraft_limit: Option<Credits>,
    /// New metadata.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
    /// An IANA time zone (`America/New_York`): the account's days.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// `Some(Some(x))`: `balance.low` below x credits; `Some(None)`: back to the default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub low_balance_threshold: Option<Option<Credits>>,
}

/// An account, with its balance.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Account {
    /// The account's id.
    pub id: String,
    /// Its display name.
    pub name: Option<String>,
    /// Credits the balance may go below zero.
    pub overdraft_limit: Credits,
    /// Its metadata.
    pub metadata: Option<Value>,
    /// Its IANA time zone.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// Its `balance.low` threshold, when one is set or implied.
    #[serde(default)]
    pub low_balance_threshold: Option<Credits>,
    /// When it was created.
    pub created_at: String,
    /// Its balance (in a single account's answer and in lists).
    #[serde(default)]
    pub balance: Option<Balance>,
}

/// `GET /v1/accounts/{id}/balance`: `available = posted - held`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Balance {
    /// The account.
    pub account_id: String,
    /// What a debit may take (down to `-overdraft_limit`).
    pub available: Credits,
    /// Credits remaining on active grants (plus what pending holds reserve on ended ones).
    pub posted: Credits,
    /// Credits reserved by pending holds.
    pub held: Credits,
    /// Credits the balance may go below zero.
    pub overdraft_limit: Credits,
    /// How much of the overdraft is in use.
    #[serde(default)]
    pub overdraft_used: Option<Credits>,
    /// The grants credits are drawn from, in spending order.
    #[serde(default)]
    pub grants: Vec<BalanceGrant>,
    /// The next expiry of credits, if any.
    #[serde(default)]
    pub next_expiry: Option<NextExpiry>,
    /// The plan and its allowance, as the server describes it.
    #[serde(default)]
    pub plan: Option<Value>,
    /// When the next plan grant arrives, and its size.
    #[serde(default)]
    pub next_reset: Option<NextReset>,
    /// The burn rate and when the credits run out at it.
    #[serde(default)]
    pub forecast: Option<Value>,
}

/// A grant as a balance lists it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct BalanceGrant {
    /// The grant's id.
    pub id: String,
    /// `promo`, `adjustment`, `plan` or `pack`.
    pub source: String,
    /// Its status.
    #[serde(default)]
    pub status: Option<String>,
    /// Credits left on it.
    pub remaining: Credits,
    /// Credits of it that pending holds reserve.
    #[serde(default)]
    pub reserved: Option<Credits>,
    /// When its rest expires.
    pub expires_at: Option<String>,
    /// Lower is spent first.
    pub priority: i64,
}

/// `{at, amount}`: credits that expire next.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct NextExpiry {
    /// When.
    pub at: String,
    /// How much.
    pub amount: Credits,
}

/// `{at, credits}`: the next plan grant.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct NextReset {
    /// When it arrives.
    pub at: String,
    /// Its size.
    pub credits: Credits,
}

// ---------------------------------------------------------------------------------------------
// Grants
// ---------------------------------------------------------------------------------------------

/// The body of `POST /v1/accounts/{id}/grants` (admin).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CreateGrant {
    /// Credits granted (positive).
    pub amount: Credits,
    /// `promo` (default), `adjustment`, `plan` or `pack`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Lower is spent first (default 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<i64>,
    /// When it starts counting (RFC 3339; default now).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective_at: Option<String>,
    /// When its unspent rest expires (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// Free text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Free JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
}

/// A grant: a block of credits.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Grant {
    /// `grant_…`.
    pub id: String,
    /// The account.
    pub account_id: String,
    /// Credits granted.
    pub amount: Credits,
    /// Credits left.
    pub remaining: Credits,
    /// Credits of it pending holds reserve.
    #[serde(default)]
    pub reserved: Option<Credits>,
    /// `promo`, `adjustment`, `plan` or `pack`.
    pub source: String,
    /// Lower is spent first.
    pub priority: i64,
    /// When it started counting.
    pub effective_at: Option<String>,
    /// When its rest expires.
    pub expires_at: Option<String>,
    /// `pending`, `active`, `depleted`, `expired` or `voided`.
    pub status: String,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
    /// Free JSON.
    #[serde(default)]
    pub metadata: Option<Value>,
    /// When it was created.
    pub created_at: String,
}

// ---------------------------------------------------------------------------------------------
// Usage and quotes
// ---------------------------------------------------------------------------------------------

/// A usage descriptor (API.md, "Usage descriptors"): what an action used, for the rate card
/// to price. Set the quantities the action has:
///
/// ```
/// use tally_client::Usage;
/// let usage = Usage {
///     input_tokens: Some(1200),
///     max_output_tokens: Some(4096),
///     ..Usage::new("chat", "gpt-4o")
/// };
/// assert_eq!(
///     serde_json::to_string(&usage).unwrap(),
///     r#"{"action":"chat","model":"gpt-4o","input_tokens":1200,"max_output_tokens":4096}"#
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    /// `chat`, `embedding`, `image`, `video`, `speech` or `custom`.
    pub action: String,
    /// The model, as the rate card names it.
    pub model: String,
    /// Free text for attribution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// The member who spent it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// Input tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_tokens: Option<u64>,
    /// Cached input tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached_input_tokens: Option<u64>,
    /// Output tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_tokens: Option<u64>,
    /// An upper bound on output tokens: the price is a range, a hold reserves its maximum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_output_tokens: Option<u64>,
    /// Image or video width.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u64>,
    /// Image or video height.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u64>,
    /// Image quality (`low`, `medium`, `high`, `standard`, `hd`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality: Option<String>,
    /// Images generated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// Seconds of video or audio, exactly (up to 3 decimals).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<Number>,
    /// Characters of speech.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub characters: Option<u64>,
    /// Units of a custom action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub units: Option<u64>,
}

impl Usage {
    /// A descriptor of `action` on `model`, with no quantity yet.
    pub fn new(action: impl Into<String>, model: impl Into<String>) -> Usage {
        Usage {
            action: action.into(),
            model: model.into(),
            ..Usage::default()
        }
    }
}

/// The body of `POST /v1/quotes` for one usage.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CreateQuote {
    /// What to price.
    pub usage: Usage,
    /// Also say whether this account can afford it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// Also list the cheaper models for the same usage (at most 5, cheapest first).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alternatives: Option<bool>,
}

/// `{min, max}`: a price, a range when some quantity is an upper bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub struct Cost {
    /// The least it costs.
    pub min: Credits,
    /// The most it costs (what a hold reserves).
    pub max: Credits,
}

/// A quote: the price of a usage, held for 15 minutes.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Quote {
    /// `qt_…`: pass it as a charge's or hold's `quote_id` to keep this price.
    pub id: String,
    /// The usage priced, as the server read it.
    pub usage: Value,
    /// The price.
    pub cost: Cost,
    /// Whether `min == max`.
    #[serde(default)]
    pub exact: bool,
    /// How the price adds up.
    #[serde(default)]
    pub lines: Vec<QuoteLine>,
    /// The rate card version that priced it.
    pub rate_card_version: i64,
    /// When it was made.
    #[serde(default)]
    pub created_at: Option<String>,
    /// Until when its price holds.
    pub expires_at: String,
    /// With `account_id`: whether the account can afford it.
    #[serde(default)]
    pub account: Option<QuoteAccount>,
    /// With `alternatives: true`: the cheaper models, cheapest first.
    #[serde(default)]
    pub alternatives: Vec<Alternative>,
}

/// One line of a price: `quantity × unit_price = amount` of one dimension.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct QuoteLine {
    /// `input_tokens`, `output_tokens`, `images`, `seconds`, ….
    pub dimension: String,
    /// How many.
    pub quantity: Number,
    /// Credits per one, exactly (may have more than 3 fraction digits).
    pub unit_price: Number,
    /// Their product, exactly.
    pub amount: Number,
    /// The size tier that priced it.
    #[serde(default)]
    pub tier: Option<String>,
    /// The image quality that priced it.
    #[serde(default)]
    pub quality: Option<String>,
    /// Whether the quantity is an upper bound (`max_output_tokens`).
    #[serde(default)]
    pub upper_bound: bool,
}

/// What a quote says about the account it was asked for.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct QuoteAccount {
    /// The account.
    #[serde(default)]
    pub id: Option<String>,
    /// Its available credits now.
    pub available: Credits,
    /// Whether `available - cost.max >= -overdraft_limit`.
    pub affordable: bool,
    /// What would be available after paying `cost.max`.
    pub available_after: Credits,
    /// The next plan grant, if one is due.
    #[serde(default)]
    pub next_reset: Option<NextReset>,
}

/// A cheaper model for the same usage.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Alternative {
    /// The model.
    pub model: String,
    /// Its price for the usage.
    pub cost: Cost,
    /// With an account: whether it can afford it.
    #[serde(default)]
    pub affordable: Option<bool>,
}

// ---------------------------------------------------------------------------------------------
// Charges, holds, refunds
// ---------------------------------------------------------------------------------------------

/// The body of `POST /v1/accounts/{id}/charges`: exactly one of `amount` and `usage`, or a
/// `quote_id` alone (the usage the quote priced, at its price).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CreateCharge {
    /// Credits to charge.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<Credits>,
    /// A usage for the rate card to price (exact quantities).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// A quote whose rate card version prices the usage.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quote_id: Option<String>,
    /// Free text for attribution.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// The member who spent it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// Free text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Free JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
}

impl CreateCharge {
    /// A charge of `amount` credits.
    pub fn amount(amount: Credits) -> CreateCharge {
        CreateCharge {
            amount: Some(amount),
            ..CreateCharge::default()
        }
    }

    /// A charge of what `usage` costs.
    pub fn usage(usage: Usage) -> CreateCharge {
        CreateCharge {
            usage: Some(usage),
            ..CreateCharge::default()
        }
    }

    /// A charge of the usage quote `quote_id` priced, at the quote's price.
    pub fn quote(quote_id: impl Into<String>) -> CreateCharge {
        CreateCharge {
            quote_id: Some(quote_id.into()),
            ..CreateCharge::default()
        }
    }
}

/// `{grant_id, amount}`: what a debit took from a grant, or a refund gave back to it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Draw {
    /// The grant.
    pub grant_id: String,
    /// How much.
    pub amount: Credits,
}

/// A charge: a one-step debit.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Charge {
    /// `chg_…`.
    pub id: String,
    /// The account.
    pub account_id: String,
    /// Credits charged.
    pub amount: Credits,
    /// Where they came from.
    #[serde(default)]
    pub drawn: Vec<Draw>,
    /// What of it went into the overdraft.
    #[serde(default)]
    pub overdraft: Option<Credits>,
    /// The account's available credits after it.
    pub available_after: Credits,
    /// Credits refunded of it so far.
    #[serde(default)]
    pub refunded: Option<Credits>,
    /// The usage priced, if it was priced.
    #[serde(default)]
    pub usage: Option<Value>,
    /// How the price added up, if it was priced.
    #[serde(default)]
    pub lines: Vec<QuoteLine>,
    /// The rate card version that priced it.
    #[serde(default)]
    pub rate_card_version: Option<i64>,
    /// The quote it was priced by.
    #[serde(default)]
    pub quote_id: Option<String>,
    /// Attribution.
    #[serde(default)]
    pub product: Option<String>,
    /// Attribution.
    #[serde(default)]
    pub member: Option<String>,
    /// The priced usage's model.
    #[serde(default)]
    pub model: Option<String>,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
    /// Free JSON.
    #[serde(default)]
    pub metadata: Option<Value>,
    /// When it was made.
    pub created_at: String,
}

/// The body of `POST /v1/accounts/{id}/holds`: exactly one of `amount` and `usage`, or a
/// `quote_id` alone (the usage the quote priced).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CreateHold {
    /// Credits to reserve.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<Credits>,
    /// A usage whose maximum price is reserved (and whose rate card version is pinned).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// A quote whose rate card version prices the usage.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quote_id: Option<String>,
    /// Seconds until an uncaptured hold expires (default 600, 1–86400).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl_seconds: Option<u32>,
    /// Attribution.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// Attribution.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// Free text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Free JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
}

impl CreateHold {
    /// A hold of `amount` credits.
    pub fn amount(amount: Credits) -> CreateHold {
        CreateHold {
            amount: Some(amount),
            ..CreateHold::default()
        }
    }

    /// A hold of what `usage` costs at most.
    pub fn usage(usage: Usage) -> CreateHold {
        CreateHold {
            usage: Some(usage),
            ..CreateHold::default()
        }
    }

    /// A hold of the most the usage quote `quote_id` priced costs.
    pub fn quote(quote_id: impl Into<String>) -> CreateHold {
        CreateHold {
            quote_id: Some(quote_id.into()),
            ..CreateHold::default()
        }
    }
}

/// The body of `POST /v1/holds/{id}/capture`: nothing captures the whole hold.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CaptureHold {
    /// Credits to capture (at most what is held).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<Credits>,
    /// The actual usage, priced by the hold's rate card version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// `false`: the hold stays pending, the rest still reserved (default `true`: the rest
    /// goes back at once).
    #[serde(rename = "final", skip_serializing_if = "Option::is_none")]
    pub is_final: Option<bool>,
}

/// The body of `POST /v1/holds/{id}/extend`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ExtendHold {
    /// Credits to add to the hold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<Credits>,
    /// A new time to live, from now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl_seconds: Option<u32>,
}

/// A hold: credits reserved, then captured or voided.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Hold {
    /// `hold_…`.
    pub id: String,
    /// The account.
    pub account_id: String,
    /// `pending`, `captured`, `voided` or `expired`.
    pub status: String,
    /// Credits reserved.
    pub amount: Credits,
    /// Credits captured so far.
    pub captured: Credits,
    /// Credits given back when it was settled.
    #[serde(default)]
    pub released: Option<Credits>,
    /// Credits refunded of what it captured.
    #[serde(default)]
    pub refunded: Option<Credits>,
    /// When an uncaptured hold expires.
    pub expires_at: String,
    /// When it was settled.
    #[serde(default)]
    pub resolved_at: Option<String>,
    /// The usage it was priced from.
    #[serde(default)]
    pub usage: Option<Value>,
    /// The rate card version it pinned.
    #[serde(default)]
    pub rate_card_version: Option<i64>,
    /// The quote it was priced by.
    #[serde(default)]
    pub quote_id: Option<String>,
    /// Attribution.
    #[serde(default)]
    pub product: Option<String>,
    /// Attribution.
    #[serde(default)]
    pub member: Option<String>,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
    /// Free JSON.
    #[serde(default)]
    pub metadata: Option<Value>,
    /// When it was made.
    pub created_at: String,
}

/// The body of `POST /v1/charges/{id}/refunds` and `POST /v1/holds/{id}/refunds`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CreateRefund {
    /// Credits to refund (default: all that is left).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<Credits>,
    /// Why (kept with the refund and its entries).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A refund: credits back to the grants a debit drew them from.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Refund {
    /// `ref_…`.
    pub id: String,
    /// The account.
    pub account_id: String,
    /// The charge refunded (or `hold_id`).
    #[serde(default)]
    pub charge_id: Option<String>,
    /// The hold refunded (or `charge_id`).
    #[serde(default)]
    pub hold_id: Option<String>,
    /// Credits refunded.
    pub amount: Credits,
    /// Where they went back.
    #[serde(default)]
    pub restored: Vec<Draw>,
    /// What of it expired at once (drawn from grants that ended since).
    pub expired: Credits,
    /// Why.
    #[serde(default)]
    pub reason: Option<String>,
    /// When it was made.
    pub created_at: String,
}

// ---------------------------------------------------------------------------------------------
// Entries and usage
// ---------------------------------------------------------------------------------------------

/// Which entries `GET /v1/accounts/{id}/entries` lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListEntries {
    /// Only this type (`grant`, `charge`, `hold`, `capture`, `release`, `expire`, `void`,
    /// `adjustment`, `refund`).
    pub kind: Option<String>,
    /// Only this product's.
    pub product: Option<String>,
    /// From this instant or date.
    pub from: Option<String>,
    /// Up to this instant or date.
    pub to: Option<String>,
    /// Paging.
    pub page: Page,
}

/// A ledger entry: one change to `posted` and/or `held`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Entry {
    /// `ent_…`.
    pub id: String,
    /// The account.
    pub account_id: String,
    /// `grant`, `charge`, `hold`, `capture`, `release`, `expire`, `void`, `adjustment`,
    /// `refund`.
    #[serde(rename = "type")]
    pub kind: String,
    /// What it did to `posted` (signed).
    pub amount: Credits,
    /// What it did to `held` (signed).
    pub held: Credits,
    /// The grant it concerns.
    #[serde(default)]
    pub grant_id: Option<String>,
    /// The hold it concerns.
    #[serde(default)]
    pub hold_id: Option<String>,
    /// The charge it concerns.
    #[serde(default)]
    pub charge_id: Option<String>,
    /// Attribution.
    #[serde(default)]
    pub product: Option<String>,
    /// Attribution.
    #[serde(default)]
    pub member: Option<String>,
    /// The priced usage's model.
    #[serde(default)]
    pub model: Option<String>,
    /// The rate card version that priced it.
    #[serde(default)]
    pub rate_card_version: Option<i64>,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
    /// When it was written.
    pub created_at: String,
}

/// The query of `GET /v1/accounts/{id}/usage`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UsageQuery {
    /// From an RFC 3339 instant or a date (in the account's time zone).
    pub from: Option<String>,
    /// To an RFC 3339 instant or a date (through its end).
    pub to: Option<String>,
    /// Any of `product`, `model`, `member`, `action`, `day`.
    pub group_by: Vec<String>,
}

/// Credits spent (net of refunds) and actions, per group.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct UsageReport {
    /// The account.
    pub account_id: String,
    /// The range's start.
    pub from: String,
    /// The range's end.
    pub to: String,
    /// The zone its days are in.
    pub time_zone: String,
    /// One row per group.
    #[serde(default)]
    pub data: Vec<UsageRow>,
    /// The sum of the rows.
    pub total: UsageTotal,
}

/// One group of a usage report.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct UsageRow {
    /// With `group_by=product`.
    #[serde(default)]
    pub product: Option<String>,
    /// With `group_by=model`.
    #[serde(default)]
    pub model: Option<String>,
    /// With `group_by=member`.
    #[serde(default)]
    pub member: Option<String>,
    /// With `group_by=action`.
    #[serde(default)]
    pub action: Option<String>,
    /// With `group_by=day`: the local date.
    #[serde(default)]
    pub day: Option<String>,
    /// Credits spent, net of refunds.
    pub credits: Credits,
    /// Actions.
    pub count: u64,
}

/// `{credits, count}` of a usage report.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct UsageTotal {
    /// Credits spent, net of refunds.
    pub credits: Credits,
    /// Actions.
    pub count: u64,
}

// ---------------------------------------------------------------------------------------------
// Plans, packs, purchases
// ---------------------------------------------------------------------------------------------

/// A plan on sale.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Plan {
    /// `starter`, `pro`, ….
    pub id: String,
    /// Its display name.
    pub name: String,
    /// Credits granted per seat each period.
    pub credits_per_seat: Credits,
    /// `month`.
    pub period: String,
    /// Its price per seat, in US dollars (exact).
    pub price_usd: Number,
    /// Always `false`: a period's credits end with it.
    #[serde(default)]
    pub rollover: bool,
}

/// A credit pack on sale.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Pack {
    /// `pack_10k`, ….
    pub id: String,
    /// Its display name.
    pub name: String,
    /// Credits it grants.
    pub credits: Credits,
    /// Its price in US dollars (exact).
    pub price_usd: Number,
    /// Days its credits last (`None`: no expiry).
    pub expires_after_days: Option<u32>,
}

/// The body of `POST /v1/accounts/{id}/purchases`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CreatePurchase {
    /// The pack's id.
    pub pack: String,
    /// Admin keys: `false` opens it `pending` (default `true`: paid already). Account keys'
    /// purchases are always pending.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub complete: Option<bool>,
}

/// The body of `POST /v1/purchases/{id}/complete` (admin).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CompletePurchase {
    /// The payment provider's reference (a checkout session, an invoice).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_reference: Option<String>,
}

/// A purchase of a pack: its credits are granted once it is paid.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Purchase {
    /// `pur_…`.
    pub id: String,
    /// The account.
    pub account_id: String,
    /// The pack.
    pub pack: String,
    /// Credits it grants.
    pub credits: Credits,
    /// Its price in US dollars (exact).
    pub price_usd: Number,
    /// `pending`, `completed`, `failed`, `canceled` or `expired`.
    pub status: String,
    /// Whether an auto top-up made it.
    #[serde(default)]
    pub topup: bool,
    /// The grant, once completed.
    #[serde(default)]
    pub grant_id: Option<String>,
    /// The grant, once completed.
    #[serde(default)]
    pub grant: Option<Grant>,
    /// The payment provider's reference.
    #[serde(default)]
    pub payment_reference: Option<String>,
    /// Where the buyer pays, if the catalog says.
    #[serde(default)]
    pub checkout_url: Option<String>,
    /// When it was made.
    pub created_at: String,
    /// When a pending purchase expires.
    #[serde(default)]
    pub expires_at: Option<String>,
    /// When it was completed.
    #[serde(default)]
    pub completed_at: Option<String>,
    /// When it left `pending`.
    #[serde(default)]
    pub resolved_at: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------------------------

/// An account key. `key` is there only in the answer that created it (only its hash is
/// stored).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ApiKey {
    /// `key_…`.
    pub id: String,
    /// The account it may act on.
    #[serde(default)]
    pub account_id: Option<String>,
    /// The key itself, once.
    #[serde(default)]
    pub key: Option<String>,
    /// When it was made.
    pub created_at: String,
    /// When it was last used.
    #[serde(default)]
    pub last_used_at: Option<String>,
    /// When it was revoked.
    #[serde(default)]
    pub revoked_at: Option<String>,
}
