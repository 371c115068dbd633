//! Everything engine-independent about running untrusted WebAssembly guests:
//! limits, the gas schedule, module preparation, the host-function logic of
//! the guest ABI, storage, outcomes and their digests, errors, and the one
//! execution protocol that wasmtime, wasmer and wasmi run under.
//!
//! The promise: the same guest, input, seed and storage give the same
//! [`Outcome`] — status, return data, logs, events, storage changes, gas,
//! results and digest — on every backend. Determinism is made here, once,
//! not borrowed from engines: backends only move bytes and map traps.
//!
//! The API has two tiers:
//!
//! * the top level is what an embedder needs: [`Runtime`] (built with
//!   [`Runtime::builder`]: gas schedule, [`ModuleLimits`], embedder
//!   [`HostFunctions`], a [`ModuleCache`]), [`Module`], [`ModuleRegistry`],
//!   [`ExecutionContext`] with its [`ExecutionLimits`], [`Outcome`] and its
//!   parts, the error kinds, [`Storage`] with [`InMemoryStorage`], and
//!   [`Session`] (several modules by name with a deterministic message
//!   bus, `docs/SESSIONS.md`);
//! * [`backend`] is for backend authors: the [`Backend`](backend::Backend)
//!   trait, the engine module and instance traits, the host state, the gas
//!   counter, guest memory.
//!
//! Uninstrumented modules and raw instances live in a third, testing tier
//! (`testing`, behind the cargo feature of that name): types that
//! [`Runtime::execute`] cannot accept.
//!
//! ```
//! use std::sync::Arc;
//! use runtime_core::backend::HostState;
//! use runtime_core::{ExecutionContext, GasSchedule, InMemoryStorage, ModuleLimits, prepare};
//! use host_abi::HostFunction;
//!
//! // Preparation validates, checks imports against the ABI, and rewrites.
//! let wasm = wat::parse_str(r#"
//!     (module
//!       (import "env" "value_return" (func (param i64 i64)))
//!       (memory (export "memory") 1)
//!       (func (export "main") (call 0 (i64.const 2) (i64.const 0))))
//! "#).unwrap();
//! let prepared = prepare(&wasm, &ModuleLimits::default(), &GasSchedule::default()).unwrap();
//! assert!(prepared.check_callable("main").is_ok());
//!
//! // The host logic runs against any `GuestMemory`, here a plain slice.
//! let mut host = HostState::new(
//!     &ExecutionContext::with_input(b"hi".to_vec()),
//!     Arc::new(GasSchedule::default()),
//!     Arc::new(InMemoryStorage::new()),
//! );
//! let mut memory = [7u8, 8, 9];
//! let mut gas = host.guest_gas(); // the guest's instrumented gas counter
//! host.call(HostFunction::Input, &[0], &mut memory[..], &mut gas).unwrap();
//! assert_eq!(host.call(HostFunction::RegisterLen, &[0], &mut memory[..], &mut gas), Ok(Some(2)));
//! host.call(HostFunction::ReadRegister, &[0, 1], &mut memory[..], &mut gas).unwrap();
//! assert_eq!(memory, [7, b'h', b'i']);
//! ```
//!
//! # Features
//!
//! * `testing`: the `testing` module (uninstrumented preparation, raw
//!   instances). Off by default.
//!
//! The crate is `#![forbid(unsafe_code)]`; engines live in the `backend-*`
//! crates and are chosen through the `runtime` facade's features.

#![forbid(unsafe_code)]

mod cache;
mod context;
mod error;
mod gas;
mod host;
mod host_functions;
mod limits;
mod memory;
mod outcome;
mod prepare;
mod registry;
mod runtime;
mod session;
mod storage;
mod value;
mod watchdog;

pub mod backend;
#[cfg(feature = "testing")]
pub mod testing;

pub use cache::{CacheError, CacheStats, ModuleCache};
pub use context::ExecutionContext;
pub use error::{
    CommitError, ExecError, HostError, NonDeterministic, Rejection, RejectionKind, RuntimeError,
    StorageError, TrapKind,
};
pub use gas::{GasSchedule, OperatorCosts};
pub use host_functions::{HostContext, HostFn, HostFnError, HostFunctionEntry, HostFunctions};
pub use limits::{ExecutionLimits, Limits, ModuleLimits, SessionLimits};
pub use outcome::{Event, Message, Outcome, Status, outcomes_agree};
pub use prepare::{
    CANONICAL_NAN_F32, CANONICAL_NAN_F64, FRAME_OVERHEAD, PREPARATION_VERSION, PreparedModule,
    allowed_features, cache_key, config_fingerprint, prepare, prepare_with,
};
pub use registry::{ModuleInfo, ModuleRegistry};
pub use runtime::{Module, Runtime, RuntimeBuilder};
pub use session::{
    Envelope, MAX_NAME_LEN, NamespacedStorage, SESSION_IMPORT_MODULE, Session, StepKind, TraceStep,
};
pub use storage::{
    InMemoryStorage, ReadSet, Storage, StorageChange, StorageEntry, ValueFingerprint,
};
pub use value::{FuncSig, ValType, WasmValue};

pub use host_abi;
