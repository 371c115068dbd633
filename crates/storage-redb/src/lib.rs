//! Persistent storage: [`RedbStorage`], the runtime's
//! [`Storage`](runtime_core::Storage) trait over a [redb](https://www.redb.org)
//! database file.
//!
//! ```
//! use std::sync::Arc;
//! use runtime_core::backend::StorageOverlay;
//! use runtime_core::{ReadSet, Storage, StorageChange, CommitError};
//! use storage_redb::RedbStorage;
//!
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("state.redb");
//!
//! // Open (creating the file), and commit as an execution would: the writes
//! // of an overlay, with the read set that guards them.
//! let storage = Arc::new(RedbStorage::open(&path).unwrap());
//! let mut overlay = StorageOverlay::new(storage.clone());
//! assert_eq!(overlay.set(b"count", vec![1]).unwrap(), None);
//! storage.commit(overlay.reads(), &overlay.net_changes()).unwrap();
//!
//! // A commit whose reads are stale writes nothing.
//! let mut stale = ReadSet::default();
//! stale.record(b"count", None);
//! let change = StorageChange { key: b"count".to_vec(), value: Some(vec![9]) };
//! assert!(matches!(
//!     storage.commit(&stale, &[change]),
//!     Err(CommitError::Conflict { .. })
//! ));
//!
//! // Durable: a new handle on the file sees the commit.
//! drop(overlay);
//! drop(storage);
//! let reopened = RedbStorage::open_existing(&path).unwrap();
//! assert_eq!(reopened.get(b"count").unwrap(), Some(vec![1]));
//! assert_eq!(reopened.entries().unwrap(), vec![(b"count".to_vec(), vec![1])]);
//! ```
//!
//! With the runtime, pass it where an `Arc<dyn Storage>` goes:
//! `runtime.execute_and_commit(&module, "main", &context, storage.clone())`.
//!
//! # Guarantees
//!
//! * **Atomic:** a commit validates its [`ReadSet`](runtime_core::ReadSet)
//!   and applies all its changes in one redb write transaction. A conflict
//!   or a failure writes nothing; a crash leaves each commit whole or absent.
//! * **Durable** by default ([`Durability::Immediate`]): a commit that
//!   returned survives a crash. [`Durability::Batched`] syncs every n-th
//!   commit for throughput; what it can lose is documented there.
//! * **Concurrent:** many readers and one writer; `Send + Sync`, shared as
//!   an `Arc`. One process at a time opens a file.
//! * **Clear failures:** a missing directory or file, a locked file, a
//!   corrupt file, a foreign file (not redb, or redb without this crate's
//!   tables) are each a [`StorageError`](runtime_core::StorageError) naming
//!   the path. Nothing panics: a panic inside redb is caught and reported
//!   as an error.
//!
//! The database holds two tables: `runtime_storage` (key → value) and
//! `runtime_storage_meta` (the format version, so that another
//! application's redb file is refused, not reinterpreted).
//!
//! The runtime core does not depend on this crate or on redb; the facade
//! re-exports it as `runtime::storage_redb` with its `redb` feature.

mod options;
mod pending;
mod storage;

pub use options::{Durability, RedbOptions};
pub use storage::RedbStorage;
