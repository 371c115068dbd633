//! The wall-clock timeout: a non-deterministic safety net behind gas. An
//! endless loop with (practically) unlimited gas is stopped on every backend
//! and reported as `nondeterministic` / `Timeout`, with no digest.

use std::sync::Arc;
use std::time::{Duration, Instant};

use runtime::{
    BackendKind, ExecError, ExecutionContext, ExecutionLimits, InMemoryStorage, NonDeterministic,
    Status,
};

const SPIN: &str = r#"
(module
  (import "env" "storage_write" (func $w (param i64 i64 i64 i64 i64) (result i64)))
  (memory (export "memory") 1)
  (func (export "main")
    (drop (call $w (i64.const 1) (i64.const 0) (i64.const 1) (i64.const 0) (i64.const 0)))
    (loop $l (br $l))))
"#;

#[test]
fn endless_loop_times_out_on_every_backend() {
    let wasm = wat::parse_str(SPIN).unwrap();
    for kind in BackendKind::compiled_in() {
        let runtime = kind.runtime().unwrap();
        let module = runtime.compile(runtime.prepare(&wasm).unwrap());
        let context = ExecutionContext {
            limits: ExecutionLimits {
                gas: ExecutionLimits::MAX_GAS,
                timeout: Some(Duration::from_millis(200)),
                ..ExecutionLimits::default()
            },
            ..ExecutionContext::default()
        };
        let storage = Arc::new(InMemoryStorage::new());
        let start = Instant::now();
        let outcome = runtime
            .execute_and_commit(&module, "main", &context, storage.clone())
            .unwrap();
        let elapsed = start.elapsed();
        assert_eq!(outcome.status(), Status::NonDeterministic, "{kind}");
        assert_eq!(
            outcome.error,
            Some(ExecError::NonDeterministic(NonDeterministic::Timeout)),
            "{kind}"
        );
        assert_eq!(outcome.digest(), None, "{kind}");
        assert!(outcome.changes.is_empty(), "{kind}");
        assert!(storage.snapshot().is_empty(), "{kind}: nothing committed");
        assert!(elapsed >= Duration::from_millis(200), "{kind}: {elapsed:?}");
        assert!(elapsed < Duration::from_secs(10), "{kind}: {elapsed:?}");
    }
}

/// Issue 12, finding 5: a loop whose time goes to host calls (a `sha256` of
/// 64 KiB per iteration). wasmi checked its deadline once per fuel slice,
/// hundreds of thousands of host calls, and was still running after 60 s.
/// The gas would last about 280 000 iterations, tens of seconds of hashing:
/// the timeout must end the call long before.
const HASH_LOOP: &str = r#"
(module
  (import "env" "sha256" (func $sha (param i64 i64 i64)))
  (memory (export "memory") 1)
  (func (export "main")
    (loop $l
      (call $sha (i64.const 65536) (i64.const 0) (i64.const 0))
      (br $l))))
"#;

#[test]
fn host_call_loop_times_out_on_every_backend() {
    let wasm = wat::parse_str(HASH_LOOP).unwrap();
    for kind in BackendKind::compiled_in() {
        let runtime = kind.runtime().unwrap();
        let module = runtime.compile(runtime.prepare(&wasm).unwrap());
        let context = ExecutionContext {
            limits: ExecutionLimits {
                gas: 200_000_000_000,
                timeout: Some(Duration::from_millis(200)),
                ..ExecutionLimits::default()
            },
            ..ExecutionContext::default()
        };
        let start = Instant::now();
        let outcome = runtime
            .execute(&module, "main", &context, Arc::new(InMemoryStorage::new()))
            .unwrap();
        let elapsed = start.elapsed();
        assert_eq!(
            outcome.error,
            Some(ExecError::NonDeterministic(NonDeterministic::Timeout)),
            "{kind} after {elapsed:?}"
        );
        assert!(elapsed < Duration::from_secs(10), "{kind}: {elapsed:?}");
    }
}
