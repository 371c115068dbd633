//! The execution protocol against a mock backend: the contract checks of
//! `finish`, the ABI 1.1 gas rule, module binding and commit conflicts,
//! with no engine.

use std::sync::Arc;

use host_abi::HostFunction;

use super::*;
use crate::backend::{EngineInstance, EngineModule, Failed};
use crate::error::{HostError, TrapKind};
use crate::storage::InMemoryStorage;

/// What the mock's export does with the host state: the "guest".
type Script = fn(&mut HostState) -> Result<Vec<WasmValue>, EngineFailure>;

struct MockBackend(Script);
struct MockModule(Script);
struct MockInstance {
    host: HostState,
    script: Script,
    gas: i64,
}

impl Backend for MockBackend {
    fn name(&self) -> &'static str {
        "mock"
    }
    fn engine_id(&self) -> String {
        "mock".into()
    }
    fn compile(
        &self,
        _: &PreparedModule,
        _: &HostFunctions,
    ) -> Result<Arc<dyn EngineModule>, NonDeterministic> {
        Ok(Arc::new(MockModule(self.0)))
    }
    fn native_stack_required(&self) -> usize {
        64 << 10
    }
}

impl EngineModule for MockModule {
    fn instantiate(&self, host: HostState) -> Result<Box<dyn EngineInstance>, Box<Failed>> {
        Ok(Box::new(MockInstance {
            host,
            script: self.0,
            gas: 0,
        }))
    }
}

impl EngineInstance for MockInstance {
    fn call(
        &mut self,
        export: &str,
        _: &[WasmValue],
        results: &mut Vec<WasmValue>,
    ) -> Result<(), EngineFailure> {
        assert_eq!(export, "main", "the core calls only the checked export");
        // The "guest" spends 10 gas, then runs the script.
        self.gas -= 10;
        self.host.end_guest(self.gas);
        let out = (self.script)(&mut self.host)?;
        self.gas = self.host.guest_gas();
        results.extend(out);
        Ok(())
    }
    fn gas(&mut self) -> Option<i64> {
        Some(self.gas)
    }
    fn set_gas(&mut self, value: i64) -> Result<(), EngineFailure> {
        self.gas = value;
        Ok(())
    }
    fn set_stack_height(&mut self, _: i32) -> Result<(), EngineFailure> {
        Ok(())
    }
    fn memory(&mut self, _: &str) -> Option<Vec<u8>> {
        None
    }
    fn global(&mut self, _: &str) -> Option<WasmValue> {
        None
    }
    fn host(&mut self) -> &mut HostState {
        &mut self.host
    }
    fn into_host(self: Box<Self>) -> HostState {
        self.host
    }
}

fn runtime(script: Script) -> Runtime {
    Runtime::new(Box::new(MockBackend(script)))
}

fn module(runtime: &Runtime) -> Module {
    let wasm = wat::parse_str(
        r#"(module (import "env" "storage_read" (func (param i64 i64 i64) (result i64)))
            (memory (export "memory") 1) (func (export "main")))"#,
    )
    .unwrap();
    runtime.compile(runtime.prepare(&wasm).unwrap())
}

fn run(script: Script) -> Result<Outcome, RuntimeError> {
    let runtime = runtime(script);
    let module = module(&runtime);
    let context = ExecutionContext::default().gas(1000);
    runtime.execute(&module, "main", &context, Arc::new(InMemoryStorage::new()))
}

#[test]
fn a_normal_return_after_a_host_abort_breaks_the_contract() {
    let result = run(|host| {
        let mut gas = host.guest_gas();
        let mut memory = [0u8; 4];
        // An unset register: the host aborts with InvalidRegisterId...
        let _ = host.call(
            HostFunction::ReadRegister,
            &[9, 0],
            &mut memory[..],
            &mut gas,
        );
        // ...and the "engine" returns normally anyway.
        Ok(vec![])
    });
    assert!(
        matches!(
            result,
            Err(RuntimeError::BackendContract {
                backend: "mock",
                ..
            })
        ),
        "{result:?}"
    );
}

#[test]
fn a_host_abort_the_host_never_raised_breaks_the_contract() {
    let result = run(|_| Err(EngineFailure::HostAbort));
    assert!(
        matches!(result, Err(RuntimeError::BackendContract { .. })),
        "{result:?}"
    );
}

#[test]
fn the_recorded_host_error_wins_over_the_engine_failure() {
    let outcome = run(|host| {
        let mut gas = host.guest_gas();
        let mut memory = [0u8; 4];
        let _ = host.call(
            HostFunction::ReadRegister,
            &[9, 0],
            &mut memory[..],
            &mut gas,
        );
        Err(EngineFailure::Trap(TrapKind::Unreachable))
    })
    .unwrap();
    assert_eq!(
        outcome.error,
        Some(ExecError::Host(HostError::InvalidRegisterId))
    );
    // A host error keeps exact gas: 10 for the "guest", the base cost.
    let base = GasSchedule::default().host_base(HostFunction::ReadRegister);
    assert_eq!(outcome.gas_used, 10 + base);
}

#[test]
fn every_trap_consumes_all_gas() {
    let outcome = run(|_| Err(EngineFailure::Trap(TrapKind::Unreachable))).unwrap();
    assert_eq!(outcome.error, Some(ExecError::Trap(TrapKind::Unreachable)));
    assert_eq!(outcome.gas_used, 1000);
    let ok = run(|_| Ok(vec![WasmValue::I32(1)])).unwrap();
    assert_eq!((ok.gas_used, ok.results), (10, vec![WasmValue::I32(1)]));
}

#[test]
fn a_module_of_another_runtime_is_refused() {
    let a = runtime(|_| Ok(vec![]));
    let b = runtime(|_| Ok(vec![]));
    let module = module(&a);
    let storage = Arc::new(InMemoryStorage::new());
    let result = b.execute(
        &module,
        "main",
        &ExecutionContext::default(),
        storage.clone(),
    );
    assert!(
        matches!(result, Err(RuntimeError::ModuleMismatch(_))),
        "{result:?}"
    );
    // Prepared under other limits: refused too.
    let c = a.with_module_limits(ModuleLimits {
        max_stack_height: 100,
        ..ModuleLimits::default()
    });
    let foreign = c.compile(a.prepare(&wat::parse_str("(module)").unwrap()).unwrap());
    let result = c.execute(&foreign, "main", &ExecutionContext::default(), storage);
    assert!(matches!(result, Err(RuntimeError::ModuleMismatch(m)) if m.contains("limits")));
}

#[test]
fn a_commit_after_a_concurrent_change_of_a_read_key_is_a_conflict() {
    // The "guest" reads key "k" (via storage_read of memory bytes "k").
    let runtime = runtime(|host| {
        let mut gas = host.guest_gas();
        let mut memory = *b"k\0\0\0";
        host.call(
            HostFunction::StorageRead,
            &[1, 0, 0],
            &mut memory[..],
            &mut gas,
        )
        .map_err(|_| EngineFailure::HostAbort)?;
        Ok(vec![])
    });
    let module = module(&runtime);
    let storage = Arc::new(InMemoryStorage::with_entries([(
        b"k".to_vec(),
        b"1".to_vec(),
    )]));
    let (outcome, reads) = runtime
        .run(
            &module,
            "main",
            None,
            &ExecutionContext::default(),
            storage.clone(),
            false,
        )
        .unwrap();
    assert_eq!(outcome.status(), crate::Status::Ok);
    // Another commit changes "k" before this one commits.
    storage
        .apply(&[crate::StorageChange {
            key: b"k".to_vec(),
            value: Some(b"2".to_vec()),
        }])
        .unwrap();
    let err = storage.commit(&reads, &outcome.changes).unwrap_err();
    assert_eq!(err, crate::CommitError::Conflict { key: b"k".to_vec() });
    assert!(RuntimeError::from(err).is_retryable());
}
