//! Everything engine-independent about running untrusted WebAssembly guests:
//! limits, the gas schedule, module preparation, the host-function logic of
//! the guest ABI, storage, outcomes and their digests, errors, and the
//! [`Backend`] trait that wasmtime, wasmer and wasmi implement.
//!
//! The promise: the same guest, input, seed and storage give the same
//! [`Outcome`] — status, return data, logs, events, storage changes, gas and
//! digest — on every backend. Determinism is made here, once, not borrowed
//! from engines: backends only move bytes and map traps.
//!
//! ```
//! use std::sync::Arc;
//! use runtime_core::{
//!     ExecutionContext, GasSchedule, HostState, InMemoryStorage, ModuleLimits, prepare,
//! };
//! use host_abi::HostFunction;
//!
//! // Preparation validates, checks imports against ABI v1, and rewrites.
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
//! None. The crate is `#![forbid(unsafe_code)]`; engines live in the
//! `backend-*` crates and are chosen through the `runtime` facade's
//! features.

#![forbid(unsafe_code)]

mod backend;
mod context;
mod error;
mod gas;
mod host;
mod limits;
mod memory;
mod outcome;
mod prepare;
mod runtime;
mod storage;
mod watchdog;

pub use backend::{
    Backend, CompiledModule, EngineFailure, RawInstance, RunResult, WasmValue, raw_failure,
};
pub use context::ExecutionContext;
pub use error::{
    CommitError, ExecError, HostError, NonDeterministic, Rejection, RejectionKind, RuntimeError,
    StorageError, TrapKind,
};
pub use gas::{GasMeter, GasSchedule, OperatorCosts, OutOfGas};
pub use host::{GasCounter, HostAbort, HostState};
pub use limits::{ExecutionLimits, Limits, ModuleLimits};
pub use memory::{GuestMemory, checked_range};
pub use outcome::{Event, Outcome, Status, outcomes_agree};
pub use prepare::{
    CANONICAL_NAN_F32, CANONICAL_NAN_F64, ExportedFunction, FRAME_OVERHEAD, PREPARATION_VERSION,
    PreparedModule, allowed_features, cache_key, prepare, prepare_uninstrumented,
};
pub use runtime::{Module, Runtime};
pub use storage::{
    InMemoryStorage, ReadSet, Storage, StorageChange, StorageOverlay, ValueFingerprint,
};
pub use watchdog::{Watchdog, WatchdogGuard};

pub use host_abi;
