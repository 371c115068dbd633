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

/// The session's host functions as the generator sees them (import module
/// `session`, `docs/SESSIONS.md`): name, parameter names, whether it has
/// a result.
const SESSION_FUNCTIONS: [(&str, &[&str], bool); 3] = [
    ("send", &["to_len", "to_ptr", "data_len", "data_ptr"], false),
    ("recv", &["sender_register", "data_register"], true),
    ("pending", &[], true),
];

/// Where a session guest's memory holds the module names `m0`, `m1`, ...
/// (two bytes each), one more than the session loads (an unknown name).
const NAMES_AT: u64 = 64;

/// The longest session a generated guest knows the names of.
pub const MAX_SESSION_MODULES: usize = 4;

/// A host call the generator can make.
#[derive(Clone, Copy)]
enum Callee {
    Abi(HostFunction),
    /// An index into [`SESSION_FUNCTIONS`].
    Session(usize),
}

impl Callee {
    fn params(self) -> &'static [&'static str] {
        match self {
            Callee::Abi(f) => f.params(),
            Callee::Session(i) => SESSION_FUNCTIONS[i].1,
        }
    }

    fn has_result(self) -> bool {
        match self {
            Callee::Abi(f) => f.has_result(),
            Callee::Session(i) => SESSION_FUNCTIONS[i].2,
        }
    }

    /// The function index of its import: the ABI's first, then the
    /// session's.
    fn index(self) -> u32 {
        match self {
            Callee::Abi(f) => f.index() as u32,
            Callee::Session(i) => (HostFunction::ALL.len() + i) as u32,
        }
    }
}

/// A module importing every ABI function, with a `main` of up to 40 random
/// host calls (and sometimes a memory.grow), from `b`.
pub fn generate(b: &mut Bytes<'_>) -> Vec<u8> {
    generate_with(b, 0)
}

/// A session guest: every ABI function and the session's `send`, `recv`
/// and `pending`; a `main` of random host calls (two in three of them
/// session calls, most `send`s to one of the names `m0`..`m{names}`, the
/// last of which is not loaded, with short data), and an `on_message`
/// handler that receives first, then makes random calls too.
pub fn generate_session(b: &mut Bytes<'_>, names: usize) -> Vec<u8> {
    generate_with(b, names.clamp(1, MAX_SESSION_MODULES))
}

/// The arguments of one call.
fn arguments(b: &mut Bytes<'_>, callee: Callee, session_names: usize) -> Vec<u64> {
    let params = callee.params();
    let mut values = Vec::with_capacity(params.len());
    let mut i = 0;
    while i < params.len() {
        let param = params[i];
        // Only session guests spend bytes on these choices, so the ABI
        // generator makes the same modules from the same bytes as before.
        if session_names > 0 && param == "to_len" && !b.byte().is_multiple_of(4) {
            // A name of the session (one time in eight perhaps the one past
            // it, which is never loaded), pointer next.
            let names = session_names as u64 + u64::from(b.byte().is_multiple_of(8));
            let name = u64::from(b.byte()) % names;
            values.extend([2, NAMES_AT + 2 * name]);
            i += 2;
            continue;
        }
        values.push(
            if session_names > 0 && param == "data_len" && !b.byte().is_multiple_of(4) {
                u64::from(b.byte() % 24)
            } else if session_names > 0 && param == "data_ptr" && !b.byte().is_multiple_of(4) {
                // Mostly within the first page, so the send gets past its
                // bounds check to the bus's own limits.
                u64::from(b.byte()) * 16
            } else if param.ends_with("ptr") {
                pointer(b)
            } else if param.ends_with("len") {
                length(b)
            } else {
                register(b)
            },
        );
        i += 1;
    }
    values
}

/// A body of up to 40 random host calls (and sometimes a memory.grow).
///
/// A session guest makes fewer calls, three in four of them session calls
/// (half of those `send`), so that its executions reach the bus more often
/// than the first bad pointer of an ABI call.
fn random_calls(b: &mut Bytes<'_>, body: &mut Function, session_names: usize) {
    let calls = 1 + b.byte() % if session_names > 0 { 16 } else { 40 };
    for _ in 0..calls {
        if b.byte().is_multiple_of(16) {
            body.instruction(&Instruction::I32Const(1));
            body.instruction(&Instruction::MemoryGrow(0));
            body.instruction(&Instruction::Drop);
        }
        let callee = if session_names > 0 && !b.byte().is_multiple_of(4) {
            Callee::Session([0, 0, 0, 1, 1, 2][usize::from(b.byte()) % 6])
        } else {
            Callee::Abi(HostFunction::ALL[usize::from(b.byte()) % HostFunction::ALL.len()])
        };
        for value in arguments(b, callee, session_names) {
            body.instruction(&Instruction::I64Const(value as i64));
        }
        body.instruction(&Instruction::Call(callee.index()));
        if callee.has_result() {
            body.instruction(&Instruction::Drop);
        }
    }
    body.instruction(&Instruction::End);
}

fn generate_with(b: &mut Bytes<'_>, session_names: usize) -> Vec<u8> {
    let mut types = TypeSection::new();
    let mut imports = ImportSection::new();
    for (i, f) in HostFunction::ALL.iter().enumerate() {
        types.ty().function(
            vec![ValType::I64; f.param_count()],
            vec![ValType::I64; f.result_count()],
        );
        imports.import(IMPORT_MODULE, f.name(), EntityType::Function(i as u32));
    }
    let mut imported = HostFunction::ALL.len() as u32;
    if session_names > 0 {
        for (name, params, result) in SESSION_FUNCTIONS {
            types.ty().function(
                vec![ValType::I64; params.len()],
                vec![ValType::I64; usize::from(result)],
            );
            imports.import("session", name, EntityType::Function(imported));
            imported += 1;
        }
    }
    let main_type = imported;
    types.ty().function([], []);
    let mut functions = FunctionSection::new();
    functions.function(main_type);
    if session_names > 0 {
        functions.function(main_type);
    }
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
    exports.export("main", ExportKind::Func, imported);
    let mut code = CodeSection::new();
    let mut body = Function::new([]);
    random_calls(b, &mut body, session_names);
    code.function(&body);
    if session_names > 0 {
        exports.export("on_message", ExportKind::Func, imported + 1);
        let mut handler = Function::new([]);
        for value in [0, 1] {
            handler.instruction(&Instruction::I64Const(value));
        }
        handler.instruction(&Instruction::Call(Callee::Session(1).index()));
        handler.instruction(&Instruction::Drop);
        random_calls(b, &mut handler, session_names);
        code.function(&handler);
    }
    let mut data = DataSection::new();
    data.active(0, &ConstExpr::i32_const(0), DATA.iter().copied());
    if session_names > 0 {
        let names: Vec<u8> = (0..=session_names)
            .flat_map(|i| [b'm', b'0' + i as u8])
            .collect();
        data.active(0, &ConstExpr::i32_const(NAMES_AT as i32), names);
    }
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
