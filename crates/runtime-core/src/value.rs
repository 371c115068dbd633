//! Wasm number values and function signatures, engine-neutral.

use std::fmt;

/// A wasm number type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ValType {
    /// `i32`.
    I32,
    /// `i64`.
    I64,
    /// `f32`.
    F32,
    /// `f64`.
    F64,
}

impl ValType {
    /// `i32`, `i64`, `f32` or `f64`.
    pub const fn name(self) -> &'static str {
        match self {
            ValType::I32 => "i32",
            ValType::I64 => "i64",
            ValType::F32 => "f32",
            ValType::F64 => "f64",
        }
    }

    /// Parses [`ValType::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        [ValType::I32, ValType::I64, ValType::F32, ValType::F64]
            .into_iter()
            .find(|t| t.name() == name)
    }

    pub(crate) fn code(self) -> u8 {
        match self {
            ValType::I32 => 0x7f,
            ValType::I64 => 0x7e,
            ValType::F32 => 0x7d,
            ValType::F64 => 0x7c,
        }
    }
}

impl fmt::Display for ValType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A value of a wasm number type; floats as their bits, so NaN payloads
/// compare exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WasmValue {
    /// An `i32`.
    I32(i32),
    /// An `i64`.
    I64(i64),
    /// An `f32`, as bits.
    F32(u32),
    /// An `f64`, as bits.
    F64(u64),
}

impl WasmValue {
    /// The value's type.
    pub const fn ty(self) -> ValType {
        match self {
            WasmValue::I32(_) => ValType::I32,
            WasmValue::I64(_) => ValType::I64,
            WasmValue::F32(_) => ValType::F32,
            WasmValue::F64(_) => ValType::F64,
        }
    }

    /// The value's bits, zero-extended to 64 (for digests and host calls).
    pub const fn bits(self) -> u64 {
        match self {
            WasmValue::I32(x) => x as u32 as u64,
            WasmValue::I64(x) => x as u64,
            WasmValue::F32(b) => b as u64,
            WasmValue::F64(b) => b,
        }
    }

    /// The value as an `i64` read as `u64`, if it is one (ABI arguments).
    pub const fn as_u64(self) -> Option<u64> {
        match self {
            WasmValue::I64(x) => Some(x as u64),
            _ => None,
        }
    }
}

/// `TYPE:VALUE` as `CLI.md` prints results: integers in signed decimal,
/// floats as raw bits (`f32:bits:0x7fc00000`) so NaN payloads are exact.
impl fmt::Display for WasmValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WasmValue::I32(x) => write!(f, "i32:{x}"),
            WasmValue::I64(x) => write!(f, "i64:{x}"),
            WasmValue::F32(b) => write!(f, "f32:bits:{b:#010x}"),
            WasmValue::F64(b) => write!(f, "f64:bits:{b:#018x}"),
        }
    }
}

/// A function signature over number types.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct FuncSig {
    /// Parameter types, in order.
    pub params: Vec<ValType>,
    /// Result types, in order.
    pub results: Vec<ValType>,
}

impl FuncSig {
    /// A signature.
    pub fn new(
        params: impl IntoIterator<Item = ValType>,
        results: impl IntoIterator<Item = ValType>,
    ) -> Self {
        Self {
            params: params.into_iter().collect(),
            results: results.into_iter().collect(),
        }
    }

    /// Whether `values` have exactly the types of [`FuncSig::params`].
    pub fn accepts(&self, values: &[WasmValue]) -> bool {
        values.len() == self.params.len()
            && values.iter().zip(&self.params).all(|(v, t)| v.ty() == *t)
    }

    /// The number of parameters, when every parameter and result is `i64`
    /// and there is at most one result, and whether there is a result: the
    /// shape of every guest-ABI function, which backends link as typed
    /// closures around [`call_import_i64`](crate::backend::call_import_i64).
    pub fn i64_shape(&self) -> Option<(usize, bool)> {
        let all_i64 = self
            .params
            .iter()
            .chain(&self.results)
            .all(|t| *t == ValType::I64);
        (all_i64 && self.results.len() <= 1)
            .then_some((self.params.len(), !self.results.is_empty()))
    }
}

impl fmt::Display for FuncSig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |ts: &[ValType]| ts.iter().map(|t| t.name()).collect::<Vec<_>>().join(", ");
        write!(f, "[{}] -> [{}]", list(&self.params), list(&self.results))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_the_cli_format() {
        assert_eq!(WasmValue::I32(-1).to_string(), "i32:-1");
        assert_eq!(WasmValue::I64(42).to_string(), "i64:42");
        assert_eq!(
            WasmValue::F32(0x7fc0_0000).to_string(),
            "f32:bits:0x7fc00000"
        );
        assert_eq!(
            WasmValue::F64(0x7ff8_0000_0000_0001).to_string(),
            "f64:bits:0x7ff8000000000001"
        );
        let sig = FuncSig::new([ValType::I64, ValType::F64], [ValType::I32]);
        assert_eq!(sig.to_string(), "[i64, f64] -> [i32]");
        assert!(sig.accepts(&[WasmValue::I64(1), WasmValue::F64(0)]));
        assert!(!sig.accepts(&[WasmValue::I64(1)]));
        assert!(!sig.accepts(&[WasmValue::I32(1), WasmValue::F64(0)]));
    }

    #[test]
    fn i64_shape_is_all_i64_with_at_most_one_result() {
        use ValType::{F64, I32, I64};
        assert_eq!(FuncSig::new([], []).i64_shape(), Some((0, false)));
        assert_eq!(FuncSig::new([I64; 5], [I64]).i64_shape(), Some((5, true)));
        assert_eq!(FuncSig::new([I64, I64], []).i64_shape(), Some((2, false)));
        assert_eq!(FuncSig::new([I64], [I64, I64]).i64_shape(), None);
        assert_eq!(FuncSig::new([I32], []).i64_shape(), None);
        assert_eq!(FuncSig::new([I64], [F64]).i64_shape(), None);
        // Every function of the guest ABI has this shape.
        for f in host_abi::HostFunction::ALL {
            let sig = FuncSig::new(vec![I64; f.param_count()], vec![I64; f.result_count()]);
            assert_eq!(
                sig.i64_shape(),
                Some((f.param_count(), f.result_count() == 1))
            );
        }
    }
}
