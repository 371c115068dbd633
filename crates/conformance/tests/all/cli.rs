//! The `conformance` binary against `shared/CLI.md`: the JSON object's
//! shape, the exit codes 0, 1 and 2, and `run --state` / `state`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use runtime::storage_redb::RedbStorage;

fn guests() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("guests")
}

fn conformance(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_conformance"))
        .args(args)
        .output()
        .expect("the conformance binary runs")
}

fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).expect("stdout is one JSON object")
}

pub(crate) fn run_json_has_the_documented_shape_and_agrees() {
    let guest = guests().join("counter.wat");
    let out = conformance(&[
        "run",
        guest.to_str().unwrap(),
        "--call",
        "increment",
        "--json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["agree", "outcomes"]);
    assert_eq!(v["agree"], true);
    let outcomes = v["outcomes"].as_array().unwrap();
    let backends: Vec<&str> = outcomes
        .iter()
        .map(|o| o["backend"].as_str().unwrap())
        .collect();
    assert_eq!(backends, ["wasmtime", "wasmer", "wasmi"]);
    for o in outcomes {
        let keys: Vec<&str> = o.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "backend",
                "status",
                "error",
                "return_hex",
                "logs",
                "events",
                "changes",
                "gas_used",
                "results",
                "digest"
            ]
        );
        assert_eq!(o["status"], "ok");
        assert_eq!(o["error"], serde_json::Value::Null);
        // The counter starts at 0 in empty storage: 1, little-endian.
        assert_eq!(o["return_hex"], "0100000000000000");
        assert_eq!(o["changes"][0]["key_hex"], hex::encode("count"));
        assert_eq!(o["changes"][0]["value_hex"], "0100000000000000");
        assert_eq!(o["events"][0]["kind"], "count");
        assert_eq!(o["digest"].as_str().unwrap().len(), 64);
        assert_eq!(o["digest"], outcomes[0]["digest"]);
    }
}

pub(crate) fn run_options_reach_the_guest() {
    let guest = guests().join("registers.wat");
    let out = conformance(&[
        "run",
        guest.to_str().unwrap(),
        "--call",
        "echo_input",
        "--input-hex",
        "68656c6c6f",
        "--backend",
        "wasmi",
        "--backend",
        "wasmer",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    assert_eq!(v["outcomes"].as_array().unwrap().len(), 2);
    assert_eq!(v["outcomes"][0]["return_hex"], "68656c6c6f");

    let misc = guests().join("host_misc.wat");
    let out = conformance(&[
        "run",
        misc.to_str().unwrap(),
        "--call",
        "time",
        "--time-ns",
        "258",
        "--json",
    ]);
    assert_eq!(json(&out)["outcomes"][2]["return_hex"], "0201000000000000");

    let out = conformance(&[
        "run",
        misc.to_str().unwrap(),
        "--call",
        "burn_gas",
        "--gas",
        "1000",
        "--json",
    ]);
    let v = json(&out);
    assert_eq!(v["outcomes"][0]["status"], "trap");
    assert_eq!(v["outcomes"][0]["error"]["kind"], "GasExhausted");
    assert_eq!(v["outcomes"][0]["gas_used"], 1000);
}

pub(crate) fn guest_panic_message_is_the_error_message() {
    let guest = guests().join("logs_events.wat");
    let out = conformance(&["run", guest.to_str().unwrap(), "--call", "panic", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    assert_eq!(v["outcomes"][1]["status"], "host_error");
    assert_eq!(v["outcomes"][1]["error"]["kind"], "GuestPanic");
    assert_eq!(v["outcomes"][1]["error"]["message"], "boom");
    assert_eq!(v["outcomes"][1]["logs"][0], "hello");
}

pub(crate) fn usage_errors_exit_2() {
    let guest = guests().join("counter.wat");
    let g = guest.to_str().unwrap();
    for args in [
        vec!["run", g, "--call", "increment", "--backend", "v8"],
        vec!["run", g, "--call", "increment", "--seed", "00"],
        vec!["run", g, "--call", "increment", "--input-hex", "zz"],
        vec!["run", "/nonexistent/guest.wasm", "--call", "main"],
        vec!["run", g],
        vec!["frobnicate"],
    ] {
        let out = conformance(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

pub(crate) fn unreadable_wat_exits_2() {
    let dir = std::env::temp_dir().join(format!("conformance-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.wat");
    std::fs::write(&bad, "(module (func").unwrap();
    let out = conformance(&["run", bad.to_str().unwrap(), "--call", "main"]);
    assert_eq!(out.status.code(), Some(2));
}

/// A timeout is non-deterministic: it has no digest and never agrees, so
/// `run` exits 1.
pub(crate) fn nondeterministic_outcomes_do_not_agree_and_exit_1() {
    let dir = std::env::temp_dir().join(format!("conformance-cli-spin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let guest = dir.join("spin.wat");
    std::fs::write(
        &guest,
        r#"(module (func (export "main") (loop $l (br $l))))"#,
    )
    .unwrap();
    let out = conformance(&[
        "run",
        guest.to_str().unwrap(),
        "--call",
        "main",
        "--gas",
        "4611686018427387903",
        "--timeout-ms",
        "100",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_eq!(v["agree"], false);
    for o in v["outcomes"].as_array().unwrap() {
        assert_eq!(o["status"], "nondeterministic");
        assert_eq!(o["error"]["kind"], "Timeout");
        assert_eq!(o["digest"], serde_json::Value::Null);
    }
}

pub(crate) fn suite_passes_and_reports_every_case() {
    let out = conformance(&["suite", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    assert_eq!(v["passed"], true);
    assert!(v["cases"].as_array().unwrap().len() >= 70);
}

// `run --state PATH` and `state PATH`: sequences of calls on one database,
// each seeing the previous calls' commits; nothing committed for a non-`ok`
// or diverging call; clear exit-2 errors for a missing, locked or corrupt
// database.

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn s(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

/// `run GUEST --call F --state DB --json` plus `extra`.
fn run_state(guest: &Path, call: &str, db: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["run", s(guest), "--call", call, "--state", s(db), "--json"];
    args.extend_from_slice(extra);
    conformance(&args)
}

/// `state DB --json`, as (key_hex, value_hex) pairs.
fn state_entries(db: &Path) -> Vec<(String, String)> {
    let out = conformance(&["state", s(db), "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json(&out);
    let keys: Vec<&str> = v
        .as_object()
        .expect("the documented state JSON")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["entries"]);
    v["entries"]
        .as_array()
        .expect("the documented state JSON")
        .iter()
        .map(|e| {
            (
                e["key_hex"]
                    .as_str()
                    .expect("the documented state JSON")
                    .to_owned(),
                e["value_hex"]
                    .as_str()
                    .expect("the documented state JSON")
                    .to_owned(),
            )
        })
        .collect()
}

fn count_hex(n: u64) -> String {
    hex::encode(n.to_le_bytes())
}

pub(crate) fn a_sequence_of_counter_calls_sees_each_previous_commit() {
    let dir = tempfile::tempdir().unwrap();
    // The database does not exist yet: the first `run --state` creates it.
    let db = dir.path().join("state.redb");
    let counter = guests().join("counter.wat");
    for n in 1..=3u64 {
        let out = run_state(&counter, "increment", &db, &[]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("committed 1 change"),
            "{}",
            stderr(&out)
        );
        let v = json(&out);
        assert_eq!(v["agree"], true);
        let outcomes = v["outcomes"].as_array().unwrap();
        assert_eq!(outcomes.len(), 3);
        // Every backend ran on the same pre-state (n - 1): each returns n,
        // and the change is committed once, not once per backend.
        for o in outcomes {
            assert_eq!(o["status"], "ok");
            assert_eq!(o["return_hex"], count_hex(n), "call {n}");
            assert_eq!(o["changes"][0]["key_hex"], hex::encode("count"));
            assert_eq!(o["changes"][0]["value_hex"], count_hex(n));
        }
        assert_eq!(state_entries(&db), [(hex::encode("count"), count_hex(n))]);
    }

    // A call that runs out of gas agrees on `trap`: nothing is committed.
    let out = run_state(&counter, "increment", &db, &["--gas", "10"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json(&out)["outcomes"][0]["status"], "trap");
    assert!(stderr(&out).contains("nothing committed: the agreed status is trap"));
    assert_eq!(state_entries(&db), [(hex::encode("count"), count_hex(3))]);

    // The next call continues from 3, on a selection of backends too.
    let out = run_state(&counter, "increment", &db, &["--backend", "wasmi"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json(&out)["outcomes"][0]["return_hex"], count_hex(4));
    assert_eq!(state_entries(&db), [(hex::encode("count"), count_hex(4))]);
}

pub(crate) fn the_c_kv_guest_reads_what_an_earlier_call_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kv.redb");
    let kv = guests().join("c").join("kv.wasm");
    // S "a" "xy"; S "b" "z": no old values (00 00).
    let set = format!("53{}{}53{}{}", "0161", "027879", "0162", "017a");
    let out = run_state(&kv, "run", &db, &["--input-hex", &set]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&out)["outcomes"][0]["return_hex"], "0000");
    // G "a"; R "b"; H "b": 01 02 "xy", 01 01 "z", 00.
    let out = run_state(&kv, "run", &db, &["--input-hex", "470161520162480162"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json(&out);
    for o in v["outcomes"].as_array().unwrap() {
        assert_eq!(o["return_hex"], "010278790101 7a00".replace(' ', ""));
    }
    assert_eq!(
        state_entries(&db),
        [(hex::encode("a"), hex::encode("xy"))],
        "b was removed"
    );
    // The table form: a header, one row, a count.
    let out = conformance(&["state", s(&db)]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("key_hex") && lines[0].ends_with("value_hex"));
    assert_eq!(
        lines[1].split_whitespace().collect::<Vec<_>>(),
        ["61", "7879"]
    );
    assert_eq!(lines[2], "1 entry");
}

/// A timeout never agrees: the backends diverge and nothing is committed,
/// although the guest wrote a key before spinning.
pub(crate) fn a_diverging_call_commits_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("state.redb");
    let guest = dir.path().join("write_then_spin.wat");
    std::fs::write(
        &guest,
        r#"(module
             (import "env" "storage_write" (func $w (param i64 i64 i64 i64 i64) (result i64)))
             (memory (export "memory") 1)
             (data (i32.const 0) "k")
             (func (export "main")
               (drop (call $w (i64.const 1) (i64.const 0) (i64.const 1) (i64.const 0) (i64.const 0)))
               (loop $l (br $l))))"#,
    )
    .unwrap();
    let out = run_state(
        &guest,
        "main",
        &db,
        &["--gas", "4611686018427387903", "--timeout-ms", "100"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json(&out)["agree"], false);
    assert!(stderr(&out).contains("nothing committed: the backends diverge"));
    assert_eq!(state_entries(&db), []);
}

pub(crate) fn missing_locked_and_corrupt_databases_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let counter = guests().join("counter.wat");

    // `state` never creates: a missing file is an error naming it.
    let missing = dir.path().join("missing.redb");
    let out = conformance(&["state", s(&missing)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains(s(&missing)), "{}", stderr(&out));
    assert!(stderr(&out).contains("does not exist"), "{}", stderr(&out));
    assert!(!missing.exists());

    // `run --state` creates a missing file, but not a missing directory.
    let no_dir = dir.path().join("no-such-dir").join("state.redb");
    let out = run_state(&counter, "increment", &no_dir, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(stderr(&out).contains("does not exist"), "{}", stderr(&out));

    // Locked: this process holds the database open.
    let db = dir.path().join("held.redb");
    let held = RedbStorage::open(&db).unwrap();
    for out in [
        conformance(&["state", s(&db), "--json"]),
        run_state(&counter, "increment", &db, &[]),
    ] {
        assert_eq!(out.status.code(), Some(2));
        assert!(out.stdout.is_empty());
        assert!(stderr(&out).contains("locked"), "{}", stderr(&out));
        assert!(stderr(&out).contains(s(&db)), "{}", stderr(&out));
    }
    drop(held);
    assert_eq!(state_entries(&db), []);

    // Corrupt or foreign: a text file, and a truncated database.
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "not a database\n").unwrap();
    let truncated = dir.path().join("truncated.redb");
    let bytes = std::fs::read(&db).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    for path in [&text, &truncated] {
        for out in [
            conformance(&["state", s(path)]),
            run_state(&counter, "increment", path, &[]),
        ] {
            assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
            assert!(stderr(&out).contains("corrupt"), "{}", stderr(&out));
        }
    }
    // The refused file is left as it was.
    assert_eq!(std::fs::read(&text).unwrap(), b"not a database\n");
}

/// The tests of this file.
pub(crate) fn trials() -> Vec<libtest_mimic::Trial> {
    vec![
        crate::trial(
            "cli::run_json_has_the_documented_shape_and_agrees",
            run_json_has_the_documented_shape_and_agrees,
        ),
        crate::trial(
            "cli::run_options_reach_the_guest",
            run_options_reach_the_guest,
        ),
        crate::trial(
            "cli::guest_panic_message_is_the_error_message",
            guest_panic_message_is_the_error_message,
        ),
        crate::trial("cli::usage_errors_exit_2", usage_errors_exit_2),
        crate::trial("cli::unreadable_wat_exits_2", unreadable_wat_exits_2),
        crate::trial(
            "cli::nondeterministic_outcomes_do_not_agree_and_exit_1",
            nondeterministic_outcomes_do_not_agree_and_exit_1,
        ),
        crate::trial(
            "cli::suite_passes_and_reports_every_case",
            suite_passes_and_reports_every_case,
        ),
        crate::trial(
            "cli::a_sequence_of_counter_calls_sees_each_previous_commit",
            a_sequence_of_counter_calls_sees_each_previous_commit,
        ),
        crate::trial(
            "cli::the_c_kv_guest_reads_what_an_earlier_call_wrote",
            the_c_kv_guest_reads_what_an_earlier_call_wrote,
        ),
        crate::trial(
            "cli::a_diverging_call_commits_nothing",
            a_diverging_call_commits_nothing,
        ),
        crate::trial(
            "cli::missing_locked_and_corrupt_databases_exit_2",
            missing_locked_and_corrupt_databases_exit_2,
        ),
    ]
}
