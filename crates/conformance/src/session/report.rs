//! The `conformance session` output: the `--json` object of `CLI.md` and
//! a table.

use runtime::{Envelope, TraceStep};
use serde_json::{Value, json};

use super::{SessionRun, agree};
use crate::report::{error_cell, outcome_json, render};

/// One step as `CLI.md` shows it: the fields of a `run` outcome (without
/// `backend`) plus its module, export and sent messages, in `CLI.md`'s
/// order.
pub fn step_json(step: &TraceStep) -> Value {
    let mut outcome = outcome_json("", &step.outcome);
    let mut take = |key: &str| outcome.get_mut(key).map(Value::take).unwrap_or(Value::Null);
    json!({
        "module": step.module,
        "call": step.export,
        "status": take("status"),
        "error": take("error"),
        "return_hex": take("return_hex"),
        "logs": take("logs"),
        "events": take("events"),
        "changes": take("changes"),
        "results": take("results"),
        "messages": step.outcome.messages.iter().map(|m| json!({"to": m.to, "data_hex": hex::encode(&m.data)})).collect::<Vec<_>>(),
        "gas_used": take("gas_used"),
        "digest": take("digest"),
    })
}

fn dead_letter_json(e: &Envelope) -> Value {
    json!({"from": e.from, "to": e.to, "data_hex": hex::encode(&e.data)})
}

/// One backend's session as `CLI.md` shows it.
pub fn session_json(run: &SessionRun) -> Value {
    json!({
        "backend": run.backend.name(),
        "steps": run.steps.iter().map(step_json).collect::<Vec<_>>(),
        "dead_letters": run.dead_letters().map(dead_letter_json).collect::<Vec<_>>(),
        "digest": run.digest_hex(),
    })
}

/// The `conformance session --json` object.
pub fn json(runs: &[SessionRun]) -> Value {
    json!({
        "agree": agree(runs),
        "sessions": runs.iter().map(session_json).collect::<Vec<_>>(),
    })
}

/// The `conformance session` table: one row per step with each backend's
/// status, error, gas and outcome digest, then each backend's session
/// digest.
pub fn table(runs: &[SessionRun]) -> String {
    let longest = runs.iter().map(|r| r.steps.len()).max().unwrap_or(0);
    let mut rows = vec![[
        "#".to_string(),
        "step".into(),
        "module".into(),
        "call".into(),
        "backends (status/error/gas/digest)".into(),
        "sent".into(),
        "dead letters".into(),
    ]];
    for i in 0..longest {
        let Some(reference) = runs.iter().find_map(|r| r.steps.get(i)) else {
            break;
        };
        let cells: Vec<String> = runs
            .iter()
            .map(|run| {
                let cell = run.steps.get(i).map_or("-".into(), |s| {
                    format!(
                        "{}/{}/{}/{}",
                        s.outcome.status().as_str(),
                        error_cell(&s.outcome),
                        s.outcome.gas_used,
                        s.outcome
                            .digest_hex()
                            .map_or("-".into(), |d| d[..8].to_string())
                    )
                });
                format!("{}={cell}", run.backend)
            })
            .collect();
        rows.push([
            (i + 1).to_string(),
            reference.kind.as_str().into(),
            reference.module.clone(),
            reference.export.clone(),
            cells.join(" "),
            reference.outcome.messages.len().to_string(),
            reference.dead_letters.len().to_string(),
        ]);
    }
    let mut text = render(&rows);
    text.push('\n');
    let mut summary = vec![[
        "backend".to_string(),
        "steps".into(),
        "dead letters".into(),
        "session digest".into(),
    ]];
    for run in runs {
        summary.push([
            run.backend.name().into(),
            run.steps.len().to_string(),
            run.dead_letters().count().to_string(),
            match (&run.error, run.digest_hex()) {
                (Some(e), _) => format!("(stopped: {e})"),
                (None, Some(d)) => d,
                (None, None) => "(none: non-deterministic)".into(),
            },
        ]);
    }
    text.push_str(&render(&summary));
    text.push_str(if agree(runs) {
        "agree: yes\n"
    } else {
        "agree: NO (backends diverge)\n"
    });
    text
}
