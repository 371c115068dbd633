//! Sessions: several modules under names on one [`Runtime`], each with its
//! own storage namespace in one [`Storage`], sending each other messages
//! over a deterministic bus. `docs/SESSIONS.md` is the contract; this is
//! its implementation, engine-neutral (it runs on whatever backend the
//! runtime has, through the embedder API: the bus's host functions are
//! declared with [`HostFunctions::define`](crate::HostFunctions::define)
//! and find the session through [`ExecutionContext::data`]).
//!
//! ```
//! use std::sync::Arc;
//! use runtime_core::{ExecutionContext, InMemoryStorage, Runtime, Session, Status};
//! # fn demo(backend: Box<dyn runtime_core::backend::Backend>) {
//! let runtime = Runtime::builder(backend).session().build().unwrap();
//! let mut session = Session::new(runtime, Arc::new(InMemoryStorage::new())).unwrap();
//! let sender = wat::parse_str(r#"(module
//!     (import "session" "send" (func $send (param i64 i64 i64 i64)))
//!     (memory (export "memory") 1)
//!     (data (i32.const 0) "sinkhi")
//!     (func (export "go") (call $send (i64.const 4) (i64.const 0) (i64.const 2) (i64.const 4))))"#).unwrap();
//! let sink = wat::parse_str(r#"(module
//!     (import "session" "recv" (func $recv (param i64 i64) (result i64)))
//!     (import "env" "read_register" (func $read (param i64 i64)))
//!     (import "env" "value_return" (func $ret (param i64 i64)))
//!     (memory (export "memory") 1)
//!     (func (export "on_message")
//!       (drop (call $recv (i64.const 0) (i64.const 1)))
//!       (call $read (i64.const 1) (i64.const 0))
//!       (call $ret (i64.const 2) (i64.const 0))))"#).unwrap();
//! session.load("sender", &sender).unwrap();
//! session.load("sink", &sink).unwrap();
//! let sent = session.invoke("sender", "go", &ExecutionContext::default()).unwrap();
//! assert_eq!(sent.messages[0].to, "sink");
//! assert_eq!(session.pending("sink"), Some(1));
//! let steps = session.pump("on_message", 10).unwrap();
//! assert_eq!(steps.len(), 1);
//! assert_eq!(steps[0].outcome.status(), Status::Ok);
//! assert_eq!(steps[0].outcome.return_data, b"hi");
//! assert!(steps[0].dead_letters.is_empty());
//! assert_eq!(session.pending("sink"), Some(0));
//! assert!(session.digest().is_some()); // equal on every backend
//! # }
//! ```

mod host;
mod mailbox;
mod namespace;
mod trace;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use parking_lot::RwLock;

pub use host::SESSION_IMPORT_MODULE;
pub(crate) use host::define_host_functions;
pub use mailbox::Envelope;
pub use namespace::{MAX_NAME_LEN, NamespacedStorage};
pub use trace::{StepKind, TraceStep};

use crate::context::ExecutionContext;
use crate::error::RuntimeError;
use crate::limits::SessionLimits;
use crate::outcome::Outcome;
use crate::runtime::{Module, Runtime};
use crate::storage::Storage;
use crate::value::WasmValue;
use host::SessionCall;
use mailbox::Bus;
use trace::TraceHasher;

/// Several modules by name on one [`Runtime`], with per-module storage in
/// one [`Storage`] and a deterministic message bus (`docs/SESSIONS.md`).
///
/// * An `ok` invocation commits its storage changes (to its own
///   namespace), its sent messages (numbered in the global send order) and
///   its `recv` pops; an error commits nothing.
/// * [`Session::pump`] delivers the oldest message in global send order
///   to its receiver's handler, step by step, and dead-letters it when the
///   handler fails or does not consume it.
/// * [`Session::digest`] is a SHA-256 over the ordered trace of every
///   invocation and pump step and the final mailboxes: equal on every
///   backend.
///
/// The runtime must carry the session's host functions
/// ([`RuntimeBuilder::session`](crate::RuntimeBuilder::session)).
pub struct Session {
    runtime: Runtime,
    storage: Arc<dyn Storage>,
    limits: SessionLimits,
    modules: BTreeMap<String, Arc<Module>>,
    bus: Arc<RwLock<Bus>>,
    trace: Vec<TraceStep>,
    hasher: TraceHasher,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("runtime", &self.runtime)
            .field("modules", &self.modules.keys().collect::<Vec<_>>())
            .field("steps", &self.hasher.steps())
            .finish_non_exhaustive()
    }
}

impl Session {
    /// An empty session on `runtime` over `storage`, with the default
    /// [`SessionLimits`].
    ///
    /// # Errors
    ///
    /// [`RuntimeError::InvalidConfig`] if the runtime was not built with
    /// the session's host functions
    /// ([`RuntimeBuilder::session`](crate::RuntimeBuilder::session)).
    pub fn new(runtime: Runtime, storage: Arc<dyn Storage>) -> Result<Self, RuntimeError> {
        if !host::has_host_functions(runtime.host_functions(), runtime.schedule()) {
            return Err(RuntimeError::InvalidConfig(format!(
                "a session needs a runtime with the session host functions (`{SESSION_IMPORT_MODULE}::send`, `recv`, `pending` priced by its gas schedule): build it with RuntimeBuilder::session()"
            )));
        }
        Ok(Self {
            runtime,
            storage,
            limits: SessionLimits::default(),
            modules: BTreeMap::new(),
            bus: Arc::new(RwLock::new(Bus::default())),
            trace: Vec::new(),
            hasher: TraceHasher::new(),
        })
    }

    /// This session with other limits.
    #[must_use]
    pub fn with_limits(mut self, limits: SessionLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The runtime.
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// The limits.
    pub fn limits(&self) -> &SessionLimits {
        &self.limits
    }

    /// The session's storage (every module's namespace in it).
    pub fn storage(&self) -> &Arc<dyn Storage> {
        &self.storage
    }

    /// Module `name`'s view of the storage: its keys, unprefixed. It need
    /// not be loaded (an unloaded module's storage stays).
    ///
    /// # Errors
    ///
    /// [`RuntimeError::Registry`] for a name that is not 1 to 64 bytes.
    pub fn module_storage(&self, name: &str) -> Result<NamespacedStorage, RuntimeError> {
        NamespacedStorage::new(self.storage.clone(), name)
    }

    /// Prepares and compiles `wasm` under this session's runtime and loads
    /// it as `name` with an empty mailbox. Its storage namespace is
    /// whatever the storage holds under the name (empty at first; what an
    /// earlier module of that name left after an unload).
    ///
    /// # Errors
    ///
    /// [`RuntimeError::Registry`] if the name is not 1 to 64 bytes or is
    /// taken, or the module is rejected (the message has the rejection).
    pub fn load(&mut self, name: &str, wasm: &[u8]) -> Result<(), RuntimeError> {
        self.check_free(name)?;
        let prepared = self
            .runtime
            .prepare(wasm)
            .map_err(|r| RuntimeError::Registry(format!("module {name:?} rejected: {r}")))?;
        let module = Arc::new(self.runtime.compile(prepared));
        self.insert(name, module);
        Ok(())
    }

    /// Loads a module compiled by this session's runtime (for instance one
    /// of a [`ModuleRegistry`](crate::ModuleRegistry) over the same
    /// runtime, [`ModuleRegistry::get`](crate::ModuleRegistry::get)) as
    /// `name`.
    ///
    /// # Errors
    ///
    /// As [`Session::load`]; [`RuntimeError::ModuleMismatch`] for a module
    /// of another runtime.
    pub fn load_module(&mut self, name: &str, module: Arc<Module>) -> Result<(), RuntimeError> {
        self.check_free(name)?;
        self.runtime.check_module(&module)?;
        self.insert(name, module);
        Ok(())
    }

    fn check_free(&self, name: &str) -> Result<(), RuntimeError> {
        namespace::validate_name(name)?;
        if self.modules.contains_key(name) {
            return Err(RuntimeError::Registry(format!(
                "a module named {name:?} is already loaded in this session"
            )));
        }
        Ok(())
    }

    fn insert(&mut self, name: &str, module: Arc<Module>) {
        tracing::debug!(target: "runtime::session", name, module = module.label(), "load");
        self.modules.insert(name.to_owned(), module);
        self.bus.write().open(name);
    }

    /// Unloads `name` and drops its mailbox, returning the messages it
    /// held (they are not delivered, nor dead-lettered). Sending to it is
    /// `UnknownModule` from now on. Its storage stays in the session's
    /// storage: a module loaded again under the name sees it.
    ///
    /// # Errors
    ///
    /// [`RuntimeError::Registry`] if no module of that name is loaded.
    pub fn unload(&mut self, name: &str) -> Result<Vec<Envelope>, RuntimeError> {
        self.modules.remove(name).ok_or_else(|| unknown(name))?;
        tracing::debug!(target: "runtime::session", name, "unload");
        Ok(self.bus.write().close(name))
    }

    /// The loaded modules' names, in byte order.
    pub fn modules(&self) -> impl Iterator<Item = &str> {
        self.modules.keys().map(String::as_str)
    }

    /// The number of messages waiting for `name`, or `None` if it is not
    /// loaded.
    pub fn pending(&self, name: &str) -> Option<usize> {
        self.bus.read().len(name)
    }

    /// Every mailbox, by module name, oldest message first.
    pub fn mailboxes(&self) -> BTreeMap<String, Vec<Envelope>> {
        self.bus
            .read()
            .mailboxes()
            .iter()
            .map(|(name, mailbox)| (name.clone(), mailbox.iter().cloned().collect()))
            .collect()
    }

    /// Runs `export` (a `[] -> []` function) of module `name` with the
    /// context's input, seed, time and limits, and commits it if it ends
    /// `ok`: its storage changes, its sent messages and its pops. An error
    /// commits nothing (its pops are undone: the messages stay at the head
    /// of the mailbox). The invocation enters the trace.
    ///
    /// The session passes its own state to its host functions in
    /// [`ExecutionContext::data`], so `context.data` must be `None`.
    ///
    /// # Errors
    ///
    /// [`RuntimeError::Registry`] if no module `name` is loaded;
    /// [`RuntimeError::InvalidConfig`] if `context.data` is set; the
    /// infrastructure errors of [`Runtime::execute_and_commit`] (nothing is
    /// committed or traced then).
    pub fn invoke(
        &mut self,
        name: &str,
        export: &str,
        context: &ExecutionContext,
    ) -> Result<Outcome, RuntimeError> {
        self.invoke_step(name, export, None, context)
    }

    /// [`Session::invoke`] of an export with number parameters, with typed
    /// `args`; the outcome carries the results.
    ///
    /// # Errors
    ///
    /// As [`Session::invoke`].
    pub fn invoke_typed(
        &mut self,
        name: &str,
        export: &str,
        args: &[WasmValue],
        context: &ExecutionContext,
    ) -> Result<Outcome, RuntimeError> {
        self.invoke_step(name, export, Some(args), context)
    }

    /// An explicit invocation, traced.
    fn invoke_step(
        &mut self,
        name: &str,
        export: &str,
        args: Option<&[WasmValue]>,
        context: &ExecutionContext,
    ) -> Result<Outcome, RuntimeError> {
        let outcome = self.execute(name, export, args, context)?;
        self.record(TraceStep {
            kind: StepKind::Invoke,
            module: name.to_owned(),
            export: export.to_owned(),
            outcome: outcome.clone(),
            dead_letters: Vec::new(),
        });
        Ok(outcome)
    }

    /// [`Session::pump_with`] with the default context.
    ///
    /// # Errors
    ///
    /// As [`Session::pump_with`].
    pub fn pump(
        &mut self,
        handler_export: &str,
        max_steps: u64,
    ) -> Result<Vec<TraceStep>, RuntimeError> {
        self.pump_with(handler_export, max_steps, &ExecutionContext::default())
    }

    /// Delivers messages: while a mailbox holds a message and fewer than
    /// `max_steps` (at most [`SessionLimits::max_pump_steps`]) steps have
    /// run, takes the oldest message in global send order and invokes its
    /// receiver's `handler_export` (in `context`), which is expected to
    /// `recv` it. If that invocation ends in an error, or returns without
    /// consuming the message, the message is dead-lettered: removed and
    /// recorded in the step. Returns the steps, which also enter the trace.
    ///
    /// # Errors
    ///
    /// As [`Session::invoke`]; an infrastructure error stops the pump (the
    /// steps before it stay in the trace, the message stays queued).
    pub fn pump_with(
        &mut self,
        handler_export: &str,
        max_steps: u64,
        context: &ExecutionContext,
    ) -> Result<Vec<TraceStep>, RuntimeError> {
        let max_steps = max_steps.min(self.limits.max_pump_steps);
        let mut steps = Vec::new();
        while (steps.len() as u64) < max_steps {
            let Some((receiver, seq)) = self.bus.read().oldest() else {
                break;
            };
            let outcome = self.execute(&receiver, handler_export, None, context)?;
            let dead = self.bus.write().take_if_head(&receiver, seq);
            if let Some(letter) = &dead {
                tracing::debug!(target: "runtime::session", seq = letter.seq, from = letter.from, to = letter.to, status = outcome.status().as_str(), "dead letter");
            }
            let step = TraceStep {
                kind: StepKind::Pump,
                module: receiver,
                export: handler_export.to_owned(),
                outcome,
                dead_letters: dead.into_iter().collect(),
            };
            self.record(step.clone());
            steps.push(step);
        }
        Ok(steps)
    }

    /// The protocol of one session invocation.
    fn execute(
        &mut self,
        name: &str,
        export: &str,
        args: Option<&[WasmValue]>,
        context: &ExecutionContext,
    ) -> Result<Outcome, RuntimeError> {
        let module = self.modules.get(name).ok_or_else(|| unknown(name))?.clone();
        if context.data.is_some() {
            return Err(RuntimeError::InvalidConfig(
                "a session passes its own state to its host functions: ExecutionContext::data must be None".into(),
            ));
        }
        let call = Arc::new(SessionCall {
            module: name.to_owned(),
            bus: self.bus.clone(),
            limits: self.limits.clone(),
            popped: 0.into(),
        });
        let mut context = context.clone();
        context.data = Some(call.clone());
        let storage = NamespacedStorage::new(self.storage.clone(), name)?;
        let _span =
            tracing::debug_span!(target: "runtime::session", "invoke", module = name, export)
                .entered();
        let (outcome, reads) = self.runtime.run(
            &module,
            export,
            args,
            &context,
            Arc::new(storage.clone()),
            false,
        )?;
        if outcome.error.is_none() {
            storage.commit(&reads, &outcome.changes)?;
            let mut bus = self.bus.write();
            bus.pop_front(name, call.popped.load(Ordering::Relaxed));
            for lost in bus.deliver(name, &outcome.messages) {
                // `send` checked every receiver and nothing unloads during
                // an execution: this would be a bug of the session.
                tracing::error!(target: "runtime::session", seq = lost.seq, to = lost.to, "message to a module that is not loaded");
            }
        }
        Ok(outcome)
    }

    fn record(&mut self, step: TraceStep) {
        self.hasher.step(&step);
        self.trace.push(step);
    }

    /// Every step since the session began (or since the last
    /// [`Session::take_trace`]), in order.
    pub fn trace(&self) -> &[TraceStep] {
        &self.trace
    }

    /// Takes the steps recorded so far, for a long session that should not
    /// keep every outcome; the digest still covers them.
    pub fn take_trace(&mut self) -> Vec<TraceStep> {
        std::mem::take(&mut self.trace)
    }

    /// The session digest: SHA-256 over the ordered trace of every
    /// invocation and pump step and the final (current) mailboxes; `None`
    /// if a step was non-deterministic (a timeout, an engine failure).
    ///
    /// The encoding, integers little-endian, byte strings prefixed by their
    /// length as `u64`:
    ///
    /// 1. the domain tag `runtime-session-digest-v1` (bytes);
    /// 2. for each step, in order: `1u8`, the kind `u8` (invoke 0, pump 1),
    ///    the module (bytes), the export (bytes), the outcome's
    ///    [`digest`](Outcome::digest) (32 bytes, which covers the sent
    ///    messages), the number of dead letters `u64` and each dead letter;
    /// 3. `0u8`, the number of mailboxes `u64` (one per loaded module),
    ///    then in name order each name (bytes), its number of messages
    ///    `u64` and each message, oldest first.
    ///
    /// A message (in a mailbox or dead-lettered) is its sequence number
    /// `u64`, sender (bytes), receiver (bytes) and data (bytes).
    pub fn digest(&self) -> Option<[u8; 32]> {
        let bus = self.bus.read();
        self.hasher.finish(
            bus.mailboxes()
                .iter()
                .map(|(name, mailbox)| (name, mailbox.iter().collect())),
        )
    }

    /// [`Session::digest`] as 64 lowercase hex digits.
    pub fn digest_hex(&self) -> Option<String> {
        self.digest().map(hex::encode)
    }
}

fn unknown(name: &str) -> RuntimeError {
    RuntimeError::Registry(format!(
        "no module named {name:?} is loaded in this session"
    ))
}
