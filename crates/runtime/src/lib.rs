//! The facade: pick engines with cargo features, run guests through one API.
//!
//! A downstream crate depends on `runtime` with the features of the engines
//! it wants, and gets the core's whole API plus [`BackendKind`], which lists
//! what was compiled in:
//!
//! ```toml
//! [dependencies]
//! runtime = { path = "…", default-features = false, features = ["wasmi"] }
//! ```
//!
//! ```
//! use std::sync::Arc;
//! use runtime::{BackendKind, ExecutionContext, InMemoryStorage, Status};
//!
//! let wasm = wat::parse_str(r#"
//!     (module
//!       (import "env" "storage_write" (func $w (param i64 i64 i64 i64 i64) (result i64)))
//!       (memory (export "memory") 1)
//!       (data (i32.const 0) "kv")
//!       (func (export "main")
//!         (drop (call $w (i64.const 1) (i64.const 0) (i64.const 1) (i64.const 1) (i64.const 0)))))
//! "#).unwrap();
//! for kind in BackendKind::compiled_in() {
//!     let runtime = kind.runtime().unwrap();
//!     let module = runtime.compile(runtime.prepare(&wasm).unwrap());
//!     let storage = Arc::new(InMemoryStorage::new());
//!     let outcome = runtime
//!         .execute_and_commit(&module, "main", &ExecutionContext::default(), storage.clone())
//!         .unwrap();
//!     assert_eq!(outcome.status(), Status::Ok);
//!     assert_eq!(storage.snapshot().get(&b"k"[..]), Some(&b"v".to_vec()));
//! }
//! ```
//!
//! # Features
//!
//! * `wasmtime` (default): the wasmtime engine, Cranelift.
//! * `wasmer` (default): the wasmer engine, Cranelift.
//! * `wasmer-singlepass`: wasmer's Singlepass compiler too.
//! * `wasmi` (default): the wasmi interpreter.
//! * `json` (default): [`json`], serde values as a call's input and JSON
//!   return data parsed.
//! * `testing`: the testing tier (`runtime::testing`: uninstrumented modules,
//!   raw instances) for conformance tools; never needed to run guests.
//! * `redb`: persistent storage, `runtime::storage_redb::RedbStorage`.
//!
//! [`embedding`] shows, runnable on every engine, the embedder's own host
//! functions, typed calls and the module registry.

#![forbid(unsafe_code)]

pub mod embedding;
#[cfg(feature = "json")]
pub mod json;

// The embedder tier, listed explicitly (see `runtime_core`'s docs).
pub use runtime_core::{
    CommitError, Event, ExecError, ExecutionContext, ExecutionLimits, FuncSig, GasSchedule,
    HostContext, HostError, HostFn, HostFnError, HostFunctionEntry, HostFunctions, InMemoryStorage,
    Limits, Module, ModuleInfo, ModuleLimits, ModuleRegistry, NonDeterministic, OperatorCosts,
    Outcome, PREPARATION_VERSION, PreparedModule, ReadSet, Rejection, RejectionKind, Runtime,
    RuntimeBuilder, RuntimeError, Status, Storage, StorageChange, StorageError, TrapKind, ValType,
    ValueFingerprint, WasmValue, outcomes_agree, prepare, prepare_with,
};
// The compiled-module cache (`RuntimeBuilder::cache`).
pub use runtime_core::{CacheError, CacheStats, ModuleCache};
// Sessions: several modules by name with a deterministic message bus.
pub use runtime_core::{
    Envelope, MAX_NAME_LEN, Message, NamespacedStorage, SESSION_IMPORT_MODULE, Session,
    SessionLimits, StepKind, TraceStep,
};
// The determinism model's constants and the preparation key.
/// The backend tier, for backend authors.
pub use runtime_core::backend;
/// The guest ABI's table.
pub use runtime_core::host_abi;
/// The testing tier: uninstrumented modules and raw instances (feature
/// `testing`).
#[cfg(feature = "testing")]
pub use runtime_core::testing;
pub use runtime_core::{
    CANONICAL_NAN_F32, CANONICAL_NAN_F64, FRAME_OVERHEAD, allowed_features, cache_key,
    config_fingerprint,
};

use std::fmt;

/// An engine this facade knows, compiled in or not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BackendKind {
    /// wasmtime with Cranelift (feature `wasmtime`).
    Wasmtime,
    /// wasmer with Cranelift (feature `wasmer`).
    Wasmer,
    /// wasmi, an interpreter (feature `wasmi`).
    Wasmi,
}

/// The engine was not compiled in: enable its cargo feature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("backend {0} was not compiled in; enable the cargo feature `{0}` of the runtime crate")]
pub struct NotCompiledIn(pub BackendKind);

impl From<NotCompiledIn> for RuntimeError {
    fn from(e: NotCompiledIn) -> Self {
        RuntimeError::InvalidConfig(e.to_string())
    }
}

impl BackendKind {
    /// Every engine the facade knows, compiled in or not.
    pub const ALL: [BackendKind; 3] = [
        BackendKind::Wasmtime,
        BackendKind::Wasmer,
        BackendKind::Wasmi,
    ];

    /// The engines compiled into this build, in [`BackendKind::ALL`] order.
    pub fn compiled_in() -> Vec<BackendKind> {
        Self::ALL
            .into_iter()
            .filter(|k| k.is_compiled_in())
            .collect()
    }

    /// Whether this engine's feature is enabled.
    pub const fn is_compiled_in(self) -> bool {
        match self {
            BackendKind::Wasmtime => cfg!(feature = "wasmtime"),
            BackendKind::Wasmer => cfg!(feature = "wasmer"),
            BackendKind::Wasmi => cfg!(feature = "wasmi"),
        }
    }

    /// `wasmtime`, `wasmer` or `wasmi`.
    pub const fn name(self) -> &'static str {
        match self {
            BackendKind::Wasmtime => "wasmtime",
            BackendKind::Wasmer => "wasmer",
            BackendKind::Wasmi => "wasmi",
        }
    }

    /// Parses a name as [`BackendKind::name`] spells it.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// A new backend of this kind.
    ///
    /// # Errors
    ///
    /// [`RuntimeError::InvalidConfig`] ([`NotCompiledIn`]) if its feature is
    /// off; [`RuntimeError::Resources`] if the engine's timeout machinery
    /// cannot start.
    pub fn backend(self) -> Result<Box<dyn backend::Backend>, RuntimeError> {
        match self {
            #[cfg(feature = "wasmtime")]
            BackendKind::Wasmtime => Ok(Box::new(backend_wasmtime::WasmtimeBackend::new()?)),
            #[cfg(feature = "wasmer")]
            BackendKind::Wasmer => Ok(Box::new(backend_wasmer::WasmerBackend::new())),
            #[cfg(feature = "wasmi")]
            BackendKind::Wasmi => Ok(Box::new(backend_wasmi::WasmiBackend::new())),
            #[allow(unreachable_patterns)]
            other => Err(NotCompiledIn(other).into()),
        }
    }

    /// A [`Runtime`] over a new backend of this kind, with the default gas
    /// schedule, module limits and the guest ABI's host functions.
    ///
    /// # Errors
    ///
    /// As [`BackendKind::backend`].
    pub fn runtime(self) -> Result<Runtime, RuntimeError> {
        Ok(Runtime::new(self.backend()?))
    }

    /// A [`RuntimeBuilder`] over a new backend of this kind: schedule,
    /// module limits, embedder host functions.
    ///
    /// # Errors
    ///
    /// As [`BackendKind::backend`].
    pub fn builder(self) -> Result<RuntimeBuilder, RuntimeError> {
        Ok(Runtime::builder(self.backend()?))
    }

    /// A [`Runtime`] with an explicit schedule and module limits.
    ///
    /// # Errors
    ///
    /// As [`BackendKind::backend`], and an invalid schedule.
    pub fn runtime_with(
        self,
        schedule: GasSchedule,
        limits: ModuleLimits,
    ) -> Result<Runtime, RuntimeError> {
        self.builder()?
            .schedule(schedule)
            .module_limits(limits)
            .build()
    }
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(feature = "wasmer")]
pub use backend_wasmer::WasmerCompiler;
#[cfg(feature = "redb")]
pub use storage_redb;
