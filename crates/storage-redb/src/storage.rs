//! [`RedbStorage`]: the [`Storage`] trait over one redb database file.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition, TableHandle};
use runtime_core::{CommitError, ReadSet, Storage, StorageChange, StorageError};

use crate::options::{Durability, RedbOptions};

/// The keys and values of the store.
const DATA: TableDefinition<'_, &[u8], &[u8]> = TableDefinition::new("runtime_storage");
/// What marks a database as this crate's: `"format"` → [`FORMAT`].
const META: TableDefinition<'_, &str, u64> = TableDefinition::new("runtime_storage_meta");
/// The layout of [`DATA`] and [`META`]; a database of another format is
/// refused, never reinterpreted.
const FORMAT: u64 = 1;

/// A [`Storage`] in a redb database file.
///
/// Commits run in one redb write transaction each: the [`ReadSet`] is
/// validated and the changes applied inside it, so a commit is atomic and
/// a conflicting one writes nothing. Reads each take a fresh read
/// transaction and see the last commit. Any number of threads read at
/// once; commits are serialised by redb's single writer. Share it as an
/// `Arc<RedbStorage>` (it is `Send + Sync`); one process at a time may have
/// the file open.
///
/// Durability is chosen at open ([`RedbOptions::durability`]); by default
/// every commit is `fsync`ed before it returns.
///
/// Every redb failure, and any panic inside redb, is a [`StorageError`]
/// naming the file: a storage read runs inside a guest's host call, where
/// a panic must never unwind.
pub struct RedbStorage {
    db: Database,
    path: PathBuf,
    durability: Durability,
    /// Commits since the last durable one. Written only inside a write
    /// transaction, which redb serialises.
    pending: AtomicU32,
}

impl std::fmt::Debug for RedbStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedbStorage")
            .field("path", &self.path)
            .field("durability", &self.durability)
            .field("pending", &self.pending.load(Ordering::Relaxed))
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
            pending: AtomicU32::new(0),
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

    /// Makes every commit so far durable (a no-op when none is pending, as
    /// always with [`Durability::Immediate`]).
    ///
    /// # Errors
    ///
    /// A [`StorageError`] if the sync failed; the pending commits may then
    /// be lost on a crash, but never in part.
    pub fn flush(&self) -> Result<(), StorageError> {
        self.guard("flush", || {
            // A commit that returned has counted itself: none pending means
            // every returned commit is durable already.
            if self.pending.load(Ordering::Relaxed) == 0 {
                return Ok(());
            }
            let mut txn = self.db.begin_write().map_err(|e| self.err("begin a write", e))?;
            txn.set_durability(redb::Durability::Immediate)
                .map_err(|e| self.err("set durability", e))?;
            txn.commit().map_err(|e| self.err("flush", e))?;
            self.pending.store(0, Ordering::Relaxed);
            Ok(())
        })
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
        if changes.is_empty() {
            // Nothing to write: check the reads against the last commit,
            // without a write transaction (and without a sync).
            let txn = self.db.begin_read().map_err(|e| self.err("begin a read", e))?;
            let table = txn.open_table(DATA).map_err(|e| self.err("open the data table", e))?;
            return reads.validate(|key| self.read(&table, key));
        }
        let mut txn = self.db.begin_write().map_err(|e| self.err("begin a write", e))?;
        let validated = (|| {
            let mut table = txn.open_table(DATA).map_err(|e| self.err("open the data table", e))?;
            reads.validate(|key| self.read(&table, key))?;
            for change in changes {
                match &change.value {
                    Some(value) => table.insert(change.key.as_slice(), value.as_slice()).map(drop),
                    None => table.remove(change.key.as_slice()).map(drop),
                }
                .map_err(|e| self.err("write a key", e))?;
            }
            Ok::<(), CommitError>(())
        })();
        if let Err(e) = validated {
            txn.abort().map_err(|e| self.err("abort a write", e))?;
            return Err(e);
        }
        let pending = self.pending.load(Ordering::Relaxed) + 1;
        let durable = pending >= self.durability.every();
        if !durable {
            txn.set_durability(redb::Durability::None)
                .map_err(|e| self.err("set durability", e))?;
        }
        txn.commit().map_err(|e| self.err("commit", e))?;
        self.pending
            .store(if durable { 0 } else { pending }, Ordering::Relaxed);
        tracing::trace!(target: "runtime::storage", changes = changes.len(), reads = reads.len(), durable, "committed");
        Ok(())
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
        self.guard("read", || {
            let txn = self.db.begin_read().map_err(|e| self.err("begin a read", e))?;
            let table = txn.open_table(DATA).map_err(|e| self.err("open the data table", e))?;
            self.read(&table, key)
        })
    }

    fn commit(&self, reads: &ReadSet, changes: &[StorageChange]) -> Result<(), CommitError> {
        let result = catch_unwind(AssertUnwindSafe(|| self.commit_inner(reads, changes)));
        result.unwrap_or_else(|panic| Err(panicked(&self.path, "commit", &panic).into()))
    }

    fn entries(&self) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StorageError> {
        self.guard("list entries", || {
            let txn = self.db.begin_read().map_err(|e| self.err("begin a read", e))?;
            let table = txn.open_table(DATA).map_err(|e| self.err("open the data table", e))?;
            let mut entries = Vec::new();
            for entry in table.iter().map_err(|e| self.err("list entries", e))? {
                let (k, v) = entry.map_err(|e| self.err("list entries", e))?;
                entries.push((k.value().to_vec(), v.value().to_vec()));
            }
            Ok(entries)
        })
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
