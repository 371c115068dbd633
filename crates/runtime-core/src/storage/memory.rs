use std::collections::BTreeMap;

use parking_lot::RwLock;

use super::{ReadSet, Storage, StorageChange};
use crate::error::{CommitError, StorageError};

/// A [`Storage`] in a `BTreeMap` behind a lock. Never fails; commits are
/// validated and applied under the write lock.
#[derive(Debug, Default)]
pub struct InMemoryStorage {
    entries: RwLock<BTreeMap<Vec<u8>, Vec<u8>>>,
}

impl InMemoryStorage {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// A store holding `entries`.
    pub fn with_entries<K, V>(entries: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<Vec<u8>>,
        V: Into<Vec<u8>>,
    {
        let map = entries
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        Self {
            entries: RwLock::new(map),
        }
    }

    /// A copy of every entry, ordered by key.
    pub fn snapshot(&self) -> BTreeMap<Vec<u8>, Vec<u8>> {
        self.entries.read().clone()
    }
}

impl Storage for InMemoryStorage {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self.entries.read().get(key).cloned())
    }

    fn commit(&self, reads: &ReadSet, changes: &[StorageChange]) -> Result<(), CommitError> {
        let mut entries = self.entries.write();
        reads.validate(|key| Ok(entries.get(key).cloned()))?;
        for change in changes {
            match &change.value {
                Some(value) => entries.insert(change.key.clone(), value.clone()),
                None => entries.remove(&change.key),
            };
        }
        Ok(())
    }

    fn entries(&self) -> Result<Vec<super::StorageEntry>, StorageError> {
        Ok(self.snapshot().into_iter().collect())
    }
}
