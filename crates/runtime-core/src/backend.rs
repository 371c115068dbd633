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
}
