//! Modules by name: load once, run many times, from any thread.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Weak};

use parking_lot::{Mutex, RwLock};

use crate::context::ExecutionContext;
use crate::error::RuntimeError;
use crate::outcome::Outcome;
use crate::runtime::{Module, Runtime};
use crate::storage::Storage;
use crate::value::{FuncSig, WasmValue};

/// What [`ModuleRegistry::list`] tells about a loaded module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleInfo {
    /// The name it was loaded under.
    pub name: String,
    /// The prepared module's cache key, hex.
    pub hash: String,
    /// The size of the original binary, in bytes.
    pub size: usize,
    /// Its exported functions and their signatures.
    pub exports: BTreeMap<String, FuncSig>,
}

struct Entry {
    module: Arc<Module>,
    size: usize,
}

/// Modules of one [`Runtime`] under names: load from bytes (prepared once,
/// compiled once; the same bytes under two names compile once), list,
/// replace, unload, execute by name. Share it across threads (`Arc`).
///
/// ```
/// use std::sync::Arc;
/// use runtime_core::{ExecutionContext, InMemoryStorage, ModuleRegistry, Runtime, Status};
/// # fn demo(runtime: Runtime) {
/// let registry = ModuleRegistry::new(runtime);
/// let wasm = wat::parse_str(r#"(module (func (export "main")))"#).unwrap();
/// registry.load("a", &wasm).unwrap();
/// registry.load("b", &wasm).unwrap(); // compiled once for both
/// assert_eq!(registry.list().len(), 2);
/// let outcome = registry
///     .execute("a", "main", &ExecutionContext::default(), Arc::new(InMemoryStorage::new()))
///     .unwrap();
/// assert_eq!(outcome.status(), Status::Ok);
/// registry.unload("a").unwrap();
/// assert!(registry.unload("a").is_err()); // unknown now: a clear error
/// # }
/// ```
pub struct ModuleRegistry {
    runtime: Runtime,
    modules: RwLock<HashMap<String, Entry>>,
    /// Compiled modules by prepared key, shared by every name that loaded
    /// the same bytes; each slot is filled once, by one compilation.
    compiled: Mutex<HashMap<[u8; 32], Weak<Module>>>,
    /// Held while a key is being compiled, so concurrent loads of the same
    /// bytes wait for the one compilation.
    compiling: Mutex<HashMap<[u8; 32], Arc<Mutex<()>>>>,
}

impl std::fmt::Debug for ModuleRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModuleRegistry")
            .field("runtime", &self.runtime)
            .field("modules", &self.modules.read().len())
            .finish()
    }
}

impl ModuleRegistry {
    /// An empty registry over `runtime`.
    pub fn new(runtime: Runtime) -> Self {
        Self {
            runtime,
            modules: RwLock::new(HashMap::new()),
            compiled: Mutex::new(HashMap::new()),
            compiling: Mutex::new(HashMap::new()),
        }
    }

    /// The runtime.
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// Prepares and compiles `wasm`, or reuses the module already compiled
    /// from the same bytes.
    ///
    /// # Errors
    ///
    /// [`RuntimeError::Registry`] with the rejection if preparation refuses
    /// the module.
    pub fn compile(&self, wasm: &[u8]) -> Result<Arc<Module>, RuntimeError> {
        let prepared = self
            .runtime
            .prepare(wasm)
            .map_err(|r| RuntimeError::Registry(format!("module rejected: {r}")))?;
        Ok(self.compile_prepared(prepared))
    }

    fn compile_prepared(&self, prepared: crate::prepare::PreparedModule) -> Arc<Module> {
        let key = prepared.key();
        if let Some(module) = self.compiled.lock().get(&key).and_then(Weak::upgrade) {
            return module;
        }
        let gate = self.compiling.lock().entry(key).or_default().clone();
        let module = {
            let _compiling = gate.lock();
            // Bound first: the guard must not live into the match arms.
            let done = self.compiled.lock().get(&key).and_then(Weak::upgrade);
            match done {
                // Compiled by the thread this one waited for.
                Some(module) => module,
                None => {
                    let module = Arc::new(self.runtime.compile(prepared));
                    let mut compiled = self.compiled.lock();
                    compiled.retain(|_, m| m.strong_count() > 0);
                    compiled.insert(key, Arc::downgrade(&module));
                    module
                }
            }
        };
        // Whoever leaves last removes the gate (on every path, so gates do
        // not pile up): the map's reference and this one are all that is
        // left of it.
        let mut compiling = self.compiling.lock();
        if compiling
            .get(&key)
            .is_some_and(|g| Arc::ptr_eq(g, &gate) && Arc::strong_count(g) == 2)
        {
            compiling.remove(&key);
        }
        module
    }

    /// Loads `wasm` under `name`.
    ///
    /// # Errors
    ///
    /// [`RuntimeError::Registry`] if the name is taken or the module is
    /// rejected.
    pub fn load(&self, name: &str, wasm: &[u8]) -> Result<ModuleInfo, RuntimeError> {
        self.insert(name, wasm, false)
    }

    /// Loads `wasm` under `name`, replacing the module there (if any).
    ///
    /// # Errors
    ///
    /// [`RuntimeError::Registry`] if the module is rejected (the old one
    /// stays).
    pub fn replace(&self, name: &str, wasm: &[u8]) -> Result<ModuleInfo, RuntimeError> {
        self.insert(name, wasm, true)
    }

    fn insert(&self, name: &str, wasm: &[u8], replace: bool) -> Result<ModuleInfo, RuntimeError> {
        if !replace && self.modules.read().contains_key(name) {
            return Err(duplicate(name));
        }
        let module = self.compile(wasm)?;
        let entry = Entry {
            module,
            size: wasm.len(),
        };
        let info = info(name, &entry);
        let mut modules = self.modules.write();
        if !replace && modules.contains_key(name) {
            return Err(duplicate(name));
        }
        modules.insert(name.to_owned(), entry);
        Ok(info)
    }

    /// Unloads `name`. Executions already running keep their module.
    ///
    /// # Errors
    ///
    /// [`RuntimeError::Registry`] if no module has that name.
    pub fn unload(&self, name: &str) -> Result<(), RuntimeError> {
        self.modules
            .write()
            .remove(name)
            .map(|_| ())
            .ok_or_else(|| unknown(name))
    }

    /// Every loaded module, ordered by name.
    pub fn list(&self) -> Vec<ModuleInfo> {
        let modules = self.modules.read();
        let mut list: Vec<ModuleInfo> = modules.iter().map(|(n, e)| info(n, e)).collect();
        list.sort_by(|a, b| a.name.cmp(&b.name));
        list
    }

    /// The module loaded under `name`.
    ///
    /// # Errors
    ///
    /// [`RuntimeError::Registry`] if no module has that name.
    pub fn get(&self, name: &str) -> Result<Arc<Module>, RuntimeError> {
        self.modules
            .read()
            .get(name)
            .map(|e| e.module.clone())
            .ok_or_else(|| unknown(name))
    }

    /// [`Runtime::execute`] of the module named `name`.
    ///
    /// # Errors
    ///
    /// [`RuntimeError::Registry`] for an unknown name, else as
    /// [`Runtime::execute`].
    pub fn execute(
        &self,
        name: &str,
        export: &str,
        context: &ExecutionContext,
        storage: Arc<dyn Storage>,
    ) -> Result<Outcome, RuntimeError> {
        let module = self.get(name)?;
        self.runtime.execute(&module, export, context, storage)
    }

    /// [`Runtime::call`] of the module named `name`.
    ///
    /// # Errors
    ///
    /// [`RuntimeError::Registry`] for an unknown name, else as
    /// [`Runtime::call`].
    pub fn call(
        &self,
        name: &str,
        export: &str,
        args: &[WasmValue],
        context: &ExecutionContext,
        storage: Arc<dyn Storage>,
    ) -> Result<Outcome, RuntimeError> {
        let module = self.get(name)?;
        self.runtime.call(&module, export, args, context, storage)
    }

    /// [`Runtime::execute_and_commit`] of the module named `name`.
    ///
    /// # Errors
    ///
    /// [`RuntimeError::Registry`] for an unknown name, else as
    /// [`Runtime::execute_and_commit`].
    pub fn execute_and_commit(
        &self,
        name: &str,
        export: &str,
        context: &ExecutionContext,
        storage: Arc<dyn Storage>,
    ) -> Result<Outcome, RuntimeError> {
        let module = self.get(name)?;
        self.runtime
            .execute_and_commit(&module, export, context, storage)
    }

    /// Prepares, compiles (or reuses) and executes `wasm` once, without
    /// loading it under a name. A rejected module is a `rejected` outcome.
    ///
    /// # Errors
    ///
    /// As [`Runtime::execute`].
    pub fn run_once(
        &self,
        wasm: &[u8],
        export: &str,
        context: &ExecutionContext,
        storage: Arc<dyn Storage>,
    ) -> Result<Outcome, RuntimeError> {
        match self.runtime.prepare(wasm) {
            Err(rejection) => Ok(Outcome::rejected(rejection)),
            Ok(prepared) => {
                let module = self.compile_prepared(prepared);
                self.runtime.execute(&module, export, context, storage)
            }
        }
    }
}

fn info(name: &str, entry: &Entry) -> ModuleInfo {
    let prepared = entry.module.prepared();
    ModuleInfo {
        name: name.to_owned(),
        hash: hex::encode(prepared.key()),
        size: entry.size,
        exports: prepared.exported_functions().clone(),
    }
}

fn unknown(name: &str) -> RuntimeError {
    RuntimeError::Registry(format!("no module named {name:?} is loaded"))
}

fn duplicate(name: &str) -> RuntimeError {
    RuntimeError::Registry(format!(
        "a module named {name:?} is already loaded (use replace)"
    ))
}
