//! Expected outcomes, written from `ABI.md`, and how an outcome is checked
//! against one.

use runtime::{
    Event, ExecError, HostError, NonDeterministic, Outcome, Status, StorageChange, WasmValue,
};

/// What a case must produce. On an error, `ABI.md` implies no return data,
/// no events and no changes; logs written before the error are kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expect {
    /// The status.
    pub status: Status,
    /// The error kind's name, as `ABI.md` spells it (`None` for `ok`).
    pub error_kind: Option<&'static str>,
    /// The exact message of a `GuestPanic`, an `Embedder` error or a
    /// `HostPanic`.
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
    /// The typed results (empty for a `[] -> []` export and on error).
    pub results: Vec<WasmValue>,
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
            results: Vec::new(),
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

    /// An embedder host function's error with `message` (status
    /// `host_error`, kind `Embedder`).
    pub fn embedder(message: &str) -> Self {
        Self {
            panic_message: Some(message.to_owned()),
            ..Self::host_error("Embedder")
        }
    }

    /// An embedder host function panicked: the non-deterministic
    /// `HostPanic` with `message`. Such an outcome has no digest, so
    /// backends "agree" on it when each reports this kind and message
    /// (`suite::case_agrees`).
    pub fn host_panic(message: &str) -> Self {
        Self {
            panic_message: Some(message.to_owned()),
            ..Self::error(Status::NonDeterministic, "HostPanic")
        }
    }

    /// With typed results.
    pub fn results(mut self, results: impl IntoIterator<Item = WasmValue>) -> Self {
        self.results = results.into_iter().collect();
        self
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
                Some(
                    ExecError::Host(HostError::GuestPanic(m) | HostError::Embedder(m))
                    | ExecError::NonDeterministic(NonDeterministic::HostPanic(m)),
                ) => Some(m.clone()),
                _ => None,
            };
            expect_eq(
                "panic message",
                format!("{:?}", Some(message)),
                format!("{got:?}"),
            );
        }
        expect_eq(
            "return data",
            hex::encode(&self.return_data),
            hex::encode(&outcome.return_data),
        );
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
        expect_eq(
            "changes",
            format!("{:?}", self.changes),
            format!("{:?}", outcome.changes),
        );
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
