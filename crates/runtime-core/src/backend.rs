//! The boundary between the core and an engine.
//!
//! A backend does three things and nothing else:
//!
//! 1. compile a [`PreparedModule`]'s bytes, once ([`Backend::compile`]);
//! 2. per execution, put the [`HostState`] into a fresh store, link one
//!    import per entry of the ABI table (each forwarding to
//!    [`HostState::call`]), instantiate, and call the given exports in order
//!    ([`CompiledModule::run`]; the first is the module's start function
//!    when it has one, which preparation turned into an export);
//! 3. map its engine's failures into [`EngineFailure`] with an exhaustive
//!    match: a wasm trap to its [`TrapKind`], a host abort to
//!    [`EngineFailure::HostAbort`], anything it does not recognise to
//!    [`EngineFailure::NonDeterministic`], never to success.
//!
//! Everything else — preparation, gas, host logic, outcomes and digests — is
//! the core's, so backends may differ nowhere in outcomes.

use crate::error::{NonDeterministic, TrapKind};
use crate::host::HostState;
use crate::prepare::PreparedModule;

/// How a run ended, other than by returning normally.
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

/// The result of [`CompiledModule::run`]: the host state back, and how the
/// run ended.
#[derive(Debug)]
pub struct RunResult {
    /// The host state the run used.
    pub host: HostState,
    /// `Ok` if the export returned normally.
    pub result: Result<(), EngineFailure>,
}

/// An engine behind the runtime.
pub trait Backend: Send + Sync {
    /// The backend's name: `wasmtime`, `wasmer` or `wasmi`.
    fn name(&self) -> &'static str;

    /// Compiles a prepared module, once; the result runs any number of
    /// times, from any thread.
    ///
    /// # Errors
    ///
    /// A [`NonDeterministic`] condition: a prepared module is valid, so a
    /// failure here is the engine's (or the host's memory).
    fn compile(&self, module: &PreparedModule)
    -> Result<Box<dyn CompiledModule>, NonDeterministic>;
}

/// A module compiled by one backend.
pub trait CompiledModule: Send + Sync {
    /// Instantiates the module in a fresh store that owns `host`, then calls
    /// each of `exports` in order, stopping at the first failure. Each is a
    /// function of type `[] -> []` (the core has checked it).
    fn run(&self, host: HostState, exports: &[&str]) -> RunResult;

    /// Instantiates the module with no imports and no host state, for
    /// differential testing and the spec testsuite: exports are called with
    /// arguments and return results. Before each call from outside, an
    /// instrumented module's gas counter is set to the largest budget
    /// ([`ExecutionLimits::MAX_GAS`](crate::ExecutionLimits::MAX_GAS)) and its stack height to
    /// zero (a trap unwinds frames without popping them), so the instance
    /// stays usable after a trap, as the spec requires. Its start function
    /// (moved to an export by preparation) runs here, as at instantiation.
    ///
    /// # Errors
    ///
    /// How instantiation (data and element segments, the start function)
    /// failed; a module with imports cannot be instantiated this way.
    fn instantiate_raw(&self) -> Result<Box<dyn RawInstance>, EngineFailure>;
}

/// A value of a wasm number type; floats as their bits, so NaN payloads
/// compare exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WasmValue {
    /// An `i32`.
    I32(i32),
    /// An `i64`.
    I64(i64),
    /// An `f32`, as bits.
    F32(u32),
    /// An `f64`, as bits.
    F64(u64),
}

/// An instance created by [`CompiledModule::instantiate_raw`].
pub trait RawInstance {
    /// Calls exported function `export` with `args`.
    ///
    /// # Errors
    ///
    /// The trap (for an instrumented module, `GasExhausted` or
    /// `StackOverflow` when its counters say so) or another failure.
    fn call(&mut self, export: &str, args: &[WasmValue]) -> Result<Vec<WasmValue>, EngineFailure>;

    /// The bytes of exported memory `export`, if there is one.
    fn memory(&mut self, export: &str) -> Option<Vec<u8>>;

    /// The value of exported global `export`, if it is a number.
    fn global(&mut self, export: &str) -> Option<WasmValue>;
}

/// What a raw call's failure is, given the instrumented gas counter after it
/// (see [`GasCounter`](crate::GasCounter)): exhaustion and stack overflow
/// recorded in the counter take precedence over the engine's trap.
pub fn raw_failure(engine: EngineFailure, gas_counter: Option<i64>) -> EngineFailure {
    match gas_counter.map(crate::GasCounter::decode) {
        Some(crate::GasCounter::Exhausted) => EngineFailure::Trap(TrapKind::GasExhausted),
        Some(crate::GasCounter::StackOverflow { .. }) => {
            EngineFailure::Trap(TrapKind::StackOverflow)
        }
        _ => engine,
    }
}
