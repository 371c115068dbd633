//! Imports come only from ABI v1, with exact signatures; a module that
//! imports a pointer-taking function must export its memory.

use std::collections::BTreeMap;

use host_abi::{HostFunction, IMPORT_MODULE, MEMORY_EXPORT};
use wasmparser::types::Types;
use wasmparser::{ExternalKind, Parser, Payload, TypeRef, ValType};

use super::ExportedFunction;
use crate::error::{Rejection, RejectionKind};

pub(super) struct ModuleSummary {
    pub(super) functions: BTreeMap<String, ExportedFunction>,
    pub(super) exports_memory: bool,
}

fn malformed(e: wasmparser::BinaryReaderError) -> Rejection {
    Rejection::new(RejectionKind::MalformedModule, e.message().to_owned())
}

/// Checks imports and collects exports of a validated module.
pub(super) fn check_imports_and_exports(
    wasm: &[u8],
    types: &Types,
) -> Result<ModuleSummary, Rejection> {
    let mut needs_memory = None;
    let mut functions = BTreeMap::new();
    let mut exports_memory = false;
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(malformed)? {
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import.map_err(malformed)?;
                    let TypeRef::Func(type_index) = import.ty else {
                        return Err(Rejection::new(
                            RejectionKind::UnknownImport,
                            format!(
                                "import {}::{} is not a function; only ABI v1 functions may be imported",
                                import.module, import.name
                            ),
                        ));
                    };
                    let function = match HostFunction::from_name(import.name) {
                        Some(f) if import.module == IMPORT_MODULE => f,
                        _ => {
                            return Err(Rejection::new(
                                RejectionKind::UnknownImport,
                                format!(
                                    "import {}::{} is not in ABI v1",
                                    import.module, import.name
                                ),
                            ));
                        }
                    };
                    let types = types.as_ref();
                    let ty = types[types.core_type_at_in_module(type_index)].unwrap_func();
                    let params_ok = ty.params().len() == function.param_count()
                        && ty.params().iter().all(|p| *p == ValType::I64);
                    let results_ok = ty.results().len() == function.result_count()
                        && ty.results().iter().all(|r| *r == ValType::I64);
                    if !(params_ok && results_ok) {
                        return Err(Rejection::new(
                            RejectionKind::MistypedImport,
                            format!(
                                "import env::{} has type {ty}, expected {} i64 params and {} i64 results",
                                import.name,
                                function.param_count(),
                                function.result_count()
                            ),
                        ));
                    }
                    if function.takes_pointer() && needs_memory.is_none() {
                        needs_memory = Some(function);
                    }
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export.map_err(malformed)?;
                    match export.kind {
                        ExternalKind::Func => {
                            let ty = types.as_ref().core_function_at(export.index);
                            let ty = types[ty].unwrap_func();
                            functions.insert(
                                export.name.to_owned(),
                                ExportedFunction {
                                    params: ty.params().len(),
                                    results: ty.results().len(),
                                },
                            );
                        }
                        ExternalKind::Memory if export.name == MEMORY_EXPORT => {
                            exports_memory = true;
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    if let (Some(function), false) = (needs_memory, exports_memory) {
        return Err(Rejection::new(
            RejectionKind::MissingMemoryExport,
            format!(
                "imports {function}, which takes a pointer, but exports no memory \"{MEMORY_EXPORT}\""
            ),
        ));
    }
    Ok(ModuleSummary {
        functions,
        exports_memory,
    })
}
