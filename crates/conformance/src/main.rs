//! The `conformance` command line (`shared/CLI.md`).
//!
//! * `conformance run GUEST --call EXPORT [options]`: one guest on each
//!   selected backend, outcomes compared (table or `--json`).
//! * `conformance suite [--backend NAME] [--json] [--cache DIR]`: the
//!   project's corpus.
//! * `conformance spec [--dir DIR]`: the spec testsuite, raw and prepared.
//! * `conformance fuzz [--seconds N | --iterations N] [--seed S] [--out DIR]`:
//!   differential fuzzing.
//! * `conformance state PATH [--json]`: the contents of a `run --state`
//!   database.
//!
//! Exit status: 0 when the backends agree (and, for `suite`, match every
//! expectation), 1 when they diverge, 2 for a usage error or an unreadable
//! guest file.
//!
//! Output is written through [`emit`]: a closed stdout (`conformance run
//! ... --json | head -c 10`) ends the command quietly, with the exit status
//! it already had, as Unix tools do; `--json` outcomes are streamed
//! ([`report::write_run_json`]), never built in memory whole.

mod session_cli;

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use conformance::fuzz::Fuzzer;
use conformance::runner::{Invocation, Runners, load_guest, read_bounded};
use conformance::state::{self, StateError};
use conformance::{corpus, report, session, spec, suite};
use runtime::{BackendKind, ExecutionContext, ExecutionLimits, GasSchedule, ModuleLimits};

#[derive(Parser)]
#[command(
    name = "conformance",
    version,
    about = "Run WebAssembly guests on wasmtime, wasmer and wasmi and compare the outcomes."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run one exported function of one guest (.wasm or .wat) on each
    /// selected backend and compare the outcomes.
    Run(RunArgs),
    /// Run the project's guest corpus on every backend.
    Suite {
        /// `all`, or one of wasmtime, wasmer, wasmi (repeatable).
        #[arg(long = "backend", value_name = "NAME")]
        backends: Vec<String>,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
        /// The compiled-module cache directory (created if missing); a hit
        /// skips compilation.
        #[arg(long, value_name = "DIR")]
        cache: Option<PathBuf>,
    },
    /// Run the WebAssembly spec testsuite through every backend, with and
    /// without preparation.
    Spec {
        /// The folder of `.wast` files (default: $WASM_SPEC_TESTSUITE, then
        /// ../shared/spec-testsuite).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// `all`, or one of wasmtime, wasmer, wasmi (repeatable; an extension
        /// of CLI.md).
        #[arg(long = "backend", value_name = "NAME")]
        backends: Vec<String>,
        /// Print one JSON object instead of a table (an extension of CLI.md).
        #[arg(long)]
        json: bool,
    },
    /// Differential fuzzing: generated modules, prepared once, run on every
    /// backend, outcomes compared.
    Fuzz(FuzzArgs),
    /// Run a multi-module session script on each selected backend and
    /// compare the session digests.
    Session(session_cli::SessionArgs),
    /// Print every key and value of a `run --state` database, in hex,
    /// ordered by key.
    State {
        /// The database file (it must exist).
        path: PathBuf,
        /// Print `{"entries": [{"key_hex": ..., "value_hex": ...}]}`.
        #[arg(long)]
        json: bool,
    },
}

#[derive(clap::Args)]
struct FuzzArgs {
    /// Run for this many seconds.
    #[arg(long, value_name = "N", conflicts_with = "iterations")]
    seconds: Option<u64>,
    /// Run this many generated cases (default 1000 when --seconds is not
    /// given).
    #[arg(long, value_name = "N")]
    iterations: Option<u64>,
    /// The campaign's seed: the same seed generates the same cases.
    #[arg(long, value_name = "S", default_value_t = 0)]
    seed: u64,
    /// Where each diverging module is written (a reproducer for `run`).
    #[arg(long, value_name = "DIR", default_value = "fuzz-divergences")]
    out: PathBuf,
    /// `all`, or one of wasmtime, wasmer, wasmi (repeatable).
    #[arg(long = "backend", value_name = "NAME")]
    backends: Vec<String>,
    /// `all` (in turn), or one of smith, abi, hostile (an extension of
    /// CLI.md).
    #[arg(long, value_name = "NAME")]
    generator: Option<String>,
}

#[derive(clap::Args)]
struct RunArgs {
    /// The guest: a .wasm binary or .wat text.
    guest: PathBuf,
    /// The exported function to run (no params, no results).
    #[arg(long, value_name = "EXPORT")]
    call: String,
    /// The input bytes, as hex.
    #[arg(long, value_name = "HEX", conflicts_with = "input_file")]
    input_hex: Option<String>,
    /// The input bytes, from a file.
    #[arg(long, value_name = "FILE")]
    input_file: Option<PathBuf>,
    /// `all`, or one of wasmtime, wasmer, wasmi (repeatable).
    #[arg(long = "backend", value_name = "NAME")]
    backends: Vec<String>,
    /// 32-byte seed for random_bytes, 64 hex digits.
    #[arg(long, value_name = "HEX")]
    seed: Option<String>,
    /// The value of time_now, in nanoseconds.
    #[arg(long, value_name = "N", default_value_t = 0)]
    time_ns: u64,
    /// The gas limit for the call (default: the Limits default).
    #[arg(long, value_name = "N")]
    gas: Option<u64>,
    /// Wall-clock timeout per execution, in milliseconds (an extension of
    /// CLI.md; default: the `Limits` default, 10 s). A timeout is a
    /// non-deterministic outcome and never agrees.
    #[arg(long, value_name = "MS")]
    timeout_ms: Option<u64>,
    /// Typed arguments for an export with number parameters:
    /// comma-separated TYPE:VALUE (see CLI.md).
    #[arg(long, value_name = "LIST")]
    args: Option<String>,
    /// A persistent storage database (redb; created if missing): every
    /// backend runs on its state, and the agreed changes of an `ok` call are
    /// committed to it once.
    #[arg(long, value_name = "PATH")]
    state: Option<PathBuf>,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
    /// The compiled-module cache directory (created if missing); a hit
    /// skips compilation.
    #[arg(long, value_name = "DIR")]
    cache: Option<PathBuf>,
}

/// A usage error: exit 2.
struct Usage(String);

/// Writes a line to stderr, ignoring a closed stderr (diagnostics must not
/// turn into a panic).
fn note(text: std::fmt::Arguments<'_>) {
    let _ = writeln!(io::stderr(), "{text}");
}

/// Writes a command's output to stdout through a buffer and returns `code`.
/// A closed stdout (`EPIPE`) is not an error: the command ends quietly with
/// the status it already had, as Unix tools do (CLI.md is silent; this is
/// the reading a shell user expects). Any other write error is reported on
/// stderr and exits 1.
fn emit(code: ExitCode, write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> ExitCode {
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(1 << 16, stdout.lock());
    match write(&mut out).and_then(|()| out.flush()) {
        Ok(()) => code,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => code,
        Err(e) => {
            note(format_args!("conformance: cannot write the output: {e}"));
            ExitCode::from(1)
        }
    }
}

fn parse_backends(names: &[String]) -> Result<Vec<BackendKind>, Usage> {
    if names.is_empty() || names.iter().any(|n| n == "all") {
        return Ok(BackendKind::compiled_in());
    }
    let mut kinds = Vec::new();
    for name in names {
        let kind = BackendKind::from_name(name).ok_or_else(|| {
            Usage(format!(
                "unknown backend {name:?}: use all, wasmtime, wasmer or wasmi"
            ))
        })?;
        if !kind.is_compiled_in() {
            return Err(Usage(format!("backend {name} is not compiled in")));
        }
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    Ok(kinds)
}

/// Modules a `--cache` keeps in memory during one command.
const CACHE_MODULES: usize = 256;

/// The module cache of `--cache DIR`, if given.
fn open_cache(dir: Option<&PathBuf>) -> Result<Option<runtime::ModuleCache>, Usage> {
    dir.map(|dir| runtime::ModuleCache::with_directory(CACHE_MODULES, dir))
        .transpose()
        .map_err(|e| Usage(format!("--cache: {e}")))
}

fn run(args: RunArgs) -> Result<ExitCode, Usage> {
    let kinds = parse_backends(&args.backends)?;
    // At most the module size limit (+ 1 byte to tell) is read: an endless
    // file such as /dev/zero is refused, not read forever.
    let module_limits = ModuleLimits::default();
    let wasm =
        load_guest(&args.guest, module_limits.max_module_size).map_err(|e| Usage(e.to_string()))?;
    // Likewise the input: no guest can take more than one register holds.
    let input = match (&args.input_hex, &args.input_file) {
        (Some(h), _) => hex::decode(h).map_err(|e| Usage(format!("--input-hex: {e}")))?,
        (None, Some(path)) => read_bounded(
            path,
            ExecutionLimits::default().max_register_size,
            "an input (the register size limit)",
        )
        .map_err(|e| Usage(format!("--input-file: {e}")))?,
        (None, None) => Vec::new(),
    };
    let mut seed = [0u8; 32];
    if let Some(hex_seed) = &args.seed {
        let bytes = hex::decode(hex_seed).map_err(|e| Usage(format!("--seed: {e}")))?;
        seed = bytes
            .try_into()
            .map_err(|_| Usage("--seed must be 32 bytes (64 hex digits)".into()))?;
    }
    let mut limits = ExecutionLimits::default();
    if let Some(gas) = args.gas {
        limits.gas = gas;
    }
    if let Some(ms) = args.timeout_ms {
        limits.timeout = Some(std::time::Duration::from_millis(ms));
    }
    let invocation = Invocation {
        wasm,
        call: args.call,
        args: args
            .args
            .as_deref()
            .map(conformance::typed_args::parse_args)
            .transpose()
            .map_err(Usage)?,
        context: ExecutionContext {
            input,
            seed,
            timestamp_ns: args.time_ns,
            limits,
            data: None,
        },
        module_limits,
        pre_state: Vec::new(),
    };
    let cache = open_cache(args.cache.as_ref())?;
    let runners = Runners::with_cache(&kinds, cache.as_ref()).map_err(|e| Usage(e.to_string()))?;
    let outcomes = match &args.state {
        None => runners.run(&invocation),
        Some(path) => match state::run_with_state(&runners, &invocation, path) {
            Ok((outcomes, commit)) => {
                note(format_args!(
                    "conformance: state {}: {commit}",
                    path.display()
                ));
                Ok(outcomes)
            }
            Err(StateError::Open(e)) => return Err(Usage(e.to_string())),
            Err(StateError::Run(e)) => Err(e),
        },
    };
    let outcomes = match outcomes {
        Ok(outcomes) => outcomes,
        Err(e) => {
            note(format_args!("infrastructure error: {e}"));
            return Ok(ExitCode::from(1));
        }
    };
    drop(invocation);
    let code = if report::agree(&outcomes) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    };
    Ok(emit(code, |out| {
        if args.json {
            report::write_run_json(out, &outcomes)?;
            out.write_all(b"\n")
        } else {
            out.write_all(report::run_table(&outcomes).as_bytes())
        }
    }))
}

fn run_suite(backends: &[String], json: bool, cache: Option<&PathBuf>) -> Result<ExitCode, Usage> {
    let kinds = parse_backends(backends)?;
    let cache = open_cache(cache)?;
    let runners = Runners::with_cache(&kinds, cache.as_ref()).map_err(|e| Usage(e.to_string()))?;
    let cases = corpus::cases(&GasSchedule::default());
    let results: Vec<_> = cases.iter().map(|c| suite::run_case(&runners, c)).collect();
    let sessions = session::suite::run_all(&kinds).map_err(|e| Usage(e.to_string()))?;
    let sessions_passed = sessions
        .iter()
        .all(session::suite::SessionCaseResult::passed);
    let code = if results.iter().all(suite::CaseResult::passed) && sessions_passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    };
    Ok(emit(code, |out| {
        if json {
            let mut value = suite::json(&results);
            value["passed"] = (value["passed"] == true && sessions_passed).into();
            value["sessions"] = session::suite::json(&sessions);
            writeln!(out, "{value}")
        } else {
            writeln!(
                out,
                "backends: {}",
                kinds
                    .iter()
                    .map(|k| k.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            )?;
            out.write_all(suite::table(&results).as_bytes())?;
            write!(out, "\n{}", session::suite::table(&sessions))
        }
    }))
}

fn run_spec(dir: Option<PathBuf>, backends: &[String], json: bool) -> Result<ExitCode, Usage> {
    let kinds = parse_backends(backends)?;
    let dir = dir.unwrap_or_else(spec::default_dir);
    let report = spec::run_spec(&dir, &kinds).map_err(|e| Usage(e.to_string()))?;
    let code = if report.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    };
    Ok(emit(code, |out| {
        if json {
            writeln!(out, "{}", spec::json(&report))
        } else {
            out.write_all(spec::table(&report).as_bytes())
        }
    }))
}

fn fuzz(args: FuzzArgs) -> Result<ExitCode, Usage> {
    use conformance::fuzz::Generator;
    use rand_chacha::ChaCha20Rng;
    use rand_core::{RngCore, SeedableRng};
    use std::time::{Duration, Instant};

    let kinds = parse_backends(&args.backends)?;
    let generators: Vec<Generator> = match args.generator.as_deref() {
        None | Some("all") => vec![
            Generator::Smith,
            Generator::Abi,
            Generator::Hostile,
            Generator::Session,
        ],
        Some("session") => vec![Generator::Session],
        Some("smith") => vec![Generator::Smith],
        Some("abi") => vec![Generator::Abi],
        Some("hostile") => vec![Generator::Hostile],
        Some(other) => {
            return Err(Usage(format!(
                "unknown generator {other:?}: use all, smith, abi or hostile"
            )));
        }
    };
    let fuzzer = Fuzzer::new(&kinds).map_err(|e| Usage(e.to_string()))?;
    let deadline = args
        .seconds
        .map(|s| Instant::now() + Duration::from_secs(s));
    let iterations = match (args.seconds, args.iterations) {
        (Some(_), _) => u64::MAX,
        (None, n) => n.unwrap_or(1000),
    };
    let mut rng = ChaCha20Rng::seed_from_u64(args.seed);
    let start = Instant::now();
    let mut last_report = start;
    let (mut executed, mut smith, mut abi, mut hostile, mut divergences) =
        (0u64, 0u64, 0u64, 0u64, 0u64);
    let mut data = vec![0u8; 4096];
    let mut sessions = 0u64;
    let progress = |executed: u64, smith: u64, abi: u64, hostile: u64, divergences: u64| {
        let secs = start.elapsed().as_secs_f64();
        let mut err = io::stderr();
        let _ = write!(
            err,
            "\r[fuzz] {executed} cases ({:.1}/s): {smith} wasm-smith, {abi} ABI, {hostile} hostile, {divergences} divergences, {secs:.0}s   ",
            executed as f64 / secs.max(1e-9)
        );
        let _ = err.flush();
    };
    for i in 0..iterations {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        rng.fill_bytes(&mut data);
        let generator = generators[(i % generators.len() as u64) as usize];
        let result = match generator {
            Generator::Smith => match fuzzer.smith_case(&data) {
                Ok(true) => {
                    smith += 1;
                    Ok(())
                }
                Ok(false) => Ok(()),
                Err(d) => Err(d),
            },
            Generator::Abi => {
                abi += 1;
                fuzzer.abi_case(&data)
            }
            Generator::Hostile => {
                hostile += 1;
                fuzzer.hostile_case(&data).map(|_| ())
            }
            Generator::Session => {
                sessions += 1;
                fuzzer.session_case(&data)
            }
        };
        executed += 1;
        if let Err(divergence) = result {
            divergences += 1;
            let name = format!("divergence-seed{}-case{i}", args.seed);
            match divergence.write(&args.out, &name) {
                Ok(path) => note(format_args!(
                    "\n[fuzz] DIVERGENCE ({:?}) written to {}:\n{}",
                    divergence.generator,
                    path.display(),
                    divergence.detail.chars().take(4000).collect::<String>()
                )),
                Err(e) => note(format_args!(
                    "\n[fuzz] DIVERGENCE, not written ({e}):\n{}",
                    divergence.detail.chars().take(4000).collect::<String>()
                )),
            }
        }
        if last_report.elapsed() >= Duration::from_millis(500) {
            progress(executed, smith, abi, hostile, divergences);
            last_report = Instant::now();
        }
    }
    progress(executed, smith, abi, hostile, divergences);
    let secs = start.elapsed().as_secs_f64();
    note(format_args!(""));
    let code = if divergences == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    };
    Ok(emit(code, |out| {
        writeln!(
            out,
            "fuzz: {executed} cases ({smith} wasm-smith modules, {abi} ABI guests, {hostile} hostile guests, {sessions} sessions) on {} in {secs:.1}s: {:.1} cases/s, {divergences} divergences",
            kinds
                .iter()
                .map(|k| k.name())
                .collect::<Vec<_>>()
                .join(", "),
            executed as f64 / secs.max(1e-9)
        )
    }))
}

fn show_state(path: &std::path::Path, json: bool) -> Result<ExitCode, Usage> {
    let entries = state::entries(path).map_err(|e| Usage(e.to_string()))?;
    Ok(emit(ExitCode::SUCCESS, |out| {
        if json {
            writeln!(out, "{}", state::entries_json(&entries))
        } else {
            write!(out, "{}", state::entries_table(&entries))
        }
    }))
}

fn main() -> ExitCode {
    conformance::embedder::quiet_deliberate_panics();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("CONFORMANCE_LOG"))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = match cli.command {
        Command::Run(args) => run(args),
        Command::Suite {
            backends,
            json,
            cache,
        } => run_suite(&backends, json, cache.as_ref()),
        Command::Spec {
            dir,
            backends,
            json,
        } => run_spec(dir, &backends, json),
        Command::Fuzz(args) => fuzz(args),
        Command::State { path, json } => show_state(&path, json),
        Command::Session(args) => session_cli::run(args),
    };
    result.unwrap_or_else(|Usage(message)| {
        note(format_args!("conformance: {message}"));
        ExitCode::from(2)
    })
}
