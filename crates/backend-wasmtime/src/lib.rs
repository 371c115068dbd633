//! The wasmtime engine (Cranelift) behind the `runtime-core`
//! [`Backend`] trait.
//!
//! Thin by design: it compiles, instantiates with every import linked to
//! [`call_import`] by its index in the runtime's host-function table, calls
//! exports, and maps traps with one match ([`map_error`]). The execution
//! protocol, preparation, gas, host logic and outcomes are the core's.
//! Every backend of a process shares one engine with wasmtime's pooling
//! instance allocator ([`WasmtimeBackend`]), and the wall-clock timeout is
//! wasmtime's epoch interruption.
//!
//! ```
//! use std::sync::Arc;
//! use runtime_core::{ExecutionContext, InMemoryStorage, Runtime, Status};
//!
//! let backend = backend_wasmtime::WasmtimeBackend::new().unwrap();
//! let runtime = Runtime::new(Box::new(backend));
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

mod epoch;
mod pool;
mod traps;

use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Instant;

use host_abi::MEMORY_EXPORT;
use runtime_core::backend::{
    Backend, EngineFailure, EngineInstance, EngineModule, Failed, GuestMemory, HostAbort,
    HostState, ImportCaller, VerifiedArtifact, call_import, call_import_i64,
};
use runtime_core::{
    FuncSig, HostFunctions, ModuleLimits, NonDeterministic, PreparedModule, RuntimeError, ValType,
    WasmValue,
};
use sha2::{Digest, Sha256};
use wasmtime::{
    Caller, Engine, FuncType, Global, Instance, InstancePre, Linker, Memory, Store, Val,
};

use epoch::{EPOCH_TICK, EpochTicker};
use pool::{Slot, SlotGate};
pub use traps::map_error;

/// The version of the wasmtime crate this backend is built with (the
/// conformance tests check the engine id against `Cargo.lock`), part of
/// [`Backend::engine_id`].
pub const WASMTIME_VERSION: &str = "48.0.0";

/// Runs prepared modules on wasmtime with Cranelift.
///
/// Every `WasmtimeBackend` of a process shares one engine (with its instance
/// pool and epoch ticker) while any of them, or a module compiled by one,
/// is alive: wasmtime's pool reserves address space for all its slots, so
/// one per runtime would run out of it.
pub struct WasmtimeBackend {
    shared: Arc<SharedEngine>,
}

/// The engine behind every [`WasmtimeBackend`] of the process.
struct SharedEngine {
    engine: Engine,
    /// [`Backend::engine_id`], computed once.
    engine_id: String,
    /// Executions wait here for a pool slot (the pool's fixed size is not a
    /// reason to fail one); `None` with the on-demand allocator.
    slots: Option<Arc<SlotGate>>,
    /// Advances the engine's epoch for the wall-clock timeout.
    _ticker: EpochTicker,
}

impl std::fmt::Debug for WasmtimeBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmtimeBackend").finish_non_exhaustive()
    }
}

/// Native stack bytes allowed per stack-height unit of the instrumentation.
const NATIVE_BYTES_PER_STACK_UNIT: usize = 32;

/// Host frames (the core, the engine's entry trampolines) below wasm.
const HOST_STACK_MARGIN: usize = 512 << 10;

impl SharedEngine {
    fn start() -> Result<Self, RuntimeError> {
        let mut config = wasmtime::Config::new();
        // Features are checked by preparation; the engine only needs to
        // accept what preparation allows.
        config.wasm_simd(false).wasm_relaxed_simd(false);
        // Room for the deterministic stack limit to trip first.
        config
            .max_wasm_stack(ModuleLimits::MAX_STACK_HEIGHT as usize * NATIVE_BYTES_PER_STACK_UNIT);
        // The wall-clock safety net: loop headers and function entries check
        // the epoch.
        config.epoch_interruption(true);
        // Instances come from a pool of pre-reserved slots: no mmap/munmap
        // (and no cross-core TLB shootdown) per execution. A machine that
        // cannot reserve the pool's address space gets the on-demand
        // allocator instead; outcomes are the same either way.
        let mut pooled = config.clone();
        pooled.allocation_strategy(pool::strategy());
        let (engine, slots, allocator) = match Engine::new(&pooled) {
            Ok(engine) => (
                engine,
                Some(Arc::new(SlotGate::new(pool::POOL_SLOTS))),
                "pooling",
            ),
            Err(e) => {
                tracing::warn!(target: "runtime::engine", error = %e, "wasmtime: no instance pool, allocating on demand");
                let engine = Engine::new(&config)
                    .map_err(|e| RuntimeError::InvalidConfig(format!("wasmtime: {e:#}")))?;
                (engine, None, "on-demand")
            }
        };
        let ticker = EpochTicker::start(&engine)?;
        let engine_id = format!(
            "wasmtime-{WASMTIME_VERSION} cranelift max_wasm_stack={} epochs {allocator} target={}-{} compat={}",
            ModuleLimits::MAX_STACK_HEIGHT as usize * NATIVE_BYTES_PER_STACK_UNIT,
            std::env::consts::ARCH,
            std::env::consts::OS,
            compatibility_digest(&engine),
        );
        Ok(Self {
            engine,
            engine_id,
            slots,
            _ticker: ticker,
        })
    }
}

impl WasmtimeBackend {
    /// A backend on the process's shared engine, started if none is alive.
    ///
    /// # Errors
    ///
    /// [`RuntimeError::Resources`] if the ticker thread cannot start, or
    /// [`RuntimeError::InvalidConfig`] if wasmtime refuses the configuration.
    pub fn new() -> Result<Self, RuntimeError> {
        static SHARED: Mutex<Weak<SharedEngine>> = Mutex::new(Weak::new());
        let mut current = SHARED.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(shared) = current.upgrade() {
            return Ok(Self { shared });
        }
        let shared = Arc::new(SharedEngine::start()?);
        *current = Arc::downgrade(&shared);
        Ok(Self { shared })
    }

    /// The module of `compiled`, linked to `imports`.
    fn link(
        &self,
        compiled: &wasmtime::Module,
        module: &PreparedModule,
        imports: &HostFunctions,
    ) -> Result<Arc<dyn EngineModule>, NonDeterministic> {
        let pre = linker(&self.shared.engine, imports)
            .and_then(|linker| linker.instantiate_pre(compiled))
            .map_err(|e| engine_error("link", e))?;
        Ok(Arc::new(WasmtimeModule {
            pre,
            gas_export: module.gas_export().map(str::to_owned),
            stack_export: module.stack_export().map(str::to_owned),
            shared: self.shared.clone(),
        }))
    }
}

fn engine_error(what: &str, e: wasmtime::Error) -> NonDeterministic {
    NonDeterministic::EngineError(format!("wasmtime {what}: {e:#}"))
}

/// Wasmtime's own compatibility hash of precompiled code (its crate
/// version, the target triple, Cranelift's flags and the host CPU features
/// it compiles for, tunables, wasm features), fed to SHA-256: the first
/// 16 bytes, hex.
fn compatibility_digest(engine: &Engine) -> String {
    use std::hash::{Hash, Hasher};
    struct Sha(Sha256);
    impl Hasher for Sha {
        fn write(&mut self, bytes: &[u8]) {
            self.0.update(bytes);
        }
        fn finish(&self) -> u64 {
            let digest = self.0.clone().finalize();
            u64::from_le_bytes(digest[..8].try_into().unwrap_or_default())
        }
    }
    let mut hasher = Sha(Sha256::new());
    engine.precompile_compatibility_hash().hash(&mut hasher);
    hasher.0.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What a wasmtime store holds: the core's host state and the instance's
/// memory and gas counter, looked up once after instantiation.
struct StoreData {
    host: HostState,
    memory: Option<Memory>,
    gas: Option<Global>,
}

/// An import body's view of its caller.
struct WasmtimeCaller<'a, 'b>(&'a mut Caller<'b, StoreData>);

impl ImportCaller for WasmtimeCaller<'_, '_> {
    fn gas(&mut self) -> i64 {
        match self.0.data().gas {
            Some(global) => global.get(&mut *self.0).i64().unwrap_or_default(),
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

fn val_type(t: ValType) -> wasmtime::ValType {
    match t {
        ValType::I32 => wasmtime::ValType::I32,
        ValType::I64 => wasmtime::ValType::I64,
        ValType::F32 => wasmtime::ValType::F32,
        ValType::F64 => wasmtime::ValType::F64,
    }
}

fn to_val(v: WasmValue) -> Val {
    match v {
        WasmValue::I32(x) => Val::I32(x),
        WasmValue::I64(x) => Val::I64(x),
        WasmValue::F32(bits) => Val::F32(bits),
        WasmValue::F64(bits) => Val::F64(bits),
    }
}

fn from_val(v: &Val) -> Option<WasmValue> {
    match v {
        Val::I32(x) => Some(WasmValue::I32(*x)),
        Val::I64(x) => Some(WasmValue::I64(*x)),
        Val::F32(bits) => Some(WasmValue::F32(*bits)),
        Val::F64(bits) => Some(WasmValue::F64(*bits)),
        _ => None,
    }
}

/// A linker with every host function of `imports`, each forwarding to
/// [`call_import`] with its index: all-`i64` signatures (the whole guest
/// ABI) through typed closures, with no allocation per call; any other
/// signature (an embedder's) through wasmtime's dynamic `func_new`.
fn linker(engine: &Engine, imports: &HostFunctions) -> wasmtime::Result<Linker<StoreData>> {
    let mut linker = Linker::new(engine);
    for (index, entry) in imports.entries().iter().enumerate() {
        let sig = entry.sig();
        if link_i64(&mut linker, entry.module(), entry.name(), index, sig)? {
            continue;
        }
        let ty = FuncType::new(
            engine,
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
                call_import(&mut WasmtimeCaller(&mut caller), index, &args, &mut out)
                    .map_err(wasmtime::Error::new)?;
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
) -> wasmtime::Result<bool> {
    let Some((params, has_result)) = sig.i64_shape() else {
        return Ok(false);
    };
    type C<'a> = Caller<'a, StoreData>;
    macro_rules! wrap {
        ($($a:ident),*) => {
            if has_result {
                linker.func_wrap(module, name, move |mut c: C<'_>, $($a: i64),*| {
                    call_import_i64(&mut WasmtimeCaller(&mut c), index, [$($a),*], true)
                        .map_err(wasmtime::Error::new)
                })?
            } else {
                linker.func_wrap(module, name, move |mut c: C<'_>, $($a: i64),*| {
                    call_import_i64(&mut WasmtimeCaller(&mut c), index, [$($a),*], false)
                        .map(|_| ())
                        .map_err(wasmtime::Error::new)
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

impl Backend for WasmtimeBackend {
    fn name(&self) -> &'static str {
        "wasmtime"
    }

    fn engine_id(&self) -> String {
        self.shared.engine_id.clone()
    }

    fn compile(
        &self,
        module: &PreparedModule,
        imports: &HostFunctions,
    ) -> Result<Arc<dyn EngineModule>, NonDeterministic> {
        let compiled = wasmtime::Module::new(&self.shared.engine, module.code())
            .map_err(|e| engine_error("compile", e))?;
        self.link(&compiled, module, imports)
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
        let payload = artifact.payload_for(&self.shared.engine_id)?;
        // SAFETY: wasmtime requires bytes produced by `Module::serialize` of
        // a compatible engine, unmodified. A `VerifiedArtifact` is made only
        // by runtime-core's module cache, after checking that the file's
        // SHA-256 checksum over the payload and the full key (this prepared
        // module's key, this backend's name and engine id) matches; the file
        // was written by that cache from `WasmtimeModule::serialize` below
        // (`Module::serialize`) on a backend with the same engine id, checked
        // again just above. The engine id holds wasmtime's version and its
        // own precompile compatibility hash, so the engine is compatible.
        let compiled = unsafe { wasmtime::Module::deserialize(&self.shared.engine, payload) }
            .map_err(|e| engine_error("deserialize", e))?;
        self.link(&compiled, module, imports)
    }

    fn native_stack_required(&self) -> usize {
        ModuleLimits::MAX_STACK_HEIGHT as usize * NATIVE_BYTES_PER_STACK_UNIT + HOST_STACK_MARGIN
    }
}

struct WasmtimeModule {
    pre: InstancePre<StoreData>,
    gas_export: Option<String>,
    stack_export: Option<String>,
    /// The engine (its pool and ticker) lives as long as its modules.
    shared: Arc<SharedEngine>,
}

impl EngineModule for WasmtimeModule {
    fn serialize(&self) -> Result<Option<Vec<u8>>, NonDeterministic> {
        self.pre
            .module()
            .serialize()
            .map(Some)
            .map_err(|e| engine_error("serialize", e))
    }

    fn instantiate(&self, host: HostState) -> Result<Box<dyn EngineInstance>, Box<Failed>> {
        // Taken before the store, given back after it (field order of
        // `WasmtimeInstance`).
        let slot = self.shared.slots.as_ref().map(SlotGate::acquire);
        let deadline = host.deadline();
        let mut store = Store::new(
            self.pre.module().engine(),
            StoreData {
                host,
                memory: None,
                gas: None,
            },
        );
        // A delta in ticks from the current epoch. The first tick comes
        // anywhere within one tick from now, each later one at least a tick
        // after the last, so `ceil(left / tick) + 1` ticks never end before
        // the deadline (the timeout never fires early, as on the other
        // engines, which compare with the clock). "No timeout" is a delta
        // far away that cannot wrap when added to the epoch.
        store.set_epoch_deadline(match deadline {
            Some(deadline) => {
                let left = deadline.saturating_duration_since(Instant::now());
                u64::try_from(left.as_nanos().div_ceil(EPOCH_TICK.as_nanos()))
                    .unwrap_or(u64::MAX / 4)
                    .min(u64::MAX / 4)
                    + 1
            }
            None => u64::MAX / 2,
        });
        store.epoch_deadline_trap();
        let instance = match self.pre.instantiate(&mut store) {
            Ok(instance) => instance,
            Err(e) => return Err(Box::new((map_error(&e), store.into_data().host))),
        };
        let global = |store: &mut Store<StoreData>, name: &Option<String>| {
            name.as_deref()
                .and_then(|name| instance.get_global(&mut *store, name))
        };
        let gas = global(&mut store, &self.gas_export);
        let stack = global(&mut store, &self.stack_export);
        let memory = instance.get_memory(&mut store, MEMORY_EXPORT);
        store.data_mut().memory = memory;
        store.data_mut().gas = gas;
        Ok(Box::new(WasmtimeInstance {
            store,
            instance,
            gas,
            stack,
            _slot: slot,
        }))
    }
}

struct WasmtimeInstance {
    store: Store<StoreData>,
    instance: Instance,
    gas: Option<Global>,
    stack: Option<Global>,
    /// The pool slot, given back when the store (declared first) is gone.
    _slot: Option<Slot>,
}

fn set_global(
    store: &mut Store<StoreData>,
    global: Option<Global>,
    value: Val,
) -> Result<(), EngineFailure> {
    match global {
        Some(global) => global
            .set(store, value)
            .map_err(|e| EngineFailure::engine(format!("wasmtime global: {e:#}"))),
        None => Ok(()),
    }
}

impl EngineInstance for WasmtimeInstance {
    fn call(
        &mut self,
        export: &str,
        args: &[WasmValue],
        results: &mut Vec<WasmValue>,
    ) -> Result<(), EngineFailure> {
        let func = self
            .instance
            .get_func(&mut self.store, export)
            .ok_or_else(|| EngineFailure::engine(format!("no exported function {export:?}")))?;
        let args: Vec<Val> = args.iter().copied().map(to_val).collect();
        let mut out: Vec<Val> = func
            .ty(&self.store)
            .results()
            .map(|_| Val::I32(0))
            .collect();
        func.call(&mut self.store, &args, &mut out)
            .map_err(|e| map_error(&e))?;
        for v in &out {
            results.push(from_val(v).ok_or_else(|| EngineFailure::engine("a non-number result"))?);
        }
        Ok(())
    }

    fn gas(&mut self) -> Option<i64> {
        self.gas.and_then(|g| g.get(&mut self.store).i64())
    }

    fn set_gas(&mut self, value: i64) -> Result<(), EngineFailure> {
        set_global(&mut self.store, self.gas, Val::I64(value))
    }

    fn set_stack_height(&mut self, value: i32) -> Result<(), EngineFailure> {
        set_global(&mut self.store, self.stack, Val::I32(value))
    }

    fn memory(&mut self, export: &str) -> Option<Vec<u8>> {
        let memory = self.instance.get_memory(&mut self.store, export)?;
        Some(memory.data(&self.store).to_vec())
    }

    fn global(&mut self, export: &str) -> Option<WasmValue> {
        let global = self.instance.get_global(&mut self.store, export)?;
        from_val(&global.get(&mut self.store))
    }

    fn host(&mut self) -> &mut HostState {
        &mut self.store.data_mut().host
    }

    fn into_host(self: Box<Self>) -> HostState {
        let this = *self;
        // The store (and its instance's slot in the pool) ends here, before
        // `this._slot` is given back at the end of the function.
        this.store.into_data().host
    }
}

/// Whether `error` carries the core's [`HostAbort`] marker.
fn is_host_abort(error: &wasmtime::Error) -> bool {
    error.is::<HostAbort>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_engine_id_holds_the_compatibility_digest() {
        let backend = WasmtimeBackend::new().unwrap();
        let id = backend.engine_id();
        assert!(
            id.starts_with(&format!("wasmtime-{WASMTIME_VERSION} ")),
            "{id}"
        );
        assert!(id.ends_with(&format!(
            " compat={}",
            compatibility_digest(&backend.shared.engine)
        )));
        // Stable across engines of one configuration.
        assert_eq!(id, WasmtimeBackend::new().unwrap().engine_id());
    }

    #[test]
    fn another_configuration_changes_the_compatibility_digest() {
        let mut config = wasmtime::Config::new();
        config.wasm_simd(false).wasm_relaxed_simd(false);
        let plain = Engine::new(&config).unwrap();
        config.epoch_interruption(true);
        let epochs = Engine::new(&config).unwrap();
        assert_ne!(compatibility_digest(&plain), compatibility_digest(&epochs));
    }
}
