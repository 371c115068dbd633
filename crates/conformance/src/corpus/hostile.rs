//! Hostile guests of issue 12, one or more regression cases per finding:
//!
//! 1. compile bombs: each code limit of ABI 1.1 exactly at its default
//!    (accepted, runs `ok` everywhere, exact gas) and one past it
//!    (`StaticLimitExceeded` naming the limit), and the issue's own bombs;
//! 2. wasmi's lazy translation ran out of fuel on a first call after a long
//!    loop: `ok` everywhere;
//! 3. a `br_table` of more than 131 072 targets (wasmi refuses it): at that
//!    bound it runs everywhere, past it preparation refuses it whatever the
//!    limits say;
//! 4. an operand stack no stack limit can hold (wasmi failed to translate
//!    it): refused, naming the limit, whatever the limits say;
//! 6. a loop of fresh big `storage_write`s under a huge gas limit:
//!    `StorageWriteLimitExceeded`;
//! 7. big outputs within the limits (15 × 4 MiB written and a 64 MiB
//!    return): `ok`, and the issue's 23 × 4 MiB: past the write bound.
//!
//! Findings 5 (the timeout during host calls) and 8–10 (the CLI) are tested
//! in `tests/timeout.rs` and `tests/cli.rs`. Gas is derived from the
//! [`GasSchedule`] rules as `runtime_core::prepare` instruments them: each
//! basic block (a block starts at the entry and after every control
//! operator) is charged the sum of its operators' costs before it runs.

use host_abi::HostFunction;
use runtime::{ExecutionLimits, GasSchedule, ModuleLimits};
use wasm_encoder::{Function, Instruction};

use sha2::{Digest, Sha256};

use super::{Case, Guest};
use crate::bombs::{self, FIXED_DEPTH, Shape};
use crate::expect::{Expect, changes_sha256};

/// The hostile cases.
pub(super) fn hostile_cases(s: &GasSchedule, base: &dyn Fn(HostFunction) -> u64) -> Vec<Case> {
    let mut cases = code_limit_cases(s);
    cases.extend(issue_bomb_cases());
    cases.extend(engine_bound_cases(s));
    cases.extend(memory_cases(s, base));
    cases
}

/// A case calling "main" of a generated module.
fn generated(name: &'static str, generate: fn() -> Vec<u8>, expect: Expect) -> Case {
    Case::new(
        &format!("hostile.{name}"),
        Guest::Generated(name, generate),
        "main",
        expect,
    )
}

/// A rejection for a static limit, naming it.
fn over(limit: &'static str) -> Expect {
    Expect::rejected("StaticLimitExceeded").naming(limit)
}

/// The default code limits, which the generators below are sized by.
fn defaults() -> ModuleLimits {
    ModuleLimits::default()
}

// ---------------------------------------------------------------------------
// Finding 1: the code limits, at and just past their defaults.
//
// Every generated module has `bombs::module_of`'s frame: function 0 is an
// empty callee (one basic block, 2 bytes of body), `main` is function 1.

/// `n` nested loops.
fn nesting(n: u32) -> Vec<u8> {
    bombs::module(Shape::NestedLoops, n)
}

fn gen_nesting_at() -> Vec<u8> {
    nesting(defaults().max_nesting_depth)
}

fn gen_nesting_past() -> Vec<u8> {
    nesting(defaults().max_nesting_depth + 1)
}

/// A `br_if` chain of `n`: `n + 3` basic blocks (the entry, `block`, each
/// `br_if`, `end`).
fn br_if_chain(n: u32) -> Vec<u8> {
    bombs::module(Shape::BrIfChain, n)
}

fn gen_blocks_per_function_at() -> Vec<u8> {
    br_if_chain(defaults().max_blocks_per_function - 3)
}

fn gen_blocks_per_function_past() -> Vec<u8> {
    br_if_chain(defaults().max_blocks_per_function - 2)
}

/// A body of exactly `blocks` basic blocks (at least 2): `m` pairs of
/// `block` `end` in a row (`2m + 1`), then a `br 0` when `blocks` is even.
/// Cheap for every compiler, and nested one deep.
fn body_of_blocks(blocks: u64) -> Function {
    use Instruction as I;
    let mut f = Function::new([]);
    for _ in 0..(blocks - 1) / 2 {
        f.instruction(&I::Block(wasm_encoder::BlockType::Empty));
        f.instruction(&I::End);
    }
    if (blocks - 1) % 2 == 1 {
        f.instruction(&I::Br(0));
    }
    f.instruction(&I::End);
    f
}

/// Bodies of at most `max_blocks_per_function` blocks whose blocks, with
/// the callee's one, add up to `total`; main (the first) is a full one.
fn blocks_module(total: u64) -> Vec<u8> {
    let per_body = u64::from(defaults().max_blocks_per_function);
    let mut left = total - 1;
    let mut bodies = Vec::new();
    while left > 0 {
        let blocks = left.min(per_body).max(2);
        bodies.push(body_of_blocks(blocks));
        left = left.saturating_sub(blocks);
    }
    bombs::module_of(&bodies)
}

fn gen_blocks_per_module_at() -> Vec<u8> {
    blocks_module(defaults().max_blocks_per_module)
}

fn gen_blocks_per_module_past() -> Vec<u8> {
    blocks_module(defaults().max_blocks_per_module + 1)
}

fn gen_br_table_at() -> Vec<u8> {
    bombs::module(Shape::BrTable, defaults().max_br_table_targets)
}

fn gen_br_table_past() -> Vec<u8> {
    bombs::module(Shape::BrTable, defaults().max_br_table_targets + 1)
}

fn gen_operand_stack_at() -> Vec<u8> {
    bombs::module(Shape::OperandStack, defaults().max_operand_stack)
}

fn gen_operand_stack_past() -> Vec<u8> {
    bombs::module(Shape::OperandStack, defaults().max_operand_stack + 1)
}

/// Locals updated inside [`FIXED_DEPTH`] nested loops: each loop carries
/// all of them, so the module carries `FIXED_DEPTH × locals`.
fn loop_locals(locals: u64) -> Vec<u8> {
    bombs::module(
        Shape::LocalsAcrossLoops,
        u32::try_from(locals).unwrap_or(u32::MAX),
    )
}

fn gen_loop_locals_at() -> Vec<u8> {
    loop_locals(defaults().max_loop_locals / u64::from(FIXED_DEPTH))
}

fn gen_loop_locals_past() -> Vec<u8> {
    loop_locals(defaults().max_loop_locals / u64::from(FIXED_DEPTH) + 1)
}

/// Bodies of `nop`s (a body of `k` nops is `k + 2` bytes: the locals count
/// and the `end`) whose sizes, with the callee's 2 bytes, add up to
/// `total`.
fn code_size_module(total: u64) -> Vec<u8> {
    let max_body = defaults().max_function_body_size;
    let mut left = total - 2;
    let mut bodies = Vec::new();
    while left > 0 {
        let size = left.min(max_body);
        let mut f = Function::new([]);
        for _ in 0..size.saturating_sub(2) {
            f.instruction(&Instruction::Nop);
        }
        f.instruction(&Instruction::End);
        bodies.push(f);
        left -= size;
    }
    bombs::module_of(&bodies)
}

fn gen_code_size_at() -> Vec<u8> {
    code_size_module(defaults().max_code_size)
}

fn gen_code_size_past() -> Vec<u8> {
    code_size_module(defaults().max_code_size + 1)
}

fn code_limit_cases(s: &GasSchedule) -> Vec<Case> {
    let o = &s.operators;
    let d = defaults();
    let depth = u64::from(d.max_nesting_depth);
    let chain = u64::from(d.max_blocks_per_function - 3);
    // main of the module of blocks: `pairs` × (`block`, `end`), `br 0`.
    let pairs = (u64::from(d.max_blocks_per_function) - 2) / 2;
    let targets_structure = 2 * o.structure;
    let stack = u64::from(d.max_operand_stack);
    let locals = d.max_loop_locals / u64::from(FIXED_DEPTH);
    let fixed = u64::from(FIXED_DEPTH);
    let body = d.max_function_body_size;
    vec![
        // Each `loop` and `end` is block structure.
        generated(
            "nesting_at_limit",
            gen_nesting_at,
            Expect::ok().gas((2 * depth + 1) * o.structure),
        ),
        generated(
            "nesting_past_limit",
            gen_nesting_past,
            over("max_nesting_depth"),
        ),
        // `block`, then `chain` × (global.get, br_if), all falling through,
        // then the block's and the body's `end`.
        generated(
            "blocks_per_function_at_limit",
            gen_blocks_per_function_at,
            Expect::ok().gas(3 * o.structure + 2 * chain * o.simple),
        ),
        generated(
            "blocks_per_function_past_limit",
            gen_blocks_per_function_past,
            over("max_blocks_per_function"),
        ),
        // main is the first body: the pairs, then `br 0`, which leaves the
        // body before the charge that follows it (for the body's `end`).
        generated(
            "blocks_per_module_at_limit",
            gen_blocks_per_module_at,
            Expect::ok().gas(2 * pairs * o.structure + o.simple),
        ),
        generated(
            "blocks_per_module_past_limit",
            gen_blocks_per_module_past,
            over("max_blocks_per_module"),
        ),
        // `block`; global.get and br_table; the br_table leaves the block,
        // so the charge placed after it (for the block's `end`) never runs;
        // the body's `end`.
        generated(
            "br_table_at_limit",
            gen_br_table_at,
            Expect::ok().gas(targets_structure + 2 * o.simple),
        ),
        generated(
            "br_table_past_limit",
            gen_br_table_past,
            over("max_br_table_targets"),
        ),
        // `stack` constants, `stack - 1` adds and a drop, then `end`.
        generated(
            "operand_stack_at_limit",
            gen_operand_stack_at,
            Expect::ok().gas(2 * stack * o.simple + o.structure),
        ),
        generated(
            "operand_stack_past_limit",
            gen_operand_stack_past,
            over("max_operand_stack"),
        ),
        // 64 loops, each block one `loop`; the innermost block updates every
        // local (get, const, add, set); 64 ends and the body's.
        generated(
            "loop_locals_at_limit",
            gen_loop_locals_at,
            Expect::ok().gas((2 * fixed + 1) * o.structure + 4 * locals * o.simple),
        ),
        generated(
            "loop_locals_past_limit",
            gen_loop_locals_past,
            over("max_loop_locals"),
        ),
        // main is the first body: a full one, `body - 2` nops and `end`.
        generated(
            "code_size_at_limit",
            gen_code_size_at,
            Expect::ok().gas((body - 1) * o.structure),
        ),
        generated(
            "code_size_past_limit",
            gen_code_size_past,
            over("max_code_size"),
        ),
    ]
}

// ---------------------------------------------------------------------------
// Finding 1: the issue's bombs as it gave them.

/// One body: `block`, 60 000 × (`i32.const 0`, `br_if 0`), `end` (about
/// 30 s per Cranelift backend before ABI 1.1).
fn issue_br_if_body() -> Function {
    let mut f = Function::new([]);
    f.instruction(&Instruction::Block(wasm_encoder::BlockType::Empty));
    for _ in 0..60_000 {
        f.instruction(&Instruction::I32Const(0));
        f.instruction(&Instruction::BrIf(0));
    }
    f.instruction(&Instruction::End);
    f.instruction(&Instruction::End);
    f
}

fn gen_issue_br_if_chain() -> Vec<u8> {
    bombs::module_of(&[issue_br_if_body()])
}

fn gen_issue_br_if_chain_16() -> Vec<u8> {
    bombs::module_of(&vec![issue_br_if_body(); 16])
}

fn gen_issue_nested_loops() -> Vec<u8> {
    bombs::module(Shape::NestedLoops, 40_000)
}

/// 50 000 nested `if`s on `i32.const 0`.
fn gen_issue_nested_ifs() -> Vec<u8> {
    let mut f = Function::new([]);
    for _ in 0..50_000 {
        f.instruction(&Instruction::I32Const(0));
        f.instruction(&Instruction::If(wasm_encoder::BlockType::Empty));
    }
    for _ in 0..=50_000 {
        f.instruction(&Instruction::End);
    }
    bombs::module_of(&[f])
}

fn issue_bomb_cases() -> Vec<Case> {
    vec![
        generated(
            "issue_br_if_chain_60000",
            gen_issue_br_if_chain,
            over("max_blocks_per_function"),
        ),
        generated(
            "issue_br_if_chain_60000_x16",
            gen_issue_br_if_chain_16,
            over("max_blocks_per_function"),
        ),
        generated(
            "issue_nested_loops_40000",
            gen_issue_nested_loops,
            over("max_nesting_depth"),
        ),
        generated(
            "issue_nested_ifs_50000",
            gen_issue_nested_ifs,
            over("max_nesting_depth"),
        ),
    ]
}

// ---------------------------------------------------------------------------
// Findings 2–4: what one engine refused or failed where the others ran.

/// Iterations of the loop before the first call (the issue's figure): with
/// wasmi's lazy translation and 10 M-fuel slices, the 200 KB function's
/// translation (7 fuel per byte) then straddles a slice boundary.
const LAZY_LOOP: u64 = 518_000;
/// `nop`s in the big function.
const LAZY_NOPS: u64 = 200_000;

/// main: a loop of [`LAZY_LOOP`] iterations, then a first call of a
/// function of [`LAZY_NOPS`] `nop`s.
fn gen_first_call_after_long_loop() -> Vec<u8> {
    use Instruction as I;
    let mut main = Function::new([(1, wasm_encoder::ValType::I32)]);
    main.instruction(&I::Loop(wasm_encoder::BlockType::Empty));
    main.instruction(&I::LocalGet(0));
    main.instruction(&I::I32Const(1));
    main.instruction(&I::I32Add);
    main.instruction(&I::LocalSet(0));
    main.instruction(&I::LocalGet(0));
    main.instruction(&I::I32Const(i32::try_from(LAZY_LOOP).unwrap_or(i32::MAX)));
    main.instruction(&I::I32LtU);
    main.instruction(&I::BrIf(0));
    main.instruction(&I::End);
    // Function 2: the big one (0 is the frame's callee, 1 is main).
    main.instruction(&I::Call(2));
    main.instruction(&I::End);
    let mut big = Function::new([]);
    for _ in 0..LAZY_NOPS {
        big.instruction(&I::Nop);
    }
    big.instruction(&I::End);
    bombs::module_of(&[main, big])
}

/// The float shape of the largest body allowed: its canonicalised NaNs make
/// the prepared body about 1.5 MB, whose lazy translation wasmi charges
/// 7 fuel per byte — more than the 10 M of one fuel slice, so that it
/// failed wherever the slice boundary fell.
fn float_body_n() -> u32 {
    let max = defaults().max_function_body_size;
    bombs::largest_within(max, |n| bombs::body_size(Shape::FloatArithmetic, n, 1))
}

fn gen_float_body_at_size_limit() -> Vec<u8> {
    bombs::module(Shape::FloatArithmetic, float_body_n())
}

/// The most targets every engine accepts, and one more.
fn gen_br_table_engine_bound() -> Vec<u8> {
    bombs::module(Shape::BrTable, ModuleLimits::MAX_BR_TABLE_TARGETS)
}

fn gen_br_table_past_engine_bound() -> Vec<u8> {
    bombs::module(Shape::BrTable, ModuleLimits::MAX_BR_TABLE_TARGETS + 1)
}

/// The largest table every engine instantiates (wasmtime's instance pool
/// reserves this many elements per table), and one more.
fn gen_table_at_engine_bound() -> Vec<u8> {
    table_module(ModuleLimits::MAX_TABLE_SIZE)
}

fn gen_table_past_engine_bound() -> Vec<u8> {
    table_module(ModuleLimits::MAX_TABLE_SIZE + 1)
}

fn table_module(elements: u32) -> Vec<u8> {
    super::shape::ModuleShape {
        tables: vec![(u64::from(elements), None)],
        ..super::shape::ModuleShape::default()
    }
    .build()
}

/// An operand stack as high as the largest stack limit allows: a frame of
/// 4 + 0 locals + 32 764 operands = [`ModuleLimits::MAX_STACK_HEIGHT`].
fn gen_frame_at_max_stack() -> Vec<u8> {
    bombs::module(Shape::OperandStack, ModuleLimits::MAX_STACK_HEIGHT - 4)
}

fn gen_frame_past_max_stack() -> Vec<u8> {
    bombs::module(Shape::OperandStack, ModuleLimits::MAX_STACK_HEIGHT - 3)
}

/// The issue's long nested expression: an operand stack of 65 528 values.
fn gen_issue_operand_stack() -> Vec<u8> {
    bombs::module(Shape::OperandStack, 65_528)
}

/// Code limits raised as far as they go, so that only the engines' own
/// bounds remain.
fn unbounded(l: &mut runtime::Limits) {
    l.module.max_br_table_targets = u32::MAX;
    l.module.max_operand_stack = u32::MAX;
    l.module.max_stack_height = ModuleLimits::MAX_STACK_HEIGHT;
}

fn engine_bound_cases(s: &GasSchedule) -> Vec<Case> {
    let o = &s.operators;
    let loop_gas = LAZY_LOOP * 8 * o.simple;
    let operands = u64::from(ModuleLimits::MAX_STACK_HEIGHT - 4);
    vec![
        // Finding 2. main: the entry block (`loop`), the loop body (8 simple
        // operators) per iteration, the loop's `end`, then `call` and the
        // body's `end`; the big function: nops and its `end`. Before eager
        // translation, wasmi ended `nondeterministic` ("unexpected trap
        // OutOfFuel").
        generated(
            "first_call_after_long_loop",
            gen_first_call_after_long_loop,
            Expect::ok().gas(3 * o.structure + loop_gas + o.call + (LAZY_NOPS + 1) * o.structure),
        ),
        // Finding 2 again, whatever the loop: main's prepared body alone
        // costs more translation fuel than a slice holds. One block: 8
        // locals seeded (global.get, f64.convert_i32_u, local.set), then per
        // unit 3 local.get, f64.mul, f64.add and local.set, and `end`.
        generated(
            "float_body_at_size_limit",
            gen_float_body_at_size_limit,
            Expect::ok().gas(
                8 * (2 * o.simple + o.float)
                    + u64::from(float_body_n()) * (4 * o.simple + 2 * o.float)
                    + o.structure,
            ),
        ),
        // Finding 3: wasmi's parser refuses more than 131 072 targets.
        generated(
            "br_table_at_engine_bound",
            gen_br_table_engine_bound,
            Expect::ok().gas(2 * o.structure + 2 * o.simple),
        )
        .limits(unbounded),
        // The limit is clamped to the engines' bound, whatever it says.
        generated(
            "br_table_past_engine_bound",
            gen_br_table_past_engine_bound,
            over("max_br_table_targets"),
        )
        .limits(unbounded),
        // wasmtime's pool refused a table past its slot at instantiation:
        // the limit is clamped to the slot, whatever it says.
        generated(
            "table_at_engine_bound",
            gen_table_at_engine_bound,
            Expect::ok(),
        )
        .limits(|l| l.module.max_table_size = u32::MAX),
        generated(
            "table_past_engine_bound",
            gen_table_past_engine_bound,
            over("max_table_size"),
        )
        .limits(|l| l.module.max_table_size = u32::MAX),
        // Finding 4: wasmi addresses a frame with 16-bit slots; wasmtime and
        // wasmer trapped. The largest frame any stack limit holds runs
        // everywhere.
        generated(
            "frame_at_max_stack_height",
            gen_frame_at_max_stack,
            Expect::ok().gas(2 * operands * o.simple + o.structure),
        )
        .limits(unbounded),
        generated(
            "frame_past_max_stack_height",
            gen_frame_past_max_stack,
            over("max_stack_height"),
        )
        .limits(unbounded),
        generated(
            "issue_operand_stack_65528",
            gen_issue_operand_stack,
            over("max_operand_stack"),
        ),
        generated(
            "issue_operand_stack_65528_unbounded",
            gen_issue_operand_stack,
            over("max_stack_height"),
        )
        .limits(unbounded),
    ]
}

// ---------------------------------------------------------------------------
// Findings 6 and 7: host memory under big writes and returns.

const MIB: u64 = 1 << 20;

/// Finding 6: fresh 8-byte keys (a counter) with 1 MiB values, forever.
const WRITE_LOOP: &str = r#"(module
  (import "env" "storage_write" (func $w (param i64 i64 i64 i64 i64) (result i64)))
  (memory (export "memory") 17)
  (func (export "main") (local $i i64)
    (loop $l
      (i64.store (i32.const 0) (local.get $i))
      (drop (call $w (i64.const 8) (i64.const 0) (i64.const 1048576) (i64.const 8) (i64.const 0)))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br $l))))"#;

/// Finding 7: `WRITES` writes of 4 MiB under fresh 1-byte keys (the key
/// byte is the value's first byte), then a 64 MiB `value_return` of the
/// whole memory.
fn big_outputs(writes: u32) -> String {
    format!(
        r#"(module
  (import "env" "storage_write" (func $w (param i64 i64 i64 i64 i64) (result i64)))
  (import "env" "value_return" (func $ret (param i64 i64)))
  (memory (export "memory") 1024)
  (func (export "main") (local $k i32)
    (loop $l
      (i32.store8 (i32.const 0) (local.get $k))
      (drop (call $w (i64.const 1) (i64.const 0) (i64.const 4194304) (i64.const 0) (i64.const 0)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $k) (i32.const {writes}))))
    (call $ret (i64.const 67108864) (i64.const 0))))"#
    )
}

/// The most 4 MiB writes (with their 1-byte keys) the default write bound
/// allows.
const WRITES_WITHIN: u32 = 15;

fn gen_big_outputs_within() -> Vec<u8> {
    wat::parse_str(big_outputs(WRITES_WITHIN)).expect("the corpus's WAT parses")
}

fn gen_big_outputs_issue() -> Vec<u8> {
    wat::parse_str(big_outputs(23)).expect("the corpus's WAT parses")
}

/// The SHA-256 of `prefix` followed by zeros up to `len` bytes, without
/// holding them.
fn zeros_sha256(prefix: &[u8], len: u64) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(prefix);
    let zeros = [0u8; 1 << 16];
    let mut left = len - prefix.len() as u64;
    while left > 0 {
        let n = left.min(zeros.len() as u64);
        h.update(&zeros[..n as usize]);
        left -= n;
    }
    h.finalize().into()
}

fn memory_cases(s: &GasSchedule, base: &dyn Fn(HostFunction) -> u64) -> Vec<Case> {
    use HostFunction::*;
    let o = &s.operators;
    let bound = ExecutionLimits::default().max_storage_write_bytes;
    // Finding 6: each write counts 8 + 1 MiB; the first that would pass the
    // bound fails after its base gas. Each iteration's block: 13 simple
    // operators, a store and the call.
    let loop_write = 8 + MIB;
    let done = bound / loop_write;
    let iteration = 13 * o.simple + o.memory_access + o.call + base(StorageWrite);
    let write_bytes = |key: u64, value: u64| {
        key * (s.memory_read_byte + s.storage_key_byte)
            + value * (s.memory_read_byte + s.storage_value_byte)
    };
    let loop_gas = o.structure + (done + 1) * iteration + done * write_bytes(8, MIB);
    // Finding 7: each write counts 1 + 4 MiB. The block of an iteration: 16
    // simple operators, a store and the call; after the loop, its `end`,
    // then 2 constants, the call and the body's `end`.
    let big_write = 1 + 4 * MIB;
    let within = u64::from(WRITES_WITHIN);
    assert!(within * big_write <= bound && (within + 1) * big_write > bound);
    let big_iteration = 16 * o.simple + o.memory_access + o.call + base(StorageWrite);
    let big_gas = o.structure
        + within * (big_iteration + write_bytes(1, 4 * MIB))
        + o.structure
        + 2 * o.simple
        + o.call
        + o.structure
        + base(ValueReturn)
        + 64 * MIB * s.memory_read_byte;
    // The return data: the memory, whose first byte is the last key.
    let last = u8::try_from(within - 1).unwrap_or(0);
    let returned = zeros_sha256(&[last], 64 * MIB);
    // The changes: key k, value k and 4 MiB - 1 zeros.
    let value_of = |k: u8| {
        let mut value = vec![0u8; (4 * MIB) as usize];
        value[0] = k;
        value
    };
    let values: Vec<(u8, Vec<u8>)> = (0..=last).map(|k| (k, value_of(k))).collect();
    let changes = changes_sha256(
        values
            .iter()
            .map(|(k, v)| (std::slice::from_ref(k), Some(v.as_slice()))),
    );
    drop(values);
    // The issue's 23 writes: the 16th fails after its base gas.
    let issue_gas = o.structure + (within + 1) * big_iteration + within * write_bytes(1, 4 * MIB);
    vec![
        Case::new(
            "hostile.storage_write_loop_huge_gas",
            Guest::Wat(WRITE_LOOP),
            "main",
            Expect::host_error("StorageWriteLimitExceeded").gas(loop_gas),
        )
        .limits(|l| l.execution.gas = ExecutionLimits::MAX_GAS),
        generated(
            "big_outputs_within_limits",
            gen_big_outputs_within,
            Expect::ok()
                .returns_digest(64 * MIB, returned)
                .changes_digest(within, changes)
                .gas(big_gas),
        ),
        generated(
            "big_outputs_past_write_bound",
            gen_big_outputs_issue,
            Expect::host_error("StorageWriteLimitExceeded").gas(issue_gas),
        ),
    ]
}
