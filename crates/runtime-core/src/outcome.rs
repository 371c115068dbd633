//! The engine-independent result of one execution, and its digest.

use sha2::{Digest, Sha256};

use crate::error::{ExecError, HostError, NonDeterministic, Rejection};
use crate::storage::StorageChange;
use crate::value::WasmValue;

/// An event emitted by the guest.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Event {
    /// Its kind, UTF-8.
    pub kind: String,
    /// Its opaque data.
    pub data: Vec<u8>,
}

/// A message sent by the execution with the session function `send`
/// (`docs/SESSIONS.md`): delivered to the receiver's mailbox when the
/// execution ends `ok`, dropped otherwise.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Message {
    /// The receiver's module name.
    pub to: String,
    /// The data.
    pub data: Vec<u8>,
}

/// The class of an outcome, as `CLI.md` spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Status {
    /// The call returned normally.
    Ok,
    /// A guest trap, gas exhaustion and stack overflow included.
    Trap,
    /// A host function ended the call.
    HostError,
    /// The module or the call was rejected before running.
    Rejected,
    /// A non-deterministic condition; never agreed, never digested.
    NonDeterministic,
}

impl Status {
    /// `ok`, `trap`, `host_error`, `rejected` or `nondeterministic`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Trap => "trap",
            Status::HostError => "host_error",
            Status::Rejected => "rejected",
            Status::NonDeterministic => "nondeterministic",
        }
    }

    fn code(self) -> u8 {
        match self {
            Status::Ok => 0,
            Status::Trap => 1,
            Status::HostError => 2,
            Status::Rejected => 3,
            Status::NonDeterministic => 4,
        }
    }
}

/// What one execution did. Equal digests on every backend is what
/// "deterministic" means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// `None` for status `ok`.
    pub error: Option<ExecError>,
    /// The data of the last `value_return` (empty on error).
    pub return_data: Vec<u8>,
    /// Log lines, kept on error too.
    pub logs: Vec<String>,
    /// Events (none on error).
    pub events: Vec<crate::outcome::Event>,
    /// Net storage changes ordered by key (none on error).
    pub changes: Vec<StorageChange>,
    /// Gas used: exact for `ok` and `host_error`, the whole limit for a
    /// trap (ABI 1.1).
    pub gas_used: u64,
    /// The export's results (typed calls; empty on error and for
    /// `[] -> []` exports).
    pub results: Vec<WasmValue>,
    /// Messages sent with the session function `send` (or recorded by an
    /// embedder's host function with
    /// [`HostContext::send_message`](crate::HostContext::send_message)),
    /// in order; none on error, like events. Only a
    /// [`Session`](crate::Session) delivers them.
    pub messages: Vec<Message>,
}

/// Version tag of the canonical encoding below; changing the encoding
/// changes it.
const DIGEST_DOMAIN: &[u8] = b"runtime-outcome-digest-v2";

impl Outcome {
    /// An outcome that ended before the guest ran (a rejection), or with a
    /// non-deterministic condition before any host state existed.
    pub fn failed(error: ExecError) -> Self {
        Self {
            error: Some(error),
            return_data: Vec::new(),
            logs: Vec::new(),
            events: Vec::new(),
            changes: Vec::new(),
            gas_used: 0,
            results: Vec::new(),
            messages: Vec::new(),
        }
    }

    /// A rejection outcome.
    pub fn rejected(rejection: Rejection) -> Self {
        Self::failed(ExecError::Rejected(rejection))
    }

    /// The outcome's status.
    pub fn status(&self) -> Status {
        match &self.error {
            None => Status::Ok,
            Some(ExecError::Trap(_)) => Status::Trap,
            Some(ExecError::Host(_)) => Status::HostError,
            Some(ExecError::Rejected(_)) => Status::Rejected,
            Some(ExecError::NonDeterministic(_)) => Status::NonDeterministic,
        }
    }

    /// Whether the outcome is deterministic (everything but the
    /// non-deterministic class).
    pub fn is_deterministic(&self) -> bool {
        !matches!(self.error, Some(ExecError::NonDeterministic(_)))
    }

    /// The SHA-256 of the canonical encoding, or `None` for a
    /// non-deterministic outcome, which never enters a digest.
    ///
    /// The canonical encoding, all integers little-endian, every byte string
    /// prefixed by its length as `u64`:
    ///
    /// 1. the domain tag `runtime-outcome-digest-v2` (bytes);
    /// 2. the status code `u8`: ok 0, trap 1, host_error 2, rejected 3;
    /// 3. the error kind's name as in `ABI.md` (bytes; empty for `ok`), then
    ///    for `GuestPanic` and `Embedder` the message (bytes) — no other
    ///    error text;
    /// 4. the return data (bytes);
    /// 5. the number of logs `u64`, then each log line (bytes);
    /// 6. the number of events `u64`, then each event's kind and data (bytes);
    /// 7. the number of changes `u64`, then each key (bytes), a tag `u8`
    ///    (0 removed, 1 set) and, when set, the value (bytes);
    /// 8. `gas_used` as `u64`;
    /// 9. the number of results `u64`, then each result's type as its wasm
    ///    value-type byte (`0x7f` i32, `0x7e` i64, `0x7d` f32, `0x7c` f64)
    ///    and its bits as `u64` (floats bit-exact, so NaN payloads count);
    /// 10. only when the outcome has sent messages (so an outcome without
    ///     any keeps the digest it had before sessions existed): their
    ///     number `u64`, then each message's receiver (bytes) and data
    ///     (bytes). This section comes last and everything before it is
    ///     length-prefixed, so the encoding stays unambiguous.
    pub fn digest(&self) -> Option<[u8; 32]> {
        if !self.is_deterministic() {
            return None;
        }
        let mut h = Sha256::new();
        let bytes = |h: &mut Sha256, b: &[u8]| {
            h.update((b.len() as u64).to_le_bytes());
            h.update(b);
        };
        bytes(&mut h, DIGEST_DOMAIN);
        h.update([self.status().code()]);
        let kind = self.error.as_ref().map_or("", ExecError::kind_name);
        bytes(&mut h, kind.as_bytes());
        if let Some(ExecError::Host(
            HostError::GuestPanic(message) | HostError::Embedder(message),
        )) = &self.error
        {
            bytes(&mut h, message.as_bytes());
        }
        bytes(&mut h, &self.return_data);
        h.update((self.logs.len() as u64).to_le_bytes());
        for log in &self.logs {
            bytes(&mut h, log.as_bytes());
        }
        h.update((self.events.len() as u64).to_le_bytes());
        for event in &self.events {
            bytes(&mut h, event.kind.as_bytes());
            bytes(&mut h, &event.data);
        }
        h.update((self.changes.len() as u64).to_le_bytes());
        for change in &self.changes {
            bytes(&mut h, &change.key);
            match &change.value {
                None => h.update([0]),
                Some(value) => {
                    h.update([1]);
                    bytes(&mut h, value);
                }
            }
        }
        h.update(self.gas_used.to_le_bytes());
        h.update((self.results.len() as u64).to_le_bytes());
        for value in &self.results {
            h.update([value.ty().code()]);
            h.update(value.bits().to_le_bytes());
        }
        if !self.messages.is_empty() {
            h.update((self.messages.len() as u64).to_le_bytes());
            for message in &self.messages {
                bytes(&mut h, message.to.as_bytes());
                bytes(&mut h, &message.data);
            }
        }
        Some(h.finalize().into())
    }

    /// The digest as 64 lowercase hex digits, or `None` (non-deterministic).
    pub fn digest_hex(&self) -> Option<String> {
        self.digest().map(hex::encode)
    }

    /// A non-deterministic outcome for an engine failure.
    pub fn engine_error(message: impl Into<String>) -> Self {
        Self::failed(ExecError::NonDeterministic(NonDeterministic::EngineError(
            message.into(),
        )))
    }
}

/// Whether all `outcomes` agree: each is deterministic and all digests are
/// equal. An empty list agrees.
pub fn outcomes_agree<'a>(outcomes: impl IntoIterator<Item = &'a Outcome>) -> bool {
    let mut first: Option<[u8; 32]> = None;
    for outcome in outcomes {
        let Some(digest) = outcome.digest() else {
            return false;
        };
        match first {
            None => first = Some(digest),
            Some(d) if d != digest => return false,
            Some(_) => {}
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{NonDeterministic, TrapKind};

    fn ok() -> Outcome {
        Outcome {
            error: None,
            return_data: vec![1],
            logs: vec!["a".into()],
            events: vec![Event {
                kind: "k".into(),
                data: vec![2],
            }],
            changes: vec![StorageChange {
                key: b"k".to_vec(),
                value: None,
            }],
            gas_used: 7,
            results: vec![WasmValue::F32(0x7fc0_0000)],
            messages: vec![Message {
                to: "logger".into(),
                data: vec![3],
            }],
        }
    }

    #[test]
    fn digest_covers_every_field() {
        let base = ok().digest();
        type Change = Box<dyn Fn(&mut Outcome)>;
        let variants: Vec<Change> = vec![
            Box::new(|o| o.return_data.push(0)),
            Box::new(|o| o.logs[0].push('x')),
            Box::new(|o| o.logs.push(String::new())),
            Box::new(|o| o.events[0].kind.push('x')),
            Box::new(|o| o.events[0].data.clear()),
            Box::new(|o| o.changes[0].value = Some(vec![])),
            Box::new(|o| o.changes.clear()),
            Box::new(|o| o.gas_used += 1),
            Box::new(|o| o.results[0] = WasmValue::F32(0x7fc0_0001)),
            Box::new(|o| o.results[0] = WasmValue::I32(0x7fc0_0000)),
            Box::new(|o| o.results.clear()),
            Box::new(|o| o.messages[0].to.push('x')),
            Box::new(|o| o.messages[0].data.clear()),
            Box::new(|o| {
                o.messages.push(Message {
                    to: String::new(),
                    data: vec![],
                })
            }),
            Box::new(|o| o.messages.clear()),
            Box::new(|o| o.error = Some(ExecError::Trap(TrapKind::Unreachable))),
        ];
        for change in variants {
            let mut o = ok();
            change(&mut o);
            assert_ne!(o.digest(), base);
        }
    }

    #[test]
    fn an_outcome_without_messages_keeps_its_pre_session_digest() {
        // Section 10 is absent when there are no messages: the digest is
        // the one of the encoding before sessions, items 1-9.
        let mut o = ok();
        o.messages.clear();
        let mut h = Sha256::new();
        let bytes = |h: &mut Sha256, b: &[u8]| {
            h.update((b.len() as u64).to_le_bytes());
            h.update(b);
        };
        bytes(&mut h, b"runtime-outcome-digest-v2");
        h.update([0]);
        bytes(&mut h, b"");
        bytes(&mut h, &[1]);
        h.update(1u64.to_le_bytes());
        bytes(&mut h, b"a");
        h.update(1u64.to_le_bytes());
        bytes(&mut h, b"k");
        bytes(&mut h, &[2]);
        h.update(1u64.to_le_bytes());
        bytes(&mut h, b"k");
        h.update([0]);
        h.update(7u64.to_le_bytes());
        h.update(1u64.to_le_bytes());
        h.update([0x7d]);
        h.update(0x7fc0_0000u64.to_le_bytes());
        assert_eq!(o.digest(), Some(h.finalize().into()));
    }

    #[test]
    fn digest_covers_the_panic_message_but_no_other_text() {
        let mut a = ok();
        a.error = Some(ExecError::Host(HostError::GuestPanic("a".into())));
        let mut b = ok();
        b.error = Some(ExecError::Host(HostError::GuestPanic("b".into())));
        assert_ne!(a.digest(), b.digest());
        // An embedder's message too, and it is not a guest panic's.
        let mut e1 = ok();
        e1.error = Some(ExecError::Host(HostError::Embedder("a".into())));
        let mut e2 = ok();
        e2.error = Some(ExecError::Host(HostError::Embedder("b".into())));
        assert_ne!(e1.digest(), e2.digest());
        assert_ne!(e1.digest(), a.digest());
        let mut r1 = ok();
        r1.error = Some(ExecError::Rejected(Rejection::new(
            crate::RejectionKind::MalformedModule,
            "engine wording 1",
        )));
        let mut r2 = r1.clone();
        r2.error = Some(ExecError::Rejected(Rejection::new(
            crate::RejectionKind::MalformedModule,
            "other wording",
        )));
        assert_eq!(r1.digest(), r2.digest());
    }

    #[test]
    fn nondeterministic_outcomes_never_agree() {
        let nd = Outcome::failed(ExecError::NonDeterministic(NonDeterministic::Timeout));
        assert_eq!(nd.digest(), None);
        assert!(!outcomes_agree([&nd, &nd]));
        assert!(outcomes_agree([&ok(), &ok()]));
        let mut other = ok();
        other.gas_used = 8;
        assert!(!outcomes_agree([&ok(), &other]));
    }
}
