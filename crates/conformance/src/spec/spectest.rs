//! The host functions of the spec testsuite's `spectest` module, declared
//! through the embedder API ([`runtime::HostFunctions::define`]).
//!
//! The reference interpreter's `spectest` module exports the `print*`
//! functions (which print their arguments), the globals `global_i32`,
//! `global_i64`, `global_f32` and `global_f64`, a table and a memory. The
//! runtime links functions only, so only the functions are here: no-ops
//! with the reference signatures and no gas of their own (printing is not
//! part of any assertion). Modules importing the globals, the table or the
//! memory stay in the skip table ([`super::skips`]).

use runtime::{FuncSig, HostFunctions, RuntimeError, ValType};

/// The import module.
pub const MODULE: &str = "spectest";

/// The `print*` functions and their parameters (none returns anything).
pub const FUNCTIONS: &[(&str, &[ValType])] = &[
    ("print", &[]),
    ("print_i32", &[ValType::I32]),
    ("print_i64", &[ValType::I64]),
    ("print_f32", &[ValType::F32]),
    ("print_f64", &[ValType::F64]),
    ("print_i32_f32", &[ValType::I32, ValType::F32]),
    ("print_f64_f64", &[ValType::F64, ValType::F64]),
];

/// The guest ABI's functions and the `spectest` functions.
///
/// # Errors
///
/// [`RuntimeError::InvalidConfig`] if a declaration is refused (a bug of
/// this list).
pub fn host_functions() -> Result<HostFunctions, RuntimeError> {
    let mut functions = HostFunctions::abi();
    for (name, params) in FUNCTIONS {
        functions.define(
            MODULE,
            name,
            FuncSig::new(params.iter().copied(), []),
            0,
            |_, _| Ok(Vec::new()),
        )?;
    }
    Ok(functions)
}
