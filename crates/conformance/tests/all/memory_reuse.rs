//! Instance memories are reused between executions on the engines that pool
//! them (wasmtime's pooling allocator, the wasmer backend's pooled
//! reservations): every execution must still start from a zeroed memory of
//! its declared size, whatever the one before it wrote and grew to, and on
//! several threads at once.

use std::sync::Arc;

use runtime::{BackendKind, ExecError, ExecutionContext, InMemoryStorage, Status, TrapKind};

/// Reads words at the start and end of its first page and, after growing by
/// two pages, at the end of each new page; ORs them together and returns the
/// result (8 bytes, zero on a fresh memory). Then it dirties all three pages
/// and grows once more, so that the next execution gets a dirty, larger
/// memory back if reuse were wrong. `past_the_end` loads just past the
/// first page, which must trap however large the memory before it grew.
const READS_THEN_DIRTIES: &str = r#"
(module
  (import "env" "value_return" (func $ret (param i64 i64)))
  (memory (export "memory") 1 8)
  (func (export "main") (local $seen i64)
    (if (i32.ne (memory.size) (i32.const 1)) (then unreachable))
    (local.set $seen (i64.or (i64.load (i32.const 0)) (i64.load (i32.const 65528))))
    (if (i32.ne (memory.grow (i32.const 2)) (i32.const 1)) (then unreachable))
    (local.set $seen (i64.or (local.get $seen) (i64.load (i32.const 131064))))
    (local.set $seen (i64.or (local.get $seen) (i64.load (i32.const 196600))))
    (memory.fill (i32.const 0) (i32.const 0xAB) (i32.const 196608))
    (drop (memory.grow (i32.const 1)))
    (i64.store (i32.const 0) (local.get $seen))
    (call $ret (i64.const 8) (i64.const 0)))
  (func (export "past_the_end") (drop (i64.load (i32.const 65536)))))
"#;

pub(crate) fn every_execution_starts_from_a_zeroed_memory() {
    let wasm = wat::parse_str(READS_THEN_DIRTIES).unwrap();
    for kind in BackendKind::compiled_in() {
        let runtime = Arc::new(kind.runtime().unwrap());
        let module = Arc::new(runtime.compile(runtime.prepare(&wasm).unwrap()));
        std::thread::scope(|s| {
            for _ in 0..2 {
                let (runtime, module) = (runtime.clone(), module.clone());
                s.spawn(move || {
                    let run_export = |export: &str| {
                        runtime
                            .execute(
                                &module,
                                export,
                                &ExecutionContext::default(),
                                Arc::new(InMemoryStorage::new()),
                            )
                            .unwrap()
                    };
                    for run in 0..50 {
                        let outcome = run_export("main");
                        assert_eq!(
                            outcome.status(),
                            Status::Ok,
                            "{kind} run {run}: {outcome:?}"
                        );
                        assert_eq!(
                            outcome.return_data,
                            vec![0; 8],
                            "{kind} run {run}: a memory started dirty"
                        );
                        assert_eq!(
                            run_export("past_the_end").error,
                            Some(ExecError::Trap(TrapKind::MemoryOutOfBounds)),
                            "{kind} run {run}: pages past the size were accessible"
                        );
                    }
                });
            }
        });
    }
}

/// The tests of this file.
pub(crate) fn trials() -> Vec<libtest_mimic::Trial> {
    vec![crate::trial(
        "memory_reuse::every_execution_starts_from_a_zeroed_memory",
        every_execution_starts_from_a_zeroed_memory,
    )]
}
