//! Generated hostile guests (issue 12): the classes where compile bombs and
//! engine-limit divergences hide, run through the ABI on every backend and
//! compared by outcome digest. Four classes, chosen by the first byte:
//!
//! * **bombs** — a shape of [`crate::bombs`] sized at, just under or just
//!   over the default code limit it tests (nesting depth, blocks per
//!   function, `br_table` targets, operand stack, loop-carried locals), or
//!   anywhere up to the body-size limit: accepted modules must run alike
//!   everywhere, rejected ones are rejected alike;
//! * **structure** — random structured control flow: nests of `block`,
//!   `loop` and `if` (sometimes straight to the nesting limit), `br`,
//!   `br_if` and `br_table` (sometimes huge) to any label, deep operand
//!   stacks, long straight-line runs, direct and indirect calls through a
//!   table of up to the table-size limit (null, out-of-bounds and
//!   wrong-signature slots included), memory accesses in and out of bounds;
//!   backward branches loop until the gas runs out;
//! * **host loops** — up to 8 counted loops of host calls with big lengths
//!   (`sha256`, fresh-key `storage_write`s, `storage_read`,
//!   `write_register`, `value_return`, `log_utf8`, `emit_event`), each at
//!   most 16 MiB of work, under small or huge gas, to reach every
//!   per-execution limit;
//! * **long bodies** — bodies of random operators near the body-size limit.
//!
//! A case diverges when the backends' digests differ or any outcome is
//! non-deterministic (an accepted module must run on every engine).

use host_abi::{HostFunction, IMPORT_MODULE, MEMORY_EXPORT};
use runtime::{ExecutionLimits, ModuleLimits};
use wasm_encoder::{
    BlockType, CodeSection, ConstExpr, ElementSection, Elements, EntityType, ExportKind,
    ExportSection, Function, FunctionSection, GlobalSection, GlobalType, ImportSection,
    Instruction as I, MemArg, MemArgTarget, MemorySection, MemoryType, Module, RefType,
    TableSection, TableType, TypeSection, ValType,
};

use super::abi::Bytes;
use crate::bombs::{self, FIXED_DEPTH, Shape};
use crate::runner::Invocation;

/// The hostile class a case was drawn from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// A bomb shape at its limit.
    Bomb,
    /// Random structured control flow.
    Structure,
    /// Loops of host calls.
    HostLoop,
    /// Bodies near the body-size limit.
    LongBody,
}

/// An invocation of a generated hostile guest's `main`, and its class.
pub fn invocation(b: &mut Bytes<'_>) -> (Class, Invocation) {
    let class = match b.byte() % 8 {
        0 | 1 => Class::Bomb,
        2..=4 => Class::Structure,
        5 | 6 => Class::HostLoop,
        _ => Class::LongBody,
    };
    let wasm = match class {
        Class::Bomb => bomb(b),
        Class::Structure => structured(b, false),
        Class::HostLoop => structured(b, true),
        Class::LongBody => long_body(b),
    };
    let mut invocation = Invocation {
        wasm,
        call: "main".into(),
        ..Invocation::default()
    };
    invocation.context.seed = std::array::from_fn(|_| b.byte());
    invocation.context.limits.gas = match b.byte() % 4 {
        0 => b.u64() % 50_000,
        1 => 1_000_000 + b.u64() % 20_000_000,
        // Huge, for host loops only: their loops are counted, so only the
        // per-execution limits end them early. Other classes may loop until
        // the gas runs out, which must come soon.
        2 if class == Class::HostLoop => ExecutionLimits::MAX_GAS,
        _ => 100_000 + b.u64() % 2_000_000,
    };
    (class, invocation)
}

/// Around `limit`: just under, at, just over, or anywhere below.
fn around(b: &mut Bytes<'_>, limit: u64) -> u32 {
    let n = match b.byte() % 5 {
        0 => limit.saturating_sub(1),
        1 | 2 => limit,
        3 => limit + 1,
        _ => b.u64() % limit.max(1),
    };
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn bomb(b: &mut Bytes<'_>) -> Vec<u8> {
    let l = ModuleLimits::default();
    let shape = b.pick(&Shape::ALL);
    let n = match shape {
        Shape::NestedLoops | Shape::NestedIfs | Shape::NestedBlocks => {
            around(b, u64::from(l.max_nesting_depth))
        }
        Shape::BrIfChain => around(b, u64::from(l.max_blocks_per_function) - 3),
        Shape::IfElseSequence => around(b, u64::from(l.max_blocks_per_function - 1) / 3),
        Shape::CallIndirects => around(b, u64::from(l.max_blocks_per_function) - 1),
        Shape::BrTable | Shape::BrTableDeep => around(b, u64::from(l.max_br_table_targets)),
        Shape::OperandStack => around(b, u64::from(l.max_operand_stack)),
        Shape::LocalsAcrossLoops => around(b, l.max_loop_locals / u64::from(FIXED_DEPTH)),
        _ => {
            let full =
                bombs::largest_within(l.max_function_body_size, |n| bombs::body_size(shape, n, 1));
            around(b, u64::from(full))
        }
    };
    bombs::module(shape, n)
}

fn long_body(b: &mut Bytes<'_>) -> Vec<u8> {
    let l = ModuleLimits::default();
    // Up to the body-size limit and a little past it, in runs of one shape.
    let target = match b.byte() % 4 {
        0 => l.max_function_body_size + u64::from(b.byte()),
        _ => l.max_function_body_size - b.u64() % (l.max_function_body_size / 2),
    };
    let shapes = [
        Shape::Arithmetic,
        Shape::FloatArithmetic,
        Shape::MemoryTraffic,
        Shape::Calls,
        Shape::StraightLine,
    ];
    let shape = b.pick(&shapes);
    let n = bombs::largest_within(target, |n| bombs::body_size(shape, n, 1));
    bombs::module(shape, n)
}

/// Function indices of the structured modules: the ABI imports first.
const IMPORTS: u32 = HostFunction::ALL.len() as u32;
/// Type indices after the ABI's: `[] -> []` and `[i32] -> [i32]`.
const VOID_TYPE: u32 = IMPORTS;
const UNARY_TYPE: u32 = IMPORTS + 1;
/// Functions after the imports: the empty callee, `$unary`, then `main`.
const CALLEE: u32 = IMPORTS;
const UNARY: u32 = IMPORTS + 1;
const MAIN: u32 = IMPORTS + 2;
/// Locals of main: i32 counters and scratch.
const LOCALS: u32 = 8;
/// Memory pages of the structured modules: room for 1 MiB values.
const PAGES: u64 = 17;
const MEMORY_BYTES: u64 = PAGES * 65536;

/// The state of one generated body.
struct Gen<'a, 'b> {
    b: &'a mut Bytes<'b>,
    f: Function,
    /// Open labels (block, loop or if), innermost last.
    depth: u32,
    /// Statements left to emit.
    budget: u32,
    table_size: u32,
    host_loops: bool,
}

fn memarg(align: u32) -> MemArg {
    MemArg {
        offset: 0,
        align,
        target: MemArgTarget::Memory(0),
        ordering: None,
    }
}

impl Gen<'_, '_> {
    fn op(&mut self, op: I<'_>) {
        self.f.instruction(&op);
    }

    /// Pushes one i32: a constant, a local, or the global.
    fn value(&mut self) {
        match self.b.byte() % 4 {
            0 => {
                let local = u32::from(self.b.byte()) % LOCALS;
                self.op(I::LocalGet(local));
            }
            1 => self.op(I::GlobalGet(0)),
            _ => {
                let v = self.b.u64() as i32;
                self.op(I::I32Const(v));
            }
        }
    }

    /// A label to branch to (the function's own included).
    fn label(&mut self) -> u32 {
        u32::from(self.b.byte()) % (self.depth + 1)
    }

    /// Emits statements until the budget runs out; each leaves the operand
    /// stack as it found it.
    fn statements(&mut self, count: u32) {
        for _ in 0..count {
            if self.budget == 0 {
                return;
            }
            self.budget -= 1;
            self.statement();
        }
    }

    fn statement(&mut self) {
        let choice = if self.host_loops {
            100
        } else {
            self.b.byte() % 14
        };
        match choice {
            0..=2 => {
                let kind = self.b.byte() % 3;
                match kind {
                    0 => self.op(I::Block(BlockType::Empty)),
                    1 => self.op(I::Loop(BlockType::Empty)),
                    _ => {
                        self.value();
                        self.op(I::If(BlockType::Empty));
                    }
                }
                self.depth += 1;
                let inner = u32::from(self.b.byte() % 6);
                self.statements(inner);
                if kind == 2 && self.b.byte().is_multiple_of(2) {
                    self.op(I::Else);
                    let inner = u32::from(self.b.byte() % 4);
                    self.statements(inner);
                }
                self.depth -= 1;
                self.op(I::End);
            }
            3 => {
                // A straight nest, sometimes to the nesting limit and past.
                let limit = u64::from(ModuleLimits::default().max_nesting_depth);
                let n = around(self.b, limit.saturating_sub(u64::from(self.depth)));
                let n = n.min(limit as u32 + 2);
                for _ in 0..n {
                    let op = if self.b.byte().is_multiple_of(2) {
                        I::Block(BlockType::Empty)
                    } else {
                        I::Loop(BlockType::Empty)
                    };
                    self.op(op);
                }
                self.depth += n;
                self.statements(1);
                self.depth -= n;
                for _ in 0..n {
                    self.op(I::End);
                }
            }
            4 => {
                let l = self.label();
                self.op(I::Br(l));
            }
            5 => {
                self.value();
                let l = self.label();
                self.op(I::BrIf(l));
            }
            6 => {
                let targets = match self.b.byte() % 4 {
                    0 => around(
                        self.b,
                        u64::from(ModuleLimits::default().max_br_table_targets),
                    ),
                    _ => u32::from(self.b.byte()),
                };
                let labels: Vec<u32> = (0..targets).map(|_| self.label()).collect();
                let default = self.label();
                self.value();
                self.op(I::BrTable(labels.into(), default));
            }
            7 => {
                // A deep expression.
                let height = match self.b.byte() % 4 {
                    0 => around(self.b, u64::from(ModuleLimits::default().max_operand_stack)),
                    _ => u32::from(self.b.byte()) + 1,
                }
                .max(1);
                for _ in 0..height {
                    self.value();
                }
                for _ in 1..height {
                    let op = if self.b.byte().is_multiple_of(2) {
                        I::I32Add
                    } else {
                        I::I32Xor
                    };
                    self.op(op);
                }
                self.op(I::Drop);
            }
            8 => {
                self.value();
                self.value();
                self.op(I::I32Mul);
                let local = u32::from(self.b.byte()) % LOCALS;
                self.op(I::LocalSet(local));
            }
            9 => {
                if self.b.byte().is_multiple_of(2) {
                    self.op(I::Call(CALLEE));
                } else {
                    self.value();
                    self.op(I::Call(UNARY));
                    self.op(I::Drop);
                }
            }
            10 => {
                // An indirect call: in bounds or not, null or not, of
                // either signature.
                let index = match self.b.byte() % 4 {
                    0 => self.table_size,
                    _ => u32::from(self.b.byte()) % self.table_size.max(1),
                };
                if self.b.byte().is_multiple_of(2) {
                    self.op(I::I32Const(index as i32));
                    self.op(I::CallIndirect {
                        type_index: VOID_TYPE,
                        table_index: 0,
                    });
                } else {
                    self.value();
                    self.op(I::I32Const(index as i32));
                    self.op(I::CallIndirect {
                        type_index: UNARY_TYPE,
                        table_index: 0,
                    });
                    self.op(I::Drop);
                }
            }
            11 => {
                // A memory access, sometimes out of bounds.
                let address = match self.b.byte() % 4 {
                    0 => MEMORY_BYTES - 2,
                    _ => self.b.u64() % MEMORY_BYTES,
                };
                self.op(I::I32Const(address as i32));
                self.value();
                self.op(I::I32Store(memarg(0)));
            }
            12 => {
                // A straight-line run.
                let run = u32::from(self.b.byte()) * 8;
                for _ in 0..run {
                    self.value();
                    self.op(I::Drop);
                }
            }
            13 => {
                if self.b.byte().is_multiple_of(8) {
                    self.op(I::Unreachable);
                } else {
                    self.op(I::Nop);
                }
            }
            _ => self.host_loop(),
        }
    }

    /// A counted loop of one host call with big lengths: at most about
    /// 16 MiB of work in all, so every case stays fast.
    fn host_loop(&mut self) {
        let function = self.b.pick(&[
            HostFunction::Sha256,
            HostFunction::StorageWrite,
            HostFunction::WriteRegister,
            HostFunction::ValueReturn,
            HostFunction::LogUtf8,
            HostFunction::EmitEvent,
            HostFunction::StorageRead,
        ]);
        let len = match self.b.byte() % 4 {
            0 => 1 << 20,
            1 => 64 << 10,
            2 => u64::from(self.b.byte()),
            _ => self.b.u64() % MEMORY_BYTES,
        };
        let len = match function {
            // Valid UTF-8: the memory is zeros.
            HostFunction::LogUtf8 | HostFunction::EmitEvent => len.min(20_000),
            _ => len,
        };
        let count = (16u64 << 20) / len.max(1);
        let count = count.min(1 + u64::from(self.b.byte()) * 40).max(1);
        let counter = u32::from(self.b.byte()) % LOCALS;
        self.op(I::I32Const(count as i32));
        self.op(I::LocalSet(counter));
        self.op(I::Loop(BlockType::Empty));
        self.depth += 1;
        // A fresh key each time: the counter at address 0.
        self.op(I::I32Const(0));
        self.op(I::LocalGet(counter));
        self.op(I::I32Store(memarg(2)));
        let c = |v: u64| I::I64Const(v as i64);
        let ops: Vec<I<'_>> = match function {
            HostFunction::Sha256 => vec![c(len), c(0), c(0)],
            HostFunction::StorageWrite => vec![c(4), c(0), c(len), c(0), c(1)],
            HostFunction::StorageRead => vec![c(4), c(0), c(1)],
            HostFunction::WriteRegister => {
                vec![c(u64::from(self.b.byte() % 70)), c(len), c(0)]
            }
            HostFunction::ValueReturn | HostFunction::LogUtf8 => vec![c(len), c(4)],
            _ => vec![c(1), c(4), c(len), c(0)],
        };
        for op in ops {
            self.op(op);
        }
        self.op(I::Call(function.index() as u32));
        if function.has_result() {
            self.op(I::Drop);
        }
        self.op(I::LocalGet(counter));
        self.op(I::I32Const(1));
        self.op(I::I32Sub);
        self.op(I::LocalTee(counter));
        self.op(I::BrIf(0));
        self.depth -= 1;
        self.op(I::End);
    }
}

/// A structured module: the ABI imports, a table, memory, the empty callee,
/// `$unary` and a generated `main`.
fn structured(b: &mut Bytes<'_>, host_loops: bool) -> Vec<u8> {
    let mut types = TypeSection::new();
    let mut imports = ImportSection::new();
    for (i, f) in HostFunction::ALL.iter().enumerate() {
        types.ty().function(
            vec![ValType::I64; f.param_count()],
            vec![ValType::I64; f.result_count()],
        );
        imports.import(IMPORT_MODULE, f.name(), EntityType::Function(i as u32));
    }
    types.ty().function([], []);
    types.ty().function([ValType::I32], [ValType::I32]);
    let mut functions = FunctionSection::new();
    functions.function(VOID_TYPE);
    functions.function(UNARY_TYPE);
    functions.function(VOID_TYPE);
    let max_table = ModuleLimits::default().max_table_size;
    let table_size = match b.byte() % 4 {
        0 => max_table,
        _ => 1 + u32::from(b.byte()),
    };
    let mut tables = TableSection::new();
    tables.table(TableType {
        element_type: RefType::FUNCREF,
        minimum: u64::from(table_size),
        maximum: Some(u64::from(table_size)),
        table64: false,
        shared: false,
    });
    let mut memories = MemorySection::new();
    memories.memory(MemoryType {
        minimum: PAGES,
        maximum: Some(PAGES),
        memory64: false,
        shared: false,
        page_size_log2: None,
    });
    let mut globals = GlobalSection::new();
    globals.global(
        GlobalType {
            val_type: ValType::I32,
            mutable: true,
            shared: false,
        },
        &ConstExpr::i32_const(i32::from(b.byte() % 3)),
    );
    let mut exports = ExportSection::new();
    exports.export(MEMORY_EXPORT, ExportKind::Memory, 0);
    exports.export("main", ExportKind::Func, MAIN);
    // Every other slot filled, alternating the two signatures; the rest
    // are null.
    let mut elements = ElementSection::new();
    let filled: Vec<u32> = (0..table_size.div_ceil(2))
        .map(|i| if i % 2 == 0 { CALLEE } else { UNARY })
        .collect();
    elements.active(
        Some(0),
        &ConstExpr::i32_const(0),
        Elements::Functions(filled.into()),
    );
    let mut code = CodeSection::new();
    let mut empty = Function::new([]);
    empty.instruction(&I::End);
    code.function(&empty);
    let mut unary = Function::new([]);
    unary.instruction(&I::LocalGet(0));
    unary.instruction(&I::I32Const(1));
    unary.instruction(&I::I32Add);
    unary.instruction(&I::End);
    code.function(&unary);
    // Host loops do at most 16 MiB of work each: at most 8 of them.
    let budget = if host_loops {
        1 + u32::from(b.byte() % 8)
    } else {
        1 + u32::from(b.byte()) + u32::from(b.byte())
    };
    let mut body = Gen {
        b,
        f: Function::new([(LOCALS, ValType::I32)]),
        depth: 0,
        budget,
        table_size,
        host_loops,
    };
    body.statements(budget);
    body.f.instruction(&I::End);
    code.function(&body.f);
    let mut module = Module::new();
    module
        .section(&types)
        .section(&imports)
        .section(&functions)
        .section(&tables)
        .section(&memories)
        .section(&globals)
        .section(&exports)
        .section(&elements)
        .section(&code);
    module.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_generates_valid_modules() {
        let mut seen = Vec::new();
        for seed in 0..400u32 {
            let data: Vec<u8> = (0..4096u32)
                .map(|i| (i.wrapping_mul(2_654_435_761) ^ seed.wrapping_mul(40_503)) as u8)
                .collect();
            let (class, invocation) = invocation(&mut Bytes::new(&data));
            if let Err(e) = wasmparser::validate(&invocation.wasm) {
                panic!("{class:?} (seed {seed}): {e}");
            }
            if !seen.contains(&class) {
                seen.push(class);
            }
        }
        assert_eq!(seen.len(), 4, "{seen:?}");
    }
}
