//! The WebAssembly spec testsuite on every backend, raw and prepared: one
//! test per file, backend and mode (so a failure names its file), plus the
//! checks over the whole run: no stale skip entry, plausible counts.
//!
//! The suite is `$WASM_SPEC_TESTSUITE`, else `../shared/spec-testsuite`
//! next to the workspace. Under `CI=true` a missing suite fails; elsewhere
//! the file tests are simply absent and one test says why.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use conformance::spec::{
    Mode, SpecError, run_one_file, run_spec, spec_runtime, stale_skips, wast_files,
};
use libtest_mimic::{Failed, Trial};
use runtime::{BackendKind, Runtime};

fn suite_dir() -> PathBuf {
    match std::env::var_os("WASM_SPEC_TESTSUITE").filter(|d| !d.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        // crates/conformance -> the workspace root -> its sibling `shared`.
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/spec-testsuite"),
    }
}

/// Native stack of a file's run: deeply nested scripts recurse in the
/// parser and validator.
const FILE_STACK: usize = 64 << 20;

/// What the file trials met, for the checks after the run.
#[derive(Default)]
pub(crate) struct SpecRun {
    /// `(entry, line)` pairs of the directive skip table met by any trial.
    used: Mutex<BTreeSet<(usize, usize)>>,
    /// Directives passed, per backend and mode.
    passed: Mutex<Vec<(String, u64)>>,
    /// The file names, when the suite was found.
    names: Vec<String>,
}

impl SpecRun {
    /// After every trial ran unfiltered: no skip entry may be stale, and
    /// each backend and mode passed thousands of directives.
    pub(crate) fn check(&self) -> Result<(), String> {
        if self.names.is_empty() {
            return Ok(());
        }
        let names: Vec<&str> = self.names.iter().map(String::as_str).collect();
        let used = self.used.lock().map_err(|e| e.to_string())?;
        let stale = stale_skips(&names, &used);
        if !stale.is_empty() {
            return Err(format!("stale spec skip entries: {stale:#?}"));
        }
        let mut totals = std::collections::BTreeMap::<String, u64>::new();
        for (run, passed) in self.passed.lock().map_err(|e| e.to_string())?.iter() {
            *totals.entry(run.clone()).or_default() += passed;
        }
        if totals.len() != BackendKind::compiled_in().len() * 2 {
            return Err(format!("not every backend and mode ran: {totals:?}"));
        }
        match totals.iter().find(|(_, passed)| **passed < 10_000) {
            Some((run, passed)) => Err(format!("{run}: only {passed} directives passed")),
            None => Ok(()),
        }
    }
}

/// One trial per file, backend and mode, and the shared record for the
/// checks after the run.
pub(crate) fn trials() -> (Vec<Trial>, Arc<SpecRun>) {
    let dir = suite_dir();
    let files = match wast_files(&dir) {
        Ok(files) => files,
        Err(e) => {
            let in_ci = std::env::var("CI").is_ok_and(|v| v == "true");
            let message = format!("spec testsuite unavailable: {e}");
            let trial = Trial::test("spec::testsuite_is_present", move || {
                if in_ci {
                    Err(Failed::from(message.clone()))
                } else {
                    Ok(())
                }
            });
            return (
                vec![trial, missing_dir_trial()],
                Arc::new(SpecRun::default()),
            );
        }
    };
    let record = Arc::new(SpecRun {
        names: files.iter().map(|(n, _)| n.clone()).collect(),
        ..SpecRun::default()
    });
    let runtimes: Vec<(BackendKind, Arc<Runtime>)> = BackendKind::compiled_in()
        .into_iter()
        .filter_map(|k| spec_runtime(k).ok().map(|r| (k, Arc::new(r))))
        .collect();
    let files: Vec<Arc<(String, String)>> = files.into_iter().map(Arc::new).collect();
    let mut trials = vec![missing_dir_trial()];
    for file in &files {
        for (kind, runtime) in &runtimes {
            for mode in Mode::BOTH {
                let (file, runtime, record, kind) =
                    (file.clone(), runtime.clone(), record.clone(), *kind);
                let name = format!("spec::{}::{kind}::{}", file.0, mode.name());
                trials.push(Trial::test(name, move || {
                    run_file_trial(&runtime, kind, mode, &file, &record)
                }));
            }
        }
    }
    (trials, record)
}

fn run_file_trial(
    runtime: &Runtime,
    kind: BackendKind,
    mode: Mode,
    file: &(String, String),
    record: &SpecRun,
) -> Result<(), Failed> {
    let report = std::thread::scope(|scope| {
        std::thread::Builder::new()
            .stack_size(FILE_STACK)
            .spawn_scoped(scope, || run_one_file(runtime, mode, &file.0, &file.1))
            .map_err(|e| e.to_string())?
            .join()
            .map_err(|_| "the file's thread panicked".to_owned())
    })?;
    record
        .used
        .lock()
        .map_err(|e| e.to_string())?
        .extend(report.used_skips.iter().copied());
    record
        .passed
        .lock()
        .map_err(|e| e.to_string())?
        .push((format!("{kind}/{}", mode.name()), report.passed));
    if report.failed == 0 {
        return Ok(());
    }
    let lines: Vec<String> = report
        .failures
        .iter()
        .map(|f| {
            format!(
                "{}:{} {}: expected {}, got {}",
                f.file, f.line, f.directive, f.expected, f.got
            )
        })
        .collect();
    Err(lines.join("\n").into())
}

fn missing_dir_trial() -> Trial {
    Trial::test("spec::a_missing_directory_is_an_error", || {
        let missing = std::env::temp_dir().join("no-such-spec-testsuite-dir");
        match run_spec(&missing, &BackendKind::compiled_in()) {
            Err(SpecError::MissingDir(_)) => Ok(()),
            other => Err(format!("expected MissingDir, got {:?}", other.map(|r| r.files)).into()),
        }
    })
}
