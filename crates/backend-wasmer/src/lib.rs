//! The wasmer engine (Cranelift by default, Singlepass selectable) behind the
//! `runtime-core` [`Backend`] trait.
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
//! let runtime = Runtime::new(Box::new(backend_wasmer::WasmerBackend::new()));
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
//! * `singlepass`: also build wasmer's Singlepass compiler, selectable with
//!   [`WasmerCompiler::Singlepass`].

mod memory;
mod raw;
mod traps;

use std::time::{Duration, Instant};

use host_abi::{HostFunction, IMPORT_MODULE, MEMORY_EXPORT};
use runtime_core::{
    Backend, CompiledModule, EngineFailure, HostAbort, HostState, NonDeterministic, PreparedModule,
    RunResult, Watchdog,
};
use wasmer::{
    Engine, Function, FunctionEnv, FunctionEnvMut, FunctionType, Global, Imports, Instance, Memory,
    Module, RuntimeError, Store, Type, Value,
};

use memory::ViewMemory;

/// How often a timed-out store is interrupted again.
const INTERRUPT_RETRY: Duration = Duration::from_millis(5);
pub use traps::map_error;

/// Which wasmer compiler generates code.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum WasmerCompiler {
    /// Cranelift: optimising, the default.
    #[default]
    Cranelift,
    /// Singlepass: linear-time compilation (needs the `singlepass` feature).
    #[cfg(feature = "singlepass")]
    Singlepass,
}

/// Runs prepared modules on wasmer.
pub struct WasmerBackend {
    engine: Engine,
    compiler: WasmerCompiler,
}

impl std::fmt::Debug for WasmerBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmerBackend")
            .field("compiler", &self.compiler)
            .finish_non_exhaustive()
    }
}

impl Default for WasmerBackend {
    fn default() -> Self {
        Self::new()
    }
}

impl WasmerBackend {
    /// A backend compiling with Cranelift.
    pub fn new() -> Self {
        Self::with_compiler(WasmerCompiler::Cranelift)
    }

    /// A backend compiling with `compiler`.
    pub fn with_compiler(compiler: WasmerCompiler) -> Self {
        let engine: Engine = match compiler {
            WasmerCompiler::Cranelift => wasmer::sys::Cranelift::new().into(),
            #[cfg(feature = "singlepass")]
            WasmerCompiler::Singlepass => wasmer::sys::Singlepass::new().into(),
        };
        Self { engine, compiler }
    }

    /// The compiler in use.
    pub fn compiler(&self) -> WasmerCompiler {
        self.compiler
    }
}

/// What a wasmer store holds for the host functions.
struct StoreData {
    /// Taken back once the run ends.
    host: Option<HostState>,
    /// The guest's exported memory, set right after instantiation (the
    /// start function runs later, as an export; see `runtime-core`'s
    /// preparation).
    memory: Option<Memory>,
    /// The instrumented gas counter, set with the memory.
    gas: Option<Global>,
}

/// Creates one ABI function in `store`, forwarding to the core.
fn host_function(
    store: &mut Store,
    env: &FunctionEnv<StoreData>,
    function: HostFunction,
) -> Function {
    let ty = FunctionType::new(
        vec![Type::I64; function.param_count()],
        vec![Type::I64; function.result_count()],
    );
    Function::new_with_env(
        store,
        env,
        ty,
        move |mut env: FunctionEnvMut<'_, StoreData>, params: &[Value]| {
            let mut args = [0u64; 8];
            for (arg, val) in args.iter_mut().zip(params) {
                // The engine enforces the import's i64 signature.
                *arg = val.i64().unwrap_or_default() as u64;
            }
            let args = &args[..params.len()];
            let (data, mut store) = env.data_and_store_mut();
            let Some(host) = data.host.as_mut() else {
                return Err(RuntimeError::user(Box::new(HostAbort)));
            };
            let mut gas = match &data.gas {
                Some(global) => global.get(&mut store).i64().unwrap_or_default(),
                None => host.guest_gas(),
            };
            let result = match &data.memory {
                Some(memory) => host.call(
                    function,
                    args,
                    &mut ViewMemory(memory.view(&store)),
                    &mut gas,
                ),
                None => host.call(function, args, &mut [][..], &mut gas),
            };
            match result {
                Ok(value) => {
                    if let Some(global) = &data.gas {
                        global.set(&mut store, Value::I64(gas))?;
                    }
                    Ok(value.map(|v| Value::I64(v as i64)).into_iter().collect())
                }
                Err(abort) => Err(RuntimeError::user(Box::new(abort))),
            }
        },
    )
}

struct WasmerModule {
    gas_export: Option<String>,
    stack_export: Option<String>,
    start_export: Option<String>,
    engine: Engine,
    module: Module,
}

impl Backend for WasmerBackend {
    fn name(&self) -> &'static str {
        "wasmer"
    }

    fn compile(
        &self,
        module: &PreparedModule,
    ) -> Result<Box<dyn CompiledModule>, NonDeterministic> {
        let compiled = Module::new(&self.engine, module.code())
            .map_err(|e| NonDeterministic::EngineError(format!("wasmer compile: {e}")))?;
        Ok(Box::new(WasmerModule {
            gas_export: module.gas_export().map(str::to_owned),
            stack_export: module.stack_export().map(str::to_owned),
            start_export: module.start_export().map(str::to_owned),
            engine: self.engine.clone(),
            module: compiled,
        }))
    }
}

impl CompiledModule for WasmerModule {
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
        let mut store = Store::new(self.engine.clone());
        // The wall-clock safety net: interrupt the store at the deadline, and
        // again every few milliseconds (wasmer may miss one) until the run
        // ends and the guard disarms it.
        let _timeout = host.deadline().map(|deadline| {
            let interrupter = store.interrupter();
            Watchdog::global().arm(deadline, move || {
                interrupter.interrupt();
                Some(Instant::now() + INTERRUPT_RETRY)
            })
        });
        let env = FunctionEnv::new(
            &mut store,
            StoreData {
                host: Some(host),
                memory: None,
                gas: None,
            },
        );
        let mut imports = Imports::new();
        for &function in HostFunction::ALL {
            let f = host_function(&mut store, &env, function);
            imports.define(IMPORT_MODULE, function.name(), f);
        }
        let result = (|| {
            let instance = {
                let _span = tracing::debug_span!(target: "runtime::instantiate", "instantiate", backend = "wasmer").entered();
                Instance::new(&mut store, &self.module, &imports)
                    .map_err(traps::map_instantiation_error)?
            };
            let memory = instance.exports.get_memory(MEMORY_EXPORT).ok().cloned();
            let gas = self
                .gas_export
                .as_deref()
                .and_then(|name| instance.exports.get_global(name).ok().cloned());
            if let Some(gas) = &gas {
                let left = env
                    .as_ref(&store)
                    .host
                    .as_ref()
                    .map_or(0, HostState::guest_gas);
                gas.set(&mut store, Value::I64(left))
                    .map_err(|e| traps::engine_error(format!("wasmer gas counter: {e}")))?;
            }
            let data = env.as_mut(&mut store);
            data.memory = memory;
            data.gas = gas;
            for &export in exports {
                let func = instance
                    .exports
                    .get_typed_function::<(), ()>(&store, export)
                    .map_err(|e| traps::engine_error(format!("wasmer export {export:?}: {e}")))?;
                let _span = tracing::debug_span!(target: "runtime::guest", "call", backend = "wasmer", export).entered();
                func.call(&mut store).map_err(|e| map_error(&e))?;
            }
            Ok(())
        })();
        let final_gas = env
            .as_ref(&store)
            .gas
            .clone()
            .and_then(|gas| gas.get(&mut store).i64());
        let mut host = env
            .as_mut(&mut store)
            .host
            .take()
            .expect("the host state is taken only here, once");
        if let Some(gas) = final_gas {
            host.end_guest(gas);
        }
        RunResult { host, result }
    }
}
