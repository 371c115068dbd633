use std::collections::BTreeMap;
use std::sync::Arc;

use super::{ReadSet, Storage, StorageChange, ValueFingerprint};
use crate::error::StorageError;

/// The writes of one execution over a read-only base, and what it read.
///
/// The base is never written: the overlay yields its net changes
/// ([`StorageOverlay::net_changes`]) and the runtime commits them only when
/// the call's status is `ok`, together with the [`ReadSet`] of every base
/// read, so a concurrent commit in between is detected, never lost.
pub struct StorageOverlay {
    base: Arc<dyn Storage>,
    /// Key -> value after the writes so far (`None`: removed).
    writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    /// Every base read: what the execution saw.
    reads: ReadSet,
}

impl std::fmt::Debug for StorageOverlay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StorageOverlay")
            .field("writes", &self.writes.len())
            .field("reads", &self.reads.len())
            .finish_non_exhaustive()
    }
}

impl StorageOverlay {
    /// An overlay with no writes over `base`.
    pub fn new(base: Arc<dyn Storage>) -> Self {
        Self {
            base,
            writes: BTreeMap::new(),
            reads: ReadSet::default(),
        }
    }

    /// The current value of `key`: the overlay's, else the base's (recorded
    /// in the read set).
    ///
    /// # Errors
    ///
    /// The base's [`StorageError`].
    pub fn get(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        match self.writes.get(key) {
            Some(value) => Ok(value.clone()),
            None => {
                let value = self.base.get(key)?;
                self.reads.record(key, value.as_deref());
                Ok(value)
            }
        }
    }

    /// Sets `key` and returns its previous value.
    ///
    /// # Errors
    ///
    /// The base's [`StorageError`].
    pub fn set(&mut self, key: &[u8], value: Vec<u8>) -> Result<Option<Vec<u8>>, StorageError> {
        let old = self.get(key)?;
        self.writes.insert(key.to_vec(), Some(value));
        Ok(old)
    }

    /// Removes `key` and returns its previous value.
    ///
    /// # Errors
    ///
    /// The base's [`StorageError`].
    pub fn remove(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        let old = self.get(key)?;
        if old.is_some() {
            self.writes.insert(key.to_vec(), None);
        }
        Ok(old)
    }

    /// The net changes against the base, ordered by key: every key whose
    /// value now differs from the one the execution read. Writing a key's
    /// existing value, removing an absent key, or writing then removing a new
    /// key is no change. Every written key was read first (`set` and
    /// `remove` return the old value), so this reads the base no more.
    pub fn net_changes(&self) -> Vec<StorageChange> {
        self.writes
            .iter()
            .filter(|(key, value)| {
                let seen = self.reads.seen(key).cloned().flatten();
                value.as_deref().map(ValueFingerprint::of) != seen
            })
            .map(|(key, value)| StorageChange {
                key: key.clone(),
                value: value.clone(),
            })
            .collect()
    }

    /// What the execution read from the base, for
    /// [`Storage::commit`].
    pub fn reads(&self) -> &ReadSet {
        &self.reads
    }

    /// The base this overlay reads through.
    pub fn base(&self) -> &Arc<dyn Storage> {
        &self.base
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::InMemoryStorage;
    use proptest::prelude::*;

    #[derive(Clone, Debug)]
    enum Op {
        Set(u8, u8),
        Remove(u8),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0u8..6, any::<u8>()).prop_map(|(k, v)| Op::Set(k, v % 3)),
            (0u8..6).prop_map(Op::Remove),
        ]
    }

    proptest! {
        /// The overlay against a model map: reads see the writes, the base is
        /// never touched, and the net changes turn the base into the model.
        #[test]
        fn overlay_matches_a_model_map(
            initial in proptest::collection::btree_map(0u8..6, 0u8..3, 0..6),
            ops in proptest::collection::vec(op(), 0..40),
        ) {
            let base = Arc::new(InMemoryStorage::with_entries(
                initial.iter().map(|(k, v)| (vec![*k], vec![*v])),
            ));
            let before = base.snapshot();
            let mut model: BTreeMap<Vec<u8>, Vec<u8>> = before.clone();
            let mut overlay = StorageOverlay::new(base.clone());
            for op in ops {
                match op {
                    Op::Set(k, v) => {
                        let old = overlay.set(&[k], vec![v]).unwrap();
                        prop_assert_eq!(old, model.insert(vec![k], vec![v]));
                    }
                    Op::Remove(k) => {
                        let old = overlay.remove(&[k]).unwrap();
                        prop_assert_eq!(old, model.remove(&vec![k]));
                    }
                }
                for k in 0u8..6 {
                    prop_assert_eq!(overlay.get(&[k]).unwrap(), model.get(&vec![k]).cloned());
                }
            }
            prop_assert_eq!(base.snapshot(), before.clone());
            let changes = overlay.net_changes();
            // Ordered by key, and each is a real change.
            prop_assert!(changes.windows(2).all(|w| w[0].key < w[1].key));
            for c in &changes {
                prop_assert_ne!(before.get(&c.key).cloned(), c.value.clone());
            }
            base.apply(&changes).unwrap();
            prop_assert_eq!(base.snapshot(), model);
        }
    }

    #[test]
    fn write_then_remove_of_a_new_key_is_no_change() {
        let base = Arc::new(InMemoryStorage::with_entries([(
            b"a".to_vec(),
            b"1".to_vec(),
        )]));
        let mut overlay = StorageOverlay::new(base);
        overlay.set(b"n", b"x".to_vec()).unwrap();
        overlay.remove(b"n").unwrap();
        overlay.set(b"a", b"1".to_vec()).unwrap();
        overlay.remove(b"absent").unwrap();
        assert_eq!(overlay.net_changes(), vec![]);
    }
}
