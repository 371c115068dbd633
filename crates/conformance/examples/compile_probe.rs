#![allow(missing_docs, clippy::print_stdout, clippy::unwrap_used)]
use std::time::Instant;
use conformance::bombs::{Shape, module_repeated, worst_at};
use runtime::{BackendKind, ModuleLimits};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let only: Option<&String> = args.iter().find(|a| a.starts_with("be="));
    let limits = ModuleLimits::default();
    let (wasm, label) = if args[1] == "combined" { let f = Shape::from_name(&args[2]).unwrap(); (conformance::bombs::worst_combined(&limits, f), format!("combined+{}", f.name())) } else if args.get(2).is_some_and(|a| a == "worst") {
        let shape = Shape::from_name(&args[1]).unwrap();
        let t = Instant::now();
        let w = worst_at(shape, &limits);
        (w.module(), format!("{} worst n={} times={} count={} (search {:.1}s)", shape.name(), w.n, w.times, w.count, t.elapsed().as_secs_f64()))
    } else {
        let shape = Shape::from_name(&args[1]).unwrap();
        let n: u32 = args[2].parse().unwrap();
        let times: u32 = args[3].parse().unwrap();
        let count: u32 = args[4].parse().unwrap();
        (module_repeated(shape, n, times, count), format!("{} n={n} times={times} count={count}", shape.name()))
    };
    let mut loose = limits.clone();
    if args.iter().any(|a| a == "loose") {
        loose.max_module_size = 1 << 30; loose.max_function_body_size = 1 << 30;
        loose.max_nesting_depth = u32::MAX; loose.max_blocks_per_function = u32::MAX; loose.max_blocks_per_module = u64::MAX;
        loose.max_operand_stack = u32::MAX; loose.max_loop_locals = u64::MAX; loose.max_br_table_targets = u32::MAX;
    }
    for kind in BackendKind::compiled_in() {
        if let Some(o) = only { if &o[3..] != kind.name() { continue; } }
        let rt = runtime::Runtime::with_config(kind.backend().unwrap(), runtime::GasSchedule::default(), loose.clone());
        let t = Instant::now();
        let prepared = match rt.prepare(&wasm) { Ok(p) => p, Err(e) => { println!("{} {label}: rejected {e}", kind.name()); continue; } };
        let tp = t.elapsed();
        let t = Instant::now();
        let cpu = cpu_time::ProcessTime::now();
        let m = rt.compile(prepared.clone());
        let tc = t.elapsed();
        let cpu = cpu.elapsed();
        println!("{} {label} size={} prepared={} prep={:.3}s compile={:.3}s cpu={:.3}s ok={}", kind.name(), wasm.len(), prepared.code().len(), tp.as_secs_f64(), tc.as_secs_f64(), cpu.as_secs_f64(), m.compiled().is_ok());
    }
}
