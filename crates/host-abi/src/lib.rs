//! The guest ABI, version 1: the functions a guest may import from the host,
//! declared once.
//!
//! This crate has no engine dependency. It is the single list of host
//! functions: `runtime-core` dispatches on [`HostFunction`], and every backend
//! registers its imports by iterating [`HostFunction::ALL`], so adding a host
//! function is one line in [`for_each_host_function!`] plus its logic in the
//! core, with no per-backend edit (the pattern of near-vm-runner's
//! `imports.rs`).
//!
//! The contract this table implements is `shared/ABI.md` of the project.
//!
//! ```
//! use host_abi::{HostFunction, IMPORT_MODULE};
//!
//! assert_eq!(IMPORT_MODULE, "env");
//! let f = HostFunction::from_name("storage_write").unwrap();
//! assert_eq!(f.params(), &["key_len", "key_ptr", "value_len", "value_ptr", "register_id"]);
//! assert!(f.has_result());
//! assert!(f.takes_pointer());
//! assert_eq!(HostFunction::ALL.len(), 16);
//! ```
//!
//! # Features
//!
//! None: the crate is `no_std`-friendly data and has no optional parts.

#![forbid(unsafe_code)]

/// The import module every host function lives in.
pub const IMPORT_MODULE: &str = "env";

/// The memory export a guest must provide when it imports any function that
/// takes a pointer.
pub const MEMORY_EXPORT: &str = "memory";

/// The version of this ABI. Part of the preparation cache key.
pub const ABI_VERSION: u32 = 1;

/// Calls `$m!` with the whole ABI table.
///
/// Each entry is `doc, snake_name, CamelName, (params...), has_result`. All
/// parameters and the optional result are wasm `i64`, read as `u64`.
///
/// This is the one place where host functions are listed. Expand it with a
/// macro of your own to generate anything that must follow the table.
#[macro_export]
macro_rules! for_each_host_function {
    ($m:ident) => {
        $m! {
            "Copy the register into memory at `ptr`; `InvalidRegisterId` if it is unset."
                read_register, ReadRegister, (register_id, ptr), false;
            "The register's length, or `u64::MAX` if it is unset."
                register_len, RegisterLen, (register_id), true;
            "Set the register from `len` bytes of memory at `ptr`."
                write_register, WriteRegister, (register_id, len, ptr), false;
            "Put the call's input bytes into the register."
                input, Input, (register_id), false;
            "Set the call's return data; a later call replaces it."
                value_return, ValueReturn, (len, ptr), false;
            "End the execution with `GuestPanic(message)`; `len = 0` is allowed."
                panic_utf8, PanicUtf8, (len, ptr), false;
            "Append one UTF-8 log line; `BadUtf8` if it is not UTF-8."
                log_utf8, LogUtf8, (len, ptr), false;
            "Append an event: a UTF-8 kind and opaque data."
                emit_event, EmitEvent, (kind_len, kind_ptr, data_len, data_ptr), false;
            "Set the key; `1` and the old value in the register if one was replaced, else `0`."
                storage_write, StorageWrite, (key_len, key_ptr, value_len, value_ptr, register_id), true;
            "`1` and the value in the register if the key exists, else `0`."
                storage_read, StorageRead, (key_len, key_ptr, register_id), true;
            "`1` and the old value in the register if the key existed, else `0`."
                storage_remove, StorageRemove, (key_len, key_ptr, register_id), true;
            "`1` if the key exists, else `0`."
                storage_has_key, StorageHasKey, (key_len, key_ptr), true;
            "The 32-byte SHA-256 of `len` bytes at `ptr`, into the register."
                sha256, Sha256, (len, ptr, register_id), false;
            "Fill `len` bytes at `ptr` with the next bytes of the seed's ChaCha20 keystream."
                random_bytes, RandomBytes, (len, ptr), false;
            "The context's timestamp in nanoseconds (given by the embedder)."
                time_now, TimeNow, (), true;
            "Gas remaining after this call's own charge."
                gas_left, GasLeft, (), true;
        }
    };
}

macro_rules! declare_host_functions {
    ($($doc:literal $name:ident, $camel:ident, ($($param:ident),*), $result:literal;)*) => {
        /// One function of the guest ABI.
        ///
        /// Deliberately exhaustive: the core matches on it without a
        /// wildcard, so a new table line fails to compile until its logic
        /// and cost exist.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum HostFunction {
            $(
                #[doc = $doc]
                $camel,
            )*
        }

        impl HostFunction {
            /// Every host function, in table order.
            pub const ALL: &'static [HostFunction] = &[$(HostFunction::$camel),*];

            /// The import name, in module [`IMPORT_MODULE`].
            pub const fn name(self) -> &'static str {
                match self {
                    $(HostFunction::$camel => stringify!($name),)*
                }
            }

            /// The parameter names, in order. Every parameter is an `i64`.
            pub const fn params(self) -> &'static [&'static str] {
                match self {
                    $(HostFunction::$camel => &[$(stringify!($param)),*],)*
                }
            }

            /// Whether the function returns one `i64` (else nothing).
            pub const fn has_result(self) -> bool {
                match self {
                    $(HostFunction::$camel => $result,)*
                }
            }

            /// The one-line documentation of the function.
            pub const fn doc(self) -> &'static str {
                match self {
                    $(HostFunction::$camel => $doc,)*
                }
            }
        }
    };
}

for_each_host_function!(declare_host_functions);

impl HostFunction {
    /// Looks a function up by its import name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|f| f.name() == name)
    }

    /// The number of `i64` parameters.
    pub fn param_count(self) -> usize {
        self.params().len()
    }

    /// The number of `i64` results (0 or 1).
    pub fn result_count(self) -> usize {
        usize::from(self.has_result())
    }

    /// Whether any parameter addresses guest memory (a `*ptr` parameter), so
    /// that a module importing it must export [`MEMORY_EXPORT`].
    pub fn takes_pointer(self) -> bool {
        self.params().iter().any(|p| p.ends_with("ptr"))
    }

    /// A stable small index of the function, its position in [`Self::ALL`].
    pub fn index(self) -> usize {
        Self::ALL
            .iter()
            .position(|f| *f == self)
            .expect("every HostFunction is in ALL")
    }
}

impl std::fmt::Display for HostFunction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_matches_abi_md() {
        // Written from shared/ABI.md, independently of the macro table.
        let expected: &[(&str, usize, bool)] = &[
            ("read_register", 2, false),
            ("register_len", 1, true),
            ("write_register", 3, false),
            ("input", 1, false),
            ("value_return", 2, false),
            ("panic_utf8", 2, false),
            ("log_utf8", 2, false),
            ("emit_event", 4, false),
            ("storage_write", 5, true),
            ("storage_read", 3, true),
            ("storage_remove", 3, true),
            ("storage_has_key", 2, true),
            ("sha256", 3, false),
            ("random_bytes", 2, false),
            ("time_now", 0, true),
            ("gas_left", 0, true),
        ];
        assert_eq!(HostFunction::ALL.len(), expected.len());
        for (f, (name, params, result)) in HostFunction::ALL.iter().zip(expected) {
            assert_eq!(f.name(), *name);
            assert_eq!(f.param_count(), *params, "{name}");
            assert_eq!(f.has_result(), *result, "{name}");
            assert_eq!(HostFunction::from_name(name), Some(*f));
            assert!(!f.doc().is_empty());
        }
    }

    #[test]
    fn pointer_taking_functions() {
        let with_ptr: Vec<_> = HostFunction::ALL
            .iter()
            .filter(|f| f.takes_pointer())
            .map(|f| f.name())
            .collect();
        assert_eq!(
            with_ptr,
            [
                "read_register",
                "write_register",
                "value_return",
                "panic_utf8",
                "log_utf8",
                "emit_event",
                "storage_write",
                "storage_read",
                "storage_remove",
                "storage_has_key",
                "sha256",
                "random_bytes"
            ]
        );
        assert_eq!(HostFunction::from_name("nope"), None);
    }
}
