//! Generated ABI-calling guests: a `main` that makes a random sequence of
//! host calls with random, edge and bad pointers, lengths and register ids,
//! over random input, seed and storage; outcomes are compared by digest.

use host_abi::{HostFunction, IMPORT_MODULE, MEMORY_EXPORT};
use wasm_encoder::{
    CodeSection, ConstExpr, DataSection, EntityType, ExportKind, ExportSection, Function,
    FunctionSection, ImportSection, Instruction, MemorySection, MemoryType, Module, TypeSection,
    ValType,
};

use crate::runner::Invocation;

/// A byte source that never runs dry (it wraps around, then yields zeros).
pub struct Bytes<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Bytes<'a> {
    /// Reads from `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Self { data, at: 0 }
    }

    /// The next byte.
    pub fn byte(&mut self) -> u8 {
        let b = self.data.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        b
    }

    /// The next little-endian u64.
    pub fn u64(&mut self) -> u64 {
        u64::from_le_bytes(std::array::from_fn(|_| self.byte()))
    }

    /// One of `choices`.
    pub fn pick<T: Copy>(&mut self, choices: &[T]) -> T {
        choices[usize::from(self.byte()) % choices.len()]
    }
}

const PAGE: u64 = 65536;
/// Initial memory contents: text, an invalid UTF-8 byte, numbers.
const DATA: &[u8] = b"hello\xffworld\x00transfer kv 0123456789abcdef";

fn pointer(b: &mut Bytes<'_>) -> u64 {
    match b.byte() % 10 {
        0 => 0,
        1 => PAGE - 1,
        2 => PAGE,
        3 => PAGE + 1,
        4 => u64::MAX,
        5 => u64::MAX - 3,
        6 => 2 * PAGE - 8,
        _ => b.u64() % (2 * PAGE),
    }
}

fn length(b: &mut Bytes<'_>) -> u64 {
    match b.byte() % 12 {
        0 => 0,
        1 => 1,
        2 => 5,
        3 => 32,
        4 => PAGE,
        5 => u64::MAX,
        6 => 2049,
        7 => 17_000,
        _ => b.u64() % 300,
    }
}

fn register(b: &mut Bytes<'_>) -> u64 {
    match b.byte() % 8 {
        0 => u64::MAX,
        1 => b.u64(),
        n => u64::from(n % 4),
    }
}

/// A module importing every ABI function, with a `main` of up to 40 random
/// host calls (and sometimes a memory.grow), from `b`.
pub fn generate(b: &mut Bytes<'_>) -> Vec<u8> {
    let mut types = TypeSection::new();
    let mut imports = ImportSection::new();
    for (i, f) in HostFunction::ALL.iter().enumerate() {
        types.ty().function(
            vec![ValType::I64; f.param_count()],
            vec![ValType::I64; f.result_count()],
        );
        imports.import(IMPORT_MODULE, f.name(), EntityType::Function(i as u32));
    }
    let main_type = HostFunction::ALL.len() as u32;
    types.ty().function([], []);
    let mut functions = FunctionSection::new();
    functions.function(main_type);
    let mut memories = MemorySection::new();
    memories.memory(MemoryType {
        minimum: 1,
        maximum: Some(2),
        memory64: false,
        shared: false,
        page_size_log2: None,
    });
    let mut exports = ExportSection::new();
    exports.export(MEMORY_EXPORT, ExportKind::Memory, 0);
    exports.export("main", ExportKind::Func, HostFunction::ALL.len() as u32);
    let mut body = Function::new([]);
    let calls = 1 + b.byte() % 40;
    for _ in 0..calls {
        if b.byte().is_multiple_of(16) {
            body.instruction(&Instruction::I32Const(1));
            body.instruction(&Instruction::MemoryGrow(0));
            body.instruction(&Instruction::Drop);
        }
        let f = HostFunction::ALL[usize::from(b.byte()) % HostFunction::ALL.len()];
        for param in f.params() {
            let value = if param.ends_with("ptr") {
                pointer(b)
            } else if param.ends_with("len") {
                length(b)
            } else {
                register(b)
            };
            body.instruction(&Instruction::I64Const(value as i64));
        }
        body.instruction(&Instruction::Call(f.index() as u32));
        if f.has_result() {
            body.instruction(&Instruction::Drop);
        }
    }
    body.instruction(&Instruction::End);
    let mut code = CodeSection::new();
    code.function(&body);
    let mut data = DataSection::new();
    data.active(0, &ConstExpr::i32_const(0), DATA.iter().copied());
    let mut module = Module::new();
    module
        .section(&types)
        .section(&imports)
        .section(&functions)
        .section(&memories)
        .section(&exports)
        .section(&code)
        .section(&data);
    module.finish()
}

/// An invocation of a generated guest's `main`, with input, seed, time and
/// a small pre-state from `b`.
pub fn invocation(b: &mut Bytes<'_>) -> Invocation {
    let wasm = generate(b);
    let mut invocation = Invocation {
        wasm,
        call: "main".into(),
        ..Invocation::default()
    };
    let input_len = usize::from(b.byte() % 64);
    invocation.context.input = (0..input_len).map(|_| b.byte()).collect();
    invocation.context.seed = std::array::from_fn(|_| b.byte());
    invocation.context.timestamp_ns = b.u64();
    // Mostly enough gas; one case in four runs out somewhere in the middle.
    invocation.context.limits.gas = if b.byte().is_multiple_of(4) {
        b.u64() % 20_000
    } else {
        200_000 + b.u64() % 2_000_000
    };
    for _ in 0..b.byte() % 4 {
        let key = vec![b.byte() % 4];
        let value = vec![b.byte(); usize::from(b.byte() % 8)];
        invocation.pre_state.push((key, value));
    }
    invocation
}
