//! How a database is opened: durability, creation, verification, cache.

use std::num::NonZeroU32;
use std::path::Path;

use runtime_core::StorageError;

use crate::RedbStorage;

/// When a commit reaches the disk.
///
/// Whatever the mode, a commit is atomic — after a crash the database holds
/// each commit whole or not at all — and commits are never reordered: the
/// database reopens at some commit, with every commit before it and none
/// after it. The modes differ only in *which* commit that is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Durability {
    /// Every commit is written and `fsync`ed before
    /// [`Storage::commit`](runtime_core::Storage::commit) returns `Ok`.
    ///
    /// **What a crash can lose:** nothing that returned `Ok`. A commit in
    /// progress when the process dies (or the power fails) is either whole
    /// or absent after reopening. The default.
    #[default]
    Immediate,
    /// Commits are validated and applied in memory — visible at once to
    /// every reader of this handle — and every `every`-th commit writes
    /// them all to the file in one synced transaction (group commit: one
    /// write transaction and one `fsync` per `every` commits).
    /// [`RedbStorage::flush`] writes the pending ones on demand, and so
    /// does dropping the storage (an error there is only logged, so call
    /// `flush` to see it).
    ///
    /// **What a crash can lose:** the commits since the last write — at
    /// most `every - 1` commits that returned `Ok` — but never part of
    /// one, and never one before a commit that was written: the database
    /// reopens at the last write, with every commit before it. This holds
    /// for a killed process as well as a power failure. Pending commits
    /// stay pending while no commit comes: an embedder that needs a time
    /// bound calls `flush` on a timer.
    ///
    /// **Costs:** the pending commits' changes in memory (at most
    /// `every - 1` commits' worth), and readers of this handle wait while
    /// a batch is being written and synced.
    ///
    /// `every = 1` is [`Durability::Immediate`].
    Batched {
        /// Make every `every`-th commit durable.
        every: NonZeroU32,
    },
}

impl Durability {
    /// `Batched { every }`, or `Immediate` for `every <= 1`.
    pub fn batched(every: u32) -> Self {
        match NonZeroU32::new(every) {
            Some(every) if every.get() > 1 => Durability::Batched { every },
            _ => Durability::Immediate,
        }
    }

    /// How many commits make one durable commit (1 for `Immediate`).
    pub fn every(self) -> u32 {
        match self {
            Durability::Immediate => 1,
            Durability::Batched { every } => every.get(),
        }
    }
}

/// Options for opening a [`RedbStorage`]; [`RedbStorage::open`] uses the
/// defaults.
///
/// ```
/// use storage_redb::{Durability, RedbOptions};
///
/// let dir = tempfile::tempdir().unwrap();
/// let storage = RedbOptions::new()
///     .durability(Durability::batched(64))
///     .open(dir.path().join("state.redb"))
///     .unwrap();
/// # drop(storage);
/// ```
#[derive(Clone, Debug)]
pub struct RedbOptions {
    pub(crate) durability: Durability,
    pub(crate) create: bool,
    pub(crate) verify_on_open: bool,
    pub(crate) cache_size: Option<usize>,
}

impl Default for RedbOptions {
    fn default() -> Self {
        Self {
            durability: Durability::Immediate,
            create: true,
            verify_on_open: true,
            cache_size: None,
        }
    }
}

impl RedbOptions {
    /// The defaults: [`Durability::Immediate`], create the file if it is
    /// missing, verify the whole file on open, redb's default cache size.
    pub fn new() -> Self {
        Self::default()
    }

    /// When commits reach the disk (default [`Durability::Immediate`]).
    #[must_use]
    pub fn durability(mut self, durability: Durability) -> Self {
        self.durability = durability;
        self
    }

    /// Whether a missing file is created as an empty database (default
    /// `true`). The directory must exist either way. With `false`, a
    /// missing file is an error.
    #[must_use]
    pub fn create(mut self, create: bool) -> Self {
        self.create = create;
        self
    }

    /// Whether opening verifies the checksum of every page (default
    /// `true`). The check reads the whole file, so opening costs time
    /// linear in its size. Without it, a file altered outside redb is
    /// trusted: damage may go unnoticed, or fail a later read (as a
    /// [`StorageError`], never a panic). A file left by a crash is always
    /// checked and repaired, whatever this says.
    #[must_use]
    pub fn verify_on_open(mut self, verify: bool) -> Self {
        self.verify_on_open = verify;
        self
    }

    /// The most memory redb's page cache may use, in bytes (default:
    /// redb's, 1 GiB; the cache grows only as pages are read).
    #[must_use]
    pub fn cache_size(mut self, bytes: usize) -> Self {
        self.cache_size = Some(bytes);
        self
    }

    /// Opens (or creates) the database at `path` with these options.
    ///
    /// # Errors
    ///
    /// A [`StorageError`] naming `path` when its directory is missing, the
    /// file is missing (with `create(false)`), already open (locked by this
    /// or another process), corrupt, not a redb database, or a redb
    /// database of another application.
    pub fn open(&self, path: impl AsRef<Path>) -> Result<RedbStorage, StorageError> {
        RedbStorage::open_with(path.as_ref(), self)
    }
}
