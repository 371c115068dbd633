//! Every static limit of [`ModuleLimits`], from one table ([`table`]).
//!
//! Each row gives four cases, each a module with exactly `n` of what the
//! limit bounds, built from a [`ModuleShape`]:
//!
//! | case | limit | `n` | expected |
//! |---|---|---|---|
//! | `limits.FIELD.at_limit` | lowered to the row's `low` | `low` | `ok` |
//! | `limits.FIELD` | lowered to `low` | `low + 1` | `StaticLimitExceeded` naming `FIELD` |
//! | `limits.FIELD.at_default` | the default | the default | `ok` |
//! | `limits.FIELD.past_default` | the default | the default + 1 | `StaticLimitExceeded` naming `FIELD` |
//!
//! The lowered pair keeps modules small; the default pair checks the
//! bound users get, and that every engine compiles and runs a module right
//! at it. Some default cases keep the names they had in the adversarial
//! corpus (`adv.many_types`, ...).
//!
//! # Adding a limit
//!
//! A new static field of `ModuleLimits` needs one row in [`table`]:
//!
//! ```text
//! Row::new(field!(max_nesting_depth), 3, |n| {
//!     ModuleShape::main(FuncShape {
//!         body: vec![(Instruction::Block(BlockType::Empty), n as u32), (Instruction::End, n as u32)],
//!         ..FuncShape::default()
//!     })
//! }),
//! ```
//!
//! `field!` names the field (its setter and getter come with it); `3` is
//! the lowered limit; the function builds a valid module with exactly `n`
//! of what the field bounds and within every *other* default limit, so that
//! the rejection can only name this field. The test `every_field_has_a_row`
//! destructures `ModuleLimits` without `..`: it fails to compile until the
//! new field is in the table (or, like `max_stack_height`, listed as a limit
//! checked at run time).

use runtime::{ModuleLimits, RejectionKind};
use wasm_encoder::{Instruction, ValType};

use super::shape::{FuncShape, ModuleShape};
use super::{Case, Guest};
use crate::expect::Expect;

/// A limit's value as the table handles it, whatever the field's integer
/// type.
trait LimitValue {
    fn to_u64(self) -> u64;
    fn from_u64(value: u64) -> Self;
}

impl LimitValue for u32 {
    fn to_u64(self) -> u64 {
        u64::from(self)
    }
    fn from_u64(value: u64) -> Self {
        u32::try_from(value).unwrap_or(u32::MAX)
    }
}

impl LimitValue for u64 {
    fn to_u64(self) -> u64 {
        self
    }
    fn from_u64(value: u64) -> Self {
        value
    }
}

/// A field of [`ModuleLimits`]: its name, setter and getter.
type Field = (
    &'static str,
    fn(&mut ModuleLimits, u64),
    fn(&ModuleLimits) -> u64,
);

/// The [`Field`] of `ModuleLimits::$field`.
macro_rules! field {
    ($field:ident) => {
        (
            stringify!($field),
            |l: &mut ModuleLimits, v: u64| l.$field = LimitValue::from_u64(v),
            |l: &ModuleLimits| LimitValue::to_u64(l.$field),
        )
    };
}

/// One static limit.
struct Row {
    field: Field,
    /// The lowered limit of the small pair of cases.
    low: u64,
    /// A valid module with exactly `n` of what the field bounds, within
    /// every other default limit.
    module: fn(u64) -> ModuleShape,
    /// Names the default pair had before the table, if any: (at, past).
    names: (Option<&'static str>, Option<&'static str>),
}

impl Row {
    fn new(field: Field, low: u64, module: fn(u64) -> ModuleShape) -> Self {
        Self {
            field,
            low,
            module,
            names: (None, None),
        }
    }

    /// Keeps earlier names for the default pair.
    fn named(mut self, at: Option<&'static str>, past: Option<&'static str>) -> Self {
        self.names = (at, past);
        self
    }

    fn cases(&self) -> [Case; 4] {
        let (name, set, get) = self.field;
        let default = get(&ModuleLimits::default());
        let case = |case_name: String, limit: u64, n: u64, expect: Expect| {
            let shape = (self.module)(n);
            let mut case = Case::new(&case_name, Guest::Shape(name, shape.into()), "main", expect);
            set(&mut case.module_limits, limit);
            case
        };
        let over = || Expect::rejected(RejectionKind::StaticLimitExceeded).naming(name);
        [
            case(
                format!("limits.{name}.at_limit"),
                self.low,
                self.low,
                Expect::ok(),
            ),
            case(format!("limits.{name}"), self.low, self.low + 1, over()),
            case(
                self.names
                    .0
                    .map_or_else(|| format!("limits.{name}.at_default"), str::to_owned),
                default,
                default,
                Expect::ok(),
            ),
            case(
                self.names
                    .1
                    .map_or_else(|| format!("limits.{name}.past_default"), str::to_owned),
                default,
                default + 1,
                over(),
            ),
        ]
    }
}

/// `n` as a repeat or element count.
fn count(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The table: one row per static field of [`ModuleLimits`].
fn table() -> Vec<Row> {
    vec![
        // Bytes of the module: padded with a custom section.
        Row::new(field!(max_module_size), 64, |n| ModuleShape {
            size: Some(n),
            ..ModuleShape::default()
        }),
        // Bytes of one body: its local count (1 byte), `nop`s, `end`.
        Row::new(field!(max_function_body_size), 8, |n| {
            ModuleShape::main(FuncShape::repeat(Instruction::Nop, count(n - 2)))
        }),
        // Imported functions count: 3 imports and n - 3 defined.
        Row::new(field!(max_functions), 4, |n| ModuleShape {
            imports: 3,
            ..ModuleShape::functions(count(n - 3))
        })
        .named(
            Some("adv.functions_at_limit"),
            Some("adv.imported_functions_count"),
        ),
        // One type of n parameters.
        Row::new(field!(max_params), 2, |n| ModuleShape {
            types: vec![(vec![ValType::I64; n as usize], vec![])],
            ..ModuleShape::default()
        }),
        // A function returning n values.
        Row::new(field!(max_results), 1, |n| ModuleShape {
            types: vec![(vec![], vec![ValType::I32; n as usize])],
            functions: vec![
                FuncShape::default(),
                FuncShape {
                    ty: 1,
                    ..FuncShape::repeat(Instruction::I32Const(0), count(n))
                },
            ],
            ..ModuleShape::default()
        })
        .named(None, Some("adv.many_results")),
        // n locals in n groups of alternating types.
        Row::new(field!(max_locals), 3, |n| {
            ModuleShape::main(FuncShape {
                locals: (0..count(n))
                    .map(|i| {
                        (
                            1,
                            if i % 2 == 0 {
                                ValType::I32
                            } else {
                                ValType::F32
                            },
                        )
                    })
                    .collect(),
                ..FuncShape::default()
            })
        })
        .named(None, Some("adv.locals_in_groups")),
        Row::new(field!(max_globals), 1, |n| ModuleShape {
            globals: count(n),
            ..ModuleShape::default()
        })
        .named(None, Some("adv.many_globals")),
        // main's type and n - 1 others, of 0 to 7 parameters.
        Row::new(field!(max_types), 1, |n| ModuleShape {
            types: (0..n.saturating_sub(1))
                .map(|i| {
                    let ty = if i % 2 == 0 {
                        ValType::I32
                    } else {
                        ValType::F64
                    };
                    (vec![ty; (i % 8) as usize], vec![])
                })
                .collect(),
            ..ModuleShape::default()
        })
        .named(None, Some("adv.many_types")),
        // More than one table is also a disallowed feature: the static
        // limit is checked first.
        Row::new(field!(max_tables), 0, |n| ModuleShape {
            tables: vec![(1, None); n as usize],
            ..ModuleShape::default()
        }),
        Row::new(field!(max_table_size), 10, |n| ModuleShape {
            tables: vec![(n, None)],
            ..ModuleShape::default()
        })
        .named(None, Some("adv.table_initial_over_limit")),
        Row::new(field!(max_data_segments), 1, |n| ModuleShape {
            memories: vec![1],
            data_segments: count(n),
            ..ModuleShape::default()
        })
        .named(None, Some("adv.many_data_segments")),
        Row::new(field!(max_element_segments), 1, |n| ModuleShape {
            tables: vec![(n.max(1), None)],
            element_segments: count(n),
            ..ModuleShape::default()
        })
        .named(None, Some("adv.many_element_segments")),
        Row::new(field!(max_imports), 1, |n| ModuleShape {
            imports: count(n),
            ..ModuleShape::default()
        })
        .named(None, Some("adv.many_imports")),
        // "main" and n - 1 more exports of it.
        Row::new(field!(max_exports), 1, |n| ModuleShape {
            extra_exports: count(n - 1),
            ..ModuleShape::default()
        })
        .named(None, Some("adv.many_exports")),
        Row::new(field!(max_memory_pages), 2, |n| ModuleShape {
            memories: vec![n],
            export_memory: true,
            ..ModuleShape::default()
        })
        .named(None, Some("adv.memory_initial_over_limit")),
    ]
}

/// The cases of every row.
pub(super) fn static_limit_cases() -> Vec<Case> {
    table().iter().flat_map(Row::cases).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fields of `ModuleLimits`, by destructuring without `..`: a new
    /// field fails to compile here until it is listed.
    macro_rules! all_fields {
        ($($field:ident),* $(,)?) => {{
            let ModuleLimits { $($field: _),* } = ModuleLimits::default();
            vec![$(stringify!($field)),*]
        }};
    }

    const HOSTILE_ROWS: &[&str] = &[
        "max_code_size",
        "max_nesting_depth",
        "max_blocks_per_function",
        "max_blocks_per_module",
        "max_br_table_targets",
        "max_operand_stack",
        "max_loop_locals",
    ];

    #[test]
    fn every_field_has_a_row() {
        let mut fields = all_fields!(
            max_memory_pages,
            max_stack_height,
            max_module_size,
            max_function_body_size,
            max_functions,
            max_params,
            max_results,
            max_locals,
            max_globals,
            max_types,
            max_tables,
            max_table_size,
            max_data_segments,
            max_element_segments,
            max_imports,
            max_exports,
            max_code_size,
            max_nesting_depth,
            max_blocks_per_function,
            max_blocks_per_module,
            max_br_table_targets,
            max_operand_stack,
            max_loop_locals,
        );
        // Checked at run time by the instrumentation (corpus/determinism.rs).
        fields.retain(|f| *f != "max_stack_height");
        // The limits that bound compilation (ABI 1.1) have their at-the-limit
        // and one-past cases, as generated bombs, in corpus/hostile.rs.
        fields.retain(|f| !HOSTILE_ROWS.contains(f));
        let mut rows: Vec<&str> = table().iter().map(|r| r.field.0).collect();
        fields.sort_unstable();
        rows.sort_unstable();
        assert_eq!(rows, fields);
    }

    #[test]
    fn every_rows_modules_are_valid_wasm() {
        // The modules are valid wasm whatever n (the cases prove the
        // counts: at n the limit holds, at n + 1 it is exceeded).
        for row in table() {
            for n in [row.low, row.low + 1] {
                let wasm = (row.module)(n).build();
                // More than one table is a disallowed feature, not invalid
                // wasm; validation with every feature knows that.
                wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
                    .validate_all(&wasm)
                    .unwrap_or_else(|e| panic!("{} at {n}: {e}", row.field.0));
            }
        }
        assert_eq!(
            ModuleShape {
                size: Some(100),
                ..ModuleShape::default()
            }
            .build()
            .len(),
            100
        );
    }
}
