//! Static module limits, checked in one cheap pass over the section headers
//! and the function bodies' operators before validation or any other
//! expensive work (CosmWasm's CWA-2023-004 compile bomb came from many
//! functions sharing one many-parameter type; the code limits of ABI 1.1
//! are in [`super::code_limits`]).

use wasmparser::{CompositeInnerType, Parser, Payload, TypeRef};

use super::code_limits::CodeScan;
use crate::error::{Rejection, RejectionKind};
use crate::limits::ModuleLimits;

fn exceeded(limit: &str, actual: u64, max: u64) -> Rejection {
    Rejection::new(
        RejectionKind::StaticLimitExceeded,
        format!("{limit}: {actual} exceeds the limit of {max}"),
    )
}

fn check(limit: &str, actual: u64, max: u64) -> Result<(), Rejection> {
    if actual > max {
        Err(exceeded(limit, actual, max))
    } else {
        Ok(())
    }
}

fn malformed(e: wasmparser::BinaryReaderError) -> Rejection {
    Rejection::new(
        RejectionKind::MalformedModule,
        format!("{} (at offset {:#x})", e.message(), e.offset()),
    )
}

/// Checks every static limit of `limits` that the section headers and the
/// function bodies' operators show.
///
/// # Errors
///
/// `StaticLimitExceeded` naming the first limit exceeded, or
/// `MalformedModule` if the sections do not parse.
pub(super) fn check_static_limits(wasm: &[u8], limits: &ModuleLimits) -> Result<(), Rejection> {
    check("max_module_size", wasm.len() as u64, limits.max_module_size)?;
    let mut functions: u64 = 0;
    let mut globals: u64 = 0;
    let mut tables: u64 = 0;
    // Parameters of each type (0 for non-function types), the type of each
    // defined function, and the number of imported functions: a body's
    // locals include its parameters.
    let mut type_params: Vec<u64> = Vec::new();
    let mut function_types: Vec<u32> = Vec::new();
    let mut imported_functions: u32 = 0;
    let mut defined: usize = 0;
    let mut code = CodeScan::new(limits);
    let mut code_size: u64 = 0;
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(malformed)? {
            Payload::TypeSection(reader) => {
                check(
                    "max_types",
                    u64::from(reader.count()),
                    u64::from(limits.max_types),
                )?;
                // GC types parse here and are rejected by validation as a
                // disallowed feature; only function types have arities.
                for group in reader {
                    for sub in group.map_err(malformed)?.types() {
                        type_params.push(match &sub.composite_type.inner {
                            CompositeInnerType::Func(ty) => ty.params().len() as u64,
                            _ => 0,
                        });
                        if let CompositeInnerType::Func(ty) = &sub.composite_type.inner {
                            check(
                                "max_params",
                                ty.params().len() as u64,
                                u64::from(limits.max_params),
                            )?;
                            check(
                                "max_results",
                                ty.results().len() as u64,
                                u64::from(limits.max_results),
                            )?;
                        }
                    }
                }
            }
            Payload::ImportSection(reader) => {
                check(
                    "max_imports",
                    u64::from(reader.count()),
                    u64::from(limits.max_imports),
                )?;
                for import in reader.into_imports() {
                    match import.map_err(malformed)?.ty {
                        TypeRef::Func(_) => {
                            functions += 1;
                            imported_functions = imported_functions.saturating_add(1);
                        }
                        TypeRef::Global(_) => globals += 1,
                        TypeRef::Table(_) => tables += 1,
                        _ => {}
                    }
                }
            }
            Payload::FunctionSection(reader) => {
                functions += u64::from(reader.count());
                check("max_functions", functions, u64::from(limits.max_functions))?;
                for ty in reader {
                    function_types.push(ty.map_err(malformed)?);
                }
            }
            Payload::GlobalSection(reader) => globals += u64::from(reader.count()),
            Payload::TableSection(reader) => {
                tables += u64::from(reader.count());
                for table in reader {
                    let table = table.map_err(malformed)?;
                    check(
                        "max_table_size",
                        table.ty.initial,
                        u64::from(limits.max_table_size.min(ModuleLimits::MAX_TABLE_SIZE)),
                    )?;
                }
            }
            Payload::MemorySection(reader) => {
                for memory in reader {
                    let memory = memory.map_err(malformed)?;
                    check(
                        "max_memory_pages",
                        memory.initial,
                        u64::from(limits.max_memory_pages),
                    )?;
                }
            }
            Payload::DataSection(reader) => check(
                "max_data_segments",
                u64::from(reader.count()),
                u64::from(limits.max_data_segments),
            )?,
            Payload::ElementSection(reader) => check(
                "max_element_segments",
                u64::from(reader.count()),
                u64::from(limits.max_element_segments),
            )?,
            Payload::ExportSection(reader) => check(
                "max_exports",
                u64::from(reader.count()),
                u64::from(limits.max_exports),
            )?,
            Payload::CodeSectionEntry(body) => {
                let range = body.range();
                let size = range.end - range.start;
                check(
                    "max_function_body_size",
                    size,
                    limits.max_function_body_size,
                )?;
                code_size = code_size.saturating_add(size);
                check("max_code_size", code_size, limits.max_code_size)?;
                let mut locals: u64 = 0;
                for group in body.get_locals_reader().map_err(malformed)? {
                    let (count, _) = group.map_err(malformed)?;
                    locals = locals.saturating_add(u64::from(count));
                    check("max_locals", locals, u64::from(limits.max_locals))?;
                }
                let params = function_types
                    .get(defined)
                    .and_then(|ty| type_params.get(*ty as usize))
                    .copied()
                    .unwrap_or(0);
                let index = imported_functions.saturating_add(defined as u32);
                code.body(index, &body, locals.saturating_add(params))?;
                defined += 1;
            }
            _ => {}
        }
        check("max_functions", functions, u64::from(limits.max_functions))?;
        check("max_globals", globals, u64::from(limits.max_globals))?;
        check("max_tables", tables, u64::from(limits.max_tables))?;
    }
    Ok(())
}
