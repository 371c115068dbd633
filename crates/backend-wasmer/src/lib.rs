//! The wasmer engine (Cranelift by default, Singlepass selectable) behind the
//! `runtime-core` [`Backend`] trait.
//!
//! Thin by design: it compiles, instantiates with each of the module's
//! imports linked to [`call_import`] by its index in the runtime's
//! host-function table, calls exports, and maps traps with one match
//! ([`map_error`]). The execution protocol, preparation, gas, host logic and
//! outcomes are the core's.
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
//! The wall-clock timeout uses wasmer's store interrupter, armed on the
//! core's shared watchdog thread; wasmer implements the interrupter on Unix
//! only, so elsewhere only gas bounds an execution. Instance memories come
//! from a pool of reserved address ranges, zeroed when given back (`pool`
//! module), instead of one 8 GiB map and unmap per execution.
//!
//! # Features
//!
//! * `singlepass`: also build wasmer's Singlepass compiler, selectable with
//!   `WasmerCompiler::Singlepass`.

mod memory;
mod pool;
mod traps;

use std::sync::Arc;
use std::time::{Duration, Instant};

use host_abi::MEMORY_EXPORT;
use runtime_core::backend::{
    Backend, EngineFailure, EngineInstance, EngineModule, Failed, GuestMemory, HostAbort,
    HostState, ImportCaller, VerifiedArtifact, Watchdog, WatchdogGuard, call_import,
    call_import_i64, resolve_imports,
};
use runtime_core::{HostFunctions, NonDeterministic, PreparedModule, ValType, WasmValue};
use wasmer::sys::NativeEngineExt;
use wasmer::{
    Engine, Function, FunctionEnv, FunctionEnvMut, FunctionType, Global, Imports, Instance, Memory,
    Module, RuntimeError, Store, Type, Value,
};

use memory::ViewMemory;
pub use traps::map_error;

/// How often a timed-out store is interrupted again.
const INTERRUPT_RETRY: Duration = Duration::from_millis(5);

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

/// The version of the wasmer crates this backend is built with (wasmer and
/// wasmer-types are released together; the conformance tests check the
/// engine id against `Cargo.lock`), part of [`Backend::engine_id`].
pub const WASMER_VERSION: &str = wasmer_types::VERSION;

/// Runs prepared modules on wasmer.
pub struct WasmerBackend {
    engine: Engine,
    compiler: WasmerCompiler,
    /// [`Backend::engine_id`], computed once.
    engine_id: String,
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
        let mut engine: Engine = match compiler {
            WasmerCompiler::Cranelift => wasmer::sys::Cranelift::new().into(),
            #[cfg(feature = "singlepass")]
            WasmerCompiler::Singlepass => wasmer::sys::Singlepass::new().into(),
        };
        // Instances' memories come from a pool of reservations instead of
        // one mmap/munmap each (`pool.rs`); compiled code is unchanged.
        engine.set_tunables(pool::PooledTunables::new());
        let target = engine.target();
        let engine_id = format!(
            "wasmer-{WASMER_VERSION} {compiler:?} {} target={} cpu={:?}",
            engine.deterministic_id(),
            target.triple(),
            target.cpu_features().iter().collect::<Vec<_>>(),
        );
        Self {
            engine,
            compiler,
            engine_id,
        }
    }

    /// The module of `compiled`, each import linked to its index in
    /// `imports`.
    fn link(
        &self,
        compiled: Module,
        module: &PreparedModule,
        imports: &HostFunctions,
    ) -> Result<Arc<dyn EngineModule>, NonDeterministic> {
        let names: Vec<(String, String)> = compiled
            .imports()
            .map(|i| (i.module().to_owned(), i.name().to_owned()))
            .collect();
        let indices =
            resolve_imports(imports, names.iter().map(|(m, n)| (m.as_str(), n.as_str())))?;
        let links = names
            .into_iter()
            .zip(indices)
            .map(|((module, name), index)| {
                let sig = imports.entries()[index].sig();
                let types = |ts: &[ValType]| ts.iter().map(|t| val_type(*t)).collect::<Vec<_>>();
                Link {
                    ty: FunctionType::new(types(&sig.params), types(&sig.results)),
                    i64_shape: sig.i64_shape(),
                    module,
                    name,
                    index,
                }
            })
            .collect();
        Ok(Arc::new(WasmerModule {
            gas_export: module.gas_export().map(str::to_owned),
            stack_export: module.stack_export().map(str::to_owned),
            engine: self.engine.clone(),
            module: compiled,
            links,
        }))
    }

    /// The compiler in use.
    pub fn compiler(&self) -> WasmerCompiler {
        self.compiler
    }
}

/// What a wasmer store holds for the host functions.
struct StoreData {
    /// Taken back once the store ends.
    host: Option<HostState>,
    /// The guest's exported memory, set right after instantiation.
    memory: Option<Memory>,
    /// The instrumented gas counter, set with the memory.
    gas: Option<Global>,
}

/// An import body's view of its caller.
struct WasmerCaller<'a>(FunctionEnvMut<'a, StoreData>);

impl ImportCaller for WasmerCaller<'_> {
    fn gas(&mut self) -> i64 {
        let (data, mut store) = self.0.data_and_store_mut();
        match (&data.gas, &data.host) {
            (Some(global), _) => global.get(&mut store).i64().unwrap_or_default(),
            (None, Some(host)) => host.guest_gas(),
            (None, None) => 0,
        }
    }

    fn set_gas(&mut self, gas: i64) {
        let (data, mut store) = self.0.data_and_store_mut();
        if let Some(global) = &data.gas {
            // The global is the instrumentation's mutable i64.
            let _ = global.set(&mut store, Value::I64(gas));
        }
    }

    fn with_host<R>(&mut self, f: impl FnOnce(&mut HostState, &mut dyn GuestMemory) -> R) -> R {
        let (data, store) = self.0.data_and_store_mut();
        let host = data
            .host
            .as_mut()
            .expect("the host state is in the store while the guest runs");
        match &data.memory {
            Some(memory) => f(host, &mut ViewMemory(memory.view(&store))),
            None => f(host, &mut &mut [][..]),
        }
    }
}

fn val_type(t: ValType) -> Type {
    match t {
        ValType::I32 => Type::I32,
        ValType::I64 => Type::I64,
        ValType::F32 => Type::F32,
        ValType::F64 => Type::F64,
    }
}

fn to_value(v: WasmValue) -> Value {
    match v {
        WasmValue::I32(x) => Value::I32(x),
        WasmValue::I64(x) => Value::I64(x),
        WasmValue::F32(bits) => Value::F32(f32::from_bits(bits)),
        WasmValue::F64(bits) => Value::F64(f64::from_bits(bits)),
    }
}

fn from_value(v: &Value) -> Option<WasmValue> {
    match v {
        Value::I32(x) => Some(WasmValue::I32(*x)),
        Value::I64(x) => Some(WasmValue::I64(*x)),
        Value::F32(x) => Some(WasmValue::F32(x.to_bits())),
        Value::F64(x) => Some(WasmValue::F64(x.to_bits())),
        _ => None,
    }
}

impl Backend for WasmerBackend {
    fn name(&self) -> &'static str {
        "wasmer"
    }

    fn engine_id(&self) -> String {
        self.engine_id.clone()
    }

    fn compile(
        &self,
        module: &PreparedModule,
        imports: &HostFunctions,
    ) -> Result<Arc<dyn EngineModule>, NonDeterministic> {
        let compiled = Module::new(&self.engine, module.code())
            .map_err(|e| NonDeterministic::EngineError(format!("wasmer compile: {e}")))?;
        self.link(compiled, module, imports)
    }

    fn serializes(&self) -> bool {
        true
    }

    fn deserialize(
        &self,
        artifact: &VerifiedArtifact,
        module: &PreparedModule,
        imports: &HostFunctions,
    ) -> Result<Arc<dyn EngineModule>, NonDeterministic> {
        let payload = artifact.payload_for(&self.engine_id)?;
        // SAFETY: wasmer requires bytes built by `Module::serialize` (it
        // loads them as native code without validating them). A
        // `VerifiedArtifact` is made only by runtime-core's module cache,
        // after checking that the file's SHA-256 checksum over the payload
        // and the full key (this prepared module's key, this backend's name
        // and engine id) matches; the file was written by that cache from
        // `WasmerModule::serialize` below (`Module::serialize`) on a backend
        // with the same engine id, checked again by `payload_for`. The engine id
        // holds wasmer's version, the compiler, the target triple and the
        // CPU features the code was compiled for.
        let compiled = unsafe { Module::deserialize(&self.engine, payload) }
            .map_err(|e| NonDeterministic::EngineError(format!("wasmer deserialize: {e}")))?;
        self.link(compiled, module, imports)
    }

    fn native_stack_required(&self) -> usize {
        // Wasm runs on wasmer's own stacks; host calls come back to this
        // thread's.
        512 << 10
    }
}

/// One import of a compiled module: where it goes in the host-function
/// table.
struct Link {
    module: String,
    name: String,
    ty: FunctionType,
    /// [`FuncSig::i64_shape`](runtime_core::FuncSig::i64_shape) of the import, found once at link time.
    i64_shape: Option<(usize, bool)>,
    index: usize,
}

struct WasmerModule {
    gas_export: Option<String>,
    stack_export: Option<String>,
    engine: Engine,
    module: Module,
    links: Vec<Link>,
}

impl EngineModule for WasmerModule {
    fn serialize(&self) -> Result<Option<Vec<u8>>, NonDeterministic> {
        self.module
            .serialize()
            .map(|bytes| Some(bytes.to_vec()))
            .map_err(|e| NonDeterministic::EngineError(format!("wasmer serialize: {e}")))
    }

    fn instantiate(&self, host: HostState) -> Result<Box<dyn EngineInstance>, Box<Failed>> {
        let mut store = Store::new(self.engine.clone());
        // The wall-clock safety net: interrupt the store at the deadline, and
        // again every few milliseconds (wasmer may miss one) until the
        // instance ends and the guard disarms it.
        let timeout = host.deadline().map(|deadline| {
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
        for link in &self.links {
            let (index, result_count) = (link.index, link.ty.results().len());
            if let Some(function) = link
                .i64_shape
                .and_then(|shape| typed_i64(&mut store, &env, index, shape))
            {
                imports.define(&link.module, &link.name, function);
                continue;
            }
            let function = Function::new_with_env(
                &mut store,
                &env,
                link.ty.clone(),
                move |env: FunctionEnvMut<'_, StoreData>, params: &[Value]| {
                    // The engine enforces the import's signature.
                    let args: Vec<WasmValue> = params.iter().filter_map(from_value).collect();
                    let mut out = vec![WasmValue::I64(0); result_count];
                    call_import(&mut WasmerCaller(env), index, &args, &mut out)
                        .map_err(|abort| RuntimeError::user(Box::new(abort)))?;
                    Ok(out.into_iter().map(to_value).collect())
                },
            );
            imports.define(&link.module, &link.name, function);
        }
        let instance = match Instance::new(&mut store, &self.module, &imports) {
            Ok(instance) => instance,
            Err(e) => {
                let host = take_host(&env, &mut store);
                return Err(Box::new((traps::map_instantiation_error(e), host)));
            }
        };
        let global = |name: &Option<String>| {
            name.as_deref()
                .and_then(|name| instance.exports.get_global(name).ok().cloned())
        };
        let gas = global(&self.gas_export);
        let stack = global(&self.stack_export);
        let data = env.as_mut(&mut store);
        data.memory = instance.exports.get_memory(MEMORY_EXPORT).ok().cloned();
        data.gas = gas.clone();
        Ok(Box::new(WasmerInstance {
            store,
            env,
            instance,
            gas,
            stack,
            _timeout: timeout,
        }))
    }
}

/// Import `index` as a typed function of its all-`i64` shape
/// ([`FuncSig::i64_shape`](runtime_core::FuncSig::i64_shape); the whole guest ABI): no `Value` vectors per
/// call. `None` past 5 parameters, which go through wasmer's dynamic
/// functions like every other signature.
fn typed_i64(
    store: &mut Store,
    env: &FunctionEnv<StoreData>,
    index: usize,
    (params, has_result): (usize, bool),
) -> Option<Function> {
    type E<'a> = FunctionEnvMut<'a, StoreData>;
    let abort = |abort: HostAbort| RuntimeError::user(Box::new(abort));
    macro_rules! typed {
        ($($a:ident),*) => {
            if has_result {
                Function::new_typed_with_env(store, env, move |e: E<'_>, $($a: i64),*| {
                    call_import_i64(&mut WasmerCaller(e), index, [$($a),*], true).map_err(abort)
                })
            } else {
                Function::new_typed_with_env(store, env, move |e: E<'_>, $($a: i64),*| {
                    call_import_i64(&mut WasmerCaller(e), index, [$($a),*], false)
                        .map(|_| ())
                        .map_err(abort)
                })
            }
        };
    }
    Some(match params {
        0 => typed!(),
        1 => typed!(a),
        2 => typed!(a, b),
        3 => typed!(a, b, c),
        4 => typed!(a, b, c, d),
        5 => typed!(a, b, c, d, f),
        _ => return None,
    })
}

fn take_host(env: &FunctionEnv<StoreData>, store: &mut Store) -> HostState {
    env.as_mut(store)
        .host
        .take()
        .expect("the host state is taken only once, when the store ends")
}

struct WasmerInstance {
    store: Store,
    env: FunctionEnv<StoreData>,
    instance: Instance,
    gas: Option<Global>,
    stack: Option<Global>,
    _timeout: Option<WatchdogGuard>,
}

fn set_global(
    store: &mut Store,
    global: &Option<Global>,
    value: Value,
) -> Result<(), EngineFailure> {
    match global {
        Some(global) => global
            .set(store, value)
            .map_err(|e| EngineFailure::engine(format!("wasmer global: {e}"))),
        None => Ok(()),
    }
}

impl EngineInstance for WasmerInstance {
    fn call(
        &mut self,
        export: &str,
        args: &[WasmValue],
        results: &mut Vec<WasmValue>,
    ) -> Result<(), EngineFailure> {
        let func = self
            .instance
            .exports
            .get_function(export)
            .map_err(|e| EngineFailure::engine(format!("wasmer export {export:?}: {e}")))?;
        let args: Vec<Value> = args.iter().copied().map(to_value).collect();
        let out = func
            .call(&mut self.store, &args)
            .map_err(|e| map_error(&e))?;
        for v in out.iter() {
            results
                .push(from_value(v).ok_or_else(|| EngineFailure::engine("a non-number result"))?);
        }
        Ok(())
    }

    fn gas(&mut self) -> Option<i64> {
        self.gas.as_ref().and_then(|g| g.get(&mut self.store).i64())
    }

    fn set_gas(&mut self, value: i64) -> Result<(), EngineFailure> {
        set_global(&mut self.store, &self.gas, Value::I64(value))
    }

    fn set_stack_height(&mut self, value: i32) -> Result<(), EngineFailure> {
        set_global(&mut self.store, &self.stack, Value::I32(value))
    }

    fn memory(&mut self, export: &str) -> Option<Vec<u8>> {
        let memory = self.instance.exports.get_memory(export).ok()?;
        memory.view(&self.store).copy_to_vec().ok()
    }

    fn global(&mut self, export: &str) -> Option<WasmValue> {
        let global = self.instance.exports.get_global(export).ok()?;
        from_value(&global.get(&mut self.store))
    }

    fn host(&mut self) -> &mut HostState {
        self.env
            .as_mut(&mut self.store)
            .host
            .as_mut()
            .expect("the host state is in the store until the instance ends")
    }

    fn into_host(mut self: Box<Self>) -> HostState {
        take_host(&self.env, &mut self.store)
    }
}
