//! The boundary between the core and an engine: for backend authors.
//!
//! A backend does only what is truly its engine's own:
//!
//! 1. compile a [`PreparedModule`]'s bytes once ([`Backend::compile`]),
//!    resolving each of its imports to an index of the runtime's
//!    [`HostFunctions`];
//! 2. create a store that owns the core's [`HostState`], link each import to
//!    a body that calls [`call_import`] with its index, and instantiate
//!    ([`EngineModule::instantiate`]);
//! 3. call exports with [`WasmValue`]s, read and write the instrumented gas
//!    and stack-height globals ([`EngineInstance`]);
//! 4. map its engine's failures into [`EngineFailure`] with an exhaustive
//!    match: a wasm trap to its [`TrapKind`], a host abort to
//!    [`EngineFailure::HostAbort`], anything it does not recognise to
//!    [`EngineFailure::NonDeterministic`], never to success;
//! 5. keep its wall-clock timeout mechanism (the store's deadline is
//!    [`HostState::deadline`]).
//!
//! The execution protocol — seeding the gas counter, start function then
//! export, reading the counter back, the raw-instance resets, spans, the
//! native stack, building the outcome — is the core's
//! ([`Runtime`](crate::Runtime)), written once, so backends may differ
//! nowhere in outcomes.

use std::sync::Arc;

pub use crate::cache::VerifiedArtifact;
pub use crate::gas::GasMeter;
pub use crate::host::{GasCounter, HostAbort, HostState};
pub use crate::memory::{GuestMemory, checked_range};
pub use crate::storage::StorageOverlay;
pub use crate::watchdog::{Watchdog, WatchdogGuard};

use crate::error::{NonDeterministic, TrapKind};
use crate::host_functions::HostFunctions;
use crate::prepare::PreparedModule;
use crate::value::WasmValue;

/// How a call ended, other than by returning normally.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EngineFailure {
    /// A wasm trap, mapped to its kind.
    Trap(TrapKind),
    /// A host function aborted; the reason is in the [`HostState`].
    HostAbort,
    /// Anything else: an unknown trap, an engine error, a timeout.
    NonDeterministic(NonDeterministic),
}

impl EngineFailure {
    /// A non-deterministic engine error with `message`.
    pub fn engine(message: impl Into<String>) -> Self {
        EngineFailure::NonDeterministic(NonDeterministic::EngineError(message.into()))
    }
}

/// An engine behind the runtime.
pub trait Backend: Send + Sync {
    /// The backend's name: `wasmtime`, `wasmer` or `wasmi`.
    fn name(&self) -> &'static str;

    /// The engine, its crate version, its configuration and the target
    /// (architecture, OS, CPU features the code may use), as text: two
    /// backends with equal ids compile every module identically, and each
    /// loads the other's serialized modules. Part of the module cache's keys
    /// and directory names, so it must change whenever any of these does.
    fn engine_id(&self) -> String;

    /// Compiles a prepared module, once; the result instantiates any number
    /// of times, from any thread. Each import of the module is one of
    /// `imports` (preparation checked it).
    ///
    /// # Errors
    ///
    /// A [`NonDeterministic`] condition: a prepared module is valid, so a
    /// failure here is the engine's (or the host's memory).
    fn compile(
        &self,
        module: &PreparedModule,
        imports: &HostFunctions,
    ) -> Result<Arc<dyn EngineModule>, NonDeterministic>;

    /// Whether this engine's compiled modules can be kept on disk: their
    /// [`EngineModule::serialize`] gives bytes that
    /// [`Backend::deserialize`] loads. `false` by default, and then the
    /// module cache's disk layer is a no-op for this backend.
    fn serializes(&self) -> bool {
        false
    }

    /// Loads a module from an artifact of the module cache: the payload is
    /// exactly what [`EngineModule::serialize`] gave for `module` on a
    /// backend with this name and [`Backend::engine_id`], and the core has
    /// verified its checksum and keys. Like [`Backend::compile`], the result
    /// links each import to `imports`.
    ///
    /// Engines load native code here without being able to check it, which
    /// is `unsafe` in their APIs; a [`VerifiedArtifact`] is the proof the
    /// core gives for it (nothing outside the core can make one).
    ///
    /// # Errors
    ///
    /// The engine refused the bytes (the core then discards the file and
    /// compiles); by default, always: the backend keeps nothing on disk.
    fn deserialize(
        &self,
        artifact: &VerifiedArtifact,
        module: &PreparedModule,
        imports: &HostFunctions,
    ) -> Result<Arc<dyn EngineModule>, NonDeterministic> {
        let _ = (artifact, module, imports);
        Err(NonDeterministic::EngineError(format!(
            "{} keeps no compiled artifacts",
            self.name()
        )))
    }

    /// Native stack, in bytes, that a call into this engine may use on the
    /// calling thread at most, within [`ModuleLimits::MAX_STACK_HEIGHT`](crate::ModuleLimits::MAX_STACK_HEIGHT)
    /// (host frames included). The core runs each execution on a stack
    /// with at least this much room left.
    fn native_stack_required(&self) -> usize;
}

/// A module compiled by one backend.
pub trait EngineModule: Send + Sync {
    /// A fresh store owning `host`, with the module's imports linked to
    /// [`call_import`], and an instance in it (data and element segments
    /// initialised; preparation moved any start function to an export,
    /// which the core calls).
    ///
    /// # Errors
    ///
    /// How instantiation failed, with the host state back.
    fn instantiate(&self, host: HostState) -> Result<Box<dyn EngineInstance>, Box<Failed>>;

    /// The compiled code as bytes for [`Backend::deserialize`] of a backend
    /// with the same [`Backend::engine_id`]; `None` (the default) when the
    /// engine keeps nothing on disk.
    ///
    /// # Errors
    ///
    /// The engine's failure to serialize (the module is then not stored).
    fn serialize(&self) -> Result<Option<Vec<u8>>, NonDeterministic> {
        Ok(None)
    }
}

/// A failed instantiation: how, and the host state back.
pub type Failed = (EngineFailure, HostState);

/// One instance in its own store.
pub trait EngineInstance {
    /// Calls exported function `export` with `args`, and appends its results
    /// to `results`. The core has checked the export's signature.
    ///
    /// # Errors
    ///
    /// The mapped failure.
    fn call(
        &mut self,
        export: &str,
        args: &[WasmValue],
        results: &mut Vec<WasmValue>,
    ) -> Result<(), EngineFailure>;

    /// The instrumented gas counter's value, if the module has one.
    fn gas(&mut self) -> Option<i64>;

    /// Sets the instrumented gas counter (no-op without one).
    ///
    /// # Errors
    ///
    /// The engine's failure to set a global (a bug).
    fn set_gas(&mut self, value: i64) -> Result<(), EngineFailure>;

    /// Sets the instrumented stack height (no-op without one).
    ///
    /// # Errors
    ///
    /// The engine's failure to set a global (a bug).
    fn set_stack_height(&mut self, value: i32) -> Result<(), EngineFailure>;

    /// The bytes of exported memory `export`, if there is one.
    fn memory(&mut self, export: &str) -> Option<Vec<u8>>;

    /// The value of exported global `export`, if it is a number.
    fn global(&mut self, export: &str) -> Option<WasmValue>;

    /// The store's host state.
    fn host(&mut self) -> &mut HostState;

    /// Ends the store and gives the host state back.
    fn into_host(self: Box<Self>) -> HostState;
}

/// What an import body needs from its engine's caller: the instrumented gas
/// counter, and the host state with the guest's memory.
pub trait ImportCaller {
    /// The gas counter's value (the host's [`HostState::guest_gas`] when the
    /// module has no counter).
    fn gas(&mut self) -> i64;

    /// Writes the gas counter back after a successful host call.
    fn set_gas(&mut self, gas: i64);

    /// Runs `f` with the host state and the guest's memory (an empty one
    /// when the module exports none).
    fn with_host<R>(&mut self, f: impl FnOnce(&mut HostState, &mut dyn GuestMemory) -> R) -> R;
}

/// The body of every import of every backend: reads the gas counter, runs
/// import `index` of the host-function table ([`HostState::call_import`]),
/// writes the counter back.
///
/// # Errors
///
/// [`HostAbort`] when the host ended the execution; the backend turns it
/// into its engine's error and back into [`EngineFailure::HostAbort`].
pub fn call_import<C: ImportCaller + ?Sized>(
    caller: &mut C,
    index: usize,
    args: &[WasmValue],
    results: &mut [WasmValue],
) -> Result<(), HostAbort> {
    let mut gas = caller.gas();
    caller.with_host(|host, memory| host.call_import(index, args, results, memory, &mut gas))?;
    caller.set_gas(gas);
    Ok(())
}

/// [`call_import`] for an all-`i64` import (a [`FuncSig::i64_shape`](crate::FuncSig::i64_shape)):
/// the arguments as `i64`s, its one result or 0 when `has_result` is false.
/// What every backend's typed import closures call.
///
/// # Errors
///
/// [`HostAbort`], as [`call_import`].
pub fn call_import_i64<C: ImportCaller + ?Sized, const N: usize>(
    caller: &mut C,
    index: usize,
    args: [i64; N],
    has_result: bool,
) -> Result<i64, HostAbort> {
    let args = args.map(WasmValue::I64);
    let mut out = [WasmValue::I64(0)];
    call_import(caller, index, &args, &mut out[..usize::from(has_result)])?;
    Ok(match out[0] {
        WasmValue::I64(v) => v,
        _ => 0,
    })
}

/// The index in `imports` of each import of `module`, in import order, for
/// backends that link imports by position.
///
/// # Errors
///
/// An engine error naming an import that is not in the table (preparation
/// rules that out).
pub fn resolve_imports<'a>(
    imports: &HostFunctions,
    module_imports: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<Vec<usize>, NonDeterministic> {
    module_imports
        .into_iter()
        .map(|(module, name)| {
            imports.find(module, name).map(|(i, _)| i).ok_or_else(|| {
                NonDeterministic::EngineError(format!(
                    "import {module}::{name} is not a host function of this runtime"
                ))
            })
        })
        .collect()
}
