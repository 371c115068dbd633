//! Storage: the trait an embedder implements, an in-memory implementation,
//! the write overlay one execution works on, and the read set that makes
//! concurrent commits safe.

mod memory;
mod overlay;
mod read_set;

pub use memory::InMemoryStorage;
pub use overlay::StorageOverlay;
pub use read_set::{ReadSet, ValueFingerprint};

use crate::error::{CommitError, StorageError};

/// One key and its value, as [`Storage::entries`] lists them.
pub type StorageEntry = (Vec<u8>, Vec<u8>);

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
/// commits take `&self`, from any thread. An execution reads the store while
/// it runs and commits afterwards; [`Storage::commit`] checks, atomically
/// with the write, that nothing the execution read has changed since, so two
/// executions committing concurrently never lose an update: the later one
/// gets a [`CommitError::Conflict`] and can be retried.
pub trait Storage: Send + Sync {
    /// The value of `key`, if any.
    ///
    /// # Errors
    ///
    /// A [`StorageError`] for I/O or corruption: the execution then ends with
    /// an infrastructure error, not an outcome.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError>;

    /// Atomically: checks that every key in `reads` still has the value the
    /// execution saw ([`ReadSet::validate`]), then applies `changes`
    /// (ordered by key). All or none; a committed change is durable if the
    /// store is.
    ///
    /// # Errors
    ///
    /// [`CommitError::Conflict`] if a read no longer holds (nothing is
    /// written), or [`CommitError::Storage`] if the write failed (nothing is
    /// visible).
    fn commit(&self, reads: &ReadSet, changes: &[StorageChange]) -> Result<(), CommitError>;

    /// Every entry, ordered by key (for inspection: `conformance state`,
    /// tests). Stores too large to list may return an error.
    ///
    /// # Errors
    ///
    /// A [`StorageError`] for I/O or corruption.
    fn entries(&self) -> Result<Vec<StorageEntry>, StorageError>;

    /// Applies `changes` unconditionally (a commit with an empty read set).
    ///
    /// # Errors
    ///
    /// A [`StorageError`] if the changes could not be applied; none of them
    /// is then visible.
    fn apply(&self, changes: &[StorageChange]) -> Result<(), StorageError> {
        match self.commit(&ReadSet::default(), changes) {
            Ok(()) => Ok(()),
            Err(CommitError::Storage(e)) => Err(e),
            Err(CommitError::Conflict { key }) => Err(StorageError::new(format!(
                "a commit without reads reported a conflict on key {}",
                hex::encode(key)
            ))),
        }
    }
}
