//! Generated modules as data: a [`ModuleShape`] says what a module holds —
//! how many functions, types, imports, globals, exports, segments, how big
//! its tables and memories, which bodies — and [`ModuleShape::build`] is
//! the one builder that encodes it (with `wasm-encoder`). For modules too
//! big or too odd for WAT: ten thousand functions, a local count of
//! `u32::MAX`, a body of exactly 256 KiB, a module of exactly 4 MiB.
//!
//! ```
//! use conformance::corpus::shape::{FuncShape, ModuleShape};
//! use wasm_encoder::{Instruction, ValType};
//!
//! // "main" with 3 locals and 10 `nop`s, and 5 globals.
//! let shape = ModuleShape {
//!     globals: 5,
//!     ..ModuleShape::main(FuncShape {
//!         locals: vec![(3, ValType::I64)],
//!         ..FuncShape::repeat(Instruction::Nop, 10)
//!     })
//! };
//! wasmparser::validate(&shape.build()).unwrap();
//! ```

use std::borrow::Cow;

use wasm_encoder::{
    CodeSection, ConstExpr, CustomSection, DataSection, ElementSection, Elements, EntityType,
    ExportKind, ExportSection, Function, FunctionSection, GlobalSection, GlobalType, ImportSection,
    Instruction, MemorySection, MemoryType, Module, RefType, TableSection, TableType, TypeSection,
    ValType,
};

/// One defined function.
#[derive(Clone, Debug, Default)]
pub struct FuncShape {
    /// Its type: an index into [`ModuleShape::types`] plus one (0 is
    /// `[] -> []`).
    pub ty: u32,
    /// Its locals, in groups of `(count, type)`.
    pub locals: Vec<(u32, ValType)>,
    /// Its body without the final `end`: each instruction with how many
    /// times it repeats (a body of 300 000 `nop`s is one entry).
    pub body: Vec<(Instruction<'static>, u32)>,
}

impl FuncShape {
    /// A function of type `[] -> []` whose body is `instructions`, once
    /// each.
    pub fn body(instructions: impl IntoIterator<Item = Instruction<'static>>) -> Self {
        Self {
            body: instructions.into_iter().map(|i| (i, 1)).collect(),
            ..Self::default()
        }
    }

    /// A function of type `[] -> []` whose body is `instruction`, `times`
    /// times.
    pub fn repeat(instruction: Instruction<'static>, times: u32) -> Self {
        Self {
            body: vec![(instruction, times)],
            ..Self::default()
        }
    }

    /// An empty function of type `ty`.
    pub fn of_type(ty: u32) -> Self {
        Self {
            ty,
            ..Self::default()
        }
    }

    fn encode(&self) -> Function {
        let mut f = Function::new(self.locals.iter().copied());
        for (instruction, times) in &self.body {
            for _ in 0..*times {
                f.instruction(instruction);
            }
        }
        f.instruction(&Instruction::End);
        f
    }
}

/// What a generated module holds. Every module exports its first defined
/// function as "main" (of type `[] -> []`); everything else is optional.
#[derive(Clone, Debug, Default)]
pub struct ModuleShape {
    /// Function types after type 0, `[] -> []`: `(params, results)`.
    pub types: Vec<(Vec<ValType>, Vec<ValType>)>,
    /// Imports of `env.time_now`; its type, `[] -> [i64]`, comes after
    /// [`ModuleShape::types`].
    pub imports: u32,
    /// The defined functions; the first is "main". Empty: one empty "main".
    pub functions: Vec<FuncShape>,
    /// Funcref tables: `(minimum, maximum)`.
    pub tables: Vec<(u64, Option<u64>)>,
    /// Memories, by their minimum in pages (no maximum).
    pub memories: Vec<u64>,
    /// Whether memory 0 is exported as "memory".
    pub export_memory: bool,
    /// Mutable `i32` globals; global `i` starts at `i`.
    pub globals: u32,
    /// Exports of "main" under other names (`f0`, `f1`, ...).
    pub extra_exports: u32,
    /// One-byte active data segments at offsets 0, 1, ... of memory 0.
    pub data_segments: u32,
    /// Active element segments holding "main", at offsets 0, 1, ... of
    /// table 0.
    pub element_segments: u32,
    /// The module's exact size in bytes, reached with a custom section
    /// after all the others (`None`: no padding).
    pub size: Option<u64>,
}

impl ModuleShape {
    /// A module of "main" alone.
    pub fn main(main: FuncShape) -> Self {
        Self {
            functions: vec![main],
            ..Self::default()
        }
    }

    /// `count` empty functions of type 0, the first "main".
    pub fn functions(count: u32) -> Self {
        Self {
            functions: vec![FuncShape::default(); count as usize],
            ..Self::default()
        }
    }

    /// The module's bytes.
    ///
    /// # Panics
    ///
    /// If [`ModuleShape::size`] is smaller than the module without padding
    /// plus the smallest custom section (a mistake in the corpus).
    pub fn build(&self) -> Vec<u8> {
        let mut m = Module::new();
        let mut types = TypeSection::new();
        types.ty().function([], []);
        for (params, results) in &self.types {
            types
                .ty()
                .function(params.iter().copied(), results.iter().copied());
        }
        let time_now = u32::try_from(self.types.len()).unwrap_or(u32::MAX) + 1;
        if self.imports > 0 {
            types.ty().function([], [ValType::I64]);
        }
        m.section(&types);
        if self.imports > 0 {
            let mut imports = ImportSection::new();
            for _ in 0..self.imports {
                imports.import("env", "time_now", EntityType::Function(time_now));
            }
            m.section(&imports);
        }
        let main = [FuncShape::default()];
        let functions = if self.functions.is_empty() {
            &main[..]
        } else {
            &self.functions[..]
        };
        let mut section = FunctionSection::new();
        for f in functions {
            section.function(f.ty);
        }
        m.section(&section);
        if !self.tables.is_empty() {
            let mut tables = TableSection::new();
            for &(minimum, maximum) in &self.tables {
                tables.table(TableType {
                    element_type: RefType::FUNCREF,
                    table64: false,
                    minimum,
                    maximum,
                    shared: false,
                });
            }
            m.section(&tables);
        }
        if !self.memories.is_empty() {
            let mut memories = MemorySection::new();
            for &minimum in &self.memories {
                memories.memory(MemoryType {
                    minimum,
                    maximum: None,
                    memory64: false,
                    shared: false,
                    page_size_log2: None,
                });
            }
            m.section(&memories);
        }
        if self.globals > 0 {
            let mut globals = GlobalSection::new();
            for i in 0..self.globals {
                let ty = GlobalType {
                    val_type: ValType::I32,
                    mutable: true,
                    shared: false,
                };
                globals.global(ty, &ConstExpr::i32_const(i as i32));
            }
            m.section(&globals);
        }
        let mut exports = ExportSection::new();
        exports.export("main", ExportKind::Func, self.imports);
        for i in 0..self.extra_exports {
            exports.export(&format!("f{i}"), ExportKind::Func, self.imports);
        }
        if self.export_memory {
            exports.export("memory", ExportKind::Memory, 0);
        }
        m.section(&exports);
        if self.element_segments > 0 {
            let mut elements = ElementSection::new();
            let main = [self.imports];
            for i in 0..self.element_segments {
                elements.active(
                    None,
                    &ConstExpr::i32_const(i as i32),
                    Elements::Functions(Cow::Borrowed(&main)),
                );
            }
            m.section(&elements);
        }
        let mut code = CodeSection::new();
        for f in functions {
            code.function(&f.encode());
        }
        m.section(&code);
        if self.data_segments > 0 {
            let mut data = DataSection::new();
            for i in 0..self.data_segments {
                data.active(0, &ConstExpr::i32_const(i as i32), [0xab]);
            }
            m.section(&data);
        }
        let mut bytes = m.finish();
        if let Some(size) = self.size {
            let total = usize::try_from(size).unwrap_or(usize::MAX);
            let padding = total
                .checked_sub(bytes.len())
                .and_then(custom_section_of)
                .unwrap_or_else(|| panic!("no module of {size} bytes has this shape"));
            bytes.extend(padding);
        }
        bytes
    }
}

/// The encoding of a custom section named "padding" that takes exactly
/// `total` bytes, if there is one.
fn custom_section_of(total: usize) -> Option<Vec<u8>> {
    // id (1 byte), the LEB128 size (1 to 5 bytes), the name (8 bytes with
    // its length), the data.
    (1..=5).find_map(|leb| {
        let data = total.checked_sub(1 + leb + 8)?;
        let mut m = Module::new();
        m.section(&CustomSection {
            name: "padding".into(),
            data: vec![0u8; data].into(),
        });
        // The section after the 8-byte header of a module of its own.
        let section = m.finish().split_off(8);
        (section.len() == total).then_some(section)
    })
}
