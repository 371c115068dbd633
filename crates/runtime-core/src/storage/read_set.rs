//! What an execution read from its base storage, checked again at commit.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use crate::error::{CommitError, StorageError};

/// A value as the read set remembers it: short values as they are, longer
/// ones by their SHA-256, so a read set stays small whatever was read.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ValueFingerprint {
    /// A value of at most [`ValueFingerprint::INLINE_MAX`] bytes.
    Inline(Vec<u8>),
    /// The SHA-256 of a longer value.
    Hash([u8; 32]),
}

impl ValueFingerprint {
    /// Values up to this length are kept inline.
    pub const INLINE_MAX: usize = 32;

    /// The fingerprint of `value`.
    pub fn of(value: &[u8]) -> Self {
        if value.len() <= Self::INLINE_MAX {
            ValueFingerprint::Inline(value.to_vec())
        } else {
            ValueFingerprint::Hash(Sha256::digest(value).into())
        }
    }
}

/// The keys an execution read from the base storage and what it saw
/// (`None`: absent). [`Storage::commit`](super::Storage::commit) validates
/// it under the same lock or transaction as the write: optimistic
/// concurrency per key, so executions over disjoint keys never conflict.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReadSet {
    seen: BTreeMap<Vec<u8>, Option<ValueFingerprint>>,
}

impl ReadSet {
    /// Records that `key` had `value` (the first read of a key wins: later
    /// reads of the same key see the same base).
    pub fn record(&mut self, key: &[u8], value: Option<&[u8]>) {
        if !self.seen.contains_key(key) {
            self.seen
                .insert(key.to_vec(), value.map(ValueFingerprint::of));
        }
    }

    /// What was seen for `key`, if it was read.
    pub fn seen(&self, key: &[u8]) -> Option<&Option<ValueFingerprint>> {
        self.seen.get(key)
    }

    /// The same reads with `prefix` before every key: what a read through a
    /// key-prefixing view (a session's namespace) read from the store
    /// beneath it.
    pub fn prefixed(&self, prefix: &[u8]) -> ReadSet {
        ReadSet {
            seen: self
                .seen
                .iter()
                .map(|(key, value)| {
                    let mut full = Vec::with_capacity(prefix.len() + key.len());
                    full.extend_from_slice(prefix);
                    full.extend_from_slice(key);
                    (full, value.clone())
                })
                .collect(),
        }
    }

    /// The number of keys read.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// Whether nothing was read.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    /// Checks every read against the store's current values, read through
    /// `current` (which the store calls under its write lock or inside its
    /// write transaction).
    ///
    /// # Errors
    ///
    /// [`CommitError::Conflict`] naming the first key whose value changed,
    /// or the store's [`StorageError`].
    pub fn validate(
        &self,
        mut current: impl FnMut(&[u8]) -> Result<Option<Vec<u8>>, StorageError>,
    ) -> Result<(), CommitError> {
        for (key, seen) in &self.seen {
            let now = current(key)?;
            if now.as_deref().map(ValueFingerprint::of) != *seen {
                return Err(CommitError::Conflict { key: key.clone() });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_changed_added_and_removed_values() {
        let long = vec![7u8; 100];
        let mut reads = ReadSet::default();
        reads.record(b"a", Some(b"1"));
        reads.record(b"b", None);
        reads.record(b"c", Some(&long));
        reads.record(b"a", Some(b"ignored: the first read wins"));
        fn store(
            a: Option<&'static [u8]>,
            b: Option<&'static [u8]>,
            c: Option<Vec<u8>>,
        ) -> impl FnMut(&[u8]) -> Result<Option<Vec<u8>>, StorageError> {
            move |k: &[u8]| {
                Ok(match k {
                    b"a" => a.map(<[u8]>::to_vec),
                    b"b" => b.map(<[u8]>::to_vec),
                    _ => c.clone(),
                })
            }
        }
        assert!(
            reads
                .validate(store(Some(b"1"), None, Some(long.clone())))
                .is_ok()
        );
        let conflict = |k: &[u8]| Err(CommitError::Conflict { key: k.to_vec() });
        assert_eq!(
            reads.validate(store(Some(b"2"), None, Some(long.clone()))),
            conflict(b"a")
        );
        assert_eq!(
            reads.validate(store(Some(b"1"), Some(b""), Some(long.clone()))),
            conflict(b"b")
        );
        let mut other = long.clone();
        other[99] = 8;
        assert_eq!(
            reads.validate(store(Some(b"1"), None, Some(other))),
            conflict(b"c")
        );
        assert_eq!(
            reads.validate(store(Some(b"1"), None, None)),
            conflict(b"c")
        );
    }
}
