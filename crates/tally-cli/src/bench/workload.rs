//! What the scenarios send: the operations, the accounts they pick (one hot account, uniform,
//! or Zipf-distributed), the request bodies, and the setup (accounts and large grants) made
//! through the API before anything is measured; or, with `--existing-accounts PREFIX`, the
//! accounts already in the store (`PREFIX0`, `PREFIX1`, …: what `--populate` wrote), which
//! are only checked, not set up.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, bail};
use bytes::Bytes;
use hyper::Method;

use tally_client::{CreateAccount, CreateGrant, Credits};

use super::Scenario;
use super::http::Target;

/// The usage every quote prices: a chat on the default rate card.
pub(super) const QUOTE_USAGE: &str = r#"{"product":"assistant","action":"chat","model":"gpt-4o","input_tokens":1200,"cached_input_tokens":0,"output_tokens":350}"#;

/// What one charge debits (credits), and what a hold reserves and its capture takes.
const CHARGE_CREDITS: &str = "1";
const HOLD_CREDITS: &str = "2";
const CAPTURE_CREDITS: &str = "1.5";

/// The grant every bench account gets: large enough that no charge runs out (1e9 credits is
/// a billion 1-credit charges; API.md allows up to 1e12).
const GRANT_CREDITS: i64 = 1_000_000_000;

/// How many setup requests are in flight at once.
const SETUP_CONNECTIONS: usize = 32;

/// The weight of the most popular account in the Zipf distribution (rank k weighs W / k).
const ZIPF_WEIGHT_TOP: u64 = 1 << 40;

/// One unit of work; `HoldCapture` is two requests, the capture sent when the hold answers.
#[derive(Clone, Copy, Debug)]
pub(super) enum Op {
    Quote {
        account: Option<usize>,
    },
    Charge {
        account: usize,
    },
    HoldCapture {
        account: usize,
    },
    Balance {
        account: usize,
    },
    /// `GET /healthz`.
    Healthz,
    /// One `POST /v1/batch` of [`Workload::batch_size`] charges on the account.
    BatchCharge {
        account: usize,
    },
    /// An admin's grant of 1 credit (each writes a `grant.created` event).
    Grant {
        account: usize,
    },
}

/// A small, fast, seeded generator (SplitMix64): the bench needs speed and repeatability,
/// not cryptographic quality.
pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15)
    }

    pub(super) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..bound` (bound > 0); the modulo bias is negligible for bench purposes.
    pub(super) fn below(&mut self, bound: u64) -> u64 {
        self.next_u64() % bound
    }
}

/// How a scenario picks accounts.
enum Pick {
    None,
    One,
    Uniform(usize),
    /// Cumulative integer weights (rank k weighs `ZIPF_WEIGHT_TOP / k`, exponent 1).
    Zipf(Vec<u64>),
}

/// A scenario with its accounts: what each task asks for next.
pub(super) struct Workload {
    pub scenario: Scenario,
    /// The account ids: created by [`setup`], or already in the store (see `existing`).
    pub accounts: Vec<String>,
    /// The accounts are in the store already: [`setup`] only checks that they are there.
    pub existing: bool,
    pick: Pick,
    /// Request paths and bodies prepared once per account.
    charge_paths: Vec<String>,
    grant_paths: Vec<String>,
    hold_paths: Vec<String>,
    balance_paths: Vec<String>,
    quote_bodies: Vec<Bytes>,
    /// The charges in one `POST /v1/batch` (batch-charge).
    pub batch_size: usize,
    /// The charges [`setup`] makes on the account first (balance-busy on a fresh account).
    pub busy_charges: u64,
}

impl Workload {
    /// The workload of `scenario`; account ids are `bench-TAG-N`, so runs against one server
    /// never collide.
    pub(super) fn new(scenario: Scenario, accounts: usize, tag: &str) -> Workload {
        Workload::with_ids(scenario, accounts, false, |n| format!("bench-{tag}-{n}"))
    }

    /// The workload of `scenario` on accounts already in the store, `PREFIX0` to
    /// `PREFIX{accounts-1}` (e.g. `big-` after `--populate`), so reads and writes land in a
    /// large store's own accounts rather than in a few fresh ones.
    pub(super) fn existing(scenario: Scenario, accounts: usize, prefix: &str) -> Workload {
        Workload::with_ids(scenario, accounts, true, |n| format!("{prefix}{n}"))
    }

    fn with_ids(
        scenario: Scenario,
        accounts: usize,
        existing: bool,
        id: impl Fn(usize) -> String,
    ) -> Workload {
        let accounts = accounts.max(1);
        let (count, pick) = match scenario {
            Scenario::Quote | Scenario::Healthz => (0, Pick::None),
            Scenario::ChargeHot | Scenario::BatchCharge | Scenario::BalanceBusy => (1, Pick::One),
            Scenario::ChargeSpread
            | Scenario::HoldCapture
            | Scenario::Balance
            | Scenario::GrantSpread => (accounts, Pick::Uniform(accounts)),
            Scenario::Mixed => (accounts, Pick::Zipf(zipf_cumulative(accounts))),
        };
        let ids: Vec<String> = (0..count).map(id).collect();
        let quote_bodies = match scenario {
            // The mixed workload's quotes name the account (the product shows affordability).
            Scenario::Mixed => ids
                .iter()
                .map(|id| Bytes::from(format!(r#"{{"usage":{QUOTE_USAGE},"account_id":"{id}"}}"#)))
                .collect(),
            _ => vec![Bytes::from(format!(r#"{{"usage":{QUOTE_USAGE}}}"#))],
        };
        Workload {
            scenario,
            charge_paths: ids
                .iter()
                .map(|id| format!("/v1/accounts/{id}/charges"))
                .collect(),
            hold_paths: ids
                .iter()
                .map(|id| format!("/v1/accounts/{id}/holds"))
                .collect(),
            balance_paths: ids
                .iter()
                .map(|id| format!("/v1/accounts/{id}/balance"))
                .collect(),
            grant_paths: ids
                .iter()
                .map(|id| format!("/v1/accounts/{id}/grants"))
                .collect(),
            accounts: ids,
            existing,
            pick,
            quote_bodies,
            batch_size: 1,
            busy_charges: 0,
        }
    }

    /// The same workload with `charges` charges made on its account by [`setup`].
    pub(super) fn with_busy_charges(mut self, charges: u64) -> Workload {
        if self.scenario == Scenario::BalanceBusy {
            self.busy_charges = charges;
        }
        self
    }

    /// The same workload with `batch_size` charges in each batch.
    pub(super) fn with_batch_size(mut self, batch_size: usize) -> Workload {
        self.batch_size = batch_size.max(1);
        self
    }

    fn account(&self, rng: &mut Rng) -> usize {
        match &self.pick {
            Pick::None | Pick::One => 0,
            Pick::Uniform(count) => rng.below(*count as u64) as usize,
            Pick::Zipf(cumulative) => {
                let total = cumulative.last().copied().unwrap_or(1);
                let draw = rng.below(total);
                cumulative.partition_point(|&weight| weight <= draw)
            }
        }
    }

    /// The next operation of this scenario.
    pub(super) fn next(&self, rng: &mut Rng) -> Op {
        match self.scenario {
            Scenario::Quote => Op::Quote { account: None },
            Scenario::ChargeHot | Scenario::ChargeSpread => Op::Charge {
                account: self.account(rng),
            },
            Scenario::HoldCapture => Op::HoldCapture {
                account: self.account(rng),
            },
            Scenario::Balance | Scenario::BalanceBusy => Op::Balance {
                account: self.account(rng),
            },
            Scenario::Healthz => Op::Healthz,
            Scenario::BatchCharge => Op::BatchCharge {
                account: self.account(rng),
            },
            Scenario::GrantSpread => Op::Grant {
                account: self.account(rng),
            },
            Scenario::Mixed => {
                let account = self.account(rng);
                match rng.below(100) {
                    0..50 => Op::Quote {
                        account: Some(account),
                    },
                    50..90 => Op::HoldCapture { account },
                    _ => Op::Balance { account },
                }
            }
        }
    }

    pub(super) fn quote_body(&self, account: Option<usize>) -> Bytes {
        match account {
            Some(account) if self.quote_bodies.len() > 1 => self.quote_bodies[account].clone(),
            _ => self.quote_bodies[0].clone(),
        }
    }

    pub(super) fn charge_path(&self, account: usize) -> &str {
        &self.charge_paths[account]
    }

    pub(super) fn grant_path(&self, account: usize) -> &str {
        &self.grant_paths[account]
    }

    pub(super) fn hold_path(&self, account: usize) -> &str {
        &self.hold_paths[account]
    }

    pub(super) fn balance_path(&self, account: usize) -> &str {
        &self.balance_paths[account]
    }
}

pub(super) fn grant_body() -> Bytes {
    Bytes::from_static(br#"{"amount":1,"description":"bench"}"#)
}

pub(super) fn charge_body() -> Bytes {
    Bytes::from(format!(
        r#"{{"amount":{CHARGE_CREDITS},"product":"assistant"}}"#
    ))
}

/// A `POST /v1/batch` body: one charge on `path` per key, each with its key.
pub(super) fn batch_charge_body(path: &str, keys: &[String]) -> Bytes {
    let mut text = String::from(r#"{"operations":["#);
    for (index, key) in keys.iter().enumerate() {
        if index > 0 {
            text.push(',');
        }
        text.push_str(&format!(
            r#"{{"method":"POST","path":"{path}","idempotency_key":"{key}","body":{{"amount":{CHARGE_CREDITS},"product":"assistant"}}}}"#
        ));
    }
    text.push_str("]}");
    Bytes::from(text)
}

pub(super) fn hold_body() -> Bytes {
    Bytes::from(format!(
        r#"{{"amount":{HOLD_CREDITS},"product":"assistant"}}"#
    ))
}

pub(super) fn capture_body() -> Bytes {
    Bytes::from(format!(r#"{{"amount":{CAPTURE_CREDITS}}}"#))
}

/// Cumulative Zipf weights (exponent 1) over `count` ranks, in integers.
fn zipf_cumulative(count: usize) -> Vec<u64> {
    let mut total = 0u64;
    (1..=count as u64)
        .map(|rank| {
            total += (ZIPF_WEIGHT_TOP / rank).max(1);
            total
        })
        .collect()
}

/// Creates the workload's accounts, each with a large grant, through the API (an admin key
/// is needed), `SETUP_CONNECTIONS` requests at a time; existing accounts are only checked.
pub(super) async fn setup(target: &Arc<Target>, workload: &Arc<Workload>) -> anyhow::Result<()> {
    if workload.accounts.is_empty() {
        return Ok(());
    }
    if workload.existing {
        return check_existing(target, workload).await;
    }
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..SETUP_CONNECTIONS.min(workload.accounts.len()) {
        let api = target.api().clone();
        let workload = workload.clone();
        let next = next.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(id) = workload.accounts.get(index) else {
                    return anyhow::Ok(());
                };
                let account = CreateAccount {
                    id: Some(id.clone()),
                    name: Some("bench".into()),
                    ..CreateAccount::default()
                };
                api.create_account(&account)
                    .await
                    .with_context(|| format!("setup: creating the account {id}"))?;
                let grant = CreateGrant {
                    amount: Credits::from_credits(GRANT_CREDITS),
                    description: Some("bench".into()),
                    ..CreateGrant::default()
                };
                api.create_grant(id, &grant)
                    .await
                    .with_context(|| format!("setup: granting credits to {id}"))?;
            }
        }));
    }
    for task in tasks {
        task.await.context("a setup task panicked")??;
    }
    if workload.busy_charges > 0 {
        make_busy(target, &workload.accounts[0], workload.busy_charges).await?;
    }
    Ok(())
}

/// The charges in one setup `POST /v1/batch` (the most one batch holds).
const BUSY_BATCH: u64 = 1000;

/// Makes `charges` 1-credit charges on `account_id`, `BUSY_BATCH` to a `POST /v1/batch`,
/// `SETUP_CONNECTIONS` batches at a time; every operation must be created.
async fn make_busy(target: &Arc<Target>, account_id: &str, charges: u64) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let batches = charges.div_ceil(BUSY_BATCH);
    let next = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let path = format!("/v1/accounts/{account_id}/charges");
    let mut tasks = Vec::new();
    for _ in 0..SETUP_CONNECTIONS {
        let (api, next, path) = (target.api().clone(), next.clone(), path.clone());
        let account_id = account_id.to_string();
        tasks.push(tokio::spawn(async move {
            loop {
                let batch = next.fetch_add(1, Ordering::Relaxed);
                if batch >= batches {
                    return anyhow::Ok(());
                }
                let first = batch * BUSY_BATCH;
                let keys: Vec<String> = (first..charges.min(first + BUSY_BATCH))
                    .map(|n| format!("{account_id}-busy-{n}"))
                    .collect();
                let body: serde_json::Value =
                    serde_json::from_slice(&batch_charge_body(&path, &keys))?;
                let answer = api
                    .request::<serde_json::Value>(Method::POST, "/v1/batch", Some(&body))
                    .await
                    .context("setup: charging the busy account")?;
                let created = count_created(answer.value());
                if created != keys.len() {
                    bail!(
                        "setup: a batch of charges on the busy account answered {} with {created} \
                         of {} created: {}",
                        answer.status(),
                        keys.len(),
                        answer.value()
                    );
                }
            }
        }));
    }
    for task in tasks {
        task.await.context("a setup task panicked")??;
    }
    eprintln!(
        "bench: setup: {charges} charges on {account_id} in {} ms",
        started.elapsed().as_millis()
    );
    Ok(())
}

/// The operations of a `POST /v1/batch` answer that were created (status 201).
fn count_created(answer: &serde_json::Value) -> usize {
    answer["results"].as_array().map_or(0, |results| {
        results
            .iter()
            .filter(|result| result["status"] == 201)
            .count()
    })
}

/// Checks that the first and the last existing account are there, so a wrong prefix or a
/// too large `--accounts` fails now, not as a run of 404s.
async fn check_existing(target: &Arc<Target>, workload: &Workload) -> anyhow::Result<()> {
    for account in [0, workload.accounts.len() - 1] {
        let id = &workload.accounts[account];
        if let Err(error) = target.api().balance(id).await {
            bail!(
                "--existing-accounts: the balance of {id} answered {error} (is the prefix \
                 right, and --accounts at most the accounts the store holds?)"
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zipf_favours_the_first_ranks_and_covers_all() {
        let workload = Workload::new(Scenario::Mixed, 1000, "t");
        let mut rng = Rng::new(7);
        let mut counts = vec![0u32; 1000];
        for _ in 0..100_000 {
            let account = workload.account(&mut rng);
            counts[account] += 1;
        }
        assert!(counts[0] > counts[1]);
        assert!(counts[1] > counts[10]);
        assert!(counts[0] > 10_000, "rank 1 has about 1/H(1000) ≈ 13%");
    }

    #[test]
    fn a_batch_charge_body_is_one_keyed_charge_per_key() {
        let keys = vec!["k-1".to_string(), "k-2".to_string()];
        let body = batch_charge_body("/v1/accounts/a/charges", &keys);
        let body: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
        let operations = body["operations"].as_array().expect("operations");
        assert_eq!(operations.len(), 2);
        assert_eq!(operations[1]["idempotency_key"], "k-2");
        assert_eq!(operations[0]["path"], "/v1/accounts/a/charges");
        assert_eq!(operations[0]["method"], "POST");
        assert!(operations[0]["body"]["amount"].is_number());
    }

    #[test]
    fn mixed_has_the_documented_shares() {
        let workload = Workload::new(Scenario::Mixed, 10, "t");
        let mut rng = Rng::new(1);
        let (mut quotes, mut holds, mut reads) = (0, 0, 0);
        for _ in 0..10_000 {
            match workload.next(&mut rng) {
                Op::Quote { .. } => quotes += 1,
                Op::HoldCapture { .. } => holds += 1,
                Op::Balance { .. } => reads += 1,
                Op::Charge { .. } | Op::BatchCharge { .. } | Op::Grant { .. } | Op::Healthz => {
                    unreachable!()
                }
            }
        }
        assert!((4_700..5_300).contains(&quotes));
        assert!((3_700..4_300).contains(&holds));
        assert!((800..1_200).contains(&reads));
    }

    #[test]
    fn balance_busy_reads_one_account_that_setup_charges_first() {
        let workload = Workload::new(Scenario::BalanceBusy, 10, "t").with_busy_charges(2_500);
        assert_eq!(workload.accounts, ["bench-t-0"]);
        assert_eq!(workload.busy_charges, 2_500);
        let mut rng = Rng::new(1);
        for _ in 0..100 {
            assert!(matches!(
                workload.next(&mut rng),
                Op::Balance { account: 0 }
            ));
        }
        // Other scenarios make no charges in their setup.
        let plain = Workload::new(Scenario::Balance, 10, "t").with_busy_charges(2_500);
        assert_eq!(plain.busy_charges, 0);
        let created = serde_json::json!({"results":[{"status":201},{"status":402},{"status":201}]});
        assert_eq!(count_created(&created), 2);
    }

    #[test]
    fn balance_reads_only_balances_over_all_accounts_uniformly() {
        let workload = Workload::new(Scenario::Balance, 10, "t");
        assert!(!workload.existing);
        let mut rng = Rng::new(3);
        let mut counts = [0u32; 10];
        for _ in 0..10_000 {
            match workload.next(&mut rng) {
                Op::Balance { account } => counts[account] += 1,
                other => panic!("balance sent {other:?}"),
            }
        }
        assert!(
            counts.iter().all(|count| (800..1_200).contains(count)),
            "{counts:?}"
        );
    }

    #[test]
    fn existing_accounts_are_the_prefix_and_a_number_and_need_no_setup() {
        let workload = Workload::existing(Scenario::Balance, 3, "big-");
        assert!(workload.existing);
        assert_eq!(workload.accounts, ["big-0", "big-1", "big-2"]);
        assert_eq!(workload.balance_path(2), "/v1/accounts/big-2/balance");
        let hot = Workload::existing(Scenario::ChargeHot, 1_000, "big-");
        assert_eq!(hot.accounts, ["big-0"]);
    }
}
