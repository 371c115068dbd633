//! The `conformance` binary against `shared/CLI.md`: the JSON object's
//! shape, the exit codes 0, 1 and 2.

use std::path::PathBuf;
use std::process::{Command, Output};

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

#[test]
fn run_json_has_the_documented_shape_and_agrees() {
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

#[test]
fn run_options_reach_the_guest() {
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

#[test]
fn guest_panic_message_is_the_error_message() {
    let guest = guests().join("logs_events.wat");
    let out = conformance(&["run", guest.to_str().unwrap(), "--call", "panic", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    assert_eq!(v["outcomes"][1]["status"], "host_error");
    assert_eq!(v["outcomes"][1]["error"]["kind"], "GuestPanic");
    assert_eq!(v["outcomes"][1]["error"]["message"], "boom");
    assert_eq!(v["outcomes"][1]["logs"][0], "hello");
}

#[test]
fn usage_errors_exit_2() {
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

#[test]
fn unreadable_wat_exits_2() {
    let dir = std::env::temp_dir().join(format!("conformance-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.wat");
    std::fs::write(&bad, "(module (func").unwrap();
    let out = conformance(&["run", bad.to_str().unwrap(), "--call", "main"]);
    assert_eq!(out.status.code(), Some(2));
}

/// A timeout is non-deterministic: it has no digest and never agrees, so
/// `run` exits 1.
#[test]
fn nondeterministic_outcomes_do_not_agree_and_exit_1() {
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

#[test]
fn suite_passes_and_reports_every_case() {
    let out = conformance(&["suite", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    assert_eq!(v["passed"], true);
    assert!(v["cases"].as_array().unwrap().len() >= 70);
}

/// `--args` calls an export with typed arguments; `"results"` lists its
/// results as `CLI.md` spells them (floats as bits, so NaN payloads are
/// exact), and they enter the digest.
#[test]
fn run_args_json_reports_typed_results() {
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
