//! Concurrency: 8 threads share one `Runtime`, one compiled module and one
//! `RedbStorage`, and make 10 000 calls in total through
//! `Runtime::execute_and_commit`, on each compiled-in backend (and 800
//! with durable commits on the first).
//!
//! Each call increments the caller's own counter (`t<thread>`) and a shared
//! one (`total`), read-modify-write inside the guest. A commit conflict
//! (`RuntimeError::Conflict`, retryable) is retried and counted; any other
//! error, and any non-`ok` outcome, fails the test. The final state is
//! exactly known: every own counter equals the thread's calls, `total` the
//! sum, and each thread's calls returned 1, 2, 3, ... in order (an update
//! lost or applied twice would break the sequence).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use runtime::{BackendKind, ExecutionContext, RuntimeError, Status, Storage};
use storage_redb::{Durability, RedbOptions, RedbStorage};

const THREADS: u64 = 8;
const CALLS: u64 = 10_000;

/// `bump`: the input is a key (at most 32 bytes); increments the u64 under
/// it, then the u64 under `total`, and returns the key's new value.
const BUMP: &str = r#"
(module
  (import "env" "input" (func $input (param i64)))
  (import "env" "register_len" (func $register_len (param i64) (result i64)))
  (import "env" "read_register" (func $read_register (param i64 i64)))
  (import "env" "storage_read" (func $read (param i64 i64 i64) (result i64)))
  (import "env" "storage_write" (func $write (param i64 i64 i64 i64 i64) (result i64)))
  (import "env" "value_return" (func $value_return (param i64 i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "total")
  ;; Adds one to the u64 (little-endian, absent = 0) under the key at
  ;; ptr/len, using bytes 16..24, and returns the new value.
  (func $bump (param $len i64) (param $ptr i64) (result i64)
    (i64.store (i32.const 16) (i64.const 0))
    (if (i64.eq (call $read (local.get $len) (local.get $ptr) (i64.const 1)) (i64.const 1))
      (then (call $read_register (i64.const 1) (i64.const 16))))
    (i64.store (i32.const 16) (i64.add (i64.load (i32.const 16)) (i64.const 1)))
    (drop (call $write (local.get $len) (local.get $ptr) (i64.const 8) (i64.const 16) (i64.const 1)))
    (i64.load (i32.const 16)))
  (func (export "bump")
    (local $len i64)
    (call $input (i64.const 0))
    (local.set $len (call $register_len (i64.const 0)))
    (if (i64.gt_u (local.get $len) (i64.const 32)) (then unreachable))
    (call $read_register (i64.const 0) (i64.const 64))
    (i64.store (i32.const 24) (call $bump (local.get $len) (i64.const 64)))
    (drop (call $bump (i64.const 5) (i64.const 0)))
    (call $value_return (i64.const 8) (i64.const 24))))
"#;

fn counter(storage: &RedbStorage, key: &[u8]) -> u64 {
    let value = storage
        .get(key)
        .expect("the setup works")
        .expect("the counter exists");
    u64::from_le_bytes(value.try_into().expect("8 bytes"))
}

/// Runs the calls on `kind`, checks the final state and returns the number
/// of conflicts retried.
fn run_on(kind: BackendKind, durability: Durability, calls: u64) -> u64 {
    let dir = tempfile::tempdir().expect("the setup works");
    let path = dir.path().join("concurrency.redb");
    let storage = Arc::new(
        RedbOptions::new()
            .durability(durability)
            .open(&path)
            .expect("the setup works"),
    );
    // One compiled-module cache shared by the threads: each compiles the
    // guest through it, and only one compilation happens.
    let cache = runtime::ModuleCache::with_directory(16, dir.path().join("modules"))
        .expect("the setup works");
    let runtime = Arc::new(
        kind.builder()
            .and_then(|b| b.cache(cache).build())
            .expect("the setup works"),
    );
    let wasm = Arc::new(wat::parse_str(BUMP).expect("the setup works"));
    let retries = Arc::new(AtomicU64::new(0));
    let per_thread = calls / THREADS;
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let (runtime, wasm, storage, retries) = (
                runtime.clone(),
                wasm.clone(),
                storage.clone(),
                retries.clone(),
            );
            std::thread::spawn(move || {
                let module = runtime.compile(runtime.prepare(&wasm).expect("the setup works"));
                let context = ExecutionContext::with_input(format!("t{t}"));
                for i in 1..=per_thread {
                    let outcome = loop {
                        match runtime.execute_and_commit(&module, "bump", &context, storage.clone())
                        {
                            Ok(outcome) => break outcome,
                            Err(e @ RuntimeError::Conflict { .. }) => {
                                assert!(e.is_retryable());
                                retries.fetch_add(1, Ordering::Relaxed);
                            }
                            Err(e) => panic!("{kind} thread {t} call {i}: {e}"),
                        }
                    };
                    assert_eq!(
                        outcome.status(),
                        Status::Ok,
                        "{kind} thread {t} call {i}: {outcome:?}"
                    );
                    assert_eq!(
                        outcome.return_data,
                        i.to_le_bytes(),
                        "{kind} thread {t}: call {i} saw another count"
                    );
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("no thread panicked");
    }
    let stats = runtime.cache().expect("the runtime has a cache").stats();
    assert_eq!(
        stats.compilations, 1,
        "{kind}: the threads shared one compilation: {stats:?}"
    );
    let expected: Vec<(Vec<u8>, Vec<u8>)> = (0..THREADS)
        .map(|t| {
            (
                format!("t{t}").into_bytes(),
                per_thread.to_le_bytes().to_vec(),
            )
        })
        .chain([(b"total".to_vec(), calls.to_le_bytes().to_vec())])
        .collect();
    let mut expected_sorted = expected.clone();
    expected_sorted.sort();
    assert_eq!(storage.entries().expect("the setup works"), expected_sorted);
    assert_eq!(counter(&storage, b"total"), THREADS * per_thread);
    drop(storage);
    let reopened = RedbStorage::open_existing(&path).expect("the setup works");
    assert_eq!(
        reopened.entries().expect("the setup works"),
        expected_sorted
    );
    retries.load(Ordering::Relaxed)
}

/// 10 000 calls per backend. Batched durability (group commit): this test
/// is about concurrent commits, and 10 000 fsyncs would take most of a
/// minute.
#[test]
fn eight_threads_one_runtime_one_redb_storage_every_backend() {
    assert_eq!(CALLS % THREADS, 0);
    for kind in BackendKind::compiled_in() {
        let retries = run_on(kind, Durability::batched(64), CALLS);
        eprintln!(
            "{kind}: {CALLS} calls on {THREADS} threads, 0 errors, {retries} conflicts retried"
        );
    }
}

/// The same with durable commits (each validated inside its own redb write
/// transaction), fewer calls: one fsync each.
#[test]
fn eight_threads_with_durable_commits() {
    let kind = BackendKind::compiled_in()[0];
    let calls = 800;
    let retries = run_on(kind, Durability::Immediate, calls);
    eprintln!(
        "{kind}, durable: {calls} calls on {THREADS} threads, 0 errors, {retries} conflicts retried"
    );
}
