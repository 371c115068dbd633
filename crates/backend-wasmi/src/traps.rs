//! wasmi's failures, mapped to the core's kinds.

use runtime_core::backend::EngineFailure;
use runtime_core::{NonDeterministic, TrapKind};
use wasmi::TrapCode;
use wasmi::errors::{ErrorKind, InstantiationError, MemoryError, TableError};

/// Maps an error of instantiation or a call to an [`EngineFailure`].
///
/// A wasm trap maps one to one; a host abort is recognised by its marker;
/// anything else — including the interpreter's own recursion limit, which is
/// not the deterministic, instrumented one — is non-deterministic, never
/// success.
pub fn map_error(error: &wasmi::Error) -> EngineFailure {
    if super::is_host_abort(error) {
        return EngineFailure::HostAbort;
    }
    // Segment initialisation reports out-of-bounds as instantiation or
    // table/memory errors rather than trap codes (found by the differential
    // fuzzer: an element segment past its table). The wasm trap they stand
    // for is the table's or the memory's out-of-bounds trap.
    match error.kind() {
        ErrorKind::Instantiation(InstantiationError::ElementSegmentDoesNotFit { .. })
        | ErrorKind::Table(
            TableError::InitOutOfBounds
            | TableError::FillOutOfBounds
            | TableError::SetOutOfBounds
            | TableError::CopyOutOfBounds,
        ) => return EngineFailure::Trap(TrapKind::TableOutOfBounds),
        ErrorKind::Memory(MemoryError::OutOfBoundsAccess) => {
            return EngineFailure::Trap(TrapKind::MemoryOutOfBounds);
        }
        _ => {}
    }
    let Some(code) = error.as_trap_code() else {
        return EngineFailure::NonDeterministic(NonDeterministic::EngineError(format!(
            "wasmi: {error}"
        )));
    };
    let kind = match code {
        TrapCode::UnreachableCodeReached => TrapKind::Unreachable,
        TrapCode::MemoryOutOfBounds => TrapKind::MemoryOutOfBounds,
        TrapCode::TableOutOfBounds => TrapKind::TableOutOfBounds,
        TrapCode::IndirectCallToNull => TrapKind::IndirectCallToNull,
        TrapCode::IntegerDivisionByZero => TrapKind::IntegerDivisionByZero,
        TrapCode::IntegerOverflow => TrapKind::IntegerOverflow,
        TrapCode::BadConversionToInteger => TrapKind::BadConversionToInteger,
        TrapCode::BadSignature => TrapKind::BadSignature,
        TrapCode::StackOverflow => {
            return EngineFailure::NonDeterministic(NonDeterministic::EngineError(
                "wasmi: native stack exhausted before the instrumented limit".into(),
            ));
        }
        TrapCode::OutOfSystemMemory => {
            return EngineFailure::NonDeterministic(NonDeterministic::OutOfMemory);
        }
        other => {
            return EngineFailure::NonDeterministic(NonDeterministic::EngineError(format!(
                "wasmi: unexpected trap {other:?}"
            )));
        }
    };
    EngineFailure::Trap(kind)
}
