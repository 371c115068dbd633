//! The runtime an embedder holds, and the one execution protocol every
//! backend runs under: prepare, compile, instantiate, seed the gas counter,
//! start function then export, read the counter back, build the outcome,
//! commit.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::backend::{Backend, EngineFailure, EngineInstance, EngineModule};
use crate::cache::ModuleCache;
use crate::context::ExecutionContext;
use crate::error::{ExecError, NonDeterministic, Rejection, RuntimeError};
use crate::gas::GasSchedule;
use crate::host::{Abort, HostState};
use crate::host_functions::HostFunctions;
use crate::limits::ModuleLimits;
use crate::outcome::Outcome;
use crate::prepare::{PreparedModule, config_fingerprint, prepare_with};
use crate::storage::{ReadSet, Storage};
use crate::value::WasmValue;

/// A module compiled by one [`Runtime`], and usable only with it.
///
/// It keeps its backend alive (and with it the backend's timeout
/// machinery) as long as it lives.
pub struct Module {
    prepared: PreparedModule,
    compiled: Result<Arc<dyn EngineModule>, NonDeterministic>,
    runtime_id: u64,
    label: Arc<str>,
    _backend: Arc<dyn Backend>,
}

impl std::fmt::Debug for Module {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Module")
            .field("key", &hex::encode(self.prepared.key()))
            .field("compiled", &self.compiled.is_ok())
            .field("runtime", &self.runtime_id)
            .finish()
    }
}

impl Module {
    /// The prepared module it was compiled from.
    pub fn prepared(&self) -> &PreparedModule {
        &self.prepared
    }

    /// Whether the engine compiled it (a failure is reported by every
    /// execution as a non-deterministic outcome).
    pub fn is_compiled(&self) -> bool {
        self.compiled.is_ok()
    }

    /// The short name used in tracing: the first 8 bytes of the key, hex.
    pub fn label(&self) -> &str {
        &self.label
    }

    pub(crate) fn engine(&self) -> Result<&Arc<dyn EngineModule>, &NonDeterministic> {
        self.compiled.as_ref()
    }
}

/// Builds a [`Runtime`]: backend, gas schedule, module limits, host
/// functions and compiled-module cache.
pub struct RuntimeBuilder {
    backend: Arc<dyn Backend>,
    schedule: GasSchedule,
    limits: ModuleLimits,
    host_functions: HostFunctions,
    cache: Option<ModuleCache>,
    session: bool,
}

impl std::fmt::Debug for RuntimeBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuntimeBuilder")
            .field("backend", &self.backend.name())
            .finish_non_exhaustive()
    }
}

impl RuntimeBuilder {
    /// The gas schedule (default: [`GasSchedule::default`]).
    #[must_use]
    pub fn schedule(mut self, schedule: GasSchedule) -> Self {
        self.schedule = schedule;
        self
    }

    /// The limits modules are prepared under (default:
    /// [`ModuleLimits::default`]).
    #[must_use]
    pub fn module_limits(mut self, limits: ModuleLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The host functions guests may import (default: the guest ABI's
    /// alone, [`HostFunctions::abi`]).
    #[must_use]
    pub fn host_functions(mut self, host_functions: HostFunctions) -> Self {
        self.host_functions = host_functions;
        self
    }

    /// The compiled-module cache [`Runtime::compile`] consults (default:
    /// none, every call compiles). One cache may serve many runtimes, of any
    /// backends: entries are keyed by module, backend and engine
    /// configuration.
    ///
    /// ```
    /// # fn demo(backend: Box<dyn runtime_core::backend::Backend>) -> Result<(), Box<dyn std::error::Error>> {
    /// use runtime_core::{ModuleCache, Runtime};
    /// // 256 modules in memory, artifacts in a directory (created if missing).
    /// let cache = ModuleCache::with_directory(256, "/var/cache/my-node/modules")?;
    /// let runtime = Runtime::builder(backend).cache(cache).build()?;
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn cache(mut self, cache: ModuleCache) -> Self {
        self.cache = Some(cache);
        self
    }

    /// Adds the session's host functions (`session::send`, `recv`,
    /// `pending`, priced by the schedule given to this builder, whenever it
    /// is given), so that a [`Session`](crate::Session) can run on the
    /// runtime. They are declared after the other host functions, at
    /// [`RuntimeBuilder::build`].
    #[must_use]
    pub fn session(mut self) -> Self {
        self.session = true;
        self
    }

    /// The runtime.
    ///
    /// # Errors
    ///
    /// [`RuntimeError::InvalidConfig`] if the gas schedule has a cost out of
    /// range ([`GasSchedule::validate`]), or (with
    /// [`RuntimeBuilder::session`]) the host functions already declare a
    /// `session` function.
    pub fn build(mut self) -> Result<Runtime, RuntimeError> {
        self.schedule
            .validate()
            .map_err(RuntimeError::InvalidConfig)?;
        if self.session {
            crate::session::define_host_functions(&mut self.host_functions, &self.schedule)?;
        }
        let config = config_fingerprint(&self.limits, &self.schedule, &self.host_functions);
        Ok(Runtime {
            id: next_runtime_id(),
            backend: self.backend,
            schedule: Arc::new(self.schedule),
            limits: self.limits,
            host_functions: Arc::new(self.host_functions),
            config,
            cache: self.cache,
        })
    }
}

fn next_runtime_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// One backend with a gas schedule, the limits modules are prepared under,
/// and the host functions guests may import. Cheap to clone (clones share
/// everything, identity included); safe to share across threads.
#[derive(Clone)]
pub struct Runtime {
    id: u64,
    pub(crate) backend: Arc<dyn Backend>,
    pub(crate) schedule: Arc<GasSchedule>,
    pub(crate) limits: ModuleLimits,
    pub(crate) host_functions: Arc<HostFunctions>,
    pub(crate) config: [u8; 32],
    cache: Option<ModuleCache>,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("id", &self.id)
            .field("backend", &self.backend.name())
            .finish_non_exhaustive()
    }
}

impl Runtime {
    /// A runtime over `backend` with the default schedule, module limits
    /// and the guest ABI's host functions.
    pub fn new(backend: Box<dyn Backend>) -> Self {
        let schedule = GasSchedule::default();
        let limits = ModuleLimits::default();
        let host_functions = HostFunctions::abi();
        Runtime {
            id: next_runtime_id(),
            config: config_fingerprint(&limits, &schedule, &host_functions),
            backend: Arc::from(backend),
            schedule: Arc::new(schedule),
            limits,
            host_functions: Arc::new(host_functions),
            cache: None,
        }
    }

    /// A builder over `backend`.
    pub fn builder(backend: Box<dyn Backend>) -> RuntimeBuilder {
        RuntimeBuilder {
            backend: Arc::from(backend),
            schedule: GasSchedule::default(),
            limits: ModuleLimits::default(),
            host_functions: HostFunctions::abi(),
            cache: None,
            session: false,
        }
    }

    /// A runtime over the same backend (the same engine) with other module
    /// limits. Modules of one are not usable with the other.
    pub fn with_module_limits(&self, limits: ModuleLimits) -> Runtime {
        Runtime {
            id: next_runtime_id(),
            config: config_fingerprint(&limits, &self.schedule, &self.host_functions),
            backend: self.backend.clone(),
            schedule: self.schedule.clone(),
            limits,
            host_functions: self.host_functions.clone(),
            cache: self.cache.clone(),
        }
    }

    /// The backend's name.
    pub fn backend_name(&self) -> &'static str {
        self.backend.name()
    }

    /// The engine's id ([`Backend::engine_id`]).
    pub fn engine_id(&self) -> String {
        self.backend.engine_id()
    }

    /// The gas schedule.
    pub fn schedule(&self) -> &GasSchedule {
        &self.schedule
    }

    /// The limits modules are prepared under.
    pub fn limits(&self) -> &ModuleLimits {
        &self.limits
    }

    /// The host functions guests may import.
    pub fn host_functions(&self) -> &Arc<HostFunctions> {
        &self.host_functions
    }

    /// The compiled-module cache, if it has one.
    pub fn cache(&self) -> Option<&ModuleCache> {
        self.cache.as_ref()
    }

    /// Prepares `wasm` under this runtime's limits, schedule and host
    /// functions.
    ///
    /// # Errors
    ///
    /// The [`Rejection`] of [`prepare`](crate::prepare).
    pub fn prepare(&self, wasm: &[u8]) -> Result<PreparedModule, Rejection> {
        prepare_with(wasm, &self.limits, &self.schedule, &self.host_functions)
    }

    /// Compiles a prepared module with this runtime's backend, on a native
    /// stack with room for the engine's compiler. An engine failure is kept
    /// and reported by every execution of the module as a non-deterministic
    /// outcome; a module prepared under another configuration is kept too,
    /// and every execution of it is a [`RuntimeError::ModuleMismatch`].
    ///
    /// With a [`ModuleCache`] ([`RuntimeBuilder::cache`]), a module held in
    /// memory or stored on disk by an earlier compilation (of this process
    /// or another, with the same engine configuration) is not compiled
    /// again.
    pub fn compile(&self, prepared: PreparedModule) -> Module {
        let _span = tracing::debug_span!(target: "runtime::compile", "compile", backend = self.backend.name(), size = prepared.code().len()).entered();
        let compiled = if prepared.config() == self.config {
            match &self.cache {
                Some(cache) => cache.module(self.backend.as_ref(), &prepared, &self.host_functions),
                None => on_native_stack(COMPILE_STACK, || {
                    self.backend.compile(&prepared, &self.host_functions)
                }),
            }
        } else {
            Err(NonDeterministic::EngineError(String::new()))
        };
        if let Err(e) = &compiled {
            tracing::warn!(target: "runtime::compile", backend = self.backend.name(), error = %e, "engine failed to compile a prepared module");
        }
        let label = Arc::from(hex::encode(&prepared.key()[..8]));
        Module {
            runtime_id: if prepared.config() == self.config {
                self.id
            } else {
                0
            },
            prepared,
            compiled,
            label,
            _backend: self.backend.clone(),
        }
    }

    pub(crate) fn check_module(&self, module: &Module) -> Result<(), RuntimeError> {
        if module.runtime_id == self.id {
            return Ok(());
        }
        Err(RuntimeError::ModuleMismatch(
            if module.prepared.config() == self.config {
                format!(
                    "module {} was compiled by another runtime; compile it with this one ({})",
                    module.label,
                    self.backend.name()
                )
            } else {
                format!(
                    "module {} was prepared under other module limits, gas schedule or host functions than this runtime's ({})",
                    module.label,
                    self.backend.name()
                )
            },
        ))
    }

    /// Runs `export` (a `[] -> []` function) of `module` in `context` over
    /// `storage`, without committing: the outcome's changes are for the
    /// caller to apply (see [`Runtime::execute_and_commit`]).
    ///
    /// Only a [`Module`] of this runtime is accepted, and a `Module` comes
    /// only from [`Runtime::compile`] of an instrumented [`PreparedModule`]:
    /// an unmetered module cannot be run here.
    ///
    /// ```compile_fail
    /// # use std::sync::Arc;
    /// # use runtime_core::{ExecutionContext, InMemoryStorage, Runtime};
    /// # fn f(runtime: &Runtime, wasm: &[u8]) {
    /// // The testing tier's uninstrumented module is another type.
    /// let raw = runtime_core::testing::prepare_uninstrumented(runtime, wasm).unwrap();
    /// runtime.execute(&raw, "main", &ExecutionContext::default(), Arc::new(InMemoryStorage::new()));
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// A [`RuntimeError`] for infrastructure failures (storage I/O, a module
    /// of another runtime); guest behaviour, however bad, is an
    /// [`Outcome`].
    pub fn execute(
        &self,
        module: &Module,
        export: &str,
        context: &ExecutionContext,
        storage: Arc<dyn Storage>,
    ) -> Result<Outcome, RuntimeError> {
        self.run(module, export, None, context, storage, false)
            .map(|(outcome, _)| outcome)
    }

    /// Calls `export` of `module` with typed `args`, through the same
    /// metered, host-linked path as [`Runtime::execute`]; the outcome
    /// carries the results.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use runtime_core::{ExecutionContext, InMemoryStorage, Runtime, WasmValue};
    /// # fn demo(runtime: &Runtime) {
    /// let wasm = wat::parse_str(r#"(module (func (export "add") (param i64 i64) (result i64)
    ///     (i64.add (local.get 0) (local.get 1))))"#).unwrap();
    /// let module = runtime.compile(runtime.prepare(&wasm).unwrap());
    /// let storage = Arc::new(InMemoryStorage::new());
    /// let ctx = ExecutionContext::default();
    /// let outcome = runtime
    ///     .call(&module, "add", &[WasmValue::I64(2), WasmValue::I64(40)], &ctx, storage.clone())
    ///     .unwrap();
    /// assert_eq!(outcome.results, [WasmValue::I64(42)]);
    /// // A wrong arity is a rejection naming the signature, never a trap.
    /// let bad = runtime.call(&module, "add", &[WasmValue::I64(2)], &ctx, storage).unwrap();
    /// assert!(bad.error.unwrap().message().contains("[i64, i64] -> [i64]"));
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Runtime::execute`].
    pub fn call(
        &self,
        module: &Module,
        export: &str,
        args: &[WasmValue],
        context: &ExecutionContext,
        storage: Arc<dyn Storage>,
    ) -> Result<Outcome, RuntimeError> {
        self.run(module, export, Some(args), context, storage, false)
            .map(|(outcome, _)| outcome)
    }

    /// [`Runtime::execute`], then commits the changes to `storage` when the
    /// status is `ok`, checking that nothing the execution read has changed
    /// since (see [`Storage::commit`]).
    ///
    /// # Errors
    ///
    /// As [`Runtime::execute`]; [`RuntimeError::Conflict`] when a concurrent
    /// commit changed a key this execution read (nothing was written: run it
    /// again); the storage's commit error.
    pub fn execute_and_commit(
        &self,
        module: &Module,
        export: &str,
        context: &ExecutionContext,
        storage: Arc<dyn Storage>,
    ) -> Result<Outcome, RuntimeError> {
        self.run_and_commit(module, export, None, context, storage)
    }

    /// [`Runtime::call`], then commits as [`Runtime::execute_and_commit`]
    /// does.
    ///
    /// # Errors
    ///
    /// As [`Runtime::execute_and_commit`].
    pub fn call_and_commit(
        &self,
        module: &Module,
        export: &str,
        args: &[WasmValue],
        context: &ExecutionContext,
        storage: Arc<dyn Storage>,
    ) -> Result<Outcome, RuntimeError> {
        self.run_and_commit(module, export, Some(args), context, storage)
    }

    fn run_and_commit(
        &self,
        module: &Module,
        export: &str,
        args: Option<&[WasmValue]>,
        context: &ExecutionContext,
        storage: Arc<dyn Storage>,
    ) -> Result<Outcome, RuntimeError> {
        let (outcome, reads) = self.run(module, export, args, context, storage.clone(), false)?;
        if outcome.error.is_none() {
            storage.commit(&reads, &outcome.changes)?;
        }
        Ok(outcome)
    }

    /// The protocol of one execution. `args: None` is an ABI call of a
    /// `[] -> []` export.
    pub(crate) fn run(
        &self,
        module: &Module,
        export: &str,
        args: Option<&[WasmValue]>,
        context: &ExecutionContext,
        storage: Arc<dyn Storage>,
        allow_unmetered: bool,
    ) -> Result<(Outcome, ReadSet), RuntimeError> {
        self.check_module(module)?;
        if !(module.prepared.is_instrumented() || allow_unmetered) {
            return Err(RuntimeError::ModuleMismatch(format!(
                "module {} is not instrumented (testing tier): it cannot be executed unmetered",
                module.label
            )));
        }
        let _span = tracing::debug_span!(target: "runtime::guest", "execute", backend = self.backend.name(), module = module.label(), export).entered();
        let checked = match args {
            None => module.prepared.check_callable(export),
            Some(args) => module.prepared.check_call(export, args).map(|_| ()),
        };
        if let Err(rejection) = checked {
            return Ok((Outcome::rejected(rejection), ReadSet::default()));
        }
        let engine = match module.engine() {
            Ok(engine) => engine,
            Err(e) => {
                return Ok((
                    Outcome::failed(ExecError::NonDeterministic(e.clone())),
                    ReadSet::default(),
                ));
            }
        };
        let mut host = HostState::with_imports(
            context,
            self.schedule.clone(),
            storage,
            self.host_functions.clone(),
        );
        host.set_labels(self.backend.name(), module.label.clone());
        let stack = self.backend.native_stack_required();
        let (host, result) = on_native_stack(stack, || {
            drive(
                engine.as_ref(),
                &module.prepared,
                host,
                export,
                args.unwrap_or(&[]),
            )
        });
        finish(self.backend.name(), host, result)
    }
}

/// Native stack a compilation may need (Cranelift's passes recurse).
pub(crate) const COMPILE_STACK: usize = 8 << 20;

/// Runs `f` with at least `required` bytes of native stack left: on the
/// calling thread when it has them, else on a fresh stack segment of the
/// runtime's own (so a guest within the deterministic stack limit never
/// overflows an embedder's small thread stack).
pub(crate) fn on_native_stack<R>(required: usize, f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(required, required.saturating_mul(2), f)
}

/// Instantiates, seeds the gas counter, runs the start export then `export`,
/// and takes the counter back.
fn drive(
    engine: &dyn EngineModule,
    prepared: &PreparedModule,
    host: HostState,
    export: &str,
    args: &[WasmValue],
) -> (HostState, Result<Vec<WasmValue>, EngineFailure>) {
    let mut instance: Box<dyn EngineInstance> = {
        let _span = tracing::debug_span!(target: "runtime::instantiate", "instantiate").entered();
        match engine.instantiate(host) {
            Ok(instance) => instance,
            Err(failed) => {
                let (failure, host) = *failed;
                return (host, Err(failure));
            }
        }
    };
    let result = (|| {
        let left = instance.host().guest_gas();
        instance.set_gas(left)?;
        let mut results = Vec::new();
        if let Some(start) = prepared.start_export() {
            let _span =
                tracing::debug_span!(target: "runtime::guest", "call", export = start).entered();
            instance.call(start, &[], &mut results)?;
        }
        let _span = tracing::debug_span!(target: "runtime::guest", "call", export).entered();
        instance.call(export, args, &mut results)?;
        Ok(results)
    })();
    if let Some(gas) = instance.gas() {
        instance.host().end_guest(gas);
    }
    (instance.into_host(), result)
}

/// Builds the outcome from the host state and how the run ended.
fn finish(
    backend: &'static str,
    host: HostState,
    result: Result<Vec<WasmValue>, EngineFailure>,
) -> Result<(Outcome, ReadSet), RuntimeError> {
    let (results, error) = match (result, host.abort) {
        (Ok(results), None) => (results, None),
        (Ok(_), Some(_)) => {
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
        (Err(_), Some(Abort::Exec(e))) => (Vec::new(), Some(e)),
        (Err(EngineFailure::Trap(kind)), None) => (Vec::new(), Some(ExecError::Trap(kind))),
        (Err(EngineFailure::NonDeterministic(nd)), None) => {
            (Vec::new(), Some(ExecError::NonDeterministic(nd)))
        }
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
            results,
            messages: host.messages,
        },
        Some(error) => Outcome {
            error: Some(error),
            return_data: Vec::new(),
            logs: host.logs,
            events: Vec::new(),
            changes: Vec::new(),
            gas_used: gas.used(),
            results: Vec::new(),
            messages: Vec::new(),
        },
    };
    tracing::debug!(target: "runtime::guest", backend, status = outcome.status().as_str(), gas_used = outcome.gas_used, "execution finished");
    Ok((outcome, host.overlay.reads().clone()))
}

#[cfg(test)]
#[path = "runtime_tests.rs"]
mod tests;
