//! `conformance run --state PATH` and `conformance state PATH` against
//! `shared/CLI.md`: sequences of calls on one database, each seeing the
//! previous calls' commits; nothing committed for a non-`ok` or diverging
//! call; clear exit-2 errors for a missing, locked or corrupt database.

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

#[test]
fn a_sequence_of_counter_calls_sees_each_previous_commit() {
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

#[test]
fn the_c_kv_guest_reads_what_an_earlier_call_wrote() {
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
#[test]
fn a_diverging_call_commits_nothing() {
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

#[test]
fn missing_locked_and_corrupt_databases_exit_2() {
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
