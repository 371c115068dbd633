//! The overhead of the determinism instrumentation (gas metering, the
//! stack-height limit and NaN canonicalisation) per backend.
//!
//! Every kernel of `benches/kernels/` is prepared twice, with
//! [`runtime::prepare`] and with [`runtime::prepare_uninstrumented`], and
//! compiled once per backend and variant outside the measured loop. One
//! iteration is one [`Runtime::execute`] of the kernel's `main`:
//! instantiation plus the call. Before measuring, both variants run once and
//! must return the same checksum.
//!
//! ```text
//! cargo bench -p conformance --bench metering
//! ```
//!
//! Besides criterion's report, the bench prints a table of the median time
//! per iteration of each variant and their ratio (prepared / uninstrumented),
//! taken from the samples of this one run. See `BENCHMARKS.md` at the
//! workspace root for the results and the goals.

#![allow(
    clippy::print_stdout,
    reason = "a bench reports its summary table on stdout"
)]
#![allow(
    clippy::unwrap_used,
    reason = "a bench has no caller to return errors to; failing loudly is the point"
)]
#![allow(
    missing_docs,
    reason = "criterion's macros generate undocumented items"
)]

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use runtime::{
    BackendKind, ExecutionContext, InMemoryStorage, Limits, Module, Runtime, Status, prepare,
    prepare_uninstrumented,
};

/// A benchmark guest: a WAT module whose `[] -> []` export `main` does a
/// fixed amount of work and returns a checksum.
struct Kernel {
    name: &'static str,
    wat: &'static str,
    /// Another export to run once, prepared, before measuring (a self-check
    /// of the kernel); it must end with status `ok`.
    selftest: Option<&'static str>,
}

const KERNELS: &[Kernel] = &[
    Kernel {
        name: "sha256",
        wat: include_str!("kernels/sha256.wat"),
        selftest: Some("selftest"),
    },
    Kernel {
        name: "coremark",
        wat: include_str!("kernels/coremark.wat"),
        selftest: None,
    },
    Kernel {
        name: "mandelbrot",
        wat: include_str!("kernels/mandelbrot.wat"),
        selftest: None,
    },
];

const VARIANTS: [&str; 2] = ["uninstrumented", "prepared"];

const SAMPLES: usize = 10;

/// The context of every execution: as much gas as the counter can hold, so
/// that only the metering's cost, never its limit, is measured.
fn context() -> ExecutionContext {
    ExecutionContext {
        limits: Limits {
            gas: Limits::MAX_GAS,
            ..Limits::default()
        },
        ..ExecutionContext::default()
    }
}

/// Runs `export` once and returns its outcome's return data, panicking on
/// anything but status `ok`.
fn run(runtime: &Runtime, module: &Module, export: &str, context: &ExecutionContext) -> Vec<u8> {
    let outcome = runtime
        .execute(module, export, context, Arc::new(InMemoryStorage::new()))
        .unwrap();
    assert_eq!(
        outcome.status(),
        Status::Ok,
        "{} {export}: {:?}",
        runtime.backend_name(),
        outcome.error
    );
    outcome.return_data
}

/// Per (backend, kernel, variant): every `(iterations, elapsed)` criterion
/// asked for, warm-up first, then one entry per sample.
type Timings = BTreeMap<(usize, usize, usize), Vec<(u64, Duration)>>;

fn metering(c: &mut Criterion) {
    let context = context();
    let timings = RefCell::new(Timings::new());
    let backends = BackendKind::compiled_in();
    for (k, kernel) in KERNELS.iter().enumerate() {
        let wasm = wat::parse_str(kernel.wat)
            .unwrap_or_else(|e| panic!("kernel {} does not parse: {e}", kernel.name));
        for (b, &kind) in backends.iter().enumerate() {
            let runtime = kind.runtime().unwrap();
            let (limits, schedule) = (runtime.limits(), runtime.schedule());
            let modules = [
                runtime.compile(prepare_uninstrumented(&wasm, limits, schedule).unwrap()),
                runtime.compile(prepare(&wasm, limits, schedule).unwrap()),
            ];
            if let Some(selftest) = kernel.selftest {
                run(&runtime, &modules[1], selftest, &context);
            }
            let checksums = modules
                .each_ref()
                .map(|module| run(&runtime, module, "main", &context));
            assert!(
                !checksums[0].is_empty(),
                "{kind} {}: no checksum",
                kernel.name
            );
            assert_eq!(
                checksums[0], checksums[1],
                "{kind} {}: the variants disagree",
                kernel.name
            );

            let mut group = c.benchmark_group(format!("metering/{kind}/{}", kernel.name));
            group
                .sample_size(SAMPLES)
                .sampling_mode(SamplingMode::Flat)
                .warm_up_time(Duration::from_secs(1))
                .measurement_time(Duration::from_secs(3));
            for (v, (variant, module)) in VARIANTS.iter().zip(&modules).enumerate() {
                group.bench_function(*variant, |bencher| {
                    bencher.iter_custom(|iterations| {
                        let start = Instant::now();
                        for _ in 0..iterations {
                            let outcome = runtime
                                .execute(module, "main", &context, Arc::new(InMemoryStorage::new()))
                                .unwrap();
                            black_box(outcome);
                        }
                        let elapsed = start.elapsed();
                        timings
                            .borrow_mut()
                            .entry((b, k, v))
                            .or_default()
                            .push((iterations, elapsed));
                        elapsed
                    });
                });
            }
            group.finish();
        }
    }
    summarize(&backends, &timings.into_inner());
}

/// The median time per iteration over the last [`SAMPLES`] calls (the
/// samples; earlier calls are the warm-up), if criterion measured at all.
fn median(calls: &[(u64, Duration)]) -> Option<Duration> {
    let samples = calls.get(calls.len().checked_sub(SAMPLES)?..)?;
    let mut per_iteration: Vec<Duration> = samples
        .iter()
        .map(|&(n, elapsed)| elapsed / u32::try_from(n.max(1)).unwrap_or(u32::MAX))
        .collect();
    per_iteration.sort();
    let mid = per_iteration.len() / 2;
    Some((per_iteration[mid - 1] + per_iteration[mid]) / 2)
}

/// Prints the Markdown table of medians and ratios.
fn summarize(backends: &[BackendKind], timings: &Timings) {
    let mut rows = Vec::new();
    for (b, kind) in backends.iter().enumerate() {
        for (k, kernel) in KERNELS.iter().enumerate() {
            let get = |v| timings.get(&(b, k, v)).and_then(|calls| median(calls));
            if let (Some(plain), Some(prepared)) = (get(0), get(1)) {
                rows.push(format!(
                    "| {kind} | {} | {:.2} | {:.2} | {:.3}× |",
                    kernel.name,
                    plain.as_secs_f64() * 1e3,
                    prepared.as_secs_f64() * 1e3,
                    prepared.as_secs_f64() / plain.as_secs_f64()
                ));
            }
        }
    }
    if rows.is_empty() {
        return;
    }
    println!();
    println!("Median time per execution (ms) over {SAMPLES} samples, and the overhead:");
    println!();
    println!("| backend | kernel | uninstrumented | prepared | prepared / uninstrumented |");
    println!("|---|---|---:|---:|---:|");
    for row in rows {
        println!("{row}");
    }
}

criterion_group!(benches, metering);
criterion_main!(benches);
