//! The determinism part of the corpus: the stack-height limit, NaN
//! canonicalisation and gas metering, as the instrumentation of
//! `runtime_core::prepare` defines them (its module documentation and
//! `docs/GAS_MODEL.md`) under the default
//! [`OperatorCosts`](runtime::OperatorCosts) and [`Limits`].
//!
//! Gas is charged per basic block; a block starts at a function's entry and
//! after every `block`, `loop`, `if`, `else`, `end`, `br`, `br_if`,
//! `br_table`, `return` and `unreachable`, and costs the sum of its
//! operators (the control operator that ends it included: `if` and the
//! branches are `simple`, `block`, `loop`, `else` and `end` are
//! `structure`). At every call and return the gas used is that of every
//! block run so far, so an `ok` outcome's gas is the sum of the blocks it
//! ran. The comments give each block's operator counts.
//!
//! ABI 1.1: every trap uses all of the call's gas (`gas_used` is the limit,
//! whatever the trap), and `memory.grow` charges its per-page cost only for
//! the pages it added.

use host_abi::HostFunction;
use runtime::{FRAME_OVERHEAD, GasSchedule, Limits};

use super::{Case, Guest, le};
use crate::expect::Expect;

/// The stack-overflow, NaN and gas cases.
pub(super) fn determinism_cases(s: &GasSchedule, base: &dyn Fn(HostFunction) -> u64) -> Vec<Case> {
    let mut cases = stack_cases(s, base);
    cases.extend(nan_cases(s, base));
    cases.extend(gas_cases(s, base));
    cases
}

/// Stack overflows: where the limit trips (the frame costs below), never the
/// gas used, which is the limit for every trap.
fn stack_cases(s: &GasSchedule, base: &dyn Fn(HostFunction) -> u64) -> Vec<Case> {
    use HostFunction::*;
    let o = &s.operators;
    let g = || guest!("stack");
    let default_gas = Limits::default().execution.gas;
    // Stack cost: FRAME_OVERHEAD + parameters + declared locals + the
    // highest operand-stack height.
    let f = u64::from(FRAME_OVERHEAD);

    // Export "bounded": 2 operands (cost f + 2), one block: 5 simple,
    // 1 store, 2 calls. $down: 1 param, 2 operands (cost f + 3); blocks:
    // entry (3 simple), then (1 simple), else (5 simple, 1 call). $down(100)
    // runs 101 entries, 100 else branches and 1 then branch; the deepest
    // height is (f + 2) + 101 * (f + 3) = 713.
    let export_block = 5 * o.simple + o.memory_access + 2 * o.call;
    let down_entry = 3 * o.simple;
    let down_then = o.simple;
    let down_else = 5 * o.simple + o.call;
    let bounded_gas = export_block
        + 101 * down_entry
        + 100 * down_else
        + down_then
        + base(ValueReturn)
        + 8 * s.memory_read_byte;
    let bounded_height = (f + 2) + 101 * (f + 3);
    let bounded_limit = u32::try_from(bounded_height).unwrap_or(u32::MAX);
    // A stack overflow is a trap: it uses all the gas (ABI 1.1).
    let overflow = || Expect::trap("StackOverflow").gas(default_gas);

    vec![
        Case::new("stack.plain_recursion", g(), "plain", overflow()),
        Case::new("stack.mutual_recursion", g(), "mutual", overflow()),
        Case::new("stack.many_locals", g(), "many_locals", overflow()),
        Case::new(
            "stack.write_then_overflow",
            g(),
            "write_then_overflow",
            overflow(),
        )
        .state(&[(b"z", b"other")]),
        Case::new(
            "stack.bounded_recursion",
            g(),
            "bounded",
            Expect::ok().returns(le(100)).gas(bounded_gas),
        ),
        // A lower limit moves the overflow: 4 + 4k > 1000 first at k = 250.
        Case::new("stack.plain_recursion_limit_1000", g(), "plain", overflow())
            .limits(|l| l.module.max_stack_height = 1000),
        Case::new(
            "stack.bounded_recursion_limit_500",
            g(),
            "bounded",
            overflow(),
        )
        .limits(|l| l.module.max_stack_height = 500),
        // The check is `height > limit`: reaching the limit is allowed ...
        Case::new(
            "stack.bounded_recursion_at_limit",
            g(),
            "bounded",
            Expect::ok().returns(le(100)).gas(bounded_gas),
        )
        .limits(move |l| l.module.max_stack_height = bounded_limit),
        // ... one unit less overflows in the deepest call, $down(0).
        Case::new(
            "stack.bounded_recursion_one_below_limit",
            g(),
            "bounded",
            overflow(),
        )
        .limits(move |l| l.module.max_stack_height = bounded_limit - 1),
    ]
}

fn nan_cases(s: &GasSchedule, base: &dyn Fn(HostFunction) -> u64) -> Vec<Case> {
    use HostFunction::*;
    let o = &s.operators;
    let g = || guest!("nan");
    // $ret32 / $ret64: one block of 4 simple, 1 store, 1 call, then
    // value_return of 4 or 8 bytes.
    let ret = |bytes: u64| {
        4 * o.simple + o.memory_access + o.call + base(ValueReturn) + bytes * s.memory_read_byte
    };
    // An export `(call $retN (iN.reinterpret_fN EXPR))` whose EXPR has
    // `simple` simple and `float` float operators: one block.
    let export = |simple: u64, float: u64, bytes: u64| {
        (simple + 1) * o.simple + float * o.float + o.call + ret(bytes)
    };
    let f32_case = |export_name: &'static str, bits: u32, simple: u64, float: u64| {
        Case::new(
            &format!("nan.{export_name}"),
            g(),
            export_name,
            Expect::ok()
                .returns(bits.to_le_bytes())
                .gas(export(simple, float, 4)),
        )
    };
    let f64_case = |export_name: &'static str, bits: u64, simple: u64, float: u64| {
        Case::new(
            &format!("nan.{export_name}"),
            g(),
            export_name,
            Expect::ok()
                .returns(bits.to_le_bytes())
                .gas(export(simple, float, 8)),
        )
    };
    // The canonical NaNs: positive, quiet, no payload.
    let c32: u32 = 0x7fc0_0000;
    let c64: u64 = 0x7ff8_0000_0000_0000;
    // Loads and stores: one block of 8 simple, 3 loads/stores, 2 calls, the
    // identity function (1 simple) and value_return.
    let load_store = |bytes: u64| {
        8 * o.simple
            + 3 * o.memory_access
            + 2 * o.call
            + o.simple
            + base(ValueReturn)
            + bytes * s.memory_read_byte
    };
    vec![
        // Canonicalised: arithmetic.
        f32_case("f32_div_zero_zero", c32, 2, 1),
        f64_case("f64_div_zero_zero", c64, 2, 1),
        f32_case("f32_sqrt_neg_one", c32, 1, 1),
        f64_case("f64_sqrt_neg_one", c64, 1, 1),
        f32_case("f32_add_payload", c32, 3, 1),
        f64_case("f64_add_payload", c64, 3, 1),
        f32_case("f32_sub_negative_payload", c32, 3, 1),
        f64_case("f64_sub_negative_payload", c64, 3, 1),
        f32_case("f32_mul_negative_nan", c32, 2, 1),
        f64_case("f64_mul_negative_nan", c64, 2, 1),
        f32_case("f32_min_payload", c32, 3, 1),
        f64_case("f64_min_payload", c64, 3, 1),
        f32_case("f32_max_payload", c32, 3, 1),
        f64_case("f64_max_payload", c64, 3, 1),
        f32_case("f32_ceil_payload", c32, 2, 1),
        f32_case("f32_floor_payload", c32, 2, 1),
        f32_case("f32_trunc_payload", c32, 2, 1),
        f32_case("f32_nearest_payload", c32, 2, 1),
        f64_case("f64_ceil_payload", c64, 2, 1),
        f64_case("f64_floor_payload", c64, 2, 1),
        f64_case("f64_trunc_payload", c64, 2, 1),
        f64_case("f64_nearest_payload", c64, 2, 1),
        f64_case("f64_promote_payload", c64, 2, 1),
        f64_case("f64_promote_negative_payload", c64, 2, 1),
        f32_case("f32_demote_payload", c32, 2, 1),
        f32_case("f32_demote_negative_payload", c32, 2, 1),
        // neg after the canonicalisation flips the canonical NaN's sign.
        f64_case("f64_neg_of_nan_sum", 0xfff8_0000_0000_0000, 4, 1),
        // Not canonicalised: bit moves keep sign and payload.
        f32_case("f32_neg_payload", 0xffa0_0001, 3, 0),
        f64_case("f64_neg_payload", 0xfff4_0000_0000_0abc, 3, 0),
        f32_case("f32_abs_payload", 0x7fc1_2345, 3, 0),
        f64_case("f64_abs_payload", 0x7ff8_0000_0001_2345, 3, 0),
        f32_case("f32_copysign_payload", 0xffa0_0001, 4, 0),
        f64_case("f64_copysign_payload", 0xfff0_0000_0000_0001, 4, 0),
        f32_case("f32_const_payload", 0x7fa0_0001, 1, 0),
        f64_case("f64_const_payload", 0xfff4_0000_0000_0abc, 1, 0),
        f32_case("f32_reinterpret_round_trip", 0x7f80_0001, 2, 0),
        f64_case("f64_reinterpret_round_trip", 0xfff0_0000_0000_0001, 2, 0),
        Case::new(
            "nan.f32_load_store",
            g(),
            "f32_load_store",
            Expect::ok()
                .returns(0x7fa0_0001u32.to_le_bytes())
                .gas(load_store(4)),
        ),
        Case::new(
            "nan.f64_load_store",
            g(),
            "f64_load_store",
            Expect::ok()
                .returns(0x7ff4_0000_0000_0abcu64.to_le_bytes())
                .gas(load_store(8)),
        ),
    ]
}

fn gas_cases(s: &GasSchedule, base: &dyn Fn(HostFunction) -> u64) -> Vec<Case> {
    use HostFunction::*;
    let o = &s.operators;
    let g = || guest!("gas");
    let exhausted = |name: &str, export: &'static str, gas: u64| {
        Case::new(name, g(), export, Expect::trap("GasExhausted").gas(gas))
            .limits(|l| l.execution.gas = gas)
    };
    // A trap of the given kind under `limit` gas: `gas_used` is the limit.
    let trap_uses_all_gas =
        |name: &str, guest: Guest, export: &'static str, expect: Expect, limit: u64| {
            Case::new(name, guest, export, expect.gas(limit))
                .limits(move |l| l.execution.gas = limit)
        };
    // value_return of 8 bytes.
    let return_8 = base(ValueReturn) + 8 * s.memory_read_byte;

    // count_1000: 1000 loop bodies of 8 simple; the rest: 5 simple,
    // 1 store, 1 call.
    let count = 1000 * 8 * o.simple + 5 * o.simple + o.memory_access + o.call + return_8;

    // grow_N: one block of 5 simple, memory.grow, 1 store, 1 call; then
    // the pages it added (ABI 1.1: none if it failed).
    let grow = |pages: u64| {
        5 * o.simple
            + o.bulk_base
            + o.memory_access
            + o.call
            + pages * o.memory_grow_page
            + return_8
    };

    // grow_until_full with a maximum of `max` pages (memory 1, no declared
    // maximum, so clamped to `max`): `max` grows of one page, each a test
    // block of 4 simple and memory.grow, of which `max - 1` add their page
    // (the last one returns -1 and costs its base only); `max - 1` count
    // blocks of 5 simple; the rest: 4 simple, 1 store, 1 call.
    let grow_until_full = |max: u64| {
        max * (4 * o.simple + o.bulk_base)
            + (max - 1) * o.memory_grow_page
            + (max - 1) * 5 * o.simple
            + 4 * o.simple
            + o.memory_access
            + o.call
            + return_8
    };

    // find_l_only: 3 tests of 4 simple and a load, 2 steps of 5 simple.
    let find_l_only = 3 * (4 * o.simple + o.memory_access) + 2 * 5 * o.simple;
    // find_l: the same, then 5 simple, 1 store, 1 call.
    let find_l = find_l_only + 5 * o.simple + o.memory_access + o.call + return_8;

    // fill, copy, init: one block of 5 simple, the operator, 1 call; then
    // `bytes` bytes of work and value_return of them.
    let bulk = |bytes: u64| {
        5 * o.simple
            + o.bulk_base
            + o.call
            + bytes * o.bulk_memory_byte
            + base(ValueReturn)
            + bytes * s.memory_read_byte
    };

    // big_fill: one block of 3 simple and memory.fill; then 65536 bytes.
    let big_fill = 3 * o.simple + o.bulk_base + 65536 * o.bulk_memory_byte;

    let max_pages = Limits::default().module.max_memory_pages;
    vec![
        // Infinite loop: gas_used is the limit, whatever the limit.
        exhausted("gas.spin_0", "spin", 0),
        exhausted("gas.spin_1000", "spin", 1_000),
        exhausted("gas.spin_12345", "spin", 12_345),
        exhausted("gas.spin_1000000", "spin", 1_000_000),
        Case::new(
            "gas.count_1000",
            g(),
            "count_1000",
            Expect::ok().returns(le(1000)).gas(count),
        ),
        // Exactly enough gas is enough ...
        Case::new(
            "gas.count_1000_exact_limit",
            g(),
            "count_1000",
            Expect::ok().returns(le(1000)).gas(count),
        )
        .limits(move |l| l.execution.gas = count),
        // ... one less is not (it runs out in value_return's per-byte
        // charge).
        exhausted("gas.count_1000_one_short", "count_1000", count - 1),
        // A loop left in the middle of an iteration is charged exactly the
        // part that ran, also when the gas is exactly enough.
        Case::new(
            "gas.find_l",
            g(),
            "find_l",
            Expect::ok().returns(le(2)).gas(find_l),
        ),
        Case::new(
            "gas.find_l_exact_limit",
            g(),
            "find_l",
            Expect::ok().returns(le(2)).gas(find_l),
        )
        .limits(move |l| l.execution.gas = find_l),
        exhausted("gas.find_l_one_short", "find_l", find_l - 1),
        // With nothing after the loop, the last iteration's exit is the last
        // thing charged: exactly enough gas must still be enough.
        Case::new(
            "gas.find_l_only_exact_limit",
            g(),
            "find_l_only",
            Expect::ok().gas(find_l_only),
        )
        .limits(move |l| l.execution.gas = find_l_only),
        exhausted("gas.find_l_only_one_short", "find_l_only", find_l_only - 1),
        Case::new(
            "gas.grow_2",
            g(),
            "grow_2",
            Expect::ok().returns(le(1)).gas(grow(2)),
        ),
        // ABI 1.1: a grow past the maximum returns -1 and costs its base
        // only ...
        Case::new(
            "gas.grow_2000_fails_at_its_base_cost",
            g(),
            "grow_2000",
            Expect::ok().returns(le(u64::MAX)).gas(grow(0)),
        ),
        // ... also by 0xFFFFFFFF pages, whose per-page cost would be far
        // more than the default gas: it does not run out of gas.
        Case::new(
            "gas.grow_u32_max_fails_at_its_base_cost",
            g(),
            "grow_u32_max",
            Expect::ok().returns(le(u64::MAX)).gas(grow(0)),
        ),
        // With exactly that gas: still -1, still ok.
        Case::new(
            "gas.grow_u32_max_exact_limit",
            g(),
            "grow_u32_max",
            Expect::ok().returns(le(u64::MAX)).gas(grow(0)),
        )
        .limits(move |l| l.execution.gas = grow(0)),
        // A successful grow is charged per page: one page short of gas for
        // the second page runs out.
        exhausted("gas.grow_2_one_short", "grow_2", grow(2) - 1),
        Case::new(
            "gas.grow_until_full",
            g(),
            "grow_until_full",
            Expect::ok()
                .returns(le(u64::from(max_pages) - 1))
                .gas(grow_until_full(u64::from(max_pages))),
        ),
        Case::new(
            "gas.grow_until_full_10_pages",
            g(),
            "grow_until_full",
            Expect::ok().returns(le(9)).gas(grow_until_full(10)),
        )
        .limits(|l| l.module.max_memory_pages = 10),
        Case::new(
            "gas.grow_until_full_10_pages_exact_limit",
            g(),
            "grow_until_full",
            Expect::ok().returns(le(9)).gas(grow_until_full(10)),
        )
        .limits(|l| {
            l.module.max_memory_pages = 10;
            l.execution.gas = grow_until_full(10);
        }),
        exhausted(
            "gas.grow_until_full_10_pages_one_short",
            "grow_until_full",
            grow_until_full(10) - 1,
        )
        .limits(|l| l.module.max_memory_pages = 10),
        Case::new(
            "gas.memory_fill",
            g(),
            "fill",
            Expect::ok().returns(*b"aaaaaaaaaa").gas(bulk(10)),
        ),
        Case::new(
            "gas.memory_copy",
            g(),
            "copy",
            Expect::ok().returns(*b"hello").gas(bulk(5)),
        ),
        Case::new(
            "gas.memory_init",
            g(),
            "init",
            Expect::ok().returns(*b"2345").gas(bulk(4)),
        ),
        Case::new("gas.big_fill", g(), "big_fill", Expect::ok().gas(big_fill)),
        Case::new(
            "gas.big_fill_exact_limit",
            g(),
            "big_fill",
            Expect::ok().gas(big_fill),
        )
        .limits(move |l| l.execution.gas = big_fill),
        // The static block (13) fits, the dynamic charge of 65536 does not.
        exhausted("gas.big_fill_one_short", "big_fill", big_fill - 1),
        exhausted("gas.big_fill_10000", "big_fill", 10_000),
        // The bytes are charged before the work, which traps; with gas for
        // the block but not the bytes, the gas runs out first.
        trap_uses_all_gas(
            "gas.fill_out_of_bounds_uses_all_gas",
            g(),
            "fill_out_of_bounds",
            Expect::trap("MemoryOutOfBounds"),
            3 * o.simple + o.bulk_base + 1000 * o.bulk_memory_byte,
        ),
        exhausted(
            "gas.fill_out_of_bounds_short_of_the_bytes",
            "fill_out_of_bounds",
            3 * o.simple + o.bulk_base + 999 * o.bulk_memory_byte,
        ),
        // ABI 1.1: every trap uses all the gas, whatever its kind.
        trap_uses_all_gas(
            "gas.unreachable_uses_all_gas",
            guest!("traps"),
            "unreachable",
            Expect::trap("Unreachable").logs(["before"]),
            123_456,
        ),
        trap_uses_all_gas(
            "gas.memory_out_of_bounds_uses_all_gas",
            guest!("traps"),
            "memory_out_of_bounds",
            Expect::trap("MemoryOutOfBounds"),
            123_456,
        ),
        trap_uses_all_gas(
            "gas.integer_division_by_zero_uses_all_gas",
            guest!("traps"),
            "integer_division_by_zero",
            Expect::trap("IntegerDivisionByZero"),
            123_456,
        ),
        trap_uses_all_gas(
            "gas.stack_overflow_uses_all_gas",
            guest!("stack"),
            "plain",
            Expect::trap("StackOverflow"),
            5_000_000,
        ),
        trap_uses_all_gas(
            "gas.exhaustion_uses_all_gas",
            g(),
            "spin",
            Expect::trap("GasExhausted"),
            123_456,
        ),
        exhausted("gas.host_calls_1000", "time_forever", 1_000),
        exhausted("gas.host_calls_1234567", "time_forever", 1_234_567),
        // Writes h=e over h=old, then runs out of gas: storage stays as it was.
        exhausted("gas.write_then_exhausted", "write_then_spin", 100_000).state(&[(b"h", b"old")]),
        // The same from an empty storage: it stays empty.
        exhausted(
            "gas.write_then_exhausted_empty_storage",
            "write_then_spin",
            100_000,
        ),
    ]
}
