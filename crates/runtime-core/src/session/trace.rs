//! The ordered trace of a session, and the session digest over it.

use sha2::{Digest, Sha256};

use super::mailbox::Envelope;
use crate::outcome::Outcome;

/// How a step of the trace came about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StepKind {
    /// An explicit [`Session::invoke`](crate::Session::invoke) or
    /// [`Session::invoke_typed`](crate::Session::invoke_typed).
    Invoke,
    /// A delivery by [`Session::pump`](crate::Session::pump).
    Pump,
}

impl StepKind {
    /// `invoke` or `pump`.
    pub const fn as_str(self) -> &'static str {
        match self {
            StepKind::Invoke => "invoke",
            StepKind::Pump => "pump",
        }
    }

    fn code(self) -> u8 {
        match self {
            StepKind::Invoke => 0,
            StepKind::Pump => 1,
        }
    }
}

/// One invocation of a session: which module and export ran, what came of
/// it, and, for a pump step, the message it dead-lettered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceStep {
    /// Explicit or by `pump`.
    pub kind: StepKind,
    /// The module that ran (for a pump step, the message's receiver).
    pub module: String,
    /// The export that ran.
    pub export: String,
    /// Its outcome, with the messages it sent.
    pub outcome: Outcome,
    /// The message this pump step dead-lettered: its handler failed or
    /// returned without consuming it (empty for an explicit invocation).
    pub dead_letters: Vec<Envelope>,
}

/// Version tag of the session digest's encoding.
const SESSION_DOMAIN: &[u8] = b"runtime-session-digest-v1";

fn bytes(h: &mut Sha256, b: &[u8]) {
    h.update((b.len() as u64).to_le_bytes());
    h.update(b);
}

pub(crate) fn envelope(h: &mut Sha256, e: &Envelope) {
    h.update(e.seq.to_le_bytes());
    bytes(h, e.from.as_bytes());
    bytes(h, e.to.as_bytes());
    bytes(h, &e.data);
}

/// The running hash of a session's steps; the trace itself may be taken
/// away ([`Session::take_trace`](crate::Session::take_trace)) without
/// changing the digest.
#[derive(Clone)]
pub(crate) struct TraceHasher {
    hash: Sha256,
    steps: u64,
    deterministic: bool,
}

impl TraceHasher {
    pub(crate) fn new() -> Self {
        let mut hash = Sha256::new();
        bytes(&mut hash, SESSION_DOMAIN);
        Self {
            hash,
            steps: 0,
            deterministic: true,
        }
    }

    /// Adds a step: tag `1`, kind, module, export, the outcome's digest and
    /// the dead letters. A non-deterministic outcome makes the whole
    /// session non-deterministic.
    pub(crate) fn step(&mut self, step: &TraceStep) {
        self.steps += 1;
        let Some(digest) = step.outcome.digest() else {
            self.deterministic = false;
            return;
        };
        let h = &mut self.hash;
        h.update([1, step.kind.code()]);
        bytes(h, step.module.as_bytes());
        bytes(h, step.export.as_bytes());
        h.update(digest);
        h.update((step.dead_letters.len() as u64).to_le_bytes());
        for e in &step.dead_letters {
            envelope(h, e);
        }
    }

    /// The number of steps so far.
    pub(crate) fn steps(&self) -> u64 {
        self.steps
    }

    /// The digest with the final mailboxes: tag `0`, their number, then
    /// each name and its messages in order. `None` if a step was
    /// non-deterministic.
    pub(crate) fn finish<'a>(
        &self,
        mailboxes: impl ExactSizeIterator<Item = (&'a String, Vec<&'a Envelope>)>,
    ) -> Option<[u8; 32]> {
        if !self.deterministic {
            return None;
        }
        let mut h = self.hash.clone();
        h.update([0]);
        h.update((mailboxes.len() as u64).to_le_bytes());
        for (name, messages) in mailboxes {
            bytes(&mut h, name.as_bytes());
            h.update((messages.len() as u64).to_le_bytes());
            for e in messages {
                envelope(&mut h, e);
            }
        }
        Some(h.finalize().into())
    }
}
