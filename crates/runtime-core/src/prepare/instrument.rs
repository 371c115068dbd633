//! The determinism instrumentation of function bodies: gas metering, the
//! stack-height limit and NaN canonicalisation, written on wasm-encoder's
//! reencoder so that every engine runs the same counting code.
//!
//! # Gas
//!
//! Gas lives in an injected mutable `i64` global, exported so that the
//! backends can hand it to the host around host calls (see
//! [`HostState::call`](crate::HostState::call)). Code is charged per basic
//! block: a block starts at the function's entry and after every control
//! operator (`block`, `loop`, `if`, `else`, `end`, `br`, `br_if`, `br_table`,
//! `return`, `unreachable`), and its charge — the sum of its operators'
//! [`OperatorCosts`] — is subtracted before any of them runs:
//!
//! ```text
//! global.get $gas  i64.const COST  i64.sub  global.set $gas
//! global.get $gas  i64.const 0  i64.lt_s  if  unreachable  end
//! ```
//!
//! `memory.grow`, `memory.fill`, `memory.copy`, `memory.init`, `table.copy`
//! and `table.init` are charged once more, before their work, linearly in the
//! size operand, by a call to an injected helper.
//!
//! A negative counter means the gas ran out: the `unreachable` that follows
//! is reported as `GasExhausted`, never as `Unreachable`, because the core
//! reads the counter back first ([`GasCounter`](super::GasCounter)).
//!
//! # Stack height
//!
//! Each function adds its cost — [`FRAME_OVERHEAD`] plus its parameters,
//! locals and highest operand-stack height — to a second injected global at
//! entry and takes it off when it returns (its body is wrapped in a block
//! and `return` becomes a branch out of it). Past the limit, an injected
//! helper encodes "stack overflow" into the gas counter (which keeps the gas
//! left, so the outcome's gas is exact) and executes `unreachable`.
//!
//! # NaNs
//!
//! Every float operator that can produce a NaN from arithmetic (add, sub,
//! mul, div, sqrt, min, max, ceil, floor, trunc, nearest, promote, demote) is
//! followed by `select(x, NaN, x >= -inf)`, which replaces any NaN with the
//! canonical, positive quiet NaN (`0x7fc00000`, `0x7ff8000000000000`). Moves of bits (loads,
//! stores, reinterprets, abs, neg, copysign, constants) are left alone: they
//! are deterministic by the spec.

//!
//! # Why not `finite-wasm`
//!
//! NEAR's `finite-wasm` (0.6.1) was evaluated: it is pinned to wasmparser
//! and wasm-encoder 0.228 (this workspace uses 0.263), and it meters by
//! calling host imports (`finite_wasm_gas`, `finite_wasm_stack`,
//! `finite_wasm_unstack`, one per bulk operator) at every block and every
//! call — a trip into the host per basic block on every engine, and host
//! functions every backend would have to provide outside the ABI table. This
//! pass keeps the counters in module globals, so metering stays inside
//! compiled code; this project's corpus and the wasm-smith semantics test
//! own its correctness.

use wasm_encoder::reencode::{self, Reencode};
use wasm_encoder::{BlockType, Function, Ieee32, Ieee64, Instruction, ValType};
use wasmparser::{FunctionBody, Operator};

use super::features::FunctionInfo;
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
    /// `(i64) -> ()`: charges the amount, traps when the gas runs out.
    pub(super) charge_function: u32,
    /// `() -> ()`: records a stack overflow and traps.
    pub(super) overflow_function: u32,
    pub(super) stack_limit: u32,
    pub(super) costs: &'a OperatorCosts,
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
fn is_float(op: &Operator<'_>) -> bool {
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
fn nan_result(op: &Operator<'_>) -> Option<ValType> {
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

/// Whether the operator ends a basic block (the next one starts after it).
fn ends_block(op: &Operator<'_>) -> bool {
    use Operator::*;
    matches!(
        op,
        Block { .. }
            | Loop { .. }
            | If { .. }
            | Else
            | End
            | Br { .. }
            | BrIf { .. }
            | BrTable { .. }
            | Return
            | Unreachable
    )
}

type Error = reencode::Error<std::convert::Infallible>;

/// Emits the static gas charge of `cost` (nothing for 0). The new value is
/// kept in the i64 scratch local for the test, which is cheaper than reading
/// the global again on interpreters.
fn charge(f: &mut Function, plan: &Plan<'_>, cost: u64, scratch_i64: u32) {
    if cost == 0 {
        return;
    }
    let cost = i64::try_from(cost).unwrap_or(i64::MAX);
    f.instruction(&Instruction::GlobalGet(plan.gas_global));
    f.instruction(&Instruction::I64Const(cost));
    f.instruction(&Instruction::I64Sub);
    f.instruction(&Instruction::LocalTee(scratch_i64));
    f.instruction(&Instruction::GlobalSet(plan.gas_global));
    f.instruction(&Instruction::LocalGet(scratch_i64));
    f.instruction(&Instruction::I64Const(0));
    f.instruction(&Instruction::I64LtS);
    f.instruction(&Instruction::If(BlockType::Empty));
    f.instruction(&Instruction::Unreachable);
    f.instruction(&Instruction::End);
}

/// The body of the `(i64) -> ()` charge helper.
pub(super) fn charge_helper(gas_global: u32) -> Function {
    let mut f = Function::new([]);
    f.instruction(&Instruction::GlobalGet(gas_global));
    f.instruction(&Instruction::LocalGet(0));
    f.instruction(&Instruction::I64Sub);
    f.instruction(&Instruction::GlobalSet(gas_global));
    f.instruction(&Instruction::GlobalGet(gas_global));
    f.instruction(&Instruction::I64Const(0));
    f.instruction(&Instruction::I64LtS);
    f.instruction(&Instruction::If(BlockType::Empty));
    f.instruction(&Instruction::Unreachable);
    f.instruction(&Instruction::End);
    f.instruction(&Instruction::End);
    f
}

/// The body of the `() -> ()` stack-overflow helper: moves the gas counter
/// into the stack-overflow range (see `GasCounter`) and traps.
pub(super) fn overflow_helper(gas_global: u32) -> Function {
    let mut f = Function::new([]);
    f.instruction(&Instruction::GlobalGet(gas_global));
    f.instruction(&Instruction::I64Const(i64::MIN));
    f.instruction(&Instruction::I64Add);
    f.instruction(&Instruction::GlobalSet(gas_global));
    f.instruction(&Instruction::Unreachable);
    f.instruction(&Instruction::End);
    f
}

/// Instruments one function body.
///
/// `wrapper` is the block type of the function's results (`[] -> results`).
pub(super) fn instrument_body<R: Reencode<Error = std::convert::Infallible>>(
    reencoder: &mut R,
    plan: &Plan<'_>,
    body: &FunctionBody<'_>,
    info: FunctionInfo,
    wrapper: BlockType,
) -> Result<Function, Error> {
    let mut locals = Vec::new();
    for group in body.get_locals_reader()? {
        let (count, ty) = group?;
        locals.push((count, reencoder.val_type(ty)?));
    }
    // Scratch locals after the function's own: i32 size, f32, f64, i64 gas.
    let scratch_i32 = info.locals;
    let scratch_f32 = info.locals + 1;
    let scratch_f64 = info.locals + 2;
    let scratch_i64 = info.locals + 3;
    locals.push((1, ValType::I32));
    locals.push((1, ValType::F32));
    locals.push((1, ValType::F64));
    locals.push((1, ValType::I64));
    let mut f = Function::new(locals);

    let mut ops = Vec::new();
    let mut reader = body.get_operators_reader()?;
    while !reader.eof() {
        ops.push(reader.read()?);
    }
    // Basic-block costs: the cost of the block starting at op i.
    let mut block_cost = vec![0u64; ops.len() + 1];
    let mut start = 0;
    for (i, op) in ops.iter().enumerate() {
        block_cost[start] = block_cost[start].saturating_add(operator_cost(op, plan.costs));
        if ends_block(op) {
            start = i + 1;
        }
    }

    charge(&mut f, plan, block_cost[0], scratch_i64);
    let cost = i32::try_from(stack_cost(info)).unwrap_or(i32::MAX);
    f.instruction(&Instruction::GlobalGet(plan.stack_global));
    f.instruction(&Instruction::I32Const(cost));
    f.instruction(&Instruction::I32Add);
    f.instruction(&Instruction::GlobalSet(plan.stack_global));
    f.instruction(&Instruction::GlobalGet(plan.stack_global));
    f.instruction(&Instruction::I32Const(
        i32::try_from(plan.stack_limit).unwrap_or(i32::MAX),
    ));
    f.instruction(&Instruction::I32GtU);
    f.instruction(&Instruction::If(BlockType::Empty));
    f.instruction(&Instruction::Call(plan.overflow_function));
    f.instruction(&Instruction::End);
    f.instruction(&Instruction::Block(wrapper));

    let last = ops.len().saturating_sub(1);
    let mut depth: u32 = 0;
    for (i, op) in ops.into_iter().enumerate() {
        if i == last {
            // The function's own `end`: close the wrapper, pop the frame.
            f.instruction(&Instruction::End);
            f.instruction(&Instruction::GlobalGet(plan.stack_global));
            f.instruction(&Instruction::I32Const(cost));
            f.instruction(&Instruction::I32Sub);
            f.instruction(&Instruction::GlobalSet(plan.stack_global));
            f.instruction(&Instruction::End);
            break;
        }
        if let Some(per_unit) = dynamic_cost(&op, plan.costs) {
            f.instruction(&Instruction::LocalTee(scratch_i32));
            f.instruction(&Instruction::LocalGet(scratch_i32));
            f.instruction(&Instruction::I64ExtendI32U);
            f.instruction(&Instruction::I64Const(
                i64::try_from(per_unit).unwrap_or(i64::MAX),
            ));
            f.instruction(&Instruction::I64Mul);
            f.instruction(&Instruction::Call(plan.charge_function));
        }
        let nan = nan_result(&op);
        let ends = ends_block(&op);
        match &op {
            Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => depth += 1,
            Operator::End => depth = depth.saturating_sub(1),
            _ => {}
        }
        if matches!(op, Operator::Return) {
            f.instruction(&Instruction::Br(depth));
        } else {
            f.instruction(&reencoder.instruction(op)?);
        }
        match nan {
            // `select(x, NaN, x >= -inf)`: the comparison is false exactly
            // for NaN, and compiles to one branch where `x != x` needs two.
            Some(ValType::F32) => {
                f.instruction(&Instruction::LocalTee(scratch_f32));
                f.instruction(&Instruction::F32Const(Ieee32::new(CANONICAL_NAN_F32)));
                f.instruction(&Instruction::LocalGet(scratch_f32));
                f.instruction(&Instruction::F32Const(Ieee32::new(
                    f32::NEG_INFINITY.to_bits(),
                )));
                f.instruction(&Instruction::F32Ge);
                f.instruction(&Instruction::Select);
            }
            Some(_) => {
                f.instruction(&Instruction::LocalTee(scratch_f64));
                f.instruction(&Instruction::F64Const(Ieee64::new(CANONICAL_NAN_F64)));
                f.instruction(&Instruction::LocalGet(scratch_f64));
                f.instruction(&Instruction::F64Const(Ieee64::new(
                    f64::NEG_INFINITY.to_bits(),
                )));
                f.instruction(&Instruction::F64Ge);
                f.instruction(&Instruction::Select);
            }
            None => {}
        }
        if ends {
            charge(&mut f, plan, block_cost[i + 1], scratch_i64);
        }
    }
    Ok(f)
}
