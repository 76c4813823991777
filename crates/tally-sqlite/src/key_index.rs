//! Where each idempotency record is: its row's `seq`, by a 64-bit hash of its scope and key,
//! in memory.
//!
//! The records are in write order on disk (migration 15), so recording a key is an append
//! and not a page of a b-tree keyed by the clients' keys. The index is built from the table
//! when the store opens and grows as commits land (only after their transaction committed),
//! so it always names every committed record. A key that is not in it was never recorded:
//! the common case, a fresh key, costs no read at all. A hash names candidates only; the row
//! read by `seq` says whether it is the key (two keys may share a hash).
//!
//! The hasher is SipHash with this process's random keys (std's `RandomState`): someone who
//! picks keys cannot make them collide, and the index is rebuilt at every open anyway.

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};

/// A hasher for keys that are already hashes.
#[derive(Default)]
struct Identity(u64);

impl Hasher for Identity {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, _: &[u8]) {
        unreachable!("key_index: only u64 hashes are hashed")
    }

    fn write_u64(&mut self, hash: u64) {
        self.0 = hash;
    }
}

/// The rows' `seq` by the hash of their `(scope, key)`.
pub(crate) struct KeyIndex {
    hasher: RandomState,
    /// The first record of each hash (nearly every one).
    first: HashMap<u64, i64, BuildHasherDefault<Identity>>,
    /// The records of a hash after its first, if any.
    more: HashMap<u64, Vec<i64>, BuildHasherDefault<Identity>>,
}

impl KeyIndex {
    pub(crate) fn new() -> Self {
        KeyIndex {
            hasher: RandomState::new(),
            first: HashMap::default(),
            more: HashMap::default(),
        }
    }

    fn hash(&self, scope: &str, key: &str) -> u64 {
        let mut hasher = self.hasher.build_hasher();
        // Length-prefixed, so ("ab", "c") and ("a", "bc") are different inputs.
        hasher.write_usize(scope.len());
        hasher.write(scope.as_bytes());
        hasher.write(key.as_bytes());
        hasher.finish()
    }

    /// Records that the row `seq` holds the record of `(scope, key)`.
    pub(crate) fn insert(&mut self, scope: &str, key: &str, seq: i64) {
        let hash = self.hash(scope, key);
        match self.first.get(&hash) {
            None => {
                self.first.insert(hash, seq);
            }
            Some(first) if *first == seq => {}
            Some(_) => {
                let more = self.more.entry(hash).or_default();
                if !more.contains(&seq) {
                    more.push(seq);
                }
            }
        }
    }

    /// The rows that may hold the record of `(scope, key)`, oldest first; none when the key
    /// was never recorded.
    pub(crate) fn candidates(&self, scope: &str, key: &str) -> Vec<i64> {
        let hash = self.hash(scope, key);
        let Some(first) = self.first.get(&hash) else {
            return Vec::new();
        };
        let mut seqs = vec![*first];
        if let Some(more) = self.more.get(&hash) {
            seqs.extend(more);
        }
        seqs
    }

    /// How many records it names.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.first.len() + self.more.values().map(Vec::len).sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recorded_key_names_its_row_and_a_fresh_key_names_none() {
        let mut index = KeyIndex::new();
        index.insert("admin", "k1", 1);
        index.insert("acct_a", "k1", 2);
        assert_eq!(index.candidates("admin", "k1"), vec![1]);
        assert_eq!(index.candidates("acct_a", "k1"), vec![2]);
        assert!(index.candidates("admin", "k2").is_empty());
        // The scope's length is part of the hash's input.
        index.insert("ab", "c", 3);
        assert!(index.candidates("a", "bc").is_empty());
        assert_eq!(index.len(), 3);
    }

    #[test]
    fn keys_sharing_a_hash_are_all_candidates_and_inserting_twice_adds_nothing() {
        let mut index = KeyIndex::new();
        let hash = index.hash("admin", "k1");
        // Another key with the same hash, as a collision would put it.
        index.first.insert(hash, 7);
        index.insert("admin", "k1", 9);
        index.insert("admin", "k1", 9);
        index.insert("admin", "k1", 7);
        assert_eq!(index.candidates("admin", "k1"), vec![7, 9]);
        assert_eq!(index.len(), 2);
    }
}
