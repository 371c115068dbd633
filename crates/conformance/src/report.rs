//! The `--json` object and the table of `CLI.md`.

use std::io::{self, Write};

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

/// Writes the `conformance run --json` object ([`run_json`], the same
/// bytes) to `out` as it goes: every field of every outcome in turn, byte
/// strings hex-encoded a chunk at a time, so that no JSON tree or hex copy
/// of a big outcome (a 64 MiB return, tens of MiB of changes) is ever held.
///
/// # Errors
///
/// The writer's error (a closed pipe among them).
pub fn write_run_json(out: &mut dyn Write, outcomes: &[BackendOutcome]) -> io::Result<()> {
    write!(out, "{{\"agree\":{},\"outcomes\":[", agree(outcomes))?;
    for (i, o) in outcomes.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        write_outcome_json(out, o.backend.name(), &o.outcome)?;
    }
    out.write_all(b"]}")
}

/// One outcome as [`outcome_json`] prints it, written as it goes.
fn write_outcome_json(out: &mut dyn Write, backend: &str, outcome: &Outcome) -> io::Result<()> {
    let small = |out: &mut dyn Write, value: &Value| -> io::Result<()> {
        serde_json::to_writer(&mut *out, value).map_err(io::Error::from)
    };
    out.write_all(b"{\"backend\":")?;
    small(out, &json!(backend))?;
    out.write_all(b",\"status\":")?;
    small(out, &json!(outcome.status().as_str()))?;
    out.write_all(b",\"error\":")?;
    small(
        out,
        &outcome.error.as_ref().map_or(
            Value::Null,
            |e| json!({"kind": e.kind_name(), "message": e.message()}),
        ),
    )?;
    out.write_all(b",\"return_hex\":")?;
    write_hex(out, &outcome.return_data)?;
    out.write_all(b",\"logs\":")?;
    small(out, &json!(outcome.logs))?;
    out.write_all(b",\"events\":[")?;
    for (i, event) in outcome.events.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        out.write_all(b"{\"kind\":")?;
        small(out, &json!(event.kind))?;
        out.write_all(b",\"data_hex\":")?;
        write_hex(out, &event.data)?;
        out.write_all(b"}")?;
    }
    out.write_all(b"],\"changes\":[")?;
    for (i, change) in outcome.changes.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        out.write_all(b"{\"key_hex\":")?;
        write_hex(out, &change.key)?;
        out.write_all(b",\"value_hex\":")?;
        match &change.value {
            Some(value) => write_hex(out, value)?,
            None => out.write_all(b"null")?,
        }
        out.write_all(b"}")?;
    }
    write!(out, "],\"gas_used\":{},\"results\":", outcome.gas_used)?;
    let results: Vec<String> = outcome.results.iter().map(ToString::to_string).collect();
    write!(out, "{}", serde_json::json!(results))?;
    write!(out, ",\"digest\":")?;
    small(out, &json!(outcome.digest_hex()))?;
    out.write_all(b"}")
}

/// `bytes` as a JSON string of lowercase hex, encoded 32 KiB at a time.
fn write_hex(out: &mut dyn Write, bytes: &[u8]) -> io::Result<()> {
    const CHUNK: usize = 32 << 10;
    let mut buffer = vec![0u8; 2 * CHUNK.min(bytes.len())];
    out.write_all(b"\"")?;
    for chunk in bytes.chunks(CHUNK) {
        let hex = &mut buffer[..2 * chunk.len()];
        hex::encode_to_slice(chunk, hex).map_err(io::Error::other)?;
        out.write_all(hex)?;
    }
    out.write_all(b"\"")
}

/// Characters of a `GuestPanic` message shown in a table cell; the JSON
/// object carries the whole message.
const TABLE_MESSAGE_CHARS: usize = 60;

/// A short error text for tables: the kind, and the panic message (its
/// first `TABLE_MESSAGE_CHARS` characters and its length when longer).
pub fn error_cell(outcome: &Outcome) -> String {
    match &outcome.error {
        None => "-".into(),
        Some(
            e
            @ ExecError::Host(runtime::HostError::GuestPanic(_) | runtime::HostError::Embedder(_)),
        ) => {
            let message = e.message();
            let chars = message.chars().count();
            if chars <= TABLE_MESSAGE_CHARS {
                format!("{}({message:?})", e.kind_name())
            } else {
                let head: String = message.chars().take(TABLE_MESSAGE_CHARS).collect();
                format!("{}({head:?}…, {chars} chars)", e.kind_name())
            }
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

/// Renders rows as left-aligned columns, whatever their widths.
pub fn render<const N: usize>(rows: &[[String; N]]) -> String {
    let mut widths = [0usize; N];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    // Padded by hand: `format!`'s width is at most 65 535, and a cell may
    // be longer (found by issue 12: a long panic message made it panic).
    let mut text = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, (cell, w)) in row.iter().zip(widths).enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            line.push_str(cell);
            line.extend(std::iter::repeat_n(
                ' ',
                w.saturating_sub(cell.chars().count()),
            ));
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::{Invocation, Runners, guest_bytes};
    use runtime::BackendKind;

    /// The streamed object is the very bytes of the tree's serialisation,
    /// for every kind of field: logs, events, set and removed keys, errors
    /// with quotes to escape, a missing digest.
    #[test]
    fn streamed_json_is_the_tree_json() {
        let runners = Runners::new(&BackendKind::compiled_in()).unwrap();
        let guests = [
            (
                include_str!("../guests/counter.wat"),
                "increment",
                Vec::new(),
            ),
            (
                include_str!("../guests/storage.wat"),
                "remove",
                vec![(b"k".to_vec(), b"v".to_vec())],
            ),
            (
                include_str!("../guests/logs_events.wat"),
                "panic",
                Vec::new(),
            ),
            (
                r#"(module (func (export "main") unreachable))"#,
                "main",
                Vec::new(),
            ),
            (r#"(module (func (export "main")))"#, "nope", Vec::new()),
        ];
        for (wat, call, pre_state) in guests {
            let invocation = Invocation {
                wasm: guest_bytes(wat.as_bytes()).unwrap(),
                call: call.into(),
                pre_state,
                ..Invocation::default()
            };
            let outcomes = runners.run(&invocation).unwrap();
            let mut streamed = Vec::new();
            write_run_json(&mut streamed, &outcomes).unwrap();
            assert_eq!(
                String::from_utf8(streamed).unwrap(),
                run_json(&outcomes).to_string(),
                "{call}"
            );
        }
    }

    /// A cell wider than `format!` can pad (65 535) renders.
    #[test]
    fn render_pads_any_width() {
        let wide = "x".repeat(70_000);
        let text = render(&[[wide.clone(), "b".into()], ["a".into(), "c".into()]]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], format!("{wide}  b"));
        assert_eq!(lines[1].len(), wide.len() + 3);
        assert!(lines[1].starts_with('a') && lines[1].ends_with('c'));
    }
}
