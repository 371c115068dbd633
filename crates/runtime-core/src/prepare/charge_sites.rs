//! Where the gas of each basic block is charged: the placement half of the
//! gas model documented in [`super::instrument`].
//!
//! The cost of every basic block is the one the per-block rule gives (a
//! block starts at the entry and after every control operator; it costs the
//! sum of its operators). This module only decides *where* each block's cost
//! is subtracted, so that fewer subtractions run while, at every call and at
//! every function exit, the counter holds exactly what charging each block
//! at its own start would leave.
//!
//! A *site* is one subtraction. Every block belongs to one site, which
//! charges the block's cost each time it runs:
//!
//! * the entry, each loop header (which also checks the counter after its
//!   charge), each `if` and `else` arm, and the code after a call where a
//!   new block starts, open a site of their own;
//! * a block joins the site of the code before it when it runs exactly once
//!   each time that site runs and no call lies in between: the body of a
//!   `block`; the code after a `loop` or an untargeted `block` (reached only
//!   by falling through); the code after any `block`, `if` or `loop` whose
//!   inside neither calls nor branches out of it;
//! * the code after a `br_if` joins the site before it too, and the branch,
//!   when taken, gives back (*refunds*) the costs of that site it skips up to
//!   its target. So a loop iteration that leaves through none of its `br_if`s
//!   pays one subtraction at its header. A check at the site itself (a loop
//!   header) allows for the largest refund: the gas ran out only if even
//!   the cheapest way through the iteration does not fit. Refunds need that
//!   no other check of the counter happens between the site and the `br_if`
//!   (it could see costs that the branch will give back), and a branch
//!   without values; otherwise the code after the `br_if` opens a site;
//! * of an `if` with an `else`, the cost both arms share (the smaller arm's)
//!   is charged at the site before the `if`, and each arm charges only its
//!   excess (unless an arm refunds).
//!
//! Blocks that can never run (after `br`, `br_table`, `return` or
//! `unreachable`, up to the end of their construct) are not charged.
//!
//! Every path between two calls or returns is charged exactly the costs of
//! the blocks it runs; the only costs ever taken early are certain to be due
//! (or given back by a refund before any check can see them).

use wasmparser::{BlockType, Operator};

/// A charge to emit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Site {
    /// The gas subtracted, the costs of the blocks placed here.
    pub(super) amount: u64,
    /// Whether the counter is checked here, after the charge (loop headers).
    pub(super) check: bool,
    /// The largest refund of the site's `br_if`s: the charge may be that
    /// much more than the cheapest way through the site's code, so the gas
    /// ran out only if the counter is below `-slack` after it.
    pub(super) slack: u64,
}

/// The placement of every charge of one function body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Placement {
    /// The charge at the function's entry.
    pub(super) entry: u64,
    /// Whether the counter is checked at entry, before the charge: only for
    /// functions whose code costs 2^40 or more in all, so that nested calls
    /// never take the counter out of the exhaustion range.
    pub(super) entry_check: bool,
    /// `after[i]`: the charge emitted right after operator `i`.
    pub(super) after: Vec<Option<Site>>,
    /// `refund[i]`: for a `br_if` at `i`, the gas given back when it
    /// branches (0: none).
    pub(super) refund: Vec<u64>,
}

/// A function whose operators cost this much in all checks the counter at
/// entry.
const ENTRY_CHECK_COST: u64 = 1 << 40;

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
    /// Index into the walk's frame ends.
    id: usize,
    kind: Kind,
    /// Whether its label takes values (a branch to it cannot refund).
    label_values: bool,
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
    fn new(id: usize, kind: Kind, label_values: bool, before: Option<usize>) -> Self {
        Self {
            id,
            kind,
            label_values,
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

/// Whether a branch to a construct of this block type passes values: its
/// results (or a loop's parameters). Types by index are taken to.
fn label_values(kind: Kind, ty: BlockType) -> bool {
    match ty {
        BlockType::Empty => false,
        BlockType::Type(_) => kind != Kind::Loop,
        BlockType::FuncType(_) => true,
    }
}

/// The sites of one function.
#[derive(Default)]
struct Sites {
    /// Where each is emitted: after operator `i`, or at the entry (`None`).
    after: Vec<Option<usize>>,
    /// The costs placed at each, with the operator index they come from.
    costs: Vec<Vec<(usize, u64)>>,
    check: Vec<bool>,
    /// No call since the site: later blocks may still join it.
    open: Vec<bool>,
    /// A check of the counter happened since the site: no refund may follow.
    checked: Vec<bool>,
    /// A `br_if` refunds some of the site's costs.
    refunds: Vec<bool>,
}

impl Sites {
    fn add(&mut self, after: Option<usize>, check: bool) -> usize {
        self.after.push(after);
        self.costs.push(Vec::new());
        self.check.push(check);
        self.open.push(true);
        self.checked.push(false);
        self.refunds.push(false);
        self.costs.len() - 1
    }

    fn is_open(&self, site: Option<usize>) -> bool {
        site.is_some_and(|s| self.open[s])
    }

    fn total(&self, site: usize) -> u64 {
        self.costs[site]
            .iter()
            .fold(0u64, |sum, (_, c)| sum.saturating_add(*c))
    }

    /// Takes `amount` off `site`, from its last costs backwards (used when
    /// an `if`'s shared cost moves up; arms that refund never get here).
    fn take(&mut self, site: usize, mut amount: u64) {
        for (_, cost) in self.costs[site].iter_mut().rev() {
            let taken = amount.min(*cost);
            *cost -= taken;
            amount -= taken;
        }
    }
}

/// The index of the frame a branch to relative depth `depth` targets.
fn target(frames: &[Frame], depth: u32) -> usize {
    frames
        .len()
        .saturating_sub(1)
        .saturating_sub(depth as usize)
}

/// Marks the frames a branch to relative depth `depth` leaves, and its
/// target.
fn branch(frames: &mut [Frame], depth: u32) {
    let target = target(frames, depth);
    for frame in &mut frames[target + 1..] {
        frame.escapes = true;
    }
    if let Some(frame) = frames.get_mut(target) {
        frame.targeted = true;
    }
}

/// The counter is checked here: no site whose code may continue after this
/// point may refund later.
fn checkpoint(sites: &mut Sites, frames: &[Frame], current: Option<usize>) {
    for site in frames.iter().filter_map(|f| f.before).chain(current) {
        sites.checked[site] = true;
    }
}

/// Places the charges of a function body of `ops` (its final `end`
/// included) with `results` results, where `costs[i]` is the cost of
/// operator `i`.
pub(super) fn place(ops: &[Operator<'_>], costs: &[u64], results: usize) -> Placement {
    let mut sites = Sites::default();
    let entry = sites.add(None, false);
    // Per frame id: the index of its `end`, up to which a branch to it skips
    // code (a loop's stays `usize::MAX`).
    let mut ends = vec![ops.len().saturating_sub(1)];
    let mut frames = vec![Frame::new(0, Kind::Function, results > 0, Some(entry))];
    let mut current = Some(entry);
    // `if`s whose shared arm cost moves before them, innermost first.
    let mut hoists = Vec::new();
    // `(br_if index, site, target frame id)`.
    let mut refund_points = Vec::new();
    let last = ops.len().saturating_sub(1);
    let mut open = |frames: &mut Vec<Frame>, kind, ty, before| {
        ends.push(usize::MAX);
        let frame = Frame::new(ends.len() - 1, kind, label_values(kind, ty), before);
        frames.push(frame);
    };
    let mut frame_ends = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        if let Some(s) = current {
            sites.costs[s].push((i, costs[i]));
        }
        let reachable = current.is_some();
        match op {
            Operator::Block { blockty } => {
                open(&mut frames, Kind::Block, *blockty, current);
                if reachable && !sites.is_open(current) {
                    current = Some(sites.add(Some(i), false));
                }
            }
            Operator::Loop { blockty } => {
                checkpoint(&mut sites, &frames, current);
                open(&mut frames, Kind::Loop, *blockty, current);
                current = reachable.then(|| sites.add(Some(i), true));
            }
            Operator::If { blockty } => {
                let hoistable = sites.is_open(current);
                open(&mut frames, Kind::If, *blockty, current);
                current = reachable.then(|| sites.add(Some(i), false));
                if let Some(frame) = frames.last_mut() {
                    frame.hoistable = hoistable;
                    frame.then_site = current;
                }
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
                // A branch to a block or `if` lands at its end, and skips the
                // code before it; a branch to a loop lands at its header, and
                // skips all the rest of the site's code, also what follows
                // the loop (its end stays "never").
                if frame.kind != Kind::Loop {
                    frame_ends.push((frame.id, i));
                }
                if let Some(parent) = frames.last_mut() {
                    parent.has_call |= frame.has_call;
                }
                if frame.kind == Kind::If
                    && frame.hoistable
                    && let (Some(before), Some(then_site), Some(else_site)) =
                        (frame.before, frame.then_site, frame.else_site)
                {
                    hoists.push((i, before, then_site, else_site));
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
                if let Some(s) = current {
                    branch(&mut frames, *relative_depth);
                    let target = &frames[target(&frames, *relative_depth)];
                    if sites.open[s] && !sites.checked[s] && !target.label_values {
                        refund_points.push((i, s, target.id));
                        sites.refunds[s] = true;
                    } else {
                        current = Some(sites.add(Some(i), false));
                    }
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
            Operator::MemoryGrow { .. }
            | Operator::MemoryFill { .. }
            | Operator::MemoryCopy { .. }
            | Operator::MemoryInit { .. }
            | Operator::TableCopy { .. }
            | Operator::TableInit { .. } => checkpoint(&mut sites, &frames, current),
            _ => {}
        }
    }
    for (id, end) in frame_ends {
        ends[id] = end;
    }
    for (at, before, then_site, else_site) in hoists {
        if sites.refunds[then_site] || sites.refunds[else_site] {
            continue;
        }
        let shared = sites.total(then_site).min(sites.total(else_site));
        sites.take(then_site, shared);
        sites.take(else_site, shared);
        sites.costs[before].push((at, shared));
    }
    let mut refund = vec![0; ops.len()];
    let mut slack = vec![0u64; sites.costs.len()];
    // Per refunding site: its costs by operator index, with prefix sums.
    let mut sums: Vec<Option<(Vec<usize>, Vec<u64>)>> = vec![None; sites.costs.len()];
    for (at, site, target) in refund_points {
        let (index, prefix) = sums[site].get_or_insert_with(|| {
            let mut costs = sites.costs[site].clone();
            costs.sort_by_key(|(i, _)| *i);
            let mut prefix = vec![0u64];
            for (_, c) in &costs {
                prefix.push(prefix.last().copied().unwrap_or(0).saturating_add(*c));
            }
            (costs.into_iter().map(|(i, _)| i).collect(), prefix)
        });
        let from = index.partition_point(|i| *i <= at);
        let to = index.partition_point(|i| *i < ends[target]);
        refund[at] = prefix[to.max(from)] - prefix[from];
        slack[site] = slack[site].max(refund[at]);
    }
    let mut placement = Placement {
        entry: sites.total(entry),
        entry_check: costs.iter().fold(0u64, |sum, c| sum.saturating_add(*c)) >= ENTRY_CHECK_COST,
        after: vec![None; ops.len()],
        refund,
    };
    for (s, slack) in slack.iter().enumerate() {
        if let Some(i) = sites.after[s] {
            placement.after[i] = Some(Site {
                amount: sites.total(s),
                check: sites.check[s],
                slack: *slack,
            });
        }
    }
    placement
}

/// The reference placement: every basic block charged at its own start,
/// loop headers checking after their block's charge, nothing moved, nothing
/// refunded. It is ABI 1.0's rule written out, and gives the same gas as
/// [`place`] at every call and return; tests compare the two.
pub(super) fn place_per_block(ops: &[Operator<'_>], costs: &[u64]) -> Placement {
    let last = ops.len().saturating_sub(1);
    let mut placement = Placement {
        entry: 0,
        entry_check: costs.iter().fold(0u64, |sum, c| sum.saturating_add(*c)) >= ENTRY_CHECK_COST,
        after: vec![None; ops.len()],
        refund: vec![0; ops.len()],
    };
    // The block being summed: after which operator it starts (`None`: the
    // entry), whether it is a loop's header, and its cost so far.
    let mut block: (Option<usize>, bool, u64) = (None, false, 0);
    fn close(placement: &mut Placement, (start, check, amount): (Option<usize>, bool, u64)) {
        match start {
            None => placement.entry = amount,
            Some(i) => {
                placement.after[i] = Some(Site {
                    amount,
                    check,
                    slack: 0,
                })
            }
        }
    }
    for (i, op) in ops.iter().enumerate() {
        block.2 = block.2.saturating_add(costs[i]);
        let ends_block = matches!(
            op,
            Operator::Block { .. }
                | Operator::Loop { .. }
                | Operator::If { .. }
                | Operator::Else
                | Operator::End
                | Operator::Br { .. }
                | Operator::BrIf { .. }
                | Operator::BrTable { .. }
                | Operator::Return
                | Operator::Unreachable
        );
        if ends_block && i != last {
            close(&mut placement, block);
            block = (Some(i), matches!(op, Operator::Loop { .. }), 0);
        }
    }
    close(&mut placement, block);
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
                return place(&ops, &costs, 0);
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

    /// `(operator index, amount)` of every refunding `br_if`.
    fn refunds(p: &Placement) -> Vec<(usize, u64)> {
        p.refund
            .iter()
            .enumerate()
            .filter(|(_, r)| **r > 0)
            .map(|(i, r)| (i, *r))
            .collect()
    }

    #[test]
    fn an_exit_in_the_middle_of_a_loop_refunds_the_rest_of_the_iteration() {
        // 0 block, 1 loop, 2 i32.const, 3 br_if 1, 4 i32.const, 5 drop,
        // 6 i32.const, 7 br_if 0, 8 end, 9 end, 10 end.
        let p = placement(
            "(module (func block loop i32.const 1 br_if 1 i32.const 2 drop i32.const 3 br_if 0 end end))",
        );
        assert_eq!(p.entry, 0);
        assert_eq!(sites(&p), vec![(1, 6, true)]);
        // Taken, the exit skips 4..=7; the header's check allows for it.
        assert_eq!(refunds(&p), vec![(3, 4)]);
        assert_eq!(p.after[1].map(|s| s.slack), Some(4));
    }

    #[test]
    fn a_back_edge_refunds_the_code_after_its_loop() {
        // 0 loop, 1 loop, 2 call, 3 i32.const, 4 br_if 0, 5 end,
        // 6 i32.const, 7 br_if 0, 8 end, 9 i32.const, 10 drop, 11 end.
        let p = placement(
            "(module (func loop loop call 1 i32.const 0 br_if 0 end i32.const 1 br_if 0 end
               i32.const 2 drop) (func))",
        );
        // The call closes the inner loop's site, so the code after its
        // `br_if` opens one (4), which runs on through the outer loop's
        // end to the function's: each outer iteration charges it, and the
        // outer back edge gives back what follows it, the code after the
        // outer loop included (found by the metering benchmark: the refund
        // stopped at the loop's `end`).
        assert_eq!(p.entry, 0);
        assert_eq!(sites(&p), vec![(0, 0, true), (1, 3, true), (4, 4, false)]);
        assert_eq!(refunds(&p), vec![(7, 2)]);
    }

    #[test]
    fn no_refund_after_a_check() {
        // 0 block, 1 i32.const, 2 drop, 3 loop, 4 i32.const, 5 br_if 0,
        // 6 end, 7 i32.const, 8 br_if 0, 9 i32.const, 10 drop, 11 end, 12 end.
        let p = placement(
            "(module (func block i32.const 1 drop loop i32.const 1 br_if 0 end
               i32.const 2 br_if 0 i32.const 3 drop end))",
        );
        // The inner loop's header checks the counter after the entry's
        // charge, so the `br_if` at 8 cannot refund: the code after it is a
        // site of its own.
        assert_eq!(p.entry, 4);
        assert_eq!(sites(&p), vec![(3, 2, true), (8, 2, false)]);
        assert_eq!(refunds(&p), vec![]);
    }

    #[test]
    fn no_refund_for_a_branch_with_values() {
        // 0 block (result i32), 1 i32.const, 2 i32.const, 3 br_if 0,
        // 4 drop, 5 i32.const, 6 end, 7 drop, 8 end.
        let p = placement(
            "(module (func (block (result i32) i32.const 1 i32.const 1 br_if 0 drop i32.const 2) drop))",
        );
        // The branch passes a value: the code after it opens a site. The
        // block's continuation runs once per entry: the entry charges it.
        assert_eq!(p.entry, 4);
        assert_eq!(sites(&p), vec![(3, 2, false)]);
        assert_eq!(refunds(&p), vec![]);
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
        // charged at the entry. The back edge skips nothing.
        assert_eq!(p.entry, 4);
        assert_eq!(sites(&p), vec![(2, 2, true)]);
        assert_eq!(refunds(&p), vec![]);
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
        // (the block neither calls nor escapes). The header charges the whole
        // iteration; the exit gives the `br` back.
        assert_eq!(p.entry, 2);
        assert_eq!(sites(&p), vec![(1, 3, true)]);
        assert_eq!(refunds(&p), vec![(3, 1)]);
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
