//! wasmer's failures, mapped to the core's kinds.

use runtime_core::backend::{EngineFailure, HostAbort};
use runtime_core::{NonDeterministic, TrapKind};
use wasmer::{InstantiationError, RuntimeError};
use wasmer_types::TrapCode;

pub(crate) fn engine_error(message: String) -> EngineFailure {
    EngineFailure::NonDeterministic(NonDeterministic::EngineError(message))
}

/// Maps an instantiation error: a trap while initialising data or elements
/// maps as a trap, anything else is non-deterministic.
pub(crate) fn map_instantiation_error(error: InstantiationError) -> EngineFailure {
    match error {
        InstantiationError::Start(e) => map_error(&e),
        other => engine_error(format!("wasmer instantiate: {other}")),
    }
}

/// Maps a runtime error of a call to an [`EngineFailure`].
///
/// A wasm trap maps one to one; a host abort is recognised by its marker;
/// anything else — including the engine's own stack limit, which is not the
/// deterministic, instrumented one — is non-deterministic, never success.
pub fn map_error(error: &RuntimeError) -> EngineFailure {
    if error.is::<HostAbort>() {
        return EngineFailure::HostAbort;
    }
    let Some(code) = error.clone().to_trap() else {
        return engine_error(format!("wasmer: {error}"));
    };
    let kind = match code {
        TrapCode::UnreachableCodeReached => TrapKind::Unreachable,
        TrapCode::HeapAccessOutOfBounds => TrapKind::MemoryOutOfBounds,
        TrapCode::TableAccessOutOfBounds => TrapKind::TableOutOfBounds,
        TrapCode::IndirectCallToNull => TrapKind::IndirectCallToNull,
        TrapCode::BadSignature => TrapKind::BadSignature,
        TrapCode::IntegerOverflow => TrapKind::IntegerOverflow,
        TrapCode::IntegerDivisionByZero => TrapKind::IntegerDivisionByZero,
        TrapCode::BadConversionToInteger => TrapKind::BadConversionToInteger,
        TrapCode::StackOverflow => {
            return engine_error(
                "wasmer: native stack exhausted before the instrumented limit".into(),
            );
        }
        TrapCode::HostInterrupt => {
            return EngineFailure::NonDeterministic(NonDeterministic::Timeout);
        }
        other => return engine_error(format!("wasmer: unexpected trap {other:?}")),
    };
    EngineFailure::Trap(kind)
}
