//! What a session case must produce: each step's outcome, messages and
//! dead letters, the final mailboxes and the final store, written from
//! `docs/SESSIONS.md`, and how a run is checked against it.

use runtime::{Envelope, Message, StepKind, TraceStep};

use super::{Script, SessionRun};
use crate::expect::Expect;

/// The default gas limit: what a trap with the default limits uses.
pub(crate) const DEFAULT_GAS: u64 = 1_000_000_000;

/// One step's expectation: how it came about, the outcome, the messages it
/// sent and what it dead-lettered.
#[derive(Clone, Debug)]
pub struct StepExpect {
    /// Explicit or by `pump`.
    pub kind: StepKind,
    /// The module that ran.
    pub module: &'static str,
    /// The export.
    pub export: &'static str,
    /// The outcome (status, error, return data, logs, events, changes,
    /// gas).
    pub outcome: Expect,
    /// The messages sent.
    pub messages: Vec<Message>,
    /// The dead letters: sequence number, sender, receiver, data.
    pub dead_letters: Vec<Envelope>,
}

impl StepExpect {
    fn new(kind: StepKind, module: &'static str, export: &'static str) -> Self {
        Self {
            kind,
            module,
            export,
            outcome: Expect::ok(),
            messages: Vec::new(),
            dead_letters: Vec::new(),
        }
    }

    /// An explicit invocation, `ok` with nothing else.
    pub(crate) fn invoke(module: &'static str, export: &'static str) -> Self {
        Self::new(StepKind::Invoke, module, export)
    }

    /// A pump step, `ok` with nothing else.
    pub(crate) fn pump(module: &'static str, export: &'static str) -> Self {
        Self::new(StepKind::Pump, module, export)
    }

    pub(crate) fn returns(mut self, data: impl Into<Vec<u8>>) -> Self {
        self.outcome = self.outcome.returns(data);
        self
    }

    pub(crate) fn sends(mut self, messages: &[(&str, &[u8])]) -> Self {
        self.messages = messages
            .iter()
            .map(|(to, data)| Message {
                to: (*to).to_owned(),
                data: data.to_vec(),
            })
            .collect();
        self
    }

    pub(crate) fn fails(mut self, outcome: Expect) -> Self {
        self.outcome = outcome;
        self
    }

    /// A trap of `kind` with the whole default gas limit used (ABI 1.1).
    pub(crate) fn traps(self, kind: &'static str) -> Self {
        self.fails(Expect::trap(kind).gas(DEFAULT_GAS))
    }

    pub(crate) fn host_error(self, kind: &'static str) -> Self {
        self.fails(Expect::host_error(kind))
    }

    pub(crate) fn gas(mut self, gas: u64) -> Self {
        self.outcome = self.outcome.gas(gas);
        self
    }

    pub(crate) fn changes(mut self, changes: &[(&[u8], &[u8])]) -> Self {
        self.outcome = self
            .outcome
            .changes(changes.iter().map(|(k, v)| (k.to_vec(), Some(v.to_vec()))));
        self
    }

    pub(crate) fn dead(mut self, seq: u64, from: &str, to: &str, data: &[u8]) -> Self {
        self.dead_letters.push(letter(seq, from, to, data));
        self
    }

    /// Checks one step of a run.
    ///
    /// # Errors
    ///
    /// Every mismatch, one per line.
    pub fn check(&self, step: &TraceStep) -> Result<(), String> {
        let mut problems = Vec::new();
        let place = (step.kind, step.module.as_str(), step.export.as_str());
        if place != (self.kind, self.module, self.export) {
            problems.push(format!(
                "ran {place:?}, expected {:?}",
                (self.kind, self.module, self.export)
            ));
        }
        if let Err(e) = self.outcome.check(&step.outcome) {
            problems.push(e);
        }
        if step.outcome.messages != self.messages {
            problems.push(format!(
                "messages: expected {:?}, got {:?}",
                self.messages, step.outcome.messages
            ));
        }
        if step.dead_letters != self.dead_letters {
            problems.push(format!(
                "dead letters: expected {:?}, got {:?}",
                self.dead_letters, step.dead_letters
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("; "))
        }
    }
}

pub(crate) fn letter(seq: u64, from: &str, to: &str, data: &[u8]) -> Envelope {
    Envelope {
        seq,
        from: from.to_owned(),
        to: to.to_owned(),
        data: data.to_vec(),
    }
}

/// A session case: a script, its pre-state, and what it must produce.
#[derive(Clone, Debug)]
pub struct SessionCase {
    /// Unique name, `session.*`.
    pub name: &'static str,
    /// The script.
    pub script: Script,
    /// The whole store before the session (prefixed keys).
    pub pre_state: Vec<(Vec<u8>, Vec<u8>)>,
    /// Every step, in order.
    pub steps: Vec<StepExpect>,
    /// The final mailboxes, one per loaded module, in name order (the
    /// receiver of each message is the mailbox's module).
    pub mailboxes: Vec<(&'static str, Vec<Envelope>)>,
    /// The whole store afterwards, ordered by key.
    pub storage: Vec<(Vec<u8>, Vec<u8>)>,
}

impl SessionCase {
    /// Checks one backend's run against the case.
    ///
    /// # Errors
    ///
    /// Every mismatch, one per line.
    pub fn check(&self, run: &SessionRun) -> Result<(), String> {
        let mut problems = Vec::new();
        if let Some(e) = &run.error {
            problems.push(format!("infrastructure error: {e}"));
        }
        if run.digest.is_none() {
            problems.push("no session digest".into());
        }
        if run.steps.len() != self.steps.len() {
            problems.push(format!(
                "{} steps, expected {}",
                run.steps.len(),
                self.steps.len()
            ));
        }
        for (i, (step, expect)) in run.steps.iter().zip(&self.steps).enumerate() {
            if let Err(e) = expect.check(step) {
                problems.push(format!("step {}: {e}", i + 1));
            }
        }
        let mailboxes: Vec<(&str, &[Envelope])> = run
            .mailboxes
            .iter()
            .map(|(name, m)| (name.as_str(), m.as_slice()))
            .collect();
        let expected: Vec<(&str, &[Envelope])> = self
            .mailboxes
            .iter()
            .map(|(name, m)| (*name, m.as_slice()))
            .collect();
        if mailboxes != expected {
            problems.push(format!(
                "final mailboxes: expected {expected:?}, got {mailboxes:?}"
            ));
        }
        if run.storage != self.storage {
            problems.push(format!(
                "final storage: expected {:?}, got {:?}",
                self.storage, run.storage
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("\n"))
        }
    }
}
