//! Raw instances: no imports, no host state; calls with arguments and
//! results (differential testing, the spec testsuite).

use runtime_core::{EngineFailure, ExecutionLimits, RawInstance, WasmValue, raw_failure};
use wasmer::{Engine, Global, Imports, Instance, Module, Store, Value};

use crate::map_error;
use crate::traps::{engine_error, map_instantiation_error};

pub(crate) struct WasmerRaw {
    store: Store,
    instance: Instance,
    gas: Option<Global>,
    stack: Option<Global>,
}

pub(crate) fn instantiate(
    engine: &Engine,
    module: &Module,
    gas_export: Option<&str>,
    stack_export: Option<&str>,
    start_export: Option<&str>,
) -> Result<Box<dyn RawInstance>, EngineFailure> {
    let mut store = Store::new(engine.clone());
    let instance =
        Instance::new(&mut store, module, &Imports::new()).map_err(map_instantiation_error)?;
    let gas = gas_export.and_then(|name| instance.exports.get_global(name).ok().cloned());
    let stack = stack_export.and_then(|name| instance.exports.get_global(name).ok().cloned());
    let mut raw = WasmerRaw {
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

fn to_value(v: WasmValue) -> Value {
    match v {
        WasmValue::I32(x) => Value::I32(x),
        WasmValue::I64(x) => Value::I64(x),
        WasmValue::F32(bits) => Value::F32(f32::from_bits(bits)),
        WasmValue::F64(bits) => Value::F64(f64::from_bits(bits)),
    }
}

fn from_value(v: &Value) -> Option<WasmValue> {
    match v {
        Value::I32(x) => Some(WasmValue::I32(*x)),
        Value::I64(x) => Some(WasmValue::I64(*x)),
        Value::F32(x) => Some(WasmValue::F32(x.to_bits())),
        Value::F64(x) => Some(WasmValue::F64(x.to_bits())),
        _ => None,
    }
}

impl RawInstance for WasmerRaw {
    fn call(&mut self, export: &str, args: &[WasmValue]) -> Result<Vec<WasmValue>, EngineFailure> {
        let func = self
            .instance
            .exports
            .get_function(export)
            .map_err(|e| engine_error(format!("wasmer export {export:?}: {e}")))?
            .clone();
        if let Some(gas) = &self.gas {
            gas.set(&mut self.store, Value::I64(ExecutionLimits::MAX_GAS as i64))
                .map_err(|e| engine_error(format!("wasmer gas counter: {e}")))?;
        }
        if let Some(stack) = &self.stack {
            stack
                .set(&mut self.store, Value::I32(0))
                .map_err(|e| engine_error(format!("wasmer stack counter: {e}")))?;
        }
        let args: Vec<Value> = args.iter().copied().map(to_value).collect();
        match func.call(&mut self.store, &args) {
            Ok(results) => results
                .iter()
                .map(|v| from_value(v).ok_or_else(|| engine_error("non-number result".into())))
                .collect(),
            Err(e) => {
                let counter = self.gas.as_ref().and_then(|g| g.get(&mut self.store).i64());
                Err(raw_failure(map_error(&e), counter))
            }
        }
    }

    fn memory(&mut self, export: &str) -> Option<Vec<u8>> {
        let memory = self.instance.exports.get_memory(export).ok()?;
        let view = memory.view(&self.store);
        let mut bytes = vec![0u8; usize::try_from(view.data_size()).ok()?];
        view.read(0, &mut bytes).ok()?;
        Some(bytes)
    }

    fn global(&mut self, export: &str) -> Option<WasmValue> {
        let global = self.instance.exports.get_global(export).ok()?.clone();
        from_value(&global.get(&mut self.store))
    }
}
