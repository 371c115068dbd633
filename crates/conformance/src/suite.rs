//! `conformance suite`: every corpus case on every selected backend.

use std::collections::BTreeMap;
use std::sync::Arc;

use runtime::{InMemoryStorage, Outcome, Status};

use crate::corpus::Case;
use crate::report;
use crate::runner::{BackendOutcome, Runners};

/// The result of one case on the selected backends.
#[derive(Debug)]
pub struct CaseResult {
    /// The case's name.
    pub name: String,
    /// Its guest, for tables.
    pub guest: &'static str,
    /// Its export.
    pub call: &'static str,
    /// Each backend's outcome.
    pub outcomes: Vec<BackendOutcome>,
    /// Whether all digests are equal.
    pub agree: bool,
    /// Every expectation that failed, per backend; empty when all match.
    pub failures: Vec<String>,
}

impl CaseResult {
    /// Agreed and matched the expectation on every backend.
    pub fn passed(&self) -> bool {
        self.agree && self.failures.is_empty()
    }
}

/// Checks one backend's outcome against the case, including the storage it
/// ran on: untouched on any error, pre-state plus exactly the changes on
/// `ok`.
///
/// # Errors
///
/// What did not match.
pub fn check_backend(
    case: &Case,
    outcome: &Outcome,
    storage: &InMemoryStorage,
) -> Result<(), String> {
    let mut problems = Vec::new();
    if let Err(e) = case.expect.check(outcome) {
        problems.push(e);
    }
    // ABI 1.1: a trap of any kind consumes the call's whole gas limit.
    let limit = case.context.limits.effective_gas();
    if outcome.status() == Status::Trap && outcome.gas_used != limit {
        problems.push(format!(
            "a trap must consume all gas (ABI 1.1): gas used {}, limit {limit}",
            outcome.gas_used
        ));
    }
    let mut expected: BTreeMap<Vec<u8>, Vec<u8>> = case.pre_state.iter().cloned().collect();
    if outcome.error.is_none() {
        for change in &outcome.changes {
            match &change.value {
                Some(v) => expected.insert(change.key.clone(), v.clone()),
                None => expected.remove(&change.key),
            };
        }
    }
    if storage.snapshot() != expected {
        problems.push(format!(
            "storage after the call is not the pre-state{}",
            if outcome.error.is_none() {
                " plus the changes"
            } else {
                " (the call failed)"
            }
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

/// Whether the backends agree on `case`: equal digests — or, for a case
/// whose expected status is non-deterministic (an embedder's panic), the
/// same non-deterministic kind and message on every backend. Such outcomes
/// have no digest (`ABI.md`: they never enter one), so digests cannot
/// agree; the expected condition, reported identically everywhere, is the
/// agreement. No outcomes never agree.
pub fn case_agrees(case: &Case, outcomes: &[BackendOutcome]) -> bool {
    let Some(first) = outcomes.first() else {
        return false;
    };
    if case.expect.status() != Status::NonDeterministic {
        return report::agree(outcomes);
    }
    outcomes.iter().all(|o| {
        o.outcome.status() == Status::NonDeterministic
            && o.outcome.error == first.outcome.error
            && o.outcome.logs == first.outcome.logs
    })
}

/// Runs `case` on every backend of `runners`, each over its own storage
/// holding the pre-state, committing on `ok`.
pub fn run_case(runners: &Runners, case: &Case) -> CaseResult {
    let invocation = case.invocation();
    let runs = runners.run_with_storage(&invocation, |_| {
        Arc::new(InMemoryStorage::with_entries(case.pre_state.clone()))
    });
    let mut failures = Vec::new();
    let mut outcomes = Vec::new();
    match runs {
        Ok(runs) => {
            for (o, storage) in runs {
                if let Err(e) = check_backend(case, &o.outcome, &storage) {
                    failures.push(format!("{}: {}", o.backend, e.replace('\n', "; ")));
                }
                outcomes.push(o);
            }
        }
        Err(e) => failures.push(format!("infrastructure error: {e}")),
    }
    let agree = case_agrees(case, &outcomes);
    CaseResult {
        name: case.name.clone(),
        guest: case.guest.name(),
        call: case.call,
        outcomes,
        agree,
        failures,
    }
}

/// The suite table: guest, function, each backend's status, gas and digest,
/// agreement and expectation.
pub fn table(results: &[CaseResult]) -> String {
    let mut rows: Vec<[String; 6]> = vec![[
        "case".into(),
        "guest".into(),
        "function".into(),
        "backends (status/gas/digest)".into(),
        "agree".into(),
        "expected".into(),
    ]];
    for r in results {
        let cells: Vec<String> = r
            .outcomes
            .iter()
            .map(|o| {
                format!(
                    "{}={}/{}/{}",
                    o.backend,
                    o.outcome.status().as_str(),
                    o.outcome.gas_used,
                    o.outcome
                        .digest_hex()
                        .map_or("-".into(), |d| d[..8].to_string())
                )
            })
            .collect();
        rows.push([
            r.name.clone(),
            r.guest.into(),
            r.call.into(),
            cells.join(" "),
            if r.agree { "yes" } else { "NO" }.into(),
            if r.failures.is_empty() {
                "match"
            } else {
                "MISMATCH"
            }
            .into(),
        ]);
    }
    let mut text = report::render(&rows);
    text.push_str(&failures_and_count(
        results
            .iter()
            .map(|r| (r.name.as_str(), r.failures.as_slice(), r.passed())),
        "",
    ));
    text
}

/// The end of a suite table: each failed case's failures, then how many
/// `what` cases passed and failed.
pub fn failures_and_count<'a>(
    results: impl Iterator<Item = (&'a str, &'a [String], bool)> + Clone,
    what: &str,
) -> String {
    let mut text = String::new();
    for (name, failures, _) in results.clone().filter(|(_, f, _)| !f.is_empty()) {
        text.push_str(&format!("\n{name}:\n  {}\n", failures.join("\n  ")));
    }
    let total = results.clone().count();
    let passed = results.filter(|(_, _, passed)| *passed).count();
    text.push_str(&format!(
        "\n{passed} {what}passed, {} failed\n",
        total - passed
    ));
    text
}

/// The suite as one JSON object.
pub fn json(results: &[CaseResult]) -> serde_json::Value {
    serde_json::json!({
        "passed": results.iter().all(CaseResult::passed),
        "cases": results.iter().map(|r| serde_json::json!({
            "case": r.name,
            "guest": r.guest,
            "function": r.call,
            "agree": r.agree,
            "matches_expectation": r.failures.is_empty(),
            "failures": r.failures,
            "outcomes": r.outcomes.iter().map(|o| report::outcome_json(o.backend.name(), &o.outcome)).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}
