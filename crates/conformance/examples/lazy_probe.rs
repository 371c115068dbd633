#![allow(missing_docs, clippy::print_stdout, clippy::unwrap_used)]
use conformance::runner::{Invocation, Runners};
use runtime::BackendKind;
fn module(n: u32, big: u32) -> Vec<u8> {
    let wat = format!(r#"(module
      (func $main (export "main") (local $i i32)
        (loop $l
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $i) (i32.const {n}))))
        (call $big))
      (func $big {}))"#, "nop ".repeat(big as usize));
    wat::parse_str(&wat).unwrap()
}
fn main() {
    let runners = Runners::new(&[BackendKind::Wasmi]).unwrap();
    let a: Vec<u32> = std::env::args().skip(1).map(|x| x.parse().unwrap()).collect();
    let mut n = a[0];
    while n <= a[1] {
        let inv = Invocation { wasm: module(n, 200_000), call: "main".into(), ..Invocation::default() };
        let o = runners.run(&inv).unwrap();
        println!("n={n} {:?} {:?}", o[0].outcome.status(), o[0].outcome.error.as_ref().map(|e| e.message()));
        n += a[2];
    }
}
