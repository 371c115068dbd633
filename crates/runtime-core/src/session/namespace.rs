//! Per-module storage namespaces in the session's one [`Storage`].
//!
//! The encoding: module `name` (1 to [`MAX_NAME_LEN`] bytes of UTF-8)
//! stores its key `k` under the key
//!
//! ```text
//! [len(name) as one byte] ++ name ++ k
//! ```
//!
//! No two names collide: the first byte of a stored key says how long the
//! name is, so every stored key splits into exactly one `(name, k)` pair,
//! and two different names (of the same length or not) never produce the
//! same prefix — a name is never read as the start of another name's key.
//! Keys outside every namespace (whose first byte is 0 or more than 64, or
//! that are shorter than their length byte says) are never visible to a
//! module.

use std::sync::Arc;

use crate::error::{CommitError, RuntimeError, StorageError};
use crate::storage::{ReadSet, Storage, StorageChange, StorageEntry};

/// The longest module name, in bytes.
pub const MAX_NAME_LEN: usize = 64;

/// Checks a module name: 1 to [`MAX_NAME_LEN`] bytes (a `&str` is UTF-8).
///
/// # Errors
///
/// [`RuntimeError::Registry`] naming the rule.
pub(crate) fn validate_name(name: &str) -> Result<(), RuntimeError> {
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return Err(RuntimeError::Registry(format!(
            "module name {name:?} is {} bytes; a session's module names are 1 to {MAX_NAME_LEN} bytes of UTF-8",
            name.len()
        )));
    }
    Ok(())
}

/// One module's view of a [`Storage`]: its keys only, unprefixed. Reads,
/// commits and listings go to the store beneath with the module's prefix
/// (see the module documentation for the encoding).
///
/// ```
/// use std::sync::Arc;
/// use runtime_core::{InMemoryStorage, NamespacedStorage, Storage, StorageChange};
///
/// let store = Arc::new(InMemoryStorage::new());
/// let a = NamespacedStorage::new(store.clone(), "a").unwrap();
/// let ab = NamespacedStorage::new(store.clone(), "ab").unwrap();
/// a.apply(&[StorageChange { key: b"bk".to_vec(), value: Some(b"1".to_vec()) }]).unwrap();
/// ab.apply(&[StorageChange { key: b"k".to_vec(), value: Some(b"2".to_vec()) }]).unwrap();
/// // "a" + "bk" and "ab" + "k" do not collide: the length byte differs.
/// assert_eq!(a.get(b"bk").unwrap(), Some(b"1".to_vec()));
/// assert_eq!(ab.get(b"k").unwrap(), Some(b"2".to_vec()));
/// assert_eq!(a.get(b"k").unwrap(), None);
/// assert_eq!(store.get(b"\x01abk").unwrap(), Some(b"1".to_vec()));
/// assert_eq!(store.get(b"\x02abk").unwrap(), Some(b"2".to_vec()));
/// assert_eq!(ab.entries().unwrap(), vec![(b"k".to_vec(), b"2".to_vec())]);
/// ```
#[derive(Clone)]
pub struct NamespacedStorage {
    inner: Arc<dyn Storage>,
    prefix: Vec<u8>,
}

impl std::fmt::Debug for NamespacedStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NamespacedStorage")
            .field("prefix", &hex::encode(&self.prefix))
            .finish_non_exhaustive()
    }
}

impl NamespacedStorage {
    /// Module `name`'s view of `inner`.
    ///
    /// # Errors
    ///
    /// [`RuntimeError::Registry`] if `name` is empty or longer than
    /// [`MAX_NAME_LEN`] bytes.
    pub fn new(inner: Arc<dyn Storage>, name: &str) -> Result<Self, RuntimeError> {
        Ok(Self {
            inner,
            prefix: Self::prefix_of(name)?,
        })
    }

    /// The prefix of module `name`'s keys: its length as one byte, then
    /// its bytes.
    ///
    /// # Errors
    ///
    /// As [`NamespacedStorage::new`].
    pub fn prefix_of(name: &str) -> Result<Vec<u8>, RuntimeError> {
        validate_name(name)?;
        let mut prefix = Vec::with_capacity(1 + name.len());
        // validate_name bounds the length to 64.
        prefix.push(name.len() as u8);
        prefix.extend_from_slice(name.as_bytes());
        Ok(prefix)
    }

    /// This namespace's prefix.
    pub fn prefix(&self) -> &[u8] {
        &self.prefix
    }

    fn full_key(&self, key: &[u8]) -> Vec<u8> {
        let mut full = Vec::with_capacity(self.prefix.len() + key.len());
        full.extend_from_slice(&self.prefix);
        full.extend_from_slice(key);
        full
    }
}

impl Storage for NamespacedStorage {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        self.inner.get(&self.full_key(key))
    }

    /// Commits to the store beneath with every read and changed key
    /// prefixed. Prefixing keeps the changes ordered by key. A conflict
    /// names the stored (prefixed) key.
    fn commit(&self, reads: &ReadSet, changes: &[StorageChange]) -> Result<(), CommitError> {
        let changes: Vec<StorageChange> = changes
            .iter()
            .map(|c| StorageChange {
                key: self.full_key(&c.key),
                value: c.value.clone(),
            })
            .collect();
        self.inner.commit(&reads.prefixed(&self.prefix), &changes)
    }

    /// This module's entries, unprefixed, ordered by key: a filter over the
    /// whole store's listing.
    fn entries(&self) -> Result<Vec<StorageEntry>, StorageError> {
        Ok(self
            .inner
            .entries()?
            .into_iter()
            .filter_map(|(key, value)| {
                key.strip_prefix(self.prefix.as_slice())
                    .map(|k| (k.to_vec(), value))
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::InMemoryStorage;

    #[test]
    fn names_are_one_to_sixty_four_bytes() {
        assert!(NamespacedStorage::prefix_of("").is_err());
        assert!(NamespacedStorage::prefix_of(&"x".repeat(65)).is_err());
        assert_eq!(
            NamespacedStorage::prefix_of(&"é".repeat(32)).unwrap()[0],
            64
        );
        assert_eq!(NamespacedStorage::prefix_of("db").unwrap(), b"\x02db");
    }

    #[test]
    fn no_two_names_share_a_stored_key() {
        // Exhaustively over short names from a small alphabet and short
        // keys: (name, key) -> stored key is injective.
        let names: Vec<String> = ["a", "b", "ab", "ba", "aa", "aab", "\u{1}", "\u{1}a"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let keys: [&[u8]; 6] = [b"", b"a", b"b", b"ab", b"\x01", b"\x02ab"];
        let mut seen = std::collections::BTreeMap::new();
        for name in &names {
            let prefix = NamespacedStorage::prefix_of(name).unwrap();
            for key in keys {
                let mut stored = prefix.clone();
                stored.extend_from_slice(key);
                if let Some(other) = seen.insert(stored, (name.clone(), key)) {
                    panic!("{other:?} and {:?} collide", (name, key));
                }
            }
        }
    }

    #[test]
    fn commits_prefix_reads_so_conflicts_are_detected() {
        let store = Arc::new(InMemoryStorage::new());
        let view = NamespacedStorage::new(store.clone(), "m").unwrap();
        let mut reads = ReadSet::default();
        reads.record(b"k", None);
        // Someone writes the module's key in between.
        store
            .apply(&[StorageChange {
                key: b"\x01mk".to_vec(),
                value: Some(vec![1]),
            }])
            .unwrap();
        let change = StorageChange {
            key: b"k".to_vec(),
            value: Some(vec![2]),
        };
        assert_eq!(
            view.commit(&reads, std::slice::from_ref(&change)),
            Err(CommitError::Conflict {
                key: b"\x01mk".to_vec()
            })
        );
        // The same key of another module is not a conflict.
        let other = NamespacedStorage::new(store.clone(), "n").unwrap();
        assert_eq!(other.commit(&reads, &[change]), Ok(()));
        assert_eq!(store.get(b"\x01nk").unwrap(), Some(vec![2]));
        assert_eq!(view.get(b"k").unwrap(), Some(vec![1]));
    }
}
