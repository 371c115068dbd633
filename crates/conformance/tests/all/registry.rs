//! The module registry on every engine: concurrent loads and executions
//! from several threads compile each distinct module once (counted by a
//! backend wrapper that delegates to the real engine), and unknown,
//! duplicate or unloaded names are clear errors.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};

use runtime::backend::{Backend, EngineModule};
use runtime::{
    BackendKind, ExecutionContext, HostFunctions, InMemoryStorage, ModuleRegistry,
    NonDeterministic, PreparedModule, Runtime, RuntimeError, Status, Storage, WasmValue,
};

/// A real engine that counts its compilations.
struct Counting {
    inner: Box<dyn Backend>,
    compiles: Arc<AtomicUsize>,
}

impl Backend for Counting {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn engine_id(&self) -> String {
        self.inner.engine_id()
    }

    fn compile(
        &self,
        module: &PreparedModule,
        imports: &HostFunctions,
    ) -> Result<Arc<dyn EngineModule>, NonDeterministic> {
        self.compiles.fetch_add(1, Ordering::SeqCst);
        self.inner.compile(module, imports)
    }

    fn native_stack_required(&self) -> usize {
        self.inner.native_stack_required()
    }
}

fn counting_registry(kind: BackendKind) -> (Arc<ModuleRegistry>, Arc<AtomicUsize>) {
    let compiles = Arc::new(AtomicUsize::new(0));
    let backend = Counting {
        inner: kind.backend().expect("the engine starts"),
        compiles: compiles.clone(),
    };
    let registry = ModuleRegistry::new(Runtime::new(Box::new(backend)));
    (Arc::new(registry), compiles)
}

/// A counter: each `increment` adds one to storage key `n` and returns the
/// new value (8 bytes, little-endian); `add` is a typed export.
const COUNTER: &str = r#"(module
  (import "env" "storage_read" (func $read (param i64 i64 i64) (result i64)))
  (import "env" "storage_write" (func $write (param i64 i64 i64 i64 i64) (result i64)))
  (import "env" "read_register" (func $read_register (param i64 i64)))
  (import "env" "value_return" (func $return (param i64 i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "n")
  (func (export "increment")
    (if (i64.eq (call $read (i64.const 1) (i64.const 0) (i64.const 0)) (i64.const 1))
      (then (call $read_register (i64.const 0) (i64.const 8))))
    (i64.store (i32.const 8) (i64.add (i64.load (i32.const 8)) (i64.const 1)))
    (drop (call $write (i64.const 1) (i64.const 0) (i64.const 8) (i64.const 8) (i64.const 1)))
    (call $return (i64.const 8) (i64.const 8)))
  (func (export "add") (param i64 i64) (result i64) (i64.add (local.get 0) (local.get 1))))"#;

/// Another module (other bytes).
const ECHO: &str = r#"(module
  (import "env" "input" (func $input (param i64)))
  (import "env" "read_register" (func $read_register (param i64 i64)))
  (import "env" "register_len" (func $len (param i64) (result i64)))
  (import "env" "value_return" (func $return (param i64 i64)))
  (memory (export "memory") 1)
  (func (export "echo")
    (call $input (i64.const 0))
    (call $read_register (i64.const 0) (i64.const 0))
    (call $return (call $len (i64.const 0)) (i64.const 0))))"#;

const THREADS: usize = 8;

/// Runs `work(t)` on `THREADS` threads started together, and collects what
/// they return. A thread that panics, or all of them not finishing in five
/// minutes (a deadlock), fails the test instead of hanging it.
fn on_threads<T: Send + 'static>(work: impl Fn(usize) -> T + Send + Sync + 'static) -> Vec<T> {
    let work = Arc::new(work);
    let start = Arc::new(Barrier::new(THREADS));
    let (done, results) = std::sync::mpsc::channel();
    for t in 0..THREADS {
        let (work, start, done) = (work.clone(), start.clone(), done.clone());
        std::thread::spawn(move || {
            start.wait();
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(t)));
            let _ = done.send(result);
        });
    }
    (0..THREADS)
        .map(
            |_| match results.recv_timeout(std::time::Duration::from_secs(300)) {
                Ok(Ok(value)) => value,
                Ok(Err(_)) => panic!("a thread panicked (its message is above)"),
                Err(e) => panic!("the threads did not finish: deadlock? ({e})"),
            },
        )
        .collect()
}

pub(crate) fn concurrent_loads_compile_each_module_once_on_every_engine() {
    let counter = wat::parse_str(COUNTER).unwrap();
    let echo = wat::parse_str(ECHO).unwrap();
    for kind in BackendKind::compiled_in() {
        let (registry, compiles) = counting_registry(kind);
        let storage = Arc::new(InMemoryStorage::new());
        let shared = (
            registry.clone(),
            storage.clone(),
            counter.clone(),
            echo.clone(),
        );
        let per_thread = on_threads(move |t| {
            let (registry, storage, counter, echo) = &shared;
            // Every thread loads both modules under names of its own: two
            // distinct byte strings in all.
            registry.load(&format!("counter-{t}"), counter).unwrap();
            registry.load(&format!("echo-{t}"), echo).unwrap();
            let mut increments = Vec::new();
            for i in 0..5 {
                // Another thread's name, once it has loaded it.
                let other = format!("counter-{}", (t + i) % THREADS);
                let name = match registry.get(&other) {
                    Ok(_) => other,
                    Err(_) => format!("counter-{t}"),
                };
                let outcome = loop {
                    let shared: Arc<dyn Storage> = storage.clone();
                    match registry.execute_and_commit(
                        &name,
                        "increment",
                        &ExecutionContext::default(),
                        shared,
                    ) {
                        // Two increments raced on key `n`: run it again.
                        Err(e) if e.is_retryable() => continue,
                        other => break other.unwrap(),
                    }
                };
                assert_eq!(outcome.status(), Status::Ok, "{name}");
                let mut bytes = [0u8; 8];
                bytes.copy_from_slice(&outcome.return_data);
                increments.push(u64::from_le_bytes(bytes));

                let input = format!("thread {t} call {i}").into_bytes();
                let echoed = registry
                    .execute(
                        &format!("echo-{t}"),
                        "echo",
                        &ExecutionContext::with_input(input.clone()),
                        Arc::new(InMemoryStorage::new()),
                    )
                    .unwrap();
                assert_eq!(echoed.return_data, input);
                let sum = registry
                    .call(
                        &name,
                        "add",
                        &[WasmValue::I64(t as i64), WasmValue::I64(i as i64)],
                        &ExecutionContext::default(),
                        Arc::new(InMemoryStorage::new()),
                    )
                    .unwrap();
                assert_eq!(sum.results, [WasmValue::I64((t + i) as i64)]);
            }
            increments
        });
        let mut seen: Vec<u64> = per_thread.into_iter().flatten().collect();
        seen.sort_unstable();
        // Every committed increment saw a distinct value: 1 ..= 40.
        assert_eq!(
            seen,
            (1..=(THREADS as u64 * 5)).collect::<Vec<_>>(),
            "{kind}"
        );
        assert_eq!(
            compiles.load(Ordering::SeqCst),
            2,
            "{kind}: two distinct modules, {THREADS} names each, must compile twice in all"
        );
        // The names share one compiled module.
        let a = registry.get("counter-0").unwrap();
        let b = registry.get(&format!("counter-{}", THREADS - 1)).unwrap();
        assert!(Arc::ptr_eq(&a, &b), "{kind}");
        assert!(!Arc::ptr_eq(&a, &registry.get("echo-0").unwrap()), "{kind}");
        let list = registry.list();
        assert_eq!(list.len(), 2 * THREADS);
        assert!(
            list.windows(2).all(|w| w[0].name < w[1].name),
            "ordered by name"
        );
        let info = list.iter().find(|i| i.name == "counter-3").unwrap();
        assert_eq!(info.size, counter.len());
        assert_eq!(info.hash, hex(&a.prepared().key()));
        assert_eq!(
            info.exports.keys().map(String::as_str).collect::<Vec<_>>(),
            ["add", "increment"]
        );
        assert_eq!(info.exports["add"].to_string(), "[i64, i64] -> [i64]");
    }
}

/// The loaded names, in order.
fn names(registry: &ModuleRegistry) -> Vec<String> {
    registry.list().into_iter().map(|i| i.name).collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn unloading_and_reloading_while_others_execute() {
    let counter = wat::parse_str(COUNTER).unwrap();
    let echo = wat::parse_str(ECHO).unwrap();
    for kind in BackendKind::compiled_in() {
        let (registry, compiles) = counting_registry(kind);
        registry.load("keep", &counter).unwrap();
        let shared = (registry.clone(), echo.clone());
        on_threads(move |t| {
            let (registry, echo) = &shared;
            for round in 0..10u8 {
                let name = format!("tmp-{t}");
                registry.load(&name, echo).unwrap();
                let out = registry
                    .execute(
                        &name,
                        "echo",
                        &ExecutionContext::with_input(vec![round]),
                        Arc::new(InMemoryStorage::new()),
                    )
                    .unwrap();
                assert_eq!(out.return_data, [round]);
                registry.unload(&name).unwrap();
                let gone = registry.execute(
                    &name,
                    "echo",
                    &ExecutionContext::default(),
                    Arc::new(InMemoryStorage::new()),
                );
                assert!(matches!(gone, Err(RuntimeError::Registry(_))));
                let kept = registry
                    .execute(
                        "keep",
                        "increment",
                        &ExecutionContext::default(),
                        Arc::new(InMemoryStorage::new()),
                    )
                    .unwrap();
                assert_eq!(kept.status(), Status::Ok);
            }
        });
        // `keep` compiled once; the echo module at most once per load (again
        // only when every name had unloaded it).
        let total = compiles.load(Ordering::SeqCst);
        assert!(
            (2..=1 + THREADS * 10).contains(&total),
            "{kind}: {total} compilations"
        );
        assert_eq!(names(&registry), ["keep"]);
    }
}

pub(crate) fn names_that_are_unknown_taken_or_unloaded_are_clear_errors() {
    let counter = wat::parse_str(COUNTER).unwrap();
    let echo = wat::parse_str(ECHO).unwrap();
    let (registry, compiles) = counting_registry(BackendKind::compiled_in()[0]);
    let ctx = ExecutionContext::default();
    let storage = || -> Arc<dyn Storage> { Arc::new(InMemoryStorage::new()) };
    let message = |e: RuntimeError| match e {
        RuntimeError::Registry(m) => m,
        other => panic!("expected a registry error, got {other:?}"),
    };

    let unknown = registry.execute("ghost", "increment", &ctx, storage());
    assert!(message(unknown.unwrap_err()).contains("no module named \"ghost\""));
    assert!(message(registry.get("ghost").unwrap_err()).contains("\"ghost\""));
    assert!(message(registry.unload("ghost").unwrap_err()).contains("\"ghost\""));

    registry.load("c", &counter).unwrap();
    let taken = message(registry.load("c", &echo).unwrap_err());
    assert!(
        taken.contains("already loaded") && taken.contains("replace"),
        "{taken}"
    );
    // The failed load changed nothing.
    assert!(
        registry
            .get("c")
            .unwrap()
            .prepared()
            .exported_functions()
            .contains_key("increment")
    );

    // A rejected module is an error naming the rejection; nothing loaded.
    let bad = wat::parse_str(r#"(module (import "env" "nope" (func)))"#).unwrap();
    let rejected = message(registry.load("bad", &bad).unwrap_err());
    assert!(rejected.contains("UnknownImport"), "{rejected}");
    assert!(registry.get("bad").is_err());
    // Replacing with a rejected module keeps the old one.
    assert!(registry.replace("c", &bad).is_err());
    assert!(registry.get("c").is_ok());

    // Replace, then unload: the name is free again, then unknown.
    let info = registry.replace("c", &echo).unwrap();
    assert_eq!(info.exports.keys().collect::<Vec<_>>(), ["echo"]);
    let out = registry
        .execute(
            "c",
            "echo",
            &ExecutionContext::with_input(*b"hi"),
            storage(),
        )
        .unwrap();
    assert_eq!(out.return_data, b"hi");
    registry.unload("c").unwrap();
    let unloaded = registry.execute("c", "echo", &ctx, storage());
    assert!(message(unloaded.unwrap_err()).contains("no module named \"c\""));
    assert!(registry.unload("c").is_err());
    registry.load("c", &counter).unwrap();

    // An export the module lacks is an outcome (rejected), not an error.
    let missing = registry.execute("c", "nope", &ctx, storage()).unwrap();
    assert_eq!(missing.status(), Status::Rejected);

    // Run-bytes-once: no name; a rejected module is a rejected outcome.
    let once = registry
        .run_once(
            &echo,
            "echo",
            &ExecutionContext::with_input(*b"x"),
            storage(),
        )
        .unwrap();
    assert_eq!(once.return_data, b"x");
    let once_bad = registry.run_once(&bad, "main", &ctx, storage()).unwrap();
    assert_eq!(once_bad.status(), Status::Rejected);
    assert_eq!(names(&registry), ["c"]);
    // counter (first load), echo (replace), counter again (the replace had
    // dropped it), echo again for run_once (dropped by the unload).
    assert_eq!(compiles.load(Ordering::SeqCst), 4);
}

/// The tests of this file.
pub(crate) fn trials() -> Vec<libtest_mimic::Trial> {
    vec![
        crate::trial(
            "registry::concurrent_loads_compile_each_module_once_on_every_engine",
            concurrent_loads_compile_each_module_once_on_every_engine,
        ),
        crate::trial(
            "registry::unloading_and_reloading_while_others_execute",
            unloading_and_reloading_while_others_execute,
        ),
        crate::trial(
            "registry::names_that_are_unknown_taken_or_unloaded_are_clear_errors",
            names_that_are_unknown_taken_or_unloaded_are_clear_errors,
        ),
    ]
}
