//! Generators of hostile module shapes: the compile bombs of issue 12 and
//! their relatives, sized by parameters, so that the corpus can put them at
//! and just past each static code limit, the compile-time benchmark at the
//! default limits, and the hostile fuzz generator anywhere in between.
//!
//! Every generated module has the same frame ([`module_of`]): type 0 is
//! `[] -> []`; function 0 is empty, the target of every generated `call` and
//! of table slot 0 for `call_indirect`; the generated bodies are functions
//! 1.. (function 1 exported as `"main"`); global 0 is a mutable
//! `i32` holding 0, the condition of every generated branch (no compiler
//! can fold it away); a one-page memory. Every body is valid and, when run,
//! ends `ok` within the default gas.
//!
//! ```
//! use conformance::bombs::{Shape, module};
//! let wasm = module(Shape::NestedLoops, 3);
//! assert!(wasmparser::validate(&wasm).is_ok());
//! ```

use runtime::{GasSchedule, ModuleLimits, prepare};
use wasm_encoder::{
    BlockType, CodeSection, ConstExpr, ElementSection, Elements, ExportKind, ExportSection,
    Function, FunctionSection, GlobalSection, GlobalType, Instruction, MemArg, MemArgTarget,
    MemorySection, MemoryType, Module, RefType, TableSection, TableType, TypeSection, ValType,
};

/// A hostile shape of function body, sized by `n` (documented per variant).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Shape {
    /// `block`, then `n` × (`global.get 0`, `br_if 0`), then `end`: `n`
    /// branches to one label, `n + 2` basic blocks (issue 12, finding 1).
    BrIfChain,
    /// `n` nested `loop`s: nesting depth `n`, `2n` basic blocks.
    NestedLoops,
    /// `n` nested `if`s on `global.get 0`: nesting depth `n`.
    NestedIfs,
    /// `n` nested `block`s.
    NestedBlocks,
    /// `n` × (`global.get 0`, `if`, `else`, `end`) in sequence: `3n` basic
    /// blocks at nesting depth 1.
    IfElseSequence,
    /// `block`, a `br_table` of `n` targets (all label 0), `end`.
    BrTable,
    /// [`FIXED_DEPTH`] nested blocks around a `br_table` of `n` targets
    /// spread over every depth: many distinct edges.
    BrTableDeep,
    /// `n` × `i32.const 1`, `n - 1` × `i32.add`, `drop`: an operand stack
    /// of height `n`.
    OperandStack,
    /// [`FIXED_DEPTH`] nested loops around an update of each of `n` `i32`
    /// locals: every local is live at every loop header.
    LocalsAcrossLoops,
    /// `n` × (`i32.const 1`, `i32.const 2`, `i32.add`, `drop`):
    /// straight-line code a compiler folds away.
    StraightLine,
    /// `n` × (`local.get`, `local.get`, `i64.mul`, `local.get`, `i64.xor`,
    /// `local.set`) over 8 `i64` locals seeded from global 0: straight-line
    /// code no compiler can fold.
    Arithmetic,
    /// As [`Shape::Arithmetic`] with `f64.add` and `f64.mul` over 8 `f64`
    /// locals: every operator gets a NaN canonicalisation.
    FloatArithmetic,
    /// `n` × (`i32.const 0`, `i32.load`, `i32.const 4`, `i32.store`
    /// of it): memory traffic.
    MemoryTraffic,
    /// `n` × `call` of the empty function.
    Calls,
    /// `n` × (`i32.const 0`, `call_indirect`) of the empty function.
    CallIndirects,
}

impl Shape {
    /// Every shape.
    pub const ALL: [Shape; 15] = [
        Shape::BrIfChain,
        Shape::NestedLoops,
        Shape::NestedIfs,
        Shape::NestedBlocks,
        Shape::IfElseSequence,
        Shape::BrTable,
        Shape::BrTableDeep,
        Shape::OperandStack,
        Shape::LocalsAcrossLoops,
        Shape::StraightLine,
        Shape::Arithmetic,
        Shape::FloatArithmetic,
        Shape::MemoryTraffic,
        Shape::Calls,
        Shape::CallIndirects,
    ];

    /// A short name for tables and benchmark ids.
    pub fn name(self) -> &'static str {
        match self {
            Shape::BrIfChain => "br_if_chain",
            Shape::NestedLoops => "nested_loops",
            Shape::NestedIfs => "nested_ifs",
            Shape::NestedBlocks => "nested_blocks",
            Shape::IfElseSequence => "if_else_sequence",
            Shape::BrTable => "br_table",
            Shape::BrTableDeep => "br_table_deep",
            Shape::OperandStack => "operand_stack",
            Shape::LocalsAcrossLoops => "locals_across_loops",
            Shape::StraightLine => "straight_line",
            Shape::Arithmetic => "arithmetic",
            Shape::FloatArithmetic => "float_arithmetic",
            Shape::MemoryTraffic => "memory_traffic",
            Shape::Calls => "calls",
            Shape::CallIndirects => "call_indirects",
        }
    }

    /// The shape named `name` ([`Shape::name`]).
    pub fn from_name(name: &str) -> Option<Shape> {
        Shape::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// The nesting depth of [`Shape::BrTableDeep`] and
/// [`Shape::LocalsAcrossLoops`].
pub const FIXED_DEPTH: u32 = 64;

/// Locals of [`Shape::Arithmetic`] and [`Shape::FloatArithmetic`].
const ARITHMETIC_LOCALS: u32 = 8;

/// The body of `shape` sized `n` (with the function's final `end`).
pub fn body(shape: Shape, n: u32) -> Function {
    body_repeated(shape, n, 1)
}

/// `shape` sized `n`, `times` times in a row in one body: its locals are
/// declared and seeded once.
pub fn body_repeated(shape: Shape, n: u32, times: u32) -> Function {
    use Instruction as I;
    let locals = match shape {
        Shape::LocalsAcrossLoops => vec![(n, ValType::I32)],
        Shape::Arithmetic => vec![(ARITHMETIC_LOCALS, ValType::I64)],
        Shape::FloatArithmetic => vec![(ARITHMETIC_LOCALS, ValType::F64)],
        _ => Vec::new(),
    };
    let mut f = Function::new(locals);
    for local in 0..ARITHMETIC_LOCALS {
        match shape {
            Shape::Arithmetic => {
                f.instruction(&I::GlobalGet(0));
                f.instruction(&I::I64ExtendI32U);
                f.instruction(&I::LocalSet(local));
            }
            Shape::FloatArithmetic => {
                f.instruction(&I::GlobalGet(0));
                f.instruction(&I::F64ConvertI32U);
                f.instruction(&I::LocalSet(local));
            }
            _ => break,
        }
    }
    for _ in 0..times {
        pattern(&mut f, shape, n);
    }
    f.instruction(&I::End);
    f
}

/// Appends `shape` sized `n` to `f`.
fn pattern(f: &mut Function, shape: Shape, n: u32) {
    use Instruction as I;
    let empty = BlockType::Empty;
    let repeat = |f: &mut Function, times: u32, ops: &[I<'_>]| {
        for _ in 0..times {
            for op in ops {
                f.instruction(op);
            }
        }
    };
    // The rotating local indices of the arithmetic shapes.
    let local = |i: u32, k: u32| (i * 3 + k) % ARITHMETIC_LOCALS;
    let memarg = MemArg {
        offset: 0,
        align: 2,
        target: MemArgTarget::Memory(0),
        ordering: None,
    };
    match shape {
        Shape::BrIfChain => {
            f.instruction(&I::Block(empty));
            repeat(f, n, &[I::GlobalGet(0), I::BrIf(0)]);
            f.instruction(&I::End);
        }
        Shape::NestedLoops => {
            repeat(f, n, &[I::Loop(empty)]);
            repeat(f, n, &[I::End]);
        }
        Shape::NestedIfs => {
            repeat(f, n, &[I::GlobalGet(0), I::If(empty)]);
            repeat(f, n, &[I::End]);
        }
        Shape::NestedBlocks => {
            repeat(f, n, &[I::Block(empty)]);
            repeat(f, n, &[I::End]);
        }
        Shape::IfElseSequence => {
            repeat(f, n, &[I::GlobalGet(0), I::If(empty), I::Else, I::End]);
        }
        Shape::BrTable => {
            f.instruction(&I::Block(empty));
            f.instruction(&I::GlobalGet(0));
            f.instruction(&I::BrTable(vec![0u32; n as usize].into(), 0));
            f.instruction(&I::End);
        }
        Shape::BrTableDeep => {
            repeat(f, FIXED_DEPTH, &[I::Block(empty)]);
            f.instruction(&I::GlobalGet(0));
            let targets: Vec<u32> = (0..n).map(|i| i % FIXED_DEPTH).collect();
            f.instruction(&I::BrTable(targets.into(), 0));
            repeat(f, FIXED_DEPTH, &[I::End]);
        }
        Shape::OperandStack => {
            repeat(f, n, &[I::I32Const(1)]);
            repeat(f, n.saturating_sub(1), &[I::I32Add]);
            if n > 0 {
                f.instruction(&I::Drop);
            }
        }
        Shape::LocalsAcrossLoops => {
            // Each loop runs once: nothing branches back.
            repeat(f, FIXED_DEPTH, &[I::Loop(empty)]);
            for local in 0..n {
                f.instruction(&I::LocalGet(local));
                f.instruction(&I::I32Const(1));
                f.instruction(&I::I32Add);
                f.instruction(&I::LocalSet(local));
            }
            repeat(f, FIXED_DEPTH, &[I::End]);
        }
        Shape::StraightLine => {
            repeat(f, n, &[I::I32Const(1), I::I32Const(2), I::I32Add, I::Drop]);
        }
        Shape::Arithmetic | Shape::FloatArithmetic => {
            let (mul, combine) = if shape == Shape::Arithmetic {
                (I::I64Mul, I::I64Xor)
            } else {
                (I::F64Mul, I::F64Add)
            };
            for i in 0..n {
                f.instruction(&I::LocalGet(local(i, 0)));
                f.instruction(&I::LocalGet(local(i, 1)));
                f.instruction(&mul);
                f.instruction(&I::LocalGet(local(i, 2)));
                f.instruction(&combine);
                f.instruction(&I::LocalSet(local(i, 3)));
            }
        }
        Shape::MemoryTraffic => repeat(
            f,
            n,
            &[
                I::I32Const(4),
                I::I32Const(0),
                I::I32Load(memarg),
                I::I32Store(memarg),
            ],
        ),
        Shape::Calls => repeat(f, n, &[I::Call(0)]),
        Shape::CallIndirects => repeat(
            f,
            n,
            &[
                I::I32Const(0),
                I::CallIndirect {
                    type_index: 0,
                    table_index: 0,
                },
            ],
        ),
    }
}

/// A module of one function, `body(shape, n)`, exported as `"main"`.
pub fn module(shape: Shape, n: u32) -> Vec<u8> {
    module_of(&[body(shape, n)])
}

/// A module of `count` copies of `body_repeated(shape, n, times)`, the
/// first exported as `"main"` (the others are never called: they only cost
/// compilation).
pub fn module_repeated(shape: Shape, n: u32, times: u32, count: u32) -> Vec<u8> {
    let f = body_repeated(shape, n, times);
    module_of(&vec![f; count as usize])
}

/// A module of the given `[] -> []` bodies and the frame described in the
/// module documentation.
pub fn module_of(bodies: &[Function]) -> Vec<u8> {
    let mut m = Module::new();
    let mut types = TypeSection::new();
    types.ty().function([], []);
    m.section(&types);
    let mut functions = FunctionSection::new();
    for _ in 0..=bodies.len() {
        functions.function(0);
    }
    m.section(&functions);
    let mut tables = TableSection::new();
    tables.table(TableType {
        element_type: RefType::FUNCREF,
        minimum: 1,
        maximum: Some(1),
        table64: false,
        shared: false,
    });
    m.section(&tables);
    let mut memories = MemorySection::new();
    memories.memory(MemoryType {
        minimum: 1,
        maximum: Some(1),
        memory64: false,
        shared: false,
        page_size_log2: None,
    });
    m.section(&memories);
    let mut globals = GlobalSection::new();
    globals.global(
        GlobalType {
            val_type: ValType::I32,
            mutable: true,
            shared: false,
        },
        &ConstExpr::i32_const(0),
    );
    m.section(&globals);
    let mut exports = ExportSection::new();
    exports.export("main", ExportKind::Func, 1);
    m.section(&exports);
    let mut elements = ElementSection::new();
    elements.active(
        Some(0),
        &ConstExpr::i32_const(0),
        Elements::Functions(vec![0].into()),
    );
    m.section(&elements);
    let mut code = CodeSection::new();
    let mut empty = Function::new([]);
    empty.instruction(&Instruction::End);
    code.function(&empty);
    for f in bodies {
        code.function(f);
    }
    m.section(&code);
    m.finish()
}

/// The encoded size of `body_repeated(shape, n, times)`, its locals
/// included (what `max_function_body_size` counts).
pub fn body_size(shape: Shape, n: u32, times: u32) -> u64 {
    body_repeated(shape, n, times).byte_len() as u64
}

/// The largest `x` for which `size(x)` is at most `max`, given that `size`
/// grows with `x` (`0` if even `size(0)` is over), by bisection.
pub fn largest_within(max: u64, size: impl Fn(u32) -> u64) -> u32 {
    if size(0) > max {
        return 0;
    }
    let (mut lo, mut hi) = (0u32, 1u32);
    while size(hi) <= max {
        lo = hi;
        if hi == u32::MAX {
            return hi;
        }
        hi = hi.saturating_mul(2);
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if size(mid) <= max {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

/// The largest instance of `shape` that `limits` accept: `count` bodies of
/// [`body_repeated`]`(shape, n, times)` and one more body of size `rest`
/// (`body(shape, rest)`, none when `rest` is 0) spending what the module
/// limits leave, each as large as preparation (the oracle) accepts, in that
/// order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Worst {
    /// The shape.
    pub shape: Shape,
    /// Its size in a full body.
    pub n: u32,
    /// Repetitions in a full body.
    pub times: u32,
    /// Full bodies.
    pub count: u32,
    /// The size of the last, partial body (0: none).
    pub rest: u32,
}

impl Worst {
    /// The bodies.
    pub fn bodies(&self) -> Vec<Function> {
        let mut bodies = vec![body_repeated(self.shape, self.n, self.times); self.count as usize];
        if self.rest > 0 {
            bodies.push(body(self.shape, self.rest));
        }
        bodies
    }

    /// The module.
    pub fn module(&self) -> Vec<u8> {
        module_of(&self.bodies())
    }
}

/// Whether `limits` accept [`module_repeated`]`(shape, n, times, count)`.
fn accepted(shape: Shape, n: u32, times: u32, count: u32, limits: &ModuleLimits) -> bool {
    let wasm = module_repeated(shape, n, times, count);
    prepare(&wasm, limits, &GasSchedule::default()).is_ok()
}

/// The largest `x` in `0..=upper` for which `ok(x)` holds, given that `ok`
/// holds up to some point and not after it (`0` if it never holds).
fn largest_where(upper: u32, ok: impl Fn(u32) -> bool) -> u32 {
    let (mut lo, mut hi) = (0u32, upper);
    if ok(hi) {
        return hi;
    }
    // ok(lo) is assumed (or lo is 0), ok(hi) is false.
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if ok(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

/// The worst instance of `shape` under `limits` ([`Worst`]): the largest
/// `n` in one body, then the most repetitions of it in that body, then the
/// most such bodies in the module, then the largest partial body.
pub fn worst_at(shape: Shape, limits: &ModuleLimits) -> Worst {
    let body_max = limits.max_function_body_size;
    // Sizes bound each search cheaply; preparation decides within them.
    let n_by_size = largest_within(body_max, |n| body_size(shape, n, 1));
    let n = largest_where(n_by_size, |n| accepted(shape, n, 1, 1, limits));
    let times_by_size = largest_within(body_max, |t| body_size(shape, n, t));
    let times = largest_where(times_by_size, |t| accepted(shape, n, t, 1, limits));
    let one = body_size(shape, n, times).max(1);
    let count_by_size = u32::try_from(limits.max_module_size / one)
        .unwrap_or(u32::MAX)
        .min(limits.max_functions.saturating_sub(2));
    let count = largest_where(count_by_size, |c| accepted(shape, n, times, c, limits));
    let mut worst = Worst {
        shape,
        n,
        times,
        count,
        rest: 0,
    };
    let ok = |w: &Worst| prepare(&w.module(), limits, &GasSchedule::default()).is_ok();
    worst.rest = largest_where(n, |rest| ok(&Worst { rest, ..worst }));
    worst
}

/// The worst module mixing the costliest shapes under `limits`: as many
/// [`Shape::CallIndirects`] bodies as the block limits allow (the costliest
/// block for Cranelift), the worst [`Shape::LocalsAcrossLoops`] body, and as
/// much of `filler` (a shape whose cost is in its bytes, such as
/// [`Shape::Calls`] or [`Shape::BrTable`]) as the limits leave room for.
/// Each limit bounds one cost; this module spends every budget at once.
pub fn worst_combined(limits: &ModuleLimits, filler: Shape) -> Vec<u8> {
    let calls = worst_at(Shape::CallIndirects, limits);
    let loops = worst_at(Shape::LocalsAcrossLoops, limits);
    let fill = worst_at(filler, limits);
    let ok = |wasm: &[u8]| prepare(wasm, limits, &GasSchedule::default()).is_ok();
    let build = |calls_count: u32, fill_count: u32, rest: u32| {
        let mut bodies = Worst {
            count: calls_count,
            rest: 0,
            ..calls
        }
        .bodies();
        bodies.extend(loops.bodies());
        bodies.extend(
            Worst {
                count: fill_count,
                rest,
                ..fill
            }
            .bodies(),
        );
        module_of(&bodies)
    };
    // Leave room for the other bodies' blocks: drop call bodies until the
    // loop bodies and one filler body fit.
    let mut calls_count = calls.count;
    while calls_count > 0 && !ok(&build(calls_count, 1, 0)) {
        calls_count -= 1;
    }
    let fill_count = largest_where(fill.count, |f| ok(&build(calls_count, f, 0)));
    let rest = largest_where(fill.n, |r| ok(&build(calls_count, fill_count, r)));
    build(calls_count, fill_count, rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shape_is_valid() {
        for shape in Shape::ALL {
            for n in [0, 1, 2, 100] {
                let wasm = module(shape, n);
                wasmparser::validate(&wasm)
                    .unwrap_or_else(|e| panic!("{} n={n}: {e}", shape.name()));
            }
            wasmparser::validate(&module_repeated(shape, 5, 3, 2))
                .unwrap_or_else(|e| panic!("{} repeated: {e}", shape.name()));
        }
    }

    #[test]
    fn largest_within_is_the_largest() {
        let size = |n| body_size(Shape::BrIfChain, n, 1);
        let n = largest_within(1000, size);
        assert!(size(n) <= 1000);
        assert!(size(n + 1) > 1000);
    }
}
