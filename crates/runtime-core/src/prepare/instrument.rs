//! The determinism instrumentation of function bodies: gas metering, the
//! stack-height limit and NaN canonicalisation, written on wasm-encoder's
//! reencoder so that every engine runs the same counting code.
//!
//! # Gas: what is charged
//!
//! The gas model (also in `docs/GAS_MODEL.md`), under a
//! [`GasSchedule`](crate::GasSchedule) whose [`OperatorCosts`] give each
//! operator class a cost:
//!
//! * **Guest code, per basic block.** A basic block starts at a function's
//!   entry and after every control operator (`block`, `loop`, `if`, `else`,
//!   `end`, `br`, `br_if`, `br_table`, `return`, `unreachable`); it costs the
//!   sum of its operators' costs, the control operator that ends it
//!   included. Each time a block runs, its cost is charged once.
//! * **Bulk operators**, besides `bulk_base` in their block:
//!   `memory.fill`, `memory.copy` and `memory.init` cost `bulk_memory_byte`
//!   per byte, `table.copy` and `table.init` cost `table_element` per
//!   element, of their size operand, charged before the operator runs (so an
//!   out-of-bounds one is charged, then traps).
//! * **`memory.grow`** (ABI 1.1), besides `bulk_base` in its block: after it
//!   ran, `memory_grow_page` per page it actually added. A grow that fails
//!   (returns `-1`: past the maximum, or by `0xFFFFFFFF` pages) costs its base
//!   alone and cannot run out of gas because of the pages it asked for.
//! * **Host calls** charge the host's own schedule, on the same counter.
//!
//! # Gas: when it is charged
//!
//! At every call (of a host or a guest function) and at every return, the
//! gas used is exactly the sum above over everything that ran, the block
//! holding the call counted in full: as if each block were charged just
//! before its first operator. So `gas_left` and the `gas_used` of `ok` and
//! `host_error` outcomes are exact, and the same as ABI 1.0's per-block
//! charging gave.
//!
//! In between, costs are taken in fewer subtractions ([`super::charge_sites`]
//! has the rules): a block's cost is taken together with an earlier block's
//! when it is certain to run once for each run of that block and no call
//! lies between them (the body of a `block`, the code after a `loop` or after
//! a construct that neither calls nor branches out, the cost both arms of an
//! `if`/`else` share); and a loop iteration is charged in full at its
//! header, each `br_if` that leaves it early giving back (*refunding*) the
//! costs it skips. A loop that runs through its iterations pays one
//! subtraction per iteration.
//!
//! # Gas: when exhaustion is detected
//!
//! The counter is checked — below zero means the gas ran out, and the
//! execution traps with `GasExhausted` — at:
//!
//! * every loop header, each iteration, after the iteration's charge; the
//!   check allows for the largest refund of the iteration (its *slack*), so
//!   it fails only when even the cheapest way through the iteration does not
//!   fit;
//! * every function's return;
//! * every per-unit charge of a bulk operator or `memory.grow`, before and
//!   after it;
//! * every host call, by the host, before the call does anything;
//! * the entry of a function whose code costs 2^40 or more in all (none in
//!   practice; it keeps the counter's range, below).
//!
//! Between two checks a guest runs at most loop-free stretches of the
//! functions on its call stack, without a host call, which changes nothing an
//! outcome shows: a trapped execution keeps no storage change, event or
//! return data, and uses all of its gas (ABI 1.1). So an execution whose
//! total cost fits the limit ends as it would without metering, with the
//! exact gas above; one whose cost does not traps at the latest at its next
//! host call, loop iteration or return. Its trap kind is `GasExhausted`,
//! unless the guest hits another trap (an out-of-bounds load, a stack
//! overflow) in the stretch before the check, in which case that trap is
//! the outcome. Either way the prepared code decides, so every engine
//! reports the same.
//!
//! # Gas: the counter
//!
//! Gas lives in an injected mutable `i64` global, exported so that the
//! backends hand it to the host around host calls (see
//! [`HostState::call`](crate::HostState::call)). Each function keeps it in a
//! local: read at entry and after every call, written back before every
//! call (host calls included) and at return. A charge is
//!
//! ```text
//! local.get $gas  i64.const COST  i64.sub  local.set $gas
//! ```
//!
//! and a refund the same with `i64.add`, on the branch's taken edge
//! (`br_if L` becomes `if  REFUND  br L+1  end`). A check is
//! `local.get $gas  i64.const -SLACK  i64.lt_s  br_if $exhausted`, where
//! `$exhausted` is a block around the whole body whose end writes `-1`
//! ("exhausted", see [`GasCounter`](crate::GasCounter)) to the global and
//! executes `unreachable` (the normal path leaves by `return` before it), so
//! the hot path only falls through a branch. The core reads the global
//! after a trap and reports `GasExhausted`, not `Unreachable`. A trap of any
//! other kind leaves the global as it was at the last call, which nothing
//! reads (the trap uses all the gas).
//!
//! Between checks the counter stays above `-2^62`, the bottom of the
//! exhaustion range: a function body has fewer than 2^23 operators
//! (wasmparser's body-size limit) of at most 2^30 each, so one function's
//! code costs less than 2^53 in all; a call stack holds at most 2^13 frames
//! (each costs at least [`FRAME_OVERHEAD`] stack units); every function
//! costing 2^40 or more checks at entry; and a per-unit charge (at most
//! 2^30 times an `i32`) starts from a checked, non-negative counter.
//! Refunds only give back what the same function charged.
//!
//! Every loop iteration runs a branch back to its header (`simple`) and
//! every call costs `call` or `call_indirect`, so under any schedule where
//! those are non-zero, no loop and no recursion runs without being charged.
//!
//! # Stack height
//!
//! Each function's cost is [`FRAME_OVERHEAD`] plus its parameters, locals
//! and highest operand-stack height (the instrumentation's own locals are
//! not counted). At entry, a function traps with `StackOverflow` if the
//! height of its callers plus its cost passes the limit (`height > limit -
//! cost`); then, if it calls anything, it adds its cost to a second injected
//! global and puts the height back as it was (kept in a local) when it
//! returns; its body is wrapped in a block and `return` becomes a branch
//! out of it. A leaf (a function that calls nothing) only checks: no frame
//! is ever pushed above it. The overflow is an injected helper that writes
//! `i64::MIN` ("stack overflow") to the gas global and executes
//! `unreachable`.
//!
//! # NaNs
//!
//! Every float operator that can produce a NaN from arithmetic (add, sub,
//! mul, div, sqrt, min, max, ceil, floor, trunc, nearest, promote, demote)
//! and whose result may reach an operator that observes a NaN's bits (see
//! [`super::nan_flow`]) is followed by `select(x, NaN, x >= -inf)`, which
//! replaces any NaN with the canonical, positive quiet NaN (`0x7fc00000`,
//! `0x7ff8000000000000`). A result that only feeds arithmetic, comparisons
//! or conversions to integers is left alone: no outcome can tell its bits.
//! Moves of bits (loads, stores, reinterprets, abs, neg, copysign,
//! constants) are left alone too: they are deterministic by the spec.
//!
//! # Why not `finite-wasm`
//!
//! NEAR's `finite-wasm` (0.6.1) was evaluated: it is pinned to wasmparser
//! and wasm-encoder 0.228 (this workspace uses 0.263), and it meters by
//! calling host imports (`finite_wasm_gas`, `finite_wasm_stack`,
//! `finite_wasm_unstack`, one per bulk operator) at every block and every
//! call — a trip into the host per basic block on every engine, and host
//! functions every backend would have to provide outside the ABI table. This
//! pass keeps the counters in module globals and function locals, so
//! metering stays inside compiled code; this project's corpus and the
//! wasm-smith semantics test own its correctness.

use wasm_encoder::reencode::{self, Reencode};
use wasm_encoder::{BlockType, Function, Ieee32, Ieee64, Instruction, ValType};
use wasmparser::types::TypesRef;
use wasmparser::{FunctionBody, Operator};

use super::charge_sites::{self, Site};
use super::features::FunctionInfo;
use super::nan_flow;
use crate::gas::OperatorCosts;

/// Stack-height units every frame costs besides its values: return address,
/// frame pointer, context and alignment.
pub const FRAME_OVERHEAD: u32 = 4;

/// The canonical f32 NaN: positive, quiet, no payload.
pub const CANONICAL_NAN_F32: u32 = 0x7fc0_0000;
/// The canonical f64 NaN: positive, quiet, no payload.
pub const CANONICAL_NAN_F64: u64 = 0x7ff8_0000_0000_0000;

/// Indices and parameters shared by every instrumented function.
pub(super) struct Plan<'a> {
    pub(super) gas_global: u32,
    pub(super) stack_global: u32,
    /// `(i64 counter, i64 amount) -> i64`: charges a per-unit amount,
    /// trapping when the gas ran out before or after.
    pub(super) charge_function: u32,
    /// `() -> ()`: records a stack overflow and traps.
    pub(super) overflow_function: u32,
    /// The maximum of memory 0 in pages, after the clamp to the limit.
    pub(super) memory_maximum: u64,
    pub(super) stack_limit: u32,
    pub(super) costs: &'a OperatorCosts,
    pub(super) types: TypesRef<'a>,
    /// Charge every basic block at its start
    /// ([`charge_sites::place_per_block`]), the reference for tests.
    pub(super) per_block: bool,
}

/// The stack-height cost of a function.
pub(super) fn stack_cost(info: FunctionInfo) -> u32 {
    FRAME_OVERHEAD
        .saturating_add(info.locals)
        .saturating_add(info.max_operand_stack)
}

/// The static gas cost of one operator, at most [`OperatorCosts::MAX_COST`].
fn operator_cost(op: &Operator<'_>, c: &OperatorCosts) -> u64 {
    use Operator::*;
    let cost = match op {
        Block { .. } | Loop { .. } | Else | End | Nop => c.structure,
        Call { .. } => c.call,
        CallIndirect { .. } => c.call_indirect,
        I32Load { .. }
        | I64Load { .. }
        | F32Load { .. }
        | F64Load { .. }
        | I32Load8S { .. }
        | I32Load8U { .. }
        | I32Load16S { .. }
        | I32Load16U { .. }
        | I64Load8S { .. }
        | I64Load8U { .. }
        | I64Load16S { .. }
        | I64Load16U { .. }
        | I64Load32S { .. }
        | I64Load32U { .. }
        | I32Store { .. }
        | I64Store { .. }
        | F32Store { .. }
        | F64Store { .. }
        | I32Store8 { .. }
        | I32Store16 { .. }
        | I64Store8 { .. }
        | I64Store16 { .. }
        | I64Store32 { .. } => c.memory_access,
        I32DivS | I32DivU | I32RemS | I32RemU | I64DivS | I64DivU | I64RemS | I64RemU => c.division,
        MemoryGrow { .. }
        | MemorySize { .. }
        | MemoryFill { .. }
        | MemoryCopy { .. }
        | MemoryInit { .. }
        | DataDrop { .. }
        | TableCopy { .. }
        | TableInit { .. }
        | ElemDrop { .. } => c.bulk_base,
        op if is_float(op) => c.float,
        _ => c.simple,
    };
    cost.min(OperatorCosts::MAX_COST)
}

/// Float arithmetic, comparisons and conversions (not bit moves).
pub(super) fn is_float(op: &Operator<'_>) -> bool {
    use Operator::*;
    matches!(
        op,
        F32Add
            | F32Sub
            | F32Mul
            | F32Div
            | F32Sqrt
            | F32Min
            | F32Max
            | F32Ceil
            | F32Floor
            | F32Trunc
            | F32Nearest
            | F32Eq
            | F32Ne
            | F32Lt
            | F32Gt
            | F32Le
            | F32Ge
            | F64Add
            | F64Sub
            | F64Mul
            | F64Div
            | F64Sqrt
            | F64Min
            | F64Max
            | F64Ceil
            | F64Floor
            | F64Trunc
            | F64Nearest
            | F64Eq
            | F64Ne
            | F64Lt
            | F64Gt
            | F64Le
            | F64Ge
            | F32DemoteF64
            | F64PromoteF32
            | F32ConvertI32S
            | F32ConvertI32U
            | F32ConvertI64S
            | F32ConvertI64U
            | F64ConvertI32S
            | F64ConvertI32U
            | F64ConvertI64S
            | F64ConvertI64U
            | I32TruncF32S
            | I32TruncF32U
            | I32TruncF64S
            | I32TruncF64U
            | I64TruncF32S
            | I64TruncF32U
            | I64TruncF64S
            | I64TruncF64U
            | I32TruncSatF32S
            | I32TruncSatF32U
            | I32TruncSatF64S
            | I32TruncSatF64U
            | I64TruncSatF32S
            | I64TruncSatF32U
            | I64TruncSatF64S
            | I64TruncSatF64U
    )
}

/// The NaN-producing operators and the type of their result.
pub(super) fn nan_result(op: &Operator<'_>) -> Option<ValType> {
    use Operator::*;
    match op {
        F32Add | F32Sub | F32Mul | F32Div | F32Sqrt | F32Min | F32Max | F32Ceil | F32Floor
        | F32Trunc | F32Nearest | F32DemoteF64 => Some(ValType::F32),
        F64Add | F64Sub | F64Mul | F64Div | F64Sqrt | F64Min | F64Max | F64Ceil | F64Floor
        | F64Trunc | F64Nearest | F64PromoteF32 => Some(ValType::F64),
        _ => None,
    }
}

/// The per-unit cost of an operator whose work depends on its last operand
/// (an `i32` size on top of the stack).
fn dynamic_cost(op: &Operator<'_>, c: &OperatorCosts) -> Option<u64> {
    use Operator::*;
    let cost = match op {
        MemoryGrow { .. } => c.memory_grow_page,
        MemoryFill { .. } | MemoryCopy { .. } | MemoryInit { .. } => c.bulk_memory_byte,
        TableCopy { .. } | TableInit { .. } => c.table_element,
        _ => return None,
    };
    Some(cost.min(OperatorCosts::MAX_COST))
}

type Error = reencode::Error<std::convert::Infallible>;

fn i64_const(value: u64) -> Instruction<'static> {
    Instruction::I64Const(i64::try_from(value).unwrap_or(i64::MAX))
}

/// Records exhaustion in the gas global and traps.
fn exhaust(f: &mut Function, gas_global: u32) {
    f.instruction(&Instruction::I64Const(-1));
    f.instruction(&Instruction::GlobalSet(gas_global));
    f.instruction(&Instruction::Unreachable);
}

/// Traps as exhausted if the value on the stack is below zero.
fn trap_if_negative(f: &mut Function, gas_global: u32) {
    f.instruction(&Instruction::I64Const(0));
    f.instruction(&Instruction::I64LtS);
    f.instruction(&Instruction::If(BlockType::Empty));
    exhaust(f, gas_global);
    f.instruction(&Instruction::End);
}

/// The instrumentation's locals of one function, after its own.
struct Scratch {
    /// The function's copy of the gas counter.
    gas: u32,
    /// The stack height at entry.
    height: u32,
    /// The size operand of a per-unit charge.
    size: u32,
    /// `memory.grow`'s result.
    grown: u32,
    f32: u32,
    f64: u32,
}

/// Emits the code of one body, the analyses done.
struct Emitter<'a, 'p> {
    f: Function,
    plan: &'a Plan<'p>,
    scratch: Scratch,
    /// How many of the guest's blocks are open around the code emitted:
    /// the body's wrapper block is at this relative depth, and the block
    /// that leads to the "exhausted" trap one further out.
    depth: u32,
}

impl Emitter<'_, '_> {
    fn op(&mut self, instruction: &Instruction<'_>) {
        self.f.instruction(instruction);
    }

    /// Subtracts `amount` from the local counter; with `check`, then traps
    /// when it is below `-slack`, by a branch to the end of the body (a
    /// branch not taken costs less than jumping over an inline trap).
    fn charge(&mut self, amount: u64, check: bool, slack: u64) {
        if !check {
            self.add(amount, false);
            return;
        }
        self.op(&Instruction::LocalGet(self.scratch.gas));
        if amount > 0 {
            self.op(&i64_const(amount));
            self.op(&Instruction::I64Sub);
            self.op(&Instruction::LocalTee(self.scratch.gas));
        }
        self.op(&Instruction::I64Const(
            i64::try_from(slack).map_or(i64::MIN, |s| -s),
        ));
        self.op(&Instruction::I64LtS);
        self.op(&Instruction::BrIf(self.depth + 1));
    }

    /// Subtracts `amount` from the local counter, or adds it back (`refund`).
    fn add(&mut self, amount: u64, refund: bool) {
        if amount == 0 {
            return;
        }
        self.op(&Instruction::LocalGet(self.scratch.gas));
        self.op(&i64_const(amount));
        self.op(&if refund {
            Instruction::I64Add
        } else {
            Instruction::I64Sub
        });
        self.op(&Instruction::LocalSet(self.scratch.gas));
    }

    /// Writes the local counter to the global (before a call or return).
    fn store_gas(&mut self) {
        self.op(&Instruction::LocalGet(self.scratch.gas));
        self.op(&Instruction::GlobalSet(self.plan.gas_global));
    }

    /// Reads the global counter into the local (at entry, after a call).
    fn load_gas(&mut self) {
        self.op(&Instruction::GlobalGet(self.plan.gas_global));
        self.op(&Instruction::LocalSet(self.scratch.gas));
    }

    /// Charges `per_unit` times the size on top of the stack (an `i32`,
    /// also kept in the `size` scratch local), through the helper.
    fn charge_size(&mut self, per_unit: u64) {
        if per_unit == 0 {
            return;
        }
        self.op(&Instruction::LocalGet(self.scratch.gas));
        self.op(&Instruction::LocalGet(self.scratch.size));
        self.op(&Instruction::I64ExtendI32U);
        self.op(&i64_const(per_unit));
        self.op(&Instruction::I64Mul);
        self.op(&Instruction::Call(self.plan.charge_function));
        self.op(&Instruction::LocalSet(self.scratch.gas));
    }

    /// `select(x, NaN, x >= -inf)` after an operator whose result is `x`:
    /// the comparison is false exactly for NaN, and compiles to one branch
    /// where `x != x` needs two.
    fn canonicalise(&mut self, ty: ValType) {
        let (scratch, nan, neg_inf, ge) = if ty == ValType::F32 {
            (
                self.scratch.f32,
                Instruction::F32Const(Ieee32::new(CANONICAL_NAN_F32)),
                Instruction::F32Const(Ieee32::new(f32::NEG_INFINITY.to_bits())),
                Instruction::F32Ge,
            )
        } else {
            (
                self.scratch.f64,
                Instruction::F64Const(Ieee64::new(CANONICAL_NAN_F64)),
                Instruction::F64Const(Ieee64::new(f64::NEG_INFINITY.to_bits())),
                Instruction::F64Ge,
            )
        };
        self.op(&Instruction::LocalTee(scratch));
        self.op(&nan);
        self.op(&Instruction::LocalGet(scratch));
        self.op(&neg_inf);
        self.op(&ge);
        self.op(&Instruction::Select);
    }

    /// At entry: traps as a stack overflow if adding the frame's `cost` to
    /// the stack height passes the limit; unless the function is a `leaf`,
    /// keeps the height in the `height` local and adds the cost.
    fn push_frame(&mut self, cost: u32, leaf: bool) {
        let plan = self.plan;
        self.op(&Instruction::GlobalGet(plan.stack_global));
        if !leaf {
            self.op(&Instruction::LocalTee(self.scratch.height));
        }
        // height + cost > limit, as height > limit - cost (no overflow).
        match plan.stack_limit.checked_sub(cost) {
            Some(headroom) => {
                self.op(&Instruction::I32Const(
                    i32::try_from(headroom).unwrap_or(i32::MAX),
                ));
                self.op(&Instruction::I32GtU);
            }
            None => {
                self.op(&Instruction::Drop);
                self.op(&Instruction::I32Const(1));
            }
        }
        self.op(&Instruction::If(BlockType::Empty));
        self.op(&Instruction::Call(plan.overflow_function));
        self.op(&Instruction::End);
        if !leaf {
            self.op(&Instruction::LocalGet(self.scratch.height));
            self.op(&Instruction::I32Const(
                i32::try_from(cost).unwrap_or(i32::MAX),
            ));
            self.op(&Instruction::I32Add);
            self.op(&Instruction::GlobalSet(plan.stack_global));
        }
    }

    /// At return: puts the stack height back as it was at entry.
    fn pop_frame(&mut self) {
        self.op(&Instruction::LocalGet(self.scratch.height));
        self.op(&Instruction::GlobalSet(self.plan.stack_global));
    }
}

/// The body of the `(i64 counter, i64 amount) -> i64` per-unit charge
/// helper: traps as exhausted if the counter is already below zero (so a
/// large amount cannot push it out of the exhaustion range) or ends below
/// zero; returns the new counter.
pub(super) fn charge_helper(gas_global: u32) -> Function {
    let mut f = Function::new([]);
    f.instruction(&Instruction::LocalGet(0));
    trap_if_negative(&mut f, gas_global);
    f.instruction(&Instruction::LocalGet(0));
    f.instruction(&Instruction::LocalGet(1));
    f.instruction(&Instruction::I64Sub);
    f.instruction(&Instruction::LocalTee(0));
    trap_if_negative(&mut f, gas_global);
    f.instruction(&Instruction::LocalGet(0));
    f.instruction(&Instruction::End);
    f
}

/// The body of the `() -> ()` stack-overflow helper: writes the
/// stack-overflow marker into the gas counter (see `GasCounter`) and traps.
pub(super) fn overflow_helper(gas_global: u32) -> Function {
    let mut f = Function::new([]);
    f.instruction(&Instruction::I64Const(i64::MIN));
    f.instruction(&Instruction::GlobalSet(gas_global));
    f.instruction(&Instruction::Unreachable);
    f.instruction(&Instruction::End);
    f
}

/// What the rewrite knows of one function body.
#[derive(Clone, Copy, Debug)]
pub(super) struct BodyShape {
    /// Its locals and operand stack.
    pub(super) info: FunctionInfo,
    /// The block type of its results (`[] -> results`).
    pub(super) wrapper: BlockType,
    /// How many results it has.
    pub(super) results: usize,
}

/// Instruments one function body.
pub(super) fn instrument_body<R: Reencode<Error = std::convert::Infallible>>(
    reencoder: &mut R,
    plan: &Plan<'_>,
    body: &FunctionBody<'_>,
    shape: BodyShape,
) -> Result<Function, Error> {
    let BodyShape {
        info,
        wrapper,
        results,
    } = shape;
    let mut locals = Vec::new();
    for group in body.get_locals_reader()? {
        let (count, ty) = group?;
        locals.push((count, reencoder.val_type(ty)?));
    }
    let mut ops = Vec::new();
    let mut reader = body.get_operators_reader()?;
    while !reader.eof() {
        ops.push(reader.read()?);
    }
    let costs: Vec<u64> = ops.iter().map(|op| operator_cost(op, plan.costs)).collect();
    // A leaf makes no call: it only checks the stack height, it does not
    // need to raise it (no frame can be pushed above it).
    let leaf = !ops
        .iter()
        .any(|op| matches!(op, Operator::Call { .. } | Operator::CallIndirect { .. }));
    let placement = if plan.per_block {
        charge_sites::place_per_block(&ops, &costs)
    } else {
        charge_sites::place(&ops, &costs, results)
    };
    let canonicalised = nan_flow::canonicalised(plan.types, &ops, info.locals, results);

    // Scratch locals after the function's own, only those it needs.
    let mut next = info.locals;
    let mut scratch_local = |ty: ValType, needed: bool| {
        if needed {
            locals.push((1, ty));
            next += 1;
            next - 1
        } else {
            u32::MAX
        }
    };
    let needs_nan = |wanted: ValType| {
        ops.iter()
            .zip(&canonicalised)
            .any(|(op, c)| *c && nan_result(op) == Some(wanted))
    };
    let scratch = Scratch {
        gas: scratch_local(ValType::I64, true),
        height: scratch_local(ValType::I32, !leaf),
        size: scratch_local(
            ValType::I32,
            ops.iter().any(|op| dynamic_cost(op, plan.costs).is_some()),
        ),
        grown: scratch_local(
            ValType::I32,
            ops.iter()
                .any(|op| matches!(op, Operator::MemoryGrow { .. })),
        ),
        f32: scratch_local(ValType::F32, needs_nan(ValType::F32)),
        f64: scratch_local(ValType::F64, needs_nan(ValType::F64)),
    };
    let mut e = Emitter {
        f: Function::new(locals),
        plan,
        scratch,
        depth: 0,
    };

    e.push_frame(stack_cost(info), leaf);
    e.op(&Instruction::GlobalGet(plan.gas_global));
    if placement.entry_check {
        e.op(&Instruction::LocalTee(e.scratch.gas));
        trap_if_negative(&mut e.f, plan.gas_global);
        e.op(&Instruction::LocalGet(e.scratch.gas));
    }
    if placement.entry > 0 {
        e.op(&i64_const(placement.entry));
        e.op(&Instruction::I64Sub);
    }
    e.op(&Instruction::LocalSet(e.scratch.gas));
    // The body: `block $exhausted (block $wrapper BODY) EXIT return end
    // TRAP`, where checks branch to `$exhausted`, whose end traps.
    e.op(&Instruction::Block(BlockType::Empty));
    e.op(&Instruction::Block(wrapper));

    let last = ops.len().saturating_sub(1);
    for (i, op) in ops.into_iter().enumerate() {
        if i == last {
            // The function's own `end`: close the wrapper, check the
            // counter, hand it back, pop the frame, return; then the trap.
            e.op(&Instruction::End);
            e.op(&Instruction::LocalGet(e.scratch.gas));
            e.op(&Instruction::I64Const(0));
            e.op(&Instruction::I64LtS);
            e.op(&Instruction::BrIf(0));
            e.store_gas();
            if !leaf {
                e.pop_frame();
            }
            e.op(&Instruction::Return);
            e.op(&Instruction::End);
            exhaust(&mut e.f, plan.gas_global);
            e.op(&Instruction::End);
            break;
        }
        match &op {
            Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => e.depth += 1,
            Operator::End => e.depth = e.depth.saturating_sub(1),
            _ => {}
        }
        match &op {
            Operator::Return => e.op(&Instruction::Br(e.depth)),
            Operator::Call { .. } | Operator::CallIndirect { .. } => {
                e.store_gas();
                e.op(&reencoder.instruction(op)?);
                e.load_gas();
            }
            Operator::BrIf { relative_depth } if placement.refund[i] > 0 => {
                // Taken, the branch gives back the costs it skips.
                e.op(&Instruction::If(BlockType::Empty));
                e.add(placement.refund[i], true);
                e.op(&Instruction::Br(relative_depth + 1));
                e.op(&Instruction::End);
            }
            Operator::MemoryGrow { .. } => {
                // A grow past the maximum returns -1 without reaching the
                // engine (wasmi 2 grows the host stack on every failed grow),
                // and costs its base only; pages are charged once added.
                e.op(&Instruction::LocalSet(e.scratch.size));
                e.op(&Instruction::MemorySize(0));
                e.op(&Instruction::I64ExtendI32U);
                e.op(&Instruction::LocalGet(e.scratch.size));
                e.op(&Instruction::I64ExtendI32U);
                e.op(&Instruction::I64Add);
                e.op(&i64_const(plan.memory_maximum));
                e.op(&Instruction::I64GtU);
                e.op(&Instruction::If(BlockType::Result(ValType::I32)));
                e.op(&Instruction::I32Const(-1));
                e.op(&Instruction::Else);
                e.op(&Instruction::LocalGet(e.scratch.size));
                e.op(&reencoder.instruction(op)?);
                e.op(&Instruction::LocalTee(e.scratch.grown));
                e.op(&Instruction::I32Const(-1));
                e.op(&Instruction::I32Ne);
                e.op(&Instruction::If(BlockType::Empty));
                e.charge_size(plan.costs.memory_grow_page.min(OperatorCosts::MAX_COST));
                e.op(&Instruction::End);
                e.op(&Instruction::LocalGet(e.scratch.grown));
                e.op(&Instruction::End);
            }
            _ => {
                if let Some(per_unit) = dynamic_cost(&op, plan.costs) {
                    e.op(&Instruction::LocalTee(e.scratch.size));
                    e.charge_size(per_unit);
                }
                e.op(&reencoder.instruction(op.clone())?);
                if canonicalised[i]
                    && let Some(ty) = nan_result(&op)
                {
                    e.canonicalise(ty);
                }
            }
        }
        if let Some(Site {
            amount,
            check,
            slack,
        }) = placement.after[i]
        {
            e.charge(amount, check, slack);
        }
    }
    Ok(e.f)
}
