//! Expected outcomes, written from `ABI.md`, and how an outcome is checked
//! against one.

use runtime::{Event, ExecError, HostError, Outcome, Status, StorageChange};
use sha2::{Digest, Sha256};

/// What a case must produce. On an error, `ABI.md` implies no return data,
/// no events and no changes; logs written before the error are kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expect {
    /// The status.
    pub status: Status,
    /// The error kind's name, as `ABI.md` spells it (`None` for `ok`).
    pub error_kind: Option<&'static str>,
    /// For `GuestPanic`, the message.
    pub panic_message: Option<String>,
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
            status: Status::Ok,
            error_kind: None,
            panic_message: None,
            return_data: Vec::new(),
            logs: Vec::new(),
            events: Vec::new(),
            changes: Vec::new(),
            gas_used: None,
            message_contains: None,
            return_digest: None,
            changes_digest: None,
        }
    }

    /// An error of the given status and kind.
    pub fn error(status: Status, kind: &'static str) -> Self {
        Self {
            status,
            error_kind: Some(kind),
            ..Self::ok()
        }
    }

    /// A guest trap.
    pub fn trap(kind: &'static str) -> Self {
        Self::error(Status::Trap, kind)
    }

    /// A host error.
    pub fn host_error(kind: &'static str) -> Self {
        Self::error(Status::HostError, kind)
    }

    /// A rejection.
    pub fn rejected(kind: &'static str) -> Self {
        Self::error(Status::Rejected, kind)
    }

    /// `GuestPanic(message)`.
    pub fn panic(message: &str) -> Self {
        Self {
            panic_message: Some(message.to_owned()),
            ..Self::host_error("GuestPanic")
        }
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
        let mut expect_eq = |what: &str, want: String, got: String| {
            if want != got {
                problems.push(format!("{what}: expected {want}, got {got}"));
            }
        };
        expect_eq(
            "status",
            format!("{:?}", self.status),
            format!("{:?}", outcome.status()),
        );
        expect_eq(
            "error kind",
            format!("{:?}", self.error_kind),
            format!("{:?}", outcome.error.as_ref().map(ExecError::kind_name)),
        );
        if let Some(message) = &self.panic_message {
            let got = match &outcome.error {
                Some(ExecError::Host(HostError::GuestPanic(m))) => Some(m.clone()),
                _ => None,
            };
            expect_eq(
                "panic message",
                format!("{:?}", Some(message)),
                format!("{got:?}"),
            );
        }
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
