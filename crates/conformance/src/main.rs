//! The `conformance` command line (`shared/CLI.md`).
//!
//! * `conformance run GUEST --call EXPORT [options]`: one guest on each
//!   selected backend, outcomes compared (table or `--json`).
//! * `conformance suite [--backend NAME] [--json]`: the project's corpus.
//! * `conformance spec [--dir DIR]`: the spec testsuite, raw and prepared.
//! * `conformance fuzz [--seconds N | --iterations N] [--seed S] [--out DIR]`:
//!   differential fuzzing.
//! * `conformance session SCRIPT [--backend NAME] [--state PATH] [--json]`:
//!   a multi-module session script, session digests compared
//!   (`session_cli.rs`).
//!
//! Exit status: 0 when the backends agree (and, for `suite`, match every
//! expectation), 1 when they diverge, 2 for a usage error or an unreadable
//! guest file.

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod session_cli;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use conformance::fuzz::Fuzzer;
use conformance::runner::{Invocation, Runners, load_guest};
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
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

/// A usage error: exit 2.
struct Usage(String);

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

fn run(args: RunArgs) -> Result<ExitCode, Usage> {
    let kinds = parse_backends(&args.backends)?;
    let wasm = load_guest(&args.guest).map_err(|e| Usage(e.to_string()))?;
    let input = match (&args.input_hex, &args.input_file) {
        (Some(h), _) => hex::decode(h).map_err(|e| Usage(format!("--input-hex: {e}")))?,
        (None, Some(path)) => std::fs::read(path)
            .map_err(|e| Usage(format!("--input-file {}: {e}", path.display())))?,
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
        module_limits: ModuleLimits::default(),
        pre_state: Vec::new(),
    };
    let runners = Runners::new(&kinds).map_err(|e| Usage(e.to_string()))?;
    let outcomes = match runners.run(&invocation) {
        Ok(outcomes) => outcomes,
        Err(e) => {
            eprintln!("infrastructure error: {e}");
            return Ok(ExitCode::from(1));
        }
    };
    if args.json {
        println!("{}", report::run_json(&outcomes));
    } else {
        print!("{}", report::run_table(&outcomes));
    }
    Ok(if report::agree(&outcomes) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn run_suite(backends: &[String], json: bool) -> Result<ExitCode, Usage> {
    let kinds = parse_backends(backends)?;
    let runners = Runners::new(&kinds).map_err(|e| Usage(e.to_string()))?;
    let cases = corpus::cases(&GasSchedule::default());
    let results: Vec<_> = cases.iter().map(|c| suite::run_case(&runners, c)).collect();
    let sessions = session::suite::run_all(&kinds).map_err(|e| Usage(e.to_string()))?;
    let sessions_passed = sessions
        .iter()
        .all(session::suite::SessionCaseResult::passed);
    if json {
        let mut value = suite::json(&results);
        value["passed"] = (value["passed"] == true && sessions_passed).into();
        value["sessions"] = session::suite::json(&sessions);
        println!("{value}");
    } else {
        println!(
            "backends: {}",
            kinds
                .iter()
                .map(|k| k.name())
                .collect::<Vec<_>>()
                .join(", ")
        );
        print!("{}", suite::table(&results));
        print!("\n{}", session::suite::table(&sessions));
    }
    Ok(
        if results.iter().all(suite::CaseResult::passed) && sessions_passed {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        },
    )
}

fn run_spec(dir: Option<PathBuf>, backends: &[String], json: bool) -> Result<ExitCode, Usage> {
    let kinds = parse_backends(backends)?;
    let dir = dir.unwrap_or_else(spec::default_dir);
    let report = spec::run_spec(&dir, &kinds).map_err(|e| Usage(e.to_string()))?;
    if json {
        println!("{}", spec::json(&report));
    } else {
        print!("{}", spec::table(&report));
    }
    Ok(if report.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn fuzz(args: FuzzArgs) -> Result<ExitCode, Usage> {
    use rand_chacha::ChaCha20Rng;
    use rand_core::{RngCore, SeedableRng};
    use std::io::Write;
    use std::time::{Duration, Instant};

    let kinds = parse_backends(&args.backends)?;
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
    let (mut executed, mut smith, mut abi, mut divergences) = (0u64, 0u64, 0u64, 0u64);
    let mut sessions = 0u64;
    let mut data = vec![0u8; 4096];
    let progress = |executed: u64, smith: u64, abi: u64, sessions: u64, divergences: u64| {
        let secs = start.elapsed().as_secs_f64();
        eprint!(
            "\r[fuzz] {executed} cases ({:.0}/s): {smith} wasm-smith, {abi} ABI, {sessions} sessions, {divergences} divergences, {secs:.0}s   ",
            executed as f64 / secs.max(1e-9)
        );
        let _ = std::io::stderr().flush();
    };
    for i in 0..iterations {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        rng.fill_bytes(&mut data);
        let result = match i % 3 {
            0 => match fuzzer.smith_case(&data) {
                Ok(true) => {
                    smith += 1;
                    Ok(())
                }
                Ok(false) => Ok(()),
                Err(d) => Err(d),
            },
            1 => {
                abi += 1;
                fuzzer.abi_case(&data)
            }
            _ => {
                sessions += 1;
                fuzzer.session_case(&data)
            }
        };
        executed += 1;
        if let Err(divergence) = result {
            divergences += 1;
            let name = format!("divergence-seed{}-case{i}", args.seed);
            match divergence.write(&args.out, &name) {
                Ok(path) => eprintln!(
                    "\n[fuzz] DIVERGENCE ({:?}) written to {}:\n{}",
                    divergence.generator,
                    path.display(),
                    divergence.detail.chars().take(4000).collect::<String>()
                ),
                Err(e) => eprintln!(
                    "\n[fuzz] DIVERGENCE, not written ({e}):\n{}",
                    divergence.detail
                ),
            }
        }
        if last_report.elapsed() >= Duration::from_millis(500) {
            progress(executed, smith, abi, sessions, divergences);
            last_report = Instant::now();
        }
    }
    progress(executed, smith, abi, sessions, divergences);
    let secs = start.elapsed().as_secs_f64();
    eprintln!();
    println!(
        "fuzz: {executed} cases ({smith} wasm-smith modules, {abi} ABI guests, {sessions} sessions) on {} in {secs:.1}s: {:.1} cases/s, {divergences} divergences",
        kinds
            .iter()
            .map(|k| k.name())
            .collect::<Vec<_>>()
            .join(", "),
        executed as f64 / secs.max(1e-9)
    );
    Ok(if divergences == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("CONFORMANCE_LOG"))
        .with_writer(std::io::stderr)
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
        Command::Suite { backends, json } => run_suite(&backends, json),
        Command::Spec {
            dir,
            backends,
            json,
        } => run_spec(dir, &backends, json),
        Command::Fuzz(args) => fuzz(args),
        Command::Session(args) => session_cli::run(args),
    };
    result.unwrap_or_else(|Usage(message)| {
        eprintln!("conformance: {message}");
        ExitCode::from(2)
    })
}
