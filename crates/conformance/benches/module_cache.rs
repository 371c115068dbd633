//! The compiled-module cache: compiling a large guest against finding it in
//! the cache's memory and loading it from the cache's directory, on
//! wasmtime and wasmer.
//!
//! The guest is generated (see [`large_guest`]): over 100 KiB of wasm, with
//! hundreds of functions of arithmetic, loops, branches and memory traffic.
//! It is prepared once, outside the measured loop. One iteration is one
//! [`Runtime::compile`] of the prepared module, including dropping the
//! `Module` it returns, by a runtime
//!
//! * without a cache (`compile`: the engine compiles every time);
//! * with a warm in-memory cache (`memory_hit`);
//! * with a cache that keeps nothing in memory (bound 0) over a directory
//!   holding the artifact (`disk_hit`: read, checksum verified,
//!   deserialized).
//!
//! Before measuring, each cached module runs the guest's `main` and must
//! give the digest of the uncached module, and the cache's counters must
//! show that hits compiled nothing.
//!
//! ```text
//! cargo bench -p conformance --bench module_cache
//! ```
//!
//! For scale, it also measures `Runtime::prepare` of the guest, which the
//! cache does not skip.
//!
//! Wall-clock time: wasmtime compiles on several threads. Besides
//! criterion's report, the bench prints a Markdown table of the median
//! time per compile of each variant and the speed-ups, for `BENCHMARKS.md`.

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
use std::fmt::Write as _;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use runtime::{
    BackendKind, ExecutionContext, InMemoryStorage, Module, ModuleCache, PreparedModule, Runtime,
    Status,
};

const SAMPLES: usize = 10;
const VARIANTS: [&str; 3] = ["compile", "memory_hit", "disk_hit"];
/// Goals: how many times faster than compiling each hit must be.
const GOALS: [f64; 2] = [100.0, 10.0];

/// Functions in the generated guest.
const FUNCTIONS: u32 = 320;

/// A generated guest of over 100 KiB: `FUNCTIONS` functions `$f<i>` of type
/// `(i64) -> i64`, each a loop of mixed i64 arithmetic, shifts, compares,
/// branches and loads and stores, calling its predecessor; `main` calls the
/// last one and returns the result (8 bytes).
fn large_guest() -> Vec<u8> {
    let mut wat = String::from(
        "(module\n\
         (import \"env\" \"value_return\" (func $ret (param i64 i64)))\n\
         (memory (export \"memory\") 1)\n",
    );
    let ops = [
        "i64.add", "i64.sub", "i64.mul", "i64.xor", "i64.or", "i64.and",
    ];
    for f in 0..FUNCTIONS {
        let _ = writeln!(
            wat,
            "(func $f{f} (param $x i64) (result i64) (local $a i64) (local $b i64) (local $i i32)"
        );
        let _ = writeln!(wat, "  (local.set $a (local.get $x))");
        let _ = writeln!(
            wat,
            "  (local.set $b (i64.const {}))",
            0x9E37_79B9_7F4A_7C15u64 as i64 ^ i64::from(f)
        );
        let _ = writeln!(wat, "  (loop $l");
        for step in 0..12u32 {
            let seed = u64::from(f) * 131 + u64::from(step) * 7919;
            let op = ops[(seed % ops.len() as u64) as usize];
            let _ = writeln!(
                wat,
                "    (local.set $a ({op} (local.get $a) (i64.rotl (local.get $b) (i64.const {}))))",
                seed % 63 + 1
            );
            let _ = writeln!(
                wat,
                "    (local.set $b (i64.add (local.get $b) (i64.const {})))",
                (seed.wrapping_mul(0x2545_F491_4F6C_DD1D)) as i64
            );
            let _ = writeln!(
                wat,
                "    (if (i64.gt_u (local.get $a) (local.get $b)) \
                 (then (local.set $a (i64.shr_u (local.get $a) (i64.const {})))) \
                 (else (local.set $b (i64.shl (local.get $b) (i64.const {})))))",
                step + 1,
                step % 5 + 1
            );
            let _ = writeln!(
                wat,
                "    (i64.store (i32.const {}) (i64.add (i64.load (i32.const {})) (local.get $a)))",
                (seed % 512) * 8,
                ((seed / 3) % 512) * 8
            );
        }
        let _ = writeln!(
            wat,
            "    (local.set $i (i32.add (local.get $i) (i32.const 1)))\n    \
             (br_if $l (i32.lt_u (local.get $i) (i32.const 2))))"
        );
        if f == 0 {
            let _ = writeln!(wat, "  (i64.xor (local.get $a) (local.get $b)))");
        } else {
            let _ = writeln!(
                wat,
                "  (i64.xor (call $f{} (local.get $a)) (local.get $b)))",
                f - 1
            );
        }
    }
    let _ = writeln!(
        wat,
        "(func (export \"main\")\n  \
         (i64.store (i32.const 0) (call $f{} (i64.const 1)))\n  \
         (call $ret (i64.const 8) (i64.const 0))))",
        FUNCTIONS - 1
    );
    wat::parse_str(&wat).unwrap()
}

/// Runs `main` once: the digest, after checking the status.
fn digest(runtime: &Runtime, module: &Module) -> [u8; 32] {
    let outcome = runtime
        .execute(
            module,
            "main",
            &ExecutionContext::default(),
            Arc::new(InMemoryStorage::new()),
        )
        .unwrap();
    assert_eq!(outcome.status(), Status::Ok, "{:?}", outcome.error);
    assert_eq!(outcome.return_data.len(), 8);
    outcome.digest().unwrap()
}

/// Each batch criterion asked for: iterations and wall-clock time.
type Timings = BTreeMap<(usize, usize), Vec<(u64, Duration)>>;

fn module_cache(c: &mut Criterion) {
    let wasm = large_guest();
    assert!(
        wasm.len() >= 100 << 10,
        "the guest has {} bytes",
        wasm.len()
    );
    println!(
        "generated guest: {} bytes ({} functions)",
        wasm.len(),
        FUNCTIONS
    );
    let dir = std::env::temp_dir().join(format!("module-cache-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let timings = RefCell::new(Timings::new());
    let backends = [BackendKind::Wasmtime, BackendKind::Wasmer];
    let mut artifact_sizes = Vec::new();
    for (b, &kind) in backends.iter().enumerate() {
        let plain = kind.runtime().unwrap();
        let memory = ModuleCache::in_memory(16);
        let disk = ModuleCache::with_directory(0, &dir).unwrap();
        let cached = kind
            .builder()
            .unwrap()
            .cache(memory.clone())
            .build()
            .unwrap();
        let on_disk = kind.builder().unwrap().cache(disk.clone()).build().unwrap();
        let prepared: PreparedModule = plain.prepare(&wasm).unwrap();
        println!("{kind}: prepared module {} bytes", prepared.code().len());

        // Warm the caches, and check that hits run the same module.
        let expected = digest(&plain, &plain.compile(prepared.clone()));
        assert_eq!(digest(&cached, &cached.compile(prepared.clone())), expected);
        assert_eq!(
            digest(&on_disk, &on_disk.compile(prepared.clone())),
            expected
        );
        assert_eq!(digest(&cached, &cached.compile(prepared.clone())), expected);
        assert_eq!(
            digest(&on_disk, &on_disk.compile(prepared.clone())),
            expected
        );
        let (m, d) = (memory.stats(), disk.stats());
        assert_eq!((m.compilations, m.memory_hits), (1, 1), "{kind}: {m:?}");
        assert_eq!((d.compilations, d.disk_hits), (1, 1), "{kind}: {d:?}");
        let path = disk.artifact_path(&on_disk, &prepared).unwrap();
        artifact_sizes.push((kind, std::fs::metadata(&path).unwrap().len()));

        let mut group = c.benchmark_group(format!("module_cache/{kind}"));
        group
            .sample_size(SAMPLES)
            .sampling_mode(SamplingMode::Flat)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(5));
        for (v, (variant, runtime)) in VARIANTS.iter().zip([&plain, &cached, &on_disk]).enumerate()
        {
            group.bench_function(*variant, |bencher| {
                bencher.iter_custom(|iterations| {
                    let start = Instant::now();
                    for _ in 0..iterations {
                        black_box(runtime.compile(prepared.clone()));
                    }
                    let elapsed = start.elapsed();
                    timings
                        .borrow_mut()
                        .entry((b, v))
                        .or_default()
                        .push((iterations, elapsed));
                    elapsed
                });
            });
        }
        group.finish();
        let (m, d) = (memory.stats(), disk.stats());
        assert_eq!(m.compilations, 1, "{kind}: a memory hit compiled");
        assert_eq!(
            (d.compilations, d.discarded),
            (1, 0),
            "{kind}: a disk hit compiled"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);

    // Preparation, which the cache does not skip: for scale.
    let plain = backends[0].runtime().unwrap();
    let mut group = c.benchmark_group("module_cache/prepare");
    group
        .sample_size(SAMPLES)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    group.bench_function("prepare", |bencher| {
        bencher.iter_custom(|iterations| {
            let start = Instant::now();
            for _ in 0..iterations {
                black_box(plain.prepare(&wasm).unwrap());
            }
            let elapsed = start.elapsed();
            timings
                .borrow_mut()
                .entry((usize::MAX, 0))
                .or_default()
                .push((iterations, elapsed));
            elapsed
        });
    });
    group.finish();
    summarize(&backends, &timings.into_inner(), &artifact_sizes);
}

/// The median time per compile over the last [`SAMPLES`] batches.
fn median(batches: &[(u64, Duration)]) -> Option<Duration> {
    let samples = batches.get(batches.len().checked_sub(SAMPLES)?..)?;
    let mut per: Vec<Duration> = samples
        .iter()
        .map(|(n, t)| *t / u32::try_from((*n).max(1)).unwrap_or(u32::MAX))
        .collect();
    per.sort();
    let mid = per.len() / 2;
    Some((per[mid - 1] + per[mid]) / 2)
}

fn summarize(backends: &[BackendKind], timings: &Timings, sizes: &[(BackendKind, u64)]) {
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!();
    println!("Median wall-clock time per `Runtime::compile` (µs) over {SAMPLES} samples.");
    println!();
    println!(
        "| backend | artifact | compile | memory hit | disk hit | compile / memory hit | compile / disk hit |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (b, kind) in backends.iter().enumerate() {
        let get = |v| timings.get(&(b, v)).and_then(|batches| median(batches));
        let (Some(compile), Some(memory), Some(disk)) = (get(0), get(1), get(2)) else {
            continue;
        };
        let speedup = |hit: Duration| compile.as_secs_f64() / hit.as_secs_f64();
        let verdict = |x: f64, goal: f64| if x >= goal { "met" } else { "NOT met" };
        let size = sizes.iter().find(|(k, _)| k == kind).map_or(0, |(_, s)| *s);
        println!(
            "| {kind} | {:.0} KiB | {:.0} | {:.2} | {:.0} | {:.0}× ({} ≥{}×) | {:.1}× ({} ≥{}×) |",
            size as f64 / 1024.0,
            us(compile),
            us(memory),
            us(disk),
            speedup(memory),
            verdict(speedup(memory), GOALS[0]),
            GOALS[0],
            speedup(disk),
            verdict(speedup(disk), GOALS[1]),
            GOALS[1],
        );
    }
    if let Some(prepare) = timings.get(&(usize::MAX, 0)).and_then(|b| median(b)) {
        println!();
        println!(
            "Preparation of the same guest (not cached; every start pays it): {:.0} µs.",
            us(prepare)
        );
    }
}

criterion_group!(benches, module_cache);
criterion_main!(benches);
