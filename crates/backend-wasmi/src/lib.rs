//! The wasmi interpreter behind the `runtime-core` [`Backend`] trait.
//!
//! Thin by design: imports are generated from the ABI table
//! ([`HostFunction::ALL`]), each forwarding to
//! [`HostState::call`](runtime_core::HostState::call); traps are mapped with
//! one match ([`map_error`]). Preparation, gas, host logic and outcomes are
//! the core's.
//!
//! ```
//! use std::sync::Arc;
//! use runtime_core::{ExecutionContext, InMemoryStorage, Runtime, Status};
//!
//! let runtime = Runtime::new(Box::new(backend_wasmi::WasmiBackend::new()));
//! let wasm = wat::parse_str(r#"(module (func (export "main") unreachable))"#).unwrap();
//! let module = runtime.compile(runtime.prepare(&wasm).unwrap());
//! let outcome = runtime
//!     .execute(&module, "main", &ExecutionContext::default(), Arc::new(InMemoryStorage::new()))
//!     .unwrap();
//! assert_eq!(outcome.status(), Status::Trap);
//! ```
//!
//! # Features
//!
//! None. The engine is configured in [`WasmiBackend::new`].

mod traps;

use host_abi::{HostFunction, IMPORT_MODULE, MEMORY_EXPORT};
use runtime_core::{
    Backend, CompiledModule, EngineFailure, HostState, ModuleLimits, NonDeterministic,
    PreparedModule, RunResult,
};
use std::time::Instant;

use wasmi::{
    Caller, Engine, FuncType, Global, Linker, Memory, Module, Store, TypedResumableCall, Val,
    ValType,
};

pub use traps::map_error;

/// The marker a host function returns to wasmi when the core aborted the
/// execution; the reason stays in the [`HostState`].
#[derive(Debug)]
struct Aborted;

impl std::fmt::Display for Aborted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a host function ended the execution")
    }
}

impl wasmi::errors::HostError for Aborted {}

/// What a wasmi store holds: the core's host state and the instance's
/// memory and gas counter, looked up once after instantiation (the start
/// function runs later, as an export, so host calls always find them).
struct StoreData {
    host: HostState,
    memory: Option<Memory>,
    gas: Option<Global>,
}

/// Runs prepared modules on the wasmi interpreter.
pub struct WasmiBackend {
    engine: Engine,
    linker: Linker<StoreData>,
}

impl std::fmt::Debug for WasmiBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmiBackend").finish_non_exhaustive()
    }
}

impl Default for WasmiBackend {
    fn default() -> Self {
        Self::new()
    }
}

impl WasmiBackend {
    /// A backend with its own engine and the ABI linked.
    ///
    /// # Panics
    ///
    /// Only if wasmi rejects the ABI table's definitions, which is a bug
    /// caught by every test.
    pub fn new() -> Self {
        let mut config = wasmi::Config::default();
        // Room for the deterministic stack limit to trip first: every call
        // costs at least FRAME_OVERHEAD units, and each unit is at most one
        // value slot of 8 bytes (times 4 for wasmi's own registers).
        config.set_max_recursion_depth(ModuleLimits::MAX_STACK_HEIGHT as usize);
        config.set_max_stack_height(ModuleLimits::MAX_STACK_HEIGHT as usize * 32);
        // The wall-clock safety net: wasmi cannot be interrupted from
        // another thread, so calls run in slices of fuel (not the project's
        // gas, which is instrumented) and the deadline is checked between
        // slices.
        config.consume_fuel(true);
        let engine = Engine::new(&config);
        let mut linker = Linker::new(&engine);
        for &function in HostFunction::ALL {
            link(&mut linker, function);
        }
        Self { engine, linker }
    }
}

/// Links one ABI function as a host function forwarding to the core.
fn link(linker: &mut Linker<StoreData>, function: HostFunction) {
    let params = vec![ValType::I64; function.param_count()];
    let results = vec![ValType::I64; function.result_count()];
    let ty = FuncType::new(params, results);
    linker
        .func_new(
            IMPORT_MODULE,
            function.name(),
            ty,
            move |mut caller: Caller<'_, StoreData>, params: &[Val], results: &mut [Val]| {
                let mut args = [0u64; 8];
                for (arg, val) in args.iter_mut().zip(params) {
                    // The engine enforces the import's i64 signature.
                    *arg = val.i64().unwrap_or_default() as u64;
                }
                let args = &args[..params.len()];
                let (memory, gas_global) = (caller.data().memory, caller.data().gas);
                let mut gas = match gas_global {
                    Some(global) => global.get(&caller).i64().unwrap_or_default(),
                    None => caller.data().host.guest_gas(),
                };
                let result = match memory {
                    Some(memory) => {
                        let (bytes, data) = memory.data_and_store_mut(&mut caller);
                        data.host.call(function, args, bytes, &mut gas)
                    }
                    None => caller
                        .data_mut()
                        .host
                        .call(function, args, &mut [][..], &mut gas),
                };
                match result {
                    Ok(value) => {
                        if let Some(global) = gas_global {
                            global.set(&mut caller, Val::I64(gas))?;
                        }
                        if let (Some(slot), Some(value)) = (results.first_mut(), value) {
                            *slot = Val::I64(value as i64);
                        }
                        Ok(())
                    }
                    Err(_abort) => Err(wasmi::Error::host(Aborted)),
                }
            },
        )
        .expect("each ABI function is linked once");
}

struct WasmiModule {
    gas_export: Option<String>,
    stack_export: Option<String>,
    start_export: Option<String>,
    engine: Engine,
    linker: Linker<StoreData>,
    module: Module,
}

impl Backend for WasmiBackend {
    fn name(&self) -> &'static str {
        "wasmi"
    }

    fn compile(
        &self,
        module: &PreparedModule,
    ) -> Result<Box<dyn CompiledModule>, NonDeterministic> {
        let compiled = Module::new(&self.engine, module.code())
            .map_err(|e| NonDeterministic::EngineError(format!("wasmi compile: {e}")))?;
        Ok(Box::new(WasmiModule {
            gas_export: module.gas_export().map(str::to_owned),
            stack_export: module.stack_export().map(str::to_owned),
            start_export: module.start_export().map(str::to_owned),
            engine: self.engine.clone(),
            linker: self.linker.clone(),
            module: compiled,
        }))
    }
}

impl CompiledModule for WasmiModule {
    fn instantiate_raw(&self) -> Result<Box<dyn runtime_core::RawInstance>, EngineFailure> {
        raw::instantiate(
            &self.engine,
            &self.module,
            self.gas_export.as_deref(),
            self.stack_export.as_deref(),
            self.start_export.as_deref(),
        )
    }

    fn run(&self, host: HostState, exports: &[&str]) -> RunResult {
        let data = StoreData {
            host,
            memory: None,
            gas: None,
        };
        let mut store = Store::new(&self.engine, data);
        let result = (|| -> Result<(), EngineFailure> {
            let instance = {
                let _span = tracing::debug_span!(target: "runtime::instantiate", "instantiate", backend = "wasmi").entered();
                // Preparation removed the start section, so nothing runs here
                // but data and element initialisation.
                self.linker
                    .instantiate_and_start(&mut store, &self.module)
                    .map_err(|e| map_error(&e))?
            };
            let memory = instance.get_memory(&store, MEMORY_EXPORT);
            let gas = self
                .gas_export
                .as_deref()
                .and_then(|name| instance.get_global(&store, name));
            store.data_mut().memory = memory;
            store.data_mut().gas = gas;
            if let Some(gas) = gas {
                let left = store.data().host.guest_gas();
                gas.set(&mut store, Val::I64(left)).map_err(|e| {
                    EngineFailure::NonDeterministic(NonDeterministic::EngineError(format!(
                        "wasmi gas counter: {e}"
                    )))
                })?;
            }
            for &export in exports {
                let func = instance
                    .get_typed_func::<(), ()>(&store, export)
                    .map_err(|e| map_error(&e))?;
                let _span = tracing::debug_span!(target: "runtime::guest", "call", backend = "wasmi", export).entered();
                call_with_deadline(&mut store, &func)?;
            }
            Ok(())
        })();
        let final_gas = store.data().gas.and_then(|gas| gas.get(&store).i64());
        let mut data = store.into_data();
        if let Some(gas) = final_gas {
            data.host.end_guest(gas);
        }
        RunResult {
            result,
            host: data.host,
        }
    }
}

mod raw;

/// Fuel per slice between two looks at the clock.
const FUEL_SLICE: u64 = 10_000_000;

/// Calls `func` in slices of fuel until it returns, traps, or the deadline
/// of the host state passes.
fn call_with_deadline(
    store: &mut Store<StoreData>,
    func: &wasmi::TypedFunc<(), ()>,
) -> Result<(), EngineFailure> {
    let deadline = store.data().host.deadline();
    let refuel =
        |store: &mut Store<StoreData>| store.set_fuel(FUEL_SLICE).map_err(|e| map_error(&e));
    refuel(store)?;
    let mut call = func
        .call_resumable(&mut *store, ())
        .map_err(|e| map_error(&e))?;
    loop {
        match call {
            TypedResumableCall::Finished(()) => return Ok(()),
            TypedResumableCall::HostTrap(trap) => {
                return Err(if is_host_abort(trap.host_error()) {
                    EngineFailure::HostAbort
                } else {
                    map_error(trap.host_error())
                });
            }
            TypedResumableCall::OutOfFuel(out) => {
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    return Err(EngineFailure::NonDeterministic(NonDeterministic::Timeout));
                }
                refuel(store)?;
                call = out.resume(&mut *store).map_err(|e| map_error(&e))?;
            }
        }
    }
}

/// Whether `error` carries the abort marker.
fn is_host_abort(error: &wasmi::Error) -> bool {
    error.downcast_ref::<Aborted>().is_some()
}
