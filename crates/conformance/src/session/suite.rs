//! The session cases in `conformance suite`: each case on the selected
//! backends, checked and compared, as a table or JSON.

use runtime::GasSchedule;

use super::cases::{SessionCase, session_cases};
use super::{SessionRun, SessionRunners, agree};

/// The result of one session case on the selected backends.
#[derive(Debug)]
pub struct SessionCaseResult {
    /// The case's name.
    pub name: &'static str,
    /// Each backend's run.
    pub runs: Vec<SessionRun>,
    /// Whether all session digests are equal.
    pub agree: bool,
    /// Every expectation that failed, per backend.
    pub failures: Vec<String>,
}

impl SessionCaseResult {
    /// Agreed and matched the expectation on every backend.
    pub fn passed(&self) -> bool {
        self.agree && self.failures.is_empty()
    }
}

/// Runs `case` on every backend of `runners`.
pub fn run_case(runners: &SessionRunners, case: &SessionCase) -> SessionCaseResult {
    let mut failures = Vec::new();
    let runs = match runners.run(&case.script, &case.pre_state) {
        Ok(runs) => runs,
        Err(e) => {
            failures.push(format!("cannot run: {e}"));
            Vec::new()
        }
    };
    for run in &runs {
        if let Err(e) = case.check(run) {
            failures.push(format!("{}: {}", run.backend, e.replace('\n', "; ")));
        }
    }
    SessionCaseResult {
        name: case.name,
        agree: !runs.is_empty() && agree(&runs),
        runs,
        failures,
    }
}

/// Runs every session case (under the default schedule) on `kinds`.
///
/// # Errors
///
/// A [`runtime::RuntimeError`] if a backend cannot start.
pub fn run_all(
    kinds: &[runtime::BackendKind],
) -> Result<Vec<SessionCaseResult>, runtime::RuntimeError> {
    let runners = SessionRunners::new(kinds)?;
    Ok(session_cases(&GasSchedule::default())
        .iter()
        .map(|case| run_case(&runners, case))
        .collect())
}

/// The suite's session table: each case, each backend's steps and session
/// digest, agreement and expectation.
pub fn table(results: &[SessionCaseResult]) -> String {
    let mut rows = vec![[
        "session case".to_string(),
        "backends (steps/digest)".into(),
        "agree".into(),
        "expected".into(),
    ]];
    for r in results {
        let cells: Vec<String> = r
            .runs
            .iter()
            .map(|run| {
                format!(
                    "{}={}/{}",
                    run.backend,
                    run.steps.len(),
                    run.digest_hex().map_or("-".into(), |d| d[..8].to_string())
                )
            })
            .collect();
        rows.push([
            r.name.into(),
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
    let mut text = crate::report::render(&rows);
    text.push_str(&crate::suite::failures_and_count(
        results
            .iter()
            .map(|r| (r.name, r.failures.as_slice(), r.passed())),
        "session cases ",
    ));
    text
}

/// The suite's session cases as JSON.
pub fn json(results: &[SessionCaseResult]) -> serde_json::Value {
    serde_json::json!(
        results
            .iter()
            .map(|r| serde_json::json!({
                "case": r.name,
                "agree": r.agree,
                "matches_expectation": r.failures.is_empty(),
                "failures": r.failures,
                "sessions": r.runs.iter().map(super::report::session_json).collect::<Vec<_>>(),
            }))
            .collect::<Vec<_>>()
    )
}
