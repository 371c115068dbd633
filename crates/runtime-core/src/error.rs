//! Errors in two tiers.
//!
//! * [`ExecError`] is the deterministic tier: what a guest did, named exactly as
//!   `ABI.md` names it. It is part of an [`Outcome`](crate::Outcome) and of its
//!   digest, and every backend maps its engine's failures into it with an
//!   exhaustive match.
//! * [`RuntimeError`] is the infrastructure tier: storage I/O, bugs, and
//!   anything that is not the guest's doing. It never enters a digest.

use std::fmt;

/// A guest trap, raised by the engine (or by the instrumentation), mapped one
/// to one from each engine's trap codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TrapKind {
    /// `unreachable` was executed.
    Unreachable,
    /// A load, store or bulk memory operation, or an active data segment, was
    /// out of the memory's bounds.
    MemoryOutOfBounds,
    /// A table access or an active element segment was out of bounds.
    TableOutOfBounds,
    /// `call_indirect` hit a null table entry.
    IndirectCallToNull,
    /// `call_indirect` hit a function of another type.
    BadSignature,
    /// Signed division overflow (`i32.div_s(i32::MIN, -1)`).
    IntegerOverflow,
    /// Integer division or remainder by zero.
    IntegerDivisionByZero,
    /// A trapping float-to-int conversion of NaN or an out-of-range value.
    BadConversionToInteger,
    /// The deterministic, instrumented stack-height limit was exceeded.
    StackOverflow,
    /// The call ran out of gas.
    GasExhausted,
}

impl TrapKind {
    /// Every trap kind, in the order of `ABI.md`.
    pub const ALL: &'static [TrapKind] = &[
        TrapKind::Unreachable,
        TrapKind::MemoryOutOfBounds,
        TrapKind::TableOutOfBounds,
        TrapKind::IndirectCallToNull,
        TrapKind::BadSignature,
        TrapKind::IntegerOverflow,
        TrapKind::IntegerDivisionByZero,
        TrapKind::BadConversionToInteger,
        TrapKind::StackOverflow,
        TrapKind::GasExhausted,
    ];

    /// The name of the kind in `ABI.md`.
    pub const fn name(self) -> &'static str {
        match self {
            TrapKind::Unreachable => "Unreachable",
            TrapKind::MemoryOutOfBounds => "MemoryOutOfBounds",
            TrapKind::TableOutOfBounds => "TableOutOfBounds",
            TrapKind::IndirectCallToNull => "IndirectCallToNull",
            TrapKind::BadSignature => "BadSignature",
            TrapKind::IntegerOverflow => "IntegerOverflow",
            TrapKind::IntegerDivisionByZero => "IntegerDivisionByZero",
            TrapKind::BadConversionToInteger => "BadConversionToInteger",
            TrapKind::StackOverflow => "StackOverflow",
            TrapKind::GasExhausted => "GasExhausted",
        }
    }
}

/// An error raised by a host function. Ends the execution.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HostError {
    /// A `ptr`/`len` argument overflows or lies outside the guest memory.
    MemoryAccessViolation,
    /// `read_register` of a register that is not set.
    InvalidRegisterId,
    /// A string argument is not valid UTF-8.
    BadUtf8,
    /// A storage key is longer than [`ExecutionLimits::max_key_len`](crate::ExecutionLimits::max_key_len).
    KeyLengthExceeded,
    /// A storage value is longer than [`ExecutionLimits::max_value_len`](crate::ExecutionLimits::max_value_len).
    ValueLengthExceeded,
    /// The keys and values written by one execution together would exceed
    /// [`ExecutionLimits::max_storage_write_bytes`](crate::ExecutionLimits::max_storage_write_bytes)
    /// (ABI 1.1).
    StorageWriteLimitExceeded,
    /// A register would exceed [`ExecutionLimits::max_register_size`](crate::ExecutionLimits::max_register_size).
    RegisterSizeExceeded,
    /// All registers together would exceed [`ExecutionLimits::max_registers_memory`](crate::ExecutionLimits::max_registers_memory).
    RegistersMemoryExceeded,
    /// More than [`ExecutionLimits::max_registers`](crate::ExecutionLimits::max_registers) registers.
    TooManyRegisters,
    /// More than [`ExecutionLimits::max_logs`](crate::ExecutionLimits::max_logs) log lines.
    TooManyLogs,
    /// Log lines together exceed [`ExecutionLimits::max_total_log_len`](crate::ExecutionLimits::max_total_log_len).
    TotalLogLengthExceeded,
    /// More than [`ExecutionLimits::max_events`](crate::ExecutionLimits::max_events) events.
    TooManyEvents,
    /// An event's kind and data together exceed [`ExecutionLimits::max_event_len`](crate::ExecutionLimits::max_event_len).
    EventDataLengthExceeded,
    /// The guest called `panic_utf8` with this message.
    GuestPanic(String),
    /// An embedder-defined host function failed with this message, which
    /// enters the digest (as `GuestPanic`'s does).
    Embedder(String),
    /// Session `send` to a name under which no module is loaded (see
    /// `docs/SESSIONS.md`).
    UnknownModule,
    /// Session `send` of data longer than
    /// [`SessionLimits::max_message_len`](crate::SessionLimits::max_message_len).
    MessageTooLarge,
    /// More session messages in one execution than
    /// [`SessionLimits::max_messages_per_execution`](crate::SessionLimits::max_messages_per_execution).
    TooManyMessages,
    /// Session `send` to a mailbox already holding
    /// [`SessionLimits::max_mailbox_len`](crate::SessionLimits::max_mailbox_len)
    /// messages.
    MailboxFull,
}

impl HostError {
    /// The name of the kind in `ABI.md`.
    pub fn name(&self) -> &'static str {
        match self {
            HostError::MemoryAccessViolation => "MemoryAccessViolation",
            HostError::InvalidRegisterId => "InvalidRegisterId",
            HostError::BadUtf8 => "BadUtf8",
            HostError::KeyLengthExceeded => "KeyLengthExceeded",
            HostError::ValueLengthExceeded => "ValueLengthExceeded",
            HostError::RegisterSizeExceeded => "RegisterSizeExceeded",
            HostError::RegistersMemoryExceeded => "RegistersMemoryExceeded",
            HostError::TooManyRegisters => "TooManyRegisters",
            HostError::TooManyLogs => "TooManyLogs",
            HostError::TotalLogLengthExceeded => "TotalLogLengthExceeded",
            HostError::TooManyEvents => "TooManyEvents",
            HostError::EventDataLengthExceeded => "EventDataLengthExceeded",
            HostError::StorageWriteLimitExceeded => "StorageWriteLimitExceeded",
            HostError::GuestPanic(_) => "GuestPanic",
            HostError::Embedder(_) => "Embedder",
            HostError::UnknownModule => "UnknownModule",
            HostError::MessageTooLarge => "MessageTooLarge",
            HostError::TooManyMessages => "TooManyMessages",
            HostError::MailboxFull => "MailboxFull",
        }
    }
}

/// Why a module was rejected before it ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RejectionKind {
    /// Not a well-formed, valid core WebAssembly module.
    MalformedModule,
    /// Uses a WebAssembly feature outside the allowed set.
    DisallowedFeature,
    /// Imports something that is not an ABI v1 function.
    UnknownImport,
    /// Imports an ABI v1 function with another signature.
    MistypedImport,
    /// Imports a pointer-taking function but exports no memory `"memory"`.
    MissingMemoryExport,
    /// A static module limit of [`ModuleLimits`](crate::ModuleLimits) is exceeded; the
    /// message names the limit.
    StaticLimitExceeded,
    /// The called export is missing or not a function of type `[] -> []`.
    MissingExport,
    /// A typed call's arguments do not match the export's parameters; the
    /// message names the expected signature.
    ArgumentMismatch,
}

impl RejectionKind {
    /// The name of the kind.
    ///
    /// `ABI.md` lists the rejection reasons in prose; these names are this
    /// runtime's reading of that list ("unknown or mistyped import" is two
    /// kinds, so a user can tell them apart).
    pub const fn name(self) -> &'static str {
        match self {
            RejectionKind::MalformedModule => "MalformedModule",
            RejectionKind::DisallowedFeature => "DisallowedFeature",
            RejectionKind::UnknownImport => "UnknownImport",
            RejectionKind::MistypedImport => "MistypedImport",
            RejectionKind::MissingMemoryExport => "MissingMemoryExport",
            RejectionKind::StaticLimitExceeded => "StaticLimitExceeded",
            RejectionKind::MissingExport => "MissingExport",
            RejectionKind::ArgumentMismatch => "ArgumentMismatch",
        }
    }
}

/// A module rejection: its kind and a human-readable detail (which feature,
/// import or limit, and where). Only the kind enters a digest.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}: {detail}", kind.name())]
pub struct Rejection {
    /// What was wrong.
    pub kind: RejectionKind,
    /// Where and why, for people.
    pub detail: String,
}

impl Rejection {
    /// A rejection of `kind` with a detail message.
    pub fn new(kind: RejectionKind, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: detail.into(),
        }
    }
}

/// A condition that is not a property of the guest and its inputs: it never
/// enters a digest and two such outcomes never "agree".
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NonDeterministic {
    /// The wall-clock safety net fired.
    Timeout,
    /// The host ran out of memory (or an engine resource limit was hit).
    OutOfMemory,
    /// The engine failed in a way this runtime does not map: an unknown trap,
    /// an engine bug, a compilation failure of a validated module.
    EngineError(String),
    /// An embedder-defined host function panicked, with this message. The
    /// panic was caught: it never unwinds through engine frames.
    HostPanic(String),
}

impl NonDeterministic {
    /// The name of the condition.
    pub fn name(&self) -> &'static str {
        match self {
            NonDeterministic::Timeout => "Timeout",
            NonDeterministic::OutOfMemory => "OutOfMemory",
            NonDeterministic::EngineError(_) => "EngineError",
            NonDeterministic::HostPanic(_) => "HostPanic",
        }
    }
}

/// Why an execution did not end with status `ok`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExecError {
    /// A guest trap (status `trap`).
    Trap(TrapKind),
    /// A host function ended the execution (status `host_error`).
    Host(HostError),
    /// The module or the call was rejected before running (status `rejected`).
    Rejected(Rejection),
    /// A non-deterministic condition (status `nondeterministic`).
    NonDeterministic(NonDeterministic),
}

impl ExecError {
    /// The kind's name, as `ABI.md` spells it.
    pub fn kind_name(&self) -> &'static str {
        match self {
            ExecError::Trap(t) => t.name(),
            ExecError::Host(h) => h.name(),
            ExecError::Rejected(r) => r.kind.name(),
            ExecError::NonDeterministic(n) => n.name(),
        }
    }

    /// A human-readable message: the guest's text for `GuestPanic`, the
    /// detail of a rejection or engine error, else the kind's name.
    pub fn message(&self) -> String {
        match self {
            ExecError::Host(HostError::GuestPanic(msg) | HostError::Embedder(msg)) => msg.clone(),
            ExecError::NonDeterministic(NonDeterministic::HostPanic(msg)) => msg.clone(),
            ExecError::Rejected(r) => r.detail.clone(),
            ExecError::NonDeterministic(NonDeterministic::EngineError(msg)) => msg.clone(),
            other => other.kind_name().to_owned(),
        }
    }
}

impl fmt::Display for ExecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let message = self.message();
        if message == self.kind_name() {
            f.write_str(self.kind_name())
        } else {
            write!(f, "{}: {message}", self.kind_name())
        }
    }
}

impl std::error::Error for ExecError {}

impl fmt::Display for TrapKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::error::Error for TrapKind {}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostError::GuestPanic(m) | HostError::Embedder(m) => {
                write!(f, "{}: {m}", self.name())
            }
            other => f.write_str(other.name()),
        }
    }
}

impl std::error::Error for HostError {}

impl fmt::Display for NonDeterministic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NonDeterministic::EngineError(m) | NonDeterministic::HostPanic(m) => {
                write!(f, "{}: {m}", self.name())
            }
            other => f.write_str(other.name()),
        }
    }
}

impl std::error::Error for NonDeterministic {}

impl From<TrapKind> for ExecError {
    fn from(t: TrapKind) -> Self {
        ExecError::Trap(t)
    }
}

impl From<HostError> for ExecError {
    fn from(h: HostError) -> Self {
        ExecError::Host(h)
    }
}

impl From<Rejection> for ExecError {
    fn from(r: Rejection) -> Self {
        ExecError::Rejected(r)
    }
}

/// An error of the storage layer (I/O, corruption, a locked or foreign
/// database); the message names what failed and where (a path, a key).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("storage error: {0}")]
pub struct StorageError(pub String);

impl StorageError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

/// Why [`Storage::commit`](crate::Storage::commit) wrote nothing.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommitError {
    /// A key the execution read has changed since: another commit came in
    /// between. Nothing was written; run the execution again.
    #[error(
        "commit conflict: key {} changed since the execution read it",
        hex::encode(key)
    )]
    Conflict {
        /// The first key found changed.
        key: Vec<u8>,
    },
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// The infrastructure tier: failures that are not the guest's doing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RuntimeError {
    /// The storage failed during the execution or the commit.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// A backend broke the contract of the `Backend` trait (a bug).
    #[error("backend {backend} broke its contract: {message}")]
    BackendContract {
        /// The backend's name.
        backend: &'static str,
        /// What happened.
        message: String,
    },
    /// The execution's changes were not committed because a key it read was
    /// changed by a concurrent commit. Nothing was written: retry the
    /// execution ([`RuntimeError::is_retryable`]).
    #[error(
        "commit conflict: key {} changed since the execution read it",
        hex::encode(key)
    )]
    Conflict {
        /// The first key found changed.
        key: Vec<u8>,
    },
    /// A module was used with a runtime other than the one that compiled it
    /// (another backend, engine, schedule, limits or host functions).
    #[error("module mismatch: {0}")]
    ModuleMismatch(String),
    /// The runtime's configuration is invalid (an unbounded gas schedule, a
    /// host function declared twice, ...).
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    /// A thread the runtime needs (the timeout machinery) could not start,
    /// or a stack for a guest could not be set up.
    #[error("runtime resources: {0}")]
    Resources(String),
    /// A registry or session operation named a module that is not there,
    /// or one already taken.
    #[error("{0}")]
    Registry(String),
    /// Backends that should agree did not.
    #[error("backends diverged: {0}")]
    Divergence(String),
}

impl RuntimeError {
    /// Whether running the same execution again may succeed: a commit
    /// conflict.
    pub fn is_retryable(&self) -> bool {
        matches!(self, RuntimeError::Conflict { .. })
    }
}

impl From<CommitError> for RuntimeError {
    fn from(e: CommitError) -> Self {
        match e {
            CommitError::Conflict { key } => RuntimeError::Conflict { key },
            CommitError::Storage(e) => RuntimeError::Storage(e),
        }
    }
}
