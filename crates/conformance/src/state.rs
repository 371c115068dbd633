//! Persistent state for the CLI (`CLI.md`): `conformance run --state PATH`
//! runs every backend over one redb database and commits the agreed changes
//! once; `conformance state PATH` prints the database.
//!
//! Readings of `CLI.md` taken here:
//!
//! * `run --state` on a missing file creates the database (its directory
//!   must exist), as a first call on a new state would expect; `state` on a
//!   missing file is an error (exit 2).
//! * The commit is reported on stderr (`--json` keeps stdout one object):
//!   how many changes were committed, or why nothing was.
//! * The state is opened with durable commits: a commit reported on stderr
//!   survives a crash.

use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use runtime::storage_redb::RedbStorage;
use runtime::{CommitError, ReadSet, RuntimeError, Status, Storage, StorageChange, StorageError};
use serde_json::{Value, json};

use crate::report;
use crate::runner::{BackendOutcome, Invocation, Runners};

/// What `run --state` did with the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateCommit {
    /// The backends agreed on an `ok` outcome; this many changes were
    /// committed, in one transaction guarded by what the backends read.
    Committed(usize),
    /// The backends agreed on another status: there is nothing to commit.
    NotOk(Status),
    /// The backends diverged (or none ran): nothing was committed.
    Diverged,
}

impl fmt::Display for StateCommit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StateCommit::Committed(1) => f.write_str("committed 1 change"),
            StateCommit::Committed(n) => write!(f, "committed {n} changes"),
            StateCommit::NotOk(status) => write!(
                f,
                "nothing committed: the agreed status is {}",
                status.as_str()
            ),
            StateCommit::Diverged => f.write_str("nothing committed: the backends diverge"),
        }
    }
}

/// Why `run --state` failed.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The database could not be opened (missing directory, locked,
    /// corrupt, foreign): a usage error, exit 2.
    #[error(transparent)]
    Open(StorageError),
    /// A backend or the commit failed (infrastructure), exit 1.
    #[error(transparent)]
    Run(#[from] RuntimeError),
}

/// A storage that records what the executions read and refuses commits:
/// every backend runs over the same pre-state, and the reads guard the one
/// commit made after them.
struct ReadRecorder {
    inner: Arc<dyn Storage>,
    reads: Mutex<ReadSet>,
}

impl Storage for ReadRecorder {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        let value = self.inner.get(key)?;
        self.reads
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .record(key, value.as_deref());
        Ok(value)
    }

    fn commit(&self, _: &ReadSet, _: &[StorageChange]) -> Result<(), CommitError> {
        Err(StorageError::new("the state is read-only while the backends run").into())
    }

    fn entries(&self) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StorageError> {
        self.inner.entries()
    }
}

/// `conformance run --state PATH`: opens (or creates) the database, runs
/// the invocation on every backend over it without committing, and, if the
/// backends agree on an `ok` outcome, commits its changes once.
///
/// # Errors
///
/// [`StateError::Open`] if the database cannot be opened, else
/// [`StateError::Run`] for a backend's infrastructure error or a failed
/// commit.
pub fn run_with_state(
    runners: &Runners,
    invocation: &Invocation,
    path: &Path,
) -> Result<(Vec<BackendOutcome>, StateCommit), StateError> {
    let storage: Arc<dyn Storage> = Arc::new(RedbStorage::open(path).map_err(StateError::Open)?);
    let recorder = Arc::new(ReadRecorder {
        inner: storage.clone(),
        reads: Mutex::new(ReadSet::default()),
    });
    let over: Arc<dyn Storage> = recorder.clone();
    let outcomes = runners.run_over(invocation, &over)?;
    let agreed = match outcomes.first() {
        Some(first) if report::agree(&outcomes) => &first.outcome,
        _ => return Ok((outcomes, StateCommit::Diverged)),
    };
    if agreed.status() != Status::Ok {
        let status = agreed.status();
        return Ok((outcomes, StateCommit::NotOk(status)));
    }
    let reads = std::mem::take(
        &mut *recorder
            .reads
            .lock()
            .unwrap_or_else(PoisonError::into_inner),
    );
    storage
        .commit(&reads, &agreed.changes)
        .map_err(RuntimeError::from)?;
    let committed = StateCommit::Committed(agreed.changes.len());
    Ok((outcomes, committed))
}

/// Every key and value of a database, ordered by key.
pub type Entries = Vec<(Vec<u8>, Vec<u8>)>;

/// Every entry of the existing database at `path`, ordered by key.
///
/// # Errors
///
/// A [`StorageError`] naming the path if the file is missing, locked,
/// corrupt or foreign.
pub fn entries(path: &Path) -> Result<Entries, StorageError> {
    RedbStorage::open_existing(path)?.entries()
}

/// The `conformance state` table: one row per entry, key and value in hex.
pub fn entries_table(entries: &[(Vec<u8>, Vec<u8>)]) -> String {
    let mut rows = vec![["key_hex".to_string(), "value_hex".to_string()]];
    rows.extend(
        entries
            .iter()
            .map(|(k, v)| [hex::encode(k), hex::encode(v)]),
    );
    let mut text = report::render(&rows);
    text.push_str(&format!(
        "{} {}\n",
        entries.len(),
        if entries.len() == 1 {
            "entry"
        } else {
            "entries"
        }
    ));
    text
}

/// The `conformance state --json` object.
pub fn entries_json(entries: &[(Vec<u8>, Vec<u8>)]) -> Value {
    json!({
        "entries": entries
            .iter()
            .map(|(k, v)| json!({"key_hex": hex::encode(k), "value_hex": hex::encode(v)}))
            .collect::<Vec<_>>(),
    })
}
