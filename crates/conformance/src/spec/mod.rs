//! The WebAssembly spec testsuite (`.wast` scripts), run through every
//! backend's public API, twice per backend:
//!
//! * [`Mode::Raw`]: modules prepared with
//!   [`prepare_uninstrumented`](runtime::testing::prepare_uninstrumented) — the
//!   runtime's checks, no instrumentation;
//! * [`Mode::Prepared`]: modules prepared with [`prepare`](runtime::prepare)
//!   — gas, stack height and NaN canonicalisation instrumented. Prepared
//!   modules must pass the same assertions.
//!
//! Every module is compiled once per backend and mode and instantiated with
//! [`RawModule::instantiate`](runtime::testing::RawModule::instantiate); instances
//! live as long as the script can refer to them. The runtimes link the
//! `spectest` functions ([`spectest`]) as embedder host functions, so
//! modules that import only those run; other imports (`spectest`'s globals,
//! table and memory, registered modules) are rejected and skipped. Modules are prepared under
//! [`spec_limits`]: the default static limits are sized for guests, not for
//! the testsuite's deliberately big modules, and the testsuite is about
//! semantics.
//!
//! What is out of the runtime's contract is skipped from a reviewed table
//! ([`skips`]), one reason per entry; everything else must pass. A missing
//! directory is an error, never a skip.
//!
//! ```no_run
//! use std::path::Path;
//! use runtime::BackendKind;
//!
//! let report = conformance::spec::run_spec(
//!     Path::new("../shared/spec-testsuite"),
//!     &BackendKind::compiled_in(),
//! )?;
//! print!("{}", conformance::spec::table(&report));
//! assert!(report.ok());
//! # Ok::<(), conformance::spec::SpecError>(())
//! ```

mod directives;
pub mod skips;
pub mod spectest;
mod values;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use runtime::{BackendKind, GasSchedule, ModuleLimits, NotCompiledIn, Runtime};
use serde_json::{Value, json};

use directives::{Lines, Script, Verdict};
pub use skips::Reason;

/// With or without the runtime's instrumentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mode {
    /// [`prepare_uninstrumented`](runtime::testing::prepare_uninstrumented).
    Raw,
    /// [`prepare`](runtime::prepare): gas, stack height, NaNs.
    Prepared,
}

impl Mode {
    /// Both modes, in report order.
    pub const BOTH: [Mode; 2] = [Mode::Raw, Mode::Prepared];

    /// `raw` or `prepared`.
    pub const fn name(self) -> &'static str {
        match self {
            Mode::Raw => "raw",
            Mode::Prepared => "prepared",
        }
    }
}

/// One directive that failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The `.wast` file's name.
    pub file: String,
    /// The 1-based line the directive starts on (0: the whole file).
    pub line: usize,
    /// The directive's keyword (`assert_return`, `module`, …).
    pub directive: &'static str,
    /// What the spec expects.
    pub expected: String,
    /// What the runtime did.
    pub got: String,
}

/// The result of one backend in one mode.
#[derive(Clone, Debug)]
pub struct RunReport {
    /// The backend.
    pub backend: BackendKind,
    /// The mode.
    pub mode: Mode,
    /// Directives that passed.
    pub passed: u64,
    /// Directives that failed; each is in `failures`.
    pub failed: u64,
    /// Directives skipped (whole files included), each for a reason of the
    /// table.
    pub skipped: u64,
    /// `skipped`, by reason.
    pub skipped_by_reason: BTreeMap<Reason, u64>,
    /// Every failure, in file and line order.
    pub failures: Vec<Failure>,
    /// Wall-clock time of the run.
    pub elapsed: Duration,
}

/// The result of [`run_spec`].
#[derive(Clone, Debug)]
pub struct SpecReport {
    /// The testsuite directory.
    pub dir: PathBuf,
    /// Number of `.wast` files found.
    pub files: usize,
    /// Files skipped whole, with their reason.
    pub skipped_files: Vec<(String, Reason)>,
    /// One report per backend and mode, backends in the order given.
    pub runs: Vec<RunReport>,
    /// Skip-table entries that matched nothing in this testsuite: the table
    /// has drifted from the suite.
    pub unused_skips: Vec<String>,
}

impl SpecReport {
    /// Failed directives over all runs.
    pub fn failed(&self) -> u64 {
        self.runs.iter().map(|r| r.failed).sum()
    }

    /// No failure and no unused skip entry.
    pub fn ok(&self) -> bool {
        self.failed() == 0 && self.unused_skips.is_empty()
    }
}

/// Why the spec run could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SpecError {
    /// The directory does not exist (never a silent skip).
    #[error(
        "spec testsuite directory {} does not exist (set WASM_SPEC_TESTSUITE or pass --dir)",
        .0.display()
    )]
    MissingDir(PathBuf),
    /// The directory holds no `.wast` file.
    #[error("no .wast files in {}", .0.display())]
    NoWastFiles(PathBuf),
    /// Reading the directory or a file failed.
    #[error("reading {}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// No backend was selected.
    #[error("no backend selected")]
    NoBackends,
    /// A selected backend is not compiled in.
    #[error(transparent)]
    NotCompiledIn(#[from] NotCompiledIn),
    /// A runtime could not be built.
    #[error(transparent)]
    Runtime(#[from] runtime::RuntimeError),
    /// A worker thread could not be started.
    #[error("starting a worker thread: {0}")]
    Thread(std::io::Error),
}

/// The limits modules are prepared under for the spec run: the default
/// dynamic limits, and static limits as large as the engines allow (every
/// 32-bit memory size, the largest stack-height limit), because the
/// testsuite has deliberately big modules and is about semantics, not about
/// this runtime's guest-sized defaults (which its own corpus tests) — but
/// the code limits of ABI 1.1 at their defaults, which every in-scope module
/// passes.
pub fn spec_limits() -> ModuleLimits {
    let code = ModuleLimits::default();
    ModuleLimits {
        max_memory_pages: 65_536,
        max_stack_height: ModuleLimits::MAX_STACK_HEIGHT,
        max_module_size: 1 << 30,
        max_function_body_size: 1 << 30,
        max_functions: u32::MAX,
        max_params: u32::MAX,
        max_results: u32::MAX,
        max_locals: u32::MAX,
        max_globals: u32::MAX,
        max_types: u32::MAX,
        max_tables: u32::MAX,
        max_table_size: u32::MAX,
        max_data_segments: u32::MAX,
        max_element_segments: u32::MAX,
        max_imports: u32::MAX,
        max_exports: u32::MAX,
        // The code limits keep their defaults: every in-scope module of the
        // testsuite passes them, which `tests/spec.rs` shows (a rejection
        // would fail its directives).
        max_code_size: code.max_code_size,
        max_nesting_depth: code.max_nesting_depth,
        max_blocks_per_function: code.max_blocks_per_function,
        max_blocks_per_module: code.max_blocks_per_module,
        max_br_table_targets: code.max_br_table_targets,
        max_operand_stack: code.max_operand_stack,
        max_loop_locals: code.max_loop_locals,
    }
}

/// The default directory (`CLI.md`): `$WASM_SPEC_TESTSUITE`, else
/// `../shared/spec-testsuite`.
pub fn default_dir() -> PathBuf {
    std::env::var_os("WASM_SPEC_TESTSUITE")
        .filter(|d| !d.is_empty())
        .map_or_else(|| PathBuf::from("../shared/spec-testsuite"), PathBuf::from)
}

/// Native stack of a worker thread: room for the engines' own stack limits
/// (wasmtime's is 1 MiB) with a wide margin.
const WORKER_STACK: usize = 64 << 20;

/// Running tallies of one run.
#[derive(Default)]
struct Tally {
    passed: u64,
    failed: u64,
    skipped: u64,
    by_reason: BTreeMap<Reason, u64>,
    failures: Vec<Failure>,
    /// `(entry, line)` of [`skips::DIRECTIVES`] that matched a directive.
    used_directive_skips: BTreeSet<(usize, usize)>,
}

impl Tally {
    fn record(&mut self, file: &str, line: usize, directive: &'static str, verdict: Verdict) {
        match verdict {
            Verdict::Pass => self.passed += 1,
            Verdict::Skip(reason) => self.skip(reason, 1),
            Verdict::Fail { expected, got } => {
                self.failed += 1;
                self.failures.push(Failure {
                    file: file.to_owned(),
                    line,
                    directive,
                    expected,
                    got,
                });
            }
        }
    }

    fn skip(&mut self, reason: Reason, count: u64) {
        self.skipped += count;
        *self.by_reason.entry(reason).or_default() += count;
    }
}

/// Runs every `.wast` file of `dir` on each backend of `kinds`, in both
/// modes. Runs are spread over the machine's cores.
///
/// # Errors
///
/// A [`SpecError`] when the run cannot be made: the directory is missing or
/// holds no `.wast` file, a file cannot be read, or a backend is not
/// compiled in. Failing directives are not errors: they are in the report.
pub fn run_spec(dir: &Path, kinds: &[BackendKind]) -> Result<SpecReport, SpecError> {
    if !dir.is_dir() {
        return Err(SpecError::MissingDir(dir.to_path_buf()));
    }
    if kinds.is_empty() {
        return Err(SpecError::NoBackends);
    }
    if let Some(kind) = kinds.iter().find(|k| !k.is_compiled_in()) {
        return Err(NotCompiledIn(*kind).into());
    }
    let files = read_files(dir)?;
    if files.is_empty() {
        return Err(SpecError::NoWastFiles(dir.to_path_buf()));
    }

    let jobs: Vec<(BackendKind, Mode)> = kinds
        .iter()
        .flat_map(|&k| Mode::BOTH.map(|m| (k, m)))
        .collect();
    let results: Vec<Mutex<Option<JobResult>>> = jobs.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(jobs.len());
    std::thread::scope(|scope| -> Result<(), SpecError> {
        for _ in 0..workers {
            std::thread::Builder::new()
                .name("spec".into())
                .stack_size(WORKER_STACK)
                .spawn_scoped(scope, || {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&(kind, mode)) = jobs.get(i) else {
                            break;
                        };
                        let result = run_job(kind, mode, &files);
                        if let Ok(mut slot) = results[i].lock() {
                            *slot = Some(result);
                        }
                    }
                })
                .map_err(SpecError::Thread)?;
        }
        Ok(())
    })?;

    let mut runs = Vec::with_capacity(jobs.len());
    let mut used = BTreeSet::new();
    for (slot, &(kind, mode)) in results.into_iter().zip(&jobs) {
        match slot.into_inner().ok().flatten() {
            Some(Ok((run, used_here))) => {
                runs.push(run);
                used.extend(used_here);
            }
            Some(Err(e)) => return Err(e),
            // The worker died outside the per-file panic guard.
            None => runs.push(RunReport {
                backend: kind,
                mode,
                passed: 0,
                failed: 1,
                skipped: 0,
                skipped_by_reason: BTreeMap::new(),
                failures: vec![Failure {
                    file: String::new(),
                    line: 0,
                    directive: "run",
                    expected: "the run completes".into(),
                    got: "the worker thread panicked".into(),
                }],
                elapsed: Duration::ZERO,
            }),
        }
    }

    let names: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    let unused_skips = stale_skips(&names, &used);
    let skipped_files = names
        .iter()
        .filter_map(|n| skips::file_skip(n).map(|(_, s)| ((*n).to_owned(), s.reason)))
        .collect();
    Ok(SpecReport {
        dir: dir.to_path_buf(),
        files: files.len(),
        skipped_files,
        runs,
        unused_skips,
    })
}

/// The skip-table entries that matched nothing: a file entry naming none of
/// `names`, or a directive entry whose line started no directive of a run
/// (`used` holds the `(entry, line)` pairs runs met).
pub fn stale_skips(names: &[&str], used: &BTreeSet<(usize, usize)>) -> Vec<String> {
    let mut unused_skips = Vec::new();
    for entry in skips::FILES {
        if !names.iter().any(|n| entry.matches(n)) {
            unused_skips.push(format!("file {} ({})", entry.file, entry.reason.name()));
        }
    }
    for (i, entry) in skips::DIRECTIVES.iter().enumerate() {
        for &line in entry.lines {
            if !used.contains(&(i, line)) {
                unused_skips.push(format!(
                    "{}:{line} ({}): no directive starts there",
                    entry.file,
                    entry.reason.name()
                ));
            }
        }
    }
    unused_skips
}

/// The runtime a spec run uses on `kind`: the default schedule,
/// [`spec_limits`] and the `spectest` host functions.
///
/// # Errors
///
/// The backend is not compiled in or cannot start.
pub fn spec_runtime(kind: BackendKind) -> Result<Runtime, SpecError> {
    Ok(kind
        .builder()?
        .schedule(GasSchedule::default())
        .module_limits(spec_limits())
        .host_functions(spectest::host_functions()?)
        .build()?)
}

/// The `.wast` files of `dir`, sorted by name, with their text.
///
/// # Errors
///
/// The directory is missing, unreadable, or holds no `.wast` file.
pub fn wast_files(dir: &Path) -> Result<Vec<(String, String)>, SpecError> {
    if !dir.is_dir() {
        return Err(SpecError::MissingDir(dir.to_path_buf()));
    }
    let files = read_files(dir)?;
    if files.is_empty() {
        return Err(SpecError::NoWastFiles(dir.to_path_buf()));
    }
    Ok(files)
}

/// What one file did on one backend in one mode.
#[derive(Clone, Debug, Default)]
pub struct FileReport {
    /// Directives that passed.
    pub passed: u64,
    /// Directives that failed.
    pub failed: u64,
    /// Directives skipped (by the reviewed table).
    pub skipped: u64,
    /// Skipped directives by reason.
    pub skipped_by_reason: BTreeMap<Reason, u64>,
    /// Every failure.
    pub failures: Vec<Failure>,
    /// The `(entry, line)` pairs of the directive skip table this file met.
    pub used_skips: BTreeSet<(usize, usize)>,
}

/// Runs one `.wast` file on `runtime` in `mode`; a file the skip table
/// skips whole is reported skipped. A panic while running is a failure.
pub fn run_one_file(runtime: &Runtime, mode: Mode, name: &str, text: &str) -> FileReport {
    let mut tally = Tally::default();
    if let Some((_, entry)) = skips::file_skip(name) {
        tally.skip(entry.reason, count_directives(text));
    } else if let Err(panic) = catch_unwind(AssertUnwindSafe(|| {
        run_file(runtime, mode, name, text, &mut tally);
    })) {
        let message = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_default();
        tally.record(
            name,
            0,
            "file",
            Verdict::Fail {
                expected: "the file runs".into(),
                got: format!("panicked: {message}"),
            },
        );
    }
    FileReport {
        passed: tally.passed,
        failed: tally.failed,
        skipped: tally.skipped,
        skipped_by_reason: tally.by_reason,
        failures: tally.failures,
        used_skips: tally.used_directive_skips,
    }
}

/// The `.wast` files of `dir`, sorted by name, with their text.
fn read_files(dir: &Path) -> Result<Vec<(String, String)>, SpecError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SpecError::Io { path, source }
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let path = entry.map_err(io(dir))?.path();
        if path.extension().is_some_and(|e| e == "wast") && path.is_file() {
            let text = std::fs::read_to_string(&path).map_err(io(&path))?;
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            files.push((name, text));
        }
    }
    files.sort();
    Ok(files)
}

/// A run's report, and the `(entry, line)` pairs of [`skips::DIRECTIVES`]
/// it met.
type JobResult = Result<(RunReport, BTreeSet<(usize, usize)>), SpecError>;

/// One backend in one mode over every file.
fn run_job(kind: BackendKind, mode: Mode, files: &[(String, String)]) -> JobResult {
    let runtime = spec_runtime(kind)?;
    let start = Instant::now();
    let mut tally = Tally::default();
    for (name, text) in files {
        let file = run_one_file(&runtime, mode, name, text);
        tally.passed += file.passed;
        tally.failed += file.failed;
        tally.skipped += file.skipped;
        tally.failures.extend(file.failures);
        tally.used_directive_skips.extend(file.used_skips);
        for (reason, count) in file.skipped_by_reason {
            *tally.by_reason.entry(reason).or_default() += count;
        }
    }
    Ok((
        RunReport {
            backend: kind,
            mode,
            passed: tally.passed,
            failed: tally.failed,
            skipped: tally.skipped,
            skipped_by_reason: tally.by_reason,
            failures: tally.failures,
            elapsed: start.elapsed(),
        },
        tally.used_directive_skips,
    ))
}

/// The number of directives of a skipped file (1 if it does not parse).
fn count_directives(text: &str) -> u64 {
    directives::buffer(text)
        .ok()
        .and_then(|buf| {
            directives::parse(&buf)
                .ok()
                .map(|w| w.directives.len() as u64)
        })
        .unwrap_or(1)
}

fn run_file(runtime: &Runtime, mode: Mode, file: &str, text: &str, tally: &mut Tally) {
    let lines = Lines::new(text);
    let parse_failure = |e: wast::Error, tally: &mut Tally| {
        tally.record(
            file,
            lines.line(e.span().offset()),
            "file",
            Verdict::Fail {
                expected: "a .wast script".into(),
                got: format!("does not parse: {}", e.message()),
            },
        );
    };
    let buf = match directives::buffer(text) {
        Ok(buf) => buf,
        Err(e) => return parse_failure(e, tally),
    };
    let script = match directives::parse(&buf) {
        Ok(script) => script,
        Err(e) => return parse_failure(e, tally),
    };
    let mut state = Script::new(runtime, mode, file);
    for directive in script.directives {
        let line = lines.line(directive.span().offset());
        state.run(directive, line, tally);
    }
}

/// The report as a text table: counts per backend and mode, skips by
/// reason, every failure, and unused skip entries.
pub fn table(report: &SpecReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "spec testsuite {}: {} files, {} skipped whole",
        report.dir.display(),
        report.files,
        report.skipped_files.len()
    );
    let _ = writeln!(
        out,
        "{:<10} {:<9} {:>8} {:>7} {:>8} {:>8}",
        "backend", "mode", "passed", "failed", "skipped", "seconds"
    );
    for run in &report.runs {
        let _ = writeln!(
            out,
            "{:<10} {:<9} {:>8} {:>7} {:>8} {:>8.1}",
            run.backend.name(),
            run.mode.name(),
            run.passed,
            run.failed,
            run.skipped,
            run.elapsed.as_secs_f64()
        );
    }
    let reasons: BTreeSet<Reason> = report
        .runs
        .iter()
        .flat_map(|r| r.skipped_by_reason.keys().copied())
        .collect();
    if !reasons.is_empty() {
        let _ = writeln!(out, "\nskipped directives by reason (per run):");
        for reason in reasons {
            let counts: BTreeSet<u64> = report
                .runs
                .iter()
                .map(|r| r.skipped_by_reason.get(&reason).copied().unwrap_or(0))
                .collect();
            let counts: Vec<String> = counts.iter().map(u64::to_string).collect();
            let _ = writeln!(
                out,
                "  {:<20} {:>6}  {}",
                reason.name(),
                counts.join("/"),
                reason.describe()
            );
        }
    }
    for run in &report.runs {
        for f in &run.failures {
            let _ = writeln!(
                out,
                "FAIL {}/{} {}:{} {}: expected {}, got {}",
                run.backend.name(),
                run.mode.name(),
                f.file,
                f.line,
                f.directive,
                f.expected,
                f.got
            );
        }
    }
    for unused in &report.unused_skips {
        let _ = writeln!(out, "UNUSED SKIP {unused}");
    }
    let _ = writeln!(out, "{}", if report.ok() { "ok" } else { "FAILED" });
    out
}

/// The report as one JSON object:
///
/// ```json
/// {"dir": "…", "files": 250, "ok": true, "failed": 0,
///  "skipped_files": [{"file": "simd_lane.wast", "reason": "simd"}],
///  "skip_reasons": {"simd": "SIMD (v128) is a disallowed feature"},
///  "runs": [{"backend": "wasmtime", "mode": "raw", "passed": 1, "failed": 0,
///            "skipped": 2, "seconds": 1.5, "skipped_by_reason": {"simd": 2},
///            "failures": [{"file": "…", "line": 1, "directive": "…",
///                          "expected": "…", "got": "…"}]}],
///  "unused_skips": []}
/// ```
pub fn json(report: &SpecReport) -> Value {
    json!({
        "dir": report.dir.display().to_string(),
        "files": report.files,
        "ok": report.ok(),
        "failed": report.failed(),
        "skipped_files": report.skipped_files.iter().map(|(file, reason)| json!({
            "file": file,
            "reason": reason.name(),
        })).collect::<Vec<_>>(),
        "skip_reasons": Reason::ALL.iter().map(|r| (r.name().to_owned(), Value::from(r.describe()))).collect::<serde_json::Map<_, _>>(),
        "runs": report.runs.iter().map(|run| json!({
            "backend": run.backend.name(),
            "mode": run.mode.name(),
            "passed": run.passed,
            "failed": run.failed,
            "skipped": run.skipped,
            "seconds": run.elapsed.as_secs_f64(),
            "skipped_by_reason": run.skipped_by_reason.iter().map(|(r, n)| (r.name().to_owned(), Value::from(*n))).collect::<serde_json::Map<_, _>>(),
            "failures": run.failures.iter().map(|f| json!({
                "file": f.file,
                "line": f.line,
                "directive": f.directive,
                "expected": f.expected,
                "got": f.got,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "unused_skips": report.unused_skips,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINI: &str = r#"
(module
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "nan") (result f32) (f32.div (f32.const 0) (f32.const 0)))
  (func (export "deep") (param i32) (result i32) (call 3 (i32.add (local.get 0) (i32.const 1))))
  (global (export "g") i32 (i32.const 42)))
(assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 3))
(assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 4))
(assert_trap (invoke "div" (i32.const 1) (i32.const 0)) "integer divide by zero")
(assert_trap (invoke "div" (i32.const 1) (i32.const 1)) "integer divide by zero")
(assert_return (invoke "nan") (f32.const nan:canonical))
(assert_return (get "g") (i32.const 42))
(assert_exhaustion (invoke "deep" (i32.const 0)) "call stack exhausted")
(assert_invalid (module (func (result i32))) "type mismatch")
(assert_malformed (module quote "(func") "unexpected end")
(assert_unlinkable (module (import "spectest" "print_i32" (func (param i64)))) "incompatible import type")
(module (import "spectest" "global_i32" (global i32)))
(invoke "add" (i32.const 1) (i32.const 2))
(module (import "spectest" "print_i32" (func $p (param i32))) (func (export "p") (call $p (i32.const 1))))
(assert_return (invoke "p"))
"#;

    #[test]
    fn counts_passes_failures_and_skips() {
        let dir = std::env::temp_dir().join(format!("spec-runner-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        std::fs::write(dir.join("mini.wast"), MINI).expect("write");
        std::fs::write(
            dir.join("simd_mini.wast"),
            "(module (func (result v128) (v128.const i64x2 0 0)))\n(assert_return (invoke \"f\") (i32.const 0))\n",
        )
        .expect("write");
        let report = run_spec(&dir, &[BackendKind::Wasmi]);
        std::fs::remove_dir_all(&dir).ok();
        let report = report.expect("runs");
        assert_eq!(report.files, 2);
        assert_eq!(
            report.skipped_files,
            vec![("simd_mini.wast".to_owned(), Reason::Simd)]
        );
        assert_eq!(report.runs.len(), 2);
        for run in &report.runs {
            let lines: Vec<usize> = run.failures.iter().map(|f| f.line).collect();
            // The wrong sum, the missing trap, the module importing a
            // `spectest` global (not in the skip table), and the invoke on
            // it. The module importing `spectest.print_i32` links.
            assert_eq!(lines, [9, 11, 18, 19], "{:#?}", run.failures);
            assert_eq!(
                (run.passed, run.failed, run.skipped),
                (11, 4, 2),
                "{}",
                run.mode.name()
            );
            assert_eq!(run.skipped_by_reason.get(&Reason::Simd), Some(&2));
        }
        assert!(!report.ok());
        let text = table(&report);
        assert!(
            text.contains("FAIL wasmi/prepared mini.wast:9 assert_return"),
            "{text}"
        );
        assert_eq!(json(&report)["runs"][1]["failed"], 4);
    }

    #[test]
    fn an_empty_directory_is_an_error() {
        let dir = std::env::temp_dir().join(format!("spec-runner-empty-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let result = run_spec(&dir, &[BackendKind::Wasmi]);
        std::fs::remove_dir_all(&dir).ok();
        assert!(matches!(result, Err(SpecError::NoWastFiles(_))));
        assert!(matches!(
            run_spec(Path::new("/no/such/spec/dir"), &[BackendKind::Wasmi]),
            Err(SpecError::MissingDir(_))
        ));
    }
}
