//! `--args`: typed arguments as `CLI.md` writes them, comma-separated
//! `TYPE:VALUE`.
//!
//! Integers are decimal (signed or unsigned, so `i32:4294967295` and
//! `i32:-1` are the same bits) or `0x` hex; floats are decimal (`1.5`,
//! `-0`, `inf`, `nan`) or raw bits (`f64:bits:0x7ff8000000000001`). A bare
//! `nan` is the canonical quiet NaN (`0x7fc00000` / `0x7ff8000000000000`),
//! `-nan` its negation; payloads are given as bits.

use runtime::{ValType, WasmValue};

/// Parses a whole `--args` list; an empty string is no arguments.
///
/// # Errors
///
/// A message naming the first malformed argument.
pub fn parse_args(list: &str) -> Result<Vec<WasmValue>, String> {
    if list.trim().is_empty() {
        return Ok(Vec::new());
    }
    list.split(',').map(|a| parse_arg(a.trim())).collect()
}

/// Parses one `TYPE:VALUE`.
///
/// # Errors
///
/// A message naming the argument and what is wrong with it.
pub fn parse_arg(arg: &str) -> Result<WasmValue, String> {
    let bad = |why: &str| format!("--args: {arg:?}: {why}");
    let (ty, value) = arg
        .split_once(':')
        .ok_or_else(|| bad("expected TYPE:VALUE"))?;
    let ty = ValType::from_name(ty).ok_or_else(|| bad("TYPE is one of i32, i64, f32, f64"))?;
    if let Some(bits) = value.strip_prefix("bits:") {
        let bits = parse_unsigned(bits).ok_or_else(|| bad("bits must be an integer"))?;
        return match ty {
            ValType::F32 => u32::try_from(bits)
                .map(WasmValue::F32)
                .map_err(|_| bad("more than 32 bits")),
            ValType::F64 => Ok(WasmValue::F64(bits)),
            _ => Err(bad("bits: is for floats")),
        };
    }
    match ty {
        ValType::I32 => parse_int(value, 32)
            .map(|v| WasmValue::I32(v as u32 as i32))
            .ok_or_else(|| bad("not a 32-bit integer")),
        ValType::I64 => parse_int(value, 64)
            .map(|v| WasmValue::I64(v as i64))
            .ok_or_else(|| bad("not a 64-bit integer")),
        ValType::F32 => parse_float(value)
            .map(|v| WasmValue::F32(nan_or(v, 0x7fc0_0000, (v as f32).to_bits() as u64) as u32))
            .ok_or_else(|| bad("not a float")),
        ValType::F64 => parse_float(value)
            .map(|v| WasmValue::F64(nan_or(v, 0x7ff8_0000_0000_0000, v.to_bits())))
            .ok_or_else(|| bad("not a float")),
    }
}

/// The canonical NaN's bits (with the sign of `v`) for a NaN, else `bits`.
fn nan_or(v: f64, canonical: u64, bits: u64) -> u64 {
    if !v.is_nan() {
        return bits;
    }
    let sign = if v.is_sign_negative() {
        if canonical >> 32 == 0 {
            1 << 31
        } else {
            1 << 63
        }
    } else {
        0
    };
    canonical | sign
}

fn parse_unsigned(s: &str) -> Option<u64> {
    match s.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

/// An integer of `width` bits, signed or unsigned, as its low bits.
fn parse_int(s: &str, width: u32) -> Option<u64> {
    let (negative, digits) = match s.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, s),
    };
    let magnitude = parse_unsigned(digits)?;
    let max_unsigned = if width == 64 {
        u64::MAX
    } else {
        (1u64 << width) - 1
    };
    if negative {
        let min_magnitude = 1u64 << (width - 1);
        if magnitude > min_magnitude {
            return None;
        }
        Some(magnitude.wrapping_neg() & max_unsigned)
    } else if magnitude > max_unsigned {
        None
    } else {
        Some(magnitude)
    }
}

fn parse_float(s: &str) -> Option<f64> {
    match s {
        "nan" => Some(f64::NAN),
        "-nan" => Some(-f64::NAN),
        "inf" | "+inf" => Some(f64::INFINITY),
        "-inf" => Some(f64::NEG_INFINITY),
        _ => s.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form_of_cli_md() {
        let got = parse_args("i32:42, i32:-1, i32:4294967295, i64:0xff, f32:1.5, f64:-0, f64:inf, f32:nan, f64:bits:0x7ff8000000000001").unwrap();
        assert_eq!(
            got,
            [
                WasmValue::I32(42),
                WasmValue::I32(-1),
                WasmValue::I32(-1),
                WasmValue::I64(255),
                WasmValue::F32(0x3fc0_0000),
                WasmValue::F64(0x8000_0000_0000_0000),
                WasmValue::F64(0x7ff0_0000_0000_0000),
                WasmValue::F32(0x7fc0_0000),
                WasmValue::F64(0x7ff8_0000_0000_0001),
            ]
        );
        assert_eq!(parse_args("").unwrap(), []);
        for bad in [
            "i32",
            "i33:1",
            "i32:4294967296",
            "i32:-2147483649",
            "f32:bits:0x100000000",
            "i64:x",
            "i32:bits:1",
        ] {
            assert!(parse_args(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_arg("i32:-2147483648"), Ok(WasmValue::I32(i32::MIN)));
    }
}
