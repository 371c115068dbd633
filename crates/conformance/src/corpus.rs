//! The cross-backend guest corpus: each case is a guest, an export, the
//! inputs, and the outcome `ABI.md` implies, written from the spec (gas from
//! the [`GasSchedule`], digests from standard test vectors, randomness from
//! the ChaCha20 definition), never copied from a run.
//!
//! The same list drives `conformance suite` and the per-backend tests
//! (`tests/corpus.rs`, one test per case and backend).

use host_abi::HostFunction;
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use std::sync::Arc;

use runtime::{
    ExecutionContext, GasSchedule, HostError, Limits, ModuleLimits, RejectionKind, TrapKind,
};

use crate::expect::Expect;
use crate::runner::{Invocation, guest_bytes};

/// A guest of `crates/conformance/guests/`, embedded in the binary:
/// `guest!("name")` is `guests/name.wat`, `guest!(c "name")` the C guest
/// `guests/c/name.wasm` (built by `guests/c/build.sh`). The one macro for
/// every corpus file (defined before the submodules, so they see it).
macro_rules! guest {
    ($name:literal) => {
        $crate::corpus::Guest::File(
            concat!($name, ".wat"),
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/guests/",
                $name,
                ".wat"
            )),
        )
    };
    (c $name:literal) => {
        $crate::corpus::Guest::Bytes(include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/guests/c/",
            $name,
            ".wasm"
        )))
    };
}

mod adversarial;
mod apps;
mod determinism;
mod embedder;
mod hostile;
pub mod shape;
mod static_limits;
use adversarial::adversarial_cases;
use apps::app_cases;
use determinism::determinism_cases;
use hostile::hostile_cases;
use shape::ModuleShape;
use static_limits::static_limit_cases;

/// Where a case's module comes from.
#[derive(Clone, Debug)]
pub enum Guest {
    /// A file of `crates/conformance/guests/`, embedded: its name and text.
    File(&'static str, &'static str),
    /// A small WAT module written in the case.
    Wat(&'static str),
    /// Raw bytes (for malformed modules).
    Bytes(&'static [u8]),
    /// A module generated in Rust (too big or too odd for WAT): a name for
    /// tables and the generator.
    Generated(&'static str, fn() -> Vec<u8>),
    /// A module described by a [`ModuleShape`], built when it runs: a name
    /// for tables and the shape.
    Shape(&'static str, Arc<ModuleShape>),
}

impl Guest {
    /// The module's bytes.
    ///
    /// # Panics
    ///
    /// If embedded WAT does not parse: the corpus is fixed, so this is
    /// caught by every test run.
    pub fn wasm(&self) -> Vec<u8> {
        match self {
            Guest::File(name, text) => guest_bytes(text.as_bytes())
                .unwrap_or_else(|e| panic!("corpus guest {name} does not parse: {e}")),
            Guest::Wat(text) => {
                guest_bytes(text.as_bytes()).unwrap_or_else(|e| panic!("inline guest: {e}"))
            }
            Guest::Bytes(bytes) => bytes.to_vec(),
            Guest::Generated(_, generate) => generate(),
            Guest::Shape(_, shape) => shape.build(),
        }
    }

    /// A short name for tables.
    pub fn name(&self) -> &'static str {
        match self {
            Guest::File(name, _) => name,
            Guest::Wat(_) => "(inline)",
            Guest::Bytes(_) => "(bytes)",
            Guest::Generated(name, _) | Guest::Shape(name, _) => name,
        }
    }
}

/// One corpus case.
#[derive(Clone, Debug)]
pub struct Case {
    /// Unique name, `guest.export` or a description.
    pub name: String,
    /// The module.
    pub guest: Guest,
    /// The export to call.
    pub call: &'static str,
    /// Typed arguments (`None`: an ABI call of a `[] -> []` export).
    pub args: Option<Vec<runtime::WasmValue>>,
    /// Input, seed, time and execution limits.
    pub context: ExecutionContext,
    /// The limits the module is prepared under.
    pub module_limits: ModuleLimits,
    /// Storage before the call.
    pub pre_state: Vec<(Vec<u8>, Vec<u8>)>,
    /// The expected outcome.
    pub expect: Expect,
}

impl Case {
    fn new(name: &str, guest: Guest, call: &'static str, expect: Expect) -> Self {
        Self {
            name: name.to_owned(),
            guest,
            call,
            args: None,
            context: ExecutionContext::default(),
            module_limits: ModuleLimits::default(),
            pre_state: Vec::new(),
            expect,
        }
    }

    fn input(mut self, input: &[u8]) -> Self {
        self.context.input = input.to_vec();
        self
    }

    fn limits(mut self, change: impl FnOnce(&mut Limits)) -> Self {
        let mut limits = Limits {
            module: self.module_limits.clone(),
            execution: self.context.limits.clone(),
            ..Limits::default()
        };
        change(&mut limits);
        self.module_limits = limits.module;
        self.context.limits = limits.execution;
        self
    }

    fn state(mut self, entries: &[(&[u8], &[u8])]) -> Self {
        self.pre_state = entries
            .iter()
            .map(|(k, v)| (k.to_vec(), v.to_vec()))
            .collect();
        self
    }

    /// The invocation this case runs.
    pub fn invocation(&self) -> Invocation {
        Invocation {
            wasm: self.guest.wasm(),
            call: self.call.to_owned(),
            args: self.args.clone(),
            context: self.context.clone(),
            module_limits: self.module_limits.clone(),
            pre_state: self.pre_state.clone(),
        }
    }
}

fn le(v: u64) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}

fn kv(k: &[u8], v: Option<&[u8]>) -> (Vec<u8>, Option<Vec<u8>>) {
    (k.to_vec(), v.map(<[u8]>::to_vec))
}

/// The corpus, with expectations under `schedule` (the default one in the
/// CLI and tests).
pub fn cases(s: &GasSchedule) -> Vec<Case> {
    let base = |f: HostFunction| s.host_base(f);
    let mut cases = Vec::new();
    cases.extend(register_cases(s, &base));
    cases.extend(storage_cases(s, &base));
    cases.extend(log_and_event_cases(s, &base));
    cases.extend(misc_host_cases(s, &base));
    cases.extend(trap_cases());
    cases.extend(rejection_cases());
    cases.extend(static_limit_cases());
    cases.extend(determinism_cases(s, &base));
    cases.extend(app_cases(s, &base));
    cases.extend(adversarial_cases(s, &base));
    cases.extend(hostile_cases(s, &base));
    cases.extend(embedder::embedder_cases(s, &base));
    cases
}

fn register_cases(s: &GasSchedule, base: &dyn Fn(HostFunction) -> u64) -> Vec<Case> {
    use HostFunction::*;
    let o = &s.operators;
    let g = || guest!("registers");
    vec![
        Case::new(
            "registers.echo_input",
            g(),
            "echo_input",
            // Guest code: 7 simple operators and 4 calls, one basic block.
            Expect::ok().returns(*b"hello").gas(
                7 * o.simple
                    + 4 * o.call
                    + base(Input)
                    + 5 * s.register_byte
                    + base(RegisterLen)
                    + base(ReadRegister)
                    + 5 * s.memory_write_byte
                    + base(ValueReturn)
                    + 5 * s.memory_read_byte,
            ),
        )
        .input(b"hello"),
        Case::new(
            "registers.echo_empty_input",
            g(),
            "echo_input",
            Expect::ok(),
        ),
        Case::new(
            "registers.len_of_unset",
            g(),
            "len_of_unset",
            Expect::ok().returns(le(u64::MAX)),
        ),
        Case::new(
            "registers.read_unset",
            g(),
            "read_unset",
            Expect::host_error(HostError::InvalidRegisterId)
                .gas(2 * o.simple + o.call + base(ReadRegister)),
        ),
        Case::new(
            "registers.write_read",
            g(),
            "write_read",
            Expect::ok().returns(*b"abc"),
        ),
        Case::new(
            "registers.read_out_of_bounds",
            g(),
            "read_out_of_bounds",
            Expect::host_error(HostError::MemoryAccessViolation),
        ),
        Case::new(
            "registers.write_overflowing_range",
            g(),
            "write_overflowing_range",
            Expect::host_error(HostError::MemoryAccessViolation)
                .gas(3 * o.simple + o.call + base(WriteRegister)),
        ),
        Case::new(
            "registers.empty_at_end",
            g(),
            "empty_at_end",
            Expect::ok().returns(le(0)),
        ),
        Case::new(
            "registers.empty_past_end",
            g(),
            "empty_past_end",
            Expect::host_error(HostError::MemoryAccessViolation),
        ),
        // 64 registers fit, the 65th does not: its base gas is charged,
        // its per-byte gas is not (limits come first). Each iteration's
        // block (7 simple operators, a call and a `br`) is charged before it runs.
        Case::new(
            "registers.too_many",
            g(),
            "many_registers",
            Expect::host_error(HostError::TooManyRegisters).gas(
                65 * (8 * o.simple + o.call) + 65 * base(WriteRegister) + 64 * s.memory_read_byte,
            ),
        ),
        Case::new(
            "registers.size_exceeded",
            g(),
            "big_register",
            Expect::host_error(HostError::RegisterSizeExceeded),
        )
        .limits(|l| l.execution.max_register_size = 10),
        Case::new(
            "registers.memory_exceeded",
            g(),
            "registers_memory",
            Expect::host_error(HostError::RegistersMemoryExceeded),
        )
        .limits(|l| l.execution.max_registers_memory = 20),
    ]
}

fn storage_cases(s: &GasSchedule, base: &dyn Fn(HostFunction) -> u64) -> Vec<Case> {
    use HostFunction::*;
    let o = &s.operators;
    let g = || guest!("storage");
    vec![
        Case::new(
            "storage.write_read",
            g(),
            "write_read",
            Expect::ok()
                .returns(*b"\x00\x01\x01v")
                .changes([kv(b"k", Some(b"v"))])
                .gas(
                    // Guest code: 17 simple operators and 8 calls in the
                    // export, 3 calls of $byte (2 simple, 1 store).
                    17 * o.simple
                        + 8 * o.call
                        + 3 * (2 * o.simple + o.memory_access)
                        + base(StorageWrite)
                        + (s.memory_read_byte + s.storage_key_byte)
                        + (s.memory_read_byte + s.storage_value_byte)
                        + base(StorageHasKey)
                        + (s.memory_read_byte + s.storage_key_byte)
                        + base(StorageRead)
                        + (s.memory_read_byte + s.storage_key_byte)
                        + s.storage_value_byte
                        + s.register_byte
                        + base(ReadRegister)
                        + s.memory_write_byte
                        + base(ValueReturn)
                        + 4 * s.memory_read_byte,
                ),
        ),
        Case::new(
            "storage.replace",
            g(),
            "replace",
            Expect::ok()
                .returns(*b"\x01old")
                .changes([kv(b"k", Some(b"new"))]),
        )
        .state(&[(b"k", b"old"), (b"z", b"other")]),
        Case::new(
            "storage.remove",
            g(),
            "remove",
            Expect::ok().returns(*b"\x01v").changes([kv(b"k", None)]),
        )
        .state(&[(b"k", b"v")]),
        Case::new(
            "storage.absent",
            g(),
            "absent",
            Expect::ok().returns([vec![0, 0], le(u64::MAX)].concat()),
        ),
        Case::new(
            "storage.write_then_remove",
            g(),
            "write_then_remove",
            Expect::ok(),
        ),
        Case::new("storage.write_same", g(), "write_same", Expect::ok()).state(&[(b"k", b"v")]),
        Case::new(
            "storage.empty_key_value",
            g(),
            "empty_key_value",
            Expect::ok()
                .changes([kv(b"", Some(b""))])
                .gas(6 * o.simple + o.call + base(StorageWrite)),
        ),
        Case::new(
            "storage.write_then_panic",
            g(),
            "write_then_panic",
            Expect::panic("boom"),
        )
        .state(&[(b"k", b"v")]),
        Case::new(
            "storage.write_then_trap",
            g(),
            "write_then_trap",
            Expect::trap(TrapKind::Unreachable),
        )
        .state(&[(b"k", b"v")]),
        Case::new(
            "storage.key_length_exceeded",
            g(),
            "long_key",
            // The block (with the `drop` after the failing call) is charged
            // before it runs.
            Expect::host_error(HostError::KeyLengthExceeded)
                .gas(6 * o.simple + o.call + base(StorageWrite)),
        )
        .limits(|l| l.execution.max_key_len = 4),
        Case::new(
            "storage.value_length_exceeded",
            g(),
            "long_value",
            Expect::host_error(HostError::ValueLengthExceeded),
        )
        .limits(|l| l.execution.max_value_len = 4),
        Case::new(
            "storage.key_out_of_bounds",
            g(),
            "key_out_of_bounds",
            Expect::host_error(HostError::MemoryAccessViolation),
        ),
        Case::new(
            "storage.value_overflowing_range",
            g(),
            "value_overflowing_range",
            Expect::host_error(HostError::MemoryAccessViolation),
        ),
        Case::new(
            "storage.huge_length",
            g(),
            "huge_length",
            Expect::host_error(HostError::MemoryAccessViolation)
                .gas(3 * o.simple + o.call + base(StorageHasKey)),
        ),
        Case::new(
            "counter.increment",
            guest!("counter"),
            "increment",
            Expect::ok()
                .returns(le(42))
                .events([("count", le(42))])
                .changes([kv(b"count", Some(&le(42)))]),
        )
        .state(&[(b"count", &41u64.to_le_bytes())]),
        Case::new(
            "counter.first_increment",
            guest!("counter"),
            "increment",
            Expect::ok()
                .returns(le(1))
                .events([("count", le(1))])
                .changes([kv(b"count", Some(&le(1)))]),
        ),
    ]
}

fn log_and_event_cases(s: &GasSchedule, base: &dyn Fn(HostFunction) -> u64) -> Vec<Case> {
    use HostFunction::*;
    let o = &s.operators;
    let g = || guest!("logs_events");
    vec![
        Case::new(
            "logs.hello",
            g(),
            "hello",
            Expect::ok()
                .logs(["hello"])
                .gas(2 * o.simple + o.call + base(LogUtf8) + 5 * (s.memory_read_byte + s.log_byte)),
        ),
        Case::new(
            "logs.bad_utf8",
            g(),
            "log_bad_utf8",
            Expect::host_error(HostError::BadUtf8).logs(["hello"]),
        ),
        Case::new(
            "logs.too_many",
            g(),
            "log_forever",
            Expect::host_error(HostError::TooManyLogs).logs(vec!["hello"; 100]),
        ),
        Case::new(
            "logs.total_length_exceeded",
            g(),
            "log_forever",
            Expect::host_error(HostError::TotalLogLengthExceeded).logs(["hello", "hello"]),
        )
        .limits(|l| l.execution.max_total_log_len = 12),
        Case::new(
            "events.transfer",
            g(),
            "transfer",
            Expect::ok()
                .events([("transfer", vec![0x00, 0xff])])
                .logs(["hello"]),
        ),
        Case::new(
            "events.bad_utf8_kind",
            g(),
            "event_bad_utf8_kind",
            Expect::host_error(HostError::BadUtf8),
        ),
        Case::new(
            "events.too_many",
            g(),
            "event_forever",
            Expect::host_error(HostError::TooManyEvents),
        ),
        Case::new(
            "events.kind_and_data_at_limit",
            g(),
            "event_13_bytes",
            Expect::ok().events([("transfer", b"hello".to_vec())]),
        )
        .limits(|l| l.execution.max_event_len = 13),
        Case::new(
            "events.kind_and_data_over_limit",
            g(),
            "event_13_bytes",
            Expect::host_error(HostError::EventDataLengthExceeded),
        )
        .limits(|l| l.execution.max_event_len = 12),
        Case::new(
            "events.dropped_on_trap",
            g(),
            "event_then_trap",
            Expect::trap(TrapKind::Unreachable).logs(["hello"]),
        ),
        Case::new(
            "panic.message",
            g(),
            "panic",
            Expect::panic("boom").logs(["hello"]),
        ),
        Case::new(
            "panic.empty",
            g(),
            "panic_empty",
            Expect::panic("").gas(2 * o.simple + o.call + base(PanicUtf8)),
        ),
        Case::new(
            "panic.bad_utf8",
            g(),
            "panic_bad_utf8",
            Expect::host_error(HostError::BadUtf8),
        ),
        Case::new(
            "panic.out_of_bounds",
            g(),
            "panic_out_of_bounds",
            Expect::host_error(HostError::MemoryAccessViolation),
        ),
        Case::new(
            "return.twice",
            g(),
            "return_twice",
            Expect::ok().returns(*b"hello"),
        ),
    ]
}

fn misc_host_cases(s: &GasSchedule, base: &dyn Fn(HostFunction) -> u64) -> Vec<Case> {
    use HostFunction::*;
    let o = &s.operators;
    let gas_block = 3 * o.simple + 2 * o.call + o.memory_access;
    let g = || guest!("host_misc");
    let seed = [7u8; 32];
    // ABI.md: the bytes of one fill_bytes call of a fresh ChaCha20Rng.
    let mut keystream = [0u8; 32];
    ChaCha20Rng::from_seed(seed).fill_bytes(&mut keystream);
    let mut random = Case::new(
        "random.three_calls_are_one_stream",
        g(),
        "random_32",
        Expect::ok().returns(keystream),
    );
    random.context.seed = seed;
    let mut time = Case::new(
        "time.now",
        g(),
        "time",
        Expect::ok().returns(le(1_700_000_000_123_456_789)),
    );
    time.context.timestamp_ns = 1_700_000_000_123_456_789;
    vec![
        Case::new(
            "sha256.abc",
            g(),
            "sha256_abc",
            // FIPS 180-2, appendix B.1.
            Expect::ok().returns(
                hex::decode("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
                    .unwrap_or_default(),
            ),
        ),
        Case::new(
            "sha256.empty_input",
            g(),
            "sha256_input",
            Expect::ok().returns(
                hex::decode("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
                    .unwrap_or_default(),
            ),
        ),
        random,
        Case::new(
            "random.out_of_bounds",
            g(),
            "random_out_of_bounds",
            Expect::host_error(HostError::MemoryAccessViolation),
        ),
        time,
        Case::new(
            "gas.left_after_own_charge",
            g(),
            "gas",
            // The export is one block (3 simple, 2 calls, 1 store), charged
            // before gas_left runs.
            Expect::ok()
                .returns(le(1_000_000 - gas_block - base(GasLeft)))
                .gas(gas_block + base(GasLeft) + base(ValueReturn) + 8 * s.memory_read_byte),
        )
        .limits(|l| l.execution.gas = 1_000_000),
        Case::new(
            "gas.exhausted_in_host_calls",
            g(),
            "burn_gas",
            Expect::trap(TrapKind::GasExhausted).gas(10_000),
        )
        .limits(|l| l.execution.gas = 10_000),
        Case::new(
            "imports.no_memory_needed",
            guest!("no_memory"),
            "main",
            Expect::ok().gas(2 * (o.call + o.simple) + base(TimeNow) + base(GasLeft)),
        ),
        Case::new(
            "imports.same_function_twice",
            Guest::Wat(
                r#"(module
                  (import "env" "time_now" (func $a (result i64)))
                  (import "env" "time_now" (func $b (result i64)))
                  (func (export "main") (drop (call $a)) (drop (call $b))))"#,
            ),
            "main",
            Expect::ok().gas(2 * (o.call + o.simple) + 2 * base(TimeNow)),
        ),
    ]
}

fn trap_cases() -> Vec<Case> {
    let g = || guest!("traps");
    let mut cases: Vec<Case> = [
        ("memory_out_of_bounds", TrapKind::MemoryOutOfBounds),
        ("table_out_of_bounds", TrapKind::TableOutOfBounds),
        ("indirect_call_to_null", TrapKind::IndirectCallToNull),
        ("bad_signature", TrapKind::BadSignature),
        ("integer_overflow", TrapKind::IntegerOverflow),
        ("integer_division_by_zero", TrapKind::IntegerDivisionByZero),
        (
            "bad_conversion_to_integer",
            TrapKind::BadConversionToInteger,
        ),
    ]
    .into_iter()
    .map(|(export, kind)| Case::new(&format!("traps.{export}"), g(), export, Expect::trap(kind)))
    .collect();
    cases.extend([
        Case::new(
            "traps.unreachable",
            g(),
            "unreachable",
            Expect::trap(TrapKind::Unreachable).logs(["before"]),
        ),
        Case::new(
            "memory.grow_past_limit_returns_minus_one",
            g(),
            "grow_past_limit",
            Expect::ok(),
        ),
        Case::new(
            "start.trap_is_the_call_trap",
            guest!("start_trap"),
            "main",
            Expect::trap(TrapKind::Unreachable).logs(["start"]),
        ),
        Case::new(
            "start.runs_before_the_call",
            guest!("start_ok"),
            "main",
            Expect::ok().returns([42]).changes([kv(b"s", Some(b"v"))]),
        ),
        // Regression (differential fuzzer, seed 20261125 case 1080): wasmi
        // reported an element segment past its table as an instantiation
        // error, not a trap; it is `TableOutOfBounds` on every backend.
        Case::new(
            "start.element_segment_out_of_bounds",
            Guest::Wat(
                r#"(module (table 1 funcref) (func $f) (elem (i32.const 5) $f) (func (export "main")))"#,
            ),
            "main",
            Expect::trap(TrapKind::TableOutOfBounds),
        ),
        Case::new(
            "start.data_segment_out_of_bounds",
            guest!("data_out_of_bounds"),
            "main",
            Expect::trap(TrapKind::MemoryOutOfBounds),
        ),
    ]);
    cases
}

fn rejection_cases() -> Vec<Case> {
    let r = |name: &str, wat: &'static str, call: &'static str, kind: RejectionKind| {
        Case::new(name, Guest::Wat(wat), call, Expect::rejected(kind))
    };
    vec![
        r(
            "reject.missing_memory_export",
            r#"(module (import "env" "log_utf8" (func (param i64 i64))) (memory 1) (func (export "main")))"#,
            "main",
            RejectionKind::MissingMemoryExport,
        ),
        r(
            "reject.unknown_function",
            r#"(module (import "env" "exit" (func (param i64))) (func (export "main")))"#,
            "main",
            RejectionKind::UnknownImport,
        ),
        r(
            "reject.unknown_module",
            r#"(module (import "wasi" "time_now" (func (result i64))) (func (export "main")))"#,
            "main",
            RejectionKind::UnknownImport,
        ),
        r(
            "reject.imported_memory",
            r#"(module (import "env" "memory" (memory 1)) (func (export "main")))"#,
            "main",
            RejectionKind::UnknownImport,
        ),
        r(
            "reject.mistyped_import",
            r#"(module (import "env" "time_now" (func (result i32))) (func (export "main")))"#,
            "main",
            RejectionKind::MistypedImport,
        ),
        r(
            "reject.missing_export",
            r#"(module (func (export "main")))"#,
            "nope",
            RejectionKind::MissingExport,
        ),
        r(
            "reject.export_with_params",
            r#"(module (func (export "main") (param i32)))"#,
            "main",
            RejectionKind::MissingExport,
        ),
        r(
            "reject.export_is_not_a_function",
            r#"(module (memory (export "main") 1))"#,
            "main",
            RejectionKind::MissingExport,
        ),
        r(
            "reject.simd",
            r#"(module (func (export "main") (drop (v128.const i64x2 0 0))))"#,
            "main",
            RejectionKind::DisallowedFeature,
        ),
        Case::new(
            "reject.relaxed_simd",
            Guest::Wat(
                r#"(module (func (export "main") (drop (i32x4.relaxed_trunc_f32x4_s (v128.const i64x2 0 0)))))"#,
            ),
            "main",
            Expect::rejected(RejectionKind::DisallowedFeature),
        ),
        Case::new(
            "reject.shared_memory",
            Guest::Wat(r#"(module (memory 1 1 shared) (func (export "main")))"#),
            "main",
            Expect::rejected(RejectionKind::DisallowedFeature),
        ),
        Case::new(
            "reject.atomics",
            Guest::Wat(
                r#"(module (memory 1 1) (func (export "main") (drop (i32.atomic.load (i32.const 0)))))"#,
            ),
            "main",
            Expect::rejected(RejectionKind::DisallowedFeature),
        ),
        Case::new(
            "reject.reference_types_externref",
            Guest::Wat(r#"(module (func (export "main") (param externref)))"#),
            "main",
            Expect::rejected(RejectionKind::DisallowedFeature),
        ),
        Case::new(
            "reject.reference_types_table_get",
            Guest::Wat(
                r#"(module (table 1 funcref) (func (export "main") (drop (table.get 0 (i32.const 0)))))"#,
            ),
            "main",
            Expect::rejected(RejectionKind::DisallowedFeature),
        ),
        Case::new(
            "reject.multiple_tables",
            Guest::Wat(r#"(module (table 1 funcref) (table 1 funcref) (func (export "main")))"#),
            "main",
            Expect::rejected(RejectionKind::DisallowedFeature),
        )
        // Past the static table limit, so that validation names the feature.
        .limits(|l| l.module.max_tables = 2),
        Case::new(
            "reject.tail_call",
            Guest::Wat(r#"(module (func $f) (func (export "main") (return_call $f)))"#),
            "main",
            Expect::rejected(RejectionKind::DisallowedFeature),
        ),
        Case::new(
            "reject.exceptions",
            Guest::Wat(r#"(module (tag $t) (func (export "main") (throw $t)))"#),
            "main",
            Expect::rejected(RejectionKind::DisallowedFeature),
        ),
        Case::new(
            "reject.gc",
            Guest::Wat(
                r#"(module (type $s (struct (field i32))) (func (export "main") (drop (struct.new_default $s))))"#,
            ),
            "main",
            Expect::rejected(RejectionKind::DisallowedFeature),
        ),
        Case::new(
            "reject.memory64",
            Guest::Wat(r#"(module (memory i64 1) (func (export "main")))"#),
            "main",
            Expect::rejected(RejectionKind::DisallowedFeature),
        ),
        Case::new(
            "reject.multi_memory",
            Guest::Wat(r#"(module (memory 1) (memory 1) (func (export "main")))"#),
            "main",
            Expect::rejected(RejectionKind::DisallowedFeature),
        ),
        Case::new(
            "reject.extended_const",
            Guest::Wat(
                r#"(module (global i32 (i32.add (i32.const 1) (i32.const 2))) (func (export "main")))"#,
            ),
            "main",
            Expect::rejected(RejectionKind::DisallowedFeature),
        ),
        Case::new(
            "reject.component",
            Guest::Bytes(b"\0asm\x0d\0\x01\0"),
            "main",
            Expect::rejected(RejectionKind::DisallowedFeature).naming("component"),
        ),
        Case::new(
            "reject.malformed",
            Guest::Bytes(b"\0asm\x01\0\0\0\xff"),
            "main",
            Expect::rejected(RejectionKind::MalformedModule),
        ),
        Case::new(
            "reject.not_wasm",
            Guest::Bytes(b"\0asm\x02\0\0\0"),
            "main",
            Expect::rejected(RejectionKind::MalformedModule),
        ),
    ]
}

/// Names must be unique: the tests are named after them.
pub fn check_unique_names(cases: &[Case]) -> Result<(), String> {
    let mut names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
    names.sort_unstable();
    match names.windows(2).find(|w| w[0] == w[1]) {
        Some(w) => Err(format!("duplicate case name {}", w[0])),
        None => Ok(()),
    }
}
