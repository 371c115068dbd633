//! The commits of [`Durability::Batched`](crate::Durability::Batched) not
//! yet written to the file.

use std::collections::BTreeMap;

use runtime_core::StorageChange;

/// Whole commits, merged: the latest value of every key they wrote
/// (`None`: removed), and how many commits that is.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    commits: u32,
}

impl Pending {
    /// The pending value of `key`: `Some(value)` if a pending commit wrote
    /// it (`value` `None` for a removal), `None` if none did.
    pub(crate) fn get(&self, key: &[u8]) -> Option<Option<Vec<u8>>> {
        self.writes.get(key).cloned()
    }

    /// Adds one commit's changes.
    pub(crate) fn add(&mut self, changes: &[StorageChange]) {
        for change in changes {
            self.writes.insert(change.key.clone(), change.value.clone());
        }
        self.commits += 1;
    }

    /// The number of commits held.
    pub(crate) fn commits(&self) -> u32 {
        self.commits
    }

    /// Every pending write, ordered by key.
    pub(crate) fn writes(&self) -> impl Iterator<Item = (&[u8], Option<&[u8]>)> {
        self.writes
            .iter()
            .map(|(k, v)| (k.as_slice(), v.as_deref()))
    }

    /// Forgets everything (after it was written durably).
    pub(crate) fn clear(&mut self) {
        self.writes.clear();
        self.commits = 0;
    }

    /// `entries` (ordered by key) with the pending writes applied.
    pub(crate) fn merged(&self, entries: Vec<(Vec<u8>, Vec<u8>)>) -> Vec<(Vec<u8>, Vec<u8>)> {
        if self.writes.is_empty() {
            return entries;
        }
        let mut map: BTreeMap<Vec<u8>, Vec<u8>> = entries.into_iter().collect();
        for (key, value) in &self.writes {
            match value {
                Some(value) => map.insert(key.clone(), value.clone()),
                None => map.remove(key),
            };
        }
        map.into_iter().collect()
    }
}
