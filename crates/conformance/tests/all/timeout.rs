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

pub(crate) fn endless_loop_times_out_on_every_backend() {
    let wasm = wat::parse_str(SPIN).unwrap();
    for kind in BackendKind::compiled_in() {
        let runtime = kind.runtime().unwrap();
        let module = runtime.compile(runtime.prepare(&wasm).unwrap());
        let storage = Arc::new(InMemoryStorage::new());
        let start = Instant::now();
        let outcome = runtime
            .execute_and_commit(
                &module,
                "main",
                &unlimited_gas(Duration::from_millis(200)),
                storage.clone(),
            )
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

/// A loop of host calls (SHA-256 of 64 KiB each) with unlimited gas: the
/// time goes to the host, and the timeout still fires on every engine (the
/// core looks at the clock during host calls, wasmi's fuel slices alone
/// would not).
const HASH_LOOP: &str = r#"
(module
  (import "env" "sha256" (func $sha (param i64 i64 i64)))
  (memory (export "memory") 1)
  (func (export "main")
    (loop $l (call $sha (i64.const 65536) (i64.const 0) (i64.const 0)) (br $l))))
"#;

/// Runs `export` with unlimited gas and `timeout`; the outcome and how long
/// the call took.
fn run_with_timeout(
    runtime: &runtime::Runtime,
    module: &runtime::Module,
    timeout: Duration,
) -> (runtime::Outcome, Duration) {
    let start = Instant::now();
    let outcome = runtime
        .execute(
            module,
            "main",
            &unlimited_gas(timeout),
            Arc::new(InMemoryStorage::new()),
        )
        .unwrap();
    (outcome, start.elapsed())
}

/// A context with the most gas there is, so that only `timeout` ends a
/// loop.
fn unlimited_gas(timeout: Duration) -> ExecutionContext {
    ExecutionContext {
        limits: ExecutionLimits {
            gas: ExecutionLimits::MAX_GAS,
            timeout: Some(timeout),
            ..ExecutionLimits::default()
        },
        ..ExecutionContext::default()
    }
}

pub(crate) fn host_call_loop_times_out_on_every_backend() {
    let wasm = wat::parse_str(HASH_LOOP).unwrap();
    for kind in BackendKind::compiled_in() {
        let runtime = kind.runtime().unwrap();
        let module = runtime.compile(runtime.prepare(&wasm).unwrap());
        let (outcome, elapsed) = run_with_timeout(&runtime, &module, Duration::from_millis(200));
        assert_eq!(
            outcome.error,
            Some(ExecError::NonDeterministic(NonDeterministic::Timeout)),
            "{kind}"
        );
        assert!(elapsed < Duration::from_secs(5), "{kind}: {elapsed:?}");
    }
}

/// `timeout: None` is "no timeout", also after the runtime has lived a while
/// (wasmtime's epoch deadline is a delta from the current epoch, which must
/// not wrap): a loop that ends by running out of gas ends so, never as a
/// timeout.
pub(crate) fn no_timeout_never_fires() {
    let wasm = wat::parse_str(r#"(module (func (export "main") (loop $l (br $l))))"#).unwrap();
    for kind in BackendKind::compiled_in() {
        let runtime = kind.runtime().unwrap();
        let module = runtime.compile(runtime.prepare(&wasm).unwrap());
        // Let the engine's epoch advance well past zero.
        std::thread::sleep(Duration::from_millis(100));
        let context = ExecutionContext {
            limits: ExecutionLimits {
                gas: 50_000_000,
                timeout: None,
                ..ExecutionLimits::default()
            },
            ..ExecutionContext::default()
        };
        let outcome = runtime
            .execute(&module, "main", &context, Arc::new(InMemoryStorage::new()))
            .unwrap();
        assert_eq!(
            outcome.error,
            Some(ExecError::Trap(runtime::TrapKind::GasExhausted)),
            "{kind}"
        );
        assert_eq!(outcome.gas_used, 50_000_000, "{kind}");
    }
}

/// The timeout never fires before its time, on any engine: short timeouts
/// that are not a multiple of wasmtime's epoch tick, many times over (a
/// deadline rounded down to whole ticks fired up to a tick early).
pub(crate) fn timeout_never_fires_early() {
    let wasm = wat::parse_str(r#"(module (func (export "main") (loop $l (br $l))))"#).unwrap();
    for kind in BackendKind::compiled_in() {
        let runtime = kind.runtime().unwrap();
        let module = runtime.compile(runtime.prepare(&wasm).unwrap());
        for millis in [7, 13, 23, 31, 2, 9, 17, 29] {
            let timeout = Duration::from_millis(millis);
            let (outcome, elapsed) = run_with_timeout(&runtime, &module, timeout);
            assert_eq!(
                outcome.error,
                Some(ExecError::NonDeterministic(NonDeterministic::Timeout)),
                "{kind}"
            );
            assert!(elapsed >= timeout, "{kind}: {elapsed:?} < {timeout:?}");
        }
    }
}

/// The tests of this file.
pub(crate) fn trials() -> Vec<libtest_mimic::Trial> {
    vec![
        crate::trial(
            "timeout::endless_loop_times_out_on_every_backend",
            endless_loop_times_out_on_every_backend,
        ),
        crate::trial(
            "timeout::host_call_loop_times_out_on_every_backend",
            host_call_loop_times_out_on_every_backend,
        ),
        crate::trial("timeout::no_timeout_never_fires", no_timeout_never_fires),
        crate::trial(
            "timeout::timeout_never_fires_early",
            timeout_never_fires_early,
        ),
    ]
}
