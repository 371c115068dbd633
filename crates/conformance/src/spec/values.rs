//! Values of `.wast` scripts: arguments, expected results (with NaN
//! patterns) and the spec's trap messages, mapped to the runtime's types.

use runtime::{TrapKind, WasmValue};
use wast::core::{NanPattern, WastArgCore, WastRetCore};
use wast::{WastArg, WastRet};

/// An argument as a [`WasmValue`]; `Err` names an argument type outside the
/// runtime's number types (references, `v128`).
pub(super) fn argument(arg: &WastArg<'_>) -> Result<WasmValue, String> {
    match arg {
        WastArg::Core(WastArgCore::I32(x)) => Ok(WasmValue::I32(*x)),
        WastArg::Core(WastArgCore::I64(x)) => Ok(WasmValue::I64(*x)),
        WastArg::Core(WastArgCore::F32(x)) => Ok(WasmValue::F32(x.bits)),
        WastArg::Core(WastArgCore::F64(x)) => Ok(WasmValue::F64(x.bits)),
        other => Err(format!("unsupported argument {other:?}")),
    }
}

/// A [`WasmValue`] as the spec interpreter prints it (floats as bits too, so
/// NaN payloads show).
pub(super) fn show(value: &WasmValue) -> String {
    match value {
        WasmValue::I32(x) => format!("i32:{x}"),
        WasmValue::I64(x) => format!("i64:{x}"),
        WasmValue::F32(bits) => format!("f32:{}({bits:#010x})", f32::from_bits(*bits)),
        WasmValue::F64(bits) => format!("f64:{}({bits:#018x})", f64::from_bits(*bits)),
    }
}

/// Several values, comma-separated in brackets.
pub(super) fn show_all(values: &[WasmValue]) -> String {
    let items: Vec<String> = values.iter().map(show).collect();
    format!("[{}]", items.join(", "))
}

/// An expected result as text.
pub(super) fn show_expected(ret: &WastRet<'_>) -> String {
    match ret {
        WastRet::Core(core) => show_core(core),
        other => format!("{other:?}"),
    }
}

fn show_nan<T>(ty: &str, pattern: &NanPattern<T>, value: impl Fn(&T) -> String) -> String {
    match pattern {
        NanPattern::CanonicalNan => format!("{ty}:nan:canonical"),
        NanPattern::ArithmeticNan => format!("{ty}:nan:arithmetic"),
        NanPattern::Value(v) => value(v),
    }
}

fn show_core(ret: &WastRetCore<'_>) -> String {
    match ret {
        WastRetCore::I32(x) => show(&WasmValue::I32(*x)),
        WastRetCore::I64(x) => show(&WasmValue::I64(*x)),
        WastRetCore::F32(p) => show_nan("f32", p, |v| show(&WasmValue::F32(v.bits))),
        WastRetCore::F64(p) => show_nan("f64", p, |v| show(&WasmValue::F64(v.bits))),
        WastRetCore::Either(options) => {
            let items: Vec<String> = options.iter().map(show_core).collect();
            format!("(either {})", items.join(" "))
        }
        other => format!("{other:?}"),
    }
}

/// Whether `expected` lists only number results (anything else — references,
/// `v128` — is outside the runtime's value types).
pub(super) fn supported_expectation(expected: &WastRet<'_>) -> bool {
    fn core(ret: &WastRetCore<'_>) -> bool {
        match ret {
            WastRetCore::I32(_)
            | WastRetCore::I64(_)
            | WastRetCore::F32(_)
            | WastRetCore::F64(_) => true,
            WastRetCore::Either(options) => options.iter().all(core),
            _ => false,
        }
    }
    matches!(expected, WastRet::Core(c) if core(c))
}

const F32_SIGNLESS: u32 = 0x7fff_ffff;
const F32_CANONICAL: u32 = 0x7fc0_0000;
const F64_SIGNLESS: u64 = 0x7fff_ffff_ffff_ffff;
const F64_CANONICAL: u64 = 0x7ff8_0000_0000_0000;

/// Whether `actual` matches `expected`.
///
/// Floats compare by bits. `nan:canonical` is the canonical NaN of either
/// sign; `nan:arithmetic` any quiet NaN (exponent all ones, top fraction bit
/// set), as the spec defines them. In prepared mode every NaN an arithmetic
/// operator produces is the positive canonical NaN, which satisfies both.
pub(super) fn matches(expected: &WastRet<'_>, actual: &WasmValue) -> bool {
    match expected {
        WastRet::Core(core) => matches_core(core, actual),
        _ => false,
    }
}

fn matches_core(expected: &WastRetCore<'_>, actual: &WasmValue) -> bool {
    match (expected, actual) {
        (WastRetCore::I32(e), WasmValue::I32(a)) => e == a,
        (WastRetCore::I64(e), WasmValue::I64(a)) => e == a,
        (WastRetCore::F32(p), WasmValue::F32(bits)) => match p {
            NanPattern::CanonicalNan => bits & F32_SIGNLESS == F32_CANONICAL,
            NanPattern::ArithmeticNan => bits & F32_CANONICAL == F32_CANONICAL,
            NanPattern::Value(v) => v.bits == *bits,
        },
        (WastRetCore::F64(p), WasmValue::F64(bits)) => match p {
            NanPattern::CanonicalNan => bits & F64_SIGNLESS == F64_CANONICAL,
            NanPattern::ArithmeticNan => bits & F64_CANONICAL == F64_CANONICAL,
            NanPattern::Value(v) => v.bits == *bits,
        },
        (WastRetCore::Either(options), actual) => options.iter().any(|o| matches_core(o, actual)),
        _ => false,
    }
}

/// The trap kind a spec trap message names, or `None` for a message this
/// runtime has no kind for.
///
/// The spec interpreter's messages: `undefined element` is a `call_indirect`
/// index past the table's end (a table bounds check), `uninitialized element`
/// a null entry.
pub(super) fn trap_kind(message: &str) -> Option<TrapKind> {
    const KINDS: &[(&str, TrapKind)] = &[
        ("unreachable", TrapKind::Unreachable),
        ("out of bounds memory access", TrapKind::MemoryOutOfBounds),
        ("out of bounds table access", TrapKind::TableOutOfBounds),
        ("undefined element", TrapKind::TableOutOfBounds),
        ("uninitialized element", TrapKind::IndirectCallToNull),
        ("indirect call type mismatch", TrapKind::BadSignature),
        ("integer overflow", TrapKind::IntegerOverflow),
        ("integer divide by zero", TrapKind::IntegerDivisionByZero),
        (
            "invalid conversion to integer",
            TrapKind::BadConversionToInteger,
        ),
    ];
    KINDS
        .iter()
        .find(|(prefix, _)| message.starts_with(prefix))
        .map(|(_, kind)| *kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_patterns() {
        let canonical = WastRetCore::F32(NanPattern::CanonicalNan);
        let arithmetic = WastRetCore::F32(NanPattern::ArithmeticNan);
        for bits in [0x7fc0_0000u32, 0xffc0_0000] {
            assert!(matches_core(&canonical, &WasmValue::F32(bits)));
            assert!(matches_core(&arithmetic, &WasmValue::F32(bits)));
        }
        // A quiet NaN with a payload is arithmetic, not canonical.
        assert!(!matches_core(&canonical, &WasmValue::F32(0x7fc0_0001)));
        assert!(matches_core(&arithmetic, &WasmValue::F32(0x7fc0_0001)));
        // A signalling NaN is neither; a number is neither.
        assert!(!matches_core(&arithmetic, &WasmValue::F32(0x7f80_0001)));
        assert!(!matches_core(
            &arithmetic,
            &WasmValue::F32(1.0f32.to_bits())
        ));
        let canonical = WastRetCore::F64(NanPattern::CanonicalNan);
        assert!(matches_core(&canonical, &WasmValue::F64(F64_CANONICAL)));
        assert!(!matches_core(&canonical, &WasmValue::F32(F32_CANONICAL)));
    }

    #[test]
    fn trap_messages() {
        assert_eq!(
            trap_kind("uninitialized element 2"),
            Some(TrapKind::IndirectCallToNull)
        );
        assert_eq!(
            trap_kind("undefined element"),
            Some(TrapKind::TableOutOfBounds)
        );
        assert_eq!(trap_kind("call stack exhausted"), None);
    }
}
