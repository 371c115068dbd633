//! Running one guest on several backends and comparing the outcomes.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use runtime::{
    BackendKind, ExecutionContext, InMemoryStorage, ModuleLimits, Outcome, Runtime, RuntimeError,
    Storage, prepare,
};

/// Why a guest file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is text but not valid WAT.
    #[error("cannot parse {path} as WAT: {message}")]
    Wat {
        /// The file.
        path: String,
        /// The parser's message.
        message: String,
    },
    /// The file is longer than the bound it is read under.
    #[error("{path} is larger than {max} bytes, the most {what} may have")]
    TooLarge {
        /// The file.
        path: String,
        /// The bound.
        max: u64,
        /// What the file was read as, for the message.
        what: &'static str,
    },
}

/// Reads at most `max + 1` bytes of `path`, so that an endless file
/// (`/dev/zero`, a FIFO) costs no more: more than `max` is refused.
///
/// # Errors
///
/// [`LoadError::Io`], or [`LoadError::TooLarge`] naming `what`.
pub fn read_bounded(path: &Path, max: u64, what: &'static str) -> Result<Vec<u8>, LoadError> {
    let io = |source| LoadError::Io {
        path: path.display().to_string(),
        source,
    };
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(io)?
        .take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > max {
        return Err(LoadError::TooLarge {
            path: path.display().to_string(),
            max,
            what,
        });
    }
    Ok(bytes)
}

/// Reads a guest: a binary module as it is, anything else as WAT. The file
/// may be at most `max_bytes` long (the module size limit, whether it holds
/// a binary or text): at most `max_bytes + 1` bytes are read.
///
/// # Errors
///
/// [`LoadError`] if the file cannot be read, is too large, or is neither.
pub fn load_guest(path: &Path, max_bytes: u64) -> Result<Vec<u8>, LoadError> {
    let bytes = read_bounded(path, max_bytes, "a guest file")?;
    guest_bytes(&bytes).map_err(|message| LoadError::Wat {
        path: path.display().to_string(),
        message,
    })
}

/// A binary module as it is, WAT text compiled to binary.
///
/// # Errors
///
/// The WAT parser's message.
pub fn guest_bytes(bytes: &[u8]) -> Result<Vec<u8>, String> {
    if bytes.starts_with(b"\0asm") {
        return Ok(bytes.to_vec());
    }
    wat::parse_bytes(bytes)
        .map(|b| b.into_owned())
        .map_err(|e| e.to_string())
}

/// One execution request, independent of the backend.
#[derive(Clone, Debug, Default)]
pub struct Invocation {
    /// The module, binary.
    pub wasm: Vec<u8>,
    /// The export to call.
    pub call: String,
    /// Input, seed, timestamp and execution limits.
    pub context: ExecutionContext,
    /// The limits the module is prepared under.
    pub module_limits: ModuleLimits,
    /// The storage before the call.
    pub pre_state: Vec<(Vec<u8>, Vec<u8>)>,
}

/// The outcome of one backend.
#[derive(Clone, Debug)]
pub struct BackendOutcome {
    /// The backend.
    pub backend: BackendKind,
    /// What happened.
    pub outcome: Outcome,
}

/// A runtime per selected backend, built once.
pub struct Runners {
    runtimes: Vec<(BackendKind, Runtime)>,
}

impl std::fmt::Debug for Runners {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.runtimes.iter().map(|(k, _)| k))
            .finish()
    }
}

impl Runners {
    /// Runtimes for `kinds`, which must be compiled in.
    ///
    /// # Errors
    ///
    /// [`runtime::NotCompiledIn`] for a kind whose feature is off.
    pub fn new(kinds: &[BackendKind]) -> Result<Self, runtime::NotCompiledIn> {
        let runtimes = kinds
            .iter()
            .map(|&k| Ok((k, k.runtime()?)))
            .collect::<Result<_, _>>()?;
        Ok(Self { runtimes })
    }

    /// The selected backends.
    pub fn kinds(&self) -> Vec<BackendKind> {
        self.runtimes.iter().map(|(k, _)| *k).collect()
    }

    /// Prepares the module once and runs it on every backend, each over its
    /// own copy of the pre-state, committing nothing.
    ///
    /// # Errors
    ///
    /// A [`RuntimeError`] (infrastructure) of any backend.
    pub fn run(&self, invocation: &Invocation) -> Result<Vec<BackendOutcome>, RuntimeError> {
        // Each backend's storage is dropped as soon as it has run: big
        // changes are held once, in the outcome.
        let mut outcomes = Vec::with_capacity(self.runtimes.len());
        self.run_each(
            invocation,
            |_| Arc::new(InMemoryStorage::with_entries(invocation.pre_state.clone())),
            false,
            |outcome, _| outcomes.push(outcome),
        )?;
        Ok(outcomes)
    }

    /// As [`Runners::run`], but each backend runs over the storage
    /// `storage_for(kind)` gives and commits to it when its status is `ok`.
    /// Returns each outcome with the storage it ran on.
    ///
    /// # Errors
    ///
    /// A [`RuntimeError`] (infrastructure) of any backend.
    pub fn run_with_storage(
        &self,
        invocation: &Invocation,
        storage_for: impl Fn(BackendKind) -> Arc<InMemoryStorage>,
    ) -> Result<Vec<(BackendOutcome, Arc<InMemoryStorage>)>, RuntimeError> {
        let mut outcomes = Vec::with_capacity(self.runtimes.len());
        self.run_each(invocation, storage_for, true, |outcome, storage| {
            outcomes.push((outcome, storage));
        })?;
        Ok(outcomes)
    }

    /// Prepares the module once and runs it on every backend in turn, over
    /// the storage `storage_for(kind)` gives (committed to when `commit` and
    /// the status is `ok`), handing each outcome and its storage to `each`.
    fn run_each(
        &self,
        invocation: &Invocation,
        storage_for: impl Fn(BackendKind) -> Arc<InMemoryStorage>,
        commit: bool,
        mut each: impl FnMut(BackendOutcome, Arc<InMemoryStorage>),
    ) -> Result<(), RuntimeError> {
        // Prepared once for every backend (all runtimes share the default
        // schedule); no runtime, nothing to run.
        let Some((_, first)) = self.runtimes.first() else {
            return Ok(());
        };
        let prepared = prepare(
            &invocation.wasm,
            &invocation.module_limits,
            first.schedule(),
        );
        for (kind, runtime) in &self.runtimes {
            let storage = storage_for(*kind);
            let outcome = match &prepared {
                Ok(prepared) => {
                    let module = runtime.compile(prepared.clone());
                    let shared: Arc<dyn Storage> = storage.clone();
                    if commit {
                        runtime.execute_and_commit(
                            &module,
                            &invocation.call,
                            &invocation.context,
                            shared,
                        )?
                    } else {
                        runtime.execute(&module, &invocation.call, &invocation.context, shared)?
                    }
                }
                Err(rejection) => Outcome::rejected(rejection.clone()),
            };
            each(
                BackendOutcome {
                    backend: *kind,
                    outcome,
                },
                storage,
            );
        }
        Ok(())
    }
}
