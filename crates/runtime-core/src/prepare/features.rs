//! The WebAssembly feature set this runtime accepts.

use wasmparser::{Validator, WasmFeatures};

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
pub(super) fn validate(wasm: &[u8]) -> Result<wasmparser::types::Types, Rejection> {
    if wasmparser::Parser::is_component(wasm) {
        return Err(Rejection::new(
            RejectionKind::DisallowedFeature,
            "component binaries are not allowed (component model), at offset 0",
        ));
    }
    match Validator::new_with_features(allowed_features()).validate_all(wasm) {
        Ok(types) => Ok(types),
        Err(restricted) => {
            let detail = format!(
                "{} (at offset {:#x})",
                restricted.message(),
                restricted.offset()
            );
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
