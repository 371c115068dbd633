//! A downstream program that picks its engine with a cargo feature alone:
//!
//! ```text
//! cargo run --release -p downstream-example                                   # wasmi (default)
//! cargo run --release -p downstream-example --no-default-features --features wasmtime
//! cargo run --release -p downstream-example --no-default-features --features wasmer
//! ```
//!
//! It runs a counter guest twice over one storage and prints the engines it
//! was built with and the outcomes.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;
use std::sync::Arc;

use runtime::{BackendKind, ExecutionContext, InMemoryStorage, Storage};

const COUNTER: &str = r#"
(module
  (import "env" "storage_read" (func $read (param i64 i64 i64) (result i64)))
  (import "env" "storage_write" (func $write (param i64 i64 i64 i64 i64) (result i64)))
  (import "env" "read_register" (func $read_register (param i64 i64)))
  (import "env" "value_return" (func $return (param i64 i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "count")
  (func (export "increment")
    (if (i64.eq (call $read (i64.const 5) (i64.const 0) (i64.const 0)) (i64.const 1))
      (then (call $read_register (i64.const 0) (i64.const 8))))
    (i64.store (i32.const 8) (i64.add (i64.load (i32.const 8)) (i64.const 1)))
    (drop (call $write (i64.const 5) (i64.const 0) (i64.const 8) (i64.const 8) (i64.const 1)))
    (call $return (i64.const 8) (i64.const 8))))
"#;

fn main() -> ExitCode {
    let kinds = BackendKind::compiled_in();
    let names: Vec<&str> = kinds.iter().map(|k| k.name()).collect();
    println!("engines compiled in: {}", names.join(", "));
    let wasm = match wat::parse_str(COUNTER) {
        Ok(wasm) => wasm,
        Err(e) => {
            eprintln!("bad guest: {e}");
            return ExitCode::FAILURE;
        }
    };
    for kind in kinds {
        let Ok(runtime) = kind.runtime() else {
            return ExitCode::FAILURE;
        };
        let prepared = match runtime.prepare(&wasm) {
            Ok(prepared) => prepared,
            Err(rejection) => {
                eprintln!("{kind}: rejected: {rejection}");
                return ExitCode::FAILURE;
            }
        };
        let module = runtime.compile(prepared);
        let storage: Arc<dyn Storage> = Arc::new(InMemoryStorage::new());
        for _ in 0..2 {
            match runtime.execute_and_commit(
                &module,
                "increment",
                &ExecutionContext::default(),
                storage.clone(),
            ) {
                Ok(outcome) => println!(
                    "{kind}: status {} return {} gas {} digest {}",
                    outcome.status().as_str(),
                    hex_le_u64(&outcome.return_data),
                    outcome.gas_used,
                    outcome.digest_hex().unwrap_or_default()
                ),
                Err(e) => {
                    eprintln!("{kind}: {e}");
                    return ExitCode::FAILURE;
                }
            }
        }
    }
    ExitCode::SUCCESS
}

fn hex_le_u64(bytes: &[u8]) -> u64 {
    let mut buf = [0u8; 8];
    for (b, v) in buf.iter_mut().zip(bytes) {
        *b = *v;
    }
    u64::from_le_bytes(buf)
}
