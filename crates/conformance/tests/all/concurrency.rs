//! Concurrent `execute_and_commit` on one storage never loses an update:
//! 8 threads increment one counter through the corpus's counter guest; a
//! commit whose read went stale is a retryable `Conflict`, and the final
//! count is exactly the number of increments, on every backend.

use std::sync::Arc;

use runtime::{BackendKind, ExecutionContext, InMemoryStorage, RuntimeError, Status, Storage};

const THREADS: u64 = 8;
const INCREMENTS: u64 = 50;

pub(crate) fn eight_threads_lose_no_update() {
    let wasm = wat::parse_str(include_str!("../../guests/counter.wat")).unwrap();
    for kind in BackendKind::compiled_in() {
        let runtime = kind.runtime().unwrap();
        let module = Arc::new(runtime.compile(runtime.prepare(&wasm).unwrap()));
        let storage = Arc::new(InMemoryStorage::new());
        let conflicts: u64 = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..THREADS)
                .map(|_| {
                    let (runtime, module, storage) = (&runtime, module.clone(), storage.clone());
                    scope.spawn(move || {
                        let mut conflicts = 0;
                        for _ in 0..INCREMENTS {
                            loop {
                                let shared: Arc<dyn Storage> = storage.clone();
                                match runtime.execute_and_commit(
                                    &module,
                                    "increment",
                                    &ExecutionContext::default(),
                                    shared,
                                ) {
                                    Ok(outcome) => {
                                        assert_eq!(outcome.status(), Status::Ok);
                                        break;
                                    }
                                    Err(e) if e.is_retryable() => {
                                        assert!(matches!(e, RuntimeError::Conflict { .. }));
                                        conflicts += 1;
                                    }
                                    Err(e) => panic!("{kind}: {e}"),
                                }
                            }
                        }
                        conflicts
                    })
                })
                .collect();
            workers.into_iter().map(|w| w.join().unwrap()).sum()
        });
        let count = storage.snapshot()[&b"count"[..]].clone();
        assert_eq!(
            u64::from_le_bytes(count.try_into().unwrap()),
            THREADS * INCREMENTS,
            "{kind}: {conflicts} conflicts retried"
        );
    }
}

/// The tests of this file.
pub(crate) fn trials() -> Vec<libtest_mimic::Trial> {
    vec![crate::trial(
        "concurrency::eight_threads_lose_no_update",
        eight_threads_lose_no_update,
    )]
}
