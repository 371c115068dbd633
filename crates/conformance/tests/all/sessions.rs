//! Sessions (`docs/SESSIONS.md`) on every backend: the corpus's session
//! cases (one test per case and backend, plus an agreement test per case),
//! the example scripts with expectations written from their guests'
//! documentation, the `conformance session` CLI against `CLI.md`, and a
//! bounded run of the fuzzer's session generator
//! (`SESSION_FUZZ_CASES=N`, default 60).

use std::path::PathBuf;
use std::process::{Command, Output};

use conformance::fuzz::Fuzzer;
use conformance::fuzz::abi::Bytes;
use conformance::fuzz::session as fuzz_session;
use conformance::session::cases::{self, SessionCase};
use conformance::session::{Script, SessionRun, SessionRunners, agree};
use libtest_mimic::{Failed, Trial};
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use runtime::{BackendKind, GasSchedule, HostError, Status, WasmValue};

fn examples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("guests/session")
}

fn on_backend(case: &SessionCase, kind: BackendKind) -> Result<(), Failed> {
    let runners = SessionRunners::new(&[kind]).map_err(|e| e.to_string())?;
    let runs = runners
        .run(&case.script, &case.pre_state)
        .map_err(|e| e.to_string())?;
    case.check(&runs[0]).map_err(Failed::from)
}

fn all_agree(case: &SessionCase) -> Result<(), Failed> {
    let runners = SessionRunners::new(&BackendKind::compiled_in()).map_err(|e| e.to_string())?;
    let runs = runners
        .run(&case.script, &case.pre_state)
        .map_err(|e| e.to_string())?;
    if runs.len() < 2 {
        return Err("fewer than two backends compiled in".into());
    }
    if agree(&runs) {
        Ok(())
    } else {
        Err(format!(
            "session digests differ:\n{}",
            conformance::session::report::table(&runs)
        )
        .into())
    }
}

/// Runs an example script on every backend; they must agree.
fn example(name: &str) -> Result<Vec<SessionRun>, Failed> {
    let script = Script::from_file(&examples().join(name)).map_err(|e| e.to_string())?;
    let runners = SessionRunners::new(&BackendKind::compiled_in()).map_err(|e| e.to_string())?;
    let runs = runners.run(&script, &[]).map_err(|e| e.to_string())?;
    if runs.len() < 2 || !agree(&runs) {
        return Err(format!(
            "{name}: backends do not agree:\n{}",
            conformance::session::report::table(&runs)
        )
        .into());
    }
    Ok(runs)
}

fn ensure(condition: bool, what: impl Into<String>) -> Result<(), Failed> {
    if condition {
        Ok(())
    } else {
        Err(what.into().into())
    }
}

fn stored(run: &SessionRun, module: &str, key: &[u8]) -> Option<Vec<u8>> {
    let mut full = vec![module.len() as u8];
    full.extend_from_slice(module.as_bytes());
    full.extend_from_slice(key);
    run.storage
        .iter()
        .find(|(k, _)| *k == full)
        .map(|(_, v)| v.clone())
}

/// ping counts to 5: pong echoes 1..5, ping receives 1..5 and emits "done"
/// with 5 at the end; every step ok, nothing left.
fn pingpong() -> Result<(), Failed> {
    let runs = example("pingpong.json")?;
    let run = &runs[0];
    let modules: Vec<&str> = run.steps.iter().map(|s| s.module.as_str()).collect();
    ensure(
        modules
            == [
                "ping", "pong", "ping", "pong", "ping", "pong", "ping", "pong", "ping", "pong",
                "ping",
            ],
        format!("steps {modules:?}"),
    )?;
    ensure(
        run.steps.iter().all(|s| s.outcome.status() == Status::Ok),
        "a step failed",
    )?;
    let last = &run.steps[10].outcome;
    ensure(
        last.events.len() == 1
            && last.events[0].kind == "done"
            && last.events[0].data == 5u64.to_le_bytes(),
        format!("last step's events {:?}", last.events),
    )?;
    ensure(
        stored(run, "ping", b"count") == Some(5u64.to_le_bytes().to_vec()),
        "ping's count",
    )?;
    ensure(
        stored(run, "pong", b"echoes") == Some(5u64.to_le_bytes().to_vec()),
        "pong's echoes",
    )?;
    ensure(run.mailboxes.values().all(Vec::is_empty), "mail left")
}

/// The calculator's typed results reach the logger and the database.
fn calculator() -> Result<(), Failed> {
    let runs = example("calculator.json")?;
    let run = &runs[0];
    let s = &run.steps;
    ensure(s[0].outcome.results == [WasmValue::I64(5)], "add(2, 3)")?;
    ensure(s[1].outcome.results == [WasmValue::I64(-42)], "mul(6, -7)")?;
    let sent: Vec<(&str, &[u8])> = s[0]
        .outcome
        .messages
        .iter()
        .map(|m| (m.to.as_str(), m.data.as_slice()))
        .collect();
    ensure(
        sent == [("logger", &b"2 + 3 = 5"[..]), ("database", b"result=5")],
        format!("add sent {sent:?}"),
    )?;
    let logs: Vec<&str> = s
        .iter()
        .flat_map(|s| &s.outcome.logs)
        .map(String::as_str)
        .collect();
    ensure(
        logs == [
            "[calculator] 2 + 3 = 5",
            "[calculator] 6 * -7 = -42",
            "[database] stored result",
            "[database] stored result",
        ],
        format!("logs {logs:?}"),
    )?;
    let get = s.iter().find(|s| s.export == "get").ok_or("no get step")?;
    ensure(get.outcome.return_data == b"-42", "database get result")?;
    let lines = s
        .iter()
        .find(|s| s.export == "lines")
        .ok_or("no lines step")?;
    ensure(lines.outcome.return_data == b"4", "logger lines")?;
    // The same key "last" in two namespaces.
    ensure(
        stored(run, "calculator", b"last") == Some(b"-42".to_vec()),
        "calculator's last",
    )?;
    ensure(
        stored(run, "database", b"last") == Some(b"result".to_vec()),
        "database's last",
    )?;
    ensure(
        stored(run, "database", b"color") == Some(b"blue".to_vec()),
        "database's color",
    )?;
    ensure(run.dead_letters().count() == 0, "dead letters")
}

/// Eight receivers, then two of them again: delivered in send order over
/// two pumps of 6 and the rest.
fn fanout() -> Result<(), Failed> {
    let runs = example("fanout.json")?;
    let run = &runs[0];
    let delivered: Vec<(String, Vec<u8>)> = run.steps[2..]
        .iter()
        .map(|s| (s.module.clone(), s.outcome.return_data.clone()))
        .collect();
    let expected: Vec<(String, Vec<u8>)> =
        ["r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r7", "r3"]
            .iter()
            .map(|r| ((*r).to_owned(), format!("hello {r}").into_bytes()))
            .collect();
    ensure(delivered == expected, format!("delivered {delivered:?}"))?;
    for (r, n) in [("r0", 1u64), ("r3", 2), ("r7", 2)] {
        ensure(
            stored(run, r, b"received") == Some(n.to_le_bytes().to_vec()),
            format!("{r} count"),
        )?;
    }
    Ok(())
}

/// The trapping sender's message and write are dropped; after the logger
/// is unloaded, sending to it is UnknownModule; its storage stays.
fn faulty() -> Result<(), Failed> {
    let runs = example("faulty.json")?;
    let run = &runs[0];
    let s = &run.steps;
    ensure(s.len() == 4, format!("{} steps", s.len()))?;
    ensure(
        s[0].outcome.status() == Status::Trap && s[0].outcome.messages.is_empty(),
        "send_then_trap",
    )?;
    ensure(
        s[2].outcome.logs == ["[faulty] fine"],
        format!("logger logs {:?}", s[2].outcome.logs),
    )?;
    ensure(
        s[3].outcome.error == Some(HostError::UnknownModule.into()),
        format!("after unload: {:?}", s[3].outcome.error),
    )?;
    ensure(
        stored(run, "faulty", b"tried").is_none(),
        "the trapped write",
    )?;
    ensure(
        stored(run, "logger", b"lines") == Some(b"1".to_vec()),
        "the unloaded logger's storage stays",
    )?;
    ensure(
        run.mailboxes.keys().collect::<Vec<_>>() == ["faulty"],
        "mailboxes",
    )
}

fn conformance(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_conformance"))
        .args(args)
        .output()
        .expect("the conformance binary runs")
}

/// `conformance session --json` has `CLI.md`'s shape and exit codes.
fn cli() -> Result<(), Failed> {
    let script = examples().join("faulty.json");
    let out = conformance(&["session", script.to_str().ok_or("path")?, "--json"]);
    ensure(
        out.status.code() == Some(0),
        String::from_utf8_lossy(&out.stderr),
    )?;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
    let keys = |v: &serde_json::Value| -> Vec<String> {
        v.as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default()
    };
    ensure(keys(&v) == ["agree", "sessions"], format!("{:?}", keys(&v)))?;
    ensure(v["agree"] == true, "agree")?;
    let sessions = v["sessions"].as_array().ok_or("sessions")?;
    let backends: Vec<&str> = sessions
        .iter()
        .filter_map(|s| s["backend"].as_str())
        .collect();
    ensure(
        backends == ["wasmtime", "wasmer", "wasmi"],
        format!("{backends:?}"),
    )?;
    for s in sessions {
        ensure(
            keys(s) == ["backend", "steps", "dead_letters", "digest"],
            format!("{:?}", keys(s)),
        )?;
        ensure(s["digest"] == sessions[0]["digest"], "digests")?;
        ensure(
            s["digest"].as_str().is_some_and(|d| d.len() == 64),
            "digest hex",
        )?;
        let step = &s["steps"][1];
        ensure(
            keys(step)
                == [
                    "module",
                    "call",
                    "status",
                    "error",
                    "return_hex",
                    "logs",
                    "events",
                    "changes",
                    "results",
                    "messages",
                    "gas_used",
                    "digest",
                ],
            format!("{:?}", keys(step)),
        )?;
        ensure(
            step["messages"]
                == serde_json::json!([{"to": "logger", "data_hex": hex::encode("fine")}]),
            "messages",
        )?;
        ensure(
            s["steps"][0]["error"]["kind"] == "Unreachable",
            "error kind",
        )?;
        ensure(s["steps"][3]["status"] == "host_error", "status")?;
    }
    // A step naming a module not loaded: a usage error before anything runs.
    let dir = std::env::temp_dir().join(format!("session-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let bad = dir.join("bad.json");
    std::fs::write(
        &bad,
        r#"{"modules": [], "steps": [{"invoke": "x", "call": "main"}]}"#,
    )
    .map_err(|e| e.to_string())?;
    let out = conformance(&["session", bad.to_str().ok_or("path")?]);
    ensure(out.status.code() == Some(2), "unknown module: exit 2")?;
    ensure(
        String::from_utf8_lossy(&out.stderr).contains("no module \"x\""),
        "names the module",
    )?;
    let out = conformance(&["session", "/nonexistent/script.json"]);
    ensure(out.status.code() == Some(2), "missing script: exit 2")?;
    // --state: a new database is created and the agreed session committed
    // to it; `state` then reads it. A path that cannot be a database is a
    // usage error naming it.
    let db = dir.join("db");
    let db = db.to_str().ok_or("path")?;
    let out = conformance(&["session", script.to_str().ok_or("path")?, "--state", db]);
    ensure(out.status.code() == Some(0), "--state: exit 0")?;
    let out = conformance(&["state", db, "--json"]);
    ensure(
        out.status.code() == Some(0),
        "state reads the session's database",
    )?;
    let dir_path = dir.to_str().ok_or("path")?;
    let out = conformance(&[
        "session",
        script.to_str().ok_or("path")?,
        "--state",
        dir_path,
    ]);
    ensure(
        out.status.code() == Some(2),
        "--state on a directory: exit 2",
    )?;
    ensure(
        String::from_utf8_lossy(&out.stderr).contains(dir_path),
        "--state names the path",
    )?;
    std::fs::remove_dir_all(&dir).map_err(|e| e.to_string())?;
    Ok(())
}

fn fuzz_cases() -> u64 {
    std::env::var("SESSION_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60)
}

/// Generated sessions agree on every backend.
fn fuzz_no_divergence() -> Result<(), Failed> {
    let fuzzer = Fuzzer::new(&BackendKind::compiled_in()).map_err(|e| e.to_string())?;
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let mut data = vec![0u8; 4096];
    for _ in 0..fuzz_cases() {
        rng.fill_bytes(&mut data);
        fuzzer.session_case(&data).map_err(|d| d.detail)?;
    }
    Ok(())
}

/// The session generator reaches the bus: committed messages, deliveries
/// that consume, dead letters, and each of the session's host errors.
fn fuzz_reach() -> Result<(), Failed> {
    let runners = SessionRunners::new(&[BackendKind::Wasmi]).map_err(|e| e.to_string())?;
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let mut data = vec![0u8; 4096];
    let (mut messages, mut consumed, mut dead) = (0u64, 0u64, 0u64);
    let mut errors = std::collections::BTreeSet::new();
    for _ in 0..200 {
        rng.fill_bytes(&mut data);
        let script = fuzz_session::script(&mut Bytes::new(&data));
        let runs = runners.run(&script, &[]).map_err(|e| e.to_string())?;
        for step in &runs[0].steps {
            messages += step.outcome.messages.len() as u64;
            dead += step.dead_letters.len() as u64;
            if step.kind == runtime::StepKind::Pump && step.dead_letters.is_empty() {
                consumed += 1;
            }
            if let Some(e) = &step.outcome.error {
                errors.insert(e.kind_name());
            }
        }
    }
    ensure(
        messages > 0 && consumed > 0 && dead > 0,
        format!("messages {messages}, consumed {consumed}, dead {dead}"),
    )?;
    for kind in [
        "UnknownModule",
        "MailboxFull",
        "TooManyMessages",
        "MessageTooLarge",
        "GasExhausted",
    ] {
        ensure(
            errors.contains(kind),
            format!("{kind} never reached: {errors:?}"),
        )?;
    }
    Ok(())
}

/// A reproducer written by the fuzzer runs with `conformance session` to
/// the same session digest.
fn fuzz_reproducer_round_trip() -> Result<(), Failed> {
    let mut data = vec![0u8; 4096];
    ChaCha20Rng::seed_from_u64(9).fill_bytes(&mut data);
    let script = fuzz_session::script(&mut Bytes::new(&data));
    let (value, files) = fuzz_session::reproducer(&script);
    let dir = std::env::temp_dir().join(format!("session-repro-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    for (file, bytes) in &files {
        std::fs::write(dir.join(file), bytes).map_err(|e| e.to_string())?;
    }
    let path = dir.join("script.json");
    std::fs::write(&path, value.to_string()).map_err(|e| e.to_string())?;
    let read = Script::from_file(&path).map_err(|e| e.to_string())?;
    let runners = SessionRunners::new(&[BackendKind::Wasmi]).map_err(|e| e.to_string())?;
    let a = runners.run(&script, &[]).map_err(|e| e.to_string())?;
    let b = runners.run(&read, &[]).map_err(|e| e.to_string())?;
    std::fs::remove_dir_all(&dir).map_err(|e| e.to_string())?;
    ensure(read.limits == script.limits, "limits")?;
    ensure(
        a[0].digest.is_some() && a[0].digest == b[0].digest,
        "digests",
    )
}

fn trial(name: &str, f: fn() -> Result<(), Failed>) -> Trial {
    Trial::test(name, f)
}

/// The tests of this file: the session corpus per case and backend, the
/// examples, the CLI and the session fuzzer.
pub(crate) fn trials() -> Vec<Trial> {
    let cases = cases::session_cases(&GasSchedule::default());
    let mut trials = vec![
        {
            let cases = cases.clone();
            Trial::test("sessions::names_are_unique", move || {
                cases::check_names(&cases).map_err(Failed::from)
            })
        },
        trial("sessions::examples::pingpong", pingpong),
        trial("sessions::examples::calculator", calculator),
        trial("sessions::examples::fanout", fanout),
        trial("sessions::examples::faulty", faulty),
        trial("sessions::cli::session_json_and_exit_codes", cli),
        trial("sessions::fuzz::no_divergence", fuzz_no_divergence),
        trial("sessions::fuzz::reaches_the_bus", fuzz_reach),
        trial(
            "sessions::fuzz::reproducer_round_trip",
            fuzz_reproducer_round_trip,
        ),
    ];
    for case in cases {
        for kind in BackendKind::compiled_in() {
            let case = case.clone();
            trials.push(Trial::test(
                format!("sessions::{}::{}", case.name, kind),
                move || on_backend(&case, kind),
            ));
        }
        trials.push(Trial::test(
            format!("sessions::{}::all_backends_agree", case.name),
            move || all_agree(&case),
        ));
    }
    trials
}
