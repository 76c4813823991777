//! The advisory lock keys every node computes alike: one per account id (taken before a batch
//! touches the account, and by the delivery side when it records what an account's events
//! got) and one per idempotency key. Kept apart from the batch's transaction so that both the
//! shared batch and the row sources can take them.

/// A 64-bit advisory lock key for a named thing (FNV-1a over its parts, 0-separated).
pub(crate) fn lock_key(parts: &[&str]) -> i64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = OFFSET;
    for (index, part) in parts.iter().enumerate() {
        if index > 0 {
            hash = hash.wrapping_mul(PRIME);
        }
        for byte in part.bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(PRIME);
        }
    }
    hash as i64
}

/// The transaction-level advisory lock a batch takes on an account id (whether or not the
/// account exists) before it touches the account.
pub fn account_lock_key(account_id: &str) -> i64 {
    lock_key(&["account", account_id])
}

/// The transaction-level advisory lock a batch takes on an idempotency key (of `scope`) before
/// it reads the key's record.
pub fn idempotency_lock_key(scope: &str, key: &str) -> i64 {
    lock_key(&["idempotency", scope, key])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_keys_are_stable_and_keep_their_namespaces_apart() {
        // FNV-1a: these values are what every node computes, whatever its build.
        assert_eq!(lock_key(&[]), 0xcbf2_9ce4_8422_2325_u64 as i64);
        assert_eq!(lock_key(&["a"]), 0xaf63_dc4c_8601_ec8c_u64 as i64);
        assert_eq!(account_lock_key("acme"), account_lock_key("acme"));
        assert_ne!(account_lock_key("acme"), account_lock_key("acmf"));
        assert_ne!(
            idempotency_lock_key("admin", "k"),
            idempotency_lock_key("admi", "nk")
        );
        assert_ne!(lock_key(&["account", "x"]), lock_key(&["accountx"]));
    }
}
