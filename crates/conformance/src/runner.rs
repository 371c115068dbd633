//! Running one guest on several backends and comparing the outcomes.

use std::path::Path;
use std::sync::Arc;

use runtime::{
    BackendKind, ExecutionContext, InMemoryStorage, ModuleLimits, Outcome, Runtime, RuntimeError,
    Storage,
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
}

/// Reads a guest: a binary module as it is, anything else as WAT.
///
/// # Errors
///
/// [`LoadError`] if the file cannot be read or is neither.
pub fn load_guest(path: &Path) -> Result<Vec<u8>, LoadError> {
    let bytes = std::fs::read(path).map_err(|source| LoadError::Io {
        path: path.display().to_string(),
        source,
    })?;
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
    /// Typed arguments (`None`: an ABI call of a `[] -> []` export).
    pub args: Option<Vec<runtime::WasmValue>>,
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
    /// Runtimes for `kinds`, which must be compiled in, with the guest ABI
    /// and the embedder test functions of [`crate::embedder`] (import
    /// module `test`) as host functions.
    ///
    /// # Errors
    ///
    /// [`RuntimeError`] for a kind whose feature is off
    /// ([`runtime::NotCompiledIn`]) or whose engine cannot start.
    pub fn new(kinds: &[BackendKind]) -> Result<Self, RuntimeError> {
        let runtimes = kinds
            .iter()
            .map(|&k| {
                let runtime = k
                    .builder()?
                    .host_functions(crate::embedder::host_functions()?)
                    .build()?;
                Ok::<_, RuntimeError>((k, runtime))
            })
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
        self.run_with_storage(invocation, |_| {
            Arc::new(InMemoryStorage::with_entries(invocation.pre_state.clone()))
        })
        .map(|runs| runs.into_iter().map(|(o, _)| o).collect())
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
        // Prepared once for every backend (all runtimes share the default
        // schedule); no runtime, nothing to run.
        let Some((_, first)) = self.runtimes.first() else {
            return Ok(Vec::new());
        };
        // Every runtime shares the default schedule and host functions, so
        // one preparation under the invocation's module limits serves all.
        let prepared = first
            .with_module_limits(invocation.module_limits.clone())
            .prepare(&invocation.wasm);
        let mut outcomes = Vec::with_capacity(self.runtimes.len());
        for (kind, runtime) in &self.runtimes {
            let runtime = &runtime.with_module_limits(invocation.module_limits.clone());
            let storage = storage_for(*kind);
            let outcome = match &prepared {
                Ok(prepared) => {
                    let module = runtime.compile(prepared.clone());
                    let shared: Arc<dyn Storage> = storage.clone();
                    match &invocation.args {
                        None => runtime.execute_and_commit(
                            &module,
                            &invocation.call,
                            &invocation.context,
                            shared,
                        )?,
                        Some(args) => runtime.call_and_commit(
                            &module,
                            &invocation.call,
                            args,
                            &invocation.context,
                            shared,
                        )?,
                    }
                }
                Err(rejection) => Outcome::rejected(rejection.clone()),
            };
            outcomes.push((
                BackendOutcome {
                    backend: *kind,
                    outcome,
                },
                storage,
            ));
        }
        Ok(outcomes)
    }
}
