//! The execution flow shared by every backend: prepare, compile, run, build
//! the outcome, commit.

use std::sync::Arc;

use crate::backend::{Backend, CompiledModule, EngineFailure};
use crate::context::ExecutionContext;
use crate::error::{ExecError, NonDeterministic, Rejection, RuntimeError};
use crate::gas::GasSchedule;
use crate::host::{Abort, HostState};
use crate::limits::ModuleLimits;
use crate::outcome::Outcome;
use crate::prepare::{PreparedModule, prepare};
use crate::storage::ReadSet;
use crate::storage::Storage;

/// A prepared module compiled by one backend.
pub struct Module {
    prepared: PreparedModule,
    compiled: Result<Box<dyn CompiledModule>, NonDeterministic>,
}

impl std::fmt::Debug for Module {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Module")
            .field("key", &hex::encode(self.prepared.key()))
            .field("compiled", &self.compiled.is_ok())
            .finish()
    }
}

impl Module {
    /// The prepared module it was compiled from.
    pub fn prepared(&self) -> &PreparedModule {
        &self.prepared
    }

    /// The compiled module, or the engine's failure to compile it.
    ///
    /// # Errors
    ///
    /// The [`NonDeterministic`] condition compilation ended with.
    pub fn compiled(&self) -> Result<&dyn CompiledModule, NonDeterministic> {
        self.compiled.as_deref().map_err(Clone::clone)
    }
}

/// One backend with a gas schedule and the static limits modules are
/// prepared under.
pub struct Runtime {
    backend: Box<dyn Backend>,
    schedule: Arc<GasSchedule>,
    limits: ModuleLimits,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("backend", &self.backend.name())
            .finish_non_exhaustive()
    }
}

impl Runtime {
    /// A runtime over `backend` with the default schedule and limits.
    pub fn new(backend: Box<dyn Backend>) -> Self {
        Self::with_config(backend, GasSchedule::default(), ModuleLimits::default())
    }

    /// A runtime with an explicit gas schedule and static limits.
    pub fn with_config(
        backend: Box<dyn Backend>,
        schedule: GasSchedule,
        limits: ModuleLimits,
    ) -> Self {
        Self {
            backend,
            schedule: Arc::new(schedule),
            limits,
        }
    }

    /// The backend's name.
    pub fn backend_name(&self) -> &'static str {
        self.backend.name()
    }

    /// The gas schedule.
    pub fn schedule(&self) -> &GasSchedule {
        &self.schedule
    }

    /// The limits modules are prepared under, and the default limits of an
    /// execution.
    pub fn limits(&self) -> &ModuleLimits {
        &self.limits
    }

    /// Prepares `wasm` under this runtime's limits and schedule.
    ///
    /// # Errors
    ///
    /// The [`Rejection`] of [`prepare`].
    pub fn prepare(&self, wasm: &[u8]) -> Result<PreparedModule, Rejection> {
        prepare(wasm, &self.limits, &self.schedule)
    }

    /// Compiles a prepared module with this runtime's backend. An engine
    /// failure is kept and reported by every execution of the module as a
    /// non-deterministic outcome.
    pub fn compile(&self, prepared: PreparedModule) -> Module {
        let _span = tracing::debug_span!(target: "runtime::compile", "compile", backend = self.backend.name()).entered();
        let compiled = self.backend.compile(&prepared);
        if let Err(e) = &compiled {
            tracing::warn!(target: "runtime::compile", backend = self.backend.name(), error = ?e, "engine failed to compile a prepared module");
        }
        Module { prepared, compiled }
    }

    /// Runs `export` of `module` in `context` over `storage`, without
    /// committing: the outcome's changes are for the caller to apply (see
    /// [`Runtime::execute_and_commit`]).
    ///
    /// # Errors
    ///
    /// A [`RuntimeError`] for infrastructure failures (storage I/O); guest
    /// behaviour, however bad, is an [`Outcome`].
    pub fn execute(
        &self,
        module: &Module,
        export: &str,
        context: &ExecutionContext,
        storage: Arc<dyn Storage>,
    ) -> Result<Outcome, RuntimeError> {
        self.execute_inner(module, export, context, storage)
            .map(|(outcome, _)| outcome)
    }

    fn execute_inner(
        &self,
        module: &Module,
        export: &str,
        context: &ExecutionContext,
        storage: Arc<dyn Storage>,
    ) -> Result<(Outcome, ReadSet), RuntimeError> {
        let _span = tracing::debug_span!(target: "runtime::guest", "execute", backend = self.backend.name(), export).entered();
        if let Err(rejection) = module.prepared.check_callable(export) {
            return Ok((Outcome::rejected(rejection), ReadSet::default()));
        }
        let compiled = match &module.compiled {
            Ok(compiled) => compiled,
            Err(e) => {
                return Ok((
                    Outcome::failed(ExecError::NonDeterministic(e.clone())),
                    ReadSet::default(),
                ));
            }
        };
        let host = HostState::new(context, self.schedule.clone(), storage);
        let exports: Vec<&str> = module
            .prepared
            .start_export()
            .into_iter()
            .chain([export])
            .collect();
        let run = compiled.run(host, &exports);
        finish(self.backend.name(), run.host, run.result)
    }

    /// [`Runtime::execute`], then applies the changes to `storage` when the
    /// status is `ok`.
    ///
    /// # Errors
    ///
    /// As [`Runtime::execute`], and the storage's commit error.
    pub fn execute_and_commit(
        &self,
        module: &Module,
        export: &str,
        context: &ExecutionContext,
        storage: Arc<dyn Storage>,
    ) -> Result<Outcome, RuntimeError> {
        let (outcome, reads) = self.execute_inner(module, export, context, storage.clone())?;
        if outcome.error.is_none() {
            storage.commit(&reads, &outcome.changes)?;
        }
        Ok(outcome)
    }
}

/// Builds the outcome from the host state and how the run ended.
fn finish(
    backend: &'static str,
    host: HostState,
    result: Result<(), EngineFailure>,
) -> Result<(Outcome, ReadSet), RuntimeError> {
    let error = match (result, host.abort) {
        (Ok(()), None) => None,
        (Ok(()), Some(_)) => {
            return Err(RuntimeError::BackendContract {
                backend,
                message: "the guest returned normally after a host abort".into(),
            });
        }
        (Err(EngineFailure::HostAbort), None) => {
            return Err(RuntimeError::BackendContract {
                backend,
                message: "reported a host abort that the host never raised".into(),
            });
        }
        // A recorded host abort wins over whatever the engine made of it.
        (Err(_), Some(Abort::Infra(e))) => return Err(e),
        (Err(_), Some(Abort::Exec(e))) => Some(e),
        (Err(EngineFailure::Trap(kind)), None) => Some(ExecError::Trap(kind)),
        (Err(EngineFailure::NonDeterministic(nd)), None) => Some(ExecError::NonDeterministic(nd)),
    };
    let mut gas = host.gas;
    // ABI 1.1: every trap, whatever its kind, consumes all of the call's gas.
    if matches!(error, Some(ExecError::Trap(_))) {
        gas.exhaust();
    }
    let outcome = match error {
        None => Outcome {
            error: None,
            return_data: host.return_data,
            logs: host.logs,
            events: host.events,
            changes: host.overlay.net_changes(),
            gas_used: gas.used(),
        },
        Some(error) => Outcome {
            error: Some(error),
            return_data: Vec::new(),
            logs: host.logs,
            events: Vec::new(),
            changes: Vec::new(),
            gas_used: gas.used(),
        },
    };
    tracing::debug!(target: "runtime::guest", backend, status = outcome.status().as_str(), gas_used = outcome.gas_used, "execution finished");
    Ok((outcome, host.overlay.reads().clone()))
}
