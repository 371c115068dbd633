//! Where the metering counts gas never changes how much: `prepare` groups
//! block costs into charge sites, takes some early and refunds others
//! (`docs/GAS_MODEL.md`), and must give, at every call and return, exactly
//! the gas of the reference placement
//! ([`PreparedModule::per_block_reference`]: every basic block charged at
//! its own start, ABI 1.0's rule written out). Checked on:
//!
//! * every corpus case: `ok` and `host_error` outcomes identical (gas,
//!   return data, logs, events, changes), traps both traps;
//! * the metering benchmark's kernels, compiler-built C included: the same
//!   result and gas;
//! * wasm-smith modules: after every raw call, the same result and the same
//!   gas counter (`GAS_PLACEMENT_MODULES=N`, default 300).
//!
//! One backend is enough (the two preparations are compared with each
//! other, and the corpus and the fuzzers compare backends); wasmtime if
//! compiled in.

use std::sync::Arc;

use conformance::corpus::{self, Case};
use conformance::fuzz::smith::{argument, exported_functions, terminating_module};
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use runtime::{
    BackendKind, ExecutionContext, ExecutionLimits, GasSchedule, InMemoryStorage, ModuleLimits,
    Outcome, PreparedModule, Runtime, Status, WasmValue, prepare,
};

fn runtime() -> Runtime {
    let kinds = BackendKind::compiled_in();
    let kind = kinds
        .iter()
        .copied()
        .find(|k| *k == BackendKind::Wasmtime)
        .or_else(|| kinds.first().copied())
        .expect("a backend is compiled in");
    kind.runtime().expect("compiled in")
}

fn execute(
    runtime: &Runtime,
    prepared: PreparedModule,
    call: &str,
    context: &ExecutionContext,
    pre_state: &[(Vec<u8>, Vec<u8>)],
) -> Outcome {
    let module = runtime.compile(prepared);
    runtime
        .execute(
            &module,
            call,
            context,
            Arc::new(InMemoryStorage::with_entries(pre_state.to_vec())),
        )
        .expect("no infrastructure error")
}

/// Runs `wasm` prepared both ways and compares the outcomes.
fn compare(
    runtime: &Runtime,
    name: &str,
    wasm: &[u8],
    call: &str,
    context: &ExecutionContext,
    limits: &ModuleLimits,
    pre_state: &[(Vec<u8>, Vec<u8>)],
) -> Option<Status> {
    let schedule = runtime.schedule();
    let (Ok(sites), Ok(reference)) = (
        prepare(wasm, limits, schedule),
        PreparedModule::per_block_reference(wasm, limits, schedule),
    ) else {
        return None;
    };
    // A runtime prepared for the case's module limits (modules are bound to
    // the configuration they were prepared under).
    let runtime = &runtime.with_module_limits(limits.clone());
    let got = execute(runtime, sites, call, context, pre_state);
    let want = execute(runtime, reference, call, context, pre_state);
    match want.status() {
        Status::Ok | Status::HostError => {
            assert_eq!(
                got, want,
                "{name}: charge sites and per-block charging differ"
            );
        }
        Status::Trap => {
            // Where exhaustion is noticed may differ (and so which trap is
            // hit first); that it traps, and uses all the gas, may not.
            assert_eq!(got.status(), Status::Trap, "{name}: {got:?} vs {want:?}");
            assert_eq!(got.gas_used, want.gas_used, "{name}");
        }
        _ => {}
    }
    Some(want.status())
}

pub(crate) fn corpus_cases_use_the_same_gas() {
    let runtime = runtime();
    let cases: Vec<Case> = corpus::cases(runtime.schedule());
    let mut ok_or_host_error = 0;
    for case in &cases {
        let invocation = case.invocation();
        if let Some(Status::Ok | Status::HostError) = compare(
            &runtime,
            &case.name,
            &invocation.wasm,
            &invocation.call,
            &invocation.context,
            &invocation.module_limits,
            &invocation.pre_state,
        ) {
            ok_or_host_error += 1;
        }
    }
    assert!(
        ok_or_host_error > 200,
        "only {ok_or_host_error} cases compared"
    );
}

pub(crate) fn benchmark_kernels_use_the_same_gas() {
    let runtime = runtime();
    let context = |input: Vec<u8>| ExecutionContext {
        input,
        limits: ExecutionLimits {
            gas: ExecutionLimits::MAX_GAS,
            ..ExecutionLimits::default()
        },
        ..ExecutionContext::default()
    };
    let wat = |text: &str| wat::parse_str(text).expect("kernel parses");
    let sha_chain_input = [
        2000u32.to_le_bytes().as_slice(),
        &(0..4096u32).map(|i| (i * 7 + 3) as u8).collect::<Vec<_>>(),
    ]
    .concat();
    let stats_input: Vec<u8> = (0..4096)
        .flat_map(|i| (f64::from(i) * 0.37 - 512.25).to_le_bytes())
        .collect();
    let kernels: Vec<(&str, Vec<u8>, &str, Vec<u8>)> = vec![
        (
            "sha256",
            wat(include_str!("../../benches/kernels/sha256.wat")),
            "main",
            Vec::new(),
        ),
        (
            "coremark",
            wat(include_str!("../../benches/kernels/coremark.wat")),
            "main",
            Vec::new(),
        ),
        (
            "mandelbrot",
            wat(include_str!("../../benches/kernels/mandelbrot.wat")),
            "main",
            Vec::new(),
        ),
        (
            "c-kernel",
            include_bytes!("../../benches/kernels/c/kernel.wasm").to_vec(),
            "main",
            Vec::new(),
        ),
        (
            "c-sha-chain",
            include_bytes!("../../guests/c/sha.wasm").to_vec(),
            "pure_chain",
            sha_chain_input,
        ),
        (
            "c-stats",
            include_bytes!("../../guests/c/stats.wasm").to_vec(),
            "mean_variance",
            stats_input,
        ),
    ];
    for (name, wasm, call, input) in kernels {
        let status = compare(
            &runtime,
            name,
            &wasm,
            call,
            &context(input),
            runtime.limits(),
            &[],
        );
        assert_eq!(status, Some(Status::Ok), "{name}");
    }
}

pub(crate) fn generated_modules_keep_the_same_counter() {
    let modules: u64 = std::env::var("GAS_PLACEMENT_MODULES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let runtime = runtime();
    let (limits, schedule) = (ModuleLimits::default(), GasSchedule::default());
    let mut compared = 0u64;
    for seed in 0..modules {
        let Some(wasm) = terminating_module(seed ^ 0x9a5) else {
            continue;
        };
        let (Ok(sites), Ok(reference)) = (
            prepare(&wasm, &limits, &schedule),
            PreparedModule::per_block_reference(&wasm, &limits, &schedule),
        ) else {
            continue;
        };
        let Some(gas) = sites.gas_export().map(str::to_owned) else {
            continue;
        };
        let (s, r) = (
            runtime::testing::raw_module(&runtime, sites),
            runtime::testing::raw_module(&runtime, reference),
        );
        let (Ok(s), Ok(r)) = (s, r) else {
            panic!("seed {seed}: a valid module failed to compile");
        };
        let (Ok(mut s), Ok(mut r)) = (s.instantiate(), r.instantiate()) else {
            continue;
        };
        let mut arg_rng = ChaCha20Rng::seed_from_u64(seed);
        for (name, params) in exported_functions(&wasm) {
            let args: Vec<WasmValue> = params
                .iter()
                .map(|t| argument(arg_rng.next_u64(), *t))
                .collect();
            let (got, want) = (s.call(&name, &args), r.call(&name, &args));
            // Both sync the global at the same calls and returns, with the
            // same value, so it agrees even after a trap.
            assert_eq!(
                (&got, s.global(&gas)),
                (&want, r.global(&gas)),
                "seed {seed}: {name}({args:?})"
            );
            compared += 1;
        }
    }
    assert!(compared > modules / 2, "only {compared} calls compared");
}

/// The tests of this file.
pub(crate) fn trials() -> Vec<libtest_mimic::Trial> {
    vec![
        crate::trial(
            "gas_placement::corpus_cases_use_the_same_gas",
            corpus_cases_use_the_same_gas,
        ),
        crate::trial(
            "gas_placement::benchmark_kernels_use_the_same_gas",
            benchmark_kernels_use_the_same_gas,
        ),
        crate::trial(
            "gas_placement::generated_modules_keep_the_same_counter",
            generated_modules_keep_the_same_counter,
        ),
    ]
}
