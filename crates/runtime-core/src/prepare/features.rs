//! The WebAssembly feature set this runtime accepts.

use wasmparser::{FuncValidatorAllocations, Parser, ValidPayload, Validator, WasmFeatures};

use crate::error::{Rejection, RejectionKind};

/// The allowed features: MVP (with floats), mutable globals, sign
/// extension, non-trapping float-to-int, multi-value and bulk memory.
///
/// Everything else is rejected: SIMD and relaxed SIMD, threads and shared
/// memory, reference types beyond what bulk memory needs, tail calls,
/// exceptions, GC, memory64, multi-memory, and component binaries.
pub fn allowed_features() -> WasmFeatures {
    WasmFeatures::MUTABLE_GLOBAL
        | WasmFeatures::SATURATING_FLOAT_TO_INT
        | WasmFeatures::SIGN_EXTENSION
        | WasmFeatures::MULTI_VALUE
        | WasmFeatures::BULK_MEMORY
        | WasmFeatures::FLOATS
}

/// What the validator learnt of one defined function, for the stack-height
/// instrumentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct FunctionInfo {
    /// Parameters and declared locals.
    pub(super) locals: u32,
    /// The highest operand-stack height anywhere in the body.
    pub(super) max_operand_stack: u32,
}

/// A validated module: its types and one [`FunctionInfo`] per defined
/// function, in order.
pub(super) struct Validated {
    pub(super) types: wasmparser::types::Types,
    pub(super) functions: Vec<FunctionInfo>,
}

/// A validation failure: the message and the byte offset.
struct Invalid(String, u64);

impl From<wasmparser::BinaryReaderError> for Invalid {
    fn from(e: wasmparser::BinaryReaderError) -> Self {
        Invalid(e.message().to_owned(), e.offset())
    }
}

/// Validates with `features`, measuring each function's operand stack.
fn validate_with(wasm: &[u8], features: WasmFeatures) -> Result<Validated, Invalid> {
    let mut validator = Validator::new_with_features(features);
    let mut functions = Vec::new();
    let mut allocs = FuncValidatorAllocations::default();
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload?;
        match validator.payload(&payload)? {
            ValidPayload::Func(func, body) => {
                let mut v = func.into_validator(std::mem::take(&mut allocs));
                let mut reader = body.get_binary_reader();
                v.read_locals(&mut reader)?;
                reader.set_features(features);
                let mut max_operand_stack = 0;
                while !reader.eof() {
                    let offset = reader.original_position();
                    reader.visit_operator(&mut v.visitor(offset))??;
                    max_operand_stack = max_operand_stack.max(v.operand_stack_height());
                }
                reader.finish_expression(&v.visitor(reader.original_position()))?;
                functions.push(FunctionInfo {
                    locals: v.len_locals(),
                    max_operand_stack,
                });
                allocs = v.into_allocations();
            }
            ValidPayload::End(types) => return Ok(Validated { types, functions }),
            _ => {}
        }
    }
    // `parse_all` always ends with `End` for a complete module; a truncated
    // one fails above.
    Err(Invalid(
        "unexpected end of module".into(),
        wasm.len() as u64,
    ))
}

/// Validates `wasm` against [`allowed_features`].
///
/// A module that is valid with every feature wasmparser knows but invalid
/// with the allowed set uses a disallowed feature; one that is invalid even
/// then is malformed. The rejection carries wasmparser's message, which
/// names the feature, and the byte offset.
///
/// # Errors
///
/// A [`Rejection`] of kind `MalformedModule` or `DisallowedFeature`.
pub(super) fn validate(wasm: &[u8]) -> Result<Validated, Rejection> {
    if wasmparser::Parser::is_component(wasm) {
        return Err(Rejection::new(
            RejectionKind::DisallowedFeature,
            "component binaries are not allowed (component model), at offset 0",
        ));
    }
    match validate_with(wasm, allowed_features()) {
        Ok(validated) => Ok(validated),
        Err(Invalid(message, offset)) => {
            let detail = format!("{message} (at offset {offset:#x})");
            let kind = if Validator::new_with_features(WasmFeatures::all())
                .validate_all(wasm)
                .is_ok()
            {
                RejectionKind::DisallowedFeature
            } else {
                RejectionKind::MalformedModule
            };
            Err(Rejection::new(kind, detail))
        }
    }
}
