//! Raw instances: no imports, no host state; calls with arguments and
//! results (differential testing, the spec testsuite).

use runtime_core::{
    EngineFailure, ExecutionLimits, NonDeterministic, RawInstance, WasmValue, raw_failure,
};
use wasmtime::{Global, Instance, Module, Store, Val};

use crate::map_error;

pub(crate) struct WasmtimeRaw {
    store: Store<()>,
    instance: Instance,
    gas: Option<Global>,
    stack: Option<Global>,
}

fn engine_error(message: String) -> EngineFailure {
    EngineFailure::NonDeterministic(NonDeterministic::EngineError(message))
}

pub(crate) fn instantiate(
    module: &Module,
    gas_export: Option<&str>,
    stack_export: Option<&str>,
    start_export: Option<&str>,
) -> Result<Box<dyn RawInstance>, EngineFailure> {
    let mut store = Store::new(module.engine(), ());
    // No wall-clock timeout for raw instances: a deadline far away.
    store.set_epoch_deadline(1 << 40);
    let instance = Instance::new(&mut store, module, &[]).map_err(|e| map_error(&e))?;
    let gas = gas_export.and_then(|name| instance.get_global(&mut store, name));
    let stack = stack_export.and_then(|name| instance.get_global(&mut store, name));
    let mut raw = WasmtimeRaw {
        store,
        instance,
        gas,
        stack,
    };
    if let Some(start) = start_export {
        raw.call(start, &[])?;
    }
    Ok(Box::new(raw))
}

fn to_val(v: WasmValue) -> Val {
    match v {
        WasmValue::I32(x) => Val::I32(x),
        WasmValue::I64(x) => Val::I64(x),
        WasmValue::F32(bits) => Val::F32(bits),
        WasmValue::F64(bits) => Val::F64(bits),
    }
}

fn from_val(v: &Val) -> Option<WasmValue> {
    match v {
        Val::I32(x) => Some(WasmValue::I32(*x)),
        Val::I64(x) => Some(WasmValue::I64(*x)),
        Val::F32(bits) => Some(WasmValue::F32(*bits)),
        Val::F64(bits) => Some(WasmValue::F64(*bits)),
        _ => None,
    }
}

impl RawInstance for WasmtimeRaw {
    fn call(&mut self, export: &str, args: &[WasmValue]) -> Result<Vec<WasmValue>, EngineFailure> {
        let func = self
            .instance
            .get_func(&mut self.store, export)
            .ok_or_else(|| engine_error(format!("no exported function {export:?}")))?;
        if let Some(gas) = self.gas {
            gas.set(&mut self.store, Val::I64(ExecutionLimits::MAX_GAS as i64))
                .map_err(|e| engine_error(format!("wasmtime gas counter: {e:#}")))?;
        }
        if let Some(stack) = self.stack {
            stack
                .set(&mut self.store, Val::I32(0))
                .map_err(|e| engine_error(format!("wasmtime stack counter: {e:#}")))?;
        }
        let ty = func.ty(&self.store);
        let args: Vec<Val> = args.iter().copied().map(to_val).collect();
        let mut results: Vec<Val> = ty.results().map(|_| Val::I32(0)).collect();
        match func.call(&mut self.store, &args, &mut results) {
            Ok(()) => results
                .iter()
                .map(|v| from_val(v).ok_or_else(|| engine_error("non-number result".into())))
                .collect(),
            Err(e) => {
                let counter = self.gas.and_then(|g| g.get(&mut self.store).i64());
                Err(raw_failure(map_error(&e), counter))
            }
        }
    }

    fn memory(&mut self, export: &str) -> Option<Vec<u8>> {
        let memory = self.instance.get_memory(&mut self.store, export)?;
        Some(memory.data(&self.store).to_vec())
    }

    fn global(&mut self, export: &str) -> Option<WasmValue> {
        let global = self.instance.get_global(&mut self.store, export)?;
        from_val(&global.get(&mut self.store))
    }
}
