//! Running one guest on several backends and comparing the outcomes.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use runtime::{
    BackendKind, ExecutionContext, InMemoryStorage, Module, ModuleCache, ModuleLimits, Outcome,
    Runtime, RuntimeError, Storage,
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
        Self::with_cache(kinds, None)
    }

    /// As [`Runners::new`], every runtime consulting `cache` (when given)
    /// before compiling (`conformance run/suite --cache DIR`).
    ///
    /// # Errors
    ///
    /// As [`Runners::new`].
    pub fn with_cache(
        kinds: &[BackendKind],
        cache: Option<&ModuleCache>,
    ) -> Result<Self, RuntimeError> {
        let runtimes = kinds
            .iter()
            .map(|&k| {
                let builder = k
                    .builder()?
                    .host_functions(crate::embedder::host_functions()?);
                let builder = match cache {
                    Some(cache) => builder.cache(cache.clone()),
                    None => builder,
                };
                Ok::<_, RuntimeError>((k, builder.build()?))
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
        // Each backend's storage is dropped as soon as it has run: big
        // changes are held once, in the outcome.
        let runs = self.run_each(
            invocation,
            |_| (),
            |runtime, module, ()| {
                let storage: Arc<dyn Storage> =
                    Arc::new(InMemoryStorage::with_entries(invocation.pre_state.clone()));
                let (call, context) = (&invocation.call, &invocation.context);
                match &invocation.args {
                    None => runtime.execute(module, call, context, storage),
                    Some(args) => runtime.call(module, call, args, context, storage),
                }
            },
        )?;
        Ok(runs.into_iter().map(|(outcome, ())| outcome).collect())
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
        self.run_each(invocation, storage_for, |runtime, module, storage| {
            let shared: Arc<dyn Storage> = storage.clone();
            let (call, context) = (&invocation.call, &invocation.context);
            match &invocation.args {
                None => runtime.execute_and_commit(module, call, context, shared),
                Some(args) => runtime.call_and_commit(module, call, args, context, shared),
            }
        })
    }

    /// Runs the module on every backend over the one `storage`, committing
    /// nothing: every backend sees the same pre-state (`conformance run
    /// --state`). The caller commits the agreed changes, if any.
    ///
    /// # Errors
    ///
    /// A [`RuntimeError`] (infrastructure) of any backend.
    pub fn run_over(
        &self,
        invocation: &Invocation,
        storage: &Arc<dyn Storage>,
    ) -> Result<Vec<BackendOutcome>, RuntimeError> {
        let runs = self.run_each(
            invocation,
            |_| (),
            |runtime, module, ()| {
                let (call, context) = (&invocation.call, &invocation.context);
                match &invocation.args {
                    None => runtime.execute(module, call, context, storage.clone()),
                    Some(args) => runtime.call(module, call, args, context, storage.clone()),
                }
            },
        )?;
        Ok(runs.into_iter().map(|(outcome, ())| outcome).collect())
    }

    /// Prepares the module once; for each backend, makes its `setup`, and
    /// runs `exec` on the compiled module (a module that preparation
    /// rejected is the rejection outcome on every backend).
    fn run_each<T>(
        &self,
        invocation: &Invocation,
        mut setup: impl FnMut(BackendKind) -> T,
        mut exec: impl FnMut(&Runtime, &Module, &T) -> Result<Outcome, RuntimeError>,
    ) -> Result<Vec<(BackendOutcome, T)>, RuntimeError> {
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
            let state = setup(*kind);
            let outcome = match &prepared {
                Ok(prepared) => exec(runtime, &runtime.compile(prepared.clone()), &state)?,
                Err(rejection) => Outcome::rejected(rejection.clone()),
            };
            outcomes.push((
                BackendOutcome {
                    backend: *kind,
                    outcome,
                },
                state,
            ));
        }
        Ok(outcomes)
    }
}
