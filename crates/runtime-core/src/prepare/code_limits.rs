//! The static limits on function code (ABI 1.1): what keeps every engine's
//! compilation fast and every engine able to run what preparation accepts.
//!
//! Found by the compile bombs of issue 12: Cranelift (wasmtime and wasmer)
//! compiles some valid shapes in time superlinear in their size —
//!
//! * thousands of basic blocks in one function, each of which the gas
//!   instrumentation gives a charge (`br_if` chains, `if` nests), make its
//!   e-graph pass quadratic along the dominator tree: bounded by
//!   [`max_blocks_per_function`](ModuleLimits::max_blocks_per_function) and,
//!   for the whole module, by
//!   [`max_blocks_per_module`](ModuleLimits::max_blocks_per_module);
//! * deep `loop` nests are quadratic in wasmtime: bounded by
//!   [`max_nesting_depth`](ModuleLimits::max_nesting_depth);
//! * every local read or written inside a loop nest becomes a value at every
//!   loop header around it (locals × loop depth): bounded by
//!   [`max_loop_locals`](ModuleLimits::max_loop_locals);
//!
//! and some shapes one engine refuses where the others run them:
//!
//! * wasmi's parser refuses a `br_table` of more than 131 072 targets:
//!   [`max_br_table_targets`](ModuleLimits::max_br_table_targets) is
//!   clamped to [`ModuleLimits::MAX_BR_TABLE_TARGETS`];
//! * wasmi addresses a frame's values with 16-bit slots, so it fails to
//!   translate a function whose locals and operands pass about 65 500:
//!   bounded by [`max_operand_stack`](ModuleLimits::max_operand_stack) and,
//!   whatever the limits say, by the frame check below — a function whose
//!   frame is larger than [`ModuleLimits::MAX_STACK_HEIGHT`] overflows every
//!   allowed stack limit the moment it is entered, so it could never run.
//!
//! [`CodeScan`] reads each body's operators once, before validation, in time
//! linear in the body and memory bounded by the nesting limit; an operator
//! it cannot read is left for validation to report. [`check_frames`] runs on
//! the operand-stack heights validation measures, before any rewriting.

use wasmparser::{FunctionBody, Operator};

use super::features::FunctionInfo;
use super::instrument::stack_cost;
use crate::error::{Rejection, RejectionKind};
use crate::limits::ModuleLimits;

fn exceeded(limit: &str, what: String, max: u64) -> Rejection {
    Rejection::new(
        RejectionKind::StaticLimitExceeded,
        format!("{limit}: {what} exceeds the limit of {max}"),
    )
}

/// One open `block`, `loop` or `if` of the body being scanned.
struct Frame {
    is_loop: bool,
    /// Local accesses seen before it opened.
    accesses_before: u64,
}

/// The code limits of one module, checked body by body in order.
pub(super) struct CodeScan<'a> {
    limits: &'a ModuleLimits,
    /// Basic blocks of the bodies scanned so far.
    module_blocks: u64,
    /// Loop-carried locals of the bodies scanned so far.
    loop_locals: u64,
    /// Reused between bodies.
    frames: Vec<Frame>,
}

impl<'a> CodeScan<'a> {
    pub(super) fn new(limits: &'a ModuleLimits) -> Self {
        Self {
            limits,
            module_blocks: 0,
            loop_locals: 0,
            frames: Vec::new(),
        }
    }

    /// Scans the body of function `index` (in the module's function index
    /// space), which has `locals` parameters and locals together.
    ///
    /// # Errors
    ///
    /// `StaticLimitExceeded` naming the first code limit the body passes.
    pub(super) fn body(
        &mut self,
        index: u32,
        body: &FunctionBody<'_>,
        locals: u64,
    ) -> Result<(), Rejection> {
        let l = self.limits;
        let max_depth = u64::from(l.max_nesting_depth);
        let max_blocks = u64::from(l.max_blocks_per_function);
        let max_targets = u64::from(
            l.max_br_table_targets
                .min(ModuleLimits::MAX_BR_TABLE_TARGETS),
        );
        let at = |what: &str| format!("function {index}'s {what}");
        // An unreadable body is malformed or uses a disallowed feature:
        // validation reports it, with the right kind.
        let Ok(mut reader) = body.get_operators_reader() else {
            return Ok(());
        };
        self.frames.clear();
        let mut blocks: u64 = 1;
        let mut accesses: u64 = 0;
        while !reader.eof() {
            let Ok(op) = reader.read() else {
                return Ok(());
            };
            match op {
                Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => {
                    let depth = self.frames.len() as u64 + 1;
                    if depth > max_depth {
                        return Err(exceeded(
                            "max_nesting_depth",
                            format!("{} {depth}", at("nesting depth")),
                            max_depth,
                        ));
                    }
                    self.frames.push(Frame {
                        is_loop: matches!(op, Operator::Loop { .. }),
                        accesses_before: accesses,
                    });
                    blocks += 1;
                }
                Operator::End => {
                    // The body's own `end` (no frame open) starts no block.
                    if let Some(frame) = self.frames.pop() {
                        blocks += 1;
                        if frame.is_loop {
                            let inside = accesses - frame.accesses_before;
                            self.loop_locals = self.loop_locals.saturating_add(inside.min(locals));
                            if self.loop_locals > l.max_loop_locals {
                                return Err(exceeded(
                                    "max_loop_locals",
                                    format!(
                                        "the loop-carried locals up to function {index}, {},",
                                        self.loop_locals
                                    ),
                                    l.max_loop_locals,
                                ));
                            }
                        }
                    }
                }
                Operator::BrTable { targets } => {
                    let count = u64::from(targets.len());
                    if count > max_targets {
                        return Err(exceeded(
                            "max_br_table_targets",
                            format!("a br_table of {count} targets in function {index}"),
                            max_targets,
                        ));
                    }
                    blocks += 1;
                }
                Operator::Else
                | Operator::Br { .. }
                | Operator::BrIf { .. }
                | Operator::Return
                | Operator::Unreachable
                | Operator::CallIndirect { .. } => blocks += 1,
                Operator::LocalGet { .. }
                | Operator::LocalSet { .. }
                | Operator::LocalTee { .. } => {
                    accesses += 1;
                }
                _ => {}
            }
            if blocks > max_blocks {
                return Err(exceeded(
                    "max_blocks_per_function",
                    format!("{} {blocks}", at("basic block count")),
                    max_blocks,
                ));
            }
        }
        self.module_blocks = self.module_blocks.saturating_add(blocks);
        if self.module_blocks > l.max_blocks_per_module {
            return Err(exceeded(
                "max_blocks_per_module",
                format!(
                    "the basic blocks up to function {index}, {},",
                    self.module_blocks
                ),
                l.max_blocks_per_module,
            ));
        }
        Ok(())
    }
}

/// Checks each defined function's operand-stack height (measured by
/// validation) and that its frame fits the largest stack limit;
/// `first_index` is the index of the first defined function (the number of
/// imported functions).
///
/// # Errors
///
/// `StaticLimitExceeded` naming `max_operand_stack` or `max_stack_height`.
pub(super) fn check_frames(
    functions: &[FunctionInfo],
    first_index: u32,
    limits: &ModuleLimits,
) -> Result<(), Rejection> {
    for (i, info) in functions.iter().enumerate() {
        let index = u64::from(first_index) + i as u64;
        if info.max_operand_stack > limits.max_operand_stack {
            return Err(exceeded(
                "max_operand_stack",
                format!(
                    "function {index}'s operand-stack height {}",
                    info.max_operand_stack
                ),
                u64::from(limits.max_operand_stack),
            ));
        }
        let frame = stack_cost(*info);
        if frame > ModuleLimits::MAX_STACK_HEIGHT {
            return Err(Rejection::new(
                RejectionKind::StaticLimitExceeded,
                format!(
                    "max_stack_height: function {index}'s frame of {frame} units ({} params and locals, {} operands) exceeds the largest stack limit, {}: it could never run",
                    info.locals,
                    info.max_operand_stack,
                    ModuleLimits::MAX_STACK_HEIGHT
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gas::GasSchedule;
    use crate::prepare::prepare;

    fn limits(change: impl FnOnce(&mut ModuleLimits)) -> ModuleLimits {
        let mut l = ModuleLimits::default();
        change(&mut l);
        l
    }

    /// The rejection message, or `None` when accepted.
    fn rejected(wat: &str, limits: &ModuleLimits) -> Option<String> {
        let wasm = wat::parse_str(wat).unwrap();
        prepare(&wasm, limits, &GasSchedule::default())
            .err()
            .map(|r| {
                assert_eq!(r.kind, RejectionKind::StaticLimitExceeded, "{r}");
                r.detail
            })
    }

    #[test]
    fn nesting_counts_blocks_loops_and_ifs() {
        let wat = r#"(module (func (block (loop (if (i32.const 0) (then nop))))))"#;
        assert_eq!(rejected(wat, &limits(|l| l.max_nesting_depth = 3)), None);
        let message = rejected(wat, &limits(|l| l.max_nesting_depth = 2)).unwrap();
        assert_eq!(
            message,
            "max_nesting_depth: function 0's nesting depth 3 exceeds the limit of 2"
        );
    }

    #[test]
    fn basic_blocks_are_control_operators_and_indirect_calls() {
        // Entry, block, br_if, end, if, else, end, call_indirect, return,
        // loop, br, end, unreachable: 13 (the body's `end` starts none).
        let wat = r#"(module (type $v (func)) (table 1 funcref)
          (func
            (block (br_if 0 (i32.const 1)))
            (if (i32.const 0) (then) (else))
            (call_indirect (type $v) (i32.const 0))
            (return)
            (loop (br 0))
            unreachable))"#;
        assert_eq!(
            rejected(wat, &limits(|l| l.max_blocks_per_function = 13)),
            None
        );
        assert!(
            rejected(wat, &limits(|l| l.max_blocks_per_function = 12))
                .unwrap()
                .starts_with("max_blocks_per_function: function 0's basic block count 13")
        );
        // Two such functions: 26 in the module.
        let two = wat.replace("unreachable))", "unreachable) (func))");
        assert_eq!(
            rejected(&two, &limits(|l| l.max_blocks_per_module = 14)),
            None
        );
        assert!(
            rejected(&two, &limits(|l| l.max_blocks_per_module = 13))
                .unwrap()
                .starts_with("max_blocks_per_module:")
        );
    }

    #[test]
    fn br_table_targets_are_clamped_to_every_engines_bound() {
        let wat = r#"(module (func (block (br_table 0 0 0 0 (i32.const 0)))))"#;
        assert_eq!(rejected(wat, &limits(|l| l.max_br_table_targets = 3)), None);
        assert!(
            rejected(wat, &limits(|l| l.max_br_table_targets = 2))
                .unwrap()
                .starts_with("max_br_table_targets: a br_table of 3 targets")
        );
        // Whatever the limit says, more than 131 072 targets are refused
        // (the text's last label is the default).
        let table = |targets: usize| {
            format!(
                "(module (func (block (br_table {} (i32.const 0)))))",
                "0 ".repeat(targets + 1)
            )
        };
        let max = ModuleLimits::MAX_BR_TABLE_TARGETS as usize;
        let unbounded = limits(|l| l.max_br_table_targets = u32::MAX);
        assert_eq!(rejected(&table(max), &unbounded), None);
        assert!(
            rejected(&table(max + 1), &unbounded)
                .unwrap()
                .starts_with("max_br_table_targets: a br_table of 131073 targets")
        );
    }

    #[test]
    fn loop_locals_count_parameters_and_accesses() {
        // The loop touches 3 locals 4 times: min(2 params + 2 locals, 4)
        // = 4; a loop with no access carries none.
        let wat = r#"(module (func (param i32 i32) (local i32 i32)
          (loop (local.set 2 (local.get 0)) (local.set 3 (local.get 1)))
          (loop nop)))"#;
        assert_eq!(rejected(wat, &limits(|l| l.max_loop_locals = 4)), None);
        assert!(
            rejected(wat, &limits(|l| l.max_loop_locals = 3))
                .unwrap()
                .starts_with("max_loop_locals:")
        );
        // Nested loops each count what is inside them: 1 + 1.
        let nested = r#"(module (func (local i32) (loop (loop (local.set 0 (i32.const 1))))))"#;
        assert_eq!(rejected(nested, &limits(|l| l.max_loop_locals = 2)), None);
        assert!(rejected(nested, &limits(|l| l.max_loop_locals = 1)).is_some());
    }

    #[test]
    fn operand_stack_and_frames() {
        let wat = r#"(module (func (drop (i32.add (i32.const 1) (i32.add (i32.const 2) (i32.const 3))))))"#;
        assert_eq!(rejected(wat, &limits(|l| l.max_operand_stack = 3)), None);
        assert_eq!(
            rejected(wat, &limits(|l| l.max_operand_stack = 2)).unwrap(),
            "max_operand_stack: function 0's operand-stack height 3 exceeds the limit of 2"
        );
        // A frame past the largest stack limit, whatever the limits say:
        // 4 + 32 765 locals.
        let big = format!(
            "(module (func (local {})))",
            "i32 ".repeat(ModuleLimits::MAX_STACK_HEIGHT as usize - 3)
        );
        let unbounded = limits(|l| {
            l.max_locals = u32::MAX;
            l.max_operand_stack = u32::MAX;
            l.max_function_body_size = u64::MAX;
        });
        assert!(
            rejected(&big, &unbounded)
                .unwrap()
                .starts_with("max_stack_height: function 0's frame of 32769 units")
        );
    }

    #[test]
    fn function_indices_count_imports() {
        let wat = r#"(module (import "env" "time_now" (func (result i64)))
          (func) (func (block (block)))) "#;
        assert!(
            rejected(wat, &limits(|l| l.max_nesting_depth = 1))
                .unwrap()
                .contains("function 2's")
        );
    }

    #[test]
    fn code_size_adds_up_every_body() {
        // Each body: a locals count and `end`, 2 bytes.
        let wat = r#"(module (func) (func) (func))"#;
        assert_eq!(rejected(wat, &limits(|l| l.max_code_size = 6)), None);
        assert_eq!(
            rejected(wat, &limits(|l| l.max_code_size = 5)).unwrap(),
            "max_code_size: 6 exceeds the limit of 5"
        );
    }
}
