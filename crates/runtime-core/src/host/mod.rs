//! The host-function logic of the guest ABI, written once for every backend.
//!
//! A backend puts a [`HostState`] into its engine's store, registers one
//! import per [`HostFunction`] of the ABI table, and forwards each call to
//! [`HostState::call`] with the raw `u64` arguments and the guest memory. A
//! failing host function records its error here and returns [`HostAbort`];
//! the backend only has to turn that marker into an engine error, so no
//! engine can lose or reword it.

mod functions;
mod keystream;
mod registers;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use host_abi::HostFunction;

use crate::context::ExecutionContext;
use crate::error::{ExecError, RuntimeError, TrapKind};
use crate::gas::{GasMeter, GasSchedule, OutOfGas};
use crate::host_functions::{HostFnKind, HostFunctions};
use crate::limits::ExecutionLimits;
use crate::memory::GuestMemory;
use crate::outcome::{Event, Message};
use crate::storage::{Storage, StorageOverlay};
use crate::value::WasmValue;

use keystream::Keystream;
use registers::Registers;

/// A host function ended the execution; the reason is kept in the
/// [`HostState`]. Backends turn this into their engine's error type and
/// back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a host function ended the execution")]
pub struct HostAbort;

/// Why the host ended the execution.
#[derive(Debug)]
pub(crate) enum Abort {
    /// A deterministic error: a host error or gas exhaustion.
    Exec(ExecError),
    /// An infrastructure failure (storage I/O).
    Infra(RuntimeError),
}

impl From<crate::error::HostError> for Abort {
    fn from(e: crate::error::HostError) -> Self {
        Abort::Exec(ExecError::Host(e))
    }
}

impl From<OutOfGas> for Abort {
    fn from(_: OutOfGas) -> Self {
        Abort::Exec(ExecError::Trap(TrapKind::GasExhausted))
    }
}

impl From<crate::error::StorageError> for Abort {
    fn from(e: crate::error::StorageError) -> Self {
        Abort::Infra(RuntimeError::Storage(e))
    }
}

/// Everything the host side of one execution holds: the context, the gas
/// meter, registers, logs, events, return data and the storage overlay.
///
/// It is `'static` and `Send`, so every engine's store can own it.
pub struct HostState {
    pub(crate) input: Vec<u8>,
    pub(crate) timestamp_ns: u64,
    pub(crate) limits: ExecutionLimits,
    pub(crate) schedule: Arc<GasSchedule>,
    pub(crate) gas: GasMeter,
    pub(crate) registers: Registers,
    pub(crate) logs: Vec<String>,
    total_log_len: u64,
    /// Key and value bytes of every `storage_write` so far (ABI 1.1 bound).
    storage_written: u64,
    pub(crate) events: Vec<Event>,
    /// Session messages sent so far (dropped on error, like events).
    pub(crate) messages: Vec<Message>,
    pub(crate) return_data: Vec<u8>,
    keystream: Keystream,
    pub(crate) overlay: StorageOverlay,
    pub(crate) abort: Option<Abort>,
    deadline: Option<std::time::Instant>,
    /// Host calls so far (the deadline is looked at every
    /// [`DEADLINE_CHECK_EVERY`] calls).
    host_calls: u64,
    /// The host functions the module's imports index into.
    imports: Arc<HostFunctions>,
    /// The embedder's data for its host functions.
    pub(crate) data: Option<Arc<dyn std::any::Any + Send + Sync>>,
    /// The backend and module, for tracing (guest logs).
    pub(crate) backend: &'static str,
    pub(crate) module: Arc<str>,
}

/// How often a host call looks at the wall clock: a loop of host calls
/// still ends at the timeout on every engine, at a small cost per call.
const DEADLINE_CHECK_EVERY: u64 = 16;

impl std::fmt::Debug for HostState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostState")
            .field("gas", &self.gas)
            .field("logs", &self.logs.len())
            .field("events", &self.events.len())
            .finish_non_exhaustive()
    }
}

impl HostState {
    /// The host state of a new execution, with the guest ABI's host
    /// functions only.
    pub fn new(
        context: &ExecutionContext,
        schedule: Arc<GasSchedule>,
        storage: Arc<dyn Storage>,
    ) -> Self {
        Self::with_imports(context, schedule, storage, Arc::new(HostFunctions::abi()))
    }

    /// The host state of a new execution whose imports index into
    /// `imports`.
    pub fn with_imports(
        context: &ExecutionContext,
        schedule: Arc<GasSchedule>,
        storage: Arc<dyn Storage>,
        imports: Arc<HostFunctions>,
    ) -> Self {
        Self {
            input: context.input.clone(),
            timestamp_ns: context.timestamp_ns,
            limits: context.limits.clone(),
            schedule,
            gas: GasMeter::new(context.limits.effective_gas()),
            registers: Registers::default(),
            logs: Vec::new(),
            total_log_len: 0,
            storage_written: 0,
            events: Vec::new(),
            messages: Vec::new(),
            return_data: Vec::new(),
            keystream: Keystream::new(context.seed),
            overlay: StorageOverlay::new(storage),
            abort: None,
            deadline: context
                .limits
                .timeout
                .and_then(|t| std::time::Instant::now().checked_add(t)),
            host_calls: 0,
            imports,
            data: context.data.clone(),
            backend: "unknown",
            module: Arc::from(""),
        }
    }

    /// Names the backend and module for tracing (guest logs are emitted as
    /// `runtime::guest_log` events with both).
    pub fn set_labels(&mut self, backend: &'static str, module: Arc<str>) {
        self.backend = backend;
        self.module = module;
    }

    /// The host functions this execution's imports index into.
    pub fn imports(&self) -> &Arc<HostFunctions> {
        &self.imports
    }

    /// Runs import `index` of [`HostState::imports`] — an ABI function or an
    /// embedder's — with the guest's arguments, writing its results. The
    /// one entry point every backend's import bodies call (through
    /// [`call_import`](crate::backend::call_import)).
    ///
    /// `gas` is the guest's instrumented gas counter, as for
    /// [`HostState::call`].
    ///
    /// # Errors
    ///
    /// [`HostAbort`] when the call ends the execution (the reason stays
    /// here).
    pub fn call_import<M: GuestMemory + ?Sized>(
        &mut self,
        index: usize,
        args: &[WasmValue],
        results: &mut [WasmValue],
        mut memory: &mut M,
        gas: &mut i64,
    ) -> Result<(), HostAbort> {
        let abi = match self.imports.entries().get(index).map(|e| &e.kind) {
            Some(HostFnKind::Abi(function)) => Some(*function),
            Some(HostFnKind::Embedder(_)) => None,
            None => {
                self.abort = Some(Abort::Infra(RuntimeError::BackendContract {
                    backend: self.backend,
                    message: format!("import index {index} is not in the host-function table"),
                }));
                return Err(HostAbort);
            }
        };
        // The guest ABI's functions: no clone of the table on this path.
        if let Some(function) = abi {
            let mut raw = [0u64; 8];
            for (slot, arg) in raw.iter_mut().zip(args) {
                // Preparation checked the import's i64 signature.
                *slot = arg.as_u64().unwrap_or_default();
            }
            let value = self.call(function, &raw[..args.len().min(8)], memory, gas)?;
            if let (Some(slot), Some(value)) = (results.first_mut(), value) {
                *slot = WasmValue::I64(value as i64);
            }
            return Ok(());
        }
        let imports = self.imports.clone();
        let entry = &imports.entries()[index];
        match &entry.kind {
            // Handled above.
            HostFnKind::Abi(_) => Ok(()),
            HostFnKind::Embedder(function) => {
                let _span = tracing::trace_span!(target: "runtime::host", "host_call", module = entry.module(), function = entry.name()).entered();
                self.end_guest(*gas);
                self.enter_host_call()?;
                match self.call_embedder(entry, function.as_ref(), args, results, &mut memory) {
                    Ok(()) => {
                        *gas = self.guest_gas();
                        Ok(())
                    }
                    Err(abort) => {
                        tracing::debug!(target: "runtime::host", function = entry.name(), reason = ?abort, "host call aborted");
                        self.abort = Some(abort);
                        Err(HostAbort)
                    }
                }
            }
        }
    }

    /// The checks before any host call's work: an earlier abort, and the
    /// wall-clock deadline (every [`DEADLINE_CHECK_EVERY`] calls).
    fn enter_host_call(&mut self) -> Result<(), HostAbort> {
        if self.abort.is_some() {
            return Err(HostAbort);
        }
        self.host_calls += 1;
        if self.host_calls.is_multiple_of(DEADLINE_CHECK_EVERY)
            && self
                .deadline
                .is_some_and(|d| std::time::Instant::now() >= d)
        {
            self.abort = Some(Abort::Exec(ExecError::NonDeterministic(
                crate::error::NonDeterministic::Timeout,
            )));
            return Err(HostAbort);
        }
        Ok(())
    }

    /// Counts a storage write's key and value bytes against
    /// [`ExecutionLimits::max_storage_write_bytes`] (ABI 1.1).
    pub(crate) fn count_storage_write(
        &mut self,
        key_len: u64,
        value_len: u64,
    ) -> Result<(), Abort> {
        let written = self
            .storage_written
            .saturating_add(key_len)
            .saturating_add(value_len);
        if written > self.limits.max_storage_write_bytes {
            return Err(crate::error::HostError::StorageWriteLimitExceeded.into());
        }
        self.storage_written = written;
        Ok(())
    }

    /// Appends a log line within the limits, and emits it as a tracing event
    /// (target `runtime::guest_log`).
    pub(crate) fn push_log(&mut self, line: String) -> Result<(), Abort> {
        self.check_log(line.len() as u64)?;
        self.total_log_len += line.len() as u64;
        tracing::info!(target: "runtime::guest_log", backend = self.backend, module = &*self.module, "{line}");
        self.logs.push(line);
        Ok(())
    }

    /// The log limits for a line of `len` bytes.
    pub(crate) fn check_log(&self, len: u64) -> Result<(), Abort> {
        if self.logs.len() as u64 >= self.limits.max_logs {
            return Err(crate::error::HostError::TooManyLogs.into());
        }
        if self.total_log_len.saturating_add(len) > self.limits.max_total_log_len {
            return Err(crate::error::HostError::TotalLogLengthExceeded.into());
        }
        Ok(())
    }

    /// The event limits for an event of `len` bytes of kind and data.
    pub(crate) fn check_event(&self, len: u64) -> Result<(), Abort> {
        if self.events.len() as u64 >= self.limits.max_events {
            return Err(crate::error::HostError::TooManyEvents.into());
        }
        if len > self.limits.max_event_len {
            return Err(crate::error::HostError::EventDataLengthExceeded.into());
        }
        Ok(())
    }

    /// Appends an event within the limits.
    pub(crate) fn push_event(&mut self, kind: String, data: Vec<u8>) -> Result<(), Abort> {
        self.check_event((kind.len() as u64).saturating_add(data.len() as u64))?;
        self.events.push(Event { kind, data });
        Ok(())
    }

    /// When the wall-clock timeout fires, if there is one. Backends stop the
    /// guest then and report [`NonDeterministic::Timeout`](crate::NonDeterministic).
    pub fn deadline(&self) -> Option<std::time::Instant> {
        self.deadline
    }

    /// Runs host function `function` with the guest's arguments (`i64`s read
    /// as `u64`) against the guest's memory (an empty slice when the module
    /// exports none), and returns its result, if it has one.
    ///
    /// # Errors
    ///
    /// [`HostAbort`] when the function ends the execution; the reason stays
    /// here and becomes the outcome's error. Once aborted, every further
    /// call aborts too.
    ///
    /// `gas` is the guest's instrumented gas counter ([`GasCounter`]): the
    /// host takes the guest's consumption from it before the call and puts
    /// the gas left back after it, so guest code and host calls draw on one
    /// budget. A backend reads the counter's global before the call and
    /// writes it back after a successful one.
    pub fn call<M: GuestMemory + ?Sized>(
        &mut self,
        function: HostFunction,
        args: &[u64],
        memory: &mut M,
        gas: &mut i64,
    ) -> Result<Option<u64>, HostAbort> {
        let _span =
            tracing::trace_span!(target: "runtime::host", "host_call", function = function.name())
                .entered();
        self.end_guest(*gas);
        self.enter_host_call()?;
        if args.len() != function.param_count() {
            self.abort = Some(Abort::Infra(RuntimeError::BackendContract {
                backend: self.backend,
                message: format!(
                    "{function} called with {} arguments, expected {}",
                    args.len(),
                    function.param_count()
                ),
            }));
            return Err(HostAbort);
        }
        match self.dispatch(function, args, memory) {
            Ok(result) => {
                *gas = self.guest_gas();
                Ok(result)
            }
            Err(abort) => {
                tracing::debug!(target: "runtime::host", function = function.name(), reason = ?abort, "host call aborted");
                self.abort = Some(abort);
                Err(HostAbort)
            }
        }
    }

    /// Whether a host function ended the execution.
    pub fn aborted(&self) -> bool {
        self.abort.is_some()
    }

    /// Gas left for the guest.
    pub fn gas_left(&self) -> u64 {
        self.gas.left()
    }

    /// The value a backend puts into the guest's gas counter after
    /// instantiation, before the first export runs: the gas left.
    pub fn guest_gas(&self) -> i64 {
        GasCounter::encode(self.gas.left())
    }

    /// Takes the guest's gas counter back when guest code stops (returned,
    /// trapped, or entered a host call): the gas left, or the exhaustion or
    /// stack overflow the instrumentation recorded in it. A host abort
    /// recorded earlier takes precedence and the counter is then ignored.
    pub fn end_guest(&mut self, gas: i64) {
        if self.abort.is_some() {
            return;
        }
        match GasCounter::decode(gas) {
            GasCounter::Left(left) => self.gas.set_left(left),
            GasCounter::Exhausted => {
                self.gas.exhaust();
                self.abort = Some(Abort::Exec(ExecError::Trap(TrapKind::GasExhausted)));
            }
            GasCounter::StackOverflow { left } => {
                self.gas.set_left(left);
                self.abort = Some(Abort::Exec(ExecError::Trap(TrapKind::StackOverflow)));
            }
        }
    }
}

/// The meaning of the instrumented gas counter, an `i64` global.
///
/// * `0 ..= MAX_GAS`: the gas left;
/// * `-2^62 .. 0`: a charge took it below zero — gas ran out;
/// * below `-2^62`: the stack-height limit was exceeded with
///   `value - i64::MIN` gas left (the overflow helper adds `i64::MIN`).
///
/// Charges are bounded by 2^62 (costs of at most 2^30 per unit times an
/// `i32` operand), so the ranges never meet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GasCounter {
    /// Gas left.
    Left(u64),
    /// Gas ran out.
    Exhausted,
    /// The stack-height limit was exceeded, with this much gas left.
    StackOverflow {
        /// The gas left when it happened.
        left: u64,
    },
}

impl GasCounter {
    const STACK_OVERFLOW_BELOW: i64 = -(1 << 62);

    /// The counter's value for `left` gas.
    pub fn encode(left: u64) -> i64 {
        i64::try_from(left.min(ExecutionLimits::MAX_GAS)).unwrap_or(i64::MAX)
    }

    /// Reads a counter value.
    pub fn decode(value: i64) -> Self {
        if value >= 0 {
            GasCounter::Left(value as u64)
        } else if value >= Self::STACK_OVERFLOW_BELOW {
            GasCounter::Exhausted
        } else {
            GasCounter::StackOverflow {
                left: value.wrapping_sub(i64::MIN) as u64,
            }
        }
    }
}
