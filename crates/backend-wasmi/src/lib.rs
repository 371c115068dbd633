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
    Backend, CompiledModule, HostState, NonDeterministic, PreparedModule, RunResult,
};
use wasmi::{Caller, Engine, Extern, FuncType, Linker, Module, Store, Val, ValType};

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

/// Runs prepared modules on the wasmi interpreter.
pub struct WasmiBackend {
    engine: Engine,
    linker: Linker<HostState>,
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
        let config = wasmi::Config::default();
        let engine = Engine::new(&config);
        let mut linker = Linker::new(&engine);
        for &function in HostFunction::ALL {
            link(&mut linker, function);
        }
        Self { engine, linker }
    }
}

/// Links one ABI function as a host function forwarding to the core.
fn link(linker: &mut Linker<HostState>, function: HostFunction) {
    let params = vec![ValType::I64; function.param_count()];
    let results = vec![ValType::I64; function.result_count()];
    let ty = FuncType::new(params, results);
    linker
        .func_new(
            IMPORT_MODULE,
            function.name(),
            ty,
            move |mut caller: Caller<'_, HostState>, params: &[Val], results: &mut [Val]| {
                let mut args = [0u64; 8];
                for (arg, val) in args.iter_mut().zip(params) {
                    // The engine enforces the import's i64 signature.
                    *arg = val.i64().unwrap_or_default() as u64;
                }
                let args = &args[..params.len()];
                let memory = caller
                    .get_export(MEMORY_EXPORT)
                    .and_then(Extern::into_memory);
                let result = match memory {
                    Some(memory) => {
                        let (bytes, host) = memory.data_and_store_mut(&mut caller);
                        host.call(function, args, bytes)
                    }
                    None => caller.data_mut().call(function, args, &mut [][..]),
                };
                match result {
                    Ok(value) => {
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
    engine: Engine,
    linker: Linker<HostState>,
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
            engine: self.engine.clone(),
            linker: self.linker.clone(),
            module: compiled,
        }))
    }
}

impl CompiledModule for WasmiModule {
    fn run(&self, host: HostState, exports: &[&str]) -> RunResult {
        let mut store = Store::new(&self.engine, host);
        let result = (|| {
            let instance = {
                let _span = tracing::debug_span!(target: "runtime::instantiate", "instantiate", backend = "wasmi").entered();
                // Preparation removed the start section, so nothing runs here
                // but data and element initialisation.
                self.linker
                    .instantiate_and_start(&mut store, &self.module)?
            };
            for &export in exports {
                let func = instance.get_typed_func::<(), ()>(&store, export)?;
                let _span = tracing::debug_span!(target: "runtime::guest", "call", backend = "wasmi", export).entered();
                func.call(&mut store, ())?;
            }
            Ok(())
        })();
        RunResult {
            result: result.map_err(|e: wasmi::Error| map_error(&e)),
            host: store.into_data(),
        }
    }
}

/// Whether `error` carries the abort marker.
fn is_host_abort(error: &wasmi::Error) -> bool {
    error.downcast_ref::<Aborted>().is_some()
}
