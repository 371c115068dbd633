//! The rps benchmark: KV calls per second, on each compiled-in backend, with
//! `InMemoryStorage` and with redb (commit included), on 1 and 2 threads.
//!
//! ```sh
//! cargo run --release -p storage-redb --example rps -- [--seconds S] [--threads 1,2]
//!     [--backend NAME]... [--batch N,...] [--no-durable]
//! ```
//!
//! Each call runs the corpus's C `kv` guest (`crates/conformance/guests/c/kv.c`)
//! with one `S` command: it reads the key (a set returns the old value),
//! writes 8 bytes under it and emits an event. Thread `t` cycles over its
//! own 1 000 keys, so threads never conflict; a conflict would be retried
//! and counted. Every call goes through `Runtime::execute_and_commit`: for
//! redb that is one write transaction per call, with the read set checked.
//!
//! Storages: `memory` (`InMemoryStorage`), `redb-durable`
//! (`Durability::Immediate`, a write transaction and an fsync per commit)
//! and `redb-batch-N` (`Durability::Batched`: commits held in memory, one
//! write transaction and fsync per N commits; default N = 64 and 1024).
//! The last column is calls/s relative to `memory` on the same backend and
//! threads; the goal is >= 0.5 for redb.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use runtime::{
    BackendKind, ExecutionContext, InMemoryStorage, Module, Runtime, RuntimeError, Status, Storage,
};
use storage_redb::{Durability, RedbOptions};

const KV: &[u8] = include_bytes!("../../conformance/guests/c/kv.wasm");
const KEYS_PER_THREAD: u64 = 1_000;

struct Config {
    seconds: f64,
    threads: Vec<usize>,
    backends: Vec<BackendKind>,
    batches: Vec<u32>,
    durable: bool,
}

fn parse_args() -> Result<Config, String> {
    let mut config = Config {
        seconds: 2.0,
        threads: vec![1, 2],
        backends: Vec::new(),
        batches: vec![64, 1024],
        durable: true,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--seconds" => {
                config.seconds = value()?.parse().map_err(|e| format!("--seconds: {e}"))?
            }
            "--threads" => {
                config.threads = value()?
                    .split(',')
                    .map(|t| t.parse().map_err(|e| format!("--threads: {e}")))
                    .collect::<Result<_, _>>()?;
            }
            "--backend" => {
                let name = value()?;
                let kind = BackendKind::from_name(&name)
                    .filter(|k| k.is_compiled_in())
                    .ok_or(format!("unknown or absent backend {name}"))?;
                config.backends.push(kind);
            }
            "--batch" => {
                config.batches = value()?
                    .split(',')
                    .map(|b| b.parse().map_err(|e| format!("--batch: {e}")))
                    .collect::<Result<_, _>>()?;
            }
            "--no-durable" => config.durable = false,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if config.backends.is_empty() {
        config.backends = BackendKind::compiled_in();
    }
    Ok(config)
}

/// The input of one call: `S`, the key, 8 bytes of value.
fn set_input(thread: usize, i: u64) -> Vec<u8> {
    let key = format!("t{thread}/k{:04}", i % KEYS_PER_THREAD).into_bytes();
    let mut input = vec![b'S', key.len() as u8];
    input.extend_from_slice(&key);
    input.push(8);
    input.extend_from_slice(&i.to_le_bytes());
    input
}

struct Measured {
    calls: u64,
    conflicts: u64,
    seconds: f64,
}

/// Runs calls on `threads` threads for `seconds` over `storage`.
fn measure(
    runtime: &Arc<Runtime>,
    module: &Arc<Module>,
    storage: Arc<dyn Storage>,
    threads: usize,
    seconds: f64,
) -> Result<Measured, RuntimeError> {
    // Warm up: the first call of each thread's keys, untimed.
    for t in 0..threads {
        runtime.execute_and_commit(
            module,
            "run",
            &ExecutionContext::with_input(set_input(t, 0)),
            storage.clone(),
        )?;
    }
    let conflicts = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(seconds);
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let (runtime, module, storage, conflicts) = (
                runtime.clone(),
                module.clone(),
                storage.clone(),
                conflicts.clone(),
            );
            std::thread::spawn(move || -> Result<u64, RuntimeError> {
                let mut calls = 0u64;
                while Instant::now() < deadline {
                    let context = ExecutionContext::with_input(set_input(t, calls + 1));
                    match runtime.execute_and_commit(&module, "run", &context, storage.clone()) {
                        Ok(outcome) => {
                            assert_eq!(outcome.status(), Status::Ok, "{outcome:?}");
                            calls += 1;
                        }
                        Err(e) if e.is_retryable() => {
                            conflicts.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(e) => return Err(e),
                    }
                }
                Ok(calls)
            })
        })
        .collect();
    let mut calls = 0;
    for handle in handles {
        calls += handle.join().expect("a bench thread panicked")?;
    }
    Ok(Measured {
        calls,
        conflicts: conflicts.load(Ordering::Relaxed),
        seconds: start.elapsed().as_secs_f64(),
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = parse_args()?;
    let dir = tempfile::tempdir()?;
    let mut storages: Vec<(String, Option<Durability>)> = vec![("memory".into(), None)];
    if config.durable {
        storages.push(("redb-durable".into(), Some(Durability::Immediate)));
    }
    for &batch in &config.batches {
        storages.push((
            format!("redb-batch-{batch}"),
            Some(Durability::batched(batch)),
        ));
    }
    println!(
        "rps: C kv guest, one key written per call, {}s per row, {} cores",
        config.seconds,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!(
        "{:<9} {:<16} {:>7} {:>9} {:>11} {:>9} {:>8}",
        "backend", "storage", "threads", "calls", "calls/s", "conflicts", "vs mem"
    );
    for &kind in &config.backends {
        let runtime = Arc::new(kind.runtime()?);
        let module = Arc::new(runtime.compile(runtime.prepare(KV)?));
        for &threads in &config.threads {
            let mut memory_rate = None;
            for (n, (name, durability)) in storages.iter().enumerate() {
                let storage: Arc<dyn Storage> = match durability {
                    None => Arc::new(InMemoryStorage::new()),
                    Some(d) => Arc::new(
                        RedbOptions::new()
                            .durability(*d)
                            .open(dir.path().join(format!("{kind}-{threads}-{n}.redb")))?,
                    ),
                };
                let m = measure(&runtime, &module, storage, threads, config.seconds)?;
                let rate = m.calls as f64 / m.seconds;
                let memory = *memory_rate.get_or_insert(rate);
                println!(
                    "{:<9} {:<16} {:>7} {:>9} {:>11.0} {:>9} {:>8.2}",
                    kind.name(),
                    name,
                    threads,
                    m.calls,
                    rate,
                    m.conflicts,
                    rate / memory
                );
            }
        }
    }
    Ok(())
}
