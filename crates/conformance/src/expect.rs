//! Expected outcomes, written from `ABI.md`, and how an outcome is checked
//! against one.

use runtime::{
    Event, ExecError, HostError, NonDeterministic, Outcome, RejectionKind, Status, StorageChange,
    TrapKind, WasmValue,
};
use sha2::{Digest, Sha256};

/// The error a case expects, typed: a trap of a kind, a host error (with its
/// message for `GuestPanic` and `Embedder`), or a rejection of a kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExpectedError {
    /// Status `trap`, this kind.
    Trap(TrapKind),
    /// Status `host_error`, exactly this error.
    Host(HostError),
    /// Status `rejected`, this kind (the detail is free text; see
    /// [`Expect::naming`]).
    Rejected(RejectionKind),
    /// Status `host_error`, any error of this kind whatever its message
    /// (with [`Expect::naming`] for a part of the message).
    HostKind(&'static str),
    /// Status `nondeterministic`, exactly this condition (an embedder's
    /// `HostPanic` with its message: such an outcome has no digest, so
    /// backends "agree" on it when each reports it; `suite::case_agrees`).
    NonDeterministic(NonDeterministic),
}

impl ExpectedError {
    /// The status an outcome with this error has.
    pub fn status(&self) -> Status {
        match self {
            ExpectedError::Trap(_) => Status::Trap,
            ExpectedError::Host(_) => Status::HostError,
            ExpectedError::Rejected(_) => Status::Rejected,
            ExpectedError::HostKind(_) => Status::HostError,
            ExpectedError::NonDeterministic(_) => Status::NonDeterministic,
        }
    }

    /// Whether `error` is this one.
    pub fn matches(&self, error: &ExecError) -> bool {
        match (self, error) {
            (ExpectedError::Trap(want), ExecError::Trap(got)) => want == got,
            (ExpectedError::Host(want), ExecError::Host(got)) => want == got,
            (ExpectedError::Rejected(want), ExecError::Rejected(got)) => *want == got.kind,
            (ExpectedError::HostKind(want), ExecError::Host(got)) => *want == got.name(),
            (ExpectedError::NonDeterministic(want), ExecError::NonDeterministic(got)) => {
                want == got
            }
            _ => false,
        }
    }
}

/// An error kind given typed (`TrapKind::Unreachable`) or, for corpus
/// files written before expectations were typed, by its `ABI.md` name
/// (`"Unreachable"`), looked up in the kind's list.
///
/// # Panics
///
/// A name that is no kind of `T` panics when the case is built: the corpus
/// is fixed, so every test run catches it.
pub trait KindOrName<T> {
    /// The kind.
    fn kind(self) -> T;
}

impl KindOrName<TrapKind> for TrapKind {
    fn kind(self) -> TrapKind {
        self
    }
}

impl KindOrName<HostError> for HostError {
    fn kind(self) -> HostError {
        self
    }
}

impl KindOrName<RejectionKind> for RejectionKind {
    fn kind(self) -> RejectionKind {
        self
    }
}

fn by_name<T: Clone>(what: &str, name: &str, kinds: &[T], name_of: fn(&T) -> &'static str) -> T {
    kinds
        .iter()
        .find(|k| name_of(k) == name)
        .cloned()
        .unwrap_or_else(|| panic!("no {what} named {name:?}"))
}

impl KindOrName<TrapKind> for &str {
    fn kind(self) -> TrapKind {
        by_name("trap kind", self, TrapKind::ALL, |k| k.name())
    }
}

/// The host errors without a message, for names (`GuestPanic` has
/// [`Expect::panic`]).
const HOST_ERRORS: &[HostError] = &[
    HostError::MemoryAccessViolation,
    HostError::InvalidRegisterId,
    HostError::BadUtf8,
    HostError::KeyLengthExceeded,
    HostError::ValueLengthExceeded,
    HostError::StorageWriteLimitExceeded,
    HostError::RegisterSizeExceeded,
    HostError::RegistersMemoryExceeded,
    HostError::TooManyRegisters,
    HostError::TooManyLogs,
    HostError::TotalLogLengthExceeded,
    HostError::TooManyEvents,
    HostError::EventDataLengthExceeded,
    HostError::UnknownModule,
    HostError::MessageTooLarge,
    HostError::TooManyMessages,
    HostError::MailboxFull,
];

impl KindOrName<HostError> for &str {
    fn kind(self) -> HostError {
        by_name(
            "host error without a message",
            self,
            HOST_ERRORS,
            HostError::name,
        )
    }
}

const REJECTIONS: &[RejectionKind] = &[
    RejectionKind::MalformedModule,
    RejectionKind::DisallowedFeature,
    RejectionKind::UnknownImport,
    RejectionKind::MistypedImport,
    RejectionKind::MissingMemoryExport,
    RejectionKind::StaticLimitExceeded,
    RejectionKind::MissingExport,
    RejectionKind::ArgumentMismatch,
];

impl KindOrName<RejectionKind> for &str {
    fn kind(self) -> RejectionKind {
        by_name("rejection kind", self, REJECTIONS, |k| k.name())
    }
}

/// What a case must produce. On an error, `ABI.md` implies no return data,
/// no events and no changes; logs written before the error are kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expect {
    /// The error (`None`: status `ok`).
    pub error: Option<ExpectedError>,
    /// The return data.
    pub return_data: Vec<u8>,
    /// The log lines.
    pub logs: Vec<String>,
    /// The events.
    pub events: Vec<Event>,
    /// The storage changes, ordered by key.
    pub changes: Vec<StorageChange>,
    /// The exact gas, where the case states it (from the `GasSchedule`).
    pub gas_used: Option<u64>,
    /// A text the error message must contain (a rejection names its limit
    /// or feature).
    pub message_contains: Option<&'static str>,
    /// The typed results (empty for a `[] -> []` export and on error).
    pub results: Vec<WasmValue>,
    /// For outputs too big to hold in every copy of a case: the return
    /// data's length and SHA-256, checked instead of `return_data`.
    pub return_digest: Option<(u64, [u8; 32])>,
    /// Likewise the changes' count and [`changes_sha256`], checked instead
    /// of `changes`.
    pub changes_digest: Option<(u64, [u8; 32])>,
}

/// The SHA-256 of storage changes in order: per change, the key's length
/// (u64, little-endian) and bytes, then `0` for a removal or `1`, the
/// value's length and bytes.
pub fn changes_sha256<'a>(
    changes: impl IntoIterator<Item = (&'a [u8], Option<&'a [u8]>)>,
) -> [u8; 32] {
    let mut h = Sha256::new();
    for (key, value) in changes {
        h.update((key.len() as u64).to_le_bytes());
        h.update(key);
        match value {
            None => h.update([0]),
            Some(value) => {
                h.update([1]);
                h.update((value.len() as u64).to_le_bytes());
                h.update(value);
            }
        }
    }
    h.finalize().into()
}

/// A short account of two long sequences that differ: what was expected
/// and what came, as their lengths and where they first differ.
fn describe_mismatch<T: PartialEq>(want: &[T], got: &[T]) -> (String, String) {
    let first = want.iter().zip(got).position(|(a, b)| a != b);
    (
        format!("{} items", want.len()),
        format!("{} items (first difference at {first:?})", got.len()),
    )
}

impl Expect {
    /// Status `ok` with nothing else.
    pub fn ok() -> Self {
        Self {
            error: None,
            return_data: Vec::new(),
            logs: Vec::new(),
            events: Vec::new(),
            changes: Vec::new(),
            gas_used: None,
            message_contains: None,
            results: Vec::new(),
            return_digest: None,
            changes_digest: None,
        }
    }

    /// The error `error`.
    pub fn error(error: ExpectedError) -> Self {
        Self {
            error: Some(error),
            ..Self::ok()
        }
    }

    /// A guest trap: `Expect::trap(TrapKind::Unreachable)`.
    pub fn trap(kind: impl KindOrName<TrapKind>) -> Self {
        Self::error(ExpectedError::Trap(kind.kind()))
    }

    /// A host error: `Expect::host_error(HostError::BadUtf8)`.
    pub fn host_error(error: impl KindOrName<HostError>) -> Self {
        Self::error(ExpectedError::Host(error.kind()))
    }

    /// A rejection: `Expect::rejected(RejectionKind::MissingExport)`.
    pub fn rejected(kind: impl KindOrName<RejectionKind>) -> Self {
        Self::error(ExpectedError::Rejected(kind.kind()))
    }

    /// `GuestPanic(message)`.
    pub fn panic(message: &str) -> Self {
        Self::host_error(HostError::GuestPanic(message.to_owned()))
    }

    /// A host error of kind `name` whatever its message (for messages
    /// written by code, such as a signature mismatch; pin a part of it with
    /// [`Expect::naming`]).
    pub fn host_error_kind(name: &'static str) -> Self {
        Self::error(ExpectedError::HostKind(name))
    }

    /// An embedder host function's error with `message` (status
    /// `host_error`, kind `Embedder`).
    pub fn embedder(message: &str) -> Self {
        Self::host_error(HostError::Embedder(message.to_owned()))
    }

    /// An embedder host function panicked: the non-deterministic
    /// `HostPanic` with `message`.
    pub fn host_panic(message: &str) -> Self {
        Self::error(ExpectedError::NonDeterministic(
            NonDeterministic::HostPanic(message.to_owned()),
        ))
    }

    /// With typed results.
    pub fn results(mut self, results: impl IntoIterator<Item = WasmValue>) -> Self {
        self.results = results.into_iter().collect();
        self
    }

    /// The status.
    pub fn status(&self) -> Status {
        self.error
            .as_ref()
            .map_or(Status::Ok, ExpectedError::status)
    }

    /// With return data.
    pub fn returns(mut self, data: impl Into<Vec<u8>>) -> Self {
        self.return_data = data.into();
        self
    }

    /// With log lines.
    pub fn logs<S: Into<String>>(mut self, logs: impl IntoIterator<Item = S>) -> Self {
        self.logs = logs.into_iter().map(Into::into).collect();
        self
    }

    /// With events.
    pub fn events(mut self, events: impl IntoIterator<Item = (&'static str, Vec<u8>)>) -> Self {
        self.events = events
            .into_iter()
            .map(|(kind, data)| Event {
                kind: kind.to_owned(),
                data,
            })
            .collect();
        self
    }

    /// With storage changes (`None`: removal); they are sorted by key here.
    pub fn changes(
        mut self,
        changes: impl IntoIterator<Item = (Vec<u8>, Option<Vec<u8>>)>,
    ) -> Self {
        self.changes = changes
            .into_iter()
            .map(|(key, value)| StorageChange { key, value })
            .collect();
        self.changes.sort();
        self
    }

    /// With a text the error message must contain.
    pub fn naming(mut self, text: &'static str) -> Self {
        self.message_contains = Some(text);
        self
    }

    /// With return data of `len` bytes whose SHA-256 is `sha256` (for
    /// outputs too big to copy into every test).
    pub fn returns_digest(mut self, len: u64, sha256: [u8; 32]) -> Self {
        self.return_digest = Some((len, sha256));
        self
    }

    /// With `count` changes whose [`changes_sha256`] is `sha256`.
    pub fn changes_digest(mut self, count: u64, sha256: [u8; 32]) -> Self {
        self.changes_digest = Some((count, sha256));
        self
    }

    /// With the exact gas.
    pub fn gas(mut self, gas: u64) -> Self {
        self.gas_used = Some(gas);
        self
    }

    /// Checks `outcome` field by field.
    ///
    /// # Errors
    ///
    /// Every mismatch, one per line.
    pub fn check(&self, outcome: &Outcome) -> Result<(), String> {
        let mut problems = Vec::new();
        let error_matches = match (&self.error, &outcome.error) {
            (None, None) => true,
            (Some(want), Some(got)) => want.matches(got),
            _ => false,
        };
        if !error_matches {
            problems.push(format!(
                "error: expected {:?}, got {:?}",
                self.error, outcome.error
            ));
        }
        let mut expect_eq = |what: &str, want: String, got: String| {
            if want != got {
                problems.push(format!("{what}: expected {want}, got {got}"));
            }
        };
        expect_eq(
            "status",
            format!("{:?}", self.status()),
            format!("{:?}", outcome.status()),
        );
        match self.return_digest {
            Some((len, sha256)) => {
                let got: [u8; 32] = Sha256::digest(&outcome.return_data).into();
                expect_eq(
                    "return data (length, SHA-256)",
                    format!("{len}, {}", hex::encode(sha256)),
                    format!("{}, {}", outcome.return_data.len(), hex::encode(got)),
                );
            }
            // Compared before formatting: outputs may be tens of MiB.
            None if self.return_data != outcome.return_data => {
                let (want, got) = (&self.return_data, &outcome.return_data);
                if want.len() + got.len() <= 4096 {
                    expect_eq("return data", hex::encode(want), hex::encode(got));
                } else {
                    let (want, got) = describe_mismatch(want, got);
                    expect_eq("return data", want, got);
                }
            }
            None => {}
        }
        expect_eq(
            "logs",
            format!("{:?}", self.logs),
            format!("{:?}", outcome.logs),
        );
        expect_eq(
            "events",
            format!("{:?}", self.events),
            format!("{:?}", outcome.events),
        );
        match self.changes_digest {
            Some((count, sha256)) => {
                let got = changes_sha256(
                    outcome
                        .changes
                        .iter()
                        .map(|c| (c.key.as_slice(), c.value.as_deref())),
                );
                expect_eq(
                    "changes (count, SHA-256)",
                    format!("{count}, {}", hex::encode(sha256)),
                    format!("{}, {}", outcome.changes.len(), hex::encode(got)),
                );
            }
            None if self.changes != outcome.changes => {
                let (want, got) = (&self.changes, &outcome.changes);
                let size = |c: &[StorageChange]| {
                    c.iter()
                        .map(|c| c.key.len() + c.value.as_ref().map_or(0, Vec::len))
                        .sum::<usize>()
                };
                if size(want) + size(got) <= 4096 {
                    expect_eq("changes", format!("{want:?}"), format!("{got:?}"));
                } else {
                    let (want, got) = describe_mismatch(want, got);
                    expect_eq("changes", want, got);
                }
            }
            None => {}
        }
        let show = |values: &[WasmValue]| {
            let items: Vec<String> = values.iter().map(ToString::to_string).collect();
            format!("[{}]", items.join(", "))
        };
        expect_eq("results", show(&self.results), show(&outcome.results));
        if let Some(gas) = self.gas_used {
            expect_eq("gas used", gas.to_string(), outcome.gas_used.to_string());
        }
        if let Some(text) = self.message_contains {
            let message = outcome
                .error
                .as_ref()
                .map(ExecError::message)
                .unwrap_or_default();
            if !message.contains(text) {
                problems.push(format!("error message {message:?} does not name {text:?}"));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("\n"))
        }
    }
}
