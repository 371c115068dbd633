//! Storage: the trait an embedder implements, an in-memory implementation,
//! and the write overlay one execution works on.

mod memory;
mod overlay;

pub use memory::InMemoryStorage;
pub use overlay::StorageOverlay;

use crate::error::StorageError;

/// One net change of a call: a key and its new value, or `None` for a removal.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StorageChange {
    /// The key.
    pub key: Vec<u8>,
    /// The new value, or `None` when the key was removed.
    pub value: Option<Vec<u8>>,
}

/// A key-value store that executions read and whose agreed changes are
/// committed to it.
///
/// Handles are shared (`Arc<dyn Storage>`), like a database handle: reads and
/// commits take `&self`. The store must not change while an execution that
/// reads it runs; the runtime commits only after the execution ended.
pub trait Storage: Send + Sync {
    /// The value of `key`, if any.
    ///
    /// # Errors
    ///
    /// A [`StorageError`] for I/O or corruption: the execution then ends with
    /// an infrastructure error, not an outcome.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError>;

    /// Applies `changes` (ordered by key) atomically: all or none.
    ///
    /// # Errors
    ///
    /// A [`StorageError`] if the changes could not be applied; none of them
    /// is then visible.
    fn apply(&self, changes: &[StorageChange]) -> Result<(), StorageError>;
}
