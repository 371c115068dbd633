//! How far realistic modules are from the code limits of ABI 1.1: for every
//! module of a folder (`.wasm` files, and the `(module ...)` of `.wast`
//! scripts) that preparation accepts, the smallest value of each code limit
//! that still accepts it, and the maximum over the folder.
//!
//! ```text
//! cargo run --release -p conformance --example limits_margin -- crates/conformance/guests/c
//! cargo run --release -p conformance --example limits_margin -- ../shared/spec-testsuite spec
//! ```
//!
//! With `spec`, modules are prepared under `conformance::spec::spec_limits`
//! (the testsuite's big static limits, the code limits at their defaults).
//! Results are in `TESTING.md`.

#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    reason = "an example reports on stdout and fails loudly"
)]

use runtime::{GasSchedule, ModuleLimits, prepare};
use wast::parser::{self, ParseBuffer};
use wast::{QuoteWat, Wast, WastDirective};

/// Sets one code limit.
type Set = fn(&mut ModuleLimits, u64);

fn main() {
    let dir = std::env::args()
        .nth(1)
        .expect("usage: limits_margin DIR [spec]");
    let mut modules: Vec<(String, Vec<u8>)> = Vec::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "wast") {
            let text = std::fs::read_to_string(&p).unwrap();
            let Ok(buf) = ParseBuffer::new(&text) else {
                continue;
            };
            let Ok(wast) = parser::parse::<Wast<'_>>(&buf) else {
                continue;
            };
            for d in wast.directives {
                if let WastDirective::Module(QuoteWat::Wat(mut m)) = d
                    && let Ok(b) = m.encode()
                {
                    modules.push((p.file_name().unwrap().to_string_lossy().into(), b));
                }
            }
        } else if p.extension().is_some_and(|x| x == "wasm") {
            modules.push((p.display().to_string(), std::fs::read(&p).unwrap()));
        }
    }
    let s = GasSchedule::default();
    let base = if std::env::args().any(|a| a == "spec") {
        conformance::spec::spec_limits()
    } else {
        ModuleLimits::default()
    };
    let accepted: Vec<_> = modules
        .iter()
        .filter(|(_, m)| prepare(m, &base, &s).is_ok())
        .collect();
    println!(
        "{} modules, {} accepted at the defaults",
        modules.len(),
        accepted.len()
    );
    let fields: [(&str, Set); 7] = [
        ("max_code_size", |l, v| l.max_code_size = v),
        ("max_nesting_depth", |l, v| l.max_nesting_depth = v as u32),
        ("max_blocks_per_function", |l, v| {
            l.max_blocks_per_function = v as u32
        }),
        ("max_blocks_per_module", |l, v| l.max_blocks_per_module = v),
        ("max_br_table_targets", |l, v| {
            l.max_br_table_targets = v as u32
        }),
        ("max_operand_stack", |l, v| l.max_operand_stack = v as u32),
        ("max_loop_locals", |l, v| l.max_loop_locals = v),
    ];
    for (name, set) in fields {
        let mut worst = (0u64, String::new());
        for (file, m) in &accepted {
            // The smallest accepted value is in (lo, hi].
            let (mut lo, mut hi) = (0u64, 1u64 << 20);
            let ok = |v: u64| {
                let mut l = base.clone();
                set(&mut l, v);
                prepare(m, &l, &s).is_ok()
            };
            if ok(0) {
                continue;
            }
            while hi - lo > 1 {
                let mid = (lo + hi) / 2;
                if ok(mid) { hi = mid } else { lo = mid }
            }
            if hi > worst.0 {
                worst = (hi, file.clone());
            }
        }
        println!(
            "{name}: the most any accepted module needs is {} ({})",
            worst.0, worst.1
        );
    }
}
