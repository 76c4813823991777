//! Portal links in the SQLite store: written and read back as they were, and a redemption the
//! store finds already made fails the commit (the engine never sends one; if it did, a second
//! visit must not be answered as the first).

use std::path::PathBuf;

use tally_core::{Account, Millicredits, PortalLink, Timestamp};
use tally_sqlite::SqliteStore;
use tally_store::{BatchWrite, LedgerStore};

/// A fresh directory under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        use std::hash::{BuildHasher, Hasher};
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write(name.as_bytes());
        let path = std::env::temp_dir().join(format!(
            "tally-sqlite-{name}-{}-{}",
            std::process::id(),
            hasher.finish()
        ));
        std::fs::create_dir_all(&path).expect("creating a temp dir");
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const AT: Timestamp = Timestamp::from_micros(1_900_000_000_000_000);

#[test]
fn a_link_reads_back_as_written_and_is_redeemed_at_most_once() {
    let dir = TempDir::new("portal-links");
    let store = SqliteStore::open(dir.0.join("tally.db")).expect("a fresh store");
    let link = PortalLink {
        id: "portal_1".into(),
        account_id: "acct".into(),
        token_hash: "ab".repeat(32),
        created_at: AT,
        expires_at: AT.plus_seconds(300),
        return_url: Some("https://app.example.com/billing".into()),
        used_at: None,
    };
    let create = BatchWrite {
        new_accounts: vec![Account {
            id: "acct".into(),
            name: None,
            overdraft_limit: Millicredits::new(0),
            metadata: None,
            created_at: AT,
            settings: Default::default(),
        }],
        new_portal_links: vec![link.clone()],
        ..BatchWrite::default()
    };
    store.commit(&create).expect("creating the link");
    assert_eq!(
        store.portal_link(&link.token_hash).expect("read"),
        Some(link.clone())
    );
    assert_eq!(store.portal_link("unknown").expect("read"), None);

    let used_at = AT.plus_seconds(10);
    let redeem = BatchWrite {
        redeemed_portal_links: vec![(link.id.clone(), used_at)],
        ..BatchWrite::default()
    };
    store.commit(&redeem).expect("redeeming it");
    let used = store
        .portal_link(&link.token_hash)
        .expect("read")
        .expect("the link");
    assert_eq!(used.used_at, Some(used_at));

    // Again: refused by the store, and the first use stands.
    let again = BatchWrite {
        redeemed_portal_links: vec![(link.id.clone(), AT.plus_seconds(20))],
        ..BatchWrite::default()
    };
    assert!(
        store.commit(&again).is_err(),
        "a second redemption fails the commit"
    );
    let still = store
        .portal_link(&link.token_hash)
        .expect("read")
        .expect("the link");
    assert_eq!(still.used_at, Some(used_at));
}
