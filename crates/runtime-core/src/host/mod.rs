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

use std::sync::Arc;

use host_abi::HostFunction;

use crate::context::ExecutionContext;
use crate::error::{ExecError, RuntimeError, TrapKind};
use crate::gas::{GasMeter, GasSchedule, OutOfGas};
use crate::limits::Limits;
use crate::memory::GuestMemory;
use crate::outcome::Event;
use crate::storage::{Storage, StorageOverlay};

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
    pub(crate) limits: Limits,
    pub(crate) schedule: Arc<GasSchedule>,
    pub(crate) gas: GasMeter,
    registers: Registers,
    pub(crate) logs: Vec<String>,
    total_log_len: u64,
    pub(crate) events: Vec<Event>,
    pub(crate) return_data: Vec<u8>,
    keystream: Keystream,
    pub(crate) overlay: StorageOverlay,
    pub(crate) abort: Option<Abort>,
}

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
    /// The host state of a new execution.
    pub fn new(
        context: &ExecutionContext,
        schedule: Arc<GasSchedule>,
        storage: Arc<dyn Storage>,
    ) -> Self {
        Self {
            input: context.input.clone(),
            timestamp_ns: context.timestamp_ns,
            limits: context.limits.clone(),
            schedule,
            gas: GasMeter::new(context.limits.gas),
            registers: Registers::default(),
            logs: Vec::new(),
            total_log_len: 0,
            events: Vec::new(),
            return_data: Vec::new(),
            keystream: Keystream::new(context.seed),
            overlay: StorageOverlay::new(storage),
            abort: None,
        }
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
    pub fn call<M: GuestMemory + ?Sized>(
        &mut self,
        function: HostFunction,
        args: &[u64],
        memory: &mut M,
    ) -> Result<Option<u64>, HostAbort> {
        let _span =
            tracing::trace_span!(target: "runtime::host", "host_call", function = function.name())
                .entered();
        if self.abort.is_some() {
            return Err(HostAbort);
        }
        if args.len() != function.param_count() {
            self.abort = Some(Abort::Infra(RuntimeError::BackendContract {
                backend: "unknown",
                message: format!(
                    "{function} called with {} arguments, expected {}",
                    args.len(),
                    function.param_count()
                ),
            }));
            return Err(HostAbort);
        }
        match self.dispatch(function, args, memory) {
            Ok(result) => Ok(result),
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

    /// Records that guest code (the instrumentation) ran out of gas.
    pub fn exhaust_gas(&mut self) {
        self.gas.exhaust();
    }

    /// Charges gas spent by guest code, as counted by instrumentation.
    ///
    /// # Errors
    ///
    /// [`HostAbort`] when it runs out; the outcome is then `GasExhausted`.
    pub fn charge_guest(&mut self, amount: u64) -> Result<(), HostAbort> {
        self.gas.charge(amount).map_err(|e| {
            self.abort = Some(e.into());
            HostAbort
        })
    }
}
