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
