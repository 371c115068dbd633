//! The rewrite of a validated module: the one place that changes its bytes.
//!
//! Sections are copied as they are, except:
//!
//! * the memory section: each maximum is clamped to `max_memory_pages`, so
//!   `memory.grow` past the limit returns `-1` on every engine;
//! * the table section: a declared maximum becomes the table's size. Tables
//!   cannot grow in the allowed feature set, so this is unobservable, and
//!   wasmer refuses to instantiate tables whose declared maximum is huge
//!   (over 2^27) where wasmtime and wasmi accept them — found by the
//!   adversarial corpus (`adv.table_max_huge`);
//! * the start section is removed and its function exported under a
//!   reserved name ([`Rewritten::start_export`]); the runtime calls it right
//!   after instantiation, before the export. Instantiation still initialises
//!   data and elements first, so the order of effects is the spec's, but
//!   every engine now runs the start function with the instance complete
//!   (its memory and gas counter reachable by the host) and metered like
//!   every other call;
//! * every function body is instrumented ([`super::instrument`]): gas, stack
//!   height, NaN canonicalisation. Two globals (the gas counter, exported,
//!   and the stack height), two helper functions (the per-unit gas charge
//!   and the stack overflow) and their types are appended, so no existing
//!   index moves.

use std::collections::HashMap;

use wasm_encoder::reencode::{self, Reencode};
use wasm_encoder::{
    BlockType, CodeSection, ConstExpr, ExportKind, ExportSection, FunctionSection, GlobalSection,
    GlobalType, MemorySection, RawSection, SectionId, TableSection, TypeSection, ValType,
};
use wasmparser::{Parser, Payload, TypeRef};

use super::features::Validated;
use super::instrument::{self, Plan};
use crate::error::{Rejection, RejectionKind};
use crate::gas::GasSchedule;
use crate::limits::ModuleLimits;

/// The pages of a full 32-bit memory.
const WASM32_MAX_PAGES: u64 = 1 << 16;

/// The export name the start function gets, unless a module already uses it.
const START_EXPORT: &str = "__runtime_start";
/// The export name of the gas counter, unless a module already uses it.
const GAS_EXPORT: &str = "__runtime_gas";
/// The export name of the stack-height counter, unless a module already
/// uses it.
const STACK_EXPORT: &str = "__runtime_stack";

/// Which instrumentation the rewrite adds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Metering {
    /// Gas, stack height and NaNs, gas charged at the sites of
    /// [`super::charge_sites::place`].
    Sites,
    /// The same, every basic block charged at its start (the reference).
    PerBlock,
    /// None at all.
    None,
}

pub(super) struct Rewritten {
    pub(super) code: Vec<u8>,
    /// The name the start function is exported under, if there is one.
    pub(super) start_export: Option<String>,
    /// The name the gas counter is exported under; `None` when the module
    /// defines no function (it then runs no code).
    pub(super) gas_export: Option<String>,
    /// The name the stack-height counter is exported under (with the gas
    /// counter's condition).
    pub(super) stack_export: Option<String>,
}

/// Clamps each memory's declared maximum to the limit and each table's to
/// its size; re-encodes the rest unchanged.
struct Reencoder {
    max_memory_pages: u64,
}

impl Reencode for Reencoder {
    type Error = std::convert::Infallible;

    fn memory_type(
        &mut self,
        memory_ty: wasmparser::MemoryType,
    ) -> Result<wasm_encoder::MemoryType, reencode::Error<Self::Error>> {
        let mut ty = reencode::utils::memory_type(self, memory_ty);
        ty.maximum = Some(
            ty.maximum
                .map_or(self.max_memory_pages, |m| m.min(self.max_memory_pages)),
        );
        Ok(ty)
    }

    fn table_type(
        &mut self,
        table_ty: wasmparser::TableType,
    ) -> Result<wasm_encoder::TableType, reencode::Error<Self::Error>> {
        let mut ty = reencode::utils::table_type(self, table_ty)?;
        // Without reference types a table cannot grow (no `table.grow`, no
        // imported tables), so its declared maximum is unobservable: set it
        // to the table's size, which every engine accepts.
        ty.maximum = ty.maximum.map(|_| ty.minimum);
        Ok(ty)
    }
}

fn failed(e: impl std::fmt::Display) -> Rejection {
    Rejection::new(
        RejectionKind::MalformedModule,
        format!("re-encoding failed: {e}"),
    )
}

/// The position of a known section in the module order (custom: `None`).
fn rank(id: u8) -> Option<u8> {
    const ORDER: [SectionId; 13] = [
        SectionId::Type,
        SectionId::Import,
        SectionId::Function,
        SectionId::Table,
        SectionId::Memory,
        SectionId::Tag,
        SectionId::Global,
        SectionId::Export,
        SectionId::Start,
        SectionId::Element,
        SectionId::DataCount,
        SectionId::Code,
        SectionId::Data,
    ];
    ORDER.iter().position(|s| *s as u8 == id).map(|p| p as u8)
}

fn unique_name(base: &str, taken: &[String]) -> String {
    let mut name = base.to_owned();
    while taken.contains(&name) {
        name.push('_');
    }
    name
}

/// What the first pass learns of the module.
#[derive(Default)]
struct Shape {
    start: Option<u32>,
    export_names: Vec<String>,
    type_count: u32,
    imported_functions: u32,
    defined_functions: u32,
    globals: u32,
    /// The declared maximum of memory 0, in pages (`None`: none declared, or
    /// no memory).
    memory_maximum: Option<u64>,
}

fn shape(wasm: &[u8]) -> Result<Shape, Rejection> {
    let mut shape = Shape::default();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(failed)? {
            Payload::StartSection { func, .. } => shape.start = Some(func),
            Payload::ExportSection(reader) => {
                for export in reader {
                    shape
                        .export_names
                        .push(export.map_err(failed)?.name.to_owned());
                }
            }
            Payload::TypeSection(reader) => shape.type_count = reader.count(),
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    if let TypeRef::Func(_) = import.map_err(failed)?.ty {
                        shape.imported_functions += 1;
                    }
                }
            }
            Payload::FunctionSection(reader) => shape.defined_functions = reader.count(),
            Payload::GlobalSection(reader) => shape.globals = reader.count(),
            Payload::MemorySection(reader) => {
                if let Some(memory) = reader.into_iter().next() {
                    shape.memory_maximum = memory.map_err(failed)?.maximum;
                }
            }
            _ => {}
        }
    }
    Ok(shape)
}

/// Rewrites a validated module.
///
/// # Errors
///
/// `MalformedModule` if the module cannot be re-encoded (it was validated, so
/// this is not expected).
pub(super) fn rewrite(
    wasm: &[u8],
    limits: &ModuleLimits,
    schedule: &GasSchedule,
    validated: &Validated,
    metering: Metering,
) -> Result<Rewritten, Rejection> {
    let mut reencoder = Reencoder {
        max_memory_pages: u64::from(limits.max_memory_pages),
    };
    let shape = shape(wasm)?;
    let start_export = shape
        .start
        .map(|_| unique_name(START_EXPORT, &shape.export_names));
    let instrumented = metering != Metering::None && shape.defined_functions > 0;
    let gas_export = instrumented.then(|| unique_name(GAS_EXPORT, &shape.export_names));
    let stack_export = instrumented.then(|| unique_name(STACK_EXPORT, &shape.export_names));

    // Appended indices.
    let plan = Plan {
        gas_global: shape.globals,
        stack_global: shape.globals + 1,
        charge_function: shape.imported_functions + shape.defined_functions,
        overflow_function: shape.imported_functions + shape.defined_functions + 1,
        // What the clamp below leaves, and never past the 32-bit space.
        memory_maximum: shape
            .memory_maximum
            .map_or(reencoder.max_memory_pages, |m| {
                m.min(reencoder.max_memory_pages)
            })
            .min(WASM32_MAX_PAGES),
        stack_limit: limits.max_stack_height.min(ModuleLimits::MAX_STACK_HEIGHT),
        costs: &schedule.operators,
        types: validated.types.as_ref(),
        per_block: metering == Metering::PerBlock,
    };
    let charge_type = shape.type_count;
    let overflow_type = shape.type_count + 1;
    // Wrapper block types for functions with several results: [] -> results.
    let types = plan.types;
    let mut extra_types: Vec<Vec<ValType>> = Vec::new();
    let mut wrapper_types: HashMap<Vec<ValType>, u32> = HashMap::new();
    // Per defined function: its wrapper block type and its result count.
    let mut wrappers = Vec::with_capacity(shape.defined_functions as usize);
    for i in 0..shape.defined_functions {
        let ty = types[types.core_function_at(shape.imported_functions + i)].unwrap_func();
        let results: Vec<ValType> = ty
            .results()
            .iter()
            .map(|t| reencoder.val_type(*t))
            .collect::<Result<_, _>>()
            .map_err(failed)?;
        let count = results.len();
        let wrapper = match results.as_slice() {
            [] => BlockType::Empty,
            [one] => BlockType::Result(*one),
            _ => {
                let next = shape.type_count + 2 + extra_types.len() as u32;
                let index = *wrapper_types.entry(results.clone()).or_insert_with(|| {
                    extra_types.push(results);
                    next
                });
                BlockType::FunctionType(index)
            }
        };
        wrappers.push((wrapper, count));
    }

    let mut module = wasm_encoder::Module::new();
    let mut globals_written = false;
    let mut exports_written = false;
    let append_globals = |globals: &mut GlobalSection| {
        if instrumented {
            let mutable_i64 = GlobalType {
                val_type: ValType::I64,
                mutable: true,
                shared: false,
            };
            let mutable_i32 = GlobalType {
                val_type: ValType::I32,
                ..mutable_i64
            };
            globals.global(mutable_i64, &ConstExpr::i64_const(0));
            globals.global(mutable_i32, &ConstExpr::i32_const(0));
        }
    };
    let append_exports = |exports: &mut ExportSection| {
        if let (Some(func), Some(name)) = (shape.start, &start_export) {
            exports.export(name, ExportKind::Func, func);
        }
        if let Some(name) = &gas_export {
            exports.export(name, ExportKind::Global, plan.gas_global);
        }
        if let Some(name) = &stack_export {
            exports.export(name, ExportKind::Global, plan.stack_global);
        }
    };
    let mut function_index = 0usize;
    let mut code: Option<CodeSection> = None;
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.map_err(failed)?;
        if let (true, Payload::CodeSectionEntry(body)) = (instrumented, &payload) {
            let info = validated
                .functions
                .get(function_index)
                .copied()
                .ok_or_else(|| failed("more bodies than validated functions"))?;
            let (wrapper, results) = wrappers[function_index];
            let shape_of = instrument::BodyShape {
                info,
                wrapper,
                results,
            };
            let f = instrument::instrument_body(&mut reencoder, &plan, body, shape_of)
                .map_err(failed)?;
            function_index += 1;
            let section = code.get_or_insert_with(CodeSection::new);
            section.function(&f);
            if function_index == shape.defined_functions as usize {
                section.function(&instrument::charge_helper(plan.gas_global));
                section.function(&instrument::overflow_helper(plan.gas_global));
                module.section(&*section);
            }
            continue;
        }
        let Some((id, range)) = payload.as_section() else {
            continue;
        };
        let r = rank(id);
        if r.is_some() && r > rank(SectionId::Global as u8) && !globals_written {
            let mut globals = GlobalSection::new();
            append_globals(&mut globals);
            if !globals.is_empty() {
                module.section(&globals);
            }
            globals_written = true;
        }
        if r.is_some() && r > rank(SectionId::Export as u8) && !exports_written {
            let mut exports = ExportSection::new();
            append_exports(&mut exports);
            if !exports.is_empty() {
                module.section(&exports);
            }
            exports_written = true;
        }
        match payload {
            Payload::TypeSection(reader) => {
                let mut section = TypeSection::new();
                reencoder
                    .parse_type_section(&mut section, reader)
                    .map_err(failed)?;
                if instrumented {
                    section
                        .ty()
                        .function([ValType::I64, ValType::I64], [ValType::I64]);
                    section.ty().function([], []);
                    for results in &extra_types {
                        section.ty().function([], results.iter().copied());
                    }
                }
                module.section(&section);
            }
            Payload::FunctionSection(reader) if instrumented => {
                let mut section = FunctionSection::new();
                reencoder
                    .parse_function_section(&mut section, reader)
                    .map_err(failed)?;
                section.function(charge_type);
                section.function(overflow_type);
                module.section(&section);
            }
            Payload::MemorySection(reader) => {
                let mut memories = MemorySection::new();
                reencoder
                    .parse_memory_section(&mut memories, reader)
                    .map_err(failed)?;
                module.section(&memories);
            }
            Payload::TableSection(reader) => {
                let mut tables = TableSection::new();
                reencoder
                    .parse_table_section(&mut tables, reader)
                    .map_err(failed)?;
                module.section(&tables);
            }
            Payload::GlobalSection(reader) => {
                let mut globals = GlobalSection::new();
                reencoder
                    .parse_global_section(&mut globals, reader)
                    .map_err(failed)?;
                append_globals(&mut globals);
                module.section(&globals);
                globals_written = true;
            }
            Payload::ExportSection(reader) => {
                let mut exports = ExportSection::new();
                reencoder
                    .parse_export_section(&mut exports, reader)
                    .map_err(failed)?;
                append_exports(&mut exports);
                module.section(&exports);
                exports_written = true;
            }
            Payload::StartSection { .. } => {}
            Payload::CodeSectionStart { .. } if instrumented => {}
            Payload::CodeSectionEntry(_) => {}
            _ => {
                module.section(&RawSection {
                    id,
                    data: &wasm[range.start as usize..range.end as usize],
                });
            }
        }
    }
    if !globals_written {
        let mut globals = GlobalSection::new();
        append_globals(&mut globals);
        if !globals.is_empty() {
            module.section(&globals);
        }
    }
    if !exports_written {
        let mut exports = ExportSection::new();
        append_exports(&mut exports);
        if !exports.is_empty() {
            module.section(&exports);
        }
    }
    Ok(Rewritten {
        code: module.finish(),
        start_export,
        gas_export,
        stack_export,
    })
}
