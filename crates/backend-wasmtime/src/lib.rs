//! The wasmtime engine (Cranelift) behind the `runtime-core` [`Backend`]
//! trait.
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
//! let runtime = Runtime::new(Box::new(backend_wasmtime::WasmtimeBackend::new()));
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
//! None. The engine is configured in [`WasmtimeBackend::new`].

mod traps;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use host_abi::{HostFunction, IMPORT_MODULE, MEMORY_EXPORT};
use runtime_core::{
    Backend, CompiledModule, EngineFailure, HostAbort, HostState, ModuleLimits, NonDeterministic,
    PreparedModule, RunResult,
};
use wasmtime::{
    Caller, Engine, FuncType, Global, InstancePre, Linker, Memory, Module, Store, Val, ValType,
};

pub use traps::map_error;

/// Runs prepared modules on wasmtime with Cranelift.
pub struct WasmtimeBackend {
    engine: Engine,
    linker: Linker<StoreData>,
    /// Advances the engine's epoch for the wall-clock timeout.
    _ticker: EpochTicker,
}

/// How often the epoch advances: the timeout's resolution.
const EPOCH_TICK: Duration = Duration::from_millis(5);

/// A thread that increments the engine's epoch every [`EPOCH_TICK`] until
/// dropped; each store traps once its deadline (in ticks) has passed.
struct EpochTicker {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl EpochTicker {
    fn start(engine: &Engine) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let (engine, flag) = (engine.clone(), stop.clone());
        let thread = std::thread::Builder::new()
            .name("wasmtime-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    engine.increment_epoch();
                }
            })
            .ok();
        Self { stop, thread }
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// What a wasmtime store holds: the core's host state and the instance's
/// memory and gas counter, looked up once after instantiation (the start
/// function runs later, as an export, so host calls always find them).
struct StoreData {
    host: HostState,
    memory: Option<Memory>,
    gas: Option<Global>,
}

impl std::fmt::Debug for WasmtimeBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmtimeBackend").finish_non_exhaustive()
    }
}

impl Default for WasmtimeBackend {
    fn default() -> Self {
        Self::new()
    }
}

impl WasmtimeBackend {
    /// A backend with its own engine and the ABI linked.
    ///
    /// # Panics
    ///
    /// Only if wasmtime rejects this fixed configuration or the ABI table's
    /// signatures, which is a bug caught by every test.
    pub fn new() -> Self {
        let mut config = wasmtime::Config::new();
        // Features are checked by preparation; the engine only needs to
        // accept what preparation allows.
        config.wasm_simd(false).wasm_relaxed_simd(false);
        // Room for the deterministic stack limit to trip first: 32 bytes of
        // native stack per instrumentation unit.
        config
            .max_wasm_stack(ModuleLimits::MAX_STACK_HEIGHT as usize * NATIVE_BYTES_PER_STACK_UNIT);
        // The wall-clock safety net: loop headers and function entries check
        // the epoch.
        config.epoch_interruption(true);
        let engine = Engine::new(&config).expect("a fixed wasmtime configuration is valid");
        let mut linker = Linker::new(&engine);
        for &function in HostFunction::ALL {
            link(&mut linker, &engine, function).expect("ABI table imports link");
        }
        let _ticker = EpochTicker::start(&engine);
        Self {
            engine,
            linker,
            _ticker,
        }
    }
}

/// Native stack bytes allowed per stack-height unit of the instrumentation.
const NATIVE_BYTES_PER_STACK_UNIT: usize = 32;

/// Links one ABI function as a host function forwarding to the core.
fn link(
    linker: &mut Linker<StoreData>,
    engine: &Engine,
    function: HostFunction,
) -> wasmtime::Result<()> {
    let params = vec![ValType::I64; function.param_count()];
    let results = vec![ValType::I64; function.result_count()];
    let ty = FuncType::new(engine, params, results);
    linker.func_new(
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
                Some(global) => global.get(&mut caller).i64().unwrap_or_default(),
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
                Err(abort) => Err(wasmtime::Error::new(abort)),
            }
        },
    )?;
    Ok(())
}

struct WasmtimeModule {
    pre: InstancePre<StoreData>,
    gas_export: Option<String>,
    stack_export: Option<String>,
    start_export: Option<String>,
}

impl Backend for WasmtimeBackend {
    fn name(&self) -> &'static str {
        "wasmtime"
    }

    fn compile(
        &self,
        module: &PreparedModule,
    ) -> Result<Box<dyn CompiledModule>, NonDeterministic> {
        let compiled = Module::new(&self.engine, module.code())
            .map_err(|e| NonDeterministic::EngineError(format!("wasmtime compile: {e:#}")))?;
        let pre = self
            .linker
            .instantiate_pre(&compiled)
            .map_err(|e| NonDeterministic::EngineError(format!("wasmtime link: {e:#}")))?;
        Ok(Box::new(WasmtimeModule {
            pre,
            gas_export: module.gas_export().map(str::to_owned),
            stack_export: module.stack_export().map(str::to_owned),
            start_export: module.start_export().map(str::to_owned),
        }))
    }
}

impl CompiledModule for WasmtimeModule {
    fn instantiate_raw(&self) -> Result<Box<dyn runtime_core::RawInstance>, EngineFailure> {
        raw::instantiate(
            self.pre.module(),
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
        let deadline = data.host.deadline();
        let mut store = Store::new(self.pre.module().engine(), data);
        store.set_epoch_deadline(match deadline {
            Some(deadline) => {
                let left = deadline.saturating_duration_since(Instant::now());
                (left.as_nanos() / EPOCH_TICK.as_nanos()) as u64 + 1
            }
            None => u64::MAX,
        });
        store.epoch_deadline_trap();
        let result = (|| {
            let instance = {
                let _span = tracing::debug_span!(target: "runtime::instantiate", "instantiate", backend = "wasmtime").entered();
                self.pre.instantiate(&mut store)?
            };
            let memory = instance.get_memory(&mut store, MEMORY_EXPORT);
            let gas = self
                .gas_export
                .as_deref()
                .and_then(|name| instance.get_global(&mut store, name));
            store.data_mut().memory = memory;
            store.data_mut().gas = gas;
            if let Some(gas) = gas {
                let left = store.data().host.guest_gas();
                gas.set(&mut store, Val::I64(left))?;
            }
            for &export in exports {
                let func = instance.get_typed_func::<(), ()>(&mut store, export)?;
                let _span = tracing::debug_span!(target: "runtime::guest", "call", backend = "wasmtime", export).entered();
                func.call(&mut store, ())?;
            }
            Ok(())
        })();
        let final_gas = store.data().gas.and_then(|gas| gas.get(&mut store).i64());
        let mut data = store.into_data();
        if let Some(gas) = final_gas {
            data.host.end_guest(gas);
        }
        RunResult {
            result: result.map_err(|e| map_error(&e)),
            host: data.host,
        }
    }
}

mod raw;

/// Whether `error` carries the core's [`HostAbort`] marker.
fn is_host_abort(error: &wasmtime::Error) -> bool {
    error.is::<HostAbort>()
}
