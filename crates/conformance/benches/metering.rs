//! The overhead of the determinism instrumentation (gas metering, the
//! stack-height limit and NaN canonicalisation) per backend.
//!
//! Every kernel is prepared twice, with [`runtime::prepare`] and with
//! [`runtime::testing::prepare_uninstrumented`], and compiled once per backend and
//! variant outside the measured loop. One iteration is one
//! [`Runtime::execute`] of the kernel's export: instantiation plus the call.
//! Before measuring, both variants run once and must return the same
//! checksum (and, where the host can compute it, the host's result).
//!
//! The kernels: the hand-written WAT kernels of `benches/kernels/` (sha256,
//! coremark, mandelbrot); a compiler-built C kernel, `benches/kernels/c/`
//! (SHA-256, shell sort and a 32×32 matrix product, clang -O2 for wasm32);
//! and the corpus's C guests with a compute export, `guests/c/sha.wasm`
//! (`pure_chain`: a SHA-256 chain in guest code) and `guests/c/stats.wasm`
//! (`mean_variance` of 4 096 f64; short, so instantiation weighs in).
//!
//! ```text
//! cargo bench -p conformance --bench metering
//! ```
//!
//! The time given to criterion is, on 64-bit Linux, the CPU time of the
//! benchmarking thread (`CLOCK_THREAD_CPUTIME_ID`): guests run on the calling
//! thread on every backend, and on a shared machine the CPU time does not
//! count the time the thread waited for a core. `METERING_CLOCK=wall` (or
//! another platform) measures wall-clock time instead. Both are recorded.
//!
//! Besides criterion's report, the bench prints a table of the median time
//! per execution of each variant and their ratio (prepared /
//! uninstrumented), in CPU and in wall-clock time, taken from the samples of
//! this one run. See `BENCHMARKS.md` at the workspace root for the results
//! and the goals.

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
    unreachable_pub,
    reason = "criterion's macros generate undocumented items; `benches/performance.rs` includes this file"
)]

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use runtime::testing::{
    UnmeteredModule, compile_unmetered, execute_unmetered, prepare_uninstrumented,
};
use runtime::{
    BackendKind, ExecutionContext, ExecutionLimits, InMemoryStorage, Module, Outcome, Runtime,
    RuntimeError, Status,
};

/// One kernel compiled both ways.
enum Variant {
    /// Without instrumentation (the testing tier).
    Unmetered(UnmeteredModule),
    /// Prepared: metered, stack-limited, NaN-canonical.
    Prepared(Module),
}

impl Variant {
    fn execute(
        &self,
        runtime: &Runtime,
        export: &str,
        context: &ExecutionContext,
    ) -> Result<Outcome, RuntimeError> {
        let storage = Arc::new(InMemoryStorage::new());
        match self {
            Variant::Unmetered(m) => execute_unmetered(runtime, m, export, context, storage),
            Variant::Prepared(m) => runtime.execute(m, export, context, storage),
        }
    }
}

/// Where a kernel's module comes from.
enum Source {
    /// A hand-written WAT kernel of `benches/kernels/`.
    Wat(&'static str),
    /// A compiler-built binary (`benches/kernels/c/` or the corpus's
    /// `guests/c/`).
    Wasm(&'static [u8]),
}

/// A benchmark guest: a module whose `[] -> []` export does a fixed amount
/// of work on a fixed input and returns a checksum.
struct Kernel {
    name: &'static str,
    source: Source,
    /// The export measured.
    export: &'static str,
    /// The call's input.
    input: fn() -> Vec<u8>,
    /// The return data the host computes for that input, when it can: both
    /// variants must return it.
    expected: Option<fn() -> Vec<u8>>,
    /// Another export to run once, prepared, before measuring (a self-check
    /// of the kernel); it must end with status `ok`.
    selftest: Option<&'static str>,
}

/// Rounds and data of the corpus's SHA-256 chain guest (`guests/c/sha.c`):
/// the first round hashes 4 KiB, every later round the 32-byte digest.
const SHA_CHAIN_ROUNDS: u32 = 20_000;

fn sha_chain_data() -> Vec<u8> {
    (0..4096u32).map(|i| (i * 7 + 3) as u8).collect()
}

fn sha_chain_input() -> Vec<u8> {
    [SHA_CHAIN_ROUNDS.to_le_bytes().as_slice(), &sha_chain_data()].concat()
}

fn sha_chain_expected() -> Vec<u8> {
    use sha2::Digest;
    let mut h = sha_chain_data();
    for _ in 0..SHA_CHAIN_ROUNDS {
        h = sha2::Sha256::digest(&h).to_vec();
    }
    h
}

/// The values of the corpus's statistics guest (`guests/c/stats.c`): its
/// largest input, 4096 f64.
fn stats_values() -> Vec<f64> {
    (0..4096).map(|i| f64::from(i) * 0.37 - 512.25).collect()
}

fn stats_input() -> Vec<u8> {
    stats_values()
        .iter()
        .flat_map(|x| x.to_le_bytes())
        .collect()
}

/// The guest's computation in the same order (IEEE 754 makes it exact).
fn stats_expected() -> Vec<u8> {
    let xs = stats_values();
    let n = xs.len() as f64;
    let mean = xs.iter().fold(0.0, |sum, x| sum + x) / n;
    let variance = xs.iter().fold(0.0, |acc, x| acc + (x - mean) * (x - mean)) / n;
    [mean.to_le_bytes(), variance.to_le_bytes()].concat()
}

const KERNELS: &[Kernel] = &[
    Kernel {
        name: "sha256",
        source: Source::Wat(include_str!("kernels/sha256.wat")),
        export: "main",
        input: Vec::new,
        expected: None,
        selftest: Some("selftest"),
    },
    Kernel {
        name: "coremark",
        source: Source::Wat(include_str!("kernels/coremark.wat")),
        export: "main",
        input: Vec::new,
        expected: None,
        selftest: None,
    },
    Kernel {
        name: "mandelbrot",
        source: Source::Wat(include_str!("kernels/mandelbrot.wat")),
        export: "main",
        input: Vec::new,
        expected: None,
        selftest: None,
    },
    // clang -O2: SHA-256, shell sort, 32x32 matrix product.
    Kernel {
        name: "c-kernel",
        source: Source::Wasm(include_bytes!("kernels/c/kernel.wasm")),
        export: "main",
        input: Vec::new,
        expected: None,
        selftest: None,
    },
    // The corpus's C guests with a compute export.
    Kernel {
        name: "c-sha-chain",
        source: Source::Wasm(include_bytes!("../guests/c/sha.wasm")),
        export: "pure_chain",
        input: sha_chain_input,
        expected: Some(sha_chain_expected),
        selftest: None,
    },
    Kernel {
        name: "c-stats",
        source: Source::Wasm(include_bytes!("../guests/c/stats.wasm")),
        export: "mean_variance",
        input: stats_input,
        expected: Some(stats_expected),
        selftest: None,
    },
];

const VARIANTS: [&str; 2] = ["uninstrumented", "prepared"];

const SAMPLES: usize = 10;

/// The context of every execution: as much gas as the counter can hold, so
/// that only the metering's cost, never its limit, is measured.
fn context(input: Vec<u8>) -> ExecutionContext {
    ExecutionContext {
        input,
        limits: ExecutionLimits {
            gas: ExecutionLimits::MAX_GAS,
            ..ExecutionLimits::default()
        },
        ..ExecutionContext::default()
    }
}

/// Runs `export` once and returns its outcome's return data, panicking on
/// anything but status `ok`.
fn run(runtime: &Runtime, module: &Variant, export: &str, context: &ExecutionContext) -> Vec<u8> {
    let outcome = module.execute(runtime, export, context).unwrap();
    assert_eq!(
        outcome.status(),
        Status::Ok,
        "{} {export}: {:?}",
        runtime.backend_name(),
        outcome.error
    );
    outcome.return_data
}

/// One batch of executions criterion asked for: how many, and how long they
/// took in CPU and in wall-clock time.
#[derive(Clone, Copy)]
struct Batch {
    iterations: u64,
    cpu: Duration,
    wall: Duration,
}

/// Per (backend, kernel, variant): every batch criterion asked for, warm-up
/// first, then one per sample.
type Timings = BTreeMap<(usize, usize, usize), Vec<Batch>>;

/// The CPU time the calling thread has used (the `cpu-time` crate; no
/// `unsafe` outside the backend crates).
fn thread_cpu_time() -> Option<Duration> {
    cpu_time::ThreadTime::try_now()
        .ok()
        .map(|t| t.as_duration())
}

/// Whether criterion is given CPU time (else wall-clock time).
fn use_cpu_clock() -> bool {
    std::env::var("METERING_CLOCK").map_or(true, |clock| clock != "wall")
        && thread_cpu_time().is_some()
}

pub fn metering(c: &mut Criterion) {
    let timings = RefCell::new(Timings::new());
    let backends = BackendKind::compiled_in();
    let cpu_clock = use_cpu_clock();
    for (k, kernel) in KERNELS.iter().enumerate() {
        let wasm = match kernel.source {
            Source::Wat(wat) => wat::parse_str(wat)
                .unwrap_or_else(|e| panic!("kernel {} does not parse: {e}", kernel.name)),
            Source::Wasm(bytes) => bytes.to_vec(),
        };
        let context = context((kernel.input)());
        let expected = kernel.expected.map(|f| f());
        for (b, &kind) in backends.iter().enumerate() {
            let runtime = kind.runtime().unwrap();
            let modules = [
                Variant::Unmetered(compile_unmetered(
                    &runtime,
                    prepare_uninstrumented(&runtime, &wasm).unwrap(),
                )),
                Variant::Prepared(runtime.compile(runtime.prepare(&wasm).unwrap())),
            ];
            if let Some(selftest) = kernel.selftest {
                run(&runtime, &modules[1], selftest, &context);
            }
            let checksums = modules
                .each_ref()
                .map(|module| run(&runtime, module, kernel.export, &context));
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
            if let Some(expected) = &expected {
                assert_eq!(
                    &checksums[1], expected,
                    "{kind} {}: not the host's result",
                    kernel.name
                );
            }

            let mut group = c.benchmark_group(format!("metering/{kind}/{}", kernel.name));
            group
                .sample_size(SAMPLES)
                .sampling_mode(SamplingMode::Flat)
                .warm_up_time(Duration::from_secs(1))
                .measurement_time(Duration::from_secs(3));
            for (v, (variant, module)) in VARIANTS.iter().zip(&modules).enumerate() {
                group.bench_function(*variant, |bencher| {
                    bencher.iter_custom(|iterations| {
                        let cpu_start = thread_cpu_time();
                        let start = Instant::now();
                        for _ in 0..iterations {
                            let outcome =
                                module.execute(&runtime, kernel.export, &context).unwrap();
                            black_box(outcome);
                        }
                        let wall = start.elapsed();
                        let cpu = match (cpu_start, thread_cpu_time()) {
                            (Some(start), Some(end)) => end.saturating_sub(start),
                            _ => wall,
                        };
                        timings
                            .borrow_mut()
                            .entry((b, k, v))
                            .or_default()
                            .push(Batch {
                                iterations,
                                cpu,
                                wall,
                            });
                        if cpu_clock { cpu } else { wall }
                    });
                });
            }
            group.finish();
        }
    }
    summarize(&backends, &timings.into_inner(), cpu_clock);
}

/// The median CPU and wall-clock time per execution over the last
/// [`SAMPLES`] batches (the samples; earlier ones are the warm-up), if
/// criterion measured at all.
fn medians(batches: &[Batch]) -> Option<(Duration, Duration)> {
    let samples = batches.get(batches.len().checked_sub(SAMPLES)?..)?;
    let median = |time: fn(&Batch) -> Duration| {
        let mut per_execution: Vec<Duration> = samples
            .iter()
            .map(|batch| time(batch) / u32::try_from(batch.iterations.max(1)).unwrap_or(u32::MAX))
            .collect();
        per_execution.sort();
        let mid = per_execution.len() / 2;
        (per_execution[mid - 1] + per_execution[mid]) / 2
    };
    Some((median(|b| b.cpu), median(|b| b.wall)))
}

/// Prints the Markdown table of medians and ratios.
fn summarize(backends: &[BackendKind], timings: &Timings, cpu_clock: bool) {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
    let mut rows = Vec::new();
    for (b, kind) in backends.iter().enumerate() {
        for (k, kernel) in KERNELS.iter().enumerate() {
            let get = |v| timings.get(&(b, k, v)).and_then(|batches| medians(batches));
            if let (Some((plain_cpu, plain_wall)), Some((prepared_cpu, prepared_wall))) =
                (get(0), get(1))
            {
                rows.push(format!(
                    "| {kind} | {} | {:.2} | {:.2} | {:.3}× | {:.2} | {:.2} | {:.3}× |",
                    kernel.name,
                    ms(plain_cpu),
                    ms(prepared_cpu),
                    ratio(prepared_cpu, plain_cpu),
                    ms(plain_wall),
                    ms(prepared_wall),
                    ratio(prepared_wall, plain_wall),
                ));
            }
        }
    }
    if rows.is_empty() {
        return;
    }
    println!();
    println!(
        "Median time per execution (ms) over {SAMPLES} samples; criterion was given {} time.",
        if cpu_clock { "CPU" } else { "wall-clock" }
    );
    println!();
    println!(
        "| backend | kernel | uninstrumented CPU | prepared CPU | ratio CPU \
         | uninstrumented wall | prepared wall | ratio wall |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        println!("{row}");
    }
}

criterion_group!(benches, metering);
criterion_main!(benches);
