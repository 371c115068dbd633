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
    ]
}
