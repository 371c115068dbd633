//! wasmtime's failures, mapped to the core's kinds.

use runtime_core::backend::EngineFailure;
use runtime_core::{NonDeterministic, TrapKind};
use wasmtime::Trap;

/// Maps an error of instantiation or a call to an [`EngineFailure`].
///
/// A wasm trap maps one to one; a host abort is recognised by its marker;
/// anything else — a trap this runtime does not expect, such as native stack
/// exhaustion before the instrumented limit, or any other error — is
/// non-deterministic, never success.
pub fn map_error(error: &wasmtime::Error) -> EngineFailure {
    if super::is_host_abort(error) {
        return EngineFailure::HostAbort;
    }
    let Some(trap) = error.downcast_ref::<Trap>() else {
        return EngineFailure::NonDeterministic(NonDeterministic::EngineError(format!(
            "wasmtime: {error:#}"
        )));
    };
    let kind = match trap {
        Trap::UnreachableCodeReached => TrapKind::Unreachable,
        Trap::MemoryOutOfBounds => TrapKind::MemoryOutOfBounds,
        Trap::TableOutOfBounds => TrapKind::TableOutOfBounds,
        Trap::IndirectCallToNull => TrapKind::IndirectCallToNull,
        Trap::BadSignature => TrapKind::BadSignature,
        Trap::IntegerOverflow => TrapKind::IntegerOverflow,
        Trap::IntegerDivisionByZero => TrapKind::IntegerDivisionByZero,
        Trap::BadConversionToInteger => TrapKind::BadConversionToInteger,
        // The engine's own stack limit is not the deterministic one.
        Trap::StackOverflow => {
            return EngineFailure::NonDeterministic(NonDeterministic::EngineError(
                "wasmtime: native stack exhausted before the instrumented limit".into(),
            ));
        }
        Trap::Interrupt => return EngineFailure::NonDeterministic(NonDeterministic::Timeout),
        Trap::AllocationTooLarge => {
            return EngineFailure::NonDeterministic(NonDeterministic::OutOfMemory);
        }
        other => {
            return EngineFailure::NonDeterministic(NonDeterministic::EngineError(format!(
                "wasmtime: unexpected trap {other:?}"
            )));
        }
    };
    EngineFailure::Trap(kind)
}
