//! Embedder host functions and typed calls.
//!
//! The embedder cases run `guests/embedder.wat` against the test functions
//! of [`crate::embedder`] (import module `"test"`), whose table states each
//! function's signature, base gas, charges and effect; the typed-call cases
//! run `guests/typed.wat` with arguments. Expectations come from that table,
//! `ABI.md` (gas of ABI calls, rollback on error, a trap consumes all gas)
//! and the `GasSchedule`: guest code is charged per basic block, before it
//! runs, with calls costing `call` and constants, locals, `drop` and integer
//! arithmetic `simple`.

use std::sync::Arc;

use host_abi::HostFunction;
use runtime::{GasSchedule, WasmValue};

use super::{Case, Guest, kv, le};
use crate::embedder::{
    BASE_DESCRIBE, BASE_FAIL, BASE_ID, BASE_LOAD, BASE_LOG_EVENT, BASE_MEMORY, BASE_REGISTER,
    BASE_REVERSE, BASE_STORE, PANIC_MESSAGE, storage_key,
};
use crate::expect::Expect;

use WasmValue::{F32, F64, I32, I64};

impl Case {
    /// This case as a typed call with `args`.
    fn with_args(mut self, args: impl IntoIterator<Item = WasmValue>) -> Self {
        self.args = Some(args.into_iter().collect());
        self
    }
}

/// Signalling NaNs with payloads, positive and negative, and quiet ones with
/// payloads: none of them canonical.
const NAN_F32: [u32; 3] = [0x7fa0_0001, 0xffc0_0001, 0x7fff_ffff];
const NAN_F64: [u64; 3] = [
    0x7ff4_0000_0000_0001,
    0xfff8_0000_0000_0001,
    0x7fff_ffff_ffff_ffff,
];

/// The embedder and typed-call cases.
pub(super) fn embedder_cases(s: &GasSchedule, base: &dyn Fn(HostFunction) -> u64) -> Vec<Case> {
    let mut cases = value_cases(s);
    cases.extend(memory_and_gas_cases(s));
    cases.extend(failure_cases(s, base));
    cases.extend(storage_cases(s, base));
    cases.extend(import_cases());
    cases.extend(typed_call_cases(s, base));
    cases
}

fn value_cases(s: &GasSchedule) -> Vec<Case> {
    let o = &s.operators;
    let g = || guest!("embedder");
    // `local.get`, `call` and the function's base gas.
    let pass = o.simple + o.call + BASE_ID;
    let mut cases = Vec::new();
    for (name, value) in [
        ("pass_i32", I32(-1)),
        ("pass_i32", I32(i32::MIN)),
        ("pass_f32", F32(0x8000_0000)),
        ("pass_f64", F64(0x3ff8_0000_0000_0000)),
    ] {
        cases.push(
            Case::new(
                &format!("embedder.{name}.{value}"),
                g(),
                name,
                Expect::ok().results([value]).gas(pass),
            )
            .with_args([value]),
        );
    }
    // Two host calls in a row (the same import declared twice).
    for value in [I64(i64::MIN), I64(-1), I64(0x0123_4567_89ab_cdef)] {
        cases.push(
            Case::new(
                &format!("embedder.pass_i64.{value}"),
                g(),
                "pass_i64",
                Expect::ok()
                    .results([value])
                    .gas(o.simple + 2 * o.call + 2 * BASE_ID),
            )
            .with_args([value]),
        );
    }
    for bits in NAN_F32 {
        cases.push(
            Case::new(
                &format!("embedder.nan_f32_payload.{bits:#010x}"),
                g(),
                "pass_f32",
                Expect::ok().results([F32(bits)]).gas(pass),
            )
            .with_args([F32(bits)]),
        );
    }
    for bits in NAN_F64 {
        cases.push(
            Case::new(
                &format!("embedder.nan_f64_payload.{bits:#018x}"),
                g(),
                "pass_f64",
                Expect::ok().results([F64(bits)]).gas(pass),
            )
            .with_args([F64(bits)]),
        );
    }
    let four = [
        I32(-7),
        I64(i64::MAX),
        F32(0xffc0_0001),
        F64(0x7ff4_0000_0000_0001),
    ];
    cases.extend([
        // NaN constants in the guest's code, through the host.
        Case::new(
            "embedder.nan_consts",
            g(),
            "nan_consts",
            Expect::ok()
                .results([F32(0x7fa0_0001), F64(0xfff4_0000_0000_0001)])
                .gas(2 * (o.simple + o.call + BASE_ID)),
        )
        .with_args([]),
        // Multi-value results from the host, in the declared order.
        Case::new(
            "embedder.reverse_all_types",
            g(),
            "pass_reverse",
            Expect::ok()
                .results(four.iter().rev().copied())
                .gas(4 * o.simple + o.call + BASE_REVERSE),
        )
        .with_args(four),
        // The host saw exactly these bits: it logs them.
        Case::new(
            "embedder.describe_all_types",
            g(),
            "describe",
            Expect::ok()
                .logs([
                    "i32:-7 i64:9223372036854775807 f32:bits:0xffc00001 f64:bits:0x7ff4000000000001",
                ])
                .gas(4 * o.simple + o.call + BASE_DESCRIBE),
        )
        .with_args(four),
        // The embedder's data of the execution, or none.
        Case::new(
            "embedder.data_absent",
            g(),
            "data",
            Expect::ok().results([I64(-1)]).gas(o.call + BASE_ID),
        )
        .with_args([]),
        {
            let mut case = Case::new(
                "embedder.data_present",
                g(),
                "data",
                Expect::ok().results([I64(77)]).gas(o.call + BASE_ID),
            )
            .with_args([]);
            case.context.data = Some(Arc::new(77u64));
            case
        },
    ]);
    cases
}

fn memory_and_gas_cases(s: &GasSchedule) -> Vec<Case> {
    let o = &s.operators;
    let g = || guest!("embedder");
    // `sum`: two `local.get`s and a call, then the base gas; one gas per
    // byte after the bounds check.
    let sum = 2 * o.simple + o.call + BASE_MEMORY;
    let page = 65_536;
    let sum_case = |name: &str, ptr: i32, len: i32, expect: Expect| {
        Case::new(&format!("embedder.{name}"), g(), "sum", expect).with_args([I32(ptr), I32(len)])
    };
    let violation = || Expect::host_error("MemoryAccessViolation").gas(sum);
    // `fill_sum`: one block of five `local.get`s and two calls, charged
    // before it runs.
    let fill_sum_block = 5 * o.simple + 2 * o.call;
    let limit = 1_000;
    let burn = |name: &str, amount: i64, expect: Expect| {
        Case::new(&format!("embedder.{name}"), g(), "burn", expect)
            .with_args([I64(amount)])
            .limits(|l| l.execution.gas = limit)
    };
    vec![
        sum_case(
            "sum_bytes",
            0,
            5,
            Expect::ok().results([I64(15)]).gas(sum + 5),
        ),
        sum_case(
            "sum_bytes_empty_at_end",
            page,
            0,
            Expect::ok().results([I64(0)]).gas(sum),
        ),
        sum_case("sum_bytes_past_end", page - 1, 2, violation()),
        sum_case("sum_bytes_empty_past_end", page + 1, 0, violation()),
        // `-1` is the pointer 0xffffffff: read as unsigned.
        sum_case("sum_bytes_negative_pointer", -1, 1, violation()),
        sum_case("sum_bytes_huge_length", 0, -1, violation()),
        Case::new(
            "embedder.fill_then_sum",
            g(),
            "fill_sum",
            Expect::ok()
                .results([I64(10 * 0xff)])
                .gas(fill_sum_block + 2 * (BASE_MEMORY + 10)),
        )
        .with_args([I32(100), I32(10), I32(0x1ff)]),
        // The write fails before anything is written or charged per byte.
        Case::new(
            "embedder.fill_past_end",
            g(),
            "fill_sum",
            Expect::host_error("MemoryAccessViolation").gas(fill_sum_block + BASE_MEMORY),
        )
        .with_args([I32(page - 5), I32(10), I32(1)]),
        // A module without memory: an embedder function's pointers are not
        // declared, so preparation cannot require the export; every access
        // but an empty one at 0 is out of bounds.
        Case::new(
            "embedder.no_memory",
            Guest::Wat(
                r#"(module
                  (import "test" "sum_bytes" (func $sum (param i32 i32) (result i64)))
                  (func (export "main") (drop (call $sum (i32.const 0) (i32.const 1)))))"#,
            ),
            "main",
            Expect::host_error("MemoryAccessViolation").gas(3 * o.simple + o.call + BASE_MEMORY),
        ),
        // Gas charged by the host: the guest's block (`local.get`, `call`)
        // costs 11, so 989 more use the limit exactly and 990 run out.
        burn(
            "burn_to_the_limit",
            limit as i64 - 11,
            Expect::ok().gas(limit),
        ),
        burn(
            "burn_past_the_limit",
            limit as i64 - 10,
            Expect::trap("GasExhausted").gas(limit),
        ),
        burn("burn_u64_max", -1, Expect::trap("GasExhausted").gas(limit)),
        // The base gas alone runs out: 12 for the guest's block, then 20.
        Case::new(
            "embedder.base_gas_exhausted",
            g(),
            "store",
            Expect::trap("GasExhausted").gas(25),
        )
        .with_args([I64(1), I64(2)])
        .limits(|l| l.execution.gas = 25),
    ]
}

/// The effects of `$effects` in `embedder.wat`: a guest log, a guest event,
/// a guest storage write, the host's log and event, the host's storage
/// write; and their gas, the call of `$effects` included.
struct Effects {
    logs: [&'static str; 2],
    events: [(&'static str, Vec<u8>); 2],
    changes: [(Vec<u8>, Option<Vec<u8>>); 2],
    gas: u64,
}

fn effects(s: &GasSchedule, base: &dyn Fn(HostFunction) -> u64) -> Effects {
    use HostFunction::*;
    let o = &s.operators;
    // 16 constants and drops, five calls.
    let guest = 16 * o.simple + 5 * o.call;
    let host = base(LogUtf8)
        + 9 * (s.memory_read_byte + s.log_byte)
        + base(EmitEvent)
        + 6 * (s.memory_read_byte + s.event_byte)
        + base(StorageWrite)
        + 2 * (s.memory_read_byte + s.storage_key_byte)
        + 2 * (s.memory_read_byte + s.storage_value_byte)
        + BASE_LOG_EVENT
        + BASE_STORE;
    Effects {
        logs: ["guest log", "embedder log 7"],
        events: [
            ("guest", b"g".to_vec()),
            ("embedder", 7i32.to_le_bytes().to_vec()),
        ],
        changes: [kv(b"gk", Some(b"gv")), (storage_key(11), Some(le(12)))],
        // The export's own `call`.
        gas: o.call + guest + host,
    }
}

fn failure_cases(s: &GasSchedule, base: &dyn Fn(HostFunction) -> u64) -> Vec<Case> {
    let o = &s.operators;
    let g = || guest!("embedder");
    let mut e = effects(s, base);
    let pre: &[(&[u8], &[u8])] = &[(b"gk", b"before"), (b"other", b"kept")];
    // `storage_write` of `gk` replaces "before": the old value goes to the
    // register, charged per byte (ABI: storage value and register bytes).
    e.gas += 6 * (s.storage_value_byte + s.register_byte);
    vec![
        Case::new(
            "embedder.effects",
            g(),
            "effects",
            Expect::ok()
                .logs(e.logs)
                .events(e.events.clone())
                .changes(e.changes.clone())
                .gas(e.gas),
        )
        .state(pre),
        // An embedder error: its message is the error's (and enters the
        // digest); storage untouched, events dropped, logs kept, gas exact.
        Case::new(
            "embedder.error_rolls_back",
            g(),
            "effects_then_fail",
            Expect::embedder("refused with code 42")
                .logs(e.logs)
                .gas(e.gas + o.call + o.simple + BASE_FAIL),
        )
        .state(pre),
        // A panic is caught: a non-deterministic outcome naming the
        // function, the process lives, nothing is committed.
        Case::new(
            "embedder.panic_is_caught",
            g(),
            "effects_then_panic",
            Expect::host_panic(&format!("test::panic panicked: {PANIC_MESSAGE}")).logs(e.logs),
        )
        .state(pre),
        // A trap after the host wrote storage: rolled back, all gas used.
        Case::new(
            "embedder.trap_rolls_back",
            g(),
            "effects_then_trap",
            Expect::trap("Unreachable").logs(e.logs),
        )
        .state(pre),
        // A host function returning other types than it declared is the
        // embedder's bug, reported as its error.
        Case::new(
            "embedder.bad_results",
            g(),
            "bad_results",
            Expect::host_error_kind("Embedder")
                .naming("its signature is [] -> [i32]")
                .gas(o.call + BASE_ID),
        )
        .with_args([]),
    ]
}

fn storage_cases(s: &GasSchedule, base: &dyn Fn(HostFunction) -> u64) -> Vec<Case> {
    use HostFunction::*;
    let o = &s.operators;
    let g = || guest!("embedder");
    // Three `local.get`s, a `drop` and two calls.
    let store_load = 4 * o.simple + 2 * o.call + BASE_STORE + BASE_LOAD;
    let key3 = storage_key(3);
    vec![
        Case::new(
            "embedder.store_then_load",
            g(),
            "store_load",
            Expect::ok()
                .results([I64(-5)])
                .changes([(storage_key(4), Some(le(-5i64 as u64)))])
                .gas(store_load),
        )
        .with_args([I64(4), I64(-5)]),
        Case::new(
            "embedder.load_missing",
            g(),
            "load",
            Expect::ok()
                .results([I64(-1)])
                .gas(o.simple + o.call + BASE_LOAD),
        )
        .with_args([I64(3)]),
        // A one-byte value, zero-padded.
        Case::new(
            "embedder.load_pre_state",
            g(),
            "load",
            Expect::ok()
                .results([I64(7)])
                .gas(o.simple + o.call + BASE_LOAD),
        )
        .with_args([I64(3)])
        .state(&[(&key3[..], &[7u8][..])]),
        // The host writes through the execution's overlay; the guest's
        // `storage_read` sees it.
        Case::new(
            "embedder.guest_reads_host_write",
            g(),
            "guest_reads_host_write",
            Expect::ok()
                .returns(le(42))
                .changes([(storage_key(1), Some(le(42)))])
                .gas(
                    13 * o.simple
                        + 4 * o.call
                        + o.memory_access
                        + BASE_STORE
                        + base(StorageRead)
                        + 8 * (s.memory_read_byte + s.storage_key_byte)
                        + 8 * (s.storage_value_byte + s.register_byte)
                        + base(ReadRegister)
                        + 8 * s.memory_write_byte
                        + base(ValueReturn)
                        + 8 * s.memory_read_byte,
                ),
        ),
        // And the host reads what the guest wrote.
        Case::new(
            "embedder.host_reads_guest_write",
            g(),
            "host_reads_guest_write",
            Expect::ok()
                .results([I64(9)])
                .changes([(storage_key(2), Some(le(9)))])
                .gas(
                    11 * o.simple
                        + 2 * o.call
                        + 2 * o.memory_access
                        + base(StorageWrite)
                        + 8 * (s.memory_read_byte + s.storage_key_byte)
                        + 8 * (s.memory_read_byte + s.storage_value_byte)
                        + BASE_LOAD,
                ),
        )
        .with_args([]),
        // A register the host sets, read with the ABI.
        Case::new(
            "embedder.via_register",
            g(),
            "via_register",
            Expect::ok()
                .results([I64(8), I64(0x1122_3344_5566_7788)])
                .gas(
                    6 * o.simple
                        + 3 * o.call
                        + o.memory_access
                        + BASE_REGISTER
                        + base(ReadRegister)
                        + 8 * s.memory_write_byte
                        + base(RegisterLen),
                ),
        )
        .with_args([I64(0x1122_3344_5566_7788)]),
        // The host's write counts against the per-execution storage bound
        // (ABI 1.1), like the guest's: 8 + 8 bytes do not fit in 15.
        Case::new(
            "embedder.storage_write_bound",
            g(),
            "store",
            Expect::host_error("StorageWriteLimitExceeded").gas(2 * o.simple + o.call + BASE_STORE),
        )
        .with_args([I64(1), I64(2)])
        .limits(|l| l.execution.max_storage_write_bytes = 15),
    ]
}

fn import_cases() -> Vec<Case> {
    // Name, module, expected rejection, what its message names.
    const CASES: &[(&str, &str, &str, &str)] = &[
        (
            "unknown_name",
            r#"(module (import "test" "nope" (func)) (func (export "main")))"#,
            "UnknownImport",
            "test::nope",
        ),
        (
            "unknown_module",
            r#"(module (import "node" "id_i32" (func (param i32) (result i32))) (func (export "main")))"#,
            "UnknownImport",
            "node::id_i32",
        ),
        // The embedder's functions are not in `env`, nor the ABI's in `test`.
        (
            "embedder_name_in_env",
            r#"(module (import "env" "id_i32" (func (param i32) (result i32))) (func (export "main")))"#,
            "UnknownImport",
            "env::id_i32",
        ),
        (
            "abi_name_in_test",
            r#"(module (import "test" "value_return" (func (param i64 i64))) (func (export "main")))"#,
            "UnknownImport",
            "test::value_return",
        ),
        (
            "wrong_param_type",
            r#"(module (import "test" "id_i32" (func (param i64) (result i64))) (func (export "main")))"#,
            "MistypedImport",
            "[i32] -> [i32]",
        ),
        (
            "missing_result",
            r#"(module (import "test" "reverse" (func (param i32 i64 f32 f64) (result f64 f32 i64))) (func (export "main")))"#,
            "MistypedImport",
            "[i32, i64, f32, f64] -> [f64, f32, i64, i32]",
        ),
        (
            "global",
            r#"(module (import "test" "id_i32" (global i32)) (func (export "main")))"#,
            "UnknownImport",
            "not a function",
        ),
    ];
    CASES
        .iter()
        .map(|&(name, wat, kind, naming)| {
            Case::new(
                &format!("embedder.import.{name}"),
                Guest::Wat(wat),
                "main",
                Expect::rejected(kind).naming(naming),
            )
        })
        .collect()
}

fn typed_call_cases(s: &GasSchedule, base: &dyn Fn(HostFunction) -> u64) -> Vec<Case> {
    let o = &s.operators;
    let g = || guest!("typed");
    let call = |name: &str, export: &'static str, args: Vec<WasmValue>, expect: Expect| {
        Case::new(&format!("typed.{name}"), g(), export, expect).with_args(args)
    };
    // Two `local.get`s and the operator.
    let binary = |op: u64| 2 * o.simple + op;
    let mismatch = |naming: &'static str| Expect::rejected("ArgumentMismatch").naming(naming);
    vec![
        call(
            "add_i32",
            "add_i32",
            vec![I32(2), I32(40)],
            Expect::ok().results([I32(42)]).gas(binary(o.simple)),
        ),
        call(
            "add_i32_wraps",
            "add_i32",
            vec![I32(i32::MAX), I32(1)],
            Expect::ok().results([I32(i32::MIN)]).gas(binary(o.simple)),
        ),
        call(
            "add_i64",
            "add_i64",
            vec![I64(-1), I64(0x7fff_ffff_ffff_ffff)],
            Expect::ok()
                .results([I64(0x7fff_ffff_ffff_fffe)])
                .gas(binary(o.simple)),
        ),
        // 1.5 * 2 = 3 (0x40400000).
        call(
            "mul_f32",
            "mul_f32",
            vec![F32(1.5f32.to_bits()), F32(2.0f32.to_bits())],
            Expect::ok()
                .results([F32(0x4040_0000)])
                .gas(binary(o.float)),
        ),
        // -0.5 * 4 = -2 (0xc000000000000000).
        call(
            "mul_f64",
            "mul_f64",
            vec![F64((-0.5f64).to_bits()), F64(4.0f64.to_bits())],
            Expect::ok()
                .results([F64(0xc000_0000_0000_0000)])
                .gas(binary(o.float)),
        ),
        // Arguments and results are bit moves: payloads survive.
        call(
            "id_f32_nan_payload",
            "id_f32",
            vec![F32(NAN_F32[0])],
            Expect::ok().results([F32(NAN_F32[0])]).gas(o.simple),
        ),
        call(
            "id_f64_nan_payload",
            "id_f64",
            vec![F64(NAN_F64[1])],
            Expect::ok().results([F64(NAN_F64[1])]).gas(o.simple),
        ),
        // Arithmetic canonicalises (the runtime's NaN rule).
        call(
            "add_f64_nan_is_canonical",
            "add_f64",
            vec![F64(NAN_F64[1]), F64(1.0f64.to_bits())],
            Expect::ok()
                .results([F64(runtime::CANONICAL_NAN_F64)])
                .gas(binary(o.float)),
        ),
        call(
            "swap_all_types",
            "swap",
            vec![I32(-1), I64(i64::MIN), F32(0x8000_0000), F64(NAN_F64[2])],
            Expect::ok()
                .results([F64(NAN_F64[2]), F32(0x8000_0000), I64(i64::MIN), I32(-1)])
                .gas(4 * o.simple),
        ),
        call(
            "div_i32",
            "div_i32",
            vec![I32(-7), I32(2)],
            Expect::ok().results([I32(-3)]).gas(binary(o.division)),
        ),
        // ABI 1.1: a trap in a typed call consumes all gas.
        call(
            "div_by_zero_traps",
            "div_i32",
            vec![I32(7), I32(0)],
            Expect::trap("IntegerDivisionByZero"),
        ),
        call(
            "div_overflow_traps",
            "div_i32",
            vec![I32(i32::MIN), I32(-1)],
            Expect::trap("IntegerOverflow"),
        )
        .limits(|l| l.execution.gas = 500),
        // Host-linked: the ABI works inside a typed call.
        call(
            "log_add",
            "log_add",
            vec![I64(2), I64(3)],
            Expect::ok().results([I64(5)]).logs(["adding"]).gas(
                5 * o.simple
                    + o.call
                    + base(HostFunction::LogUtf8)
                    + 6 * (s.memory_read_byte + s.log_byte),
            ),
        ),
        // A `[] -> []` export called with no arguments.
        call("no_args", "main", vec![], Expect::ok().gas(0)),
        call(
            "too_few_args",
            "add_i32",
            vec![I32(1)],
            mismatch("[i32, i32] -> [i32]"),
        ),
        call("too_many_args", "main", vec![I32(1)], mismatch("[] -> []")),
        call(
            "wrong_types",
            "add_i32",
            vec![I64(1), I64(2)],
            mismatch("[i32, i32] -> [i32]"),
        ),
        call(
            "f32_for_f64",
            "id_f64",
            vec![F32(0)],
            mismatch("called with [f32]"),
        ),
        call(
            "missing_export",
            "nope",
            vec![],
            Expect::rejected("MissingExport").naming("nope"),
        ),
        // An ABI call (no arguments given) of an export that takes some.
        Case::new(
            "typed.abi_call_of_typed_export",
            g(),
            "add_i32",
            Expect::rejected("MissingExport").naming("[i32, i32] -> [i32]"),
        ),
    ]
}
