//! The reviewed table of what the spec run skips, and why: one reason per
//! entry.
//!
//! Two kinds of entries:
//!
//! * [`FILES`]: whole files about features outside the runtime's contract
//!   ([`runtime::allowed_features`]); every directive in them is skipped.
//! * [`DIRECTIVES`]: single directives, by file and line, in files that are
//!   otherwise run. A skipped module directive is still prepared and must be
//!   rejected with the kind its reason names ([`Reason::rejection`]); if the
//!   runtime accepts it, or rejects it for another reason, the entry is
//!   stale and the directive counts as *failed*. Directives acting on a
//!   skipped module (invokes, assertions, `register`) are skipped with the
//!   module's reason.
//!
//! An entry that matches no file or directive is reported as unused
//! ([`super::SpecReport::unused_skips`]), so the table cannot silently drift
//! from the suite.

use runtime::RejectionKind;

/// Why something is skipped. Each is outside the runtime's contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Reason {
    /// Fixed-width SIMD (`v128`): disallowed feature.
    Simd,
    /// Relaxed SIMD: disallowed feature.
    RelaxedSimd,
    /// GC: struct, array, i31, casts, recursive and sub types: disallowed.
    Gc,
    /// Typed function references (`call_ref`, non-nullable references,
    /// `br_on_null`): disallowed.
    FunctionReferences,
    /// Reference types beyond what bulk memory needs (`externref`,
    /// `ref.func`/`ref.null` values, `table.get`/`set`/`grow`/`fill`/`size`,
    /// several tables, typed `select`): disallowed.
    ReferenceTypes,
    /// Exception handling (`tag`, `throw`, `try_table`): disallowed.
    Exceptions,
    /// 64-bit memories and tables: disallowed.
    Memory64,
    /// Several memories: disallowed.
    MultiMemory,
    /// Tail calls (`return_call*`): disallowed.
    TailCalls,
    /// Threads, shared memory, atomics: disallowed.
    Threads,
    /// Stack switching (continuations): disallowed.
    StackSwitching,
    /// Extended constant expressions (`i32.add` & co. in initialisers):
    /// disallowed.
    ExtendedConst,
    /// `global.get` of a module's own (non-imported) global in a constant
    /// expression, allowed since wasm 3.0 under GC: disallowed.
    ConstGlobalGet,
    /// The module imports something that is not a host function: a global,
    /// the table or the memory of `spectest`, or anything of another
    /// registered module. The runtime links host functions only (the guest
    /// ABI's and, for this run, the `spectest` functions), so preparation
    /// rejects it as `UnknownImport` (or, for a function of another type,
    /// `MistypedImport` — not skipped): outside the contract.
    ImportsOutsideAbi,
}

impl Reason {
    /// Every reason, in table order.
    pub const ALL: &'static [Reason] = &[
        Reason::Simd,
        Reason::RelaxedSimd,
        Reason::Gc,
        Reason::FunctionReferences,
        Reason::ReferenceTypes,
        Reason::Exceptions,
        Reason::Memory64,
        Reason::MultiMemory,
        Reason::TailCalls,
        Reason::Threads,
        Reason::StackSwitching,
        Reason::ExtendedConst,
        Reason::ConstGlobalGet,
        Reason::ImportsOutsideAbi,
    ];

    /// A short, stable name (JSON keys, tables).
    pub const fn name(self) -> &'static str {
        match self {
            Reason::Simd => "simd",
            Reason::RelaxedSimd => "relaxed-simd",
            Reason::Gc => "gc",
            Reason::FunctionReferences => "function-references",
            Reason::ReferenceTypes => "reference-types",
            Reason::Exceptions => "exceptions",
            Reason::Memory64 => "memory64",
            Reason::MultiMemory => "multi-memory",
            Reason::TailCalls => "tail-calls",
            Reason::Threads => "threads",
            Reason::StackSwitching => "stack-switching",
            Reason::ExtendedConst => "extended-const",
            Reason::ConstGlobalGet => "const-global-get",
            Reason::ImportsOutsideAbi => "imports-outside-abi",
        }
    }

    /// Why it is out of scope, for people.
    pub const fn describe(self) -> &'static str {
        match self {
            Reason::Simd => "SIMD (v128) is a disallowed feature",
            Reason::RelaxedSimd => "relaxed SIMD is a disallowed feature",
            Reason::Gc => "GC types and instructions are a disallowed feature",
            Reason::FunctionReferences => "typed function references are a disallowed feature",
            Reason::ReferenceTypes => {
                "reference types beyond bulk memory's needs are a disallowed feature"
            }
            Reason::Exceptions => "exception handling is a disallowed feature",
            Reason::Memory64 => "64-bit memories and tables are a disallowed feature",
            Reason::MultiMemory => "several memories are a disallowed feature",
            Reason::TailCalls => "tail calls are a disallowed feature",
            Reason::Threads => "threads, shared memory and atomics are a disallowed feature",
            Reason::StackSwitching => "stack switching is a disallowed feature",
            Reason::ExtendedConst => "extended constant expressions are a disallowed feature",
            Reason::ConstGlobalGet => {
                "global.get of a module's own global in a constant expression (wasm 3.0, GC) is a disallowed feature"
            }
            Reason::ImportsOutsideAbi => {
                "imports a spectest global, table or memory, or from a registered module: only host functions link (UnknownImport)"
            }
        }
    }

    /// The rejection a module skipped for this reason must get from
    /// preparation: the runner checks it, so a skip cannot hide a module the
    /// runtime actually runs.
    pub const fn rejection(self) -> RejectionKind {
        match self {
            Reason::ImportsOutsideAbi => RejectionKind::UnknownImport,
            _ => RejectionKind::DisallowedFeature,
        }
    }

    /// Words of which the rejection's detail (wasmparser's message, which
    /// names the feature) must contain one, for a skipped module; empty: any
    /// detail.
    pub const fn markers(self) -> &'static [&'static str] {
        match self {
            Reason::Simd => &["SIMD"],
            Reason::RelaxedSimd => &["relaxed SIMD", "SIMD"],
            Reason::Gc => &["gc", "GC"],
            Reason::FunctionReferences => &["function-references", "function references"],
            Reason::ReferenceTypes => &["reference types", "multiple tables"],
            Reason::Exceptions => &["exceptions"],
            Reason::Memory64 => &["memory64"],
            Reason::MultiMemory => &["multiple memories"],
            Reason::TailCalls => &["tail calls"],
            Reason::Threads => &["threads", "shared"],
            Reason::StackSwitching => &["stack switching"],
            Reason::ExtendedConst => &["non-constant operator"],
            Reason::ConstGlobalGet => &["global.get of locally defined global"],
            Reason::ImportsOutsideAbi => &[],
        }
    }
}

/// A whole file skipped: `file` is a file name, or a prefix ending in `*`.
#[derive(Clone, Copy, Debug)]
pub struct FileSkip {
    /// The file name, or a prefix followed by `*`.
    pub file: &'static str,
    /// Why.
    pub reason: Reason,
}

/// Directives of one file skipped, by the (1-based) line they start on.
#[derive(Clone, Copy, Debug)]
pub struct DirectiveSkip {
    /// The file name.
    pub file: &'static str,
    /// The lines the skipped directives start on.
    pub lines: &'static [usize],
    /// Why (one reason per entry).
    pub reason: Reason,
}

impl FileSkip {
    /// Whether this entry covers `file`.
    pub fn matches(&self, file: &str) -> bool {
        match self.file.strip_suffix('*') {
            Some(prefix) => file.starts_with(prefix),
            None => file == self.file,
        }
    }
}

const fn file(file: &'static str, reason: Reason) -> FileSkip {
    FileSkip { file, reason }
}

const fn lines(file: &'static str, lines: &'static [usize], reason: Reason) -> DirectiveSkip {
    DirectiveSkip {
        file,
        lines,
        reason,
    }
}

/// Whole files out of scope.
pub const FILES: &[FileSkip] = &[
    file("simd_*", Reason::Simd),
    file("relaxed_*", Reason::RelaxedSimd),
    file("i16x8_relaxed_q15mulr_s.wast", Reason::RelaxedSimd),
    file("i32x4_relaxed_trunc.wast", Reason::RelaxedSimd),
    file("i8x16_relaxed_swizzle.wast", Reason::RelaxedSimd),
    file("array*", Reason::Gc),
    file("struct.wast", Reason::Gc),
    file("i31.wast", Reason::Gc),
    file("binary-gc.wast", Reason::Gc),
    file("br_on_cast*", Reason::Gc),
    file("ref_cast.wast", Reason::Gc),
    file("ref_test.wast", Reason::Gc),
    file("ref_eq.wast", Reason::Gc),
    file("type-canon.wast", Reason::Gc),
    file("type-equivalence.wast", Reason::Gc),
    file("type-rec.wast", Reason::Gc),
    file("type-subtyping.wast", Reason::Gc),
    file("extern.wast", Reason::Gc),
    file("br_on_non_null.wast", Reason::FunctionReferences),
    file("br_on_null.wast", Reason::FunctionReferences),
    file("call_ref.wast", Reason::FunctionReferences),
    file("ref_as_non_null.wast", Reason::FunctionReferences),
    file("local_init.wast", Reason::FunctionReferences),
    file("ref.wast", Reason::ReferenceTypes),
    file("ref_func.wast", Reason::ReferenceTypes),
    file("ref_is_null.wast", Reason::ReferenceTypes),
    file("ref_null.wast", Reason::ReferenceTypes),
    file("table.wast", Reason::ReferenceTypes),
    file("table-sub.wast", Reason::ReferenceTypes),
    file("table_fill.wast", Reason::ReferenceTypes),
    file("table_get.wast", Reason::ReferenceTypes),
    file("table_grow.wast", Reason::ReferenceTypes),
    file("table_set.wast", Reason::ReferenceTypes),
    file("table_size.wast", Reason::ReferenceTypes),
    file("tag.wast", Reason::Exceptions),
    file("throw.wast", Reason::Exceptions),
    file("throw_ref.wast", Reason::Exceptions),
    file("try_table.wast", Reason::Exceptions),
    file("address64.wast", Reason::Memory64),
    file("align64.wast", Reason::Memory64),
    file("binary_leb128_64.wast", Reason::Memory64),
    file("bulk64.wast", Reason::Memory64),
    file("call_indirect64.wast", Reason::Memory64),
    file("endianness64.wast", Reason::Memory64),
    file("float_memory64.wast", Reason::Memory64),
    file("load64.wast", Reason::Memory64),
    file("memory64.wast", Reason::Memory64),
    file("memory64-imports.wast", Reason::Memory64),
    file("memory_copy64.wast", Reason::Memory64),
    file("memory_fill64.wast", Reason::Memory64),
    file("memory_grow64.wast", Reason::Memory64),
    file("memory_init64.wast", Reason::Memory64),
    file("memory_redundancy64.wast", Reason::Memory64),
    file("memory_trap64.wast", Reason::Memory64),
    file("table64.wast", Reason::Memory64),
    file("table_copy64.wast", Reason::Memory64),
    file("table_fill64.wast", Reason::Memory64),
    file("table_get64.wast", Reason::Memory64),
    file("table_grow64.wast", Reason::Memory64),
    file("table_init64.wast", Reason::Memory64),
    file("table_set64.wast", Reason::Memory64),
    file("table_size64.wast", Reason::Memory64),
    file("return_call.wast", Reason::TailCalls),
    file("return_call_indirect.wast", Reason::TailCalls),
    file("return_call_ref.wast", Reason::TailCalls),
    file("switch.wast", Reason::StackSwitching),
    // The multi-memory proposal's files (most numbered: `address0`, …).
    file("address0.wast", Reason::MultiMemory),
    file("address1.wast", Reason::MultiMemory),
    file("align0.wast", Reason::MultiMemory),
    file("binary0.wast", Reason::MultiMemory),
    file("data0.wast", Reason::MultiMemory),
    file("data1.wast", Reason::MultiMemory),
    file("data_drop0.wast", Reason::MultiMemory),
    file("exports0.wast", Reason::MultiMemory),
    file("float_exprs0.wast", Reason::MultiMemory),
    file("float_exprs1.wast", Reason::MultiMemory),
    file("float_memory0.wast", Reason::MultiMemory),
    file("imports0.wast", Reason::MultiMemory),
    file("imports1.wast", Reason::MultiMemory),
    file("imports2.wast", Reason::MultiMemory),
    file("imports3.wast", Reason::MultiMemory),
    file("imports4.wast", Reason::MultiMemory),
    file("linking0.wast", Reason::MultiMemory),
    file("linking1.wast", Reason::MultiMemory),
    file("linking2.wast", Reason::MultiMemory),
    file("linking3.wast", Reason::MultiMemory),
    file("load0.wast", Reason::MultiMemory),
    file("load1.wast", Reason::MultiMemory),
    file("load2.wast", Reason::MultiMemory),
    file("memory-multi.wast", Reason::MultiMemory),
    file("memory_copy0.wast", Reason::MultiMemory),
    file("memory_copy1.wast", Reason::MultiMemory),
    file("memory_fill0.wast", Reason::MultiMemory),
    file("memory_grow.wast", Reason::MultiMemory),
    file("memory_init0.wast", Reason::MultiMemory),
    file("memory_size0.wast", Reason::MultiMemory),
    file("memory_size1.wast", Reason::MultiMemory),
    file("memory_size2.wast", Reason::MultiMemory),
    file("memory_size3.wast", Reason::MultiMemory),
    file("memory_size_import.wast", Reason::MultiMemory),
    file("memory_trap0.wast", Reason::MultiMemory),
    file("memory_trap1.wast", Reason::MultiMemory),
    file("start0.wast", Reason::MultiMemory),
    file("store0.wast", Reason::MultiMemory),
    file("store1.wast", Reason::MultiMemory),
    file("store2.wast", Reason::MultiMemory),
    file("traps0.wast", Reason::MultiMemory),
    file("table_copy_mixed.wast", Reason::ReferenceTypes),
];

/// Single directives of files that are otherwise run.
///
/// Module entries (`module`, `assert_trap (module …)`, `assert_unlinkable`)
/// are checked: the runtime must reject the module as the reason says. The
/// entries marked *effects* are assertions on a module the runtime runs,
/// whose expected result depends on what a skipped module (importing that
/// module's table or memory) wrote into it; they cannot hold without the
/// skipped module and are not checked.
pub const DIRECTIVES: &[DirectiveSkip] = &[
    lines("annotations.wast", &[98, 129], Reason::ImportsOutsideAbi),
    // Passive element segments of `ref.func` expressions.
    lines("binary.wast", &[401, 426], Reason::ReferenceTypes),
    // The main module has a `br_table` over `externref`/`funcref` values.
    lines("br_table.wast", &[3], Reason::ReferenceTypes),
    lines(
        "bulk.wast",
        &[6, 199, 244, 274, 297],
        Reason::ReferenceTypes,
    ),
    lines("call_indirect.wast", &[623], Reason::ReferenceTypes),
    lines(
        "data.wast",
        &[
            44, 57, 67, 72, 78, 83, 100, 115, 134, 144, 149, 154, 160, 166, 171, 257, 273, 304, 319,
        ],
        Reason::ImportsOutsideAbi,
    ),
    lines("data.wast", &[89, 90], Reason::ConstGlobalGet),
    lines("data.wast", &[178, 183, 188, 195], Reason::ExtendedConst),
    lines(
        "elem.wast",
        &[
            4, 80, 87, 161, 315, 320, 331, 336, 348, 353, 364, 369, 381, 386, 397, 402, 414, 419,
            430, 435, 448, 453, 465, 470, 482, 487, 499, 504, 539, 544, 556, 561, 573, 578, 1007,
            1025, 1034, 1043, 1057, 1068, 1079, 1092,
        ],
        Reason::ReferenceTypes,
    ),
    lines(
        "elem.wast",
        &[
            103, 118, 128, 135, 195, 205, 220, 226, 232, 238, 635, 652, 669, 686, 910, 950, 963,
        ],
        Reason::ImportsOutsideAbi,
    ),
    // Effects: `$module2` and `$module3` (skipped) write `$module1`'s table.
    lines(
        "elem.wast",
        &[959, 960, 972, 973, 974],
        Reason::ImportsOutsideAbi,
    ),
    lines("elem.wast", &[178, 182], Reason::ConstGlobalGet),
    lines("exports.wast", &[137], Reason::ReferenceTypes),
    lines("global.wast", &[3, 634], Reason::ReferenceTypes),
    lines("global.wast", &[373, 374], Reason::ConstGlobalGet),
    lines("global.wast", &[381], Reason::ImportsOutsideAbi),
    // Modules exporting and importing tags.
    lines(
        "imports.wast",
        &[3, 35, 239, 243, 247, 251, 255],
        Reason::Exceptions,
    ),
    lines(
        "imports.wast",
        &[
            128, 129, 130, 131, 132, 133, 134, 263, 291, 292, 293, 381, 398, 415, 416, 419, 420,
            421, 422, 423, 424, 425, 426, 427, 428, 429, 430, 431, 432, 433, 434, 435, 436, 437,
            438, 494, 506, 507, 518, 520, 521, 522, 523, 524, 525, 526, 527, 528, 529, 530, 531,
            532, 533, 534, 535, 536, 662,
        ],
        Reason::ImportsOutsideAbi,
    ),
    // Tables initialised by expressions.
    lines("instance.wast", &[3, 109], Reason::FunctionReferences),
    lines("instance.wast", &[15, 62, 128], Reason::ReferenceTypes),
    lines(
        "linking.wast",
        &[
            9, 50, 284, 326, 364, 372, 378, 401, 413, 481, 497, 511, 516, 524, 554, 566, 592,
        ],
        Reason::ImportsOutsideAbi,
    ),
    // Effects: `$Ot`, and the modules of the `assert_trap`s and
    // `assert_unlinkable`s that import `$Mt`'s table or `$Mm`'s memory
    // (skipped), write into them.
    lines(
        "linking.wast",
        &[344, 350, 410, 423, 506, 563, 564, 576, 609, 610],
        Reason::ImportsOutsideAbi,
    ),
    lines(
        "linking.wast",
        &[
            96, 112, 132, 137, 141, 145, 150, 154, 158, 163, 167, 171, 175, 181, 185, 189, 193,
            198, 202, 206, 210, 215, 219, 223, 227, 232, 236, 240, 244, 249, 253, 257, 261, 426,
            434, 450, 454, 459, 463,
        ],
        Reason::ReferenceTypes,
    ),
    // Typed `select` of reference types in the main modules.
    lines("select.wast", &[1, 403, 579], Reason::ReferenceTypes),
    // Modules with two tables.
    lines(
        "table_copy.wast",
        &[
            15, 107, 199, 291, 383, 475, 567, 659, 751, 843, 935, 1027, 1119, 1211, 1303, 1395,
            1487, 1579, 1671, 1696, 1721, 1746, 1771, 1796, 1821, 1846, 1871, 1896, 1921, 1946,
            1971, 1996, 2021, 2046, 2071, 2096, 2121, 2146, 2171, 2196,
        ],
        Reason::ReferenceTypes,
    ),
    lines(
        "table_init.wast",
        &[
            15, 74, 133, 200, 259, 318, 413, 437, 461, 485, 509, 533, 557, 581, 605, 629, 653, 677,
            701, 725, 749, 773, 797, 821, 845, 869, 893, 917, 941, 965, 989, 1013, 1604, 1666,
            1728, 1918, 2108, 2202, 2248,
        ],
        Reason::ReferenceTypes,
    ),
    lines("table_init.wast", &[2272], Reason::Gc),
    lines("unreached-valid.wast", &[1, 82], Reason::ReferenceTypes),
];

/// The file entry covering `file`, if any.
pub fn file_skip(file: &str) -> Option<(usize, &'static FileSkip)> {
    FILES.iter().enumerate().find(|(_, s)| s.matches(file))
}

/// The directive entry covering `file`:`line`, if any.
pub fn directive_skip(file: &str, line: usize) -> Option<(usize, &'static DirectiveSkip)> {
    DIRECTIVES
        .iter()
        .enumerate()
        .find(|(_, s)| s.file == file && s.lines.contains(&line))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_entry_per_directive() {
        for (i, a) in DIRECTIVES.iter().enumerate() {
            for b in &DIRECTIVES[i + 1..] {
                if a.file == b.file {
                    assert!(
                        a.lines.iter().all(|l| !b.lines.contains(l)),
                        "{} has a line in two entries",
                        a.file
                    );
                }
            }
            assert!(file_skip(a.file).is_none(), "{} is skipped whole", a.file);
        }
    }
}
