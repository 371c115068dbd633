//! Imports come only from the runtime's host functions (the guest ABI's and
//! the embedder's), with exact signatures; a module that imports a
//! pointer-taking ABI function must export its memory.

use std::collections::BTreeMap;

use host_abi::MEMORY_EXPORT;
use wasmparser::types::Types;
use wasmparser::{ExternalKind, Parser, Payload, TypeRef, ValType};

use crate::error::{Rejection, RejectionKind};
use crate::host_functions::HostFunctions;
use crate::value::{FuncSig, ValType as Ty};

pub(super) struct ModuleSummary {
    pub(super) functions: BTreeMap<String, FuncSig>,
    pub(super) exports_memory: bool,
}

fn malformed(e: wasmparser::BinaryReaderError) -> Rejection {
    Rejection::new(RejectionKind::MalformedModule, e.message().to_owned())
}

/// Checks imports and collects exports of a validated module.
pub(super) fn check_imports_and_exports(
    wasm: &[u8],
    types: &Types,
    host_functions: &HostFunctions,
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
                                "import {}::{} is not a function; only host functions may be imported",
                                import.module, import.name
                            ),
                        ));
                    };
                    let Some((_, entry)) = host_functions.find(import.module, import.name) else {
                        return Err(Rejection::new(
                            RejectionKind::UnknownImport,
                            format!(
                                "import {}::{} is not a host function of this runtime (ABI v1 or the embedder's)",
                                import.module, import.name
                            ),
                        ));
                    };
                    let types = types.as_ref();
                    let ty = types[types.core_type_at_in_module(type_index)].unwrap_func();
                    let sig = func_sig(ty);
                    if sig.as_ref() != Some(entry.sig()) {
                        return Err(Rejection::new(
                            RejectionKind::MistypedImport,
                            format!(
                                "import {}::{} has type {ty}, expected {}",
                                import.module,
                                import.name,
                                entry.sig()
                            ),
                        ));
                    }
                    let function = match entry.abi_function() {
                        Some(f) => f,
                        None => continue,
                    };
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
                            // Validation allowed number types only (no
                            // reference types), so every signature converts.
                            if let Some(sig) = func_sig(ty) {
                                functions.insert(export.name.to_owned(), sig);
                            }
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

/// A wasmparser function type as a [`FuncSig`], if it uses number types
/// only.
fn func_sig(ty: &wasmparser::FuncType) -> Option<FuncSig> {
    let convert = |t: &ValType| match t {
        ValType::I32 => Some(Ty::I32),
        ValType::I64 => Some(Ty::I64),
        ValType::F32 => Some(Ty::F32),
        ValType::F64 => Some(Ty::F64),
        _ => None,
    };
    Some(FuncSig {
        params: ty.params().iter().map(convert).collect::<Option<_>>()?,
        results: ty.results().iter().map(convert).collect::<Option<_>>()?,
    })
}
