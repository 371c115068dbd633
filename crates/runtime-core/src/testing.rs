//! The testing tier (cargo feature `testing`): uninstrumented modules and
//! raw instances, for measuring the instrumentation, testing that it
//! preserves semantics, differential fuzzing and the spec testsuite.
//!
//! Nothing here is metered the way an execution is: a raw instance runs
//! with the largest gas budget and no wall-clock timeout, and an
//! uninstrumented module has no gas, stack or NaN instrumentation at all.
//! These are separate types that [`Runtime::execute`] cannot accept, so an
//! embedder cannot run an unmetered guest by accident.
//!
//! ```
//! # fn demo(runtime: &runtime_core::Runtime) {
//! use runtime_core::WasmValue;
//! use runtime_core::testing::{prepare_uninstrumented, raw_module};
//!
//! let wasm = wat::parse_str(r#"(module (func (export "inc") (param i32) (result i32)
//!     (i32.add (local.get 0) (i32.const 1))))"#).unwrap();
//! let plain = prepare_uninstrumented(runtime, &wasm).unwrap();
//! let mut instance = raw_module(runtime, plain.into_prepared()).unwrap().instantiate().unwrap();
//! assert_eq!(instance.call("inc", &[WasmValue::I32(41)]), Ok(vec![WasmValue::I32(42)]));
//! # }
//! ```

use std::sync::Arc;

pub use crate::backend::EngineFailure;
use crate::backend::{EngineInstance, EngineModule, GasCounter};
use crate::context::ExecutionContext;
use crate::error::TrapKind;
use crate::error::{NonDeterministic, Rejection};
use crate::host::HostState;
use crate::limits::ExecutionLimits;
use crate::prepare::{PreparedModule, prepare_uninstrumented as prepare_plain};
use crate::runtime::{COMPILE_STACK, Module, Runtime, on_native_stack};
use crate::storage::InMemoryStorage;
use crate::value::WasmValue;

/// A module prepared without instrumentation: the same checks, memory clamp
/// and start export as [`Runtime::prepare`], but no gas metering, no
/// stack-height limit and no NaN canonicalisation. Its outcomes are **not**
/// deterministic across engines.
#[derive(Clone, Debug)]
pub struct UninstrumentedModule(PreparedModule);

impl UninstrumentedModule {
    /// The prepared bytes, for [`raw_module`] and measurements.
    pub fn into_prepared(self) -> PreparedModule {
        self.0
    }
}

/// Prepares `wasm` under `runtime`'s configuration without instrumentation.
///
/// # Errors
///
/// As [`Runtime::prepare`].
pub fn prepare_uninstrumented(
    runtime: &Runtime,
    wasm: &[u8],
) -> Result<UninstrumentedModule, Rejection> {
    prepare_plain(
        wasm,
        &runtime.limits,
        &runtime.schedule,
        &runtime.host_functions,
    )
    .map(UninstrumentedModule)
}

/// An uninstrumented module compiled for [`execute_unmetered`]: with no gas
/// or stack limit of its own (only the wall-clock timeout stops it).
#[derive(Debug)]
pub struct UnmeteredModule(Module);

/// Compiles an uninstrumented module for [`execute_unmetered`].
pub fn compile_unmetered(runtime: &Runtime, module: UninstrumentedModule) -> UnmeteredModule {
    UnmeteredModule(runtime.compile(module.0))
}

/// Runs `export` of an uninstrumented module through the full host-linked
/// path, to measure what the instrumentation costs. Not deterministic
/// across engines; nothing is committed.
///
/// # Errors
///
/// As [`Runtime::execute`].
pub fn execute_unmetered(
    runtime: &Runtime,
    module: &UnmeteredModule,
    export: &str,
    context: &ExecutionContext,
    storage: Arc<dyn crate::storage::Storage>,
) -> Result<crate::outcome::Outcome, crate::error::RuntimeError> {
    runtime
        .run(&module.0, export, None, context, storage, true)
        .map(|(outcome, _)| outcome)
}

/// A module compiled for raw instances.
pub struct RawModule {
    engine: Arc<dyn EngineModule>,
    prepared: PreparedModule,
    runtime: Runtime,
}

impl std::fmt::Debug for RawModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawModule")
            .field("key", &hex::encode(self.prepared.key()))
            .finish_non_exhaustive()
    }
}

/// Compiles `prepared` (instrumented or not) with `runtime`'s backend for
/// raw instances.
///
/// # Errors
///
/// The engine's failure to compile.
pub fn raw_module(
    runtime: &Runtime,
    prepared: PreparedModule,
) -> Result<RawModule, NonDeterministic> {
    let engine = on_native_stack(COMPILE_STACK, || {
        runtime.backend.compile(&prepared, &runtime.host_functions)
    })?;
    Ok(RawModule {
        engine,
        prepared,
        runtime: runtime.clone(),
    })
}

impl RawModule {
    /// A new instance, with the runtime's host functions linked, the
    /// largest gas budget, no timeout and empty storage; its start function
    /// (moved to an export by preparation) runs here, as at instantiation.
    ///
    /// # Errors
    ///
    /// How instantiation (data and element segments, the start function)
    /// failed.
    pub fn instantiate(&self) -> Result<RawInstance, EngineFailure> {
        let context = ExecutionContext {
            limits: ExecutionLimits {
                gas: ExecutionLimits::MAX_GAS,
                timeout: None,
                ..ExecutionLimits::default()
            },
            ..ExecutionContext::default()
        };
        let mut host = HostState::with_imports(
            &context,
            self.runtime.schedule.clone(),
            Arc::new(InMemoryStorage::new()),
            self.runtime.host_functions.clone(),
        );
        host.set_labels(self.runtime.backend.name(), Arc::from("raw"));
        let inner = self.engine.instantiate(host).map_err(|failed| failed.0)?;
        let mut instance = RawInstance {
            inner,
            stack: self.runtime.backend.native_stack_required(),
        };
        if let Some(start) = self.prepared.start_export() {
            instance.call(start, &[])?;
        }
        Ok(instance)
    }
}

/// An instance created by [`RawModule::instantiate`]: exports are called
/// with arguments and return results. Before each call from outside, an
/// instrumented module's gas counter is set to the largest budget and its
/// stack height to zero (a trap unwinds frames without popping them), so
/// the instance stays usable after a trap, as the spec requires.
pub struct RawInstance {
    inner: Box<dyn EngineInstance>,
    stack: usize,
}

impl std::fmt::Debug for RawInstance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawInstance").finish_non_exhaustive()
    }
}

impl RawInstance {
    /// Calls exported function `export` with `args`.
    ///
    /// # Errors
    ///
    /// The trap (for an instrumented module, `GasExhausted` or
    /// `StackOverflow` when its counters say so) or another failure.
    pub fn call(
        &mut self,
        export: &str,
        args: &[WasmValue],
    ) -> Result<Vec<WasmValue>, EngineFailure> {
        self.inner.set_gas(ExecutionLimits::MAX_GAS as i64)?;
        self.inner.set_stack_height(0)?;
        let inner = &mut self.inner;
        on_native_stack(self.stack, || {
            let mut results = Vec::new();
            match inner.call(export, args, &mut results) {
                Ok(()) => Ok(results),
                Err(failure) => {
                    let counter = inner.gas();
                    Err(raw_failure(failure, counter))
                }
            }
        })
    }

    /// The bytes of exported memory `export`, if there is one.
    pub fn memory(&mut self, export: &str) -> Option<Vec<u8>> {
        self.inner.memory(export)
    }

    /// The value of exported global `export`, if it is a number.
    pub fn global(&mut self, export: &str) -> Option<WasmValue> {
        self.inner.global(export)
    }
}

/// What a raw call's failure is, given the instrumented gas counter after it
/// (see [`GasCounter`]): exhaustion and stack overflow recorded in the
/// counter take precedence over the engine's trap.
fn raw_failure(engine: EngineFailure, gas_counter: Option<i64>) -> EngineFailure {
    match gas_counter.map(GasCounter::decode) {
        Some(GasCounter::Exhausted) => EngineFailure::Trap(TrapKind::GasExhausted),
        Some(GasCounter::StackOverflow { .. }) => EngineFailure::Trap(TrapKind::StackOverflow),
        _ => engine,
    }
}
