//! The embedder host functions the corpus runs with: import module
//! [`MODULE`] (`"test"`), declared once with
//! [`HostFunctions::define`](runtime::HostFunctions::define) and linked by
//! every backend like the guest ABI's own table.
//!
//! Each function is small and its effect is written here, so the corpus's
//! expectations (`corpus/embedder.rs`) can be derived from this text: the
//! signature, the base gas (charged by the runtime before the closure
//! runs), what the closure charges and what it does.
//!
//! Pointers are `i32` read as unsigned (`u32`), as a wasm32 guest passes
//! them; the bounds rule is the ABI's (`ptr + len` at most the memory size,
//! so a zero-length access at `ptr > size` is a `MemoryAccessViolation`).
//!
//! | function | signature | base gas | effect |
//! |---|---|---:|---|
//! | `id_i32`, `id_i64`, `id_f32`, `id_f64` | `(t) -> t` | [`BASE_ID`] | returns its argument, bits unchanged (NaN payloads included) |
//! | `reverse` | `(i32, i64, f32, f64) -> (f64, f32, i64, i32)` | [`BASE_REVERSE`] | its arguments in reverse order |
//! | `describe` | `(i32, i64, f32, f64) -> ()` | [`BASE_DESCRIBE`] | logs its arguments as `TYPE:VALUE` (floats as bits), space-separated |
//! | `sum_bytes` | `(ptr: i32, len: i32) -> i64` | [`BASE_MEMORY`] | bounds check, charges `len` gas, returns the sum of the bytes |
//! | `fill` | `(ptr: i32, len: i32, byte: i32) -> ()` | [`BASE_MEMORY`] | bounds check, charges `len` gas, writes `len` copies of the low byte of `byte` |
//! | `burn` | `(amount: i64) -> ()` | 0 | charges `amount` (read as `u64`) gas |
//! | `fail` | `(code: i32) -> ()` | [`BASE_FAIL`] | fails with the embedder message `refused with code {code}` |
//! | `panic` | `() -> ()` | 0 | panics with [`PANIC_MESSAGE`] |
//! | `store` | `(key: i64, value: i64) -> i32` | [`BASE_STORE`] | sets storage key `key` (8 bytes, little-endian) to `value` (same) through the execution's overlay; 1 if a value was replaced, else 0 |
//! | `load` | `(key: i64) -> i64` | [`BASE_LOAD`] | the value of storage key `key` (8 bytes LE) read as an `i64` LE (shorter values zero-padded), or -1 if it is absent |
//! | `log_event` | `(n: i32) -> ()` | [`BASE_LOG_EVENT`] | logs `embedder log {n}` and emits an event of kind `embedder` with data `n` (4 bytes LE) |
//! | `to_register` | `(register: i64, value: i64) -> ()` | [`BASE_REGISTER`] | sets the register to `value` (8 bytes LE) |
//! | `data` | `() -> i64` | [`BASE_ID`] | the execution's embedder data if it is a `u64` (as `i64`), else -1 |
//! | `bad_results` | `() -> i32` | [`BASE_ID`] | returns an `i64`: a broken host function, which the runtime reports as an `Embedder` error naming the signature |

use runtime::{FuncSig, HostFnError, HostFunctions, RuntimeError, ValType, WasmValue};

/// The import module of the test functions.
pub const MODULE: &str = "test";
/// Base gas of the `id_*` functions, `data` and `bad_results`.
pub const BASE_ID: u64 = 1;
/// Base gas of `reverse`.
pub const BASE_REVERSE: u64 = 2;
/// Base gas of `describe`.
pub const BASE_DESCRIBE: u64 = 3;
/// Base gas of `sum_bytes` and `fill` (plus one gas per byte).
pub const BASE_MEMORY: u64 = 10;
/// Base gas of `fail`.
pub const BASE_FAIL: u64 = 5;
/// Base gas of `store`.
pub const BASE_STORE: u64 = 20;
/// Base gas of `load`.
pub const BASE_LOAD: u64 = 10;
/// Base gas of `log_event`.
pub const BASE_LOG_EVENT: u64 = 7;
/// Base gas of `to_register`.
pub const BASE_REGISTER: u64 = 4;
/// What `panic` panics with.
pub const PANIC_MESSAGE: &str = "the test embedder panicked on purpose";

/// Installs a panic hook that keeps `panic`'s deliberate panics (the
/// corpus's `HostPanic` cases, already reported as outcomes and as
/// `runtime::host` errors) out of stderr, and reports every other panic
/// with the hook it replaces. For binaries that run the corpus (the
/// `conformance` CLI, the test binary); a library never installs it.
pub fn quiet_deliberate_panics() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied());
        if message != Some(PANIC_MESSAGE) {
            report(info);
        }
    }));
}

use ValType::{F32, F64, I32, I64};

/// The `i32` argument `i` as an unsigned pointer or length.
fn u32_arg(args: &[WasmValue], i: usize) -> u64 {
    match args.get(i) {
        Some(WasmValue::I32(x)) => u64::from(*x as u32),
        // The runtime checks the arguments against the signature.
        _ => 0,
    }
}

fn i64_arg(args: &[WasmValue], i: usize) -> i64 {
    match args.get(i) {
        Some(WasmValue::I64(x)) => *x,
        _ => 0,
    }
}

/// The storage key of `key`: its 8 bytes, little-endian.
pub fn storage_key(key: i64) -> Vec<u8> {
    key.to_le_bytes().to_vec()
}

/// Every test function (see the module's table), after the guest ABI's.
///
/// # Errors
///
/// [`RuntimeError::InvalidConfig`] if a declaration is refused (a bug of
/// this list).
pub fn host_functions() -> Result<HostFunctions, RuntimeError> {
    let mut f = HostFunctions::abi();
    add_value_functions(&mut f)?;
    add_memory_and_gas_functions(&mut f)?;
    add_failing_functions(&mut f)?;
    add_state_functions(&mut f)?;
    Ok(f)
}

fn add_value_functions(f: &mut HostFunctions) -> Result<(), RuntimeError> {
    for (name, ty) in [
        ("id_i32", I32),
        ("id_i64", I64),
        ("id_f32", F32),
        ("id_f64", F64),
    ] {
        f.define(
            MODULE,
            name,
            FuncSig::new([ty], [ty]),
            BASE_ID,
            |_, args| Ok(args.to_vec()),
        )?;
    }
    f.define(
        MODULE,
        "reverse",
        FuncSig::new([I32, I64, F32, F64], [F64, F32, I64, I32]),
        BASE_REVERSE,
        |_, args| Ok(args.iter().rev().copied().collect()),
    )?;
    f.define(
        MODULE,
        "describe",
        FuncSig::new([I32, I64, F32, F64], []),
        BASE_DESCRIBE,
        |cx, args| {
            let line: Vec<String> = args.iter().map(ToString::to_string).collect();
            cx.log(line.join(" "))?;
            Ok(vec![])
        },
    )?;
    f.define(MODULE, "data", FuncSig::new([], [I64]), BASE_ID, |cx, _| {
        let value = cx.data::<u64>().map_or(-1, |d| *d as i64);
        Ok(vec![WasmValue::I64(value)])
    })?;
    Ok(())
}

fn add_memory_and_gas_functions(f: &mut HostFunctions) -> Result<(), RuntimeError> {
    f.define(
        MODULE,
        "sum_bytes",
        FuncSig::new([I32, I32], [I64]),
        BASE_MEMORY,
        |cx, args| {
            let (ptr, len) = (u32_arg(args, 0), u32_arg(args, 1));
            // The ABI's order: bounds, per-byte gas, then the work.
            cx.check_memory(ptr, len)?;
            cx.charge_gas(len)?;
            let bytes = cx.read_memory(ptr, len)?;
            let sum: u64 = bytes.iter().map(|&b| u64::from(b)).sum();
            Ok(vec![WasmValue::I64(sum as i64)])
        },
    )?;
    f.define(
        MODULE,
        "fill",
        FuncSig::new([I32, I32, I32], []),
        BASE_MEMORY,
        |cx, args| {
            let (ptr, len, byte) = (u32_arg(args, 0), u32_arg(args, 1), u32_arg(args, 2));
            cx.check_memory(ptr, len)?;
            cx.charge_gas(len)?;
            // In bounds, so `len` is at most the memory size.
            cx.write_memory(ptr, &vec![byte as u8; len as usize])?;
            Ok(vec![])
        },
    )?;
    f.define(MODULE, "burn", FuncSig::new([I64], []), 0, |cx, args| {
        cx.charge_gas(i64_arg(args, 0) as u64)?;
        Ok(vec![])
    })?;
    Ok(())
}

fn add_failing_functions(f: &mut HostFunctions) -> Result<(), RuntimeError> {
    f.define(
        MODULE,
        "fail",
        FuncSig::new([I32], []),
        BASE_FAIL,
        |_, args| {
            let code = match args.first() {
                Some(WasmValue::I32(code)) => *code,
                _ => 0,
            };
            Err(HostFnError::new(format!("refused with code {code}")))
        },
    )?;
    f.define(MODULE, "panic", FuncSig::new([], []), 0, |_, _| {
        panic!("{PANIC_MESSAGE}")
    })?;
    f.define(
        MODULE,
        "bad_results",
        FuncSig::new([], [I32]),
        BASE_ID,
        |_, _| Ok(vec![WasmValue::I64(0)]),
    )?;
    Ok(())
}

fn add_state_functions(f: &mut HostFunctions) -> Result<(), RuntimeError> {
    f.define(
        MODULE,
        "store",
        FuncSig::new([I64, I64], [I32]),
        BASE_STORE,
        |cx, args| {
            let key = storage_key(i64_arg(args, 0));
            let old = cx.storage_set(&key, i64_arg(args, 1).to_le_bytes().to_vec())?;
            Ok(vec![WasmValue::I32(i32::from(old.is_some()))])
        },
    )?;
    f.define(
        MODULE,
        "load",
        FuncSig::new([I64], [I64]),
        BASE_LOAD,
        |cx, args| {
            let value = cx.storage_get(&storage_key(i64_arg(args, 0)))?;
            let value = value.map_or(-1, |v| {
                let mut buf = [0u8; 8];
                for (b, v) in buf.iter_mut().zip(&v) {
                    *b = *v;
                }
                i64::from_le_bytes(buf)
            });
            Ok(vec![WasmValue::I64(value)])
        },
    )?;
    f.define(
        MODULE,
        "log_event",
        FuncSig::new([I32], []),
        BASE_LOG_EVENT,
        |cx, args| {
            let n = match args.first() {
                Some(WasmValue::I32(n)) => *n,
                _ => 0,
            };
            cx.log(format!("embedder log {n}"))?;
            cx.emit_event("embedder", n.to_le_bytes().to_vec())?;
            Ok(vec![])
        },
    )?;
    f.define(
        MODULE,
        "to_register",
        FuncSig::new([I64, I64], []),
        BASE_REGISTER,
        |cx, args| {
            cx.set_register(
                i64_arg(args, 0) as u64,
                i64_arg(args, 1).to_le_bytes().to_vec(),
            )?;
            Ok(vec![])
        },
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_function_is_declared_once_under_test() {
        let f = host_functions().expect("the test set declares");
        let names: Vec<&str> = f
            .entries()
            .iter()
            .filter(|e| e.module() == MODULE)
            .map(|e| e.name())
            .collect();
        assert_eq!(names.len(), 17, "{names:?}");
        assert_eq!(
            f.find(MODULE, "reverse").map(|(_, e)| e.sig().to_string()),
            Some("[i32, i64, f32, f64] -> [f64, f32, i64, i32]".to_owned())
        );
        // The ABI's table comes first, unchanged.
        assert_eq!(
            f.entries()[..16]
                .iter()
                .map(|e| e.name())
                .collect::<Vec<_>>(),
            HostFunctions::abi()
                .entries()
                .iter()
                .map(|e| e.name())
                .collect::<Vec<_>>()
        );
    }
}
