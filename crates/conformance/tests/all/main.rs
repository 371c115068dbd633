//! Every integration test in one binary, which links the engines once (as
//! wasmtime's `tests/all` does), run with libtest-mimic so that the corpus
//! is one test per case and backend and the spec testsuite one test per
//! file, backend and mode. Runtimes are built once per binary.
//!
//! `cargo test --release -p conformance --test all -- FILTER` runs a part.

#![allow(
    clippy::unwrap_used,
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "tests fail loudly and report on the terminal"
)]

use libtest_mimic::{Arguments, Failed, Trial};

mod cli;
mod concurrency;
mod corpus;
mod fuzz_smoke;
mod gas_placement;
mod memory_reuse;
mod module_cache;
mod native_stack;
mod registry;
mod semantics;
mod sessions;
mod spec;
mod timeout;

/// A trial running a plain test function (a panic is a failure).
pub(crate) fn trial(name: &str, test: fn()) -> Trial {
    Trial::test(name, move || {
        test();
        Ok::<(), Failed>(())
    })
}

fn main() {
    conformance::embedder::quiet_deliberate_panics();
    let args = Arguments::from_args();
    let unfiltered = args.filter.is_none() && args.skip.is_empty() && !args.list;
    let (spec_trials, spec_run) = spec::trials();
    let mut trials = Vec::new();
    for group in [
        cli::trials(),
        concurrency::trials(),
        corpus::trials(),
        fuzz_smoke::trials(),
        gas_placement::trials(),
        memory_reuse::trials(),
        module_cache::trials(),
        native_stack::trials(),
        registry::trials(),
        semantics::trials(),
        sessions::trials(),
        spec_trials,
        timeout::trials(),
    ] {
        trials.extend(group);
    }
    let conclusion = libtest_mimic::run(&args, trials);
    // The checks over the whole spec run, once every file ran.
    if unfiltered
        && !conclusion.has_failed()
        && let Err(e) = spec_run.check()
    {
        eprintln!("spec testsuite: {e}");
        std::process::exit(101);
    }
    conclusion.exit();
}
