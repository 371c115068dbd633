//! The `--json` object and the table of `CLI.md`.

use runtime::{ExecError, Outcome, outcomes_agree};
use serde_json::{Value, json};

use crate::runner::BackendOutcome;

/// One outcome as `CLI.md`'s JSON object. A non-deterministic outcome has
/// `"digest": null` (it never enters a digest).
pub fn outcome_json(backend: &str, outcome: &Outcome) -> Value {
    let error = outcome
        .error
        .as_ref()
        .map(|e: &ExecError| json!({"kind": e.kind_name(), "message": e.message()}));
    json!({
        "backend": backend,
        "status": outcome.status().as_str(),
        "error": error,
        "return_hex": hex::encode(&outcome.return_data),
        "logs": outcome.logs,
        "events": outcome.events.iter().map(|e| json!({"kind": e.kind, "data_hex": hex::encode(&e.data)})).collect::<Vec<_>>(),
        "changes": outcome.changes.iter().map(|c| json!({
            "key_hex": hex::encode(&c.key),
            "value_hex": c.value.as_ref().map(hex::encode),
        })).collect::<Vec<_>>(),
        "gas_used": outcome.gas_used,
        "results": outcome.results.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "digest": outcome.digest_hex(),
    })
}

/// Whether the outcomes agree (all deterministic, equal digests).
pub fn agree(outcomes: &[BackendOutcome]) -> bool {
    outcomes_agree(outcomes.iter().map(|o| &o.outcome))
}

/// The `conformance run --json` object.
pub fn run_json(outcomes: &[BackendOutcome]) -> Value {
    json!({
        "agree": agree(outcomes),
        "outcomes": outcomes.iter().map(|o| outcome_json(o.backend.name(), &o.outcome)).collect::<Vec<_>>(),
    })
}

/// A short error text for tables: the kind, and the panic message.
pub fn error_cell(outcome: &Outcome) -> String {
    match &outcome.error {
        None => "-".into(),
        Some(
            e
            @ ExecError::Host(runtime::HostError::GuestPanic(_) | runtime::HostError::Embedder(_)),
        ) => {
            format!("{}({:?})", e.kind_name(), e.message())
        }
        Some(e) => e.kind_name().into(),
    }
}

/// The `conformance run` table.
pub fn run_table(outcomes: &[BackendOutcome]) -> String {
    let mut rows = vec![[
        "backend".to_string(),
        "status".into(),
        "error".into(),
        "gas".into(),
        "return".into(),
        "logs".into(),
        "events".into(),
        "changes".into(),
        "digest".into(),
    ]];
    for o in outcomes {
        let out = &o.outcome;
        rows.push([
            o.backend.name().into(),
            out.status().as_str().into(),
            error_cell(out),
            out.gas_used.to_string(),
            short_hex(&out.return_data),
            out.logs.len().to_string(),
            out.events.len().to_string(),
            out.changes.len().to_string(),
            out.digest_hex()
                .map_or("(none)".into(), |d| d[..16].to_string()),
        ]);
    }
    let mut text = render(&rows);
    text.push_str(if agree(outcomes) {
        "agree: yes\n"
    } else {
        "agree: NO (backends diverge)\n"
    });
    text
}

fn short_hex(bytes: &[u8]) -> String {
    if bytes.len() <= 16 {
        hex::encode(bytes)
    } else {
        format!("{}…({} bytes)", hex::encode(&bytes[..12]), bytes.len())
    }
}

/// Renders rows as left-aligned columns.
pub fn render<const N: usize>(rows: &[[String; N]]) -> String {
    let mut widths = [0usize; N];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    for row in rows {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        text.push_str(line.join("  ").trim_end());
        text.push('\n');
    }
    text
}
