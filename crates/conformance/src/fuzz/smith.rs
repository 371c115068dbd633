//! Generated modules (wasm-smith, restricted to the allowed features),
//! prepared once and run raw on every backend: results, traps, exported
//! globals (the gas counter among them), and memory bytes are compared.

use arbitrary::Unstructured;
use runtime::testing::{EngineFailure, RawInstance, raw_module};
use runtime::{Runtime, TrapKind, WasmValue};
use wasmparser::{ExternalKind, Parser, Payload, ValType, Validator};

/// The wasm-smith module of `seed` (8 KiB of ChaCha20 output seeded with
/// it, through [`smith_config`]), its loops made to terminate after 1 000
/// iterations; `None` when wasm-smith cannot build one from those bytes.
/// Tests walk seeds with it.
pub fn terminating_module(seed: u64) -> Option<Vec<u8>> {
    use rand_core::{RngCore, SeedableRng};
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed);
    let mut bytes = vec![0u8; 8192];
    rng.fill_bytes(&mut bytes);
    let mut module =
        wasm_smith::Module::new(smith_config(), &mut Unstructured::new(&bytes)).ok()?;
    module.ensure_termination(1_000).ok()?;
    Some(module.to_bytes())
}

/// The generator's configuration: the runtime's allowed feature set,
/// canonical NaNs, bounded memories (16 pages, maximum required) and tables,
/// no imports, everything exported.
pub fn smith_config() -> wasm_smith::Config {
    wasm_smith::Config {
        simd_enabled: false,
        relaxed_simd_enabled: false,
        reference_types_enabled: false,
        threads_enabled: false,
        tail_call_enabled: false,
        exceptions_enabled: false,
        gc_enabled: false,
        memory64_enabled: false,
        custom_page_sizes_enabled: false,
        wide_arithmetic_enabled: false,
        extended_const_enabled: false,
        shared_everything_threads_enabled: false,
        multi_value_enabled: true,
        bulk_memory_enabled: true,
        saturating_float_to_int_enabled: true,
        sign_extension_ops_enabled: true,
        max_imports: 0,
        max_memories: 1,
        max_tables: 1,
        memory_max_size_required: true,
        table_max_size_required: true,
        max_memory32_bytes: 16 * 65536,
        max_table_elements: 1000,
        canonicalize_nans: true,
        export_everything: true,
        min_funcs: 1,
        max_funcs: 20,
        max_instructions: 300,
        ..Default::default()
    }
}

/// A generated module, terminating (wasm-smith's own loop fuel), or `None`
/// when `data` is too short to make one.
pub fn generate(data: &[u8]) -> Option<Vec<u8>> {
    let mut module = wasm_smith::Module::new(smith_config(), &mut Unstructured::new(data)).ok()?;
    module.ensure_termination(1_000).ok()?;
    Some(module.to_bytes())
}

/// The exported functions and their parameter types, in export order.
pub fn exported_functions(wasm: &[u8]) -> Vec<(String, Vec<ValType>)> {
    let Ok(types) = Validator::new().validate_all(wasm) else {
        return Vec::new();
    };
    let types = types.as_ref();
    let mut out = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        if let Ok(Payload::ExportSection(reader)) = payload {
            for export in reader.into_iter().flatten() {
                if export.kind == ExternalKind::Func {
                    let ty = types[types.core_function_at(export.index)].unwrap_func();
                    out.push((export.name.to_owned(), ty.params().to_vec()));
                }
            }
        }
    }
    out
}

/// The names of the exports of `kind`.
pub fn exported_names(wasm: &[u8], kind: ExternalKind) -> Vec<String> {
    let mut out = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        if let Ok(Payload::ExportSection(reader)) = payload {
            for export in reader.into_iter().flatten() {
                if export.kind == kind {
                    out.push(export.name.to_owned());
                }
            }
        }
    }
    out
}

/// An argument of type `ty` from a 64-bit seed: small, edge or arbitrary
/// integers; floats as numbers (no NaN payloads, which pass through
/// bit-exactly and are not what is compared here).
pub fn argument(seed: u64, ty: ValType) -> WasmValue {
    const EDGES: [u64; 8] = [0, 1, 2, 7, 100, u64::MAX, 1 << 31, 65535];
    let raw = if seed & 1 == 0 {
        EDGES[((seed >> 1) % 8) as usize]
    } else {
        seed >> 1
    };
    match ty {
        ValType::I32 => WasmValue::I32(raw as i32),
        ValType::I64 => WasmValue::I64(raw as i64),
        ValType::F32 => WasmValue::F32((raw as f32 / 3.0).to_bits()),
        _ => WasmValue::F64((raw as f64 / 3.0).to_bits()),
    }
}

/// What one backend observed after a call.
#[derive(Clone, Debug, PartialEq)]
pub struct Observed {
    /// The call.
    pub export: String,
    /// Its arguments.
    pub args: Vec<WasmValue>,
    /// Results or failure.
    pub result: Result<Vec<WasmValue>, EngineFailure>,
    /// Each exported memory's bytes.
    pub memories: Vec<Option<Vec<u8>>>,
    /// Each exported global's value (the gas counter included).
    pub globals: Vec<Option<WasmValue>>,
}

/// Calls `export` and observes the instance.
pub fn observe(
    instance: &mut RawInstance,
    export: &str,
    args: &[WasmValue],
    memories: &[String],
    globals: &[String],
) -> Observed {
    let result = instance.call(export, args);
    Observed {
        export: export.to_owned(),
        args: args.to_vec(),
        result,
        memories: memories.iter().map(|m| instance.memory(m)).collect(),
        globals: globals.iter().map(|g| instance.global(g)).collect(),
    }
}

/// Whether a failure ends comparison of later calls (the instance's state
/// after running out of gas or stack is engine-independent, but the
/// original's and the prepared module's are not).
pub fn is_resource_limit(r: &Result<Vec<WasmValue>, EngineFailure>) -> bool {
    matches!(
        r,
        Err(EngineFailure::Trap(
            TrapKind::GasExhausted | TrapKind::StackOverflow
        )) | Err(EngineFailure::NonDeterministic(_))
    )
}

/// Everything one backend observed running a prepared module.
#[derive(Clone, Debug, PartialEq)]
pub enum Run {
    /// Rejected by preparation (the same on every backend by construction).
    Rejected(String),
    /// Instantiation failed.
    Instantiation(EngineFailure),
    /// The calls, in order.
    Calls(Vec<Observed>),
}

/// Prepares `wasm` once and runs every export twice on each runtime, with
/// arguments from `arg_seed`. Returns each backend's observations.
pub fn run_everywhere(wasm: &[u8], arg_seed: u64, runtimes: &[Runtime]) -> Vec<Run> {
    let Some(first) = runtimes.first() else {
        return Vec::new();
    };
    // Every runtime has the default configuration, so one preparation
    // serves them all.
    let prepared = match first.prepare(wasm) {
        Ok(p) => p,
        Err(r) => return vec![Run::Rejected(r.kind.name().into()); runtimes.len()],
    };
    let functions = exported_functions(wasm);
    let memories = exported_names(prepared.code(), ExternalKind::Memory);
    let globals = exported_names(prepared.code(), ExternalKind::Global);
    runtimes
        .iter()
        .map(|runtime| {
            let module = match raw_module(runtime, prepared.clone()) {
                Ok(m) => m,
                Err(e) => return Run::Instantiation(EngineFailure::NonDeterministic(e)),
            };
            let mut instance = match module.instantiate() {
                Ok(i) => i,
                Err(e) => return Run::Instantiation(e),
            };
            let mut seed = arg_seed;
            let mut calls = Vec::new();
            for (name, params) in &functions {
                for _ in 0..2 {
                    let args: Vec<WasmValue> = params
                        .iter()
                        .map(|t| {
                            seed = seed
                                .wrapping_mul(6364136223846793005)
                                .wrapping_add(1442695040888963407);
                            argument(seed, *t)
                        })
                        .collect();
                    calls.push(observe(&mut instance, name, &args, &memories, &globals));
                }
            }
            Run::Calls(calls)
        })
        .collect()
}
