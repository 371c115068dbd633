//! The WebAssembly spec testsuite on every backend, raw and prepared: zero
//! failures, no stale skip entry, and plausible counts.
//!
//! The suite is `$WASM_SPEC_TESTSUITE`, else `../shared/spec-testsuite`
//! next to the workspace. Under `CI=true` a missing suite fails the test;
//! elsewhere it prints a note and passes.

use std::path::PathBuf;

use conformance::spec::{Mode, json, run_spec, table};
use runtime::BackendKind;

fn suite_dir() -> PathBuf {
    match std::env::var_os("WASM_SPEC_TESTSUITE").filter(|d| !d.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        // crates/conformance -> the workspace root -> its sibling `shared`.
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/spec-testsuite"),
    }
}

#[test]
fn spec_testsuite_passes_on_every_backend_raw_and_prepared() {
    let dir = suite_dir();
    if !dir.is_dir() {
        let in_ci = std::env::var("CI").is_ok_and(|v| v == "true");
        assert!(
            !in_ci,
            "CI=true but the spec testsuite is missing at {}",
            dir.display()
        );
        println!(
            "note: spec testsuite not found at {}; set WASM_SPEC_TESTSUITE to run it",
            dir.display()
        );
        return;
    }
    let kinds = BackendKind::compiled_in();
    assert_eq!(kinds.len(), 3, "the conformance crate builds every backend");
    let report = run_spec(&dir, &kinds).expect("the spec run can be made");
    println!("{}", table(&report));

    assert_eq!(report.runs.len(), kinds.len() * 2);
    assert!(report.files > 200, "only {} .wast files", report.files);
    for run in &report.runs {
        // Not vacuous: thousands of directives pass in each run, and the
        // skipped share stays a minority of the in-scope files' directives.
        assert!(
            run.passed > 10_000,
            "{}/{}: only {} directives passed",
            run.backend,
            run.mode.name(),
            run.passed
        );
    }
    // Raw and prepared runs see the same directives.
    for pair in report.runs.chunks(2) {
        assert_eq!(pair[0].mode, Mode::Raw);
        assert_eq!(pair[1].mode, Mode::Prepared);
        assert_eq!(
            pair[0].passed + pair[0].failed + pair[0].skipped,
            pair[1].passed + pair[1].failed + pair[1].skipped
        );
    }
    assert!(
        report.unused_skips.is_empty(),
        "stale skip entries: {:#?}",
        report.unused_skips
    );
    assert_eq!(
        report.failed(),
        0,
        "spec failures (every one is listed as FAIL in the table above)"
    );
    assert_eq!(json(&report)["ok"], true);
    assert!(report.ok());
}

#[test]
fn a_missing_directory_is_an_error() {
    let missing = std::env::temp_dir().join("no-such-spec-testsuite-dir");
    let err = run_spec(&missing, &BackendKind::compiled_in()).unwrap_err();
    assert!(
        matches!(err, conformance::spec::SpecError::MissingDir(_)),
        "{err}"
    );
}
