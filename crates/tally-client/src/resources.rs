//! The typed methods of [`Client`], one per route of API.md named in this crate's README.
//! Reads answer the value; writes answer a [`Reply`] (the value, and whether it was a
//! replay).

use hyper::Method;
use serde_json::{Value, json};

use crate::types::*;
use crate::{Client, Error, Reply};

/// A path segment with everything but unreserved characters (and `:`) percent-encoded.
fn segment(text: &str) -> String {
    encode(text, b":")
}

fn encode(text: &str, also_plain: &[u8]) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) || also_plain.contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `path?name=value&…` for the pairs that have a value.
fn with_query(path: String, pairs: &[(&str, Option<&str>)]) -> String {
    let query: Vec<String> = pairs
        .iter()
        .filter_map(|(name, value)| value.map(|value| format!("{name}={}", encode(value, b",:"))))
        .collect();
    if query.is_empty() {
        path
    } else {
        format!("{path}?{}", query.join("&"))
    }
}

fn paged(path: String, page: &Page, more: &[(&str, Option<&str>)]) -> String {
    let limit = page.limit.map(|limit| limit.to_string());
    let mut pairs = more.to_vec();
    pairs.push(("limit", limit.as_deref()));
    pairs.push(("starting_after", page.starting_after.as_deref()));
    with_query(path, &pairs)
}

impl Client {
    // --- accounts ----------------------------------------------------------------------------

    /// `POST /v1/accounts` (admin): a new account.
    pub async fn create_account(&self, account: &CreateAccount) -> Result<Reply<Account>, Error> {
        self.send(Method::POST, "/v1/accounts", account).await
    }

    /// `GET /v1/accounts/{id}`: the account with its balance.
    pub async fn account(&self, id: &str) -> Result<Account, Error> {
        self.get(&format!("/v1/accounts/{}", segment(id))).await
    }

    /// `PATCH /v1/accounts/{id}` (admin): change the fields set in `update`.
    pub async fn update_account(
        &self,
        id: &str,
        update: &UpdateAccount,
    ) -> Result<Reply<Account>, Error> {
        self.send(
            Method::PATCH,
            &format!("/v1/accounts/{}", segment(id)),
            update,
        )
        .await
    }

    /// `GET /v1/accounts` (admin): a page of accounts, newest first.
    pub async fn accounts(&self, page: &Page) -> Result<List<Account>, Error> {
        self.get(&paged("/v1/accounts".into(), page, &[])).await
    }

    /// `GET /v1/accounts/{id}/balance`.
    pub async fn balance(&self, account: &str) -> Result<Balance, Error> {
        self.get(&format!("/v1/accounts/{}/balance", segment(account)))
            .await
    }

    // --- grants ------------------------------------------------------------------------------

    /// `POST /v1/accounts/{id}/grants` (admin): credits for the account.
    pub async fn create_grant(
        &self,
        account: &str,
        grant: &CreateGrant,
    ) -> Result<Reply<Grant>, Error> {
        let path = format!("/v1/accounts/{}/grants", segment(account));
        self.send(Method::POST, &path, grant).await
    }

    /// `GET /v1/accounts/{id}/grants?status=`: a page of the account's grants.
    pub async fn grants(
        &self,
        account: &str,
        status: Option<&str>,
        page: &Page,
    ) -> Result<List<Grant>, Error> {
        let path = format!("/v1/accounts/{}/grants", segment(account));
        self.get(&paged(path, page, &[("status", status)])).await
    }

    /// `POST /v1/grants/{id}/void` (admin): its unspent credits are gone.
    pub async fn void_grant(&self, grant: &str) -> Result<Reply<Grant>, Error> {
        let path = format!("/v1/grants/{}/void", segment(grant));
        self.send(Method::POST, &path, &json!({})).await
    }

    // --- quotes ------------------------------------------------------------------------------

    /// `POST /v1/quotes`: the price of a usage before committing it (retried like a read:
    /// a quote changes nothing).
    pub async fn quote(&self, quote: &CreateQuote) -> Result<Quote, Error> {
        self.send(Method::POST, "/v1/quotes", quote)
            .await
            .map(Reply::into_value)
    }

    // --- charges -----------------------------------------------------------------------------

    /// `POST /v1/accounts/{id}/charges`: a one-step debit. Not enough credits: the error's
    /// problem is 402 `insufficient_credits` (with `available` and `required`).
    pub async fn create_charge(
        &self,
        account: &str,
        charge: &CreateCharge,
    ) -> Result<Reply<Charge>, Error> {
        let path = format!("/v1/accounts/{}/charges", segment(account));
        self.send(Method::POST, &path, charge).await
    }

    /// `GET /v1/charges/{id}`, with what was refunded of it.
    pub async fn charge(&self, id: &str) -> Result<Charge, Error> {
        self.get(&format!("/v1/charges/{}", segment(id))).await
    }

    /// `GET /v1/accounts/{id}/charges`: a page of the account's charges, newest first.
    pub async fn charges(&self, account: &str, page: &Page) -> Result<List<Charge>, Error> {
        let path = format!("/v1/accounts/{}/charges", segment(account));
        self.get(&paged(path, page, &[])).await
    }

    // --- holds -------------------------------------------------------------------------------

    /// `POST /v1/accounts/{id}/holds`: reserve credits.
    pub async fn create_hold(
        &self,
        account: &str,
        hold: &CreateHold,
    ) -> Result<Reply<Hold>, Error> {
        let path = format!("/v1/accounts/{}/holds", segment(account));
        self.send(Method::POST, &path, hold).await
    }

    /// `GET /v1/holds/{id}`.
    pub async fn hold(&self, id: &str) -> Result<Hold, Error> {
        self.get(&format!("/v1/holds/{}", segment(id))).await
    }

    /// `POST /v1/holds/{id}/capture`: take the hold, or part of it.
    pub async fn capture_hold(
        &self,
        hold: &str,
        capture: &CaptureHold,
    ) -> Result<Reply<Hold>, Error> {
        let path = format!("/v1/holds/{}/capture", segment(hold));
        self.send(Method::POST, &path, capture).await
    }

    /// `POST /v1/holds/{id}/void`: its credits return.
    pub async fn void_hold(&self, hold: &str) -> Result<Reply<Hold>, Error> {
        let path = format!("/v1/holds/{}/void", segment(hold));
        self.send(Method::POST, &path, &json!({})).await
    }

    /// `POST /v1/holds/{id}/extend`: reserve more, and/or live longer.
    pub async fn extend_hold(&self, hold: &str, extend: &ExtendHold) -> Result<Reply<Hold>, Error> {
        let path = format!("/v1/holds/{}/extend", segment(hold));
        self.send(Method::POST, &path, extend).await
    }

    /// `GET /v1/accounts/{id}/holds?status=`: a page of the account's holds.
    pub async fn holds(
        &self,
        account: &str,
        status: Option<&str>,
        page: &Page,
    ) -> Result<List<Hold>, Error> {
        let path = format!("/v1/accounts/{}/holds", segment(account));
        self.get(&paged(path, page, &[("status", status)])).await
    }

    // --- refunds -----------------------------------------------------------------------------

    /// `POST /v1/charges/{id}/refunds`: credits back to the grants the charge drew them from.
    pub async fn refund_charge(
        &self,
        charge: &str,
        refund: &CreateRefund,
    ) -> Result<Reply<Refund>, Error> {
        let path = format!("/v1/charges/{}/refunds", segment(charge));
        self.send(Method::POST, &path, refund).await
    }

    /// `POST /v1/holds/{id}/refunds`: refund what a hold captured.
    pub async fn refund_hold(
        &self,
        hold: &str,
        refund: &CreateRefund,
    ) -> Result<Reply<Refund>, Error> {
        let path = format!("/v1/holds/{}/refunds", segment(hold));
        self.send(Method::POST, &path, refund).await
    }

    // --- entries and usage -------------------------------------------------------------------

    /// `GET /v1/accounts/{id}/entries`: a page of the account's ledger entries, newest first.
    pub async fn entries(&self, account: &str, list: &ListEntries) -> Result<List<Entry>, Error> {
        let path = format!("/v1/accounts/{}/entries", segment(account));
        let filters = [
            ("type", list.kind.as_deref()),
            ("product", list.product.as_deref()),
            ("from", list.from.as_deref()),
            ("to", list.to.as_deref()),
        ];
        self.get(&paged(path, &list.page, &filters)).await
    }

    /// `GET /v1/accounts/{id}/usage`: credits spent and actions, per group.
    pub async fn usage(&self, account: &str, query: &UsageQuery) -> Result<UsageReport, Error> {
        let path = format!("/v1/accounts/{}/usage", segment(account));
        let group_by = (!query.group_by.is_empty()).then(|| query.group_by.join(","));
        let pairs = [
            ("from", query.from.as_deref()),
            ("to", query.to.as_deref()),
            ("group_by", group_by.as_deref()),
        ];
        self.get(&with_query(path, &pairs)).await
    }

    // --- plans, packs, purchases -------------------------------------------------------------

    /// `GET /v1/plans`: the plans on sale.
    pub async fn plans(&self) -> Result<Vec<Plan>, Error> {
        self.get("/v1/plans").await
    }

    /// `GET /v1/packs`: the credit packs on sale.
    pub async fn packs(&self) -> Result<Vec<Pack>, Error> {
        self.get("/v1/packs").await
    }

    /// `POST /v1/accounts/{id}/purchases`: buy a pack.
    pub async fn create_purchase(
        &self,
        account: &str,
        purchase: &CreatePurchase,
    ) -> Result<Reply<Purchase>, Error> {
        let path = format!("/v1/accounts/{}/purchases", segment(account));
        self.send(Method::POST, &path, purchase).await
    }

    /// `GET /v1/purchases/{id}`.
    pub async fn purchase(&self, id: &str) -> Result<Purchase, Error> {
        self.get(&format!("/v1/purchases/{}", segment(id))).await
    }

    /// `GET /v1/accounts/{id}/purchases?status=`, or with no account (admin)
    /// `GET /v1/purchases?status=`: a page of purchases.
    pub async fn purchases(
        &self,
        account: Option<&str>,
        status: Option<&str>,
        page: &Page,
    ) -> Result<List<Purchase>, Error> {
        let path = match account {
            Some(account) => format!("/v1/accounts/{}/purchases", segment(account)),
            None => "/v1/purchases".to_string(),
        };
        self.get(&paged(path, page, &[("status", status)])).await
    }

    /// `POST /v1/purchases/{id}/complete` (admin): paid; its credits are granted, once.
    pub async fn complete_purchase(
        &self,
        purchase: &str,
        complete: &CompletePurchase,
    ) -> Result<Reply<Purchase>, Error> {
        let path = format!("/v1/purchases/{}/complete", segment(purchase));
        self.send(Method::POST, &path, complete).await
    }

    /// `POST /v1/purchases/{id}/fail` (admin): the payment failed; no credits.
    pub async fn fail_purchase(&self, purchase: &str) -> Result<Reply<Purchase>, Error> {
        let path = format!("/v1/purchases/{}/fail", segment(purchase));
        self.send(Method::POST, &path, &json!({})).await
    }

    /// `POST /v1/purchases/{id}/cancel` (admin): no credits.
    pub async fn cancel_purchase(&self, purchase: &str) -> Result<Reply<Purchase>, Error> {
        let path = format!("/v1/purchases/{}/cancel", segment(purchase));
        self.send(Method::POST, &path, &json!({})).await
    }

    // --- keys --------------------------------------------------------------------------------

    /// `POST /v1/accounts/{id}/keys` (admin): a key for the account, shown only in this answer
    /// ([`ApiKey::key`]).
    pub async fn create_key(&self, account: &str) -> Result<Reply<ApiKey>, Error> {
        let path = format!("/v1/accounts/{}/keys", segment(account));
        self.send(Method::POST, &path, &json!({})).await
    }

    /// `GET /v1/accounts/{id}/keys` (admin): the account's keys, without the keys themselves.
    pub async fn keys(&self, account: &str) -> Result<List<ApiKey>, Error> {
        self.get(&format!("/v1/accounts/{}/keys", segment(account)))
            .await
    }

    /// `DELETE /v1/keys/{id}` (admin): revoked at once. The answer as the server sends it.
    pub async fn revoke_key(&self, id: &str) -> Result<Reply<Value>, Error> {
        self.request(Method::DELETE, &format!("/v1/keys/{}", segment(id)), None)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_and_queries_are_encoded() {
        assert_eq!(segment("acme:eu-1"), "acme:eu-1");
        assert_eq!(segment("a b/c"), "a%20b%2Fc");
        let path = with_query(
            "/v1/accounts/a/usage".into(),
            &[
                ("group_by", Some("product,day")),
                ("from", None),
                ("to", Some("2026-12-01T00:00:00+01:00")),
            ],
        );
        assert_eq!(
            path,
            "/v1/accounts/a/usage?group_by=product,day&to=2026-12-01T00:00:00%2B01:00"
        );
        let page = Page {
            limit: Some(5),
            starting_after: None,
        };
        assert_eq!(
            paged("/v1/accounts".into(), &page, &[("status", Some("pending"))]),
            "/v1/accounts?status=pending&limit=5"
        );
    }
}
