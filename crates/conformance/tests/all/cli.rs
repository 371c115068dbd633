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
        assert_eq!(o["results"], serde_json::json!([]));
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

// ---------------------------------------------------------------------------
// Hostile input (issue 12, findings 7 to 10).

/// A fresh directory for one test's files.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("conformance-cli-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("the temporary directory is writable");
    dir
}

/// Finding 8: a `GuestPanic` message longer than 65 535 characters made the
/// table printer panic ("Formatting argument out of range", exit 101).
pub(crate) fn a_huge_panic_message_prints_as_a_table_and_as_json() {
    let len = 70_000;
    let guest = scratch("panic").join("panic.wat");
    std::fs::write(
        &guest,
        format!(
            r#"(module
              (import "env" "panic_utf8" (func $panic (param i64 i64)))
              (memory (export "memory") 2)
              (data (i32.const 0) "{}")
              (func (export "main") (call $panic (i64.const {len}) (i64.const 0))))"#,
            "A".repeat(len)
        ),
    )
    .unwrap();
    let g = guest.to_str().unwrap();
    let out = conformance(&["run", g, "--call", "main"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The cell shows the head of the message and its length; the rows
    // stay aligned.
    assert!(stdout.contains(&format!("{len} chars")), "{stdout}");
    assert!(stdout.lines().all(|l| l.len() < 1000), "{stdout}");
    assert!(stdout.ends_with("agree: yes\n"), "{stdout}");
    // The JSON object carries the whole message.
    let out = conformance(&["run", g, "--call", "main", "--json"]);
    let v = json(&out);
    for o in v["outcomes"].as_array().unwrap() {
        assert_eq!(o["error"]["kind"], "GuestPanic");
        assert_eq!(o["error"]["message"], "A".repeat(len));
    }
}

/// Finding 9: `conformance run ... --json | true` panicked on the broken
/// pipe ("failed printing to stdout", exit 101). It ends quietly, with the
/// status the run had (0: the backends agree).
pub(crate) fn a_closed_stdout_ends_the_run_quietly() {
    // 1 MiB of return data: far more than a pipe holds, so the writes hit
    // the closed pipe whenever the reader goes away.
    let guest = scratch("pipe").join("big_return.wat");
    std::fs::write(
        &guest,
        r#"(module
          (import "env" "value_return" (func $ret (param i64 i64)))
          (memory (export "memory") 16)
          (func (export "main") (call $ret (i64.const 1048576) (i64.const 0))))"#,
    )
    .unwrap();
    for json in [true, false] {
        let mut args = vec!["run", guest.to_str().unwrap(), "--call", "main"];
        if json {
            args.push("--json");
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_conformance"))
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Close the read end at once, as `| true` does.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "json {json}: {stderr}");
        assert!(!stderr.contains("panicked"), "json {json}: {stderr}");
    }
}

/// Runs `args`, killing the command if it takes longer than `limit` (an
/// endless read must fail the test, not hang it).
#[cfg(unix)]
fn conformance_within(args: &[&str], limit: std::time::Duration) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_conformance"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the conformance binary runs");
    let start = std::time::Instant::now();
    while child.try_wait().expect("waiting works").is_none() {
        if start.elapsed() > limit {
            child.kill().expect("the child can be killed");
            panic!("{args:?} still running after {limit:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().expect("the output can be read")
}

/// Finding 10: `conformance run /dev/zero --call main` read without bound
/// (3.5 GB in 1.6 s). At most the module size limit + 1 byte is read, then
/// the file is refused with exit 2; likewise an endless input file.
#[cfg(unix)]
pub(crate) fn endless_files_are_refused_after_the_size_limit() {
    let limit = std::time::Duration::from_secs(60);
    let guest = guests().join("counter.wat");
    for args in [
        vec!["run", "/dev/zero", "--call", "main"],
        vec![
            "run",
            guest.to_str().unwrap(),
            "--call",
            "increment",
            "--input-file",
            "/dev/zero",
        ],
    ] {
        let out = conformance_within(&args, limit);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("larger than"), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

/// The guest-file bound is the module size limit: a module of exactly
/// 4 MiB (a custom section pads it) runs, one byte more is refused.
pub(crate) fn a_guest_file_at_the_module_size_limit_runs() {
    let limit = runtime::ModuleLimits::default().max_module_size as usize;
    let module = wat::parse_str(r#"(module (func (export "main")))"#).unwrap();
    let dir = scratch("size");
    for (name, size, code) in [("at.wasm", limit, 0), ("past.wasm", limit + 1, 2)] {
        // A custom section: id 0, a 5-byte LEB size, a 1-byte name.
        let payload = size - module.len() - 1 - 5;
        let mut bytes = module.clone();
        bytes.push(0);
        let mut n = payload as u32;
        for i in 0..5 {
            let more = i < 4;
            bytes.push((n & 0x7f) as u8 | if more { 0x80 } else { 0 });
            n >>= 7;
        }
        bytes.push(1);
        bytes.push(b'x');
        bytes.resize(size, 0);
        let path = dir.join(name);
        std::fs::write(&path, &bytes).unwrap();
        let out = conformance(&["run", path.to_str().unwrap(), "--call", "main"]);
        assert_eq!(
            out.status.code(),
            Some(code),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Finding 7: 15 writes of 4 MiB and a 64 MiB `value_return` (within the
/// default limits) peaked at 2.4 GB in the CLI, which built one JSON tree
/// with every hex copy. The outcomes are now streamed: the run succeeds
/// under a 1 GiB data-segment limit (`ulimit -d`), and its 780 MB of JSON
/// parse.
#[cfg(target_os = "linux")]
pub(crate) fn big_outcomes_stream_in_bounded_memory() {
    use serde::Deserialize;

    /// The length of a hex string, checked to be hex, without keeping it.
    struct HexLen(usize);
    impl<'de> Deserialize<'de> for HexLen {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl serde::de::Visitor<'_> for V {
                type Value = HexLen;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("a hex string")
                }
                fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<HexLen, E> {
                    if s.bytes().all(|b| b.is_ascii_hexdigit()) {
                        Ok(HexLen(s.len()))
                    } else {
                        Err(E::custom("not hex"))
                    }
                }
            }
            d.deserialize_str(V)
        }
    }
    #[derive(Deserialize)]
    struct Change {
        key_hex: String,
        value_hex: HexLen,
    }
    #[derive(Deserialize)]
    struct Outcome {
        status: String,
        return_hex: HexLen,
        changes: Vec<Change>,
        digest: Option<String>,
    }
    #[derive(Deserialize)]
    struct Run {
        agree: bool,
        outcomes: Vec<Outcome>,
    }

    let guest = scratch("big").join("big.wat");
    std::fs::write(
        &guest,
        r#"(module
          (import "env" "storage_write" (func $w (param i64 i64 i64 i64 i64) (result i64)))
          (import "env" "value_return" (func $ret (param i64 i64)))
          (memory (export "memory") 1024)
          (func (export "main") (local $k i32)
            (loop $l
              (i32.store8 (i32.const 0) (local.get $k))
              (drop (call $w (i64.const 1) (i64.const 0) (i64.const 4194304) (i64.const 0) (i64.const 0)))
              (local.set $k (i32.add (local.get $k) (i32.const 1)))
              (br_if $l (i32.lt_u (local.get $k) (i32.const 15))))
            (call $ret (i64.const 67108864) (i64.const 0))))"#,
    )
    .unwrap();
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(r#"ulimit -d 1048576 && exec "$0" run "$1" --call main --json"#)
        .arg(env!("CARGO_BIN_EXE_conformance"))
        .arg(&guest)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = std::io::BufReader::with_capacity(1 << 20, child.stdout.take().unwrap());
    let run: Result<Run, _> = serde_json::from_reader(stdout);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let run = run.unwrap_or_else(|e| panic!("the output is not the JSON object: {e}; {stderr}"));
    assert!(run.agree);
    assert_eq!(run.outcomes.len(), 3);
    for o in &run.outcomes {
        assert_eq!(o.status, "ok");
        assert_eq!(o.return_hex.0, 2 * (64 << 20));
        assert_eq!(o.changes.len(), 15);
        assert_eq!(o.changes[14].key_hex, "0e");
        assert!(o.changes.iter().all(|c| c.value_hex.0 == 2 * (4 << 20)));
        assert_eq!(o.digest, run.outcomes[0].digest);
    }
}

/// `--args` calls an export with typed arguments; `"results"` lists its
/// results as `CLI.md` spells them (floats as bits, so NaN payloads are
/// exact), and they enter the digest.
pub(crate) fn run_args_json_reports_typed_results() {
    let typed = guests().join("typed.wat");
    let typed = typed.to_str().unwrap();
    let run = |call: &str, args: &str| {
        conformance(&["run", typed, "--call", call, "--args", args, "--json"])
    };
    // `swap` returns its four arguments in reverse order, bits unchanged.
    let out = run("swap", "i32:-1,i64:0x10,f32:bits:0x7fa00001,f64:nan");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    assert_eq!(v["agree"], true);
    let outcomes = v["outcomes"].as_array().unwrap();
    assert_eq!(outcomes.len(), 3);
    for o in outcomes {
        assert_eq!(o["status"], "ok", "{o}");
        assert_eq!(
            o["results"],
            serde_json::json!([
                "f64:bits:0x7ff8000000000000",
                "f32:bits:0x7fa00001",
                "i64:16",
                "i32:-1"
            ])
        );
        assert_eq!(o["digest"], outcomes[0]["digest"]);
    }
    // Other results, another digest.
    let other = json(&run("swap", "i32:-1,i64:0x10,f32:bits:0x7fa00002,f64:nan"));
    assert_ne!(other["outcomes"][0]["digest"], outcomes[0]["digest"]);

    // A signed division by a negative number.
    let v = json(&run("div_i32", "i32:-7,i32:2"));
    assert_eq!(v["outcomes"][1]["results"], serde_json::json!(["i32:-3"]));

    // The wrong arity is a rejection naming the signature, on every
    // backend alike (so they agree: exit 0).
    let out = run("add_i32", "i32:1");
    assert_eq!(out.status.code(), Some(0));
    for o in json(&out)["outcomes"].as_array().unwrap() {
        assert_eq!(o["status"], "rejected");
        assert_eq!(o["error"]["kind"], "ArgumentMismatch");
        let message = o["error"]["message"].as_str().unwrap();
        assert!(message.contains("[i32, i32] -> [i32]"), "{message}");
        assert_eq!(o["results"], serde_json::json!([]));
    }

    // A malformed list is a usage error.
    for bad in ["i32", "i33:1", "i32:x", "f32:bits:0x1ffffffff"] {
        let out = run("add_i32", bad);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(out.stdout.is_empty(), "{bad}");
    }

    // The corpus's embedder functions are linked: a NaN payload through
    // the host, unchanged.
    let embedder = guests().join("embedder.wat");
    let out = conformance(&[
        "run",
        embedder.to_str().unwrap(),
        "--call",
        "pass_f64",
        "--args",
        "f64:bits:0x7ff4000000000001",
        "--json",
    ]);
    let v = json(&out);
    assert_eq!(v["agree"], true);
    for o in v["outcomes"].as_array().unwrap() {
        assert_eq!(
            o["results"],
            serde_json::json!(["f64:bits:0x7ff4000000000001"])
        );
    }
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
        crate::trial(
            "cli::a_huge_panic_message_prints_as_a_table_and_as_json",
            a_huge_panic_message_prints_as_a_table_and_as_json,
        ),
        crate::trial(
            "cli::a_closed_stdout_ends_the_run_quietly",
            a_closed_stdout_ends_the_run_quietly,
        ),
        crate::trial(
            "cli::endless_files_are_refused_after_the_size_limit",
            endless_files_are_refused_after_the_size_limit,
        ),
        crate::trial(
            "cli::a_guest_file_at_the_module_size_limit_runs",
            a_guest_file_at_the_module_size_limit_runs,
        ),
        crate::trial(
            "cli::big_outcomes_stream_in_bounded_memory",
            big_outcomes_stream_in_bounded_memory,
        ),
        crate::trial(
            "cli::run_args_json_reports_typed_results",
            run_args_json_reports_typed_results,
        ),
    ]
}
