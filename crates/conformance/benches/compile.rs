//! Compile time of the worst modules preparation accepts at the default
//! [`ModuleLimits`] (issue 12): each hostile shape of
//! [`conformance::bombs`] as large as the limits allow
//! ([`worst_at`]), the mixtures that spend every budget at once
//! ([`worst_combined`]) and the most functions allowed.
//!
//! **Goal:** every such module compiles in at most 2 s on every engine on
//! the project's 2-core machine, through the public
//! [`Runtime::prepare`] / [`Runtime::compile`].
//!
//! ```text
//! cargo bench -p conformance --bench compile
//! ```
//!
//! One iteration is one [`Runtime::compile`] of a module prepared once
//! (preparation is timed once, outside criterion, and printed). Criterion is
//! given wall-clock time; the bench also records the CPU time of the whole
//! process (engines compile functions on worker threads), which does not
//! depend on how busy the shared machine is: a module whose compilation
//! takes at most 2 s of CPU takes at most 2 s of wall-clock time on an idle
//! machine, however many cores the engine uses.
//!
//! wasmi translates lazily (on a function's first call) until eager
//! translation lands in `backend-wasmi`, so its `Runtime::compile` only
//! validates; the bench also times wasmi's eager translation of the same
//! prepared bytes directly (row `wasmi-eager`, the backend's engine
//! configuration with `CompilationMode::Eager`).
//!
//! Before measuring, every module is prepared (it must be accepted),
//! compiled by every engine, and its `main` run once on every engine; the
//! summary shows each engine's status (the worst accepted module must run
//! everywhere: anything but `ok` is a finding, reported, not a crash of the
//! bench).
//!
//! See `BENCHMARKS.md` at the workspace root for the results.

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

use conformance::bombs::{Shape, body, module_of, worst_at, worst_combined};
use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use runtime::{
    BackendKind, ExecutionContext, InMemoryStorage, ModuleLimits, PreparedModule, Runtime, Status,
};

const SAMPLES: usize = 10;
/// The goal: at most this long per compilation.
const GOAL: Duration = Duration::from_secs(2);

/// A worst-case module and its name.
struct Case {
    name: String,
    wasm: Vec<u8>,
}

fn cases(limits: &ModuleLimits) -> Vec<Case> {
    let mut cases: Vec<Case> = Shape::ALL
        .iter()
        .map(|&shape| {
            let worst = worst_at(shape, limits);
            Case {
                name: format!(
                    "{} (n={}, x{}, {} bodies + {})",
                    shape.name(),
                    worst.n,
                    worst.times,
                    worst.count,
                    worst.rest
                ),
                wasm: worst.module(),
            }
        })
        .collect();
    for filler in [Shape::Calls, Shape::BrTable] {
        cases.push(Case {
            name: format!(
                "combined (call_indirects, locals_across_loops, {})",
                filler.name()
            ),
            wasm: worst_combined(limits, filler),
        });
    }
    // The most functions allowed (the frame adds its empty callee).
    let empty = body(Shape::NestedBlocks, 0);
    cases.push(Case {
        name: format!("{} empty functions", limits.max_functions),
        wasm: module_of(&vec![empty; limits.max_functions as usize - 1]),
    });
    cases
}

/// The engines measured: a runtime's compile, or wasmi's eager translation.
#[derive(Clone, Copy)]
enum Engine {
    Runtime(BackendKind),
    WasmiEager,
}

impl Engine {
    fn name(self) -> &'static str {
        match self {
            Engine::Runtime(kind) => kind.name(),
            Engine::WasmiEager => "wasmi-eager",
        }
    }
}

/// wasmi with the backend's configuration, translating eagerly.
fn wasmi_eager_engine() -> wasmi::Engine {
    let mut config = wasmi::Config::default();
    config.set_max_recursion_depth(ModuleLimits::MAX_STACK_HEIGHT as usize);
    config.set_max_stack_height(ModuleLimits::MAX_STACK_HEIGHT as usize * 32);
    config.consume_fuel(true);
    config.compilation_mode(wasmi::CompilationMode::Eager);
    wasmi::Engine::new(&config)
}

/// One batch of compilations: how many, in CPU and in wall-clock time.
#[derive(Clone, Copy)]
struct Batch {
    iterations: u64,
    cpu: Duration,
    wall: Duration,
}

fn process_cpu() -> Duration {
    cpu_time::ProcessTime::now().as_duration()
}

fn compile(c: &mut Criterion) {
    let limits = ModuleLimits::default();
    let runtimes: Vec<(BackendKind, Runtime)> = BackendKind::compiled_in()
        .into_iter()
        .map(|kind| (kind, kind.runtime().unwrap()))
        .collect();
    let eager = wasmi_eager_engine();
    let mut engines: Vec<Engine> = runtimes.iter().map(|(k, _)| Engine::Runtime(*k)).collect();
    engines.push(Engine::WasmiEager);
    let timings: RefCell<BTreeMap<(usize, usize), Vec<Batch>>> = RefCell::default();
    let cases = cases(&limits);
    let mut prepared_sizes = Vec::new();
    let mut statuses: Vec<Vec<String>> = Vec::new();
    for (c_index, case) in cases.iter().enumerate() {
        let start = Instant::now();
        let prepared: PreparedModule = runtimes[0].1.prepare(&case.wasm).unwrap_or_else(|r| {
            panic!("{}: the worst accepted module is rejected: {r}", case.name)
        });
        let prepare_time = start.elapsed();
        prepared_sizes.push((case.wasm.len(), prepared.code().len(), prepare_time));
        // Every engine compiles it and runs its main.
        let mut row = Vec::new();
        for (kind, runtime) in &runtimes {
            let module = runtime.compile(prepared.clone());
            let outcome = runtime
                .execute(
                    &module,
                    "main",
                    &ExecutionContext::default(),
                    Arc::new(InMemoryStorage::new()),
                )
                .unwrap();
            if outcome.status() == Status::Ok {
                row.push(format!("{kind} ok"));
            } else {
                row.push(format!("{kind} **{:?}**", outcome.error));
            }
        }
        statuses.push(row);
        wasmi::Module::new(&eager, prepared.code())
            .unwrap_or_else(|e| panic!("wasmi-eager {}: {e}", case.name));

        let mut group = c.benchmark_group(format!("compile/{}", case.name));
        group
            .sample_size(SAMPLES)
            .sampling_mode(SamplingMode::Flat)
            .warm_up_time(Duration::from_millis(100))
            .measurement_time(Duration::from_secs(1));
        for (e_index, engine) in engines.iter().enumerate() {
            group.bench_function(engine.name(), |bencher| {
                bencher.iter_custom(|iterations| {
                    let cpu_start = process_cpu();
                    let start = Instant::now();
                    for _ in 0..iterations {
                        match engine {
                            Engine::Runtime(kind) => {
                                let runtime = &runtimes.iter().find(|(k, _)| k == kind).unwrap().1;
                                let module = runtime.compile(prepared.clone());
                                assert!(module.is_compiled());
                                black_box(module);
                            }
                            Engine::WasmiEager => {
                                black_box(wasmi::Module::new(&eager, prepared.code()).unwrap());
                            }
                        }
                    }
                    let wall = start.elapsed();
                    let cpu = process_cpu().saturating_sub(cpu_start);
                    timings
                        .borrow_mut()
                        .entry((c_index, e_index))
                        .or_default()
                        .push(Batch {
                            iterations,
                            cpu,
                            wall,
                        });
                    wall
                });
            });
        }
        group.finish();
    }
    summarize(&cases, &engines, &prepared_sizes, &timings.into_inner());
    println!();
    println!("Each engine's outcome of `main`:");
    println!();
    for (case, row) in cases.iter().zip(&statuses) {
        println!("* {}: {}", case.name, row.join(", "));
    }
}

/// The median CPU and wall-clock time per compilation over the last
/// [`SAMPLES`] batches, if criterion measured at all.
fn medians(batches: &[Batch]) -> Option<(Duration, Duration)> {
    let samples = batches.get(batches.len().checked_sub(SAMPLES)?..)?;
    let median = |time: fn(&Batch) -> Duration| {
        let mut per: Vec<Duration> = samples
            .iter()
            .map(|b| time(b) / u32::try_from(b.iterations.max(1)).unwrap_or(u32::MAX))
            .collect();
        per.sort();
        let mid = per.len() / 2;
        (per[mid - 1] + per[mid]) / 2
    };
    Some((median(|b| b.cpu), median(|b| b.wall)))
}

fn summarize(
    cases: &[Case],
    engines: &[Engine],
    sizes: &[(usize, usize, Duration)],
    timings: &BTreeMap<(usize, usize), Vec<Batch>>,
) {
    let s = |d: Duration| d.as_secs_f64();
    println!();
    println!(
        "Median time per compilation (s) over {SAMPLES} samples: wall-clock / process CPU. Goal: at most {} s.",
        s(GOAL)
    );
    println!();
    let mut header = "| module | bytes | prepared bytes | prepare (s) |".to_string();
    let mut rule = "|---|---:|---:|---:|".to_string();
    for engine in engines {
        header.push_str(&format!(" {} wall / CPU |", engine.name()));
        rule.push_str("---:|");
    }
    header.push_str(" goal met? |");
    rule.push_str("---|");
    println!("{header}");
    println!("{rule}");
    let (mut worst_wall, mut worst_cpu) = (Duration::ZERO, Duration::ZERO);
    for (c, case) in cases.iter().enumerate() {
        let (bytes, prepared, prepare) = sizes[c];
        let mut row = format!(
            "| {} | {bytes} | {prepared} | {:.3} |",
            case.name,
            s(prepare)
        );
        let mut met = true;
        for e in 0..engines.len() {
            match timings.get(&(c, e)).and_then(|b| medians(b)) {
                Some((cpu, wall)) => {
                    row.push_str(&format!(" {:.3} / {:.3} |", s(wall), s(cpu)));
                    met &= wall <= GOAL || cpu <= GOAL;
                    worst_wall = worst_wall.max(wall);
                    worst_cpu = worst_cpu.max(cpu);
                }
                None => row.push_str(" – |"),
            }
        }
        row.push_str(if met { " yes |" } else { " **no** |" });
        println!("{row}");
    }
    println!();
    println!(
        "Slowest compilation: {:.3} s wall-clock, {:.3} s CPU (goal {} s).",
        s(worst_wall),
        s(worst_cpu),
        s(GOAL)
    );
}

criterion_group!(benches, compile);
criterion_main!(benches);
