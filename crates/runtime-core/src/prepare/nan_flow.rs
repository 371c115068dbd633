//! Which NaN-producing operators must be canonicalised: those whose result
//! can reach an operator that observes a NaN's bits.
//!
//! The bits of a NaN (sign and payload) are observable only by moving them
//! somewhere: a store, a reinterpret, `neg`, `abs`, `copysign`, a call's
//! argument, `global.set`, a block's or branch's values, the function's
//! results. Every other float consumer ignores them: arithmetic (whose own
//! result is analysed the same way), comparisons, conversions to integers
//! (which trap or saturate on any NaN) and `drop`.
//!
//! The analysis follows each value from its producer to its consumer through
//! the operand stack, through `select` and through locals (flow-insensitive:
//! a local is observed if any `local.get` of it is). A producer is
//! canonicalised if any consumer it may reach observes bits. Values entering
//! or leaving a block, `if` or `loop`, or passed by a branch, count as
//! observed (the analysis does not follow them). Should the walk ever lose
//! track of the operand stack, every producer is canonicalised.

use wasmparser::types::TypesRef;
use wasmparser::{BlockType, ModuleArity, Operator};

use super::instrument::{is_float, nan_result};

/// What flows in one operand-stack slot.
#[derive(Clone, Copy, Debug)]
enum Node {
    /// Nothing the analysis follows (constants, loads, integers, ...).
    Opaque,
    /// The result of NaN-producing operator `i`.
    Produced(usize),
    /// A read of a local.
    Local(u32),
    /// Either of two nodes (`select`).
    Either(u32, u32),
}

const OPAQUE: u32 = 0;

/// An open construct: the operand-stack height at its start, its label's
/// arity, its results, and whether the rest of it is unreachable.
struct Frame {
    height: usize,
    params: usize,
    results: usize,
    is_loop: bool,
    unreachable: bool,
}

impl Frame {
    fn label_arity(&self) -> usize {
        if self.is_loop {
            self.params
        } else {
            self.results
        }
    }
}

/// The operand stack lost track: the walk gives up.
struct Lost;

/// Operator arities that need no module information.
struct NoModule;

impl ModuleArity for NoModule {
    fn sub_type_at(&self, _: u32) -> Option<&wasmparser::SubType> {
        None
    }
    fn tag_type_arity(&self, _: u32) -> Option<(u32, u32)> {
        None
    }
    fn type_index_of_function(&self, _: u32) -> Option<u32> {
        None
    }
    fn func_type_of_cont_type(&self, _: &wasmparser::ContType) -> Option<&wasmparser::FuncType> {
        None
    }
    fn sub_type_of_ref_type(&self, _: &wasmparser::RefType) -> Option<&wasmparser::SubType> {
        None
    }
    fn control_stack_height(&self) -> u32 {
        0
    }
    fn label_block(&self, _: u32) -> Option<(BlockType, wasmparser::FrameKind)> {
        None
    }
}

struct Flow<'a> {
    types: TypesRef<'a>,
    nodes: Vec<Node>,
    stack: Vec<u32>,
    frames: Vec<Frame>,
    /// Per local: the nodes written to it.
    written: Vec<Vec<u32>>,
    /// Per local: its `Local` node, once read.
    read: Vec<Option<u32>>,
    /// Nodes that reach an observing consumer.
    observed: Vec<u32>,
}

impl Flow<'_> {
    fn node(&mut self, node: Node) -> u32 {
        self.nodes.push(node);
        u32::try_from(self.nodes.len() - 1).unwrap_or(OPAQUE)
    }

    fn push(&mut self, node: u32) {
        self.stack.push(node);
    }

    fn push_opaque(&mut self, count: usize) {
        self.stack.extend(std::iter::repeat_n(OPAQUE, count));
    }

    fn pop(&mut self) -> Result<u32, Lost> {
        let frame = self.frames.last().ok_or(Lost)?;
        if self.stack.len() > frame.height {
            self.stack.pop().ok_or(Lost)
        } else if frame.unreachable {
            Ok(OPAQUE)
        } else {
            Err(Lost)
        }
    }

    /// Pops `count` values that an observing consumer takes.
    fn pop_observed(&mut self, count: usize) -> Result<(), Lost> {
        for _ in 0..count {
            let node = self.pop()?;
            self.observe(node);
        }
        Ok(())
    }

    /// Pops `count` values whose NaN bits the consumer ignores.
    fn pop_ignored(&mut self, count: usize) -> Result<(), Lost> {
        for _ in 0..count {
            self.pop()?;
        }
        Ok(())
    }

    fn observe(&mut self, node: u32) {
        if node != OPAQUE {
            self.observed.push(node);
        }
    }

    /// The top `count` values (as many as there are) are observed, and stay.
    fn observe_top(&mut self, count: usize) {
        let height = self.frames.last().map_or(0, |f| f.height);
        let from = self.stack.len().saturating_sub(count).max(height);
        for i in from..self.stack.len() {
            self.observe(self.stack[i]);
        }
    }

    /// The rest of the current construct is unreachable.
    fn unreachable(&mut self) -> Result<(), Lost> {
        let frame = self.frames.last_mut().ok_or(Lost)?;
        frame.unreachable = true;
        self.stack.truncate(frame.height);
        Ok(())
    }

    fn block_arity(&self, ty: BlockType) -> Result<(usize, usize), Lost> {
        match ty {
            BlockType::Empty => Ok((0, 0)),
            BlockType::Type(_) => Ok((0, 1)),
            BlockType::FuncType(index) => {
                let f = self.types[self.types.core_type_at_in_module(index)].unwrap_func();
                Ok((f.params().len(), f.results().len()))
            }
        }
    }

    fn function_arity(&self, index: u32) -> (usize, usize) {
        let f = self.types[self.types.core_function_at(index)].unwrap_func();
        (f.params().len(), f.results().len())
    }

    fn open(&mut self, ty: BlockType, is_loop: bool) -> Result<(), Lost> {
        let (params, results) = self.block_arity(ty)?;
        self.pop_observed(params)?;
        self.frames.push(Frame {
            height: self.stack.len(),
            params,
            results,
            is_loop,
            unreachable: false,
        });
        self.push_opaque(params);
        Ok(())
    }

    fn label(&self, depth: u32) -> Result<usize, Lost> {
        let index = self
            .frames
            .len()
            .checked_sub(1 + depth as usize)
            .ok_or(Lost)?;
        Ok(self.frames[index].label_arity())
    }

    fn step(&mut self, i: usize, op: &Operator<'_>) -> Result<(), Lost> {
        match op {
            Operator::Block { blockty } => self.open(*blockty, false)?,
            Operator::Loop { blockty } => self.open(*blockty, true)?,
            Operator::If { blockty } => {
                self.pop_ignored(1)?;
                self.open(*blockty, false)?;
            }
            Operator::Else => {
                let results = self.frames.last().ok_or(Lost)?.results;
                self.pop_observed(results)?;
                let frame = self.frames.last_mut().ok_or(Lost)?;
                frame.unreachable = false;
                let (height, params) = (frame.height, frame.params);
                if self.stack.len() != height {
                    return Err(Lost);
                }
                self.push_opaque(params);
            }
            Operator::End => {
                let results = self.frames.last().ok_or(Lost)?.results;
                self.pop_observed(results)?;
                let frame = self.frames.pop().ok_or(Lost)?;
                if self.stack.len() != frame.height {
                    return Err(Lost);
                }
                if !self.frames.is_empty() {
                    self.push_opaque(results);
                }
            }
            Operator::Br { relative_depth } => {
                let arity = self.label(*relative_depth)?;
                self.pop_observed(arity)?;
                self.unreachable()?;
            }
            Operator::BrIf { relative_depth } => {
                self.pop_ignored(1)?;
                let arity = self.label(*relative_depth)?;
                self.observe_top(arity);
            }
            Operator::BrTable { targets } => {
                self.pop_ignored(1)?;
                let arity = self.label(targets.default())?;
                self.pop_observed(arity)?;
                self.unreachable()?;
            }
            Operator::Return => {
                let arity = self.frames.first().ok_or(Lost)?.results;
                self.pop_observed(arity)?;
                self.unreachable()?;
            }
            Operator::Unreachable => self.unreachable()?,
            Operator::Call { function_index } => {
                let (params, results) = self.function_arity(*function_index);
                self.pop_observed(params)?;
                self.push_opaque(results);
            }
            Operator::CallIndirect { type_index, .. } => {
                self.pop_ignored(1)?;
                let f = self.types[self.types.core_type_at_in_module(*type_index)].unwrap_func();
                let (params, results) = (f.params().len(), f.results().len());
                self.pop_observed(params)?;
                self.push_opaque(results);
            }
            Operator::LocalGet { local_index } => {
                let slot = self.read.get_mut(*local_index as usize).ok_or(Lost)?;
                let node = match *slot {
                    Some(node) => node,
                    None => {
                        let node = self.node(Node::Local(*local_index));
                        self.read[*local_index as usize] = Some(node);
                        node
                    }
                };
                self.push(node);
            }
            Operator::LocalSet { local_index } | Operator::LocalTee { local_index } => {
                let node = self.pop()?;
                self.written
                    .get_mut(*local_index as usize)
                    .ok_or(Lost)?
                    .push(node);
                if matches!(op, Operator::LocalTee { .. }) {
                    self.push(node);
                }
            }
            Operator::Select | Operator::TypedSelect { .. } => {
                self.pop_ignored(1)?;
                let b = self.pop()?;
                let a = self.pop()?;
                let node = match (a, b) {
                    (OPAQUE, other) | (other, OPAQUE) => other,
                    _ => self.node(Node::Either(a, b)),
                };
                self.push(node);
            }
            Operator::Drop => self.pop_ignored(1)?,
            op => {
                let (params, results) = op.operator_arity(&NoModule).ok_or(Lost)?;
                let (params, results) = (params as usize, results as usize);
                if nan_result(op).is_some() {
                    self.pop_ignored(params)?;
                    let node = self.node(Node::Produced(i));
                    self.push(node);
                } else if is_float(op) {
                    self.pop_ignored(params)?;
                    self.push_opaque(results);
                } else {
                    self.pop_observed(params)?;
                    self.push_opaque(results);
                }
            }
        }
        Ok(())
    }

    /// Marks every producer an observed node may carry.
    fn producers_observed(mut self, ops: usize) -> Vec<bool> {
        let mut canonicalise = vec![false; ops];
        let mut seen = vec![false; self.nodes.len()];
        let mut local_seen = vec![false; self.written.len()];
        let mut work = std::mem::take(&mut self.observed);
        while let Some(node) = work.pop() {
            let Some(seen) = seen.get_mut(node as usize) else {
                continue;
            };
            if std::mem::replace(seen, true) {
                continue;
            }
            match self.nodes[node as usize] {
                Node::Opaque => {}
                Node::Produced(i) => canonicalise[i] = true,
                Node::Local(l) => {
                    if !std::mem::replace(&mut local_seen[l as usize], true) {
                        work.extend(self.written[l as usize].iter().copied());
                    }
                }
                Node::Either(a, b) => work.extend([a, b]),
            }
        }
        canonicalise
    }
}

/// For each operator of a function body (`ops`, its final `end` included)
/// with `locals` parameters and locals and `results` results: whether it
/// produces a NaN that must be canonicalised.
pub(super) fn canonicalised(
    types: TypesRef<'_>,
    ops: &[Operator<'_>],
    locals: u32,
    results: usize,
) -> Vec<bool> {
    let mut flow = Flow {
        types,
        nodes: vec![Node::Opaque],
        stack: Vec::new(),
        frames: vec![Frame {
            height: 0,
            params: 0,
            results,
            is_loop: false,
            unreachable: false,
        }],
        written: vec![Vec::new(); locals as usize],
        read: vec![None; locals as usize],
        observed: Vec::new(),
    };
    for (i, op) in ops.iter().enumerate() {
        if flow.step(i, op).is_err() {
            tracing::warn!(target: "runtime::prepare", operator = i, "NaN flow lost track; canonicalising every NaN");
            return ops.iter().map(|op| nan_result(op).is_some()).collect();
        }
    }
    flow.producers_observed(ops.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// For the first defined function of `wat`: the indices of the
    /// operators canonicalised.
    fn canonicalised_in(wat: &str) -> Vec<usize> {
        let wasm = wat::parse_str(wat).expect("valid wat");
        let mut validator = wasmparser::Validator::new();
        let types = validator.validate_all(&wasm).expect("valid module");
        let types = types.as_ref();
        let imported = wasmparser::Parser::new(0)
            .parse_all(&wasm)
            .filter_map(Result::ok)
            .find_map(|p| match p {
                wasmparser::Payload::ImportSection(r) => Some(r.count()),
                _ => None,
            })
            .unwrap_or(0);
        for payload in wasmparser::Parser::new(0).parse_all(&wasm) {
            if let Ok(wasmparser::Payload::CodeSectionEntry(body)) = payload {
                let f = types[types.core_function_at(imported)].unwrap_func();
                let mut locals = u32::try_from(f.params().len()).unwrap_or(0);
                for group in body.get_locals_reader().expect("locals") {
                    locals += group.expect("local group").0;
                }
                let mut reader = body.get_operators_reader().expect("operators");
                let mut ops = Vec::new();
                while !reader.eof() {
                    ops.push(reader.read().expect("operator"));
                }
                return canonicalised(types, &ops, locals, f.results().len())
                    .iter()
                    .enumerate()
                    .filter_map(|(i, c)| c.then_some(i))
                    .collect();
            }
        }
        panic!("no function body");
    }

    #[test]
    fn arithmetic_feeding_arithmetic_and_comparisons_is_not_canonicalised() {
        // 0 local.get, 1 local.get, 2 f64.mul, 3 local.get, 4 f64.add,
        // 5 local.tee, 6 f64.const, 7 f64.gt, 8 drop, 9 end.
        let ops = canonicalised_in(
            "(module (func (param f64 f64) (local f64)
               local.get 0 local.get 1 f64.mul local.get 0 f64.add
               local.tee 2 f64.const 4 f64.gt drop))",
        );
        assert_eq!(ops, Vec::<usize>::new());
    }

    #[test]
    fn results_stores_and_bit_moves_are_observed() {
        // Returned: 0 local.get, 1 local.get, 2 f64.add, 3 end.
        assert_eq!(
            canonicalised_in(
                "(module (func (param f64 f64) (result f64) local.get 0 local.get 1 f64.add))"
            ),
            vec![2]
        );
        // Negated then compared: neg moves bits, so the sum is observed.
        assert_eq!(
            canonicalised_in(
                "(module (func (param f64) (result i32)
                   local.get 0 local.get 0 f64.add f64.neg f64.const 0 f64.lt))"
            ),
            vec![2]
        );
        // Stored, through a local: 0 i32.const, 1 local.get, 2 f32.sqrt,
        // 3 local.set, 4 local.get, 5 f32.store.
        assert_eq!(
            canonicalised_in(
                "(module (memory 1) (func (param f32) (local f32)
                   i32.const 0 local.get 0 f32.sqrt local.set 1 local.get 1 f32.store))"
            ),
            vec![2]
        );
    }

    #[test]
    fn select_and_locals_carry_every_source() {
        // 0 get, 1 get, 2 f64.add, 3 get, 4 get, 5 f64.mul, 6 get, 7 select,
        // 8 local.set 2, 9 local.get 2, 10 i64.reinterpret, 11 drop, 12 end.
        assert_eq!(
            canonicalised_in(
                "(module (func (param f64 f64 i32) (local f64)
                   local.get 0 local.get 1 f64.add local.get 0 local.get 1 f64.mul
                   local.get 2 select local.set 3 local.get 3 i64.reinterpret_f64 drop))"
            ),
            vec![2, 5]
        );
    }

    #[test]
    fn block_values_and_call_arguments_are_observed() {
        // 0 block, 1 get, 2 get, 3 f32.div, 4 end, 5 drop, 6 end.
        assert_eq!(
            canonicalised_in(
                "(module (func (param f32 f32) (block (result f32) local.get 0 local.get 1 f32.div) drop))"
            ),
            vec![3]
        );
        // 0 get, 1 f32.ceil, 2 call, 3 end.
        assert_eq!(
            canonicalised_in(
                "(module (func (param f32) local.get 0 f32.ceil call 1) (func (param f32)))"
            ),
            vec![1]
        );
    }

    #[test]
    fn unreachable_code_keeps_the_walk_on_track() {
        // 0 block, 1 br 0, 2 f64.add (dead, pops nothing real), 3 drop,
        // 4 end, 5 get, 6 get, 7 f64.sub, 8 end.
        assert_eq!(
            canonicalised_in(
                "(module (func (param f64 f64) (result f64)
                   block br 0 f64.add drop end local.get 0 local.get 1 f64.sub))"
            ),
            vec![7]
        );
    }
}
