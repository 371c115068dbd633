//! The host functions a guest may import: the guest ABI's table, and the
//! embedder's own, declared once, engine-neutral.
//!
//! Every backend links the entries of one [`HostFunctions`] through one code
//! path: each import forwards to [`HostState::call_import`] by its index in
//! the table, whether it is an ABI function or an embedder's closure.

use std::any::Any;
use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use host_abi::{HostFunction, IMPORT_MODULE};
use sha2::{Digest, Sha256};

use crate::error::{ExecError, HostError, NonDeterministic, RuntimeError};
use crate::host::{Abort, HostState};
use crate::memory::{GuestMemory, checked_range};
use crate::outcome::Message;
use crate::value::{FuncSig, ValType, WasmValue};

/// An embedder's host function: gets the call's [`HostContext`] and the
/// guest's arguments (already of the declared types), returns its results.
pub type HostFn =
    dyn Fn(&mut HostContext<'_>, &[WasmValue]) -> Result<Vec<WasmValue>, HostFnError> + Send + Sync;

/// What an import resolves to.
#[derive(Clone)]
pub(crate) enum HostFnKind {
    /// A function of the guest ABI (`env`), its logic in the core.
    Abi(HostFunction),
    /// An embedder's closure.
    Embedder(Arc<HostFn>),
}

/// One importable host function.
#[derive(Clone)]
pub struct HostFunctionEntry {
    module: String,
    name: String,
    sig: FuncSig,
    base_gas: u64,
    pub(crate) kind: HostFnKind,
}

impl std::fmt::Debug for HostFunctionEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}::{} {}", self.module, self.name, self.sig)
    }
}

impl HostFunctionEntry {
    /// The import module.
    pub fn module(&self) -> &str {
        &self.module
    }

    /// The import name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The signature.
    pub fn sig(&self) -> &FuncSig {
        &self.sig
    }

    /// The base gas of an embedder function (an ABI function's is in the
    /// [`GasSchedule`](crate::GasSchedule)).
    pub fn base_gas(&self) -> u64 {
        self.base_gas
    }

    /// The ABI function, if this is one.
    pub fn abi_function(&self) -> Option<HostFunction> {
        match self.kind {
            HostFnKind::Abi(f) => Some(f),
            HostFnKind::Embedder(_) => None,
        }
    }
}

/// The host functions a runtime offers its guests: the 16 functions of the
/// guest ABI (import module `env`), registered first, then the embedder's.
///
/// ```
/// use runtime_core::{FuncSig, HostFunctions, ValType, WasmValue};
///
/// let mut functions = HostFunctions::abi();
/// functions
///     .define("node", "double", FuncSig::new([ValType::I64], [ValType::I64]), 10, |_cx, args| {
///         let WasmValue::I64(x) = args[0] else { unreachable!("typed by the signature") };
///         Ok(vec![WasmValue::I64(x.wrapping_mul(2))])
///     })
///     .unwrap();
/// assert!(functions.find("node", "double").is_some());
/// assert!(functions.find("env", "storage_write").is_some());
/// // `env` is the guest ABI's: an embedder cannot add to it.
/// assert!(functions.define("env", "x", FuncSig::default(), 0, |_, _| Ok(vec![])).is_err());
/// ```
#[derive(Clone, Debug)]
pub struct HostFunctions {
    entries: Vec<HostFunctionEntry>,
    by_name: HashMap<(String, String), usize>,
}

impl Default for HostFunctions {
    fn default() -> Self {
        Self::abi()
    }
}

impl HostFunctions {
    /// The guest ABI's functions alone, in table order (generated from
    /// [`HostFunction::ALL`]).
    pub fn abi() -> Self {
        let mut functions = Self {
            entries: Vec::new(),
            by_name: HashMap::new(),
        };
        for &f in HostFunction::ALL {
            functions.push(HostFunctionEntry {
                module: IMPORT_MODULE.to_owned(),
                name: f.name().to_owned(),
                sig: FuncSig::new(
                    vec![ValType::I64; f.param_count()],
                    vec![ValType::I64; f.result_count()],
                ),
                base_gas: 0,
                kind: HostFnKind::Abi(f),
            });
        }
        functions
    }

    fn push(&mut self, entry: HostFunctionEntry) {
        self.by_name.insert(
            (entry.module.clone(), entry.name.clone()),
            self.entries.len(),
        );
        self.entries.push(entry);
    }

    /// Declares an embedder host function `module::name` with signature
    /// `sig`, charged `base_gas` before it runs.
    ///
    /// # Errors
    ///
    /// [`RuntimeError::InvalidConfig`] if `module` is `env` (the guest
    /// ABI's), the name is taken, or `base_gas` is more than
    /// [`OperatorCosts::MAX_COST`](crate::OperatorCosts::MAX_COST).
    pub fn define(
        &mut self,
        module: &str,
        name: &str,
        sig: FuncSig,
        base_gas: u64,
        function: impl Fn(&mut HostContext<'_>, &[WasmValue]) -> Result<Vec<WasmValue>, HostFnError>
        + Send
        + Sync
        + 'static,
    ) -> Result<&mut Self, RuntimeError> {
        if module == IMPORT_MODULE {
            return Err(RuntimeError::InvalidConfig(format!(
                "host function {module}::{name}: the import module `{IMPORT_MODULE}` is the guest ABI's"
            )));
        }
        if self.find(module, name).is_some() {
            return Err(RuntimeError::InvalidConfig(format!(
                "host function {module}::{name} is declared twice"
            )));
        }
        if base_gas > crate::gas::OperatorCosts::MAX_COST {
            return Err(RuntimeError::InvalidConfig(format!(
                "host function {module}::{name}: base gas {base_gas} is more than {}",
                crate::gas::OperatorCosts::MAX_COST
            )));
        }
        self.push(HostFunctionEntry {
            module: module.to_owned(),
            name: name.to_owned(),
            sig,
            base_gas,
            kind: HostFnKind::Embedder(Arc::new(function)),
        });
        Ok(self)
    }

    /// Every entry, in registration order; an entry's position is its index
    /// for [`HostState::call_import`].
    pub fn entries(&self) -> &[HostFunctionEntry] {
        &self.entries
    }

    /// The index and entry of `module::name`.
    pub fn find(&self, module: &str, name: &str) -> Option<(usize, &HostFunctionEntry)> {
        self.by_name
            .get(&(module.to_owned(), name.to_owned()))
            .map(|&i| (i, &self.entries[i]))
    }

    /// A SHA-256 over every entry's module, name, signature and base gas,
    /// in order: part of the prepared module's cache key.
    pub fn fingerprint(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(b"host-functions-v1");
        for HostFunctionEntry {
            module,
            name,
            sig,
            base_gas,
            kind: _,
        } in &self.entries
        {
            for s in [module, name] {
                h.update((s.len() as u64).to_le_bytes());
                h.update(s.as_bytes());
            }
            h.update((sig.params.len() as u64).to_le_bytes());
            h.update(sig.params.iter().map(|t| t.code()).collect::<Vec<_>>());
            h.update((sig.results.len() as u64).to_le_bytes());
            h.update(sig.results.iter().map(|t| t.code()).collect::<Vec<_>>());
            h.update(base_gas.to_le_bytes());
        }
        h.finalize().into()
    }
}

/// The error an embedder's host function returns: its own message
/// ([`HostFnError::new`], status `host_error`, kind `Embedder`), or an error
/// of a [`HostContext`] operation, passed on with `?` (a bad pointer, gas
/// exhaustion, a limit).
#[derive(Debug)]
pub struct HostFnError(pub(crate) Abort);

impl HostFnError {
    /// An embedder error with `message`, which enters the outcome's digest.
    pub fn new(message: impl Into<String>) -> Self {
        HostFnError(Abort::Exec(ExecError::Host(HostError::Embedder(
            message.into(),
        ))))
    }
}

impl std::fmt::Display for HostFnError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Abort::Exec(e) => write!(f, "{e}"),
            Abort::Infra(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for HostFnError {}

impl From<Abort> for HostFnError {
    fn from(abort: Abort) -> Self {
        HostFnError(abort)
    }
}

impl From<HostError> for HostFnError {
    fn from(e: HostError) -> Self {
        HostFnError(e.into())
    }
}

/// What an embedder's host function can do during a call: checked access
/// to the guest's memory, gas, registers, storage (through the execution's
/// overlay: an error rolls it back), logs, events, the input and the
/// embedder's data.
///
/// Its operations charge no gas of their own: the function's base gas and
/// what it charges with [`HostContext::charge_gas`] are its whole cost, so
/// the embedder decides the price of its work. The ABI's limits (register,
/// key, value, log and event sizes, the storage write bound) apply.
pub struct HostContext<'a> {
    host: &'a mut HostState,
    memory: &'a mut dyn GuestMemory,
}

impl std::fmt::Debug for HostContext<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostContext")
            .field("memory_size", &self.memory.size())
            .finish_non_exhaustive()
    }
}

impl HostContext<'_> {
    /// The guest memory's size in bytes (0 without a memory export).
    pub fn memory_size(&self) -> u64 {
        self.memory.size()
    }

    /// Checks that `len` bytes at `ptr` lie inside the guest memory, without
    /// touching them: the ABI's order is bounds, then per-byte gas, then the
    /// work, and a function that charges per byte checks first.
    ///
    /// # Errors
    ///
    /// `MemoryAccessViolation` if `ptr + len` overflows or passes the end
    /// (so a zero-length access at `ptr > size` fails too, as in the ABI).
    pub fn check_memory(&self, ptr: u64, len: u64) -> Result<(), HostFnError> {
        checked_range(ptr, len, self.memory.size())?;
        Ok(())
    }

    /// Reads `len` bytes of guest memory at `ptr`.
    ///
    /// # Errors
    ///
    /// `MemoryAccessViolation` if any byte is out of bounds.
    pub fn read_memory(&self, ptr: u64, len: u64) -> Result<Vec<u8>, HostFnError> {
        checked_range(ptr, len, self.memory.size())?;
        let mut buf = vec![0; usize::try_from(len).map_err(|_| HostError::MemoryAccessViolation)?];
        self.memory.read(ptr, &mut buf)?;
        Ok(buf)
    }

    /// Writes `data` into guest memory at `ptr`.
    ///
    /// # Errors
    ///
    /// `MemoryAccessViolation` if any byte is out of bounds.
    pub fn write_memory(&mut self, ptr: u64, data: &[u8]) -> Result<(), HostFnError> {
        checked_range(ptr, data.len() as u64, self.memory.size())?;
        self.memory.write(ptr, data)?;
        Ok(())
    }

    /// Charges `amount` gas.
    ///
    /// # Errors
    ///
    /// `GasExhausted` (a trap) when it runs out.
    pub fn charge_gas(&mut self, amount: u64) -> Result<(), HostFnError> {
        self.host
            .gas
            .charge(amount)
            .map_err(|e| HostFnError(e.into()))
    }

    /// Gas left.
    pub fn gas_left(&self) -> u64 {
        self.host.gas.left()
    }

    /// The call's input bytes.
    pub fn input(&self) -> &[u8] {
        &self.host.input
    }

    /// The embedder's data of this execution
    /// ([`ExecutionContext::data`](crate::ExecutionContext::data)), if it is
    /// a `T`.
    pub fn data<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.host.data.as_deref()?.downcast_ref::<T>()
    }

    /// A register's bytes, if it is set.
    pub fn register(&self, id: u64) -> Option<&[u8]> {
        self.host.registers.get(id)
    }

    /// Checks that register `id` may be set to `len` bytes (the ABI's
    /// register limits), without setting it: for a host function that
    /// charges per byte between the check and the work.
    ///
    /// # Errors
    ///
    /// `RegisterSizeExceeded`, `RegistersMemoryExceeded` or
    /// `TooManyRegisters`.
    pub fn check_register(&self, id: u64, len: u64) -> Result<(), HostFnError> {
        self.host.registers.check(id, len, &self.host.limits)?;
        Ok(())
    }

    /// Sets a register (the ABI's register limits apply).
    ///
    /// # Errors
    ///
    /// `RegisterSizeExceeded`, `RegistersMemoryExceeded` or
    /// `TooManyRegisters`.
    pub fn set_register(&mut self, id: u64, data: Vec<u8>) -> Result<(), HostFnError> {
        let limits = &self.host.limits;
        self.host.registers.check(id, data.len() as u64, limits)?;
        self.host.registers.set(id, data, limits)?;
        Ok(())
    }

    /// The value of `key` in the execution's storage view.
    ///
    /// # Errors
    ///
    /// `KeyLengthExceeded`, or the storage's failure.
    pub fn storage_get(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, HostFnError> {
        self.check_key(key)?;
        self.host.overlay.get(key).map_err(abort_storage)
    }

    /// Sets `key` in the execution's overlay; returns the old value.
    ///
    /// # Errors
    ///
    /// `KeyLengthExceeded`, `ValueLengthExceeded`,
    /// `StorageWriteLimitExceeded`, or the storage's failure.
    pub fn storage_set(
        &mut self,
        key: &[u8],
        value: Vec<u8>,
    ) -> Result<Option<Vec<u8>>, HostFnError> {
        self.check_key(key)?;
        if value.len() as u64 > self.host.limits.max_value_len {
            return Err(HostError::ValueLengthExceeded.into());
        }
        self.host
            .count_storage_write(key.len() as u64, value.len() as u64)?;
        self.host.overlay.set(key, value).map_err(abort_storage)
    }

    /// Removes `key` in the execution's overlay; returns the old value.
    ///
    /// # Errors
    ///
    /// `KeyLengthExceeded`, or the storage's failure.
    pub fn storage_remove(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, HostFnError> {
        self.check_key(key)?;
        self.host.overlay.remove(key).map_err(abort_storage)
    }

    fn check_key(&self, key: &[u8]) -> Result<(), HostFnError> {
        if key.len() as u64 > self.host.limits.max_key_len {
            return Err(HostError::KeyLengthExceeded.into());
        }
        Ok(())
    }

    /// Appends a log line (kept on error, like the guest's).
    ///
    /// # Errors
    ///
    /// `TooManyLogs` or `TotalLogLengthExceeded`.
    pub fn log(&mut self, line: impl Into<String>) -> Result<(), HostFnError> {
        self.host.push_log(line.into())?;
        Ok(())
    }

    /// Appends an event (dropped if the execution fails).
    ///
    /// # Errors
    ///
    /// `TooManyEvents` or `EventDataLengthExceeded`.
    pub fn emit_event(
        &mut self,
        kind: impl Into<String>,
        data: Vec<u8>,
    ) -> Result<(), HostFnError> {
        self.host.push_event(kind.into(), data)?;
        Ok(())
    }

    /// Records an outgoing session message to module `to`: it enters the
    /// outcome's [`messages`](crate::Outcome::messages) and its digest,
    /// and is dropped if the execution fails. No limit is checked here: the
    /// [`Session`](crate::Session)'s `send` checks its
    /// [`SessionLimits`](crate::SessionLimits) first.
    pub fn send_message(&mut self, to: impl Into<String>, data: Vec<u8>) {
        self.host.messages.push(Message {
            to: to.into(),
            data,
        });
    }

    /// The messages this execution has sent so far.
    pub fn messages(&self) -> &[Message] {
        &self.host.messages
    }
}

fn abort_storage(e: crate::error::StorageError) -> HostFnError {
    HostFnError(e.into())
}

impl HostState {
    /// Runs embedder function `function` (entry `name`) for the guest.
    pub(crate) fn call_embedder(
        &mut self,
        entry: &HostFunctionEntry,
        function: &HostFn,
        args: &[WasmValue],
        results: &mut [WasmValue],
        memory: &mut dyn GuestMemory,
    ) -> Result<(), Abort> {
        if !entry.sig.accepts(args) {
            return Err(Abort::Infra(RuntimeError::BackendContract {
                backend: self.backend,
                message: format!(
                    "{}::{} called with {args:?}, expected {}",
                    entry.module, entry.name, entry.sig
                ),
            }));
        }
        self.gas.charge(entry.base_gas)?;
        let mut cx = HostContext { host: self, memory };
        let returned = catch_unwind(AssertUnwindSafe(|| function(&mut cx, args)));
        match returned {
            Ok(Ok(values)) => {
                let types: Vec<ValType> = values.iter().map(|v| v.ty()).collect();
                if types != entry.sig.results || values.len() != results.len() {
                    return Err(Abort::Exec(ExecError::Host(HostError::Embedder(format!(
                        "host function {}::{} returned {types:?}, its signature is {}",
                        entry.module, entry.name, entry.sig
                    )))));
                }
                results.copy_from_slice(&values);
                Ok(())
            }
            Ok(Err(HostFnError(abort))) => Err(abort),
            Err(payload) => {
                let message = payload
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a non-string panic payload".to_owned());
                tracing::error!(target: "runtime::host", module = entry.module, name = entry.name, message, "embedder host function panicked");
                Err(Abort::Exec(ExecError::NonDeterministic(
                    NonDeterministic::HostPanic(format!(
                        "{}::{} panicked: {message}",
                        entry.module, entry.name
                    )),
                )))
            }
        }
    }
}

impl From<crate::gas::OutOfGas> for HostFnError {
    fn from(e: crate::gas::OutOfGas) -> Self {
        HostFnError(e.into())
    }
}
