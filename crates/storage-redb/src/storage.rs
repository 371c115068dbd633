//! [`RedbStorage`]: the [`Storage`] trait over one redb database file.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use parking_lot::Mutex;
use redb::{
    Database, ReadOnlyTable, ReadableDatabase, ReadableTable, TableDefinition, TableHandle,
};
use runtime_core::{CommitError, ReadSet, Storage, StorageChange, StorageError};

use crate::options::{Durability, RedbOptions};
use crate::pending::Pending;

/// The keys and values of the store.
const DATA: TableDefinition<'_, &[u8], &[u8]> = TableDefinition::new("runtime_storage");
/// What marks a database as this crate's: `"format"` → [`FORMAT`].
const META: TableDefinition<'_, &str, u64> = TableDefinition::new("runtime_storage_meta");
/// The layout of [`DATA`] and [`META`]; a database of another format is
/// refused, never reinterpreted.
const FORMAT: u64 = 1;

/// A [`Storage`] in a redb database file.
///
/// With [`Durability::Immediate`] (the default) every commit is one redb
/// write transaction: the [`ReadSet`] is validated and the changes applied
/// inside it, then it is synced, so a commit is atomic and durable, and a
/// conflicting one writes nothing. With [`Durability::Batched`] commits are
/// validated and held in memory (visible to every reader of this handle),
/// and every n-th commit writes them all in one synced transaction.
///
/// Reads see the last commit. Any number of threads read at once; commits
/// are serialised. Share it as an `Arc<RedbStorage>` (it is `Send +
/// Sync`); one process at a time may have the file open.
///
/// Every redb failure, and any panic inside redb, is a [`StorageError`]
/// naming the file: a storage read runs inside a guest's host call, where
/// a panic must never unwind.
pub struct RedbStorage {
    db: Database,
    path: PathBuf,
    durability: Durability,
    /// Batched mode: the commits not yet in the file. Its lock serialises
    /// batched commits. Always empty with `Durability::Immediate`.
    pending: Mutex<Pending>,
}

impl std::fmt::Debug for RedbStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedbStorage")
            .field("path", &self.path)
            .field("durability", &self.durability)
            .field("pending_commits", &self.pending.lock().commits())
            .finish()
    }
}

impl RedbStorage {
    /// Opens the database at `path`, creating it if the file is missing,
    /// with the default [`RedbOptions`] (durable commits).
    ///
    /// # Errors
    ///
    /// As [`RedbOptions::open`].
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StorageError> {
        RedbOptions::new().open(path)
    }

    /// Opens an existing database at `path`; a missing file is an error.
    ///
    /// # Errors
    ///
    /// As [`RedbOptions::open`].
    pub fn open_existing(path: impl AsRef<Path>) -> Result<Self, StorageError> {
        RedbOptions::new().create(false).open(path)
    }

    pub(crate) fn open_with(path: &Path, options: &RedbOptions) -> Result<Self, StorageError> {
        let fail = |what: &str| StorageError::new(format!("{}: {what}", path.display()));
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
        if let Some(dir) = dir
            && !dir.is_dir()
        {
            return Err(fail(&format!(
                "cannot open the database: directory {} does not exist",
                dir.display()
            )));
        }
        if !options.create && !path.exists() {
            return Err(fail("no database: the file does not exist"));
        }
        if path.is_dir() {
            return Err(fail("cannot open the database: it is a directory"));
        }
        let mut builder = Database::builder();
        builder.set_check_integrity_on_open(options.verify_on_open);
        if let Some(bytes) = options.cache_size {
            builder.set_cache_size(bytes);
        }
        let opened = guard(path, "open", || {
            // `create` opens an existing database, and initialises a
            // missing or empty file.
            if options.create {
                builder.create(path)
            } else {
                builder.open(path)
            }
            .map_err(|e| open_error(path, e))
        })?;
        let storage = Self {
            db: opened,
            path: path.to_owned(),
            durability: options.durability,
            pending: Mutex::new(Pending::default()),
        };
        storage.check_schema()?;
        tracing::debug!(target: "runtime::storage", path = %path.display(), durability = ?options.durability, "opened redb storage");
        Ok(storage)
    }

    /// Makes sure the database is this crate's: creates the tables in a
    /// database with no tables, refuses one with other tables or another
    /// format.
    fn check_schema(&self) -> Result<(), StorageError> {
        self.guard("check the schema", || {
            let txn = self.db.begin_write().map_err(|e| self.err("begin a write", e))?;
            let tables: Vec<String> = txn
                .list_tables()
                .map_err(|e| self.err("list tables", e))?
                .map(|t| t.name().to_owned())
                .collect();
            let has_meta = tables.iter().any(|t| t == META.name());
            let has_data = tables.iter().any(|t| t == DATA.name());
            if !has_meta && !tables.is_empty() {
                return Err(self.fail(&format!(
                    "a redb database of another application (tables {tables:?}, no {:?} table)",
                    META.name()
                )));
            }
            {
                let mut meta = txn.open_table(META).map_err(|e| self.err("open the meta table", e))?;
                let format = meta
                    .get("format")
                    .map_err(|e| self.err("read the format", e))?
                    .map(|v| v.value());
                match format {
                    Some(FORMAT) => {}
                    None if !has_meta => {
                        meta.insert("format", FORMAT)
                            .map_err(|e| self.err("write the format", e))?;
                    }
                    other => {
                        return Err(self.fail(&format!(
                            "unsupported storage format {other:?} (this build reads format {FORMAT})"
                        )));
                    }
                }
                txn.open_table(DATA).map_err(|e| self.err("open the data table", e))?;
            }
            if has_meta && has_data {
                // Nothing was created: no commit, no sync.
                return txn.abort().map_err(|e| self.err("end the schema check", e));
            }
            txn.commit().map_err(|e| self.err("commit the schema", e))
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The durability the database was opened with.
    pub fn durability(&self) -> Durability {
        self.durability
    }

    /// Makes every commit so far durable: writes the pending commits of
    /// [`Durability::Batched`] in one synced transaction (a no-op when none
    /// is pending, as always with [`Durability::Immediate`]).
    ///
    /// # Errors
    ///
    /// A [`StorageError`] if the write failed; the pending commits stay
    /// pending (visible, not durable) and the next flush tries again.
    pub fn flush(&self) -> Result<(), StorageError> {
        let mut pending = self.pending.lock();
        if pending.commits() == 0 {
            return Ok(());
        }
        self.guard("flush", || {
            self.write(None, pending.writes()).map_err(|e| match e {
                CommitError::Storage(e) => e,
                // Without reads there is nothing to conflict with.
                other => self.fail(&format!("cannot flush: {other}")),
            })
        })?;
        pending.clear();
        Ok(())
    }

    fn fail(&self, what: &str) -> StorageError {
        StorageError::new(format!("{}: {what}", self.path.display()))
    }

    fn err(&self, what: &str, e: impl Into<redb::Error>) -> StorageError {
        self.fail(&format!("cannot {what}: {}", e.into()))
    }

    fn guard<T>(
        &self,
        what: &str,
        f: impl FnOnce() -> Result<T, StorageError>,
    ) -> Result<T, StorageError> {
        guard(&self.path, what, f)
    }

    fn commit_inner(&self, reads: &ReadSet, changes: &[StorageChange]) -> Result<(), CommitError> {
        let every = match self.durability {
            Durability::Immediate => return self.commit_durable(reads, changes),
            Durability::Batched { every } => every.get(),
        };
        let mut pending = self.pending.lock();
        reads.validate(|key| match pending.get(key) {
            Some(value) => Ok(value),
            None => self.get_committed(key),
        })?;
        if changes.is_empty() {
            return Ok(());
        }
        if pending.commits() + 1 < every {
            pending.add(changes);
            return Ok(());
        }
        // The n-th commit: this one and the pending ones, in one synced
        // transaction (later writes win). If it fails, this commit wrote
        // nothing and the pending ones stay pending.
        let writes = pending.writes().chain(
            changes
                .iter()
                .map(|c| (c.key.as_slice(), c.value.as_deref())),
        );
        self.write(None, writes)?;
        pending.clear();
        tracing::trace!(target: "runtime::storage", "wrote a batch of commits");
        Ok(())
    }

    /// A [`Durability::Immediate`] commit: validated and written in one
    /// write transaction.
    fn commit_durable(
        &self,
        reads: &ReadSet,
        changes: &[StorageChange],
    ) -> Result<(), CommitError> {
        if changes.is_empty() {
            // Nothing to write: check the reads against the last commit,
            // without a write transaction (and without a sync).
            let table = self.read_table()?;
            return reads.validate(|key| self.read(&table, key));
        }
        let writes = changes
            .iter()
            .map(|c| (c.key.as_slice(), c.value.as_deref()));
        self.write(Some(reads), writes)?;
        tracing::trace!(target: "runtime::storage", changes = changes.len(), reads = reads.len(), "committed");
        Ok(())
    }

    /// One synced write transaction: validates `reads` (if any) inside it,
    /// then applies `writes` in order. All or nothing.
    fn write<'a>(
        &self,
        reads: Option<&ReadSet>,
        writes: impl Iterator<Item = (&'a [u8], Option<&'a [u8]>)>,
    ) -> Result<(), CommitError> {
        let txn = self
            .db
            .begin_write()
            .map_err(|e| self.err("begin a write", e))?;
        let applied = (|| {
            let mut table = txn
                .open_table(DATA)
                .map_err(|e| self.err("open the data table", e))?;
            if let Some(reads) = reads {
                reads.validate(|key| self.read(&table, key))?;
            }
            for (key, value) in writes {
                match value {
                    Some(value) => table.insert(key, value).map(drop),
                    None => table.remove(key).map(drop),
                }
                .map_err(|e| self.err(&format!("write key {}", hex::encode(key)), e))?;
            }
            Ok::<(), CommitError>(())
        })();
        if let Err(e) = applied {
            txn.abort().map_err(|e| self.err("abort a write", e))?;
            return Err(e);
        }
        txn.commit().map_err(|e| self.err("commit", e))?;
        Ok(())
    }

    /// The value of `key` in the file (the last durable commit).
    fn get_committed(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        self.read(&self.read_table()?, key)
    }

    /// The data table as of the last commit in the file.
    fn read_table(&self) -> Result<ReadOnlyTable<&'static [u8], &'static [u8]>, StorageError> {
        let txn = self
            .db
            .begin_read()
            .map_err(|e| self.err("begin a read", e))?;
        txn.open_table(DATA)
            .map_err(|e| self.err("open the data table", e))
    }

    fn read(
        &self,
        table: &impl ReadableTable<&'static [u8], &'static [u8]>,
        key: &[u8],
    ) -> Result<Option<Vec<u8>>, StorageError> {
        table
            .get(key)
            .map(|v| v.map(|v| v.value().to_vec()))
            .map_err(|e| self.err(&format!("read key {}", hex::encode(key)), e))
    }
}

impl Storage for RedbStorage {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        if matches!(self.durability, Durability::Batched { .. })
            && let Some(value) = self.pending.lock().get(key)
        {
            return Ok(value);
        }
        // Not pending when checked: the file holds the latest value (a
        // commit made since is a later one, and a batch written since has
        // reached the file before leaving the pending set).
        self.guard("read", || self.get_committed(key))
    }

    fn commit(&self, reads: &ReadSet, changes: &[StorageChange]) -> Result<(), CommitError> {
        let result = catch_unwind(AssertUnwindSafe(|| self.commit_inner(reads, changes)));
        result.unwrap_or_else(|panic| Err(panicked(&self.path, "commit", &panic).into()))
    }

    fn entries(&self) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StorageError> {
        // Held while the file is read, so no batch moves in between.
        let pending = self.pending.lock();
        let committed = self.guard("list entries", || {
            let table = self.read_table()?;
            let mut entries = Vec::new();
            for entry in table.iter().map_err(|e| self.err("list entries", e))? {
                let (k, v) = entry.map_err(|e| self.err("list entries", e))?;
                entries.push((k.value().to_vec(), v.value().to_vec()));
            }
            Ok(entries)
        })?;
        Ok(pending.merged(committed))
    }
}

impl Drop for RedbStorage {
    /// Writes the pending commits of [`Durability::Batched`]; a failure is
    /// logged (call [`RedbStorage::flush`] first to see it).
    fn drop(&mut self) {
        if let Err(e) = self.flush() {
            tracing::error!(target: "runtime::storage", error = %e, "pending commits lost at close");
        }
    }
}

/// Runs `f`, turning a panic inside redb into a [`StorageError`].
fn guard<T>(
    path: &Path,
    what: &str,
    f: impl FnOnce() -> Result<T, StorageError>,
) -> Result<T, StorageError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|panic| Err(panicked(path, what, &panic)))
}

fn panicked(path: &Path, what: &str, panic: &Box<dyn std::any::Any + Send>) -> StorageError {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_owned());
    tracing::error!(target: "runtime::storage", path = %path.display(), what, message, "redb panicked");
    StorageError::new(format!(
        "{}: cannot {what}: the database is corrupt (redb panicked: {message})",
        path.display()
    ))
}

/// An open failure, explained.
fn open_error(path: &Path, e: redb::DatabaseError) -> StorageError {
    let why = match &e {
        redb::DatabaseError::DatabaseAlreadyOpen | redb::DatabaseError::LockProtocolMismatch => {
            format!("the database is locked: already open in this or another process ({e})")
        }
        redb::DatabaseError::UpgradeRequired(_) => {
            format!("the file is in an older redb format ({e})")
        }
        redb::DatabaseError::Storage(redb::StorageError::Corrupted(_)) => {
            format!("the file is corrupt or not a redb database ({e})")
        }
        redb::DatabaseError::Storage(redb::StorageError::Io(io))
            if matches!(
                io.kind(),
                std::io::ErrorKind::InvalidData | std::io::ErrorKind::UnexpectedEof
            ) =>
        {
            format!("the file is corrupt or not a redb database ({io})")
        }
        redb::DatabaseError::Storage(redb::StorageError::Io(io)) => format!("I/O error: {io}"),
        _ => e.to_string(),
    };
    StorageError::new(format!("{}: cannot open: {why}", path.display()))
}
