//! Where the gas of each basic block is charged: the placement half of the
//! gas model documented in [`super::instrument`].
//!
//! The cost of every basic block is the one the per-block rule gives (a
//! block starts at the entry and after every control operator; it costs the
//! sum of its operators). This module only decides *where* each block's cost
//! is subtracted, so that fewer subtractions run while, at every call and at
//! every function exit, the counter holds exactly what charging each block
//! at its own start would leave:
//!
//! * a block is charged together with an earlier block (at that block's
//!   *site*) when it runs exactly once each time that site runs, and no call
//!   lies in between. That is the case for the body of a `block` and the
//!   code after a `loop` or an untargeted `block` (reached only by falling
//!   through), and for the code after any `block`, `if` or `loop` whose
//!   inside neither calls nor branches out of it;
//! * of an `if` with an `else`, the cost both arms share (the smaller arm's)
//!   is charged before the `if`, and each arm charges only its excess;
//! * every other block starts a site of its own: the entry, each loop header
//!   (where the counter is also checked, once per iteration), each `if` and
//!   `else` arm, the code after a `br_if`, and the code after a call where a
//!   new block starts.
//!
//! Blocks that can never run (after `br`, `br_table`, `return` or
//! `unreachable`, up to the end of their construct) are not charged.

use wasmparser::Operator;

/// A charge to emit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Site {
    /// The gas subtracted, the costs of the blocks placed here.
    pub(super) amount: u64,
    /// Whether the counter is checked here (loop headers): `< 0` means
    /// the gas ran out.
    pub(super) check: bool,
}

/// The placement of every charge of one function body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Placement {
    /// The charge at the function's entry.
    pub(super) entry: u64,
    /// `after[i]`: the charge emitted right after operator `i`.
    pub(super) after: Vec<Option<Site>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Function,
    Block,
    Loop,
    If,
}

/// An open construct of the walk.
#[derive(Clone, Copy, Debug)]
struct Frame {
    kind: Kind,
    /// The site of the code at the opening operator; `None` if it is
    /// unreachable.
    before: Option<usize>,
    /// A branch (or `return`) from inside leaves this construct for an outer
    /// label.
    escapes: bool,
    /// A branch targets this construct's label.
    targeted: bool,
    /// A call happens inside.
    has_call: bool,
    /// `if`: `before` saw no call up to the `if`, so the arms' shared cost
    /// may move there.
    hoistable: bool,
    then_site: Option<usize>,
    /// `if`: the end of the then-arm is reachable.
    then_falls: bool,
    has_else: bool,
    else_site: Option<usize>,
}

impl Frame {
    fn new(kind: Kind, before: Option<usize>) -> Self {
        Self {
            kind,
            before,
            escapes: false,
            targeted: false,
            has_call: false,
            hoistable: false,
            then_site: None,
            then_falls: false,
            has_else: false,
            else_site: None,
        }
    }
}

/// The sites of one function: where each is emitted (`None`: the entry),
/// its amount, whether it checks, and whether later blocks may still join
/// it (no call since it).
#[derive(Default)]
struct Sites {
    after: Vec<Option<usize>>,
    amount: Vec<u64>,
    check: Vec<bool>,
    open: Vec<bool>,
}

impl Sites {
    fn add(&mut self, after: Option<usize>, check: bool) -> usize {
        self.after.push(after);
        self.amount.push(0);
        self.check.push(check);
        self.open.push(true);
        self.amount.len() - 1
    }

    fn is_open(&self, site: Option<usize>) -> bool {
        site.is_some_and(|s| self.open[s])
    }
}

/// Marks the frames a branch to relative depth `depth` leaves, and its
/// target.
fn branch(frames: &mut [Frame], depth: u32) {
    let target = frames
        .len()
        .saturating_sub(1)
        .saturating_sub(depth as usize);
    for frame in &mut frames[target + 1..] {
        frame.escapes = true;
    }
    if let Some(frame) = frames.get_mut(target) {
        frame.targeted = true;
    }
}

/// Places the charges of a function body of `ops` (its final `end`
/// included), where `costs[i]` is the cost of operator `i`.
pub(super) fn place(ops: &[Operator<'_>], costs: &[u64]) -> Placement {
    let mut sites = Sites::default();
    let entry = sites.add(None, false);
    let mut frames = vec![Frame::new(Kind::Function, Some(entry))];
    let mut current = Some(entry);
    // `if`s whose shared arm cost moves before them, innermost first.
    let mut hoists = Vec::new();
    let last = ops.len().saturating_sub(1);
    for (i, op) in ops.iter().enumerate() {
        if let Some(s) = current {
            sites.amount[s] = sites.amount[s].saturating_add(costs[i]);
        }
        let reachable = current.is_some();
        match op {
            Operator::Block { .. } => {
                frames.push(Frame::new(Kind::Block, current));
                if reachable && !sites.is_open(current) {
                    current = Some(sites.add(Some(i), false));
                }
            }
            Operator::Loop { .. } => {
                frames.push(Frame::new(Kind::Loop, current));
                current = reachable.then(|| sites.add(Some(i), true));
            }
            Operator::If { .. } => {
                let mut frame = Frame::new(Kind::If, current);
                frame.hoistable = sites.is_open(current);
                current = reachable.then(|| sites.add(Some(i), false));
                frame.then_site = current;
                frames.push(frame);
            }
            Operator::Else => {
                if let Some(frame) = frames.last_mut() {
                    frame.then_falls = reachable;
                    frame.has_else = true;
                    current = frame.before.map(|_| sites.add(Some(i), false));
                    frame.else_site = current;
                }
            }
            Operator::End if i == last => {}
            Operator::End => {
                let Some(frame) = frames.pop() else { break };
                if let Some(parent) = frames.last_mut() {
                    parent.has_call |= frame.has_call;
                }
                if frame.kind == Kind::If && frame.hoistable {
                    if let (Some(before), Some(then_site), Some(else_site)) =
                        (frame.before, frame.then_site, frame.else_site)
                    {
                        hoists.push((before, then_site, else_site));
                    }
                }
                let continues = reachable
                    || frame.then_falls
                    || (matches!(frame.kind, Kind::Block | Kind::If) && frame.targeted)
                    || (frame.kind == Kind::If && !frame.has_else && frame.before.is_some());
                let only_fallthrough =
                    frame.kind == Kind::Loop || (frame.kind == Kind::Block && !frame.targeted);
                current = if !continues {
                    None
                } else if sites.is_open(frame.before) && !frame.escapes && !frame.has_call {
                    // Runs exactly once per run of the construct's opening.
                    frame.before
                } else if only_fallthrough && sites.is_open(current) {
                    current
                } else {
                    Some(sites.add(Some(i), false))
                };
            }
            Operator::Br { relative_depth } => {
                if reachable {
                    branch(&mut frames, *relative_depth);
                }
                current = None;
            }
            Operator::BrIf { relative_depth } => {
                if reachable {
                    branch(&mut frames, *relative_depth);
                    current = Some(sites.add(Some(i), false));
                }
            }
            Operator::BrTable { targets } => {
                if reachable {
                    for depth in targets.targets().flatten() {
                        branch(&mut frames, depth);
                    }
                    branch(&mut frames, targets.default());
                }
                current = None;
            }
            Operator::Return => {
                if reachable {
                    let depth = u32::try_from(frames.len().saturating_sub(1)).unwrap_or(u32::MAX);
                    branch(&mut frames, depth);
                }
                current = None;
            }
            Operator::Unreachable => current = None,
            Operator::Call { .. } | Operator::CallIndirect { .. } => {
                if let Some(s) = current {
                    sites.open[s] = false;
                    for frame in &mut frames {
                        frame.has_call = true;
                    }
                }
            }
            _ => {}
        }
    }
    for (before, then_site, else_site) in hoists {
        let shared = sites.amount[then_site].min(sites.amount[else_site]);
        sites.amount[then_site] -= shared;
        sites.amount[else_site] -= shared;
        sites.amount[before] = sites.amount[before].saturating_add(shared);
    }
    let mut placement = Placement {
        entry: sites.amount[entry],
        after: vec![None; ops.len()],
    };
    for s in 0..sites.amount.len() {
        if let Some(i) = sites.after[s] {
            placement.after[i] = Some(Site {
                amount: sites.amount[s],
                check: sites.check[s],
            });
        }
    }
    placement
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The operators of the first function body of `wat`, each costing 1
    /// but `end`, `block`, `loop` and `else` (0), as the default schedule's
    /// `simple` and `structure`.
    fn placement(wat: &str) -> Placement {
        let wasm = wat::parse_str(wat).expect("valid wat");
        for payload in wasmparser::Parser::new(0).parse_all(&wasm) {
            if let Ok(wasmparser::Payload::CodeSectionEntry(body)) = payload {
                let mut reader = body.get_operators_reader().expect("operators");
                let mut ops = Vec::new();
                while !reader.eof() {
                    ops.push(reader.read().expect("operator"));
                }
                let costs: Vec<u64> = ops
                    .iter()
                    .map(|op| match op {
                        Operator::End
                        | Operator::Block { .. }
                        | Operator::Loop { .. }
                        | Operator::Else => 0,
                        _ => 1,
                    })
                    .collect();
                return place(&ops, &costs);
            }
        }
        panic!("no function body");
    }

    /// `(operator index, amount, check)` of every emitted site.
    fn sites(p: &Placement) -> Vec<(usize, u64, bool)> {
        p.after
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.map(|s| (i, s.amount, s.check)))
            .collect()
    }

    #[test]
    fn straight_line_blocks_join_the_entry() {
        // 0 block, 1 i32.const, 2 drop, 3 end, 4 i32.const, 5 drop, 6 end.
        let p = placement("(module (func block i32.const 1 drop end i32.const 2 drop))");
        assert_eq!(p.entry, 4);
        assert_eq!(sites(&p), vec![]);
    }

    #[test]
    fn a_call_starts_a_new_site_at_the_next_block() {
        // 0 call, 1 block, 2 i32.const, 3 drop, 4 end, 5 end.
        let p = placement("(module (func call 1 block i32.const 1 drop end) (func))");
        assert_eq!(p.entry, 1);
        assert_eq!(sites(&p), vec![(1, 2, false)]);
    }

    #[test]
    fn loops_check_at_the_header_and_their_exit_joins_the_entry() {
        // 0 i32.const, 1 drop, 2 loop, 3 i32.const, 4 br_if 0, 5 end,
        // 6 i32.const, 7 drop, 8 end.
        let p = placement(
            "(module (func i32.const 0 drop loop i32.const 1 br_if 0 end i32.const 2 drop))",
        );
        // The loop neither calls nor branches out: the code after it is
        // charged at the entry.
        assert_eq!(p.entry, 4);
        assert_eq!(sites(&p), vec![(2, 2, true), (4, 0, false)]);
    }

    #[test]
    fn a_branch_out_of_a_loop_keeps_the_code_after_it_separate() {
        // 0 block, 1 loop, 2 i32.const, 3 br_if 1, 4 br 0, 5 end, 6 end,
        // 7 i32.const, 8 drop, 9 end.
        let p = placement(
            "(module (func block loop i32.const 1 br_if 1 br 0 end end i32.const 2 drop))",
        );
        // The block is targeted, and left only through the branch: the code
        // after it is the block's continuation, charged once at the entry
        // (the block neither calls nor escapes).
        assert_eq!(p.entry, 2);
        assert_eq!(sites(&p), vec![(1, 2, true), (3, 1, false)]);
    }

    #[test]
    fn if_else_arms_share_their_common_cost_before_the_if() {
        // 0 i32.const, 1 if, 2 i32.const, 3 drop, 4 else, 5 i32.const,
        // 6 drop, 7 i32.const, 8 drop, 9 end, 10 end.
        let p = placement(
            "(module (func i32.const 1 if i32.const 1 drop else i32.const 2 drop i32.const 3 drop end))",
        );
        // Entry: const, if; then: 2; else: 4; shared 2 moves up.
        assert_eq!(p.entry, 4);
        assert_eq!(sites(&p), vec![(1, 0, false), (4, 2, false)]);
    }

    #[test]
    fn dead_code_is_not_charged() {
        // 0 block, 1 br 0, 2 i32.const, 3 drop, 4 end, 5 end.
        let p = placement("(module (func block br 0 i32.const 1 drop end))");
        assert_eq!(p.entry, 1);
        assert_eq!(sites(&p), vec![]);
    }

    #[test]
    fn a_call_in_an_arm_keeps_the_continuation_separate() {
        // 0 i32.const, 1 if, 2 call, 3 end, 4 i32.const, 5 drop, 6 end.
        let p = placement("(module (func i32.const 1 if call 1 end i32.const 2 drop) (func))");
        assert_eq!(p.entry, 2);
        assert_eq!(sites(&p), vec![(1, 1, false), (3, 2, false)]);
    }
}
