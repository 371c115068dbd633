//! `conformance session SCRIPT [--backend NAME] [--state PATH] [--json]`
//! (`CLI.md`): a multi-module session script on each selected backend,
//! session digests compared.

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "the session command reports on the terminal, as CLI.md specifies"
)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use conformance::session::{self, Script, SessionRunners};
use runtime::Storage;

use crate::{Usage, parse_backends};

#[derive(clap::Args)]
pub(crate) struct SessionArgs {
    /// The session script (JSON: modules, then steps; guest paths relative
    /// to its folder).
    script: PathBuf,
    /// `all`, or one of wasmtime, wasmer, wasmi (repeatable).
    #[arg(long = "backend", value_name = "NAME")]
    backends: Vec<String>,
    /// A persistent storage database: every backend runs the session on
    /// the same pre-state; the agreed final state is committed once.
    #[arg(long, value_name = "PATH")]
    state: Option<PathBuf>,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

/// Opens the `--state` database.
///
/// This branch has no persistent store yet: the flag is a clear usage
/// error until the `storage-redb` crate is merged, when this function
/// opens it (everything after the opening is in place: pre-state
/// snapshot, per-backend runs, commit of the agreed final state).
/// Opens (or creates) the `--state` database; every failure is a usage
/// error (exit 2) naming the path.
fn open_state(path: &Path) -> Result<Arc<dyn Storage>, Usage> {
    runtime::storage_redb::RedbStorage::open(path)
        .map(|storage| Arc::new(storage) as Arc<dyn Storage>)
        .map_err(|e| Usage(format!("--state {}: {e}", path.display())))
}

pub(crate) fn run(args: SessionArgs) -> Result<ExitCode, Usage> {
    let kinds = parse_backends(&args.backends)?;
    let script = Script::from_file(&args.script).map_err(|e| Usage(e.to_string()))?;
    let state = args.state.as_deref().map(open_state).transpose()?;
    let pre_state = match &state {
        Some(state) => state
            .entries()
            .map_err(|e| Usage(format!("--state: {e}")))?,
        None => Vec::new(),
    };
    let runners = SessionRunners::new(&kinds).map_err(|e| Usage(e.to_string()))?;
    // A module that preparation rejects makes the script unrunnable on
    // every backend alike: a usage error.
    let runs = runners
        .run(&script, &pre_state)
        .map_err(|e| Usage(e.to_string()))?;
    for run in &runs {
        if let Some(e) = &run.error {
            eprintln!("{}: infrastructure error: {e}", run.backend);
        }
    }
    if args.json {
        println!("{}", session::report::json(&runs));
    } else {
        print!("{}", session::report::table(&runs));
    }
    let agree = session::agree(&runs);
    if let (true, Some(state), Some(first)) = (agree, &state, runs.first())
        && let Err(e) = session::commit_final_state(state.as_ref(), &pre_state, &first.storage)
    {
        eprintln!("--state: the agreed session was not committed: {e}");
        return Ok(ExitCode::from(1));
    }
    Ok(if agree {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
