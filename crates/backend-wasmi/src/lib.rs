//! The wasmi interpreter behind the `runtime-core`
//! [`Backend`] trait.
//!
//! Thin by design: it compiles (eagerly), instantiates with every import
//! linked to [`call_import`] by its index in the runtime's host-function
//! table, calls exports in fuel slices (its wall-clock timeout), and maps
//! traps with one match ([`map_error`]). The execution protocol,
//! preparation, gas, host logic and outcomes are the core's.
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

use std::sync::Arc;
use std::time::Instant;

use host_abi::MEMORY_EXPORT;
use runtime_core::backend::{
    Backend, EngineFailure, EngineInstance, EngineModule, Failed, GuestMemory, HostState,
    ImportCaller, call_import, call_import_i64,
};
use runtime_core::{
    FuncSig, HostFunctions, ModuleLimits, NonDeterministic, PreparedModule, ValType, WasmValue,
};
use wasmi::{
    Caller, CompilationMode, Engine, Func, FuncType, Global, Instance, Linker, Memory, Module,
    ResumableCall, Store, Val,
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
/// memory and gas counter, looked up once after instantiation.
struct StoreData {
    host: HostState,
    memory: Option<Memory>,
    gas: Option<Global>,
}

/// Runs prepared modules on the wasmi interpreter.
#[derive(Clone)]
pub struct WasmiBackend {
    engine: Engine,
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

/// Fuel per slice between two looks at the clock.
const FUEL_SLICE: u64 = 10_000_000;

impl WasmiBackend {
    /// A backend with its own engine.
    pub fn new() -> Self {
        let mut config = wasmi::Config::default();
        // Room for the deterministic stack limit to trip first: every call
        // costs at least FRAME_OVERHEAD units, and each unit is at most one
        // value slot of 8 bytes (times 4 for wasmi's own registers).
        config.set_max_recursion_depth(ModuleLimits::MAX_STACK_HEIGHT as usize);
        config.set_max_stack_height(ModuleLimits::MAX_STACK_HEIGHT as usize * 32);
        // Translate every function when the module is compiled: lazy
        // translation costs fuel at the first call, which would make
        // whether a valid module runs depend on where a fuel slice ends.
        config.compilation_mode(CompilationMode::Eager);
        // The wall-clock safety net: wasmi cannot be interrupted from
        // another thread, so calls run in slices of fuel (not the project's
        // gas, which is instrumented) and the deadline is checked between
        // slices (host calls check it too, in the core).
        config.consume_fuel(true);
        Self {
            engine: Engine::new(&config),
        }
    }
}

/// An import body's view of its caller.
struct WasmiCaller<'a, 'b>(&'a mut Caller<'b, StoreData>);

impl ImportCaller for WasmiCaller<'_, '_> {
    fn gas(&mut self) -> i64 {
        match self.0.data().gas {
            Some(global) => global.get(&*self.0).i64().unwrap_or_default(),
            None => self.0.data().host.guest_gas(),
        }
    }

    fn set_gas(&mut self, gas: i64) {
        if let Some(global) = self.0.data().gas {
            // The global is the instrumentation's mutable i64.
            let _ = global.set(&mut *self.0, Val::I64(gas));
        }
    }

    fn with_host<R>(&mut self, f: impl FnOnce(&mut HostState, &mut dyn GuestMemory) -> R) -> R {
        match self.0.data().memory {
            Some(memory) => {
                let (mut bytes, data) = memory.data_and_store_mut(&mut *self.0);
                f(&mut data.host, &mut bytes)
            }
            None => f(&mut self.0.data_mut().host, &mut &mut [][..]),
        }
    }
}

fn val_type(t: ValType) -> wasmi::ValType {
    match t {
        ValType::I32 => wasmi::ValType::I32,
        ValType::I64 => wasmi::ValType::I64,
        ValType::F32 => wasmi::ValType::F32,
        ValType::F64 => wasmi::ValType::F64,
    }
}

fn to_val(v: WasmValue) -> Val {
    match v {
        WasmValue::I32(x) => Val::I32(x),
        WasmValue::I64(x) => Val::I64(x),
        WasmValue::F32(bits) => Val::F32(wasmi::F32::from_bits(bits)),
        WasmValue::F64(bits) => Val::F64(wasmi::F64::from_bits(bits)),
    }
}

fn from_val(v: &Val) -> Option<WasmValue> {
    match v {
        Val::I32(x) => Some(WasmValue::I32(*x)),
        Val::I64(x) => Some(WasmValue::I64(*x)),
        Val::F32(x) => Some(WasmValue::F32(x.to_bits())),
        Val::F64(x) => Some(WasmValue::F64(x.to_bits())),
        _ => None,
    }
}

/// A linker with every host function of `imports`, each forwarding to
/// [`call_import`] with its index: all-`i64` signatures (the whole guest
/// ABI) through typed closures, with no allocation per call; any other
/// signature (an embedder's) through wasmi's dynamic `func_new`.
fn linker(engine: &Engine, imports: &HostFunctions) -> Result<Linker<StoreData>, wasmi::Error> {
    let mut linker = Linker::new(engine);
    for (index, entry) in imports.entries().iter().enumerate() {
        let sig = entry.sig();
        if link_i64(&mut linker, entry.module(), entry.name(), index, sig)? {
            continue;
        }
        let ty = FuncType::new(
            sig.params.iter().map(|t| val_type(*t)),
            sig.results.iter().map(|t| val_type(*t)),
        );
        linker.func_new(
            entry.module(),
            entry.name(),
            ty,
            move |mut caller: Caller<'_, StoreData>, params: &[Val], results: &mut [Val]| {
                // The engine enforces the import's signature.
                let args: Vec<WasmValue> = params.iter().filter_map(from_val).collect();
                let mut out = vec![WasmValue::I64(0); results.len()];
                call_import(&mut WasmiCaller(&mut caller), index, &args, &mut out)
                    .map_err(|_| wasmi::Error::host(Aborted))?;
                for (slot, value) in results.iter_mut().zip(out) {
                    *slot = to_val(value);
                }
                Ok(())
            },
        )?;
    }
    Ok(linker)
}

/// Links an all-`i64` signature ([`FuncSig::i64_shape`]) of up to 5
/// parameters as a typed closure; `false` for any other signature.
fn link_i64(
    linker: &mut Linker<StoreData>,
    module: &str,
    name: &str,
    index: usize,
    sig: &FuncSig,
) -> Result<bool, wasmi::Error> {
    let Some((params, has_result)) = sig.i64_shape() else {
        return Ok(false);
    };
    type C<'a> = Caller<'a, StoreData>;
    macro_rules! wrap {
        ($($a:ident),*) => {
            if has_result {
                linker.func_wrap(module, name, move |mut c: C<'_>, $($a: i64),*| {
                    call_import_i64(&mut WasmiCaller(&mut c), index, [$($a),*], true)
                        .map_err(|_| wasmi::Error::host(Aborted))
                })?
            } else {
                linker.func_wrap(module, name, move |mut c: C<'_>, $($a: i64),*| {
                    call_import_i64(&mut WasmiCaller(&mut c), index, [$($a),*], false)
                        .map(|_| ())
                        .map_err(|_| wasmi::Error::host(Aborted))
                })?
            }
        };
    }
    match params {
        0 => wrap!(),
        1 => wrap!(a),
        2 => wrap!(a, b),
        3 => wrap!(a, b, c2),
        4 => wrap!(a, b, c2, d),
        5 => wrap!(a, b, c2, d, e),
        _ => return Ok(false),
    };
    Ok(true)
}

impl Backend for WasmiBackend {
    fn name(&self) -> &'static str {
        "wasmi"
    }

    fn engine_id(&self) -> String {
        format!(
            "wasmi-2 eager fuel max_recursion={}",
            ModuleLimits::MAX_STACK_HEIGHT
        )
    }

    fn compile(
        &self,
        module: &PreparedModule,
        imports: &HostFunctions,
    ) -> Result<Arc<dyn EngineModule>, NonDeterministic> {
        let compiled = Module::new(&self.engine, module.code())
            .map_err(|e| NonDeterministic::EngineError(format!("wasmi compile: {e}")))?;
        let linker = linker(&self.engine, imports)
            .map_err(|e| NonDeterministic::EngineError(format!("wasmi link: {e}")))?;
        Ok(Arc::new(WasmiModule {
            gas_export: module.gas_export().map(str::to_owned),
            stack_export: module.stack_export().map(str::to_owned),
            engine: self.engine.clone(),
            linker,
            module: compiled,
        }))
    }

    fn native_stack_required(&self) -> usize {
        // The interpreter keeps wasm frames on its own heap stack; only host
        // frames use the thread's.
        512 << 10
    }
}

struct WasmiModule {
    gas_export: Option<String>,
    stack_export: Option<String>,
    engine: Engine,
    linker: Linker<StoreData>,
    module: Module,
}

impl EngineModule for WasmiModule {
    fn instantiate(&self, host: HostState) -> Result<Box<dyn EngineInstance>, Box<Failed>> {
        let data = StoreData {
            host,
            memory: None,
            gas: None,
        };
        let mut store = Store::new(&self.engine, data);
        // Preparation removed the start section, so nothing runs here but
        // data and element initialisation.
        let instance = match self.linker.instantiate_and_start(&mut store, &self.module) {
            Ok(instance) => instance,
            Err(e) => return Err(Box::new((map_error(&e), store.into_data().host))),
        };
        let global = |store: &Store<StoreData>, name: &Option<String>| {
            name.as_deref()
                .and_then(|name| instance.get_global(store, name))
        };
        let gas = global(&store, &self.gas_export);
        let stack = global(&store, &self.stack_export);
        let memory = instance.get_memory(&store, MEMORY_EXPORT);
        store.data_mut().memory = memory;
        store.data_mut().gas = gas;
        Ok(Box::new(WasmiInstance {
            store,
            instance,
            gas,
            stack,
        }))
    }
}

struct WasmiInstance {
    store: Store<StoreData>,
    instance: Instance,
    gas: Option<Global>,
    stack: Option<Global>,
}

fn set_global(
    store: &mut Store<StoreData>,
    global: Option<Global>,
    value: Val,
) -> Result<(), EngineFailure> {
    match global {
        Some(global) => global
            .set(store, value)
            .map_err(|e| EngineFailure::engine(format!("wasmi global: {e}"))),
        None => Ok(()),
    }
}

impl EngineInstance for WasmiInstance {
    fn call(
        &mut self,
        export: &str,
        args: &[WasmValue],
        results: &mut Vec<WasmValue>,
    ) -> Result<(), EngineFailure> {
        let func = self
            .instance
            .get_func(&self.store, export)
            .ok_or_else(|| EngineFailure::engine(format!("no exported function {export:?}")))?;
        let args: Vec<Val> = args.iter().copied().map(to_val).collect();
        let mut out: Vec<Val> = func
            .ty(&self.store)
            .results()
            .iter()
            .map(|t| Val::default_for_ty(*t))
            .collect();
        call_with_deadline(&mut self.store, &func, &args, &mut out)?;
        for v in &out {
            results.push(from_val(v).ok_or_else(|| EngineFailure::engine("a non-number result"))?);
        }
        Ok(())
    }

    fn gas(&mut self) -> Option<i64> {
        self.gas.and_then(|g| g.get(&self.store).i64())
    }

    fn set_gas(&mut self, value: i64) -> Result<(), EngineFailure> {
        set_global(&mut self.store, self.gas, Val::I64(value))
    }

    fn set_stack_height(&mut self, value: i32) -> Result<(), EngineFailure> {
        set_global(&mut self.store, self.stack, Val::I32(value))
    }

    fn memory(&mut self, export: &str) -> Option<Vec<u8>> {
        let memory = self.instance.get_memory(&self.store, export)?;
        Some(memory.data(&self.store).to_vec())
    }

    fn global(&mut self, export: &str) -> Option<WasmValue> {
        let global = self.instance.get_global(&self.store, export)?;
        from_val(&global.get(&self.store))
    }

    fn host(&mut self) -> &mut HostState {
        &mut self.store.data_mut().host
    }

    fn into_host(self: Box<Self>) -> HostState {
        self.store.into_data().host
    }
}

/// Calls `func` in slices of fuel until it returns, traps, or the deadline
/// of the host state passes.
fn call_with_deadline(
    store: &mut Store<StoreData>,
    func: &Func,
    args: &[Val],
    out: &mut [Val],
) -> Result<(), EngineFailure> {
    let deadline = store.data().host.deadline();
    let refuel =
        |store: &mut Store<StoreData>| store.set_fuel(FUEL_SLICE).map_err(|e| map_error(&e));
    refuel(store)?;
    let mut call = func
        .call_resumable(&mut *store, args, out)
        .map_err(|e| map_error(&e))?;
    loop {
        match call {
            ResumableCall::Finished => return Ok(()),
            ResumableCall::HostTrap(trap) => return Err(map_error(trap.host_error())),
            ResumableCall::OutOfFuel(out_of_fuel) => {
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    return Err(EngineFailure::NonDeterministic(NonDeterministic::Timeout));
                }
                refuel(store)?;
                call = out_of_fuel
                    .resume(&mut *store, out)
                    .map_err(|e| map_error(&e))?;
            }
        }
    }
}

/// Whether `error` carries the abort marker.
fn is_host_abort(error: &wasmi::Error) -> bool {
    error.downcast_ref::<Aborted>().is_some()
}
