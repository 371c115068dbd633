//! Adversarial guests: modules built to break the runtime — compile bombs,
//! huge memories and tables, endless loops and recursion, hostile pointers
//! for every host function, invalid UTF-8, abuse of every per-execution
//! limit, disallowed features, forged imports, NaN smuggling. Each must end
//! in one typed outcome (a trap, a host error or a rejection of the exact
//! kind `ABI.md` names), commit nothing and never panic the host; the
//! harness also checks that a failed call leaves the pre-state as it was.
//!
//! Modules too big or too odd for WAT (ten thousand functions, a local
//! count of `u32::MAX`) are [`ModuleShape`]s, data built by one builder.
//! The bombs right at and one past each default static limit are rows of
//! the static-limit table (`corpus/static_limits.rs`).

use std::sync::Arc;

use host_abi::HostFunction;
use runtime::{Event, GasSchedule, HostError, Limits, RejectionKind, TrapKind};
use wasm_encoder::{BlockType, Instruction, ValType};

use super::shape::{FuncShape, ModuleShape};
use super::{Case, Guest, kv, le};
use crate::expect::Expect;

/// The adversarial cases.
pub(super) fn adversarial_cases(s: &GasSchedule, base: &dyn Fn(HostFunction) -> u64) -> Vec<Case> {
    let mut cases = bomb_cases();
    cases.extend(memory_and_table_cases(s));
    cases.extend(loop_and_recursion_cases());
    cases.extend(start_cases());
    cases.extend(pointer_cases(s, base));
    cases.extend(utf8_cases());
    cases.extend(abuse_cases());
    cases.extend(feature_cases());
    cases.extend(import_cases());
    cases.extend(export_cases());
    cases.extend(nan_cases());
    cases.extend(misc_cases());
    cases
}

/// A case calling "main" of an inline WAT module.
fn wat(name: &str, text: &'static str, expect: Expect) -> Case {
    Case::new(&format!("adv.{name}"), Guest::Wat(text), "main", expect)
}

/// A case calling "main" of a module of this shape.
fn shaped(name: &'static str, shape: ModuleShape, expect: Expect) -> Case {
    Case::new(
        &format!("adv.{name}"),
        Guest::Shape(name, Arc::new(shape)),
        "main",
        expect,
    )
}

/// A rejection for a static limit, naming it.
fn over(limit: &'static str) -> Expect {
    Expect::rejected(RejectionKind::StaticLimitExceeded).naming(limit)
}

/// The pre-state the cases that write `k` before failing start from.
const PRE: &[(&[u8], &[u8])] = &[(b"k", b"old"), (b"z", b"other")];

// ---------------------------------------------------------------------------
// Compile bombs and deep stacks

fn bomb_cases() -> Vec<Case> {
    use Instruction::{Block, Call, Drop, End, I32Const, I64Const, LocalGet, Nop};
    // "main" calls $f (function 1), of type `ty`, with `args` on the stack;
    // $f calls itself with `own` on the stack.
    let recursion =
        |locals, args: Vec<Instruction<'static>>, ty, own: Vec<Instruction<'static>>| {
            let body = |mut ops: Vec<Instruction<'static>>| {
                ops.push(Call(1));
                ops.into_iter().map(|i| (i, 1)).collect()
            };
            vec![
                FuncShape {
                    body: body(args),
                    ..FuncShape::default()
                },
                FuncShape {
                    ty,
                    locals,
                    body: body(own),
                },
            ]
        };
    vec![
        shaped(
            "many_functions",
            ModuleShape::functions(10_001),
            over("max_functions"),
        ),
        // CosmWasm's CWA-2023-004: one type with a thousand parameters,
        // shared by five thousand functions.
        shaped(
            "wide_type_shared_cwa_2023_004",
            ModuleShape {
                types: vec![(vec![ValType::I64; 1000], vec![])],
                functions: std::iter::once(FuncShape::default())
                    .chain(vec![FuncShape::of_type(1); 5000])
                    .collect(),
                ..ModuleShape::default()
            },
            over("max_params"),
        ),
        // One group of `u32::MAX` locals.
        shaped(
            "locals_u32_max",
            ModuleShape::main(FuncShape {
                locals: vec![(u32::MAX, ValType::I64)],
                ..FuncShape::default()
            }),
            over("max_locals"),
        ),
        // A body of 300 000 `nop`s (over 256 KiB).
        shaped(
            "huge_body",
            ModuleShape::main(FuncShape::repeat(Nop, 300_000)),
            over("max_function_body_size"),
        ),
        // A valid module of 5 MiB, a custom section after "main" (over
        // 4 MiB).
        shaped(
            "huge_module",
            ModuleShape {
                size: Some(5 << 20),
                ..ModuleShape::default()
            },
            over("max_module_size"),
        ),
        // Operand-stack height 20 000: 20 000 constants, then as many
        // drops. ABI 1.1 bounds the operand stack statically (see
        // `corpus/hostile.rs` for it at its limit).
        shaped(
            "huge_operand_stack",
            ModuleShape::main(FuncShape {
                body: vec![(I32Const(0), 20_000), (Drop, 20_000)],
                ..FuncShape::default()
            }),
            over("max_operand_stack"),
        ),
        // 50 000 nested blocks: over the static nesting limit (ABI 1.1).
        shaped(
            "deep_block_nesting",
            ModuleShape::main(FuncShape {
                body: vec![(Block(BlockType::Empty), 50_000), (End, 50_000)],
                ..FuncShape::default()
            }),
            over("max_nesting_depth"),
        ),
        // $f declares 4 096 locals (the limit) and calls itself.
        shaped(
            "max_locals_recursion",
            ModuleShape {
                functions: recursion(vec![(4096, ValType::I64)], vec![], 0, vec![]),
                ..ModuleShape::default()
            },
            Expect::trap(TrapKind::StackOverflow),
        ),
        // $f has 64 i64 parameters (the limit) and calls itself with them.
        shaped(
            "max_params_recursion",
            ModuleShape {
                types: vec![(vec![ValType::I64; 64], vec![])],
                functions: recursion(
                    vec![],
                    (0..64).map(I64Const).collect(),
                    1,
                    (0..64).map(LocalGet).collect(),
                ),
                ..ModuleShape::default()
            },
            Expect::trap(TrapKind::StackOverflow),
        ),
    ]
}

// ---------------------------------------------------------------------------
// Memories and tables

fn memory_and_table_cases(s: &GasSchedule) -> Vec<Case> {
    let o = &s.operators;
    let default_gas = Limits::default().execution.gas;
    // More than memory_fill_huge_len's charge.
    let fill_limit = 2 * (3 * o.simple + o.bulk_base + u64::from(u32::MAX) * o.bulk_memory_byte);
    vec![
        shaped(
            "memory_initial_u32_max",
            ModuleShape {
                memories: vec![u64::from(u32::MAX)],
                export_memory: true,
                ..ModuleShape::default()
            },
            over("max_memory_pages"),
        ),
        // A declared maximum of 65 536 pages is clamped to 1 024: growing by
        // 1 024 fails, by 1 023 succeeds (old size 1), then by 1 fails.
        wat(
            "memory_max_clamped",
            r#"(module
              (import "env" "value_return" (func $ret (param i64 i64)))
              (memory (export "memory") 1 65536)
              (func (export "main")
                (i64.store (i32.const 0) (i64.extend_i32_s (memory.grow (i32.const 1024))))
                (i64.store (i32.const 8) (i64.extend_i32_s (memory.grow (i32.const 1023))))
                (i64.store (i32.const 16) (i64.extend_i32_s (memory.grow (i32.const 1))))
                (call $ret (i64.const 24) (i64.const 0))))"#,
            Expect::ok().returns([le(u64::MAX), le(1), le(u64::MAX)].concat()),
        ),
        // Grows forever, ignoring -1: every request is charged.
        wat(
            "memory_grow_forever",
            r#"(module (memory 1) (func (export "main")
              (loop $l (drop (memory.grow (i32.const 1))) (br $l))))"#,
            Expect::trap(TrapKind::GasExhausted).gas(10_000_000),
        )
        .limits(|l| l.execution.gas = 10_000_000),
        // memory.grow(-1): 2^32 - 1 pages, charged before the grow: far
        // more than the default gas.
        wat(
            "memory_grow_u32_max",
            r#"(module (memory 1) (func (export "main")
              (drop (memory.grow (i32.const -1)))))"#,
            // ABI 1.1: a grow that fails costs its base alone (the block:
            // a constant, the grow's base, a drop).
            Expect::ok().gas(2 * s.operators.simple + s.operators.bulk_base),
        ),
        wat(
            "memory_copy_huge_len",
            r#"(module (memory 1) (func (export "main")
              (memory.copy (i32.const 0) (i32.const 0) (i32.const -1))))"#,
            Expect::trap(TrapKind::GasExhausted).gas(default_gas),
        ),
        // With gas for it (twice the block and the 2^32 - 1 bytes), the bytes are charged, then the fill traps: not
        // GasExhausted. Like every trap it uses the whole limit (ABI 1.1).
        wat(
            "memory_fill_huge_len",
            r#"(module (memory 1) (func (export "main")
              (memory.fill (i32.const 0) (i32.const 0) (i32.const -1))))"#,
            Expect::trap(TrapKind::MemoryOutOfBounds).gas(fill_limit),
        )
        .limits(move |l| l.execution.gas = fill_limit),
        wat(
            "memory_init_out_of_bounds",
            r#"(module (memory 1) (data $d "abcd") (func (export "main")
              (memory.init $d (i32.const 65534) (i32.const 0) (i32.const 4))))"#,
            Expect::trap(TrapKind::MemoryOutOfBounds),
        ),
        wat(
            "memory_copy_out_of_bounds",
            r#"(module (memory 1) (func (export "main")
              (memory.copy (i32.const 65535) (i32.const 0) (i32.const 2))))"#,
            Expect::trap(TrapKind::MemoryOutOfBounds),
        ),
        shaped(
            "table_initial_u32_max",
            ModuleShape {
                tables: vec![(u64::from(u32::MAX), None)],
                ..ModuleShape::default()
            },
            over("max_table_size"),
        ),
        // A huge declared maximum is harmless: without reference types no
        // code can grow a table.
        wat(
            "table_max_huge",
            r#"(module
              (import "env" "value_return" (func $ret (param i64 i64)))
              (memory (export "memory") 1)
              (data (i32.const 0) "ok")
              (type $v (func))
              (table 1 4294967295 funcref)
              (elem (i32.const 0) $f)
              (func $f (call $ret (i64.const 2) (i64.const 0)))
              (func (export "main") (call_indirect (type $v) (i32.const 0))))"#,
            Expect::ok().returns(*b"ok"),
        ),
        wat(
            "elem_segment_out_of_bounds",
            r#"(module (table 1 funcref) (func $f) (elem (i32.const 1) $f)
              (func (export "main")))"#,
            Expect::trap(TrapKind::TableOutOfBounds),
        ),
        wat(
            "table_init_out_of_bounds",
            r#"(module (table 2 funcref) (func $f) (elem $e func $f $f)
              (func (export "main") (table.init $e (i32.const 1) (i32.const 0) (i32.const 2))))"#,
            Expect::trap(TrapKind::TableOutOfBounds),
        ),
    ]
}

// ---------------------------------------------------------------------------
// Endless loops and recursion

fn loop_and_recursion_cases() -> Vec<Case> {
    vec![
        wat(
            "spin_br_table",
            r#"(module (func (export "main")
              (loop $l (br_table $l $l (i32.const 1)))))"#,
            Expect::trap(TrapKind::GasExhausted).gas(1_000_000),
        )
        .limits(|l| l.execution.gas = 1_000_000),
        wat(
            "spin_call_indirect",
            r#"(module (type $v (func)) (table 1 funcref) (elem (i32.const 0) $f)
              (func $f)
              (func (export "main")
                (loop $l (call_indirect (type $v) (i32.const 0)) (br $l))))"#,
            Expect::trap(TrapKind::GasExhausted).gas(1_000_000),
        )
        .limits(|l| l.execution.gas = 1_000_000),
        wat(
            "spin_nested_loops",
            r#"(module (func (export "main") (local $i i32)
              (loop $outer
                (local.set $i (i32.const 0))
                (loop $inner
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (br_if $inner (i32.lt_u (local.get $i) (i32.const 1000))))
                (br $outer))))"#,
            Expect::trap(TrapKind::GasExhausted).gas(3_000_000),
        )
        .limits(|l| l.execution.gas = 3_000_000),
        // Writes k, then spins: the write is not committed.
        wat(
            "spin_after_write",
            r#"(module
              (import "env" "storage_write" (func $w (param i64 i64 i64 i64 i64) (result i64)))
              (memory (export "memory") 1) (data (i32.const 0) "kv")
              (func (export "main")
                (drop (call $w (i64.const 1) (i64.const 0) (i64.const 1) (i64.const 1) (i64.const 0)))
                (loop $l (br $l))))"#,
            Expect::trap(TrapKind::GasExhausted).gas(50_000),
        )
        .state(PRE)
        .limits(|l| l.execution.gas = 50_000),
        // main: 1 simple, 1 call_indirect, cost f + 1 operand; $f: the same,
        // calling itself through the table.
        wat(
            "recursion_call_indirect",
            r#"(module (type $v (func)) (table 1 funcref) (elem (i32.const 0) $f)
              (func $f (call_indirect (type $v) (i32.const 0)))
              (func (export "main") (call_indirect (type $v) (i32.const 0))))"#,
            Expect::trap(TrapKind::StackOverflow),
        ),
        // $a -> $b -> $c -> $a ..., each 1 call and cost f.
        wat(
            "recursion_three_way",
            r#"(module
              (func $a (call $b)) (func $b (call $c)) (func $c (call $a))
              (func (export "main") (call $a)))"#,
            Expect::trap(TrapKind::StackOverflow),
        ),
        // Recursion that writes storage at every level.
        wat(
            "recursion_writing_storage",
            r#"(module
              (import "env" "storage_write" (func $w (param i64 i64 i64 i64 i64) (result i64)))
              (memory (export "memory") 1) (data (i32.const 0) "kv")
              (func $f
                (drop (call $w (i64.const 1) (i64.const 0) (i64.const 1) (i64.const 1) (i64.const 0)))
                (call $f))
              (func (export "main") (call $f)))"#,
            Expect::trap(TrapKind::StackOverflow),
        )
        .state(PRE),
        // A lower stack limit for the same guest moves nothing but the
        // point of overflow.
        wat(
            "recursion_under_low_stack_limit",
            r#"(module (func $f (call $f)) (func (export "main") (call $f)))"#,
            Expect::trap(TrapKind::StackOverflow),
        )
        .limits(|l| l.module.max_stack_height = 10),
    ]
}

// ---------------------------------------------------------------------------
// Start functions

fn start_cases() -> Vec<Case> {
    vec![
        wat(
            "start_division_by_zero",
            r#"(module (func $s (drop (i32.div_u (i32.const 1) (i32.const 0)))) (start $s)
              (func (export "main")))"#,
            Expect::trap(TrapKind::IntegerDivisionByZero),
        ),
        wat(
            "start_out_of_bounds_load",
            r#"(module (memory 1) (func $s (drop (i32.load (i32.const 70000)))) (start $s)
              (func (export "main")))"#,
            Expect::trap(TrapKind::MemoryOutOfBounds),
        ),
        wat(
            "start_write_then_unreachable",
            r#"(module
              (import "env" "storage_write" (func $w (param i64 i64 i64 i64 i64) (result i64)))
              (memory (export "memory") 1) (data (i32.const 0) "kv")
              (func $s
                (drop (call $w (i64.const 1) (i64.const 0) (i64.const 1) (i64.const 1) (i64.const 0)))
                unreachable)
              (start $s)
              (func (export "main")))"#,
            Expect::trap(TrapKind::Unreachable),
        )
        .state(PRE),
        wat(
            "start_spins",
            r#"(module (func $s (loop $l (br $l))) (start $s) (func (export "main")))"#,
            Expect::trap(TrapKind::GasExhausted).gas(100_000),
        )
        .limits(|l| l.execution.gas = 100_000),
        wat(
            "start_recursion",
            r#"(module (func $s (call $s)) (start $s) (func (export "main")))"#,
            Expect::trap(TrapKind::StackOverflow),
        ),
        wat(
            "start_panics",
            r#"(module
              (import "env" "panic_utf8" (func $p (param i64 i64)))
              (import "env" "storage_write" (func $w (param i64 i64 i64 i64 i64) (result i64)))
              (memory (export "memory") 1) (data (i32.const 0) "kvfrom start")
              (func $s
                (drop (call $w (i64.const 1) (i64.const 0) (i64.const 1) (i64.const 1) (i64.const 0)))
                (call $p (i64.const 10) (i64.const 2)))
              (start $s)
              (func (export "main")))"#,
            Expect::panic("from start"),
        )
        .state(PRE),
        // The export would return data; the start function's trap comes
        // first, so it never runs.
        wat(
            "start_trap_before_export",
            r#"(module
              (import "env" "value_return" (func $r (param i64 i64)))
              (memory (export "memory") 1)
              (func $s (drop (i64.rem_s (i64.const 1) (i64.const 0))))
              (start $s)
              (func (export "main") (call $r (i64.const 1) (i64.const 0))))"#,
            Expect::trap(TrapKind::IntegerDivisionByZero),
        ),
    ]
}

// ---------------------------------------------------------------------------
// Hostile pointers (guests/adv_pointers.wat)

fn pointer_cases(s: &GasSchedule, base: &dyn Fn(HostFunction) -> u64) -> Vec<Case> {
    use HostFunction::*;
    let o = &s.operators;
    let g = || guest!("adv_pointers");
    // Gas: only base costs are charged for the failing call (its bounds
    // come before any per-byte charge). $touch is one block (6 simple,
    // 1 call) and a storage_write of k=v over the 3-byte "old" of PRE, which
    // goes to register 0; each export is one block of `simple` simple
    // operators and `calls` calls (the call of $touch included), its other
    // host calls, then the failing one's base.
    let touch = 6 * o.simple
        + o.call
        + base(StorageWrite)
        + (s.memory_read_byte + s.storage_key_byte)
        + (s.memory_read_byte + s.storage_value_byte)
        + 3 * (s.storage_value_byte + s.register_byte);
    let violation = |export: &'static str, simple: u64, calls: u64, host: u64| {
        Case::new(
            &format!("adv.ptr.{export}"),
            g(),
            export,
            Expect::host_error(HostError::MemoryAccessViolation)
                .gas(touch + simple * o.simple + calls * o.call + host),
        )
        .state(PRE)
    };
    // write_register of n bytes, then read_register.
    let read_host = |n: u64| base(WriteRegister) + n * s.memory_read_byte + base(ReadRegister);
    let grow = o.bulk_base + o.memory_grow_page;
    vec![
        violation("read_register_at_end", 5, 3, read_host(1)),
        violation("read_register_straddles_end", 5, 3, read_host(2)),
        violation("read_register_ptr_overflow", 5, 3, read_host(2)),
        violation("read_register_high_bits", 5, 3, read_host(1)),
        violation("write_register_huge_len", 3, 2, base(WriteRegister)),
        violation("write_register_ptr_overflow", 3, 2, base(WriteRegister)),
        violation("write_register_high_bits", 3, 2, base(WriteRegister)),
        violation("value_return_huge_len", 2, 2, base(ValueReturn)),
        violation("value_return_ptr_overflow", 2, 2, base(ValueReturn)),
        violation("value_return_high_bits", 2, 2, base(ValueReturn)),
        violation("panic_huge_len", 2, 2, base(PanicUtf8)),
        violation("panic_ptr_overflow", 2, 2, base(PanicUtf8)),
        violation("panic_high_bits", 2, 2, base(PanicUtf8)),
        violation("log_huge_len", 2, 2, base(LogUtf8)),
        violation("log_ptr_overflow", 2, 2, base(LogUtf8)),
        violation("log_high_bits", 2, 2, base(LogUtf8)),
        violation("log_empty_high_bits", 2, 2, base(LogUtf8)),
        violation("event_kind_at_end", 4, 2, base(EmitEvent)),
        violation("event_kind_high_bits", 4, 2, base(EmitEvent)),
        violation("event_data_huge_len", 4, 2, base(EmitEvent)),
        violation("event_data_ptr_overflow", 4, 2, base(EmitEvent)),
        // 5 arguments and a drop.
        violation("storage_write_key_huge_len", 6, 2, base(StorageWrite)),
        violation("storage_write_key_ptr_overflow", 6, 2, base(StorageWrite)),
        violation("storage_write_value_huge_len", 6, 2, base(StorageWrite)),
        violation("storage_write_key_high_bits", 6, 2, base(StorageWrite)),
        violation("storage_write_value_high_bits", 6, 2, base(StorageWrite)),
        violation("storage_read_key_at_end", 4, 2, base(StorageRead)),
        violation("storage_read_key_huge_len", 4, 2, base(StorageRead)),
        violation("storage_read_key_overflow", 4, 2, base(StorageRead)),
        violation("storage_remove_key_huge_len", 4, 2, base(StorageRemove)),
        violation("storage_remove_key_overflow", 4, 2, base(StorageRemove)),
        violation("storage_remove_key_high_bits", 4, 2, base(StorageRemove)),
        violation("storage_has_key_high_bits", 3, 2, base(StorageHasKey)),
        violation("storage_has_key_huge_len", 3, 2, base(StorageHasKey)),
        violation("storage_has_key_straddles_end", 3, 2, base(StorageHasKey)),
        violation("sha256_huge_len", 3, 2, base(Sha256)),
        violation("sha256_ptr_overflow", 3, 2, base(Sha256)),
        violation("sha256_at_end", 3, 2, base(Sha256)),
        violation("sha256_high_bits", 3, 2, base(Sha256)),
        violation("random_huge_len", 2, 2, base(RandomBytes)),
        violation("random_ptr_overflow", 2, 2, base(RandomBytes)),
        violation("random_high_bits", 2, 2, base(RandomBytes)),
        // memory.grow by one page (a constant, the grow, a drop), then the
        // log one byte past the new end.
        violation("grown_memory_end", 4, 2, grow + base(LogUtf8)),
        // In bounds, over the key limit: the limit's error, still before
        // any per-byte gas.
        Case::new(
            "adv.ptr.key_in_bounds_over_limit",
            g(),
            "key_in_bounds_over_limit",
            Expect::host_error(HostError::KeyLengthExceeded)
                .gas(touch + 3 * o.simple + 2 * o.call + base(StorageHasKey)),
        )
        .state(PRE),
        Case::new(
            "adv.ptr.grown_memory_is_addressable",
            g(),
            "grown_memory_is_addressable",
            Expect::ok().logs(["\0\0\0", ""]),
        ),
    ]
}

// ---------------------------------------------------------------------------
// Invalid UTF-8 (guests/adv_utf8.wat)

fn utf8_cases() -> Vec<Case> {
    let g = || guest!("adv_utf8");
    let text = "h\u{e9}llo \u{2713} \u{1f600}";
    let bad = |export: &'static str, logs: &[&str]| {
        Case::new(
            &format!("adv.utf8.{export}"),
            g(),
            export,
            Expect::host_error(HostError::BadUtf8).logs(logs.to_vec()),
        )
        .state(PRE)
    };
    vec![
        bad("log_overlong", &[]),
        bad("log_surrogate", &[]),
        bad("log_truncated_sequence", &[text]),
        bad("event_kind_above_max", &[]),
        bad("event_kind_lone_continuation", &[text]),
        bad("panic_overlong", &[]),
        bad("panic_cut_multibyte", &[]),
        Case::new(
            "adv.utf8.valid_multibyte",
            g(),
            "valid_multibyte",
            Expect::ok()
                .logs([text])
                .events([("x", vec![0xc0, 0x80]), (text, Vec::new())]),
        ),
        Case::new(
            "adv.utf8.panic_multibyte",
            g(),
            "panic_multibyte",
            Expect::panic(text),
        )
        .state(PRE),
    ]
}

// ---------------------------------------------------------------------------
// Limit abuse (guests/adv_abuse.wat)

fn abuse_cases() -> Vec<Case> {
    let g = || guest!("adv_abuse");
    let case = |export: &'static str, expect: Expect| {
        Case::new(&format!("adv.abuse.{export}"), g(), export, expect).state(PRE)
    };
    let max_logs = usize::try_from(Limits::default().execution.max_logs).unwrap_or(0);
    vec![
        case(
            "registers_too_many_sha256",
            Expect::host_error(HostError::TooManyRegisters),
        ),
        case(
            "registers_too_many_input",
            Expect::host_error(HostError::TooManyRegisters),
        ),
        case(
            "registers_too_many_storage_read",
            Expect::host_error(HostError::TooManyRegisters),
        ),
        case(
            "register_replace_forever",
            Expect::trap(TrapKind::GasExhausted).gas(1_000_000),
        )
        .limits(|l| l.execution.gas = 1_000_000),
        case(
            "register_too_big",
            Expect::host_error(HostError::RegisterSizeExceeded),
        ),
        case("register_at_max_size", Expect::ok().returns(le(16 << 20))),
        case(
            "registers_total_exceeded",
            Expect::host_error(HostError::RegistersMemoryExceeded),
        ),
        case(
            "registers_total_replace_fits",
            Expect::ok().returns(le(16 << 20)),
        ),
        case(
            "read_unset_max_id",
            Expect::host_error(HostError::InvalidRegisterId),
        ),
        case("register_max_id", Expect::ok().returns(le(1))),
        Case::new(
            "adv.abuse.storage_read_into_small_register",
            g(),
            "storage_read_into_small_register",
            Expect::host_error(HostError::RegisterSizeExceeded),
        )
        .state(&[(b"k", b"eleven byte")])
        .limits(|l| l.execution.max_register_size = 10),
        case(
            "logs_empty_forever",
            Expect::host_error(HostError::TooManyLogs).logs(vec![""; max_logs]),
        ),
        case(
            "log_one_long_line",
            Expect::host_error(HostError::TotalLogLengthExceeded),
        ),
        case(
            "log_fill_then_one_more",
            Expect::host_error(HostError::TotalLogLengthExceeded).logs(["\0".repeat(16 << 10)]),
        ),
        case(
            "events_empty_forever",
            Expect::host_error(HostError::TooManyEvents),
        ),
        case(
            "event_long_kind",
            Expect::host_error(HostError::EventDataLengthExceeded),
        ),
        case(
            "event_long_data",
            Expect::host_error(HostError::EventDataLengthExceeded),
        ),
        case(
            "event_split_over_limit",
            Expect::host_error(HostError::EventDataLengthExceeded),
        ),
        Case::new(
            "adv.abuse.event_split_at_limit",
            g(),
            "event_split_at_limit",
            Expect {
                events: vec![Event {
                    kind: "\0".repeat(8 << 10),
                    data: vec![0u8; 8 << 10],
                }],
                ..Expect::ok()
            },
        ),
        case("panic_long_message", Expect::panic(&"A".repeat(60_000))),
    ]
}

// ---------------------------------------------------------------------------
// Disallowed features not covered by corpus.rs's reject.* cases

fn feature_cases() -> Vec<Case> {
    let disallowed = |name: &str, text: &'static str| {
        wat(
            &format!("feature.{name}"),
            text,
            Expect::rejected(RejectionKind::DisallowedFeature),
        )
    };
    vec![
        disallowed(
            "ref_null",
            r#"(module (func (export "main") (drop (ref.null func))))"#,
        ),
        disallowed(
            "ref_is_null",
            r#"(module (func (export "main") (drop (ref.is_null (ref.null extern)))))"#,
        ),
        disallowed(
            "ref_func",
            r#"(module (func $f) (elem declare func $f)
              (func (export "main") (drop (ref.func $f))))"#,
        ),
        disallowed(
            "table_size",
            r#"(module (table 1 funcref) (func (export "main") (drop (table.size 0))))"#,
        ),
        disallowed(
            "table_grow",
            r#"(module (table 1 funcref)
              (func (export "main") (drop (table.grow 0 (ref.null func) (i32.const 1)))))"#,
        ),
        disallowed(
            "table_fill",
            r#"(module (table 1 funcref)
              (func (export "main") (table.fill 0 (i32.const 0) (ref.null func) (i32.const 1))))"#,
        ),
        disallowed(
            "typed_select",
            r#"(module (func (export "main")
              (drop (select (result i32) (i32.const 1) (i32.const 2) (i32.const 0)))))"#,
        ),
        disallowed(
            "return_call_indirect",
            r#"(module (type $v (func)) (table 1 funcref)
              (func (export "main") (return_call_indirect (type $v) (i32.const 0))))"#,
        ),
        disallowed(
            "call_ref",
            r#"(module (type $v (func)) (func $f) (elem declare func $f)
              (func (export "main") (call_ref $v (ref.func $f))))"#,
        ),
        disallowed(
            "wide_arithmetic",
            r#"(module (func (export "main")
              (i64.add128 (i64.const 1) (i64.const 0) (i64.const 2) (i64.const 0))
              drop drop))"#,
        ),
        disallowed(
            "custom_page_size",
            r#"(module (memory 1 (pagesize 1)) (func (export "main")))"#,
        ),
        disallowed(
            "simd_load",
            r#"(module (memory 1) (func (export "main") (drop (v128.load (i32.const 0)))))"#,
        ),
        disallowed(
            "atomic_fence",
            r#"(module (func (export "main") (atomic.fence)))"#,
        ),
        disallowed(
            "try_table",
            r#"(module (func (export "main") (block $b (try_table (catch_all $b)))))"#,
        ),
        disallowed(
            "legacy_exceptions",
            r#"(module (func (export "main") try catch_all end))"#,
        ),
        disallowed(
            "i31",
            r#"(module (func (export "main") (drop (ref.i31 (i32.const 0)))))"#,
        ),
        disallowed(
            "table64",
            r#"(module (table i64 1 funcref) (func (export "main")))"#,
        ),
        disallowed(
            "passive_externref_table",
            r#"(module (table 1 externref) (func (export "main")))"#,
        ),
    ]
}

// ---------------------------------------------------------------------------
// Unknown and mistyped imports

fn import_cases() -> Vec<Case> {
    let mistyped = |name: &str, text: &'static str| {
        wat(
            &format!("import.{name}"),
            text,
            Expect::rejected(RejectionKind::MistypedImport),
        )
    };
    let unknown = |name: &str, text: &'static str| {
        wat(
            &format!("import.{name}"),
            text,
            Expect::rejected(RejectionKind::UnknownImport),
        )
    };
    vec![
        mistyped(
            "wrong_param_count",
            r#"(module (import "env" "storage_write" (func (param i64 i64 i64 i64) (result i64)))
              (memory (export "memory") 1) (func (export "main")))"#,
        ),
        mistyped(
            "i32_pointers",
            r#"(module (import "env" "log_utf8" (func (param i32 i32)))
              (memory (export "memory") 1) (func (export "main")))"#,
        ),
        mistyped(
            "missing_result",
            r#"(module (import "env" "storage_read" (func (param i64 i64 i64)))
              (memory (export "memory") 1) (func (export "main")))"#,
        ),
        mistyped(
            "extra_result",
            r#"(module (import "env" "value_return" (func (param i64 i64) (result i64)))
              (memory (export "memory") 1) (func (export "main")))"#,
        ),
        mistyped(
            "float_params",
            r#"(module (import "env" "random_bytes" (func (param f64 f64)))
              (memory (export "memory") 1) (func (export "main")))"#,
        ),
        mistyped(
            "two_results",
            r#"(module (import "env" "register_len" (func (param i64) (result i64 i64)))
              (func (export "main")))"#,
        ),
        mistyped(
            "param_for_time_now",
            r#"(module (import "env" "time_now" (func (param i64) (result i64)))
              (func (export "main")))"#,
        ),
        // A good import first does not excuse a bad one after it.
        mistyped(
            "second_import_mistyped",
            r#"(module
              (import "env" "gas_left" (func (result i64)))
              (import "env" "gas_left" (func (result f64)))
              (func (export "main")))"#,
        ),
        unknown(
            "global",
            r#"(module (import "env" "gas" (global i64)) (func (export "main")))"#,
        ),
        unknown(
            "global_with_abi_name",
            r#"(module (import "env" "time_now" (global (mut i64))) (func (export "main")))"#,
        ),
        unknown(
            "table",
            r#"(module (import "env" "table" (table 1 funcref)) (func (export "main")))"#,
        ),
        unknown(
            "memory_with_max",
            r#"(module (import "env" "memory" (memory 1 1)) (func (export "main")))"#,
        ),
        unknown(
            "case_mismatch",
            r#"(module (import "env" "Log_utf8" (func (param i64 i64)))
              (memory (export "memory") 1) (func (export "main")))"#,
        ),
        unknown(
            "empty_name",
            r#"(module (import "env" "" (func)) (func (export "main")))"#,
        ),
        unknown(
            "trailing_nul",
            r#"(module (import "env" "time_now\00" (func (result i64))) (func (export "main")))"#,
        ),
        unknown(
            "other_module",
            r#"(module (import "ENV" "time_now" (func (result i64))) (func (export "main")))"#,
        ),
        unknown(
            "runtime_internal_name",
            r#"(module (import "env" "__runtime_gas" (func (param i64))) (func (export "main")))"#,
        ),
        unknown(
            "function_named_memory",
            r#"(module (import "env" "memory" (func)) (func (export "main")))"#,
        ),
        unknown(
            "unknown_after_known",
            r#"(module
              (import "env" "time_now" (func (result i64)))
              (import "env" "abort" (func (param i64 i64 i64 i64)))
              (func (export "main")))"#,
        ),
        // An exception tag: validation names the feature first.
        wat(
            "import.tag",
            r#"(module (import "env" "tag" (tag)) (func (export "main")))"#,
            Expect::rejected(RejectionKind::DisallowedFeature),
        ),
    ]
}

// ---------------------------------------------------------------------------
// Exports: the memory export, the called export, reserved names

fn export_cases() -> Vec<Case> {
    let no_memory = |name: &str, text: &'static str| {
        wat(
            &format!("export.{name}"),
            text,
            Expect::rejected(RejectionKind::MissingMemoryExport),
        )
    };
    let collision = r#"(module
      (import "env" "storage_write" (func $w (param i64 i64 i64 i64 i64) (result i64)))
      (memory (export "memory") 1)
      (data (i32.const 0) "s1g2x3t4")
      (func $start
        (drop (call $w (i64.const 1) (i64.const 0) (i64.const 1) (i64.const 1) (i64.const 0))))
      (start $start)
      (func (export "__runtime_gas")
        (drop (call $w (i64.const 1) (i64.const 2) (i64.const 1) (i64.const 3) (i64.const 0))))
      (func (export "__runtime_start")
        (drop (call $w (i64.const 1) (i64.const 4) (i64.const 1) (i64.const 5) (i64.const 0))))
      (func (export "__runtime_stack")
        (drop (call $w (i64.const 1) (i64.const 6) (i64.const 1) (i64.const 7) (i64.const 0)))))"#;
    vec![
        no_memory(
            "memory_under_another_name",
            r#"(module (import "env" "log_utf8" (func (param i64 i64)))
              (memory (export "mem") 1) (func (export "main")))"#,
        ),
        no_memory(
            "no_memory_for_sha256",
            r#"(module (import "env" "sha256" (func (param i64 i64 i64))) (func (export "main")))"#,
        ),
        no_memory(
            "function_named_memory",
            r#"(module (import "env" "random_bytes" (func (param i64 i64)))
              (func (export "memory")) (func (export "main")))"#,
        ),
        no_memory(
            "global_named_memory",
            r#"(module (import "env" "read_register" (func (param i64 i64)))
              (global (export "memory") i32 (i32.const 0)) (func (export "main")))"#,
        ),
        no_memory(
            "unexported_memory",
            r#"(module (import "env" "input" (func (param i64)))
              (import "env" "read_register" (func (param i64 i64)))
              (memory 1) (func (export "main")))"#,
        ),
        wat(
            "export.main_with_result",
            r#"(module (func (export "main") (result i32) (i32.const 0)))"#,
            Expect::rejected(RejectionKind::MissingExport),
        ),
        wat(
            "export.main_is_a_global",
            r#"(module (global (export "main") i32 (i32.const 0)))"#,
            Expect::rejected(RejectionKind::MissingExport),
        ),
        // The runtime's reserved export names are not callable ...
        Case::new(
            "adv.export.injected_start_not_callable",
            Guest::Wat(r#"(module (func $s) (start $s) (func (export "main")))"#),
            "__runtime_start",
            Expect::rejected(RejectionKind::MissingExport),
        ),
        Case::new(
            "adv.export.injected_gas_not_callable",
            Guest::Wat(r#"(module (func (export "main")))"#),
            "__runtime_gas",
            Expect::rejected(RejectionKind::MissingExport),
        ),
        Case::new(
            "adv.export.injected_stack_not_callable",
            Guest::Wat(r#"(module (func (export "main")))"#),
            "__runtime_stack",
            Expect::rejected(RejectionKind::MissingExport),
        ),
        // ... and a guest that uses them itself keeps them: the start
        // function runs once, then the guest's own export.
        Case::new(
            "adv.export.reserved_names_taken_gas",
            Guest::Wat(collision),
            "__runtime_gas",
            Expect::ok().changes([kv(b"s", Some(b"1")), kv(b"g", Some(b"2"))]),
        ),
        Case::new(
            "adv.export.reserved_names_taken_stack",
            Guest::Wat(collision),
            "__runtime_stack",
            Expect::ok().changes([kv(b"s", Some(b"1")), kv(b"t", Some(b"4"))]),
        ),
        Case::new(
            "adv.export.reserved_names_taken_start",
            Guest::Wat(collision),
            "__runtime_start",
            Expect::ok().changes([kv(b"s", Some(b"1")), kv(b"x", Some(b"3"))]),
        ),
    ]
}

// ---------------------------------------------------------------------------
// NaN smuggling

fn nan_cases() -> Vec<Case> {
    let c64 = 0x7ff8_0000_0000_0000u64;
    let c32 = 0x7fc0_0000u32;
    let payload = 0x7ff4_0000_0000_0abcu64;
    let negative = 0xfff8_0000_0001_2345u64;
    // Arithmetic on the input's f64: mul, add, sqrt, max, nearest, demote
    // then promote; then copysign and a plain move (bit moves, which keep
    // the payload and are deterministic).
    let ops = r#"(module
      (import "env" "input" (func $input (param i64)))
      (import "env" "read_register" (func $read_register (param i64 i64)))
      (import "env" "value_return" (func $ret (param i64 i64)))
      (memory (export "memory") 1)
      (func (export "main") (local $x f64)
        (call $input (i64.const 0))
        (call $read_register (i64.const 0) (i64.const 0))
        (local.set $x (f64.load (i32.const 0)))
        (f64.store (i32.const 100) (f64.mul (local.get $x) (f64.const 1)))
        (f64.store (i32.const 108) (f64.add (local.get $x) (f64.const 0)))
        (f64.store (i32.const 116) (f64.sqrt (local.get $x)))
        (f64.store (i32.const 124) (f64.max (local.get $x) (local.get $x)))
        (f64.store (i32.const 132) (f64.nearest (local.get $x)))
        (f64.store (i32.const 140) (f64.promote_f32 (f32.demote_f64 (local.get $x))))
        (f64.store (i32.const 148) (f64.copysign (local.get $x) (f64.const -1)))
        (f64.store (i32.const 156) (local.get $x))
        (call $ret (i64.const 64) (i64.const 100))))"#;
    let expect_ops = |bits: u64| {
        let mut out = Vec::new();
        for _ in 0..6 {
            out.extend(le(c64));
        }
        out.extend(le(bits | (1 << 63)));
        out.extend(le(bits));
        Expect::ok().returns(out)
    };
    vec![
        Case::new(
            "adv.nan.smuggle_payload_through_arithmetic",
            Guest::Wat(ops),
            "main",
            expect_ops(payload),
        )
        .input(&le(payload)),
        Case::new(
            "adv.nan.smuggle_negative_payload",
            Guest::Wat(ops),
            "main",
            expect_ops(negative),
        )
        .input(&le(negative)),
        // An f32 payload divided by one, into storage: the canonical NaN
        // is what is committed.
        Case::new(
            "adv.nan.smuggle_into_storage",
            Guest::Wat(
                r#"(module
                  (import "env" "input" (func $input (param i64)))
                  (import "env" "read_register" (func $read_register (param i64 i64)))
                  (import "env" "storage_write" (func $w (param i64 i64 i64 i64 i64) (result i64)))
                  (import "env" "emit_event" (func $e (param i64 i64 i64 i64)))
                  (memory (export "memory") 1)
                  (data (i32.const 0) "n")
                  (func (export "main")
                    (call $input (i64.const 0))
                    (call $read_register (i64.const 0) (i64.const 8))
                    (f32.store (i32.const 16) (f32.div (f32.load (i32.const 8)) (f32.const 1)))
                    (drop (call $w (i64.const 1) (i64.const 0) (i64.const 4) (i64.const 16) (i64.const 0)))
                    (call $e (i64.const 1) (i64.const 0) (i64.const 4) (i64.const 16))))"#,
            ),
            "main",
            Expect::ok()
                .events([("n", c32.to_le_bytes().to_vec())])
                .changes([kv(b"n", Some(&c32.to_le_bytes()))]),
        )
        .input(&0x7fa0_0001u32.to_le_bytes()),
        // A NaN cannot be converted to an integer: a trap, nothing
        // committed; the saturating conversion gives 0.
        Case::new(
            "adv.nan.trapping_conversion",
            Guest::Wat(
                r#"(module
                  (import "env" "input" (func $input (param i64)))
                  (import "env" "read_register" (func $read_register (param i64 i64)))
                  (import "env" "storage_write" (func $w (param i64 i64 i64 i64 i64) (result i64)))
                  (memory (export "memory") 1)
                  (data (i32.const 0) "kv")
                  (func (export "main")
                    (drop (call $w (i64.const 1) (i64.const 0) (i64.const 1) (i64.const 1) (i64.const 0)))
                    (call $input (i64.const 0))
                    (call $read_register (i64.const 0) (i64.const 8))
                    (drop (i64.trunc_f64_u (f64.load (i32.const 8))))))"#,
            ),
            "main",
            Expect::trap(TrapKind::BadConversionToInteger),
        )
        .input(&le(payload))
        .state(PRE),
        Case::new(
            "adv.nan.saturating_conversion",
            Guest::Wat(
                r#"(module
                  (import "env" "input" (func $input (param i64)))
                  (import "env" "read_register" (func $read_register (param i64 i64)))
                  (import "env" "value_return" (func $ret (param i64 i64)))
                  (memory (export "memory") 1)
                  (func (export "main")
                    (call $input (i64.const 0))
                    (call $read_register (i64.const 0) (i64.const 8))
                    (i64.store (i32.const 16) (i64.trunc_sat_f64_s (f64.load (i32.const 8))))
                    (call $ret (i64.const 8) (i64.const 16))))"#,
            ),
            "main",
            Expect::ok().returns(le(0)),
        )
        .input(&le(negative)),
    ]
}

// ---------------------------------------------------------------------------
// Malformed modules and storage limits

fn misc_cases() -> Vec<Case> {
    vec![
        wat(
            "malformed.type_mismatch",
            r#"(module (func (export "main") (drop (i32.add (i32.const 0) (i64.const 0)))))"#,
            Expect::rejected(RejectionKind::MalformedModule),
        ),
        Case::new(
            "adv.malformed.truncated_section",
            // A type section that claims 16 bytes and has 1.
            Guest::Bytes(b"\0asm\x01\0\0\0\x01\x10\x01"),
            "main",
            Expect::rejected(RejectionKind::MalformedModule),
        ),
        Case::new(
            "adv.malformed.empty",
            Guest::Bytes(b""),
            "main",
            Expect::rejected(RejectionKind::MalformedModule),
        ),
        wat(
            "malformed.duplicate_export",
            r#"(module (func (export "main")) (func (export "main")))"#,
            Expect::rejected(RejectionKind::MalformedModule),
        ),
        wat(
            "malformed.unknown_function_index",
            r#"(module (func (export "main") (call 7)))"#,
            Expect::rejected(RejectionKind::MalformedModule),
        ),
        // Under the default limits: a 2 049-byte key, a 4 MiB + 1 value.
        wat(
            "storage.key_over_default_limit",
            r#"(module
              (import "env" "storage_write" (func $w (param i64 i64 i64 i64 i64) (result i64)))
              (import "env" "storage_read" (func $r (param i64 i64 i64) (result i64)))
              (memory (export "memory") 1) (data (i32.const 0) "kv")
              (func (export "main")
                (drop (call $w (i64.const 1) (i64.const 0) (i64.const 1) (i64.const 1) (i64.const 0)))
                (drop (call $r (i64.const 2049) (i64.const 0) (i64.const 0)))))"#,
            Expect::host_error(HostError::KeyLengthExceeded),
        )
        .state(PRE),
        wat(
            "storage.remove_key_over_default_limit",
            r#"(module
              (import "env" "storage_remove" (func $r (param i64 i64 i64) (result i64)))
              (memory (export "memory") 1)
              (func (export "main") (drop (call $r (i64.const 2049) (i64.const 0) (i64.const 0)))))"#,
            Expect::host_error(HostError::KeyLengthExceeded),
        )
        .state(PRE),
        wat(
            "storage.value_over_default_limit",
            r#"(module
              (import "env" "storage_write" (func $w (param i64 i64 i64 i64 i64) (result i64)))
              (memory (export "memory") 65) (data (i32.const 0) "kv")
              (func (export "main")
                (drop (call $w (i64.const 1) (i64.const 0) (i64.const 1) (i64.const 1) (i64.const 0)))
                (drop (call $w (i64.const 1) (i64.const 0) (i64.const 4194305) (i64.const 0) (i64.const 0)))))"#,
            Expect::host_error(HostError::ValueLengthExceeded),
        )
        .state(PRE),
        // The per-byte charge of one sha256 of 60 000 bytes is what runs
        // out: gas_used is the limit.
        wat(
            "gas.out_in_per_byte_charge",
            r#"(module
              (import "env" "sha256" (func $h (param i64 i64 i64)))
              (memory (export "memory") 1)
              (func (export "main") (call $h (i64.const 60000) (i64.const 0) (i64.const 0))))"#,
            Expect::trap(TrapKind::GasExhausted).gas(5_000),
        )
        .limits(|l| l.execution.gas = 5_000),
    ]
}
